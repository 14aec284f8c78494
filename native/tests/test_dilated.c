/* mna_f32_dwconv2d_dilated on every table this CPU runs (reference, scalar, avx2, avx512 or neon) against a naive
 * double-precision loop written here from mna.h's definition, for windows, dilations, strides, pads, channel counts
 * (full and partial vector blocks) and activations; each table's output must also be bit-identical on 1 and 3
 * threads. Tolerance per element: (4·sqrt(taps) + 4) · 2^-24 · S, with S = |bias| + Σ|x·w| (one rounding per tap). */
#include <math.h>

#include "test_util.h"

typedef struct {
  int n, h, w, c, kh, kw, dh, dw, sh, sw, pt, pl, pb, pr, act, bias;
} dcase;

static int out_size(int in, int pa, int pb, int k, int d, int s) { return (in + pa + pb - ((k - 1) * d + 1)) / s + 1; }

static void naive(const dcase* t, const float* x, const float* wt, const float* b, double* val, double* mag) {
  const int oh = out_size(t->h, t->pt, t->pb, t->kh, t->dh, t->sh),
            ow = out_size(t->w, t->pl, t->pr, t->kw, t->dw, t->sw);
  for (int n = 0; n < t->n; n++)
    for (int y = 0; y < oh; y++)
      for (int xo = 0; xo < ow; xo++)
        for (int c = 0; c < t->c; c++) {
          double s = b ? b[c] : 0.0, m = fabs(s);
          for (int ky = 0; ky < t->kh; ky++)
            for (int kx = 0; kx < t->kw; kx++) {
              const int iy = y * t->sh - t->pt + ky * t->dh, ix = xo * t->sw - t->pl + kx * t->dw;
              if (iy < 0 || iy >= t->h || ix < 0 || ix >= t->w) continue;
              const double v = (double)x[((n * t->h + iy) * t->w + ix) * t->c + c] * wt[(ky * t->kw + kx) * t->c + c];
              s += v;
              m += fabs(v);
            }
          if (t->act >= 1 && s < 0) s = 0;
          if (t->act == 2 && s > 6) s = 6;
          const size_t i = (((size_t)n * oh + y) * ow + xo) * t->c + c;
          val[i] = s;
          mag[i] = m;
        }
}

static int run_case(const dcase* t, mna_threadpool* pool3) {
  const int oh = out_size(t->h, t->pt, t->pb, t->kh, t->dh, t->sh),
            ow = out_size(t->w, t->pl, t->pr, t->kw, t->dw, t->sw);
  /* windows that do not fit are the argument checks' business (below), not this table's */
  if (t->h + t->pt + t->pb < (t->kh - 1) * t->dh + 1 || t->w + t->pl + t->pr < (t->kw - 1) * t->dw + 1) return 0;
  const size_t in_n = (size_t)t->n * t->h * t->w * t->c, w_n = (size_t)t->kh * t->kw * t->c;
  const size_t out_n = (size_t)t->n * oh * ow * t->c;
  float *x = rand_buf(in_n), *wt = rand_buf(w_n), *b = rand_buf((size_t)t->c);
  float *y1 = (float*)malloc(out_n * sizeof(float)), *y3 = (float*)malloc(out_n * sizeof(float));
  double *val = (double*)malloc(out_n * sizeof(double)), *mag = (double*)malloc(out_n * sizeof(double));
  for (size_t i = 0; i < in_n; i++) x[i] *= 4.0f;
  naive(t, x, wt, t->bias ? b : NULL, val, mag);
  const mna_conv2d_params p = {t->n,  t->h,  t->w,  t->c,  t->c,  t->kh, t->kw,
                               t->sh, t->sw, t->pt, t->pl, t->pb, t->pr, t->act};
  const double tol = (4.0 * sqrt((double)(t->kh * t->kw)) + 4.0) * ldexp(1.0, -24);
  const mna_isa isas[] = {MNA_ISA_REFERENCE, MNA_ISA_SCALAR, MNA_ISA_AVX2, MNA_ISA_AVX512, MNA_ISA_NEON};
  for (size_t k = 0; k < sizeof isas / sizeof isas[0]; k++) {
    if (!mna_isa_supported(isas[k])) continue;
    CHECK_OK(mna_select_isa(isas[k]));
    CHECK_OK(mna_f32_dwconv2d_dilated(&p, t->dh, t->dw, x, in_n, wt, w_n, t->bias ? b : NULL, (size_t)t->c, y1, out_n,
                                      NULL));
    CHECK_OK(mna_f32_dwconv2d_dilated(&p, t->dh, t->dw, x, in_n, wt, w_n, t->bias ? b : NULL, (size_t)t->c, y3, out_n,
                                      pool3));
    size_t bad = 0;
    for (size_t i = 0; i < out_n; i++)
      if (!(fabs((double)y1[i] - val[i]) <= tol * mag[i])) bad++;
    if (bad)
      fprintf(stderr, "%s: %dx%dx%dx%d k%dx%d d%dx%d s%dx%d: %zu of %zu elements off\n", isa_name(isas[k]), t->n, t->h,
              t->w, t->c, t->kh, t->kw, t->dh, t->dw, t->sh, t->sw, bad, out_n);
    CHECK(bad == 0);
    CHECK(memcmp(y1, y3, out_n * sizeof(float)) == 0);
  }
  CHECK_OK(mna_select_isa(MNA_ISA_AUTO));
  free(x), free(wt), free(b), free(y1), free(y3), free(val), free(mag);
  return 1;
}

