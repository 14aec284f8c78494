using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Conformance;

public abstract partial class BackendConformance
{
    // ---- Add (equal shapes) ----

    public static IEnumerable<TestCaseData> AddCases()
    {
        object[][] t =
        {
            new object[] { new[] { 3, 5, 7, 17 }, Activation.None },
            new object[] { new[] { 3, 5, 7, 17 }, Activation.Relu },
            new object[] { new[] { 3, 5, 7, 17 }, Activation.Relu6 },
            new object[] { new[] { 2, 5, 3, 7 }, Activation.Relu6 },
            new object[] { new[] { 1, 1, 1, 1 }, Activation.None },
            new object[] { new[] { 1, 4, 4, 32 }, Activation.Relu },
            new object[] { new[] { 3, 8 }, Activation.None },
        };
        foreach (var a in t)
            yield return Case($"{P((int[])a[0])} {a[1]}", a);
    }

    [TestCaseSource(nameof(AddCases))]
    public void Add(int[] shape, Activation act)
    {
        string what = $"Add {P(shape)} + {P(shape)} {act}";
        int count = Oracle.Count(shape);
        var a = Random(count, 23, 8f);
        var b = Random(count, 24, 8f);
        var av = In("a", shape);
        var bv = In("b", shape);
        var got = RunOne(new AddNode("add", av, bv, Out("y")) { Activation = act }, what, (av, a), (bv, b));
        Check(got, Oracle.Add(a, b, act), Oracle.Add(Oracle.Abs(a), Oracle.Abs(b), Activation.None), Tolerance.Sum(1, 0), what);
    }

    // ---- activations and Clip ----

    public static IEnumerable<TestCaseData> ActivationCases()
    {
        // shape, kind ("Relu", "Relu6", "Clip")
        foreach (var shape in new[] { new[] { 3, 5, 7, 17 }, new[] { 1, 1, 1, 3 }, new[] { 2, 3, 4, 8 }, new[] { 1, 32 } })
            foreach (var kind in new[] { "Relu", "Relu6", "Clip[-0.5,2]" })
                yield return Case($"{kind} {P(shape)}", shape, kind);
    }

    [TestCaseSource(nameof(ActivationCases))]
    public void Activations(int[] shape, string kind)
    {
        string what = $"{kind} {P(shape)}";
        var x = Random(Oracle.Count(shape), 25, 10f);
        var xv = In("x", shape);
        Node node = kind switch
        {
            "Relu" => new ActivationNode("act", xv, Out("y"), Activation.Relu),
            "Relu6" => new ActivationNode("act", xv, Out("y"), Activation.Relu6),
            _ => new ClipNode("clip", xv, Out("y"), -0.5f, 2f),
        };
        var got = RunOne(node, what, (xv, x));
        var want = kind switch
        {
            "Relu" => Oracle.Clamp(x, 0, float.PositiveInfinity),
            "Relu6" => Oracle.Clamp(x, 0, 6),
            _ => Oracle.Clamp(x, -0.5f, 2f),
        };
        Check(got, want, null, 0, what);
    }

    // ---- AveragePool2D ----

    public static IEnumerable<TestCaseData> AveragePoolCases()
    {
        // n, h, w, c, k, stride, pads
        object[][] t =
        {
            new object[] { 1, 7, 7, 8, 7, 1, new[] { 0, 0, 0, 0 } },
            new object[] { 3, 9, 8, 17, 3, 2, new[] { 1, 1, 1, 1 } },
            new object[] { 1, 7, 7, 5, 7, 1, new[] { 0, 0, 0, 0 } },
            new object[] { 3, 6, 5, 3, 3, 2, new[] { 0, 1, 1, 1 } },  // TF SAME, asymmetric
            new object[] { 1, 1, 1, 32, 1, 1, new[] { 0, 0, 0, 0 } },
            new object[] { 3, 4, 4, 1, 2, 2, new[] { 0, 0, 0, 0 } },
        };
        foreach (var a in t)
            yield return Case($"n{a[0]} {a[1]}x{a[2]}x{a[3]} k{a[4]} s{a[5]} pad{P((int[])a[6])}", a);
    }

