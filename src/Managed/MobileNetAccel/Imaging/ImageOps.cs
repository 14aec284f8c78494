namespace MobileNetAccel.Imaging;

/// <summary>How to resample.</summary>
public enum ResizeMode
{
    /// <summary>Bilinear with pixel-centre alignment (TensorFlow's resize with half-pixel centres, no antialiasing).</summary>
    Bilinear,
    /// <summary>Nearest neighbour with PIL's pixel-centre convention: src = floor((dst + 0.5) · in / out), accumulated as PIL does.</summary>
    Nearest,
}

/// <summary>Resizing and cropping of <see cref="RgbImage"/>s.</summary>
public static class ImageOps
{
    /// <summary>Resizes to <paramref name="width"/> × <paramref name="height"/>.</summary>
    public static RgbImage Resize(RgbImage image, int width, int height, ResizeMode mode = ResizeMode.Bilinear)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        return mode switch
        {
            ResizeMode.Nearest => Nearest(image, width, height),
            ResizeMode.Bilinear => Bilinear(image, width, height),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
        };
    }

    /// <summary>PIL NEAREST: the affine map x_in = (x_out + 0.5) · (in/out), evaluated as PIL's scaling loop does it —
    /// start at 0.5·(in/out) and add in/out (a double) once per output pixel, truncating each position. The running
    /// sum matters: for ratios that are not exact binary fractions (512/160) it lands on the other side of an integer
    /// at some pixels than a direct multiplication would.</summary>
    internal static int[] NearestIndices(int input, int output)
    {
        double scale = (double)input / output;
        var idx = new int[output];
        double pos = scale * 0.5;
        for (int i = 0; i < output; i++)
        {
            idx[i] = Math.Clamp((int)pos, 0, input - 1);
            pos += scale;
        }
        return idx;
    }

    /// <summary>Nearest neighbour by the exact integer rule src = floor((2·dst + 1)·in / (2·out)) (the pixel centre,
    /// no floating point; ../shared/models/segmentation/README.md): the rule the segmentation references were fed by,
    /// and the one <see cref="Segmenter"/> maps its mask back to the image with.</summary>
    internal static int[] NearestIndicesExact(int input, int output)
    {
        var idx = new int[output];
        for (int i = 0; i < output; i++)
            idx[i] = (int)Math.Min((2L * i + 1) * input / (2L * output), input - 1);
        return idx;
    }

    /// <summary>Nearest-neighbour resize by <see cref="NearestIndicesExact"/>.</summary>
    internal static RgbImage ResizeNearestExact(RgbImage image, int width, int height) =>
        Nearest(image, width, height, NearestIndicesExact(image.Width, width), NearestIndicesExact(image.Height, height));

    private static RgbImage Nearest(RgbImage src, int w, int h) =>
        Nearest(src, w, h, NearestIndices(src.Width, w), NearestIndices(src.Height, h));

    private static RgbImage Nearest(RgbImage src, int w, int h, int[] xs, int[] ys)
    {
        var dst = new byte[(long)w * h * 3];
        var s = src.Pixels;
        for (int y = 0; y < h; y++)
        {
            long srow = (long)ys[y] * src.Width * 3, drow = (long)y * w * 3;
            for (int x = 0; x < w; x++)
            {
                long si = srow + xs[x] * 3L, di = drow + x * 3L;
                dst[di] = s[si];
                dst[di + 1] = s[si + 1];
                dst[di + 2] = s[si + 2];
            }
        }
        return new RgbImage(w, h, dst);
    }

    private static RgbImage Bilinear(RgbImage src, int w, int h)
    {
        var dst = new byte[(long)w * h * 3];
        var s = src.Pixels;
        float sy = (float)src.Height / h, sx = (float)src.Width / w;
        var x0 = new int[w];
        var x1 = new int[w];
        var fx = new float[w];
        for (int x = 0; x < w; x++)
        {
            float v = Math.Max(0f, (x + 0.5f) * sx - 0.5f);
            int i = Math.Min((int)v, src.Width - 1);
            x0[x] = i;
            x1[x] = Math.Min(i + 1, src.Width - 1);
            fx[x] = v - i;
        }
        for (int y = 0; y < h; y++)
        {
            float v = Math.Max(0f, (y + 0.5f) * sy - 0.5f);
            int y0 = Math.Min((int)v, src.Height - 1), y1 = Math.Min(y0 + 1, src.Height - 1);
            float fy = v - y0;
            long r0 = (long)y0 * src.Width * 3, r1 = (long)y1 * src.Width * 3;
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                {
                    float a = s[r0 + x0[x] * 3 + c], b = s[r0 + x1[x] * 3 + c];
                    float cc = s[r1 + x0[x] * 3 + c], d = s[r1 + x1[x] * 3 + c];
                    float top = a + (b - a) * fx[x], bottom = cc + (d - cc) * fx[x];
                    float val = top + (bottom - top) * fy;
                    dst[((long)y * w + x) * 3 + c] = (byte)Math.Clamp((int)MathF.Round(val, MidpointRounding.ToEven), 0, 255);
                }
        }
        return new RgbImage(w, h, dst);
    }

    /// <summary>The central <paramref name="fraction"/> of the image (0 &lt; fraction ≤ 1) in each dimension.</summary>
    public static RgbImage CenterCrop(RgbImage image, double fraction)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!(fraction > 0 && fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "crop fraction must be in (0, 1]");
        int cw = Math.Max(1, (int)Math.Round(image.Width * fraction)), ch = Math.Max(1, (int)Math.Round(image.Height * fraction));
        int left = (image.Width - cw) / 2, top = (image.Height - ch) / 2;
        var dst = new byte[(long)cw * ch * 3];
        for (int y = 0; y < ch; y++)
            Array.Copy(image.Pixels, ((long)(top + y) * image.Width + left) * 3, dst, (long)y * cw * 3, cw * 3L);
        return new RgbImage(cw, ch, dst);
    }
}
