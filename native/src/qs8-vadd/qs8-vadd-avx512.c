/* Integer element-wise add, AVX-512 (F + BW + VL): 16 elements per step, masked tail; the reference expression
 * (two multiplies, one add). */
#include <immintrin.h>

#include "common/q8-ukernels.h"

void mna_q8_add_ukernel__avx512(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* out, const mna_q8_add_params* p,
                                int sgn) {
  const __m512 ma = _mm512_set1_ps(p->ma), mb = _mm512_set1_ps(p->mb);
  const __m512 lo = _mm512_set1_ps(p->lo), hi = _mm512_set1_ps(p->hi);
  const __m512i za = _mm512_set1_epi32(p->za), zb = _mm512_set1_epi32(p->zb), zp = _mm512_set1_epi32(p->zp);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1u);
    const __m128i a8 = _mm_maskz_loadu_epi8(m, a + i), b8 = _mm_maskz_loadu_epi8(m, b + i);
    const __m512i av = sgn ? _mm512_cvtepi8_epi32(a8) : _mm512_cvtepu8_epi32(a8);
    const __m512i bv = sgn ? _mm512_cvtepi8_epi32(b8) : _mm512_cvtepu8_epi32(b8);
    const __m512 fa = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(av, za)), ma);
    const __m512 fb = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(bv, zb)), mb);
    const __m512 f = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(fa, fb), lo), hi);
    _mm_mask_storeu_epi8(out + i, m, _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(f), zp)));
  }
}

void mna_q8_quantize_ukernel__avx512(size_t n, const float* x, float scale, int32_t zp, float lo, float hi,
                                     uint8_t* out) {
  const __m512 s = _mm512_set1_ps(scale), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  const __m512i vzp = _mm512_set1_epi32(zp);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1u);
    __m512 v = _mm512_div_ps(_mm512_maskz_loadu_ps(m, x + i), s);
    v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), v); /* NaN -> 0 */
    v = _mm512_min_ps(_mm512_max_ps(v, vlo), vhi);
    _mm_mask_storeu_epi8(out + i, m, _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(v), vzp)));
  }
}
