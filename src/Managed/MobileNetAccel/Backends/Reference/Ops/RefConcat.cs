using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>Concatenation along one axis, any rank; inputs may be constants.</summary>
internal sealed class RefConcat : ReferenceStep
{
    private readonly ConcatNode _n;
    private readonly float[]?[] _constants;

    public static ReferenceStepFactory? Plan(ConcatNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason))
            return null;
        return () => new RefConcat(n);
    }

    private RefConcat(ConcatNode n)
    {
        _n = n;
        _constants = n.Inputs.Select(v => v!.IsConstant ? v.AsFloats().ToArray() : null).ToArray();
    }

    public override void Run(IArena arena)
    {
        var y = arena.Span<float>(_n.Output);
        int axis = _n.Axis;
        int[] ys = _n.Output.Shape;
        long outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= ys[d];
        for (int d = axis + 1; d < ys.Length; d++) inner *= ys[d];
        long rowOut = ys[axis] * inner, offset = 0;
        for (int i = 0; i < _n.Inputs.Count; i++)
        {
            var v = _n.Inputs[i]!;
            ReadOnlySpan<float> x = _constants[i] ?? (ReadOnlySpan<float>)arena.Span<float>(v);
            long row = v.Shape[axis] * inner;
            for (long o = 0; o < outer; o++)
                for (long k = 0; k < row; k++)
                    y[(int)(o * rowOut + offset + k)] = x[(int)(o * row + k)];
            offset += row;
        }
    }
}
