using System.Runtime.InteropServices;
using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Vulkan;

/// <summary>
/// Turns the nodes of a partition into compute dispatches. Specialisation constants carry what changes the code
/// (kernel size, stride, activation, residual, tile size), push constants the tensor dimensions and padding, so the
/// number of pipelines stays small (a dozen or so for a whole MobileNet) and pipelines are shared across layers and
/// partitions. Weights are packed into one blob; activations become <see cref="Tensor"/>s placed by <see cref="Planner"/>.
/// </summary>
internal static class Lowering
{
    /// <summary>Work-group size of the one-invocation-per-element shaders.</summary>
    private const int LocalSize = 64;
    /// <summary>Hidden channels per work group of expand_dw.comp (its CB).</summary>
    private const int ExpandChannelBlock = 32;

    internal sealed class Binding
    {
        public Tensor? Tensor;
        public long WeightOffset;
        public long WeightBytes;
    }

    internal sealed class Dispatch
    {
        public required string Shader;
        public required string What;
        public required int[] Spec;
        public required byte[] Push;
        public required Binding[] Bindings;
        public uint GroupsX, GroupsY = 1, GroupsZ = 1;
    }

    internal sealed class Program
    {
        public byte[] Weights = Array.Empty<byte>();
        public List<Tensor> Tensors { get; } = new();
        public Dictionary<Value, Tensor> TensorOf { get; } = new(ReferenceEqualityComparer.Instance);
        public List<Dispatch> Dispatches { get; } = new();
    }

    /// <summary>Tests: take the unfused expand path (GEMM to device memory, then depthwise) that devices with too little
    /// shared memory for expand_dw.comp use.</summary>
    internal static bool ForceUnfusedExpand { get; set; }

    /// <summary>Whether the Vulkan backend runs this node; when not, why.</summary>
    public static bool Supports(Node node, out string reason)
    {
        if (node is DequantizeNode dq)
        {
            var q = dq.Input;
            if (q.DataType is not (DataType.UInt8 or DataType.Int8) || q.IsConstant || q.Quantization is not { IsPerChannel: false } || dq.Output.DataType != DataType.Float32)
            {
                reason = $"the Vulkan backend dequantizes per-tensor uint8/int8 run-time values to float32 only; '{q.Name}' is {q.DataType}" +
                    (q.Quantization is { IsPerChannel: true } ? " per-channel" : "");
                return false;
            }
            reason = "";
            return true;
        }
        foreach (var v in node.Inputs)
            if (v is not null && v.DataType != DataType.Float32)
            {
                reason = $"the Vulkan backend runs float32 only; input '{v.Name}' is {v.DataType}";
                return false;
            }
        foreach (var v in node.Outputs)
            if (v.DataType != DataType.Float32)
            {
                reason = $"the Vulkan backend runs float32 only; output '{v.Name}' is {v.DataType}";
                return false;
            }
        switch (node)
        {
            case Conv2DNode:
            case DepthwiseConv2DNode:
            case FullyConnectedNode:
            case InvertedResidualNode:
            case GlobalAveragePoolNode:
            case AveragePool2DNode:
            case SoftmaxNode:
            case ReshapeNode:
            case ActivationNode:
            case ClipNode:
                reason = "";
                return true;
            case AddNode add:
                if (!add.Inputs[0]!.Shape.SequenceEqual(add.Inputs[1]!.Shape))
                {
                    reason = $"the Vulkan add shader needs equal shapes; got {Value.FormatShape(add.Inputs[0]!.Shape)} and {Value.FormatShape(add.Inputs[1]!.Shape)}";
                    return false;
                }
                reason = "";
                return true;
            case BatchNormNode bn:
                for (int i = 1; i <= 4; i++)
                    if (bn.Inputs[i] is not { IsConstant: true })
                    {
                        reason = "the Vulkan backend needs constant batch-norm parameters";
                        return false;
                    }
                reason = "";
                return true;
            default:
                reason = $"the Vulkan backend has no shader for {node.Op}";
                return false;
        }
    }

