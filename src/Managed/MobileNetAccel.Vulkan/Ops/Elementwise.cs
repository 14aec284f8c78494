using MobileNetAccel.Graph;

namespace MobileNetAccel.Vulkan.Ops;

/// <summary>Add of two equal-shaped tensors with a fused activation: add.comp.</summary>
internal sealed class AddOp(AddNode add) : VulkanOp
{
    public static VulkanOp? Plan(AddNode n, out string reason)
    {
        if (!n.Inputs[0]!.Shape.SequenceEqual(n.Inputs[1]!.Shape))
        {
            reason = $"the Vulkan add shader needs equal shapes; got {Value.FormatShape(n.Inputs[0]!.Shape)} and {Value.FormatShape(n.Inputs[1]!.Shape)}";
            return null;
        }
        reason = "";
        return new AddOp(n);
    }

    public override void Lower(Lowering.Builder b)
    {
        long total = add.Output.ElementCount;
        b.Add("add", add.Name, new[] { (int)add.Activation }, new[] { (int)total },
            new[] { b.Read(add.Inputs[0]!), b.Read(add.Inputs[1]!), b.Write(add.Output) }, Lowering.Builder.Linear(total, add.Name));
    }
}

/// <summary>A stand-alone activation (ReLU, ReLU6; anything else passes through) as clamp.comp.</summary>
internal sealed class ActivationOp(ActivationNode a) : VulkanOp
{
    public static VulkanOp? Plan(ActivationNode n, out string reason)
    {
        reason = "";
        return new ActivationOp(n);
    }

    public override void Lower(Lowering.Builder b)
    {
        var (lo, hi) = a.Kind.Bounds();
        b.Clamp(a, lo, hi);
    }
}

/// <summary>Clip to [Min, Max]: clamp.comp.</summary>
internal sealed class ClipOp(ClipNode clip) : VulkanOp
{
    public static VulkanOp? Plan(ClipNode n, out string reason)
    {
        reason = "";
        return new ClipOp(n);
    }

    public override void Lower(Lowering.Builder b) => b.Clamp(clip, clip.Min, clip.Max);
}

/// <summary>BatchNorm folded into a per-channel scale and shift: affine.comp.</summary>
internal sealed class BatchNormOp(BatchNormNode bn) : VulkanOp
{
    public static VulkanOp? Plan(BatchNormNode n, out string reason)
    {
        for (int i = 1; i <= 4; i++)
            if (n.Inputs[i] is not { IsConstant: true })
            {
                reason = "the Vulkan backend needs constant batch-norm parameters";
                return null;
            }
        reason = "";
        return new BatchNormOp(n);
    }

    public override void Lower(Lowering.Builder b)
    {
        int c = bn.Input.Shape[^1];
        var (s, t) = BatchNormAffine.Compute(bn);
        long total = bn.Output.ElementCount;
        b.Add("affine", bn.Name, new[] { 0 }, new[] { (int)total, c },
            new[] { b.Read(bn.Input), b.Weights(s), b.Weights(t), b.Write(bn.Output) }, Lowering.Builder.Linear(total, bn.Name));
    }
}
