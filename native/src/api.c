/* Exported entry points: validate every argument (never abort, never touch memory outside
 * the given lengths), then dispatch through the selected kernel table.
 *
 * Order of checks: required pointers (MNA_ERR_NULL_POINTER), then sizes/strides/pads/enums
 * and size overflow (MNA_ERR_INVALID_ARGUMENT), then buffer lengths
 * (MNA_ERR_BUFFER_TOO_SMALL), then overlap between outputs and inputs
 * (MNA_ERR_INVALID_ARGUMENT; exact aliasing is allowed where the header says in-place). */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>

#include "common/activation.h"
#include "common/common.h"
#include "common/kernels.h"
#include "common/ukernels.h"
#include "reference/reference.h"

#include <stdlib.h>
#include <string.h>

#define TRY(expr)                     \
  do {                                \
    const mna_status try_s_ = (expr); \
    if (try_s_ != MNA_OK) return try_s_; \
  } while (0)

/* Calls the selected table's entry; an entry that declines with MNA_ERR_UNSUPPORTED
 * falls back to the reference kernel. */
#define DISPATCH(op, ...)                                                        \
  do {                                                                           \
    const mna_kernel_table* k_ = mna_active_kernels();                           \
    mna_status s_ = k_->op(__VA_ARGS__);                                         \
    if (s_ == MNA_ERR_UNSUPPORTED && k_->op != mna_reference_kernels.op)         \
      s_ = mna_reference_kernels.op(__VA_ARGS__);                                \
    return s_;                                                                   \
  } while (0)

/* ------------------------------------------------------------------- helpers */

static mna_status need_ptr(const char* fn, const char* name, const void* ptr) {
  if (!ptr) return mna_set_error(MNA_ERR_NULL_POINTER, "%s: %s is NULL", fn, name);
  return MNA_OK;
}

static mna_status need_positive(const char* fn, const char* name, int64_t v) {
  if (v < 1) return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: %s %" PRId64 " must be >= 1", fn, name, v);
  return MNA_OK;
}

static mna_status need_nonneg(const char* fn, const char* name, int64_t v) {
  if (v < 0) return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: %s %" PRId64 " must be >= 0", fn, name, v);
  return MNA_OK;
}

static mna_status need_activation(const char* fn, const char* name, int32_t act) {
  if (!mna_activation_valid(act))
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT,
                         "%s: %s %d is not an mna_activation (0 none, 1 relu, 2 relu6)", fn, name, (int)act);
  return MNA_OK;
}

/* *out = a*b*c*d, all >= 0; INVALID_ARGUMENT if it overflows or exceeds MNA_MAX_ELEMENTS. */
static mna_status product(const char* fn, const char* what, int64_t a, int64_t b, int64_t c, int64_t d,
                          int64_t* out) {
  int64_t n;
  if (__builtin_mul_overflow(a, b, &n) || __builtin_mul_overflow(n, c, &n) || __builtin_mul_overflow(n, d, &n) ||
      n > MNA_MAX_ELEMENTS)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT,
                         "%s: size %s = %" PRId64 "*%" PRId64 "*%" PRId64 "*%" PRId64
                         " overflows (max %" PRId64 " elements)",
                         fn, what, a, b, c, d, MNA_MAX_ELEMENTS);
  *out = n;
  return MNA_OK;
}

static mna_status need_len(const char* fn, const char* name, size_t len, int64_t required, const char* expr) {
  if ((uint64_t)len < (uint64_t)required)
    return mna_set_error(MNA_ERR_BUFFER_TOO_SMALL, "%s: %s %zu < required %" PRId64 " (%s)", fn, name, len,
                         required, expr);
  return MNA_OK;
}

/* Optional bias: NULL is fine (bias_len ignored), else bias_len >= required. */
static mna_status need_bias(const char* fn, const char* name, const float* bias, size_t len, int64_t required,
                            const char* expr) {
  if (!bias) return MNA_OK;
  return need_len(fn, name, len, required, expr);
}

static int overlap(const float* a, int64_t an, const float* b, int64_t bn) {
  if (!a || !b) return 0;
  const uintptr_t a0 = (uintptr_t)a, a1 = a0 + (uintptr_t)an * sizeof(float);
  const uintptr_t b0 = (uintptr_t)b, b1 = b0 + (uintptr_t)bn * sizeof(float);
  return a0 < b1 && b0 < a1;
}

/* The output must not overlap a read-only operand (in_place: exact aliasing allowed). */
static mna_status no_overlap(const char* fn, const float* out, int64_t out_n, const char* name, const float* in,
                             int64_t in_n, int in_place) {
  if (in_place && out == in && out_n == in_n) return MNA_OK;
  if (overlap(out, out_n, in, in_n))
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: output overlaps %s%s", fn, name,
                         in_place ? " (only exact in-place aliasing is allowed)" : "");
  return MNA_OK;
}

