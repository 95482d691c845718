/* rt_cpu_reduce.c - the reduction family: Reduce* over any set of axes, ArgMax/ArgMin, TopK,
 * CumSum, and the along-one-axis normalizers Softmax, LogSoftmax, Hardmax (opset 13+).
 *
 * Shapes: an op along one axis sees its input as [outer, n, inner]. Reduce* coalesces the
 * input's dims into kept and reduced runs and walks, for each output element, every reduced
 * index (innermost reduced run as a strided loop). float32/float64 accumulate in double;
 * integers accumulate exactly in int64 (wrapping). No scratch is used: TopK keeps its heap in
 * the Indices output.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "rt_cpu_elem.h"

static int red_dtype4(int dt) {
    return dt == RT_F32 || dt == RT_F64 || dt == RT_I32 || dt == RT_I64;
}

/* [outer, n, inner] around axis ax of t. */
static void red_split(const rt_tensor *t, int ax, int64_t *outer, int64_t *n, int64_t *inner) {
    *outer = 1;
    *inner = 1;
    for (int d = 0; d < ax; d++) *outer *= t->dims[d];
    *n = t->dims[ax];
    for (int d = ax + 1; d < t->rank; d++) *inner *= t->dims[d];
}

/* double -> int64 without undefined behaviour: NaN and out-of-range give INT64_MIN. */
static inline int64_t red_d2i(double v) {
    if (v >= -9223372036854775808.0 && v < 9223372036854775808.0) return (int64_t)v;
    return INT64_MIN;
}

/* ================= Reduce* ================= */

typedef struct red_plan {
    int nk, nr;                          /* kept and reduced runs after coalescing */
    int64_t kdim[RT_MAX_RANK], kst[RT_MAX_RANK];
    int64_t rdim[RT_MAX_RANK], rst[RT_MAX_RANK];
    int64_t nout, R;                     /* output elements, elements reduced into each */
} red_plan;

/* Which axes are reduced: from input 1 (int64/int32 tensor), else attr axes (older opsets);
 * none given -> all, or none with noop_with_empty_axes. Returns 1, 0 with k->err empty if the
 * axes are not known yet (no data outside RUN), or rtk_fail's value. */
static int red_axes(rt_kargs *a, int mode, int rank, int *red) {
    const char *nm = rtk_op_name(a->op);
    int64_t naxes = 0;
    const void *ax = NULL;
    int adt = RT_I64;
    if (rtk_has(a, 1)) {
        const rt_tensor *t = &a->in[1];
        if (t->dtype != RT_I64 && t->dtype != RT_I32)
            return rtk_fail(a, mode, "%s: axes dtype %s, expected int64", nm, rtk_dtype_name(t->dtype));
        if (!rtk_shape_ok(t) || t->rank > 1)
            return rtk_fail(a, mode, "%s: axes must be a 1-D tensor", nm);
        naxes = rt_numel(t);
        if (naxes > 0 && !t->data) {
            if (mode != RTK_RUN) return 0;
            return rtk_fail(a, mode, "%s: axes have no data", nm);
        }
        ax = t->data;
        adt = t->dtype;
    } else {
        const rt_attr *at = rt_attr_find(a->a, a->na, "axes");
        if (at && at->type == RT_ATTR_INTS) {
            naxes = at->n;
            ax = at->ints;
        }
    }
    for (int d = 0; d < rank; d++) red[d] = 0;
    if (naxes == 0) {
        int all = !rt_attr_i(a->a, a->na, "noop_with_empty_axes", 0);
        for (int d = 0; d < rank; d++) red[d] = all;
        return 1;
    }
    for (int64_t i = 0; i < naxes; i++) {
        int64_t v = adt == RT_I64 ? ((const int64_t *)ax)[i] : ((const int32_t *)ax)[i];
        int d = rtk_axis(v, rank);
        if (d < 0) return rtk_fail(a, mode, "%s: axis %lld out of range for rank %d", nm, (long long)v, rank);
        if (red[d]) return rtk_fail(a, mode, "%s: axis %lld repeated", nm, (long long)v);
        red[d] = 1;
    }
    return 1;
}

