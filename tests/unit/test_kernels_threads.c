/* test_kernels_threads.c - every multi-threaded path of the CPU kernels (runtime/cpu), run on
 * tensors above its parallel threshold at K.nthreads = 1, 2 and 4. Each output is checked
 * against a reference computed here by a plain loop (NaN-safe: a mismatch is
 * !(fabs(e - g) <= atol + rtol*|e|)) and, where the kernel promises it (everything that does
 * not go through OpenBLAS), byte for byte against the 1-thread output. Inputs are
 * pseudo-random (never zeros or constants) and outputs are filled with 0xFF bytes (NaN for
 * floats) before each run, so a chunk that a thread zeroes, skips or shifts is caught. Sizes
 * are odd where it matters, so chunks split unevenly.
 *
 * The parallel paths (file:function - what runs it - threshold; counts of elements are
 * compared with RTK_PAR_MIN = 32768 through rtk_threads, bytes with MV_PAR_BYTES = 256 KiB):
 *   rt_cpu_elem.h:rtk_threads - the shared gate: k->nthreads when n >= RTK_PAR_MIN (32768), else 1
 *   rt_cpu_unary.c:rtk_unary UN_FLOAT_LOOP - float ops computed in double (LeakyRelu, Sqrt, ...) - numel >= 32768
 *   rt_cpu_unary.c:rtk_unary UN_NATIVE_LOOP - Exp, Sigmoid, Gelu, Tanh, Erf in float - numel >= 32768
 *   rt_cpu_unary.c:rtk_unary UN_INT_LOOP - integer Abs/Neg/Sign/Relu - numel >= 32768
 *   rt_cpu_unary.c:rtk_unary UN_CLIP - Clip, every dtype - numel >= 32768
 *   rt_cpu_unary.c:un_cast_run - Cast fast pairs f32->f16, f16->f32, i64->f32, bool->f32 - numel >= 32768
 *   rt_cpu_unary.c:un_cast_run - Cast generic loop (not in place) - numel >= 32768
 *   rt_cpu_binary.c:bc_run rows == 1 - one long row cut into nt chunks (same shape, scalar operand) - numel(out) >= 32768
 *   rt_cpu_binary.c:bc_run rows > 1 - broadcast rows split over threads (Add [R,C]+[1,C], Where) - numel(out) >= 32768
 *   rt_cpu_binary.c:rtk_binary - Mean's final division (f32, f64, f16/bf16) - numel(out) >= 32768
 *   rt_cpu_binary.c:bc_run - integer division by zero flagged from any thread - numel(out) >= 32768
 *   rt_cpu_reduce.c:red_run_float/double - Reduce* with the innermost dim reduced - nout > 1 and nout*R >= 32768
 *   rt_cpu_reduce.c:red_cols_float/double - Reduce* with the innermost dim kept (column blocks) - same
 *   rt_cpu_reduce.c:red_run_int32_t/int64_t - integer Reduce* - same
 *   rt_cpu_reduce.c:red_arg ARG_LOOP - ArgMax/ArgMin - numel >= 32768
 *   rt_cpu_reduce.c:red_softmax SMAX_LOOP - Softmax, LogSoftmax, Hardmax - numel >= 32768
 *   rt_cpu_reduce.c:red_cumsum CUMSUM_LOOP - CumSum - numel >= 32768
 *   rt_cpu_reduce.c:red_topk - TopK rows - numel >= 32768
 *   rt_cpu_linalg.c:gemm - cblas_sgemm/dgemm (MatMul, Gemm, Einsum fast path, Conv, ConvTranspose):
 *       OpenBLAS's own threads, set by openblas_set_num_threads (rt_stage.c), not k->nthreads;
 *       OpenBLAS decides by size (0.3.21 here: M*N*K = 64^3 stays on one thread, 80^3 splits);
 *       tolerance only, a split product may round differently
 *   rt_cpu_linalg.c:im2col_f32_2d/im2col_f64_2d - Conv 2-D (not 1x1/stride 1/no pad) - Cg*prod(k)*prod(out) >= 32768
 *   rt_cpu_linalg.c:im2col_f32/im2col_f64 - Conv 1-D and 3-D+ - same
 *   rt_cpu_linalg.c:k_conv - bias add over (n, m) planes - N*M*prod(out) >= 32768
 *   rt_cpu_linalg.c:col2im_f32 - ConvTranspose, one thread per output channel - Mg*prod(k)*prod(in) >= 32768
 *   rt_cpu_linalg.c:k_pool POOL_RUN - MaxPool/AveragePool planes (f32, f64, f16, i8, u8) - planes*prod(out)*prod(k) >= 32768
 *   rt_cpu_linalg.c:k_global_pool - GlobalAverage/MaxPool planes - numel >= 32768
 *   rt_cpu_linalg.c:k_einsum - general Einsum loop over output elements - numel(out) >= 32768
 *   rt_cpu_move.c:rtk_mv_copy - bulk copy in nt chunks (Reshape/Flatten/Squeeze/Unsqueeze, Concat and
 *       Split along the outermost non-1 axis, ScatterND/ScatterElements' copy of data) - bytes of that one copy >= 256 KiB (MV_PAR_BYTES)
 *   rt_cpu_move.c:rtk_mv_fill - fill in nt chunks (ConstantOfShape, OneHot) - bytes >= 256 KiB
 *   rt_cpu_move.c:rtk_mv_strided tiles - transposes of the contiguous axis (Transpose, DepthToSpace, SpaceToDepth) - bytes >= 256 KiB
 *   rt_cpu_move.c:rtk_mv_strided rows - dynamic row chunks (Transpose keeping the last axis, Slice, Expand, Tile) - bytes >= 256 KiB
 *   rt_cpu_move.c:mv_concat - rows of Concat when outer > 1 - bytes(out) >= 256 KiB
 *   rt_cpu_move.c:mv_split - rows of Split when outer > 1 - bytes(in) >= 256 KiB
 *   rt_cpu_move.c:mv_gather - Gather items - bytes(out) >= 256 KiB
 *   rt_cpu_move.c:mv_pad - Pad rows (constant, reflect, edge, wrap) - bytes(out) >= 256 KiB
 *   rt_cpu_move.c:mv_trilu - Trilu rows - bytes(out) >= 256 KiB
 *   rt_cpu_move2.c:rtk_mv_resize - Resize rows - numel(out) * (nearest ? 1 : 8) >= 65536
 *   rt_cpu_nn.c:k_loss - SoftmaxCrossEntropyLoss's log_prob rows - N*C*D >= 32768
 *   rt_cpu_nn.c:k_shrink - Shrink, float32 loop and the generic loop - numel >= 32768
 *   rt_cpu_nn.c:k_lrn - LRN planes - N*C*P*min(size, C) >= 32768
 *   rt_cpu_nn.c:k_mvn - MeanVarianceNormalization groups - numel >= 32768
 *   rt_cpu_norm.c:k_batchnorm - planes - numel >= 32768
 *   rt_cpu_norm.c:k_instnorm - planes - numel >= 32768
 *   rt_cpu_norm.c:k_layernorm - rows (plain float32 case and the broadcast/float64 case) - numel >= 32768
 *   rt_cpu_norm.c:k_groupnorm - (n, group) blocks - numel >= 32768
 *   rt_cpu_norm.c:k_lpnorm - lines along the axis - numel >= 32768
 *   rt_cpu_quant.c:k_quantize - (outer, channel) rows - numel >= 32768 (per tensor: one row, so serial in fact)
 *   rt_cpu_quant.c:k_dequantize - same
 *   rt_cpu_quant.c:k_dynquant - the quantizing loop (the min/max scan is serial) - numel >= 32768
 * Serial (no OpenMP region): Not, BitwiseNot, IsNaN, IsInf, Identity, Dropout, in-place narrowing Cast,
 * GatherElements, GatherND, Scatter*'s updates, NonZero, Range, EyeLike, Det, ReverseSequence,
 * the NLL/SCE loss sums, ConvTranspose's bias, Gemm's beta*C.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "t.h"
#include "rt_cpu.h"
#include "rt_cpu_elem.h" /* RTK_PAR_MIN */

/* OpenBLAS's thread control (as runtime/rt_stage.c declares it). */
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);

#define PAR_MIN ((int64_t)RTK_PAR_MIN)
#define MV_PAR ((int64_t)1 << 18)   /* rt_cpu_move.c MV_PAR_BYTES */
#define RS_PAR ((int64_t)65536)     /* rt_cpu_move2.c rtk_mv_resize */

static rt_kctx K;
static const rt_tensor NONE = {0, -1, {0}, NULL};

/* ---- memory: every buffer of a test is freed at its end ---- */

static void *g_mem[512];
static int g_nmem;
static void *mem(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p || g_nmem == (int)(sizeof g_mem / sizeof g_mem[0])) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    g_mem[g_nmem++] = p;
    return p;
}
static void mem_free(void) {
    while (g_nmem) free(g_mem[--g_nmem]);
}
#define NEW(T, n) ((T *)mem(sizeof(T) * (size_t)(n)))

/* ---- tensors and attributes ---- */

