/* test_kernels_move.c - the CPU move family (runtime/cpu/rt_cpu_move*.c) against hand-computed
 * values (checked with numpy / the ONNX reference implementation where noted) and index
 * formulas, plus the clean failures: bad indices, wrong output dims, strings, no scratch. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include "t.h"
#include "rt_cpu.h"

static int g_threads = 1;
static rt_kctx K;
static const rt_tensor NONE = {0, -1, {0}, NULL};

static rt_tensor mk(int dt, void *data, int rank, ...) {
    rt_tensor t = {dt, rank, {0}, data};
    va_list ap;
    va_start(ap, rank);
    for (int i = 0; i < rank; i++) t.dims[i] = va_arg(ap, int);
    va_end(ap);
    return t;
}

static rt_attr ai(const char *n, int64_t v) { return (rt_attr){.name = n, .type = RT_ATTR_INT, .i = v}; }
static rt_attr af(const char *n, float v) { return (rt_attr){.name = n, .type = RT_ATTR_FLOAT, .f = v}; }
static rt_attr as(const char *n, const char *v) { return (rt_attr){.name = n, .type = RT_ATTR_STRING, .s = v}; }
static rt_attr aints(const char *n, int c, const int64_t *v) {
    return (rt_attr){.name = n, .type = RT_ATTR_INTS, .n = c, .ints = v};
}
static rt_attr aten(const char *n, const rt_tensor *t) { return (rt_attr){.name = n, .type = RT_ATTR_TENSOR, .t = t}; }

/* supports -> scratch -> run. -2: supports() said no; else run's result. K.err says why. */
static int run(int op, const rt_attr *at, int na, rt_tensor *in, int nin, rt_tensor *out, int nout) {
    memset(&K, 0, sizeof K);
    K.nthreads = g_threads;
    if (!rt_cpu_supports(op, at, na, in, nin, out, nout, &K)) return -2;
    size_t s = rt_cpu_scratch(op, at, na, in, nin, out, nout);
    void *buf = s ? aligned_alloc(64, (s + 63) / 64 * 64) : NULL;
    K.scratch = buf;
    K.scratch_size = s;
    int rc = rt_cpu_run(op, at, na, in, nin, out, nout, &K);
    free(buf);
    return rc;
}

#define RUN_OK(what, op, at, na, in, nin, out, nout) do { \
    int rc_ = run(op, at, na, in, nin, out, nout); \
    CHECK(rc_ == 0, "%s runs (rc %d%s%s)", what, rc_, K.err[0] ? ": " : "", K.err); } while (0)

static void eq_f32(const char *what, const float *e, const float *a, int n, double tol) {
    int bad = -1;
    for (int i = 0; i < n && bad < 0; i++)
        if (!(fabs((double)e[i] - (double)a[i]) <= tol)) bad = i;
    if (bad < 0) CHECK(1, "%s: %d values match", what, n);
    else CHECK(0, "%s: element %d expected %g, got %g", what, bad, e[bad], a[bad]);
}
static void eq_i64(const char *what, const int64_t *e, const int64_t *a, int n) {
    int bad = -1;
    for (int i = 0; i < n && bad < 0; i++)
        if (e[i] != a[i]) bad = i;
    if (bad < 0) CHECK(1, "%s: %d values match", what, n);
    else CHECK(0, "%s: element %d expected %lld, got %lld", what, bad, (long long)e[bad], (long long)a[bad]);
}
static void eq_i32(const char *what, const int32_t *e, const int32_t *a, int n) {
    int bad = -1;
    for (int i = 0; i < n && bad < 0; i++)
        if (e[i] != a[i]) bad = i;
    if (bad < 0) CHECK(1, "%s: %d values match", what, n);
    else CHECK(0, "%s: element %d expected %d, got %d", what, bad, e[bad], a[bad]);
}

static void test_reshape(void) {
    float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {0};
    int64_t shp[2] = {3, 2};
    rt_tensor in[2] = {mk(RT_F32, x, 2, 2, 3), mk(RT_I64, shp, 1, 2)}, out = mk(RT_F32, y, 2, 3, 2);
    RUN_OK("Reshape [2,3]->[3,2]", RT_OP_RESHAPE, NULL, 0, in, 2, &out, 1);
    eq_f32("Reshape bytes kept", x, y, 6, 0);
    rt_tensor alias = mk(RT_F32, x, 1, 6);
    RUN_OK("Flatten in place (out aliases in)", RT_OP_FLATTEN, NULL, 0, in, 1, &alias, 1);
    CHECK(x[5] == 6, "in-place Flatten leaves the data alone");
    float z[5];
    rt_tensor bad = mk(RT_F32, z, 1, 5);
    CHECK_EQ_I(-2, run(RT_OP_SQUEEZE, NULL, 0, in, 1, &bad, 1), "Squeeze to 5 elements from 6 is refused");
    CHECK_CONTAINS(K.err, "Squeeze: output holds 5 elements, input 6", "Squeeze numel message");
    rt_tensor wrongdt = mk(RT_I32, y, 2, 3, 2);
    CHECK_EQ_I(-2, run(RT_OP_UNSQUEEZE, NULL, 0, in, 1, &wrongdt, 1), "Unsqueeze with another dtype is refused");
    rt_tensor s[2] = {mk(RT_STR, x, 1, 6), mk(RT_STR, y, 1, 6)};
    CHECK_EQ_I(-2, run(RT_OP_RESHAPE, NULL, 0, &s[0], 1, &s[1], 1), "Reshape of strings is refused");
    CHECK_CONTAINS(K.err, "string", "string message");
}

