using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;
using ILGPU.Runtime;

namespace MobileNetAccel.Ilgpu.Kernels;

/// <summary>Element-wise kernels, softmax and pad.</summary>
public static class ElementwiseKernels
{
    public const int SoftmaxThreads = 64;

    /// <summary>y = act(a + b), same shapes.</summary>
    public static void Add<TAct>(Index1D index, int total, int launched, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y)
        where TAct : struct, IActivation
    {
        for (int i = index; i < total; i += launched)
            y[i] = default(TAct).Apply(a[i] + b[i]);
    }

    /// <summary>y = min(max(x, lo), hi) (ReLU, ReLU6, Clip; lo = -inf, hi = inf is a copy).</summary>
    public static void Clip(Index1D index, int total, int launched, ArrayView<float> x, ArrayView<float> y, float lo, float hi)
    {
        for (int i = index; i < total; i += launched)
        {
            float v = x[i];
            y[i] = v < lo ? lo : (v > hi ? hi : v);
        }
    }

    /// <summary>Axis permutation, one thread per output element (e.g. the NCHW→NHWC layout change of ONNX models).</summary>
    public static void Transpose(Index1D index, int total, int launched, ArrayView<float> x, ArrayView<float> y, TransposeShape s)
    {
        for (int i = index; i < total; i += launched)
        {
            int d3 = i % s.D3;
            int t = i / s.D3;
            int d2 = t % s.D2;
            t /= s.D2;
            int d1 = t % s.D1;
            int d0 = t / s.D1;
            y[i] = x[d0 * s.S0 + d1 * s.S1 + d2 * s.S2 + d3 * s.S3];
        }
    }

    /// <summary>Dequantize uint8 (signed = 0) or int8 (signed = 1) to float32: y = scale·(q - zeroPoint).</summary>
    public static void Dequantize(Index1D index, int total, int launched, ArrayView<byte> x, ArrayView<float> y, float scale, int zeroPoint, int signed)
    {
        for (int i = index; i < total; i += launched)
        {
            int q = x[i];
            if (signed != 0 && q > 127)
                q -= 256;
            y[i] = scale * (q - zeroPoint);
        }
    }

    /// <summary>Inference batch norm folded to a per-channel affine map: y = x·scale[c] + shift[c].</summary>
    public static void ChannelAffine(Index1D index, int total, int launched, ArrayView<float> x, ArrayView<float> scale, ArrayView<float> shift,
        ArrayView<float> y, int channels)
    {
        for (int i = index; i < total; i += launched)
        {
            int c = i % channels;
            y[i] = x[i] * scale[c] + shift[c];
        }
    }

    /// <summary>Rank-4 constant pad, one thread per output element.</summary>
    public static void Pad(Index1D index, int total, int launched, ArrayView<float> x, ArrayView<float> y, PadShape s)
    {
        for (int i = index; i < total; i += launched)
            PadOne(i, x, y, s);
    }

    private static void PadOne(int i, ArrayView<float> x, ArrayView<float> y, PadShape s)
    {
        int d3 = i % s.OutD3;
        int t = i / s.OutD3;
        int d2 = t % s.OutD2;
        t /= s.OutD2;
        int d1 = t % s.OutD1;
        int d0 = t / s.OutD1;
        int i0 = d0 - s.Before0, i1 = d1 - s.Before1, i2 = d2 - s.Before2, i3 = d3 - s.Before3;
        if (i0 < 0 || i0 >= s.InD0 || i1 < 0 || i1 >= s.InD1 || i2 < 0 || i2 >= s.InD2 || i3 < 0 || i3 >= s.InD3)
            y[i] = s.Value;
        else
            y[i] = x[(((long)i0 * s.InD1 + i1) * s.InD2 + i2) * s.InD3 + i3];
    }

    /// <summary>groupSize: a power of two ≤ <see cref="SoftmaxThreads"/>.</summary>
    public static KernelConfig SoftmaxConfig(int rows, int groupSize, int maxGroups) =>
        new(new Index1D(Math.Min(rows, maxGroups)), new Index1D(groupSize));

    /// <summary>Softmax over rows of length <paramref name="cols"/>: one group (up to 64 threads) per row; each thread
    /// folds a strided slice of the row, the group's max and sum are ILGPU.Algorithms' group all-reductions
    /// (<see cref="GroupExtensions.AllReduce{T, TReduction}"/> with <see cref="MaxFloat"/> and <see cref="AddFloat"/>:
    /// warp shuffles on CUDA, shared memory elsewhere). y = exp(beta·(x - max)) / Σ.</summary>
    public static void Softmax(ArrayView<float> x, ArrayView<float> y, int rows, int cols, float beta)
    {
        for (int row = Grid.IdxX; row < rows; row += Grid.DimX)
            SoftmaxRow(x, y, row, cols, beta);
    }

    private static void SoftmaxRow(ArrayView<float> x, ArrayView<float> y, int row, int cols, float beta)
    {
        int tid = Group.IdxX;
        long b = (long)row * cols;
        float m = float.NegativeInfinity;
        for (int j = tid; j < cols; j += Group.DimX)
            m = MathF.Max(m, x[b + j]);
        float max = GroupExtensions.AllReduce<float, MaxFloat>(m);
        float sum = 0f;
        for (int j = tid; j < cols; j += Group.DimX)
        {
            float e = MathF.Exp(beta * (x[b + j] - max));
            y[b + j] = e;
            sum += e;
        }
        float inv = 1f / GroupExtensions.AllReduce<float, AddFloat>(sum);
        for (int j = tid; j < cols; j += Group.DimX)
            y[b + j] *= inv;
        Group.Barrier();
    }
}