/* The activation buffers of a windowed op: NHWC input [batch][in_h][in_w][in_c] and output
 * [batch][oh][ow][out_c] — sizes without overflow, lengths, and no overlap. */
static mna_status check_nhwc_io(const char* fn, int32_t batch, int32_t in_h, int32_t in_w, int32_t in_c, int32_t oh,
                                int32_t ow, int32_t out_c, const float* input, size_t input_len, const float* output,
                                size_t output_len) {
  int64_t in_n = 0, out_n = 0;
  TRY(product(fn, "batch*in_h*in_w*in_c", batch, in_h, in_w, in_c, &in_n));
  TRY(product(fn, "batch*out_h*out_w*out_c", batch, oh, ow, out_c, &out_n));
  TRY(need_len(fn, "input_len", input_len, in_n, "batch*in_h*in_w*in_c"));
  TRY(need_len(fn, "output_len", output_len, out_n, "batch*out_h*out_w*out_c"));
  return no_overlap(fn, output, out_n, "input", input, in_n, 0);
}

/* out = (in + pad_a + pad_b - kernel) / stride + 1, which must be in [1, INT32_MAX]. */
static mna_status window_out(const char* fn, const char* dim, int64_t in, int64_t pad_a, int64_t pad_b,
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
static mna_status check_conv_params(const char* fn, const mna_conv2d_params* p, int32_t* oh, int32_t* ow) {
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

static mna_status check_same_channels(const char* fn, const mna_conv2d_params* p) {
  if (p->out_c != p->in_c)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: out_c %d must equal in_c %d", fn, (int)p->out_c,
                         (int)p->in_c);
  return MNA_OK;
}

static mna_status check_irb_params(const char* fn, const mna_irb_params* p, int32_t* oh, int32_t* ow) {
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
      return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: residual requires in_c %d == out_c %d", fn,
                           (int)p->in_c, (int)p->out_c);
    if (*oh != p->in_h || *ow != p->in_w)
      return mna_set_error(MNA_ERR_INVALID_ARGUMENT,
                           "%s: residual requires the output size %dx%d to equal the input size %dx%d "
                           "(pads must total 2 per axis)",
                           fn, (int)*oh, (int)*ow, (int)p->in_h, (int)p->in_w);
  }
  return MNA_OK;
}

/* ------------------------------------------------------------- shape queries */

MNA_API mna_status mna_conv2d_output_shape(const mna_conv2d_params* p, int32_t* out_h, int32_t* out_w) {
  static const char fn[] = "mna_conv2d_output_shape";
  TRY(need_ptr(fn, "params", p));
  TRY(need_ptr(fn, "out_h", out_h));
  TRY(need_ptr(fn, "out_w", out_w));
  int32_t oh = 0, ow = 0;
  TRY(check_conv_params(fn, p, &oh, &ow));
  *out_h = oh;
  *out_w = ow;
  return MNA_OK;
}

MNA_API mna_status mna_irb_output_shape(const mna_irb_params* p, int32_t* out_h, int32_t* out_w) {
  static const char fn[] = "mna_irb_output_shape";
  TRY(need_ptr(fn, "params", p));
  TRY(need_ptr(fn, "out_h", out_h));
  TRY(need_ptr(fn, "out_w", out_w));
  int32_t oh = 0, ow = 0;
  TRY(check_irb_params(fn, p, &oh, &ow));
  *out_h = oh;
  *out_w = ow;
  return MNA_OK;
}

/* ------------------------------------------------------------------ kernels */

MNA_API mna_status mna_f32_conv2d(const mna_conv2d_params* p,
                                  const float* input, size_t input_len,
                                  const float* weights, size_t weights_len,
                                  const float* bias, size_t bias_len,
                                  float* output, size_t output_len,
                                  mna_threadpool* pool) {
  static const char fn[] = "mna_f32_conv2d";
  TRY(need_ptr(fn, "params", p));
  TRY(need_ptr(fn, "input", input));
  TRY(need_ptr(fn, "weights", weights));
  TRY(need_ptr(fn, "output", output));
  int32_t oh = 0, ow = 0;
  TRY(check_conv_params(fn, p, &oh, &ow));
  int64_t in_n = 0, w_n = 0, out_n = 0;
  TRY(product(fn, "batch*in_h*in_w*in_c", p->batch, p->in_h, p->in_w, p->in_c, &in_n));
  TRY(product(fn, "out_c*kernel_h*kernel_w*in_c", p->out_c, p->kernel_h, p->kernel_w, p->in_c, &w_n));
  TRY(product(fn, "batch*out_h*out_w*out_c", p->batch, oh, ow, p->out_c, &out_n));
  TRY(need_len(fn, "input_len", input_len, in_n, "batch*in_h*in_w*in_c"));
  TRY(need_len(fn, "weights_len", weights_len, w_n, "out_c*kernel_h*kernel_w*in_c"));
  TRY(need_bias(fn, "bias_len", bias, bias_len, p->out_c, "out_c"));
  TRY(need_len(fn, "output_len", output_len, out_n, "batch*out_h*out_w*out_c"));
  TRY(no_overlap(fn, output, out_n, "input", input, in_n, 0));
  TRY(no_overlap(fn, output, out_n, "weights", weights, w_n, 0));
  TRY(no_overlap(fn, output, out_n, "bias", bias, p->out_c, 0));
  DISPATCH(f32_conv2d, p, oh, ow, input, weights, bias, output, pool);
}

