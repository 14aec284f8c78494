/* ISA kernel tables and their process-wide selection. */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "common/common.h"
#include "common/kernels.h"
#include "common/ukernels.h"
#include "reference/reference.h"

const mna_kernel_table mna_reference_kernels = {
#define MNA_REF_ENTRY(op) .f32_##op = mna_ref_f32_##op,
    MNA_F32_OPS(MNA_REF_ENTRY)
#undef MNA_REF_ENTRY
};

/* ---- per-ISA microkernel sets (one file per kernel family and ISA under src/f32-*) ---- */

#define MNA_GEMM_PROTO(name)                                                                                         \
  void name(size_t, size_t, size_t, const float*, size_t, const float*, float*, size_t, const float*, size_t, float, \
            float, const void*, size_t);
#define MNA_DECLARE_UKERNELS(isa, mr, nr, hr, vl)                                                                      \
  MNA_GEMM_PROTO(mna_f32_gemm_ukernel_##mr##x##nr##__##isa)                                                            \
  MNA_GEMM_PROTO(mna_f32_gemm_ukernel_1x##nr##__##isa)                                                                 \
  MNA_GEMM_PROTO(mna_f32_gemm_ukernel_##mr##x##hr##__##isa)                                                            \
  MNA_GEMM_PROTO(mna_f32_gemm_ukernel_1x##hr##__##isa)                                                                 \
  void mna_f32_gemm_multi_ukernel_##mr##x##nr##__##isa(size_t, size_t, size_t, const float*, size_t, const float*,     \
                                                       size_t, float*, size_t, const float*, size_t, float, float,     \
                                                       const void*, size_t);                                           \
  void mna_f32_gemm_row_ukernel_##mr##x##nr##__##isa(size_t, size_t, const float*, const float*, size_t, float*,       \
                                                     const float*, float, float, const void*, size_t);                 \
  void mna_f32_dw3x3_ukernel_##vl##c__##isa(const float* const*, size_t, size_t, size_t, size_t, size_t, const float*, \
                                            const float*, float*, float, float);                                       \
  void mna_f32_gavg_ukernel_##vl##c__##isa(size_t, size_t, const float*, float, float*);                               \
  void mna_f32_gemv_ukernel_4x##vl##__##isa(size_t, size_t, const float*, const float*, const float*, float*, float,   \
                                            float);                                                                    \
  const mna_f32_ukernels mna_f32_ukernels_##isa = {#isa,                                                               \
                                                   mr,                                                                 \
                                                   nr,                                                                 \
                                                   mna_f32_gemm_ukernel_##mr##x##nr##__##isa,                          \
                                                   mna_f32_gemm_ukernel_1x##nr##__##isa,                               \
                                                   mna_f32_gemm_ukernel_##mr##x##hr##__##isa,                          \
                                                   mna_f32_gemm_ukernel_1x##hr##__##isa,                               \
                                                   mna_f32_dw3x3_ukernel_##vl##c__##isa,                               \
                                                   mna_f32_gavg_ukernel_##vl##c__##isa,                                \
                                                   mna_f32_gemv_ukernel_4x##vl##__##isa,                               \
                                                   mna_f32_gemm_row_ukernel_##mr##x##nr##__##isa,                      \
                                                   mna_f32_gemm_multi_ukernel_##mr##x##nr##__##isa};

/* Table entries of one ukernel set: thin wrappers over the drivers in common/fast.c and
 * f32-irb/f32-irb-rowring.c. Ops not listed (avgpool, softmax, add, activation, pad) use
 * the reference kernels. */
