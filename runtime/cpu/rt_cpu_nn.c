/* rt_cpu_nn.c - the nn kernel family: the losses (NegativeLogLikelihoodLoss,
 * SoftmaxCrossEntropyLoss), Shrink, LRN, MeanVarianceNormalization, Det, ReverseSequence.
 *
 * Float tensors are float32, float64 or float16; arithmetic is done in double whatever the
 * dtype (sums, log-sum-exp, LU) and rounded once on store. Shrink also takes integer tensors;
 * ReverseSequence moves elements of any fixed-size dtype. Only Det needs scratch (one M x M
 * matrix of doubles). SUPPORTS checks dtypes, attributes, ranks and the output dims, never
 * data; RUN checks the values (targets, sequence lengths) before writing anything.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "rt_cpu_elem.h"
#include "rt_cpu_nn.h"

#define OPN(a) rtk_op_name((a)->op)

/* SUPPORTS answers yes; SCRATCH leaves a->scratch_need as the op set it (0 unless Det). */
#define DONE_IF_NOT_RUN(mode) do { \
    if ((mode) == RTK_SUPPORTS) return 1; \
    if ((mode) == RTK_SCRATCH) return 0; } while (0)

/* ---- element access: everything goes through double ---- */

static int is_fp(int dt) { return dt == RT_F32 || dt == RT_F64 || dt == RT_F16; }

static inline double ld(int dt, const void *p, int64_t i) {
    switch (dt) {
    case RT_F64: return ((const double *)p)[i];
    case RT_F16: return rtk_f16_to_f32(((const uint16_t *)p)[i]);
    case RT_I8: return ((const int8_t *)p)[i];
    case RT_U8: return ((const uint8_t *)p)[i];
    case RT_I16: return ((const int16_t *)p)[i];
    case RT_U16: return ((const uint16_t *)p)[i];
    case RT_I32: return ((const int32_t *)p)[i];
    case RT_U32: return ((const uint32_t *)p)[i];
    case RT_I64: return (double)((const int64_t *)p)[i];
    case RT_U64: return (double)((const uint64_t *)p)[i];
    default: return ((const float *)p)[i];
    }
}

/* Integers truncate toward zero and wrap like a C cast from int64 (NaN and values beyond
 * int64 store 0). */
static inline void st(int dt, void *p, int64_t i, double v) {
    int64_t q = v > -9.2e18 && v < 9.2e18 ? (int64_t)v : 0;
    switch (dt) {
    case RT_F64: ((double *)p)[i] = v; break;
    case RT_F16: ((uint16_t *)p)[i] = rtk_f32_to_f16((float)v); break;
    case RT_I8: ((int8_t *)p)[i] = (int8_t)q; break;
    case RT_U8: ((uint8_t *)p)[i] = (uint8_t)q; break;
    case RT_I16: ((int16_t *)p)[i] = (int16_t)q; break;
    case RT_U16: ((uint16_t *)p)[i] = (uint16_t)q; break;
    case RT_I32: ((int32_t *)p)[i] = (int32_t)q; break;
    case RT_U32: ((uint32_t *)p)[i] = (uint32_t)q; break;
    case RT_I64: ((int64_t *)p)[i] = q; break;
    case RT_U64: ((uint64_t *)p)[i] = (uint64_t)q; break;
    default: ((float *)p)[i] = (float)v; break;
    }
}

static inline int64_t ld_index(const rt_tensor *t, int64_t i) {
    return t->dtype == RT_I32 ? ((const int32_t *)t->data)[i] : ((const int64_t *)t->data)[i];
}

/* ---- checks ---- */

/* Tensor t usable: sane shape; in RUN, data when it holds elements. */
static int chk_t(rt_kargs *a, int mode, const rt_tensor *t, const char *what) {
    if (!rtk_shape_ok(t))
        return RTK_FAIL0(a, mode, "%s: %s has a bad shape (rank %d)", OPN(a), what, (int)t->rank);
    if (mode == RTK_RUN && !t->data && rt_numel(t) > 0)
        return RTK_FAIL0(a, mode, "%s: %s has no data", OPN(a), what);
    return 1;
}