MNA_API mna_status mna_f32_dwconv2d(const mna_conv2d_params* p,
                                    const float* input, size_t input_len,
                                    const float* weights, size_t weights_len,
                                    const float* bias, size_t bias_len,
                                    float* output, size_t output_len,
                                    mna_threadpool* pool) {
  static const char fn[] = "mna_f32_dwconv2d";
  TRY(need_ptr(fn, "params", p));
  TRY(need_ptr(fn, "input", input));
  TRY(need_ptr(fn, "weights", weights));
  TRY(need_ptr(fn, "output", output));
  int32_t oh = 0, ow = 0;
  TRY(check_conv_params(fn, p, &oh, &ow));
  TRY(check_same_channels(fn, p));
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
  DISPATCH(f32_dwconv2d, p, oh, ow, input, weights, bias, output, pool);
}

MNA_API mna_status mna_f32_pwconv(int64_t pixels, int32_t in_c, int32_t out_c,
                                  const float* input, size_t input_len,
                                  const float* weights, size_t weights_len,
                                  const float* bias, size_t bias_len,
                                  int32_t activation,
                                  float* output, size_t output_len,
                                  mna_threadpool* pool) {
  static const char fn[] = "mna_f32_pwconv";
  TRY(need_ptr(fn, "input", input));
  TRY(need_ptr(fn, "weights", weights));
  TRY(need_ptr(fn, "output", output));
  TRY(need_positive(fn, "pixels", pixels));
  TRY(need_positive(fn, "in_c", in_c));
  TRY(need_positive(fn, "out_c", out_c));
  TRY(need_activation(fn, "activation", activation));
  int64_t in_n = 0, w_n = 0, out_n = 0;
  TRY(product(fn, "pixels*in_c", pixels, in_c, 1, 1, &in_n));
  TRY(product(fn, "out_c*in_c", out_c, in_c, 1, 1, &w_n));
  TRY(product(fn, "pixels*out_c", pixels, out_c, 1, 1, &out_n));
  TRY(need_len(fn, "input_len", input_len, in_n, "pixels*in_c"));
  TRY(need_len(fn, "weights_len", weights_len, w_n, "out_c*in_c"));
  TRY(need_bias(fn, "bias_len", bias, bias_len, out_c, "out_c"));
  TRY(need_len(fn, "output_len", output_len, out_n, "pixels*out_c"));
  TRY(no_overlap(fn, output, out_n, "input", input, in_n, 0));
  TRY(no_overlap(fn, output, out_n, "weights", weights, w_n, 0));
  TRY(no_overlap(fn, output, out_n, "bias", bias, out_c, 0));
  DISPATCH(f32_pwconv, pixels, in_c, out_c, input, weights, bias, activation, output, pool);
}

