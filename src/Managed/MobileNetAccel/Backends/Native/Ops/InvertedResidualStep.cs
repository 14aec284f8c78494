using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>The fused inverted-residual block as one mna_f32_irb_packed call: its six weight/bias tensors are packed
/// once, at compile time, for the kernel table selected then (mna_f32_irb_pack: GEMM panels, bias in front).</summary>
internal sealed class InvertedResidualStep : NativeStep
{
    private readonly Value _input, _output;
    private readonly InvertedResidualParams _p;
    private readonly NativePackedWeights _packed;
    private readonly NativeContext _ctx;

    public static NativeStepFactory? Plan(InvertedResidualNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason)
            || !NativeOps.Constants(out reason, n.ExpandWeights, n.ExpandBias, n.DepthwiseWeights, n.DepthwiseBias, n.ProjectWeights, n.ProjectBias))
            return null;
        return ctx => new InvertedResidualStep(n, ctx);
    }

    private InvertedResidualStep(InvertedResidualNode n, NativeContext ctx)
    {
        _ctx = ctx;
        _input = n.Input;
        _output = n.Output;
        _p = n.ToParams();
        _packed = NativePackedWeights.PackInvertedResidual(_p,
            n.ExpandWeights is null ? default : n.ExpandWeights.AsFloats(),
            n.ExpandBias is null ? default : n.ExpandBias.AsFloats(),
            n.DepthwiseWeights.AsFloats(),
            n.DepthwiseBias is null ? default : n.DepthwiseBias.AsFloats(),
            n.ProjectWeights.AsFloats(),
            n.ProjectBias is null ? default : n.ProjectBias.AsFloats());
    }

    public override void Run(IArena arena) =>
        _packed.RunInvertedResidual(_p, arena.Span<float>(_input), arena.Span<float>(_output), _ctx.Pool);

    public override void Dispose() => _packed.Dispose();
}
