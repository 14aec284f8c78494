/* Integer GEMM microkernel, AVX-512 VNNI: 7 rows x 32 columns, vpdpbusd on c4-packed int8 weights. */
#include "common/q8-ukernels.h"
#include "qs8-gemm/q8-gemm-epilogue.h"

#define Q8_FN mna_q8_gemm_ukernel_7x32c4__avx512vnni
#define Q8_XOR 0
#include "qs8-gemm/q8-gemm-avx512vnni-template.h"

#define Q8_FN mna_q8_gemm_ukernel_7x32c4_x__avx512vnni
#define Q8_XOR 1
#include "qs8-gemm/q8-gemm-avx512vnni-template.h"

/* Row sums for the per-pixel term: vpsadbw over 64-byte chunks, masked tail (no byte past a row's end is read;
 * the masked XOR leaves missing bytes 0). */
void mna_q8_rowsum_ukernel__avx512(size_t m, size_t n, const uint8_t* a, size_t stride, int xor80, int32_t dv,
                                   int32_t* out) {
  const __m512i flip = _mm512_set1_epi8(xor80 ? (char)0x80 : 0), zero = _mm512_setzero_si512();
  const size_t full = n & ~(size_t)63;
  const __mmask64 tail = n > full ? (__mmask64)(~0ull >> (64 - (n - full))) : 0;
  const __m512i tflip = _mm512_maskz_mov_epi8(tail, flip);
  for (size_t r = 0; r < m; r++) {
    const uint8_t* row = a + r * stride;
    __m512i acc = zero;
    for (size_t i = 0; i < full; i += 64)
      acc = _mm512_add_epi64(acc, _mm512_sad_epu8(_mm512_xor_si512(_mm512_loadu_si512(row + i), flip), zero));
    if (tail)
      acc = _mm512_add_epi64(acc, _mm512_sad_epu8(_mm512_xor_si512(_mm512_maskz_loadu_epi8(tail, row + full), tflip), zero));
    out[r] = (int32_t)((uint32_t)_mm512_reduce_add_epi64(acc) * (uint32_t)dv);
  }
}
