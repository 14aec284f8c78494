/*
 * mna.h — the public C interface of the MobileNetAccel native library.
 *
 * Conventions
 *  - Activations are NHWC float32 (or uint8/int8 for the quantized kernels).
 *  - Every entry point validates its arguments and returns an mna_status.
 *    On failure, mna_last_error() returns a thread-local message saying what
 *    was wrong. No entry point aborts, and none reads or writes outside the
 *    buffers it was given: every buffer is passed with its length in
 *    ELEMENTS (not bytes), and the length must be at least what the shape
 *    parameters require.
 *  - A NULL thread pool means "run on the calling thread".
 */
#ifndef MNA_H
#define MNA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  ifdef MNA_BUILDING
#    define MNA_API __declspec(dllexport)
#  else
#    define MNA_API __declspec(dllimport)
#  endif
#else
#  define MNA_API __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------- status */

typedef enum mna_status {
  MNA_OK = 0,
  MNA_ERR_NULL_POINTER = 1,     /* a required pointer was NULL */
  MNA_ERR_INVALID_ARGUMENT = 2, /* a size, stride, padding or enum value is invalid */
  MNA_ERR_BUFFER_TOO_SMALL = 3, /* a buffer length is smaller than the shape requires */
  MNA_ERR_UNSUPPORTED = 4,      /* valid request this build/CPU cannot do */
  MNA_ERR_OUT_OF_MEMORY = 5,
  MNA_ERR_INTERNAL = 6
} mna_status;

/* Thread-local description of the last error on this thread ("" if none). Never NULL. */
MNA_API const char* mna_last_error(void);
/* Library version, e.g. "0.1.0". */
MNA_API const char* mna_version(void);
/* The C interface's ABI version (MNA_ABI_VERSION): raised whenever a declaration in this header changes
 * incompatibly (a parameter, a struct layout, an enum value) or entry points the managed wrapper needs are added (an
 * older library would fail at the first call instead of at load). The managed wrapper checks it when it loads the
 * library and refuses a library whose version is not the one it was built against. */
/* 2: the fast integer kernels (mna_q8_*); 3: mna_f32_dwconv2d_dilated, mna_resize_bilinear_*, mna_argmax_q8, mna_argmax_f32 */
#define MNA_ABI_VERSION 3
MNA_API int32_t mna_abi_version(void);

/* ---------------------------------------------------------- cpu features */

enum {
  /* x86-64 */
  MNA_CPU_SSE41 = 1u << 0,
  MNA_CPU_AVX = 1u << 1,
  MNA_CPU_AVX2 = 1u << 2,
  MNA_CPU_FMA3 = 1u << 3,
  MNA_CPU_AVX512F = 1u << 4,
  MNA_CPU_AVX512BW = 1u << 5,
  MNA_CPU_AVX512VL = 1u << 6,
  MNA_CPU_AVX512VNNI = 1u << 7,
  MNA_CPU_AVXVNNI = 1u << 8,
  MNA_CPU_AVX512DQ = 1u << 9,
  /* aarch64 */
  MNA_CPU_ASIMD = 1u << 16,
  MNA_CPU_DOTPROD = 1u << 17,
  MNA_CPU_FP16ARITH = 1u << 18
};

/* Features of the running CPU (probed once, OS support for the register state included). */
MNA_API mna_status mna_cpu_features(uint64_t* features);
/* Human-readable list of features, e.g. "sse4.1 avx avx2 fma3". Never NULL. */
MNA_API const char* mna_cpu_features_string(void);

/* Kernel tables. MNA_ISA_AUTO picks the best the CPU supports. Every table falls back to
 * the reference kernel for an op it has no variant of. Selecting an ISA the CPU lacks
 * returns MNA_ERR_UNSUPPORTED and leaves the selection unchanged. Process-wide. */
typedef enum mna_isa {
  MNA_ISA_AUTO = 0,
  MNA_ISA_REFERENCE = 1,
  MNA_ISA_SCALAR = 2,
  MNA_ISA_AVX2 = 3,   /* AVX2 + FMA3 */
  MNA_ISA_AVX512 = 4, /* AVX-512F */
  MNA_ISA_NEON = 5
} mna_isa;

MNA_API mna_status mna_select_isa(mna_isa isa);
MNA_API mna_isa mna_current_isa(void);
/* 1 if the running CPU can execute that table, else 0. */
MNA_API int mna_isa_supported(mna_isa isa);

