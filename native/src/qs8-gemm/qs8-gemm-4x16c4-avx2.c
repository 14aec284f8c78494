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

int32_t mna_q8_rowsum_ukernel__avx2(size_t n, const uint8_t* a, int xor80) {
  const __m256i flip = _mm256_set1_epi8(xor80 ? (char)0x80 : 0), zero = _mm256_setzero_si256();
  __m256i acc = zero;
  size_t i = 0;
  for (; i + 32 <= n; i += 32)
    acc = _mm256_add_epi64(acc, _mm256_sad_epu8(_mm256_xor_si256(_mm256_loadu_si256((const __m256i*)(a + i)), flip),
                                                zero));
  int64_t lanes[4];
  _mm256_storeu_si256((__m256i*)lanes, acc);
  uint32_t s = (uint32_t)(lanes[0] + lanes[1] + lanes[2] + lanes[3]);
  const uint8_t x = xor80 ? 0x80 : 0;
  for (; i < n; i++) s += (uint8_t)(a[i] ^ x);
  return (int32_t)s;
}
