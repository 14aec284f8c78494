namespace MobileNetAccel.Interop;

using System.Runtime.InteropServices;

/// <summary>Binding of mna_f32_dwconv2d_dilated (native/include/mna.h).</summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Library)]
    internal static partial NativeStatus mna_f32_dwconv2d_dilated(Conv2DParams* p, int dilationH, int dilationW,
        float* input, nuint inputLen, float* weights, nuint weightsLen, float* bias, nuint biasLen,
        float* output, nuint outputLen, nint pool);
}