/* Check the output dims against the reduced axes and build the walk. */
static int red_plan_make(rt_kargs *a, int mode, const int *red, red_plan *P) {
    const rt_tensor *x = &a->in[0], *y = &a->out[0];
    int keep = rt_attr_i(a->a, a->na, "keepdims", 1) != 0;
    int64_t want[RT_MAX_RANK];
    int wr = 0;
    for (int d = 0; d < x->rank; d++) {
        if (!red[d]) want[wr++] = x->dims[d];
        else if (keep) want[wr++] = 1;
    }
    char b1[96], b2[96];
    if (y->rank != wr || memcmp(y->dims, want, (size_t)wr * sizeof want[0]) != 0)
        return rtk_fail(a, mode, "%s: output dims %s, expected %s (keepdims=%d)",
                        rtk_op_name(a->op), rtk_dims_str(b1, sizeof b1, y->rank, y->dims),
                        rtk_dims_str(b2, sizeof b2, wr, want), keep);
    /* coalesce: drop size-1 dims, merge neighbours of the same kind */
    P->nk = P->nr = 0;
    P->nout = 1;
    P->R = 1;
    int last = -1; /* kind of the previous run: 0 kept, 1 reduced */
    int64_t st = 1, sts[RT_MAX_RANK];
    for (int d = x->rank - 1; d >= 0; d--) {
        sts[d] = st;
        st *= x->dims[d];
    }
    for (int d = 0; d < x->rank; d++) {
        int64_t v = x->dims[d];
        if (red[d]) P->R *= v; else P->nout *= v;
        if (v == 1) continue;
        if (red[d]) {
            if (last == 1) { P->rdim[P->nr - 1] *= v; P->rst[P->nr - 1] = sts[d]; }
            else { P->rdim[P->nr] = v; P->rst[P->nr++] = sts[d]; }
        } else {
            if (last == 0) { P->kdim[P->nk - 1] *= v; P->kst[P->nk - 1] = sts[d]; }
            else { P->kdim[P->nk] = v; P->kst[P->nk++] = sts[d]; }
        }
        last = red[d];
    }
    return 1;
}

/* Walk the reduced elements of the output element whose input offset is base:
 * STMT sees x (the element, type T). */
#define RED_WALK(T, STMT) do { \
    int64_t ridx_[RT_MAX_RANK] = {0}; \
    for (int64_t o_ = 0; o_ < router; o_++) { \
        int64_t off_ = base; \
        for (int q_ = 0; q_ < P->nr - 1; q_++) off_ += ridx_[q_] * P->rst[q_]; \
        const T *p_ = X + off_; \
        for (int64_t j_ = 0; j_ < rin; j_++) { T x = p_[j_ * rinst]; STMT; } \
        for (int q_ = P->nr - 2; q_ >= 0; q_--) { if (++ridx_[q_] < P->rdim[q_]) break; ridx_[q_] = 0; } \
    } \
} while (0)

/* Reduce for a float type T: y[o] = f(x over reduced axes), accumulating in double. */
#define RED_FLOAT(T) \
static void red_run_##T(const red_plan *P, int op, const T *X, T *Y, int nt) { \
    int64_t rin = P->nr ? P->rdim[P->nr - 1] : 1, rinst = P->nr ? P->rst[P->nr - 1] : 0; \
    int64_t router = P->nr ? P->R / (rin ? rin : 1) : 1; \
    if (P->R == 0) { router = 0; rin = 0; } \
    _Pragma("omp parallel for num_threads(nt) if(nt > 1)") \
    for (int64_t o = 0; o < P->nout; o++) { \
        int64_t base = 0, rem = o; \
        for (int q = P->nk - 1; q >= 0; q--) { base += (rem % P->kdim[q]) * P->kst[q]; rem /= P->kdim[q]; } \
        double acc = 0; \
        switch (op) { \
        case RT_OP_REDUCESUM: RED_WALK(T, acc += x); break; \
        case RT_OP_REDUCEMEAN: RED_WALK(T, acc += x); acc /= (double)P->R; break; \
        case RT_OP_REDUCEPROD: acc = 1; RED_WALK(T, acc *= x); break; \
        case RT_OP_REDUCEL1: RED_WALK(T, acc += fabs((double)x)); break; \
        case RT_OP_REDUCEL2: RED_WALK(T, acc += (double)x * x); acc = sqrt(acc); break; \
        case RT_OP_REDUCESUMSQUARE: RED_WALK(T, acc += (double)x * x); break; \
        case RT_OP_REDUCELOGSUM: RED_WALK(T, acc += x); acc = log(acc); break; \
        case RT_OP_REDUCEMAX: acc = -INFINITY; \
            RED_WALK(T, if (x > acc || x != x) acc = (acc != acc) ? acc : x); break; \
        case RT_OP_REDUCEMIN: acc = INFINITY; \
            RED_WALK(T, if (x < acc || x != x) acc = (acc != acc) ? acc : x); break; \
        case RT_OP_REDUCELOGSUMEXP: { \
            double m = -INFINITY; \
            RED_WALK(T, if (isfinite(x) && x > m) m = x); \
            if (m == -INFINITY) m = 0; /* no finite element: exp(x - 0) keeps infs right */ \
            RED_WALK(T, acc += exp((double)x - m)); \
            acc = log(acc) + m; \
            break; \
        } \
        default: break; \
        } \
        Y[o] = (T)acc; \
    } \
}

