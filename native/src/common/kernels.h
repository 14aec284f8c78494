/* The kernel table: one struct of function pointers per ISA.
 *
 * Every entry receives arguments that the entry points (api-f32-*.c) have already validated (non-NULL buffers,
 * positive sizes, lengths large enough, no forbidden overlap), plus the output size it
 * computed. An entry returns MNA_OK, or MNA_ERR_UNSUPPORTED *before writing anything*
 * to decline a shape it has no fast path for (the entry point then calls the reference entry),
 * or another status after setting mna_last_error (e.g. MNA_ERR_OUT_OF_MEMORY).
 *
 * Adding a kernel: write src/<dtype>-<op>/<name>.c defining a function of the op's
 * type below, declare it in the ISA's block of src/common/isa.c and set the field in
 * that ISA's table (one line). Fields left NULL fall back to the reference kernel. */
#ifndef MNA_KERNELS_H
#define MNA_KERNELS_H

#include "mna.h"

typedef mna_status (*mna_f32_conv2d_fn)(const mna_conv2d_params* p, int32_t out_h, int32_t out_w, const float* input,
                                        const float* weights, const float* bias, float* output, mna_threadpool* pool);
typedef mna_f32_conv2d_fn mna_f32_dwconv2d_fn;
typedef mna_status (*mna_f32_pwconv_fn)(int64_t pixels, int32_t in_c, int32_t out_c, const float* input,
                                        const float* weights, const float* bias, int32_t activation, float* output,
                                        mna_threadpool* pool);
/* expand_w/expand_b are NULL when p->hidden_c == 0. */
typedef mna_status (*mna_f32_irb_fn)(const mna_irb_params* p, int32_t out_h, int32_t out_w, const float* input,
                                     const float* expand_w, const float* expand_b, const float* dw_w, const float* dw_b,
                                     const float* project_w, const float* project_b, float* output,
                                     mna_threadpool* pool);
typedef mna_status (*mna_f32_avgpool2d_fn)(const mna_conv2d_params* p, int32_t out_h, int32_t out_w, const float* input,
                                           float* output, mna_threadpool* pool);
typedef mna_status (*mna_f32_global_avgpool_fn)(int32_t batch, int32_t h, int32_t w, int32_t c, const float* input,
                                                float* output, mna_threadpool* pool);
typedef mna_status (*mna_f32_fully_connected_fn)(int32_t batch, int32_t in_n, int32_t out_n, const float* input,
                                                 const float* weights, const float* bias, int32_t activation,
                                                 float* output, mna_threadpool* pool);
typedef mna_status (*mna_f32_softmax_fn)(int32_t batch, int32_t n, float beta, const float* input, float* output);
typedef mna_status (*mna_f32_add_fn)(int64_t count, const float* a, const float* b, int32_t activation, float* output);
typedef mna_status (*mna_f32_activation_fn)(int64_t count, int32_t activation, const float* input, float* output);
typedef mna_status (*mna_f32_pad2d_fn)(int32_t batch, int32_t in_h, int32_t in_w, int32_t c, int32_t pad_top,
                                       int32_t pad_left, int32_t pad_bottom, int32_t pad_right, float value,
                                       const float* input, float* output);

/* The single list of ops: X(name) for every table field f32_<name>. */
#define MNA_F32_OPS(X) \
  X(conv2d)            \
  X(dwconv2d)          \
  X(pwconv)            \
  X(irb)               \
  X(avgpool2d)         \
  X(global_avgpool)    \
  X(fully_connected)   \
  X(softmax)           \
  X(add)               \
  X(activation)        \
  X(pad2d)

typedef struct mna_kernel_table {
#define MNA_TABLE_FIELD(op) mna_f32_##op##_fn f32_##op;
  MNA_F32_OPS(MNA_TABLE_FIELD)
#undef MNA_TABLE_FIELD
} mna_kernel_table;

/* The reference table (always complete) and the table currently selected. */
extern const mna_kernel_table mna_reference_kernels;
const mna_kernel_table* mna_active_kernels(void);

#endif
