using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using MobileNetAccel.Kernels.Gpu;
using NUnit.Framework;

namespace MobileNetAccel.Gpu.Tests;

/// <summary>
/// Every ILGPU kernel against the naive C# reference (<see cref="Reference"/>, double accumulation) over tables of shapes,
/// strides, paddings, channel counts (including ones that are not multiples of the 32-wide GEMM tile, the 16-deep K
/// slice, the 8x8 output tile or the 32-channel hidden chunk) and batch sizes.
/// Tolerance: inputs are in [-1, 1] and weights scaled by 1/sqrt(fan-in), so outputs are O(1); float32 accumulation of
/// at most a few hundred products in a different order than the reference differs by well under 1e-5 per term sum,
/// so |Δ| ≤ 1e-4 + 1e-4·|want| holds for a correct kernel while any indexing error is off by O(0.1).
/// </summary>
public abstract class OpTests : GpuFixture
{
    private const double Abs = 1e-4, Rel = 1e-4;

    private static float[] Weights(Random r, int n, int fanIn) => RandomFloats(r, n, 1f / MathF.Sqrt(fanIn));

    public static IEnumerable<TestCaseData> ConvCases()
    {
        // n, h, w, cin, cout, k, stride, same-padding, activation
        yield return new TestCaseData(1, 15, 15, 3, 8, 3, 2, true, Activation.Relu6).SetName("Conv 3x3 s2 first layer 15x15x3→8 relu6");
        yield return new TestCaseData(2, 16, 16, 3, 32, 3, 2, true, Activation.Relu6).SetName("Conv 3x3 s2 batch2 16x16x3→32");
        yield return new TestCaseData(1, 9, 7, 5, 6, 5, 1, true, Activation.None).SetName("Conv 5x5 s1 9x7x5→6");
        yield return new TestCaseData(1, 8, 8, 4, 3, 3, 1, false, Activation.Relu).SetName("Conv 3x3 s1 valid relu");
        // 1x1 stride 1 pad 0 runs on the tiled GEMM
        yield return new TestCaseData(1, 5, 7, 19, 37, 1, 1, false, Activation.Relu6).SetName("Pointwise 35 px 19→37 relu6");
        yield return new TestCaseData(2, 8, 8, 64, 40, 1, 1, false, Activation.None).SetName("Pointwise batch2 8x8 64→40");
        yield return new TestCaseData(1, 3, 3, 128, 96, 1, 1, false, Activation.Relu).SetName("Pointwise 3x3 128→96 relu");
        yield return new TestCaseData(3, 1, 1, 8, 1, 1, 1, false, Activation.None).SetName("Pointwise 1x1 8→1 batch3");
        yield return new TestCaseData(1, 4, 4, 6, 5, 1, 2, false, Activation.None).SetName("Conv 1x1 s2 (direct kernel)");
    }

    [TestCaseSource(nameof(ConvCases))]
    public void Conv2D(int n, int h, int w, int cin, int cout, int k, int stride, bool same, Activation act)
    {
        var r = Rng(h * 31 + cin * 7 + cout + k);
        var x = RandomFloats(r, n * h * w * cin);
        var wt = Weights(r, cout * k * k * cin, k * k * cin);
        var b = RandomFloats(r, cout, 0.5f);
        var pad = same ? Padding.Same(h, w, k, k, stride, stride) : Padding.Zero;
        var g = new ModelGraph("conv");
        var xin = new Value("x", new[] { n, h, w, cin });
        var y = new Value("y", Array.Empty<int>());
        g.Inputs.Add(xin);
        g.Outputs.Add(y);
        g.Add(new Conv2DNode("conv", xin, Value.Constant("w", new[] { cout, k, k, cin }, wt), Value.Constant("b", new[] { cout }, b), y)
        { StrideH = stride, StrideW = stride, Padding = pad, Activation = act });
        var got = Run(g, x);
        int oh = y.Shape[1], ow = y.Shape[2];
        var want = Reference.Conv(x, n, h, w, cin, wt, b, cout, k, k, stride, stride, pad.Top, pad.Left, oh, ow, act);
        AssertClose(got, want, Abs, Rel, TestContext.CurrentContext.Test.Name);
    }

