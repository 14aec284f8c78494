using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Quantized;

/// <summary>One quantized node compiled for the native CPU kernels: reads its inputs from the arena, writes its output.</summary>
internal abstract class QuantizedStep : IDisposable
{
    public abstract void Run(IArena arena);
    public virtual void Dispose() { }
}

/// <summary>Quantization helpers shared by the quantized steps.</summary>
internal static class Q
{
    public static bool IsQuantized(DataType t) => t is DataType.UInt8 or DataType.Int8;

    public static QuantizedType Type(DataType t) => t switch
    {
        DataType.UInt8 => QuantizedType.UInt8,
        DataType.Int8 => QuantizedType.Int8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "not a quantized type"),
    };

    public static (int Min, int Max) TypeRange(DataType t) => t == DataType.Int8 ? (-128, 127) : (0, 255);

    /// <summary>The fused activation's range in the quantized domain (TFLite CalculateActivationRangeQuantized:
    /// bounds zp + round(0/s) and zp + round(6/s), ties away from zero, intersected with the type's range).</summary>
    public static (int Min, int Max) ActivationRange(Activation act, Value output)
    {
        var (lo, hi) = TypeRange(output.DataType);
        var q = output.Quantization!;
        int zp = (int)q.ZeroPoint;
        int Quant(float f) => zp + (int)MathF.Round(f / q.Scale, MidpointRounding.AwayFromZero);
        return act switch
        {
            Activation.Relu => (Math.Max(lo, Quant(0f)), hi),
            Activation.Relu6 => (Math.Max(lo, Quant(0f)), Math.Min(hi, Quant(6f))),
            _ => (lo, hi),
        };
    }

    /// <summary>True when the value is quantized per tensor (reason set otherwise).</summary>
    public static bool PerTensor(Value v, out string reason)
    {
        reason = "";
        if (!IsQuantized(v.DataType) || v.Quantization is null)
        {
            reason = $"'{v.Name}' is {v.DataType} without quantization parameters";
            return false;
        }
        if (v.Quantization.IsPerChannel)
        {
            reason = $"'{v.Name}' is quantized per channel; a per-tensor activation is required";
            return false;
        }
        return true;
    }

    public static bool SameQuantization(Value a, Value b) =>
        a.DataType == b.DataType && a.Quantization is { } qa && b.Quantization is { } qb && !qa.IsPerChannel && !qb.IsPerChannel
        && qa.Scale == qb.Scale && qa.ZeroPoint == qb.ZeroPoint;

    public static QuantEltwiseParams Eltwise(Value a, Value? b, Value output, Activation act = Activation.None)
    {
        var (mn, mx) = ActivationRange(act, output);
        return new QuantEltwiseParams
        {
            AScale = a.Quantization!.Scale, AZeroPoint = (int)a.Quantization.ZeroPoint,
            BScale = b?.Quantization!.Scale ?? 0f, BZeroPoint = (int)(b?.Quantization!.ZeroPoint ?? 0),
            OutputScale = output.Quantization!.Scale, OutputZeroPoint = (int)output.Quantization.ZeroPoint,
            OutputMin = mn, OutputMax = mx,
        };
    }
}
