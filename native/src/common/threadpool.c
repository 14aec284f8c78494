/* pthread pool: N-1 workers plus the calling thread; a parallel region hands out chunks of
 * the range through one atomic word that holds the region's generation and the next index.
 *
 * A region is finished when every chunk is done, not when every worker has checked in: a
 * worker the OS has not scheduled (another process or session has the core) simply misses the
 * region and the threads that are running do its share. A late worker cannot take a chunk of a
 * newer region with an older one's function: a claim is a compare-and-swap on the word
 * (generation << 32 | next index), which fails once the generation has moved on.
 *
 * Waiting: a worker that has just finished a region polls for the next one for a bounded time
 * (MNA_POOL_SPIN_US, default 100 microseconds) and then blocks on a condition variable; the
 * caller likewise polls for the chunks in flight before blocking. One inference issues dozens
 * of back-to-back regions, and waking a blocked worker costs a futex round trip (~13 us per
 * empty region on the 2-vCPU development VM, against ~1 us when the worker is still polling).
 * Polling backs off when it is not making progress: each worker halves its polling time after a
 * poll that ended without work (down to none) and doubles it again (up to the bound) after a poll
 * that caught a region or when work arrives soon after it blocked; polls call sched_yield() every
 * 64 polls so that other runnable threads on the core (other processes, other sessions' callers)
 * are not starved by it. MNA_POOL_SPIN_US=0 turns polling off.
 *
 * Several threads may use one pool (a pool shared by sessions): a caller that finds the pool
 * busy with another caller's region runs its own region on its own thread instead of waiting. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "common/threadpool.h"

#define MNA_MAX_THREADS 1024
/* Chunks per thread: small enough for balance, large enough to amortise the atomic. */
#define MNA_CHUNKS_PER_THREAD 4
#define MNA_DEFAULT_SPIN_US 100
/* Largest range handed out in parallel (the index lives in the low 32 bits of the state word). */
#define MNA_MAX_PARALLEL_RANGE ((size_t)1 << 31)

struct mna_threadpool {
  int32_t threads;  /* including the caller */
  int32_t nworkers; /* workers actually started */
  pthread_t* workers;
  int64_t spin_ns; /* the most a waiter polls before it blocks */

  pthread_mutex_t region_lock; /* one parallel region at a time */
  pthread_mutex_t mutex;       /* pairs with the condition variables */
  pthread_cond_t work_cv;      /* blocked workers wait here for a new generation or shutdown */
  pthread_cond_t done_cv;      /* the blocked caller waits here for done == range */
  atomic_uint_fast64_t state;  /* generation << 32 | next unclaimed index of the current region */
  atomic_int shutdown;

  /* the current region: written (relaxed) before the release store of state that starts it,
   * unchanged until every chunk of it is done */
  _Atomic(mna_parallel_fn) fn;
  _Atomic(void*) ctx;
  atomic_size_t range;
  atomic_size_t chunk;
  atomic_size_t done;   /* indices finished */
  atomic_int next_slot; /* workers number themselves 1.. as they start (the caller is 0) */
};

/* The pool whose region this thread is running (worker: always its pool). */
static _Thread_local mna_threadpool* tls_pool;
/* This thread's place in its pool: 0 for a caller, 1..threads-1 for the workers (fixed for the pool's life). */
static _Thread_local int tls_slot;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline uint32_t gen_of(uint64_t s) { return (uint32_t)(s >> 32); }

/* Polls until the generation differs from seen (or shutdown) for at most spin_ns; returns the
 * last state read. Yields the processor every few polls. */
static uint64_t spin_for_generation(mna_threadpool* pool, uint32_t seen, int64_t spin_ns) {
  uint64_t s = atomic_load_explicit(&pool->state, memory_order_acquire);
  if (gen_of(s) != seen || spin_ns <= 0) return s;
  const int64_t deadline = now_ns() + spin_ns;
  for (unsigned i = 1;; i++) {
    cpu_relax();
    s = atomic_load_explicit(&pool->state, memory_order_acquire);
    if (gen_of(s) != seen || atomic_load_explicit(&pool->shutdown, memory_order_relaxed)) return s;
    if ((i & 63) == 0) {
      if (now_ns() > deadline) return s;
      sched_yield();
    }
  }
}

