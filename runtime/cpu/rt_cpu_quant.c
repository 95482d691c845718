/* rt_cpu_quant.c - the quantization kernel family: QuantizeLinear, DequantizeLinear,
 * DynamicQuantizeLinear (linear, integer quantization; float8 and 4-bit types and blocked
 * quantization are refused with a message).
 *
 * Scales are float32, float16 or bfloat16; quantized tensors uint8, int8, uint16 or int16
 * (DequantizeLinear also reads int32). The arithmetic follows the ONNX reference: the
 * quotient x / scale in float32 (rounded to x's dtype when that is narrower), rounded half
 * to even, plus the zero point, saturated to the quantized type's range. None needs scratch.
 * SUPPORTS checks dtypes, attributes and shapes, never data (scale and zero point may be
 * known only at run time); RUN checks that the data is there.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "rt_cpu_elem.h"
#include "rt_cpu_quant.h"

#define OPN(a) rtk_op_name((a)->op)

/* SUPPORTS answers yes; SCRATCH leaves a->scratch_need as the op set it. */
#define DONE_IF_NOT_RUN(mode) do { \
    if ((mode) == RTK_SUPPORTS) return 1; \
    if ((mode) == RTK_SCRATCH) return 0; } while (0)

/* ---- dtypes ---- */

static int is_scale_dt(int dt) { return dt == RT_F32 || dt == RT_F16 || dt == RT_BF16; }
static int is_qint_dt(int dt) { return dt == RT_U8 || dt == RT_I8 || dt == RT_U16 || dt == RT_I16; }

static void qrange(int dt, double *lo, double *hi) {
    switch (dt) {
    case RT_I8: *lo = -128, *hi = 127; break;
    case RT_U16: *lo = 0, *hi = 65535; break;
    case RT_I16: *lo = -32768, *hi = 32767; break;
    default: *lo = 0, *hi = 255; break;
    }
}

/* float32 / float16 / bfloat16 / int32 element as float */
static inline float ldf(int dt, const void *p, int64_t i) {
    switch (dt) {
    case RT_F16: return rtk_f16_to_f32(((const uint16_t *)p)[i]);
    case RT_BF16: return rtk_bf16_to_f32(((const uint16_t *)p)[i]);
    case RT_I32: return (float)((const int32_t *)p)[i];
    default: return ((const float *)p)[i];
    }
}

/* quantized element (uint8, int8, uint16, int16, int32); absent (p NULL) reads 0 */
static inline int64_t ldq(int dt, const void *p, int64_t i) {
    if (!p) return 0;
    switch (dt) {
    case RT_I8: return ((const int8_t *)p)[i];
    case RT_U16: return ((const uint16_t *)p)[i];
    case RT_I16: return ((const int16_t *)p)[i];
    case RT_I32: return ((const int32_t *)p)[i];
    default: return ((const uint8_t *)p)[i];
    }
}

/* v is already within the type's range */
static inline void stq(int dt, void *p, int64_t i, double v) {
    switch (dt) {
    case RT_I8: ((int8_t *)p)[i] = (int8_t)v; break;
    case RT_U16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case RT_I16: ((int16_t *)p)[i] = (int16_t)v; break;
    default: ((uint8_t *)p)[i] = (uint8_t)v; break;
    }
}

static inline void stf(int dt, void *p, int64_t i, float v) {
    switch (dt) {
    case RT_F16: ((uint16_t *)p)[i] = rtk_f32_to_f16(v); break;
    case RT_BF16: ((uint16_t *)p)[i] = rtk_f32_to_bf16(v); break;
    default: ((float *)p)[i] = v; break;
    }
}

/* round(v) + zp saturated to [lo, hi]; v = x / scale. NaN becomes the zero point (as 0
 * would), infinities saturate. */
static inline double quantize1(float v, double zp, double lo, double hi) {
    if (isnan(v)) v = 0;
    double q = (double)rintf(v) + zp;
    return q < lo ? lo : q > hi ? hi : q;
}

/* ---- checks ---- */

