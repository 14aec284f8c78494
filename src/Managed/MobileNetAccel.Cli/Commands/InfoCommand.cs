using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MobileNetAccel.Graph;
using MobileNetAccel.Models;

namespace MobileNetAccel.Cli.Commands;

/// <summary><c>mobilenet info</c>: the layer table of a zoo model with parameters and MACs (TF-slim counting rule).</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of the table" };
        var modelFile = new Option<string?>("--model") { Description = "Show a model file (.onnx, .tflite) instead of a built-in model (--arch/--alpha/--resolution are then ignored)" };
        var command = new Command("info", "Layer table (name, op, input and output shape, parameters, MACs) and totals of a built-in model or a model file (--model)");
        model.AddTo(command);
        command.Options.Add(json);
        command.Options.Add(modelFile);
        command.SetAction(result =>
        {
            var (arch, alpha, resolution) = model.Read(result);
            string? file = result.GetValue(modelFile);
            ModelGraph graph;
            try
            {
                graph = file is null ? ModelZoo.Build(arch, alpha, resolution) : ModelFile.Load(file).Graph;
            }
            catch (Exception e) when (e is NativeLibraryException or MobileNetAccel.Formats.ModelFormatException or GraphException or NotSupportedException or IOException)
            {
                Console.Error.WriteLine($"mobilenet info: {e.Message}");
                return 2;
            }
            if (result.GetValue(json))
                WriteJson(graph, arch, alpha, resolution, file);
            else
                WriteTable(graph);
            return 0;
        });
        return command;
    }

    private static string Shape(Value? v) => v is null ? "" : Value.FormatShape(v.Shape);

    private static void WriteTable(ModelGraph graph)
    {
        var rows = graph.Nodes.Select(n => (n.Name, Op: n.Op.ToString(), In: Shape(n.Inputs[0]), Out: Shape(n.Outputs[0]), n.Parameters, n.Macs)).ToList();
        int wName = Math.Max(4, rows.Max(r => r.Name.Length)), wOp = Math.Max(2, rows.Max(r => r.Op.Length));
        int wIn = Math.Max(5, rows.Max(r => r.In.Length)), wOut = Math.Max(6, rows.Max(r => r.Out.Length));
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"{graph.Name}: {graph.Nodes.Count} nodes");
        Console.WriteLine($"{"name".PadRight(wName)}  {"op".PadRight(wOp)}  {"input".PadRight(wIn)}  {"output".PadRight(wOut)}  {"params",12}  {"MACs",14}");
        foreach (var r in rows)
            Console.WriteLine($"{r.Name.PadRight(wName)}  {r.Op.PadRight(wOp)}  {r.In.PadRight(wIn)}  {r.Out.PadRight(wOut)}  {r.Parameters.ToString("N0", inv),12}  {r.Macs.ToString("N0", inv),14}");
        Console.WriteLine($"{"total".PadRight(wName + wOp + wIn + wOut + 6)}  {graph.TotalParameters.ToString("N0", inv),12}  {graph.TotalMacs.ToString("N0", inv),14}");
        Console.WriteLine("Counting rule (TF-slim): parameters = conv and depthwise kernels + classifier weights and bias (batch norm not counted);");
        Console.WriteLine("MACs = multiply-accumulates of the conv, depthwise and classifier layers for one image.");
    }

    private static void WriteJson(ModelGraph graph, Architecture arch, double alpha, int resolution, string? file)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", graph.Name);
            if (file is not null)
                w.WriteString("file", file);
            else
            {
                w.WriteString("arch", arch == Architecture.MobileNetV1 ? "v1" : "v2");
                w.WriteNumber("alpha", alpha);
                w.WriteNumber("resolution", resolution);
            }
            w.WriteNumber("params", graph.TotalParameters);
            w.WriteNumber("macs", graph.TotalMacs);
            w.WriteStartArray("layers");
            foreach (var n in graph.Nodes)
            {
                w.WriteStartObject();
                w.WriteString("name", n.Name);
                w.WriteString("op", n.Op.ToString());
                WriteShape(w, "input", n.Inputs[0]);
                WriteShape(w, "output", n.Outputs[0]);
                w.WriteNumber("params", n.Parameters);
                w.WriteNumber("macs", n.Macs);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
    }

    private static void WriteShape(Utf8JsonWriter w, string name, Value? v)
    {
        w.WriteStartArray(name);
        if (v is not null)
            foreach (int d in v.Shape)
                w.WriteNumberValue(d);
        w.WriteEndArray();
    }
}
