/* Every op against hand-computed tiny cases and against a naive double-precision
 * implementation written here, for every kernel table the CPU supports. */
#include "test_util.h"

static mna_conv2d_params conv_params(int n, int h, int w, int ic, int oc, int k, int s, int pad, int act) {
  mna_conv2d_params p = {n, h, w, ic, oc, k, k, s, s, pad, pad, pad, pad, act};
  return p;
}

/* x[i][j] = 4i + j + 1 on a 4x4 single-channel image. */
static void fill_4x4(float* x) {
  for (int i = 0; i < 16; i++) x[i] = (float)(i + 1);
}

static void test_conv_hand(void) {
  float x[16], y[4];
  fill_4x4(x);
  /* weights: centre 1, bottom-right 2; bias 0.5. out(oy,ox) = x[oy+1][ox+1] + 2 x[oy+2][ox+2] + 0.5 */
  float w[9] = {0, 0, 0, 0, 1, 0, 0, 0, 2};
  float b[1] = {0.5f};
  mna_conv2d_params p = conv_params(1, 4, 4, 1, 1, 3, 1, 0, MNA_ACT_NONE);
  int32_t oh = 0, ow = 0;
  CHECK_OK(mna_conv2d_output_shape(&p, &oh, &ow));
  CHECK(oh == 2 && ow == 2);
  CHECK_OK(mna_f32_conv2d(&p, x, 16, w, 9, b, 1, y, 4, NULL));
  const float want1[4] = {28.5f, 31.5f, 40.5f, 43.5f};
  CHECK_NEAR_ARRAY(y, want1, 4, 0.0f);

  /* all-ones 3x3, pad 1, stride 2: sums of the in-bounds parts of the windows. */
  float ones[9];
  for (int i = 0; i < 9; i++) ones[i] = 1.0f;
  p = conv_params(1, 4, 4, 1, 1, 3, 2, 1, MNA_ACT_NONE);
  CHECK_OK(mna_f32_conv2d(&p, x, 16, ones, 9, NULL, 0, y, 4, NULL));
  const float want2[4] = {14, 30, 57, 99};
  CHECK_NEAR_ARRAY(y, want2, 4, 0.0f);

  /* same with ReLU6 and a bias of -10: min(max(s - 10, 0), 6) */
  const float bm10 = -10.0f;
  p.activation = MNA_ACT_RELU6;
  CHECK_OK(mna_f32_conv2d(&p, x, 16, ones, 9, &bm10, 1, y, 4, NULL));
  const float want3[4] = {4, 6, 6, 6};
  CHECK_NEAR_ARRAY(y, want3, 4, 0.0f);
  p.activation = MNA_ACT_RELU;
  const float bm20 = -20.0f;
  CHECK_OK(mna_f32_conv2d(&p, x, 16, ones, 9, &bm20, 1, y, 4, NULL));
  const float want4[4] = {0, 10, 37, 79};
  CHECK_NEAR_ARRAY(y, want4, 4, 0.0f);

  /* multi-channel 1x1 conv at one pixel: in (1, 2), weights OHWI [[3,4],[5,-6]], bias (1, 0) */
  float xi[2] = {1, 2}, wi[4] = {3, 4, 5, -6}, bi[2] = {1, 0}, yi[2];
  p = conv_params(1, 1, 1, 2, 2, 1, 1, 0, MNA_ACT_NONE);
  CHECK_OK(mna_f32_conv2d(&p, xi, 2, wi, 4, bi, 2, yi, 2, NULL));
  const float want5[2] = {12, -7};
  CHECK_NEAR_ARRAY(yi, want5, 2, 0.0f);

  /* non-square: 1x3 kernel over a 2x4 image, stride_w 1, in_c 1 */
  mna_conv2d_params q = {1, 2, 4, 1, 1, 1, 3, 1, 1, 0, 0, 0, 0, MNA_ACT_NONE};
  float w13[3] = {1, 10, 100}, y6[4];
  CHECK_OK(mna_conv2d_output_shape(&q, &oh, &ow));
  CHECK(oh == 2 && ow == 2);
  CHECK_OK(mna_f32_conv2d(&q, x, 8, w13, 3, NULL, 0, y6, 4, NULL));
  const float want6[4] = {321, 432, 765, 876};
  CHECK_NEAR_ARRAY(y6, want6, 4, 0.0f);
}

