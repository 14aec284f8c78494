using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Execution;

/// <summary>A planned allocation does not fit: a tensor with more elements than one buffer can hold, or a session
/// whose arena and packed weights exceed <see cref="SessionOptions.MemoryLimitBytes"/>. Raised before the memory is
/// allocated; the message names the tensor, its shape and the bytes.</summary>
public sealed class MemoryLimitException : Exception
{
    public MemoryLimitException(string message, string tensor, int[] shape, long bytes, long limitBytes) : base(message)
    {
        Tensor = tensor;
        Shape = shape;
        Bytes = bytes;
        LimitBytes = limitBytes;
    }

    /// <summary>The tensor named by the message (the largest one when the sum is what does not fit).</summary>
    public string Tensor { get; }
    public int[] Shape { get; }
    /// <summary>Bytes asked for (the tensor's, or the session's total).</summary>
    public long Bytes { get; }
    /// <summary>The limit it was checked against.</summary>
    public long LimitBytes { get; }
}

/// <summary>
/// Checks planned allocations before they are made: every run-time tensor's element count (overflow-free, and at most
/// <see cref="int.MaxValue"/> elements: one span must hold it) and a session's total — the activation arena plus the
/// weights packed once for the kernels — against a limit (<see cref="SessionOptions.MemoryLimitBytes"/>; by default
/// <see cref="DefaultLimitBytes"/>).
/// </summary>
internal static class MemoryBudget
{
    /// <summary>Share of the memory available to the process used as the default limit.</summary>
    public const double DefaultShare = 0.75;

    /// <summary>The memory available to this process — physical memory, or the cgroup/container limit when there is
    /// one (what the GC reports as <see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>).</summary>
    public static long AvailableBytes => AvailableBytesOverride ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Tests: pretend the process has this much memory (null: what the GC reports).</summary>
    internal static long? AvailableBytesOverride { get; set; }

    /// <summary>Default session limit: <see cref="DefaultShare"/> of <see cref="AvailableBytes"/>.</summary>
    public static long DefaultLimitBytes => (long)(AvailableBytes * DefaultShare);

    /// <summary>Elements of <paramref name="shape"/>, or -1 when the product overflows a long.</summary>
    public static long ElementCount(int[] shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0)
                return -1;
            if (d != 0 && n > long.MaxValue / d)
                return -1;
            n *= d;
        }
        return n;
    }

    /// <summary>Every run-time value (inputs and node outputs) of a shape-inferred graph must have an element count
    /// that neither overflows nor exceeds <see cref="int.MaxValue"/>.</summary>
    public static void CheckShapes(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        foreach (var v in graph.Values())
        {
            if (v.IsConstant)
                continue;
            long n = ElementCount(v.Shape);
            int size = v.DataType.SizeInBytes();
            if (n < 0 || n > int.MaxValue)
            {
                string count = n < 0 ? "more than 2^63" : n.ToString();
                string bytes = n < 0 || n > long.MaxValue / size ? "more than 2^63" : (n * size).ToString();
                string where = v.Producer is { } p ? $"output of node '{p.Name}' ({p.Op})" : "graph input";
                throw new MemoryLimitException(
                    $"tensor '{v.Name}' ({where}) {Value.FormatShape(v.Shape)} {v.DataType} has {count} elements ({bytes} bytes); at most {int.MaxValue} elements fit one buffer — use a smaller batch or input size",
                    v.Name, v.Shape, n < 0 ? long.MaxValue : n * size, (long)int.MaxValue * size);
            }
        }
    }

    /// <summary>Bytes of constant data the backends pack once (counted as one more copy of the weights).</summary>
    public static long PackedWeightBytes(ModelGraph graph) => graph.Values().Where(v => v.IsConstant).Sum(v => (long)v.Data!.Length);

    /// <summary>The session's planned memory (arena + packed weights) must not exceed <paramref name="limitBytes"/>
    /// (≤ 0: no check).</summary>
    public static void Check(MemoryPlan plan, long packedWeightBytes, long limitBytes, string limitSource)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (limitBytes <= 0)
            return;
        long total = plan.PeakBytes + packedWeightBytes;
        if (total <= limitBytes)
            return;
        var largest = plan.Slots.OrderByDescending(s => s.Size).FirstOrDefault();
        string tensor = largest.Value?.Name ?? "(none)";
        int[] shape = largest.Value?.Shape ?? Array.Empty<int>();
        string detail = largest.Value is null ? "" :
            $"; the largest tensor is '{tensor}' {Value.FormatShape(shape)} {largest.Value.DataType}, {largest.Size} bytes";
        throw new MemoryLimitException(
            $"the session needs {total} bytes ({Mib(total)}: an activation arena of {plan.PeakBytes} bytes for {plan.Slots.Count} tensors{detail}; packed weights {packedWeightBytes} bytes), more than {limitSource} = {limitBytes} bytes ({Mib(limitBytes)}) — use a smaller batch or input size, or raise the limit",
            tensor, shape, total, limitBytes);
    }

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024.0):F1} MiB";
}
