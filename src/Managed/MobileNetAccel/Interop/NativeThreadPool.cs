using System.Runtime.InteropServices;

namespace MobileNetAccel.Interop;

/// <summary>A native worker pool (mna_threadpool). The calling thread takes part in every parallel region,
/// so <c>threads = 1</c> runs everything on the caller. Idle workers block; a worker that has just finished a
/// region polls for the next one for at most 100 µs first (environment variable <c>MNA_POOL_SPIN_US</c>, 0 = never),
/// less when polling has not been paying. A region ends when its work is done, whether or not every worker took part
/// (a worker the OS did not schedule in time does not hold it up). Several threads may use one pool at once: one
/// region runs on the pool's workers, and a caller that finds the pool busy runs its region on its own thread.
/// Sessions share one pool per thread count (<see cref="Shared"/>), so that N sessions on a machine start
/// <c>threads - 1</c> workers in all, not N times that.</summary>
internal sealed class NativeThreadPool : SafeHandle
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, Lazy<NativeThreadPool>> SharedPools = new();

    /// <summary>The process-wide pool of <paramref name="threads"/> threads, created on first use and kept for the life
    /// of the process (its workers block when idle). Do not dispose it.</summary>
    public static NativeThreadPool Shared(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var pool = SharedPools.GetOrAdd(threads, t => new Lazy<NativeThreadPool>(() =>
        {
            var p = Create(t);
            p.IsShared = true;
            return p;
        })).Value;
        return pool;
    }

    /// <summary>True for the process-wide pools of <see cref="Shared"/>; disposing one does nothing.</summary>
    public bool IsShared { get; private set; }

    protected override void Dispose(bool disposing)
    {
        if (IsShared)
            return;
        base.Dispose(disposing);
    }

    private NativeThreadPool() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    /// <summary>Creates a pool with <paramref name="threads"/> threads in all (>= 1).</summary>
    public static unsafe NativeThreadPool Create(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        nint h;
        NativeError.Check(NativeMethods.mna_threadpool_create(threads, &h), "mna_threadpool_create");
        var pool = new NativeThreadPool();
        pool.SetHandle(h);
        return pool;
    }

    public int Threads => NativeMethods.mna_threadpool_threads(handle);

    protected override bool ReleaseHandle() => NativeMethods.mna_threadpool_destroy(handle) == NativeStatus.Ok;
}
