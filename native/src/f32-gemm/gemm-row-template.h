/* One-row GEMM microkernel over several column panels (see mna_f32_gemm_row_ukernel in
 * common/ukernels.h). Before including: a simd/simd-*.h header, GEMM_ROW_P (panels per call),
 * GEMM_NV (vectors per panel: NR = GEMM_NV * VLEN) and GEMM_ROW_FN. Undefines its parameters.
 *
 * Why: the last pixel tile of a GEMM often has one row (MobileNet's 7x7 layers: 49 = 8 x 6 + 1
 * with the 6-row AVX2 tile, 7 x 7 with the 7-row AVX-512 tile, 14 = 2 x 6 + 2...). The 1 x NR
 * kernel gives the core only GEMM_NV independent FMA chains, so it runs at one k step per FMA
 * latency (5 cycles on Zen 2) and cost a 49-pixel 1024 x 1024 layer 9% over a 48-pixel one.
 * Taking GEMM_ROW_P panels per call gives GEMM_ROW_P * GEMM_NV chains. Per element the order is
 * unchanged (acc = bias, then fma over k ascending, clamp, + residual), so the row is
 * bit-identical to the same row computed by the MR x NR kernel. */
#include <stddef.h>

#define GEMM_NR (GEMM_NV * VLEN)

void GEMM_ROW_FN(size_t np, size_t kc, const float* restrict a, const float* restrict w, size_t w_stride,
                 float* restrict c, const float* restrict r, float fmin, float fmax, const void* pf, size_t pf_lines) {
  const float* wp[GEMM_ROW_P];
  size_t off[GEMM_ROW_P]; /* column offset of panel q in c and r; panels >= np alias panel np - 1 */
#pragma GCC unroll 16
  for (size_t q = 0; q < GEMM_ROW_P; q++) {
    const size_t qq = q < np ? q : np - 1;
    wp[q] = w + qq * w_stride;
    off[q] = qq * GEMM_NR;
  }
  v_t acc[GEMM_ROW_P][GEMM_NV];
#pragma GCC unroll 16
  for (size_t q = 0; q < GEMM_ROW_P; q++)
#pragma GCC unroll 16
    for (size_t j = 0; j < GEMM_NV; j++) acc[q][j] = VLOAD(wp[q] + j * VLEN);
  const size_t pf_step = kc && pf_lines ? (pf_lines + kc - 1) / kc : 0;
  const char* pfc = (const char*)pf;
  size_t pf_left = pf_lines;
  for (size_t k = 0; k < kc; k++) {
    for (size_t l = 0; l < pf_step && pf_left; l++, pf_left--, pfc += 64) __builtin_prefetch(pfc, 0, 2);
    const v_t av = VSET1(a[k]);
    const size_t o = (k + 1) * GEMM_NR;
#pragma GCC unroll 16
    for (size_t q = 0; q < GEMM_ROW_P; q++)
#pragma GCC unroll 16
      for (size_t j = 0; j < GEMM_NV; j++) acc[q][j] = VFMA(av, VLOAD(wp[q] + o + j * VLEN), acc[q][j]);
  }
  const v_t lo = VSET1(fmin), hi = VSET1(fmax);
#pragma GCC unroll 16
  for (size_t q = 0; q < GEMM_ROW_P; q++)
#pragma GCC unroll 16
    for (size_t j = 0; j < GEMM_NV; j++) {
      v_t v = VMIN(hi, VMAX(lo, acc[q][j]));
      if (r) v = VADD(v, VLOAD(r + off[q] + j * VLEN));
      VSTORE(c + off[q] + j * VLEN, v);
    }
}

#undef GEMM_NR
#undef GEMM_NV
#undef GEMM_ROW_P
#undef GEMM_ROW_FN
