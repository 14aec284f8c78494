using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Quantized;

internal sealed class QAddStep : QuantizedStep
{
    private readonly Value _a, _b, _output;
    private readonly QuantEltwiseParams _q;
    private readonly QuantizedType _type;

    public static QuantizedStepFactory? Plan(AddNode n, out string reason)
    {
        var a = n.Inputs[0]!;
        var b = n.Inputs[1]!;
        if (!Q.PerTensor(a, out reason) || !Q.PerTensor(b, out reason) || !Q.PerTensor(n.Output, out reason))
            return null;
        if (a.DataType != b.DataType || a.DataType != n.Output.DataType || !a.Shape.AsSpan().SequenceEqual(b.Shape) || a.IsConstant || b.IsConstant)
        {
            reason = "quantized add needs two run-time inputs of the same shape and type as the output";
            return null;
        }
        return _ => new QAddStep(n);
    }

    private QAddStep(AddNode n)
    {
        _a = n.Inputs[0]!;
        _b = n.Inputs[1]!;
        _output = n.Output;
        _type = Q.Type(_output.DataType);
        _q = Q.Eltwise(_a, _b, _output, n.Activation);
    }

    public override void Run(IArena arena) =>
        NativeQuantKernels.Add(_type, _output.ElementCount, _q, arena.Span<byte>(_a), arena.Span<byte>(_b), arena.Span<byte>(_output));
}

internal sealed class QAveragePoolStep : QuantizedStep
{
    private readonly Value _input, _output;
    private readonly Conv2DParams _p;
    private readonly int _min, _max;
    private readonly QuantizedType _type;

    public static QuantizedStepFactory? Plan(AveragePool2DNode n, out string reason)
    {
        if (!Q.PerTensor(n.Input, out reason) || !Q.PerTensor(n.Output, out reason))
            return null;
        if (!Q.SameQuantization(n.Input, n.Output))
        {
            reason = "quantized average pooling needs the same scale and zero point in and out";
            return null;
        }
        return _ => new QAveragePoolStep(n);
    }

    private QAveragePoolStep(AveragePool2DNode n)
    {
        _input = n.Input;
        _output = n.Output;
        _type = Q.Type(_input.DataType);
        _p = n.ToParams();
        _p.Activation = NativeActivation.None;
        (_min, _max) = Q.ActivationRange(n.Activation, _output);
    }

    public override void Run(IArena arena) =>
        NativeQuantKernels.AveragePool2D(_type, _p, _min, _max, arena.Span<byte>(_input), arena.Span<byte>(_output));
}

internal sealed class QGlobalAveragePoolStep : QuantizedStep
{
    private readonly Value _input, _output;
    private readonly QuantEltwiseParams _q;
    private readonly QuantizedType _type;

    public static QuantizedStepFactory? Plan(GlobalAveragePoolNode n, out string reason)
    {
        if (!Q.PerTensor(n.Input, out reason) || !Q.PerTensor(n.Output, out reason))
            return null;
        return _ => new QGlobalAveragePoolStep(n);
    }

    private QGlobalAveragePoolStep(GlobalAveragePoolNode n)
    {
        _input = n.Input;
        _output = n.Output;
        _type = Q.Type(_input.DataType);
        _q = Q.Eltwise(_input, null, _output);
    }

    public override void Run(IArena arena)
    {
        var s = _input.Shape;
        NativeQuantKernels.GlobalAveragePool(_type, s[0], s[1], s[2], s[3], _q, arena.Span<byte>(_input), arena.Span<byte>(_output));
    }
}

internal sealed class QSoftmaxStep : QuantizedStep
{
    private readonly Value _input, _output;
    private readonly QuantEltwiseParams _q;
    private readonly QuantizedType _type;
    private readonly float _beta;

    public static QuantizedStepFactory? Plan(SoftmaxNode n, out string reason)
    {
        if (!Q.PerTensor(n.Input, out reason) || !Q.PerTensor(n.Output, out reason))
            return null;
        if (n.Input.Rank < 1)
        {
            reason = "softmax of a scalar";
            return null;
        }
        return _ => new QSoftmaxStep(n);
    }

    private QSoftmaxStep(SoftmaxNode n)
    {
        _input = n.Input;
        _output = n.Output;
        _type = Q.Type(_input.DataType);
        _q = Q.Eltwise(_input, null, _output);
        _beta = n.Beta;
    }

    public override void Run(IArena arena)
    {
        int len = _input.Shape[^1];
        int rows = (int)(_input.ElementCount / len);
        NativeQuantKernels.Softmax(_type, rows, len, _beta, _q, arena.Span<byte>(_input), arena.Span<byte>(_output));
    }
}
