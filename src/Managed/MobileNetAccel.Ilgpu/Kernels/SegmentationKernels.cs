using ILGPU;
using ILGPU.Runtime;

namespace MobileNetAccel.Ilgpu.Kernels;

/// <summary>Shape of a bilinear resize (NHWC) with TFLite's float32 source scales.</summary>
public struct ResizeShape
{
    public int InH, InW, C, OutH, OutW, HalfPixel;
    public float ScaleH, ScaleW;
}

/// <summary>Kernels of the segmentation and detection heads: concatenation, bilinear resize, arg-max, logistic and
/// multiply. One thread per output element (grid-stride loops, as the other element-wise kernels).</summary>
public static class SegmentationKernels
{
    /// <summary>One input of a concatenation: x is [outer, rowLength] and lands at column <paramref name="column"/> of
    /// y, which is [outer, outRowLength].</summary>
    public static void ConcatSlice(Index1D index, int total, int launched, ArrayView<float> x, ArrayView<float> y, int rowLength,
        int outRowLength, int column)
    {
        for (int i = index; i < total; i += launched)
        {
            int row = i / rowLength;
            y[(long)row * outRowLength + column + i % rowLength] = x[i];
        }
    }

    /// <summary>TFLite's RESIZE_BILINEAR on float32: the sample is y·scale (or (y + 0.5)·scale − 0.5 with half-pixel
    /// centres), the neighbours floor/ceil of it clamped to the image, the four terms summed in TFLite's order.</summary>
    public static void ResizeBilinear(Index1D index, int total, int launched, ArrayView<float> x, ArrayView<float> y, ResizeShape s)
    {
        for (int i = index; i < total; i += launched)
        {
            int c = i % s.C;
            int t = i / s.C;
            int ox = t % s.OutW;
            t /= s.OutW;
            int oy = t % s.OutH;
            int n = t / s.OutH;
            float vy = s.HalfPixel != 0 ? (oy + 0.5f) * s.ScaleH - 0.5f : oy * s.ScaleH;
            float vx = s.HalfPixel != 0 ? (ox + 0.5f) * s.ScaleW - 0.5f : ox * s.ScaleW;
            int y0 = Math.Max((int)MathF.Floor(vy), 0), y1 = Math.Min((int)MathF.Ceiling(vy), s.InH - 1);
            int x0 = Math.Max((int)MathF.Floor(vx), 0), x1 = Math.Min((int)MathF.Ceiling(vx), s.InW - 1);
            float dy = vy - y0, dx = vx - x0;
            long r0 = ((long)n * s.InH + y0) * s.InW, r1 = ((long)n * s.InH + y1) * s.InW;
            y[i] = x[(r0 + x0) * s.C + c] * (1 - dy) * (1 - dx) + x[(r1 + x0) * s.C + c] * dy * (1 - dx)
                + x[(r0 + x1) * s.C + c] * (1 - dy) * dx + x[(r1 + x1) * s.C + c] * dy * dx;
        }
    }

    /// <summary>Index of the first maximum (<paramref name="min"/> ≠ 0: minimum) along an axis of length
    /// <paramref name="axis"/>: x is [outer, axis, inner], y [outer, inner] as int64.</summary>
    public static void ArgMax64(Index1D index, int total, int launched, ArrayView<float> x, ArrayView<long> y, int axis, int inner, int min)
    {
        for (int i = index; i < total; i += launched)
            y[i] = First(x, i, axis, inner, min);
    }

    /// <summary><see cref="ArgMax64"/> with an int32 output.</summary>
    public static void ArgMax32(Index1D index, int total, int launched, ArrayView<float> x, ArrayView<int> y, int axis, int inner, int min)
    {
        for (int i = index; i < total; i += launched)
            y[i] = First(x, i, axis, inner, min);
    }

    /// <summary>The arg-max (arg-min) of one output: a sequential scan with a strict comparison, so the first maximum
    /// (minimum) wins and a NaN never replaces the best so far (the
    /// axes here are short, e.g. 21 classes per pixel: one thread per pixel keeps every lane busy, where a cross-lane
    /// reduction would idle most of a warp).</summary>
    private static int First(ArrayView<float> x, int i, int axis, int inner, int min)
    {
        int o = i / inner, k = i % inner;
        long b = (long)o * axis * inner + k;
        float best = x[b];
        int at = 0;
        for (int j = 1; j < axis; j++)
        {
            float v = x[b + (long)j * inner];
            if (min != 0 ? v < best : v > best)
            {
                best = v;
                at = j;
            }
        }
        return at;
    }

    /// <summary>y = 1 / (1 + exp(−x)).</summary>
    public static void Logistic(Index1D index, int total, int launched, ArrayView<float> x, ArrayView<float> y)
    {
        for (int i = index; i < total; i += launched)
            y[i] = 1f / (1f + MathF.Exp(-x[i]));
    }

    /// <summary>y = act(a · b[i mod bLength]): equal shapes (bLength = total) or b broadcast over the trailing axes
    /// (a per-channel or scalar factor).</summary>
    public static void Mul<TAct>(Index1D index, int total, int launched, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, int bLength)
        where TAct : struct, IActivation
    {
        for (int i = index; i < total; i += launched)
            y[i] = default(TAct).Apply(a[i] * b[i % bLength]);
    }
}
