/* test_kernels_nodata.c - the compile-time contract of every CPU kernel family: codegen asks
 * rt_cpu_supports and rt_cpu_scratch with data == NULL for tensors known only at run time
 * (a present input has rank >= 0 whatever its data; an omitted one has rank -1). Then
 * SUPPORTS checks dtypes, ranks and dims, answers yes where the values could make the node
 * valid, and RUN checks the values (an axis, K, starts ...) against the output dims. */
#include <stdint.h>
#include <stdlib.h>
#include "rt_cpu.h"
#include "t.h"

static rt_kctx K;
static const rt_tensor NONE = {0, -1, {0}, NULL};

/* A tensor of dtype dt and the given dims, no data. */
#define T(dt, ...) mk(dt, (int64_t[]){__VA_ARGS__}, (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)))
#define T0(dt) mk(dt, NULL, 0)
static rt_tensor mk(int dt, const int64_t *dims, int rank) {
    rt_tensor t = {dt, rank, {0}, NULL};
    for (int i = 0; i < rank; i++) t.dims[i] = dims[i];
    return t;
}
static rt_attr ai(const char *n, int64_t v) { return (rt_attr){.name = n, .type = RT_ATTR_INT, .i = v}; }
static rt_attr as(const char *n, const char *v) { return (rt_attr){.name = n, .type = RT_ATTR_STRING, .s = v}; }
static rt_attr aints(const char *n, int c, const int64_t *v) {
    return (rt_attr){.name = n, .type = RT_ATTR_INTS, .n = c, .ints = v};
}

/* SUPPORTS says yes with no data anywhere, and SCRATCH answers without reading any. */
static void yes(const char *what, int op, const rt_attr *at, int na, const rt_tensor *in, int nin,
                const rt_tensor *out, int nout) {
    memset(&K, 0, sizeof K);
    int ok = rt_cpu_supports(op, at, na, in, nin, out, nout, &K);
    CHECK(ok == 1, "%s: supported with NULL data%s%s", what, K.err[0] ? " -- " : "", K.err);
    (void)rt_cpu_scratch(op, at, na, in, nin, out, nout);
}
/* SUPPORTS says no with a message holding `why`, still with no data. */
static void no(const char *what, const char *why, int op, const rt_attr *at, int na,
               const rt_tensor *in, int nin, const rt_tensor *out, int nout) {
    memset(&K, 0, sizeof K);
    int ok = rt_cpu_supports(op, at, na, in, nin, out, nout, &K);
    CHECK(ok == 0 && strstr(K.err, why), "%s: refused with NULL data (\"%s\" holds \"%s\")", what,
          K.err, why);
}
/* RUN with data given: expect rc, and when it fails a message holding `why`. */
static void runs(const char *what, int rc, const char *why, int op, const rt_attr *at, int na,
                 rt_tensor *in, int nin, rt_tensor *out, int nout) {
    memset(&K, 0, sizeof K);
    size_t s = rt_cpu_scratch(op, at, na, in, nin, out, nout);
    void *buf = s ? aligned_alloc(64, (s + 63) / 64 * 64) : NULL;
    K.scratch = buf;
    K.scratch_size = s;
    int got = rt_cpu_run(op, at, na, in, nin, out, nout, &K);
    free(buf);
    if (rc == 0) CHECK(got == 0, "%s: runs (rc %d %s)", what, got, K.err);
    else CHECK(got == rc && strstr(K.err, why), "%s: run fails (rc %d, \"%s\" holds \"%s\")", what,
               got, K.err, why);
}

