/* Argument checks and dispatch shared by the float32 entry points (api-f32-conv.c, api-f32-ops.c,
 * api-f32-packed.c): validate every argument (never abort, never touch memory outside the given lengths), then
 * dispatch through the selected kernel table.
 *
 * Order of checks: required pointers (MNA_ERR_NULL_POINTER), then sizes/strides/pads/enums
 * and size overflow (MNA_ERR_INVALID_ARGUMENT), then buffer lengths
 * (MNA_ERR_BUFFER_TOO_SMALL), then overlap between outputs and inputs
 * (MNA_ERR_INVALID_ARGUMENT; exact aliasing is allowed where the header says in-place).
 * Each check returns MNA_OK or sets mna_last_error ("fn: ...") and returns the failing status. */
#ifndef MNA_API_F32_VALIDATE_H
#define MNA_API_F32_VALIDATE_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>

#include "common/activation.h"
#include "common/common.h"
#include "common/kernels.h"
#include "reference/reference.h"

#define TRY(expr)                        \
  do {                                   \
    const mna_status try_s_ = (expr);    \
    if (try_s_ != MNA_OK) return try_s_; \
  } while (0)

/* Calls the selected table's entry; an entry that declines with MNA_ERR_UNSUPPORTED
 * falls back to the reference kernel. */
#define DISPATCH(op, ...)                                                                                            \
  do {                                                                                                               \
    const mna_kernel_table* k_ = mna_active_kernels();                                                               \
    mna_status s_ = k_->op(__VA_ARGS__);                                                                             \
    if (s_ == MNA_ERR_UNSUPPORTED && k_->op != mna_reference_kernels.op) s_ = mna_reference_kernels.op(__VA_ARGS__); \
    return s_;                                                                                                       \
  } while (0)

/* ------------------------------------------------------------------- helpers */

static inline mna_status need_ptr(const char* fn, const char* name, const void* ptr) {
  if (!ptr) return mna_set_error(MNA_ERR_NULL_POINTER, "%s: %s is NULL", fn, name);
  return MNA_OK;
}

static inline mna_status need_positive(const char* fn, const char* name, int64_t v) {
  if (v < 1) return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: %s %" PRId64 " must be >= 1", fn, name, v);
  return MNA_OK;
}

static inline mna_status need_nonneg(const char* fn, const char* name, int64_t v) {
  if (v < 0) return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: %s %" PRId64 " must be >= 0", fn, name, v);
  return MNA_OK;
}

static inline mna_status need_activation(const char* fn, const char* name, int32_t act) {
  if (!mna_activation_valid(act))
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: %s %d is not an mna_activation (0 none, 1 relu, 2 relu6)", fn,
                         name, (int)act);
  return MNA_OK;
}

/* *out = a*b*c*d, all >= 0; INVALID_ARGUMENT if it overflows or exceeds MNA_MAX_ELEMENTS. */
static inline mna_status product(const char* fn, const char* what, int64_t a, int64_t b, int64_t c, int64_t d,
                                 int64_t* out) {
  int64_t n;
  if (__builtin_mul_overflow(a, b, &n) || __builtin_mul_overflow(n, c, &n) || __builtin_mul_overflow(n, d, &n) ||
      n > MNA_MAX_ELEMENTS)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT,
                         "%s: size %s = %" PRId64 "*%" PRId64 "*%" PRId64 "*%" PRId64 " overflows (max %" PRId64
                         " elements)",
                         fn, what, a, b, c, d, MNA_MAX_ELEMENTS);
  *out = n;
  return MNA_OK;
}

static inline mna_status need_len(const char* fn, const char* name, size_t len, int64_t required, const char* expr) {
  if ((uint64_t)len < (uint64_t)required)
    return mna_set_error(MNA_ERR_BUFFER_TOO_SMALL, "%s: %s %zu < required %" PRId64 " (%s)", fn, name, len, required,
                         expr);
  return MNA_OK;
}

/* Optional bias: NULL is fine (bias_len ignored), else bias_len >= required. */
static inline mna_status need_bias(const char* fn, const char* name, const float* bias, size_t len, int64_t required,
                                   const char* expr) {
  if (!bias) return MNA_OK;
  return need_len(fn, name, len, required, expr);
}

