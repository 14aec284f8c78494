/* ISA-independent drivers for the fast kernels: weight packing, GEMM tiling and threading,
 * im2col convolution, depthwise rows with zero-row padding, pooling, fully connected.
 * They call the microkernels of one mna_f32_ukernels set (see common/ukernels.h). */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "common/threadpool.h"
#include "common/ukernels.h"

/* Bytes of packed weights one GEMM column block may hold (kept in L2 while pixel tiles stream). */
#define MNA_GEMM_BLOCK_BYTES (256u * 1024u)
size_t mna_gemm_block_bytes = MNA_GEMM_BLOCK_BYTES; /* benchmarks may change it (tests/bench_irb) */

void mna_act_bounds(int32_t act, float* vmin, float* vmax) {
  *vmin = act == MNA_ACT_NONE ? -INFINITY : 0.0f;
  *vmax = act == MNA_ACT_RELU6 ? 6.0f : INFINITY;
}

void* mna_aligned_alloc(size_t bytes) {
  void* p = NULL;
  if (bytes == 0) bytes = 64;
  if (posix_memalign(&p, 64, bytes) != 0) return NULL;
  return p;
}

void mna_aligned_free(void* p) { free(p); }

/* Per-thread scratch buffers, grown on demand and kept until the thread exits, so a run does
 * not pay for malloc/mmap page faults of its temporaries every time. */
typedef struct {
  void* p[MNA_SCRATCH_SLOTS];
  size_t n[MNA_SCRATCH_SLOTS];
} scratch_set;

static pthread_key_t g_scratch_key;
static pthread_once_t g_scratch_once = PTHREAD_ONCE_INIT;
static int g_scratch_ok;

static void scratch_free(void* v) {
  scratch_set* s = (scratch_set*)v;
  for (int i = 0; i < MNA_SCRATCH_SLOTS; i++) free(s->p[i]);
  free(s);
}

static void scratch_key(void) { g_scratch_ok = pthread_key_create(&g_scratch_key, scratch_free) == 0; }

void* mna_scratch(int slot, size_t bytes) {
  pthread_once(&g_scratch_once, scratch_key);
  if (!g_scratch_ok || slot < 0 || slot >= MNA_SCRATCH_SLOTS) return NULL;
  scratch_set* s = (scratch_set*)pthread_getspecific(g_scratch_key);
  if (!s) {
    s = (scratch_set*)calloc(1, sizeof *s);
    if (!s) return NULL;
    if (pthread_setspecific(g_scratch_key, s) != 0) {
      free(s);
      return NULL;
    }
  }
  if (s->n[slot] < bytes) {
    free(s->p[slot]);
    s->p[slot] = NULL;
    s->n[slot] = 0;
    void* p = mna_aligned_alloc(bytes);
    if (!p) return NULL;
    if (slot == MNA_SCRATCH_ZERO) memset(p, 0, bytes);
    s->p[slot] = p;
    s->n[slot] = bytes;
  }
  return s->p[slot];
}

/* Width of the last column panel: NR, or NR/2 when the remainder fits (see ukernels.h). */
static size_t last_panel_width(const mna_f32_ukernels* uk, size_t n) {
  const size_t rem = n % uk->nr;
  return rem != 0 && rem <= uk->nr / 2 && uk->gemmh ? uk->nr / 2 : uk->nr;
}

size_t mna_f32_gemm_packed_size(const mna_f32_ukernels* uk, size_t n, size_t k) {
  const size_t panels = (n + uk->nr - 1) / uk->nr;
  return (panels - 1) * (k + 1) * uk->nr + (k + 1) * last_panel_width(uk, n);
}

float* mna_f32_gemm_pack(const mna_f32_ukernels* uk, size_t n, size_t k, const float* w, size_t ldw,
                         const float* bias) {
  const size_t nr = uk->nr, panels = (n + nr - 1) / nr;
  float* buf = (float*)mna_aligned_alloc(mna_f32_gemm_packed_size(uk, n, k) * sizeof(float));
  if (!buf) return NULL;
  for (size_t p = 0; p < panels; p++) {
    float* base = buf + p * (k + 1) * nr;
    const size_t pw = p + 1 == panels ? last_panel_width(uk, n) : nr;
    for (size_t j = 0; j < pw; j++) {
      const size_t col = p * nr + j;
      base[j] = col < n && bias ? bias[col] : 0.0f;
      for (size_t kk = 0; kk < k; kk++) base[pw + kk * pw + j] = col < n ? w[col * ldw + kk] : 0.0f;
    }
  }
  return buf;
}

