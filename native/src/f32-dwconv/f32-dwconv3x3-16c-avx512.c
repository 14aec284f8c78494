/* f32 3x3 depthwise row microkernel (stride 1 and 2), avx512, 16 channels per vector. */
#include "common/ukernels.h"
#include "simd/simd-avx512.h"

/* Rows of at most this many channels run the column-group interior (compile-time knob:
 * -DMNA_DW_COLS=0 turns it off; 160 measured on the development machine). */
#ifndef MNA_DW_COLS
#define MNA_DW_COLS 160
#endif
#if MNA_DW_COLS > 0
#define DW_COLS_MAX_C MNA_DW_COLS
#endif
#define DW_FN mna_f32_dw3x3_ukernel_16c__avx512
#include "f32-dwconv/dw3x3-template.h"
