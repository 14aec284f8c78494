/* f32 dilated depthwise row microkernel (any window, stride and dilation), scalar. */
#include "f32-dwconv-dilated/dwd.h"
#include "simd/simd-scalar.h"

#define DWD_FN mna_f32_dwd_ukernel__scalar
#include "f32-dwconv-dilated/dwd-template.h"
