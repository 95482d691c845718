/* rt_cpu_unary.c - the one-input elementwise family: math and activation functions, Not,
 * BitwiseNot, IsNaN/IsInf, Identity, Clip, Cast/CastLike, Dropout (inference).
 *
 * Output dims must equal the input's. float32/float64 compute in double and round once
 * (except the hot activations Exp, Sigmoid, Gelu, Tanh, Erf: in float, with float libm or, for
 * erf, a vectorizable polynomial);
 * integer Abs/Neg/Sign/Relu/Clip stay exact in their own type. In-place (out data == in data)
 * is allowed: every element is read before it is written.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "rt_cpu_elem.h"

#define UN_SQRT2 1.41421356237309504880
#define UN_SQRT_2_PI 0.79788456080286535588 /* sqrt(2/pi) */

/* Parameters read from attributes once per call. */
typedef struct un_par {
    double alpha, beta, gamma;
    int gelu_tanh;
    int det_neg, det_pos; /* IsInf */
} un_par;

/* Ops of the float family (computed in double). */
static int un_is_float_op(int op) {
    switch (op) {
    case RT_OP_EXP: case RT_OP_LOG: case RT_OP_SQRT: case RT_OP_RECIPROCAL: case RT_OP_FLOOR:
    case RT_OP_CEIL: case RT_OP_ROUND: case RT_OP_LEAKYRELU: case RT_OP_ELU: case RT_OP_SELU:
    case RT_OP_CELU: case RT_OP_THRESHOLDEDRELU: case RT_OP_SIGMOID: case RT_OP_HARDSIGMOID:
    case RT_OP_HARDSWISH: case RT_OP_SOFTPLUS: case RT_OP_SOFTSIGN: case RT_OP_MISH:
    case RT_OP_GELU: case RT_OP_TANH: case RT_OP_ERF: case RT_OP_SIN: case RT_OP_COS:
    case RT_OP_TAN: case RT_OP_ASIN: case RT_OP_ACOS: case RT_OP_ATAN: case RT_OP_SINH:
    case RT_OP_COSH: case RT_OP_ASINH: case RT_OP_ACOSH: case RT_OP_ATANH:
        return 1;
    default:
        return 0;
    }
}

/* Ops that also run on signed integers (exactly): Abs, Neg, Sign, Relu. */
static int un_is_signed_op(int op) {
    return op == RT_OP_ABS || op == RT_OP_NEG || op == RT_OP_SIGN || op == RT_OP_RELU;
}

/* erf in float without libm: branch-free so that the Erf and Gelu loops vectorize (libm's scalar
 * erff was 25% of lm_dyn; with this lm_dyn goes from 1.4 to 1.2 ms/batch, bench/README.md).
 * |x| < 1: x + x*R(x^2); 1 <= |x| <= 4: 1 - erfc as a polynomial in t = (|x| - 2.5)/1.5; above
 * 4 it is +-1 (erfc(4) = 1.5e-8). Both polynomials are Chebyshev fits, degrees 6 and 14; max
 * abs error 7e-8 against erf in double over [-6, 6] (test_kernels_elementwise). NaN stays NaN,
 * -0 stays -0. */
