using System.Diagnostics;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Reliability;

/// <summary>
/// Soak, sized for CI: resident memory stays flat (within 5 MiB of its level after warm-up; sampled after an aggressive
/// full collection every 5% of the runs) over 20,000 runs of a float model, 5,000 of a quantized one and 1,000 session
/// create/dispose cycles; the last output equals the first (bit for bit). Warm-up: 10% of the runs, and 1,500 cycles
/// for create/dispose — RSS rises by ~6 MiB over the first ~1,500 cycles (JIT tiering, GC and malloc sizing) and is
/// flat from there (measured to 3,000 cycles: 98.6 MiB at every sample from cycle 1,650 on), which a leak would not be. The longer soak with 8 callers and a plot is
/// <c>perf/MobileNetAccel.Benchmarks -- --reliability soak</c>.
/// </summary>
[TestFixture, NonParallelizable, Category("Soak")]
public class SoakTests
{
    private const long Tolerance = 5L << 20;

    private static long Rss()
    {
        // Aggressive: a full compacting collection that also returns free GC memory to the OS, so that RSS measures
        // what is held, not what the GC keeps around between collections.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64;
    }

    /// <summary>Runs <paramref name="step"/> <paramref name="warmup"/> times (and for at least 3 s) unmeasured, then <paramref name="count"/>
    /// times taking an RSS sample before the first and after every 5%.</summary>
    private static List<long> Samples(int warmup, int count, Action<int> step)
    {
        // At least `warmup` steps and at least 3 s: with the integer kernels a quantized run takes ~0.3 ms, so a count
        // alone ends the warm-up before the JIT's tier-1 recompilations (which run ~100 ms after a method gets hot)
        // have settled. A one-time step there (seen: +9.3 MiB within the first second) is not a leak.
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < warmup || warm.Elapsed.TotalSeconds < 3; i++)
            step(i);
        var samples = new List<long> { Rss() };
        int every = Math.Max(1, count / 20);
        for (int i = 0; i < count; i++)
        {
            step(warmup + i);
            if ((i + 1) % every == 0)
                samples.Add(Rss());
        }
        return samples;
    }

    private static void AssertFlat(string what, List<long> s)
    {
        long lo = s.Min(), hi = s.Max();
        TestContext.Out.WriteLine($"{what}: {s.Count} RSS samples after warm-up, {lo >> 20}..{hi >> 20} MiB, spread {(hi - lo) / 1048576.0:F2} MiB; samples {string.Join(" ", s.Select(v => (v / 1048576.0).ToString("F1")))}");
        Assert.That(hi - s[0], Is.LessThanOrEqualTo(Tolerance), $"{what}: RSS grew by more than 5 MiB after warm-up");
        Assert.That(s[0] - lo, Is.LessThanOrEqualTo(Tolerance), $"{what}: RSS fell by more than 5 MiB after warm-up");
    }

    [Test]
    public void FloatModelRunsKeepMemoryFlat()
    {
        using var session = new InferenceSession(Model.Zoo.MobileNetV2(0.35, 96), new SessionOptions { Threads = 1 });
        var x = new float[session.Inputs[0].ElementCount];
        new Random(3).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()));
        for (int i = 0; i < x.Length; i++)
            x[i] = float.IsFinite(x[i]) ? Math.Clamp(x[i], -1, 1) : 0;
        var first = session.Run(x);
        var y = new float[first.Length];
        var sw = Stopwatch.StartNew();
        AssertFlat("20,000 float runs (V2 0.35/96) after 2,000 warm-up runs", Samples(2_000, 20_000, _ => session.Run(x, y)));
        TestContext.Out.WriteLine($"{sw.Elapsed.TotalSeconds:F1} s");
        Assert.That(y, Is.EqualTo(first));
    }

    [Test]
    public void QuantizedModelRunsKeepMemoryFlat()
    {
        var model = Model.Load(TestData.Require("models/tflite/mobilenet_v1_0.25_128_quant.tflite"));
        using var session = new InferenceSession(model, new SessionOptions { Threads = 1 });
        var x = new byte[session.Inputs[0].ElementCount];
        new Random(4).NextBytes(x);
        var first = new byte[session.Outputs[0].ElementCount];
        session.RunRaw(x, first);
        var y = new byte[first.Length];
        var sw = Stopwatch.StartNew();
        AssertFlat("5,000 quantized runs (V1 0.25/128 uint8) after 500 warm-up runs", Samples(500, 5_000, _ => session.RunRaw(x, y)));
        TestContext.Out.WriteLine($"{sw.Elapsed.TotalSeconds:F1} s");
        Assert.That(y, Is.EqualTo(first));
    }

    [Test]
    public void CreateDisposeCyclesKeepMemoryFlat()
    {
        var model = Model.Zoo.MobileNetV1(0.25, 128);
        var x = new float[128 * 128 * 3];
        float[]? first = null;
        var sw = Stopwatch.StartNew();
        AssertFlat("1,000 create/run/dispose cycles (V1 0.25/128, Threads=2) after 1,500 warm-up cycles", Samples(1_500, 1_000, i =>
        {
            using var s = new InferenceSession(model, new SessionOptions { Threads = 2 });
            var y = s.Run(x);
            first ??= y;
            if (!y.AsSpan().SequenceEqual(first))
                Assert.Fail($"cycle {i}: output differs from the first cycle's");
        }));
        TestContext.Out.WriteLine($"{sw.Elapsed.TotalSeconds:F1} s");
    }
}
