/* The fast integer kernels against the scalar reference, byte for byte: every integer table this CPU can run
 * (the public list: mna_q8_isa_supported over every mna_isa_q8), pools of 1, 2 and 3 threads, shape tables of
 * channels that do and do not fill a tile, K not a multiple of 4, strides, asymmetric pads, dilation, uint8 and
 * int8, zero points at the ends of the range, weights that force the per-pixel term (uint8 zw = 113 and full-range
 * weights) and weights of -128 / 255, full-range inputs. A failure prints every parameter. */
#include "test_util.h"

static uint32_t rnd(void) { /* the LCG of test_util.h, as integers */
  g_rng = g_rng * 1664525u + 1013904223u;
  return g_rng >> 8;
}
static void fill(uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rnd();
}

static mna_threadpool* g_pools[3];
static int g_cases = 0;

typedef struct {
  int kind, sgn, in_c, out_c, kh, kw, stride, pt, pl, pb, pr, dil, h, w, batch, per_channel;
  int zx, zw, zy, wide_w, relu;
} q8_case;

static void print_case(const char* what, mna_isa_q8 isa, int threads, const q8_case* c) {
  fprintf(stderr,
          "%s: isa %s threads %d kind %d sgn %d in_c %d out_c %d k %dx%d s %d pads %d,%d,%d,%d dil %d in %dx%dx%d "
          "per_channel %d zx %d zw %d zy %d wide_w %d relu %d\n",
          what, mna_q8_isa_name(isa), threads, c->kind, c->sgn, c->in_c, c->out_c, c->kh, c->kw, c->stride, c->pt,
          c->pl, c->pb, c->pr, c->dil, c->batch, c->h, c->w, c->per_channel, c->zx, c->zw, c->zy, c->wide_w, c->relu);
}

