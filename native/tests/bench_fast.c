/* Quick native benchmark (not a ctest): FMA peak probe, MobileNet V1/V2 1.0/224 layer
 * shapes and whole networks (random weights) through the packed API, fused vs unfused,
 * at 1 and 2 threads. Usage: bench_fast [isa(auto|scalar|avx2|avx512|neon)] [reps] [0|1 per layer|2 kernels only|3 per layer at 1 and 2 threads|4 A/B of a switch at 2 threads [bands|affine|multirow] [threads 1|2]]
 * The BenchmarkDotNet project in perf/ is the reported benchmark; this is the profiler's
 * companion (per-layer times against the peak). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <time.h>

#include "bench_util.h"
#include "common/threadpool.h"
#include "common/ukernels.h"
#include "test_util.h"

/* MNA_BENCH_CPUTIME=1: thread CPU time instead of wall time (only meaningful at 1 thread; a
 * loaded machine then still shows each run's cost, without the time spent preempted). */
static double now_s(void) {
  static int cpu = -1;
  if (cpu < 0) cpu = getenv("MNA_BENCH_CPUTIME") && atoi(getenv("MNA_BENCH_CPUTIME")) == 1;
  return clock_seconds(cpu ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC);
}

double mna_peak_fma_flops(size_t iters);
double mna_peak_fma_flops_avx2(size_t iters);
static double (*g_peak)(size_t) = mna_peak_fma_flops;

static void* peak_thread(void* arg) {
  (void)arg;
  (void)g_peak(2000000);
  return NULL;
}

typedef struct {
  int kind; /* 0 conv, 1 irb, 2 pwconv, 3 gavg, 4 dw (unfused), 5 add */
  mna_conv2d_params cp;
  mna_irb_params ip;
  mna_packed* pk;
  int64_t pixels;
  int act;
  float *w, *b; /* unpacked dw weights */
  size_t in_n, out_n;
  double macs;
  char name[64];
} layer;

#define MAXL 80
static layer L[MAXL];
static int nl;
static float *bufA, *bufB, *bufC;

static void add_conv(int h, int w, int ic, int oc, int s) {
  layer* l = &L[nl++];
  memset(l, 0, sizeof *l);
  l->kind = 0;
  mna_conv2d_params p = {1, h, w, ic, oc, 3, 3, s, s, 1, 1, 1, 1, MNA_ACT_RELU6};
  l->cp = p;
  int32_t oh, ow;
  mna_conv2d_output_shape(&p, &oh, &ow);
  size_t wn = (size_t)oc * 9 * ic;
  float *wt = rand_buf(wn), *b = rand_buf((size_t)oc);
  for (size_t i = 0; i < wn; i++) wt[i] *= 0.2f;
  CHECK_OK(mna_f32_conv2d_pack(&p, wt, wn, b, (size_t)oc, &l->pk));
  free(wt), free(b);
  l->in_n = (size_t)h * w * ic, l->out_n = (size_t)oh * ow * oc;
  l->macs = (double)oh * ow * oc * 9 * ic;
  snprintf(l->name, sizeof l->name, "conv3x3s%d %dx%dx%d->%d", s, h, w, ic, oc);
}

static void add_pw(int px, int ic, int oc, int act, const char* what) {
  layer* l = &L[nl++];
  memset(l, 0, sizeof *l);
  l->kind = 2;
  l->pixels = px, l->act = act;
  size_t wn = (size_t)oc * ic;
  float *wt = rand_buf(wn), *b = rand_buf((size_t)oc);
  for (size_t i = 0; i < wn; i++) wt[i] *= 0.1f;
  CHECK_OK(mna_f32_pwconv_pack(ic, oc, wt, wn, b, (size_t)oc, &l->pk));
  free(wt), free(b);
  l->in_n = (size_t)px * ic, l->out_n = (size_t)px * oc;
  l->macs = (double)px * ic * oc;
  snprintf(l->name, sizeof l->name, "%s %d px %d->%d", what, px, ic, oc);
}

