using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Vulkan.Tests.Vulkan;

namespace MobileNetAccel.Vulkan.Tests;

/// <summary>
/// Every shader against the naive C# operators in <see cref="Reference"/>, over tables of channel counts (1, 3, 8, 17,
/// 32, 96), odd and even sizes, strides 1/2, paddings (none, SAME, asymmetric), batch 1 and 3 and the activations.
/// Tolerance: |Δ| ≤ 1e-4 + 1e-4·|want|. Inputs are in [-1, 1) and weights scaled by 1/sqrt(fan-in), so outputs are
/// O(1); float32 accumulation over at most ~900 products in a different order than the double reference differs by
/// ~1e-6 — two orders of magnitude under the bound, while any indexing or padding mistake is O(0.1).
/// </summary>
[TestFixture]
public class OpTests
{
    private static float[] Weights(int count, int fanIn, int seed) => Random(count, seed, 1f / MathF.Sqrt(fanIn));

    // n, h, w, cin, cout, k, stride, pads (t,l,b,r), act, bias
    private static readonly object[] ConvCases =
    {
        new object[] { 1, 16, 16, 3, 32, 3, 2, new[] { 0, 0, 1, 1 }, Activation.Relu6, true },  // MobileNet first layer, TF SAME
        new object[] { 3, 15, 15, 3, 8, 3, 2, new[] { 1, 1, 1, 1 }, Activation.Relu, true },
        new object[] { 1, 7, 9, 1, 17, 3, 1, new[] { 1, 1, 1, 1 }, Activation.None, false },
        new object[] { 3, 8, 8, 17, 8, 3, 1, new[] { 0, 0, 0, 0 }, Activation.Relu6, true },
        new object[] { 1, 9, 8, 8, 32, 5, 2, new[] { 2, 1, 2, 2 }, Activation.None, true },
        new object[] { 1, 6, 7, 96, 17, 1, 2, new[] { 0, 0, 0, 0 }, Activation.Relu, true },   // strided 1x1: general shader
    };

    [TestCaseSource(nameof(ConvCases))]
    public void Conv2D(int n, int h, int w, int cin, int cout, int k, int stride, int[] pad, Activation act, bool hasBias)
    {
        var x = Random(n * h * w * cin, 1);
        var wt = Weights(cout * k * k * cin, k * k * cin, 2);
        var bias = hasBias ? Random(cout, 3) : null;
        var xv = In("x", n, h, w, cin);
        var y = In("y");
        var node = new Conv2DNode("conv", xv, Const("w", new[] { cout, k, k, cin }, wt), bias is null ? null : Const("b", new[] { cout }, bias), y)
        {
            StrideH = stride, StrideW = stride, Padding = new Padding(pad[0], pad[1], pad[2], pad[3]), Activation = act,
        };
        var got = Run(new[] { node }, new[] { (xv, x) }, new[] { y })[0];
        var want = Reference.Conv2D(x, n, h, w, cin, wt, bias, cout, k, k, stride, stride, pad[0], pad[1], pad[2], pad[3], act);
        AssertClose(got, want, $"conv n{n} {h}x{w}x{cin}->{cout} k{k} s{stride} pad[{string.Join(",", pad)}] {act}");
    }

    // n, h, w, cin, cout, act, bias: the 1x1 convolution runs as the tiled GEMM (M = n*h*w not a multiple of 64, K not of 16).
    private static readonly object[] PointwiseCases =
    {
        new object[] { 1, 1, 1, 1, 1, Activation.None, false },
        new object[] { 1, 5, 7, 3, 8, Activation.Relu, true },
        new object[] { 3, 8, 8, 17, 32, Activation.Relu6, true },
        new object[] { 1, 9, 9, 32, 96, Activation.None, true },
        new object[] { 3, 7, 7, 96, 17, Activation.Relu6, false },
        new object[] { 1, 14, 14, 96, 32, Activation.None, true },
        new object[] { 3, 3, 5, 8, 1, Activation.Relu, true },
    };

