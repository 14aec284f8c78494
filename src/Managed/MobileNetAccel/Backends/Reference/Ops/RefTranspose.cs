using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>General axis permutation of any rank: output index i maps to input index with dim Perm[d] = i[d].</summary>
internal sealed class RefTranspose : ReferenceStep
{
    private readonly TransposeNode _n;

    public static ReferenceStepFactory? Plan(TransposeNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason))
            return null;
        if (n.Input.IsConstant)
        {
            reason = "transpose of a constant should be folded";
            return null;
        }
        return () => new RefTranspose(n);
    }

    private RefTranspose(TransposeNode n) => _n = n;

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_n.Input);
        var y = arena.Span<float>(_n.Output);
        int[] xs = _n.Input.Shape, ys = _n.Output.Shape, perm = _n.Perm;
        int rank = ys.Length;
        var xStride = new long[rank];
        long s = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            xStride[d] = s;
            s *= xs[d];
        }
        for (int e = 0; e < y.Length; e++)
        {
            long rem = e, src = 0;
            for (int d = rank - 1; d >= 0; d--)
            {
                src += rem % ys[d] * xStride[perm[d]];
                rem /= ys[d];
            }
            y[e] = x[(int)src];
        }
    }
}
