using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>Batch norm by definition: y = γ·(x − μ)/√(σ² + ε) + β over the last axis.</summary>
internal sealed class RefBatchNorm : ReferenceStep
{
    private readonly BatchNormNode _n;
    private readonly float[] _gamma, _beta, _mean, _var;

    public static ReferenceStepFactory? Plan(BatchNormNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason) || !ReferenceOps.Constants(out reason, n.Scale, n.Offset, n.Mean, n.Variance))
            return null;
        return () => new RefBatchNorm(n);
    }

    private RefBatchNorm(BatchNormNode n)
    {
        _n = n;
        _gamma = n.Scale.AsFloats().ToArray();
        _beta = n.Offset.AsFloats().ToArray();
        _mean = n.Mean.AsFloats().ToArray();
        _var = n.Variance.AsFloats().ToArray();
    }

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_n.Input);
        var y = arena.Span<float>(_n.Output);
        int c = _gamma.Length;
        for (int i = 0; i < y.Length; i++)
        {
            int k = i % c;
            y[i] = (float)(_gamma[k] * (x[i] - (double)_mean[k]) / Math.Sqrt(_var[k] + (double)_n.Epsilon) + _beta[k]);
        }
    }
}
