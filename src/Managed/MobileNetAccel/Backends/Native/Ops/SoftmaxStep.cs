using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>Softmax over the last axis: mna_f32_softmax.</summary>
internal sealed class SoftmaxStep : NativeStep
{
    private readonly Value _input, _output;
    private readonly int _rows, _n;
    private readonly float _beta;

    public static NativeStepFactory? Plan(SoftmaxNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason))
            return null;
        if (n.Input.Rank == 0)
        {
            reason = "softmax of a scalar";
            return null;
        }
        return _ => new SoftmaxStep(n);
    }

    private SoftmaxStep(SoftmaxNode n)
    {
        _input = n.Input;
        _output = n.Output;
        _n = n.Input.Shape[^1];
        _rows = (int)(n.Input.ElementCount / _n);
        _beta = n.Beta;
    }

    public override void Run(IArena arena) =>
        NativeKernels.Softmax(_rows, _n, _beta, arena.Span<float>(_input), arena.Span<float>(_output));
}
