/* rt_cpu_move.c - the move family: ops that move, pick or reinterpret bytes without doing
 * arithmetic on them (Reshape, Transpose, Concat, Slice, Gather, Pad, ...), plus the shape and
 * constant producers (in rt_cpu_move2.c with Resize).
 *
 * These kernels are dtype-agnostic: every dtype with a fixed element size (1, 2, 4 or 8 bytes)
 * works; strings do not. Most copies go through one strided-view copier (rtk_mv_strided):
 * Transpose, Slice, Expand, Tile, DepthToSpace and SpaceToDepth are each a view of the input
 * (dims + element strides, 0 for broadcast, negative for reversed) copied out contiguously.
 * Index inputs are checked at run time and a bad one fails the call cleanly ("index 7 out of
 * range [-5, 5)") before any byte outside a tensor is touched.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "rt_cpu_move.h"

/* Below this many bytes a copy runs on one thread. */
#define MV_PAR_BYTES ((int64_t)1 << 18)

#define MV_BAD() ((mode) == RTK_SUPPORTS ? 0 : -1)

/* ---------------------------------------------------------------- helpers */

const char *rtk_mv_opname(int op) {
    static const char *const names[] = {
#define OP(onnx, id, mi, ma, mo, mao, fl) #onnx,
#include "ir/ops.def"
#undef OP
    };
    _Static_assert(sizeof names / sizeof names[0] == RT_OP_COUNT, "ORDER OP: one name per op");
    return op >= 0 && op < RT_OP_COUNT ? names[op] : "?";
}

int rtk_mv_err(rt_kargs *a, const char *fmt, ...) {
    char msg[224];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(a->k->err, sizeof a->k->err, "%s: %s", rtk_mv_opname(a->op), msg);
    return 0;
}

int rtk_mv_tensor_ok(rt_kargs *a, int mode, const rt_tensor *t, const char *what, int need_fixed,
                     int64_t *numel) {
    if (t->rank < 0 || t->rank > RT_MAX_RANK)
        return rtk_mv_err(a, "%s has rank %d (supported: 0..%d)", what, (int)t->rank, RT_MAX_RANK);
    size_t es = rt_dtype_size(t->dtype);
    if (need_fixed && es == 0)
        return rtk_mv_err(a, "%s has dtype %d (%s), which is not supported", what, (int)t->dtype,
                          t->dtype == RT_STR ? "string" : "unknown");
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i] < 0) return rtk_mv_err(a, "%s dim %d is %lld", what, i, (long long)t->dims[i]);
        if (t->dims[i] != 0 && n > INT64_MAX / 8 / t->dims[i])
            return rtk_mv_err(a, "%s is too large", what);
        n *= t->dims[i];
    }
    if (mode == RTK_RUN && n > 0 && t->data == NULL)
        return rtk_mv_err(a, "%s has no data", what);
    if (numel) *numel = n;
    return 1;
}

int rtk_mv_is_float(int dt) {
    return dt == RT_F32 || dt == RT_F64 || dt == RT_F16 || dt == RT_BF16;
}

static float mv_h2f(uint16_t h) {
    uint32_t s = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, u;
    if (e == 0) {
        float f = (float)m * 0x1p-24f;   /* zero or subnormal: exact */
        return s ? -f : f;
    }
    if (e == 31) u = s | 0x7f800000u | (m << 13);
    else u = s | ((e + 112) << 23) | (m << 13);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* float -> IEEE half, round to nearest even; overflow gives inf, NaN stays NaN. */
static uint16_t mv_f2h(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t s = (u >> 16) & 0x8000u, e = (u >> 23) & 0xffu, m = u & 0x7fffffu;
    if (e == 0xff) return (uint16_t)(s | 0x7c00u | (m ? 0x200u | (m >> 13) : 0));
    int32_t ne = (int32_t)e - 127 + 15;
    if (ne >= 31) return (uint16_t)(s | 0x7c00u);
    if (ne <= 0) {
        if (ne < -10) return (uint16_t)s;
        m |= 0x800000u;
        int shift = 14 - ne;
        uint32_t hm = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (hm & 1))) hm++;
        return (uint16_t)(s | hm);
    }
    uint32_t hm = m >> 13, rem = m & 0x1fffu;
    uint32_t h = s | ((uint32_t)ne << 10) | hm;
    if (rem > 0x1000u || (rem == 0x1000u && (hm & 1))) h++;   /* a carry rolls into the exponent */
    return (uint16_t)h;
}

static float mv_bf2f(uint16_t b) {
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint16_t mv_f2bf(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);   /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

double rtk_mv_getf(int dt, const void *p, int64_t i) {
    switch (dt) {
    case RT_F32: { float v; memcpy(&v, (const char *)p + i * 4, 4); return v; }
    case RT_F64: { double v; memcpy(&v, (const char *)p + i * 8, 8); return v; }
    case RT_F16: { uint16_t v; memcpy(&v, (const char *)p + i * 2, 2); return mv_h2f(v); }
    case RT_BF16: { uint16_t v; memcpy(&v, (const char *)p + i * 2, 2); return mv_bf2f(v); }
    case RT_U64: { uint64_t v; memcpy(&v, (const char *)p + i * 8, 8); return (double)v; }
    default: return (double)rtk_mv_geti(dt, p, i);
    }
}

int64_t rtk_mv_geti(int dt, const void *p, int64_t i) {
    const char *c = p;
    switch (dt) {
    case RT_BOOL: return c[i] != 0;
    case RT_U8: return (uint8_t)c[i];
    case RT_I8: return (int8_t)c[i];
    case RT_U16: { uint16_t v; memcpy(&v, c + i * 2, 2); return v; }
    case RT_I16: { int16_t v; memcpy(&v, c + i * 2, 2); return v; }
    case RT_U32: { uint32_t v; memcpy(&v, c + i * 4, 4); return v; }
    case RT_I32: { int32_t v; memcpy(&v, c + i * 4, 4); return v; }
    case RT_I64: { int64_t v; memcpy(&v, c + i * 8, 8); return v; }
    case RT_U64: { uint64_t v; memcpy(&v, c + i * 8, 8); return (int64_t)v; }
    case RT_F32: case RT_F64: case RT_F16: case RT_BF16: {
        double v = rtk_mv_getf(dt, p, i);
        if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) return INT64_MIN;
        return (int64_t)v;
    }
    default: return 0;
    }
}

void rtk_mv_seti(int dt, void *p, int64_t i, int64_t v) {
    char *c = p;
    switch (dt) {
    case RT_BOOL: c[i] = v != 0; return;
    case RT_U8: case RT_I8: c[i] = (char)(uint8_t)(uint64_t)v; return;
    case RT_U16: case RT_I16: { uint16_t x = (uint16_t)(uint64_t)v; memcpy(c + i * 2, &x, 2); return; }
    case RT_U32: case RT_I32: { uint32_t x = (uint32_t)(uint64_t)v; memcpy(c + i * 4, &x, 4); return; }
    case RT_U64: case RT_I64: memcpy(c + i * 8, &v, 8); return;
    case RT_F32: case RT_F64: case RT_F16: case RT_BF16: rtk_mv_setf(dt, p, i, (double)v); return;
    default: return;
    }
}

void rtk_mv_setf(int dt, void *p, int64_t i, double v) {
    char *c = p;
    switch (dt) {
    case RT_F32: { float x = (float)v; memcpy(c + i * 4, &x, 4); return; }
    case RT_F64: memcpy(c + i * 8, &v, 8); return;
    case RT_F16: { uint16_t x = mv_f2h((float)v); memcpy(c + i * 2, &x, 2); return; }
    case RT_BF16: { uint16_t x = mv_f2bf((float)v); memcpy(c + i * 2, &x, 2); return; }
    case RT_BOOL: c[i] = v != 0; return;
    default:
        if (dt == RT_U64 && v >= 0 && v < 18446744073709551616.0) {
            uint64_t x = (uint64_t)v;
            memcpy(c + i * 8, &x, 8);
            return;
        }
        rtk_mv_seti(dt, p, i, (v >= -9223372036854775808.0 && v < 9223372036854775808.0) ? (int64_t)v : 0);
        return;
    }
}

int64_t rtk_mv_idx(const rt_tensor *t, int64_t i) {
    if (t->dtype == RT_I32) {
        int32_t v;
        memcpy(&v, (const char *)t->data + i * 4, 4);
        return v;
    }
    int64_t v;
    memcpy(&v, (const char *)t->data + i * 8, 8);
    return v;
}

