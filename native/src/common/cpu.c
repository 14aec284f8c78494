/* CPU feature probe: cpuid + xgetbv on x86-64 (OS support of the YMM/ZMM register
 * state included), getauxval(AT_HWCAP) on aarch64 Linux. Probed once. */
#include <pthread.h>
#include <string.h>

#include "common/common.h"

#if defined(__x86_64__) || defined(__i386__)
#  include <cpuid.h>
#  define MNA_X86 1
#elif defined(__aarch64__) && defined(__linux__)
#  include <sys/auxv.h>
#  define MNA_AARCH64_LINUX 1
#endif

static pthread_once_t g_probe_once = PTHREAD_ONCE_INIT;
static uint64_t g_features;
static char g_features_string[256];

#if defined(MNA_X86)
static uint64_t read_xcr0(void) {
  uint32_t eax, edx;
  /* xgetbv with ecx = 0, encoded so no -mxsave is needed. */
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((uint64_t)edx << 32) | eax;
}

static uint64_t probe_x86(void) {
  unsigned int eax, ebx, ecx, edx;
  uint64_t f = 0;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return 0;
  const unsigned int max_leaf = eax;
  if (max_leaf < 1) return 0;

  __cpuid(1, eax, ebx, ecx, edx);
  const unsigned int ecx1 = ecx;
  if (ecx1 & (1u << 19)) f |= MNA_CPU_SSE41;

  /* AVX needs the OS to save XMM+YMM state (XCR0 bits 1,2); AVX-512 also needs
   * opmask, ZMM_Hi256 and Hi16_ZMM (bits 5,6,7). */
  int os_ymm = 0, os_zmm = 0;
  if (ecx1 & (1u << 27)) { /* OSXSAVE */
    const uint64_t xcr0 = read_xcr0();
    os_ymm = (xcr0 & 0x6) == 0x6;
    os_zmm = os_ymm && (xcr0 & 0xe0) == 0xe0;
  }
  if (!os_ymm) return f;
  if (ecx1 & (1u << 28)) f |= MNA_CPU_AVX;
  if (!(f & MNA_CPU_AVX)) return f;
  if (ecx1 & (1u << 12)) f |= MNA_CPU_FMA3;

  if (max_leaf >= 7) {
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    const unsigned int max_sub7 = eax, ebx7 = ebx, ecx7 = ecx;
    if (ebx7 & (1u << 5)) f |= MNA_CPU_AVX2;
    if (os_zmm && (ebx7 & (1u << 16))) {
      f |= MNA_CPU_AVX512F;
      if (ebx7 & (1u << 17)) f |= MNA_CPU_AVX512DQ;
      if (ebx7 & (1u << 30)) f |= MNA_CPU_AVX512BW;
      if (ebx7 & (1u << 31)) f |= MNA_CPU_AVX512VL;
      if (ecx7 & (1u << 11)) f |= MNA_CPU_AVX512VNNI;
    }
    if (max_sub7 >= 1) {
      __cpuid_count(7, 1, eax, ebx, ecx, edx);
      if (eax & (1u << 4)) f |= MNA_CPU_AVXVNNI;
    }
  }
  return f;
}
#endif

#if defined(MNA_AARCH64_LINUX)
#  ifndef HWCAP_ASIMD
#    define HWCAP_ASIMD (1ul << 1)
#  endif
#  ifndef HWCAP_ASIMDHP
#    define HWCAP_ASIMDHP (1ul << 10)
#  endif
#  ifndef HWCAP_ASIMDDP
#    define HWCAP_ASIMDDP (1ul << 20)
#  endif
static uint64_t probe_aarch64(void) {
  const unsigned long hw = getauxval(AT_HWCAP);
  uint64_t f = 0;
  if (hw & HWCAP_ASIMD) f |= MNA_CPU_ASIMD;
  if (hw & HWCAP_ASIMDDP) f |= MNA_CPU_DOTPROD;
  if (hw & HWCAP_ASIMDHP) f |= MNA_CPU_FP16ARITH;
  return f;
}
#endif

static void append(char* buf, size_t cap, const char* word) {
  size_t len = strlen(buf);
  size_t wlen = strlen(word);
  if (len + wlen + 2 > cap) return;
  if (len) buf[len++] = ' ';
  memcpy(buf + len, word, wlen + 1);
}

static void probe(void) {
  uint64_t f = 0;
#if defined(MNA_X86)
  f = probe_x86();
#elif defined(MNA_AARCH64_LINUX)
  f = probe_aarch64();
#endif
  static const struct {
    uint64_t bit;
    const char* name;
  } names[] = {
      {MNA_CPU_SSE41, "sse4.1"},        {MNA_CPU_AVX, "avx"},           {MNA_CPU_AVX2, "avx2"},
      {MNA_CPU_FMA3, "fma3"},           {MNA_CPU_AVX512F, "avx512f"},   {MNA_CPU_AVX512DQ, "avx512dq"},
      {MNA_CPU_AVX512BW, "avx512bw"},   {MNA_CPU_AVX512VL, "avx512vl"}, {MNA_CPU_AVX512VNNI, "avx512vnni"},
      {MNA_CPU_AVXVNNI, "avxvnni"},     {MNA_CPU_ASIMD, "asimd"},       {MNA_CPU_DOTPROD, "dotprod"},
      {MNA_CPU_FP16ARITH, "fp16arith"},
  };
  g_features_string[0] = '\0';
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (f & names[i].bit) append(g_features_string, sizeof g_features_string, names[i].name);
  g_features = f;
}

uint64_t mna_cpu_features_cached(void) {
  pthread_once(&g_probe_once, probe);
  return g_features;
}

MNA_API mna_status mna_cpu_features(uint64_t* features) {
  if (!features) return mna_set_error(MNA_ERR_NULL_POINTER, "mna_cpu_features: features is NULL");
  *features = mna_cpu_features_cached();
  return MNA_OK;
}

MNA_API const char* mna_cpu_features_string(void) {
  mna_cpu_features_cached();
  return g_features_string;
}