/* ----------------------------------------------------------- thread pool */

typedef struct mna_threadpool mna_threadpool;

/* threads >= 1. The calling thread takes part in every parallel region, so a pool of
 * N threads starts N-1 workers. Idle workers block on a condition variable; a worker that has
 * just finished a region first polls for the next one for at most MNA_POOL_SPIN_US
 * microseconds (environment, read at creation; default 100, 0 = block at once), because one
 * inference runs dozens of regions back to back and a wake-up from the condition variable
 * costs ~10 us. */
MNA_API mna_status mna_threadpool_create(int32_t threads, mna_threadpool** pool);
MNA_API mna_status mna_threadpool_destroy(mna_threadpool* pool);    /* NULL is fine */
MNA_API int32_t mna_threadpool_threads(const mna_threadpool* pool); /* 1 for NULL */

/* ----------------------------------------------------------- activations */

/* Unformatted down to the quantized kernels: the float32 API lists one buffer and its length per line
 * (clang-format would bin-pack the parameters). */
// clang-format off
typedef enum mna_activation {
  MNA_ACT_NONE = 0,
  MNA_ACT_RELU = 1,
  MNA_ACT_RELU6 = 2
} mna_activation;

/* ------------------------------------------------------ float32 kernels */

/* Full convolution, NHWC input [n][in_h][in_w][in_c],
 * weights OHWI [out_c][kernel_h][kernel_w][in_c], bias [out_c] (may be NULL: zero),
 * output [n][out_h][out_w][out_c] with
 *   out_h = (in_h + pad_top + pad_bottom - kernel_h) / stride_h + 1   (must be >= 1)
 *   out_w = (in_w + pad_left + pad_right - kernel_w) / stride_w + 1.
 * Padding is zero. */
typedef struct mna_conv2d_params {
  int32_t batch, in_h, in_w, in_c, out_c;
  int32_t kernel_h, kernel_w, stride_h, stride_w;
  int32_t pad_top, pad_left, pad_bottom, pad_right;
  int32_t activation; /* mna_activation */
} mna_conv2d_params;

/* Output size for a conv/depthwise/pool window; MNA_ERR_INVALID_ARGUMENT if the params are invalid. */
MNA_API mna_status mna_conv2d_output_shape(const mna_conv2d_params* p, int32_t* out_h, int32_t* out_w);

MNA_API mna_status mna_f32_conv2d(const mna_conv2d_params* p,
                                  const float* input, size_t input_len,
                                  const float* weights, size_t weights_len,
                                  const float* bias, size_t bias_len,
                                  float* output, size_t output_len,
                                  mna_threadpool* pool);

/* Depthwise convolution, depth multiplier 1: out_c must equal in_c.
 * weights [kernel_h][kernel_w][c] (TFLite's [1,KH,KW,C]), bias [c] (may be NULL). */
MNA_API mna_status mna_f32_dwconv2d(const mna_conv2d_params* p,
                                    const float* input, size_t input_len,
                                    const float* weights, size_t weights_len,
                                    const float* bias, size_t bias_len,
                                    float* output, size_t output_len,
                                    mna_threadpool* pool);

/* Depthwise convolution with dilation (dilation_h, dilation_w >= 1; 1, 1 is the undilated operation, by a separate
 * kernel): out_c == in_c, weights [kernel_h][kernel_w][c], bias [c] (may be NULL). Tap (ky, kx) of output (oy, ox)
 * reads input (oy*stride_h - pad_top + ky*dilation_h, ox*stride_w - pad_left + kx*dilation_w), zero outside; the
 * output size is that of a kernel (kernel - 1) * dilation + 1 wide:
 *   out_h = (in_h + pad_top + pad_bottom - ((kernel_h - 1) * dilation_h + 1)) / stride_h + 1   (must be >= 1).
 * Per element: acc = bias, then one multiply-add (fused on the FMA tables) per tap inside the image, (ky, kx)
 * ascending, whatever the thread count; then activation. */
MNA_API mna_status mna_f32_dwconv2d_dilated(const mna_conv2d_params* p, int32_t dilation_h, int32_t dilation_w,
                                            const float* input, size_t input_len,
                                            const float* weights, size_t weights_len,
                                            const float* bias, size_t bias_len,
                                            float* output, size_t output_len,
                                            mna_threadpool* pool);