void rtk_mv_strides(int r, const int64_t *dims, int64_t *st) {
    int64_t s = 1;
    for (int i = r - 1; i >= 0; i--) {
        st[i] = s;
        s *= dims[i];
    }
}

void rtk_mv_copy(void *dst, const void *src, size_t n, int nthreads) {
    if (n == 0 || dst == src) return;
    int nt = nthreads > 1 && n >= (size_t)MV_PAR_BYTES ? nthreads : 1;
    if (nt == 1) {
        memcpy(dst, src, n);
        return;
    }
    size_t chunk = (n + (size_t)nt - 1) / (size_t)nt;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int t = 0; t < nt; t++) {
        size_t b = (size_t)t * chunk;
        if (b < n) memcpy((char *)dst + b, (const char *)src + b, n - b < chunk ? n - b : chunk);
    }
}

/* Replicate the es-byte element at val n times at dst by doubling copies. */
static void mv_fill1(char *dst, const void *val, int64_t n, size_t es) {
    if (n <= 0) return;
    size_t total = (size_t)n * es, have = es;
    memmove(dst, val, es);
    while (have < total) {
        size_t c = have < total - have ? have : total - have;
        memcpy(dst + have, dst, c);
        have += c;
    }
}

void rtk_mv_fill(void *dst, const void *val, int64_t n, size_t es, int nthreads) {
    int nt = nthreads > 1 && n * (int64_t)es >= MV_PAR_BYTES ? nthreads : 1;
    if (nt == 1) {
        mv_fill1(dst, val, n, es);
        return;
    }
    char v[8];
    memcpy(v, val, es);   /* val may lie inside dst */
    int64_t chunk = (n + nt - 1) / nt;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int t = 0; t < nt; t++) {
        int64_t b = (int64_t)t * chunk;
        if (b < n) mv_fill1((char *)dst + b * (int64_t)es, v, n - b < chunk ? n - b : chunk, es);
    }
}

/* One row of a strided copy: n elements, source stride s elements. */
static void mv_row(char *d, const char *s, int64_t n, int64_t st, size_t es) {
    if (st == 1) {
        memcpy(d, s, (size_t)n * es);
        return;
    }
    if (st == 0) {
        mv_fill1(d, s, n, es);
        return;
    }
#define MV_ROW(T) \
    for (int64_t j = 0; j < n; j++) { \
        T v_; \
        memcpy(&v_, s + j * st * (int64_t)sizeof(T), sizeof(T)); \
        memcpy(d + j * (int64_t)sizeof(T), &v_, sizeof(T)); \
    }
    switch (es) {
    case 1: MV_ROW(uint8_t) break;
    case 2: MV_ROW(uint16_t) break;
    case 4: MV_ROW(uint32_t) break;
    default: MV_ROW(uint64_t) break;
    }
#undef MV_ROW
}

/* 2-D tile of a transpose: dst[i*dsi + j] = src[i + j*ssj] for i < ni, j < nj. */
static void mv_tile(char *d, const char *s, int64_t ni, int64_t nj, int64_t dsi, int64_t ssj,
                    size_t es) {
#define MV_TILE(T) \
    for (int64_t j = 0; j < nj; j++) \
        for (int64_t i = 0; i < ni; i++) { \
            T v_; \
            memcpy(&v_, s + (i + j * ssj) * (int64_t)sizeof(T), sizeof(T)); \
            memcpy(d + (i * dsi + j) * (int64_t)sizeof(T), &v_, sizeof(T)); \
        }
    switch (es) {
    case 1: MV_TILE(uint8_t) break;
    case 2: MV_TILE(uint16_t) break;
    case 4: MV_TILE(uint32_t) break;
    default: MV_TILE(uint64_t) break;
    }
#undef MV_TILE
}

/* Transpose tile edge. 8 beat 32 on 1000x4000 and 1024x4096 float (about 1.5-2x, one thread)
 * and tied on [8,12,128,64] by [0,1,3,2]; measured on a busy 2-core machine, so rough. */
#define MV_TB 8

void rtk_mv_strided(char *dst, const char *src, int r, const int64_t *dims, const int64_t *st,
                    size_t es, int nthreads) {
    int64_t d[RTK_MV_MAX_VIEW], s[RTK_MV_MAX_VIEW];
    int n = 0;
    /* Drop unit axes; merge an axis into the previous one when together they step evenly. */
    for (int i = 0; i < r; i++) {
        if (dims[i] == 0) return;
        if (dims[i] == 1) continue;
        if (n > 0 && s[n - 1] == st[i] * dims[i]) {
            d[n - 1] *= dims[i];
            s[n - 1] = st[i];
        } else {
            d[n] = dims[i];
            s[n] = st[i];
            n++;
        }
    }
    if (n == 0) {
        memcpy(dst, src, es);
        return;
    }
    int64_t N = d[n - 1], S = s[n - 1], rows = 1;
    for (int i = 0; i < n - 1; i++) rows *= d[i];
    int nt = nthreads > 1 && rows * N * (int64_t)es >= MV_PAR_BYTES ? nthreads : 1;

    /* A transpose whose source-contiguous axis q is not the output's last: copy 2-D tiles so
     * that both the reads (along q) and the writes (along the last axis) stay in cache. */
    int q = -1;
    if (S != 1 && S != 0 && N >= 4)
        for (int i = n - 2; i >= 0; i--)
            if (s[i] == 1) { q = i; break; }
    if (q >= 0 && d[q] >= 4) {
        int64_t os[RTK_MV_MAX_VIEW];
        rtk_mv_strides(n, d, os);
        int64_t outer = rows / d[q], nbi = (d[q] + MV_TB - 1) / MV_TB, items = outer * nbi;
#pragma omp parallel for num_threads(nt) schedule(static)
        for (int64_t it = 0; it < items; it++) {
            int64_t o = it / nbi, i0 = (it % nbi) * MV_TB, rem = o, soff = 0, doff = 0;
            for (int k = n - 2; k >= 0; k--) {
                if (k == q) continue;
                int64_t c = rem % d[k];
                rem /= d[k];
                soff += c * s[k];
                doff += c * os[k];
            }
            int64_t ni = d[q] - i0 < MV_TB ? d[q] - i0 : MV_TB;
            for (int64_t j0 = 0; j0 < N; j0 += MV_TB) {
                int64_t nj = N - j0 < MV_TB ? N - j0 : MV_TB;
                mv_tile(dst + (doff + i0 * os[q] + j0) * (int64_t)es,
                        src + (soff + i0 + j0 * S) * (int64_t)es, ni, nj, os[q], S, es);
            }
        }
        return;
    }

    /* Rows of N elements: chunks of rows, each walking its row index incrementally. */
    int nchunks = nt == 1 ? 1 : nt * 4;
    if (nchunks > rows) nchunks = (int)rows;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int c = 0; c < nchunks; c++) {
        int64_t r0 = rows * c / nchunks, r1 = rows * (c + 1) / nchunks;
        int64_t idx[RTK_MV_MAX_VIEW], rem = r0, off = 0;
        for (int k = n - 2; k >= 0; k--) {
            idx[k] = rem % d[k];
            rem /= d[k];
            off += idx[k] * s[k];
        }
        for (int64_t row = r0; row < r1; row++) {
            mv_row(dst + row * N * (int64_t)es, src + off * (int64_t)es, N, S, es);
            for (int k = n - 2; k >= 0; k--) {   /* next row */
                off += s[k];
                if (++idx[k] < d[k]) break;
                off -= idx[k] * s[k];
                idx[k] = 0;
            }
        }
    }
}

/* Common checks of a mover: in[0] and out[0] present, fixed-size dtypes, same dtype. */
static int mv_io(rt_kargs *a, int mode, int64_t *nx, int64_t *ny) {
    if (a->nin < 1 || a->nout < 1 || a->in[0].rank < 0)
        return rtk_mv_err(a, "needs an input and an output");
    if (!rtk_mv_tensor_ok(a, mode, &a->in[0], "input", 1, nx)) return 0;
    if (!rtk_mv_tensor_ok(a, mode, &a->out[0], "output", 1, ny)) return 0;
    if (a->out[0].dtype != a->in[0].dtype)
        return rtk_mv_err(a, "output dtype %d differs from input dtype %d", (int)a->out[0].dtype,
                          (int)a->in[0].dtype);
    return 1;
}

static int mv_nthreads(const rt_kargs *a) { return a->k ? a->k->nthreads : 1; }

