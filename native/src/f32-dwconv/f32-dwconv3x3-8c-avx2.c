/* f32 3x3 depthwise row microkernel (stride 1 and 2), avx2, 8 channels per vector. */
#include "common/ukernels.h"
#include "simd/simd-avx2.h"

#define DW_COLUMN_GROUPS /* column-group interior for narrow rows, see dw3x3-template.h */
#define DW_FN mna_f32_dw3x3_ukernel_8c__avx2
#include "f32-dwconv/dw3x3-template.h"
