using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Execution;

/// <summary>A backend on one of its devices.</summary>
public sealed record BackendTarget(IBackend Backend, DeviceInfo Device)
{
    public override string ToString() => Backend.Name == Device.Id ? Device.Id : $"{Backend.Name}/{Device.Id}";
    internal bool SameAs(BackendTarget other) => ReferenceEquals(Backend, other.Backend) && Device.Id == other.Device.Id;
}

/// <summary>How <see cref="BackendSelector"/> chooses.</summary>
public sealed class SelectionOptions
{
    /// <summary>"auto", one backend name or device id ("cpu", "managed", "ilgpu-cuda", "vulkan:0"), or a
    /// comma-separated list in order of preference.</summary>
    public string Backend { get; init; } = "auto";
    /// <summary>Fail instead of falling back when a requested backend cannot run a node or has no device.</summary>
    public bool Strict { get; init; }
    /// <summary>Threads CPU backends compile with (also part of the calibration cache key).</summary>
    public int Threads { get; init; } = 1;
    /// <summary>Timed calibration runs per candidate (after one warm-up run). At least 1.</summary>
    public int CalibrationRuns { get; init; } = 3;
    /// <summary>Directory of the calibration cache; null = no cache.</summary>
    public string? CacheDirectory { get; init; }
    /// <summary>Backends to choose from (default <see cref="BackendRegistry.All"/>).</summary>
    public IReadOnlyList<IBackend>? Backends { get; init; }
    public ILogger? Logger { get; init; }
}

/// <summary>The chosen plan: partitions in run order with their backend and device, and the report.</summary>
public sealed class SelectionPlan
{
    internal SelectionPlan(IReadOnlyList<(Partition Partition, BackendTarget Target)> partitions, PlacementReport report)
    {
        Partitions = partitions;
        Report = report;
    }

    public IReadOnlyList<(Partition Partition, BackendTarget Target)> Partitions { get; }
    public PlacementReport Report { get; }
}
