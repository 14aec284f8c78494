using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Native.Ops;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Native.Quantized;

/// <summary>
/// CONCATENATION of uint8/int8 tensors along any axis, as TFLite's ConcatenationWithScaling: an input with the
/// output's scale and zero point is copied; any other is requantized element by element, in float32,
/// q' = round(q · s + b) + zo with s = si · (1 / so), b = −zi · s, rounded half away from zero and clamped to the type.
/// </summary>
internal sealed class QConcatStep : QuantizedStep
{
    private readonly ConcatNode _n;
    private readonly bool[] _copy;
    private readonly float[] _scale, _bias;
    private readonly int _zo, _min, _max;
    private readonly bool _signed;

    public static QuantizedStepFactory? Plan(ConcatNode n, out string reason)
    {
        reason = "";
        foreach (var v in n.Inputs.Append(n.Output))
            if (v is null || !Q.PerTensor(v, out reason))
                return null;
        if (n.Inputs.Any(v => v!.DataType != n.Output.DataType))
        {
            reason = $"quantized concatenation needs every input to be {n.Output.DataType} like the output";
            return null;
        }
        return _ => new QConcatStep(n);
    }

    private QConcatStep(ConcatNode n)
    {
        _n = n;
        var qo = n.Output.Quantization!;
        _zo = (int)qo.ZeroPoint;
        (_min, _max) = Q.TypeRange(n.Output.DataType);
        _signed = n.Output.DataType == DataType.Int8;
        float inverse = 1f / qo.Scale;
        _copy = n.Inputs.Select(v => Q.SameQuantization(v!, n.Output)).ToArray();
        _scale = n.Inputs.Select(v => v!.Quantization!.Scale * inverse).ToArray();
        _bias = n.Inputs.Select((v, i) => -(float)v!.Quantization!.ZeroPoint * _scale[i]).ToArray();
    }

    public override void Run(IArena arena)
    {
        var (outer, inner) = ConcatStep.Blocks(_n);
        var y = arena.Span<byte>(_n.Output);
        long at = 0;
        for (long o = 0; o < outer; o++)
            for (int i = 0; i < inner.Length; i++)
            {
                int len = (int)inner[i];
                var src = arena.Span<byte>(_n.Inputs[i]!).Slice((int)(o * len), len);
                var dst = y.Slice((int)at, len);
                at += len;
                if (_copy[i])
                {
                    src.CopyTo(dst);
                    continue;
                }
                float s = _scale[i], b = _bias[i];
                for (int j = 0; j < len; j++)
                {
                    int q = _signed ? (sbyte)src[j] : src[j];
                    int v = (int)MathF.Round(q * s + b, MidpointRounding.AwayFromZero) + _zo;
                    dst[j] = unchecked((byte)Math.Clamp(v, _min, _max));
                }
            }
    }
}
