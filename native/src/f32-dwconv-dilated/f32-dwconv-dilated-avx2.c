/* f32 dilated depthwise row microkernel (any window, stride and dilation), avx2. */
#include "f32-dwconv-dilated/dwd.h"
#include "simd/simd-avx2.h"

#define DWD_FN mna_f32_dwd_ukernel__avx2
#include "f32-dwconv-dilated/dwd-template.h"
