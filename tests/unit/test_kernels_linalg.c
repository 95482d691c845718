/* test_kernels_linalg.c - MatMul, Gemm, Einsum, Conv, ConvTranspose and the pools on CPU,
 * against values computed by hand (small cases) or by numpy (noted beside them), plus the
 * clean failures: wrong output dims, too little scratch, unsupported dtype. */
#include <stdarg.h>
#include <stdint.h>
#include "runtime/cpu/rt_cpu.h"
#include "t.h"

static rt_kctx K;
static _Alignas(64) unsigned char scratch[1 << 16];

static rt_tensor ten(int dt, void *data, int rank, ...) {
    rt_tensor t = {dt, rank, {0}, data};
    va_list ap;
    va_start(ap, rank);
    for (int i = 0; i < rank; i++) t.dims[i] = va_arg(ap, long long);
    va_end(ap);
    return t;
}
#define TF(data, rank, ...) ten(RT_F32, data, rank, __VA_ARGS__)
static const rt_tensor ABSENT = {RT_F32, -1, {0}, NULL};

#define AI(nm, v) {.name = nm, .type = RT_ATTR_INT, .i = (v)}
#define AF(nm, v) {.name = nm, .type = RT_ATTR_FLOAT, .f = (v)}
#define AS(nm, v) {.name = nm, .type = RT_ATTR_STRING, .s = (v)}
#define AINTS(nm, ...) {.name = nm, .type = RT_ATTR_INTS, \
    .n = (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), .ints = (int64_t[]){__VA_ARGS__}}
#define NA(arr) ((int)(sizeof(arr) / sizeof((arr)[0])))

/* supports -> scratch -> run; -2 if unsupported (K.err says why). */
static int run(int op, const rt_attr *at, int na, rt_tensor *in, int nin, rt_tensor *out, int nout) {
    memset(&K, 0, sizeof K);
    K.nthreads = 2;
    if (!rt_cpu_supports(op, at, na, in, nin, out, nout, &K)) return -2;
    size_t need = rt_cpu_scratch(op, at, na, in, nin, out, nout);
    if (need > sizeof scratch) return -3;
    K.scratch = need ? scratch : NULL;
    K.scratch_size = need;
    return rt_cpu_run(op, at, na, in, nin, out, nout, &K);
}

static void check_vals(const float *exp, const float *got, int n, double tol, const char *what) {
    int bad = -1;
    for (int i = 0; i < n && bad < 0; i++)
        if (!(fabs((double)exp[i] - (double)got[i]) <= tol)) bad = i;
    if (bad < 0) CHECK(1, "%s: %d values match", what, n);
    else CHECK(0, "%s: value %d expected %g, got %g (err: %s)", what, bad, exp[bad], got[bad], K.err);
}