static void test_dwconv_hand(void) {
  /* channel 0 = x, channel 1 = -x */
  float x[32], y[8];
  for (int i = 0; i < 16; i++) {
    x[2 * i] = (float)(i + 1);
    x[2 * i + 1] = -(float)(i + 1);
  }
  float w[18];
  const float w0[9] = {0, 0, 0, 0, 1, 0, 0, 0, 2};
  for (int t = 0; t < 9; t++) {
    w[2 * t] = w0[t];
    w[2 * t + 1] = 1.0f;
  }
  float b[2] = {0.0f, 100.0f};
  mna_conv2d_params p = conv_params(1, 4, 4, 2, 2, 3, 1, 0, MNA_ACT_NONE);
  CHECK_OK(mna_f32_dwconv2d(&p, x, 32, w, 18, b, 2, y, 8, NULL));
  const float want[8] = {28, 100 - 54, 31, 100 - 63, 40, 100 - 90, 43, 100 - 99};
  CHECK_NEAR_ARRAY(y, want, 8, 0.0f);
  p.activation = MNA_ACT_RELU6;
  CHECK_OK(mna_f32_dwconv2d(&p, x, 32, w, 18, NULL, 0, y, 8, NULL));
  const float want2[8] = {6, 0, 6, 0, 6, 0, 6, 0};
  CHECK_NEAR_ARRAY(y, want2, 8, 0.0f);
}

static void test_pwconv_hand(void) {
  /* 2 pixels, in_c 3, out_c 2 */
  float x[6] = {1, 2, 3, -1, 0, 2};
  float w[6] = {1, 0, -1, 0.5f, 0.5f, 0.5f};
  float b[2] = {0, 1};
  float y[4];
  CHECK_OK(mna_f32_pwconv(2, 3, 2, x, 6, w, 6, b, 2, MNA_ACT_NONE, y, 4, NULL));
  const float want[4] = {-2, 4, -3, 1.5f};
  CHECK_NEAR_ARRAY(y, want, 4, 0.0f);
  CHECK_OK(mna_f32_pwconv(2, 3, 2, x, 6, w, 6, b, 2, MNA_ACT_RELU, y, 4, NULL));
  const float want2[4] = {0, 4, 0, 1.5f};
  CHECK_NEAR_ARRAY(y, want2, 4, 0.0f);
}

static void test_avgpool_hand(void) {
  float x[16], y[16];
  fill_4x4(x);
  mna_conv2d_params p = conv_params(1, 4, 4, 1, 1, 3, 1, 1, MNA_ACT_NONE);
  CHECK_OK(mna_f32_avgpool2d(&p, x, 16, y, 16, NULL));
  /* corners average 4 taps, edges 6, inside 9 (padding excluded) */
  CHECK(y[0] == (1 + 2 + 5 + 6) / 4.0f);
  CHECK(y[1] == (1 + 2 + 3 + 5 + 6 + 7) / 6.0f);
  CHECK(y[5] == (1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11) / 9.0f);
  CHECK(y[15] == (11 + 12 + 15 + 16) / 4.0f);
  /* 2x2 stride 2, no pad, 2 channels */
  float x2[32], y2[8];
  for (int i = 0; i < 16; i++) {
    x2[2 * i] = (float)(i + 1);
    x2[2 * i + 1] = 2.0f * (float)(i + 1);
  }
  p = conv_params(1, 4, 4, 2, 2, 2, 2, 0, MNA_ACT_NONE);
  CHECK_OK(mna_f32_avgpool2d(&p, x2, 32, y2, 8, NULL));
  const float want[8] = {3.5f, 7, 5.5f, 11, 11.5f, 23, 13.5f, 27};
  CHECK_NEAR_ARRAY(y2, want, 8, 0.0f);
}

static void test_gavgpool_hand(void) {
  /* batch 2, 2x2, c 2 */
  float x[16] = {1, 10, 2, 20, 3, 30, 4, 40, -1, 0, -2, 0, -3, 0, -6, 8};
  float y[4];
  CHECK_OK(mna_f32_global_avgpool(2, 2, 2, 2, x, 16, y, 4, NULL));
  const float want[4] = {2.5f, 25, -3, 2};
  CHECK_NEAR_ARRAY(y, want, 4, 0.0f);
}

static void test_fc_hand(void) {
  float x[4] = {1, 2, -1, 3};       /* batch 2, in 2 */
  float w[6] = {1, 1, 2, -1, 0, 3}; /* out 3 */
  float b[3] = {0, 0, -1};
  float y[6];
  CHECK_OK(mna_f32_fully_connected(2, 2, 3, x, 4, w, 6, b, 3, MNA_ACT_NONE, y, 6, NULL));
  const float want[6] = {3, 0, 5, 2, -5, 8};
  CHECK_NEAR_ARRAY(y, want, 6, 0.0f);
  CHECK_OK(mna_f32_fully_connected(2, 2, 3, x, 4, w, 6, b, 3, MNA_ACT_RELU6, y, 6, NULL));
  const float want2[6] = {3, 0, 5, 2, 0, 6};
  CHECK_NEAR_ARRAY(y, want2, 6, 0.0f);
}

