using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using MobileNetAccel.Interop;
using OrtSession = Microsoft.ML.OnnxRuntime.InferenceSession;
using OrtSessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace MobileNetAccel.Benchmarks;

/// <summary>
/// The pretrained quantized TFLite MobileNets on our integer path against ONNX Runtime's int8 kernels on the same
/// weights (`../shared/models/onnx-int8/from-tflite/*_s8w.onnx`: the TFLite integer weights as int8 w−128 with zero
/// point zw−128, ORT's fastest u8s8/VNNI form), and our float path on the same model (ForceFloat). All three get the
/// same uint8 NHWC photograph; setup checks that ORT and we agree on the top-1 class and that our bytes equal LiteRT's
/// reference output for that photograph (the integer path reproduces it exactly on this model).
/// </summary>
public class QuantizedModelBenchmarks
{
    private MobileNetAccel.InferenceSession? _ours, _oursFloat;
    private byte[] _input = [], _y = [], _yFloat = [];
    private OrtSession? _ort;
    private OrtValue? _in, _out;
    private byte[] _ortY = [];
    private RunOptions? _runOptions;
    private string[] _inNames = [], _outNames = [];

    [Params("mobilenet_v2_1.0_224_quant", "mobilenet_v1_0.5_160_quant", "mobilenet_v1_0.25_128_quant")]
    public string Model { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    public static int Resolution(string model) => model.Contains("_224") ? 224 : model.Contains("_160") ? 160 : 128;

    [GlobalSetup]
    public void Setup()
    {
        string shared = ModelBenchmarks.SharedRoot();
        string tflite = Path.Combine(shared, "models", "tflite", Model + ".tflite");
        string onnx = Path.Combine(shared, "models", "onnx-int8", "from-tflite", Model + "_s8w.onnx");
        int res = Resolution(Model);
        _input = File.ReadAllBytes(Path.Combine(shared, "models", "tflite", "reference", "inputs", $"{res}x{res}__grace_hopper.rgb.u8"));
        using var so = new OrtSessionOptions
        {
            IntraOpNumThreads = Threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _ort = new OrtSession(onnx, so);
        _in = OrtValue.CreateTensorValueFromMemory(_input, [1, res, res, 3]);
        _ortY = new byte[1001];
        _out = OrtValue.CreateTensorValueFromMemory(_ortY, [1, 1001]);
        _inNames = [_ort.InputMetadata.Keys.First()];
        _outNames = [_ort.OutputMetadata.Keys.First()];
        _runOptions = new RunOptions();

        var model = MobileNetAccel.Model.Load(tflite);
        _ours = new MobileNetAccel.InferenceSession(model, new MobileNetAccel.SessionOptions { Threads = Threads, Backend = "cpu" });
        _oursFloat = new MobileNetAccel.InferenceSession(MobileNetAccel.Model.Load(tflite),
            new MobileNetAccel.SessionOptions { Threads = Threads, Backend = "cpu", ForceFloat = true });
        _y = new byte[1001];
        _yFloat = new byte[1001];
        OnnxRuntime();
        Ours();
        OursFloat();
        int top(byte[] y) => Array.IndexOf(y, y.Max());
        if (top(_y) != top(_ortY))
            throw new InvalidOperationException($"{Model}: our top-1 {top(_y)} differs from ONNX Runtime's {top(_ortY)}");
        byte[] litert = File.ReadAllBytes(Path.Combine(shared, "models", "tflite", "reference", "outputs_litert", $"{Model}__grace_hopper.out.u8"));
        int maxDiff = 0;
        for (int i = 0; i < _y.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(_y[i] - litert[i]));
        Console.WriteLine($"# {Model}: integer kernels {NativeQ8Kernels.Name(NativeQ8Kernels.Current)}; top-1 {top(_y)} (ORT {top(_ortY)}); max |ours - LiteRT| {maxDiff} quanta");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ours?.Dispose();
        _oursFloat?.Dispose();
        _in?.Dispose();
        _out?.Dispose();
        _runOptions?.Dispose();
        _ort?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "ONNX Runtime 1.31.1 int8 (_s8w)")]
    public void OnnxRuntime() => _ort!.Run(_runOptions, _inNames, [_in!], _outNames, [_out!]);

    [Benchmark(Description = "MobileNetAccel integer (.tflite)")]
    public void Ours() => _ours!.RunRaw(_input, _y);

    [Benchmark(Description = "MobileNetAccel float (--float)")]
    public void OursFloat() => _oursFloat!.RunRaw(_input, _yFloat);
}

/// <summary>
/// <see cref="QuantizedModelBenchmarks"/> interleaved in ~200 ms slices (ORT int8, ours integer, ours float), as
/// <see cref="Interleaved"/> does for the float models.
/// Run: dotnet run -c Release --project perf/MobileNetAccel.Benchmarks -- --interleaved-int8 [seconds per row]
/// </summary>
public static class InterleavedInt8
{
    public static int Run(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        Console.WriteLine($"# interleaved ORT int8 (_s8w) / MobileNetAccel integer / MobileNetAccel float, {seconds:F0} s per row; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("| model | threads | ORT min / median ms | ours int8 min / median ms | ours float median ms | int8 ours/ORT median | ours/ORT min | ours float/int8 |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        var medians = new Dictionary<(string, int), double>();
        foreach (string model in new[] { "mobilenet_v2_1.0_224_quant", "mobilenet_v1_0.5_160_quant", "mobilenet_v1_0.25_128_quant" })
            foreach (int threads in new[] { 1, 2 })
            {
                var b = new QuantizedModelBenchmarks { Model = model, Threads = threads };
                b.Setup();
                try
                {
                    var t = Interleaved.Measure(seconds, b.OnnxRuntime, b.Ours, b.OursFloat);
                    var (ort, ours, fl) = (t[0], t[1], t[2]);
                    double om = Interleaved.Q(ort, 0.5), um = Interleaved.Q(ours, 0.5), fm = Interleaved.Q(fl, 0.5);
                    medians[(model, threads)] = um;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {model} | {threads} | {ort[0]:F3} / {om:F3} | {ours[0]:F3} / {um:F3} | {fm:F3} | **{um / om:F2}** | {ours[0] / ort[0]:F2} | {fm / um:F2} |"));
                }
                finally
                {
                    b.Cleanup();
                }
            }
        Console.WriteLine();
        foreach (var ((model, threads), m) in medians)
            if (threads == 1 && medians.TryGetValue((model, 2), out double m2))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours {model}: 2 threads {m / m2:F2}x faster than 1 (medians)"));
        return 0;
    }
}
