using System.Numerics;
using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>
/// Unfolded inference batch norm, y = x·s + t per channel with s = γ/√(σ²+ε), t = β − μ·s precomputed at compile time.
/// There is no C kernel for it (the optimiser folds batch norm into the convolution); this step is a vectorised
/// managed loop so that graphs run with <c>Optimize = false</c> on the cpu backend too.
/// </summary>
internal sealed class BatchNormStep : NativeStep
{
    private readonly Value _input, _output;
    private readonly float[] _scale, _shift;

    public static NativeStepFactory? Plan(BatchNormNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason) || !NativeOps.Constants(out reason, n.Scale, n.Offset, n.Mean, n.Variance))
            return null;
        return _ => new BatchNormStep(n);
    }

    private BatchNormStep(BatchNormNode n)
    {
        _input = n.Input;
        _output = n.Output;
        (_scale, _shift) = BatchNormAffine.Compute(n);
    }

    public override void Run(IArena arena)
    {
        var x = arena.Span<float>(_input);
        var y = arena.Span<float>(_output);
        int c = _scale.Length;
        for (int row = 0; row < x.Length; row += c)
        {
            var xr = x.Slice(row, c);
            var yr = y.Slice(row, c);
            int i = 0;
            if (Vector.IsHardwareAccelerated)
                for (; i + Vector<float>.Count <= c; i += Vector<float>.Count)
                    (new Vector<float>(xr[i..]) * new Vector<float>(_scale, i) + new Vector<float>(_shift, i)).CopyTo(yr[i..]);
            for (; i < c; i++)
                yr[i] = xr[i] * _scale[i] + _shift[i];
        }
    }
}
