using NUnit.Framework;

namespace MobileNetAccel.Conformance;

/// <summary>
/// The one tolerance of the backend conformance tests, stated once.
/// <para>Every float output y_i is checked as |got_i − want_i| ≤ ε · S_i, where want is the <see cref="Oracle"/>
/// (double accumulation, rounded once to float32), S_i = Σ|terms| of that output (the oracle run on |x|, |w|, |b|
/// without activations; through a composite block the abs-values run also carries every earlier stage's error scale
/// forward, since ReLU/ReLU6 are 1-Lipschitz and a later stage multiplies an earlier error by at most |w|), and ε
/// the sum over the stages the output went through of <see cref="Sum"/>.</para>
/// <para>Justification (as in tests/MobileNetAccel.Tests/Kernels/KernelTestSupport.cs): each float32 product and
/// addition rounds with relative error ≤ u = 2^-24. The worst case n·u·S needs adversarial data; for our random
/// inputs the accumulated error is a random walk of standard deviation ≤ about u·√n·S/3 whatever the summation order
/// (tiles, SIMD lanes, FMA, GPU reduction trees), so 4·√n·u·S (≈ 12 standard deviations) plus 2·u·S per extra
/// rounding (bias, division, square root, the final store) holds for a correct kernel. A dropped, doubled or
/// mis-indexed term moves an output by about S/n, which for every case here (n ≤ 1280) is over 10× this bound.</para>
/// <para>Ops that only move data (reshape, pad, transpose, concat) must be bit-exact (ε = 0).</para>
/// <para>Softmax is relative to the output: ε = <see cref="Sum"/>(cols, extra) with extra = 2·(3 + 2·t) + t, t the
/// largest |β·(x − max)| of the row set: the Vulkan/GLSL precision rules allow exp (3 + 2·|t|) ulp (1 ulp ≤ 2u) and
/// rounding t itself costs |t|·u; the division and the sum are in <see cref="Sum"/>. Probabilities behind logits that
/// carry an error δ move by at most p_i·2·max|δ| more (∂p_i/∂z_j = p_i(δ_ij − p_j)).</para>
/// </summary>
public static class Tolerance
{
    /// <summary>Unit roundoff of float32, 2^-24.</summary>
    public const double U = 5.9604644775390625e-8;

    /// <summary>ε of one float32 sum of <paramref name="terms"/> products followed by <paramref name="extraRoundings"/>
    /// further roundings: (4·√n + 2·(1 + extra))·u.</summary>
    public static double Sum(long terms, int extraRoundings = 1) => (4.0 * Math.Sqrt(terms) + 2.0 * (1 + extraRoundings)) * U;

    /// <summary>ε of a softmax whose largest |β·(x − max)| is <paramref name="maxExponent"/> (relative to the output).</summary>
    public static double Softmax(int cols, double maxExponent) =>
        Sum(cols, (int)Math.Ceiling(2 * (3 + 2 * maxExponent) + maxExponent));

    /// <summary>|got_i − want_i| ≤ eps·scale_i for every i (scale null: exact). On failure the message carries
    /// <paramref name="what"/> (every parameter of the case), how many elements are off, the first and the worst.</summary>
    public static void AssertClose(float[] got, float[] want, float[]? scale, double eps, string what)
    {
        Assert.That(got, Has.Length.EqualTo(want.Length), $"{what}: output length");
        if (scale is not null)
            Assert.That(scale, Has.Length.EqualTo(want.Length), $"{what}: error-scale length");
        int bad = 0, first = -1, worstAt = -1;
        double worst = 0;
        for (int i = 0; i < want.Length; i++)
        {
            double d = Math.Abs((double)got[i] - want[i]);
            double tol = scale is null ? 0 : eps * Math.Abs(scale[i]);
            double ratio = d == 0 ? 0 : tol == 0 ? double.PositiveInfinity : d / tol;
            if (double.IsNaN(d))
                ratio = double.PositiveInfinity;
            if (ratio > 1)
            {
                bad++;
                if (first < 0)
                    first = i;
            }
            if (ratio > worst || (worstAt < 0 && ratio == worst))
            {
                worst = ratio;
                worstAt = i;
            }
        }
        if (bad > 0)
            Assert.Fail($"{what}: {bad}/{want.Length} elements out of tolerance (ε = {eps:E3} × Σ|terms|{(scale is null ? ", exact" : "")}); " +
                $"first at [{first}]: got {got[first]:R}, want {want[first]:R}, allowed ±{(scale is null ? 0 : eps * scale[first]):E3}; " +
                $"worst |Δ|/allowed = {worst:G4} at [{worstAt}]: got {got[worstAt]:R}, want {want[worstAt]:R}");
        TestContext.Out.WriteLine($"{what}: largest |Δ|/allowed = {worst:F4}");
    }
}
