#version 450
// Axis permutation of a tensor of rank <= 4 (padded with leading size-1 axes): output dims [*, D1, D2, D3]; output axis
// j walks the input with stride Sj.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(push_constant) uniform P { uint total; uint D1; uint D2; uint D3; uint S0; uint S1; uint S2; uint S3; } p;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Y { float y[]; };

void main()
{
    uint idx = linearIndex(64u);
    if (idx >= p.total)
        return;
    uint d3 = idx % p.D3;
    uint r = idx / p.D3;
    uint d2 = r % p.D2;
    r /= p.D2;
    uint d1 = r % p.D1;
    uint d0 = r / p.D1;
    y[idx] = x[d0 * p.S0 + d1 * p.S1 + d2 * p.S2 + d3 * p.S3];
}
