using System.Runtime.InteropServices;

namespace MobileNetAccel.Interop;

/// <summary>Raw bindings to the pre-packed integer layers and the integer kernel tables of native/include/mna.h
/// ("fast integer kernels"). Callers go through <see cref="NativeQ8Layer"/> and <see cref="NativeQ8Kernels"/>.</summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Library)] internal static partial NativeStatus mna_q8_select_isa(IntegerKernelIsa isa);
    [LibraryImport(Library)] internal static partial IntegerKernelIsa mna_q8_current_isa();
    [LibraryImport(Library)] internal static partial int mna_q8_isa_supported(IntegerKernelIsa isa);
    [LibraryImport(Library)] internal static partial nint mna_q8_isa_name(IntegerKernelIsa isa);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_q8_pack(Q8Layer* layer, QuantConvParams* q, float* scales, nuint scalesLen,
        byte* weights, nuint weightsLen, int* bias, nuint biasLen, nint* packed);

    [LibraryImport(Library)] internal static partial NativeStatus mna_q8_packed_destroy(nint packed);
    [LibraryImport(Library)] internal static partial IntegerKernelIsa mna_q8_packed_isa(nint packed);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_q8_conv2d_run(nint packed, Conv2DParams* p, int dilationH, int dilationW,
        byte* input, nuint inputLen, byte* output, nuint outputLen, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_q8_irb_run(nint expand, nint depthwise, nint project, QuantEltwiseParams* add,
        InvertedResidualParams* p, byte* input, nuint inputLen, byte* output, nuint outputLen, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_q8_fully_connected_run(nint packed, int batch, byte* input, nuint inputLen,
        byte* output, nuint outputLen, nint pool);
}

/// <summary>Integer kernel tables (mna_isa_q8), selected apart from the float ones.</summary>
internal enum IntegerKernelIsa
{
    Auto = 0,
    Reference = 1,
    Scalar = 2,
    Avx2 = 3,
    AvxVnni = 4,
    Avx512Vnni = 5,
    Neon = 6,
    NeonDot = 7,
}

/// <summary>What a <see cref="NativeQ8Layer"/> holds (mna_q8_layer.kind).</summary>
internal enum Q8LayerKind
{
    Conv2D = 0,
    Depthwise = 1,
    FullyConnected = 2,
}

/// <summary>mna_q8_layer.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Q8Layer
{
    public int Kind, InputType, WeightType, InC, OutC, KernelH, KernelW;
}
