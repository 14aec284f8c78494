using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Native;
using MobileNetAccel.Backends.Reference;
using MobileNetAccel.Conformance;
using MobileNetAccel.Graph;
using MobileNetAccel.Tests.Onnx;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Backends;

/// <summary>
/// The managed reference backend's ResizeBilinear, ArgMax, Quantize, Dequantize and Logistic: each against hand-worked
/// expectations, against ONNX Runtime where ONNX has the operator (Resize, Sigmoid, QuantizeLinear→DequantizeLinear),
/// and against the native cpu backend on random data.
/// Tolerances: float results are compared to ORT and to the cpu backend within 2e-6 absolute on values in [−2, 2]
/// (both compute in float32: four weighted products for the resize, an exp and a division for the sigmoid, a few
/// roundings of at most 2^-24 · 2 each; the reference itself rounds once from double). Integer results (indices,
/// quantized bytes) and dequantized floats (exact in double, rounded once) must be equal.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class ReferenceOpsTests
{
    private const double FloatTol = 2e-6;
    private static readonly IBackend Reference = new ReferenceBackend();
    private static readonly IBackend Cpu = new NativeCpuBackend();

    /// <summary>Validates the single-partition graph, checks the backend takes every node, runs it once.</summary>
    private static HostArena Run(IBackend backend, ModelGraph g, Action<HostArena> fill)
    {
        g.Validate();
        foreach (var n in g.Nodes)
            Assert.That(backend.Supports(n, out var why), Is.True, $"{backend.Name} refuses {n.Op} '{n.Name}': {why}");
        var partition = new Partition(g.Nodes.ToList(), g.Inputs.ToList(), g.Outputs.ToList());
        using var compiled = backend.Compile(partition, HostCpuDevice.Info, new CompileOptions());
        var arena = new HostArena(g);
        fill(arena);
        compiled.Run(arena);
        return arena;
    }

    private static ModelGraph Graph(Value input, params Node[] nodes)
    {
        var g = new ModelGraph("t");
        g.Inputs.Add(input);
        foreach (var n in nodes)
            g.Add(n);
        g.Outputs.Add(nodes[^1].Outputs[0]);
        return g;
    }

    private static float[] RunFloat(IBackend backend, Func<ModelGraph> build, float[] x)
    {
        var g = build();
        using var a = Run(backend, g, arena => x.CopyTo(arena.Span<float>(g.Inputs[0])));
        return a.Span<float>(g.Outputs[0]).ToArray();
    }

    private static void Close(float[] want, float[] got, double tol, string what)
    {
        Assert.That(got.Length, Is.EqualTo(want.Length), what);
        for (int i = 0; i < want.Length; i++)
            Assert.That(Math.Abs((double)got[i] - want[i]), Is.LessThanOrEqualTo(tol), $"{what}: element {i}: expected {want[i]:R}, got {got[i]:R}");
    }


    // ------------------------------------------------------------------ ResizeBilinear

    private static Func<ModelGraph> Resize(int[] inShape, int oh, int ow, bool align, bool half) => () =>
    {
        var x = new Value("x", inShape);
        return Graph(x, new ResizeBilinearNode("rs", x, new Value("y", Array.Empty<int>()), oh, ow) { AlignCorners = align, HalfPixelCenters = half });
    };

    [TestCase(false, false, new float[] { 0, 0.5f, 1, 1, 1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 2, 2.5f, 3, 3 }, 4)]
    [TestCase(true, false, new float[] { 0, 0.5f, 1, 1, 1.5f, 2, 2, 2.5f, 3 }, 3)]
    [TestCase(false, true, new float[] { 0, 0.25f, 0.75f, 1, 0.5f, 0.75f, 1.25f, 1.5f, 1.5f, 1.75f, 2.25f, 2.5f, 2, 2.25f, 2.75f, 3 }, 4)]
    public void ResizeBilinear_HandWorked(bool align, bool half, float[] want, int size)
    {
        // input [[0, 1], [2, 3]]: asymmetric 2→4 samples 0, .5, 1, 1.5 (clamped to 1); align_corners 2→3 samples 0, .5, 1;
        // half-pixel 2→4 samples −.25, .25, .75, 1.25 (the outer two clamp to the edge pixels)
        var got = RunFloat(Reference, Resize([1, 2, 2, 1], size, size, align, half), [0, 1, 2, 3]);
        Close(want, got, 0, $"align={align} half={half}");
    }

    private static readonly object[] ResizeCases =
    [
        new object[] { new[] { 1, 3, 4, 2 }, 5, 7 },
        new object[] { new[] { 2, 5, 5, 3 }, 9, 9 },
        new object[] { new[] { 1, 6, 7, 1 }, 2, 3 },
        new object[] { new[] { 1, 1, 1, 2 }, 3, 3 },
        new object[] { new[] { 1, 4, 4, 5 }, 1, 1 },
        new object[] { new[] { 1, 33, 33, 4 }, 65, 65 },
    ];

    [TestCaseSource(nameof(ResizeCases))]
    public void ResizeBilinear_MatchesOrtAndCpu(int[] shape, int oh, int ow)
    {
        int n = shape[0], h = shape[1], w = shape[2], c = shape[3];
        float[] x = TestGraphs.Random(shape.Aggregate(1, (a, b) => a * b), 11 + oh * ow, -2f, 2f);
        foreach (var (align, half, mode) in new[] { (false, false, "asymmetric"), (true, false, "align_corners"), (false, true, "half_pixel") })
        {
            string what = $"{string.Join("x", shape)} -> {oh}x{ow} {mode}";
            float[] got = RunFloat(Reference, Resize(shape, oh, ow, align, half), x);
            Close(RunFloat(Cpu, Resize(shape, oh, ow, align, half), x), got, FloatTol, what + " vs cpu");
            // ORT: NCHW Resize, mode linear, the same coordinate transformation
            var b = new OnnxBuilder(13).Input("x", n, c, h, w).Output("y", n, c, oh, ow)
                .Initializer(OnnxBuilder.Int64Tensor("sizes", [4], [n, c, oh, ow]))
                .Node("Resize", ["x", "", "", "sizes"], ["y"], "rs", ("mode", "linear"), ("coordinate_transformation_mode", mode));
            float[] nchw = new float[x.Length];
            for (int i = 0; i < n; i++) for (int yy = 0; yy < h; yy++) for (int xx = 0; xx < w; xx++) for (int k = 0; k < c; k++)
                nchw[((i * c + k) * h + yy) * w + xx] = x[((i * h + yy) * w + xx) * c + k];
            float[] ort = OrtOracle.Run(OrtOracle.SaveModel("reference-ops", $"resize_{h}x{w}_{oh}x{ow}_{mode}", b.Build()), "x", [n, c, h, w], nchw);
            float[] ortNhwc = new float[ort.Length];
            for (int i = 0; i < n; i++) for (int yy = 0; yy < oh; yy++) for (int xx = 0; xx < ow; xx++) for (int k = 0; k < c; k++)
                ortNhwc[((i * oh + yy) * ow + xx) * c + k] = ort[((i * c + k) * oh + yy) * ow + xx];
            // ORT places a sample at x / (out / in) where TFLite (and the reference) take x · (in / out): the positions
            // differ by up to ~2 roundings of a coordinate below max(h, w), times the largest neighbour difference (4)
            double sampleTol = 4 * Math.Pow(2, -24) * Math.Max(h, w) * 4;
            Close(ortNhwc, got, FloatTol + sampleTol, what + " vs ORT");
        }
    }

    // ------------------------------------------------------------------ Logistic

    [Test]
    public void Logistic_MatchesHandOrtAndCpu()
    {
        Func<ModelGraph> build = () =>
        {
            var x = new Value("x", [1, 4, 4, 8]);
            return Graph(x, new LogisticNode("sig", x, new Value("y", Array.Empty<int>())));
        };
        float[] x = TestGraphs.Random(128, 3, -8f, 8f);
        x[0] = 0; x[1] = -100; x[2] = 100; x[3] = float.NegativeInfinity;
        float[] got = RunFloat(Reference, build, x);
        Assert.That(got[0], Is.EqualTo(0.5f));
        Assert.That(got[1], Is.EqualTo((float)(1 / (1 + Math.Exp(100)))));
        Assert.That(got[2], Is.EqualTo(1f));
        Assert.That(got[3], Is.EqualTo(0f));
        Close(RunFloat(Cpu, build, x), got, FloatTol, "logistic vs cpu");
        var b = new OnnxBuilder(13).Input("x", 1, 4, 4, 8).Output("y", 1, 4, 4, 8).Node("Sigmoid", ["x"], ["y"], "sig");
        Close(OrtOracle.Run(OrtOracle.SaveModel("reference-ops", "sigmoid", b.Build()), "x", [1, 4, 4, 8], x), got, FloatTol, "logistic vs ORT");
    }

    // ------------------------------------------------------------------ ArgMax

    private static long[] ArgMax(IBackend backend, int[] shape, int axis, DataType inType, DataType outType, Action<HostArena, Value> fill)
    {
        var x = new Value("x", shape, inType, inType == DataType.Float32 ? null : new QuantizationParameters([0.1f], [inType == DataType.UInt8 ? 128 : 0]));
        var y = new Value("am", Array.Empty<int>(), outType);
        var g = Graph(x, new ArgMaxNode("am", x, y, axis, outType));
        using var a = Run(backend, g, arena => fill(arena, x));
        return outType == DataType.Int64 ? a.Span<long>(y).ToArray() : Array.ConvertAll(a.Span<int>(y).ToArray(), v => (long)v);
    }

    [TestCase(DataType.Int64)]
    [TestCase(DataType.Int32)]
    public void ArgMax_HandWorked_FirstMaximumWins(DataType outType)
    {
        // [2][3]: rows {1, 3, 3} and {5, -1, 5}: along axis 1 → 1, 0 (ties: lowest index); along axis 0 → 1, 0, 1
        float[] x = [1, 3, 3, 5, -1, 5];
        Assert.That(ArgMax(Reference, [2, 3], 1, DataType.Float32, outType, (a, v) => x.CopyTo(a.Span<float>(v))), Is.EqualTo(new long[] { 1, 0 }));
        Assert.That(ArgMax(Reference, [2, 3], 0, DataType.Float32, outType, (a, v) => x.CopyTo(a.Span<float>(v))), Is.EqualTo(new long[] { 1, 0, 1 }));
        // TFLite's strict comparison: a NaN never replaces the best so far, and a NaN first is never replaced
        float[] nan = [2, float.NaN, 7, float.NaN, 9, 1];
        Assert.That(ArgMax(Reference, [2, 3], 1, DataType.Float32, outType, (a, v) => nan.CopyTo(a.Span<float>(v))), Is.EqualTo(new long[] { 2, 0 }));
        // integers compare as integers: uint8 200 > 100, int8 -3 < 4
        byte[] u = [100, 200, 200, 7];
        Assert.That(ArgMax(Reference, [1, 4], 1, DataType.UInt8, outType, (a, v) => u.CopyTo(a.Span<byte>(v))), Is.EqualTo(new long[] { 1 }));
        sbyte[] s = [-3, 4, -128, 4];
        Assert.That(ArgMax(Reference, [1, 4], 1, DataType.Int8, outType, (a, v) => s.CopyTo(a.Span<sbyte>(v))), Is.EqualTo(new long[] { 1 }));
    }

    [TestCase(DataType.Float32, DataType.Int64)]
    [TestCase(DataType.Float32, DataType.Int32)]
    [TestCase(DataType.UInt8, DataType.Int64)]
    [TestCase(DataType.Int8, DataType.Int32)]
    public void ArgMax_MatchesCpuOnEveryAxis(DataType inType, DataType outType)
    {
        int[] shape = [2, 5, 6, 21];
        int count = shape.Aggregate(1, (a, b) => a * b);
        var rng = new Random(9);
        float[] f = TestGraphs.Random(count, 9);
        byte[] bytes = new byte[count];
        rng.NextBytes(bytes);
        for (int i = 0; i < count; i += 7)
            bytes[i] = bytes[(i + 1) % count]; // ties between neighbours along the last axis
        Action<HostArena, Value> fill = inType switch
        {
            DataType.Float32 => (a, v) => f.CopyTo(a.Span<float>(v)),
            _ => (a, v) => bytes.CopyTo(a.Span<byte>(v)),
        };
        for (int axis = 0; axis < 4; axis++)
            Assert.That(ArgMax(Reference, shape, axis, inType, outType, fill), Is.EqualTo(ArgMax(Cpu, shape, axis, inType, outType, fill)), $"axis {axis}");
    }

    // ------------------------------------------------------------------ Quantize / Dequantize

    private static byte[] Quantize(IBackend backend, float[] x, DataType type, float scale, int zp)
    {
        var xv = new Value("x", [x.Length]);
        var y = new Value("q", Array.Empty<int>(), type, new QuantizationParameters([scale], [zp]));
        var g = Graph(xv, new QuantizeNode("q", xv, y));
        using var a = Run(backend, g, arena => x.CopyTo(arena.Span<float>(xv)));
        return a.Span<byte>(y).ToArray();
    }

    [Test]
    public void Quantize_HandWorked()
    {
        // scale 0.5, zero point 10: 1.25/0.5 = 2.5 → 2 (ties to even) → 12; 1.75 → 3.5 → 4 → 14; −0.3 → −0.6 → −1 → 9;
        // −100 → clamp 0; 1000 → clamp 255
        Assert.That(Quantize(Reference, [1.25f, 1.75f, -0.3f, -100f, 1000f], DataType.UInt8, 0.5f, 10), Is.EqualTo(new byte[] { 12, 14, 9, 0, 255 }));
        // int8, zero point −5: 1.25 → 2 − 5 = −3; −100 → −128; 1000 → 127
        Assert.That(Quantize(Reference, [1.25f, -100f, 1000f], DataType.Int8, 0.5f, -5).Select(b => (sbyte)b), Is.EqualTo(new sbyte[] { -3, -128, 127 }));
    }

    [TestCase(DataType.UInt8, 0.0235294f, 128)]
    [TestCase(DataType.Int8, 0.0078125f, -3)]
    public void Quantize_MatchesCpu(DataType type, float scale, int zp)
    {
        float[] x = TestGraphs.Random(4096, 21, -4f, 4f);
        Assert.That(Quantize(Reference, x, type, scale, zp), Is.EqualTo(Quantize(Cpu, x, type, scale, zp)));
    }

    [Test]
    public void Requantize_HandWorkedAndMatchesCpu()
    {
        // uint8 (0.5, 3) → uint8 (0.25, 7): q = 5 → real 1 → 4 + 7 = 11; q = 0 → −1.5 → −6 + 7 = 1; q = 255 → 126 → 504 + 7 → 255
        var inQ = new QuantizationParameters([0.5f], [3]);
        var outQ = new QuantizationParameters([0.25f], [7]);
        byte[] Run1(IBackend backend, byte[] data)
        {
            var x = new Value("x", [data.Length], DataType.UInt8, inQ);
            var y = new Value("y", Array.Empty<int>(), DataType.UInt8, outQ);
            var g = Graph(x, new QuantizeNode("rq", x, y));
            using var a = Run(backend, g, arena => data.CopyTo(arena.Span<byte>(x)));
            return a.Span<byte>(y).ToArray();
        }
        Assert.That(Run1(Reference, [5, 0, 255]), Is.EqualTo(new byte[] { 11, 1, 255 }));
        byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        Assert.That(Run1(Reference, all), Is.EqualTo(Run1(Cpu, all)));
    }

    [TestCase(DataType.UInt8, 0.1f, 128)]
    [TestCase(DataType.Int8, 0.05f, -7)]
    public void Dequantize_HandWorkedAndMatchesCpu(DataType type, float scale, int zp)
    {
        var q = new QuantizationParameters([scale], [zp]);
        byte[] data = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        float[] Run1(IBackend backend)
        {
            var x = new Value("x", [256], type, q);
            var g = Graph(x, new DequantizeNode("dq", x, new Value("y", Array.Empty<int>())));
            using var a = Run(backend, g, arena => data.CopyTo(arena.Span<byte>(x)));
            return a.Span<float>(g.Outputs[0]).ToArray();
        }
        float[] got = Run1(Reference);
        for (int i = 0; i < 256; i++)
        {
            int v = type == DataType.UInt8 ? data[i] : (sbyte)data[i];
            Assert.That(got[i], Is.EqualTo((float)(v - zp) * scale), $"q = {v}");
        }
        Assert.That(got, Is.EqualTo(Run1(Cpu)));
    }

    [Test]
    public void QuantizeDequantize_MatchesOrt()
    {
        // x → QuantizeLinear(0.02, 100) → DequantizeLinear: the reference's pair against ONNX Runtime, exactly
        float[] x = TestGraphs.Random(512, 31, -3f, 3f);
        Func<ModelGraph> build = () =>
        {
            var xv = new Value("x", [512]);
            var q = new Value("q", Array.Empty<int>(), DataType.UInt8, new QuantizationParameters([0.02f], [100]));
            return Graph(xv, new QuantizeNode("q", xv, q), new DequantizeNode("dq", q, new Value("y", Array.Empty<int>())));
        };
        float[] got = RunFloat(Reference, build, x);
        var b = new OnnxBuilder(13).Input("x", 512).Output("y", 512)
            .Initializer("s", [], [0.02f]).Initializer(OnnxBuilder.UInt8Tensor("z", [], [100]))
            .Node("QuantizeLinear", ["x", "s", "z"], ["q"], "q").Node("DequantizeLinear", ["q", "s", "z"], ["y"], "dq");
        Assert.That(got, Is.EqualTo(OrtOracle.Run(OrtOracle.SaveModel("reference-ops", "qdq", b.Build()), "x", [512], x)));
    }

    [Test]
    public void Unsupported_NamesTheReason()
    {
        var x = new Value("x", [4], DataType.UInt8, new QuantizationParameters([0.1f, 0.2f, 0.3f, 0.4f], [0, 0, 0, 0], 0));
        var dq = new DequantizeNode("dq", x, new Value("y", [4]));
        Assert.That(Reference.Supports(dq, out var why), Is.False);
        Assert.That(why, Does.Contain("per channel"));
        var i32 = new Value("i", [4], DataType.Int32);
        Assert.That(Reference.Supports(new ArgMaxNode("am", i32, new Value("o", [], DataType.Int64), 0), out why), Is.False);
        Assert.That(why, Does.Contain("Int32"));
    }
}
