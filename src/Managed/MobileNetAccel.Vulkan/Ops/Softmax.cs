using MobileNetAccel.Graph;

namespace MobileNetAccel.Vulkan.Ops;

/// <summary>Softmax over the last axis: softmax.comp, one work group per row.</summary>
internal sealed class SoftmaxOp(SoftmaxNode s) : VulkanOp
{
    public static VulkanOp? Plan(SoftmaxNode n, out string reason)
    {
        reason = "";
        return new SoftmaxOp(n);
    }

    public override void Lower(Lowering.Builder b)
    {
        int cols = s.Input.Shape.Length == 0 ? 1 : s.Input.Shape[^1];
        long rows = s.Input.ElementCount / Math.Max(cols, 1);
        long x = Math.Clamp(rows, 1, 65535);
        b.Add("softmax", s.Name, Array.Empty<int>(), new[] { (int)rows, cols, Lowering.Builder.Bits(s.Beta) },
            new[] { b.Read(s.Input), b.Write(s.Output) }, ((uint)x, (uint)((rows + x - 1) / x), 1));
    }
}
