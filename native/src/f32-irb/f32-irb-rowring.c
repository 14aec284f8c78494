/* Fused inverted-residual block, row by row (ISA-independent driver over a ukernel set).
 *
 * For each output row: the (at most 3) expanded input rows it needs are computed by the
 * GEMM microkernel into a 3-slot ring (slot = input row % 3, so a row computed for the
 * previous output row is reused), with bias + activation in the store; the depthwise row
 * kernel writes one row of out_w x hidden floats; the project GEMM reads that row and
 * stores bias + activation + residual straight into the output. The expanded tensor never
 * exists: the working set is 3 * in_w * hidden + out_w * hidden floats per thread
 * (block 2 of MobileNetV2 1.0/224: 168 KiB).
 *
 * Threads: images x bands of output rows; each band recomputes its 1-2 halo rows. When
 * the weights do not fit in L2 or the bands would be too short (see mna_fast_f32_irb_packed),
 * the block runs layer by layer instead: for one image on several threads inside one band of
 * output rows per thread (irb_bands), else each layer split over all threads (or, for batches,
 * one image per thread).
 * Both paths use the same microkernels with the same per-element order, so the result is
 * bit-identical for any thread count. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "common/threadpool.h"
#include "common/ukernels.h"

/* Blocks whose expand + project weights exceed this run layer by layer: row fusion reads every
 * weight panel once per output row, which is cheap from L2 but not once the weights spill
 * to L3 (MobileNetV2's 7x7 blocks, 1.2 MB; MobileNetV1's 1024-channel layers, 2-4 MB). */
#ifndef MNA_IRB_FUSE_MAX_WEIGHT_BYTES
#  define MNA_IRB_FUSE_MAX_WEIGHT_BYTES (480u * 1024u)
#endif
/* Each thread's band of output rows must be at least this tall (it recomputes 1-2 halo rows). */
#define MNA_IRB_MIN_BAND_ROWS 4
/* Row path only when its per-row GEMMs fill at least this share of their pixel tiles, unless the
 * expanded tensor is larger than MNA_IRB_LAYERS_L2_BYTES (see mna_fast_f32_irb_packed). */
#define MNA_IRB_MIN_TILE_FILL_PCT 85
#define MNA_IRB_LAYERS_L2_BYTES (512u * 1024u)
/* One image on several threads, off the row path: bands of output rows, one per thread (irb_bands),
 * when every thread can read the block's weights (each band reads all of them) and the halo rows the
 * bands expand twice add at most this share of the expand layer's rows. From bench_fast mode 4 (whole
 * networks, bands on/off run by run, 2 threads, AVX2 EPYC Zen 2, quiet): MobileNetV2's 14x14 blocks
 * 0.64-0.80x the layer path's time, its 7x7 blocks (29% halo) 0.95-0.99x; MobileNetV1's 14x14x512
 * blocks 0.83-0.95x (2 MiB of weights: 0.94x), its 7x7x1024 block (4 MiB) 1.10x (left on layers). */
/* The row path computes up to this many output rows per step (row_step), while its ring and depthwise
 * rows stay within MNA_IRB_RING_MAX_BYTES per thread. */
#define MNA_IRB_MAX_STEP_ROWS 3
#define MNA_IRB_RING_MAX_BYTES (256u * 1024u)
#define MNA_IRB_BANDS_MAX_WEIGHT_BYTES (2048u * 1024u)
#define MNA_IRB_BANDS_MAX_HALO_PCT 30

typedef struct {
  const mna_f32_ukernels* uk;
  const mna_irb_params* p;
  size_t out_h, out_w, hidden, bands, band_rows, step_rows;
  const float *input, *ep, *dw_w, *dw_b, *pp, *zero;
  float* output;
  float elo, ehi, dlo, dhi, plo, phi;
  int failed;
} irb_ctx;

