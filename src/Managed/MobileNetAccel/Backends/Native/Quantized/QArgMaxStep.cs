using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Native.Ops;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Quantized;

/// <summary>ARG_MAX/ARG_MIN of a uint8/int8 tensor: the integers are compared (a positive scale keeps the order of the
/// real values), the first maximum (minimum) wins; int32 or int64 indices. The argmax over the innermost axis in native
/// code (mna_argmax_q8), the argmin and other axes with <see cref="ArgMaxStep.Run{T}"/>.</summary>
internal sealed class QArgMaxStep : QuantizedStep
{
    private readonly ArgMaxNode _n;

    public static QuantizedStepFactory? Plan(ArgMaxNode n, out string reason)
    {
        if (!Q.PerTensor(n.Input, out reason))
            return null;
        if (n.Output.DataType is not (DataType.Int32 or DataType.Int64))
        {
            reason = $"{n.OpName} output {n.Output.DataType}; int32 or int64 expected";
            return null;
        }
        return pool => new QArgMaxStep(n, pool);
    }

    private readonly NativeThreadPool? _pool;

    private QArgMaxStep(ArgMaxNode n, NativeThreadPool? pool) => (_n, _pool) = (n, pool);

    public override void Run(IArena arena)
    {
        // the innermost axis (DeepLab's classes): the native SIMD pass; another axis: the managed loop
        if (!_n.Min && _n.Axis == _n.Input.Shape.Length - 1)
        {
            NativeResizeKernels.ArgMax(arena.Span<byte>(_n.Input), _n.Input.Shape[^1], _n.Input.DataType == DataType.Int8,
                _n.Output.DataType == DataType.Int64, arena.Span<byte>(_n.Output), _pool);
            return;
        }
        if (_n.Input.DataType == DataType.Int8)
            ArgMaxStep.Run<sbyte>(_n, arena, arena.Span<sbyte>(_n.Input));
        else
            ArgMaxStep.Run<byte>(_n, arena, arena.Span<byte>(_n.Input));
    }
}
