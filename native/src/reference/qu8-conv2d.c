/* Quantized convolution, depthwise convolution and fully connected (uint8 / int8): exact accumulation (int64, saturated to int32 — never reached by real models, but no overflow is possible) of
 * (qx - zx) * (qw - zw) over in-image taps plus the int32 bias, then fp32 requantization (mna.h). */
#include "reference/qu8-reference.h"

mna_status mna_ref_q8_conv2d(int sgn, const mna_conv2d_params* p, int32_t out_h, int32_t out_w,
                             const mna_quant_conv_params* q, const float* scales, size_t scales_len,
                             const void* input, const void* weights, const int32_t* bias, void* output) {
  const int32_t zx = q->input_zero_point, zw = q->weight_zero_point;
  const int64_t ic_n = p->in_c, oc_n = p->out_c;
  for (int32_t n = 0; n < p->batch; n++)
    for (int32_t oy = 0; oy < out_h; oy++)
      for (int32_t ox = 0; ox < out_w; ox++) {
        const int64_t obase = (((int64_t)n * out_h + oy) * out_w + ox) * oc_n;
        for (int64_t oc = 0; oc < oc_n; oc++) {
          int64_t acc = bias ? bias[oc] : 0;
          for (int32_t ky = 0; ky < p->kernel_h; ky++) {
            const int64_t iy = (int64_t)oy * p->stride_h - p->pad_top + ky;
            if (iy < 0 || iy >= p->in_h) continue;
            for (int32_t kx = 0; kx < p->kernel_w; kx++) {
              const int64_t ix = (int64_t)ox * p->stride_w - p->pad_left + kx;
              if (ix < 0 || ix >= p->in_w) continue;
              const int64_t ib = (((int64_t)n * p->in_h + iy) * p->in_w + ix) * ic_n;
              const int64_t wb = ((oc * p->kernel_h + ky) * p->kernel_w + kx) * ic_n;
              for (int64_t ic = 0; ic < ic_n; ic++)
                acc += (mna_q8_load(input, ib + ic, sgn) - zx) * (mna_q8_load(weights, wb + ic, sgn) - zw);
            }
          }
          const float s = scales[scales_len == 1 ? 0 : oc];
          mna_q8_store(output, obase + oc, mna_q8_requant(mna_q8_sat32(acc), s, q->output_zero_point, q->output_min, q->output_max), sgn);
        }
      }
  return MNA_OK;
}

mna_status mna_ref_q8_dwconv2d(int sgn, const mna_conv2d_params* p, int32_t out_h, int32_t out_w,
                               const mna_quant_conv_params* q, const float* scales, size_t scales_len,
                               const void* input, const void* weights, const int32_t* bias, void* output) {
  const int32_t zx = q->input_zero_point, zw = q->weight_zero_point;
  const int64_t c_n = p->in_c;
  for (int32_t n = 0; n < p->batch; n++)
    for (int32_t oy = 0; oy < out_h; oy++)
      for (int32_t ox = 0; ox < out_w; ox++) {
        const int64_t obase = (((int64_t)n * out_h + oy) * out_w + ox) * c_n;
        for (int64_t c = 0; c < c_n; c++) {
          int64_t acc = bias ? bias[c] : 0;
          for (int32_t ky = 0; ky < p->kernel_h; ky++) {
            const int64_t iy = (int64_t)oy * p->stride_h - p->pad_top + ky;
            if (iy < 0 || iy >= p->in_h) continue;
            for (int32_t kx = 0; kx < p->kernel_w; kx++) {
              const int64_t ix = (int64_t)ox * p->stride_w - p->pad_left + kx;
              if (ix < 0 || ix >= p->in_w) continue;
              const int64_t ii = (((int64_t)n * p->in_h + iy) * p->in_w + ix) * c_n + c;
              const int64_t wi = ((int64_t)ky * p->kernel_w + kx) * c_n + c;
              acc += (mna_q8_load(input, ii, sgn) - zx) * (mna_q8_load(weights, wi, sgn) - zw);
            }
          }
          const float s = scales[scales_len == 1 ? 0 : c];
          mna_q8_store(output, obase + c, mna_q8_requant(mna_q8_sat32(acc), s, q->output_zero_point, q->output_min, q->output_max), sgn);
        }
      }
  return MNA_OK;
}

mna_status mna_ref_q8_fully_connected(int sgn, int32_t batch, int32_t in_n, int32_t out_n,
                                      const mna_quant_conv_params* q, const float* scales, size_t scales_len,
                                      const void* input, const void* weights, const int32_t* bias, void* output) {
  const int32_t zx = q->input_zero_point, zw = q->weight_zero_point;
  for (int64_t b = 0; b < batch; b++)
    for (int64_t o = 0; o < out_n; o++) {
      int64_t acc = bias ? bias[o] : 0;
      for (int64_t i = 0; i < in_n; i++)
        acc += (mna_q8_load(input, b * in_n + i, sgn) - zx) * (mna_q8_load(weights, o * in_n + i, sgn) - zw);
      const float s = scales[scales_len == 1 ? 0 : o];
      mna_q8_store(output, b * out_n + o, mna_q8_requant(mna_q8_sat32(acc), s, q->output_zero_point, q->output_min, q->output_max), sgn);
    }
  return MNA_OK;
}