MNA_API mna_status mna_f32_irb(const mna_irb_params* p,
                               const float* input, size_t input_len,
                               const float* expand_w, size_t expand_w_len,
                               const float* expand_b, size_t expand_b_len,
                               const float* dw_w, size_t dw_w_len,
                               const float* dw_b, size_t dw_b_len,
                               const float* project_w, size_t project_w_len,
                               const float* project_b, size_t project_b_len,
                               float* output, size_t output_len,
                               mna_threadpool* pool) {
  static const char fn[] = "mna_f32_irb";
  TRY(need_ptr(fn, "params", p));
  TRY(need_ptr(fn, "input", input));
  if (p->hidden_c > 0) TRY(need_ptr(fn, "expand_w (hidden_c > 0)", expand_w));
  TRY(need_ptr(fn, "dw_w", dw_w));
  TRY(need_ptr(fn, "project_w", project_w));
  TRY(need_ptr(fn, "output", output));
  int32_t oh = 0, ow = 0;
  TRY(check_irb_params(fn, p, &oh, &ow));
  const int32_t hidden = p->hidden_c ? p->hidden_c : p->in_c;
  int64_t in_n = 0, ew_n = 0, dw_n = 0, pw_n = 0, out_n = 0;
  TRY(product(fn, "batch*in_h*in_w*in_c", p->batch, p->in_h, p->in_w, p->in_c, &in_n));
  if (p->hidden_c) TRY(product(fn, "hidden_c*in_c", p->hidden_c, p->in_c, 1, 1, &ew_n));
  TRY(product(fn, "3*3*hidden_c", 3, 3, hidden, 1, &dw_n));
  TRY(product(fn, "out_c*hidden_c", p->out_c, hidden, 1, 1, &pw_n));
  TRY(product(fn, "batch*out_h*out_w*out_c", p->batch, oh, ow, p->out_c, &out_n));
  TRY(need_len(fn, "input_len", input_len, in_n, "batch*in_h*in_w*in_c"));
  if (!p->hidden_c) {
    expand_w = NULL; /* ignored without an expand layer */
    expand_b = NULL;
  } else {
    TRY(need_len(fn, "expand_w_len", expand_w_len, ew_n, "hidden_c*in_c"));
    TRY(need_bias(fn, "expand_b_len", expand_b, expand_b_len, p->hidden_c, "hidden_c"));
  }
  TRY(need_len(fn, "dw_w_len", dw_w_len, dw_n, p->hidden_c ? "3*3*hidden_c" : "3*3*in_c (hidden_c 0)"));
  TRY(need_bias(fn, "dw_b_len", dw_b, dw_b_len, hidden, p->hidden_c ? "hidden_c" : "in_c (hidden_c 0)"));
  TRY(need_len(fn, "project_w_len", project_w_len, pw_n,
               p->hidden_c ? "out_c*hidden_c" : "out_c*in_c (hidden_c 0)"));
  TRY(need_bias(fn, "project_b_len", project_b, project_b_len, p->out_c, "out_c"));
  TRY(need_len(fn, "output_len", output_len, out_n, "batch*out_h*out_w*out_c"));
  TRY(no_overlap(fn, output, out_n, "input", input, in_n, 0));
  TRY(no_overlap(fn, output, out_n, "expand_w", expand_w, ew_n, 0));
  TRY(no_overlap(fn, output, out_n, "expand_b", expand_b, p->hidden_c, 0));
  TRY(no_overlap(fn, output, out_n, "dw_w", dw_w, dw_n, 0));
  TRY(no_overlap(fn, output, out_n, "dw_b", dw_b, hidden, 0));
  TRY(no_overlap(fn, output, out_n, "project_w", project_w, pw_n, 0));
  TRY(no_overlap(fn, output, out_n, "project_b", project_b, p->out_c, 0));
  DISPATCH(f32_irb, p, oh, ow, input, expand_w, expand_b, dw_w, dw_b, project_w, project_b, output, pool);
}

MNA_API mna_status mna_f32_avgpool2d(const mna_conv2d_params* p,
                                     const float* input, size_t input_len,
                                     float* output, size_t output_len,
                                     mna_threadpool* pool) {
  static const char fn[] = "mna_f32_avgpool2d";
  TRY(need_ptr(fn, "params", p));
  TRY(need_ptr(fn, "input", input));
  TRY(need_ptr(fn, "output", output));
  int32_t oh = 0, ow = 0;
  TRY(check_conv_params(fn, p, &oh, &ow));
  TRY(check_same_channels(fn, p));
  TRY(check_nhwc_io(fn, p->batch, p->in_h, p->in_w, p->in_c, oh, ow, p->out_c, input, input_len, output, output_len));
  DISPATCH(f32_avgpool2d, p, oh, ow, input, output, pool);
}

MNA_API mna_status mna_f32_global_avgpool(int32_t batch, int32_t h, int32_t w, int32_t c,
                                          const float* input, size_t input_len,
                                          float* output, size_t output_len,
                                          mna_threadpool* pool) {
  static const char fn[] = "mna_f32_global_avgpool";
  TRY(need_ptr(fn, "input", input));
  TRY(need_ptr(fn, "output", output));
  TRY(need_positive(fn, "batch", batch));
  TRY(need_positive(fn, "h", h));
  TRY(need_positive(fn, "w", w));
  TRY(need_positive(fn, "c", c));
  int64_t in_n = 0, out_n = 0;
  TRY(product(fn, "batch*h*w*c", batch, h, w, c, &in_n));
  TRY(product(fn, "batch*c", batch, c, 1, 1, &out_n));
  TRY(need_len(fn, "input_len", input_len, in_n, "batch*h*w*c"));
  TRY(need_len(fn, "output_len", output_len, out_n, "batch*c"));
  TRY(no_overlap(fn, output, out_n, "input", input, in_n, 0));
  DISPATCH(f32_global_avgpool, batch, h, w, c, input, output, pool);
}

