using System.Runtime.InteropServices;
using MobileNetAccel.Formats.TFLite;
using NUnit.Framework;
using B = MobileNetAccel.Tests.TFLite.TfliteModelBuilder;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>
/// The operators DeepLabV3 adds (RESIZE_BILINEAR, CONCATENATION with requantization, ARG_MAX, dilated
/// DEPTHWISE_CONV_2D), each as a one-operator .tflite file read by the reader and run on the native cpu backend, against
/// a plain scalar C# definition written here. Rounded results are exact except where the exact value lies within 1e-4
/// of a .5 tie (float error decides those; allowed 1 quantum); argmax and the dilated depthwise are exact.
/// </summary>
[TestFixture]
public class SegmentationOperatorTests
{
    private static readonly Random Rng = new(15);

    private static byte[] RandomBytes(int n, int lo = 0, int hi = 256)
    {
        var b = new byte[n];
        for (int i = 0; i < n; i++)
            b[i] = (byte)Rng.Next(lo, hi);
        return b;
    }

    private static byte[] Run(byte[] file, byte[] input, string name) => IntegerRunner.Run(TfliteReader.Read(file, name), input);

    private static int RoundAway(double v) => (int)Math.Round(v, MidpointRounding.AwayFromZero);

    private static bool NearTie(double v) => Math.Abs(Math.Abs(v - Math.Floor(v)) - 0.5) < 1e-4;

    /// <summary>Exact where the expected real is not at a tie; within 1 at ties (counted).</summary>
    private static void CompareRounded(string what, byte[] got, double[] exact, Func<double, int> quantize)
    {
        Assert.That(got.Length, Is.EqualTo(exact.Length), what);
        int ties = 0;
        for (int i = 0; i < got.Length; i++)
        {
            int e = quantize(exact[i]);
            if (got[i] == e)
                continue;
            Assert.That(NearTie(exact[i]) && Math.Abs(got[i] - e) <= 1, $"{what}: element {i} is {got[i]}, expected {e} (exact {exact[i]})");
            ties++;
        }
        TestContext.Out.WriteLine($"{what}: {got.Length} outputs, {ties} differ by 1 at a tie");
    }

    // ------------------------------------------------------------------ RESIZE_BILINEAR

    /// <summary>TFLite's definition of one output axis, in double: scale, sample, clamped floor/ceil neighbours.</summary>
    private static (int Lo, int Hi, double Frac)[] Axis(int input, int output, bool align, bool half)
    {
        double scale = align && output > 1 ? (double)(input - 1) / (output - 1) : (double)input / output;
        return Enumerable.Range(0, output).Select(i =>
        {
            double v = half ? (i + 0.5) * scale - 0.5 : i * scale;
            int lo = Math.Max((int)Math.Floor(v), 0), hi = Math.Min((int)Math.Ceiling(v), input - 1);
            return (lo, hi, v - lo);
        }).ToArray();
    }

    private static double[] ResizeReference(byte[] x, int h, int w, int c, int oh, int ow, bool align, bool half)
    {
        var ys = Axis(h, oh, align, half);
        var xs = Axis(w, ow, align, half);
        var r = new double[oh * ow * c];
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                for (int k = 0; k < c; k++)
                {
                    var (y0, y1, dy) = ys[oy];
                    var (x0, x1, dx) = xs[ox];
                    double At(int yy, int xx) => x[(yy * w + xx) * c + k];
                    r[(oy * ow + ox) * c + k] = At(y0, x0) * (1 - dy) * (1 - dx) + At(y1, x0) * dy * (1 - dx)
                        + At(y0, x1) * (1 - dy) * dx + At(y1, x1) * dy * dx;
                }
        return r;
    }

