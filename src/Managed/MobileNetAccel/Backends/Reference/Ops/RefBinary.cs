using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>Add / Mul with numpy broadcasting (constants allowed) and fused activation.</summary>
internal sealed class RefBinary : ReferenceStep
{
    private readonly BinaryNode _n;
    private readonly bool _mul;
    private readonly float[]? _constA, _constB;

    public static ReferenceStepFactory? Plan(BinaryNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason))
            return null;
        return () => new RefBinary(n);
    }

    private RefBinary(BinaryNode n)
    {
        _n = n;
        _mul = n is MulNode;
        _constA = n.Inputs[0]!.IsConstant ? n.Inputs[0]!.AsFloats().ToArray() : null;
        _constB = n.Inputs[1]!.IsConstant ? n.Inputs[1]!.AsFloats().ToArray() : null;
    }

    public override void Run(IArena arena)
    {
        Value va = _n.Inputs[0]!, vb = _n.Inputs[1]!;
        ReadOnlySpan<float> a = _constA ?? (ReadOnlySpan<float>)arena.Span<float>(va);
        ReadOnlySpan<float> b = _constB ?? (ReadOnlySpan<float>)arena.Span<float>(vb);
        var y = arena.Span<float>(_n.Output);
        int[] os = _n.Output.Shape;
        int rank = os.Length;
        var index = new int[rank];
        for (long e = 0; e < y.Length; e++)
        {
            long rem = e;
            for (int d = rank - 1; d >= 0; d--)
            {
                index[d] = (int)(rem % os[d]);
                rem /= os[d];
            }
            double r = _mul ? (double)a[Offset(va.Shape, index)] * b[Offset(vb.Shape, index)]
                            : (double)a[Offset(va.Shape, index)] + b[Offset(vb.Shape, index)];
            y[(int)e] = (float)RefMath.Activate(r, _n.Activation);
        }
    }

    /// <summary>Flat offset into a broadcast operand of shape <paramref name="s"/> for the output index.</summary>
    private static int Offset(int[] s, int[] index)
    {
        int skip = index.Length - s.Length, off = 0;
        for (int d = 0; d < s.Length; d++)
            off = off * s[d] + (s[d] == 1 ? 0 : index[skip + d]);
        return off;
    }
}
