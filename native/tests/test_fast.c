/* Every fast table (scalar, avx2, avx512 / scalar, neon) against the reference table over
 * shape tables (odd channel counts, channel and pixel tails, paddings, strides, MobileNet
 * layer shapes at reduced resolution), with 1, 2 and 3 threads; the fast paths must be
 * bit-identical for every thread count. Also the packed-weights API.
 *
 * Tolerance: the fast kernels use fused multiply-adds and, for GEMV, a different summation
 * order than the reference; per element |got - want| <= 2e-5 * (1 + |want|) with inputs in
 * [-1, 1) and K <= 1000 (a few float ulps of the accumulated magnitude).
 * KxK convolution sums in (kx, ky, c) order where the reference sums in (ky, kx, c), so its
 * bound is per element and scales with the terms: each float sum of K products is within
 * (4 sqrt(K) + 2) 2^-24 S of the exact one, S = |bias| + sum |x w| (the bound the .NET kernel
 * suite uses, KernelTestSupport.cs), and two such sums within twice that of each other. */
#include "test_util.h"

#define TOL 2e-5f

static mna_threadpool* g_pools[3]; /* NULL (1 thread), 2, 3 threads */

static const char* g_isa = "";
static const float* g_bound; /* per-element tolerance for COMPARE, or NULL for TOL */

static void report(const char* what, const char* shape) { fprintf(stderr, "  [%s] %s %s\n", g_isa, what, shape); }

static int same_bits(const float* a, const float* b, size_t n) { return memcmp(a, b, n * sizeof(float)) == 0; }

static void check_bound(const float* got, const float* want, const float* bound, size_t n) {
  __atomic_add_fetch(&g_checks, 1, __ATOMIC_RELAXED);
  for (size_t i = 0; i < n; i++)
    if (!(fabsf(got[i] - want[i]) <= bound[i])) {
      __atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);
      fprintf(stderr, "got[%zu] = %.9g, expected %.9g (bound %.3g)\n", i, (double)got[i], (double)want[i],
              (double)bound[i]);
      break;
    }
}

