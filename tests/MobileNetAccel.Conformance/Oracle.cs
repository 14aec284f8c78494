using MobileNetAccel.Graph;

namespace MobileNetAccel.Conformance;

/// <summary>
/// The one naive oracle of the backend tests: obviously-correct NHWC operators (double accumulation, straight loops,
/// no tiling, no code shared with any backend, the managed reference backend included). Layouts: x[n,y,x,c], OHWI
/// weights w[o,ky,kx,i], depthwise w[ky,kx,c], fully-connected w[m,k]. Pads are (top, left, bottom, right).
/// <para>Called with |x|, |w|, |b| and <see cref="Activation.None"/> the same functions give Σ|terms| of every output,
/// the error scale of <see cref="Tolerance"/>.</para>
/// </summary>
public static partial class Oracle
{
    public static float Act(double v, Activation a) => a switch
    {
        Activation.None => (float)v,
        Activation.Relu => (float)Math.Max(v, 0),
        Activation.Relu6 => (float)Math.Min(Math.Max(v, 0), 6),
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, "unknown activation"),
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

    /// <summary>Depthwise convolution; with dilation (dh, dw) tap (ky, kx) reads input (oy·sh + ky·dh − pt, ox·sw + kx·dw − pl).</summary>
    public static float[] Depthwise(float[] x, int n, int h, int w, int c, float[] wt, float[]? bias, int kh, int kw,
        int sh, int sw, int pt, int pl, int pb, int pr, Activation act, int dh = 1, int dw = 1)
    {
        var (oh, ow) = OutSize(h, w, (kh - 1) * dh + 1, (kw - 1) * dw + 1, sh, sw, pt, pl, pb, pr);
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
                                int iy = oy * sh + ky * dh - pt, ix = ox * sw + kx * dw - pl;
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

    /// <summary>|x| element-wise (null stays null: an absent bias).</summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(x))]
    public static float[]? Abs(float[]? x) => x?.Select(Math.Abs).ToArray();

    /// <summary>Batch normalisation over the last axis: (x − mean) / sqrt(variance + ε) · scale + offset.</summary>
    public static float[] BatchNorm(float[] x, float[] scale, float[] offset, float[] mean, float[] variance, float epsilon)
    {
        int c = scale.Length;
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int ch = i % c;
            y[i] = (float)(((double)x[i] - mean[ch]) / Math.Sqrt((double)variance[ch] + epsilon) * scale[ch] + offset[ch]);
        }
        return y;
    }

    /// <summary>Constant padding of a tensor of any rank (row-major).</summary>
    public static float[] Pad(float[] x, int[] shape, int[] before, int[] after, float value)
    {
        var outShape = shape.Select((d, i) => d + before[i] + after[i]).ToArray();
        var y = new float[Count(outShape)];
        var idx = new int[shape.Length];
        for (int o = 0; o < y.Length; o++)
        {
            Unravel(o, outShape, idx);
            long src = 0;
            bool inside = true;
            for (int a = 0; a < shape.Length; a++)
            {
                int i = idx[a] - before[a];
                if (i < 0 || i >= shape[a])
                {
                    inside = false;
                    break;
                }
                src = src * shape[a] + i;
            }
            y[o] = inside ? x[src] : value;
        }
        return y;
    }

    /// <summary>y = x with its axes permuted: output axis a is input axis perm[a].</summary>
    public static float[] Transpose(float[] x, int[] shape, int[] perm)
    {
        var outShape = perm.Select(p => shape[p]).ToArray();
        var y = new float[x.Length];
        var idx = new int[shape.Length];
        var src = new int[shape.Length];
        for (int o = 0; o < y.Length; o++)
        {
            Unravel(o, outShape, idx);
            for (int a = 0; a < shape.Length; a++)
                src[perm[a]] = idx[a];
            long off = 0;
            for (int a = 0; a < shape.Length; a++)
                off = off * shape[a] + src[a];
            y[o] = x[off];
        }
        return y;
    }

    /// <summary>Concatenation along <paramref name="axis"/> of row-major tensors that agree on every other axis.</summary>
    public static float[] Concat(IReadOnlyList<float[]> xs, IReadOnlyList<int[]> shapes, int axis)
    {
        long outer = 1, inner = 1;
        for (int a = 0; a < axis; a++)
            outer *= shapes[0][a];
        for (int a = axis + 1; a < shapes[0].Length; a++)
            inner *= shapes[0][a];
        var y = new List<float>();
        for (long o = 0; o < outer; o++)
            for (int t = 0; t < xs.Count; t++)
            {
                long run = shapes[t][axis] * inner;
                for (long i = 0; i < run; i++)
                    y.Add(xs[t][o * run + i]);
            }
        return y.ToArray();
    }

    /// <summary>Batched matrix product a [B,M,K] x b [B or 1,K,N] → [B,M,N] (b broadcast over the batch when its batch is 1).</summary>
    public static float[] MatMul(float[] a, float[] b, int batch, int m, int k, int n, bool broadcastB)
    {
        var y = new float[batch * m * n];
        for (int t = 0; t < batch; t++)
        {
            int bo = broadcastB ? 0 : t * k * n;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++)
                        s += (double)a[(t * m + i) * k + p] * b[bo + p * n + j];
                    y[(t * m + i) * n + j] = (float)s;
                }
        }
        return y;
    }

    public static int Count(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    private static void Unravel(long flat, int[] shape, int[] idx)
    {
        for (int a = shape.Length - 1; a >= 0; a--)
        {
            idx[a] = (int)(flat % shape[a]);
            flat /= shape[a];
        }
    }
}
