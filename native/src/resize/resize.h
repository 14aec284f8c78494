/* Bilinear resize and argmax row kernels (resize-argmax.c drives them; the AVX2 ones are in resize-argmax-avx2.c).
 *
 * Resize: per output row the two source rows are weighted once, a[k] = x_lo[k] * (1 - dy) and
 * b[k] = x_hi[k] * dy (float32, as the managed reference evaluates x00 * (1 - dy) first), then per output pixel and
 * channel v = a[l] * (1 - dx) + b[l] * (1 - dx) + a[u] * dx + b[u] * dx, summed left to right: the managed
 * reference's products and sums in its order, so every float (and, after the rounding below, every byte) is equal.
 * Integer outputs: v = (v - zi) * ratio when requantizing, then trunc(v) plus one when v - trunc(v) >= 0.5 (minus
 * one when <= -0.5), plus zo when requantizing, clamped to the type. */
#ifndef MNA_RESIZE_H
#define MNA_RESIZE_H
#include <stddef.h>
#include <stdint.h>

typedef struct mna_resize_q8_params {
  int sgn, requant;
  float zi, ratio;
  int32_t zo, lo, hi;
} mna_resize_q8_params;

/* One output row of ow pixels x c channels from the weighted rows a, b (iw * c floats each). */
typedef void (*mna_resize_row_q8)(size_t ow, size_t c, const float* a, const float* b, const int32_t* xlo,
                                  const int32_t* xhi, const float* xfrac, const mna_resize_q8_params* p, uint8_t* y);
typedef void (*mna_resize_row_f32)(size_t ow, size_t c, const float* a, const float* b, const int32_t* xlo,
                                   const int32_t* xhi, const float* xfrac, float* y);
/* out[i] = the index of the first maximum of x[i * c .. i * c + c) for i < n (int8 compared signed); int64 if wide. */
typedef void (*mna_argmax_q8_kernel)(size_t n, size_t c, const uint8_t* x, int sgn, int wide, void* out);

void mna_resize_row_q8__scalar(size_t, size_t, const float*, const float*, const int32_t*, const int32_t*, const float*,
                               const mna_resize_q8_params*, uint8_t*);
void mna_resize_row_f32__scalar(size_t, size_t, const float*, const float*, const int32_t*, const int32_t*,
                                const float*, float*);
void mna_argmax_q8__scalar(size_t, size_t, const uint8_t*, int, int, void*);
/* out[i] = the first index of the largest (min: smallest) of x[i * c .. i * c + c), TFLite's rule: an element
 * replaces the best so far only when it compares strictly greater (less), so -0 equals +0, a NaN never replaces the
 * best and a NaN first element is never replaced (index 0). Over mna_argf32_key's ranks, NaN the lowest. */
typedef void (*mna_argmax_f32_kernel)(size_t n, size_t c, const float* x, int min, int wide, void* out);
void mna_argmax_f32__scalar(size_t, size_t, const float*, int, int, void*);
#if defined(__x86_64__) || defined(_M_X64)
void mna_resize_row_q8__avx2(size_t, size_t, const float*, const float*, const int32_t*, const int32_t*, const float*,
                             const mna_resize_q8_params*, uint8_t*);
void mna_resize_row_f32__avx2(size_t, size_t, const float*, const float*, const int32_t*, const int32_t*, const float*,
                              float*);
void mna_argmax_q8__avx2(size_t, size_t, const uint8_t*, int, int, void*);
void mna_argmax_f32__avx2(size_t, size_t, const float*, int, int, void*);
#endif

/* A float's rank as an int32 (the argmax of the ranks is the float argmax): the sign-magnitude bits made two's
 * complement, -0 (rank -1) made +0 (rank 0); for the argmin the order reversed (~rank); every NaN INT32_MIN, below
 * every number either way (no number's rank or ~rank is INT32_MIN), so it never wins over one; the kernels return 0
 * when the first element is a NaN. Integer operations only: no denormal flushing can change a rank. */
static inline int32_t mna_argf32_key(float v, int min) {
  if (v != v) return INT32_MIN;
  union {
    float f;
    int32_t i;
  } u = {v};
  int32_t r = u.i ^ ((u.i >> 31) & 0x7FFFFFFF);
  if (r == -1) r = 0;
  return min ? ~r : r;
}

/* The rounding of one integer output (the scalar definition every SIMD lane reproduces). */
static inline uint8_t mna_resize_q8_round(float v, const mna_resize_q8_params* p) {
  if (p->requant) v = (v - p->zi) * p->ratio;
  int32_t t = (int32_t)v; /* |v| < 2^24: the caller checks that ratio keeps it so */
  const float frac = v - (float)t;
  t += frac >= 0.5f ? 1 : frac <= -0.5f ? -1 : 0;
  if (p->requant) t += p->zo;
  t = t < p->lo ? p->lo : t > p->hi ? p->hi : t;
  return (uint8_t)t;
}
#endif
