#version 450
// Softmax over the last axis: y = exp(beta*(x - max)) / sum. One workgroup per row, shared-memory reductions.
#include "common.glsl"
#define THREADS 256
layout(local_size_x = THREADS) in;
layout(push_constant) uniform P { int rows; int cols; float beta; } p;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Y { float y[]; };
shared float red[THREADS];

void main()
{
    int row = int(gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x);
    if (row >= p.rows)
        return; // uniform per workgroup: no barrier is skipped by part of a group
    int t = int(gl_LocalInvocationID.x);
    uint base = uint(row) * uint(p.cols);
    float m = -3.402823466e+38;
    for (int i = t; i < p.cols; i += THREADS)
        m = max(m, p.beta * x[base + uint(i)]);
    red[t] = m;
    barrier();
    for (int s = THREADS / 2; s > 0; s >>= 1)
    {
        if (t < s)
            red[t] = max(red[t], red[t + s]);
        barrier();
    }
    m = red[0];
    barrier();
    float sum = 0.0;
    for (int i = t; i < p.cols; i += THREADS)
        sum += exp(p.beta * x[base + uint(i)] - m);
    red[t] = sum;
    barrier();
    for (int s = THREADS / 2; s > 0; s >>= 1)
    {
        if (t < s)
            red[t] += red[t + s];
        barrier();
    }
    float inv = 1.0 / red[0];
    for (int i = t; i < p.cols; i += THREADS)
        y[base + uint(i)] = exp(p.beta * x[base + uint(i)] - m) * inv;
}
