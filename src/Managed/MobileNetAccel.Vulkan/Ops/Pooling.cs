using MobileNetAccel.Graph;

namespace MobileNetAccel.Vulkan.Ops;

/// <summary>GlobalAveragePool: gap.comp, one invocation per (batch, channel).</summary>
internal sealed class GlobalAveragePoolOp(GlobalAveragePoolNode g) : VulkanOp
{
    public static VulkanOp? Plan(GlobalAveragePoolNode n, out string reason)
    {
        reason = "";
        return new GlobalAveragePoolOp(n);
    }

    public override void Lower(Lowering.Builder b)
    {
        var x = g.Input.Shape;
        long total = (long)x[0] * x[3];
        b.Add("gap", g.Name, Array.Empty<int>(), new[] { (int)total, x[1] * x[2], x[3] },
            new[] { b.Read(g.Input), b.Write(g.Output) }, Lowering.Builder.Linear(total, g.Name));
    }
}

/// <summary>AveragePool2D: avgpool.comp, one invocation per output element.</summary>
internal sealed class AveragePool2DOp(AveragePool2DNode p) : VulkanOp
{
    public static VulkanOp? Plan(AveragePool2DNode n, out string reason)
    {
        reason = "";
        return new AveragePool2DOp(n);
    }

    public override void Lower(Lowering.Builder b)
    {
        var x = p.Input.Shape;
        var o = p.Output.Shape;
        long total = p.Output.ElementCount;
        b.Add("avgpool", p.Name, new[] { p.KernelH, p.KernelW, p.StrideH, p.StrideW, (int)p.Activation },
            new[] { (int)total, x[1], x[2], x[3], o[1], o[2], p.Padding.Top, p.Padding.Left },
            new[] { b.Read(p.Input), b.Write(p.Output) }, Lowering.Builder.Linear(total, p.Name));
    }
}
