using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.ML.OnnxRuntime;
using MobileNetAccel.Backends;
using MobileNetAccel.Interop;
using OrtSession = Microsoft.ML.OnnxRuntime.InferenceSession;
using OrtSessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace MobileNetAccel.Benchmarks;

/// <summary>Short jobs so the whole suite fits in minutes; in-process so native pools and packed weights live once.</summary>
public sealed class ShortInProcessAttribute : Attribute, BenchmarkDotNet.Configs.IConfigSource
{
    public ShortInProcessAttribute(int warmup = 3, int iterations = 15)
    {
        Config = BenchmarkDotNet.Configs.ManualConfig.CreateEmpty().AddJob(
            Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
                .WithLaunchCount(1).WithWarmupCount(warmup).WithIterationCount(iterations)
                .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(150)).WithId("ShortInProcess"));
    }

    public BenchmarkDotNet.Configs.IConfig Config { get; }
}

/// <summary>
/// Single-core float32 FMA throughput for the widest vector ISA .NET exposes here (AVX-512F, else AVX2+FMA, else
/// NEON): 16 independent accumulator chains, 2 FLOP per lane per FMA. <see cref="MeasuredGflopsPerCore"/> is the
/// best of several runs in the calling process, used as the "% peak" denominator.
/// </summary>
[ShortInProcess]
public class PeakProbe : IHasFlops
{
    private static double? _peak;

    public static string IsaName => FmaProbe.IsaName;

    public static double MeasuredGflopsPerCore => _peak ??= FmaProbe.MeasureGflops();

    public double FlopsFor(BenchmarkCase benchmarkCase) => FmaProbe.FlopsPerCall;

    [Benchmark(Description = "FMA peak, 1 thread")]
    public float Peak() => FmaProbe.Fma16();
}

/// <summary>Every layer of MobileNetV2 1.0/224 (unfused: expand, depthwise, project, add; plus first conv, last 1x1,
/// pool, FC) at 1 thread, on the auto-selected kernel table.</summary>
[ShortInProcess(2, 10)]
public class LayerBenchmarks : IHasFlops
{
    private static Network? _net;
    private static Network Net => _net ??= Network.Build("mobilenet_v2_1.0_224", fused: false);
    private float[] _x = [], _y = [], _r = [];
    private NetLayer _layer = null!;

    public static IEnumerable<string> Layers() => Net.Layers.Select((l, i) => $"{i:D2} {l.Name}");

    [ParamsSource(nameof(Layers))]
    public string Layer { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _layer = Net.Layers[int.Parse(Layer[..2], System.Globalization.CultureInfo.InvariantCulture)];
        _x = new float[_layer.InLen];
        _r = new float[_layer.OutLen];
        _y = new float[_layer.OutLen];
        new Random(1).NextBytes(new byte[1]);
        for (int i = 0; i < _x.Length; i++) _x[i] = (i % 17) * 0.1f - 0.8f;
    }

    public double FlopsFor(BenchmarkCase c)
    {
        string layer = (string)c.Parameters["Layer"];
        return 2 * Net.Layers[int.Parse(layer[..2], System.Globalization.CultureInfo.InvariantCulture)].Macs;
    }

    [Benchmark]
    public void Run() => _layer.Run(_x, _y, _r, null);
}

/// <summary>Each inverted-residual block of MobileNetV2 1.0/224: fused (row ring) against the same block unfused
/// (expand, depthwise, project, add as separate passes), at 1 and 2 threads. Ratio = fused / unfused.</summary>
[ShortInProcess(2, 10)]
public class BlockBenchmarks : IHasFlops
{
    private static Network? _fused, _unfused;
    private static Network Fused => _fused ??= Network.Build("mobilenet_v2_1.0_224", fused: true);
    private static Network Unfused => _unfused ??= Network.Build("mobilenet_v2_1.0_224", fused: false);
    private float[] _x = [], _y = [], _t = [], _u = [];
    private NetLayer _block = null!;
    private List<NetLayer> _parts = [];
    private NativeThreadPool? _pool;

    public static IEnumerable<string> Blocks() => Fused.Layers.Select((l, i) => (l, i)).Where(t => t.l.Kind == "irb").Select(t => $"{t.i:D2} {t.l.Name}");

    [ParamsSource(nameof(Blocks))]
    public string Block { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int idx = int.Parse(Block[..2], System.Globalization.CultureInfo.InvariantCulture);
        _block = Fused.Layers[idx];
        // the unfused layers of the same block (expand, depthwise, project, add)
        int blockNo = _block.Block;
        _parts = Unfused.Layers.Where(l => l.Block == blockNo).ToList();
        long max = _parts.Max(p => Math.Max(p.InLen, p.OutLen));
        _x = new float[max];
        _y = new float[max];
        _t = new float[max];
        _u = new float[max];
        for (int i = 0; i < _x.Length; i++) _x[i] = (i % 13) * 0.1f - 0.6f;
        _pool = Threads > 1 ? NativeThreadPool.Create(Threads) : null;
    }

    [GlobalCleanup]
    public void Cleanup() => _pool?.Dispose();

    public double FlopsFor(BenchmarkCase c)
    {
        string b = (string)c.Parameters["Block"];
        return 2 * Fused.Layers[int.Parse(b[..2], System.Globalization.CultureInfo.InvariantCulture)].Macs;
    }

    [Benchmark(Baseline = true)]
    public void Unfused_()
    {
        float[] input = _x, output = _t;
        foreach (var l in _parts)
        {
            l.Run(input, output, _x, _pool); // the add reads the block input _x, never overwritten
            input = output;
            output = ReferenceEquals(output, _t) ? _u : _t;
        }
    }

