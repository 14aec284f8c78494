using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MobileNetAccel.Formats;
using MobileNetAccel.Graph;
using MobileNetAccel.Imaging;

namespace MobileNetAccel.Cli.Commands;

/// <summary>
/// <c>mobilenet segment --model M.tflite --labels L.txt [--json] [--mask OUT.png|DIR] [--overlay OUT.png|DIR] IMAGE|DIR...</c>:
/// segments each photograph (<see cref="Segmenter"/>) and prints the share of its pixels per class, most first, or one
/// JSON line per image. <c>--mask</c> writes the class map in the PASCAL VOC colour map as a PNG of the photograph's
/// size, <c>--overlay</c> that map blended onto the photograph; with a folder (or several images) they are files
/// <c>NAME_mask.png</c> / <c>NAME_overlay.png</c> in the folder given. Folders, failures and the exit code as
/// <c>classify</c> (<see cref="Progress"/>; a single image file that cannot be decoded: one line, exit 2).
/// </summary>
internal static class SegmentCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Segmentation model (.tflite | .onnx), e.g. DeepLabV3", Required = true };
        var labels = new Option<string?>("--labels", "-l") { Description = "Labels file, one label per class, class 0 first" };
        var json = new Option<bool>("--json") { Description = "Print JSON lines: one object {image, width, height, classes: [{index, label, pixels, share}], mask?, overlay?} per image" };
        var mask = new Option<string?>("--mask") { Description = "Write the colour-mapped class mask (PASCAL VOC colours): OUT.png for one image, else a folder" };
        var overlay = new Option<string?>("--overlay") { Description = "Write the mask blended onto the photograph: OUT.png for one image, else a folder" };
        var opacity = new Option<float>("--opacity") { Description = "Opacity of the mask in --overlay (0..1)", DefaultValueFactory = _ => 0.5f };
        var resize = new Option<string>("--resize") { Description = "Resampling to the model's input: nearest (default; src = floor((2·dst+1)·in/(2·out))) or bilinear", DefaultValueFactory = _ => "nearest" };
        resize.AcceptOnlyFromAmong("nearest", "bilinear");
        var backend = new Option<string>("--backend") { Description = "Backend: cpu (native kernels; integer path for quantized models)", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int>("--threads", "--num_threads") { Description = "Intra-op threads (default: physical cores)", DefaultValueFactory = _ => 0 };
        var batch = ImageRun.BatchOption("Segmenter runs one image per inference, so --batch N > 1 runs the images one at a time with a note on stderr (results the same, in input order)");
        var images = new Argument<string[]>("IMAGE") { Description = "Image files (JPEG, PNG, BMP) or folders (searched recursively for .jpg .jpeg .png .bmp)", Arity = ArgumentArity.OneOrMore };
        opacity.Validators.Add(r => { float o = r.GetValueOrDefault<float>(); if (!(o >= 0 && o <= 1)) r.AddError("--opacity must be in [0, 1]"); });

        var command = new Command("segment", "Segment photographs with a semantic-segmentation model (DeepLabV3): pixel shares per class, mask and overlay PNGs");
        foreach (var o in new Option[] { model, labels, json, mask, overlay, opacity, resize, backend, threads, batch })
            command.Options.Add(o);
        command.Arguments.Add(images);
        command.Validators.Add(r =>
        {
            var paths = r.GetValue(images) ?? [];
            bool several = ImageRun.Several(paths);
            foreach (var (name, value) in new[] { ("--mask", r.GetValue(mask)), ("--overlay", r.GetValue(overlay)) })
                if (several && value is not null && IsFileName(value))
                    r.AddError($"{name} {value}: several images give several files; give a folder");
        });
        command.SetAction(result =>
        {
            try
            {
                var paths = result.GetValue(images)!;
                var so = new SessionOptions { Backend = result.GetValue(backend)!, Threads = result.GetValue(threads) };
                using var segmenter = new Segmenter(result.GetValue(model)!, result.GetValue(labels), so)
                {
                    Resize = result.GetValue(resize) == "bilinear" ? ResizeMode.Bilinear : ResizeMode.Nearest,
                };
                return Segment(segmenter, paths, result.GetValue(json), result.GetValue(mask), result.GetValue(overlay), result.GetValue(opacity), result.GetValue(batch));
            }
            catch (Exception e) when (e is NativeLibraryException or ModelFormatException or ImageFormatException or IOException or UnauthorizedAccessException
                                           or InvalidDataException or ArgumentException or NotSupportedException or GraphException)
            {
                Console.Error.WriteLine($"mobilenet segment: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    /// <summary>An output that names a file (OUT.png that is not a folder) rather than a folder.</summary>
    internal static bool IsFileName(string path) => path.EndsWith(".png", StringComparison.OrdinalIgnoreCase) && !Directory.Exists(path);

    private static int Segment(Segmenter segmenter, string[] paths, bool json, string? maskOut, string? overlayOut, float opacity, int batch)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        if (batch > 1)
            ImageRun.OneAtATime("segment", batch, "Segmenter runs one image per inference");
        IReadOnlyList<SegmentationResult> Infer(IReadOnlyList<RgbImage> group) => group.Select(segmenter.Segment).ToList();
        void Print(string path, RgbImage image, SegmentationResult result)
        {
            string? maskFile = maskOut is null ? null : Write(maskOut, path, "_mask", result.ColorMask(), used);
            string? overlayFile = overlayOut is null ? null : Write(overlayOut, path, "_overlay", result.Overlay(image, opacity), used);
            if (json)
                Console.Out.WriteLine(JsonLine(path, result, maskFile, overlayFile));
            else
            {
                Console.Out.WriteLine($"{path} ({result.Width}x{result.Height}):");
                foreach (var c in result.Present)
                    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{100 * c.Share,7:F2}%: {c.Index} {c.Label}").TrimEnd());
            }
        }
        return ImageRun.Run<SegmentationResult>(paths, batch, json, "segmented", Infer, Print);
    }

    /// <summary>Writes one output PNG: to <paramref name="target"/> itself when it names a file, else into that folder
    /// as NAME{suffix}.png (NAME_2{suffix}.png ... when two images of the run have the same name).</summary>
    internal static string Write(string target, string image, string suffix, RgbImage png, HashSet<string> used)
    {
        string file;
        if (IsFileName(target))
        {
            file = target;
            if (Path.GetDirectoryName(Path.GetFullPath(file)) is { } parent)
                Directory.CreateDirectory(parent);
        }
        else
        {
            Directory.CreateDirectory(target);
            string stem = Path.GetFileNameWithoutExtension(image);
            file = Path.Combine(target, stem + suffix + ".png");
            for (int n = 2; !used.Add(file); n++)
                file = Path.Combine(target, $"{stem}_{n}{suffix}.png");
        }
        png.SavePng(file);
        return file;
    }

    private static string JsonLine(string image, SegmentationResult result, string? mask, string? overlay)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("image", image);
            w.WriteNumber("width", result.Width);
            w.WriteNumber("height", result.Height);
            w.WriteStartArray("classes");
            foreach (var c in result.Present)
            {
                w.WriteStartObject();
                w.WriteNumber("index", c.Index);
                w.WriteString("label", c.Label);
                w.WriteNumber("pixels", c.Pixels);
                w.WriteNumber("share", Math.Round(c.Share, 6));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (mask is not null)
                w.WriteString("mask", mask);
            if (overlay is not null)
                w.WriteString("overlay", overlay);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
