/* Exported entry points of the quantized (qu8 / qs8) kernels: validate every argument (pointers, sizes, zero
 * points and clamps in the type's range, scales positive and finite, buffer lengths, overlap), then call the scalar
 * reference kernel. Same conventions as the float32 entry points (api-f32-validate.h). */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>

#include "common/common.h"
#include "reference/qu8-reference.h"
#include "api-quant.h"
#include "common/q8-ukernels.h"

#define TRY(expr)                        \
  do {                                   \
    const mna_status try_s_ = (expr);    \
    if (try_s_ != MNA_OK) return try_s_; \
  } while (0)

/* ------------------------------------------------------------------ conv family */

static mna_status q8_conv(const char* fn, int sgn, int depthwise, const mna_conv2d_params* p,
                          const mna_quant_conv_params* q, const float* scales, size_t scales_len, const void* input,
                          size_t input_len, const void* weights, size_t weights_len, const int32_t* bias,
                          size_t bias_len, void* output, size_t output_len) {
  TRY(q_ptr(fn, "input", input));
  TRY(q_ptr(fn, "weights", weights));
  TRY(q_ptr(fn, "output", output));
  int32_t oh = 0, ow = 0;
  TRY(q_conv_params(fn, p, &oh, &ow));
  if (depthwise && p->out_c != p->in_c)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: out_c %d must equal in_c %d", fn, (int)p->out_c, (int)p->in_c);
  TRY(q_conv_quant(fn, q, scales, scales_len, p->out_c, sgn));
  if (!depthwise && p->in_c > 32768)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: in_c %d > 32768 (a tap's int32 partial sum could overflow)", fn,
                         (int)p->in_c);
  int64_t in_n = 0, w_n = 0, out_n = 0;
  TRY(q_product(fn, "input", p->batch, p->in_h, p->in_w, p->in_c, &in_n));
  TRY(q_product(fn, "weights", depthwise ? 1 : p->out_c, p->kernel_h, p->kernel_w, p->in_c, &w_n));
  TRY(q_product(fn, "output", p->batch, oh, ow, p->out_c, &out_n));
  TRY(q_len(fn, "input_len", input_len, in_n));
  TRY(q_len(fn, "weights_len", weights_len, w_n));
  if (bias) TRY(q_len(fn, "bias_len", bias_len, p->out_c));
  TRY(q_len(fn, "output_len", output_len, out_n));
  TRY(q_no_overlap(fn, output, out_n, "input", input, in_n, 0));
  TRY(q_no_overlap(fn, output, out_n, "weights", weights, w_n, 0));
  if (bias) TRY(q_no_overlap(fn, output, out_n, "bias", bias, (int64_t)p->out_c * 4, 0));
  return depthwise ? mna_ref_q8_dwconv2d(sgn, p, 1, 1, oh, ow, q, scales, scales_len, input, weights, bias, output)
                   : mna_ref_q8_conv2d(sgn, p, 1, 1, oh, ow, q, scales, scales_len, input, weights, bias, output);
}

MNA_API mna_status mna_qu8_conv2d(const mna_conv2d_params* p, const mna_quant_conv_params* q, const float* scales,
                                  size_t scales_len, const uint8_t* input, size_t input_len, const uint8_t* weights,
                                  size_t weights_len, const int32_t* bias, size_t bias_len, uint8_t* output,
                                  size_t output_len, mna_threadpool* pool) {
  (void)pool;
  return q8_conv("mna_qu8_conv2d", 0, 0, p, q, scales, scales_len, input, input_len, weights, weights_len, bias,
                 bias_len, output, output_len);
}

MNA_API mna_status mna_qs8_conv2d(const mna_conv2d_params* p, const mna_quant_conv_params* q, const float* scales,
                                  size_t scales_len, const int8_t* input, size_t input_len, const int8_t* weights,
                                  size_t weights_len, const int32_t* bias, size_t bias_len, int8_t* output,
                                  size_t output_len, mna_threadpool* pool) {
  (void)pool;
  return q8_conv("mna_qs8_conv2d", 1, 0, p, q, scales, scales_len, input, input_len, weights, weights_len, bias,
                 bias_len, output, output_len);
}

