/* GEMM microkernel template (see mna_f32_gemm_ukernel in common/ukernels.h).
 * Before including: a simd/simd-*.h header, and GEMM_MR, GEMM_NV (vectors per row: NR =
 * GEMM_NV * VLEN), GEMM_FN. May be included several times; undefines its parameters.
 * Rows beyond mr alias row mr-1 (same inputs, same outputs, identical values), so the
 * fully unrolled MR x NR body has no row branches. */
#include <stddef.h>

#define GEMM_NR (GEMM_NV * VLEN)

/* GEMM_PREFETCH (set by a kernel file before including): prefetch the weight panel
 * MNA_GEMM_PF bytes ahead inside the k loop. Compile-time knob: -DMNA_GEMM_PF=0 turns it off;
 * on the development machine 4096 and 8192 measured alike and better than 0 and 2048. */
#ifndef MNA_GEMM_PF
#  define MNA_GEMM_PF 4096
#endif
#if defined(GEMM_PREFETCH) && MNA_GEMM_PF > 0
#  define GEMM_PREFETCH_BYTES MNA_GEMM_PF
#endif

#define GEMM_CAT2(x, y) x##y
#define GEMM_CAT(x, y) GEMM_CAT2(x, y)
#define GEMM_BODY GEMM_CAT(GEMM_FN, _body)
static inline __attribute__((always_inline)) void GEMM_BODY(size_t mr, size_t nc, size_t kc, const float* restrict a,
                                                            size_t a_stride, const float* restrict w, float* restrict c,
                                                            size_t c_stride, const float* restrict r, size_t r_stride,
                                                            float fmin, float fmax, const void* pf, size_t pf_lines) {
  const float* ap[GEMM_MR];
  float* cp[GEMM_MR];
  const float* rp[GEMM_MR];
#pragma GCC unroll 16
  for (size_t i = 0; i < GEMM_MR; i++) {
    const size_t row = i < mr ? i : mr - 1;
    ap[i] = a + row * a_stride;
    cp[i] = c + row * c_stride;
    rp[i] = r ? r + row * r_stride : NULL;
  }
  v_t acc[GEMM_MR][GEMM_NV];
#pragma GCC unroll 16
  for (size_t j = 0; j < GEMM_NV; j++) {
    const v_t b = VLOAD(w + j * VLEN);
#pragma GCC unroll 16
    for (size_t i = 0; i < GEMM_MR; i++) acc[i][j] = b;
  }
  w += GEMM_NR;
  /* next-block prefetch: ceil(pf_lines / kc) lines per k step, front-loaded */
  const size_t pf_step = kc ? (pf_lines + kc - 1) / kc : 0;
  const char* pfc = (const char*)pf;
  size_t pf_left = pf_lines;
  for (size_t k = 0; k < kc; k++) {
    for (size_t l = 0; l < pf_step && pf_left; l++, pf_left--, pfc += 64) __builtin_prefetch(pfc, 0, 2);
#ifdef GEMM_PREFETCH_BYTES
      /* the weight panel streams from L2 (or L3 for the first pixel tile): request it this far
     * ahead, one line per 64 bytes consumed */
#  pragma GCC unroll 4
    for (size_t l = 0; l < GEMM_NR * sizeof(float); l += 64)
      __builtin_prefetch((const char*)w + GEMM_PREFETCH_BYTES + l, 0, 3);
#endif
    v_t b[GEMM_NV];
#pragma GCC unroll 16
    for (size_t j = 0; j < GEMM_NV; j++) b[j] = VLOAD(w + j * VLEN);
    w += GEMM_NR;
#pragma GCC unroll 16
    for (size_t i = 0; i < GEMM_MR; i++) {
      const v_t av = VSET1(ap[i][k]);
#pragma GCC unroll 16
      for (size_t j = 0; j < GEMM_NV; j++) acc[i][j] = VFMA(av, b[j], acc[i][j]);
    }
  }
  const v_t lo = VSET1(fmin), hi = VSET1(fmax);
#pragma GCC unroll 16
  for (size_t i = 0; i < GEMM_MR; i++)
#pragma GCC unroll 16
    for (size_t j = 0; j < GEMM_NV; j++) acc[i][j] = VMIN(hi, VMAX(lo, acc[i][j]));
  if (nc == GEMM_NR) {
    if (r) {
#pragma GCC unroll 16
      for (size_t i = 0; i < GEMM_MR; i++)
#pragma GCC unroll 16
        for (size_t j = 0; j < GEMM_NV; j++) VSTORE(cp[i] + j * VLEN, VADD(acc[i][j], VLOAD(rp[i] + j * VLEN)));
    } else {
#pragma GCC unroll 16
      for (size_t i = 0; i < GEMM_MR; i++)
#pragma GCC unroll 16
        for (size_t j = 0; j < GEMM_NV; j++) VSTORE(cp[i] + j * VLEN, acc[i][j]);
    }
  } else {
    for (size_t i = 0; i < GEMM_MR; i++) {
      size_t left = nc;
      for (size_t j = 0; j < GEMM_NV && left; j++) {
        const size_t n = left < VLEN ? left : VLEN;
        v_t v = acc[i][j];
        if (r) v = VADD(v, n == VLEN ? VLOAD(rp[i] + j * VLEN) : vload_partial(rp[i] + j * VLEN, n));
        if (n == VLEN)
          VSTORE(cp[i] + j * VLEN, v);
        else
          vstore_partial(cp[i] + j * VLEN, v, n);
        left -= n;
      }
    }
  }
}

