using MobileNetAccel.Interop;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Kernels;

/// <summary>
/// The pre-packed-weights API (mna_packed) on every supported kernel table: a packed run must give exactly the bits of
/// the unpacked entry point on the same table (both run the same microkernels in the same order; the reference table
/// stores plain copies), with and without a thread pool. The unpacked entry points themselves are checked against a
/// naive reference by the other kernel tests. Also: misuse is reported as exceptions naming the problem.
/// </summary>
[TestFixture]
public sealed class PackedWeightsTests
{
    private static void SameBits(float[] want, float[] got, int n, string context)
    {
        for (int i = 0; i < n; i++)
            if (BitConverter.SingleToInt32Bits(want[i]) != BitConverter.SingleToInt32Bits(got[i]))
                Assert.Fail($"{context}: element {i} = {got[i]:R}, unpacked entry point gives {want[i]:R}");
    }

    [TestCase(1, 1, 1)]
    [TestCase(49, 17, 33)]
    [TestCase(150, 24, 144)]
    [TestCase(1, 1280, 1000)]
    [TestCase(3, 320, 1280)]
    public void PointwiseMatchesUnpacked(int pixels, int inC, int outC)
    {
        var rng = new Random(pixels * 31 + inC * 7 + outC);
        float[] x = KernelTestSupport.RandomFloats(rng, (long)pixels * inC, -4, 4);
        float[] w = KernelTestSupport.RandomFloats(rng, (long)outC * inC, -1, 1);
        float[] b = KernelTestSupport.RandomFloats(rng, outC, -3, 3);
        int n = pixels * outC;
        KernelTestSupport.ForEachIsa(isa =>
        {
            foreach (PoolKind pk in Enum.GetValues<PoolKind>())
                foreach (NativeActivation act in Enum.GetValues<NativeActivation>())
                {
                    float[] want = KernelTestSupport.OutputBuffer(n), got = KernelTestSupport.OutputBuffer(n);
                    NativeKernels.PointwiseConv(pixels, inC, outC, x, w, b, act, want.AsSpan(0, n), KernelPools.Get(pk));
                    using var packed = NativePackedWeights.PackPointwise(inC, outC, w, b);
                    Assert.That(packed.Isa, Is.EqualTo(isa));
                    packed.RunPointwise(pixels, x, act, got.AsSpan(0, n), KernelPools.Get(pk));
                    KernelTestSupport.CheckGuard(got, n, $"{isa} pwconv");
                    SameBits(want, got, n, $"{isa} pwconv {pixels}x{inC}->{outC} {act} pool {pk}");
                }
        });
    }

    [TestCase(224, 3, 32, 2)]
    [TestCase(9, 5, 7, 1)]
    [TestCase(8, 16, 24, 2)]
    public void Conv2DMatchesUnpacked(int size, int inC, int outC, int stride)
    {
        var p = new Conv2DParams
        {
            Batch = 1, InH = size, InW = size + 1, InC = inC, OutC = outC, KernelH = 3, KernelW = 3, StrideH = stride, StrideW = stride,
            PadTop = stride == 2 ? 0 : 1, PadLeft = stride == 2 ? 0 : 1, PadBottom = 1, PadRight = 1, Activation = NativeActivation.Relu6,
        };
        var rng = new Random(size + inC + outC);
        float[] x = KernelTestSupport.RandomFloats(rng, (long)size * (size + 1) * inC, -4, 4);
        float[] w = KernelTestSupport.RandomFloats(rng, (long)outC * 9 * inC, -1, 1);
        float[] b = KernelTestSupport.RandomFloats(rng, outC, -3, 3);
        int n = p.OutH * p.OutW * outC;
        KernelTestSupport.ForEachIsa(isa =>
        {
            float[] want = KernelTestSupport.OutputBuffer(n), got = KernelTestSupport.OutputBuffer(n);
            NativeKernels.Conv2D(p, x, w, b, want.AsSpan(0, n), KernelPools.Get(PoolKind.Two));
            using var packed = NativePackedWeights.PackConv2D(p, w, b);
            packed.RunConv2D(p, x, got.AsSpan(0, n), KernelPools.Get(PoolKind.None));
            KernelTestSupport.CheckGuard(got, n, $"{isa} conv2d");
            SameBits(want, got, n, $"{isa} conv2d {size} {inC}->{outC} s{stride}");
        });
    }

