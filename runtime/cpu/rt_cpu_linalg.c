/* rt_cpu_linalg.c - the linear-algebra kernel family: MatMul, Gemm, Einsum, Conv,
 * ConvTranspose, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool.
 *
 * Every matrix product goes through OpenBLAS (cblas_sgemm / cblas_dgemm); the loops around
 * it (im2col, col2im, pools, the general Einsum) are plain C with OpenMP over independent
 * rows or planes. OpenBLAS's own thread count is left to its environment
 * (OPENBLAS_NUM_THREADS): no BLAS call is made from inside an OpenMP region.
 *
 * Each op has one plan function that checks dtypes, attributes and every shape (the
 * outputs' included) and derives the geometry. SUPPORTS, SCRATCH and RUN all go through it,
 * so a kernel never reads or writes outside the tensors it was given, whatever dims arrive.
 * Scratch (Conv's im2col and ConvTranspose's column buffer) comes from a->k->scratch.
 *
 * Dtypes: float32 for everything; float64 for MatMul, Gemm, Einsum, Conv and the global pools;
 * MaxPool also float16, float64, int8, uint8 and AveragePool float16, float64.
 */
#include <cblas.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "rt_cpu_elem.h"

#define OPN(a) rtk_op_name((a)->op)

/* ---- shared checks ---- */

/* x*y into *r; 0 if either is negative or the product overflows. */
static int mul_ok(int64_t x, int64_t y, int64_t *r) {
    if (x < 0 || y < 0) return 0;
    return !__builtin_mul_overflow(x, y, r);
}

/* Input i given (an omitted optional input has rank -1). */
static int in_present(const rt_kargs *a, int i) { return i < a->nin && a->in[i].rank >= 0; }
static int out_present(const rt_kargs *a, int i) { return i < a->nout && a->out[i].rank >= 0; }

/* A usable input: sane rank and dims, one of the allowed float dtypes, data when running. */
static int chk_in(rt_kargs *a, int mode, int i, int dtype) {
    const rt_tensor *t = &a->in[i];
    if (!rtk_shape_ok(t))
        return RTK_FAIL0(a, mode, "%s: input %d has a bad shape (rank %d)", OPN(a), i, (int)t->rank);
    if (t->dtype != dtype)
        return RTK_FAIL0(a, mode, "%s: input %d is %s, expected %s", OPN(a), i,
                        rtk_dtype_name(t->dtype), rtk_dtype_name(dtype));
    if (mode == RTK_RUN && !t->data && rt_numel(t) > 0)
        return RTK_FAIL0(a, mode, "%s: input %d has no data", OPN(a), i);
    return 1;
}

/* Output i must have exactly this dtype and shape (set by shape inference). */
static int chk_out(rt_kargs *a, int mode, int i, int dtype, int rank, const int64_t *dims) {
    char e[128], g[128];
    if (i >= a->nout) return RTK_FAIL0(a, mode, "%s: output %d missing", OPN(a), i);
    const rt_tensor *o = &a->out[i];
    if (!rtk_shape_ok(o)) return RTK_FAIL0(a, mode, "%s: output %d has a bad shape", OPN(a), i);
    if (o->dtype != dtype)
        return RTK_FAIL0(a, mode, "%s: output %d is %s, expected %s", OPN(a), i,
                        rtk_dtype_name(o->dtype), rtk_dtype_name(dtype));
    int same = o->rank == rank;
    for (int d = 0; same && d < rank; d++) same = o->dims[d] == dims[d];
    if (!same)
        return RTK_FAIL0(a, mode, "%s: output %d has shape %s, expected %s", OPN(a), i,
                        o->rank >= 0 && o->rank <= RT_MAX_RANK
                            ? rtk_dims_str(g, sizeof g, o->rank, o->dims) : "(bad rank)",
                        rtk_dims_str(e, sizeof e, rank, dims));
    if (mode == RTK_RUN && !o->data && rt_numel(o) > 0)
        return RTK_FAIL0(a, mode, "%s: output %d has no data", OPN(a), i);
    return 1;
}

/* Element dtype of input 0 if it is float32 or float64 (or allowed64 == 0: float32 only). */
static int chk_float(rt_kargs *a, int mode, int allow64) {
    if (a->nin < 1 || a->nout < 1) return RTK_FAIL0(a, mode, "%s: needs an input and an output", OPN(a));
    int dt = a->in[0].dtype;
    if (dt == RT_F32 || (allow64 && dt == RT_F64)) return 1;
    return RTK_FAIL0(a, mode, "%s: dtype %s not supported on CPU (float32%s only)", OPN(a),
                    rtk_dtype_name(dt), allow64 ? "/float64" : "");
}

/* Scratch check for RUN: the caller's buffer must hold need bytes. */
static int chk_scratch(rt_kargs *a, int mode, size_t need) {
    if (mode == RTK_SCRATCH) { a->scratch_need = need; return 1; }
    if (mode == RTK_RUN && need > 0 && (!a->k->scratch || a->k->scratch_size < need))
        return RTK_FAIL0(a, mode, "%s: scratch of %zu bytes given, %zu needed", OPN(a),
                        a->k->scratch ? a->k->scratch_size : (size_t)0, need);
    return 1;
}

/* The int range cblas takes. */
static int blas_ok(int64_t x) { return x >= 0 && x <= INT_MAX; }

/* C[M,N] = alpha*op(A)*op(B) + beta*C, row-major, through cblas. Empty products are handled
 * here (BLAS rejects a leading dimension of 0). */
static void gemm(int f64, int ta, int tb, int64_t M, int64_t N, int64_t K, double alpha,
                 const void *A, int64_t lda, const void *B, int64_t ldb, double beta, void *C,
                 int64_t ldc) {
    if (M == 0 || N == 0) return;
    if (K == 0) {
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                if (f64) { double *c = (double *)C + i * ldc + j; *c = beta == 0 ? 0 : *c * beta; }
                else { float *c = (float *)C + i * ldc + j; *c = beta == 0 ? 0 : *c * (float)beta; }
            }
        return;
    }
    enum CBLAS_TRANSPOSE tA = ta ? CblasTrans : CblasNoTrans, tB = tb ? CblasTrans : CblasNoTrans;
    if (f64)
        cblas_dgemm(CblasRowMajor, tA, tB, (blasint)M, (blasint)N, (blasint)K, alpha, A,
                    (blasint)lda, B, (blasint)ldb, beta, C, (blasint)ldc);
    else
        cblas_sgemm(CblasRowMajor, tA, tB, (blasint)M, (blasint)N, (blasint)K, (float)alpha, A,
                    (blasint)lda, B, (blasint)ldb, (float)beta, C, (blasint)ldc);
}

/* ---- MatMul ---- */

/* MatMul(A, B) -> Y: numpy matmul. A 1-D A is a row [1,K] whose M dim is dropped from Y, a
 * 1-D B a column [K,1] whose N dim is dropped; leading (batch) dims broadcast. */
typedef struct mm_plan {
    int64_t M, N, K, batch;
    int brank;                      /* Y's batch rank */
    int64_t bdims[RT_MAX_RANK];
    int64_t sa[RT_MAX_RANK], sb[RT_MAX_RANK]; /* per Y batch dim: element step in A / B */
    int fold;                       /* one B matrix, A not broadcast: a single gemm */
    int f64;
    int tb;                         /* RT_ATTR_MATMUL_TRANSB: B [N,K] read transposed */
} mm_plan;

