#version 450
// LOGISTIC: y = 1 / (1 + exp(-x)).
#include "common.glsl"
layout(local_size_x = 64) in;
layout(push_constant) uniform P { uint total; } p;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Y { float y[]; };

void main()
{
    uint idx = linearIndex(64u);
    if (idx >= p.total)
        return;
    y[idx] = 1.0 / (1.0 + exp(-x[idx]));
}