/* Input 0 present and usable, with a float dtype when need_fp. */
static int chk_x(rt_kargs *a, int mode, int need_fp) {
    if (a->nin < 1 || !rtk_has(a, 0) || a->nout < 1)
        return RTK_FAIL0(a, mode, "%s: needs input 0 and an output", OPN(a));
    const rt_tensor *X = &a->in[0];
    if (!chk_t(a, mode, X, "input 0")) return 0;
    if (need_fp && !is_fp(X->dtype))
        return RTK_FAIL0(a, mode, "%s: dtype %s not supported on CPU (float32, float64, float16)",
                     OPN(a), rtk_dtype_name(X->dtype));
    return 1;
}

/* Output i present, dtype dt, exactly these dims. */
static int chk_out(rt_kargs *a, int mode, int i, int dt, int rank, const int64_t *dims) {
    char e[160], g[160];
    if (i >= a->nout || a->out[i].rank < 0) return RTK_FAIL0(a, mode, "%s: output %d missing", OPN(a), i);
    const rt_tensor *o = &a->out[i];
    if (!chk_t(a, mode, o, i ? "output 1" : "output 0")) return 0;
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

/* ---- losses ---- */

/* NegativeLogLikelihoodLoss(input, target, weight?) -> loss;
 * SoftmaxCrossEntropyLoss(scores, labels, weights?) -> output, log_prob?.
 * input [N,C,d1..dk] float, target [N,d1..dk] int32/int64, weight [C] of input's dtype; attrs
 * reduction ("mean"), ignore_index (none by default). With x = input (NLL) or
 * log_softmax(scores, axis 1) (SCE, which log_prob gets): loss[n,d] = -w[t]*x[n,t,d] with
 * t = target[n,d]; an element whose t is ignore_index has loss 0 and weight 0. "none" keeps
 * [N,d1..dk], "sum" sums, "mean" divides the sum by the sum of the weights (0/0 = NaN when
 * every element is ignored, as in the ONNX reference). A t outside [0, C) that is not
 * ignore_index is a run-time error. */
static int k_loss(rt_kargs *a, int mode) {
    int sce = a->op == RT_OP_SOFTMAXCROSSENTROPYLOSS;
    if (!chk_x(a, mode, 1)) return RTK_FAILV(mode);
    if (a->nin < 2 || !rtk_has(a, 1)) return rtk_fail(a, mode, "%s: input 1 (target) is required", OPN(a));
    const rt_tensor *X = &a->in[0], *T = &a->in[1], *W = rtk_has(a, 2) ? &a->in[2] : NULL;
    if (!chk_t(a, mode, T, "input 1 (target)") || (W && !chk_t(a, mode, W, "input 2 (weight)")))
        return RTK_FAILV(mode);
    if (X->rank < 2)
        return rtk_fail(a, mode, "%s: input 0 must be [N, C, ...], got rank %d", OPN(a), (int)X->rank);
    if (T->dtype != RT_I32 && T->dtype != RT_I64)
        return rtk_fail(a, mode, "%s: target must be int32 or int64, got %s", OPN(a),
                        rtk_dtype_name(T->dtype));
    int ok = T->rank == X->rank - 1;
    for (int j = 0; ok && j < T->rank; j++) ok = T->dims[j] == X->dims[j ? j + 1 : 0];
    if (!ok) {
        char s1[160], s2[160];
        return rtk_fail(a, mode, "%s: target is %s; expected input 0 %s without dim 1", OPN(a),
                        rtk_dims_str(s1, sizeof s1, T->rank, T->dims),
                        rtk_dims_str(s2, sizeof s2, X->rank, X->dims));
    }
    int64_t N = X->dims[0], C = X->dims[1], D = 1;
    for (int j = 2; j < X->rank; j++) D *= X->dims[j];
    if (W && (W->dtype != X->dtype || W->rank != 1 || W->dims[0] != C))
        return rtk_fail(a, mode, "%s: weight must be [%lld] of %s", OPN(a), (long long)C,
                        rtk_dtype_name(X->dtype));
    const char *rs = rt_attr_s(a->a, a->na, "reduction", "mean");
    int none = strcmp(rs, "none") == 0, mean = strcmp(rs, "mean") == 0;
    if (!none && !mean && strcmp(rs, "sum") != 0)
        return rtk_fail(a, mode, "%s: reduction '%s' must be none, sum or mean", OPN(a), rs);
    if (!chk_out(a, mode, 0, X->dtype, none ? T->rank : 0, T->dims)) return RTK_FAILV(mode);
    int has_lp = sce && a->nout >= 2 && a->out[1].rank >= 0;
    if (has_lp && !chk_out(a, mode, 1, X->dtype, X->rank, X->dims)) return RTK_FAILV(mode);
    const rt_attr *iia = rt_attr_find(a->a, a->na, "ignore_index");
    int has_ii = iia && iia->type == RT_ATTR_INT;
    int64_t ii = has_ii ? iia->i : 0;
    DONE_IF_NOT_RUN(mode);

    int dt = X->dtype;
    const void *x = X->data;
    for (int64_t i = 0; i < N * D; i++) {
        int64_t t = ld_index(T, i);
        if ((has_ii && t == ii) || (t >= 0 && t < C)) continue;
        return rtk_fail(a, mode, "%s: target %lld (element %lld) is outside [0, %lld) and is "
                        "not ignore_index", OPN(a), (long long)t, (long long)i, (long long)C);
    }
    if (has_lp) {
        void *lp = a->out[1].data;
        int nt = rtk_threads(a, N * C * D);
        #pragma omp parallel for num_threads(nt) schedule(static)
        for (int64_t q = 0; q < N * D; q++) {
            int64_t base = q / D * C * D + q % D;
            double m = -INFINITY, s = 0;
            for (int64_t c = 0; c < C; c++) m = fmax(m, ld(dt, x, base + c * D));
            for (int64_t c = 0; c < C; c++) s += exp(ld(dt, x, base + c * D) - m);
            double lse = m + log(s);
            for (int64_t c = 0; c < C; c++) st(dt, lp, base + c * D, ld(dt, x, base + c * D) - lse);
        }
    }
    double sum = 0, wsum = 0;
    for (int64_t q = 0; q < N * D; q++) {
        int64_t t = ld_index(T, q), base = q / D * C * D + q % D;
        double l = 0, w = 0;
        if (!(has_ii && t == ii)) {
            double v;
            if (has_lp) {
                v = ld(dt, a->out[1].data, base + t * D);
            } else if (sce) {
                double m = -INFINITY, s = 0;
                for (int64_t c = 0; c < C; c++) m = fmax(m, ld(dt, x, base + c * D));
                for (int64_t c = 0; c < C; c++) s += exp(ld(dt, x, base + c * D) - m);
                v = ld(dt, x, base + t * D) - m - log(s);
            } else {
                v = ld(dt, x, base + t * D);
            }
            w = W ? ld(dt, W->data, t) : 1.0;
            l = -w * v;
        }
        if (none) st(dt, a->out[0].data, q, l);
        sum += l;
        wsum += w;
    }
    if (!none) st(dt, a->out[0].data, 0, mean ? sum / wsum : sum);
    return 0;
}

/* ---- elementwise and over channels ---- */

/* Shrink(input) -> output: x < -lambd ? x + bias : x > lambd ? x - bias : 0; attrs bias (0),
 * lambd (0.5); float or integer tensors (integers computed in double, truncated on store) */
static int k_shrink(rt_kargs *a, int mode) {
    if (!chk_x(a, mode, 0)) return RTK_FAILV(mode);
    const rt_tensor *X = &a->in[0];
    int dt = X->dtype;
    if (!is_fp(dt) && !rtk_is_int(dt))
        return rtk_fail(a, mode, "Shrink: dtype %s not supported on CPU", rtk_dtype_name(dt));
    if (!chk_out(a, mode, 0, dt, X->rank, X->dims)) return RTK_FAILV(mode);
    DONE_IF_NOT_RUN(mode);
    float bias = rt_attr_f(a->a, a->na, "bias", 0.0f), lambd = rt_attr_f(a->a, a->na, "lambd", 0.5f);
    int64_t n = rt_numel(X);
    const void *x = X->data;
    void *y = a->out[0].data;
    int nt = rtk_threads(a, n);
    if (dt == RT_F32) {
        const float *xf = x;
        float *yf = y;
        #pragma omp parallel for num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; i++) {
            float v = xf[i];
            yf[i] = v < -lambd ? v + bias : v > lambd ? v - bias : 0.0f;
        }
        return 0;
    }
    #pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        double v = ld(dt, x, i);
        st(dt, y, i, v < -(double)lambd ? v + bias : v > lambd ? v - bias : 0.0);
    }
    return 0;
}