static void run_case(const q8_case* c) {
  const int sgn = c->sgn, lo = sgn ? -128 : 0, hi = sgn ? 127 : 255;
  const int depthwise = c->kind == 1, fc = c->kind == 2;
  const int out_c = depthwise ? c->in_c : c->out_c;
  mna_conv2d_params p = {c->batch,  c->h,      c->w,  c->in_c, out_c, c->kh, c->kw,
                         c->stride, c->stride, c->pt, c->pl,   c->pb, c->pr, MNA_ACT_NONE};
  int32_t oh = 1, ow = 1;
  if (!fc) {
    const int ekh = (c->kh - 1) * c->dil + 1, ekw = (c->kw - 1) * c->dil + 1;
    oh = (c->h + c->pt + c->pb - ekh) / c->stride + 1;
    ow = (c->w + c->pl + c->pr - ekw) / c->stride + 1;
  }
  const size_t in_n = fc ? (size_t)c->batch * c->in_c : (size_t)c->batch * c->h * c->w * c->in_c;
  const size_t w_n = depthwise ? (size_t)c->kh * c->kw * c->in_c : (size_t)out_c * c->kh * c->kw * c->in_c;
  const size_t out_n = fc ? (size_t)c->batch * out_c : (size_t)c->batch * oh * ow * out_c;
  uint8_t* x = malloc(in_n);
  uint8_t* wt = malloc(w_n);
  int32_t* bias = malloc(sizeof(int32_t) * out_c);
  float* scales = malloc(sizeof(float) * out_c);
  uint8_t* ref = malloc(out_n);
  uint8_t* got = malloc(out_n);
  fill(x, in_n);
  fill(wt, w_n);
  if (!c->wide_w) /* weights close to zw: w - zw fits int8 (no per-pixel term) */
    for (size_t i = 0; i < w_n; i++) wt[i] = (uint8_t)(c->zw + (int)(rnd() % 200) - 100);
  wt[0] = sgn ? 0x80 : 255; /* the extreme weight */
  const int taps = c->kh * c->kw * (depthwise ? 1 : c->in_c);
  for (int i = 0; i < out_c; i++) {
    bias[i] = (int32_t)(rnd() % 20001) - 10000;
    /* scales that map the accumulator range onto a few hundred quanta: outputs land inside and beyond the clamp */
    scales[i] = (c->per_channel || i == 0) ? 1.0f / (40.0f * (float)(1 + taps) * (1.0f + (float)(rnd() % 100) / 50.f))
                                           : scales[0];
  }
  mna_quant_conv_params q = {c->zx, c->zw, c->zy, c->relu ? (c->zy > lo ? c->zy : lo) : lo, c->relu ? hi - 7 : hi};
  const size_t scales_len = c->per_channel ? (size_t)out_c : 1;
  mna_q8_layer layer = {c->kind, sgn, sgn, c->in_c, out_c, c->kh, c->kw};

  /* the reference: the unpacked reference entry points, or the packed reference table for dilation */
  if (c->dil == 1) {
    if (fc)
      CHECK_OK(sgn ? mna_qs8_fully_connected(c->batch, c->in_c, out_c, &q, scales, scales_len, (int8_t*)x, in_n,
                                             (int8_t*)wt, w_n, bias, out_c, (int8_t*)ref, out_n, NULL)
                   : mna_qu8_fully_connected(c->batch, c->in_c, out_c, &q, scales, scales_len, x, in_n, wt, w_n, bias,
                                             out_c, ref, out_n, NULL));
    else if (depthwise)
      CHECK_OK(sgn ? mna_qs8_dwconv2d(&p, &q, scales, scales_len, (int8_t*)x, in_n, (int8_t*)wt, w_n, bias, out_c,
                                      (int8_t*)ref, out_n, NULL)
                   : mna_qu8_dwconv2d(&p, &q, scales, scales_len, x, in_n, wt, w_n, bias, out_c, ref, out_n, NULL));
    else
      CHECK_OK(sgn ? mna_qs8_conv2d(&p, &q, scales, scales_len, (int8_t*)x, in_n, (int8_t*)wt, w_n, bias, out_c,
                                    (int8_t*)ref, out_n, NULL)
                   : mna_qu8_conv2d(&p, &q, scales, scales_len, x, in_n, wt, w_n, bias, out_c, ref, out_n, NULL));
  } else {
    mna_q8_packed* rp = NULL;
    CHECK_OK(mna_q8_select_isa(MNA_ISA_Q8_REFERENCE));
    CHECK_OK(mna_q8_pack(&layer, &q, scales, scales_len, wt, w_n, bias, out_c, &rp));
    CHECK(mna_q8_packed_isa(rp) == MNA_ISA_Q8_REFERENCE);
    CHECK_OK(mna_q8_conv2d_run(rp, &p, c->dil, c->dil, x, in_n, ref, out_n, NULL));
    mna_q8_packed_destroy(rp);
  }

  for (int isa = MNA_ISA_Q8_SCALAR; isa <= MNA_ISA_Q8_NEONDOT; isa++) {
    if (!mna_q8_isa_supported((mna_isa_q8)isa)) continue;
    CHECK_OK(mna_q8_select_isa((mna_isa_q8)isa));
    mna_q8_packed* pk = NULL;
    CHECK_OK(mna_q8_pack(&layer, &q, scales, scales_len, wt, w_n, bias, out_c, &pk));
    if (!pk) continue;
    if (mna_q8_packed_isa(pk) != (mna_isa_q8)isa) {
      print_case("packed for another table", (mna_isa_q8)isa, 0, c);
      CHECK(0);
    }
    for (int t = 0; t < 3; t++) {
      memset(got, 0xA5, out_n);
      if (fc)
        CHECK_OK(mna_q8_fully_connected_run(pk, c->batch, x, in_n, got, out_n, g_pools[t]));
      else
        CHECK_OK(mna_q8_conv2d_run(pk, &p, c->dil, c->dil, x, in_n, got, out_n, g_pools[t]));
      size_t bad = 0, first = 0;
      for (size_t i = 0; i < out_n; i++)
        if (got[i] != ref[i] && bad++ == 0) first = i;
      g_cases++;
      if (bad) {
        print_case("MISMATCH", (mna_isa_q8)isa, t + 1, c);
        fprintf(stderr, "  %zu of %zu bytes differ; first at %zu: got %d, reference %d\n", bad, out_n, first,
                got[first], ref[first]);
        CHECK(0);
      }
    }
    mna_q8_packed_destroy(pk);
  }
  CHECK_OK(mna_q8_select_isa(MNA_ISA_Q8_AUTO));
  free(x), free(wt), free(bias), free(scales), free(ref), free(got);
}

