using ILGPU;
using ILGPU.Runtime;

namespace MobileNetAccel.Ilgpu.Kernels;

/// <summary>Geometry of the tiled GEMM: T x T threads per group, each computing a 4x4 register block, so a group
/// computes a (4T) x (4T) tile of C; K is walked in slices of <see cref="TileK"/> staged through shared memory.
/// (4T)·TileK must not exceed <see cref="GemmKernels.SharedFloats"/>.</summary>
public readonly record struct GemmGeometry(int Threads, int TileK)
{
    public int Tile => 4 * Threads;

    /// <summary>GPUs: 8x8 threads, 32x32 tiles, K slices of 16.</summary>
    public static readonly GemmGeometry Gpu = new(8, 16);

    /// <summary>ILGPU's CPU accelerator runs every group thread on an OS thread and a barrier costs a round of
    /// context switches, so there: 2x2 threads, 8x8 tiles, K slices of 64 (4x fewer barriers).</summary>
    public static readonly GemmGeometry Cpu = new(2, 64);
}

/// <summary>
/// Pointwise (1x1) convolution and fully connected as one tiled GEMM: C[M,N] = act(A[M,K]·B[K,N] + bias) (+ R).
/// For a 1x1 convolution over NHWC, A is the input viewed as [N·H·W, Cin] and B the weights packed [Cin, Cout];
/// for a fully connected layer, A is [batch, K] and B the weights packed [K, M].
/// A group of T x T threads computes a 4T x 4T tile of C; each thread a 4x4 register block (rows ty+T·i, columns
/// tx+T·j, so stores of neighbouring threads are contiguous). K is walked in slices staged through shared memory
/// (the A slice stored transposed [k][m], the B slice [k][n]), so each global element is read once per tile.
/// T and the slice depth are specialised values (see <see cref="GemmGeometry"/>); groups walk tiles grid-stride.
/// </summary>
public static class GemmKernels
{
    /// <summary>Shared memory per operand slice, in floats.</summary>
    public const int SharedFloats = 512;

    /// <summary>One group per tile of C, at most <paramref name="maxGroups"/> groups (a group then walks several tiles).</summary>
    public static KernelConfig Config(int m, int n, GemmGeometry g, int maxGroups) =>
        new(new Index2D(Math.Min(Tiles(m, n, g), maxGroups), 1), new Index2D(g.Threads, g.Threads));

    public static int Tiles(int m, int n, GemmGeometry g) => ((m + g.Tile - 1) / g.Tile) * ((n + g.Tile - 1) / g.Tile);

    public static void Gemm<TAct>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, ArrayView<float> r,
        ArrayView<float> c, GemmShape s, SpecializedValue<int> threads, SpecializedValue<int> tileK) where TAct : struct, IActivation
    {
        var sa = SharedMemory.Allocate<float>(SharedFloats);
        var sb = SharedMemory.Allocate<float>(SharedFloats);
        int t = threads, tk = tileK;
        int tile = 4 * t;
        int tilesM = (s.M + tile - 1) / tile;
        int tiles = tilesM * ((s.N + tile - 1) / tile);
        for (int item = Grid.IdxX; item < tiles; item += Grid.DimX)
            GemmTile<TAct>(a, b, bias, r, c, s, sa, sb, t, tk, item % tilesM * tile, item / tilesM * tile);
    }

    private static void GemmTile<TAct>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, ArrayView<float> r,
        ArrayView<float> c, GemmShape s, ArrayView<float> sa, ArrayView<float> sb, int t, int tk, int row0, int col0)
        where TAct : struct, IActivation
    {
        int tx = Group.IdxX, ty = Group.IdxY;
        int tid = ty * t + tx;
        int tile = 4 * t, groupSize = t * t;
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0;
        float c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0;
        float c30 = 0, c31 = 0, c32 = 0, c33 = 0;

        for (int k0 = 0; k0 < s.K; k0 += tk)
        {
            for (int e = tid; e < tk * tile; e += groupSize)
            {
                int m = e / tk, k = e % tk;
                int gr = row0 + m, gk = k0 + k;
                sa[k * tile + m] = gr < s.M && gk < s.K ? a[(long)gr * s.K + gk] : 0f;
            }
            for (int e = tid; e < tk * tile; e += groupSize)
            {
                int k = e / tile, nn = e % tile;
                int gk = k0 + k, gc = col0 + nn;
                sb[k * tile + nn] = gk < s.K && gc < s.N ? b[(long)gk * s.N + gc] : 0f;
            }
            Group.Barrier();
            for (int k = 0; k < tk; k++)
            {
                int ka = k * tile;
                float a0 = sa[ka + ty], a1 = sa[ka + ty + t], a2 = sa[ka + ty + 2 * t], a3 = sa[ka + ty + 3 * t];
                float b0 = sb[ka + tx], b1 = sb[ka + tx + t], b2 = sb[ka + tx + 2 * t], b3 = sb[ka + tx + 3 * t];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }

        Store<TAct>(bias, r, c, s, t, row0 + ty, col0 + tx, c00, c01, c02, c03);
        Store<TAct>(bias, r, c, s, t, row0 + ty + t, col0 + tx, c10, c11, c12, c13);
        Store<TAct>(bias, r, c, s, t, row0 + ty + 2 * t, col0 + tx, c20, c21, c22, c23);
        Store<TAct>(bias, r, c, s, t, row0 + ty + 3 * t, col0 + tx, c30, c31, c32, c33);
    }

    private static void Store<TAct>(ArrayView<float> bias, ArrayView<float> r, ArrayView<float> c, GemmShape s, int t, int row, int col,
        float v0, float v1, float v2, float v3) where TAct : struct, IActivation
    {
        if (row >= s.M)
            return;
        long rb = (long)row * s.N;
        Store1<TAct>(bias, r, c, s, rb, col, v0);
        Store1<TAct>(bias, r, c, s, rb, col + t, v1);
        Store1<TAct>(bias, r, c, s, rb, col + 2 * t, v2);
        Store1<TAct>(bias, r, c, s, rb, col + 3 * t, v3);
    }

    private static void Store1<TAct>(ArrayView<float> bias, ArrayView<float> r, ArrayView<float> c, GemmShape s, long rowBase, int col, float v)
        where TAct : struct, IActivation
    {
        if (col >= s.N)
            return;
        float o = default(TAct).Apply(v + bias[col]);
        if (s.Residual != 0)
            o += r[rowBase + col];
        c[rowBase + col] = o;
    }
}
