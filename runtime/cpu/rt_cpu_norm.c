/* rt_cpu_norm.c - the normalization kernel family: BatchNormalization (inference),
 * InstanceNormalization, LayerNormalization, GroupNormalization, LpNormalization.
 *
 * Statistics are taken in double with two passes (mean, then squared deviations), whatever
 * the tensor dtype; float32 and float64 tensors are accepted (all float inputs of a node share
 * X's dtype, except LayerNormalization's Mean/InvStdDev, which follow stash_type). OpenMP runs
 * over independent rows (LayerNorm, LpNorm) or (batch, channel/group) planes when large.
 * Nothing here needs scratch.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "rt_cpu_elem.h"

#define OPN(a) rtk_op_name((a)->op)

static inline double ld(const void *p, int64_t i, int f64) {
    return f64 ? ((const double *)p)[i] : (double)((const float *)p)[i];
}
static inline void st(void *p, int64_t i, int f64, double v) {
    if (f64) ((double *)p)[i] = v;
    else ((float *)p)[i] = (float)v;
}

static int in_present(const rt_kargs *a, int i) { return i < a->nin && a->in[i].rank >= 0; }
static int out_present(const rt_kargs *a, int i) { return i < a->nout && a->out[i].rank >= 0; }

/* Input i usable: sane shape, dtype dt, data when running. */
static int chk_in(rt_kargs *a, int mode, int i, int dt) {
    const rt_tensor *t = &a->in[i];
    if (!rtk_shape_ok(t))
        return RTK_FAIL0(a, mode, "%s: input %d has a bad shape (rank %d)", OPN(a), i, (int)t->rank);
    if (t->dtype != dt)
        return RTK_FAIL0(a, mode, "%s: input %d is %s, expected %s", OPN(a), i,
                        rtk_dtype_name(t->dtype), rtk_dtype_name(dt));
    if (mode == RTK_RUN && !t->data && rt_numel(t) > 0)
        return RTK_FAIL0(a, mode, "%s: input %d has no data", OPN(a), i);
    return 1;
}

/* Output i must be dtype dt with exactly these dims. */
static int chk_out(rt_kargs *a, int mode, int i, int dt, int rank, const int64_t *dims) {
    char e[128], g[128];
    if (i >= a->nout) return RTK_FAIL0(a, mode, "%s: output %d missing", OPN(a), i);
    const rt_tensor *o = &a->out[i];
    if (!rtk_shape_ok(o)) return RTK_FAIL0(a, mode, "%s: output %d has a bad shape", OPN(a), i);
    if (o->dtype != dt)
        return RTK_FAIL0(a, mode, "%s: output %d is %s, expected %s", OPN(a), i,
                        rtk_dtype_name(o->dtype), rtk_dtype_name(dt));
    int same = o->rank == rank;
    for (int d = 0; same && d < rank; d++) same = o->dims[d] == dims[d];
    if (!same)
        return RTK_FAIL0(a, mode, "%s: output %d has shape %s, expected %s", OPN(a), i,
                        rtk_dims_str(g, sizeof g, o->rank, o->dims), rtk_dims_str(e, sizeof e, rank, dims));
    if (mode == RTK_RUN && !o->data && rt_numel(o) > 0)
        return RTK_FAIL0(a, mode, "%s: output %d has no data", OPN(a), i);
    return 1;
}

/* Common entry checks: X (input 0) float32/float64 with rank >= minrank; output 0 like X.
 * The first `nparams` inputs after X must be present. */
static int chk_x(rt_kargs *a, int mode, int minrank, int nparams) {
    if (a->nin < 1 || a->nout < 1) return RTK_FAIL0(a, mode, "%s: needs an input and an output", OPN(a));
    const rt_tensor *X = &a->in[0];
    if (X->dtype != RT_F32 && X->dtype != RT_F64)
        return RTK_FAIL0(a, mode, "%s: dtype %s not supported on CPU (float32/float64 only)", OPN(a),
                        rtk_dtype_name(X->dtype));
    if (!chk_in(a, mode, 0, X->dtype)) return 0;
    if (X->rank < minrank)
        return RTK_FAIL0(a, mode, "%s: X must have rank >= %d, got %d", OPN(a), minrank, X->rank);
    for (int i = 1; i <= nparams; i++) {
        if (!in_present(a, i)) return RTK_FAIL0(a, mode, "%s: input %d is required", OPN(a), i);
        if (!chk_in(a, mode, i, X->dtype)) return 0;
    }
    return chk_out(a, mode, 0, X->dtype, X->rank, X->dims);
}