MNA_API mna_status mna_qu8_dwconv2d(const mna_conv2d_params* p, const mna_quant_conv_params* q, const float* scales,
                                    size_t scales_len, const uint8_t* input, size_t input_len, const uint8_t* weights,
                                    size_t weights_len, const int32_t* bias, size_t bias_len, uint8_t* output,
                                    size_t output_len, mna_threadpool* pool) {
  (void)pool;
  return q8_conv("mna_qu8_dwconv2d", 0, 1, p, q, scales, scales_len, input, input_len, weights, weights_len, bias,
                 bias_len, output, output_len);
}

MNA_API mna_status mna_qs8_dwconv2d(const mna_conv2d_params* p, const mna_quant_conv_params* q, const float* scales,
                                    size_t scales_len, const int8_t* input, size_t input_len, const int8_t* weights,
                                    size_t weights_len, const int32_t* bias, size_t bias_len, int8_t* output,
                                    size_t output_len, mna_threadpool* pool) {
  (void)pool;
  return q8_conv("mna_qs8_dwconv2d", 1, 1, p, q, scales, scales_len, input, input_len, weights, weights_len, bias,
                 bias_len, output, output_len);
}

static mna_status q8_fc(const char* fn, int sgn, int32_t batch, int32_t in_n, int32_t out_n,
                        const mna_quant_conv_params* q, const float* scales, size_t scales_len, const void* input,
                        size_t input_len, const void* weights, size_t weights_len, const int32_t* bias, size_t bias_len,
                        void* output, size_t output_len) {
  TRY(q_ptr(fn, "input", input));
  TRY(q_ptr(fn, "weights", weights));
  TRY(q_ptr(fn, "output", output));
  TRY(q_positive(fn, "batch", batch));
  TRY(q_positive(fn, "in_n", in_n));
  TRY(q_positive(fn, "out_n", out_n));
  TRY(q_conv_quant(fn, q, scales, scales_len, out_n, sgn));
  int64_t ni = 0, nw = 0, no = 0;
  TRY(q_product(fn, "input", batch, in_n, 1, 1, &ni));
  TRY(q_product(fn, "weights", out_n, in_n, 1, 1, &nw));
  TRY(q_product(fn, "output", batch, out_n, 1, 1, &no));
  TRY(q_len(fn, "input_len", input_len, ni));
  TRY(q_len(fn, "weights_len", weights_len, nw));
  if (bias) TRY(q_len(fn, "bias_len", bias_len, out_n));
  TRY(q_len(fn, "output_len", output_len, no));
  TRY(q_no_overlap(fn, output, no, "input", input, ni, 0));
  TRY(q_no_overlap(fn, output, no, "weights", weights, nw, 0));
  if (bias) TRY(q_no_overlap(fn, output, no, "bias", bias, (int64_t)out_n * 4, 0));
  return mna_ref_q8_fully_connected(sgn, batch, in_n, out_n, q, scales, scales_len, input, weights, bias, output);
}

MNA_API mna_status mna_qu8_fully_connected(int32_t batch, int32_t in_n, int32_t out_n, const mna_quant_conv_params* q,
                                           const float* scales, size_t scales_len, const uint8_t* input,
                                           size_t input_len, const uint8_t* weights, size_t weights_len,
                                           const int32_t* bias, size_t bias_len, uint8_t* output, size_t output_len,
                                           mna_threadpool* pool) {
  (void)pool;
  return q8_fc("mna_qu8_fully_connected", 0, batch, in_n, out_n, q, scales, scales_len, input, input_len, weights,
               weights_len, bias, bias_len, output, output_len);
}