/* Runs fn on the reference table into want, then on isa with each pool, compares. */
#define COMPARE(isa, want, got, n, call_ref, call_fast, shape)                  \
  do {                                                                          \
    CHECK_OK(mna_select_isa(MNA_ISA_REFERENCE));                                \
    call_ref;                                                                   \
    CHECK_OK(mna_select_isa(isa));                                              \
    float* first_ = NULL;                                                       \
    for (int pi_ = 0; pi_ < 3; pi_++) {                                         \
      mna_threadpool* pool = g_pools[pi_];                                      \
      (void)pool;                                                               \
      memset(got, 0xff, (n) * sizeof(float));                                   \
      call_fast;                                                                \
      const int before_ = g_failures;                                           \
      if (g_bound)                                                              \
        check_bound(got, want, g_bound, n);                                     \
      else                                                                      \
        CHECK_NEAR_ARRAY(got, want, n, TOL);                                    \
      if (!first_) {                                                            \
        first_ = (float*)malloc((n) * sizeof(float));                           \
        memcpy(first_, got, (n) * sizeof(float));                               \
      } else if (!same_bits(first_, got, n)) {                                  \
        g_failures++;                                                           \
        fprintf(stderr, "result depends on the thread count (pool %d)\n", pi_); \
      }                                                                         \
      if (g_failures != before_) report(#call_fast, shape);                     \
    }                                                                           \
    free(first_);                                                               \
  } while (0)

static void test_pwconv(mna_isa isa) {
  static const int shapes[][3] = {/* pixels, in_c, out_c */
                                  {1, 1, 1},
                                  {7, 3, 5},
                                  {13, 16, 32},
                                  {50, 24, 144},
                                  {49, 160, 960},
                                  {23, 96, 24},
                                  {9, 17, 33},
                                  {100, 32, 16},
                                  {8, 5, 47},
                                  {15, 1, 65},
                                  {3, 320, 1280},
                                  {29, 64, 31},
                                  /* a 1-row last tile over several full panels (the row kernel) */
                                  {19, 40, 96},
                                  {22, 33, 224},
                                  {1, 70, 200},
                                  {25, 9, 100}};
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    for (int act = 0; act < 3; act++) {
      const int px = shapes[i][0], ic = shapes[i][1], oc = shapes[i][2];
      /* large shapes with one activation only (keeps the qemu run short); small ones with all three */
      if ((double)px * ic * oc > 2e5 && act != MNA_ACT_RELU6) continue;
      char shape[96];
      snprintf(shape, sizeof shape, "pixels %d in_c %d out_c %d act %d", px, ic, oc, act);
      const size_t xn = (size_t)px * ic, wn = (size_t)oc * ic, yn = (size_t)px * oc;
      float *x = rand_buf(xn), *w = rand_buf(wn), *b = rand_buf((size_t)oc), *want = rand_buf(yn), *got = rand_buf(yn);
      for (size_t k = 0; k < xn; k++) x[k] *= 4.0f; /* make ReLU6 clamp sometimes */
      const float* bias = (i % 3 == 1) ? NULL : b;
      COMPARE(isa, want, got, yn, CHECK_OK(mna_f32_pwconv(px, ic, oc, x, xn, w, wn, bias, oc, act, want, yn, NULL)),
              CHECK_OK(mna_f32_pwconv(px, ic, oc, x, xn, w, wn, bias, oc, act, got, yn, pool)), shape);
      /* the same through the packed API (packed for the selected table) */
      mna_packed* pk = NULL;
      COMPARE(
          isa, want, got, yn, (void)0,
          do {
            if (!pk) CHECK_OK(mna_f32_pwconv_pack(ic, oc, w, wn, bias, oc, &pk));
            CHECK_OK(mna_f32_pwconv_packed(pk, px, x, xn, act, got, yn, pool));
          } while (0),
          shape);
      CHECK_OK(mna_packed_destroy(pk));
      /* fully connected = the same math with batch = pixels */
      COMPARE(isa, want, got, yn,
              CHECK_OK(mna_f32_fully_connected(px, ic, oc, x, xn, w, wn, bias, oc, act, want, yn, NULL)),
              CHECK_OK(mna_f32_fully_connected(px, ic, oc, x, xn, w, wn, bias, oc, act, got, yn, pool)), shape);
      free(x), free(w), free(b), free(want), free(got);
    }
}

static void test_conv(mna_isa isa, int depthwise) {
  static const int shapes[][10] = {/* n h w c oc k s pt pl pb(pr = pb) */
                                   {1, 7, 5, 3, 4, 3, 1, 1, 1, 1},
                                   {2, 8, 8, 3, 32, 3, 2, 1, 1, 1},
                                   {1, 9, 6, 17, 5, 3, 2, 0, 0, 1},
                                   {1, 5, 5, 40, 2, 3, 1, 1, 1, 1},
                                   {1, 3, 3, 1, 1, 3, 1, 0, 0, 0},
                                   {1, 16, 16, 3, 32, 3, 2, 0, 0, 1},
                                   {1, 14, 14, 33, 8, 3, 1, 1, 1, 1},
                                   {1, 12, 11, 96, 8, 3, 2, 1, 1, 1},
                                   {1, 2, 2, 7, 3, 3, 1, 1, 1, 1},
                                   {1, 1, 1, 16, 16, 3, 1, 1, 1, 1},
                                   {1, 1, 4, 20, 4, 3, 2, 1, 1, 1},
                                   {1, 10, 10, 16, 16, 1, 1, 0, 0, 0},
                                   {1, 6, 6, 4, 5, 5, 2, 2, 2, 2},
                                   {1, 4, 7, 9, 9, 3, 1, 2, 2, 2},
                                   /* pixel strides that are multiples of 1 KiB (the depthwise column-group path) */
                                   {1, 7, 9, 256, 4, 3, 1, 1, 1, 1},
                                   {1, 7, 7, 512, 4, 3, 2, 1, 1, 1},
                                   {2, 5, 6, 1024, 4, 3, 1, 1, 1, 1}};
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    for (int act = 0; act < 3; act++) {
      const int* s = shapes[i];
      mna_conv2d_params p = {s[0], s[1], s[2], s[3], depthwise ? s[3] : s[4], s[5], s[5], s[6], s[6], s[7],
                             s[8], s[9], s[9], act};
      if (i == 6) p.pad_left = 0; /* asymmetric */
      int32_t oh, ow;
      if (mna_conv2d_output_shape(&p, &oh, &ow) != MNA_OK) continue;
      char shape[160];
      snprintf(shape, sizeof shape, "%s n%d %dx%dx%d oc %d k%d s%d pads %d,%d,%d,%d act %d",
               depthwise ? "dwconv" : "conv", p.batch, p.in_h, p.in_w, p.in_c, p.out_c, p.kernel_h, p.stride_h,
               p.pad_top, p.pad_left, p.pad_bottom, p.pad_right, act);
      const size_t xn = (size_t)p.batch * p.in_h * p.in_w * p.in_c;
      const size_t wn =
          depthwise ? (size_t)p.kernel_h * p.kernel_w * p.in_c : (size_t)p.out_c * p.kernel_h * p.kernel_w * p.in_c;
      const size_t yn = (size_t)p.batch * oh * ow * p.out_c;
      float *x = rand_buf(xn), *w = rand_buf(wn), *b = rand_buf((size_t)p.out_c), *want = rand_buf(yn),
            *got = rand_buf(yn);
      for (size_t k = 0; k < xn; k++) x[k] *= 3.0f;
      const float* bias = (i % 4 == 2) ? NULL : b;
      if (depthwise) {
        COMPARE(isa, want, got, yn, CHECK_OK(mna_f32_dwconv2d(&p, x, xn, w, wn, bias, (size_t)p.out_c, want, yn, NULL)),
                CHECK_OK(mna_f32_dwconv2d(&p, x, xn, w, wn, bias, (size_t)p.out_c, got, yn, pool)), shape);
      } else {
        /* S per output element: the reference conv of |x|, |w|, |b| without activation */
        float *ax = (float*)malloc(xn * sizeof(float)), *aw = (float*)malloc(wn * sizeof(float));
        float *ab = (float*)malloc((size_t)p.out_c * sizeof(float)), *bound = (float*)malloc(yn * sizeof(float));
        for (size_t k = 0; k < xn; k++) ax[k] = fabsf(x[k]);
        for (size_t k = 0; k < wn; k++) aw[k] = fabsf(w[k]);
        for (int k = 0; k < p.out_c; k++) ab[k] = bias ? fabsf(bias[k]) : 0.0f;
        mna_conv2d_params ap = p;
        ap.activation = MNA_ACT_NONE;
        CHECK_OK(mna_select_isa(MNA_ISA_REFERENCE));
        CHECK_OK(mna_f32_conv2d(&ap, ax, xn, aw, wn, ab, (size_t)p.out_c, bound, yn, NULL));
        CHECK_OK(mna_f32_conv2d(&p, x, xn, w, wn, bias, (size_t)p.out_c, want, yn, NULL));
        const double k_terms = (double)p.kernel_h * p.kernel_w * p.in_c;
        const double rel = 2.0 * (4.0 * sqrt(k_terms) + 2.0) * ldexp(1.0, -24);
        for (size_t k = 0; k < yn; k++) {
          const double by_terms = rel * (double)bound[k], by_tol = (double)TOL * (1.0 + fabs((double)want[k]));
          bound[k] = (float)(by_terms > by_tol ? by_terms : by_tol);
        }
        g_bound = bound;
        COMPARE(isa, want, got, yn, CHECK_OK(mna_f32_conv2d(&p, x, xn, w, wn, bias, (size_t)p.out_c, want, yn, NULL)),
                CHECK_OK(mna_f32_conv2d(&p, x, xn, w, wn, bias, (size_t)p.out_c, got, yn, pool)), shape);
        mna_packed* pk = NULL;
        COMPARE(
            isa, want, got, yn, (void)0,
            do {
              if (!pk) CHECK_OK(mna_f32_conv2d_pack(&p, w, wn, bias, (size_t)p.out_c, &pk));
              CHECK_OK(mna_f32_conv2d_packed(pk, &p, x, xn, got, yn, pool));
            } while (0),
            shape);
        CHECK_OK(mna_packed_destroy(pk));
        g_bound = NULL;
        free(ax), free(aw), free(ab), free(bound);
      }
      free(x), free(w), free(b), free(want), free(got);
    }
}

static void test_gavg(mna_isa isa) {
  static const int shapes[][4] = {{1, 7, 7, 1280}, {2, 3, 5, 17}, {1, 1, 1, 1}, {3, 4, 4, 70}, {1, 10, 10, 64}};
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    const int* s = shapes[i];
    char shape[64];
    snprintf(shape, sizeof shape, "gavg n%d %dx%dx%d", s[0], s[1], s[2], s[3]);
    const size_t xn = (size_t)s[0] * s[1] * s[2] * s[3], yn = (size_t)s[0] * s[3];
    float *x = rand_buf(xn), *want = rand_buf(yn), *got = rand_buf(yn);
    COMPARE(isa, want, got, yn, CHECK_OK(mna_f32_global_avgpool(s[0], s[1], s[2], s[3], x, xn, want, yn, NULL)),
            CHECK_OK(mna_f32_global_avgpool(s[0], s[1], s[2], s[3], x, xn, got, yn, pool)), shape);
    free(x), free(want), free(got);
  }
}

