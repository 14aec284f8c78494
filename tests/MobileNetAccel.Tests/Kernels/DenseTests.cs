using MobileNetAccel.Backends.Native;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Tests.Kernels.KernelTestSupport;

namespace MobileNetAccel.Tests.Kernels;

public sealed record FcCase(int Id, int Batch, int InN, int OutN, Activation Act, bool Bias, PoolKind Pool)
{
    public override string ToString() => $"#{Id} batch={Batch} inN={InN} outN={OutN} act={Act} bias={Bias} pool={Pool}";
}

public sealed record SoftmaxCase(int Id, int Batch, int N, float Beta, float Range, bool InPlace)
{
    public override string ToString() => $"#{Id} batch={Batch} n={N} beta={Beta} inputs in ±{Range} inPlace={InPlace}";
}

[TestFixture, NonParallelizable]
public sealed class DenseTests
{
    /// <summary>The channel list plus MobileNet's classifier sizes (1280/1024 in, 1001/1000 out).</summary>
    private static readonly int[] FcIn = [.. Values.Channels, 1280];
    private static readonly int[] FcOut = [.. Values.Channels, 1001];

    internal static readonly CaseTable<FcCase> FcTable = new(
        ["Batch", "InN", "OutN", "Act", "Bias", "Pool"],
        [Values.Batches.Length, FcIn.Length, FcOut.Length, Values.Activations.Length, 2, Values.Pools.Length],
        (r, id) => new FcCase(id, Values.Batches[r[0]], FcIn[r[1]], FcOut[r[2]], Values.Activations[r[3]], Values.Bools[r[4]], Values.Pools[r[5]]),
        seed: 707);

    private static readonly int[] SoftmaxN = [1, 2, 3, 7, 8, 16, 17, 1001];
    /// <summary>Betas: 1, a temperature either side of it, and a negative one (exponents then come from the row minimum).</summary>
    private static readonly float[] Betas = [1f, 0.5f, 2.5f, -0.75f];
    /// <summary>Input ranges: ±4 (ordinary logits), ±100 (exp would overflow float32 without subtracting the max).</summary>
    private static readonly float[] Ranges = [4f, 100f];

    internal static readonly CaseTable<SoftmaxCase> SoftmaxTable = new(
        ["Batch", "N", "Beta", "Range", "InPlace"],
        [Values.Batches.Length, SoftmaxN.Length, Betas.Length, Ranges.Length, 2],
        (r, id) => new SoftmaxCase(id, Values.Batches[r[0]], SoftmaxN[r[1]], Betas[r[2]], Ranges[r[3]], Values.Bools[r[4]]),
        seed: 808);

    public static IEnumerable<TestCaseData> FcCases() => FcTable.TestCases().Concat(MobileNet.Cases(MobileNet.FullyConnected));
    public static IEnumerable<TestCaseData> SoftmaxCases() => SoftmaxTable.TestCases().Concat(MobileNet.Cases(MobileNet.Softmax));

    [TestCaseSource(nameof(FcCases))]
    public void FullyConnected_MatchesNaive(FcCase c)
    {
        var rng = new Random(70_000 + c.Id);
        float[] x = RandomFloats(rng, (long)c.Batch * c.InN, -XRange, XRange);
        float[] w = RandomFloats(rng, (long)c.OutN * c.InN, -WRange, WRange);
        float[]? b = c.Bias ? RandomFloats(rng, c.OutN, -BRange, BRange) : null;
        float[] x0 = (float[])x.Clone();
        Reference expected = Naive.FullyConnected(c.Batch, c.InN, c.OutN, x, w, b, c.Act.ToNative());
        double rtol = SumTolerance(c.InN);
        ForEachIsa(isa =>
        {
            string context = $"fully_connected {c} isa={isa}";
            float[] output = OutputBuffer(expected.Value.Length);
            NativeKernels.FullyConnected(c.Batch, c.InN, c.OutN, x, w, b, c.Act.ToNative(), output.AsSpan(0, expected.Value.Length), KernelPools.Get(c.Pool));
            AssertClose(output, expected, rtol, context, "fully_connected", [c.Batch, c.OutN]);
            CheckUnchanged(x0, x, "input", context);
        });
    }

    [TestCaseSource(nameof(SoftmaxCases))]
    public void Softmax_MatchesNaive(SoftmaxCase c)
    {
        var rng = new Random(80_000 + c.Id);
        float[] x = RandomFloats(rng, (long)c.Batch * c.N, -c.Range, c.Range);
        Reference exact = Naive.Softmax(c.Batch, c.N, c.Beta, x);

        // Tolerance of y_i = e^{z_i} / Σ_j e^{z_j}, z = β(x − max), in float32:
        //  - x − max and β·(…) each round (relative u), so z_i is off by ≤ 2u|z_i|, which is a relative error of
        //    2u|z_i| in e^{z_i}; in the sum, such errors average to ≤ 2u·Σ_j y_j|z_j| relatively. |z_i| is bounded by
        //    Reference.Scale (|β| times x_i's distance to the row max or min, whichever the implementation subtracts);
        //  - exp itself: allow 4u (a libm expf is < 1 ulp; a vectorised polynomial a few ulp);
        //  - the sum of N positive terms: 4√N·u (random-walk bound, see SumTolerance); the division: u.
        // relative tol_i = 2u|z_i| + 2u·Σ y_j|z_j| + (8 + 4√N)·u, plus 1e-37 absolute for results that underflow float32.
        var tol = new double[exact.Value.Length];
        for (int b = 0; b < c.Batch; b++)
        {
            double avgZ = 0;
            for (int i = 0; i < c.N; i++)
                avgZ += exact.Value[b * c.N + i] * exact.Scale[b * c.N + i];
            for (int i = 0; i < c.N; i++)
            {
                int k = b * c.N + i;
                tol[k] = exact.Value[k] * (2 * U * exact.Scale[k] + 2 * U * avgZ + (8 + 4 * Math.Sqrt(c.N)) * U) + 1e-37;
            }
        }
        var expected = new Reference(exact.Value, tol);

        float[] x0 = (float[])x.Clone();
        ForEachIsa(isa =>
        {
            string context = $"softmax {c} isa={isa}";
            float[] output;
            if (c.InPlace)
            {
                output = OutputBuffer(x0.Length);
                x0.CopyTo(output, 0);
                NativeKernels.Softmax(c.Batch, c.N, c.Beta, output.AsSpan(0, x0.Length), output.AsSpan(0, x0.Length));
            }
            else
            {
                output = OutputBuffer(x0.Length);
                NativeKernels.Softmax(c.Batch, c.N, c.Beta, x, output.AsSpan(0, x0.Length));
                CheckUnchanged(x0, x, "input", context);
            }
            AssertClose(output, expected, 1.0, context, "softmax", [c.Batch, c.N]);
        });
    }
}