static void test_transpose(void) {
    /* 4-D [0,2,1,3] on int32 iota: y[a][c][b][d] = x[a][b][c][d] */
    enum { A = 2, B = 3, C = 4, D = 5 };
    int32_t x[A * B * C * D], y[A * B * C * D], e[A * B * C * D];
    for (int i = 0; i < A * B * C * D; i++) x[i] = i;
    for (int a = 0; a < A; a++)
        for (int c = 0; c < C; c++)
            for (int b = 0; b < B; b++)
                for (int d = 0; d < D; d++) e[((a * C + c) * B + b) * D + d] = x[((a * B + b) * C + c) * D + d];
    int64_t perm[4] = {0, 2, 1, 3};
    rt_attr at = aints("perm", 4, perm);
    rt_tensor in = mk(RT_I32, x, 4, A, B, C, D), out = mk(RT_I32, y, 4, A, C, B, D);
    RUN_OK("Transpose [0,2,1,3]", RT_OP_TRANSPOSE, &at, 1, &in, 1, &out, 1);
    eq_i32("Transpose [0,2,1,3] vs index formula", e, y, A * B * C * D);

    /* default perm (reversed) on a 2-D int64 [3,5] */
    int64_t p[15], q[15], pe[15];
    for (int i = 0; i < 15; i++) p[i] = 100 + i;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++) pe[j * 3 + i] = p[i * 5 + j];
    rt_tensor in2 = mk(RT_I64, p, 2, 3, 5), out2 = mk(RT_I64, q, 2, 5, 3);
    RUN_OK("Transpose default perm", RT_OP_TRANSPOSE, NULL, 0, &in2, 1, &out2, 1);
    eq_i64("Transpose 2-D reversed", pe, q, 15);

    /* larger, two threads: tiled [67,45] -> [45,67] and rows [0,2,1,3] of 1 MB */
    g_threads = 2;
    enum { R = 67, S = 45 };
    static float bx[R * S], by[R * S], be[R * S];
    for (int i = 0; i < R * S; i++) bx[i] = (float)i;
    for (int i = 0; i < R; i++)
        for (int j = 0; j < S; j++) be[j * R + i] = bx[i * S + j];
    rt_tensor bi = mk(RT_F32, bx, 2, R, S), bo = mk(RT_F32, by, 2, S, R);
    RUN_OK("Transpose 67x45 tiled", RT_OP_TRANSPOSE, NULL, 0, &bi, 1, &bo, 1);
    eq_f32("Transpose 67x45 vs formula", be, by, R * S, 0);
    enum { N0 = 2, N1 = 128, N2 = 16, N3 = 64, NT = N0 * N1 * N2 * N3 };
    float *hx = malloc(sizeof(float) * NT), *hy = malloc(sizeof(float) * NT);
    for (int i = 0; i < NT; i++) hx[i] = (float)i;
    rt_tensor hi = mk(RT_F32, hx, 4, N0, N1, N2, N3), ho = mk(RT_F32, hy, 4, N0, N2, N1, N3);
    RUN_OK("Transpose [0,2,1,3] 1 MB, 2 threads", RT_OP_TRANSPOSE, &at, 1, &hi, 1, &ho, 1);
    int bad = 0;
    for (int a = 0; a < N0; a++)
        for (int c = 0; c < N2; c++)
            for (int b = 0; b < N1; b++)
                for (int d = 0; d < N3; d++)
                    bad += hy[((a * N2 + c) * N1 + b) * N3 + d] != hx[((a * N1 + b) * N2 + c) * N3 + d];
    CHECK_EQ_I(0, bad, "mismatches in the 1 MB [0,2,1,3] transpose");
    free(hx);
    free(hy);
    g_threads = 1;

    int64_t badp[2] = {0, 0};
    rt_attr bat = aints("perm", 2, badp);
    CHECK_EQ_I(-2, run(RT_OP_TRANSPOSE, &bat, 1, &in2, 1, &out2, 1), "perm [0,0] is refused");
    CHECK_CONTAINS(K.err, "not a permutation", "perm message");
    rt_tensor wrong = mk(RT_I64, q, 2, 3, 5);
    CHECK_EQ_I(-2, run(RT_OP_TRANSPOSE, NULL, 0, &in2, 1, &wrong, 1), "Transpose with wrong output dims is refused");
}

static void test_concat_split(void) {
    int64_t a[4] = {1, 2, 3, 4}, b[2] = {5, 6}, y[6];
    rt_tensor in[2] = {mk(RT_I64, a, 2, 2, 2), mk(RT_I64, b, 2, 2, 1)}, out = mk(RT_I64, y, 2, 2, 3);
    rt_attr ax = ai("axis", -1);
    RUN_OK("Concat axis -1", RT_OP_CONCAT, &ax, 1, in, 2, &out, 1);
    int64_t e[6] = {1, 2, 5, 3, 4, 6};
    eq_i64("Concat [[1,2],[3,4]] ++ [[5],[6]]", e, y, 6);
    rt_tensor big = mk(RT_I64, y, 2, 2, 4);
    CHECK_EQ_I(-2, run(RT_OP_CONCAT, &ax, 1, in, 2, &big, 1), "Concat with wrong output dim is refused");
    CHECK_CONTAINS(K.err, "add up to 3", "Concat message");

    /* Split [7] into num_outputs=3: 3, 3, 1 */
    float x[7] = {0, 1, 2, 3, 4, 5, 6}, o0[3], o1[3], o2[1];
    rt_tensor sx = mk(RT_F32, x, 1, 7);
    rt_tensor so[3] = {mk(RT_F32, o0, 1, 3), mk(RT_F32, o1, 1, 3), mk(RT_F32, o2, 1, 1)};
    rt_attr sa[2] = {ai("axis", 0), ai("num_outputs", 3)};
    RUN_OK("Split num_outputs=3 uneven", RT_OP_SPLIT, sa, 2, &sx, 1, so, 3);
    float e0[3] = {0, 1, 2}, e1[3] = {3, 4, 5}, e2[1] = {6};
    eq_f32("Split part 0", e0, o0, 3, 0);
    eq_f32("Split part 1", e1, o1, 3, 0);
    eq_f32("Split part 2", e2, o2, 1, 0);
    rt_tensor so_bad[3] = {mk(RT_F32, o0, 1, 2), mk(RT_F32, o1, 1, 3), mk(RT_F32, o2, 1, 2)};
    CHECK_EQ_I(-2, run(RT_OP_SPLIT, sa, 2, &sx, 1, so_bad, 3), "Split 2/3/2 with num_outputs=3 is refused");

    /* Split [2,3] along axis 1 with split input [1,2] (int64) */
    int32_t m[6] = {1, 2, 3, 4, 5, 6}, p0[2], p1[4];
    int64_t sp[2] = {1, 2};
    rt_tensor min[2] = {mk(RT_I32, m, 2, 2, 3), mk(RT_I64, sp, 1, 2)};
    rt_tensor mo[2] = {mk(RT_I32, p0, 2, 2, 1), mk(RT_I32, p1, 2, 2, 2)};
    rt_attr a1 = ai("axis", -1);
    RUN_OK("Split with split input", RT_OP_SPLIT, &a1, 1, min, 2, mo, 2);
    int32_t ep0[2] = {1, 4}, ep1[4] = {2, 3, 5, 6};
    eq_i32("Split [1,2] part 0", ep0, p0, 2);
    eq_i32("Split [1,2] part 1", ep1, p1, 4);
    sp[0] = 2, sp[1] = 1;
    CHECK_EQ_I(-1, run(RT_OP_SPLIT, &a1, 1, min, 2, mo, 2), "Split whose split input disagrees with outputs fails at run");
    CHECK_CONTAINS(K.err, "output 0 has 1 along axis 1, expected 2", "Split message");
}