static void conv_tables(void) {
  static const int chans[] = {1, 3, 4, 7, 8, 16, 17, 33, 96};
  for (int sgn = 0; sgn < 2; sgn++) {
    const int zx_list[] = {sgn ? -128 : 0, sgn ? 5 : 128, sgn ? 127 : 255};
    /* 1x1 (the GEMM on the input), all channel pairs, both weight regimes */
    for (size_t i = 0; i < sizeof chans / sizeof chans[0]; i++)
      for (size_t o = 0; o < sizeof chans / sizeof chans[0]; o += 2)
        for (int wide = 0; wide < 2; wide++) {
          q8_case c = {0,
                       sgn,
                       chans[i],
                       chans[o] + (int)i,
                       1,
                       1,
                       1,
                       0,
                       0,
                       0,
                       0,
                       1,
                       3 + (int)o,
                       5,
                       1 + (int)(i % 2),
                       sgn && (i % 2),
                       zx_list[(i + o) % 3],
                       sgn ? (wide ? 3 : 0) : (wide ? 113 : 128),
                       sgn ? -3 : 7,
                       wide,
                       (int)(o % 2)};
          if (sgn && c.per_channel) c.zw = 0;
          run_case(&c);
        }
    /* fully connected, batch 1 and 3, K not a multiple of 4, columns past one panel */
    const int fcs[][2] = {{1, 1}, {5, 3}, {64, 33}, {130, 70}, {1280, 41}};
    for (size_t f = 0; f < sizeof fcs / sizeof fcs[0]; f++)
      for (int batch = 1; batch <= 3; batch += 2) {
        q8_case c = {2,
                     sgn,
                     fcs[f][0],
                     fcs[f][1],
                     1,
                     1,
                     1,
                     0,
                     0,
                     0,
                     0,
                     1,
                     1,
                     1,
                     batch,
                     sgn,
                     zx_list[f % 3],
                     sgn ? 0 : 113,
                     sgn ? 2 : 60,
                     1,
                     0};
        run_case(&c);
      }
    /* KxK (im2col): the first layer (3x3 s2 on 3 channels), odd sizes, asymmetric pads, 1x1 stride 2, dilation */
    const int kk[][8] = {{3, 3, 2, 0, 0, 1, 1, 1}, {3, 3, 1, 1, 1, 1, 1, 1}, {3, 3, 2, 1, 0, 0, 1, 1},
                         {1, 1, 2, 0, 0, 0, 0, 1}, {5, 3, 1, 2, 1, 2, 1, 1}, {3, 3, 1, 2, 2, 2, 2, 2}};
    const int kc[] = {3, 5, 16};
    for (size_t s = 0; s < sizeof kk / sizeof kk[0]; s++)
      for (size_t ci = 0; ci < 3; ci++) {
        q8_case c = {0,
                     sgn,
                     kc[ci],
                     8 + 13 * (int)ci,
                     kk[s][0],
                     kk[s][1],
                     kk[s][2],
                     kk[s][3],
                     kk[s][4],
                     kk[s][5],
                     kk[s][6],
                     kk[s][7],
                     7 + (int)s,
                     9 - (int)ci,
                     1 + (int)(s % 2),
                     sgn && (ci % 2),
                     zx_list[s % 3],
                     sgn ? 0 : 113,
                     sgn ? 0 : 128,
                     (int)(ci != 1),
                     (int)(s % 2)};
        run_case(&c);
      }
    /* depthwise: 3x3 s1/s2 (MobileNet), odd channel counts, pads, dilation 2 and 4 (DeepLab), 5x5 */
    const int dws[][8] = {{3, 3, 1, 1, 1, 1, 1, 1}, {3, 3, 2, 0, 0, 1, 1, 1}, {3, 3, 2, 1, 1, 1, 1, 1},
                          {3, 3, 1, 2, 2, 2, 2, 2}, {3, 3, 1, 4, 4, 4, 4, 4}, {5, 5, 1, 2, 2, 2, 2, 1}};
    const int dc[] = {1, 8, 16, 17, 40, 144};
    for (size_t s = 0; s < sizeof dws / sizeof dws[0]; s++)
      for (size_t ci = 0; ci < sizeof dc / sizeof dc[0]; ci++) {
        q8_case c = {1,
                     sgn,
                     dc[ci],
                     dc[ci],
                     dws[s][0],
                     dws[s][1],
                     dws[s][2],
                     dws[s][3],
                     dws[s][4],
                     dws[s][5],
                     dws[s][6],
                     dws[s][7],
                     6 + (int)s,
                     11 - (int)ci,
                     1 + (int)(ci % 2),
                     sgn && (ci % 2),
                     zx_list[(s + ci) % 3],
                     sgn ? 0 : (ci % 2 ? 113 : 0),
                     sgn ? 1 : 200,
                     1,
                     (int)((s + ci) % 2)};
        run_case(&c);
      }
  }
}

