using System.Runtime.InteropServices;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Imaging;

/// <summary>How pixel values become input values.</summary>
public enum NormalizationPreset
{
    /// <summary>From the model: quantized (uint8/int8) inputs take the pixels as they are (int8: pixel − 128);
    /// float inputs use <see cref="TensorFlow"/>.</summary>
    Auto,
    /// <summary>The byte values 0..255 unchanged (as float for float inputs).</summary>
    Raw,
    /// <summary>(x − 127.5) / 127.5, in [−1, 1] (TF-slim / Keras MobileNets).</summary>
    TensorFlow,
    /// <summary>(x/255 − mean) / std with ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225) (torchvision).</summary>
    Torchvision,
}

/// <summary>Options of <see cref="ImagePreprocessor"/>.</summary>
public sealed class PreprocessOptions
{
    public ResizeMode Resize { get; init; } = ResizeMode.Bilinear;
    /// <summary>Central fraction kept before resizing (1 = no crop; 0.875 is the TF-slim evaluation crop).</summary>
    public double CenterCropFraction { get; init; } = 1.0;
    public NormalizationPreset Normalization { get; init; } = NormalizationPreset.Auto;
    /// <summary>torchvision's evaluation transform before everything else: the shorter side resized to crop/0.875
    /// (256 for 224), then the centre crop of the input's size (<see cref="TorchvisionTransform"/>). Applied by
    /// <see cref="Classifier.Classify"/> and <see cref="ImageClassifier"/>, not by <see cref="ImagePreprocessor.ToTensor"/>.</summary>
    public bool TorchvisionCrop { get; init; }
}

/// <summary>Turns an image into a model input tensor (raw little-endian bytes in the input's dtype and layout).</summary>
public static class ImagePreprocessor
{
    private static readonly float[] TorchMean = { 0.485f, 0.456f, 0.406f };
    private static readonly float[] TorchStd = { 0.229f, 0.224f, 0.225f };

    /// <summary>(height, width, NCHW?) of a 4-D image input: NHWC [N,H,W,3] or NCHW [N,3,H,W].</summary>
    public static (int Height, int Width, bool Nchw) Geometry(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 4 && shape[3] == 3)
            return (shape[1], shape[2], false);
        if (shape.Length == 4 && shape[1] == 3)
            return (shape[2], shape[3], true);
        throw new NotSupportedException($"input shape {Value.FormatShape(shape)} is not an RGB image tensor (NHWC [N,H,W,3] or NCHW [N,3,H,W])");
    }

    /// <summary>Crops, resizes to the input's size and normalises one image into batch slot 0 of a tensor of the
    /// input's shape (other batch slots are zero).</summary>
    public static byte[] ToTensor(RgbImage image, int[] shape, DataType dataType, QuantizationParameters? quantization, PreprocessOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= new PreprocessOptions();
        var (h, w, nchw) = Geometry(shape);
        var img = options.CenterCropFraction < 1.0 ? ImageOps.CenterCrop(image, options.CenterCropFraction) : image;
        img = img.Width == w && img.Height == h ? img : ImageOps.Resize(img, w, h, options.Resize);
        long count = shape.Aggregate(1L, (a, d) => a * d);
        var px = img.Pixels;
        int plane = h * w;
        long Index(int i, int c) => nchw ? (long)c * plane + i : (long)i * 3 + c;
        switch (dataType)
        {
            case DataType.UInt8 or DataType.Int8:
            {
                var norm = options.Normalization;
                if (norm is not (NormalizationPreset.Auto or NormalizationPreset.Raw))
                {
                    // A float normalisation requested for a quantized input: normalise, then quantize with the input's parameters.
                    var q = quantization ?? throw new NotSupportedException("a quantized input without quantization parameters");
                    var f = Normalize(px, plane, norm, Index, count);
                    var (lo, hi) = dataType == DataType.Int8 ? (-128, 127) : (0, 255);
                    var bytes = new byte[count];
                    for (long i = 0; i < count; i++)
                        bytes[i] = unchecked((byte)Math.Clamp((int)MathF.Round(f[i] / q.Scale, MidpointRounding.ToEven) + (int)q.ZeroPoint, lo, hi));
                    return bytes;
                }
                var r = new byte[count];
                int shift = dataType == DataType.Int8 && norm == NormalizationPreset.Auto ? 128 : 0;
                for (int i = 0; i < plane; i++)
                    for (int c = 0; c < 3; c++)
                        r[Index(i, c)] = unchecked((byte)(px[i * 3 + c] - shift));
                return r;
            }
            case DataType.Float32:
            {
                var norm = options.Normalization == NormalizationPreset.Auto ? NormalizationPreset.TensorFlow : options.Normalization;
                var f = Normalize(px, plane, norm, Index, count);
                return MemoryMarshal.AsBytes(f.AsSpan()).ToArray();
            }
            default:
                throw new NotSupportedException($"image input of type {dataType}");
        }
    }

    private static float[] Normalize(byte[] px, int plane, NormalizationPreset norm, Func<int, int, long> index, long count)
    {
        var f = new float[count];
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
            {
                float x = px[i * 3 + c];
                f[index(i, c)] = norm switch
                {
                    NormalizationPreset.Raw => x,
                    NormalizationPreset.TensorFlow => (x - 127.5f) / 127.5f,
                    NormalizationPreset.Torchvision => (x / 255f - TorchMean[c]) / TorchStd[c],
                    _ => throw new ArgumentOutOfRangeException(nameof(norm), norm, null),
                };
            }
        return f;
    }
}
