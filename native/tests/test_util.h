/* Tiny test helpers shared by the C tests (header-only, no framework). */
#ifndef MNA_TEST_UTIL_H
#define MNA_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mna.h"

static int g_failures = 0;
static int g_checks = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    __atomic_add_fetch(&g_checks, 1, __ATOMIC_RELAXED);                        \
    if (!(cond)) {                                                             \
      __atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);                    \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

#define CHECK_OK(expr)                                                                                      \
  do {                                                                                                      \
    __atomic_add_fetch(&g_checks, 1, __ATOMIC_RELAXED);                                                     \
    mna_status s_ = (expr);                                                                                 \
    if (s_ != MNA_OK) {                                                                                     \
      __atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);                                                 \
      fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #expr, (int)s_, mna_last_error()); \
    }                                                                                                       \
  } while (0)

/* Expects a given failure status and a non-empty error message. */
#define CHECK_STATUS(expected, expr)                                                                                 \
  do {                                                                                                               \
    __atomic_add_fetch(&g_checks, 1, __ATOMIC_RELAXED);                                                              \
    mna_set_last_error_for_test();                                                                                   \
    mna_status s_ = (expr);                                                                                          \
    if (s_ != (expected)) {                                                                                          \
      __atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);                                                          \
      fprintf(stderr, "%s:%d: %s returned %d, expected %d (%s)\n", __FILE__, __LINE__, #expr, (int)s_,               \
              (int)(expected), mna_last_error());                                                                    \
    } else if ((expected) != MNA_OK && (mna_last_error()[0] == '\0' || strcmp(mna_last_error(), g_sentinel) == 0)) { \
      __atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);                                                          \
      fprintf(stderr, "%s:%d: %s: empty/stale mna_last_error\n", __FILE__, __LINE__, #expr);                         \
    } else if (getenv("MNA_TEST_VERBOSE")) {                                                                         \
      printf("  ok %-24s -> %d \"%s\"\n", #expected, (int)s_, mna_last_error());                                     \
    }                                                                                                                \
  } while (0)

/* Makes mna_last_error() hold a known message (via a call that fails in a known way),
 * so a later check can tell that a fresh message was written. */
static char g_sentinel[512];
static inline void mna_set_last_error_for_test(void) {
  (void)mna_select_isa((mna_isa)77);
  snprintf(g_sentinel, sizeof g_sentinel, "%s", mna_last_error());
}

static inline int near(float got, float want, float tol) { return fabsf(got - want) <= tol * (1.0f + fabsf(want)); }

#define CHECK_NEAR_ARRAY(got, want, n, tol)                                                                        \
  do {                                                                                                             \
    __atomic_add_fetch(&g_checks, 1, __ATOMIC_RELAXED);                                                            \
    for (size_t i_ = 0; i_ < (size_t)(n); i_++) {                                                                  \
      if (!near((got)[i_], (want)[i_], (tol))) {                                                                   \
        __atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);                                                      \
        fprintf(stderr, "%s:%d: %s[%zu] = %.9g, expected %.9g\n", __FILE__, __LINE__, #got, i_, (double)(got)[i_], \
                (double)(want)[i_]);                                                                               \
        break;                                                                                                     \
      }                                                                                                            \
    }                                                                                                              \
  } while (0)

/* Deterministic pseudo-random floats in [-1, 1). */
static uint32_t g_rng = 12345u;
static inline float frand(void) {
  g_rng = g_rng * 1664525u + 1013904223u;
  return (float)((g_rng >> 8) & 0xffffff) / 8388608.0f - 1.0f;
}
static inline float* rand_buf(size_t n) {
  float* b = (float*)malloc((n ? n : 1) * sizeof(float));
  if (!b) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  for (size_t i = 0; i < n; i++) b[i] = frand();
  return b;
}

static inline int test_summary(const char* name) {
  printf("%s: %d checks, %d failures\n", name, g_checks, g_failures);
  return g_failures ? 1 : 0;
}

static inline const char* isa_name(mna_isa isa) {
  switch (isa) {
    case MNA_ISA_AUTO: return "auto";
    case MNA_ISA_REFERENCE: return "reference";
    case MNA_ISA_SCALAR: return "scalar";
    case MNA_ISA_AVX2: return "avx2";
    case MNA_ISA_AVX512: return "avx512";
    case MNA_ISA_NEON: return "neon";
  }
  return "?";
}

#endif
