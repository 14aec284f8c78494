/* ISA kernel tables and their process-wide selection. */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "common/common.h"
#include "common/kernels.h"
#include "reference/reference.h"

const mna_kernel_table mna_reference_kernels = {
#define MNA_REF_ENTRY(op) .f32_##op = mna_ref_f32_##op,
    MNA_F32_OPS(MNA_REF_ENTRY)
#undef MNA_REF_ENTRY
};

/* ---- per-ISA tables: set a field to add a kernel; NULL fields use the reference. ---- */

/* Portable scalar kernels (always available). */
static mna_kernel_table g_scalar_kernels = {
    .f32_conv2d = NULL, /* e.g. .f32_dwconv2d = mna_f32_dwconv2d__scalar, */
};

/* x86-64 AVX2 + FMA3. */
static mna_kernel_table g_avx2_kernels = {
    .f32_conv2d = NULL,
};

/* x86-64 AVX-512F. */
static mna_kernel_table g_avx512_kernels = {
    .f32_conv2d = NULL,
};

/* aarch64 NEON (ASIMD). */
static mna_kernel_table g_neon_kernels = {
    .f32_conv2d = NULL,
};

/* --------------------------------------------------------------------------------- */

typedef struct isa_entry {
  mna_isa isa;
  const mna_kernel_table* table;
} isa_entry;

static const isa_entry g_entries[] = {
    {MNA_ISA_REFERENCE, &mna_reference_kernels},
    {MNA_ISA_SCALAR, &g_scalar_kernels},
    {MNA_ISA_AVX2, &g_avx2_kernels},
    {MNA_ISA_AVX512, &g_avx512_kernels},
    {MNA_ISA_NEON, &g_neon_kernels},
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
    case MNA_ISA_SCALAR:
      return 1;
    case MNA_ISA_AVX2:
      return (f & (MNA_CPU_AVX2 | MNA_CPU_FMA3)) == (MNA_CPU_AVX2 | MNA_CPU_FMA3);
    case MNA_ISA_AVX512:
      return (f & MNA_CPU_AVX512F) != 0;
    case MNA_ISA_NEON:
      return (f & MNA_CPU_ASIMD) != 0;
    default:
      return 0;
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

MNA_API mna_status mna_select_isa(mna_isa isa) {
  current(); /* initialise */
  if ((int)isa < (int)MNA_ISA_AUTO || (int)isa > (int)MNA_ISA_NEON)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "mna_select_isa: isa %d is not an mna_isa value", (int)isa);
  if (!supported(isa))
    return mna_set_error(MNA_ERR_UNSUPPORTED,
                         "mna_select_isa: the running CPU cannot execute isa %d (cpu features: \"%s\")",
                         (int)isa, mna_cpu_features_string());
  const mna_isa chosen = isa == MNA_ISA_AUTO ? best_isa() : isa;
  atomic_store_explicit(&g_current, entry_for(chosen), memory_order_release);
  return MNA_OK;
}

MNA_API mna_isa mna_current_isa(void) { return current()->isa; }

MNA_API int mna_isa_supported(mna_isa isa) { return supported(isa); }
