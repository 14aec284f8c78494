/* Argument checks shared by the quantized entry points (api-quant.c, api-q8*.c): each returns MNA_OK or sets the
 * error message naming the function and the argument and returns the status. Declared in api-quant.h. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>

#include "common/common.h"
#include "api-quant.h"

#define TRY(expr)                        \
  do {                                   \
    const mna_status try_s_ = (expr);    \
    if (try_s_ != MNA_OK) return try_s_; \
  } while (0)

mna_status q_ptr(const char* fn, const char* name, const void* ptr) {
  if (!ptr) return mna_set_error(MNA_ERR_NULL_POINTER, "%s: %s is NULL", fn, name);
  return MNA_OK;
}

mna_status q_positive(const char* fn, const char* name, int64_t v) {
  if (v < 1) return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: %s %" PRId64 " must be >= 1", fn, name, v);
  return MNA_OK;
}

mna_status q_nonneg(const char* fn, const char* name, int64_t v) {
  if (v < 0) return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: %s %" PRId64 " must be >= 0", fn, name, v);
  return MNA_OK;
}

mna_status q_product(const char* fn, const char* what, int64_t a, int64_t b, int64_t c, int64_t d, int64_t* out) {
  int64_t n;
  if (__builtin_mul_overflow(a, b, &n) || __builtin_mul_overflow(n, c, &n) || __builtin_mul_overflow(n, d, &n) ||
      n > MNA_MAX_ELEMENTS)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: size %s overflows (max %" PRId64 " elements)", fn, what,
                         MNA_MAX_ELEMENTS);
  *out = n;
  return MNA_OK;
}

mna_status q_len(const char* fn, const char* name, size_t len, int64_t required) {
  if ((uint64_t)len < (uint64_t)required)
    return mna_set_error(MNA_ERR_BUFFER_TOO_SMALL, "%s: %s %zu < required %" PRId64, fn, name, len, required);
  return MNA_OK;
}

/* Value within the activation type's range. */
mna_status q_range(const char* fn, const char* name, int32_t v, int sgn) {
  const int32_t lo = sgn ? -128 : 0, hi = sgn ? 127 : 255;
  if (v < lo || v > hi)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: %s %d is outside [%d, %d]", fn, name, (int)v, (int)lo, (int)hi);
  return MNA_OK;
}

mna_status q_clamp(const char* fn, int32_t mn, int32_t mx, int sgn) {
  TRY(q_range(fn, "output_min", mn, sgn));
  TRY(q_range(fn, "output_max", mx, sgn));
  if (mn > mx)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: output_min %d > output_max %d", fn, (int)mn, (int)mx);
  return MNA_OK;
}

mna_status q_scale(const char* fn, const char* name, float s) {
  if (!(s > 0.0f) || !isfinite(s))
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: %s %g must be positive and finite", fn, name, (double)s);
  return MNA_OK;
}

static int q_overlap(const void* a, int64_t an, const void* b, int64_t bn) {
  if (!a || !b) return 0;
  const uintptr_t a0 = (uintptr_t)a, a1 = a0 + (uintptr_t)an, b0 = (uintptr_t)b, b1 = b0 + (uintptr_t)bn;
  return a0 < b1 && b0 < a1;
}

mna_status q_no_overlap(const char* fn, const void* out, int64_t out_bytes, const char* name, const void* in,
                        int64_t in_bytes, int in_place) {
  if (in_place && out == in && out_bytes == in_bytes) return MNA_OK;
  if (q_overlap(out, out_bytes, in, in_bytes))
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: output overlaps %s", fn, name);
  return MNA_OK;
}

mna_status q_window(const char* fn, const char* dim, int64_t in, int64_t pa, int64_t pb, int64_t k, int64_t s,
                    int32_t* out) {
  const int64_t padded = in + pa + pb;
  if (padded < k)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: kernel %s %" PRId64 " > padded input %" PRId64, fn, dim, k,
                         padded);
  const int64_t o = (padded - k) / s + 1;
  if (o > INT32_MAX) return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: out_%s exceeds INT32_MAX", fn, dim);
  *out = (int32_t)o;
  return MNA_OK;
}

mna_status q_conv_params(const char* fn, const mna_conv2d_params* p, int32_t* oh, int32_t* ow) {
  TRY(q_ptr(fn, "params", p));
  TRY(q_positive(fn, "batch", p->batch));
  TRY(q_positive(fn, "in_h", p->in_h));
  TRY(q_positive(fn, "in_w", p->in_w));
  TRY(q_positive(fn, "in_c", p->in_c));
  TRY(q_positive(fn, "out_c", p->out_c));
  TRY(q_positive(fn, "kernel_h", p->kernel_h));
  TRY(q_positive(fn, "kernel_w", p->kernel_w));
  TRY(q_positive(fn, "stride_h", p->stride_h));
  TRY(q_positive(fn, "stride_w", p->stride_w));
  TRY(q_nonneg(fn, "pad_top", p->pad_top));
  TRY(q_nonneg(fn, "pad_left", p->pad_left));
  TRY(q_nonneg(fn, "pad_bottom", p->pad_bottom));
  TRY(q_nonneg(fn, "pad_right", p->pad_right));
  if (p->activation < MNA_ACT_NONE || p->activation > MNA_ACT_RELU6)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: activation %d is not an mna_activation", fn,
                         (int)p->activation);
  /* Every window must see at least one input pixel (pads smaller than the kernel). */
  if (p->pad_top >= p->kernel_h || p->pad_bottom >= p->kernel_h || p->pad_left >= p->kernel_w ||
      p->pad_right >= p->kernel_w)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: padding must be smaller than the kernel", fn);
  TRY(q_window(fn, "h", p->in_h, p->pad_top, p->pad_bottom, p->kernel_h, p->stride_h, oh));
  TRY(q_window(fn, "w", p->in_w, p->pad_left, p->pad_right, p->kernel_w, p->stride_w, ow));
  return MNA_OK;
}

mna_status q_conv_quant(const char* fn, const mna_quant_conv_params* q, const float* scales, size_t scales_len,
                        int64_t channels, int sgn) {
  TRY(q_ptr(fn, "quant params", q));
  TRY(q_ptr(fn, "scales", scales));
  TRY(q_range(fn, "input_zero_point", q->input_zero_point, sgn));
  TRY(q_range(fn, "weight_zero_point", q->weight_zero_point, sgn));
  TRY(q_range(fn, "output_zero_point", q->output_zero_point, sgn));
  TRY(q_clamp(fn, q->output_min, q->output_max, sgn));
  if (scales_len != 1 && (int64_t)scales_len != channels)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: scales_len %zu must be 1 or %" PRId64, fn, scales_len,
                         channels);
  for (size_t i = 0; i < scales_len; i++) TRY(q_scale(fn, "scale", scales[i]));
  return MNA_OK;
}

mna_status q_eltwise(const char* fn, const mna_quant_eltwise_params* q, int use_b, int sgn) {
  TRY(q_ptr(fn, "quant params", q));
  TRY(q_scale(fn, "a_scale", q->a_scale));
  TRY(q_range(fn, "a_zero_point", q->a_zero_point, sgn));
  if (use_b) {
    TRY(q_scale(fn, "b_scale", q->b_scale));
    TRY(q_range(fn, "b_zero_point", q->b_zero_point, sgn));
  }
  TRY(q_scale(fn, "output_scale", q->output_scale));
  TRY(q_range(fn, "output_zero_point", q->output_zero_point, sgn));
  TRY(q_clamp(fn, q->output_min, q->output_max, sgn));
  return MNA_OK;
}