    public static Program Lower(Partition partition, VulkanDevice device)
    {
        var b = new Builder(device);
        foreach (var v in partition.Inputs)
        {
            bool quantizedInput = v.DataType is DataType.UInt8 or DataType.Int8 && partition.Nodes.All(n => n is DequantizeNode || !n.Inputs.Contains(v));
            if (v.DataType != DataType.Float32 && !quantizedInput)
                throw new NotSupportedException($"Vulkan: partition input '{v.Name}' is {v.DataType}; only float32 (or uint8/int8 read by a Dequantize) is supported");
            var t = b.TensorFor(v);
            t.First = -1;
        }
        foreach (var node in partition.Nodes)
        {
            if (!Supports(node, out var reason))
                throw new NotSupportedException($"Vulkan: node '{node.Name}' ({node.Op}): {reason}");
            b.Lower(node);
        }
        foreach (var v in partition.Outputs)
        {
            if (!b.Program.TensorOf.TryGetValue(v, out var t))
                throw new ArgumentException($"Vulkan: partition output '{v.Name}' is neither produced by the partition nor one of its inputs");
            t.Last = int.MaxValue;
        }
        b.Program.Weights = b.WeightBlob.ToArray();
        foreach (var t in b.Program.Tensors)
            t.Last = Math.Max(t.Last, t.First);
        return b.Program;
    }

    private sealed class Builder
    {
        private readonly VulkanDevice _device;
        private readonly Dictionary<Value, Binding> _constants = new(ReferenceEqualityComparer.Instance);
        public readonly MemoryStream WeightBlob = new();
        public readonly Program Program = new();

        public Builder(VulkanDevice device) => _device = device;

        private int Step => Program.Dispatches.Count;

        public Tensor TensorFor(Value v)
        {
            if (!Program.TensorOf.TryGetValue(v, out var t))
            {
                t = new Tensor(v.Name, v.SizeInBytes) { First = int.MaxValue, Last = -1 };
                Program.Tensors.Add(t);
                Program.TensorOf[v] = t;
            }
            return t;
        }

        private Binding Read(Value v)
        {
            if (_constants.TryGetValue(v, out var known))
                return known;
            if (v.IsConstant)
                return _constants[v] = Weights(v.AsFloats());
            if (!Program.TensorOf.TryGetValue(v, out var t))
                throw new ArgumentException($"Vulkan: value '{v.Name}' is read before it is produced (not a partition input?)");
            t.Last = Math.Max(t.Last, Step);
            return new Binding { Tensor = t };
        }

        private Binding Write(Value v)
        {
            var t = TensorFor(v);
            t.First = Math.Min(t.First, Step);
            return new Binding { Tensor = t };
        }

        private Binding Temp(string name, long bytes)
        {
            var t = new Tensor(name, bytes) { First = Step, Last = Step };
            Program.Tensors.Add(t);
            return new Binding { Tensor = t };
        }

        private Binding ReadTemp(Binding temp)
        {
            temp.Tensor!.Last = Math.Max(temp.Tensor.Last, Step);
            return temp;
        }

        private Binding Weights(ReadOnlySpan<float> data)
        {
            long align = (long)_device.StorageAlignment;
            long offset = (WeightBlob.Length + align - 1) / align * align;
            WeightBlob.SetLength(offset);
            WeightBlob.Position = offset;
            WeightBlob.Write(MemoryMarshal.AsBytes(data));
            return new Binding { WeightOffset = offset, WeightBytes = (long)data.Length * 4 };
        }

        private Binding BiasOrZero(Value? bias, int count) => bias is null ? Weights(new float[count]) : Read(bias);

        private void Add(string shader, string what, int[] spec, int[] push, Binding[] bindings, (uint X, uint Y, uint Z) groups)
        {
            var bytes = new byte[push.Length * 4];
            MemoryMarshal.AsBytes(push.AsSpan()).CopyTo(bytes);
            int invocations = shader is "gemm" or "expand_dw" or "softmax" ? 256 : LocalSize;
            if (invocations > _device.Limits.MaxComputeWorkGroupInvocations)
                throw new VulkanException($"Vulkan: {what}: shader '{shader}' uses work groups of {invocations} invocations; device '{_device.Name}' allows {_device.Limits.MaxComputeWorkGroupInvocations}");
            var max = _device.MaxWorkGroupCount;
            if (groups.X > max.X || groups.Y > max.Y || groups.Z > max.Z)
                throw new VulkanException($"Vulkan: {what} needs {groups.X}x{groups.Y}x{groups.Z} work groups, more than device '{_device.Name}' allows ({max.X}x{max.Y}x{max.Z}); use a smaller batch");
            Program.Dispatches.Add(new Dispatch { Shader = shader, What = what, Spec = spec, Push = bytes, Bindings = bindings, GroupsX = groups.X, GroupsY = groups.Y, GroupsZ = groups.Z });
        }

