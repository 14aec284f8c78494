/* Vector vocabulary for the templates: AVX-512F, 16 floats. Include only from files
 * compiled with -mavx512f. */
#include <immintrin.h>
typedef __m512 v_t;
#define VLEN 16
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VSET1(x) _mm512_set1_ps(x)
#define VZERO() _mm512_setzero_ps()
#define VFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c)) /* a*b + c, one rounding */
#define VADD(a, b) _mm512_add_ps((a), (b))
#define VMUL(a, b) _mm512_mul_ps((a), (b))
/* max/min return the second operand when either is NaN: NaN in x propagates. */
#define VMAX(lo, x) _mm512_max_ps((lo), (x))
#define VMIN(hi, x) _mm512_min_ps((hi), (x))
static inline v_t vload_partial(const float* p, size_t n) {
  return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1u), p);
}
static inline void vstore_partial(float* p, v_t v, size_t n) {
  _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1u), v);
}
static inline float vhsum(v_t v) { return _mm512_reduce_add_ps(v); }