static void test_softmax_hand(void) {
  float x[6] = {1, 2, 3, 1000, 1000, 1000};
  float y[6];
  CHECK_OK(mna_f32_softmax(2, 3, 1.0f, x, 6, y, 6));
  const double s = exp(-2.0) + exp(-1.0) + 1.0;
  const float want[6] = {
      (float)(exp(-2.0) / s), (float)(exp(-1.0) / s), (float)(1.0 / s), 1 / 3.0f, 1 / 3.0f, 1 / 3.0f};
  CHECK_NEAR_ARRAY(y, want, 6, 1e-6f);
  /* beta 2 == softmax of 2x; in place */
  float z[3] = {0.5f, 1.0f, 1.5f};
  CHECK_OK(mna_f32_softmax(1, 3, 2.0f, z, 3, z, 3));
  CHECK_NEAR_ARRAY(z, want, 3, 1e-6f);
  /* negative beta keeps finite values even for large inputs */
  float big[2] = {-1000, 1000}, yb[2];
  CHECK_OK(mna_f32_softmax(1, 2, -1.0f, big, 2, yb, 2));
  CHECK(yb[0] == 1.0f && yb[1] == 0.0f);
  /* n = 1 */
  float one = 42.0f;
  CHECK_OK(mna_f32_softmax(1, 1, 1.0f, &one, 1, &one, 1));
  CHECK(one == 1.0f);
}

static void test_elementwise_hand(void) {
  float a[5] = {-1, 0.5f, 3, 7, -8}, b[5] = {0, 0, 4, -1, 1}, y[5];
  CHECK_OK(mna_f32_add(5, a, 5, b, 5, MNA_ACT_NONE, y, 5));
  const float w0[5] = {-1, 0.5f, 7, 6, -7};
  CHECK_NEAR_ARRAY(y, w0, 5, 0.0f);
  CHECK_OK(mna_f32_add(5, a, 5, b, 5, MNA_ACT_RELU6, y, 5));
  const float w1[5] = {0, 0.5f, 6, 6, 0};
  CHECK_NEAR_ARRAY(y, w1, 5, 0.0f);
  float c[5];
  memcpy(c, a, sizeof c);
  CHECK_OK(mna_f32_add(5, c, 5, b, 5, MNA_ACT_RELU, c, 5)); /* in place */
  const float w2[5] = {0, 0.5f, 7, 6, 0};
  CHECK_NEAR_ARRAY(c, w2, 5, 0.0f);

  CHECK_OK(mna_f32_activation(5, MNA_ACT_RELU, a, 5, y, 5));
  const float w3[5] = {0, 0.5f, 3, 7, 0};
  CHECK_NEAR_ARRAY(y, w3, 5, 0.0f);
  CHECK_OK(mna_f32_activation(5, MNA_ACT_RELU6, a, 5, y, 5));
  const float w4[5] = {0, 0.5f, 3, 6, 0};
  CHECK_NEAR_ARRAY(y, w4, 5, 0.0f);
  memcpy(c, a, sizeof c);
  CHECK_OK(mna_f32_activation(5, MNA_ACT_NONE, c, 5, c, 5));
  CHECK_NEAR_ARRAY(c, a, 5, 0.0f);
}

static void test_pad_hand(void) {
  float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}; /* 1 x 2 x 2 x 2 */
  float y[4 * 3 * 2];
  /* pad top 1, left 0, bottom 1, right 1 -> 4 x 3 x 2 */
  CHECK_OK(mna_f32_pad2d(1, 2, 2, 2, 1, 0, 1, 1, 9.0f, x, 8, y, 24));
  const float want[24] = {9, 9, 9, 9, 9, 9, 1, 2, 3, 4, 9, 9, 5, 6, 7, 8, 9, 9, 9, 9, 9, 9, 9, 9};
  CHECK_NEAR_ARRAY(y, want, 24, 0.0f);
}

/* ------------------------------------------------ naive double implementations */

static float act_d(double v, int act) {
  if (act == MNA_ACT_RELU && v < 0) v = 0;
  if (act == MNA_ACT_RELU6) v = v < 0 ? 0 : (v > 6 ? 6 : v);
  return (float)v;
}

static void naive_conv(const mna_conv2d_params* p, int oh, int ow, const float* x, const float* w, const float* b,
                       float* y, int depthwise) {
  for (int n = 0; n < p->batch; n++)
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++)
        for (int oc = 0; oc < p->out_c; oc++) {
          double acc = b ? b[oc] : 0;
          for (int ky = 0; ky < p->kernel_h; ky++)
            for (int kx = 0; kx < p->kernel_w; kx++) {
              int iy = oy * p->stride_h - p->pad_top + ky, ix = ox * p->stride_w - p->pad_left + kx;
              if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) continue;
              const float* xp = x + ((size_t)(n * p->in_h + iy) * p->in_w + ix) * p->in_c;
              if (depthwise) {
                acc += (double)xp[oc] * w[(ky * p->kernel_w + kx) * p->in_c + oc];
              } else {
                for (int ic = 0; ic < p->in_c; ic++)
                  acc += (double)xp[ic] * w[((oc * p->kernel_h + ky) * p->kernel_w + kx) * p->in_c + ic];
              }
            }
          y[((size_t)(n * oh + oy) * ow + ox) * p->out_c + oc] = act_d(acc, p->activation);
        }
}

