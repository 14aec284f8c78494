/* f32 dilated depthwise row microkernel (any window, stride and dilation), avx512. */
#include "f32-dwconv-dilated/dwd.h"
#include "simd/simd-avx512.h"

#define DWD_FN mna_f32_dwd_ukernel__avx512
#include "f32-dwconv-dilated/dwd-template.h"