static void test_irb(mna_isa isa) {
  static const mna_irb_params cases[] = {
      /* n  h  w  in hid out s  pt pl pb pr  act_e act_d act_p res */
      {1, 6, 5, 4, 24, 4, 1, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 1},
      {2, 7, 7, 3, 18, 5, 2, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 0},
      {1, 8, 6, 4, 16, 6, 2, 0, 0, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 0},
      {1, 5, 5, 8, 0, 4, 1, 1, 1, 1, 1, MNA_ACT_NONE, MNA_ACT_RELU6, MNA_ACT_NONE, 0},
      {1, 28, 28, 24, 144, 24, 1, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 1},
      {1, 30, 29, 24, 144, 32, 2, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 0},
      {1, 7, 7, 160, 960, 160, 1, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 1},
      {1, 14, 14, 64, 384, 96, 1, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 0},
      {1, 32, 32, 32, 0, 16, 1, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 0},
      {2, 29, 31, 5, 33, 5, 1, 1, 1, 1, 1, MNA_ACT_RELU, MNA_ACT_NONE, MNA_ACT_RELU6, 1},
  };
  for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
    const mna_irb_params* p = &cases[ci];
    const int32_t hidden = p->hidden_c ? p->hidden_c : p->in_c;
    int32_t oh, ow;
    CHECK_OK(mna_irb_output_shape(p, &oh, &ow));
    char shape[128];
    snprintf(shape, sizeof shape, "irb case %zu: n%d %dx%dx%d hidden %d out %d s%d", ci, p->batch, p->in_h, p->in_w,
             p->in_c, p->hidden_c, p->out_c, p->stride);
    const size_t xn = (size_t)p->batch * p->in_h * p->in_w * p->in_c;
    const size_t yn = (size_t)p->batch * oh * ow * p->out_c;
    const size_t ewn = (size_t)hidden * p->in_c, dwn = (size_t)9 * hidden, pwn = (size_t)p->out_c * hidden;
    float *x = rand_buf(xn), *ew = rand_buf(ewn), *eb = rand_buf((size_t)hidden);
    float *dw = rand_buf(dwn), *db = rand_buf((size_t)hidden), *pw = rand_buf(pwn), *pb = rand_buf((size_t)p->out_c);
    float *want = rand_buf(yn), *got = rand_buf(yn);
    /* keep the sums in a range where a tolerance relative to the value is meaningful */
    for (size_t k = 0; k < ewn; k++) ew[k] *= 0.5f;
    for (size_t k = 0; k < pwn; k++) pw[k] *= 0.2f;
    COMPARE(isa, want, got, yn,
            CHECK_OK(mna_f32_irb(p, x, xn, ew, ewn, eb, (size_t)hidden, dw, dwn, db, (size_t)hidden, pw, pwn, pb,
                                 (size_t)p->out_c, want, yn, NULL)),
            CHECK_OK(mna_f32_irb(p, x, xn, ew, ewn, eb, (size_t)hidden, dw, dwn, db, (size_t)hidden, pw, pwn, pb,
                                 (size_t)p->out_c, got, yn, pool)),
            shape);
    mna_packed* pk = NULL;
    COMPARE(
        isa, want, got, yn, (void)0,
        do {
          if (!pk)
            CHECK_OK(mna_f32_irb_pack(p, ew, ewn, eb, (size_t)hidden, dw, dwn, db, (size_t)hidden, pw, pwn, pb,
                                      (size_t)p->out_c, &pk));
          CHECK_OK(mna_f32_irb_packed(pk, p, x, xn, got, yn, pool));
        } while (0),
        shape);
    CHECK_OK(mna_packed_destroy(pk));
    free(x), free(ew), free(eb), free(dw), free(db), free(pw), free(pb), free(want), free(got);
  }
}