static int mm_plan_make(rt_kargs *a, int mode, mm_plan *p) {
    if (!chk_float(a, mode, 1)) return 0;
    int dt = a->in[0].dtype;
    if (a->nin != 2) return RTK_FAIL0(a, mode, "MatMul: needs 2 inputs, got %d", a->nin);
    if (!chk_in(a, mode, 0, dt) || !chk_in(a, mode, 1, dt)) return 0;
    const rt_tensor *A = &a->in[0], *B = &a->in[1];
    int ra = A->rank, rb = B->rank;
    if (ra < 1 || rb < 1) return RTK_FAIL0(a, mode, "MatMul: inputs must have rank >= 1 (got %d, %d)", ra, rb);
    memset(p, 0, sizeof *p);
    p->f64 = dt == RT_F64;
    p->tb = rt_attr_i(a->a, a->na, RT_ATTR_MATMUL_TRANSB, 0) != 0;
    if (p->tb && rb != 2)
        return RTK_FAIL0(a, mode, "MatMul: %s needs a 2-D B (got rank %d)", RT_ATTR_MATMUL_TRANSB, rb);
    p->M = ra > 1 ? A->dims[ra - 2] : 1;
    p->K = A->dims[ra - 1];
    int64_t kb = p->tb ? B->dims[1] : rb > 1 ? B->dims[rb - 2] : B->dims[0];
    p->N = p->tb ? B->dims[0] : rb > 1 ? B->dims[rb - 1] : 1;
    if (kb != p->K)
        return RTK_FAIL0(a, mode, "MatMul: inner dims differ (A has K=%lld, B has K=%lld)",
                        (long long)p->K, (long long)kb);
    int ba = ra > 2 ? ra - 2 : 0, bb = rb > 2 ? rb - 2 : 0;
    p->brank = ba > bb ? ba : bb;
    int64_t mk, kn, stepa, stepb;
    if (!mul_ok(p->M, p->K, &mk) || !mul_ok(p->K, p->N, &kn))
        return RTK_FAIL0(a, mode, "MatMul: size overflow");
    stepa = mk; stepb = kn;
    int64_t na = 1, nb = 1;
    p->batch = 1;
    for (int d = p->brank - 1; d >= 0; d--) {
        int ia = d - (p->brank - ba), ib = d - (p->brank - bb);
        int64_t da = ia >= 0 ? A->dims[ia] : 1, db = ib >= 0 ? B->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return RTK_FAIL0(a, mode, "MatMul: batch dims %lld and %lld do not broadcast",
                            (long long)da, (long long)db);
        p->bdims[d] = da == 1 ? db : da;
        p->sa[d] = da == 1 ? 0 : stepa;
        p->sb[d] = db == 1 ? 0 : stepb;
        if (!mul_ok(stepa, da, &stepa) || !mul_ok(stepb, db, &stepb) ||
            !mul_ok(p->batch, p->bdims[d], &p->batch))
            return RTK_FAIL0(a, mode, "MatMul: size overflow");
        na *= da; nb *= db;
    }
    int64_t od[RT_MAX_RANK];
    int orank = 0;
    for (int d = 0; d < p->brank; d++) od[orank++] = p->bdims[d];
    if (ra > 1) od[orank++] = p->M;
    if (rb > 1) od[orank++] = p->N;
    if (orank > RT_MAX_RANK) return RTK_FAIL0(a, mode, "MatMul: output rank %d too large", orank);
    /* vector . vector: numpy gives a scalar, onnxruntime [1]; both hold the one value */
    if (orank == 0 && a->nout >= 1 && a->out[0].rank == 1 && a->out[0].dims[0] == 1) od[orank++] = 1;
    if (!chk_out(a, mode, 0, dt, orank, od)) return 0;
    p->fold = nb == 1 && na == p->batch;
    int64_t rows;
    if (!mul_ok(p->M, p->batch, &rows)) return RTK_FAIL0(a, mode, "MatMul: size overflow");
    if (!blas_ok(rows) || !blas_ok(p->N) || !blas_ok(p->K))
        return RTK_FAIL0(a, mode, "MatMul: matrix dims exceed the 32-bit BLAS interface");
    return 1;
}

static int k_matmul(rt_kargs *a, int mode) {
    mm_plan p;
    if (!mm_plan_make(a, mode, &p)) return mode == RTK_SUPPORTS ? 0 : -1;
    if (mode == RTK_SUPPORTS) return 1;
    if (mode == RTK_SCRATCH) { a->scratch_need = 0; return 0; }
    const char *A = a->in[0].data, *B = a->in[1].data;
    char *Y = a->out[0].data;
    size_t es = p.f64 ? 8 : 4;
    int64_t ldb = p.tb ? p.K : p.N;
    if (p.fold) {   /* [batch*M, K] @ [K, N]: one call (the Linear-layer case) */
        gemm(p.f64, 0, p.tb, p.M * p.batch, p.N, p.K, 1.0, A, p.K, B, ldb, 0.0, Y, p.N);
        return 0;
    }
    int64_t idx[RT_MAX_RANK] = {0}, oa = 0, ob = 0;
    for (int64_t b = 0; b < p.batch; b++) {
        gemm(p.f64, 0, p.tb, p.M, p.N, p.K, 1.0, A + (size_t)oa * es, p.K, B + (size_t)ob * es, ldb,
             0.0, Y + (size_t)(b * p.M * p.N) * es, p.N);
        for (int d = p.brank - 1; d >= 0; d--) {   /* odometer over Y's batch dims */
            oa += p.sa[d]; ob += p.sb[d];
            if (++idx[d] < p.bdims[d]) break;
            oa -= p.sa[d] * idx[d]; ob -= p.sb[d] * idx[d];
            idx[d] = 0;
        }
    }
    return 0;
}

/* ---- Gemm ---- */

/* Gemm(A, B, C?) -> Y = alpha*A'*B' + beta*C; attrs alpha, beta, transA, transB. A' is A or
 * A^T ([M,K]), B' likewise ([K,N]); C broadcasts unidirectionally to [M,N]. */
static int k_gemm(rt_kargs *a, int mode) {
    if (!chk_float(a, mode, 1)) return mode == RTK_SUPPORTS ? 0 : -1;
    int dt = a->in[0].dtype, f64 = dt == RT_F64;
    if (a->nin < 2) return rtk_fail(a, mode, "Gemm: needs 2 or 3 inputs");
    if (!chk_in(a, mode, 0, dt) || !chk_in(a, mode, 1, dt)) return mode == RTK_SUPPORTS ? 0 : -1;
    int hasc = in_present(a, 2);
    if (hasc && !chk_in(a, mode, 2, dt)) return mode == RTK_SUPPORTS ? 0 : -1;
    const rt_tensor *A = &a->in[0], *B = &a->in[1], *C = hasc ? &a->in[2] : NULL;
    if (A->rank != 2 || B->rank != 2)
        return rtk_fail(a, mode, "Gemm: A and B must be 2-D (got rank %d and %d)", A->rank, B->rank);
    int ta = rt_attr_i(a->a, a->na, "transA", 0) != 0, tb = rt_attr_i(a->a, a->na, "transB", 0) != 0;
    double alpha = rt_attr_f(a->a, a->na, "alpha", 1.0f), beta = rt_attr_f(a->a, a->na, "beta", 1.0f);
    int64_t M = ta ? A->dims[1] : A->dims[0], K = ta ? A->dims[0] : A->dims[1];
    int64_t Kb = tb ? B->dims[1] : B->dims[0], N = tb ? B->dims[0] : B->dims[1];
    if (K != Kb)
        return rtk_fail(a, mode, "Gemm: inner dims differ (A' has K=%lld, B' has K=%lld)",
                        (long long)K, (long long)Kb);
    int64_t sc0 = 0, sc1 = 0;  /* C's steps along M and N (0 = broadcast) */
    if (C) {
        int64_t cm = C->rank == 2 ? C->dims[0] : 1;
        int64_t cn = C->rank >= 1 ? C->dims[C->rank - 1] : 1;
        if (C->rank > 2 || (cm != 1 && cm != M) || (cn != 1 && cn != N))
            return rtk_fail(a, mode, "Gemm: C (rank %d) does not broadcast to [%lld,%lld]",
                            C->rank, (long long)M, (long long)N);
        sc1 = cn == 1 ? 0 : 1;
        sc0 = cm == 1 ? 0 : cn;
    }
    int64_t od[2] = {M, N};
    if (!chk_out(a, mode, 0, dt, 2, od)) return mode == RTK_SUPPORTS ? 0 : -1;
    if (!blas_ok(M) || !blas_ok(N) || !blas_ok(K))
        return rtk_fail(a, mode, "Gemm: matrix dims exceed the 32-bit BLAS interface");
    if (mode == RTK_SUPPORTS) return 1;
    if (mode == RTK_SCRATCH) { a->scratch_need = 0; return 0; }
    void *Y = a->out[0].data;
    double bet = 0;
    if (C && beta != 0) {   /* Y = beta*C first, then the product accumulates into it */
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                int64_t c = i * sc0 + j * sc1;
                if (f64) ((double *)Y)[i * N + j] = beta * ((const double *)C->data)[c];
                else ((float *)Y)[i * N + j] = (float)beta * ((const float *)C->data)[c];
            }
        bet = 1;
    }
    gemm(f64, ta, tb, M, N, K, alpha, A->data, A->dims[1], B->data, B->dims[1], bet, Y, N);
    return 0;
}

/* ---- windows: the spatial geometry shared by Conv, ConvTranspose and the pools ---- */

typedef struct win {
    int nsp;                                        /* spatial dims */
    int64_t in[RT_MAX_RANK], k[RT_MAX_RANK], s[RT_MAX_RANK], d[RT_MAX_RANK];
    int64_t pb[RT_MAX_RANK], pe[RT_MAX_RANK];       /* pads at begin / end */
    int64_t out[RT_MAX_RANK];                       /* expected output dims */
    int64_t alt[RT_MAX_RANK];                       /* also accepted (pools, ceil_mode) */
    int64_t kp, pin, pout;                          /* products of k, in, out */
} win;

enum { AP_NOTSET, AP_SAME_UPPER, AP_SAME_LOWER, AP_VALID };

static int parse_auto_pad(rt_kargs *a, int mode, int *ap) {
    const char *s = rt_attr_s(a->a, a->na, "auto_pad", "NOTSET");
    if (!strcmp(s, "NOTSET") || !*s) *ap = AP_NOTSET;
    else if (!strcmp(s, "SAME_UPPER")) *ap = AP_SAME_UPPER;
    else if (!strcmp(s, "SAME_LOWER")) *ap = AP_SAME_LOWER;
    else if (!strcmp(s, "VALID")) *ap = AP_VALID;
    else return RTK_FAIL0(a, mode, "%s: unknown auto_pad \"%s\"", OPN(a), s);
    return 1;
}

