/* Dilated depthwise row microkernel template (see mna_f32_dwd_ukernel in dwd.h).
 * Before including: a simd/simd-*.h header and DWD_FN. Channel-tiled: for each block of VLEN channels the taps (kept
 * in registers for a 3x3 window) and the bias stay put while the row is swept. Columns whose dilated window lies
 * inside the image run a branch-free body, four outputs at a time (four independent FMA chains); the others take the
 * bounds-checked path. Tap rows outside the image arrive as NULL and are skipped. */
#include <stddef.h>

#define DWD_CAT2(a, b) a##b
#define DWD_CAT(a, b) DWD_CAT2(a, b)
#define DWD_LD DWD_CAT(DWD_FN, _ld)
#define DWD_ST DWD_CAT(DWD_FN, _st)
#define DWD_BLOCK DWD_CAT(DWD_FN, _block)
#define DWD_EDGE DWD_CAT(DWD_FN, _edge)

static inline __attribute__((always_inline)) v_t DWD_LD(const float* p, size_t n, int full) {
  return full ? VLOAD(p) : vload_partial(p, n);
}

static inline __attribute__((always_inline)) void DWD_ST(float* p, v_t v, size_t n, int full) {
  if (full)
    VSTORE(p, v);
  else
    vstore_partial(p, v, n);
}

/* One bounds-checked output column (channels cb .. cb+n). */
static inline __attribute__((always_inline)) void DWD_EDGE(const float* const* rows, size_t kh, size_t kw, size_t in_w,
                                                           size_t c, size_t sx, size_t dx, size_t pad_left, size_t ox,
                                                           size_t cb, size_t n, int full, const float* w, v_t b,
                                                           float* out, v_t lo, v_t hi) {
  v_t acc = b;
  const ptrdiff_t ix0 = (ptrdiff_t)(ox * sx) - (ptrdiff_t)pad_left;
  for (size_t ky = 0; ky < kh; ky++) {
    const float* r = rows[ky];
    if (!r) continue;
    for (size_t kx = 0; kx < kw; kx++) {
      const ptrdiff_t ix = ix0 + (ptrdiff_t)(kx * dx);
      if (ix < 0 || ix >= (ptrdiff_t)in_w) continue;
      acc = VFMA(DWD_LD(r + (size_t)ix * c + cb, n, full), DWD_LD(w + (ky * kw + kx) * c + cb, n, full), acc);
    }
  }
  DWD_ST(out + ox * c + cb, VMIN(hi, VMAX(lo, acc)), n, full);
}

/* Channels cb .. cb+n of one output row. With kh, kw and sx compile-time constants (the 3x3 call below) the tap loops
 * unroll and the 9 taps live in registers. */
static inline __attribute__((always_inline)) void DWD_BLOCK(const float* const* rows, size_t kh, size_t kw, size_t in_w,
                                                            size_t c, size_t sx, size_t dx, size_t pad_left,
                                                            size_t out_w, size_t ox_lo, size_t ox_hi, size_t cb,
                                                            size_t n, int full, const float* w, const float* bias,
                                                            float* out, v_t lo, v_t hi) {
  const v_t b = bias ? DWD_LD(bias + cb, n, full) : VZERO();
  for (size_t ox = 0; ox < ox_lo; ox++)
    DWD_EDGE(rows, kh, kw, in_w, c, sx, dx, pad_left, ox, cb, n, full, w, b, out, lo, hi);
  for (size_t ox = ox_hi; ox < out_w; ox++)
    DWD_EDGE(rows, kh, kw, in_w, c, sx, dx, pad_left, ox, cb, n, full, w, b, out, lo, hi);
  if (ox_lo >= ox_hi) return;
  const int in_regs = kh * kw <= 9;
  v_t k[9];
  if (in_regs)
    for (size_t t = 0; t < kh * kw; t++) k[t] = DWD_LD(w + t * c + cb, n, full);
  const size_t step = sx * c, tap = dx * c;
  size_t ox = ox_lo;
  for (; ox + 4 <= ox_hi; ox += 4) {
    v_t acc[4] = {b, b, b, b};
    for (size_t ky = 0; ky < kh; ky++) {
      const float* r = rows[ky];
      if (!r) continue;
      const float* x = r + (ox * sx - pad_left) * c + cb;
      for (size_t kx = 0; kx < kw; kx++) {
        const v_t kt = in_regs ? k[ky * kw + kx] : DWD_LD(w + (ky * kw + kx) * c + cb, n, full);
        const float* xk = x + kx * tap;
        for (size_t j = 0; j < 4; j++) acc[j] = VFMA(DWD_LD(xk + j * step, n, full), kt, acc[j]);
      }
    }
    for (size_t j = 0; j < 4; j++) DWD_ST(out + (ox + j) * c + cb, VMIN(hi, VMAX(lo, acc[j])), n, full);
  }
  for (; ox < ox_hi; ox++) {
    v_t acc = b;
    for (size_t ky = 0; ky < kh; ky++) {
      const float* r = rows[ky];
      if (!r) continue;
      const float* x = r + (ox * sx - pad_left) * c + cb;
      for (size_t kx = 0; kx < kw; kx++) {
        const v_t kt = in_regs ? k[ky * kw + kx] : DWD_LD(w + (ky * kw + kx) * c + cb, n, full);
        acc = VFMA(DWD_LD(x + kx * tap, n, full), kt, acc);
      }
    }
    DWD_ST(out + ox * c + cb, VMIN(hi, VMAX(lo, acc)), n, full);
  }
}

void DWD_FN(const float* const* rows, size_t kh, size_t kw, size_t in_w, size_t c, size_t sx, size_t dx,
            size_t pad_left, size_t out_w, const float* w, const float* bias, float* out, float fmin, float fmax) {
  /* interior columns: ox*sx >= pad_left and ox*sx - pad_left + (kw-1)*dx <= in_w - 1 */
  const size_t span = (kw - 1) * dx;
  size_t ox_lo = (pad_left + sx - 1) / sx;
  size_t ox_hi = in_w + pad_left > span ? (in_w + pad_left - 1 - span) / sx + 1 : 0;
  if (ox_hi > out_w) ox_hi = out_w;
  if (ox_lo > ox_hi) ox_lo = ox_hi;
  const v_t lo = VSET1(fmin), hi = VSET1(fmax);
  const int k3 = kh == 3 && kw == 3;
  size_t cb = 0;
  for (; cb + VLEN <= c; cb += VLEN) {
    if (k3 && sx == 1)
      DWD_BLOCK(rows, 3, 3, in_w, c, 1, dx, pad_left, out_w, ox_lo, ox_hi, cb, VLEN, 1, w, bias, out, lo, hi);
    else if (k3)
      DWD_BLOCK(rows, 3, 3, in_w, c, sx, dx, pad_left, out_w, ox_lo, ox_hi, cb, VLEN, 1, w, bias, out, lo, hi);
    else
      DWD_BLOCK(rows, kh, kw, in_w, c, sx, dx, pad_left, out_w, ox_lo, ox_hi, cb, VLEN, 1, w, bias, out, lo, hi);
  }
  if (cb < c)
    DWD_BLOCK(rows, kh, kw, in_w, c, sx, dx, pad_left, out_w, ox_lo, ox_hi, cb, c - cb, 0, w, bias, out, lo, hi);
}

#undef DWD_LD
#undef DWD_ST
#undef DWD_BLOCK
#undef DWD_EDGE
#undef DWD_CAT
#undef DWD_CAT2
#undef DWD_FN
