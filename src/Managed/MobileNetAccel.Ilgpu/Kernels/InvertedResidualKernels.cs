using ILGPU;
using ILGPU.Runtime;

namespace MobileNetAccel.Ilgpu.Kernels;

/// <summary>
/// The expand 1x1 + depthwise 3x3 half of the inverted-residual block, fused: a group of 64 threads computes an 8x8
/// tile of depthwise outputs for 32 hidden channels. It first computes the expanded activations of the input patch
/// the tile needs ((8-1)·stride+3 squared pixels x 32 channels) straight into shared memory, then the depthwise 3x3
/// from there. The 6x-wide expanded tensor is never written to global memory; only the depthwise output (which has
/// stride² fewer pixels) is, and the tiled GEMM then projects it (adding the residual in its epilogue).
/// The stride is a specialised value.
/// </summary>
public static class InvertedResidualKernels
{
    public const int OutTile = 8;
    public const int HiddenChunk = 32;
    /// <summary>Threads per group on GPUs (any group size works: loops stride by the group size).</summary>
    public const int Threads = 64;
    private const int MaxPatch = (OutTile - 1) * 2 + 3;

    public static int Work(in ExpandDepthwiseShape s) => s.N * s.TilesX * s.TilesY * ((s.Hidden + HiddenChunk - 1) / HiddenChunk);

    /// <summary>One group per (image, 8x8 tile, 32-channel chunk), at most <paramref name="maxGroups"/> (then a group walks several).</summary>
    public static KernelConfig Config(in ExpandDepthwiseShape s, int groupSize, int maxGroups) =>
        new(new Index1D(Math.Min(Work(s), maxGroups)), new Index1D(groupSize));

    /// <summary>x NHWC [N,H,W,Cin]; we [Cin,Hidden]; be [Hidden]; wd [3,3,Hidden]; bd [Hidden]; y [N,OH,OW,Hidden].</summary>
    public static void ExpandDepthwise<TExpand, TDepthwise>(ArrayView<float> x, ArrayView<float> we, ArrayView<float> be,
        ArrayView<float> wd, ArrayView<float> bd, ArrayView<float> y, ExpandDepthwiseShape s, SpecializedValue<int> strideValue)
        where TExpand : struct, IActivation where TDepthwise : struct, IActivation
    {
        var patch = SharedMemory.Allocate<float>(MaxPatch * MaxPatch * HiddenChunk);
        int stride = strideValue;
        int tilesPerImage = s.TilesX * s.TilesY;
        int work = s.N * tilesPerImage * ((s.Hidden + HiddenChunk - 1) / HiddenChunk);
        for (int item = Grid.IdxX; item < work; item += Grid.DimX)
        {
            int tile = item % (s.N * tilesPerImage);
            ExpandDepthwiseTile<TExpand, TDepthwise>(x, we, be, wd, bd, y, s, stride, patch, tile / tilesPerImage, tile % tilesPerImage,
                item / (s.N * tilesPerImage) * HiddenChunk);
        }
    }

    private static void ExpandDepthwiseTile<TExpand, TDepthwise>(ArrayView<float> x, ArrayView<float> we, ArrayView<float> be,
        ArrayView<float> wd, ArrayView<float> bd, ArrayView<float> y, ExpandDepthwiseShape s, int stride, ArrayView<float> patch, int n, int t, int c0)
        where TExpand : struct, IActivation where TDepthwise : struct, IActivation
    {
        int patchSize = (OutTile - 1) * stride + 3;
        int oy0 = t / s.TilesX * OutTile, ox0 = t % s.TilesX * OutTile;
        int iy0 = oy0 * stride - s.PadTop, ix0 = ox0 * stride - s.PadLeft;

        for (int e = Group.IdxX; e < patchSize * patchSize * HiddenChunk; e += Group.DimX)
        {
            int p = e / HiddenChunk, c = e % HiddenChunk;
            int iy = iy0 + p / patchSize, ix = ix0 + p % patchSize;
            int hc = c0 + c;
            float v = 0f;
            if (iy >= 0 && iy < s.InH && ix >= 0 && ix < s.InW && hc < s.Hidden)
            {
                float acc = be[hc];
                long xb = (((long)n * s.InH + iy) * s.InW + ix) * s.InC;
                for (int k = 0; k < s.InC; k++)
                    acc += x[xb + k] * we[(long)k * s.Hidden + hc];
                v = default(TExpand).Apply(acc);
            }
            patch[p * HiddenChunk + c] = v;
        }
        Group.Barrier();

        for (int e = Group.IdxX; e < OutTile * OutTile * HiddenChunk; e += Group.DimX)
        {
            int o = e / HiddenChunk, c = e % HiddenChunk;
            int ty = o / OutTile, tx = o % OutTile;
            int oy = oy0 + ty, ox = ox0 + tx;
            int hc = c0 + c;
            if (oy < s.OutH && ox < s.OutW && hc < s.Hidden)
            {
                float acc = bd[hc];
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++)
                        acc += patch[((ty * stride + ky) * patchSize + tx * stride + kx) * HiddenChunk + c] * wd[(ky * 3 + kx) * s.Hidden + hc];
                y[(((long)n * s.OutH + oy) * s.OutW + ox) * s.Hidden + hc] = default(TDepthwise).Apply(acc);
            }
        }
        Group.Barrier();
    }
}
