using System.CommandLine;
using MobileNetAccel.Formats;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Cli.Commands;

/// <summary>
/// <c>mobilenet run --model M --input IN --output OUT [--backend B]</c>: one inference on raw little-endian tensors in the
/// model's own input/output dtype and layout (for these TFLite models uint8 NHWC in, uint8 [1,1001] out), for
/// comparison with other runtimes.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "--graph", "-m") { Description = "Model file (.tflite | .onnx)", Required = true };
        var input = new Option<string>("--input") { Description = "Raw input tensor file (model's input dtype and layout)", Required = true };
        var output = new Option<string>("--output") { Description = "Where to write the raw output tensor", Required = true };
        var backend = new Option<string>("--backend") { Description = "Backend: cpu (native kernels; integer path for quantized models)", DefaultValueFactory = _ => "cpu" };
        var useFloat = new Option<bool>("--float") { Description = "Quantized models: dequantize the weights and run the float32 kernels" };
        var threads = new Option<int>("--threads", "--num_threads") { Description = "Intra-op threads (default: physical cores)", DefaultValueFactory = _ => 0 };
        var command = new Command("run", "Run a model on a raw input tensor and write the raw output tensor");
        foreach (var o in new Option[] { model, input, output, backend, useFloat, threads })
            command.Options.Add(o);
        command.SetAction(result =>
        {
            try
            {
                var m = Model.Load(result.GetValue(model)!);
                string inPath = result.GetValue(input)!;
                // The input file is checked against the model's input before the session allocates its arena (a wrong
                // file for a model with a huge input is reported at once, not after gigabytes are committed).
                var declared = m.Graph.Inputs[0];
                long fileBytes = new FileInfo(inPath).Exists ? new FileInfo(inPath).Length : throw new FileNotFoundException($"{inPath}: no such file");
                if (fileBytes != declared.SizeInBytes && fileBytes != declared.ElementCount * sizeof(float))
                    throw new ArgumentException($"{inPath}: {fileBytes} bytes; input '{declared.Name}' {Value.FormatShape(declared.Shape)} {declared.DataType} needs {declared.SizeInBytes}");
                using var session = new InferenceSession(m, new SessionOptions
                {
                    Backend = result.GetValue(backend)!, ForceFloat = result.GetValue(useFloat), Threads = result.GetValue(threads),
                });
                var inInfo = session.Inputs[0];
                var outInfo = session.Outputs[0];
                var x = File.ReadAllBytes(inPath);
                long need = inInfo.ElementCount * inInfo.DataType.SizeInBytes();
                if (x.LongLength != need)
                    throw new ArgumentException($"{inPath}: {x.Length} bytes; input '{inInfo.Name}' {Value.FormatShape(inInfo.Shape)} {inInfo.DataType} needs {need}");
                var y = new byte[outInfo.ElementCount * outInfo.DataType.SizeInBytes()];
                session.RunRaw(x, y);
                File.WriteAllBytes(result.GetValue(output)!, y);
                Console.Error.WriteLine($"{outInfo.Name} {Value.FormatShape(outInfo.Shape)} {outInfo.DataType}: {y.Length} bytes written");
                return 0;
            }
            catch (Exception e) when (e is NativeLibraryException or ModelFormatException or IOException or UnauthorizedAccessException or ArgumentException
                                           or NotSupportedException or GraphException)
            {
                Console.Error.WriteLine($"mobilenet run: {e.Message}");
                return 2;
            }
        });
        return command;
    }
}
