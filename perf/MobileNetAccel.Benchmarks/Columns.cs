using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace MobileNetAccel.Benchmarks;

/// <summary>A benchmark case that knows how many floating-point operations one invocation does (2 per multiply-add).</summary>
public interface IHasFlops
{
    double FlopsFor(BenchmarkCase benchmarkCase);
}

internal static class Flops
{
    public static double? Of(BenchmarkCase c)
    {
        if (Activator.CreateInstance(c.Descriptor.Type) is not IHasFlops h)
            return null;
        return h.FlopsFor(c);
    }

    public static double? MedianNs(Summary s, BenchmarkCase c) => s[c]?.ResultStatistics?.Median;
}

/// <summary>GFLOP/s at the median time.</summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "float32 FLOP (2 per multiply-add) per second at the median time";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? f = Flops.Of(benchmarkCase), ns = Flops.MedianNs(summary, benchmarkCase);
        return f is > 0 && ns is > 0 ? (f.Value / ns.Value).ToString("F1") : "-";
    }
}

/// <summary>Percent of the measured single-core FMA peak (times the case's thread count).</summary>
public sealed class PeakPercentColumn : IColumn
{
    public string Id => nameof(PeakPercentColumn);
    public string ColumnName => "% peak";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 1;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => $"GFLOP/s / (threads x {PeakProbe.MeasuredGflopsPerCore:F0} GFLOP/s, the FMA peak measured in the host process)";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? f = Flops.Of(benchmarkCase), ns = Flops.MedianNs(summary, benchmarkCase);
        if (f is not > 0 || ns is not > 0 || benchmarkCase.Descriptor.Type == typeof(PeakProbe))
            return "-";
        int threads = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Threads")?.Value is int t ? t : 1;
        return (100.0 * f.Value / ns.Value / (threads * PeakProbe.MeasuredGflopsPerCore)).ToString("F0");
    }
}

/// <summary>Images (invocations) per second at the median time, for the model benchmarks.</summary>
public sealed class ImagesPerSecondColumn : IColumn
{
    public string Id => nameof(ImagesPerSecondColumn);
    public string ColumnName => "img/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 2;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "1 / median time (batch 1)";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (benchmarkCase.Descriptor.Type != typeof(ModelBenchmarks))
            return "-";
        double? ns = Flops.MedianNs(summary, benchmarkCase);
        return ns is > 0 ? (1e9 / ns.Value).ToString("F1") : "-";
    }
}