/* Reduce for an integer type T, exactly in int64 (wrapping) where the op allows. */
#define RED_INT(T, TMIN, TMAX) \
static void red_run_##T(const red_plan *P, int op, const T *X, T *Y, int nt) { \
    int64_t rin = P->nr ? P->rdim[P->nr - 1] : 1, rinst = P->nr ? P->rst[P->nr - 1] : 0; \
    int64_t router = P->nr ? P->R / (rin ? rin : 1) : 1; \
    if (P->R == 0) { router = 0; rin = 0; } \
    _Pragma("omp parallel for num_threads(nt) if(nt > 1)") \
    for (int64_t o = 0; o < P->nout; o++) { \
        int64_t base = 0, rem = o; \
        for (int q = P->nk - 1; q >= 0; q--) { base += (rem % P->kdim[q]) * P->kst[q]; rem /= P->kdim[q]; } \
        uint64_t acc = 0; \
        double dacc = 0; \
        int use_d = 0; \
        switch (op) { \
        case RT_OP_REDUCESUM: RED_WALK(T, acc += (uint64_t)(int64_t)x); break; \
        case RT_OP_REDUCEMEAN: RED_WALK(T, acc += (uint64_t)(int64_t)x); \
            acc = P->R ? (uint64_t)((int64_t)acc / P->R) : 0; break; \
        case RT_OP_REDUCEPROD: acc = 1; RED_WALK(T, acc *= (uint64_t)(int64_t)x); break; \
        case RT_OP_REDUCEL1: RED_WALK(T, acc += x < 0 ? 0 - (uint64_t)(int64_t)x : (uint64_t)(int64_t)x); break; \
        case RT_OP_REDUCESUMSQUARE: RED_WALK(T, acc += (uint64_t)(int64_t)x * (uint64_t)(int64_t)x); break; \
        case RT_OP_REDUCEMAX: { T m = TMIN; RED_WALK(T, if (x > m) m = x); acc = (uint64_t)(int64_t)m; break; } \
        case RT_OP_REDUCEMIN: { T m = TMAX; RED_WALK(T, if (x < m) m = x); acc = (uint64_t)(int64_t)m; break; } \
        case RT_OP_REDUCEL2: use_d = 1; RED_WALK(T, dacc += (double)x * x); dacc = sqrt(dacc); break; \
        case RT_OP_REDUCELOGSUM: use_d = 1; RED_WALK(T, dacc += x); dacc = log(dacc); break; \
        case RT_OP_REDUCELOGSUMEXP: { \
            use_d = 1; \
            double m = -INFINITY; \
            RED_WALK(T, if (x > m) m = x); \
            if (m == -INFINITY) m = 0; \
            RED_WALK(T, dacc += exp((double)x - m)); \
            dacc = log(dacc) + m; \
            break; \
        } \
        default: break; \
        } \
        Y[o] = use_d ? (T)red_d2i(dacc) : (T)(int64_t)acc; \
    } \
}

RED_FLOAT(float)
RED_FLOAT(double)

/* Float reductions whose innermost input dim is kept ([..., R, I] after coalescing): walk the
 * reduced rows and accumulate blocks of up to RED_BLK contiguous columns in double, instead of
 * one strided walk per output element (ReduceMean over axis 0 of [2048,2048]: 30 ms -> 3 ms). */