static void t_matmul(void) {
    float A[] = {1, 2, 3, 4, 5, 6}, B[] = {7, 8, 9, 10, 11, 12}, Y[4];
    rt_tensor in[2] = {TF(A, 2, 2, 3), TF(B, 2, 3, 2)}, out[1] = {TF(Y, 2, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_MATMUL, NULL, 0, in, 2, out, 1), "MatMul [2,3]@[3,2] runs");
    check_vals((float[]){58, 64, 139, 154}, Y, 4, 1e-5, "MatMul [2,3]@[3,2] (by hand)");

    /* [2,1,2,3] @ [3,3,2] -> [2,3,2,2]; A = 1..12, B = (1..18) - 9; expected from numpy */
    float A4[12], B3[18], Y4[24];
    for (int i = 0; i < 12; i++) A4[i] = (float)(i + 1);
    for (int i = 0; i < 18; i++) B3[i] = (float)(i + 1 - 9);
    rt_tensor in2[2] = {TF(A4, 4, 2, 1, 2, 3), TF(B3, 3, 3, 3, 2)}, out2[1] = {TF(Y4, 4, 2, 3, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_MATMUL, NULL, 0, in2, 2, out2, 1), "MatMul broadcast batch runs");
    check_vals((float[]){-32, -26, -86, -71, 4, 10, 4, 19, 40, 46, 94, 109, -140, -116, -194, -161,
                         4, 28, 4, 37, 148, 172, 202, 235}, Y4, 24, 1e-4,
               "MatMul [2,1,2,3]@[3,3,2] broadcast (numpy)");

    /* [2,3] @ [3,2] folded: A [2,1,3] (batch 2) @ B [3,2] */
    float Yf[4];
    rt_tensor in3[2] = {TF(A, 3, 2, 1, 3), TF(B, 2, 3, 2)}, out3[1] = {TF(Yf, 3, 2, 1, 2)};
    CHECK_EQ_I(0, run(RT_OP_MATMUL, NULL, 0, in3, 2, out3, 1), "MatMul [2,1,3]@[3,2] runs");
    check_vals((float[]){58, 64, 139, 154}, Yf, 4, 1e-5, "MatMul batched A, one B (one gemm)");

    /* the compiler's fused MatMul(A, Transpose(W)): W [2,3] = B^T of the case above, read
     * transposed (RT_ATTR_MATMUL_TRANSB) -> the same [[58, 64], [139, 154]] */
    float Wt[] = {7, 9, 11, 8, 10, 12}, Yt[4];
    rt_attr tb[1] = {{RT_ATTR_MATMUL_TRANSB, RT_ATTR_INT, .i = 1}};
    rt_tensor it[2] = {TF(A, 2, 2, 3), TF(Wt, 2, 2, 3)}, ot[1] = {TF(Yt, 2, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_MATMUL, tb, 1, it, 2, ot, 1), "MatMul with transposed B runs");
    check_vals((float[]){58, 64, 139, 154}, Yt, 4, 1e-5, "MatMul A @ W^T (by hand)");
    rt_tensor it3[2] = {TF(A4, 3, 2, 2, 3), TF(Wt, 2, 2, 3)}, ot3[1] = {TF(Y4, 3, 2, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_MATMUL, tb, 1, it3, 2, ot3, 1), "MatMul [2,2,3] @ W^T runs");
    check_vals((float[]){58, 64, 139, 154, 220, 244, 301, 334}, Y4, 8, 1e-4,
               "MatMul batched A @ W^T (by hand: rows 7..12 of A4 give 220 244 / 301 334)");

    /* 1-D @ 2-D, 2-D @ 1-D, 1-D @ 1-D */
    float v[] = {1, 2, 3}, ones[] = {1, 1, 1}, w[] = {4, 5, 6}, y2[2], s[1];
    rt_tensor i4[2] = {TF(v, 1, 3), TF(B, 2, 3, 2)}, o4[1] = {TF(y2, 1, 2)};
    CHECK_EQ_I(0, run(RT_OP_MATMUL, NULL, 0, i4, 2, o4, 1), "MatMul [3]@[3,2] runs");
    check_vals((float[]){58, 64}, y2, 2, 1e-5, "MatMul 1-D @ 2-D -> [2]");
    rt_tensor i5[2] = {TF(A, 2, 2, 3), TF(ones, 1, 3)}, o5[1] = {TF(y2, 1, 2)};
    CHECK_EQ_I(0, run(RT_OP_MATMUL, NULL, 0, i5, 2, o5, 1), "MatMul [2,3]@[3] runs");
    check_vals((float[]){6, 15}, y2, 2, 1e-5, "MatMul 2-D @ 1-D -> [2]");
    rt_tensor i6[2] = {TF(v, 1, 3), TF(w, 1, 3)}, o6[1] = {ten(RT_F32, s, 0)};
    CHECK_EQ_I(0, run(RT_OP_MATMUL, NULL, 0, i6, 2, o6, 1), "MatMul [3]@[3] runs");
    check_vals((float[]){32}, s, 1, 1e-5, "MatMul 1-D @ 1-D -> scalar");

    /* float64 through dgemm */
    double Ad[] = {1, 2, 3, 4, 5, 6}, Bd[] = {7, 8, 9, 10, 11, 12}, Yd[4];
    rt_tensor i7[2] = {ten(RT_F64, Ad, 2, 2, 3), ten(RT_F64, Bd, 2, 3, 2)}, o7[1] = {ten(RT_F64, Yd, 2, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_MATMUL, NULL, 0, i7, 2, o7, 1), "MatMul float64 runs");
    CHECK(Yd[0] == 58 && Yd[1] == 64 && Yd[2] == 139 && Yd[3] == 154, "MatMul float64 = [58,64,139,154]");

    /* errors */
    float bad[6];
    rt_tensor o8[1] = {TF(bad, 2, 3, 2)};
    CHECK_EQ_I(-2, run(RT_OP_MATMUL, NULL, 0, in, 2, o8, 1), "MatMul wrong output dims refused");
    CHECK_CONTAINS(K.err, "MatMul: output 0 has shape [3,2], expected [2,2]", "MatMul dims message");
    CHECK_EQ_I(-1, rt_cpu_run(RT_OP_MATMUL, NULL, 0, in, 2, o8, 1, &K), "MatMul run() also refuses bad dims");
    rt_tensor i9[2] = {TF(A, 2, 2, 3), TF(B, 2, 2, 3)};
    CHECK_EQ_I(-2, run(RT_OP_MATMUL, NULL, 0, i9, 2, out, 1), "MatMul K mismatch refused");
    CHECK_CONTAINS(K.err, "inner dims differ", "MatMul K mismatch message");
    int32_t ia[6], ib[6], iy[4];
    rt_tensor i10[2] = {ten(RT_I32, ia, 2, 2, 3), ten(RT_I32, ib, 2, 3, 2)}, o10[1] = {ten(RT_I32, iy, 2, 2, 2)};
    CHECK_EQ_I(-2, run(RT_OP_MATMUL, NULL, 0, i10, 2, o10, 1), "MatMul int32 refused");
    CHECK_CONTAINS(K.err, "int32", "MatMul dtype message names the dtype");
}