static rt_tensor tt(int dt, void *p, int rank, const int64_t *d) {
    rt_tensor t = {dt, rank, {0}, p};
    for (int i = 0; i < rank; i++) t.dims[i] = d[i];
    return t;
}
/* TT(dtype, data, rank, dims...): the rank must match the dims listed */
static rt_tensor tt_n(int dt, void *p, int rank, int ndims, const int64_t *d) {
    if (rank != ndims) {
        fprintf(stderr, "test bug: rank %d with %d dims\n", rank, ndims);
        exit(2);
    }
    return tt(dt, p, rank, d);
}
#define TT(dt, p, rank, ...) \
    tt_n(dt, p, rank, (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (int64_t[]){__VA_ARGS__})
#define TS(dt, p) tt(dt, p, 0, NULL)

static rt_attr ai(const char *n, int64_t v) { return (rt_attr){.name = n, .type = RT_ATTR_INT, .i = v}; }
static rt_attr af(const char *n, float v) { return (rt_attr){.name = n, .type = RT_ATTR_FLOAT, .f = v}; }
static rt_attr as(const char *n, const char *v) { return (rt_attr){.name = n, .type = RT_ATTR_STRING, .s = v}; }
static rt_attr aints(const char *n, int c, const int64_t *v) {
    return (rt_attr){.name = n, .type = RT_ATTR_INTS, .n = c, .ints = v};
}
#define AINTS(n, ...) \
    aints(n, (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (int64_t[]){__VA_ARGS__})

/* ---- data ---- */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static double urand(void) { /* [0, 1) */
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (double)(g_rng >> 11) * 0x1p-53;
}
static int64_t irand(int64_t lo, int64_t hi) { /* [lo, hi] */
    int64_t v = lo + (int64_t)(urand() * (double)(hi - lo + 1));
    return v > hi ? hi : v;
}
static float *rf32(int64_t n, double lo, double hi) {
    float *p = NEW(float, n);
    for (int64_t i = 0; i < n; i++) p[i] = (float)(lo + (hi - lo) * urand());
    return p;
}
static double *rf64(int64_t n, double lo, double hi) {
    double *p = NEW(double, n);
    for (int64_t i = 0; i < n; i++) p[i] = lo + (hi - lo) * urand();
    return p;
}

/* IEEE half bits -> value, written out here (independent of the kernels' converter). */
static double h2d(uint16_t h) {
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
    return s ? -v : v;
}
/* Random normal halves with exponent field in [elo, ehi], random sign. */
static uint16_t *rf16(int64_t n, int elo, int ehi) {
    uint16_t *p = NEW(uint16_t, n);
    for (int64_t i = 0; i < n; i++)
        p[i] = (uint16_t)((irand(0, 1) << 15) | (irand(elo, ehi) << 10) | irand(0, 1023));
    return p;
}

/* Element i of an output as double. */
static double get(int dt, const void *p, int64_t i) {
    switch (dt) {
    case RT_F32: return ((const float *)p)[i];
    case RT_F64: return ((const double *)p)[i];
    case RT_F16: return h2d(((const uint16_t *)p)[i]);
    case RT_I8: return ((const int8_t *)p)[i];
    case RT_U8: case RT_BOOL: return ((const uint8_t *)p)[i];
    case RT_I16: return ((const int16_t *)p)[i];
    case RT_U16: return ((const uint16_t *)p)[i];
    case RT_I32: return ((const int32_t *)p)[i];
    case RT_U32: return ((const uint32_t *)p)[i];
    case RT_I64: return (double)((const int64_t *)p)[i];
    case RT_U64: return (double)((const uint64_t *)p)[i];
    default: return NAN;
    }
}

/* ---- running and checking ---- */

/* supports -> scratch -> run at nt threads. -2: supports() said no; else run's result. */
static int krun(int nt, int op, const rt_attr *at, int na, rt_tensor *in, int nin, rt_tensor *out,
                int nout) {
    memset(&K, 0, sizeof K);
    K.nthreads = nt;
    if (!rt_cpu_supports(op, at, na, in, nin, out, nout, &K)) return -2;
    size_t s = rt_cpu_scratch(op, at, na, in, nin, out, nout);
    void *buf = s ? aligned_alloc(64, (s + 63) / 64 * 64) : NULL;
    K.scratch = buf;
    K.scratch_size = s;
    int rc = rt_cpu_run(op, at, na, in, nin, out, nout, &K);
    free(buf);
    return rc;
}

/* The work a kernel compares with its threshold must be at or above it (else the test would
 * run the serial path only). */
static void above(const char *what, int64_t work, int64_t thr) {
    CHECK(work >= thr, "%s: work %lld >= parallel threshold %lld", what, (long long)work,
          (long long)thr);
}

static size_t nbytes(const rt_tensor *t) {
    return t->rank < 0 ? 0 : (size_t)rt_numel(t) * rt_dtype_size(t->dtype);
}

enum { BITWISE = 1, BLAS = 2 };
static const int NTS[3] = {1, 2, 4};

/* Run op at 1, 2 and 4 threads. Outputs are filled with 0xFF first; output o is compared with
 * ref[o] (doubles, NULL: not compared) within atol + rtol*|e|, and with BITWISE byte for byte
 * against the 1-thread run. BLAS: OpenBLAS gets the same thread count (else it stays at 1, so
 * that the kernels' own threads are the only difference between runs). */
static void sweep(const char *what, int op, const rt_attr *at, int na, rt_tensor *in, int nin,
                  rt_tensor *out, int nout, const double *const *ref, double atol, double rtol,
                  int flags) {
    void *first[4] = {0};
    int have_first = 0;
    for (int o = 0; o < nout; o++) first[o] = mem(nbytes(&out[o]));
    for (int t = 0; t < 3; t++) {
        int nt = NTS[t];
        for (int o = 0; o < nout; o++)
            if (out[o].data) memset(out[o].data, 0xFF, nbytes(&out[o]));
        if (flags & BLAS) {
            openblas_set_num_threads(nt);
            CHECK_EQ_I(nt, openblas_get_num_threads(), "OpenBLAS honours openblas_set_num_threads");
        }
        int rc = krun(nt, op, at, na, in, nin, out, nout);
        if (flags & BLAS) openblas_set_num_threads(1);
        CHECK(rc == 0, "%s, %d threads: runs (rc %d%s%s)", what, nt, rc, K.err[0] ? ": " : "", K.err);
        if (rc) continue;
        for (int o = 0; o < nout; o++) {
            const rt_tensor *y = &out[o];
            int64_t n = rt_numel(y);
            if (ref[o]) {
                int64_t bad = 0, b0 = -1;
                for (int64_t i = 0; i < n; i++) {
                    double e = ref[o][i], g = get(y->dtype, y->data, i);
                    if (!(fabs(e - g) <= atol + rtol * fabs(e))) {
                        if (b0 < 0) b0 = i;
                        bad++;
                    }
                }
                if (!bad)
                    CHECK(1, "%s, %d threads, output %d: %lld values match the reference", what, nt,
                          o, (long long)n);
                else
                    CHECK(0, "%s, %d threads, output %d: %lld of %lld values differ from the "
                          "reference, first [%lld] expected %.9g got %.9g", what, nt, o,
                          (long long)bad, (long long)n, (long long)b0, ref[o][b0],
                          get(y->dtype, y->data, b0));
            }
            if (t == 0) {
                memcpy(first[o], y->data, nbytes(y));
            } else if ((flags & BITWISE) && have_first) {
                size_t es = rt_dtype_size(y->dtype);
                int64_t bad = 0, b0 = -1;
                for (int64_t i = 0; i < n; i++)
                    if (memcmp((const char *)first[o] + i * es, (const char *)y->data + i * es, es)) {
                        if (b0 < 0) b0 = i;
                        bad++;
                    }
                CHECK(bad == 0, "%s, %d threads, output %d: bitwise equal to 1 thread (%lld of %lld "
                      "differ, first [%lld])", what, nt, o, (long long)bad, (long long)n, (long long)b0);
            }
        }
        if (t == 0) have_first = 1;
    }
}
#define REFS(...) ((const double *const[]){__VA_ARGS__})

/* Odd element count above the elementwise threshold. */
#define NEL (2 * PAR_MIN + 1001)

/* ================================================================ unary */

static void t_unary(void) {
    int64_t n = NEL;
    above("unary", n, PAR_MIN);
    /* UN_FLOAT_LOOP: LeakyRelu float32 (computed in double) */
    float *x = rf32(n, -3, 3), *y = NEW(float, n);
    double *e = NEW(double, n);
    for (int64_t i = 0; i < n; i++) e[i] = (float)(x[i] < 0 ? (double)0.1f * x[i] : x[i]);
    rt_attr al = af("alpha", 0.1f);
    rt_tensor in = TT(RT_F32, x, 1, n), out = TT(RT_F32, y, 1, n);
    sweep("LeakyRelu f32", RT_OP_LEAKYRELU, &al, 1, &in, 1, &out, 1, REFS(e), 0, 0, BITWISE);
    /* UN_FLOAT_LOOP: Sqrt float64, a 2-D shape */
    double *xd = rf64(n, 0, 10), *yd = NEW(double, n), *ed = NEW(double, n);
    for (int64_t i = 0; i < n; i++) ed[i] = sqrt(xd[i]);
    rt_tensor ind = TT(RT_F64, xd, 2, 1, n), outd = TT(RT_F64, yd, 2, 1, n);
    sweep("Sqrt f64", RT_OP_SQRT, NULL, 0, &ind, 1, &outd, 1, REFS(ed), 0, 0, BITWISE);
    /* UN_NATIVE_LOOP: Exp and Gelu (polynomial erf) in float */
    float *xe = rf32(n, -5, 5);
    for (int64_t i = 0; i < n; i++) e[i] = exp((double)xe[i]);
    rt_tensor ine = TT(RT_F32, xe, 1, n);
    sweep("Exp f32", RT_OP_EXP, NULL, 0, &ine, 1, &out, 1, REFS(e), 0, 1e-6, BITWISE);
    for (int64_t i = 0; i < n; i++) e[i] = 0.5 * xe[i] * (1 + erf(xe[i] / sqrt(2.0)));
    sweep("Gelu f32", RT_OP_GELU, NULL, 0, &ine, 1, &out, 1, REFS(e), 1e-6, 1e-6, BITWISE);
    /* UN_INT_LOOP: Neg int32, Abs int8 */
    int32_t *xi = NEW(int32_t, n), *yi = NEW(int32_t, n);
    int8_t *xb = NEW(int8_t, n), *yb = NEW(int8_t, n);
    for (int64_t i = 0; i < n; i++) {
        xi[i] = (int32_t)irand(-1000000000, 1000000000);
        xb[i] = (int8_t)irand(-127, 127);
    }
    for (int64_t i = 0; i < n; i++) e[i] = -(double)xi[i];
    rt_tensor ini = TT(RT_I32, xi, 1, n), outi = TT(RT_I32, yi, 1, n);
    sweep("Neg int32", RT_OP_NEG, NULL, 0, &ini, 1, &outi, 1, REFS(e), 0, 0, BITWISE);
    for (int64_t i = 0; i < n; i++) e[i] = abs(xb[i]);
    rt_tensor inb = TT(RT_I8, xb, 1, n), outb = TT(RT_I8, yb, 1, n);
    sweep("Abs int8", RT_OP_ABS, NULL, 0, &inb, 1, &outb, 1, REFS(e), 0, 0, BITWISE);
    /* UN_CLIP: float32 with min and max */
    float lo = -0.5f, hi = 0.7f;
    for (int64_t i = 0; i < n; i++) e[i] = fmin(fmax(x[i], lo), hi);
    rt_tensor inc[3] = {in, TS(RT_F32, &lo), TS(RT_F32, &hi)};
    sweep("Clip f32", RT_OP_CLIP, NULL, 0, inc, 3, &out, 1, REFS(e), 0, 0, BITWISE);
    mem_free();
}

static void t_cast(void) {
    int64_t n = NEL;
    double *e = NEW(double, n);
    /* f32 -> f16: half's precision, 2^-11 relative (2^-25 absolute among subnormals) */
    float *x = rf32(n, -100, 100);
    uint16_t *h = NEW(uint16_t, n);
    rt_attr to16 = ai("to", RT_F16);
    for (int64_t i = 0; i < n; i++) e[i] = x[i];
    rt_tensor in = TT(RT_F32, x, 1, n), outh = TT(RT_F16, h, 1, n);
    sweep("Cast f32->f16", RT_OP_CAST, &to16, 1, &in, 1, &outh, 1, REFS(e), 0x1p-25, 0x1p-11, BITWISE);
    /* f16 -> f32: exact */
    uint16_t *xh = rf16(n, 1, 30);
    float *y = NEW(float, n);
    rt_attr to32 = ai("to", RT_F32);
    for (int64_t i = 0; i < n; i++) e[i] = h2d(xh[i]);
    rt_tensor inh = TT(RT_F16, xh, 1, n), out = TT(RT_F32, y, 1, n);
    sweep("Cast f16->f32", RT_OP_CAST, &to32, 1, &inh, 1, &out, 1, REFS(e), 0, 0, BITWISE);
    /* i64 -> f32: float's precision */
    int64_t *xl = NEW(int64_t, n);
    for (int64_t i = 0; i < n; i++) xl[i] = irand(-((int64_t)1 << 40), (int64_t)1 << 40);
    for (int64_t i = 0; i < n; i++) e[i] = (double)xl[i];
    rt_tensor inl = TT(RT_I64, xl, 1, n);
    sweep("Cast i64->f32", RT_OP_CAST, &to32, 1, &inl, 1, &out, 1, REFS(e), 0, 0x1p-24, BITWISE);
    /* bool -> f32 */
    uint8_t *xb = NEW(uint8_t, n);
    for (int64_t i = 0; i < n; i++) xb[i] = (uint8_t)irand(0, 1), e[i] = xb[i];
    rt_tensor inb = TT(RT_BOOL, xb, 1, n);
    sweep("Cast bool->f32", RT_OP_CAST, &to32, 1, &inb, 1, &out, 1, REFS(e), 0, 0, BITWISE);
    /* generic loop: f32 -> int32 truncates toward zero */
    float *xf = rf32(n, -1e6, 1e6);
    int32_t *yi = NEW(int32_t, n);
    rt_attr toi = ai("to", RT_I32);
    for (int64_t i = 0; i < n; i++) e[i] = trunc(xf[i]);
    rt_tensor inf_ = TT(RT_F32, xf, 1, n), outi = TT(RT_I32, yi, 1, n);
    sweep("Cast f32->i32 (generic loop)", RT_OP_CAST, &toi, 1, &inf_, 1, &outi, 1, REFS(e), 0, 0, BITWISE);
    mem_free();
}

/* ================================================================ binary */

static void t_binary(void) {
    int64_t n = NEL;
    above("binary", n, PAR_MIN);
    double *e = NEW(double, n);
    /* bc_run rows == 1: same shape, then a [1] operand */
    float *a = rf32(n, -2, 2), *b = rf32(n, -2, 2), *c = rf32(n, -2, 2), *y = NEW(float, n);
    for (int64_t i = 0; i < n; i++) e[i] = (float)((double)a[i] + b[i]);
    rt_tensor in[3] = {TT(RT_F32, a, 1, n), TT(RT_F32, b, 1, n), TT(RT_F32, c, 1, n)};
    rt_tensor out = TT(RT_F32, y, 1, n);
    sweep("Add f32 same shape (one row)", RT_OP_ADD, NULL, 0, in, 2, &out, 1, REFS(e), 0, 0, BITWISE);
    float s = 1.75f;
    rt_tensor ins[2] = {in[0], TT(RT_F32, &s, 1, 1)};
    for (int64_t i = 0; i < n; i++) e[i] = (float)((double)a[i] * s);
    sweep("Mul f32 by a [1] operand (one row)", RT_OP_MUL, NULL, 0, ins, 2, &out, 1, REFS(e), 0, 0, BITWISE);
    /* Mean's division: float32, float64, float16 */
    for (int64_t i = 0; i < n; i++) e[i] = ((double)a[i] + b[i] + c[i]) / 3;
    sweep("Mean f32 of 3", RT_OP_MEAN, NULL, 0, in, 3, &out, 1, REFS(e), 1e-6, 1e-6, BITWISE);
    double *ad = rf64(n, -2, 2), *bd = rf64(n, -2, 2), *yd = NEW(double, n);
    for (int64_t i = 0; i < n; i++) e[i] = (ad[i] + bd[i]) / 2;
    rt_tensor ind[2] = {TT(RT_F64, ad, 1, n), TT(RT_F64, bd, 1, n)}, outd = TT(RT_F64, yd, 1, n);
    sweep("Mean f64 of 2", RT_OP_MEAN, NULL, 0, ind, 2, &outd, 1, REFS(e), 1e-15, 1e-15, BITWISE);
    uint16_t *ah = rf16(n, 12, 16), *bh = rf16(n, 12, 16), *ch = rf16(n, 12, 16), *yh = NEW(uint16_t, n);
    for (int64_t i = 0; i < n; i++) e[i] = (h2d(ah[i]) + h2d(bh[i]) + h2d(ch[i])) / 3;
    rt_tensor inh[3] = {TT(RT_F16, ah, 1, n), TT(RT_F16, bh, 1, n), TT(RT_F16, ch, 1, n)};
    rt_tensor outh = TT(RT_F16, yh, 1, n);
    /* three roundings to half (sum, sum, quotient) of values up to 12 */
    sweep("Mean f16 of 3", RT_OP_MEAN, NULL, 0, inh, 3, &outh, 1, REFS(e), 1e-2, 3e-3, BITWISE);
    /* integer Div, exact; a zero divisor in the last element is reported whichever thread sees it */
    int32_t *ai_ = NEW(int32_t, n), *bi = NEW(int32_t, n), *yi = NEW(int32_t, n);
    for (int64_t i = 0; i < n; i++) {
        ai_[i] = (int32_t)irand(-1000000, 1000000);
        bi[i] = (int32_t)irand(1, 1000) * (irand(0, 1) ? 1 : -1);
        e[i] = (double)(ai_[i] / bi[i]);
    }
    rt_tensor ini[2] = {TT(RT_I32, ai_, 1, n), TT(RT_I32, bi, 1, n)}, outi = TT(RT_I32, yi, 1, n);
    sweep("Div int32", RT_OP_DIV, NULL, 0, ini, 2, &outi, 1, REFS(e), 0, 0, BITWISE);
    bi[n - 1] = 0;
    for (int t = 0; t < 3; t++) {
        int rc = krun(NTS[t], RT_OP_DIV, NULL, 0, ini, 2, &outi, 1);
        CHECK(rc == -1 && strstr(K.err, "division by zero"),
              "Div int32, %d threads: a zero divisor in the last chunk fails the call (rc %d: %s)",
              NTS[t], rc, K.err);
    }
    mem_free();
}

static void t_broadcast(void) {
    int64_t R = 257, C = 259, n = R * C;
    above("broadcast", n, PAR_MIN);
    double *e = NEW(double, n);
    /* bc_run rows > 1: [R,C] + [1,C] */
    float *a = rf32(n, -2, 2), *b = rf32(C, -2, 2), *y = NEW(float, n);
    for (int64_t r = 0; r < R; r++)
        for (int64_t c = 0; c < C; c++) e[r * C + c] = (float)((double)a[r * C + c] + b[c]);
    rt_tensor in[2] = {TT(RT_F32, a, 2, R, C), TT(RT_F32, b, 2, 1, C)}, out = TT(RT_F32, y, 2, R, C);
    sweep("Add f32 [R,C]+[1,C] (rows)", RT_OP_ADD, NULL, 0, in, 2, &out, 1, REFS(e), 0, 0, BITWISE);
    /* Where(cond [R,C], x [R,1], y [C]) */
    uint8_t *cond = NEW(uint8_t, n);
    float *xr = rf32(R, -5, 5);
    for (int64_t r = 0; r < R; r++)
        for (int64_t c = 0; c < C; c++) {
            cond[r * C + c] = (uint8_t)irand(0, 1);
            e[r * C + c] = cond[r * C + c] ? xr[r] : b[c];
        }
    rt_tensor inw[3] = {TT(RT_BOOL, cond, 2, R, C), TT(RT_F32, xr, 2, R, 1), TT(RT_F32, b, 1, C)};
    sweep("Where [R,C] ? [R,1] : [C] (rows)", RT_OP_WHERE, NULL, 0, inw, 3, &out, 1, REFS(e), 0, 0, BITWISE);
    mem_free();
}

/* ================================================================ reductions */

#define RR 300
#define RC 229

static void t_reduce(void) {
    int64_t n = RR * RC;
    above("reduce", n, PAR_MIN);
    float *x = rf32(n, -1, 1);
    double *xd = rf64(n, -1, 1);
    double *e = NEW(double, n);
    float *y = NEW(float, n);
    double *yd = NEW(double, n);
    int64_t ax1[1] = {1}, ax0[1] = {0};
    rt_attr k0 = ai("keepdims", 0);
    /* red_run_float: innermost reduced */
    for (int64_t r = 0; r < RR; r++) {
        double s = 0;
        for (int64_t c = 0; c < RC; c++) s += x[r * RC + c];
        e[r] = s;
    }
    rt_tensor in[2] = {TT(RT_F32, x, 2, RR, RC), TT(RT_I64, ax1, 1, 1)}, out = TT(RT_F32, y, 1, RR);
    sweep("ReduceSum f32 axis 1", RT_OP_REDUCESUM, &k0, 1, in, 2, &out, 1, REFS(e), 1e-6, 1e-6, BITWISE);
    /* red_run_double: ReduceMax, keepdims */
    for (int64_t r = 0; r < RR; r++) {
        double m = -INFINITY;
        for (int64_t c = 0; c < RC; c++) m = fmax(m, xd[r * RC + c]);
        e[r] = m;
    }
    rt_tensor ind[2] = {TT(RT_F64, xd, 2, RR, RC), TT(RT_I64, ax1, 1, 1)}, outd = TT(RT_F64, yd, 2, RR, 1);
    sweep("ReduceMax f64 axis 1", RT_OP_REDUCEMAX, NULL, 0, ind, 2, &outd, 1, REFS(e), 0, 0, BITWISE);
    /* red_cols_float: innermost kept */
    for (int64_t c = 0; c < RC; c++) {
        double s = 0;
        for (int64_t r = 0; r < RR; r++) s += x[r * RC + c];
        e[c] = s / RR;
    }
    rt_tensor inc[2] = {in[0], TT(RT_I64, ax0, 1, 1)}, outc = TT(RT_F32, y, 1, RC);
    sweep("ReduceMean f32 axis 0 (columns)", RT_OP_REDUCEMEAN, &k0, 1, inc, 2, &outc, 1, REFS(e), 1e-7, 1e-6, BITWISE);
    /* red_cols_double: LogSumExp */
    for (int64_t c = 0; c < RC; c++) {
        double s = 0;
        for (int64_t r = 0; r < RR; r++) s += exp(xd[r * RC + c]);
        e[c] = log(s);
    }
    rt_tensor incd[2] = {ind[0], TT(RT_I64, ax0, 1, 1)}, outcd = TT(RT_F64, yd, 1, RC);
    sweep("ReduceLogSumExp f64 axis 0 (columns)", RT_OP_REDUCELOGSUMEXP, &k0, 1, incd, 2, &outcd, 1,
          REFS(e), 1e-12, 1e-12, BITWISE);
    /* red_run_int64_t / red_run_int32_t */
    int64_t *xl = NEW(int64_t, n), *yl = NEW(int64_t, n);
    int32_t *xi = NEW(int32_t, n), *yi = NEW(int32_t, n);
    for (int64_t i = 0; i < n; i++) xl[i] = irand(-1000, 1000), xi[i] = (int32_t)irand(-100000, 100000);
    for (int64_t r = 0; r < RR; r++) {
        int64_t s = 0;
        for (int64_t c = 0; c < RC; c++) s += xl[r * RC + c];
        e[r] = (double)s;
    }
    rt_tensor inl[2] = {TT(RT_I64, xl, 2, RR, RC), TT(RT_I64, ax1, 1, 1)}, outl = TT(RT_I64, yl, 1, RR);
    sweep("ReduceSum int64 axis 1", RT_OP_REDUCESUM, &k0, 1, inl, 2, &outl, 1, REFS(e), 0, 0, BITWISE);
    for (int64_t c = 0; c < RC; c++) {
        int32_t m = INT32_MAX;
        for (int64_t r = 0; r < RR; r++) m = xi[r * RC + c] < m ? xi[r * RC + c] : m;
        e[c] = m;
    }
    rt_tensor ini[2] = {TT(RT_I32, xi, 2, RR, RC), TT(RT_I64, ax0, 1, 1)}, outi = TT(RT_I32, yi, 1, RC);
    sweep("ReduceMin int32 axis 0", RT_OP_REDUCEMIN, &k0, 1, ini, 2, &outi, 1, REFS(e), 0, 0, BITWISE);
    mem_free();
}

static void t_argmax_softmax(void) {
    int64_t n = RR * RC;
    above("argmax/softmax/cumsum/topk", n, PAR_MIN);
    float *x = rf32(n, -3, 3), *y = NEW(float, n);
    double *xd = rf64(n, -3, 3), *yd = NEW(double, n), *e = NEW(double, n), *e2 = NEW(double, n);
    int64_t *yl = NEW(int64_t, n);
    /* ArgMax float32 axis 1: first maximum */
    for (int64_t r = 0; r < RR; r++) {
        int64_t bi = 0;
        for (int64_t c = 1; c < RC; c++)
            if (x[r * RC + c] > x[r * RC + bi]) bi = c;
        e[r] = (double)bi;
    }
    rt_attr aa[2] = {ai("axis", 1), ai("keepdims", 0)};
    rt_tensor in = TT(RT_F32, x, 2, RR, RC), outa = TT(RT_I64, yl, 1, RR);
    sweep("ArgMax f32 axis 1", RT_OP_ARGMAX, aa, 2, &in, 1, &outa, 1, REFS(e), 0, 0, BITWISE);
    /* ArgMin int32 axis 0, select_last_index, many ties */
    int32_t *xi = NEW(int32_t, n);
    for (int64_t i = 0; i < n; i++) xi[i] = (int32_t)irand(0, 5);
    for (int64_t c = 0; c < RC; c++) {
        int64_t bi = 0;
        for (int64_t r = 1; r < RR; r++)
            if (xi[r * RC + c] <= xi[bi * RC + c]) bi = r;
        e[c] = (double)bi;
    }
    rt_attr am[3] = {ai("axis", 0), ai("keepdims", 1), ai("select_last_index", 1)};
    rt_tensor ini = TT(RT_I32, xi, 2, RR, RC), outm = TT(RT_I64, yl, 2, 1, RC);
    sweep("ArgMin int32 axis 0 select_last_index", RT_OP_ARGMIN, am, 3, &ini, 1, &outm, 1, REFS(e), 0, 0, BITWISE);
    /* Softmax float32 axis -1 */
    for (int64_t r = 0; r < RR; r++) {
        double m = -INFINITY, s = 0;
        for (int64_t c = 0; c < RC; c++) m = fmax(m, x[r * RC + c]);
        for (int64_t c = 0; c < RC; c++) s += exp(x[r * RC + c] - m);
        for (int64_t c = 0; c < RC; c++) e[r * RC + c] = exp(x[r * RC + c] - m) / s;
    }
    rt_tensor out = TT(RT_F32, y, 2, RR, RC);
    sweep("Softmax f32 axis -1", RT_OP_SOFTMAX, NULL, 0, &in, 1, &out, 1, REFS(e), 1e-8, 1e-5, BITWISE);
    /* Hardmax float32 axis 1 */
    for (int64_t r = 0; r < RR; r++) {
        int64_t bi = 0;
        for (int64_t c = 1; c < RC; c++)
            if (x[r * RC + c] > x[r * RC + bi]) bi = c;
        for (int64_t c = 0; c < RC; c++) e[r * RC + c] = c == bi;
    }
    rt_attr ax1 = ai("axis", 1);
    sweep("Hardmax f32 axis 1", RT_OP_HARDMAX, &ax1, 1, &in, 1, &out, 1, REFS(e), 0, 0, BITWISE);
    /* LogSoftmax float64 axis 0 (strided: inner = RC) */
    for (int64_t c = 0; c < RC; c++) {
        double m = -INFINITY, s = 0;
        for (int64_t r = 0; r < RR; r++) m = fmax(m, xd[r * RC + c]);
        for (int64_t r = 0; r < RR; r++) s += exp(xd[r * RC + c] - m);
        for (int64_t r = 0; r < RR; r++) e[r * RC + c] = xd[r * RC + c] - m - log(s);
    }
    rt_attr ax0 = ai("axis", 0);
    rt_tensor ind = TT(RT_F64, xd, 2, RR, RC), outd = TT(RT_F64, yd, 2, RR, RC);
    sweep("LogSoftmax f64 axis 0", RT_OP_LOGSOFTMAX, &ax0, 1, &ind, 1, &outd, 1, REFS(e), 1e-12, 1e-12, BITWISE);
    /* CumSum float32 axis 1; int64 axis 0 exclusive reverse */
    for (int64_t r = 0; r < RR; r++) {
        double s = 0;
        for (int64_t c = 0; c < RC; c++) e[r * RC + c] = s += x[r * RC + c];
    }
    int64_t one = 1, zero = 0;
    rt_tensor inc[2] = {in, TS(RT_I64, &one)};
    sweep("CumSum f32 axis 1", RT_OP_CUMSUM, NULL, 0, inc, 2, &out, 1, REFS(e), 1e-6, 1e-6, BITWISE);
    int64_t *xl = NEW(int64_t, n);
    for (int64_t i = 0; i < n; i++) xl[i] = irand(-1000000, 1000000);
    for (int64_t c = 0; c < RC; c++) {
        int64_t s = 0;
        for (int64_t r = RR - 1; r >= 0; r--) {
            e[r * RC + c] = (double)s;
            s += xl[r * RC + c];
        }
    }
    rt_attr er[2] = {ai("exclusive", 1), ai("reverse", 1)};
    rt_tensor incl[2] = {TT(RT_I64, xl, 2, RR, RC), TS(RT_I64, &zero)}, outl = TT(RT_I64, yl, 2, RR, RC);
    sweep("CumSum int64 axis 0 exclusive reverse", RT_OP_CUMSUM, er, 2, incl, 2, &outl, 1, REFS(e), 0, 0, BITWISE);
    /* TopK float32 axis -1, k = 5: values and indices (ties: lower index first) */
    int64_t k = 5, kk = 5;
    for (int64_t r = 0; r < RR; r++) {
        const float *p = x + r * RC;
        for (int64_t j = 0; j < k; j++) {
            int64_t bi = -1;
            for (int64_t c = 0; c < RC; c++) {
                int used = 0;
                for (int64_t q = 0; q < j; q++) used |= (int64_t)e2[r * k + q] == c;
                if (!used && (bi < 0 || p[c] > p[bi])) bi = c;
            }
            e[r * k + j] = p[bi];
            e2[r * k + j] = (double)bi;
        }
    }
    rt_tensor intk[2] = {in, TT(RT_I64, &kk, 1, 1)};
    rt_tensor outk[2] = {TT(RT_F32, y, 2, RR, k), TT(RT_I64, yl, 2, RR, k)};
    sweep("TopK f32 k=5", RT_OP_TOPK, NULL, 0, intk, 2, outk, 2, REFS(e, e2), 0, 0, BITWISE);
    mem_free();
}

/* ================================================================ linalg */

/* OpenBLAS threads (tolerance only: a threaded GEMM may sum in another order). */
static void t_gemm(void) {
    int64_t M = 131, Kd = 150, N = 173;
    above("MatMul M*N*K vs OpenBLAS's threading floor", M * N * Kd, 262145);
    float *A = rf32(M * Kd, -1, 1), *B = rf32(Kd * N, -1, 1), *Y = NEW(float, M * N);
    double *e = NEW(double, M * N);
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = 0;
            for (int64_t q = 0; q < Kd; q++) s += (double)A[i * Kd + q] * B[q * N + j];
            e[i * N + j] = s;
        }
    rt_tensor in[2] = {TT(RT_F32, A, 2, M, Kd), TT(RT_F32, B, 2, Kd, N)}, out = TT(RT_F32, Y, 2, M, N);
    sweep("MatMul f32 (OpenBLAS threads)", RT_OP_MATMUL, NULL, 0, in, 2, &out, 1, REFS(e), 1e-4, 1e-4, BLAS);
    /* Gemm float64, transB, alpha, beta, C broadcast along rows */
    double *Ad = rf64(M * Kd, -1, 1), *Bd = rf64(N * Kd, -1, 1), *Cd = rf64(N, -1, 1), *Yd = NEW(double, M * N);
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = 0;
            for (int64_t q = 0; q < Kd; q++) s += Ad[i * Kd + q] * Bd[j * Kd + q];
            e[i * N + j] = 0.5 * s + 2.0 * Cd[j];
        }
    rt_attr ga[3] = {ai("transB", 1), af("alpha", 0.5f), af("beta", 2.0f)};
    rt_tensor ing[3] = {TT(RT_F64, Ad, 2, M, Kd), TT(RT_F64, Bd, 2, N, Kd), TT(RT_F64, Cd, 1, N)};
    rt_tensor outg = TT(RT_F64, Yd, 2, M, N);
    sweep("Gemm f64 transB (OpenBLAS threads)", RT_OP_GEMM, ga, 3, ing, 3, &outg, 1, REFS(e), 1e-12, 1e-12, BLAS);
    mem_free();
}

