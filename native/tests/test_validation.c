/* Argument validation: every entry point returns the right status, writes a message,
 * and touches nothing when an argument is wrong. */
#include "test_util.h"

enum { BIG = 4096 };
static float g_in[BIG], g_w[BIG], g_b[BIG], g_out[BIG];

static mna_conv2d_params good_conv(void) {
  /* 1x4x4x2 -> 3x3 conv, 3 out channels, pad 1 -> 4x4x3 */
  mna_conv2d_params p = {1, 4, 4, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1, MNA_ACT_RELU};
  return p;
}

static mna_status conv(const mna_conv2d_params* p, size_t in_len, size_t w_len, const float* bias, size_t b_len,
                       size_t out_len) {
  return mna_f32_conv2d(p, g_in, in_len, g_w, w_len, bias, b_len, g_out, out_len, NULL);
}

static void test_conv(void) {
  mna_conv2d_params p = good_conv();
  CHECK_OK(conv(&p, 32, 54, g_b, 3, 48));
  CHECK_OK(conv(&p, 32, 54, NULL, 0, 48)); /* NULL bias: bias_len ignored */

  /* NULL pointers */
  CHECK_STATUS(MNA_ERR_NULL_POINTER, conv(NULL, 32, 54, g_b, 3, 48));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_f32_conv2d(&p, NULL, 32, g_w, 54, g_b, 3, g_out, 48, NULL));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_f32_conv2d(&p, g_in, 32, NULL, 54, g_b, 3, g_out, 48, NULL));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_f32_conv2d(&p, g_in, 32, g_w, 54, g_b, 3, NULL, 48, NULL));

  /* buffer lengths */
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, conv(&p, 31, 54, g_b, 3, 48));
  CHECK(strstr(mna_last_error(), "input_len 31 < required 32") != NULL);
  CHECK(strstr(mna_last_error(), "mna_f32_conv2d") != NULL);
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, conv(&p, 32, 53, g_b, 3, 48));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, conv(&p, 32, 54, g_b, 2, 48));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, conv(&p, 32, 54, g_b, 3, 47));
  CHECK(strstr(mna_last_error(), "output_len") != NULL);

  /* every int field <= 0 where it must be positive, negative pads, bad activation */
  int32_t* fields[] = {&p.batch,    &p.in_h,     &p.in_w,     &p.in_c,    &p.out_c,
                       &p.kernel_h, &p.kernel_w, &p.stride_h, &p.stride_w};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    const int32_t keep = *fields[i];
    *fields[i] = 0;
    CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, conv(&p, BIG, BIG, g_b, BIG, BIG));
    *fields[i] = -3;
    CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, conv(&p, BIG, BIG, g_b, BIG, BIG));
    *fields[i] = keep;
  }
  int32_t* pads[] = {&p.pad_top, &p.pad_left, &p.pad_bottom, &p.pad_right};
  for (size_t i = 0; i < 4; i++) {
    *pads[i] = -1;
    CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, conv(&p, BIG, BIG, g_b, BIG, BIG));
    CHECK(strstr(mna_last_error(), "pad_") != NULL);
    *pads[i] = 1;
  }
  p.activation = 3;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, conv(&p, BIG, BIG, g_b, BIG, BIG));
  CHECK(strstr(mna_last_error(), "activation") != NULL);
  p.activation = -1;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, conv(&p, BIG, BIG, g_b, BIG, BIG));
  p = good_conv();

  /* kernel larger than padded input -> out_h < 1 */
  p.kernel_h = 7;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, conv(&p, BIG, BIG, g_b, BIG, BIG));
  int32_t oh = -5, ow = -5;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_conv2d_output_shape(&p, &oh, &ow));
  CHECK(oh == -5 && ow == -5);
  p = good_conv();
  p.kernel_w = 3;
  p.pad_left = p.pad_right = 0;
  p.in_w = 2; /* 2 < 3 */
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, conv(&p, BIG, BIG, g_b, BIG, BIG));
  p = good_conv();

  /* size overflow: batch = INT32_MAX with huge dims */
  p.batch = INT32_MAX;
  p.in_h = INT32_MAX;
  p.in_w = INT32_MAX;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, conv(&p, SIZE_MAX, SIZE_MAX, g_b, SIZE_MAX, SIZE_MAX));
  CHECK(strstr(mna_last_error(), "overflow") != NULL);
  p = good_conv();
  p.in_c = INT32_MAX;
  p.out_c = INT32_MAX;
  p.kernel_h = p.kernel_w = 3;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, conv(&p, SIZE_MAX, SIZE_MAX, g_b, SIZE_MAX, SIZE_MAX));
  /* huge but not overflowing input with small buffers -> too small, not a crash */
  p = good_conv();
  p.batch = INT32_MAX;
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, conv(&p, BIG, BIG, g_b, BIG, BIG));
  /* huge pads: out_h would exceed INT32_MAX */
  p = good_conv();
  p.pad_top = p.pad_bottom = INT32_MAX;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, conv(&p, BIG, BIG, g_b, BIG, BIG));
  p = good_conv();

  /* output overlapping an input */
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_conv2d(&p, g_in, 32, g_w, 54, g_b, 3, g_in + 8, 48, NULL));
  CHECK(strstr(mna_last_error(), "overlap") != NULL);

  /* output shape */
  CHECK_OK(mna_conv2d_output_shape(&p, &oh, &ow));
  CHECK(oh == 4 && ow == 4);
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_conv2d_output_shape(NULL, &oh, &ow));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_conv2d_output_shape(&p, NULL, &ow));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_conv2d_output_shape(&p, &oh, NULL));
}