/* Pointwise (1x1, stride 1, no padding) convolution over `pixels` = n*h*w positions:
 * input [pixels][in_c], weights [out_c][in_c], bias [out_c] (may be NULL), output [pixels][out_c]. */
MNA_API mna_status mna_f32_pwconv(int64_t pixels, int32_t in_c, int32_t out_c,
                                  const float* input, size_t input_len,
                                  const float* weights, size_t weights_len,
                                  const float* bias, size_t bias_len,
                                  int32_t activation,
                                  float* output, size_t output_len,
                                  mna_threadpool* pool);

/* Fused inverted-residual block:
 *   t = act(expand 1x1: in_c -> hidden_c)      (skipped when hidden_c == 0: t = input, hidden_c := in_c)
 *   d = act(depthwise 3x3 over t, stride, pads)
 *   y = project 1x1: hidden_c -> out_c (+ project_activation)
 *   y += input    when residual != 0 (requires stride 1, in_c == out_c, same spatial size)
 * weights: expand [hidden_c][in_c], depthwise [3][3][hidden_c], project [out_c][hidden_c];
 * biases may be NULL. Output [n][out_h][out_w][out_c] as for mna_f32_dwconv2d with a 3x3 window. */
typedef struct mna_irb_params {
  int32_t batch, in_h, in_w, in_c;
  int32_t hidden_c; /* 0 = no expand layer (expansion factor 1) */
  int32_t out_c;
  int32_t stride;   /* 1 or 2 */
  int32_t pad_top, pad_left, pad_bottom, pad_right;
  int32_t expand_activation;  /* usually MNA_ACT_RELU6 */
  int32_t dw_activation;      /* usually MNA_ACT_RELU6 */
  int32_t project_activation; /* usually MNA_ACT_NONE */
  int32_t residual;           /* 0 or 1 */
} mna_irb_params;

MNA_API mna_status mna_irb_output_shape(const mna_irb_params* p, int32_t* out_h, int32_t* out_w);

MNA_API mna_status mna_f32_irb(const mna_irb_params* p,
                               const float* input, size_t input_len,
                               const float* expand_w, size_t expand_w_len,
                               const float* expand_b, size_t expand_b_len,
                               const float* dw_w, size_t dw_w_len,
                               const float* dw_b, size_t dw_b_len,
                               const float* project_w, size_t project_w_len,
                               const float* project_b, size_t project_b_len,
                               float* output, size_t output_len,
                               mna_threadpool* pool);

/* Average pooling with a kernel window (kernel_h/kernel_w, strides, pads from p; in_c == out_c).
 * Padded positions are excluded from the average (TFLite / ONNX count_include_pad=0). */
MNA_API mna_status mna_f32_avgpool2d(const mna_conv2d_params* p,
                                     const float* input, size_t input_len,
                                     float* output, size_t output_len,
                                     mna_threadpool* pool);

/* Global average pooling: input [n][h][w][c] -> output [n][c]. */
MNA_API mna_status mna_f32_global_avgpool(int32_t batch, int32_t h, int32_t w, int32_t c,
                                          const float* input, size_t input_len,
                                          float* output, size_t output_len,
                                          mna_threadpool* pool);

/* Fully connected: input [batch][in_n], weights [out_n][in_n], bias [out_n] (may be NULL),
 * output [batch][out_n]. */
MNA_API mna_status mna_f32_fully_connected(int32_t batch, int32_t in_n, int32_t out_n,
                                           const float* input, size_t input_len,
                                           const float* weights, size_t weights_len,
                                           const float* bias, size_t bias_len,
                                           int32_t activation,
                                           float* output, size_t output_len,
                                           mna_threadpool* pool);

/* Softmax over the last axis: input/output [batch][n], output = exp(beta*(x-max)) / sum. In-place allowed. */
MNA_API mna_status mna_f32_softmax(int32_t batch, int32_t n, float beta,
                                   const float* input, size_t input_len,
                                   float* output, size_t output_len);

/* Element-wise add of two same-length tensors with a fused activation. In-place allowed. */
MNA_API mna_status mna_f32_add(int64_t count,
                               const float* a, size_t a_len,
                               const float* b, size_t b_len,
                               int32_t activation,
                               float* output, size_t output_len);

