using MobileNetAccel.Graph;

namespace MobileNetAccel.Vulkan.Ops;

/// <summary>Concatenation along any axis: concat.comp once per (non-empty) input, each into its column range of the
/// output viewed as [outer, axis·inner]. Constant inputs are read from the weight blob.</summary>
internal sealed class ConcatOp(ConcatNode c) : VulkanOp
{
    public static VulkanOp? Plan(ConcatNode n, out string reason)
    {
        if (n.Output.ElementCount > uint.MaxValue)
        {
            reason = $"'{n.Output.Name}' has {n.Output.ElementCount} elements, more than 2^32";
            return null;
        }
        reason = "";
        return new ConcatOp(n);
    }

    public override void Lower(Lowering.Builder b)
    {
        var o = c.Output.Shape;
        var (_, inner) = c.Blocks();
        long outRow = o[c.Axis] * inner, column = 0;
        if (c.Output.ElementCount == 0)
            return;
        foreach (var v in c.Inputs)
        {
            long row = v!.Shape[c.Axis] * inner, total = v.ElementCount;
            if (total > 0)
                b.Add("concat", c.Name, Array.Empty<int>(), new[] { (int)total, (int)row, (int)outRow, (int)column },
                    new[] { b.Read(v), b.Write(c.Output) }, Lowering.Builder.Linear(total, c.Name));
            column += row;
        }
    }
}

/// <summary>RESIZE_BILINEAR (align_corners, half-pixel centres or neither) with TFLite's float32 scales: resize.comp.</summary>
internal sealed class ResizeBilinearOp(ResizeBilinearNode r) : VulkanOp
{
    public static VulkanOp? Plan(ResizeBilinearNode n, out string reason)
    {
        reason = "";
        return new ResizeBilinearOp(n);
    }

    public override void Lower(Lowering.Builder b)
    {
        var i = r.Input.Shape;
        long total = r.Output.ElementCount;
        float sh = ResizeBilinearNode.Scale(i[1], r.OutputHeight, r.AlignCorners), sw = ResizeBilinearNode.Scale(i[2], r.OutputWidth, r.AlignCorners);
        b.Add("resize", r.Name, Array.Empty<int>(),
            new[] { (int)total, i[1], i[2], i[3], r.OutputHeight, r.OutputWidth, r.HalfPixelCenters ? 1 : 0, Lowering.Builder.Bits(sh), Lowering.Builder.Bits(sw) },
            new[] { b.Read(r.Input), b.Write(r.Output) }, Lowering.Builder.Linear(total, r.Name));
    }
}

/// <summary>ARG_MAX/ARG_MIN of a float32 tensor along any axis to int64 or int32 indices (first maximum/minimum wins):
/// argmax.comp.</summary>
internal sealed class ArgMaxOp(ArgMaxNode am) : VulkanOp
{
    public static VulkanOp? Plan(ArgMaxNode n, out string reason)
    {
        if (n.Input.DataType != DataType.Float32)
        {
            reason = $"the Vulkan backend runs float32 only; input '{n.Input.Name}' is {n.Input.DataType}";
            return null;
        }
        if (n.Output.DataType is not (DataType.Int64 or DataType.Int32))
        {
            reason = $"{(n.Min ? "ARG_MIN" : "ARG_MAX")} output '{n.Output.Name}' is {n.Output.DataType}; Int64 or Int32 expected";
            return null;
        }
        if (n.Input.ElementCount > uint.MaxValue)
        {
            reason = $"'{n.Input.Name}' has {n.Input.ElementCount} elements, more than 2^32";
            return null;
        }
        reason = "";
        return new ArgMaxOp(n);
    }

    public override void Lower(Lowering.Builder b)
    {
        var (_, length, inner) = am.Blocks();
        long total = am.Output.ElementCount;
        b.Add("argmax", am.Name, new[] { am.Output.DataType == DataType.Int64 ? 1 : 0, am.Min ? 1 : 0 }, new[] { (int)total, length, (int)inner },
            new[] { b.Read(am.Input), b.Write(am.Output) }, Lowering.Builder.Linear(total, am.Name));
    }
}

/// <summary>LOGISTIC (sigmoid): logistic.comp.</summary>
internal sealed class LogisticOp(LogisticNode l) : VulkanOp
{
    public static VulkanOp? Plan(LogisticNode n, out string reason)
    {
        reason = "";
        return new LogisticOp(n);
    }

    public override void Lower(Lowering.Builder b)
    {
        long total = l.Output.ElementCount;
        b.Add("logistic", l.Name, Array.Empty<int>(), new[] { (int)total }, new[] { b.Read(l.Input), b.Write(l.Output) }, Lowering.Builder.Linear(total, l.Name));
    }
}

/// <summary>Mul with a fused activation: equal shapes, or one operand broadcast over the other's leading axes (its shape,
/// leading 1s dropped, is the output's trailing dimensions): mul.comp. Either may be a constant.</summary>
internal sealed class MulOp(MulNode m, Value full, Value factor) : VulkanOp
{
    public static VulkanOp? Plan(MulNode n, out string reason)
    {
        Value a = n.Inputs[0]!, c = n.Inputs[1]!;
        var o = n.Output.Shape;
        foreach (var (full, factor) in new[] { (a, c), (c, a) })
            if (!full.IsConstant && full.Shape.SequenceEqual(o) && IsTrailing(factor.Shape, o))
            {
                reason = "";
                return new MulOp(n, full, factor);
            }
        reason = $"the Vulkan mul shader needs one run-time operand of the output's shape and the other equal or broadcast " +
            $"over leading axes; got {Value.FormatShape(a.Shape)} and {Value.FormatShape(c.Shape)}";
        return null;
    }

    private static bool IsTrailing(int[] s, int[] o)
    {
        var t = s.SkipWhile(d => d == 1).ToArray();
        return t.Length <= o.Length && t.SequenceEqual(o.Skip(o.Length - t.Length));
    }

    public override void Lower(Lowering.Builder b)
    {
        long total = m.Output.ElementCount;
        b.Add("mul", m.Name, new[] { (int)m.Activation }, new[] { (int)total, (int)Math.Max(factor.ElementCount, 1) },
            new[] { b.Read(full), b.Read(factor), b.Write(m.Output) }, Lowering.Builder.Linear(total, m.Name));
    }
}