/* Runs chunks of region `gen` until none is left (or the region is over); returns the indices run. */
static void run_chunks(mna_threadpool* pool, uint32_t gen) {
  uint64_t s = atomic_load_explicit(&pool->state, memory_order_acquire);
  for (;;) {
    if (gen_of(s) != gen) return;
    const size_t range = atomic_load_explicit(&pool->range, memory_order_relaxed);
    const size_t chunk = atomic_load_explicit(&pool->chunk, memory_order_relaxed);
    const mna_parallel_fn fn = atomic_load_explicit(&pool->fn, memory_order_relaxed);
    void* const ctx = atomic_load_explicit(&pool->ctx, memory_order_relaxed);
    const size_t begin = (uint32_t)s;
    if (begin >= range) return;
    /* The claim succeeds only while the state is still this region's: the fields read above
     * cannot have changed, since a region's fields change only after all its chunks are done. */
    if (!atomic_compare_exchange_weak_explicit(&pool->state, &s, s + chunk, memory_order_acq_rel, memory_order_acquire))
      continue;
    const size_t end = range - begin < chunk ? range : begin + chunk;
    fn(ctx, begin, end);
    const size_t n = end - begin;
    if (atomic_fetch_add_explicit(&pool->done, n, memory_order_acq_rel) + n == range) {
      /* last chunk: wake the caller if it blocked (under the mutex: no lost wake-up) */
      pthread_mutex_lock(&pool->mutex);
      pthread_cond_signal(&pool->done_cv);
      pthread_mutex_unlock(&pool->mutex);
    }
    s = atomic_load_explicit(&pool->state, memory_order_acquire);
  }
}

static void* worker_main(void* arg) {
  mna_threadpool* pool = (mna_threadpool*)arg;
  tls_pool = pool;
  tls_slot = atomic_fetch_add_explicit(&pool->next_slot, 1, memory_order_relaxed) + 1;
  /* Regions start only after mna_threadpool_create returns, at generation 1. */
  uint32_t seen = 0;
  int64_t spin = pool->spin_ns; /* this worker's polling time: adapts to whether polling pays */
  for (;;) {
    uint64_t s = spin_for_generation(pool, seen, spin);
    if (gen_of(s) != seen && spin > 0) {
      /* polling caught the region: it pays, poll longer next time (up to the bound) */
      spin = spin * 2 < pool->spin_ns ? spin * 2 : pool->spin_ns;
    } else if (gen_of(s) == seen) {
      if (spin > 0) spin /= 2; /* polled for nothing: poll less */
      if (spin < 1000) spin = 0;
      const int64_t blocked_at = now_ns();
      pthread_mutex_lock(&pool->mutex);
      while (gen_of(s = atomic_load_explicit(&pool->state, memory_order_acquire)) == seen &&
             !atomic_load_explicit(&pool->shutdown, memory_order_relaxed))
        pthread_cond_wait(&pool->work_cv, &pool->mutex);
      pthread_mutex_unlock(&pool->mutex);
      /* work came soon after blocking: polling would have caught it, poll longer again */
      if (gen_of(s) != seen && now_ns() - blocked_at < pool->spin_ns)
        spin = spin * 2 < pool->spin_ns ? (spin < 1000 ? 1000 : spin * 2) : pool->spin_ns;
    }
    if (gen_of(s) == seen) break; /* shutdown with no pending region */
    seen = gen_of(s);
    run_chunks(pool, seen);
  }
  return NULL;
}

