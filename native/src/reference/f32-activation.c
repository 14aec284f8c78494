/* Reference activation: y = act(x). In-place safe. */
#include "common/activation.h"
#include "reference/reference.h"

mna_status mna_ref_f32_activation(int64_t count, int32_t activation, const float* input, float* output) {
  for (int64_t i = 0; i < count; i++) output[i] = mna_activate(input[i], activation);
  return MNA_OK;
}