#define RED_BLK 256
#define RED_VWALK(T, STMT) do { \
    int64_t ridx_[RT_MAX_RANK] = {0}; \
    for (int64_t o_ = 0; o_ < P->R; o_++) { \
        int64_t off_ = base; \
        for (int q_ = 0; q_ < P->nr; q_++) off_ += ridx_[q_] * P->rst[q_]; \
        const T *p_ = X + off_; \
        for (int64_t j = 0; j < bl; j++) { double x = p_[j]; STMT; } \
        for (int q_ = P->nr - 1; q_ >= 0; q_--) { if (++ridx_[q_] < P->rdim[q_]) break; ridx_[q_] = 0; } \
    } \
} while (0)
#define RED_COLS(T) \
static void red_cols_##T(const red_plan *P, int op, const T *X, T *Y, int nt) { \
    int64_t I = P->kdim[P->nk - 1], nb = (I + RED_BLK - 1) / RED_BLK, items = P->nout / I * nb; \
    _Pragma("omp parallel for num_threads(nt) if(nt > 1)") \
    for (int64_t it = 0; it < items; it++) { \
        int64_t o = it / nb, j0 = (it % nb) * RED_BLK, bl = I - j0 < RED_BLK ? I - j0 : RED_BLK; \
        int64_t base = j0, rem = o; \
        for (int q = P->nk - 2; q >= 0; q--) { base += (rem % P->kdim[q]) * P->kst[q]; rem /= P->kdim[q]; } \
        double acc[RED_BLK], m[RED_BLK]; \
        double init = op == RT_OP_REDUCEPROD ? 1 : op == RT_OP_REDUCEMAX ? -INFINITY \
                    : op == RT_OP_REDUCEMIN ? INFINITY : 0; \
        for (int64_t j = 0; j < bl; j++) acc[j] = init; \
        switch (op) { \
        case RT_OP_REDUCESUM: case RT_OP_REDUCEMEAN: case RT_OP_REDUCELOGSUM: \
            RED_VWALK(T, acc[j] += x); break; \
        case RT_OP_REDUCEPROD: RED_VWALK(T, acc[j] *= x); break; \
        case RT_OP_REDUCEL1: RED_VWALK(T, acc[j] += fabs(x)); break; \
        case RT_OP_REDUCEL2: case RT_OP_REDUCESUMSQUARE: RED_VWALK(T, acc[j] += x * x); break; \
        case RT_OP_REDUCEMAX: RED_VWALK(T, if (x > acc[j] || x != x) acc[j] = (acc[j] != acc[j]) ? acc[j] : x); break; \
        case RT_OP_REDUCEMIN: RED_VWALK(T, if (x < acc[j] || x != x) acc[j] = (acc[j] != acc[j]) ? acc[j] : x); break; \
        case RT_OP_REDUCELOGSUMEXP: \
            for (int64_t j = 0; j < bl; j++) m[j] = -INFINITY; \
            RED_VWALK(T, if (isfinite(x) && x > m[j]) m[j] = x); \
            for (int64_t j = 0; j < bl; j++) if (m[j] == -INFINITY) m[j] = 0; \
            RED_VWALK(T, acc[j] += exp(x - m[j])); \
            for (int64_t j = 0; j < bl; j++) acc[j] = log(acc[j]) + m[j]; \
            break; \
        default: break; \
        } \
        for (int64_t j = 0; j < bl; j++) { \
            double v = acc[j]; \
            if (op == RT_OP_REDUCEMEAN) v /= (double)P->R; \
            else if (op == RT_OP_REDUCEL2) v = sqrt(v); \
            else if (op == RT_OP_REDUCELOGSUM) v = log(v); \
            Y[o * I + j0 + j] = (T)v; \
        } \
    } \
}
RED_COLS(float)
RED_COLS(double)

RED_INT(int32_t, INT32_MIN, INT32_MAX)
RED_INT(int64_t, INT64_MIN, INT64_MAX)

/* ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare(data, axes?): attrs keepdims=1,
 * noop_with_empty_axes=0. An empty reduction gives Sum 0, Prod 1, Max -inf (integers: the
 * type's minimum), Min +inf (maximum), Mean NaN (integers 0), LogSum/LogSumExp -inf. */
static int red_reduce(rt_kargs *a, int mode) {
    const char *nm = rtk_op_name(a->op);
    const rt_tensor *x = &a->in[0];
    rt_tensor *y = &a->out[0];
    if (!red_dtype4(x->dtype))
        return rtk_fail(a, mode, "%s: dtype %s not supported (float32, float64, int32, int64)",
                        nm, rtk_dtype_name(x->dtype));
    if (y->dtype != x->dtype)
        return rtk_fail(a, mode, "%s: output dtype %s differs from input dtype %s", nm,
                        rtk_dtype_name(y->dtype), rtk_dtype_name(x->dtype));
    int red[RT_MAX_RANK];
    a->k->err[0] = 0;
    int r = red_axes(a, mode, x->rank, red);
    if (r != 1) {
        if (mode != RTK_RUN && a->k->err[0] == 0) /* axes known only at run: RUN checks dims */
            return mode == RTK_SUPPORTS ? 1 : 0;
        return r;
    }
    red_plan P;
    r = red_plan_make(a, mode, red, &P);
    if (r != 1 || mode != RTK_RUN) return mode == RTK_SUPPORTS ? r : (r == 1 ? 0 : r);
    if (P.nout == 0) return 0;
    if (!x->data || !y->data) return rtk_fail(a, mode, "%s: missing tensor data", nm);
    int64_t work = P.nout * (P.R ? P.R : 1);
    int nt = P.nout > 1 ? rtk_threads(a, work) : 1;
    /* innermost input dim kept and something reduced: column blocks */
    int cols = P.nr > 0 && P.nk > 0 && P.kst[P.nk - 1] == 1 && P.R > 0;
    if (cols && x->dtype == RT_F32) { red_cols_float(&P, a->op, x->data, y->data, nt); return 0; }
    if (cols && x->dtype == RT_F64) { red_cols_double(&P, a->op, x->data, y->data, nt); return 0; }
    switch (x->dtype) {
    case RT_F32: red_run_float(&P, a->op, x->data, y->data, nt); break;
    case RT_F64: red_run_double(&P, a->op, x->data, y->data, nt); break;
    case RT_I32: red_run_int32_t(&P, a->op, x->data, y->data, nt); break;
    default: red_run_int64_t(&P, a->op, x->data, y->data, nt); break;
    }
    return 0;
}

/* ================= ArgMax / ArgMin ================= */

