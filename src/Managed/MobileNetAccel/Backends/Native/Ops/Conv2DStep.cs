using MobileNetAccel.Execution;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>Conv2D: mna_f32_pwconv for 1x1/stride 1/no padding, else mna_f32_conv2d. Weights OHWI, packed once.</summary>
internal sealed class Conv2DStep : NativeStep
{
    private readonly Value _input, _output;
    private readonly Conv2DParams _p;
    private readonly bool _pointwise;
    private readonly NativeBuffer _weights;
    private readonly NativeBuffer? _bias;
    private readonly NativeContext _ctx;

    public static NativeStepFactory? Plan(Conv2DNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason) || !NativeOps.Constants(out reason, n.Weights, n.Bias))
            return null;
        return ctx => new Conv2DStep(n, ctx);
    }

    private Conv2DStep(Conv2DNode n, NativeContext ctx)
    {
        _ctx = ctx;
        _input = n.Input;
        _output = n.Output;
        _p = n.ToParams();
        _pointwise = n.KernelH == 1 && n.KernelW == 1 && n.StrideH == 1 && n.StrideW == 1 && n.Padding.IsZero;
        _weights = new NativeBuffer(n.Weights.AsFloats());
        _bias = NativeBuffer.From(n.Bias);
    }

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_input);
        var y = arena.Span<float>(_output);
        if (_pointwise)
            NativeKernels.PointwiseConv((long)_p.Batch * _p.InH * _p.InW, _p.InC, _p.OutC, x, _weights.Span, _bias.OrEmpty(), _p.Activation, y, _ctx.Pool);
        else
            NativeKernels.Conv2D(_p, x, _weights.Span, _bias.OrEmpty(), y, _ctx.Pool);
    }

    public override void Dispose()
    {
        _weights.Dispose();
        _bias?.Dispose();
    }
}
