using System.Globalization;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using OrtSession = Microsoft.ML.OnnxRuntime.InferenceSession;
using OrtSessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace MobileNetAccel.Benchmarks;

/// <summary>
/// The per-channel QDQ models of `../shared/models/onnx-int8/` (ORT's quantizer format: float input, uint8
/// activations, int8 per-channel weights) — the same .onnx file through ONNX Runtime (ORT_ENABLE_ALL: it fuses the QDQ
/// groups into its integer kernels) and through our importer's QDQ fusion and integer path. Both get the file's own
/// float test input; setup checks that our output equals ORT's within one output quantum.
/// </summary>
public class QdqModelBenchmarks
{
    private MobileNetAccel.InferenceSession? _ours;
    private float[] _input = [], _y = [], _ortY = [];
    private OrtSession? _ort;
    private OrtValue? _in, _out;
    private RunOptions? _runOptions;
    private string[] _inNames = [], _outNames = [];

    [Params("mobilenet_v2_1.0_224_qdq_int8", "mobilenet_v2_0.35_96_qdq_int8", "mobilenet_v1_0.25_128_qdq_int8")]
    public string Model { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string dir = Path.Combine(ModelBenchmarks.SharedRoot(), "models", "onnx-int8");
        string onnx = Path.Combine(dir, Model + ".onnx");
        _input = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, Model + ".input.f32"))).ToArray();
        int res = (int)Math.Round(Math.Sqrt(_input.Length / 3.0));
        using var so = new OrtSessionOptions
        {
            IntraOpNumThreads = Threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _ort = new OrtSession(onnx, so);
        _in = OrtValue.CreateTensorValueFromMemory(_input, [1, 3, res, res]);
        _ortY = new float[1000];
        _out = OrtValue.CreateTensorValueFromMemory(_ortY, [1, 1000]);
        _inNames = [_ort.InputMetadata.Keys.First()];
        _outNames = [_ort.OutputMetadata.Keys.First()];
        _runOptions = new RunOptions();
        _ours = new MobileNetAccel.InferenceSession(MobileNetAccel.Model.Load(onnx), new MobileNetAccel.SessionOptions { Threads = Threads, Backend = "cpu" });
        _y = new float[1000];
        OnnxRuntime();
        Ours();
        float worst = 0;
        for (int i = 0; i < _y.Length; i++)
            worst = Math.Max(worst, Math.Abs(_y[i] - _ortY[i]));
        var step = _ortY.Distinct().OrderBy(v => v).Zip(_ortY.Distinct().OrderBy(v => v).Skip(1), (a, b) => b - a).DefaultIfEmpty(1f).Min();
        if (worst > step * 1.5f)
            throw new InvalidOperationException($"{Model}: our output differs from ORT's by {worst} (one quantum ≈ {step})");
        Console.WriteLine($"# {Model}: max |ours - ORT| {worst:G3} (quantum ≈ {step:G3}); {_ours.Graph.Nodes.Count} nodes on the integer path");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ours?.Dispose();
        _in?.Dispose();
        _out?.Dispose();
        _runOptions?.Dispose();
        _ort?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "ONNX Runtime 1.31.1 (QDQ, ORT_ENABLE_ALL)")]
    public void OnnxRuntime() => _ort!.Run(_runOptions, _inNames, [_in!], _outNames, [_out!]);

    [Benchmark(Description = "MobileNetAccel (QDQ import, integer path)")]
    public void Ours() => _ours!.Run(_input, _y);
}

/// <summary>
/// <see cref="QdqModelBenchmarks"/> interleaved in ~200 ms slices (ORT, ours), as <see cref="Interleaved"/> does.
/// Run: dotnet run -c Release --project perf/MobileNetAccel.Benchmarks -- --interleaved-qdq [seconds per row]
/// </summary>
public static class InterleavedQdq
{
    public static int Run(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        Console.WriteLine($"# interleaved ORT / MobileNetAccel on the same QDQ .onnx file, {seconds:F0} s per row; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("| model | threads | ORT min / median ms | ours min / median ms | ours/ORT median | ours/ORT min |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (string model in new[] { "mobilenet_v2_1.0_224_qdq_int8", "mobilenet_v2_0.35_96_qdq_int8", "mobilenet_v1_0.25_128_qdq_int8" })
            foreach (int threads in new[] { 1, 2 })
            {
                var b = new QdqModelBenchmarks { Model = model, Threads = threads };
                b.Setup();
                try
                {
                    var t = Interleaved.Measure(seconds, b.OnnxRuntime, b.Ours);
                    var (ort, ours) = (t[0], t[1]);
                    double om = Interleaved.Q(ort, 0.5), um = Interleaved.Q(ours, 0.5);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {model} | {threads} | {ort[0]:F3} / {om:F3} | {ours[0]:F3} / {um:F3} | **{um / om:F2}** | {ours[0] / ort[0]:F2} |"));
                }
                finally
                {
                    b.Cleanup();
                }
            }
        return 0;
    }
}