static void test_packed_validation(void) {
  float w[12] = {0}, x[8] = {0}, y[8];
  mna_packed* pk = NULL;
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_f32_pwconv_pack(2, 3, NULL, 6, NULL, 0, &pk));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_f32_pwconv_pack(2, 3, w, 6, NULL, 0, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_pwconv_pack(0, 3, w, 6, NULL, 0, &pk));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_pwconv_pack(2, 3, w, 5, NULL, 0, &pk));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_pwconv_pack(2, 3, w, 6, w, 2, &pk));
  CHECK_OK(mna_f32_pwconv_pack(2, 3, w, 6, NULL, 0, &pk));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_f32_pwconv_packed(NULL, 1, x, 2, 0, y, 3, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_pwconv_packed(pk, 4, x, 7, 0, y, 8, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_f32_pwconv_packed(pk, 2, x, 4, 0, y, 5, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_pwconv_packed(pk, 2, x, 4, 9, y, 6, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_pwconv_packed(pk, 2, x, 4, 0, x + 1, 6, NULL));
  /* a pwconv object is not a conv2d/irb object */
  mna_conv2d_params cp = {1, 2, 2, 2, 3, 1, 1, 1, 1, 0, 0, 0, 0, 0};
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_conv2d_packed(pk, &cp, x, 8, y, 8, NULL));
  CHECK_OK(mna_packed_destroy(pk));
  CHECK_OK(mna_packed_destroy(NULL));
  /* conv2d packed with different params than it was packed for */
  CHECK_OK(mna_f32_conv2d_pack(&cp, w, 6, NULL, 0, &pk));
  mna_conv2d_params cp2 = cp;
  cp2.in_c = 1;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_f32_conv2d_packed(pk, &cp2, x, 8, y, 8, NULL));
  CHECK_OK(mna_packed_destroy(pk));
}

int main(void) {
  g_pools[0] = NULL;
  CHECK_OK(mna_threadpool_create(2, &g_pools[1]));
  CHECK_OK(mna_threadpool_create(3, &g_pools[2]));
  static const mna_isa isas[] = {MNA_ISA_REFERENCE, MNA_ISA_SCALAR, MNA_ISA_AVX2, MNA_ISA_AVX512, MNA_ISA_NEON};
  for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
    if (!mna_isa_supported(isas[i])) {
      printf("isa %s: not supported here, skipped\n", isa_name(isas[i]));
      continue;
    }
    g_isa = isa_name(isas[i]);
    const int before = g_failures;
    test_pwconv(isas[i]);
    test_conv(isas[i], 0);
    test_conv(isas[i], 1);
    test_gavg(isas[i]);
    test_irb(isas[i]);
    printf("isa %s: %s\n", g_isa, g_failures == before ? "ok" : "FAILED");
  }
  CHECK_OK(mna_select_isa(MNA_ISA_AUTO));
  test_packed_validation();
  CHECK_OK(mna_threadpool_destroy(g_pools[1]));
  CHECK_OK(mna_threadpool_destroy(g_pools[2]));
  return test_summary("test_fast");
}
