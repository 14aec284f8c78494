using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Conformance;

public abstract partial class BackendConformance
{
    // ---- Conv2D ----

    public static IEnumerable<TestCaseData> ConvCases()
    {
        // n, h, w, cin, cout, k, stride, pads (t,l,b,r), activation, bias
        object[][] t =
        {
            new object[] { 1, 16, 16, 3, 32, 3, 2, new[] { 0, 0, 1, 1 }, Activation.Relu6, true },  // MobileNet first layer, TF SAME
            new object[] { 3, 15, 15, 3, 8, 3, 2, new[] { 1, 1, 1, 1 }, Activation.Relu, true },
            new object[] { 1, 15, 15, 3, 8, 3, 2, new[] { 1, 1, 1, 1 }, Activation.Relu6, true },
            new object[] { 1, 7, 9, 1, 17, 3, 1, new[] { 1, 1, 1, 1 }, Activation.None, false },
            new object[] { 3, 8, 8, 17, 8, 3, 1, new[] { 0, 0, 0, 0 }, Activation.Relu6, true },
            new object[] { 1, 8, 8, 4, 3, 3, 1, new[] { 0, 0, 0, 0 }, Activation.Relu, true },
            new object[] { 1, 9, 8, 8, 32, 5, 2, new[] { 2, 1, 2, 2 }, Activation.None, true },
            new object[] { 1, 9, 7, 5, 6, 5, 1, new[] { 2, 2, 2, 2 }, Activation.None, true },
            new object[] { 1, 6, 5, 17, 8, 3, 2, new[] { 1, 0, 0, 1 }, Activation.Relu6, true },  // asymmetric
            new object[] { 3, 1, 1, 8, 3, 3, 1, new[] { 1, 1, 1, 1 }, Activation.None, true },    // 1x1 image
            new object[] { 1, 6, 7, 96, 17, 1, 2, new[] { 0, 0, 0, 0 }, Activation.Relu, true },  // strided 1x1: not the GEMM path
            new object[] { 1, 4, 4, 6, 5, 1, 2, new[] { 0, 0, 0, 0 }, Activation.None, true },
        };
        foreach (var a in t)
            yield return Case($"n{a[0]} {a[1]}x{a[2]}x{a[3]}->{a[4]} k{a[5]} s{a[6]} pad{P((int[])a[7])} {a[8]} bias {a[9]}", a);
    }

    [TestCaseSource(nameof(ConvCases))]
    public void Conv2D(int n, int h, int w, int cin, int cout, int k, int stride, int[] pad, Activation act, bool hasBias)
    {
        string what = $"Conv2D n{n} {h}x{w}x{cin}->{cout} k{k}x{k} stride {stride} pad(t,l,b,r) {P(pad)} {act} bias {hasBias}";
        var x = Random(n * h * w * cin, 1);
        var wt = Weights(cout * k * k * cin, k * k * cin, 2);
        var bias = hasBias ? Random(cout, 3) : null;
        var xv = In("x", n, h, w, cin);
        var node = new Conv2DNode("conv", xv, Const("w", new[] { cout, k, k, cin }, wt), bias is null ? null : Const("b", new[] { cout }, bias), Out("y"))
        {
            StrideH = stride, StrideW = stride, Padding = new Padding(pad[0], pad[1], pad[2], pad[3]), Activation = act,
        };
        var got = RunOne(node, what, (xv, x));
        var want = Oracle.Conv2D(x, n, h, w, cin, wt, bias, cout, k, k, stride, stride, pad[0], pad[1], pad[2], pad[3], act);
        var scale = Oracle.Conv2D(Oracle.Abs(x), n, h, w, cin, Oracle.Abs(wt), Oracle.Abs(bias), cout, k, k, stride, stride, pad[0], pad[1], pad[2], pad[3], Activation.None);
        Check(got, want, scale, Tolerance.Sum(k * k * cin), what);
    }

    // ---- pointwise (1x1 stride 1: the GEMM path of every backend) ----