    public static IEnumerable<TestCaseData> DepthwiseCases()
    {
        // n, h, w, c, stride, activation
        yield return new TestCaseData(1, 7, 7, 8, 1, Activation.Relu6).SetName("Depthwise 3x3 s1 7x7x8 relu6");
        yield return new TestCaseData(2, 9, 6, 13, 1, Activation.None).SetName("Depthwise 3x3 s1 batch2 9x6x13");
        yield return new TestCaseData(1, 8, 8, 16, 2, Activation.Relu6).SetName("Depthwise 3x3 s2 8x8x16 relu6");
        yield return new TestCaseData(3, 7, 5, 5, 2, Activation.Relu).SetName("Depthwise 3x3 s2 batch3 odd 7x5x5");
    }

    [TestCaseSource(nameof(DepthwiseCases))]
    public void DepthwiseConv2D(int n, int h, int w, int c, int stride, Activation act)
    {
        var r = Rng(h * 13 + c + stride);
        var x = RandomFloats(r, n * h * w * c);
        var wt = Weights(r, 9 * c, 9);
        var b = RandomFloats(r, c, 0.5f);
        var pad = Padding.Same(h, w, 3, 3, stride, stride);
        var g = new ModelGraph("dw");
        var xin = new Value("x", new[] { n, h, w, c });
        var y = new Value("y", Array.Empty<int>());
        g.Inputs.Add(xin);
        g.Outputs.Add(y);
        g.Add(new DepthwiseConv2DNode("dw", xin, Value.Constant("w", new[] { 1, 3, 3, c }, wt), Value.Constant("b", new[] { c }, b), y)
        { StrideH = stride, StrideW = stride, Padding = pad, Activation = act });
        var got = Run(g, x);
        var want = Reference.Depthwise(x, n, h, w, c, wt, b, 3, 3, stride, stride, pad.Top, pad.Left, y.Shape[1], y.Shape[2], act);
        AssertClose(got, want, Abs, Rel, TestContext.CurrentContext.Test.Name);
    }

    public static IEnumerable<TestCaseData> InvertedResidualCases()
    {
        // n, h, w, cin, hidden (0 = no expand), cout, stride, residual
        yield return new TestCaseData(1, 8, 8, 8, 48, 8, 1, true).SetName("IRB expand 8→48→8 s1 residual");
        yield return new TestCaseData(2, 11, 9, 12, 40, 16, 1, false).SetName("IRB batch2 11x9 12→40→16 s1 (partial tiles)");
        yield return new TestCaseData(1, 12, 12, 8, 36, 12, 2, false).SetName("IRB expand 8→36→12 s2");
        yield return new TestCaseData(2, 9, 9, 6, 24, 10, 2, false).SetName("IRB batch2 odd 9x9 s2");
        yield return new TestCaseData(1, 10, 10, 16, 0, 8, 1, false).SetName("IRB no expand 16→16→8 s1");
        yield return new TestCaseData(1, 7, 7, 24, 0, 24, 1, true).SetName("IRB no expand residual 24");
    }

