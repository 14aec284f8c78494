/* Integer depthwise microkernel, AVX2: one output pixel, 16 channels as two ymm of int32 lanes; each tap is one
 * vpmaddwd of the widened input lane with the weight in the lane's low half (exact product). */
#include <immintrin.h>
#include <string.h>

#include "common/q8-ukernels.h"
#include "qs8-gemm/q8-gemm-epilogue.h"

void mna_q8_dw_ukernel_16c__avx2(size_t channels, size_t ntaps, const uint8_t* const* taps, const void* w, uint8_t* out,
                                 const mna_q8_rq* rq, int sgn) {
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
      const __m256i x1 =
          sgn ? _mm256_cvtepi8_epi32(_mm_srli_si128(xb, 8)) : _mm256_cvtepu8_epi32(_mm_srli_si128(xb, 8));
      acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(x0, _mm256_loadu_si256((const __m256i*)(wt + t * cb))));
      acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(x1, _mm256_loadu_si256((const __m256i*)(wt + t * cb + 8))));
    }
    const float* scale = (const float*)(blk + cb * 4);
    q8_store_bytes(out + c0, q8_bytes8(q8_requant8(acc0, scale, lo, hi, zp)), n);
    if (n > 8) q8_store_bytes(out + c0 + 8, q8_bytes8(q8_requant8(acc1, scale + 8, lo, hi, zp)), n - 8);
  }
}

/* One output row of a 3x3 depthwise convolution, dilation 1, stride 1 or 2, 8 channels (half a packed block) at a
 * time with a sliding window of widened input columns (each input column is widened once per row at stride 1); the
 * weights are memory operands of vpmaddwd (exact products, as above). */
static inline __m256i dw_col8(const uint8_t* r, int valid, ptrdiff_t ix, size_t in_w, size_t c, size_t c0, size_t n,
                              int sgn, __m256i zv) {
  if (!valid || ix < 0 || (size_t)ix >= in_w) return zv;
  const uint8_t* src = r + (size_t)ix * c + c0;
  __m128i b;
  if (n >= 8) {
    b = _mm_loadl_epi64((const __m128i*)src);
  } else { /* the last channels: only n bytes exist */
    uint8_t tmp[8] = {0};
    memcpy(tmp, src, n);
    b = _mm_loadl_epi64((const __m128i*)tmp);
  }
  return sgn ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
}

/* Unformatted: clang-format reads `(t) * cb` as a cast */
// clang-format off
#define DW_MADD(x, t) _mm256_madd_epi16((x), _mm256_loadu_si256((const __m256i*)(wt + (t) * cb)))
// clang-format on

void mna_q8_dw3x3_ukernel_16c__avx2(const uint8_t* const* rows, const int* valid, size_t in_w, size_t c, size_t stride,
                                    size_t pad_left, size_t out_w, const void* w, uint8_t* out, const mna_q8_rq* rq,
                                    int32_t zx, int sgn, const uint8_t* zrow) {
  (void)zrow;
  const size_t cb = MNA_Q8_DW_CB;
  const __m256 lo = _mm256_set1_ps(rq->lo), hi = _mm256_set1_ps(rq->hi);
  const __m256i zp = _mm256_set1_epi32(rq->zp), zv = _mm256_set1_epi32(zx);
  const uint8_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2];
  const int v0 = valid[0], v1 = valid[1], v2 = valid[2];
  for (size_t c0 = 0; c0 < c; c0 += 8) {
    const size_t n = c - c0 < 8 ? c - c0 : 8, half = (c0 % cb) / 8;
    const uint8_t* blk = (const uint8_t*)w + (c0 / cb) * (cb * 8 + 9 * cb * 4);
    const __m256i bias = _mm256_loadu_si256((const __m256i*)((const int32_t*)blk + 8 * half));
    const float* scale = (const float*)(blk + cb * 4) + 8 * half;
    const int32_t* wt = (const int32_t*)(blk + cb * 8) + 8 * half;
    ptrdiff_t ix = -(ptrdiff_t)pad_left;
    __m256i a0 = dw_col8(r0, v0, ix, in_w, c, c0, n, sgn, zv), a1 = dw_col8(r1, v1, ix, in_w, c, c0, n, sgn, zv);
    __m256i a2 = dw_col8(r2, v2, ix, in_w, c, c0, n, sgn, zv);
    __m256i b0 = zv, b1 = zv, b2 = zv;
    if (stride == 1) {
      b0 = dw_col8(r0, v0, ix + 1, in_w, c, c0, n, sgn, zv), b1 = dw_col8(r1, v1, ix + 1, in_w, c, c0, n, sgn, zv);
      b2 = dw_col8(r2, v2, ix + 1, in_w, c, c0, n, sgn, zv);
    }
    for (size_t ox = 0; ox < out_w; ox++) {
      if (stride != 1) {
        b0 = dw_col8(r0, v0, ix + 1, in_w, c, c0, n, sgn, zv), b1 = dw_col8(r1, v1, ix + 1, in_w, c, c0, n, sgn, zv);
        b2 = dw_col8(r2, v2, ix + 1, in_w, c, c0, n, sgn, zv);
      }
      const __m256i d0 = dw_col8(r0, v0, ix + 2, in_w, c, c0, n, sgn, zv);
      const __m256i d1 = dw_col8(r1, v1, ix + 2, in_w, c, c0, n, sgn, zv);
      const __m256i d2 = dw_col8(r2, v2, ix + 2, in_w, c, c0, n, sgn, zv);
      /* three chains (one per kernel row), summed: exact modulo 2^32 */
      const __m256i s0 =
          _mm256_add_epi32(_mm256_add_epi32(bias, DW_MADD(a0, 0)), _mm256_add_epi32(DW_MADD(b0, 1), DW_MADD(d0, 2)));
      const __m256i s1 = _mm256_add_epi32(DW_MADD(a1, 3), _mm256_add_epi32(DW_MADD(b1, 4), DW_MADD(d1, 5)));
      const __m256i s2 = _mm256_add_epi32(DW_MADD(a2, 6), _mm256_add_epi32(DW_MADD(b2, 7), DW_MADD(d2, 8)));
      const __m256i acc = _mm256_add_epi32(_mm256_add_epi32(s0, s1), s2);
      q8_store_bytes(out + ox * c + c0, q8_bytes8(q8_requant8(acc, scale, lo, hi, zp)), n);
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
#undef DW_MADD
