/* Helpers shared by the native benchmark companions (bench_fast, bench_irb); not tests.
 * Include after defining _POSIX_C_SOURCE (clock_gettime). */
#ifndef MNA_BENCH_UTIL_H
#define MNA_BENCH_UTIL_H

#include <time.h>

/* Seconds on the given clock (CLOCK_MONOTONIC for wall time, CLOCK_THREAD_CPUTIME_ID for the
 * calling thread's CPU time). */
static inline double clock_seconds(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline double wall_seconds(void) { return clock_seconds(CLOCK_MONOTONIC); }

/* qsort comparator for doubles, ascending. */
static inline int cmp_double(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

#endif