/* Optional int32/int64 1-D (or scalar) input: check dtype in any mode; returns its length. */
static int mv_index_input(rt_kargs *a, int mode, int i, const char *what, int64_t *len) {
    const rt_tensor *t = &a->in[i];
    if (!rtk_mv_tensor_ok(a, mode, t, what, 1, len)) return 0;
    if (!rtk_mv_is_index(t->dtype)) return rtk_mv_err(a, "%s must be int32 or int64, got dtype %d", what, (int)t->dtype);
    if (t->rank > 1) return rtk_mv_err(a, "%s must be 1-D, got rank %d", what, (int)t->rank);
    return 1;
}

/* ---------------------------------------------------------------- reshape-like */

/* Reshape(data, shape), Flatten(input; axis), Squeeze(data, axes?), Unsqueeze(data, axes):
 * the bytes stay as they are (row-major order is unchanged); output dims come from shape
 * inference, so only the element count is checked. Nothing is copied when out aliases in. */
static int mv_reshape(rt_kargs *a, int mode) {
    int64_t nx, ny;
    if (!mv_io(a, mode, &nx, &ny)) return MV_BAD();
    if (nx != ny) MV_FAIL("output holds %lld elements, input %lld", (long long)ny, (long long)nx);
    if (mode != RTK_RUN) MV_OK();
    size_t n = (size_t)nx * rt_dtype_size(a->in[0].dtype);
    char *d = a->out[0].data;
    const char *s = a->in[0].data;
    if (n == 0 || d == s) return 0;
    if (d < s + n && s < d + n) memmove(d, s, n);
    else rtk_mv_copy(d, s, n, mv_nthreads(a));
    return 0;
}

/* ---------------------------------------------------------------- Transpose */

/* Transpose(data; perm = reversed axes): out.dims[i] = in.dims[perm[i]]. Runs as a strided
 * view: the common [0,2,1,3] copies whole innermost rows; a swap of the last axis copies
 * 32x32 tiles. */
static int mv_transpose(rt_kargs *a, int mode) {
    int64_t nx, ny;
    if (!mv_io(a, mode, &nx, &ny)) return MV_BAD();
    const rt_tensor *x = &a->in[0];
    rt_tensor *y = &a->out[0];
    int r = x->rank, perm[RT_MAX_RANK], seen[RT_MAX_RANK] = {0};
    const rt_attr *p = rt_attr_find(a->a, a->na, "perm");
    if (p && p->type != RT_ATTR_INTS) MV_FAIL("perm must be a list of ints");
    if (p && p->n != r) MV_FAIL("perm has %d entries for rank %d", p->n, r);
    for (int i = 0; i < r; i++) {
        int64_t v = p ? p->ints[i] : r - 1 - i;
        int ax = rtk_axis(v, r);
        if (ax < 0 || seen[ax]) MV_FAIL("perm is not a permutation of 0..%d", r - 1);
        seen[ax] = 1;
        perm[i] = ax;
    }
    if (y->rank != r) MV_FAIL("output rank %d, input rank %d", (int)y->rank, r);
    for (int i = 0; i < r; i++)
        if (y->dims[i] != x->dims[perm[i]])
            MV_FAIL("output dim %d is %lld, expected %lld", i, (long long)y->dims[i],
                    (long long)x->dims[perm[i]]);
    if (mode != RTK_RUN) MV_OK();
    int64_t xs[RT_MAX_RANK], st[RT_MAX_RANK];
    rtk_mv_strides(r, x->dims, xs);
    for (int i = 0; i < r; i++) st[i] = xs[perm[i]];
    if (nx > 0)
        rtk_mv_strided(y->data, x->data, r, y->dims, st, rt_dtype_size(x->dtype), mv_nthreads(a));
    return 0;
}

/* ---------------------------------------------------------------- Concat / Split */

/* Concat(inputs...; axis): all inputs share dims except along axis, which adds up. */
static int mv_concat(rt_kargs *a, int mode) {
    if (a->nin < 1 || a->nout < 1) MV_FAIL("needs inputs and an output");
    rt_tensor *y = &a->out[0];
    int64_t ny;
    if (!rtk_mv_tensor_ok(a, mode, y, "output", 1, &ny)) return MV_BAD();
    const rt_attr *axa = rt_attr_find(a->a, a->na, "axis");
    if (!axa || axa->type != RT_ATTR_INT) MV_FAIL("attribute axis (int) is required");
    int r = y->rank, ax = rtk_axis(axa->i, r);
    if (ax < 0) MV_FAIL("axis %lld out of range for rank %d", (long long)axa->i, r);
    int64_t sum = 0;
    for (int k = 0; k < a->nin; k++) {
        const rt_tensor *x = &a->in[k];
        char what[32];
        snprintf(what, sizeof what, "input %d", k);
        if (x->rank < 0) MV_FAIL("input %d is missing", k);
        if (!rtk_mv_tensor_ok(a, mode, x, what, 1, NULL)) return MV_BAD();
        if (x->dtype != y->dtype) MV_FAIL("input %d dtype %d, output dtype %d", k, (int)x->dtype, (int)y->dtype);
        if (x->rank != r) MV_FAIL("input %d rank %d, output rank %d", k, (int)x->rank, r);
        for (int i = 0; i < r; i++)
            if (i != ax && x->dims[i] != y->dims[i])
                MV_FAIL("input %d dim %d is %lld, output's is %lld", k, i, (long long)x->dims[i],
                        (long long)y->dims[i]);
        sum += x->dims[ax];
    }
    if (sum != y->dims[ax])
        MV_FAIL("inputs add up to %lld along axis %d, output has %lld", (long long)sum, ax,
                (long long)y->dims[ax]);
    if (mode != RTK_RUN) MV_OK();
    if (ny == 0) return 0;
    size_t es = rt_dtype_size(y->dtype);
    int64_t outer = 1, inner = es;
    for (int i = 0; i < ax; i++) outer *= y->dims[i];
    for (int i = ax + 1; i < r; i++) inner *= y->dims[i];
    int64_t orow = y->dims[ax] * inner;
    int nt = mv_nthreads(a) > 1 && ny * (int64_t)es >= MV_PAR_BYTES ? mv_nthreads(a) : 1;
    if (outer == 1) {   /* one block per input: copy each with all threads */
        int64_t off = 0;
        for (int k = 0; k < a->nin; k++) {
            int64_t n = a->in[k].dims[ax] * inner;
            rtk_mv_copy((char *)y->data + off, a->in[k].data, (size_t)n, nt);
            off += n;
        }
        return 0;
    }
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t o = 0; o < outer; o++) {
        int64_t off = 0;
        for (int k = 0; k < a->nin; k++) {
            int64_t n = a->in[k].dims[ax] * inner;
            if (n) memcpy((char *)y->data + o * orow + off, (const char *)a->in[k].data + o * n, (size_t)n);
            off += n;
        }
    }
    return 0;
}

/* Split(input, split?; axis=0, num_outputs): opset 18. Parts along axis are the split input's
 * sizes, or ceil(dim/num_outputs) each with a smaller last part, or equal parts. */
