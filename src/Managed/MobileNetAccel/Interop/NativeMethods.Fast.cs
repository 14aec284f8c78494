namespace MobileNetAccel.Interop;

using System.Runtime.InteropServices;

/// <summary>Bindings to the pre-packed-weights part of native/include/mna.h (mna_packed).</summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Library)] internal static partial NativeStatus mna_packed_destroy(nint packed);
    [LibraryImport(Library)] internal static partial KernelIsa mna_packed_isa(nint packed);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_pwconv_pack(int inC, int outC, float* weights, nuint weightsLen,
        float* bias, nuint biasLen, nint* packed);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_pwconv_packed(nint packed, long pixels, float* input, nuint inputLen,
        int activation, float* output, nuint outputLen, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_conv2d_pack(Conv2DParams* p, float* weights, nuint weightsLen,
        float* bias, nuint biasLen, nint* packed);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_conv2d_packed(nint packed, Conv2DParams* p, float* input, nuint inputLen,
        float* output, nuint outputLen, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_irb_pack(InvertedResidualParams* p,
        float* expandW, nuint expandWLen, float* expandB, nuint expandBLen,
        float* dwW, nuint dwWLen, float* dwB, nuint dwBLen,
        float* projectW, nuint projectWLen, float* projectB, nuint projectBLen, nint* packed);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_irb_packed(nint packed, InvertedResidualParams* p, float* input, nuint inputLen,
        float* output, nuint outputLen, nint pool);
}