/* LRN(X) -> Y, X [N,C,d1..dk]: y = x / (bias + alpha/size * s)^beta with s the sum of x^2
 * over channels [c - floor((size-1)/2), c + ceil((size-1)/2)] (clipped to [0, C)); attrs
 * alpha (1e-4), beta (0.75), bias (1.0), size (required, >= 1) */
static int k_lrn(rt_kargs *a, int mode) {
    if (!chk_x(a, mode, 1)) return RTK_FAILV(mode);
    const rt_tensor *X = &a->in[0];
    if (X->rank < 2)
        return rtk_fail(a, mode, "LRN: input 0 must be [N, C, ...], got rank %d", (int)X->rank);
    const rt_attr *sa = rt_attr_find(a->a, a->na, "size");
    if (!sa || sa->type != RT_ATTR_INT || sa->i < 1)
        return rtk_fail(a, mode, "LRN: attribute size must be given as an int >= 1");
    if (!chk_out(a, mode, 0, X->dtype, X->rank, X->dims)) return RTK_FAILV(mode);
    DONE_IF_NOT_RUN(mode);
    int dt = X->dtype;
    int64_t size = sa->i, c1 = (size - 1) / 2, c2 = size - 1 - c1;
    double alpha = rt_attr_f(a->a, a->na, "alpha", 1e-4f), beta = rt_attr_f(a->a, a->na, "beta", 0.75f),
           bias = rt_attr_f(a->a, a->na, "bias", 1.0f);
    int64_t N = X->dims[0], C = X->dims[1], P = 1;
    for (int j = 2; j < X->rank; j++) P *= X->dims[j];
    const void *x = X->data;
    void *y = a->out[0].data;
    int nt = rtk_threads(a, N * C * P * (size < C ? size : C));
    #pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t q = 0; q < N * C; q++) {
        int64_t n = q / C, c = q % C;
        int64_t lo = c - c1 < 0 ? 0 : c - c1, hi = c + c2 >= C ? C - 1 : c + c2;
        for (int64_t p = 0; p < P; p++) {
            double s = 0;
            for (int64_t k = lo; k <= hi; k++) {
                double v = ld(dt, x, (n * C + k) * P + p);
                s += v * v;
            }
            st(dt, y, q * P + p, ld(dt, x, q * P + p) / pow(bias + alpha / (double)size * s, beta));
        }
    }
    return 0;
}

