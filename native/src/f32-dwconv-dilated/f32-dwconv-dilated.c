/* Driver and reference of the dilated float32 depthwise convolution (see dwd.h). Compiled with the baseline flags:
 * the row microkernel of the selected ISA table does the arithmetic. */
#include "f32-dwconv-dilated/dwd.h"

#include <math.h>

#include "common/activation.h"
#include "common/threadpool.h"

/* Tap rows the driver passes on the stack; taller windows (none in practice) run the reference. */
#define MNA_DWD_MAX_KH 32

typedef struct {
  mna_f32_dwd_ukernel uk;
  const mna_conv2d_params* p;
  size_t dh, dw, out_h, out_w;
  const float *input, *weights, *bias;
  float* output;
  float lo, hi;
} dwd_ctx;

static void dwd_rows(void* vctx, size_t begin, size_t end) {
  const dwd_ctx* d = (const dwd_ctx*)vctx;
  const mna_conv2d_params* p = d->p;
  const size_t c = (size_t)p->in_c, in_h = (size_t)p->in_h, in_w = (size_t)p->in_w, kh = (size_t)p->kernel_h;
  const float* rows[MNA_DWD_MAX_KH];
  for (size_t row = begin; row < end; row++) {
    const size_t n = row / d->out_h, oy = row % d->out_h;
    for (size_t ky = 0; ky < kh; ky++) {
      const ptrdiff_t iy = (ptrdiff_t)(oy * (size_t)p->stride_h) - p->pad_top + (ptrdiff_t)(ky * d->dh);
      rows[ky] = iy < 0 || iy >= (ptrdiff_t)in_h ? NULL : d->input + ((n * in_h + (size_t)iy) * in_w) * c;
    }
    d->uk(rows, kh, (size_t)p->kernel_w, in_w, c, (size_t)p->stride_w, d->dw, (size_t)p->pad_left, d->out_w, d->weights,
          d->bias, d->output + (n * d->out_h + oy) * d->out_w * c, d->lo, d->hi);
  }
}

static mna_f32_dwd_ukernel ukernel_for(mna_isa isa) {
  switch (isa) {
    case MNA_ISA_SCALAR: return mna_f32_dwd_ukernel__scalar;
#if defined(__x86_64__) || defined(_M_X64)
    case MNA_ISA_AVX2: return mna_f32_dwd_ukernel__avx2;
    case MNA_ISA_AVX512: return mna_f32_dwd_ukernel__avx512;
#endif
#if defined(__aarch64__)
    case MNA_ISA_NEON: return mna_f32_dwd_ukernel__neon;
#endif
    default: return NULL; /* the reference table */
  }
}

mna_status mna_f32_dwconv2d_dilated_run(const mna_conv2d_params* p, int32_t dh, int32_t dw, int32_t out_h,
                                        int32_t out_w, const float* input, const float* weights, const float* bias,
                                        float* output, mna_threadpool* pool) {
  const mna_f32_dwd_ukernel uk = ukernel_for(mna_current_isa());
  if (!uk || p->kernel_h > MNA_DWD_MAX_KH)
    return mna_ref_f32_dwconv2d_dilated(p, dh, dw, out_h, out_w, input, weights, bias, output, pool);
  dwd_ctx d = {uk, p, (size_t)dh, (size_t)dw, (size_t)out_h, (size_t)out_w, input, weights, bias, output, 0, 0};
  d.lo = p->activation == MNA_ACT_NONE ? -INFINITY : 0.0f;
  d.hi = p->activation == MNA_ACT_RELU6 ? 6.0f : INFINITY;
  mna_parallelize_1d(pool, dwd_rows, &d, (size_t)p->batch * (size_t)out_h);
  return MNA_OK;
}

/* ---------------------------------------------------------------- reference */

typedef struct {
  const mna_conv2d_params* p;
  int64_t dh, dw, out_h, out_w;
  const float *input, *weights, *bias;
  float* output;
} ref_ctx;

static void ref_rows(void* vctx, size_t begin, size_t end) {
  const ref_ctx* r = (const ref_ctx*)vctx;
  const mna_conv2d_params* p = r->p;
  const int64_t in_h = p->in_h, in_w = p->in_w, ch = p->in_c, kh = p->kernel_h, kw = p->kernel_w;
  for (size_t row = begin; row < end; row++) {
    const int64_t n = (int64_t)row / r->out_h, oy = (int64_t)row % r->out_h;
    for (int64_t ox = 0; ox < r->out_w; ox++) {
      float* out = r->output + ((n * r->out_h + oy) * r->out_w + ox) * ch;
      for (int64_t k = 0; k < ch; k++) {
        float acc = r->bias ? r->bias[k] : 0.0f;
        for (int64_t ky = 0; ky < kh; ky++) {
          const int64_t iy = oy * p->stride_h - p->pad_top + ky * r->dh;
          if (iy < 0 || iy >= in_h) continue;
          for (int64_t kx = 0; kx < kw; kx++) {
            const int64_t ix = ox * p->stride_w - p->pad_left + kx * r->dw;
            if (ix < 0 || ix >= in_w) continue;
            acc += r->input[((n * in_h + iy) * in_w + ix) * ch + k] * r->weights[(ky * kw + kx) * ch + k];
          }
        }
        out[k] = mna_activate(acc, p->activation);
      }
    }
  }
}

mna_status mna_ref_f32_dwconv2d_dilated(const mna_conv2d_params* p, int32_t dh, int32_t dw, int32_t out_h,
                                        int32_t out_w, const float* input, const float* weights, const float* bias,
                                        float* output, mna_threadpool* pool) {
  ref_ctx r = {p, dh, dw, out_h, out_w, input, weights, bias, output};
  mna_parallelize_1d(pool, ref_rows, &r, (size_t)p->batch * (size_t)out_h);
  return MNA_OK;
}
