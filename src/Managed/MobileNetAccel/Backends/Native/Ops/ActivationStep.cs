using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>Standalone ReLU / ReLU6 (and Clip(0,6) / Clip(0,inf)): mna_f32_activation.</summary>
internal sealed class ActivationStep : NativeStep
{
    private readonly Value _input, _output;
    private readonly NativeActivation _kind;

    public static NativeStepFactory? Plan(ActivationNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason))
            return null;
        return _ => new ActivationStep(n.Input, n.Output, n.Kind);
    }

    public static NativeStepFactory? Plan(ClipNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason))
            return null;
        if (n.Min != 0f || !(n.Max == 6f || float.IsPositiveInfinity(n.Max)))
        {
            reason = $"Clip({n.Min}, {n.Max}) is not ReLU or ReLU6; the native backend has no general clip";
            return null;
        }
        var kind = n.Max == 6f ? Activation.Relu6 : Activation.Relu;
        return _ => new ActivationStep(n.Input, n.Output, kind);
    }

    private ActivationStep(Value input, Value output, Activation kind)
    {
        _input = input;
        _output = output;
        _kind = kind.ToNative();
    }

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_input);
        var y = arena.Span<float>(_output);
        if (_kind == NativeActivation.None)
            x.CopyTo(y);
        else
            NativeKernels.ApplyActivation(_output.ElementCount, _kind, x, y);
    }
}
