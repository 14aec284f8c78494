/* Reference 2-D padding of an NHWC tensor: output [n][pt+h+pb][pl+w+pr][c], border = value. */
#include <string.h>

#include "reference/reference.h"

mna_status mna_ref_f32_pad2d(int32_t batch, int32_t in_h, int32_t in_w, int32_t c, int32_t pad_top, int32_t pad_left,
                             int32_t pad_bottom, int32_t pad_right, float value, const float* input, float* output) {
  const int64_t out_h = (int64_t)in_h + pad_top + pad_bottom;
  const int64_t out_w = (int64_t)in_w + pad_left + pad_right;
  const int64_t row_in = (int64_t)in_w * c;
  for (int64_t n = 0; n < batch; n++) {
    for (int64_t oy = 0; oy < out_h; oy++) {
      float* out = output + (n * out_h + oy) * out_w * c;
      const int64_t iy = oy - pad_top;
      if (iy < 0 || iy >= in_h) {
        for (int64_t i = 0; i < out_w * c; i++) out[i] = value;
        continue;
      }
      for (int64_t i = 0; i < (int64_t)pad_left * c; i++) out[i] = value;
      memcpy(out + (int64_t)pad_left * c, input + (n * in_h + iy) * row_in, (size_t)row_in * sizeof(float));
      for (int64_t i = ((int64_t)pad_left + in_w) * c; i < out_w * c; i++) out[i] = value;
    }
  }
  return MNA_OK;
}
