/* ISA-independent drivers of the integer kernels: weight packing (the one place the zero-point algebra is
 * written), GEMM tiling and threading, im2col convolution, depthwise indirection rows. They call the
 * microkernels of one mna_q8_ukernels set (see common/q8-ukernels.h). */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "common/q8-ukernels.h"
#include "common/threadpool.h"
#include "common/ukernels.h"

/* Bytes of packed weights one GEMM column block holds (kept in L2 while row tiles stream past). */
#define MNA_Q8_BLOCK_BYTES (256u * 1024u)

static int32_t wload(const void* w, size_t i, int sgn) {
  return sgn ? (int32_t)((const int8_t*)w)[i] : (int32_t)((const uint8_t*)w)[i];
}

/* int64 -> int32 modulo 2^32 (the packed terms are exact modulo 2^32; see q8-ukernels.h). */
static int32_t wrap32(int64_t v) { return (int32_t)(uint32_t)(uint64_t)v; }

size_t mna_q8_gemm_panel_bytes(const mna_q8_ukernels* uk, size_t k) { return uk->nr * 8 + ((k + 3) / 4) * uk->nr * 4; }

/* Width of the last panel: NR/2 when the set has half-width kernels and N % NR is in [1, NR/2], else NR. */
static size_t last_panel_width(const mna_q8_ukernels* uk, size_t n) {
  const size_t rem = n % uk->nr;
  return uk->gemmh && rem != 0 && rem <= uk->nr / 2 ? uk->nr / 2 : uk->nr;
}

void* mna_q8_gemm_pack(const mna_q8_ukernels* uk, size_t n, size_t k, const void* w, size_t ldw, int wsgn, int32_t zw,
                       int xsgn, int32_t zx, const int32_t* bias, const float* scales, size_t scales_len,
                       int32_t* dv_out) {
  const size_t panels = (n + uk->nr - 1) / uk->nr, pb = mna_q8_gemm_panel_bytes(uk, k);
  /* v = w - zw when that fits int8 for every weight (no per-pixel term: int8 weights with zw = 0 always do),
   * else v = w - 128 (uint8) or v = w (int8) with the per-pixel coefficient dv = voff - zw of sum u. */
  int fits = 1;
  for (size_t j = 0; j < n && fits; j++)
    for (size_t i = 0; i < k; i++) {
      const int32_t d = wload(w, j * ldw + i, wsgn) - zw;
      if (d < -128 || d > 127) {
        fits = 0;
        break;
      }
    }
  const int32_t voff = fits ? zw : (wsgn ? 0 : 128); /* v = w - voff, always int8 */
  const int32_t dv = voff - zw;                      /* (w - zw) = v + dv */
  const int32_t zu = xsgn ? zx + 128 : zx;           /* u = x (+128 for int8 input): (x - zx) = (u - zu) */
  uint8_t* out = (uint8_t*)mna_aligned_alloc(panels * pb);
  if (!out) return NULL;
  memset(out, 0, panels * pb);
  for (size_t p = 0; p < panels; p++) {
    const size_t nr = p + 1 == panels ? last_panel_width(uk, n) : uk->nr; /* this panel's width */
    uint8_t* panel = out + p * pb;
    int32_t* pbias = (int32_t*)panel;
    float* pscale = (float*)(panel + nr * 4);
    int8_t* pw = (int8_t*)(panel + nr * 8);
    for (size_t jj = 0; jj < nr; jj++) {
      const size_t j = p * uk->nr + jj;
      if (j >= n) break;
      int64_t sumv = 0;
      for (size_t i = 0; i < k; i++) {
        const int32_t v = wload(w, j * ldw + i, wsgn) - voff;
        pw[(i / 4) * nr * 4 + jj * 4 + (i % 4)] = (int8_t)v;
        sumv += v;
      }
      /* acc = b + sum (u - zu)(v + dv) = b - zu*sum v - zu*dv*k + sum u*v + dv*sum u; a signed-dot kernel
       * computes sum (u - 128) v = sum u*v - 128 sum v, so its bias carries + 128 sum v */
      pbias[jj] = wrap32((int64_t)(bias ? bias[j] : 0) - (int64_t)zu * sumv - (int64_t)zu * dv * (int64_t)k +
                         (uk->signed_dot ? 128 * sumv : 0));
      pscale[jj] = scales[scales_len == 1 ? 0 : j];
    }
  }
  *dv_out = dv;
  return out;
}

