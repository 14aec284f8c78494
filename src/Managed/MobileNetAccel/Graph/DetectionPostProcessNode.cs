namespace MobileNetAccel.Graph;

/// <summary>
/// Options of TFLite's <c>TFLite_Detection_PostProcess</c> custom operator (SSD box decoding + non-maximum suppression),
/// with TFLite's defaults for the two keys a model may leave out (<see cref="DetectionsPerClass"/> 100,
/// <see cref="UseRegularNms"/> false).
/// </summary>
public sealed record DetectionPostProcessOptions
{
    /// <summary>Most boxes output (rows of the outputs, times <see cref="MaxClassesPerDetection"/> on the fast path).</summary>
    public int MaxDetections { get; init; }
    /// <summary>Classes reported per box on the fast path.</summary>
    public int MaxClassesPerDetection { get; init; } = 1;
    /// <summary>Boxes kept per class by the regular (per-class) NMS before the classes are merged.</summary>
    public int DetectionsPerClass { get; init; } = 100;
    /// <summary>Per-class NMS (TFLite's regular path) instead of the fast path's NMS on each box's best class.</summary>
    public bool UseRegularNms { get; init; }
    /// <summary>Scores below this are dropped before NMS (a score equal to it is kept).</summary>
    public float NmsScoreThreshold { get; init; }
    /// <summary>A box whose IoU with a selected box is strictly greater than this is suppressed.</summary>
    public float NmsIouThreshold { get; init; }
    /// <summary>Classes excluding background; the score tensor's extra leading columns (usually one) are background.</summary>
    public int NumClasses { get; init; }
    /// <summary>Box decoding scales: centre offsets are divided by Y/X, log sizes by H/W.</summary>
    public float YScale { get; init; }
    public float XScale { get; init; }
    public float HScale { get; init; }
    public float WScale { get; init; }
    /// <summary>The converter's <c>_output_quantized</c> flag. TFLite's kernel ignores it: the outputs are float32.</summary>
    public bool OutputQuantized { get; init; }

    /// <summary>Rows of the box/class/score outputs: <see cref="MaxDetections"/> · <see cref="MaxClassesPerDetection"/>.</summary>
    public int OutputRows => MaxDetections * MaxClassesPerDetection;

    /// <summary>What is wrong with these options (TFLite's own checks plus finite positive scales), or null.</summary>
    public string? Problem()
    {
        if (MaxDetections < 1 || MaxDetections > 100_000)
            return $"max_detections {MaxDetections} is outside 1..100000";
        if (MaxClassesPerDetection < 1 || MaxClassesPerDetection > 10_000)
            return $"max_classes_per_detection {MaxClassesPerDetection} is outside 1..10000";
        if ((long)MaxDetections * MaxClassesPerDetection > 1_000_000)
            return $"max_detections × max_classes_per_detection = {(long)MaxDetections * MaxClassesPerDetection} is more than 1000000";
        if (UseRegularNms && DetectionsPerClass < 1)
            return $"detections_per_class {DetectionsPerClass} must be positive";
        if (NumClasses < 1)
            return $"num_classes {NumClasses} must be positive";
        if (float.IsNaN(NmsScoreThreshold))
            return "nms_score_threshold is NaN";
        if (!(NmsIouThreshold > 0f && NmsIouThreshold <= 1f))
            return $"nms_iou_threshold {NmsIouThreshold} is outside (0, 1]";
        foreach (var (name, v) in new[] { ("y_scale", YScale), ("x_scale", XScale), ("h_scale", HScale), ("w_scale", WScale) })
            if (!float.IsFinite(v) || v <= 0f)
                return $"{name} {v} must be positive and finite";
        return null;
    }
}

/// <summary>
/// TFLite's <c>TFLite_Detection_PostProcess</c>: decodes SSD box encodings against anchors and runs non-maximum
/// suppression. Inputs: box encodings [1, A, ≥4] (ty, tx, th, tw), class scores [1, A, C + background] (after the
/// sigmoid), anchors [A, 4] (yc, xc, h, w; a constant). Outputs (float32): boxes [1, N, 4] (ymin, xmin, ymax, xmax),
/// classes [1, N] (0-based, background excluded), scores [1, N], count [1], where N = max_detections ·
/// max_classes_per_detection.
/// </summary>
public sealed class DetectionPostProcessNode : Node
{
    public DetectionPostProcessNode(string name, Value boxEncodings, Value classScores, Value anchors,
        Value boxes, Value classes, Value scores, Value count, DetectionPostProcessOptions options)
        : base(name, new[] { boxEncodings, classScores, anchors }, new[] { boxes, classes, scores, count })
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    public override OpType Op => OpType.DetectionPostProcess;
    public DetectionPostProcessOptions Options { get; set; }