/* INTS attribute `name` of exactly n values, each >= lo, into dst; dflt fills it when absent. */
static int ints_attr(rt_kargs *a, int mode, const char *name, int n, int64_t lo, int64_t dflt,
                     int64_t *dst, int *given) {
    const rt_attr *x = rt_attr_find(a->a, a->na, name);
    if (given) *given = x != NULL;
    if (!x) {
        for (int i = 0; i < n; i++) dst[i] = dflt;
        return 1;
    }
    if (x->type != RT_ATTR_INTS || x->n != n || (n > 0 && !x->ints))
        return RTK_FAIL0(a, mode, "%s: attribute %s must hold %d ints", OPN(a), name, n);
    for (int i = 0; i < n; i++) {
        if (x->ints[i] < lo)
            return RTK_FAIL0(a, mode, "%s: attribute %s[%d] = %lld, must be >= %lld", OPN(a), name,
                            i, (long long)x->ints[i], (long long)lo);
        dst[i] = x->ints[i];
    }
    return 1;
}

/* Window geometry for Conv and the pools. w->in and w->k must be set (kshape_w: kernel dims
 * from the weights, or NULL for pools where kernel_shape is required). ceil is the pools'
 * ceil_mode. Output: out[i] = floor-or-ceil((in + pb + pe - ((k-1)*d+1)) / s) + 1, or
 * ceil(in/s) under SAME_*, where the total pad splits with the extra at the end (UPPER) or
 * the beginning (LOWER). */
static int win_make(rt_kargs *a, int mode, win *w, const int64_t *kshape_w, int ceil) {
    int n = w->nsp, given, ap;
    int64_t pads[2 * RT_MAX_RANK];
    if (!ints_attr(a, mode, "kernel_shape", n, 1, 1, w->k, &given)) return 0;
    if (kshape_w) {
        for (int i = 0; i < n; i++)
            if (given && w->k[i] != kshape_w[i])
                return RTK_FAIL0(a, mode, "%s: kernel_shape[%d] = %lld but the weights have %lld",
                                OPN(a), i, (long long)w->k[i], (long long)kshape_w[i]);
        memcpy(w->k, kshape_w, sizeof(int64_t) * n);
    } else if (!given) {
        return RTK_FAIL0(a, mode, "%s: attribute kernel_shape is required", OPN(a));
    }
    if (!ints_attr(a, mode, "strides", n, 1, 1, w->s, NULL)) return 0;
    if (!ints_attr(a, mode, "dilations", n, 1, 1, w->d, NULL)) return 0;
    if (!ints_attr(a, mode, "pads", 2 * n, 0, 0, pads, NULL)) return 0;
    if (!parse_auto_pad(a, mode, &ap)) return 0;
    w->kp = w->pin = w->pout = 1;
    for (int i = 0; i < n; i++) {
        int64_t ek, num;
        if (!mul_ok(w->k[i] - 1, w->d[i], &ek) || w->in[i] < 0 || w->in[i] > INT64_MAX / 4 ||
            ek > INT64_MAX / 4 || pads[i] > INT64_MAX / 4 || pads[n + i] > INT64_MAX / 4)
            return RTK_FAIL0(a, mode, "%s: window size overflow", OPN(a));
        ek += 1;
        if (ap == AP_SAME_UPPER || ap == AP_SAME_LOWER) {
            w->out[i] = (w->in[i] + w->s[i] - 1) / w->s[i];
            int64_t tot = w->out[i] > 0 ? (w->out[i] - 1) * w->s[i] + ek - w->in[i] : 0;
            if (tot < 0) tot = 0;
            w->pb[i] = ap == AP_SAME_UPPER ? tot / 2 : tot - tot / 2;
            w->pe[i] = tot - w->pb[i];
            w->alt[i] = w->out[i];
        } else {
            w->pb[i] = ap == AP_VALID ? 0 : pads[i];
            w->pe[i] = ap == AP_VALID ? 0 : pads[n + i];
            num = w->in[i] + w->pb[i] + w->pe[i] - ek;
            if (num < 0)
                return RTK_FAIL0(a, mode, "%s: window %lld is larger than the padded input %lld "
                                "(spatial dim %d)", OPN(a), (long long)ek,
                                (long long)(w->in[i] + w->pb[i] + w->pe[i]), i);
            w->out[i] = (ceil ? (num + w->s[i] - 1) / w->s[i] : num / w->s[i]) + 1;
            w->alt[i] = w->out[i];
            /* ceil_mode: frameworks drop a last window that starts in the end padding */
            if (ceil && (w->out[i] - 1) * w->s[i] >= w->in[i] + w->pb[i]) w->alt[i]--;
        }
        if (!mul_ok(w->kp, w->k[i], &w->kp) || !mul_ok(w->pin, w->in[i], &w->pin) ||
            !mul_ok(w->pout, w->out[i], &w->pout))
            return RTK_FAIL0(a, mode, "%s: size overflow", OPN(a));
    }
    return 1;
}

/* ---- Conv ---- */

/* col[(c,kpos), o] = x[c, o*s - pb + kpos*d] (0 outside) for rows [r0,r1) of the im2col matrix
 * of one group of one image; x is [C_g, in...], col is [C_g*prod(k), prod(out)]. Along the last
 * axis the in-image columns are found once per row and copied (memcpy at stride 1) between
 * zero-filled edges; 2-D has its own loop. A bounds check per element cost resnet 56% of its
 * time; this takes resnet from 3.3 to 2.6 ms/batch at 1 thread (bench/README.md, section 1). */
#define DEF_IM2COL(T, NAME)                                                                   \
/* 2-D, without the N-D odometer: output rows outside [i0, i1) and columns outside [j0, j1)  \
 * read the padding (zero); the rest is one run per output row. */                           \
