using System.Collections;
using System.Globalization;
using System.Text;
using MobileNetAccel.Backends;

namespace MobileNetAccel.Execution;

/// <summary>One value copied between the host arena and a device at a partition boundary, every run.</summary>
/// <param name="Value">The value's name.</param>
/// <param name="Bytes">Bytes copied.</param>
/// <param name="From">Device id it leaves ("cpu" = the host arena).</param>
/// <param name="To">Device id it enters.</param>
public sealed record Transfer(string Value, long Bytes, string From, string To)
{
    public override string ToString() => $"{Value}: {From} -> {To} ({Bytes} bytes)";
}

/// <summary>One partition of the plan: its nodes run on one backend and device.</summary>
/// <param name="Index">Position in run order.</param>
/// <param name="Backend">Backend name.</param>
/// <param name="Device">Device id.</param>
/// <param name="Nodes">Names of its nodes, in order.</param>
/// <param name="MeasuredMs">Calibrated time of its nodes on this backend (ms per run, including the transfers at its
/// boundary), or null when it was not measured (explicit choice, single candidate).</param>
public sealed record PartitionPlacement(int Index, string Backend, string Device, IReadOnlyList<string> Nodes, double? MeasuredMs)
{
    public override string ToString() =>
        $"partition {Index}: {Backend}/{Device}, {Nodes.Count} nodes ({Nodes[0]} .. {Nodes[^1]})"
        + (MeasuredMs is { } ms ? $", measured {ms.ToString("F3", CultureInfo.InvariantCulture)} ms" : ", not measured");
}

/// <summary>
/// Where every node of a session runs and why: one <see cref="NodePlacement"/> per node (this list), the partitions
/// with their measured cost, the host↔device transfers the plan costs per run, and the reasons for the choice
/// (candidates rejected, fallbacks). <c>ToString()</c> prints all of it.
/// </summary>
public sealed class PlacementReport : IReadOnlyList<NodePlacement>
{
    private readonly IReadOnlyList<NodePlacement> _nodes;

    public PlacementReport(string requested, IReadOnlyList<NodePlacement> nodes, IReadOnlyList<PartitionPlacement> partitions,
        IReadOnlyList<Transfer> transfers, IReadOnlyList<string> reasons, string calibration)
    {
        Requested = requested;
        _nodes = nodes;
        Partitions = partitions;
        Transfers = transfers;
        Reasons = reasons;
        Calibration = calibration;
    }

    /// <summary>What was asked for (SessionOptions.Backend).</summary>
    public string Requested { get; }
    public IReadOnlyList<PartitionPlacement> Partitions { get; }
    /// <summary>Copies between host and devices per run.</summary>
    public IReadOnlyList<Transfer> Transfers { get; }
    /// <summary>Why this plan: candidates considered, measured, rejected, fallbacks.</summary>
    public IReadOnlyList<string> Reasons { get; }
    /// <summary>Where the calibration came from: "none", "measured", "cache (path)", "measured (cache ... ignored: why)".</summary>
    public string Calibration { get; }
    /// <summary>Bytes copied between host and devices per run.</summary>
    public long TransferBytes => Transfers.Sum(t => t.Bytes);
    /// <summary>Distinct backends used.</summary>
    public IReadOnlyList<string> Backends => _nodes.Select(n => n.Backend).Distinct().ToList();

    public NodePlacement this[int index] => _nodes[index];
    public int Count => _nodes.Count;
    public IEnumerator<NodePlacement> GetEnumerator() => _nodes.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>One line: "cpu/cpu (64 nodes)" or "vulkan/vulkan:0 (60 nodes) + cpu/cpu (4 nodes), 2 transfers".</summary>
    public string Summary =>
        string.Join(" + ", Partitions.GroupBy(p => (p.Backend, p.Device)).Select(g => $"{g.Key.Backend}/{g.Key.Device} ({g.Sum(p => p.Nodes.Count)} nodes)"))
        + (Transfers.Count > 0 ? $", {Transfers.Count} transfers ({TransferBytes} bytes) per run" : ", no host<->device transfers");

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("placement (requested '").Append(Requested).Append("'): ").AppendLine(Summary);
        sb.Append("calibration: ").AppendLine(Calibration);
        foreach (var r in Reasons)
            sb.Append("  why: ").AppendLine(r);
        foreach (var p in Partitions)
            sb.Append("  ").AppendLine(p.ToString());
        foreach (var t in Transfers)
            sb.Append("  transfer ").AppendLine(t.ToString());
        foreach (var n in _nodes)
            sb.Append("  ").AppendLine(n.ToString());
        return sb.ToString();
    }
}
