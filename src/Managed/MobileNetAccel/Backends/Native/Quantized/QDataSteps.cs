using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Quantized;

/// <summary>Reshape of a quantized tensor: the bytes are unchanged.</summary>
internal sealed class QCopyStep : QuantizedStep
{
    private readonly Value _input, _output;

    public static QuantizedStepFactory? Plan(ReshapeNode n, out string reason)
    {
        reason = "";
        if (n.Input.IsConstant || n.Input.DataType != n.Output.DataType)
        {
            reason = "reshape of a constant or with a type change";
            return null;
        }
        return _ => new QCopyStep(n);
    }

    private QCopyStep(ReshapeNode n)
    {
        _input = n.Input;
        _output = n.Output;
    }

    public override void Run(IArena arena) => arena.Span<byte>(_input).CopyTo(arena.Span<byte>(_output));
}

/// <summary>Axis permutation of a quantized tensor (e.g. a uint8 input in ONNX's NCHW order): the bytes move, the
/// parameters stay.</summary>
internal sealed class QTransposeStep : QuantizedStep
{
    private readonly Value _input, _output;
    private readonly int[] _outShape;
    private readonly long[] _srcStride;

    public static QuantizedStepFactory? Plan(TransposeNode n, out string reason)
    {
        reason = "";
        if (n.Input.IsConstant || n.Input.DataType != n.Output.DataType || !Q.SameQuantization(n.Input, n.Output))
        {
            reason = "transpose of a constant, or with a change of type or quantization";
            return null;
        }
        return _ => new QTransposeStep(n);
    }

    private QTransposeStep(TransposeNode n)
    {
        _input = n.Input;
        _output = n.Output;
        _outShape = (int[])n.Output.Shape.Clone();
        _srcStride = Ops.TransposeStep.SourceStrides(n);
    }

    public override void Run(IArena arena) =>
        Ops.TransposeStep.Permute<byte>(arena.Span<byte>(_input), arena.Span<byte>(_output), _outShape, _srcStride);
}

/// <summary>Constant padding of a quantized tensor (any rank): the pad value (real) is quantized with the output's
/// parameters, so real 0 pads with the zero point.</summary>
internal sealed class QPadStep : QuantizedStep
{
    private readonly Value _input, _output;
    private readonly byte _fill;
    private readonly int[] _before;

    public static QuantizedStepFactory? Plan(PadNode n, out string reason)
    {
        if (!Q.PerTensor(n.Input, out reason) || !Q.PerTensor(n.Output, out reason))
            return null;
        if (!Q.SameQuantization(n.Input, n.Output))
        {
            reason = "quantized pad needs the same scale and zero point in and out";
            return null;
        }
        return _ => new QPadStep(n);
    }

    private QPadStep(PadNode n)
    {
        _input = n.Input;
        _output = n.Output;
        _before = n.Before;
        var q = _output.Quantization!;
        var (lo, hi) = Q.TypeRange(_output.DataType);
        int v = Math.Clamp((int)q.ZeroPoint + (int)MathF.Round(n.PadValue / q.Scale, MidpointRounding.ToEven), lo, hi);
        _fill = unchecked((byte)v);
    }

    public override void Run(IArena arena)
    {
        var x = arena.Span<byte>(_input);
        var y = arena.Span<byte>(_output);
        y.Fill(_fill);
        int[] xs = _input.Shape, ys = _output.Shape;
        int rank = xs.Length;
        if (rank == 0)
        {
            x.CopyTo(y);
            return;
        }
        int inner = xs[^1];
        long rows = x.Length / inner;
        var idx = new int[rank];
        for (long r = 0; r < rows; r++)
        {
            long rem = r;
            for (int d = rank - 2; d >= 0; d--)
            {
                idx[d] = (int)(rem % xs[d]);
                rem /= xs[d];
            }
            long o = 0;
            for (int d = 0; d < rank - 1; d++)
                o = o * ys[d] + idx[d] + _before[d];
            o = o * ys[^1] + _before[^1];
            x.Slice((int)(r * inner), inner).CopyTo(y.Slice((int)o, inner));
        }
    }
}

