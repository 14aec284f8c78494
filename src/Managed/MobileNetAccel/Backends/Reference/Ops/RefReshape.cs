using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>Reshape: copy the elements in order.</summary>
internal sealed class RefReshape : ReferenceStep
{
    private readonly ReshapeNode _n;

    public static ReferenceStepFactory? Plan(ReshapeNode n, out string reason)
    {
        // a run-time input of any type moves as bytes (ArgMax's int64 indices under keepdims); a constant is float
        if (n.Input.IsConstant)
        {
            if (!ReferenceOps.Float(n, out reason))
                return null;
        }
        else if (n.Input.DataType != n.Output.DataType)
        {
            reason = $"'{n.Input.Name}' is {n.Input.DataType} but '{n.Output.Name}' is {n.Output.DataType}";
            return null;
        }
        reason = "";
        return () => new RefReshape(n);
    }

    private RefReshape(ReshapeNode n) => _n = n;

    /// <summary>Copies the input (or, for a graph output that the importer computed as a constant, the constant).</summary>
    public override void Run(IArena arena)
    {
        if (_n.Input.IsConstant)
            _n.Input.AsFloats().CopyTo(arena.Span<float>(_n.Output));
        else
            arena.Span<byte>(_n.Input).CopyTo(arena.Span<byte>(_n.Output));
    }
}
