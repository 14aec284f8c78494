/* Argument checks shared by the integer entry points (api-quant.c, api-q8.c): each returns MNA_OK or sets
 * mna_last_error ("fn: ...") and returns the failing status. */
#ifndef MNA_API_QUANT_H
#define MNA_API_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "mna.h"

mna_status q_ptr(const char* fn, const char* name, const void* ptr);
mna_status q_positive(const char* fn, const char* name, int64_t v);
mna_status q_nonneg(const char* fn, const char* name, int64_t v);
/* a*b*c*d without overflow and within MNA_MAX_ELEMENTS */
mna_status q_product(const char* fn, const char* what, int64_t a, int64_t b, int64_t c, int64_t d, int64_t* out);
mna_status q_len(const char* fn, const char* name, size_t len, int64_t required);
/* v within [0, 255] (sgn 0) or [-128, 127] (sgn 1) */
mna_status q_range(const char* fn, const char* name, int32_t v, int sgn);
mna_status q_clamp(const char* fn, int32_t mn, int32_t mx, int sgn);
mna_status q_scale(const char* fn, const char* name, float s);
mna_status q_no_overlap(const char* fn, const void* out, int64_t out_bytes, const char* name, const void* in,
                        int64_t in_bytes, int in_place);
/* output size of one window dimension (k: the effective, dilated, kernel extent) */
mna_status q_window(const char* fn, const char* dim, int64_t in, int64_t pa, int64_t pb, int64_t k, int64_t s,
                    int32_t* out);
mna_status q_conv_quant(const char* fn, const mna_quant_conv_params* q, const float* scales, size_t scales_len,
                        int64_t channels, int sgn);
mna_status q_eltwise(const char* fn, const mna_quant_eltwise_params* q, int use_b, int sgn);
/* Window params of a quantized conv / depthwise / pool: sizes, strides, pads, and the output size. */
mna_status q_conv_params(const char* fn, const mna_conv2d_params* p, int32_t* oh, int32_t* ow);

#define Q_TRY(expr)                          \
  do {                                       \
    const mna_status q_try_s_ = (expr);      \
    if (q_try_s_ != MNA_OK) return q_try_s_; \
  } while (0)

#endif