typedef struct {
  const mna_q8_ukernels* uk;
  size_t m, n, k, tiles, panels_per_block;
  const uint8_t* a;
  size_t a_stride;
  int xsgn;
  int32_t dv;
  const uint8_t* packed;
  size_t pb;
  uint8_t* c;
  size_t c_stride;
  const mna_q8_rq* rq;
} q8_gemm_ctx;

static void q8_gemm_tile(const q8_gemm_ctx* g, size_t tile, size_t p0, size_t p1) {
  const mna_q8_ukernels* uk = g->uk;
  const size_t m0 = tile * uk->mr, mr = g->m - m0 < uk->mr ? g->m - m0 : uk->mr;
  const uint8_t* a = g->a + m0 * g->a_stride;
  int32_t rowterm[16];
  const int32_t* rt = NULL;
  if (g->dv != 0) {
    uk->rowsum(mr, g->k, a, g->a_stride, g->xsgn, g->dv, rowterm);
    rt = rowterm;
  }
  const size_t panels = (g->n + uk->nr - 1) / uk->nr;
  const int half = last_panel_width(uk, g->n) != uk->nr;
  for (size_t p = p0; p < p1; p++) {
    const size_t n0 = p * uk->nr, nc = g->n - n0 < uk->nr ? g->n - n0 : uk->nr;
    const mna_q8_gemm_ukernel fn =
        half && p + 1 == panels ? (g->xsgn ? uk->gemmh_x : uk->gemmh) : (g->xsgn ? uk->gemm_x : uk->gemm);
    fn(mr, nc, g->k, a, g->a_stride, g->packed + p * g->pb, g->c + m0 * g->c_stride + n0, g->c_stride, rt, g->rq);
  }
}

static void q8_gemm_units(void* vctx, size_t begin, size_t end) {
  const q8_gemm_ctx* g = (const q8_gemm_ctx*)vctx;
  const size_t panels = (g->n + g->uk->nr - 1) / g->uk->nr;
  for (size_t u = begin; u < end; u++) {
    const size_t block = u / g->tiles, tile = u % g->tiles;
    const size_t p0 = block * g->panels_per_block;
    const size_t p1 = p0 + g->panels_per_block < panels ? p0 + g->panels_per_block : panels;
    q8_gemm_tile(g, tile, p0, p1);
  }
}

void mna_q8_gemm_run(const mna_q8_ukernels* uk, size_t m, size_t n, size_t k, const uint8_t* a, size_t a_stride,
                     int xsgn, int32_t dv, const void* packed, uint8_t* c, size_t c_stride, const mna_q8_rq* rq,
                     mna_threadpool* pool) {
  const size_t pb = mna_q8_gemm_panel_bytes(uk, k), panels = (n + uk->nr - 1) / uk->nr;
  size_t ppb = MNA_Q8_BLOCK_BYTES / pb;
  if (ppb < 1) ppb = 1;
  if (ppb > panels) ppb = panels;
  const size_t tiles = (m + uk->mr - 1) / uk->mr, blocks = (panels + ppb - 1) / ppb;
  q8_gemm_ctx g = {uk, m, n, k, tiles, ppb, a, a_stride, xsgn, dv, (const uint8_t*)packed, pb, c, c_stride, rq};
  /* one row tile and few blocks (fully connected): split the columns instead, one panel per unit */
  if (tiles == 1 && blocks < (size_t)mna_threadpool_threads(pool) * 2 && panels > 1) {
    g.panels_per_block = 1;
    mna_parallelize_1d(pool, q8_gemm_units, &g, panels);
    return;
  }
  mna_parallelize_1d(pool, q8_gemm_units, &g, tiles * blocks);
}

