/* Exported entry points of the pre-packed integer layers (mna_q8_pack / _run): validation, the packed object, and
 * the convolution drivers (1x1 as a GEMM on the input, KxK through im2col rows, depthwise through tap pointers). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "api-quant.h"
#include "common/common.h"
#include "common/q8-packed.h"
#include "common/q8-ukernels.h"
#include "common/threadpool.h"
#include "common/ukernels.h"
#include "reference/qu8-reference.h"

#define Q8_MAX_TAPS 64 /* depthwise windows up to 8x8 run the fast path */

static const char* kind_name(int32_t kind) {
  return kind == 0 ? "conv2d" : kind == 1 ? "depthwise" : "fully_connected";
}

static void q8_free(mna_q8_packed* pk) {
  mna_aligned_free(pk->packed);
  free(pk->zrow);
  free(pk->weights);
  free(pk->bias);
  free(pk->scales);
  free(pk);
}

MNA_API mna_status mna_q8_packed_destroy(mna_q8_packed* pk) {
  if (!pk) return MNA_OK;
  if (pk->magic != MNA_Q8_PACKED_MAGIC)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "mna_q8_packed_destroy: not a live mna_q8_packed object");
  pk->magic = 0;
  q8_free(pk);
  return MNA_OK;
}

MNA_API mna_isa_q8 mna_q8_packed_isa(const mna_q8_packed* pk) {
  return pk && pk->magic == MNA_Q8_PACKED_MAGIC ? pk->isa : MNA_ISA_Q8_AUTO;
}

static void* dup_bytes(const void* src, size_t n, int* failed) {
  void* d = malloc(n ? n : 1);
  if (!d) {
    *failed = 1;
    return NULL;
  }
  if (n) memcpy(d, src, n);
  return d;
}

