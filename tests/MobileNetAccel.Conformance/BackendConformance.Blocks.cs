using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Conformance;

public abstract partial class BackendConformance
{
    // ---- InvertedResidual (the fused MobileNetV2 block) ----

    public static IEnumerable<TestCaseData> InvertedResidualCases()
    {
        // n, h, w, cin, hidden (0 = no expand), cout, stride, pads, residual, biases
        object[][] t =
        {
            new object[] { 1, 8, 8, 8, 48, 8, 1, new[] { 1, 1, 1, 1 }, true, true },
            new object[] { 3, 9, 9, 17, 102, 17, 1, new[] { 1, 1, 1, 1 }, true, true },   // hidden not a multiple of 32, 9x9 not of the tile
            new object[] { 1, 15, 15, 8, 48, 32, 2, new[] { 1, 1, 1, 1 }, false, true },
            new object[] { 3, 14, 14, 3, 18, 8, 2, new[] { 0, 0, 1, 1 }, false, false },  // TF SAME stride 2
            new object[] { 1, 7, 7, 32, 0, 17, 1, new[] { 1, 1, 1, 1 }, false, true },    // no expand (V2's first block)
            new object[] { 1, 6, 5, 96, 576, 96, 1, new[] { 1, 1, 1, 1 }, true, true },
            new object[] { 1, 1, 1, 1, 6, 1, 1, new[] { 1, 1, 1, 1 }, true, true },        // 1x1, one channel
            new object[] { 3, 11, 9, 12, 40, 16, 1, new[] { 1, 1, 1, 1 }, false, true },  // partial tiles
            new object[] { 1, 12, 12, 8, 36, 12, 2, new[] { 0, 0, 1, 1 }, false, true },
            new object[] { 3, 9, 9, 6, 24, 10, 2, new[] { 1, 1, 1, 1 }, false, true },
            new object[] { 1, 10, 10, 16, 0, 8, 1, new[] { 1, 1, 1, 1 }, false, true },
            new object[] { 3, 7, 7, 24, 0, 24, 1, new[] { 1, 1, 1, 1 }, true, true },    // no expand, residual
        };
        foreach (var a in t)
            yield return Case($"n{a[0]} {a[1]}x{a[2]}x{a[3]} hidden {a[4]} -> {a[5]} s{a[6]} pad{P((int[])a[7])} residual {a[8]} biases {a[9]}", a);
    }

    [TestCaseSource(nameof(InvertedResidualCases))]
    public void InvertedResidual(int n, int h, int w, int cin, int hidden, int cout, int stride, int[] pad, bool residual, bool biases)
    {
        string what = $"InvertedResidual n{n} {h}x{w}x{cin} expand {(hidden == 0 ? "none" : hidden.ToString(System.Globalization.CultureInfo.InvariantCulture))} " +
            $"-> {cout} stride {stride} pad(t,l,b,r) {P(pad)} residual {residual} biases {biases} (ReLU6, ReLU6, none)";
        int hid = hidden == 0 ? cin : hidden;
        var x = Random(n * h * w * cin, 10);
        var ew = hidden == 0 ? null : Weights(hidden * cin, cin, 11);
        var eb = hidden == 0 || !biases ? null : Random(hidden, 12);
        var dw = Weights(9 * hid, 9, 13);
        var db = biases ? Random(hid, 14) : null;
        var pw = Weights(cout * hid, hid, 15);
        var pb = biases ? Random(cout, 16) : null;
        var xv = In("x", n, h, w, cin);
        var node = new InvertedResidualNode("irb", xv,
            ew is null ? null : Const("ew", new[] { hidden, cin }, ew), eb is null ? null : Const("eb", new[] { hidden }, eb),
            Const("dw", new[] { 1, 3, 3, hid }, dw), db is null ? null : Const("db", new[] { hid }, db),
            Const("pw", new[] { cout, hid }, pw), pb is null ? null : Const("pb", new[] { cout }, pb), Out("y"))
        {
            Stride = stride, Padding = new Padding(pad[0], pad[1], pad[2], pad[3]), Residual = residual,
        };
        var got = RunOne(node, what, (xv, x));
        var want = Oracle.InvertedResidual(x, n, h, w, cin, ew, eb, hidden, dw, db, pw, pb, cout, stride, pad[0], pad[1], pad[2], pad[3],
            Activation.Relu6, Activation.Relu6, Activation.None, residual);
        var scale = Oracle.InvertedResidual(Oracle.Abs(x), n, h, w, cin, Oracle.Abs(ew), Oracle.Abs(eb), hidden, Oracle.Abs(dw), Oracle.Abs(db),
            Oracle.Abs(pw), Oracle.Abs(pb), cout, stride, pad[0], pad[1], pad[2], pad[3], Activation.None, Activation.None, Activation.None, residual);
        double eps = (hidden == 0 ? 0 : Tolerance.Sum(cin)) + Tolerance.Sum(9) + Tolerance.Sum(hid, residual ? 2 : 1);
        Check(got, want, scale, eps, what);
    }

    // ---- a whole (tiny) network ----

