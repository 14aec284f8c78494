using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Conformance;

public abstract partial class BackendConformance
{
    // ---- dilated DepthwiseConv2D (DeepLab's atrous convolutions) ----

    public static IEnumerable<TestCaseData> DilatedDepthwiseCases()
    {
        // n, h, w, c, k, stride, dilation (h, w), pads, activation
        object[][] t =
        {
            new object[] { 1, 9, 9, 8, 3, 1, new[] { 2, 2 }, new[] { 2, 2, 2, 2 }, Activation.Relu6 },   // DeepLab: SAME, dilation 2
            new object[] { 3, 7, 8, 17, 3, 1, new[] { 2, 2 }, new[] { 2, 2, 2, 2 }, Activation.None },
            new object[] { 1, 11, 10, 3, 3, 1, new[] { 4, 3 }, new[] { 4, 3, 4, 3 }, Activation.Relu },
            new object[] { 1, 8, 8, 32, 3, 1, new[] { 2, 2 }, new[] { 0, 0, 0, 0 }, Activation.Relu6 },  // VALID
            new object[] { 1, 3, 3, 5, 3, 1, new[] { 2, 2 }, new[] { 2, 2, 2, 2 }, Activation.None },     // taps mostly in the padding
            new object[] { 3, 12, 9, 8, 5, 2, new[] { 2, 1 }, new[] { 4, 2, 4, 2 }, Activation.Relu },
        };
        foreach (var a in t)
            yield return Case($"n{a[0]} {a[1]}x{a[2]}x{a[3]} k{a[4]} s{a[5]} d{P((int[])a[6])} pad{P((int[])a[7])} {a[8]}", a);
    }

    [TestCaseSource(nameof(DilatedDepthwiseCases))]
    public void DilatedDepthwiseConv2D(int n, int h, int w, int c, int k, int stride, int[] dilation, int[] pad, Activation act)
    {
        string what = $"DepthwiseConv2D n{n} {h}x{w}x{c} k{k}x{k} stride {stride} dilation {P(dilation)} pad(t,l,b,r) {P(pad)} {act} bias True";
        var x = Random(n * h * w * c, 30);
        var wt = Weights(k * k * c, k * k, 31);
        var bias = Random(c, 32);
        var xv = In("x", n, h, w, c);
        var node = new DepthwiseConv2DNode("dw", xv, Const("w", new[] { 1, k, k, c }, wt), Const("b", new[] { c }, bias), Out("y"))
        {
            StrideH = stride, StrideW = stride, Padding = new Padding(pad[0], pad[1], pad[2], pad[3]), Activation = act,
            DilationH = dilation[0], DilationW = dilation[1],
        };
        var got = RunOne(node, what, (xv, x));
        var want = Oracle.Depthwise(x, n, h, w, c, wt, bias, k, k, stride, stride, pad[0], pad[1], pad[2], pad[3], act, dilation[0], dilation[1]);
        var scale = Oracle.Depthwise(Oracle.Abs(x), n, h, w, c, Oracle.Abs(wt), Oracle.Abs(bias), k, k, stride, stride, pad[0], pad[1], pad[2], pad[3],
            Activation.None, dilation[0], dilation[1]);
        Check(got, want, scale, Tolerance.Sum(k * k), what);
    }

    // ---- ResizeBilinear ----

    public static IEnumerable<TestCaseData> ResizeBilinearCases()
    {
        // n, h, w, c, out h, out w, align corners, half-pixel centres
        object[][] t =
        {
            new object[] { 1, 5, 5, 21, 17, 17, true, false },   // DeepLab's logits upsampling, scaled down
            new object[] { 1, 1, 1, 8, 9, 9, true, false },      // DeepLab's image pooling branch: 1x1 broadcast
            new object[] { 1, 9, 9, 3, 9, 9, true, false },      // identity
            new object[] { 3, 4, 6, 17, 7, 5, false, false },
            new object[] { 1, 6, 4, 8, 11, 9, false, true },
            new object[] { 3, 7, 5, 3, 3, 2, false, true },      // downsampling
            new object[] { 1, 5, 7, 32, 5, 13, true, false },
            new object[] { 1, 3, 3, 1, 1, 1, true, false },      // out 1: align corners falls back to in/out
        };
        foreach (var a in t)
            yield return Case($"n{a[0]} {a[1]}x{a[2]}x{a[3]} to {a[4]}x{a[5]} align_corners {a[6]} half_pixel {a[7]}", a);
    }

    /// <summary>Tolerance: the kernel's sample position carries at most two float32 roundings of a value ≤ size + 1
    /// (the product, and the −0.5 of half-pixel centres), |δ| ≤ 2u·(size + 1) per axis; the weight of a neighbour
    /// moves by at most the sum of the two axes' errors, and the four products and three sums add Sum(4, 4). Since float
    /// rounding is monotone, the kernel's neighbours are among the oracle's, so the error scale is Σ|x| over the oracle's
    /// four neighbours. A wrong neighbour or weight moves an output by about |x|, some hundred times the bound.</summary>
    [TestCaseSource(nameof(ResizeBilinearCases))]
    public void ResizeBilinear(int n, int h, int w, int c, int oh, int ow, bool align, bool half)
    {
        string what = $"ResizeBilinear n{n} {h}x{w}x{c} to {oh}x{ow} align_corners {align} half_pixel_centers {half}";
        var x = Random(n * h * w * c, 33, 4f);
        var xv = In("x", n, h, w, c);
        var got = RunOne(new ResizeBilinearNode("resize", xv, Out("y"), oh, ow) { AlignCorners = align, HalfPixelCenters = half }, what, (xv, x));
        var (want, scale) = Oracle.ResizeBilinear(x, n, h, w, c, oh, ow, align, half);
        Check(got, want, scale, Tolerance.Sum(4, 4) + 2 * Tolerance.U * (h + w + 2), what);
    }

