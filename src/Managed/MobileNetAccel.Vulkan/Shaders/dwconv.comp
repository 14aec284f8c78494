#version 450
// Depthwise KxK convolution (multiplier 1), NHWC, weights [KH,KW,C], fused bias + activation. Dilation DH x DW (push
// constants; 0, as left by a dispatch that does not set them, means 1): tap k reads input position out*stride - pad + k*dilation.
// One invocation per output element; channels are the fastest axis so neighbouring invocations read neighbouring memory.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const int KH = 3;
layout(constant_id = 1) const int KW = 3;
layout(constant_id = 2) const int SH = 1;
layout(constant_id = 3) const int SW = 1;
layout(constant_id = 4) const int ACT = 0;

layout(push_constant) uniform P { uint total; int H; int W; int C; int OH; int OW; int PT; int PL; int DH; int DW; } p;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Wt { float w[]; };
layout(std430, set = 0, binding = 2) readonly buffer B { float bias[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Y { float y[]; };

void main()
{
    uint idx = linearIndex(64u);
    if (idx >= p.total)
        return;
    int c = int(idx % uint(p.C));
    uint r = idx / uint(p.C);
    int ox = int(r % uint(p.OW));
    r /= uint(p.OW);
    int oy = int(r % uint(p.OH));
    int n = int(r / uint(p.OH));
    int dh = max(p.DH, 1), dw = max(p.DW, 1);
    float acc = bias[c];
    for (int ky = 0; ky < KH; ky++)
    {
        int iy = oy * SH + ky * dh - p.PT;
        if (iy < 0 || iy >= p.H)
            continue;
        for (int kx = 0; kx < KW; kx++)
        {
            int ix = ox * SW + kx * dw - p.PL;
            if (ix < 0 || ix >= p.W)
                continue;
            acc += x[((uint(n) * uint(p.H) + uint(iy)) * uint(p.W) + uint(ix)) * uint(p.C) + uint(c)]
                 * w[(uint(ky) * uint(KW) + uint(kx)) * uint(p.C) + uint(c)];
        }
    }
    y[idx] = activate(acc, ACT);
}
