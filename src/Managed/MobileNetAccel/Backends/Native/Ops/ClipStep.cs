using System.Numerics;
using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>
/// Clip to a general [Min, Max] (Clip(0,6) and Clip(0,∞) go to <see cref="ActivationStep"/>'s native ReLU6/ReLU).
/// An element-wise clamp, written in C# with <see cref="Vector{T}"/>; NaN stays NaN (as in ONNX Runtime).
/// </summary>
internal sealed class ClipStep : NativeStep
{
    private readonly Value _input, _output;
    private readonly float _min, _max;

    public static NativeStepFactory? Plan(ClipNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason))
            return null;
        if (n.Input.IsConstant)
        {
            reason = "clip of a constant should be folded";
            return null;
        }
        return _ => new ClipStep(n);
    }

    private ClipStep(ClipNode n)
    {
        _input = n.Input;
        _output = n.Output;
        _min = n.Min;
        _max = n.Max;
    }

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_input);
        var y = arena.Span<float>(_output);
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var lo = new Vector<float>(_min);
            var hi = new Vector<float>(_max);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(x.Slice(i));
                // Select keeps NaN lanes (comparisons with NaN are false).
                var clamped = Vector.ConditionalSelect(Vector.LessThan(v, lo), lo, Vector.ConditionalSelect(Vector.GreaterThan(v, hi), hi, v));
                clamped.CopyTo(y.Slice(i));
            }
        }
        for (; i < x.Length; i++)
        {
            float v = x[i];
            y[i] = v < _min ? _min : v > _max ? _max : v;
        }
    }
}