/* Activation alone (in-place allowed). */
MNA_API mna_status mna_f32_activation(int64_t count, int32_t activation,
                                      const float* input, size_t input_len,
                                      float* output, size_t output_len);

/* Zero (or `value`) padding of an NHWC tensor in H and W. */
MNA_API mna_status mna_f32_pad2d(int32_t batch, int32_t in_h, int32_t in_w, int32_t c,
                                 int32_t pad_top, int32_t pad_left, int32_t pad_bottom, int32_t pad_right,
                                 float value,
                                 const float* input, size_t input_len,
                                 float* output, size_t output_len);

/* ------------------------------------------------- pre-packed weights (load time) */

/* An opaque, immutable object holding weights re-laid-out for the kernel table that was
 * selected when it was packed (e.g. NR-wide GEMM panels with the bias in front, 64-byte
 * aligned). Running it uses that table's microkernels whatever is selected later, so pack
 * after mna_select_isa. It may be run from several threads at once. Packing copies: the
 * caller's weight buffers may be freed afterwards. Destroy with mna_packed_destroy. */
typedef struct mna_packed mna_packed;

MNA_API mna_status mna_packed_destroy(mna_packed* packed); /* NULL is fine */
/* The table the object was packed for (MNA_ISA_REFERENCE for plain copies); AUTO for NULL. */
MNA_API mna_isa mna_packed_isa(const mna_packed* packed);

/* Pointwise / fully connected: weights [out_c][in_c], bias [out_c] (may be NULL). Run as
 * mna_f32_pwconv with `pixels` rows (a fully connected layer is pixels = batch, in_c = in_n,
 * out_c = out_n). */
MNA_API mna_status mna_f32_pwconv_pack(int32_t in_c, int32_t out_c,
                                       const float* weights, size_t weights_len,
                                       const float* bias, size_t bias_len,
                                       mna_packed** packed);
MNA_API mna_status mna_f32_pwconv_packed(const mna_packed* packed, int64_t pixels,
                                         const float* input, size_t input_len,
                                         int32_t activation,
                                         float* output, size_t output_len,
                                         mna_threadpool* pool);

/* Full convolution (mna_f32_conv2d). The run's params must have the packed in_c, out_c,
 * kernel_h and kernel_w; batch, spatial size, strides, pads and activation may differ. */
MNA_API mna_status mna_f32_conv2d_pack(const mna_conv2d_params* p,
                                       const float* weights, size_t weights_len,
                                       const float* bias, size_t bias_len,
                                       mna_packed** packed);
MNA_API mna_status mna_f32_conv2d_packed(const mna_packed* packed, const mna_conv2d_params* p,
                                         const float* input, size_t input_len,
                                         float* output, size_t output_len,
                                         mna_threadpool* pool);

/* Fused inverted-residual block (mna_f32_irb). The run's params must have the packed in_c,
 * hidden_c and out_c; the rest may differ. */
MNA_API mna_status mna_f32_irb_pack(const mna_irb_params* p,
                                    const float* expand_w, size_t expand_w_len,
                                    const float* expand_b, size_t expand_b_len,
                                    const float* dw_w, size_t dw_w_len,
                                    const float* dw_b, size_t dw_b_len,
                                    const float* project_w, size_t project_w_len,
                                    const float* project_b, size_t project_b_len,
                                    mna_packed** packed);
MNA_API mna_status mna_f32_irb_packed(const mna_packed* packed, const mna_irb_params* p,
                                      const float* input, size_t input_len,
                                      float* output, size_t output_len,
                                      mna_threadpool* pool);
// clang-format on