static void irb_units(void* vctx, size_t begin, size_t end) {
  irb_ctx* x = (irb_ctx*)vctx;
  const mna_irb_params* p = x->p;
  const mna_f32_ukernels* uk = x->uk;
  const size_t in_h = (size_t)p->in_h, in_w = (size_t)p->in_w, in_c = (size_t)p->in_c;
  const size_t hid = x->hidden, out_c = (size_t)p->out_c, s = (size_t)p->stride, step = x->step_rows;
  const size_t ring_row = in_w * hid, dw_row = x->out_w * hid;
  /* the input rows of `step` output rows: ring slot = input row % slots (a row computed for the previous
   * step is reused; a row is overwritten only once no later output row reads it) */
  const size_t slots = p->hidden_c ? (step - 1) * s + 3 : 0;
  float* scratch = (float*)mna_scratch(MNA_SCRATCH_RING, (slots * ring_row + step * dw_row) * sizeof(float));
  if (!scratch) {
    __atomic_store_n(&x->failed, 1, __ATOMIC_RELAXED);
    return;
  }
  float* ring = scratch;
  float* dwrows = scratch + slots * ring_row;
  for (size_t u = begin; u < end; u++) {
    const size_t n = u / x->bands, band = u % x->bands;
    const size_t oy0 = band * x->band_rows;
    const size_t oy1 = oy0 + x->band_rows < x->out_h ? oy0 + x->band_rows : x->out_h;
    ptrdiff_t tag[MNA_IRB_MAX_STEP_ROWS * 2 + 1];
    for (size_t i = 0; i < slots; i++) tag[i] = -1;
    const float* img = x->input + n * in_h * in_w * in_c;
    for (size_t oy = oy0; oy < oy1; oy += step) {
      const size_t rows_here = oy1 - oy < step ? oy1 - oy : step;
      for (size_t j = 0; j < rows_here; j++) {
        const float* rows[3];
        for (size_t ky = 0; ky < 3; ky++) {
          const ptrdiff_t iy = (ptrdiff_t)((oy + j) * s) - p->pad_top + (ptrdiff_t)ky;
          if (iy < 0 || iy >= (ptrdiff_t)in_h) {
            rows[ky] = x->zero;
          } else if (!p->hidden_c) {
            rows[ky] = img + (size_t)iy * in_w * in_c;
          } else {
            const size_t slot = (size_t)iy % slots;
            float* dst = ring + slot * ring_row;
            if (tag[slot] != iy) {
              mna_f32_gemm_run(uk, in_w, hid, in_c, img + (size_t)iy * in_w * in_c, in_c, x->ep, dst, hid, NULL, 0,
                               x->elo, x->ehi, NULL);
              tag[slot] = iy;
            }
            rows[ky] = dst;
          }
        }
        uk->dw3x3(rows, in_w, hid, s, (size_t)p->pad_left, x->out_w, x->dw_w, x->dw_b, dwrows + j * dw_row, x->dlo,
                  x->dhi);
      }
      /* the step's output rows are contiguous (NHWC), as are their residual rows: one project GEMM */
      float* out = x->output + ((n * x->out_h + oy) * x->out_w) * out_c;
      const float* res = p->residual ? img + oy * in_w * in_c : NULL;
      mna_f32_gemm_run(uk, rows_here * x->out_w, out_c, hid, dwrows, hid, x->pp, out, out_c, res, in_c, x->plo, x->phi,
                       NULL);
    }
  }
}

/* Output rows per step of the row path: the project GEMM's M is step x out_w, and a step whose M is a
 * multiple of the tile height wastes no tile rows (6-row AVX2 tile: 56 = 9 x 6 + 2 wastes 7% of the
 * project's FMAs, 3 x 56 = 28 x 6 none; 28 and 112 alike). The fewest rows that waste the least, within
 * the ring's size bound. */
static size_t row_step(const mna_f32_ukernels* uk, const mna_irb_params* p, size_t out_w, size_t hidden) {
  if (!mna_irb_multirow) return 1;
  size_t best = 1, best_tiles = 0;
  for (size_t step = 1; step <= MNA_IRB_MAX_STEP_ROWS; step++) {
    const size_t slots = p->hidden_c ? (step - 1) * (size_t)p->stride + 3 : 0;
    const size_t bytes = (slots * (size_t)p->in_w + step * out_w) * hidden * sizeof(float);
    if (step > 1 && bytes > MNA_IRB_RING_MAX_BYTES) break;
    const size_t m = step * out_w, tiles = (m + uk->mr - 1) / uk->mr; /* tile rows per output row: tiles * mr / m */
    if (step == 1 || tiles * uk->mr * best < best_tiles * uk->mr * step) best = step, best_tiles = tiles;
  }
  return best;
}