/* MobileNetV2 1.0/224 shapes at full size: the 1x1 layers of a 14x14 block and the first layer, one case each. */
static void network_shapes(void) {
  q8_case expand = {0, 0, 64, 384, 1, 1, 1, 0, 0, 0, 0, 1, 14, 14, 1, 0, 3, 113, 0, 1, 1};
  q8_case first = {0, 0, 3, 32, 3, 3, 2, 0, 0, 1, 1, 1, 224, 224, 1, 0, 128, 119, 0, 1, 1};
  q8_case dw = {1, 0, 384, 384, 3, 3, 1, 1, 1, 1, 1, 1, 14, 14, 1, 0, 0, 140, 0, 1, 1};
  run_case(&expand);
  run_case(&first);
  run_case(&dw);
}

/* Adds: every table against the reference table, lengths around the vector widths, in place too. */
static void add_tables(void) {
  static const size_t lens[] = {1, 7, 8, 15, 16, 17, 33, 64, 100, 1003};
  for (int sgn = 0; sgn < 2; sgn++)
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
      const size_t n = lens[li];
      uint8_t *a = malloc(n), *b = malloc(n), *ref = malloc(n), *got = malloc(n);
      fill(a, n), fill(b, n);
      mna_quant_eltwise_params q = {0.05f + (float)li * 0.01f, sgn ? -5 : 120, 0.031f,         sgn ? 17 : 3, 0.07f,
                                    sgn ? -20 : 100,           sgn ? -128 : 0, sgn ? 127 : 250};
      CHECK_OK(mna_q8_select_isa(MNA_ISA_Q8_REFERENCE));
      CHECK_OK(sgn ? mna_qs8_add((int64_t)n, &q, (int8_t*)a, n, (int8_t*)b, n, (int8_t*)ref, n)
                   : mna_qu8_add((int64_t)n, &q, a, n, b, n, ref, n));
      for (int isa = MNA_ISA_Q8_SCALAR; isa <= MNA_ISA_Q8_NEONDOT; isa++) {
        if (!mna_q8_isa_supported((mna_isa_q8)isa)) continue;
        CHECK_OK(mna_q8_select_isa((mna_isa_q8)isa));
        memcpy(got, a, n); /* in place: output == a */
        CHECK_OK(sgn ? mna_qs8_add((int64_t)n, &q, (int8_t*)got, n, (int8_t*)b, n, (int8_t*)got, n)
                     : mna_qu8_add((int64_t)n, &q, got, n, b, n, got, n));
        g_cases++;
        if (memcmp(got, ref, n) != 0) {
          fprintf(stderr, "add MISMATCH: isa %s sgn %d n %zu\n", mna_q8_isa_name((mna_isa_q8)isa), sgn, n);
          CHECK(0);
        }
      }
      free(a), free(b), free(ref), free(got);
    }
  CHECK_OK(mna_q8_select_isa(MNA_ISA_Q8_AUTO));
}

