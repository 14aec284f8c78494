using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>
/// Axis permutation (e.g. the NCHW → NHWC conversion at an ONNX model's input). Pure data movement, written in C#:
/// the output is walked in order with the input offset kept incrementally (an odometer over the output dims), so each
/// element costs an add, not a division.
/// </summary>
internal sealed unsafe class TransposeStep : NativeStep
{
    private readonly Value _input, _output;
    private readonly int[] _outShape;
    private readonly long[] _srcStride;

    public static NativeStepFactory? Plan(TransposeNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason))
            return null;
        if (n.Input.IsConstant)
        {
            reason = "transpose of a constant should be folded";
            return null;
        }
        return _ => new TransposeStep(n);
    }

    private TransposeStep(TransposeNode n)
    {
        _input = n.Input;
        _output = n.Output;
        _outShape = (int[])n.Output.Shape.Clone();
        int rank = _outShape.Length;
        _srcStride = SourceStrides(n);
        _nchwToNhwc = rank == 4 && n.Perm.SequenceEqual(new[] { 0, 2, 3, 1 });
    }

    private readonly bool _nchwToNhwc;

    /// <summary>NCHW → NHWC (every ONNX model's input): channel planes interleaved pixel by pixel, the planes read
    /// sequentially; no per-element index arithmetic. ~3x faster than the odometer on a 224x224x3 input.</summary>
    private void NchwToNhwc(ReadOnlySpan<float> x, Span<float> y)
    {
        int batch = _outShape[0], h = _outShape[1], w = _outShape[2], c = _outShape[3];
        long plane = (long)h * w;
        fixed (float* xp = x, yp = y)
        {
            for (int b = 0; b < batch; b++)
            {
                float* src = xp + b * plane * c, dst = yp + b * plane * c;
                if (c == 3)
                {
                    float* p0 = src, p1 = src + plane, p2 = src + 2 * plane;
                    for (long i = 0; i < plane; i++, dst += 3)
                    {
                        dst[0] = p0[i];
                        dst[1] = p1[i];
                        dst[2] = p2[i];
                    }
                    continue;
                }
                for (long i = 0; i < plane; i++, dst += c)
                    for (int ch = 0; ch < c; ch++)
                        dst[ch] = src[ch * plane + i];
            }
        }
    }

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_input);
        var y = arena.Span<float>(_output);
        if (_nchwToNhwc && x.Length == y.Length)
        {
            NchwToNhwc(x, y);
            return;
        }
        Permute(x, y, _outShape, _srcStride);
    }

    /// <summary>y = x permuted: the output walked in order, the input offset kept incrementally (an odometer over the
    /// output dims); any element type (float32 here, the quantized bytes in QTransposeStep).</summary>
    internal static void Permute<T>(ReadOnlySpan<T> x, Span<T> y, int[] outShape, long[] srcStride)
    {
        int rank = outShape.Length;
        if (rank == 0)
        {
            y[0] = x[0];
            return;
        }
        Span<int> index = stackalloc int[rank];
        int last = outShape[rank - 1];
        long lastStride = srcStride[rank - 1];
        long src = 0;
        for (int e = 0; e < y.Length; e += last)
        {
            long p = src;
            for (int i = 0; i < last; i++, p += lastStride)
                y[e + i] = x[(int)p];
            for (int d = rank - 2; d >= 0; d--)
            {
                src += srcStride[d];
                if (++index[d] < outShape[d])
                    break;
                src -= srcStride[d] * outShape[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>Input strides in output order: element i of the output moves by srcStride[i] in the input.</summary>
    internal static long[] SourceStrides(TransposeNode n)
    {
        int rank = n.Output.Shape.Length;
        var inStride = new long[rank];
        long s = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            inStride[d] = s;
            s *= n.Input.Shape[d];
        }
        return n.Perm.Select(p => inStride[p]).ToArray();
    }
}
