/* FMA-throughput peak probe for bench_fast: 24 independent accumulator chains per thread
 * (enough to cover latency x ports on current cores). Compiled with the ISA's flags. */
#include <stddef.h>
#if defined(__AVX512F__)
#  include <immintrin.h>
double mna_peak_fma_flops(size_t iters) {
  __m512 a[24];
  for (int i = 0; i < 24; i++) a[i] = _mm512_set1_ps(1.0f + 1e-7f * (float)i);
  const __m512 m = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
  for (size_t it = 0; it < iters; it++)
#  pragma GCC unroll 24
    for (int i = 0; i < 24; i++) a[i] = _mm512_fmadd_ps(a[i], m, c);
  __m512 s = a[0];
  for (int i = 1; i < 24; i++) s = _mm512_add_ps(s, a[i]);
  volatile float sink = _mm512_reduce_add_ps(s);
  (void)sink;
  return (double)iters * 24 * 16 * 2;
}
#elif defined(__aarch64__)
#  include <arm_neon.h>
double mna_peak_fma_flops(size_t iters) {
  float32x4_t a[24];
  for (int i = 0; i < 24; i++) a[i] = vdupq_n_f32(1.0f + 1e-7f * (float)i);
  const float32x4_t m = vdupq_n_f32(0.9999999f), c = vdupq_n_f32(1e-7f);
  for (size_t it = 0; it < iters; it++)
#  pragma GCC unroll 24
    for (int i = 0; i < 24; i++) a[i] = vfmaq_f32(c, a[i], m);
  float32x4_t s = a[0];
  for (int i = 1; i < 24; i++) s = vaddq_f32(s, a[i]);
  volatile float sink = vaddvq_f32(s);
  (void)sink;
  return (double)iters * 24 * 4 * 2;
}
#else
double mna_peak_fma_flops(size_t iters) {
  (void)iters;
  return 0;
}
#endif