static inline float un_erff(float x) {
    float ax = fabsf(x);
    float u = ax * ax;
    float r = 7.882497448008507e-05f;
    r = r * u - 0.0008018855005502701f;
    r = r * u + 0.005189312156289816f;
    r = r * u - 0.02685432881116867f;
    r = r * u + 0.11283597350120544f;
    r = r * u - 0.3761262595653534f;
    r = r * u + 0.12837916612625122f;
    float lo = ax + ax * r;
    float t = (ax - 2.5f) * (1.0f / 1.5f);
    float e = -0.00025985707179643214f;
    e = e * t - 9.703089745016769e-05f;
    e = e * t + 0.002039517741650343f;
    e = e * t - 0.001536217168904841f;
    e = e * t - 0.004676661919802427f;
    e = e * t + 0.010403472930192947f;
    e = e * t - 0.006630969699472189f;
    e = e * t - 0.009574278257787228f;
    e = e * t + 0.03186589479446411f;
    e = e * t - 0.04639105126261711f;
    e = e * t + 0.04365193471312523f;
    e = e * t - 0.02818722277879715f;
    e = e * t + 0.012252799235284328f;
    e = e * t - 0.003267277032136917f;
    e = e * t + 0.0004069523711223155f;
    float hi = 1.0f - e, one = 1.0f;
    /* select by bit masks: under the default -ftrapping-math GCC will not if-convert a float
     * ?: and the loop stays scalar. hi is garbage above 4 and is masked off; NaN keeps hi (NaN). */
    uint32_t bl, bh, b1, small = -(uint32_t)(ax < 1.0f), big = -(uint32_t)(ax > 4.0f);
    memcpy(&bl, &lo, 4);
    memcpy(&bh, &hi, 4);
    memcpy(&b1, &one, 4);
    uint32_t br = (bl & small) | (((bh & ~big) | (b1 & big)) & ~small);
    float y;
    memcpy(&y, &br, 4);
    return copysignf(y, x);
}
/* erf for UN_NATIVE_LOOP's suffix F: the polynomial above in float, libm's erf in double */
#define un_erf_f un_erff
#define un_erf_ erf

/* y = f(x) for one float op, x in double. The switch sits outside each loop (UN_FLOAT_LOOP). */
#define UN_FLOAT_LOOP(T, EXPR) do { \
    const T *x_ = (const T *)in->data; T *y_ = (T *)out->data; \
    _Pragma("omp parallel for num_threads(nt) if(nt > 1)") \
    for (int64_t i = 0; i < n; i++) { double x = (double)x_[i]; y_[i] = (T)(EXPR); } \
} while (0)

/* The hot activations compute in T itself with T's libm functions (suffix F: f or empty):
 * expf/erff/tanhf are about 2x faster than the double versions, within 2 ulp of float. */
#define UN_NATIVE_LOOP(T, EXPR) do { \
    const T *x_ = (const T *)in->data; T *y_ = (T *)out->data; \
    _Pragma("omp parallel for num_threads(nt) if(nt > 1)") \
    for (int64_t i = 0; i < n; i++) { T x = x_[i]; y_[i] = (EXPR); } \
} while (0)

