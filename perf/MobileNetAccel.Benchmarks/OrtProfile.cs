using System.Globalization;
using System.Text.Json;
using Ort = Microsoft.ML.OnnxRuntime;

namespace MobileNetAccel.Benchmarks;

/// <summary>
/// ONNX Runtime's own per-node profile of a model, to set beside ours (`mobilenet bench --profile`): ORT is run with
/// profiling on (ORT_ENABLE_ALL, as in <see cref="ModelBenchmarks"/>), and the "Node" events of its JSON trace are
/// grouped by node; the median duration of each node over the timed runs is printed in execution order, with the
/// node's fused op name (e.g. FusedConv, NchwcConv) as ORT reports it.
/// Run: dotnet run -c Release --project perf/MobileNetAccel.Benchmarks -- --ort-profile MODEL [threads, default 1]
/// [runs, default 50] (MODEL: a file name under models/onnx without .onnx, e.g. mobilenet_v1_1.0_224).
/// </summary>
public static class OrtProfile
{
    public static int Run(string[] args)
    {
        if (args.Length < 1)
            throw new ArgumentException("--ort-profile MODEL [threads] [runs]");
        string model = args[0];
        int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1;
        int runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 50;
        string file = Path.Combine(ModelBenchmarks.SharedRoot(), "models", "onnx", model + ".onnx");
        string prefix = Path.Combine(Path.GetTempPath(), $"mna-ort-profile-{Environment.ProcessId}");
        using var so = new Ort.SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            GraphOptimizationLevel = Ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
            ProfileOutputPathPrefix = prefix,
        };
        so.EnableProfiling = true;
        using var session = new Ort.InferenceSession(file, so);
        string inputName = session.InputMetadata.Keys.First();
        var dims = session.InputMetadata[inputName].Dimensions.Select(d => d < 1 ? 1L : d).ToArray();
        var input = new float[dims.Aggregate(1L, (a, d) => a * d)];
        var rng = new Random(1);
        for (int i = 0; i < input.Length; i++)
            input[i] = (float)rng.NextDouble();
        using var value = Ort.OrtValue.CreateTensorValueFromMemory(input, dims);
        using var runOptions = new Ort.RunOptions();
        int warmup = 5;
        for (int r = 0; r < warmup + runs; r++)
        {
            using var results = session.Run(runOptions, new[] { inputName }, new[] { value }, session.OutputMetadata.Keys.ToArray());
        }
        string trace = session.EndProfiling();
        var perNode = new Dictionary<string, (string Op, int Order, List<double> Us)>();
        using (var doc = JsonDocument.Parse(File.ReadAllText(trace)))
        {
            int order = 0;
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (e.GetProperty("cat").GetString() != "Node")
                    continue;
                string name = e.GetProperty("name").GetString() ?? "";
                if (!name.EndsWith("_kernel_time", StringComparison.Ordinal))
                    continue;
                string node = name[..^"_kernel_time".Length];
                string op = e.TryGetProperty("args", out var a) && a.TryGetProperty("op_name", out var o) ? o.GetString() ?? "" : "";
                if (!perNode.TryGetValue(node, out var entry))
                    perNode[node] = entry = (op, order++, new List<double>());
                entry.Us.Add(e.GetProperty("dur").GetDouble());
            }
        }
        File.Delete(trace);
        Console.WriteLine($"# ORT {typeof(Ort.InferenceSession).Assembly.GetName().Version} per-node profile, {model}, {threads} thread(s), ORT_ENABLE_ALL, median of the last {runs} of {warmup + runs} runs; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("| node | op | ms (median) |");
        Console.WriteLine("|---|---|---|");
        double total = 0;
        foreach (var (node, (op, _, us)) in perNode.OrderBy(p => p.Value.Order))
        {
            var timed = us.Skip(Math.Max(0, us.Count - runs)).OrderBy(x => x).ToList();
            double med = timed[timed.Count / 2] / 1000.0;
            total += med;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {node} | {op} | {med:F3} |"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| sum of node medians | | {total:F3} |"));
        return 0;
    }
}
