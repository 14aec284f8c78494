/* Integer GEMM microkernel, plain NEON: 4 rows x 16 columns on c4-packed int8 weights (vld4 de-interleaves the
 * four k of a group), int16 x int16 multiply-accumulate into int32. */
#include <arm_neon.h>
#include <string.h>

#include "common/q8-ukernels.h"

#define Q8_FN mna_q8_gemm_ukernel_4x16c4__neon
#define Q8_XOR 0
#define Q8_DOT 0
#include "qs8-gemm/q8-gemm-neon-template.h"

#define Q8_FN mna_q8_gemm_ukernel_4x16c4_x__neon
#define Q8_XOR 1
#define Q8_DOT 0
#include "qs8-gemm/q8-gemm-neon-template.h"
