using ILGPU;
using ILGPU.Runtime;

namespace MobileNetAccel.Ilgpu.Kernels;

/// <summary>Direct convolutions over NHWC tensors, one thread per output element (channel fastest, so neighbouring
/// threads read neighbouring memory). Kernel size and stride are <see cref="SpecializedValue{T}"/>s: ILGPU compiles one
/// variant per distinct value, with the window loops fully unrolled.</summary>
public static class ConvKernels
{
    /// <summary>Full convolution (the 3x3 first layer, any KxK). x NHWC, w OHWI [Cout,KH,KW,Cin], b [Cout], y NHWC.</summary>
    public static void Conv2D<TAct>(Index1D index, int total, int launched, ArrayView<float> x, ArrayView<float> w, ArrayView<float> b, ArrayView<float> y,
        WindowShape s, SpecializedValue<int> kernelH, SpecializedValue<int> kernelW, SpecializedValue<int> strideH, SpecializedValue<int> strideW)
        where TAct : struct, IActivation
    {
        for (int i = index; i < total; i += launched)
        {
            int oc = i % s.OutC;
            int t = i / s.OutC;
            int ox = t % s.OutW;
            t /= s.OutW;
            int oy = t % s.OutH;
            int n = t / s.OutH;
            int kh = kernelH, kw = kernelW;
            int iy0 = oy * strideH - s.PadTop, ix0 = ox * strideW - s.PadLeft;
            float acc = b[oc];
            for (int ky = 0; ky < kh; ky++)
            {
                int iy = iy0 + ky;
                if (iy < 0 || iy >= s.InH)
                    continue;
                for (int kx = 0; kx < kw; kx++)
                {
                    int ix = ix0 + kx;
                    if (ix < 0 || ix >= s.InW)
                        continue;
                    long xb = (((long)n * s.InH + iy) * s.InW + ix) * s.InC;
                    long wb = (((long)oc * kh + ky) * kw + kx) * s.InC;
                    for (int c = 0; c < s.InC; c++)
                        acc += x[xb + c] * w[wb + c];
                }
            }
            y[i] = default(TAct).Apply(acc);
        }
    }

    /// <summary>Depthwise convolution (multiplier 1): x NHWC, w [KH,KW,C], b [C], y NHWC. Used for 3x3 stride 1/2 and,
    /// with <see cref="WindowShape.DilationH"/>/<see cref="WindowShape.DilationW"/> &gt; 1, atrous windows (tap k reads
    /// input position output·stride − pad + k·dilation).</summary>
    public static void Depthwise<TAct>(Index1D index, int total, int launched, ArrayView<float> x, ArrayView<float> w, ArrayView<float> b, ArrayView<float> y,
        WindowShape s, SpecializedValue<int> kernelH, SpecializedValue<int> kernelW, SpecializedValue<int> strideH, SpecializedValue<int> strideW)
        where TAct : struct, IActivation
    {
        for (int i = index; i < total; i += launched)
        {
            int c = i % s.OutC;
            int t = i / s.OutC;
            int ox = t % s.OutW;
            t /= s.OutW;
            int oy = t % s.OutH;
            int n = t / s.OutH;
            int kh = kernelH, kw = kernelW;
            int dh = s.DilationH > 1 ? s.DilationH : 1, dw = s.DilationW > 1 ? s.DilationW : 1;
            int iy0 = oy * strideH - s.PadTop, ix0 = ox * strideW - s.PadLeft;
            float acc = b[c];
            for (int ky = 0; ky < kh; ky++)
            {
                int iy = iy0 + ky * dh;
                if (iy < 0 || iy >= s.InH)
                    continue;
                for (int kx = 0; kx < kw; kx++)
                {
                    int ix = ix0 + kx * dw;
                    if (ix < 0 || ix >= s.InW)
                        continue;
                    acc += x[(((long)n * s.InH + iy) * s.InW + ix) * s.InC + c] * w[(ky * kw + kx) * s.InC + c];
                }
            }
            y[i] = default(TAct).Apply(acc);
        }
    }

    /// <summary>Average pooling; padded positions are not counted.</summary>
    public static void AveragePool(Index1D index, int total, int launched, ArrayView<float> x, ArrayView<float> y, WindowShape s,
        SpecializedValue<int> kernelH, SpecializedValue<int> kernelW, SpecializedValue<int> strideH, SpecializedValue<int> strideW)
    {
        for (int i = index; i < total; i += launched)
        {
            int c = i % s.OutC;
            int t = i / s.OutC;
            int ox = t % s.OutW;
            t /= s.OutW;
            int oy = t % s.OutH;
            int n = t / s.OutH;
            int kh = kernelH, kw = kernelW;
            int iy0 = oy * strideH - s.PadTop, ix0 = ox * strideW - s.PadLeft;
            float acc = 0f;
            int count = 0;
            for (int ky = 0; ky < kh; ky++)
            {
                int iy = iy0 + ky;
                if (iy < 0 || iy >= s.InH)
                    continue;
                for (int kx = 0; kx < kw; kx++)
                {
                    int ix = ix0 + kx;
                    if (ix < 0 || ix >= s.InW)
                        continue;
                    acc += x[(((long)n * s.InH + iy) * s.InW + ix) * s.InC + c];
                    count++;
                }
            }
            y[i] = count > 0 ? acc / count : 0f;
        }
    }

    /// <summary>Mean over H and W: one thread per (n, c), reading along rows of channels (coalesced across threads).</summary>
    public static void GlobalAveragePool(Index1D index, int total, int launched, ArrayView<float> x, ArrayView<float> y, WindowShape s)
    {
        for (int i = index; i < total; i += launched)
        {
            int c = i % s.InC;
            int n = i / s.InC;
            int hw = s.InH * s.InW;
            long b = (long)n * hw * s.InC + c;
            float acc = 0f;
            for (int p = 0; p < hw; p++)
                acc += x[b + (long)p * s.InC];
            y[i] = acc / hw;
        }
    }
}
