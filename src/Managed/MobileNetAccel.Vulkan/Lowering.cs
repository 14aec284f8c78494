using System.Runtime.InteropServices;
using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using MobileNetAccel.Vulkan.Ops;

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
    internal const int ExpandChannelBlock = 32;

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
            var op = VulkanOps.Plan(node, out var reason)
                ?? throw new NotSupportedException($"Vulkan: node '{node.Name}' ({node.Op}): {reason}");
            op.Lower(b);
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

    /// <summary>What a <see cref="VulkanOp"/> lowers into: the program being built (dispatches, tensors with their
    /// liveness in dispatch steps, the weight blob) on one device.</summary>
    internal sealed class Builder
    {
        private readonly VulkanDevice _device;
        private readonly Dictionary<Value, Binding> _constants = new(ReferenceEqualityComparer.Instance);
        public readonly MemoryStream WeightBlob = new();
        public readonly Program Program = new();

        public Builder(VulkanDevice device) => _device = device;

        public VulkanDevice Device => _device;

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

        public Binding Read(Value v)
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

        public Binding Write(Value v)
        {
            var t = TensorFor(v);
            t.First = Math.Min(t.First, Step);
            return new Binding { Tensor = t };
        }

        public Binding Temp(string name, long bytes)
        {
            var t = new Tensor(name, bytes) { First = Step, Last = Step };
            Program.Tensors.Add(t);
            return new Binding { Tensor = t };
        }

        public Binding ReadTemp(Binding temp)
        {
            temp.Tensor!.Last = Math.Max(temp.Tensor.Last, Step);
            return temp;
        }

        public Binding Weights(ReadOnlySpan<float> data)
        {
            long align = (long)_device.StorageAlignment;
            long offset = (WeightBlob.Length + align - 1) / align * align;
            WeightBlob.SetLength(offset);
            WeightBlob.Position = offset;
            WeightBlob.Write(MemoryMarshal.AsBytes(data));
            return new Binding { WeightOffset = offset, WeightBytes = (long)data.Length * 4 };
        }

        public Binding BiasOrZero(Value? bias, int count) => bias is null ? Weights(new float[count]) : Read(bias);

        public void Add(string shader, string what, int[] spec, int[] push, Binding[] bindings, (uint X, uint Y, uint Z) groups)
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
        public static (uint, uint, uint) Linear(long total, string what)
        {
            if (total > uint.MaxValue)
                throw new VulkanException($"Vulkan: {what} has {total} elements, more than 2^32");
            long groups = Math.Max(1, (total + LocalSize - 1) / LocalSize);
            long x = Math.Min(groups, 65535);
            long y = (groups + x - 1) / x;
            return ((uint)x, (uint)y, 1);
        }

        public static int Bits(float f) => BitConverter.SingleToInt32Bits(f);

        public void Gemm(string what, Binding a, Binding w, Binding bias, Binding? residual, Binding c, long m, int n, int k, Activation act)
        {
            if (m > int.MaxValue || (long)m * n > uint.MaxValue || (long)m * k > uint.MaxValue)
                throw new VulkanException($"Vulkan: {what}: a {m}x{k} by {k}x{n} product is too large for 32-bit indexing; use a smaller batch");
            Add("gemm", what, new[] { (int)act, residual is null ? 0 : 1 }, new[] { (int)m, n, k },
                new[] { a, w, bias, residual ?? bias, c },
                ((uint)((n + 63) / 64), (uint)((m + 63) / 64), 1));
        }

        /// <summary>Same bytes, new shape: <paramref name="output"/> shares <paramref name="input"/>'s device memory
        /// (no dispatch); a constant input is bound wherever the output is read.</summary>
        public void Alias(Value output, Value input)
        {
            var t = Read(input).Tensor;
            if (t is null)
            {
                // Reshape of a constant: materialise nothing, bind the constant where the output is read.
                _constants[output] = Read(input);
                return;
            }
            Program.TensorOf[output] = t;
        }

        public void Clamp(Node n, float lo, float hi)
        {
            long total = n.Output.ElementCount;
            Add("clamp", n.Name, Array.Empty<int>(), new[] { (int)total, Bits(lo), Bits(hi) },
                new[] { Read(n.Input), Write(n.Output) }, Linear(total, n.Name));
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
