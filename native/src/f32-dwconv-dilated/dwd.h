/* Float32 depthwise convolution with dilation (mna_f32_dwconv2d_dilated): the row microkernels per ISA, the
 * ISA-independent driver and the reference. Separate from the undilated 3x3 path (f32-dwconv/, common/fast.c), whose
 * speed it does not touch. */
#ifndef MNA_DWD_H
#define MNA_DWD_H

#include <stddef.h>
#include <stdint.h>

#include "mna.h"

/* One output row of a kh x kw depthwise convolution with stride (sx) and dilation (dx) along the row, NHWC.
 *  rows[ky]: the input row of tap row ky (in_w*c floats), NULL where it lies outside the image (its taps are skipped);
 *  pad_left: image columns start at that offset (right padding is implied by out_w);
 *  w [kh][kw][c], bias [c] or NULL; out: out_w*c floats.
 * Per element: acc = bias (0 without); acc = fma(x, w, acc) over the taps inside the image, (ky, kx) ascending;
 * then clamp to [vmin, vmax]. The same order on every path, so results do not depend on the thread count. */
typedef void (*mna_f32_dwd_ukernel)(const float* const* rows, size_t kh, size_t kw, size_t in_w, size_t c, size_t sx,
                                    size_t dx, size_t pad_left, size_t out_w, const float* w, const float* bias,
                                    float* out, float vmin, float vmax);

void mna_f32_dwd_ukernel__scalar(const float* const*, size_t, size_t, size_t, size_t, size_t, size_t, size_t, size_t,
                                 const float*, const float*, float*, float, float);
#if defined(__x86_64__) || defined(_M_X64)
void mna_f32_dwd_ukernel__avx2(const float* const*, size_t, size_t, size_t, size_t, size_t, size_t, size_t, size_t,
                               const float*, const float*, float*, float, float);
void mna_f32_dwd_ukernel__avx512(const float* const*, size_t, size_t, size_t, size_t, size_t, size_t, size_t, size_t,
                                 const float*, const float*, float*, float, float);
#endif
#if defined(__aarch64__)
void mna_f32_dwd_ukernel__neon(const float* const*, size_t, size_t, size_t, size_t, size_t, size_t, size_t, size_t,
                               const float*, const float*, float*, float, float);
#endif

/* Reference (MNA_ISA_REFERENCE): plain loops, skip-outside taps in (ky, kx) order, a rounded multiply then add. */
mna_status mna_ref_f32_dwconv2d_dilated(const mna_conv2d_params* p, int32_t dh, int32_t dw, int32_t out_h,
                                        int32_t out_w, const float* input, const float* weights, const float* bias,
                                        float* output, mna_threadpool* pool);

/* The driver: the row microkernel of the selected ISA table, threaded over batch*out_h rows. Arguments validated. */
mna_status mna_f32_dwconv2d_dilated_run(const mna_conv2d_params* p, int32_t dh, int32_t dw, int32_t out_h,
                                        int32_t out_w, const float* input, const float* weights, const float* bias,
                                        float* output, mna_threadpool* pool);

#endif