/* Direct convolution in double, 1 to 3 spatial dims (missing leading ones are 1), group 1.
 * x [N,C,D,H,W], w [M,C,KD,KH,KW], y [N,M,OD,OH,OW]; s/p/d per axis (D, H, W). */
typedef struct cgeo {
    int64_t N, C, M, in[3], k[3], s[3], p[3], d[3], out[3];
} cgeo;
static void conv_ref(const cgeo *g, const double *x, const double *w, const double *b, double *y) {
    int64_t N = g->N, C = g->C, M = g->M;
    const int64_t *I = g->in, *Kk = g->k, *O = g->out;
    for (int64_t n = 0; n < N; n++)
        for (int64_t m = 0; m < M; m++)
            for (int64_t od = 0; od < O[0]; od++)
                for (int64_t oh = 0; oh < O[1]; oh++)
                    for (int64_t ow = 0; ow < O[2]; ow++) {
                        double s = b ? b[m] : 0;
                        for (int64_t c = 0; c < C; c++)
                            for (int64_t kd = 0; kd < Kk[0]; kd++)
                                for (int64_t kh = 0; kh < Kk[1]; kh++)
                                    for (int64_t kw = 0; kw < Kk[2]; kw++) {
                                        int64_t id = od * g->s[0] - g->p[0] + kd * g->d[0];
                                        int64_t ih = oh * g->s[1] - g->p[1] + kh * g->d[1];
                                        int64_t iw = ow * g->s[2] - g->p[2] + kw * g->d[2];
                                        if (id < 0 || id >= I[0] || ih < 0 || ih >= I[1] || iw < 0 || iw >= I[2])
                                            continue;
                                        s += x[(((n * C + c) * I[0] + id) * I[1] + ih) * I[2] + iw] *
                                             w[(((m * C + c) * Kk[0] + kd) * Kk[1] + kh) * Kk[2] + kw];
                                    }
                        y[(((n * M + m) * O[0] + od) * O[1] + oh) * O[2] + ow] = s;
                    }
}

