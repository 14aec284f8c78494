/* f32 global average pool microkernel, scalar. */
#include "common/ukernels.h"
#include "simd/simd-scalar.h"

#define GAVG_FN mna_f32_gavg_ukernel_1c__scalar
#include "f32-gavgpool/gavg-template.h"
