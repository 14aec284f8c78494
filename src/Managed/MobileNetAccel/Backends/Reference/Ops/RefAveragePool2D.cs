using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>Average over the window's positions inside the input (padding not counted), then the fused activation.</summary>
internal sealed class RefAveragePool2D : ReferenceStep
{
    private readonly AveragePool2DNode _n;

    public static ReferenceStepFactory? Plan(AveragePool2DNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason))
            return null;
        return () => new RefAveragePool2D(n);
    }

    private RefAveragePool2D(AveragePool2DNode n) => _n = n;

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_n.Input);
        var y = arena.Span<float>(_n.Output);
        int[] xs = _n.Input.Shape, ys = _n.Output.Shape;
        int batch = xs[0], ih = xs[1], iw = xs[2], ch = xs[3], oh = ys[1], ow = ys[2];
        for (int b = 0; b < batch; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int c = 0; c < ch; c++)
                    {
                        double sum = 0;
                        int count = 0;
                        for (int ky = 0; ky < _n.KernelH; ky++)
                            for (int kx = 0; kx < _n.KernelW; kx++)
                            {
                                int iy = oy * _n.StrideH - _n.Padding.Top + ky, ix = ox * _n.StrideW - _n.Padding.Left + kx;
                                if (iy < 0 || iy >= ih || ix < 0 || ix >= iw)
                                    continue;
                                sum += x[((b * ih + iy) * iw + ix) * ch + c];
                                count++;
                            }
                        y[((b * oh + oy) * ow + ox) * ch + c] = (float)RefMath.Activate(count == 0 ? 0 : sum / count, _n.Activation);
                    }
    }
}
