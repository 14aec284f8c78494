using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Onnx;

/// <summary>Builds one QDQ test graph. Built twice per test with the same seed (so the same names, weights and input):
/// first to calibrate (<see cref="Requant"/> makes the tensor a graph output instead of quantizing it), then for real
/// with the calibrated ranges.</summary>
internal sealed class QdqGraph
{
    private readonly Random _rng;
    private readonly IReadOnlyDictionary<string, float[]>? _calibration;
    private readonly Dictionary<string, long[]> _shapes = new();
    private readonly Dictionary<string, (float Scale, long Zp)> _quant = new();
    private readonly List<string> _calibrationOutputs = new();
    private readonly long[] _inputShape;
    private int _next;
    private (string Q, string Scale, string Zp, string Dq) _input;

    public QdqGraph(int seed, bool int8Activations, long[] inputShape, IReadOnlyDictionary<string, float[]>? calibration)
    {
        _rng = new Random(seed);
        Int8 = int8Activations;
        _inputShape = inputShape;
        _calibration = calibration;
    }

    public OnnxBuilder B { get; } = new(13);
    public bool Int8 { get; }
    public float[] InputData { get; private set; } = Array.Empty<float>();
    private bool Calibrating => _calibration is null;

    /// <summary>QLinear operators are written as the equivalent DequantizeLinear → float op → QuantizeLinear (same
    /// weights, scales and zero points), which ORT_DISABLE_ALL runs in float: an exact oracle for them.</summary>
    public bool ExpandQLinear { get; init; }

    private string Fresh(string prefix) => $"{prefix}_{_next++}";

    /// <summary>The scale of a dequantized run-time tensor (a guess while calibrating, when it is still float).</summary>
    public float ScaleOf(string t) => _quant.TryGetValue(t, out var q) ? q.Scale : 1f / 64;

    private float Uniform(float range) => (float)(_rng.NextDouble() * 2 - 1) * range;

    private Proto ZeroPoint(string name, long[] dims, long[] zps, bool int8) => int8
        ? OnnxBuilder.Int8Tensor(name, dims, zps.Select(z => (sbyte)z).ToArray())
        : OnnxBuilder.UInt8Tensor(name, dims, zps.Select(z => (byte)z).ToArray());

    /// <summary>Activation parameters for a [min, max] range widened to include 0 (ORT's MinMax calibration).</summary>
    private (float Scale, long Zp) Params(float min, float max)
    {
        min = MathF.Min(min, 0);
        max = MathF.Max(max, 0);
        float scale = (max - min) / 255f;
        if (!(scale > 0))
            scale = 1f / 255;
        long zp = (long)Math.Clamp(Math.Round(-min / scale), 0, 255);
        return (scale, Int8 ? zp - 128 : zp);
    }

    /// <summary>The graph input "x" → QuantizeLinear → DequantizeLinear; returns the dequantized tensor. The data are
    /// random exact quanta of a random range.</summary>
    public string Input()
    {
        B.Input("x", _inputShape);
        var (scale, zp) = Params(-0.5f - (float)_rng.NextDouble(), 0.5f + 2 * (float)_rng.NextDouble());
        long lo = Int8 ? -128 : 0;
        var data = new float[_inputShape.Aggregate(1L, (p, d) => p * d)];
        for (int i = 0; i < data.Length; i++)
            data[i] = (lo + _rng.Next(256) - zp) * scale;
        InputData = data;
        string s = Fresh("x_scale"), z = Fresh("x_zp"), q = Fresh("x_q"), dq = Fresh("x_dq");
        B.Initializer(OnnxBuilder.Tensor(s, Array.Empty<long>(), new[] { scale }));
        B.Initializer(ZeroPoint(z, Array.Empty<long>(), new[] { zp }, Int8));
        B.Node("QuantizeLinear", new[] { "x", s, z }, new[] { q });
        B.Node("DequantizeLinear", new[] { q, s, z }, new[] { dq });
        _shapes[dq] = _shapes[q] = _inputShape;
        _quant[dq] = _quant[q] = (scale, zp);
        _input = (q, s, z, dq);
        return dq;
    }