static void NAME##_2d(const win *w, const T *x, T *col, int64_t rows, int nt) {               \
    int64_t H = w->in[0], W = w->in[1], OH = w->out[0], OW = w->out[1], k1 = w->k[1];        \
    int64_t s0 = w->s[0], s1 = w->s[1], kp = w->kp;                                           \
    _Pragma("omp parallel for num_threads(nt) schedule(static)")                              \
    for (int64_t r = 0; r < rows; r++) {                                                      \
        int64_t c = r / kp, kr = r % kp, ki = kr / k1, kj = kr % k1;                          \
        const T *xc = x + c * H * W;                                                          \
        T *dst = col + r * OH * OW;                                                           \
        int64_t hb = ki * w->d[0] - w->pb[0], cb = kj * w->d[1] - w->pb[1];                   \
        int64_t i0 = hb < 0 ? (-hb + s0 - 1) / s0 : 0, j0 = cb < 0 ? (-cb + s1 - 1) / s1 : 0;   \
        int64_t i1 = H - hb > 0 ? (H - hb + s0 - 1) / s0 : 0;                                 \
        int64_t j1 = W - cb > 0 ? (W - cb + s1 - 1) / s1 : 0;                                 \
        if (i1 > OH) i1 = OH;                                                                 \
        if (i0 > i1) i0 = i1;                                                                 \
        if (j1 > OW) j1 = OW;                                                                 \
        if (j0 > j1) j0 = j1;                                                                 \
        memset(dst, 0, (size_t)(i0 * OW) * sizeof(T));                                        \
        memset(dst + i1 * OW, 0, (size_t)((OH - i1) * OW) * sizeof(T));                       \
        for (int64_t oh = i0; oh < i1; oh++) {                                                \
            T *dr = dst + oh * OW;                                                            \
            for (int64_t j = 0; j < j0; j++) dr[j] = (T)0;                                    \
            if (j1 > j0) {                                                                    \
                const T *xr = xc + (oh * s0 + hb) * W + cb + j0 * s1;                         \
                if (s1 == 1) for (int64_t j = j0; j < j1; j++) dr[j] = xr[j - j0];            \
                else for (int64_t j = j0; j < j1; j++) dr[j] = xr[(j - j0) * s1];             \
            }                                                                                 \
            for (int64_t j = j1; j < OW; j++) dr[j] = (T)0;                                   \
        }                                                                                     \
    }                                                                                         \
}                                                                                             \
static void NAME(const win *w, const T *x, T *col, int64_t rows, int nt) {                    \
    int n = w->nsp, L = n - 1;                                                                \
    if (w->pout == 0) return;                                                                 \
    if (n == 2) { NAME##_2d(w, x, col, rows, nt); return; }                                   \
    _Pragma("omp parallel for num_threads(nt) schedule(static)")                              \
    for (int64_t r = 0; r < rows; r++) {                                                      \
        int64_t c = r / w->kp, kr = r % w->kp, kpos[RT_MAX_RANK], opos[RT_MAX_RANK] = {0};    \
        for (int i = L; i >= 0; i--) { kpos[i] = kr % w->k[i]; kr /= w->k[i]; }               \
        const T *xc = x + c * w->pin;                                                         \
        T *dst = col + r * w->pout;                                                           \
        int64_t base = kpos[L] * w->d[L] - w->pb[L], nl = w->out[L], il = w->in[L];           \
        /* the last axis reads x inside the image for output columns [j0, j1) */             \
        int64_t sl = w->s[L], j0 = base < 0 ? (-base + sl - 1) / sl : 0;                     \
        int64_t j1 = il - base > 0 ? (il - base + sl - 1) / sl : 0;                           \
        if (j1 > nl) j1 = nl;                                                                 \
        if (j0 > j1) j0 = j1;                                                                 \
        for (int64_t o = 0; o < w->pout; o += nl) {                                           \
            int64_t off = 0;                                                                  \
            int ok = 1;                                                                       \
            for (int i = 0; i < L; i++) {                                                     \
                int64_t ip = opos[i] * w->s[i] - w->pb[i] + kpos[i] * w->d[i];                \
                if (ip < 0 || ip >= w->in[i]) { ok = 0; break; }                              \
                off = off * w->in[i] + ip;                                                    \
            }                                                                                 \
            if (!ok) {                                                                        \
                for (int64_t j = 0; j < nl; j++) dst[o + j] = (T)0;                           \
            } else {                                                                          \
                const T *xr = xc + off * il;                                                  \
                T *dr = dst + o;                                                              \
                for (int64_t j = 0; j < j0; j++) dr[j] = (T)0;                                \
                if (sl == 1) memcpy(dr + j0, xr + j0 + base, (size_t)(j1 - j0) * sizeof(T));  \
                else for (int64_t j = j0; j < j1; j++) dr[j] = xr[j * sl + base];             \
                for (int64_t j = j1; j < nl; j++) dr[j] = (T)0;                               \
            }                                                                                 \
            for (int i = L - 1; i >= 0; i--) {                                                \
                if (++opos[i] < w->out[i]) break;                                             \
                opos[i] = 0;                                                                  \
            }                                                                                 \
        }                                                                                     \
    }                                                                                         \
}
DEF_IM2COL(float, im2col_f32)
DEF_IM2COL(double, im2col_f64)

typedef struct conv_plan {
    win w;
    int64_t N, C, M, G, Cg, Mg, rows;   /* rows = C_g * prod(k): the im2col height */
    int pointwise;                      /* 1x1, stride 1, no pads: x is its own im2col */
    int f64, hasb;
    size_t scratch;
} conv_plan;

/* Conv(X, W, B?) -> Y; X [N,C,in...], W [M,C/group,k...], B [M], Y [N,M,out...];
 * attrs auto_pad, dilations, group, kernel_shape, pads, strides. */
static int conv_plan_make(rt_kargs *a, int mode, conv_plan *p) {
    if (!chk_float(a, mode, 1)) return 0;
    int dt = a->in[0].dtype;
    if (a->nin < 2) return RTK_FAIL0(a, mode, "Conv: needs 2 or 3 inputs");
    if (!chk_in(a, mode, 0, dt) || !chk_in(a, mode, 1, dt)) return 0;
    memset(p, 0, sizeof *p);
    p->f64 = dt == RT_F64;
    p->hasb = in_present(a, 2);
    if (p->hasb && !chk_in(a, mode, 2, dt)) return 0;
    const rt_tensor *X = &a->in[0], *W = &a->in[1];
    if (X->rank < 3 || W->rank != X->rank)
        return RTK_FAIL0(a, mode, "Conv: X and W need the same rank >= 3 (got %d and %d)",
                        X->rank, W->rank);
    p->w.nsp = X->rank - 2;
    p->N = X->dims[0]; p->C = X->dims[1]; p->M = W->dims[0];
    p->G = rt_attr_i(a->a, a->na, "group", 1);
    if (p->G < 1 || p->C % p->G || p->M % p->G)
        return RTK_FAIL0(a, mode, "Conv: group %lld must divide channels %lld and filters %lld",
                        (long long)p->G, (long long)p->C, (long long)p->M);
    p->Cg = p->C / p->G; p->Mg = p->M / p->G;
    if (W->dims[1] != p->Cg)
        return RTK_FAIL0(a, mode, "Conv: W has %lld input channels per group, expected %lld",
                        (long long)W->dims[1], (long long)p->Cg);
    if (p->hasb && (a->in[2].rank != 1 || a->in[2].dims[0] != p->M))
        return RTK_FAIL0(a, mode, "Conv: bias must be [%lld]", (long long)p->M);
    for (int i = 0; i < p->w.nsp; i++) p->w.in[i] = X->dims[2 + i];
    if (!win_make(a, mode, &p->w, W->dims + 2, 0)) return 0;
    int64_t od[RT_MAX_RANK] = {p->N, p->M};
    memcpy(od + 2, p->w.out, sizeof(int64_t) * p->w.nsp);
    if (!chk_out(a, mode, 0, dt, X->rank, od)) return 0;
    p->pointwise = 1;
    for (int i = 0; i < p->w.nsp; i++)
        if (p->w.k[i] != 1 || p->w.s[i] != 1 || p->w.pb[i] || p->w.pe[i]) p->pointwise = 0;
    int64_t cells;
    if (!mul_ok(p->Cg, p->w.kp, &p->rows) || !mul_ok(p->rows, p->w.pout, &cells) ||
        !mul_ok(cells, p->f64 ? 8 : 4, &cells))
        return RTK_FAIL0(a, mode, "Conv: size overflow");
    if (!blas_ok(p->rows) || !blas_ok(p->w.pout) || !blas_ok(p->Mg))
        return RTK_FAIL0(a, mode, "Conv: dims exceed the 32-bit BLAS interface");
    p->scratch = p->pointwise ? 0 : (size_t)cells;
    return 1;
}

static int k_conv(rt_kargs *a, int mode) {
    conv_plan p;
    if (!conv_plan_make(a, mode, &p)) return mode == RTK_SUPPORTS ? 0 : -1;
    if (mode == RTK_SUPPORTS) return 1;
    if (!chk_scratch(a, mode, p.scratch)) return -1;
    if (mode == RTK_SCRATCH) return 0;
    size_t es = p.f64 ? 8 : 4;
    const char *x = a->in[0].data, *wt = a->in[1].data;
    char *y = a->out[0].data, *col = a->k->scratch;
    int nt = rtk_threads(a, p.rows * p.w.pout);
    for (int64_t n = 0; n < p.N; n++)
        for (int64_t g = 0; g < p.G; g++) {
            const char *xg = x + (size_t)((n * p.C + g * p.Cg) * p.w.pin) * es;
            const char *src = xg;
            if (!p.pointwise) {
                if (p.f64) im2col_f64(&p.w, (const double *)xg, (double *)col, p.rows, nt);
                else im2col_f32(&p.w, (const float *)xg, (float *)col, p.rows, nt);
                src = col;
            }
            /* y[n, g*Mg:(g+1)*Mg, :] = W_g [Mg, rows] @ col [rows, P] */
            gemm(p.f64, 0, 0, p.Mg, p.w.pout, p.rows, 1.0, wt + (size_t)(g * p.Mg * p.rows) * es,
                 p.rows, src, p.w.pout, 0.0, y + (size_t)((n * p.M + g * p.Mg) * p.w.pout) * es,
                 p.w.pout);
        }
    if (p.hasb) {
        const void *b = a->in[2].data;
        int64_t planes = p.N * p.M, P = p.w.pout;
        int ntb = rtk_threads(a, planes * P);
        #pragma omp parallel for num_threads(ntb) schedule(static)
        for (int64_t q = 0; q < planes; q++) {
            if (p.f64) {
                double bv = ((const double *)b)[q % p.M], *yq = (double *)y + q * P;
                for (int64_t j = 0; j < P; j++) yq[j] += bv;
            } else {
                float bv = ((const float *)b)[q % p.M], *yq = (float *)y + q * P;
                for (int64_t j = 0; j < P; j++) yq[j] += bv;
            }
        }
    }
    return 0;
}

/* ---- ConvTranspose ---- */

typedef struct convt_plan {
    win w;                                  /* in = X's spatial dims, out = Y's */
    int64_t N, C, M, G, Cg, Mg, rows;       /* rows = Mg * prod(k) */
    int hasb;
    size_t scratch;
} convt_plan;

/* ConvTranspose(X, W, B?) -> Y; X [N,C,in...], W [C,M/group,k...], B [M], Y [N,M,out...];
 * attrs auto_pad, dilations, group, kernel_shape, output_padding, output_shape, pads, strides.
 * out = s*(in-1) + output_padding + (k-1)*d + 1 - pb - pe; with output_shape (or SAME_*) the
 * total pad is derived from it and split with the extra at the end for SAME_UPPER, else at
 * the beginning (the ONNX spec's rule). */
static int convt_plan_make(rt_kargs *a, int mode, convt_plan *p) {
    if (!chk_float(a, mode, 0)) return 0;
    if (a->nin < 2) return RTK_FAIL0(a, mode, "ConvTranspose: needs 2 or 3 inputs");
    if (!chk_in(a, mode, 0, RT_F32) || !chk_in(a, mode, 1, RT_F32)) return 0;
    memset(p, 0, sizeof *p);
    p->hasb = in_present(a, 2);
    if (p->hasb && !chk_in(a, mode, 2, RT_F32)) return 0;
    const rt_tensor *X = &a->in[0], *W = &a->in[1];
    if (X->rank < 3 || W->rank != X->rank)
        return RTK_FAIL0(a, mode, "ConvTranspose: X and W need the same rank >= 3 (got %d and %d)",
                        X->rank, W->rank);
    win *w = &p->w;
    int n = w->nsp = X->rank - 2, given, ap;
    p->N = X->dims[0]; p->C = X->dims[1];
    p->G = rt_attr_i(a->a, a->na, "group", 1);
    if (p->G < 1 || p->C % p->G)
        return RTK_FAIL0(a, mode, "ConvTranspose: group %lld must divide channels %lld",
                        (long long)p->G, (long long)p->C);
    if (W->dims[0] != p->C)
        return RTK_FAIL0(a, mode, "ConvTranspose: W has %lld input channels, X has %lld",
                        (long long)W->dims[0], (long long)p->C);
    p->Cg = p->C / p->G; p->Mg = W->dims[1];
    if (!mul_ok(p->Mg, p->G, &p->M)) return RTK_FAIL0(a, mode, "ConvTranspose: size overflow");
    if (p->hasb && (a->in[2].rank != 1 || a->in[2].dims[0] != p->M))
        return RTK_FAIL0(a, mode, "ConvTranspose: bias must be [%lld]", (long long)p->M);
    int64_t opad[RT_MAX_RANK], pads[2 * RT_MAX_RANK], oshape[RT_MAX_RANK + 2];
    if (!ints_attr(a, mode, "kernel_shape", n, 1, 1, w->k, &given)) return 0;
    for (int i = 0; i < n; i++)
        if (given && w->k[i] != W->dims[2 + i])
            return RTK_FAIL0(a, mode, "ConvTranspose: kernel_shape[%d] = %lld but the weights have %lld",
                            i, (long long)w->k[i], (long long)W->dims[2 + i]);
    memcpy(w->k, W->dims + 2, sizeof(int64_t) * n);
    if (!ints_attr(a, mode, "strides", n, 1, 1, w->s, NULL) ||
        !ints_attr(a, mode, "dilations", n, 1, 1, w->d, NULL) ||
        !ints_attr(a, mode, "output_padding", n, 0, 0, opad, NULL) ||
        !ints_attr(a, mode, "pads", 2 * n, 0, 0, pads, NULL) || !parse_auto_pad(a, mode, &ap))
        return 0;
    const rt_attr *os = rt_attr_find(a->a, a->na, "output_shape");
    int has_os = os != NULL;
    if (os) {   /* spatial dims, or (as some exporters write) N, C and the spatial dims */
        int skip = os->type == RT_ATTR_INTS && os->n == n + 2 ? 2 : 0;
        if (os->type != RT_ATTR_INTS || (os->n != n && os->n != n + 2) || !os->ints)
            return RTK_FAIL0(a, mode, "ConvTranspose: output_shape must hold %d ints", n);
        for (int i = 0; i < n; i++) oshape[i] = os->ints[skip + i];
    }
    w->kp = w->pin = w->pout = 1;
    for (int i = 0; i < n; i++) {
        w->in[i] = X->dims[2 + i];
        int64_t ek, full;
        if (!mul_ok(w->k[i] - 1, w->d[i], &ek) || ek > INT64_MAX / 8 || w->in[i] > INT64_MAX / 8 ||
            w->s[i] > INT64_MAX / 8 || opad[i] > INT64_MAX / 8 || !mul_ok(w->s[i], w->in[i], &full))
            return RTK_FAIL0(a, mode, "ConvTranspose: window size overflow");
        if (opad[i] >= w->s[i] && opad[i] >= w->d[i])
            return RTK_FAIL0(a, mode, "ConvTranspose: output_padding[%d] = %lld must be below "
                            "stride or dilation", i, (long long)opad[i]);
        full = (w->in[i] > 0 ? full - w->s[i] : 0) + opad[i] + ek + 1;  /* before pads */
        if (has_os || ap == AP_SAME_UPPER || ap == AP_SAME_LOWER) {
            /* a negative total (output_shape past the full size) pads with zeros; halves
             * round down as in the ONNX reference (Python's //) */
            int64_t want = has_os ? oshape[i] : w->in[i] * w->s[i], tot = full - want;
            int64_t half = tot >= 0 ? tot / 2 : -((-tot + 1) / 2);
            if (want < 0 || want > INT64_MAX / 8)
                return RTK_FAIL0(a, mode, "ConvTranspose: bad output_shape %lld in spatial dim %d",
                                (long long)want, i);
            w->pb[i] = ap == AP_SAME_UPPER ? half : tot - half;
            w->pe[i] = tot - w->pb[i];
        } else {
            w->pb[i] = ap == AP_VALID ? 0 : pads[i];
            w->pe[i] = ap == AP_VALID ? 0 : pads[n + i];
        }
        w->out[i] = full - w->pb[i] - w->pe[i];
        if (w->out[i] < 0 || w->pb[i] > INT64_MAX / 8 || w->pe[i] > INT64_MAX / 8 ||
            w->pb[i] < -INT64_MAX / 8 || w->pe[i] < -INT64_MAX / 8)
            return RTK_FAIL0(a, mode, "ConvTranspose: pads exceed the output in spatial dim %d", i);
        if (!mul_ok(w->kp, w->k[i], &w->kp) || !mul_ok(w->pin, w->in[i], &w->pin) ||
            !mul_ok(w->pout, w->out[i], &w->pout))
            return RTK_FAIL0(a, mode, "ConvTranspose: size overflow");
    }
    int64_t od[RT_MAX_RANK] = {p->N, p->M};
    memcpy(od + 2, w->out, sizeof(int64_t) * n);
    if (!chk_out(a, mode, 0, RT_F32, X->rank, od)) return 0;
    int64_t cells;
    if (!mul_ok(p->Mg, w->kp, &p->rows) || !mul_ok(p->rows, w->pin, &cells) ||
        !mul_ok(cells, 4, &cells))
        return RTK_FAIL0(a, mode, "ConvTranspose: size overflow");
    if (!blas_ok(p->rows) || !blas_ok(w->pin) || !blas_ok(p->Cg))
        return RTK_FAIL0(a, mode, "ConvTranspose: dims exceed the 32-bit BLAS interface");
    p->scratch = (size_t)cells;
    return 1;
}

/* y[m, o] += col[(m,kpos), i] where o = i*s - pb + kpos*d (inside the output) for one group of
 * one image; one thread per output channel so no two threads add to the same cell. */
static void col2im_f32(const convt_plan *p, const float *col, float *y, int nt) {
    const win *w = &p->w;
    int n = w->nsp, L = n - 1;
    if (w->pin == 0) return;
    #pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t m = 0; m < p->Mg; m++) {
        float *ym = y + m * w->pout;
        for (int64_t kr0 = 0; kr0 < w->kp; kr0++) {
            int64_t kpos[RT_MAX_RANK], ipos[RT_MAX_RANK] = {0}, kr = kr0;
            for (int i = L; i >= 0; i--) { kpos[i] = kr % w->k[i]; kr /= w->k[i]; }
            const float *src = col + (m * w->kp + kr0) * w->pin;
            int64_t base = kpos[L] * w->d[L] - w->pb[L], nl = w->in[L], ol = w->out[L];
            for (int64_t q = 0; q < w->pin; q += nl) {
                int64_t off = 0;
                int ok = 1;
                for (int i = 0; i < L; i++) {
                    int64_t op = ipos[i] * w->s[i] - w->pb[i] + kpos[i] * w->d[i];
                    if (op < 0 || op >= w->out[i]) { ok = 0; break; }
                    off = off * w->out[i] + op;
                }
                if (ok) {
                    float *yr = ym + off * ol;
                    for (int64_t j = 0; j < nl; j++) {
                        int64_t op = j * w->s[L] + base;
                        if (op >= 0 && op < ol) yr[op] += src[q + j];
                    }
                }
                for (int i = L - 1; i >= 0; i--) {
                    if (++ipos[i] < w->in[i]) break;
                    ipos[i] = 0;
                }
            }
        }
    }
}

