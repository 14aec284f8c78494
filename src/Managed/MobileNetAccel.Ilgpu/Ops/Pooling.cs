using ILGPU;
using ILGPU.Runtime;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Ilgpu.Ops;

/// <summary>GlobalAveragePool: one thread per output channel value.</summary>
internal sealed class GlobalAveragePoolOp(GlobalAveragePoolNode gp) : IlgpuOp
{
    public static IlgpuOp? Plan(GlobalAveragePoolNode n, out string reason)
    {
        reason = "";
        return new GlobalAveragePoolOp(n);
    }

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var stream = e.Stream;
        var x = e.Act(gp.Input);
        var y = e.Act(gp.Output);
        var s = IlgpuEmitter.Window(gp.Input, gp.Output);
        var launch = e.Kernels.GlobalAveragePool.Value;
        int n = (int)gp.Output.ElementCount;
        int t = e.Threads(n);
        e.Launch(() => launch(stream, t, n, t, x, y, s));
    }
}

/// <summary>AveragePool2D with kernel size and stride as specialised constants.</summary>
internal sealed class AveragePool2DOp(AveragePool2DNode ap) : IlgpuOp
{
    public static IlgpuOp? Plan(AveragePool2DNode n, out string reason)
    {
        reason = "";
        return new AveragePool2DOp(n);
    }

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var stream = e.Stream;
        var x = e.Act(ap.Input);
        var y = e.Act(ap.Output);
        var s = IlgpuEmitter.Window(ap.Input, ap.Output);
        s.PadTop = ap.Padding.Top;
        s.PadLeft = ap.Padding.Left;
        var launch = e.Kernels.AveragePool.Value;
        int n = (int)ap.Output.ElementCount;
        int t = e.Threads(n);
        var (kh, kw, sh, swd) = (SpecializedValue.New(ap.KernelH), SpecializedValue.New(ap.KernelW), SpecializedValue.New(ap.StrideH), SpecializedValue.New(ap.StrideW));
        e.Launch(() => launch(stream, t, n, t, x, y, s, kh, kw, sh, swd));
    }
}
