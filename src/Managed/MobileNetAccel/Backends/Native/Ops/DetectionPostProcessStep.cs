using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Ops;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>TFLite_Detection_PostProcess (SSD box decoding + NMS) in C#: the box encodings and class scores are read
/// from the arena and dequantized as TFLite's kernel does (scale · (q − zero point) in float32; float32 inputs as they
/// are), the anchors (a constant) are dequantized once when the step is built, then
/// <see cref="DetectionPostProcess.Run"/> writes the four float32 outputs. The same step serves the float and the
/// integer path (<see cref="Quantized.QDetectionPostProcessStep"/>).</summary>
internal sealed class DetectionPostProcessStep : NativeStep
{
    private readonly DetectionPostProcessNode _n;
    private readonly float[] _anchors;
    private readonly int _numAnchors, _boxStride, _scoreColumns;

    public static NativeStepFactory? Plan(DetectionPostProcessNode n, out string reason)
    {
        if (!CanRun(n, out reason))
            return null;
        return _ => new DetectionPostProcessStep(n);
    }

    /// <summary>Whether the node can run here: float32 or per-tensor uint8/int8 inputs, constant anchors, float32
    /// outputs of the inferred shapes (reason set otherwise).</summary>
    internal static bool CanRun(DetectionPostProcessNode n, out string reason)
    {
        reason = "";
        foreach (var v in new[] { n.BoxEncodings, n.ClassScores, n.Anchors })
        {
            if (v.DataType == DataType.Float32)
                continue;
            if (v.DataType is not (DataType.UInt8 or DataType.Int8) || v.Quantization is null || v.Quantization.IsPerChannel)
            {
                reason = $"'{v.Name}' is {v.DataType}{(v.Quantization?.IsPerChannel == true ? " quantized per channel" : "")}; float32 or per-tensor uint8/int8 expected";
                return false;
            }
        }
        if (!NativeOps.Constants(out reason, n.Anchors))
            return false;
        foreach (var o in n.Outputs)
            if (o.DataType != DataType.Float32)
            {
                reason = $"output '{o.Name}' is {o.DataType}; float32 expected";
                return false;
            }
        return true;
    }

    internal DetectionPostProcessStep(DetectionPostProcessNode n)
    {
        _n = n;
        _numAnchors = n.BoxEncodings.Shape[1];
        _boxStride = n.BoxEncodings.Shape[2];
        _scoreColumns = n.ClassScores.Shape[2];
        var a = n.Anchors;
        _anchors = a.DataType == DataType.Float32 ? a.AsFloats().ToArray() : Dequantize(a, a.Data);
    }

    private static float[] Dequantize(Value v, ReadOnlySpan<byte> bytes)
    {
        var q = v.Quantization!;
        if (v.DataType == DataType.UInt8)
            return DetectionPostProcess.Dequantize(bytes, q.Scale, q.ZeroPoint);
        var r = new float[bytes.Length];
        float zp = q.ZeroPoint;
        for (int i = 0; i < bytes.Length; i++)
            r[i] = q.Scale * ((sbyte)bytes[i] - zp);
        return r;
    }

    private static float[] Read(IArena arena, Value v) =>
        v.DataType == DataType.Float32 ? arena.Span<float>(v).ToArray() : Dequantize(v, arena.Span<byte>(v));

    public override void Run(IArena arena)
    {
        var r = DetectionPostProcess.Run(_n.Options, Read(arena, _n.BoxEncodings), _boxStride, Read(arena, _n.ClassScores),
            _scoreColumns, _anchors, _numAnchors);
        r.Boxes.CopyTo(arena.Span<float>(_n.Outputs[0]));
        r.Classes.CopyTo(arena.Span<float>(_n.Outputs[1]));
        r.Scores.CopyTo(arena.Span<float>(_n.Outputs[2]));
        r.Count.CopyTo(arena.Span<float>(_n.Outputs[3]));
    }
}