#define ARG_LOOP(T) do { \
    const T *X = (const T *)x->data; \
    _Pragma("omp parallel for num_threads(nt) if(nt > 1)") \
    for (int64_t r = 0; r < outer * inner; r++) { \
        int64_t o = r / inner, i = r % inner; \
        const T *p = X + o * n * inner + i; \
        T best = p[0]; \
        int64_t bi = 0; \
        for (int64_t j = 1; j < n; j++) { \
            T v = p[j * inner]; \
            int better = ismax ? (last ? v >= best : v > best) : (last ? v <= best : v < best); \
            if (better) { best = v; bi = j; } \
        } \
        Y[r] = bi; \
    } \
} while (0)

/* ArgMax/ArgMin(data) -> int64: attrs axis=0, keepdims=1, select_last_index=0 (which of equal
 * extremes wins). */
static int red_arg(rt_kargs *a, int mode) {
    const char *nm = rtk_op_name(a->op);
    const rt_tensor *x = &a->in[0];
    rt_tensor *y = &a->out[0];
    char b1[96], b2[96];
    if (!red_dtype4(x->dtype))
        return rtk_fail(a, mode, "%s: dtype %s not supported (float32, float64, int32, int64)",
                        nm, rtk_dtype_name(x->dtype));
    if (y->dtype != RT_I64)
        return rtk_fail(a, mode, "%s: output dtype %s, expected int64", nm, rtk_dtype_name(y->dtype));
    int64_t axv = rt_attr_i(a->a, a->na, "axis", 0);
    int ax = rtk_axis(axv, x->rank);
    if (ax < 0) return rtk_fail(a, mode, "%s: axis %lld out of range for rank %d", nm, (long long)axv, x->rank);
    int keep = rt_attr_i(a->a, a->na, "keepdims", 1) != 0;
    int64_t want[RT_MAX_RANK];
    int wr = 0;
    for (int d = 0; d < x->rank; d++) {
        if (d != ax) want[wr++] = x->dims[d];
        else if (keep) want[wr++] = 1;
    }
    if (y->rank != wr || memcmp(y->dims, want, (size_t)wr * sizeof want[0]) != 0)
        return rtk_fail(a, mode, "%s: output dims %s, expected %s", nm,
                        rtk_dims_str(b1, sizeof b1, y->rank, y->dims), rtk_dims_str(b2, sizeof b2, wr, want));
    int64_t outer, n, inner;
    red_split(x, ax, &outer, &n, &inner);
    if (n == 0 && outer * inner > 0)
        return rtk_fail(a, mode, "%s: axis %d has size 0", nm, ax);
    if (mode == RTK_SUPPORTS) return 1;
    if (mode == RTK_SCRATCH) { a->scratch_need = 0; return 0; }
    if (outer * inner == 0) return 0;
    if (!x->data || !y->data) return rtk_fail(a, mode, "%s: missing tensor data", nm);
    int ismax = a->op == RT_OP_ARGMAX;
    int last = rt_attr_i(a->a, a->na, "select_last_index", 0) != 0;
    int64_t *Y = y->data;
    int nt = rtk_threads(a, outer * n * inner);
    switch (x->dtype) {
    case RT_F32: ARG_LOOP(float); break;
    case RT_F64: ARG_LOOP(double); break;
    case RT_I32: ARG_LOOP(int32_t); break;
    default: ARG_LOOP(int64_t); break;
    }
    return 0;
}

/* ================= Softmax / LogSoftmax / Hardmax ================= */

#define SMAX_LOOP(T, EXP) do { \
    const T *X = (const T *)x->data; T *Y = (T *)y->data; \
    _Pragma("omp parallel for num_threads(nt) if(nt > 1)") \
    for (int64_t r = 0; r < outer * inner; r++) { \
        int64_t o = r / inner, i = r % inner; \
        const T *p = X + o * n * inner + i; \
        T *q = Y + o * n * inner + i; \
        double m = -INFINITY; \
        int64_t mi = 0; \
        for (int64_t j = 0; j < n; j++) \
            if ((double)p[j * inner] > m) { m = p[j * inner]; mi = j; } \
        if (op == RT_OP_HARDMAX) { \
            for (int64_t j = 0; j < n; j++) q[j * inner] = (T)(j == mi); \
            continue; \
        } \
        double s = 0; \
        for (int64_t j = 0; j < n; j++) s += EXP(p[j * inner] - (T)m); \
        if (op == RT_OP_SOFTMAX) { \
            double inv = 1.0 / s; \
            for (int64_t j = 0; j < n; j++) q[j * inner] = (T)(EXP(p[j * inner] - (T)m) * inv); \
        } else { \
            double ls = log(s) + m; \
            for (int64_t j = 0; j < n; j++) q[j * inner] = (T)((double)p[j * inner] - ls); \
        } \
    } \
} while (0)