static int chk_t(rt_kargs *a, int mode, const rt_tensor *t, const char *what) {
    if (!rtk_shape_ok(t))
        return RTK_FAIL0(a, mode, "%s: %s has a bad shape (rank %d)", OPN(a), what, (int)t->rank);
    if (mode == RTK_RUN && !t->data && rt_numel(t) > 0)
        return RTK_FAIL0(a, mode, "%s: %s has no data", OPN(a), what);
    return 1;
}

/* Output i present, dtype dt, the dims of rank/dims. */
static int chk_out(rt_kargs *a, int mode, int i, int dt, int rank, const int64_t *dims) {
    char e[160], g[160];
    if (i >= a->nout || a->out[i].rank < 0) return RTK_FAIL0(a, mode, "%s: output %d missing", OPN(a), i);
    const rt_tensor *o = &a->out[i];
    if (!chk_t(a, mode, o, "an output")) return 0;
    if (o->dtype != dt)
        return RTK_FAIL0(a, mode, "%s: output %d is %s, expected %s", OPN(a), i,
                     rtk_dtype_name(o->dtype), rtk_dtype_name(dt));
    int same = o->rank == rank;
    for (int d = 0; same && d < rank; d++) same = o->dims[d] == dims[d];
    if (!same)
        return RTK_FAIL0(a, mode, "%s: output %d has shape %s, expected %s", OPN(a), i,
                     rtk_dims_str(g, sizeof g, o->rank, o->dims), rtk_dims_str(e, sizeof e, rank, dims));
    return 1;
}

/* How scale (input 1) and zero point (input 2) cover x: element (o, c, j) of x seen as
 * [outer, C, inner] uses scale[c]. Per tensor: C = 1 (a scalar or a 1-D scale of one
 * value); per axis: a 1-D scale of x.dims[axis] values (attr axis, default 1). */
typedef struct qmap {
    const rt_tensor *X, *S, *Z;  /* Z NULL when absent */
    int64_t outer, C, inner;
} qmap;

static int chk_params(rt_kargs *a, int mode, qmap *m) {
    if (a->nin < 2 || !rtk_has(a, 0) || !rtk_has(a, 1) || a->nout < 1)
        return RTK_FAIL0(a, mode, "%s: needs inputs 0 (x) and 1 (scale) and an output", OPN(a));
    const rt_tensor *X = &a->in[0], *S = &a->in[1], *Z = rtk_has(a, 2) ? &a->in[2] : NULL;
    if (!chk_t(a, mode, X, "input 0 (x)") || !chk_t(a, mode, S, "input 1 (scale)") ||
        (Z && !chk_t(a, mode, Z, "input 2 (zero point)")))
        return 0;
    int64_t bs = rt_attr_i(a->a, a->na, "block_size", 0);
    if (bs != 0)
        return RTK_FAIL0(a, mode, "%s: blocked quantization (block_size=%lld) is not supported on CPU",
                     OPN(a), (long long)bs);
    if (!is_scale_dt(S->dtype))
        return RTK_FAIL0(a, mode, "%s: scale is %s; float32, float16 or bfloat16 supported on CPU",
                     OPN(a), rtk_dtype_name(S->dtype));
    if (S->rank > 1)
        return RTK_FAIL0(a, mode, "%s: scale must be a scalar or 1-D, got rank %d", OPN(a), (int)S->rank);
    if (Z) {
        int same = Z->rank == S->rank;
        for (int d = 0; same && d < S->rank; d++) same = Z->dims[d] == S->dims[d];
        if (!same) {
            char s1[160], s2[160];
            return RTK_FAIL0(a, mode, "%s: zero point is %s but scale is %s; they must match", OPN(a),
                         rtk_dims_str(s1, sizeof s1, Z->rank, Z->dims),
                         rtk_dims_str(s2, sizeof s2, S->rank, S->dims));
        }
    }
    m->X = X, m->S = S, m->Z = Z;
    int64_t n = rt_numel(X);
    if (S->rank == 0 || S->dims[0] == 1) {
        m->outer = 1, m->C = 1, m->inner = n;
        return 1;
    }
    int64_t axis = rt_attr_i(a->a, a->na, "axis", 1);
    int ax = rtk_axis(axis, X->rank);
    if (ax < 0)
        return RTK_FAIL0(a, mode, "%s: axis %lld is out of range for x of rank %d", OPN(a),
                     (long long)axis, (int)X->rank);
    if (S->dims[0] != X->dims[ax])
        return RTK_FAIL0(a, mode, "%s: scale has %lld values but axis %d of x has %lld", OPN(a),
                     (long long)S->dims[0], ax, (long long)X->dims[ax]);
    m->C = S->dims[0];
    m->outer = 1, m->inner = 1;
    for (int d = 0; d < ax; d++) m->outer *= X->dims[d];
    for (int d = ax + 1; d < X->rank; d++) m->inner *= X->dims[d];
    return 1;
}

