using System.Runtime.InteropServices;

namespace MobileNetAccel.Interop;

/// <summary>The integer kernel tables: which one runs (probed once: AVX-512 VNNI → AVX-VNNI → AVX2 → scalar, NEON
/// dotprod → NEON → scalar), and forcing one (tests, benchmarks). Every table gives the reference kernels' bytes.</summary>
internal static class NativeQ8Kernels
{
    public static IntegerKernelIsa Current => NativeMethods.mna_q8_current_isa();

    public static bool IsSupported(IntegerKernelIsa isa) => NativeMethods.mna_q8_isa_supported(isa) != 0;

    /// <summary>Process-wide; layers packed earlier keep the table they were packed for.</summary>
    public static void Select(IntegerKernelIsa isa) => NativeError.Check(NativeMethods.mna_q8_select_isa(isa), "mna_q8_select_isa");

    /// <summary>"avx512vnni", "avx2", "reference", ...</summary>
    public static string Name(IntegerKernelIsa isa) => Marshal.PtrToStringUTF8(NativeMethods.mna_q8_isa_name(isa)) ?? "unknown";
}

/// <summary>
/// A quantized convolution, depthwise convolution or fully connected layer packed once, at load time, for the integer
/// table selected then (mna_q8_pack): zero points folded into the bias, weights in the microkernels' layout.
/// Immutable: several threads may run one object at once. Owns its native memory (released by Dispose or the
/// finalizer).
/// </summary>
internal sealed unsafe class NativeQ8Layer : SafeHandle
{
    private NativeQ8Layer(Q8LayerKind kind, QuantizedType type, int inC, int outC, int kh, int kw) : base(0, ownsHandle: true)
    {
        Kind = kind;
        Type = type;
        InC = inC;
        OutC = outC;
        KernelH = kh;
        KernelW = kw;
    }

    public override bool IsInvalid => handle == 0;
    public Q8LayerKind Kind { get; }
    public QuantizedType Type { get; }
    public int InC { get; }
    public int OutC { get; }
    public int KernelH { get; }
    public int KernelW { get; }

    /// <summary>The table the layer runs (Reference when its accumulator bound sends it to the reference kernels).</summary>
    public IntegerKernelIsa Isa => NativeMethods.mna_q8_packed_isa(handle);

    protected override bool ReleaseHandle() => NativeMethods.mna_q8_packed_destroy(handle) == NativeStatus.Ok;

    /// <summary>Packs a layer. weights: OHWI (convolution), [KH][KW][C] (depthwise) or [OutC][InC] (fully connected),
    /// of the activations' type; bias: OutC int32 values or empty; scales: 1 or OutC (input·weight/output).</summary>
    public static NativeQ8Layer Pack(Q8LayerKind kind, QuantizedType type, int inC, int outC, int kernelH, int kernelW,
        in QuantConvParams q, ReadOnlySpan<float> scales, ReadOnlySpan<byte> weights, ReadOnlySpan<int> bias)
    {
        if (!bias.IsEmpty && bias.Length < outC)
            throw new ArgumentException($"bias has {bias.Length} values; {outC} (or none) required", nameof(bias));
        var layer = new Q8Layer { Kind = (int)kind, InputType = (int)type, WeightType = (int)type, InC = inC, OutC = outC, KernelH = kernelH, KernelW = kernelW };
        QuantConvParams qq = q;
        nint h;
        fixed (float* s = scales)
        fixed (byte* w = weights)
        fixed (int* b = bias)
            NativeError.Check(NativeMethods.mna_q8_pack(&layer, &qq, s, (nuint)scales.Length, w, (nuint)weights.Length,
                bias.IsEmpty ? null : b, (nuint)bias.Length, &h), "mna_q8_pack");
        var p = new NativeQ8Layer(kind, type, inC, outC, kernelH, kernelW);
        p.SetHandle(h);
        return p;
    }

    private static nint Pool(NativeThreadPool? pool) => pool is null ? 0 : pool.DangerousGetHandle();

    /// <summary>Convolution / depthwise: input NHWC → output NHWC (p: the packed channels and kernel; dilation ≥ 1).
    /// The native side checks every size and length.</summary>
    public void RunConv(in Conv2DParams p, int dilationH, int dilationW, ReadOnlySpan<byte> input, Span<byte> output,
        NativeThreadPool? pool)
    {
        Conv2DParams pp = p;
        bool selfAdded = false, poolAdded = false;
        try
        {
            DangerousAddRef(ref selfAdded);
            pool?.DangerousAddRef(ref poolAdded);
            fixed (byte* i = input, o = output)
                NativeError.Check(NativeMethods.mna_q8_conv2d_run(handle, &pp, dilationH, dilationW, i, (nuint)input.Length,
                    o, (nuint)output.Length, Pool(pool)), "mna_q8_conv2d_run");
        }
        finally
        {
            if (poolAdded) pool!.DangerousRelease();
            if (selfAdded) DangerousRelease();
        }
    }

    /// <summary>Fully connected: input [batch][InC] → output [batch][OutC].</summary>
    public void RunFullyConnected(int batch, ReadOnlySpan<byte> input, Span<byte> output, NativeThreadPool? pool)
    {
        bool selfAdded = false, poolAdded = false;
        try
        {
            DangerousAddRef(ref selfAdded);
            pool?.DangerousAddRef(ref poolAdded);
            fixed (byte* i = input, o = output)
                NativeError.Check(NativeMethods.mna_q8_fully_connected_run(handle, batch, i, (nuint)input.Length, o,
                    (nuint)output.Length, Pool(pool)), "mna_q8_fully_connected_run");
        }
        finally
        {
            if (poolAdded) pool!.DangerousRelease();
            if (selfAdded) DangerousRelease();
        }
    }

    /// <summary>A fused inverted-residual block (mna_q8_irb_run): expand (null when p.HiddenC is 0) → depthwise 3x3 →
    /// project → optional residual add (a = project output, b = block input). Same bytes as the layers one by one.</summary>
    public static void RunBlock(NativeQ8Layer? expand, NativeQ8Layer depthwise, NativeQ8Layer project, QuantEltwiseParams? add,
        in InvertedResidualParams p, ReadOnlySpan<byte> input, Span<byte> output, NativeThreadPool? pool)
    {
        ArgumentNullException.ThrowIfNull(depthwise);
        ArgumentNullException.ThrowIfNull(project);
        InvertedResidualParams pp = p;
        QuantEltwiseParams aq = add.GetValueOrDefault();
        bool e = false, d = false, j = false, o = false;
        try
        {
            expand?.DangerousAddRef(ref e);
            depthwise.DangerousAddRef(ref d);
            project.DangerousAddRef(ref j);
            pool?.DangerousAddRef(ref o);
            fixed (byte* i = input, y = output)
                NativeError.Check(NativeMethods.mna_q8_irb_run(expand is null ? 0 : expand.handle, depthwise.handle, project.handle,
                    add.HasValue ? &aq : null, &pp, i, (nuint)input.Length, y, (nuint)output.Length, Pool(pool)), "mna_q8_irb_run");
        }
        finally
        {
            if (o) pool!.DangerousRelease();
            if (j) project.DangerousRelease();
            if (d) depthwise.DangerousRelease();
            if (e) expand!.DangerousRelease();
        }
    }
}
