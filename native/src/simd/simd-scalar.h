/* Vector vocabulary for the templates: portable scalar C, "vectors" of 1 float.
 * Built with -ffp-contract=off: VFMA is a rounded multiply then a rounded add. */
typedef float v_t;
#define VLEN 1
#define VLOAD(p) (*(p))
#define VSTORE(p, v) (*(p) = (v))
#define VSET1(x) (x)
#define VZERO() 0.0f
#define VFMA(a, b, c) ((a) * (b) + (c))
#define VADD(a, b) ((a) + (b))
#define VMUL(a, b) ((a) * (b))
static inline float vmax_s(float lo, float x) { return x < lo ? lo : x; } /* NaN x stays NaN */
static inline float vmin_s(float hi, float x) { return x > hi ? hi : x; }
#define VMAX(lo, x) vmax_s((lo), (x))
#define VMIN(hi, x) vmin_s((hi), (x))
static inline v_t vload_partial(const float* p, size_t n) { return n ? *p : 0.0f; }
static inline void vstore_partial(float* p, v_t v, size_t n) {
  if (n) *p = v;
}
static inline float vhsum(v_t v) { return v; }
