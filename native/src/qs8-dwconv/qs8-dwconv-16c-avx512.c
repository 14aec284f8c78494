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

/* One output row of a 3x3 depthwise convolution, dilation 1, stride 1 or 2, 16 channels at a time with the 9 weight
 * vectors in registers and a sliding window of widened input columns (each input column is widened once per row
 * at stride 1): per tap one vpdpwssd (AVX512-VNNI: acc += lo16(x) * lo16(w) + hi16(x) * 0, the exact product). */
static inline __m512i dw_col(const uint8_t* r, int valid, ptrdiff_t ix, size_t in_w, size_t c, size_t c0, __mmask16 m,
                             int sgn, __m512i zv) {
  if (!valid || ix < 0 || (size_t)ix >= in_w) return zv;
  const __m128i b = _mm_maskz_loadu_epi8(m, r + (size_t)ix * c + c0);
  return sgn ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
}

void mna_q8_dw3x3_ukernel_16c__avx512(const uint8_t* const* rows, const int* valid, size_t in_w, size_t c,
                                      size_t stride, size_t pad_left, size_t out_w, const void* w, uint8_t* out,
                                      const mna_q8_rq* rq, int32_t zx, int sgn, const uint8_t* zrow) {
  (void)zrow;
  const size_t cb = MNA_Q8_DW_CB;
  const uint8_t* blk = (const uint8_t*)w;
  const __m512 lo = _mm512_set1_ps(rq->lo), hi = _mm512_set1_ps(rq->hi);
  const __m512i zp = _mm512_set1_epi32(rq->zp), zv = _mm512_set1_epi32(zx);
  const uint8_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2];
  const int v0 = valid[0], v1 = valid[1], v2 = valid[2];
  for (size_t c0 = 0; c0 < c; c0 += cb, blk += cb * 8 + 9 * cb * 4) {
    const size_t n = c - c0 < cb ? c - c0 : cb;
    const __mmask16 m = n == cb ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
    const __m512i bias = _mm512_loadu_si512(blk);
    const __m512 scale = _mm512_loadu_ps((const float*)(blk + cb * 4));
    const int32_t* wt = (const int32_t*)(blk + cb * 8);
    const __m512i w00 = _mm512_loadu_si512(wt + 0 * cb), w01 = _mm512_loadu_si512(wt + 1 * cb);
    const __m512i w02 = _mm512_loadu_si512(wt + 2 * cb), w10 = _mm512_loadu_si512(wt + 3 * cb);
    const __m512i w11 = _mm512_loadu_si512(wt + 4 * cb), w12 = _mm512_loadu_si512(wt + 5 * cb);
    const __m512i w20 = _mm512_loadu_si512(wt + 6 * cb), w21 = _mm512_loadu_si512(wt + 7 * cb);
    const __m512i w22 = _mm512_loadu_si512(wt + 8 * cb);
    ptrdiff_t ix = -(ptrdiff_t)pad_left;
    __m512i a0 = dw_col(r0, v0, ix, in_w, c, c0, m, sgn, zv), a1 = dw_col(r1, v1, ix, in_w, c, c0, m, sgn, zv);
    __m512i a2 = dw_col(r2, v2, ix, in_w, c, c0, m, sgn, zv);
    __m512i b0 = zv, b1 = zv, b2 = zv;
    if (stride == 1) {
      b0 = dw_col(r0, v0, ix + 1, in_w, c, c0, m, sgn, zv), b1 = dw_col(r1, v1, ix + 1, in_w, c, c0, m, sgn, zv);
      b2 = dw_col(r2, v2, ix + 1, in_w, c, c0, m, sgn, zv);
    }
    for (size_t ox = 0; ox < out_w; ox++) {
      if (stride != 1) { /* stride 2: the middle column is new too */
        const ptrdiff_t x1 = ix + 1;
        b0 = dw_col(r0, v0, x1, in_w, c, c0, m, sgn, zv), b1 = dw_col(r1, v1, x1, in_w, c, c0, m, sgn, zv);
        b2 = dw_col(r2, v2, x1, in_w, c, c0, m, sgn, zv);
      }
      const ptrdiff_t x2 = ix + 2;
      const __m512i d0 = dw_col(r0, v0, x2, in_w, c, c0, m, sgn, zv), d1 = dw_col(r1, v1, x2, in_w, c, c0, m, sgn, zv);
      const __m512i d2 = dw_col(r2, v2, x2, in_w, c, c0, m, sgn, zv);
      /* three independent chains (one per kernel row), summed: int32 addition is exact modulo 2^32, so the order
       * does not change the result, and the shorter chains let consecutive outputs overlap */
      const __m512i zero = _mm512_setzero_si512();
      __m512i acc0 = _mm512_dpwssd_epi32(bias, a0, w00);
      __m512i acc1 = _mm512_dpwssd_epi32(zero, a1, w10);
      __m512i acc2 = _mm512_dpwssd_epi32(zero, a2, w20);
      acc0 = _mm512_dpwssd_epi32(acc0, b0, w01);
      acc1 = _mm512_dpwssd_epi32(acc1, b1, w11);
      acc2 = _mm512_dpwssd_epi32(acc2, b2, w21);
      acc0 = _mm512_dpwssd_epi32(acc0, d0, w02);
      acc1 = _mm512_dpwssd_epi32(acc1, d1, w12);
      acc2 = _mm512_dpwssd_epi32(acc2, d2, w22);
      const __m512i acc = _mm512_add_epi32(_mm512_add_epi32(acc0, acc1), acc2);
      __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), scale);
      f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
      _mm_mask_storeu_epi8(out + ox * c + c0, m, _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(f), zp)));
      if (stride == 1) {
        a0 = b0, a1 = b1, a2 = b2;
        b0 = d0, b1 = d1, b2 = d2;
      } else {
        a0 = d0, a1 = d1, a2 = d2;
      }
      ix += (ptrdiff_t)stride;
    }
  }
}
