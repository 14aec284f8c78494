/* The packed integer layer object (mna_q8_pack), shared by the entry points that run it (api-q8.c, api-q8-irb.c). */
#ifndef MNA_Q8_PACKED_H
#define MNA_Q8_PACKED_H

#include <stddef.h>
#include <stdint.h>

#include "common/q8-ukernels.h"
#include "mna.h"

#define MNA_Q8_PACKED_MAGIC 0x51385041u /* "Q8PA" */

struct mna_q8_packed {
  uint32_t magic;
  mna_q8_layer layer;
  mna_quant_conv_params q;
  mna_q8_rq rq;
  mna_isa_q8 isa;
  const mna_q8_ukernels* uk; /* NULL: reference kernels on the plain copies below */
  int32_t dv;                /* per-pixel coefficient of sum u (GEMM layers) */
  size_t k;                  /* GEMM reduction length: kernel_h * kernel_w * in_c */
  void* packed;              /* fast: GEMM panels or depthwise blocks */
  uint8_t* zrow;             /* in_c (conv: k) bytes of the input zero point */
  void* weights;             /* reference: copies */
  int32_t* bias;
  float* scales;
  size_t scales_len;
};

/* MNA_OK if pk is a live packed object, else an error naming `name`. */
mna_status mna_q8_packed_check(const char* fn, const char* name, const mna_q8_packed* pk);

#endif
