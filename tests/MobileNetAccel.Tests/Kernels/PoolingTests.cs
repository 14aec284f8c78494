using MobileNetAccel.Backends.Native;
using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Tests.Kernels.KernelTestSupport;

namespace MobileNetAccel.Tests.Kernels;

public sealed record GlobalPoolCase(int Id, int Batch, int H, int W, int C, PoolKind Pool)
{
    public override string ToString() => $"#{Id} N={Batch} H={H} W={W} C={C} pool={Pool}";
}

[TestFixture, NonParallelizable]
public sealed class PoolingTests
{
    private static readonly (int H, int W)[] PoolKernels = [(1, 1), (2, 2), (3, 3), (7, 7), (3, 2)];

    internal static readonly CaseTable<WindowCase> AvgPoolTable = new(
        ["C", "H", "W", "Kernel", "Stride", "Padding", "Batch", "Act", "Pool"],
        [Values.Channels.Length, Values.Heights.Length, Values.Widths.Length, PoolKernels.Length,
         Values.Strides.Length, Values.Paddings.Length, Values.Batches.Length, Values.Activations.Length, Values.Pools.Length],
        (r, id) =>
        {
            int h = Values.Heights[r[1]], w = Values.Widths[r[2]];
            (int kh, int kw) = PoolKernels[r[3]];
            (int sh, int sw) = Values.Strides[r[4]];
            Padding pad = Values.Paddings[r[5]];
            (int pt, int pb) = Pads.Of(pad, h, kh, sh, vertical: true);
            (int pl, int pr) = Pads.Of(pad, w, kw, sw, vertical: false);
            int c = Values.Channels[r[0]];
            var g = new Window(Values.Batches[r[6]], h, w, c, c, kh, kw, sh, sw, pt, pl, pb, pr);
            return g.Fits ? new WindowCase(id, g, pad, Values.Activations[r[7]], false, Values.Pools[r[8]]) : null;
        }, seed: 505);

    internal static readonly CaseTable<GlobalPoolCase> GlobalTable = new(
        ["Batch", "H", "W", "C", "Pool"],
        [Values.Batches.Length, Values.Heights.Length, Values.Widths.Length, Values.Channels.Length, Values.Pools.Length],
        (r, id) => new GlobalPoolCase(id, Values.Batches[r[0]], Values.Heights[r[1]], Values.Widths[r[2]], Values.Channels[r[3]], Values.Pools[r[4]]),
        seed: 606);

    public static IEnumerable<TestCaseData> AvgPoolCases() => AvgPoolTable.TestCases().Concat(MobileNet.Cases(MobileNet.AvgPool));
    public static IEnumerable<TestCaseData> GlobalCases() => GlobalTable.TestCases().Concat(MobileNet.Cases(MobileNet.GlobalPool));

    [TestCaseSource(nameof(AvgPoolCases))]
    public void AveragePool2D_MatchesNaive(WindowCase c)
    {
        Window g = c.G;
        var rng = new Random(50_000 + c.Id);
        float[] x = RandomFloats(rng, (long)g.N * g.H * g.W * g.C, -XRange, XRange);
        float[] x0 = (float[])x.Clone();
        Reference expected = Naive.AveragePool2D(g, x, c.Act.ToNative());
        // A float32 sum of at most KH·KW values, then one division or multiplication by the reciprocal (whose own
        // rounding is a second extra rounding). Scale = mean |x| over the counted window.
        double rtol = SumTolerance((long)g.KH * g.KW, extraRoundings: 2);
        ForEachIsa(isa =>
        {
            string context = $"avgpool2d {c} isa={isa}";
            float[] output = OutputBuffer(expected.Value.Length);
            NativeKernels.AveragePool2D(g.ToParams(c.Act.ToNative()), x, output.AsSpan(0, expected.Value.Length), KernelPools.Get(c.Pool));
            AssertClose(output, expected, rtol, context, "avgpool2d", [g.N, g.OutH, g.OutW, g.C]);
            CheckUnchanged(x0, x, "input", context);
        });
    }

    [TestCaseSource(nameof(GlobalCases))]
    public void GlobalAveragePool_MatchesNaive(GlobalPoolCase c)
    {
        var rng = new Random(60_000 + c.Id);
        float[] x = RandomFloats(rng, (long)c.Batch * c.H * c.W * c.C, -XRange, XRange);
        float[] x0 = (float[])x.Clone();
        Reference expected = Naive.GlobalAveragePool(c.Batch, c.H, c.W, c.C, x);
        double rtol = SumTolerance((long)c.H * c.W, extraRoundings: 2);
        ForEachIsa(isa =>
        {
            string context = $"global_avgpool {c} isa={isa}";
            float[] output = OutputBuffer(expected.Value.Length);
            NativeKernels.GlobalAveragePool(c.Batch, c.H, c.W, c.C, x, output.AsSpan(0, expected.Value.Length), KernelPools.Get(c.Pool));
            AssertClose(output, expected, rtol, context, "global_avgpool", [c.Batch, c.C]);
            CheckUnchanged(x0, x, "input", context);
        });
    }
}
