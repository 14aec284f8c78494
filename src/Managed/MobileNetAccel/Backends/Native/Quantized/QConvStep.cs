using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Quantized;

/// <summary>Conv2D / DepthwiseConv2D (dilated too) / FullyConnected on uint8 (per-tensor) or int8 (per-channel weights)
/// tensors: weights packed once for the integer kernel table (mna_q8_pack), run on the partition's pool.</summary>
internal sealed class QConvStep : QuantizedStep
{
    private readonly Node _node;
    private readonly Value _input, _output;
    private readonly NativeQ8Layer _layer;
    private readonly NativeThreadPool? _pool;
    private readonly Conv2DParams _p;
    private readonly int _inN;
    private readonly int _dilationH = 1, _dilationW = 1;

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
        if (n is DepthwiseConv2DNode d)
            (_dilationH, _dilationW) = (d.DilationH, d.DilationW);
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
            _layer.RunConv(_p, _dilationH, _dilationW, x, y, _pool);
    }

    public override void Dispose() => _layer.Dispose();
}