    [TestCaseSource(nameof(InvertedResidualCases))]
    public void InvertedResidual(int n, int h, int w, int cin, int hidden, int cout, int stride, bool residual)
    {
        var r = Rng(h * 17 + cin + hidden + cout + stride);
        bool expand = hidden > 0;
        int hc = expand ? hidden : cin;
        var x = RandomFloats(r, n * h * w * cin);
        float[]? we = expand ? Weights(r, hc * cin, cin) : null;
        float[]? be = expand ? RandomFloats(r, hc, 0.5f) : null;
        var wd = Weights(r, 9 * hc, 9);
        var bd = RandomFloats(r, hc, 0.5f);
        var wp = Weights(r, cout * hc, hc);
        var bp = RandomFloats(r, cout, 0.5f);
        var pad = Padding.Same(h, w, 3, 3, stride, stride);
        var g = new ModelGraph("irb");
        var xin = new Value("x", new[] { n, h, w, cin });
        var y = new Value("y", Array.Empty<int>());
        g.Inputs.Add(xin);
        g.Outputs.Add(y);
        g.Add(new InvertedResidualNode("irb", xin,
            we is null ? null : Value.Constant("we", new[] { hc, cin }, we), be is null ? null : Value.Constant("be", new[] { hc }, be),
            Value.Constant("wd", new[] { 1, 3, 3, hc }, wd), Value.Constant("bd", new[] { hc }, bd),
            Value.Constant("wp", new[] { cout, hc }, wp), Value.Constant("bp", new[] { cout }, bp), y)
        { Stride = stride, Padding = pad, Residual = residual });
        var got = Run(g, x);
        var want = Reference.InvertedResidual(x, n, h, w, cin, we, be, hc, wd, bd, wp, bp, cout, stride, pad.Top, pad.Left,
            y.Shape[1], y.Shape[2], Activation.Relu6, Activation.Relu6, Activation.None, residual);
        AssertClose(got, want, Abs, Rel, TestContext.CurrentContext.Test.Name);
    }

    [TestCase(1, 50, 17, Activation.None)]
    [TestCase(3, 100, 33, Activation.Relu)]
    [TestCase(2, 320, 101, Activation.None)]
    public void FullyConnected(int rows, int k, int m, Activation act)
    {
        var r = Rng(rows + k + m);
        var x = RandomFloats(r, rows * k);
        var wt = Weights(r, m * k, k);
        var b = RandomFloats(r, m, 0.5f);
        var g = new ModelGraph("fc");
        var xin = new Value("x", new[] { rows, k });
        var y = new Value("y", Array.Empty<int>());
        g.Inputs.Add(xin);
        g.Outputs.Add(y);
        g.Add(new FullyConnectedNode("fc", xin, Value.Constant("w", new[] { m, k }, wt), Value.Constant("b", new[] { m }, b), y) { Activation = act });
        AssertClose(Run(g, x), Reference.FullyConnected(x, rows, k, wt, b, m, act), Abs, Rel, $"fc {rows}x{k}→{m}");
    }

    [TestCase(1, 7, 7, 40)]
    [TestCase(3, 4, 5, 9)]
    public void GlobalAveragePool(int n, int h, int w, int c)
    {
        var x = RandomFloats(Rng(n + h + c), n * h * w * c);
        var g = new ModelGraph("gap");
        var xin = new Value("x", new[] { n, h, w, c });
        var y = new Value("y", Array.Empty<int>());
        g.Inputs.Add(xin);
        g.Outputs.Add(y);
        g.Add(new GlobalAveragePoolNode("gap", xin, y));
        AssertClose(Run(g, x), Reference.GlobalAveragePool(x, n, h, w, c), 1e-6, 1e-5, "global average pool");
    }

    [TestCase(1, 7, 7, 5, 7, 1, false)]
    [TestCase(2, 6, 5, 3, 3, 2, true)]
    public void AveragePool(int n, int h, int w, int c, int k, int s, bool same)
    {
        var x = RandomFloats(Rng(n * h + c + k), n * h * w * c);
        var pad = same ? Padding.Same(h, w, k, k, s, s) : Padding.Zero;
        var g = new ModelGraph("ap");
        var xin = new Value("x", new[] { n, h, w, c });
        var y = new Value("y", Array.Empty<int>());
        g.Inputs.Add(xin);
        g.Outputs.Add(y);
        g.Add(new AveragePool2DNode("ap", xin, y, k, k) { StrideH = s, StrideW = s, Padding = pad });
        var got = Run(g, x);
        AssertClose(got, Reference.AveragePool(x, n, h, w, c, k, k, s, pad.Top, pad.Left, y.Shape[1], y.Shape[2]), 1e-6, 1e-5, "average pool");
    }

