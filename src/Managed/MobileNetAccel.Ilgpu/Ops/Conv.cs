using ILGPU;
using ILGPU.Runtime;
using MobileNetAccel.Graph;
using MobileNetAccel.Ilgpu.Kernels;

namespace MobileNetAccel.Ilgpu.Ops;

/// <summary>Conv2D: a pointwise (1×1, stride 1, no padding) convolution is a GEMM over [N·H·W, Cin] with the
/// weights transposed to [Cin, Cout]; any other goes to the direct convolution kernel with its [Cout, Kh, Kw, Cin]
/// weights as they are.</summary>
internal sealed class Conv2DOp(Conv2DNode c) : IlgpuOp
{
    public static IlgpuOp? Plan(Conv2DNode n, out string reason)
    {
        reason = "";
        return new Conv2DOp(n);
    }

    private bool Pointwise => c.IsPointwise;

    public override float[][] Pack()
    {
        var w = c.Weights.Shape;
        int cout = w[0];
        if (Pointwise)
            return new[] { Packing.Transpose(c.Weights.AsFloats(), cout, w[3]), Packing.Or(c.Bias, cout) };
        return new[] { c.Weights.AsFloats().ToArray(), Packing.Or(c.Bias, cout) };
    }

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var stream = e.Stream;
        var x = e.Act(c.Input);
        var y = e.Act(c.Output);
        var ws = c.Weights.Shape;
        var wv = e.Weight(w[0], c.Weights.ElementCount);
        var bv = e.Weight(w[1], ws[0]);
        if (Pointwise)
        {
            var s = new GemmShape { M = (int)(c.Input.ElementCount / ws[3]), N = ws[0], K = ws[3] };
            var launch = e.Kernels.Gemm[c.Activation];
            var cfg = GemmKernels.Config(s.M, s.N, e.Gemm, e.MaxGroups);
            var (gt, gk) = (e.GemmThreads, e.GemmTileK);
            e.Launch(() => launch(stream, cfg, x, wv, bv, y, y, s, gt, gk));
        }
        else
        {
            var s = IlgpuEmitter.Window(c.Input, c.Output);
            s.PadTop = c.Padding.Top;
            s.PadLeft = c.Padding.Left;
            var launch = e.Kernels.Conv2D[c.Activation];
            int n = (int)c.Output.ElementCount;
            int t = e.Threads(n);
            var (kh, kw, sh, swd) = (SpecializedValue.New(c.KernelH), SpecializedValue.New(c.KernelW), SpecializedValue.New(c.StrideH), SpecializedValue.New(c.StrideW));
            e.Launch(() => launch(stream, t, n, t, x, wv, bv, y, s, kh, kw, sh, swd));
        }
    }
}

/// <summary>FullyConnected: a GEMM with the [Cout, Cin] weights transposed to [Cin, Cout].</summary>
internal sealed class FullyConnectedOp(FullyConnectedNode f) : IlgpuOp
{
    public static IlgpuOp? Plan(FullyConnectedNode n, out string reason)
    {
        reason = "";
        return new FullyConnectedOp(n);
    }

    public override float[][] Pack()
    {
        var w = f.Weights.Shape;
        return new[] { Packing.Transpose(f.Weights.AsFloats(), w[0], w[1]), Packing.Or(f.Bias, w[0]) };
    }

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var stream = e.Stream;
        var x = e.Act(f.Input);
        var y = e.Act(f.Output);
        var ws = f.Weights.Shape;
        var s = new GemmShape { M = f.Output.Shape[0], N = ws[0], K = ws[1] };
        var wv = e.Weight(w[0], f.Weights.ElementCount);
        var bv = e.Weight(w[1], ws[0]);
        var launch = e.Kernels.Gemm[f.Activation];
        var cfg = GemmKernels.Config(s.M, s.N, e.Gemm, e.MaxGroups);
        var (gt, gk) = (e.GemmThreads, e.GemmTileK);
        e.Launch(() => launch(stream, cfg, x, wv, bv, y, y, s, gt, gk));
    }
}
