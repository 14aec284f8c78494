/* The fused integer inverted-residual block (mna_q8_irb_run): expand 1x1 -> depthwise 3x3 -> project 1x1 (-> add
 * of the block input), row by row. Each thread takes a band of output rows and keeps the three expanded input rows
 * a depthwise row needs in a ring, so the expanded tensor never goes to memory and the block is one parallel
 * region. Every step is the unfused layer's microkernel on a row (same per-element arithmetic), so the bytes are
 * those of running the layers one after another. */
#include <inttypes.h>
#include <string.h>

#include "api-quant.h"
#include "common/common.h"
#include "common/q8-packed.h"
#include "common/q8-ukernels.h"
#include "common/threadpool.h"
#include "common/ukernels.h"

typedef struct {
  const mna_q8_packed *ex, *dw, *pr;
  const mna_q8_add_params* add; /* NULL: no residual */
  const mna_irb_params* p;
  int32_t oh, ow, hidden, bands_per_image, rows_per_band;
  const uint8_t* x;
  uint8_t* y;
  int failed;
} q8_irb_ctx;

static void q8_irb_bands(void* vctx, size_t begin, size_t end) {
  q8_irb_ctx* c = (q8_irb_ctx*)vctx;
  const mna_irb_params* p = c->p;
  const size_t in_w = (size_t)p->in_w, in_c = (size_t)p->in_c, hid = (size_t)c->hidden, ow = (size_t)c->ow;
  const size_t oc = (size_t)p->out_c, row_in = in_w * in_c;
  const int sgn = c->dw->layer.input_type;
  uint8_t* ring = c->ex ? (uint8_t*)mna_scratch(MNA_SCRATCH_RING, 3 * in_w * hid) : NULL;
  uint8_t* dwrow = (uint8_t*)mna_scratch(MNA_SCRATCH_DW, ow * hid);
  uint8_t* tmp = c->add ? (uint8_t*)mna_scratch(MNA_SCRATCH_EXPANDED, ow * oc) : NULL;
  if ((c->ex && !ring) || !dwrow || (c->add && !tmp)) {
    __atomic_store_n(&c->failed, 1, __ATOMIC_RELAXED);
    return;
  }
  for (size_t b = begin; b < end; b++) {
    const int64_t n = (int64_t)(b / (size_t)c->bands_per_image);
    const int64_t oy0 = (int64_t)(b % (size_t)c->bands_per_image) * c->rows_per_band;
    const int64_t oy1 = oy0 + c->rows_per_band < c->oh ? oy0 + c->rows_per_band : c->oh;
    const uint8_t* img = c->x + n * p->in_h * (int64_t)row_in;
    int64_t slot_row[3] = {-1, -1, -1}; /* input row held by each ring slot */
    for (int64_t oy = oy0; oy < oy1; oy++) {
      const uint8_t* rows[3];
      int valid[3];
      for (int ky = 0; ky < 3; ky++) {
        const int64_t iy = oy * p->stride - p->pad_top + ky;
        valid[ky] = iy >= 0 && iy < p->in_h;
        rows[ky] = c->dw->zrow;
        if (!valid[ky]) continue;
        if (!c->ex) {
          rows[ky] = img + iy * (int64_t)row_in;
          continue;
        }
        const int s = (int)(iy % 3);
        uint8_t* dst = ring + (size_t)s * in_w * hid;
        if (slot_row[s] != iy) { /* expand this input row into its slot */
          mna_q8_gemm_run(c->ex->uk, in_w, hid, c->ex->k, img + iy * (int64_t)row_in, in_c, sgn, c->ex->dv,
                          c->ex->packed, dst, hid, &c->ex->rq, NULL);
          slot_row[s] = iy;
        }
        rows[ky] = dst;
      }
      c->dw->uk->dw3x3(rows, valid, in_w, hid, (size_t)p->stride, (size_t)p->pad_left, ow, c->dw->packed, dwrow,
                       &c->dw->rq, c->dw->q.input_zero_point, sgn, c->dw->zrow);
      uint8_t* out = c->y + ((n * c->oh + oy) * (int64_t)ow) * (int64_t)oc;
      mna_q8_gemm_run(c->pr->uk, ow, oc, c->pr->k, dwrow, hid, sgn, c->pr->dv, c->pr->packed, c->add ? tmp : out, oc,
                      &c->pr->rq, NULL);
      if (c->add) /* residual: stride 1, same size: the block input row oy */
        c->pr->uk->add(ow * oc, tmp, img + oy * (int64_t)row_in, out, c->add, sgn);
    }
  }
}