/* A packed uint8/int8 layer with random weights (w near zw unless wide), bias, and a scale that keeps outputs in range. */
static mna_q8_packed* random_layer(int kind, int sgn, int in_c, int out_c, int k, int zx, int zy, int relu) {
  const int taps = k * k * (kind == 1 ? 1 : in_c);
  const size_t w_n = kind == 1 ? (size_t)k * k * in_c : (size_t)out_c * k * k * in_c;
  uint8_t* w = malloc(w_n);
  int32_t* bias = malloc(sizeof(int32_t) * out_c);
  fill(w, w_n);
  for (int i = 0; i < out_c; i++) bias[i] = (int32_t)(rnd() % 4001) - 2000;
  const float scale = 1.0f / (30.0f * (float)(1 + taps));
  const int lo = sgn ? -128 : 0, hi = sgn ? 127 : 255;
  mna_quant_conv_params q = {zx, sgn ? 0 : 113, zy, relu ? (zy > lo ? zy : lo) : lo, hi};
  mna_q8_layer l = {kind, sgn, sgn, in_c, out_c, k, k};
  mna_q8_packed* pk = NULL;
  CHECK_OK(mna_q8_pack(&l, &q, &scale, 1, w, w_n, bias, out_c, &pk));
  free(w), free(bias);
  return pk;
}

