/* Integer depthwise microkernel, AVX2: one output pixel, 16 channels as two ymm of int32 lanes; each tap is one
 * vpmaddwd of the widened input lane with the weight in the lane's low half (exact product). */
#include <immintrin.h>
#include <string.h>

#include "common/q8-ukernels.h"
#include "qs8-gemm/q8-gemm-epilogue.h"

void mna_q8_dw_ukernel_16c__avx2(size_t channels, size_t ntaps, const uint8_t* const* taps, const void* w,
                                 uint8_t* out, const mna_q8_rq* rq, int sgn) {
  const size_t cb = MNA_Q8_DW_CB;
  const uint8_t* blk = (const uint8_t*)w;
  const __m256 lo = _mm256_set1_ps(rq->lo), hi = _mm256_set1_ps(rq->hi);
  const __m256i zp = _mm256_set1_epi32(rq->zp);
  for (size_t c0 = 0; c0 < channels; c0 += cb, blk += cb * 8 + ntaps * cb * 4) {
    const size_t n = channels - c0 < cb ? channels - c0 : cb;
    const int32_t* wt = (const int32_t*)(blk + cb * 8);
    __m256i acc0 = _mm256_loadu_si256((const __m256i*)blk), acc1 = _mm256_loadu_si256((const __m256i*)(blk + 32));
    for (size_t t = 0; t < ntaps; t++) {
      __m128i xb;
      if (n == cb) {
        xb = _mm_loadu_si128((const __m128i*)(taps[t] + c0));
      } else { /* the last block: only n bytes exist */
        uint8_t tmp[16] = {0};
        memcpy(tmp, taps[t] + c0, n);
        xb = _mm_loadu_si128((const __m128i*)tmp);
      }
      const __m256i x0 = sgn ? _mm256_cvtepi8_epi32(xb) : _mm256_cvtepu8_epi32(xb);
      const __m256i x1 = sgn ? _mm256_cvtepi8_epi32(_mm_srli_si128(xb, 8)) : _mm256_cvtepu8_epi32(_mm_srli_si128(xb, 8));
      acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(x0, _mm256_loadu_si256((const __m256i*)(wt + t * cb))));
      acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(x1, _mm256_loadu_si256((const __m256i*)(wt + t * cb + 8))));
    }
    const float* scale = (const float*)(blk + cb * 4);
    q8_store_bytes(out + c0, q8_bytes8(q8_requant8(acc0, scale, lo, hi, zp)), n);
    if (n > 8) q8_store_bytes(out + c0 + 8, q8_bytes8(q8_requant8(acc1, scale + 8, lo, hi, zp)), n - 8);
  }
}

/* One output row of a 3x3 depthwise convolution, dilation 1, stride 1 or 2: the per-pixel kernel above over tap
 * pointers (the zero-point vector where out of image). */
void mna_q8_dw3x3_ukernel_16c__avx2(const uint8_t* const* rows, const int* valid, size_t in_w, size_t c,
                                    size_t stride, size_t pad_left, size_t out_w, const void* w, uint8_t* out,
                                    const mna_q8_rq* rq, int32_t zx, int sgn, const uint8_t* zrow) {
  const uint8_t* taps[9];
  for (size_t ox = 0; ox < out_w; ox++) {
    for (size_t t = 0; t < 9; t++) {
      const size_t ky = t / 3, kx = t % 3;
      const ptrdiff_t ix = (ptrdiff_t)(ox * stride + kx) - (ptrdiff_t)pad_left;
      taps[t] = (valid[ky] && ix >= 0 && (size_t)ix < in_w) ? rows[ky] + (size_t)ix * c : zrow;
    }
    mna_q8_dw_ukernel_16c__avx2(c, 9, taps, w, out + ox * c, rq, sgn);
  }
  (void)zx;
}
