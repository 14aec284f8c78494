using System.Runtime.InteropServices;

namespace MobileNetAccel.Interop;

/// <summary>Raw bindings to RESIZE_BILINEAR and ARG_MAX of native/include/mna.h (native/src/resize/).
/// Callers go through <see cref="NativeResizeKernels"/>.</summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Library)]
    internal static partial NativeStatus mna_resize_bilinear_q8(byte* x, nuint batch, nuint ih, nuint iw, nuint c, nuint oh, nuint ow,
        int* ylo, int* yhi, float* yfrac, int* xlo, int* xhi, float* xfrac, int sgn, int requant, float ratio, int zi, int zo, byte* y, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_resize_bilinear_f32(float* x, nuint batch, nuint ih, nuint iw, nuint c, nuint oh, nuint ow,
        int* ylo, int* yhi, float* yfrac, int* xlo, int* xhi, float* xfrac, float* y, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_argmax_q8(byte* x, nuint n, nuint c, int sgn, int wide, void* output, nint pool);

    [LibraryImport(Library)]
    internal static partial NativeStatus mna_argmax_f32(float* x, nuint n, nuint c, int min, int wide, void* output, nint pool);
}

/// <summary>Checked wrappers of the native resize and argmax kernels: the lengths are checked here against the shapes
/// (the C side trusts them), the status goes through <see cref="NativeError"/>.</summary>
internal static unsafe class NativeResizeKernels
{
    private static nint Pool(NativeThreadPool? pool) => pool is null ? 0 : pool.DangerousGetHandle();

    /// <summary>The sample positions of one output axis (lower and upper source index, the weight of the upper).</summary>
    internal readonly record struct Axis(int[] Lower, int[] Upper, float[] Fraction);

    private static void Shape(long inputLength, long outputLength, int batch, int ih, int iw, int c, Axis ys, Axis xs)
    {
        long need = (long)batch * ih * iw * c, make = (long)batch * ys.Lower.Length * xs.Lower.Length * c;
        if (batch < 1 || ih < 1 || iw < 1 || c < 1 || inputLength < need || outputLength < make)
            throw new ArgumentException($"resize {batch}x{ih}x{iw}x{c} -> {ys.Lower.Length}x{xs.Lower.Length}: input {inputLength} / output {outputLength} elements, {need} / {make} needed");
        if (ys.Upper.Length != ys.Lower.Length || ys.Fraction.Length != ys.Lower.Length || xs.Upper.Length != xs.Lower.Length || xs.Fraction.Length != xs.Lower.Length)
            throw new ArgumentException("resize: the sample-position arrays of an axis differ in length");
    }

    /// <summary>uint8/int8 (<paramref name="signed"/>) NHWC resize; <paramref name="requant"/>: (v − zi)·ratio + zo.</summary>
    public static void Quantized(ReadOnlySpan<byte> x, Span<byte> y, int batch, int ih, int iw, int c, Axis ys, Axis xs,
        bool signed, bool requant, float ratio, int zi, int zo, NativeThreadPool? pool = null)
    {
        Shape(x.Length, y.Length, batch, ih, iw, c, ys, xs);
        fixed (byte* px = x, py = y)
        fixed (int* ylo = ys.Lower, yhi = ys.Upper, xlo = xs.Lower, xhi = xs.Upper)
        fixed (float* yf = ys.Fraction, xf = xs.Fraction)
            NativeError.Check(NativeMethods.mna_resize_bilinear_q8(px, (nuint)batch, (nuint)ih, (nuint)iw, (nuint)c, (nuint)ys.Lower.Length,
                (nuint)xs.Lower.Length, ylo, yhi, yf, xlo, xhi, xf, signed ? 1 : 0, requant ? 1 : 0, ratio, zi, zo, py, Pool(pool)), "mna_resize_bilinear_q8");
    }

    /// <summary>float32 NHWC resize.</summary>
    public static void Float(ReadOnlySpan<float> x, Span<float> y, int batch, int ih, int iw, int c, Axis ys, Axis xs, NativeThreadPool? pool = null)
    {
        Shape(x.Length, y.Length, batch, ih, iw, c, ys, xs);
        fixed (float* px = x, py = y)
        fixed (int* ylo = ys.Lower, yhi = ys.Upper, xlo = xs.Lower, xhi = xs.Upper)
        fixed (float* yf = ys.Fraction, xf = xs.Fraction)
            NativeError.Check(NativeMethods.mna_resize_bilinear_f32(px, (nuint)batch, (nuint)ih, (nuint)iw, (nuint)c, (nuint)ys.Lower.Length,
                (nuint)xs.Lower.Length, ylo, yhi, yf, xlo, xhi, xf, py, Pool(pool)), "mna_resize_bilinear_f32");
    }

    /// <summary>The first maximum of each run of <paramref name="c"/> bytes of <paramref name="x"/>: into int64
    /// <paramref name="output"/> bytes when <paramref name="wide"/>, else int32.</summary>
    public static void ArgMax(ReadOnlySpan<byte> x, int c, bool signed, bool wide, Span<byte> output, NativeThreadPool? pool = null)
    {
        if (c < 1 || x.Length % c != 0)
            throw new ArgumentException($"argmax: {x.Length} bytes are not whole runs of {c}");
        long n = x.Length / c;
        if (output.Length < n * (wide ? 8 : 4))
            throw new ArgumentException($"argmax: {output.Length} output bytes for {n} indices");
        fixed (byte* px = x, py = output)
            NativeError.Check(NativeMethods.mna_argmax_q8(px, (nuint)n, (nuint)c, signed ? 1 : 0, wide ? 1 : 0, py, Pool(pool)), "mna_argmax_q8");
    }

    /// <summary>The first maximum (<paramref name="min"/>: minimum) of each run of <paramref name="c"/> floats of
    /// <paramref name="x"/>, TFLite's rule (strictly greater/less replaces: -0 = +0, a NaN never replaces the best, a
    /// NaN first element is the answer): into
    /// int64 <paramref name="output"/> bytes when <paramref name="wide"/>, else int32.</summary>
    public static void ArgMax(ReadOnlySpan<float> x, int c, bool min, bool wide, Span<byte> output, NativeThreadPool? pool = null)
    {
        if (c < 1 || x.Length % c != 0)
            throw new ArgumentException($"argmax: {x.Length} floats are not whole runs of {c}");
        long n = x.Length / c;
        if (output.Length < n * (wide ? 8 : 4))
            throw new ArgumentException($"argmax: {output.Length} output bytes for {n} indices");
        fixed (float* px = x)
        fixed (byte* py = output)
            NativeError.Check(NativeMethods.mna_argmax_f32(px, (nuint)n, (nuint)c, min ? 1 : 0, wide ? 1 : 0, py, Pool(pool)), "mna_argmax_f32");
    }
}
