/* f32 3x3 depthwise row microkernel (stride 1 and 2), avx512, 16 channels per vector. */
#include "common/ukernels.h"
#include "simd/simd-avx512.h"

#define DW_COLUMN_GROUPS /* column-group interior for narrow rows, see dw3x3-template.h */
#define DW_FN mna_f32_dw3x3_ukernel_16c__avx512
#include "f32-dwconv/dw3x3-template.h"
