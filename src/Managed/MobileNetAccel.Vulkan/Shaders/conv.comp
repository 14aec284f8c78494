#version 450
// General KxK convolution, NHWC input, OHWI weights, fused bias + activation. One invocation per output element.
// Specialisation: kernel size, stride, activation. Push: tensor dimensions and padding.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const int KH = 3;
layout(constant_id = 1) const int KW = 3;
layout(constant_id = 2) const int SH = 1;
layout(constant_id = 3) const int SW = 1;
layout(constant_id = 4) const int ACT = 0;

layout(push_constant) uniform P { uint total; int H; int W; int C; int OH; int OW; int OC; int PT; int PL; } p;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Wt { float w[]; };
layout(std430, set = 0, binding = 2) readonly buffer B { float bias[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Y { float y[]; };

void main()
{
    uint idx = linearIndex(64u);
    if (idx >= p.total)
        return;
    int oc = int(idx % uint(p.OC));
    uint r = idx / uint(p.OC);
    int ox = int(r % uint(p.OW));
    r /= uint(p.OW);
    int oy = int(r % uint(p.OH));
    int n = int(r / uint(p.OH));
    float acc = bias[oc];
    for (int ky = 0; ky < KH; ky++)
    {
        int iy = oy * SH + ky - p.PT;
        if (iy < 0 || iy >= p.H)
            continue;
        for (int kx = 0; kx < KW; kx++)
        {
            int ix = ox * SW + kx - p.PL;
            if (ix < 0 || ix >= p.W)
                continue;
            uint xb = ((uint(n) * uint(p.H) + uint(iy)) * uint(p.W) + uint(ix)) * uint(p.C);
            uint wb = ((uint(oc) * uint(KH) + uint(ky)) * uint(KW) + uint(kx)) * uint(p.C);
            for (int c = 0; c < p.C; c++)
                acc += x[xb + c] * w[wb + c];
        }
    }
    y[idx] = activate(acc, ACT);
}