/* One Conv sweep: nsp spatial dims (the last nsp of g's three), float32 or float64. */
static void conv_case(const char *what, int f64, int nsp, cgeo g, int bias) {
    for (int i = 0; i < 3; i++) {
        if (i < 3 - nsp) g.in[i] = g.k[i] = g.s[i] = g.d[i] = 1, g.p[i] = 0;
        g.out[i] = (g.in[i] + 2 * g.p[i] - ((g.k[i] - 1) * g.d[i] + 1)) / g.s[i] + 1;
    }
    int64_t nx = g.N * g.C * g.in[0] * g.in[1] * g.in[2], nw = g.M * g.C * g.k[0] * g.k[1] * g.k[2];
    int64_t P = g.out[0] * g.out[1] * g.out[2], ny = g.N * g.M * P;
    int64_t rows = g.C * g.k[0] * g.k[1] * g.k[2];
    int pointwise = rows == g.C && g.p[0] + g.p[1] + g.p[2] == 0 && g.s[0] * g.s[1] * g.s[2] == 1;
    if (!pointwise) above(what, rows * P, PAR_MIN);
    if (bias) above(what, g.N * g.M * P, PAR_MIN);
    double *x = rf64(nx, -1, 1), *w = rf64(nw, -1, 1), *b = rf64(g.M, -1, 1), *e = NEW(double, ny);
    void *xs = x, *ws = w, *bs = b, *ys = NEW(double, ny);
    if (!f64) { /* float32 copies; the reference uses the rounded values */
        float *xf = NEW(float, nx), *wf = NEW(float, nw), *bf = NEW(float, g.M);
        for (int64_t i = 0; i < nx; i++) x[i] = xf[i] = (float)x[i];
        for (int64_t i = 0; i < nw; i++) w[i] = wf[i] = (float)w[i];
        for (int64_t i = 0; i < g.M; i++) b[i] = bf[i] = (float)b[i];
        xs = xf, ws = wf, bs = bf;
    }
    conv_ref(&g, x, w, bias ? b : NULL, e);
    int dt = f64 ? RT_F64 : RT_F32, r = 2 + nsp;
    int64_t dx[5] = {g.N, g.C}, dw[5] = {g.M, g.C}, dy[5] = {g.N, g.M}, pads[6], st[3], dil[3];
    for (int i = 0; i < nsp; i++) {
        int a = 3 - nsp + i;
        dx[2 + i] = g.in[a], dw[2 + i] = g.k[a], dy[2 + i] = g.out[a];
        pads[i] = pads[nsp + i] = g.p[a], st[i] = g.s[a], dil[i] = g.d[a];
    }
    rt_attr at[3] = {aints("pads", 2 * nsp, pads), aints("strides", nsp, st), aints("dilations", nsp, dil)};
    rt_tensor in[3] = {tt(dt, xs, r, dx), tt(dt, ws, r, dw), tt(dt, bs, 1, &g.M)}, out = tt(dt, ys, r, dy);
    /* OpenBLAS stays at 1 thread: the im2col / bias threads are the only difference, so the
     * result must not change by a bit */
    sweep(what, RT_OP_CONV, at, 3, in, bias ? 3 : 2, &out, 1, REFS(e), 1e-5, 1e-5, BITWISE);
    mem_free();
}

static void t_conv(void) {
    /* im2col_f32_2d stride 1, plus the bias planes */
    conv_case("Conv f32 2-D 3x3 pad 1 + bias", 0, 2,
              (cgeo){2, 4, 8, {1, 48, 48}, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}, {1, 1, 1}, {0}}, 1);
    /* im2col_f32_2d with stride 2 and dilation 2 (the strided copy) */
    conv_case("Conv f32 2-D stride 2 dilation 2", 0, 2,
              (cgeo){1, 4, 6, {1, 64, 64}, {1, 3, 3}, {1, 2, 2}, {0, 2, 2}, {1, 2, 2}, {0}}, 0);
    /* im2col_f64_2d */
    conv_case("Conv f64 2-D 3x3 pad 1", 1, 2,
              (cgeo){1, 4, 5, {1, 40, 40}, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}, {1, 1, 1}, {0}}, 0);
    /* im2col_f32 N-D: 1-D and 3-D */
    conv_case("Conv f32 1-D k5 pad 2", 0, 1,
              (cgeo){1, 8, 4, {1, 1, 1000}, {1, 1, 5}, {1, 1, 1}, {0, 0, 2}, {1, 1, 1}, {0}}, 0);
    conv_case("Conv f32 3-D 3x3x3 pad 1", 0, 3,
              (cgeo){1, 2, 3, {12, 12, 12}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0}}, 0);
    /* pointwise (no im2col): bias planes only */
    conv_case("Conv f32 1x1 pointwise + bias", 0, 2,
              (cgeo){5, 16, 8, {1, 32, 32}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}, {0}}, 1);
}

static void t_convtranspose(void) {
    int64_t N = 1, C = 4, M = 6, H = 32, W = 32, Kk = 3, S = 2, P = 1;
    int64_t OH = S * (H - 1) + Kk - 2 * P, OW = S * (W - 1) + Kk - 2 * P;
    above("ConvTranspose col2im", M * Kk * Kk * H * W, PAR_MIN);
    float *x = rf32(N * C * H * W, -1, 1), *w = rf32(C * M * Kk * Kk, -1, 1), *b = rf32(M, -1, 1);
    float *y = NEW(float, N * M * OH * OW);
    double *e = NEW(double, N * M * OH * OW);
    for (int64_t i = 0; i < N * M * OH * OW; i++) e[i] = b[(i / (OH * OW)) % M];
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t ih = 0; ih < H; ih++)
                for (int64_t iw = 0; iw < W; iw++)
                    for (int64_t m = 0; m < M; m++)
                        for (int64_t kh = 0; kh < Kk; kh++)
                            for (int64_t kw = 0; kw < Kk; kw++) {
                                int64_t oh = ih * S - P + kh, ow = iw * S - P + kw;
                                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                                e[((n * M + m) * OH + oh) * OW + ow] +=
                                    (double)x[((n * C + c) * H + ih) * W + iw] * w[((c * M + m) * Kk + kh) * Kk + kw];
                            }
    rt_attr at[2] = {AINTS("strides", 2, 2), AINTS("pads", 1, 1, 1, 1)};
    rt_tensor in[3] = {TT(RT_F32, x, 4, N, C, H, W), TT(RT_F32, w, 4, C, M, Kk, Kk), TT(RT_F32, b, 1, M)};
    rt_tensor out = TT(RT_F32, y, 4, N, M, OH, OW);
    sweep("ConvTranspose f32 stride 2 (col2im)", RT_OP_CONVTRANSPOSE, at, 2, in, 3, &out, 1, REFS(e),
          1e-5, 1e-5, BITWISE);
    mem_free();
}

/* A pool over [Np, H, W] planes in double: max (first strict maximum, its flat index in the
 * plane + plane offset) or average (count_include_pad: over the padded window size). */
