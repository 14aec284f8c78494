using MobileNetAccel.Backends.Native.Ops;
using MobileNetAccel.Interop;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Kernels;

/// <summary>
/// The native RESIZE_BILINEAR (uint8, int8, float32) and ARG_MAX (uint8, int8) kernels against plain scalar loops
/// written here with the managed definition's float operations in its order (x00·(1−dy)·(1−dx) + x10·dy·(1−dx) +
/// x01·(1−dy)·dx + x11·dy·dx; integers rounded half away from zero as trunc plus the remainder test): equal byte for
/// byte (floats bit for bit), under every kernel table the CPU has (scalar and AVX2 row kernels), over many shapes —
/// odd widths, channel counts 1..70 (below, at and past the 8-lane and 32-byte steps), align_corners/half_pixel_centers,
/// with and without requantization — and ties (argmax inputs from a range of 4 values).
/// </summary>
[TestFixture, NonParallelizable]
public class ResizeArgMaxKernelTests
{
    private static readonly int[] Channels = { 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 21, 24, 31, 32, 33, 40, 47, 63, 64, 65, 70 };

    [TearDown]
    public void RestoreAuto()
    {
        NativeKernels.SelectIsa(KernelIsa.Auto);
        NativeQ8Kernels.Select(IntegerKernelIsa.Auto);
    }

    private static IEnumerable<IntegerKernelIsa> IntegerTables() =>
        new[] { IntegerKernelIsa.Scalar, IntegerKernelIsa.Avx2, IntegerKernelIsa.AvxVnni, IntegerKernelIsa.Avx512Vnni }.Where(NativeQ8Kernels.IsSupported);

    private static IEnumerable<KernelIsa> FloatTables() =>
        new[] { KernelIsa.Scalar, KernelIsa.Avx2, KernelIsa.Avx512 }.Where(NativeKernels.IsSupported);

    /// <summary>(input h, w, output h, w, align, half) cases: up- and downscales, odd sizes, 1-pixel axes, DeepLab's 33→513 row.</summary>
    private static IEnumerable<(int H, int W, int OH, int OW, bool Align, bool Half)> Geometries()
    {
        var rng = new Random(3);
        yield return (33, 33, 17, 513, true, false);
        yield return (1, 1, 5, 3, true, false);
        yield return (1, 7, 3, 1, false, false);
        for (int i = 0; i < 10; i++)
        {
            bool align = rng.Next(2) == 0;
            yield return (rng.Next(1, 10), rng.Next(1, 12), rng.Next(1, 15), rng.Next(1, 30), align, !align && rng.Next(2) == 0);
        }
    }

    private static (ResizeBilinearStep.Axis Ys, ResizeBilinearStep.Axis Xs) Axes((int H, int W, int OH, int OW, bool Align, bool Half) g) =>
        (ResizeBilinearStep.Axis.Of(g.H, g.OH, g.Align, g.Half), ResizeBilinearStep.Axis.Of(g.W, g.OW, g.Align, g.Half));

    private static byte Round(float v, bool requant, float zi, float ratio, int zo, int lo, int hi)
    {
        if (requant)
            v = (v - zi) * ratio;
        int t = (int)v;
        float frac = v - t;
        t += frac >= 0.5f ? 1 : frac <= -0.5f ? -1 : 0;
        return unchecked((byte)Math.Clamp(requant ? zo + t : t, lo, hi));
    }

    private static float Blend(float x00, float x10, float x01, float x11, float dy, float dx)
    {
        float a = 1 - dy, bx = 1 - dx;
        return x00 * a * bx + x10 * dy * bx + x01 * a * dx + x11 * dy * dx;
    }