static int mv_split(rt_kargs *a, int mode) {
    if (a->nin < 1 || a->nout < 1 || a->in[0].rank < 0) MV_FAIL("needs an input and outputs");
    const rt_tensor *x = &a->in[0];
    int64_t nx, nsplit = 0;
    if (!rtk_mv_tensor_ok(a, mode, x, "input", 1, &nx)) return MV_BAD();
    int r = x->rank;
    int64_t axv = rt_attr_i(a->a, a->na, "axis", 0);
    int ax = rtk_axis(axv, r);
    if (ax < 0) MV_FAIL("axis %lld out of range for rank %d", (long long)axv, r);
    int have_split = rtk_mv_present(a, 1);
    if (have_split) {
        if (!mv_index_input(a, mode, 1, "split", &nsplit)) return MV_BAD();
        if (nsplit != a->nout) MV_FAIL("split has %lld entries for %d outputs", (long long)nsplit, a->nout);
    }
    int64_t nouts = rt_attr_i(a->a, a->na, "num_outputs", 0);
    if (!have_split && nouts > 0 && nouts != a->nout)
        MV_FAIL("num_outputs is %lld but the node has %d outputs", (long long)nouts, a->nout);
    int64_t dim = x->dims[ax], sum = 0;
    int64_t part = nouts > 0 ? (dim + nouts - 1) / nouts : 0;
    if (!have_split && nouts <= 0 && dim % a->nout)
        MV_FAIL("dim %lld does not split evenly into %d outputs", (long long)dim, a->nout);
    for (int k = 0; k < a->nout; k++) {
        rt_tensor *y = &a->out[k];
        char what[32];
        snprintf(what, sizeof what, "output %d", k);
        if (!rtk_mv_tensor_ok(a, mode, y, what, 1, NULL)) return MV_BAD();
        if (y->dtype != x->dtype) MV_FAIL("output %d dtype %d, input dtype %d", k, (int)y->dtype, (int)x->dtype);
        if (y->rank != r) MV_FAIL("output %d rank %d, input rank %d", k, (int)y->rank, r);
        for (int i = 0; i < r; i++)
            if (i != ax && x->dims[i] != y->dims[i])
                MV_FAIL("output %d dim %d is %lld, input's is %lld", k, i, (long long)y->dims[i],
                        (long long)x->dims[i]);
        int64_t want = -1;
        if (!have_split) {
            if (nouts > 0) {
                want = dim - sum < part ? dim - sum : part;
                if (want < 0) want = 0;
            } else {
                want = dim / a->nout;
            }
        } else if (mode == RTK_RUN) {
            want = rtk_mv_idx(&a->in[1], k);
        }
        if (want >= 0 && y->dims[ax] != want)
            MV_FAIL("output %d has %lld along axis %d, expected %lld", k, (long long)y->dims[ax], ax,
                    (long long)want);
        sum += y->dims[ax];
    }
    if (sum != dim) MV_FAIL("outputs add up to %lld along axis %d, input has %lld", (long long)sum, ax, (long long)dim);
    if (mode != RTK_RUN) MV_OK();
    if (nx == 0) return 0;
    size_t es = rt_dtype_size(x->dtype);
    int64_t outer = 1, inner = es;
    for (int i = 0; i < ax; i++) outer *= x->dims[i];
    for (int i = ax + 1; i < r; i++) inner *= x->dims[i];
    int64_t irow = dim * inner;
    int nt = mv_nthreads(a) > 1 && nx * (int64_t)es >= MV_PAR_BYTES ? mv_nthreads(a) : 1;
    if (outer == 1) {
        int64_t off = 0;
        for (int k = 0; k < a->nout; k++) {
            int64_t n = a->out[k].dims[ax] * inner;
            rtk_mv_copy(a->out[k].data, (const char *)x->data + off, (size_t)n, nt);
            off += n;
        }
        return 0;
    }
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t o = 0; o < outer; o++) {
        int64_t off = 0;
        for (int k = 0; k < a->nout; k++) {
            int64_t n = a->out[k].dims[ax] * inner;
            if (n) memcpy((char *)a->out[k].data + o * n, (const char *)x->data + o * irow + off, (size_t)n);
            off += n;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- Slice */

/* Slice(data, starts, ends, axes?, steps?): int32 or int64 index inputs; negative starts and
 * ends count from the end and are clamped to [0, dim] (step > 0) or [-1, dim-1] (step < 0). */
static int mv_slice(rt_kargs *a, int mode) {
    int64_t nx, ny, ns, ne, na = -1, nst = -1;
    if (!mv_io(a, mode, &nx, &ny)) return MV_BAD();
    if (a->nin < 3 || !rtk_mv_present(a, 1) || !rtk_mv_present(a, 2)) MV_FAIL("needs starts and ends");
    if (!mv_index_input(a, mode, 1, "starts", &ns) || !mv_index_input(a, mode, 2, "ends", &ne)) return MV_BAD();
    if (rtk_mv_present(a, 3) && !mv_index_input(a, mode, 3, "axes", &na)) return MV_BAD();
    if (rtk_mv_present(a, 4) && !mv_index_input(a, mode, 4, "steps", &nst)) return MV_BAD();
    const rt_tensor *x = &a->in[0];
    rt_tensor *y = &a->out[0];
    int r = x->rank;
    if (ne != ns || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
        MV_FAIL("starts, ends, axes and steps differ in length");
    if (ns > r) MV_FAIL("%lld starts for rank %d", (long long)ns, r);
    if (y->rank != r) MV_FAIL("output rank %d, input rank %d", (int)y->rank, r);
    if (mode != RTK_RUN) MV_OK();

    int64_t start[RT_MAX_RANK], step[RT_MAX_RANK];
    int done[RT_MAX_RANK] = {0};
    for (int i = 0; i < r; i++) start[i] = 0, step[i] = 1;
    for (int64_t j = 0; j < ns; j++) {
        int64_t axv = na >= 0 ? rtk_mv_idx(&a->in[3], j) : j;
        int ax = rtk_axis(axv, r);
        if (ax < 0) MV_FAIL("axis %lld out of range for rank %d", (long long)axv, r);
        if (done[ax]) MV_FAIL("axis %d repeated", ax);
        done[ax] = 1;
        int64_t dim = x->dims[ax], s = rtk_mv_idx(&a->in[1], j), e = rtk_mv_idx(&a->in[2], j);
        int64_t k = nst >= 0 ? rtk_mv_idx(&a->in[4], j) : 1, cnt;
        if (k == 0) MV_FAIL("step is 0 on axis %d", ax);
        if (s < 0) s += dim;
        if (e < 0) e += dim;
        if (k > 0) {
            s = s < 0 ? 0 : s > dim ? dim : s;
            e = e < 0 ? 0 : e > dim ? dim : e;
            cnt = e > s ? (e - s - 1) / k + 1 : 0;
        } else {
            s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
            e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
            uint64_t nk = (uint64_t)0 - (uint64_t)k;   /* |k|, also for INT64_MIN */
            cnt = s > e ? (int64_t)((uint64_t)(s - e - 1) / nk) + 1 : 0;
        }
        if (cnt != y->dims[ax])
            MV_FAIL("output dim %d is %lld, the slice has %lld", ax, (long long)y->dims[ax], (long long)cnt);
        start[ax] = s;
        step[ax] = k;
    }
    for (int i = 0; i < r; i++)
        if (!done[i] && y->dims[i] != x->dims[i])
            MV_FAIL("output dim %d is %lld, input's is %lld", i, (long long)y->dims[i], (long long)x->dims[i]);
    if (ny == 0) return 0;
    int64_t xs[RT_MAX_RANK], st[RT_MAX_RANK], base = 0;
    rtk_mv_strides(r, x->dims, xs);
    for (int i = 0; i < r; i++) {
        base += start[i] * xs[i];
        /* a one-element axis never steps, and its step may be huge: keep the product finite */
        st[i] = y->dims[i] > 1 ? step[i] * xs[i] : 0;
    }
    size_t es = rt_dtype_size(x->dtype);
    rtk_mv_strided(y->data, (const char *)x->data + base * (int64_t)es, r, y->dims, st, es, mv_nthreads(a));
    return 0;
}

/* ---------------------------------------------------------------- Gather family */

/* Gather(data, indices; axis=0): out dims = data[:axis] + indices dims + data[axis+1:];
 * indices in [-n, n) where n = data.dims[axis]. */
static int mv_gather(rt_kargs *a, int mode) {
    int64_t nx, ny, ni;
    if (!mv_io(a, mode, &nx, &ny)) return MV_BAD();
    if (!rtk_mv_present(a, 1)) MV_FAIL("needs indices");
    const rt_tensor *x = &a->in[0], *ix = &a->in[1];
    rt_tensor *y = &a->out[0];
    if (!rtk_mv_tensor_ok(a, mode, ix, "indices", 1, &ni)) return MV_BAD();
    if (!rtk_mv_is_index(ix->dtype)) MV_FAIL("indices must be int32 or int64, got dtype %d", (int)ix->dtype);
    int r = x->rank;
    int64_t axv = rt_attr_i(a->a, a->na, "axis", 0);
    int ax = rtk_axis(axv, r);
    if (ax < 0) MV_FAIL("axis %lld out of range for rank %d", (long long)axv, r);
    if (y->rank != r - 1 + ix->rank) MV_FAIL("output rank %d, expected %d", (int)y->rank, r - 1 + (int)ix->rank);
    for (int i = 0; i < y->rank; i++) {
        int64_t want = i < ax ? x->dims[i] : i < ax + ix->rank ? ix->dims[i - ax] : x->dims[i - ix->rank + 1];
        if (y->dims[i] != want)
            MV_FAIL("output dim %d is %lld, expected %lld", i, (long long)y->dims[i], (long long)want);
    }
    if (mode != RTK_RUN) MV_OK();
    int64_t n = x->dims[ax], outer = 1, inner = rt_dtype_size(x->dtype);
    for (int i = 0; i < ax; i++) outer *= x->dims[i];
    for (int i = ax + 1; i < r; i++) inner *= x->dims[i];
    for (int64_t j = 0; j < ni; j++) {
        int64_t v = rtk_mv_idx(ix, j);
        if (v < -n || v >= n)
            MV_FAIL("index %lld out of range [%lld, %lld)", (long long)v, (long long)-n, (long long)n);
    }
    if (ny == 0) return 0;
    int64_t items = outer * ni;
    int nt = mv_nthreads(a) > 1 && ny * (int64_t)rt_dtype_size(x->dtype) >= MV_PAR_BYTES ? mv_nthreads(a) : 1;
    char *yd = y->data;
    const char *xd = x->data;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t it = 0; it < items; it++) {
        int64_t o = it / ni, v = rtk_mv_idx(ix, it % ni);
        if (v < 0) v += n;
        memcpy(yd + it * inner, xd + (o * n + v) * inner, (size_t)inner);
    }
    return 0;
}

/* Next row-major coordinate of dims[0..r); returns the lowest axis that changed. */
static inline void mv_next(int r, const int64_t *dims, int64_t *c) {
    for (int k = r - 1; k >= 0; k--) {
        if (++c[k] < dims[k]) return;
        c[k] = 0;
    }
}

/* GatherElements(data, indices; axis=0): out dims = indices dims;
 * out[i0..][ia][..] = data[i0..][indices[i0..][ia][..]][..] with the index along axis. */
static int mv_gather_elements(rt_kargs *a, int mode) {
    int64_t nx, ny, ni;
    if (!mv_io(a, mode, &nx, &ny)) return MV_BAD();
    if (!rtk_mv_present(a, 1)) MV_FAIL("needs indices");
    const rt_tensor *x = &a->in[0], *ix = &a->in[1];
    rt_tensor *y = &a->out[0];
    if (!rtk_mv_tensor_ok(a, mode, ix, "indices", 1, &ni)) return MV_BAD();
    if (!rtk_mv_is_index(ix->dtype)) MV_FAIL("indices must be int32 or int64, got dtype %d", (int)ix->dtype);
    int r = x->rank;
    int64_t axv = rt_attr_i(a->a, a->na, "axis", 0);
    int ax = rtk_axis(axv, r);
    if (ax < 0) MV_FAIL("axis %lld out of range for rank %d", (long long)axv, r);
    if (ix->rank != r || y->rank != r) MV_FAIL("data, indices and output must have the same rank");
    for (int i = 0; i < r; i++) {
        if (y->dims[i] != ix->dims[i]) MV_FAIL("output dim %d differs from indices dim", i);
        if (i != ax && ix->dims[i] > x->dims[i])
            MV_FAIL("indices dim %d (%lld) exceeds data dim (%lld)", i, (long long)ix->dims[i], (long long)x->dims[i]);
    }
    if (mode != RTK_RUN) MV_OK();
    if (ny == 0) return 0;
    int64_t xs[RT_MAX_RANK], c[RT_MAX_RANK] = {0}, n = x->dims[ax];
    rtk_mv_strides(r, x->dims, xs);
    size_t es = rt_dtype_size(x->dtype);
    for (int64_t e = 0; e < ni; e++, mv_next(r, ix->dims, c)) {
        int64_t v = rtk_mv_idx(ix, e), off = 0;
        if (v < -n || v >= n)
            MV_FAIL("index %lld out of range [%lld, %lld)", (long long)v, (long long)-n, (long long)n);
        if (v < 0) v += n;
        for (int k = 0; k < r; k++) off += (k == ax ? v : c[k]) * xs[k];
        memcpy((char *)y->data + e * (int64_t)es, (const char *)x->data + off * (int64_t)es, es);
    }
    return 0;
}

/* GatherND(data, indices; batch_dims=0): indices [..., k] address slices
 * data[b0..b_{B-1}, i1..ik, ...]; out dims = indices dims[:-1] + data dims[B+k:]. */
static int mv_gather_nd(rt_kargs *a, int mode) {
    int64_t nx, ny, ni;
    if (!mv_io(a, mode, &nx, &ny)) return MV_BAD();
    if (!rtk_mv_present(a, 1)) MV_FAIL("needs indices");
    const rt_tensor *x = &a->in[0], *ix = &a->in[1];
    rt_tensor *y = &a->out[0];
    if (!rtk_mv_tensor_ok(a, mode, ix, "indices", 1, &ni)) return MV_BAD();
    if (!rtk_mv_is_index(ix->dtype)) MV_FAIL("indices must be int32 or int64, got dtype %d", (int)ix->dtype);
    int r = x->rank, q = ix->rank;
    int64_t b = rt_attr_i(a->a, a->na, "batch_dims", 0);
    if (q < 1 || r < 1) MV_FAIL("data and indices need rank >= 1");
    if (b < 0 || b >= q || b >= r) MV_FAIL("batch_dims %lld out of range", (long long)b);
    int64_t k = ix->dims[q - 1];
    if (k < 1 || b + k > r) MV_FAIL("indices last dim %lld does not fit data rank %d with batch_dims %lld",
                                     (long long)k, r, (long long)b);
    for (int i = 0; i < b; i++)
        if (ix->dims[i] != x->dims[i]) MV_FAIL("batch dim %d differs between data and indices", i);
    if (y->rank != q - 1 + r - (int)(b + k)) MV_FAIL("output rank %d, expected %d", (int)y->rank, q - 1 + r - (int)(b + k));
    for (int i = 0; i < y->rank; i++) {
        int64_t want = i < q - 1 ? ix->dims[i] : x->dims[b + k + (i - (q - 1))];
        if (y->dims[i] != want) MV_FAIL("output dim %d is %lld, expected %lld", i, (long long)y->dims[i], (long long)want);
    }
    if (mode != RTK_RUN) MV_OK();
    int64_t B = 1, G = 1, slice = 1, xbatch = 1;
    for (int i = 0; i < b; i++) B *= x->dims[i];
    for (int i = (int)b; i < q - 1; i++) G *= ix->dims[i];
    for (int i = (int)(b + k); i < r; i++) slice *= x->dims[i];
    for (int i = (int)b; i < r; i++) xbatch *= x->dims[i];
    size_t es = rt_dtype_size(x->dtype);
    for (int64_t bi = 0; bi < B; bi++)
        for (int64_t g = 0; g < G; g++) {
            int64_t t0 = (bi * G + g) * k, off = 0;
            for (int64_t t = 0; t < k; t++) {
                int64_t dim = x->dims[b + t], v = rtk_mv_idx(ix, t0 + t);
                if (v < -dim || v >= dim)
                    MV_FAIL("index %lld out of range [%lld, %lld)", (long long)v, (long long)-dim, (long long)dim);
                off = off * dim + (v < 0 ? v + dim : v);
            }
            if (slice)
                memcpy((char *)y->data + (bi * G + g) * slice * (int64_t)es,
                       (const char *)x->data + (bi * xbatch + off * slice) * (int64_t)es, (size_t)slice * es);
        }
    return 0;
}

/* ---------------------------------------------------------------- Scatter family */

enum { MV_RED_NONE, MV_RED_ADD, MV_RED_MUL, MV_RED_MAX, MV_RED_MIN };

static int mv_reduction(rt_kargs *a, int *red) {
    const char *s = rt_attr_s(a->a, a->na, "reduction", "none");
    if (!strcmp(s, "none")) *red = MV_RED_NONE;
    else if (!strcmp(s, "add")) *red = MV_RED_ADD;
    else if (!strcmp(s, "mul")) *red = MV_RED_MUL;
    else if (!strcmp(s, "max")) *red = MV_RED_MAX;
    else if (!strcmp(s, "min")) *red = MV_RED_MIN;
    else return rtk_mv_err(a, "unknown reduction '%s'", s);
    return 1;
}

/* dst[0] = dst[0] (red) src[0] for n elements of dtype dt. */
static void mv_reduce(int dt, char *dst, const char *src, int64_t n, int red) {
    size_t es = rt_dtype_size(dt);
    if (red == MV_RED_NONE) {
        memcpy(dst, src, (size_t)n * es);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        if (rtk_mv_is_float(dt)) {
            double x = rtk_mv_getf(dt, dst, i), y = rtk_mv_getf(dt, src, i), z;
            switch (red) {
            case MV_RED_ADD: z = x + y; break;
            case MV_RED_MUL: z = x * y; break;
            case MV_RED_MAX: z = x >= y || x != x ? x : y; break;
            default: z = x <= y || x != x ? x : y; break;
            }
            rtk_mv_setf(dt, dst, i, z);
        } else if (dt == RT_U64) {
            uint64_t x, y, z;
            memcpy(&x, dst + i * 8, 8);
            memcpy(&y, src + i * 8, 8);
            switch (red) {
            case MV_RED_ADD: z = x + y; break;
            case MV_RED_MUL: z = x * y; break;
            case MV_RED_MAX: z = x > y ? x : y; break;
            default: z = x < y ? x : y; break;
            }
            memcpy(dst + i * 8, &z, 8);
        } else if (dt == RT_BOOL) {
            int x = dst[i] != 0, y = src[i] != 0;
            dst[i] = (char)(red == MV_RED_ADD || red == MV_RED_MAX ? (x | y) : (x & y));
        } else {   /* signed and small unsigned ints: exact in int64, wrapped back to the type */
            int64_t x = rtk_mv_geti(dt, dst, i), y = rtk_mv_geti(dt, src, i), z;
            switch (red) {
            case MV_RED_ADD: z = (int64_t)((uint64_t)x + (uint64_t)y); break;
            case MV_RED_MUL: z = (int64_t)((uint64_t)x * (uint64_t)y); break;
            case MV_RED_MAX: z = x > y ? x : y; break;
            default: z = x < y ? x : y; break;
            }
            rtk_mv_seti(dt, dst, i, z);
        }
    }
}

/* Checks shared by the scatters: data/updates/output dtypes, output dims = data dims. */
static int mv_scatter_io(rt_kargs *a, int mode, int64_t *nx, int64_t *ni, int64_t *nu, int *red) {
    if (a->nin < 3 || !rtk_mv_present(a, 1) || !rtk_mv_present(a, 2))
        return rtk_mv_err(a, "needs data, indices and updates");
    if (!mv_io(a, mode, nx, NULL)) return 0;
    const rt_tensor *x = &a->in[0], *ix = &a->in[1], *u = &a->in[2];
    if (!rtk_mv_tensor_ok(a, mode, ix, "indices", 1, ni)) return 0;
    if (!rtk_mv_tensor_ok(a, mode, u, "updates", 1, nu)) return 0;
    if (!rtk_mv_is_index(ix->dtype)) return rtk_mv_err(a, "indices must be int32 or int64, got dtype %d", (int)ix->dtype);
    if (u->dtype != x->dtype) return rtk_mv_err(a, "updates dtype %d, data dtype %d", (int)u->dtype, (int)x->dtype);
    if (a->out[0].rank != x->rank) return rtk_mv_err(a, "output rank differs from data rank");
    for (int i = 0; i < x->rank; i++)
        if (a->out[0].dims[i] != x->dims[i]) return rtk_mv_err(a, "output dim %d differs from data dim", i);
    return mv_reduction(a, red);
}

/* ScatterElements(data, indices, updates; axis=0, reduction=none|add|mul|max|min):
 * out = data, then out[.. indices[i][j].. ] (reduction)= updates[i][j] with the index along
 * axis; indices and updates share dims, each <= data's off the axis. */
static int mv_scatter_elements(rt_kargs *a, int mode) {
    int64_t nx, ni, nu;
    int red;
    if (!mv_scatter_io(a, mode, &nx, &ni, &nu, &red)) return MV_BAD();
    const rt_tensor *x = &a->in[0], *ix = &a->in[1], *u = &a->in[2];
    rt_tensor *y = &a->out[0];
    int r = x->rank;
    int64_t axv = rt_attr_i(a->a, a->na, "axis", 0);
    int ax = rtk_axis(axv, r);
    if (ax < 0) MV_FAIL("axis %lld out of range for rank %d", (long long)axv, r);
    if (ix->rank != r || u->rank != r) MV_FAIL("data, indices and updates must have the same rank");
    for (int i = 0; i < r; i++) {
        if (u->dims[i] != ix->dims[i]) MV_FAIL("updates dim %d differs from indices dim", i);
        if (i != ax && ix->dims[i] > x->dims[i])
            MV_FAIL("indices dim %d (%lld) exceeds data dim (%lld)", i, (long long)ix->dims[i], (long long)x->dims[i]);
    }
    if (mode != RTK_RUN) MV_OK();
    int64_t n = r ? x->dims[ax] : 1;
    for (int64_t e = 0; e < ni; e++) {
        int64_t v = rtk_mv_idx(ix, e);
        if (v < -n || v >= n)
            MV_FAIL("index %lld out of range [%lld, %lld)", (long long)v, (long long)-n, (long long)n);
    }
    size_t es = rt_dtype_size(x->dtype);
    if (y->data != x->data) rtk_mv_copy(y->data, x->data, (size_t)nx * es, mv_nthreads(a));
    int64_t xs[RT_MAX_RANK], c[RT_MAX_RANK] = {0};
    rtk_mv_strides(r, x->dims, xs);
    for (int64_t e = 0; e < ni; e++, mv_next(r, ix->dims, c)) {
        int64_t v = rtk_mv_idx(ix, e), off = 0;
        if (v < 0) v += n;
        for (int k = 0; k < r; k++) off += (k == ax ? v : c[k]) * xs[k];
        mv_reduce(x->dtype, (char *)y->data + off * (int64_t)es, (const char *)u->data + e * (int64_t)es, 1, red);
    }
    return 0;
}

/* ScatterND(data, indices, updates; reduction=none|add|mul|max|min): indices [..., k];
 * updates dims = indices dims[:-1] + data dims[k:]; each update slice lands at data[i1..ik]. */
static int mv_scatter_nd(rt_kargs *a, int mode) {
    int64_t nx, ni, nu;
    int red;
    if (!mv_scatter_io(a, mode, &nx, &ni, &nu, &red)) return MV_BAD();
    const rt_tensor *x = &a->in[0], *ix = &a->in[1], *u = &a->in[2];
    rt_tensor *y = &a->out[0];
    int r = x->rank, q = ix->rank;
    if (q < 1) MV_FAIL("indices need rank >= 1");
    int64_t k = ix->dims[q - 1];
    if (k > r) MV_FAIL("indices last dim %lld exceeds data rank %d", (long long)k, r);
    if (u->rank != q - 1 + r - (int)k) MV_FAIL("updates rank %d, expected %d", (int)u->rank, q - 1 + r - (int)k);
    for (int i = 0; i < u->rank; i++) {
        int64_t want = i < q - 1 ? ix->dims[i] : x->dims[k + i - (q - 1)];
        if (u->dims[i] != want) MV_FAIL("updates dim %d is %lld, expected %lld", i, (long long)u->dims[i], (long long)want);
    }
    if (mode != RTK_RUN) MV_OK();
    int64_t G = k ? ni / k : 1, slice = 1;
    if (k == 0) {   /* each update is the whole data tensor */
        G = 1;
        for (int i = 0; i < q - 1; i++) G *= ix->dims[i];
    }
    for (int i = (int)k; i < r; i++) slice *= x->dims[i];
    for (int64_t g = 0; g < G; g++)
        for (int64_t t = 0; t < k; t++) {
            int64_t dim = x->dims[t], v = rtk_mv_idx(ix, g * k + t);
            if (v < -dim || v >= dim)
                MV_FAIL("index %lld out of range [%lld, %lld)", (long long)v, (long long)-dim, (long long)dim);
        }
    size_t es = rt_dtype_size(x->dtype);
    if (y->data != x->data) rtk_mv_copy(y->data, x->data, (size_t)nx * es, mv_nthreads(a));
    if (slice == 0) return 0;
    for (int64_t g = 0; g < G; g++) {
        int64_t off = 0;
        for (int64_t t = 0; t < k; t++) {
            int64_t dim = x->dims[t], v = rtk_mv_idx(ix, g * k + t);
            off = off * dim + (v < 0 ? v + dim : v);
        }
        mv_reduce(x->dtype, (char *)y->data + off * slice * (int64_t)es,
                  (const char *)u->data + g * slice * (int64_t)es, slice, red);
    }
    return 0;
}

/* ---------------------------------------------------------------- Expand / Tile / Pad */

/* Expand(input, shape): numpy broadcast of input to the output dims (decided at compile time;
 * the shape input is not read). Input dims align right; each is 1 or equal to the output's. */
static int mv_expand(rt_kargs *a, int mode) {
    int64_t nx, ny;
    if (!mv_io(a, mode, &nx, &ny)) return MV_BAD();
    const rt_tensor *x = &a->in[0];
    rt_tensor *y = &a->out[0];
    int r = y->rank, off = r - x->rank;
    if (off < 0) MV_FAIL("output rank %d below input rank %d", r, (int)x->rank);
    for (int i = 0; i < x->rank; i++)
        if (x->dims[i] != 1 && x->dims[i] != y->dims[off + i])
            MV_FAIL("input dim %d (%lld) does not broadcast to %lld", i, (long long)x->dims[i],
                    (long long)y->dims[off + i]);
    if (mode != RTK_RUN) MV_OK();
    if (ny == 0) return 0;
    int64_t xs[RT_MAX_RANK], st[RT_MAX_RANK];
    rtk_mv_strides(x->rank, x->dims, xs);
    for (int i = 0; i < r; i++) st[i] = i < off || x->dims[i - off] == 1 ? 0 : xs[i - off];
    rtk_mv_strided(y->data, x->data, r, y->dims, st, rt_dtype_size(x->dtype), mv_nthreads(a));
    return 0;
}

/* Tile(input, repeats): out.dims[i] = in.dims[i] * repeats[i]. Runs as a 2r-D view
 * [rep0, d0, rep1, d1, ...] with stride 0 on the repeat axes. */
static int mv_tile_op(rt_kargs *a, int mode) {
    int64_t nx, ny, nr;
    if (!mv_io(a, mode, &nx, &ny)) return MV_BAD();
    if (!rtk_mv_present(a, 1)) MV_FAIL("needs repeats");
    if (!mv_index_input(a, mode, 1, "repeats", &nr)) return MV_BAD();
    const rt_tensor *x = &a->in[0];
    rt_tensor *y = &a->out[0];
    int r = x->rank;
    if (nr != r) MV_FAIL("repeats has %lld entries for rank %d", (long long)nr, r);
    if (y->rank != r) MV_FAIL("output rank %d, input rank %d", (int)y->rank, r);
    int64_t rep[RT_MAX_RANK];
    for (int i = 0; i < r; i++) {
        if (x->dims[i] ? y->dims[i] % x->dims[i] != 0 : y->dims[i] != 0)
            MV_FAIL("output dim %d (%lld) is not a multiple of input dim (%lld)", i, (long long)y->dims[i],
                    (long long)x->dims[i]);
        rep[i] = x->dims[i] ? y->dims[i] / x->dims[i] : 0;
    }
    if (mode != RTK_RUN) MV_OK();
    for (int i = 0; i < r; i++) {
        int64_t v = rtk_mv_idx(&a->in[1], i);
        if (v < 0) MV_FAIL("repeats[%d] is %lld", i, (long long)v);
        if (x->dims[i] && v != rep[i])
            MV_FAIL("output dim %d is %lld, input dim %lld x repeats %lld", i, (long long)y->dims[i],
                    (long long)x->dims[i], (long long)v);
    }
    if (ny == 0) return 0;
    int64_t xs[RT_MAX_RANK], vd[RTK_MV_MAX_VIEW], vs[RTK_MV_MAX_VIEW];
    rtk_mv_strides(r, x->dims, xs);
    for (int i = 0; i < r; i++) {
        vd[2 * i] = rep[i], vs[2 * i] = 0;
        vd[2 * i + 1] = x->dims[i], vs[2 * i + 1] = xs[i];
    }
    rtk_mv_strided(y->data, x->data, 2 * r, vd, vs, rt_dtype_size(x->dtype), mv_nthreads(a));
    return 0;
}

enum { MV_PAD_CONSTANT, MV_PAD_REFLECT, MV_PAD_EDGE, MV_PAD_WRAP };

/* Source coordinate of output coordinate c - begin on an axis of n elements; -1: constant. */
static inline int64_t mv_pad_src(int64_t c, int64_t n, int pm) {
    if (c >= 0 && c < n) return c;
    switch (pm) {
    case MV_PAD_EDGE: return c < 0 ? 0 : n - 1;
    case MV_PAD_WRAP: return ((c % n) + n) % n;
    case MV_PAD_REFLECT: {
        if (n == 1) return 0;
        int64_t p = 2 * (n - 1);
        c = ((c % p) + p) % p;
        return c < n ? c : p - c;
    }
    default: return -1;
    }
}

/* Pad(data, pads, constant_value?, axes?; mode=constant|reflect|edge|wrap): pads holds all
 * begins then all ends for the listed axes (all axes when axes is absent); negative pads crop. */
static int mv_pad(rt_kargs *a, int mode) {
    int64_t nx, ny, np, nax = -1;
    if (!mv_io(a, mode, &nx, &ny)) return MV_BAD();
    if (!rtk_mv_present(a, 1)) MV_FAIL("needs pads");
    if (!mv_index_input(a, mode, 1, "pads", &np)) return MV_BAD();
    if (rtk_mv_present(a, 3) && !mv_index_input(a, mode, 3, "axes", &nax)) return MV_BAD();
    const rt_tensor *x = &a->in[0];
    rt_tensor *y = &a->out[0];
    int r = x->rank;
    const char *ms = rt_attr_s(a->a, a->na, "mode", "constant");
    int pm = !strcmp(ms, "constant") ? MV_PAD_CONSTANT : !strcmp(ms, "reflect") ? MV_PAD_REFLECT
           : !strcmp(ms, "edge") ? MV_PAD_EDGE : !strcmp(ms, "wrap") ? MV_PAD_WRAP : -1;
    if (pm < 0) MV_FAIL("unknown mode '%s'", ms);
    int64_t naxes = nax >= 0 ? nax : r;
    if (np != 2 * naxes) MV_FAIL("pads has %lld entries for %lld axes", (long long)np, (long long)naxes);
    if (y->rank != r) MV_FAIL("output rank %d, input rank %d", (int)y->rank, r);
    int64_t cn = 0;
    if (rtk_mv_present(a, 2)) {
        if (!rtk_mv_tensor_ok(a, mode, &a->in[2], "constant_value", 1, &cn)) return MV_BAD();
        if (a->in[2].dtype != x->dtype) MV_FAIL("constant_value dtype %d, data dtype %d", (int)a->in[2].dtype, (int)x->dtype);
    }
    if (mode != RTK_RUN) MV_OK();
    int64_t beg[RT_MAX_RANK] = {0}, end[RT_MAX_RANK] = {0};
    int done[RT_MAX_RANK] = {0};
    for (int64_t j = 0; j < naxes; j++) {
        int64_t axv = nax >= 0 ? rtk_mv_idx(&a->in[3], j) : j;
        int ax = rtk_axis(axv, r);
        if (ax < 0) MV_FAIL("axis %lld out of range for rank %d", (long long)axv, r);
        if (done[ax]) MV_FAIL("axis %d repeated", ax);
        done[ax] = 1;
        beg[ax] = rtk_mv_idx(&a->in[1], j);
        end[ax] = rtk_mv_idx(&a->in[1], naxes + j);
    }
    for (int i = 0; i < r; i++) {
        if (beg[i] < -x->dims[i] || end[i] < -x->dims[i] || beg[i] > INT64_MAX / 4 || end[i] > INT64_MAX / 4 ||
            x->dims[i] + beg[i] + end[i] != y->dims[i])
            MV_FAIL("output dim %d is %lld, input %lld padded by %lld and %lld", i, (long long)y->dims[i],
                    (long long)x->dims[i], (long long)beg[i], (long long)end[i]);
        if (pm != MV_PAD_CONSTANT && x->dims[i] == 0 && y->dims[i] > 0)
            MV_FAIL("mode %s cannot pad an empty axis %d", ms, i);
    }
    if (ny == 0) return 0;
    size_t es = rt_dtype_size(x->dtype);
    char cval[8] = {0};
    if (cn > 0) memcpy(cval, a->in[2].data, es);
    if (r == 0) {
        memcpy(y->data, x->data, es);
        return 0;
    }
    int64_t xs[RT_MAX_RANK], N = y->dims[r - 1], n = x->dims[r - 1], rows = ny / N, b = beg[r - 1];
    rtk_mv_strides(r, x->dims, xs);
    int64_t lo = b < 0 ? 0 : b, hi = b + n < N ? b + n : N;   /* [lo, hi): the copied middle */
    int nt = mv_nthreads(a) > 1 && ny * (int64_t)es >= MV_PAR_BYTES ? mv_nthreads(a) : 1;
    char *yd = y->data;
    const char *xd = x->data;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t row = 0; row < rows; row++) {
        char *dst = yd + row * N * (int64_t)es;
        int64_t rem = row, off = 0;
        int constant = 0;
        for (int k = r - 2; k >= 0; k--) {
            int64_t c = rem % y->dims[k];
            rem /= y->dims[k];
            int64_t s = mv_pad_src(c - beg[k], x->dims[k], pm);
            if (s < 0) constant = 1;
            else off += s * xs[k];
        }
        if (constant) {
            mv_fill1(dst, cval, N, es);
            continue;
        }
        const char *src = xd + off * (int64_t)es;
        if (hi > lo) memcpy(dst + lo * (int64_t)es, src + (lo - b) * (int64_t)es, (size_t)(hi - lo) * es);
        for (int64_t j = 0; j < N; j++) {
            if (j == lo && hi > lo) j = hi;
            if (j >= N) break;
            int64_t s = mv_pad_src(j - b, n, pm);
            memcpy(dst + j * (int64_t)es, s < 0 ? cval : src + s * (int64_t)es, es);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- DepthToSpace / SpaceToDepth */

/* DepthToSpace(input [N,C,H,W]; blocksize b, mode=DCR|CRD) -> [N, C/b^2, H*b, W*b]
 *   DCR: view [N,b,b,C',H,W] transposed [0,3,4,1,5,2];  CRD: view [N,C',b,b,H,W] by [0,1,4,2,5,3]
 * SpaceToDepth(input [N,C,H,W]; blocksize b) -> [N, C*b^2, H/b, W/b]
 *   view [N,C,H',b,W',b] transposed [0,3,5,1,2,4]. */
static int mv_depth_space(rt_kargs *a, int mode) {
    int64_t nx, ny;
    if (!mv_io(a, mode, &nx, &ny)) return MV_BAD();
    const rt_tensor *x = &a->in[0];
    rt_tensor *y = &a->out[0];
    int64_t b = rt_attr_i(a->a, a->na, "blocksize", 0);
    if (b < 1 || b > (1 << 20)) MV_FAIL("blocksize %lld must be positive", (long long)b);
    if (x->rank != 4 || y->rank != 4) MV_FAIL("input and output must be 4-D");
    int d2s = a->op == RT_OP_DEPTHTOSPACE;
    const char *ms = rt_attr_s(a->a, a->na, "mode", "DCR");
    int crd = d2s && !strcmp(ms, "CRD");
    if (d2s && !crd && strcmp(ms, "DCR")) MV_FAIL("unknown mode '%s'", ms);
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    int64_t vd[6], perm6[6], want[4];
    if (d2s) {
        if (C % (b * b)) MV_FAIL("channels %lld not divisible by blocksize^2", (long long)C);
        int64_t c2 = C / (b * b);
        want[0] = N, want[1] = c2, want[2] = H * b, want[3] = W * b;
        int64_t dcr[6] = {N, b, b, c2, H, W}, crdv[6] = {N, c2, b, b, H, W};
        int64_t pd[6] = {0, 3, 4, 1, 5, 2}, pc[6] = {0, 1, 4, 2, 5, 3};
        memcpy(vd, crd ? crdv : dcr, sizeof vd);
        memcpy(perm6, crd ? pc : pd, sizeof perm6);
    } else {
        if (H % b || W % b) MV_FAIL("spatial dims %lldx%lld not divisible by blocksize", (long long)H, (long long)W);
        want[0] = N, want[1] = C * b * b, want[2] = H / b, want[3] = W / b;
        int64_t v[6] = {N, C, H / b, b, W / b, b}, p[6] = {0, 3, 5, 1, 2, 4};
        memcpy(vd, v, sizeof vd);
        memcpy(perm6, p, sizeof perm6);
    }
    for (int i = 0; i < 4; i++)
        if (y->dims[i] != want[i]) MV_FAIL("output dim %d is %lld, expected %lld", i, (long long)y->dims[i], (long long)want[i]);
    if (mode != RTK_RUN) MV_OK();
    if (ny == 0) return 0;
    int64_t vs[6], od[6], os[6];
    rtk_mv_strides(6, vd, vs);
    for (int i = 0; i < 6; i++) od[i] = vd[perm6[i]], os[i] = vs[perm6[i]];
    rtk_mv_strided(y->data, x->data, 6, od, os, rt_dtype_size(x->dtype), mv_nthreads(a));
    return 0;
}

/* ---------------------------------------------------------------- Trilu */

/* Trilu(input [..., N, M], k? = 0; upper=1): keeps j - i >= k (upper) or j - i <= k (lower),
 * zeroes the rest. */
static int mv_trilu(rt_kargs *a, int mode) {
    int64_t nx, ny, nk = 0;
    if (!mv_io(a, mode, &nx, &ny)) return MV_BAD();
    const rt_tensor *x = &a->in[0];
    rt_tensor *y = &a->out[0];
    if (x->rank < 2) MV_FAIL("input rank %d below 2", (int)x->rank);
    if (y->rank != x->rank || memcmp(y->dims, x->dims, sizeof(int64_t) * (size_t)x->rank))
        MV_FAIL("output dims differ from input dims");
    if (rtk_mv_present(a, 1)) {
        if (!mv_index_input(a, mode, 1, "k", &nk)) return MV_BAD();
        if (nk != 1) MV_FAIL("k must hold one value");
    }
    if (mode != RTK_RUN) MV_OK();
    int64_t k = nk ? rtk_mv_idx(&a->in[1], 0) : 0;
    int upper = rt_attr_i(a->a, a->na, "upper", 1) != 0;
    int64_t R = x->dims[x->rank - 2], M = x->dims[x->rank - 1];
    if (ny == 0) return 0;
    int64_t rows = ny / M, lim = R + M + 1;
    k = k < -lim ? -lim : k > lim ? lim : k;
    size_t es = rt_dtype_size(x->dtype);
    int nt = mv_nthreads(a) > 1 && ny * (int64_t)es >= MV_PAR_BYTES ? mv_nthreads(a) : 1;
    char *yd = y->data;
    const char *xd = x->data;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t row = 0; row < rows; row++) {
        int64_t i = row % R;
        int64_t c0, c1;   /* kept columns [c0, c1) */
        if (upper) c0 = i + k, c1 = M;
        else c0 = 0, c1 = i + k + 1;
        c0 = c0 < 0 ? 0 : c0 > M ? M : c0;
        c1 = c1 < c0 ? c0 : c1 > M ? M : c1;
        char *d = yd + row * M * (int64_t)es;
        const char *s = xd + row * M * (int64_t)es;
        if (c0 > 0) memset(d, 0, (size_t)c0 * es);
        if (c1 > c0 && d != s) memcpy(d + c0 * (int64_t)es, s + c0 * (int64_t)es, (size_t)(c1 - c0) * es);
        if (M > c1) memset(d + c1 * (int64_t)es, 0, (size_t)(M - c1) * es);
    }
    return 0;
}

/* ---------------------------------------------------------------- dispatch */

int rtk_move(rt_kargs *a, int mode) {
    if (mode == RTK_SCRATCH) {
        a->scratch_need = 0;
        if (a->op != RT_OP_RESIZE) return 0;
    }
    switch (a->op) {   /* an int switch: the family handles a subset of the ops */
    case RT_OP_RESHAPE: case RT_OP_FLATTEN: case RT_OP_SQUEEZE: case RT_OP_UNSQUEEZE:
        return mv_reshape(a, mode);
    case RT_OP_TRANSPOSE: return mv_transpose(a, mode);
    case RT_OP_CONCAT: return mv_concat(a, mode);
    case RT_OP_SPLIT: return mv_split(a, mode);
    case RT_OP_SLICE: return mv_slice(a, mode);
    case RT_OP_GATHER: return mv_gather(a, mode);
    case RT_OP_GATHERELEMENTS: return mv_gather_elements(a, mode);
    case RT_OP_GATHERND: return mv_gather_nd(a, mode);
    case RT_OP_SCATTERELEMENTS: return mv_scatter_elements(a, mode);
    case RT_OP_SCATTERND: return mv_scatter_nd(a, mode);
    case RT_OP_EXPAND: return mv_expand(a, mode);
    case RT_OP_TILE: return mv_tile_op(a, mode);
    case RT_OP_PAD: return mv_pad(a, mode);
    case RT_OP_DEPTHTOSPACE: case RT_OP_SPACETODEPTH: return mv_depth_space(a, mode);
    case RT_OP_TRILU: return mv_trilu(a, mode);
    case RT_OP_ONEHOT: return rtk_mv_onehot(a, mode);
    case RT_OP_RESIZE: return rtk_mv_resize(a, mode);
    case RT_OP_NONZERO: return rtk_mv_nonzero(a, mode);
    case RT_OP_SHAPE: return rtk_mv_shape(a, mode);
    case RT_OP_SIZE: return rtk_mv_size(a, mode);
    case RT_OP_CONSTANT: return rtk_mv_constant(a, mode);
    case RT_OP_CONSTANTOFSHAPE: return rtk_mv_constofshape(a, mode);
    case RT_OP_RANGE: return rtk_mv_range(a, mode);
    case RT_OP_EYELIKE: return rtk_mv_eyelike(a, mode);
    default:
        break;
    }
    return rtk_fail(a, mode, "%s is not in the move family", rtk_mv_opname(a->op));
}