#define MNA_FAST_ENTRIES(isa)                                                                                          \
  static mna_status isa##_conv2d(const mna_conv2d_params* p, int32_t oh, int32_t ow, const float* x, const float* w,   \
                                 const float* b, float* y, mna_threadpool* pool) {                                     \
    return mna_fast_f32_conv2d(&mna_f32_ukernels_##isa, p, oh, ow, x, w, b, y, pool);                                  \
  }                                                                                                                    \
  static mna_status isa##_dwconv2d(const mna_conv2d_params* p, int32_t oh, int32_t ow, const float* x, const float* w, \
                                   const float* b, float* y, mna_threadpool* pool) {                                   \
    return mna_fast_f32_dwconv2d(&mna_f32_ukernels_##isa, p, oh, ow, x, w, b, y, pool);                                \
  }                                                                                                                    \
  static mna_status isa##_pwconv(int64_t px, int32_t ic, int32_t oc, const float* x, const float* w, const float* b,   \
                                 int32_t act, float* y, mna_threadpool* pool) {                                        \
    return mna_fast_f32_pwconv(&mna_f32_ukernels_##isa, px, ic, oc, x, w, b, act, y, pool);                            \
  }                                                                                                                    \
  static mna_status isa##_irb(const mna_irb_params* p, int32_t oh, int32_t ow, const float* x, const float* ew,        \
                              const float* eb, const float* dw, const float* db, const float* pw, const float* pb,     \
                              float* y, mna_threadpool* pool) {                                                        \
    return mna_fast_f32_irb(&mna_f32_ukernels_##isa, p, oh, ow, x, ew, eb, dw, db, pw, pb, y, pool);                   \
  }                                                                                                                    \
  static mna_status isa##_gavg(int32_t n, int32_t h, int32_t w, int32_t c, const float* x, float* y,                   \
                               mna_threadpool* pool) {                                                                 \
    return mna_fast_f32_global_avgpool(&mna_f32_ukernels_##isa, n, h, w, c, x, y, pool);                               \
  }                                                                                                                    \
  static mna_status isa##_fc(int32_t n, int32_t in_n, int32_t out_n, const float* x, const float* w, const float* b,   \
                             int32_t act, float* y, mna_threadpool* pool) {                                            \
    return mna_fast_f32_fully_connected(&mna_f32_ukernels_##isa, n, in_n, out_n, x, w, b, act, y, pool);               \
  }                                                                                                                    \
  static mna_kernel_table g_##isa##_kernels = {                                                                        \
      .f32_conv2d = isa##_conv2d,                                                                                      \
      .f32_dwconv2d = isa##_dwconv2d,                                                                                  \
      .f32_pwconv = isa##_pwconv,                                                                                      \
      .f32_irb = isa##_irb,                                                                                            \
      .f32_global_avgpool = isa##_gavg,                                                                                \
      .f32_fully_connected = isa##_fc,                                                                                 \
  };

/* Portable scalar kernels (always available): 4x4 GEMM, 1-channel depthwise. */
MNA_DECLARE_UKERNELS(scalar, 4, 4, 2, 1)
MNA_FAST_ENTRIES(scalar)

#if defined(__x86_64__) || defined(_M_X64)
/* x86-64 AVX2 + FMA3: 6x16 GEMM, 8-channel depthwise. */
MNA_DECLARE_UKERNELS(avx2, 6, 16, 8, 8)
MNA_FAST_ENTRIES(avx2)
/* x86-64 AVX-512F: 7x32 GEMM, 16-channel depthwise. */
MNA_DECLARE_UKERNELS(avx512, 7, 32, 16, 16)
MNA_FAST_ENTRIES(avx512)
#else
static mna_kernel_table g_avx2_kernels = {.f32_conv2d = NULL};
static mna_kernel_table g_avx512_kernels = {.f32_conv2d = NULL};
#endif

#if defined(__aarch64__)
/* aarch64 NEON (ASIMD, vfmaq_f32): 6x16 GEMM, 4-channel depthwise. */
MNA_DECLARE_UKERNELS(neon, 6, 16, 8, 4)
MNA_FAST_ENTRIES(neon)
#else
static mna_kernel_table g_neon_kernels = {.f32_conv2d = NULL};
#endif

/* --------------------------------------------------------------------------------- */

typedef struct isa_entry {
  mna_isa isa;
  const mna_kernel_table* table;
  const mna_f32_ukernels* ukernels; /* NULL: reference (no packing, no microkernels) */
} isa_entry;

