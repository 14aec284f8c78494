using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>Conv2D: mna_f32_pwconv_packed for 1x1/stride 1/no padding, else mna_f32_conv2d_packed. Weights OHWI, packed
/// once at compile time for the kernel table selected then.</summary>
internal sealed class Conv2DStep : NativeStep
{
    private readonly Value _input, _output;
    private readonly Conv2DParams _p;
    private readonly bool _pointwise;
    private readonly NativePackedWeights _packed;
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
        _pointwise = n.IsPointwise;
        ReadOnlySpan<float> bias = n.Bias is null ? default : n.Bias.AsFloats();
        _packed = _pointwise
            ? NativePackedWeights.PackPointwise(_p.InC, _p.OutC, n.Weights.AsFloats(), bias)
            : NativePackedWeights.PackConv2D(_p, n.Weights.AsFloats(), bias);
    }

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_input);
        var y = arena.Span<float>(_output);
        if (_pointwise)
            _packed.RunPointwise((long)_p.Batch * _p.InH * _p.InW, x, _p.Activation, y, _ctx.Pool);
        else
            _packed.RunConv2D(_p, x, y, _ctx.Pool);
    }

    public override void Dispose() => _packed.Dispose();
}
