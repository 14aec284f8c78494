using System.Diagnostics;
using System.Globalization;
using SkiaSharp;

namespace MobileNetAccel.Benchmarks;

/// <summary>
/// Reliability measurements of issue #19, in one process so that ratios see the same load:
/// <list type="bullet">
/// <item><c>--reliability throughput [seconds]</c>: scenarios run in alternating slices (~1 s each, repeated until
/// each has had [seconds], default 6): one session with 1 caller against 2 callers (Threads = 1; target ≥ 1.7×);
/// 4 sessions × 1 caller with default options against 4 with Threads = 1 (target ≥ 0.9×), and with private pools
/// (SharedThreadPool = false) to show what sharing the pool buys. Prints runs/s per scenario and the ratios.</item>
/// <item><c>--reliability soak [runs] [callers] [outdir]</c>: one session of V2 1.0/224, [callers] threads (default 8)
/// calling Run until [runs] (default 100,000) are done; every 1% it records RSS and the latency of the window
/// (median, p99), and writes soak.csv and soak.png (RSS and latency against runs) to [outdir] (default .).</item>
/// </list>
/// </summary>
public static class Reliability
{
    public static int Run(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "throughput";
        Console.WriteLine($"# {mode}: {CpuName()}, {Environment.ProcessorCount} CPUs; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load {Load()}");
        return mode switch
        {
            "throughput" => Throughput(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 6),
            "soak" => Soak(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000,
                args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8, args.Length > 3 ? args[3] : "."),
            _ => throw new ArgumentException($"unknown mode '{mode}' (throughput, soak)"),
        };
    }

    private static string CpuName() =>
        File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "cpu" : "cpu";

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";

    private sealed class Scenario : IDisposable
    {
        public required string Name;
        public required List<InferenceSession> Sessions;
        public required int CallersPerSession;
        public long Runs;
        public double Seconds;

        /// <summary>Runs every caller for about <paramref name="seconds"/>; adds to Runs/Seconds.</summary>
        public void Slice(double seconds)
        {
            long runs = 0;
            var callers = new List<Thread>();
            using var go = new Barrier(Sessions.Count * CallersPerSession + 1);
            var sw = new Stopwatch();
            foreach (var s in Sessions)
                for (int c = 0; c < CallersPerSession; c++)
                {
                    var session = s;
                    callers.Add(new Thread(() =>
                    {
                        var x = new float[session.Inputs[0].ElementCount];
                        var y = new float[session.Outputs[0].ElementCount];
                        long mine = 0;
                        go.SignalAndWait();
                        while (sw.Elapsed.TotalSeconds < seconds)
                        {
                            session.Run(x, y);
                            mine++;
                        }
                        Interlocked.Add(ref runs, mine);
                    }));
                }
            callers.ForEach(t => t.Start());
            sw.Start();
            go.SignalAndWait();
            callers.ForEach(t => t.Join());
            Seconds += sw.Elapsed.TotalSeconds;
            Runs += runs;
        }

        public double RunsPerSecond => Runs / Seconds;

        public void Dispose() => Sessions.ForEach(s => s.Dispose());
    }

    private static int Throughput(double seconds)
    {
        var model = Model.Zoo.MobileNetV2(0.35, 96);
        Scenario Make(string name, int sessions, int callers, SessionOptions options) => new()
        {
            Name = name,
            Sessions = Enumerable.Range(0, sessions).Select(_ => new InferenceSession(model, new SessionOptions
            {
                Threads = options.Threads, SharedThreadPool = options.SharedThreadPool,
            })).ToList(),
            CallersPerSession = callers,
        };
        int defaultThreads = new SessionOptions().EffectiveThreads;
        var scenarios = new List<Scenario>
        {
            Make("1 session, 1 caller, Threads=1", 1, 1, new SessionOptions { Threads = 1 }),
            Make("1 session, 2 callers, Threads=1", 1, 2, new SessionOptions { Threads = 1 }),
            Make("4 sessions, Threads=1", 4, 1, new SessionOptions { Threads = 1 }),
            Make($"4 sessions, default (Threads={defaultThreads}, shared pool)", 4, 1, new SessionOptions()),
            Make($"4 sessions, Threads={defaultThreads}, private pools", 4, 1, new SessionOptions { SharedThreadPool = false }),
        };
        Console.WriteLine($"# model MobileNetV2 0.35/96 (zoo, random weights); slices of 1 s in turn until each has {seconds:F0} s");
        foreach (var s in scenarios)
            s.Slice(0.3); // warm-up
        foreach (var s in scenarios)
        {
            s.Runs = 0;
            s.Seconds = 0;
        }
        while (scenarios.Any(s => s.Seconds < seconds))
            foreach (var s in scenarios)
                s.Slice(1.0);
        Console.WriteLine("| scenario | runs | runs/s |");
        Console.WriteLine("|---|---|---|");
        foreach (var s in scenarios)
            Console.WriteLine($"| {s.Name} | {s.Runs} | {s.RunsPerSecond:F0} |");
        double r1 = scenarios[1].RunsPerSecond / scenarios[0].RunsPerSecond;
        double r2 = scenarios[3].RunsPerSecond / scenarios[2].RunsPerSecond;
        double r3 = scenarios[4].RunsPerSecond / scenarios[2].RunsPerSecond;
        Console.WriteLine($"2 callers / 1 caller (Threads=1, one session): {r1:F2}x (target >= 1.7)");
        Console.WriteLine($"4 sessions default / 4 sessions Threads=1: {r2:F2}x (target >= 0.9)");
        Console.WriteLine($"4 sessions private pools / 4 sessions Threads=1: {r3:F2}x");
        Console.WriteLine($"# load after: {Load()}");
        scenarios.ForEach(s => s.Dispose());
        return 0;
    }

