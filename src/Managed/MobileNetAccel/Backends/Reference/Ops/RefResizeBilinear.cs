using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>
/// RESIZE_BILINEAR by TFLite's definition (float32 NHWC). Per output axis: scale = in / out, or (in − 1) / (out − 1)
/// under align_corners (out &gt; 1), in float32; the sample is i · scale, or (i + 0.5) · scale − 0.5 under
/// half_pixel_centers (float32, as TFLite computes it); lower = max(floor(sample), 0), upper = min(ceil(sample), in − 1),
/// fraction = sample − lower. The four neighbours are weighted (1 − fy)(1 − fx), fy(1 − fx), (1 − fy)fx, fy·fx and
/// summed in double.
/// </summary>
internal sealed class RefResizeBilinear : ReferenceStep
{
    private readonly ResizeBilinearNode _n;

    public static ReferenceStepFactory? Plan(ResizeBilinearNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason))
            return null;
        return () => new RefResizeBilinear(n);
    }

    private RefResizeBilinear(ResizeBilinearNode n) => _n = n;

    /// <summary>Lower and upper source index and the fraction of output index <paramref name="i"/>.</summary>
    internal static (int Lower, int Upper, double Fraction) Sample(int i, int input, int output, bool alignCorners, bool halfPixelCenters)
    {
        float scale = alignCorners && output > 1 ? (float)(input - 1) / (output - 1) : (float)input / output;
        float v = halfPixelCenters ? (i + 0.5f) * scale - 0.5f : i * scale;
        int lower = Math.Max((int)Math.Floor(v), 0);
        int upper = Math.Min((int)Math.Ceiling(v), input - 1);
        return (lower, upper, (double)v - lower);
    }

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_n.Input);
        var y = arena.Span<float>(_n.Output);
        int[] xs = _n.Input.Shape;
        int batch = xs[0], ih = xs[1], iw = xs[2], ch = xs[3], oh = _n.OutputHeight, ow = _n.OutputWidth;
        for (int b = 0; b < batch; b++)
            for (int oy = 0; oy < oh; oy++)
            {
                var (y0, y1, fy) = Sample(oy, ih, oh, _n.AlignCorners, _n.HalfPixelCenters);
                for (int ox = 0; ox < ow; ox++)
                {
                    var (x0, x1, fx) = Sample(ox, iw, ow, _n.AlignCorners, _n.HalfPixelCenters);
                    for (int c = 0; c < ch; c++)
                    {
                        double v00 = x[((b * ih + y0) * iw + x0) * ch + c], v10 = x[((b * ih + y1) * iw + x0) * ch + c];
                        double v01 = x[((b * ih + y0) * iw + x1) * ch + c], v11 = x[((b * ih + y1) * iw + x1) * ch + c];
                        double v = v00 * (1 - fy) * (1 - fx) + v10 * fy * (1 - fx) + v01 * (1 - fy) * fx + v11 * fy * fx;
                        y[((b * oh + oy) * ow + ox) * ch + c] = (float)v;
                    }
                }
            }
    }
}