static void pool_ref(int avg, int cip, const double *x, int64_t Np, int64_t H, int64_t W, int64_t k,
                     int64_t s, int64_t p, int64_t OH, int64_t OW, double *y, double *idx) {
    for (int64_t q = 0; q < Np; q++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                double best = 0, sum = 0;
                int64_t bi = -1, cnt = 0;
                for (int64_t kh = 0; kh < k; kh++)
                    for (int64_t kw = 0; kw < k; kw++) {
                        int64_t h = oh * s - p + kh, w = ow * s - p + kw;
                        if (h < 0 || h >= H || w < 0 || w >= W) continue;
                        double v = x[(q * H + h) * W + w];
                        sum += v, cnt++;
                        if (bi < 0 || v > best) best = v, bi = h * W + w;
                    }
                int64_t o = (q * OH + oh) * OW + ow;
                y[o] = avg ? sum / (double)(cip ? k * k : cnt) : best;
                if (idx) idx[o] = (double)(q * H * W + bi);
            }
}

static void t_pool(void) {
    int64_t Nn = 2, C = 8, H = 40, W = 40, Np = Nn * C;
    double *xd = rf64(Np * H * W, -4, 4), *e = NEW(double, Np * H * W), *ei = NEW(double, Np * H * W);
    /* MaxPool float32 3x3 stride 1 pad 1 with Indices */
    float *xf = NEW(float, Np * H * W), *yf = NEW(float, Np * H * W);
    for (int64_t i = 0; i < Np * H * W; i++) xd[i] = xf[i] = (float)xd[i];
    above("MaxPool f32", Np * H * W * 9, PAR_MIN);
    pool_ref(0, 0, xd, Np, H, W, 3, 1, 1, H, W, e, ei);
    int64_t *yi = NEW(int64_t, Np * H * W);
    rt_attr at[3] = {AINTS("kernel_shape", 3, 3), AINTS("strides", 1, 1), AINTS("pads", 1, 1, 1, 1)};
    rt_tensor in = TT(RT_F32, xf, 4, Nn, C, H, W);
    rt_tensor out[2] = {TT(RT_F32, yf, 4, Nn, C, H, W), TT(RT_I64, yi, 4, Nn, C, H, W)};
    sweep("MaxPool f32 3x3 + Indices", RT_OP_MAXPOOL, at, 3, &in, 1, out, 2, REFS(e, ei), 0, 0, BITWISE);
    /* AveragePool float64 3x3 stride 2 pad 1, count_include_pad 0 */
    int64_t O2 = (H + 2 - 3) / 2 + 1;
    above("AveragePool f64", Np * O2 * O2 * 9, PAR_MIN);
    double *xs = rf64(Np * H * W, -4, 4), *yd = NEW(double, Np * O2 * O2);
    pool_ref(1, 0, xs, Np, H, W, 3, 2, 1, O2, O2, e, NULL);
    rt_attr at2[3] = {AINTS("kernel_shape", 3, 3), AINTS("strides", 2, 2), AINTS("pads", 1, 1, 1, 1)};
    rt_tensor ind = TT(RT_F64, xs, 4, Nn, C, H, W), outd = TT(RT_F64, yd, 4, Nn, C, O2, O2);
    sweep("AveragePool f64 3x3 stride 2", RT_OP_AVERAGEPOOL, at2, 3, &ind, 1, &outd, 1, REFS(e), 1e-14, 1e-14, BITWISE);
    /* MaxPool int8 3x3 stride 2, no pad */
    int64_t O3 = (H - 3) / 2 + 1;
    above("MaxPool i8", Np * O3 * O3 * 9, PAR_MIN);
    int8_t *xb = NEW(int8_t, Np * H * W), *yb = NEW(int8_t, Np * O3 * O3);
    for (int64_t i = 0; i < Np * H * W; i++) xs[i] = xb[i] = (int8_t)irand(-128, 127);
    pool_ref(0, 0, xs, Np, H, W, 3, 2, 0, O3, O3, e, NULL);
    rt_attr at3[2] = {AINTS("kernel_shape", 3, 3), AINTS("strides", 2, 2)};
    rt_tensor inb = TT(RT_I8, xb, 4, Nn, C, H, W), outb = TT(RT_I8, yb, 4, Nn, C, O3, O3);
    sweep("MaxPool int8 3x3 stride 2", RT_OP_MAXPOOL, at3, 2, &inb, 1, &outb, 1, REFS(e), 0, 0, BITWISE);
    /* AveragePool float16 3x3 stride 1 pad 1, count_include_pad 1 (one rounding to half) */
    uint16_t *xh = rf16(Np * H * W, 12, 16), *yh = NEW(uint16_t, Np * H * W);
    for (int64_t i = 0; i < Np * H * W; i++) xs[i] = h2d(xh[i]);
    pool_ref(1, 1, xs, Np, H, W, 3, 1, 1, H, W, e, NULL);
    rt_attr at4[4] = {AINTS("kernel_shape", 3, 3), AINTS("strides", 1, 1), AINTS("pads", 1, 1, 1, 1),
                      ai("count_include_pad", 1)};
    rt_tensor inh = TT(RT_F16, xh, 4, Nn, C, H, W), outh = TT(RT_F16, yh, 4, Nn, C, H, W);
    sweep("AveragePool f16 3x3 count_include_pad", RT_OP_AVERAGEPOOL, at4, 4, &inh, 1, &outh, 1, REFS(e),
          1e-3, 0x1p-11, BITWISE);
    mem_free();
    /* GlobalAveragePool float32, GlobalMaxPool float64 */
    int64_t GN = 4, GC = 16, GP = 24 * 24;
    above("Global pools", GN * GC * GP, PAR_MIN);
    float *gx = rf32(GN * GC * GP, -3, 3), *gy = NEW(float, GN * GC);
    double *gxd = rf64(GN * GC * GP, -3, 3), *gyd = NEW(double, GN * GC), *ge = NEW(double, GN * GC);
    for (int64_t q = 0; q < GN * GC; q++) {
        double s = 0;
        for (int64_t j = 0; j < GP; j++) s += gx[q * GP + j];
        ge[q] = s / (double)GP;
    }
    rt_tensor gin = TT(RT_F32, gx, 4, GN, GC, 24, 24), gout = TT(RT_F32, gy, 4, GN, GC, 1, 1);
    sweep("GlobalAveragePool f32", RT_OP_GLOBALAVERAGEPOOL, NULL, 0, &gin, 1, &gout, 1, REFS(ge), 1e-7, 1e-6, BITWISE);
    for (int64_t q = 0; q < GN * GC; q++) {
        double m = -INFINITY;
        for (int64_t j = 0; j < GP; j++) m = fmax(m, gxd[q * GP + j]);
        ge[q] = m;
    }
    rt_tensor gind = TT(RT_F64, gxd, 4, GN, GC, 24, 24), goutd = TT(RT_F64, gyd, 4, GN, GC, 1, 1);
    sweep("GlobalMaxPool f64", RT_OP_GLOBALMAXPOOL, NULL, 0, &gind, 1, &goutd, 1, REFS(ge), 0, 0, BITWISE);
    mem_free();
}

static void t_einsum(void) {
    /* three inputs: never the gemm fast path */
    int64_t I = 257, J = 259;
    above("Einsum ij,j,i->ij", I * J, PAR_MIN);
    float *A = rf32(I * J, -2, 2), *b = rf32(J, -2, 2), *c = rf32(I, -2, 2), *y = NEW(float, I * J);
    double *e = NEW(double, I * J);
    for (int64_t i = 0; i < I; i++)
        for (int64_t j = 0; j < J; j++) e[i * J + j] = (double)A[i * J + j] * b[j] * c[i];
    rt_attr eq = as("equation", "ij,j,i->ij");
    rt_tensor in[3] = {TT(RT_F32, A, 2, I, J), TT(RT_F32, b, 1, J), TT(RT_F32, c, 1, I)};
    rt_tensor out = TT(RT_F32, y, 2, I, J);
    sweep("Einsum ij,j,i->ij f32 (general loop)", RT_OP_EINSUM, &eq, 1, in, 3, &out, 1, REFS(e), 0, 1e-7, BITWISE);
    /* one input, a summed label */
    int64_t P = 200, Q = 7, R = 181;
    above("Einsum ijk->ik", P * R, PAR_MIN);
    double *x = rf64(P * Q * R, -1, 1), *yd = NEW(double, P * R), *e2 = NEW(double, P * R);
    for (int64_t i = 0; i < P; i++)
        for (int64_t k = 0; k < R; k++) {
            double s = 0;
            for (int64_t j = 0; j < Q; j++) s += x[(i * Q + j) * R + k];
            e2[i * R + k] = s;
        }
    rt_attr eq2 = as("equation", "ijk->ik");
    rt_tensor in2 = TT(RT_F64, x, 3, P, Q, R), out2 = TT(RT_F64, yd, 2, P, R);
    sweep("Einsum ijk->ik f64 (general loop)", RT_OP_EINSUM, &eq2, 1, &in2, 1, &out2, 1, REFS(e2), 1e-14, 1e-14, BITWISE);
    mem_free();
}

/* ================================================================ move */

static double *f2d(const float *x, int64_t n) {
    double *e = NEW(double, n);
    for (int64_t i = 0; i < n; i++) e[i] = x[i];
    return e;
}

/* rtk_mv_copy: each copied block must be >= MV_PAR bytes itself */
static void t_copy(void) {
    /* Concat along axis 0: one block per input, 266240 and 307200 bytes */
    int64_t R1 = 260, R2 = 300, C = 256;
    above("Concat axis 0 input 0 bytes", R1 * C * 4, MV_PAR);
    float *a = rf32(R1 * C, -1, 1), *b = rf32(R2 * C, -1, 1), *y = NEW(float, (R1 + R2) * C);
    double *e = NEW(double, (R1 + R2) * C);
    for (int64_t i = 0; i < R1 * C; i++) e[i] = a[i];
    for (int64_t i = 0; i < R2 * C; i++) e[R1 * C + i] = b[i];
    rt_attr ax0 = ai("axis", 0);
    rt_tensor in[2] = {TT(RT_F32, a, 2, R1, C), TT(RT_F32, b, 2, R2, C)}, out = TT(RT_F32, y, 2, R1 + R2, C);
    sweep("Concat f32 axis 0 (bulk copy)", RT_OP_CONCAT, &ax0, 1, in, 2, &out, 1, REFS(e), 0, 0, BITWISE);
    /* Split along axis 0 into the same two blocks */
    float *y1 = NEW(float, R1 * C), *y2 = NEW(float, R2 * C);
    int64_t sp[2] = {R1, R2};
    rt_tensor ins[2] = {TT(RT_F32, y, 2, R1 + R2, C), TT(RT_I64, sp, 1, 2)};
    memcpy(y, a, (size_t)(R1 * C) * 4);
    memcpy(y + R1 * C, b, (size_t)(R2 * C) * 4);
    rt_tensor outs[2] = {TT(RT_F32, y1, 2, R1, C), TT(RT_F32, y2, 2, R2, C)};
    sweep("Split f32 axis 0 (bulk copy)", RT_OP_SPLIT, &ax0, 1, ins, 2, outs, 2, REFS(f2d(a, R1 * C), f2d(b, R2 * C)),
          0, 0, BITWISE);
    /* Reshape [300,300] -> [90000] (360000 bytes) */
    float *x = rf32(90000, -1, 1), *yr = NEW(float, 90000);
    int64_t shp[1] = {90000};
    rt_tensor inr[2] = {TT(RT_F32, x, 2, 300, 300), TT(RT_I64, shp, 1, 1)}, outr = TT(RT_F32, yr, 1, 90000);
    sweep("Reshape f32 (bulk copy)", RT_OP_RESHAPE, NULL, 0, inr, 2, &outr, 1, REFS(f2d(x, 90000)), 0, 0, BITWISE);
    /* ScatterND: data [400,256] copied, rows 3 and 397 replaced */
    float *d = rf32(400 * 256, -1, 1), *u = rf32(2 * 256, 5, 6), *ys = NEW(float, 400 * 256);
    int64_t idx[2] = {3, -3};
    double *es = f2d(d, 400 * 256);
    for (int64_t j = 0; j < 256; j++) es[3 * 256 + j] = u[j], es[397 * 256 + j] = u[256 + j];
    rt_tensor insn[3] = {TT(RT_F32, d, 2, 400, 256), TT(RT_I64, idx, 2, 2, 1), TT(RT_F32, u, 2, 2, 256)};
    rt_tensor outsn = TT(RT_F32, ys, 2, 400, 256);
    sweep("ScatterND f32 (bulk copy of data)", RT_OP_SCATTERND, NULL, 0, insn, 3, &outsn, 1, REFS(es), 0, 0, BITWISE);
    /* ScatterElements int64 axis 1: data [300,150] (360000 bytes) */
    int64_t *dl = NEW(int64_t, 300 * 150), *il = NEW(int64_t, 300), *ul = NEW(int64_t, 300), *yl = NEW(int64_t, 300 * 150);
    double *el = NEW(double, 300 * 150);
    for (int64_t i = 0; i < 300 * 150; i++) el[i] = (double)(dl[i] = irand(-1000000, 1000000));
    for (int64_t r = 0; r < 300; r++) {
        il[r] = irand(0, 149);
        ul[r] = irand(2000000, 3000000);
        el[r * 150 + il[r]] = (double)ul[r];
    }
    rt_attr ax1 = ai("axis", 1);
    rt_tensor inse[3] = {TT(RT_I64, dl, 2, 300, 150), TT(RT_I64, il, 2, 300, 1), TT(RT_I64, ul, 2, 300, 1)};
    rt_tensor outse = TT(RT_I64, yl, 2, 300, 150);
    sweep("ScatterElements int64 axis 1 (bulk copy of data)", RT_OP_SCATTERELEMENTS, &ax1, 1, inse, 3, &outse, 1,
          REFS(el), 0, 0, BITWISE);
    mem_free();
}