    public static IEnumerable<TestCaseData> PointwiseCases()
    {
        // n, h, w, cin, cout, activation, bias
        object[][] t =
        {
            new object[] { 1, 1, 1, 1, 1, Activation.None, false },
            new object[] { 1, 5, 7, 3, 8, Activation.Relu, true },
            new object[] { 3, 8, 8, 17, 32, Activation.Relu6, true },
            new object[] { 1, 9, 9, 32, 96, Activation.None, true },
            new object[] { 3, 7, 7, 96, 17, Activation.Relu6, false },
            new object[] { 1, 14, 14, 96, 32, Activation.None, true },
            new object[] { 3, 3, 5, 8, 1, Activation.Relu, true },
            new object[] { 1, 5, 7, 19, 37, Activation.Relu6, true },
            new object[] { 3, 8, 8, 64, 40, Activation.None, true },
            new object[] { 1, 3, 3, 128, 96, Activation.Relu, true },
            new object[] { 3, 1, 1, 8, 1, Activation.None, true },
        };
        foreach (var a in t)
            yield return Case($"n{a[0]} {a[1]}x{a[2]}x{a[3]}->{a[4]} {a[5]} bias {a[6]}", a);
    }

    [TestCaseSource(nameof(PointwiseCases))]
    public void Pointwise(int n, int h, int w, int cin, int cout, Activation act, bool hasBias)
    {
        string what = $"pointwise Conv2D 1x1 n{n} {h}x{w}x{cin}->{cout} {act} bias {hasBias}";
        var x = Random(n * h * w * cin, 4);
        var wt = Weights(cout * cin, cin, 5);
        var bias = hasBias ? Random(cout, 6) : null;
        var xv = In("x", n, h, w, cin);
        var node = new Conv2DNode("pw", xv, Const("w", new[] { cout, 1, 1, cin }, wt), bias is null ? null : Const("b", new[] { cout }, bias), Out("y")) { Activation = act };
        var got = RunOne(node, what, (xv, x));
        var want = Oracle.Conv2D(x, n, h, w, cin, wt, bias, cout, 1, 1, 1, 1, 0, 0, 0, 0, act);
        var scale = Oracle.Conv2D(Oracle.Abs(x), n, h, w, cin, Oracle.Abs(wt), Oracle.Abs(bias), cout, 1, 1, 1, 1, 0, 0, 0, 0, Activation.None);
        Check(got, want, scale, Tolerance.Sum(cin), what);
    }

    // ---- DepthwiseConv2D ----

    public static IEnumerable<TestCaseData> DepthwiseCases()
    {
        // n, h, w, c, k, stride, pads, activation
        object[][] t =
        {
            new object[] { 1, 8, 8, 1, 3, 1, new[] { 1, 1, 1, 1 }, Activation.Relu6 },
            new object[] { 3, 7, 7, 3, 3, 2, new[] { 1, 1, 1, 1 }, Activation.Relu },
            new object[] { 1, 9, 10, 8, 3, 2, new[] { 0, 0, 1, 1 }, Activation.Relu6 },  // TF SAME, stride 2, even width
            new object[] { 3, 15, 15, 17, 3, 1, new[] { 1, 1, 1, 1 }, Activation.None },
            new object[] { 1, 14, 14, 32, 3, 2, new[] { 0, 0, 1, 1 }, Activation.Relu6 },
            new object[] { 1, 7, 7, 96, 3, 1, new[] { 1, 1, 1, 1 }, Activation.Relu6 },
            new object[] { 1, 8, 9, 17, 3, 1, new[] { 0, 0, 0, 0 }, Activation.None },
            new object[] { 3, 9, 9, 8, 5, 2, new[] { 2, 2, 2, 2 }, Activation.Relu },
            new object[] { 1, 8, 8, 16, 3, 2, new[] { 0, 0, 1, 1 }, Activation.Relu6 },
            new object[] { 3, 9, 6, 13, 3, 1, new[] { 1, 1, 1, 1 }, Activation.None },
            new object[] { 3, 7, 5, 5, 3, 2, new[] { 1, 1, 1, 1 }, Activation.Relu },
            new object[] { 3, 6, 7, 3, 3, 2, new[] { 0, 1, 1, 0 }, Activation.None },   // asymmetric
            new object[] { 1, 1, 1, 32, 3, 1, new[] { 1, 1, 1, 1 }, Activation.Relu6 },  // 1x1 image
        };
        foreach (var a in t)
            yield return Case($"n{a[0]} {a[1]}x{a[2]}x{a[3]} k{a[4]} s{a[5]} pad{P((int[])a[6])} {a[7]}", a);
    }

