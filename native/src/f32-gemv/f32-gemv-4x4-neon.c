/* f32 GEMV microkernel (fully connected, unpacked weights), neon. */
#include "common/ukernels.h"
#include "simd/simd-neon.h"

#define GEMV_FN mna_f32_gemv_ukernel_4x4__neon
#include "f32-gemv/gemv-template.h"