static void t_gemm(void) {
    /* A stored [K=3,M=2], transA -> [[1,3,5],[2,4,6]]; B stored [N=2,K=3], transB ->
     * [[1,0],[0,1],[1,0]]; A'B' = [[6,3],[8,4]]; alpha 2 -> [[12,6],[16,8]] */
    float A[] = {1, 2, 3, 4, 5, 6}, B[] = {1, 0, 1, 0, 1, 0}, C[] = {10, 20}, Y[4];
    rt_attr at[] = {AI("transA", 1), AI("transB", 1), AF("alpha", 2.0f), AF("beta", 0.5f)};
    rt_tensor in[3] = {TF(A, 2, 3, 2), TF(B, 2, 2, 3), TF(C, 1, 2)}, out[1] = {TF(Y, 2, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_GEMM, at, NA(at), in, 3, out, 1), "Gemm transA transB runs");
    check_vals((float[]){17, 16, 21, 18}, Y, 4, 1e-5, "Gemm alpha 2, beta 0.5, C [2] along N (by hand)");
    float C2[] = {1, 2};
    rt_attr at2[] = {AI("transA", 1), AI("transB", 1), AF("alpha", 2.0f)};
    in[2] = TF(C2, 2, 2, 1);
    CHECK_EQ_I(0, run(RT_OP_GEMM, at2, NA(at2), in, 3, out, 1), "Gemm C [2,1] runs");
    check_vals((float[]){13, 7, 18, 10}, Y, 4, 1e-5, "Gemm C [2,1] broadcast along M (by hand)");
    in[2] = ABSENT;
    CHECK_EQ_I(0, run(RT_OP_GEMM, at2, NA(at2), in, 3, out, 1), "Gemm without C runs");
    check_vals((float[]){12, 6, 16, 8}, Y, 4, 1e-5, "Gemm without C");
    float Cs[] = {100};
    in[2] = ten(RT_F32, Cs, 0);
    rt_attr at3[] = {AI("transA", 1), AI("transB", 1)};
    CHECK_EQ_I(0, run(RT_OP_GEMM, at3, NA(at3), in, 3, out, 1), "Gemm scalar C runs");
    check_vals((float[]){106, 103, 108, 104}, Y, 4, 1e-5, "Gemm scalar C");
    float C3[] = {1, 2, 3};
    in[2] = TF(C3, 1, 3);
    CHECK_EQ_I(-2, run(RT_OP_GEMM, at3, NA(at3), in, 3, out, 1), "Gemm C [3] vs [2,2] refused");
    CHECK_CONTAINS(K.err, "does not broadcast", "Gemm C message");
}

