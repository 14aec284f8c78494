using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;
using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Kernels.Gpu.Kernels;
using ActKind = MobileNetAccel.Graph.Activation;

namespace MobileNetAccel.Kernels.Gpu;

/// <summary>Where the time of <see cref="IlgpuBackend.Compile"/> went: loading (compiling) the kernel set — zero when
/// this accelerator already had it —, packing and uploading the weights, and the first run (ILGPU compiles the
/// specialised kernel variants on their first launch), kept apart from steady-state runs.</summary>
public sealed record IlgpuCompileTimings(double KernelLoadMs, double UploadMs, double FirstRunMs)
{
    public override string ToString() =>
        FormattableString.Invariant($"kernel load {KernelLoadMs:F1} ms, weight upload {UploadMs:F1} ms, first run (specialised kernels compiled) {FirstRunMs:F1} ms");
}

/// <summary>
/// A partition compiled for one ILGPU accelerator. All weights live in one device buffer (uploaded once); all
/// activations in another, where values whose lifetimes do not overlap share memory. A run is: upload inputs, launch
/// every kernel on one stream, download outputs, synchronise once.
/// </summary>
public sealed class IlgpuCompiledPartition : ICompiledPartition
{
    private const int Align = 64; // floats (256 bytes)
    private readonly Accelerator _accelerator;
    private readonly KernelSet _k;
    private readonly AcceleratorStream _stream;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _weights;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _activations;
    private readonly List<Action> _steps = new();
    private readonly (Value Value, ArrayView1D<float, Stride1D.Dense> View)[] _inputs;
    private readonly (Value Value, ArrayView1D<float, Stride1D.Dense> View)[] _outputs;
    /// <summary>Quantized (uint8/int8) partition inputs: uploaded as bytes, dequantized on the device.</summary>
    private readonly Dictionary<Value, MemoryBuffer1D<byte, Stride1D.Dense>> _byteInputs = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Value, long> _activationOffsets = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Value, long> _weightOffsets = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Node, long> _scratchOffsets = new(ReferenceEqualityComparer.Instance);
    private readonly int _maxGroups;
    private readonly int _maxThreads;
    private readonly int _groupSize;
    private readonly GemmGeometry _gemm;
    private readonly SpecializedValue<int> _gemmThreads, _gemmTileK;
    private bool _disposed;

    /// <summary>Tests: compiles with the GPU group sizes and GEMM geometry on a CPU accelerator with 64-thread
    /// groups, so the exact kernels a GPU runs are checked where no GPU is.</summary>
    internal static IlgpuCompiledPartition CompileWithGpuGeometryOnCpu(Partition partition) =>
        new(partition, new DeviceInfo("ilgpu-cpu:wide", "CPU accelerator, 64-thread groups", DeviceKind.CpuEmulatedGpu, 0, ""),
            IlgpuDevices.WideCpuAccelerator(), gpuGeometry: true);

    public DeviceInfo Device { get; }
    public IlgpuCompileTimings Timings { get; }
    /// <summary>Bytes of device memory for weights and for activations.</summary>
    public long WeightBytes => _weights.LengthInBytes;
    public long ActivationBytes => _activations.LengthInBytes;
    /// <summary>Kernel launches per run.</summary>
    public int LaunchesPerRun => _steps.Count;

