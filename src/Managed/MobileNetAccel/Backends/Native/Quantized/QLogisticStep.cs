using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Native.Ops;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Native.Quantized;

/// <summary>
/// LOGISTIC of a uint8/int8 tensor through a 256-entry table built once: each input level q is dequantized
/// (x = s_in · (q − zp_in)), y = 1 / (1 + exp(−x)) is computed in double, and quantized with the output's parameters
/// (TFLite's fixed 1/256 and zero point 0 / −128), rounding half away from zero, clamped to the type's range.
/// This is the float formulation (as ArmNN's reference backend and XNNPACK's table compute it), not TFLite's
/// fixed-point reference kernel; the two can differ by one quantum on a few levels.
/// </summary>
internal sealed class QLogisticStep : QuantizedStep
{
    private readonly Value _input, _output;
    private readonly byte[] _table = new byte[256];

    public static QuantizedStepFactory? Plan(LogisticNode n, out string reason)
    {
        if (!Q.PerTensor(n.Input, out reason) || !Q.PerTensor(n.Output, out reason))
            return null;
        if (n.Input.DataType != n.Output.DataType)
        {
            reason = $"logistic of {n.Input.DataType} to {n.Output.DataType}; the same type expected";
            return null;
        }
        return _ => new QLogisticStep(n.Input, n.Output);
    }

    private QLogisticStep(Value input, Value output)
    {
        _input = input;
        _output = output;
        bool signed = input.DataType == DataType.Int8;
        var (lo, hi) = Q.TypeRange(output.DataType);
        double si = input.Quantization!.Scale, so = output.Quantization!.Scale;
        long zi = input.Quantization.ZeroPoint, zo = output.Quantization.ZeroPoint;
        for (int b = 0; b < 256; b++)
        {
            int q = signed ? (sbyte)(byte)b : b;
            double x = si * (q - zi);
            double y = 1.0 / (1.0 + Math.Exp(-x));
            long r = (long)Math.Round(y / so, MidpointRounding.AwayFromZero) + zo;
            int v = (int)Math.Clamp(r, lo, hi);
            _table[b] = signed ? (byte)(sbyte)v : (byte)v;
        }
    }

    public override void Run(IArena arena)
    {
        var x = arena.Span<byte>(_input);
        var y = arena.Span<byte>(_output);
        var t = _table;
        for (int i = 0; i < x.Length; i++)
            y[i] = t[x[i]];
    }
}

/// <summary>TFLite_Detection_PostProcess on the integer path: uint8/int8 box encodings and class scores in, float32
/// outputs (<see cref="DetectionPostProcessStep"/> dequantizes and runs the shared algorithm).</summary>
internal sealed class QDetectionPostProcessStep : QuantizedStep
{
    private readonly DetectionPostProcessStep _step;

    public static QuantizedStepFactory? Plan(DetectionPostProcessNode n, out string reason)
    {
        if (!DetectionPostProcessStep.CanRun(n, out reason))
            return null;
        return _ => new QDetectionPostProcessStep(new DetectionPostProcessStep(n));
    }

    private QDetectionPostProcessStep(DetectionPostProcessStep step) => _step = step;

    public override void Run(IArena arena) => _step.Run(arena);
}
