/* RESIZE_BILINEAR (uint8/int8 and float32 NHWC) and ARG_MAX/ARG_MIN over the innermost axis (uint8/int8 max, float32 both): argument checks,
 * the row driver (output rows split over the thread pool) and the choice between the scalar and the AVX2 row kernels (resize.h gives the arithmetic). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "common/threadpool.h"
#include "resize/resize.h"

#if defined(__x86_64__) || defined(_M_X64)
#  define MNA_RESIZE_ROW_Q8_AVX2 mna_resize_row_q8__avx2
#  define MNA_RESIZE_ROW_F32_AVX2 mna_resize_row_f32__avx2
#  define MNA_ARGMAX_Q8_AVX2 mna_argmax_q8__avx2
#  define MNA_ARGMAX_F32_AVX2 mna_argmax_f32__avx2
#else
#  define MNA_RESIZE_ROW_Q8_AVX2 mna_resize_row_q8__scalar
#  define MNA_RESIZE_ROW_F32_AVX2 mna_resize_row_f32__scalar
#  define MNA_ARGMAX_Q8_AVX2 mna_argmax_q8__scalar
#  define MNA_ARGMAX_F32_AVX2 mna_argmax_f32__scalar
#endif

void mna_resize_row_q8__scalar(size_t ow, size_t c, const float* a, const float* b, const int32_t* xlo,
                               const int32_t* xhi, const float* xfrac, const mna_resize_q8_params* p, uint8_t* y) {
  for (size_t ox = 0; ox < ow; ox++, y += c) {
    const float dx = xfrac[ox], bx = 1 - dx;
    const float *al = a + (size_t)xlo[ox] * c, *bl = b + (size_t)xlo[ox] * c;
    const float *au = a + (size_t)xhi[ox] * c, *bu = b + (size_t)xhi[ox] * c;
    for (size_t k = 0; k < c; k++) y[k] = mna_resize_q8_round(al[k] * bx + bl[k] * bx + au[k] * dx + bu[k] * dx, p);
  }
}

void mna_resize_row_f32__scalar(size_t ow, size_t c, const float* a, const float* b, const int32_t* xlo,
                                const int32_t* xhi, const float* xfrac, float* y) {
  for (size_t ox = 0; ox < ow; ox++, y += c) {
    const float dx = xfrac[ox], bx = 1 - dx;
    const float *al = a + (size_t)xlo[ox] * c, *bl = b + (size_t)xlo[ox] * c;
    const float *au = a + (size_t)xhi[ox] * c, *bu = b + (size_t)xhi[ox] * c;
    for (size_t k = 0; k < c; k++) y[k] = al[k] * bx + bl[k] * bx + au[k] * dx + bu[k] * dx;
  }
}

void mna_argmax_q8__scalar(size_t n, size_t c, const uint8_t* x, int sgn, int wide, void* out) {
  for (size_t i = 0; i < n; i++, x += c) {
    size_t best = 0;
    int bv = sgn ? (int8_t)x[0] : x[0];
    for (size_t k = 1; k < c; k++) {
      const int v = sgn ? (int8_t)x[k] : x[k];
      if (v > bv) { /* strictly greater: the first maximum wins */
        bv = v;
        best = k;
      }
    }
    if (wide)
      ((int64_t*)out)[i] = (int64_t)best;
    else
      ((int32_t*)out)[i] = (int32_t)best;
  }
}

void mna_argmax_f32__scalar(size_t n, size_t c, const float* x, int min, int wide, void* out) {
  for (size_t i = 0; i < n; i++, x += c) {
    size_t best = 0;
    int32_t bv = mna_argf32_key(x[0], min);
    for (size_t k = x[0] == x[0] ? 1 : c; k < c; k++) { /* a NaN first element stays the answer */
      const int32_t v = mna_argf32_key(x[k], min);
      if (v > bv) { /* strictly greater: the first one wins */
        bv = v;
        best = k;
      }
    }
    if (wide)
      ((int64_t*)out)[i] = (int64_t)best;
    else
      ((int32_t*)out)[i] = (int32_t)best;
  }
}

/* 1: the AVX2 kernels (the integer table is AVX2 or wider, or, for float, the float table is); 0: scalar. */
static int use_avx2(int integer) {
#if defined(__x86_64__) || defined(_M_X64)
  if (integer) {
    const mna_isa_q8 q = mna_q8_current_isa();
    return q == MNA_ISA_Q8_AVX2 || q == MNA_ISA_Q8_AVXVNNI || q == MNA_ISA_Q8_AVX512VNNI;
  }
  const mna_isa f = mna_current_isa();
  return f == MNA_ISA_AVX2 || f == MNA_ISA_AVX512;
#else
  (void)integer;
  return 0;
#endif
}

