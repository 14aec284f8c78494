using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace MobileNetAccel.Backends;

/// <summary>
/// The FMA peak of one core, measured: 16 independent FMA chains (12 on AVX2, which has 16 vector
/// registers) on the widest vector the CPU has (AVX-512F, AVX2+FMA, NEON, else scalar), <see cref="Iterations"/> steps per call. The benchmarks' peak probe and
/// `mobilenet bench --profile` both use it, so "% of peak" means the same everywhere.
/// </summary>
internal static class FmaProbe
{
    public const int Iterations = 1_000_000;

    public static string IsaName => Avx512F.IsSupported ? "AVX-512F" : Fma.IsSupported ? "AVX2+FMA" : AdvSimd.IsSupported ? "NEON" : "scalar";

    public static int Lanes => Avx512F.IsSupported ? 16 : Fma.IsSupported ? 8 : AdvSimd.IsSupported ? 4 : 1;

    /// <summary>Floating-point operations of one <see cref="Fma16"/> call (the AVX2 path runs 12 chains for
    /// <c>Iterations * 4 / 3</c> steps: the same count of FMAs).</summary>
    public static double FlopsPerCall => Fma.IsSupported && !Avx512F.IsSupported ? 2.0 * 12 * Lanes * (Iterations * 4 / 3) : 2.0 * 16 * Lanes * Iterations;

    /// <summary>Best of <paramref name="tries"/> calls, in GFLOP/s (the later calls run the JIT's optimised code).</summary>
    public static double MeasureGflops(int tries = 15)
    {
        double best = 0;
        float sink = 0;
        for (int t = 0; t < tries; t++)
        {
            long t0 = Stopwatch.GetTimestamp();
            sink += Fma16();
            double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            best = Math.Max(best, FlopsPerCall / s * 1e-9);
        }
        GC.KeepAlive(sink);
        return best;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static float Fma16()
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
            // 12 chains, not 16: x86-64 has 16 ymm registers and the two constants take two, so 16 accumulators
            // spill to the stack and the probe measures loads and stores (57 GFLOP/s instead of 108 on a Zen 2 core).
            // 12 independent chains still cover FMA latency x ports (4-5 cycles x 2) on every AVX2 core we know.
            Vector256<float> m = Vector256.Create(0.9999999f), c = Vector256.Create(1e-7f);
            Vector256<float> a0 = Vector256.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            Vector256<float> a8 = a0, a9 = a0, a10 = a0, a11 = a0;
            for (int i = 0; i < Iterations * 4 / 3; i++)
            {
                a0 = Fma.MultiplyAdd(a0, m, c); a1 = Fma.MultiplyAdd(a1, m, c); a2 = Fma.MultiplyAdd(a2, m, c); a3 = Fma.MultiplyAdd(a3, m, c);
                a4 = Fma.MultiplyAdd(a4, m, c); a5 = Fma.MultiplyAdd(a5, m, c); a6 = Fma.MultiplyAdd(a6, m, c); a7 = Fma.MultiplyAdd(a7, m, c);
                a8 = Fma.MultiplyAdd(a8, m, c); a9 = Fma.MultiplyAdd(a9, m, c); a10 = Fma.MultiplyAdd(a10, m, c); a11 = Fma.MultiplyAdd(a11, m, c);
            }
            return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
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
}
