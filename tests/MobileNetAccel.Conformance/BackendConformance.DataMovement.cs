using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Conformance;

public abstract partial class BackendConformance
{
    // ---- data movement: Reshape, Pad, Transpose, Concat (bit-exact) ----

    public static IEnumerable<TestCaseData> ReshapeCases()
    {
        yield return Case("[3,5,7,17] to [3,-1]", new[] { 3, 5, 7, 17 }, new[] { 3, -1 });
        yield return Case("[1,1,1,32] to [1,32]", new[] { 1, 1, 1, 32 }, new[] { 1, 32 });
        yield return Case("[3,4,6,8] to [3,24,8]", new[] { 3, 4, 6, 8 }, new[] { 3, 24, 8 });
        yield return Case("[2,17] to [2,1,1,17]", new[] { 2, 17 }, new[] { 2, 1, 1, 17 });
    }

    [TestCaseSource(nameof(ReshapeCases))]
    public void Reshape(int[] shape, int[] newShape)
    {
        string what = $"Reshape {P(shape)} to {P(newShape)}";
        var x = Random(Oracle.Count(shape), 40);
        var xv = In("x", shape);
        var got = RunOne(new ReshapeNode("reshape", xv, Out("y"), newShape), what, (xv, x));
        Check(got, x, null, 0, what);
    }

    public static IEnumerable<TestCaseData> PadCases()
    {
        // shape, before, after, value
        object[][] t =
        {
            new object[] { new[] { 2, 3, 4, 5 }, new[] { 0, 1, 0, 2 }, new[] { 0, 0, 2, 1 }, -1f },
            new object[] { new[] { 1, 5, 5, 3 }, new[] { 0, 1, 1, 0 }, new[] { 0, 1, 1, 0 }, 0f },
            new object[] { new[] { 1, 6, 6, 8 }, new[] { 0, 0, 0, 0 }, new[] { 0, 1, 1, 0 }, 0f },   // TF SAME before a stride-2 conv
            new object[] { new[] { 3, 1, 1, 17 }, new[] { 0, 1, 1, 0 }, new[] { 0, 1, 1, 0 }, 0.5f },
            new object[] { new[] { 1, 7, 6, 32 }, new[] { 0, 0, 1, 0 }, new[] { 0, 1, 0, 0 }, 0f },
        };
        foreach (var a in t)
            yield return Case($"{P((int[])a[0])} before {P((int[])a[1])} after {P((int[])a[2])} value {a[3]}", a);
    }

    [TestCaseSource(nameof(PadCases))]
    public void Pad(int[] shape, int[] before, int[] after, float value)
    {
        string what = $"Pad {P(shape)} before {P(before)} after {P(after)} value {value}";
        var x = Random(Oracle.Count(shape), 41);
        var xv = In("x", shape);
        var got = RunOne(new PadNode("pad", xv, Out("y"), before, after, value), what, (xv, x));
        Check(got, Oracle.Pad(x, shape, before, after, value), null, 0, what);
    }

    public static IEnumerable<TestCaseData> TransposeCases()
    {
        yield return Case("[2,3,5,4] perm [0,2,3,1]", new[] { 2, 3, 5, 4 }, new[] { 0, 2, 3, 1 });
        yield return Case("[3,4,5] perm [2,0,1]", new[] { 3, 4, 5 }, new[] { 2, 0, 1 });
        yield return Case("[3,8,5,17] perm [0,3,1,2]", new[] { 3, 8, 5, 17 }, new[] { 0, 3, 1, 2 });
        yield return Case("[1,1,1,32] perm [0,3,1,2]", new[] { 1, 1, 1, 32 }, new[] { 0, 3, 1, 2 });
    }

    [TestCaseSource(nameof(TransposeCases))]
    public void Transpose(int[] shape, int[] perm)
    {
        string what = $"Transpose {P(shape)} perm {P(perm)}";
        var x = Random(Oracle.Count(shape), 42);
        var xv = In("x", shape);
        var got = RunOne(new TransposeNode("transpose", xv, Out("y"), perm), what, (xv, x));
        Check(got, Oracle.Transpose(x, shape, perm), null, 0, what);
    }

    public static IEnumerable<TestCaseData> ConcatCases()
    {
        yield return Case("[1,4,4,3]+[1,4,4,8] axis 3", new[] { new[] { 1, 4, 4, 3 }, new[] { 1, 4, 4, 8 } }, 3);
        yield return Case("[3,2,5,1]+[3,1,5,1]+[3,4,5,1] axis 1", new[] { new[] { 3, 2, 5, 1 }, new[] { 3, 1, 5, 1 }, new[] { 3, 4, 5, 1 } }, 1);
        yield return Case("[2,17]+[1,17] axis 0", new[] { new[] { 2, 17 }, new[] { 1, 17 } }, 0);
        yield return Case("[3,1,1,17]+[3,1,1,32] axis 3", new[] { new[] { 3, 1, 1, 17 }, new[] { 3, 1, 1, 32 } }, 3);
    }

