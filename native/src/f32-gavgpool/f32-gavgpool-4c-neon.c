/* f32 global average pool microkernel, neon. */
#include "common/ukernels.h"
#include "simd/simd-neon.h"

#define GAVG_FN mna_f32_gavg_ukernel_4c__neon
#include "f32-gavgpool/gavg-template.h"