MNA_API mna_status mna_qs8_fully_connected(int32_t batch, int32_t in_n, int32_t out_n, const mna_quant_conv_params* q,
                                           const float* scales, size_t scales_len, const int8_t* input,
                                           size_t input_len, const int8_t* weights, size_t weights_len,
                                           const int32_t* bias, size_t bias_len, int8_t* output, size_t output_len,
                                           mna_threadpool* pool) {
  (void)pool;
  return q8_fc("mna_qs8_fully_connected", 1, batch, in_n, out_n, q, scales, scales_len, input, input_len, weights,
               weights_len, bias, bias_len, output, output_len);
}

/* ------------------------------------------------------------------- pooling */

static mna_status q8_avgpool(const char* fn, int sgn, const mna_conv2d_params* p, int32_t mn, int32_t mx,
                             const void* input, size_t input_len, void* output, size_t output_len) {
  TRY(q_ptr(fn, "input", input));
  TRY(q_ptr(fn, "output", output));
  int32_t oh = 0, ow = 0;
  TRY(q_conv_params(fn, p, &oh, &ow));
  if (p->out_c != p->in_c)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: out_c %d must equal in_c %d", fn, (int)p->out_c, (int)p->in_c);
  if ((int64_t)p->kernel_h * p->kernel_w > (1 << 23))
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: window %dx%d is too large (sum must fit int32)", fn,
                         (int)p->kernel_h, (int)p->kernel_w);
  TRY(q_clamp(fn, mn, mx, sgn));
  int64_t in_n = 0, out_n = 0;
  TRY(q_product(fn, "input", p->batch, p->in_h, p->in_w, p->in_c, &in_n));
  TRY(q_product(fn, "output", p->batch, oh, ow, p->out_c, &out_n));
  TRY(q_len(fn, "input_len", input_len, in_n));
  TRY(q_len(fn, "output_len", output_len, out_n));
  TRY(q_no_overlap(fn, output, out_n, "input", input, in_n, 0));
  if (!mna_q8_active_ukernels()) return mna_ref_q8_avgpool2d(sgn, p, oh, ow, mn, mx, input, output);
  mna_q8_avgpool_channels(sgn, p, oh, ow, mn, mx, input, output);
  return MNA_OK;
}

MNA_API mna_status mna_qu8_avgpool2d(const mna_conv2d_params* p, int32_t output_min, int32_t output_max,
                                     const uint8_t* input, size_t input_len, uint8_t* output, size_t output_len) {
  return q8_avgpool("mna_qu8_avgpool2d", 0, p, output_min, output_max, input, input_len, output, output_len);
}

MNA_API mna_status mna_qs8_avgpool2d(const mna_conv2d_params* p, int32_t output_min, int32_t output_max,
                                     const int8_t* input, size_t input_len, int8_t* output, size_t output_len) {
  return q8_avgpool("mna_qs8_avgpool2d", 1, p, output_min, output_max, input, input_len, output, output_len);
}

static mna_status q8_gavg(const char* fn, int sgn, int32_t batch, int32_t h, int32_t w, int32_t c,
                          const mna_quant_eltwise_params* q, const void* input, size_t input_len, void* output,
                          size_t output_len) {
  TRY(q_ptr(fn, "input", input));
  TRY(q_ptr(fn, "output", output));
  TRY(q_positive(fn, "batch", batch));
  TRY(q_positive(fn, "h", h));
  TRY(q_positive(fn, "w", w));
  TRY(q_positive(fn, "c", c));
  if ((int64_t)h * w > (1 << 23))
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: h*w %" PRId64 " is too large (sum must fit int32)", fn,
                         (int64_t)h * w);
  TRY(q_eltwise(fn, q, 0, sgn));
  int64_t in_n = 0, out_n = 0;
  TRY(q_product(fn, "input", batch, h, w, c, &in_n));
  TRY(q_product(fn, "output", batch, c, 1, 1, &out_n));
  TRY(q_len(fn, "input_len", input_len, in_n));
  TRY(q_len(fn, "output_len", output_len, out_n));
  TRY(q_no_overlap(fn, output, out_n, "input", input, in_n, 0));
  return mna_ref_q8_global_avgpool(sgn, batch, h, w, c, q, input, output);
}

