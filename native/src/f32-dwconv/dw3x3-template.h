/* 3x3 depthwise row microkernel template (see mna_f32_dw3x3_ukernel in common/ukernels.h).
 * Before including: a simd/simd-*.h header and DW_FN. Channel-tiled: for each block of VLEN
 * channels the 9 taps and the bias stay in registers while the row is swept; the columns
 * whose window lies inside the image run a branch-free body (one per stride), only the
 * (at most 2) edge columns on each side take the bounds-checked path. */
#include <stddef.h>

/* DW_COLUMN_GROUPS (set by a kernel file before including): rows of at most MNA_DW_COLS
 * channels run the column-group interior (DW_COLS below). Compile-time knob: -DMNA_DW_COLS=0
 * turns it off; 160 measured on the development machine. */
#ifndef MNA_DW_COLS
#  define MNA_DW_COLS 160
#endif
#if defined(DW_COLUMN_GROUPS) && MNA_DW_COLS > 0
#  define DW_COLS_MAX_C MNA_DW_COLS
#endif

#define DW_CAT2(a, b) a##b
#define DW_CAT(a, b) DW_CAT2(a, b)
#define DW_LD DW_CAT(DW_FN, _ld)
#define DW_BLOCK DW_CAT(DW_FN, _block)

static inline __attribute__((always_inline)) v_t DW_LD(const float* p, size_t n, int full) {
  return full ? VLOAD(p) : vload_partial(p, n);
}

static inline __attribute__((always_inline)) void DW_BLOCK(const float* const* rows, size_t in_w, size_t c,
                                                           size_t stride, size_t pad_left, size_t out_w, size_t ox_lo,
                                                           size_t ox_hi, size_t cb, size_t n, int full, int interior,
                                                           const float* w, const float* bias, float* out, v_t lo,
                                                           v_t hi) {
  v_t k[9];
  for (size_t t = 0; t < 9; t++) k[t] = DW_LD(w + t * c + cb, n, full);
  const v_t b = bias ? DW_LD(bias + cb, n, full) : VZERO();
  const float* r0 = rows[0] + cb;
  const float* r1 = rows[1] + cb;
  const float* r2 = rows[2] + cb;
  float* o = out + cb;
  /* edges: bounds-checked */
  for (size_t ox = 0; ox < out_w; ox++) {
    if (ox == ox_lo) {
      ox = ox_hi; /* skip the interior */
      if (ox >= out_w) break;
    }
    v_t acc = b;
    const ptrdiff_t ix0 = (ptrdiff_t)(ox * stride) - (ptrdiff_t)pad_left;
    for (size_t ky = 0; ky < 3; ky++) {
      const float* rr = ky == 0 ? r0 : ky == 1 ? r1 : r2;
      for (size_t kx = 0; kx < 3; kx++) {
        const ptrdiff_t ix = ix0 + (ptrdiff_t)kx;
        if (ix < 0 || ix >= (ptrdiff_t)in_w) continue;
        acc = VFMA(DW_LD(rr + (size_t)ix * c, n, full), k[ky * 3 + kx], acc);
      }
    }
    acc = VMIN(hi, VMAX(lo, acc));
    if (full)
      VSTORE(o + ox * c, acc);
    else
      vstore_partial(o + ox * c, acc, n);
  }
  /* interior: every tap inside the image. Four outputs at a time share the loaded input
   * columns (stride 1: 6 columns per row for 4 outputs instead of 12) and give the core four
   * independent FMA chains. Per element the taps still accumulate in (ky, kx) order. */
  if (interior && ox_lo < ox_hi) {
    const size_t step = stride * c;
    const float* x0 = r0 + (ox_lo * stride - pad_left) * c;
    const float* x1 = r1 + (ox_lo * stride - pad_left) * c;
    const float* x2 = r2 + (ox_lo * stride - pad_left) * c;
    float* op = o + ox_lo * c;
    size_t ox = ox_lo;
    for (; ox + 4 <= ox_hi; ox += 4) {
      v_t acc[4] = {b, b, b, b};
      const float* xr[3] = {x0, x1, x2};
#pragma GCC unroll 3
      for (size_t ky = 0; ky < 3; ky++) {
        v_t col[9];
#pragma GCC unroll 9
        for (size_t q = 0; q < 3 + 3 * stride; q++) col[q] = DW_LD(xr[ky] + q * c, n, full);
#pragma GCC unroll 4
        for (size_t j = 0; j < 4; j++)
#pragma GCC unroll 3
          for (size_t kx = 0; kx < 3; kx++) acc[j] = VFMA(col[j * stride + kx], k[ky * 3 + kx], acc[j]);
      }
#pragma GCC unroll 4
      for (size_t j = 0; j < 4; j++) {
        const v_t v = VMIN(hi, VMAX(lo, acc[j]));
        if (full)
          VSTORE(op + j * c, v);
        else
          vstore_partial(op + j * c, v, n);
      }
      x0 += 4 * step, x1 += 4 * step, x2 += 4 * step, op += 4 * c;
    }
    for (; ox < ox_hi; ox++) {
      v_t acc = b;
      acc = VFMA(DW_LD(x0, n, full), k[0], acc);
      acc = VFMA(DW_LD(x0 + c, n, full), k[1], acc);
      acc = VFMA(DW_LD(x0 + 2 * c, n, full), k[2], acc);
      acc = VFMA(DW_LD(x1, n, full), k[3], acc);
      acc = VFMA(DW_LD(x1 + c, n, full), k[4], acc);
      acc = VFMA(DW_LD(x1 + 2 * c, n, full), k[5], acc);
      acc = VFMA(DW_LD(x2, n, full), k[6], acc);
      acc = VFMA(DW_LD(x2 + c, n, full), k[7], acc);
      acc = VFMA(DW_LD(x2 + 2 * c, n, full), k[8], acc);
      acc = VMIN(hi, VMAX(lo, acc));
      if (full)
        VSTORE(op, acc);
      else
        vstore_partial(op, acc, n);
      x0 += step, x1 += step, x2 += step, op += c;
    }
  }
}

