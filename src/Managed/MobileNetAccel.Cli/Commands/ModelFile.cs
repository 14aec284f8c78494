using System.Globalization;
using System.Text.RegularExpressions;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Cli.Commands;

/// <summary>Describes a loaded model file for the commands' reports (files are loaded by <see cref="Model.Load"/>).</summary>
internal static class ModelFile
{
    /// <summary>
    /// What a model file is, for reports: "v2" when its graph has residual additions (inverted-residual blocks), else
    /// "v1"; the width multiplier from the file name when it follows TensorFlow's and torchvision's naming
    /// (<c>mobilenet_v2_0.35_96</c>), else null; the input shape; the resolution when the input is a square image.
    /// </summary>
    public static (string Arch, double? Alpha, int? Resolution, DataType InputType, int[] InputShape) Describe(Model model, string path)
    {
        var graph = model.Graph;
        string arch = graph.Nodes.Any(n => n is AddNode or InvertedResidualNode) ? "v2" : "v1";
        double? alpha = null;
        var m = Regex.Match(Path.GetFileName(path), @"v[12]_([0-9]+(?:\.[0-9]+)?)_([0-9]+)", RegexOptions.CultureInvariant);
        if (m.Success && double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double a))
            alpha = a;
        var input = graph.Inputs[0];
        int? resolution = null;
        try
        {
            var (h, w, _) = MobileNetAccel.Imaging.ImagePreprocessor.Geometry(input.Shape);
            if (h == w)
                resolution = h;
        }
        catch (NotSupportedException)
        {
            // not an image input: no resolution
        }
        return (arch, alpha, resolution, input.DataType, input.Shape);
    }
}