static mna_status check_axes(const char* fn, size_t ih, size_t iw, size_t oh, size_t ow, const int32_t* ylo,
                             const int32_t* yhi, const float* yfrac, const int32_t* xlo, const int32_t* xhi,
                             const float* xfrac) {
  if (!ylo || !yhi || !yfrac || !xlo || !xhi || !xfrac)
    return mna_set_error(MNA_ERR_NULL_POINTER, "%s: a sample-position array is NULL", fn);
  for (size_t i = 0; i < oh; i++)
    if (ylo[i] < 0 || yhi[i] < 0 || (size_t)ylo[i] >= ih || (size_t)yhi[i] >= ih)
      return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: output row %zu samples rows %d/%d of %zu", fn, i, (int)ylo[i],
                           (int)yhi[i], ih);
  for (size_t i = 0; i < ow; i++)
    if (xlo[i] < 0 || xhi[i] < 0 || (size_t)xlo[i] >= iw || (size_t)xhi[i] >= iw)
      return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: output column %zu samples columns %d/%d of %zu", fn, i,
                           (int)xlo[i], (int)xhi[i], iw);
  return MNA_OK;
}

static mna_status check_shape(const char* fn, const void* x, const void* y, size_t batch, size_t ih, size_t iw,
                              size_t c, size_t oh, size_t ow) {
  if (!x || !y) return mna_set_error(MNA_ERR_NULL_POINTER, "%s: input or output is NULL", fn);
  if (!batch || !ih || !iw || !c || !oh || !ow)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: empty shape %zux%zux%zux%zu -> %zux%zu", fn, batch, ih, iw, c,
                         oh, ow);
  return MNA_OK;
}

/* One parallel job: output rows [begin, end) of batch x oh, each chunk with its own two weighted rows. */
typedef struct resize_job {
  const void* x;
  size_t ih, iw, c, oh, ow;
  const int32_t *ylo, *yhi, *xlo, *xhi;
  const float *yfrac, *xfrac;
  int f32, sgn;
  mna_resize_q8_params q;
  mna_resize_row_q8 row_q8;
  mna_resize_row_f32 row_f32;
  void* y;
  _Atomic int failed;
} resize_job;

static void resize_rows(void* ctx, size_t begin, size_t end) {
  resize_job* j = ctx;
  const size_t rowlen = j->iw * j->c;
  float* w = malloc(2 * rowlen * sizeof(float));
  if (!w) {
    atomic_store(&j->failed, 1);
    return;
  }
  float *a = w, *b = w + rowlen;
  for (size_t r = begin; r < end; r++) {
    const size_t n = r / j->oh, oy = r % j->oh;
    const float dy = j->yfrac[oy], ay = 1 - dy;
    const size_t o0 = (n * j->ih + (size_t)j->ylo[oy]) * rowlen, o1 = (n * j->ih + (size_t)j->yhi[oy]) * rowlen;
    if (j->f32) {
      const float *x0 = (const float*)j->x + o0, *x1 = (const float*)j->x + o1;
      for (size_t k = 0; k < rowlen; k++) {
        a[k] = x0[k] * ay;
        b[k] = x1[k] * dy;
      }
      j->row_f32(j->ow, j->c, a, b, j->xlo, j->xhi, j->xfrac, (float*)j->y + r * j->ow * j->c);
      continue;
    }
    const uint8_t *x0 = (const uint8_t*)j->x + o0, *x1 = (const uint8_t*)j->x + o1;
    if (j->sgn)
      for (size_t k = 0; k < rowlen; k++) {
        a[k] = (float)(int8_t)x0[k] * ay;
        b[k] = (float)(int8_t)x1[k] * dy;
      }
    else
      for (size_t k = 0; k < rowlen; k++) {
        a[k] = (float)x0[k] * ay;
        b[k] = (float)x1[k] * dy;
      }
    j->row_q8(j->ow, j->c, a, b, j->xlo, j->xhi, j->xfrac, &j->q, (uint8_t*)j->y + r * j->ow * j->c);
  }
  free(w);
}

static mna_status run_job(const char* fn, resize_job* j, size_t batch, mna_threadpool* pool) {
  atomic_init(&j->failed, 0);
  mna_parallelize_1d(pool, resize_rows, j, batch * j->oh);
  if (atomic_load(&j->failed))
    return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "%s: %zu bytes of row buffers", fn, 2 * j->iw * j->c * sizeof(float));
  return MNA_OK;
}

/* The checks and the geometry both resize entry points share. */
static mna_status resize_prepare(const char* fn, resize_job* j, const void* x, size_t batch, size_t ih, size_t iw,
                                 size_t c, size_t oh, size_t ow, const int32_t* ylo, const int32_t* yhi,
                                 const float* yfrac, const int32_t* xlo, const int32_t* xhi, const float* xfrac,
                                 void* y) {
  mna_status st = check_shape(fn, x, y, batch, ih, iw, c, oh, ow);
  if (st == MNA_OK) st = check_axes(fn, ih, iw, oh, ow, ylo, yhi, yfrac, xlo, xhi, xfrac);
  if (st != MNA_OK) return st;
  memset(j, 0, sizeof *j);
  j->x = x;
  j->ih = ih, j->iw = iw, j->c = c, j->oh = oh, j->ow = ow;
  j->ylo = ylo, j->yhi = yhi, j->yfrac = yfrac;
  j->xlo = xlo, j->xhi = xhi, j->xfrac = xfrac;
  j->y = y;
  return MNA_OK;
}