/* ------------------------------------------------------------------------ GEMM */

typedef struct {
  const mna_f32_ukernels* uk;
  size_t m, n, k;
  const float* a;
  size_t as;
  const float* packed;
  float* c;
  size_t cs;
  const float* r;
  size_t rs;
  float lo, hi;
  size_t mtiles, panels, nblock;
  int half_last;
  int prefetch_next;
  size_t packed_bytes;
} gemm_ctx;

int mna_gemm_prefetch_next = 1;

/* Units are (column block, pixel tile), column block major. The first tile of a block reads
 * the block's weights from L3 (they do not stay in L2 from one inference to the next); to
 * overlap that with computation, every tile of block nb requests a slice of block nb + 1's
 * weights into L2 (the slices of all tiles and panels of the block cover it once). */
static void gemm_units(void* vctx, size_t begin, size_t end) {
  const gemm_ctx* g = (const gemm_ctx*)vctx;
  const mna_f32_ukernels* uk = g->uk;
  const size_t mrmax = uk->mr, nr = uk->nr, panel = (g->k + 1) * nr;
  for (size_t u = begin; u < end; u++) {
    const size_t nb = u / g->mtiles, mt = u % g->mtiles;
    const size_t m0 = mt * mrmax;
    const size_t mr = g->m - m0 < mrmax ? g->m - m0 : mrmax;
    const mna_f32_gemm_ukernel kern = mr == 1 && uk->gemm1 ? uk->gemm1 : uk->gemm;
    const mna_f32_gemm_ukernel kernh = mr == 1 ? uk->gemmh1 : uk->gemmh;
    const size_t p0 = nb * g->nblock;
    const size_t p1 = p0 + g->nblock < g->panels ? p0 + g->nblock : g->panels;
    /* the next block's weights, as 64-byte lines, and this call's share of them */
    size_t next_lines = 0, slice = 0;
    const char* next = (const char*)(g->packed + p1 * panel);
    if (g->prefetch_next && p1 < g->panels) {
      const size_t next_end = p1 + g->nblock < g->panels ? (p1 + g->nblock) * panel * sizeof(float) : g->packed_bytes;
      next_lines = (next_end - p1 * panel * sizeof(float) + 63) / 64;
      const size_t calls = g->mtiles * (p1 - p0);
      slice = (next_lines + calls - 1) / calls;
    }
    size_t p = p0;
    if (mr == 1 && uk->gemm1p) {
      /* the 1-row tile: up to MR full panels per call (independent FMA chains), the same
       * prefetch slices as the per-panel calls it replaces */
      const size_t full_end = g->half_last || g->n % nr ? g->panels - 1 : g->panels;
      const size_t pend = p1 < full_end ? p1 : full_end;
      while (p < pend) {
        const size_t np = pend - p < mrmax ? pend - p : mrmax;
        const size_t ci = mt * (p1 - p0) + (p - p0);
        const size_t first = ci * slice < next_lines ? ci * slice : next_lines;
        const size_t lines = next_lines - first < np * slice ? next_lines - first : np * slice;
        uk->gemm1p(np, g->k, g->a + m0 * g->as, g->packed + p * panel, panel, g->c + m0 * g->cs + p * nr,
                   g->r ? g->r + m0 * g->rs + p * nr : NULL, g->lo, g->hi, next + first * 64, lines);
        p += np;
      }
    }
    if (mr > 1 && uk->gemmp) { /* full panels of a taller tile: one call */
      const size_t full_end = g->half_last || g->n % nr ? g->panels - 1 : g->panels;
      const size_t pend = p1 < full_end ? p1 : full_end;
      if (pend > p) {
        const size_t ci = mt * (p1 - p0) + (p - p0);
        const size_t first = ci * slice < next_lines ? ci * slice : next_lines;
        const size_t lines = next_lines - first < (pend - p) * slice ? next_lines - first : (pend - p) * slice;
        uk->gemmp(mr, pend - p, g->k, g->a + m0 * g->as, g->as, g->packed + p * panel, panel,
                  g->c + m0 * g->cs + p * nr, g->cs, g->r ? g->r + m0 * g->rs + p * nr : NULL, g->rs, g->lo, g->hi,
                  next + first * 64, lines);
        p = pend;
      }
    }
    for (; p < p1; p++) {
      const size_t n0 = p * nr;
      const size_t nc = g->n - n0 < nr ? g->n - n0 : nr;
      const size_t ci = mt * (p1 - p0) + (p - p0);
      const size_t first = ci * slice < next_lines ? ci * slice : next_lines;
      const size_t lines = next_lines - first < slice ? next_lines - first : slice;
      (p + 1 == g->panels && g->half_last ? kernh : kern)(
          mr, nc, g->k, g->a + m0 * g->as, g->as, g->packed + p * panel, g->c + m0 * g->cs + n0, g->cs,
          g->r ? g->r + m0 * g->rs + n0 : NULL, g->rs, g->lo, g->hi, next + first * 64, lines);
    }
  }
}