        /// <summary>Groups for a 1-D problem of <paramref name="total"/> elements, spread over x and y (x ≤ 65535).</summary>
        private static (uint, uint, uint) Linear(long total, string what)
        {
            if (total > uint.MaxValue)
                throw new VulkanException($"Vulkan: {what} has {total} elements, more than 2^32");
            long groups = Math.Max(1, (total + LocalSize - 1) / LocalSize);
            long x = Math.Min(groups, 65535);
            long y = (groups + x - 1) / x;
            return ((uint)x, (uint)y, 1);
        }

        private static int Bits(float f) => BitConverter.SingleToInt32Bits(f);

        private void Gemm(string what, Binding a, Binding w, Binding bias, Binding? residual, Binding c, long m, int n, int k, Activation act)
        {
            if (m > int.MaxValue || (long)m * n > uint.MaxValue || (long)m * k > uint.MaxValue)
                throw new VulkanException($"Vulkan: {what}: a {m}x{k} by {k}x{n} product is too large for 32-bit indexing; use a smaller batch");
            Add("gemm", what, new[] { (int)act, residual is null ? 0 : 1 }, new[] { (int)m, n, k },
                new[] { a, w, bias, residual ?? bias, c },
                ((uint)((n + 63) / 64), (uint)((m + 63) / 64), 1));
        }

