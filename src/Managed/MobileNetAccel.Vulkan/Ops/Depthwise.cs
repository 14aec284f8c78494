using MobileNetAccel.Graph;

namespace MobileNetAccel.Vulkan.Ops;

/// <summary>DepthwiseConv2D (dilated or not): dwconv.comp, one invocation per output element.</summary>
internal sealed class DepthwiseConv2DOp(DepthwiseConv2DNode d) : VulkanOp
{
    public static VulkanOp? Plan(DepthwiseConv2DNode n, out string reason)
    {
        reason = "";
        return new DepthwiseConv2DOp(n);
    }

    public override void Lower(Lowering.Builder b)
    {
        var x = d.Input.Shape;
        var o = d.Output.Shape;
        long total = d.Output.ElementCount;
        b.Add("dwconv", d.Name, new[] { d.KernelH, d.KernelW, d.StrideH, d.StrideW, (int)d.Activation },
            new[] { (int)total, x[1], x[2], x[3], o[1], o[2], d.Padding.Top, d.Padding.Left, d.DilationH, d.DilationW },
            new[] { b.Read(d.Input), b.Read(d.Weights), b.BiasOrZero(d.Bias, x[3]), b.Write(d.Output) }, Lowering.Builder.Linear(total, d.Name));
    }
}
