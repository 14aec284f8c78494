using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace MobileNetAccel.Benchmarks;

/// <summary>
/// Ours against ONNX Runtime interleaved in short slices (~200 ms of back-to-back ORT runs, then ~200 ms of ours, and
/// so on), in one process, on the same ONNX files and sessions as <see cref="ModelBenchmarks"/> (whose setup also checks
/// our output against ORT's). BenchmarkDotNet measures one method for many seconds and then the other, so on a machine
/// shared with other virtual machines a burst of load lands on one side of a ratio; slices give both sides the same
/// noise. Not call by call: ORT's workers spin for a while after each run, and on 2 cores they would steal the CPU from
/// our next run (and ours, more briefly, from ORT's); the first 3 runs of every slice are dropped for the same reason.
/// Reports min, median and p90 per side and the ratio of the medians (and of the minima), then our 2-thread speed-up.
/// Run: dotnet run -c Release --project perf/MobileNetAccel.Benchmarks -- --interleaved [seconds per row, default 10]
/// [comma-separated model names, default all four]. MNA_BENCH_CPUTIME=1: the calling thread's CPU time instead of wall
/// time, 1-thread rows only (both runtimes run a 1-thread inference on the calling thread; on a host loaded by other
/// jobs it leaves out the time the thread was preempted, which wall time at load 20+ on 2 cores is mostly made of).
/// </summary>
public static class Interleaved
{
    private static readonly string[] Models = ["mobilenet_v2_1.0_224", "mobilenet_v1_1.0_224", "mobilenet_v2_0.35_96", "mobilenet_v1_0.25_128"];

    public static int Run(string[] args)
    {
        CpuTime = Environment.GetEnvironmentVariable("MNA_BENCH_CPUTIME") == "1";
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        string[] models = args.Length > 1 ? args[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : Models;
        foreach (string m in models)
            if (Array.IndexOf(Models, m) < 0)
                throw new ArgumentException($"--interleaved: unknown model '{m}' (known: {string.Join(", ", Models)})");
        double peak = CpuTime ? CpuTimePeakGflops() : PeakProbe.MeasuredGflopsPerCore;
        Console.WriteLine($"# interleaved ORT / MobileNetAccel, {seconds:F0} s per row; FMA peak probe {peak:F1} GFLOP/s per core ({PeakProbe.IsaName}); {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; clock {(CpuTime ? "thread CPU time" : "wall")}; load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("| model | threads | runs | ORT min / median / p90 ms | ours min / median / p90 ms | ours/ORT median | ours/ORT min | ours GFLOP/s (median) | ours % peak |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var medians = new Dictionary<(string, int), double>();
        foreach (string model in models)
            foreach (int threads in CpuTime ? new[] { 1 } : new[] { 1, 2 })
            {
                var b = new ModelBenchmarks { Model = model, Threads = threads };
                b.Setup();
                try
                {
                    double flops = b.FlopsFor(model);
                    var t = Measure(seconds, b.OnnxRuntime, b.Ours);
                    var (ort, ours) = (t[0], t[1]);
                    double om = Q(ort, 0.5), um = Q(ours, 0.5);
                    medians[(model, threads)] = um;
                    double gflops = flops / (um * 1e-3) * 1e-9;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {model} | {threads} | {ort.Count} | {ort[0]:F3} / {om:F3} / {Q(ort, 0.9):F3} | {ours[0]:F3} / {um:F3} / {Q(ours, 0.9):F3} | **{um / om:F2}** | {ours[0] / ort[0]:F2} | {gflops:F1} | {100 * gflops / (peak * threads):F0} |"));
                }
                finally
                {
                    b.Cleanup();
                }
            }
        Console.WriteLine();
        foreach (string model in CpuTime ? [] : models)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ours {model}: 2 threads {medians[(model, 1)] / medians[(model, 2)]:F2}x faster than 1 (medians)"));
        return 0;
    }

    /// <summary>~200 ms of back-to-back calls; the first 3 are not recorded.</summary>
    internal static void Slice(Action run, List<double> times)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; Stopwatch.GetElapsedTime(start).TotalMilliseconds < 200 || i < 6; i++)
        {
            double t0 = NowMs();
            run();
            double t1 = NowMs();
            if (i >= 3)
                times.Add(t1 - t0);
        }
    }

    /// <summary>Warms each call up (20 runs), then alternates ~200 ms slices of them until <paramref name="seconds"/> have
    /// passed and each has at least 20 timed runs; the per-call times in ms, sorted.</summary>
    internal static List<double>[] Measure(double seconds, params Action[] calls)
    {
        for (int i = 0; i < 20; i++)
            foreach (var c in calls)
                c();
        var times = calls.Select(_ => new List<double>()).ToArray();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || times[0].Count < 20)
            for (int i = 0; i < calls.Length; i++)
                Slice(calls[i], times[i]);
        foreach (var t in times)
            t.Sort();
        return times;
    }

    internal static bool CpuTime;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Sec;
        public long Nsec;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec ts);

    private const int ClockThreadCpuTimeId = 3;

    private static double NowMs()
    {
        if (!CpuTime)
            return Stopwatch.GetTimestamp() * 1e3 / Stopwatch.Frequency;
        if (ClockGetTime(ClockThreadCpuTimeId, out var ts) != 0)
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return ts.Sec * 1e3 + ts.Nsec * 1e-6;
    }

    /// <summary>The FMA probe timed on the thread's CPU clock (best of 15): the wall-clock probe reads the load, not
    /// the core, on a shared host.</summary>
    private static double CpuTimePeakGflops()
    {
        double best = 0;
        float sink = 0;
        for (int t = 0; t < 15; t++)
        {
            double t0 = NowMs();
            sink += Backends.FmaProbe.Fma16();
            double ms = NowMs() - t0;
            if (ms > 0)
                best = Math.Max(best, Backends.FmaProbe.FlopsPerCall / (ms * 1e-3) * 1e-9);
        }
        GC.KeepAlive(sink);
        return best;
    }

    internal static double Q(List<double> sorted, double q) => sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
}