#define UN_FLOAT_OPS(T, F) do { switch (op) { \
    case RT_OP_ABS: UN_FLOAT_LOOP(T, fabs(x)); break; \
    case RT_OP_NEG: UN_FLOAT_LOOP(T, -x); break; \
    case RT_OP_SIGN: UN_FLOAT_LOOP(T, x > 0 ? 1.0 : x < 0 ? -1.0 : x == 0 ? 0.0 : x); break; \
    case RT_OP_RELU: UN_FLOAT_LOOP(T, x < 0 ? 0.0 : x); break; \
    case RT_OP_EXP: UN_NATIVE_LOOP(T, exp##F(x)); break; \
    case RT_OP_LOG: UN_FLOAT_LOOP(T, log(x)); break; \
    case RT_OP_SQRT: UN_FLOAT_LOOP(T, sqrt(x)); break; \
    case RT_OP_RECIPROCAL: UN_FLOAT_LOOP(T, 1.0 / x); break; \
    case RT_OP_FLOOR: UN_FLOAT_LOOP(T, floor(x)); break; \
    case RT_OP_CEIL: UN_FLOAT_LOOP(T, ceil(x)); break; \
    case RT_OP_ROUND: UN_FLOAT_LOOP(T, nearbyint(x)); break; /* halves to even */ \
    case RT_OP_LEAKYRELU: UN_FLOAT_LOOP(T, x < 0 ? p.alpha * x : x); break; \
    case RT_OP_ELU: UN_FLOAT_LOOP(T, x < 0 ? p.alpha * expm1(x) : x); break; \
    case RT_OP_SELU: UN_FLOAT_LOOP(T, x <= 0 ? p.gamma * p.alpha * expm1(x) : p.gamma * x); break; \
    case RT_OP_CELU: UN_FLOAT_LOOP(T, x > 0 ? x : p.alpha * expm1(x / p.alpha)); break; \
    case RT_OP_THRESHOLDEDRELU: UN_FLOAT_LOOP(T, x > p.alpha ? x : 0.0); break; \
    case RT_OP_SIGMOID: \
        UN_NATIVE_LOOP(T, x >= 0 ? (T)1 / ((T)1 + exp##F(-x)) : exp##F(x) / ((T)1 + exp##F(x))); break; \
    case RT_OP_HARDSIGMOID: UN_FLOAT_LOOP(T, fmax(0.0, fmin(1.0, p.alpha * x + p.beta))); break; \
    case RT_OP_HARDSWISH: UN_FLOAT_LOOP(T, x * fmax(0.0, fmin(1.0, x / 6.0 + 0.5))); break; \
    case RT_OP_SOFTPLUS: UN_FLOAT_LOOP(T, x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))); break; \
    case RT_OP_SOFTSIGN: UN_FLOAT_LOOP(T, x / (1.0 + fabs(x))); break; \
    case RT_OP_MISH: \
        UN_FLOAT_LOOP(T, x * tanh(x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)))); break; \
    case RT_OP_GELU: \
        if (p.gelu_tanh) \
            UN_NATIVE_LOOP(T, (T)0.5 * x * ((T)1 + tanh##F((T)UN_SQRT_2_PI * (x + (T)0.044715 * x * x * x)))); \
        else \
            UN_NATIVE_LOOP(T, (T)0.5 * x * ((T)1 + un_erf_##F(x * (T)(1 / UN_SQRT2)))); \
        break; \
    case RT_OP_TANH: UN_NATIVE_LOOP(T, tanh##F(x)); break; \
    case RT_OP_ERF: UN_NATIVE_LOOP(T, un_erf_##F(x)); break; \
    case RT_OP_SIN: UN_FLOAT_LOOP(T, sin(x)); break; \
    case RT_OP_COS: UN_FLOAT_LOOP(T, cos(x)); break; \
    case RT_OP_TAN: UN_FLOAT_LOOP(T, tan(x)); break; \
    case RT_OP_ASIN: UN_FLOAT_LOOP(T, asin(x)); break; \
    case RT_OP_ACOS: UN_FLOAT_LOOP(T, acos(x)); break; \
    case RT_OP_ATAN: UN_FLOAT_LOOP(T, atan(x)); break; \
    case RT_OP_SINH: UN_FLOAT_LOOP(T, sinh(x)); break; \
    case RT_OP_COSH: UN_FLOAT_LOOP(T, cosh(x)); break; \
    case RT_OP_ASINH: UN_FLOAT_LOOP(T, asinh(x)); break; \
    case RT_OP_ACOSH: UN_FLOAT_LOOP(T, acosh(x)); break; \
    case RT_OP_ATANH: UN_FLOAT_LOOP(T, atanh(x)); break; \
    default: return rtk_fail(a, RTK_RUN, "%s: not a float unary op", rtk_op_name(op)); \
    } } while (0)

/* Signed integer Abs/Neg/Sign/Relu, exact; negation wraps like two's complement. */
#define UN_INT_LOOP(T, UT, EXPR) do { \
    const T *x_ = (const T *)in->data; T *y_ = (T *)out->data; \
    _Pragma("omp parallel for num_threads(nt) if(nt > 1)") \
    for (int64_t i = 0; i < n; i++) { T x = x_[i]; y_[i] = (T)(EXPR); } \
} while (0)
#define UN_INT_OPS(T, UT) do { switch (op) { \
    case RT_OP_ABS: UN_INT_LOOP(T, UT, x < 0 ? (UT)0 - (UT)x : (UT)x); break; \
    case RT_OP_NEG: UN_INT_LOOP(T, UT, (UT)0 - (UT)x); break; \
    case RT_OP_SIGN: UN_INT_LOOP(T, UT, (x > 0) - (x < 0)); break; \
    case RT_OP_RELU: UN_INT_LOOP(T, UT, x < 0 ? 0 : x); break; \
    default: return rtk_fail(a, RTK_RUN, "%s: not an integer unary op", rtk_op_name(op)); \
    } } while (0)

/* ---- Cast ---- */

/* One element, widened: integers exactly (i or u), floats as double. */
typedef struct un_wide {
    int kind; /* 0 signed, 1 unsigned, 2 float */
    int64_t i;
    uint64_t u;
    double f;
} un_wide;

static inline un_wide un_load(int dt, const void *p, int64_t i) {
    un_wide w = {0, 0, 0, 0};
    switch (dt) {
    case RT_F32: w.kind = 2; w.f = ((const float *)p)[i]; break;
    case RT_F64: w.kind = 2; w.f = ((const double *)p)[i]; break;
    case RT_F16: w.kind = 2; w.f = rtk_f16_to_f32(((const uint16_t *)p)[i]); break;
    case RT_BF16: w.kind = 2; w.f = rtk_bf16_to_f32(((const uint16_t *)p)[i]); break;
    case RT_I8: w.i = ((const int8_t *)p)[i]; break;
    case RT_I16: w.i = ((const int16_t *)p)[i]; break;
    case RT_I32: w.i = ((const int32_t *)p)[i]; break;
    case RT_I64: w.i = ((const int64_t *)p)[i]; break;
    case RT_BOOL: w.i = ((const uint8_t *)p)[i] != 0; break;
    case RT_U8: w.kind = 1; w.u = ((const uint8_t *)p)[i]; break;
    case RT_U16: w.kind = 1; w.u = ((const uint16_t *)p)[i]; break;
    case RT_U32: w.kind = 1; w.u = ((const uint32_t *)p)[i]; break;
    case RT_U64: w.kind = 1; w.u = ((const uint64_t *)p)[i]; break;
    default: break;
    }
    return w;
}

/* float -> 64-bit integer bits, truncating toward zero. NaN and values out of int64 range
 * give INT64_MIN as x86 and numpy do (C leaves them undefined); negative values cast to
 * unsigned wrap as numpy does. The caller narrows the result by wrapping. */
static inline uint64_t un_f2bits(double f, int to_u64) {
    if (isnan(f)) return (uint64_t)INT64_MIN;
    if (to_u64 && f >= 9223372036854775808.0 && f < 18446744073709551616.0) return (uint64_t)f;
    if (f >= -9223372036854775808.0 && f < 9223372036854775808.0) return (uint64_t)(int64_t)f;
    return (uint64_t)INT64_MIN;
}

static inline void un_store(int dt, void *p, int64_t i, un_wide w) {
    uint64_t bits = w.kind == 0 ? (uint64_t)w.i : w.kind == 1 ? w.u : 0;
    if (w.kind == 2 && dt != RT_F32 && dt != RT_F64 && dt != RT_F16 && dt != RT_BF16 &&
        dt != RT_BOOL)
        bits = un_f2bits(w.f, dt == RT_U64);
    double f = w.kind == 0 ? (double)w.i : w.kind == 1 ? (double)w.u : w.f;
    switch (dt) {
    case RT_F32:
        /* int64 -> float directly (one rounding), not via double */
        ((float *)p)[i] = w.kind == 0 ? (float)w.i : w.kind == 1 ? (float)w.u : (float)w.f;
        break;
    case RT_F64: ((double *)p)[i] = f; break;
    case RT_F16: ((uint16_t *)p)[i] = rtk_f32_to_f16(rtk_f64_to_f32_odd(f)); break;
    case RT_BF16: ((uint16_t *)p)[i] = rtk_f32_to_bf16(rtk_f64_to_f32_odd(f)); break;
    case RT_BOOL: ((uint8_t *)p)[i] = w.kind == 2 ? w.f != 0 : bits != 0; break;
    case RT_I8: ((int8_t *)p)[i] = (int8_t)(uint8_t)bits; break;
    case RT_U8: ((uint8_t *)p)[i] = (uint8_t)bits; break;
    case RT_I16: ((int16_t *)p)[i] = (int16_t)(uint16_t)bits; break;
    case RT_U16: ((uint16_t *)p)[i] = (uint16_t)bits; break;
    case RT_I32: ((int32_t *)p)[i] = (int32_t)(uint32_t)bits; break;
    case RT_U32: ((uint32_t *)p)[i] = (uint32_t)bits; break;
    case RT_I64: ((int64_t *)p)[i] = (int64_t)bits; break;
    case RT_U64: ((uint64_t *)p)[i] = bits; break;
    default: break;
    }
}

static int un_cast_dtype_ok(int dt) {
    return dt == RT_F32 || dt == RT_F64 || dt == RT_F16 || dt == RT_BF16 || dt == RT_BOOL ||
           rtk_is_int(dt);
}

/* Cast: y = x converted to dtype `to`: floats to integers truncate toward zero, to float16
 * and bfloat16 round to nearest even, anything to bool is x != 0. CastLike takes the target
 * dtype from its second input. */
static void un_cast_run(const rt_tensor *in, rt_tensor *out, int64_t n, int nt) {
    int sd = in->dtype, dd = out->dtype;
    if (sd == dd) {
        if (out->data != in->data) memmove(out->data, in->data, (size_t)n * rt_dtype_size(sd));
        return;
    }
    /* the frequent pairs without the generic switch */
    if (sd == RT_F32 && dd == RT_F16) {
        const float *x = in->data; uint16_t *y = out->data;
        _Pragma("omp parallel for num_threads(nt) if(nt > 1)")
        for (int64_t i = 0; i < n; i++) y[i] = rtk_f32_to_f16(x[i]);
        return;
    }
    if (sd == RT_F16 && dd == RT_F32) {
        const uint16_t *x = in->data; float *y = out->data;
        _Pragma("omp parallel for num_threads(nt) if(nt > 1)")
        for (int64_t i = 0; i < n; i++) y[i] = rtk_f16_to_f32(x[i]);
        return;
    }
    if (sd == RT_I64 && dd == RT_F32) {
        const int64_t *x = in->data; float *y = out->data;
        _Pragma("omp parallel for num_threads(nt) if(nt > 1)")
        for (int64_t i = 0; i < n; i++) y[i] = (float)x[i];
        return;
    }
    if (sd == RT_BOOL && dd == RT_F32) {
        const uint8_t *x = in->data; float *y = out->data;
        _Pragma("omp parallel for num_threads(nt) if(nt > 1)")
        for (int64_t i = 0; i < n; i++) y[i] = x[i] ? 1.0f : 0.0f;
        return;
    }
    /* backwards when the output is wider and overlaps the input (in place) */
    int back = rt_dtype_size(dd) > rt_dtype_size(sd) && out->data == in->data;
    if (back) {
        for (int64_t i = n - 1; i >= 0; i--) un_store(dd, out->data, i, un_load(sd, in->data, i));
        return;
    }
    if (out->data == in->data) nt = 1; /* narrowing in place: forwards, one thread */
    _Pragma("omp parallel for num_threads(nt) if(nt > 1)")
    for (int64_t i = 0; i < n; i++) un_store(dd, out->data, i, un_load(sd, in->data, i));
}

/* ---- Clip ---- */

/* Clip(input, min?, max?): y = min(max(x, min), max); min/max are scalars of x's dtype.
 * When min > max every element becomes max (numpy.clip's order). */
#define UN_CLIP(T, LO, HI) do { \
    const T *x_ = (const T *)in->data; T *y_ = (T *)out->data; \
    T lo = (LO), hi = (HI); \
    if (rtk_has(a, 1)) lo = *(const T *)a->in[1].data; \
    if (rtk_has(a, 2)) hi = *(const T *)a->in[2].data; \
    _Pragma("omp parallel for num_threads(nt) if(nt > 1)") \
    for (int64_t i = 0; i < n; i++) { T v = x_[i]; v = v < lo ? lo : v; y_[i] = v > hi ? hi : v; } \
} while (0)

