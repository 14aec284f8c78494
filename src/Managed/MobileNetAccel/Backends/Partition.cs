using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends;

/// <summary>A run of nodes assigned to one backend and device. Inputs are values read from the host arena
/// (graph inputs, outputs of other partitions); outputs are written to it. Constants are not listed.</summary>
public sealed class Partition
{
    public Partition(IReadOnlyList<Node> nodes, IReadOnlyList<Value> inputs, IReadOnlyList<Value> outputs)
    {
        Nodes = nodes;
        Inputs = inputs;
        Outputs = outputs;
    }

    public IReadOnlyList<Node> Nodes { get; }
    public IReadOnlyList<Value> Inputs { get; }
    public IReadOnlyList<Value> Outputs { get; }
}

/// <summary>
/// Host memory of one run: every run-time value of the graph has a fixed, 64-byte aligned place in it (the planner
/// lets values whose lifetimes do not overlap share memory). Valid only for the duration of <see cref="ICompiledPartition.Run"/>.
/// </summary>
public interface IArena
{
    /// <summary>Pointer to the value's storage (SizeInBytes long).</summary>
    unsafe byte* Pointer(Value value);

    /// <summary>The value's storage as a span of T.</summary>
    Span<T> Span<T>(Value value) where T : unmanaged;
}
