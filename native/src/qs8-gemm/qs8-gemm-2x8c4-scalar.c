/* Integer GEMM microkernel, portable C: 2 rows x 8 columns, c4 packing (q8-ukernels.h). Also the scalar row sum. */
#include <string.h>

#include "common/q8-ukernels.h"

#define Q8S_MR 2
#define Q8S_NR 8

static inline void gemm_2x8(size_t mr, size_t nc, size_t kc, const uint8_t* a, size_t a_stride, const void* w,
                            uint8_t* c, size_t c_stride, const int32_t* rowterm, const mna_q8_rq* rq, uint8_t x) {
  const int32_t* bias = (const int32_t*)w;
  const float* scale = (const float*)w + Q8S_NR;
  const int8_t* pw = (const int8_t*)w + Q8S_NR * 8;
  for (size_t m = 0; m < mr; m++) {
    const uint8_t* row = a + m * a_stride;
    uint32_t acc[Q8S_NR]; /* wraps modulo 2^32 like the SIMD kernels (q8-ukernels.h) */
    for (size_t j = 0; j < Q8S_NR; j++) acc[j] = (uint32_t)bias[j];
    for (size_t k = 0; k < kc; k++) {
      const uint32_t u = (uint32_t)(uint8_t)(row[k] ^ x);
      const int8_t* wk = pw + (k / 4) * Q8S_NR * 4 + (k % 4);
      for (size_t j = 0; j < Q8S_NR; j++) acc[j] += u * (uint32_t)(int32_t)wk[j * 4];
    }
    const uint32_t rt = rowterm ? (uint32_t)rowterm[m] : 0u;
    uint8_t* out = c + m * c_stride;
    for (size_t j = 0; j < nc; j++) out[j] = (uint8_t)mna_q8_requant_scalar((int32_t)(acc[j] + rt), scale[j], rq);
  }
}

void mna_q8_gemm_ukernel_2x8c4__scalar(size_t mr, size_t nc, size_t kc, const uint8_t* a, size_t a_stride,
                                       const void* w, uint8_t* c, size_t c_stride, const int32_t* rowterm,
                                       const mna_q8_rq* rq) {
  gemm_2x8(mr, nc, kc, a, a_stride, w, c, c_stride, rowterm, rq, 0);
}

void mna_q8_gemm_ukernel_2x8c4_x__scalar(size_t mr, size_t nc, size_t kc, const uint8_t* a, size_t a_stride,
                                         const void* w, uint8_t* c, size_t c_stride, const int32_t* rowterm,
                                         const mna_q8_rq* rq) {
  gemm_2x8(mr, nc, kc, a, a_stride, w, c, c_stride, rowterm, rq, 0x80);
}

void mna_q8_rowsum_ukernel__scalar(size_t m, size_t n, const uint8_t* a, size_t stride, int xor80, int32_t dv,
                                   int32_t* out) {
  const uint8_t x = xor80 ? 0x80 : 0;
  for (size_t r = 0; r < m; r++) {
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) s += (uint8_t)(a[r * stride + i] ^ x);
    out[r] = (int32_t)(s * (uint32_t)dv);
  }
}