static int k_convtranspose(rt_kargs *a, int mode) {
    convt_plan p;
    if (!convt_plan_make(a, mode, &p)) return mode == RTK_SUPPORTS ? 0 : -1;
    if (mode == RTK_SUPPORTS) return 1;
    if (!chk_scratch(a, mode, p.scratch)) return -1;
    if (mode == RTK_SCRATCH) return 0;
    const float *x = a->in[0].data, *wt = a->in[1].data;
    float *y = a->out[0].data, *col = a->k->scratch;
    int64_t total = p.N * p.M * p.w.pout;
    if (total) memset(y, 0, (size_t)total * sizeof(float));
    int nt = rtk_threads(a, p.rows * p.w.pin);
    for (int64_t n = 0; n < p.N; n++)
        for (int64_t g = 0; g < p.G; g++) {
            /* col [Mg*K, Pin] = W_g^T @ X_g, W_g = W[g*Cg:(g+1)*Cg] seen as [Cg, Mg*K] */
            gemm(0, 1, 0, p.rows, p.w.pin, p.Cg, 1.0, wt + g * p.Cg * p.rows, p.rows,
                 x + (n * p.C + g * p.Cg) * p.w.pin, p.w.pin, 0.0, col, p.w.pin);
            col2im_f32(&p, col, y + (n * p.M + g * p.Mg) * p.w.pout, nt);
        }
    if (p.hasb) {
        const float *b = a->in[2].data;
        for (int64_t q = 0; q < p.N * p.M; q++)
            for (int64_t j = 0; j < p.w.pout; j++) y[q * p.w.pout + j] += b[q % p.M];
    }
    return 0;
}

