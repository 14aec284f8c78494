/* Integer GEMM microkernel, NEON dotprod: 4 rows x 16 columns, sdot on c4-packed int8 weights (armv8.2-a+dotprod). */
#include <arm_neon.h>
#include <string.h>

#include "common/q8-ukernels.h"

#define Q8_FN mna_q8_gemm_ukernel_4x16c4__neondot
#define Q8_XOR 0
#define Q8_DOT 1
#include "qs8-gemm/q8-gemm-neon-template.h"

#define Q8_FN mna_q8_gemm_ukernel_4x16c4_x__neondot
#define Q8_XOR 1
#define Q8_DOT 1
#include "qs8-gemm/q8-gemm-neon-template.h"
