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
  /* Sums per channel over the pixels, pixel rows read contiguously (NHWC) into a block of channel accumulators:
   * sum(q - zp) = sum(q) - hw * zp, the same integers as a per-channel walk. |sum| <= 255 * h * w, which
   * api-quant.c bounds to fit int32. */
  enum { BLOCK = 512 };
  int32_t acc[BLOCK];
  for (int64_t n = 0; n < batch; n++)
    for (int64_t c0 = 0; c0 < c; c0 += BLOCK) {
      const int64_t cb = c - c0 < BLOCK ? c - c0 : BLOCK;
      for (int64_t k = 0; k < cb; k++) acc[k] = 0;
      for (int64_t i = 0; i < hw; i++) {
        const int64_t base = (n * hw + i) * c + c0;
        if (sgn) {
          const int8_t* x = (const int8_t*)input + base;
          for (int64_t k = 0; k < cb; k++) acc[k] += x[k];
        } else {
          const uint8_t* x = (const uint8_t*)input + base;
          for (int64_t k = 0; k < cb; k++) acc[k] += x[k];
        }
      }
      const int32_t offset = (int32_t)(hw * q->a_zero_point);
      for (int64_t k = 0; k < cb; k++)
        mna_q8_store(output, n * c + c0 + k,
                     mna_q8_requant(acc[k] - offset, scale, q->output_zero_point, q->output_min, q->output_max), sgn);
    }
  return MNA_OK;
}
