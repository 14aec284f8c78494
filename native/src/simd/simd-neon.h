/* Vector vocabulary for the templates: aarch64 NEON (ASIMD), 4 floats. */
#include <arm_neon.h>
#include <string.h>
typedef float32x4_t v_t;
#define VLEN 4
#define VLOAD(p) vld1q_f32(p)
#define VSTORE(p, v) vst1q_f32((p), (v))
#define VSET1(x) vdupq_n_f32(x)
#define VZERO() vdupq_n_f32(0.0f)
#define VFMA(a, b, c) vfmaq_f32((c), (a), (b)) /* c + a*b, one rounding */
#define VADD(a, b) vaddq_f32((a), (b))
#define VMUL(a, b) vmulq_f32((a), (b))
#define VMAX(lo, x) vmaxq_f32((lo), (x)) /* NaN propagates */
#define VMIN(hi, x) vminq_f32((hi), (x))
static inline v_t vload_partial(const float* p, size_t n) {
  float t[4] = {0, 0, 0, 0};
  memcpy(t, p, n * sizeof(float));
  return vld1q_f32(t);
}
static inline void vstore_partial(float* p, v_t v, size_t n) {
  float t[4];
  vst1q_f32(t, v);
  memcpy(p, t, n * sizeof(float));
}
static inline float vhsum(v_t v) { return vaddvq_f32(v); }
