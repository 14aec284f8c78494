using MobileNetAccel.Graph;
using MobileNetAccel.Ilgpu.Kernels;

namespace MobileNetAccel.Ilgpu.Ops;

/// <summary>Reshape of a run-time value: the output shares its input's device storage (no launch).</summary>
internal sealed class ReshapeOp(ReshapeNode r) : IlgpuOp
{
    public static IlgpuOp? Plan(ReshapeNode n, out string reason)
    {
        if (n.Input.IsConstant)
        {
            reason = "reshape of a constant (fold it first)";
            return null;
        }
        reason = "";
        return new ReshapeOp(n);
    }

    public override Value? OutputAliases => r.Input;

    public override void Emit(IlgpuEmitter e, long[] w)
    {
    }
}

/// <summary>Transpose of a run-time tensor of rank ≤ 4 (padded to rank 4 with leading size-1 axes).</summary>
internal sealed class TransposeOp(TransposeNode tr) : IlgpuOp
{
    public static IlgpuOp? Plan(TransposeNode n, out string reason)
    {
        if (n.Input.Rank > 4 || n.Input.IsConstant)
        {
            reason = $"Transpose of rank {n.Input.Rank}{(n.Input.IsConstant ? " constant" : "")}; the ILGPU kernel permutes run-time tensors of rank ≤ 4";
            return null;
        }
        reason = "";
        return new TransposeOp(n);
    }

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var stream = e.Stream;
        var x = e.Act(tr.Input);
        var y = e.Act(tr.Output);
        var (dims, strides) = tr.Rank4Walk();
        var s = new TransposeShape { D1 = dims[1], D2 = dims[2], D3 = dims[3], S0 = strides[0], S1 = strides[1], S2 = strides[2], S3 = strides[3] };
        var launch = e.Kernels.Transpose.Value;
        int n = (int)tr.Output.ElementCount;
        int t = e.Threads(n);
        e.Launch(() => launch(stream, t, n, t, x, y, s));
    }
}

/// <summary>Constant padding of a rank-4 tensor.</summary>
internal sealed class PadOp(PadNode pad) : IlgpuOp
{
    public static IlgpuOp? Plan(PadNode n, out string reason)
    {
        if (n.Input.Rank != 4)
        {
            reason = $"Pad of rank {n.Input.Rank}; the ILGPU kernel pads rank-4 tensors";
            return null;
        }
        reason = "";
        return new PadOp(n);
    }

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var stream = e.Stream;
        var x = e.Act(pad.Input);
        var y = e.Act(pad.Output);
        var i = pad.Input.Shape;
        var o = pad.Output.Shape;
        var s = new PadShape
        {
            InD0 = i[0], InD1 = i[1], InD2 = i[2], InD3 = i[3], OutD1 = o[1], OutD2 = o[2], OutD3 = o[3],
            Before0 = pad.Before[0], Before1 = pad.Before[1], Before2 = pad.Before[2], Before3 = pad.Before[3],
            Value = pad.PadValue,
        };
        var launch = e.Kernels.Pad.Value;
        int n = (int)pad.Output.ElementCount;
        int t = e.Threads(n);
        e.Launch(() => launch(stream, t, n, t, x, y, s));
    }
}