/* Layer by layer, each layer threaded over the whole pool (short images). */
static mna_status irb_layers(const irb_ctx* x, mna_threadpool* pool) {
  const mna_irb_params* p = x->p;
  const size_t in_pixels = (size_t)p->batch * (size_t)p->in_h * (size_t)p->in_w;
  const size_t out_pixels = (size_t)p->batch * x->out_h * x->out_w;
  float* t = NULL;
  const float* dw_in = x->input;
  if (p->hidden_c) {
    t = (float*)mna_scratch(MNA_SCRATCH_EXPANDED, in_pixels * x->hidden * sizeof(float));
    if (!t) return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "mna_f32_irb: cannot allocate the expanded tensor");
    mna_f32_gemm_run(x->uk, in_pixels, x->hidden, (size_t)p->in_c, x->input, (size_t)p->in_c, x->ep, t, x->hidden, NULL,
                     0, x->elo, x->ehi, pool);
    dw_in = t;
  }
  float* d = (float*)mna_scratch(MNA_SCRATCH_DW, out_pixels * x->hidden * sizeof(float));
  if (!d) {
    return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "mna_f32_irb: cannot allocate the depthwise output");
  }
  const mna_conv2d_params dwp = {.batch = p->batch,
                                 .in_h = p->in_h,
                                 .in_w = p->in_w,
                                 .in_c = (int32_t)x->hidden,
                                 .out_c = (int32_t)x->hidden,
                                 .kernel_h = 3,
                                 .kernel_w = 3,
                                 .stride_h = p->stride,
                                 .stride_w = p->stride,
                                 .pad_top = p->pad_top,
                                 .pad_left = p->pad_left,
                                 .pad_bottom = p->pad_bottom,
                                 .pad_right = p->pad_right,
                                 .activation = p->dw_activation};
  mna_status s =
      mna_fast_f32_dwconv2d(x->uk, &dwp, (int32_t)x->out_h, (int32_t)x->out_w, dw_in, x->dw_w, x->dw_b, d, pool);
  if (s == MNA_OK)
    mna_f32_gemm_run(x->uk, out_pixels, (size_t)p->out_c, x->hidden, d, x->hidden, x->pp, x->output, (size_t)p->out_c,
                     p->residual ? x->input : NULL, (size_t)p->in_c, x->plo, x->phi, pool);
  return s;
}

/* Layer by layer, one image per unit, each image on one thread (pool NULL inside), for batches on
 * several threads: each core keeps its image's expanded and depthwise tensors in its own L2
 * (14x14x512: 392 KiB) instead of both cores sharing the whole batch's (8 images: 3.1 MB) through
 * L3, and there is one fork/join per block instead of three. (At 1 thread the whole batch per
 * layer is as fast: more pixels per weight block.) Same microkernels, same per-element order:
 * bit-identical to irb_layers on the whole batch. */
typedef struct {
  const irb_ctx* x;
  int failed;
} irb_images_ctx;

static void irb_images(void* vctx, size_t begin, size_t end) {
  irb_images_ctx* ic = (irb_images_ctx*)vctx;
  const irb_ctx* x = ic->x;
  const mna_irb_params* p = x->p;
  mna_irb_params one = *p;
  one.batch = 1;
  irb_ctx xi = *x;
  xi.p = &one;
  const size_t in_image = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
  const size_t out_image = x->out_h * x->out_w * (size_t)p->out_c;
  for (size_t n = begin; n < end; n++) {
    xi.input = x->input + n * in_image;
    xi.output = x->output + n * out_image;
    if (irb_layers(&xi, NULL) != MNA_OK) __atomic_store_n(&ic->failed, 1, __ATOMIC_RELAXED);
  }
}

/* Layer by layer inside bands of output rows, one band per thread, each band on its own thread (pool
 * NULL inside): for one image on several threads where the layer path would fork and join three times
 * per block over small layers (the 14x14 blocks: 50-100 us a layer at 2 threads). Each band expands
 * the input rows its depthwise rows read (its 1-2 halo rows are expanded twice, once per band), so
 * there is one fork/join per block, the split is static, and a band's expanded and depthwise rows stay
 * in its core's caches. Same microkernels, same per-element order: bit-identical to irb_layers. */
