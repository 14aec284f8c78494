/* Microkernels per ISA and the ISA-independent drivers that run them.
 *
 * Every SIMD table (scalar, avx2, avx512, neon) provides one mna_f32_ukernels set; the
 * drivers in src/common/fast.c (compiled with the baseline flags) do the tiling, packing,
 * padding and threading and call the set's function pointers. Each ukernel file is compiled
 * with its ISA's flags only (see CMakeLists.txt).
 *
 * Numerics: each output element is produced by exactly one ukernel call, with the same
 * accumulation order whatever the thread count or the tile it falls in, so every fast path
 * is bit-identical for any number of threads. */
#ifndef MNA_UKERNELS_H
#define MNA_UKERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "mna.h"

/* GEMM microkernel: C[mr][nc] = clamp(bias + A[mr][kc] * W, min, max) (+ R[mr][nc]).
 *  a: mr rows of kc floats, row stride a_stride (elements);
 *  w: one packed panel: NR bias values, then kc groups of NR weights (zero-padded columns);
 *  c: mr rows, stride c_stride; only the first nc (1..NR) columns are written;
 *  r: NULL or mr residual rows (stride r_stride) added after the clamp;
 *  pf, pf_lines: cache lines to request into L2 while this tile computes (pf_lines 64-byte
 *  lines from pf, spread over the k loop; 0 = none): the driver passes slices of the weights
 *  the next column block will need, so that they are not fetched from L3 on demand.
 * 1 <= mr <= MR. Per element: acc = bias; acc = fma(a[k], w[k], acc) for k ascending. */
typedef void (*mna_f32_gemm_ukernel)(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                                     float* c, size_t c_stride, const float* r, size_t r_stride, float vmin, float vmax,
                                     const void* pf, size_t pf_lines);

/* One-row GEMM over np (1..MR) full NR-wide panels: for q < np, C[q*NR .. q*NR+NR) =
 * clamp(A[0][kc] * panel q) (+ R[q*NR ..]), panel q at w + q * w_stride (floats). Per element the
 * same order as the GEMM microkernel, so the row is bit-identical to it; pf, pf_lines as there. */
typedef void (*mna_f32_gemm_row_ukernel)(size_t np, size_t kc, const float* a, const float* w, size_t w_stride,
                                         float* c, const float* r, float vmin, float vmax, const void* pf,
                                         size_t pf_lines);

/* The GEMM microkernel over np full NR-wide panels (panel q at w + q * w_stride floats, output and
 * residual columns q * NR): the same result as np calls, with the prefetch lines spread over them. */
typedef void (*mna_f32_gemm_multi_ukernel)(size_t mr, size_t np, size_t kc, const float* a, size_t a_stride,
                                           const float* w, size_t w_stride, float* c, size_t c_stride, const float* r,
                                           size_t r_stride, float vmin, float vmax, const void* pf, size_t pf_lines);

/* One output row of a 3x3 depthwise convolution (stride 1 or 2), NHWC, channels c.
 *  rows[3]: input rows iy0, iy0+1, iy0+2 (in_w*c floats each; a zero row where out of image);
 *  pad_left: columns of zeros left of the image (the right padding is implied by out_w);
 *  w [9][c], bias [c] or NULL; out: out_w*c floats.
 * Per element: acc = bias; acc = fma(x, w, acc) over taps (ky, kx) ascending, skipping
 * taps outside the image columns; then clamp. */
typedef void (*mna_f32_dw3x3_ukernel)(const float* const* rows, size_t in_w, size_t c, size_t stride, size_t pad_left,
                                      size_t out_w, const float* w, const float* bias, float* out, float vmin,
                                      float vmax);

/* Sum over `pixels` rows of c floats (row stride c), times scale: out[c]. */
typedef void (*mna_f32_gavg_ukernel)(size_t pixels, size_t c, const float* x, float scale, float* out);

/* GEMV on unpacked weights: y[n] = clamp(bias[n] + dot(x[0..k), w[n][0..k))) for n in [0, nc). */
typedef void (*mna_f32_gemv_ukernel)(size_t nc, size_t k, const float* x, const float* w, const float* bias, float* y,
                                     float vmin, float vmax);

typedef struct mna_f32_ukernels {
  const char* name;            /* "avx512", ... */
  size_t mr, nr;               /* GEMM tile */
  mna_f32_gemm_ukernel gemm;   /* MR x NR */
  mna_f32_gemm_ukernel gemm1;  /* 1 x NR (mr must be 1) */
  mna_f32_gemm_ukernel gemmh;  /* MR x NR/2: the last panel when N % NR is in [1, NR/2] */
  mna_f32_gemm_ukernel gemmh1; /* 1 x NR/2 */
  mna_f32_dw3x3_ukernel dw3x3;
  mna_f32_gavg_ukernel gavg;
  mna_f32_gemv_ukernel gemv;
  mna_f32_gemm_row_ukernel gemm1p;  /* 1 x (up to MR panels): the 1-row remainder tile */
  mna_f32_gemm_multi_ukernel gemmp; /* MR x NR over several full panels */
} mna_f32_ukernels;

extern const mna_f32_ukernels mna_f32_ukernels_scalar;
#if defined(__x86_64__) || defined(_M_X64)
extern const mna_f32_ukernels mna_f32_ukernels_avx2;
extern const mna_f32_ukernels mna_f32_ukernels_avx512;
#endif
#if defined(__aarch64__)
extern const mna_f32_ukernels mna_f32_ukernels_neon;
#endif

/* The microkernel set of the selected table (NULL for the reference table). */
const mna_f32_ukernels* mna_active_ukernels(void);