void* mna_q8_dw_pack(size_t c, size_t ntaps, const void* w, int wsgn, int32_t zw, int32_t zx, const int32_t* bias,
                     const float* scales, size_t scales_len) {
  const size_t cb = MNA_Q8_DW_CB, blocks = (c + cb - 1) / cb, bb = cb * 8 + ntaps * cb * 4;
  uint8_t* out = (uint8_t*)mna_aligned_alloc(blocks * bb);
  if (!out) return NULL;
  memset(out, 0, blocks * bb);
  for (size_t b = 0; b < blocks; b++) {
    int32_t* pbias = (int32_t*)(out + b * bb);
    float* pscale = (float*)(pbias + cb);
    int32_t* pw = (int32_t*)(pscale + cb);
    for (size_t jj = 0; jj < cb; jj++) {
      const size_t j = b * cb + jj;
      if (j >= c) break;
      int64_t sumw = 0;
      for (size_t t = 0; t < ntaps; t++) {
        const int32_t v = wload(w, t * c + j, wsgn) - zw;
        pw[t * cb + jj] = (int32_t)(uint16_t)(int16_t)v; /* low half: v; high half: 0 */
        sumw += v;
      }
      /* acc = b + sum (x - zx) v over the taps, out-of-image taps reading x = zx */
      pbias[jj] = wrap32((int64_t)(bias ? bias[j] : 0) - (int64_t)zx * sumw);
      pscale[jj] = scales[scales_len == 1 ? 0 : j];
    }
  }
  return out;
}

void mna_q8_avgpool_channels(int sgn, const mna_conv2d_params* p, int32_t out_h, int32_t out_w, int32_t mn, int32_t mx,
                             const void* input, void* output) {
  enum { CHUNK = 256 };
  int32_t sum[CHUNK];
  const int64_t c_n = p->in_c;
  for (int32_t n = 0; n < p->batch; n++)
    for (int32_t oy = 0; oy < out_h; oy++)
      for (int32_t ox = 0; ox < out_w; ox++)
        for (int64_t c0 = 0; c0 < c_n; c0 += CHUNK) {
          const int64_t cn = c_n - c0 < CHUNK ? c_n - c0 : CHUNK;
          for (int64_t j = 0; j < cn; j++) sum[j] = 0;
          int32_t count = 0;
          for (int32_t ky = 0; ky < p->kernel_h; ky++) {
            const int64_t iy = (int64_t)oy * p->stride_h - p->pad_top + ky;
            if (iy < 0 || iy >= p->in_h) continue;
            for (int32_t kx = 0; kx < p->kernel_w; kx++) {
              const int64_t ix = (int64_t)ox * p->stride_w - p->pad_left + kx;
              if (ix < 0 || ix >= p->in_w) continue;
              const int64_t base = (((int64_t)n * p->in_h + iy) * p->in_w + ix) * c_n + c0;
              if (sgn)
                for (int64_t j = 0; j < cn; j++) sum[j] += ((const int8_t*)input)[base + j];
              else
                for (int64_t j = 0; j < cn; j++) sum[j] += ((const uint8_t*)input)[base + j];
              count++;
            }
          }
          const int64_t obase = (((int64_t)n * out_h + oy) * out_w + ox) * c_n + c0;
          for (int64_t j = 0; j < cn; j++) {
            const int32_t s = sum[j];
            int32_t avg = s >= 0 ? (s + count / 2) / count : (s - count / 2) / count;
            avg = avg < mn ? mn : (avg > mx ? mx : avg);
            ((uint8_t*)output)[obase + j] = (uint8_t)avg;
          }
        }
}

mna_q8_add_params mna_q8_add_params_of(const mna_quant_eltwise_params* q) {
  const mna_q8_add_params ap = {q->a_scale / q->output_scale,
                                q->b_scale / q->output_scale,
                                (float)(q->output_min - q->output_zero_point),
                                (float)(q->output_max - q->output_zero_point),
                                q->a_zero_point,
                                q->b_zero_point,
                                q->output_zero_point};
  return ap;
}