static void test_slice(void) {
    int64_t x[10], y[4];
    for (int i = 0; i < 10; i++) x[i] = i;
    int64_t st[1] = {-1}, en[1] = {-100}, ax[1] = {0}, sp[1] = {-3};
    rt_tensor in[5] = {mk(RT_I64, x, 1, 10), mk(RT_I64, st, 1, 1), mk(RT_I64, en, 1, 1), mk(RT_I64, ax, 1, 1),
                       mk(RT_I64, sp, 1, 1)};
    rt_tensor out = mk(RT_I64, y, 1, 4);
    RUN_OK("Slice step -3, end clamped", RT_OP_SLICE, NULL, 0, in, 5, &out, 1);
    int64_t e[4] = {9, 6, 3, 0};
    eq_i64("Slice [-1:-100:-3] of 0..9", e, y, 4);
    rt_tensor out3 = mk(RT_I64, y, 1, 3);
    CHECK_EQ_I(-1, run(RT_OP_SLICE, NULL, 0, in, 5, &out3, 1), "Slice with output dim 3 for 4 elements fails");
    CHECK_CONTAINS(K.err, "the slice has 4", "Slice count message");

    /* int32 inputs, negative axis, end past the dim: [2,4] f32, cols 1..3 */
    float m[8] = {0, 1, 2, 3, 10, 11, 12, 13}, my[6];
    int32_t s2[1] = {1}, e2[1] = {1000}, a2[1] = {-1};
    rt_tensor in2[4] = {mk(RT_F32, m, 2, 2, 4), mk(RT_I32, s2, 1, 1), mk(RT_I32, e2, 1, 1), mk(RT_I32, a2, 1, 1)};
    rt_tensor out2 = mk(RT_F32, my, 2, 2, 3);
    RUN_OK("Slice int32 axes -1", RT_OP_SLICE, NULL, 0, in2, 4, &out2, 1);
    float em[6] = {1, 2, 3, 11, 12, 13};
    eq_f32("Slice [:, 1:1000]", em, my, 6, 0);

    /* two axes, one reversed: rows reversed, every other column of a [3,4] int32 */
    int32_t g[12], gy[6];
    for (int i = 0; i < 12; i++) g[i] = i;
    int64_t s3[2] = {-1, 0}, e3[2] = {INT64_MIN, 4}, a3[2] = {0, 1}, p3[2] = {-1, 2};
    rt_tensor in3[5] = {mk(RT_I32, g, 2, 3, 4), mk(RT_I64, s3, 1, 2), mk(RT_I64, e3, 1, 2), mk(RT_I64, a3, 1, 2),
                        mk(RT_I64, p3, 1, 2)};
    rt_tensor out3b = mk(RT_I32, gy, 2, 3, 2);
    RUN_OK("Slice reversed rows, step-2 columns", RT_OP_SLICE, NULL, 0, in3, 5, &out3b, 1);
    int32_t eg[6] = {8, 10, 4, 6, 0, 2};
    eq_i32("Slice [::-1, ::2] of 3x4 iota", eg, gy, 6);
}

static void test_gather(void) {
    float d[6] = {1, 2, 3, 4, 5, 6}, y[4];
    int64_t idx[2] = {-1, 0};
    rt_tensor in[2] = {mk(RT_F32, d, 2, 2, 3), mk(RT_I64, idx, 1, 2)}, out = mk(RT_F32, y, 2, 2, 2);
    rt_attr ax = ai("axis", -1);
    RUN_OK("Gather axis -1, negative index", RT_OP_GATHER, &ax, 1, in, 2, &out, 1);
    float e[4] = {3, 1, 6, 4};
    eq_f32("Gather [[1,2,3],[4,5,6]][:, [-1,0]]", e, y, 4, 0);

    /* bool data, int32 scalar index on axis 0 */
    uint8_t bd[6] = {1, 0, 1, 0, 0, 1}, by[3];
    int32_t si = 1;
    rt_tensor bin[2] = {mk(RT_BOOL, bd, 2, 2, 3), mk(RT_I32, &si, 0)}, bout = mk(RT_BOOL, by, 1, 3);
    RUN_OK("Gather bool with scalar index", RT_OP_GATHER, NULL, 0, bin, 2, &bout, 1);
    CHECK(by[0] == 0 && by[1] == 0 && by[2] == 1, "Gather bool row 1 = [0,0,1]");

    /* index out of range: data [5], index 7 */
    int64_t v5[5] = {0, 1, 2, 3, 4}, i7[2] = {1, 7}, o2[2];
    rt_tensor ein[2] = {mk(RT_I64, v5, 1, 5), mk(RT_I64, i7, 1, 2)}, eout = mk(RT_I64, o2, 1, 2);
    CHECK_EQ_I(-1, run(RT_OP_GATHER, NULL, 0, ein, 2, &eout, 1), "Gather index 7 of 5 fails at run");
    CHECK_CONTAINS(K.err, "index 7 out of range [-5, 5)", "Gather range message");
    i7[1] = -6;
    CHECK_EQ_I(-1, run(RT_OP_GATHER, NULL, 0, ein, 2, &eout, 1), "Gather index -6 of 5 fails at run");
    CHECK_CONTAINS(K.err, "index -6 out of range [-5, 5)", "Gather negative range message");
    float f[2];
    rt_tensor wout = mk(RT_I64, f, 1, 3);
    CHECK_EQ_I(-2, run(RT_OP_GATHER, NULL, 0, ein, 2, &wout, 1), "Gather with wrong output dims is refused");

    /* float16 bits move untouched */
    uint16_t h[3] = {0x3c00, 0xc000, 0x7e00}, hy[2];
    int64_t hi[2] = {2, 0};
    rt_tensor hin[2] = {mk(RT_F16, h, 1, 3), mk(RT_I64, hi, 1, 2)}, hout = mk(RT_F16, hy, 1, 2);
    RUN_OK("Gather float16", RT_OP_GATHER, NULL, 0, hin, 2, &hout, 1);
    CHECK(hy[0] == 0x7e00 && hy[1] == 0x3c00, "Gather float16 bits (NaN, 1.0) kept");

    /* GatherElements (ONNX example): [[1,2],[3,4]], [[0,0],[1,0]], axis 1 -> [[1,1],[4,3]] */
    int32_t ge[4] = {1, 2, 3, 4}, gy[4];
    int64_t gi[4] = {0, 0, -1, 0};
    rt_tensor gin[2] = {mk(RT_I32, ge, 2, 2, 2), mk(RT_I64, gi, 2, 2, 2)}, gout = mk(RT_I32, gy, 2, 2, 2);
    rt_attr a1 = ai("axis", 1);
    RUN_OK("GatherElements axis 1", RT_OP_GATHERELEMENTS, &a1, 1, gin, 2, &gout, 1);
    int32_t gee[4] = {1, 1, 4, 3};
    eq_i32("GatherElements", gee, gy, 4);
    gi[1] = 2;
    CHECK_EQ_I(-1, run(RT_OP_GATHERELEMENTS, &a1, 1, gin, 2, &gout, 1), "GatherElements index 2 of 2 fails");
    CHECK_CONTAINS(K.err, "index 2 out of range [-2, 2)", "GatherElements message");

    /* GatherND batch_dims=1 (ONNX example): data [[[0,1],[2,3]],[[4,5],[6,7]]], indices [[1],[0]] */
    int64_t nd[8] = {0, 1, 2, 3, 4, 5, 6, 7}, ni[2] = {1, 0}, ny[4];
    rt_tensor nin[2] = {mk(RT_I64, nd, 3, 2, 2, 2), mk(RT_I64, ni, 2, 2, 1)}, nout = mk(RT_I64, ny, 2, 2, 2);
    rt_attr bd1 = ai("batch_dims", 1);
    RUN_OK("GatherND batch_dims=1", RT_OP_GATHERND, &bd1, 1, nin, 2, &nout, 1);
    int64_t ne[4] = {2, 3, 4, 5};
    eq_i64("GatherND batch_dims=1", ne, ny, 4);
    /* batch_dims=0: [[0,1],[2,3]] at [[0,0],[1,1]] -> [0,3] */
    int64_t n2[4] = {0, 1, 2, 3}, i2[4] = {0, 0, 1, -1}, y2[2];
    rt_tensor n2in[2] = {mk(RT_I64, n2, 2, 2, 2), mk(RT_I64, i2, 2, 2, 2)}, n2out = mk(RT_I64, y2, 1, 2);
    RUN_OK("GatherND elements", RT_OP_GATHERND, NULL, 0, n2in, 2, &n2out, 1);
    int64_t e2[2] = {0, 3};
    eq_i64("GatherND [[0,0],[1,-1]]", e2, y2, 2);
    i2[2] = 2;
    CHECK_EQ_I(-1, run(RT_OP_GATHERND, NULL, 0, n2in, 2, &n2out, 1), "GatherND index 2 of 2 fails");
    CHECK_CONTAINS(K.err, "index 2 out of range [-2, 2)", "GatherND message");
}

