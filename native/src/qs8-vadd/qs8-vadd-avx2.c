/* Integer element-wise add, AVX2: 8 elements per step, the reference expression (two multiplies, one add). */
#include <immintrin.h>
#include <math.h>

#include "common/q8-ukernels.h"
#include "qs8-gemm/q8-gemm-epilogue.h"

void mna_q8_add_ukernel__scalar(size_t, const uint8_t*, const uint8_t*, uint8_t*, const mna_q8_add_params*, int);

void mna_q8_add_ukernel__avx2(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* out, const mna_q8_add_params* p,
                              int sgn) {
  const __m256 ma = _mm256_set1_ps(p->ma), mb = _mm256_set1_ps(p->mb);
  const __m256 lo = _mm256_set1_ps(p->lo), hi = _mm256_set1_ps(p->hi);
  const __m256i za = _mm256_set1_epi32(p->za), zb = _mm256_set1_epi32(p->zb), zp = _mm256_set1_epi32(p->zp);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i a8 = _mm_loadl_epi64((const __m128i*)(a + i)), b8 = _mm_loadl_epi64((const __m128i*)(b + i));
    const __m256i av = sgn ? _mm256_cvtepi8_epi32(a8) : _mm256_cvtepu8_epi32(a8);
    const __m256i bv = sgn ? _mm256_cvtepi8_epi32(b8) : _mm256_cvtepu8_epi32(b8);
    const __m256 fa = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(av, za)), ma);
    const __m256 fb = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(bv, zb)), mb);
    const __m256 f = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(fa, fb), lo), hi);
    q8_store_bytes(out + i, q8_bytes8(_mm256_add_epi32(_mm256_cvtps_epi32(f), zp)), 8);
  }
  if (i < n) mna_q8_add_ukernel__scalar(n - i, a + i, b + i, out + i, p, sgn);
}

void mna_q8_quantize_ukernel__scalar(size_t, const float*, float, int32_t, float, float, uint8_t*);

void mna_q8_quantize_ukernel__avx2(size_t n, const float* x, float scale, int32_t zp, float lo, float hi,
                                   uint8_t* out) {
  const __m256 s = _mm256_set1_ps(scale), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  const __m256i vzp = _mm256_set1_epi32(zp);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_div_ps(_mm256_loadu_ps(x + i), s);
    v = _mm256_and_ps(v, _mm256_cmp_ps(v, v, _CMP_ORD_Q)); /* NaN -> 0 */
    v = _mm256_min_ps(_mm256_max_ps(v, vlo), vhi);
    q8_store_bytes(out + i, q8_bytes8(_mm256_add_epi32(_mm256_cvtps_epi32(v), vzp)), 8);
  }
  if (i < n) mna_q8_quantize_ukernel__scalar(n - i, x + i, scale, zp, lo, hi, out + i);
}
