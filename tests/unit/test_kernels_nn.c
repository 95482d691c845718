/* test_kernels_nn.c - the nn family on CPU (NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss,
 * Shrink, LRN, MeanVarianceNormalization, Det, ReverseSequence) against values computed by
 * hand; the clean refusals (SUPPORTS) and run-time errors (RUN) with their messages; SUPPORTS
 * with no data; and the shape functions of these ops. */
#include <stdarg.h>
#include <stdint.h>
#include "ir/ir.h"
#include "runtime/cpu/rt_cpu.h"
#include "t.h"

static rt_kctx K;
static double SCRATCH[64];

static rt_tensor ten(int dt, void *data, int rank, ...) {
    rt_tensor t = {dt, rank, {0}, data};
    va_list ap;
    va_start(ap, rank);
    for (int i = 0; i < rank; i++) t.dims[i] = va_arg(ap, long long);
    va_end(ap);
    return t;
}
#define TF(data, rank, ...) ten(RT_F32, data, rank, __VA_ARGS__)
#define TL(data, rank, ...) ten(RT_I64, data, rank, __VA_ARGS__)
static const rt_tensor ABSENT = {RT_F32, -1, {0}, NULL};

#define AI(nm, v) {.name = nm, .type = RT_ATTR_INT, .i = (v)}
#define AF(nm, v) {.name = nm, .type = RT_ATTR_FLOAT, .f = (v)}
#define AS(nm, v) {.name = nm, .type = RT_ATTR_STRING, .s = (v)}
#define NA(arr) ((int)(sizeof(arr) / sizeof((arr)[0])))

/* supports -> scratch -> run; -2 if unsupported, -3 if the scratch is larger than ours. */
static int run(int op, const rt_attr *at, int na, rt_tensor *in, int nin, rt_tensor *out, int nout) {
    memset(&K, 0, sizeof K);
    K.nthreads = 2;
    if (!rt_cpu_supports(op, at, na, in, nin, out, nout, &K)) return -2;
    size_t sb = rt_cpu_scratch(op, at, na, in, nin, out, nout);
    if (sb > sizeof SCRATCH) return -3;
    K.scratch = SCRATCH;
    K.scratch_size = sb;
    return rt_cpu_run(op, at, na, in, nin, out, nout, &K);
}

/* SUPPORTS with every data pointer NULL (codegen's compile-time question). */
static int supports_nodata(int op, const rt_attr *at, int na, const rt_tensor *in, int nin,
                           const rt_tensor *out, int nout) {
    rt_tensor i2[4], o2[2];
    for (int j = 0; j < nin; j++) i2[j] = in[j], i2[j].data = NULL;
    for (int j = 0; j < nout; j++) o2[j] = out[j], o2[j].data = NULL;
    memset(&K, 0, sizeof K);
    return rt_cpu_supports(op, at, na, i2, nin, o2, nout, &K);
}

static void check_vals(const float *exp, const float *got, int n, double tol, const char *what) {
    int bad = -1;
    for (int i = 0; i < n && bad < 0; i++)
        if (!(fabs((double)exp[i] - (double)got[i]) <= tol)) bad = i;
    if (bad < 0) CHECK(1, "%s: %d values match", what, n);
    else CHECK(0, "%s: value %d expected %g, got %g (err: %s)", what, bad, exp[bad], got[bad], K.err);
}

