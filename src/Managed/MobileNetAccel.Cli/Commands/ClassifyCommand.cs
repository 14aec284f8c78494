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
/// expects and prints label_image-style lines <c>0.714844: 286 Egyptian cat</c> (score = probability), or JSON lines.
/// Folders are searched recursively; results are printed as they come; a file that cannot be decoded is reported and
/// skipped, and the exit code is 1 when some failed (<see cref="ImageRun"/>, <see cref="Progress"/>); a single image file that cannot be decoded
/// is the command's error (one line, exit 2), as before.
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
        var json = new Option<bool>("--json") { Description = "Print JSON lines: one object {image, top: [{index, label, score}]} per image as it is classified ({image, error} for one that failed)" };
        var preset = new Option<string>("--preset") { Description = "Preprocessing preset: none (use --crop/--resize/--normalize) or torchvision (shorter side to crop/0.875 = 256 for 224, centre crop, ImageNet mean/std)", DefaultValueFactory = _ => "none" };
        preset.AcceptOnlyFromAmong("none", "torchvision");
        var images = new Argument<string[]>("IMAGE") { Description = "Image files (JPEG, PNG, BMP) or folders (searched recursively for .jpg .jpeg .png .bmp)", Arity = ArgumentArity.ZeroOrMore };
        var imageOption = new Option<string[]>("--image", "-i") { Description = "An image file (label_image style; the same as IMAGE, may be repeated)" };
        var batch = ImageRun.BatchOption("N photographs go through one inference of the model with its batch dimension set to N (ONNX models with a free batch axis, TFLite models whose reshapes keep the batch axis, the zoo's); a model whose graph fixes its batch at 1 runs them one at a time, with a note on stderr. Results are those of --batch 1, in input order");
        top.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--top must be at least 1"); });
        crop.Validators.Add(r => { double c = r.GetValueOrDefault<double>(); if (!(c > 0 && c <= 1)) r.AddError("--crop must be in (0, 1]"); });

        var command = new Command("classify", "Classify photographs with an image-classification model (label_image style)");
        foreach (var o in new Option[] { model, labels, imageOption, top, resize, crop, norm, backend, useFloat, threads, json, preset, batch })
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
                var options = result.GetValue(preset) == "torchvision" ? new PreprocessOptions { Normalization = NormalizationPreset.Torchvision, TorchvisionCrop = true } : new PreprocessOptions
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
                return Classify(result.GetValue(model)!, result.GetValue(labels), result.GetValue(top), options,
                    new SessionOptions { Backend = result.GetValue(backend)!, ForceFloat = result.GetValue(useFloat), Threads = result.GetValue(threads) },
                    result.GetValue(json), (result.GetValue(imageOption) ?? []).Concat(result.GetValue(images) ?? []).ToArray(), result.GetValue(batch));
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

    private static int Classify(string modelPath, string? labelsPath, int k, PreprocessOptions pre, SessionOptions so, bool json, string[] paths, int batch)
    {
        using var classifier = new ImageClassifier(modelPath, labelsPath, so, pre);
        bool several = ImageRun.Several(paths);
        if (batch > 1)
        {
            try
            {
                classifier.PrepareBatch(batch);
            }
            catch (NotSupportedException e)
            {
                ImageRun.OneAtATime("classify", batch, e.Message);
                batch = 1;
            }
        }
        IReadOnlyList<IReadOnlyList<Classification>> Infer(IReadOnlyList<RgbImage> group) =>
            batch > 1 ? classifier.Classify(group, k) : group.Select(image => classifier.Classify(image, k)).ToList();
        void Print(string path, RgbImage image, IReadOnlyList<Classification> top)
        {
            if (json)
                Console.Out.WriteLine(JsonLine(path, top));
            else
            {
                if (several)
                    Console.Out.WriteLine($"{path}:");
                foreach (var c in top)
                    Console.Out.WriteLine($"{c.Probability.ToString("F6", CultureInfo.InvariantCulture)}: {c.Index} {c.Label}".TrimEnd());
            }
        }
        return ImageRun.Run<IReadOnlyList<Classification>>(paths, batch, json, "classified", Infer, Print);
    }

    private static string JsonLine(string image, IReadOnlyList<Classification> top)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("image", image);
            w.WriteStartArray("top");
            foreach (var c in top)
            {
                w.WriteStartObject();
                w.WriteNumber("index", c.Index);
                w.WriteString("label", c.Label);
                w.WriteNumber("score", c.Probability);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
