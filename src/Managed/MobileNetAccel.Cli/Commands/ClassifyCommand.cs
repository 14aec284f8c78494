using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MobileNetAccel.Formats;
using MobileNetAccel.Graph;
using MobileNetAccel.Imaging;

namespace MobileNetAccel.Cli.Commands;

/// <summary>
/// <c>mobilenet classify --model M.tflite|M.onnx --labels L.txt [--top K] [--resize bilinear|nearest] [--preset torchvision] [--backend B] [--json] IMAGE...</c>:
/// decodes each image, resizes it to the model's input (optionally after a centre crop), normalises it as the model
/// expects and prints label_image-style lines <c>0.714844: 286 Egyptian cat</c> (score = probability), or one JSON object.
/// </summary>
internal static class ClassifyCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "--graph", "-m") { Description = "Model file (.tflite | .onnx)", Required = true };
        var labels = new Option<string?>("--labels", "-l") { Description = "Labels file, one label per line (line i = class i)" };
        var top = new Option<int>("--top") { Description = "How many classes to print", DefaultValueFactory = _ => 5 };
        var resize = new Option<string>("--resize") { Description = "Resampling: bilinear (default) or nearest (PIL's pixel-centre NEAREST)", DefaultValueFactory = _ => "bilinear" };
        resize.AcceptOnlyFromAmong("bilinear", "nearest");
        var crop = new Option<double>("--crop") { Description = "Central fraction of the image kept before resizing (1 = none; 0.875 = TF-slim eval crop)", DefaultValueFactory = _ => 1.0 };
        var norm = new Option<string>("--normalize") { Description = "Input normalisation: auto (from the model), raw, tf ((x-127.5)/127.5), torchvision (ImageNet mean/std)", DefaultValueFactory = _ => "auto" };
        norm.AcceptOnlyFromAmong("auto", "raw", "tf", "torchvision");
        var backend = new Option<string>("--backend") { Description = "Backend: cpu (native kernels; integer path for quantized models)", DefaultValueFactory = _ => "cpu" };
        var useFloat = new Option<bool>("--float") { Description = "Quantized models: dequantize the weights and run the float32 kernels" };
        var threads = new Option<int>("--threads", "--num_threads") { Description = "Intra-op threads (default: physical cores)", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object {model, results: [{image, top: [{index, label, score}]}]}" };
        var preset = new Option<string>("--preset") { Description = "Preprocessing preset: none (use --crop/--resize/--normalize) or torchvision (shorter side to crop/0.875 = 256 for 224, centre crop, ImageNet mean/std)", DefaultValueFactory = _ => "none" };
        preset.AcceptOnlyFromAmong("none", "torchvision");
        var images = new Argument<string[]>("IMAGE") { Description = "Image files (JPEG, PNG, BMP)", Arity = ArgumentArity.ZeroOrMore };
        var imageOption = new Option<string[]>("--image", "-i") { Description = "An image file (label_image style; the same as IMAGE, may be repeated)" };
        top.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--top must be at least 1"); });
        crop.Validators.Add(r => { double c = r.GetValueOrDefault<double>(); if (!(c > 0 && c <= 1)) r.AddError("--crop must be in (0, 1]"); });

        var command = new Command("classify", "Classify photographs with an image-classification model (label_image style)");
        foreach (var o in new Option[] { model, labels, imageOption, top, resize, crop, norm, backend, useFloat, threads, json, preset })
            command.Options.Add(o);
        command.Arguments.Add(images);
        command.Validators.Add(r =>
        {
            if ((r.GetValue(images)?.Length ?? 0) + (r.GetValue(imageOption)?.Length ?? 0) == 0)
                r.AddError("no image: give one or more IMAGE files (or --image/-i FILE)");
        });
        command.SetAction(result =>
        {
            try
            {
                bool torchvision = result.GetValue(preset) == "torchvision";
                var options = torchvision ? new PreprocessOptions { Normalization = NormalizationPreset.Torchvision } : new PreprocessOptions
                {
                    Resize = result.GetValue(resize) == "nearest" ? ResizeMode.Nearest : ResizeMode.Bilinear,
                    CenterCropFraction = result.GetValue(crop),
                    Normalization = result.GetValue(norm) switch
                    {
                        "raw" => NormalizationPreset.Raw,
                        "tf" => NormalizationPreset.TensorFlow,
                        "torchvision" => NormalizationPreset.Torchvision,
                        _ => NormalizationPreset.Auto,
                    },
                };
                return Classify(result.GetValue(model)!, result.GetValue(labels), result.GetValue(top), options, torchvision,
                    new SessionOptions { Backend = result.GetValue(backend)!, ForceFloat = result.GetValue(useFloat), Threads = result.GetValue(threads) },
                    result.GetValue(json), (result.GetValue(imageOption) ?? []).Concat(result.GetValue(images) ?? []).ToArray());
            }
            catch (Exception e) when (e is NativeLibraryException or ModelFormatException or ImageFormatException or IOException or UnauthorizedAccessException
                                           or InvalidDataException or ArgumentException or NotSupportedException or GraphException)
            {
                Console.Error.WriteLine($"mobilenet classify: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private static int Classify(string modelPath, string? labelsPath, int k, PreprocessOptions pre, bool torchvision, SessionOptions so, bool json, string[] images)
    {
        var model = Model.Load(modelPath);
        string[] labels = labelsPath is null ? Array.Empty<string>() : Classifier.LoadLabels(labelsPath);
        using var session = new InferenceSession(model, so);
        var input = session.Inputs[0];
        var output = session.Outputs[0];
        if (labels.Length > 0)
            labels = Classifier.AlignLabels(labels, output.Shape.Length == 0 ? 1 : output.Shape[^1], labelsPath!);
        // Probabilities: the model's own softmax output, else a softmax over its logits.
        bool hasSoftmax = session.Graph.Nodes.Any(n => n is SoftmaxNode);
        var inBytes = new byte[input.ElementCount * input.DataType.SizeInBytes()];
        var outBytes = new byte[output.ElementCount * output.DataType.SizeInBytes()];
        var scores = new float[output.ElementCount];
        var results = new List<(string Image, IReadOnlyList<(int Index, float Score)> Top)>();
        foreach (var path in images)
        {
            var image = RgbImage.Load(path);
            if (torchvision)
            {
                var (h, w, _) = ImagePreprocessor.Geometry(input.Shape);
                image = TorchvisionTransform.ResizeAndCenterCrop(image, TorchvisionTransform.ResizeFor(Math.Min(h, w)), w, h);
            }
            var tensor = ImagePreprocessor.ToTensor(image, input.Shape, input.DataType, input.Quantization, pre);
            tensor.CopyTo(inBytes, 0);
            session.RunRaw(inBytes, outBytes);
            Dequantize(output, outBytes, scores);
            if (!hasSoftmax)
                Classifier.Softmax(scores);
            results.Add((path, Classifier.TopK(scores, Math.Min(k, scores.Length))));
        }
        string Label(int i) => i < labels.Length ? labels[i] : "";
        if (json)
        {
            using var stdout = Console.OpenStandardOutput();
            using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteString("model", modelPath);
                w.WriteStartArray("results");
                foreach (var (image, top) in results)
                {
                    w.WriteStartObject();
                    w.WriteString("image", image);
                    w.WriteStartArray("top");
                    foreach (var (index, score) in top)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("index", index);
                        w.WriteString("label", Label(index));
                        w.WriteNumber("score", score);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            stdout.WriteByte((byte)'\n');
            return 0;
        }
        foreach (var (image, top) in results)
        {
            if (results.Count > 1)
                Console.WriteLine($"{image}:");
            foreach (var (index, score) in top)
                Console.WriteLine($"{score.ToString("F6", CultureInfo.InvariantCulture)}: {index} {Label(index)}".TrimEnd());
        }
        return 0;
    }

    /// <summary>Output bytes → real values (dequantized for uint8/int8 outputs).</summary>
    internal static void Dequantize(TensorInfo t, byte[] raw, float[] values)
    {
        switch (t.DataType)
        {
            case DataType.Float32:
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).CopyTo(values);
                break;
            case DataType.UInt8 or DataType.Int8:
                var q = t.Quantization!;
                for (int i = 0; i < values.Length; i++)
                    values[i] = ((t.DataType == DataType.Int8 ? (sbyte)raw[i] : raw[i]) - q.ZeroPoint) * q.Scale;
                break;
            default:
                throw new NotSupportedException($"output '{t.Name}' of type {t.DataType}");
        }
    }
}