        public void Lower(Node node)
        {
            switch (node)
            {
                case Conv2DNode c:
                {
                    var x = c.Input.Shape;
                    var o = c.Output.Shape;
                    var bias = BiasOrZero(c.Bias, o[3]);
                    if (c.KernelH == 1 && c.KernelW == 1 && c.StrideH == 1 && c.StrideW == 1 && c.Padding.IsZero)
                    {
                        Gemm(c.Name, Read(c.Input), Read(c.Weights), bias, null, Write(c.Output), (long)x[0] * x[1] * x[2], o[3], x[3], c.Activation);
                        break;
                    }
                    long total = c.Output.ElementCount;
                    Add("conv", c.Name, new[] { c.KernelH, c.KernelW, c.StrideH, c.StrideW, (int)c.Activation },
                        new[] { (int)total, x[1], x[2], x[3], o[1], o[2], o[3], c.Padding.Top, c.Padding.Left },
                        new[] { Read(c.Input), Read(c.Weights), bias, Write(c.Output) }, Linear(total, c.Name));
                    break;
                }
                case DepthwiseConv2DNode d:
                {
                    var x = d.Input.Shape;
                    var o = d.Output.Shape;
                    long total = d.Output.ElementCount;
                    Add("dwconv", d.Name, new[] { d.KernelH, d.KernelW, d.StrideH, d.StrideW, (int)d.Activation },
                        new[] { (int)total, x[1], x[2], x[3], o[1], o[2], d.Padding.Top, d.Padding.Left },
                        new[] { Read(d.Input), Read(d.Weights), BiasOrZero(d.Bias, x[3]), Write(d.Output) }, Linear(total, d.Name));
                    break;
                }
                case FullyConnectedNode f:
                {
                    var w = f.Weights.Shape;
                    long rows = f.Input.ElementCount / w[1];
                    Gemm(f.Name, Read(f.Input), Read(f.Weights), BiasOrZero(f.Bias, w[0]), null, Write(f.Output), rows, w[0], w[1], f.Activation);
                    break;
                }
                case InvertedResidualNode irb:
                    LowerInvertedResidual(irb);
                    break;
                case AddNode add:
                {
                    long total = add.Output.ElementCount;
                    Add("add", add.Name, new[] { (int)add.Activation }, new[] { (int)total },
                        new[] { Read(add.Inputs[0]!), Read(add.Inputs[1]!), Write(add.Output) }, Linear(total, add.Name));
                    break;
                }
                case ActivationNode a:
                {
                    var (lo, hi) = a.Kind switch
                    {
                        Activation.Relu => (0f, float.PositiveInfinity),
                        Activation.Relu6 => (0f, 6f),
                        _ => (float.NegativeInfinity, float.PositiveInfinity),
                    };
                    Clamp(a, lo, hi);
                    break;
                }
                case ClipNode clip:
                    Clamp(clip, clip.Min, clip.Max);
                    break;
                case DequantizeNode dq:
                {
                    var qp = dq.Input.Quantization!;
                    long total = dq.Output.ElementCount;
                    Add("dequant", dq.Name, new[] { dq.Input.DataType == DataType.Int8 ? 1 : 0 },
                        new[] { (int)total, Bits(qp.Scale), (int)qp.ZeroPoint },
                        new[] { Read(dq.Input), Write(dq.Output) }, Linear(total, dq.Name));
                    break;
                }
                case BatchNormNode bn:
                {
                    int c = bn.Input.Shape[^1];
                    var (s, t) = BatchNormAffine.Compute(bn);
                    long total = bn.Output.ElementCount;
                    Add("affine", bn.Name, new[] { 0 }, new[] { (int)total, c },
                        new[] { Read(bn.Input), Weights(s), Weights(t), Write(bn.Output) }, Linear(total, bn.Name));
                    break;
                }
                case GlobalAveragePoolNode g:
                {
                    var x = g.Input.Shape;
                    long total = (long)x[0] * x[3];
                    Add("gap", g.Name, Array.Empty<int>(), new[] { (int)total, x[1] * x[2], x[3] },
                        new[] { Read(g.Input), Write(g.Output) }, Linear(total, g.Name));
                    break;
                }
                case AveragePool2DNode p:
                {
                    var x = p.Input.Shape;
                    var o = p.Output.Shape;
                    long total = p.Output.ElementCount;
                    Add("avgpool", p.Name, new[] { p.KernelH, p.KernelW, p.StrideH, p.StrideW, (int)p.Activation },
                        new[] { (int)total, x[1], x[2], x[3], o[1], o[2], p.Padding.Top, p.Padding.Left },
                        new[] { Read(p.Input), Write(p.Output) }, Linear(total, p.Name));
                    break;
                }
                case SoftmaxNode s:
                {
                    int cols = s.Input.Shape.Length == 0 ? 1 : s.Input.Shape[^1];
                    long rows = s.Input.ElementCount / Math.Max(cols, 1);
                    long x = Math.Clamp(rows, 1, 65535);
                    Add("softmax", s.Name, Array.Empty<int>(), new[] { (int)rows, cols, Bits(s.Beta) },
                        new[] { Read(s.Input), Write(s.Output) }, ((uint)x, (uint)((rows + x - 1) / x), 1));
                    break;
                }
                case ReshapeNode r:
                {
                    // Same bytes, new shape: the output shares the input's device memory (no dispatch).
                    var t = Read(r.Input).Tensor;
                    if (t is null)
                    {
                        // Reshape of a constant: materialise nothing, bind the constant where the output is read.
                        _constants[r.Output] = Read(r.Input);
                        break;
                    }
                    Program.TensorOf[r.Output] = t;
                    break;
                }
                default:
                    throw new NotSupportedException($"Vulkan: node '{node.Name}' ({node.Op}) has no shader");
            }
        }

        private void Clamp(Node n, float lo, float hi)
        {
            long total = n.Output.ElementCount;
            Add("clamp", n.Name, Array.Empty<int>(), new[] { (int)total, Bits(lo), Bits(hi) },
                new[] { Read(n.Input), Write(n.Output) }, Linear(total, n.Name));
        }