static void test_reduce(void) {
    rt_tensor in[2] = {T(RT_F32, 2, 3, 4), T(RT_I64, 1)};
    rt_tensor out = T(RT_F32, 2, 1, 4);
    yes("ReduceSum axes at run time", RT_OP_REDUCESUM, NULL, 0, in, 2, &out, 1);
    rt_attr kd = ai("keepdims", 0);
    rt_tensor out2 = T(RT_F32, 2, 4);
    yes("ReduceMean axes at run time, keepdims=0", RT_OP_REDUCEMEAN, &kd, 1, in, 2, &out2, 1);
    CHECK_EQ_I(0, rt_cpu_scratch(RT_OP_REDUCESUM, NULL, 0, in, 2, &out, 1), "ReduceSum scratch 0");
    in[1].dtype = RT_F32;
    no("ReduceSum float axes", "axes dtype", RT_OP_REDUCESUM, NULL, 0, in, 2, &out, 1);
    in[1].dtype = RT_I64;
    rt_tensor out_bad = T(RT_F64, 2, 1, 4);
    no("ReduceSum output dtype", "output dtype", RT_OP_REDUCESUM, NULL, 0, in, 2, &out_bad, 1);

    /* RUN checks the axes against the output dims */
    float x[24] = {0}, y[8];
    int64_t ax = 1;
    in[0].data = x, in[1].data = &ax, out.data = y;
    runs("ReduceSum axes [1] into [2,1,4]", 0, "", RT_OP_REDUCESUM, NULL, 0, in, 2, &out, 1);
    ax = 2;
    runs("ReduceSum axes [2] into [2,1,4]", -1, "output dims", RT_OP_REDUCESUM, NULL, 0, in, 2, &out, 1);

    /* TopK: K at run time */
    rt_tensor tin[2] = {T(RT_F32, 3, 5), T(RT_I64, 1)};
    rt_tensor tout[2] = {T(RT_F32, 3, 2), T(RT_I64, 3, 2)};
    yes("TopK K at run time", RT_OP_TOPK, NULL, 0, tin, 2, tout, 2);
    tin[1].dtype = RT_I32;
    no("TopK int32 K", "K must be one int64", RT_OP_TOPK, NULL, 0, tin, 2, tout, 2);
    tin[1].dtype = RT_I64;
    float tx[15] = {0}, tv[6];
    int64_t ti[6], k = 3;
    tin[0].data = tx, tin[1].data = &k, tout[0].data = tv, tout[1].data = ti;
    runs("TopK K=3 into outputs of 2", -1, "K=3", RT_OP_TOPK, NULL, 0, tin, 2, tout, 2);
    k = 2;
    runs("TopK K=2", 0, "", RT_OP_TOPK, NULL, 0, tin, 2, tout, 2);

    /* CumSum: axis at run time */
    rt_tensor cin[2] = {T(RT_F32, 2, 3), T0(RT_I64)};
    rt_tensor cout = T(RT_F32, 2, 3);
    yes("CumSum axis at run time", RT_OP_CUMSUM, NULL, 0, cin, 2, &cout, 1);
    float cx[6] = {1, 2, 3, 4, 5, 6}, cy[6];
    int64_t cax = 5;
    cin[0].data = cx, cin[1].data = &cax, cout.data = cy;
    runs("CumSum axis 5 of rank 2", -1, "out of range", RT_OP_CUMSUM, NULL, 0, cin, 2, &cout, 1);
}

