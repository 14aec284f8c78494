using System.Runtime.InteropServices;
using Google.FlatBuffers;
using MobileNetAccel.Graph;
using NUnit.Framework;
using B = MobileNetAccel.Tests.TFLite.TfliteModelBuilder;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>
/// TensorFlow's full-integer export (int8 activations, int8 per-channel weights, QUANTIZE / DEQUANTIZE at the float
/// edges) on the integer path: a small head written with the FlatBuffers builder — QUANTIZE → DEPTHWISE_CONV_2D
/// (per-channel on dim 3) → ADD (residual) → AVERAGE_POOL_2D → MEAN → SOFTMAX → DEQUANTIZE — each stage checked from
/// the integer path's own previous stage against exact real arithmetic, as <see cref="OperatorTests"/> does.
/// </summary>
[TestFixture]
public class Int8ModelTests
{
    private static Func<FlatBufferBuilder, int> Pool(int padding, int stride, int filter) => b =>
    {
        b.StartTable(6);
        b.AddByte(0, (byte)padding, 0);
        b.AddInt(1, stride, 0);
        b.AddInt(2, stride, 0);
        b.AddInt(3, filter, 0);
        b.AddInt(4, filter, 0);
        b.AddByte(5, 0, 0);
        return b.EndTable();
    };

