/* Quantized (qu8/qs8) kernels: the fp32 requantization rounding on hand-computed cases, zero-point padding,
 * average-pool rounding, softmax table behaviour, add against exact rounding, argument validation. */
#include "test_util.h"

static int32_t rq(int32_t acc, float scale, int32_t zp, int32_t mn, int32_t mx) {
  int32_t r = -999;
  CHECK_OK(mna_requantize_fp32(acc, scale, zp, mn, mx, &r));
  return r;
}

static void test_requantize(void) {
  /* MobileNetV2 logits layer (shared/notes/quantized-arithmetic.md §7): acc 3728, scale computed in float from
   * s_in 0.023528477, s_w 0.0016910821, s_out 0.09889254 -> 3728*scale = 1.49993 -> 1, + zp 58 = 59
   * (TFLite's double-rounding fixed point gives 60). */
  const float s = 0.023528477f * 0.0016910821f / 0.09889254f;
  CHECK(rq(3728, s, 58, 0, 255) == 59);
  /* Ties go to even. */
  CHECK(rq(1, 0.5f, 0, 0, 255) == 0);    /* 0.5 -> 0 */
  CHECK(rq(3, 0.5f, 0, 0, 255) == 2);    /* 1.5 -> 2 */
  CHECK(rq(5, 0.5f, 0, 0, 255) == 2);    /* 2.5 -> 2 */
  CHECK(rq(-1, 0.5f, 10, 0, 255) == 10); /* -0.5 -> 0 */
  CHECK(rq(-3, 0.5f, 10, 0, 255) == 8);  /* -1.5 -> -2 */
  /* M = 0.3437 (first depthwise of MobileNetV2), acc 1..7: exact rounding of 0.3437*acc. */
  static const int32_t expect[8] = {0, 0, 1, 1, 1, 2, 2, 2};
  for (int32_t a = 1; a <= 7; a++) CHECK(rq(a, 0.3437f, 0, 0, 255) == expect[a]);
  /* Clamps (fused ReLU6 range, int8 range, saturation of huge accumulators). */
  CHECK(rq(100000, 0.01f, 3, 3, 200) == 200);
  CHECK(rq(-100000, 0.01f, 3, 3, 200) == 3);
  CHECK(rq(INT32_MAX, 1.0f, -5, -128, 127) == 127);
  CHECK(rq(INT32_MIN, 1.0f, -5, -128, 127) == -128);
  int32_t r;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_requantize_fp32(1, 0.0f, 0, 0, 255, &r));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_requantize_fp32(1, 1.0f, 0, 10, 5, &r));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_requantize_fp32(1, 1.0f, 0, 0, 255, NULL));
}

/* 3x3 SAME conv on a 2x2 input with input zero point 128: padded taps must count as the zero point (padding with
 * byte 0 would subtract 128 per padded tap). */
static void test_conv_zero_point_padding(void) {
  mna_conv2d_params p = {1, 2, 2, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, MNA_ACT_NONE};
  mna_quant_conv_params q = {128, 100, 0, 0, 255};
  const uint8_t in[4] = {129, 130, 131, 132}; /* real (1, 2, 3, 4) units */
  uint8_t w[9];
  for (int i = 0; i < 9; i++) w[i] = (uint8_t)(100 + i + 1); /* (1..9) units */
  const int32_t bias[1] = {10};
  const float scale = 1.0f;
  uint8_t out[4] = {0};
  CHECK_OK(mna_qu8_conv2d(&p, &q, &scale, 1, in, 4, w, 9, bias, 1, out, 4, NULL));
  /* out(0,0) sees in(0,0)*w(1,1) + in(0,1)*w(1,2) + in(1,0)*w(2,1) + in(1,1)*w(2,2) = 1*5+2*6+3*8+4*9 = 77 (+10). */
  CHECK(out[0] == 87);
  /* out(1,1): in(0,0)*w(0,0)+in(0,1)*w(0,1)+in(1,0)*w(1,0)+in(1,1)*w(1,1) = 1+4+12+20 = 37 (+10). */
  CHECK(out[3] == 47);
  /* Depthwise, the same numbers with one channel. */
  CHECK_OK(mna_qu8_dwconv2d(&p, &q, &scale, 1, in, 4, w, 9, bias, 1, out, 4, NULL));
  CHECK(out[0] == 87 && out[3] == 47);
  /* int8, per-channel: two output channels with scales 1 and 0.5, weights symmetric. */
  mna_conv2d_params p8 = {1, 1, 1, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, MNA_ACT_NONE};
  mna_quant_conv_params q8 = {-10, 0, 5, -128, 127};
  const int8_t x8[2] = {-9, -7};      /* real (1, 3) */
  const int8_t w8[4] = {2, 1, -3, 4}; /* oc0: 2*1+1*3 = 5; oc1: -3+12 = 9 */
  const float sc8[2] = {1.0f, 0.5f};
  int8_t y8[2];
  CHECK_OK(mna_qs8_conv2d(&p8, &q8, sc8, 2, x8, 2, w8, 4, NULL, 0, y8, 2, NULL));
  CHECK(y8[0] == 10); /* 5 + 5 */
  CHECK(y8[1] == 9);  /* 4.5 -> 4 (even) + 5 */
  CHECK_OK(mna_qs8_fully_connected(1, 2, 2, &q8, sc8, 2, x8, 2, w8, 4, NULL, 0, y8, 2, NULL));
  CHECK(y8[0] == 10 && y8[1] == 9);
}

