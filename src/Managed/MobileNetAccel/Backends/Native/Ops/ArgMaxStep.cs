using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>ARG_MAX/ARG_MIN of a float32 tensor: the first maximum (minimum) along the axis wins, TFLite's rule (an
/// element replaces the best so far only when strictly greater (less): -0 = +0, a NaN never replaces the best, a NaN
/// first element is the answer — the reference backend's and the GPU kernels' rule too); int32 or int64 indices. The
/// innermost axis in native code (mna_argmax_f32, the same rule), another in C# with <see cref="Run{T}"/>, which the
/// quantized step shares.</summary>
internal sealed class ArgMaxStep : NativeStep
{
    private readonly ArgMaxNode _n;

    public static NativeStepFactory? Plan(ArgMaxNode n, out string reason)
    {
        reason = "";
        if (n.Input.DataType != DataType.Float32 || n.Output.DataType is not (DataType.Int32 or DataType.Int64))
        {
            reason = $"{n.OpName} of {n.Input.DataType} to {n.Output.DataType}; float32 to int32/int64 expected";
            return null;
        }
        return ctx => new ArgMaxStep(n, ctx.Pool);
    }

    private readonly NativeThreadPool? _pool;

    private ArgMaxStep(ArgMaxNode n, NativeThreadPool? pool) => (_n, _pool) = (n, pool);

    public override void Run(IArena arena)
    {
        if (_n.Axis == _n.Input.Shape.Length - 1)
            NativeResizeKernels.ArgMax(arena.Span<float>(_n.Input), _n.Input.Shape[^1], _n.Min, _n.Output.DataType == DataType.Int64,
                arena.Span<byte>(_n.Output), _pool);
        else
            Run(_n, arena, arena.Span<float>(_n.Input));
    }

    private static bool IsNaN<T>(T v) => typeof(T) == typeof(float) && float.IsNaN(System.Runtime.CompilerServices.Unsafe.As<T, float>(ref v));

    /// <summary>Writes the indices of <paramref name="x"/> (the node's input, any comparable element type) to the
    /// node's output in the arena.</summary>
    internal static void Run<T>(ArgMaxNode n, IArena arena, ReadOnlySpan<T> x) where T : unmanaged, IComparable<T>
    {
        var (outer, len, inner) = n.Blocks();
        bool wide = n.Output.DataType == DataType.Int64;
        int sign = n.Min ? -1 : 1; // the argmin: the first element that compares below the best so far
        Span<long> y64 = wide ? arena.Span<long>(n.Output) : default;
        Span<int> y32 = wide ? default : arena.Span<int>(n.Output);
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                long start = o * len * inner + i;
                T best = x[(int)start];
                int arg = 0;
                for (int k = IsNaN(best) ? len : 1; k < len; k++) // a NaN first element stays the answer
                {
                    T v = x[(int)(start + k * inner)];
                    if (!IsNaN(v) && sign * v.CompareTo(best) > 0) // strictly: the first maximum (minimum) wins
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
