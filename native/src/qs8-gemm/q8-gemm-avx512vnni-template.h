/* Body of the 7x32c4 / 7x16c4 AVX-512 VNNI integer GEMM microkernels (q8-ukernels.h); define Q8_FN, Q8_XOR (0 or 1)
 * and Q8_NV (2: 32 columns, 1: 16 columns, the half-width last panel). */
void Q8_FN(size_t mr, size_t nc, size_t kc, const uint8_t* a, size_t a_stride, const void* w, uint8_t* c,
           size_t c_stride, const int32_t* rowterm, const mna_q8_rq* rq) {
  const uint8_t* a0 = a;
  const uint8_t* a1 = mr > 1 ? a0 + a_stride : a0;
  const uint8_t* a2 = mr > 2 ? a1 + a_stride : a1;
  const uint8_t* a3 = mr > 3 ? a2 + a_stride : a2;
  const uint8_t* a4 = mr > 4 ? a3 + a_stride : a3;
  const uint8_t* a5 = mr > 5 ? a4 + a_stride : a4;
  const uint8_t* a6 = mr > 6 ? a5 + a_stride : a5;
  const int32_t* bias = (const int32_t*)w;
  const float* scale = (const float*)w + 16 * Q8_NV;
  const uint8_t* pw = (const uint8_t*)w + 16 * Q8_NV * 8;
#if Q8_NV == 2
  __m512i c00 = _mm512_loadu_si512(bias), c01 = _mm512_loadu_si512(bias + 16);
#else
  __m512i c00 = _mm512_loadu_si512(bias), c01 = _mm512_setzero_si512();
#endif
  __m512i c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
  __m512i c40 = c00, c41 = c01, c50 = c00, c51 = c01, c60 = c00, c61 = c01;
#if Q8_XOR
  const __m512i flip = _mm512_set1_epi32((int32_t)0x80808080u);
#  define Q8_B(v) _mm512_xor_si512(_mm512_set1_epi32(v), flip)
#else
#  define Q8_B(v) _mm512_set1_epi32(v)
#endif
#if Q8_NV == 2
#  define Q8_W1 const __m512i w1 = _mm512_loadu_si512(pw + 64);
#  define Q8_D1(acc, x) acc = _mm512_dpbusd_epi32(acc, x, w1);
#else
#  define Q8_W1
#  define Q8_D1(acc, x)
#endif
#define Q8_STEP(l0, l1, l2, l3, l4, l5, l6)    \
  {                                            \
    const __m512i w0 = _mm512_loadu_si512(pw); \
    Q8_W1                                      \
    pw += 64 * Q8_NV;                          \
    __m512i x = Q8_B(l0);                      \
    c00 = _mm512_dpbusd_epi32(c00, x, w0);     \
    Q8_D1(c01, x)                              \
    x = Q8_B(l1);                              \
    c10 = _mm512_dpbusd_epi32(c10, x, w0);     \
    Q8_D1(c11, x)                              \
    x = Q8_B(l2);                              \
    c20 = _mm512_dpbusd_epi32(c20, x, w0);     \
    Q8_D1(c21, x)                              \
    x = Q8_B(l3);                              \
    c30 = _mm512_dpbusd_epi32(c30, x, w0);     \
    Q8_D1(c31, x)                              \
    x = Q8_B(l4);                              \
    c40 = _mm512_dpbusd_epi32(c40, x, w0);     \
    Q8_D1(c41, x)                              \
    x = Q8_B(l5);                              \
    c50 = _mm512_dpbusd_epi32(c50, x, w0);     \
    Q8_D1(c51, x)                              \
    x = Q8_B(l6);                              \
    c60 = _mm512_dpbusd_epi32(c60, x, w0);     \
    Q8_D1(c61, x)                              \
  }
  size_t k = 0;
  for (; k + 4 <= kc; k += 4)
    Q8_STEP(q8_load4(a0 + k, 4), q8_load4(a1 + k, 4), q8_load4(a2 + k, 4), q8_load4(a3 + k, 4), q8_load4(a4 + k, 4),
            q8_load4(a5 + k, 4), q8_load4(a6 + k, 4))
  if (k < kc) {
    const size_t t = kc - k;
    /* the XOR turns the missing (zero) bytes into 0x80: their packed weights are 0, so they add nothing */
    Q8_STEP(q8_load4(a0 + k, t), q8_load4(a1 + k, t), q8_load4(a2 + k, t), q8_load4(a3 + k, t), q8_load4(a4 + k, t),
            q8_load4(a5 + k, t), q8_load4(a6 + k, t))
  }
#undef Q8_STEP
#undef Q8_B
#undef Q8_W1
#undef Q8_D1
  if (rowterm) {
    const size_t last = mr - 1;
#define Q8_RT(i, r0, r1)                                                   \
  {                                                                        \
    const __m512i t = _mm512_set1_epi32(rowterm[(i) < last ? (i) : last]); \
    r0 = _mm512_add_epi32(r0, t);                                          \
    r1 = _mm512_add_epi32(r1, t);                                          \
  }
    /* Unformatted: rows of statement-like macro calls (clang-format would reflow them) */
    // clang-format off
    Q8_RT(0, c00, c01) Q8_RT(1, c10, c11) Q8_RT(2, c20, c21) Q8_RT(3, c30, c31) Q8_RT(4, c40, c41)
    Q8_RT(5, c50, c51) Q8_RT(6, c60, c61)
    // clang-format on
#undef Q8_RT
  }
  const __m512 lo = _mm512_set1_ps(rq->lo), hi = _mm512_set1_ps(rq->hi);
  const __m512 s0 = _mm512_loadu_ps(scale), s1 = Q8_NV == 2 ? _mm512_loadu_ps(scale + 16) : _mm512_setzero_ps();
  const __m512i zp = _mm512_set1_epi32(rq->zp);
  const __mmask16 m0 = nc >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nc) - 1u);
  const __mmask16 m1 = nc >= 32 ? (__mmask16)0xFFFF : nc > 16 ? (__mmask16)((1u << (nc - 16)) - 1u) : (__mmask16)0;
/* Unformatted: clang-format reads `(i) * c_stride` as a cast and reflows the rows of statement-like macro calls */
// clang-format off
#define Q8_OUT(i, r0, r1)                                                                                     \
  if ((i) < mr) {                                                                                             \
    uint8_t* dst = c + (i) * c_stride;                                                                        \
    __m512 f0 = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(r0), s0), lo), hi);              \
    __m512 f1 = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(r1), s1), lo), hi);              \
    _mm_mask_storeu_epi8(dst, m0, _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(f0), zp)));        \
    if (Q8_NV == 2)                                                                                           \
      _mm_mask_storeu_epi8(dst + 16, m1, _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(f1), zp))); \
  }
  Q8_OUT(0, c00, c01) Q8_OUT(1, c10, c11) Q8_OUT(2, c20, c21) Q8_OUT(3, c30, c31) Q8_OUT(4, c40, c41)
  Q8_OUT(5, c50, c51) Q8_OUT(6, c60, c61)
  // clang-format on
#undef Q8_OUT
}
#undef Q8_FN
#undef Q8_XOR
#undef Q8_NV
