using ILGPU;
using ILGPU.Runtime;
using MobileNetAccel.Graph;
using MobileNetAccel.Ilgpu.Kernels;

namespace MobileNetAccel.Ilgpu.Ops;

/// <summary>A fused inverted-residual block: expand + depthwise in one kernel (or the depthwise kernel alone when
/// there is no expansion) into a scratch of [N, OH, OW, hidden], then the projection GEMM with the residual add.</summary>
internal sealed class InvertedResidualOp(InvertedResidualNode irb) : IlgpuOp
{
    public static IlgpuOp? Plan(InvertedResidualNode n, out string reason)
    {
        reason = "";
        return new InvertedResidualOp(n);
    }

    public override long ScratchElements
    {
        get
        {
            var os = irb.Output.Shape;
            return (long)os[0] * os[1] * os[2] * irb.HiddenChannels;
        }
    }

    public override float[][] Pack()
    {
        int hidden = irb.HiddenChannels;
        int cin = irb.Input.Shape[3];
        int cout = irb.ProjectWeights.Shape[0];
        var project = Packing.Transpose(irb.ProjectWeights.AsFloats(), cout, hidden);
        var list = new List<float[]>();
        if (irb.ExpandWeights is { } ew)
        {
            list.Add(Packing.Transpose(ew.AsFloats(), hidden, cin));
            list.Add(Packing.Or(irb.ExpandBias, hidden));
        }
        list.Add(irb.DepthwiseWeights.AsFloats().ToArray());
        list.Add(Packing.Or(irb.DepthwiseBias, hidden));
        list.Add(project);
        list.Add(Packing.Or(irb.ProjectBias, cout));
        return list.ToArray();
    }

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var k = e.Kernels;
        var stream = e.Stream;
        var (gt, gk) = (e.GemmThreads, e.GemmTileK);
        ArrayView<float> W(int i, long length) => e.Weight(w[i], length);
        var x = e.Act(irb.Input);
        var y = e.Act(irb.Output);
        var xs = irb.Input.Shape;
        var os = irb.Output.Shape;
        int hidden = irb.HiddenChannels;
        int cout = os[3];
        var dwOut = e.Scratch(irb, (long)os[0] * os[1] * os[2] * hidden);
        int i = 0;
        var stride = SpecializedValue.New(irb.Stride);
        if (irb.ExpandWeights is not null)
        {
            var we = W(i++, (long)xs[3] * hidden);
            var be = W(i++, hidden);
            var wd = W(i++, 9L * hidden);
            var bd = W(i++, hidden);
            var s = new ExpandDepthwiseShape
            {
                N = xs[0], InH = xs[1], InW = xs[2], InC = xs[3], Hidden = hidden, OutH = os[1], OutW = os[2],
                PadTop = irb.Padding.Top, PadLeft = irb.Padding.Left,
                TilesX = (os[2] + InvertedResidualKernels.OutTile - 1) / InvertedResidualKernels.OutTile,
                TilesY = (os[1] + InvertedResidualKernels.OutTile - 1) / InvertedResidualKernels.OutTile,
            };
            var launch = k.ExpandDepthwise(irb.ExpandActivation, irb.DepthwiseActivation);
            var cfg = InvertedResidualKernels.Config(s, e.GroupSize, e.MaxGroups);
            e.Launch(() => launch(stream, cfg, x, we, be, wd, bd, dwOut, s, stride));
        }
        else
        {
            var wd = W(i++, 9L * hidden);
            var bd = W(i++, hidden);
            var s = new WindowShape
            {
                N = xs[0], InH = xs[1], InW = xs[2], InC = xs[3], OutH = os[1], OutW = os[2], OutC = hidden,
                PadTop = irb.Padding.Top, PadLeft = irb.Padding.Left,
            };
            var launch = k.Depthwise[irb.DepthwiseActivation];
            int n = (int)dwOut.Length;
            int t = e.Threads(n);
            var three = SpecializedValue.New(3);
            e.Launch(() => launch(stream, t, n, t, x, wd, bd, dwOut, s, three, three, stride, stride));
        }
        var wp = W(i++, (long)hidden * cout);
        var bp = W(i, cout);
        var g = new GemmShape { M = os[0] * os[1] * os[2], N = cout, K = hidden, Residual = irb.Residual ? 1 : 0 };
        var project = k.Gemm[irb.ProjectActivation];
        var pcfg = GemmKernels.Config(g.M, g.N, e.Gemm, e.MaxGroups);
        ArrayView<float> residual = irb.Residual ? x : y;
        e.Launch(() => project(stream, pcfg, dwOut, wp, bp, residual, y, g, gt, gk));
    }
}
