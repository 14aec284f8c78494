/* Integer depthwise microkernel, AVX-512 (F + BW): one output pixel, 16 channels per zmm of int32 lanes; each tap
 * is one vpmaddwd of the widened input lane with the weight in the lane's low half (exact product). */
#include <immintrin.h>
#include <string.h>

#include "common/q8-ukernels.h"

void mna_q8_dw_ukernel_16c__avx512(size_t channels, size_t ntaps, const uint8_t* const* taps, const void* w,
                                   uint8_t* out, const mna_q8_rq* rq, int sgn) {
  const size_t cb = MNA_Q8_DW_CB;
  const uint8_t* blk = (const uint8_t*)w;
  const __m512 lo = _mm512_set1_ps(rq->lo), hi = _mm512_set1_ps(rq->hi);
  const __m512i zp = _mm512_set1_epi32(rq->zp);
  for (size_t c0 = 0; c0 < channels; c0 += cb, blk += cb * 8 + ntaps * cb * 4) {
    const size_t n = channels - c0 < cb ? channels - c0 : cb;
    const __mmask16 m = n == cb ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
    const int32_t* wt = (const int32_t*)(blk + cb * 8);
    __m512i acc = _mm512_loadu_si512(blk);
    if (sgn) {
      for (size_t t = 0; t < ntaps; t++) {
        const __m512i x = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, taps[t] + c0));
        acc = _mm512_add_epi32(acc, _mm512_madd_epi16(x, _mm512_loadu_si512(wt + t * cb)));
      }
    } else {
      for (size_t t = 0; t < ntaps; t++) {
        const __m512i x = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, taps[t] + c0));
        acc = _mm512_add_epi32(acc, _mm512_madd_epi16(x, _mm512_loadu_si512(wt + t * cb)));
      }
    }
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_loadu_ps((const float*)(blk + cb * 4)));
    f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
    _mm_mask_storeu_epi8(out + c0, m, _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(f), zp)));
  }
}
