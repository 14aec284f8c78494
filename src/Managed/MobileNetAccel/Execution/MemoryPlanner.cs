using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Execution;

/// <summary>Where one run-time value lives in the arena and when it is alive (node indices, inclusive).</summary>
public readonly record struct ArenaSlot(Value Value, long Offset, long Size, int FirstNode, int LastNode);

/// <summary>The result of planning: an offset for every run-time value and the arena size they need.</summary>
public sealed class MemoryPlan
{
    internal MemoryPlan(IReadOnlyList<ArenaSlot> slots, long peakBytes)
    {
        Slots = slots;
        PeakBytes = peakBytes;
        var offsets = new Dictionary<Value, long>(ReferenceEqualityComparer.Instance);
        foreach (var s in slots)
            offsets[s.Value] = s.Offset;
        Offsets = offsets;
    }

    public IReadOnlyList<ArenaSlot> Slots { get; }
    /// <summary>Offset of each run-time value (by reference).</summary>
    public IReadOnlyDictionary<Value, long> Offsets { get; }
    /// <summary>Size of the arena in bytes (the highest end of any slot).</summary>
    public long PeakBytes { get; }
    /// <summary>What the values would need without sharing (each 64-byte aligned).</summary>
    public long UnsharedBytes => Slots.Sum(s => s.Size);
}

/// <summary>
/// Assigns every run-time value (graph inputs, node outputs; not constants) an offset in one arena. A value is alive
/// from the node that produces it (graph inputs: before the first node) to the last node that reads it (graph outputs:
/// to the end). Values whose lifetimes do not overlap may share memory. Greedy by size, largest first, each placed at
/// the lowest 64-byte aligned offset that does not collide with an already placed value alive at the same time
/// (the strategy of TFLite's arena planner). A node's output never shares memory with its inputs.
/// </summary>
public static class MemoryPlanner
{
    public const int Alignment = 64;

    public static long Align(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;

    /// <summary>Plans <paramref name="graph"/> (validated: nodes in topological order, shapes inferred).</summary>
    public static MemoryPlan Plan(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var first = new Dictionary<Value, int>(ReferenceEqualityComparer.Instance);
        var last = new Dictionary<Value, int>(ReferenceEqualityComparer.Instance);
        var order = new List<Value>();
        void Define(Value v, int at)
        {
            if (v.IsConstant || first.ContainsKey(v))
                return;
            first[v] = at;
            last[v] = at;
            order.Add(v);
        }
        foreach (var v in graph.Inputs)
            Define(v, -1);
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var n = graph.Nodes[i];
            foreach (var v in n.Inputs)
                if (v is not null && !v.IsConstant)
                {
                    if (!first.ContainsKey(v))
                        throw n.Error($"reads '{v.Name}' before any node produces it (graph not validated?)");
                    last[v] = Math.Max(last[v], i);
                }
            foreach (var v in n.Outputs)
                Define(v, i);
        }
        foreach (var v in graph.Outputs)
            if (last.ContainsKey(v))
                last[v] = graph.Nodes.Count;

        var values = order
            .Select((v, index) => (Value: v, Index: index, Size: Align(Math.Max(v.SizeInBytes, 1))))
            .OrderByDescending(t => t.Size).ThenBy(t => t.Index)
            .ToList();
        var placed = new List<ArenaSlot>(values.Count);
        long peak = 0;
        foreach (var (v, _, size) in values)
        {
            int a = first[v], b = last[v];
            // Placed slots alive at the same time, by offset.
            var busy = placed.Where(p => p.FirstNode <= b && a <= p.LastNode).OrderBy(p => p.Offset).ToList();
            long offset = 0;
            foreach (var p in busy)
            {
                if (offset + size <= p.Offset)
                    break;
                offset = Math.Max(offset, p.Offset + p.Size);
            }
            placed.Add(new ArenaSlot(v, offset, size, a, b));
            peak = Math.Max(peak, offset + size);
        }
        placed.Sort((x, y) => x.FirstNode != y.FirstNode ? x.FirstNode.CompareTo(y.FirstNode) : x.Offset.CompareTo(y.Offset));
        return new MemoryPlan(placed, peak);
    }
}