typedef struct {
  const irb_ctx* x;
  int failed;
} irb_bands_ctx;

/* The input rows [*iy0, *iy1) that output rows [oy0, oy1) read (clipped to the image). */
static void band_input_rows(const mna_irb_params* p, size_t oy0, size_t oy1, size_t* iy0, size_t* iy1) {
  const ptrdiff_t top = (ptrdiff_t)(oy0 * (size_t)p->stride) - p->pad_top;
  const ptrdiff_t bottom = (ptrdiff_t)((oy1 - 1) * (size_t)p->stride) - p->pad_top + 3;
  *iy0 = top < 0 ? 0 : (size_t)top;
  *iy1 = bottom > (ptrdiff_t)p->in_h ? (size_t)p->in_h : (size_t)bottom;
}

static int irb_band(const irb_ctx* x, size_t n, size_t oy0, size_t oy1) {
  const mna_irb_params* p = x->p;
  const size_t in_h = (size_t)p->in_h, in_w = (size_t)p->in_w, in_c = (size_t)p->in_c, hid = x->hidden;
  size_t iy0, iy1;
  band_input_rows(p, oy0, oy1, &iy0, &iy1);
  const size_t rows_in = iy1 - iy0, rows_out = oy1 - oy0;
  const float* img = x->input + n * in_h * in_w * in_c;
  const float* dw_in = img + iy0 * in_w * in_c;
  if (p->hidden_c) {
    float* t = (float*)mna_scratch(MNA_SCRATCH_EXPANDED, rows_in * in_w * hid * sizeof(float));
    if (!t) return 0;
    mna_f32_gemm_run(x->uk, rows_in * in_w, hid, in_c, dw_in, in_c, x->ep, t, hid, NULL, 0, x->elo, x->ehi, NULL);
    dw_in = t;
  }
  float* d = (float*)mna_scratch(MNA_SCRATCH_DW, rows_out * x->out_w * hid * sizeof(float));
  if (!d) return 0;
  /* output row oy0 + j reads band rows j * stride - pad_top' + ky, with pad_top' the rows the band's top
   * lacks (the image's padding for the first band, 0 inside) */
  const ptrdiff_t top = (ptrdiff_t)(oy0 * (size_t)p->stride) - p->pad_top;
  const mna_conv2d_params dwp = {.batch = 1,
                                 .in_h = (int32_t)rows_in,
                                 .in_w = p->in_w,
                                 .in_c = (int32_t)hid,
                                 .out_c = (int32_t)hid,
                                 .kernel_h = 3,
                                 .kernel_w = 3,
                                 .stride_h = p->stride,
                                 .stride_w = p->stride,
                                 .pad_top = (int32_t)((ptrdiff_t)iy0 - top),
                                 .pad_left = p->pad_left,
                                 .pad_bottom = p->pad_bottom,
                                 .pad_right = p->pad_right,
                                 .activation = p->dw_activation};
  if (mna_fast_f32_dwconv2d(x->uk, &dwp, (int32_t)rows_out, (int32_t)x->out_w, dw_in, x->dw_w, x->dw_b, d, NULL) !=
      MNA_OK)
    return 0;
  float* out = x->output + (n * x->out_h + oy0) * x->out_w * (size_t)p->out_c;
  const float* res = p->residual ? img + oy0 * in_w * in_c : NULL;
  mna_f32_gemm_run(x->uk, rows_out * x->out_w, (size_t)p->out_c, hid, d, hid, x->pp, out, (size_t)p->out_c, res, in_c,
                   x->plo, x->phi, NULL);
  return 1;
}

static void irb_bands(void* vctx, size_t begin, size_t end) {
  irb_bands_ctx* bc = (irb_bands_ctx*)vctx;
  const irb_ctx* x = bc->x;
  for (size_t u = begin; u < end; u++) {
    const size_t n = u / x->bands, oy0 = (u % x->bands) * x->band_rows;
    const size_t oy1 = oy0 + x->band_rows < x->out_h ? oy0 + x->band_rows : x->out_h;
    if (!irb_band(x, n, oy0, oy1)) __atomic_store_n(&bc->failed, 1, __ATOMIC_RELAXED);
  }
}

