using MobileNetAccel.Interop;

namespace MobileNetAccel.Tests.Kernels;

/// <summary>
/// A result of a naive reference op: the value of every output element, and for each element the error scale
/// S = Σ|terms| that its float32 computation accumulates (for a product sum: |bias| + Σ|w·x|). The tests allow
/// an error proportional to S (see <see cref="Tolerance"/>).
/// </summary>
public sealed record Reference(double[] Value, double[] Scale);

/// <summary>A convolution / pooling window over an NHWC tensor, written from the definitions in native/include/mna.h.</summary>
public readonly record struct Window(int N, int H, int W, int C, int OutC, int KH, int KW, int SH, int SW, int PT, int PL, int PB, int PR)
{
    /// <summary>out_h = (in_h + pad_top + pad_bottom - kernel_h) / stride_h + 1.</summary>
    public int OutH => (H + PT + PB - KH) / SH + 1;
    /// <summary>out_w = (in_w + pad_left + pad_right - kernel_w) / stride_w + 1.</summary>
    public int OutW => (W + PL + PR - KW) / SW + 1;
    public bool Fits => H + PT + PB >= KH && W + PL + PR >= KW;

    internal Conv2DParams ToParams(NativeActivation activation) => new()
    {
        Batch = N, InH = H, InW = W, InC = C, OutC = OutC, KernelH = KH, KernelW = KW, StrideH = SH, StrideW = SW,
        PadTop = PT, PadLeft = PL, PadBottom = PB, PadRight = PR, Activation = activation,
    };

    public override string ToString() =>
        $"N={N} H={H} W={W} C={C} OutC={OutC} K={KH}x{KW} stride={SH}x{SW} pads(t,l,b,r)=({PT},{PL},{PB},{PR}) -> {OutH}x{OutW}";
}

/// <summary>
/// Plain, obviously-correct implementations of every op in <see cref="NativeKernels"/>, written from the comments in
/// native/include/mna.h and sharing no code with the product. Loops index tensors literally (NHWC, OHWI, ...),
/// padding is "read zero outside the input", and sums are accumulated in double so that the reference is exact to
/// ~1e-16 relative: the tolerance the tests allow is then the native float32 kernel's own rounding error alone.
/// </summary>
internal static class Naive
{
    public static double Act(double x, NativeActivation a) => a switch
    {
        NativeActivation.None => x,
        NativeActivation.Relu => x < 0 ? 0 : x,
        NativeActivation.Relu6 => x < 0 ? 0 : x > 6 ? 6 : x,
        _ => throw new ArgumentOutOfRangeException(nameof(a)),
    };

    private static double B(float[]? bias, int i) => bias is null || bias.Length == 0 ? 0.0 : bias[i];