static void t_nllloss(void) {
    /* x is taken as log-probabilities: loss = -x[n, target[n]] */
    float x[] = {1, 2, 3, 4, 5, 6}, w[] = {0.5f, 1, 2}, y[2], s;
    int64_t t[] = {2, 0};
    rt_tensor in[3] = {TF(x, 2, 2, 3), TL(t, 1, 2), TF(w, 1, 3)};
    rt_tensor on[1] = {TF(y, 1, 2)}, os[1] = {TF(&s, 0, 0)};
    int op = RT_OP_NEGATIVELOGLIKELIHOODLOSS;
    rt_attr none[] = {AS("reduction", "none")}, sum[] = {AS("reduction", "sum")};
    CHECK_EQ_I(0, run(op, none, 1, in, 2, on, 1), "NLLLoss none runs");
    check_vals((float[]){-3, -4}, y, 2, 1e-6, "NLLLoss none (by hand)");
    CHECK_EQ_I(0, run(op, sum, 1, in, 2, os, 1), "NLLLoss sum runs");
    CHECK_NEAR(-7, s, 1e-6, "NLLLoss sum");
    CHECK_EQ_I(0, run(op, NULL, 0, in, 2, os, 1), "NLLLoss default (mean) runs");
    CHECK_NEAR(-3.5, s, 1e-6, "NLLLoss mean");
    CHECK_EQ_I(0, run(op, none, 1, in, 3, on, 1), "NLLLoss none weighted runs");
    check_vals((float[]){-6, -2}, y, 2, 1e-6, "NLLLoss none weighted: -w[t]*x");
    CHECK_EQ_I(0, run(op, NULL, 0, in, 3, os, 1), "NLLLoss mean weighted runs");
    CHECK_NEAR(-8 / 2.5, s, 1e-6, "NLLLoss mean weighted divides by the weight sum");
    rt_attr ii0[] = {AI("ignore_index", 0)};
    CHECK_EQ_I(0, run(op, ii0, 1, in, 2, os, 1), "NLLLoss mean ignore_index runs");
    CHECK_NEAR(-3, s, 1e-6, "NLLLoss mean over the elements not ignored");
    rt_attr ii0w[] = {AI("ignore_index", 0)};
    CHECK_EQ_I(0, run(op, ii0w, 1, in, 3, os, 1), "NLLLoss weighted mean ignore_index runs");
    CHECK_NEAR(-3, s, 1e-6, "NLLLoss weighted mean ignore_index: -6 / 2");
    /* every element ignored: 0/0, NaN as in the ONNX reference */
    int64_t t22[] = {2, 2};
    rt_attr ii2[] = {AI("ignore_index", 2)};
    in[1] = TL(t22, 1, 2);
    CHECK_EQ_I(0, run(op, ii2, 1, in, 2, os, 1), "NLLLoss all ignored runs");
    CHECK(isnan(s), "NLLLoss mean with every element ignored is NaN (got %g)", s);
    /* a negative ignore_index, reduction none: the ignored element's loss is 0 */
    int64_t tn[] = {-1, 0};
    rt_attr iin[] = {AS("reduction", "none"), AI("ignore_index", -1)};
    in[1] = TL(tn, 1, 2);
    CHECK_EQ_I(0, run(op, iin, 2, in, 3, on, 1), "NLLLoss negative ignore_index runs");
    check_vals((float[]){0, -2}, y, 2, 1e-6, "NLLLoss negative ignore_index");
    /* out of range and not ignored: a clean run-time error */
    int64_t tbad[] = {0, 3};
    in[1] = TL(tbad, 1, 2);
    CHECK_EQ_I(-1, run(op, none, 1, in, 2, on, 1), "NLLLoss target 3 of 3 classes fails at run time");
    CHECK_CONTAINS(K.err, "NegativeLogLikelihoodLoss: target 3 (element 1) is outside [0, 3) and is "
                   "not ignore_index", "NLLLoss target message");
    in[1] = TL(tn, 1, 2);
    CHECK_EQ_I(-1, run(op, none, 1, in, 2, on, 1), "NLLLoss target -1 without ignore_index fails");
    /* [N, C, d1] with int32 targets: loss[n, d] = -x[n, t, d] */
    float x3[] = {1, 2, 3, 4}, y3[2];
    int32_t t3[] = {1, 0};
    rt_tensor in3[2] = {TF(x3, 3, 1, 2, 2), ten(RT_I32, t3, 2, 1, 2)}, o3[1] = {TF(y3, 2, 1, 2)};
    CHECK_EQ_I(0, run(op, none, 1, in3, 2, o3, 1), "NLLLoss [N,C,d1] runs");
    check_vals((float[]){-3, -2}, y3, 2, 1e-6, "NLLLoss [N,C,d1] int32 target");
    /* refusals */
    in[1] = TL(t, 1, 2);
    rt_attr bad[] = {AS("reduction", "max")};
    CHECK_EQ_I(-2, run(op, bad, 1, in, 2, os, 1), "NLLLoss reduction max refused");
    CHECK_CONTAINS(K.err, "reduction 'max' must be none, sum or mean", "NLLLoss reduction message");
    CHECK_EQ_I(-2, run(op, NULL, 0, in, 2, on, 1), "NLLLoss mean into a [2] output refused");
    CHECK_CONTAINS(K.err, "output 0 has shape [2], expected []", "NLLLoss output message");
    in[1] = TL(t, 1, 1);
    CHECK_EQ_I(-2, run(op, none, 1, in, 2, on, 1), "NLLLoss target [1] for N=2 refused");
    CHECK_CONTAINS(K.err, "target is [1]; expected input 0 [2,3] without dim 1", "NLLLoss target shape message");
    in[1] = TL(t, 1, 2);
    in[2] = TF(w, 1, 2);
    CHECK_EQ_I(-2, run(op, none, 1, in, 3, on, 1), "NLLLoss weight [2] for 3 classes refused");
    CHECK_CONTAINS(K.err, "weight must be [3] of float32", "NLLLoss weight message");
    in[2] = TF(w, 1, 3);
    in[1] = ten(RT_F32, x, 1, 2);
    CHECK_EQ_I(-2, run(op, none, 1, in, 2, on, 1), "NLLLoss float target refused");
    in[1] = TL(t, 1, 2);
    CHECK_EQ_I(1, supports_nodata(op, none, 1, in, 3, on, 1), "NLLLoss supported with NULL data");
}

