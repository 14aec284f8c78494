#ifndef MNA_ACTIVATION_H
#define MNA_ACTIVATION_H

#include <stdint.h>

#include "mna.h"

/* ReLU(x) = max(x, 0); ReLU6(x) = min(max(x, 0), 6). NaN propagates. */
static inline float mna_activate(float x, int32_t act) {
  switch (act) {
    case MNA_ACT_RELU: return x < 0.0f ? 0.0f : x;
    case MNA_ACT_RELU6: return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
    default: return x;
  }
}

static inline int mna_activation_valid(int32_t act) {
  return act == MNA_ACT_NONE || act == MNA_ACT_RELU || act == MNA_ACT_RELU6;
}

#endif
