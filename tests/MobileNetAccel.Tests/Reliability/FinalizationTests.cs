using System.Diagnostics;
using System.Runtime.CompilerServices;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Reliability;

/// <summary>Native memory (arena, packed weights, float weight buffers, thread pools) is owned by SafeHandles: a
/// session that is never disposed is reclaimed by the finalizer, and the GC is told about the native memory so that
/// it collects such sessions as native memory grows.</summary>
[TestFixture, NonParallelizable]
public class FinalizationTests
{
    private static long Rss()
    {
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    /// <summary>RSS after glibc has returned its free heap pages to the OS: what is held, not what malloc keeps cached
    /// (without the trim, freed native blocks of finalized sessions may stay in malloc's arenas and count as resident).</summary>
    private static long HeldRss()
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                MallocTrim(0);
            }
            catch (EntryPointNotFoundException)
            {
                // not glibc
            }
        }
        return Rss();
    }

    private static int Threads() => OperatingSystem.IsLinux() ? Directory.GetDirectories("/proc/self/task").Length : Process.GetCurrentProcess().Threads.Count;

    private static void Collect()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference Forget(Model model, float[] input, int threads)
    {
        var s = new InferenceSession(model, new SessionOptions { Threads = threads });
        s.Run(input);
        return new WeakReference(s);
    }

    [TestCase(1)]
    [TestCase(2)]
    public void UndisposedSessionsAreReclaimed(int threads)
    {
        // V2 1.0/224: ~14 MB of packed weights and a 2.4 MB arena per session; 120 leaked sessions would hold ~2 GB.
        var model = Model.Zoo.MobileNetV2(1.0, 224);
        var input = new float[224 * 224 * 3];
        Forget(model, input, threads); // warm-up: code, kernel tables
        Collect();
        long before = HeldRss();
        int threadsBefore = Threads();
        long peak = before;
        var refs = new List<WeakReference>();
        const int sessions = 120;
        for (int i = 0; i < sessions; i++)
        {
            refs.Add(Forget(model, input, threads));
            peak = Math.Max(peak, Rss());
        }
        Collect();
        long after = HeldRss();
        int alive = refs.Count(r => r.IsAlive);
        TestContext.Out.WriteLine($"{sessions} undisposed sessions, Threads={threads}: RSS before {before >> 20} MiB, peak {peak >> 20} MiB, after collection {after >> 20} MiB; {alive} still alive; threads {threadsBefore} -> {Threads()}");
        Assert.That(alive, Is.Zero, "nothing may keep an undisposed session alive");
        Assert.That(after - before, Is.LessThan(64L << 20), "native memory of finalized sessions must be freed");
        Assert.That(peak - before, Is.LessThan(700L << 20), "memory pressure must let the GC collect undisposed sessions while they are created");
        Assert.That(Threads(), Is.LessThanOrEqualTo(threadsBefore + 2), "finalized sessions' worker threads must end");
    }
}