/* rtk_mv_fill */
static void t_fill(void) {
    int64_t R = 300, C = 301;
    above("ConstantOfShape bytes", R * C * 4, MV_PAR);
    float v = 3.25f, *y = NEW(float, R * C);
    double *e = NEW(double, R * C);
    for (int64_t i = 0; i < R * C; i++) e[i] = v;
    int64_t shp[2] = {R, C};
    rt_tensor vt = TT(RT_F32, &v, 1, 1);
    rt_attr va = {.name = "value", .type = RT_ATTR_TENSOR, .t = &vt};
    rt_tensor in = TT(RT_I64, shp, 1, 2), out = TT(RT_F32, y, 2, R, C);
    sweep("ConstantOfShape f32 (fill)", RT_OP_CONSTANTOFSHAPE, &va, 1, &in, 1, &out, 1, REFS(e), 0, 0, BITWISE);
    /* OneHot: [1000] indices (some negative), depth 100 -> [1000,100] f32 */
    int64_t n = 1000, depth = 100;
    above("OneHot bytes", n * depth * 4, MV_PAR);
    int64_t *ix = NEW(int64_t, n);
    float vals[2] = {0.25f, 4.5f}, *yo = NEW(float, n * depth);
    double *eo = NEW(double, n * depth);
    for (int64_t i = 0; i < n; i++) {
        ix[i] = irand(-depth, depth - 1);
        int64_t hot = ix[i] < 0 ? ix[i] + depth : ix[i];
        for (int64_t d = 0; d < depth; d++) eo[i * depth + d] = d == hot ? vals[1] : vals[0];
    }
    rt_tensor ino[3] = {TT(RT_I64, ix, 1, n), TS(RT_I64, &depth), TT(RT_F32, vals, 1, 2)};
    rt_tensor outo = TT(RT_F32, yo, 2, n, depth);
    sweep("OneHot f32 (fill)", RT_OP_ONEHOT, NULL, 0, ino, 3, &outo, 1, REFS(eo), 0, 0, BITWISE);
    mem_free();
}

/* rtk_mv_strided: tiles (transposed contiguous axis) and rows */
static void t_strided(void) {
    /* Transpose [300,301] -> [301,300]: tiles */
    int64_t R = 300, C = 301;
    above("Transpose 2-D bytes", R * C * 4, MV_PAR);
    float *x = rf32(R * C, -1, 1), *y = NEW(float, R * C);
    double *e = NEW(double, R * C);
    for (int64_t r = 0; r < R; r++)
        for (int64_t c = 0; c < C; c++) e[c * R + r] = x[r * C + c];
    rt_attr p10 = AINTS("perm", 1, 0);
    rt_tensor in = TT(RT_F32, x, 2, R, C), out = TT(RT_F32, y, 2, C, R);
    sweep("Transpose f32 [1,0] (tiles)", RT_OP_TRANSPOSE, &p10, 1, &in, 1, &out, 1, REFS(e), 0, 0, BITWISE);
    /* DepthToSpace DCR [2,16,64,64] b=2 -> [2,4,128,128]; SpaceToDepth back */
    int64_t N = 2, Cc = 16, H = 64, W = 64, B = 2, C2 = Cc / (B * B), n = N * Cc * H * W;
    above("DepthToSpace bytes", n * 4, MV_PAR);
    float *xd = rf32(n, -1, 1), *yd = NEW(float, n);
    double *ed = NEW(double, n), *es = NEW(double, n);
    for (int64_t b0 = 0; b0 < N; b0++)
        for (int64_t c = 0; c < C2; c++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t bh = 0; bh < B; bh++)
                    for (int64_t w = 0; w < W; w++)
                        for (int64_t bw = 0; bw < B; bw++)
                            ed[((b0 * C2 + c) * H * B + h * B + bh) * W * B + w * B + bw] =
                                xd[((b0 * Cc + (bh * B + bw) * C2 + c) * H + h) * W + w];
    rt_attr dsa[2] = {ai("blocksize", B), as("mode", "DCR")};
    rt_tensor ind = TT(RT_F32, xd, 4, N, Cc, H, W), outd = TT(RT_F32, yd, 4, N, C2, H * B, W * B);
    sweep("DepthToSpace f32 DCR", RT_OP_DEPTHTOSPACE, dsa, 2, &ind, 1, &outd, 1, REFS(ed), 0, 0, BITWISE);
    /* SpaceToDepth of xd seen as [2,4,128,128] */
    for (int64_t b0 = 0; b0 < N; b0++)
        for (int64_t c = 0; c < C2; c++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t bh = 0; bh < B; bh++)
                    for (int64_t w = 0; w < W; w++)
                        for (int64_t bw = 0; bw < B; bw++)
                            es[((b0 * Cc + (bh * B + bw) * C2 + c) * H + h) * W + w] =
                                xd[((b0 * C2 + c) * H * B + h * B + bh) * W * B + w * B + bw];
    rt_attr sda = ai("blocksize", B);
    rt_tensor ins = TT(RT_F32, xd, 4, N, C2, H * B, W * B), outs = TT(RT_F32, yd, 4, N, Cc, H, W);
    sweep("SpaceToDepth f32", RT_OP_SPACETODEPTH, &sda, 1, &ins, 1, &outs, 1, REFS(es), 0, 0, BITWISE);
    mem_free();

    /* Transpose [4,64,32,16] by [0,2,1,3]: rows of 16 */
    int64_t a0 = 4, a1 = 64, a2 = 32, a3 = 16, nt_ = a0 * a1 * a2 * a3;
    above("Transpose 4-D bytes", nt_ * 4, MV_PAR);
    float *x4 = rf32(nt_, -1, 1), *y4 = NEW(float, nt_);
    double *e4 = NEW(double, nt_);
    for (int64_t i = 0; i < a0; i++)
        for (int64_t j = 0; j < a1; j++)
            for (int64_t k = 0; k < a2; k++)
                for (int64_t l = 0; l < a3; l++)
                    e4[((i * a2 + k) * a1 + j) * a3 + l] = x4[((i * a1 + j) * a2 + k) * a3 + l];
    rt_attr p0213 = AINTS("perm", 0, 2, 1, 3);
    rt_tensor in4 = TT(RT_F32, x4, 4, a0, a1, a2, a3), out4 = TT(RT_F32, y4, 4, a0, a2, a1, a3);
    sweep("Transpose f32 [0,2,1,3] (rows)", RT_OP_TRANSPOSE, &p0213, 1, &in4, 1, &out4, 1, REFS(e4), 0, 0, BITWISE);
    /* Slice [400,400] rows 1:399, cols 3:-2:2 -> [398,198] */
    int64_t S = 400, OR = 398, OC = (S - 2 - 3 - 1) / 2 + 1;
    above("Slice bytes", OR * OC * 4, MV_PAR);
    float *xs = rf32(S * S, -1, 1), *ys = NEW(float, OR * OC);
    double *esl = NEW(double, OR * OC);
    for (int64_t r = 0; r < OR; r++)
        for (int64_t c = 0; c < OC; c++) esl[r * OC + c] = xs[(1 + r) * S + 3 + 2 * c];
    int64_t st[2] = {1, 3}, en[2] = {399, -2}, axs[2] = {0, 1}, stp[2] = {1, 2};
    rt_tensor insl[5] = {TT(RT_F32, xs, 2, S, S), TT(RT_I64, st, 1, 2), TT(RT_I64, en, 1, 2),
                         TT(RT_I64, axs, 1, 2), TT(RT_I64, stp, 1, 2)};
    rt_tensor outsl = TT(RT_F32, ys, 2, OR, OC);
    sweep("Slice f32 step 2 (rows)", RT_OP_SLICE, NULL, 0, insl, 5, &outsl, 1, REFS(esl), 0, 0, BITWISE);
    /* Expand [1,300] and [400,1] to [400,300] */
    int64_t ER = 400, EC = 300, esh[2] = {400, 300};
    above("Expand bytes", ER * EC * 4, MV_PAR);
    float *xr = rf32(EC, -1, 1), *xc = rf32(ER, -1, 1), *ye = NEW(float, ER * EC);
    double *ee = NEW(double, ER * EC), *ee2 = NEW(double, ER * EC);
    for (int64_t r = 0; r < ER; r++)
        for (int64_t c = 0; c < EC; c++) ee[r * EC + c] = xr[c], ee2[r * EC + c] = xc[r];
    rt_tensor ine[2] = {TT(RT_F32, xr, 2, 1, EC), TT(RT_I64, esh, 1, 2)}, oute = TT(RT_F32, ye, 2, ER, EC);
    sweep("Expand f32 [1,300]->[400,300] (rows)", RT_OP_EXPAND, NULL, 0, ine, 2, &oute, 1, REFS(ee), 0, 0, BITWISE);
    rt_tensor ine2[2] = {TT(RT_F32, xc, 2, ER, 1), TT(RT_I64, esh, 1, 2)};
    sweep("Expand f32 [400,1]->[400,300] (rows of one value)", RT_OP_EXPAND, NULL, 0, ine2, 2, &oute, 1, REFS(ee2),
          0, 0, BITWISE);
    /* Tile [100,150] by [3,2] -> [300,300] */
    int64_t TR = 100, TC = 150, rep[2] = {3, 2};
    above("Tile bytes", TR * 3 * TC * 2 * 4, MV_PAR);
    float *xt = rf32(TR * TC, -1, 1), *yt = NEW(float, TR * TC * 6);
    double *et = NEW(double, TR * TC * 6);
    for (int64_t r = 0; r < 3 * TR; r++)
        for (int64_t c = 0; c < 2 * TC; c++) et[r * 2 * TC + c] = xt[(r % TR) * TC + c % TC];
    rt_tensor intl[2] = {TT(RT_F32, xt, 2, TR, TC), TT(RT_I64, rep, 1, 2)}, outt = TT(RT_F32, yt, 2, 3 * TR, 2 * TC);
    sweep("Tile f32 [3,2] (rows)", RT_OP_TILE, NULL, 0, intl, 2, &outt, 1, REFS(et), 0, 0, BITWISE);
    mem_free();
}

