/* Global-average-pool microkernel template (mna_f32_gavg_ukernel). Before including: a
 * simd/simd-*.h header and GAVG_FN. Per channel: sum in pixel order, times scale. */
#include <stddef.h>

void GAVG_FN(size_t pixels, size_t c, const float* x, float scale, float* out) {
  const v_t s = VSET1(scale);
  size_t cb = 0;
  for (; cb + 4 * VLEN <= c; cb += 4 * VLEN) {
    v_t a0 = VZERO(), a1 = VZERO(), a2 = VZERO(), a3 = VZERO();
    const float* p = x + cb;
    for (size_t i = 0; i < pixels; i++, p += c) {
      a0 = VADD(a0, VLOAD(p));
      a1 = VADD(a1, VLOAD(p + VLEN));
      a2 = VADD(a2, VLOAD(p + 2 * VLEN));
      a3 = VADD(a3, VLOAD(p + 3 * VLEN));
    }
    VSTORE(out + cb, VMUL(a0, s));
    VSTORE(out + cb + VLEN, VMUL(a1, s));
    VSTORE(out + cb + 2 * VLEN, VMUL(a2, s));
    VSTORE(out + cb + 3 * VLEN, VMUL(a3, s));
  }
  for (; cb < c; cb += VLEN) {
    const size_t n = c - cb < VLEN ? c - cb : VLEN;
    v_t a = VZERO();
    const float* p = x + cb;
    for (size_t i = 0; i < pixels; i++, p += c) a = VADD(a, n == VLEN ? VLOAD(p) : vload_partial(p, n));
    if (n == VLEN)
      VSTORE(out + cb, VMUL(a, s));
    else
      vstore_partial(out + cb, VMUL(a, s), n);
  }
}

#undef GAVG_FN
