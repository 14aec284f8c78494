using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>DepthwiseConv2D (multiplier 1): mna_f32_dwconv2d, weights [KH][KW][C] packed once.</summary>
internal sealed class DepthwiseConv2DStep : NativeStep
{
    private readonly Value _input, _output;
    private readonly Conv2DParams _p;
    private readonly NativeBuffer _weights;
    private readonly NativeBuffer? _bias;
    private readonly NativeContext _ctx;

    public static NativeStepFactory? Plan(DepthwiseConv2DNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason) || !NativeOps.Constants(out reason, n.Weights, n.Bias))
            return null;
        if (n.IsDilated)
        {
            reason = $"dilation {n.DilationH}x{n.DilationW}: the float depthwise kernel has no dilation";
            return null;
        }
        return ctx => new DepthwiseConv2DStep(n, ctx);
    }

    private DepthwiseConv2DStep(DepthwiseConv2DNode n, NativeContext ctx)
    {
        _ctx = ctx;
        _input = n.Input;
        _output = n.Output;
        _p = n.ToParams();
        _weights = new NativeBuffer(n.Weights.AsFloats());
        _bias = NativeBuffer.From(n.Bias);
    }

    public override void Run(IArena arena) =>
        NativeKernels.DepthwiseConv2D(_p, arena.Span<float>(_input), _weights.Span, _bias.OrEmpty(), arena.Span<float>(_output), _ctx.Pool);

    public override void Dispose()
    {
        _weights.Dispose();
        _bias?.Dispose();
    }
}