MNA_API mna_status mna_qu8_global_avgpool(int32_t batch, int32_t h, int32_t w, int32_t c,
                                          const mna_quant_eltwise_params* q, const uint8_t* input, size_t input_len,
                                          uint8_t* output, size_t output_len) {
  return q8_gavg("mna_qu8_global_avgpool", 0, batch, h, w, c, q, input, input_len, output, output_len);
}

MNA_API mna_status mna_qs8_global_avgpool(int32_t batch, int32_t h, int32_t w, int32_t c,
                                          const mna_quant_eltwise_params* q, const int8_t* input, size_t input_len,
                                          int8_t* output, size_t output_len) {
  return q8_gavg("mna_qs8_global_avgpool", 1, batch, h, w, c, q, input, input_len, output, output_len);
}

/* ------------------------------------------------------------- element-wise */

static mna_status q8_add(const char* fn, int sgn, int64_t count, const mna_quant_eltwise_params* q, const void* a,
                         size_t a_len, const void* b, size_t b_len, void* output, size_t output_len) {
  TRY(q_ptr(fn, "a", a));
  TRY(q_ptr(fn, "b", b));
  TRY(q_ptr(fn, "output", output));
  TRY(q_positive(fn, "count", count));
  if (count > MNA_MAX_ELEMENTS) return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: count too large", fn);
  TRY(q_eltwise(fn, q, 1, sgn));
  TRY(q_len(fn, "a_len", a_len, count));
  TRY(q_len(fn, "b_len", b_len, count));
  TRY(q_len(fn, "output_len", output_len, count));
  TRY(q_no_overlap(fn, output, count, "a", a, count, 1));
  TRY(q_no_overlap(fn, output, count, "b", b, count, 1));
  const mna_q8_ukernels* uk = mna_q8_active_ukernels();
  if (!uk) return mna_ref_q8_add(sgn, count, q, a, b, output);
  const mna_q8_add_params ap = mna_q8_add_params_of(q);
  uk->add((size_t)count, (const uint8_t*)a, (const uint8_t*)b, (uint8_t*)output, &ap, sgn);
  return MNA_OK;
}

MNA_API mna_status mna_qu8_add(int64_t count, const mna_quant_eltwise_params* q, const uint8_t* a, size_t a_len,
                               const uint8_t* b, size_t b_len, uint8_t* output, size_t output_len) {
  return q8_add("mna_qu8_add", 0, count, q, a, a_len, b, b_len, output, output_len);
}

MNA_API mna_status mna_qs8_add(int64_t count, const mna_quant_eltwise_params* q, const int8_t* a, size_t a_len,
                               const int8_t* b, size_t b_len, int8_t* output, size_t output_len) {
  return q8_add("mna_qs8_add", 1, count, q, a, a_len, b, b_len, output, output_len);
}

static mna_status q8_softmax(const char* fn, int sgn, int32_t batch, int32_t n, float beta,
                             const mna_quant_eltwise_params* q, const void* input, size_t input_len, void* output,
                             size_t output_len) {
  TRY(q_ptr(fn, "input", input));
  TRY(q_ptr(fn, "output", output));
  TRY(q_positive(fn, "batch", batch));
  TRY(q_positive(fn, "n", n));
  TRY(q_scale(fn, "beta", beta));
  TRY(q_eltwise(fn, q, 0, sgn));
  int64_t total = 0;
  TRY(q_product(fn, "input", batch, n, 1, 1, &total));
  TRY(q_len(fn, "input_len", input_len, total));
  TRY(q_len(fn, "output_len", output_len, total));
  TRY(q_no_overlap(fn, output, total, "input", input, total, 0));
  return mna_ref_q8_softmax(sgn, batch, n, beta, q, input, output);
}

MNA_API mna_status mna_qu8_softmax(int32_t batch, int32_t n, float beta, const mna_quant_eltwise_params* q,
                                   const uint8_t* input, size_t input_len, uint8_t* output, size_t output_len) {
  return q8_softmax("mna_qu8_softmax", 0, batch, n, beta, q, input, input_len, output, output_len);
}

