/* Quantized convolution, depthwise convolution and fully connected (uint8 / int8): exact accumulation (int64,
 * saturated to int32 — never reached by real models, but no overflow is possible) of (qx - zx) * (qw - zw) over
 * in-image taps plus the int32 bias, then fp32 requantization (mna.h). One body per element type (macro-expanded),
 * so the inner loops are plain typed loops. */
#include "reference/qu8-reference.h"

#define MNA_Q8_CONV_BODIES(T, SUFFIX)                                                                                 \
  static void conv2d_##SUFFIX(const mna_conv2d_params* p, int32_t dh, int32_t dl, int32_t out_h, int32_t out_w,       \
                              const mna_quant_conv_params* q, const float* scales, size_t scales_len, const T* input, \
                              const T* weights, const int32_t* bias, T* output) {                                     \
    const int32_t zx = q->input_zero_point, zw = q->weight_zero_point;                                                \
    const int64_t ic_n = p->in_c, oc_n = p->out_c;                                                                    \
    for (int32_t n = 0; n < p->batch; n++)                                                                            \
      for (int32_t oy = 0; oy < out_h; oy++)                                                                          \
        for (int32_t ox = 0; ox < out_w; ox++) {                                                                      \
          T* out = output + (((int64_t)n * out_h + oy) * out_w + ox) * oc_n;                                          \
          for (int64_t oc = 0; oc < oc_n; oc++) {                                                                     \
            int64_t acc = bias ? bias[oc] : 0;                                                                        \
            for (int32_t ky = 0; ky < p->kernel_h; ky++) {                                                            \
              const int64_t iy = (int64_t)oy * p->stride_h - p->pad_top + (int64_t)ky * dh;                           \
              if (iy < 0 || iy >= p->in_h) continue;                                                                  \
              for (int32_t kx = 0; kx < p->kernel_w; kx++) {                                                          \
                const int64_t ix = (int64_t)ox * p->stride_w - p->pad_left + (int64_t)kx * dl;                        \
                if (ix < 0 || ix >= p->in_w) continue;                                                                \
                const T* x = input + (((int64_t)n * p->in_h + iy) * p->in_w + ix) * ic_n;                             \
                const T* w = weights + ((oc * p->kernel_h + ky) * p->kernel_w + kx) * ic_n;                           \
                int32_t part = 0; /* |part| <= in_c * 255 * 255 < 2^31 for in_c <= 32768 (checked in api) */          \
                for (int64_t ic = 0; ic < ic_n; ic++) part += ((int32_t)x[ic] - zx) * ((int32_t)w[ic] - zw);          \
                acc += part;                                                                                          \
              }                                                                                                       \
            }                                                                                                         \
            const float s = scales[scales_len == 1 ? 0 : oc];                                                         \
            out[oc] = (T)mna_q8_requant(mna_q8_sat32(acc), s, q->output_zero_point, q->output_min, q->output_max);    \
          }                                                                                                           \
        }                                                                                                             \
  }                                                                                                                   \
                                                                                                                      \
  static void dwconv2d_##SUFFIX(const mna_conv2d_params* p, int32_t dh, int32_t dl, int32_t out_h, int32_t out_w,     \
                                const mna_quant_conv_params* q, const float* scales, size_t scales_len,               \
                                const T* input, const T* weights, const int32_t* bias, T* output) {                   \
    const int32_t zx = q->input_zero_point, zw = q->weight_zero_point;                                                \
    const int64_t c_n = p->in_c;                                                                                      \
    for (int32_t n = 0; n < p->batch; n++)                                                                            \
      for (int32_t oy = 0; oy < out_h; oy++)                                                                          \
        for (int32_t ox = 0; ox < out_w; ox++) {                                                                      \
          T* out = output + (((int64_t)n * out_h + oy) * out_w + ox) * c_n;                                           \
          for (int64_t c = 0; c < c_n; c++) {                                                                         \
            int64_t acc = bias ? bias[c] : 0;                                                                         \
            for (int32_t ky = 0; ky < p->kernel_h; ky++) {                                                            \
              const int64_t iy = (int64_t)oy * p->stride_h - p->pad_top + (int64_t)ky * dh;                           \
              if (iy < 0 || iy >= p->in_h) continue;                                                                  \
              for (int32_t kx = 0; kx < p->kernel_w; kx++) {                                                          \
                const int64_t ix = (int64_t)ox * p->stride_w - p->pad_left + (int64_t)kx * dl;                        \
                if (ix < 0 || ix >= p->in_w) continue;                                                                \
                const int32_t xv = input[(((int64_t)n * p->in_h + iy) * p->in_w + ix) * c_n + c];                     \
                const int32_t wv = weights[((int64_t)ky * p->kernel_w + kx) * c_n + c];                               \
                acc += (int64_t)((xv - zx) * (wv - zw));                                                              \
              }                                                                                                       \
            }                                                                                                         \
            const float s = scales[scales_len == 1 ? 0 : c];                                                          \
            out[c] = (T)mna_q8_requant(mna_q8_sat32(acc), s, q->output_zero_point, q->output_min, q->output_max);     \
          }                                                                                                           \
        }                                                                                                             \
  }                                                                                                                   \
                                                                                                                      \
  static void fc_##SUFFIX(int32_t batch, int32_t in_n, int32_t out_n, const mna_quant_conv_params* q,                 \
                          const float* scales, size_t scales_len, const T* input, const T* weights,                   \
                          const int32_t* bias, T* output) {                                                           \
    const int32_t zx = q->input_zero_point, zw = q->weight_zero_point;                                                \
    for (int64_t b = 0; b < batch; b++)                                                                               \
      for (int64_t o = 0; o < out_n; o++) {                                                                           \
        int64_t acc = bias ? bias[o] : 0;                                                                             \
        const T* x = input + b * in_n;                                                                                \
        const T* w = weights + o * in_n;                                                                              \
        for (int64_t i = 0; i < in_n; i++) acc += (int64_t)(((int32_t)x[i] - zx) * ((int32_t)w[i] - zw));             \
        const float s = scales[scales_len == 1 ? 0 : o];                                                              \
        output[b * out_n + o] =                                                                                       \
            (T)mna_q8_requant(mna_q8_sat32(acc), s, q->output_zero_point, q->output_min, q->output_max);              \
      }                                                                                                               \
  }

