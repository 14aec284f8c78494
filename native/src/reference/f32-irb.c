/* Reference inverted-residual block: literally the composition
 *   t = pwconv(input, expand, expand_activation)      (t = input when hidden_c == 0)
 *   d = dwconv3x3(t, stride, pads, dw_activation)
 *   y = pwconv(d, project, project_activation)
 *   y = y + input                                     (residual)
 * with the expanded tensors allocated on the heap. The fast row-ring version must
 * match it (to rounding: it may change nothing about the summation order per element). */
#include <stdlib.h>

#include "common/common.h"
#include "reference/reference.h"

static float* alloc_tensor(int64_t a, int64_t b, int64_t c, int64_t d) {
  int64_t n;
  if (__builtin_mul_overflow(a, b, &n) || __builtin_mul_overflow(n, c, &n) || __builtin_mul_overflow(n, d, &n) ||
      n > MNA_MAX_ELEMENTS)
    return NULL;
  return (float*)malloc((size_t)n * sizeof(float));
}

mna_status mna_ref_f32_irb(const mna_irb_params* p, int32_t out_h, int32_t out_w, const float* input,
                           const float* expand_w, const float* expand_b, const float* dw_w, const float* dw_b,
                           const float* project_w, const float* project_b, float* output, mna_threadpool* pool) {
  const int32_t hidden = p->hidden_c ? p->hidden_c : p->in_c;
  float* t = NULL;
  const float* dw_in = input;
  if (p->hidden_c) {
    t = alloc_tensor(p->batch, p->in_h, p->in_w, hidden);
    if (!t)
      return mna_set_error(MNA_ERR_OUT_OF_MEMORY,
                           "mna_f32_irb: cannot allocate the expanded tensor (%d x %d x %d x %d floats)", (int)p->batch,
                           (int)p->in_h, (int)p->in_w, (int)hidden);
    mna_ref_f32_pwconv((int64_t)p->batch * p->in_h * p->in_w, p->in_c, hidden, input, expand_w, expand_b,
                       p->expand_activation, t, pool);
    dw_in = t;
  }
  float* d = alloc_tensor(p->batch, out_h, out_w, hidden);
  if (!d) {
    free(t);
    return mna_set_error(MNA_ERR_OUT_OF_MEMORY,
                         "mna_f32_irb: cannot allocate the depthwise output (%d x %d x %d x %d floats)", (int)p->batch,
                         (int)out_h, (int)out_w, (int)hidden);
  }
  const mna_conv2d_params dwp = {.batch = p->batch,
                                 .in_h = p->in_h,
                                 .in_w = p->in_w,
                                 .in_c = hidden,
                                 .out_c = hidden,
                                 .kernel_h = 3,
                                 .kernel_w = 3,
                                 .stride_h = p->stride,
                                 .stride_w = p->stride,
                                 .pad_top = p->pad_top,
                                 .pad_left = p->pad_left,
                                 .pad_bottom = p->pad_bottom,
                                 .pad_right = p->pad_right,
                                 .activation = p->dw_activation};
  mna_ref_f32_dwconv2d(&dwp, out_h, out_w, dw_in, dw_w, dw_b, d, pool);
  free(t);
  const int64_t out_pixels = (int64_t)p->batch * out_h * out_w;
  mna_ref_f32_pwconv(out_pixels, hidden, p->out_c, d, project_w, project_b, p->project_activation, output, pool);
  free(d);
  if (p->residual) mna_ref_f32_add(out_pixels * p->out_c, output, input, MNA_ACT_NONE, output);
  return MNA_OK;
}
