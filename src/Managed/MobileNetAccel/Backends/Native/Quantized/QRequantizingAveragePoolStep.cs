using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Native.Quantized;

/// <summary>
/// Average pooling whose output parameters differ from the input's (ONNX QLinearAveragePool, or a DQ → AveragePool → Q
/// island): y = zo + round((Σ(q − zi) / count) · si / so), rounded once, half to even, in float — the global pool's
/// rule (mna_q8_requant), applied per window. Cells in the padding are not counted (count_include_pad arrives as an
/// explicit Pad node). Equal parameters take <see cref="QAveragePoolStep"/> (TFLite's integer rounding) instead.
/// </summary>
internal sealed class QRequantizingAveragePoolStep : QuantizedStep
{
    private readonly Value _input, _output;
    private readonly AveragePool2DNode _node;
    private readonly int _zi, _zo, _min, _max;
    private readonly float _ratio;
    private readonly bool _signed;

    public static QuantizedStepFactory? Plan(AveragePool2DNode n, out string reason)
    {
        if (!Q.PerTensor(n.Input, out reason) || !Q.PerTensor(n.Output, out reason))
            return null;
        if (n.Input.DataType != n.Output.DataType)
        {
            reason = $"output {n.Output.DataType} differs from input {n.Input.DataType}";
            return null;
        }
        return _ => new QRequantizingAveragePoolStep(n);
    }

    private QRequantizingAveragePoolStep(AveragePool2DNode n)
    {
        _node = n;
        _input = n.Input;
        _output = n.Output;
        _zi = (int)_input.Quantization!.ZeroPoint;
        _zo = (int)_output.Quantization!.ZeroPoint;
        _ratio = _input.Quantization.Scale / _output.Quantization.Scale;
        _signed = _input.DataType == DataType.Int8;
        (_min, _max) = Q.ActivationRange(n.Activation, _output);
    }

    public override void Run(IArena arena)
    {
        ReadOnlySpan<byte> x = arena.Span<byte>(_input);
        Span<byte> y = arena.Span<byte>(_output);
        int[] s = _input.Shape, os = _output.Shape;
        int batch = s[0], ih = s[1], iw = s[2], c = s[3], oh = os[1], ow = os[2];
        int kh = _node.KernelH, kw = _node.KernelW, sh = _node.StrideH, sw = _node.StrideW;
        var pad = _node.Padding;
        float lo = _min - _zo, hi = _max - _zo;
        Span<int> sum = c <= 1024 ? stackalloc int[c] : new int[c];
        int o = 0;
        for (int b = 0; b < batch; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++, o += c)
                {
                    sum.Clear();
                    int count = 0;
                    for (int ky = 0; ky < kh; ky++)
                    {
                        int iy = oy * sh - pad.Top + ky;
                        if (iy < 0 || iy >= ih)
                            continue;
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int ix = ox * sw - pad.Left + kx;
                            if (ix < 0 || ix >= iw)
                                continue;
                            int p = ((b * ih + iy) * iw + ix) * c;
                            for (int k = 0; k < c; k++)
                                sum[k] += _signed ? (sbyte)x[p + k] : x[p + k];
                            count++;
                        }
                    }
                    // A window entirely in the padding averages nothing: it is real 0, the output's zero point.
                    float scale = count == 0 ? 0f : _ratio / count;
                    for (int k = 0; k < c; k++)
                    {
                        float v = (sum[k] - count * _zi) * scale;
                        v = Math.Clamp(v, lo, hi);
                        y[o + k] = unchecked((byte)((int)MathF.Round(v, MidpointRounding.ToEven) + _zo));
                    }
                }
    }
}
