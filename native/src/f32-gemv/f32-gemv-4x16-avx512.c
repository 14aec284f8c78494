/* f32 GEMV microkernel (fully connected, unpacked weights), avx512. */
#include "common/ukernels.h"
#include "simd/simd-avx512.h"

#define GEMV_FN mna_f32_gemv_ukernel_4x16__avx512
#include "f32-gemv/gemv-template.h"
