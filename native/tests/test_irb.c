/* The fused inverted-residual block equals the composition of the other entry points:
 * expand pwconv -> dwconv 3x3 -> project pwconv -> add(input). */
#include "test_util.h"

static void check_case(const mna_irb_params* p, mna_threadpool* pool, int exact) {
  const int32_t hidden = p->hidden_c ? p->hidden_c : p->in_c;
  int32_t oh, ow;
  CHECK_OK(mna_irb_output_shape(p, &oh, &ow));
  const size_t xn = (size_t)p->batch * p->in_h * p->in_w * p->in_c;
  const size_t tn = (size_t)p->batch * p->in_h * p->in_w * hidden;
  const size_t dn = (size_t)p->batch * oh * ow * hidden;
  const size_t yn = (size_t)p->batch * oh * ow * p->out_c;
  float *x = rand_buf(xn), *ew = rand_buf((size_t)hidden * p->in_c), *eb = rand_buf((size_t)hidden);
  float *dw = rand_buf((size_t)9 * hidden), *db = rand_buf((size_t)hidden);
  float *pw = rand_buf((size_t)p->out_c * hidden), *pb = rand_buf((size_t)p->out_c);
  float *t = rand_buf(tn), *d = rand_buf(dn), *ref = rand_buf(yn), *y = rand_buf(yn);

  /* composition */
  const float* dw_in = x;
  if (p->hidden_c) {
    CHECK_OK(mna_f32_pwconv((int64_t)p->batch * p->in_h * p->in_w, p->in_c, hidden, x, xn, ew, (size_t)hidden * p->in_c,
                            eb, (size_t)hidden, p->expand_activation, t, tn, NULL));
    dw_in = t;
  }
  mna_conv2d_params dp = {
      p->batch,   p->in_h,     p->in_w,       hidden,       hidden,          3, 3, p->stride, p->stride,
      p->pad_top, p->pad_left, p->pad_bottom, p->pad_right, p->dw_activation};
  CHECK_OK(
      mna_f32_dwconv2d(&dp, dw_in, p->hidden_c ? tn : xn, dw, (size_t)9 * hidden, db, (size_t)hidden, d, dn, NULL));
  CHECK_OK(mna_f32_pwconv((int64_t)p->batch * oh * ow, hidden, p->out_c, d, dn, pw, (size_t)p->out_c * hidden, pb,
                          (size_t)p->out_c, p->project_activation, ref, yn, NULL));
  if (p->residual) CHECK_OK(mna_f32_add((int64_t)yn, ref, yn, x, xn, MNA_ACT_NONE, ref, yn));

  /* fused */
  CHECK_OK(mna_f32_irb(p, x, xn, p->hidden_c ? ew : NULL, p->hidden_c ? (size_t)hidden * p->in_c : 0, eb,
                       (size_t)hidden, dw, (size_t)9 * hidden, db, (size_t)hidden, pw, (size_t)p->out_c * hidden, pb,
                       (size_t)p->out_c, y, yn, pool));
  if (exact) {
    if (memcmp(y, ref, yn * sizeof(float)) != 0) {
      __atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);
      fprintf(stderr,
              "irb (reference table) not bit-identical to the composition: n%d %dx%dx%d hidden %d out %d s%d "
              "pads %d,%d,%d,%d res %d\n",
              p->batch, p->in_h, p->in_w, p->in_c, p->hidden_c, p->out_c, p->stride, p->pad_top, p->pad_left,
              p->pad_bottom, p->pad_right, p->residual);
    }
  } else {
    CHECK_NEAR_ARRAY(y, ref, yn, 1e-4f);
  }
  free(x), free(ew), free(eb), free(dw), free(db), free(pw), free(pb), free(t), free(d), free(ref), free(y);
}

int main(void) {
  static const mna_irb_params cases[] = {
      /* n  h  w  in hid out s  pt pl pb pr  act_e act_d act_p res */
      {1, 6, 5, 4, 24, 4, 1, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 1},
      {2, 7, 7, 3, 18, 5, 2, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 0},
      {1, 8, 6, 4, 16, 6, 2, 0, 0, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 0}, /* TF 'SAME' for s2 */
      {1, 5, 5, 8, 0, 4, 1, 1, 1, 1, 1, MNA_ACT_NONE, MNA_ACT_RELU6, MNA_ACT_NONE, 0},   /* no expand (t=1) */
      {1, 5, 4, 6, 0, 6, 1, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU, MNA_ACT_RELU6, 1},
      {3, 4, 4, 2, 12, 2, 1, 1, 1, 1, 1, MNA_ACT_RELU, MNA_ACT_NONE, MNA_ACT_RELU, 1},
      {1, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, MNA_ACT_NONE, MNA_ACT_NONE, MNA_ACT_NONE, 0},
      {4, 5, 7, 8, 40, 8, 1, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 1}, /* layers, image by image */
      {5, 6, 6, 16, 0, 24, 2, 0, 0, 1, 1, MNA_ACT_NONE, MNA_ACT_RELU, MNA_ACT_RELU, 0},
  };
  mna_threadpool* pool = NULL;
  CHECK_OK(mna_threadpool_create(3, &pool));
  static const mna_isa isas[] = {MNA_ISA_REFERENCE, MNA_ISA_SCALAR, MNA_ISA_AVX2, MNA_ISA_AVX512, MNA_ISA_NEON};
  for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
    if (!mna_isa_supported(isas[i])) continue;
    CHECK_OK(mna_select_isa(isas[i]));
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
      check_case(&cases[c], NULL, isas[i] == MNA_ISA_REFERENCE);
      check_case(&cases[c], pool, isas[i] == MNA_ISA_REFERENCE);
    }
    printf("isa %s: checked %zu cases\n", isa_name(isas[i]), sizeof cases / sizeof cases[0]);
  }
  CHECK_OK(mna_select_isa(MNA_ISA_AUTO));
  CHECK_OK(mna_threadpool_destroy(pool));
  return test_summary("test_irb");
}
