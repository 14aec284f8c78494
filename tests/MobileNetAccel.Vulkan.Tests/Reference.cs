using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Vulkan.Tests;

/// <summary>
/// Obviously-correct naive NHWC operators (double accumulation, straight loops, no tiling) that the shaders are
/// compared against. Index helpers spell the layouts out: x[n,y,x,c], OHWI weights w[o,ky,kx,i], depthwise w[ky,kx,c].
/// </summary>
internal static class Reference
{
    public static float Act(double v, Activation a) => a switch
    {
        Activation.Relu => (float)Math.Max(v, 0),
        Activation.Relu6 => (float)Math.Min(Math.Max(v, 0), 6),
        _ => (float)v,
    };

    public static (int Oh, int Ow) OutSize(int h, int w, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr) =>
        ((h + pt + pb - kh) / sh + 1, (w + pl + pr - kw) / sw + 1);

    public static float[] Conv2D(float[] x, int n, int h, int w, int c, float[] wt, float[]? bias, int oc, int kh, int kw,
        int sh, int sw, int pt, int pl, int pb, int pr, Activation act)
    {
        var (oh, ow) = OutSize(h, w, kh, kw, sh, sw, pt, pl, pb, pr);
        var y = new float[n * oh * ow * oc];
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int o = 0; o < oc; o++)
                    {
                        double s = bias?[o] ?? 0;
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = oy * sh + ky - pt, ix = ox * sw + kx - pl;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                    continue;
                                for (int i = 0; i < c; i++)
                                    s += (double)x[((b * h + iy) * w + ix) * c + i] * wt[((o * kh + ky) * kw + kx) * c + i];
                            }
                        y[((b * oh + oy) * ow + ox) * oc + o] = Act(s, act);
                    }
        return y;
    }

    public static float[] Depthwise(float[] x, int n, int h, int w, int c, float[] wt, float[]? bias, int kh, int kw,
        int sh, int sw, int pt, int pl, int pb, int pr, Activation act)
    {
        var (oh, ow) = OutSize(h, w, kh, kw, sh, sw, pt, pl, pb, pr);
        var y = new float[n * oh * ow * c];
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        double s = bias?[ch] ?? 0;
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = oy * sh + ky - pt, ix = ox * sw + kx - pl;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                    continue;
                                s += (double)x[((b * h + iy) * w + ix) * c + ch] * wt[(ky * kw + kx) * c + ch];
                            }
                        y[((b * oh + oy) * ow + ox) * c + ch] = Act(s, act);
                    }
        return y;
    }

    /// <summary>y[r, m] = act(sum_k x[r, k] * w[m, k] + bias[m]).</summary>
    public static float[] FullyConnected(float[] x, int rows, int k, float[] wt, float[]? bias, int m, Activation act)
    {
        var y = new float[rows * m];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < m; o++)
            {
                double s = bias?[o] ?? 0;
                for (int i = 0; i < k; i++)
                    s += (double)x[r * k + i] * wt[o * k + i];
                y[r * m + o] = Act(s, act);
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
                for (int i = 0; i < h * w; i++)
                    s += x[(b * h * w + i) * c + ch];
                y[b * c + ch] = (float)(s / (h * w));
            }
        return y;
    }

    public static float[] AveragePool(float[] x, int n, int h, int w, int c, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr)
    {
        var (oh, ow) = OutSize(h, w, kh, kw, sh, sw, pt, pl, pb, pr);
        var y = new float[n * oh * ow * c];
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        double s = 0;
                        int count = 0;
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = oy * sh + ky - pt, ix = ox * sw + kx - pl;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                    continue;
                                s += x[((b * h + iy) * w + ix) * c + ch];
                                count++;
                            }
                        y[((b * oh + oy) * ow + ox) * c + ch] = count == 0 ? 0 : (float)(s / count);
                    }
        return y;
    }

    public static float[] Softmax(float[] x, int rows, int cols, float beta)
    {
        var y = new float[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity;
            for (int i = 0; i < cols; i++)
                max = Math.Max(max, beta * (double)x[r * cols + i]);
            double sum = 0;
            for (int i = 0; i < cols; i++)
                sum += Math.Exp(beta * (double)x[r * cols + i] - max);
            for (int i = 0; i < cols; i++)
                y[r * cols + i] = (float)(Math.Exp(beta * (double)x[r * cols + i] - max) / sum);
        }
        return y;
    }

    public static float[] Add(float[] a, float[] b, Activation act) => a.Select((v, i) => Act((double)v + b[i], act)).ToArray();

    public static float[] Clamp(float[] x, float lo, float hi) => x.Select(v => Math.Min(Math.Max(v, lo), hi)).ToArray();

    /// <summary>The inverted-residual block composed from the naive operators above (no fusion).</summary>
    public static float[] InvertedResidual(float[] x, int n, int h, int w, int cin, float[]? expandW, float[]? expandB, int hidden,
        float[] dwW, float[]? dwB, float[] projW, float[]? projB, int cout, int stride, int pt, int pl, int pb, int pr,
        Activation ea, Activation da, Activation pa, bool residual)
    {
        float[] e = expandW is null ? x : FullyConnected(x, n * h * w, cin, expandW, expandB, hidden, ea);
        int hid = expandW is null ? cin : hidden;
        var d = Depthwise(e, n, h, w, hid, dwW, dwB, 3, 3, stride, stride, pt, pl, pb, pr, da);
        var (oh, ow) = OutSize(h, w, 3, 3, stride, stride, pt, pl, pb, pr);
        var y = FullyConnected(d, n * oh * ow, hid, projW, projB, cout, pa);
        if (residual)
            for (int i = 0; i < y.Length; i++)
                y[i] += x[i];
        return y;
    }
}
