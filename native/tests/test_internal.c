/* Internal pieces (linked from the library's objects): the parallel-for covers every
 * index exactly once, with any thread count, range, nesting and concurrent callers. */
#include <pthread.h>

#include "common/kernels.h"
#include "common/threadpool.h"
#include "test_util.h"

typedef struct {
  unsigned char* hits;
  size_t range;
  int bad;
  mna_threadpool* pool;
} cover_ctx;

static void mark(void* vctx, size_t begin, size_t end) {
  cover_ctx* c = (cover_ctx*)vctx;
  if (begin >= end || end > c->range) __atomic_store_n(&c->bad, 1, __ATOMIC_RELAXED);
  for (size_t i = begin; i < end && i < c->range; i++) __atomic_add_fetch(&c->hits[i], 1, __ATOMIC_RELAXED);
}

static int covered_once(const cover_ctx* c) {
  if (c->bad) return 0;
  for (size_t i = 0; i < c->range; i++)
    if (c->hits[i] != 1) return 0;
  return 1;
}

static void nested(void* vctx, size_t begin, size_t end) {
  cover_ctx* c = (cover_ctx*)vctx;
  for (size_t i = begin; i < end; i++) {
    /* a region inside a region of the same pool runs inline instead of deadlocking */
    cover_ctx inner = {(unsigned char*)calloc(7, 1), 7, 0, NULL};
    mna_parallelize_1d(c->pool, mark, &inner, 7);
    if (!covered_once(&inner)) __atomic_store_n(&c->bad, 1, __ATOMIC_RELAXED);
    free(inner.hits);
    __atomic_add_fetch(&c->hits[i], 1, __ATOMIC_RELAXED);
  }
}

static void* concurrent(void* arg) {
  mna_threadpool* pool = (mna_threadpool*)arg;
  int ok = 1;
  for (int rep = 0; rep < 200; rep++) {
    cover_ctx c = {(unsigned char*)calloc(1000, 1), 1000, 0, pool};
    mna_parallelize_1d(pool, mark, &c, 1000);
    ok &= covered_once(&c);
    free(c.hits);
  }
  return ok ? (void*)1 : NULL;
}

int main(void) {
  static const size_t ranges[] = {0, 1, 2, 3, 5, 7, 16, 17, 100, 1001, 65537};
  for (int threads = 1; threads <= 6; threads++) {
    mna_threadpool* pool = NULL;
    CHECK_OK(mna_threadpool_create(threads, &pool));
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
      for (int rep = 0; rep < 5; rep++) {
        cover_ctx c = {(unsigned char*)calloc(ranges[r] + 1, 1), ranges[r], 0, pool};
        mna_parallelize_1d(pool, mark, &c, ranges[r]);
        CHECK(covered_once(&c));
        free(c.hits);
      }
    }
    cover_ctx c = {(unsigned char*)calloc(50, 1), 50, 0, pool};
    mna_parallelize_1d(pool, nested, &c, 50);
    CHECK(covered_once(&c));
    free(c.hits);

    pthread_t th[3];
    for (int i = 0; i < 3; i++) CHECK(pthread_create(&th[i], NULL, concurrent, pool) == 0);
    for (int i = 0; i < 3; i++) {
      void* ok = NULL;
      pthread_join(th[i], &ok);
      CHECK(ok != NULL);
    }
    CHECK_OK(mna_threadpool_destroy(pool));
  }
  /* NULL pool runs inline */
  cover_ctx c = {(unsigned char*)calloc(33, 1), 33, 0, NULL};
  mna_parallelize_1d(NULL, mark, &c, 33);
  CHECK(covered_once(&c));
  free(c.hits);

  /* every table is complete (no NULL entry after selection) */
  static const mna_isa isas[] = {MNA_ISA_REFERENCE, MNA_ISA_SCALAR, MNA_ISA_AVX2, MNA_ISA_AVX512, MNA_ISA_NEON};
  for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
    if (!mna_isa_supported(isas[i])) continue;
    CHECK_OK(mna_select_isa(isas[i]));
    const mna_kernel_table* k = mna_active_kernels();
#define CHECK_ENTRY(op) CHECK(k->f32_##op != NULL);
    MNA_F32_OPS(CHECK_ENTRY)
#undef CHECK_ENTRY
  }
  return test_summary("test_internal");
}