void mna_f32_gemm_run(const mna_f32_ukernels* uk, size_t m, size_t n, size_t k, const float* a, size_t a_stride,
                      const float* packed, float* c, size_t c_stride, const float* r, size_t r_stride, float vmin,
                      float vmax, mna_threadpool* pool) {
  gemm_ctx g = {uk, m, n, k, a, a_stride, packed, c, c_stride, r, r_stride, vmin, vmax, 0, 0, 0, 0, 0, 0};
  g.prefetch_next = mna_gemm_prefetch_next;
  g.packed_bytes = mna_f32_gemm_packed_size(uk, n, k) * sizeof(float);
  g.half_last = last_panel_width(uk, n) != uk->nr;
  g.mtiles = (m + uk->mr - 1) / uk->mr;
  g.panels = (n + uk->nr - 1) / uk->nr;
  const size_t panel_bytes = (k + 1) * uk->nr * sizeof(float);
  size_t nblock = mna_gemm_block_bytes / panel_bytes;
  if (nblock < 1) nblock = 1;
  if (nblock > g.panels) nblock = g.panels;
  const size_t threads = (size_t)mna_threadpool_threads(pool);
  if (threads > 1)
    while (nblock > 1 && g.mtiles * ((g.panels + nblock - 1) / nblock) < 4 * threads) nblock = (nblock + 1) / 2;
  g.nblock = nblock;
  const size_t nblocks = (g.panels + nblock - 1) / nblock;
  mna_parallelize_1d(pool, gemm_units, &g, nblocks * g.mtiles);
}

mna_status mna_fast_f32_pwconv(const mna_f32_ukernels* uk, int64_t pixels, int32_t in_c, int32_t out_c,
                               const float* input, const float* weights, const float* bias, int32_t activation,
                               float* output, mna_threadpool* pool) {
  float* packed = mna_f32_gemm_pack(uk, (size_t)out_c, (size_t)in_c, weights, (size_t)in_c, bias);
  if (!packed)
    return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "mna_f32_pwconv: cannot allocate packed weights (%d x %d)", (int)out_c,
                         (int)in_c);
  float lo, hi;
  mna_act_bounds(activation, &lo, &hi);
  mna_f32_gemm_run(uk, (size_t)pixels, (size_t)out_c, (size_t)in_c, input, (size_t)in_c, packed, output, (size_t)out_c,
                   NULL, 0, lo, hi, pool);
  mna_aligned_free(packed);
  return MNA_OK;
}

/* ------------------------------------------------------ conv2d (row buffers) */

/* KxK convolution without im2col. The weights are packed with the reduction in (kx, ky, c)
 * order instead of the file's (ky, kx, c). For each output row the kernel_h input rows it
 * reads are interleaved column by column into a row buffer, B[x][ky][c] (x from -pad_left,
 * zero columns and rows for the padding), so that the kernel_w * kernel_h * in_c inputs of
 * output pixel ox are the contiguous floats at B + ox * stride_w * kernel_h * in_c: the row
 * is one GEMM whose A rows overlap, with lda = stride_w * kernel_h * in_c. Building B copies
 * about (in_w / (out_w * kernel_w)) of what im2col would (first MobileNet layer: 2034 floats
 * per output row instead of 3024, written as 3-float runs instead of 21 memcpy calls per
 * 7 pixels). */
