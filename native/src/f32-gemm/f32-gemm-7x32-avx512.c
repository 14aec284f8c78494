/* f32 GEMM microkernels for 1x1 convolution, avx512: 7x32 (MR x NR), 1x32, the one-row 7-panel kernel, and the half-width 7x16, 1x16. */
#include "common/ukernels.h"
#include "simd/simd-avx512.h"

#define GEMM_MR 7
#define GEMM_NV 2
#define GEMM_PREFETCH /* weight-panel prefetch, see gemm-template.h */
#define GEMM_FN mna_f32_gemm_ukernel_7x32__avx512
#define GEMM_MULTI_FN mna_f32_gemm_multi_ukernel_7x32__avx512
#include "f32-gemm/gemm-template.h"

#define GEMM_MR 1
#define GEMM_NV 2
#define GEMM_FN mna_f32_gemm_ukernel_1x32__avx512
#include "f32-gemm/gemm-template.h"

/* half-width tile for the last column panel when the remainder fits in NR/2 */
#define GEMM_MR 7
#define GEMM_NV 1
#define GEMM_FN mna_f32_gemm_ukernel_7x16__avx512
#include "f32-gemm/gemm-template.h"

#define GEMM_MR 1
#define GEMM_NV 1
#define GEMM_FN mna_f32_gemm_ukernel_1x16__avx512
#include "f32-gemm/gemm-template.h"

/* one row over up to 7 full panels (the 1-row remainder tile), see gemm-row-template.h */
#define GEMM_ROW_P 7
#define GEMM_NV 2
#define GEMM_ROW_FN mna_f32_gemm_row_ukernel_7x32__avx512
#include "f32-gemm/gemm-row-template.h"