static void t_einsum(void) {
    float A[] = {1, 2, 3, 4, 5, 6}, B[] = {7, 8, 9, 10, 11, 12}, Y[4];
    rt_attr e1[] = {AS("equation", "ij,jk->ik")};
    rt_tensor in[2] = {TF(A, 2, 2, 3), TF(B, 2, 3, 2)}, out[1] = {TF(Y, 2, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_EINSUM, e1, 1, in, 2, out, 1), "Einsum ij,jk->ik runs");
    check_vals((float[]){58, 64, 139, 154}, Y, 4, 1e-5, "Einsum ij,jk->ik");
    rt_attr e1i[] = {AS("equation", "ij,jk")};
    CHECK_EQ_I(0, run(RT_OP_EINSUM, e1i, 1, in, 2, out, 1), "Einsum implicit ij,jk runs");
    check_vals((float[]){58, 64, 139, 154}, Y, 4, 1e-5, "Einsum implicit output = ik");
    rt_attr e1t[] = {AS("equation", "ij,jk->ki")};
    CHECK_EQ_I(0, run(RT_OP_EINSUM, e1t, 1, in, 2, out, 1), "Einsum ij,jk->ki runs");
    check_vals((float[]){58, 139, 64, 154}, Y, 4, 1e-5, "Einsum ij,jk->ki (transposed product)");

    /* bij,bjk->bik: batch 2 of the product above, second one scaled by -1 */
    float A2[12], B2[12], Y2[8];
    for (int i = 0; i < 6; i++) { A2[i] = A[i]; A2[6 + i] = -A[i]; B2[i] = B[i]; B2[6 + i] = B[i]; }
    rt_attr e2[] = {AS("equation", "bij,bjk->bik")};
    rt_tensor in2[2] = {TF(A2, 3, 2, 2, 3), TF(B2, 3, 2, 3, 2)}, out2[1] = {TF(Y2, 3, 2, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_EINSUM, e2, 1, in2, 2, out2, 1), "Einsum bij,bjk->bik runs");
    check_vals((float[]){58, 64, 139, 154, -58, -64, -139, -154}, Y2, 8, 1e-5, "Einsum bij,bjk->bik");

    /* attention scores bhqd,bhkd->bhqk: q = arange(24)/10, k = reversed; numpy values */
    float q[24], k[24], s[18];
    for (int i = 0; i < 24; i++) { q[i] = (float)i / 10; k[i] = (float)(23 - i) / 10; }
    rt_attr e3[] = {AS("equation", "bhqd,bhkd->bhqk")};
    rt_tensor in3[2] = {TF(q, 4, 1, 2, 3, 4), TF(k, 4, 1, 2, 3, 4)}, out3[1] = {TF(s, 4, 1, 2, 3, 3)};
    CHECK_EQ_I(0, run(RT_OP_EINSUM, e3, 1, in3, 2, out3, 1), "Einsum bhqd,bhkd->bhqk runs");
    check_vals((float[]){1.24f, 1.0f, 0.76f, 4.68f, 3.8f, 2.92f, 8.12f, 6.6f, 5.08f, 5.08f, 2.92f,
                         0.76f, 6.6f, 3.8f, 1.0f, 8.12f, 4.68f, 1.24f}, s, 18, 1e-4,
               "Einsum bhqd,bhkd->bhqk (numpy)");

    float m[9], d[3], tr[1], x[12], xt[12];
    for (int i = 0; i < 9; i++) m[i] = (float)i;
    for (int i = 0; i < 12; i++) x[i] = (float)i;
    rt_attr e4[] = {AS("equation", "ii->i")};
    rt_tensor in4[1] = {TF(m, 2, 3, 3)}, out4[1] = {TF(d, 1, 3)};
    CHECK_EQ_I(0, run(RT_OP_EINSUM, e4, 1, in4, 1, out4, 1), "Einsum ii->i runs");
    check_vals((float[]){0, 4, 8}, d, 3, 0, "Einsum ii->i diagonal");
    rt_attr e5[] = {AS("equation", "ii")};
    rt_tensor out5[1] = {ten(RT_F32, tr, 0)};
    CHECK_EQ_I(0, run(RT_OP_EINSUM, e5, 1, in4, 1, out5, 1), "Einsum ii (trace) runs");
    check_vals((float[]){12}, tr, 1, 0, "Einsum ii -> trace 12");
    rt_attr e6[] = {AS("equation", "ij->ji")};
    rt_tensor in6[1] = {TF(x, 2, 3, 4)}, out6[1] = {TF(xt, 2, 4, 3)};
    CHECK_EQ_I(0, run(RT_OP_EINSUM, e6, 1, in6, 1, out6, 1), "Einsum ij->ji runs");
    check_vals((float[]){0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, xt, 12, 0, "Einsum ij->ji transpose");
    /* ellipsis with broadcasting, implicit output: ones[2,2,3] . arange(6)[3,2] */
    float o[12], r6[6], yo[8];
    for (int i = 0; i < 12; i++) o[i] = 1;
    for (int i = 0; i < 6; i++) r6[i] = (float)i;
    rt_attr e7[] = {AS("equation", "...ij,...jk")};
    rt_tensor in7[2] = {TF(o, 3, 2, 2, 3), TF(r6, 2, 3, 2)}, out7[1] = {TF(yo, 3, 2, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_EINSUM, e7, 1, in7, 2, out7, 1), "Einsum ...ij,...jk runs");
    check_vals((float[]){6, 9, 6, 9, 6, 9, 6, 9}, yo, 8, 1e-5, "Einsum ellipsis broadcast (numpy)");
    /* three inputs, general loop: i,i,i-> = sum of cubes of [1,2,3] = 36 */
    float v[] = {1, 2, 3}, r[1];
    rt_attr e8[] = {AS("equation", "i,i,i->")};
    rt_tensor in8[3] = {TF(v, 1, 3), TF(v, 1, 3), TF(v, 1, 3)}, out8[1] = {ten(RT_F32, r, 0)};
    CHECK_EQ_I(0, run(RT_OP_EINSUM, e8, 1, in8, 3, out8, 1), "Einsum i,i,i-> runs");
    check_vals((float[]){36}, r, 1, 1e-5, "Einsum i,i,i-> = 36");
    /* errors */
    rt_attr e9[] = {AS("equation", "ij,jk->iz")};
    CHECK_EQ_I(-2, run(RT_OP_EINSUM, e9, 1, in, 2, out, 1), "Einsum unknown output label refused");
    CHECK_CONTAINS(K.err, "output label 'z' is in no input", "Einsum label message");
    rt_attr e10[] = {AS("equation", "ij,jk->ik")};
    rt_tensor out10[1] = {TF(Y, 2, 2, 3)};
    CHECK_EQ_I(-2, run(RT_OP_EINSUM, e10, 1, in, 2, out10, 1), "Einsum wrong output dims refused");
    CHECK_CONTAINS(K.err, "expected [2,2]", "Einsum dims message");
}

static void t_conv(void) {
    float x[16], w9[9], b[] = {1}, y[4];
    for (int i = 0; i < 16; i++) x[i] = (float)i;
    for (int i = 0; i < 9; i++) w9[i] = 1;
    /* 4x4 input 0..15, 3x3 ones, pads 1, stride 2: window sums 10, 24, 51, 90 (+ bias 1) */
    rt_attr at[] = {AINTS("pads", 1, 1, 1, 1), AINTS("strides", 2, 2), AINTS("kernel_shape", 3, 3)};
    rt_tensor in[3] = {TF(x, 4, 1, 1, 4, 4), TF(w9, 4, 1, 1, 3, 3), TF(b, 1, 1)},
              out[1] = {TF(y, 4, 1, 1, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_CONV, at, NA(at), in, 3, out, 1), "Conv 3x3 pads 1 stride 2 runs");
    check_vals((float[]){11, 25, 52, 91}, y, 4, 1e-5, "Conv 3x3 pads 1 stride 2 + bias (by hand)");
    size_t need = rt_cpu_scratch(RT_OP_CONV, at, NA(at), in, 3, out, 1);
    CHECK_EQ_I(9 * 4 * 4, need, "Conv scratch = im2col [9,4] floats");
    K.scratch = scratch;
    K.scratch_size = need - 4;
    CHECK_EQ_I(-1, rt_cpu_run(RT_OP_CONV, at, NA(at), in, 3, out, 1, &K), "Conv with short scratch fails");
    CHECK_CONTAINS(K.err, "Conv: scratch of 140 bytes given, 144 needed", "Conv scratch message");
    float ybad[9];
    rt_tensor outbad[1] = {TF(ybad, 4, 1, 1, 3, 3)};
    CHECK_EQ_I(-2, run(RT_OP_CONV, at, NA(at), in, 3, outbad, 1), "Conv wrong output dims refused");
    CHECK_CONTAINS(K.err, "Conv: output 0 has shape [1,1,3,3], expected [1,1,2,2]", "Conv dims message");

    /* dilation 2, 2x2 ones: y[i,j] = x[i,j]+x[i,j+2]+x[i+2,j]+x[i+2,j+2] */
    float w4[] = {1, 1, 1, 1};
    rt_attr atd[] = {AINTS("dilations", 2, 2)};
    rt_tensor ind[2] = {TF(x, 4, 1, 1, 4, 4), TF(w4, 4, 1, 1, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_CONV, atd, NA(atd), ind, 2, out, 1), "Conv dilation 2 runs");
    check_vals((float[]){20, 24, 36, 40}, y, 4, 1e-5, "Conv dilation 2 (by hand)");

    /* group 2, 1x1 (pointwise path): channel 0 * 2, channel 1 * 3 */
    float xg[] = {1, 2, 3, 4, 5, 6, 7, 8}, wg[] = {2, 3}, yg[8];
    rt_attr atg[] = {AI("group", 2)};
    rt_tensor ing[2] = {TF(xg, 4, 1, 2, 2, 2), TF(wg, 4, 2, 1, 1, 1)}, outg[1] = {TF(yg, 4, 1, 2, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_CONV, atg, NA(atg), ing, 2, outg, 1), "Conv group 2 1x1 runs");
    check_vals((float[]){2, 4, 6, 8, 15, 18, 21, 24}, yg, 8, 1e-5, "Conv group 2 1x1 (by hand)");
    CHECK_EQ_I(0, rt_cpu_scratch(RT_OP_CONV, atg, NA(atg), ing, 2, outg, 1), "Conv 1x1 needs no scratch");
    /* group 2, 2x2 window of weights (1,1,1,1) and (1,0,0,-1) */
    float wg2[] = {1, 1, 1, 1, 1, 0, 0, -1}, yg2[2];
    rt_tensor ing2[2] = {TF(xg, 4, 1, 2, 2, 2), TF(wg2, 4, 2, 1, 2, 2)}, outg2[1] = {TF(yg2, 4, 1, 2, 1, 1)};
    CHECK_EQ_I(0, run(RT_OP_CONV, atg, NA(atg), ing2, 2, outg2, 1), "Conv group 2 2x2 runs");
    check_vals((float[]){10, 5 - 8}, yg2, 2, 1e-5, "Conv group 2 2x2 (by hand)");

    /* 1-D, auto_pad SAME_UPPER / SAME_LOWER with kernel [1,10] */
    float x1[] = {1, 2, 3, 4}, w1[] = {1, 10}, y1[4];
    rt_attr su[] = {AS("auto_pad", "SAME_UPPER")}, sl[] = {AS("auto_pad", "SAME_LOWER")};
    rt_tensor in1[2] = {TF(x1, 3, 1, 1, 4), TF(w1, 3, 1, 1, 2)}, out1[1] = {TF(y1, 3, 1, 1, 4)};
    CHECK_EQ_I(0, run(RT_OP_CONV, su, 1, in1, 2, out1, 1), "Conv 1-D SAME_UPPER runs");
    check_vals((float[]){21, 32, 43, 4}, y1, 4, 1e-5, "Conv 1-D SAME_UPPER pads at the end");
    CHECK_EQ_I(0, run(RT_OP_CONV, sl, 1, in1, 2, out1, 1), "Conv 1-D SAME_LOWER runs");
    check_vals((float[]){10, 21, 32, 43}, y1, 4, 1e-5, "Conv 1-D SAME_LOWER pads at the start");

    /* 3-D: x 1..8 in a 2x2x2 cube, kernel picks corners (0,0,0) and (1,1,1): 1 + 8 */
    float x3[8], w3[8] = {1, 0, 0, 0, 0, 0, 0, 1}, y3[1];
    for (int i = 0; i < 8; i++) x3[i] = (float)(i + 1);
    rt_tensor in3[2] = {TF(x3, 5, 1, 1, 2, 2, 2), TF(w3, 5, 1, 1, 2, 2, 2)}, out3[1] = {TF(y3, 5, 1, 1, 1, 1, 1)};
    CHECK_EQ_I(0, run(RT_OP_CONV, NULL, 0, in3, 2, out3, 1), "Conv 3-D runs");
    check_vals((float[]){9}, y3, 1, 1e-5, "Conv 3-D corners");
}

/* Conv against a direct loop in double over assorted pads, strides and dilations (im2col copies
 * whole in-image runs between zero edges; this covers runs that are empty, partial and whole). */
static void conv_direct(const float *x, const float *w, float *y, int C, int M, int H, int W_,
                        int kh, int kw, const int *pd, const int *st, const int *dl, int OH,
                        int OW) {
    for (int m = 0; m < M; m++)
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                double acc = 0;
                for (int c = 0; c < C; c++)
                    for (int i = 0; i < kh; i++)
                        for (int j = 0; j < kw; j++) {
                            int ih = oh * st[0] - pd[0] + i * dl[0];
                            int iw = ow * st[1] - pd[1] + j * dl[1];
                            if (ih < 0 || ih >= H || iw < 0 || iw >= W_) continue;
                            acc += (double)x[(c * H + ih) * W_ + iw] *
                                   w[((m * C + c) * kh + i) * kw + j];
                        }
                y[(m * OH + oh) * OW + ow] = (float)acc;
            }
}
static void t_conv_sweep(void) {
    static float x[2 * 7 * 9], w[3 * 2 * 3 * 4], y[3 * 20 * 20], ye[3 * 20 * 20];
    for (int i = 0; i < NA(x); i++) x[i] = (float)((i * 37) % 23) - 11;
    for (int i = 0; i < NA(w); i++) w[i] = (float)((i * 11) % 7) - 3;
    int bad = 0, cases = 0;
    for (int pb = 0; pb <= 4; pb++)
        for (int pe = 0; pe <= 3; pe += 3)
            for (int s = 1; s <= 3; s++)
                for (int d = 1; d <= 2; d++) {
                    int C = 2, M = 3, H = 7, W_ = 9, kh = 3, kw = 4;
                    int pd[2] = {pe, pb}, st[2] = {s, s == 1 ? 1 : s - 1}, dl[2] = {d, d};
                    int OH = (H + pe + pe - (kh - 1) * d - 1) / st[0] + 1;
                    int OW = (W_ + pb + pe - (kw - 1) * d - 1) / st[1] + 1;
                    if (OH < 1 || OW < 1) continue;
                    rt_attr at[] = {AINTS("pads", pe, pb, pe, pe), AINTS("strides", st[0], st[1]),
                                    AINTS("dilations", d, d)};
                    rt_tensor in[2] = {TF(x, 4, 1, C, H, W_), TF(w, 4, M, C, kh, kw)},
                              out[1] = {TF(y, 4, 1, M, OH, OW)};
                    conv_direct(x, w, ye, C, M, H, W_, kh, kw, pd, st, dl, OH, OW);
                    cases++;
                    if (run(RT_OP_CONV, at, NA(at), in, 2, out, 1) != 0) { bad++; continue; }
                    for (int i = 0; i < M * OH * OW; i++)
                        if (!(fabs((double)y[i] - ye[i]) <= 1e-3)) { bad++; break; }
                }
    CHECK(bad == 0 && cases > 40,
          "Conv 2-D, pads/strides/dilations: matches a direct loop (%d cases, %d bad)", cases, bad);
}

