using MobileNetAccel.Backends.Native;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Tests.Kernels.KernelTestSupport;

namespace MobileNetAccel.Tests.Kernels;

/// <summary>Parameter value lists shared by the kernel tables (the list of channel counts, odd/even sizes with 1 and 2, ...).</summary>
public static class Values
{
    public static readonly int[] Channels = [1, 3, 7, 8, 16, 17, 32, 96, 144];
    public static readonly int[] Heights = [1, 2, 3, 4, 7, 8, 15];
    public static readonly int[] Widths = [1, 2, 3, 5, 6, 9, 16];
    public static readonly int[] Batches = [1, 3];
    public static readonly (int H, int W)[] Strides = [(1, 1), (2, 2), (1, 2), (2, 1)];
    public static readonly Padding[] Paddings = Enum.GetValues<Padding>();
    public static readonly Activation[] Activations = Enum.GetValues<Activation>();
    public static readonly bool[] Bools = [false, true];
    public static readonly PoolKind[] Pools = Enum.GetValues<PoolKind>();

    /// <summary>Most multiply-adds one case may do (keeps the whole table well under a second per ISA).</summary>
    public const long MacBudget = 4_000_000;
}

/// <summary>A convolution-like case: the window plus activation, bias and thread pool.</summary>
public sealed record WindowCase(int Id, Window G, Padding Padding, Activation Act, bool Bias, PoolKind Pool)
{
    public override string ToString() => $"#{Id} {G} padding={Padding} act={Act} bias={Bias} pool={Pool}";
}

[TestFixture, NonParallelizable]
public sealed class ConvolutionTests
{
    // Static fields initialise in textual order: value lists first, then the tables built from them.
    private static readonly (int H, int W)[] ConvKernels = [(1, 1), (2, 2), (3, 3), (5, 5), (3, 1), (1, 3)];
    /// <summary>MobileNet uses 3x3 (5x5 in V3); mna_f32_dwconv2d takes any window, so others are covered too.</summary>
    private static readonly (int H, int W)[] DepthwiseKernels = [(3, 3), (1, 1), (5, 5), (3, 2)];

    private static readonly int[] PointwisePixels = [1, 2, 3, 4, 7, 16, 17, 49];


    internal static readonly CaseTable<WindowCase> Conv2DTable = new(
        ["InC", "OutC", "H", "W", "Kernel", "Stride", "Padding", "Batch", "Act", "Bias", "Pool"],
        [Values.Channels.Length, Values.Channels.Length, Values.Heights.Length, Values.Widths.Length, ConvKernels.Length,
         Values.Strides.Length, Values.Paddings.Length, Values.Batches.Length, Values.Activations.Length, 2, Values.Pools.Length],
        (r, id) =>
        {
            int h = Values.Heights[r[2]], w = Values.Widths[r[3]];
            (int kh, int kw) = ConvKernels[r[4]];
            (int sh, int sw) = Values.Strides[r[5]];
            Padding pad = Values.Paddings[r[6]];
            (int pt, int pb) = Pads.Of(pad, h, kh, sh, vertical: true);
            (int pl, int pr) = Pads.Of(pad, w, kw, sw, vertical: false);
            var g = new Window(Values.Batches[r[7]], h, w, Values.Channels[r[0]], Values.Channels[r[1]], kh, kw, sh, sw, pt, pl, pb, pr);
            if (!g.Fits || (long)g.N * g.OutH * g.OutW * g.OutC * kh * kw * g.C > Values.MacBudget)
                return null;
            return new WindowCase(id, g, pad, Values.Activations[r[8]], Values.Bools[r[9]], Values.Pools[r[10]]);
        }, seed: 101);

    internal static readonly CaseTable<WindowCase> DepthwiseTable = new(
        ["C", "H", "W", "Kernel", "Stride", "Padding", "Batch", "Act", "Bias", "Pool"],
        [Values.Channels.Length, Values.Heights.Length, Values.Widths.Length, DepthwiseKernels.Length,
         Values.Strides.Length, Values.Paddings.Length, Values.Batches.Length, Values.Activations.Length, 2, Values.Pools.Length],
        (r, id) =>
        {
            int h = Values.Heights[r[1]], w = Values.Widths[r[2]];
            (int kh, int kw) = DepthwiseKernels[r[3]];
            (int sh, int sw) = Values.Strides[r[4]];
            Padding pad = Values.Paddings[r[5]];
            (int pt, int pb) = Pads.Of(pad, h, kh, sh, vertical: true);
            (int pl, int pr) = Pads.Of(pad, w, kw, sw, vertical: false);
            int c = Values.Channels[r[0]];
            var g = new Window(Values.Batches[r[6]], h, w, c, c, kh, kw, sh, sw, pt, pl, pb, pr);
            return g.Fits ? new WindowCase(id, g, pad, Values.Activations[r[7]], Values.Bools[r[8]], Values.Pools[r[9]]) : null;
        }, seed: 202);

