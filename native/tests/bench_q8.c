/* Native benchmark companion of the integer kernels (not a ctest): the int8 peak probe, then every layer of
 * MobileNetV2 1.0/224 (first conv, expand / depthwise / project of each block, last 1x1, fully connected) as a
 * uint8 layer with TFLite-like zero points (weights zw = 113: the per-pixel term is on), packed for each integer
 * table this CPU can run and timed alone: best-of-reps ms, GOP/s (2 ops per MAC) and % of the probe's peak.
 *   build/<rid>/tests/bench_q8 [table|all] [reps] [threads]      e.g. bench_q8 avx512vnni 20 1 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "mna.h"

double mna_peak_q8_ops(size_t iters);

typedef struct {
  const char* name;
  int kind, in_c, out_c, k, stride, h; /* input h = w */
} layer;

static int v2_layers(layer* out) {
  static const int cfg[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int n = 0, h = 112, c = 32;
  out[n++] = (layer){"conv 3x3 s2", 0, 3, 32, 3, 2, 224};
  for (int b = 0; b < 7; b++)
    for (int r = 0; r < cfg[b][2]; r++) {
      const int t = cfg[b][0], oc = cfg[b][1], s = r == 0 ? cfg[b][3] : 1, hid = c * t;
      if (t != 1) out[n++] = (layer){"expand 1x1", 0, c, hid, 1, 1, h};
      out[n++] = (layer){s == 2 ? "dw 3x3 s2" : "dw 3x3 s1", 1, hid, hid, 3, s, h};
      h = s == 2 ? h / 2 : h;
      out[n++] = (layer){"project 1x1", 0, hid, oc, 1, 1, h};
      c = oc;
    }
  out[n++] = (layer){"conv 1x1", 0, 320, 1280, 1, 1, 7};
  out[n++] = (layer){"fc", 2, 1280, 1001, 1, 1, 1};
  return n;
}

static double time_layer(const layer* l, int reps, mna_threadpool* pool, double* macs) {
  const int depthwise = l->kind == 1, fc = l->kind == 2;
  const int pad = l->k == 3 ? 1 : 0, oh = fc ? 1 : (l->h + 2 * pad - l->k) / l->stride + 1;
  mna_conv2d_params p = {1,
                         l->h,
                         l->h,
                         l->in_c,
                         l->out_c,
                         l->k,
                         l->k,
                         l->stride,
                         l->stride,
                         l->stride == 2 ? 0 : pad,
                         l->stride == 2 ? 0 : pad,
                         pad,
                         pad,
                         MNA_ACT_NONE};
  const int ow = oh;
  const size_t in_n = (size_t)l->h * l->h * l->in_c, out_n = (size_t)oh * ow * l->out_c;
  const size_t w_n = depthwise ? (size_t)9 * l->in_c : (size_t)l->out_c * l->k * l->k * l->in_c;
  uint8_t *x = malloc(in_n), *w = malloc(w_n), *y = malloc(out_n);
  int32_t* bias = malloc(sizeof(int32_t) * l->out_c);
  for (size_t i = 0; i < in_n; i++) x[i] = (uint8_t)(i * 7 + 3);
  for (size_t i = 0; i < w_n; i++) w[i] = (uint8_t)(i * 13 + 5);
  for (int i = 0; i < l->out_c; i++) bias[i] = i * 17 - 300;
  const float scale = 0.0005f;
  mna_quant_conv_params q = {3, 113, 0, 0, 255};
  mna_q8_layer ql = {l->kind, 0, 0, l->in_c, l->out_c, l->k, l->k};
  mna_q8_packed* pk = NULL;
  if (mna_q8_pack(&ql, &q, &scale, 1, w, w_n, bias, l->out_c, &pk) != MNA_OK) {
    fprintf(stderr, "pack %s: %s\n", l->name, mna_last_error());
    exit(1);
  }
  double best = 1e30;
  for (int r = 0; r < reps + 2; r++) {
    const double t0 = wall_seconds();
    mna_status s = fc ? mna_q8_fully_connected_run(pk, 1, x, in_n, y, out_n, pool)
                      : mna_q8_conv2d_run(pk, &p, 1, 1, x, in_n, y, out_n, pool);
    const double t = wall_seconds() - t0;
    if (s != MNA_OK) {
      fprintf(stderr, "run %s: %s\n", l->name, mna_last_error());
      exit(1);
    }
    if (r >= 2 && t < best) best = t;
  }
  *macs = (double)out_n * (depthwise ? 9.0 : (double)l->k * l->k * l->in_c);
  mna_q8_packed_destroy(pk);
  free(x), free(w), free(y), free(bias);
  return best;
}

int main(int argc, char** argv) {
  const char* which = argc > 1 ? argv[1] : "auto";
  const int reps = argc > 2 ? atoi(argv[2]) : 20, threads = argc > 3 ? atoi(argv[3]) : 1;
  double peak = 0;
  for (int i = 0; i < 10; i++) {
    const double t0 = wall_seconds(), ops = mna_peak_q8_ops(2000000), t = wall_seconds() - t0;
    if (ops > 0 && ops / t > peak) peak = ops / t;
  }
  printf("int8 peak probe (1 thread, %s): %.1f GOP/s (best of 10)\n",
#if defined(__x86_64__)
         "vpdpbusd zmm",
#else
         "sdot",
#endif
         peak * 1e-9);
  mna_threadpool* pool = NULL;
  if (threads > 1 && mna_threadpool_create(threads, &pool) != MNA_OK) return 1;
  layer ls[64];
  const int n = v2_layers(ls);
  for (int isa = MNA_ISA_Q8_SCALAR; isa <= MNA_ISA_Q8_NEONDOT; isa++) {
    if (!mna_q8_isa_supported((mna_isa_q8)isa)) continue;
    const char* name = mna_q8_isa_name((mna_isa_q8)isa);
    if (strcmp(which, "all") != 0 && strcmp(which, name) != 0 &&
        !(strcmp(which, "auto") == 0 && mna_q8_select_isa(MNA_ISA_Q8_AUTO) == MNA_OK &&
          mna_q8_current_isa() == (mna_isa_q8)isa))
      continue;
    mna_q8_select_isa((mna_isa_q8)isa);
    printf(
        "\n## %s, %d thread(s), best of %d\n| layer | in | cin -> cout | MMAC | ms | GOP/s | %% of peak x threads |\n"
        "|---|---|---|---|---|---|---|\n",
        name, threads, reps);
    double total = 0, total_macs = 0;
    for (int i = 0; i < n; i++) {
      double macs = 0;
      const double t = time_layer(&ls[i], reps, pool, &macs);
      total += t, total_macs += macs;
      const double gops = 2 * macs / t * 1e-9;
      printf("| %s | %dx%d | %d -> %d | %.2f | %.4f | %.1f | %.0f |\n", ls[i].name, ls[i].h, ls[i].h, ls[i].in_c,
             ls[i].out_c, macs * 1e-6, t * 1e3, gops, peak > 0 ? 100 * gops / (peak * 1e-9 * threads) : 0);
    }
    printf("| **sum of layers** | | | %.1f | **%.3f** | %.1f | %.0f |\n", total_macs * 1e-6, total * 1e3,
           2 * total_macs / total * 1e-9, peak > 0 ? 100 * (2 * total_macs / total) / (peak * threads) : 0);
  }
  mna_threadpool_destroy(pool);
  return 0;
}