MNA_API mna_status mna_f32_fully_connected(int32_t batch, int32_t in_n, int32_t out_n,
                                           const float* input, size_t input_len,
                                           const float* weights, size_t weights_len,
                                           const float* bias, size_t bias_len,
                                           int32_t activation,
                                           float* output, size_t output_len,
                                           mna_threadpool* pool) {
  static const char fn[] = "mna_f32_fully_connected";
  TRY(need_ptr(fn, "input", input));
  TRY(need_ptr(fn, "weights", weights));
  TRY(need_ptr(fn, "output", output));
  TRY(need_positive(fn, "batch", batch));
  TRY(need_positive(fn, "in_n", in_n));
  TRY(need_positive(fn, "out_n", out_n));
  TRY(need_activation(fn, "activation", activation));
  int64_t x_n = 0, w_n = 0, y_n = 0;
  TRY(product(fn, "batch*in_n", batch, in_n, 1, 1, &x_n));
  TRY(product(fn, "out_n*in_n", out_n, in_n, 1, 1, &w_n));
  TRY(product(fn, "batch*out_n", batch, out_n, 1, 1, &y_n));
  TRY(need_len(fn, "input_len", input_len, x_n, "batch*in_n"));
  TRY(need_len(fn, "weights_len", weights_len, w_n, "out_n*in_n"));
  TRY(need_bias(fn, "bias_len", bias, bias_len, out_n, "out_n"));
  TRY(need_len(fn, "output_len", output_len, y_n, "batch*out_n"));
  TRY(no_overlap(fn, output, y_n, "input", input, x_n, 0));
  TRY(no_overlap(fn, output, y_n, "weights", weights, w_n, 0));
  TRY(no_overlap(fn, output, y_n, "bias", bias, out_n, 0));
  DISPATCH(f32_fully_connected, batch, in_n, out_n, input, weights, bias, activation, output, pool);
}

MNA_API mna_status mna_f32_softmax(int32_t batch, int32_t n, float beta,
                                   const float* input, size_t input_len,
                                   float* output, size_t output_len) {
  static const char fn[] = "mna_f32_softmax";
  TRY(need_ptr(fn, "input", input));
  TRY(need_ptr(fn, "output", output));
  TRY(need_positive(fn, "batch", batch));
  TRY(need_positive(fn, "n", n));
  if (!isfinite(beta)) return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: beta %g is not finite", fn, (double)beta);
  int64_t total = 0;
  TRY(product(fn, "batch*n", batch, n, 1, 1, &total));
  TRY(need_len(fn, "input_len", input_len, total, "batch*n"));
  TRY(need_len(fn, "output_len", output_len, total, "batch*n"));
  TRY(no_overlap(fn, output, total, "input", input, total, 1));
  DISPATCH(f32_softmax, batch, n, beta, input, output);
}

MNA_API mna_status mna_f32_add(int64_t count,
                               const float* a, size_t a_len,
                               const float* b, size_t b_len,
                               int32_t activation,
                               float* output, size_t output_len) {
  static const char fn[] = "mna_f32_add";
  TRY(need_ptr(fn, "a", a));
  TRY(need_ptr(fn, "b", b));
  TRY(need_ptr(fn, "output", output));
  TRY(need_positive(fn, "count", count));
  TRY(need_activation(fn, "activation", activation));
  TRY(product(fn, "count", count, 1, 1, 1, &count));
  TRY(need_len(fn, "a_len", a_len, count, "count"));
  TRY(need_len(fn, "b_len", b_len, count, "count"));
  TRY(need_len(fn, "output_len", output_len, count, "count"));
  TRY(no_overlap(fn, output, count, "a", a, count, 1));
  TRY(no_overlap(fn, output, count, "b", b, count, 1));
  DISPATCH(f32_add, count, a, b, activation, output);
}

MNA_API mna_status mna_f32_activation(int64_t count, int32_t activation,
                                      const float* input, size_t input_len,
                                      float* output, size_t output_len) {
  static const char fn[] = "mna_f32_activation";
  TRY(need_ptr(fn, "input", input));
  TRY(need_ptr(fn, "output", output));
  TRY(need_positive(fn, "count", count));
  TRY(need_activation(fn, "activation", activation));
  TRY(product(fn, "count", count, 1, 1, 1, &count));
  TRY(need_len(fn, "input_len", input_len, count, "count"));
  TRY(need_len(fn, "output_len", output_len, count, "count"));
  TRY(no_overlap(fn, output, count, "input", input, count, 1));
  DISPATCH(f32_activation, count, activation, input, output);
}

MNA_API mna_status mna_f32_pad2d(int32_t batch, int32_t in_h, int32_t in_w, int32_t c,
                                 int32_t pad_top, int32_t pad_left, int32_t pad_bottom, int32_t pad_right,
                                 float value,
                                 const float* input, size_t input_len,
                                 float* output, size_t output_len) {
  static const char fn[] = "mna_f32_pad2d";
  TRY(need_ptr(fn, "input", input));
  TRY(need_ptr(fn, "output", output));
  TRY(need_positive(fn, "batch", batch));
  TRY(need_positive(fn, "in_h", in_h));
  TRY(need_positive(fn, "in_w", in_w));
  TRY(need_positive(fn, "c", c));
  TRY(need_nonneg(fn, "pad_top", pad_top));
  TRY(need_nonneg(fn, "pad_left", pad_left));
  TRY(need_nonneg(fn, "pad_bottom", pad_bottom));
  TRY(need_nonneg(fn, "pad_right", pad_right));
  const int64_t out_h = (int64_t)in_h + pad_top + pad_bottom;
  const int64_t out_w = (int64_t)in_w + pad_left + pad_right;
  int64_t in_n = 0, out_n = 0;
  TRY(product(fn, "batch*in_h*in_w*c", batch, in_h, in_w, c, &in_n));
  TRY(product(fn, "batch*(in_h+pad_top+pad_bottom)*(in_w+pad_left+pad_right)*c", batch, out_h, out_w, c, &out_n));
  TRY(need_len(fn, "input_len", input_len, in_n, "batch*in_h*in_w*c"));
  TRY(need_len(fn, "output_len", output_len, out_n, "batch*(in_h+pad_top+pad_bottom)*(in_w+pad_left+pad_right)*c"));
  TRY(no_overlap(fn, output, out_n, "input", input, in_n, 0));
  DISPATCH(f32_pad2d, batch, in_h, in_w, c, pad_top, pad_left, pad_bottom, pad_right, value, input, output);
}