static int un_clip_dtype_ok(int dt) { return rtk_is_float(dt) || rtk_is_int(dt); }

/* ---- checks ---- */

static int un_check(rt_kargs *a, int mode) {
    const char *nm = rtk_op_name(a->op);
    char b1[96], b2[96];
    if (a->nin < 1 || a->nout < 1) return rtk_fail(a, mode, "%s: needs an input and an output", nm);
    const rt_tensor *in = &a->in[0], *out = &a->out[0];
    if (!rtk_shape_ok(in) || !rtk_shape_ok(out))
        return rtk_fail(a, mode, "%s: bad tensor rank or dims", nm);
    if (!rtk_same_dims(in, out))
        return rtk_fail(a, mode, "%s: output dims %s do not match input dims %s", nm,
                        rtk_dims_str(b1, sizeof b1, out->rank, out->dims),
                        rtk_dims_str(b2, sizeof b2, in->rank, in->dims));
    int dt = in->dtype, odt = out->dtype;
    int op = a->op;
    if (op == RT_OP_CAST || op == RT_OP_CASTLIKE) {
        if (!un_cast_dtype_ok(dt))
            return rtk_fail(a, mode, "%s: input dtype %s not supported", nm, rtk_dtype_name(dt));
        if (!un_cast_dtype_ok(odt))
            return rtk_fail(a, mode, "%s: target dtype %s not supported", nm, rtk_dtype_name(odt));
        int want = odt;
        if (op == RT_OP_CAST) {
            const rt_attr *to = rt_attr_find(a->a, a->na, "to");
            if (to && to->type == RT_ATTR_INT) want = (int)to->i;
        } else if (a->nin >= 2) {
            want = a->in[1].dtype;
        }
        if (want != odt)
            return rtk_fail(a, mode, "%s: output dtype %s is not the target dtype %s", nm,
                            rtk_dtype_name(odt), rtk_dtype_name(want));
        return 1;
    }
    if (op == RT_OP_ISNAN || op == RT_OP_ISINF) {
        if (!rtk_is_float(dt))
            return rtk_fail(a, mode, "%s: dtype %s not supported (float32, float64)", nm,
                            rtk_dtype_name(dt));
        if (odt != RT_BOOL)
            return rtk_fail(a, mode, "%s: output dtype must be bool, not %s", nm,
                            rtk_dtype_name(odt));
        return 1;
    }
    if (odt != dt)
        return rtk_fail(a, mode, "%s: output dtype %s differs from input dtype %s", nm,
                        rtk_dtype_name(odt), rtk_dtype_name(dt));
    if (op == RT_OP_IDENTITY || op == RT_OP_DROPOUT) {
        if (rt_dtype_size(dt) == 0)
            return rtk_fail(a, mode, "%s: dtype %s not supported", nm, rtk_dtype_name(dt));
        if (op == RT_OP_DROPOUT && a->nout >= 2 && a->out[1].rank >= 0) {
            if (a->out[1].dtype != RT_BOOL || !rtk_same_dims(in, &a->out[1]))
                return rtk_fail(a, mode, "Dropout: mask output must be bool with the input's dims");
        }
        return 1;
    }
    if (op == RT_OP_NOT) {
        if (dt != RT_BOOL)
            return rtk_fail(a, mode, "Not: dtype %s not supported (bool)", rtk_dtype_name(dt));
        return 1;
    }
    if (op == RT_OP_BITWISENOT) {
        if (!rtk_is_int(dt))
            return rtk_fail(a, mode, "BitwiseNot: dtype %s not supported (integer types)",
                            rtk_dtype_name(dt));
        return 1;
    }
    if (op == RT_OP_CLIP) {
        if (!un_clip_dtype_ok(dt))
            return rtk_fail(a, mode, "Clip: dtype %s not supported", rtk_dtype_name(dt));
        for (int i = 1; i < 3; i++) {
            if (!rtk_has(a, i)) continue;
            if (a->in[i].dtype != dt)
                return rtk_fail(a, mode, "Clip: input %d has dtype %s, not %s", i,
                                rtk_dtype_name(a->in[i].dtype), rtk_dtype_name(dt));
            if (!rtk_shape_ok(&a->in[i]) || rt_numel(&a->in[i]) != 1)
                return rtk_fail(a, mode, "Clip: input %d (%s) must be a scalar", i,
                                i == 1 ? "min" : "max");
        }
        return 1;
    }
    if (op == RT_OP_GELU) {
        const char *ap = rt_attr_s(a->a, a->na, "approximate", "none");
        if (strcmp(ap, "none") != 0 && strcmp(ap, "tanh") != 0)
            return rtk_fail(a, mode, "Gelu: approximate=\"%s\" (expected none or tanh)", ap);
    }
    if (rtk_is_float(dt) && (un_is_float_op(op) || un_is_signed_op(op))) return 1;
    if (un_is_signed_op(op) &&
        (dt == RT_I8 || dt == RT_I16 || dt == RT_I32 || dt == RT_I64))
        return 1;
    return rtk_fail(a, mode, "%s: dtype %s not supported (%s)", nm, rtk_dtype_name(dt),
                    un_is_signed_op(op) ? "float32, float64, int8, int16, int32, int64"
                                        : "float32, float64");
}

