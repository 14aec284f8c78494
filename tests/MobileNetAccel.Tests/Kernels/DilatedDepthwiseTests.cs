using MobileNetAccel.Backends.Native;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Tests.Kernels.KernelTestSupport;

namespace MobileNetAccel.Tests.Kernels;

/// <summary>A dilated depthwise case: input N x H x W x C, a KH x KW window with taps DH/DW apart, stride, pads.</summary>
public sealed record DilatedCase(int Id, int N, int H, int W, int C, int KH, int KW, int DH, int DW, int SH, int SW,
    bool Same, Activation Act, bool Bias, PoolKind Pool)
{
    public int PT => Same ? MobileNetAccel.Graph.Padding.Same(H, KH, SH, DH).Before : 0;
    public int PB => Same ? MobileNetAccel.Graph.Padding.Same(H, KH, SH, DH).After : 0;
    public int PL => Same ? MobileNetAccel.Graph.Padding.Same(W, KW, SW, DW).Before : 0;
    public int PR => Same ? MobileNetAccel.Graph.Padding.Same(W, KW, SW, DW).After : 0;
    public int OutH => (H + PT + PB - ((KH - 1) * DH + 1)) / SH + 1;
    public int OutW => (W + PL + PR - ((KW - 1) * DW + 1)) / SW + 1;
    public bool Fits => H + PT + PB >= (KH - 1) * DH + 1 && W + PL + PR >= (KW - 1) * DW + 1;

    internal Conv2DParams Params() => new()
    {
        Batch = N, InH = H, InW = W, InC = C, OutC = C, KernelH = KH, KernelW = KW, StrideH = SH, StrideW = SW,
        PadTop = PT, PadLeft = PL, PadBottom = PB, PadRight = PR, Activation = Act.ToNative(),
    };

    public override string ToString() =>
        $"#{Id} N={N} {H}x{W}x{C} K={KH}x{KW} dilation={DH}x{DW} stride={SH}x{SW} {(Same ? "SAME" : "VALID")} " +
        $"pads(t,l,b,r)=({PT},{PL},{PB},{PR}) -> {OutH}x{OutW} act={Act} bias={Bias} pool={Pool}";
}

/// <summary>
/// mna_f32_dwconv2d_dilated on every kernel table against a naive double-precision loop written here from mna.h's
/// definition (tap (ky, kx) reads (oy·SH − PT + ky·DH, ox·SW − PL + kx·DW), zero outside). Tolerance: the same
/// <see cref="SumTolerance"/> of KH·KW terms as the undilated depthwise test (the kernel rounds once per tap, plus the
/// bias; the clamp is exact), relative to Σ|terms|. Each table's result must also be bit-identical for 0, 1 and 2
/// worker threads (one accumulation order per element).
/// </summary>
[TestFixture, NonParallelizable]
public sealed class DilatedDepthwiseTests
{
    private static readonly int[] Sizes = [1, 2, 5, 8, 13, 33];
    private static readonly int[] Channels = [1, 3, 8, 16, 17, 40, 96];
    private static readonly (int H, int W)[] Kernels = [(3, 3), (3, 3), (3, 3), (1, 1), (5, 5), (3, 2), (2, 3)];
    private static readonly (int H, int W)[] Dilations = [(2, 2), (4, 4), (1, 1), (2, 1), (1, 3), (3, 3), (6, 6)];
    private static readonly (int H, int W)[] Strides = [(1, 1), (1, 1), (2, 2), (1, 2)];

    public static IEnumerable<TestCaseData> Cases()
    {
        var rng = new Random(4242);
        var list = new List<DilatedCase>();
        // DeepLab's own layers (3x3, stride 1, SAME, dilation 2 and 4) at reduced channel counts
        list.Add(new DilatedCase(0, 1, 33, 33, 64, 3, 3, 2, 2, 1, 1, true, Activation.Relu6, true, PoolKind.Two));
        list.Add(new DilatedCase(1, 1, 33, 33, 40, 3, 3, 4, 4, 1, 1, true, Activation.Relu6, true, PoolKind.None));
        list.Add(new DilatedCase(2, 2, 17, 19, 24, 3, 3, 4, 4, 1, 1, true, Activation.None, false, PoolKind.Two));
        while (list.Count < 160)
        {
            (int kh, int kw) = Kernels[rng.Next(Kernels.Length)];
            (int dh, int dw) = Dilations[rng.Next(Dilations.Length)];
            (int sh, int sw) = Strides[rng.Next(Strides.Length)];
            var c = new DilatedCase(list.Count, rng.Next(4) == 0 ? 2 : 1, Sizes[rng.Next(Sizes.Length)], Sizes[rng.Next(Sizes.Length)],
                Channels[rng.Next(Channels.Length)], kh, kw, dh, dw, sh, sw, rng.Next(3) != 0,
                Values.Activations[rng.Next(Values.Activations.Length)], rng.Next(2) == 0, (PoolKind)rng.Next(3));
            if (c.Fits && (long)c.N * c.OutH * c.OutW * c.C * kh * kw <= 2_000_000)
                list.Add(c);
        }
        return list.Select(c => new TestCaseData(c).SetName($"Dilated_MatchesNaive({c.Id})"));
    }