    // ---- ArgMax and ArgMin (exact indices, int64 or int32) ----

    public static IEnumerable<TestCaseData> ArgMaxCases()
    {
        // shape, axis, output type, ties (values rounded to a coarse grid so equal maxima occur: the first must win)
        object[][] t =
        {
            new object[] { new[] { 1, 9, 11, 21 }, 3, DataType.Int64, false },  // DeepLab: per-pixel class
            new object[] { new[] { 1, 9, 11, 21 }, 3, DataType.Int32, true },
            new object[] { new[] { 3, 5, 7, 4 }, 1, DataType.Int64, true },
            new object[] { new[] { 2, 17 }, 0, DataType.Int32, false },
            new object[] { new[] { 3, 1001 }, 1, DataType.Int64, false },
            new object[] { new[] { 1, 1, 1, 1 }, 3, DataType.Int64, false },
        };
        foreach (var a in t)
            foreach (bool min in new[] { false, true })
                yield return Case($"{(min ? "min" : "max")} {P((int[])a[0])} axis {a[1]} {a[2]} ties {a[3]}", a.Append(min).ToArray());
    }

    [TestCaseSource(nameof(ArgMaxCases))]
    public void ArgMax(int[] shape, int axis, DataType type, bool ties, bool min)
    {
        string what = $"{(min ? "ArgMin" : "ArgMax")} {P(shape)} axis {axis} -> {type}{(ties ? " with ties" : "")}";
        var x = Random(Oracle.Count(shape), 34, 8f);
        if (ties)
            x = x.Select(v => MathF.Round(v / 4f)).ToArray();
        var xv = In("x", shape);
        var y = Out("y");
        var g = new ModelGraph("argmax");
        g.Inputs.Add(xv);
        g.Add(new ArgMaxNode("argmax", xv, y, axis, type, min));
        g.Outputs.Add(y);
        var got = RunGraph(g, new[] { x }, what, (arena, v) => type == DataType.Int64
            ? arena.Span<long>(v).ToArray()
            : arena.Span<int>(v).ToArray().Select(i => (long)i).ToArray())[0];
        var want = Oracle.ArgMax(x, shape, axis, min);
        Assert.That(got, Is.EqualTo(want), What(what));
    }

    // ---- Logistic ----

    public static IEnumerable<TestCaseData> LogisticCases()
    {
        int[][] t = { new[] { 1, 1917, 91 }, new[] { 3, 5, 7, 17 }, new[] { 1, 1 }, new[] { 2, 4, 4, 32 } };
        foreach (var a in t)
            yield return Case(P(a), (object)a);
    }

    /// <summary>Tolerance relative to the output, derived as softmax's (<see cref="Tolerance.Softmax"/>) with one column:
    /// exp of an argument up to t = max|x| within (3 + 2t) ulp, the addition and the division one rounding each.</summary>
    [TestCaseSource(nameof(LogisticCases))]
    public void Logistic(int[] shape)
    {
        string what = $"Logistic {P(shape)}";
        var x = Random(Oracle.Count(shape), 35, 12f);
        var xv = In("x", shape);
        var got = RunOne(new LogisticNode("logistic", xv, Out("y")), what, (xv, x));
        var want = Oracle.Logistic(x);
        Check(got, want, want, Tolerance.Softmax(1, x.Max(MathF.Abs)), what);
    }

    // ---- Mul (equal shapes, or a trailing-axes factor) ----

    public static IEnumerable<TestCaseData> MulCases()
    {
        // a shape, b shape, b constant, activation
        object[][] t =
        {
            new object[] { new[] { 3, 5, 7, 17 }, new[] { 3, 5, 7, 17 }, false, Activation.None },
            new object[] { new[] { 1, 4, 4, 32 }, new[] { 32 }, true, Activation.Relu6 },
            new object[] { new[] { 2, 3, 3, 8 }, new[] { 1, 1, 1, 8 }, false, Activation.Relu },
            new object[] { new[] { 3, 8 }, new[] { 1 }, true, Activation.None },
        };
        foreach (var a in t)
            yield return Case($"{P((int[])a[0])} x {P((int[])a[1])} b const {a[2]} {a[3]}", a);
    }

    [TestCaseSource(nameof(MulCases))]
    public void Mul(int[] aShape, int[] bShape, bool bConstant, Activation act)
    {
        string what = $"Mul {P(aShape)} x {P(bShape)} (b {(bConstant ? "constant" : "run-time")}) {act}";
        var a = Random(Oracle.Count(aShape), 36, 4f);
        var b = Random(Oracle.Count(bShape), 37, 4f);
        var av = In("a", aShape);
        var bv = bConstant ? Const("b", bShape, b) : In("b", bShape);
        var node = new MulNode("mul", av, bv, Out("y")) { Activation = act };
        var got = bConstant ? RunOne(node, what, (av, a)) : RunOne(node, what, (av, a), (bv, b));
        Check(got, Oracle.Mul(a, b, act), Oracle.Mul(Oracle.Abs(a)!, Oracle.Abs(b)!, Activation.None), Tolerance.Sum(1, 0), what);
    }
}
