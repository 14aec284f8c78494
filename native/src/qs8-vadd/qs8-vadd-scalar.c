/* Integer element-wise add, portable C (q8-ukernels.h): the reference expression, element by element. */
#include <math.h>

#include "common/q8-ukernels.h"

void mna_q8_add_ukernel__scalar(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* out, const mna_q8_add_params* p,
                                int sgn) {
  for (size_t i = 0; i < n; i++) {
    const int32_t av = sgn ? (int32_t)(int8_t)a[i] : (int32_t)a[i];
    const int32_t bv = sgn ? (int32_t)(int8_t)b[i] : (int32_t)b[i];
    float v = (float)(av - p->za) * p->ma + (float)(bv - p->zb) * p->mb;
    v = v < p->lo ? p->lo : v;
    v = v > p->hi ? p->hi : v;
    out[i] = (uint8_t)((int32_t)lrintf(v) + p->zp);
  }
}

void mna_q8_quantize_ukernel__scalar(size_t n, const float* x, float scale, int32_t zp, float lo, float hi,
                                     uint8_t* out) {
  for (size_t i = 0; i < n; i++) {
    float v = x[i] / scale;
    if (v != v) v = 0.0f;
    v = v < lo ? lo : (v > hi ? hi : v);
    out[i] = (uint8_t)((int32_t)lrintf(v) + zp);
  }
}
