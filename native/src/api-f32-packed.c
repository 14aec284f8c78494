/* Exported float32 entry points on pre-packed weights (mna_packed: pwconv, conv2d, irb): packing, the packed
 * object, and the runs. Checks: api-f32-validate.h. */
#include <stdlib.h>
#include <string.h>

#include "api-f32-validate.h"
#include "common/ukernels.h"

/* ---------------------------------------------------------- packed weights */

#define MNA_PACKED_MAGIC 0x4d4e4150u /* "MNAP" */

enum { PACKED_PWCONV = 1, PACKED_CONV2D = 2, PACKED_IRB = 3 };

struct mna_packed {
  uint32_t magic;
  int32_t kind;
  mna_isa isa;
  const mna_f32_ukernels* uk; /* NULL: plain copies run by the reference kernels */
  int32_t in_c, hidden_c, out_c, kernel_h, kernel_w;
  /* pwconv/conv2d: w0 = packed panels (uk) or weights copy, b0 = bias copy (reference only).
   * irb: w0/b0 expand, w1/b1 depthwise (always plain copies), w2/b2 project. */
  float *w0, *b0, *w1, *b1, *w2, *b2;
};

static float* copy_floats(const float* src, int64_t n, int* failed) {
  if (!src) return NULL;
  float* d = (float*)mna_aligned_alloc((size_t)n * sizeof(float));
  if (!d) {
    *failed = 1;
    return NULL;
  }
  memcpy(d, src, (size_t)n * sizeof(float));
  return d;
}

static float* pack_or_copy(const mna_f32_ukernels* uk, int64_t n, int64_t k, const float* w, const float* b,
                           float** bias_copy, int* failed) {
  if (!uk) {
    *bias_copy = copy_floats(b, n, failed);
    return copy_floats(w, n * k, failed);
  }
  float* p = mna_f32_gemm_pack(uk, (size_t)n, (size_t)k, w, (size_t)k, b);
  if (!p) *failed = 1;
  return p;
}

MNA_API mna_status mna_packed_destroy(mna_packed* pk) {
  if (!pk) return MNA_OK;
  if (pk->magic != MNA_PACKED_MAGIC)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "mna_packed_destroy: not a live mna_packed object");
  pk->magic = 0;
  mna_aligned_free(pk->w0), mna_aligned_free(pk->b0), mna_aligned_free(pk->w1);
  mna_aligned_free(pk->b1), mna_aligned_free(pk->w2), mna_aligned_free(pk->b2);
  free(pk);
  return MNA_OK;
}

MNA_API mna_isa mna_packed_isa(const mna_packed* pk) {
  return pk && pk->magic == MNA_PACKED_MAGIC ? pk->isa : MNA_ISA_AUTO;
}

static mna_packed* new_packed(int32_t kind) {
  mna_packed* pk = (mna_packed*)calloc(1, sizeof *pk);
  if (!pk) return NULL;
  pk->magic = MNA_PACKED_MAGIC;
  pk->kind = kind;
  pk->isa = mna_current_isa();
  pk->uk = mna_active_ukernels();
  if (!pk->uk) pk->isa = MNA_ISA_REFERENCE;
  return pk;
}

static mna_status finish_pack(const char* fn, mna_packed* pk, int failed, mna_packed** out) {
  if (failed) {
    mna_packed_destroy(pk);
    return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "%s: cannot allocate the packed weights", fn);
  }
  *out = pk;
  return MNA_OK;
}

static mna_status need_packed(const char* fn, const mna_packed* pk, int32_t kind, const char* kind_name) {
  TRY(need_ptr(fn, "packed", pk));
  if (pk->magic != MNA_PACKED_MAGIC)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: packed is not a live mna_packed object", fn);
  if (pk->kind != kind)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: packed holds %s weights, expected %s", fn,
                         pk->kind == PACKED_PWCONV   ? "pwconv"
                         : pk->kind == PACKED_CONV2D ? "conv2d"
                                                     : "irb",
                         kind_name);
  return MNA_OK;
}

static mna_status same_dim(const char* fn, const char* name, int32_t got, int32_t packed) {
  if (got != packed)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: %s %d differs from the packed %s %d", fn, name, (int)got, name,
                         (int)packed);
  return MNA_OK;
}

MNA_API mna_status mna_f32_pwconv_pack(int32_t in_c, int32_t out_c, const float* weights, size_t weights_len,
                                       const float* bias, size_t bias_len, mna_packed** packed) {
  static const char fn[] = "mna_f32_pwconv_pack";
  TRY(need_ptr(fn, "weights", weights));
  TRY(need_ptr(fn, "packed", packed));
  *packed = NULL;
  TRY(need_positive(fn, "in_c", in_c));
  TRY(need_positive(fn, "out_c", out_c));
  int64_t w_n = 0;
  TRY(product(fn, "out_c*in_c", out_c, in_c, 1, 1, &w_n));
  TRY(need_len(fn, "weights_len", weights_len, w_n, "out_c*in_c"));
  TRY(need_bias(fn, "bias_len", bias, bias_len, out_c, "out_c"));
  mna_packed* pk = new_packed(PACKED_PWCONV);
  if (!pk) return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
  pk->in_c = in_c, pk->out_c = out_c;
  int failed = 0;
  pk->w0 = pack_or_copy(pk->uk, out_c, in_c, weights, bias, &pk->b0, &failed);
  return finish_pack(fn, pk, failed, packed);
}

