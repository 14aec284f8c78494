using System.Runtime.InteropServices;

namespace MobileNetAccel.Interop;

/// <summary>A native worker pool (mna_threadpool). The calling thread takes part in every parallel region,
/// so <c>threads = 1</c> runs everything on the caller. Idle workers block; a worker that has just finished a
/// region polls for the next one for at most 100 µs first (environment variable <c>MNA_POOL_SPIN_US</c>, 0 = never).
/// One pool must not be used by two parallel regions at once: callers serialise its use.</summary>
public sealed class NativeThreadPool : SafeHandle
{
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