    private static long Rss()
    {
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64;
    }

    private static int Soak(int runs, int callers, string outDir)
    {
        Directory.CreateDirectory(outDir);
        using var session = new InferenceSession(Model.Zoo.MobileNetV2(1.0, 224), new SessionOptions());
        int window = Math.Max(1, runs / 100);
        var latencies = new double[runs];
        long next = -1;
        var rows = new List<(long Runs, double Seconds, long Rss, double P50, double P99, long Heap, int Gcs)>();
        var clock = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, callers).Select(_ => new Thread(() =>
        {
            var x = new float[session.Inputs[0].ElementCount];
            var y = new float[session.Outputs[0].ElementCount];
            long i;
            while ((i = Interlocked.Increment(ref next)) < runs)
            {
                long t0 = Stopwatch.GetTimestamp();
                session.Run(x, y);
                latencies[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                if ((i + 1) % window == 0)
                {
                    var w = latencies.AsSpan((int)(i + 1 - window), window).ToArray();
                    Array.Sort(w);
                    lock (rows)
                        rows.Add((i + 1, clock.Elapsed.TotalSeconds, Rss(), w[w.Length / 2], w[(int)(w.Length * 0.99)], GC.GetTotalMemory(false), GC.CollectionCount(0)));
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        rows.Sort((a, b) => a.Runs.CompareTo(b.Runs));
        string csv = Path.Combine(outDir, "soak.csv");
        File.WriteAllLines(csv, rows.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"{r.Runs},{r.Seconds:F2},{r.Rss},{r.P50:F3},{r.P99:F3},{r.Heap},{r.Gcs}")).Prepend("runs,seconds,rss_bytes,p50_ms,p99_ms,gc_heap_bytes,gen0_collections"));
        var warm = rows.Skip(rows.Count / 10).ToList();
        long lo = warm.Min(r => r.Rss), hi = warm.Max(r => r.Rss);
        Console.WriteLine($"soak: {runs} runs, {callers} callers, Threads={session.Threads}, {clock.Elapsed.TotalSeconds:F0} s ({runs / clock.Elapsed.TotalSeconds:F0} runs/s)");
        Console.WriteLine($"RSS after the first 10%: {lo >> 20}..{hi >> 20} MiB (spread {(hi - lo) / (1024.0 * 1024.0):F1} MiB; first {warm[0].Rss >> 20}, last {warm[^1].Rss >> 20}); GC heap {warm[0].Heap >> 20} -> {warm[^1].Heap >> 20} MiB, {warm[^1].Gcs} gen0 collections; window p50 {warm.Min(r => r.P50):F2}..{warm.Max(r => r.P50):F2} ms, p99 up to {warm.Max(r => r.P99):F2} ms");
        Plot(rows, Path.Combine(outDir, "soak.png"), $"{runs} runs, {callers} callers, V2 1.0/224, Threads={session.Threads}, {CpuName()}");
        Console.WriteLine($"wrote {csv} and {Path.Combine(outDir, "soak.png")}");
        return 0;
    }

    private static void Plot(List<(long Runs, double Seconds, long Rss, double P50, double P99, long Heap, int Gcs)> rows, string path, string title)
    {
        const int W = 1000, H = 700, L = 80, R = 20, T = 40, G = 40;
        int ph = (H - T - 2 * G - 20) / 2;
        using var surface = SKSurface.Create(new SKImageInfo(W, H));
        var c = surface.Canvas;
        c.Clear(SKColors.White);
        using var font = new SKFont(SKTypeface.Default, 14);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var axis = new SKPaint { Color = SKColors.Gray, StrokeWidth = 1, IsAntialias = true };
        c.DrawText(title, L, 24, font, text);
        void Panel(int top, string label, Func<(long Runs, double Seconds, long Rss, double P50, double P99, long Heap, int Gcs), double>[] series, SKColor[] colours)
        {
            double max = rows.Max(r => series.Max(s => s(r))) * 1.1, min = 0;
            long n = rows[^1].Runs;
            c.DrawLine(L, top, L, top + ph, axis);
            c.DrawLine(L, top + ph, W - R, top + ph, axis);
            c.DrawText($"{label} (0..{max:F1})", L + 5, top + 14, font, text);
            c.DrawText($"{n} runs", W - R - 90, top + ph + 16, font, text);
            for (int k = 0; k < series.Length; k++)
            {
                using var pen = new SKPaint { Color = colours[k], StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke };
                using var p = new SKPath();
                for (int i = 0; i < rows.Count; i++)
                {
                    float x = L + (float)(rows[i].Runs / (double)n * (W - L - R));
                    float y = top + ph - (float)((series[k](rows[i]) - min) / (max - min) * ph);
                    if (i == 0) p.MoveTo(x, y); else p.LineTo(x, y);
                }
                c.DrawPath(p, pen);
            }
        }
        Panel(T + G / 2, "RSS MiB (blue), GC heap MiB (orange)", [r => r.Rss / (1024.0 * 1024.0), r => r.Heap / (1024.0 * 1024.0)], [SKColors.SteelBlue, SKColors.DarkOrange]);
        Panel(T + G + ph + G, "latency ms: p50 (green), p99 (red) per window", [r => r.P50, r => r.P99], [SKColors.SeaGreen, SKColors.Firebrick]);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }
}