MNA_Q8_CONV_BODIES(uint8_t, u8)
MNA_Q8_CONV_BODIES(int8_t, s8)

mna_status mna_ref_q8_conv2d(int sgn, const mna_conv2d_params* p, int32_t dh, int32_t dl, int32_t out_h, int32_t out_w,
                             const mna_quant_conv_params* q, const float* scales, size_t scales_len, const void* input,
                             const void* weights, const int32_t* bias, void* output) {
  if (sgn)
    conv2d_s8(p, dh, dl, out_h, out_w, q, scales, scales_len, input, weights, bias, output);
  else
    conv2d_u8(p, dh, dl, out_h, out_w, q, scales, scales_len, input, weights, bias, output);
  return MNA_OK;
}

mna_status mna_ref_q8_dwconv2d(int sgn, const mna_conv2d_params* p, int32_t dh, int32_t dl, int32_t out_h,
                               int32_t out_w, const mna_quant_conv_params* q, const float* scales, size_t scales_len,
                               const void* input, const void* weights, const int32_t* bias, void* output) {
  if (sgn)
    dwconv2d_s8(p, dh, dl, out_h, out_w, q, scales, scales_len, input, weights, bias, output);
  else
    dwconv2d_u8(p, dh, dl, out_h, out_w, q, scales, scales_len, input, weights, bias, output);
  return MNA_OK;
}

mna_status mna_ref_q8_fully_connected(int sgn, int32_t batch, int32_t in_n, int32_t out_n,
                                      const mna_quant_conv_params* q, const float* scales, size_t scales_len,
                                      const void* input, const void* weights, const int32_t* bias, void* output) {
  if (sgn)
    fc_s8(batch, in_n, out_n, q, scales, scales_len, input, weights, bias, output);
  else
    fc_u8(batch, in_n, out_n, q, scales, scales_len, input, weights, bias, output);
  return MNA_OK;
}
