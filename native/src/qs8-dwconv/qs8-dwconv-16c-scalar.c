/* Integer depthwise microkernel, portable C: one output pixel, blocks of 16 channels (q8-ukernels.h). */
#include "common/q8-ukernels.h"

void mna_q8_dw_ukernel_16c__scalar(size_t channels, size_t ntaps, const uint8_t* const* taps, const void* w,
                                   uint8_t* out, const mna_q8_rq* rq, int sgn) {
  const size_t cb = MNA_Q8_DW_CB;
  const uint8_t* blk = (const uint8_t*)w;
  for (size_t c0 = 0; c0 < channels; c0 += cb, blk += cb * 8 + ntaps * cb * 4) {
    const int32_t* bias = (const int32_t*)blk;
    const float* scale = (const float*)(bias + cb);
    const int32_t* wt = (const int32_t*)(scale + cb);
    const size_t n = channels - c0 < cb ? channels - c0 : cb;
    for (size_t j = 0; j < n; j++) {
      uint32_t acc = (uint32_t)bias[j];
      for (size_t t = 0; t < ntaps; t++) {
        const uint8_t b = taps[t][c0 + j];
        const int32_t xv = sgn ? (int32_t)(int8_t)b : (int32_t)b;
        const int32_t wv = (int32_t)(int16_t)(uint16_t)wt[t * cb + j];
        acc += (uint32_t)(xv * wv);
      }
      out[c0 + j] = (uint8_t)mna_q8_requant_scalar((int32_t)acc, scale[j], rq);
    }
  }
}

/* One output row of a 3x3 depthwise convolution, dilation 1, stride 1 or 2 (q8-ukernels.h), portable C. */
void mna_q8_dw3x3_ukernel_16c__scalar(const uint8_t* const* rows, const int* valid, size_t in_w, size_t c,
                                      size_t stride, size_t pad_left, size_t out_w, const void* w, uint8_t* out,
                                      const mna_q8_rq* rq, int32_t zx, int sgn, const uint8_t* zrow) {
  (void)zrow;
  const size_t cb = MNA_Q8_DW_CB;
  const uint8_t* blk = (const uint8_t*)w;
  for (size_t c0 = 0; c0 < c; c0 += cb, blk += cb * 8 + 9 * cb * 4) {
    const int32_t* bias = (const int32_t*)blk;
    const float* scale = (const float*)(bias + cb);
    const int32_t* wt = (const int32_t*)(scale + cb);
    const size_t n = c - c0 < cb ? c - c0 : cb;
    for (size_t ox = 0; ox < out_w; ox++)
      for (size_t j = 0; j < n; j++) {
        uint32_t acc = (uint32_t)bias[j];
        for (size_t t = 0; t < 9; t++) {
          const size_t ky = t / 3, kx = t % 3;
          const ptrdiff_t ix = (ptrdiff_t)(ox * stride + kx) - (ptrdiff_t)pad_left;
          int32_t xv = zx;
          if (valid[ky] && ix >= 0 && (size_t)ix < in_w) {
            const uint8_t b = rows[ky][(size_t)ix * c + c0 + j];
            xv = sgn ? (int32_t)(int8_t)b : (int32_t)b;
          }
          acc += (uint32_t)(xv * (int32_t)(int16_t)(uint16_t)wt[t * cb + j]);
        }
        out[ox * c + c0 + j] = (uint8_t)mna_q8_requant_scalar((int32_t)acc, scale[j], rq);
      }
  }
}
