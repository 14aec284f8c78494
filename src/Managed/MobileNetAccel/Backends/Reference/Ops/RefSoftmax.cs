using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>Softmax over the last axis in double: exp(β(x − max)) / Σ.</summary>
internal sealed class RefSoftmax : ReferenceStep
{
    private readonly SoftmaxNode _n;

    public static ReferenceStepFactory? Plan(SoftmaxNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason))
            return null;
        return () => new RefSoftmax(n);
    }

    private RefSoftmax(SoftmaxNode n) => _n = n;

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_n.Input);
        var y = arena.Span<float>(_n.Output);
        int len = _n.Input.Shape[^1];
        for (int row = 0; row < x.Length; row += len)
        {
            double max = double.NegativeInfinity;
            for (int i = 0; i < len; i++)
                max = Math.Max(max, x[row + i]);
            double sum = 0;
            for (int i = 0; i < len; i++)
                sum += Math.Exp(_n.Beta * (x[row + i] - max));
            for (int i = 0; i < len; i++)
                y[row + i] = (float)(Math.Exp(_n.Beta * (x[row + i] - max)) / sum);
        }
    }
}
