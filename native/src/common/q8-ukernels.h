/* Integer (qu8 / qs8) microkernels per ISA and the drivers that run them (src/common/q8-fast.c).
 *
 * The arithmetic is one specification for every ISA (see mna.h, "fast integer kernels"):
 *   acc = bias' + sum_k u[k] * v[k] (+ rowterm)            exact, modulo 2^32
 *   out = zp + RNE(clamp((float)acc * scale, lo, hi))       one float multiply, no add in float
 * where u are activation bytes read as uint8 (int8 activations XOR 0x80, i.e. +128), v are int8 packed weights, and
 * bias' / rowterm carry every zero-point term (q8-fast.c derives them once, for every ISA). The packers refuse
 * layers whose exact accumulator could leave int32 (the reference saturates there), so the wrapped int32 result is
 * the exact one and every table produces the reference kernels' bytes. */
#ifndef MNA_Q8_UKERNELS_H
#define MNA_Q8_UKERNELS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "mna.h"

/* Requantization of one layer: lo = output_min - zp, hi = output_max - zp (as floats). */
typedef struct mna_q8_rq {
  float lo, hi;
  int32_t zp;
} mna_q8_rq;

/* GEMM: c[m][n] = requant(bias'[n] + sum_{k<kc} u(a[m][k]) * v[k][n] + (rowterm ? rowterm[m] : 0), scale[n])
 *  a: mr rows of kc bytes (row stride a_stride); u(x) = x, or x ^ 0x80 for the _x (int8 input) variant;
 *     no byte past a[m][kc-1] is read;
 *  w: one packed panel of NR columns: NR int32 bias', NR float scales, ceil(kc/4) groups of NR x 4 int8
 *     (column-major within a group: column j's 4 consecutive k at byte 4j); padding columns and k are 0;
 *  c: mr rows (stride c_stride) of nc (1..NR) bytes, the low byte of each int32 result.
 * 1 <= mr <= MR. */
typedef void (*mna_q8_gemm_ukernel)(size_t mr, size_t nc, size_t kc, const uint8_t* a, size_t a_stride, const void* w,
                                    uint8_t* c, size_t c_stride, const int32_t* rowterm, const mna_q8_rq* rq);

/* Depthwise, one output pixel over `channels`: out[c] = requant(bias'[c] + sum_t x(taps[t][c]) * w[t][c], scale[c])
 *  x(b) = (int32)(uint8)b, or (int32)(int8)b when sgn; taps: ntaps pointers to `channels` bytes each;
 *  w: per block of MNA_Q8_DW_CB channels: CB int32 bias', CB float scales, ntaps x CB int32 lanes whose low 16 bits
 *  hold the weight w - zw in [-255, 255] (two's complement) and whose high 16 bits are 0, so that vpmaddwd on a
 *  zero- or sign-extended input lane is the exact product (blocks padded with 0). No input byte past taps[t][channels-1] is read. */
#define MNA_Q8_DW_CB 16
typedef void (*mna_q8_dw_ukernel)(size_t channels, size_t ntaps, const uint8_t* const* taps, const void* w,
                                  uint8_t* out, const mna_q8_rq* rq, int sgn);

/* One output row of a 3x3 depthwise convolution with dilation 1 and stride 1 or 2 (the MobileNet case):
 *  rows[3]: input rows iy0..iy0+2 (in_w * c bytes each), valid[ky] = 0 where the row is out of the image;
 *  pad_left: image columns start at output column 0's tap pad_left; columns outside read zx (zrow: c bytes of zx);
 *  w: the depthwise packing above with ntaps = 9; out: out_w * c bytes. Same arithmetic as mna_q8_dw_ukernel. */
typedef void (*mna_q8_dw3x3_ukernel)(const uint8_t* const* rows, const int* valid, size_t in_w, size_t c, size_t stride,
                                     size_t pad_left, size_t out_w, const void* w, uint8_t* out, const mna_q8_rq* rq,
                                     int32_t zx, int sgn, const uint8_t* zrow);

/* out[i] = zp + RNE(clamp((float)(a[i] - za) * ma + (float)(b[i] - zb) * mb, lo, hi)), x() as above.
 * Two float multiplies, then one add (no FMA): the reference's expression. */
typedef struct mna_q8_add_params {
  float ma, mb, lo, hi;
  int32_t za, zb, zp;
} mna_q8_add_params;
/* out[i] = zp + RNE(clamp(x[i] / scale, lo, hi)), NaN -> zp (the reference quantize: one IEEE division). */
typedef void (*mna_q8_quantize_ukernel)(size_t n, const float* x, float scale, int32_t zp, float lo, float hi,
                                        uint8_t* out);
/* The add microkernel's parameters from the public ones (the reference's ma = a/out, mb = b/out in float). */
mna_q8_add_params mna_q8_add_params_of(const mna_quant_eltwise_params* q);
typedef void (*mna_q8_add_ukernel)(size_t n, const uint8_t* a, const uint8_t* b, uint8_t* out,
                                   const mna_q8_add_params* p, int sgn);

/* out[i] = dv * sum of u(a[i * stride + k]) over k < n, for i < m (u as for the GEMM; modulo 2^32). */
typedef void (*mna_q8_rowsum_ukernel)(size_t m, size_t n, const uint8_t* a, size_t stride, int xor80, int32_t dv,
                                      int32_t* out);