/* Input i must be 1-D of length n. */
static int chk_vec(rt_kargs *a, int mode, int i, int64_t n, const char *what) {
    const rt_tensor *t = &a->in[i];
    if (t->rank != 1 || t->dims[0] != n)
        return RTK_FAIL0(a, mode, "%s: %s (input %d) must be [%lld]", OPN(a), what, i, (long long)n);
    return 1;
}

#define DONE_IF_NOT_RUN(a, mode) do { \
    if ((mode) == RTK_SUPPORTS) return 1; \
    if ((mode) == RTK_SCRATCH) { (a)->scratch_need = 0; return 0; } } while (0)

/* BatchNormalization(X, scale, B, input_mean, input_var) -> Y (inference):
 * Y = (X - mean) / sqrt(var + epsilon) * scale + B per channel (dim 1); attrs epsilon,
 * momentum (unused), training_mode (must be 0). Outputs running_mean/var, when an old
 * model lists them, get the input statistics unchanged. */
static int k_batchnorm(rt_kargs *a, int mode) {
    if (!chk_x(a, mode, 2, 4)) return RTK_FAILV(mode);
    const rt_tensor *X = &a->in[0];
    int f64 = X->dtype == RT_F64;
    if (rt_attr_i(a->a, a->na, "training_mode", 0) != 0 || rt_attr_i(a->a, a->na, "is_test", 1) == 0)
        return rtk_fail(a, mode, "BatchNormalization: training mode is not supported (inference only)");
    if (rt_attr_i(a->a, a->na, "spatial", 1) == 0)
        return rtk_fail(a, mode, "BatchNormalization: spatial=0 is not supported");
    int64_t N = X->dims[0], C = X->dims[1], P = 1;
    for (int i = 2; i < X->rank; i++) P *= X->dims[i];
    static const char *const what[] = {"", "scale", "B", "input_mean", "input_var"};
    for (int i = 1; i <= 4; i++)
        if (!chk_vec(a, mode, i, C, what[i])) return RTK_FAILV(mode);
    for (int i = 1; i < a->nout && i < 3; i++)
        if (out_present(a, i) && !chk_out(a, mode, i, X->dtype, 1, &C)) return RTK_FAILV(mode);
    if (a->nout > 3) return rtk_fail(a, mode, "BatchNormalization: at most 3 outputs in inference");
    DONE_IF_NOT_RUN(a, mode);
    double eps = rt_attr_f(a->a, a->na, "epsilon", 1e-5f);
    const void *x = X->data, *sc = a->in[1].data, *bi = a->in[2].data, *mu = a->in[3].data,
               *var = a->in[4].data;
    void *y = a->out[0].data;
    int64_t planes = N * C;
    int nt = rtk_threads(a, planes * P);
    #pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t q = 0; q < planes; q++) {
        int64_t c = q % C;
        double mul = ld(sc, c, f64) / sqrt(ld(var, c, f64) + eps);
        double add = ld(bi, c, f64) - ld(mu, c, f64) * mul;
        if (f64) {
            const double *xq = (const double *)x + q * P;
            double *yq = (double *)y + q * P;
            for (int64_t j = 0; j < P; j++) yq[j] = xq[j] * mul + add;
        } else {
            const float *xq = (const float *)x + q * P;
            float *yq = (float *)y + q * P, m = (float)mul, d = (float)add;
            for (int64_t j = 0; j < P; j++) yq[j] = xq[j] * m + d;
        }
    }
    size_t es = f64 ? 8 : 4;
    for (int i = 1; i < a->nout && i < 3; i++)
        if (out_present(a, i) && C) memcpy(a->out[i].data, a->in[2 + i].data, (size_t)C * es);
    return 0;
}

