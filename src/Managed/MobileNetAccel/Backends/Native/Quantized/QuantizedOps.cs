using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Quantized;

/// <summary>Creates the quantized step of one node (called once, at compile time), for the partition's pool.</summary>
internal delegate QuantizedStep QuantizedStepFactory(NativeThreadPool? pool);

/// <summary>
/// The op list of the integer path: one line per node type whose inputs/outputs are uint8/int8. Returns null (with the
/// reason) for a node it cannot run, e.g. a float node.
/// </summary>
internal static class QuantizedOps
{
    public static QuantizedStepFactory? Plan(Node node, out string reason) => node switch
    {
        Conv2DNode or DepthwiseConv2DNode or FullyConnectedNode => QConvStep.Plan(node, out reason),
        AddNode n => QAddStep.Plan(n, out reason),
        AveragePool2DNode n => QAveragePoolStep.Plan(n, out reason),
        GlobalAveragePoolNode n => QGlobalAveragePoolStep.Plan(n, out reason),
        SoftmaxNode n => QSoftmaxStep.Plan(n, out reason),
        ReshapeNode n => QCopyStep.Plan(n, out reason),
        PadNode n => QPadStep.Plan(n, out reason),
        ActivationNode n => QRequantizeStep.Plan(n, n.Kind, out reason),
        QuantizeNode n => QuantizeStep.Plan(n, out reason),
        QuantizedInvertedResidualNode n => QBlockStep.Plan(n, out reason),
        DequantizeNode n => DequantizeStep.Plan(n, out reason),
        _ => Unsupported(node, out reason),
    };

    private static QuantizedStepFactory? Unsupported(Node node, out string reason)
    {
        reason = $"no quantized kernel for {node.Op}";
        return null;
    }
}

/// <summary>Conv2D / DepthwiseConv2D / FullyConnected on uint8 (per-tensor) or int8 (per-channel weights) tensors:
/// weights packed once for the integer kernel table (mna_q8_pack), run on the partition's pool.</summary>
internal sealed class QConvStep : QuantizedStep
{
    private readonly Node _node;
    private readonly Value _input, _output;
    private readonly NativeQ8Layer _layer;
    private readonly NativeThreadPool? _pool;
    private readonly Conv2DParams _p;
    private readonly int _inN;

    public static QuantizedStepFactory? Plan(Node n, out string reason)
    {
        var w = n.Inputs[1];
        var b = n.Inputs.Count > 2 ? n.Inputs[2] : null;
        if (!Q.PerTensor(n.Input, out reason) || !Q.PerTensor(n.Output, out reason))
            return null;
        if (w is null || !w.IsConstant || w.DataType != n.Input.DataType || w.Quantization is null)
        {
            reason = $"weights must be a constant {n.Input.DataType} tensor with quantization parameters";
            return null;
        }
        if (n.Output.DataType != n.Input.DataType)
        {
            reason = $"output {n.Output.DataType} differs from input {n.Input.DataType}";
            return null;
        }
        int channels = n is DepthwiseConv2DNode ? w.Shape[3] : w.Shape[0];
        if (w.Quantization.IsPerChannel && (w.Quantization.Scales.Length != channels || w.Quantization.ZeroPoints.Any(z => z != 0)))
        {
            reason = "per-channel weights must be symmetric (zero point 0) with one scale per output channel";
            return null;
        }
        if (b is not null && (!b.IsConstant || b.DataType != DataType.Int32))
        {
            reason = "bias must be a constant int32 tensor";
            return null;
        }
        int inC = n is FullyConnectedNode ? w.Shape[1] : w.Shape[^1];
        if (n is not DepthwiseConv2DNode && inC > 32768)
        {
            reason = $"{inC} input channels: more than 32768 could overflow an int32 partial sum";
            return null;
        }
        return pool => new QConvStep(n, pool);
    }

    private QConvStep(Node n, NativeThreadPool? pool)
    {
        _node = n;
        _input = n.Input;
        _output = n.Output;
        _pool = pool;
        _layer = PackLayer(n, out _p);
        if (n is FullyConnectedNode)
            _inN = n.Inputs[1]!.Shape[1];
    }

    /// <summary>Packs the layer of a conv / depthwise / fully connected node (checked by <see cref="Plan"/>) for the
    /// integer table selected now; <paramref name="p"/> gets its window (activation none: the clamp is packed).</summary>
    internal static NativeQ8Layer PackLayer(Node n, out Conv2DParams p)
    {
        Value input = n.Input, output = n.Output;
        var type = Q.Type(input.DataType);
        var w = n.Inputs[1]!;
        var b = n.Inputs.Count > 2 ? n.Inputs[2] : null;
        int[] bias = b is null ? Array.Empty<int>() : b.AsInt32s().ToArray();
        float si = input.Quantization!.Scale, so = output.Quantization!.Scale;
        var ws = w.Quantization!.Scales;
        // XNNPACK fp32 scheme: the requantization scale is computed in float32, input·weight / output.
        float[] scales = ws.Length == 1 ? new[] { si * ws[0] / so } : ws.Select(s => si * s / so).ToArray();
        var act = n switch
        {
            WindowNode wn => wn.Activation,
            FullyConnectedNode fc => fc.Activation,
            _ => Activation.None,
        };
        var (mn, mx) = Q.ActivationRange(act, output);
        var q = new QuantConvParams
        {
            InputZeroPoint = (int)input.Quantization.ZeroPoint,
            WeightZeroPoint = w.Quantization.IsPerChannel ? 0 : (int)w.Quantization.ZeroPoint,
            OutputZeroPoint = (int)output.Quantization.ZeroPoint,
            OutputMin = mn, OutputMax = mx,
        };
        NativeQ8Layer layer;
        switch (n)
        {
            case Conv2DNode c:
                p = c.ToParams();
                layer = NativeQ8Layer.Pack(Q8LayerKind.Conv2D, type, p.InC, p.OutC, p.KernelH, p.KernelW, q, scales, w.Data!, bias);
                break;
            case DepthwiseConv2DNode d:
                p = d.ToParams();
                layer = NativeQ8Layer.Pack(Q8LayerKind.Depthwise, type, p.InC, p.OutC, p.KernelH, p.KernelW, q, scales, w.Data!, bias);
                break;
            default:
                p = default;
                layer = NativeQ8Layer.Pack(Q8LayerKind.FullyConnected, type, w.Shape[1], w.Shape[0], 1, 1, q, scales, w.Data!, bias);
                break;
        }
        p.Activation = NativeActivation.None;
        return layer;
    }

    /// <summary>The integer kernel table this layer runs (for the placement report and tests).</summary>
    public IntegerKernelIsa Isa => _layer.Isa;

    public override void Run(IArena arena)
    {
        var x = arena.Span<byte>(_input);
        var y = arena.Span<byte>(_output);
        if (_node is FullyConnectedNode)
            _layer.RunFullyConnected(x.Length / _inN, x, y, _pool);
        else
            _layer.RunConv(_p, 1, 1, x, y, _pool);
    }

    public override void Dispose() => _layer.Dispose();
}

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