static void test_unary_binary(void) {
    /* Clip: min/max at run time are still checked for dtype and size */
    rt_tensor in[3] = {T(RT_F32, 4), T0(RT_F32), T0(RT_F32)};
    rt_tensor out = T(RT_F32, 4);
    yes("Clip min and max at run time", RT_OP_CLIP, NULL, 0, in, 3, &out, 1);
    rt_tensor in2[3] = {T(RT_F32, 4), NONE, T0(RT_F32)};
    yes("Clip max only, at run time", RT_OP_CLIP, NULL, 0, in2, 3, &out, 1);
    in[1].dtype = RT_F64;
    no("Clip float64 min on float32", "input 1 has dtype float64", RT_OP_CLIP, NULL, 0, in, 3, &out, 1);
    in[1] = T(RT_F32, 2);
    no("Clip min of 2 elements", "must be a scalar", RT_OP_CLIP, NULL, 0, in, 3, &out, 1);
    float x[4] = {-2, 0, 1, 5}, y[4], lo = -1;
    in[1] = T0(RT_F32);
    in[0].data = x, in[1].data = &lo, out.data = y;
    runs("Clip with max's data missing at run", -1, "has no data", RT_OP_CLIP, NULL, 0, in, 3, &out, 1);

    rt_tensor b[2] = {T(RT_U8, 2, 3), T(RT_U8, 3)};
    rt_tensor bo = T(RT_U8, 2, 3);
    yes("Add uint8", RT_OP_ADD, NULL, 0, b, 2, &bo, 1);
    rt_tensor p[2] = {T(RT_F32, 3), T(RT_U64, 3)};
    rt_tensor po = T(RT_F32, 3);
    yes("Pow float32 ^ uint64", RT_OP_POW, NULL, 0, p, 2, &po, 1);
    rt_tensor w[3] = {T(RT_BOOL, 3), T(RT_F16, 3), T(RT_F16, 1)};
    rt_tensor wo = T(RT_F16, 3);
    yes("Where float16", RT_OP_WHERE, NULL, 0, w, 3, &wo, 1);
}

static void test_linalg_norm(void) {
    rt_tensor mm[2] = {T(RT_F32, 2, 3, 4), T(RT_F32, 4, 5)};
    rt_tensor mo = T(RT_F32, 2, 3, 5);
    yes("MatMul", RT_OP_MATMUL, NULL, 0, mm, 2, &mo, 1);
    rt_tensor cv[3] = {T(RT_F32, 1, 2, 5, 5), T(RT_F32, 4, 2, 3, 3), T(RT_F32, 4)};
    rt_tensor co = T(RT_F32, 1, 4, 3, 3);
    yes("Conv with bias", RT_OP_CONV, NULL, 0, cv, 3, &co, 1);
    CHECK(rt_cpu_scratch(RT_OP_CONV, NULL, 0, cv, 3, &co, 1) > 0, "Conv scratch sized without data");
    rt_tensor mp = T(RT_U8, 1, 1, 4, 4);
    rt_tensor mpo = T(RT_U8, 1, 1, 2, 2);
    int64_t ks[2] = {2, 2};
    rt_attr pa[2] = {aints("kernel_shape", 2, ks), aints("strides", 2, ks)};
    yes("MaxPool uint8", RT_OP_MAXPOOL, pa, 2, &mp, 1, &mpo, 1);
    rt_tensor ln[3] = {T(RT_F32, 2, 8), T(RT_F32, 8), T(RT_F32, 8)};
    rt_tensor lo = T(RT_F32, 2, 8);
    yes("LayerNormalization", RT_OP_LAYERNORMALIZATION, NULL, 0, ln, 3, &lo, 1);
}

