using System.Runtime.InteropServices;
using MobileNetAccel.Backends.Native.Quantized;
using MobileNetAccel.Formats;
using MobileNetAccel.Formats.TFLite;
using MobileNetAccel.Graph;
using NUnit.Framework;
using B = MobileNetAccel.Tests.TFLite.TfliteModelBuilder;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>
/// One-operator .tflite files written with the FlatBuffers builder, read by the reader and run on the integer path,
/// against exact real arithmetic computed here in double precision (dequantize, compute, divide by the output scale,
/// round, add the zero point, clamp). The fp32 requantization may differ from it by 1 only where the exact value lies
/// within float error of a .5 tie, so each case allows 1 quantum on at most 1% of the outputs (reported).
/// Covers the operators the shared MobileNets do not use (PAD, FULLY_CONNECTED, MEAN, SQUEEZE, RELU, QUANTIZE,
/// DEQUANTIZE, int8 per-channel weights) and the ones they do.
/// </summary>
[TestFixture]
public class OperatorTests
{
    private static readonly Random Rng = new(7);

    private static byte[] RandomBytes(int n, int lo = 0, int hi = 256)
    {
        var b = new byte[n];
        for (int i = 0; i < n; i++)
            b[i] = (byte)Rng.Next(lo, hi);
        return b;
    }

    private static int[] RandomInts(int n, int lo, int hi) => Enumerable.Range(0, n).Select(_ => Rng.Next(lo, hi)).ToArray();

    internal static byte[] Run(byte[] file, byte[] input, string name)
    {
        var g = TfliteReader.Read(file, name);
        return IntegerRunner.Run(g, input);
    }

