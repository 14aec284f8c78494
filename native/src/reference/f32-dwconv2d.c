/* Reference depthwise convolution (multiplier 1), weights [kh][kw][c]. For each output:
 * acc = bias[c], then acc += x * w over kh, kw, then activation. Parallel over batch*out_h rows. */
#include "common/activation.h"
#include "common/threadpool.h"
#include "reference/reference.h"

typedef struct {
  const mna_conv2d_params* p;
  int64_t out_h, out_w;
  const float *input, *weights, *bias;
  float* output;
} dw_ctx;

static void dw_rows(void* vctx, size_t begin, size_t end) {
  const dw_ctx* c = (const dw_ctx*)vctx;
  const mna_conv2d_params* p = c->p;
  const int64_t in_h = p->in_h, in_w = p->in_w, ch = p->in_c;
  const int64_t kh = p->kernel_h, kw = p->kernel_w;
  for (size_t row = begin; row < end; row++) {
    const int64_t n = (int64_t)row / c->out_h, oy = (int64_t)row % c->out_h;
    for (int64_t ox = 0; ox < c->out_w; ox++) {
      float* out = c->output + (((n * c->out_h + oy) * c->out_w) + ox) * ch;
      for (int64_t k = 0; k < ch; k++) {
        float acc = c->bias ? c->bias[k] : 0.0f;
        for (int64_t ky = 0; ky < kh; ky++) {
          const int64_t iy = oy * p->stride_h - p->pad_top + ky;
          if (iy < 0 || iy >= in_h) continue;
          for (int64_t kx = 0; kx < kw; kx++) {
            const int64_t ix = ox * p->stride_w - p->pad_left + kx;
            if (ix < 0 || ix >= in_w) continue;
            acc += c->input[((n * in_h + iy) * in_w + ix) * ch + k] * c->weights[(ky * kw + kx) * ch + k];
          }
        }
        out[k] = mna_activate(acc, p->activation);
      }
    }
  }
}

mna_status mna_ref_f32_dwconv2d(const mna_conv2d_params* p, int32_t out_h, int32_t out_w, const float* input,
                                const float* weights, const float* bias, float* output, mna_threadpool* pool) {
  dw_ctx c = {p, out_h, out_w, input, weights, bias, output};
  mna_parallelize_1d(pool, dw_rows, &c, (size_t)p->batch * (size_t)out_h);
  return MNA_OK;
}
