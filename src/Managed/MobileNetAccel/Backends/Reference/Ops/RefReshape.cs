using MobileNetAccel.Backends;
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
        return () => new RefReshape(n);
    }

    private RefReshape(ReshapeNode n) => _n = n;

    /// <summary>Copies the input (or, for a graph output that the importer computed as a constant, the constant).</summary>
    public override void Run(IArena arena) =>
        (_n.Input.IsConstant ? _n.Input.AsFloats() : arena.Span<float>(_n.Input)).CopyTo(arena.Span<float>(_n.Output));
}
