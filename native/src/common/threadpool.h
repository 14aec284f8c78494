#ifndef MNA_THREADPOOL_H
#define MNA_THREADPOOL_H

#include <stddef.h>

#include "mna.h"

/* Processes indices [begin, end) of a parallel range. */
typedef void (*mna_parallel_fn)(void* ctx, size_t begin, size_t end);

/* Splits [0, range) into contiguous chunks and runs fn over all of them, on the pool's
 * workers and the calling thread; returns when every chunk is done. Each index is passed
 * to exactly one fn call. pool == NULL, a 1-thread pool, or a call made from inside a
 * parallel region of the same pool runs fn(ctx, 0, range) on the calling thread.
 * Several threads may call this on one pool at once: one region runs on the pool, a caller
 * that finds it busy runs its own region on its calling thread (no waiting). */
void mna_parallelize_1d(mna_threadpool* pool, mna_parallel_fn fn, void* ctx, size_t range);

/* As mna_parallelize_1d over [0, units), one fn(ctx, u, u + 1) call per unit, where unit u prefers
 * the pool's thread u % threads (the caller is thread 0; the workers are numbered once, as they
 * start): a thread runs its own units first, then whatever is left, so a thread the OS has not
 * scheduled still delays nothing. Consecutive regions that split the same rows the same way (the
 * fused blocks' bands) then find their input rows in the cache of the core that wrote them. */
void mna_parallelize_affine(mna_threadpool* pool, mna_parallel_fn fn, void* ctx, size_t units);
/* 1 (the default): mna_parallelize_affine as above; 0: it is mna_parallelize_1d (for benchmarks). */
extern int mna_pool_affine;

#endif