/* Concat / Split with outer > 1, Gather, Pad, Trilu */
static void t_rows(void) {
    int64_t R = 300, C1 = 100, C2 = 157, C = C1 + C2;
    above("Concat axis 1 bytes", R * C * 4, MV_PAR);
    float *a = rf32(R * C1, -1, 1), *b = rf32(R * C2, -1, 1), *y = NEW(float, R * C);
    double *e = NEW(double, R * C);
    for (int64_t r = 0; r < R; r++) {
        for (int64_t c = 0; c < C1; c++) e[r * C + c] = a[r * C1 + c];
        for (int64_t c = 0; c < C2; c++) e[r * C + C1 + c] = b[r * C2 + c];
    }
    rt_attr ax1 = ai("axis", 1), ax0 = ai("axis", 0);
    rt_tensor in[2] = {TT(RT_F32, a, 2, R, C1), TT(RT_F32, b, 2, R, C2)}, out = TT(RT_F32, y, 2, R, C);
    sweep("Concat f32 axis 1 (rows)", RT_OP_CONCAT, &ax1, 1, in, 2, &out, 1, REFS(e), 0, 0, BITWISE);
    float *x = rf32(R * C, -1, 1), *y1 = NEW(float, R * C1), *y2 = NEW(float, R * C2);
    double *e1 = NEW(double, R * C1), *e2 = NEW(double, R * C2);
    for (int64_t r = 0; r < R; r++) {
        for (int64_t c = 0; c < C1; c++) e1[r * C1 + c] = x[r * C + c];
        for (int64_t c = 0; c < C2; c++) e2[r * C2 + c] = x[r * C + C1 + c];
    }
    int64_t sp[2] = {C1, C2};
    rt_tensor ins[2] = {TT(RT_F32, x, 2, R, C), TT(RT_I64, sp, 1, 2)};
    rt_tensor outs[2] = {TT(RT_F32, y1, 2, R, C1), TT(RT_F32, y2, 2, R, C2)};
    sweep("Split f32 axis 1 (rows)", RT_OP_SPLIT, &ax1, 1, ins, 2, outs, 2, REFS(e1, e2), 0, 0, BITWISE);
    mem_free();

    /* Gather axis 0 float32: [500,200] by [700] indices (some negative) */
    int64_t GR = 500, GC = 200, NI = 700;
    above("Gather axis 0 bytes", NI * GC * 4, MV_PAR);
    float *gx = rf32(GR * GC, -1, 1), *gy = NEW(float, NI * GC);
    int64_t *gi = NEW(int64_t, NI);
    double *ge = NEW(double, NI * GC);
    for (int64_t i = 0; i < NI; i++) {
        gi[i] = irand(-GR, GR - 1);
        for (int64_t c = 0; c < GC; c++) ge[i * GC + c] = gx[(gi[i] < 0 ? gi[i] + GR : gi[i]) * GC + c];
    }
    rt_tensor gin[2] = {TT(RT_F32, gx, 2, GR, GC), TT(RT_I64, gi, 1, NI)}, gout = TT(RT_F32, gy, 2, NI, GC);
    sweep("Gather f32 axis 0", RT_OP_GATHER, &ax0, 1, gin, 2, &gout, 1, REFS(ge), 0, 0, BITWISE);
    /* Gather axis 1 int64 data [300,400] by int32 [250] */
    int64_t HR = 300, HC = 400, NJ = 250;
    above("Gather axis 1 bytes", HR * NJ * 8, MV_PAR);
    int64_t *hx = NEW(int64_t, HR * HC), *hy = NEW(int64_t, HR * NJ);
    int32_t *hi = NEW(int32_t, NJ);
    double *he = NEW(double, HR * NJ);
    for (int64_t i = 0; i < HR * HC; i++) hx[i] = irand(-1000000, 1000000);
    for (int64_t j = 0; j < NJ; j++) hi[j] = (int32_t)irand(0, HC - 1);
    for (int64_t r = 0; r < HR; r++)
        for (int64_t j = 0; j < NJ; j++) he[r * NJ + j] = (double)hx[r * HC + hi[j]];
    rt_tensor hin[2] = {TT(RT_I64, hx, 2, HR, HC), TT(RT_I32, hi, 1, NJ)}, hout = TT(RT_I64, hy, 2, HR, NJ);
    sweep("Gather int64 axis 1", RT_OP_GATHER, &ax1, 1, hin, 2, &hout, 1, REFS(he), 0, 0, BITWISE);
    mem_free();

    /* Pad [300,300] constant 1.5 by [2,3 | 4,5]; reflect by [3,4 | 5,6]; edge with crops */
    int64_t PR = 300, PC = 300;
    float *px = rf32(PR * PC, -1, 1), cv = 1.5f;
    static const char *const modes[3] = {"constant", "reflect", "edge"};
    int64_t pads[3][4] = {{2, 3, 4, 5}, {3, 4, 5, 6}, {-2, 3, 1, -4}};
    for (int m = 0; m < 3; m++) {
        int64_t *pd = pads[m], OR = PR + pd[0] + pd[2], OC = PC + pd[1] + pd[3];
        above("Pad bytes", OR * OC * 4, MV_PAR);
        float *py = NEW(float, OR * OC);
        double *pe = NEW(double, OR * OC);
        for (int64_t r = 0; r < OR; r++)
            for (int64_t c = 0; c < OC; c++) {
                int64_t sr = r - pd[0], sc = c - pd[1];
                if (m == 1) { /* reflect, pads below the dim */
                    sr = sr < 0 ? -sr : sr >= PR ? 2 * (PR - 1) - sr : sr;
                    sc = sc < 0 ? -sc : sc >= PC ? 2 * (PC - 1) - sc : sc;
                } else if (m == 2) { /* edge */
                    sr = sr < 0 ? 0 : sr >= PR ? PR - 1 : sr;
                    sc = sc < 0 ? 0 : sc >= PC ? PC - 1 : sc;
                }
                int inside = sr >= 0 && sr < PR && sc >= 0 && sc < PC;
                pe[r * OC + c] = inside ? px[sr * PC + sc] : cv;
            }
        rt_attr pm = as("mode", modes[m]);
        rt_tensor pin[3] = {TT(RT_F32, px, 2, PR, PC), TT(RT_I64, pd, 1, 4), TS(RT_F32, &cv)};
        rt_tensor pout = TT(RT_F32, py, 2, OR, OC);
        char what[64];
        snprintf(what, sizeof what, "Pad f32 %s", modes[m]);
        sweep(what, RT_OP_PAD, &pm, 1, pin, m == 0 ? 3 : 2, &pout, 1, REFS(pe), 0, 0, BITWISE);
    }
    mem_free();

    /* Trilu [2,300,300]: upper k=1, lower k=-2 */
    int64_t TB = 2, TN = 300, TM = 300, n = TB * TN * TM;
    above("Trilu bytes", n * 4, MV_PAR);
    float *tx = rf32(n, 1, 2), *ty = NEW(float, n);
    double *te = NEW(double, n);
    for (int up = 1; up >= 0; up--) {
        int64_t k = up ? 1 : -2;
        for (int64_t i = 0; i < n; i++) {
            int64_t r = (i / TM) % TN, c = i % TM;
            te[i] = (up ? c - r >= k : c - r <= k) ? tx[i] : 0;
        }
        rt_attr ua = ai("upper", up);
        rt_tensor tin[2] = {TT(RT_F32, tx, 3, TB, TN, TM), TT(RT_I64, &k, 1, 1)};
        rt_tensor tout = TT(RT_F32, ty, 3, TB, TN, TM);
        sweep(up ? "Trilu f32 upper k=1" : "Trilu f32 lower k=-2", RT_OP_TRILU, &ua, 1, tin, 2, &tout, 1, REFS(te),
              0, 0, BITWISE);
    }
    mem_free();
}

static void t_resize(void) {
    /* nearest (half_pixel, round_prefer_floor) 2x: y[i] = x[i/2] */
    int64_t N = 1, C = 2, H = 150, W = 150, OH = 2 * H, OW = 2 * W, ny = N * C * OH * OW;
    above("Resize nearest", ny, RS_PAR);
    float *x = rf32(N * C * H * W, -1, 1), *y = NEW(float, ny), sc[4] = {1, 1, 2, 2};
    double *e = NEW(double, ny);
    for (int64_t q = 0; q < N * C; q++)
        for (int64_t h = 0; h < OH; h++)
            for (int64_t w = 0; w < OW; w++) e[(q * OH + h) * OW + w] = x[(q * H + h / 2) * W + w / 2];
    rt_tensor in[3] = {TT(RT_F32, x, 4, N, C, H, W), NONE, TT(RT_F32, sc, 1, 4)};
    rt_tensor out = TT(RT_F32, y, 4, N, C, OH, OW);
    sweep("Resize nearest 2x", RT_OP_RESIZE, NULL, 0, in, 3, &out, 1, REFS(e), 0, 0, BITWISE);
    /* linear asymmetric 2x on [1,2,100,100]: x_in = x_out / 2, the last neighbour clamped */
    int64_t LH = 100, LW = 100, LOH = 200, LOW = 200, nl = N * C * LOH * LOW;
    above("Resize linear (x8)", nl * 8, RS_PAR);
    float *xl = rf32(N * C * LH * LW, -1, 1), *yl = NEW(float, nl);
    double *el = NEW(double, nl);
    for (int64_t q = 0; q < N * C; q++)
        for (int64_t h = 0; h < LOH; h++)
            for (int64_t w = 0; w < LOW; w++) {
                int64_t h0 = h / 2, w0 = w / 2, h1 = h0 + 1 < LH ? h0 + 1 : LH - 1, w1 = w0 + 1 < LW ? w0 + 1 : LW - 1;
                double fh = (h % 2) * 0.5, fw = (w % 2) * 0.5;
                const float *p = xl + q * LH * LW;
                el[(q * LOH + h) * LOW + w] = (1 - fh) * ((1 - fw) * p[h0 * LW + w0] + fw * p[h0 * LW + w1]) +
                                              fh * ((1 - fw) * p[h1 * LW + w0] + fw * p[h1 * LW + w1]);
            }
    rt_attr la[2] = {as("mode", "linear"), as("coordinate_transformation_mode", "asymmetric")};
    rt_tensor inl[3] = {TT(RT_F32, xl, 4, N, C, LH, LW), NONE, TT(RT_F32, sc, 1, 4)};
    rt_tensor outl = TT(RT_F32, yl, 4, N, C, LOH, LOW);
    sweep("Resize linear asymmetric 2x", RT_OP_RESIZE, la, 2, inl, 3, &outl, 1, REFS(el), 1e-6, 1e-6, BITWISE);
    mem_free();
}

/* ================================================================ nn */

static void t_nn(void) {
    /* SoftmaxCrossEntropyLoss reduction none, with log_prob: [64,600] */
    int64_t N = 64, C = 600;
    above("SoftmaxCrossEntropyLoss", N * C, PAR_MIN);
    float *x = rf32(N * C, -3, 3), *loss = NEW(float, N), *lp = NEW(float, N * C);
    int64_t *tg = NEW(int64_t, N);
    double *el = NEW(double, N), *elp = NEW(double, N * C);
    for (int64_t i = 0; i < N; i++) {
        tg[i] = irand(0, C - 1);
        double m = -INFINITY, s = 0;
        for (int64_t c = 0; c < C; c++) m = fmax(m, x[i * C + c]);
        for (int64_t c = 0; c < C; c++) s += exp(x[i * C + c] - m);
        for (int64_t c = 0; c < C; c++) elp[i * C + c] = x[i * C + c] - m - log(s);
        el[i] = -elp[i * C + tg[i]];
    }
    rt_attr red = as("reduction", "none");
    rt_tensor in[2] = {TT(RT_F32, x, 2, N, C), TT(RT_I64, tg, 1, N)};
    rt_tensor out[2] = {TT(RT_F32, loss, 1, N), TT(RT_F32, lp, 2, N, C)};
    sweep("SoftmaxCrossEntropyLoss f32 + log_prob", RT_OP_SOFTMAXCROSSENTROPYLOSS, &red, 1, in, 2, out, 2,
          REFS(el, elp), 1e-6, 1e-6, BITWISE);
    /* Shrink float32 (its own loop) and float64 (the generic loop) */
    int64_t n = NEL;
    float *xs = rf32(n, -2, 2), *ys = NEW(float, n);
    double *xd = rf64(n, -2, 2), *yd = NEW(double, n), *e = NEW(double, n);
    rt_attr sa[2] = {af("bias", 0.25f), af("lambd", 0.5f)};
    for (int64_t i = 0; i < n; i++) e[i] = xs[i] < -0.5 ? xs[i] + 0.25 : xs[i] > 0.5 ? xs[i] - 0.25 : 0;
    rt_tensor ins = TT(RT_F32, xs, 1, n), outs = TT(RT_F32, ys, 1, n);
    sweep("Shrink f32", RT_OP_SHRINK, sa, 2, &ins, 1, &outs, 1, REFS(e), 0, 1e-7, BITWISE);
    for (int64_t i = 0; i < n; i++) e[i] = xd[i] < -0.5 ? xd[i] + 0.25 : xd[i] > 0.5 ? xd[i] - 0.25 : 0;
    rt_tensor insd = TT(RT_F64, xd, 1, n), outsd = TT(RT_F64, yd, 1, n);
    sweep("Shrink f64", RT_OP_SHRINK, sa, 2, &insd, 1, &outsd, 1, REFS(e), 0, 1e-15, BITWISE);
    mem_free();
    /* LRN [2,16,32,32] size 3 */
    int64_t LN = 2, LC = 16, LP = 32 * 32, size = 3;
    above("LRN", LN * LC * LP * size, PAR_MIN);
    float *lx = rf32(LN * LC * LP, -2, 2), *ly = NEW(float, LN * LC * LP);
    double *le = NEW(double, LN * LC * LP), alpha = 0.01f, beta = 0.75f, bias = 1.5f;
    for (int64_t b = 0; b < LN; b++)
        for (int64_t c = 0; c < LC; c++)
            for (int64_t p = 0; p < LP; p++) {
                double s = 0;
                for (int64_t k = c - 1; k <= c + 1; k++)
                    if (k >= 0 && k < LC) s += (double)lx[(b * LC + k) * LP + p] * lx[(b * LC + k) * LP + p];
                le[(b * LC + c) * LP + p] = lx[(b * LC + c) * LP + p] / pow(bias + alpha / size * s, beta);
            }
    rt_attr la[4] = {ai("size", size), af("alpha", 0.01f), af("beta", 0.75f), af("bias", 1.5f)};
    rt_tensor inl = TT(RT_F32, lx, 4, LN, LC, 32, 32), outl = TT(RT_F32, ly, 4, LN, LC, 32, 32);
    sweep("LRN f32 size 3", RT_OP_LRN, la, 4, &inl, 1, &outl, 1, REFS(le), 1e-7, 1e-6, BITWISE);
    mem_free();
    /* MeanVarianceNormalization [2,8,48,48] over axes 0, 2, 3 */
    int64_t MN = 2, MC = 8, MP = 48 * 48;
    above("MVN", MN * MC * MP, PAR_MIN);
    float *mx = rf32(MN * MC * MP, -2, 3), *my = NEW(float, MN * MC * MP);
    double *me = NEW(double, MN * MC * MP);
    for (int64_t c = 0; c < MC; c++) {
        double s = 0, ss = 0, R = (double)(MN * MP);
        for (int64_t b = 0; b < MN; b++)
            for (int64_t p = 0; p < MP; p++) s += mx[(b * MC + c) * MP + p];
        double mean = s / R;
        for (int64_t b = 0; b < MN; b++)
            for (int64_t p = 0; p < MP; p++) ss += pow(mx[(b * MC + c) * MP + p] - mean, 2);
        for (int64_t b = 0; b < MN; b++)
            for (int64_t p = 0; p < MP; p++)
                me[(b * MC + c) * MP + p] = (mx[(b * MC + c) * MP + p] - mean) / (sqrt(ss / R) + 1e-9);
    }
    rt_tensor inm = TT(RT_F32, mx, 4, MN, MC, 48, 48), outm = TT(RT_F32, my, 4, MN, MC, 48, 48);
    sweep("MeanVarianceNormalization f32", RT_OP_MEANVARIANCENORMALIZATION, NULL, 0, &inm, 1, &outm, 1, REFS(me),
          1e-6, 1e-6, BITWISE);
    mem_free();
}

