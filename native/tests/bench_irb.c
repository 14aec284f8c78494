/* Fused inverted-residual blocks: row-ring fusion against layer-by-layer, per block of
 * MobileNetV2 1.0/224 and MobileNetV1 1.0/224, at 1 and 2 threads (not a ctest).
 * The two paths are timed in alternation, call by call, in one process, so that both see the
 * same machine noise; min and median over the calls. Used to choose the path selection rule
 * in f32-irb-rowring.c; a 16 MiB buffer is read before every call so that the block's weights
 * and input come from L3, as in a network. Usage: bench_irb [reps] [prefetch|bands|block=KiB] — "bands" the
 * per-thread bands against layer by layer, "prefetch"
 * times the automatic path with the GEMM's next-block weight prefetch on against off, "block="
 * the default GEMM column-block size (A) against another (B) (links the library's objects: it sets the
 * internal mna_irb_mode_override). */
#define _POSIX_C_SOURCE 200809L
#include "bench_util.h"
#include "common/threadpool.h"
#include "common/ukernels.h"
#include "test_util.h"

/* 0: rows vs layers; 1: automatic path, next-block weight prefetch on vs off; 2: GEMM column-block bytes */
static int g_ab;
static size_t g_block_a, g_block_b;
static float* g_flush; /* read before every timed call: the block's weights come from L3, as in a network */
static const size_t g_flush_n = (size_t)16 << 20;
static volatile float g_sink;

static void flush_caches(void) {
  float s = 0;
  for (size_t i = 0; i < g_flush_n; i += 16) s += g_flush[i];
  g_sink = s;
}

static void block(int h, int ic, int hid, int oc, int s, mna_threadpool** pools, int reps) {
  const int res = s == 1 && ic == oc && hid;
  mna_irb_params p = {
      1, h, h, ic, hid, oc, s, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, hid ? MNA_ACT_NONE : MNA_ACT_RELU6, res};
  int32_t oh, ow;
  CHECK_OK(mna_irb_output_shape(&p, &oh, &ow));
  const int hd = hid ? hid : ic;
  const size_t ewn = (size_t)hd * ic, dwn = (size_t)9 * hd, pwn = (size_t)oc * hd;
  float *ew = rand_buf(ewn), *eb = rand_buf((size_t)hd), *dw = rand_buf(dwn), *db = rand_buf((size_t)hd);
  float *pw = rand_buf(pwn), *pb = rand_buf((size_t)oc);
  mna_packed* pk = NULL;
  CHECK_OK(mna_f32_irb_pack(&p, ew, ewn, eb, (size_t)hd, dw, dwn, db, (size_t)hd, pw, pwn, pb, (size_t)oc, &pk));
  const size_t xn = (size_t)h * h * ic, yn = (size_t)oh * ow * oc;
  float *x = rand_buf(xn), *y = rand_buf(yn);
  printf("irb %3dx%-3d %4d t%d -> %4d s%d", h, h, ic, hid ? hid / ic : 1, oc, s);
  for (int t = 0; t < 2; t++) {
    double* tm[2] = {(double*)malloc(sizeof(double) * (size_t)reps), (double*)malloc(sizeof(double) * (size_t)reps)};
    for (int r = -3; r < reps; r++)
      for (int m = 0; m < 2; m++) {
        if (g_ab == 0)
          mna_irb_mode_override = m == 0 ? MNA_IRB_MODE_ROWS : MNA_IRB_MODE_LAYERS;
        else if (g_ab == 3)
          mna_irb_mode_override = m == 0 ? MNA_IRB_MODE_BANDS : MNA_IRB_MODE_LAYERS;
        else if (g_ab == 1)
          mna_gemm_prefetch_next = m == 0;
        else
          mna_gemm_block_bytes = m == 0 ? g_block_a : g_block_b;
        flush_caches();
        const double t0 = wall_seconds();
        CHECK_OK(mna_f32_irb_packed(pk, &p, x, xn, y, yn, pools[t]));
        if (r >= 0) tm[m][r] = wall_seconds() - t0;
      }
    mna_irb_mode_override = MNA_IRB_MODE_AUTO;
    mna_gemm_prefetch_next = 1;
    mna_gemm_block_bytes = g_block_a;
    qsort(tm[0], (size_t)reps, sizeof(double), cmp_double);
    qsort(tm[1], (size_t)reps, sizeof(double), cmp_double);
    printf(g_ab == 3   ? " | %dt bands %.4f/%.4f layers %.4f/%.4f ms (min/med) bands/layers %.2f"
           : g_ab == 2 ? " | %dt A %.4f/%.4f B %.4f/%.4f ms (min/med) A/B %.2f"
           : g_ab == 1 ? " | %dt pf %.4f/%.4f no-pf %.4f/%.4f ms (min/med) pf/no-pf %.2f"
                       : " | %dt rows %.4f/%.4f layers %.4f/%.4f ms (min/med) rows/layers %.2f",
           t + 1, tm[0][0] * 1e3, tm[0][reps / 2] * 1e3, tm[1][0] * 1e3, tm[1][reps / 2] * 1e3,
           tm[0][reps / 2] / tm[1][reps / 2]);
    free(tm[0]), free(tm[1]);
  }
  printf("\n");
  mna_packed_destroy(pk);
  free(ew), free(eb), free(dw), free(db), free(pw), free(pb), free(x), free(y);
}

int main(int argc, char** argv) {
  const int reps = argc > 1 ? atoi(argv[1]) : 100;
  g_ab = argc > 2 && !strcmp(argv[2], "prefetch");
  if (argc > 2 && !strcmp(argv[2], "bands")) g_ab = 3; /* bands of rows per thread against layer by layer */
  g_block_a = g_block_b = mna_gemm_block_bytes;
  if (argc > 2 && !strncmp(argv[2], "block=", 6)) { /* A = the default, B = this many KiB */
    g_ab = 2;
    g_block_b = (size_t)atoi(argv[2] + 6) * 1024u;
  }
  g_flush = rand_buf(g_flush_n);
  mna_threadpool* pools[2] = {NULL, NULL};
  CHECK_OK(mna_threadpool_create(2, &pools[1]));
  printf("MobileNetV2 1.0/224 blocks\n");
  static const int v2[][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                              {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int h = 112, c = 32;
  for (int i = 0; i < 7; i++)
    for (int r = 0; r < v2[i][2]; r++) {
      const int s = r == 0 ? v2[i][3] : 1, oc = v2[i][1], hid = v2[i][0] == 1 ? 0 : c * v2[i][0];
      if (r < 2) block(h, c, hid, oc, s, pools, reps); /* repeats of a block shape: measured twice */
      h = (h + 2 - 3) / s + 1, c = oc;
    }
  printf("MobileNetV1 1.0/224 blocks (depthwise + pointwise)\n");
  static const int v1[][2] = {{64, 1},  {128, 2}, {128, 1},  {256, 2}, {256, 1},
                              {512, 2}, {512, 1}, {1024, 2}, {1024, 1}};
  h = 112, c = 32;
  for (int i = 0; i < 9; i++) {
    block(h, c, 0, v1[i][0], v1[i][1], pools, reps);
    h = (h + 2 - 3) / v1[i][1] + 1, c = v1[i][0];
  }
  CHECK_OK(mna_threadpool_destroy(pools[1]));
  free(g_flush);
  return test_summary("bench_irb");
}