/* ------------------------------------------------- quantized kernels (uint8 / int8)
 *
 * Scalar reference kernels for TFLite-style quantized tensors: real = scale * (q - zero_point).
 *  - qu8: uint8 activations and weights, per-tensor (TFLite's older asymmetric scheme);
 *  - qs8: int8 activations (per-tensor, asymmetric) and int8 weights, per-tensor or per-channel symmetric.
 * Biases are int32 with zero point 0 and scale input_scale * weight_scale[c]. Accumulation is exact (int64 inside,
 * saturated to int32 before requantization; real models never reach the bound):
 *   acc = bias[c] + sum (qx - input_zero_point) * (qw - weight_zero_point)
 * over the taps inside the image (skipping padded taps == padding with the input zero point).
 *
 * Requantization — ONE scheme everywhere, "fp32" as XNNPACK does it (LiteRT's default x86/wasm path):
 *   scale = input_scale * weight_scale[c] / output_scale, computed by the CALLER in float32;
 *   v = (float)acc * scale, clamped in float to [output_min - zp, output_max - zp];
 *   q = lrintf(v) + zp        (round to nearest, ties to EVEN, in the default FP environment).
 * (float)acc is exact for |acc| <= 2^24. The clamp bounds include the fused activation: the caller passes
 * output_min/output_max = the activation range in the quantized domain (e.g. ReLU6: [max(qmin, zp), min(qmax,
 * zp + round(6/scale))]).
 * Exceptions, chosen to match the runtimes the project is tested against:
 *  - average pooling over a window keeps the input's scale and zero point and rounds (sum + n/2) / n with ties
 *    away from zero (TFLite's integer kernel; padded taps are not counted);
 *  - softmax follows TFLite's float-table kernel: e_j = expf(-input_scale*beta*(max - q_j)), summed in float in
 *    order, q = (int)(e_j / (sum * output_scale) + 0.5) + output_zero_point, clamped;
 *  - add: v = (qa - za) * (sa/so) + (qb - zb) * (sb/so) in float (ratios computed in float32 by the kernel), then
 *    rounded to nearest-even, + zo, clamped;
 *  - quantize: q = clamp(lrintf(x / scale) + zp); dequantize: (float)(q - zp) * scale.
 * These kernels run on the calling thread (the pool argument is accepted for a uniform ABI and may be NULL). */

typedef struct mna_quant_conv_params {
  int32_t input_zero_point;  /* in the activation type's range */
  int32_t weight_zero_point; /* per-tensor; 0 for symmetric int8 weights */
  int32_t output_zero_point;
  int32_t output_min, output_max; /* inclusive quantized clamp, fused activation included */
} mna_quant_conv_params;

/* Convolution (weights OHWI), depthwise (weights [kh][kw][c], multiplier 1) and fully connected (weights
 * [out_n][in_n]). scales: 1 (per tensor) or out_c (per channel) requantization scales as above, each positive and
 * finite. bias may be NULL (zero). p->activation must be valid but is ignored (the clamp is output_min/max). */
MNA_API mna_status mna_qu8_conv2d(const mna_conv2d_params* p, const mna_quant_conv_params* q, const float* scales,
                                  size_t scales_len, const uint8_t* input, size_t input_len, const uint8_t* weights,
                                  size_t weights_len, const int32_t* bias, size_t bias_len, uint8_t* output,
                                  size_t output_len, mna_threadpool* pool);
MNA_API mna_status mna_qs8_conv2d(const mna_conv2d_params* p, const mna_quant_conv_params* q, const float* scales,
                                  size_t scales_len, const int8_t* input, size_t input_len, const int8_t* weights,
                                  size_t weights_len, const int32_t* bias, size_t bias_len, int8_t* output,
                                  size_t output_len, mna_threadpool* pool);
MNA_API mna_status mna_qu8_dwconv2d(const mna_conv2d_params* p, const mna_quant_conv_params* q, const float* scales,
                                    size_t scales_len, const uint8_t* input, size_t input_len, const uint8_t* weights,
                                    size_t weights_len, const int32_t* bias, size_t bias_len, uint8_t* output,
                                    size_t output_len, mna_threadpool* pool);
MNA_API mna_status mna_qs8_dwconv2d(const mna_conv2d_params* p, const mna_quant_conv_params* q, const float* scales,
                                    size_t scales_len, const int8_t* input, size_t input_len, const int8_t* weights,
                                    size_t weights_len, const int32_t* bias, size_t bias_len, int8_t* output,
                                    size_t output_len, mna_threadpool* pool);
MNA_API mna_status mna_qu8_fully_connected(int32_t batch, int32_t in_n, int32_t out_n, const mna_quant_conv_params* q,
                                           const float* scales, size_t scales_len, const uint8_t* input,
                                           size_t input_len, const uint8_t* weights, size_t weights_len,
                                           const int32_t* bias, size_t bias_len, uint8_t* output, size_t output_len,
                                           mna_threadpool* pool);
