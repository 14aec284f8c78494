namespace MobileNetAccel.Graph;

/// <summary>
/// Bilinear resize of an NHWC tensor to <see cref="OutputHeight"/> x <see cref="OutputWidth"/> (TFLite's
/// RESIZE_BILINEAR). Output pixel (y, x) samples the input at (y · scaleH, x · scaleW), with scale = in / out, or
/// (in − 1) / (out − 1) under <see cref="AlignCorners"/> (when out > 1); under <see cref="HalfPixelCenters"/> the
/// sample is ((y + 0.5) · scale − 0.5). The four neighbours are floor/ceil of the sample clamped to the image, weighted by
/// the fractional part. Quantized tensors keep their own parameters (the output may requantize).
/// </summary>
public sealed class ResizeBilinearNode : Node
{
    public ResizeBilinearNode(string name, Value input, Value output, int outputHeight, int outputWidth) : base(name, new[] { input }, new[] { output })
    {
        OutputHeight = outputHeight;
        OutputWidth = outputWidth;
    }

    public override OpType Op => OpType.ResizeBilinear;
    public int OutputHeight { get; set; }
    public int OutputWidth { get; set; }
    public bool AlignCorners { get; set; }
    public bool HalfPixelCenters { get; set; }

    public override void InferShapes()
    {
        var x = RequireRank(Input, 4, "input");
        if (OutputHeight < 1 || OutputWidth < 1 || OutputHeight > 1 << 16 || OutputWidth > 1 << 16)
            throw Error($"output size {OutputHeight}x{OutputWidth} must be between 1 and 65536");
        if (AlignCorners && HalfPixelCenters)
            throw Error("align_corners and half_pixel_centers cannot both be set");
        Output.Shape = new[] { x[0], OutputHeight, OutputWidth, x[3] };
        Output.DataType = Input.DataType;
        Output.Quantization ??= Input.Quantization;
    }

    /// <summary>The source scale of one axis (TFLite: float32 in / out, or (in − 1) / (out − 1) when aligning corners).</summary>
    public static float Scale(int input, int output, bool alignCorners) =>
        alignCorners && output > 1 ? (float)(input - 1) / (output - 1) : (float)input / output;
}
