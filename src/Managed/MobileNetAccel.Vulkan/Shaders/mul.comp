#version 450
// y = act(a * b[i mod BLEN]): equal shapes (BLEN = total) or b broadcast over a's leading axes.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const int ACT = 0;
layout(push_constant) uniform P { uint total; uint blen; } p;
layout(std430, set = 0, binding = 0) readonly buffer A { float a[]; };
layout(std430, set = 0, binding = 1) readonly buffer B { float b[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Y { float y[]; };

void main()
{
    uint idx = linearIndex(64u);
    if (idx >= p.total)
        return;
    y[idx] = activate(a[idx] * b[idx % p.blen], ACT);
}
