/* Reference element-wise add with activation: y = act(a + b). In-place safe. */
#include "common/activation.h"
#include "reference/reference.h"

mna_status mna_ref_f32_add(int64_t count, const float* a, const float* b, int32_t activation, float* output) {
  for (int64_t i = 0; i < count; i++) output[i] = mna_activate(a[i] + b[i], activation);
  return MNA_OK;
}
