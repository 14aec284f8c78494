using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MobileNetAccel.Formats;
using MobileNetAccel.Graph;
using MobileNetAccel.Imaging;

namespace MobileNetAccel.Cli.Commands;

/// <summary>
/// <c>mobilenet detect --model M.tflite --labels L.txt [--threshold 0.5] [--resize nearest|bilinear] [--json]
/// [--annotate OUT.png|DIR] IMAGE|DIR...</c>: detects objects in each photograph (<see cref="Detector"/>) and prints one
/// line per detection, <c>0.738 cat [x0 y0 x1 y1]</c> in image pixels, or one JSON line per image
/// <c>{"file":…,"detections":[{"class":k,"label":…,"score":s,"box":[ymin,xmin,ymax,xmax]}]}</c> with normalised boxes.
/// <c>--annotate</c> writes the photograph with the boxes and their labels ("cat 0.74") drawn. Folders, failures and the exit code as <c>classify</c>.
/// </summary>
internal static class DetectCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Detection model (.tflite) ending in TFLite_Detection_PostProcess, e.g. SSD MobileNet", Required = true };
        var labels = new Option<string?>("--labels", "-l") { Description = "Labels file, one per class (background excluded), or with the background first" };
        var threshold = new Option<float>("--threshold") { Description = "Lowest score reported", DefaultValueFactory = _ => 0.5f };
        var json = new Option<bool>("--json") { Description = "Print JSON lines: one object {file, detections: [{class, label, score, box: [ymin, xmin, ymax, xmax]}]} per image (normalised boxes)" };
        var annotate = new Option<string?>("--annotate") { Description = "Write the photograph with the boxes and labels (label and score, e.g. \"cat 0.74\") drawn: OUT.png for one image, else a folder" };
        var resize = new Option<string>("--resize") { Description = "Resampling to the model's input: nearest (default; src = floor((2·dst+1)·in/(2·out))) or bilinear", DefaultValueFactory = _ => "nearest" };
        resize.AcceptOnlyFromAmong("nearest", "bilinear");
        var backend = new Option<string>("--backend") { Description = "Backend: cpu (native kernels; integer path for quantized models)", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int>("--threads", "--num_threads") { Description = "Intra-op threads (default: physical cores)", DefaultValueFactory = _ => 0 };
        var force = new Option<bool>("--float") { Description = "Quantized models: dequantize the weights and run the float32 kernels" };
        var batch = ImageRun.BatchOption("The detector's TFLite_Detection_PostProcess takes batch 1, so --batch N > 1 runs the images one at a time with a note on stderr (results the same, in input order)");
        var images = new Argument<string[]>("IMAGE") { Description = "Image files (JPEG, PNG, BMP) or folders (searched recursively for .jpg .jpeg .png .bmp)", Arity = ArgumentArity.OneOrMore };
        threshold.Validators.Add(r => { float t = r.GetValueOrDefault<float>(); if (!(t >= 0 && t <= 1)) r.AddError("--threshold must be in [0, 1]"); });

        var command = new Command("detect", "Detect objects in photographs with an SSD detector: one line per detection, annotated PNGs");
        foreach (var o in new Option[] { model, labels, threshold, json, annotate, resize, backend, threads, force, batch })
            command.Options.Add(o);
        command.Arguments.Add(images);
        command.Validators.Add(r =>
        {
            var paths = r.GetValue(images) ?? [];
            bool several = ImageRun.Several(paths);
            if (several && r.GetValue(annotate) is { } a && SegmentCommand.IsFileName(a))
                r.AddError($"--annotate {a}: several images give several files; give a folder");
        });
        command.SetAction(result =>
        {
            try
            {
                var so = new SessionOptions { Backend = result.GetValue(backend)!, Threads = result.GetValue(threads), ForceFloat = result.GetValue(force) };
                using var detector = new Detector(result.GetValue(model)!, result.GetValue(labels), so)
                {
                    Resize = result.GetValue(resize) == "bilinear" ? ResizeMode.Bilinear : ResizeMode.Nearest,
                };
                return Detect(detector, result.GetValue(images)!, result.GetValue(threshold), result.GetValue(json), result.GetValue(annotate), result.GetValue(batch));
            }
            catch (Exception e) when (e is NativeLibraryException or ModelFormatException or ImageFormatException or IOException or UnauthorizedAccessException
                                           or InvalidDataException or ArgumentException or NotSupportedException or GraphException)
            {
                Console.Error.WriteLine($"mobilenet detect: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private static int Detect(Detector detector, string[] paths, float threshold, bool json, string? annotateOut, int batch)
    {
        bool several = ImageRun.Several(paths);
        var used = new HashSet<string>(StringComparer.Ordinal);
        if (batch > 1)
            ImageRun.OneAtATime("detect", batch, "the detector runs one image per inference (its TFLite_Detection_PostProcess takes batch 1)");
        IReadOnlyList<IReadOnlyList<Detection>> Infer(IReadOnlyList<RgbImage> group) => group.Select(image => detector.Detect(image, threshold)).ToList();
        void Print(string path, RgbImage image, IReadOnlyList<Detection> found)
        {
            string? annotated = annotateOut is null ? null : SegmentCommand.Write(annotateOut, path, "_detections", Detector.Annotate(image, found), used);
            if (json)
                Console.Out.WriteLine(JsonLine(path, found, annotated));
            else
            {
                if (several)
                    Console.Out.WriteLine($"{path}: {found.Count} detection(s)");
                foreach (var d in found)
                {
                    var (x0, y0, x1, y1) = d.PixelBox;
                    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{d.Score:F3} {d.Label} [{x0} {y0} {x1} {y1}]"));
                }
            }
        }
        return ImageRun.Run<IReadOnlyList<Detection>>(paths, batch, json, "processed", Infer, Print);
    }

    private static string JsonLine(string image, IReadOnlyList<Detection> found, string? annotated)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("file", image);
            w.WriteStartArray("detections");
            foreach (var d in found)
            {
                w.WriteStartObject();
                w.WriteNumber("class", d.ClassIndex);
                w.WriteString("label", d.Label);
                w.WriteNumber("score", Math.Round(d.Score, 6));
                w.WriteStartArray("box");
                foreach (float v in new[] { d.YMin, d.XMin, d.YMax, d.XMax })
                    w.WriteNumberValue(Math.Round(v, 6));
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (annotated is not null)
                w.WriteString("annotated", annotated);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
