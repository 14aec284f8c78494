using System.Runtime.InteropServices;

namespace MobileNetAccel.Interop;

/// <summary>
/// Safe entry points to the native float32 kernels. Every method checks shapes and buffer lengths before the
/// native call and throws an <see cref="ArgumentException"/>-family error naming the parameter; the native side
/// checks again. Spans are only borrowed for the duration of the call.
/// </summary>
internal static unsafe partial class NativeKernels
{
    /// <summary>The native library's version string.</summary>
    public static string Version => Marshal.PtrToStringUTF8(NativeMethods.mna_version()) ?? "";

    /// <summary>Probed CPU features as a bit set (see mna.h MNA_CPU_*).</summary>
    public static ulong CpuFeatureBits
    {
        get
        {
            ulong f;
            NativeError.Check(NativeMethods.mna_cpu_features(&f), "mna_cpu_features");
            return f;
        }
    }

    /// <summary>Probed CPU features, e.g. "sse4.1 avx avx2 fma3".</summary>
    public static string CpuFeatures => Marshal.PtrToStringUTF8(NativeMethods.mna_cpu_features_string()) ?? "";

    /// <summary>The kernel table in use.</summary>
    public static KernelIsa CurrentIsa => NativeMethods.mna_current_isa();

    /// <summary>Whether this CPU can run the given kernel table.</summary>
    public static bool IsSupported(KernelIsa isa) => NativeMethods.mna_isa_supported(isa) != 0;

    /// <summary>Selects a kernel table process-wide (tests force each in turn). Throws <see cref="NotSupportedException"/>
    /// when the CPU lacks it.</summary>
    public static void SelectIsa(KernelIsa isa)
    {
        if (!Enum.IsDefined(isa))
            throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown kernel ISA");
        NativeError.Check(NativeMethods.mna_select_isa(isa), "mna_select_isa");
    }

    // ------------------------------------------------------------------ checks