/* Input rows the bands expand in all (halo rows counted once per band that reads them). */
static size_t bands_input_rows(const mna_irb_params* p, size_t out_h, size_t band_rows) {
  size_t total = 0;
  for (size_t oy0 = 0; oy0 < out_h; oy0 += band_rows) {
    size_t iy0, iy1;
    band_input_rows(p, oy0, oy0 + band_rows < out_h ? oy0 + band_rows : out_h, &iy0, &iy1);
    total += iy1 - iy0;
  }
  return total;
}

/* Benchmarking aid: MNA_IRB_MODE=rows|layers|bands (read once) forces one path for every block;
 * in-process benchmarks (tests/bench_irb.c) set mna_irb_mode_override directly. */
int mna_irb_mode_override = MNA_IRB_MODE_AUTO;
int mna_irb_bands = 1;
int mna_irb_multirow = 1;
static pthread_once_t g_force_once = PTHREAD_ONCE_INIT;
static int g_env_mode = MNA_IRB_MODE_AUTO;
static void read_force_mode(void) {
  const char* e = getenv("MNA_IRB_MODE");
  g_env_mode = e && e[0] == 'r' ? MNA_IRB_MODE_ROWS : e && e[0] == 'l' ? MNA_IRB_MODE_LAYERS : MNA_IRB_MODE_AUTO;
}

