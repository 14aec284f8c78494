using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;
using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Ilgpu.Kernels;
using MobileNetAccel.Ilgpu.Ops;

namespace MobileNetAccel.Ilgpu;

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

    /// <summary>Whether the ILGPU backend runs this node; when not, why (see <see cref="IlgpuOps"/>).</summary>
    public static bool Supports(Node node, out string reason) => IlgpuOps.Plan(node, out reason) is not null;

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
        var ops = new Dictionary<Node, IlgpuOp>(ReferenceEqualityComparer.Instance);
        foreach (var n in partition.Nodes)
            ops[n] = IlgpuOps.Plan(n, out var why) ?? throw n.Error($"cannot run on ILGPU: {why}");

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
            packed[n] = ops[n].Pack().Select(AddWeights).ToArray();
        foreach (var n in partition.Nodes)
            foreach (var v in ops[n].RawConstants)
                if (!_weightOffsets.ContainsKey(v))
                    _weightOffsets[v] = AddWeights(v.AsFloats().ToArray());

        foreach (var v in partition.Inputs)
            if (v.DataType is DataType.UInt8 or DataType.Int8)
                _byteInputs[v] = accelerator.Allocate1D<byte>(Math.Max(v.ElementCount, 1));
        foreach (var n in partition.Nodes)
            if (ops[n].ByteInput is { } bytes && !_byteInputs.ContainsKey(bytes))
                throw n.Error($"cannot run on ILGPU: '{bytes.Name}' is not an input of the partition (only graph inputs are dequantized on the device)");
        PlanActivations(partition, ops, out long activationLength);
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
        var emitter = new IlgpuEmitter
        {
            Kernels = _k, Stream = _stream, Gemm = _gemm, GemmThreads = _gemmThreads, GemmTileK = _gemmTileK,
            MaxGroups = _maxGroups, MaxThreads = _maxThreads, GroupSize = _groupSize,
            Weights = _weights, Activations = _activations, WeightOffsets = _weightOffsets, ScratchOffsets = _scratchOffsets,
            ByteInputs = _byteInputs, Act = Act, Steps = _steps,
        };
        foreach (var n in partition.Nodes)
            ops[n].Emit(emitter, packed[n]);
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

    private static long RoundUp(long n) => (n + Align - 1) / Align * Align;

    // ---- activations -----------------------------------------------------------------------------------------

    /// <summary>Outputs that share another value's storage (<see cref="IlgpuOp.OutputAliases"/>: reshape).</summary>
    private readonly Dictionary<Value, Value> _alias = new(ReferenceEqualityComparer.Instance);

    private Value Root(Value v)
    {
        while (_alias.TryGetValue(v, out var a))
            v = a;
        return v;
    }

    /// <summary>Assigns every run-time value (and every node's scratch, e.g. an inverted-residual block's depthwise
    /// output) an offset in one device buffer by liveness, through the shared <see cref="MemoryPlanner.PlanIntervals"/>.
    /// A value is alive from the node that defines it (partition inputs: before the first) to the last node that reads
    /// it (partition outputs: to the end); a scratch only at its own node. Aliased outputs (reshape) share their
    /// source's storage.</summary>
    private void PlanActivations(Partition p, Dictionary<Node, IlgpuOp> ops, out long total)
    {
        foreach (var n in p.Nodes)
            if (ops[n].OutputAliases is { } source)
                _alias[n.Output] = source;

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
                Define(Root(v), Floats(v), -1);
        for (int i = 0; i < p.Nodes.Count; i++)
        {
            var n = p.Nodes[i];
            foreach (var v in n.Inputs)
                if (v is { IsConstant: false })
                    Use(Root(v), i);
            foreach (var o in n.Outputs)
            {
                Define(Root(o), Floats(Root(o)), i);
                Use(Root(o), i);
            }
            if (ops[n].ScratchElements > 0)
                Define(n, ops[n].ScratchElements, i);
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
        return _activations.View.SubView(off, Floats(v));
    }

    /// <summary>Floats of device storage a value takes: its element count, twice that for an int64 value (ARG_MAX
    /// indices live in the float buffer, viewed as their integer type).</summary>
    private static long Floats(Value v) => (v.SizeInBytes + sizeof(float) - 1) / sizeof(float);
}