/* The fused block against its layers run one after another (same tables), every table, 1-3 threads. */
static void irb_tables(void) {
  static const int cfg[][8] = {/* in_h, in_w, in_c, hidden (0: none), out_c, stride, residual, batch */
                               {8, 8, 16, 96, 16, 1, 1, 1},    {9, 7, 24, 144, 32, 2, 0, 2},
                               {14, 14, 32, 0, 16, 1, 0, 1},   {5, 6, 17, 40, 17, 1, 1, 2},
                               {7, 7, 160, 960, 160, 1, 1, 1}, {4, 4, 8, 48, 24, 2, 0, 1}};
  for (int sgn = 0; sgn < 2; sgn++)
    for (size_t ci = 0; ci < sizeof cfg / sizeof cfg[0]; ci++) {
      const int* k = cfg[ci];
      const int in_h = k[0], in_w = k[1], in_c = k[2], hid = k[3] ? k[3] : k[2], out_c = k[4], s = k[5], res = k[6];
      const int batch = k[7];
      const int pt = s == 2 ? 0 : 1, pl = s == 2 ? 0 : 1, pb = 1, pw = 1;
      const int oh = (in_h + pt + pb - 3) / s + 1, ow = (in_w + pl + pw - 3) / s + 1;
      const int z0 = sgn ? -3 : 5, z1 = sgn ? -128 : 0, z2 = sgn ? 4 : 120, z3 = sgn ? -20 : 90;
      for (int isa = MNA_ISA_Q8_SCALAR; isa <= MNA_ISA_Q8_NEONDOT; isa++) {
        if (!mna_q8_isa_supported((mna_isa_q8)isa)) continue;
        CHECK_OK(mna_q8_select_isa((mna_isa_q8)isa));
        const uint32_t seed = g_rng;
        mna_q8_packed* ex = k[3] ? random_layer(0, sgn, in_c, hid, 1, z0, z1, 1) : NULL;
        mna_q8_packed* dw = random_layer(1, sgn, hid, hid, 3, k[3] ? z1 : z0, z1, 1);
        mna_q8_packed* pr = random_layer(0, sgn, hid, out_c, 1, z1, z2, 0);
        g_rng = seed; /* the next table packs the same weights */
        const size_t in_n = (size_t)batch * in_h * in_w * in_c, hid_n = (size_t)batch * in_h * in_w * hid;
        const size_t dw_n = (size_t)batch * oh * ow * hid, out_n = (size_t)batch * oh * ow * out_c;
        uint8_t *x = malloc(in_n), *e = malloc(hid_n), *d = malloc(dw_n), *y = malloc(out_n), *ref = malloc(out_n),
                *got = malloc(out_n);
        fill(x, in_n);
        mna_conv2d_params p1 = {batch, in_h, in_w, in_c, hid, 1, 1, 1, 1, 0, 0, 0, 0, MNA_ACT_NONE};
        mna_conv2d_params p2 = {batch, in_h, in_w, hid, hid, 3, 3, s, s, pt, pl, pb, pw, MNA_ACT_NONE};
        mna_conv2d_params p3 = {batch, oh, ow, hid, out_c, 1, 1, 1, 1, 0, 0, 0, 0, MNA_ACT_NONE};
        if (ex) CHECK_OK(mna_q8_conv2d_run(ex, &p1, 1, 1, x, in_n, e, hid_n, NULL));
        CHECK_OK(mna_q8_conv2d_run(dw, &p2, 1, 1, ex ? e : x, ex ? hid_n : in_n, d, dw_n, NULL));
        CHECK_OK(mna_q8_conv2d_run(pr, &p3, 1, 1, d, dw_n, y, out_n, NULL));
        mna_quant_eltwise_params aq = {0.07f, z2, 0.05f, z0, 0.09f, z3, sgn ? -128 : 0, sgn ? 127 : 255};
        if (res)
          CHECK_OK(sgn ? mna_qs8_add((int64_t)out_n, &aq, (int8_t*)y, out_n, (int8_t*)x, in_n, (int8_t*)ref, out_n)
                       : mna_qu8_add((int64_t)out_n, &aq, y, out_n, x, in_n, ref, out_n));
        else
          memcpy(ref, y, out_n);
        mna_irb_params ip = {batch, in_h, in_w, in_c, k[3], out_c, s, pt, pl, pb, pw, 0, 0, 0, res};
        for (int t = 0; t < 3; t++) {
          memset(got, 0x5A, out_n);
          CHECK_OK(mna_q8_irb_run(ex, dw, pr, res ? &aq : NULL, &ip, x, in_n, got, out_n, g_pools[t]));
          g_cases++;
          if (memcmp(got, ref, out_n) != 0) {
            fprintf(stderr, "irb MISMATCH: isa %s sgn %d case %zu threads %d\n", mna_q8_isa_name((mna_isa_q8)isa), sgn,
                    ci, t + 1);
            CHECK(0);
          }
        }
        mna_q8_packed_destroy(ex), mna_q8_packed_destroy(dw), mna_q8_packed_destroy(pr);
        free(x), free(e), free(d), free(y), free(ref), free(got);
      }
    }
  CHECK_OK(mna_q8_select_isa(MNA_ISA_Q8_REFERENCE));
  mna_q8_packed* dw = random_layer(1, 0, 8, 8, 3, 0, 0, 0);
  mna_q8_packed* pr = random_layer(0, 0, 8, 8, 1, 0, 0, 0);
  mna_irb_params ip = {1, 4, 4, 8, 0, 8, 1, 1, 1, 1, 1, 0, 0, 0, 0};
  uint8_t x[128] = {0}, y[128];
  CHECK_STATUS(MNA_ERR_UNSUPPORTED, mna_q8_irb_run(NULL, dw, pr, NULL, &ip, x, 128, y, 128, NULL));
  CHECK_OK(mna_q8_select_isa(MNA_ISA_Q8_AUTO));
  mna_q8_packed* pr2 = random_layer(0, 0, 8, 8, 1, 0, 0, 0);
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_q8_irb_run(NULL, pr2, pr2, NULL, &ip, x, 128, y, 128, NULL));
  mna_q8_packed_destroy(dw), mna_q8_packed_destroy(pr), mna_q8_packed_destroy(pr2);
}

