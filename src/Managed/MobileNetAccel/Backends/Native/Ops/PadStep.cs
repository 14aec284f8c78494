using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>Constant padding of H and W of an NHWC tensor: mna_f32_pad2d (N and C must not be padded).</summary>
internal sealed class PadStep : NativeStep
{
    private readonly Value _input, _output;
    private readonly int _n, _h, _w, _c, _top, _left, _bottom, _right;
    private readonly float _value;

    public static NativeStepFactory? Plan(PadNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason))
            return null;
        if (n.Input.Rank != 4 || n.Before[0] != 0 || n.After[0] != 0 || n.Before[3] != 0 || n.After[3] != 0
            || n.Before.Any(p => p < 0) || n.After.Any(p => p < 0))
        {
            reason = "the native pad handles non-negative H/W padding of 4-D NHWC tensors only";
            return null;
        }
        return _ => new PadStep(n);
    }

    private PadStep(PadNode n)
    {
        _input = n.Input;
        _output = n.Output;
        (_n, _h, _w, _c) = (n.Input.Shape[0], n.Input.Shape[1], n.Input.Shape[2], n.Input.Shape[3]);
        (_top, _left, _bottom, _right) = (n.Before[1], n.Before[2], n.After[1], n.After[2]);
        _value = n.PadValue;
    }

    public override void Run(IArena arena) =>
        NativeKernels.Pad2D(_n, _h, _w, _c, _top, _left, _bottom, _right, _value, arena.Span<float>(_input), arena.Span<float>(_output));
}
