using ILGPU;
using ILGPU.Runtime;

namespace MobileNetAccel.Kernels.Gpu.Kernels;

/// <summary>
/// Pointwise (1x1) convolution and fully connected as one tiled GEMM: C[M,N] = act(A[M,K]·B[K,N] + bias) (+ R).
/// For a 1x1 convolution over NHWC, A is the input viewed as [N·H·W, Cin] and B the weights packed [Cin, Cout];
/// for a fully connected layer, A is [batch, K] and B the weights packed [K, M].
/// A group of 8x8 threads computes a 32x32 tile of C; each thread a 4x4 register block (rows ty+8i, columns tx+8j so
/// stores of neighbouring threads are contiguous). K is walked in slices of 16 staged through shared memory
/// (A slice stored transposed [k][m], B slice [k][n]), so every global element is read once per tile.
/// </summary>
public static class GemmKernels
{
    public const int Tile = 32;
    public const int TileK = 16;
    public const int Threads = 8;

    /// <summary>Launch configuration: grid X over row tiles, Y over column tiles.</summary>
    public static KernelConfig Config(int m, int n) =>
        new(new Index2D((m + Tile - 1) / Tile, (n + Tile - 1) / Tile), new Index2D(Threads, Threads));

    public static void Gemm<TAct>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, ArrayView<float> r,
        ArrayView<float> c, GemmShape s) where TAct : struct, IActivation
    {
        var sa = SharedMemory.Allocate<float>(TileK * Tile);
        var sb = SharedMemory.Allocate<float>(TileK * Tile);
        int tx = Group.IdxX, ty = Group.IdxY;
        int tid = ty * Threads + tx;
        int row0 = Grid.IdxX * Tile, col0 = Grid.IdxY * Tile;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0;
        float c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0;
        float c30 = 0, c31 = 0, c32 = 0, c33 = 0;

        for (int k0 = 0; k0 < s.K; k0 += TileK)
        {
            for (int e = tid; e < TileK * Tile; e += Threads * Threads)
            {
                int m = e / TileK, k = e % TileK;
                int gr = row0 + m, gk = k0 + k;
                sa[k * Tile + m] = gr < s.M && gk < s.K ? a[(long)gr * s.K + gk] : 0f;
            }
            for (int e = tid; e < TileK * Tile; e += Threads * Threads)
            {
                int k = e / Tile, nn = e % Tile;
                int gk = k0 + k, gc = col0 + nn;
                sb[k * Tile + nn] = gk < s.K && gc < s.N ? b[(long)gk * s.N + gc] : 0f;
            }
            Group.Barrier();
            for (int k = 0; k < TileK; k++)
            {
                int ka = k * Tile;
                float a0 = sa[ka + ty], a1 = sa[ka + ty + 8], a2 = sa[ka + ty + 16], a3 = sa[ka + ty + 24];
                float b0 = sb[ka + tx], b1 = sb[ka + tx + 8], b2 = sb[ka + tx + 16], b3 = sb[ka + tx + 24];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }

        Store<TAct>(bias, r, c, s, row0 + ty, col0 + tx, c00, c01, c02, c03);
        Store<TAct>(bias, r, c, s, row0 + ty + 8, col0 + tx, c10, c11, c12, c13);
        Store<TAct>(bias, r, c, s, row0 + ty + 16, col0 + tx, c20, c21, c22, c23);
        Store<TAct>(bias, r, c, s, row0 + ty + 24, col0 + tx, c30, c31, c32, c33);
    }

    private static void Store<TAct>(ArrayView<float> bias, ArrayView<float> r, ArrayView<float> c, GemmShape s, int row, int col,
        float v0, float v1, float v2, float v3) where TAct : struct, IActivation
    {
        if (row >= s.M)
            return;
        long rb = (long)row * s.N;
        Store1<TAct>(bias, r, c, s, rb, col, v0);
        Store1<TAct>(bias, r, c, s, rb, col + 8, v1);
        Store1<TAct>(bias, r, c, s, rb, col + 16, v2);
        Store1<TAct>(bias, r, c, s, rb, col + 24, v3);
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