MNA_API mna_status mna_q8_pack(const mna_q8_layer* l, const mna_quant_conv_params* q, const float* scales,
                               size_t scales_len, const void* weights, size_t weights_len, const int32_t* bias,
                               size_t bias_len, mna_q8_packed** out) {
  static const char fn[] = "mna_q8_pack";
  Q_TRY(q_ptr(fn, "packed", out));
  *out = NULL;
  Q_TRY(q_ptr(fn, "layer", l));
  Q_TRY(q_ptr(fn, "weights", weights));
  if (l->kind < 0 || l->kind > 2)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT,
                         "%s: kind %d is not 0 (conv2d), 1 (depthwise) or 2 (fully connected)", fn, (int)l->kind);
  if ((l->input_type != 0 && l->input_type != 1) || (l->weight_type != 0 && l->weight_type != 1))
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: input_type %d / weight_type %d must be 0 (uint8) or 1 (int8)",
                         fn, (int)l->input_type, (int)l->weight_type);
  if (l->input_type != l->weight_type)
    return mna_set_error(MNA_ERR_UNSUPPORTED, "%s: %s input with %s weights is not supported", fn,
                         l->input_type ? "int8" : "uint8", l->weight_type ? "int8" : "uint8");
  Q_TRY(q_positive(fn, "in_c", l->in_c));
  Q_TRY(q_positive(fn, "out_c", l->out_c));
  Q_TRY(q_positive(fn, "kernel_h", l->kernel_h));
  Q_TRY(q_positive(fn, "kernel_w", l->kernel_w));
  if (l->kind == 1 && l->out_c != l->in_c)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: depthwise out_c %d must equal in_c %d", fn, (int)l->out_c,
                         (int)l->in_c);
  if (l->kind == 2 && (l->kernel_h != 1 || l->kernel_w != 1))
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: fully connected kernel must be 1x1", fn);
  if (l->kind != 1 && l->in_c > 32768)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: in_c %d > 32768 (a tap's int32 partial sum could overflow)", fn,
                         (int)l->in_c);
  const int sgn = l->input_type;
  Q_TRY(q_conv_quant(fn, q, scales, scales_len, l->out_c, sgn));
  int64_t taps = 0, wn = 0;
  Q_TRY(q_product(fn, "window", l->kernel_h, l->kernel_w, 1, 1, &taps));
  Q_TRY(q_product(fn, "weights", l->kind == 1 ? 1 : l->out_c, taps, l->in_c, 1, &wn));
  Q_TRY(q_len(fn, "weights_len", weights_len, wn));
  if (bias) Q_TRY(q_len(fn, "bias_len", bias_len, l->out_c));

  mna_q8_packed* pk = (mna_q8_packed*)calloc(1, sizeof *pk);
  if (!pk) return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "%s: cannot allocate the packed object", fn);
  pk->magic = MNA_Q8_PACKED_MAGIC;
  pk->layer = *l;
  pk->q = *q;
  pk->rq.lo = (float)(q->output_min - q->output_zero_point);
  pk->rq.hi = (float)(q->output_max - q->output_zero_point);
  pk->rq.zp = q->output_zero_point;
  pk->k = (size_t)(l->kind == 1 ? taps : taps * l->in_c);
  pk->uk = mna_q8_active_ukernels();
  /* exact-accumulator bound: |bias| + taps * 255 * 255 must fit int32, else the reference (which saturates) runs */
  int64_t max_bias = 0;
  for (int32_t i = 0; bias && i < l->out_c; i++) {
    const int64_t b = bias[i] < 0 ? -(int64_t)bias[i] : bias[i];
    max_bias = b > max_bias ? b : max_bias;
  }
  if (max_bias + (int64_t)pk->k * 65025 > INT32_MAX || (l->kind == 1 && taps > Q8_MAX_TAPS)) pk->uk = NULL;
  pk->isa = pk->uk ? pk->uk->isa : MNA_ISA_Q8_REFERENCE;

  int failed = 0;
  const size_t zbytes = l->kind == 1 ? (size_t)l->in_c : pk->k;
  pk->zrow = (uint8_t*)malloc(zbytes);
  if (pk->zrow)
    memset(pk->zrow, (uint8_t)q->input_zero_point, zbytes);
  else
    failed = 1;
  if (pk->uk && !failed) {
    if (l->kind == 1)
      pk->packed = mna_q8_dw_pack((size_t)l->in_c, (size_t)taps, weights, l->weight_type, q->weight_zero_point,
                                  q->input_zero_point, bias, scales, scales_len);
    else
      pk->packed = mna_q8_gemm_pack(pk->uk, (size_t)l->out_c, pk->k, weights, pk->k, l->weight_type,
                                    q->weight_zero_point, sgn, q->input_zero_point, bias, scales, scales_len, &pk->dv);
    failed = pk->packed == NULL;
  } else if (!failed) {
    pk->weights = dup_bytes(weights, (size_t)wn, &failed);
    if (bias) pk->bias = (int32_t*)dup_bytes(bias, (size_t)l->out_c * 4, &failed);
    pk->scales = (float*)dup_bytes(scales, scales_len * 4, &failed);
    pk->scales_len = scales_len;
  }
  if (failed) {
    q8_free(pk);
    return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "%s: cannot allocate the packed %s weights", fn, kind_name(l->kind));
  }
  *out = pk;
  return MNA_OK;
}

mna_status mna_q8_packed_check(const char* fn, const char* name, const mna_q8_packed* pk) {
  Q_TRY(q_ptr(fn, name, pk));
  if (pk->magic != MNA_Q8_PACKED_MAGIC)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: %s is not a live mna_q8_packed object", fn, name);
  return MNA_OK;
}

static mna_status need_q8(const char* fn, const mna_q8_packed* pk) { return mna_q8_packed_check(fn, "packed", pk); }

/* ------------------------------------------------------------------------ drivers */

typedef struct {
  const mna_q8_packed* pk;
  const mna_conv2d_params* p;
  int32_t dh, dl, oh, ow;
  const uint8_t* x;
  uint8_t* y;
  int failed;
} q8_conv_ctx;

/* memcpy without a call for the few bytes of a first layer's taps (3 channels): two overlapping fixed-size moves. */
static inline void copy_small(uint8_t* dst, const uint8_t* src, size_t n) {
  if (n > 32) {
    memcpy(dst, src, n);
  } else if (n >= 16) {
    memcpy(dst, src, 16), memcpy(dst + n - 16, src + n - 16, 16);
  } else if (n >= 8) {
    memcpy(dst, src, 8), memcpy(dst + n - 8, src + n - 8, 8);
  } else if (n >= 4) {
    memcpy(dst, src, 4), memcpy(dst + n - 4, src + n - 4, 4);
  } else {
    for (; n > 0; n--) *dst++ = *src++;
  }
}