void mna_parallelize_1d(mna_threadpool* pool, mna_parallel_fn fn, void* ctx, size_t range) {
  if (range == 0) return;
  if (!pool || pool->nworkers == 0 || range == 1 || tls_pool == pool || range > MNA_MAX_PARALLEL_RANGE) {
    fn(ctx, 0, range);
    return;
  }
  /* Another caller's region is running on this (shared) pool: run this one here rather than wait. */
  if (pthread_mutex_trylock(&pool->region_lock) != 0) {
    fn(ctx, 0, range);
    return;
  }
  const size_t parts = (size_t)pool->threads * MNA_CHUNKS_PER_THREAD;
  size_t chunk = range / parts + (range % parts != 0);
  if (chunk == 0) chunk = 1;
  /* Close the previous region first: its state word stays claimable ((gen, index >= its range) passes a late
   * worker's compare-and-swap) until the generation moves on, and a worker that read the NEW fields below before
   * that would run a chunk of this region under the old word and then again under the new one (seen: a chunk run
   * twice in test_internal's varied regions, on x86 and aarch64). An exchange to an intermediate generation with an
   * exhausted index (acq_rel: the field stores below stay after it) makes every such claim fail; a worker that
   * sees the intermediate generation finds nothing to claim and waits for the next. */
  const uint32_t closed = gen_of(atomic_load_explicit(&pool->state, memory_order_relaxed)) + 1;
  atomic_exchange_explicit(&pool->state, ((uint64_t)closed << 32) | 0xFFFFFFFFu, memory_order_acq_rel);
  atomic_store_explicit(&pool->fn, fn, memory_order_relaxed);
  atomic_store_explicit(&pool->ctx, ctx, memory_order_relaxed);
  atomic_store_explicit(&pool->range, range, memory_order_relaxed);
  atomic_store_explicit(&pool->chunk, chunk, memory_order_relaxed);
  atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
  /* publish: the new generation with index 0 (release: the fields above are visible to whoever
   * sees it); a blocked worker is woken (it re-checks the state under the mutex) */
  const uint32_t gen = closed + 1;
  atomic_store_explicit(&pool->state, (uint64_t)gen << 32, memory_order_release);
  pthread_mutex_lock(&pool->mutex);
  pthread_cond_broadcast(&pool->work_cv);
  pthread_mutex_unlock(&pool->mutex);

  tls_pool = pool;
  run_chunks(pool, gen);
  tls_pool = NULL;

  /* Chunks other threads claimed may still be running: poll for them briefly, then block. */
  if (atomic_load_explicit(&pool->done, memory_order_acquire) < range && pool->spin_ns > 0) {
    const int64_t deadline = now_ns() + pool->spin_ns;
    for (unsigned i = 1; atomic_load_explicit(&pool->done, memory_order_acquire) < range; i++) {
      cpu_relax();
      if ((i & 63) == 0) {
        if (now_ns() > deadline) break;
        sched_yield();
      }
    }
  }
  if (atomic_load_explicit(&pool->done, memory_order_acquire) < range) {
    pthread_mutex_lock(&pool->mutex);
    while (atomic_load_explicit(&pool->done, memory_order_acquire) < range)
      pthread_cond_wait(&pool->done_cv, &pool->mutex);
    pthread_mutex_unlock(&pool->mutex);
  }
  pthread_mutex_unlock(&pool->region_lock);
}

/* ------------------------------------------------------------ affine regions */

#define MNA_AFFINE_MAX_UNITS 1024

typedef struct {
  mna_parallel_fn fn;
  void* ctx;
  size_t units, threads;
  atomic_uchar taken[MNA_AFFINE_MAX_UNITS];
} affine_ctx;

/* Each index claimed from the pool runs one unit: the first free one of this thread's own units
 * (u % threads == slot), else the first free one: every unit exactly once (as many claims as units). */
static void affine_run(void* vctx, size_t begin, size_t end) {
  affine_ctx* a = (affine_ctx*)vctx;
  for (size_t n = begin; n < end; n++) {
    size_t u = a->units;
    for (size_t c = (size_t)tls_slot % a->threads; c < a->units && u == a->units; c += a->threads)
      if (!atomic_exchange_explicit(&a->taken[c], 1, memory_order_relaxed)) u = c;
    for (size_t c = 0; c < a->units && u == a->units; c++)
      if (!atomic_exchange_explicit(&a->taken[c], 1, memory_order_relaxed)) u = c;
    if (u < a->units) a->fn(a->ctx, u, u + 1);
  }
}

int mna_pool_affine = 1;

void mna_parallelize_affine(mna_threadpool* pool, mna_parallel_fn fn, void* ctx, size_t units) {
  if (units == 0) return;
  if (!mna_pool_affine || !pool || pool->nworkers == 0 || units == 1 || tls_pool == pool ||
      units > MNA_AFFINE_MAX_UNITS) {
    mna_parallelize_1d(pool, fn, ctx, units);
    return;
  }
  affine_ctx a;
  a.fn = fn;
  a.ctx = ctx;
  a.units = units;
  a.threads = (size_t)pool->threads;
  for (size_t u = 0; u < units; u++) atomic_init(&a.taken[u], 0);
  mna_parallelize_1d(pool, affine_run, &a, units);
}