static void test_dwconv_pool(void) {
  mna_conv2d_params p = good_conv();
  p.out_c = 2;
  CHECK_OK(mna_f32_dwconv2d(&p, g_in, 32, g_w, 18, g_b, 2, g_out, 32, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_dwconv2d(&p, g_in, 32, g_w, 17, g_b, 2, g_out, 32, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_dwconv2d(&p, g_in, 32, g_w, 18, g_b, 1, g_out, 32, NULL));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_f32_dwconv2d(&p, g_in, 32, NULL, 18, g_b, 2, g_out, 32, NULL));
  p.out_c = 3; /* out_c != in_c */
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_dwconv2d(&p, g_in, BIG, g_w, BIG, g_b, BIG, g_out, BIG, NULL));
  CHECK(strstr(mna_last_error(), "out_c") != NULL);
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_avgpool2d(&p, g_in, BIG, g_out, BIG, NULL));
  p.out_c = 2;
  CHECK_OK(mna_f32_avgpool2d(&p, g_in, 32, g_out, 32, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_avgpool2d(&p, g_in, 32, g_out, 31, NULL));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_f32_avgpool2d(NULL, g_in, 32, g_out, 32, NULL));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_f32_avgpool2d(&p, g_in, 32, NULL, 32, NULL));
  p.stride_w = 0;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_avgpool2d(&p, g_in, BIG, g_out, BIG, NULL));

  CHECK_OK(mna_f32_global_avgpool(2, 2, 2, 3, g_in, 24, g_out, 6, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_global_avgpool(2, 2, 2, 3, g_in, 23, g_out, 6, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_global_avgpool(2, 2, 2, 3, g_in, 24, g_out, 5, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_global_avgpool(2, 0, 2, 3, g_in, 24, g_out, 6, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_global_avgpool(INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, g_in,
                                                                SIZE_MAX, g_out, SIZE_MAX, NULL));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_f32_global_avgpool(2, 2, 2, 3, NULL, 24, g_out, 6, NULL));
}

static void test_pwconv_fc(void) {
  CHECK_OK(mna_f32_pwconv(4, 3, 2, g_in, 12, g_w, 6, NULL, 0, MNA_ACT_NONE, g_out, 8, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_pwconv(0, 3, 2, g_in, 12, g_w, 6, NULL, 0, 0, g_out, 8, NULL));
  CHECK(strstr(mna_last_error(), "pixels") != NULL);
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_pwconv(-4, 3, 2, g_in, 12, g_w, 6, NULL, 0, 0, g_out, 8, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_pwconv(4, 0, 2, g_in, 12, g_w, 6, NULL, 0, 0, g_out, 8, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_pwconv(4, 3, -2, g_in, 12, g_w, 6, NULL, 0, 0, g_out, 8, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_pwconv(4, 3, 2, g_in, 12, g_w, 6, NULL, 0, 7, g_out, 8, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT,
               mna_f32_pwconv(INT64_MAX, 3, 2, g_in, SIZE_MAX, g_w, 6, NULL, 0, 0, g_out, SIZE_MAX, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT,
               mna_f32_pwconv(INT64_MAX / 2, 1, 1, g_in, SIZE_MAX, g_w, 6, NULL, 0, 0, g_out, SIZE_MAX, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_pwconv(4, 3, 2, g_in, 11, g_w, 6, NULL, 0, 0, g_out, 8, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_pwconv(4, 3, 2, g_in, 12, g_w, 5, NULL, 0, 0, g_out, 8, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_pwconv(4, 3, 2, g_in, 12, g_w, 6, g_b, 1, 0, g_out, 8, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_pwconv(4, 3, 2, g_in, 12, g_w, 6, NULL, 0, 0, g_out, 7, NULL));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_f32_pwconv(4, 3, 2, g_in, 12, NULL, 6, NULL, 0, 0, g_out, 8, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_pwconv(4, 3, 2, g_in, 12, g_w, 6, NULL, 0, 0, g_in, 8, NULL));

  CHECK_OK(mna_f32_fully_connected(2, 3, 4, g_in, 6, g_w, 12, g_b, 4, MNA_ACT_RELU, g_out, 8, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_fully_connected(2, 3, 4, g_in, 5, g_w, 12, g_b, 4, 0, g_out, 8, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_fully_connected(2, 3, 4, g_in, 6, g_w, 11, g_b, 4, 0, g_out, 8, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_fully_connected(2, 3, 4, g_in, 6, g_w, 12, g_b, 3, 0, g_out, 8, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_fully_connected(2, 3, 4, g_in, 6, g_w, 12, g_b, 4, 0, g_out, 7, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_fully_connected(0, 3, 4, g_in, 6, g_w, 12, g_b, 4, 0, g_out, 8, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_fully_connected(2, 3, 4, g_in, 6, g_w, 12, g_b, 4, 9, g_out, 8, NULL));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_f32_fully_connected(2, 3, 4, g_in, 6, g_w, 12, g_b, 4, 0, NULL, 8, NULL));
}

static mna_irb_params good_irb(void) {
  /* 1x4x4x2, expand to 6, stride 1, pad 1, project to 2, residual */
  mna_irb_params p = {1, 4, 4, 2, 6, 2, 1, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 1};
  return p;
}

static mna_status irb(const mna_irb_params* p, size_t in, size_t ew, size_t eb, size_t dw, size_t db, size_t pw,
                      size_t pb, size_t out) {
  return mna_f32_irb(p, g_in, in, g_w, ew, g_b, eb, g_w + 100, dw, g_b + 100, db, g_w + 200, pw, g_b + 200, pb, g_out,
                     out, NULL);
}

static void test_irb(void) {
  mna_irb_params p = good_irb();
  int32_t oh, ow;
  CHECK_OK(irb(&p, 32, 12, 6, 54, 6, 12, 2, 32));
  CHECK_OK(mna_irb_output_shape(&p, &oh, &ow));
  CHECK(oh == 4 && ow == 4);
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_irb_output_shape(NULL, &oh, &ow));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, irb(NULL, 32, 12, 6, 54, 6, 12, 2, 32));
  CHECK_STATUS(MNA_ERR_NULL_POINTER,
               mna_f32_irb(&p, g_in, 32, NULL, 12, NULL, 0, g_w, 54, NULL, 0, g_w + 100, 12, NULL, 0, g_out, 32, NULL));
  CHECK_STATUS(MNA_ERR_NULL_POINTER,
               mna_f32_irb(&p, g_in, 32, g_w, 12, NULL, 0, NULL, 54, NULL, 0, g_w + 100, 12, NULL, 0, g_out, 32, NULL));
  CHECK_STATUS(MNA_ERR_NULL_POINTER,
               mna_f32_irb(&p, g_in, 32, g_w, 12, NULL, 0, g_w + 50, 54, NULL, 0, NULL, 12, NULL, 0, g_out, 32, NULL));
  /* each length one short */
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, irb(&p, 31, 12, 6, 54, 6, 12, 2, 32));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, irb(&p, 32, 11, 6, 54, 6, 12, 2, 32));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, irb(&p, 32, 12, 5, 54, 6, 12, 2, 32));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, irb(&p, 32, 12, 6, 53, 6, 12, 2, 32));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, irb(&p, 32, 12, 6, 54, 5, 12, 2, 32));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, irb(&p, 32, 12, 6, 54, 6, 11, 2, 32));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, irb(&p, 32, 12, 6, 54, 6, 12, 1, 32));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, irb(&p, 32, 12, 6, 54, 6, 12, 2, 31));
  /* stride must be 1 or 2 */
  p.residual = 0;
  p.stride = 3;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, irb(&p, BIG, BIG, BIG, BIG, BIG, BIG, BIG, BIG));
  p.stride = 0;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, irb(&p, BIG, BIG, BIG, BIG, BIG, BIG, BIG, BIG));
  p.stride = 2;
  CHECK_OK(irb(&p, 32, 12, 6, 54, 6, 12, 2, 8));
  /* residual needs stride 1 */
  p.residual = 1;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, irb(&p, BIG, BIG, BIG, BIG, BIG, BIG, BIG, BIG));
  CHECK(strstr(mna_last_error(), "residual") != NULL);
  /* residual needs in_c == out_c */
  p = good_irb();
  p.out_c = 3;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, irb(&p, BIG, BIG, BIG, BIG, BIG, BIG, BIG, BIG));
  /* residual needs the same spatial size */
  p = good_irb();
  p.pad_top = p.pad_bottom = 0;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, irb(&p, BIG, BIG, BIG, BIG, BIG, BIG, BIG, BIG));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_irb_output_shape(&p, &oh, &ow));
  p.residual = 0;
  CHECK_OK(mna_irb_output_shape(&p, &oh, &ow));
  CHECK(oh == 2 && ow == 4);
  /* residual must be 0 or 1, activations valid, pads >= 0, hidden_c >= 0 */
  p = good_irb();
  p.residual = 2;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, irb(&p, BIG, BIG, BIG, BIG, BIG, BIG, BIG, BIG));
  p = good_irb();
  p.dw_activation = 5;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, irb(&p, BIG, BIG, BIG, BIG, BIG, BIG, BIG, BIG));
  p = good_irb();
  p.pad_right = -1;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, irb(&p, BIG, BIG, BIG, BIG, BIG, BIG, BIG, BIG));
  p = good_irb();
  p.hidden_c = -1;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, irb(&p, BIG, BIG, BIG, BIG, BIG, BIG, BIG, BIG));
  /* hidden_c 0: expand_w may be NULL and its length is ignored; dw/project use in_c */
  p = good_irb();
  p.hidden_c = 0;
  CHECK_OK(mna_f32_irb(&p, g_in, 32, NULL, 0, NULL, 0, g_w, 18, NULL, 0, g_w + 100, 4, g_b, 2, g_out, 32, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL,
               mna_f32_irb(&p, g_in, 32, NULL, 0, NULL, 0, g_w, 17, NULL, 0, g_w + 100, 4, g_b, 2, g_out, 32, NULL));
  /* overflow */
  p = good_irb();
  p.batch = INT32_MAX;
  p.in_h = p.in_w = INT32_MAX;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT,
               irb(&p, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX));
  p = good_irb();
  p.hidden_c = INT32_MAX;
  p.in_c = p.out_c = INT32_MAX;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT,
               irb(&p, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX));
}

