using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>LOGISTIC of a float32 tensor, in C#: y = 1 / (1 + exp(−x)) in float32.</summary>
internal sealed class LogisticStep : NativeStep
{
    private readonly Value _input, _output;

    public static NativeStepFactory? Plan(LogisticNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason))
            return null;
        return _ => new LogisticStep(n.Input, n.Output);
    }

    private LogisticStep(Value input, Value output)
    {
        _input = input;
        _output = output;
    }

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_input);
        var y = arena.Span<float>(_output);
        for (int i = 0; i < x.Length; i++)
            y[i] = 1f / (1f + MathF.Exp(-x[i]));
    }
}