/* One family for Abs ... Dropout (see rt_cpu.c): the ONNX semantics of each op are in the
 * expressions above; attrs LeakyRelu alpha=0.01, Elu alpha=1, Selu alpha/gamma, Celu alpha=1,
 * ThresholdedRelu alpha=1, HardSigmoid alpha=0.2 beta=0.5, Gelu approximate, IsInf
 * detect_negative/detect_positive, Cast to. */
int rtk_unary(rt_kargs *a, int mode) {
    int ok = un_check(a, mode);
    if (mode == RTK_SUPPORTS) return ok;
    if (ok != 1) return -1;
    if (mode == RTK_SCRATCH) {
        a->scratch_need = 0;
        return 0;
    }
    const rt_tensor *in = &a->in[0];
    rt_tensor *out = &a->out[0];
    int op = a->op, dt = in->dtype;
    int64_t n = rt_numel(in);
    int nt = rtk_threads(a, n);
    if (n > 0 && (!in->data || !out->data))
        return rtk_fail(a, mode, "%s: missing tensor data", rtk_op_name(op));
    for (int i = 1; i < 3 && op == RT_OP_CLIP; i++)
        if (rtk_has(a, i) && !a->in[i].data)
            return rtk_fail(a, mode, "Clip: input %d has no data", i);

    un_par p = {0, 0, 0, 0, 1, 1};
    switch (op) {
    case RT_OP_LEAKYRELU: p.alpha = rt_attr_f(a->a, a->na, "alpha", 0.01f); break;
    case RT_OP_ELU: case RT_OP_CELU: case RT_OP_THRESHOLDEDRELU:
        p.alpha = rt_attr_f(a->a, a->na, "alpha", 1.0f);
        break;
    case RT_OP_SELU:
        p.alpha = rt_attr_f(a->a, a->na, "alpha", 1.67326319217681884765625f);
        p.gamma = rt_attr_f(a->a, a->na, "gamma", 1.05070102214813232421875f);
        break;
    case RT_OP_HARDSIGMOID:
        p.alpha = rt_attr_f(a->a, a->na, "alpha", 0.2f);
        p.beta = rt_attr_f(a->a, a->na, "beta", 0.5f);
        break;
    case RT_OP_GELU: p.gelu_tanh = strcmp(rt_attr_s(a->a, a->na, "approximate", "none"), "tanh") == 0; break;
    case RT_OP_ISINF:
        p.det_neg = (int)rt_attr_i(a->a, a->na, "detect_negative", 1);
        p.det_pos = (int)rt_attr_i(a->a, a->na, "detect_positive", 1);
        break;
    default: break;
    }

    switch (op) {
    case RT_OP_CAST: case RT_OP_CASTLIKE:
        un_cast_run(in, out, n, nt);
        return 0;
    case RT_OP_DROPOUT: {
        /* inference: training_mode (input 2) must be false or absent */
        if (rtk_has(a, 2) && a->in[2].data && a->in[2].dtype == RT_BOOL &&
            rt_numel(&a->in[2]) >= 1 && *(const uint8_t *)a->in[2].data)
            return rtk_fail(a, mode, "Dropout: training_mode=true is not supported (inference only)");
        if (out->data != in->data && n > 0)
            memmove(out->data, in->data, (size_t)n * rt_dtype_size(dt));
        if (a->nout >= 2 && a->out[1].rank >= 0 && a->out[1].data)
            memset(a->out[1].data, 1, (size_t)n);
        return 0;
    }
    case RT_OP_IDENTITY:
        if (out->data != in->data && n > 0)
            memmove(out->data, in->data, (size_t)n * rt_dtype_size(dt));
        return 0;
    case RT_OP_NOT: {
        const uint8_t *x = in->data; uint8_t *y = out->data;
        for (int64_t i = 0; i < n; i++) y[i] = !x[i];
        return 0;
    }
    case RT_OP_ISNAN: case RT_OP_ISINF: {
        uint8_t *y = out->data;
        for (int64_t i = 0; i < n; i++) {
            double x = dt == RT_F32 ? ((const float *)in->data)[i] : ((const double *)in->data)[i];
            y[i] = op == RT_OP_ISNAN ? isnan(x) != 0
                                     : isinf(x) && ((x > 0 && p.det_pos) || (x < 0 && p.det_neg));
        }
        return 0;
    }
    case RT_OP_BITWISENOT: {
        size_t es = rt_dtype_size(dt);
        for (int64_t i = 0; i < n; i++) {
            switch (es) {
            case 1: ((uint8_t *)out->data)[i] = (uint8_t)~((const uint8_t *)in->data)[i]; break;
            case 2: ((uint16_t *)out->data)[i] = (uint16_t)~((const uint16_t *)in->data)[i]; break;
            case 4: ((uint32_t *)out->data)[i] = ~((const uint32_t *)in->data)[i]; break;
            default: ((uint64_t *)out->data)[i] = ~((const uint64_t *)in->data)[i]; break;
            }
        }
        return 0;
    }
    case RT_OP_CLIP:
        switch (dt) {
        case RT_F32: UN_CLIP(float, -INFINITY, INFINITY); break;
        case RT_F64: UN_CLIP(double, -INFINITY, INFINITY); break;
        case RT_I8: UN_CLIP(int8_t, INT8_MIN, INT8_MAX); break;
        case RT_I16: UN_CLIP(int16_t, INT16_MIN, INT16_MAX); break;
        case RT_I32: UN_CLIP(int32_t, INT32_MIN, INT32_MAX); break;
        case RT_I64: UN_CLIP(int64_t, INT64_MIN, INT64_MAX); break;
        case RT_U8: UN_CLIP(uint8_t, 0, UINT8_MAX); break;
        case RT_U16: UN_CLIP(uint16_t, 0, UINT16_MAX); break;
        case RT_U32: UN_CLIP(uint32_t, 0, UINT32_MAX); break;
        case RT_U64: UN_CLIP(uint64_t, 0, UINT64_MAX); break;
        default: return rtk_fail(a, mode, "Clip: dtype %s not supported", rtk_dtype_name(dt));
        }
        return 0;
    default:
        break;
    }
    switch (dt) {
    case RT_F32: UN_FLOAT_OPS(float, f); break;
    case RT_F64: UN_FLOAT_OPS(double, ); break;
    case RT_I8: UN_INT_OPS(int8_t, uint8_t); break;
    case RT_I16: UN_INT_OPS(int16_t, uint16_t); break;
    case RT_I32: UN_INT_OPS(int32_t, uint32_t); break;
    case RT_I64: UN_INT_OPS(int64_t, uint64_t); break;
    default:
        return rtk_fail(a, mode, "%s: dtype %s not supported", rtk_op_name(op), rtk_dtype_name(dt));
    }
    return 0;
}