/* ---- kernels ---- */

/* QuantizeLinear(x, y_scale, y_zero_point?) -> y = saturate(round(x / y_scale) + zp), round
 * half to even; x float32/float16/bfloat16/int32; y has the zero point's dtype, or attr
 * output_dtype's, or uint8; attrs axis (1), saturate (float8 only: ignored), block_size
 * (0 only) */
static int k_quantize(rt_kargs *a, int mode) {
    qmap m;
    if (!chk_params(a, mode, &m)) return RTK_FAILV(mode);
    const rt_tensor *X = m.X;
    int xdt = X->dtype;
    if (!is_scale_dt(xdt) && xdt != RT_I32)
        return rtk_fail(a, mode, "QuantizeLinear: x is %s; float32, float16, bfloat16 or int32 "
                        "supported on CPU", rtk_dtype_name(xdt));
    int ydt = a->out[0].dtype;
    if (!is_qint_dt(ydt))
        return rtk_fail(a, mode, "QuantizeLinear: output type %s is not supported on CPU (uint8, "
                        "int8, uint16, int16; float8 and 4-bit types are not)", rtk_dtype_name(ydt));
    if (m.Z && m.Z->dtype != ydt)
        return rtk_fail(a, mode, "QuantizeLinear: zero point is %s but the output is %s",
                        rtk_dtype_name(m.Z->dtype), rtk_dtype_name(ydt));
    if (!chk_out(a, mode, 0, ydt, X->rank, X->dims)) return RTK_FAILV(mode);
    DONE_IF_NOT_RUN(mode);
    double lo, hi;
    qrange(ydt, &lo, &hi);
    const void *x = X->data, *s = m.S->data, *z = m.Z ? m.Z->data : NULL;
    int sdt = m.S->dtype, zdt = m.Z ? m.Z->dtype : ydt;
    void *y = a->out[0].data;
    int64_t C = m.C, inner = m.inner;
    int nt = rtk_threads(a, rt_numel(X));
    #pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t oc = 0; oc < m.outer * C; oc++) {
        int64_t c = oc % C, base = oc * inner;
        float sc = ldf(sdt, s, c);
        double zp = (double)ldq(zdt, z, c);
        for (int64_t j = 0; j < inner; j++) {
            float v = ldf(xdt, x, base + j) / sc;
            /* the reference divides in x's dtype: a float16 quotient is rounded to float16 */
            if (xdt == RT_F16) v = rtk_f16_to_f32(rtk_f32_to_f16(v));
            else if (xdt == RT_BF16) v = rtk_bf16_to_f32(rtk_f32_to_bf16(v));
            stq(ydt, y, base + j, quantize1(v, zp, lo, hi));
        }
    }
    return 0;
}

/* DequantizeLinear(x, x_scale, x_zero_point?) -> y = (x - zp) * x_scale; x uint8, int8,
 * uint16, int16 or int32, the zero point x's dtype; y has the scale's dtype (or attr
 * output_dtype's); attrs axis (1), block_size (0 only) */
