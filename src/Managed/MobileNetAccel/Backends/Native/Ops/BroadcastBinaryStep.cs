using System.Numerics;
using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>
/// Add / Mul with numpy broadcasting and constant operands (what the native same-shape add does not cover: a bias or
/// scale added by an ONNX/Keras graph, Mul, a residual of broadcast shapes), with fused activation. Written in C#:
/// the output is walked row by row (last axis) with both operands' offsets kept incrementally; a row is a
/// <see cref="Vector{T}"/> loop when both operands are contiguous along it, else scalar with a zero stride.
/// </summary>
internal sealed class BroadcastBinaryStep : NativeStep
{
    private readonly Value _a, _b, _output;
    private readonly float[]? _constA, _constB;
    private readonly bool _mul;
    private readonly Activation _activation;
    private readonly int[] _shape;
    private readonly long[] _strideA, _strideB;

    public static NativeStepFactory? Plan(BinaryNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason))
            return null;
        if (n.Inputs[0]!.IsConstant && n.Inputs[1]!.IsConstant)
        {
            reason = "both operands are constants (should be folded)";
            return null;
        }
        return _ => new BroadcastBinaryStep(n);
    }

    private BroadcastBinaryStep(BinaryNode n)
    {
        _a = n.Inputs[0]!;
        _b = n.Inputs[1]!;
        _output = n.Output;
        _mul = n is MulNode;
        _activation = n.Activation;
        _constA = _a.IsConstant ? _a.AsFloats().ToArray() : null;
        _constB = _b.IsConstant ? _b.AsFloats().ToArray() : null;
        _shape = (int[])_output.Shape.Clone();
        if (_shape.Length == 0)
            _shape = new[] { 1 };
        _strideA = Strides(_a.Shape, _shape.Length);
        _strideB = Strides(_b.Shape, _shape.Length);
    }

    /// <summary>Element strides of an operand aligned to the output's rank; 0 along broadcast axes.</summary>
    private static long[] Strides(int[] shape, int rank)
    {
        var s = new long[rank];
        long acc = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            int i = d - (rank - shape.Length);
            int size = i >= 0 ? shape[i] : 1;
            s[d] = size == 1 ? 0 : acc;
            acc *= size;
        }
        return s;
    }

    public override void Run(IArena arena)
    {
        ReadOnlySpan<float> a = _constA ?? (ReadOnlySpan<float>)arena.Span<float>(_a);
        ReadOnlySpan<float> b = _constB ?? (ReadOnlySpan<float>)arena.Span<float>(_b);
        var y = arena.Span<float>(_output);
        int rank = _shape.Length, row = _shape[rank - 1];
        long sa = _strideA[rank - 1], sb = _strideB[rank - 1];
        Span<int> index = stackalloc int[rank];
        long offA = 0, offB = 0;
        for (int e = 0; e < y.Length; e += row)
        {
            var yr = y.Slice(e, row);
            if (sa == 1 && sb == 1)
                Contiguous(a.Slice((int)offA, row), b.Slice((int)offB, row), yr);
            else
                for (int i = 0; i < row; i++)
                    yr[i] = Apply(a[(int)(offA + i * sa)], b[(int)(offB + i * sb)]);
            for (int d = rank - 2; d >= 0; d--)
            {
                offA += _strideA[d];
                offB += _strideB[d];
                if (++index[d] < _shape[d])
                    break;
                offA -= _strideA[d] * _shape[d];
                offB -= _strideB[d] * _shape[d];
                index[d] = 0;
            }
        }
    }

    private float Apply(float x, float z)
    {
        float r = _mul ? x * z : x + z;
        return _activation switch
        {
            Activation.Relu => r < 0 ? 0 : r,
            Activation.Relu6 => r < 0 ? 0 : r > 6 ? 6 : r,
            _ => r,
        };
    }

    private void Contiguous(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && _activation == Activation.None)
            for (; i <= y.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var va = new Vector<float>(a.Slice(i));
                var vb = new Vector<float>(b.Slice(i));
                (_mul ? va * vb : va + vb).CopyTo(y.Slice(i));
            }
        for (; i < y.Length; i++)
            y[i] = Apply(a[i], b[i]);
    }
}
