/* Internal declarations shared by the whole library (not installed). */
#ifndef MNA_COMMON_H
#define MNA_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "mna.h"

#if defined(__GNUC__)
#  define MNA_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#  define MNA_PRINTF(a, b)
#endif

/* Formats a message into the thread-local mna_last_error() buffer and returns `status`,
 * so validation reads `return mna_set_error(MNA_ERR_..., "fn: ...", ...);`. */
mna_status mna_set_error(mna_status status, const char* fmt, ...) MNA_PRINTF(2, 3);

/* Largest element count of one buffer: its byte size must fit in ptrdiff_t. */
#define MNA_MAX_ELEMENTS ((int64_t)(PTRDIFF_MAX / (ptrdiff_t)sizeof(float)))

/* CPU features, probed once (thread-safe). */
uint64_t mna_cpu_features_cached(void);

#endif
