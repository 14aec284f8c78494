using MobileNetAccel.Formats.TFLite;

namespace MobileNetAccel.Cli.Commands;

/// <summary>Loads a model file by its extension (one line per format).</summary>
internal static class ModelFile
{
    public static Model Load(string path)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".tflite" => new Model(TfliteReader.Load(path)),
            ".onnx" => new Model(MobileNetAccel.Formats.Onnx.OnnxImporter.Load(path)),
            _ => throw new NotSupportedException($"{path}: unknown model format '{ext}' (supported: .tflite, .onnx)"),
        };
    }
}
