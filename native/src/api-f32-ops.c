/* Exported float32 entry points: pooling, fully connected, softmax, elementwise (add, activation) and padding.
 * Checks and dispatch: api-f32-validate.h. */
#include <math.h>

#include "api-f32-validate.h"

/* ------------------------------------------------------------------ kernels */

MNA_API mna_status mna_f32_avgpool2d(const mna_conv2d_params* p, const float* input, size_t input_len, float* output,
                                     size_t output_len, mna_threadpool* pool) {
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

MNA_API mna_status mna_f32_global_avgpool(int32_t batch, int32_t h, int32_t w, int32_t c, const float* input,
                                          size_t input_len, float* output, size_t output_len, mna_threadpool* pool) {
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

MNA_API mna_status mna_f32_fully_connected(int32_t batch, int32_t in_n, int32_t out_n, const float* input,
                                           size_t input_len, const float* weights, size_t weights_len,
                                           const float* bias, size_t bias_len, int32_t activation, float* output,
                                           size_t output_len, mna_threadpool* pool) {
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

MNA_API mna_status mna_f32_softmax(int32_t batch, int32_t n, float beta, const float* input, size_t input_len,
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

MNA_API mna_status mna_f32_add(int64_t count, const float* a, size_t a_len, const float* b, size_t b_len,
                               int32_t activation, float* output, size_t output_len) {
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

MNA_API mna_status mna_f32_activation(int64_t count, int32_t activation, const float* input, size_t input_len,
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

MNA_API mna_status mna_f32_pad2d(int32_t batch, int32_t in_h, int32_t in_w, int32_t c, int32_t pad_top,
                                 int32_t pad_left, int32_t pad_bottom, int32_t pad_right, float value,
                                 const float* input, size_t input_len, float* output, size_t output_len) {
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