    public Value BoxEncodings => Require(0, "box encodings");
    public Value ClassScores => Require(1, "class scores");
    public Value Anchors => Require(2, "anchors");

    public override void InferShapes()
    {
        if (Options.Problem() is { } problem)
            throw Error(problem);
        if (Outputs.Count != 4)
            throw Error($"has {Outputs.Count} outputs; expected 4 (boxes, classes, scores, count)");
        var box = RequireRank(BoxEncodings, 3, "box encodings");
        var sc = RequireRank(ClassScores, 3, "class scores");
        var an = RequireRank(Anchors, 2, "anchors");
        if (box[0] != 1 || sc[0] != 1)
            throw Error($"batch {box[0]}/{sc[0]} is not supported; only 1");
        if (box[2] < 4)
            throw Error($"box encodings {Value.FormatShape(box)} have fewer than 4 coordinates per anchor");
        if (an[1] != 4)
            throw Error($"anchors {Value.FormatShape(an)} must be [anchors, 4]");
        if (sc[1] != box[1] || an[0] != box[1])
            throw Error($"box encodings {Value.FormatShape(box)}, class scores {Value.FormatShape(sc)} and anchors {Value.FormatShape(an)} disagree on the anchor count");
        if (sc[2] < Options.NumClasses)
            throw Error($"class scores {Value.FormatShape(sc)} have fewer than num_classes {Options.NumClasses} columns");
        CheckAnchors();
        int n = Options.OutputRows;
        Set(Outputs[0], new[] { 1, n, 4 });
        Set(Outputs[1], new[] { 1, n });
        Set(Outputs[2], new[] { 1, n });
        Set(Outputs[3], new[] { 1 });
    }

    private static readonly string[] AnchorParts = { "y centre", "x centre", "height", "width" };

    /// <summary>Constant anchors, as the kernel dequantizes them (scale · (q − zero point) in float32), must be finite
    /// with non-negative heights and widths: a negative size decodes every box of that anchor with ymin &gt; ymax (or
    /// xmin &gt; xmax), which TFLite's kernel refuses on every run, whatever the input.</summary>
    private void CheckAnchors()
    {
        var a = Anchors;
        if (a.Data is not { } data)
            return;
        var q = a.Quantization;
        if (a.DataType is DataType.UInt8 or DataType.Int8 && (q is null || q.IsPerChannel))
            throw Error($"anchors '{a.Name}' are {a.DataType} without per-tensor quantization");
        if (a.DataType is not (DataType.Float32 or DataType.UInt8 or DataType.Int8))
            throw Error($"anchors '{a.Name}' are {a.DataType}; float32 or per-tensor uint8/int8 expected");
        float scale = q?.Scale ?? 1f, zp = q?.ZeroPoint ?? 0;
        if (data.LongLength != a.SizeInBytes)
            throw Error($"anchors '{a.Name}' hold {data.LongLength} bytes; {Value.FormatShape(a.Shape)} {a.DataType} needs {a.SizeInBytes}");
        ReadOnlySpan<float> floats = a.DataType == DataType.Float32 ? a.AsFloats() : default;
        for (int i = 0; i < a.ElementCount; i++)
        {
            float v = a.DataType switch
            {
                DataType.Float32 => floats[i],
                DataType.UInt8 => scale * (data[i] - zp),
                _ => scale * ((sbyte)data[i] - zp),
            };
            if (!float.IsFinite(v))
                throw Error($"anchor {i / 4} has {AnchorParts[i % 4]} {v}; anchors must be finite");
            if (i % 4 >= 2 && v < 0)
                throw Error($"anchor {i / 4} has a negative {AnchorParts[i % 4]} ({v}: anchors '{a.Name}', zero point {zp}, scale {scale}); every box decoded from it would have min > max");
        }
    }

    private static void Set(Value v, int[] shape)
    {
        v.Shape = shape;
        v.DataType = DataType.Float32;
        v.Quantization = null;
    }
}
