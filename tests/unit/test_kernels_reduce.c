/* test_kernels_reduce.c - the CPU reduction family (rt_cpu_reduce.c): Reduce*, ArgMax/ArgMin,
 * TopK, CumSum, Softmax/LogSoftmax/Hardmax against hand-computed values. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include "rt_cpu.h"
#include "t.h"
#include "tk.h"

#define DIMS(...) (int64_t[]){__VA_ARGS__}, (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t))

static rt_tensor ten(int dt, void *data, const int64_t *dims, int rank) {
    rt_tensor t = {dt, rank, {0}, data};
    for (int i = 0; i < rank; i++) t.dims[i] = dims[i];
    return t;
}
static rt_tensor scalar(int dt, void *data) { rt_tensor t = {dt, 0, {0}, data}; return t; }
static rt_attr ai(const char *name, int64_t v) {
    rt_attr a = {.name = name, .type = RT_ATTR_INT, .i = v};
    return a;
}


static void test_softmax(void) {
    float x[6] = {1, 2, 3, 1, 1, 1}, y[6];
    rt_tensor in = ten(RT_F32, x, DIMS(2, 3)), out = ten(RT_F32, y, DIMS(2, 3));
    CHECK_EQ_I(0, go(RT_OP_SOFTMAX, NULL, 0, &in, 1, &out, 1), "Softmax axis=-1 runs");
    /* e^1, e^2, e^3 over their sum (numpy): 0.09003057 0.24472847 0.66524096 */
    double s = exp(1.0) + exp(2.0) + exp(3.0);
    CHECK(near_f((float[]){(float)(exp(1.0) / s), (float)(exp(2.0) / s), (float)(exp(3.0) / s), 1 / 3.0f,
                           1 / 3.0f, 1 / 3.0f}, y, 6, 1e-7), "Softmax rows = e^x / sum e^x");
    CHECK(near_f((float[]){0.09003057f, 0.24472847f, 0.66524096f}, y, 3, 1e-7), "row 0 = 0.0900306 0.2447285 0.6652410");
    CHECK_NEAR(1.0, (double)y[0] + y[1] + y[2], 1e-6, "row 0 sums to 1");
    CHECK_NEAR(1.0, (double)y[3] + y[4] + y[5], 1e-6, "row 1 sums to 1");

    float big[3] = {1000, 1001, 1002}, by[3];
    rt_tensor bin = ten(RT_F32, big, DIMS(3)), bout = ten(RT_F32, by, DIMS(3));
    CHECK_EQ_I(0, go(RT_OP_SOFTMAX, NULL, 0, &bin, 1, &bout, 1), "Softmax of 1000..1002 runs");
    CHECK(near_f((float[]){0.09003057f, 0.24472847f, 0.66524096f}, by, 3, 1e-7), "stable: same as 1..3 (max subtracted)");

    rt_attr ax0 = ai("axis", 0);
    CHECK_EQ_I(0, go(RT_OP_SOFTMAX, &ax0, 1, &in, 1, &out, 1), "Softmax axis=0 runs");
    double e1 = 1 / (1 + exp(-1.0)), e2 = 1 / (1 + exp(-2.0));
    CHECK(near_f((float[]){0.5f, (float)e1, (float)e2, 0.5f, (float)(1 - e1), (float)(1 - e2)}, y, 6, 1e-7),
          "Softmax down columns: [1,1]->.5/.5, [2,1]->e^1/(e^1+1), [3,1]");

    CHECK_EQ_I(0, go(RT_OP_LOGSOFTMAX, NULL, 0, &in, 1, &out, 1), "LogSoftmax runs");
    double ls = log(s);
    CHECK(near_f((float[]){(float)(1 - ls), (float)(2 - ls), (float)(3 - ls), (float)-log(3.0),
                           (float)-log(3.0), (float)-log(3.0)}, y, 6, 1e-6), "LogSoftmax = x - log(sum e^x)");

    float h[6] = {3, 1, 3, 0, 5, 2};
    rt_tensor hin = ten(RT_F32, h, DIMS(2, 3));
    CHECK_EQ_I(0, go(RT_OP_HARDMAX, NULL, 0, &hin, 1, &out, 1), "Hardmax runs");
    CHECK(near_f((float[]){1, 0, 0, 0, 1, 0}, y, 6, 0), "Hardmax: first of tied maxima wins");

    rt_tensor wrong = ten(RT_F32, y, DIMS(3, 2));
    CHECK_EQ_I(0, rt_cpu_supports(RT_OP_SOFTMAX, NULL, 0, &in, 1, &wrong, 1, &K), "Softmax into [3,2]: supports() = 0");
    CHECK_CONTAINS(K.err, "does not match input", "message");
}

