/* Exported float32 entry points: output-shape queries, convolution (conv2d, depthwise, pointwise) and the fused
 * inverted-residual block. Checks and dispatch: api-f32-validate.h. */
#include "api-f32-validate.h"

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

MNA_API mna_status mna_f32_conv2d(const mna_conv2d_params* p, const float* input, size_t input_len,
                                  const float* weights, size_t weights_len, const float* bias, size_t bias_len,
                                  float* output, size_t output_len, mna_threadpool* pool) {
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

MNA_API mna_status mna_f32_dwconv2d(const mna_conv2d_params* p, const float* input, size_t input_len,
                                    const float* weights, size_t weights_len, const float* bias, size_t bias_len,
                                    float* output, size_t output_len, mna_threadpool* pool) {
  static const char fn[] = "mna_f32_dwconv2d";
  TRY(need_ptr(fn, "params", p));
  TRY(need_ptr(fn, "input", input));
  TRY(need_ptr(fn, "weights", weights));
  TRY(need_ptr(fn, "output", output));
  int32_t oh = 0, ow = 0;
  TRY(check_conv_params(fn, p, &oh, &ow));
  TRY(check_same_channels(fn, p));
  TRY(check_dwconv_buffers(fn, p, oh, ow, input, input_len, weights, weights_len, bias, bias_len, output, output_len));
  DISPATCH(f32_dwconv2d, p, oh, ow, input, weights, bias, output, pool);
}

MNA_API mna_status mna_f32_pwconv(int64_t pixels, int32_t in_c, int32_t out_c, const float* input, size_t input_len,
                                  const float* weights, size_t weights_len, const float* bias, size_t bias_len,
                                  int32_t activation, float* output, size_t output_len, mna_threadpool* pool) {
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

MNA_API mna_status mna_f32_irb(const mna_irb_params* p, const float* input, size_t input_len, const float* expand_w,
                               size_t expand_w_len, const float* expand_b, size_t expand_b_len, const float* dw_w,
                               size_t dw_w_len, const float* dw_b, size_t dw_b_len, const float* project_w,
                               size_t project_w_len, const float* project_b, size_t project_b_len, float* output,
                               size_t output_len, mna_threadpool* pool) {
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
  TRY(need_len(fn, "project_w_len", project_w_len, pw_n, p->hidden_c ? "out_c*hidden_c" : "out_c*in_c (hidden_c 0)"));
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
