using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>Constant padding of any rank (non-negative pads): each output element is the input element it maps to, or the pad value.</summary>
internal sealed class RefPad : ReferenceStep
{
    private readonly PadNode _n;

    public static ReferenceStepFactory? Plan(PadNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason))
            return null;
        if (n.Before.Any(p => p < 0) || n.After.Any(p => p < 0))
        {
            reason = "negative pads (cropping) are not supported";
            return null;
        }
        return () => new RefPad(n);
    }

    private RefPad(PadNode n) => _n = n;

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_n.Input);
        var y = arena.Span<float>(_n.Output);
        int[] xs = _n.Input.Shape, ys = _n.Output.Shape;
        int rank = ys.Length;
        for (int e = 0; e < y.Length; e++)
        {
            int rem = e, src = 0, stride = 1;
            bool inside = true;
            for (int d = rank - 1; d >= 0; d--)
            {
                int i = rem % ys[d] - _n.Before[d];
                rem /= ys[d];
                if (i < 0 || i >= xs[d])
                    inside = false;
                src += i * stride;
                stride *= xs[d];
            }
            y[e] = inside ? x[src] : _n.PadValue;
        }
    }
}