    /// <summary>t → QuantizeLinear → DequantizeLinear with t's calibrated range (or <paramref name="fixedRange"/>, or
    /// the parameters of the dequantized tensor <paramref name="like"/>);
    /// while calibrating, t itself (made a graph output).</summary>
    public string Requant(string t, (float Min, float Max)? fixedRange = null, string? like = null)
    {
        string s = Fresh("scale"), z = Fresh("zp"), q = Fresh("q"), dq = Fresh("dq");
        if (Calibrating)
        {
            _calibrationOutputs.Add(t);
            return t;
        }
        var range = _calibration![t];
        var (scale, zp) = like is not null ? _quant[like] : fixedRange is { } f ? Params(f.Min, f.Max) : Params(range.Min(), range.Max());
        B.Initializer(OnnxBuilder.Tensor(s, Array.Empty<long>(), new[] { scale }));
        B.Initializer(ZeroPoint(z, Array.Empty<long>(), new[] { zp }, Int8));
        B.Node("QuantizeLinear", new[] { t, s, z }, new[] { q });
        B.Node("DequantizeLinear", new[] { q, s, z }, new[] { dq });
        _shapes[dq] = _shapes[t];
        _quant[dq] = (scale, zp);
        return dq;
    }

    /// <summary>Declares the graph outputs: <paramref name="output"/>, or while calibrating every tensor to quantize.</summary>
    public void Finish(string output)
    {
        foreach (var t in Calibrating ? _calibrationOutputs : new List<string> { output })
            B.Output(t, _shapes[t]);
    }

    /// <summary>Random weights of shape <paramref name="dims"/> (output channels first), quantized as
    /// <paramref name="mode"/> says: the quantized initializer, its scale and zero point, and (when
    /// <paramref name="dequantize"/>) a DequantizeLinear (axis 0 when per channel) whose output is returned.</summary>
    private (string Dq, string Q, string Scale, string Zp, float[] Scales) QuantizedWeights(long[] dims, QdqWeights mode, float range, bool dequantize,
        bool transposed = false)
    {
        int count = (int)dims.Aggregate(1L, (p, d) => p * d), channels = (int)dims[0], inner = count / channels;
        var w = new float[count];
        for (int i = 0; i < count; i++)
            w[i] = Uniform(range);
        bool perChannel = mode is QdqWeights.PerChannelS8 or QdqWeights.PerChannelU8Zp128;
        bool int8 = mode is QdqWeights.PerTensorS8 or QdqWeights.PerChannelS8;
        var scales = new float[channels];
        var zps = new long[channels];
        if (perChannel)
            for (int c = 0; c < channels; c++)
            {
                float m = 0;
                for (int i = 0; i < inner; i++)
                    m = MathF.Max(m, MathF.Abs(w[c * inner + i]));
                scales[c] = m / 127f;
                zps[c] = mode == QdqWeights.PerChannelU8Zp128 ? 128 : 0;
            }
        else
        {
            float min = MathF.Min(0, w.Min()), max = MathF.Max(0, w.Max());
            float scale = (max - min) / 255f;
            long zp = (long)Math.Clamp(Math.Round(-min / scale), 0, 255) - (int8 ? 128 : 0);
            Array.Fill(scales, scale);
            Array.Fill(zps, zp);
        }
        var q = new long[count];
        for (int i = 0; i < count; i++)
        {
            int c = i / inner;
            q[i] = Math.Clamp((long)Math.Round(w[i] / scales[c], MidpointRounding.ToEven) + zps[c], int8 ? -128 : 0, int8 ? 127 : 255);
        }
        if (transposed)
        {
            // Stored [inner, channels] (MatMul's B), quantized along axis 1.
            var t = new long[count];
            for (int c = 0; c < channels; c++)
                for (int i = 0; i < inner; i++)
                    t[i * channels + c] = q[c * inner + i];
            q = t;
            dims = new long[] { inner, channels };
        }
        string qn = Fresh("w_q"), sn = Fresh("w_scale"), zn = Fresh("w_zp"), dq = Fresh("w_dq");
        long[] pdims = perChannel ? new long[] { channels } : Array.Empty<long>();
        B.Initializer(int8 ? OnnxBuilder.Int8Tensor(qn, dims, q.Select(v => (sbyte)v).ToArray())
            : OnnxBuilder.UInt8Tensor(qn, dims, q.Select(v => (byte)v).ToArray()));
        B.Initializer(OnnxBuilder.Tensor(sn, pdims, perChannel ? scales : new[] { scales[0] }));
        B.Initializer(ZeroPoint(zn, pdims, perChannel ? zps : new[] { zps[0] }, int8));
        if (dequantize)
        {
            if (perChannel)
                B.Node("DequantizeLinear", new[] { qn, sn, zn }, new[] { dq }, "", ("axis", transposed ? 1 : 0));
            else
                B.Node("DequantizeLinear", new[] { qn, sn, zn }, new[] { dq });
        }
        return (dq, qn, sn, zn, scales);
    }

