using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Reference;

/// <summary>
/// The managed reference backend ("managed"): plain, obviously-correct C# loops for every float op, accumulating in
/// double. Shares no code with the native kernels; tests use it as the oracle. Single-threaded and slow by design.
/// Which ops exist is decided by <see cref="ReferenceOps"/>, the single factory of this backend.
/// </summary>
public sealed class ReferenceBackend : IBackend
{
    public const string BackendName = "managed";
    public string Name => BackendName;
    public bool IsReference => true;
    public int Priority => BackendPriority.Reference;
    /// <summary>The host CPU (the same device as the native backend's; this backend uses one thread of it).</summary>
    public IReadOnlyList<DeviceInfo> Devices => new[] { HostCpuDevice.Info };

    public bool Supports(Node node, out string reason) => ReferenceOps.Plan(node, out reason) is not null;

    public ICompiledPartition Compile(Partition partition, DeviceInfo device, CompileOptions options)
    {
        ArgumentNullException.ThrowIfNull(partition);
        var steps = new List<ReferenceStep>();
        foreach (var node in partition.Nodes)
        {
            var factory = ReferenceOps.Plan(node, out string reason)
                ?? throw new NotSupportedException($"backend 'managed' cannot run node '{node.Name}' ({node.Op}): {reason}");
            steps.Add(factory());
        }
        return new ReferencePartition(steps);
    }

    private sealed class ReferencePartition : ICompiledPartition
    {
        private readonly List<ReferenceStep> _steps;
        public ReferencePartition(List<ReferenceStep> steps) => _steps = steps;

        public void Run(IArena arena)
        {
            foreach (var s in _steps)
                s.Run(arena);
        }

        public void Dispose() => _steps.Clear();
    }
}

/// <summary>One node compiled for the reference backend.</summary>
internal abstract class ReferenceStep
{
    public abstract void Run(IArena arena);
}

/// <summary>Creates a reference step (at compile time).</summary>
internal delegate ReferenceStep ReferenceStepFactory();

/// <summary>Scalar helpers of the reference backend.</summary>
internal static class RefMath
{
    public static double Activate(double x, Activation a) => a switch
    {
        Activation.None => x,
        Activation.Relu => Math.Max(x, 0.0),
        Activation.Relu6 => Math.Min(Math.Max(x, 0.0), 6.0),
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, "unknown activation"),
    };

    /// <summary>A float constant's data, or null for an absent optional input.</summary>
    public static float[]? Data(Value? v) => v?.AsFloats().ToArray();
}