/// <summary>Standalone RELU/RELU6 on a quantized tensor: requantized to the output's parameters through float, then
/// clamped to the activation's range (a pure clamp when the parameters are equal).</summary>
internal sealed class QRequantizeStep : QuantizedStep
{
    private readonly Value _input, _output;
    private readonly int _min, _max;
    private readonly float _si, _so;
    private readonly int _zi, _zo;
    private readonly bool _signedIn, _signedOut;

    public static QuantizedStepFactory? Plan(Node n, Activation act, out string reason)
    {
        if (!Q.PerTensor(n.Input, out reason) || !Q.PerTensor(n.Output, out reason))
            return null;
        return _ => new QRequantizeStep(n, act);
    }

    private QRequantizeStep(Node n, Activation act)
    {
        _input = n.Input;
        _output = n.Output;
        (_min, _max) = Q.ActivationRange(act, _output);
        _si = _input.Quantization!.Scale;
        _so = _output.Quantization!.Scale;
        _zi = (int)_input.Quantization.ZeroPoint;
        _zo = (int)_output.Quantization.ZeroPoint;
        _signedIn = _input.DataType == DataType.Int8;
        _signedOut = _output.DataType == DataType.Int8;
    }

    public override void Run(IArena arena)
    {
        var x = arena.Span<byte>(_input);
        var y = arena.Span<byte>(_output);
        bool same = _si == _so && _zi == _zo && _signedIn == _signedOut;
        float ratio = _si / _so;
        for (int i = 0; i < x.Length; i++)
        {
            int q = _signedIn ? (sbyte)x[i] : x[i];
            int v = same ? q : _zo + (int)MathF.Round((q - _zi) * ratio, MidpointRounding.ToEven);
            y[i] = unchecked((byte)Math.Clamp(v, _min, _max));
        }
    }
}

/// <summary>QUANTIZE: float32 → uint8/int8 (mna kernel), or quantized → quantized (requantization).</summary>
internal sealed class QuantizeStep : QuantizedStep
{
    private readonly Value _input, _output;
    private readonly QRequantizeStep? _requant;

    public static QuantizedStepFactory? Plan(QuantizeNode n, out string reason)
    {
        if (!Q.PerTensor(n.Output, out reason))
            return null;
        if (n.Input.DataType == DataType.Float32)
            return _ => new QuantizeStep(n, null);
        var inner = QRequantizeStep.Plan(n, Activation.None, out reason);
        return inner is null ? null : pool => new QuantizeStep(n, inner(pool));
    }

    private QuantizeStep(QuantizeNode n, QuantizedStep? requant)
    {
        _input = n.Input;
        _output = n.Output;
        _requant = (QRequantizeStep?)requant;
    }

    public override void Run(IArena arena)
    {
        if (_requant is not null)
        {
            _requant.Run(arena);
            return;
        }
        var q = _output.Quantization!;
        NativeQuantKernels.Quantize(Q.Type(_output.DataType), q.Scale, (int)q.ZeroPoint, arena.Span<float>(_input), arena.Span<byte>(_output));
    }
}

internal sealed class DequantizeStep : QuantizedStep
{
    private readonly Value _input, _output;

    public static QuantizedStepFactory? Plan(DequantizeNode n, out string reason)
    {
        if (!Q.PerTensor(n.Input, out reason))
            return null;
        return _ => new DequantizeStep(n);
    }

    private DequantizeStep(DequantizeNode n)
    {
        _input = n.Input;
        _output = n.Output;
    }

    public override void Run(IArena arena)
    {
        var q = _input.Quantization!;
        NativeQuantKernels.Dequantize(Q.Type(_input.DataType), q.Scale, (int)q.ZeroPoint, arena.Span<byte>(_input), arena.Span<float>(_output));
    }
}
