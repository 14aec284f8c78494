#version 450
// C[M,N] = act(A[M,K] * B[N,K]^T + bias[N]) (+ R[M,N] when RESIDUAL): the 1x1 (pointwise) convolution over NHWC
// pixels (M = N*H*W, K = Cin, N = Cout, weights OHWI = [Cout,Cin]) and the fully-connected layer.
// Tiled through shared memory: a workgroup of 16x16 invocations computes a 64x64 tile of C, 4x4 values each,
// stepping through K in slices of 16 staged in shared memory. Every load and store is bounds-checked.
// Specialisation: activation, residual. Push: M, N, K.
#include "common.glsl"
#define TM 64
#define TN 64
#define TK 16
layout(local_size_x = 16, local_size_y = 16) in;
layout(constant_id = 0) const int ACT = 0;
layout(constant_id = 1) const int RESIDUAL = 0;

layout(push_constant) uniform P { int M; int N; int K; } p;
layout(std430, set = 0, binding = 0) readonly buffer A { float a[]; };
layout(std430, set = 0, binding = 1) readonly buffer Bw { float b[]; };
layout(std430, set = 0, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, set = 0, binding = 3) readonly buffer R { float res[]; };
layout(std430, set = 0, binding = 4) writeonly buffer C { float c[]; };

shared float As[TK][TM + 1];
shared float Bs[TK][TN + 1];

void main()
{
    int tx = int(gl_LocalInvocationID.x);
    int ty = int(gl_LocalInvocationID.y);
    int t = ty * 16 + tx;
    int m0 = int(gl_WorkGroupID.y) * TM;
    int n0 = int(gl_WorkGroupID.x) * TN;
    float acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            acc[i][j] = 0.0;

    // Load mapping: 16 consecutive invocations read 16 consecutive k of one row (coalesced), 16 rows per pass.
    int lk = t % TK;
    int lr = t / TK;
    for (int k0 = 0; k0 < p.K; k0 += TK)
    {
        int k = k0 + lk;
        for (int pass = 0; pass < 4; pass++)
        {
            int row = lr + pass * 16;
            int m = m0 + row;
            int n = n0 + row;
            As[lk][row] = (m < p.M && k < p.K) ? a[uint(m) * uint(p.K) + uint(k)] : 0.0;
            Bs[lk][row] = (n < p.N && k < p.K) ? b[uint(n) * uint(p.K) + uint(k)] : 0.0;
        }
        barrier();
        for (int kk = 0; kk < TK; kk++)
        {
            float av[4];
            float bv[4];
            for (int i = 0; i < 4; i++)
                av[i] = As[kk][ty + 16 * i];
            for (int j = 0; j < 4; j++)
                bv[j] = Bs[kk][tx + 16 * j];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    acc[i][j] += av[i] * bv[j];
        }
        barrier();
    }

    for (int i = 0; i < 4; i++)
    {
        int m = m0 + ty + 16 * i;
        if (m >= p.M)
            continue;
        for (int j = 0; j < 4; j++)
        {
            int n = n0 + tx + 16 * j;
            if (n >= p.N)
                continue;
            uint o = uint(m) * uint(p.N) + uint(n);
            float v = activate(acc[i][j] + bias[n], ACT);
            if (RESIDUAL != 0)
                v += res[o];
            c[o] = v;
        }
    }
}