    /// <summary>A MobileNetV2-shaped chain at batch 2, one partition: conv 3x3 s2 → IRB (expand, s2) → IRB (expand,
    /// residual) → 1x1 conv → global average pool → reshape → fully connected → softmax; logits and probabilities
    /// against the oracle's composition.</summary>
    [Test]
    public void TinyMobileNetV2Batch2()
    {
        const int n = 2, h = 17, cin = 3, c1 = 8, hid = 48, c2 = 16, c3 = 32, classes = 11;
        string what = $"tiny MobileNetV2 batch {n}: {h}x{h}x{cin} conv3x3 s2 ->{c1} relu6, IRB {c1}->{hid}->{c2} s2, IRB {c2}->{hid}->{c2} residual, " +
            $"1x1 ->{c3} relu6, global average pool, reshape, FC ->{classes}, softmax";
        var x = In("x", n, h, h, cin);
        var w1 = Random(c1 * 9 * cin, 30, 0.3f); var b1 = Random(c1, 31);
        var e1 = Random(hid * c1, 32, 0.3f); var d1 = Random(9 * hid, 33, 0.3f); var p1 = Random(c2 * hid, 34, 0.15f);
        var e2 = Random(hid * c2, 35, 0.25f); var d2 = Random(9 * hid, 36, 0.3f); var p2 = Random(c2 * hid, 37, 0.15f);
        var wp = Random(c3 * c2, 38, 0.25f);
        var wf = Random(classes * c3, 39, 0.2f); var bf = Random(classes, 40);
        Value t1 = Out("t1"), t2 = Out("t2"), t3 = Out("t3"), t4 = Out("t4"), t5 = Out("t5"), t6 = Out("t6"), logits = Out("logits"), probs = Out("probs");
        var g = new ModelGraph("tiny-v2");
        g.Inputs.Add(x);
        g.Add(new Conv2DNode("conv1", x, Const("w1", new[] { c1, 3, 3, cin }, w1), Const("b1", new[] { c1 }, b1), t1)
        { StrideH = 2, StrideW = 2, Padding = new Padding(1, 1, 1, 1), Activation = Activation.Relu6 });
        g.Add(new InvertedResidualNode("irb1", t1, Const("e1", new[] { hid, c1 }, e1), null, Const("d1", new[] { 1, 3, 3, hid }, d1), null,
            Const("p1", new[] { c2, hid }, p1), null, t2)
        { Stride = 2, Padding = new Padding(1, 1, 1, 1) });
        g.Add(new InvertedResidualNode("irb2", t2, Const("e2", new[] { hid, c2 }, e2), null, Const("d2", new[] { 1, 3, 3, hid }, d2), null,
            Const("p2", new[] { c2, hid }, p2), null, t3)
        { Residual = true });
        g.Add(new Conv2DNode("pw", t3, Const("wp", new[] { c3, 1, 1, c2 }, wp), null, t4) { Activation = Activation.Relu6 });
        g.Add(new GlobalAveragePoolNode("gap", t4, t5));
        g.Add(new ReshapeNode("flatten", t5, t6, new[] { -1, c3 }));
        g.Add(new FullyConnectedNode("fc", t6, Const("wf", new[] { classes, c3 }, wf), Const("bf", new[] { classes }, bf), logits));
        g.Add(new SoftmaxNode("softmax", logits, probs));
        g.Outputs.Add(logits);
        g.Outputs.Add(probs);

        var input = Random(n * h * h * cin, 100);
        var got = RunGraph(g, new[] { input }, what);

        float[] Chain(bool abs)
        {
            Activation R6 = abs ? Activation.None : Activation.Relu6;
            float[] A(float[] v) => abs ? Oracle.Abs(v) : v;
            var a = Oracle.Conv2D(A(input), n, h, h, cin, A(w1), A(b1), c1, 3, 3, 2, 2, 1, 1, 1, 1, R6); // 9x9
            var b = Oracle.InvertedResidual(a, n, 9, 9, c1, A(e1), null, hid, A(d1), null, A(p1), null, c2, 2, 1, 1, 1, 1, R6, R6, Activation.None, false); // 5x5
            var c = Oracle.InvertedResidual(b, n, 5, 5, c2, A(e2), null, hid, A(d2), null, A(p2), null, c2, 1, 1, 1, 1, 1, R6, R6, Activation.None, true);
            var d = Oracle.Conv2D(c, n, 5, 5, c2, A(wp), null, c3, 1, 1, 1, 1, 0, 0, 0, 0, R6);
            var gp = Oracle.GlobalAveragePool(d, n, 5, 5, c3);
            return Oracle.FullyConnected(gp, n, c3, A(wf), A(bf), classes, Activation.None);
        }
        var wantLogits = Chain(false);
        var logitScale = Chain(true);
        double eps = Tolerance.Sum(9 * cin)
            + Tolerance.Sum(c1) + Tolerance.Sum(9) + Tolerance.Sum(hid)
            + Tolerance.Sum(c2) + Tolerance.Sum(9) + Tolerance.Sum(hid, 2)
            + Tolerance.Sum(c2) + Tolerance.Sum(25) + Tolerance.Sum(c3);
        Check(got[0], wantLogits, logitScale, eps, what + ": logits");

        var wantProbs = Oracle.Softmax(wantLogits, n, classes, 1f);
        double maxLogitError = logitScale.Max() * eps;
        Check(got[1], wantProbs, wantProbs, 2 * maxLogitError + Tolerance.Softmax(classes, MaxExponent(wantLogits, n, classes, 1f)), what + ": probabilities");
    }
}
