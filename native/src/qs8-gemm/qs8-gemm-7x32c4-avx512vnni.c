/* Integer GEMM microkernel, AVX-512 VNNI: 7 rows x 32 columns, vpdpbusd on c4-packed int8 weights. */
#include "common/q8-ukernels.h"
#include "qs8-gemm/q8-gemm-epilogue.h"

#define Q8_FN mna_q8_gemm_ukernel_7x32c4__avx512vnni
#define Q8_XOR 0
#include "qs8-gemm/q8-gemm-avx512vnni-template.h"

#define Q8_FN mna_q8_gemm_ukernel_7x32c4_x__avx512vnni
#define Q8_XOR 1
#include "qs8-gemm/q8-gemm-avx512vnni-template.h"

int32_t mna_q8_rowsum_ukernel__avx512(size_t n, const uint8_t* a, int xor80) {
  const __m512i flip = _mm512_set1_epi8(xor80 ? (char)0x80 : 0), zero = _mm512_setzero_si512();
  __m512i acc = zero;
  size_t i = 0;
  for (; i + 64 <= n; i += 64)
    acc = _mm512_add_epi64(acc, _mm512_sad_epu8(_mm512_xor_si512(_mm512_loadu_si512(a + i), flip), zero));
  uint32_t s = (uint32_t)_mm512_reduce_add_epi64(acc);
  const uint8_t x = xor80 ? 0x80 : 0;
  for (; i < n; i++) s += (uint8_t)(a[i] ^ x);
  return (int32_t)s;
}