static void test_scatter(void) {
    /* ScatterElements (ONNX example), axis 0 */
    float d[9] = {0}, y[9];
    int64_t idx[6] = {1, 0, 2, 0, 2, 1};
    float up[6] = {1.0f, 1.1f, 1.2f, 2.0f, 2.1f, 2.2f};
    rt_tensor in[3] = {mk(RT_F32, d, 2, 3, 3), mk(RT_I64, idx, 2, 2, 3), mk(RT_F32, up, 2, 2, 3)};
    rt_tensor out = mk(RT_F32, y, 2, 3, 3);
    RUN_OK("ScatterElements axis 0", RT_OP_SCATTERELEMENTS, NULL, 0, in, 3, &out, 1);
    float e[9] = {2.0f, 1.1f, 0, 1.0f, 0, 2.2f, 0, 2.1f, 1.2f};
    eq_f32("ScatterElements ONNX example", e, y, 9, 0);
    /* reduction add with negative index (ONNX example): [[1,2,3,4,5]], [[1,-4]], [[1.1,2.1]] */
    float d2[5] = {1, 2, 3, 4, 5}, y2[5], u2[2] = {1.1f, 2.1f};
    int64_t i2[2] = {1, -4};
    rt_tensor in2[3] = {mk(RT_F32, d2, 2, 1, 5), mk(RT_I64, i2, 2, 1, 2), mk(RT_F32, u2, 2, 1, 2)};
    rt_tensor out2 = mk(RT_F32, y2, 2, 1, 5);
    rt_attr ra[2] = {ai("axis", 1), as("reduction", "add")};
    RUN_OK("ScatterElements add", RT_OP_SCATTERELEMENTS, ra, 2, in2, 3, &out2, 1);
    float e2[5] = {1, 5.2f, 3, 4, 5};
    eq_f32("ScatterElements add duplicates", e2, y2, 5, 1e-6);
    rt_attr rm[2] = {ai("axis", 1), as("reduction", "max")};
    RUN_OK("ScatterElements max", RT_OP_SCATTERELEMENTS, rm, 2, in2, 3, &out2, 1);
    float e3[5] = {1, 2.1f, 3, 4, 5};
    eq_f32("ScatterElements max", e3, y2, 5, 0);
    rt_attr rb[2] = {ai("axis", 1), as("reduction", "avg")};
    CHECK_EQ_I(-2, run(RT_OP_SCATTERELEMENTS, rb, 2, in2, 3, &out2, 1), "reduction avg is refused");
    i2[0] = 5;
    CHECK_EQ_I(-1, run(RT_OP_SCATTERELEMENTS, ra, 2, in2, 3, &out2, 1), "ScatterElements index 5 of 5 fails");
    CHECK_CONTAINS(K.err, "index 5 out of range [-5, 5)", "ScatterElements message");

    /* ScatterND (ONNX example 1): int64 */
    int64_t nd[8] = {1, 2, 3, 4, 5, 6, 7, 8}, ni[4] = {4, 3, 1, 7}, nu[4] = {9, 10, 11, 12}, ny[8];
    rt_tensor nin[3] = {mk(RT_I64, nd, 1, 8), mk(RT_I64, ni, 2, 4, 1), mk(RT_I64, nu, 1, 4)};
    rt_tensor nout = mk(RT_I64, ny, 1, 8);
    RUN_OK("ScatterND", RT_OP_SCATTERND, NULL, 0, nin, 3, &nout, 1);
    int64_t ne[8] = {1, 11, 3, 10, 9, 6, 7, 12};
    eq_i64("ScatterND ONNX example 1", ne, ny, 8);
    /* rows of a [2,3] int32 with mul, a duplicate row and a negative index */
    int32_t md[6] = {1, 2, 3, 4, 5, 6}, mu[9] = {2, 2, 2, 3, 3, 3, 10, 10, 10}, my[6];
    int64_t mi[3] = {0, -2, 1};
    rt_tensor min[3] = {mk(RT_I32, md, 2, 2, 3), mk(RT_I64, mi, 2, 3, 1), mk(RT_I32, mu, 2, 3, 3)};
    rt_tensor mout = mk(RT_I32, my, 2, 2, 3);
    rt_attr mul = as("reduction", "mul");
    RUN_OK("ScatterND mul", RT_OP_SCATTERND, &mul, 1, min, 3, &mout, 1);
    int32_t me[6] = {6, 12, 18, 40, 50, 60};
    eq_i32("ScatterND mul rows", me, my, 6);
    mi[2] = 2;
    CHECK_EQ_I(-1, run(RT_OP_SCATTERND, &mul, 1, min, 3, &mout, 1), "ScatterND index 2 of 2 fails");
    CHECK_CONTAINS(K.err, "index 2 out of range [-2, 2)", "ScatterND message");
}