/* ---- pools ---- */

typedef struct pool_plan {
    win w;
    int64_t planes;          /* N*C */
    int cip;                 /* AveragePool count_include_pad */
    int col_major;           /* MaxPool storage_order 1: Indices are column-major */
    int want_idx;
} pool_plan;

/* MaxPool(X) -> Y, Indices?; AveragePool(X) -> Y. X [N,C,in...], Y [N,C,out...];
 * attrs auto_pad, ceil_mode, dilations, kernel_shape, pads, strides, plus count_include_pad
 * (AveragePool) and storage_order (MaxPool). Indices (int64) index the flattened X. */
static int pool_plan_make(rt_kargs *a, int mode, pool_plan *p) {
    if (a->nin < 1 || a->nout < 1) return RTK_FAIL0(a, mode, "%s: needs an input and an output", OPN(a));
    int dt = a->in[0].dtype, mx = a->op == RT_OP_MAXPOOL;
    if (!(dt == RT_F32 || dt == RT_F64 || dt == RT_F16 || (mx && (dt == RT_I8 || dt == RT_U8))))
        return RTK_FAIL0(a, mode, "%s: dtype %s not supported on CPU (float16, float32, float64%s)",
                     OPN(a), rtk_dtype_name(dt), mx ? ", int8, uint8" : "");
    if (!chk_in(a, mode, 0, dt)) return 0;
    const rt_tensor *X = &a->in[0];
    if (X->rank < 3) return RTK_FAIL0(a, mode, "%s: X must have rank >= 3, got %d", OPN(a), X->rank);
    memset(p, 0, sizeof *p);
    p->w.nsp = X->rank - 2;
    for (int i = 0; i < p->w.nsp; i++) p->w.in[i] = X->dims[2 + i];
    if (!mul_ok(X->dims[0], X->dims[1], &p->planes)) return RTK_FAIL0(a, mode, "%s: size overflow", OPN(a));
    int ceil = rt_attr_i(a->a, a->na, "ceil_mode", 0) != 0;
    if (!win_make(a, mode, &p->w, NULL, ceil)) return 0;
    p->cip = rt_attr_i(a->a, a->na, "count_include_pad", 0) != 0;
    p->col_major = rt_attr_i(a->a, a->na, "storage_order", 0) != 0;
    int64_t od[RT_MAX_RANK] = {X->dims[0], X->dims[1]};
    const rt_tensor *Y = &a->out[0];
    /* ceil_mode: accept the output size with or without a last window that starts in the end
     * padding (the frameworks disagree); every read below is bounds-checked either way. */
    for (int i = 0; i < p->w.nsp; i++) {
        od[2 + i] = p->w.out[i];
        if (Y->rank == X->rank && Y->dims[2 + i] == p->w.alt[i]) od[2 + i] = p->w.alt[i];
        p->w.out[i] = od[2 + i];
    }
    p->w.pout = 1;
    for (int i = 0; i < p->w.nsp; i++) p->w.pout *= p->w.out[i];   /* <= the checked product */
    if (!chk_out(a, mode, 0, dt, X->rank, od)) return 0;
    p->want_idx = a->op == RT_OP_MAXPOOL && out_present(a, 1);
    if (p->want_idx && !chk_out(a, mode, 1, RT_I64, X->rank, od)) return 0;
    return 1;
}

/* One plane of a pool: y[o] over the window at o*s - pb (dilated); `avg` selects AveragePool.
 * One function per dtype: elements of type T are compared as CT = LD(x) and stored by ST;
 * sums run in double. An all-padding window gives LOWEST (max) or 0 (average). */
#define POOL_PLANE(SUF, T, CT, LD, ST, LOWEST) \
static void pool_plane_##SUF(const pool_plan *p, int avg, const T *x, T *y, int64_t *idx, \
                       int64_t plane_off) { \
    const win *w = &p->w; \
    int n = w->nsp; \
    int64_t opos[RT_MAX_RANK] = {0}; \
    for (int64_t o = 0; o < w->pout; o++) { \
        int64_t st[RT_MAX_RANK], kpos[RT_MAX_RANK] = {0}, cnt_pad = 1; \
        for (int i = 0; i < n; i++) { \
            st[i] = opos[i] * w->s[i] - w->pb[i]; \
            if (avg && p->cip) {   /* window cells inside the declared padding */ \
                int64_t c = 0; \
                for (int64_t j = 0; j < w->k[i]; j++) { \
                    int64_t q = st[i] + j * w->d[i]; \
                    c += q >= -w->pb[i] && q < w->in[i] + w->pe[i]; \
                } \
                cnt_pad *= c; \
            } \
        } \
        double sum = 0; \
        CT best = LOWEST; \
        int64_t besti = -1, cnt = 0; \
        for (int64_t kk = 0; kk < w->kp; kk++) { \
            int64_t off = 0, cm = 0, stride = 1; \
            int ok = 1; \
            for (int i = 0; i < n; i++) { \
                int64_t q = st[i] + kpos[i] * w->d[i]; \
                if (q < 0 || q >= w->in[i]) { ok = 0; break; } \
                off = off * w->in[i] + q; \
            } \
            if (ok) { \
                CT v = LD(x[off]); \
                if (avg) { sum += v; cnt++; } \
                else if (v > best || besti < 0) { \
                    best = v; \
                    if (p->col_major) {   /* spatial dims column-major */ \
                        for (int i = 0; i < n; i++) { \
                            cm += (st[i] + kpos[i] * w->d[i]) * stride; \
                            stride *= w->in[i]; \
                        } \
                        besti = cm; \
                    } else { \
                        besti = off; \
                    } \
                } \
            } \
            for (int i = n - 1; i >= 0; i--) { \
                if (++kpos[i] < w->k[i]) break; \
                kpos[i] = 0; \
            } \
        } \
        if (avg) { \
            int64_t div = p->cip ? cnt_pad : cnt; \
            y[o] = div > 0 ? ST(sum / (double)div) : ST(0);  \
        } else { \
            y[o] = ST(best); \
            if (idx) idx[o] = besti < 0 ? -1 : plane_off + besti; \
        } \
        for (int i = n - 1; i >= 0; i--) { \
            if (++opos[i] < w->out[i]) break; \
            opos[i] = 0; \
        } \
    } \
}
#define POOL_LD(x) (x)
#define POOL_STF(v) ((float)(v))
POOL_PLANE(f32, float, float, POOL_LD, POOL_STF, -FLT_MAX)
#define POOL_STD(v) ((double)(v))
POOL_PLANE(f64, double, double, POOL_LD, POOL_STD, -DBL_MAX)
#define POOL_STH(v) rtk_f32_to_f16(rtk_f64_to_f32_odd((double)(v)))
POOL_PLANE(f16, uint16_t, float, rtk_f16_to_f32, POOL_STH, -65504.0f)
#define POOL_STI8(v) ((int8_t)(v))
POOL_PLANE(i8, int8_t, int, POOL_LD, POOL_STI8, INT8_MIN)
#define POOL_STU8(v) ((uint8_t)(v))
POOL_PLANE(u8, uint8_t, int, POOL_LD, POOL_STU8, 0)

static int k_pool(rt_kargs *a, int mode) {
    pool_plan p;
    if (!pool_plan_make(a, mode, &p)) return mode == RTK_SUPPORTS ? 0 : -1;
    if (mode == RTK_SUPPORTS) return 1;
    if (mode == RTK_SCRATCH) { a->scratch_need = 0; return 0; }
    int avg = a->op == RT_OP_AVERAGEPOOL;
    int64_t *idx = p.want_idx ? a->out[1].data : NULL;
    int nt = rtk_threads(a, p.planes * p.w.pout * p.w.kp);
#define POOL_RUN(SUF, T) do { \
    const T *x = a->in[0].data; T *y = a->out[0].data; \
    _Pragma("omp parallel for num_threads(nt) schedule(static)") \
    for (int64_t q = 0; q < p.planes; q++) \
        pool_plane_##SUF(&p, avg, x + q * p.w.pin, y + q * p.w.pout, \
                         idx ? idx + q * p.w.pout : NULL, q * p.w.pin); \
} while (0)
    switch (a->in[0].dtype) {
    case RT_F64: POOL_RUN(f64, double); break;
    case RT_F16: POOL_RUN(f16, uint16_t); break;
    case RT_I8: POOL_RUN(i8, int8_t); break;
    case RT_U8: POOL_RUN(u8, uint8_t); break;
    default: POOL_RUN(f32, float); break;
    }