static void test_misc(void) {
  CHECK_OK(mna_f32_softmax(2, 3, 1.0f, g_in, 6, g_out, 6));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_softmax(2, 0, 1.0f, g_in, 6, g_out, 6));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_softmax(-1, 3, 1.0f, g_in, 6, g_out, 6));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_softmax(2, 3, NAN, g_in, 6, g_out, 6));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_softmax(2, 3, 1.0f, g_in, 5, g_out, 6));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_softmax(2, 3, 1.0f, g_in, 6, g_out, 5));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_f32_softmax(2, 3, 1.0f, NULL, 6, g_out, 6));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_softmax(2, 3, 1.0f, g_in, 6, g_in + 1, 6)); /* partial overlap */

  CHECK_OK(mna_f32_add(5, g_in, 5, g_w, 5, MNA_ACT_NONE, g_out, 5));
  CHECK_OK(mna_f32_add(5, g_in, 5, g_w, 5, MNA_ACT_NONE, g_w, 5)); /* in place on b */
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_add(0, g_in, 5, g_w, 5, 0, g_out, 5));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_add(5, g_in, 5, g_w, 5, 3, g_out, 5));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_add(INT64_MAX, g_in, SIZE_MAX, g_w, SIZE_MAX, 0, g_out, SIZE_MAX));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_add(5, g_in, 4, g_w, 5, 0, g_out, 5));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_add(5, g_in, 5, g_w, 4, 0, g_out, 5));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_add(5, g_in, 5, g_w, 5, 0, g_out, 4));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_f32_add(5, g_in, 5, NULL, 5, 0, g_out, 5));

  CHECK_OK(mna_f32_activation(5, MNA_ACT_RELU6, g_in, 5, g_in, 5));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_activation(5, 4, g_in, 5, g_out, 5));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_activation(-5, 0, g_in, 5, g_out, 5));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_activation(5, 0, g_in, 5, g_out, 4));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_f32_activation(5, 0, g_in, 5, NULL, 5));

  CHECK_OK(mna_f32_pad2d(1, 2, 2, 2, 1, 1, 1, 1, 0.0f, g_in, 8, g_out, 32));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_pad2d(1, 2, 2, 2, 1, 1, 1, 1, 0.0f, g_in, 8, g_out, 31));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_pad2d(1, 2, 2, 2, 1, 1, 1, 1, 0.0f, g_in, 7, g_out, 32));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_pad2d(1, 2, 2, 2, -1, 1, 1, 1, 0.0f, g_in, 8, g_out, 32));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_pad2d(1, 0, 2, 2, 1, 1, 1, 1, 0.0f, g_in, 8, g_out, 32));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_pad2d(INT32_MAX, 2, 2, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX,
                                                       INT32_MAX, 0.0f, g_in, SIZE_MAX, g_out, SIZE_MAX));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_f32_pad2d(1, 2, 2, 2, 1, 1, 1, 1, 0.0f, NULL, 8, g_out, 32));

  /* thread pool arguments */
  mna_threadpool* pool = (mna_threadpool*)&pool;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_threadpool_create(0, &pool));
  CHECK(pool == NULL);
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_threadpool_create(-2, &pool));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_threadpool_create(2, NULL));
  CHECK_OK(mna_threadpool_destroy(NULL));
  CHECK(mna_threadpool_threads(NULL) == 1);
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_cpu_features(NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_select_isa((mna_isa)42));
}

