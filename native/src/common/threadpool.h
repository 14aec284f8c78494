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

#endif
