using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
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
    private const int Iterations = 1_000_000;

    private static int Lanes => Avx512F.IsSupported ? 16 : Fma.IsSupported ? 8 : AdvSimd.IsSupported ? 4 : 1;

    /// <summary>FMA GFLOP/s of one core: 16 independent FMA chains on the widest vector, best of 15 calls (the later
    /// calls run the JIT's optimised code).</summary>
    public static double PeakGflopsPerCore()
    {
        double best = 0;
        for (int t = 0; t < 15; t++)
        {
            long t0 = Stopwatch.GetTimestamp();
            _sink += Fma16();
            double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            best = Math.Max(best, 2.0 * 16 * Lanes * Iterations / s * 1e-9);
        }
        return best;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Fma16()
    {
        if (Avx512F.IsSupported)
        {
            Vector512<float> m = Vector512.Create(0.9999999f), c = Vector512.Create(1e-7f);
            Vector512<float> a0 = Vector512.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            Vector512<float> a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
            for (int i = 0; i < Iterations; i++)
            {
                a0 = Avx512F.FusedMultiplyAdd(a0, m, c); a1 = Avx512F.FusedMultiplyAdd(a1, m, c);
                a2 = Avx512F.FusedMultiplyAdd(a2, m, c); a3 = Avx512F.FusedMultiplyAdd(a3, m, c);
                a4 = Avx512F.FusedMultiplyAdd(a4, m, c); a5 = Avx512F.FusedMultiplyAdd(a5, m, c);
                a6 = Avx512F.FusedMultiplyAdd(a6, m, c); a7 = Avx512F.FusedMultiplyAdd(a7, m, c);
                a8 = Avx512F.FusedMultiplyAdd(a8, m, c); a9 = Avx512F.FusedMultiplyAdd(a9, m, c);
                a10 = Avx512F.FusedMultiplyAdd(a10, m, c); a11 = Avx512F.FusedMultiplyAdd(a11, m, c);
                a12 = Avx512F.FusedMultiplyAdd(a12, m, c); a13 = Avx512F.FusedMultiplyAdd(a13, m, c);
                a14 = Avx512F.FusedMultiplyAdd(a14, m, c); a15 = Avx512F.FusedMultiplyAdd(a15, m, c);
            }
            return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15);
        }
        if (Fma.IsSupported)
        {
            Vector256<float> m = Vector256.Create(0.9999999f), c = Vector256.Create(1e-7f);
            Vector256<float> a0 = Vector256.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            Vector256<float> a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
            for (int i = 0; i < Iterations; i++)
            {
                a0 = Fma.MultiplyAdd(a0, m, c); a1 = Fma.MultiplyAdd(a1, m, c); a2 = Fma.MultiplyAdd(a2, m, c); a3 = Fma.MultiplyAdd(a3, m, c);
                a4 = Fma.MultiplyAdd(a4, m, c); a5 = Fma.MultiplyAdd(a5, m, c); a6 = Fma.MultiplyAdd(a6, m, c); a7 = Fma.MultiplyAdd(a7, m, c);
                a8 = Fma.MultiplyAdd(a8, m, c); a9 = Fma.MultiplyAdd(a9, m, c); a10 = Fma.MultiplyAdd(a10, m, c); a11 = Fma.MultiplyAdd(a11, m, c);
                a12 = Fma.MultiplyAdd(a12, m, c); a13 = Fma.MultiplyAdd(a13, m, c); a14 = Fma.MultiplyAdd(a14, m, c); a15 = Fma.MultiplyAdd(a15, m, c);
            }
            return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15);
        }
        if (AdvSimd.IsSupported)
        {
            Vector128<float> m = Vector128.Create(0.9999999f), c = Vector128.Create(1e-7f);
            Vector128<float> a0 = Vector128.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            Vector128<float> a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
            for (int i = 0; i < Iterations; i++)
            {
                a0 = AdvSimd.FusedMultiplyAdd(c, a0, m); a1 = AdvSimd.FusedMultiplyAdd(c, a1, m); a2 = AdvSimd.FusedMultiplyAdd(c, a2, m); a3 = AdvSimd.FusedMultiplyAdd(c, a3, m);
                a4 = AdvSimd.FusedMultiplyAdd(c, a4, m); a5 = AdvSimd.FusedMultiplyAdd(c, a5, m); a6 = AdvSimd.FusedMultiplyAdd(c, a6, m); a7 = AdvSimd.FusedMultiplyAdd(c, a7, m);
                a8 = AdvSimd.FusedMultiplyAdd(c, a8, m); a9 = AdvSimd.FusedMultiplyAdd(c, a9, m); a10 = AdvSimd.FusedMultiplyAdd(c, a10, m); a11 = AdvSimd.FusedMultiplyAdd(c, a11, m);
                a12 = AdvSimd.FusedMultiplyAdd(c, a12, m); a13 = AdvSimd.FusedMultiplyAdd(c, a13, m); a14 = AdvSimd.FusedMultiplyAdd(c, a14, m); a15 = AdvSimd.FusedMultiplyAdd(c, a15, m);
            }
            return Vector128.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15);
        }
        float s = 1;
        for (int i = 0; i < Iterations * 16; i++) s = MathF.FusedMultiplyAdd(s, 0.9999999f, 1e-7f);
        return s;
    }

    private static float _sink;


    /// <summary>One thread reading 128 MiB with vector loads, best of 4 passes, GB/s.</summary>
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
            var acc = Vector<float>.Zero;
            var vs = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(data.AsSpan());
            for (int i = 0; i < vs.Length; i++)
                acc += vs[i];
            double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            _sink += Vector.Sum(acc);
            best = Math.Max(best, Floats * 4.0 / s / 1e9);
        }
        return best;
    }

    public static void Print(ProfileReport report, int threads, TextWriter w)
    {
        var inv = CultureInfo.InvariantCulture;
        double peakCore = PeakGflopsPerCore(), peak = peakCore * threads, bw = BandwidthGBs();
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
