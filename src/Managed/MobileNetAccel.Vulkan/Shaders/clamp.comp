#version 450
// y = clamp(x, lo, hi): standalone ReLU / ReLU6 / Clip (and identity with lo = -inf, hi = +inf).
#include "common.glsl"
layout(local_size_x = 64) in;
layout(push_constant) uniform P { uint total; float lo; float hi; } p;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Y { float y[]; };

void main()
{
    uint idx = linearIndex(64u);
    if (idx >= p.total)
        return;
    y[idx] = min(max(x[idx], p.lo), p.hi);
}
