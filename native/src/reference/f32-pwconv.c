/* Reference pointwise (1x1) convolution: acc = bias[oc], acc += x[ic] * w[oc][ic] for ic
 * ascending, then activation. Parallel over pixels. */
#include "common/activation.h"
#include "common/threadpool.h"
#include "reference/reference.h"

typedef struct {
  int64_t in_c, out_c;
  const float *input, *weights, *bias;
  int32_t activation;
  float* output;
} pw_ctx;

static void pw_pixels(void* vctx, size_t begin, size_t end) {
  const pw_ctx* c = (const pw_ctx*)vctx;
  for (size_t px = begin; px < end; px++) {
    const float* x = c->input + (int64_t)px * c->in_c;
    float* out = c->output + (int64_t)px * c->out_c;
    for (int64_t oc = 0; oc < c->out_c; oc++) {
      const float* w = c->weights + oc * c->in_c;
      float acc = c->bias ? c->bias[oc] : 0.0f;
      for (int64_t ic = 0; ic < c->in_c; ic++) acc += x[ic] * w[ic];
      out[oc] = mna_activate(acc, c->activation);
    }
  }
}

mna_status mna_ref_f32_pwconv(int64_t pixels, int32_t in_c, int32_t out_c, const float* input, const float* weights,
                              const float* bias, int32_t activation, float* output, mna_threadpool* pool) {
  pw_ctx c = {in_c, out_c, input, weights, bias, activation, output};
  mna_parallelize_1d(pool, pw_pixels, &c, (size_t)pixels);
  return MNA_OK;
}