    [Test]
    public void Quantized_resize_equals_the_scalar_definition_byte_for_byte([Values(false, true)] bool signed, [Values(false, true)] bool requant)
    {
        var rng = new Random(signed ? 11 : 12);
        int cases = 0;
        foreach (var isa in IntegerTables())
        {
            NativeQ8Kernels.Select(isa);
            foreach (var g in Geometries())
                foreach (int c in Channels)
                {
                    var (ys, xs) = Axes(g);
                    int batch = c % 2 + 1;
                    var x = new byte[batch * g.H * g.W * c];
                    rng.NextBytes(x);
                    float ratio = requant ? 0.3f + (float)rng.NextDouble() * 2 : 1;
                    int zi = signed ? rng.Next(-20, 20) : rng.Next(0, 60), zo = signed ? rng.Next(-30, 30) : rng.Next(0, 40);
                    int lo = signed ? -128 : 0, hi = signed ? 127 : 255;
                    var got = new byte[batch * g.OH * g.OW * c];
                    NativeResizeKernels.Quantized(x, got, batch, g.H, g.W, c, ys.ToNative(), xs.ToNative(), signed, requant, ratio, zi, zo);
                    float V(int b, int yy, int xx, int k) { byte v = x[((b * g.H + yy) * g.W + xx) * c + k]; return signed ? (sbyte)v : v; }
                    for (int b = 0, o = 0; b < batch; b++)
                        for (int oy = 0; oy < g.OH; oy++)
                            for (int ox = 0; ox < g.OW; ox++)
                                for (int k = 0; k < c; k++, o++)
                                {
                                    float v = Blend(V(b, ys.Lower[oy], xs.Lower[ox], k), V(b, ys.Upper[oy], xs.Lower[ox], k),
                                        V(b, ys.Lower[oy], xs.Upper[ox], k), V(b, ys.Upper[oy], xs.Upper[ox], k), ys.Fraction[oy], xs.Fraction[ox]);
                                    byte e = Round(v, requant, zi, ratio, zo, lo, hi);
                                    if (got[o] != e)
                                        Assert.Fail($"{isa} {g} c {c} batch {batch}: output ({b},{oy},{ox},{k}) is {got[o]}, the scalar definition {e}");
                                }
                    cases++;
                }
        }
        TestContext.Out.WriteLine($"{cases} resizes equal, tables {string.Join(", ", IntegerTables())}");
    }

    [Test]
    public void Float_resize_equals_the_scalar_definition_bit_for_bit()
    {
        var rng = new Random(13);
        int cases = 0;
        foreach (var isa in FloatTables())
        {
            NativeKernels.SelectIsa(isa);
            foreach (var g in Geometries())
                foreach (int c in Channels)
                {
                    var (ys, xs) = Axes(g);
                    var x = Enumerable.Range(0, g.H * g.W * c).Select(_ => (float)(rng.NextDouble() * 20 - 10)).ToArray();
                    var got = new float[g.OH * g.OW * c];
                    NativeResizeKernels.Float(x, got, 1, g.H, g.W, c, ys.ToNative(), xs.ToNative());
                    float V(int yy, int xx, int k) => x[(yy * g.W + xx) * c + k];
                    for (int oy = 0, o = 0; oy < g.OH; oy++)
                        for (int ox = 0; ox < g.OW; ox++)
                            for (int k = 0; k < c; k++, o++)
                            {
                                float e = Blend(V(ys.Lower[oy], xs.Lower[ox], k), V(ys.Upper[oy], xs.Lower[ox], k),
                                    V(ys.Lower[oy], xs.Upper[ox], k), V(ys.Upper[oy], xs.Upper[ox], k), ys.Fraction[oy], xs.Fraction[ox]);
                                if (BitConverter.SingleToInt32Bits(got[o]) != BitConverter.SingleToInt32Bits(e))
                                    Assert.Fail($"{isa} {g} c {c}: output ({oy},{ox},{k}) is {got[o]:R}, the scalar definition {e:R}");
                            }
                    cases++;
                }
        }
        TestContext.Out.WriteLine($"{cases} float resizes bit-identical, tables {string.Join(", ", FloatTables())}");
    }

