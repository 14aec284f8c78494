namespace MobileNetAccel.Interop;

/// <summary>The dilated float32 depthwise convolution (mna_f32_dwconv2d_dilated).</summary>
internal static unsafe partial class NativeKernels
{
    /// <summary>Output size of a window of <paramref name="kernel"/> taps <paramref name="dilation"/> apart:
    /// (size + pads − ((kernel − 1) · dilation + 1)) / stride + 1, in 64 bits.</summary>
    internal static long DilatedOut(int size, int padA, int padB, int kernel, int dilation, int stride) =>
        stride <= 0 ? 0 : ((long)size + padA + padB - ((long)(kernel - 1) * dilation + 1)) / stride + 1;

    /// <summary>Depthwise convolution (multiplier 1) with dilation ≥ 1: weights [KernelH][KernelW][C], bias [C] or
    /// empty; output [Batch][outH][outW][C] with the dilated window's size (<see cref="DilatedOut"/>).</summary>
    public static void DepthwiseConv2DDilated(in Conv2DParams p, int dilationH, int dilationW, ReadOnlySpan<float> input,
        ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, NativeThreadPool? pool = null)
    {
        Positive(dilationH, nameof(dilationH));
        Positive(dilationW, nameof(dilationW));
        ValidateWindow(p);
        if (p.OutC != p.InC)
            throw new ArgumentException($"p.OutC ({p.OutC}) must equal p.InC ({p.InC}) for a depthwise convolution", nameof(p));
        long outH = DilatedOut(p.InH, p.PadTop, p.PadBottom, p.KernelH, dilationH, p.StrideH);
        long outW = DilatedOut(p.InW, p.PadLeft, p.PadRight, p.KernelW, dilationW, p.StrideW);
        if (outH < 1 || outW < 1)
            throw new ArgumentException($"p: the {p.KernelH}x{p.KernelW} window dilated {dilationH}x{dilationW} does not fit the padded {p.InH}x{p.InW} input", nameof(p));
        CheckOutputSize(outH, outW, "p");
        Length(input.Length, Product(nameof(input), p.Batch, p.InH, p.InW, p.InC), nameof(input));
        Length(weights.Length, Product(nameof(weights), p.KernelH, p.KernelW, p.InC), nameof(weights));
        CheckBias(bias, p.OutC, nameof(bias));
        Length(output.Length, Product(nameof(output), p.Batch, outH, outW, p.OutC), nameof(output));
        Conv2DParams q = p;
        bool added = false;
        Ref(pool, ref added);
        try
        {
            fixed (float* i = input, w = weights, b = bias, o = output)
                NativeError.Check(NativeMethods.mna_f32_dwconv2d_dilated(&q, dilationH, dilationW, i, (nuint)input.Length,
                    w, (nuint)weights.Length, bias.IsEmpty ? null : b, (nuint)bias.Length, o, (nuint)output.Length, Pool(pool)),
                    "mna_f32_dwconv2d_dilated");
        }
        finally { Release(pool, added); }
    }
}
