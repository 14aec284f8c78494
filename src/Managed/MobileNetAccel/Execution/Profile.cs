using MobileNetAccel.Graph;

namespace MobileNetAccel.Execution;

/// <summary>One row of a <see cref="ProfileReport"/>: a node, or a whole partition whose backend does not time its
/// nodes one by one (then <see cref="Nodes"/> &gt; 1 and <see cref="Name"/> lists the first and last node).</summary>
/// <param name="Name">Node name (or "first … last" for a partition row).</param>
/// <param name="Op">Operator (or "partition").</param>
/// <param name="Backend">Backend that ran it.</param>
/// <param name="Device">Device id.</param>
/// <param name="Nodes">Nodes the row covers.</param>
/// <param name="MedianMs">Median over the profiled runs.</param>
/// <param name="MinMs">Fastest of the profiled runs.</param>
/// <param name="Macs">Multiply-accumulates of the nodes (0 for data movement).</param>
/// <param name="Bytes">Bytes the nodes must at least move: every input (weights included) and output once.</param>
public sealed record ProfileRow(string Name, string Op, string Backend, string Device, int Nodes, double MedianMs, double MinMs, long Macs, long Bytes);

/// <summary>Per-node times of a model, from <see cref="InferenceSession.Profile"/>.</summary>
public sealed class ProfileReport
{
    internal ProfileReport(IReadOnlyList<ProfileRow> rows, int runs, double totalMedianMs, double totalMinMs)
    {
        Rows = rows;
        Runs = runs;
        TotalMedianMs = totalMedianMs;
        TotalMinMs = totalMinMs;
    }

    public IReadOnlyList<ProfileRow> Rows { get; }
    /// <summary>Profiled runs (after the warm-up).</summary>
    public int Runs { get; }
    /// <summary>Median over runs of the sum of the rows (the per-node timing adds a little to a plain run).</summary>
    public double TotalMedianMs { get; }
    public double TotalMinMs { get; }
}

internal sealed partial class GraphExecutor
{
    /// <summary>Runs the graph <paramref name="warmup"/> + <paramref name="runs"/> times on <paramref name="input"/>
    /// (raw bytes in the input's dtype), timing each node of partitions whose backend can (<see cref="Backends.IProfiledPartition"/>)
    /// and each other partition as a whole.</summary>
    public ProfileReport Profile(ReadOnlySpan<byte> input, int runs, int warmup)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);
        var inV = CheckRawInput(input.Length);
        var rows = new List<(IReadOnlyList<Node> Nodes, int Partition)>();
        var firstRow = new int[_compiled.Count];
        for (int i = 0; i < _compiled.Count; i++)
        {
            firstRow[i] = rows.Count;
            if (_compiled[i] is Backends.IProfiledPartition)
                foreach (var n in Partitions[i].Nodes)
                    rows.Add((new[] { n }, i));
            else
                rows.Add((Partitions[i].Nodes, i));
        }
        var ticks = new long[runs, rows.Count];
        var scratch = new long[rows.Count];
        var arena = Rent();
        try
        {
            for (int r = -warmup; r < runs; r++)
            {
                input.CopyTo(arena.Span<byte>(inV));
                for (int i = 0; i < _compiled.Count; i++)
                {
                    var slots = scratch.AsSpan(firstRow[i], _compiled[i] is Backends.IProfiledPartition ? Partitions[i].Nodes.Count : 1);
                    if (_partitionLocks[i] is { } gate)
                        lock (gate)
                            RunTimed(_compiled[i], arena, slots);
                    else
                        RunTimed(_compiled[i], arena, slots);
                }
                if (r >= 0)
                    for (int k = 0; k < rows.Count; k++)
                        ticks[r, k] = scratch[k];
            }
        }
        finally
        {
            Return(arena);
        }
        double Ms(long t) => t * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
        static double Median(List<double> v)
        {
            v.Sort();
            return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
        }
        var result = new List<ProfileRow>();
        for (int k = 0; k < rows.Count; k++)
        {
            var (nodes, part) = rows[k];
            var times = Enumerable.Range(0, runs).Select(r => Ms(ticks[r, k])).ToList();
            var placement = Placement.Partitions.Count > part ? Placement.Partitions[part] : null;
            string name = nodes.Count == 1 ? nodes[0].Name : $"{nodes[0].Name} … {nodes[^1].Name}";
            string op = nodes.Count == 1 ? nodes[0].Op.ToString() : "partition";
            long macs = nodes.Sum(n => n.Macs);
            long bytes = nodes.Sum(n => n.Inputs.Where(v => v is not null).Sum(v => v!.SizeInBytes) + n.Outputs.Sum(v => v.SizeInBytes));
            result.Add(new ProfileRow(name, op, placement?.Backend ?? "", placement?.Device ?? "", nodes.Count, Median(times), times.Min(), macs, bytes));
        }
        var totals = Enumerable.Range(0, runs).Select(r => Enumerable.Range(0, rows.Count).Sum(k => Ms(ticks[r, k]))).ToList();
        return new ProfileReport(result, runs, Median(totals), totals.Min());
    }

    /// <summary>One partition's run: node by node into <paramref name="slots"/> when it can time them, else as a whole
    /// into <paramref name="slots"/>[0].</summary>
    private static void RunTimed(Backends.ICompiledPartition compiled, NativeArena arena, Span<long> slots)
    {
        if (compiled is Backends.IProfiledPartition p)
        {
            p.RunProfiled(arena, slots);
            return;
        }
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        compiled.Run(arena);
        slots[0] = System.Diagnostics.Stopwatch.GetTimestamp() - t0;
    }
}