MNA_API mna_status mna_qs8_fully_connected(int32_t batch, int32_t in_n, int32_t out_n, const mna_quant_conv_params* q,
                                           const float* scales, size_t scales_len, const int8_t* input,
                                           size_t input_len, const int8_t* weights, size_t weights_len,
                                           const int32_t* bias, size_t bias_len, int8_t* output, size_t output_len,
                                           mna_threadpool* pool);

/* Average pooling (window from p, in_c == out_c), same scale and zero point in and out; result clamped to
 * [output_min, output_max]. */
MNA_API mna_status mna_qu8_avgpool2d(const mna_conv2d_params* p, int32_t output_min, int32_t output_max,
                                     const uint8_t* input, size_t input_len, uint8_t* output, size_t output_len);
MNA_API mna_status mna_qs8_avgpool2d(const mna_conv2d_params* p, int32_t output_min, int32_t output_max,
                                     const int8_t* input, size_t input_len, int8_t* output, size_t output_len);

/* Parameters of a requantizing element-wise op: input a (and b), output. */
typedef struct mna_quant_eltwise_params {
  float a_scale;
  int32_t a_zero_point;
  float b_scale; /* add only */
  int32_t b_zero_point;
  float output_scale;
  int32_t output_zero_point;
  int32_t output_min, output_max;
} mna_quant_eltwise_params;

/* Global average pooling [n][h][w][c] -> [n][c], requantized from a to output (fp32 scheme, scale a/(h*w*out)). */
MNA_API mna_status mna_qu8_global_avgpool(int32_t batch, int32_t h, int32_t w, int32_t c,
                                          const mna_quant_eltwise_params* q, const uint8_t* input, size_t input_len,
                                          uint8_t* output, size_t output_len);
MNA_API mna_status mna_qs8_global_avgpool(int32_t batch, int32_t h, int32_t w, int32_t c,
                                          const mna_quant_eltwise_params* q, const int8_t* input, size_t input_len,
                                          int8_t* output, size_t output_len);
/* Element-wise add of two same-length tensors (exact in-place aliasing of a or b allowed). */
MNA_API mna_status mna_qu8_add(int64_t count, const mna_quant_eltwise_params* q, const uint8_t* a, size_t a_len,
                               const uint8_t* b, size_t b_len, uint8_t* output, size_t output_len);
MNA_API mna_status mna_qs8_add(int64_t count, const mna_quant_eltwise_params* q, const int8_t* a, size_t a_len,
                               const int8_t* b, size_t b_len, int8_t* output, size_t output_len);
/* Softmax over rows of n (a = the input's parameters; b unused). */
MNA_API mna_status mna_qu8_softmax(int32_t batch, int32_t n, float beta, const mna_quant_eltwise_params* q,
                                   const uint8_t* input, size_t input_len, uint8_t* output, size_t output_len);
MNA_API mna_status mna_qs8_softmax(int32_t batch, int32_t n, float beta, const mna_quant_eltwise_params* q,
                                   const int8_t* input, size_t input_len, int8_t* output, size_t output_len);
/* float32 <-> quantized with one scale / zero point. */
MNA_API mna_status mna_qu8_quantize(int64_t count, float scale, int32_t zero_point, const float* input,
                                    size_t input_len, uint8_t* output, size_t output_len);
MNA_API mna_status mna_qs8_quantize(int64_t count, float scale, int32_t zero_point, const float* input,
                                    size_t input_len, int8_t* output, size_t output_len);
MNA_API mna_status mna_qu8_dequantize(int64_t count, float scale, int32_t zero_point, const uint8_t* input,
                                      size_t input_len, float* output, size_t output_len);
MNA_API mna_status mna_qs8_dequantize(int64_t count, float scale, int32_t zero_point, const int8_t* input,
                                      size_t input_len, float* output, size_t output_len);
/* The requantization step alone (for tests and for callers that accumulate themselves): see above. Validates the
 * scale, and zero_point/output_min/output_max against [-128, 255] with output_min <= output_max. */
MNA_API mna_status mna_requantize_fp32(int32_t acc, float scale, int32_t zero_point, int32_t output_min,
                                       int32_t output_max, int32_t* result);

