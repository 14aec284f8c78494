/* Reference average pooling: sum of the in-bounds taps (kh, kw order) divided by their
 * count (padding excluded); a window lying wholly in padding gives 0. Then activation.
 * Parallel over batch*out_h rows. */
#include "common/activation.h"
#include "common/threadpool.h"
#include "reference/reference.h"

typedef struct {
  const mna_conv2d_params* p;
  int64_t out_h, out_w;
  const float* input;
  float* output;
} pool_ctx;

static void pool_rows(void* vctx, size_t begin, size_t end) {
  const pool_ctx* c = (const pool_ctx*)vctx;
  const mna_conv2d_params* p = c->p;
  const int64_t in_h = p->in_h, in_w = p->in_w, ch = p->in_c;
  for (size_t row = begin; row < end; row++) {
    const int64_t n = (int64_t)row / c->out_h, oy = (int64_t)row % c->out_h;
    for (int64_t ox = 0; ox < c->out_w; ox++) {
      float* out = c->output + (((n * c->out_h + oy) * c->out_w) + ox) * ch;
      for (int64_t k = 0; k < ch; k++) {
        float sum = 0.0f;
        int64_t count = 0;
        for (int64_t ky = 0; ky < p->kernel_h; ky++) {
          const int64_t iy = oy * p->stride_h - p->pad_top + ky;
          if (iy < 0 || iy >= in_h) continue;
          for (int64_t kx = 0; kx < p->kernel_w; kx++) {
            const int64_t ix = ox * p->stride_w - p->pad_left + kx;
            if (ix < 0 || ix >= in_w) continue;
            sum += c->input[((n * in_h + iy) * in_w + ix) * ch + k];
            count++;
          }
        }
        out[k] = mna_activate(count ? sum / (float)count : 0.0f, p->activation);
      }
    }
  }
}

mna_status mna_ref_f32_avgpool2d(const mna_conv2d_params* p, int32_t out_h, int32_t out_w, const float* input,
                                 float* output, mna_threadpool* pool) {
  pool_ctx c = {p, out_h, out_w, input, output};
  mna_parallelize_1d(pool, pool_rows, &c, (size_t)p->batch * (size_t)out_h);
  return MNA_OK;
}