void GEMM_FN(size_t mr, size_t nc, size_t kc, const float* restrict a, size_t a_stride, const float* restrict w,
             float* restrict c, size_t c_stride, const float* restrict r, size_t r_stride, float fmin, float fmax,
             const void* pf, size_t pf_lines) {
  GEMM_BODY(mr, nc, kc, a, a_stride, w, c, c_stride, r, r_stride, fmin, fmax, pf, pf_lines);
}

#ifdef GEMM_MULTI_FN
/* np full NR-wide panels in one call (panel q at w + q * w_stride, columns q * NR): the same body per
 * panel, inlined, so that a panel's epilogue overlaps the next one's FMAs and the per-call set-up is
 * paid once per tile (AVX2 on the development EPYC, 6x16, 1200 px: K 16 N 96 56.6 -> 78.4 GFLOP/s,
 * K 32 N 64 74.4 -> 89.5, K 64 N 128 88.8 -> 98.3, K 256 N 256 102.2 -> 105.7) */
void GEMM_MULTI_FN(size_t mr, size_t np, size_t kc, const float* restrict a, size_t a_stride, const float* restrict w,
                   size_t w_stride, float* restrict c, size_t c_stride, const float* restrict r, size_t r_stride,
                   float fmin, float fmax, const void* pf, size_t pf_lines) {
  const size_t per = np ? (pf_lines + np - 1) / np : 0; /* prefetch lines per panel, in order */
  for (size_t q = 0; q < np; q++) {
    const size_t first = q * per < pf_lines ? q * per : pf_lines;
    const size_t lines = pf_lines - first < per ? pf_lines - first : per;
    GEMM_BODY(mr, GEMM_NR, kc, a, a_stride, w + q * w_stride, c + q * GEMM_NR, c_stride, r ? r + q * GEMM_NR : NULL,
              r_stride, fmin, fmax, (const char*)pf + first * 64, lines);
  }
}
#endif

#undef GEMM_BODY
#undef GEMM_CAT
#undef GEMM_CAT2
#undef GEMM_MULTI_FN
#undef GEMM_NR
#undef GEMM_MR
#undef GEMM_NV
#undef GEMM_FN
#undef GEMM_PREFETCH_BYTES
#undef GEMM_PREFETCH