static int k_dequantize(rt_kargs *a, int mode) {
    qmap m;
    if (!chk_params(a, mode, &m)) return RTK_FAILV(mode);
    const rt_tensor *X = m.X;
    int xdt = X->dtype;
    if (!is_qint_dt(xdt) && xdt != RT_I32)
        return rtk_fail(a, mode, "DequantizeLinear: x is %s; uint8, int8, uint16, int16 or int32 "
                        "supported on CPU (float8 and 4-bit types are not)", rtk_dtype_name(xdt));
    if (m.Z && m.Z->dtype != xdt)
        return rtk_fail(a, mode, "DequantizeLinear: zero point is %s but x is %s",
                        rtk_dtype_name(m.Z->dtype), rtk_dtype_name(xdt));
    int ydt = (int)rt_attr_i(a->a, a->na, "output_dtype", m.S->dtype);
    if (!is_scale_dt(ydt))
        return rtk_fail(a, mode, "DequantizeLinear: output type %s is not supported on CPU "
                        "(float32, float16, bfloat16)", rtk_dtype_name(ydt));
    if (!chk_out(a, mode, 0, ydt, X->rank, X->dims)) return RTK_FAILV(mode);
    DONE_IF_NOT_RUN(mode);
    const void *x = X->data, *s = m.S->data, *z = m.Z ? m.Z->data : NULL;
    int sdt = m.S->dtype;
    void *y = a->out[0].data;
    int64_t C = m.C, inner = m.inner;
    int nt = rtk_threads(a, rt_numel(X));
    #pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t oc = 0; oc < m.outer * C; oc++) {
        int64_t c = oc % C, base = oc * inner;
        double sc = ldf(sdt, s, c), zp = (double)ldq(xdt, z, c);
        /* exact in double for every x and zero point; one rounding to float, as the reference */
        for (int64_t j = 0; j < inner; j++)
            stf(ydt, y, base + j, (float)(((double)ldq(xdt, x, base + j) - zp) * sc));
    }
    return 0;
}

/* DynamicQuantizeLinear(x) -> y, y_scale, y_zero_point: x float32; the range [min, max] of x
 * widened to hold 0 (NaNs ignored); y_scale = (max - min) / 255 (1 / 255 when max == min, as
 * the reference), y_zero_point = round(saturate(-min / y_scale)), y = saturate(round(x /
 * y_scale) + y_zero_point), all in float32, uint8 outputs */
static int k_dynquant(rt_kargs *a, int mode) {
    if (a->nin < 1 || !rtk_has(a, 0) || a->nout < 3)
        return rtk_fail(a, mode, "DynamicQuantizeLinear: needs input 0 and three outputs");
    const rt_tensor *X = &a->in[0];
    if (!chk_t(a, mode, X, "input 0 (x)")) return RTK_FAILV(mode);
    if (X->dtype != RT_F32)
        return rtk_fail(a, mode, "DynamicQuantizeLinear: x is %s; only float32 is defined",
                        rtk_dtype_name(X->dtype));
    if (!chk_out(a, mode, 0, RT_U8, X->rank, X->dims) || !chk_out(a, mode, 1, RT_F32, 0, NULL) ||
        !chk_out(a, mode, 2, RT_U8, 0, NULL))
        return RTK_FAILV(mode);
    DONE_IF_NOT_RUN(mode);
    const float *x = X->data;
    int64_t n = rt_numel(X);
    float mx = 0, mn = 0;
    for (int64_t i = 0; i < n; i++) {
        if (x[i] > mx) mx = x[i];
        if (x[i] < mn) mn = x[i];
    }
    float scale = (mx == mn ? 1.0f : mx - mn) / 255.0f;
    float izp = 0.0f - mn / scale;
    izp = izp < 0 ? 0 : izp > 255 ? 255 : izp;
    float zp = rintf(izp);
    uint8_t *y = a->out[0].data;
    int nt = rtk_threads(a, n);
    #pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t i = 0; i < n; i++) y[i] = (uint8_t)quantize1(x[i] / scale, zp, 0, 255);
    *(float *)a->out[1].data = scale;
    *(uint8_t *)a->out[2].data = (uint8_t)zp;
    return 0;
}

int rtk_quant(rt_kargs *a, int mode) {
    switch (a->op) {
    case RT_OP_QUANTIZELINEAR:
        return k_quantize(a, mode);
    case RT_OP_DEQUANTIZELINEAR:
        return k_dequantize(a, mode);
    case RT_OP_DYNAMICQUANTIZELINEAR:
        return k_dynquant(a, mode);
    default:
        return rtk_fail(a, mode, "%s is not in the quantization family", OPN(a));
    }
}