#undef POOL_RUN
    return 0;
}

/* GlobalAveragePool(X) / GlobalMaxPool(X) -> Y: X [N,C,in...] to Y [N,C,1,...,1]. */
static int k_global_pool(rt_kargs *a, int mode) {
    if (!chk_float(a, mode, 1) || !chk_in(a, mode, 0, a->in[0].dtype))
        return mode == RTK_SUPPORTS ? 0 : -1;
    const rt_tensor *X = &a->in[0];
    int dt = X->dtype;
    if (X->rank < 2) return rtk_fail(a, mode, "%s: X must have rank >= 2, got %d", OPN(a), X->rank);
    int64_t od[RT_MAX_RANK], planes = X->dims[0] * X->dims[1], P = 1;
    for (int i = 0; i < X->rank; i++) od[i] = i < 2 ? X->dims[i] : 1;
    for (int i = 2; i < X->rank; i++) P *= X->dims[i];
    if (!chk_out(a, mode, 0, dt, X->rank, od)) return mode == RTK_SUPPORTS ? 0 : -1;
    if (mode == RTK_SUPPORTS) return 1;
    if (mode == RTK_SCRATCH) { a->scratch_need = 0; return 0; }
    int mx = a->op == RT_OP_GLOBALMAXPOOL;
    int nt = rtk_threads(a, planes * P);
    #pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t q = 0; q < planes; q++) {
        double acc = mx ? -INFINITY : 0;
        for (int64_t j = 0; j < P; j++) {
            double v = dt == RT_F64 ? ((const double *)X->data)[q * P + j]
                                    : ((const float *)X->data)[q * P + j];
            if (mx) { if (v > acc || isnan(v)) acc = v; }
            else acc += v;
        }
        if (!mx) acc = P ? acc / (double)P : NAN;
        if (dt == RT_F64) ((double *)a->out[0].data)[q] = acc;
        else ((float *)a->out[0].data)[q] = (float)acc;
    }
    return 0;
}

/* ---- Einsum ---- */

/* Einsum(Inputs...) -> Output; attr equation ("ij,jk->ik", implicit output, "..."). Labels
 * are letters; "..." stands for the dims not named, broadcast across inputs as in numpy.
 * A label repeated within one input takes its diagonal; labels not in the output are summed.
 * The implicit output is the "..." dims then the labels used once, in ASCII order. Two-input
 * products whose labels group as batch/M/K/N in the right order go to gemm; anything else
 * runs one loop over the index space with a double accumulator. */
#define EIN_NL 52                     /* letter labels */
#define EIN_MAXS (EIN_NL + RT_MAX_RANK)
#define EIN_MAXIN 16

typedef struct ein_plan {
    int nin, nslot, no, ns;
    int64_t size[EIN_MAXS];
    int64_t istr[EIN_MAXIN][EIN_MAXS];   /* per input, element step per slot (0: absent/broadcast) */
    int oslot[EIN_MAXS], sslot[EIN_MAXS];/* output slots in order; summed slots */
    int f64;
    /* gemm fast path: Y[b] (M x N) = op(A[b]) @ op(B[b]) */
    int fast, ta, tb, swap;
    int64_t fb, fm, fn, fk;
} ein_plan;

static int ein_label(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return 26 + c - 'a';
    return -1;
}

/* Parse one term (up to ',' or '-' or end) into slot codes; ellipsis marks where "..." sits. */
static int ein_term(rt_kargs *a, int mode, const char **sp, int *lab, int *nlab, int *ell) {
    const char *s = *sp;
    *nlab = 0; *ell = -1;
    for (; *s && *s != ',' && *s != '-'; s++) {
        if (*s == ' ') continue;
        if (*s == '.') {
            if (*ell >= 0 || strncmp(s, "...", 3))
                return RTK_FAIL0(a, mode, "Einsum: bad ellipsis in equation");
            *ell = *nlab;
            s += 2;
            continue;
        }
        int l = ein_label(*s);
        if (l < 0) return RTK_FAIL0(a, mode, "Einsum: bad character '%c' in equation", *s);
        if (*nlab >= EIN_MAXS) return RTK_FAIL0(a, mode, "Einsum: term too long");
        lab[(*nlab)++] = l;
    }
    *sp = s;
    return 1;
}

