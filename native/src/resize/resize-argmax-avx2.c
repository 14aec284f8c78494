/* AVX2 row kernels of resize.h: 8 channels of one output pixel per step (a channel count that is not a multiple of 8
 * ends with a step over its last 8 channels, overlapping the previous one: those lanes are recomputed to the same
 * values), fewer than 8 channels by the scalar kernel. Each lane does the scalar kernel's float operations in its order
 * (no FMA: this file is built without -mfma, and with -ffp-contract=off), so outputs are equal byte for byte.
 * The argmax takes 32 channels per load (the last load masked), a horizontal byte maximum and the first lane equal
 * to it; the float argmax the same over the int32 ranks of mna_argf32_key, 8 per load (the last load padded with
 * INT32_MIN), from the scalar definition; up to 64 channels the first equal lane is found without branches (one bit per
 * channel), DeepLab's 21 classes included. */
#include <immintrin.h>

#include "resize/resize.h"

static inline __m256 row8(const float* al, const float* bl, const float* au, const float* bu, __m256 bx, __m256 dx) {
  const __m256 s = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(al), bx), _mm256_mul_ps(_mm256_loadu_ps(bl), bx));
  return _mm256_add_ps(_mm256_add_ps(s, _mm256_mul_ps(_mm256_loadu_ps(au), dx)),
                       _mm256_mul_ps(_mm256_loadu_ps(bu), dx));
}

static inline void store8(uint8_t* y, __m256 v, const mna_resize_q8_params* p, __m256 zi, __m256 ratio, __m256i zo,
                          __m256i lo, __m256i hi) {
  if (p->requant) v = _mm256_mul_ps(_mm256_sub_ps(v, zi), ratio);
  __m256i t = _mm256_cvttps_epi32(v);
  const __m256 frac = _mm256_sub_ps(v, _mm256_cvtepi32_ps(t));
  /* the compare masks are -1 where true */
  t = _mm256_sub_epi32(t, _mm256_castps_si256(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ)));
  t = _mm256_add_epi32(t, _mm256_castps_si256(_mm256_cmp_ps(frac, _mm256_set1_ps(-0.5f), _CMP_LE_OQ)));
  t = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(t, zo), lo), hi);
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
  _mm_storel_epi64((__m128i*)y, p->sgn ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w));
}

void mna_resize_row_q8__avx2(size_t ow, size_t c, const float* a, const float* b, const int32_t* xlo,
                             const int32_t* xhi, const float* xfrac, const mna_resize_q8_params* p, uint8_t* y) {
  if (c < 8) {
    mna_resize_row_q8__scalar(ow, c, a, b, xlo, xhi, xfrac, p, y);
    return;
  }
  const __m256 zi = _mm256_set1_ps(p->zi), ratio = _mm256_set1_ps(p->ratio);
  const __m256i zo = _mm256_set1_epi32(p->requant ? p->zo : 0), lo = _mm256_set1_epi32(p->lo),
                hi = _mm256_set1_epi32(p->hi);
  for (size_t ox = 0; ox < ow; ox++, y += c) {
    const __m256 dx = _mm256_set1_ps(xfrac[ox]), bx = _mm256_set1_ps(1 - xfrac[ox]);
    const float *al = a + (size_t)xlo[ox] * c, *bl = b + (size_t)xlo[ox] * c;
    const float *au = a + (size_t)xhi[ox] * c, *bu = b + (size_t)xhi[ox] * c;
    for (size_t k = 0;; k += 8) {
      if (k + 8 > c) k = c - 8;
      store8(y + k, row8(al + k, bl + k, au + k, bu + k, bx, dx), p, zi, ratio, zo, lo, hi);
      if (k + 8 == c) break;
    }
  }
}

void mna_resize_row_f32__avx2(size_t ow, size_t c, const float* a, const float* b, const int32_t* xlo,
                              const int32_t* xhi, const float* xfrac, float* y) {
  if (c < 8) {
    mna_resize_row_f32__scalar(ow, c, a, b, xlo, xhi, xfrac, y);
    return;
  }
  for (size_t ox = 0; ox < ow; ox++, y += c) {
    const __m256 dx = _mm256_set1_ps(xfrac[ox]), bx = _mm256_set1_ps(1 - xfrac[ox]);
    const float *al = a + (size_t)xlo[ox] * c, *bl = b + (size_t)xlo[ox] * c;
    const float *au = a + (size_t)xhi[ox] * c, *bu = b + (size_t)xhi[ox] * c;
    for (size_t k = 0;; k += 8) {
      if (k + 8 > c) k = c - 8;
      _mm256_storeu_ps(y + k, row8(al + k, bl + k, au + k, bu + k, bx, dx));
      if (k + 8 == c) break;
    }
  }
}

