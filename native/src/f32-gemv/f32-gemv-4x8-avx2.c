/* f32 GEMV microkernel (fully connected, unpacked weights), avx2. */
#include "common/ukernels.h"
#include "simd/simd-avx2.h"

#define GEMV_FN mna_f32_gemv_ukernel_4x8__avx2
#include "f32-gemv/gemv-template.h"
