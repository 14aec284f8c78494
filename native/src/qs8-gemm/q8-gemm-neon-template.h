/* Body of the 4x16c4 NEON integer GEMM microkernel (q8-ukernels.h). Define Q8_FN, Q8_XOR (0 or 1), Q8_DOT:
 *  Q8_DOT 1 (dotprod): sdot of (u - 128) as int8 with v; the packed bias holds + 128 * sum v (signed_dot). For int8
 *    activations (Q8_XOR 1) u - 128 is the activation byte itself; for uint8 ones it is the byte XOR 0x80.
 *  Q8_DOT 0 (plain NEON): u widened to int16 times v widened to int16, vmlal into int32 (exact). */
void Q8_FN(size_t mr, size_t nc, size_t kc, const uint8_t* a, size_t a_stride, const void* w, uint8_t* c,
           size_t c_stride, const int32_t* rowterm, const mna_q8_rq* rq) {
  const uint8_t* ap[4];
  ap[0] = a;
  ap[1] = mr > 1 ? ap[0] + a_stride : ap[0];
  ap[2] = mr > 2 ? ap[1] + a_stride : ap[1];
  ap[3] = mr > 3 ? ap[2] + a_stride : ap[2];
  const int32_t* bias = (const int32_t*)w;
  const float* scale = (const float*)w + 16;
  const int8_t* pw = (const int8_t*)w + 16 * 8;
  int32x4_t acc[4][4];
  for (int r = 0; r < 4; r++)
    for (int q = 0; q < 4; q++) acc[r][q] = vld1q_s32(bias + 4 * q);
  for (size_t k = 0; k < kc; k += 4, pw += 64) {
    const size_t t = kc - k < 4 ? kc - k : 4; /* missing bytes read as 0: their packed weights are 0 */
#if Q8_DOT
    const int8x16_t w0 = vld1q_s8(pw), w1 = vld1q_s8(pw + 16), w2 = vld1q_s8(pw + 32), w3 = vld1q_s8(pw + 48);
    for (int r = 0; r < 4; r++) {
      uint32_t v = 0;
      if (t == 4)
        memcpy(&v, ap[r] + k, 4);
      else /* the k tail, byte by byte (no variable-length memcpy call) */
        for (size_t i = 0; i < t; i++) v |= (uint32_t)ap[r][k + i] << (8 * i);
#  if !Q8_XOR
      v ^= 0x80808080u;
#  endif
      const int8x16_t x = vreinterpretq_s8_u32(vdupq_n_u32(v));
      acc[r][0] = vdotq_s32(acc[r][0], w0, x);
      acc[r][1] = vdotq_s32(acc[r][1], w1, x);
      acc[r][2] = vdotq_s32(acc[r][2], w2, x);
      acc[r][3] = vdotq_s32(acc[r][3], w3, x);
    }
#else
    const int8x16x4_t wk = vld4q_s8(pw); /* val[i]: the 16 columns' weights of k + i */
    for (size_t i = 0; i < 4; i++) {
      const int16x8_t lo = vmovl_s8(vget_low_s8(wk.val[i])), hi = vmovl_s8(vget_high_s8(wk.val[i]));
      for (int r = 0; r < 4; r++) {
        const int16_t u = i < t ? (int16_t)(uint8_t)(ap[r][k + i] ^ (Q8_XOR ? 0x80 : 0)) : 0;
        acc[r][0] = vmlal_n_s16(acc[r][0], vget_low_s16(lo), u);
        acc[r][1] = vmlal_n_s16(acc[r][1], vget_high_s16(lo), u);
        acc[r][2] = vmlal_n_s16(acc[r][2], vget_low_s16(hi), u);
        acc[r][3] = vmlal_n_s16(acc[r][3], vget_high_s16(hi), u);
      }
    }
#endif
  }
  const float32x4_t lo = vdupq_n_f32(rq->lo), hi = vdupq_n_f32(rq->hi);
  const int32x4_t zp = vdupq_n_s32(rq->zp);
  for (size_t r = 0; r < mr; r++) {
    const int32x4_t rt = vdupq_n_s32(rowterm ? rowterm[r] : 0);
    uint8_t bytes[16];
    for (int q = 0; q < 4; q++) {
      float32x4_t f = vmulq_f32(vcvtq_f32_s32(vaddq_s32(acc[r][q], rt)), vld1q_f32(scale + 4 * q));
      f = vminq_f32(vmaxq_f32(f, lo), hi);
      const int32x4_t y = vaddq_s32(vcvtnq_s32_f32(f), zp);
      const uint8x8_t b = vmovn_u16(vcombine_u16(vmovn_u32(vreinterpretq_u32_s32(y)), vdup_n_u16(0)));
      vst1_lane_u32((uint32_t*)(void*)(bytes + 4 * q), vreinterpret_u32_u8(b), 0);
    }
    memcpy(c + r * c_stride, bytes, nc);
  }
}
#undef Q8_FN
#undef Q8_XOR
#undef Q8_DOT
