/* Exported entry point of the dilated float32 depthwise convolution (checks, then the driver in
 * f32-dwconv-dilated/). Checks as in api-f32-validate.h, with the window's dilated extent (k - 1) * d + 1. */
#include "api-f32-validate.h"
#include "f32-dwconv-dilated/dwd.h"

MNA_API mna_status mna_f32_dwconv2d_dilated(const mna_conv2d_params* p, int32_t dilation_h, int32_t dilation_w,
                                            const float* input, size_t input_len, const float* weights,
                                            size_t weights_len, const float* bias, size_t bias_len, float* output,
                                            size_t output_len, mna_threadpool* pool) {
  static const char fn[] = "mna_f32_dwconv2d_dilated";
  TRY(need_ptr(fn, "params", p));
  TRY(need_ptr(fn, "input", input));
  TRY(need_ptr(fn, "weights", weights));
  TRY(need_ptr(fn, "output", output));
  TRY(need_positive(fn, "dilation_h", dilation_h));
  TRY(need_positive(fn, "dilation_w", dilation_w));
  /* every field as for an undilated window (its own output size is not the one used) */
  int32_t oh = 0, ow = 0;
  TRY(check_conv_params(fn, p, &oh, &ow));
  TRY(check_same_channels(fn, p));
  const int64_t ekh = (int64_t)(p->kernel_h - 1) * dilation_h + 1, ekw = (int64_t)(p->kernel_w - 1) * dilation_w + 1;
  TRY(window_out(fn, "h", p->in_h, p->pad_top, p->pad_bottom, ekh, p->stride_h, &oh));
  TRY(window_out(fn, "w", p->in_w, p->pad_left, p->pad_right, ekw, p->stride_w, &ow));
  TRY(check_dwconv_buffers(fn, p, oh, ow, input, input_len, weights, weights_len, bias, bias_len, output, output_len));
  return mna_f32_dwconv2d_dilated_run(p, dilation_h, dilation_w, oh, ow, input, weights, bias, output, pool);
}