/* ---------------------------------------------------------- packed weights */

#define MNA_PACKED_MAGIC 0x4d4e4150u /* "MNAP" */

enum { PACKED_PWCONV = 1, PACKED_CONV2D = 2, PACKED_IRB = 3 };

struct mna_packed {
  uint32_t magic;
  int32_t kind;
  mna_isa isa;
  const mna_f32_ukernels* uk; /* NULL: plain copies run by the reference kernels */
  int32_t in_c, hidden_c, out_c, kernel_h, kernel_w;
  /* pwconv/conv2d: w0 = packed panels (uk) or weights copy, b0 = bias copy (reference only).
   * irb: w0/b0 expand, w1/b1 depthwise (always plain copies), w2/b2 project. */
  float *w0, *b0, *w1, *b1, *w2, *b2;
};

static float* copy_floats(const float* src, int64_t n, int* failed) {
  if (!src) return NULL;
  float* d = (float*)mna_aligned_alloc((size_t)n * sizeof(float));
  if (!d) {
    *failed = 1;
    return NULL;
  }
  memcpy(d, src, (size_t)n * sizeof(float));
  return d;
}

static float* pack_or_copy(const mna_f32_ukernels* uk, int64_t n, int64_t k, const float* w, const float* b,
                           float** bias_copy, int* failed) {
  if (!uk) {
    *bias_copy = copy_floats(b, n, failed);
    return copy_floats(w, n * k, failed);
  }
  float* p = mna_f32_gemm_pack(uk, (size_t)n, (size_t)k, w, (size_t)k, b);
  if (!p) *failed = 1;
  return p;
}

MNA_API mna_status mna_packed_destroy(mna_packed* pk) {
  if (!pk) return MNA_OK;
  if (pk->magic != MNA_PACKED_MAGIC)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "mna_packed_destroy: not a live mna_packed object");
  pk->magic = 0;
  mna_aligned_free(pk->w0), mna_aligned_free(pk->b0), mna_aligned_free(pk->w1);
  mna_aligned_free(pk->b1), mna_aligned_free(pk->w2), mna_aligned_free(pk->b2);
  free(pk);
  return MNA_OK;
}

MNA_API mna_isa mna_packed_isa(const mna_packed* pk) {
  return pk && pk->magic == MNA_PACKED_MAGIC ? pk->isa : MNA_ISA_AUTO;
}

static mna_packed* new_packed(int32_t kind) {
  mna_packed* pk = (mna_packed*)calloc(1, sizeof *pk);
  if (!pk) return NULL;
  pk->magic = MNA_PACKED_MAGIC;
  pk->kind = kind;
  pk->isa = mna_current_isa();
  pk->uk = mna_active_ukernels();
  if (!pk->uk) pk->isa = MNA_ISA_REFERENCE;
  return pk;
}

static mna_status finish_pack(const char* fn, mna_packed* pk, int failed, mna_packed** out) {
  if (failed) {
    mna_packed_destroy(pk);
    return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "%s: cannot allocate the packed weights", fn);
  }
  *out = pk;
  return MNA_OK;
}

static mna_status need_packed(const char* fn, const mna_packed* pk, int32_t kind, const char* kind_name) {
  TRY(need_ptr(fn, "packed", pk));
  if (pk->magic != MNA_PACKED_MAGIC)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: packed is not a live mna_packed object", fn);
  if (pk->kind != kind)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: packed holds %s weights, expected %s", fn,
                         pk->kind == PACKED_PWCONV ? "pwconv" : pk->kind == PACKED_CONV2D ? "conv2d" : "irb",
                         kind_name);
  return MNA_OK;
}

static mna_status same_dim(const char* fn, const char* name, int32_t got, int32_t packed) {
  if (got != packed)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: %s %d differs from the packed %s %d", fn, name, (int)got,
                         name, (int)packed);
  return MNA_OK;
}

