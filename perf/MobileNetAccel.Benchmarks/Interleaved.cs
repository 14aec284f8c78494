using System.Diagnostics;
using System.Globalization;

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
/// </summary>
public static class Interleaved
{
    private static readonly string[] Models = ["mobilenet_v2_1.0_224", "mobilenet_v1_1.0_224", "mobilenet_v2_0.35_96", "mobilenet_v1_0.25_128"];

    public static int Run(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        double peak = PeakProbe.MeasuredGflopsPerCore;
        Console.WriteLine($"# interleaved ORT / MobileNetAccel, {seconds:F0} s per row; FMA peak probe {peak:F1} GFLOP/s per core ({PeakProbe.IsaName}); {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("| model | threads | runs | ORT min / median / p90 ms | ours min / median / p90 ms | ours/ORT median | ours/ORT min | ours GFLOP/s (median) | ours % peak |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var medians = new Dictionary<(string, int), double>();
        foreach (string model in Models)
            foreach (int threads in new[] { 1, 2 })
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
        foreach (string model in Models)
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
            long t0 = Stopwatch.GetTimestamp();
            run();
            long t1 = Stopwatch.GetTimestamp();
            if (i >= 3)
                times.Add((t1 - t0) * 1e3 / Stopwatch.Frequency);
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

    internal static double Q(List<double> sorted, double q) => sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
}
