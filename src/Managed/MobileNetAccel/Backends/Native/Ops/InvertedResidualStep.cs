using MobileNetAccel.Execution;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>The fused inverted-residual block as one mna_f32_irb call; its six weight/bias tensors packed once.</summary>
internal sealed class InvertedResidualStep : NativeStep
{
    private readonly Value _input, _output;
    private readonly InvertedResidualParams _p;
    private readonly NativeBuffer? _expandW, _expandB, _dwB, _projectB;
    private readonly NativeBuffer _dwW, _projectW;
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
        try
        {
            _expandW = NativeBuffer.From(n.ExpandWeights);
            _expandB = NativeBuffer.From(n.ExpandBias);
            _dwW = new NativeBuffer(n.DepthwiseWeights.AsFloats());
            _dwB = NativeBuffer.From(n.DepthwiseBias);
            _projectW = new NativeBuffer(n.ProjectWeights.AsFloats());
            _projectB = NativeBuffer.From(n.ProjectBias);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public override void Run(IArena arena) =>
        NativeKernels.InvertedResidual(_p, arena.Span<float>(_input), _expandW.OrEmpty(), _expandB.OrEmpty(),
            _dwW.Span, _dwB.OrEmpty(), _projectW.Span, _projectB.OrEmpty(), arena.Span<float>(_output), _ctx.Pool);

    public override void Dispose()
    {
        _expandW?.Dispose();
        _expandB?.Dispose();
        _dwW?.Dispose();
        _dwB?.Dispose();
        _projectW?.Dispose();
        _projectB?.Dispose();
    }
}