int main(void) {
  mna_threadpool* pool3 = NULL;
  CHECK_OK(mna_threadpool_create(3, &pool3));
  static const int sizes[] = {1, 4, 9, 17};
  static const int chans[] = {1, 5, 16, 19};
  static const int kern[][2] = {{3, 3}, {1, 1}, {5, 5}, {3, 2}};
  static const int dil[][2] = {{2, 2}, {4, 4}, {1, 1}, {2, 3}};
  static const int str[][2] = {{1, 1}, {2, 2}, {1, 2}};
  int cases = 0;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      for (int k = 0; k < 4; k++)
        for (int d = 0; d < 4; d++) {
          const int s = (i + j + k + d) % 3, h = sizes[i], w = sizes[(i + d) % 4], kh = kern[k][0], kw = kern[k][1];
          const int dh = dil[d][0], dw = dil[d][1], sh = str[s][0], sw = str[s][1];
          /* SAME padding (TensorFlow's rule on the dilated extent) on even cases, VALID on odd ones */
          int pt = 0, pb = 0, pl = 0, pr = 0;
          if ((i + k) % 2 == 0) {
            const int th = ((h + sh - 1) / sh - 1) * sh + (kh - 1) * dh + 1 - h;
            const int tw = ((w + sw - 1) / sw - 1) * sw + (kw - 1) * dw + 1 - w;
            pt = th > 0 ? th / 2 : 0, pb = th > 0 ? th - th / 2 : 0, pl = tw > 0 ? tw / 2 : 0,
            pr = tw > 0 ? tw - tw / 2 : 0;
          }
          const dcase t = {1 + (j == 3), h,  w,  chans[j],        kh,   kw, dh, dw, sh, sw, pt,
                           pl,           pb, pr, (i + j + d) % 3, k % 2};
          cases += run_case(&t, pool3);
        }
  /* DeepLab's layer shape (3x3, stride 1, SAME, dilation 2), 33x33 at 64 channels */
  const dcase deeplab = {1, 33, 33, 64, 3, 3, 2, 2, 1, 1, 2, 2, 2, 2, 2, 1};
  run_case(&deeplab, pool3);
  /* argument checks */
  const mna_conv2d_params p = {1, 5, 5, 3, 3, 3, 3, 1, 1, 0, 0, 0, 0, 0};
  float buf[128] = {0};
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT,
               mna_f32_dwconv2d_dilated(&p, 0, 1, buf, 75, buf + 80, 27, NULL, 0, buf + 110, 3, NULL));
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT,
               mna_f32_dwconv2d_dilated(&p, 3, 3, buf, 75, buf + 80, 27, NULL, 0, buf + 110, 3, NULL));
  CHECK_STATUS(MNA_ERR_BUFFER_TOO_SMALL,
               mna_f32_dwconv2d_dilated(&p, 2, 2, buf, 75, buf + 80, 27, NULL, 0, buf + 110, 0, NULL));
  CHECK_STATUS(MNA_ERR_NULL_POINTER,
               mna_f32_dwconv2d_dilated(NULL, 2, 2, buf, 75, buf + 80, 27, NULL, 0, buf + 110, 3, NULL));
  mna_threadpool_destroy(pool3);
  printf("test_dilated: %d shape cases on tables:", cases + 1);
  for (int i = MNA_ISA_REFERENCE; i <= MNA_ISA_NEON; i++)
    if (mna_isa_supported((mna_isa)i)) printf(" %s", isa_name((mna_isa)i));
  printf("\n");
  return test_summary("test_dilated");
}
