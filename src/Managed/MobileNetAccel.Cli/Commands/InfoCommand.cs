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
        var modelFile = new Option<string?>("--model", "--graph", "-m") { Description = "Show a model file (.tflite | .onnx) instead of a built-in model (--arch/--alpha/--resolution are then ignored)" };
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
                graph = file is null ? ModelZoo.Build(arch, alpha, resolution) : Model.Load(file).Graph;
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

    /// <summary>The table fits a terminal this wide: long names (TFLite tensor names) are elided in the middle.</summary>
    internal const int TableWidth = 100;

    private static void WriteTable(ModelGraph graph)
    {
        var inv = CultureInfo.InvariantCulture;
        var rows = graph.Nodes.Select(n => (n.Name, Op: n.Op.ToString(), In: Shape(n.Inputs[0]), Out: Shape(n.Outputs[0]),
            Params: n.Parameters.ToString("N0", inv), Macs: n.Macs.ToString("N0", inv))).ToList();
        string totalParams = graph.TotalParameters.ToString("N0", inv), totalMacs = graph.TotalMacs.ToString("N0", inv);
        int wOp = Math.Max(2, rows.Max(r => r.Op.Length));
        int wIn = Math.Max(5, rows.Max(r => r.In.Length)), wOut = Math.Max(6, rows.Max(r => r.Out.Length));
        int wParams = Math.Max(6, Math.Max(totalParams.Length, rows.Max(r => r.Params.Length)));
        int wMacs = Math.Max(4, Math.Max(totalMacs.Length, rows.Max(r => r.Macs.Length)));
        int rest = wOp + wIn + wOut + wParams + wMacs + 5 * 2;
        int wName = Math.Max(5, Math.Min(rows.Max(r => r.Name.Length), TableWidth - rest));
        Console.WriteLine(Elide($"{graph.Name}: {graph.Nodes.Count} nodes", TableWidth));
        Console.WriteLine($"{"name".PadRight(wName)}  {"op".PadRight(wOp)}  {"input".PadRight(wIn)}  {"output".PadRight(wOut)}  {"params".PadLeft(wParams)}  {"MACs".PadLeft(wMacs)}");
        foreach (var r in rows)
            Console.WriteLine($"{Elide(r.Name, wName).PadRight(wName)}  {r.Op.PadRight(wOp)}  {r.In.PadRight(wIn)}  {r.Out.PadRight(wOut)}  {r.Params.PadLeft(wParams)}  {r.Macs.PadLeft(wMacs)}");
        Console.WriteLine($"{"total".PadRight(wName + wOp + wIn + wOut + 6)}  {totalParams.PadLeft(wParams)}  {totalMacs.PadLeft(wMacs)}");
        Console.WriteLine("Counting rule (TF-slim): parameters = conv and depthwise kernels + classifier weights and bias");
        Console.WriteLine("(batch norm not counted); MACs = multiply-accumulates of the conv, depthwise and classifier layers");
        Console.WriteLine("for one image. Names longer than the column are elided in the middle (--json has them whole).");
    }

    /// <summary><paramref name="s"/> cut to <paramref name="width"/> columns by replacing its middle with "...".</summary>
    internal static string Elide(string s, int width)
    {
        if (s.Length <= width)
            return s;
        if (width <= 3)
            return s[..width];
        int keep = width - 3, head = (keep + 1) / 2, tail = keep - head;
        return string.Concat(s.AsSpan(0, head), "...", s.AsSpan(s.Length - tail));
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