float* mna_f32_conv_pack(const mna_f32_ukernels* uk, size_t out_c, size_t kh, size_t kw, size_t ic, const float* w,
                         const float* bias) {
  const size_t K = kh * kw * ic;
  float* t = (float*)malloc(out_c * K * sizeof(float));
  if (!t) return NULL;
  for (size_t o = 0; o < out_c; o++)
    for (size_t ky = 0; ky < kh; ky++)
      for (size_t kx = 0; kx < kw; kx++)
        memcpy(t + o * K + (kx * kh + ky) * ic, w + o * K + (ky * kw + kx) * ic, ic * sizeof(float));
  float* packed = mna_f32_gemm_pack(uk, out_c, K, t, K, bias);
  free(t);
  return packed;
}

typedef struct {
  const mna_f32_ukernels* uk;
  const mna_conv2d_params* p;
  size_t out_h, out_w, kdim, bcols;
  const float* input;
  const float* packed;
  float* output;
  float lo, hi;
  int failed;
  size_t band_rows; /* conv_bands: rows per unit */
} conv_ctx;

static void conv_rows(void* vctx, size_t begin, size_t end) {
  conv_ctx* cc = (conv_ctx*)vctx;
  const mna_conv2d_params* p = cc->p;
  const size_t kh = (size_t)p->kernel_h, ic = (size_t)p->in_c, oc = (size_t)p->out_c;
  const size_t in_h = (size_t)p->in_h, in_w = (size_t)p->in_w, colf = kh * ic, bcols = cc->bcols;
  float* buf = (float*)mna_scratch(MNA_SCRATCH_CONV, bcols * colf * sizeof(float));
  if (!buf) {
    __atomic_store_n(&cc->failed, 1, __ATOMIC_RELAXED);
    return;
  }
  /* buffer columns that hold image columns: [x_lo, x_hi); the rest are padding (zeros) */
  const size_t x_lo = (size_t)p->pad_left < bcols ? (size_t)p->pad_left : bcols;
  const size_t x_hi = (size_t)p->pad_left + in_w < bcols ? (size_t)p->pad_left + in_w : bcols;
  for (size_t row = begin; row < end; row++) {
    const size_t n = row / cc->out_h, oy = row % cc->out_h;
    const ptrdiff_t iy0 = (ptrdiff_t)(oy * (size_t)p->stride_h) - p->pad_top;
    if (x_lo > 0) memset(buf, 0, x_lo * colf * sizeof(float));
    if (x_hi < bcols) memset(buf + x_hi * colf, 0, (bcols - x_hi) * colf * sizeof(float));
    for (size_t ky = 0; ky < kh; ky++) {
      const ptrdiff_t iy = iy0 + (ptrdiff_t)ky;
      float* d = buf + x_lo * colf + ky * ic;
      if (iy < 0 || iy >= (ptrdiff_t)in_h) {
        for (size_t x = x_lo; x < x_hi; x++, d += colf) memset(d, 0, ic * sizeof(float));
        continue;
      }
      const float* src = cc->input + ((n * in_h + (size_t)iy) * in_w + (x_lo - (size_t)p->pad_left)) * ic;
      if (ic == 3) { /* RGB input (the first layer): fixed-size moves */
        for (size_t x = x_lo; x < x_hi; x++, d += colf, src += 3) d[0] = src[0], d[1] = src[1], d[2] = src[2];
      } else {
        for (size_t x = x_lo; x < x_hi; x++, d += colf, src += ic) memcpy(d, src, ic * sizeof(float));
      }
    }
    float* out = cc->output + (n * cc->out_h + oy) * cc->out_w * oc;
    mna_f32_gemm_run(cc->uk, cc->out_w, oc, cc->kdim, buf, (size_t)p->stride_w * colf, cc->packed, out, oc, NULL, 0,
                     cc->lo, cc->hi, NULL);
  }
}

static void conv_bands(void* vctx, size_t begin, size_t end) {
  conv_ctx* cc = (conv_ctx*)vctx;
  const size_t rows = (size_t)cc->p->batch * cc->out_h;
  for (size_t b = begin; b < end; b++) {
    const size_t r0 = b * cc->band_rows, r1 = r0 + cc->band_rows < rows ? r0 + cc->band_rows : rows;
    conv_rows(cc, r0, r1);
  }
}

