using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends;

/// <summary>Where one run-time value lives in the arena and when it is alive (node indices, inclusive).</summary>
public readonly record struct ArenaSlot(Value Value, long Offset, long Size, int FirstNode, int LastNode);

/// <summary>The result of planning a graph: an offset for every run-time value and the arena size they need.</summary>
public sealed class MemoryPlan
{
    public MemoryPlan(IReadOnlyList<ArenaSlot> slots, long peakBytes)
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

/// <summary>One buffer to place: <paramref name="Key"/> (compared by reference) needs <paramref name="SizeInBytes"/>
/// from use index <paramref name="FirstUse"/> to <paramref name="LastUse"/>, both inclusive (any ints: -1 for
/// "before the first step", int.MaxValue for "after the last" are fine). Its offset and its size are rounded up to a
/// multiple of <paramref name="Alignment"/>; a size of 0 counts as 1.</summary>
internal readonly record struct LiveInterval(object Key, long SizeInBytes, int FirstUse, int LastUse, long Alignment = MemoryPlanner.Alignment);

/// <summary>Where <see cref="MemoryPlanner.PlanIntervals"/> put one <see cref="LiveInterval"/>: its offset and its
/// size after alignment.</summary>
internal readonly record struct PlacedInterval(object Key, long Offset, long Size, int FirstUse, int LastUse);

/// <summary>The result of <see cref="MemoryPlanner.PlanIntervals"/>: one placement per interval, in the order given.</summary>
internal sealed class IntervalPlan
{
    internal IntervalPlan(IReadOnlyList<PlacedInterval> placed, long peakBytes)
    {
        Placed = placed;
        PeakBytes = peakBytes;
        var offsets = new Dictionary<object, long>(placed.Count, ReferenceEqualityComparer.Instance);
        foreach (var p in placed)
            offsets[p.Key] = p.Offset;
        Offsets = offsets;
    }

    /// <summary>One entry per input interval, in input order.</summary>
    public IReadOnlyList<PlacedInterval> Placed { get; }
    /// <summary>Offset of each key (by reference).</summary>
    public IReadOnlyDictionary<object, long> Offsets { get; }
    /// <summary>Size of the buffer in bytes (the highest end of any placement; 0 when there is none).</summary>
    public long PeakBytes { get; }
}

/// <summary>
/// The one liveness planner every backend uses: places buffers in one arena so that buffers alive at the same time
/// never overlap and the others may share memory. Greedy: each buffer in turn is placed at the lowest aligned offset
/// that does not collide with an already placed buffer alive at the same time; the turn order is tried twice —
/// largest first (TFLite's arena planner) and by first use — and the smaller peak is kept.
/// <para><see cref="Plan(ModelGraph)"/> is the host arena plan: every run-time value (graph inputs, node outputs; not
/// constants) gets an offset. A value is alive from the node that produces it (graph inputs: before the first node)
/// to the last node that reads it (graph outputs: to the end). A node's output never shares memory with its inputs
/// (both are alive at that node). Backends that keep their own device buffers (ILGPU, Vulkan) describe their buffers
/// as <see cref="LiveInterval"/>s and call <see cref="PlanIntervals"/>.</para>
/// </summary>
internal static class MemoryPlanner
{
    /// <summary>Alignment of the host arena, in bytes.</summary>
    public const int Alignment = 64;

    public static long Align(long bytes) => Align(bytes, Alignment);

    public static long Align(long bytes, long alignment) => (bytes + alignment - 1) / alignment * alignment;

    /// <summary>Places <paramref name="intervals"/> (keys distinct by reference) in one buffer.</summary>
    public static IntervalPlan PlanIntervals(IReadOnlyList<LiveInterval> intervals)
    {
        ArgumentNullException.ThrowIfNull(intervals);
        var keys = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var t in intervals)
        {
            if (t.Key is null)
                throw new ArgumentException("an interval has no key", nameof(intervals));
            if (!keys.Add(t.Key))
                throw new ArgumentException($"key '{t.Key}' is planned twice", nameof(intervals));
            if (t.SizeInBytes < 0 || t.Alignment <= 0 || t.LastUse < t.FirstUse)
                throw new ArgumentException($"interval of '{t.Key}' is invalid: {t.SizeInBytes} bytes, alignment {t.Alignment}, uses {t.FirstUse}..{t.LastUse}", nameof(intervals));
        }

        var sized = intervals.Select((t, index) => (Index: index, Size: Align(Math.Max(t.SizeInBytes, 1), t.Alignment))).ToList();
        // Two greedy orders; the smaller peak wins (ties: largest first). Largest first suits graphs whose big buffers
        // overlap little (MobileNetV2's expanded tensors); first use suits ping-pong chains (MobileNetV1).
        var bySize = Place(intervals, sized.OrderByDescending(t => t.Size).ThenBy(t => t.Index));
        var byFirstUse = Place(intervals, sized.OrderBy(t => intervals[t.Index].FirstUse).ThenByDescending(t => t.Size).ThenBy(t => t.Index));
        return byFirstUse.PeakBytes < bySize.PeakBytes ? byFirstUse : bySize;
    }

    private static IntervalPlan Place(IReadOnlyList<LiveInterval> intervals, IEnumerable<(int Index, long Size)> order)
    {
        var result = new PlacedInterval[intervals.Count];
        var placed = new List<PlacedInterval>(intervals.Count);
        long peak = 0;
        foreach (var (index, size) in order)
        {
            var t = intervals[index];
            int a = t.FirstUse, b = t.LastUse;
            // Placed buffers alive at the same time, by offset.
            var busy = placed.Where(p => p.FirstUse <= b && a <= p.LastUse).OrderBy(p => p.Offset).ToList();
            long offset = 0;
            foreach (var p in busy)
            {
                if (offset + size <= p.Offset)
                    break;
                offset = Align(Math.Max(offset, p.Offset + p.Size), t.Alignment);
            }
            var slot = new PlacedInterval(t.Key, offset, size, a, b);
            placed.Add(slot);
            result[index] = slot;
            peak = Math.Max(peak, offset + size);
        }
        return new IntervalPlan(result, peak);
    }

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

        var plan = PlanIntervals(order.Select(v => new LiveInterval(v, v.SizeInBytes, first[v], last[v])).ToList());
        var slots = plan.Placed.Select(p => new ArenaSlot((Value)p.Key, p.Offset, p.Size, p.FirstUse, p.LastUse)).ToList();
        slots.Sort((x, y) => x.FirstNode != y.FirstNode ? x.FirstNode.CompareTo(y.FirstNode) : x.Offset.CompareTo(y.Offset));
        return new MemoryPlan(slots, plan.PeakBytes);
    }
}