static void test_expand_tile(void) {
    int32_t x[3] = {1, 2, 3}, y[24];
    int64_t shp[3] = {2, 1, 4};
    rt_tensor in[2] = {mk(RT_I32, x, 2, 3, 1), mk(RT_I64, shp, 1, 3)}, out = mk(RT_I32, y, 3, 2, 3, 4);
    RUN_OK("Expand [3,1] -> [2,3,4]", RT_OP_EXPAND, NULL, 0, in, 2, &out, 1);
    int bad = 0;
    for (int a = 0; a < 2; a++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++) bad += y[(a * 3 + i) * 4 + j] != x[i];
    CHECK_EQ_I(0, bad, "Expand mismatches vs y[a][i][j] = x[i]");
    rt_tensor bout = mk(RT_I32, y, 2, 2, 4);
    CHECK_EQ_I(-2, run(RT_OP_EXPAND, NULL, 0, in, 2, &bout, 1), "Expand [3,1] -> [2,4] is refused");

    int64_t t[4] = {1, 2, 3, 4}, ty[8], rep[2] = {1, 2};
    rt_tensor tin[2] = {mk(RT_I64, t, 2, 2, 2), mk(RT_I64, rep, 1, 2)}, tout = mk(RT_I64, ty, 2, 2, 4);
    RUN_OK("Tile [1,2]", RT_OP_TILE, NULL, 0, tin, 2, &tout, 1);
    int64_t te[8] = {1, 2, 1, 2, 3, 4, 3, 4};
    eq_i64("Tile [[1,2],[3,4]] by [1,2]", te, ty, 8);
    int64_t rep2[2] = {2, 1}, ty2[8];
    rt_tensor tin2[2] = {mk(RT_I64, t, 2, 2, 2), mk(RT_I64, rep2, 1, 2)}, tout2 = mk(RT_I64, ty2, 2, 4, 2);
    RUN_OK("Tile [2,1]", RT_OP_TILE, NULL, 0, tin2, 2, &tout2, 1);
    int64_t te2[8] = {1, 2, 3, 4, 1, 2, 3, 4};
    eq_i64("Tile [[1,2],[3,4]] by [2,1]", te2, ty2, 8);
    rep[1] = 3;
    CHECK_EQ_I(-1, run(RT_OP_TILE, NULL, 0, tin, 2, &tout, 1), "Tile whose repeats disagree with output fails");
}

static void test_pad(void) {
    /* ONNX examples: reflect and edge on [[1,1.2],[2.3,3.4],[4.5,5.7]] with pads [0,2,0,0] */
    float x[6] = {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f}, y[12];
    int64_t pads[4] = {0, 2, 0, 0};
    rt_tensor in[2] = {mk(RT_F32, x, 2, 3, 2), mk(RT_I64, pads, 1, 4)}, out = mk(RT_F32, y, 2, 3, 4);
    rt_attr refl = as("mode", "reflect"), edge = as("mode", "edge"), wrap = as("mode", "wrap");
    RUN_OK("Pad reflect", RT_OP_PAD, &refl, 1, in, 2, &out, 1);
    float er[12] = {1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f};
    eq_f32("Pad reflect (ONNX example)", er, y, 12, 0);
    RUN_OK("Pad edge", RT_OP_PAD, &edge, 1, in, 2, &out, 1);
    float ee[12] = {1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f};
    eq_f32("Pad edge (ONNX example)", ee, y, 12, 0);

    /* 1-D int64 [1,2,3]: reflect by 3 (past the edge, numpy) and wrap by 2 */
    int64_t v[3] = {1, 2, 3}, p3[2] = {3, 3}, p2[2] = {2, 2}, vy[9];
    rt_tensor vin[2] = {mk(RT_I64, v, 1, 3), mk(RT_I64, p3, 1, 2)}, vout = mk(RT_I64, vy, 1, 9);
    RUN_OK("Pad reflect 3", RT_OP_PAD, &refl, 1, vin, 2, &vout, 1);
    int64_t evr[9] = {2, 3, 2, 1, 2, 3, 2, 1, 2};
    eq_i64("Pad reflect [1,2,3] by 3 (np.pad)", evr, vy, 9);
    rt_tensor win[2] = {mk(RT_I64, v, 1, 3), mk(RT_I64, p2, 1, 2)}, wout = mk(RT_I64, vy, 1, 7);
    RUN_OK("Pad wrap 2", RT_OP_PAD, &wrap, 1, win, 2, &wout, 1);
    int64_t evw[7] = {2, 3, 1, 2, 3, 1, 2};
    eq_i64("Pad wrap [1,2,3] by 2 (np.pad)", evw, vy, 7);

    /* constant with value, axes input, negative pad crops: [2,3] int32, axis -1 pads [-1, 2] */
    int32_t c[6] = {1, 2, 3, 4, 5, 6}, cy[8], cv = 9;
    int64_t cp[2] = {-1, 2}, cax[1] = {-1};
    rt_tensor cin[4] = {mk(RT_I32, c, 2, 2, 3), mk(RT_I64, cp, 1, 2), mk(RT_I32, &cv, 0), mk(RT_I64, cax, 1, 1)};
    rt_tensor cout = mk(RT_I32, cy, 2, 2, 4);
    RUN_OK("Pad constant 9 with axes and a crop", RT_OP_PAD, NULL, 0, cin, 4, &cout, 1);
    int32_t ec[8] = {2, 3, 9, 9, 5, 6, 9, 9};
    eq_i32("Pad [[1,2,3],[4,5,6]] axis -1 by [-1,2] value 9", ec, cy, 8);
    /* constant default 0 on the outer axis */
    int64_t op[4] = {1, 0, 0, 0};
    int32_t oy[9];
    rt_tensor oin[2] = {mk(RT_I32, c, 2, 2, 3), mk(RT_I64, op, 1, 4)}, oout = mk(RT_I32, oy, 2, 3, 3);
    RUN_OK("Pad constant rows", RT_OP_PAD, NULL, 0, oin, 2, &oout, 1);
    int32_t eo[9] = {0, 0, 0, 1, 2, 3, 4, 5, 6};
    eq_i32("Pad a zero row on top", eo, oy, 9);
    rt_tensor bad = mk(RT_I32, oy, 2, 3, 2);
    CHECK_EQ_I(-1, run(RT_OP_PAD, NULL, 0, oin, 2, &bad, 1), "Pad with wrong output dims fails");
    CHECK_CONTAINS(K.err, "output dim 1 is 2", "Pad message");
}

