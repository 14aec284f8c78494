using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>Batched matrix product with broadcast batch dimensions, accumulated in double; operands may be constants.</summary>
internal sealed class RefMatMul : ReferenceStep
{
    private readonly MatMulNode _n;
    private readonly float[]? _constA, _constB;

    public static ReferenceStepFactory? Plan(MatMulNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason))
            return null;
        return () => new RefMatMul(n);
    }

    private RefMatMul(MatMulNode n)
    {
        _n = n;
        _constA = n.A.IsConstant ? n.A.AsFloats().ToArray() : null;
        _constB = n.B.IsConstant ? n.B.AsFloats().ToArray() : null;
    }

    public override void Run(IArena arena)
    {
        ReadOnlySpan<float> a = _constA ?? (ReadOnlySpan<float>)arena.Span<float>(_n.A);
        ReadOnlySpan<float> b = _constB ?? (ReadOnlySpan<float>)arena.Span<float>(_n.B);
        var y = arena.Span<float>(_n.Output);
        int[] sa = _n.A.Shape, sb = _n.B.Shape, so = _n.Output.Shape;
        int m = sa[^2], k = sa[^1], n = sb[^1];
        int batchRank = so.Length - 2;
        long batches = 1;
        for (int d = 0; d < batchRank; d++) batches *= so[d];
        var index = new int[batchRank];
        for (long batch = 0; batch < batches; batch++)
        {
            long rem = batch;
            for (int d = batchRank - 1; d >= 0; d--)
            {
                index[d] = (int)(rem % so[d]);
                rem /= so[d];
            }
            long offA = BatchOffset(sa, index) * m * k, offB = BatchOffset(sb, index) * k * n, offY = batch * m * n;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double acc = 0;
                    for (int p = 0; p < k; p++)
                        acc += (double)a[(int)(offA + (long)i * k + p)] * b[(int)(offB + (long)p * n + j)];
                    y[(int)(offY + (long)i * n + j)] = (float)acc;
                }
        }
    }

    /// <summary>Index of the (broadcast) matrix of an operand with shape <paramref name="s"/> for the output batch index.</summary>
    private static long BatchOffset(int[] s, int[] index)
    {
        int rank = s.Length - 2, skip = index.Length - rank;
        long off = 0;
        for (int d = 0; d < rank; d++)
            off = off * s[d] + (s[d] == 1 ? 0 : index[skip + d]);
        return off;
    }
}
