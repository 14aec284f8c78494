using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>y[r,m] = act(b[m] + Σ_k x[r,k]·w[m,k]) with the input flattened to rows of K.</summary>
internal sealed class RefFullyConnected : ReferenceStep
{
    private readonly FullyConnectedNode _n;
    private readonly float[] _w;
    private readonly float[]? _b;

    public static ReferenceStepFactory? Plan(FullyConnectedNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason) || !ReferenceOps.Constants(out reason, n.Weights, n.Bias))
            return null;
        return () => new RefFullyConnected(n);
    }

    private RefFullyConnected(FullyConnectedNode n)
    {
        _n = n;
        _w = n.Weights.AsFloats().ToArray();
        _b = RefMath.Data(n.Bias);
    }

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_n.Input);
        var y = arena.Span<float>(_n.Output);
        int m = _n.Weights.Shape[0], k = _n.Weights.Shape[1], rows = _n.Output.Shape[0];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < m; o++)
            {
                double acc = _b is null ? 0.0 : _b[o];
                for (int i = 0; i < k; i++)
                    acc += (double)x[r * k + i] * _w[o * k + i];
                y[r * m + o] = (float)RefMath.Activate(acc, _n.Activation);
            }
    }
}