    internal static readonly CaseTable<PointwiseCase> PointwiseTable = new(
        ["Pixels", "Batch", "InC", "OutC", "Act", "Bias", "Pool"],
        [PointwisePixels.Length, Values.Batches.Length, Values.Channels.Length, Values.Channels.Length, Values.Activations.Length, 2, Values.Pools.Length],
        (r, id) => new PointwiseCase(id, Values.Batches[r[1]], PointwisePixels[r[0]], Values.Channels[r[2]], Values.Channels[r[3]],
            Values.Activations[r[4]], Values.Bools[r[5]], Values.Pools[r[6]]),
        seed: 303);

    public sealed record PointwiseCase(int Id, int Batch, int PixelsPerImage, int InC, int OutC, Activation Act, bool Bias, PoolKind Pool)
    {
        public int Pixels => Batch * PixelsPerImage;
        public override string ToString() => $"#{Id} pixels={Batch}x{PixelsPerImage} InC={InC} OutC={OutC} act={Act} bias={Bias} pool={Pool}";
    }

    public static IEnumerable<TestCaseData> Conv2DCases() => Conv2DTable.TestCases().Concat(MobileNet.Cases(MobileNet.Conv2D));
    public static IEnumerable<TestCaseData> DepthwiseCases() => DepthwiseTable.TestCases().Concat(MobileNet.Cases(MobileNet.Depthwise));
    public static IEnumerable<TestCaseData> PointwiseCases() => PointwiseTable.TestCases().Concat(MobileNet.Cases(MobileNet.Pointwise));

    [TestCaseSource(nameof(Conv2DCases))]
    public void Conv2D_MatchesNaive(WindowCase c)
    {
        Window g = c.G;
        var rng = new Random(10_000 + c.Id);
        float[] x = RandomFloats(rng, (long)g.N * g.H * g.W * g.C, -XRange, XRange);
        float[] w = RandomFloats(rng, (long)g.OutC * g.KH * g.KW * g.C, -WRange, WRange);
        float[]? b = c.Bias ? RandomFloats(rng, g.OutC, -BRange, BRange) : null;
        float[] x0 = (float[])x.Clone(), w0 = (float[])w.Clone();
        Reference expected = Naive.Conv2D(g, x, w, b, c.Act.ToNative());
        double rtol = SumTolerance((long)g.KH * g.KW * g.C);
        ForEachIsa(isa =>
        {
            string context = $"conv2d {c} isa={isa}";
            float[] output = OutputBuffer(expected.Value.Length);
            NativeKernels.Conv2D(g.ToParams(c.Act.ToNative()), x, w, b, output.AsSpan(0, expected.Value.Length), KernelPools.Get(c.Pool));
            AssertClose(output, expected, rtol, context, "conv2d", [g.N, g.OutH, g.OutW, g.OutC]);
            CheckUnchanged(x0, x, "input", context);
            CheckUnchanged(w0, w, "weights", context);
        });
    }

    [TestCaseSource(nameof(DepthwiseCases))]
    public void DepthwiseConv2D_MatchesNaive(WindowCase c)
    {
        Window g = c.G;
        var rng = new Random(20_000 + c.Id);
        float[] x = RandomFloats(rng, (long)g.N * g.H * g.W * g.C, -XRange, XRange);
        float[] w = RandomFloats(rng, (long)g.KH * g.KW * g.C, -WRange, WRange);
        float[]? b = c.Bias ? RandomFloats(rng, g.C, -BRange, BRange) : null;
        float[] x0 = (float[])x.Clone();
        Reference expected = Naive.DepthwiseConv2D(g, x, w, b, c.Act.ToNative());
        double rtol = SumTolerance((long)g.KH * g.KW);
        ForEachIsa(isa =>
        {
            string context = $"dwconv2d {c} isa={isa}";
            float[] output = OutputBuffer(expected.Value.Length);
            NativeKernels.DepthwiseConv2D(g.ToParams(c.Act.ToNative()), x, w, b, output.AsSpan(0, expected.Value.Length), KernelPools.Get(c.Pool));
            AssertClose(output, expected, rtol, context, "dwconv2d", [g.N, g.OutH, g.OutW, g.C]);
            CheckUnchanged(x0, x, "input", context);
        });
    }

    [TestCaseSource(nameof(PointwiseCases))]
    public void Pointwise_MatchesNaive(PointwiseCase c)
    {
        var rng = new Random(30_000 + c.Id);
        float[] x = RandomFloats(rng, (long)c.Pixels * c.InC, -XRange, XRange);
        float[] w = RandomFloats(rng, (long)c.OutC * c.InC, -WRange, WRange);
        float[]? b = c.Bias ? RandomFloats(rng, c.OutC, -BRange, BRange) : null;
        float[] x0 = (float[])x.Clone();
        Reference expected = Naive.Pointwise(c.Pixels, c.InC, c.OutC, x, w, b, c.Act.ToNative());
        double rtol = SumTolerance(c.InC);
        ForEachIsa(isa =>
        {
            string context = $"pwconv {c} isa={isa}";
            float[] output = OutputBuffer(expected.Value.Length);
            NativeKernels.PointwiseConv(c.Pixels, c.InC, c.OutC, x, w, b, c.Act.ToNative(), output.AsSpan(0, expected.Value.Length), KernelPools.Get(c.Pool));
            AssertClose(output, expected, rtol, context, "pwconv", [c.Pixels, c.OutC]);
            CheckUnchanged(x0, x, "input", context);
        });
    }
}
