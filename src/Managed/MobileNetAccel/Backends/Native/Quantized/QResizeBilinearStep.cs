using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Native.Ops;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Native.Quantized;

/// <summary>
/// RESIZE_BILINEAR on uint8/int8 NHWC: TFLite's reference sample positions and float interpolation of the integers
/// (<see cref="ResizeBilinearStep.Axis"/>), then rounded to nearest with ties away from zero. (TFLite's uint8
/// reference kernel truncates instead; its int8 kernel, XNNPACK (LiteRT) and ArmNN round, and on the
/// align-corners resizes of DeepLab, whose weights are multiples of 1/16, all rounding ones agree exactly.)
/// Equal input and output parameters interpolate the integers as they are; otherwise the result is requantized,
/// zo + round((v − zi) · si/so), clamped to the type.
/// </summary>
internal sealed class QResizeBilinearStep : QuantizedStep
{
    private readonly Value _input, _output;
    private readonly ResizeBilinearStep.Axis _ys, _xs;
    private readonly bool _same, _signed;
    private readonly float _ratio;
    private readonly int _zi, _zo, _min, _max;

    public static QuantizedStepFactory? Plan(ResizeBilinearNode n, out string reason)
    {
        if (!Q.PerTensor(n.Input, out reason) || !Q.PerTensor(n.Output, out reason))
            return null;
        if (n.Input.DataType != n.Output.DataType)
        {
            reason = $"output {n.Output.DataType} differs from input {n.Input.DataType}";
            return null;
        }
        return _ => new QResizeBilinearStep(n);
    }

    private QResizeBilinearStep(ResizeBilinearNode n)
    {
        _input = n.Input;
        _output = n.Output;
        (_ys, _xs) = ResizeBilinearStep.Axes(n);
        _same = Q.SameQuantization(_input, _output);
        _signed = _input.DataType == DataType.Int8;
        _ratio = _input.Quantization!.Scale / _output.Quantization!.Scale;
        _zi = (int)_input.Quantization.ZeroPoint;
        _zo = (int)_output.Quantization.ZeroPoint;
        (_min, _max) = Q.TypeRange(_output.DataType);
    }

    public override void Run(IArena arena)
    {
        ReadOnlySpan<byte> x = arena.Span<byte>(_input);
        Span<byte> y = arena.Span<byte>(_output);
        int[] s = _input.Shape;
        int batch = s[0], ih = s[1], iw = s[2], c = s[3], oh = _output.Shape[1], ow = _output.Shape[2];
        // the integers as floats once per run, so that the inner loop is four loads and float arithmetic
        var xf = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
            xf[i] = _signed ? (sbyte)x[i] : x[i];
        int o = 0;
        for (int b = 0; b < batch; b++)
            for (int oy = 0; oy < oh; oy++)
            {
                float dy = _ys.Fraction[oy];
                int r0 = (b * ih + _ys.Lower[oy]) * iw, r1 = (b * ih + _ys.Upper[oy]) * iw;
                for (int ox = 0; ox < ow; ox++)
                {
                    float dx = _xs.Fraction[ox];
                    int p00 = (r0 + _xs.Lower[ox]) * c, p10 = (r1 + _xs.Lower[ox]) * c;
                    int p01 = (r0 + _xs.Upper[ox]) * c, p11 = (r1 + _xs.Upper[ox]) * c;
                    for (int k = 0; k < c; k++)
                    {
                        float v = xf[p00 + k] * (1 - dy) * (1 - dx) + xf[p10 + k] * dy * (1 - dx)
                            + xf[p01 + k] * (1 - dy) * dx + xf[p11 + k] * dy * dx;
                        int q = _same
                            ? (int)MathF.Round(v, MidpointRounding.AwayFromZero)
                            : _zo + (int)MathF.Round((v - _zi) * _ratio, MidpointRounding.AwayFromZero);
                        y[o++] = unchecked((byte)Math.Clamp(q, _min, _max));
                    }
                }
            }
    }
}
