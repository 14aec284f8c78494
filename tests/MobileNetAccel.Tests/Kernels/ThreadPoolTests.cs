using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Tests.Kernels.KernelTestSupport;

namespace MobileNetAccel.Tests.Kernels;

/// <summary>The native thread pool as the kernels use it: sizes, a disposed pool, and one pool shared by several callers.</summary>
[TestFixture, NonParallelizable]
public sealed class ThreadPoolTests
{
    [Test]
    public void ThreadCountIsWhatWasAskedFor()
    {
        foreach (int n in new[] { 1, 2, 5 })
        {
            using var pool = NativeThreadPool.Create(n);
            Assert.That(pool.Threads, Is.EqualTo(n));
        }
    }

    [Test]
    public void DisposedPoolIsRejectedBeforeTheNativeCall()
    {
        var pool = NativeThreadPool.Create(2);
        pool.Dispose();
        float[] x = new float[8], w = new float[4], y = new float[8];
        Assert.Throws<ObjectDisposedException>(() => NativeKernels.PointwiseConv(4, 2, 2, x, w, default, NativeActivation.None, y, pool));
    }

    /// <summary>
    /// Four managed threads share one 2-thread pool (mna.h: the pool serialises parallel regions), each running a
    /// convolution many times; every result must match the naive one and the whole run must finish (no deadlock).
    /// </summary>
    [Test]
    public void OnePoolSharedByConcurrentCallers()
    {
        var g = new Window(2, 9, 8, 16, 24, 3, 3, 1, 1, 1, 1, 1, 1);
        var rng = new Random(123);
        float[] x = RandomFloats(rng, (long)g.N * g.H * g.W * g.C, -XRange, XRange);
        float[] w = RandomFloats(rng, (long)g.OutC * 9 * g.C, -WRange, WRange);
        float[] b = RandomFloats(rng, g.OutC, -BRange, BRange);
        Reference expected = Naive.Conv2D(g, x, w, b, NativeActivation.Relu6);
        double rtol = SumTolerance(9L * g.C);
        using var pool = NativeThreadPool.Create(2);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        Task[] callers = Enumerable.Range(0, 4).Select(t => Task.Factory.StartNew(() =>
        {
            for (int i = 0; i < 25; i++)
            {
                float[] output = OutputBuffer(expected.Value.Length);
                NativeKernels.Conv2D(g.ToParams(NativeActivation.Relu6), x, w, b, output.AsSpan(0, expected.Value.Length), pool);
                try { AssertClose(output, expected, rtol, $"caller {t} iteration {i} {g}", "conv2d"); }
                catch (Exception e) { errors.Enqueue(e.Message); return; }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        Assert.That(Task.WaitAll(callers, TimeSpan.FromSeconds(60)), Is.True, "concurrent callers did not finish within 60 s (deadlock?)");
        Assert.That(errors, Is.Empty);
    }
}