static const isa_entry g_entries[] = {
    {MNA_ISA_REFERENCE, &mna_reference_kernels, NULL},
    {MNA_ISA_SCALAR, &g_scalar_kernels, &mna_f32_ukernels_scalar},
#if defined(__x86_64__) || defined(_M_X64)
    {MNA_ISA_AVX2, &g_avx2_kernels, &mna_f32_ukernels_avx2},
    {MNA_ISA_AVX512, &g_avx512_kernels, &mna_f32_ukernels_avx512},
#else
    {MNA_ISA_AVX2, &g_avx2_kernels, NULL},
    {MNA_ISA_AVX512, &g_avx512_kernels, NULL},
#endif
#if defined(__aarch64__)
    {MNA_ISA_NEON, &g_neon_kernels, &mna_f32_ukernels_neon},
#else
    {MNA_ISA_NEON, &g_neon_kernels, NULL},
#endif
};

static pthread_once_t g_init_once = PTHREAD_ONCE_INIT;
static _Atomic(const isa_entry*) g_current;

static const isa_entry* entry_for(mna_isa isa) {
  for (size_t i = 0; i < sizeof g_entries / sizeof g_entries[0]; i++)
    if (g_entries[i].isa == isa) return &g_entries[i];
  return NULL;
}

static int supported(mna_isa isa) {
  const uint64_t f = mna_cpu_features_cached();
  switch (isa) {
    case MNA_ISA_AUTO:
    case MNA_ISA_REFERENCE:
    case MNA_ISA_SCALAR: return 1;
    case MNA_ISA_AVX2: return (f & (MNA_CPU_AVX2 | MNA_CPU_FMA3)) == (MNA_CPU_AVX2 | MNA_CPU_FMA3);
    case MNA_ISA_AVX512: return (f & MNA_CPU_AVX512F) != 0;
    case MNA_ISA_NEON: return (f & MNA_CPU_ASIMD) != 0;
    default: return 0;
  }
}

/* AVX-512 -> AVX2 -> scalar on x86; NEON -> scalar on aarch64. */
static mna_isa best_isa(void) {
  if (supported(MNA_ISA_AVX512)) return MNA_ISA_AVX512;
  if (supported(MNA_ISA_AVX2)) return MNA_ISA_AVX2;
  if (supported(MNA_ISA_NEON)) return MNA_ISA_NEON;
  return MNA_ISA_SCALAR;
}

static void fill_fallbacks(mna_kernel_table* t) {
#define MNA_FILL(op) \
  if (!t->f32_##op) t->f32_##op = mna_reference_kernels.f32_##op;
  MNA_F32_OPS(MNA_FILL)
#undef MNA_FILL
}

static void init(void) {
  fill_fallbacks(&g_scalar_kernels);
  fill_fallbacks(&g_avx2_kernels);
  fill_fallbacks(&g_avx512_kernels);
  fill_fallbacks(&g_neon_kernels);
  atomic_store(&g_current, entry_for(best_isa()));
}

static const isa_entry* current(void) {
  pthread_once(&g_init_once, init);
  return atomic_load_explicit(&g_current, memory_order_acquire);
}

const mna_kernel_table* mna_active_kernels(void) { return current()->table; }

const mna_f32_ukernels* mna_active_ukernels(void) { return current()->ukernels; }

MNA_API mna_status mna_select_isa(mna_isa isa) {
  current(); /* initialise */
  if ((int)isa < (int)MNA_ISA_AUTO || (int)isa > (int)MNA_ISA_NEON)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "mna_select_isa: isa %d is not an mna_isa value", (int)isa);
  if (!supported(isa))
    return mna_set_error(MNA_ERR_UNSUPPORTED,
                         "mna_select_isa: the running CPU cannot execute isa %d (cpu features: \"%s\")", (int)isa,
                         mna_cpu_features_string());
  const mna_isa chosen = isa == MNA_ISA_AUTO ? best_isa() : isa;
  atomic_store_explicit(&g_current, entry_for(chosen), memory_order_release);
  return MNA_OK;
}

MNA_API mna_isa mna_current_isa(void) { return current()->isa; }

MNA_API int mna_isa_supported(mna_isa isa) { return supported(isa); }
