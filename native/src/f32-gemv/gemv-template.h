/* GEMV microkernel template (mna_f32_gemv_ukernel) for fully connected layers at small batch:
 * reads the unpacked [n][k] weights once. Before including: a simd/simd-*.h header and
 * GEMV_FN. Four outputs at a time, VLEN-wide partial sums over k, then a horizontal sum. */
#include <stddef.h>

void GEMV_FN(size_t nc, size_t k, const float* restrict x, const float* restrict w, const float* restrict bias,
             float* restrict y, float fmin, float fmax) {
  const size_t kv = k - k % VLEN, kt = k - kv;
  size_t n = 0;
  for (; n + 4 <= nc; n += 4) {
    const float* w0 = w + n * k;
    const float* w1 = w0 + k;
    const float* w2 = w1 + k;
    const float* w3 = w2 + k;
    v_t a0 = VZERO(), a1 = VZERO(), a2 = VZERO(), a3 = VZERO();
    for (size_t i = 0; i < kv; i += VLEN) {
      const v_t xv = VLOAD(x + i);
      a0 = VFMA(xv, VLOAD(w0 + i), a0);
      a1 = VFMA(xv, VLOAD(w1 + i), a1);
      a2 = VFMA(xv, VLOAD(w2 + i), a2);
      a3 = VFMA(xv, VLOAD(w3 + i), a3);
    }
    if (kt) {
      const v_t xv = vload_partial(x + kv, kt);
      a0 = VFMA(xv, vload_partial(w0 + kv, kt), a0);
      a1 = VFMA(xv, vload_partial(w1 + kv, kt), a1);
      a2 = VFMA(xv, vload_partial(w2 + kv, kt), a2);
      a3 = VFMA(xv, vload_partial(w3 + kv, kt), a3);
    }
    const float s[4] = {vhsum(a0), vhsum(a1), vhsum(a2), vhsum(a3)};
    for (size_t j = 0; j < 4; j++) {
      float v = s[j] + (bias ? bias[n + j] : 0.0f);
      v = v < fmin ? fmin : v;
      v = v > fmax ? fmax : v;
      y[n + j] = v;
    }
  }
  for (; n < nc; n++) {
    const float* w0 = w + n * k;
    v_t a0 = VZERO();
    for (size_t i = 0; i < kv; i += VLEN) a0 = VFMA(VLOAD(x + i), VLOAD(w0 + i), a0);
    if (kt) a0 = VFMA(vload_partial(x + kv, kt), vload_partial(w0 + kv, kt), a0);
    float v = vhsum(a0) + (bias ? bias[n] : 0.0f);
    v = v < fmin ? fmin : v;
    v = v > fmax ? fmax : v;
    y[n] = v;
  }
}

#undef GEMV_FN