MNA_API mna_status mna_f32_pwconv_pack(int32_t in_c, int32_t out_c, const float* weights, size_t weights_len,
                                       const float* bias, size_t bias_len, mna_packed** packed) {
  static const char fn[] = "mna_f32_pwconv_pack";
  TRY(need_ptr(fn, "weights", weights));
  TRY(need_ptr(fn, "packed", packed));
  *packed = NULL;
  TRY(need_positive(fn, "in_c", in_c));
  TRY(need_positive(fn, "out_c", out_c));
  int64_t w_n = 0;
  TRY(product(fn, "out_c*in_c", out_c, in_c, 1, 1, &w_n));
  TRY(need_len(fn, "weights_len", weights_len, w_n, "out_c*in_c"));
  TRY(need_bias(fn, "bias_len", bias, bias_len, out_c, "out_c"));
  mna_packed* pk = new_packed(PACKED_PWCONV);
  if (!pk) return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
  pk->in_c = in_c, pk->out_c = out_c;
  int failed = 0;
  pk->w0 = pack_or_copy(pk->uk, out_c, in_c, weights, bias, &pk->b0, &failed);
  return finish_pack(fn, pk, failed, packed);
}

MNA_API mna_status mna_f32_pwconv_packed(const mna_packed* pk, int64_t pixels, const float* input, size_t input_len,
                                         int32_t activation, float* output, size_t output_len,
                                         mna_threadpool* pool) {
  static const char fn[] = "mna_f32_pwconv_packed";
  TRY(need_packed(fn, pk, PACKED_PWCONV, "pwconv"));
  TRY(need_ptr(fn, "input", input));
  TRY(need_ptr(fn, "output", output));
  TRY(need_positive(fn, "pixels", pixels));
  TRY(need_activation(fn, "activation", activation));
  int64_t in_n = 0, out_n = 0;
  TRY(product(fn, "pixels*in_c", pixels, pk->in_c, 1, 1, &in_n));
  TRY(product(fn, "pixels*out_c", pixels, pk->out_c, 1, 1, &out_n));
  TRY(need_len(fn, "input_len", input_len, in_n, "pixels*in_c"));
  TRY(need_len(fn, "output_len", output_len, out_n, "pixels*out_c"));
  TRY(no_overlap(fn, output, out_n, "input", input, in_n, 0));
  if (!pk->uk)
    return mna_ref_f32_pwconv(pixels, pk->in_c, pk->out_c, input, pk->w0, pk->b0, activation, output, pool);
  float lo, hi;
  mna_act_bounds(activation, &lo, &hi);
  mna_f32_gemm_run(pk->uk, (size_t)pixels, (size_t)pk->out_c, (size_t)pk->in_c, input, (size_t)pk->in_c, pk->w0,
                   output, (size_t)pk->out_c, NULL, 0, lo, hi, pool);
  return MNA_OK;
}

MNA_API mna_status mna_f32_conv2d_pack(const mna_conv2d_params* p, const float* weights, size_t weights_len,
                                       const float* bias, size_t bias_len, mna_packed** packed) {
  static const char fn[] = "mna_f32_conv2d_pack";
  TRY(need_ptr(fn, "params", p));
  TRY(need_ptr(fn, "weights", weights));
  TRY(need_ptr(fn, "packed", packed));
  *packed = NULL;
  int32_t oh = 0, ow = 0;
  TRY(check_conv_params(fn, p, &oh, &ow));
  int64_t w_n = 0;
  TRY(product(fn, "out_c*kernel_h*kernel_w*in_c", p->out_c, p->kernel_h, p->kernel_w, p->in_c, &w_n));
  TRY(need_len(fn, "weights_len", weights_len, w_n, "out_c*kernel_h*kernel_w*in_c"));
  TRY(need_bias(fn, "bias_len", bias, bias_len, p->out_c, "out_c"));
  mna_packed* pk = new_packed(PACKED_CONV2D);
  if (!pk) return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
  pk->in_c = p->in_c, pk->out_c = p->out_c, pk->kernel_h = p->kernel_h, pk->kernel_w = p->kernel_w;
  const int64_t K = w_n / p->out_c;
  int failed = 0;
  if (pk->uk) {
    pk->w0 = mna_f32_conv_pack(pk->uk, (size_t)p->out_c, (size_t)p->kernel_h, (size_t)p->kernel_w, (size_t)p->in_c,
                               weights, bias);
    if (!pk->w0) failed = 1;
  } else {
    pk->w0 = pack_or_copy(NULL, p->out_c, K, weights, bias, &pk->b0, &failed);
  }
  return finish_pack(fn, pk, failed, packed);
}

MNA_API mna_status mna_f32_conv2d_packed(const mna_packed* pk, const mna_conv2d_params* p, const float* input,
                                         size_t input_len, float* output, size_t output_len, mna_threadpool* pool) {
  static const char fn[] = "mna_f32_conv2d_packed";
  TRY(need_packed(fn, pk, PACKED_CONV2D, "conv2d"));
  TRY(need_ptr(fn, "params", p));
  TRY(need_ptr(fn, "input", input));
  TRY(need_ptr(fn, "output", output));
  int32_t oh = 0, ow = 0;
  TRY(check_conv_params(fn, p, &oh, &ow));
  TRY(same_dim(fn, "in_c", p->in_c, pk->in_c));
  TRY(same_dim(fn, "out_c", p->out_c, pk->out_c));
  TRY(same_dim(fn, "kernel_h", p->kernel_h, pk->kernel_h));
  TRY(same_dim(fn, "kernel_w", p->kernel_w, pk->kernel_w));
  TRY(check_nhwc_io(fn, p->batch, p->in_h, p->in_w, p->in_c, oh, ow, p->out_c, input, input_len, output, output_len));
  if (!pk->uk) return mna_ref_f32_conv2d(p, oh, ow, input, pk->w0, pk->b0, output, pool);
  return mna_fast_f32_conv2d_packed(pk->uk, p, oh, ow, input, pk->w0, output, pool);
}