/* MeanVarianceNormalization(X) -> Y = (X - mean) / (sqrt(var) + 1e-9), mean and (population)
 * variance taken over attr axes (default [0, 2, 3]) */
static int k_mvn(rt_kargs *a, int mode) {
    if (!chk_x(a, mode, 1)) return RTK_FAILV(mode);
    const rt_tensor *X = &a->in[0];
    static const int64_t dflt[3] = {0, 2, 3};
    const rt_attr *aa = rt_attr_find(a->a, a->na, "axes");
    const int64_t *axes = dflt;
    int na = 3;
    if (aa) {
        if (aa->type != RT_ATTR_INTS) return rtk_fail(a, mode, "MeanVarianceNormalization: axes must be ints");
        axes = aa->ints;
        na = aa->n;
    }
    int red[RT_MAX_RANK] = {0};
    for (int k = 0; k < na; k++) {
        int ax = rtk_axis(axes[k], X->rank);
        if (ax < 0)
            return rtk_fail(a, mode, "MeanVarianceNormalization: axis %lld is out of range for "
                            "rank %d", (long long)axes[k], (int)X->rank);
        if (red[ax]++)
            return rtk_fail(a, mode, "MeanVarianceNormalization: axis %lld is repeated",
                            (long long)axes[k]);
    }
    if (!chk_out(a, mode, 0, X->dtype, X->rank, X->dims)) return RTK_FAILV(mode);
    DONE_IF_NOT_RUN(mode);
    /* kept dims (the groups) and reduced dims, each with its element stride */
    int64_t kd[RT_MAX_RANK], ks[RT_MAX_RANK], rd[RT_MAX_RANK], rs[RT_MAX_RANK], stride = 1;
    int nk = 0, nr = 0;
    int64_t G = 1, R = 1;
    for (int j = X->rank - 1; j >= 0; j--) {
        if (red[j]) rd[nr] = X->dims[j], rs[nr++] = stride, R *= X->dims[j];
        else kd[nk] = X->dims[j], ks[nk++] = stride, G *= X->dims[j];
        stride *= X->dims[j];
    }
    if (G == 0 || R == 0) return 0;
    int dt = X->dtype;
    const void *x = X->data;
    void *y = a->out[0].data;
    int nt = rtk_threads(a, G * R);
    #pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t g = 0; g < G; g++) {
        int64_t base = 0, rem = g;
        for (int j = 0; j < nk; j++) base += rem % kd[j] * ks[j], rem /= kd[j];
        double sum = 0, ss = 0;
        for (int pass = 0; pass < 3; pass++) {
            double mean = sum / (double)R, sd = sqrt(ss / (double)R) + 1e-9;
            for (int64_t r = 0; r < R; r++) {
                int64_t off = base;
                rem = r;
                for (int j = 0; j < nr; j++) off += rem % rd[j] * rs[j], rem /= rd[j];
                double v = ld(dt, x, off);
                if (pass == 0) sum += v;
                else if (pass == 1) ss += (v - mean) * (v - mean);
                else st(dt, y, off, (v - mean) / sd);
            }
        }
    }
    return 0;
}