static void test_conv_random(void) {
  static const int shapes[][8] = {
      /* n, h, w, ic, oc, k, s, pad */
      {1, 7, 5, 3, 4, 3, 1, 1}, {2, 8, 8, 3, 5, 3, 2, 1}, {1, 9, 6, 2, 3, 5, 2, 2},
      {1, 5, 5, 4, 2, 1, 1, 0}, {3, 6, 7, 1, 1, 3, 3, 0}, {1, 4, 4, 6, 8, 4, 1, 2},
  };
  for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
    const int* s = shapes[si];
    for (int dw = 0; dw < 2; dw++)
      for (int act = 0; act < 3; act++) {
        mna_conv2d_params p = conv_params(s[0], s[1], s[2], s[3], dw ? s[3] : s[4], s[5], s[6], s[7], act);
        p.pad_bottom = 0; /* asymmetric */
        int32_t oh, ow;
        CHECK_OK(mna_conv2d_output_shape(&p, &oh, &ow));
        size_t xn = (size_t)p.batch * p.in_h * p.in_w * p.in_c;
        size_t wn = dw ? (size_t)p.kernel_h * p.kernel_w * p.in_c : (size_t)p.out_c * p.kernel_h * p.kernel_w * p.in_c;
        size_t yn = (size_t)p.batch * oh * ow * p.out_c;
        float *x = rand_buf(xn), *w = rand_buf(wn), *b = rand_buf((size_t)p.out_c);
        float *y = rand_buf(yn), *ref = rand_buf(yn);
        if (dw)
          CHECK_OK(mna_f32_dwconv2d(&p, x, xn, w, wn, b, (size_t)p.out_c, y, yn, NULL));
        else
          CHECK_OK(mna_f32_conv2d(&p, x, xn, w, wn, b, (size_t)p.out_c, y, yn, NULL));
        naive_conv(&p, oh, ow, x, w, b, ref, dw);
        CHECK_NEAR_ARRAY(y, ref, yn, 1e-5f);
        /* avgpool on the same geometry */
        if (dw) {
          CHECK_OK(mna_f32_avgpool2d(&p, x, xn, y, yn, NULL));
          for (int n = 0; n < p.batch; n++)
            for (int oy = 0; oy < oh; oy++)
              for (int ox = 0; ox < ow; ox++)
                for (int c = 0; c < p.in_c; c++) {
                  double sum = 0;
                  int cnt = 0;
                  for (int ky = 0; ky < p.kernel_h; ky++)
                    for (int kx = 0; kx < p.kernel_w; kx++) {
                      int iy = oy * p.stride_h - p.pad_top + ky, ix = ox * p.stride_w - p.pad_left + kx;
                      if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) continue;
                      sum += x[((size_t)(n * p.in_h + iy) * p.in_w + ix) * p.in_c + c];
                      cnt++;
                    }
                  ref[((size_t)(n * oh + oy) * ow + ox) * p.in_c + c] = act_d(cnt ? sum / cnt : 0, act);
                }
          CHECK_NEAR_ARRAY(y, ref, yn, 1e-5f);
        }
        free(x), free(w), free(b), free(y), free(ref);
      }
  }
}

static void run_all(void) {
  test_conv_hand();
  test_dwconv_hand();
  test_pwconv_hand();
  test_avgpool_hand();
  test_gavgpool_hand();
  test_fc_hand();
  test_softmax_hand();
  test_elementwise_hand();
  test_pad_hand();
  test_conv_random();
}

int main(void) {
  static const mna_isa isas[] = {MNA_ISA_REFERENCE, MNA_ISA_SCALAR, MNA_ISA_AVX2, MNA_ISA_AVX512, MNA_ISA_NEON};
  for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
    if (!mna_isa_supported(isas[i])) {
      printf("isa %s: not supported here, skipped\n", isa_name(isas[i]));
      continue;
    }
    CHECK_OK(mna_select_isa(isas[i]));
    const int before = g_failures;
    run_all();
    printf("isa %s: %s\n", isa_name(isas[i]), g_failures == before ? "ok" : "FAILED");
  }
  CHECK_OK(mna_select_isa(MNA_ISA_AUTO));
  return test_summary("test_ops");
}