MNA_API mna_status mna_f32_irb_pack(const mna_irb_params* p, const float* expand_w, size_t expand_w_len,
                                    const float* expand_b, size_t expand_b_len, const float* dw_w, size_t dw_w_len,
                                    const float* dw_b, size_t dw_b_len, const float* project_w,
                                    size_t project_w_len, const float* project_b, size_t project_b_len,
                                    mna_packed** packed) {
  static const char fn[] = "mna_f32_irb_pack";
  TRY(need_ptr(fn, "params", p));
  if (p->hidden_c > 0) TRY(need_ptr(fn, "expand_w (hidden_c > 0)", expand_w));
  TRY(need_ptr(fn, "dw_w", dw_w));
  TRY(need_ptr(fn, "project_w", project_w));
  TRY(need_ptr(fn, "packed", packed));
  *packed = NULL;
  int32_t oh = 0, ow = 0;
  TRY(check_irb_params(fn, p, &oh, &ow));
  const int32_t hidden = p->hidden_c ? p->hidden_c : p->in_c;
  int64_t ew_n = 0, dw_n = 0, pw_n = 0;
  if (p->hidden_c) TRY(product(fn, "hidden_c*in_c", p->hidden_c, p->in_c, 1, 1, &ew_n));
  TRY(product(fn, "3*3*hidden_c", 3, 3, hidden, 1, &dw_n));
  TRY(product(fn, "out_c*hidden_c", p->out_c, hidden, 1, 1, &pw_n));
  if (p->hidden_c) {
    TRY(need_len(fn, "expand_w_len", expand_w_len, ew_n, "hidden_c*in_c"));
    TRY(need_bias(fn, "expand_b_len", expand_b, expand_b_len, p->hidden_c, "hidden_c"));
  }
  TRY(need_len(fn, "dw_w_len", dw_w_len, dw_n, "3*3*hidden"));
  TRY(need_bias(fn, "dw_b_len", dw_b, dw_b_len, hidden, "hidden"));
  TRY(need_len(fn, "project_w_len", project_w_len, pw_n, "out_c*hidden"));
  TRY(need_bias(fn, "project_b_len", project_b, project_b_len, p->out_c, "out_c"));
  mna_packed* pk = new_packed(PACKED_IRB);
  if (!pk) return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
  pk->in_c = p->in_c, pk->hidden_c = p->hidden_c, pk->out_c = p->out_c;
  int failed = 0;
  if (p->hidden_c) pk->w0 = pack_or_copy(pk->uk, p->hidden_c, p->in_c, expand_w, expand_b, &pk->b0, &failed);
  pk->w1 = copy_floats(dw_w, dw_n, &failed);
  pk->b1 = copy_floats(dw_b, hidden, &failed);
  pk->w2 = pack_or_copy(pk->uk, p->out_c, hidden, project_w, project_b, &pk->b2, &failed);
  return finish_pack(fn, pk, failed, packed);
}

MNA_API mna_status mna_f32_irb_packed(const mna_packed* pk, const mna_irb_params* p, const float* input,
                                      size_t input_len, float* output, size_t output_len, mna_threadpool* pool) {
  static const char fn[] = "mna_f32_irb_packed";
  TRY(need_packed(fn, pk, PACKED_IRB, "irb"));
  TRY(need_ptr(fn, "params", p));
  TRY(need_ptr(fn, "input", input));
  TRY(need_ptr(fn, "output", output));
  int32_t oh = 0, ow = 0;
  TRY(check_irb_params(fn, p, &oh, &ow));
  TRY(same_dim(fn, "in_c", p->in_c, pk->in_c));
  TRY(same_dim(fn, "hidden_c", p->hidden_c, pk->hidden_c));
  TRY(same_dim(fn, "out_c", p->out_c, pk->out_c));
  TRY(check_nhwc_io(fn, p->batch, p->in_h, p->in_w, p->in_c, oh, ow, p->out_c, input, input_len, output, output_len));
  if (!pk->uk)
    return mna_ref_f32_irb(p, oh, ow, input, pk->w0, pk->b0, pk->w1, pk->b1, pk->w2, pk->b2, output, pool);
  return mna_fast_f32_irb_packed(pk->uk, p, oh, ow, input, pk->w0, pk->w1, pk->b1, pk->w2, output, pool);
}
