/* Quantized average pooling (TFLite integer rounding) and global average pooling (fp32 requantization). */
#include "reference/qu8-reference.h"

mna_status mna_ref_q8_avgpool2d(int sgn, const mna_conv2d_params* p, int32_t out_h, int32_t out_w, int32_t output_min,
                                int32_t output_max, const void* input, void* output) {
  const int64_t c_n = p->in_c;
  for (int32_t n = 0; n < p->batch; n++)
    for (int32_t oy = 0; oy < out_h; oy++)
      for (int32_t ox = 0; ox < out_w; ox++)
        for (int64_t c = 0; c < c_n; c++) {
          int32_t sum = 0, count = 0;
          for (int32_t ky = 0; ky < p->kernel_h; ky++) {
            const int64_t iy = (int64_t)oy * p->stride_h - p->pad_top + ky;
            if (iy < 0 || iy >= p->in_h) continue;
            for (int32_t kx = 0; kx < p->kernel_w; kx++) {
              const int64_t ix = (int64_t)ox * p->stride_w - p->pad_left + kx;
              if (ix < 0 || ix >= p->in_w) continue;
              sum += mna_q8_load(input, (((int64_t)n * p->in_h + iy) * p->in_w + ix) * c_n + c, sgn);
              count++;
            }
          }
          /* count >= 1: api-quant.c rejects windows that lie entirely in the padding. Ties away from zero. */
          int32_t avg = sum >= 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
          avg = avg < output_min ? output_min : (avg > output_max ? output_max : avg);
          mna_q8_store(output, (((int64_t)n * out_h + oy) * out_w + ox) * c_n + c, avg, sgn);
        }
  return MNA_OK;
}

mna_status mna_ref_q8_global_avgpool(int sgn, int32_t batch, int32_t h, int32_t w, int32_t c,
                                     const mna_quant_eltwise_params* q, const void* input, void* output) {
  const int64_t hw = (int64_t)h * w;
  const float scale = q->a_scale / ((float)hw * q->output_scale);
  for (int64_t n = 0; n < batch; n++)
    for (int64_t ch = 0; ch < c; ch++) {
      int64_t acc = 0;
      for (int64_t i = 0; i < hw; i++) acc += mna_q8_load(input, (n * hw + i) * c + ch, sgn) - q->a_zero_point;
      /* |acc| <= 255 * h * w, which api-quant.c bounds to fit int32. */
      mna_q8_store(output, n * c + ch,
                   mna_q8_requant((int32_t)acc, scale, q->output_zero_point, q->output_min, q->output_max), sgn);
    }
  return MNA_OK;
}