static inline int overlap(const float* a, int64_t an, const float* b, int64_t bn) {
  if (!a || !b) return 0;
  const uintptr_t a0 = (uintptr_t)a, a1 = a0 + (uintptr_t)an * sizeof(float);
  const uintptr_t b0 = (uintptr_t)b, b1 = b0 + (uintptr_t)bn * sizeof(float);
  return a0 < b1 && b0 < a1;
}

/* The output must not overlap a read-only operand (in_place: exact aliasing allowed). */
static inline mna_status no_overlap(const char* fn, const float* out, int64_t out_n, const char* name, const float* in,
                                    int64_t in_n, int in_place) {
  if (in_place && out == in && out_n == in_n) return MNA_OK;
  if (overlap(out, out_n, in, in_n))
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: output overlaps %s%s", fn, name,
                         in_place ? " (only exact in-place aliasing is allowed)" : "");
  return MNA_OK;
}

/* The activation buffers of a windowed op: NHWC input [batch][in_h][in_w][in_c] and output
 * [batch][oh][ow][out_c] — sizes without overflow, lengths, and no overlap. */
static inline mna_status check_nhwc_io(const char* fn, int32_t batch, int32_t in_h, int32_t in_w, int32_t in_c,
                                       int32_t oh, int32_t ow, int32_t out_c, const float* input, size_t input_len,
                                       const float* output, size_t output_len) {
  int64_t in_n = 0, out_n = 0;
  TRY(product(fn, "batch*in_h*in_w*in_c", batch, in_h, in_w, in_c, &in_n));
  TRY(product(fn, "batch*out_h*out_w*out_c", batch, oh, ow, out_c, &out_n));
  TRY(need_len(fn, "input_len", input_len, in_n, "batch*in_h*in_w*in_c"));
  TRY(need_len(fn, "output_len", output_len, out_n, "batch*out_h*out_w*out_c"));
  return no_overlap(fn, output, out_n, "input", input, in_n, 0);
}

/* out = (in + pad_a + pad_b - kernel) / stride + 1, which must be in [1, INT32_MAX]. */
static inline mna_status window_out(const char* fn, const char* dim, int64_t in, int64_t pad_a, int64_t pad_b,
                                    int64_t kernel, int64_t stride, int32_t* out) {
  const int64_t padded = in + pad_a + pad_b;
  if (padded < kernel)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT,
                         "%s: kernel %s %" PRId64 " > padded input %s %" PRId64 " (out_%s would be < 1)", fn, dim,
                         kernel, dim, padded, dim);
  const int64_t o = (padded - kernel) / stride + 1;
  if (o > INT32_MAX)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: out_%s %" PRId64 " exceeds INT32_MAX", fn, dim, o);
  *out = (int32_t)o;
  return MNA_OK;
}

/* All fields of a conv/pool params struct; out_c is checked >= 1 (callers add their own
 * out_c == in_c rule). */
static inline mna_status check_conv_params(const char* fn, const mna_conv2d_params* p, int32_t* oh, int32_t* ow) {
  TRY(need_ptr(fn, "params", p));
  TRY(need_positive(fn, "batch", p->batch));
  TRY(need_positive(fn, "in_h", p->in_h));
  TRY(need_positive(fn, "in_w", p->in_w));
  TRY(need_positive(fn, "in_c", p->in_c));
  TRY(need_positive(fn, "out_c", p->out_c));
  TRY(need_positive(fn, "kernel_h", p->kernel_h));
  TRY(need_positive(fn, "kernel_w", p->kernel_w));
  TRY(need_positive(fn, "stride_h", p->stride_h));
  TRY(need_positive(fn, "stride_w", p->stride_w));
  TRY(need_nonneg(fn, "pad_top", p->pad_top));
  TRY(need_nonneg(fn, "pad_left", p->pad_left));
  TRY(need_nonneg(fn, "pad_bottom", p->pad_bottom));
  TRY(need_nonneg(fn, "pad_right", p->pad_right));
  TRY(need_activation(fn, "activation", p->activation));
  TRY(window_out(fn, "h", p->in_h, p->pad_top, p->pad_bottom, p->kernel_h, p->stride_h, oh));
  TRY(window_out(fn, "w", p->in_w, p->pad_left, p->pad_right, p->kernel_w, p->stride_w, ow));
  return MNA_OK;
}