MNA_API mna_status mna_q8_irb_run(const mna_q8_packed* expand, const mna_q8_packed* dw, const mna_q8_packed* project,
                                  const mna_quant_eltwise_params* add, const mna_irb_params* p, const void* input,
                                  size_t input_len, void* output, size_t output_len, mna_threadpool* pool) {
  static const char fn[] = "mna_q8_irb_run";
  Q_TRY(q_ptr(fn, "depthwise", dw));
  Q_TRY(q_ptr(fn, "project", project));
  Q_TRY(q_ptr(fn, "params", p));
  Q_TRY(q_ptr(fn, "input", input));
  Q_TRY(q_ptr(fn, "output", output));
  Q_TRY(mna_q8_packed_check(fn, "depthwise", dw));
  Q_TRY(mna_q8_packed_check(fn, "project", project));
  if (expand) Q_TRY(mna_q8_packed_check(fn, "expand", expand));
  int32_t oh = 0, ow = 0;
  Q_TRY(mna_irb_output_shape(p, &oh, &ow));
  const int32_t hidden = p->hidden_c ? p->hidden_c : p->in_c;
  if ((p->hidden_c != 0) != (expand != NULL))
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: hidden_c %d needs %s expand layer", fn, (int)p->hidden_c,
                         p->hidden_c ? "an" : "no");
  if (expand && (expand->layer.kind != 0 || expand->layer.kernel_h != 1 || expand->layer.kernel_w != 1 ||
                 expand->layer.in_c != p->in_c || expand->layer.out_c != hidden))
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: expand is not a 1x1 %d -> %d layer", fn, (int)p->in_c,
                         (int)hidden);
  if (dw->layer.kind != 1 || dw->layer.kernel_h != 3 || dw->layer.kernel_w != 3 || dw->layer.in_c != hidden)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: depthwise is not a 3x3 layer of %d channels", fn, (int)hidden);
  if (project->layer.kind != 0 || project->layer.kernel_h != 1 || project->layer.kernel_w != 1 ||
      project->layer.in_c != hidden || project->layer.out_c != p->out_c)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: project is not a 1x1 %d -> %d layer", fn, (int)hidden,
                         (int)p->out_c);
  const int sgn = dw->layer.input_type;
  if (project->layer.input_type != sgn || (expand && expand->layer.input_type != sgn))
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: the layers mix uint8 and int8", fn);
  if (!dw->uk || !project->uk || (expand && !expand->uk))
    return mna_set_error(MNA_ERR_UNSUPPORTED, "%s: a layer runs the reference kernels (run the layers one by one)", fn);
  if (add) {
    Q_TRY(q_eltwise(fn, add, 1, sgn));
    if (p->stride != 1 || p->in_c != p->out_c || oh != p->in_h || ow != p->in_w)
      return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: a residual needs stride 1 and the input's shape", fn);
  }
  int64_t in_n = 0, out_n = 0;
  Q_TRY(q_product(fn, "input", p->batch, p->in_h, p->in_w, p->in_c, &in_n));
  Q_TRY(q_product(fn, "output", p->batch, oh, ow, p->out_c, &out_n));
  Q_TRY(q_len(fn, "input_len", input_len, in_n));
  Q_TRY(q_len(fn, "output_len", output_len, out_n));
  Q_TRY(q_no_overlap(fn, output, out_n, "input", input, in_n, 0));

  size_t ring = 0, rowbytes = 0;
  if (__builtin_mul_overflow((size_t)p->in_w * 3, (size_t)hidden, &ring) || ring > (size_t)MNA_MAX_ELEMENTS ||
      __builtin_mul_overflow((size_t)ow, (size_t)(hidden > p->out_c ? hidden : p->out_c), &rowbytes) ||
      rowbytes > (size_t)MNA_MAX_ELEMENTS)
    return mna_set_error(MNA_ERR_INVALID_ARGUMENT, "%s: rows of %d x %d channels are too large", fn, (int)p->in_w,
                         (int)hidden);
  mna_q8_add_params ap = {0};
  if (add) ap = mna_q8_add_params_of(add);
  /* bands: one per thread and image (halo rows recomputed at band edges), at least 2 output rows each */
  const int32_t threads = mna_threadpool_threads(pool);
  int32_t bands = threads < oh ? threads : oh;
  if (bands > 1 && oh / bands < 2) bands = oh / 2 > 0 ? oh / 2 : 1;
  const int32_t rows_per_band = (oh + bands - 1) / bands;
  bands = (oh + rows_per_band - 1) / rows_per_band;
  q8_irb_ctx c = {
      expand,           dw, project, add ? &ap : NULL, p, oh, ow, hidden, bands, rows_per_band, (const uint8_t*)input,
      (uint8_t*)output, 0};
  mna_parallelize_1d(pool, q8_irb_bands, &c, (size_t)p->batch * (size_t)bands);
  if (c.failed) return mna_set_error(MNA_ERR_OUT_OF_MEMORY, "%s: cannot allocate the row buffers", fn);
  return MNA_OK;
}