static void t_sce(void) {
    /* row 0: softmax(0, ln 3) = (1/4, 3/4); row 1: (1/2, 1/2) */
    float x[] = {0, (float)log(3.0), 1, 1}, w[] = {2, 1}, y[2], s, lp[4];
    int64_t t[] = {1, 0};
    double l0 = -log(0.75), l1 = log(2.0);
    rt_tensor in[3] = {TF(x, 2, 2, 2), TL(t, 1, 2), TF(w, 1, 2)};
    rt_tensor on[2] = {TF(y, 1, 2), TF(lp, 2, 2, 2)}, os[2] = {TF(&s, 0, 0), TF(lp, 2, 2, 2)};
    int op = RT_OP_SOFTMAXCROSSENTROPYLOSS;
    rt_attr none[] = {AS("reduction", "none")};
    CHECK_EQ_I(0, run(op, none, 1, in, 2, on, 1), "SCE none runs");
    check_vals((float[]){(float)l0, (float)l1}, y, 2, 1e-6, "SCE none (by hand)");
    CHECK_EQ_I(0, run(op, NULL, 0, in, 2, os, 2), "SCE mean with log_prob runs");
    CHECK_NEAR((l0 + l1) / 2, s, 1e-6, "SCE mean");
    check_vals((float[]){(float)log(0.25), (float)log(0.75), (float)-log(2.0), (float)-log(2.0)}, lp, 4,
               1e-6, "SCE log_prob");
    CHECK_EQ_I(0, run(op, NULL, 0, in, 3, os, 1), "SCE mean weighted runs");
    CHECK_NEAR((1 * l0 + 2 * l1) / 3, s, 1e-6, "SCE mean weighted");
    rt_attr ii[] = {AS("reduction", "sum"), AI("ignore_index", 1)};
    CHECK_EQ_I(0, run(op, ii, 2, in, 2, os, 2), "SCE sum ignore_index runs");
    CHECK_NEAR(l1, s, 1e-6, "SCE sum leaves the ignored element out");
    int64_t tbad[] = {2, 0};
    in[1] = TL(tbad, 1, 2);
    CHECK_EQ_I(-1, run(op, none, 1, in, 2, on, 2), "SCE label 2 of 2 classes fails at run time");
    CHECK_CONTAINS(K.err, "SoftmaxCrossEntropyLoss: target 2 (element 0) is outside [0, 2)", "SCE label message");
    in[1] = TL(t, 1, 2);
    on[1] = TF(lp, 2, 2, 1);
    CHECK_EQ_I(-2, run(op, none, 1, in, 2, on, 2), "SCE log_prob of the wrong shape refused");
    CHECK_CONTAINS(K.err, "output 1 has shape [2,1], expected [2,2]", "SCE log_prob message");
    on[1] = TF(lp, 2, 2, 2);
    CHECK_EQ_I(1, supports_nodata(op, none, 1, in, 3, on, 2), "SCE supported with NULL data");
    /* float64 */
    double xd[] = {0, log(3.0), 1, 1}, sd;
    rt_tensor ind[2] = {ten(RT_F64, xd, 2, 2, 2), TL(t, 1, 2)}, osd[1] = {ten(RT_F64, &sd, 0, 0)};
    CHECK_EQ_I(0, run(op, NULL, 0, ind, 2, osd, 1), "SCE float64 runs");
    CHECK_NEAR((l0 + l1) / 2, sd, 1e-12, "SCE float64 mean");
}