static void t_convtranspose(void) {
    float x[] = {1, 2, 3, 4}, w[] = {1, 1, 1, 1}, y9[9], y16[16], y1[1];
    rt_tensor in[2] = {TF(x, 4, 1, 1, 2, 2), TF(w, 4, 1, 1, 2, 2)}, out[1] = {TF(y9, 4, 1, 1, 3, 3)};
    CHECK_EQ_I(0, run(RT_OP_CONVTRANSPOSE, NULL, 0, in, 2, out, 1), "ConvTranspose stride 1 runs");
    check_vals((float[]){1, 3, 2, 4, 10, 6, 3, 7, 4}, y9, 9, 1e-5, "ConvTranspose 2x2 ones stride 1 (by hand)");
    rt_attr s2[] = {AINTS("strides", 2, 2)};
    out[0] = TF(y16, 4, 1, 1, 4, 4);
    CHECK_EQ_I(0, run(RT_OP_CONVTRANSPOSE, s2, 1, in, 2, out, 1), "ConvTranspose stride 2 runs");
    check_vals((float[]){1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, y16, 16, 1e-5,
               "ConvTranspose stride 2: 2x2 blocks (by hand)");
    rt_attr pd[] = {AINTS("pads", 1, 1, 1, 1)};
    out[0] = TF(y1, 4, 1, 1, 1, 1);
    CHECK_EQ_I(0, run(RT_OP_CONVTRANSPOSE, pd, 1, in, 2, out, 1), "ConvTranspose pads 1 runs");
    check_vals((float[]){10}, y1, 1, 1e-5, "ConvTranspose pads 1 crops to the centre 10");
    /* output_shape 5x5 past the full 4x4 (stride 2): zeros at the end, as the ONNX reference */
    float y25[25], b[] = {0.5f};
    rt_attr os[] = {AINTS("strides", 2, 2), AINTS("output_shape", 5, 5)};
    rt_tensor inb[3] = {TF(x, 4, 1, 1, 2, 2), TF(w, 4, 1, 1, 2, 2), TF(b, 1, 1)};
    out[0] = TF(y25, 4, 1, 1, 5, 5);
    CHECK_EQ_I(0, run(RT_OP_CONVTRANSPOSE, os, NA(os), inb, 3, out, 1), "ConvTranspose output_shape runs");
    check_vals((float[]){1.5f, 1.5f, 2.5f, 2.5f, .5f, 1.5f, 1.5f, 2.5f, 2.5f, .5f, 3.5f, 3.5f, 4.5f,
                         4.5f, .5f, 3.5f, 3.5f, 4.5f, 4.5f, .5f, .5f, .5f, .5f, .5f, .5f}, y25, 25, 1e-5,
               "ConvTranspose output_shape 5x5 + bias");
    /* 2 channels in, group 2, 1-D: y_c = x_c (*) w_c */
    float x2[] = {1, 2, 3, 4}, w2[] = {1, -1, 2, 0}, y2[6];
    rt_attr g2[] = {AI("group", 2)};
    rt_tensor in2[2] = {TF(x2, 3, 1, 2, 2), TF(w2, 3, 2, 1, 2)}, out2[1] = {TF(y2, 3, 1, 2, 3)};
    CHECK_EQ_I(0, run(RT_OP_CONVTRANSPOSE, g2, 1, in2, 2, out2, 1), "ConvTranspose group 2 runs");
    check_vals((float[]){1, 1, -2, 6, 8, 0}, y2, 6, 1e-5, "ConvTranspose group 2 1-D (by hand)");
    size_t need = rt_cpu_scratch(RT_OP_CONVTRANSPOSE, g2, 1, in2, 2, out2, 1);
    CHECK_EQ_I(2 * 2 * 4, need, "ConvTranspose scratch = col [2,2] floats");
    K.scratch = scratch;
    K.scratch_size = 3;
    CHECK_EQ_I(-1, rt_cpu_run(RT_OP_CONVTRANSPOSE, g2, 1, in2, 2, out2, 1, &K), "ConvTranspose short scratch fails");
    CHECK_CONTAINS(K.err, "scratch of 3 bytes given, 16 needed", "ConvTranspose scratch message");
    out2[0] = TF(y2, 3, 1, 2, 2);
    CHECK_EQ_I(-2, run(RT_OP_CONVTRANSPOSE, g2, 1, in2, 2, out2, 1), "ConvTranspose wrong dims refused");
    CHECK_CONTAINS(K.err, "expected [1,2,3]", "ConvTranspose dims message");
}

static void t_pools(void) {
    float x[25], y[9];
    int64_t idx[9];
    for (int i = 0; i < 25; i++) x[i] = (float)i;
    /* 4x4 0..15, kernel 3, stride 2, pads 1 -> maxima 5, 7, 13, 15 */
    rt_attr mp[] = {AINTS("kernel_shape", 3, 3), AINTS("strides", 2, 2), AINTS("pads", 1, 1, 1, 1)};
    rt_tensor in[1] = {TF(x, 4, 1, 1, 4, 4)};
    rt_tensor out[2] = {TF(y, 4, 1, 1, 2, 2), ten(RT_I64, idx, 4, 1, 1, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_MAXPOOL, mp, NA(mp), in, 1, out, 2), "MaxPool pads 1 stride 2 runs");
    check_vals((float[]){5, 7, 13, 15}, y, 4, 0, "MaxPool values (by hand)");
    CHECK(idx[0] == 5 && idx[1] == 7 && idx[2] == 13 && idx[3] == 15, "MaxPool Indices row-major 5,7,13,15");
    rt_attr mpc[] = {AINTS("kernel_shape", 3, 3), AINTS("strides", 2, 2), AINTS("pads", 1, 1, 1, 1),
                     AI("storage_order", 1)};
    CHECK_EQ_I(0, run(RT_OP_MAXPOOL, mpc, NA(mpc), in, 1, out, 2), "MaxPool storage_order 1 runs");
    CHECK(idx[0] == 5 && idx[1] == 13 && idx[2] == 7 && idx[3] == 15, "MaxPool Indices column-major 5,13,7,15");

    /* 5x5 0..24, kernel 2, stride 2: floor -> 2x2, ceil_mode -> 3x3 */
    rt_attr fl[] = {AINTS("kernel_shape", 2, 2), AINTS("strides", 2, 2)};
    rt_attr ce[] = {AINTS("kernel_shape", 2, 2), AINTS("strides", 2, 2), AI("ceil_mode", 1)};
    in[0] = TF(x, 4, 1, 1, 5, 5);
    out[0] = TF(y, 4, 1, 1, 2, 2);
    CHECK_EQ_I(0, run(RT_OP_MAXPOOL, fl, NA(fl), in, 1, out, 1), "MaxPool floor mode runs");
    check_vals((float[]){6, 8, 16, 18}, y, 4, 0, "MaxPool 5x5 k2 s2 floor");
    out[0] = TF(y, 4, 1, 1, 3, 3);
    CHECK_EQ_I(0, run(RT_OP_MAXPOOL, ce, NA(ce), in, 1, out, 1), "MaxPool ceil mode runs");
    check_vals((float[]){6, 8, 9, 16, 18, 19, 21, 23, 24}, y, 9, 0, "MaxPool 5x5 k2 s2 ceil_mode (partial windows)");
    /* ceil_mode whose last window would start in the end padding: size 2 (and 3) accepted */
    float x3[] = {1, 2, 3}, y3[4];
    rt_attr cp[] = {AINTS("kernel_shape", 2), AINTS("strides", 2), AINTS("pads", 1, 1), AI("ceil_mode", 1)};
    rt_tensor in3[1] = {TF(x3, 3, 1, 1, 3)}, out3[1] = {TF(y3, 3, 1, 1, 2)};
    CHECK_EQ_I(0, run(RT_OP_MAXPOOL, cp, NA(cp), in3, 1, out3, 1), "MaxPool ceil_mode dropped last window runs");
    check_vals((float[]){1, 3}, y3, 2, 0, "MaxPool ceil_mode 1-D pads 1 -> [1,3]");
    out3[0] = TF(y3, 3, 1, 1, 4);
    CHECK_EQ_I(-2, run(RT_OP_MAXPOOL, cp, NA(cp), in3, 1, out3, 1), "MaxPool ceil_mode output 4 refused");
    CHECK_CONTAINS(K.err, "MaxPool: output 0 has shape [1,1,4], expected [1,1,3]", "MaxPool dims message");
    rt_attr nok[] = {AINTS("strides", 2, 2)};
    CHECK_EQ_I(-2, run(RT_OP_MAXPOOL, nok, 1, in, 1, out, 1), "MaxPool without kernel_shape refused");
    CHECK_CONTAINS(K.err, "kernel_shape is required", "MaxPool kernel_shape message");

    /* MaxPool on uint8 and int8: 4x4, kernel 3, stride 2, pads 1 (an edge window mostly padding) */
    uint8_t u16x[16], uy4[4];
    int8_t s16x[16], sy4[4];
    int64_t uidx[4];
    for (int i = 0; i < 16; i++) u16x[i] = (uint8_t)(255 - i * 10), s16x[i] = (int8_t)(i * 16 - 128);
    rt_tensor inu[1] = {ten(RT_U8, u16x, 4, 1, 1, 4, 4)};
    rt_tensor outu[2] = {ten(RT_U8, uy4, 4, 1, 1, 2, 2), ten(RT_I64, uidx, 4, 1, 1, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_MAXPOOL, mp, NA(mp), inu, 1, outu, 2), "MaxPool uint8 runs");
    CHECK(uy4[0] == 255 && uy4[1] == 245 && uy4[2] == 215 && uy4[3] == 205 && uidx[1] == 1 && uidx[3] == 5,
          "MaxPool uint8 = first cell of each window: 255 245 215 205, Indices 0 1 4 5");
    rt_tensor ins[1] = {ten(RT_I8, s16x, 4, 1, 1, 4, 4)};
    rt_tensor outs[1] = {ten(RT_I8, sy4, 4, 1, 1, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_MAXPOOL, mp, NA(mp), ins, 1, outs, 1), "MaxPool int8 runs");
    CHECK(sy4[0] == -48 && sy4[1] == -16 && sy4[2] == 80 && sy4[3] == 112, "MaxPool int8 = -48 -16 80 112");
    CHECK_EQ_I(-2, run(RT_OP_AVERAGEPOOL, mp, NA(mp), inu, 1, outu, 1), "AveragePool uint8 refused");
    CHECK_CONTAINS(K.err, "dtype uint8 not supported", "AveragePool dtype message");

    /* AveragePool 3x3 1..9, kernel 3, pads 1 */
    float a9[9], ya[9];
    for (int i = 0; i < 9; i++) a9[i] = (float)(i + 1);
    rt_attr av0[] = {AINTS("kernel_shape", 3, 3), AINTS("pads", 1, 1, 1, 1)};
    rt_attr av1[] = {AINTS("kernel_shape", 3, 3), AINTS("pads", 1, 1, 1, 1), AI("count_include_pad", 1)};
    rt_tensor ina[1] = {TF(a9, 4, 1, 1, 3, 3)}, outa[1] = {TF(ya, 4, 1, 1, 3, 3)};
    CHECK_EQ_I(0, run(RT_OP_AVERAGEPOOL, av0, NA(av0), ina, 1, outa, 1), "AveragePool cip 0 runs");
    check_vals((float[]){3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7}, ya, 9, 1e-5,
               "AveragePool count_include_pad 0 (by hand)");
    CHECK_EQ_I(0, run(RT_OP_AVERAGEPOOL, av1, NA(av1), ina, 1, outa, 1), "AveragePool cip 1 runs");
    check_vals((float[]){12 / 9.f, 21 / 9.f, 16 / 9.f, 27 / 9.f, 5, 33 / 9.f, 24 / 9.f, 39 / 9.f, 28 / 9.f},
               ya, 9, 1e-5, "AveragePool count_include_pad 1 (by hand)");

    /* global pools */
    float g[] = {1, 2, 3, 4, -1, -2, -3, -4}, gy[2];
    rt_tensor ing[1] = {TF(g, 4, 1, 2, 2, 2)}, outg[1] = {TF(gy, 4, 1, 2, 1, 1)};
    CHECK_EQ_I(0, run(RT_OP_GLOBALAVERAGEPOOL, NULL, 0, ing, 1, outg, 1), "GlobalAveragePool runs");
    check_vals((float[]){2.5f, -2.5f}, gy, 2, 1e-6, "GlobalAveragePool");
    CHECK_EQ_I(0, run(RT_OP_GLOBALMAXPOOL, NULL, 0, ing, 1, outg, 1), "GlobalMaxPool runs");
    check_vals((float[]){4, -1}, gy, 2, 0, "GlobalMaxPool");
    outg[0] = TF(gy, 2, 1, 2);
    CHECK_EQ_I(-2, run(RT_OP_GLOBALMAXPOOL, NULL, 0, ing, 1, outg, 1), "GlobalMaxPool rank-2 output refused");
    CHECK_CONTAINS(K.err, "expected [1,2,1,1]", "GlobalMaxPool dims message");
}

int main(void) {
    t_matmul();
    t_gemm();
    t_einsum();
    t_conv();
    t_conv_sweep();
    t_convtranspose();
    t_pools();
    T_DONE();
}
