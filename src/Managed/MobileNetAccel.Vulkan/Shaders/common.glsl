// Shared by every compute shader of the Vulkan backend.
// Activation codes match MobileNetAccel.Interop.Activation: 0 none, 1 ReLU, 2 ReLU6.
#ifndef MNA_COMMON_GLSL
#define MNA_COMMON_GLSL

float activate(float v, int act)
{
    if (act == 1)
        return max(v, 0.0);
    if (act == 2)
        return clamp(v, 0.0, 6.0);
    return v;
}

// Linear invocation index of a 1-D problem dispatched as a 2-D grid (x <= 65535 groups per row). The work-group size
// is passed in: this file is included before the shader declares its local size.
uint linearIndex(uint localSize)
{
    return (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * localSize + gl_LocalInvocationID.x;
}

#endif