    [Benchmark]
    public void Fused_() => _block.Run(_x, _y, _x, _pool);
}

/// <summary>
/// Whole models, batch 1, at 1 and 2 threads, on the ONNX files of ../shared/models/onnx: ours = the file loaded by
/// <see cref="Model.Load"/> and run by an <see cref="InferenceSession"/> on the <c>cpu</c> backend (graph passes on,
/// fused blocks, packed weights, auto-selected kernel table, the same thread count) against ONNX Runtime 1.31.1 (CPU
/// provider, all graph optimizations, the same thread count, sequential execution) running the same file in the same
/// process. Ratio = ours / ORT. A third row runs the same architecture built directly on the packed native API with
/// random weights (no graph, no executor): the difference to the session row is the executor's overhead.
/// Setup checks that our output equals ORT's on the file's sample input (max |d| below 1e-4 max(1, max |y|)). The
/// shared ONNX files carry seeded random weights, and their outputs hardly depend on the input (a permuted input
/// changes them by ~1e-7), so this check catches wrong weights or operators, not a wrong input layout; the layout is
/// tested with the pretrained TFLite models and real photographs in the test suite.
/// </summary>
[ShortInProcess(5, 20)]
public class ModelBenchmarks : IHasFlops
{
    private Network? _net;
    private NativeThreadPool? _pool;
    private MobileNetAccel.InferenceSession? _session;
    private float[] _input = [], _y = [];
    private OrtSession? _ort;
    private OrtValue? _in, _out;
    private float[] _ortY = [];
    private RunOptions? _runOptions;
    private string[] _inNames = [], _outNames = [];

    [Params("mobilenet_v2_1.0_224", "mobilenet_v1_1.0_224", "mobilenet_v2_0.35_96", "mobilenet_v1_0.25_128")]
    public string Model { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    public static string SharedRoot()
    {
        string? env = Environment.GetEnvironmentVariable("MNA_SHARED");
        if (!string.IsNullOrEmpty(env)) return env;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "models")) && d.FullName != "/") return candidate;
            if (d.Parent is not null && Directory.Exists(Path.Combine(d.Parent.FullName, "shared", "models")))
                return Path.Combine(d.Parent.FullName, "shared");
        }
        throw new DirectoryNotFoundException("no 'shared' folder with models/ found above " + AppContext.BaseDirectory + "; set MNA_SHARED");
    }

    [GlobalSetup]
    public void Setup()
    {
        _net = Network.Build(Model, fused: true);
        _pool = Threads > 1 ? NativeThreadPool.Create(Threads) : null;
        string dir = Path.Combine(SharedRoot(), "models", "onnx");
        string file = Path.Combine(dir, Model + ".onnx");
        using var so = new OrtSessionOptions
        {
            IntraOpNumThreads = Threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _ort = new OrtSession(file, so);
        int res = _net.Resolution;
        byte[] raw = File.ReadAllBytes(Path.Combine(dir, Model + ".input.f32"));
        float[] input = new float[raw.Length / 4];
        Buffer.BlockCopy(raw, 0, input, 0, raw.Length);
        _in = OrtValue.CreateTensorValueFromMemory(input, [1, 3, res, res]);
        _ortY = new float[1000];
        _out = OrtValue.CreateTensorValueFromMemory(_ortY, [1, 1000]);
        _inNames = [_ort.InputMetadata.Keys.First()];
        _outNames = [_ort.OutputMetadata.Keys.First()];
        _runOptions = new RunOptions();

        _session = new MobileNetAccel.InferenceSession(MobileNetAccel.Model.Load(file),
            new MobileNetAccel.SessionOptions { Threads = Threads, Backend = "cpu" });
        // the imported graph keeps the file's NCHW input (its first node converts to NHWC), so both runtimes get
        // the same array
        if (_session.Inputs[0].ElementCount != input.Length)
            throw new InvalidOperationException($"{Model}: our input has {_session.Inputs[0].ElementCount} values, the sample {input.Length}");
        _input = input;
        _y = new float[_session.Outputs[0].ElementCount];
        if (_y.Length != _ortY.Length)
            throw new InvalidOperationException($"{Model}: our output has {_y.Length} values, ORT's {_ortY.Length}");
        OnnxRuntime();
        Ours();
        double maxAbs = _ortY.Max(MathF.Abs), maxDiff = 0;
        for (int i = 0; i < _y.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(_y[i] - _ortY[i]));
        if (maxDiff > 1e-4 * Math.Max(1.0, maxAbs))
            throw new InvalidOperationException($"{Model}: our output differs from ONNX Runtime's by {maxDiff:G3} (max |y| {maxAbs:G3})");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session?.Dispose();
        _net?.Dispose();
        _pool?.Dispose();
        _in?.Dispose();
        _out?.Dispose();
        _runOptions?.Dispose();
        _ort?.Dispose();
    }

    public double FlopsFor(BenchmarkCase c) => FlopsFor((string)c.Parameters["Model"]);

    public double FlopsFor(string model)
    {
        using var net = Network.Build(model, fused: true);
        return 2 * net.Macs;
    }

    [Benchmark(Baseline = true, Description = "ONNX Runtime 1.31.1")]
    public void OnnxRuntime() => _ort!.Run(_runOptions, _inNames, [_in!], _outNames, [_out!]);

    [Benchmark(Description = "MobileNetAccel session (.onnx)")]
    public void Ours() => _session!.Run(_input, _y);

    [Benchmark(Description = "MobileNetAccel packed API (no graph)")]
    public float[] OursPacked() => _net!.Run(_pool);
}