/* ------------------------------------------- fast integer kernels (pre-packed, SIMD, threaded)
 *
 * Integer kernel tables, selected apart from the float ones (mna_select_isa): the CPU probe picks the best at
 * init (AVX-512 VNNI -> AVX-VNNI -> AVX2 -> scalar on x86-64; NEON dotprod -> NEON -> scalar on aarch64).
 * EVERY table produces exactly the bytes of the scalar reference kernels above, for every shape and thread count:
 *  - the accumulator is the exact integer sum. Activations are read as uint8 u (int8 ones XOR 0x80 = x + 128) and
 *    weights are packed as int8 v (uint8 ones as w - 128, or as w - zw when that fits int8 for the whole layer);
 *    every zero-point term that does not depend on the pixel is folded into the packed int32 bias at pack time, the
 *    one that does (the uint8-weight case, coefficient 128 - zw) is a per-pixel sum of u times a constant. Padding
 *    taps read the input zero point, so they contribute exactly the reference's nothing. int32 arithmetic wraps, and
 *    packing refuses a layer whose exact accumulator could leave int32 (|bias| + taps * 255 * 255 > INT32_MAX, where
 *    the reference saturates): such a layer runs the reference kernel, so the wrapped sum is the exact sum.
 *  - requantization is the fp32 scheme above with one formula everywhere: (float)acc (round to nearest even, as
 *    cvtdq2ps / scvtf) times the float scale (one multiply: nothing for FMA contraction to fuse; the library is
 *    built with -ffp-contract=off), clamped in float to [output_min - zp, output_max - zp], converted with
 *    round-to-nearest-even (cvtps2dq / fcvtns / lrintf under the default rounding mode), plus zp as an integer.
 *  - K is never split across threads: each output byte comes from one microkernel call whatever the tiling.
 * Add follows the reference expression ((float)(a - za) * ma + (float)(b - zb) * mb: two multiplies, one add). */
typedef enum mna_isa_q8 {
  MNA_ISA_Q8_AUTO = 0,
  MNA_ISA_Q8_REFERENCE = 1,  /* the scalar reference kernels above */
  MNA_ISA_Q8_SCALAR = 2,     /* portable C on the packed layout */
  MNA_ISA_Q8_AVX2 = 3,       /* vpmaddwd on zero/sign-extended bytes */
  MNA_ISA_Q8_AVXVNNI = 4,    /* vpdpbusd ymm (VEX) */
  MNA_ISA_Q8_AVX512VNNI = 5, /* vpdpbusd zmm (AVX-512F/BW/VL + VNNI) */
  MNA_ISA_Q8_NEON = 6,
  MNA_ISA_Q8_NEONDOT = 7
} mna_isa_q8;

MNA_API mna_status mna_q8_select_isa(mna_isa_q8 isa); /* MNA_ERR_UNSUPPORTED if the CPU/build lacks it */
MNA_API mna_isa_q8 mna_q8_current_isa(void);
MNA_API int mna_q8_isa_supported(mna_isa_q8 isa);
MNA_API const char* mna_q8_isa_name(mna_isa_q8 isa); /* "avx512vnni", ...; "unknown" for other values */

/* A quantized layer's weights packed for the integer table selected at pack time (immutable; may be run from
 * several threads at once). kind: 0 convolution (KxK, 1x1 included; weights OHWI), 1 depthwise (weights
 * [kernel_h][kernel_w][c], in_c == out_c), 2 fully connected (weights [out_c][in_c], kernel 1x1).
 * input_type / weight_type: 0 uint8, 1 int8; the output has the input's type. q: zero points and the clamp;
 * scales: 1 or out_c requantization scales (input * weight / output). */
typedef struct mna_q8_layer {
  int32_t kind;
  int32_t input_type, weight_type;
  int32_t in_c, out_c, kernel_h, kernel_w;
} mna_q8_layer;
typedef struct mna_q8_packed mna_q8_packed;

MNA_API mna_status mna_q8_pack(const mna_q8_layer* layer, const mna_quant_conv_params* q, const float* scales,
                               size_t scales_len, const void* weights, size_t weights_len, const int32_t* bias,
                               size_t bias_len, mna_q8_packed** packed);
MNA_API mna_status mna_q8_packed_destroy(mna_q8_packed* packed); /* NULL is fine */
/* The table the object runs (REFERENCE when it was packed for it, or when the layer's accumulator bound sends
 * it to the reference kernels); AUTO for NULL. */
