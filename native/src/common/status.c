#include <stdarg.h>
#include <stdio.h>

#include "common/common.h"

#define MNA_ERROR_CAPACITY 512

static _Thread_local char g_last_error[MNA_ERROR_CAPACITY];

mna_status mna_set_error(mna_status status, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(g_last_error, sizeof g_last_error, fmt, ap);
  va_end(ap);
  if (n < 0) {
    g_last_error[0] = '?';
    g_last_error[1] = '\0';
  }
  return status;
}

MNA_API const char* mna_last_error(void) { return g_last_error; }

MNA_API const char* mna_version(void) { return "0.1.0"; }

MNA_API int32_t mna_abi_version(void) { return MNA_ABI_VERSION; }
