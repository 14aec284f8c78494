using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>Conv2D by definition: y[n,oy,ox,oc] = act(b[oc] + Σ x[n, oy·s−pad+ky, ox·s−pad+kx, ic]·w[oc,ky,kx,ic]), zero padding.</summary>
internal sealed class RefConv2D : ReferenceStep
{
    private readonly Conv2DNode _n;
    private readonly float[] _w;
    private readonly float[]? _b;

    public static ReferenceStepFactory? Plan(Conv2DNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason) || !ReferenceOps.Constants(out reason, n.Weights, n.Bias))
            return null;
        return () => new RefConv2D(n);
    }

    private RefConv2D(Conv2DNode n)
    {
        _n = n;
        _w = n.Weights.AsFloats().ToArray();
        _b = RefMath.Data(n.Bias);
    }

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_n.Input);
        var y = arena.Span<float>(_n.Output);
        int[] xs = _n.Input.Shape, ys = _n.Output.Shape;
        int batch = xs[0], ih = xs[1], iw = xs[2], ic = xs[3], oh = ys[1], ow = ys[2], oc = ys[3];
        int kh = _n.KernelH, kw = _n.KernelW;
        for (int b = 0; b < batch; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int o = 0; o < oc; o++)
                    {
                        double acc = _b is null ? 0.0 : _b[o];
                        for (int ky = 0; ky < kh; ky++)
                        {
                            int iy = oy * _n.StrideH - _n.Padding.Top + ky;
                            if (iy < 0 || iy >= ih)
                                continue;
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int ix = ox * _n.StrideW - _n.Padding.Left + kx;
                                if (ix < 0 || ix >= iw)
                                    continue;
                                int xi = ((b * ih + iy) * iw + ix) * ic;
                                int wi = ((o * kh + ky) * kw + kx) * ic;
                                for (int c = 0; c < ic; c++)
                                    acc += (double)x[xi + c] * _w[wi + c];
                            }
                        }
                        y[((b * oh + oy) * ow + ox) * oc + o] = (float)RefMath.Activate(acc, _n.Activation);
                    }
    }
}
