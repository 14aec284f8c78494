using MobileNetAccel.Graph;

namespace MobileNetAccel.Vulkan.Ops;

/// <summary>Conv2D: a pointwise (1×1, stride 1, no padding) convolution is one GEMM (gemm.comp); any other runs
/// conv.comp, one invocation per output element.</summary>
internal sealed class Conv2DOp(Conv2DNode c) : VulkanOp
{
    public static VulkanOp? Plan(Conv2DNode n, out string reason)
    {
        reason = "";
        return new Conv2DOp(n);
    }

    public override void Lower(Lowering.Builder b)
    {
        var x = c.Input.Shape;
        var o = c.Output.Shape;
        var bias = b.BiasOrZero(c.Bias, o[3]);
        if (c.IsPointwise)
        {
            b.Gemm(c.Name, b.Read(c.Input), b.Read(c.Weights), bias, null, b.Write(c.Output), (long)x[0] * x[1] * x[2], o[3], x[3], c.Activation);
            return;
        }
        long total = c.Output.ElementCount;
        b.Add("conv", c.Name, new[] { c.KernelH, c.KernelW, c.StrideH, c.StrideW, (int)c.Activation },
            new[] { (int)total, x[1], x[2], x[3], o[1], o[2], o[3], c.Padding.Top, c.Padding.Left },
            new[] { b.Read(c.Input), b.Read(c.Weights), bias, b.Write(c.Output) }, Lowering.Builder.Linear(total, c.Name));
    }
}

/// <summary>FullyConnected: one GEMM over the rows of the input.</summary>
internal sealed class FullyConnectedOp(FullyConnectedNode f) : VulkanOp
{
    public static VulkanOp? Plan(FullyConnectedNode n, out string reason)
    {
        reason = "";
        return new FullyConnectedOp(n);
    }

    public override void Lower(Lowering.Builder b)
    {
        var w = f.Weights.Shape;
        long rows = f.Input.ElementCount / w[1];
        b.Gemm(f.Name, b.Read(f.Input), b.Read(f.Weights), b.BiasOrZero(f.Bias, w[0]), null, b.Write(f.Output), rows, w[0], w[1], f.Activation);
    }
}
