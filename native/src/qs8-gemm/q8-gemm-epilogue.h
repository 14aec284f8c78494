/* Requantization epilogues of the x86 integer GEMM kernels (include from files compiled with AVX2 / AVX-512):
 * the mna.h formula on 8 or 16 int32 lanes, then the low byte of each lane. */
#include <immintrin.h>
#include <string.h>

static inline __m256i q8_requant8(__m256i acc, const float* scale, __m256 lo, __m256 hi, __m256i zp) {
  __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(scale));
  f = _mm256_min_ps(_mm256_max_ps(f, lo), hi);
  return _mm256_add_epi32(_mm256_cvtps_epi32(f), zp);
}

/* The low bytes of 8 int32 lanes, in order, in the low 8 bytes. */
static inline uint64_t q8_bytes8(__m256i v) {
  const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1,
                                        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i b = _mm256_shuffle_epi8(v, pick);
  const __m128i lo = _mm256_castsi256_si128(b), hi = _mm256_extracti128_si256(b, 1);
  return (uint64_t)(uint32_t)_mm_cvtsi128_si32(lo) | ((uint64_t)(uint32_t)_mm_cvtsi128_si32(hi) << 32);
}

static inline void q8_store_bytes(uint8_t* dst, uint64_t v, size_t n) {
  if (n >= 8)
    memcpy(dst, &v, 8);
  else
    for (size_t i = 0; i < n; i++) dst[i] = (uint8_t)(v >> (8 * i));
}

/* 4 input bytes at p as one int32 (k tail: only n < 4 bytes exist, the rest read as 0). */
static inline int32_t q8_load4(const uint8_t* p, size_t n) {
  uint32_t v = 0;
  if (n >= 4) {
    memcpy(&v, p, 4);
    return (int32_t)v;
  }
  /* byte by byte: a variable-length memcpy would be a library call in the k tail */
  if (n > 2) v |= (uint32_t)p[2] << 16;
  if (n > 1) v |= (uint32_t)p[1] << 8;
  if (n > 0) v |= (uint32_t)p[0];
  return (int32_t)v;
}