/* Softmax/LogSoftmax/Hardmax(input): attr axis=-1; along that one axis (opset 13).
 * Softmax = exp(x - max) / sum exp(x - max); LogSoftmax = x - max - log(sum exp(x - max));
 * Hardmax = 1 at the first maximum, 0 elsewhere. */
static int red_softmax(rt_kargs *a, int mode) {
    const char *nm = rtk_op_name(a->op);
    const rt_tensor *x = &a->in[0];
    rt_tensor *y = &a->out[0];
    char b1[96], b2[96];
    if (!rtk_is_float(x->dtype))
        return rtk_fail(a, mode, "%s: dtype %s not supported (float32, float64)", nm, rtk_dtype_name(x->dtype));
    if (y->dtype != x->dtype || !rtk_same_dims(x, y))
        return rtk_fail(a, mode, "%s: output %s %s does not match input %s %s", nm,
                        rtk_dtype_name(y->dtype), rtk_dims_str(b1, sizeof b1, y->rank, y->dims),
                        rtk_dtype_name(x->dtype), rtk_dims_str(b2, sizeof b2, x->rank, x->dims));
    int64_t axv = rt_attr_i(a->a, a->na, "axis", -1);
    int ax = x->rank == 0 ? 0 : rtk_axis(axv, x->rank);
    if (ax < 0) return rtk_fail(a, mode, "%s: axis %lld out of range for rank %d", nm, (long long)axv, x->rank);
    if (mode == RTK_SUPPORTS) return 1;
    if (mode == RTK_SCRATCH) { a->scratch_need = 0; return 0; }
    int64_t outer = 1, n = 1, inner = 1;
    if (x->rank > 0) red_split(x, ax, &outer, &n, &inner);
    if (outer * n * inner == 0) return 0;
    if (!x->data || !y->data) return rtk_fail(a, mode, "%s: missing tensor data", nm);
    int op = a->op;
    int nt = rtk_threads(a, outer * n * inner);
    if (x->dtype == RT_F32) SMAX_LOOP(float, expf); /* float exp: 2x faster, 1 ulp */
    else SMAX_LOOP(double, exp);
    return 0;
}

/* ================= CumSum ================= */

#define CUMSUM_LOOP(T, ACC) do { \
    const T *X = (const T *)x->data; T *Y = (T *)y->data; \
    _Pragma("omp parallel for num_threads(nt) if(nt > 1)") \
    for (int64_t r = 0; r < outer * inner; r++) { \
        int64_t o = r / inner, i = r % inner; \
        const T *p = X + o * n * inner + i; \
        T *q = Y + o * n * inner + i; \
        ACC s = 0; \
        for (int64_t jj = 0; jj < n; jj++) { \
            int64_t j = rev ? n - 1 - jj : jj; \
            T v = p[j * inner]; \
            if (excl) { q[j * inner] = (T)s; s += v; } \
            else { s += v; q[j * inner] = (T)s; } \
        } \
    } \
} while (0)

/* CumSum(x, axis): attrs exclusive=0, reverse=0; axis is a scalar int32/int64 tensor. */
static int red_cumsum(rt_kargs *a, int mode) {
    const rt_tensor *x = &a->in[0];
    rt_tensor *y = &a->out[0];
    if (!red_dtype4(x->dtype))
        return rtk_fail(a, mode, "CumSum: dtype %s not supported (float32, float64, int32, int64)",
                        rtk_dtype_name(x->dtype));
    if (y->dtype != x->dtype || !rtk_same_dims(x, y))
        return rtk_fail(a, mode, "CumSum: output dtype or dims do not match the input's");
    if (!rtk_has(a, 1)) return rtk_fail(a, mode, "CumSum: axis input missing");
    const rt_tensor *at = &a->in[1];
    if ((at->dtype != RT_I64 && at->dtype != RT_I32) || !rtk_shape_ok(at) || rt_numel(at) != 1)
        return rtk_fail(a, mode, "CumSum: axis must be one int32/int64 value");
    if (x->rank < 1) return rtk_fail(a, mode, "CumSum: input must have rank >= 1");
    if (!at->data) { /* axis known only at run */
        if (mode == RTK_RUN) return rtk_fail(a, mode, "CumSum: axis has no data");
        return mode == RTK_SUPPORTS ? 1 : 0;
    }
    int64_t axv = at->dtype == RT_I64 ? *(const int64_t *)at->data : *(const int32_t *)at->data;
    int ax = rtk_axis(axv, x->rank);
    if (ax < 0) return rtk_fail(a, mode, "CumSum: axis %lld out of range for rank %d", (long long)axv, x->rank);
    if (mode == RTK_SUPPORTS) return 1;
    if (mode == RTK_SCRATCH) { a->scratch_need = 0; return 0; }
    int64_t outer, n, inner;
    red_split(x, ax, &outer, &n, &inner);
    if (outer * n * inner == 0) return 0;
    if (!x->data || !y->data) return rtk_fail(a, mode, "CumSum: missing tensor data");
    int excl = rt_attr_i(a->a, a->na, "exclusive", 0) != 0;
    int rev = rt_attr_i(a->a, a->na, "reverse", 0) != 0;
    int nt = rtk_threads(a, outer * n * inner);
    switch (x->dtype) {
    case RT_F32: CUMSUM_LOOP(float, double); break;
    case RT_F64: CUMSUM_LOOP(double, double); break;
    case RT_I32: CUMSUM_LOOP(int32_t, int32_t); break;
    default: CUMSUM_LOOP(int64_t, int64_t); break;
    }
    return 0;
}

