/* Reference full convolution, NHWC x OHWI. For each output: acc = bias, then
 * acc += x * w over kh, kw, ic in that order (padded taps skipped), then activation.
 * Parallel over batch*out_h rows. */
#include "common/activation.h"
#include "common/threadpool.h"
#include "reference/reference.h"

typedef struct {
  const mna_conv2d_params* p;
  int64_t out_h, out_w;
  const float *input, *weights, *bias;
  float* output;
} conv_ctx;

static void conv_rows(void* vctx, size_t begin, size_t end) {
  const conv_ctx* c = (const conv_ctx*)vctx;
  const mna_conv2d_params* p = c->p;
  const int64_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c, out_c = p->out_c;
  const int64_t kh = p->kernel_h, kw = p->kernel_w;
  for (size_t row = begin; row < end; row++) {
    const int64_t n = (int64_t)row / c->out_h, oy = (int64_t)row % c->out_h;
    for (int64_t ox = 0; ox < c->out_w; ox++) {
      float* out = c->output + (((n * c->out_h + oy) * c->out_w) + ox) * out_c;
      for (int64_t oc = 0; oc < out_c; oc++) {
        float acc = c->bias ? c->bias[oc] : 0.0f;
        for (int64_t ky = 0; ky < kh; ky++) {
          const int64_t iy = oy * p->stride_h - p->pad_top + ky;
          if (iy < 0 || iy >= in_h) continue;
          for (int64_t kx = 0; kx < kw; kx++) {
            const int64_t ix = ox * p->stride_w - p->pad_left + kx;
            if (ix < 0 || ix >= in_w) continue;
            const float* x = c->input + ((n * in_h + iy) * in_w + ix) * in_c;
            const float* w = c->weights + ((oc * kh + ky) * kw + kx) * in_c;
            for (int64_t ic = 0; ic < in_c; ic++) acc += x[ic] * w[ic];
          }
        }
        out[oc] = mna_activate(acc, p->activation);
      }
    }
  }
}

mna_status mna_ref_f32_conv2d(const mna_conv2d_params* p, int32_t out_h, int32_t out_w, const float* input,
                              const float* weights, const float* bias, float* output, mna_threadpool* pool) {
  conv_ctx c = {p, out_h, out_w, input, weights, bias, output};
  mna_parallelize_1d(pool, conv_rows, &c, (size_t)p->batch * (size_t)out_h);
  return MNA_OK;
}
