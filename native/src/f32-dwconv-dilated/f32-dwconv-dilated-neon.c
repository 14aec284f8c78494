/* f32 dilated depthwise row microkernel (any window, stride and dilation), neon. */
#include "f32-dwconv-dilated/dwd.h"
#include "simd/simd-neon.h"

#define DWD_FN mna_f32_dwd_ukernel__neon
#include "f32-dwconv-dilated/dwd-template.h"
