/* Integer kernel tables: the sets of MNA_Q8_UKERNEL_LIST, their process-wide selection (probed once). */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "common/common.h"
#include "common/q8-ukernels.h"

/* Microkernel declarations and the sets, from the one list. Names carry tile and ISA:
 * mna_q8_gemm_ukernel_7x32c4__avx512vnni (and _x: int8 activations), mna_q8_dw_ukernel_16c__avx512, ... */
#define MNA_Q8_GEMM_PROTO(name)                                                                            \
  void name(size_t, size_t, size_t, const uint8_t*, size_t, const void*, uint8_t*, size_t, const int32_t*, \
            const mna_q8_rq*);
/* half-width last-panel kernels, where a set has them */
MNA_Q8_GEMM_PROTO(mna_q8_gemm_ukernel_7x16c4__avx512vnni)
MNA_Q8_GEMM_PROTO(mna_q8_gemm_ukernel_7x16c4_x__avx512vnni)
#define MNA_Q8_GEMMH_avx512vnni mna_q8_gemm_ukernel_7x16c4__avx512vnni, mna_q8_gemm_ukernel_7x16c4_x__avx512vnni
#define MNA_Q8_GEMMH_scalar NULL, NULL
#define MNA_Q8_GEMMH_avx2 NULL, NULL
#define MNA_Q8_GEMMH_avxvnni NULL, NULL
#define MNA_Q8_GEMMH_neon NULL, NULL
#define MNA_Q8_GEMMH_neondot NULL, NULL
#define MNA_Q8_SET(sfx, id, mr, nr, vsfx)                                                                            \
  MNA_Q8_GEMM_PROTO(mna_q8_gemm_ukernel_##mr##x##nr##c4__##sfx)                                                      \
  MNA_Q8_GEMM_PROTO(mna_q8_gemm_ukernel_##mr##x##nr##c4_x__##sfx)                                                    \
  void mna_q8_dw_ukernel_16c__##vsfx(size_t, size_t, const uint8_t* const*, const void*, uint8_t*, const mna_q8_rq*, \
                                     int);                                                                           \
  void mna_q8_dw3x3_ukernel_16c__##vsfx(const uint8_t* const*, const int*, size_t, size_t, size_t, size_t, size_t,   \
                                        const void*, uint8_t*, const mna_q8_rq*, int32_t, int, const uint8_t*);      \
  void mna_q8_add_ukernel__##vsfx(size_t, const uint8_t*, const uint8_t*, uint8_t*, const mna_q8_add_params*, int);  \
  void mna_q8_quantize_ukernel__##vsfx(size_t, const float*, float, int32_t, float, float, uint8_t*);                \
  void mna_q8_rowsum_ukernel__##vsfx(size_t, size_t, const uint8_t*, size_t, int, int32_t, int32_t*);                \
  const mna_q8_ukernels mna_q8_ukernels_##sfx = {id,                                                                 \
                                                 #sfx,                                                               \
                                                 mr,                                                                 \
                                                 nr,                                                                 \
                                                 id == MNA_ISA_Q8_NEONDOT,                                           \
                                                 mna_q8_gemm_ukernel_##mr##x##nr##c4__##sfx,                         \
                                                 mna_q8_gemm_ukernel_##mr##x##nr##c4_x__##sfx,                       \
                                                 MNA_Q8_GEMMH_##sfx,                                                 \
                                                 mna_q8_dw_ukernel_16c__##vsfx,                                      \
                                                 mna_q8_dw3x3_ukernel_16c__##vsfx,                                   \
                                                 mna_q8_add_ukernel__##vsfx,                                         \
                                                 mna_q8_quantize_ukernel__##vsfx,                                    \
                                                 mna_q8_rowsum_ukernel__##vsfx};
MNA_Q8_UKERNEL_LIST(MNA_Q8_SET)
#undef MNA_Q8_SET

