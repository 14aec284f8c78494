using MobileNetAccel.Graph;
using ActKind = MobileNetAccel.Graph.Activation;

namespace MobileNetAccel.Ilgpu.Ops;

/// <summary>Add of two equal-shaped tensors with a fused activation; a constant operand is read as it is.</summary>
internal sealed class AddOp(AddNode add) : IlgpuOp
{
    public static IlgpuOp? Plan(AddNode n, out string reason)
    {
        var a = n.Inputs[0]!.Shape;
        var b = n.Inputs[1]!.Shape;
        if (!a.AsSpan().SequenceEqual(b))
        {
            reason = $"Add with broadcasting ({Value.FormatShape(a)} + {Value.FormatShape(b)}) is not implemented on ILGPU; only equal shapes";
            return null;
        }
        reason = "";
        return new AddOp(n);
    }

    public override IEnumerable<Value> RawConstants => add.Inputs.OfType<Value>().Where(v => v.IsConstant);

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var stream = e.Stream;
        var a = e.View(add.Inputs[0]!);
        var b = e.View(add.Inputs[1]!);
        var y = e.Act(add.Output);
        var launch = e.Kernels.Add[add.Activation];
        int n = (int)add.Output.ElementCount;
        int t = e.Threads(n);
        e.Launch(() => launch(stream, t, n, t, a, b, y));
    }
}

/// <summary>A stand-alone activation (none, ReLU, ReLU6) as a clamp.</summary>
internal sealed class ActivationOp(ActivationNode an) : IlgpuOp
{
    public static IlgpuOp? Plan(ActivationNode n, out string reason)
    {
        reason = "";
        return new ActivationOp(n);
    }

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var (lo, hi) = an.Kind.Bounds();
        e.Clip(an.Input, an.Output, lo, hi);
    }
}

/// <summary>Clip to [Min, Max].</summary>
internal sealed class ClipOp(ClipNode cl) : IlgpuOp
{
    public static IlgpuOp? Plan(ClipNode n, out string reason)
    {
        reason = "";
        return new ClipOp(n);
    }

    public override void Emit(IlgpuEmitter e, long[] w) => e.Clip(cl.Input, cl.Output, cl.Min, cl.Max);
}

/// <summary>BatchNorm folded into a per-channel scale and shift.</summary>
internal sealed class BatchNormOp(BatchNormNode bn) : IlgpuOp
{
    public static IlgpuOp? Plan(BatchNormNode n, out string reason)
    {
        reason = "";
        return new BatchNormOp(n);
    }

    public override float[][] Pack()
    {
        var (s, t) = BatchNormAffine.Compute(bn);
        return new[] { s, t };
    }

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var stream = e.Stream;
        var x = e.Act(bn.Input);
        var y = e.Act(bn.Output);
        int c = bn.Input.Shape[^1];
        var sv = e.Weight(w[0], c);
        var tv = e.Weight(w[1], c);
        var launch = e.Kernels.ChannelAffine.Value;
        int n = (int)bn.Output.ElementCount;
        int t = e.Threads(n);
        e.Launch(() => launch(stream, t, n, t, x, sv, tv, y, c));
    }
}
