using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.ML.OnnxRuntime;
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
    private const int Iterations = 1_000_000;
    private static double? _peak;

    public static string IsaName => Avx512F.IsSupported ? "AVX-512F" : Fma.IsSupported ? "AVX2+FMA" : AdvSimd.IsSupported ? "NEON" : "scalar";
    private static int Lanes => Avx512F.IsSupported ? 16 : Fma.IsSupported ? 8 : AdvSimd.IsSupported ? 4 : 1;
    private static double FlopsPerCall => 2.0 * 16 * Lanes * Iterations;

    public static double MeasuredGflopsPerCore
    {
        get
        {
            if (_peak is double p) return p;
            double best = 0;
            for (int i = 0; i < 15; i++)
            {
                long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                Fma16();
                double s = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds;
                best = Math.Max(best, FlopsPerCall / s * 1e-9);
            }
            _peak = best;
            return best;
        }
    }

    public double FlopsFor(BenchmarkCase benchmarkCase) => FlopsPerCall;

    [Benchmark(Description = "FMA peak, 1 thread")]
    public float Peak() => Fma16();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Fma16()
    {
        if (Avx512F.IsSupported)
        {
            Vector512<float> m = Vector512.Create(0.9999999f), c = Vector512.Create(1e-7f);
            Vector512<float> a0 = Vector512.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            Vector512<float> a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
            for (int i = 0; i < Iterations; i++)
            {
                a0 = Avx512F.FusedMultiplyAdd(a0, m, c); a1 = Avx512F.FusedMultiplyAdd(a1, m, c);
                a2 = Avx512F.FusedMultiplyAdd(a2, m, c); a3 = Avx512F.FusedMultiplyAdd(a3, m, c);
                a4 = Avx512F.FusedMultiplyAdd(a4, m, c); a5 = Avx512F.FusedMultiplyAdd(a5, m, c);
                a6 = Avx512F.FusedMultiplyAdd(a6, m, c); a7 = Avx512F.FusedMultiplyAdd(a7, m, c);
                a8 = Avx512F.FusedMultiplyAdd(a8, m, c); a9 = Avx512F.FusedMultiplyAdd(a9, m, c);
                a10 = Avx512F.FusedMultiplyAdd(a10, m, c); a11 = Avx512F.FusedMultiplyAdd(a11, m, c);
                a12 = Avx512F.FusedMultiplyAdd(a12, m, c); a13 = Avx512F.FusedMultiplyAdd(a13, m, c);
                a14 = Avx512F.FusedMultiplyAdd(a14, m, c); a15 = Avx512F.FusedMultiplyAdd(a15, m, c);
            }
            return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15);
        }
        if (Fma.IsSupported)
        {
            Vector256<float> m = Vector256.Create(0.9999999f), c = Vector256.Create(1e-7f);
            Vector256<float> a0 = Vector256.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            Vector256<float> a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
            for (int i = 0; i < Iterations; i++)
            {
                a0 = Fma.MultiplyAdd(a0, m, c); a1 = Fma.MultiplyAdd(a1, m, c); a2 = Fma.MultiplyAdd(a2, m, c); a3 = Fma.MultiplyAdd(a3, m, c);
                a4 = Fma.MultiplyAdd(a4, m, c); a5 = Fma.MultiplyAdd(a5, m, c); a6 = Fma.MultiplyAdd(a6, m, c); a7 = Fma.MultiplyAdd(a7, m, c);
                a8 = Fma.MultiplyAdd(a8, m, c); a9 = Fma.MultiplyAdd(a9, m, c); a10 = Fma.MultiplyAdd(a10, m, c); a11 = Fma.MultiplyAdd(a11, m, c);
                a12 = Fma.MultiplyAdd(a12, m, c); a13 = Fma.MultiplyAdd(a13, m, c); a14 = Fma.MultiplyAdd(a14, m, c); a15 = Fma.MultiplyAdd(a15, m, c);
            }
            return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15);
        }
        if (AdvSimd.IsSupported)
        {
            Vector128<float> m = Vector128.Create(0.9999999f), c = Vector128.Create(1e-7f);
            Vector128<float> a0 = Vector128.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            Vector128<float> a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
            for (int i = 0; i < Iterations; i++)
            {
                a0 = AdvSimd.FusedMultiplyAdd(c, a0, m); a1 = AdvSimd.FusedMultiplyAdd(c, a1, m); a2 = AdvSimd.FusedMultiplyAdd(c, a2, m); a3 = AdvSimd.FusedMultiplyAdd(c, a3, m);
                a4 = AdvSimd.FusedMultiplyAdd(c, a4, m); a5 = AdvSimd.FusedMultiplyAdd(c, a5, m); a6 = AdvSimd.FusedMultiplyAdd(c, a6, m); a7 = AdvSimd.FusedMultiplyAdd(c, a7, m);
                a8 = AdvSimd.FusedMultiplyAdd(c, a8, m); a9 = AdvSimd.FusedMultiplyAdd(c, a9, m); a10 = AdvSimd.FusedMultiplyAdd(c, a10, m); a11 = AdvSimd.FusedMultiplyAdd(c, a11, m);
                a12 = AdvSimd.FusedMultiplyAdd(c, a12, m); a13 = AdvSimd.FusedMultiplyAdd(c, a13, m); a14 = AdvSimd.FusedMultiplyAdd(c, a14, m); a15 = AdvSimd.FusedMultiplyAdd(c, a15, m);
            }
            return Vector128.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15);
        }
        float s = 1;
        for (int i = 0; i < Iterations * 16; i++) s = MathF.FusedMultiplyAdd(s, 0.9999999f, 1e-7f);
        return s;
    }
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