/* KxK convolution, one output row per unit: im2col of the row's pixels (the zero point where out of image), then
 * the GEMM over all columns on this thread. */
static void q8_conv_rows(void* vctx, size_t begin, size_t end) {
  const q8_conv_ctx* c = (const q8_conv_ctx*)vctx;
  const mna_q8_packed* pk = c->pk;
  /* locals: the byte stores below may alias anything, so nothing is re-read from the structs in the loops */
  const int64_t kh = c->p->kernel_h, kw = c->p->kernel_w, sh = c->p->stride_h, sw = c->p->stride_w;
  const int64_t pt = c->p->pad_top, pl = c->p->pad_left, in_h = c->p->in_h, in_w = c->p->in_w;
  const int64_t dh = c->dh, dl = c->dl, oh = c->oh;
  const size_t ic = (size_t)c->p->in_c, k = pk->k, ow = (size_t)c->ow, oc = (size_t)c->p->out_c,
               tap_row = (size_t)kw * ic;
  const uint8_t* const x = c->x;
  const uint8_t* const zrow = pk->zrow;
  uint8_t* a = (uint8_t*)mna_scratch(MNA_SCRATCH_CONV, ow * k);
  if (!a) {
    __atomic_store_n((int*)&c->failed, 1, __ATOMIC_RELAXED);
    return;
  }
  for (size_t r = begin; r < end; r++) {
    const int64_t n = (int64_t)r / oh, oy = (int64_t)r % oh;
    for (int64_t ky = 0; ky < kh; ky++) {
      const int64_t iy = oy * sh - pt + ky * dh;
      const int row_ok = iy >= 0 && iy < in_h;
      const uint8_t* src_row = row_ok ? x + (n * in_h + iy) * in_w * (int64_t)ic : zrow;
      uint8_t* dst = a + (size_t)ky * tap_row;
      for (size_t ox = 0; ox < ow; ox++, dst += k) {
        const int64_t ix0 = (int64_t)ox * sw - pl;
        if (row_ok && dl == 1 && ix0 >= 0 && ix0 + kw - 1 < in_w) {
          /* interior, no dilation: this row's kernel_w taps are contiguous in the input */
          copy_small(dst, src_row + ix0 * (int64_t)ic, tap_row);
          continue;
        }
        for (int64_t kx = 0; kx < kw; kx++) {
          const int64_t ix = ix0 + kx * dl;
          copy_small(dst + (size_t)kx * ic, (!row_ok || ix < 0 || ix >= in_w) ? zrow : src_row + ix * (int64_t)ic, ic);
        }
      }
    }
    mna_q8_gemm_run(pk->uk, ow, oc, k, a, k, pk->layer.input_type, pk->dv, pk->packed, c->y + r * ow * oc, oc, &pk->rq,
                    NULL);
  }
}