/* Average pooling: every table against the reference table (windows with padding, 7x7 global, channel chunks). */
static void avgpool_tables(void) {
  static const int cfg[][8] = {
      {7, 7, 1280, 7, 7, 1, 0, 0}, {5, 6, 17, 3, 3, 2, 1, 1}, {4, 4, 300, 2, 2, 2, 0, 0}, {9, 3, 3, 3, 3, 1, 1, 1}};
  for (int sgn = 0; sgn < 2; sgn++)
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
      const int* k = cfg[i];
      mna_conv2d_params p = {2, k[0], k[1], k[2], k[2], k[3], k[4], k[5], k[5], k[6], k[7], k[6], k[7], MNA_ACT_NONE};
      int32_t oh = 0, ow = 0;
      CHECK_OK(mna_conv2d_output_shape(&p, &oh, &ow));
      const size_t in_n = (size_t)2 * k[0] * k[1] * k[2], out_n = (size_t)2 * oh * ow * k[2];
      uint8_t *x = malloc(in_n), *ref = malloc(out_n), *got = malloc(out_n);
      fill(x, in_n);
      const int32_t mn = sgn ? -100 : 3, mx = sgn ? 120 : 250;
      CHECK_OK(mna_q8_select_isa(MNA_ISA_Q8_REFERENCE));
      CHECK_OK(sgn ? mna_qs8_avgpool2d(&p, mn, mx, (int8_t*)x, in_n, (int8_t*)ref, out_n)
                   : mna_qu8_avgpool2d(&p, mn, mx, x, in_n, ref, out_n));
      for (int isa = MNA_ISA_Q8_SCALAR; isa <= MNA_ISA_Q8_NEONDOT; isa++) {
        if (!mna_q8_isa_supported((mna_isa_q8)isa)) continue;
        CHECK_OK(mna_q8_select_isa((mna_isa_q8)isa));
        CHECK_OK(sgn ? mna_qs8_avgpool2d(&p, mn, mx, (int8_t*)x, in_n, (int8_t*)got, out_n)
                     : mna_qu8_avgpool2d(&p, mn, mx, x, in_n, got, out_n));
        g_cases++;
        if (memcmp(got, ref, out_n) != 0) {
          fprintf(stderr, "avgpool MISMATCH: isa %s sgn %d case %zu\n", mna_q8_isa_name((mna_isa_q8)isa), sgn, i);
          CHECK(0);
        }
      }
      free(x), free(ref), free(got);
    }
  CHECK_OK(mna_q8_select_isa(MNA_ISA_Q8_AUTO));
}

/* Quantize: every table against the reference table; ties (k + 0.5 quanta), NaN, infinities, huge values. */
static void quantize_tables(void) {
  static const size_t lens[] = {1, 9, 16, 17, 150};
  for (int sgn = 0; sgn < 2; sgn++)
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
      const size_t n = lens[li];
      const float scale = 0.0078125f * (float)(1 + li), inf = 1.0f / 0.0f;
      float* x = malloc(n * sizeof(float));
      uint8_t *ref = malloc(n), *got = malloc(n);
      for (size_t i = 0; i < n; i++) {
        const uint32_t r = rnd();
        x[i] = (i % 5 == 0) ? ((float)(int)(r % 600) - 300.0f + 0.5f) * scale /* exact ties */
                            : ((float)(r % 100000) / 100.0f - 500.0f) * scale;
      }
      if (n > 3) x[1] = 0.0f / 0.0f, x[2] = inf, x[3] = -inf;
      const int32_t zp = sgn ? -7 : 128;
      CHECK_OK(mna_q8_select_isa(MNA_ISA_Q8_REFERENCE));
      CHECK_OK(sgn ? mna_qs8_quantize((int64_t)n, scale, zp, x, n, (int8_t*)ref, n)
                   : mna_qu8_quantize((int64_t)n, scale, zp, x, n, ref, n));
      for (int isa = MNA_ISA_Q8_SCALAR; isa <= MNA_ISA_Q8_NEONDOT; isa++) {
        if (!mna_q8_isa_supported((mna_isa_q8)isa)) continue;
        CHECK_OK(mna_q8_select_isa((mna_isa_q8)isa));
        CHECK_OK(sgn ? mna_qs8_quantize((int64_t)n, scale, zp, x, n, (int8_t*)got, n)
                     : mna_qu8_quantize((int64_t)n, scale, zp, x, n, got, n));
        g_cases++;
        if (memcmp(got, ref, n) != 0) {
          fprintf(stderr, "quantize MISMATCH: isa %s sgn %d n %zu\n", mna_q8_isa_name((mna_isa_q8)isa), sgn, n);
          CHECK(0);
        }
      }
      free(x), free(ref), free(got);
    }
  CHECK_OK(mna_q8_select_isa(MNA_ISA_Q8_AUTO));
}

