#version 450
// TFLite's RESIZE_BILINEAR on float32 NHWC: the sample is o*scale, or (o + 0.5)*scale - 0.5 with half-pixel centres;
// the neighbours are floor/ceil of it clamped to the image, weighted by sample - lower; the four terms in TFLite's order.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(push_constant) uniform P { uint total; int H; int W; int C; int OH; int OW; int half_pixel; float scaleH; float scaleW; } p;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Y { float y[]; };

void main()
{
    uint idx = linearIndex(64u);
    if (idx >= p.total)
        return;
    uint c = idx % uint(p.C);
    uint r = idx / uint(p.C);
    int ox = int(r % uint(p.OW));
    r /= uint(p.OW);
    int oy = int(r % uint(p.OH));
    uint n = r / uint(p.OH);
    float vy = p.half_pixel != 0 ? (float(oy) + 0.5) * p.scaleH - 0.5 : float(oy) * p.scaleH;
    float vx = p.half_pixel != 0 ? (float(ox) + 0.5) * p.scaleW - 0.5 : float(ox) * p.scaleW;
    int y0 = max(int(floor(vy)), 0), y1 = min(int(ceil(vy)), p.H - 1);
    int x0 = max(int(floor(vx)), 0), x1 = min(int(ceil(vx)), p.W - 1);
    float dy = vy - float(y0), dx = vx - float(x0);
    uint r0 = (n * uint(p.H) + uint(y0)) * uint(p.W), r1 = (n * uint(p.H) + uint(y1)) * uint(p.W);
    uint C = uint(p.C);
    y[idx] = x[(r0 + uint(x0)) * C + c] * (1.0 - dy) * (1.0 - dx) + x[(r1 + uint(x0)) * C + c] * dy * (1.0 - dx)
           + x[(r0 + uint(x1)) * C + c] * (1.0 - dy) * dx + x[(r1 + uint(x1)) * C + c] * dy * dx;
}