/* Depthwise, one output row per unit: per pixel, one pointer per tap (the zero-point row where out of image). */
static void q8_dw_rows(void* vctx, size_t begin, size_t end) {
  const q8_conv_ctx* c = (const q8_conv_ctx*)vctx;
  const mna_q8_packed* pk = c->pk;
  const mna_conv2d_params* p = c->p;
  const size_t ch = (size_t)p->in_c, ow = (size_t)c->ow, ntaps = (size_t)p->kernel_h * (size_t)p->kernel_w;
  const uint8_t* taps[Q8_MAX_TAPS];
  const int row3x3 = p->kernel_h == 3 && p->kernel_w == 3 && c->dh == 1 && c->dl == 1 && p->stride_w <= 2;
  for (size_t r = begin; r < end; r++) {
    const int64_t n = (int64_t)(r / (size_t)c->oh), oy = (int64_t)(r % (size_t)c->oh);
    if (row3x3) {
      const uint8_t* rows[3];
      int valid[3];
      for (int ky = 0; ky < 3; ky++) {
        const int64_t iy = oy * p->stride_h - p->pad_top + ky;
        valid[ky] = iy >= 0 && iy < p->in_h;
        rows[ky] = valid[ky] ? c->x + (n * p->in_h + iy) * p->in_w * (int64_t)ch : pk->zrow;
      }
      pk->uk->dw3x3(rows, valid, (size_t)p->in_w, ch, (size_t)p->stride_w, (size_t)p->pad_left, ow, pk->packed,
                    c->y + r * ow * ch, &pk->rq, pk->q.input_zero_point, pk->layer.input_type, pk->zrow);
      continue;
    }
    for (size_t ox = 0; ox < ow; ox++) {
      size_t t = 0;
      for (int32_t ky = 0; ky < p->kernel_h; ky++) {
        const int64_t iy = oy * p->stride_h - p->pad_top + (int64_t)ky * c->dh;
        for (int32_t kx = 0; kx < p->kernel_w; kx++, t++) {
          const int64_t ix = (int64_t)ox * p->stride_w - p->pad_left + (int64_t)kx * c->dl;
          taps[t] = (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w)
                        ? pk->zrow
                        : c->x + ((n * p->in_h + iy) * p->in_w + ix) * (int64_t)ch;
        }
      }
      pk->uk->dw(ch, ntaps, taps, pk->packed, c->y + (r * ow + ox) * ch, &pk->rq, pk->layer.input_type);
    }
  }
}

MNA_API mna_status mna_q8_conv2d_run(const mna_q8_packed* pk, const mna_conv2d_params* p, int32_t dh, int32_t dl,
                                     const void* input, size_t input_len, void* output, size_t output_len,
                                     mna_threadpool* pool) {
  static const char fn[] = "mna_q8_conv2d_run";
  Q_TRY(need_q8(fn, pk));
  Q_TRY(q_ptr(fn, "params", p));
  Q_TRY(q_ptr(fn, "input", input));
  Q_TRY(q_ptr(fn, "output", output));
  const mna_q8_layer* l = &pk->layer;
  if (l->kind == 2) return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: packed holds fully connected weights", fn);
  if (p->in_c != l->in_c || p->out_c != l->out_c || p->kernel_h != l->kernel_h || p->kernel_w != l->kernel_w)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT,
                         "%s: params in_c %d out_c %d kernel %dx%d differ from the packed %s layer (%d, %d, %dx%d)", fn,
                         (int)p->in_c, (int)p->out_c, (int)p->kernel_h, (int)p->kernel_w, kind_name(l->kind),
                         (int)l->in_c, (int)l->out_c, (int)l->kernel_h, (int)l->kernel_w);
  Q_TRY(q_positive(fn, "batch", p->batch));
  Q_TRY(q_positive(fn, "in_h", p->in_h));
  Q_TRY(q_positive(fn, "in_w", p->in_w));
  Q_TRY(q_positive(fn, "stride_h", p->stride_h));
  Q_TRY(q_positive(fn, "stride_w", p->stride_w));
  Q_TRY(q_positive(fn, "dilation_h", dh));
  Q_TRY(q_positive(fn, "dilation_w", dl));
  Q_TRY(q_nonneg(fn, "pad_top", p->pad_top));
  Q_TRY(q_nonneg(fn, "pad_left", p->pad_left));
  Q_TRY(q_nonneg(fn, "pad_bottom", p->pad_bottom));
  Q_TRY(q_nonneg(fn, "pad_right", p->pad_right));
  const int64_t ekh = (int64_t)(p->kernel_h - 1) * dh + 1, ekw = (int64_t)(p->kernel_w - 1) * dl + 1;
  if (p->pad_top >= ekh || p->pad_bottom >= ekh || p->pad_left >= ekw || p->pad_right >= ekw)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: padding must be smaller than the (dilated) kernel", fn);
  int32_t oh = 0, ow = 0;
  Q_TRY(q_window(fn, "h", p->in_h, p->pad_top, p->pad_bottom, ekh, p->stride_h, &oh));
  Q_TRY(q_window(fn, "w", p->in_w, p->pad_left, p->pad_right, ekw, p->stride_w, &ow));
  int64_t in_n = 0, out_n = 0;
  Q_TRY(q_product(fn, "input", p->batch, p->in_h, p->in_w, p->in_c, &in_n));
  Q_TRY(q_product(fn, "output", p->batch, oh, ow, p->out_c, &out_n));
  Q_TRY(q_len(fn, "input_len", input_len, in_n));
  Q_TRY(q_len(fn, "output_len", output_len, out_n));
  Q_TRY(q_no_overlap(fn, output, out_n, "input", input, in_n, 0));

  const int sgn = l->input_type;
  if (!pk->uk) {
    mna_conv2d_params rp = *p;
    rp.activation = MNA_ACT_NONE;
    return l->kind == 1 ? mna_ref_q8_dwconv2d(sgn, &rp, dh, dl, oh, ow, &pk->q, pk->scales, pk->scales_len, input,
                                              pk->weights, pk->bias, output)
                        : mna_ref_q8_conv2d(sgn, &rp, dh, dl, oh, ow, &pk->q, pk->scales, pk->scales_len, input,
                                            pk->weights, pk->bias, output);
  }
  q8_conv_ctx c = {pk, p, dh, dl, oh, ow, (const uint8_t*)input, (uint8_t*)output, 0};
  const size_t rows = (size_t)p->batch * (size_t)oh;
  if (l->kind == 1) {
    mna_parallelize_1d(pool, q8_dw_rows, &c, rows);
    return MNA_OK;
  }
  if (p->kernel_h == 1 && p->kernel_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
      p->pad_left == 0 && p->pad_bottom == 0 && p->pad_right == 0) {
    mna_q8_gemm_run(pk->uk, (size_t)p->batch * (size_t)p->in_h * (size_t)p->in_w, (size_t)p->out_c, pk->k,
                    (const uint8_t*)input, pk->k, sgn, pk->dv, pk->packed, (uint8_t*)output, (size_t)p->out_c, &pk->rq,
                    pool);
    return MNA_OK;
  }
  size_t a_bytes = 0;
  if (__builtin_mul_overflow((size_t)ow, pk->k, &a_bytes) || a_bytes > (size_t)MNA_MAX_ELEMENTS)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: im2col rows of %d x %zu bytes are too large", fn, (int)ow,
                         pk->k);
  mna_parallelize_1d(pool, q8_conv_rows, &c, rows);
  if (c.failed) /* a thread could not get its im2col rows (ow * k bytes); the output is incomplete */
    return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes of im2col rows", fn, (size_t)ow * pk->k);
  return MNA_OK;
}