static void test_reduce(void) {
    float x[6] = {1, 2, 3, 4, 5, 6}, y[6];
    int64_t ax1 = 1;
    rt_tensor in[2] = {ten(RT_F32, x, DIMS(2, 3)), ten(RT_I64, &ax1, DIMS(1))};
    rt_tensor out = ten(RT_F32, y, DIMS(2, 1));
    CHECK_EQ_I(0, go(RT_OP_REDUCEMEAN, NULL, 0, in, 2, &out, 1), "ReduceMean axes={1} keepdims=1 runs");
    CHECK(near_f((float[]){2, 5}, y, 2, 0), "ReduceMean [[1,2,3],[4,5,6]] over 1 = [[2],[5]]");
    rt_attr k0 = ai("keepdims", 0);
    rt_tensor out0 = ten(RT_F32, y, DIMS(2));
    CHECK_EQ_I(0, go(RT_OP_REDUCEMEAN, &k0, 1, in, 2, &out0, 1), "ReduceMean keepdims=0 runs");
    CHECK(near_f((float[]){2, 5}, y, 2, 0), "ReduceMean keepdims=0 = [2,5]");
    CHECK_EQ_I(0, rt_cpu_supports(RT_OP_REDUCEMEAN, &k0, 1, in, 2, &out, 1, &K), "keepdims=0 into [2,1]: supports() = 0");
    CHECK_CONTAINS(K.err, "output dims [2,1], expected [2]", "message");

    int64_t axm[1] = {-2};
    rt_tensor inm[2] = {in[0], ten(RT_I64, axm, DIMS(1))};
    rt_tensor o3 = ten(RT_F32, y, DIMS(1, 3));
    CHECK_EQ_I(0, go(RT_OP_REDUCESUM, NULL, 0, inm, 2, &o3, 1), "ReduceSum axes={-2} runs");
    CHECK(near_f((float[]){5, 7, 9}, y, 3, 0), "ReduceSum over rows = [[5,7,9]]");

    rt_tensor none[2] = {in[0], {RT_I64, -1, {0}, NULL}};
    rt_tensor os = ten(RT_F32, y, DIMS(1, 1));
    CHECK_EQ_I(0, go(RT_OP_REDUCESUM, NULL, 0, none, 2, &os, 1), "ReduceSum no axes runs");
    CHECK(near_f((float[]){21}, y, 1, 0), "ReduceSum of everything = 21");
    rt_tensor empty[2] = {in[0], ten(RT_I64, NULL, DIMS(0))};
    rt_attr noop = ai("noop_with_empty_axes", 1);
    rt_tensor oid = ten(RT_F32, y, DIMS(2, 3));
    CHECK_EQ_I(0, go(RT_OP_REDUCESUMSQUARE, &noop, 1, empty, 2, &oid, 1), "ReduceSumSquare noop + empty axes runs");
    CHECK(near_f((float[]){1, 4, 9, 16, 25, 36}, y, 6, 0), "noop_with_empty_axes: x^2 elementwise (onnx reference)");
    CHECK_EQ_I(0, go(RT_OP_REDUCEMAX, NULL, 0, empty, 2, &os, 1), "ReduceMax with empty axes (no noop) runs");
    CHECK(near_f((float[]){6}, y, 1, 0), "empty axes reduce all: max = 6");

    /* [2,3,2] over axes {0,2}: not one block */
    float z[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    int64_t ax02[2] = {0, 2};
    rt_tensor zin[2] = {ten(RT_F32, z, DIMS(2, 3, 2)), ten(RT_I64, ax02, DIMS(2))};
    rt_tensor zout = ten(RT_F32, y, DIMS(3));
    CHECK_EQ_I(0, go(RT_OP_REDUCESUM, &k0, 1, zin, 2, &zout, 1), "ReduceSum [2,3,2] axes={0,2} runs");
    CHECK(near_f((float[]){1 + 2 + 7 + 8, 3 + 4 + 9 + 10, 5 + 6 + 11 + 12}, y, 3, 0), "= [18, 26, 34]");
    CHECK_EQ_I(0, go(RT_OP_REDUCEPROD, &k0, 1, zin, 2, &zout, 1), "ReduceProd runs");
    CHECK(near_f((float[]){1 * 2 * 7 * 8, 3 * 4 * 9 * 10, 5 * 6 * 11 * 12}, y, 3, 0), "= [112, 1080, 3960]");
    CHECK_EQ_I(0, go(RT_OP_REDUCEL2, &k0, 1, zin, 2, &zout, 1), "ReduceL2 runs");
    CHECK(near_f((float[]){(float)sqrt(1 + 4 + 49 + 64.0), (float)sqrt(9 + 16 + 81 + 100.0),
                           (float)sqrt(25 + 36 + 121 + 144.0)}, y, 3, 1e-5), "= sqrt of sums of squares");
    CHECK_EQ_I(0, go(RT_OP_REDUCEMIN, &k0, 1, zin, 2, &zout, 1), "ReduceMin runs");
    CHECK(near_f((float[]){1, 3, 5}, y, 3, 0), "= [1, 3, 5]");

    float lse[4] = {1000, 1000, -INFINITY, 0};
    rt_tensor lin[2] = {ten(RT_F32, lse, DIMS(2, 2)), ten(RT_I64, &ax1, DIMS(1))};
    rt_tensor lout = ten(RT_F32, y, DIMS(2));
    CHECK_EQ_I(0, go(RT_OP_REDUCELOGSUMEXP, &k0, 1, lin, 2, &lout, 1), "ReduceLogSumExp runs");
    CHECK(near_f((float[]){(float)(1000 + log(2.0)), 0}, y, 2, 1e-4),
          "LogSumExp(1000,1000) = 1000+log 2 (no overflow); (-inf,0) = 0");

    int64_t iv[6] = {-5, 7, 3, INT64_MIN + 1, -2, 9000000000000000000LL}, iy[2];
    rt_tensor iin[2] = {ten(RT_I64, iv, DIMS(2, 3)), ten(RT_I64, &ax1, DIMS(1))};
    rt_tensor iout = ten(RT_I64, iy, DIMS(2));
    CHECK_EQ_I(0, go(RT_OP_REDUCEMAX, &k0, 1, iin, 2, &iout, 1), "int64 ReduceMax runs");
    CHECK(eq_i64((int64_t[]){7, 9000000000000000000LL}, iy, 2), "int64 ReduceMax exact: 7, 9e18");
    CHECK_EQ_I(0, go(RT_OP_REDUCEMIN, &k0, 1, iin, 2, &iout, 1), "int64 ReduceMin runs");
    CHECK(eq_i64((int64_t[]){-5, INT64_MIN + 1}, iy, 2), "int64 ReduceMin exact");
    CHECK_EQ_I(0, go(RT_OP_REDUCESUM, &k0, 1, iin, 2, &iout, 1), "int64 ReduceSum runs");
    CHECK(iy[0] == 5, "int64 ReduceSum row 0 = 5 (got %lld)", (long long)iy[0]);
    CHECK_EQ_I(0, go(RT_OP_REDUCEMEAN, &k0, 1, iin, 2, &iout, 1), "int64 ReduceMean runs");
    CHECK(iy[0] == 1, "int64 ReduceMean row 0 = 5/3 truncated = 1 (got %lld)", (long long)iy[0]);

    int64_t bad = 2;
    rt_tensor bin[2] = {in[0], ten(RT_I64, &bad, DIMS(1))};
    CHECK_EQ_I(0, rt_cpu_supports(RT_OP_REDUCESUM, NULL, 0, bin, 2, &out, 1, &K), "axis 2 of rank 2: supports() = 0");
    CHECK_CONTAINS(K.err, "axis 2 out of range", "message");
    uint8_t u[6];
    rt_tensor uin[2] = {ten(RT_U8, u, DIMS(2, 3)), in[1]};
    rt_tensor uout = ten(RT_U8, u, DIMS(2, 1));
    CHECK_EQ_I(0, rt_cpu_supports(RT_OP_REDUCESUM, NULL, 0, uin, 2, &uout, 1, &K), "ReduceSum uint8: supports() = 0");
    CHECK_CONTAINS(K.err, "dtype uint8 not supported", "message names the dtype");

    /* many outputs across threads: [300, 200] over axis 1 and over axis 0 */
    enum { R0 = 300, R1 = 200 };
    float *m = malloc(sizeof(float) * R0 * R1), *my = malloc(sizeof(float) * R0);
    for (int i = 0; i < R0 * R1; i++) m[i] = (float)((i * 7) % 11);
    rt_tensor min[2] = {ten(RT_F32, m, DIMS(R0, R1)), ten(RT_I64, &ax1, DIMS(1))};
    rt_tensor mout = ten(RT_F32, my, DIMS(R0));
    CHECK_EQ_I(0, go(RT_OP_REDUCESUM, &k0, 1, min, 2, &mout, 1), "ReduceSum [300,200] axis 1 runs");
    int wrongs = 0;
    for (int i = 0; i < R0; i++) {
        double e = 0;
        for (int j = 0; j < R1; j++) e += m[i * R1 + j];
        if (my[i] != (float)e) wrongs++;
    }
    CHECK_EQ_I(0, wrongs, "row sums that differ from a plain loop");
    int64_t ax0 = 0;
    float *cy = malloc(sizeof(float) * R1);
    rt_tensor cin[2] = {min[0], ten(RT_I64, &ax0, DIMS(1))};
    rt_tensor cout = ten(RT_F32, cy, DIMS(1, R1));
    CHECK_EQ_I(0, go(RT_OP_REDUCEMAX, NULL, 0, cin, 2, &cout, 1), "ReduceMax [300,200] axis 0 (column blocks) runs");
    wrongs = 0;
    for (int j = 0; j < R1; j++) {
        float e = m[j];
        for (int i = 1; i < R0; i++) e = m[i * R1 + j] > e ? m[i * R1 + j] : e;
        if (cy[j] != e) wrongs++;
    }
    CHECK_EQ_I(0, wrongs, "column maxima that differ from a plain loop");
    free(cy);
    free(m);
    free(my);
}

static void test_arg(void) {
    float x[8] = {1, 3, 3, 2, 5, 0, 5, 5};
    int64_t y[4];
    rt_tensor in = ten(RT_F32, x, DIMS(2, 4));
    rt_attr at[2] = {ai("axis", 1), ai("keepdims", 1)};
    rt_tensor out = ten(RT_I64, y, DIMS(2, 1));
    CHECK_EQ_I(0, go(RT_OP_ARGMAX, at, 2, &in, 1, &out, 1), "ArgMax axis=1 runs");
    CHECK(eq_i64((int64_t[]){1, 0}, y, 2), "ArgMax ties: first index [[1],[0]]");
    rt_attr at2[2] = {ai("axis", 1), ai("select_last_index", 1)};
    CHECK_EQ_I(0, go(RT_OP_ARGMAX, at2, 2, &in, 1, &out, 1), "ArgMax select_last_index=1 runs");
    CHECK(eq_i64((int64_t[]){2, 3}, y, 2), "ArgMax ties: last index [[2],[3]]");
    rt_attr at3[2] = {ai("axis", 0), ai("keepdims", 0)};
    rt_tensor out3 = ten(RT_I64, y, DIMS(4));
    CHECK_EQ_I(0, go(RT_OP_ARGMIN, at3, 2, &in, 1, &out3, 1), "ArgMin axis=0 keepdims=0 runs");
    CHECK(eq_i64((int64_t[]){0, 1, 0, 0}, y, 4), "ArgMin down columns = [0,1,0,0]");
    CHECK_EQ_I(0, rt_cpu_supports(RT_OP_ARGMIN, at3, 2, &in, 1, &out, 1, &K), "ArgMin into [2,1]: supports() = 0");
    CHECK_CONTAINS(K.err, "expected [4]", "message");
}

static void test_topk(void) {
    float x[8] = {3, 1, 4, 1, 5, 9, 2, 6}, v[3];
    int64_t k = 3, idx[3];
    rt_tensor in[2] = {ten(RT_F32, x, DIMS(8)), ten(RT_I64, &k, DIMS(1))};
    rt_tensor out[2] = {ten(RT_F32, v, DIMS(3)), ten(RT_I64, idx, DIMS(3))};
    CHECK_EQ_I(0, go(RT_OP_TOPK, NULL, 0, in, 2, out, 2), "TopK k=3 largest runs");
    CHECK(near_f((float[]){9, 6, 5}, v, 3, 0) && eq_i64((int64_t[]){5, 7, 4}, idx, 3), "values 9 6 5 at 5 7 4");
    rt_attr sm = ai("largest", 0);
    CHECK_EQ_I(0, go(RT_OP_TOPK, &sm, 1, in, 2, out, 2), "TopK k=3 smallest runs");
    CHECK(near_f((float[]){1, 1, 2}, v, 3, 0) && eq_i64((int64_t[]){1, 3, 6}, idx, 3),
          "values 1 1 2 at 1 3 6 (equal values: lower index first)");

    /* [3,2] along axis 0, k=2 */
    int64_t m[6] = {4, 7, 9, 7, 1, 8}, mv[4], mi[4], k2 = 2;
    rt_attr a0 = ai("axis", 0);
    rt_tensor min[2] = {ten(RT_I64, m, DIMS(3, 2)), scalar(RT_I64, &k2)};
    rt_tensor mout[2] = {ten(RT_I64, mv, DIMS(2, 2)), ten(RT_I64, mi, DIMS(2, 2))};
    CHECK_EQ_I(0, go(RT_OP_TOPK, &a0, 1, min, 2, mout, 2), "int64 TopK axis=0 runs");
    CHECK(eq_i64((int64_t[]){9, 8, 4, 7}, mv, 4) && eq_i64((int64_t[]){1, 2, 0, 0}, mi, 4),
          "columns: [4,9,1] -> 9,4 at 1,0; [7,7,8] -> 8,7 at 2,0");

    int64_t k5 = 5;
    rt_tensor bad[2] = {in[0], ten(RT_I64, &k5, DIMS(1))};
    CHECK_EQ_I(0, rt_cpu_supports(RT_OP_TOPK, NULL, 0, bad, 2, out, 2, &K), "K=5 with outputs of 3: supports() = 0");
    CHECK_CONTAINS(K.err, "K=5", "message");
}

static void test_cumsum(void) {
    float x[4] = {1, 2, 3, 4}, y[4];
    int64_t ax = 0;
    rt_tensor in[2] = {ten(RT_F32, x, DIMS(4)), scalar(RT_I64, &ax)};
    rt_tensor out = ten(RT_F32, y, DIMS(4));
    CHECK_EQ_I(0, go(RT_OP_CUMSUM, NULL, 0, in, 2, &out, 1), "CumSum runs");
    CHECK(near_f((float[]){1, 3, 6, 10}, y, 4, 0), "CumSum = 1 3 6 10");
    rt_attr ex = ai("exclusive", 1), rv = ai("reverse", 1), both[2] = {ai("exclusive", 1), ai("reverse", 1)};
    CHECK_EQ_I(0, go(RT_OP_CUMSUM, &ex, 1, in, 2, &out, 1), "CumSum exclusive runs");
    CHECK(near_f((float[]){0, 1, 3, 6}, y, 4, 0), "exclusive = 0 1 3 6");
    CHECK_EQ_I(0, go(RT_OP_CUMSUM, &rv, 1, in, 2, &out, 1), "CumSum reverse runs");
    CHECK(near_f((float[]){10, 9, 7, 4}, y, 4, 0), "reverse = 10 9 7 4");
    CHECK_EQ_I(0, go(RT_OP_CUMSUM, both, 2, in, 2, &out, 1), "CumSum exclusive reverse runs");
    CHECK(near_f((float[]){9, 7, 4, 0}, y, 4, 0), "exclusive reverse = 9 7 4 0");

    int32_t m[6] = {1, 2, 3, 4, 5, 6}, my[6], a32 = -2;
    rt_tensor min[2] = {ten(RT_I32, m, DIMS(2, 3)), scalar(RT_I32, &a32)};
    rt_tensor mout = ten(RT_I32, my, DIMS(2, 3));
    CHECK_EQ_I(0, go(RT_OP_CUMSUM, NULL, 0, min, 2, &mout, 1), "int32 CumSum axis=-2 (int32 axis) runs");
    CHECK(my[0] == 1 && my[1] == 2 && my[2] == 3 && my[3] == 5 && my[4] == 7 && my[5] == 9,
          "down columns: [[1,2,3],[5,7,9]]");
}

int main(void) {
    test_softmax();
    test_reduce();
    test_arg();
    test_topk();
    test_cumsum();
    T_DONE();
}