/* ================================================================ normalization */

/* mean and 1/sqrt(var + eps) of n values at x[off + i*step] */
static void stats_ref(const float *x, int64_t off, int64_t n, int64_t step, double eps, double *m, double *inv) {
    double s = 0, ss = 0;
    for (int64_t i = 0; i < n; i++) s += x[off + i * step];
    *m = s / (double)n;
    for (int64_t i = 0; i < n; i++) ss += pow(x[off + i * step] - *m, 2);
    *inv = 1 / sqrt(ss / (double)n + eps);
}

static void t_norm(void) {
    /* BatchNormalization and InstanceNormalization on [2,16,33,32] */
    int64_t N = 2, C = 16, P = 33 * 32, n = N * C * P;
    above("Batch/InstanceNormalization", n, PAR_MIN);
    float *x = rf32(n, -2, 3), *y = NEW(float, n), *sc = rf32(C, 0.5, 2), *bi = rf32(C, -1, 1);
    float *mu = rf32(C, -0.5, 0.5), *var = rf32(C, 0.5, 2);
    double *e = NEW(double, n), eps = 1e-5f;
    for (int64_t i = 0; i < n; i++) {
        int64_t c = (i / P) % C;
        e[i] = (x[i] - mu[c]) / sqrt(var[c] + eps) * sc[c] + bi[c];
    }
    rt_tensor in[5] = {TT(RT_F32, x, 4, N, C, 33, 32), TT(RT_F32, sc, 1, C), TT(RT_F32, bi, 1, C),
                       TT(RT_F32, mu, 1, C), TT(RT_F32, var, 1, C)};
    rt_tensor out = TT(RT_F32, y, 4, N, C, 33, 32);
    sweep("BatchNormalization f32", RT_OP_BATCHNORMALIZATION, NULL, 0, in, 5, &out, 1, REFS(e), 1e-5, 1e-5, BITWISE);
    for (int64_t q = 0; q < N * C; q++) {
        double m, inv;
        stats_ref(x, q * P, P, 1, eps, &m, &inv);
        for (int64_t j = 0; j < P; j++) e[q * P + j] = (x[q * P + j] - m) * inv * sc[q % C] + bi[q % C];
    }
    sweep("InstanceNormalization f32", RT_OP_INSTANCENORMALIZATION, NULL, 0, in, 3, &out, 1, REFS(e), 1e-5, 1e-5,
          BITWISE);
    /* GroupNormalization, 4 groups, per-group scale and bias */
    int64_t G = 4, Cg = C / G;
    float *gs = rf32(G, 0.5, 2), *gb = rf32(G, -1, 1);
    for (int64_t b = 0; b < N; b++)
        for (int64_t g = 0; g < G; g++) {
            double m, inv;
            int64_t base = (b * C + g * Cg) * P;
            stats_ref(x, base, Cg * P, 1, eps, &m, &inv);
            for (int64_t j = 0; j < Cg * P; j++) e[base + j] = (x[base + j] - m) * inv * gs[g] + gb[g];
        }
    rt_attr ng = ai("num_groups", G);
    rt_tensor ing[3] = {in[0], TT(RT_F32, gs, 1, G), TT(RT_F32, gb, 1, G)};
    sweep("GroupNormalization f32 4 groups", RT_OP_GROUPNORMALIZATION, &ng, 1, ing, 3, &out, 1, REFS(e), 1e-5, 1e-5,
          BITWISE);
    mem_free();

    /* LayerNormalization [300,229] axis -1: float32 plain (with Mean and InvStdDev), then
     * float64 with a [1] Scale (the broadcast loop) */
    int64_t R = RR, D = RC;
    above("LayerNormalization", R * D, PAR_MIN);
    float *lx = rf32(R * D, -2, 3), *ly = NEW(float, R * D), *ls = rf32(D, 0.5, 2), *lb = rf32(D, -1, 1);
    float *lm = NEW(float, R), *li = NEW(float, R);
    double *le = NEW(double, R * D), *lme = NEW(double, R), *lie = NEW(double, R);
    for (int64_t r = 0; r < R; r++) {
        double m, inv;
        stats_ref(lx, r * D, D, 1, eps, &m, &inv);
        lme[r] = m, lie[r] = inv;
        for (int64_t j = 0; j < D; j++) le[r * D + j] = (lx[r * D + j] - m) * inv * ls[j] + lb[j];
    }
    rt_tensor inl[3] = {TT(RT_F32, lx, 2, R, D), TT(RT_F32, ls, 1, D), TT(RT_F32, lb, 1, D)};
    rt_tensor outl[3] = {TT(RT_F32, ly, 2, R, D), TT(RT_F32, lm, 2, R, 1), TT(RT_F32, li, 2, R, 1)};
    sweep("LayerNormalization f32 + Mean, InvStdDev", RT_OP_LAYERNORMALIZATION, NULL, 0, inl, 3, outl, 3,
          REFS(le, lme, lie), 1e-5, 1e-5, BITWISE);
    double *dx = NEW(double, R * D), *dy = NEW(double, R * D), ds = 1.25;
    for (int64_t i = 0; i < R * D; i++) dx[i] = lx[i];
    for (int64_t r = 0; r < R; r++)
        for (int64_t j = 0; j < D; j++) le[r * D + j] = (lx[r * D + j] - lme[r]) * lie[r] * ds;
    rt_tensor ind[2] = {TT(RT_F64, dx, 2, R, D), TT(RT_F64, &ds, 1, 1)}, outd = TT(RT_F64, dy, 2, R, D);
    sweep("LayerNormalization f64 Scale [1]", RT_OP_LAYERNORMALIZATION, NULL, 0, ind, 2, &outd, 1, REFS(le), 1e-12,
          1e-12, BITWISE);
    /* LpNormalization float32 axis 0 p=2 (strided lines), float64 axis -1 p=1 */
    for (int64_t j = 0; j < D; j++) {
        double s = 0;
        for (int64_t r = 0; r < R; r++) s += (double)lx[r * D + j] * lx[r * D + j];
        for (int64_t r = 0; r < R; r++) le[r * D + j] = lx[r * D + j] / sqrt(s);
    }
    rt_attr lp2[2] = {ai("axis", 0), ai("p", 2)}, lp1[2] = {ai("axis", -1), ai("p", 1)};
    sweep("LpNormalization f32 axis 0 p=2", RT_OP_LPNORMALIZATION, lp2, 2, inl, 1, outl, 1, REFS(le), 1e-7, 1e-6,
          BITWISE);
    for (int64_t r = 0; r < R; r++) {
        double s = 0;
        for (int64_t j = 0; j < D; j++) s += fabs(dx[r * D + j]);
        for (int64_t j = 0; j < D; j++) le[r * D + j] = dx[r * D + j] / s;
    }
    sweep("LpNormalization f64 axis -1 p=1", RT_OP_LPNORMALIZATION, lp1, 2, ind, 1, &outd, 1, REFS(le), 1e-15, 1e-14,
          BITWISE);
    mem_free();
}

/* ================================================================ quantization */

static double sat(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

static void t_quant(void) {
    int64_t R = RR, C = RC, n = R * C;
    above("quantization", n, PAR_MIN);
    float *x = rf32(n, -20, 20);
    double *e = NEW(double, n);
    /* QuantizeLinear int8 per channel along axis 0 (300 rows of 229) and axis 1 (229 channels) */
    for (int ax = 0; ax < 2; ax++) {
        int64_t nc = ax ? C : R;
        float *s = rf32(nc, 0.1, 0.5);
        int8_t *zp = NEW(int8_t, nc), *y = NEW(int8_t, n);
        for (int64_t c = 0; c < nc; c++) zp[c] = (int8_t)irand(-20, 20);
        for (int64_t i = 0; i < n; i++) {
            int64_t c = ax ? i % C : i / C;
            float q = x[i] / s[c];   /* the spec divides in float */
            e[i] = sat((double)rintf(q) + zp[c], -128, 127);
        }
        rt_attr axa = ai("axis", ax);
        rt_tensor in[3] = {TT(RT_F32, x, 2, R, C), TT(RT_F32, s, 1, nc), TT(RT_I8, zp, 1, nc)};
        rt_tensor out = TT(RT_I8, y, 2, R, C);
        sweep(ax ? "QuantizeLinear int8 axis 1" : "QuantizeLinear int8 axis 0", RT_OP_QUANTIZELINEAR, &axa, 1, in,
              3, &out, 1, REFS(e), 0, 0, BITWISE);
    }
    /* DequantizeLinear int8 axis 1 */
    int8_t *xq = NEW(int8_t, n), *zq = NEW(int8_t, C);
    float *sq = rf32(C, 0.01, 2), *yq = NEW(float, n);
    for (int64_t i = 0; i < n; i++) xq[i] = (int8_t)irand(-128, 127);
    for (int64_t c = 0; c < C; c++) zq[c] = (int8_t)irand(-10, 10);
    for (int64_t i = 0; i < n; i++) e[i] = ((double)xq[i] - zq[i % C]) * sq[i % C];
    rt_attr ax1 = ai("axis", 1);
    rt_tensor ind[3] = {TT(RT_I8, xq, 2, R, C), TT(RT_F32, sq, 1, C), TT(RT_I8, zq, 1, C)};
    rt_tensor outd = TT(RT_F32, yq, 2, R, C);
    sweep("DequantizeLinear int8 axis 1", RT_OP_DEQUANTIZELINEAR, &ax1, 1, ind, 3, &outd, 1, REFS(e), 0, 0x1p-24,
          BITWISE);
    /* DynamicQuantizeLinear: range widened to 0, scale (max - min) / 255, zero point rounded */
    float mx = 0, mn = 0;
    for (int64_t i = 0; i < n; i++) mx = x[i] > mx ? x[i] : mx, mn = x[i] < mn ? x[i] : mn;
    float scale = (mx - mn) / 255.0f, zpf = rintf((float)sat(0.0f - mn / scale, 0, 255));
    for (int64_t i = 0; i < n; i++) e[i] = sat((double)rintf(x[i] / scale) + zpf, 0, 255);
    uint8_t *yu = NEW(uint8_t, n), zo;
    float so;
    double es = scale, ez = zpf;
    rt_tensor inq = TT(RT_F32, x, 2, R, C);
    rt_tensor outq[3] = {TT(RT_U8, yu, 2, R, C), TS(RT_F32, &so), TS(RT_U8, &zo)};
    sweep("DynamicQuantizeLinear f32", RT_OP_DYNAMICQUANTIZELINEAR, NULL, 0, &inq, 1, outq, 3, REFS(e, &es, &ez), 0,
          0, BITWISE);
    mem_free();
}

/* This process's thread count from /proc/self/status; -1 if unreadable. */
static int proc_threads(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1) break;
    if (f) fclose(f);
    return n;
}

/* The kernels' OpenMP regions really start threads (a build without OpenMP would pass every
 * sweep above on one thread): libgomp keeps a team's threads after the region, so the first
 * 4-thread kernel must leave at least 3 more threads in the process. */
static void t_openmp_live(void) {
    int64_t n = NEL;
    float *x = rf32(n, -1, 1), *y = NEW(float, n);
    rt_tensor in = TT(RT_F32, x, 1, n), out = TT(RT_F32, y, 1, n);
    int before = proc_threads();
    int rc = krun(4, RT_OP_NEG, NULL, 0, &in, 1, &out, 1);
    int after = proc_threads();
    CHECK(rc == 0, "Neg f32 at 4 threads runs");
    if (before < 0 || after < 0)
        printf("skip /proc/self/status unreadable: cannot count threads\n");
    else
        CHECK(after - before >= 3, "a 4-thread kernel starts OpenMP threads (process threads %d -> %d)",
              before, after);
    mem_free();
}

int main(void) {
    openblas_set_num_threads(1);
    CHECK_EQ_I(1, openblas_get_num_threads(), "OpenBLAS at 1 thread outside the BLAS sweeps");
    t_openmp_live();
    t_unary();
    t_cast();
    t_binary();
    t_broadcast();
    t_reduce();
    t_argmax_softmax();
    t_gemm();
    t_conv();
    t_convtranspose();
    t_pool();
    t_einsum();
    t_copy();
    t_fill();
    t_strided();
    t_rows();
    t_resize();
    t_nn();
    t_norm();
    t_quant();
    T_DONE();
}