MNA_API mna_status mna_f32_pwconv_packed(const mna_packed* pk, int64_t pixels, const float* input, size_t input_len,
                                         int32_t activation, float* output, size_t output_len, mna_threadpool* pool) {
  static const char fn[] = "mna_f32_pwconv_packed";
  TRY(need_packed(fn, pk, PACKED_PWCONV, "pwconv"));
  TRY(need_ptr(fn, "input", input));
  TRY(need_ptr(fn, "output", output));
  TRY(need_positive(fn, "pixels", pixels));
  TRY(need_activation(fn, "activation", activation));
  int64_t in_n = 0, out_n = 0;
  TRY(product(fn, "pixels*in_c", pixels, pk->in_c, 1, 1, &in_n));
  TRY(product(fn, "pixels*out_c", pixels, pk->out_c, 1, 1, &out_n));
  TRY(need_len(fn, "input_len", input_len, in_n, "pixels*in_c"));
  TRY(need_len(fn, "output_len", output_len, out_n, "pixels*out_c"));
  TRY(no_overlap(fn, output, out_n, "input", input, in_n, 0));
  if (!pk->uk) return mna_ref_f32_pwconv(pixels, pk->in_c, pk->out_c, input, pk->w0, pk->b0, activation, output, pool);
  float lo, hi;
  mna_act_bounds(activation, &lo, &hi);
  mna_f32_gemm_run(pk->uk, (size_t)pixels, (size_t)pk->out_c, (size_t)pk->in_c, input, (size_t)pk->in_c, pk->w0, output,
                   (size_t)pk->out_c, NULL, 0, lo, hi, pool);
  return MNA_OK;
}

MNA_API mna_status mna_f32_conv2d_pack(const mna_conv2d_params* p, const float* weights, size_t weights_len,
                                       const float* bias, size_t bias_len, mna_packed** packed) {
  static const char fn[] = "mna_f32_conv2d_pack";
  TRY(need_ptr(fn, "params", p));
  TRY(need_ptr(fn, "weights", weights));
  TRY(need_ptr(fn, "packed", packed));
  *packed = NULL;
  int32_t oh = 0, ow = 0;
  TRY(check_conv_params(fn, p, &oh, &ow));
  int64_t w_n = 0;
  TRY(product(fn, "out_c*kernel_h*kernel_w*in_c", p->out_c, p->kernel_h, p->kernel_w, p->in_c, &w_n));
  TRY(need_len(fn, "weights_len", weights_len, w_n, "out_c*kernel_h*kernel_w*in_c"));
  TRY(need_bias(fn, "bias_len", bias, bias_len, p->out_c, "out_c"));
  mna_packed* pk = new_packed(PACKED_CONV2D);
  if (!pk) return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
  pk->in_c = p->in_c, pk->out_c = p->out_c, pk->kernel_h = p->kernel_h, pk->kernel_w = p->kernel_w;
  const int64_t K = w_n / p->out_c;
  int failed = 0;
  if (pk->uk) {
    pk->w0 = mna_f32_conv_pack(pk->uk, (size_t)p->out_c, (size_t)p->kernel_h, (size_t)p->kernel_w, (size_t)p->in_c,
                               weights, bias);
    if (!pk->w0) failed = 1;
  } else {
    pk->w0 = pack_or_copy(NULL, p->out_c, K, weights, bias, &pk->b0, &failed);
  }
  return finish_pack(fn, pk, failed, packed);
}

MNA_API mna_status mna_f32_conv2d_packed(const mna_packed* pk, const mna_conv2d_params* p, const float* input,
                                         size_t input_len, float* output, size_t output_len, mna_threadpool* pool) {
  static const char fn[] = "mna_f32_conv2d_packed";
  TRY(need_packed(fn, pk, PACKED_CONV2D, "conv2d"));
  TRY(need_ptr(fn, "params", p));
  TRY(need_ptr(fn, "input", input));
  TRY(need_ptr(fn, "output", output));
  int32_t oh = 0, ow = 0;
  TRY(check_conv_params(fn, p, &oh, &ow));
  TRY(same_dim(fn, "in_c", p->in_c, pk->in_c));
  TRY(same_dim(fn, "out_c", p->out_c, pk->out_c));
  TRY(same_dim(fn, "kernel_h", p->kernel_h, pk->kernel_h));
  TRY(same_dim(fn, "kernel_w", p->kernel_w, pk->kernel_w));
  TRY(check_nhwc_io(fn, p->batch, p->in_h, p->in_w, p->in_c, oh, ow, p->out_c, input, input_len, output, output_len));
  if (!pk->uk) return mna_ref_f32_conv2d(p, oh, ow, input, pk->w0, pk->b0, output, pool);
  return mna_fast_f32_conv2d_packed(pk->uk, p, oh, ow, input, pk->w0, output, pool);
}