static void test_move(void) {
    rt_tensor rs[2] = {T(RT_F32, 2, 6), T(RT_I64, 2)};
    rt_tensor ro = T(RT_F32, 3, 4);
    yes("Reshape shape at run time", RT_OP_RESHAPE, NULL, 0, rs, 2, &ro, 1);
    rt_tensor ro_bad = T(RT_F32, 3, 5);
    no("Reshape to a different count", "elements", RT_OP_RESHAPE, NULL, 0, rs, 2, &ro_bad, 1);

    rt_tensor sl[4] = {T(RT_F32, 4, 6), T(RT_I64, 1), T(RT_I64, 1), T(RT_I64, 1)};
    rt_tensor so = T(RT_F32, 4, 3);
    yes("Slice starts/ends/axes at run time", RT_OP_SLICE, NULL, 0, sl, 4, &so, 1);
    float x[24], y[12];
    for (int i = 0; i < 24; i++) x[i] = (float)i;
    int64_t st = 0, en = 4, ax = 1;
    sl[0].data = x, sl[1].data = &st, sl[2].data = &en, sl[3].data = &ax, so.data = y;
    runs("Slice [0:4] on axis 1 into 3 columns", -1, "output dim 1", RT_OP_SLICE, NULL, 0, sl, 4, &so, 1);
    en = 3;
    runs("Slice [0:3] on axis 1", 0, "", RT_OP_SLICE, NULL, 0, sl, 4, &so, 1);

    rt_tensor us[2] = {T(RT_F32, 3), T(RT_I64, 1)};
    rt_tensor uo = T(RT_F32, 1, 3);
    yes("Unsqueeze axes at run time", RT_OP_UNSQUEEZE, NULL, 0, us, 2, &uo, 1);
    rt_tensor ex[2] = {T(RT_F32, 3, 1), T(RT_I64, 2)};
    rt_tensor eo = T(RT_F32, 3, 4);
    yes("Expand shape at run time", RT_OP_EXPAND, NULL, 0, ex, 2, &eo, 1);
    rt_tensor ti[2] = {T(RT_F32, 2, 3), T(RT_I64, 2)};
    rt_tensor to = T(RT_F32, 4, 3);
    yes("Tile repeats at run time", RT_OP_TILE, NULL, 0, ti, 2, &to, 1);
    rt_tensor pd[3] = {T(RT_F32, 2, 3), T(RT_I64, 4), T0(RT_F32)};
    rt_tensor pdo = T(RT_F32, 4, 5);
    yes("Pad pads and value at run time", RT_OP_PAD, NULL, 0, pd, 3, &pdo, 1);
    rt_tensor sp[2] = {T(RT_F32, 6), T(RT_I64, 2)};
    rt_tensor spo[2] = {T(RT_F32, 2), T(RT_F32, 4)};
    yes("Split sizes at run time", RT_OP_SPLIT, NULL, 0, sp, 2, spo, 2);
    rt_tensor ga[2] = {T(RT_F32, 5, 4), T(RT_I64, 3)};
    rt_tensor gao = T(RT_F32, 3, 4);
    yes("Gather indices at run time", RT_OP_GATHER, NULL, 0, ga, 2, &gao, 1);
    rt_tensor cs = T(RT_I64, 2);
    rt_tensor cso = T(RT_F32, 2, 3);
    yes("ConstantOfShape shape at run time", RT_OP_CONSTANTOFSHAPE, NULL, 0, &cs, 1, &cso, 1);
    rt_tensor rg[3] = {T0(RT_I64), T0(RT_I64), T0(RT_I64)};
    rt_tensor rgo = T(RT_I64, 5);
    yes("Range bounds at run time", RT_OP_RANGE, NULL, 0, rg, 3, &rgo, 1);
    rt_tensor oh[3] = {T(RT_I64, 3), T0(RT_I64), T(RT_F32, 2)};
    rt_tensor oho = T(RT_F32, 3, 4);
    yes("OneHot depth and values at run time", RT_OP_ONEHOT, NULL, 0, oh, 3, &oho, 1);

    rt_tensor rz[3] = {T(RT_F32, 1, 1, 2, 4), NONE, T(RT_F32, 4)};
    rt_tensor rzo = T(RT_F32, 1, 1, 1, 2);
    rt_attr rza[2] = {as("mode", "linear"), as("coordinate_transformation_mode", "align_corners")};
    yes("Resize scales at run time", RT_OP_RESIZE, rza, 2, rz, 3, &rzo, 1);
    CHECK(rt_cpu_scratch(RT_OP_RESIZE, rza, 2, rz, 3, &rzo, 1) > 0, "Resize scratch sized without data");
    rt_tensor rz2[4] = {T(RT_F32, 1, 1, 4, 4), NONE, NONE, T(RT_I64, 4)};
    rt_tensor rz2o = T(RT_F32, 1, 1, 3, 2);
    rt_attr nn = as("coordinate_transformation_mode", "tf_half_pixel_for_nn");
    yes("Resize sizes at run time, tf_half_pixel_for_nn", RT_OP_RESIZE, &nn, 1, rz2, 4, &rz2o, 1);
}

int main(void) {
    test_reduce();
    test_unary_binary();
    test_linalg_norm();
    test_move();
    T_DONE();
}