/* Mean and 1/sqrt(var + eps) of n values x[i*step] (two passes, double). */
static void stats(const void *x, int64_t off, int64_t n, int f64, double eps, double *mean,
                  double *inv) {
    double s = 0, ss = 0;
    for (int64_t j = 0; j < n; j++) s += ld(x, off + j, f64);
    double m = n ? s / (double)n : 0;
    for (int64_t j = 0; j < n; j++) {
        double d = ld(x, off + j, f64) - m;
        ss += d * d;
    }
    *mean = m;
    *inv = 1.0 / sqrt((n ? ss / (double)n : 0) + eps);
}

/* InstanceNormalization(X, scale, B) -> Y: per (n, c), normalize over the spatial dims,
 * then * scale[c] + B[c]; attr epsilon. */
static int k_instnorm(rt_kargs *a, int mode) {
    if (!chk_x(a, mode, 2, 2)) return RTK_FAILV(mode);
    const rt_tensor *X = &a->in[0];
    int f64 = X->dtype == RT_F64;
    int64_t C = X->dims[1], P = 1, planes = X->dims[0] * C;
    for (int i = 2; i < X->rank; i++) P *= X->dims[i];
    if (!chk_vec(a, mode, 1, C, "scale") || !chk_vec(a, mode, 2, C, "B")) return RTK_FAILV(mode);
    DONE_IF_NOT_RUN(a, mode);
    double eps = rt_attr_f(a->a, a->na, "epsilon", 1e-5f);
    const void *x = X->data, *sc = a->in[1].data, *bi = a->in[2].data;
    void *y = a->out[0].data;
    int nt = rtk_threads(a, planes * P);
    #pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t q = 0; q < planes; q++) {
        double m, inv;
        stats(x, q * P, P, f64, eps, &m, &inv);
        double mul = inv * ld(sc, q % C, f64), add = ld(bi, q % C, f64) - m * mul;
        for (int64_t j = 0; j < P; j++) st(y, q * P + j, f64, ld(x, q * P + j, f64) * mul + add);
    }
    return 0;
}

/* Offset into a parameter tensor t broadcast (numpy, right-aligned) against the normalized
 * block dims[0..n), for flat index j of that block. */
static int64_t bcast_off(const rt_tensor *t, const int64_t *dims, int n, int64_t j) {
    int64_t off = 0, step = 1;
    for (int d = n - 1, e = t->rank - 1; d >= 0; d--, e--) {
        int64_t v = j % dims[d];
        j /= dims[d];
        if (e >= 0) {
            if (t->dims[e] != 1) off += v * step;
            step *= t->dims[e];
        }
    }
    return off;
}

/* LayerNormalization(X, Scale, B?) -> Y, Mean?, InvStdDev?: normalize over dims [axis, rank)
 * then * Scale + B (both broadcast to X.shape[axis:]); attrs axis (-1), epsilon (1e-5),
 * stash_type (1: Mean/InvStdDev are float32; else X's dtype). Mean and InvStdDev have
 * X's shape with dims from axis on set to 1. */
