namespace MobileNetAccel.Vulkan.Ops;

/// <summary>
/// One node as the Vulkan backend runs it: returned by <see cref="VulkanOps.Plan"/> (null there, with the reason,
/// when the backend cannot run the node), it lowers the node into the program's dispatches, tensors and weights.
/// </summary>
internal abstract class VulkanOp
{
    /// <summary>Adds the node's dispatches (reads, writes and weights) to <paramref name="b"/>.</summary>
    public abstract void Lower(Lowering.Builder b);
}