static void stop_and_free(mna_threadpool* pool) {
  pthread_mutex_lock(&pool->region_lock); /* wait for a region in flight */
  pthread_mutex_lock(&pool->mutex);
  atomic_store_explicit(&pool->shutdown, 1, memory_order_relaxed);
  pthread_cond_broadcast(&pool->work_cv);
  pthread_mutex_unlock(&pool->mutex);
  for (int32_t i = 0; i < pool->nworkers; i++) pthread_join(pool->workers[i], NULL);
  pthread_mutex_unlock(&pool->region_lock);
  pthread_cond_destroy(&pool->done_cv);
  pthread_cond_destroy(&pool->work_cv);
  pthread_mutex_destroy(&pool->mutex);
  pthread_mutex_destroy(&pool->region_lock);
  free(pool->workers);
  free(pool);
}

MNA_API mna_status mna_threadpool_create(int32_t threads, mna_threadpool** out) {
  if (!out) return mna_set_error(MNA_ERR_NULL_POINTER, "mna_threadpool_create: pool is NULL");
  *out = NULL;
  if (threads < 1 || threads > MNA_MAX_THREADS)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "mna_threadpool_create: threads %d not in [1, %d]", (int)threads,
                         MNA_MAX_THREADS);
  mna_threadpool* pool = (mna_threadpool*)calloc(1, sizeof *pool);
  if (!pool) return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "mna_threadpool_create: out of memory");
  pool->threads = threads;
  if (threads > 1) {
    pool->workers = (pthread_t*)calloc((size_t)(threads - 1), sizeof(pthread_t));
    if (!pool->workers) {
      free(pool);
      return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "mna_threadpool_create: out of memory");
    }
  }
  if (pthread_mutex_init(&pool->region_lock, NULL) || pthread_mutex_init(&pool->mutex, NULL) ||
      pthread_cond_init(&pool->work_cv, NULL) || pthread_cond_init(&pool->done_cv, NULL)) {
    free(pool->workers);
    free(pool);
    return mna_set_error(MNA_ERR_INTERNAL, "mna_threadpool_create: pthread init failed");
  }
  atomic_init(&pool->state, 0);
  atomic_init(&pool->shutdown, 0);
  atomic_init(&pool->fn, NULL);
  atomic_init(&pool->ctx, NULL);
  atomic_init(&pool->range, 0);
  atomic_init(&pool->chunk, 1);
  atomic_init(&pool->done, 0);
  atomic_init(&pool->next_slot, 0);
  pool->spin_ns = (int64_t)MNA_DEFAULT_SPIN_US * 1000;
  const char* spin = getenv("MNA_POOL_SPIN_US");
  if (spin && *spin) {
    char* end = NULL;
    const long us = strtol(spin, &end, 10);
    if (end && *end == '\0' && us >= 0 && us <= 100000) pool->spin_ns = (int64_t)us * 1000;
  }

  /* Workers block all signals: they belong to the host process's threads
   * (e.g. the .NET runtime), not to this pool. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int err = 0;
  for (int32_t i = 0; i < threads - 1; i++) {
    err = pthread_create(&pool->workers[i], NULL, worker_main, pool);
    if (err) break;
    pool->nworkers++;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (err) {
    const int32_t started = pool->nworkers;
    stop_and_free(pool);
    return mna_set_error(err == EAGAIN ? MNA_ERR_OUT_OF_MEMORY : MNA_ERR_INTERNAL,
                         "mna_threadpool_create: could not start worker %d of %d: %s", (int)started + 1,
                         (int)threads - 1, strerror(err));
  }
  *out = pool;
  return MNA_OK;
}

MNA_API mna_status mna_threadpool_destroy(mna_threadpool* pool) {
  if (!pool) return MNA_OK;
  if (tls_pool == pool)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT,
                         "mna_threadpool_destroy: called from inside a parallel region of this pool");
  stop_and_free(pool);
  return MNA_OK;
}

MNA_API int32_t mna_threadpool_threads(const mna_threadpool* pool) { return pool ? pool->threads : 1; }
