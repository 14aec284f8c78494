/* f32 GEMM microkernels for 1x1 convolution, neon: 6x16 (MR x NR), 1x16, the one-row 6-panel kernel, and the half-width 6x8, 1x8. */
#include "common/ukernels.h"
#include "simd/simd-neon.h"

#define GEMM_MR 6
#define GEMM_NV 4
#define GEMM_FN mna_f32_gemm_ukernel_6x16__neon
#define GEMM_MULTI_FN mna_f32_gemm_multi_ukernel_6x16__neon
#include "f32-gemm/gemm-template.h"

#define GEMM_MR 1
#define GEMM_NV 4
#define GEMM_FN mna_f32_gemm_ukernel_1x16__neon
#include "f32-gemm/gemm-template.h"

/* half-width tile for the last column panel when the remainder fits in NR/2 */
#define GEMM_MR 6
#define GEMM_NV 2
#define GEMM_FN mna_f32_gemm_ukernel_6x8__neon
#include "f32-gemm/gemm-template.h"

#define GEMM_MR 1
#define GEMM_NV 2
#define GEMM_FN mna_f32_gemm_ukernel_1x8__neon
#include "f32-gemm/gemm-template.h"

/* one row over up to 6 full panels (the 1-row remainder tile), see gemm-row-template.h */
#define GEMM_ROW_P 6
#define GEMM_NV 4
#define GEMM_ROW_FN mna_f32_gemm_row_ukernel_6x16__neon
#include "f32-gemm/gemm-row-template.h"
