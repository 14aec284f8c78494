using System.CommandLine;
using MobileNetAccel.Formats;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Cli.Commands;

/// <summary>
/// <c>mobilenet run --model M --input IN [--input IN2 ...] (--output OUT | --output-dir DIR) [--backend B]</c>: one
/// inference on raw little-endian tensors in the model's own input/output dtype and layout (for these TFLite models uint8
/// NHWC in, uint8 [1,1001] out), for comparison with other runtimes. One <c>--input</c> per model input, in the model's
/// order; <c>--output</c> for a one-output model, <c>--output-dir</c> writes every output as
/// <c>DIR/output&lt;k&gt;.&lt;f32|u8|i8|i32|i64&gt;</c> in the model's output order (e.g. the detector's four).
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "--graph", "-m") { Description = "Model file (.tflite | .onnx)", Required = true };
        var input = new Option<string[]>("--input") { Description = "Raw input tensor file (model's input dtype and layout); one per model input, in order", Required = true };
        var output = new Option<string?>("--output") { Description = "Where to write the raw output tensor (one-output models)" };
        var outputDir = new Option<string?>("--output-dir") { Description = "Write every output tensor raw as DIR/output<k>.<f32|u8|i8|i32|i64>, in the model's output order" };
        var backend = new Option<string>("--backend") { Description = "Backend: cpu (native kernels; integer path for quantized models)", DefaultValueFactory = _ => "cpu" };
        var useFloat = new Option<bool>("--float") { Description = "Quantized models: dequantize the weights and run the float32 kernels" };
        var threads = new Option<int>("--threads", "--num_threads") { Description = "Intra-op threads (default: physical cores)", DefaultValueFactory = _ => 0 };
        var command = new Command("run", "Run a model on a raw input tensor and write the raw output tensor");
        foreach (var o in new Option[] { model, input, output, outputDir, backend, useFloat, threads })
            command.Options.Add(o);
        command.Validators.Add(r =>
        {
            if ((r.GetValue(output) is null) == (r.GetValue(outputDir) is null))
                r.AddError("give one of --output FILE (a one-output model) and --output-dir DIR");
        });
        command.SetAction(result =>
        {
            try
            {
                var m = Model.Load(result.GetValue(model)!);
                string[] inPaths = result.GetValue(input)!;
                var graph = m.Graph;
                if (inPaths.Length != graph.Inputs.Count)
                    throw new ArgumentException($"{inPaths.Length} --input file(s) for a model with {graph.Inputs.Count} input(s) ({string.Join(", ", graph.Inputs.Select(v => v.Name))})");
                string? outPath = result.GetValue(output), outDir = result.GetValue(outputDir);
                if (outPath is not null && graph.Outputs.Count != 1)
                    throw new ArgumentException($"the model has {graph.Outputs.Count} outputs ({string.Join(", ", graph.Outputs.Select(v => v.Name))}); use --output-dir");
                // The input files are checked against the model's inputs before the session allocates its arena (a wrong
                // file for a model with a huge input is reported at once, not after gigabytes are committed).
                for (int k = 0; k < inPaths.Length; k++)
                {
                    var declared = graph.Inputs[k];
                    long fileBytes = new FileInfo(inPaths[k]).Exists ? new FileInfo(inPaths[k]).Length : throw new FileNotFoundException($"{inPaths[k]}: no such file");
                    if (fileBytes != declared.SizeInBytes && fileBytes != declared.ElementCount * sizeof(float))
                        throw new ArgumentException($"{inPaths[k]}: {fileBytes} bytes; input '{declared.Name}' {Value.FormatShape(declared.Shape)} {declared.DataType} needs {declared.SizeInBytes}");
                }
                using var session = new InferenceSession(m, new SessionOptions
                {
                    Backend = result.GetValue(backend)!, ForceFloat = result.GetValue(useFloat), Threads = result.GetValue(threads),
                });
                var xs = new ReadOnlyMemory<byte>[inPaths.Length];
                for (int k = 0; k < inPaths.Length; k++)
                {
                    var inInfo = session.Inputs[k];
                    var x = File.ReadAllBytes(inPaths[k]);
                    long need = inInfo.ElementCount * inInfo.DataType.SizeInBytes();
                    if (x.LongLength != need)
                        throw new ArgumentException($"{inPaths[k]}: {x.Length} bytes; input '{inInfo.Name}' {Value.FormatShape(inInfo.Shape)} {inInfo.DataType} needs {need}");
                    xs[k] = x;
                }
                var ys = session.Outputs.Select(o => new byte[o.ElementCount * o.DataType.SizeInBytes()]).ToArray();
                if (xs.Length == 1 && ys.Length == 1)
                    session.RunRaw(xs[0].Span, ys[0]);
                else
                    session.RunRaw(xs, ys.Select(y => (Memory<byte>)y).ToArray());
                if (outDir is not null)
                    Directory.CreateDirectory(outDir);
                for (int k = 0; k < ys.Length; k++)
                {
                    var outInfo = session.Outputs[k];
                    string file = outPath ?? Path.Combine(outDir!, $"output{k}.{Extension(outInfo.DataType)}");
                    File.WriteAllBytes(file, ys[k]);
                    Console.Error.WriteLine($"{outInfo.Name} {Value.FormatShape(outInfo.Shape)} {outInfo.DataType}: {ys[k].Length} bytes written to {file}");
                }
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

    private static string Extension(DataType t) => t switch
    {
        DataType.Float32 => "f32",
        DataType.UInt8 => "u8",
        DataType.Int8 => "i8",
        DataType.Int32 => "i32",
        DataType.Int64 => "i64",
        _ => "bin",
    };
}
