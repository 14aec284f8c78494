using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native;

/// <summary>
/// The native CPU backend ("cpu"): every op is a P/Invoke call into the C kernels of native/ (libmna), through
/// <see cref="NativeKernels"/>. Weights are copied once, at compile time, into 64-byte aligned native memory; the
/// fused inverted-residual block is one mna_f32_irb call. Intra-op parallelism uses the process-wide
/// <see cref="NativeThreadPool.Shared"/> pool of <see cref="CompileOptions.Threads"/> threads (or a pool of the
/// partition's own when <see cref="CompileOptions.SharedThreadPool"/> is false); idle workers block after a short poll.
/// Which ops exist is decided by <see cref="NativeOps"/>, the single factory of this backend.
/// </summary>
public sealed class NativeCpuBackend : IBackend
{
    public const string BackendName = "cpu";
    public string Name => BackendName;
    public int Priority => BackendPriority.NativeCpu;

    public IReadOnlyList<DeviceInfo> Devices => new[] { HostCpuDevice.Info };

    public bool Supports(Node node, out string reason) => NativeOps.Plan(node, out reason) is not null;

    public ICompiledPartition Compile(Partition partition, DeviceInfo device, CompileOptions options)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Threads < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.Threads, "threads must be at least 1");
        return new NativeCompiledPartition(partition, options.Threads, options.SharedThreadPool);
    }
}

/// <summary>A partition compiled for the native CPU backend: one step per node, run in order.</summary>
internal sealed class NativeCompiledPartition : IProfiledPartition
{
    private readonly List<NativeStep> _steps = new();
    private readonly NativeThreadPool _pool;

    public NativeCompiledPartition(Partition partition, int threads, bool sharedPool)
    {
        _pool = sharedPool ? NativeThreadPool.Shared(threads) : NativeThreadPool.Create(threads);
        var context = new NativeContext(_pool);
        try
        {
            foreach (var node in partition.Nodes)
            {
                var factory = NativeOps.Plan(node, out string reason)
                    ?? throw new NotSupportedException($"backend 'cpu' cannot run node '{node.Name}' ({node.Op}): {reason}");
                _steps.Add(factory(context));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Run(IArena arena)
    {
        foreach (var step in _steps)
        {
            if (step.IsReentrant)
                step.Run(arena);
            else
                lock (step)
                    step.Run(arena);
        }
    }

    public void RunProfiled(IArena arena, Span<long> nodeTicks)
    {
        if (nodeTicks.Length != _steps.Count)
            throw new ArgumentException($"{_steps.Count} nodes but {nodeTicks.Length} slots", nameof(nodeTicks));
        for (int i = 0; i < _steps.Count; i++)
        {
            var step = _steps[i];
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            if (step.IsReentrant)
                step.Run(arena);
            else
                lock (step)
                    step.Run(arena);
            nodeTicks[i] = System.Diagnostics.Stopwatch.GetTimestamp() - t0;
        }
    }

    /// <summary>Steps are reentrant (or serialised one by one above), so whole runs may overlap.</summary>
    public bool SupportsConcurrentRuns => true;

    public void Dispose()
    {
        foreach (var s in _steps)
            s.Dispose();
        _steps.Clear();
        _pool.Dispose();
    }
}
