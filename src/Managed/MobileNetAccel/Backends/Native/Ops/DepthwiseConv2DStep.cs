using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>DepthwiseConv2D (multiplier 1): mna_f32_dwconv2d, or mna_f32_dwconv2d_dilated for a dilated window (a
/// separate kernel: the undilated path is unchanged); weights [KH][KW][C] copied once.</summary>
internal sealed class DepthwiseConv2DStep : NativeStep
{
    private readonly Value _input, _output;
    private readonly Conv2DParams _p;
    private readonly NativeBuffer _weights;
    private readonly NativeBuffer? _bias;
    private readonly NativeContext _ctx;
    private readonly int _dilationH, _dilationW;

    public static NativeStepFactory? Plan(DepthwiseConv2DNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason) || !NativeOps.Constants(out reason, n.Weights, n.Bias))
            return null;
        return ctx => new DepthwiseConv2DStep(n, ctx);
    }

    private DepthwiseConv2DStep(DepthwiseConv2DNode n, NativeContext ctx)
    {
        _ctx = ctx;
        _input = n.Input;
        _output = n.Output;
        _p = n.ToParams();
        _dilationH = n.DilationH;
        _dilationW = n.DilationW;
        _weights = new NativeBuffer(n.Weights.AsFloats());
        _bias = NativeBuffer.From(n.Bias);
    }

    public override void Run(IArena arena)
    {
        if (_dilationH == 1 && _dilationW == 1)
            NativeKernels.DepthwiseConv2D(_p, arena.Span<float>(_input), _weights.Span, _bias.OrEmpty(), arena.Span<float>(_output), _ctx.Pool);
        else
            NativeKernels.DepthwiseConv2DDilated(_p, _dilationH, _dilationW, arena.Span<float>(_input), _weights.Span, _bias.OrEmpty(),
                arena.Span<float>(_output), _ctx.Pool);
    }

    public override void Dispose()
    {
        _weights.Dispose();
        _bias?.Dispose();
    }
}
