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

/// <summary>Transpose of a tensor of rank ≤ 4 (padded to rank 4 with leading size-1 axes): transpose.comp.</summary>
internal sealed class TransposeOp(TransposeNode tr) : VulkanOp
{
    public static VulkanOp? Plan(TransposeNode n, out string reason)
    {
        if (n.Input.Rank > 4 || n.Input.ElementCount > uint.MaxValue)
        {
            reason = $"Transpose of {Value.FormatShape(n.Input.Shape)}; the Vulkan shader permutes tensors of rank ≤ 4 and at most 2^32 elements";
            return null;
        }
        reason = "";
        return new TransposeOp(n);
    }

    public override void Lower(Lowering.Builder b)
    {
        var (dims, walk) = tr.Rank4Walk();
        var strides = walk.Select(v => (int)v).ToArray();
        long total = tr.Output.ElementCount;
        b.Add("transpose", tr.Name, Array.Empty<int>(), new[] { (int)total, dims[1], dims[2], dims[3], strides[0], strides[1], strides[2], strides[3] },
            new[] { b.Read(tr.Input), b.Write(tr.Output) }, Lowering.Builder.Linear(total, tr.Name));
    }
}

/// <summary>Constant padding of a rank-4 tensor: pad.comp.</summary>
internal sealed class PadOp(PadNode pad) : VulkanOp
{
    public static VulkanOp? Plan(PadNode n, out string reason)
    {
        if (n.Input.Rank != 4)
        {
            reason = $"Pad of rank {n.Input.Rank}; the Vulkan shader pads rank-4 tensors";
            return null;
        }
        reason = "";
        return new PadOp(n);
    }

    public override void Lower(Lowering.Builder b)
    {
        var i = pad.Input.Shape;
        var o = pad.Output.Shape;
        var f = pad.Before;
        long total = pad.Output.ElementCount;
        b.Add("pad", pad.Name, Array.Empty<int>(),
            new[] { (int)total, i[0], i[1], i[2], i[3], o[1], o[2], o[3], f[0], f[1], f[2], f[3], Lowering.Builder.Bits(pad.PadValue) },
            new[] { b.Read(pad.Input), b.Write(pad.Output) }, Lowering.Builder.Linear(total, pad.Name));
    }
}
