using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference.Ops;

/// <summary>
/// ARG_MAX (ARG_MIN) by TFLite's definition: along the axis, the index of the largest (smallest) element, the first one
/// on ties (an element replaces the best so far only when strictly greater (less), so a NaN never wins after the first
/// element, and a NaN first element is never replaced). Float32
/// inputs compare as floats, uint8/int8 as their integers (a positive scale keeps the order); int32 or int64 indices.
/// </summary>
internal sealed class RefArgMax : ReferenceStep
{
    private readonly ArgMaxNode _n;

    public static ReferenceStepFactory? Plan(ArgMaxNode n, out string reason)
    {
        if (n.Input.DataType is not (DataType.Float32 or DataType.UInt8 or DataType.Int8))
        {
            reason = $"'{n.Input.Name}' is {n.Input.DataType}; the reference {n.OpName} reads float32, uint8 or int8";
            return null;
        }
        if (n.Output.DataType is not (DataType.Int32 or DataType.Int64))
        {
            reason = $"'{n.Output.Name}' is {n.Output.DataType}; the reference {n.OpName} writes int32 or int64";
            return null;
        }
        reason = "";
        return () => new RefArgMax(n);
    }

    private RefArgMax(ArgMaxNode n) => _n = n;

    public override void Run(IArena arena)
    {
        // every input type is read as double: exact for float32 and the 8-bit integers
        double[] x = _n.Input.DataType switch
        {
            DataType.Float32 => Array.ConvertAll(arena.Span<float>(_n.Input).ToArray(), v => (double)v),
            DataType.UInt8 => Array.ConvertAll(arena.Span<byte>(_n.Input).ToArray(), v => (double)v),
            _ => Array.ConvertAll(arena.Span<sbyte>(_n.Input).ToArray(), v => (double)v),
        };
        int[] s = _n.Input.Shape;
        int axis = _n.Axis, len = s[axis];
        long outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= s[d];
        for (int d = axis + 1; d < s.Length; d++) inner *= s[d];
        var indices = new long[outer * inner];
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                int best = 0;
                for (int k = 1; k < len; k++)
                {
                    double v = x[(o * len + k) * inner + i], b = x[(o * len + best) * inner + i];
                    if (_n.Min ? v < b : v > b)
                        best = k;
                }
                indices[o * inner + i] = best;
            }
        if (_n.Output.DataType == DataType.Int64)
            indices.CopyTo(arena.Span<long>(_n.Output));
        else
        {
            var y = arena.Span<int>(_n.Output);
            for (int j = 0; j < indices.Length; j++)
                y[j] = (int)indices[j];
        }
    }
}