/* ---- drivers (src/common/fast.c) ---- */

/* Packed GEMM weights for W[n][k] (row stride ldw) and bias[n] (NULL: zero):
 * ceil(n/NR) panels of (1 + k) * NR floats, except that the last panel is NR/2 wide when
 * N % NR is in [1, NR/2] (run by the half-width kernel: no FMAs on padding beyond NR/2). Returns a 64-byte-aligned buffer (free with mna_aligned_free). */
float* mna_f32_gemm_pack(const mna_f32_ukernels* uk, size_t n, size_t k, const float* w, size_t ldw, const float* bias);
size_t mna_f32_gemm_packed_size(const mna_f32_ukernels* uk, size_t n, size_t k);
void* mna_aligned_alloc(size_t bytes);
/* Per-thread scratch (64-byte aligned, kept between calls; NULL if out of memory). The
 * MNA_SCRATCH_ZERO slot is all zeros and must never be written. */
enum {
  MNA_SCRATCH_RING = 0,
  MNA_SCRATCH_EXPANDED = 1,
  MNA_SCRATCH_DW = 2,
  MNA_SCRATCH_ZERO = 3,
  MNA_SCRATCH_CONV = 4,
  MNA_SCRATCH_SLOTS = 5
};
void* mna_scratch(int slot, size_t bytes);
void mna_aligned_free(void* p);

/* C[m][n] = clamp(A W + bias) (+ R), threaded over (pixel tiles x column blocks) on pool. */
void mna_f32_gemm_run(const mna_f32_ukernels* uk, size_t m, size_t n, size_t k, const float* a, size_t a_stride,
                      const float* packed, float* c, size_t c_stride, const float* r, size_t r_stride, float vmin,
                      float vmax, mna_threadpool* pool);

void mna_act_bounds(int32_t act, float* vmin, float* vmax);

/* Table entries built on a ukernel set (fast.c). */
mna_status mna_fast_f32_pwconv(const mna_f32_ukernels* uk, int64_t pixels, int32_t in_c, int32_t out_c,
                               const float* input, const float* weights, const float* bias, int32_t activation,
                               float* output, mna_threadpool* pool);
/* KxK conv weights [out_c][kh][kw][ic] packed for mna_fast_f32_conv2d_packed (reduction in
 * (kx, ky, c) order; see fast.c). NULL when out of memory. */
float* mna_f32_conv_pack(const mna_f32_ukernels* uk, size_t out_c, size_t kh, size_t kw, size_t ic, const float* w,
                         const float* bias);
mna_status mna_fast_f32_conv2d(const mna_f32_ukernels* uk, const mna_conv2d_params* p, int32_t out_h, int32_t out_w,
                               const float* input, const float* weights, const float* bias, float* output,
                               mna_threadpool* pool);
mna_status mna_fast_f32_dwconv2d(const mna_f32_ukernels* uk, const mna_conv2d_params* p, int32_t out_h, int32_t out_w,
                                 const float* input, const float* weights, const float* bias, float* output,
                                 mna_threadpool* pool);
mna_status mna_fast_f32_global_avgpool(const mna_f32_ukernels* uk, int32_t batch, int32_t h, int32_t w, int32_t c,
                                       const float* input, float* output, mna_threadpool* pool);
mna_status mna_fast_f32_fully_connected(const mna_f32_ukernels* uk, int32_t batch, int32_t in_n, int32_t out_n,
                                        const float* input, const float* weights, const float* bias, int32_t activation,
                                        float* output, mna_threadpool* pool);
mna_status mna_fast_f32_irb(const mna_f32_ukernels* uk, const mna_irb_params* p, int32_t out_h, int32_t out_w,
                            const float* input, const float* expand_w, const float* expand_b, const float* dw_w,
                            const float* dw_b, const float* project_w, const float* project_b, float* output,
                            mna_threadpool* pool);

/* IRB with pre-packed expand/project panels (expand_packed NULL when hidden_c == 0). */
mna_status mna_fast_f32_irb_packed(const mna_f32_ukernels* uk, const mna_irb_params* p, int32_t out_h, int32_t out_w,
                                   const float* input, const float* expand_packed, const float* dw_w, const float* dw_b,
                                   const float* project_packed, float* output, mna_threadpool* pool);
mna_status mna_fast_f32_conv2d_packed(const mna_f32_ukernels* uk, const mna_conv2d_params* p, int32_t out_h,
                                      int32_t out_w, const float* input, const float* packed, float* output,
                                      mna_threadpool* pool);

/* Fused-block path selection (f32-irb-rowring.c): auto, or forced for benchmarks and tests (LAYERS_BATCH:
 * layer by layer over the whole batch, never image by image; BANDS: layer by layer inside one band of output
 * rows per thread). */
enum {
  MNA_IRB_MODE_AUTO = 0,
  MNA_IRB_MODE_ROWS = 1,
  MNA_IRB_MODE_LAYERS = 2,
  MNA_IRB_MODE_LAYERS_BATCH = 3,
  MNA_IRB_MODE_BANDS = 4
};
extern int mna_irb_mode_override;
/* Automatic path: bands of rows per thread for one image (1, the default) or never (0), for benchmarks. */
extern int mna_irb_bands;
/* Row path: several output rows per step where that fills the GEMM tiles better (1, the default) or one (0). */
extern int mna_irb_multirow;
/* GEMM driver: prefetch the next column block's weights during this one (1, the default), for benchmarks. */
extern int mna_gemm_prefetch_next;
/* GEMM driver: bytes of packed weights per column block (default MNA_GEMM_BLOCK_BYTES), for benchmarks. */
extern size_t mna_gemm_block_bytes;

#endif
