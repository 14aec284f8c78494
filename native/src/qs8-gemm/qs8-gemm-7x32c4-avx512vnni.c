/* Integer GEMM microkernels, AVX-512 VNNI: 7 rows x 32 columns (and 7 x 16 for a narrow last panel), vpdpbusd on
 * c4-packed int8 weights. */
#include "common/q8-ukernels.h"
#include "qs8-gemm/q8-gemm-epilogue.h"

#define Q8_FN mna_q8_gemm_ukernel_7x32c4__avx512vnni
#define Q8_XOR 0
#define Q8_NV 2
#include "qs8-gemm/q8-gemm-avx512vnni-template.h"

#define Q8_FN mna_q8_gemm_ukernel_7x32c4_x__avx512vnni
#define Q8_XOR 1
#define Q8_NV 2
#include "qs8-gemm/q8-gemm-avx512vnni-template.h"

/* the half-width last panel (N % 32 in [1, 16]) */
#define Q8_FN mna_q8_gemm_ukernel_7x16c4__avx512vnni
#define Q8_XOR 0
#define Q8_NV 1
#include "qs8-gemm/q8-gemm-avx512vnni-template.h"

#define Q8_FN mna_q8_gemm_ukernel_7x16c4_x__avx512vnni
#define Q8_XOR 1
#define Q8_NV 1
#include "qs8-gemm/q8-gemm-avx512vnni-template.h"

/* Row sums for the per-pixel term: vpsadbw over 64-byte chunks with a masked tail (no byte past a row's end is read;
 * the masked XOR leaves missing bytes 0), then up to 8 rows reduced together by a transposing add tree (one store)
 * instead of one horizontal reduction per row. */
void mna_q8_rowsum_ukernel__avx512(size_t m, size_t n, const uint8_t* a, size_t stride, int xor80, int32_t dv,
                                   int32_t* out) {
  const __m512i flip = _mm512_set1_epi8(xor80 ? (char)0x80 : 0), zero = _mm512_setzero_si512();
  const size_t full = n & ~(size_t)63;
  const __mmask64 tail = n > full ? (__mmask64)(~0ull >> (64 - (n - full))) : 0;
  const __m512i tflip = _mm512_maskz_mov_epi8(tail, flip);
  const __m256i vdv = _mm256_set1_epi32(dv);
  for (size_t r0 = 0; r0 < m; r0 += 8) {
    const size_t rows = m - r0 < 8 ? m - r0 : 8;
    __m512i s[8];
    for (size_t r = 0; r < 8; r++) {
      s[r] = zero;
      if (r >= rows) continue;
      const uint8_t* row = a + (r0 + r) * stride;
      for (size_t i = 0; i < full; i += 64)
        s[r] = _mm512_add_epi64(s[r], _mm512_sad_epu8(_mm512_xor_si512(_mm512_loadu_si512(row + i), flip), zero));
      if (tail)
        s[r] = _mm512_add_epi64(
            s[r], _mm512_sad_epu8(_mm512_xor_si512(_mm512_maskz_loadu_epi8(tail, row + full), tflip), zero));
    }
    /* pairs -> per-lane (row a, row b) partial sums; then lanes summed across the pairs: qword r = row r's sum */
    __m512i t[4];
    for (int i = 0; i < 4; i++)
      t[i] = _mm512_add_epi64(_mm512_unpacklo_epi64(s[2 * i], s[2 * i + 1]),
                              _mm512_unpackhi_epi64(s[2 * i], s[2 * i + 1]));
    const __m512i v01 =
        _mm512_add_epi64(_mm512_shuffle_i64x2(t[0], t[1], 0x88), _mm512_shuffle_i64x2(t[0], t[1], 0xDD));
    const __m512i v23 =
        _mm512_add_epi64(_mm512_shuffle_i64x2(t[2], t[3], 0x88), _mm512_shuffle_i64x2(t[2], t[3], 0xDD));
    const __m512i w = _mm512_add_epi64(_mm512_shuffle_i64x2(v01, v23, 0x88), _mm512_shuffle_i64x2(v01, v23, 0xDD));
    const __m256i sums = _mm256_mullo_epi32(_mm512_cvtepi64_epi32(w), vdv); /* modulo 2^32 */
    _mm256_mask_storeu_epi32(out + r0, (__mmask8)((1u << rows) - 1u), sums);
  }
}