    [TestCase(1, 1001, 1f)]
    [TestCase(3, 10, 1f)]
    [TestCase(2, 130, 0.5f)]
    public void Softmax(int rows, int cols, float beta)
    {
        var x = RandomFloats(Rng(rows + cols), rows * cols, 8f);
        var g = new ModelGraph("sm");
        var xin = new Value("x", new[] { rows, cols });
        var y = new Value("y", Array.Empty<int>());
        g.Inputs.Add(xin);
        g.Outputs.Add(y);
        g.Add(new SoftmaxNode("sm", xin, y, beta));
        // exp in float32 (ILGPU fast math): relative error a few ulps of each term.
        AssertClose(Run(g, x), Reference.Softmax(x, rows, cols, beta), 1e-7, 1e-5, "softmax");
    }

    [TestCase(Activation.None)]
    [TestCase(Activation.Relu6)]
    public void Add(Activation act)
    {
        var r = Rng(5);
        int[] shape = { 2, 5, 3, 7 };
        var a = RandomFloats(r, 210, 5f);
        var b = RandomFloats(r, 210, 5f);
        var g = new ModelGraph("add");
        var xa = new Value("a", shape);
        var xb = new Value("b", shape);
        var y = new Value("y", Array.Empty<int>());
        g.Inputs.Add(xa);
        g.Inputs.Add(xb);
        g.Outputs.Add(y);
        g.Add(new AddNode("add", xa, xb, y) { Activation = act });
        var got = Run(g, new[] { a, b })[0];
        AssertClose(got, a.Select((v, i) => Reference.Act((double)v + b[i], act)).ToArray(), 1e-6, 1e-6, "add");
    }

    [Test]
    public void ActivationClipBatchNormPadReshape()
    {
        var r = Rng(9);
        int n = 2, h = 3, w = 4, c = 5;
        var x = RandomFloats(r, n * h * w * c, 8f);
        var scale = RandomFloats(r, c);
        var offset = RandomFloats(r, c);
        var mean = RandomFloats(r, c);
        var variance = RandomFloats(r, c).Select(v => Math.Abs(v) + 0.1f).ToArray();
        var g = new ModelGraph("chain");
        var xin = new Value("x", new[] { n, h, w, c });
        var a1 = new Value("relu6", Array.Empty<int>());
        var a2 = new Value("clip", Array.Empty<int>());
        var a3 = new Value("bn", Array.Empty<int>());
        var a4 = new Value("pad", Array.Empty<int>());
        var y = new Value("y", Array.Empty<int>());
        g.Inputs.Add(xin);
        g.Outputs.Add(y);
        g.Add(new ActivationNode("act", xin, a1, Activation.Relu6));
        g.Add(new ClipNode("clip", a1, a2, 0.5f, 4f));
        g.Add(new BatchNormNode("bn", a2, Value.Constant("s", new[] { c }, scale), Value.Constant("o", new[] { c }, offset),
            Value.Constant("m", new[] { c }, mean), Value.Constant("v", new[] { c }, variance), a3, 1e-3f));
        g.Add(new PadNode("pad", a3, a4, new[] { 0, 1, 0, 2 }, new[] { 0, 0, 2, 1 }, -1f));
        g.Add(new ReshapeNode("flatten", a4, y, new[] { n, -1 }));
        var got = Run(g, x);

        int ph = h + 1, pw = w + 2, pc = c + 3;
        var want = new float[n * ph * pw * pc];
        for (int b = 0; b < n; b++)
            for (int yy = 0; yy < ph; yy++)
                for (int xx = 0; xx < pw; xx++)
                    for (int ch = 0; ch < pc; ch++)
                    {
                        int iy = yy - 1, ix = xx, ic = ch - 2;
                        float v = -1f;
                        if (iy >= 0 && iy < h && ix < w && ic >= 0 && ic < c)
                        {
                            double t = Math.Clamp(Math.Clamp(x[((b * h + iy) * w + ix) * c + ic], 0, 6), 0.5, 4);
                            t = (t - mean[ic]) / Math.Sqrt(variance[ic] + 1e-3) * scale[ic] + offset[ic];
                            v = (float)t;
                        }
                        want[((b * ph + yy) * pw + xx) * pc + ch] = v;
                    }
        Assert.That(y.Shape, Is.EqualTo(new[] { n, ph * pw * pc }));
        AssertClose(got, want, 1e-5, 1e-5, "relu6 → clip → batch norm → pad → reshape");
    }

