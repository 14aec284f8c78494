using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using MobileNetAccel.Backends;
using MobileNetAccel.Execution;

namespace MobileNetAccel.Cli.Commands;

/// <summary>
/// `mobilenet bench --profile`: the per-node roofline table. Peak compute is measured here (independent FMA chains
/// on the widest accelerated vector, one core, best of several tries) and multiplied by the threads; memory bandwidth
/// is one thread streaming through 128 MiB (best of several passes). A node's limit is min(peak, FLOP/byte × bandwidth)
/// with bytes = every input (weights included) and output once, so "bound" says which side of the ridge it sits on
/// and "% roof" how close it came (above 100%: the bytes came from cache, not memory). Both probes are rough (one
/// core's bandwidth understates what 2 threads get).
/// </summary>
internal static class Roofline
{
    private static float _sink;


    /// <summary>One thread reading 128 MiB with vector loads into four independent sums, best of 4 passes, GB/s (one
    /// sum chain measured the add latency instead: 8.0 GB/s against 14.3 on the Zen 2 development host).</summary>
    // Fully optimised from the first call: a tier-0 loop would measure the JIT, not the machine.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double BandwidthGBs()
    {
        const int Floats = 32 << 20;
        var data = GC.AllocateUninitializedArray<float>(Floats, pinned: true);
        data.AsSpan().Fill(1f);
        double best = 0;
        for (int pass = 0; pass < 4; pass++)
        {
            long t0 = Stopwatch.GetTimestamp();
            // four independent sums: one chain would be bound by the add latency (32 bytes per 3-4 cycles), not the memory
            Vector<float> a0 = Vector<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            var vs = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(data.AsSpan());
            int i = 0;
            for (; i + 4 <= vs.Length; i += 4)
            {
                a0 += vs[i];
                a1 += vs[i + 1];
                a2 += vs[i + 2];
                a3 += vs[i + 3];
            }
            for (; i < vs.Length; i++)
                a0 += vs[i];
            double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            _sink += Vector.Sum(a0 + a1 + a2 + a3);
            best = Math.Max(best, Floats * 4.0 / s / 1e9);
        }
        return best;
    }

    public static void Print(ProfileReport report, int threads, TextWriter w)
    {
        var inv = CultureInfo.InvariantCulture;
        double peakCore = HostCpuDevice.MeasureFmaPeakGflopsPerCore(), peak = peakCore * threads, bw = BandwidthGBs();
        double total = report.Rows.Sum(r => r.MedianMs);
        w.WriteLine();
        w.WriteLine($"Profile: {report.Runs} runs, median total {report.TotalMedianMs.ToString("F3", inv)} ms (min {report.TotalMinMs.ToString("F3", inv)}); " +
                    $"peak {peakCore.ToString("F1", inv)} GFLOP/s per core x {threads} thread(s) = {peak.ToString("F1", inv)}; " +
                    $"memory {bw.ToString("F1", inv)} GB/s (one thread); ridge {(peak / bw).ToString("F1", inv)} FLOP/byte");
        w.WriteLine("| node | op | backend | ms (median) | % time | MFLOP | GFLOP/s | % peak | MB moved | FLOP/byte | roof GFLOP/s | bound | % roof |");
        w.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in report.Rows)
        {
            double flop = 2.0 * r.Macs, s = r.MedianMs / 1e3;
            double gflops = s > 0 ? flop / s / 1e9 : 0;
            double ai = r.Bytes > 0 ? flop / r.Bytes : 0;
            double roof = Math.Min(peak, ai * bw);
            string bound = r.Macs == 0 ? "data" : ai * bw < peak ? "memory" : "compute";
            string name = r.Name.Length > 48 ? "…" + r.Name[^47..] : r.Name;
            w.WriteLine($"| {name} | {r.Op} | {r.Backend} | {r.MedianMs.ToString("F3", inv)} | {(total > 0 ? 100 * r.MedianMs / total : 0).ToString("F1", inv)} | " +
                        $"{(flop / 1e6).ToString("F1", inv)} | {gflops.ToString("F1", inv)} | {(peak > 0 ? 100 * gflops / peak : 0).ToString("F0", inv)} | " +
                        $"{(r.Bytes / 1e6).ToString("F3", inv)} | {ai.ToString("F1", inv)} | {roof.ToString("F1", inv)} | {bound} | " +
                        $"{(roof > 0 && r.Macs > 0 ? 100 * gflops / roof : 0).ToString("F0", inv)} |");
        }
    }
}