        private void LowerInvertedResidual(InvertedResidualNode irb)
        {
            var x = irb.Input.Shape;
            var o = irb.Output.Shape;
            int hidden = irb.HiddenChannels;
            int n = x[0];
            var pad = irb.Padding;
            var input = Read(irb.Input);
            var dwW = Read(irb.DepthwiseWeights);
            var dwB = BiasOrZero(irb.DepthwiseBias, hidden);
            long dwBytes = (long)n * o[1] * o[2] * hidden * 4;
            Binding dwOut;
            if (irb.ExpandWeights is { } ew)
            {
                var eB = BiasOrZero(irb.ExpandBias, hidden);
                var eW = Read(ew);
                int tile = irb.Stride == 1 ? 8 : 4;
                int it = (tile - 1) * irb.Stride + 3;
                long shared = ((long)it * it * ExpandChannelBlock + (long)it * it * 16 + ExpandChannelBlock * 17) * 4;
                if (shared <= _device.Limits.MaxComputeSharedMemorySize && !ForceUnfusedExpand)
                {
                    // Fused: the expanded tensor lives only in shared memory.
                    dwOut = Temp(irb.Name + "/dw", dwBytes);
                    int tilesX = (o[2] + tile - 1) / tile, tilesY = (o[1] + tile - 1) / tile;
                    Add("expand_dw", irb.Name + " (expand+depthwise)",
                        new[] { irb.Stride, tile, (int)irb.ExpandActivation, (int)irb.DepthwiseActivation },
                        new[] { x[1], x[2], x[3], hidden, o[1], o[2], pad.Top, pad.Left, tilesX },
                        new[] { input, eW, eB, dwW, dwB, dwOut },
                        ((uint)(tilesX * tilesY), (uint)((hidden + ExpandChannelBlock - 1) / ExpandChannelBlock), (uint)n));
                }
                else
                {
                    // Too little shared memory on this device: expand to device memory, then depthwise.
                    var expanded = Temp(irb.Name + "/expand", (long)n * x[1] * x[2] * hidden * 4);
                    Gemm(irb.Name + " (expand)", input, eW, eB, null, expanded, (long)n * x[1] * x[2], hidden, x[3], irb.ExpandActivation);
                    dwOut = Temp(irb.Name + "/dw", dwBytes);
                    long total = dwBytes / 4;
                    Add("dwconv", irb.Name + " (depthwise)", new[] { 3, 3, irb.Stride, irb.Stride, (int)irb.DepthwiseActivation },
                        new[] { (int)total, x[1], x[2], hidden, o[1], o[2], pad.Top, pad.Left },
                        new[] { ReadTemp(expanded), dwW, dwB, dwOut }, Linear(total, irb.Name));
                }
            }
            else
            {
                dwOut = Temp(irb.Name + "/dw", dwBytes);
                long total = dwBytes / 4;
                Add("dwconv", irb.Name + " (depthwise)", new[] { 3, 3, irb.Stride, irb.Stride, (int)irb.DepthwiseActivation },
                    new[] { (int)total, x[1], x[2], hidden, o[1], o[2], pad.Top, pad.Left },
                    new[] { input, dwW, dwB, dwOut }, Linear(total, irb.Name));
            }
            var residual = irb.Residual ? Read(irb.Input) : null;
            Gemm(irb.Name + " (project)", ReadTemp(dwOut), Read(irb.ProjectWeights), BiasOrZero(irb.ProjectBias, o[3]), residual,
                Write(irb.Output), (long)n * o[1] * o[2], o[3], hidden, irb.ProjectActivation);
        }
    }
}

/// <summary>An activation buffer region: a run-time value or a temporary between the dispatches of one node.</summary>
internal sealed class Tensor
{
    public Tensor(string name, long bytes)
    {
        Name = name;
        Bytes = bytes;
    }

    public string Name { get; }
    public long Bytes { get; }
    /// <summary>Dispatch index that first writes it (-1: uploaded before the first dispatch).</summary>
    public int First { get; set; }
    /// <summary>Last dispatch index that reads it (int.MaxValue: downloaded after the last dispatch).</summary>
    public int Last { get; set; }
    public ulong Offset { get; set; }
}

/// <summary>Places tensors in one buffer through the shared <see cref="MemoryPlanner.PlanIntervals"/>: tensors whose
/// [First, Last] intervals do not overlap may share bytes; each takes at least 4 bytes, offsets and sizes are
/// multiples of the device's storage alignment.</summary>
internal static class Planner
{
    /// <summary>Sets every tensor's <see cref="Tensor.Offset"/>.</summary>
    /// <returns>The buffer size needed.</returns>
    public static ulong Assign(IReadOnlyList<Tensor> tensors, ulong align)
    {
        var plan = MemoryPlanner.PlanIntervals(tensors
            .Select(t => new LiveInterval(t, Math.Max(t.Bytes, 4), t.First, t.Last, (long)Math.Max(align, 1)))
            .ToList());
        foreach (var placed in plan.Placed)
            ((Tensor)placed.Key).Offset = (ulong)placed.Offset;
        return (ulong)plan.PeakBytes;
    }
}