    [TestCase(5, 7, 9, 4, false, false)]
    [TestCase(5, 7, 9, 4, true, false)]
    [TestCase(5, 7, 9, 4, false, true)]
    [TestCase(33, 33, 65, 65, true, false)]
    [TestCase(1, 1, 6, 5, true, false)]
    [TestCase(6, 6, 3, 2, false, true)]
    [TestCase(5, 7, 9, 4, true, false, 21)] // DeepLab's 21 classes: SIMD lanes and a scalar tail
    [TestCase(4, 3, 7, 8, false, true, 40)]
    public void ResizeBilinearUInt8(int h, int w, int oh, int ow, bool align, bool half, int c = 3)
    {
        var m = new B();
        var q = new[] { 0.1f };
        var x = m.Tensor("x", new[] { 1, h, w, c }, B.UInt8, scales: q, zeroPoints: new[] { 20L });
        var size = m.Int32Tensor("size", new[] { 2 }, new[] { oh, ow });
        var y = m.Tensor("y", new[] { 1, oh, ow, c }, B.UInt8, scales: q, zeroPoints: new[] { 20L });
        m.Op(23, new[] { x, size }, new[] { y }, 15, B.ResizeBilinear(align, half), version: 3);
        var input = RandomBytes(h * w * c);
        var got = Run(m.Build(new[] { x }, new[] { y }), input, "resize.tflite");
        var exact = ResizeReference(input, h, w, c, oh, ow, align, half);
        CompareRounded($"RESIZE_BILINEAR {h}x{w} -> {oh}x{ow} align {align} half {half}", got, exact, v => Math.Clamp(RoundAway(v), 0, 255));
    }

    [Test]
    public void ResizeBilinearRequantizesToOtherOutputParameters()
    {
        var m = new B();
        const int c = 19; // SIMD lanes and a scalar tail
        var x = m.Tensor("x", new[] { 1, 4, 4, c }, B.UInt8, scales: new[] { 0.1f }, zeroPoints: new[] { 20L });
        var size = m.Int32Tensor("size", new[] { 2 }, new[] { 7, 7 });
        var y = m.Tensor("y", new[] { 1, 7, 7, c }, B.UInt8, scales: new[] { 0.15f }, zeroPoints: new[] { 3L });
        m.Op(23, new[] { x, size }, new[] { y }, 15, B.ResizeBilinear(true, false));
        var input = RandomBytes(4 * 4 * c);
        var got = Run(m.Build(new[] { x }, new[] { y }), input, "resize-requant.tflite");
        var exact = ResizeReference(input, 4, 4, c, 7, 7, true, false).Select(v => (v - 20) * 0.1 / 0.15).ToArray();
        CompareRounded("RESIZE_BILINEAR requantized", got, exact, v => Math.Clamp(RoundAway(v) + 3, 0, 255));
    }