static void t_shrink(void) {
    float x[] = {-2, -1, 0, 1, 2}, y[5];
    rt_tensor in[1] = {TF(x, 1, 5)}, out[1] = {TF(y, 1, 5)};
    rt_attr at[] = {AF("bias", 1.5f), AF("lambd", 1.5f)};
    CHECK_EQ_I(0, run(RT_OP_SHRINK, at, 2, in, 1, out, 1), "Shrink soft runs");
    check_vals((float[]){-0.5f, 0, 0, 0, 0.5f}, y, 5, 1e-6, "Shrink soft (bias 1.5, lambd 1.5)");
    CHECK_EQ_I(0, run(RT_OP_SHRINK, NULL, 0, in, 1, out, 1), "Shrink defaults run");
    check_vals((float[]){-2, -1, 0, 1, 2}, y, 5, 1e-6, "Shrink defaults (bias 0, lambd 0.5)");
    int32_t xi[] = {-3, 0, 3}, yi[3];
    rt_tensor ini[1] = {ten(RT_I32, xi, 1, 3)}, outi[1] = {ten(RT_I32, yi, 1, 3)};
    rt_attr ai[] = {AF("bias", 1.5f), AF("lambd", 1.0f)};
    CHECK_EQ_I(0, run(RT_OP_SHRINK, ai, 2, ini, 1, outi, 1), "Shrink int32 runs");
    CHECK(yi[0] == -1 && yi[1] == 0 && yi[2] == 1, "Shrink int32 truncates: [%d %d %d] == [-1 0 1]",
          yi[0], yi[1], yi[2]);
    out[0] = ten(RT_F64, y, 1, 5);
    CHECK_EQ_I(-2, run(RT_OP_SHRINK, NULL, 0, in, 1, out, 1), "Shrink float64 output for float32 refused");
    CHECK_CONTAINS(K.err, "Shrink: output 0 is float64, expected float32", "Shrink dtype message");
}

static void t_lrn(void) {
    float x[] = {1, 2, 3}, y[3];
    rt_tensor in[1] = {TF(x, 4, 1, 3, 1, 1)}, out[1] = {TF(y, 4, 1, 3, 1, 1)};
    /* size 3, alpha/size 1, beta 1, bias 1: windows {0,1}, {0,1,2}, {1,2} */
    rt_attr a3[] = {AI("size", 3), AF("alpha", 3), AF("beta", 1), AF("bias", 1)};
    CHECK_EQ_I(0, run(RT_OP_LRN, a3, 4, in, 1, out, 1), "LRN size 3 runs");
    check_vals((float[]){1.0f / 6, 2.0f / 15, 3.0f / 14}, y, 3, 1e-6, "LRN size 3 (by hand)");
    /* size 2: floor(1/2) = 0 channels before, ceil(1/2) = 1 after */
    rt_attr a2[] = {AI("size", 2), AF("alpha", 2), AF("beta", 1), AF("bias", 1)};
    CHECK_EQ_I(0, run(RT_OP_LRN, a2, 4, in, 1, out, 1), "LRN size 2 runs");
    check_vals((float[]){1.0f / 6, 2.0f / 14, 3.0f / 10}, y, 3, 1e-6, "LRN size 2 (by hand)");
    rt_attr a1[] = {AI("size", 1)};
    CHECK_EQ_I(0, run(RT_OP_LRN, a1, 1, in, 1, out, 1), "LRN defaults run");
    CHECK_NEAR(2 / pow(1 + 1e-4 * 4, 0.75), y[1], 1e-6, "LRN defaults alpha 1e-4, beta 0.75, bias 1");
    CHECK_EQ_I(-2, run(RT_OP_LRN, NULL, 0, in, 1, out, 1), "LRN without size refused");
    CHECK_CONTAINS(K.err, "LRN: attribute size must be given", "LRN size message");
    CHECK_EQ_I(1, supports_nodata(RT_OP_LRN, a1, 1, in, 1, out, 1), "LRN supported with NULL data");
}