    [Test]
    public void ArgMax_gives_the_first_maximum_like_the_scalar_loop([Values(false, true)] bool signed, [Values(false, true)] bool wide)
    {
        var rng = new Random(signed ? 21 : 22);
        int cases = 0;
        foreach (var isa in IntegerTables())
        {
            NativeQ8Kernels.Select(isa);
            foreach (int c in Channels.Append(1).Append(96).Append(100))
                foreach (int n in new[] { 1, 2, 3, 7, 33, 200 })
                    foreach (bool ties in new[] { true, false })
                    {
                        var x = new byte[n * c];
                        for (int i = 0; i < x.Length; i++)
                            x[i] = ties ? (byte)(signed ? 126 + rng.Next(4) : 253 + rng.Next(3)) : (byte)rng.Next(256); // int8: 126, 127, -128, -127
                        var got = new byte[n * (wide ? 8 : 4)];
                        NativeResizeKernels.ArgMax(x, c, signed, wide, got);
                        for (int i = 0; i < n; i++)
                        {
                            int best = 0;
                            for (int k = 1; k < c; k++)
                                if ((signed ? (sbyte)x[i * c + k] : x[i * c + k]) > (signed ? (sbyte)x[i * c + best] : x[i * c + best]))
                                    best = k;
                            long idx = wide ? BitConverter.ToInt64(got, i * 8) : BitConverter.ToInt32(got, i * 4);
                            if (idx != best)
                                Assert.Fail($"{isa} c {c} n {n} ties {ties}: pixel {i} gives {idx}, the first maximum is {best}");
                        }
                        cases++;
                    }
        }
        TestContext.Out.WriteLine($"{cases} argmaxes equal, tables {string.Join(", ", IntegerTables())}");
    }

    /// <summary>Rows (argmax: pixels) split over a pool give the single-threaded bytes: DeepLab's 33x33x21 → 513x513 and its argmax.</summary>
    [Test]
    public void A_thread_pool_changes_no_byte([Values(2, 3)] int threads)
    {
        var rng = new Random(threads);
        var x = new byte[33 * 33 * 21];
        rng.NextBytes(x);
        var ys = ResizeBilinearStep.Axis.Of(33, 513, true, false).ToNative();
        var one = new byte[513 * 513 * 21];
        var many = new byte[one.Length];
        using var pool = NativeThreadPool.Create(threads);
        NativeResizeKernels.Quantized(x, one, 1, 33, 33, 21, ys, ys, false, false, 1, 0, 0);
        NativeResizeKernels.Quantized(x, many, 1, 33, 33, 21, ys, ys, false, false, 1, 0, 0, pool);
        Assert.That(many, Is.EqualTo(one));
        var f = x.Select(b => (float)b / 7).ToArray();
        var fo = new float[one.Length];
        var fm = new float[one.Length];
        NativeResizeKernels.Float(f, fo, 1, 33, 33, 21, ys, ys);
        NativeResizeKernels.Float(f, fm, 1, 33, 33, 21, ys, ys, pool);
        Assert.That(fm, Is.EqualTo(fo));
        var a1 = new byte[513 * 513 * 8];
        var a2 = new byte[a1.Length];
        NativeResizeKernels.ArgMax(one, 21, false, true, a1);
        NativeResizeKernels.ArgMax(one, 21, false, true, a2, pool);
        Assert.That(a2, Is.EqualTo(a1));
    }

    [Test]
    public void Bad_arguments_are_errors_naming_what_is_wrong()
    {
        var ax = ResizeBilinearStep.Axis.Of(4, 8, true, false).ToNative();
        var bad = new NativeResizeKernels.Axis(new[] { 0, 9 }, new[] { 1, 1 }, new[] { 0f, 0f });
        Assert.That(() => NativeResizeKernels.Quantized(new byte[16], new byte[64], 1, 4, 4, 1, ax, ax, false, false, 1, 0, 0),
            Throws.Nothing);
        Assert.That(() => NativeResizeKernels.Quantized(new byte[15], new byte[64], 1, 4, 4, 1, ax, ax, false, false, 1, 0, 0),
            Throws.ArgumentException.With.Message.Contains("input 15"));
        Assert.That(() => NativeResizeKernels.Quantized(new byte[16], new byte[4], 1, 4, 4, 1, bad, bad, false, false, 1, 0, 0),
            Throws.InstanceOf<Exception>().With.Message.Contains("output row 1 samples rows 9/1 of 4"));
        Assert.That(() => NativeResizeKernels.Quantized(new byte[16], new byte[64], 1, 4, 4, 1, ax, ax, false, true, 1e6f, 0, 0),
            Throws.InstanceOf<Exception>().With.Message.Contains("ratio"));
        Assert.That(() => NativeResizeKernels.ArgMax(new byte[10], 3, false, false, new byte[12]), Throws.ArgumentException.With.Message.Contains("runs of 3"));
        Assert.That(() => NativeResizeKernels.ArgMax(new byte[9], 3, false, true, new byte[12]), Throws.ArgumentException.With.Message.Contains("12 output bytes"));
    }
}
