using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>ARG_MAX of a float32 tensor, in C#: the first maximum along the axis wins; int32 or int64 indices.
/// <see cref="Run{T}"/> is shared with the quantized step (which compares the integers).</summary>
internal sealed class ArgMaxStep : NativeStep
{
    private readonly ArgMaxNode _n;

    public static NativeStepFactory? Plan(ArgMaxNode n, out string reason)
    {
        reason = "";
        if (n.Input.DataType != DataType.Float32 || n.Output.DataType is not (DataType.Int32 or DataType.Int64))
        {
            reason = $"argmax of {n.Input.DataType} to {n.Output.DataType}; float32 to int32/int64 expected";
            return null;
        }
        return _ => new ArgMaxStep(n);
    }

    private ArgMaxStep(ArgMaxNode n) => _n = n;

    public override void Run(IArena arena) => Run(_n, arena, arena.Span<float>(_n.Input));

    /// <summary>Writes the indices of <paramref name="x"/> (the node's input, any comparable element type) to the
    /// node's output in the arena.</summary>
    internal static void Run<T>(ArgMaxNode n, IArena arena, ReadOnlySpan<T> x) where T : unmanaged, IComparable<T>
    {
        int[] s = n.Input.Shape;
        int len = s[n.Axis];
        long inner = 1, outer = 1;
        for (int d = n.Axis + 1; d < s.Length; d++)
            inner *= s[d];
        for (int d = 0; d < n.Axis; d++)
            outer *= s[d];
        bool wide = n.Output.DataType == DataType.Int64;
        Span<long> y64 = wide ? arena.Span<long>(n.Output) : default;
        Span<int> y32 = wide ? default : arena.Span<int>(n.Output);
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                long start = o * len * inner + i;
                T best = x[(int)start];
                int arg = 0;
                for (int k = 1; k < len; k++)
                {
                    T v = x[(int)(start + k * inner)];
                    if (v.CompareTo(best) > 0) // strictly greater: the first maximum wins
                    {
                        best = v;
                        arg = k;
                    }
                }
                long at = o * inner + i;
                if (wide)
                    y64[(int)at] = arg;
                else
                    y32[(int)at] = arg;
            }
    }
}