    internal static void Compare(string what, byte[] actual, double[] exactReal, double outScale, int outZp, int qmin, int qmax, bool signed = false)
    {
        Assert.That(actual.Length, Is.EqualTo(exactReal.Length), what);
        int off = 0, maxDiff = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            int expected = (int)Math.Clamp(Math.Round(exactReal[i] / outScale, MidpointRounding.ToEven) + outZp, qmin, qmax);
            int got = signed ? (sbyte)actual[i] : actual[i];
            int d = Math.Abs(got - expected);
            maxDiff = Math.Max(maxDiff, d);
            if (d != 0)
                off++;
        }
        TestContext.Out.WriteLine($"{what}: {actual.Length} outputs, {off} differ from exact rounding (max {maxDiff})");
        Assert.That(maxDiff, Is.LessThanOrEqualTo(1), what);
        Assert.That(off, Is.LessThanOrEqualTo(Math.Max(1, actual.Length / 100)), what);
    }

    [Test]
    public void PadThenConvValidRelu6()
    {
        var m = new B();
        float si = 1f / 128, sw = 0.02f, so = 0.05f;
        var x = m.Tensor("x", new[] { 1, 6, 6, 3 }, B.UInt8, scales: new[] { si }, zeroPoints: new[] { 128L });
        var pads = m.Int32Tensor("pads", new[] { 4, 2 }, new[] { 0, 0, 1, 1, 1, 1, 0, 0 });
        var xp = m.Tensor("xp", new[] { 1, 8, 8, 3 }, B.UInt8, scales: new[] { si }, zeroPoints: new[] { 128L });
        var wData = RandomBytes(4 * 3 * 3 * 3);
        var bData = RandomInts(4, -3000, 3000);
        var w = m.Tensor("w", new[] { 4, 3, 3, 3 }, B.UInt8, wData, new[] { sw }, new[] { 120L });
        var b = m.Tensor("b", new[] { 4 }, B.Int32, bData.SelectMany(BitConverter.GetBytes).ToArray(), new[] { si * sw });
        var y = m.Tensor("y", new[] { 1, 6, 6, 4 }, B.UInt8, scales: new[] { so }, zeroPoints: new[] { 3L });
        m.Op(34, new[] { x, pads }, new[] { xp });
        m.Op(3, new[] { xp, w, b }, new[] { y }, 1, B.Conv(1, 1, 3));
        var input = RandomBytes(6 * 6 * 3);
        var got = Run(m.Build(new[] { x }, new[] { y }), input, "pad-conv.tflite");
        var exact = new double[6 * 6 * 4];
        for (int oy = 0; oy < 6; oy++)
            for (int ox = 0; ox < 6; ox++)
                for (int oc = 0; oc < 4; oc++)
                {
                    double acc = bData[oc];
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++)
                            for (int ic = 0; ic < 3; ic++)
                            {
                                int iy = oy + ky - 1, ix = ox + kx - 1; // padded by one pixel of the zero point
                                int q = iy < 0 || iy >= 6 || ix < 0 || ix >= 6 ? 128 : input[(iy * 6 + ix) * 3 + ic];
                                acc += (q - 128) * (wData[((oc * 3 + ky) * 3 + kx) * 3 + ic] - 120);
                            }
                    exact[(oy * 6 + ox) * 4 + oc] = acc * si * sw;
                }
        // ReLU6 in the quantized domain: [zp, zp + round(6/s)] = [3, 123].
        Compare("PAD + CONV_2D 3x3 VALID RELU6", got, exact, so, 3, 3, 123);
    }

    [Test]
    public void DepthwiseSameStride2ReluThenStandaloneRelu()
    {
        var m = new B();
        float si = 0.05f, sw = 0.03f, so = 0.04f, s2 = 0.03f;
        var x = m.Tensor("x", new[] { 1, 5, 5, 4 }, B.UInt8, scales: new[] { si }, zeroPoints: new[] { 7L });
        var wData = RandomBytes(9 * 4);
        var bData = RandomInts(4, -2000, 2000);
        var w = m.Tensor("w", new[] { 1, 3, 3, 4 }, B.UInt8, wData, new[] { sw }, new[] { 128L });
        var b = m.Tensor("b", new[] { 4 }, B.Int32, bData.SelectMany(BitConverter.GetBytes).ToArray());
        var y = m.Tensor("y", new[] { 1, 3, 3, 4 }, B.UInt8, scales: new[] { so }, zeroPoints: new[] { 10L });
        var z = m.Tensor("z", new[] { 1, 3, 3, 4 }, B.UInt8, scales: new[] { s2 }, zeroPoints: new[] { 5L });
        m.Op(4, new[] { x, w, b }, new[] { y }, 2, B.Depthwise(0, 2, 1));
        m.Op(19, new[] { y }, new[] { z });
        var input = RandomBytes(5 * 5 * 4);
        var file = m.Build(new[] { x }, new[] { y });
        var got = Run(file, input, "dw.tflite");
        var exact = new double[9 * 4];
        // SAME, stride 2 on 5: out 3, total pad (3-1)*2+3-5 = 2 -> 1 before, 1 after.
        for (int oy = 0; oy < 3; oy++)
            for (int ox = 0; ox < 3; ox++)
                for (int c = 0; c < 4; c++)
                {
                    double acc = bData[c];
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++)
                        {
                            int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
                            if (iy < 0 || iy >= 5 || ix < 0 || ix >= 5) continue;
                            acc += (input[(iy * 5 + ix) * 4 + c] - 7) * (wData[(ky * 3 + kx) * 4 + c] - 128);
                        }
                    exact[(oy * 3 + ox) * 4 + c] = acc * si * sw;
                }
        Compare("DEPTHWISE_CONV_2D 3x3 SAME s2 RELU", got, exact, so, 10, 10, 255);
        // The standalone RELU requantizes y (0.04, 10) to z (0.03, 5) and clamps at its zero point.
        var got2 = Run(m.Build(new[] { x }, new[] { z }), input, "dw-relu.tflite");
        var yReal = got.Select(q => (q - 10) * (double)so).ToArray();
        Compare("RELU (requantizing)", got2, yReal, s2, 5, 5, 255);
    }

    [Test]
    public void MeanFullyConnectedReshapeSqueezeAddSoftmax()
    {
        var m = new B();
        float si = 0.03f, sm = 0.02f, sw = 0.05f, sf = 0.1f, sa = 0.2f;
        var x = m.Tensor("x", new[] { 1, 3, 3, 4 }, B.UInt8, scales: new[] { si }, zeroPoints: new[] { 5L });
        var axes = m.Int32Tensor("axes", new[] { 2 }, new[] { 1, 2 });
        var mean = m.Tensor("mean", new[] { 1, 4 }, B.UInt8, scales: new[] { sm }, zeroPoints: new[] { 3L });
        var wData = RandomBytes(5 * 4);
        var bData = RandomInts(5, -500, 500);
        var w = m.Tensor("fcw", new[] { 5, 4 }, B.UInt8, wData, new[] { sw }, new[] { 128L });
        var b = m.Tensor("fcb", new[] { 5 }, B.Int32, bData.SelectMany(BitConverter.GetBytes).ToArray());
        var fc = m.Tensor("fc", new[] { 1, 5 }, B.UInt8, scales: new[] { sf }, zeroPoints: new[] { 100L });
        var r3 = m.Tensor("r3", new[] { 1, 1, 5 }, B.UInt8, scales: new[] { sf }, zeroPoints: new[] { 100L });
        var sq = m.Tensor("sq", new[] { 1, 5 }, B.UInt8, scales: new[] { sf }, zeroPoints: new[] { 100L });
        var add = m.Tensor("add", new[] { 1, 5 }, B.UInt8, scales: new[] { sa }, zeroPoints: new[] { 100L });
        var prob = m.Tensor("prob", new[] { 1, 5 }, B.UInt8, scales: new[] { 1f / 256 }, zeroPoints: new[] { 0L });
        m.Op(40, new[] { x, axes }, new[] { mean }, 27, B.Reducer(false));
        m.Op(9, new[] { mean, w, b }, new[] { fc }, 8, B.Activation(0));
        m.Op(22, new[] { fc }, new[] { r3 });
        m.Op(43, new[] { r3 }, new[] { sq });
        m.Op(0, new[] { sq, fc }, new[] { add }, 11, B.Activation(0));
        m.Op(25, new[] { add }, new[] { prob }, 9, B.Softmax(1f));
        var input = RandomBytes(9 * 4);
        int[] outputs = { mean, fc, sq, add, prob };
        var g = TfliteReader.Read(m.Build(new[] { x }, new[] { prob }), "head.tflite");
        Assert.That(g.Nodes.Select(n => n.Op), Is.EqualTo(new[] { OpType.GlobalAveragePool, OpType.Reshape, OpType.FullyConnected, OpType.Reshape,
            OpType.Reshape, OpType.Add, OpType.Softmax }));
        // Each stage is checked from the integer path's own previous stage, so one rounding step is compared at a time.
        var stage = new Dictionary<int, byte[]>();
        foreach (int o in outputs)
            stage[o] = Run(m.Build(new[] { x }, new[] { o }), input, $"head-{o}.tflite");
        var meanExact = new double[4];
        for (int c = 0; c < 4; c++)
            meanExact[c] = Enumerable.Range(0, 9).Average(p => (double)(input[p * 4 + c] - 5)) * si;
        Compare("MEAN [1,2] keep_dims=false", stage[mean], meanExact, sm, 3, 0, 255);
        var fcExact = new double[5];
        for (int o = 0; o < 5; o++)
        {
            double acc = bData[o];
            for (int i = 0; i < 4; i++)
                acc += (stage[mean][i] - 3) * (wData[o * 4 + i] - 128);
            fcExact[o] = acc * sm * sw;
        }
        Compare("FULLY_CONNECTED", stage[fc], fcExact, sf, 100, 0, 255);
        Assert.That(stage[sq], Is.EqualTo(stage[fc]), "RESHAPE + SQUEEZE keep the bytes");
        var addExact = stage[fc].Select(q => 2.0 * (q - 100) * sf).ToArray();
        Compare("ADD", stage[add], addExact, sa, 100, 0, 255);
        var logits = stage[add].Select(q => (q - 100) * (double)sa).ToArray();
        double mx = logits.Max(), sum = logits.Sum(l => Math.Exp(l - mx));
        Compare("SOFTMAX", stage[prob], logits.Select(l => Math.Exp(l - mx) / sum).ToArray(), 1.0 / 256, 0, 0, 255);
    }

    [Test]
    public void Int8PerChannelConvBetweenQuantizeAndDequantize()
    {
        var m = new B();
        float si = 0.02f, so = 0.1f;
        float[] sw = { 0.01f, 0.02f, 0.005f };
        var xf = m.Tensor("xf", new[] { 1, 4, 4, 2 }, B.Float32);
        var xq = m.Tensor("xq", new[] { 1, 4, 4, 2 }, B.Int8, scales: new[] { si }, zeroPoints: new[] { -3L });
        var wData = RandomBytes(3 * 2 * 2 * 2, 0, 256).Select(v => (byte)(sbyte)Math.Clamp((sbyte)v, (sbyte)-127, (sbyte)127)).ToArray();
        var bData = RandomInts(3, -800, 800);
        var w = m.Tensor("w", new[] { 3, 2, 2, 2 }, B.Int8, wData, sw, new long[3], 0);
        var b = m.Tensor("b", new[] { 3 }, B.Int32, bData.SelectMany(BitConverter.GetBytes).ToArray(), sw.Select(s => s * si).ToArray(), new long[3], 0);
        var yq = m.Tensor("yq", new[] { 1, 2, 2, 3 }, B.Int8, scales: new[] { so }, zeroPoints: new[] { 2L });
        var yf = m.Tensor("yf", new[] { 1, 2, 2, 3 }, B.Float32);
        m.Op(114, new[] { xf }, new[] { xq });
        m.Op(3, new[] { xq, w, b }, new[] { yq }, 1, B.Conv(1, 2, 0), version: 3);
        m.Op(6, new[] { yq }, new[] { yf }, version: 2);
        var input = Enumerable.Range(0, 32).Select(_ => (float)(Rng.NextDouble() * 4 - 2)).ToArray();
        var inBytes = MemoryMarshal.AsBytes(input.AsSpan()).ToArray();
        var quantized = Run(m.Build(new[] { xf }, new[] { xq }), inBytes, "q.tflite");
        var qExact = input.Select(v => (double)v).ToArray();
        Compare("QUANTIZE float -> int8", quantized, qExact, si, -3, -128, 127, signed: true);
        var yBytes = Run(m.Build(new[] { xf }, new[] { yq }), inBytes, "qconv.tflite");
        var exact = new double[2 * 2 * 3];
        for (int oy = 0; oy < 2; oy++)
            for (int ox = 0; ox < 2; ox++)
                for (int oc = 0; oc < 3; oc++)
                {
                    double acc = bData[oc];
                    for (int ky = 0; ky < 2; ky++)
                        for (int kx = 0; kx < 2; kx++)
                            for (int ic = 0; ic < 2; ic++)
                                acc += ((sbyte)quantized[((oy * 2 + ky) * 4 + ox * 2 + kx) * 2 + ic] + 3) * (sbyte)wData[((oc * 2 + ky) * 2 + kx) * 2 + ic];
                    exact[(oy * 2 + ox) * 3 + oc] = acc * si * sw[oc];
                }
        Compare("CONV_2D int8 per-channel (VALID 2x2 s2)", yBytes, exact, so, 2, -128, 127, signed: true);
        var yf32 = MemoryMarshal.Cast<byte, float>(Run(m.Build(new[] { xf }, new[] { yf }), inBytes, "qconvdq.tflite")).ToArray();
        for (int i = 0; i < yf32.Length; i++)
            Assert.That(yf32[i], Is.EqualTo(((sbyte)yBytes[i] - 2) * so).Within(1e-6f), "DEQUANTIZE");
    }

    [Test]
    public void UnsupportedOperatorAndBadIndicesAreNamed()
    {
        var m = new B();
        var x = m.Tensor("x", new[] { 1, 4 }, B.Float32);
        var y = m.Tensor("y", new[] { 1, 4 }, B.Float32);
        m.Op(28, new[] { x }, new[] { y }); // TANH
        var ex = Assert.Throws<ModelFormatException>(() => TfliteReader.Read(m.Build(new[] { x }, new[] { y }), "tanh.tflite"))!;
        Assert.That(ex.Message, Is.EqualTo("tanh.tflite: subgraph 0, operator 0 (TANH): operator TANH is not supported"));

        var m2 = new B();
        var a = m2.Tensor("a", new[] { 1, 4 }, B.Float32);
        var c = m2.Tensor("c", new[] { 1, 4 }, B.Float32);
        m2.Op(19, new[] { a }, new[] { 7 });
        ex = Assert.Throws<ModelFormatException>(() => TfliteReader.Read(m2.Build(new[] { a }, new[] { c }), "idx.tflite"))!;
        Assert.That(ex.Message, Does.Contain("operator 0 (RELU)").And.Contain("tensor index 7"));

        var m3 = new B();
        var p = m3.Tensor("p", new[] { 1, 4 }, B.Float32);
        var q = m3.Tensor("q", new[] { 1, 4 }, B.Float32);
        m3.Op(21, new[] { p }, new[] { q }, version: 9);
        ex = Assert.Throws<ModelFormatException>(() => TfliteReader.Read(m3.Build(new[] { p }, new[] { q }), "ver.tflite"))!;
        Assert.That(ex.Message, Does.Contain("operator 0 (RELU6): operator version 9 is not supported"));

        var m4 = new B();
        var u = m4.Tensor("u", new[] { 1, 3, 3, 2 }, B.Float32);
        var wt = m4.Tensor("w", new[] { 2, 3, 3, 2 }, B.Float32, new byte[10]); // 10 bytes for 36 floats
        var v = m4.Tensor("v", new[] { 1, 1, 1, 2 }, B.Float32);
        m4.Op(3, new[] { u, wt, -1 }, new[] { v }, 1, B.Conv(1, 1, 0));
        ex = Assert.Throws<ModelFormatException>(() => TfliteReader.Read(m4.Build(new[] { u }, new[] { v }), "short.tflite"))!;
        Assert.That(ex.Message, Does.Contain("tensor 1 'w'").And.Contain("holds 10 bytes"));
    }
}