#define DW_COLS DW_CAT(DW_FN, _cols)
#define DW_COLS_STEP DW_CAT(DW_FN, _cols_step)
/* One channel step of the column-group interior: NV consecutive vectors of channels (cb..) for
 * output columns ox .. ox + J - 1. NV = 2 uses every float of a 64-byte line of the input,
 * taps and output as soon as it is loaded (with 8-float vectors a 1-vector step leaves half of
 * each line for the next step, which large power-of-two rows evict first, see below). */
static inline __attribute__((always_inline)) void DW_COLS_STEP(const float* const* rows, size_t c, size_t stride,
                                                               size_t ix0, size_t cb, size_t J, size_t NV,
                                                               const float* w, const float* bias, float* out, size_t ox,
                                                               v_t lo, v_t hi) {
  v_t acc[4][2];
#pragma GCC unroll 2
  for (size_t v = 0; v < NV; v++) {
    const v_t b = bias ? VLOAD(bias + cb + v * VLEN) : VZERO();
#pragma GCC unroll 4
    for (size_t j = 0; j < J; j++) acc[j][v] = b;
  }
#pragma GCC unroll 3
  for (size_t ky = 0; ky < 3; ky++) {
    const float* xr = rows[ky] + ix0 * c + cb;
#pragma GCC unroll 3
    for (size_t kx = 0; kx < 3; kx++) {
      v_t k[2];
#pragma GCC unroll 2
      for (size_t v = 0; v < NV; v++) k[v] = VLOAD(w + (ky * 3 + kx) * c + cb + v * VLEN);
#pragma GCC unroll 4
      for (size_t j = 0; j < J; j++)
#pragma GCC unroll 2
        for (size_t v = 0; v < NV; v++) acc[j][v] = VFMA(VLOAD(xr + (j * stride + kx) * c + v * VLEN), k[v], acc[j][v]);
    }
  }
#pragma GCC unroll 4
  for (size_t j = 0; j < J; j++)
#pragma GCC unroll 2
    for (size_t v = 0; v < NV; v++) VSTORE(out + (ox + j) * c + cb + v * VLEN, VMIN(hi, VMAX(lo, acc[j][v])));
}

/* Interior columns for narrow rows (c <= DW_COLS_MAX_C) and for rows whose pixel stride is a
 * multiple of 1 KiB: four output columns at a time, all full channel blocks for them before
 * moving on, so the input columns they read (3 rows x (3 + 3 stride) columns x c floats) are
 * brought into L1 once. The per-block sweep (DW_BLOCK) would instead walk each row at a pixel
 * stride that maps every column to the same L1 sets when c * 4 is a multiple of 1 KiB, and
 * reload each line from L2 once per channel block; for those rows (pairs) the step also takes
 * two 8-float vectors, a whole line (measured on the development machine, AVX2:
 * 7x7x1024 2.7 GFLOP/s against 35 at 7x7x1000). Same per-element tap order as DW_BLOCK. */
