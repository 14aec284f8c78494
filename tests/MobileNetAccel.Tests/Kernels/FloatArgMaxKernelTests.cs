using MobileNetAccel.Interop;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Kernels;

/// <summary>
/// The native float32 ARG_MAX/ARG_MIN (mna_argmax_f32) against TFLite's loop (strictly greater/less replaces, as floats
/// compare: the first maximum/minimum wins, -0 equals +0, a NaN never replaces the best and a NaN first element is the
/// answer): equal indices under every float kernel table the CPU has, over channel counts 1..70
/// (below, at and past the 8-lane step), 96, 100 and 1001, pixel counts 1..200, int32 and int64 outputs, inputs with
/// ties, with signed zeros, infinities, denormals, extremes and NaNs.
/// </summary>
[TestFixture, NonParallelizable]
public class FloatArgMaxKernelTests
{
    [TearDown]
    public void RestoreAuto() => NativeKernels.SelectIsa(KernelIsa.Auto);

    private static IEnumerable<KernelIsa> FloatTables() =>
        new[] { KernelIsa.Scalar, KernelIsa.Avx2, KernelIsa.Avx512 }.Where(NativeKernels.IsSupported);

    private static readonly float[] Specials =
    {
        float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, float.Epsilon, -float.Epsilon,
        float.MaxValue, float.MinValue, 1f, -1f, BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00001)),
    };

    /// <summary>The definition, TFLite's loop: an element replaces the best so far only when strictly greater
    /// (less) as floats compare, so a NaN never replaces the best and a NaN first element is never replaced.</summary>
    private static int Definition(ReadOnlySpan<float> x, bool min)
    {
        int best = 0;
        for (int k = 1; k < x.Length; k++)
            if (min ? x[k] < x[best] : x[k] > x[best])
                best = k;
        return best;
    }

    private static float[] Input(Random rng, int length, int kind) => Enumerable.Range(0, length).Select(_ => kind switch
    {
        0 => (float)(rng.NextDouble() * 200 - 100),
        1 => new[] { -1f, 2f, 2f, -0f, 0f }[rng.Next(5)], // ties, signed zeros
        2 => Specials[rng.Next(Specials.Length)],
        _ => rng.Next(8) == 0 ? (float)(rng.NextDouble() - 0.5) : float.NaN, // mostly NaN
    }).ToArray();

    [Test]
    public void Float_argmax_and_argmin_equal_the_managed_loop([Values(false, true)] bool min, [Values(false, true)] bool wide)
    {
        var rng = new Random(min ? 31 : 32);
        int cases = 0;
        foreach (var isa in FloatTables())
        {
            NativeKernels.SelectIsa(isa);
            foreach (int c in Enumerable.Range(1, 70).Append(96).Append(100).Append(1001))
                foreach (int n in new[] { 1, 2, 7, 33, 200 })
                    for (int kind = 0; kind < 4; kind++)
                    {
                        var x = Input(rng, n * c, kind);
                        var got = new byte[n * (wide ? 8 : 4)];
                        NativeResizeKernels.ArgMax(x, c, min, wide, got);
                        for (int i = 0; i < n; i++)
                        {
                            int want = Definition(x.AsSpan(i * c, c), min);
                            long idx = wide ? BitConverter.ToInt64(got, i * 8) : BitConverter.ToInt32(got, i * 4);
                            if (idx != want)
                                Assert.Fail($"{isa} {(min ? "argmin" : "argmax")} c {c} n {n} kind {kind}: pixel {i} gives {idx}, the definition {want}");
                        }
                        cases++;
                    }
        }
        TestContext.Out.WriteLine($"{cases} float {(min ? "argmins" : "argmaxes")} equal, tables {string.Join(", ", FloatTables())}");
    }

    /// <summary>DeepLab's 513x513x21 logits split over a pool give the single-threaded indices.</summary>
    [Test]
    public void A_thread_pool_changes_no_index([Values(2, 3)] int threads, [Values(false, true)] bool min)
    {
        var x = Input(new Random(threads), 513 * 513 * 21, 0);
        var one = new byte[513 * 513 * 8];
        var many = new byte[one.Length];
        using var pool = NativeThreadPool.Create(threads);
        NativeResizeKernels.ArgMax(x, 21, min, true, one);
        NativeResizeKernels.ArgMax(x, 21, min, true, many, pool);
        Assert.That(many, Is.EqualTo(one));
    }

    [Test]
    public void Bad_arguments_are_errors_naming_what_is_wrong()
    {
        Assert.That(() => NativeResizeKernels.ArgMax(new float[10], 3, false, false, new byte[16]), Throws.ArgumentException.With.Message.Contains("runs of 3"));
        Assert.That(() => NativeResizeKernels.ArgMax(new float[9], 3, true, true, new byte[12]), Throws.ArgumentException.With.Message.Contains("12 output bytes"));
    }
}