    /// <summary>A random int32 bias of scale input_scale·weight_scale (float32, per channel when the weights are),
    /// zero point 0; the quantized initializer and, when <paramref name="dequantize"/>, its DequantizeLinear.</summary>
    private (string Dq, string Q) QuantizedBias(float inputScale, float[] weightScales, bool perChannel, bool dequantize)
    {
        int n = weightScales.Length;
        var scales = new float[n];
        var q = new int[n];
        for (int c = 0; c < n; c++)
        {
            scales[c] = inputScale * weightScales[c];
            q[c] = (int)Math.Clamp(Math.Round(Uniform(0.5f) / scales[c]), -(1 << 30), 1 << 30);
        }
        string qn = Fresh("b_q"), sn = Fresh("b_scale"), dq = Fresh("b_dq");
        B.Initializer(OnnxBuilder.Int32Tensor(qn, new long[] { n }, q));
        if (dequantize)
        {
            B.Initializer(OnnxBuilder.Tensor(sn, perChannel ? new long[] { n } : Array.Empty<long>(), perChannel ? scales : new[] { scales[0] }));
            if (perChannel)
                B.Node("DequantizeLinear", new[] { qn, sn }, new[] { dq }, "", ("axis", 0));
            else
                B.Node("DequantizeLinear", new[] { qn, sn }, new[] { dq });
        }
        return (dq, qn);
    }

    private static long[] ConvShape(long[] x, int cout, int k, int stride, long[] pads) =>
        new[] { x[0], cout, (x[2] + pads[0] + pads[2] - k) / stride + 1, (x[3] + pads[1] + pads[3] - k) / stride + 1 };

    /// <summary>Conv (k×k, the given stride, pads [top, left, bottom, right], group) of the dequantized
    /// <paramref name="x"/> with dequantized weights and int32 bias, then the activation; returns the float result.</summary>
    public string Conv(string x, int cout, int k, QdqWeights mode, int stride = 1, long[]? pads = null, int group = 1, bool bias = true,
        QdqAct act = QdqAct.None, float weightRange = 0.5f)
    {
        var xs = _shapes[x];
        pads ??= new long[] { k / 2, k / 2, k / 2, k / 2 };
        var w = QuantizedWeights(new long[] { cout, xs[1] / group, k, k }, mode, weightRange, dequantize: true);
        var inputs = new List<string> { x, w.Dq };
        if (bias)
            inputs.Add(QuantizedBias(ScaleOf(x), w.Scales, mode is QdqWeights.PerChannelS8 or QdqWeights.PerChannelU8Zp128, dequantize: true).Dq);
        string y = Fresh("conv");
        B.Node("Conv", inputs.ToArray(), new[] { y }, "", ("kernel_shape", new long[] { k, k }), ("strides", new long[] { stride, stride }),
            ("pads", pads), ("group", group));
        _shapes[y] = ConvShape(xs, cout, k, stride, pads);
        return Activation(y, act);
    }

    private string Activation(string x, QdqAct act)
    {
        if (act == QdqAct.None)
            return x;
        string y = Fresh(act == QdqAct.Relu ? "relu" : "clip");
        if (act == QdqAct.Relu)
            B.Node("Relu", new[] { x }, new[] { y });
        else
        {
            string lo = Fresh("clip_min"), hi = Fresh("clip_max");
            B.Initializer(OnnxBuilder.Tensor(lo, Array.Empty<long>(), new[] { 0f }));
            B.Initializer(OnnxBuilder.Tensor(hi, Array.Empty<long>(), new[] { 6f }));
            B.Node("Clip", new[] { x, lo, hi }, new[] { y });
        }
        _shapes[y] = _shapes[x];
        return y;
    }

    /// <summary>Gemm(a, B, C) with transB=1: B [n, k] dequantized (per channel along axis 0), C an int32 bias.</summary>
    public string Gemm(string a, int n, QdqWeights mode, float weightRange = 0.5f)
    {
        var s = _shapes[a];
        var w = QuantizedWeights(new[] { n, s[1] }, mode, weightRange, dequantize: true);
        var b = QuantizedBias(ScaleOf(a), w.Scales, mode is QdqWeights.PerChannelS8 or QdqWeights.PerChannelU8Zp128, dequantize: true);
        string y = Fresh("gemm");
        B.Node("Gemm", new[] { a, w.Dq, b.Dq }, new[] { y }, "", ("transB", 1));
        _shapes[y] = new[] { s[0], n };
        return y;
    }

