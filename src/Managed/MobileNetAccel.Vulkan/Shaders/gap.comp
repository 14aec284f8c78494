#version 450
// Global average pool: [N,H,W,C] -> [N,C]. One invocation per (n, c).
#include "common.glsl"
layout(local_size_x = 64) in;
layout(push_constant) uniform P { uint total; int HW; int C; } p;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Y { float y[]; };

void main()
{
    uint idx = linearIndex(64u);
    if (idx >= p.total)
        return;
    uint c = idx % uint(p.C);
    uint n = idx / uint(p.C);
    uint base = n * uint(p.HW) * uint(p.C) + c;
    float s = 0.0;
    for (int i = 0; i < p.HW; i++)
        s += x[base + uint(i) * uint(p.C)];
    y[idx] = s / float(p.HW);
}
