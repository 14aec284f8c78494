using NUnit.Framework;

namespace MobileNetAccel.Tests.Reliability;

/// <summary>Concurrent Run on one session: per-call arenas, shared weights; every output bit-identical to what a
/// single caller gets for the same input.</summary>
[TestFixture, NonParallelizable]
public class ConcurrencyTests
{
    private static float[] RandomInput(int n, int seed)
    {
        var r = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
            x[i] = (float)(r.NextDouble() * 2 - 1);
        return x;
    }

    [TestCase(1, 8)]
    [TestCase(2, 8)]
    [TestCase(0, 3)]
    public void ConcurrentCallersAreBitIdenticalToOneCaller(int threads, int callers)
    {
        var model = Model.Zoo.MobileNetV2(0.35, 96);
        using var session = new InferenceSession(model, new SessionOptions { Threads = threads });
        int n = (int)session.Inputs[0].ElementCount, m = (int)session.Outputs[0].ElementCount;
        const int inputs = 6, rounds = 15;
        var x = Enumerable.Range(0, inputs).Select(i => RandomInput(n, 100 + i)).ToArray();
        var expected = x.Select(session.Run).ToArray(); // one caller
        Assert.That(expected[0], Is.Not.EqualTo(expected[1]), "inputs must give different outputs for the check to mean anything");
        var mismatches = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var start = new Barrier(callers);
        var workers = Enumerable.Range(0, callers).Select(c => new Thread(() =>
        {
            var y = new float[m];
            start.SignalAndWait();
            for (int r = 0; r < rounds; r++)
            {
                int k = (c + r) % inputs;
                session.Run(x[k], y);
                if (!y.AsSpan().SequenceEqual(expected[k]))
                    mismatches.Add($"caller {c}, round {r}, input {k}");
            }
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        TestContext.Out.WriteLine($"Threads={threads}: {callers} callers x {rounds} runs, {session.MaxConcurrentRuns} arenas at most");
        Assert.That(mismatches, Is.Empty, string.Join("; ", mismatches.Take(5)));
    }

    [Test]
    public void FloatRunAllocatesNothingOnTheCallingThread()
    {
        using var session = new InferenceSession(Model.Zoo.MobileNetV2(0.35, 96), new SessionOptions { Threads = 2 });
        var x = new float[session.Inputs[0].ElementCount];
        var y = new float[session.Outputs[0].ElementCount];
        for (int i = 0; i < 20; i++)
            session.Run(x, y);
        var windows = Allocations.UntilAWindowAllocatesNothing(() => session.Run(x, y), perWindow: 200, windows: 5);
        Assert.That(windows[^1], Is.Zero, $"every window of 200 runs allocated: {string.Join(", ", windows)} bytes");
    }

    [Test]
    public void ConcurrentCallersOfAQuantizedModelAreBitIdentical()
    {
        var model = Model.Load(TestData.Require("models/tflite/mobilenet_v1_0.25_128_quant.tflite"));
        using var session = new InferenceSession(model, new SessionOptions { Threads = 1 });
        int n = (int)session.Inputs[0].ElementCount, m = (int)session.Outputs[0].ElementCount;
        var x = Enumerable.Range(0, 4).Select(i => { var b = new byte[n]; new Random(i).NextBytes(b); return b; }).ToArray();
        var expected = x.Select(b => { var y = new byte[m]; session.RunRaw(b, y); return y; }).ToArray();
        int bad = 0;
        Parallel.For(0, 24, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var y = new byte[m];
            session.RunRaw(x[i % 4], y);
            if (!y.AsSpan().SequenceEqual(expected[i % 4]))
                Interlocked.Increment(ref bad);
        });
        Assert.That(bad, Is.Zero);
    }

    [Test]
    public void DisposeWaitsForCallsInFlightAndLaterCallsFail()
    {
        var session = new InferenceSession(Model.Zoo.MobileNetV1(0.25, 128), new SessionOptions { Threads = 1 });
        var x = new float[session.Inputs[0].ElementCount];
        var y = new float[session.Outputs[0].ElementCount];
        int done = 0, disposedErrors = 0;
        var callers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            var yy = new float[y.Length];
            try
            {
                for (int i = 0; i < 200; i++)
                {
                    session.Run(x, yy);
                    Interlocked.Increment(ref done);
                }
            }
            catch (ObjectDisposedException)
            {
                Interlocked.Increment(ref disposedErrors);
            }
        })).ToArray();
        while (Volatile.Read(ref done) < 5)
            Thread.Sleep(1);
        session.Dispose();
        Task.WaitAll(callers);
        Assert.That(disposedErrors, Is.EqualTo(3), "every caller ends with ObjectDisposedException, none with a crash");
        Assert.Throws<ObjectDisposedException>(() => session.Run(x, y));
    }
}
