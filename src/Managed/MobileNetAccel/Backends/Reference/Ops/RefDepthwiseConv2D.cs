using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>Depthwise convolution by definition (multiplier 1, weights [1,KH,KW,C], zero padding, any dilation).</summary>
internal sealed class RefDepthwiseConv2D : ReferenceStep
{
    private readonly DepthwiseConv2DNode _n;
    private readonly float[] _w;
    private readonly float[]? _b;

    public static ReferenceStepFactory? Plan(DepthwiseConv2DNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason) || !ReferenceOps.Constants(out reason, n.Weights, n.Bias))
            return null;
        return () => new RefDepthwiseConv2D(n);
    }

    private RefDepthwiseConv2D(DepthwiseConv2DNode n)
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
        int batch = xs[0], ih = xs[1], iw = xs[2], ch = xs[3], oh = ys[1], ow = ys[2];
        int kh = _n.KernelH, kw = _n.KernelW;
        for (int b = 0; b < batch; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int c = 0; c < ch; c++)
                    {
                        double acc = _b is null ? 0.0 : _b[c];
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = oy * _n.StrideH - _n.Padding.Top + ky * _n.DilationH, ix = ox * _n.StrideW - _n.Padding.Left + kx * _n.DilationW;
                                if (iy < 0 || iy >= ih || ix < 0 || ix >= iw)
                                    continue;
                                acc += (double)x[((b * ih + iy) * iw + ix) * ch + c] * _w[(ky * kw + kx) * ch + c];
                            }
                        y[((b * oh + oy) * ow + ox) * ch + c] = (float)RefMath.Activate(acc, _n.Activation);
                    }
    }
}
