using MobileNetAccel.Execution;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>Reshape: copy the elements in order.</summary>
internal sealed class RefReshape : ReferenceStep
{
    private readonly ReshapeNode _n;

    public static ReferenceStepFactory? Plan(ReshapeNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason))
            return null;
        if (n.Input.IsConstant)
        {
            reason = "reshape of a constant";
            return null;
        }
        return () => new RefReshape(n);
    }

    private RefReshape(ReshapeNode n) => _n = n;

    public override void Run(IArena arena) => arena.Span<float>(_n.Input).CopyTo(arena.Span<float>(_n.Output));
}
