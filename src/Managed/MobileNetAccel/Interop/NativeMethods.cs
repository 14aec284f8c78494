using System.Runtime.InteropServices;

namespace MobileNetAccel.Interop;

/// <summary>Raw bindings to native/include/mna.h. Callers go through <see cref="NativeKernels"/>.</summary>
internal static unsafe partial class NativeMethods
{
    internal const string Library = "mna";

    [LibraryImport(Library)] internal static partial nint mna_last_error();
    [LibraryImport(Library)] internal static partial nint mna_version();
    [LibraryImport(Library)] internal static partial NativeStatus mna_cpu_features(ulong* features);
    [LibraryImport(Library)] internal static partial nint mna_cpu_features_string();
    [LibraryImport(Library)] internal static partial NativeStatus mna_select_isa(KernelIsa isa);
    [LibraryImport(Library)] internal static partial KernelIsa mna_current_isa();
    [LibraryImport(Library)] internal static partial int mna_isa_supported(KernelIsa isa);

    [LibraryImport(Library)] internal static partial NativeStatus mna_threadpool_create(int threads, nint* pool);
    [LibraryImport(Library)] internal static partial NativeStatus mna_threadpool_destroy(nint pool);
    [LibraryImport(Library)] internal static partial int mna_threadpool_threads(nint pool);

    [LibraryImport(Library)] internal static partial NativeStatus mna_conv2d_output_shape(Conv2DParams* p, int* outH, int* outW);
    [LibraryImport(Library)] internal static partial NativeStatus mna_irb_output_shape(InvertedResidualParams* p, int* outH, int* outW);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_conv2d(Conv2DParams* p, float* input, nuint inputLen, float* weights, nuint weightsLen,
        float* bias, nuint biasLen, float* output, nuint outputLen, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_dwconv2d(Conv2DParams* p, float* input, nuint inputLen, float* weights, nuint weightsLen,
        float* bias, nuint biasLen, float* output, nuint outputLen, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_pwconv(long pixels, int inC, int outC, float* input, nuint inputLen, float* weights, nuint weightsLen,
        float* bias, nuint biasLen, int activation, float* output, nuint outputLen, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_irb(InvertedResidualParams* p, float* input, nuint inputLen,
        float* expandW, nuint expandWLen, float* expandB, nuint expandBLen,
        float* dwW, nuint dwWLen, float* dwB, nuint dwBLen,
        float* projectW, nuint projectWLen, float* projectB, nuint projectBLen,
        float* output, nuint outputLen, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_avgpool2d(Conv2DParams* p, float* input, nuint inputLen, float* output, nuint outputLen, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_global_avgpool(int batch, int h, int w, int c, float* input, nuint inputLen,
        float* output, nuint outputLen, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_fully_connected(int batch, int inN, int outN, float* input, nuint inputLen,
        float* weights, nuint weightsLen, float* bias, nuint biasLen, int activation, float* output, nuint outputLen, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_softmax(int batch, int n, float beta, float* input, nuint inputLen, float* output, nuint outputLen);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_add(long count, float* a, nuint aLen, float* b, nuint bLen, int activation, float* output, nuint outputLen);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_activation(long count, int activation, float* input, nuint inputLen, float* output, nuint outputLen);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_pad2d(int batch, int inH, int inW, int c, int padTop, int padLeft, int padBottom, int padRight,
        float value, float* input, nuint inputLen, float* output, nuint outputLen);
}

/// <summary>mna_status.</summary>
public enum NativeStatus
{
    Ok = 0,
    NullPointer = 1,
    InvalidArgument = 2,
    BufferTooSmall = 3,
    Unsupported = 4,
    OutOfMemory = 5,
    Internal = 6,
}

/// <summary>Kernel tables of the native library (mna_isa).</summary>
internal enum KernelIsa
{
    Auto = 0,
    Reference = 1,
    Scalar = 2,
    Avx2 = 3,
    Avx512 = 4,
    Neon = 5,
}

/// <summary>Fused activation as the C ABI spells it (mna_activation); the graph's <c>MobileNetAccel.Graph.Activation</c>
/// is converted to it by the native backend.</summary>
internal enum NativeActivation
{
    None = 0,
    Relu = 1,
    Relu6 = 2,
}

/// <summary>Parameters of a convolution / depthwise convolution / pooling window (mna_conv2d_params). NHWC.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Conv2DParams
{
    public int Batch, InH, InW, InC, OutC;
    public int KernelH, KernelW, StrideH, StrideW;
    public int PadTop, PadLeft, PadBottom, PadRight;
    public NativeActivation Activation;

    /// <summary>Output height by the usual formula; may be &lt; 1 for invalid params.</summary>
    public readonly int OutH => WindowOut.Size(InH, PadTop, PadBottom, KernelH, StrideH);
    /// <summary>Output width by the usual formula; may be &lt; 1 for invalid params.</summary>
    public readonly int OutW => WindowOut.Size(InW, PadLeft, PadRight, KernelW, StrideW);
}

/// <summary>Parameters of the fused inverted-residual block (mna_irb_params).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct InvertedResidualParams
{
    public int Batch, InH, InW, InC;
    /// <summary>Expanded channel count; 0 = no expand layer.</summary>
    public int HiddenC;
    public int OutC;
    public int Stride;
    public int PadTop, PadLeft, PadBottom, PadRight;
    public NativeActivation ExpandActivation, DepthwiseActivation, ProjectActivation;
    /// <summary>1 to add the input to the output (stride 1, InC == OutC).</summary>
    public int Residual;

    public readonly int DepthwiseChannels => HiddenC == 0 ? InC : HiddenC;
    public readonly int OutH => WindowOut.Size(InH, PadTop, PadBottom, 3, Stride);
    public readonly int OutW => WindowOut.Size(InW, PadLeft, PadRight, 3, Stride);
}

/// <summary>out = (in + padA + padB - kernel) / stride + 1, computed in 64 bits (int32 sums of huge pads overflow) and
/// saturated to the int range: int.MaxValue means "too large", and validation rejects it.</summary>
internal static class WindowOut
{
    internal static long Size64(int size, int padA, int padB, int kernel, int stride) =>
        stride <= 0 ? 0 : ((long)size + padA + padB - kernel) / stride + 1;

    internal static int Size(int size, int padA, int padB, int kernel, int stride) =>
        (int)Math.Clamp(Size64(size, padA, padB, kernel, stride), int.MinValue, int.MaxValue);
}
