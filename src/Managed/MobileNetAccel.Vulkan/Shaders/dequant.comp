#version 450
// y = scale * (q - zeroPoint) for a per-tensor quantized uint8 / int8 tensor (the input of a quantized model run in
// float). Bytes are read from 32-bit words, so no 8-bit storage feature is needed.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const int SIGNED = 0;
layout(push_constant) uniform P { uint total; float scale; int zeroPoint; } p;
layout(std430, set = 0, binding = 0) readonly buffer Q { uint q[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Y { float y[]; };

void main()
{
    uint idx = linearIndex(64u);
    if (idx >= p.total)
        return;
    uint word = q[idx >> 2];
    int v = int((word >> ((idx & 3u) * 8u)) & 0xFFu);
    if (SIGNED != 0 && v >= 128)
        v -= 256;
    y[idx] = p.scale * float(v - p.zeroPoint);
}