mna_status mna_fast_f32_conv2d_packed(const mna_f32_ukernels* uk, const mna_conv2d_params* p, int32_t out_h,
                                      int32_t out_w, const float* input, const float* packed, float* output,
                                      mna_threadpool* pool) {
  float lo, hi;
  mna_act_bounds(p->activation, &lo, &hi);
  const size_t K = (size_t)p->kernel_h * (size_t)p->kernel_w * (size_t)p->in_c;
  if (p->kernel_h == 1 && p->kernel_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
      p->pad_left == 0 && p->pad_bottom == 0 && p->pad_right == 0) {
    mna_f32_gemm_run(uk, (size_t)p->batch * (size_t)out_h * (size_t)out_w, (size_t)p->out_c, K, input, K, packed,
                     output, (size_t)p->out_c, NULL, 0, lo, hi, pool);
    return MNA_OK;
  }
  conv_ctx cc = {uk, p, (size_t)out_h, (size_t)out_w, K, 0, input, packed, output, lo, hi, 0, 0};
  /* columns -pad_left .. (out_w - 1) * stride_w + kernel_w - 1 - pad_left */
  cc.bcols = ((size_t)out_w - 1) * (size_t)p->stride_w + (size_t)p->kernel_w;
  const size_t threads = (size_t)mna_threadpool_threads(pool), rows = (size_t)p->batch * (size_t)out_h;
  if (threads > 1 && rows >= 4 * threads) {
    /* one band of rows per thread, each on the thread that runs the same band of the next fused
     * block (mna_parallelize_affine): the block reads its rows from its own core's cache */
    cc.band_rows = (rows + threads - 1) / threads;
    mna_parallelize_affine(pool, conv_bands, &cc, (rows + cc.band_rows - 1) / cc.band_rows);
  } else {
    mna_parallelize_1d(pool, conv_rows, &cc, rows);
  }
  if (cc.failed) return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "mna_f32_conv2d: cannot allocate a row buffer");
  return MNA_OK;
}

mna_status mna_fast_f32_conv2d(const mna_f32_ukernels* uk, const mna_conv2d_params* p, int32_t out_h, int32_t out_w,
                               const float* input, const float* weights, const float* bias, float* output,
                               mna_threadpool* pool) {
  const size_t K = (size_t)p->kernel_h * (size_t)p->kernel_w * (size_t)p->in_c;
  float* packed =
      mna_f32_conv_pack(uk, (size_t)p->out_c, (size_t)p->kernel_h, (size_t)p->kernel_w, (size_t)p->in_c, weights, bias);
  if (!packed)
    return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "mna_f32_conv2d: cannot allocate packed weights (%d x %zu)",
                         (int)p->out_c, K);
  const mna_status s = mna_fast_f32_conv2d_packed(uk, p, out_h, out_w, input, packed, output, pool);
  mna_aligned_free(packed);
  return s;
}

/* --------------------------------------------------------------- depthwise 3x3 */

typedef struct {
  const mna_f32_ukernels* uk;
  const mna_conv2d_params* p;
  size_t out_h, out_w;
  const float *input, *weights, *bias, *zero;
  float* output;
  float lo, hi;
} dw_ctx;

static void dw_rows(void* vctx, size_t begin, size_t end) {
  const dw_ctx* d = (const dw_ctx*)vctx;
  const mna_conv2d_params* p = d->p;
  const size_t c = (size_t)p->in_c, in_h = (size_t)p->in_h, in_w = (size_t)p->in_w;
  for (size_t row = begin; row < end; row++) {
    const size_t n = row / d->out_h, oy = row % d->out_h;
    const float* rows[3];
    for (size_t ky = 0; ky < 3; ky++) {
      const ptrdiff_t iy = (ptrdiff_t)(oy * (size_t)p->stride_h) - p->pad_top + (ptrdiff_t)ky;
      rows[ky] = iy < 0 || iy >= (ptrdiff_t)in_h ? d->zero : d->input + ((n * in_h + (size_t)iy) * in_w) * c;
    }
    d->uk->dw3x3(rows, in_w, c, (size_t)p->stride_w, (size_t)p->pad_left, d->out_w, d->weights, d->bias,
                 d->output + (n * d->out_h + oy) * d->out_w * c, d->lo, d->hi);
  }
}

