using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>LOGISTIC (sigmoid) in double: y = 1 / (1 + exp(−x)), rounded once to float32.</summary>
internal sealed class RefLogistic : ReferenceStep
{
    private readonly LogisticNode _n;

    public static ReferenceStepFactory? Plan(LogisticNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason))
            return null;
        return () => new RefLogistic(n);
    }

    private RefLogistic(LogisticNode n) => _n = n;

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_n.Input);
        var y = arena.Span<float>(_n.Output);
        for (int i = 0; i < x.Length; i++)
            y[i] = (float)(1.0 / (1.0 + Math.Exp(-(double)x[i])));
    }
}
