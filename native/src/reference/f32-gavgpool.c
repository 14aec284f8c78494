/* Reference global average pooling: per channel, sum over pixels in memory order,
 * then divide by h*w. Parallel over batch. */
#include "common/threadpool.h"
#include "reference/reference.h"

typedef struct {
  int64_t pixels, c;
  const float* input;
  float* output;
} gap_ctx;

static void gap_images(void* vctx, size_t begin, size_t end) {
  const gap_ctx* g = (const gap_ctx*)vctx;
  for (size_t n = begin; n < end; n++) {
    const float* x = g->input + (int64_t)n * g->pixels * g->c;
    float* out = g->output + (int64_t)n * g->c;
    for (int64_t k = 0; k < g->c; k++) out[k] = 0.0f;
    for (int64_t px = 0; px < g->pixels; px++)
      for (int64_t k = 0; k < g->c; k++) out[k] += x[px * g->c + k];
    const float count = (float)g->pixels;
    for (int64_t k = 0; k < g->c; k++) out[k] = out[k] / count;
  }
}

mna_status mna_ref_f32_global_avgpool(int32_t batch, int32_t h, int32_t w, int32_t c, const float* input, float* output,
                                      mna_threadpool* pool) {
  gap_ctx g = {(int64_t)h * w, c, input, output};
  mna_parallelize_1d(pool, gap_images, &g, (size_t)batch);
  return MNA_OK;
}