    [TestCase(28, 24, 144, 24, 1, 1)]
    [TestCase(15, 16, 96, 24, 2, 0)]
    [TestCase(7, 160, 960, 160, 1, 1)]
    [TestCase(12, 32, 0, 16, 1, 0)]
    public void InvertedResidualMatchesUnpacked(int size, int inC, int hiddenC, int outC, int stride, int residual)
    {
        var p = new InvertedResidualParams
        {
            Batch = 1, InH = size, InW = size, InC = inC, HiddenC = hiddenC, OutC = outC, Stride = stride,
            PadTop = 1, PadLeft = 1, PadBottom = 1, PadRight = 1,
            ExpandActivation = NativeActivation.Relu6, DepthwiseActivation = NativeActivation.Relu6, ProjectActivation = NativeActivation.None,
            Residual = residual,
        };
        int hidden = p.DepthwiseChannels;
        var rng = new Random(size * 3 + inC + hiddenC);
        float[] x = KernelTestSupport.RandomFloats(rng, (long)size * size * inC, -4, 4);
        float[] ew = hiddenC > 0 ? KernelTestSupport.RandomFloats(rng, (long)hiddenC * inC, -1, 1) : [];
        float[] eb = hiddenC > 0 ? KernelTestSupport.RandomFloats(rng, hiddenC, -3, 3) : [];
        float[] dw = KernelTestSupport.RandomFloats(rng, 9L * hidden, -1, 1);
        float[] db = KernelTestSupport.RandomFloats(rng, hidden, -3, 3);
        float[] pw = KernelTestSupport.RandomFloats(rng, (long)outC * hidden, -1, 1);
        float[] pb = KernelTestSupport.RandomFloats(rng, outC, -3, 3);
        int n = p.OutH * p.OutW * outC;
        KernelTestSupport.ForEachIsa(isa =>
        {
            foreach (PoolKind pk in Enum.GetValues<PoolKind>())
            {
                float[] want = KernelTestSupport.OutputBuffer(n), got = KernelTestSupport.OutputBuffer(n);
                NativeKernels.InvertedResidual(p, x, ew, eb, dw, db, pw, pb, want.AsSpan(0, n), KernelPools.Get(pk));
                using var packed = NativePackedWeights.PackInvertedResidual(p, ew, eb, dw, db, pw, pb);
                packed.RunInvertedResidual(p, x, got.AsSpan(0, n), KernelPools.Get(pk));
                KernelTestSupport.CheckGuard(got, n, $"{isa} irb");
                SameBits(want, got, n, $"{isa} irb {size} {inC}->{hiddenC}->{outC} s{stride} pool {pk}");
            }
        });
    }

    [Test]
    public void MisuseIsReported()
    {
        float[] w = new float[6], x = new float[8], y = new float[8];
        Assert.Throws<ArgumentException>(() => NativePackedWeights.PackPointwise(2, 3, w.AsSpan(0, 5), []));
        Assert.Throws<ArgumentOutOfRangeException>(() => NativePackedWeights.PackPointwise(0, 3, w, []));
        var packed = NativePackedWeights.PackPointwise(2, 3, w, []);
        Assert.Throws<ArgumentException>(() => packed.RunPointwise(2, x.AsSpan(0, 3), NativeActivation.None, y));
        Assert.Throws<ArgumentException>(() => packed.RunPointwise(2, x, NativeActivation.None, y.AsSpan(0, 5)));
        var cp = new Conv2DParams { Batch = 1, InH = 2, InW = 2, InC = 2, OutC = 3, KernelH = 1, KernelW = 1, StrideH = 1, StrideW = 1 };
        Assert.Throws<InvalidOperationException>(() => packed.RunConv2D(cp, x, y));
        packed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => packed.RunPointwise(2, x, NativeActivation.None, y));
        using var conv = NativePackedWeights.PackConv2D(cp, w, []);
        var other = cp with { InC = 1 };
        var ex = Assert.Throws<ArgumentException>(() => conv.RunConv2D(other, x, y));
        Assert.That(ex!.Message, Does.Contain("InC"));
    }
}
