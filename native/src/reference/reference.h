/* Naive scalar kernels for every op: the definition of the numerics every other kernel
 * is tested against. Accumulation is fp32 in a fixed order (see each file). */
#ifndef MNA_REFERENCE_H
#define MNA_REFERENCE_H

#include "common/kernels.h"

mna_status mna_ref_f32_conv2d(const mna_conv2d_params* p, int32_t out_h, int32_t out_w, const float* input,
                              const float* weights, const float* bias, float* output, mna_threadpool* pool);
mna_status mna_ref_f32_dwconv2d(const mna_conv2d_params* p, int32_t out_h, int32_t out_w, const float* input,
                                const float* weights, const float* bias, float* output, mna_threadpool* pool);
mna_status mna_ref_f32_pwconv(int64_t pixels, int32_t in_c, int32_t out_c, const float* input, const float* weights,
                              const float* bias, int32_t activation, float* output, mna_threadpool* pool);
mna_status mna_ref_f32_irb(const mna_irb_params* p, int32_t out_h, int32_t out_w, const float* input,
                           const float* expand_w, const float* expand_b, const float* dw_w, const float* dw_b,
                           const float* project_w, const float* project_b, float* output, mna_threadpool* pool);
mna_status mna_ref_f32_avgpool2d(const mna_conv2d_params* p, int32_t out_h, int32_t out_w, const float* input,
                                 float* output, mna_threadpool* pool);
mna_status mna_ref_f32_global_avgpool(int32_t batch, int32_t h, int32_t w, int32_t c, const float* input, float* output,
                                      mna_threadpool* pool);
mna_status mna_ref_f32_fully_connected(int32_t batch, int32_t in_n, int32_t out_n, const float* input,
                                       const float* weights, const float* bias, int32_t activation, float* output,
                                       mna_threadpool* pool);
mna_status mna_ref_f32_softmax(int32_t batch, int32_t n, float beta, const float* input, float* output);
mna_status mna_ref_f32_add(int64_t count, const float* a, const float* b, int32_t activation, float* output);
mna_status mna_ref_f32_activation(int64_t count, int32_t activation, const float* input, float* output);
mna_status mna_ref_f32_pad2d(int32_t batch, int32_t in_h, int32_t in_w, int32_t c, int32_t pad_top, int32_t pad_left,
                             int32_t pad_bottom, int32_t pad_right, float value, const float* input, float* output);

#endif
