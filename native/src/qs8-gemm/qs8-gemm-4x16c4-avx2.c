/* Integer GEMM microkernel, AVX2 without VNNI: 4 rows x 16 columns, vpmaddwd on widened c4-packed bytes.
 * Also the AVX2 row sum (vpsadbw). */
#include "common/q8-ukernels.h"
#include "qs8-gemm/q8-gemm-epilogue.h"

#define Q8_FN mna_q8_gemm_ukernel_4x16c4__avx2
#define Q8_XOR 0
#define Q8_VNNI 0
#include "qs8-gemm/q8-gemm-avx2-template.h"

#define Q8_FN mna_q8_gemm_ukernel_4x16c4_x__avx2
#define Q8_XOR 1
#define Q8_VNNI 0
#include "qs8-gemm/q8-gemm-avx2-template.h"

static inline uint32_t rowsum1(size_t n, const uint8_t* a, int xor80) {
  const __m256i flip = _mm256_set1_epi8(xor80 ? (char)0x80 : 0), zero = _mm256_setzero_si256();
  __m256i acc = zero;
  size_t i = 0;
  for (; i + 32 <= n; i += 32)
    acc = _mm256_add_epi64(acc,
                           _mm256_sad_epu8(_mm256_xor_si256(_mm256_loadu_si256((const __m256i*)(a + i)), flip), zero));
  const __m128i s2 = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  uint32_t s = (uint32_t)(_mm_cvtsi128_si64(s2) + _mm_extract_epi64(s2, 1));
  const uint8_t x = xor80 ? 0x80 : 0;
  for (; i < n; i++) s += (uint8_t)(a[i] ^ x);
  return s;
}

void mna_q8_rowsum_ukernel__avx2(size_t m, size_t n, const uint8_t* a, size_t stride, int xor80, int32_t dv,
                                 int32_t* out) {
  for (size_t r = 0; r < m; r++) out[r] = (int32_t)(rowsum1(n, a + r * stride, xor80) * (uint32_t)dv);
}
