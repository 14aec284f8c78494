using MobileNetAccel.Graph;

namespace MobileNetAccel.Vulkan.Ops;

/// <summary>Reshape: no dispatch; the output shares the input's device memory (or binds the constant).</summary>
internal sealed class ReshapeOp(ReshapeNode r) : VulkanOp
{
    public static VulkanOp? Plan(ReshapeNode n, out string reason)
    {
        reason = "";
        return new ReshapeOp(n);
    }

    public override void Lower(Lowering.Builder b) => b.Alias(r.Output, r.Input);
}