static int ein_plan_make(rt_kargs *a, int mode, ein_plan *p) {
    if (!chk_float(a, mode, 1)) return 0;
    int dt = a->in[0].dtype;
    memset(p, 0, sizeof *p);
    p->f64 = dt == RT_F64;
    p->nin = a->nin;
    if (p->nin > EIN_MAXIN) return RTK_FAIL0(a, mode, "Einsum: at most %d inputs", EIN_MAXIN);
    for (int i = 0; i < p->nin; i++)
        if (!chk_in(a, mode, i, dt)) return 0;
    const char *eq = rt_attr_s(a->a, a->na, "equation", NULL);
    if (!eq) return RTK_FAIL0(a, mode, "Einsum: attribute equation is required");
    /* terms[i][j]: slot of input i's dim j (letters 0..51, ellipsis dims 52+) */
    int terms[EIN_MAXIN][RT_MAX_RANK], ellr = 0, cnt[EIN_MAXS] = {0};
    const char *s = eq;
    int lab[EIN_MAXS], nl, ell, ells[EIN_MAXIN], nls[EIN_MAXIN], labs[EIN_MAXIN][EIN_MAXS];
    for (int i = 0; i < p->nin; i++) {
        if (!ein_term(a, mode, &s, labs[i], &nls[i], &ells[i])) return 0;
        int r = a->in[i].rank, er = r - nls[i];
        if (er < 0 || (ells[i] < 0 && er != 0))
            return RTK_FAIL0(a, mode, "Einsum: term %d names %d dims, input has rank %d", i,
                            nls[i], r);
        if (er > ellr) ellr = er;
        if (i + 1 < p->nin) {
            if (*s != ',') return RTK_FAIL0(a, mode, "Einsum: equation has fewer terms than the %d inputs", p->nin);
            s++;
        }
    }
    if (*s == ',') return RTK_FAIL0(a, mode, "Einsum: equation has more terms than the %d inputs", p->nin);
    for (int c = 0; c < EIN_MAXS; c++) p->size[c] = -1;
    for (int i = 0; i < p->nin; i++) {
        const rt_tensor *t = &a->in[i];
        int r = t->rank, er = r - nls[i], j = 0;
        for (int q = 0; q <= nls[i]; q++) {
            if (q == ells[i])
                for (int e = 0; e < er; e++) terms[i][j++] = EIN_NL + ellr - er + e;
            if (q < nls[i]) terms[i][j++] = labs[i][q];
        }
        int64_t step = 1;
        for (int d = r - 1; d >= 0; d--) {
            int c = terms[i][d];
            int64_t n = t->dims[d];
            if (c < EIN_NL) cnt[c]++;
            if (p->size[c] < 0 || p->size[c] == 1) p->size[c] = n;
            else if (n != p->size[c] && n != 1)
                return RTK_FAIL0(a, mode, "Einsum: label '%c' has sizes %lld and %lld",
                                c < 26 ? 'A' + c : c < EIN_NL ? 'a' + c - 26 : '.',
                                (long long)p->size[c], (long long)n);
            if (n != 1) p->istr[i][c] += step;
            step *= n;   /* t's numel is checked, so no overflow */
        }
    }
    /* output */
    int used[EIN_MAXS] = {0};
    if (s[0] == '-' && s[1] == '>') {
        s += 2;
        if (!ein_term(a, mode, &s, lab, &nl, &ell)) return 0;
        if (*s) return RTK_FAIL0(a, mode, "Einsum: junk after the output term");
        if (ell < 0 && ellr > 0)
            return RTK_FAIL0(a, mode, "Einsum: inputs have \"...\" dims but the output does not");
        for (int q = 0; q <= nl; q++) {
            if (q == ell)
                for (int e = 0; e < ellr; e++) p->oslot[p->no++] = EIN_NL + e;
            if (q < nl) {
                if (p->size[lab[q]] < 0)
                    return RTK_FAIL0(a, mode, "Einsum: output label '%c' is in no input",
                                    lab[q] < 26 ? 'A' + lab[q] : 'a' + lab[q] - 26);
                if (used[lab[q]]) return RTK_FAIL0(a, mode, "Einsum: output label repeated");
                used[lab[q]] = 1;
                p->oslot[p->no++] = lab[q];
            }
        }
    } else if (*s) {
        return RTK_FAIL0(a, mode, "Einsum: bad equation \"%s\"", eq);
    } else {
        for (int e = 0; e < ellr; e++) p->oslot[p->no++] = EIN_NL + e;
        for (int c = 0; c < EIN_NL; c++)   /* ASCII order: 'A'..'Z' then 'a'..'z' */
            if (cnt[c] == 1) p->oslot[p->no++] = c;
    }
    for (int q = 0; q < p->no; q++) used[p->oslot[q]] = 1;
    for (int c = 0; c < EIN_MAXS; c++) {
        if (p->size[c] < 0) continue;
        p->nslot++;
        if (!used[c]) p->sslot[p->ns++] = c;
    }
    if (p->no > RT_MAX_RANK) return RTK_FAIL0(a, mode, "Einsum: output rank %d too large", p->no);
    int64_t od[RT_MAX_RANK] = {1};
    for (int q = 0; q < p->no; q++) od[q] = p->size[p->oslot[q]];
    /* a scalar result: numpy gives [], onnxruntime [1]; both hold the one value */
    int orank = p->no == 0 && a->out[0].rank == 1 && a->out[0].dims[0] == 1 ? 1 : p->no;
    if (!chk_out(a, mode, 0, dt, orank, od)) return 0;

    /* gemm fast path: two inputs, no diagonals or broadcasting, labels grouped as
     * A = [batch][M|K in either order], B = [batch][K|N], Y = [batch][M][N] or [batch][N][M] */
    if (p->nin == 2) {
        int cls[EIN_MAXS] = {0};  /* 1 batch, 2 M, 3 N, 4 K */
        int ok = 1;
        for (int i = 0; i < 2 && ok; i++)
            for (int d = 0; d < a->in[i].rank; d++)
                for (int e = 0; e < d; e++)
                    if (terms[i][d] == terms[i][e]) ok = 0;
        for (int c = 0; c < EIN_MAXS && ok; c++) {
            if (p->size[c] < 0) continue;
            int inA = 0, inB = 0;
            for (int d = 0; d < a->in[0].rank; d++)
                if (terms[0][d] == c) { inA = 1; ok &= a->in[0].dims[d] == p->size[c]; }
            for (int d = 0; d < a->in[1].rank; d++)
                if (terms[1][d] == c) { inB = 1; ok &= a->in[1].dims[d] == p->size[c]; }
            cls[c] = inA && inB ? (used[c] ? 1 : 4) : inA ? (used[c] ? 2 : 0) : (used[c] ? 3 : 0);
            if (!cls[c]) ok = 0;   /* a label summed within one input */
        }
        /* each term: a run of batch labels (same order everywhere), then two runs */
        int nb = 0;
        while (ok && nb < p->no && cls[p->oslot[nb]] == 1) nb++;
        for (int i = 0; ok && i < 2; i++)
            for (int d = 0; d < nb; d++)
                if (d >= a->in[i].rank || terms[i][d] != p->oslot[d]) ok = 0;
        /* sequence of classes after the batch run must be two blocks; order of labels within
         * a block must agree between the two places it appears */
        int fA = 0, sA = 0, fB = 0, sB = 0, fY = 0, sY = 0;
        const int *seqs[3] = {terms[0], terms[1], p->oslot};
        int lens[3] = {a->in[0].rank, a->in[1].rank, p->no};
        int *firsts[3] = {&fA, &fB, &fY}, *seconds[3] = {&sA, &sB, &sY};
        for (int t = 0; ok && t < 3; t++) {
            int cf = 0, cs = 0;
            for (int d = nb; d < lens[t]; d++) {
                int c = cls[seqs[t][d]];
                if (c == 1) { ok = 0; break; }
                if (!cf) cf = c;
                else if (c != cf && !cs) cs = c;
                else if (c != (cs ? cs : cf)) { ok = 0; break; }
            }
            *firsts[t] = cf; *seconds[t] = cs;
        }
        /* block label orders must match across terms */
        for (int cl = 2; ok && cl <= 4; cl++) {
            int ref[EIN_MAXS], nr = -1;
            for (int t = 0; t < 3; t++) {
                int tmp[EIN_MAXS], nt2 = 0;
                for (int d = nb; d < lens[t]; d++)
                    if (cls[seqs[t][d]] == cl) tmp[nt2++] = seqs[t][d];
                if (nt2 == 0) continue;
                if (nr < 0) { memcpy(ref, tmp, sizeof(int) * nt2); nr = nt2; }
                else if (nr != nt2 || memcmp(ref, tmp, sizeof(int) * nt2)) ok = 0;
            }
        }
        if (ok) {
            p->fb = p->fm = p->fn = p->fk = 1;
            for (int c = 0; c < EIN_MAXS; c++) {
                if (p->size[c] < 0) continue;
                int64_t *f = cls[c] == 1 ? &p->fb : cls[c] == 2 ? &p->fm : cls[c] == 3 ? &p->fn : &p->fk;
                *f *= p->size[c];
            }
            /* A is [M,K] (fA is M or none) else [K,M]; B is [K,N] else [N,K]; Y [M,N] else swapped */
            p->ta = fA == 4 && sA == 2;
            p->tb = fB == 3 && sB == 4;
            p->swap = fY == 3 && sY == 2;
            p->fast = blas_ok(p->fm) && blas_ok(p->fn) && blas_ok(p->fk);
        }
    }
    return 1;
}

static int k_einsum(rt_kargs *a, int mode) {
    ein_plan plan, *p = &plan;
    if (!ein_plan_make(a, mode, p)) return mode == RTK_SUPPORTS ? 0 : -1;
    if (mode == RTK_SUPPORTS) return 1;
    if (mode == RTK_SCRATCH) { a->scratch_need = 0; return 0; }
    size_t es = p->f64 ? 8 : 4;
    int64_t total = rt_numel(&a->out[0]);
    if (p->fast) {
        const char *A = a->in[0].data, *B = a->in[1].data;
        char *Y = a->out[0].data;
        int64_t M = p->fm, N = p->fn, K = p->fk;
        for (int64_t b = 0; b < p->fb; b++) {
            const char *Ab = A + (size_t)(b * M * K) * es, *Bb = B + (size_t)(b * K * N) * es;
            char *Yb = Y + (size_t)(b * M * N) * es;
            if (!p->swap)
                gemm(p->f64, p->ta, p->tb, M, N, K, 1.0, Ab, p->ta ? M : K, Bb, p->tb ? K : N, 0.0, Yb, N);
            else   /* Y^T = B'^T A'^T */
                gemm(p->f64, !p->tb, !p->ta, N, M, K, 1.0, Bb, p->tb ? K : N, Ab, p->ta ? M : K, 0.0, Yb, M);
        }
        return 0;
    }
    int nt = rtk_threads(a, total), empty = 0;
    for (int q = 0; q < p->ns; q++) empty |= p->size[p->sslot[q]] == 0;
    #pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t o = 0; o < total; o++) {
        int64_t base[EIN_MAXIN] = {0}, rem = o;
        for (int q = p->no - 1; q >= 0; q--) {
            int c = p->oslot[q];
            int64_t v = rem % p->size[c];
            rem /= p->size[c];
            for (int i = 0; i < p->nin; i++) base[i] += v * p->istr[i][c];
        }
        int64_t idx[EIN_MAXS] = {0};
        double acc = 0;
        while (!empty) {
            double prod = 1;
            for (int i = 0; i < p->nin; i++)
                prod *= p->f64 ? ((const double *)a->in[i].data)[base[i]]
                               : ((const float *)a->in[i].data)[base[i]];
            acc += prod;
            int q = p->ns - 1;
            for (; q >= 0; q--) {
                int c = p->sslot[q];
                for (int i = 0; i < p->nin; i++) base[i] += p->istr[i][c];
                if (++idx[q] < p->size[c]) break;
                for (int i = 0; i < p->nin; i++) base[i] -= p->istr[i][c] * idx[q];
                idx[q] = 0;
            }
            if (q < 0) break;
        }
        if (p->f64) ((double *)a->out[0].data)[o] = acc;
        else ((float *)a->out[0].data)[o] = (float)acc;
    }
    return 0;
}

/* ---- family entry ---- */

int rtk_linalg(rt_kargs *a, int mode) {
    switch (a->op) {   /* int switch: rt_cpu.c's dispatch is the exhaustive one */
    case RT_OP_MATMUL: return k_matmul(a, mode);
    case RT_OP_GEMM: return k_gemm(a, mode);
    case RT_OP_EINSUM: return k_einsum(a, mode);
    case RT_OP_CONV: return k_conv(a, mode);
    case RT_OP_CONVTRANSPOSE: return k_convtranspose(a, mode);
    case RT_OP_MAXPOOL: case RT_OP_AVERAGEPOOL: return k_pool(a, mode);
    case RT_OP_GLOBALAVERAGEPOOL: case RT_OP_GLOBALMAXPOOL: return k_global_pool(a, mode);
    default: break;
    }
    return rtk_fail(a, mode, "%s is not a linalg op", OPN(a));
}
