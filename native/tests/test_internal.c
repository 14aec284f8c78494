/* Internal pieces (linked from the library's objects): the parallel-for covers every
 * index exactly once, with any thread count, range, nesting and concurrent callers. */
#include <pthread.h>

#include "common/kernels.h"
#include "common/threadpool.h"
#include "common/ukernels.h"
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

/* mna_parallelize_affine hands out one unit per call (when it runs on a pool) */
static void mark_one(void* vctx, size_t begin, size_t end) {
  cover_ctx* c = (cover_ctx*)vctx;
  if (c->pool && end != begin + 1) __atomic_store_n(&c->bad, 1, __ATOMIC_RELAXED);
  mark(vctx, begin, end);
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
    /* affine regions from several callers at once (a busy pool runs the caller's region inline) */
    cover_ctx a = {(unsigned char*)calloc(1000, 1), 1 + (size_t)rep % 9, 0, NULL};
    mna_parallelize_affine(pool, mark, &a, a.range);
    ok &= covered_once(&a);
    free(a.hits);
  }
  return ok ? (void*)1 : NULL;
}

/* Many back-to-back regions of varied sizes from one caller (workers that wake late must not run a
 * chunk of a newer region with an older region's function or context). */
static void* varied(void* arg) {
  mna_threadpool* pool = (mna_threadpool*)arg;
  unsigned seed = (unsigned)(size_t)pthread_self();
  int ok = 1;
  unsigned char* hits = (unsigned char*)malloc(1201);
  for (int rep = 0; rep < 3000; rep++) {
    seed = seed * 1103515245u + 12345u;
    cover_ctx c = {hits, 2 + (seed >> 8) % 1199, 0, pool};
    memset(hits, 0, 1201);
    mna_parallelize_1d(pool, mark, &c, c.range);
    ok &= covered_once(&c) && hits[c.range] == 0;
  }
  free(hits);
  return ok ? (void*)1 : NULL;
}

/* The fused block's two paths (row ring, layer by layer) give bit-identical results for every
 * fast table and thread count: which one runs is a speed decision only. */