static int k_layernorm(rt_kargs *a, int mode) {
    if (!chk_x(a, mode, 1, 1)) return RTK_FAILV(mode);
    const rt_tensor *X = &a->in[0];
    int f64 = X->dtype == RT_F64, r = X->rank;
    int axis = rtk_axis(rt_attr_i(a->a, a->na, "axis", -1), r);
    if (axis < 0) return rtk_fail(a, mode, "LayerNormalization: axis out of range for rank %d", r);
    int hasb = in_present(a, 2);
    if (hasb && !chk_in(a, mode, 2, X->dtype)) return RTK_FAILV(mode);
    int64_t outer = 1, D = 1;
    for (int i = 0; i < axis; i++) outer *= X->dims[i];
    for (int i = axis; i < r; i++) D *= X->dims[i];
    const int64_t *nd = X->dims + axis;
    int nn = r - axis;
    int plain[3] = {0, 0, 0};   /* Scale / B have exactly D contiguous values */
    for (int i = 1; i <= 1 + hasb; i++) {
        const rt_tensor *t = &a->in[i];
        int ok = t->rank <= nn;
        for (int e = t->rank - 1, d = nn - 1; ok && e >= 0; e--, d--)
            ok = t->dims[e] == 1 || t->dims[e] == nd[d];
        if (!ok)
            return rtk_fail(a, mode, "LayerNormalization: %s does not broadcast to X.shape[%d:]",
                            i == 1 ? "Scale" : "B", axis);
        plain[i] = rt_numel(t) == D;
    }
    int64_t sd[RT_MAX_RANK];
    for (int i = 0; i < r; i++) sd[i] = i < axis ? X->dims[i] : 1;
    int stash = (int)rt_attr_i(a->a, a->na, "stash_type", 1);
    int sdt = stash == 1 ? RT_F32 : stash == 11 ? RT_F64 : X->dtype;
    for (int i = 1; i < 3; i++)
        if (out_present(a, i) && !chk_out(a, mode, i, sdt, r, sd)) return RTK_FAILV(mode);
    if (a->nout > 3) return rtk_fail(a, mode, "LayerNormalization: at most 3 outputs");
    DONE_IF_NOT_RUN(a, mode);
    double eps = rt_attr_f(a->a, a->na, "epsilon", 1e-5f);
    const rt_tensor *S = &a->in[1], *B = hasb ? &a->in[2] : NULL;
    const void *x = X->data;
    void *y = a->out[0].data;
    void *mo = out_present(a, 1) ? a->out[1].data : NULL, *io = out_present(a, 2) ? a->out[2].data : NULL;
    int nt = rtk_threads(a, outer * D);
    #pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t q = 0; q < outer; q++) {
        double m, inv;
        stats(x, q * D, D, f64, eps, &m, &inv);
        if (mo) st(mo, q, sdt == RT_F64, m);
        if (io) st(io, q, sdt == RT_F64, inv);
        if (!f64 && plain[1] && (!B || plain[2])) {   /* the common case, kept tight */
            const float *xq = (const float *)x + q * D, *s = S->data, *b = B ? B->data : NULL;
            float *yq = (float *)y + q * D, mf = (float)m, vf = (float)inv;
            if (b) for (int64_t j = 0; j < D; j++) yq[j] = (xq[j] - mf) * vf * s[j] + b[j];
            else for (int64_t j = 0; j < D; j++) yq[j] = (xq[j] - mf) * vf * s[j];
            continue;
        }
        for (int64_t j = 0; j < D; j++) {
            double s = ld(S->data, plain[1] ? j : bcast_off(S, nd, nn, j), f64);
            double b = B ? ld(B->data, plain[2] ? j : bcast_off(B, nd, nn, j), f64) : 0;
            st(y, q * D + j, f64, (ld(x, q * D + j, f64) - m) * inv * s + b);
        }
    }
    return 0;
}

/* GroupNormalization(X, scale, bias) -> Y: channels split into num_groups groups; each
 * (n, group) is normalized over its channels and spatial dims, then * scale + bias. scale and
 * bias are per group [num_groups] (opset 18) or per channel [C] (opset 21), told apart by
 * their length; attrs epsilon, num_groups (stash_type: statistics are in double anyway). */
