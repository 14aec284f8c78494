/* f32 GEMM microkernels for 1x1 convolution, scalar: 4x4 (MR x NR), 1x4, the one-row 4-panel kernel, and the half-width 4x2, 1x2. */
#include "common/ukernels.h"
#include "simd/simd-scalar.h"

#define GEMM_MR 4
#define GEMM_NV 4
#define GEMM_FN mna_f32_gemm_ukernel_4x4__scalar
#define GEMM_MULTI_FN mna_f32_gemm_multi_ukernel_4x4__scalar
#include "f32-gemm/gemm-template.h"

#define GEMM_MR 1
#define GEMM_NV 4
#define GEMM_FN mna_f32_gemm_ukernel_1x4__scalar
#include "f32-gemm/gemm-template.h"

/* half-width tile for the last column panel when the remainder fits in NR/2 */
#define GEMM_MR 4
#define GEMM_NV 2
#define GEMM_FN mna_f32_gemm_ukernel_4x2__scalar
#include "f32-gemm/gemm-template.h"

#define GEMM_MR 1
#define GEMM_NV 2
#define GEMM_FN mna_f32_gemm_ukernel_1x2__scalar
#include "f32-gemm/gemm-template.h"

/* one row over up to 4 full panels (the 1-row remainder tile), see gemm-row-template.h */
#define GEMM_ROW_P 4
#define GEMM_NV 4
#define GEMM_ROW_FN mna_f32_gemm_row_ukernel_4x4__scalar
#include "f32-gemm/gemm-row-template.h"
