/* f32 global average pool microkernel, avx512. */
#include "common/ukernels.h"
#include "simd/simd-avx512.h"

#define GAVG_FN mna_f32_gavg_ukernel_16c__avx512
#include "f32-gavgpool/gavg-template.h"