/* ================= TopK ================= */

/* The k best of x[0..n) (stride xs) into idx[0..k) (stride is), best first. "Better" is larger
 * (or smaller) value, then the lower index, so equal values keep their input order. The heap
 * lives in idx itself: a heap whose root is the worst kept element, then a heapsort. */
#define TOPK_FN(T) \
static void topk_##T(const T *x, int64_t n, int64_t xs, int64_t k, int largest, int64_t *idx, \
                     int64_t is, T *val) { \
    for (int64_t c = 0; c < n; c++) { \
        int64_t h = c < k ? c : k; /* heap size before this element */ \
        if (c >= k) { \
            int64_t r0 = idx[0]; \
            T vc = x[c * xs], vr = x[r0 * xs]; \
            int better = largest ? (vc > vr || (vc == vr && c < r0)) : (vc < vr || (vc == vr && c < r0)); \
            if (!better) continue; \
            idx[0] = c; \
            TOPK_SIFT_DOWN(T, 0, k); \
        } else { \
            int64_t j = h; \
            idx[j * is] = c; \
            while (j > 0) { /* sift up: parent must be worse than child */ \
                int64_t pj = (j - 1) / 2, a_ = idx[j * is], b_ = idx[pj * is]; \
                if (!TOPK_BETTER(T, b_, a_)) break; \
                idx[j * is] = b_; idx[pj * is] = a_; j = pj; \
            } \
        } \
    } \
    for (int64_t e = k - 1; e > 0; e--) { /* worst to the back */ \
        int64_t t_ = idx[0]; idx[0] = idx[e * is]; idx[e * is] = t_; \
        TOPK_SIFT_DOWN(T, 0, e); \
    } \
    for (int64_t j = 0; j < k; j++) val[j * is] = x[idx[j * is] * xs]; \
}
/* i ranks before j (i, j: element indices along the axis) */
#define TOPK_BETTER(T, i, j) (largest ? (x[(i) * xs] > x[(j) * xs] || (x[(i) * xs] == x[(j) * xs] && (i) < (j))) \
                                      : (x[(i) * xs] < x[(j) * xs] || (x[(i) * xs] == x[(j) * xs] && (i) < (j))))
/* restore the heap below position P in a heap of size SZ (worst at the root) */
#define TOPK_SIFT_DOWN(T, P, SZ) do { \
    int64_t p_ = (P); \
    for (;;) { \
        int64_t l_ = 2 * p_ + 1, w_ = p_; \
        if (l_ < (SZ) && TOPK_BETTER(T, idx[w_ * is], idx[l_ * is])) w_ = l_; \
        if (l_ + 1 < (SZ) && TOPK_BETTER(T, idx[w_ * is], idx[(l_ + 1) * is])) w_ = l_ + 1; \
        if (w_ == p_) break; \
        int64_t t2_ = idx[p_ * is]; idx[p_ * is] = idx[w_ * is]; idx[w_ * is] = t2_; \
        p_ = w_; \
    } \
} while (0)

TOPK_FN(float)
TOPK_FN(double)
TOPK_FN(int32_t)
TOPK_FN(int64_t)

/* TopK(X, K) -> (Values, Indices int64): attrs axis=-1, largest=1, sorted=1 (always sorted
 * here); ties keep the lower index first. */