static void t_mvn(void) {
    /* [N=1, C=2, H=2, W=1], default axes [0, 2, 3]: per channel */
    float x[] = {1, 3, 2, 2}, y[4];
    rt_tensor in[1] = {TF(x, 4, 1, 2, 2, 1)}, out[1] = {TF(y, 4, 1, 2, 2, 1)};
    CHECK_EQ_I(0, run(RT_OP_MEANVARIANCENORMALIZATION, NULL, 0, in, 1, out, 1), "MVN default axes runs");
    check_vals((float[]){-1, 1, 0, 0}, y, 4, 1e-6, "MVN per channel; a constant channel gives 0");
    float x2[] = {0, 2, 1, 5}, y2[4];
    int64_t ax[] = {1};
    rt_attr at[] = {{.name = "axes", .type = RT_ATTR_INTS, .n = 1, .ints = ax}};
    rt_tensor in2[1] = {TF(x2, 2, 2, 2)}, out2[1] = {TF(y2, 2, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_MEANVARIANCENORMALIZATION, at, 1, in2, 1, out2, 1), "MVN axes [1] runs");
    check_vals((float[]){-1, 1, -1, 1}, y2, 4, 1e-6, "MVN axes [1] (rows)");
    CHECK_EQ_I(-2, run(RT_OP_MEANVARIANCENORMALIZATION, NULL, 0, in2, 1, out2, 1),
               "MVN default axes on rank 2 refused");
    CHECK_CONTAINS(K.err, "axis 2 is out of range for rank 2", "MVN axes message");
}

static void t_det(void) {
    float x[] = {1, 2, 3, 4}, y;
    rt_tensor in[1] = {TF(x, 2, 2, 2)}, out[1] = {TF(&y, 0, 0)};
    CHECK_EQ_I(0, run(RT_OP_DET, NULL, 0, in, 1, out, 1), "Det 2x2 runs");
    CHECK_NEAR(-2, y, 1e-6, "Det [[1,2],[3,4]]");
    CHECK_EQ_I(32, (long long)rt_cpu_scratch(RT_OP_DET, NULL, 0, in, 1, out, 1), "Det scratch is M*M doubles");
    /* batched: a diagonal, a row swap (pivoting), a singular matrix */
    float xb[] = {2, 0, 0, 0, 3, 0, 0, 0, 4,  0, 1, 0, 1, 0, 0, 0, 0, 1,  1, 2, 3, 2, 4, 6, 0, 1, 1}, yb[3];
    rt_tensor inb[1] = {TF(xb, 3, 3, 3, 3)}, outb[1] = {TF(yb, 1, 3)};
    CHECK_EQ_I(0, run(RT_OP_DET, NULL, 0, inb, 1, outb, 1), "Det batched runs");
    check_vals((float[]){24, -1, 0}, yb, 3, 1e-6, "Det batched: diagonal, swap, singular");
    double xd[] = {4, 3, 6, 3}, yd;
    rt_tensor ind[1] = {ten(RT_F64, xd, 2, 2, 2)}, outd[1] = {ten(RT_F64, &yd, 0, 0)};
    CHECK_EQ_I(0, run(RT_OP_DET, NULL, 0, ind, 1, outd, 1), "Det float64 runs");
    CHECK_NEAR(-6, yd, 1e-12, "Det float64 [[4,3],[6,3]]");
    in[0] = TF(x, 2, 1, 4);
    CHECK_EQ_I(-2, run(RT_OP_DET, NULL, 0, in, 1, out, 1), "Det of a 1x4 matrix refused");
    CHECK_CONTAINS(K.err, "Det: input 0 is [1,4]; expected [*, M, M]", "Det shape message");
    CHECK_EQ_I(1, supports_nodata(RT_OP_DET, NULL, 0, inb, 1, outb, 1), "Det supported with NULL data");
}