static inline __attribute__((always_inline)) void DW_COLS(const float* const* rows, size_t c, size_t stride,
                                                          size_t pad_left, size_t ox_lo, size_t ox_hi, size_t c_full,
                                                          const float* w, const float* bias, float* out, v_t lo, v_t hi,
                                                          int pairs) {
  const size_t c_pair = pairs && VLEN < 16 ? c_full - c_full % (2 * VLEN) : 0;
  size_t ox = ox_lo;
  for (; ox + 4 <= ox_hi; ox += 4) {
    const size_t ix0 = ox * stride - pad_left;
    size_t cb = 0;
    for (; cb < c_pair; cb += 2 * VLEN) DW_COLS_STEP(rows, c, stride, ix0, cb, 4, 2, w, bias, out, ox, lo, hi);
    for (; cb < c_full; cb += VLEN) DW_COLS_STEP(rows, c, stride, ix0, cb, 4, 1, w, bias, out, ox, lo, hi);
  }
  for (; ox < ox_hi; ox++) {
    const size_t ix0 = ox * stride - pad_left;
    size_t cb = 0;
    for (; cb < c_pair; cb += 2 * VLEN) DW_COLS_STEP(rows, c, stride, ix0, cb, 1, 2, w, bias, out, ox, lo, hi);
    for (; cb < c_full; cb += VLEN) DW_COLS_STEP(rows, c, stride, ix0, cb, 1, 1, w, bias, out, ox, lo, hi);
  }
}

void DW_FN(const float* const* rows, size_t in_w, size_t c, size_t stride, size_t pad_left, size_t out_w,
           const float* w, const float* bias, float* out, float fmin, float fmax) {
  /* interior columns: ox*stride >= pad_left and ox*stride - pad_left + 2 <= in_w - 1 */
  size_t ox_lo = (pad_left + stride - 1) / stride;
  size_t ox_hi = in_w + pad_left >= 3 ? (in_w + pad_left - 3) / stride + 1 : 0;
  if (ox_hi > out_w) ox_hi = out_w;
  if (ox_lo > ox_hi) ox_lo = ox_hi;
  if (ox_lo == ox_hi) ox_lo = ox_hi = out_w; /* no interior: all columns take the checked path */
  const v_t lo = VSET1(fmin), hi = VSET1(fmax);
  const size_t c_full = c - c % VLEN;
  const int aliased = (c * sizeof(float)) % 1024 == 0; /* the pixel stride maps columns to the same L1 sets */
#ifdef DW_COLS_MAX_C
  const int cols = (c <= DW_COLS_MAX_C || aliased) && ox_lo < ox_hi && c_full > 0;
#else
  const int cols = 0;
  (void)aliased;
#endif
  size_t cb = 0;
  for (; cb + VLEN <= c; cb += VLEN) {
    if (stride == 1)
      DW_BLOCK(rows, in_w, c, 1, pad_left, out_w, ox_lo, ox_hi, cb, VLEN, 1, !cols, w, bias, out, lo, hi);
    else
      DW_BLOCK(rows, in_w, c, 2, pad_left, out_w, ox_lo, ox_hi, cb, VLEN, 1, !cols, w, bias, out, lo, hi);
  }
  if (cb < c) {
    if (stride == 1)
      DW_BLOCK(rows, in_w, c, 1, pad_left, out_w, ox_lo, ox_hi, cb, c - cb, 0, 1, w, bias, out, lo, hi);
    else
      DW_BLOCK(rows, in_w, c, 2, pad_left, out_w, ox_lo, ox_hi, cb, c - cb, 0, 1, w, bias, out, lo, hi);
  }
  if (cols) {
    if (stride == 1)
      DW_COLS(rows, c, 1, pad_left, ox_lo, ox_hi, c_full, w, bias, out, lo, hi, aliased);
    else
      DW_COLS(rows, c, 2, pad_left, ox_lo, ox_hi, c_full, w, bias, out, lo, hi, aliased);
  }
}

#undef DW_LD
#undef DW_COLS
#undef DW_COLS_STEP
#undef DW_COLS_MAX_C
#undef DW_COLUMN_GROUPS
#undef DW_BLOCK
#undef DW_CAT
#undef DW_CAT2
#undef DW_FN