static int k_groupnorm(rt_kargs *a, int mode) {
    if (!chk_x(a, mode, 2, 2)) return RTK_FAILV(mode);
    const rt_tensor *X = &a->in[0];
    int f64 = X->dtype == RT_F64;
    int64_t N = X->dims[0], C = X->dims[1], P = 1, G = rt_attr_i(a->a, a->na, "num_groups", 0);
    for (int i = 2; i < X->rank; i++) P *= X->dims[i];
    if (G < 1 || C % G)
        return rtk_fail(a, mode, "GroupNormalization: num_groups %lld must divide channels %lld",
                        (long long)G, (long long)C);
    int64_t n1 = a->in[1].rank == 1 ? a->in[1].dims[0] : -1;
    int per_c = n1 == C;
    if (!chk_vec(a, mode, 1, per_c ? C : G, "scale") || !chk_vec(a, mode, 2, per_c ? C : G, "bias"))
        return rtk_fail(a, mode, "GroupNormalization: scale and bias must both be [%lld] or [%lld]",
                        (long long)C, (long long)G);
    DONE_IF_NOT_RUN(a, mode);
    double eps = rt_attr_f(a->a, a->na, "epsilon", 1e-5f);
    const void *x = X->data, *sc = a->in[1].data, *bi = a->in[2].data;
    void *y = a->out[0].data;
    int64_t Cg = C / G, gsz = Cg * P, ng = N * G;
    int nt = rtk_threads(a, ng * gsz);
    #pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t q = 0; q < ng; q++) {
        int64_t g = q % G, base = q * gsz;
        double m, inv;
        stats(x, base, gsz, f64, eps, &m, &inv);
        for (int64_t c = 0; c < Cg; c++) {
            int64_t pi = per_c ? g * Cg + c : g;
            double mul = inv * ld(sc, pi, f64), add = ld(bi, pi, f64) - m * mul;
            for (int64_t j = 0; j < P; j++) {
                int64_t o = base + c * P + j;
                st(y, o, f64, ld(x, o, f64) * mul + add);
            }
        }
    }
    return 0;
}

/* LpNormalization(X) -> Y = X / ||X||_p along axis; attrs axis (-1), p (1 or 2). A zero
 * norm gives 0 (not 0/0). */
static int k_lpnorm(rt_kargs *a, int mode) {
    if (!chk_x(a, mode, 1, 0)) return RTK_FAILV(mode);
    const rt_tensor *X = &a->in[0];
    int f64 = X->dtype == RT_F64;
    int axis = rtk_axis(rt_attr_i(a->a, a->na, "axis", -1), X->rank);
    int64_t p = rt_attr_i(a->a, a->na, "p", 2);
    if (axis < 0) return rtk_fail(a, mode, "LpNormalization: axis out of range for rank %d", X->rank);
    if (p != 1 && p != 2) return rtk_fail(a, mode, "LpNormalization: p must be 1 or 2, got %lld", (long long)p);
    DONE_IF_NOT_RUN(a, mode);
    int64_t outer = 1, n = X->dims[axis], inner = 1;
    for (int i = 0; i < axis; i++) outer *= X->dims[i];
    for (int i = axis + 1; i < X->rank; i++) inner *= X->dims[i];
    const void *x = X->data;
    void *y = a->out[0].data;
    int64_t lines = outer * inner;
    int nt = rtk_threads(a, lines * n);
    #pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t l = 0; l < lines; l++) {
        int64_t base = (l / inner) * n * inner + l % inner;
        double s = 0;
        for (int64_t j = 0; j < n; j++) {
            double v = ld(x, base + j * inner, f64);
            s += p == 1 ? fabs(v) : v * v;
        }
        double norm = p == 1 ? s : sqrt(s);
        for (int64_t j = 0; j < n; j++)
            st(y, base + j * inner, f64, norm > 0 ? ld(x, base + j * inner, f64) / norm : 0.0);
    }
    return 0;
}

int rtk_norm(rt_kargs *a, int mode) {
    switch (a->op) {   /* int switch: rt_cpu.c's dispatch is the exhaustive one */
    case RT_OP_BATCHNORMALIZATION: return k_batchnorm(a, mode);
    case RT_OP_INSTANCENORMALIZATION: return k_instnorm(a, mode);
    case RT_OP_LAYERNORMALIZATION: return k_layernorm(a, mode);
    case RT_OP_GROUPNORMALIZATION: return k_groupnorm(a, mode);
    case RT_OP_LPNORMALIZATION: return k_lpnorm(a, mode);
    default: break;
    }
    return rtk_fail(a, mode, "%s is not a normalization op", OPN(a));
}
