using System.Runtime.InteropServices;

namespace MobileNetAccel.Interop;

/// <summary>Raw bindings to the quantized kernels of native/include/mna.h (uint8_t*/int8_t* are passed as byte*).
/// Callers go through <see cref="NativeQuantKernels"/>.</summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qu8_conv2d(Conv2DParams* p, QuantConvParams* q, float* scales, nuint scalesLen,
        byte* input, nuint inputLen, byte* weights, nuint weightsLen, int* bias, nuint biasLen, byte* output, nuint outputLen, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qs8_conv2d(Conv2DParams* p, QuantConvParams* q, float* scales, nuint scalesLen,
        byte* input, nuint inputLen, byte* weights, nuint weightsLen, int* bias, nuint biasLen, byte* output, nuint outputLen, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qu8_dwconv2d(Conv2DParams* p, QuantConvParams* q, float* scales, nuint scalesLen,
        byte* input, nuint inputLen, byte* weights, nuint weightsLen, int* bias, nuint biasLen, byte* output, nuint outputLen, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qs8_dwconv2d(Conv2DParams* p, QuantConvParams* q, float* scales, nuint scalesLen,
        byte* input, nuint inputLen, byte* weights, nuint weightsLen, int* bias, nuint biasLen, byte* output, nuint outputLen, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qu8_fully_connected(int batch, int inN, int outN, QuantConvParams* q, float* scales, nuint scalesLen,
        byte* input, nuint inputLen, byte* weights, nuint weightsLen, int* bias, nuint biasLen, byte* output, nuint outputLen, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qs8_fully_connected(int batch, int inN, int outN, QuantConvParams* q, float* scales, nuint scalesLen,
        byte* input, nuint inputLen, byte* weights, nuint weightsLen, int* bias, nuint biasLen, byte* output, nuint outputLen, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qu8_avgpool2d(Conv2DParams* p, int outputMin, int outputMax, byte* input, nuint inputLen, byte* output, nuint outputLen);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qs8_avgpool2d(Conv2DParams* p, int outputMin, int outputMax, byte* input, nuint inputLen, byte* output, nuint outputLen);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qu8_global_avgpool(int batch, int h, int w, int c, QuantEltwiseParams* q, byte* input, nuint inputLen, byte* output, nuint outputLen);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qs8_global_avgpool(int batch, int h, int w, int c, QuantEltwiseParams* q, byte* input, nuint inputLen, byte* output, nuint outputLen);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qu8_add(long count, QuantEltwiseParams* q, byte* a, nuint aLen, byte* b, nuint bLen, byte* output, nuint outputLen);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qs8_add(long count, QuantEltwiseParams* q, byte* a, nuint aLen, byte* b, nuint bLen, byte* output, nuint outputLen);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qu8_softmax(int batch, int n, float beta, QuantEltwiseParams* q, byte* input, nuint inputLen, byte* output, nuint outputLen);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qs8_softmax(int batch, int n, float beta, QuantEltwiseParams* q, byte* input, nuint inputLen, byte* output, nuint outputLen);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qu8_quantize(long count, float scale, int zeroPoint, float* input, nuint inputLen, byte* output, nuint outputLen);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qs8_quantize(long count, float scale, int zeroPoint, float* input, nuint inputLen, byte* output, nuint outputLen);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qu8_dequantize(long count, float scale, int zeroPoint, byte* input, nuint inputLen, float* output, nuint outputLen);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_qs8_dequantize(long count, float scale, int zeroPoint, byte* input, nuint inputLen, float* output, nuint outputLen);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_requantize_fp32(int acc, float scale, int zeroPoint, int outputMin, int outputMax, int* result);
}

/// <summary>Element type of a quantized kernel: uint8 (qu8) or int8 (qs8).</summary>
internal enum QuantizedType
{
    UInt8 = 0,
    Int8 = 1,
}

/// <summary>mna_quant_conv_params: zero points and the inclusive output clamp (fused activation included).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct QuantConvParams
{
    public int InputZeroPoint, WeightZeroPoint, OutputZeroPoint, OutputMin, OutputMax;
}

/// <summary>mna_quant_eltwise_params: scales/zero points of the inputs a, b and the output, and the output clamp.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct QuantEltwiseParams
{
    public float AScale;
    public int AZeroPoint;
    public float BScale;
    public int BZeroPoint;
    public float OutputScale;
    public int OutputZeroPoint;
    public int OutputMin, OutputMax;
}