    [TestCaseSource(nameof(AveragePoolCases))]
    public void AveragePool2D(int n, int h, int w, int c, int k, int stride, int[] pad)
    {
        string what = $"AveragePool2D n{n} {h}x{w}x{c} k{k}x{k} stride {stride} pad(t,l,b,r) {P(pad)} (padding excluded from the count)";
        var x = Random(n * h * w * c, 21);
        var xv = In("x", n, h, w, c);
        var node = new AveragePool2DNode("pool", xv, Out("y"), k, k) { StrideH = stride, StrideW = stride, Padding = new Padding(pad[0], pad[1], pad[2], pad[3]) };
        var got = RunOne(node, what, (xv, x));
        var want = Oracle.AveragePool(x, n, h, w, c, k, k, stride, stride, pad[0], pad[1], pad[2], pad[3]);
        var scale = Oracle.AveragePool(Oracle.Abs(x), n, h, w, c, k, k, stride, stride, pad[0], pad[1], pad[2], pad[3]);
        Check(got, want, scale, Tolerance.Sum(k * k), what);
    }

    // ---- GlobalAveragePool ----

    public static IEnumerable<TestCaseData> GlobalAveragePoolCases()
    {
        int[][] t = { new[] { 1, 7, 7, 96 }, new[] { 3, 5, 3, 17 }, new[] { 1, 1, 1, 1 }, new[] { 3, 8, 8, 3 }, new[] { 1, 7, 7, 40 }, new[] { 3, 4, 5, 9 }, new[] { 1, 4, 4, 32 } };
        foreach (var a in t)
            yield return Case($"n{a[0]} {a[1]}x{a[2]}x{a[3]}", a[0], a[1], a[2], a[3]);
    }

    [TestCaseSource(nameof(GlobalAveragePoolCases))]
    public void GlobalAveragePool(int n, int h, int w, int c)
    {
        string what = $"GlobalAveragePool n{n} {h}x{w}x{c}";
        var x = Random(n * h * w * c, 20);
        var xv = In("x", n, h, w, c);
        var got = RunOne(new GlobalAveragePoolNode("gap", xv, Out("y")), what, (xv, x));
        Check(got, Oracle.GlobalAveragePool(x, n, h, w, c), Oracle.GlobalAveragePool(Oracle.Abs(x), n, h, w, c), Tolerance.Sum(h * w), what);
    }

    // ---- Softmax ----

    public static IEnumerable<TestCaseData> SoftmaxCases()
    {
        object[][] t =
        {
            new object[] { 1, 1001, 1f }, new object[] { 3, 10, 1f }, new object[] { 3, 1, 1f }, new object[] { 2, 300, 0.5f },
            new object[] { 2, 130, 0.5f }, new object[] { 1, 17, 2f },
        };
        foreach (var a in t)
            yield return Case($"{a[0]}x{a[1]} beta {a[2]}", a);
    }

    [TestCaseSource(nameof(SoftmaxCases))]
    public void Softmax(int rows, int cols, float beta)
    {
        string what = $"Softmax [{rows},{cols}] beta {beta} (inputs in [-8, 8))";
        var x = Random(rows * cols, 22, 8f);
        var xv = In("x", rows, cols);
        var got = RunOne(new SoftmaxNode("softmax", xv, Out("y"), beta), what, (xv, x));
        var want = Oracle.Softmax(x, rows, cols, beta);
        Check(got, want, want, Tolerance.Softmax(cols, MaxExponent(x, rows, cols, beta)), what);
    }

    private static double MaxExponent(float[] x, int rows, int cols, float beta)
    {
        double t = 0;
        for (int r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * cols, cols).ToArray();
            t = Math.Max(t, Math.Abs(beta) * ((double)row.Max() - row.Min()));
        }
        return t;
    }
}
