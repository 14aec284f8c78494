/* pthread pool: N-1 workers plus the calling thread. Idle workers sleep on a condition
 * variable; a parallel region hands out chunks of the range through an atomic counter. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "common/threadpool.h"

#define MNA_MAX_THREADS 1024
/* Chunks per thread: small enough for balance, large enough to amortise the atomic. */
#define MNA_CHUNKS_PER_THREAD 4

struct mna_threadpool {
  int32_t threads;  /* including the caller */
  int32_t nworkers; /* workers actually started */
  pthread_t* workers;

  pthread_mutex_t region_lock; /* one parallel region at a time */
  pthread_mutex_t mutex;       /* guards the fields below */
  pthread_cond_t work_cv;      /* workers wait here for a new generation or shutdown */
  pthread_cond_t done_cv;      /* the caller waits here for active == 0 */
  uint64_t generation;
  int shutdown;
  int32_t active; /* workers that have not finished the current region */

  /* the current region (written under mutex before generation++) */
  mna_parallel_fn fn;
  void* ctx;
  size_t range;
  size_t chunk;
  atomic_size_t next;
};

/* The pool whose region this thread is running (worker: always its pool). */
static _Thread_local mna_threadpool* tls_pool;

static void run_chunks(mna_threadpool* pool) {
  const size_t range = pool->range, chunk = pool->chunk;
  for (;;) {
    size_t begin = atomic_fetch_add_explicit(&pool->next, chunk, memory_order_relaxed);
    if (begin >= range) break;
    size_t end = range - begin < chunk ? range : begin + chunk;
    pool->fn(pool->ctx, begin, end);
  }
}

static void* worker_main(void* arg) {
  mna_threadpool* pool = (mna_threadpool*)arg;
  tls_pool = pool;
  /* Regions start only after mna_threadpool_create returns, at generation 1: a worker
   * that starts late must still take part in region 1, so it starts from 0. */
  uint64_t seen = 0;
  pthread_mutex_lock(&pool->mutex);
  for (;;) {
    while (pool->generation == seen && !pool->shutdown) pthread_cond_wait(&pool->work_cv, &pool->mutex);
    if (pool->generation == seen) break; /* shutdown with no pending region */
    seen = pool->generation;
    pthread_mutex_unlock(&pool->mutex);
    run_chunks(pool);
    pthread_mutex_lock(&pool->mutex);
    if (--pool->active == 0) pthread_cond_signal(&pool->done_cv);
  }
  pthread_mutex_unlock(&pool->mutex);
  return NULL;
}

void mna_parallelize_1d(mna_threadpool* pool, mna_parallel_fn fn, void* ctx, size_t range) {
  if (range == 0) return;
  if (!pool || pool->nworkers == 0 || range == 1 || tls_pool == pool) {
    fn(ctx, 0, range);
    return;
  }
  pthread_mutex_lock(&pool->region_lock);
  const size_t parts = (size_t)pool->threads * MNA_CHUNKS_PER_THREAD;
  size_t chunk = range / parts + (range % parts != 0);
  if (chunk == 0) chunk = 1;

  pthread_mutex_lock(&pool->mutex);
  pool->fn = fn;
  pool->ctx = ctx;
  pool->range = range;
  pool->chunk = chunk;
  atomic_store_explicit(&pool->next, 0, memory_order_relaxed);
  pool->active = pool->nworkers;
  pool->generation++;
  pthread_cond_broadcast(&pool->work_cv);
  pthread_mutex_unlock(&pool->mutex);

  tls_pool = pool;
  run_chunks(pool);
  tls_pool = NULL;

  pthread_mutex_lock(&pool->mutex);
  while (pool->active > 0) pthread_cond_wait(&pool->done_cv, &pool->mutex);
  pthread_mutex_unlock(&pool->mutex);
  pthread_mutex_unlock(&pool->region_lock);
}

static void stop_and_free(mna_threadpool* pool) {
  pthread_mutex_lock(&pool->region_lock); /* wait for a region in flight */
  pthread_mutex_lock(&pool->mutex);
  pool->shutdown = 1;
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
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "mna_threadpool_create: threads %d not in [1, %d]",
                         (int)threads, MNA_MAX_THREADS);
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
  atomic_init(&pool->next, 0);

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