static void t_revseq(void) {
    float x[16], y[16];
    for (int i = 0; i < 16; i++) x[i] = (float)i;
    int64_t l[] = {4, 3, 2, 1};
    rt_tensor in[2] = {TF(x, 2, 4, 4), TL(l, 1, 4)}, out[1] = {TF(y, 2, 4, 4)};
    rt_attr bt[] = {AI("batch_axis", 0), AI("time_axis", 1)};
    CHECK_EQ_I(0, run(RT_OP_REVERSESEQUENCE, bt, 2, in, 2, out, 1), "ReverseSequence batch-major runs");
    check_vals((float[]){3, 2, 1, 0, 6, 5, 4, 7, 9, 8, 10, 11, 12, 13, 14, 15}, y, 16, 0,
               "ReverseSequence batch_axis 0 (rows reversed)");
    CHECK_EQ_I(0, run(RT_OP_REVERSESEQUENCE, NULL, 0, in, 2, out, 1), "ReverseSequence defaults run");
    check_vals((float[]){12, 9, 6, 3, 8, 5, 2, 7, 4, 1, 10, 11, 0, 13, 14, 15}, y, 16, 0,
               "ReverseSequence time_axis 0 (columns reversed)");
    /* rank 3, uint8: whole rows of the inner dim move */
    uint8_t xb[] = {1, 2, 3, 4, 5, 6, 7, 8}, yb[8];
    int64_t lb[] = {2, 0};
    rt_tensor inb[2] = {ten(RT_U8, xb, 3, 2, 2, 2), TL(lb, 1, 2)}, outb[1] = {ten(RT_U8, yb, 3, 2, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_REVERSESEQUENCE, bt, 2, inb, 2, outb, 1), "ReverseSequence uint8 rank 3 runs");
    CHECK(memcmp(yb, (uint8_t[]){3, 4, 1, 2, 5, 6, 7, 8}, 8) == 0,
          "ReverseSequence uint8 rank 3: [%d %d %d %d %d %d %d %d]", yb[0], yb[1], yb[2], yb[3],
          yb[4], yb[5], yb[6], yb[7]);
    int64_t lbad[] = {4, 5, 1, 1};
    in[1] = TL(lbad, 1, 4);
    CHECK_EQ_I(-1, run(RT_OP_REVERSESEQUENCE, bt, 2, in, 2, out, 1), "ReverseSequence length 5 of 4 fails at run time");
    CHECK_CONTAINS(K.err, "ReverseSequence: sequence_lens[1] = 5 is outside [0, 4]", "ReverseSequence length message");
    rt_attr same[] = {AI("batch_axis", 0), AI("time_axis", 0)};
    CHECK_EQ_I(-2, run(RT_OP_REVERSESEQUENCE, same, 2, in, 2, out, 1), "ReverseSequence equal axes refused");
    CHECK_CONTAINS(K.err, "must be 0 and 1", "ReverseSequence axes message");
    in[1] = TL(l, 1, 3);
    CHECK_EQ_I(-2, run(RT_OP_REVERSESEQUENCE, bt, 2, in, 2, out, 1), "ReverseSequence 3 lengths for 4 refused");
    in[1] = TL(l, 1, 4);
    CHECK_EQ_I(1, supports_nodata(RT_OP_REVERSESEQUENCE, bt, 2, in, 2, out, 1),
               "ReverseSequence supported with NULL data");
    (void)ABSENT;
}

/* ---- shape inference ---- */

static ir_graph *G;

static int val(const char *name, int dt, int rank, const int64_t *dims) {
    return ir_value_add(G, name, dt, rank, dims);
}
static const char *type_of(int v) {
    static char buf[128];
    return ir_value_type_str(&G->vals[v], buf, sizeof buf);
}
static const char *last_msg(void) {
    ir_diag *d = ir_graph_diag(G);
    return d->nmsg ? d->msgs[d->nmsg - 1] : "";
}