static void test_avgpool(void) {
  mna_conv2d_params p = {1, 2, 2, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, MNA_ACT_NONE};
  const uint8_t a[4] = {0, 0, 1, 1}; /* sum 2 -> (2+2)/4 = 1 */
  uint8_t o = 0;
  CHECK_OK(mna_qu8_avgpool2d(&p, 0, 255, a, 4, &o, 1));
  CHECK(o == 1);
  const uint8_t b[4] = {0, 0, 0, 1}; /* sum 1 -> 0 */
  CHECK_OK(mna_qu8_avgpool2d(&p, 0, 255, b, 4, &o, 1));
  CHECK(o == 0);
  const int8_t c[4] = {-1, -1, 0, 0}; /* sum -2 -> -1 (ties away from zero) */
  int8_t s = 0;
  CHECK_OK(mna_qs8_avgpool2d(&p, -128, 127, c, 4, &s, 1));
  CHECK(s == -1);
  /* SAME padding: the corner window of a 3x3 pool over 2x2 counts only the 4 real pixels. */
  mna_conv2d_params ps = {1, 2, 2, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, MNA_ACT_NONE};
  const uint8_t d[4] = {10, 20, 30, 41};
  uint8_t od[4];
  CHECK_OK(mna_qu8_avgpool2d(&ps, 0, 255, d, 4, od, 4));
  CHECK(od[0] == 25 && od[3] == 25); /* (101 + 2) / 4 = 25 */
  /* Global average with requantization: mean 2.5 units * (1 / 0.5) = 5 */
  mna_quant_eltwise_params q = {1.0f, 10, 0.0f, 0, 0.5f, 0, 0, 255};
  const uint8_t g[4] = {11, 12, 13, 14};
  CHECK_OK(mna_qu8_global_avgpool(1, 2, 2, 1, &q, g, 4, &o, 1));
  CHECK(o == 5);
}

static void test_softmax(void) {
  enum { N = 1001 };
  static uint8_t in[N], out[N];
  mna_quant_eltwise_params q = {0.0989f, 58, 0.0f, 0, 1.0f / 256.0f, 0, 0, 255};
  memset(in, 100, sizeof in); /* uniform: 256/1001 + 0.5 < 1 -> all 0 */
  CHECK_OK(mna_qu8_softmax(1, N, 1.0f, &q, in, N, out, N));
  int nonzero = 0;
  for (int i = 0; i < N; i++) nonzero += out[i] != 0;
  CHECK(nonzero == 0);
  memset(in, 0, sizeof in);
  in[7] = 255; /* dominant: 256 saturates to 255, the rest exp(-25.2) * 256 -> 0 */
  CHECK_OK(mna_qu8_softmax(1, N, 1.0f, &q, in, N, out, N));
  CHECK(out[7] == 255);
  CHECK(out[0] == 0 && out[1000] == 0);
  /* Two equal maxima among -inf-like others: each 0.5 -> 128. */
  in[9] = 255;
  CHECK_OK(mna_qu8_softmax(1, N, 1.0f, &q, in, N, out, N));
  CHECK(out[7] == 128 && out[9] == 128);
}

/* Exhaustive 256x256 add against exact (double) rounding: the float computation may only differ where the exact
 * value lies within float rounding error of a .5 tie. */
