/* f32 GEMV microkernel (fully connected, unpacked weights), scalar. */
#include "common/ukernels.h"
#include "simd/simd-scalar.h"

#define GEMV_FN mna_f32_gemv_ukernel_4x1__scalar
#include "f32-gemv/gemv-template.h"
