namespace MobileNetAccel.Conformance;

public static partial class Oracle
{
    /// <summary>Bilinear resize of NHWC x to oh x ow from TFLite's definition: the source position of output row y is
    /// y·scale, or (y + 0.5)·scale − 0.5 with half-pixel centres, where scale = in/out, or (in − 1)/(out − 1) when aligning
    /// corners (out &gt; 1) — the scale rounded to float32 as TFLite stores it, everything after it in double; the lower
    /// neighbour floor(position) and the upper ceil(position), each clamped to the image, weighted by position − lower.</summary>
    /// <returns>The output and, per output, Σ|x| of its four neighbours (the error scale).</returns>
    public static (float[] Y, float[] Scale) ResizeBilinear(float[] x, int n, int h, int w, int c, int oh, int ow, bool alignCorners, bool halfPixel)
    {
        var ys = Positions(h, oh, alignCorners, halfPixel);
        var xs = Positions(w, ow, alignCorners, halfPixel);
        var y = new float[n * oh * ow * c];
        var scale = new float[y.Length];
        int o = 0;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int k = 0; k < c; k++, o++)
                    {
                        var (y0, y1, fy) = ys[i];
                        var (x0, x1, fx) = xs[j];
                        double a = x[((b * h + y0) * w + x0) * c + k], bb = x[((b * h + y0) * w + x1) * c + k];
                        double cc = x[((b * h + y1) * w + x0) * c + k], d = x[((b * h + y1) * w + x1) * c + k];
                        y[o] = (float)(a * (1 - fy) * (1 - fx) + bb * (1 - fy) * fx + cc * fy * (1 - fx) + d * fy * fx);
                        scale[o] = (float)(Math.Abs(a) + Math.Abs(bb) + Math.Abs(cc) + Math.Abs(d));
                    }
        return (y, scale);
    }

    private static (int Lo, int Hi, double F)[] Positions(int input, int output, bool alignCorners, bool halfPixel)
    {
        float s = alignCorners && output > 1 ? (float)(input - 1) / (output - 1) : (float)input / output;
        var p = new (int, int, double)[output];
        for (int i = 0; i < output; i++)
        {
            double v = halfPixel ? (i + 0.5) * s - 0.5 : (double)i * s;
            int lo = Math.Max((int)Math.Floor(v), 0), hi = Math.Min((int)Math.Ceiling(v), input - 1);
            p[i] = (lo, hi, v - lo);
        }
        return p;
    }

    /// <summary>Index of the first maximum (<paramref name="min"/>: minimum) along <paramref name="axis"/> of a row-major tensor.</summary>
    public static long[] ArgMax(float[] x, int[] shape, int axis, bool min = false)
    {
        long outer = 1, inner = 1;
        for (int a = 0; a < axis; a++)
            outer *= shape[a];
        for (int a = axis + 1; a < shape.Length; a++)
            inner *= shape[a];
        int len = shape[axis];
        var y = new long[outer * inner];
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                int best = 0;
                for (int j = 1; j < len; j++)
                {
                    float v = x[(o * len + j) * inner + i], b = x[(o * len + best) * inner + i];
                    if (min ? v < b : v > b)
                        best = j;
                }
                y[o * inner + i] = best;
            }
        return y;
    }

    /// <summary>1 / (1 + e^−x) in double.</summary>
    public static float[] Logistic(float[] x) => x.Select(v => (float)(1 / (1 + Math.Exp(-(double)v)))).ToArray();

    /// <summary>act(a · b) with b repeated over a's leading axes (b's length divides a's).</summary>
    public static float[] Mul(float[] a, float[] b, Graph.Activation act) => a.Select((v, i) => Act((double)v * b[i % b.Length], act)).ToArray();
}