/* Packing refuses the fast path where the exact accumulator could leave int32, and arguments are checked. */
static void bounds_and_validation(void) {
  const int32_t in_c = 1024;
  uint8_t* w = calloc((size_t)in_c * 9, 1);
  int32_t bias[1] = {INT32_MAX - 1000};
  float s = 1e-6f;
  mna_quant_conv_params q = {0, 0, 0, 0, 255};
  mna_q8_layer l = {0, 0, 0, in_c, 1, 3, 3};
  mna_q8_packed* pk = NULL;
  CHECK_OK(mna_q8_pack(&l, &q, &s, 1, w, (size_t)in_c * 9, bias, 1, &pk));
  CHECK(mna_q8_packed_isa(pk) == MNA_ISA_Q8_REFERENCE);
  mna_q8_packed_destroy(pk);
  bias[0] = 5;
  CHECK_OK(mna_q8_pack(&l, &q, &s, 1, w, (size_t)in_c * 9, bias, 1, &pk));
  CHECK(mna_q8_packed_isa(pk) == mna_q8_current_isa());
  mna_conv2d_params p = {1, 4, 4, in_c, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0};
  uint8_t x[16], y[16];
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_q8_conv2d_run(pk, &p, 1, 1, x, 16, y, 16, NULL)); /* 4x4x1024 input */
  p.in_c = 7;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_q8_conv2d_run(pk, &p, 1, 1, x, 16, y, 16, NULL)); /* in_c differs */
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_q8_fully_connected_run(pk, 1, x, 16, y, 16, NULL));
  CHECK_STATUS(MNA_ERR_NULL_POINTER, mna_q8_conv2d_run(NULL, &p, 1, 1, x, 16, y, 16, NULL));
  mna_q8_packed_destroy(pk);
  l.weight_type = 1;
  CHECK_STATUS(MNA_ERR_UNSUPPORTED, mna_q8_pack(&l, &q, &s, 1, w, (size_t)in_c * 9, bias, 1, &pk));
  l.weight_type = 0;
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL, mna_q8_pack(&l, &q, &s, 1, w, 10, bias, 1, &pk));
  q.output_zero_point = 300;
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_q8_pack(&l, &q, &s, 1, w, (size_t)in_c * 9, bias, 1, &pk));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_q8_select_isa((mna_isa_q8)99));
  free(w);
}

int main(void) {
  for (int t = 0; t < 3; t++) CHECK_OK(mna_threadpool_create(t + 1, &g_pools[t]));
  printf("integer tables:");
  for (int isa = MNA_ISA_Q8_REFERENCE; isa <= MNA_ISA_Q8_NEONDOT; isa++)
    if (mna_q8_isa_supported((mna_isa_q8)isa)) printf(" %s", mna_q8_isa_name((mna_isa_q8)isa));
  printf(" (auto: %s)\n", mna_q8_isa_name(mna_q8_current_isa()));
  conv_tables();
  network_shapes();
  add_tables();
  quantize_tables();
  avgpool_tables();
  irb_tables();
  bounds_and_validation();
  for (int t = 0; t < 3; t++) mna_threadpool_destroy(g_pools[t]);
  printf("test_q8: %d comparisons, %d checks, %d failures\n", g_cases, g_checks, g_failures);
  return g_failures ? 1 : 0;
}
