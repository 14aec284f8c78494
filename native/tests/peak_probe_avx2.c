/* AVX2 + FMA3 FMA-throughput peak probe for bench_fast on x86 CPUs without AVX-512: 12 chains
 * of 8 floats cover 2 FMA ports x 5-cycle latency (Zen 2) or 2 x 4 (Intel). Compiled with
 * -mavx2 -mfma only (peak_probe.c is built for AVX-512). */
#include <stddef.h>
#if defined(__AVX2__) && defined(__FMA__)
#  include <immintrin.h>
double mna_peak_fma_flops_avx2(size_t iters) {
  __m256 a[12];
  for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps(1.0f + 1e-7f * (float)i);
  const __m256 m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
  for (size_t it = 0; it < iters; it++)
#  pragma GCC unroll 12
    for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], m, c);
  __m256 s = a[0];
  for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, a[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  volatile float sink = out[0];
  (void)sink;
  return (double)iters * 12 * 8 * 2;
}
#else
double mna_peak_fma_flops_avx2(size_t iters) {
  (void)iters;
  return 0;
}
#endif
