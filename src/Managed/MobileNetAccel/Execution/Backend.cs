using MobileNetAccel.Graph;

namespace MobileNetAccel.Execution;

/// <summary>What kind of device a backend runs on.</summary>
public enum DeviceKind
{
    Cpu,
    Gpu,
    /// <summary>A GPU API implemented on the CPU (ILGPU's CPU accelerator, Mesa lavapipe).</summary>
    CpuEmulatedGpu,
}

/// <summary>A device a backend can run on.</summary>
/// <param name="Id">Stable id, e.g. "cpu", "ilgpu-cuda:0", "vulkan:0".</param>
/// <param name="Name">Human-readable name (CPU model, GPU name).</param>
/// <param name="Kind">cpu, gpu or cpu-emulated-gpu.</param>
/// <param name="MemoryBytes">Device memory (0 when unknown).</param>
/// <param name="Features">Free-form feature list (ISA, subgroup size, fp16/int8 support ...).</param>
public sealed record DeviceInfo(string Id, string Name, DeviceKind Kind, long MemoryBytes, string Features);

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

/// <summary>Options a backend compiles with.</summary>
public sealed class CompileOptions
{
    /// <summary>Threads for intra-op parallelism (CPU backends).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Most bytes the executor may plan (arena + packed weights; see <see cref="MemoryBudget"/>); 0 = no check.</summary>
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

/// <summary>
/// Backends that live in other assemblies (ILGPU, Vulkan) register here when the application references them
/// (an explicit call such as <c>IlgpuBackend.Register()</c>; no reflection-based discovery).
/// </summary>
public static class BackendRegistry
{
    private static readonly object Gate = new();
    private static readonly List<Func<IEnumerable<IBackend>>> Factories = new();

    /// <summary>Registers a factory producing backends (called lazily, may return none when no device is present).</summary>
    public static void Register(Func<IEnumerable<IBackend>> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        lock (Gate)
            Factories.Add(factory);
    }

    /// <summary>Backends registered by other assemblies.</summary>
    public static IReadOnlyList<IBackend> Registered()
    {
        List<Func<IEnumerable<IBackend>>> copy;
        lock (Gate)
            copy = Factories.ToList();
        return copy.SelectMany(f => f()).ToList();
    }
}
