using ILGPU;
using ILGPU.Runtime;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Ilgpu.Ops;

/// <summary>DepthwiseConv2D (dilated or not): the depthwise kernel with the [1, Kh, Kw, C] weights as they are.</summary>
internal sealed class DepthwiseConv2DOp(DepthwiseConv2DNode d) : IlgpuOp
{
    public static IlgpuOp? Plan(DepthwiseConv2DNode n, out string reason)
    {
        reason = "";
        return new DepthwiseConv2DOp(n);
    }

    public override float[][] Pack() => new[] { d.Weights.AsFloats().ToArray(), Packing.Or(d.Bias, d.Input.Shape[3]) };

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var stream = e.Stream;
        var x = e.Act(d.Input);
        var y = e.Act(d.Output);
        var s = IlgpuEmitter.Window(d.Input, d.Output);
        s.PadTop = d.Padding.Top;
        s.PadLeft = d.Padding.Left;
        s.DilationH = d.DilationH;
        s.DilationW = d.DilationW;
        var wv = e.Weight(w[0], d.Weights.ElementCount);
        var bv = e.Weight(w[1], s.InC);
        var launch = e.Kernels.Depthwise[d.Activation];
        int n = (int)d.Output.ElementCount;
        int t = e.Threads(n);
        var (kh, kw, sh, swd) = (SpecializedValue.New(d.KernelH), SpecializedValue.New(d.KernelW), SpecializedValue.New(d.StrideH), SpecializedValue.New(d.StrideW));
        e.Launch(() => launch(stream, t, n, t, x, wv, bv, y, s, kh, kw, sh, swd));
    }
}