static void t_shapes(void) {
    G = ir_graph_new();
    int x = val("x", IR_DT_FLOAT, 3, (int64_t[]){2, 5, 4}), t = val("t", IR_DT_INT64, 2, (int64_t[]){2, 4});
    int w = val("w", IR_DT_FLOAT, 1, (int64_t[]){5});
    int y1 = val("y1", IR_DT_UNDEF, -1, NULL), y2 = val("y2", IR_DT_UNDEF, -1, NULL);
    int y3 = val("y3", IR_DT_UNDEF, -1, NULL), lp = val("lp", IR_DT_UNDEF, -1, NULL);
    int n = ir_node_add(G, IR_OP_NEGATIVELOGLIKELIHOODLOSS, "nll", 3, (int[]){x, t, w}, 1, &y1);
    ir_node_add_attr(G, n, "reduction", IR_ATTR_STRING)->s = "none";
    CHECK_EQ_I(0, ir_shape_infer_node(G, n), "NLLLoss none infers");
    CHECK_EQ_S("float32[2x4]", type_of(y1), "NLLLoss none: target's shape");
    n = ir_node_add(G, IR_OP_SOFTMAXCROSSENTROPYLOSS, "sce", 2, (int[]){x, t}, 2, (int[]){y2, lp});
    CHECK_EQ_I(0, ir_shape_infer_node(G, n), "SCE mean infers");
    CHECK_EQ_S("float32[]", type_of(y2), "SCE mean: a scalar");
    CHECK_EQ_S("float32[2x5x4]", type_of(lp), "SCE log_prob: scores' shape");
    int tb = val("tb", IR_DT_INT64, 2, (int64_t[]){2, 5});
    n = ir_node_add(G, IR_OP_NEGATIVELOGLIKELIHOODLOSS, "nll_bad", 2, (int[]){x, tb}, 1, &y3);
    CHECK_EQ_I(-1, ir_shape_infer_node(G, n), "NLLLoss target [2x5] for [2x5x4] is an error");
    CHECK_CONTAINS(last_msg(), "input 1 (target) is [2x5]; expected input 0 [2x5x4] without dim 1",
                   "NLLLoss target shape diagnostic");
    int m = val("m", IR_DT_DOUBLE, 4, (int64_t[]){2, 3, 4, 4}), d = val("d", IR_DT_UNDEF, -1, NULL);
    n = ir_node_add(G, IR_OP_DET, "det", 1, &m, 1, &d);
    CHECK_EQ_I(0, ir_shape_infer_node(G, n), "Det infers");
    CHECK_EQ_S("float64[2x3]", type_of(d), "Det drops the matrix dims");
    int ms = val("ms", IR_DT_FLOAT, 2, (int64_t[]){3, 4}), ds = val("ds", IR_DT_UNDEF, -1, NULL);
    n = ir_node_add(G, IR_OP_DET, "det_bad", 1, &ms, 1, &ds);
    CHECK_EQ_I(-1, ir_shape_infer_node(G, n), "Det of [3x4] is an error");
    int sq = val("sq", IR_DT_FLOAT, 2, (int64_t[]){4, 3}), sl = val("sl", IR_DT_INT64, 1, (int64_t[]){3});
    int r = val("r", IR_DT_UNDEF, -1, NULL);
    n = ir_node_add(G, IR_OP_REVERSESEQUENCE, "rs", 2, (int[]){sq, sl}, 1, &r);
    CHECK_EQ_I(0, ir_shape_infer_node(G, n), "ReverseSequence infers (batch_axis 1: 3 lengths)");
    CHECK_EQ_S("float32[4x3]", type_of(r), "ReverseSequence keeps the shape");
    int mv = val("mv", IR_DT_FLOAT, 2, (int64_t[]){4, 3}), mo = val("mo", IR_DT_UNDEF, -1, NULL);
    n = ir_node_add(G, IR_OP_MEANVARIANCENORMALIZATION, "mvn", 1, &mv, 1, &mo);
    CHECK_EQ_I(-1, ir_shape_infer_node(G, n), "MVN default axes on rank 2 is an error");
    CHECK_CONTAINS(last_msg(), "axis 2 is out of range for rank 2", "MVN axes diagnostic");
    ir_graph_free(G);
}

int main(void) {
    t_nllloss();
    t_sce();
    t_shrink();
    t_lrn();
    t_mvn();
    t_det();
    t_revseq();
    t_shapes();
    T_DONE();
}
