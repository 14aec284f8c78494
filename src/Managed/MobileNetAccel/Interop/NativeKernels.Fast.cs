namespace MobileNetAccel.Interop;

using System.Runtime.InteropServices;

/// <summary>What a <see cref="NativePackedWeights"/> object holds.</summary>
internal enum PackedKind
{
    /// <summary>1x1 convolution or fully connected layer (weights [OutC][InC]).</summary>
    Pointwise,
    /// <summary>Full convolution (weights OHWI).</summary>
    Conv2D,
    /// <summary>Fused inverted-residual block.</summary>
    InvertedResidual,
}

/// <summary>
/// Weights re-laid-out once, at load time, for the native kernel table selected when they were packed (mna_packed:
/// NR-wide GEMM panels with the bias in front, 64-byte aligned). Running uses that table whatever is selected later,
/// so pack after <see cref="NativeKernels.SelectIsa"/>. Immutable: several threads may run one object at once
/// (each with its own pool, or none). The packed copy owns its memory; the source arrays may be dropped.
/// </summary>
internal sealed unsafe class NativePackedWeights : SafeHandle
{
    private NativePackedWeights(PackedKind kind, int inC, int hiddenC, int outC, int kernelH, int kernelW)
        : base(0, ownsHandle: true)
    {
        Kind = kind;
        InC = inC;
        HiddenC = hiddenC;
        OutC = outC;
        KernelH = kernelH;
        KernelW = kernelW;
    }

    public override bool IsInvalid => handle == 0;

    public PackedKind Kind { get; }
    public int InC { get; }
    /// <summary>Inverted-residual expanded channels (0 = no expand layer); 0 otherwise.</summary>
    public int HiddenC { get; }
    public int OutC { get; }
    public int KernelH { get; }
    public int KernelW { get; }

    /// <summary>The kernel table the weights were packed for (Reference for plain copies).</summary>
    public KernelIsa Isa => NativeMethods.mna_packed_isa(handle);

    private long _pressure;

    protected override bool ReleaseHandle()
    {
        if (_pressure > 0)
            GC.RemoveMemoryPressure(_pressure);
        return NativeMethods.mna_packed_destroy(handle) == NativeStatus.Ok;
    }

    // ------------------------------------------------------------------ checks