    [Test]
    public void Int8HeadQuantizeDepthwiseAddPoolMeanSoftmaxDequantize()
    {
        var rng = new Random(11);
        var m = new B();
        float si = 0.05f, sy = 0.06f, sa = 0.093f, sm = 0.077f; // ratios that put no exact .5 ties in the sums
        float[] sw = { 0.01f, 0.02f, 0.015f };
        var xf = m.Tensor("xf", new[] { 1, 4, 4, 3 }, B.Float32);
        var x = m.Tensor("x", new[] { 1, 4, 4, 3 }, B.Int8, scales: new[] { si }, zeroPoints: new[] { -5L });
        var wData = Enumerable.Range(0, 27).Select(_ => (byte)(sbyte)rng.Next(-127, 128)).ToArray();
        var bData = Enumerable.Range(0, 3).Select(_ => rng.Next(-400, 400)).ToArray();
        var w = m.Tensor("w", new[] { 1, 3, 3, 3 }, B.Int8, wData, sw, new long[3], 3);
        var b = m.Tensor("b", new[] { 3 }, B.Int32, bData.SelectMany(BitConverter.GetBytes).ToArray(), sw.Select(s => s * si).ToArray(), new long[3], 0);
        var y = m.Tensor("y", new[] { 1, 4, 4, 3 }, B.Int8, scales: new[] { sy }, zeroPoints: new[] { 1L });
        var a = m.Tensor("a", new[] { 1, 4, 4, 3 }, B.Int8, scales: new[] { sa }, zeroPoints: new[] { -2L });
        var p = m.Tensor("p", new[] { 1, 2, 2, 3 }, B.Int8, scales: new[] { sa }, zeroPoints: new[] { -2L });
        var axes = m.Int32Tensor("axes", new[] { 2 }, new[] { 1, 2 });
        var mn = m.Tensor("mn", new[] { 1, 3 }, B.Int8, scales: new[] { sm }, zeroPoints: new[] { 0L });
        var prob = m.Tensor("prob", new[] { 1, 3 }, B.Int8, scales: new[] { 1f / 256 }, zeroPoints: new[] { -128L });
        var pf = m.Tensor("pf", new[] { 1, 3 }, B.Float32);
        m.Op(114, new[] { xf }, new[] { x });
        m.Op(4, new[] { x, w, b }, new[] { y }, 2, B.Depthwise(0, 1, 0), version: 3);
        m.Op(0, new[] { y, x }, new[] { a }, 11, B.Activation(0), version: 2);
        m.Op(1, new[] { a }, new[] { p }, 5, Pool(1, 2, 2), version: 2);
        m.Op(40, new[] { p, axes }, new[] { mn }, 27, B.Reducer(false), version: 2);
        m.Op(25, new[] { mn }, new[] { prob }, 9, B.Softmax(1f), version: 2);
        m.Op(6, new[] { prob }, new[] { pf }, version: 2);
        var input = Enumerable.Range(0, 48).Select(_ => (float)(rng.NextDouble() * 6 - 3)).ToArray();
        var inBytes = MemoryMarshal.AsBytes(input.AsSpan()).ToArray();
        byte[] Stage(int t) => OperatorTests.Run(m.Build(new[] { xf }, new[] { t }), inBytes, $"int8-{t}.tflite");
        static int S(byte v) => (sbyte)v;

        var xq = Stage(x);
        OperatorTests.Compare("QUANTIZE", xq, input.Select(v => (double)v).ToArray(), si, -5, -128, 127, signed: true);
        var yq = Stage(y);
        var yExact = new double[48];
        for (int oy = 0; oy < 4; oy++)
            for (int ox = 0; ox < 4; ox++)
                for (int c = 0; c < 3; c++)
                {
                    double acc = bData[c];
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++)
                        {
                            int iy = oy - 1 + ky, ix = ox - 1 + kx;
                            if (iy < 0 || iy >= 4 || ix < 0 || ix >= 4) continue;
                            acc += (S(xq[(iy * 4 + ix) * 3 + c]) + 5) * S(wData[(ky * 3 + kx) * 3 + c]);
                        }
                    yExact[(oy * 4 + ox) * 3 + c] = acc * si * sw[c];
                }
        OperatorTests.Compare("DEPTHWISE_CONV_2D int8 per-channel (dim 3), SAME", yq, yExact, sy, 1, -128, 127, signed: true);
        var aq = Stage(a);
        OperatorTests.Compare("ADD int8", aq, Enumerable.Range(0, 48).Select(i => (S(yq[i]) - 1) * (double)sy + (S(xq[i]) + 5) * (double)si).ToArray(), sa, -2, -128, 127, signed: true);
        var pq = Stage(p);
        var pExact = new double[12];
        for (int oy = 0; oy < 2; oy++)
            for (int ox = 0; ox < 2; ox++)
                for (int c = 0; c < 3; c++)
                    pExact[(oy * 2 + ox) * 3 + c] = new[] { (0, 0), (0, 1), (1, 0), (1, 1) }
                        .Average(d => (S(aq[((oy * 2 + d.Item1) * 4 + ox * 2 + d.Item2) * 3 + c]) + 2) * (double)sa);
        OperatorTests.Compare("AVERAGE_POOL_2D int8 2x2 s2", pq, pExact, sa, -2, -128, 127, signed: true);
        var mq = Stage(mn);
        OperatorTests.Compare("MEAN int8 [1,2]", mq, Enumerable.Range(0, 3).Select(c => Enumerable.Range(0, 4).Average(i => (S(pq[i * 3 + c]) + 2) * (double)sa)).ToArray(), sm, 0, -128, 127, signed: true);
        var probq = Stage(prob);
        var logits = mq.Select(v => S(v) * (double)sm).ToArray();
        double mx = logits.Max(), sum = logits.Sum(l => Math.Exp(l - mx));
        OperatorTests.Compare("SOFTMAX int8", probq, logits.Select(l => Math.Exp(l - mx) / sum).ToArray(), 1.0 / 256, -128, -128, 127, signed: true);
        var pfv = MemoryMarshal.Cast<byte, float>(Stage(pf)).ToArray();
        for (int i = 0; i < 3; i++)
            Assert.That(pfv[i], Is.EqualTo((S(probq[i]) + 128) / 256f).Within(1e-7f), "DEQUANTIZE");
        var g = Formats.TFLite.TfliteReader.Read(m.Build(new[] { xf }, new[] { pf }), "int8.tflite");
        Assert.That(g.Nodes.Where(n => n is not (QuantizeNode or DequantizeNode or ReshapeNode)).All(n => n.Input.DataType == DataType.Int8), "every operator on int8");
    }
}