    /// <summary>Full convolution: input [N][H][W][C], weights OHWI [OutC][KH][KW][C], bias [OutC] or null.</summary>
    public static Reference Conv2D(Window g, float[] x, float[] w, float[]? bias, NativeActivation act)
    {
        int oh = g.OutH, ow = g.OutW;
        var val = new double[(long)g.N * oh * ow * g.OutC];
        var scale = new double[val.Length];
        for (int n = 0; n < g.N; n++)
            for (int y = 0; y < oh; y++)
                for (int xo = 0; xo < ow; xo++)
                    for (int o = 0; o < g.OutC; o++)
                    {
                        double sum = B(bias, o), mag = Math.Abs(B(bias, o));
                        for (int ky = 0; ky < g.KH; ky++)
                            for (int kx = 0; kx < g.KW; kx++)
                            {
                                int iy = y * g.SH - g.PT + ky, ix = xo * g.SW - g.PL + kx;
                                if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W)
                                    continue; // zero padding
                                for (int c = 0; c < g.C; c++)
                                {
                                    double t = (double)x[((n * g.H + iy) * g.W + ix) * g.C + c] * w[((o * g.KH + ky) * g.KW + kx) * g.C + c];
                                    sum += t;
                                    mag += Math.Abs(t);
                                }
                            }
                        long idx = (((long)n * oh + y) * ow + xo) * g.OutC + o;
                        val[idx] = Act(sum, act);
                        scale[idx] = mag;
                    }
        return new Reference(val, scale);
    }

    /// <summary>Depthwise convolution, multiplier 1: weights [KH][KW][C], bias [C] or null.</summary>
    public static Reference DepthwiseConv2D(Window g, float[] x, float[] w, float[]? bias, NativeActivation act) =>
        DepthwiseConv2D(g.N, g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.PT, g.PL, 1, 1, g.OutH, g.OutW, x, w, bias, act);

    /// <summary>Depthwise convolution with dilation <paramref name="dh"/> x <paramref name="dw"/> (tap (ky, kx) reads
    /// input row y·SH − PT + ky·DH); zero padding; an <paramref name="oh"/> x <paramref name="ow"/> output.</summary>
    public static Reference DepthwiseConv2D(int batch, int h, int wd, int ch, int kh, int kw, int sh, int sw, int pt, int pl,
        int dh, int dw, int oh, int ow, float[] x, float[] w, float[]? bias, NativeActivation act)
    {
        var val = new double[(long)batch * oh * ow * ch];
        var scale = new double[val.Length];
        for (int n = 0; n < batch; n++)
            for (int y = 0; y < oh; y++)
                for (int xo = 0; xo < ow; xo++)
                    for (int c = 0; c < ch; c++)
                    {
                        double sum = B(bias, c), mag = Math.Abs(B(bias, c));
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = y * sh - pt + ky * dh, ix = xo * sw - pl + kx * dw;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= wd)
                                    continue;
                                double t = (double)x[((n * h + iy) * wd + ix) * ch + c] * w[(ky * kw + kx) * ch + c];
                                sum += t;
                                mag += Math.Abs(t);
                            }
                        long idx = (((long)n * oh + y) * ow + xo) * ch + c;
                        val[idx] = Act(sum, act);
                        scale[idx] = mag;
                    }
        return new Reference(val, scale);
    }

    /// <summary>1x1 convolution over <paramref name="pixels"/> positions: input [P][inC], weights [outC][inC].</summary>
    public static Reference Pointwise(int pixels, int inC, int outC, float[] x, float[] w, float[]? bias, NativeActivation act)
    {
        var val = new double[(long)pixels * outC];
        var scale = new double[val.Length];
        for (int p = 0; p < pixels; p++)
            for (int o = 0; o < outC; o++)
            {
                double sum = B(bias, o), mag = Math.Abs(B(bias, o));
                for (int c = 0; c < inC; c++)
                {
                    double t = (double)x[p * inC + c] * w[o * inC + c];
                    sum += t;
                    mag += Math.Abs(t);
                }
                val[(long)p * outC + o] = Act(sum, act);
                scale[(long)p * outC + o] = mag;
            }
        return new Reference(val, scale);
    }

    /// <summary>Fully connected: input [batch][inN], weights [outN][inN] — the same sum as a 1x1 convolution over batch rows.</summary>
    public static Reference FullyConnected(int batch, int inN, int outN, float[] x, float[] w, float[]? bias, NativeActivation act)
    {
        var val = new double[(long)batch * outN];
        var scale = new double[val.Length];
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < outN; o++)
            {
                double sum = B(bias, o), mag = Math.Abs(B(bias, o));
                for (int i = 0; i < inN; i++)
                {
                    double t = (double)x[b * inN + i] * w[o * inN + i];
                    sum += t;
                    mag += Math.Abs(t);
                }
                val[b * outN + o] = Act(sum, act);
                scale[b * outN + o] = mag;
            }
        return new Reference(val, scale);
    }

    /// <summary>
    /// The fused inverted-residual block, written as its three layers one after the other on whole tensors:
    /// t = act_e(expand(x)) (t = x when hidden == 0), d = act_d(depthwise3x3(t)), y = act_p(project(d)) (+ x if residual).
    /// The error scale is the same network run on |x|, |w|, |b| without activations (activations are 1-Lipschitz, so
    /// an error in an intermediate grows through the following layers by at most the absolute-value network).
    /// </summary>
    public static Reference InvertedResidual(int n, int h, int w, int inC, int hidden, int outC, int stride,
        int pt, int pl, int pb, int pr, NativeActivation expandAct, NativeActivation dwAct, NativeActivation projectAct, bool residual,
        float[] x, float[]? ew, float[]? eb, float[] dw, float[]? db, float[] pw, float[]? pb2)
    {
        int c = hidden == 0 ? inC : hidden;
        int pixelsIn = n * h * w;
        // Stage 1: expand (or identity).
        double[] t = new double[(long)pixelsIn * c], tMag = new double[t.Length];
        if (hidden == 0)
        {
            for (int i = 0; i < t.Length; i++) { t[i] = x[i]; tMag[i] = Math.Abs(x[i]); }
        }
        else
        {
            for (int p = 0; p < pixelsIn; p++)
                for (int o = 0; o < c; o++)
                {
                    double sum = B(eb, o), mag = Math.Abs(B(eb, o));
                    for (int i = 0; i < inC; i++)
                    {
                        sum += (double)x[p * inC + i] * ew![o * inC + i];
                        mag += Math.Abs((double)x[p * inC + i] * ew[o * inC + i]);
                    }
                    t[p * c + o] = Act(sum, expandAct);
                    tMag[p * c + o] = mag;
                }
        }
        // Stage 2: depthwise 3x3.
        int oh = (h + pt + pb - 3) / stride + 1, ow = (w + pl + pr - 3) / stride + 1;
        int pixelsOut = n * oh * ow;
        double[] d = new double[(long)pixelsOut * c], dMag = new double[d.Length];
        for (int b = 0; b < n; b++)
            for (int y = 0; y < oh; y++)
                for (int xo = 0; xo < ow; xo++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        double sum = B(db, ch), mag = Math.Abs(B(db, ch));
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++)
                            {
                                int iy = y * stride - pt + ky, ix = xo * stride - pl + kx;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                    continue;
                                int src = ((b * h + iy) * w + ix) * c + ch;
                                double wt = dw[(ky * 3 + kx) * c + ch];
                                sum += t[src] * wt;
                                mag += tMag[src] * Math.Abs(wt);
                            }
                        int dst = ((b * oh + y) * ow + xo) * c + ch;
                        d[dst] = Act(sum, dwAct);
                        dMag[dst] = mag;
                    }
        // Stage 3: project, then residual.
        var val = new double[(long)pixelsOut * outC];
        var scale = new double[val.Length];
        for (int p = 0; p < pixelsOut; p++)
            for (int o = 0; o < outC; o++)
            {
                double sum = B(pb2, o), mag = Math.Abs(B(pb2, o));
                for (int ch = 0; ch < c; ch++)
                {
                    double wt = pw[o * c + ch];
                    sum += d[p * c + ch] * wt;
                    mag += dMag[p * c + ch] * Math.Abs(wt);
                }
                double y = Act(sum, projectAct);
                if (residual)
                {
                    // stride 1 and same size: output pixel p is input pixel p.
                    y += x[p * inC + o];
                    mag += Math.Abs(x[p * inC + o]);
                }
                val[p * outC + o] = y;
                scale[p * outC + o] = mag;
            }
        return new Reference(val, scale);
    }

    /// <summary>Average pooling then activation; padded positions are not counted (count_include_pad = 0), a window lying
    /// wholly in padding averages to 0. Scale = mean of |x| over the window.</summary>
    public static Reference AveragePool2D(Window g, float[] x, NativeActivation act)
    {
        int oh = g.OutH, ow = g.OutW;
        var val = new double[(long)g.N * oh * ow * g.C];
        var scale = new double[val.Length];
        for (int n = 0; n < g.N; n++)
            for (int y = 0; y < oh; y++)
                for (int xo = 0; xo < ow; xo++)
                    for (int c = 0; c < g.C; c++)
                    {
                        double sum = 0, mag = 0;
                        int count = 0;
                        for (int ky = 0; ky < g.KH; ky++)
                            for (int kx = 0; kx < g.KW; kx++)
                            {
                                int iy = y * g.SH - g.PT + ky, ix = xo * g.SW - g.PL + kx;
                                if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W)
                                    continue;
                                double v = x[((n * g.H + iy) * g.W + ix) * g.C + c];
                                sum += v;
                                mag += Math.Abs(v);
                                count++;
                            }
                        long idx = (((long)n * oh + y) * ow + xo) * g.C + c;
                        val[idx] = Act(count == 0 ? 0 : sum / count, act);
                        scale[idx] = count == 0 ? 0 : mag / count;
                    }
        return new Reference(val, scale);
    }

    /// <summary>Global average pooling [n][h][w][c] → [n][c].</summary>
    public static Reference GlobalAveragePool(int batch, int h, int w, int c, float[] x)
    {
        var val = new double[batch * c];
        var scale = new double[val.Length];
        for (int b = 0; b < batch; b++)
            for (int ch = 0; ch < c; ch++)
            {
                double sum = 0, mag = 0;
                for (int y = 0; y < h; y++)
                    for (int xi = 0; xi < w; xi++)
                    {
                        double v = x[((b * h + y) * w + xi) * c + ch];
                        sum += v;
                        mag += Math.Abs(v);
                    }
                val[b * c + ch] = sum / (h * w);
                scale[b * c + ch] = mag / (h * w);
            }
        return new Reference(val, scale);
    }

    /// <summary>Softmax over rows: y = exp(beta·(x − max)) / Σ exp(beta·(x − max)). Scale = |beta|·max(x − min, max − x): the
    /// largest exponent magnitude an implementation subtracting any row statistic in [min, max] (max for beta &gt; 0, min for
    /// beta &lt; 0, ...) computes for this element (see the softmax test).</summary>
    public static Reference Softmax(int batch, int len, float beta, float[] x)
    {
        var val = new double[batch * len];
        var scale = new double[val.Length];
        for (int b = 0; b < batch; b++)
        {
            double max = double.NegativeInfinity, min = double.PositiveInfinity;
            for (int i = 0; i < len; i++)
            {
                max = Math.Max(max, x[b * len + i]);
                min = Math.Min(min, x[b * len + i]);
            }
            double sum = 0;
            for (int i = 0; i < len; i++)
                sum += Math.Exp((double)beta * (x[b * len + i] - max));
            for (int i = 0; i < len; i++)
            {
                double xi = x[b * len + i];
                val[b * len + i] = Math.Exp((double)beta * (xi - max)) / sum;
                scale[b * len + i] = Math.Abs((double)beta) * Math.Max(xi - min, max - xi);
            }
        }
        return new Reference(val, scale);
    }

    /// <summary>Element-wise a + b then activation, rounded to float32 exactly as the single IEEE addition the op is.</summary>
    public static float[] Add(float[] a, float[] b, int count, NativeActivation act)
    {
        var r = new float[count];
        for (int i = 0; i < count; i++)
            r[i] = (float)Act(a[i] + b[i], act); // float + float is one correctly rounded IEEE addition
        return r;
    }

    public static float[] Activate(float[] x, int count, NativeActivation act)
    {
        var r = new float[count];
        for (int i = 0; i < count; i++)
            r[i] = (float)Act(x[i], act);
        return r;
    }

    /// <summary>Pads [n][h][w][c] to [n][h+t+b][w+l+r][c] with <paramref name="value"/>.</summary>
    public static float[] Pad2D(int batch, int h, int w, int c, int pt, int pl, int pb, int pr, float value, float[] x)
    {
        int oh = h + pt + pb, ow = w + pl + pr;
        var r = new float[batch * oh * ow * c];
        for (int b = 0; b < batch; b++)
            for (int y = 0; y < oh; y++)
                for (int xo = 0; xo < ow; xo++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        int iy = y - pt, ix = xo - pl;
                        bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                        r[((b * oh + y) * ow + xo) * c + ch] = inside ? x[((b * h + iy) * w + ix) * c + ch] : value;
                    }
        return r;
    }
}
