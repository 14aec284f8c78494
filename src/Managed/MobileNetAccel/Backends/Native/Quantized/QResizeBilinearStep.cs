using System.Numerics;
using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Native.Ops;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Quantized;

/// <summary>
/// RESIZE_BILINEAR on uint8/int8 NHWC: TFLite's reference sample positions and float interpolation of the integers
/// (<see cref="ResizeBilinearStep.Axis"/>), then rounded to nearest with ties away from zero. (TFLite's uint8
/// reference kernel truncates instead; its int8 kernel, XNNPACK (LiteRT) and ArmNN round, and on the
/// align-corners resizes of DeepLab, whose weights are multiples of 1/16, all rounding ones agree exactly.)
/// Equal input and output parameters interpolate the integers as they are; otherwise the result is requantized,
/// zo + round((v − zi) · si/so), clamped to the type. Runs in native code (mna_resize_bilinear_q8, the arithmetic of
/// <see cref="RunManaged"/> byte for byte); a scale ratio of 2^15 or more (where |v| could pass 2^24) runs here.
/// </summary>
internal sealed class QResizeBilinearStep : QuantizedStep
{
    private readonly Value _input, _output;
    private readonly ResizeBilinearStep.Axis _ys, _xs;
    private readonly NativeResizeKernels.Axis _nys, _nxs;
    private readonly bool _native;
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
        return pool => new QResizeBilinearStep(n, pool);
    }

    private readonly NativeThreadPool? _pool;

    private QResizeBilinearStep(ResizeBilinearNode n, NativeThreadPool? pool)
    {
        _pool = pool;
        _input = n.Input;
        _output = n.Output;
        (_ys, _xs) = ResizeBilinearStep.Axes(n);
        _same = Q.SameQuantization(_input, _output);
        _signed = _input.DataType == DataType.Int8;
        _ratio = _input.Quantization!.Scale / _output.Quantization!.Scale;
        _zi = (int)_input.Quantization.ZeroPoint;
        _zo = (int)_output.Quantization.ZeroPoint;
        (_min, _max) = Q.TypeRange(_output.DataType);
        (_nys, _nxs) = (_ys.ToNative(), _xs.ToNative());
        _native = _same || (_ratio > 0 && _ratio * 512 < 16777216f);
    }

    public override void Run(IArena arena)
    {
        if (!_native)
        {
            RunManaged(arena);
            return;
        }
        int[] s = _input.Shape;
        NativeResizeKernels.Quantized(arena.Span<byte>(_input), arena.Span<byte>(_output), s[0], s[1], s[2], s[3], _nys, _nxs,
            _signed, !_same, _ratio, _zi, _zo, _pool);
    }

    /// <summary>The managed definition the native kernel reproduces (and the path for extreme scale ratios).</summary>
    internal void RunManaged(IArena arena)
    {
        ReadOnlySpan<byte> x = arena.Span<byte>(_input);
        Span<byte> y = arena.Span<byte>(_output);
        int[] s = _input.Shape;
        int batch = s[0], ih = s[1], iw = s[2], c = s[3], oh = _output.Shape[1], ow = _output.Shape[2];
        // the integers as floats once per run, so that the inner loop is four loads and float arithmetic
        var xf = System.Buffers.ArrayPool<float>.Shared.Rent(x.Length);
        try
        {
            for (int i = 0; i < x.Length; i++)
                xf[i] = _signed ? (sbyte)x[i] : x[i];
            int o = 0;
            for (int b = 0; b < batch; b++)
                for (int oy = 0; oy < oh; oy++, o += ow * c)
                    Row(xf, (b * ih + _ys.Lower[oy]) * iw, (b * ih + _ys.Upper[oy]) * iw, c, _ys.Fraction[oy], y.Slice(o, ow * c));
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(xf);
        }
    }

    /// <summary>One output row: per pixel and channel v = x00·(1−dy)·(1−dx) + x10·dy·(1−dx) + x01·(1−dy)·dx + x11·dy·dx,
    /// the products and sums in that order (TFLite's), then rounded half away from zero — as trunc(v) plus one when the
    /// exact remainder v − trunc(v) reaches ±0.5, which is MathF.Round(v, AwayFromZero) without its cost. SIMD lanes
    /// compute the very same float operations, so every byte equals the scalar loop's.</summary>
    private void Row(float[] xf, int r0, int r1, int c, float dy, Span<byte> y)
    {
        float a = 1 - dy, zi = _zi, ratio = _ratio;
        int ow = y.Length / c;
        bool simd = Vector.IsHardwareAccelerated && c >= Vector<float>.Count;
        var half = new Vector<float>(0.5f);
        var lo = new Vector<int>(_min);
        var hi = new Vector<int>(_max);
        var zo = new Vector<int>(_same ? 0 : _zo);
        var ziv = new Vector<float>(zi);
        Span<int> lanes = stackalloc int[Vector<int>.Count];
        for (int ox = 0, o = 0; ox < ow; ox++, o += c)
        {
            int p00 = (r0 + _xs.Lower[ox]) * c, p10 = (r1 + _xs.Lower[ox]) * c;
            int p01 = (r0 + _xs.Upper[ox]) * c, p11 = (r1 + _xs.Upper[ox]) * c;
            float dx = _xs.Fraction[ox], bx = 1 - dx;
            int k = 0;
            if (simd)
                for (; k + Vector<float>.Count <= c; k += Vector<float>.Count)
                {
                    var v = new Vector<float>(xf, p00 + k) * a * bx + new Vector<float>(xf, p10 + k) * dy * bx
                        + new Vector<float>(xf, p01 + k) * a * dx + new Vector<float>(xf, p11 + k) * dy * dx;
                    if (!_same)
                        v = (v - ziv) * ratio;
                    var t = Vector.ConvertToInt32(v);
                    var frac = v - Vector.ConvertToSingle(t);
                    t = t - Vector.GreaterThanOrEqual(frac, half) + Vector.LessThanOrEqual(frac, -half); // masks are −1 where true
                    Vector.Min(Vector.Max(t + zo, lo), hi).CopyTo(lanes);
                    for (int j = 0; j < lanes.Length; j++)
                        y[o + k + j] = unchecked((byte)lanes[j]);
                }
            for (; k < c; k++)
            {
                float v = xf[p00 + k] * a * bx + xf[p10 + k] * dy * bx + xf[p01 + k] * a * dx + xf[p11 + k] * dy * dx;
                if (!_same)
                    v = (v - zi) * ratio;
                int t = (int)v;
                float frac = v - t;
                t += frac >= 0.5f ? 1 : frac <= -0.5f ? -1 : 0;
                y[o + k] = unchecked((byte)Math.Clamp(_same ? t : _zo + t, _min, _max));
            }
        }
    }
}