static void irb_paths_agree(void) {
  static const mna_irb_params cases[] = {
      {1, 14, 13, 16, 96, 24, 1, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 0},
      {2, 15, 15, 16, 96, 16, 1, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 1},
      {1, 16, 16, 24, 144, 32, 2, 0, 0, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 0},
      {1, 9, 9, 40, 0, 48, 1, 1, 1, 1, 1, MNA_ACT_NONE, MNA_ACT_RELU6, MNA_ACT_RELU6, 0},
      {1, 7, 7, 160, 960, 160, 1, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 1},
      /* batches: image by image on the layer path (or the whole batch where the threads do not divide it) */
      {3, 9, 7, 16, 48, 24, 1, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 0},
      {4, 14, 14, 24, 144, 24, 1, 1, 1, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 1},
      {2, 7, 7, 40, 0, 48, 2, 1, 1, 1, 1, MNA_ACT_NONE, MNA_ACT_RELU, MNA_ACT_RELU, 0},
      {5, 8, 9, 8, 40, 8, 2, 0, 0, 1, 1, MNA_ACT_RELU6, MNA_ACT_RELU6, MNA_ACT_NONE, 0},
  };
  static const mna_isa isas[] = {MNA_ISA_SCALAR, MNA_ISA_AVX2, MNA_ISA_AVX512, MNA_ISA_NEON};
  mna_threadpool* pools[3] = {NULL, NULL, NULL};
  CHECK_OK(mna_threadpool_create(2, &pools[1]));
  CHECK_OK(mna_threadpool_create(3, &pools[2]));
  for (size_t ii = 0; ii < sizeof isas / sizeof isas[0]; ii++) {
    if (!mna_isa_supported(isas[ii])) continue;
    CHECK_OK(mna_select_isa(isas[ii]));
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
      const mna_irb_params* p = &cases[ci];
      const int32_t hid = p->hidden_c ? p->hidden_c : p->in_c;
      int32_t oh, ow;
      CHECK_OK(mna_irb_output_shape(p, &oh, &ow));
      const size_t xn = (size_t)p->batch * p->in_h * p->in_w * p->in_c, yn = (size_t)p->batch * oh * ow * p->out_c;
      const size_t ewn = (size_t)hid * p->in_c, dwn = (size_t)9 * hid, pwn = (size_t)p->out_c * hid;
      float *x = rand_buf(xn), *ew = rand_buf(ewn), *eb = rand_buf((size_t)hid), *dw = rand_buf(dwn);
      float *db = rand_buf((size_t)hid), *pw = rand_buf(pwn), *pb = rand_buf((size_t)p->out_c);
      float *want = (float*)malloc(yn * sizeof(float)), *got = (float*)malloc(yn * sizeof(float));
      mna_packed* pk = NULL;
      CHECK_OK(
          mna_f32_irb_pack(p, ew, ewn, eb, (size_t)hid, dw, dwn, db, (size_t)hid, pw, pwn, pb, (size_t)p->out_c, &pk));
      mna_irb_mode_override = MNA_IRB_MODE_LAYERS_BATCH;
      CHECK_OK(mna_f32_irb_packed(pk, p, x, xn, want, yn, NULL));
      for (int t = 0; t < 3; t++)
        for (int mode = MNA_IRB_MODE_ROWS; mode <= MNA_IRB_MODE_BANDS; mode++) {
          mna_irb_mode_override = mode;
          memset(got, 0xff, yn * sizeof(float));
          CHECK_OK(mna_f32_irb_packed(pk, p, x, xn, got, yn, pools[t]));
          if (memcmp(want, got, yn * sizeof(float)) != 0) {
            __atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);
            fprintf(stderr,
                    "irb case %zu isa %d: %s path with %d threads differs from whole-batch layer by layer, 1 thread\n",
                    ci, (int)isas[ii],
                    mode == MNA_IRB_MODE_ROWS     ? "row"
                    : mode == MNA_IRB_MODE_LAYERS ? "layer"
                    : mode == MNA_IRB_MODE_BANDS  ? "per-thread band"
                                                  : "whole-batch layer",
                    t + 1);
          }
        }
      mna_irb_mode_override = MNA_IRB_MODE_AUTO;
      CHECK_OK(mna_packed_destroy(pk));
      free(x), free(ew), free(eb), free(dw), free(db), free(pw), free(pb), free(want), free(got);
    }
  }
  CHECK_OK(mna_select_isa(MNA_ISA_AUTO));
  CHECK_OK(mna_threadpool_destroy(pools[1]));
  CHECK_OK(mna_threadpool_destroy(pools[2]));
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
        /* affine: every unit exactly once, one per call on a pool of several threads (beyond its
         * unit limit, 65537 here, it is the plain parallel-for) */
        cover_ctx a = {(unsigned char*)calloc(ranges[r] + 1, 1), ranges[r], 0,
                       threads > 1 && ranges[r] > 1 && ranges[r] <= 1024 ? pool : NULL};
        mna_parallelize_affine(pool, mark_one, &a, ranges[r]);
        CHECK(covered_once(&a));
        free(a.hits);
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
  irb_paths_agree();
  {
    mna_threadpool* pool = NULL;
    CHECK_OK(mna_threadpool_create(3, &pool));
    CHECK(varied(pool) != NULL);
    pthread_t th[3];
    for (int i = 0; i < 3; i++) CHECK(pthread_create(&th[i], NULL, varied, pool) == 0);
    for (int i = 0; i < 3; i++) {
      void* r = NULL;
      pthread_join(th[i], &r);
      CHECK(r != NULL);
    }
    CHECK_OK(mna_threadpool_destroy(pool));
  }
  return test_summary("test_internal");
}