    public static bool Supports(Node node, out string reason)
    {
        if (node is DequantizeNode dq)
        {
            if (dq.Input.DataType is not (DataType.UInt8 or DataType.Int8) || dq.Input.Quantization is not { IsPerChannel: false } || dq.Output.DataType != DataType.Float32)
            {
                reason = $"Dequantize of '{dq.Input.Name}' ({dq.Input.DataType}, {dq.Input.Quantization?.ToString() ?? "no quantization"}): " +
                    "the ILGPU kernel dequantizes per-tensor uint8/int8 graph inputs to float32";
                return false;
            }
            reason = "";
            return true;
        }
        foreach (var v in node.Inputs.Concat(node.Outputs))
            if (v is not null && v.DataType != DataType.Float32)
            {
                reason = $"ILGPU kernels are float32 only; '{v.Name}' is {v.DataType}";
                return false;
            }
        foreach (var v in node.Outputs)
            if (v.Shape.Length > 0 && v.ElementCount >= int.MaxValue)
            {
                reason = $"'{v.Name}' has {v.ElementCount} elements; ILGPU kernels index with 32-bit integers";
                return false;
            }
        reason = "";
        switch (node)
        {
            case Conv2DNode or DepthwiseConv2DNode or FullyConnectedNode or GlobalAveragePoolNode or AveragePool2DNode or SoftmaxNode or ClipNode or BatchNormNode:
                return true;
            case InvertedResidualNode:
                return true;
            case ActivationNode:
                return true;
            case ReshapeNode r:
                if (r.Input.IsConstant)
                {
                    reason = "reshape of a constant (fold it first)";
                    return false;
                }
                return true;
            case AddNode add:
                var a = add.Inputs[0]!.Shape;
                var b = add.Inputs[1]!.Shape;
                if (!a.AsSpan().SequenceEqual(b))
                {
                    reason = $"Add with broadcasting ({Value.FormatShape(a)} + {Value.FormatShape(b)}) is not implemented on ILGPU; only equal shapes";
                    return false;
                }
                return true;
            case TransposeNode tr:
                if (tr.Input.Rank > 4 || tr.Input.IsConstant)
                {
                    reason = $"Transpose of rank {tr.Input.Rank}{(tr.Input.IsConstant ? " constant" : "")}; the ILGPU kernel permutes run-time tensors of rank ≤ 4";
                    return false;
                }
                return true;
            case PadNode pad:
                if (pad.Input.Rank != 4)
                {
                    reason = $"Pad of rank {pad.Input.Rank}; the ILGPU kernel pads rank-4 tensors";
                    return false;
                }
                return true;
            default:
                reason = $"the ILGPU backend has no kernel for {node.Op}";
                return false;
        }
    }

    internal IlgpuCompiledPartition(Partition partition, DeviceInfo device, Accelerator accelerator, bool gpuGeometry = false)
    {
        Device = device;
        _accelerator = accelerator;
        // GPUs get one thread per output element and one group per tile. ILGPU's CPU accelerator pays for every
        // simulated thread and group, so there the kernels run grid-stride loops over as many threads and groups
        // as it executes at once.
        bool cpu = accelerator.AcceleratorType == AcceleratorType.CPU;
        _maxGroups = cpu ? Math.Max(accelerator.NumMultiprocessors, 1) : int.MaxValue;
        _maxThreads = cpu ? Math.Max(accelerator.NumMultiprocessors * accelerator.MaxNumThreadsPerMultiprocessor, 1) : int.MaxValue;
        // Group sizes: barriers on the CPU accelerator cost a round of OS context switches per thread, so small groups there.
        bool small = cpu && !gpuGeometry;
        _groupSize = small ? Math.Min(4, accelerator.MaxNumThreadsPerGroup) : InvertedResidualKernels.Threads;
        _gemm = small ? GemmGeometry.Cpu : GemmGeometry.Gpu;
        if (small)
            _maxThreads = Math.Max(accelerator.NumMultiprocessors, 1) * Math.Min(4, accelerator.MaxNumThreadsPerGroup);
        _gemmThreads = SpecializedValue.New(_gemm.Threads);
        _gemmTileK = SpecializedValue.New(_gemm.TileK);
        foreach (var n in partition.Nodes)
            if (!Supports(n, out var why))
                throw n.Error($"cannot run on ILGPU: {why}");

        var sw = Stopwatch.StartNew();
        _k = KernelSet.For(accelerator);
        double loadMs = sw.Elapsed.TotalMilliseconds;

        sw.Restart();
        var weights = new List<float[]>();
        long weightLength = 0;
        long AddWeights(float[] data)
        {
            long offset = weightLength;
            weights.Add(data);
            weightLength += RoundUp(data.Length);
            return offset;
        }
        var packed = new Dictionary<Node, long[]>(ReferenceEqualityComparer.Instance);
        foreach (var n in partition.Nodes)
            packed[n] = Pack(n).Select(AddWeights).ToArray();
        foreach (var n in partition.Nodes)
            foreach (var v in n.Inputs)
                if (v is { IsConstant: true } && !_weightOffsets.ContainsKey(v) && UsesRawConstant(n, v))
                    _weightOffsets[v] = AddWeights(v.AsFloats().ToArray());

        foreach (var v in partition.Inputs)
            if (v.DataType is DataType.UInt8 or DataType.Int8)
                _byteInputs[v] = accelerator.Allocate1D<byte>(Math.Max(v.ElementCount, 1));
        foreach (var n in partition.Nodes)
            if (n is DequantizeNode dq && !_byteInputs.ContainsKey(dq.Input))
                throw dq.Error($"cannot run on ILGPU: '{dq.Input.Name}' is not an input of the partition (only graph inputs are dequantized on the device)");
        PlanActivations(partition, out long activationLength);
        _weights = accelerator.Allocate1D<float>(Math.Max(weightLength, 1));
        _activations = accelerator.Allocate1D<float>(Math.Max(activationLength, 1));
        _stream = accelerator.CreateStream();
        long at = 0;
        var staging = new float[Math.Max(weightLength, 1)];
        foreach (var w in weights)
        {
            w.CopyTo(staging, at);
            at += RoundUp(w.Length);
        }
        _weights.View.CopyFromCPU(_stream, new ReadOnlySpan<float>(staging));
        _activations.View.MemSetToZero(_stream);
        _stream.Synchronize();
        double uploadMs = sw.Elapsed.TotalMilliseconds;

        sw.Restart();
        foreach (var n in partition.Nodes)
            Emit(n, packed[n]);
        loadMs += sw.Elapsed.TotalMilliseconds;
        _inputs = partition.Inputs.Where(v => !_byteInputs.ContainsKey(v)).Select(v => (v, Act(v))).ToArray();
        _outputs = partition.Outputs.Select(v => (v, Act(v))).ToArray();

        sw.Restart();
        foreach (var step in _steps)
            step();
        _stream.Synchronize();
        Timings = new IlgpuCompileTimings(loadMs, uploadMs, sw.Elapsed.TotalMilliseconds);
    }

