using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends;

/// <summary>Options a backend compiles with.</summary>
public sealed class CompileOptions
{
    /// <summary>Threads for intra-op parallelism (CPU backends).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Most bytes the executor may plan (arena + packed weights); 0 = no check.</summary>
    public long MemoryLimitBytes { get; init; }

    /// <summary>CPU backends: use the process-wide worker pool of <see cref="Threads"/> threads shared by every session
    /// (default true), or one of the partition's own.</summary>
    public bool SharedThreadPool { get; init; } = true;
}

/// <summary>A partition compiled for one device: weights packed/uploaded once, then run many times.</summary>
public interface ICompiledPartition : IDisposable
{
    /// <summary>Reads the partition's inputs from the arena, computes, writes its outputs to the arena.
    /// Runs on one compiled partition are serialised by the caller unless <see cref="SupportsConcurrentRuns"/>.</summary>
    void Run(IArena arena);

    /// <summary>True when <see cref="Run"/> may be called from several threads at once, each with its own arena
    /// (the partition keeps no mutable state outside the arena: immutable packed weights, thread-local scratch).
    /// Default false: the executor serialises the partition's runs (other partitions still overlap).</summary>
    bool SupportsConcurrentRuns => false;
}

/// <summary>
/// A backend: says which nodes it can run, compiles a partition once for a device, runs it.
/// Backends own packing and kernels; the executor owns planning, partitioning, transfers and the arena.
/// </summary>
public interface IBackend
{
    /// <summary>Name used on the CLI and in <c>SessionOptions.Backend</c>, e.g. "cpu", "managed", "ilgpu-cuda", "vulkan".</summary>
    string Name { get; }

    /// <summary>True for an oracle backend (plain loops, slow by design): "auto" does not choose it, only falls back to it
    /// for nodes no other backend can run.</summary>
    bool IsReference => false;

    /// <summary>Order among backends, higher first: the order of <see cref="BackendRegistry.All"/>, in which fallbacks are
    /// tried and calibration ties are broken (registration order among equals). Built-ins: native CPU
    /// <see cref="BackendPriority.NativeCpu"/>, reference <see cref="BackendPriority.Reference"/>; others default 0.</summary>
    int Priority => 0;

    /// <summary>Devices this backend can use on this machine (empty when none: then it is unavailable).</summary>
    IReadOnlyList<DeviceInfo> Devices { get; }

    /// <summary>When <see cref="Devices"/> is empty: why (e.g. the system library that could not be loaded, each path
    /// tried and the loader's message); "" when the backend does not say. Part of the "has no device" message.</summary>
    string UnavailableReason => "";

    /// <summary>Whether this backend can run the node; when not, <paramref name="reason"/> says why.</summary>
    bool Supports(Node node, out string reason);

    /// <summary>Compiles the partition for the device. Every node of the partition is supported.</summary>
    ICompiledPartition Compile(Partition partition, DeviceInfo device, CompileOptions options);
}

/// <summary>The priorities the built-in backends describe themselves with (<see cref="IBackend.Priority"/>).</summary>
public static class BackendPriority
{
    public const int NativeCpu = 200;
    public const int Reference = 100;
    public const int Default = 0;
}