    [Test]
    public void ResizeBilinearFloat32()
    {
        var m = new B();
        var x = m.Tensor("x", new[] { 1, 5, 6, 2 }, B.Float32);
        var size = m.Int32Tensor("size", new[] { 2 }, new[] { 8, 3 });
        var y = m.Tensor("y", new[] { 1, 8, 3, 2 }, B.Float32);
        m.Op(23, new[] { x, size }, new[] { y }, 15, B.ResizeBilinear(false, true));
        var values = Enumerable.Range(0, 60).Select(_ => (float)(Rng.NextDouble() * 4 - 2)).ToArray();
        var got = MemoryMarshal.Cast<byte, float>(Run(m.Build(new[] { x }, new[] { y }), MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), "resize-f32.tflite"));
        // the reference on floats: the same definition with the values in place of the bytes
        var ys = Axis(5, 8, false, true);
        var xs = Axis(6, 3, false, true);
        for (int oy = 0; oy < 8; oy++)
            for (int ox = 0; ox < 3; ox++)
                for (int k = 0; k < 2; k++)
                {
                    var (y0, y1, dy) = ys[oy];
                    var (x0, x1, dx) = xs[ox];
                    double At(int yy, int xx) => values[(yy * 6 + xx) * 2 + k];
                    double e = At(y0, x0) * (1 - dy) * (1 - dx) + At(y1, x0) * dy * (1 - dx) + At(y0, x1) * (1 - dy) * dx + At(y1, x1) * dy * dx;
                    Assert.That(got[(oy * 3 + ox) * 2 + k], Is.EqualTo(e).Within(1e-5));
                }
    }

    // ------------------------------------------------------------------ CONCATENATION

    /// <summary>Two requantized copies of x (QUANTIZE uint8 → uint8), and x, y = concat(x, a, b) along an axis; the
    /// copies' bytes come from graphs that output them, so the test checks the concatenation alone.</summary>
    [TestCase(3)]
    [TestCase(-1)]
    [TestCase(1)]
    public void ConcatenationRequantizesInputsWithOtherParameters(int axis)
    {
        int[] shape = { 1, 3, 4, 2 };
        (float S, long Z) px = (0.1f, 10), pa = (0.05f, 200), pb = (0.2f, 0), po = (0.08f, 50);
        int ax = axis < 0 ? axis + 4 : axis;
        var outShape = (int[])shape.Clone();
        outShape[ax] *= 3;
        byte[] Build(int which)
        {
            var m = new B();
            var x = m.Tensor("x", shape, B.UInt8, scales: new[] { px.S }, zeroPoints: new[] { px.Z });
            var a = m.Tensor("a", shape, B.UInt8, scales: new[] { pa.S }, zeroPoints: new[] { pa.Z });
            var b = m.Tensor("b", shape, B.UInt8, scales: new[] { pb.S }, zeroPoints: new[] { pb.Z });
            m.Op(114, new[] { x }, new[] { a });
            m.Op(114, new[] { x }, new[] { b });
            int y = which == 2 ? m.Tensor("y", outShape, B.UInt8, scales: new[] { po.S }, zeroPoints: new[] { po.Z }) : -1;
            if (which == 2)
                m.Op(2, new[] { x, a, b }, new[] { y }, 10, B.Concatenation(axis));
            return m.Build(new[] { x }, new[] { which == 0 ? a : which == 1 ? b : y });
        }
        var input = RandomBytes(24);
        var qa = Run(Build(0), input, "a.tflite");
        var qb = Run(Build(1), input, "b.tflite");
        var got = Run(Build(2), input, "concat.tflite");
        // reference: per outer index (dims before the axis), x's block, then a's, then b's, each requantized
        int outer = 1, inner = 1;
        for (int d = 0; d < ax; d++)
            outer *= shape[d];
        for (int d = ax; d < 4; d++)
            inner *= shape[d];
        var exact = new double[got.Length];
        int at = 0;
        for (int o = 0; o < outer; o++)
            foreach (var (data, p) in new[] { (input, px), (qa, pa), (qb, pb) })
                for (int j = 0; j < inner; j++)
                    exact[at++] = (data[o * inner + j] - p.Z) * (double)p.S / po.S;
        CompareRounded($"CONCATENATION axis {axis}", got, exact, v => Math.Clamp(RoundAway(v) + (int)po.Z, 0, 255));
    }

    [Test]
    public void ConcatenationWithEqualParametersCopiesTheBytes()
    {
        var m = new B();
        var q = new[] { 0.1f };
        var x = m.Tensor("x", new[] { 1, 2, 2, 3 }, B.UInt8, scales: q, zeroPoints: new[] { 7L });
        var y = m.Tensor("y", new[] { 1, 2, 2, 6 }, B.UInt8, scales: q, zeroPoints: new[] { 7L });
        m.Op(2, new[] { x, x }, new[] { y }, 10, B.Concatenation(3));
        var input = RandomBytes(12);
        var got = Run(m.Build(new[] { x }, new[] { y }), input, "concat-copy.tflite");
        var expected = Enumerable.Range(0, 4).SelectMany(p => input.Skip(p * 3).Take(3).Concat(input.Skip(p * 3).Take(3))).ToArray();
        Assert.That(got, Is.EqualTo(expected));
    }

    // ------------------------------------------------------------------ ARG_MAX

    [TestCase(3, B.Int64)]
    [TestCase(1, B.Int64)]
    [TestCase(3, B.Int32)]
    [TestCase(-1, B.Int32)]
    public void ArgMaxTakesTheFirstMaximum(int axis, int outType)
    {
        int[] shape = { 1, 4, 5, 6 };
        int ax = axis < 0 ? axis + 4 : axis;
        var outShape = shape.Where((_, i) => i != ax).ToArray();
        var m = new B();
        var x = m.Tensor("x", shape, B.UInt8, scales: new[] { 0.5f }, zeroPoints: new[] { 3L });
        var axisT = m.Int32Tensor("axis", new[] { 1 }, new[] { axis });
        var y = m.Tensor("y", outShape, outType);
        m.Op(56, new[] { x, axisT }, new[] { y }, 40, B.ArgMax(outType), version: 2);
        var input = RandomBytes(120, 0, 3); // three values: ties everywhere
        var raw = Run(m.Build(new[] { x }, new[] { y }), input, "argmax.tflite");
        long[] got = outType == B.Int64 ? MemoryMarshal.Cast<byte, long>(raw).ToArray() : MemoryMarshal.Cast<byte, int>(raw).ToArray().Select(v => (long)v).ToArray();
        int len = shape[ax], inner = 1, outer = 1;
        for (int d = ax + 1; d < 4; d++)
            inner *= shape[d];
        for (int d = 0; d < ax; d++)
            outer *= shape[d];
        int ties = 0;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int best = 0, max = -1, count = 0;
                for (int k = 0; k < len; k++)
                {
                    int v = input[(o * len + k) * inner + i];
                    if (v > max)
                        (max, best, count) = (v, k, 1);
                    else if (v == max)
                        count++;
                }
                ties += count > 1 ? 1 : 0;
                Assert.That(got[o * inner + i], Is.EqualTo(best), $"position {o},{i}");
            }
        Assert.That(ties, Is.GreaterThan(0), "the input has no ties");
    }

    [Test]
    public void ArgMaxFloat32()
    {
        var m = new B();
        var x = m.Tensor("x", new[] { 2, 5 }, B.Float32);
        var axisT = m.Int32Tensor("axis", new[] { 1 }, new[] { 1 });
        var y = m.Tensor("y", new[] { 2 }, B.Int64);
        m.Op(56, new[] { x, axisT }, new[] { y }, 40, B.ArgMax(B.Int64));
        var values = new float[] { 1, 3, 3, -2, 0, -5, -1, -4, -1, -3 };
        var got = MemoryMarshal.Cast<byte, long>(Run(m.Build(new[] { x }, new[] { y }), MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), "argmax-f32.tflite")).ToArray();
        Assert.That(got, Is.EqualTo(new long[] { 1, 1 }));
    }

    // ------------------------------------------------------------------ dilated DEPTHWISE_CONV_2D

    /// <summary>A dilated depthwise convolution against an explicit dilated loop and the fp32 requantization of mna.h
    /// (scale si·sw/so in float32, (float)acc · scale clamped in float, rounded to nearest even): exact.</summary>
    [TestCase(9, 9, 1, 1, 2, 2, 0, 3)]   // SAME, dilation 2 (DeepLab's atrous layers), RELU6
    [TestCase(11, 10, 2, 2, 2, 3, 1, 0)] // VALID, stride 2, dilation 2x3
    [TestCase(7, 8, 2, 1, 3, 2, 0, 1)]   // SAME, stride 2x1, dilation 3x2, RELU
    public void DilatedDepthwiseMatchesAnExplicitLoop(int h, int w, int sh, int sw, int dh, int dw, int padding, int act)
    {
        const int c = 5, k = 3;
        float si = 0.05f, sWeight = 0.02f, so = 0.03f;
        int zi = 120, zw = 130, zo = 10;
        var m = new B();
        int ekh = (k - 1) * dh + 1, ekw = (k - 1) * dw + 1;
        int oh = padding == 0 ? (h + sh - 1) / sh : (h - ekh) / sh + 1, ow = padding == 0 ? (w + sw - 1) / sw : (w - ekw) / sw + 1;
        int padT = 0, padL = 0;
        if (padding == 0)
        {
            padT = Math.Max((oh - 1) * sh + ekh - h, 0) / 2;
            padL = Math.Max((ow - 1) * sw + ekw - w, 0) / 2;
        }
        var x = m.Tensor("x", new[] { 1, h, w, c }, B.UInt8, scales: new[] { si }, zeroPoints: new[] { (long)zi });
        var wData = RandomBytes(k * k * c);
        var bData = Enumerable.Range(0, c).Select(_ => Rng.Next(-3000, 3000)).ToArray();
        var wt = m.Tensor("w", new[] { 1, k, k, c }, B.UInt8, wData, new[] { sWeight }, new[] { (long)zw });
        var bt = m.Tensor("b", new[] { c }, B.Int32, bData.SelectMany(BitConverter.GetBytes).ToArray(), new[] { si * sWeight });
        var y = m.Tensor("y", new[] { 1, oh, ow, c }, B.UInt8, scales: new[] { so }, zeroPoints: new[] { (long)zo });
        m.Op(4, new[] { x, wt, bt }, new[] { y }, 2, B.DepthwiseDilated(padding, sh, sw, act, dh, dw), version: 2);
        var input = RandomBytes(h * w * c);
        var got = Run(m.Build(new[] { x }, new[] { y }), input, "dw-dilated.tflite");
        Assert.That(got.Length, Is.EqualTo(oh * ow * c));
        float scale = si * sWeight / so;
        int qmin = act == 0 ? 0 : zo, qmax = act == 3 ? Math.Min(255, zo + (int)MathF.Round(6f / so, MidpointRounding.AwayFromZero)) : 255;
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                for (int ch = 0; ch < c; ch++)
                {
                    int acc = bData[ch];
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++)
                        {
                            int iy = oy * sh - padT + ky * dh, ix = ox * sw - padL + kx * dw;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                continue; // a padded tap is the input zero point: contributes nothing
                            acc += (input[(iy * w + ix) * c + ch] - zi) * (wData[(ky * k + kx) * c + ch] - zw);
                        }
                    float v = Math.Clamp((float)acc * scale, qmin - zo, qmax - zo);
                    int expected = (int)MathF.Round(v, MidpointRounding.ToEven) + zo;
                    Assert.That(got[(oy * ow + ox) * c + ch], Is.EqualTo(expected), $"output ({oy},{ox},{ch}), acc {acc}");
                }
    }
    // ------------------------------------------------------------------ the reader's checks

    [Test]
    public void ReaderRejectsMalformedSegmentationOperators()
    {
        var m = new B();
        var q = new[] { 0.1f };
        var x = m.Tensor("x", new[] { 1, 4, 4, 2 }, B.UInt8, scales: q, zeroPoints: new[] { 0L });
        var size = m.Int32Tensor("size", new[] { 2 }, new[] { 8, 8 });
        var y = m.Tensor("y", new[] { 1, 8, 8, 2 }, B.UInt8, scales: q, zeroPoints: new[] { 0L });
        m.Op(23, new[] { x, size }, new[] { y }, 15, B.ResizeBilinear(true, true));
        var e = Assert.Throws<MobileNetAccel.Formats.ModelFormatException>(() => TfliteReader.Read(m.Build(new[] { x }, new[] { y }), "both.tflite"))!;
        Assert.That(e.Message, Does.Contain("RESIZE_BILINEAR").And.Contain("align_corners"));

        var a = new B();
        var ax = a.Tensor("x", new[] { 1, 4, 3 }, B.UInt8, scales: q, zeroPoints: new[] { 0L });
        var axis = a.Int32Tensor("axis", new[] { 1 }, new[] { 2 });
        var ay = a.Tensor("y", new[] { 1, 4 }, B.Int64);
        a.Op(56, new[] { ax, axis }, new[] { ay }, 40, B.ArgMax(B.Int32));
        e = Assert.Throws<MobileNetAccel.Formats.ModelFormatException>(() => TfliteReader.Read(a.Build(new[] { ax }, new[] { ay }), "argmax.tflite"))!;
        Assert.That(e.Message, Does.Contain("ARG_MAX").And.Contain("output_type"));

        var d = new B();
        var dx = d.Tensor("x", new[] { 1, 5, 5, 2 }, B.UInt8, scales: q, zeroPoints: new[] { 0L });
        var dw = d.Tensor("w", new[] { 1, 3, 3, 2 }, B.UInt8, new byte[18], q, new[] { 0L });
        var dy = d.Tensor("y", new[] { 1, 5, 5, 2 }, B.UInt8, scales: q, zeroPoints: new[] { 0L });
        d.Op(4, new[] { dx, dw }, new[] { dy }, 2, B.DepthwiseDilated(0, 1, 1, 0, 0, 2));
        e = Assert.Throws<MobileNetAccel.Formats.ModelFormatException>(() => TfliteReader.Read(d.Build(new[] { dx }, new[] { dy }), "dw0.tflite"))!;
        Assert.That(e.Message, Does.Contain("DEPTHWISE_CONV_2D").And.Contain("dilation"));
    }
}
