#version 450
// Rank-4 constant pad: output [*, O1, O2, O3]; an output position minus Before is read from the input [I0, I1, I2, I3]
// when inside it, else the pad value.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(push_constant) uniform P { uint total; int I0; int I1; int I2; int I3; int O1; int O2; int O3; int B0; int B1; int B2; int B3; float value; } p;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Y { float y[]; };

void main()
{
    uint idx = linearIndex(64u);
    if (idx >= p.total)
        return;
    int d3 = int(idx % uint(p.O3));
    uint r = idx / uint(p.O3);
    int d2 = int(r % uint(p.O2));
    r /= uint(p.O2);
    int d1 = int(r % uint(p.O1));
    int d0 = int(r / uint(p.O1));
    int i0 = d0 - p.B0, i1 = d1 - p.B1, i2 = d2 - p.B2, i3 = d3 - p.B3;
    if (i0 < 0 || i0 >= p.I0 || i1 < 0 || i1 >= p.I1 || i2 < 0 || i2 >= p.I2 || i3 < 0 || i3 >= p.I3)
        y[idx] = p.value;
    else
        y[idx] = x[((uint(i0) * uint(p.I1) + uint(i1)) * uint(p.I2) + uint(i2)) * uint(p.I3) + uint(i3)];
}