static void test_add_exhaustive(void) {
  const float sa = 0.0235294f, sb = 0.0411765f, so = 0.0456231f;
  mna_quant_eltwise_params q = {sa, 128, sb, 120, so, 125, 0, 255};
  static uint8_t a[65536], b[65536], o[65536];
  for (int i = 0; i < 65536; i++) {
    a[i] = (uint8_t)(i & 255);
    b[i] = (uint8_t)(i >> 8);
  }
  CHECK_OK(mna_qu8_add(65536, &q, a, 65536, b, 65536, o, 65536));
  int mismatches = 0, unexplained = 0;
  for (int i = 0; i < 65536; i++) {
    const double v = ((double)a[i] - 128) * ((double)sa / so) + ((double)b[i] - 120) * ((double)sb / so);
    double r = nearbyint(v) + 125;
    r = r < 0 ? 0 : (r > 255 ? 255 : r);
    if ((int)r != o[i]) {
      mismatches++;
      if (fabs(fabs(v - floor(v)) - 0.5) > 1e-4) unexplained++;
    }
  }
  printf("  add: %d / 65536 differ from exact rounding (%d not at a near-tie)\n", mismatches, unexplained);
  CHECK(unexplained == 0);
  CHECK(mismatches <= 64);
  /* In-place on a is allowed. */
  CHECK_OK(mna_qu8_add(65536, &q, a, 65536, b, 65536, a, 65536));
  CHECK(memcmp(a, o, sizeof o) == 0);
}

static void test_quantize(void) {
  const float x[6] = {0.0f, 0.5f, 1.5f, -0.5f, 1000.0f, -1000.0f};
  uint8_t u[6];
  CHECK_OK(mna_qu8_quantize(6, 1.0f, 128, x, 6, u, 6));
  CHECK(u[0] == 128 && u[1] == 128 && u[2] == 130 && u[3] == 128 && u[4] == 255 && u[5] == 0);
  int8_t s[6];
  CHECK_OK(mna_qs8_quantize(6, 0.5f, -1, x, 6, s, 6));
  CHECK(s[0] == -1 && s[1] == 0 && s[2] == 2 && s[3] == -2 && s[4] == 127 && s[5] == -128);
  float f[6];
  CHECK_OK(mna_qu8_dequantize(6, 0.25f, 128, u, 6, f, 6));
  CHECK(f[0] == 0.0f && f[2] == 0.5f && f[4] == 31.75f && f[5] == -32.0f);
}

static void test_validation(void) {
  mna_conv2d_params p = {1, 2, 2, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, MNA_ACT_NONE};
  mna_quant_conv_params q = {128, 100, 0, 0, 255};
  uint8_t in[4] = {0}, w[9] = {0}, out[4];
  const float one = 1.0f, bad = -1.0f;
  const float two[2] = {1.0f, 1.0f};
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_qu8_conv2d(&p, &q, &one, 1, NULL, 4, w, 9, NULL, 0, out, 4, NULL));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_qu8_conv2d(&p, NULL, &one, 1, in, 4, w, 9, NULL, 0, out, 4, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_qu8_conv2d(&p, &q, &one, 1, in, 3, w, 9, NULL, 0, out, 4, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_qu8_conv2d(&p, &q, &one, 1, in, 4, w, 8, NULL, 0, out, 4, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_qu8_conv2d(&p, &q, &one, 1, in, 4, w, 9, NULL, 0, out, 3, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_qu8_conv2d(&p, &q, &bad, 1, in, 4, w, 9, NULL, 0, out, 4, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_qu8_conv2d(&p, &q, two, 2, in, 4, w, 9, NULL, 0, out, 4, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_qu8_conv2d(&p, &q, &one, 1, in, 4, w, 9, NULL, 0, in, 4, NULL));
  mna_quant_conv_params qz = {300, 0, 0, 0, 255};
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_qu8_conv2d(&p, &qz, &one, 1, in, 4, w, 9, NULL, 0, out, 4, NULL));
  mna_quant_conv_params qs = {0, 0, 0, -1, 127};
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_qu8_conv2d(&p, &qs, &one, 1, in, 4, w, 9, NULL, 0, out, 4, NULL));
  /* The same clamp is valid for int8. */
  mna_quant_conv_params qs8 = {0, 0, 0, -1, 127};
  CHECK_OK(mna_qs8_conv2d(&p, &qs8, &one, 1, (int8_t*)in, 4, (int8_t*)w, 9, NULL, 0, (int8_t*)out, 4, NULL));
  mna_conv2d_params pp = p;
  pp.pad_top = 3;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_qu8_conv2d(&pp, &q, &one, 1, in, 4, w, 9, NULL, 0, out, 4, NULL));
  mna_quant_eltwise_params e = {1.0f, 0, 1.0f, 0, 0.0f, 0, 0, 255};
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_qu8_add(4, &e, in, 4, in, 4, out, 4));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_qu8_softmax(1, 4, 0.0f, &e, in, 4, out, 4));
  float f[4];
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_qu8_dequantize(4, 1.0f, 0, in, 4, f, 3));
}

int main(void) {
  test_requantize();
  test_conv_zero_point_padding();
  test_avgpool();
  test_softmax();
  test_add_exhaustive();
  test_quantize();
  test_validation();
  printf("test_quant: %d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
