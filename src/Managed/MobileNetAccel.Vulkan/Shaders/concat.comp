#version 450
// One input of a concatenation: x viewed as [outer, ROW] lands at column COL of y, viewed as [outer, OUTROW].
#include "common.glsl"
layout(local_size_x = 64) in;
layout(push_constant) uniform P { uint total; uint row; uint outRow; uint column; } p;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) buffer Y { float y[]; };

void main()
{
    uint idx = linearIndex(64u);
    if (idx >= p.total)
        return;
    y[(idx / p.row) * p.outRow + p.column + idx % p.row] = x[idx];
}
