#version 450
// ARG_MAX (MIN = 1: ARG_MIN) along an axis of length AXIS: x viewed as [outer, AXIS, INNER], one invocation per
// output, a sequential scan with a strict comparison (the first maximum/minimum wins; a NaN never replaces the best). The index is written as int64 (I64 = 1: low word, then a
// zero high word, little-endian) or int32.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const int I64 = 1;
layout(constant_id = 1) const int MIN = 0;
layout(push_constant) uniform P { uint total; uint axis; uint inner; } p;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Y { uint y[]; };

void main()
{
    uint idx = linearIndex(64u);
    if (idx >= p.total)
        return;
    uint b = (idx / p.inner) * p.axis * p.inner + idx % p.inner;
    float best = x[b];
    uint at = 0u;
    for (uint j = 1u; j < p.axis; j++)
    {
        float v = x[b + j * p.inner];
        if (MIN != 0 ? v < best : v > best)
        {
            best = v;
            at = j;
        }
    }
    if (I64 != 0)
    {
        y[2u * idx] = at;
        y[2u * idx + 1u] = 0u;
    }
    else
        y[idx] = at;
}
