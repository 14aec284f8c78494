/* f32 GEMM microkernels for 1x1 convolution, avx512: 7x32 (MR x NR) and 1x32. */
#include "common/ukernels.h"
#include "simd/simd-avx512.h"

#define GEMM_MR 7
#define GEMM_NV 2
#define GEMM_FN mna_f32_gemm_ukernel_7x32__avx512
#include "f32-pwconv/gemm-template.h"

#define GEMM_MR 1
#define GEMM_NV 2
#define GEMM_FN mna_f32_gemm_ukernel_1x32__avx512
#include "f32-pwconv/gemm-template.h"
