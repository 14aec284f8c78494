/* Integer multiply-accumulate throughput probe for bench_q8: 16 independent vpdpbusd zmm (x86-64 AVX-512 VNNI) or
 * 24 sdot (aarch64 dotprod) chains per call. Returns the integer ops done (2 per MAC). Compiled with the ISA's flags. */
#include <stddef.h>
#if defined(__AVX512VNNI__)
#  include <immintrin.h>
double mna_peak_q8_ops(size_t iters) {
  /* 16 chains (latency 5 x 2 ports needs 10): with 24 the compiler adds register moves to the loop */
  __m512i a[16];
  for (int i = 0; i < 16; i++) a[i] = _mm512_set1_epi32(i);
  const __m512i x = _mm512_set1_epi8(3), w = _mm512_set1_epi8(-2);
  for (size_t it = 0; it < iters; it++)
#  pragma GCC unroll 16
    for (int i = 0; i < 16; i++) a[i] = _mm512_dpbusd_epi32(a[i], x, w);
  __m512i s = a[0];
  for (int i = 1; i < 16; i++) s = _mm512_add_epi32(s, a[i]);
  volatile int sink = _mm512_reduce_add_epi32(s);
  (void)sink;
  return (double)iters * 16 * 64 * 2;
}
#elif defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#  include <arm_neon.h>
double mna_peak_q8_ops(size_t iters) {
  int32x4_t a[24];
  for (int i = 0; i < 24; i++) a[i] = vdupq_n_s32(i);
  const int8x16_t x = vdupq_n_s8(3), w = vdupq_n_s8(-2);
  for (size_t it = 0; it < iters; it++)
#  pragma GCC unroll 24
    for (int i = 0; i < 24; i++) a[i] = vdotq_s32(a[i], x, w);
  int32x4_t s = a[0];
  for (int i = 1; i < 24; i++) s = vaddq_s32(s, a[i]);
  volatile int sink = vaddvq_s32(s);
  (void)sink;
  return (double)iters * 24 * 16 * 2;
}
#else
double mna_peak_q8_ops(size_t iters) {
  (void)iters;
  return 0;
}
#endif