    [TestCaseSource(nameof(PointwiseCases))]
    public void Pointwise(int n, int h, int w, int cin, int cout, Activation act, bool hasBias)
    {
        var x = Random(n * h * w * cin, 4);
        var wt = Weights(cout * cin, cin, 5);
        var bias = hasBias ? Random(cout, 6) : null;
        var xv = In("x", n, h, w, cin);
        var y = In("y");
        var node = new Conv2DNode("pw", xv, Const("w", new[] { cout, 1, 1, cin }, wt), bias is null ? null : Const("b", new[] { cout }, bias), y) { Activation = act };
        var got = Run(new[] { node }, new[] { (xv, x) }, new[] { y })[0];
        var want = Reference.Conv2D(x, n, h, w, cin, wt, bias, cout, 1, 1, 1, 1, 0, 0, 0, 0, act);
        AssertClose(got, want, $"pointwise n{n} {h}x{w}x{cin}->{cout} {act}");
    }

    // n, h, w, c, k, stride, pads, act
    private static readonly object[] DepthwiseCases =
    {
        new object[] { 1, 8, 8, 1, 3, 1, new[] { 1, 1, 1, 1 }, Activation.Relu6 },
        new object[] { 3, 7, 7, 3, 3, 2, new[] { 1, 1, 1, 1 }, Activation.Relu },
        new object[] { 1, 9, 10, 8, 3, 2, new[] { 0, 0, 1, 1 }, Activation.Relu6 },  // TF SAME, stride 2, even width
        new object[] { 3, 15, 15, 17, 3, 1, new[] { 1, 1, 1, 1 }, Activation.None },
        new object[] { 1, 14, 14, 32, 3, 2, new[] { 0, 0, 1, 1 }, Activation.Relu6 },
        new object[] { 1, 7, 7, 96, 3, 1, new[] { 1, 1, 1, 1 }, Activation.Relu6 },
        new object[] { 1, 8, 9, 17, 3, 1, new[] { 0, 0, 0, 0 }, Activation.None },
        new object[] { 3, 9, 9, 8, 5, 2, new[] { 2, 2, 2, 2 }, Activation.Relu },
    };

    [TestCaseSource(nameof(DepthwiseCases))]
    public void Depthwise(int n, int h, int w, int c, int k, int stride, int[] pad, Activation act)
    {
        var x = Random(n * h * w * c, 7);
        var wt = Weights(k * k * c, k * k, 8);
        var bias = Random(c, 9);
        var xv = In("x", n, h, w, c);
        var y = In("y");
        var node = new DepthwiseConv2DNode("dw", xv, Const("w", new[] { 1, k, k, c }, wt), Const("b", new[] { c }, bias), y)
        {
            StrideH = stride, StrideW = stride, Padding = new Padding(pad[0], pad[1], pad[2], pad[3]), Activation = act,
        };
        var got = Run(new[] { node }, new[] { (xv, x) }, new[] { y })[0];
        var want = Reference.Depthwise(x, n, h, w, c, wt, bias, k, k, stride, stride, pad[0], pad[1], pad[2], pad[3], act);
        AssertClose(got, want, $"depthwise n{n} {h}x{w}x{c} k{k} s{stride} pad[{string.Join(",", pad)}] {act}");
    }

    // n, h, w, cin, hidden (0 = no expand), cout, stride, pads, residual, biases
    private static readonly object[] InvertedResidualCases =
    {
        new object[] { 1, 8, 8, 8, 48, 8, 1, new[] { 1, 1, 1, 1 }, true, true },
        new object[] { 3, 9, 9, 17, 102, 17, 1, new[] { 1, 1, 1, 1 }, true, true },   // hidden not a multiple of 32, 9x9 not of the tile
        new object[] { 1, 15, 15, 8, 48, 32, 2, new[] { 1, 1, 1, 1 }, false, true },
        new object[] { 3, 14, 14, 3, 18, 8, 2, new[] { 0, 0, 1, 1 }, false, false },  // TF SAME stride 2
        new object[] { 1, 7, 7, 32, 0, 17, 1, new[] { 1, 1, 1, 1 }, false, true },    // no expand (V2's first block)
        new object[] { 1, 6, 5, 96, 576, 96, 1, new[] { 1, 1, 1, 1 }, true, true },
        new object[] { 1, 1, 1, 1, 6, 1, 1, new[] { 1, 1, 1, 1 }, true, true },
    };