static inline mna_status check_same_channels(const char* fn, const mna_conv2d_params* p) {
  if (p->out_c != p->in_c)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: out_c %d must equal in_c %d", fn, (int)p->out_c, (int)p->in_c);
  return MNA_OK;
}

static inline mna_status check_irb_params(const char* fn, const mna_irb_params* p, int32_t* oh, int32_t* ow) {
  TRY(need_ptr(fn, "params", p));
  TRY(need_positive(fn, "batch", p->batch));
  TRY(need_positive(fn, "in_h", p->in_h));
  TRY(need_positive(fn, "in_w", p->in_w));
  TRY(need_positive(fn, "in_c", p->in_c));
  TRY(need_nonneg(fn, "hidden_c", p->hidden_c));
  TRY(need_positive(fn, "out_c", p->out_c));
  if (p->stride != 1 && p->stride != 2)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: stride %d must be 1 or 2", fn, (int)p->stride);
  TRY(need_nonneg(fn, "pad_top", p->pad_top));
  TRY(need_nonneg(fn, "pad_left", p->pad_left));
  TRY(need_nonneg(fn, "pad_bottom", p->pad_bottom));
  TRY(need_nonneg(fn, "pad_right", p->pad_right));
  TRY(need_activation(fn, "expand_activation", p->expand_activation));
  TRY(need_activation(fn, "dw_activation", p->dw_activation));
  TRY(need_activation(fn, "project_activation", p->project_activation));
  if (p->residual != 0 && p->residual != 1)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: residual %d must be 0 or 1", fn, (int)p->residual);
  TRY(window_out(fn, "h", p->in_h, p->pad_top, p->pad_bottom, 3, p->stride, oh));
  TRY(window_out(fn, "w", p->in_w, p->pad_left, p->pad_right, 3, p->stride, ow));
  if (p->residual) {
    if (p->stride != 1)
      return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: residual requires stride 1 (stride is %d)", fn,
                           (int)p->stride);
    if (p->in_c != p->out_c)
      return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: residual requires in_c %d == out_c %d", fn, (int)p->in_c,
                           (int)p->out_c);
    if (*oh != p->in_h || *ow != p->in_w)
      return mna_set_error(MNA_ERR_INVALID_ARGUMENT,
                           "%s: residual requires the output size %dx%d to equal the input size %dx%d "
                           "(pads must total 2 per axis)",
                           fn, (int)*oh, (int)*ow, (int)p->in_h, (int)p->in_w);
  }
  return MNA_OK;
}

/* The buffers of a depthwise convolution (multiplier 1) whose output is oh x ow: lengths, bias, no overlap with the
 * output. */
static inline mna_status check_dwconv_buffers(const char* fn, const mna_conv2d_params* p, int32_t oh, int32_t ow,
                                              const float* input, size_t input_len, const float* weights,
                                              size_t weights_len, const float* bias, size_t bias_len,
                                              const float* output, size_t output_len) {
  int64_t in_n = 0, w_n = 0, out_n = 0;
  TRY(product(fn, "batch*in_h*in_w*in_c", p->batch, p->in_h, p->in_w, p->in_c, &in_n));
  TRY(product(fn, "kernel_h*kernel_w*in_c", 1, p->kernel_h, p->kernel_w, p->in_c, &w_n));
  TRY(product(fn, "batch*out_h*out_w*out_c", p->batch, oh, ow, p->out_c, &out_n));
  TRY(need_len(fn, "input_len", input_len, in_n, "batch*in_h*in_w*in_c"));
  TRY(need_len(fn, "weights_len", weights_len, w_n, "kernel_h*kernel_w*in_c"));
  TRY(need_bias(fn, "bias_len", bias, bias_len, p->out_c, "out_c"));
  TRY(need_len(fn, "output_len", output_len, out_n, "batch*out_h*out_w*out_c"));
  TRY(no_overlap(fn, output, out_n, "input", input, in_n, 0));
  TRY(no_overlap(fn, output, out_n, "weights", weights, w_n, 0));
  TRY(no_overlap(fn, output, out_n, "bias", bias, p->out_c, 0));
  return MNA_OK;
}

#endif
