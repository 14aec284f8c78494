/* f32 global average pool microkernel, avx2. */
#include "common/ukernels.h"
#include "simd/simd-avx2.h"

#define GAVG_FN mna_f32_gavg_ukernel_8c__avx2
#include "f32-gavgpool/gavg-template.h"