/* Writes must stay inside output_len: guard cells around the output are untouched. */
static void test_no_out_of_bounds_write(void) {
  float buf[64];
  for (int i = 0; i < 64; i++) buf[i] = -777.0f;
  mna_conv2d_params p = good_conv();
  CHECK_OK(mna_f32_conv2d(&p, g_in, 32, g_w, 54, NULL, 0, buf + 8, 48, NULL));
  for (int i = 0; i < 8; i++) CHECK(buf[i] == -777.0f && buf[56 + i] == -777.0f);
  /* a failing call writes nothing */
  for (int i = 0; i < 64; i++) buf[i] = -777.0f;
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_conv2d(&p, g_in, 32, g_w, 54, NULL, 0, buf, 47, NULL));
  for (int i = 0; i < 64; i++) CHECK(buf[i] == -777.0f);
}

int main(void) {
  for (int i = 0; i < BIG; i++) g_in[i] = g_w[i] = g_b[i] = 0.25f;
  CHECK(mna_last_error() != NULL);
  CHECK(strcmp(mna_version(), "0.1.0") == 0);
  test_conv();
  test_dwconv_pool();
  test_pwconv_fc();
  test_irb();
  test_misc();
  test_no_out_of_bounds_write();
  return test_summary("test_validation");
}