    [TestCaseSource(nameof(ConcatCases))]
    public void Concat(int[][] shapes, int axis)
    {
        string what = $"Concat {string.Join("+", shapes.Select(P))} axis {axis}";
        var xs = shapes.Select((s, i) => Random(Oracle.Count(s), 43 + i)).ToArray();
        var vs = shapes.Select((s, i) => In($"x{i}", s)).ToArray();
        var got = RunOne(new ConcatNode("concat", vs, Out("y"), axis), what, vs.Zip(xs, (v, d) => (v, d)).ToArray());
        Check(got, Oracle.Concat(xs, shapes, axis), null, 0, what);
    }

    // ---- MatMul ----

    public static IEnumerable<TestCaseData> MatMulCases()
    {
        // batch, m, k, n, b is a constant, b broadcast (rank 2)
        object[][] t =
        {
            new object[] { 1, 5, 17, 8, true, false },
            new object[] { 3, 4, 32, 3, false, false },
            new object[] { 3, 1, 8, 17, true, true },
            new object[] { 1, 1, 1, 1, false, false },
        };
        foreach (var a in t)
            yield return Case($"batch {a[0]} {a[1]}x{a[2]} x {a[2]}x{a[3]} b const {a[4]} broadcast {a[5]}", a);
    }

    [TestCaseSource(nameof(MatMulCases))]
    public void MatMul(int batch, int m, int k, int n, bool bConstant, bool broadcast)
    {
        var aShape = new[] { batch, m, k };
        var bShape = broadcast ? new[] { k, n } : new[] { batch, k, n };
        string what = $"MatMul {P(aShape)} x {P(bShape)} (b {(bConstant ? "constant" : "run-time")})";
        var a = Random(batch * m * k, 44);
        var b = Weights(Oracle.Count(bShape), k, 45);
        var av = In("a", aShape);
        var bv = bConstant ? Const("b", bShape, b) : In("b", bShape);
        var node = new MatMulNode("matmul", av, bv, Out("y"));
        var got = bConstant ? RunOne(node, what, (av, a)) : RunOne(node, what, (av, a), (bv, b));
        var want = Oracle.MatMul(a, b, batch, m, k, n, broadcast);
        var scale = Oracle.MatMul(Oracle.Abs(a), Oracle.Abs(b), batch, m, k, n, broadcast);
        Check(got, want, scale, Tolerance.Sum(k, 0), what);
    }

    // ---- BatchNorm ----

    public static IEnumerable<TestCaseData> BatchNormCases()
    {
        int[][] t = { new[] { 2, 3, 4, 8 }, new[] { 1, 1, 1, 1 }, new[] { 3, 5, 5, 17 }, new[] { 1, 7, 8, 32 }, new[] { 3, 2, 2, 3 } };
        foreach (var a in t)
            yield return Case($"{P(a)}", (object)a);
    }

    [TestCaseSource(nameof(BatchNormCases))]
    public void BatchNorm(int[] shape)
    {
        const float eps = 1e-3f;
        string what = $"BatchNorm {P(shape)} epsilon {eps}";
        int c = shape[^1];
        var x = Random(Oracle.Count(shape), 25, 10f);
        var scale = Random(c, 26);
        var offset = Random(c, 27);
        var mean = Random(c, 28);
        var variance = Random(c, 29).Select(v => v * v + 0.1f).ToArray();
        var xv = In("x", shape);
        var node = new BatchNormNode("bn", xv, Const("s", new[] { c }, scale), Const("o", new[] { c }, offset), Const("m", new[] { c }, mean),
            Const("v", new[] { c }, variance), Out("y"), eps);
        var got = RunOne(node, what, (xv, x));
        var want = Oracle.BatchNorm(x, scale, offset, mean, variance, eps);
        // Σ|terms|: (|x| + |mean|)·|scale|/sqrt(variance + ε) + |offset|; the square root, the division (or rsqrt) and
        // the folding of scale into one factor are extra roundings.
        var errScale = x.Select((v, i) => (float)((Math.Abs(v) + Math.Abs(mean[i % c])) * Math.Abs(scale[i % c]) / Math.Sqrt(variance[i % c] + eps) + Math.Abs(offset[i % c]))).ToArray();
        Check(got, want, errScale, Tolerance.Sum(2, 4), what);
    }
}