/* ---- linear algebra ---- */

/* Det(X) -> Y: X [*, M, M] float, Y [*]; LU with partial pivoting in double, in scratch
 * (M*M doubles). An empty (0 x 0) matrix has determinant 1. */
static int k_det(rt_kargs *a, int mode) {
    if (!chk_x(a, mode, 1)) return RTK_FAILV(mode);
    const rt_tensor *X = &a->in[0];
    if (X->rank < 2 || X->dims[X->rank - 1] != X->dims[X->rank - 2]) {
        char s[160];
        return rtk_fail(a, mode, "Det: input 0 is %s; expected [*, M, M]",
                        rtk_dims_str(s, sizeof s, X->rank, X->dims));
    }
    if (!chk_out(a, mode, 0, X->dtype, X->rank - 2, X->dims)) return RTK_FAILV(mode);
    int64_t M = X->dims[X->rank - 1];
    if (M > 0 && M > (int64_t)(SIZE_MAX / sizeof(double)) / M)
        return rtk_fail(a, mode, "Det: %lld x %lld matrices are too large", (long long)M, (long long)M);
    a->scratch_need = (size_t)(M * M) * sizeof(double);
    DONE_IF_NOT_RUN(mode);
    if (a->k->scratch_size < a->scratch_need || (a->scratch_need && !a->k->scratch))
        return rtk_fail(a, mode, "Det: needs %zu bytes of scratch, got %zu", a->scratch_need,
                        a->k->scratch_size);
    int dt = X->dtype;
    int64_t B = rt_numel(&a->out[0]);
    double *m = a->k->scratch;
    for (int64_t b = 0; b < B; b++) {
        for (int64_t i = 0; i < M * M; i++) m[i] = ld(dt, X->data, b * M * M + i);
        double det = 1;
        for (int64_t c = 0; c < M && det != 0; c++) {
            int64_t p = c;
            for (int64_t r = c + 1; r < M; r++)
                if (fabs(m[r * M + c]) > fabs(m[p * M + c])) p = r;
            if (m[p * M + c] == 0) {
                det = 0;
                break;
            }
            if (p != c) {
                for (int64_t j = 0; j < M; j++) {
                    double t = m[c * M + j];
                    m[c * M + j] = m[p * M + j];
                    m[p * M + j] = t;
                }
                det = -det;
            }
            double piv = m[c * M + c];
            det *= piv;
            for (int64_t r = c + 1; r < M; r++) {
                double f = m[r * M + c] / piv;
                if (f == 0) continue;
                for (int64_t j = c + 1; j < M; j++) m[r * M + j] -= f * m[c * M + j];
            }
        }
        st(dt, a->out[0].data, b, det);
    }
    return 0;
}