    public void Run(IArena arena)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var (v, view) in _inputs)
            view.CopyFromCPU(_stream, (ReadOnlySpan<float>)arena.Span<float>(v));
        foreach (var (v, buffer) in _byteInputs)
            buffer.View.CopyFromCPU(_stream, (ReadOnlySpan<byte>)arena.Span<byte>(v));
        foreach (var step in _steps)
            step();
        foreach (var (v, view) in _outputs)
            view.CopyToCPU(_stream, arena.Span<float>(v));
        _stream.Synchronize();
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _stream.Dispose();
        foreach (var b in _byteInputs.Values)
            b.Dispose();
        _weights.Dispose();
        _activations.Dispose();
    }

    private int Threads(int n) => Math.Min(n, _maxThreads);

    private static long RoundUp(long n) => (n + Align - 1) / Align * Align;

    // ---- weights ---------------------------------------------------------------------------------------------

    /// <summary>Constants the kernels read as they are (Add/other inputs that happen to be constant).</summary>
    private static bool UsesRawConstant(Node n, Value v) => n is AddNode;

    private static float[] Zeros(int n) => new float[n];

    private static float[] Or(Value? v, int n) => v is null ? Zeros(n) : v.AsFloats().ToArray();

    /// <summary>[rows, cols] → [cols, rows].</summary>
    private static float[] Transpose(ReadOnlySpan<float> w, int rows, int cols)
    {
        var t = new float[w.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[(long)c * rows + r] = w[r * cols + c];
        return t;
    }

    private static bool IsPointwise(Conv2DNode c) =>
        c.KernelH == 1 && c.KernelW == 1 && c.StrideH == 1 && c.StrideW == 1 && c.Padding.IsZero;

    /// <summary>Packed device layouts per node, in the order <see cref="Emit"/> expects them.</summary>
    private static float[][] Pack(Node n)
    {
        switch (n)
        {
            case Conv2DNode c:
            {
                var w = c.Weights.Shape;
                int cout = w[0];
                if (IsPointwise(c))
                    return new[] { Transpose(c.Weights.AsFloats(), cout, w[3]), Or(c.Bias, cout) };
                return new[] { c.Weights.AsFloats().ToArray(), Or(c.Bias, cout) };
            }
            case DepthwiseConv2DNode d:
                return new[] { d.Weights.AsFloats().ToArray(), Or(d.Bias, d.Input.Shape[3]) };
            case FullyConnectedNode f:
            {
                var w = f.Weights.Shape;
                return new[] { Transpose(f.Weights.AsFloats(), w[0], w[1]), Or(f.Bias, w[0]) };
            }
            case BatchNormNode bn:
            {
                var (s, t) = BatchNormAffine.Compute(bn);
                return new[] { s, t };
            }
            case InvertedResidualNode irb:
            {
                int hidden = irb.HiddenChannels;
                int cin = irb.Input.Shape[3];
                int cout = irb.ProjectWeights.Shape[0];
                var project = Transpose(irb.ProjectWeights.AsFloats(), cout, hidden);
                var list = new List<float[]>();
                if (irb.ExpandWeights is { } ew)
                {
                    list.Add(Transpose(ew.AsFloats(), hidden, cin));
                    list.Add(Or(irb.ExpandBias, hidden));
                }
                list.Add(irb.DepthwiseWeights.AsFloats().ToArray());
                list.Add(Or(irb.DepthwiseBias, hidden));
                list.Add(project);
                list.Add(Or(irb.ProjectBias, cout));
                return list.ToArray();
            }
            default:
                return Array.Empty<float[]>();
        }
    }

    // ---- activations -----------------------------------------------------------------------------------------

    /// <summary>Reshape outputs share their input's storage.</summary>
    private readonly Dictionary<Value, Value> _alias = new(ReferenceEqualityComparer.Instance);

    private Value Root(Value v)
    {
        while (_alias.TryGetValue(v, out var a))
            v = a;
        return v;
    }

    /// <summary>Assigns every run-time value (and every inverted-residual block's depthwise scratch) an offset in one
    /// device buffer by liveness, through the shared <see cref="MemoryPlanner.PlanIntervals"/>. A value is alive from
    /// the node that defines it (partition inputs: before the first) to the last node that reads it (partition
    /// outputs: to the end); a scratch only at its own node. Reshape outputs share their input's storage.</summary>
    private void PlanActivations(Partition p, out long total)
    {
        foreach (var n in p.Nodes)
            if (n is ReshapeNode r)
                _alias[r.Output] = r.Input;

        // key is a Value or, for scratch, a Node; sizes in floats.
        var keys = new List<object>();
        var start = new Dictionary<object, int>(ReferenceEqualityComparer.Instance);
        var end = new Dictionary<object, int>(ReferenceEqualityComparer.Instance);
        var size = new Dictionary<object, long>(ReferenceEqualityComparer.Instance);
        void Define(object key, long elements, int at)
        {
            if (!start.ContainsKey(key))
            {
                keys.Add(key);
                start[key] = at;
                end[key] = at;
                size[key] = elements;
            }
        }
        void Use(object key, int at)
        {
            if (end.TryGetValue(key, out int e) && at > e)
                end[key] = at;
        }
        foreach (var v in p.Inputs)
            if (v.DataType == DataType.Float32)
                Define(Root(v), v.ElementCount, -1);
        for (int i = 0; i < p.Nodes.Count; i++)
        {
            var n = p.Nodes[i];
            foreach (var v in n.Inputs)
                if (v is { IsConstant: false })
                    Use(Root(v), i);
            foreach (var o in n.Outputs)
            {
                Define(Root(o), Root(o).ElementCount, i);
                Use(Root(o), i);
            }
            if (n is InvertedResidualNode irb)
            {
                var os = irb.Output.Shape;
                Define(irb, (long)os[0] * os[1] * os[2] * irb.HiddenChannels, i);
            }
        }
        foreach (var v in p.Outputs)
            Use(Root(v), int.MaxValue);

        var plan = MemoryPlanner.PlanIntervals(keys
            .Select(k => new LiveInterval(k, size[k] * sizeof(float), start[k], end[k], Align * sizeof(float)))
            .ToList());
        total = plan.PeakBytes / sizeof(float);
        foreach (var placed in plan.Placed)
        {
            long off = placed.Offset / sizeof(float);
            if (placed.Key is Value v)
                _activationOffsets[v] = off;
            else
                _scratchOffsets[(Node)placed.Key] = off;
        }
    }

    private ArrayView1D<float, Stride1D.Dense> Act(Value v)
    {
        var root = Root(v);
        if (!_activationOffsets.TryGetValue(root, out long off))
            throw new InvalidOperationException($"value '{v.Name}' has no device storage in this partition (is it a partition input?)");
        return _activations.View.SubView(off, v.ElementCount);
    }

    private ArrayView<float> View(Value v) =>
        v.IsConstant ? _weights.View.SubView(_weightOffsets[v], v.ElementCount) : Act(v);

    // ---- kernel launches -------------------------------------------------------------------------------------

    private static WindowShape Window(Value x, Value y) => new()
    {
        N = x.Shape[0], InH = x.Shape[1], InW = x.Shape[2], InC = x.Shape[3],
        OutH = y.Shape[1], OutW = y.Shape[2], OutC = y.Shape[3],
    };

    private void Emit(Node node, long[] w)
    {
        var k = _k;
        var stream = _stream;
        var (gt, gk) = (_gemmThreads, _gemmTileK);
        ArrayView<float> W(int i, long length) => _weights.View.SubView(w[i], length);
        switch (node)
        {
            case Conv2DNode c:
            {
                var x = Act(c.Input);
                var y = Act(c.Output);
                var ws = c.Weights.Shape;
                var wv = W(0, c.Weights.ElementCount);
                var bv = W(1, ws[0]);
                if (IsPointwise(c))
                {
                    var s = new GemmShape { M = (int)(c.Input.ElementCount / ws[3]), N = ws[0], K = ws[3] };
                    var launch = k.Gemm[c.Activation];
                    var cfg = GemmKernels.Config(s.M, s.N, _gemm, _maxGroups);
                    _steps.Add(() => launch(stream, cfg, x, wv, bv, y, y, s, gt, gk));
                }
                else
                {
                    var s = Window(c.Input, c.Output);
                    s.PadTop = c.Padding.Top;
                    s.PadLeft = c.Padding.Left;
                    var launch = k.Conv2D[c.Activation];
                    int n = (int)c.Output.ElementCount;
                    var (kh, kw, sh, swd) = (SpecializedValue.New(c.KernelH), SpecializedValue.New(c.KernelW), SpecializedValue.New(c.StrideH), SpecializedValue.New(c.StrideW));
                    _steps.Add(() => launch(stream, Threads(n), n, Threads(n), x, wv, bv, y, s, kh, kw, sh, swd));
                }
                break;
            }
            case DepthwiseConv2DNode d:
            {
                var x = Act(d.Input);
                var y = Act(d.Output);
                var s = Window(d.Input, d.Output);
                s.PadTop = d.Padding.Top;
                s.PadLeft = d.Padding.Left;
                var wv = W(0, d.Weights.ElementCount);
                var bv = W(1, s.InC);
                var launch = k.Depthwise[d.Activation];
                int n = (int)d.Output.ElementCount;
                var (kh, kw, sh, swd) = (SpecializedValue.New(d.KernelH), SpecializedValue.New(d.KernelW), SpecializedValue.New(d.StrideH), SpecializedValue.New(d.StrideW));
                _steps.Add(() => launch(stream, Threads(n), n, Threads(n), x, wv, bv, y, s, kh, kw, sh, swd));
                break;
            }
            case FullyConnectedNode f:
            {
                var x = Act(f.Input);
                var y = Act(f.Output);
                var ws = f.Weights.Shape;
                var s = new GemmShape { M = f.Output.Shape[0], N = ws[0], K = ws[1] };
                var wv = W(0, f.Weights.ElementCount);
                var bv = W(1, ws[0]);
                var launch = k.Gemm[f.Activation];
                var cfg = GemmKernels.Config(s.M, s.N, _gemm, _maxGroups);
                _steps.Add(() => launch(stream, cfg, x, wv, bv, y, y, s, gt, gk));
                break;
            }
            case InvertedResidualNode irb:
            {
                var x = Act(irb.Input);
                var y = Act(irb.Output);
                var xs = irb.Input.Shape;
                var os = irb.Output.Shape;
                int hidden = irb.HiddenChannels;
                int cout = os[3];
                var dwOut = _activations.View.SubView(_scratchOffsets[irb], (long)os[0] * os[1] * os[2] * hidden);
                int i = 0;
                var stride = SpecializedValue.New(irb.Stride);
                if (irb.ExpandWeights is not null)
                {
                    var we = W(i++, (long)xs[3] * hidden);
                    var be = W(i++, hidden);
                    var wd = W(i++, 9L * hidden);
                    var bd = W(i++, hidden);
                    var s = new ExpandDepthwiseShape
                    {
                        N = xs[0], InH = xs[1], InW = xs[2], InC = xs[3], Hidden = hidden, OutH = os[1], OutW = os[2],
                        PadTop = irb.Padding.Top, PadLeft = irb.Padding.Left,
                        TilesX = (os[2] + InvertedResidualKernels.OutTile - 1) / InvertedResidualKernels.OutTile,
                        TilesY = (os[1] + InvertedResidualKernels.OutTile - 1) / InvertedResidualKernels.OutTile,
                    };
                    var launch = k.ExpandDepthwise(irb.ExpandActivation, irb.DepthwiseActivation);
                    var cfg = InvertedResidualKernels.Config(s, _groupSize, _maxGroups);
                    _steps.Add(() => launch(stream, cfg, x, we, be, wd, bd, dwOut, s, stride));
                }
                else
                {
                    var wd = W(i++, 9L * hidden);
                    var bd = W(i++, hidden);
                    var s = new WindowShape
                    {
                        N = xs[0], InH = xs[1], InW = xs[2], InC = xs[3], OutH = os[1], OutW = os[2], OutC = hidden,
                        PadTop = irb.Padding.Top, PadLeft = irb.Padding.Left,
                    };
                    var launch = k.Depthwise[irb.DepthwiseActivation];
                    int n = (int)dwOut.Length;
                    var three = SpecializedValue.New(3);
                    _steps.Add(() => launch(stream, Threads(n), n, Threads(n), x, wd, bd, dwOut, s, three, three, stride, stride));
                }
                var wp = W(i++, (long)hidden * cout);
                var bp = W(i, cout);
                var g = new GemmShape { M = os[0] * os[1] * os[2], N = cout, K = hidden, Residual = irb.Residual ? 1 : 0 };
                var project = k.Gemm[irb.ProjectActivation];
                var pcfg = GemmKernels.Config(g.M, g.N, _gemm, _maxGroups);
                ArrayView<float> residual = irb.Residual ? x : y;
                _steps.Add(() => project(stream, pcfg, dwOut, wp, bp, residual, y, g, gt, gk));
                break;
            }
            case GlobalAveragePoolNode gp:
            {
                var x = Act(gp.Input);
                var y = Act(gp.Output);
                var s = Window(gp.Input, gp.Output);
                var launch = k.GlobalAveragePool.Value;
                int n = (int)gp.Output.ElementCount;
                _steps.Add(() => launch(stream, Threads(n), n, Threads(n), x, y, s));
                break;
            }
            case AveragePool2DNode ap:
            {
                var x = Act(ap.Input);
                var y = Act(ap.Output);
                var s = Window(ap.Input, ap.Output);
                s.PadTop = ap.Padding.Top;
                s.PadLeft = ap.Padding.Left;
                var launch = k.AveragePool.Value;
                int n = (int)ap.Output.ElementCount;
                var (kh, kw, sh, swd) = (SpecializedValue.New(ap.KernelH), SpecializedValue.New(ap.KernelW), SpecializedValue.New(ap.StrideH), SpecializedValue.New(ap.StrideW));
                _steps.Add(() => launch(stream, Threads(n), n, Threads(n), x, y, s, kh, kw, sh, swd));
                break;
            }
            case AddNode add:
            {
                var a = View(add.Inputs[0]!);
                var b = View(add.Inputs[1]!);
                var y = Act(add.Output);
                var launch = k.Add[add.Activation];
                int n = (int)add.Output.ElementCount;
                _steps.Add(() => launch(stream, Threads(n), n, Threads(n), a, b, y));
                break;
            }
            case ActivationNode an:
            {
                var (lo, hi) = an.Kind switch
                {
                    ActKind.None => (float.NegativeInfinity, float.PositiveInfinity),
                    ActKind.Relu => (0f, float.PositiveInfinity),
                    ActKind.Relu6 => (0f, 6f),
                    _ => throw an.Error($"activation {an.Kind} is not supported on ILGPU"),
                };
                EmitClip(an.Input, an.Output, lo, hi);
                break;
            }
            case ClipNode cl:
                EmitClip(cl.Input, cl.Output, cl.Min, cl.Max);
                break;
            case BatchNormNode bn:
            {
                var x = Act(bn.Input);
                var y = Act(bn.Output);
                int c = bn.Input.Shape[^1];
                var sv = W(0, c);
                var tv = W(1, c);
                var launch = k.ChannelAffine.Value;
                int n = (int)bn.Output.ElementCount;
                _steps.Add(() => launch(stream, Threads(n), n, Threads(n), x, sv, tv, y, c));
                break;
            }
            case ReshapeNode:
                break; // aliases its input
            case TransposeNode tr:
            {
                var x = Act(tr.Input);
                var y = Act(tr.Output);
                int rank = tr.Input.Rank;
                var inStrides = new long[rank];
                long st = 1;
                for (int a = rank - 1; a >= 0; a--)
                {
                    inStrides[a] = st;
                    st *= tr.Input.Shape[a];
                }
                // output axis j walks input axis Perm[j]; pad to rank 4 with leading size-1 axes
                var dims = new int[4];
                var strides = new long[4];
                for (int j = 0; j < 4; j++)
                {
                    int src = j - (4 - rank);
                    dims[j] = src < 0 ? 1 : tr.Output.Shape[src];
                    strides[j] = src < 0 ? 0 : inStrides[tr.Perm[src]];
                }
                var s = new TransposeShape { D1 = dims[1], D2 = dims[2], D3 = dims[3], S0 = strides[0], S1 = strides[1], S2 = strides[2], S3 = strides[3] };
                var launch = k.Transpose.Value;
                int n = (int)tr.Output.ElementCount;
                _steps.Add(() => launch(stream, Threads(n), n, Threads(n), x, y, s));
                break;
            }
            case DequantizeNode dq:
            {
                var x = _byteInputs[dq.Input].View;
                var y = Act(dq.Output);
                var q = dq.Input.Quantization!;
                float scale = q.Scale;
                int zeroPoint = (int)q.ZeroPoint;
                int signed = dq.Input.DataType == DataType.Int8 ? 1 : 0;
                var launch = k.Dequantize.Value;
                int n = (int)dq.Output.ElementCount;
                _steps.Add(() => launch(stream, Threads(n), n, Threads(n), x, y, scale, zeroPoint, signed));
                break;
            }
            case SoftmaxNode sm:
            {
                var x = Act(sm.Input);
                var y = Act(sm.Output);
                int cols = sm.Input.Shape[^1];
                int rows = (int)(sm.Input.ElementCount / cols);
                var launch = k.Softmax.Value;
                var cfg = ElementwiseKernels.SoftmaxConfig(rows, _groupSize, _maxGroups);
                float beta = sm.Beta;
                _steps.Add(() => launch(stream, cfg, x, y, rows, cols, beta));
                break;
            }
            case PadNode pad:
            {
                var x = Act(pad.Input);
                var y = Act(pad.Output);
                var i = pad.Input.Shape;
                var o = pad.Output.Shape;
                var s = new PadShape
                {
                    InD0 = i[0], InD1 = i[1], InD2 = i[2], InD3 = i[3], OutD1 = o[1], OutD2 = o[2], OutD3 = o[3],
                    Before0 = pad.Before[0], Before1 = pad.Before[1], Before2 = pad.Before[2], Before3 = pad.Before[3],
                    Value = pad.PadValue,
                };
                var launch = k.Pad.Value;
                int n = (int)pad.Output.ElementCount;
                _steps.Add(() => launch(stream, Threads(n), n, Threads(n), x, y, s));
                break;
            }
            default:
                throw node.Error("cannot run on ILGPU");
        }
    }

    private void EmitClip(Value input, Value output, float lo, float hi)
    {
        var x = Act(input);
        var y = Act(output);
        var launch = _k.Clip.Value;
        var stream = _stream;
        int n = (int)output.ElementCount;
        _steps.Add(() => launch(stream, Threads(n), n, Threads(n), x, y, lo, hi));
    }
}