    [TestCaseSource(nameof(InvertedResidualCases))]
    public void InvertedResidual(int n, int h, int w, int cin, int hidden, int cout, int stride, int[] pad, bool residual, bool biases)
    {
        int hid = hidden == 0 ? cin : hidden;
        var x = Random(n * h * w * cin, 10);
        var ew = hidden == 0 ? null : Weights(hidden * cin, cin, 11);
        var eb = hidden == 0 || !biases ? null : Random(hidden, 12);
        var dw = Weights(9 * hid, 9, 13);
        var db = biases ? Random(hid, 14) : null;
        var pw = Weights(cout * hid, hid, 15);
        var pb = biases ? Random(cout, 16) : null;
        var xv = In("x", n, h, w, cin);
        var y = In("y");
        var node = new InvertedResidualNode("irb", xv,
            ew is null ? null : Const("ew", new[] { hidden, cin }, ew), eb is null ? null : Const("eb", new[] { hidden }, eb),
            Const("dw", new[] { 1, 3, 3, hid }, dw), db is null ? null : Const("db", new[] { hid }, db),
            Const("pw", new[] { cout, hid }, pw), pb is null ? null : Const("pb", new[] { cout }, pb), y)
        {
            Stride = stride, Padding = new Padding(pad[0], pad[1], pad[2], pad[3]), Residual = residual,
        };
        var got = Run(new[] { node }, new[] { (xv, x) }, new[] { y })[0];
        var want = Reference.InvertedResidual(x, n, h, w, cin, ew, eb, hidden, dw, db, pw, pb, cout, stride, pad[0], pad[1], pad[2], pad[3],
            Activation.Relu6, Activation.Relu6, Activation.None, residual);
        AssertClose(got, want, $"irb n{n} {h}x{w}x{cin} hidden {hidden} -> {cout} s{stride} pad[{string.Join(",", pad)}] residual {residual}");
    }

    [Test]
    public void InvertedResidualUnfusedFallback()
    {
        // The path for devices whose shared memory cannot hold expand_dw's tiles: same results, one more dispatch.
        Lowering.ForceUnfusedExpand = true;
        try
        {
            InvertedResidual(3, 9, 9, 17, 102, 17, 1, new[] { 1, 1, 1, 1 }, true, true);
            InvertedResidual(1, 15, 15, 8, 48, 32, 2, new[] { 0, 0, 1, 1 }, false, true);
        }
        finally
        {
            Lowering.ForceUnfusedExpand = false;
        }
    }

    [TestCase(1, 17, 10, Activation.None)]
    [TestCase(3, 96, 17, Activation.Relu)]
    [TestCase(1, 1280, 1001, Activation.None)]
    [TestCase(3, 32, 1, Activation.Relu6)]
    public void FullyConnected(int rows, int k, int m, Activation act)
    {
        var x = Random(rows * k, 17);
        var wt = Weights(m * k, k, 18);
        var bias = Random(m, 19);
        var xv = In("x", rows, 1, 1, k);
        var y = In("y");
        var node = new FullyConnectedNode("fc", xv, Const("w", new[] { m, k }, wt), Const("b", new[] { m }, bias), y) { Activation = act };
        var got = Run(new[] { node }, new[] { (xv, x) }, new[] { y })[0];
        AssertClose(got, Reference.FullyConnected(x, rows, k, wt, bias, m, act), $"fc {rows}x{k} -> {m} {act}");
    }

    [TestCase(1, 7, 7, 96)]
    [TestCase(3, 5, 3, 17)]
    [TestCase(1, 1, 1, 1)]
    [TestCase(3, 8, 8, 3)]
    public void GlobalAveragePool(int n, int h, int w, int c)
    {
        var x = Random(n * h * w * c, 20);
        var xv = In("x", n, h, w, c);
        var y = In("y");
        var got = Run(new[] { new GlobalAveragePoolNode("gap", xv, y) }, new[] { (xv, x) }, new[] { y })[0];
        AssertClose(got, Reference.GlobalAveragePool(x, n, h, w, c), $"gap n{n} {h}x{w}x{c}");
    }

    [TestCase(1, 7, 7, 8, 7, 1, 0)]
    [TestCase(3, 9, 8, 17, 3, 2, 1)]
    public void AveragePool(int n, int h, int w, int c, int k, int stride, int pad)
    {
        var x = Random(n * h * w * c, 21);
        var xv = In("x", n, h, w, c);
        var y = In("y");
        var node = new AveragePool2DNode("pool", xv, y, k, k) { StrideH = stride, StrideW = stride, Padding = new Padding(pad, pad, pad, pad) };
        var got = Run(new[] { node }, new[] { (xv, x) }, new[] { y })[0];
        AssertClose(got, Reference.AveragePool(x, n, h, w, c, k, k, stride, stride, pad, pad, pad, pad), $"avgpool n{n} {h}x{w}x{c} k{k} s{stride} p{pad}");
    }