    private static void Positive(int value, string name)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive");
    }

    private static void NonNegative(int value, string name)
    {
        if (value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must not be negative");
    }

    private static void CheckActivation(NativeActivation a, string name)
    {
        if (!Enum.IsDefined(a))
            throw new ArgumentOutOfRangeException(name, a, "unknown activation");
    }

    private static long Product(string what, params ReadOnlySpan<long> factors)
    {
        long r = 1;
        foreach (long f in factors)
        {
            try { r = checked(r * f); }
            catch (OverflowException) { throw new ArgumentException($"{what}: size overflows", what); }
        }
        return r;
    }

    private static void Length(int actual, long required, string name)
    {
        if (actual < required)
            throw new ArgumentException($"{name} has {actual} elements; the shape requires {required}", name);
    }

    private static void CheckBias(ReadOnlySpan<float> bias, int channels, string name)
    {
        if (!bias.IsEmpty && bias.Length < channels)
            throw new ArgumentException($"{name} has {bias.Length} elements; needs {channels} (or none)", name);
    }

    /// <summary>Validates a window's params: positive sizes, non-negative pads, output at least 1x1.</summary>
    public static void ValidateWindow(in Conv2DParams p, string name = "p")
    {
        // Fast path without building parameter-name strings (Run must not allocate); the checks below name the culprit.
        if (p.Batch > 0 && p.InH > 0 && p.InW > 0 && p.InC > 0 && p.OutC > 0 && p.KernelH > 0 && p.KernelW > 0
            && p.StrideH > 0 && p.StrideW > 0 && p.PadTop >= 0 && p.PadLeft >= 0 && p.PadBottom >= 0 && p.PadRight >= 0
            && (p.Activation is NativeActivation.None or NativeActivation.Relu or NativeActivation.Relu6)
            && (long)p.InH + p.PadTop + p.PadBottom >= p.KernelH && (long)p.InW + p.PadLeft + p.PadRight >= p.KernelW
            && WindowOut.Size64(p.InH, p.PadTop, p.PadBottom, p.KernelH, p.StrideH) <= int.MaxValue
            && WindowOut.Size64(p.InW, p.PadLeft, p.PadRight, p.KernelW, p.StrideW) <= int.MaxValue)
            return;
        Positive(p.Batch, $"{name}.{nameof(p.Batch)}");
        Positive(p.InH, $"{name}.{nameof(p.InH)}");
        Positive(p.InW, $"{name}.{nameof(p.InW)}");
        Positive(p.InC, $"{name}.{nameof(p.InC)}");
        Positive(p.OutC, $"{name}.{nameof(p.OutC)}");
        Positive(p.KernelH, $"{name}.{nameof(p.KernelH)}");
        Positive(p.KernelW, $"{name}.{nameof(p.KernelW)}");
        Positive(p.StrideH, $"{name}.{nameof(p.StrideH)}");
        Positive(p.StrideW, $"{name}.{nameof(p.StrideW)}");
        NonNegative(p.PadTop, $"{name}.{nameof(p.PadTop)}");
        NonNegative(p.PadLeft, $"{name}.{nameof(p.PadLeft)}");
        NonNegative(p.PadBottom, $"{name}.{nameof(p.PadBottom)}");
        NonNegative(p.PadRight, $"{name}.{nameof(p.PadRight)}");
        CheckActivation(p.Activation, $"{name}.{nameof(p.Activation)}");
        if ((long)p.InH + p.PadTop + p.PadBottom < p.KernelH || (long)p.InW + p.PadLeft + p.PadRight < p.KernelW)
            throw new ArgumentException($"{name}: the {p.KernelH}x{p.KernelW} window does not fit the padded {p.InH}x{p.InW} input", name);
        CheckOutputSize(WindowOut.Size64(p.InH, p.PadTop, p.PadBottom, p.KernelH, p.StrideH),
            WindowOut.Size64(p.InW, p.PadLeft, p.PadRight, p.KernelW, p.StrideW), name);
    }

    private static void CheckOutputSize(long outH, long outW, string name)
    {
        if (outH > int.MaxValue || outW > int.MaxValue)
            throw new ArgumentException($"{name}: the output ({outH}x{outW}) exceeds int.MaxValue in a dimension (pads too large)", name);
    }

    private static nint Pool(NativeThreadPool? pool) => pool is null ? 0 : pool.DangerousGetHandle();

    private static void Ref(NativeThreadPool? pool, ref bool added)
    {
        if (pool is not null)
            pool.DangerousAddRef(ref added);
    }

    private static void Release(NativeThreadPool? pool, bool added)
    {
        if (added)
            pool!.DangerousRelease();
    }

    // ------------------------------------------------------------------ kernels

    /// <summary>Full convolution. input NHWC, weights OHWI [OutC][KernelH][KernelW][InC], bias [OutC] or empty.</summary>
    public static void Conv2D(in Conv2DParams p, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        Span<float> output, NativeThreadPool? pool = null)
    {
        ValidateWindow(p);
        Length(input.Length, Product(nameof(input), p.Batch, p.InH, p.InW, p.InC), nameof(input));
        Length(weights.Length, Product(nameof(weights), p.OutC, p.KernelH, p.KernelW, p.InC), nameof(weights));
        CheckBias(bias, p.OutC, nameof(bias));
        Length(output.Length, Product(nameof(output), p.Batch, p.OutH, p.OutW, p.OutC), nameof(output));
        Conv2DParams q = p;
        bool added = false;
        Ref(pool, ref added);
        try
        {
            fixed (float* i = input, w = weights, b = bias, o = output)
                NativeError.Check(NativeMethods.mna_f32_conv2d(&q, i, (nuint)input.Length, w, (nuint)weights.Length,
                    bias.IsEmpty ? null : b, (nuint)bias.Length, o, (nuint)output.Length, Pool(pool)), "mna_f32_conv2d");
        }
        finally { Release(pool, added); }
    }

    /// <summary>Depthwise convolution (multiplier 1; OutC == InC). weights [KernelH][KernelW][C], bias [C] or empty.</summary>
    public static void DepthwiseConv2D(in Conv2DParams p, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        Span<float> output, NativeThreadPool? pool = null)
    {
        ValidateWindow(p);
        if (p.OutC != p.InC)
            throw new ArgumentException($"p.OutC ({p.OutC}) must equal p.InC ({p.InC}) for a depthwise convolution", nameof(p));
        Length(input.Length, Product(nameof(input), p.Batch, p.InH, p.InW, p.InC), nameof(input));
        Length(weights.Length, Product(nameof(weights), p.KernelH, p.KernelW, p.InC), nameof(weights));
        CheckBias(bias, p.OutC, nameof(bias));
        Length(output.Length, Product(nameof(output), p.Batch, p.OutH, p.OutW, p.OutC), nameof(output));
        Conv2DParams q = p;
        bool added = false;
        Ref(pool, ref added);
        try
        {
            fixed (float* i = input, w = weights, b = bias, o = output)
                NativeError.Check(NativeMethods.mna_f32_dwconv2d(&q, i, (nuint)input.Length, w, (nuint)weights.Length,
                    bias.IsEmpty ? null : b, (nuint)bias.Length, o, (nuint)output.Length, Pool(pool)), "mna_f32_dwconv2d");
        }
        finally { Release(pool, added); }
    }

    /// <summary>1x1 convolution over <paramref name="pixels"/> positions: input [pixels][inC], weights [outC][inC].</summary>
    public static void PointwiseConv(long pixels, int inC, int outC, ReadOnlySpan<float> input, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, NativeActivation activation, Span<float> output, NativeThreadPool? pool = null)
    {
        if (pixels <= 0)
            throw new ArgumentOutOfRangeException(nameof(pixels), pixels, "pixels must be positive");
        Positive(inC, nameof(inC));
        Positive(outC, nameof(outC));
        CheckActivation(activation, nameof(activation));
        Length(input.Length, Product(nameof(input), pixels, inC), nameof(input));
        Length(weights.Length, Product(nameof(weights), outC, inC), nameof(weights));
        CheckBias(bias, outC, nameof(bias));
        Length(output.Length, Product(nameof(output), pixels, outC), nameof(output));
        bool added = false;
        Ref(pool, ref added);
        try
        {
            fixed (float* i = input, w = weights, b = bias, o = output)
                NativeError.Check(NativeMethods.mna_f32_pwconv(pixels, inC, outC, i, (nuint)input.Length, w, (nuint)weights.Length,
                    bias.IsEmpty ? null : b, (nuint)bias.Length, (int)activation, o, (nuint)output.Length, Pool(pool)), "mna_f32_pwconv");
        }
        finally { Release(pool, added); }
    }

    /// <summary>Validates inverted-residual params (see mna.h).</summary>
    public static void ValidateInvertedResidual(in InvertedResidualParams p)
    {
        Positive(p.Batch, "p.Batch");
        Positive(p.InH, "p.InH");
        Positive(p.InW, "p.InW");
        Positive(p.InC, "p.InC");
        NonNegative(p.HiddenC, "p.HiddenC");
        Positive(p.OutC, "p.OutC");
        if (p.Stride is not (1 or 2))
            throw new ArgumentOutOfRangeException("p.Stride", p.Stride, "stride must be 1 or 2");
        NonNegative(p.PadTop, "p.PadTop");
        NonNegative(p.PadLeft, "p.PadLeft");
        NonNegative(p.PadBottom, "p.PadBottom");
        NonNegative(p.PadRight, "p.PadRight");
        CheckActivation(p.ExpandActivation, "p.ExpandActivation");
        CheckActivation(p.DepthwiseActivation, "p.DepthwiseActivation");
        CheckActivation(p.ProjectActivation, "p.ProjectActivation");
        if (p.OutH < 1 || p.OutW < 1)
            throw new ArgumentException($"p: the 3x3 window does not fit the padded {p.InH}x{p.InW} input", nameof(p));
        CheckOutputSize(WindowOut.Size64(p.InH, p.PadTop, p.PadBottom, 3, p.Stride), WindowOut.Size64(p.InW, p.PadLeft, p.PadRight, 3, p.Stride), "p");
        if (p.Residual is not (0 or 1))
            throw new ArgumentOutOfRangeException("p.Residual", p.Residual, "residual must be 0 or 1");
        if (p.Residual == 1 && (p.Stride != 1 || p.InC != p.OutC || p.OutH != p.InH || p.OutW != p.InW))
            throw new ArgumentException("p.Residual requires stride 1, InC == OutC and an output the size of the input", nameof(p));
    }

    /// <summary>The fused inverted-residual block. Expand weights [HiddenC][InC] (empty when HiddenC == 0),
    /// depthwise [3][3][C], project [OutC][C]; biases may be empty.</summary>
    public static void InvertedResidual(in InvertedResidualParams p, ReadOnlySpan<float> input,
        ReadOnlySpan<float> expandWeights, ReadOnlySpan<float> expandBias,
        ReadOnlySpan<float> depthwiseWeights, ReadOnlySpan<float> depthwiseBias,
        ReadOnlySpan<float> projectWeights, ReadOnlySpan<float> projectBias,
        Span<float> output, NativeThreadPool? pool = null)
    {
        ValidateInvertedResidual(p);
        int c = p.DepthwiseChannels;
        Length(input.Length, Product(nameof(input), p.Batch, p.InH, p.InW, p.InC), nameof(input));
        if (p.HiddenC > 0)
        {
            Length(expandWeights.Length, Product(nameof(expandWeights), p.HiddenC, p.InC), nameof(expandWeights));
            CheckBias(expandBias, p.HiddenC, nameof(expandBias));
        }
        Length(depthwiseWeights.Length, Product(nameof(depthwiseWeights), 9, c), nameof(depthwiseWeights));
        CheckBias(depthwiseBias, c, nameof(depthwiseBias));
        Length(projectWeights.Length, Product(nameof(projectWeights), p.OutC, c), nameof(projectWeights));
        CheckBias(projectBias, p.OutC, nameof(projectBias));
        Length(output.Length, Product(nameof(output), p.Batch, p.OutH, p.OutW, p.OutC), nameof(output));
        InvertedResidualParams q = p;
        bool added = false;
        Ref(pool, ref added);
        try
        {
            fixed (float* i = input, ew = expandWeights, eb = expandBias, dw = depthwiseWeights, db = depthwiseBias,
                   pw = projectWeights, pb = projectBias, o = output)
                NativeError.Check(NativeMethods.mna_f32_irb(&q, i, (nuint)input.Length,
                    p.HiddenC > 0 ? ew : null, (nuint)expandWeights.Length, expandBias.IsEmpty ? null : eb, (nuint)expandBias.Length,
                    dw, (nuint)depthwiseWeights.Length, depthwiseBias.IsEmpty ? null : db, (nuint)depthwiseBias.Length,
                    pw, (nuint)projectWeights.Length, projectBias.IsEmpty ? null : pb, (nuint)projectBias.Length,
                    o, (nuint)output.Length, Pool(pool)), "mna_f32_irb");
        }
        finally { Release(pool, added); }
    }

    /// <summary>Average pooling over a window; padded positions are not counted.</summary>
    public static void AveragePool2D(in Conv2DParams p, ReadOnlySpan<float> input, Span<float> output, NativeThreadPool? pool = null)
    {
        ValidateWindow(p);
        if (p.OutC != p.InC)
            throw new ArgumentException($"p.OutC ({p.OutC}) must equal p.InC ({p.InC}) for pooling", nameof(p));
        Length(input.Length, Product(nameof(input), p.Batch, p.InH, p.InW, p.InC), nameof(input));
        Length(output.Length, Product(nameof(output), p.Batch, p.OutH, p.OutW, p.OutC), nameof(output));
        Conv2DParams q = p;
        bool added = false;
        Ref(pool, ref added);
        try
        {
            fixed (float* i = input, o = output)
                NativeError.Check(NativeMethods.mna_f32_avgpool2d(&q, i, (nuint)input.Length, o, (nuint)output.Length, Pool(pool)), "mna_f32_avgpool2d");
        }
        finally { Release(pool, added); }
    }

    /// <summary>Global average pooling [n][h][w][c] → [n][c].</summary>
    public static void GlobalAveragePool(int batch, int h, int w, int c, ReadOnlySpan<float> input, Span<float> output, NativeThreadPool? pool = null)
    {
        Positive(batch, nameof(batch));
        Positive(h, nameof(h));
        Positive(w, nameof(w));
        Positive(c, nameof(c));
        Length(input.Length, Product(nameof(input), batch, h, w, c), nameof(input));
        Length(output.Length, Product(nameof(output), batch, c), nameof(output));
        bool added = false;
        Ref(pool, ref added);
        try
        {
            fixed (float* i = input, o = output)
                NativeError.Check(NativeMethods.mna_f32_global_avgpool(batch, h, w, c, i, (nuint)input.Length, o, (nuint)output.Length, Pool(pool)),
                    "mna_f32_global_avgpool");
        }
        finally { Release(pool, added); }
    }

    /// <summary>Fully connected: input [batch][inN], weights [outN][inN], bias [outN] or empty.</summary>
    public static void FullyConnected(int batch, int inN, int outN, ReadOnlySpan<float> input, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, NativeActivation activation, Span<float> output, NativeThreadPool? pool = null)
    {
        Positive(batch, nameof(batch));
        Positive(inN, nameof(inN));
        Positive(outN, nameof(outN));
        CheckActivation(activation, nameof(activation));
        Length(input.Length, Product(nameof(input), batch, inN), nameof(input));
        Length(weights.Length, Product(nameof(weights), outN, inN), nameof(weights));
        CheckBias(bias, outN, nameof(bias));
        Length(output.Length, Product(nameof(output), batch, outN), nameof(output));
        bool added = false;
        Ref(pool, ref added);
        try
        {
            fixed (float* i = input, w = weights, b = bias, o = output)
                NativeError.Check(NativeMethods.mna_f32_fully_connected(batch, inN, outN, i, (nuint)input.Length, w, (nuint)weights.Length,
                    bias.IsEmpty ? null : b, (nuint)bias.Length, (int)activation, o, (nuint)output.Length, Pool(pool)), "mna_f32_fully_connected");
        }
        finally { Release(pool, added); }
    }

    /// <summary>Softmax over rows of length <paramref name="n"/>. In-place (same span) is allowed.</summary>
    public static void Softmax(int batch, int n, float beta, ReadOnlySpan<float> input, Span<float> output)
    {
        Positive(batch, nameof(batch));
        Positive(n, nameof(n));
        if (!float.IsFinite(beta))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be finite");
        Length(input.Length, Product(nameof(input), batch, n), nameof(input));
        Length(output.Length, Product(nameof(output), batch, n), nameof(output));
        fixed (float* i = input, o = output)
            NativeError.Check(NativeMethods.mna_f32_softmax(batch, n, beta, i, (nuint)input.Length, o, (nuint)output.Length), "mna_f32_softmax");
    }

    /// <summary>Element-wise add with fused activation over <paramref name="count"/> elements. In-place allowed.</summary>
    public static void Add(long count, ReadOnlySpan<float> a, ReadOnlySpan<float> b, NativeActivation activation, Span<float> output)
    {
        if (count <= 0)
            throw new ArgumentOutOfRangeException(nameof(count), count, "count must be positive");
        CheckActivation(activation, nameof(activation));
        Length(a.Length, count, nameof(a));
        Length(b.Length, count, nameof(b));
        Length(output.Length, count, nameof(output));
        fixed (float* pa = a, pb = b, o = output)
            NativeError.Check(NativeMethods.mna_f32_add(count, pa, (nuint)a.Length, pb, (nuint)b.Length, (int)activation, o, (nuint)output.Length), "mna_f32_add");
    }

    /// <summary>Activation over <paramref name="count"/> elements. In-place allowed.</summary>
    public static void ApplyActivation(long count, NativeActivation activation, ReadOnlySpan<float> input, Span<float> output)
    {
        if (count <= 0)
            throw new ArgumentOutOfRangeException(nameof(count), count, "count must be positive");
        CheckActivation(activation, nameof(activation));
        Length(input.Length, count, nameof(input));
        Length(output.Length, count, nameof(output));
        fixed (float* i = input, o = output)
            NativeError.Check(NativeMethods.mna_f32_activation(count, (int)activation, i, (nuint)input.Length, o, (nuint)output.Length), "mna_f32_activation");
    }

    /// <summary>Pads an NHWC tensor in H and W with <paramref name="value"/>.</summary>
    public static void Pad2D(int batch, int inH, int inW, int c, int padTop, int padLeft, int padBottom, int padRight, float value,
        ReadOnlySpan<float> input, Span<float> output)
    {
        Positive(batch, nameof(batch));
        Positive(inH, nameof(inH));
        Positive(inW, nameof(inW));
        Positive(c, nameof(c));
        NonNegative(padTop, nameof(padTop));
        NonNegative(padLeft, nameof(padLeft));
        NonNegative(padBottom, nameof(padBottom));
        NonNegative(padRight, nameof(padRight));
        Length(input.Length, Product(nameof(input), batch, inH, inW, c), nameof(input));
        Length(output.Length, Product(nameof(output), batch, (long)inH + padTop + padBottom, (long)inW + padLeft + padRight, c), nameof(output));
        fixed (float* i = input, o = output)
            NativeError.Check(NativeMethods.mna_f32_pad2d(batch, inH, inW, c, padTop, padLeft, padBottom, padRight, value,
                i, (nuint)input.Length, o, (nuint)output.Length), "mna_f32_pad2d");
    }
}