static int q8_supported(mna_isa_q8 isa) {
  const uint64_t f = mna_cpu_features_cached();
  switch (isa) {
    case MNA_ISA_Q8_AUTO:
    case MNA_ISA_Q8_REFERENCE:
    case MNA_ISA_Q8_SCALAR: return 1;
#if defined(__x86_64__) || defined(_M_X64)
    case MNA_ISA_Q8_AVX2: return (f & MNA_CPU_AVX2) != 0;
    case MNA_ISA_Q8_AVXVNNI: return (f & (MNA_CPU_AVX2 | MNA_CPU_AVXVNNI)) == (MNA_CPU_AVX2 | MNA_CPU_AVXVNNI);
    case MNA_ISA_Q8_AVX512VNNI: {
      const uint64_t need = MNA_CPU_AVX512F | MNA_CPU_AVX512BW | MNA_CPU_AVX512VL | MNA_CPU_AVX512VNNI;
      return (f & need) == need;
    }
#endif
#if defined(__aarch64__)
    case MNA_ISA_Q8_NEON: return (f & MNA_CPU_ASIMD) != 0;
    case MNA_ISA_Q8_NEONDOT: return (f & (MNA_CPU_ASIMD | MNA_CPU_DOTPROD)) == (MNA_CPU_ASIMD | MNA_CPU_DOTPROD);
#endif
    default: return 0;
  }
}

const mna_q8_ukernels* mna_q8_ukernels_for(mna_isa_q8 isa) {
#define MNA_Q8_CASE(sfx, id, mr, nr, vsfx) \
  if (isa == id) return &mna_q8_ukernels_##sfx;
  MNA_Q8_UKERNEL_LIST(MNA_Q8_CASE)
#undef MNA_Q8_CASE
  return NULL;
}

/* The last listed set the CPU supports: the list runs from plainest to widest. */
static mna_isa_q8 q8_best(void) {
  mna_isa_q8 best = MNA_ISA_Q8_SCALAR;
#define MNA_Q8_BEST(sfx, id, mr, nr, vsfx) \
  if (q8_supported(id)) best = id;
  MNA_Q8_UKERNEL_LIST(MNA_Q8_BEST)
#undef MNA_Q8_BEST
  return best;
}

static pthread_once_t g_q8_once = PTHREAD_ONCE_INIT;
static _Atomic int g_q8_current;

static void q8_init(void) { atomic_store(&g_q8_current, (int)q8_best()); }

MNA_API mna_isa_q8 mna_q8_current_isa(void) {
  pthread_once(&g_q8_once, q8_init);
  return (mna_isa_q8)atomic_load_explicit(&g_q8_current, memory_order_acquire);
}

const mna_q8_ukernels* mna_q8_active_ukernels(void) { return mna_q8_ukernels_for(mna_q8_current_isa()); }

MNA_API int mna_q8_isa_supported(mna_isa_q8 isa) {
  if (isa == MNA_ISA_Q8_AUTO || isa == MNA_ISA_Q8_REFERENCE) return 1;
  return mna_q8_ukernels_for(isa) != NULL && q8_supported(isa);
}

MNA_API mna_status mna_q8_select_isa(mna_isa_q8 isa) {
  mna_q8_current_isa(); /* initialise */
  if ((int)isa < (int)MNA_ISA_Q8_AUTO || (int)isa > (int)MNA_ISA_Q8_NEONDOT)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "mna_q8_select_isa: isa %d is not an mna_isa_q8 value", (int)isa);
  if (!mna_q8_isa_supported(isa))
    return mna_set_error(
        MNA_ERR_UNSUPPORTED,
        "mna_q8_select_isa: this CPU or build cannot run the %s integer kernels (cpu features: \"%s\")",
        mna_q8_isa_name(isa), mna_cpu_features_string());
  atomic_store_explicit(&g_q8_current, (int)(isa == MNA_ISA_Q8_AUTO ? q8_best() : isa), memory_order_release);
  return MNA_OK;
}

MNA_API const char* mna_q8_isa_name(mna_isa_q8 isa) {
  switch (isa) {
    case MNA_ISA_Q8_AUTO: return "auto";
    case MNA_ISA_Q8_REFERENCE: return "reference";
    case MNA_ISA_Q8_SCALAR: return "scalar";
    case MNA_ISA_Q8_AVX2: return "avx2";
    case MNA_ISA_Q8_AVXVNNI: return "avxvnni";
    case MNA_ISA_Q8_AVX512VNNI: return "avx512vnni";
    case MNA_ISA_Q8_NEON: return "neon";
    case MNA_ISA_Q8_NEONDOT: return "neondot";
    default: return "unknown";
  }
}