MNA_API mna_status mna_qs8_softmax(int32_t batch, int32_t n, float beta, const mna_quant_eltwise_params* q,
                                   const int8_t* input, size_t input_len, int8_t* output, size_t output_len) {
  return q8_softmax("mna_qs8_softmax", 1, batch, n, beta, q, input, input_len, output, output_len);
}

static mna_status q8_convert_check(const char* fn, int sgn, int64_t count, float scale, int32_t zp, const void* input,
                                   size_t input_len, size_t in_size, const void* output, size_t output_len,
                                   size_t out_size) {
  TRY(q_ptr(fn, "input", input));
  TRY(q_ptr(fn, "output", output));
  TRY(q_positive(fn, "count", count));
  if (count > MNA_MAX_ELEMENTS) return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: count too large", fn);
  TRY(q_scale(fn, "scale", scale));
  TRY(q_range(fn, "zero_point", zp, sgn));
  TRY(q_len(fn, "input_len", input_len, count));
  TRY(q_len(fn, "output_len", output_len, count));
  TRY(q_no_overlap(fn, output, count * (int64_t)out_size, "input", input, count * (int64_t)in_size, 0));
  return MNA_OK;
}

/* The selected integer table's quantize (the reference expression, vectorised), or the reference kernel. */
static mna_status q8_quantize(int sgn, int64_t count, float scale, int32_t zp, const float* input, void* output) {
  const mna_q8_ukernels* uk = mna_q8_active_ukernels();
  if (!uk) return mna_ref_q8_quantize(sgn, count, scale, zp, input, output);
  uk->quantize((size_t)count, input, scale, zp, (float)((sgn ? -128 : 0) - zp), (float)((sgn ? 127 : 255) - zp),
               (uint8_t*)output);
  return MNA_OK;
}

MNA_API mna_status mna_qu8_quantize(int64_t count, float scale, int32_t zero_point, const float* input,
                                    size_t input_len, uint8_t* output, size_t output_len) {
  TRY(q8_convert_check("mna_qu8_quantize", 0, count, scale, zero_point, input, input_len, 4, output, output_len, 1));
  return q8_quantize(0, count, scale, zero_point, input, output);
}

MNA_API mna_status mna_qs8_quantize(int64_t count, float scale, int32_t zero_point, const float* input,
                                    size_t input_len, int8_t* output, size_t output_len) {
  TRY(q8_convert_check("mna_qs8_quantize", 1, count, scale, zero_point, input, input_len, 4, output, output_len, 1));
  return q8_quantize(1, count, scale, zero_point, input, output);
}

MNA_API mna_status mna_qu8_dequantize(int64_t count, float scale, int32_t zero_point, const uint8_t* input,
                                      size_t input_len, float* output, size_t output_len) {
  TRY(q8_convert_check("mna_qu8_dequantize", 0, count, scale, zero_point, input, input_len, 1, output, output_len, 4));
  return mna_ref_q8_dequantize(0, count, scale, zero_point, input, output);
}

MNA_API mna_status mna_qs8_dequantize(int64_t count, float scale, int32_t zero_point, const int8_t* input,
                                      size_t input_len, float* output, size_t output_len) {
  TRY(q8_convert_check("mna_qs8_dequantize", 1, count, scale, zero_point, input, input_len, 1, output, output_len, 4));
  return mna_ref_q8_dequantize(1, count, scale, zero_point, input, output);
}

MNA_API mna_status mna_requantize_fp32(int32_t acc, float scale, int32_t zero_point, int32_t output_min,
                                       int32_t output_max, int32_t* result) {
  static const char fn[] = "mna_requantize_fp32";
  TRY(q_ptr(fn, "result", result));
  TRY(q_scale(fn, "scale", scale));
  if (zero_point < -128 || zero_point > 255 || output_min < -128 || output_max > 255 || output_min > output_max)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: zero_point %d / clamp [%d, %d] invalid", fn, (int)zero_point,
                         (int)output_min, (int)output_max);
  *result = mna_q8_requant(acc, scale, zero_point, output_min, output_max);
  return MNA_OK;
}
