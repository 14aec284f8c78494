using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>AveragePool2D (padding not counted) with fused activation: mna_f32_avgpool2d.</summary>
internal sealed class AveragePool2DStep : NativeStep
{
    private readonly Value _input, _output;
    private readonly Conv2DParams _p;
    private readonly NativeContext _ctx;

    public static NativeStepFactory? Plan(AveragePool2DNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason))
            return null;
        return ctx => new AveragePool2DStep(n, ctx);
    }

    private AveragePool2DStep(AveragePool2DNode n, NativeContext ctx)
    {
        _ctx = ctx;
        _input = n.Input;
        _output = n.Output;
        _p = n.ToParams();
    }

    public override void Run(IArena arena) =>
        NativeKernels.AveragePool2D(_p, arena.Span<float>(_input), arena.Span<float>(_output), _ctx.Pool);
}
