using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>ReLU / ReLU6 and general Clip(min, max), element by element.</summary>
internal sealed class RefActivation : ReferenceStep
{
    private readonly Value _in, _out;
    private readonly float _min, _max;

    public static ReferenceStepFactory? Plan(ActivationNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason))
            return null;
        var (min, max) = n.Kind switch
        {
            Activation.Relu => (0f, float.PositiveInfinity),
            Activation.Relu6 => (0f, 6f),
            _ => (float.NegativeInfinity, float.PositiveInfinity),
        };
        return () => new RefActivation(n.Input, n.Output, min, max);
    }

    public static ReferenceStepFactory? Plan(ClipNode n, out string reason)
    {
        if (!ReferenceOps.Float(n, out reason))
            return null;
        return () => new RefActivation(n.Input, n.Output, n.Min, n.Max);
    }

    private RefActivation(Value input, Value output, float min, float max)
    {
        _in = input;
        _out = output;
        _min = min;
        _max = max;
    }

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_in);
        var y = arena.Span<float>(_out);
        for (int i = 0; i < y.Length; i++)
            y[i] = Math.Min(Math.Max(x[i], _min), _max);
    }
}