    [TestCaseSource(nameof(DepthwiseCases))]
    public void DepthwiseConv2D(int n, int h, int w, int c, int k, int stride, int[] pad, Activation act)
    {
        string what = $"DepthwiseConv2D n{n} {h}x{w}x{c} k{k}x{k} stride {stride} pad(t,l,b,r) {P(pad)} {act} bias True";
        var x = Random(n * h * w * c, 7);
        var wt = Weights(k * k * c, k * k, 8);
        var bias = Random(c, 9);
        var xv = In("x", n, h, w, c);
        var node = new DepthwiseConv2DNode("dw", xv, Const("w", new[] { 1, k, k, c }, wt), Const("b", new[] { c }, bias), Out("y"))
        {
            StrideH = stride, StrideW = stride, Padding = new Padding(pad[0], pad[1], pad[2], pad[3]), Activation = act,
        };
        var got = RunOne(node, what, (xv, x));
        var want = Oracle.Depthwise(x, n, h, w, c, wt, bias, k, k, stride, stride, pad[0], pad[1], pad[2], pad[3], act);
        var scale = Oracle.Depthwise(Oracle.Abs(x), n, h, w, c, Oracle.Abs(wt), Oracle.Abs(bias), k, k, stride, stride, pad[0], pad[1], pad[2], pad[3], Activation.None);
        Check(got, want, scale, Tolerance.Sum(k * k), what);
    }

    // ---- FullyConnected ----

    public static IEnumerable<TestCaseData> FullyConnectedCases()
    {
        // rows, k, m, activation, input as [rows,1,1,k] (else [rows,k])
        object[][] t =
        {
            new object[] { 1, 17, 10, Activation.None, true },
            new object[] { 3, 96, 17, Activation.Relu, true },
            new object[] { 1, 1280, 1001, Activation.None, false },
            new object[] { 3, 32, 1, Activation.Relu6, false },
            new object[] { 1, 50, 17, Activation.None, false },
            new object[] { 3, 100, 33, Activation.Relu, false },
            new object[] { 2, 320, 101, Activation.None, false },
            new object[] { 1, 1, 8, Activation.Relu6, false },
            new object[] { 3, 3, 3, Activation.None, true },
        };
        foreach (var a in t)
            yield return Case($"{a[0]}x{a[1]}->{a[2]} {a[3]} rank{((bool)a[4] ? 4 : 2)}", a);
    }

    [TestCaseSource(nameof(FullyConnectedCases))]
    public void FullyConnected(int rows, int k, int m, Activation act, bool rank4)
    {
        string what = $"FullyConnected input {(rank4 ? $"[{rows},1,1,{k}]" : $"[{rows},{k}]")} -> {m} {act} bias True";
        var x = Random(rows * k, 17);
        var wt = Weights(m * k, k, 18);
        var bias = Random(m, 19);
        var xv = rank4 ? In("x", rows, 1, 1, k) : In("x", rows, k);
        var node = new FullyConnectedNode("fc", xv, Const("w", new[] { m, k }, wt), Const("b", new[] { m }, bias), Out("y")) { Activation = act };
        var got = RunOne(node, what, (xv, x));
        var want = Oracle.FullyConnected(x, rows, k, wt, bias, m, act);
        var scale = Oracle.FullyConnected(Oracle.Abs(x), rows, k, Oracle.Abs(wt), Oracle.Abs(bias), m, Activation.None);
        Check(got, want, scale, Tolerance.Sum(k), what);
    }
}