mna_status mna_fast_f32_irb_packed(const mna_f32_ukernels* uk, const mna_irb_params* p, int32_t out_h, int32_t out_w,
                                   const float* input, const float* expand_packed, const float* dw_w, const float* dw_b,
                                   const float* project_packed, float* output, mna_threadpool* pool) {
  irb_ctx x;
  memset(&x, 0, sizeof x);
  x.uk = uk;
  x.p = p;
  x.out_h = (size_t)out_h;
  x.out_w = (size_t)out_w;
  x.hidden = p->hidden_c ? (size_t)p->hidden_c : (size_t)p->in_c;
  x.input = input;
  x.ep = expand_packed;
  x.dw_w = dw_w;
  x.dw_b = dw_b;
  x.pp = project_packed;
  x.output = output;
  mna_act_bounds(p->expand_activation, &x.elo, &x.ehi);
  mna_act_bounds(p->dw_activation, &x.dlo, &x.dhi);
  mna_act_bounds(p->project_activation, &x.plo, &x.phi);
  const size_t threads = (size_t)mna_threadpool_threads(pool);
  /* Path selection, from tests/bench_irb (both paths timed in alternation, every block of
   * MobileNetV1/V2 1.0/224, 1 and 2 threads; docs/PERFORMANCE.md): row fusion is as fast or
   * faster (up to 1.4x) wherever the block's weights stay in L2, at every image size, and at
   * 2 threads it also saves the layer path's three fork/joins; layer by layer wins (up to
   * 1.6x) when the weights do not fit, and when the bands would be too short. */
  const size_t weight_bytes =
      ((p->hidden_c ? (size_t)p->in_c * x.hidden : 0) + x.hidden * (size_t)p->out_c) * sizeof(float);
  pthread_once(&g_force_once, read_force_mode);
  const int force = mna_irb_mode_override != MNA_IRB_MODE_AUTO ? mna_irb_mode_override : g_env_mode;
  int fuse = weight_bytes <= MNA_IRB_FUSE_MAX_WEIGHT_BYTES && x.out_h >= MNA_IRB_MIN_BAND_ROWS * threads;
  /* The row path's project GEMM has M = out_w: with a tile height that fills its last pixel tile
   * badly (14 = 6 + 6 + 2 with the 6-row AVX2 tile: 78% of the FMAs useful) and an expanded
   * tensor of at most 512 KiB (about one core's L2 here), layer by layer (M = all pixels) is
   * faster (AVX2 on the development EPYC, bench_irb: the 14x14 blocks of MobileNetV2 1.13-1.25x).
   * Tiles that divide the width (AVX-512's 7 rows at 7, 14, 28, 56, 112) keep the row path. */
  const size_t tile_rows = ((x.out_w + uk->mr - 1) / uk->mr) * uk->mr;
  const size_t expanded_bytes = (size_t)p->in_h * (size_t)p->in_w * x.hidden * sizeof(float);
  if (p->hidden_c && x.out_w * 100 < MNA_IRB_MIN_TILE_FILL_PCT * tile_rows && expanded_bytes <= MNA_IRB_LAYERS_L2_BYTES)
    fuse = 0;
  if (force == MNA_IRB_MODE_ROWS) fuse = 1;
  if (force == MNA_IRB_MODE_LAYERS || force == MNA_IRB_MODE_LAYERS_BATCH || force == MNA_IRB_MODE_BANDS) fuse = 0;
  if (!fuse && force != MNA_IRB_MODE_LAYERS && force != MNA_IRB_MODE_LAYERS_BATCH) {
    /* one image on several threads: bands (see irb_bands) where the halo rows cost little */
    const size_t band_rows = (x.out_h + threads - 1) / threads;
    int bands = mna_irb_bands && p->batch == 1 && threads > 1 && x.out_h >= MNA_IRB_MIN_BAND_ROWS / 2 * threads &&
                weight_bytes <= MNA_IRB_BANDS_MAX_WEIGHT_BYTES &&
                (!p->hidden_c ||
                 bands_input_rows(p, x.out_h, band_rows) * 100 <= (size_t)p->in_h * (100 + MNA_IRB_BANDS_MAX_HALO_PCT));
    if (force == MNA_IRB_MODE_BANDS) bands = 1;
    if (bands) {
      x.band_rows = band_rows;
      x.bands = (x.out_h + band_rows - 1) / band_rows;
      irb_bands_ctx bc = {&x, 0};
      mna_parallelize_affine(pool, irb_bands, &bc, (size_t)p->batch * x.bands);
      if (bc.failed) return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "mna_f32_irb: cannot allocate a band's tensors");
      return MNA_OK;
    }
  }
  if (!fuse) {
    /* whole images per thread when the batch divides evenly enough (see irb_images) */
    if (p->batch > 1 && threads > 1 && force != MNA_IRB_MODE_LAYERS_BATCH &&
        ((size_t)p->batch >= 2 * threads || (size_t)p->batch % threads == 0)) {
      irb_images_ctx ic = {&x, 0};
      mna_parallelize_1d(pool, irb_images, &ic, (size_t)p->batch);
      if (ic.failed) return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "mna_f32_irb: cannot allocate an image's tensors");
      return MNA_OK;
    }
    return irb_layers(&x, pool);
  }
  x.bands = threads;
  x.band_rows = (x.out_h + threads - 1) / threads;
  x.bands = (x.out_h + x.band_rows - 1) / x.band_rows;
  const float* zero = (const float*)mna_scratch(MNA_SCRATCH_ZERO, (size_t)p->in_w * x.hidden * sizeof(float));
  if (!zero) return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "mna_f32_irb: cannot allocate a zero row");
  x.zero = zero;
  x.step_rows = row_step(uk, p, x.out_w, x.hidden);
  mna_parallelize_affine(pool, irb_units, &x, (size_t)p->batch * x.bands);
  if (x.failed) return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "mna_f32_irb: cannot allocate the row ring");
  return MNA_OK;
}

mna_status mna_fast_f32_irb(const mna_f32_ukernels* uk, const mna_irb_params* p, int32_t out_h, int32_t out_w,
                            const float* input, const float* expand_w, const float* expand_b, const float* dw_w,
                            const float* dw_b, const float* project_w, const float* project_b, float* output,
                            mna_threadpool* pool) {
  const size_t hidden = p->hidden_c ? (size_t)p->hidden_c : (size_t)p->in_c;
  float* ep = NULL;
  if (p->hidden_c) {
    ep = mna_f32_gemm_pack(uk, hidden, (size_t)p->in_c, expand_w, (size_t)p->in_c, expand_b);
    if (!ep) return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "mna_f32_irb: cannot allocate packed expand weights");
  }
  float* pp = mna_f32_gemm_pack(uk, (size_t)p->out_c, hidden, project_w, hidden, project_b);
  if (!pp) {
    mna_aligned_free(ep);
    return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "mna_f32_irb: cannot allocate packed project weights");
  }
  const mna_status s = mna_fast_f32_irb_packed(uk, p, out_h, out_w, input, ep, dw_w, dw_b, pp, output, pool);
  mna_aligned_free(ep);
  mna_aligned_free(pp);
  return s;
}
