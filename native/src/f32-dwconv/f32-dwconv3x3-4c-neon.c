/* f32 3x3 depthwise row microkernel (stride 1 and 2), neon, 4 channels per vector. */
#include "common/ukernels.h"
#include "simd/simd-neon.h"

#define DW_FN mna_f32_dw3x3_ukernel_4c__neon
#include "f32-dwconv/dw3x3-template.h"