static void add_dw(int h, int w, int c, int s) {
  layer* l = &L[nl++];
  memset(l, 0, sizeof *l);
  l->kind = 4;
  mna_conv2d_params p = {1, h, w, c, c, 3, 3, s, s, 1, 1, 1, 1, MNA_ACT_RELU6};
  l->cp = p;
  int32_t oh, ow;
  mna_conv2d_output_shape(&p, &oh, &ow);
  l->w = rand_buf((size_t)9 * c), l->b = rand_buf((size_t)c);
  l->in_n = (size_t)h * w * c, l->out_n = (size_t)oh * ow * c;
  l->macs = (double)oh * ow * c * 9;
  snprintf(l->name, sizeof l->name, "dw3x3s%d %dx%dx%d", s, h, w, c);
}

static void add_irb(int h, int w, int ic, int hid, int oc, int s, int res, int pact) {
  layer* l = &L[nl++];
  memset(l, 0, sizeof *l);
  l->kind = 1;
  mna_irb_params p = {1, h, w, ic, hid, oc, s, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, pact, res};
  l->ip = p;
  int32_t oh, ow;
  mna_irb_output_shape(&p, &oh, &ow);
  const int hd = hid ? hid : ic;
  size_t ewn = (size_t)hd * ic, dwn = (size_t)9 * hd, pwn = (size_t)oc * hd;
  float *ew = rand_buf(ewn), *eb = rand_buf((size_t)hd), *dw = rand_buf(dwn), *db = rand_buf((size_t)hd);
  float *pw = rand_buf(pwn), *pb = rand_buf((size_t)oc);
  for (size_t i = 0; i < ewn; i++) ew[i] *= 0.2f;
  for (size_t i = 0; i < pwn; i++) pw[i] *= 0.05f;
  CHECK_OK(mna_f32_irb_pack(&p, ew, ewn, eb, (size_t)hd, dw, dwn, db, (size_t)hd, pw, pwn, pb, (size_t)oc, &l->pk));
  free(ew), free(eb), free(dw), free(db), free(pw), free(pb);
  l->in_n = (size_t)h * w * ic, l->out_n = (size_t)oh * ow * oc;
  l->macs = (double)(hid ? (double)h * w * ic * hid : 0) + (double)oh * ow * hd * 9 + (double)oh * ow * hd * oc;
  snprintf(l->name, sizeof l->name, "irb %dx%dx%d t%d ->%d s%d%s", h, w, ic, hid ? hid / ic : 1, oc, s,
           res ? " +res" : "");
}

static void add_gavg(int h, int w, int c) {
  layer* l = &L[nl++];
  memset(l, 0, sizeof *l);
  l->kind = 3;
  l->cp.in_h = h, l->cp.in_w = w, l->cp.in_c = c;
  l->in_n = (size_t)h * w * c, l->out_n = (size_t)c;
  l->macs = 0;
  snprintf(l->name, sizeof l->name, "gavgpool %dx%dx%d", h, w, c);
}