    [TestCase(1, 1001, 1f)]
    [TestCase(3, 10, 1f)]
    [TestCase(3, 1, 1f)]
    [TestCase(2, 300, 0.5f)]
    public void Softmax(int rows, int cols, float beta)
    {
        var x = Random(rows * cols, 22, 8f);
        var xv = In("x", rows, cols);
        var y = In("y");
        var got = Run(new[] { new SoftmaxNode("softmax", xv, y, beta) }, new[] { (xv, x) }, new[] { y })[0];
        // Probabilities: absolute 1e-6 plus relative 1e-4 (exp in float32).
        AssertClose(got, Reference.Softmax(x, rows, cols, beta), $"softmax {rows}x{cols} beta {beta}", abs: 1e-6, rel: 1e-4);
    }

    [TestCase(Activation.None)]
    [TestCase(Activation.Relu)]
    [TestCase(Activation.Relu6)]
    public void Add(Activation act)
    {
        var a = Random(3 * 5 * 7 * 17, 23, 8f);
        var b = Random(3 * 5 * 7 * 17, 24, 8f);
        var av = In("a", 3, 5, 7, 17);
        var bv = In("b", 3, 5, 7, 17);
        var y = In("y");
        var got = Run(new[] { new AddNode("add", av, bv, y) { Activation = act } }, new[] { (av, a), (bv, b) }, new[] { y })[0];
        AssertClose(got, Reference.Add(a, b, act), $"add {act}", abs: 1e-6, rel: 1e-6);
    }

    [TestCase(DataType.UInt8, 0.0078125f, 128L, 3 * 5 * 7 * 3)]
    [TestCase(DataType.Int8, 0.05f, -3L, 1 * 4 * 4 * 17)]   // element count not a multiple of 4: the last word is partial
    [TestCase(DataType.UInt8, 0.02f, 0L, 1)]
    public void Dequantize(DataType type, float scale, long zeroPoint, int count)
    {
        var r = new Random(31);
        var bytes = new byte[count];
        r.NextBytes(bytes);
        var q = new Value("q", new[] { 1, count }, type, new QuantizationParameters(new[] { scale }, new[] { zeroPoint }));
        var y = In("y");
        var node = new DequantizeNode("dq", q, y);
        node.InferShapes();
        using var compiled = Backend.Compile(new MobileNetAccel.Backends.Partition(new Node[] { node }, new[] { q }, new[] { y }), Device, new MobileNetAccel.Backends.CompileOptions());
        using var arena = new HostArena();
        bytes.CopyTo(arena.Span<byte>(q));
        compiled.Run(arena);
        var want = bytes.Select(b => scale * ((type == DataType.Int8 ? (sbyte)b : b) - zeroPoint)).Select(v => (float)v).ToArray();
        AssertClose(arena.Get(y), want, $"dequantize {type} scale {scale} zero point {zeroPoint} x{count}", 0, 1e-6);
    }

    [Test]
    public void ActivationClipAndBatchNorm()
    {
        var x = Random(2 * 3 * 4 * 8, 25, 10f);
        var xv = In("x", 2, 3, 4, 8);
        var r = In("relu6");
        var c = In("clip");
        var bn = In("bn");
        var scale = Random(8, 26);
        var offset = Random(8, 27);
        var mean = Random(8, 28);
        var variance = Random(8, 29).Select(v => v * v + 0.1f).ToArray();
        var nodes = new Node[]
        {
            new ActivationNode("relu6", xv, r, Activation.Relu6),
            new ClipNode("clip", xv, c, -0.5f, 2f),
            new BatchNormNode("bn", xv, Const("s", new[] { 8 }, scale), Const("o", new[] { 8 }, offset), Const("m", new[] { 8 }, mean),
                Const("v", new[] { 8 }, variance), bn, 1e-3f),
        };
        var got = Run(nodes, new[] { (xv, x) }, new[] { r, c, bn });
        AssertClose(got[0], Reference.Clamp(x, 0, 6), "relu6", 0, 0);
        AssertClose(got[1], Reference.Clamp(x, -0.5f, 2f), "clip", 0, 0);
        var want = x.Select((v, i) => (float)((v - mean[i % 8]) / Math.Sqrt(variance[i % 8] + 1e-3) * scale[i % 8] + offset[i % 8])).ToArray();
        AssertClose(got[2], want, "batch norm", 1e-5, 1e-5);
    }
}
