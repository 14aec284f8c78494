using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace MobileNetAccel.Benchmarks;

/// <summary>
/// Benchmarks of the native CPU kernels and whole MobileNets against ONNX Runtime.
/// Run (BenchmarkDotNet prints a menu and runs nothing without --filter):
///   dotnet run -c Release --project perf/MobileNetAccel.Benchmarks -- --filter '*'
///   dotnet run -c Release --project perf/MobileNetAccel.Benchmarks -- --filter '*ModelBenchmarks*'
///   dotnet run -c Release --project perf/MobileNetAccel.Benchmarks -- --filter '*LayerBenchmarks*' '*PeakProbe*'
///   dotnet run -c Release --project perf/MobileNetAccel.Benchmarks -- --interleaved [seconds per row]   (ours vs ORT call by call, see Interleaved)
///   dotnet run -c Release --project perf/MobileNetAccel.Benchmarks -- --interleaved-batch [seconds] [models] [threads] [batch]   (images/s at batch 8, see InterleavedBatch)
///   dotnet run -c Release --project perf/MobileNetAccel.Benchmarks -- --interleaved-int8 [seconds per row]   (quantized models, see InterleavedInt8)
///   dotnet run -c Release --project perf/MobileNetAccel.Benchmarks -- --filter '*QuantizedModelBenchmarks*'
///   dotnet run -c Release --project perf/MobileNetAccel.Benchmarks -- --interleaved-qdq [seconds per row]   (QDQ .onnx files, see InterleavedQdq)
///   dotnet run -c Release --project perf/MobileNetAccel.Benchmarks -- --ort-profile MODEL [threads] [runs]   (ORT's per-node times, see OrtProfile)
///   dotnet run -c Release --project perf/MobileNetAccel.Benchmarks -- --reliability throughput|soak ...   (issue #19, see Reliability)
/// Environment: MNA_SHARED = the folder holding models/onnx (default: a 'shared' folder beside an ancestor).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--interleaved")
            return Interleaved.Run(args[1..]);
        if (args.Length > 0 && args[0] == "--interleaved-batch")
            return InterleavedBatch.Run(args[1..]);
        if (args.Length > 0 && args[0] == "--interleaved-int8")
            return InterleavedInt8.Run(args[1..]);
        if (args.Length > 0 && args[0] == "--interleaved-qdq")
            return InterleavedQdq.Run(args[1..]);
        if (args.Length > 0 && args[0] == "--ort-profile")
            return OrtProfile.Run(args[1..]);
        if (args.Length > 0 && args[0] == "--reliability")
            return Reliability.Run(args[1..]);
        var config = DefaultConfig.Instance
            .AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Min, BenchmarkDotNet.Columns.StatisticColumn.Median)
            .AddColumn(new GflopsColumn(), new PeakPercentColumn(), new ImagesPerSecondColumn())
            .WithOptions(ConfigOptions.JoinSummary | ConfigOptions.DisableLogFile);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