MNA_API mna_status mna_f32_irb_pack(const mna_irb_params* p, const float* expand_w, size_t expand_w_len,
                                    const float* expand_b, size_t expand_b_len, const float* dw_w, size_t dw_w_len,
                                    const float* dw_b, size_t dw_b_len, const float* project_w, size_t project_w_len,
                                    const float* project_b, size_t project_b_len, mna_packed** packed) {
  static const char fn[] = "mna_f32_irb_pack";
  TRY(need_ptr(fn, "params", p));
  if (p->hidden_c > 0) TRY(need_ptr(fn, "expand_w (hidden_c > 0)", expand_w));
  TRY(need_ptr(fn, "dw_w", dw_w));
  TRY(need_ptr(fn, "project_w", project_w));
  TRY(need_ptr(fn, "packed", packed));
  *packed = NULL;
  int32_t oh = 0, ow = 0;
  TRY(check_irb_params(fn, p, &oh, &ow));
  const int32_t hidden = p->hidden_c ? p->hidden_c : p->in_c;
  int64_t ew_n = 0, dw_n = 0, pw_n = 0;
  if (p->hidden_c) TRY(product(fn, "hidden_c*in_c", p->hidden_c, p->in_c, 1, 1, &ew_n));
  TRY(product(fn, "3*3*hidden_c", 3, 3, hidden, 1, &dw_n));
  TRY(product(fn, "out_c*hidden_c", p->out_c, hidden, 1, 1, &pw_n));
  if (p->hidden_c) {
    TRY(need_len(fn, "expand_w_len", expand_w_len, ew_n, "hidden_c*in_c"));
    TRY(need_bias(fn, "expand_b_len", expand_b, expand_b_len, p->hidden_c, "hidden_c"));
  }
  TRY(need_len(fn, "dw_w_len", dw_w_len, dw_n, "3*3*hidden"));
  TRY(need_bias(fn, "dw_b_len", dw_b, dw_b_len, hidden, "hidden"));
  TRY(need_len(fn, "project_w_len", project_w_len, pw_n, "out_c*hidden"));
  TRY(need_bias(fn, "project_b_len", project_b, project_b_len, p->out_c, "out_c"));
  mna_packed* pk = new_packed(PACKED_IRB);
  if (!pk) return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
  pk->in_c = p->in_c, pk->hidden_c = p->hidden_c, pk->out_c = p->out_c;
  int failed = 0;
  if (p->hidden_c) pk->w0 = pack_or_copy(pk->uk, p->hidden_c, p->in_c, expand_w, expand_b, &pk->b0, &failed);
  pk->w1 = copy_floats(dw_w, dw_n, &failed);
  pk->b1 = copy_floats(dw_b, hidden, &failed);
  pk->w2 = pack_or_copy(pk->uk, p->out_c, hidden, project_w, project_b, &pk->b2, &failed);
  return finish_pack(fn, pk, failed, packed);
}

MNA_API mna_status mna_f32_irb_packed(const mna_packed* pk, const mna_irb_params* p, const float* input,
                                      size_t input_len, float* output, size_t output_len, mna_threadpool* pool) {
  static const char fn[] = "mna_f32_irb_packed";
  TRY(need_packed(fn, pk, PACKED_IRB, "irb"));
  TRY(need_ptr(fn, "params", p));
  TRY(need_ptr(fn, "input", input));
  TRY(need_ptr(fn, "output", output));
  int32_t oh = 0, ow = 0;
  TRY(check_irb_params(fn, p, &oh, &ow));
  TRY(same_dim(fn, "in_c", p->in_c, pk->in_c));
  TRY(same_dim(fn, "hidden_c", p->hidden_c, pk->hidden_c));
  TRY(same_dim(fn, "out_c", p->out_c, pk->out_c));
  TRY(check_nhwc_io(fn, p->batch, p->in_h, p->in_w, p->in_c, oh, ow, p->out_c, input, input_len, output, output_len));
  if (!pk->uk) return mna_ref_f32_irb(p, oh, ow, input, pk->w0, pk->b0, pk->w1, pk->b1, pk->w2, pk->b2, output, pool);
  return mna_fast_f32_irb_packed(pk->uk, p, oh, ow, input, pk->w0, pk->w1, pk->b1, pk->w2, output, pool);
}