typedef struct mna_q8_ukernels {
  mna_isa_q8 isa;
  const char* name;
  size_t mr, nr;
  /* 1: the GEMM multiplies (u - 128) as int8 by v (sdot: int8 x int8), so the packed bias also holds + 128 * sum v */
  int signed_dot;
  mna_q8_gemm_ukernel gemm;   /* uint8 activations */
  mna_q8_gemm_ukernel gemm_x; /* int8 activations (XOR 0x80) */
  /* MR x NR/2 for the last panel when N % NR is in [1, NR/2] (packed NR/2 wide); NULL: the last panel is NR wide */
  mna_q8_gemm_ukernel gemmh, gemmh_x;
  mna_q8_dw_ukernel dw;
  mna_q8_dw3x3_ukernel dw3x3;
  mna_q8_add_ukernel add;
  mna_q8_quantize_ukernel quantize;
  mna_q8_rowsum_ukernel rowsum;
} mna_q8_ukernels;

/* The one list of integer microkernel sets: X(set, MNA_ISA_Q8_..., MR, NR, depthwise/add/rowsum set). It declares
 * the microkernels and defines the sets (src/common/q8-isa.c) that feed the dispatch; the C tests
 * (tests/test_q8.c) iterates it, so a listed kernel is tested and timed. */
#if defined(__x86_64__) || defined(_M_X64)
#  define MNA_Q8_UKERNEL_LIST(X)                \
    X(scalar, MNA_ISA_Q8_SCALAR, 2, 8, scalar)  \
    X(avx2, MNA_ISA_Q8_AVX2, 4, 16, avx2)       \
    X(avxvnni, MNA_ISA_Q8_AVXVNNI, 4, 16, avx2) \
    X(avx512vnni, MNA_ISA_Q8_AVX512VNNI, 7, 32, avx512)
#elif defined(__aarch64__)
/* NEON sets: NEON GEMMs; depthwise, add, quantize and row sums are the portable ones */
#  define MNA_Q8_UKERNEL_LIST(X)               \
    X(scalar, MNA_ISA_Q8_SCALAR, 2, 8, scalar) \
    X(neon, MNA_ISA_Q8_NEON, 4, 16, scalar)    \
    X(neondot, MNA_ISA_Q8_NEONDOT, 4, 16, scalar)
#else
#  define MNA_Q8_UKERNEL_LIST(X) X(scalar, MNA_ISA_Q8_SCALAR, 2, 8, scalar)
#endif

#define MNA_Q8_DECLARE_SET(sfx, isa, mr, nr, vsfx) extern const mna_q8_ukernels mna_q8_ukernels_##sfx;
MNA_Q8_UKERNEL_LIST(MNA_Q8_DECLARE_SET)
#undef MNA_Q8_DECLARE_SET

/* The selected set (NULL: the reference table). */
const mna_q8_ukernels* mna_q8_active_ukernels(void);
/* The set of an ISA (NULL for REFERENCE, AUTO or one this build lacks). */
const mna_q8_ukernels* mna_q8_ukernels_for(mna_isa_q8 isa);

/* ---- drivers (q8-fast.c) ---- */

/* Packed GEMM weights: W [n][k] (row stride ldw) with element type wsgn (0 uint8, 1 int8), weight zero point zw,
 * input zero point zx and input type xsgn; bias [n] or NULL; scales [n] or 1.
 * Returns NULL when out of memory. *dv_out receives the per-pixel coefficient of sum u (0 when none is needed). */
void* mna_q8_gemm_pack(const mna_q8_ukernels* uk, size_t n, size_t k, const void* w, size_t ldw, int wsgn, int32_t zw,
                       int xsgn, int32_t zx, const int32_t* bias, const float* scales, size_t scales_len,
                       int32_t* dv_out);
size_t mna_q8_gemm_panel_bytes(const mna_q8_ukernels* uk, size_t k);

/* C[m][n] = the GEMM above over m rows (rows of a at a_stride), threaded over row tiles x panels. */
void mna_q8_gemm_run(const mna_q8_ukernels* uk, size_t m, size_t n, size_t k, const uint8_t* a, size_t a_stride,
                     int xsgn, int32_t dv, const void* packed, uint8_t* c, size_t c_stride, const mna_q8_rq* rq,
                     mna_threadpool* pool);

/* Average pooling with the reference's integer rounding ((sum + n/2) / n over in-image taps, ties away from zero),
 * channels innermost (vectorisable) instead of the reference's channel-outer loops: the same bytes. */
void mna_q8_avgpool_channels(int sgn, const mna_conv2d_params* p, int32_t out_h, int32_t out_w, int32_t mn, int32_t mx,
                             const void* input, void* output);

/* Depthwise packed weights: w [kh*kw][c] with type wsgn, zero point zw, input zero point zx; bias [c] or NULL. */
void* mna_q8_dw_pack(size_t c, size_t ntaps, const void* w, int wsgn, int32_t zw, int32_t zx, const int32_t* bias,
                     const float* scales, size_t scales_len);

/* The scalar requantization every kernel's epilogue equals (mna.h). */
static inline int32_t mna_q8_requant_scalar(int32_t acc, float scale, const mna_q8_rq* rq) {
  float v = (float)acc * scale;
  v = v < rq->lo ? rq->lo : v;
  v = v > rq->hi ? rq->hi : v;
  return (int32_t)lrintf(v) + rq->zp;
}
#endif
