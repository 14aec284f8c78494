/* Reference softmax over the last axis: y = exp(beta * (x - max)) / sum, with the sum
 * accumulated in index order. For beta < 0 the minimum is subtracted instead (the same
 * value mathematically, and it keeps the exponents <= 0). In-place safe. */
#include <math.h>

#include "reference/reference.h"

mna_status mna_ref_f32_softmax(int32_t batch, int32_t n, float beta, const float* input, float* output) {
  for (int64_t b = 0; b < batch; b++) {
    const float* x = input + b * n;
    float* y = output + b * n;
    float m = x[0];
    for (int64_t i = 1; i < n; i++) {
      if (beta >= 0.0f ? x[i] > m : x[i] < m) m = x[i];
    }
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++) {
      const float e = expf(beta * (x[i] - m));
      y[i] = e;
      sum += e;
    }
    for (int64_t i = 0; i < n; i++) y[i] = y[i] / sum;
  }
  return MNA_OK;
}
