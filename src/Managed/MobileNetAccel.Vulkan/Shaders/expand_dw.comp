#version 450
// The first half of the inverted-residual block, fused: 1x1 expand + bias + act, then 3x3 depthwise + bias + act.
// A workgroup owns a TILE x TILE patch of depthwise outputs and CB hidden channels. It computes the expanded values of
// the patch's input window (((TILE-1)*S+3)^2 pixels x CB channels) into shared memory — zero where the window hangs
// over the padding, as the depthwise convolution sees zero-padded expanded input — then the depthwise outputs from
// there. The expanded tensor is never written to global memory. Every load and store is bounds-checked.
// Specialisation: stride, tile side, activations. Push: dimensions and padding.
#include "common.glsl"
#define CB 32
#define KC 16
#define THREADS 256
layout(local_size_x = THREADS) in;
layout(constant_id = 0) const int S = 1;
layout(constant_id = 1) const int TILE = 8;
layout(constant_id = 2) const int ACT_E = 2;
layout(constant_id = 3) const int ACT_D = 2;
const int IT = (TILE - 1) * S + 3;
const int IP = IT * IT;
#define PIXEL_GROUPS (THREADS / CB)
const int PPT = (IP + PIXEL_GROUPS - 1) / PIXEL_GROUPS;

layout(push_constant) uniform P { int H; int W; int C; int HID; int OH; int OW; int PT; int PL; int tilesX; } p;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer We { float we[]; };   // [HID, C]
layout(std430, set = 0, binding = 2) readonly buffer Be { float be[]; };   // [HID]
layout(std430, set = 0, binding = 3) readonly buffer Wd { float wd[]; };   // [3, 3, HID]
layout(std430, set = 0, binding = 4) readonly buffer Bd { float bd[]; };   // [HID]
layout(std430, set = 0, binding = 5) writeonly buffer Y { float y[]; };   // [N, OH, OW, HID]

shared float E[IP * CB];
shared float Xs[IP * KC];
shared float Ws[CB * (KC + 1)];

void main()
{
    int t = int(gl_LocalInvocationID.x);
    int tileY = int(gl_WorkGroupID.x) / p.tilesX;
    int tileX = int(gl_WorkGroupID.x) % p.tilesX;
    int h0 = int(gl_WorkGroupID.y) * CB;
    int n = int(gl_WorkGroupID.z);
    int oy0 = tileY * TILE;
    int ox0 = tileX * TILE;
    int iy0 = oy0 * S - p.PT;
    int ix0 = ox0 * S - p.PL;

    // Phase 1: expanded window, accumulated over slices of KC input channels. Invocation t owns hidden channel
    // h = t % CB for the pixels pg, pg + 8, pg + 16 ... (pg = t / CB): its KC weights of a slice sit in registers and
    // the pixel's inputs are the same for the 32 invocations of a channel group (a broadcast read).
    int h = t % CB;
    int pg = t / CB;
    float acc[PPT];
    for (int j = 0; j < PPT; j++)
        acc[j] = 0.0;
    for (int c0 = 0; c0 < p.C; c0 += KC)
    {
        barrier();
        for (int e = t; e < IP * KC; e += THREADS)
        {
            int pix = e / KC;
            int k = e % KC;
            int iy = iy0 + pix / IT;
            int ix = ix0 + pix % IT;
            bool inside = iy >= 0 && iy < p.H && ix >= 0 && ix < p.W && c0 + k < p.C;
            Xs[e] = inside ? x[((uint(n) * uint(p.H) + uint(iy)) * uint(p.W) + uint(ix)) * uint(p.C) + uint(c0 + k)] : 0.0;
        }
        for (int e = t; e < CB * KC; e += THREADS)
        {
            int hh = e / KC;
            int k = e % KC;
            Ws[hh * (KC + 1) + k] = (h0 + hh < p.HID && c0 + k < p.C) ? we[uint(h0 + hh) * uint(p.C) + uint(c0 + k)] : 0.0;
        }
        barrier();
        float wr[KC];
        for (int k = 0; k < KC; k++)
            wr[k] = Ws[h * (KC + 1) + k];
        for (int j = 0; j < PPT; j++)
        {
            int pix = pg + PIXEL_GROUPS * j;
            if (pix < IP)
            {
                float s = 0.0;
                for (int k = 0; k < KC; k++)
                    s += Xs[pix * KC + k] * wr[k];
                acc[j] += s;
            }
        }
    }
    for (int j = 0; j < PPT; j++)
    {
        int pix = pg + PIXEL_GROUPS * j;
        if (pix >= IP)
            continue;
        int iy = iy0 + pix / IT;
        int ix = ix0 + pix % IT;
        bool inside = iy >= 0 && iy < p.H && ix >= 0 && ix < p.W && h0 + h < p.HID;
        E[pix * CB + h] = inside ? activate(acc[j] + be[h0 + h], ACT_E) : 0.0;
    }
    barrier();

    // Phase 2: 3x3 depthwise from shared memory.
    for (int e = t; e < TILE * TILE * CB; e += THREADS)
    {
        int h = e % CB;
        int q = e / CB;
        int ty = q / TILE;
        int tx = q % TILE;
        int oy = oy0 + ty;
        int ox = ox0 + tx;
        int hc = h0 + h;
        if (oy >= p.OH || ox >= p.OW || hc >= p.HID)
            continue;
        float acc = bd[hc];
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++)
                acc += E[((ty * S + ky) * IT + tx * S + kx) * CB + h] * wd[uint(ky * 3 + kx) * uint(p.HID) + uint(hc)];
        y[((uint(n) * uint(p.OH) + uint(oy)) * uint(p.OW) + uint(ox)) * uint(p.HID) + uint(hc)] = activate(acc, ACT_D);
    }
}
