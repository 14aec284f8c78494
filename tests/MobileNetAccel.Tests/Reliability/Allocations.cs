namespace MobileNetAccel.Tests.Reliability;

/// <summary>
/// Allocation checks that tell per-call allocations from one-time runtime work. The runtime itself allocates a little on
/// the calling thread now and then — tiered compilation's call counting starts after a quiet period and so lands in
/// whichever window is being measured when the machine is loaded (seen: 1,872 bytes once in 40 runs under CI's parallel
/// test processes). A per-call allocation shows in every window; so the check is that some window of
/// <c>perWindow</c> consecutive calls, of up to <c>windows</c>, allocates nothing.
/// </summary>
internal static class Allocations
{
    /// <summary>Bytes the calling thread allocated in each window, stopping at the first window that allocated nothing.</summary>
    public static List<long> UntilAWindowAllocatesNothing(Action call, int perWindow = 20, int windows = 10)
    {
        var seen = new List<long>();
        for (int w = 0; w < windows; w++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < perWindow; i++)
                call();
            seen.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            if (seen[^1] == 0)
                break;
        }
        return seen;
    }
}
