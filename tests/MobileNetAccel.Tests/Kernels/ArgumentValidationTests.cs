using MobileNetAccel.Interop;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Kernels;

/// <summary>A call through the managed API with one thing wrong, and the parameter the error must name.</summary>
public sealed record BadCall(string Name, Action Call, string ParamName)
{
    public override string ToString() => Name;
}

/// <summary>
/// Bad arguments through <see cref="NativeKernels"/> give an <see cref="ArgumentException"/> (or a subclass) whose
/// ParamName is the offending parameter and whose message mentions it — raised by the managed checks before any native
/// call (a native rejection would carry no ParamName). Every case starts from a valid call that is shown to succeed.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class ArgumentValidationTests
{
    // ------------------------------------------------------------- valid baselines, with one thing changed

    private static Conv2DParams ConvP(int c = 3, int outC = 4) => new()
    {
        Batch = 2, InH = 5, InW = 6, InC = c, OutC = outC, KernelH = 3, KernelW = 3, StrideH = 1, StrideW = 2,
        PadTop = 1, PadLeft = 1, PadBottom = 1, PadRight = 0, Activation = NativeActivation.Relu6,
    };

    private static long Out(Conv2DParams p) => (long)p.Batch * p.OutH * p.OutW * p.OutC;
    private static float[] F(long n) => new float[Math.Max(n, 0)];

    /// <summary>Full conv with the given params and buffer lengths adjusted by the deltas (−1 = one element short).</summary>
    private static Action Conv(Conv2DParams? p = null, int dx = 0, int dw = 0, int biasLen = -1, int dOut = 0)
    {
        Conv2DParams q = p ?? ConvP();
        Conv2DParams v = ConvP();
        float[] x = F((long)v.Batch * v.InH * v.InW * v.InC + dx);
        float[] w = F((long)v.OutC * v.KernelH * v.KernelW * v.InC + dw);
        float[] b = F(biasLen < 0 ? v.OutC : biasLen);
        float[] o = F(Out(v) + dOut);
        return () => NativeKernels.Conv2D(q, x, w, b, o);
    }

    private static Action Depthwise(Conv2DParams? p = null, int dx = 0, int dw = 0, int biasLen = -1, int dOut = 0)
    {
        Conv2DParams v = ConvP(c: 5, outC: 5);
        Conv2DParams q = p ?? v;
        float[] x = F((long)v.Batch * v.InH * v.InW * v.InC + dx);
        float[] w = F((long)v.KernelH * v.KernelW * v.InC + dw);
        float[] b = F(biasLen < 0 ? v.InC : biasLen);
        float[] o = F(Out(v) + dOut);
        return () => NativeKernels.DepthwiseConv2D(q, x, w, b, o);
    }

    private static Action AvgPool(Conv2DParams? p = null, int dx = 0, int dOut = 0)
    {
        Conv2DParams v = ConvP(c: 5, outC: 5) with { Activation = NativeActivation.None };
        Conv2DParams q = p ?? v;
        float[] x = F((long)v.Batch * v.InH * v.InW * v.InC + dx);
        float[] o = F(Out(v) + dOut);
        return () => NativeKernels.AveragePool2D(q, x, o);
    }

    private static Action Pointwise(long pixels = 10, int inC = 3, int outC = 4, NativeActivation act = NativeActivation.Relu,
        int dx = 0, int dw = 0, int biasLen = -1, int dOut = 0)
    {
        float[] x = F(10 * 3 + dx), w = F(4 * 3 + dw), b = F(biasLen < 0 ? 4 : biasLen), o = F(10 * 4 + dOut);
        return () => NativeKernels.PointwiseConv(pixels, inC, outC, x, w, b, act, o);
    }

    private static InvertedResidualParams IrbP() => new()
    {
        Batch = 1, InH = 5, InW = 4, InC = 3, HiddenC = 18, OutC = 3, Stride = 1, PadTop = 1, PadLeft = 1, PadBottom = 1, PadRight = 1,
        ExpandActivation = NativeActivation.Relu6, DepthwiseActivation = NativeActivation.Relu6, ProjectActivation = NativeActivation.None, Residual = 1,
    };

    private static Action Irb(InvertedResidualParams? p = null, int dx = 0, int dew = 0, int ebLen = 18, int ddw = 0, int dbLen = 18,
        int dpw = 0, int pbLen = 3, int dOut = 0)
    {
        InvertedResidualParams q = p ?? IrbP();
        float[] x = F(5 * 4 * 3 + dx), ew = F(18 * 3 + dew), eb = F(ebLen), dw = F(9 * 18 + ddw), db = F(dbLen),
            pw = F(3 * 18 + dpw), pb = F(pbLen), o = F(5 * 4 * 3 + dOut);
        return () => NativeKernels.InvertedResidual(q, x, ew, eb, dw, db, pw, pb, o);
    }

    private static Action Global(int batch = 2, int h = 3, int w = 4, int c = 5, int dx = 0, int dOut = 0)
    {
        float[] x = F(2 * 3 * 4 * 5 + dx), o = F(2 * 5 + dOut);
        return () => NativeKernels.GlobalAveragePool(batch, h, w, c, x, o);
    }

    private static Action Fc(int batch = 2, int inN = 7, int outN = 3, NativeActivation act = NativeActivation.None, int dx = 0, int dw = 0,
        int biasLen = -1, int dOut = 0)
    {
        float[] x = F(2 * 7 + dx), w = F(3 * 7 + dw), b = F(biasLen < 0 ? 3 : biasLen), o = F(2 * 3 + dOut);
        return () => NativeKernels.FullyConnected(batch, inN, outN, x, w, b, act, o);
    }

    private static Action Softmax(int batch = 2, int n = 5, float beta = 1f, int dx = 0, int dOut = 0)
    {
        float[] x = F(10 + dx), o = F(10 + dOut);
        return () => NativeKernels.Softmax(batch, n, beta, x, o);
    }

    private static Action Add(long count = 9, NativeActivation act = NativeActivation.Relu, int da = 0, int db = 0, int dOut = 0)
    {
        float[] a = F(9 + da), b = F(9 + db), o = F(9 + dOut);
        return () => NativeKernels.Add(count, a, b, act, o);
    }

    private static Action Act(long count = 9, NativeActivation act = NativeActivation.Relu6, int dx = 0, int dOut = 0)
    {
        float[] x = F(9 + dx), o = F(9 + dOut);
        return () => NativeKernels.ApplyActivation(count, act, x, o);
    }

    private static Action Pad(int batch = 2, int h = 3, int w = 4, int c = 5, int t = 1, int l = 0, int b = 2, int r = 1, int dx = 0, int dOut = 0)
    {
        float[] x = F(2 * 3 * 4 * 5 + dx), o = F(2 * 6 * 5 * 5 + dOut);
        return () => NativeKernels.Pad2D(batch, h, w, c, t, l, b, r, 0f, x, o);
    }

    public static IEnumerable<TestCaseData> Baselines()
    {
        yield return new TestCaseData(Conv()).SetArgDisplayNames("conv2d");
        yield return new TestCaseData(Depthwise()).SetArgDisplayNames("dwconv2d");
        yield return new TestCaseData(AvgPool()).SetArgDisplayNames("avgpool2d");
        yield return new TestCaseData(Pointwise()).SetArgDisplayNames("pwconv");
        yield return new TestCaseData(Irb()).SetArgDisplayNames("irb");
        yield return new TestCaseData(Irb(IrbP() with { HiddenC = 0, Residual = 0, OutC = 2 }, dpw: -3 * 18 + 2 * 3, dOut: -5 * 4)).SetArgDisplayNames("irb-no-expand");
        yield return new TestCaseData(Global()).SetArgDisplayNames("global_avgpool");
        yield return new TestCaseData(Fc()).SetArgDisplayNames("fully_connected");
        yield return new TestCaseData(Softmax()).SetArgDisplayNames("softmax");
        yield return new TestCaseData(Add()).SetArgDisplayNames("add");
        yield return new TestCaseData(Act()).SetArgDisplayNames("activation");
        yield return new TestCaseData(Pad()).SetArgDisplayNames("pad2d");
        // Empty biases mean "no bias" and are fine.
        yield return new TestCaseData(Conv(biasLen: 0)).SetArgDisplayNames("conv2d-no-bias");
        yield return new TestCaseData(Fc(biasLen: 0)).SetArgDisplayNames("fully_connected-no-bias");
        yield return new TestCaseData(Irb(ebLen: 0, dbLen: 0, pbLen: 0)).SetArgDisplayNames("irb-no-bias");
    }

    /// <summary>The unmodified calls succeed: each bad case below fails only because of its one change.</summary>
    [TestCaseSource(nameof(Baselines))]
    public void ValidBaselineSucceeds(Action call) => Assert.DoesNotThrow(() => call());

    public static IEnumerable<TestCaseData> BadCalls()
    {
        Conv2DParams cp = ConvP();
        InvertedResidualParams ip = IrbP();
        var bad = new List<BadCall>
        {
            // conv2d: each buffer one element short, bad shape fields, window, activation
            new("conv2d input short", Conv(dx: -1), "input"),
            new("conv2d weights short", Conv(dw: -1), "weights"),
            new("conv2d bias short", Conv(biasLen: 3), "bias"),
            new("conv2d output short", Conv(dOut: -1), "output"),
            new("conv2d zero InC", Conv(cp with { InC = 0 }), "p.InC"),
            new("conv2d zero OutC", Conv(cp with { OutC = 0 }), "p.OutC"),
            new("conv2d zero batch", Conv(cp with { Batch = 0 }), "p.Batch"),
            new("conv2d negative InH", Conv(cp with { InH = -5 }), "p.InH"),
            new("conv2d zero KernelW", Conv(cp with { KernelW = 0 }), "p.KernelW"),
            new("conv2d negative StrideH", Conv(cp with { StrideH = -1 }), "p.StrideH"),
            new("conv2d zero StrideW", Conv(cp with { StrideW = 0 }), "p.StrideW"),
            new("conv2d negative PadTop", Conv(cp with { PadTop = -1 }), "p.PadTop"),
            new("conv2d negative PadLeft", Conv(cp with { PadLeft = -2 }), "p.PadLeft"),
            new("conv2d negative PadBottom", Conv(cp with { PadBottom = -1 }), "p.PadBottom"),
            new("conv2d negative PadRight", Conv(cp with { PadRight = -1 }), "p.PadRight"),
            new("conv2d window larger than padded input", Conv(cp with { KernelH = 8 }), "p"),
            new("conv2d unknown activation", Conv(cp with { Activation = (NativeActivation)3 }), "p.Activation"),
            new("conv2d negative activation", Conv(cp with { Activation = (NativeActivation)(-1) }), "p.Activation"),
            new("conv2d size overflow", Conv(cp with { Batch = int.MaxValue, InH = int.MaxValue, InW = int.MaxValue, InC = int.MaxValue }), "input"),
            // A huge pad makes the output height overflow int32: rejected by the managed checks, not left to the native layer.
            new("conv2d output height beyond int32", Conv(cp with { PadBottom = int.MaxValue }), "p"),
            new("conv2d output width beyond int32 with stride 2", Conv(cp with { PadRight = int.MaxValue - 1, StrideW = 2 }), "output"),
            new("avgpool2d output height beyond int32", AvgPool(ConvP(c: 5, outC: 5) with { PadTop = int.MaxValue, PadBottom = int.MaxValue }), "p"),
            // depthwise
            new("dwconv2d input short", Depthwise(dx: -1), "input"),
            new("dwconv2d weights short", Depthwise(dw: -1), "weights"),
            new("dwconv2d bias short", Depthwise(biasLen: 1), "bias"),
            new("dwconv2d output short", Depthwise(dOut: -1), "output"),
            new("dwconv2d zero channels", Depthwise(ConvP(c: 0, outC: 0)), "p.InC"),
            new("dwconv2d OutC != InC", Depthwise(ConvP(c: 5, outC: 10)), "p"),
            new("dwconv2d negative stride", Depthwise(ConvP(c: 5, outC: 5) with { StrideW = -2 }), "p.StrideW"),
            new("dwconv2d window larger than padded input", Depthwise(ConvP(c: 5, outC: 5) with { KernelW = 9 }), "p"),
            // avg pool
            new("avgpool2d input short", AvgPool(dx: -1), "input"),
            new("avgpool2d output short", AvgPool(dOut: -1), "output"),
            new("avgpool2d OutC != InC", AvgPool(ConvP(c: 5, outC: 4)), "p"),
            new("avgpool2d zero channels", AvgPool(ConvP(c: 0, outC: 0)), "p.InC"),
            new("avgpool2d window larger than padded input", AvgPool(ConvP(c: 5, outC: 5) with { KernelH = 7, KernelW = 9 }), "p"),
            // pointwise
            new("pwconv input short", Pointwise(dx: -1), "input"),
            new("pwconv weights short", Pointwise(dw: -1), "weights"),
            new("pwconv bias short", Pointwise(biasLen: 2), "bias"),
            new("pwconv output short", Pointwise(dOut: -1), "output"),
            new("pwconv zero pixels", Pointwise(pixels: 0), "pixels"),
            new("pwconv negative pixels", Pointwise(pixels: -10), "pixels"),
            new("pwconv zero inC", Pointwise(inC: 0), "inC"),
            new("pwconv negative outC", Pointwise(outC: -4), "outC"),
            new("pwconv unknown activation", Pointwise(act: (NativeActivation)7), "activation"),
            // inverted residual
            new("irb input short", Irb(dx: -1), "input"),
            new("irb expandWeights short", Irb(dew: -1), "expandWeights"),
            new("irb expandBias short", Irb(ebLen: 17), "expandBias"),
            new("irb depthwiseWeights short", Irb(ddw: -1), "depthwiseWeights"),
            new("irb depthwiseBias short", Irb(dbLen: 17), "depthwiseBias"),
            new("irb projectWeights short", Irb(dpw: -1), "projectWeights"),
            new("irb projectBias short", Irb(pbLen: 2), "projectBias"),
            new("irb output short", Irb(dOut: -1), "output"),
            new("irb zero InC", Irb(ip with { InC = 0, OutC = 0, Residual = 0 }), "p.InC"),
            new("irb zero OutC", Irb(ip with { OutC = 0, Residual = 0 }), "p.OutC"),
            new("irb negative HiddenC", Irb(ip with { HiddenC = -1 }), "p.HiddenC"),
            new("irb stride 0", Irb(ip with { Stride = 0, Residual = 0 }), "p.Stride"),
            new("irb stride 3", Irb(ip with { Stride = 3, Residual = 0 }), "p.Stride"),
            new("irb negative stride", Irb(ip with { Stride = -1, Residual = 0 }), "p.Stride"),
            new("irb negative PadRight", Irb(ip with { PadRight = -1, Residual = 0 }), "p.PadRight"),
            new("irb residual with stride 2", Irb(ip with { Stride = 2 }), "p"),
            new("irb residual with InC != OutC", Irb(ip with { OutC = 2 }), "p"),
            new("irb residual with output smaller than input", Irb(ip with { PadTop = 0, PadBottom = 0 }), "p"),
            new("irb residual flag 2", Irb(ip with { Residual = 2 }), "p.Residual"),
            new("irb output height beyond int32", Irb(ip with { PadBottom = int.MaxValue, Residual = 0 }), "p"),
            new("irb output width large with stride 2", Irb(ip with { PadRight = int.MaxValue, Stride = 2, Residual = 0 }), "output"),
            new("irb window larger than padded input", Irb(ip with { InH = 1, PadTop = 0, PadBottom = 0, Residual = 0 }), "p"),
            new("irb unknown expand activation", Irb(ip with { ExpandActivation = (NativeActivation)3 }), "p.ExpandActivation"),
            new("irb unknown depthwise activation", Irb(ip with { DepthwiseActivation = (NativeActivation)4 }), "p.DepthwiseActivation"),
            new("irb unknown project activation", Irb(ip with { ProjectActivation = (NativeActivation)(-2) }), "p.ProjectActivation"),
            // global average pool
            new("global_avgpool input short", Global(dx: -1), "input"),
            new("global_avgpool output short", Global(dOut: -1), "output"),
            new("global_avgpool zero channels", Global(c: 0), "c"),
            new("global_avgpool zero batch", Global(batch: 0), "batch"),
            new("global_avgpool negative h", Global(h: -3), "h"),
            // fully connected
            new("fully_connected input short", Fc(dx: -1), "input"),
            new("fully_connected weights short", Fc(dw: -1), "weights"),
            new("fully_connected bias short", Fc(biasLen: 2), "bias"),
            new("fully_connected output short", Fc(dOut: -1), "output"),
            new("fully_connected zero batch", Fc(batch: 0), "batch"),
            new("fully_connected zero inN", Fc(inN: 0), "inN"),
            new("fully_connected negative outN", Fc(outN: -3), "outN"),
            new("fully_connected unknown activation", Fc(act: (NativeActivation)5), "activation"),
            // softmax
            new("softmax input short", Softmax(dx: -1), "input"),
            new("softmax output short", Softmax(dOut: -1), "output"),
            new("softmax zero n", Softmax(n: 0), "n"),
            new("softmax zero batch", Softmax(batch: 0), "batch"),
            new("softmax NaN beta", Softmax(beta: float.NaN), "beta"),
            new("softmax infinite beta", Softmax(beta: float.PositiveInfinity), "beta"),
            // add / activation
            new("add a short", Add(da: -1), "a"),
            new("add b short", Add(db: -1), "b"),
            new("add output short", Add(dOut: -1), "output"),
            new("add zero count", Add(count: 0), "count"),
            new("add negative count", Add(count: -1), "count"),
            new("add unknown activation", Add(act: (NativeActivation)3), "activation"),
            new("activation input short", Act(dx: -1), "input"),
            new("activation output short", Act(dOut: -1), "output"),
            new("activation zero count", Act(count: 0), "count"),
            new("activation unknown activation", Act(act: (NativeActivation)3), "activation"),
            // pad2d
            new("pad2d input short", Pad(dx: -1), "input"),
            new("pad2d output short", Pad(dOut: -1), "output"),
            new("pad2d zero channels", Pad(c: 0), "c"),
            new("pad2d negative padTop", Pad(t: -1), "padTop"),
            new("pad2d negative padLeft", Pad(l: -1), "padLeft"),
            new("pad2d negative padBottom", Pad(b: -1), "padBottom"),
            new("pad2d negative padRight", Pad(r: -1), "padRight"),
            // ISA selection and pools
            new("SelectIsa unknown value", () => NativeKernels.SelectIsa((KernelIsa)99), "isa"),
            new("NativeThreadPool zero threads", () => NativeThreadPool.Create(0).Dispose(), "threads"),
        };
        return bad.Select(b => new TestCaseData(b).SetArgDisplayNames(b.Name));
    }

    [TestCaseSource(nameof(BadCalls))]
    public void BadArgumentIsRejectedNamingTheParameter(BadCall bad)
    {
        ArgumentException e = Assert.Catch<ArgumentException>(() => bad.Call(), bad.Name)!;
        Assert.That(e.ParamName, Is.EqualTo(bad.ParamName), $"{bad.Name}: ParamName (message: {e.Message})");
        // The message must say which parameter is wrong, and the error must come from the managed checks, not the native layer.
        string bare = bad.ParamName.StartsWith("p.", StringComparison.Ordinal) ? bad.ParamName[2..] : bad.ParamName;
        Assert.That(e.Message, Does.Contain(bare), $"{bad.Name}: message should name {bare}");
        Assert.That(e.InnerException, Is.Not.InstanceOf<NativeKernelException>(), $"{bad.Name}: reached the native layer");
    }
}
