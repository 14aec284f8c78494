using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>
/// QUANTIZE to uint8/int8 with the output's per-tensor parameters (s, z): q = clamp(round(r / s) + z) to the type's
/// range, where r is the input's real value: the float32 input itself, or (q_in − z_in) · s_in for a quantized input
/// (a requantization). Division and rounding in double; ties round to even (ONNX QuantizeLinear's rule and the
/// project's, docs/INT8.md; TFLite rounds ties away from zero, which differs only at an exact .5).
/// </summary>
internal sealed class RefQuantize : ReferenceStep
{
    private readonly QuantizeNode _n;

    public static ReferenceStepFactory? Plan(QuantizeNode n, out string reason)
    {
        if (!RefQuant.Quantized(n.Output, out reason) || !RefQuant.RealInput(n.Input, out reason))
            return null;
        return () => new RefQuantize(n);
    }

    private RefQuantize(QuantizeNode n) => _n = n;

    public override void Run(IArena arena)
    {
        double[] r = RefQuant.Real(arena, _n.Input);
        var q = _n.Output.Quantization!;
        double scale = q.Scale;
        long zp = q.ZeroPoint;
        (int lo, int hi) = _n.Output.DataType == DataType.UInt8 ? (0, 255) : (-128, 127);
        var y = arena.Span<byte>(_n.Output);
        for (int i = 0; i < r.Length; i++)
        {
            double v = Math.Round(r[i] / scale, MidpointRounding.ToEven) + zp;
            int qi = double.IsNaN(v) ? (int)zp : (int)Math.Clamp(v, lo, hi);
            y[i] = unchecked((byte)qi);
        }
    }
}

/// <summary>DEQUANTIZE of a per-tensor uint8/int8 tensor: r = (q − z) · s, exact in double, rounded once to float32
/// (so equal to float32's (float)(q − z) · s).</summary>
internal sealed class RefDequantize : ReferenceStep
{
    private readonly DequantizeNode _n;

    public static ReferenceStepFactory? Plan(DequantizeNode n, out string reason)
    {
        if (!RefQuant.Quantized(n.Input, out reason))
            return null;
        if (n.Output.DataType != DataType.Float32)
        {
            reason = $"'{n.Output.Name}' is {n.Output.DataType}; dequantize writes float32";
            return null;
        }
        return () => new RefDequantize(n);
    }

    private RefDequantize(DequantizeNode n) => _n = n;

    public override void Run(IArena arena)
    {
        double[] r = RefQuant.Real(arena, _n.Input);
        var y = arena.Span<float>(_n.Output);
        for (int i = 0; i < r.Length; i++)
            y[i] = (float)r[i];
    }
}

/// <summary>Shared checks and the real value of a tensor for the quantize/dequantize steps.</summary>
internal static class RefQuant
{
    /// <summary>A uint8/int8 tensor with per-tensor parameters and a positive, finite scale.</summary>
    public static bool Quantized(Value v, out string reason)
    {
        reason = "";
        if (v.DataType is not (DataType.UInt8 or DataType.Int8))
            reason = $"'{v.Name}' is {v.DataType}; uint8 or int8 expected";
        else if (v.Quantization is null)
            reason = $"'{v.Name}' has no quantization parameters";
        else if (v.Quantization.IsPerChannel)
            reason = $"'{v.Name}' is quantized per channel; the reference handles per-tensor parameters only";
        else if (!(v.Quantization.Scale > 0) || float.IsInfinity(v.Quantization.Scale))
            reason = $"'{v.Name}' has scale {v.Quantization.Scale}; a positive finite scale is required";
        return reason.Length == 0;
    }

    /// <summary>Float32, or a quantized tensor as <see cref="Quantized"/> accepts.</summary>
    public static bool RealInput(Value v, out string reason)
    {
        reason = "";
        return v.DataType == DataType.Float32 || Quantized(v, out reason);
    }

    /// <summary>Every element's real value: the float itself or (q − z) · s.</summary>
    public static double[] Real(IArena arena, Value v)
    {
        if (v.DataType == DataType.Float32)
            return Array.ConvertAll(arena.Span<float>(v).ToArray(), f => (double)f);
        var q = v.Quantization!;
        double s = q.Scale;
        long z = q.ZeroPoint;
        return v.DataType == DataType.UInt8
            ? Array.ConvertAll(arena.Span<byte>(v).ToArray(), b => (b - z) * s)
            : Array.ConvertAll(arena.Span<sbyte>(v).ToArray(), b => (b - z) * s);
    }
}
