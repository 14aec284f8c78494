using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>GlobalAveragePool [N,H,W,C] → [N,1,1,C]: mna_f32_global_avgpool.</summary>
internal sealed class GlobalAveragePoolStep : NativeStep
{
    private readonly Value _input, _output;
    private readonly int _n, _h, _w, _c;
    private readonly NativeContext _ctx;

    public static NativeStepFactory? Plan(GlobalAveragePoolNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason))
            return null;
        return ctx => new GlobalAveragePoolStep(n, ctx);
    }

    private GlobalAveragePoolStep(GlobalAveragePoolNode n, NativeContext ctx)
    {
        _ctx = ctx;
        _input = n.Input;
        _output = n.Output;
        (_n, _h, _w, _c) = (n.Input.Shape[0], n.Input.Shape[1], n.Input.Shape[2], n.Input.Shape[3]);
    }

    public override void Run(IArena arena) =>
        NativeKernels.GlobalAveragePool(_n, _h, _w, _c, arena.Span<float>(_input), arena.Span<float>(_output), _ctx.Pool);
}