MNA_API mna_status mna_q8_fully_connected_run(const mna_q8_packed* pk, int32_t batch, const void* input,
                                              size_t input_len, void* output, size_t output_len, mna_threadpool* pool) {
  static const char fn[] = "mna_q8_fully_connected_run";
  Q_TRY(need_q8(fn, pk));
  Q_TRY(q_ptr(fn, "input", input));
  Q_TRY(q_ptr(fn, "output", output));
  Q_TRY(q_positive(fn, "batch", batch));
  const mna_q8_layer* l = &pk->layer;
  if (l->kind != 2)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: packed holds %s weights", fn, kind_name(l->kind));
  int64_t in_n = 0, out_n = 0;
  Q_TRY(q_product(fn, "input", batch, l->in_c, 1, 1, &in_n));
  Q_TRY(q_product(fn, "output", batch, l->out_c, 1, 1, &out_n));
  Q_TRY(q_len(fn, "input_len", input_len, in_n));
  Q_TRY(q_len(fn, "output_len", output_len, out_n));
  Q_TRY(q_no_overlap(fn, output, out_n, "input", input, in_n, 0));
  if (!pk->uk)
    return mna_ref_q8_fully_connected(l->input_type, batch, l->in_c, l->out_c, &pk->q, pk->scales, pk->scales_len,
                                      input, pk->weights, pk->bias, output);
  mna_q8_gemm_run(pk->uk, (size_t)batch, (size_t)l->out_c, pk->k, (const uint8_t*)input, pk->k, l->input_type, pk->dv,
                  pk->packed, (uint8_t*)output, (size_t)l->out_c, &pk->rq, pool);
  return MNA_OK;
}
