/* rt_cpu_elem.h - internal to runtime/cpu: small helpers shared by the elementwise, broadcasting
 * and reduction families (rt_cpu_unary.c, rt_cpu_binary.c, rt_cpu_reduce.c): op and dtype
 * names for messages, shape checks, thread counts, and float16/bfloat16 conversions.
 * Everything here is static inline; nothing allocates.
 */
#ifndef PIPPY_RT_CPU_ELEM_H
#define PIPPY_RT_CPU_ELEM_H

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "rt_cpu_impl.h"

/* Below this many elements a loop runs on one thread (thread start-up costs more). */
#define RTK_PAR_MIN 32768

/* ONNX op_type of an RT_OP_* code, for messages. */
static inline const char *rtk_op_name(int op) {
    static const char *const names[] = {
#define OP(onnx, id, mi, ma, mo, mao, fl) #onnx,
#include "ir/ops.def"
#undef OP
    };
    _Static_assert(sizeof names / sizeof names[0] == RT_OP_COUNT, "ORDER OP: one name per op");
    return op >= 0 && op < RT_OP_COUNT ? names[op] : "?";
}

/* numpy-style dtype name, for messages. */
static inline const char *rtk_dtype_name(int dt) {
    switch (dt) {
    case RT_F32: return "float32";
    case RT_U8: return "uint8";
    case RT_I8: return "int8";
    case RT_U16: return "uint16";
    case RT_I16: return "int16";
    case RT_I32: return "int32";
    case RT_I64: return "int64";
    case RT_STR: return "string";
    case RT_BOOL: return "bool";
    case RT_F16: return "float16";
    case RT_F64: return "float64";
    case RT_U32: return "uint32";
    case RT_U64: return "uint64";
    case RT_BF16: return "bfloat16";
    default: return "unknown dtype";
    }
}

static inline int rtk_is_float(int dt) { return dt == RT_F32 || dt == RT_F64; }
static inline int rtk_is_int(int dt) {
    return dt == RT_I8 || dt == RT_I16 || dt == RT_I32 || dt == RT_I64 || dt == RT_U8 ||
           dt == RT_U16 || dt == RT_U32 || dt == RT_U64;
}

/* Threads for a loop over n elements: 1 unless the loop is large and the context asks for more. */
static inline int rtk_threads(const rt_kargs *a, int64_t n) {
    int nt = a->k ? a->k->nthreads : 1;
    return (nt > 1 && n >= RTK_PAR_MIN) ? nt : 1;
}

/* "[2,3,4]" into buf (for messages). */
static inline const char *rtk_dims_str(char *buf, size_t cap, int rank, const int64_t *dims) {
    size_t o = 0;
    o += (size_t)snprintf(buf + o, cap - o, "[");
    for (int i = 0; i < rank && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, i ? ",%lld" : "%lld", (long long)dims[i]);
    if (o < cap) snprintf(buf + o, cap - o, "]");
    return buf;
}

/* A tensor's shape is usable: rank 0..RT_MAX_RANK, no negative dims, element count fits int64. */
static inline int rtk_shape_ok(const rt_tensor *t) {
    if (t->rank < 0 || t->rank > RT_MAX_RANK) return 0;
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i] < 0) return 0;
        if (t->dims[i] && n > INT64_MAX / t->dims[i]) return 0;
        n *= t->dims[i];
    }
    return 1;
}

static inline int rtk_same_dims(const rt_tensor *x, const rt_tensor *y) {
    if (x->rank != y->rank) return 0;
    for (int i = 0; i < x->rank; i++)
        if (x->dims[i] != y->dims[i]) return 0;
    return 1;
}

/* ---- float16 / bfloat16 (bit patterns in uint16_t) ---- */

static inline uint32_t rtk_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float rtk_bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* IEEE half -> float, exact (subnormals, inf, NaN kept). */
static inline float rtk_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    if (e == 0x1f) return rtk_bits_f32(sign | 0x7f800000u | (m << 13));
    if (e == 0) {
        float v = (float)m * (1.0f / 16777216.0f);   /* m * 2^-24 */
        return sign ? -v : v;
    }
    return rtk_bits_f32(sign | ((e + 112) << 23) | (m << 13));
}

/* float -> IEEE half, round to nearest even; overflow to inf, NaN stays NaN (quiet). */
static inline uint16_t rtk_f32_to_f16(float f) {
    uint32_t u = rtk_f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t au = u & 0x7fffffffu;
    if (au >= 0x7f800000u) /* inf or NaN */
        return (uint16_t)(sign | 0x7c00 | (au > 0x7f800000u ? 0x200 | ((au >> 13) & 0x3ff) : 0));
    if (au >= 0x477ff000u) return (uint16_t)(sign | 0x7c00); /* >= 65520: rounds to inf */
    if (au < 0x38800000u) {                                   /* below 2^-14: subnormal half */
        if (au < 0x33000000u) return sign;                    /* < 2^-25: rounds to zero */
        uint32_t e = au >> 23, m = (au & 0x7fffff) | 0x800000;
        uint32_t shift = 126 - e;          /* value = m * 2^(e-150); half unit = 2^-24 */
        uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1))) q++;
        return (uint16_t)(sign | q);
    }
    uint32_t r = au + 0xfff + ((au >> 13) & 1); /* round to nearest even at bit 13 */
    return (uint16_t)(sign | ((r - 0x38000000u) >> 13));
}

static inline float rtk_bf16_to_f32(uint16_t b) { return rtk_bits_f32((uint32_t)b << 16); }

/* float -> bfloat16, round to nearest even; NaN stays NaN. */
static inline uint16_t rtk_f32_to_bf16(float f) {
    uint32_t u = rtk_f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fff + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

/* double -> float rounded to odd: then rounding that float to half or bfloat16 (both far
 * narrower than float) gives the same result as rounding the double directly. */
static inline float rtk_f64_to_f32_odd(double d) {
    float f = (float)d;
    if ((double)f == d || isnan(d) || isinf(f)) return f;
    uint32_t u = rtk_f32_bits(f);
    if (u & 1) return f;
    /* f is even: step one unit toward d so the result is the odd neighbour */
    if (fabs((double)f) > fabs(d)) u--; else u++;
    return rtk_bits_f32(u);
}

#endif
