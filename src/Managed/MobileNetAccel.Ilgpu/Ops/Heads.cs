using ILGPU;
using ILGPU.Runtime;
using MobileNetAccel.Graph;
using MobileNetAccel.Ilgpu.Kernels;

namespace MobileNetAccel.Ilgpu.Ops;

/// <summary>Concatenation along any axis: one copy launch per input, each into its column range of the output
/// (viewed as [outer, axis·inner]). Constant inputs are uploaded once and read as they are.</summary>
internal sealed class ConcatOp(ConcatNode c) : IlgpuOp
{
    public static IlgpuOp? Plan(ConcatNode n, out string reason)
    {
        reason = "";
        return new ConcatOp(n);
    }

    public override IEnumerable<Value> RawConstants => c.Inputs.Where(v => v is { IsConstant: true }).Select(v => v!);

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var stream = e.Stream;
        var o = c.Output.Shape;
        var (_, inner) = c.Blocks();
        int outRow = (int)(o[c.Axis] * inner);
        var y = e.Act(c.Output);
        var launch = e.Kernels.ConcatSlice.Value;
        int column = 0;
        foreach (var v in c.Inputs)
        {
            int row = (int)(v!.Shape[c.Axis] * inner);
            int n = (int)v.ElementCount, at = column;
            column += row;
            if (n == 0)
                continue;
            var x = e.View(v);
            int t = e.Threads(n);
            e.Launch(() => launch(stream, t, n, t, x, y, row, outRow, at));
        }
    }
}

/// <summary>RESIZE_BILINEAR (align_corners, half-pixel centres or neither) with TFLite's float32 scales.</summary>
internal sealed class ResizeBilinearOp(ResizeBilinearNode r) : IlgpuOp
{
    public static IlgpuOp? Plan(ResizeBilinearNode n, out string reason)
    {
        reason = "";
        return new ResizeBilinearOp(n);
    }

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var stream = e.Stream;
        var x = e.Act(r.Input);
        var y = e.Act(r.Output);
        var i = r.Input.Shape;
        var s = new ResizeShape
        {
            InH = i[1], InW = i[2], C = i[3], OutH = r.OutputHeight, OutW = r.OutputWidth, HalfPixel = r.HalfPixelCenters ? 1 : 0,
            ScaleH = ResizeBilinearNode.Scale(i[1], r.OutputHeight, r.AlignCorners),
            ScaleW = ResizeBilinearNode.Scale(i[2], r.OutputWidth, r.AlignCorners),
        };
        var launch = e.Kernels.ResizeBilinear.Value;
        int n = (int)r.Output.ElementCount;
        int t = e.Threads(n);
        e.Launch(() => launch(stream, t, n, t, x, y, s));
    }
}

/// <summary>ARG_MAX/ARG_MIN of a float32 tensor along any axis to int64 or int32 indices (the first maximum/minimum wins), one thread
/// per output element; the output lives in the float activation buffer, viewed as its integer type.</summary>
internal sealed class ArgMaxOp(ArgMaxNode am) : IlgpuOp
{
    public static IlgpuOp? Plan(ArgMaxNode n, out string reason)
    {
        if (n.Input.DataType != DataType.Float32)
        {
            reason = $"ILGPU kernels are float32 only; '{n.Input.Name}' is {n.Input.DataType}";
            return null;
        }
        if (n.Output.DataType is not (DataType.Int64 or DataType.Int32))
        {
            reason = $"{(n.Min ? "ARG_MIN" : "ARG_MAX")} output '{n.Output.Name}' is {n.Output.DataType}; Int64 or Int32 expected";
            return null;
        }
        if (n.Input.Shape.Length == 0 || n.Input.ElementCount >= int.MaxValue)
        {
            reason = $"'{n.Input.Name}' has {n.Input.ElementCount} elements; ILGPU kernels index with 32-bit integers";
            return null;
        }
        reason = "";
        return new ArgMaxOp(n);
    }

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var stream = e.Stream;
        var x = e.Act(am.Input);
        ArrayView<float> y = e.Act(am.Output);
        var (_, axis, blockInner) = am.Blocks();
        int inner = (int)blockInner;
        int n = (int)am.Output.ElementCount;
        int t = e.Threads(n);
        int min = am.Min ? 1 : 0;
        if (am.Output.DataType == DataType.Int64)
        {
            var launch = e.Kernels.ArgMax64.Value;
            var y64 = y.Cast<long>();
            e.Launch(() => launch(stream, t, n, t, x, y64, axis, inner, min));
        }
        else
        {
            var launch = e.Kernels.ArgMax32.Value;
            var y32 = y.Cast<int>();
            e.Launch(() => launch(stream, t, n, t, x, y32, axis, inner, min));
        }
    }
}

/// <summary>LOGISTIC (sigmoid) element-wise.</summary>
internal sealed class LogisticOp(LogisticNode l) : IlgpuOp
{
    public static IlgpuOp? Plan(LogisticNode n, out string reason)
    {
        reason = "";
        return new LogisticOp(n);
    }

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var stream = e.Stream;
        var x = e.Act(l.Input);
        var y = e.Act(l.Output);
        var launch = e.Kernels.Logistic.Value;
        int n = (int)l.Output.ElementCount;
        int t = e.Threads(n);
        e.Launch(() => launch(stream, t, n, t, x, y));
    }
}

/// <summary>Mul with a fused activation: equal shapes, or one operand broadcast over the other's leading axes (its shape,
/// leading 1s dropped, is the output's trailing dimensions: a per-channel or scalar factor). Either may be a constant.</summary>
internal sealed class MulOp(MulNode m, Value full, Value factor) : IlgpuOp
{
    public static IlgpuOp? Plan(MulNode n, out string reason)
    {
        Value a = n.Inputs[0]!, b = n.Inputs[1]!;
        var o = n.Output.Shape;
        foreach (var (full, factor) in new[] { (a, b), (b, a) })
            if (!full.IsConstant && full.Shape.SequenceEqual(o) && IsTrailing(factor.Shape, o))
            {
                reason = "";
                return new MulOp(n, full, factor);
            }
        reason = $"the ILGPU Mul kernel needs one run-time operand of the output's shape and the other equal or broadcast " +
            $"over leading axes; got {Value.FormatShape(a.Shape)} and {Value.FormatShape(b.Shape)}";
        return null;
    }

    private static bool IsTrailing(int[] s, int[] o)
    {
        var t = s.SkipWhile(d => d == 1).ToArray();
        return t.Length <= o.Length && t.SequenceEqual(o.Skip(o.Length - t.Length));
    }

    public override IEnumerable<Value> RawConstants => factor.IsConstant ? new[] { factor } : Array.Empty<Value>();

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var stream = e.Stream;
        var a = e.Act(full);
        var b = e.View(factor);
        var y = e.Act(m.Output);
        var launch = e.Kernels.Mul[m.Activation];
        int n = (int)m.Output.ElementCount;
        int bl = (int)Math.Max(factor.ElementCount, 1);
        int t = e.Threads(n);
        e.Launch(() => launch(stream, t, n, t, a, b, y, bl));
    }
}
