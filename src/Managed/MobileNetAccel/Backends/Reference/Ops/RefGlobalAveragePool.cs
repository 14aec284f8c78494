using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>Mean over H and W per image and channel.</summary>
internal sealed class RefGlobalAveragePool : ReferenceStep
{
    private readonly GlobalAveragePoolNode _n;

    public static ReferenceStepFactory? Plan(GlobalAveragePoolNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason))
            return null;
        return () => new RefGlobalAveragePool(n);
    }

    private RefGlobalAveragePool(GlobalAveragePoolNode n) => _n = n;

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_n.Input);
        var y = arena.Span<float>(_n.Output);
        int[] xs = _n.Input.Shape;
        int batch = xs[0], hw = xs[1] * xs[2], ch = xs[3];
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < ch; c++)
            {
                double sum = 0;
                for (int p = 0; p < hw; p++)
                    sum += x[(b * hw + p) * ch + c];
                y[b * ch + c] = (float)(sum / hw);
            }
    }
}
