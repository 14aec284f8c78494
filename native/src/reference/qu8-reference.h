/* Quantized (uint8 "qu8" / int8 "qs8") scalar reference kernels. One implementation serves both types:
 * `sgn` = 0 reads/writes uint8, 1 int8. The numerics are documented in mna.h ("quantized kernels"). */
#ifndef MNA_QU8_REFERENCE_H
#define MNA_QU8_REFERENCE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "mna.h"

static inline int32_t mna_q8_load(const void* p, int64_t i, int sgn) {
  return sgn ? (int32_t)((const int8_t*)p)[i] : (int32_t)((const uint8_t*)p)[i];
}

static inline void mna_q8_store(void* p, int64_t i, int32_t v, int sgn) {
  if (sgn)
    ((int8_t*)p)[i] = (int8_t)v;
  else
    ((uint8_t*)p)[i] = (uint8_t)v;
}

static inline int32_t mna_q8_sat32(int64_t v) {
  return v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v);
}

/* fp32 requantization: clamp((float)acc * scale) to [qmin - zp, qmax - zp], round to nearest-even, + zp. */
static inline int32_t mna_q8_requant(int32_t acc, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
  float v = (float)acc * scale;
  const float lo = (float)(qmin - zp), hi = (float)(qmax - zp);
  v = v < lo ? lo : v;
  v = v > hi ? hi : v;
  return (int32_t)lrintf(v) + zp;
}

/* dh, dl: dilation in h and w (1 = none). */
mna_status mna_ref_q8_conv2d(int sgn, const mna_conv2d_params* p, int32_t dh, int32_t dl, int32_t out_h, int32_t out_w,
                             const mna_quant_conv_params* q, const float* scales, size_t scales_len, const void* input,
                             const void* weights, const int32_t* bias, void* output);
mna_status mna_ref_q8_dwconv2d(int sgn, const mna_conv2d_params* p, int32_t dh, int32_t dl, int32_t out_h,
                               int32_t out_w, const mna_quant_conv_params* q, const float* scales, size_t scales_len,
                               const void* input, const void* weights, const int32_t* bias, void* output);
mna_status mna_ref_q8_fully_connected(int sgn, int32_t batch, int32_t in_n, int32_t out_n,
                                      const mna_quant_conv_params* q, const float* scales, size_t scales_len,
                                      const void* input, const void* weights, const int32_t* bias, void* output);
mna_status mna_ref_q8_avgpool2d(int sgn, const mna_conv2d_params* p, int32_t out_h, int32_t out_w, int32_t output_min,
                                int32_t output_max, const void* input, void* output);
mna_status mna_ref_q8_global_avgpool(int sgn, int32_t batch, int32_t h, int32_t w, int32_t c,
                                     const mna_quant_eltwise_params* q, const void* input, void* output);
mna_status mna_ref_q8_add(int sgn, int64_t count, const mna_quant_eltwise_params* q, const void* a, const void* b,
                          void* output);
mna_status mna_ref_q8_softmax(int sgn, int32_t batch, int32_t n, float beta, const mna_quant_eltwise_params* q,
                              const void* input, void* output);
mna_status mna_ref_q8_quantize(int sgn, int64_t count, float scale, int32_t zp, const float* input, void* output);
mna_status mna_ref_q8_dequantize(int sgn, int64_t count, float scale, int32_t zp, const void* input, float* output);

#endif
