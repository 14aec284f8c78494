using System.Runtime.InteropServices;
using System.Text;
using MobileNetAccel.Graph;
using MobileNetAccel.Imaging;

namespace MobileNetAccel;

/// <summary>Labels and top-k selection for classification outputs.</summary>
public static class Classifier
{
    /// <summary>Reads a labels file: one label per line, line i = class i (e.g. TFLite's imagenet_labels.txt, 1001
    /// lines with "background" at 0). Trailing whitespace is trimmed; the file must be UTF-8 text (no NUL bytes) and
    /// not empty. <see cref="AlignLabels"/> checks it against a model's class count.</summary>
    public static string[] LoadLabels(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes = File.ReadAllBytes(path);
        string text;
        try
        {
            if (Array.IndexOf(bytes, (byte)0) >= 0)
                throw new DecoderFallbackException("NUL byte");
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException($"{path}: not a labels file (one label per line, UTF-8 text): it holds binary data");
        }
        if (text.Length > 0 && text[0] == '\uFEFF')
            text = text[1..];
        var lines = text.Split('\n').Select(l => l.TrimEnd()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        if (lines.Count == 0)
            throw new InvalidDataException($"{path}: the labels file is empty");
        return lines.ToArray();
    }

    /// <summary>
    /// The labels of a model with <paramref name="classes"/> outputs, index i = class i: the file's lines as they are
    /// when there is one per class; without the first line when the file has one more (a "background" line the model
    /// has no class for); with an empty label 0 when the file has one fewer (a model with a background class, labels
    /// without it). Any other count is an error naming both.
    /// </summary>
    public static string[] AlignLabels(string[] labels, int classes, string source = "labels file")
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length == classes)
            return labels;
        if (labels.Length == classes + 1)
            return labels[1..];
        if (labels.Length + 1 == classes)
            return labels.Prepend("").ToArray();
        throw new InvalidDataException(
            $"{source} has {labels.Length} labels but the model has {classes} classes: the labels must be one per class " +
            $"({classes}), or one per class plus a background line ({classes + 1}), or one per class without the model's background class ({classes - 1})");
    }

    /// <summary>
    /// Classifies one image with a session whose input is an RGB image (batch 1): resizes it to the input (bilinear),
    /// normalises it as the model expects (<see cref="NormalizationPreset.Auto"/> unless <paramref name="options"/>
    /// says otherwise), runs the model and returns the <paramref name="k"/> most probable classes, highest first, as
    /// probabilities (the model's own softmax output, else a softmax over its outputs; quantized outputs dequantized).
    /// </summary>
    public static IReadOnlyList<(int Index, float Score)> Classify(InferenceSession session, RgbImage image, int k = 5, PreprocessOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(image);
        var scores = Probabilities(session, image, options, HasSoftmax(session));
        return TopK(scores, Math.Min(k, scores.Length));
    }

    /// <summary>Whether the session's graph ends in its own softmax (its outputs are probabilities already).</summary>
    internal static bool HasSoftmax(InferenceSession session) => session.Graph.Nodes.Any(n => n is SoftmaxNode);

    /// <summary>One image through a classification session: preprocessed for its input (batch 1), run, the output
    /// dequantized and, unless <paramref name="hasSoftmax"/>, passed through a softmax. The one implementation behind
    /// <see cref="Classify"/>, <see cref="ImageClassifier"/> and <c>mobilenet classify</c>.</summary>
    internal static float[] Probabilities(InferenceSession session, RgbImage image, PreprocessOptions? options, bool hasSoftmax) =>
        Scores(session, Infer(session, Prepare(session, image, options)), hasSoftmax);

    // The stages of Probabilities, one by one, so that `mobilenet bench` times the very code classification runs.

    /// <summary>Stage 1: the image cropped/resized and normalised for the session's input (raw input bytes).</summary>
    internal static byte[] Prepare(InferenceSession session, RgbImage image, PreprocessOptions? options)
    {
        var input = session.Inputs[0];
        if (input.Shape.Length > 0 && input.Shape[0] != 1)
            throw new ArgumentException($"Classify runs one image: the session's input {input} has batch {input.Shape[0]}", nameof(session));
        if (options is { TorchvisionCrop: true })
        {
            var (h, w, _) = ImagePreprocessor.Geometry(input.Shape);
            image = TorchvisionTransform.ResizeAndCenterCrop(image, TorchvisionTransform.ResizeFor(Math.Min(h, w)), w, h);
        }
        return ImagePreprocessor.ToTensor(image, input.Shape, input.DataType, input.Quantization, options);
    }

    /// <summary>Stage 2: the graph on the input bytes; the raw output bytes.</summary>
    internal static byte[] Infer(InferenceSession session, byte[] inBytes)
    {
        var output = session.Outputs[0];
        var outBytes = new byte[output.ElementCount * output.DataType.SizeInBytes()];
        session.RunRaw(inBytes, outBytes);
        return outBytes;
    }

    /// <summary>Stage 3 (first half): the raw output dequantized and, unless <paramref name="hasSoftmax"/>, passed through a softmax.</summary>
    internal static float[] Scores(InferenceSession session, byte[] outBytes, bool hasSoftmax)
    {
        var output = session.Outputs[0];
        var scores = new float[output.ElementCount];
        Dequantize(output, outBytes, scores);
        if (!hasSoftmax)
            Softmax(scores);
        return scores;
    }

    /// <summary>Several images through one inference of a session of batch ≥ images.Count: each preprocessed as
    /// <see cref="Probabilities(InferenceSession, RgbImage, PreprocessOptions?, bool)"/> does into its batch slot
    /// (slots past the images are zero), run once, each image's output slice dequantized and softmaxed.</summary>
    internal static float[][] Probabilities(InferenceSession session, IReadOnlyList<RgbImage> images, PreprocessOptions? options, bool hasSoftmax)
    {
        var input = session.Inputs[0];
        var output = session.Outputs[0];
        int batch = input.Shape[0];
        if (images.Count > batch || output.Shape.Length == 0 || output.Shape[0] != batch)
            throw new ArgumentException($"{images.Count} images do not fit the session's input {input} / output {output}", nameof(images));
        var one = (int[])input.Shape.Clone();
        one[0] = 1;
        int inSize = input.DataType.SizeInBytes() * one.Aggregate(1, (a, d) => a * d);
        var inBytes = new byte[input.ElementCount * input.DataType.SizeInBytes()];
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i] ?? throw new ArgumentNullException(nameof(images), $"image {i} is null");
            if (options is { TorchvisionCrop: true })
            {
                var (h, w, _) = ImagePreprocessor.Geometry(one);
                image = TorchvisionTransform.ResizeAndCenterCrop(image, TorchvisionTransform.ResizeFor(Math.Min(h, w)), w, h);
            }
            ImagePreprocessor.ToTensor(image, one, input.DataType, input.Quantization, options).CopyTo(inBytes, (long)i * inSize);
        }
        var outBytes = new byte[output.ElementCount * output.DataType.SizeInBytes()];
        session.RunRaw(inBytes, outBytes);
        int perImage = (int)(output.ElementCount / batch), outSize = perImage * output.DataType.SizeInBytes();
        var result = new float[images.Count][];
        for (int i = 0; i < images.Count; i++)
        {
            result[i] = new float[perImage];
            Dequantize(output, outBytes.AsSpan(i * outSize, outSize), result[i]);
            if (!hasSoftmax)
                Softmax(result[i]);
        }
        return result;
    }

    /// <summary>A session output's raw bytes as real values (uint8/int8 outputs dequantized with their scale and zero point).</summary>
    public static void Dequantize(TensorInfo output, ReadOnlySpan<byte> raw, Span<float> values)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (output.DataType)
        {
            case DataType.Float32:
                MemoryMarshal.Cast<byte, float>(raw).CopyTo(values);
                break;
            case DataType.UInt8 or DataType.Int8:
                var q = output.Quantization ?? throw new NotSupportedException($"output '{output.Name}' is {output.DataType} without quantization parameters");
                for (int i = 0; i < values.Length; i++)
                    values[i] = ((output.DataType == DataType.Int8 ? (sbyte)raw[i] : raw[i]) - q.ZeroPoint) * q.Scale;
                break;
            default:
                throw new NotSupportedException($"output '{output.Name}' of type {output.DataType}");
        }
    }

    /// <summary>The <paramref name="k"/> highest scores, highest first; equal scores keep the lower index first.</summary>
    public static IReadOnlyList<(int Index, float Score)> TopK(ReadOnlySpan<float> scores, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var list = new List<(int Index, float Score)>(scores.Length);
        for (int i = 0; i < scores.Length; i++)
            list.Add((i, scores[i]));
        return list.OrderByDescending(p => p.Score).ThenBy(p => p.Index).Take(k).ToList();
    }

    /// <summary>Softmax in place (for models whose output is logits).</summary>
    public static void Softmax(Span<float> values)
    {
        if (values.IsEmpty)
            return;
        float max = float.NegativeInfinity;
        foreach (var v in values)
            max = Math.Max(max, v);
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = MathF.Exp(values[i] - max);
            sum += values[i];
        }
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(values[i] / sum);
    }
}
