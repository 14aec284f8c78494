namespace MobileNetAccel.Interop;

/// <summary>
/// Safe entry points to the quantized (uint8 / int8) reference kernels (see mna.h, "quantized kernels", for the
/// arithmetic: exact integer accumulation, fp32 requantization with round-to-nearest-even). Tensors of either type are
/// passed as byte spans (int8 data reinterpreted); <see cref="QuantizedType"/> says which. Every method checks shapes
/// and lengths first and throws an <see cref="ArgumentException"/>-family error naming the parameter; the native side
/// checks again and its status goes through the one <see cref="NativeError"/> choke point.
/// </summary>
internal static unsafe class NativeQuantKernels
{
    private static void Positive(long value, string name)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive");
    }

    // Fixed arity (no params array): the Run path of a quantized model must not allocate.
    private static long Product(string name, long a, long b) => Product(name, a, b, 1, 1);

    private static long Product(string name, long a, long b, long c) => Product(name, a, b, c, 1);

    private static long Product(string name, long a, long b, long c, long d)
    {
        if (a <= 0 || b <= 0 || c <= 0 || d <= 0)
            throw new ArgumentOutOfRangeException(name, $"{name}: dimensions {a}x{b}x{c}x{d} must be positive");
        try { return checked(a * b * c * d); }
        catch (OverflowException) { throw new ArgumentException($"{name}: size overflows", name); }
    }

    private static void Length(int actual, long required, string name)
    {
        if (actual < required)
            throw new ArgumentException($"{name} has {actual} elements; {required} required", name);
    }

    private static void Type(QuantizedType t)
    {
        if (t is not (QuantizedType.UInt8 or QuantizedType.Int8))
            throw new ArgumentOutOfRangeException(nameof(t), t, "unknown quantized type");
    }

    private static void Scales(ReadOnlySpan<float> scales, int channels)
    {
        if (scales.Length != 1 && scales.Length != channels)
            throw new ArgumentException($"{scales.Length} scales for {channels} channels (1 or {channels} expected)", nameof(scales));
    }

    private static int Out(in Conv2DParams p, out int oh, out int ow)
    {
        if (p.StrideH <= 0 || p.StrideW <= 0)
            throw new ArgumentException($"stride {p.StrideH}x{p.StrideW} must be positive", nameof(p));
        oh = p.OutH;
        ow = p.OutW;
        if (oh < 1 || ow < 1)
            throw new ArgumentException($"output size {oh}x{ow} is invalid", nameof(p));
        return 0;
    }

    /// <summary>Convolution, weights OHWI. <paramref name="scales"/>: 1 or OutC requantization scales (in·w/out, float32).</summary>
    public static void Conv2D(QuantizedType type, in Conv2DParams p, in QuantConvParams q, ReadOnlySpan<float> scales,
        ReadOnlySpan<byte> input, ReadOnlySpan<byte> weights, ReadOnlySpan<int> bias, Span<byte> output)
    {
        Type(type);
        Out(p, out int oh, out int ow);
        Scales(scales, p.OutC);
        Length(input.Length, Product(nameof(input), p.Batch, p.InH, p.InW, p.InC), nameof(input));
        Length(weights.Length, Product(nameof(weights), p.OutC, p.KernelH, p.KernelW, p.InC), nameof(weights));
        if (!bias.IsEmpty)
            Length(bias.Length, p.OutC, nameof(bias));
        Length(output.Length, Product(nameof(output), p.Batch, oh, ow, p.OutC), nameof(output));
        Conv2DParams pp = p;
        QuantConvParams qq = q;
        fixed (float* s = scales)
        fixed (byte* i = input, w = weights, o = output)
        fixed (int* b = bias)
        {
            var st = type == QuantizedType.UInt8
                ? NativeMethods.mna_qu8_conv2d(&pp, &qq, s, (nuint)scales.Length, i, (nuint)input.Length, w, (nuint)weights.Length,
                    bias.IsEmpty ? null : b, (nuint)bias.Length, o, (nuint)output.Length, 0)
                : NativeMethods.mna_qs8_conv2d(&pp, &qq, s, (nuint)scales.Length, i, (nuint)input.Length, w, (nuint)weights.Length,
                    bias.IsEmpty ? null : b, (nuint)bias.Length, o, (nuint)output.Length, 0);
            NativeError.Check(st, type == QuantizedType.UInt8 ? "mna_qu8_conv2d" : "mna_qs8_conv2d");
        }
    }

    /// <summary>Depthwise convolution (multiplier 1), weights [KH,KW,C].</summary>
    public static void DepthwiseConv2D(QuantizedType type, in Conv2DParams p, in QuantConvParams q, ReadOnlySpan<float> scales,
        ReadOnlySpan<byte> input, ReadOnlySpan<byte> weights, ReadOnlySpan<int> bias, Span<byte> output)
    {
        Type(type);
        Out(p, out int oh, out int ow);
        if (p.OutC != p.InC)
            throw new ArgumentException($"p.OutC ({p.OutC}) must equal p.InC ({p.InC}) for depthwise", nameof(p));
        Scales(scales, p.OutC);
        Length(input.Length, Product(nameof(input), p.Batch, p.InH, p.InW, p.InC), nameof(input));
        Length(weights.Length, Product(nameof(weights), p.KernelH, p.KernelW, p.InC), nameof(weights));
        if (!bias.IsEmpty)
            Length(bias.Length, p.OutC, nameof(bias));
        Length(output.Length, Product(nameof(output), p.Batch, oh, ow, p.OutC), nameof(output));
        Conv2DParams pp = p;
        QuantConvParams qq = q;
        fixed (float* s = scales)
        fixed (byte* i = input, w = weights, o = output)
        fixed (int* b = bias)
        {
            var st = type == QuantizedType.UInt8
                ? NativeMethods.mna_qu8_dwconv2d(&pp, &qq, s, (nuint)scales.Length, i, (nuint)input.Length, w, (nuint)weights.Length,
                    bias.IsEmpty ? null : b, (nuint)bias.Length, o, (nuint)output.Length, 0)
                : NativeMethods.mna_qs8_dwconv2d(&pp, &qq, s, (nuint)scales.Length, i, (nuint)input.Length, w, (nuint)weights.Length,
                    bias.IsEmpty ? null : b, (nuint)bias.Length, o, (nuint)output.Length, 0);
            NativeError.Check(st, type == QuantizedType.UInt8 ? "mna_qu8_dwconv2d" : "mna_qs8_dwconv2d");
        }
    }

    /// <summary>Fully connected: input [batch][inN], weights [outN][inN].</summary>
    public static void FullyConnected(QuantizedType type, int batch, int inN, int outN, in QuantConvParams q, ReadOnlySpan<float> scales,
        ReadOnlySpan<byte> input, ReadOnlySpan<byte> weights, ReadOnlySpan<int> bias, Span<byte> output)
    {
        Type(type);
        Positive(batch, nameof(batch));
        Positive(inN, nameof(inN));
        Positive(outN, nameof(outN));
        Scales(scales, outN);
        Length(input.Length, Product(nameof(input), batch, inN), nameof(input));
        Length(weights.Length, Product(nameof(weights), outN, inN), nameof(weights));
        if (!bias.IsEmpty)
            Length(bias.Length, outN, nameof(bias));
        Length(output.Length, Product(nameof(output), batch, outN), nameof(output));
        QuantConvParams qq = q;
        fixed (float* s = scales)
        fixed (byte* i = input, w = weights, o = output)
        fixed (int* b = bias)
        {
            var st = type == QuantizedType.UInt8
                ? NativeMethods.mna_qu8_fully_connected(batch, inN, outN, &qq, s, (nuint)scales.Length, i, (nuint)input.Length, w, (nuint)weights.Length,
                    bias.IsEmpty ? null : b, (nuint)bias.Length, o, (nuint)output.Length, 0)
                : NativeMethods.mna_qs8_fully_connected(batch, inN, outN, &qq, s, (nuint)scales.Length, i, (nuint)input.Length, w, (nuint)weights.Length,
                    bias.IsEmpty ? null : b, (nuint)bias.Length, o, (nuint)output.Length, 0);
            NativeError.Check(st, type == QuantizedType.UInt8 ? "mna_qu8_fully_connected" : "mna_qs8_fully_connected");
        }
    }

    /// <summary>Average pooling keeping the input's scale and zero point (TFLite integer rounding), clamped.</summary>
    public static void AveragePool2D(QuantizedType type, in Conv2DParams p, int outputMin, int outputMax, ReadOnlySpan<byte> input, Span<byte> output)
    {
        Type(type);
        Out(p, out int oh, out int ow);
        Length(input.Length, Product(nameof(input), p.Batch, p.InH, p.InW, p.InC), nameof(input));
        Length(output.Length, Product(nameof(output), p.Batch, oh, ow, p.InC), nameof(output));
        Conv2DParams pp = p;
        fixed (byte* i = input, o = output)
        {
            var st = type == QuantizedType.UInt8
                ? NativeMethods.mna_qu8_avgpool2d(&pp, outputMin, outputMax, i, (nuint)input.Length, o, (nuint)output.Length)
                : NativeMethods.mna_qs8_avgpool2d(&pp, outputMin, outputMax, i, (nuint)input.Length, o, (nuint)output.Length);
            NativeError.Check(st, type == QuantizedType.UInt8 ? "mna_qu8_avgpool2d" : "mna_qs8_avgpool2d");
        }
    }

    /// <summary>Global average pooling [n][h][w][c] → [n][c], requantized from q.A* to q.Output*.</summary>
    public static void GlobalAveragePool(QuantizedType type, int batch, int h, int w, int c, in QuantEltwiseParams q, ReadOnlySpan<byte> input, Span<byte> output)
    {
        Type(type);
        Length(input.Length, Product(nameof(input), batch, h, w, c), nameof(input));
        Length(output.Length, Product(nameof(output), batch, c), nameof(output));
        QuantEltwiseParams qq = q;
        fixed (byte* i = input, o = output)
        {
            var st = type == QuantizedType.UInt8
                ? NativeMethods.mna_qu8_global_avgpool(batch, h, w, c, &qq, i, (nuint)input.Length, o, (nuint)output.Length)
                : NativeMethods.mna_qs8_global_avgpool(batch, h, w, c, &qq, i, (nuint)input.Length, o, (nuint)output.Length);
            NativeError.Check(st, type == QuantizedType.UInt8 ? "mna_qu8_global_avgpool" : "mna_qs8_global_avgpool");
        }
    }

    /// <summary>Element-wise add of equal-length tensors with requantization (in-place on a or b allowed).</summary>
    public static void Add(QuantizedType type, long count, in QuantEltwiseParams q, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> output)
    {
        Type(type);
        Positive(count, nameof(count));
        Length(a.Length, count, nameof(a));
        Length(b.Length, count, nameof(b));
        Length(output.Length, count, nameof(output));
        QuantEltwiseParams qq = q;
        fixed (byte* pa = a, pb = b, o = output)
        {
            var st = type == QuantizedType.UInt8
                ? NativeMethods.mna_qu8_add(count, &qq, pa, (nuint)a.Length, pb, (nuint)b.Length, o, (nuint)output.Length)
                : NativeMethods.mna_qs8_add(count, &qq, pa, (nuint)a.Length, pb, (nuint)b.Length, o, (nuint)output.Length);
            NativeError.Check(st, type == QuantizedType.UInt8 ? "mna_qu8_add" : "mna_qs8_add");
        }
    }

    /// <summary>Softmax over rows of <paramref name="n"/> (q.AScale = input scale; output scale/zero point from q).</summary>
    public static void Softmax(QuantizedType type, int batch, int n, float beta, in QuantEltwiseParams q, ReadOnlySpan<byte> input, Span<byte> output)
    {
        Type(type);
        Length(input.Length, Product(nameof(input), batch, n), nameof(input));
        Length(output.Length, Product(nameof(output), batch, n), nameof(output));
        QuantEltwiseParams qq = q;
        fixed (byte* i = input, o = output)
        {
            var st = type == QuantizedType.UInt8
                ? NativeMethods.mna_qu8_softmax(batch, n, beta, &qq, i, (nuint)input.Length, o, (nuint)output.Length)
                : NativeMethods.mna_qs8_softmax(batch, n, beta, &qq, i, (nuint)input.Length, o, (nuint)output.Length);
            NativeError.Check(st, type == QuantizedType.UInt8 ? "mna_qu8_softmax" : "mna_qs8_softmax");
        }
    }

    /// <summary>float32 → quantized: clamp(round-half-even(x / scale) + zeroPoint).</summary>
    public static void Quantize(QuantizedType type, float scale, int zeroPoint, ReadOnlySpan<float> input, Span<byte> output)
    {
        Type(type);
        Positive(input.Length, nameof(input));
        Length(output.Length, input.Length, nameof(output));
        fixed (float* i = input)
        fixed (byte* o = output)
        {
            var st = type == QuantizedType.UInt8
                ? NativeMethods.mna_qu8_quantize(input.Length, scale, zeroPoint, i, (nuint)input.Length, o, (nuint)output.Length)
                : NativeMethods.mna_qs8_quantize(input.Length, scale, zeroPoint, i, (nuint)input.Length, o, (nuint)output.Length);
            NativeError.Check(st, type == QuantizedType.UInt8 ? "mna_qu8_quantize" : "mna_qs8_quantize");
        }
    }

    /// <summary>quantized → float32: (q - zeroPoint) · scale.</summary>
    public static void Dequantize(QuantizedType type, float scale, int zeroPoint, ReadOnlySpan<byte> input, Span<float> output)
    {
        Type(type);
        Positive(input.Length, nameof(input));
        Length(output.Length, input.Length, nameof(output));
        fixed (byte* i = input)
        fixed (float* o = output)
        {
            var st = type == QuantizedType.UInt8
                ? NativeMethods.mna_qu8_dequantize(input.Length, scale, zeroPoint, i, (nuint)input.Length, o, (nuint)output.Length)
                : NativeMethods.mna_qs8_dequantize(input.Length, scale, zeroPoint, i, (nuint)input.Length, o, (nuint)output.Length);
            NativeError.Check(st, type == QuantizedType.UInt8 ? "mna_qu8_dequantize" : "mna_qs8_dequantize");
        }
    }

    /// <summary>The fp32 requantization step alone: clamp(round-half-even(acc · scale) + zeroPoint, min, max).</summary>
    public static int Requantize(int acc, float scale, int zeroPoint, int outputMin, int outputMax)
    {
        int r;
        NativeError.Check(NativeMethods.mna_requantize_fp32(acc, scale, zeroPoint, outputMin, outputMax, &r), "mna_requantize_fp32");
        return r;
    }
}
