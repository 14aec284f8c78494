namespace MobileNetAccel.Backends;

/// <summary>
/// Optional for a compiled partition: run once while timing each node. A partition that does not implement it is
/// profiled as a whole (its nodes share one row of the profile).
/// </summary>
public interface IProfiledPartition : ICompiledPartition
{
    /// <summary>Like <see cref="ICompiledPartition.Run"/>; writes each node's elapsed <see cref="System.Diagnostics.Stopwatch"/>
    /// ticks, in the partition's node order, to <paramref name="nodeTicks"/> (one entry per node).</summary>
    void RunProfiled(IArena arena, Span<long> nodeTicks);
}
