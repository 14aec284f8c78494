using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>
/// RESIZE_BILINEAR on float32 NHWC: the sample positions here (TFLite's reference arithmetic: float32 sample
/// positions, neighbours floor/ceil clamped to the image), the interpolation in native code (mna_resize_bilinear_f32:
/// the four terms in the order of <see cref="RunManaged"/>, bit for bit). <see cref="Axis"/> is shared with the
/// quantized step.
/// </summary>
internal sealed class ResizeBilinearStep : NativeStep
{
    private readonly Value _input, _output;
    private readonly Axis _ys, _xs;
    private readonly NativeResizeKernels.Axis _nys, _nxs;

    /// <summary>The sample positions of one output axis: lower and upper source index and the fraction (sample − lower).</summary>
    internal sealed class Axis
    {
        public int[] Lower = Array.Empty<int>();
        public int[] Upper = Array.Empty<int>();
        public float[] Fraction = Array.Empty<float>();

        public static Axis Of(int input, int output, bool alignCorners, bool halfPixelCenters)
        {
            float scale = ResizeBilinearNode.Scale(input, output, alignCorners);
            var a = new Axis { Lower = new int[output], Upper = new int[output], Fraction = new float[output] };
            for (int i = 0; i < output; i++)
            {
                float v = halfPixelCenters ? (i + 0.5f) * scale - 0.5f : i * scale;
                float lo = MathF.Floor(v);
                a.Lower[i] = Math.Max((int)lo, 0);
                a.Upper[i] = Math.Min((int)MathF.Ceiling(v), input - 1);
                a.Fraction[i] = v - a.Lower[i];
            }
            return a;
        }

        /// <summary>The positions for the native kernels.</summary>
        public NativeResizeKernels.Axis ToNative() => new(Lower, Upper, Fraction);
    }

    public static NativeStepFactory? Plan(ResizeBilinearNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason))
            return null;
        return ctx => new ResizeBilinearStep(n, ctx.Pool);
    }

    private readonly NativeThreadPool _pool;

    private ResizeBilinearStep(ResizeBilinearNode n, NativeThreadPool pool)
    {
        _pool = pool;
        _input = n.Input;
        _output = n.Output;
        (_ys, _xs) = Axes(n);
        (_nys, _nxs) = (_ys.ToNative(), _xs.ToNative());
    }

    internal static (Axis Ys, Axis Xs) Axes(ResizeBilinearNode n) =>
        (Axis.Of(n.Input.Shape[1], n.OutputHeight, n.AlignCorners, n.HalfPixelCenters),
         Axis.Of(n.Input.Shape[2], n.OutputWidth, n.AlignCorners, n.HalfPixelCenters));

    public override void Run(IArena arena)
    {
        int[] s = _input.Shape;
        NativeResizeKernels.Float(arena.Span<float>(_input), arena.Span<float>(_output), s[0], s[1], s[2], s[3], _nys, _nxs, _pool);
    }

    /// <summary>The managed definition the native kernel reproduces (kept for the tests).</summary>
    internal void RunManaged(IArena arena)
    {
        ReadOnlySpan<float> x = arena.Span<float>(_input);
        Span<float> y = arena.Span<float>(_output);
        int[] s = _input.Shape;
        int batch = s[0], ih = s[1], iw = s[2], c = s[3], oh = _output.Shape[1], ow = _output.Shape[2];
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
                        y[o++] = x[p00 + k] * (1 - dy) * (1 - dx) + x[p10 + k] * dy * (1 - dx)
                            + x[p01 + k] * (1 - dy) * dx + x[p11 + k] * dy * dx;
                }
            }
    }
}