    [TestCase(new[] { 2, 3, 5, 4 }, new[] { 0, 2, 3, 1 })]
    [TestCase(new[] { 3, 4, 5 }, new[] { 2, 0, 1 })]
    public void Transpose(int[] shape, int[] perm)
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        var x = RandomFloats(Rng(count), count);
        var g = new ModelGraph("transpose");
        var xin = new Value("x", shape);
        var y = new Value("y", Array.Empty<int>());
        g.Inputs.Add(xin);
        g.Outputs.Add(y);
        g.Add(new TransposeNode("t", xin, y, perm));
        var got = Run(g, x);
        var outShape = perm.Select(p => shape[p]).ToArray();
        var want = new float[count];
        var idx = new int[shape.Length];
        for (int i = 0; i < count; i++)
        {
            int t = i;
            for (int a = shape.Length - 1; a >= 0; a--) { idx[a] = t % outShape[a]; t /= outShape[a]; }
            var src = new int[shape.Length];
            for (int a = 0; a < shape.Length; a++) src[perm[a]] = idx[a];
            int off = 0;
            for (int a = 0; a < shape.Length; a++) off = off * shape[a] + src[a];
            want[i] = x[off];
        }
        AssertClose(got, want, 0, 0, "transpose");
    }

    [Test]
    public void KernelsAreLoadedOncePerAccelerator()
    {
        var g = SmallNetwork.Build(1, 8);
        g.Validate();
        var partition = new Backends.Partition(g.Nodes.ToList(), g.Inputs.ToList(), g.Outputs.ToList());
        Backend.Compile(partition, Device, new Backends.CompileOptions()).Dispose();
        int loads = KernelSetProbe.Loads;
        using var compiled = (IlgpuCompiledPartition)Backend.Compile(partition, Device, new Backends.CompileOptions());
        Assert.That(KernelSetProbe.Loads, Is.EqualTo(loads), "a second compile on the same device must reuse the loaded kernels");
        Assert.That(compiled.Timings.FirstRunMs, Is.GreaterThan(0));
        TestContext.Out.WriteLine($"{Device.Id}: {compiled.Timings}, {compiled.LaunchesPerRun} launches/run, weights {compiled.WeightBytes} B, activations {compiled.ActivationBytes} B");
    }

    [Test]
    public void UnsupportedNodesAreRefusedWithAReason()
    {
        var a = new Value("a", new[] { 2, 3 });
        var b = new Value("b", new[] { 3 });
        var y = new Value("y", new[] { 2, 3 });
        var add = new AddNode("bcast", a, b, y);
        Assert.That(Backend.Supports(add, out var why), Is.False);
        Assert.That(why, Does.Contain("broadcast"));
        var q = new Value("q", new[] { 1, 4 }, DataType.UInt8);
        var deq = new DequantizeNode("deq", q, new Value("f", new[] { 1, 4 }));
        Assert.That(Backend.Supports(deq, out why), Is.False);
        Assert.That(why, Does.Contain("UInt8"));
    }

    [Test]
    public void AMissingDeviceIsAClearErrorListingThePresentOnes()
    {
        var bogus = new Backends.DeviceInfo(BackendName + ":99", "nothing", Backends.DeviceKind.Gpu, 0, "");
        var g = SmallNetwork.Build(1, 8);
        g.Validate();
        var partition = new Backends.Partition(g.Nodes.ToList(), g.Inputs.ToList(), g.Outputs.ToList());
        var e = Assert.Throws<InvalidOperationException>(() => Backend.Compile(partition, bogus, new Backends.CompileOptions()))!;
        Assert.That(e.Message, Does.Contain(BackendName + ":99").And.Contain(Device.Id));
    }
}

/// <summary>Exposes the kernel-cache counter to the tests.</summary>
internal static class KernelSetProbe
{
    public static int Loads => KernelSet.Loads;
}
