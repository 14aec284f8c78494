#version 450
// y = act(x * scale[c] + shift[c]) over the last axis: inference batch-norm, folded on the host into scale/shift.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const int ACT = 0;
layout(push_constant) uniform P { uint total; int C; } p;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer S { float scale[]; };
layout(std430, set = 0, binding = 2) readonly buffer T { float shift[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Y { float y[]; };

void main()
{
    uint idx = linearIndex(64u);
    if (idx >= p.total)
        return;
    uint c = idx % uint(p.C);
    y[idx] = activate(x[idx] * scale[c] + shift[c], ACT);
}