static void build_v2(int fused) {
  nl = 0;
  add_conv(224, 224, 3, 32, 2);
  static const int cfg[][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                               {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int h = 112, c = 32;
  for (int i = 0; i < 7; i++)
    for (int r = 0; r < cfg[i][2]; r++) {
      const int s = r == 0 ? cfg[i][3] : 1, oc = cfg[i][1], hid = cfg[i][0] == 1 ? 0 : c * cfg[i][0];
      const int oh = (h + 2 - 3) / s + 1;
      if (fused) {
        add_irb(h, h, c, hid, oc, s, s == 1 && c == oc, MNA_ACT_NONE);
      } else {
        if (hid) add_pw(h * h, c, hid, MNA_ACT_RELU6, "expand");
        add_dw(h, h, hid ? hid : c, s);
        add_pw(oh * oh, hid ? hid : c, oc, MNA_ACT_NONE, "project");
        if (s == 1 && c == oc) {
          layer* l = &L[nl++];
          memset(l, 0, sizeof *l);
          l->kind = 5, l->in_n = l->out_n = (size_t)oh * oh * oc;
          snprintf(l->name, sizeof l->name, "add %d", oh * oh * oc);
        }
      }
      h = oh, c = oc;
    }
  add_pw(49, 320, 1280, MNA_ACT_RELU6, "last 1x1");
  add_gavg(7, 7, 1280);
  add_pw(1, 1280, 1000, MNA_ACT_NONE, "fc");
}

static void build_v1(int fused) {
  nl = 0;
  add_conv(224, 224, 3, 32, 2);
  static const int cfg[][2] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1},  {512, 2}, {512, 1},
                               {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  int h = 112, c = 32;
  for (int i = 0; i < 13; i++) {
    const int s = cfg[i][1], oc = cfg[i][0], oh = (h + 2 - 3) / s + 1;
    if (fused) {
      add_irb(h, h, c, 0, oc, s, 0, MNA_ACT_RELU6);
    } else {
      add_dw(h, h, c, s);
      add_pw(oh * oh, c, oc, MNA_ACT_RELU6, "pw");
    }
    h = oh, c = oc;
  }
  add_gavg(7, 7, 1024);
  add_pw(1, 1024, 1000, MNA_ACT_NONE, "fc");
}

static void run_layer(layer* l, const float* in, float* out, const float* res, mna_threadpool* pool) {
  switch (l->kind) {
    case 0: CHECK_OK(mna_f32_conv2d_packed(l->pk, &l->cp, in, l->in_n, out, l->out_n, pool)); break;
    case 1: CHECK_OK(mna_f32_irb_packed(l->pk, &l->ip, in, l->in_n, out, l->out_n, pool)); break;
    case 2: CHECK_OK(mna_f32_pwconv_packed(l->pk, l->pixels, in, l->in_n, l->act, out, l->out_n, pool)); break;
    case 3:
      CHECK_OK(mna_f32_global_avgpool(1, l->cp.in_h, l->cp.in_w, l->cp.in_c, in, l->in_n, out, l->out_n, pool));
      break;
    case 4:
      CHECK_OK(mna_f32_dwconv2d(&l->cp, in, l->in_n, l->w, (size_t)9 * l->cp.in_c, l->b, (size_t)l->cp.in_c, out,
                                l->out_n, pool));
      break;
    case 5: CHECK_OK(mna_f32_add((int64_t)l->out_n, in, l->in_n, res, l->out_n, MNA_ACT_NONE, out, l->out_n)); break;
  }
}

static double net_once(mna_threadpool* pool, double* lt, int reps, int r, int per_layer);

/* Whole network: ping-pong between buffers; returns ms per run (min, median), per-layer ms (median). */
static void run_net(const char* name, mna_threadpool* pool, int reps, int per_layer) {
  double* t = (double*)malloc(sizeof(double) * reps);
  double* lt = (double*)calloc((size_t)nl * reps, sizeof(double));
  double macs = 0;
  for (int i = 0; i < nl; i++) macs += L[i].macs;
  for (int r = -3; r < reps; r++) {
    const double dt = net_once(pool, lt, reps, r, per_layer);
    if (r >= 0) t[r] = dt;
  }
  qsort(t, (size_t)reps, sizeof(double), cmp_double);
  printf("%-28s threads %d: min %.3f ms  median %.3f ms  (%.1f GFLOP/s at median, %.0f MMAC)\n", name,
         mna_threadpool_threads(pool), t[0] * 1e3, t[reps / 2] * 1e3, 2 * macs / t[reps / 2] * 1e-9, macs * 1e-6);
  if (per_layer)
    for (int i = 0; i < nl; i++) {
      qsort(lt + (size_t)i * reps, (size_t)reps, sizeof(double), cmp_double);
      const double m = lt[(size_t)i * reps + reps / 2], mn = lt[(size_t)i * reps];
      printf("   %-36s median %8.4f ms %7.1f GFLOP/s | min %8.4f ms %7.1f GFLOP/s\n", L[i].name, m * 1e3,
             m > 0 ? 2 * L[i].macs / m * 1e-9 : 0, mn * 1e3, mn > 0 ? 2 * L[i].macs / mn * 1e-9 : 0);
    }
  free(t), free(lt);
}

static void free_net(void) {
  for (int i = 0; i < nl; i++) {
    mna_packed_destroy(L[i].pk);
    free(L[i].w), free(L[i].b);
  }
}

/* One run of the network in L[]; per-layer times into lt[i * reps + r] when per_layer and r >= 0. */
static double net_once(mna_threadpool* pool, double* lt, int reps, int r, int per_layer) {
  const double t0 = now_s();
  float *in = bufA, *out = bufB, *blockin = bufA;
  for (int i = 0; i < nl; i++) {
    const double l0 = per_layer ? now_s() : 0;
    if (L[i].kind == 5) {
      run_layer(&L[i], in, out, blockin, pool);
    } else {
      if (L[i].kind == 2 && i + 1 < nl && L[i].act == MNA_ACT_RELU6 && L[i + 1].kind == 4) blockin = in;
      if (L[i].kind == 4 && !(i > 0 && L[i - 1].kind == 2 && L[i - 1].act == MNA_ACT_RELU6)) blockin = in;
      run_layer(&L[i], in, out, NULL, pool);
    }
    if (per_layer && r >= 0) lt[(size_t)i * reps + r] = now_s() - l0;
    /* rotate among three buffers so a residual input stays intact */
    float* spare = (in != bufC && out != bufC) ? bufC : (in != bufB && out != bufB) ? bufB : bufA;
    if (spare == blockin) spare = in;
    in = out, out = spare;
  }
  return now_s() - t0;
}

/* The automatic fused-block path with the per-thread bands (A) against without (B), network run by
 * network run in alternation, so both see the same machine. */
static int* g_ab_switch = &mna_irb_bands; /* mode 4: the switch turned on (A) and off (B) */

static void ab_bands(const char* name, mna_threadpool* pool, int reps) {
  double* t[2] = {(double*)malloc(sizeof(double) * reps), (double*)malloc(sizeof(double) * reps)};
  double* lt[2] = {(double*)calloc((size_t)nl * reps, sizeof(double)),
                   (double*)calloc((size_t)nl * reps, sizeof(double))};
  for (int r = -3; r < reps; r++)
    for (int m = 0; m < 2; m++) {
      *g_ab_switch = m == 0;
      const double dt = net_once(pool, lt[m], reps, r, 1);
      if (r >= 0) t[m][r] = dt;
    }
  *g_ab_switch = 1;
  qsort(t[0], (size_t)reps, sizeof(double), cmp_double);
  qsort(t[1], (size_t)reps, sizeof(double), cmp_double);
  printf("%-28s threads %d: on min %.3f median %.3f ms | off min %.3f median %.3f ms | on/off %.3f\n", name,
         mna_threadpool_threads(pool), t[0][0] * 1e3, t[0][reps / 2] * 1e3, t[1][0] * 1e3, t[1][reps / 2] * 1e3,
         t[0][reps / 2] / t[1][reps / 2]);
  for (int i = 0; i < nl; i++) {
    qsort(lt[0] + (size_t)i * reps, (size_t)reps, sizeof(double), cmp_double);
    qsort(lt[1] + (size_t)i * reps, (size_t)reps, sizeof(double), cmp_double);
    const double a = lt[0][(size_t)i * reps + reps / 2], b = lt[1][(size_t)i * reps + reps / 2];
    printf("   %-36s median on %8.4f ms, off %8.4f ms  %.2f\n", L[i].name, a * 1e3, b * 1e3, b > 0 ? a / b : 0);
  }
  free(t[0]), free(t[1]), free(lt[0]), free(lt[1]);
}

/* Microkernels in isolation: best of many calls, warm caches, 1 thread. */
static void bench_kernels(void) {
  static const int gemm[][3] = {{196, 576, 96},  {49, 960, 160}, {49, 160, 960},  {784, 192, 32},
                                {196, 512, 512}, {784, 32, 192}, {3136, 24, 144}, {12544, 32, 16}};
  for (size_t s = 0; s < sizeof gemm / sizeof gemm[0]; s++) {
    const int m = gemm[s][0], k = gemm[s][1], n = gemm[s][2];
    float *a = rand_buf((size_t)m * k), *w = rand_buf((size_t)n * k), *c = rand_buf((size_t)m * n);
    mna_packed* pk = NULL;
    CHECK_OK(mna_f32_pwconv_pack(k, n, w, (size_t)n * k, NULL, 0, &pk));
    double best = 1e9;
    const int reps = (int)(2e8 / ((double)m * n * k)) + 5;
    for (int r = 0; r < reps; r++) {
      const double t0 = now_s();
      CHECK_OK(mna_f32_pwconv_packed(pk, m, a, (size_t)m * k, MNA_ACT_RELU6, c, (size_t)m * n, NULL));
      const double t = now_s() - t0;
      if (t < best) best = t;
    }
    printf("gemm %5d x %4d -> %4d: %.4f ms %6.1f GFLOP/s\n", m, k, n, best * 1e3, 2.0 * m * n * k / best * 1e-9);
    mna_packed_destroy(pk);
    free(a), free(w), free(c);
  }
  { /* the first layer: 3x3 stride-2 conv over the RGB image */
    mna_conv2d_params p = {1, 224, 224, 3, 32, 3, 3, 2, 2, 0, 0, 1, 1, MNA_ACT_RELU6};
    const size_t xn = (size_t)224 * 224 * 3, yn = (size_t)112 * 112 * 32, wn = (size_t)32 * 27;
    float *x = rand_buf(xn), *w = rand_buf(wn), *b = rand_buf(32), *y = rand_buf(yn);
    mna_packed* pk = NULL;
    CHECK_OK(mna_f32_conv2d_pack(&p, w, wn, b, 32, &pk));
    double best = 1e9;
    for (int r = 0; r < 100; r++) {
      const double t0 = now_s();
      CHECK_OK(mna_f32_conv2d_packed(pk, &p, x, xn, y, yn, NULL));
      const double t = now_s() - t0;
      if (t < best) best = t;
    }
    printf("conv3x3 s2 224x224x3 -> 32: %.4f ms %6.1f GFLOP/s\n", best * 1e3, 2.0 * yn * 27 / best * 1e-9);
    mna_packed_destroy(pk);
    free(x), free(w), free(b), free(y);
  }
  static const int dw[][3] = {{112, 32, 1}, {112, 96, 2}, {56, 144, 1}, {28, 192, 1},
                              {14, 384, 1}, {14, 576, 1}, {7, 960, 1}};
  for (size_t s = 0; s < sizeof dw / sizeof dw[0]; s++) {
    const int h = dw[s][0], c = dw[s][1], st = dw[s][2], oh = (h + 2 - 3) / st + 1;
    mna_conv2d_params p = {1, h, h, c, c, 3, 3, st, st, 1, 1, 1, 1, MNA_ACT_RELU6};
    const size_t xn = (size_t)h * h * c, yn = (size_t)oh * oh * c;
    float *x = rand_buf(xn), *w = rand_buf((size_t)9 * c), *b = rand_buf((size_t)c), *y = rand_buf(yn);
    double best = 1e9;
    for (int r = 0; r < 100; r++) {
      const double t0 = now_s();
      CHECK_OK(mna_f32_dwconv2d(&p, x, xn, w, (size_t)9 * c, b, (size_t)c, y, yn, NULL));
      const double t = now_s() - t0;
      if (t < best) best = t;
    }
    printf("dw3x3 s%d %3dx%3dx%4d: %.4f ms %6.1f GFLOP/s\n", st, h, h, c, best * 1e3, 2.0 * yn * 9 / best * 1e-9);
    free(x), free(w), free(b), free(y);
  }
}

int main(int argc, char** argv) {
  mna_isa isa = MNA_ISA_AUTO;
  if (argc > 1) {
    static const char* names[] = {"auto", "reference", "scalar", "avx2", "avx512", "neon"};
    for (int i = 0; i < 6; i++)
      if (!strcmp(argv[1], names[i])) isa = (mna_isa)i;
  }
  const int reps = argc > 2 ? atoi(argv[2]) : 50;
  const int per_layer = argc > 3 ? atoi(argv[3]) : 0;
  CHECK_OK(mna_select_isa(isa));
  printf("isa %s, cpu: %s\n", isa_name(mna_current_isa()), mna_cpu_features_string());
  const int avx2_only = !mna_isa_supported(MNA_ISA_AVX512) && mna_isa_supported(MNA_ISA_AVX2);
  if (avx2_only) g_peak = mna_peak_fma_flops_avx2;
  if (mna_isa_supported(MNA_ISA_AVX512) || mna_isa_supported(MNA_ISA_NEON) || avx2_only) {
    double best = 0;
    for (int i = 0; i < 20; i++) {
      const double t0 = now_s();
      const double f = g_peak(2000000);
      const double g = f / (now_s() - t0) * 1e-9;
      if (g > best) best = g;
    }
    printf("peak probe (1 thread, %s FMA): %.1f GFLOP/s (best of 20)\n",
           mna_isa_supported(MNA_ISA_AVX512) ? "avx512"
           : avx2_only                       ? "avx2"
                                             : "neon",
           best);
    /* both cores at once: on a shared virtual machine the second vCPU is not always there */
    double best2 = 0, worst2 = 1e30;
    for (int i = 0; i < 10; i++) {
      pthread_t th;
      const double t0 = wall_seconds();
      CHECK(pthread_create(&th, NULL, peak_thread, NULL) == 0);
      const double f = g_peak(2000000);
      pthread_join(th, NULL);
      const double g = 2 * f / (wall_seconds() - t0) * 1e-9;
      if (g > best2) best2 = g;
      if (g < worst2) worst2 = g;
    }
    printf("peak probe (2 threads together): best %.1f, worst %.1f GFLOP/s in total (10 runs)\n", best2, worst2);
  }
  if (per_layer == 2) {
    bench_kernels();
    return test_summary("bench_fast");
  }
  const size_t big = (size_t)112 * 112 * 96 * 2;
  bufA = rand_buf(big), bufB = rand_buf(big), bufC = rand_buf(big);
  mna_threadpool* pools[2] = {NULL, NULL};
  CHECK_OK(mna_threadpool_create(2, &pools[1]));
  if (per_layer == 4) { /* A/B of a switch (argv[4]: bands, the default, or affine), fused networks at 2 threads */
    if (argc > 4 && !strcmp(argv[4], "affine")) g_ab_switch = &mna_pool_affine;
    if (argc > 4 && !strcmp(argv[4], "multirow")) g_ab_switch = &mna_irb_multirow;
    mna_threadpool* ab_pool = argc > 5 && atoi(argv[5]) == 1 ? NULL : pools[1]; /* argv[5]: 1 thread */
    build_v2(1);
    ab_bands("MobileNetV2 fused", ab_pool, reps);
    free_net();
    build_v1(1);
    ab_bands("MobileNetV1 dw+pw fused", ab_pool, reps);
    free_net();
    mna_threadpool_destroy(pools[1]);
    free(bufA), free(bufB), free(bufC);
    return test_summary("bench_fast");
  }
  for (int fused = 1; fused >= 0; fused--) {
    build_v2(fused);
    for (int p = 0; p < 2; p++)
      run_net(fused ? "MobileNetV2 fused" : "MobileNetV2 unfused", pools[p], reps,
              per_layer && (p == 0 || per_layer == 3));
    free_net();
  }
  for (int fused = 1; fused >= 0; fused--) {
    build_v1(fused);
    for (int p = 0; p < 2; p++)
      run_net(fused ? "MobileNetV1 dw+pw fused" : "MobileNetV1 unfused", pools[p], reps,
              per_layer && (p == 0 || per_layer == 3));
    free_net();
  }
  mna_threadpool_destroy(pools[1]);
  free(bufA), free(bufB), free(bufC);
  return test_summary("bench_fast");
}