static void test_depth_space_trilu(void) {
    /* DepthToSpace on arange(16) [1,8,1,2], blocksize 2 (expected from numpy reshape/transpose
     * per the ONNX spec formulas) */
    int64_t x[16], y[16], z[16];
    for (int i = 0; i < 16; i++) x[i] = i;
    rt_tensor in = mk(RT_I64, x, 4, 1, 8, 1, 2), out = mk(RT_I64, y, 4, 1, 2, 2, 4);
    rt_attr dcr[2] = {ai("blocksize", 2), as("mode", "DCR")}, crd[2] = {ai("blocksize", 2), as("mode", "CRD")};
    RUN_OK("DepthToSpace DCR", RT_OP_DEPTHTOSPACE, dcr, 2, &in, 1, &out, 1);
    int64_t ed[16] = {0, 4, 1, 5, 8, 12, 9, 13, 2, 6, 3, 7, 10, 14, 11, 15};
    eq_i64("DepthToSpace DCR", ed, y, 16);
    RUN_OK("DepthToSpace CRD", RT_OP_DEPTHTOSPACE, crd, 2, &in, 1, &out, 1);
    int64_t ec[16] = {0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15};
    eq_i64("DepthToSpace CRD", ec, y, 16);
    /* SpaceToDepth of arange(16) [1,1,4,4] */
    rt_tensor sin_ = mk(RT_I64, x, 4, 1, 1, 4, 4), sout = mk(RT_I64, z, 4, 1, 4, 2, 2);
    rt_attr b2 = ai("blocksize", 2);
    RUN_OK("SpaceToDepth", RT_OP_SPACETODEPTH, &b2, 1, &sin_, 1, &sout, 1);
    int64_t es[16] = {0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15};
    eq_i64("SpaceToDepth", es, z, 16);

    /* Trilu on 3x4 int64 1..12 */
    int64_t t[12], ty[12], k1 = 1, km1 = -1;
    for (int i = 0; i < 12; i++) t[i] = i + 1;
    rt_tensor tin[2] = {mk(RT_I64, t, 2, 3, 4), mk(RT_I64, &k1, 0)}, tout = mk(RT_I64, ty, 2, 3, 4);
    RUN_OK("Trilu upper k=1", RT_OP_TRILU, NULL, 0, tin, 2, &tout, 1);
    int64_t eu[12] = {0, 2, 3, 4, 0, 0, 7, 8, 0, 0, 0, 12};
    eq_i64("Trilu upper k=1", eu, ty, 12);
    tin[1] = mk(RT_I64, &km1, 0);
    rt_attr lower = ai("upper", 0);
    RUN_OK("Trilu lower k=-1", RT_OP_TRILU, &lower, 1, tin, 2, &tout, 1);
    int64_t el[12] = {0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0};
    eq_i64("Trilu lower k=-1", el, ty, 12);
    RUN_OK("Trilu lower no k", RT_OP_TRILU, &lower, 1, tin, 1, &tout, 1);
    int64_t el0[12] = {1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0};
    eq_i64("Trilu lower k=0", el0, ty, 12);
}

static void test_onehot_nonzero(void) {
    int64_t idx[3] = {0, -1, 3}, depth = 3;
    float vals[2] = {0.5f, 2.0f}, y[9];
    rt_tensor in[3] = {mk(RT_I64, idx, 1, 3), mk(RT_I64, &depth, 0), mk(RT_F32, vals, 1, 2)};
    rt_tensor out = mk(RT_F32, y, 2, 3, 3);
    RUN_OK("OneHot axis -1", RT_OP_ONEHOT, NULL, 0, in, 3, &out, 1);
    float e[9] = {2, 0.5f, 0.5f, 0.5f, 0.5f, 2, 0.5f, 0.5f, 0.5f};
    eq_f32("OneHot [0,-1,3] depth 3 (3 is out of range: all off)", e, y, 9, 0);
    rt_attr a0 = ai("axis", 0);
    RUN_OK("OneHot axis 0", RT_OP_ONEHOT, &a0, 1, in, 3, &out, 1);
    float e0[9] = {2, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 2, 0.5f};
    eq_f32("OneHot axis 0", e0, y, 9, 0);
    depth = 4;
    CHECK_EQ_I(-1, run(RT_OP_ONEHOT, NULL, 0, in, 3, &out, 1), "OneHot depth 4 with output dim 3 fails");

    /* NonZero: [[1,0],[1,1]] int32 -> [[0,1,1],[0,0,1]]; f32 -0.0 is zero */
    int32_t nz[4] = {1, 0, 1, 1};
    int64_t ny[6];
    rt_tensor nin = mk(RT_I32, nz, 2, 2, 2), nout = mk(RT_I64, ny, 2, 2, 3);
    RUN_OK("NonZero", RT_OP_NONZERO, NULL, 0, &nin, 1, &nout, 1);
    int64_t ne[6] = {0, 1, 1, 0, 0, 1};
    eq_i64("NonZero [[1,0],[1,1]]", ne, ny, 6);
    float fz[4] = {-0.0f, 3.0f, 0.0f, NAN};
    int64_t fy[2];
    rt_tensor fin = mk(RT_F32, fz, 1, 4), fout = mk(RT_I64, fy, 2, 1, 2);
    RUN_OK("NonZero float", RT_OP_NONZERO, NULL, 0, &fin, 1, &fout, 1);
    CHECK(fy[0] == 1 && fy[1] == 3, "NonZero [-0, 3, 0, nan] = [[1, 3]]");
    rt_tensor wout = mk(RT_I64, ny, 2, 2, 2);
    CHECK_EQ_I(-1, run(RT_OP_NONZERO, NULL, 0, &nin, 1, &wout, 1), "NonZero with output for 2 of 3 fails");
    CHECK_CONTAINS(K.err, "output holds 2 positions but the input has 3 non-zero elements", "NonZero message");
}

