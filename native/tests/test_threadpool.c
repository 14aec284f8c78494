/* Results are bit-identical for a NULL pool and pools of 1, 2, 3 (and 5) threads. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <time.h>

#include "test_util.h"

typedef struct {
  float *x, *w, *b, *ew, *eb, *dw, *db, *pw, *pb;
} inputs;

enum { OPS = 7 };
static const char* op_names[OPS] = {"conv2d", "dwconv2d", "pwconv", "irb", "avgpool2d", "global_avgpool", "fc"};

/* 2 x 13 x 11 x 8, enough rows to give every thread several chunks. */
static const mna_conv2d_params P = {2, 13, 11, 8, 8, 3, 3, 2, 1, 1, 0, 1, 1, MNA_ACT_RELU6};
static const mna_irb_params Q = {2, 13, 11, 8, 24, 8, 1, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 1};

static size_t run_op(int op, const inputs* in, float* y, size_t ylen, mna_threadpool* pool) {
  int32_t oh, ow;
  const size_t xn = 2 * 13 * 11 * 8;
  switch (op) {
    case 0:
      CHECK_OK(mna_conv2d_output_shape(&P, &oh, &ow));
      CHECK_OK(mna_f32_conv2d(&P, in->x, xn, in->w, 8 * 9 * 8, in->b, 8, y, ylen, pool));
      return (size_t)2 * oh * ow * 8;
    case 1:
      CHECK_OK(mna_conv2d_output_shape(&P, &oh, &ow));
      CHECK_OK(mna_f32_dwconv2d(&P, in->x, xn, in->w, 9 * 8, in->b, 8, y, ylen, pool));
      return (size_t)2 * oh * ow * 8;
    case 2:
      CHECK_OK(mna_f32_pwconv(2 * 13 * 11, 8, 24, in->x, xn, in->w, 24 * 8, in->b, 24, MNA_ACT_RELU, y, ylen, pool));
      return (size_t)2 * 13 * 11 * 24;
    case 3:
      CHECK_OK(mna_irb_output_shape(&Q, &oh, &ow));
      CHECK_OK(mna_f32_irb(&Q, in->x, xn, in->ew, 24 * 8, in->eb, 24, in->dw, 9 * 24, in->db, 24, in->pw, 8 * 24,
                           in->pb, 8, y, ylen, pool));
      return (size_t)2 * oh * ow * 8;
    case 4:
      CHECK_OK(mna_conv2d_output_shape(&P, &oh, &ow));
      CHECK_OK(mna_f32_avgpool2d(&P, in->x, xn, y, ylen, pool));
      return (size_t)2 * oh * ow * 8;
    case 5: CHECK_OK(mna_f32_global_avgpool(2, 13, 11, 8, in->x, xn, y, ylen, pool)); return 16;
    default:
      CHECK_OK(mna_f32_fully_connected(2, 13 * 11 * 8, 24, in->x, xn, in->w, 24 * 13 * 11 * 8, in->b, 24, MNA_ACT_NONE,
                                       y, ylen, pool));
      return 48;
  }
}

typedef struct {
  const inputs* in;
  mna_threadpool* pool;
  const float* expected[OPS];
  size_t n[OPS];
  int mismatches;
} shared_ctx;

/* Several threads share one pool: their regions must serialise and still be exact. */
static void* hammer(void* arg) {
  shared_ctx* s = (shared_ctx*)arg;
  float* y = (float*)malloc(8192 * sizeof(float));
  for (int rep = 0; rep < 20; rep++)
    for (int op = 0; op < OPS; op++) {
      size_t n = run_op(op, s->in, y, 8192, s->pool);
      if (n != s->n[op] || memcmp(y, s->expected[op], n * sizeof(float)) != 0)
        __atomic_add_fetch(&s->mismatches, 1, __ATOMIC_RELAXED);
    }
  free(y);
  return NULL;
}

int main(void) {
  inputs in = {rand_buf(4096), rand_buf(24 * 13 * 11 * 8),
               rand_buf(64),   rand_buf(512),
               rand_buf(64),   rand_buf(512),
               rand_buf(64),   rand_buf(512),
               rand_buf(64)};
  enum { YN = 8192 };
  float* expected[OPS];
  size_t n[OPS];
  for (int op = 0; op < OPS; op++) {
    expected[op] = (float*)calloc(YN, sizeof(float));
    n[op] = run_op(op, &in, expected[op], YN, NULL);
    CHECK(n[op] <= YN);
  }
  float* y = (float*)malloc(YN * sizeof(float));
  const int counts[] = {1, 2, 3, 5};
  for (size_t t = 0; t < sizeof counts / sizeof counts[0]; t++) {
    mna_threadpool* pool = NULL;
    CHECK_OK(mna_threadpool_create(counts[t], &pool));
    CHECK(mna_threadpool_threads(pool) == counts[t]);
    for (int rep = 0; rep < 3; rep++)
      for (int op = 0; op < OPS; op++) {
        memset(y, 0xff, YN * sizeof(float));
        size_t got = run_op(op, &in, y, YN, pool);
        CHECK(got == n[op]);
        if (memcmp(y, expected[op], n[op] * sizeof(float)) != 0) {
          __atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);
          fprintf(stderr, "%s with %d threads differs from the single-thread result\n", op_names[op], counts[t]);
        }
      }
    CHECK_OK(mna_threadpool_destroy(pool));
  }

  /* one 3-thread pool shared by 4 caller threads */
  shared_ctx s = {&in, NULL, {0}, {0}, 0};
  for (int op = 0; op < OPS; op++) s.expected[op] = expected[op], s.n[op] = n[op];
  CHECK_OK(mna_threadpool_create(3, &s.pool));
  pthread_t th[4];
  for (int i = 0; i < 4; i++) CHECK(pthread_create(&th[i], NULL, hammer, &s) == 0);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  CHECK(s.mismatches == 0);
  CHECK_OK(mna_threadpool_destroy(s.pool));

  /* idle workers block: after a burst of regions the pool may poll for a bounded time
   * (MNA_POOL_SPIN_US, default 100 us), then a 3-thread pool left alone for 300 ms must use
   * (almost) no CPU. A pool whose workers kept spinning would burn ~600 ms of CPU here. */
  {
    mna_threadpool* pool = NULL;
    CHECK_OK(mna_threadpool_create(3, &pool));
    for (int rep = 0; rep < 20; rep++) run_op(2, &in, y, YN, pool);
    struct timespec c0, c1, pause = {0, 300 * 1000 * 1000};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    nanosleep(&pause, NULL);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    const double idle_cpu_ms = 1e3 * (double)(c1.tv_sec - c0.tv_sec) + 1e-6 * (double)(c1.tv_nsec - c0.tv_nsec);
    if (!(idle_cpu_ms < 30.0)) {
      __atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);
      fprintf(stderr, "idle 3-thread pool used %.1f ms of CPU in 300 ms (workers must block when idle)\n", idle_cpu_ms);
    }
    CHECK_OK(mna_threadpool_destroy(pool));
  }

  /* create/destroy churn */
  for (int i = 0; i < 50; i++) {
    mna_threadpool* pool = NULL;
    CHECK_OK(mna_threadpool_create(1 + i % 4, &pool));
    CHECK_OK(mna_threadpool_destroy(pool));
  }

  free(y);
  for (int op = 0; op < OPS; op++) free(expected[op]);
  free(in.x), free(in.w), free(in.b), free(in.ew), free(in.eb), free(in.dw), free(in.db), free(in.pw), free(in.pb);
  return test_summary("test_threadpool");
}