/* ---- data movement ---- */

/* ReverseSequence(input, sequence_lens) -> Y: for each batch entry b, the first
 * sequence_lens[b] steps along time_axis reversed, the rest copied; attrs batch_axis (1),
 * time_axis (0): 0 and 1 either way round; sequence_lens [batch] int64 (int32 accepted),
 * each in [0, time steps] */
static int k_revseq(rt_kargs *a, int mode) {
    if (!chk_x(a, mode, 0)) return RTK_FAILV(mode);
    const rt_tensor *X = &a->in[0];
    size_t es = rt_dtype_size(X->dtype);
    if (!es) return rtk_fail(a, mode, "ReverseSequence: dtype %s not supported", rtk_dtype_name(X->dtype));
    int64_t ba = rt_attr_i(a->a, a->na, "batch_axis", 1), ta = rt_attr_i(a->a, a->na, "time_axis", 0);
    if ((ba != 0 && ba != 1) || (ta != 0 && ta != 1) || ba == ta)
        return rtk_fail(a, mode, "ReverseSequence: batch_axis=%lld and time_axis=%lld must be 0 "
                        "and 1 (either way round)", (long long)ba, (long long)ta);
    if (X->rank < 2)
        return rtk_fail(a, mode, "ReverseSequence: input 0 must have rank >= 2, got %d", (int)X->rank);
    if (a->nin < 2 || !rtk_has(a, 1))
        return rtk_fail(a, mode, "ReverseSequence: input 1 (sequence_lens) is required");
    const rt_tensor *L = &a->in[1];
    if (!chk_t(a, mode, L, "input 1 (sequence_lens)")) return RTK_FAILV(mode);
    int64_t B = X->dims[ba], T = X->dims[ta];
    if ((L->dtype != RT_I64 && L->dtype != RT_I32) || L->rank != 1 || L->dims[0] != B)
        return rtk_fail(a, mode, "ReverseSequence: sequence_lens must be int64 [%lld]", (long long)B);
    if (!chk_out(a, mode, 0, X->dtype, X->rank, X->dims)) return RTK_FAILV(mode);
    DONE_IF_NOT_RUN(mode);
    for (int64_t b = 0; b < B; b++) {
        int64_t l = ld_index(L, b);
        if (l < 0 || l > T)
            return rtk_fail(a, mode, "ReverseSequence: sequence_lens[%lld] = %lld is outside "
                            "[0, %lld]", (long long)b, (long long)l, (long long)T);
    }
    int64_t inner = 1;
    for (int j = 2; j < X->rank; j++) inner *= X->dims[j];
    size_t row = (size_t)inner * es;
    const char *x = X->data;
    char *y = a->out[0].data;
    for (int64_t b = 0; b < B; b++) {
        int64_t l = ld_index(L, b);
        for (int64_t t = 0; t < T; t++) {
            int64_t s = t < l ? l - 1 - t : t;
            int64_t dst = ba == 0 ? b * T + t : t * B + b, src = ba == 0 ? b * T + s : s * B + b;
            if (row) memcpy(y + (size_t)dst * row, x + (size_t)src * row, row);
        }
    }
    return 0;
}

int rtk_nn(rt_kargs *a, int mode) {
    switch (a->op) {
    case RT_OP_NEGATIVELOGLIKELIHOODLOSS:
    case RT_OP_SOFTMAXCROSSENTROPYLOSS:
        return k_loss(a, mode);
    case RT_OP_SHRINK:
        return k_shrink(a, mode);
    case RT_OP_LRN:
        return k_lrn(a, mode);
    case RT_OP_MEANVARIANCENORMALIZATION:
        return k_mvn(a, mode);
    case RT_OP_DET:
        return k_det(a, mode);
    case RT_OP_REVERSESEQUENCE:
        return k_revseq(a, mode);
    default:
        return rtk_fail(a, mode, "%s is not in the nn family", OPN(a));
    }
}
