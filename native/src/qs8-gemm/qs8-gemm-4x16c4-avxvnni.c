/* Integer GEMM microkernel, AVX-VNNI (VEX vpdpbusd on ymm): 4 rows x 16 columns, c4-packed int8 weights. */
#include "common/q8-ukernels.h"
#include "qs8-gemm/q8-gemm-epilogue.h"

#define Q8_FN mna_q8_gemm_ukernel_4x16c4__avxvnni
#define Q8_XOR 0
#define Q8_VNNI 1
#include "qs8-gemm/q8-gemm-avx2-template.h"

#define Q8_FN mna_q8_gemm_ukernel_4x16c4_x__avxvnni
#define Q8_XOR 1
#define Q8_VNNI 1
#include "qs8-gemm/q8-gemm-avx2-template.h"
