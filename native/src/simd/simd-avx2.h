/* Vector vocabulary for the templates: AVX2 + FMA3, 8 floats. Include only from files
 * compiled with -mavx2 -mfma. */
#include <immintrin.h>
typedef __m256 v_t;
#define VLEN 8
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define VSET1(x) _mm256_set1_ps(x)
#define VZERO() _mm256_setzero_ps()
#define VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define VADD(a, b) _mm256_add_ps((a), (b))
#define VMUL(a, b) _mm256_mul_ps((a), (b))
#define VMAX(lo, x) _mm256_max_ps((lo), (x))
#define VMIN(hi, x) _mm256_min_ps((hi), (x))
static const int32_t mna_avx2_mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
static inline __m256i vmask(size_t n) { return _mm256_loadu_si256((const __m256i*)&mna_avx2_mask_table[8 - n]); }
/* masked loads never touch the masked-out lanes' memory */
static inline v_t vload_partial(const float* p, size_t n) { return _mm256_maskload_ps(p, vmask(n)); }
static inline void vstore_partial(float* p, v_t v, size_t n) { _mm256_maskstore_ps(p, vmask(n), v); }
static inline float vhsum(v_t v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
