/* Quantized add, softmax, quantize and dequantize (see mna.h for the rounding of each). */
#include "reference/qu8-reference.h"

mna_status mna_ref_q8_add(int sgn, int64_t count, const mna_quant_eltwise_params* q, const void* a, const void* b,
                          void* output) {
  const float ma = q->a_scale / q->output_scale, mb = q->b_scale / q->output_scale;
  const float lo = (float)(q->output_min - q->output_zero_point), hi = (float)(q->output_max - q->output_zero_point);
  for (int64_t i = 0; i < count; i++) {
    float v =
        (float)(mna_q8_load(a, i, sgn) - q->a_zero_point) * ma + (float)(mna_q8_load(b, i, sgn) - q->b_zero_point) * mb;
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    mna_q8_store(output, i, (int32_t)lrintf(v) + q->output_zero_point, sgn);
  }
  return MNA_OK;
}

mna_status mna_ref_q8_softmax(int sgn, int32_t batch, int32_t n, float beta, const mna_quant_eltwise_params* q,
                              const void* input, void* output) {
  /* table[d] = expf(-input_scale * beta * d) for d = max - q in [0, 255]. */
  float table[256];
  const float s = -q->a_scale * beta;
  for (int d = 0; d < 256; d++) table[d] = expf(s * (float)d);
  for (int64_t r = 0; r < batch; r++) {
    const int64_t base = r * n;
    int32_t mx = mna_q8_load(input, base, sgn);
    for (int64_t j = 1; j < n; j++) {
      const int32_t v = mna_q8_load(input, base + j, sgn);
      mx = v > mx ? v : mx;
    }
    float sum = 0.0f;
    for (int64_t j = 0; j < n; j++) sum += table[mx - mna_q8_load(input, base + j, sgn)];
    const float inv = 1.0f / (sum * q->output_scale);
    for (int64_t j = 0; j < n; j++) {
      const float e = table[mx - mna_q8_load(input, base + j, sgn)] * inv;
      int32_t v = (int32_t)(e + 0.5f) + q->output_zero_point;
      v = v < q->output_min ? q->output_min : (v > q->output_max ? q->output_max : v);
      mna_q8_store(output, base + j, v, sgn);
    }
  }
  return MNA_OK;
}

mna_status mna_ref_q8_quantize(int sgn, int64_t count, float scale, int32_t zp, const float* input, void* output) {
  const float lo = (float)((sgn ? -128 : 0) - zp), hi = (float)((sgn ? 127 : 255) - zp);
  for (int64_t i = 0; i < count; i++) {
    float v = input[i] / scale;
    /* NaN becomes the zero point; everything else is clamped before conversion. */
    if (v != v) v = 0.0f;
    v = v < lo ? lo : (v > hi ? hi : v);
    mna_q8_store(output, i, (int32_t)lrintf(v) + zp, sgn);
  }
  return MNA_OK;
}

mna_status mna_ref_q8_dequantize(int sgn, int64_t count, float scale, int32_t zp, const void* input, float* output) {
  for (int64_t i = 0; i < count; i++) output[i] = (float)(mna_q8_load(input, i, sgn) - zp) * scale;
  return MNA_OK;
}