    private static void Positive(long value, string name)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive");
    }

    // Fixed-arity (no params array): the Run methods must not allocate.
    private static long Product(string what, long a, long b) => Product(what, a, b, 1, 1);

    private static long Product(string what, long a, long b, long c, long d)
    {
        try { return checked(a * b * c * d); }
        catch (OverflowException) { throw new ArgumentException($"{what}: size overflows", what); }
    }

    private static void Length(int actual, long required, string name)
    {
        if (actual < required)
            throw new ArgumentException($"{name} has {actual} elements; the shape requires {required}", name);
    }

    private static void CheckBias(ReadOnlySpan<float> bias, long channels, string name)
    {
        if (!bias.IsEmpty && bias.Length < channels)
            throw new ArgumentException($"{name} has {bias.Length} elements; needs {channels} (or none)", name);
    }

    private static void CheckActivation(NativeActivation a, string name)
    {
        if (!Enum.IsDefined(a))
            throw new ArgumentOutOfRangeException(name, a, "unknown activation");
    }

    private void Expect(PackedKind kind)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        if (Kind != kind)
            throw new InvalidOperationException($"these packed weights are {Kind}, not {kind}");
    }

    private void Same(int value, int packed, string name)
    {
        if (value != packed)
            throw new ArgumentException($"{name} {value} differs from the packed {name} {packed}", name);
    }

    private static nint Pool(NativeThreadPool? pool) => pool is null ? 0 : pool.DangerousGetHandle();

    private static NativePackedWeights Wrap(nint h, PackedKind kind, int inC, int hiddenC, int outC, int kh, int kw)
    {
        var p = new NativePackedWeights(kind, inC, hiddenC, outC, kh, kw);
        p.SetHandle(h);
        // Tell the GC about the native block (estimated from the shapes) so that undisposed sessions are collected,
        // and their weights freed by this handle's finalizer, as native memory grows.
        p._pressure = 4L * ((long)inC * Math.Max(hiddenC, outC) * kh * kw + (long)hiddenC * (kh * kw + outC + 2) + outC + 64);
        GC.AddMemoryPressure(p._pressure);
        return p;
    }

    private void AddRefs(NativeThreadPool? pool, ref bool selfAdded, ref bool poolAdded)
    {
        DangerousAddRef(ref selfAdded);
        pool?.DangerousAddRef(ref poolAdded);
    }

    private void ReleaseRefs(NativeThreadPool? pool, bool selfAdded, bool poolAdded)
    {
        if (poolAdded) pool!.DangerousRelease();
        if (selfAdded) DangerousRelease();
    }

    // ------------------------------------------------------------------ pointwise / fully connected

    /// <summary>Packs a 1x1 convolution or fully connected layer: weights [outC][inC], bias [outC] or empty.</summary>
    public static NativePackedWeights PackPointwise(int inC, int outC, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias)
    {
        Positive(inC, nameof(inC));
        Positive(outC, nameof(outC));
        Length(weights.Length, Product(nameof(weights), outC, inC), nameof(weights));
        CheckBias(bias, outC, nameof(bias));
        nint h;
        fixed (float* w = weights, b = bias)
            NativeError.Check(NativeMethods.mna_f32_pwconv_pack(inC, outC, w, (nuint)weights.Length, bias.IsEmpty ? null : b,
                (nuint)bias.Length, &h), "mna_f32_pwconv_pack");
        return Wrap(h, PackedKind.Pointwise, inC, 0, outC, 1, 1);
    }

    /// <summary>Runs packed pointwise weights over <paramref name="pixels"/> rows: input [pixels][InC] → output
    /// [pixels][OutC]. A fully connected layer is pixels = batch.</summary>
    public void RunPointwise(long pixels, ReadOnlySpan<float> input, NativeActivation activation, Span<float> output,
        NativeThreadPool? pool = null)
    {
        Expect(PackedKind.Pointwise);
        Positive(pixels, nameof(pixels));
        CheckActivation(activation, nameof(activation));
        Length(input.Length, Product(nameof(input), pixels, InC), nameof(input));
        Length(output.Length, Product(nameof(output), pixels, OutC), nameof(output));
        bool selfAdded = false, poolAdded = false;
        try
        {
            AddRefs(pool, ref selfAdded, ref poolAdded);
            fixed (float* i = input, o = output)
                NativeError.Check(NativeMethods.mna_f32_pwconv_packed(handle, pixels, i, (nuint)input.Length,
                    (int)activation, o, (nuint)output.Length, Pool(pool)), "mna_f32_pwconv_packed");
        }
        finally { ReleaseRefs(pool, selfAdded, poolAdded); }
    }

    // ------------------------------------------------------------------ conv2d

    /// <summary>Packs a full convolution: weights OHWI, bias [OutC] or empty. Runs must use the same InC, OutC and
    /// kernel size.</summary>
    public static NativePackedWeights PackConv2D(in Conv2DParams p, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias)
    {
        NativeKernels.ValidateWindow(p);
        Length(weights.Length, Product(nameof(weights), p.OutC, p.KernelH, p.KernelW, p.InC), nameof(weights));
        CheckBias(bias, p.OutC, nameof(bias));
        Conv2DParams q = p;
        nint h;
        fixed (float* w = weights, b = bias)
            NativeError.Check(NativeMethods.mna_f32_conv2d_pack(&q, w, (nuint)weights.Length, bias.IsEmpty ? null : b,
                (nuint)bias.Length, &h), "mna_f32_conv2d_pack");
        return Wrap(h, PackedKind.Conv2D, p.InC, 0, p.OutC, p.KernelH, p.KernelW);
    }

    /// <summary>Runs a packed convolution (input NHWC → output NHWC).</summary>
    public void RunConv2D(in Conv2DParams p, ReadOnlySpan<float> input, Span<float> output, NativeThreadPool? pool = null)
    {
        Expect(PackedKind.Conv2D);
        NativeKernels.ValidateWindow(p);
        Same(p.InC, InC, "InC");
        Same(p.OutC, OutC, "OutC");
        Same(p.KernelH, KernelH, "KernelH");
        Same(p.KernelW, KernelW, "KernelW");
        Length(input.Length, Product(nameof(input), p.Batch, p.InH, p.InW, p.InC), nameof(input));
        Length(output.Length, Product(nameof(output), p.Batch, p.OutH, p.OutW, p.OutC), nameof(output));
        Conv2DParams q = p;
        bool selfAdded = false, poolAdded = false;
        try
        {
            AddRefs(pool, ref selfAdded, ref poolAdded);
            fixed (float* i = input, o = output)
                NativeError.Check(NativeMethods.mna_f32_conv2d_packed(handle, &q, i, (nuint)input.Length,
                    o, (nuint)output.Length, Pool(pool)), "mna_f32_conv2d_packed");
        }
        finally { ReleaseRefs(pool, selfAdded, poolAdded); }
    }

    // ------------------------------------------------------------------ inverted residual

    /// <summary>Packs a fused inverted-residual block: expand [HiddenC][InC] (empty when HiddenC is 0), depthwise
    /// [3][3][hidden], project [OutC][hidden]; biases may be empty. Runs must use the same InC, HiddenC, OutC.</summary>
    public static NativePackedWeights PackInvertedResidual(in InvertedResidualParams p,
        ReadOnlySpan<float> expandWeights, ReadOnlySpan<float> expandBias,
        ReadOnlySpan<float> depthwiseWeights, ReadOnlySpan<float> depthwiseBias,
        ReadOnlySpan<float> projectWeights, ReadOnlySpan<float> projectBias)
    {
        Positive(p.InC, "p.InC");
        Positive(p.OutC, "p.OutC");
        if (p.HiddenC < 0)
            throw new ArgumentOutOfRangeException("p.HiddenC", p.HiddenC, "p.HiddenC must not be negative");
        int hidden = p.DepthwiseChannels;
        if (p.HiddenC > 0)
        {
            Length(expandWeights.Length, Product(nameof(expandWeights), p.HiddenC, p.InC), nameof(expandWeights));
            CheckBias(expandBias, p.HiddenC, nameof(expandBias));
        }
        Length(depthwiseWeights.Length, Product(nameof(depthwiseWeights), 9L, hidden), nameof(depthwiseWeights));
        CheckBias(depthwiseBias, hidden, nameof(depthwiseBias));
        Length(projectWeights.Length, Product(nameof(projectWeights), p.OutC, hidden), nameof(projectWeights));
        CheckBias(projectBias, p.OutC, nameof(projectBias));
        InvertedResidualParams q = p;
        nint h;
        fixed (float* ew = expandWeights, eb = expandBias, dw = depthwiseWeights, db = depthwiseBias, pw = projectWeights, pb = projectBias)
            NativeError.Check(NativeMethods.mna_f32_irb_pack(&q,
                p.HiddenC > 0 ? ew : null, (nuint)expandWeights.Length, expandBias.IsEmpty ? null : eb, (nuint)expandBias.Length,
                dw, (nuint)depthwiseWeights.Length, depthwiseBias.IsEmpty ? null : db, (nuint)depthwiseBias.Length,
                pw, (nuint)projectWeights.Length, projectBias.IsEmpty ? null : pb, (nuint)projectBias.Length, &h), "mna_f32_irb_pack");
        return Wrap(h, PackedKind.InvertedResidual, p.InC, p.HiddenC, p.OutC, 3, 3);
    }

    /// <summary>Runs a packed inverted-residual block row by row (the expanded tensor never goes to memory).</summary>
    public void RunInvertedResidual(in InvertedResidualParams p, ReadOnlySpan<float> input, Span<float> output,
        NativeThreadPool? pool = null)
    {
        Expect(PackedKind.InvertedResidual);
        Same(p.InC, InC, "InC");
        Same(p.HiddenC, HiddenC, "HiddenC");
        Same(p.OutC, OutC, "OutC");
        Positive(p.Batch, "p.Batch");
        Positive(p.InH, "p.InH");
        Positive(p.InW, "p.InW");
        if (p.OutH < 1 || p.OutW < 1)
            throw new ArgumentException($"p: the 3x3 window does not fit the padded {p.InH}x{p.InW} input", nameof(p));
        Length(input.Length, Product(nameof(input), p.Batch, p.InH, p.InW, p.InC), nameof(input));
        Length(output.Length, Product(nameof(output), p.Batch, p.OutH, p.OutW, p.OutC), nameof(output));
        InvertedResidualParams q = p;
        bool selfAdded = false, poolAdded = false;
        try
        {
            AddRefs(pool, ref selfAdded, ref poolAdded);
            fixed (float* i = input, o = output)
                NativeError.Check(NativeMethods.mna_f32_irb_packed(handle, &q, i, (nuint)input.Length,
                    o, (nuint)output.Length, Pool(pool)), "mna_f32_irb_packed");
        }
        finally { ReleaseRefs(pool, selfAdded, poolAdded); }
    }
}