void mna_argmax_q8__avx2(size_t n, size_t c, const uint8_t* x, int sgn, int wide, void* out) {
  static const uint8_t ones[64] = {255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
                                   255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255};
  const size_t chunks = (c + 31) / 32, rem = c - 32 * (chunks - 1);
  const __m256i flip = _mm256_set1_epi8(sgn ? (char)0x80 : 0);
  const __m256i tail = _mm256_loadu_si256((const __m256i*)(ones + 32 - rem)); /* lanes < rem */
  const uint32_t tailbits = rem == 32 ? 0xFFFFFFFFu : (1u << rem) - 1;
  /* pixels whose loads stay inside the n * c input bytes */
  const size_t safe = n * c >= 32 * chunks ? (n * c - 32 * chunks) / c + 1 : 0;
  size_t i = 0;
  for (; i < safe && i < n; i++) {
    const uint8_t* px = x + i * c;
    __m256i m = _mm256_setzero_si256();
    for (size_t j = 0; j < chunks; j++) {
      __m256i v = _mm256_xor_si256(_mm256_loadu_si256((const __m256i*)(px + 32 * j)), flip);
      if (j + 1 == chunks) v = _mm256_and_si256(v, tail);
      m = _mm256_max_epu8(m, v);
    }
    __m128i h = _mm_max_epu8(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    h = _mm_max_epu8(h, _mm_srli_si128(h, 8));
    h = _mm_max_epu8(h, _mm_srli_si128(h, 4));
    h = _mm_max_epu8(h, _mm_srli_si128(h, 2));
    h = _mm_max_epu8(h, _mm_srli_si128(h, 1));
    const __m256i best = _mm256_broadcastb_epi8(h);
    size_t arg = 0;
    for (size_t j = 0; j < chunks; j++) {
      __m256i v = _mm256_xor_si256(_mm256_loadu_si256((const __m256i*)(px + 32 * j)), flip);
      uint32_t bits = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, best));
      if (j + 1 == chunks) bits &= tailbits;
      if (bits) {
        arg = 32 * j + (size_t)__builtin_ctz(bits);
        break;
      }
    }
    if (wide)
      ((int64_t*)out)[i] = (int64_t)arg;
    else
      ((int32_t*)out)[i] = (int32_t)arg;
  }
  if (i < n)
    mna_argmax_q8__scalar(n - i, c, x + i * c, sgn, wide,
                          wide ? (void*)((int64_t*)out + i) : (void*)((int32_t*)out + i));
}

static inline __m256i keys8(const float* p, __m256i minmask) {
  const __m256 v = _mm256_loadu_ps(p);
  const __m256i b = _mm256_castps_si256(v);
  __m256i r = _mm256_xor_si256(b, _mm256_and_si256(_mm256_srai_epi32(b, 31), _mm256_set1_epi32(0x7FFFFFFF)));
  r = _mm256_sub_epi32(r, _mm256_cmpeq_epi32(r, _mm256_set1_epi32(-1))); /* -0 (-1) to +0 (0) */
  r = _mm256_xor_si256(r, minmask);                                      /* ~r for the argmin */
  const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  return _mm256_blendv_epi8(r, _mm256_set1_epi32(INT32_MIN), nan); /* NaN below every number */
}

void mna_argmax_f32__avx2(size_t n, size_t c, const float* x, int min, int wide, void* out) {
  if (c < 8) {
    mna_argmax_f32__scalar(n, c, x, min, wide, out);
    return;
  }
  const __m256i minmask = _mm256_set1_epi32(min ? -1 : 0), lowest = _mm256_set1_epi32(INT32_MIN);
  const size_t chunks = (c + 7) / 8, rem = c - 8 * (chunks - 1);
  /* the last chunk is the one ending at c: its first 8 - rem lanes repeat the previous chunk's, dropped below */
  const __m256i keep = _mm256_cmpgt_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32((int)(7 - rem)));
  for (size_t i = 0; i < n; i++) {
    const float* px = x + i * c;
    __m256i m = lowest;
    for (size_t j = 0; j + 1 < chunks; j++) m = _mm256_max_epi32(m, keys8(px + 8 * j, minmask));
    const __m256i last = _mm256_blendv_epi8(lowest, keys8(px + c - 8, minmask), keep);
    m = _mm256_max_epi32(m, last);
    __m128i h = _mm_max_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    h = _mm_max_epi32(h, _mm_shuffle_epi32(h, _MM_SHUFFLE(1, 0, 3, 2)));
    h = _mm_max_epi32(h, _mm_shuffle_epi32(h, _MM_SHUFFLE(2, 3, 0, 1)));
    const __m256i best = _mm256_broadcastd_epi32(h);
    size_t arg = c - 1;
    if (c <= 64) { /* without branches: one bit per channel equal to the best, the first set bit */
      uint64_t bits = 0;
      for (size_t j = 0; j + 1 < chunks; j++)
        bits |= (uint64_t)(uint32_t)_mm256_movemask_ps(
                    _mm256_castsi256_ps(_mm256_cmpeq_epi32(keys8(px + 8 * j, minmask), best)))
                << (8 * j);
      bits |= (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(last, best))) << (c - 8);
      arg = (size_t)__builtin_ctzll(bits);
    } else
      for (size_t j = 0; j < chunks; j++) {
        const int last_chunk = j + 1 == chunks;
        const __m256i v = last_chunk ? last : keys8(px + 8 * j, minmask);
        const uint32_t bits = (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(v, best)));
        if (bits) {
          arg = (last_chunk ? c - 8 : 8 * j) + (size_t)__builtin_ctz(bits);
          break;
        }
      }
    if (px[0] != px[0]) arg = 0; /* a NaN first element stays the answer */
    if (wide)
      ((int64_t*)out)[i] = (int64_t)arg;
    else
      ((int32_t*)out)[i] = (int32_t)arg;
  }
}