mna_status mna_fast_f32_dwconv2d(const mna_f32_ukernels* uk, const mna_conv2d_params* p, int32_t out_h, int32_t out_w,
                                 const float* input, const float* weights, const float* bias, float* output,
                                 mna_threadpool* pool) {
  if (p->kernel_h != 3 || p->kernel_w != 3 || p->stride_h != p->stride_w || (p->stride_h != 1 && p->stride_h != 2))
    return MNA_ERR_UNSUPPORTED;
  /* the right padding is implied by out_w: columns past in_w are skipped as zeros */
  const float* zero = (const float*)mna_scratch(MNA_SCRATCH_ZERO, (size_t)p->in_w * (size_t)p->in_c * sizeof(float));
  if (!zero) return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "mna_f32_dwconv2d: cannot allocate a zero row");
  dw_ctx d = {uk, p, (size_t)out_h, (size_t)out_w, input, weights, bias, zero, output, 0, 0};
  mna_act_bounds(p->activation, &d.lo, &d.hi);
  mna_parallelize_1d(pool, dw_rows, &d, (size_t)p->batch * (size_t)out_h);
  return MNA_OK;
}

/* -------------------------------------------------------------- global avgpool */

typedef struct {
  const mna_f32_ukernels* uk;
  size_t pixels, c;
  const float* input;
  float* output;
} gavg_ctx;

static void gavg_images(void* vctx, size_t begin, size_t end) {
  const gavg_ctx* g = (const gavg_ctx*)vctx;
  for (size_t n = begin; n < end; n++)
    g->uk->gavg(g->pixels, g->c, g->input + n * g->pixels * g->c, 1.0f / (float)g->pixels, g->output + n * g->c);
}

mna_status mna_fast_f32_global_avgpool(const mna_f32_ukernels* uk, int32_t batch, int32_t h, int32_t w, int32_t c,
                                       const float* input, float* output, mna_threadpool* pool) {
  gavg_ctx g = {uk, (size_t)h * (size_t)w, (size_t)c, input, output};
  mna_parallelize_1d(pool, gavg_images, &g, (size_t)batch);
  return MNA_OK;
}

/* ------------------------------------------------------------- fully connected */

#define MNA_FC_CHUNK 64 /* outputs per parallel unit (a multiple of 4) */

typedef struct {
  const mna_f32_ukernels* uk;
  size_t in_n, out_n, chunks;
  const float *input, *weights, *bias;
  float* output;
  float lo, hi;
} fc_ctx;

static void fc_units(void* vctx, size_t begin, size_t end) {
  const fc_ctx* f = (const fc_ctx*)vctx;
  for (size_t u = begin; u < end; u++) {
    const size_t b = u / f->chunks, n0 = (u % f->chunks) * MNA_FC_CHUNK;
    const size_t nc = f->out_n - n0 < MNA_FC_CHUNK ? f->out_n - n0 : MNA_FC_CHUNK;
    f->uk->gemv(nc, f->in_n, f->input + b * f->in_n, f->weights + n0 * f->in_n, f->bias ? f->bias + n0 : NULL,
                f->output + b * f->out_n + n0, f->lo, f->hi);
  }
}

mna_status mna_fast_f32_fully_connected(const mna_f32_ukernels* uk, int32_t batch, int32_t in_n, int32_t out_n,
                                        const float* input, const float* weights, const float* bias, int32_t activation,
                                        float* output, mna_threadpool* pool) {
  if (batch > 4) /* enough rows to amortise packing: GEMM */
    return mna_fast_f32_pwconv(uk, batch, in_n, out_n, input, weights, bias, activation, output, pool);
  fc_ctx f = {uk,
              (size_t)in_n,
              (size_t)out_n,
              ((size_t)out_n + MNA_FC_CHUNK - 1) / MNA_FC_CHUNK,
              input,
              weights,
              bias,
              output,
              0,
              0};
  mna_act_bounds(activation, &f.lo, &f.hi);
  mna_parallelize_1d(pool, fc_units, &f, (size_t)batch * f.chunks);
  return MNA_OK;
}
