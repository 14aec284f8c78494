/* Reference fully connected: acc = bias[o], acc += x[i] * w[o][i] for i ascending, then
 * activation. Parallel over batch*out_n outputs. */
#include "common/activation.h"
#include "common/threadpool.h"
#include "reference/reference.h"

typedef struct {
  int64_t in_n, out_n;
  const float *input, *weights, *bias;
  int32_t activation;
  float* output;
} fc_ctx;

static void fc_outputs(void* vctx, size_t begin, size_t end) {
  const fc_ctx* c = (const fc_ctx*)vctx;
  for (size_t idx = begin; idx < end; idx++) {
    const int64_t b = (int64_t)idx / c->out_n, o = (int64_t)idx % c->out_n;
    const float* x = c->input + b * c->in_n;
    const float* w = c->weights + o * c->in_n;
    float acc = c->bias ? c->bias[o] : 0.0f;
    for (int64_t i = 0; i < c->in_n; i++) acc += x[i] * w[i];
    c->output[idx] = mna_activate(acc, c->activation);
  }
}

mna_status mna_ref_f32_fully_connected(int32_t batch, int32_t in_n, int32_t out_n, const float* input,
                                       const float* weights, const float* bias, int32_t activation, float* output,
                                       mna_threadpool* pool) {
  fc_ctx c = {in_n, out_n, input, weights, bias, activation, output};
  mna_parallelize_1d(pool, fc_outputs, &c, (size_t)batch * (size_t)out_n);
  return MNA_OK;
}
