using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>Concatenation of float32 tensors along any axis, in C#: per outer index, each input's contiguous block in
/// turn. <see cref="Blocks"/> is shared with the quantized step.</summary>
internal sealed class ConcatStep : NativeStep
{
    private readonly ConcatNode _n;

    public static NativeStepFactory? Plan(ConcatNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason))
            return null;
        return _ => new ConcatStep(n);
    }

    private ConcatStep(ConcatNode n) => _n = n;

    /// <summary>The number of outer blocks and each input's block length (elements) for concatenation along the axis.</summary>
    internal static (long Outer, long[] Inner) Blocks(ConcatNode n)
    {
        var (outer, inner) = n.Blocks();
        return (outer, n.Inputs.Select(v => v!.Shape[n.Axis] * inner).ToArray());
    }

    public override void Run(IArena arena)
    {
        var (outer, inner) = Blocks(_n);
        var y = arena.Span<float>(_n.Output);
        long at = 0;
        for (long o = 0; o < outer; o++)
            for (int i = 0; i < inner.Length; i++)
            {
                int len = (int)inner[i];
                arena.Span<float>(_n.Inputs[i]!).Slice((int)(o * len), len).CopyTo(y.Slice((int)at, len));
                at += len;
            }
    }
}