static int red_topk(rt_kargs *a, int mode) {
    const rt_tensor *x = &a->in[0];
    char b1[96], b2[96];
    if (a->nout < 2) return rtk_fail(a, mode, "TopK: needs Values and Indices outputs");
    rt_tensor *yv = &a->out[0], *yi = &a->out[1];
    if (!red_dtype4(x->dtype))
        return rtk_fail(a, mode, "TopK: dtype %s not supported (float32, float64, int32, int64)",
                        rtk_dtype_name(x->dtype));
    if (yv->dtype != x->dtype || yi->dtype != RT_I64)
        return rtk_fail(a, mode, "TopK: output dtypes %s, %s; expected %s, int64",
                        rtk_dtype_name(yv->dtype), rtk_dtype_name(yi->dtype), rtk_dtype_name(x->dtype));
    int64_t axv = rt_attr_i(a->a, a->na, "axis", -1);
    int ax = rtk_axis(axv, x->rank);
    if (ax < 0) return rtk_fail(a, mode, "TopK: axis %lld out of range for rank %d", (long long)axv, x->rank);
    int ok = yv->rank == x->rank && rtk_same_dims(yv, yi);
    for (int d = 0; ok && d < x->rank; d++)
        if (d != ax && yv->dims[d] != x->dims[d]) ok = 0;
    if (!ok || yv->dims[ax] > x->dims[ax])
        return rtk_fail(a, mode, "TopK: output dims %s / %s do not fit input %s", rtk_dims_str(b1, sizeof b1, yv->rank, yv->dims),
                        rtk_dims_str(b2, sizeof b2, yi->rank, yi->dims),
                        rtk_dims_str((char[96]){0}, 96, x->rank, x->dims));
    int64_t k = yv->dims[ax];
    const rt_tensor *kt = &a->in[1];
    if (!rtk_has(a, 1) || kt->dtype != RT_I64 || !rtk_shape_ok(kt) || rt_numel(kt) != 1)
        return rtk_fail(a, mode, "TopK: K must be one int64 value");
    if (kt->data && *(const int64_t *)kt->data != k)
        return rtk_fail(a, mode, "TopK: K=%lld but the outputs hold %lld along axis %d",
                        (long long)*(const int64_t *)kt->data, (long long)k, ax);
    if (mode == RTK_SUPPORTS) return 1;
    if (mode == RTK_SCRATCH) { a->scratch_need = 0; return 0; }
    if (!kt->data) return rtk_fail(a, mode, "TopK: K has no data");
    int64_t outer, n, inner;
    red_split(x, ax, &outer, &n, &inner);
    if (outer * inner * k == 0) return 0;
    if (!x->data || !yv->data || !yi->data) return rtk_fail(a, mode, "TopK: missing tensor data");
    int largest = rt_attr_i(a->a, a->na, "largest", 1) != 0;
    int nt = rtk_threads(a, outer * inner * n);
    _Pragma("omp parallel for num_threads(nt) if(nt > 1)")
    for (int64_t r = 0; r < outer * inner; r++) {
        int64_t o = r / inner, i = r % inner;
        int64_t xo = o * n * inner + i, yo = o * k * inner + i;
        int64_t *idx = (int64_t *)yi->data + yo;
        switch (x->dtype) {
        case RT_F32: topk_float((const float *)x->data + xo, n, inner, k, largest, idx, inner, (float *)yv->data + yo); break;
        case RT_F64: topk_double((const double *)x->data + xo, n, inner, k, largest, idx, inner, (double *)yv->data + yo); break;
        case RT_I32: topk_int32_t((const int32_t *)x->data + xo, n, inner, k, largest, idx, inner, (int32_t *)yv->data + yo); break;
        default: topk_int64_t((const int64_t *)x->data + xo, n, inner, k, largest, idx, inner, (int64_t *)yv->data + yo); break;
        }
    }
    return 0;
}

/* Family entry: see rt_cpu.c for the ops routed here. */
int rtk_reduce(rt_kargs *a, int mode) {
    const char *nm = rtk_op_name(a->op);
    if (a->nin < 1 || a->nout < 1) return rtk_fail(a, mode, "%s: needs an input and an output", nm);
    for (int i = 0; i < a->nin && i < 2; i++)
        if (a->in[i].rank >= 0 && !rtk_shape_ok(&a->in[i]))
            return rtk_fail(a, mode, "%s: input %d has a bad shape", nm, i);
    if (a->in[0].rank < 0) return rtk_fail(a, mode, "%s: input 0 is missing", nm);
    for (int i = 0; i < a->nout && i < 2; i++)
        if (!rtk_shape_ok(&a->out[i])) return rtk_fail(a, mode, "%s: output %d has a bad shape", nm, i);
    if (mode == RTK_SCRATCH) a->scratch_need = 0;
    switch (a->op) {
    case RT_OP_SOFTMAX: case RT_OP_LOGSOFTMAX: case RT_OP_HARDMAX: return red_softmax(a, mode);
    case RT_OP_CUMSUM: return red_cumsum(a, mode);
    case RT_OP_ARGMAX: case RT_OP_ARGMIN: return red_arg(a, mode);
    case RT_OP_TOPK: return red_topk(a, mode);
    case RT_OP_REDUCESUM: case RT_OP_REDUCEMEAN: case RT_OP_REDUCEMAX: case RT_OP_REDUCEMIN:
    case RT_OP_REDUCEPROD: case RT_OP_REDUCEL1: case RT_OP_REDUCEL2: case RT_OP_REDUCELOGSUM:
    case RT_OP_REDUCELOGSUMEXP: case RT_OP_REDUCESUMSQUARE:
        return red_reduce(a, mode);
    default:
        return rtk_fail(a, mode, "%s: not a reduction", nm);
    }
}
