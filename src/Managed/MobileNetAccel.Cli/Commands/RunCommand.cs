using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using MobileNetAccel.Formats;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Cli.Commands;

/// <summary>
/// <c>mobilenet run --model M.onnx --input x.f32 [--output y.f32] [--compare ref.f32 --tolerance 1e-4]</c>: one
/// inference on raw little-endian float32 tensors in the model's declared input layout (NCHW for torchvision ONNX
/// exports). Prints the top-5 outputs; with --compare, the largest absolute difference from a reference output, and
/// exits 1 when it exceeds --tolerance.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model file (.onnx)", Required = true };
        var input = new Option<string>("--input") { Description = "Input tensor: raw little-endian float32, the model's input shape", Required = true };
        var output = new Option<string?>("--output") { Description = "Write the output tensor here (raw float32)" };
        var compare = new Option<string?>("--compare") { Description = "Reference output (raw float32) to compare with" };
        var tolerance = new Option<double>("--tolerance") { Description = "Largest absolute difference --compare accepts", DefaultValueFactory = _ => 1e-4 };
        var backend = new Option<string>("--backend") { Description = "Backend: cpu (native kernels) or managed (C# reference)", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads (default: physical cores)", DefaultValueFactory = _ => 0 };
        var command = new Command("run", "Run a model file once on a raw float32 input; print the top-5, optionally compare with a reference output");
        foreach (var o in new Option[] { model, input, output, compare, tolerance, backend, threads })
            command.Options.Add(o);
        command.SetAction(result =>
        {
            try
            {
                return Run(result.GetValue(model)!, result.GetValue(input)!, result.GetValue(output), result.GetValue(compare),
                    result.GetValue(tolerance), result.GetValue(backend)!, result.GetValue(threads));
            }
            catch (Exception e) when (e is ModelFormatException or GraphException or ArgumentException or NotSupportedException or IOException)
            {
                Console.Error.WriteLine($"mobilenet run: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private static float[] ReadFloats(string path, long expected, string role)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.LongLength != expected * 4)
            throw new ArgumentException($"{role} '{path}' has {bytes.Length} bytes; {expected} float32 values ({expected * 4} bytes) are needed");
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    private static int Run(string modelPath, string inputPath, string? outputPath, string? comparePath, double tolerance, string backend, int threads)
    {
        var inv = CultureInfo.InvariantCulture;
        var model = Model.Load(modelPath);
        using var session = new InferenceSession(model, new SessionOptions { Backend = backend, Threads = threads });
        var x = ReadFloats(inputPath, session.Inputs[0].ElementCount, "input");
        var y = session.Run(x);
        Console.WriteLine($"{modelPath}: input {Value.FormatShape(session.Inputs[0].Shape)} → output {Value.FormatShape(session.Outputs[0].Shape)} on {backend}");
        var top = y.Select((v, i) => (v, i)).OrderByDescending(t => t.v).Take(5);
        Console.WriteLine("top-5: " + string.Join("  ", top.Select(t => $"{t.i}:{t.v.ToString("G6", inv)}")));
        if (outputPath is not null)
            File.WriteAllBytes(outputPath, MemoryMarshal.AsBytes(y.AsSpan()).ToArray());
        if (comparePath is null)
            return 0;
        var reference = ReadFloats(comparePath, y.Length, "reference");
        double max = 0;
        int at = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double d = Math.Abs((double)y[i] - reference[i]);
            if (!(d <= max))
            {
                max = d;
                at = i;
            }
        }
        bool ok = max <= tolerance;
        Console.WriteLine($"max |output - reference| = {max.ToString("E3", inv)} at {at} (tolerance {tolerance.ToString("G", inv)}): {(ok ? "OK" : "FAILED")}");
        return ok ? 0 : 1;
    }
}