    /// <summary>MatMul(a, B) with B [k, n] dequantized (per channel along axis 1), no bias.</summary>
    public string MatMul(string a, int n, QdqWeights mode)
    {
        var s = _shapes[a];
        var w = QuantizedWeights(new[] { n, s[1] }, mode, 0.5f, dequantize: true, transposed: true);
        string y = Fresh("matmul");
        B.Node("MatMul", new[] { a, w.Dq }, new[] { y });
        _shapes[y] = new[] { s[0], n };
        return y;
    }

    public string AveragePool(string x, int k, int stride, long[] pads)
    {
        string y = Fresh("avgpool");
        B.Node("AveragePool", new[] { x }, new[] { y }, "", ("kernel_shape", new long[] { k, k }), ("strides", new long[] { stride, stride }),
            ("pads", pads));
        var s = _shapes[x];
        _shapes[y] = new[] { s[0], s[1], (s[2] + pads[0] + pads[2] - k) / stride + 1, (s[3] + pads[1] + pads[3] - k) / stride + 1 };
        return y;
    }

    public string Softmax(string x)
    {
        string y = Fresh("softmax");
        B.Node("Softmax", new[] { x }, new[] { y });
        _shapes[y] = _shapes[x];
        return y;
    }

    public string Flatten(string x)
    {
        string y = Fresh("flatten");
        B.Node("Flatten", new[] { x }, new[] { y });
        var s = _shapes[x];
        _shapes[y] = new[] { s[0], s.Skip(1).Aggregate(1L, (p, d) => p * d) };
        return y;
    }

    public string Add(string a, string b)
    {
        string y = Fresh("add");
        B.Node("Add", new[] { a, b }, new[] { y });
        _shapes[y] = _shapes[a];
        return y;
    }

    public string GlobalAveragePool(string x)
    {
        string y = Fresh("gap");
        B.Node("GlobalAveragePool", new[] { x }, new[] { y });
        var s = _shapes[x];
        _shapes[y] = new[] { s[0], s[1], 1, 1 };
        return y;
    }

    /// <summary>QLinearConv on the quantized input behind <paramref name="x"/> (its QuantizeLinear's output), then
    /// DequantizeLinear; returns the dequantized output. While calibrating: the same convolution in float
    /// (DequantizeLinear'd weights and bias), made a graph output.</summary>
    public string QLinearConv(string x, int cout, int k, QdqWeights mode)
    {
        var xs = _shapes[x];
        var pads = new long[] { k / 2, k / 2, k / 2, k / 2 };
        bool perChannel = mode is QdqWeights.PerChannelS8 or QdqWeights.PerChannelU8Zp128;
        var w = QuantizedWeights(new long[] { cout, xs[1], k, k }, mode, 0.5f, dequantize: Calibrating || ExpandQLinear);
        var b = QuantizedBias(ScaleOf(x), w.Scales, perChannel, dequantize: Calibrating || ExpandQLinear);
        string t = Fresh("qlinearconv"), ys = Fresh("y_scale"), yz = Fresh("y_zp"), yq = Fresh("y_q"), dq = Fresh("y_dq");
        var attributes = new (string, object)[] { ("kernel_shape", new long[] { k, k }), ("pads", pads) };
        _shapes[t] = _shapes[dq] = ConvShape(xs, cout, k, 1, pads);
        if (Calibrating)
        {
            B.Node("Conv", new[] { x, w.Dq, b.Dq }, new[] { t }, "", attributes);
            _calibrationOutputs.Add(t);
            return t;
        }
        if (x != _input.Dq)
            throw new ArgumentException("QLinearConv here reads the graph input's quantized tensor", nameof(x));
        var range = _calibration![t];
        var (scale, zp) = Params(range.Min(), range.Max());
        B.Initializer(OnnxBuilder.Tensor(ys, Array.Empty<long>(), new[] { scale }));
        B.Initializer(ZeroPoint(yz, Array.Empty<long>(), new[] { zp }, Int8));
        if (ExpandQLinear)
        {
            B.Node("Conv", new[] { _input.Dq, w.Dq, b.Dq }, new[] { t }, "", attributes);
            B.Node("QuantizeLinear", new[] { t, ys, yz }, new[] { yq });
        }
        else
            B.Node("QLinearConv", new[] { _input.Q, _input.Scale, _input.Zp, w.Q, w.Scale, w.Zp, ys, yz, b.Q }, new[] { yq }, "", attributes);
        B.Node("DequantizeLinear", new[] { yq, ys, yz }, new[] { dq });
        _quant[dq] = (scale, zp);
        return dq;
    }
}