static void test_resize(void) {
    float x[4] = {1, 2, 3, 4}, y[16], sc[4] = {1, 1, 2, 2};
    rt_tensor in[3] = {mk(RT_F32, x, 4, 1, 1, 2, 2), NONE, mk(RT_F32, sc, 1, 4)};
    rt_tensor out = mk(RT_F32, y, 4, 1, 1, 4, 4);
    RUN_OK("Resize nearest 2x (half_pixel, round_prefer_floor)", RT_OP_RESIZE, NULL, 0, in, 3, &out, 1);
    float en[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
    eq_f32("Resize nearest 2x", en, y, 16, 0);
    rt_attr asym[2] = {as("coordinate_transformation_mode", "asymmetric"), as("nearest_mode", "floor")};
    RUN_OK("Resize nearest asymmetric floor", RT_OP_RESIZE, asym, 2, in, 3, &out, 1);
    eq_f32("Resize nearest asymmetric floor", en, y, 16, 0);

    /* int64 nearest via sizes: [1,3] -> [1,2] tf_half_pixel_for_nn: x = (o+0.5)*1.5 -> 0.75, 2.25 */
    int64_t xi[3] = {10, 20, 30}, yi[2], sz[2] = {1, 2};
    rt_tensor iin[4] = {mk(RT_I64, xi, 2, 1, 3), NONE, NONE, mk(RT_I64, sz, 1, 2)};
    rt_tensor iout = mk(RT_I64, yi, 2, 1, 2);
    rt_attr tfnn = as("coordinate_transformation_mode", "tf_half_pixel_for_nn");
    RUN_OK("Resize nearest int64 sizes", RT_OP_RESIZE, &tfnn, 1, iin, 4, &iout, 1);
    CHECK(yi[0] == 20 && yi[1] == 30, "Resize tf_half_pixel_for_nn [10,20,30] -> [20,30] (got %lld %lld)",
          (long long)yi[0], (long long)yi[1]);

    /* linear align_corners [[1,2],[3,4]] -> 3x3 */
    float y3[9];
    rt_tensor out3 = mk(RT_F32, y3, 4, 1, 1, 3, 3);
    rt_attr lin[2] = {as("mode", "linear"), as("coordinate_transformation_mode", "align_corners")};
    rt_tensor in3[1] = {mk(RT_F32, x, 4, 1, 1, 2, 2)};
    RUN_OK("Resize linear align_corners (no scales: out/in)", RT_OP_RESIZE, lin, 2, in3, 1, &out3, 1);
    float el[9] = {1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4};
    eq_f32("Resize bilinear align_corners 2x2 -> 3x3", el, y3, 9, 1e-6);

    /* align_corners with a given scale divides by in*scale - 1, not out - 1 (ONNX backend test
     * resize_downsample_scales_linear_align_corners): [[1,2,3,4],[5,6,7,8]] by [1, 0.6] ->
     * [[1, 1 + 3/1.4]] = [[1, 3.142857]] */
    float ax8[8] = {1, 2, 3, 4, 5, 6, 7, 8}, ay2[2], asc[4] = {1, 1, 0.6f, 0.6f};
    rt_tensor ain[3] = {mk(RT_F32, ax8, 4, 1, 1, 2, 4), NONE, mk(RT_F32, asc, 1, 4)};
    rt_tensor aout = mk(RT_F32, ay2, 4, 1, 1, 1, 2);
    RUN_OK("Resize linear align_corners with scales", RT_OP_RESIZE, lin, 2, ain, 3, &aout, 1);
    eq_f32("Resize align_corners scale 0.6 (onnx reference)", (float[]){1, 3.142857f}, ay2, 2, 1e-5);

    /* tf_half_pixel_for_nn, ONNX backend test resize_downsample_sizes_nearest_tf_half_pixel_for_nn:
     * 1..16 as [4,4] to sizes [3,2]: rows (o+0.5)/0.75 -> 1, 2, 3; cols (o+0.5)/0.5 -> 1, 3 */
    float nx[16], ny6[6];
    for (int i = 0; i < 16; i++) nx[i] = (float)(i + 1);
    int64_t nsz[4] = {1, 1, 3, 2};
    rt_tensor nin[4] = {mk(RT_F32, nx, 4, 1, 1, 4, 4), NONE, NONE, mk(RT_I64, nsz, 1, 4)};
    rt_tensor nout = mk(RT_F32, ny6, 4, 1, 1, 3, 2);
    RUN_OK("Resize nearest tf_half_pixel_for_nn 4x4 -> 3x2", RT_OP_RESIZE, &tfnn, 1, nin, 4, &nout, 1);
    eq_f32("Resize tf_half_pixel_for_nn (onnx backend test)", (float[]){6, 8, 10, 12, 14, 16}, ny6, 6, 0);

    /* linear half_pixel 2x along the last axis, axes attr: [1,3] -> [1,1.5,2.5,3] */
    float lx[2] = {1, 3}, ly[4], ls[1] = {2};
    int64_t axes[1] = {-1};
    rt_attr lh[2] = {as("mode", "linear"), aints("axes", 1, axes)};
    rt_tensor lin_in[3] = {mk(RT_F32, lx, 2, 1, 2), NONE, mk(RT_F32, ls, 1, 1)};
    rt_tensor lout = mk(RT_F32, ly, 2, 1, 4);
    RUN_OK("Resize linear half_pixel with axes", RT_OP_RESIZE, lh, 2, lin_in, 3, &lout, 1);
    float elh[4] = {1, 1.5f, 2.5f, 3};
    eq_f32("Resize linear half_pixel [1,3] x2", elh, ly, 4, 1e-6);

    /* cubic (ONNX backend test resize_upsample_scales_cubic, first row; onnx reference) */
    float cx[16], cy[64], cs[4] = {1, 1, 2, 2};
    for (int i = 0; i < 16; i++) cx[i] = (float)(i + 1);
    rt_tensor cin[3] = {mk(RT_F32, cx, 4, 1, 1, 4, 4), NONE, mk(RT_F32, cs, 1, 4)};
    rt_tensor cout = mk(RT_F32, cy, 4, 1, 1, 8, 8);
    rt_attr cub = as("mode", "cubic");
    RUN_OK("Resize cubic 2x", RT_OP_RESIZE, &cub, 1, cin, 3, &cout, 1);
    float ec[8] = {0.47265625f, 0.76953125f, 1.24609375f, 1.875f, 2.28125f, 2.91015625f, 3.38671875f, 3.68359375f};
    eq_f32("Resize cubic first row (onnx reference)", ec, cy, 8, 1e-5);
    /* cubic downsample 0.8, exclude_outside, A=-0.5 (onnx reference) */
    float cy2[9], cs2[4] = {1, 1, 0.8f, 0.8f};
    rt_tensor cin2[3] = {mk(RT_F32, cx, 4, 1, 1, 4, 4), NONE, mk(RT_F32, cs2, 1, 4)};
    rt_tensor cout2 = mk(RT_F32, cy2, 4, 1, 1, 3, 3);
    rt_attr cub2[3] = {as("mode", "cubic"), ai("exclude_outside", 1), af("cubic_coeff_a", -0.5f)};
    RUN_OK("Resize cubic exclude_outside", RT_OP_RESIZE, cub2, 3, cin2, 3, &cout2, 1);
    float ec2[9] = {1.36812675f, 2.66950130f, 4.01333666f, 6.57362556f, 7.875f, 9.21883488f,
                    11.94896603f, 13.25034142f, 14.59417629f};
    eq_f32("Resize cubic 0.8 exclude_outside (onnx reference)", ec2, cy2, 9, 1e-4);

    /* tf_crop_and_resize with extrapolation: roi [0, 1.5] on [1,2] -> 3: x = 0, 0.75, 1.5 (outside) */
    float tx[2] = {1, 3}, ty[3], roi[2] = {0, 1.5f};
    int64_t tax[1] = {1};
    rt_attr tf[4] = {as("mode", "linear"), as("coordinate_transformation_mode", "tf_crop_and_resize"),
                     af("extrapolation_value", -7), aints("axes", 1, tax)};
    rt_tensor tin[2] = {mk(RT_F32, tx, 2, 1, 2), mk(RT_F32, roi, 1, 2)};
    rt_tensor tout = mk(RT_F32, ty, 2, 1, 3);
    RUN_OK("Resize tf_crop_and_resize", RT_OP_RESIZE, tf, 4, tin, 2, &tout, 1);
    float et[3] = {1, 2.5f, -7};
    eq_f32("Resize tf_crop_and_resize with extrapolation", et, ty, 3, 1e-6);

    /* errors: int dtype linear, antialias, no scratch */
    CHECK_EQ_I(-2, run(RT_OP_RESIZE, lin, 2, iin, 4, &iout, 1), "Resize linear on int64 is refused");
    CHECK_CONTAINS(K.err, "needs a float input", "Resize dtype message");
    rt_attr aa[2] = {as("mode", "linear"), ai("antialias", 1)};
    CHECK_EQ_I(-2, run(RT_OP_RESIZE, aa, 2, in, 3, &out, 1), "Resize antialias is refused");
    memset(&K, 0, sizeof K);
    CHECK_EQ_I(-1, rt_cpu_run(RT_OP_RESIZE, NULL, 0, in, 3, &out, 1, &K), "Resize without scratch fails");
    CHECK_CONTAINS(K.err, "bytes of scratch", "Resize scratch message");
    CHECK(rt_cpu_scratch(RT_OP_RESIZE, NULL, 0, in, 3, &out, 1) > 0, "Resize asks for scratch");
    CHECK_EQ_I(0, (long long)rt_cpu_scratch(RT_OP_TRANSPOSE, NULL, 0, in, 1, &out, 1), "Transpose needs no scratch");
}

static void test_shape_consts(void) {
    float d[1];
    int64_t y[4];
    rt_tensor x = mk(RT_F32, d, 4, 2, 3, 4, 5), out = mk(RT_I64, y, 1, 2);
    rt_attr se[2] = {ai("start", -3), ai("end", -1)};
    RUN_OK("Shape start -3 end -1", RT_OP_SHAPE, se, 2, &x, 1, &out, 1);
    int64_t es[2] = {3, 4};
    eq_i64("Shape [2,3,4,5][-3:-1]", es, y, 2);
    rt_tensor out4 = mk(RT_I64, y, 1, 4);
    RUN_OK("Shape", RT_OP_SHAPE, NULL, 0, &x, 1, &out4, 1);
    int64_t es4[4] = {2, 3, 4, 5};
    eq_i64("Shape full", es4, y, 4);
    rt_tensor sz = mk(RT_I64, y, 0);
    RUN_OK("Size", RT_OP_SIZE, NULL, 0, &x, 1, &sz, 1);
    CHECK_EQ_I(120, y[0], "Size of [2,3,4,5]");
    rt_tensor strs = mk(RT_STR, NULL, 2, 2, 2);
    RUN_OK("Shape of a string tensor", RT_OP_SHAPE, NULL, 0, &strs, 1, &out, 1);

    /* Constant */
    int64_t cv[3] = {7, -8, 9}, cy[3];
    rt_tensor ct = mk(RT_I64, cv, 1, 3), cout = mk(RT_I64, cy, 1, 3);
    rt_attr cval = aten("value", &ct);
    RUN_OK("Constant tensor", RT_OP_CONSTANT, &cval, 1, NULL, 0, &cout, 1);
    eq_i64("Constant value", cv, cy, 3);
    float vf = 2.5f, fy;
    rt_attr vfa = af("value_float", vf);
    rt_tensor fout = mk(RT_F32, &fy, 0);
    RUN_OK("Constant value_float", RT_OP_CONSTANT, &vfa, 1, NULL, 0, &fout, 1);
    CHECK(fy == 2.5f, "Constant value_float = 2.5");
    rt_tensor cbad = mk(RT_I64, cy, 1, 2);
    CHECK_EQ_I(-2, run(RT_OP_CONSTANT, &cval, 1, NULL, 0, &cbad, 1), "Constant with wrong output numel is refused");

    /* ConstantOfShape */
    int64_t shp[2] = {2, 3}, v7 = 7, oy[6];
    rt_tensor s = mk(RT_I64, shp, 1, 2), vt = mk(RT_I64, &v7, 1, 1), oout = mk(RT_I64, oy, 2, 2, 3);
    rt_attr va = aten("value", &vt);
    RUN_OK("ConstantOfShape int64 7", RT_OP_CONSTANTOFSHAPE, &va, 1, &s, 1, &oout, 1);
    int64_t e7[6] = {7, 7, 7, 7, 7, 7};
    eq_i64("ConstantOfShape [2,3] of 7", e7, oy, 6);
    float zf[6] = {1, 1, 1, 1, 1, 1}, ez[6] = {0};
    rt_tensor zout = mk(RT_F32, zf, 2, 2, 3);
    RUN_OK("ConstantOfShape default", RT_OP_CONSTANTOFSHAPE, NULL, 0, &s, 1, &zout, 1);
    eq_f32("ConstantOfShape default float 0", ez, zf, 6, 0);
    shp[1] = 4;
    CHECK_EQ_I(-1, run(RT_OP_CONSTANTOFSHAPE, &va, 1, &s, 1, &oout, 1), "ConstantOfShape with shape != output fails");

    /* Range */
    int32_t rs = 10, rl = 4, rd = -3, ry[2];
    rt_tensor rin[3] = {mk(RT_I32, &rs, 0), mk(RT_I32, &rl, 0), mk(RT_I32, &rd, 0)}, rout = mk(RT_I32, ry, 1, 2);
    RUN_OK("Range int32 10,4,-3", RT_OP_RANGE, NULL, 0, rin, 3, &rout, 1);
    int32_t er[2] = {10, 7};
    eq_i32("Range(10, 4, -3)", er, ry, 2);
    float fs = 0, fl = 1, fd = 0.25f, fry[4];
    rt_tensor fin[3] = {mk(RT_F32, &fs, 0), mk(RT_F32, &fl, 0), mk(RT_F32, &fd, 0)}, frout = mk(RT_F32, fry, 1, 4);
    RUN_OK("Range float", RT_OP_RANGE, NULL, 0, fin, 3, &frout, 1);
    float efr[4] = {0, 0.25f, 0.5f, 0.75f};
    eq_f32("Range(0, 1, 0.25)", efr, fry, 4, 0);
    int64_t is = -3, il = 4, id = 2, iy[4];
    rt_tensor iin[3] = {mk(RT_I64, &is, 0), mk(RT_I64, &il, 0), mk(RT_I64, &id, 0)}, iout = mk(RT_I64, iy, 1, 4);
    RUN_OK("Range int64", RT_OP_RANGE, NULL, 0, iin, 3, &iout, 1);
    int64_t eir[4] = {-3, -1, 1, 3};
    eq_i64("Range(-3, 4, 2)", eir, iy, 4);
    rt_tensor iout3 = mk(RT_I64, iy, 1, 3);
    CHECK_EQ_I(-1, run(RT_OP_RANGE, NULL, 0, iin, 3, &iout3, 1), "Range with 3 slots for 4 values fails");
    CHECK_CONTAINS(K.err, "the range has 4", "Range message");

    /* EyeLike k=1 on [3,4] f32, and int64 k=-1 */
    float ex[12], ey[12];
    rt_tensor ein = mk(RT_F32, ex, 2, 3, 4), eout = mk(RT_F32, ey, 2, 3, 4);
    rt_attr k1 = ai("k", 1);
    RUN_OK("EyeLike k=1", RT_OP_EYELIKE, &k1, 1, &ein, 1, &eout, 1);
    float eey[12] = {0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    eq_f32("EyeLike [3,4] k=1", eey, ey, 12, 0);
    int64_t ly[12];
    rt_tensor lout = mk(RT_I64, ly, 2, 3, 4);
    rt_attr km = ai("k", -1);
    RUN_OK("EyeLike int64 k=-1", RT_OP_EYELIKE, &km, 1, &ein, 1, &lout, 1);
    int64_t ely[12] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0};
    eq_i64("EyeLike [3,4] k=-1 int64", ely, ly, 12);
}

int main(void) {
    test_reshape();
    test_transpose();
    test_concat_split();
    test_slice();
    test_gather();
    test_scatter();
    test_expand_tile();
    test_pad();
    test_depth_space_trilu();
    test_onehot_nonzero();
    test_resize();
    test_shape_consts();
    T_DONE();
}