    private static Reference NaiveDilated(DilatedCase g, float[] x, float[] w, float[]? bias) =>
        Naive.DepthwiseConv2D(g.N, g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.PT, g.PL, g.DH, g.DW, g.OutH, g.OutW, x, w, bias, g.Act.ToNative());

    [TestCaseSource(nameof(Cases))]
    public void Dilated_MatchesNaive(DilatedCase c)
    {
        var rng = new Random(70_000 + c.Id);
        float[] x = RandomFloats(rng, (long)c.N * c.H * c.W * c.C, -XRange, XRange);
        float[] w = RandomFloats(rng, (long)c.KH * c.KW * c.C, -WRange, WRange);
        float[]? b = c.Bias ? RandomFloats(rng, c.C, -BRange, BRange) : null;
        float[] x0 = (float[])x.Clone(), w0 = (float[])w.Clone();
        Reference expected = NaiveDilated(c, x, w, b);
        int len = expected.Value.Length;
        double rtol = SumTolerance((long)c.KH * c.KW);
        ForEachIsa(isa =>
        {
            string context = $"dwconv2d_dilated {c} isa={isa}";
            float[] output = OutputBuffer(len);
            NativeKernels.DepthwiseConv2DDilated(c.Params(), c.DH, c.DW, x, w, b, output.AsSpan(0, len), KernelPools.Get(c.Pool));
            AssertClose(output, expected, rtol, context, "dwconv2d_dilated", [c.N, c.OutH, c.OutW, c.C]);
            CheckUnchanged(x0, x, "input", context);
            CheckUnchanged(w0, w, "weights", context);
            foreach (PoolKind other in Enum.GetValues<PoolKind>())
            {
                float[] again = OutputBuffer(len);
                NativeKernels.DepthwiseConv2DDilated(c.Params(), c.DH, c.DW, x, w, b, again.AsSpan(0, len), KernelPools.Get(other));
                AssertExact(again, output.AsSpan(0, len).ToArray(), $"{context} vs pool={other}");
            }
        });
    }

    [Test]
    public void Dilation1_EqualsUndilatedKernelWithinTolerance()
    {
        // the separate undilated kernel and the dilated one at dilation 1 compute the same definition
        var c = new DilatedCase(0, 1, 13, 13, 17, 3, 3, 1, 1, 1, 1, true, Activation.Relu6, true, PoolKind.None);
        var rng = new Random(5);
        float[] x = RandomFloats(rng, (long)c.H * c.W * c.C, -XRange, XRange);
        float[] w = RandomFloats(rng, 9L * c.C, -WRange, WRange);
        float[] b = RandomFloats(rng, c.C, -BRange, BRange);
        Reference expected = NaiveDilated(c, x, w, b);
        var dilated = OutputBuffer(expected.Value.Length);
        var plain = OutputBuffer(expected.Value.Length);
        NativeKernels.DepthwiseConv2DDilated(c.Params(), 1, 1, x, w, b, dilated.AsSpan(0, expected.Value.Length));
        NativeKernels.DepthwiseConv2D(c.Params(), x, w, b, plain.AsSpan(0, expected.Value.Length));
        AssertClose(dilated, expected, SumTolerance(9), "dilated d=1", "dwconv2d_dilated");
        AssertClose(plain, expected, SumTolerance(9), "undilated", "dwconv2d");
    }

    [Test]
    public unsafe void BadArguments_GiveNamedErrors()
    {
        var c = new DilatedCase(0, 1, 5, 5, 3, 3, 3, 2, 2, 1, 1, false, Activation.None, false, PoolKind.None);
        var p = c.Params(); // VALID, dilation 2: a 5-wide window on a 5x5 input -> 1x1
        float[] x = new float[75], w = new float[27], y = new float[3];
        Assert.That(() => NativeKernels.DepthwiseConv2DDilated(p, 0, 1, x, w, default, y),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("dilationH"));
        Assert.That(() => NativeKernels.DepthwiseConv2DDilated(p, 3, 3, x, w, default, y),
            Throws.ArgumentException.With.Message.Contains("dilated 3x3 does not fit"));
        Assert.That(() => NativeKernels.DepthwiseConv2DDilated(p, 2, 2, x, w, default, new float[2]),
            Throws.ArgumentException.With.Message.Contains("output"));
        // the native checks on their own (the managed ones bypassed)
        Conv2DParams q = p;
        fixed (float* px = x, pw = w, py = y)
        {
            Assert.That(NativeMethods.mna_f32_dwconv2d_dilated(&q, 0, 1, px, 75, pw, 27, null, 0, py, 3, 0), Is.EqualTo(NativeStatus.InvalidArgument));
            Assert.That(NativeError.LastMessage(), Does.Contain("dilation_h"));
            Assert.That(NativeMethods.mna_f32_dwconv2d_dilated(&q, 3, 3, px, 75, pw, 27, null, 0, py, 3, 0), Is.EqualTo(NativeStatus.InvalidArgument));
            Assert.That(NativeError.LastMessage(), Does.Contain("kernel h 7"));
            Assert.That(NativeMethods.mna_f32_dwconv2d_dilated(&q, 2, 2, px, 75, pw, 27, null, 0, py, 2, 0), Is.EqualTo(NativeStatus.BufferTooSmall));
            Assert.That(NativeError.LastMessage(), Does.Contain("output_len"));
        }
    }
}