MNA_API mna_status mna_resize_bilinear_q8(const uint8_t* x, size_t batch, size_t ih, size_t iw, size_t c, size_t oh,
                                          size_t ow, const int32_t* ylo, const int32_t* yhi, const float* yfrac,
                                          const int32_t* xlo, const int32_t* xhi, const float* xfrac, int sgn,
                                          int requant, float ratio, int32_t zi, int32_t zo, uint8_t* y,
                                          mna_threadpool* pool) {
  static const char fn[] = "mna_resize_bilinear_q8";
  resize_job j;
  mna_status st = resize_prepare(fn, &j, x, batch, ih, iw, c, oh, ow, ylo, yhi, yfrac, xlo, xhi, xfrac, y);
  if (st != MNA_OK) return st;
  if (requant && !(ratio > 0 && ratio * 512.0f < 16777216.0f))
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: scale ratio %g outside (0, 2^15)", fn, (double)ratio);
  j.f32 = 0;
  j.sgn = sgn != 0;
  const mna_resize_q8_params q = {sgn != 0, requant != 0, (float)zi, ratio, zo, sgn ? -128 : 0, sgn ? 127 : 255};
  j.q = q;
  j.row_q8 = use_avx2(1) ? MNA_RESIZE_ROW_Q8_AVX2 : mna_resize_row_q8__scalar;
  return run_job(fn, &j, batch, pool);
}

MNA_API mna_status mna_resize_bilinear_f32(const float* x, size_t batch, size_t ih, size_t iw, size_t c, size_t oh,
                                           size_t ow, const int32_t* ylo, const int32_t* yhi, const float* yfrac,
                                           const int32_t* xlo, const int32_t* xhi, const float* xfrac, float* y,
                                           mna_threadpool* pool) {
  static const char fn[] = "mna_resize_bilinear_f32";
  resize_job j;
  mna_status st = resize_prepare(fn, &j, x, batch, ih, iw, c, oh, ow, ylo, yhi, yfrac, xlo, xhi, xfrac, y);
  if (st != MNA_OK) return st;
  j.f32 = 1;
  j.row_f32 = use_avx2(0) ? MNA_RESIZE_ROW_F32_AVX2 : mna_resize_row_f32__scalar;
  return run_job(fn, &j, batch, pool);
}

typedef struct argmax_job {
  const void* x;
  size_t c;
  int sgn, wide; /* sgn: int8 (q8) or argmin (f32) */
  mna_argmax_q8_kernel kernel;
  mna_argmax_f32_kernel kernel_f32;
  void* out;
} argmax_job;

static void argmax_range(void* ctx, size_t begin, size_t end) {
  const argmax_job* j = ctx;
  void* out = j->wide ? (void*)((int64_t*)j->out + begin) : (void*)((int32_t*)j->out + begin);
  if (j->kernel_f32)
    j->kernel_f32(end - begin, j->c, (const float*)j->x + begin * j->c, j->sgn, j->wide, out);
  else
    j->kernel(end - begin, j->c, (const uint8_t*)j->x + begin * j->c, j->sgn, j->wide, out);
}

MNA_API mna_status mna_argmax_q8(const uint8_t* x, size_t n, size_t c, int sgn, int wide, void* out,
                                 mna_threadpool* pool) {
  static const char fn[] = "mna_argmax_q8";
  if (!x || !out) return mna_set_error(MNA_ERR_NULL_POINTER, "%s: input or output is NULL", fn);
  if (!c) return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: an empty axis", fn);
  argmax_job j = {x, c, sgn != 0, wide != 0, use_avx2(1) ? MNA_ARGMAX_Q8_AVX2 : mna_argmax_q8__scalar, NULL, out};
  mna_parallelize_1d(pool, argmax_range, &j, n);
  return MNA_OK;
}

MNA_API mna_status mna_argmax_f32(const float* x, size_t n, size_t c, int min, int wide, void* out,
                                  mna_threadpool* pool) {
  static const char fn[] = "mna_argmax_f32";
  if (!x || !out) return mna_set_error(MNA_ERR_NULL_POINTER, "%s: input or output is NULL", fn);
  if (!c) return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: an empty axis", fn);
  argmax_job j = {x, c, min != 0, wide != 0, NULL, use_avx2(0) ? MNA_ARGMAX_F32_AVX2 : mna_argmax_f32__scalar, out};
  mna_parallelize_1d(pool, argmax_range, &j, n);
  return MNA_OK;
}
