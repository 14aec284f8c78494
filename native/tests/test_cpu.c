/* CPU feature probe and kernel-table selection. */
#include "test_util.h"

int main(void) {
  uint64_t f = 0, f2 = 1;
  CHECK_OK(mna_cpu_features(&f));
  CHECK_OK(mna_cpu_features(&f2));
  CHECK(f == f2);
  const char* s = mna_cpu_features_string();
  CHECK(s != NULL);
  printf("cpu features: 0x%llx \"%s\"\n", (unsigned long long)f, s);

  /* implications that must hold */
  if (f & MNA_CPU_AVX2) CHECK(f & MNA_CPU_AVX);
  if (f & MNA_CPU_AVX512BW) CHECK(f & MNA_CPU_AVX512F);
  if (f & MNA_CPU_AVX512F) CHECK(strstr(s, "avx512f") != NULL);
  if (f & MNA_CPU_AVX2) CHECK(strstr(s, "avx2") != NULL);

#if defined(__x86_64__)
  CHECK((f & (MNA_CPU_ASIMD | MNA_CPU_DOTPROD | MNA_CPU_FP16ARITH)) == 0);
  CHECK(f & MNA_CPU_SSE41); /* every x86-64 CPU this library targets */
  CHECK(!mna_isa_supported(MNA_ISA_NEON));
  CHECK_STATUS(MNA_ERR_UNSUPPORTED, mna_select_isa(MNA_ISA_NEON));
  CHECK(strstr(mna_last_error(), "mna_select_isa") != NULL);
  CHECK(mna_isa_supported(MNA_ISA_AVX2) == ((f & MNA_CPU_AVX2) && (f & MNA_CPU_FMA3)));
  CHECK(mna_isa_supported(MNA_ISA_AVX512) == !!(f & MNA_CPU_AVX512F));
  if (!(f & MNA_CPU_AVX512F)) CHECK_STATUS(MNA_ERR_UNSUPPORTED, mna_select_isa(MNA_ISA_AVX512));
#elif defined(__aarch64__)
  CHECK(f & MNA_CPU_ASIMD);
  CHECK((f & 0xffffu) == 0);
  CHECK(mna_isa_supported(MNA_ISA_NEON));
  CHECK(!mna_isa_supported(MNA_ISA_AVX2) && !mna_isa_supported(MNA_ISA_AVX512));
  CHECK_STATUS(MNA_ERR_UNSUPPORTED, mna_select_isa(MNA_ISA_AVX2));
  CHECK_STATUS(MNA_ERR_UNSUPPORTED, mna_select_isa(MNA_ISA_AVX512));
#endif

  /* the default is the best table, and AUTO selects it again */
  const mna_isa initial = mna_current_isa();
  printf("default isa: %s\n", isa_name(initial));
#if defined(__x86_64__)
  CHECK(initial == (mna_isa_supported(MNA_ISA_AVX512) ? MNA_ISA_AVX512
                    : mna_isa_supported(MNA_ISA_AVX2) ? MNA_ISA_AVX2
                                                      : MNA_ISA_SCALAR));
#elif defined(__aarch64__)
  CHECK(initial == MNA_ISA_NEON);
#endif
  CHECK(initial != MNA_ISA_AUTO && initial != MNA_ISA_REFERENCE);

  CHECK(mna_isa_supported(MNA_ISA_REFERENCE) && mna_isa_supported(MNA_ISA_SCALAR) && mna_isa_supported(MNA_ISA_AUTO));
  CHECK(!mna_isa_supported((mna_isa)99));
  CHECK_OK(mna_select_isa(MNA_ISA_REFERENCE));
  CHECK(mna_current_isa() == MNA_ISA_REFERENCE);
  /* an unsupported request leaves the selection unchanged */
  CHECK_STATUS(MNA_ERR_INVALID_ARGUMENT, mna_select_isa((mna_isa)-1));
  CHECK(mna_current_isa() == MNA_ISA_REFERENCE);
  static const mna_isa all[] = {MNA_ISA_SCALAR, MNA_ISA_AVX2, MNA_ISA_AVX512, MNA_ISA_NEON};
  for (size_t i = 0; i < 4; i++) {
    if (mna_isa_supported(all[i])) {
      CHECK_OK(mna_select_isa(all[i]));
      CHECK(mna_current_isa() == all[i]);
    } else {
      const mna_isa before = mna_current_isa();
      CHECK_STATUS(MNA_ERR_UNSUPPORTED, mna_select_isa(all[i]));
      CHECK(mna_current_isa() == before);
    }
  }
  CHECK_OK(mna_select_isa(MNA_ISA_AUTO));
  CHECK(mna_current_isa() == initial);
  return test_summary("test_cpu");
}
