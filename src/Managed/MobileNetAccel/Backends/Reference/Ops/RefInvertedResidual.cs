using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>
/// The inverted-residual block computed stage by stage into whole temporary tensors (the obvious way):
/// t = act(expand 1x1) (or t = x), d = act(depthwise 3x3), y = act(project 1x1) (+ x).
/// Each stage is rounded to float, as the unfused graph would store it.
/// </summary>
internal sealed class RefInvertedResidual : ReferenceStep
{
    private readonly InvertedResidualNode _n;
    private readonly float[]? _ew, _eb, _db, _pb;
    private readonly float[] _dw, _pw;
    private readonly float[] _expanded, _depthwise;

    public static ReferenceStepFactory? Plan(InvertedResidualNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason)
            || !ReferenceOps.Constants(out reason, n.ExpandWeights, n.ExpandBias, n.DepthwiseWeights, n.DepthwiseBias, n.ProjectWeights, n.ProjectBias))
            return null;
        return () => new RefInvertedResidual(n);
    }

    private RefInvertedResidual(InvertedResidualNode n)
    {
        _n = n;
        _ew = RefMath.Data(n.ExpandWeights);
        _eb = RefMath.Data(n.ExpandBias);
        _dw = n.DepthwiseWeights.AsFloats().ToArray();
        _db = RefMath.Data(n.DepthwiseBias);
        _pw = n.ProjectWeights.AsFloats().ToArray();
        _pb = RefMath.Data(n.ProjectBias);
        int[] xs = n.Input.Shape, ys = n.Output.Shape;
        int hidden = n.HiddenChannels;
        _expanded = _ew is null ? Array.Empty<float>() : new float[xs[0] * xs[1] * xs[2] * hidden];
        _depthwise = new float[ys[0] * ys[1] * ys[2] * hidden];
    }

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_n.Input);
        var y = arena.Span<float>(_n.Output);
        int[] xs = _n.Input.Shape, ys = _n.Output.Shape;
        int batch = xs[0], ih = xs[1], iw = xs[2], ic = xs[3], oh = ys[1], ow = ys[2], oc = ys[3];
        int hidden = _n.HiddenChannels;

        // 1. expand
        ReadOnlySpan<float> t;
        if (_ew is null)
            t = x;
        else
        {
            for (int p = 0; p < batch * ih * iw; p++)
                for (int h = 0; h < hidden; h++)
                {
                    double acc = _eb is null ? 0.0 : _eb[h];
                    for (int c = 0; c < ic; c++)
                        acc += (double)x[p * ic + c] * _ew[h * ic + c];
                    _expanded[p * hidden + h] = (float)RefMath.Activate(acc, _n.ExpandActivation);
                }
            t = _expanded;
        }

        // 2. depthwise 3x3
        for (int b = 0; b < batch; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int h = 0; h < hidden; h++)
                    {
                        double acc = _db is null ? 0.0 : _db[h];
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++)
                            {
                                int iy = oy * _n.Stride - _n.Padding.Top + ky, ix = ox * _n.Stride - _n.Padding.Left + kx;
                                if (iy < 0 || iy >= ih || ix < 0 || ix >= iw)
                                    continue;
                                acc += (double)t[((b * ih + iy) * iw + ix) * hidden + h] * _dw[(ky * 3 + kx) * hidden + h];
                            }
                        _depthwise[((b * oh + oy) * ow + ox) * hidden + h] = (float)RefMath.Activate(acc, _n.DepthwiseActivation);
                    }

        // 3. project (+ residual)
        for (int p = 0; p < batch * oh * ow; p++)
            for (int o = 0; o < oc; o++)
            {
                double acc = _pb is null ? 0.0 : _pb[o];
                for (int h = 0; h < hidden; h++)
                    acc += (double)_depthwise[p * hidden + h] * _pw[o * hidden + h];
                float v = (float)RefMath.Activate(acc, _n.ProjectActivation);
                if (_n.Residual)
                    v += x[p * ic + o];
                y[p * oc + o] = v;
            }
    }
}
