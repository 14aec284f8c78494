using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Gpu.Tests;

/// <summary>Obviously-correct NHWC reference ops: plain loops, double accumulation. The oracle of the op tests.</summary>
internal static class Reference
{
    public static float Act(double v, Activation a) => a switch
    {
        Activation.None => (float)v,
        Activation.Relu => (float)Math.Max(v, 0),
        Activation.Relu6 => (float)Math.Min(Math.Max(v, 0), 6),
        _ => throw new ArgumentOutOfRangeException(nameof(a)),
    };

    /// <summary>x [n,h,w,ci], w [co,kh,kw,ci] (OHWI), b [co].</summary>
    public static float[] Conv(float[] x, int n, int h, int w, int ci, float[] wt, float[]? b, int co, int kh, int kw,
        int sh, int sw, int pt, int pl, int oh, int ow, Activation act)
    {
        var y = new float[n * oh * ow * co];
        for (int b0 = 0; b0 < n; b0++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int o = 0; o < co; o++)
                    {
                        double acc = b?[o] ?? 0;
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = oy * sh - pt + ky, ix = ox * sw - pl + kx;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                    continue;
                                for (int c = 0; c < ci; c++)
                                    acc += (double)x[((b0 * h + iy) * w + ix) * ci + c] * wt[((o * kh + ky) * kw + kx) * ci + c];
                            }
                        y[((b0 * oh + oy) * ow + ox) * co + o] = Act(acc, act);
                    }
        return y;
    }

    /// <summary>x [n,h,w,c], w [kh,kw,c], b [c].</summary>
    public static float[] Depthwise(float[] x, int n, int h, int w, int c, float[] wt, float[]? b, int kh, int kw,
        int sh, int sw, int pt, int pl, int oh, int ow, Activation act)
    {
        var y = new float[n * oh * ow * c];
        for (int b0 = 0; b0 < n; b0++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        double acc = b?[ch] ?? 0;
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = oy * sh - pt + ky, ix = ox * sw - pl + kx;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                    continue;
                                acc += (double)x[((b0 * h + iy) * w + ix) * c + ch] * wt[(ky * kw + kx) * c + ch];
                            }
                        y[((b0 * oh + oy) * ow + ox) * c + ch] = Act(acc, act);
                    }
        return y;
    }

    /// <summary>x [rows,k], w [m,k], b [m] → [rows,m].</summary>
    public static float[] FullyConnected(float[] x, int rows, int k, float[] wt, float[]? b, int m, Activation act)
    {
        var y = new float[rows * m];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < m; o++)
            {
                double acc = b?[o] ?? 0;
                for (int i = 0; i < k; i++)
                    acc += (double)x[r * k + i] * wt[o * k + i];
                y[r * m + o] = Act(acc, act);
            }
        return y;
    }

    public static float[] GlobalAveragePool(float[] x, int n, int h, int w, int c)
    {
        var y = new float[n * c];
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
            {
                double s = 0;
                for (int p = 0; p < h * w; p++)
                    s += x[(b * h * w + p) * c + ch];
                y[b * c + ch] = (float)(s / (h * w));
            }
        return y;
    }

    public static float[] AveragePool(float[] x, int n, int h, int w, int c, int kh, int kw, int s, int pt, int pl, int oh, int ow)
    {
        var y = new float[n * oh * ow * c];
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        double acc = 0;
                        int count = 0;
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = oy * s - pt + ky, ix = ox * s - pl + kx;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                    continue;
                                acc += x[((b * h + iy) * w + ix) * c + ch];
                                count++;
                            }
                        y[((b * oh + oy) * ow + ox) * c + ch] = (float)(acc / count);
                    }
        return y;
    }

    public static float[] Softmax(float[] x, int rows, int cols, float beta)
    {
        var y = new float[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int j = 0; j < cols; j++)
                max = Math.Max(max, x[r * cols + j]);
            for (int j = 0; j < cols; j++)
                sum += Math.Exp(beta * (x[r * cols + j] - max));
            for (int j = 0; j < cols; j++)
                y[r * cols + j] = (float)(Math.Exp(beta * (x[r * cols + j] - max)) / sum);
        }
        return y;
    }

    /// <summary>The inverted-residual block as its literal composition.</summary>
    public static float[] InvertedResidual(float[] x, int n, int h, int w, int cin, float[]? we, float[]? be, int hidden,
        float[] wd, float[]? bd, float[] wp, float[]? bp, int cout, int stride, int pt, int pl, int oh, int ow,
        Activation ea, Activation da, Activation pa, bool residual)
    {
        var t = we is null ? x : Conv(x, n, h, w, cin, we, be, hidden, 1, 1, 1, 1, 0, 0, h, w, ea);
        var d = Depthwise(t, n, h, w, hidden, wd, bd, 3, 3, stride, stride, pt, pl, oh, ow, da);
        var y = Conv(d, n, oh, ow, hidden, wp, bp, cout, 1, 1, 1, 1, 0, 0, oh, ow, pa);
        if (residual)
            for (int i = 0; i < y.Length; i++)
                y[i] += x[i];
        return y;
    }
}