MNA_API mna_isa_q8 mna_q8_packed_isa(const mna_q8_packed* packed);
/* Convolution / depthwise: p must carry the packed in_c, out_c, kernel_h, kernel_w (p->activation is ignored: the
 * clamp is q's); dilation >= 1. Input [n][in_h][in_w][in_c], output [n][out_h][out_w][out_c] (dilated window). */
MNA_API mna_status mna_q8_conv2d_run(const mna_q8_packed* packed, const mna_conv2d_params* p, int32_t dilation_h,
                                     int32_t dilation_w, const void* input, size_t input_len, void* output,
                                     size_t output_len, mna_threadpool* pool);
/* Fused inverted-residual block on packed layers: expand (1x1 in_c -> hidden_c, or NULL when p->hidden_c == 0),
 * depthwise (3x3, stride p->stride, p's pads), project (1x1 hidden -> out_c), then, when add is not NULL, the
 * residual add(a = project output, b = block input) with add's requantization (p->residual and the activations in p
 * are ignored: each layer's clamp is its own). Row by row: the expanded tensor never goes to memory. The bytes equal
 * running the four layers one by one. MNA_ERR_UNSUPPORTED when a layer was packed for the reference kernels. */
MNA_API mna_status mna_q8_irb_run(const mna_q8_packed* expand, const mna_q8_packed* depthwise,
                                  const mna_q8_packed* project, const mna_quant_eltwise_params* add,
                                  const mna_irb_params* p, const void* input, size_t input_len, void* output,
                                  size_t output_len, mna_threadpool* pool);
/* Fully connected (or any layer packed with kind 2): input [batch][in_c], output [batch][out_c]. */
MNA_API mna_status mna_q8_fully_connected_run(const mna_q8_packed* packed, int32_t batch, const void* input,
                                              size_t input_len, void* output, size_t output_len, mna_threadpool* pool);

/* ---- RESIZE_BILINEAR and ARG_MAX (src/resize/) ----
 * Bilinear resize of NHWC [batch][ih][iw][c] to [batch][oh][ow][c] with the sample positions given per output row
 * (ylo/yhi: the source rows, yfrac: the weight of yhi) and column (xlo/xhi/xfrac), each index < ih (iw):
 * v = x00 * (1 - dy) * (1 - dx) + x10 * dy * (1 - dx) + x01 * (1 - dy) * dx + x11 * dy * dx in float32, those
 * products and sums in that order (bit-identical on every ISA). The integer version (sgn: int8, else uint8) then
 * computes, with requant, v = (v - zi) * ratio (ratio in (0, 2^15)), rounds half away from zero and adds zo,
 * clamped to the type. Output rows (argmax: pixels) are split over pool (NULL: the calling thread). */
MNA_API mna_status mna_resize_bilinear_q8(const uint8_t* x, size_t batch, size_t ih, size_t iw, size_t c, size_t oh,
                                          size_t ow, const int32_t* ylo, const int32_t* yhi, const float* yfrac,
                                          const int32_t* xlo, const int32_t* xhi, const float* xfrac, int sgn,
                                          int requant, float ratio, int32_t zi, int32_t zo, uint8_t* y,
                                          mna_threadpool* pool);
MNA_API mna_status mna_resize_bilinear_f32(const float* x, size_t batch, size_t ih, size_t iw, size_t c, size_t oh,
                                           size_t ow, const int32_t* ylo, const int32_t* yhi, const float* yfrac,
                                           const int32_t* xlo, const int32_t* xhi, const float* xfrac, float* y,
                                           mna_threadpool* pool);
/* out[i] = the index of the first maximum of the c bytes x[i * c ..] for i < n (sgn: compared as int8); out is
 * int64_t[n] when wide, else int32_t[n]. */
MNA_API mna_status mna_argmax_q8(const uint8_t* x, size_t n, size_t c, int sgn, int wide, void* out,
                                 mna_threadpool* pool);
/* out[i] = the index of the first maximum (min: minimum) of the c floats x[i * c ..] for i < n, TFLite's rule: an
 * element replaces the best so far only when strictly greater (less), so -0 equals +0, a NaN never replaces the best
 * and a NaN first element is the answer; out is int64_t[n] when wide, else int32_t[n]. */
MNA_API mna_status mna_argmax_f32(const float* x, size_t n, size_t c, int min, int wide, void* out,
                                  mna_threadpool* pool);

#ifdef __cplusplus
}
#endif

#endif /* MNA_H */
