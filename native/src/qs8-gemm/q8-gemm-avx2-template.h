/* Body of the 4x16c4 ymm integer GEMM microkernel (q8-ukernels.h). Define Q8_FN, Q8_XOR (0 or 1) and Q8_VNNI:
 * 1 = vpdpbusd (AVX-VNNI), 0 = AVX2 without VNNI: u8 x s8 as two vpmaddwd on the even and odd bytes widened to
 * int16 (exact: |u * v| <= 255 * 128, a pair fits int32; vpmaddubsw would saturate). */
void Q8_FN(size_t mr, size_t nc, size_t kc, const uint8_t* a, size_t a_stride, const void* w, uint8_t* c,
           size_t c_stride, const int32_t* rowterm, const mna_q8_rq* rq) {
  const uint8_t* a0 = a;
  const uint8_t* a1 = mr > 1 ? a0 + a_stride : a0;
  const uint8_t* a2 = mr > 2 ? a1 + a_stride : a1;
  const uint8_t* a3 = mr > 3 ? a2 + a_stride : a2;
  const int32_t* bias = (const int32_t*)w;
  const float* scale = (const float*)w + 16;
  const uint8_t* pw = (const uint8_t*)w + 16 * 8;
  __m256i c00 = _mm256_loadu_si256((const __m256i*)bias), c01 = _mm256_loadu_si256((const __m256i*)(bias + 8));
  __m256i c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
#if Q8_XOR
  const __m256i flip = _mm256_set1_epi32((int32_t)0x80808080u);
#  define Q8_B(v) _mm256_xor_si256(_mm256_set1_epi32(v), flip)
#else
#  define Q8_B(v) _mm256_set1_epi32(v)
#endif
#if Q8_VNNI
#  define Q8_WPREP(w0, w1)
#  define Q8_ROW(r0, r1, l)                    \
    {                                          \
      const __m256i x = Q8_B(l);               \
      r0 = _mm256_dpbusd_avx_epi32(r0, x, w0); \
      r1 = _mm256_dpbusd_avx_epi32(r1, x, w1); \
    }
#else
  const __m256i low = _mm256_set1_epi16(0x00FF);
#  define Q8_WPREP(w0, w1)                                              \
    const __m256i w0e = _mm256_srai_epi16(_mm256_slli_epi16(w0, 8), 8); \
    const __m256i w0o = _mm256_srai_epi16(w0, 8);                       \
    const __m256i w1e = _mm256_srai_epi16(_mm256_slli_epi16(w1, 8), 8); \
    const __m256i w1o = _mm256_srai_epi16(w1, 8);
#  define Q8_ROW(r0, r1, l)                                                                                \
    {                                                                                                      \
      const __m256i x = Q8_B(l);                                                                           \
      const __m256i xe = _mm256_and_si256(x, low), xo = _mm256_srli_epi16(x, 8);                           \
      r0 = _mm256_add_epi32(r0, _mm256_add_epi32(_mm256_madd_epi16(xe, w0e), _mm256_madd_epi16(xo, w0o))); \
      r1 = _mm256_add_epi32(r1, _mm256_add_epi32(_mm256_madd_epi16(xe, w1e), _mm256_madd_epi16(xo, w1o))); \
    }
#endif
#define Q8_STEP(l0, l1, l2, l3)                                       \
  {                                                                   \
    const __m256i w0 = _mm256_loadu_si256((const __m256i*)pw);        \
    const __m256i w1 = _mm256_loadu_si256((const __m256i*)(pw + 32)); \
    pw += 64;                                                         \
    Q8_WPREP(w0, w1)                                                  \
    Q8_ROW(c00, c01, l0)                                              \
    Q8_ROW(c10, c11, l1)                                              \
    Q8_ROW(c20, c21, l2)                                              \
    Q8_ROW(c30, c31, l3)                                              \
  }
  size_t k = 0;
  for (; k + 4 <= kc; k += 4)
    Q8_STEP(q8_load4(a0 + k, 4), q8_load4(a1 + k, 4), q8_load4(a2 + k, 4), q8_load4(a3 + k, 4))
  if (k < kc) {
    const size_t t = kc - k; /* missing bytes read as 0 (0x80 after the XOR): their packed weights are 0 */
    Q8_STEP(q8_load4(a0 + k, t), q8_load4(a1 + k, t), q8_load4(a2 + k, t), q8_load4(a3 + k, t))
  }
#undef Q8_STEP
#undef Q8_ROW
#undef Q8_WPREP
#undef Q8_B
  if (rowterm) {
    const size_t last = mr - 1;
#define Q8_RT(i, r0, r1)                                                   \
  {                                                                        \
    const __m256i t = _mm256_set1_epi32(rowterm[(i) < last ? (i) : last]); \
    r0 = _mm256_add_epi32(r0, t);                                          \
    r1 = _mm256_add_epi32(r1, t);                                          \
  }
    Q8_RT(0, c00, c01) Q8_RT(1, c10, c11) Q8_RT(2, c20, c21) Q8_RT(3, c30, c31)
#undef Q8_RT
  }
  const __m256 lo = _mm256_set1_ps(rq->lo), hi = _mm256_set1_ps(rq->hi);
  const __m256i zp = _mm256_set1_epi32(rq->zp);
/* Unformatted: clang-format reads `(i) * c_stride` as a cast */
// clang-format off
#define Q8_OUT(i, r0, r1)                                                                           \
  if ((i) < mr) {                                                                                   \
    uint8_t* dst = c + (i) * c_stride;                                                              \
    q8_store_bytes(dst, q8_bytes8(q8_requant8(r0, scale, lo, hi, zp)), nc);                         \
    if (nc > 8) q8_store_bytes(dst + 8, q8_bytes8(q8_requant8(r1, scale + 8, lo, hi, zp)), nc - 8); \
  }
  Q8_OUT(0, c00, c01) Q8_OUT(1, c10, c11) Q8_OUT(2, c20, c21) Q8_OUT(3, c30, c31)
  // clang-format on
#undef Q8_OUT
}
#undef Q8_FN
#undef Q8_XOR
#undef Q8_VNNI
