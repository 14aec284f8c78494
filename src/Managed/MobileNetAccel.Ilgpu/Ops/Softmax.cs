using MobileNetAccel.Graph;
using MobileNetAccel.Ilgpu.Kernels;

namespace MobileNetAccel.Ilgpu.Ops;

/// <summary>Softmax over the last axis: one group per row.</summary>
internal sealed class SoftmaxOp(SoftmaxNode sm) : IlgpuOp
{
    public static IlgpuOp? Plan(SoftmaxNode n, out string reason)
    {
        reason = "";
        return new SoftmaxOp(n);
    }

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var stream = e.Stream;
        var x = e.Act(sm.Input);
        var y = e.Act(sm.Output);
        int cols = sm.Input.Shape[^1];
        int rows = (int)(sm.Input.ElementCount / cols);
        var launch = e.Kernels.Softmax.Value;
        var cfg = ElementwiseKernels.SoftmaxConfig(rows, e.GroupSize, e.MaxGroups);
        float beta = sm.Beta;
        e.Launch(() => launch(stream, cfg, x, y, rows, cols, beta));
    }
}
