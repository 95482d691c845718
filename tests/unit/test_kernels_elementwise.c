/* test_kernels_elementwise.c - the CPU unary and broadcasting families (rt_cpu_unary.c,
 * rt_cpu_binary.c) against hand-computed values (checked with numpy/libm where noted). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

static int eq_u8(const uint8_t *e, const uint8_t *g, int n) {
    for (int i = 0; i < n; i++)
        if (e[i] != g[i]) { printf("    [%d] expected %d got %d\n", i, e[i], g[i]); return 0; }
    return 1;
}

static void test_broadcast(void) {
    float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {10, 20, 30}, y[6];
    rt_tensor in[2] = {ten(RT_F32, a, DIMS(2, 3)), ten(RT_F32, b, DIMS(3))};
    rt_tensor out = ten(RT_F32, y, DIMS(2, 3));
    CHECK_EQ_I(0, go(RT_OP_ADD, NULL, 0, in, 2, &out, 1), "Add [2,3]+[3] runs");
    CHECK(near_f((float[]){11, 22, 33, 14, 25, 36}, y, 6, 0), "Add [2,3]+[3] = [[11,22,33],[14,25,36]]");

    float c[2] = {1, 2}, d[3] = {3, 4, 5};
    rt_tensor in2[2] = {ten(RT_F32, c, DIMS(2, 1)), ten(RT_F32, d, DIMS(1, 3))};
    CHECK_EQ_I(0, go(RT_OP_MUL, NULL, 0, in2, 2, &out, 1), "Mul [2,1]*[1,3] runs");
    CHECK(near_f((float[]){3, 4, 5, 6, 8, 10}, y, 6, 0), "Mul [2,1]*[1,3] = outer product");

    float s = 0.5f;
    rt_tensor in3[2] = {scalar(RT_F32, &s), ten(RT_F32, a, DIMS(2, 3))};
    CHECK_EQ_I(0, go(RT_OP_SUB, NULL, 0, in3, 2, &out, 1), "Sub scalar-[2,3] runs");
    CHECK(near_f((float[]){-0.5f, -1.5f, -2.5f, -3.5f, -4.5f, -5.5f}, y, 6, 0), "0.5 - x");

    /* a bigger 4-D broadcast, across threads, against a naive index computation */
    enum { A0 = 64, B1 = 40, C2 = 32, D3 = 16 };
    float *p = malloc(sizeof(float) * A0 * C2 * D3), *q = malloc(sizeof(float) * B1 * D3);
    float *r = malloc(sizeof(float) * A0 * B1 * C2 * D3);
    for (int i = 0; i < A0 * C2 * D3; i++) p[i] = (float)(i % 97) * 0.25f;
    for (int i = 0; i < B1 * D3; i++) q[i] = (float)(i % 13) - 6.0f;
    rt_tensor in4[2] = {ten(RT_F32, p, DIMS(A0, 1, C2, D3)), ten(RT_F32, q, DIMS(1, B1, 1, D3))};
    rt_tensor o4 = ten(RT_F32, r, DIMS(A0, B1, C2, D3));
    CHECK_EQ_I(0, go(RT_OP_SUB, NULL, 0, in4, 2, &o4, 1), "Sub [64,1,32,16]-[1,40,1,16] runs");
    int bad = 0;
    for (int i = 0; i < A0; i++)
        for (int j = 0; j < B1; j++)
            for (int k = 0; k < C2; k++)
                for (int l = 0; l < D3; l++) {
                    float e = p[(i * C2 + k) * D3 + l] - q[j * D3 + l];
                    if (r[((i * B1 + j) * C2 + k) * D3 + l] != e) bad++;
                }
    CHECK_EQ_I(0, bad, "4-D broadcast elements that differ from the naive loop");
    free(p); free(q); free(r);

    /* one long same-shape row, split across threads */
    enum { N = 100000 };
    int64_t *u = malloc(sizeof(int64_t) * N), *v = malloc(sizeof(int64_t) * N), *w = malloc(sizeof(int64_t) * N);
    for (int i = 0; i < N; i++) { u[i] = i; v[i] = 3 * (int64_t)i - 7; }
    rt_tensor in5[2] = {ten(RT_I64, u, DIMS(N)), ten(RT_I64, v, DIMS(N))};
    rt_tensor o5 = ten(RT_I64, w, DIMS(N));
    CHECK_EQ_I(0, go(RT_OP_MUL, NULL, 0, in5, 2, &o5, 1), "int64 Mul of two [100000] runs");
    bad = 0;
    for (int i = 0; i < N; i++) if (w[i] != (int64_t)i * (3 * (int64_t)i - 7)) bad++;
    CHECK_EQ_I(0, bad, "elements of i*(3i-7) that differ");
    free(u); free(v); free(w);
}

static void test_int_arith(void) {
    int64_t a[4] = {7, -7, 7, -7}, b[4] = {2, 2, -2, -2}, m[4] = {3, 3, -3, -3}, y[4];
    rt_tensor in[2] = {ten(RT_I64, a, DIMS(4)), ten(RT_I64, b, DIMS(4))};
    rt_tensor out = ten(RT_I64, y, DIMS(4));
    CHECK_EQ_I(0, go(RT_OP_DIV, NULL, 0, in, 2, &out, 1), "int64 Div runs");
    CHECK(eq_i64((int64_t[]){3, -3, -3, 3}, y, 4), "int64 Div truncates toward zero: 7/2 -7/2 7/-2 -7/-2 = 3 -3 -3 3");
    in[1].data = m;
    CHECK_EQ_I(0, go(RT_OP_MOD, NULL, 0, in, 2, &out, 1), "int64 Mod fmod=0 runs");
    CHECK(eq_i64((int64_t[]){1, 2, -2, -1}, y, 4), "Mod fmod=0 takes the divisor's sign (numpy.mod): 1 2 -2 -1");
    rt_attr fm = {.name = "fmod", .type = RT_ATTR_INT, .i = 1};
    CHECK_EQ_I(0, go(RT_OP_MOD, &fm, 1, in, 2, &out, 1), "int64 Mod fmod=1 runs");
    CHECK(eq_i64((int64_t[]){1, -1, 1, -1}, y, 4), "Mod fmod=1 takes the dividend's sign (numpy.fmod): 1 -1 1 -1");

    int64_t z[4] = {1, 0, 1, 1};
    in[1].data = z;
    CHECK(go(RT_OP_DIV, NULL, 0, in, 2, &out, 1) == 3, "int64 Div by zero fails at run");
    CHECK_CONTAINS(K.err, "division by zero", "Div by zero message");

    int64_t base[3] = {3, -2, 2}, ex[3] = {4, 3, 40};
    rt_tensor pin[2] = {ten(RT_I64, base, DIMS(3)), ten(RT_I64, ex, DIMS(3))};
    rt_tensor pout = ten(RT_I64, y, DIMS(3));
    CHECK_EQ_I(0, go(RT_OP_POW, NULL, 0, pin, 2, &pout, 1), "int64 Pow runs");
    CHECK(eq_i64((int64_t[]){81, -8, 1099511627776LL}, y, 3), "int64 Pow exact: 3^4 (-2)^3 2^40");

    float fb[3] = {1.5f, -2, 4}, fy[3];
    int64_t two = 2;
    rt_tensor fin[2] = {ten(RT_F32, fb, DIMS(3)), scalar(RT_I64, &two)};
    rt_tensor fout = ten(RT_F32, fy, DIMS(3));
    CHECK_EQ_I(0, go(RT_OP_POW, NULL, 0, fin, 2, &fout, 1), "Pow float32 ^ int64 runs");
    CHECK(near_f((float[]){2.25f, 4, 16}, fy, 3, 0), "x^2 with an int64 exponent");
    float half = 0.5f;
    fin[1] = scalar(RT_F32, &half);
    fb[1] = 2;
    CHECK_EQ_I(0, go(RT_OP_POW, NULL, 0, fin, 2, &fout, 1), "Pow float32 ^ 0.5 runs");
    CHECK(near_f((float[]){1.22474487f, 1.41421356f, 2}, fy, 3, 1e-6), "x^0.5 = sqrt(x)");

    int32_t ia[3] = {5, -5, 100}, ib[3] = {3, 3, 7}, iy[3];
    rt_tensor i32in[2] = {ten(RT_I32, ia, DIMS(3)), ten(RT_I32, ib, DIMS(3))};
    rt_tensor i32out = ten(RT_I32, iy, DIMS(3));
    CHECK_EQ_I(0, go(RT_OP_SUB, NULL, 0, i32in, 2, &i32out, 1), "int32 Sub runs");
    CHECK(iy[0] == 2 && iy[1] == -8 && iy[2] == 93, "int32 Sub: 2 -8 93 (got %d %d %d)", iy[0], iy[1], iy[2]);
}

static void test_variadic(void) {
    float a[4] = {1, 5, 3, 7}, b[2] = {4, 2}, c = 6, y[4];
    rt_tensor in[3] = {ten(RT_F32, a, DIMS(2, 2)), ten(RT_F32, b, DIMS(2)), scalar(RT_F32, &c)};
    rt_tensor out = ten(RT_F32, y, DIMS(2, 2));
    CHECK_EQ_I(0, go(RT_OP_MAX, NULL, 0, in, 3, &out, 1), "Max of [2,2],[2],[] runs");
    CHECK(near_f((float[]){6, 6, 6, 7}, y, 4, 0), "Max = [[6,6],[6,7]]");
    CHECK_EQ_I(0, go(RT_OP_MIN, NULL, 0, in, 3, &out, 1), "Min runs");
    CHECK(near_f((float[]){1, 2, 3, 2}, y, 4, 0), "Min = [[1,2],[3,2]]");
    CHECK_EQ_I(0, go(RT_OP_SUM, NULL, 0, in, 3, &out, 1), "Sum runs");
    CHECK(near_f((float[]){11, 13, 13, 15}, y, 4, 0), "Sum = [[11,13],[13,15]]");
    CHECK_EQ_I(0, go(RT_OP_MEAN, NULL, 0, in, 3, &out, 1), "Mean runs");
    CHECK(near_f((float[]){11 / 3.0f, 13 / 3.0f, 13 / 3.0f, 5}, y, 4, 1e-6), "Mean = Sum / 3");
    float nan_in[2] = {NAN, 1}, other[2] = {0, 2}, ny[2];
    rt_tensor nin[2] = {ten(RT_F32, nan_in, DIMS(2)), ten(RT_F32, other, DIMS(2))};
    rt_tensor nout = ten(RT_F32, ny, DIMS(2));
    CHECK_EQ_I(0, go(RT_OP_MAX, NULL, 0, nin, 2, &nout, 1), "Max with NaN runs");
    CHECK(isnan(ny[0]) && ny[1] == 2, "Max propagates NaN (numpy.maximum)");
    int64_t ia[3] = {-3, 9, 4}, ib[3] = {2, 2, 2}, iy[3];
    rt_tensor iin[2] = {ten(RT_I64, ia, DIMS(3)), ten(RT_I64, ib, DIMS(3))};
    rt_tensor iout = ten(RT_I64, iy, DIMS(3));
    CHECK_EQ_I(0, go(RT_OP_MAX, NULL, 0, iin, 2, &iout, 1), "int64 Max runs");
    CHECK(eq_i64((int64_t[]){2, 9, 4}, iy, 3), "int64 Max = 2 9 4");
}

static void test_compare_logic(void) {
    float a[4] = {1, 2, 3, NAN}, b = 2;
    uint8_t y[4];
    rt_tensor in[2] = {ten(RT_F32, a, DIMS(4)), scalar(RT_F32, &b)};
    rt_tensor out = ten(RT_BOOL, y, DIMS(4));
    CHECK_EQ_I(0, go(RT_OP_LESS, NULL, 0, in, 2, &out, 1), "Less runs");
    CHECK(eq_u8((uint8_t[]){1, 0, 0, 0}, y, 4), "x < 2 = 1 0 0 0 (NaN compares false)");
    CHECK_EQ_I(0, go(RT_OP_GREATEROREQUAL, NULL, 0, in, 2, &out, 1), "GreaterOrEqual runs");
    CHECK(eq_u8((uint8_t[]){0, 1, 1, 0}, y, 4), "x >= 2 = 0 1 1 0");
    CHECK_EQ_I(0, go(RT_OP_EQUAL, NULL, 0, in, 2, &out, 1), "Equal runs");
    CHECK(eq_u8((uint8_t[]){0, 1, 0, 0}, y, 4), "x == 2 = 0 1 0 0");
    uint8_t p[4] = {0, 0, 1, 1}, q[4] = {0, 1, 0, 1};
    rt_tensor lin[2] = {ten(RT_BOOL, p, DIMS(4)), ten(RT_BOOL, q, DIMS(4))};
    CHECK_EQ_I(0, go(RT_OP_XOR, NULL, 0, lin, 2, &out, 1), "Xor runs");
    CHECK(eq_u8((uint8_t[]){0, 1, 1, 0}, y, 4), "Xor truth table");
    CHECK_EQ_I(0, go(RT_OP_AND, NULL, 0, lin, 2, &out, 1), "And runs");
    CHECK(eq_u8((uint8_t[]){0, 0, 0, 1}, y, 4), "And truth table");
    rt_tensor nin = ten(RT_BOOL, p, DIMS(4));
    CHECK_EQ_I(0, go(RT_OP_NOT, NULL, 0, &nin, 1, &out, 1), "Not runs");
    CHECK(eq_u8((uint8_t[]){1, 1, 0, 0}, y, 4), "Not");

    uint8_t u[3] = {1, 0x81, 0xff}, sh[3] = {3, 1, 8}, uy[3];
    rt_tensor bin[2] = {ten(RT_U8, u, DIMS(3)), ten(RT_U8, sh, DIMS(3))};
    rt_tensor bout = ten(RT_U8, uy, DIMS(3));
    rt_attr left = {.name = "direction", .type = RT_ATTR_STRING, .s = "LEFT"};
    CHECK_EQ_I(0, go(RT_OP_BITSHIFT, &left, 1, bin, 2, &bout, 1), "BitShift LEFT uint8 runs");
    CHECK(eq_u8((uint8_t[]){8, 2, 0}, uy, 3), "1<<3=8, 0x81<<1=0x02 (wraps), 0xff<<8=0");
    int32_t ba[2] = {0x0ff0, -1}, bb[2] = {0x00ff, 0x1234}, by[2];
    rt_tensor bain[2] = {ten(RT_I32, ba, DIMS(2)), ten(RT_I32, bb, DIMS(2))};
    rt_tensor baout = ten(RT_I32, by, DIMS(2));
    CHECK_EQ_I(0, go(RT_OP_BITWISEAND, NULL, 0, bain, 2, &baout, 1), "BitwiseAnd int32 runs");
    CHECK(by[0] == 0x00f0 && by[1] == 0x1234, "BitwiseAnd = 0xf0, 0x1234");
}

static void test_where_prelu(void) {
    uint8_t c[2] = {1, 0};
    float x[3] = {1, 2, 3}, yv = 9, o[6];
    rt_tensor in[3] = {ten(RT_BOOL, c, DIMS(2, 1)), ten(RT_F32, x, DIMS(1, 3)), scalar(RT_F32, &yv)};
    rt_tensor out = ten(RT_F32, o, DIMS(2, 3));
    CHECK_EQ_I(0, go(RT_OP_WHERE, NULL, 0, in, 3, &out, 1), "Where([2,1],[1,3],[]) runs");
    CHECK(near_f((float[]){1, 2, 3, 9, 9, 9}, o, 6, 0), "Where = [[1,2,3],[9,9,9]]");
    int64_t xi[2] = {5, 6}, yi[2] = {-1, -2}, oi[4];
    uint8_t c2[2] = {0, 1};
    rt_tensor in2[3] = {ten(RT_BOOL, c2, DIMS(2, 1)), ten(RT_I64, xi, DIMS(2)), ten(RT_I64, yi, DIMS(2))};
    rt_tensor out2 = ten(RT_I64, oi, DIMS(2, 2));
    CHECK_EQ_I(0, go(RT_OP_WHERE, NULL, 0, in2, 3, &out2, 1), "Where int64 runs");
    CHECK(eq_i64((int64_t[]){-1, -2, 5, 6}, oi, 4), "Where int64 = [[-1,-2],[5,6]]");

    float px[6] = {-1, 2, -3, 4, -5, 6}, slope[3] = {0.1f, 0.2f, 0.3f}, py[6];
    rt_tensor pin[2] = {ten(RT_F32, px, DIMS(2, 3)), ten(RT_F32, slope, DIMS(3))};
    rt_tensor pout = ten(RT_F32, py, DIMS(2, 3));
    CHECK_EQ_I(0, go(RT_OP_PRELU, NULL, 0, pin, 2, &pout, 1), "PRelu with slope [3] runs");
    CHECK(near_f((float[]){-0.1f, 2, -0.9f, 4, -1.0f, 6}, py, 6, 1e-6), "PRelu = [[-0.1,2,-0.9],[4,-1,6]]");
}

static void test_errors(void) {
    float a[6] = {0}, b[3] = {0}, y[8];
    rt_tensor in[2] = {ten(RT_F32, a, DIMS(2, 3)), ten(RT_F32, b, DIMS(3))};
    rt_tensor out = ten(RT_F32, y, DIMS(2, 4));
    K.err[0] = 0;
    CHECK_EQ_I(0, rt_cpu_supports(RT_OP_ADD, NULL, 0, in, 2, &out, 1, &K), "Add into [2,4]: supports() = 0");
    CHECK_CONTAINS(K.err, "output dims [2,4] do not match the broadcast shape [2,3]", "message");
    CHECK(rt_cpu_run(RT_OP_ADD, NULL, 0, in, 2, &out, 1, &K) == -1, "run() refuses too (writes nothing)");
    rt_tensor bad[2] = {ten(RT_F32, a, DIMS(2, 3)), ten(RT_F32, b, DIMS(2))};
    rt_tensor out23 = ten(RT_F32, y, DIMS(2, 3));
    CHECK_EQ_I(0, rt_cpu_supports(RT_OP_ADD, NULL, 0, bad, 2, &out23, 1, &K), "[2,3]+[2]: supports() = 0");
    CHECK_CONTAINS(K.err, "do not broadcast", "message");
    rt_tensor h[2] = {ten(RT_BOOL, a, DIMS(2, 3)), ten(RT_BOOL, b, DIMS(3))};
    rt_tensor hout = ten(RT_BOOL, y, DIMS(2, 3));
    CHECK_EQ_I(0, rt_cpu_supports(RT_OP_ADD, NULL, 0, h, 2, &hout, 1, &K), "Add bool: supports() = 0");
    CHECK_CONTAINS(K.err, "dtype bool not supported", "message names the dtype");
    rt_tensor pw[2] = {ten(RT_U8, a, DIMS(3)), ten(RT_F32, b, DIMS(3))};
    rt_tensor pwo = ten(RT_U8, y, DIMS(3));
    CHECK_EQ_I(0, rt_cpu_supports(RT_OP_POW, NULL, 0, pw, 2, &pwo, 1, &K), "Pow uint8 ^ float32: supports() = 0");
    CHECK_CONTAINS(K.err, "Pow: dtypes uint8 ^ float32 not supported", "message names both dtypes");
    int32_t ix[3];
    rt_tensor si = ten(RT_I32, ix, DIMS(3)), so = ten(RT_I32, ix, DIMS(3));
    CHECK_EQ_I(0, rt_cpu_supports(RT_OP_SIGMOID, NULL, 0, &si, 1, &so, 1, &K), "Sigmoid int32: supports() = 0");
    CHECK_CONTAINS(K.err, "Sigmoid: dtype int32 not supported", "message");
    rt_tensor ui = ten(RT_F32, a, DIMS(6)), uo = ten(RT_F32, y, DIMS(5));
    CHECK_EQ_I(0, rt_cpu_supports(RT_OP_RELU, NULL, 0, &ui, 1, &uo, 1, &K), "Relu [6] -> [5]: supports() = 0");
    CHECK_CONTAINS(K.err, "output dims [5] do not match input dims [6]", "message");
    rt_tensor mi[2] = {ten(RT_F32, a, DIMS(3)), ten(RT_I64, b, DIMS(3))};
    rt_tensor mo = ten(RT_F32, y, DIMS(3));
    CHECK_EQ_I(0, rt_cpu_supports(RT_OP_ADD, NULL, 0, mi, 2, &mo, 1, &K), "Add float32+int64: supports() = 0");
    CHECK_CONTAINS(K.err, "input 1 has dtype int64", "message");
}

static void test_activations(void) {
    float x[4] = {-1, 0, 0.5f, 2}, y[4];
    rt_tensor in = ten(RT_F32, x, DIMS(4)), out = ten(RT_F32, y, DIMS(4));
    CHECK_EQ_I(0, go(RT_OP_GELU, NULL, 0, &in, 1, &out, 1), "Gelu runs");
    /* 0.5*x*(1+erf(x/sqrt2)) at -1, 0, 0.5, 2 (Python math.erf) */
    CHECK(near_f((float[]){-0.15865525393145707f, 0, 0.34573123063700656f, 1.9544997361036416f}, y, 4, 1e-6),
          "Gelu(-1, 0, 0.5, 2) = -0.158655, 0, 0.345731, 1.954500");
    rt_attr ap = {.name = "approximate", .type = RT_ATTR_STRING, .s = "tanh"};
    CHECK_EQ_I(0, go(RT_OP_GELU, &ap, 1, &in, 1, &out, 1), "Gelu tanh runs");
    /* 0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715x^3))) */
    CHECK(near_f((float[]){-0.15880800939172324f, 0, 0.34571400982514394f, 1.9545976940871754f}, y, 4, 1e-6),
          "Gelu tanh(-1, 0, 0.5, 2)");
    CHECK_EQ_I(0, go(RT_OP_SIGMOID, NULL, 0, &in, 1, &out, 1), "Sigmoid runs");
    CHECK(near_f((float[]){0.2689414213699951f, 0.5f, 0.6224593312018546f, 0.8807970779778823f}, y, 4, 1e-7),
          "Sigmoid = 1/(1+e^-x)");
    rt_attr al = {.name = "alpha", .type = RT_ATTR_FLOAT, .f = 0.1f};
    CHECK_EQ_I(0, go(RT_OP_LEAKYRELU, &al, 1, &in, 1, &out, 1), "LeakyRelu alpha=0.1 runs");
    CHECK(near_f((float[]){-0.1f, 0, 0.5f, 2}, y, 4, 1e-7), "LeakyRelu");
    CHECK_EQ_I(0, go(RT_OP_ELU, NULL, 0, &in, 1, &out, 1), "Elu runs");
    CHECK(near_f((float[]){(float)(exp(-1.0) - 1), 0, 0.5f, 2}, y, 4, 1e-7), "Elu(-1) = e^-1 - 1");
    CHECK_EQ_I(0, go(RT_OP_SOFTPLUS, NULL, 0, &in, 1, &out, 1), "Softplus runs");
    CHECK(near_f((float[]){0.31326168751822286f, 0.6931471805599453f, 0.9740769841801067f, 2.1269280110429727f},
                 y, 4, 1e-6), "Softplus = log(1+e^x)");
    CHECK_EQ_I(0, go(RT_OP_HARDSWISH, NULL, 0, &in, 1, &out, 1), "HardSwish runs");
    CHECK(near_f((float[]){-1 * (1 / 6.0f * -1 + 0.5f), 0, 0.5f * (0.5f / 6 + 0.5f), 2 * (2 / 6.0f + 0.5f)},
                 y, 4, 1e-6), "HardSwish = x*max(0,min(1,x/6+0.5))");

    float r[6] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f}, ry[6];
    rt_tensor rin = ten(RT_F32, r, DIMS(6)), rout = ten(RT_F32, ry, DIMS(6));
    CHECK_EQ_I(0, go(RT_OP_ROUND, NULL, 0, &rin, 1, &rout, 1), "Round runs");
    CHECK(near_f((float[]){0, 2, 2, -0.0f, -2, 2}, ry, 6, 0), "Round halves to even: 0 2 2 -0 -2 2");

    float lo = 0, hi = 1.5f;
    rt_tensor cin[3] = {rin, scalar(RT_F32, &lo), scalar(RT_F32, &hi)};
    CHECK_EQ_I(0, go(RT_OP_CLIP, NULL, 0, cin, 3, &rout, 1), "Clip(x, 0, 1.5) runs");
    CHECK(near_f((float[]){0.5f, 1.5f, 1.5f, 0, 0, 1.5f}, ry, 6, 0), "Clip to [0,1.5]");
    rt_tensor cin2[3] = {rin, {RT_F32, -1, {0}, NULL}, scalar(RT_F32, &lo)};
    CHECK_EQ_I(0, go(RT_OP_CLIP, NULL, 0, cin2, 3, &rout, 1), "Clip(x, -, 0) (max only) runs");
    CHECK(near_f((float[]){0, 0, 0, -0.5f, -1.5f, 0}, ry, 6, 0), "Clip with max 0 only");
    int64_t ci[4] = {-5, 3, 9, 0}, cy[4], clo = -2;
    rt_tensor ciin[2] = {ten(RT_I64, ci, DIMS(4)), scalar(RT_I64, &clo)};
    rt_tensor ciout = ten(RT_I64, cy, DIMS(4));
    CHECK_EQ_I(0, go(RT_OP_CLIP, NULL, 0, ciin, 2, &ciout, 1), "int64 Clip(x, -2) runs");
    CHECK(eq_i64((int64_t[]){-2, 3, 9, 0}, cy, 4), "int64 Clip min only");
    CHECK_EQ_I(0, go(RT_OP_NEG, NULL, 0, ciin, 1, &ciout, 1), "int64 Neg runs");
    CHECK(eq_i64((int64_t[]){5, -3, -9, 0}, cy, 4), "int64 Neg");
    CHECK_EQ_I(0, go(RT_OP_SIGN, NULL, 0, ciin, 1, &ciout, 1), "int64 Sign runs");
    CHECK(eq_i64((int64_t[]){-1, 1, 1, 0}, cy, 4), "int64 Sign");

    float nf[4] = {NAN, INFINITY, -INFINITY, 1};
    uint8_t nb[4];
    rt_tensor nin = ten(RT_F32, nf, DIMS(4)), nout = ten(RT_BOOL, nb, DIMS(4));
    CHECK_EQ_I(0, go(RT_OP_ISNAN, NULL, 0, &nin, 1, &nout, 1), "IsNaN runs");
    CHECK(eq_u8((uint8_t[]){1, 0, 0, 0}, nb, 4), "IsNaN");
    rt_attr dn = {.name = "detect_negative", .type = RT_ATTR_INT, .i = 0};
    CHECK_EQ_I(0, go(RT_OP_ISINF, &dn, 1, &nin, 1, &nout, 1), "IsInf detect_negative=0 runs");
    CHECK(eq_u8((uint8_t[]){0, 1, 0, 0}, nb, 4), "IsInf finds +inf only");

    float dx[3] = {1, 2, 3}, dy[3];
    uint8_t mask[3] = {0, 0, 0};
    rt_tensor din = ten(RT_F32, dx, DIMS(3));
    rt_tensor dout[2] = {ten(RT_F32, dy, DIMS(3)), ten(RT_BOOL, mask, DIMS(3))};
    CHECK_EQ_I(0, go(RT_OP_DROPOUT, NULL, 0, &din, 1, dout, 2), "Dropout with mask runs");
    CHECK(near_f(dx, dy, 3, 0) && eq_u8((uint8_t[]){1, 1, 1}, mask, 3), "Dropout = identity, mask all true");
}

static void test_cast(void) {
    float f[5] = {2.7f, -2.7f, 0.5f, -0.5f, 1e10f};
    int64_t i[5];
    rt_attr to = {.name = "to", .type = RT_ATTR_INT, .i = RT_I64};
    rt_tensor in = ten(RT_F32, f, DIMS(5)), out = ten(RT_I64, i, DIMS(5));
    CHECK_EQ_I(0, go(RT_OP_CAST, &to, 1, &in, 1, &out, 1), "Cast float32 -> int64 runs");
    CHECK(eq_i64((int64_t[]){2, -2, 0, 0, 10000000000LL}, i, 5), "Cast to int64 truncates toward zero");

    /* float -> float16 bits, numpy's astype(float16): 0.1 65519 65520 1+2^-11 1+3*2^-11 2^-24 2^-25 3*2^-26 -2.5 */
    float hf[9] = {0.1f, 65519.0f, 65520.0f, 1.00048828125f, 1.00146484375f, 5.960464477539063e-08f,
                   2.9802322387695312e-08f, 4.470348358154297e-08f, -2.5f};
    uint16_t hb[9];
    to.i = RT_F16;
    rt_tensor hin = ten(RT_F32, hf, DIMS(9)), hout = ten(RT_F16, hb, DIMS(9));
    CHECK_EQ_I(0, go(RT_OP_CAST, &to, 1, &hin, 1, &hout, 1), "Cast float32 -> float16 runs");
    uint16_t hexp[9] = {0x2e66, 0x7bff, 0x7c00, 0x3c00, 0x3c02, 0x0001, 0x0000, 0x0001, 0xc100};
    int hbad = 0;
    for (int k = 0; k < 9; k++)
        if (hb[k] != hexp[k]) { hbad++; printf("    [%d] expected 0x%04x got 0x%04x\n", k, hexp[k], hb[k]); }
    CHECK_EQ_I(0, hbad, "float16 bits (round to nearest even, overflow to inf, subnormals)");
    float back[9];
    to.i = RT_F32;
    rt_tensor bin = ten(RT_F16, hb, DIMS(9)), bout = ten(RT_F32, back, DIMS(9));
    CHECK_EQ_I(0, go(RT_OP_CAST, &to, 1, &bin, 1, &bout, 1), "Cast float16 -> float32 runs");
    CHECK(back[0] == 0.0999755859375f && back[1] == 65504.0f && isinf(back[2]) && back[4] == 1.001953125f &&
          back[5] == 5.960464477539063e-08f, "float -> half -> float: 0.1 -> 0.0999755859375, 65519 -> 65504");

    /* double -> float16 directly: 1 + 2^-11 + 2^-40 is just above a tie, rounds up */
    double dd[1] = {1.0 + 1.0 / 2048 + 1.0 / 1099511627776.0};
    to.i = RT_F16;
    rt_tensor din = ten(RT_F64, dd, DIMS(1)), dout = ten(RT_F16, hb, DIMS(1));
    CHECK_EQ_I(0, go(RT_OP_CAST, &to, 1, &din, 1, &dout, 1), "Cast float64 -> float16 runs");
    CHECK(hb[0] == 0x3c01, "float64 just above a half tie rounds up (0x3c01), got 0x%04x", hb[0]);

    float bf[3] = {1.00390625f, 1.01171875f, 3.14159f};
    uint16_t bb[3];
    to.i = RT_BF16;
    rt_tensor bfin = ten(RT_F32, bf, DIMS(3)), bfout = ten(RT_BF16, bb, DIMS(3));
    CHECK_EQ_I(0, go(RT_OP_CAST, &to, 1, &bfin, 1, &bfout, 1), "Cast float32 -> bfloat16 runs");
    /* torch .to(bfloat16): 1+2^-8 -> 1.0 (tie to even), 1+3*2^-8 -> 1.015625, pi -> 3.140625 */
    CHECK(bb[0] == 0x3f80 && bb[1] == 0x3f82 && bb[2] == 0x4049, "bfloat16 bits 3f80 3f82 4049 (got %04x %04x %04x)",
          bb[0], bb[1], bb[2]);

    int64_t big[2] = {4294967301LL, -1};
    int32_t small[2];
    to.i = RT_I32;
    rt_tensor nin = ten(RT_I64, big, DIMS(2)), nout = ten(RT_I32, small, DIMS(2));
    CHECK_EQ_I(0, go(RT_OP_CAST, &to, 1, &nin, 1, &nout, 1), "Cast int64 -> int32 runs");
    CHECK(small[0] == 5 && small[1] == -1, "int64 -> int32 wraps: 2^32+5 -> 5, -1 -> -1");
    float w[2] = {300.0f, -1.0f};
    int8_t w8[2];
    to.i = RT_I8;
    rt_tensor win = ten(RT_F32, w, DIMS(2)), wout = ten(RT_I8, w8, DIMS(2));
    CHECK_EQ_I(0, go(RT_OP_CAST, &to, 1, &win, 1, &wout, 1), "Cast float32 -> int8 runs");
    CHECK(w8[0] == 44 && w8[1] == -1, "float32 -> int8 as numpy: 300 -> 44, -1 -> -1");
    float bsrc[3] = {0, -0.5f, NAN};
    uint8_t bdst[3];
    to.i = RT_BOOL;
    rt_tensor bsin = ten(RT_F32, bsrc, DIMS(3)), bsout = ten(RT_BOOL, bdst, DIMS(3));
    CHECK_EQ_I(0, go(RT_OP_CAST, &to, 1, &bsin, 1, &bsout, 1), "Cast float32 -> bool runs");
    CHECK(eq_u8((uint8_t[]){0, 1, 1}, bdst, 3), "bool = x != 0");

    to.i = RT_I64;
    rt_tensor wrong = ten(RT_I32, small, DIMS(2));
    CHECK_EQ_I(0, rt_cpu_supports(RT_OP_CAST, &to, 1, &nin, 1, &wrong, 1, &K), "Cast to=int64 into int32: supports() = 0");
    CHECK_CONTAINS(K.err, "not the target dtype int64", "message");
    rt_tensor cl[2] = {ten(RT_F32, f, DIMS(2)), ten(RT_I32, small, DIMS(1))};
    int32_t cly[2];
    rt_tensor clo = ten(RT_I32, cly, DIMS(2));
    CHECK_EQ_I(0, go(RT_OP_CASTLIKE, NULL, 0, cl, 2, &clo, 1), "CastLike(float, int32) runs");
    CHECK(cly[0] == 2 && cly[1] == -2, "CastLike truncates");
}

static uint16_t h16(float f) { /* exact for the small values used here */
    uint32_t u;
    memcpy(&u, &f, 4);
    if (f == 0) return (uint16_t)((u >> 16) & 0x8000);
    return (uint16_t)(((u >> 16) & 0x8000) | ((((u >> 23) & 0xff) - 112) << 10) | ((u >> 13) & 0x3ff));
}

/* The small integer and half dtypes (numpy semantics: wrapping, Python's % for Mod fmod=0). */
static void test_small_dtypes(void) {
    uint8_t ua[4] = {250, 7, 0, 200}, ub[4] = {10, 3, 5, 100}, uy[4];
    rt_tensor u[2] = {ten(RT_U8, ua, DIMS(4)), ten(RT_U8, ub, DIMS(4))};
    rt_tensor uo = ten(RT_U8, uy, DIMS(4));
    CHECK_EQ_I(0, go(RT_OP_ADD, NULL, 0, u, 2, &uo, 1), "Add uint8 runs");
    CHECK(eq_u8((uint8_t[]){4, 10, 5, 44}, uy, 4), "Add uint8 wraps: 250+10 = 4, 200+100 = 44");
    CHECK_EQ_I(0, go(RT_OP_SUB, NULL, 0, u, 2, &uo, 1), "Sub uint8 runs");
    CHECK(eq_u8((uint8_t[]){240, 4, 251, 100}, uy, 4), "Sub uint8 wraps: 0-5 = 251");
    CHECK_EQ_I(0, go(RT_OP_DIV, NULL, 0, u, 2, &uo, 1), "Div uint8 runs");
    CHECK(eq_u8((uint8_t[]){25, 2, 0, 2}, uy, 4), "Div uint8 = 250/10, 7/3, 0/5, 200/100");
    rt_attr fm = {.name = "fmod", .type = RT_ATTR_INT, .i = 0};
    CHECK_EQ_I(0, go(RT_OP_MOD, &fm, 1, u, 2, &uo, 1), "Mod uint8 runs");
    CHECK(eq_u8((uint8_t[]){0, 1, 0, 0}, uy, 4), "Mod uint8");
    ub[2] = 0;
    CHECK_EQ_I(3, go(RT_OP_DIV, NULL, 0, u, 2, &uo, 1), "Div uint8 by zero fails at run");
    CHECK_CONTAINS(K.err, "integer division by zero", "message");

    uint16_t wa[2] = {300, 65535}, wb[2] = {300, 65535}, wy[2];
    rt_tensor w[2] = {ten(RT_U16, wa, DIMS(2)), ten(RT_U16, wb, DIMS(2))};
    rt_tensor wo = ten(RT_U16, wy, DIMS(2));
    CHECK_EQ_I(0, go(RT_OP_MUL, NULL, 0, w, 2, &wo, 1), "Mul uint16 runs");
    CHECK(wy[0] == (uint16_t)90000 && wy[1] == 1, "Mul uint16 wraps: 300*300 = 24464, 65535^2 = 1 (got %u %u)",
          wy[0], wy[1]);

    int8_t sa[4] = {-4, 4, -128, 7}, sb[4] = {3, -3, -1, -2}, sy[4];
    rt_tensor si[2] = {ten(RT_I8, sa, DIMS(4)), ten(RT_I8, sb, DIMS(4))};
    rt_tensor so = ten(RT_I8, sy, DIMS(4));
    CHECK_EQ_I(0, go(RT_OP_MOD, &fm, 1, si, 2, &so, 1), "Mod int8 runs");
    CHECK(sy[0] == 2 && sy[1] == -2 && sy[2] == 0 && sy[3] == -1, "Mod int8 takes the divisor's sign (numpy)");
    fm.i = 1;
    CHECK_EQ_I(0, go(RT_OP_MOD, &fm, 1, si, 2, &so, 1), "Mod int8 fmod=1 runs");
    CHECK(sy[0] == -1 && sy[1] == 1 && sy[2] == 0 && sy[3] == 1, "Mod int8 fmod=1 takes the dividend's sign");
    CHECK_EQ_I(0, go(RT_OP_DIV, NULL, 0, si, 2, &so, 1), "Div int8 runs");
    CHECK(sy[0] == -1 && sy[1] == -1 && sy[2] == -128 && sy[3] == -3, "Div int8 truncates; -128/-1 wraps");
    CHECK_EQ_I(0, go(RT_OP_MIN, NULL, 0, si, 2, &so, 1), "Min int8 runs");
    CHECK(sy[0] == -4 && sy[1] == -3 && sy[2] == -128 && sy[3] == -2, "Min int8");

    uint64_t la[2] = {UINT64_MAX, 5}, lb[2] = {UINT64_MAX - 1, 7}, ly[2];
    rt_tensor l[2] = {ten(RT_U64, la, DIMS(2)), ten(RT_U64, lb, DIMS(2))};
    rt_tensor lo = ten(RT_U64, ly, DIMS(2));
    CHECK_EQ_I(0, go(RT_OP_MAX, NULL, 0, l, 2, &lo, 1), "Max uint64 runs");
    CHECK(ly[0] == UINT64_MAX && ly[1] == 7, "Max uint64 compares unsigned");
    fm.i = 0;
    CHECK_EQ_I(0, go(RT_OP_MOD, &fm, 1, l, 2, &lo, 1), "Mod uint64 runs");
    CHECK(ly[0] == 1 && ly[1] == 5, "Mod uint64 above INT64_MAX");

    /* float16: computed in double, rounded once to half */
    uint16_t ha[3] = {h16(1.5f), h16(-2), h16(1024)}, hb[3] = {h16(2), h16(-3), h16(0.5f)}, hy[3];
    rt_tensor hi[2] = {ten(RT_F16, ha, DIMS(3)), ten(RT_F16, hb, DIMS(3))};
    rt_tensor ho = ten(RT_F16, hy, DIMS(3));
    CHECK_EQ_I(0, go(RT_OP_MAX, NULL, 0, hi, 2, &ho, 1), "Max float16 runs");
    CHECK(hy[0] == h16(2) && hy[1] == h16(-2) && hy[2] == h16(1024), "Max float16");
    CHECK_EQ_I(0, go(RT_OP_ADD, NULL, 0, hi, 2, &ho, 1), "Add float16 runs");
    CHECK(hy[0] == h16(3.5f) && hy[1] == h16(-5) && hy[2] == h16(1024),
          "Add float16: 1024 + 0.5 rounds to even 1024 (got 0x%04x)", hy[2]);
    fm.i = 1;
    CHECK_EQ_I(0, go(RT_OP_MOD, &fm, 1, hi, 2, &ho, 1), "Mod float16 fmod=1 runs");
    CHECK(hy[0] == h16(1.5f) && hy[1] == h16(-2) && hy[2] == h16(0), "Mod float16 = fmod");
    rt_tensor m3[3] = {hi[0], hi[1], hi[0]};
    CHECK_EQ_I(0, go(RT_OP_MEAN, NULL, 0, m3, 3, &ho, 1), "Mean float16 of 3 runs");
    CHECK(hy[0] == 0x3eab, "Mean float16 (1.5+2+1.5)/3 = 1.667 rounds up to 0x3eab (got 0x%04x)", hy[0]);

    /* Pow float32 ^ uint32 / uint64 / int8 */
    float pa[3] = {2, -3, 0.5f}, py[3];
    uint32_t pe[3] = {10, 3, 2};
    rt_tensor pi[2] = {ten(RT_F32, pa, DIMS(3)), ten(RT_U32, pe, DIMS(3))};
    rt_tensor po = ten(RT_F32, py, DIMS(3));
    CHECK_EQ_I(0, go(RT_OP_POW, NULL, 0, pi, 2, &po, 1), "Pow float32 ^ uint32 runs");
    CHECK(near_f((float[]){1024, -27, 0.25f}, py, 3, 0), "Pow float32 ^ uint32");
    int8_t pe8[3] = {-1, 2, -2};
    pi[1] = ten(RT_I8, pe8, DIMS(3));
    CHECK_EQ_I(0, go(RT_OP_POW, NULL, 0, pi, 2, &po, 1), "Pow float32 ^ int8 runs");
    CHECK(near_f((float[]){0.5f, 9, 4}, py, 3, 0), "Pow float32 ^ int8");
    int64_t ia[2] = {-1, 3}, iy[2];
    uint64_t ie[2] = {UINT64_MAX, 4};
    rt_tensor ii[2] = {ten(RT_I64, ia, DIMS(2)), ten(RT_U64, ie, DIMS(2))};
    rt_tensor io = ten(RT_I64, iy, DIMS(2));
    CHECK_EQ_I(0, go(RT_OP_POW, NULL, 0, ii, 2, &io, 1), "Pow int64 ^ uint64 runs");
    CHECK(eq_i64((int64_t[]){-1, 81}, iy, 2), "Pow int64 ^ uint64: (-1)^(2^64-1) = -1");

    /* comparisons on the new dtypes */
    uint8_t cy[4];
    rt_tensor co = ten(RT_BOOL, cy, DIMS(4));
    CHECK_EQ_I(0, go(RT_OP_GREATER, NULL, 0, si, 2, &co, 1), "Greater int8 runs");
    CHECK(eq_u8((uint8_t[]){0, 1, 0, 1}, cy, 4), "Greater int8");
}

/* Erf and Gelu in float use a polynomial, not libm: max abs error <= 2e-7 against erf in double
 * over 2e5+1 points in [-6, 6]; NaN, +-inf and -0 kept. */
static void test_erf_sweep(void) {
    enum { NP = 200001 };
    float *x = malloc(NP * sizeof *x), *y = malloc(NP * sizeof *y);
    for (int i = 0; i < NP; i++) x[i] = (float)(-6.0 + 12.0 * i / (NP - 1));
    rt_tensor in = ten(RT_F32, x, DIMS(NP)), out = ten(RT_F32, y, DIMS(NP));
    CHECK_EQ_I(0, go(RT_OP_ERF, NULL, 0, &in, 1, &out, 1), "Erf over [-6, 6] runs");
    double emax = 0, gmax = 0;
    for (int i = 0; i < NP; i++) emax = max_err(emax, fabs((double)y[i] - erf((double)x[i])));
    CHECK(emax <= 2e-7, "Erf max abs error %.3g <= 2e-7 over [-6, 6]", emax);
    CHECK_EQ_I(0, go(RT_OP_GELU, NULL, 0, &in, 1, &out, 1), "Gelu over [-6, 6] runs");
    for (int i = 0; i < NP; i++) {
        double xd = x[i], g = 0.5 * xd * (1 + erf(xd / sqrt(2.0)));
        gmax = max_err(gmax, fabs((double)y[i] - g) / fmax(1.0, fabs(xd)));
    }
    CHECK(gmax <= 4e-7, "Gelu max error %.3g <= 4e-7 (abs, relative above |x| = 1)", gmax);
    float sx[5] = {NAN, INFINITY, -INFINITY, -0.0f, 100}, sy[5];
    rt_tensor sin_ = ten(RT_F32, sx, DIMS(5)), sout = ten(RT_F32, sy, DIMS(5));
    CHECK_EQ_I(0, go(RT_OP_ERF, NULL, 0, &sin_, 1, &sout, 1), "Erf specials run");
    CHECK(isnan(sy[0]) && sy[1] == 1 && sy[2] == -1 && sy[3] == 0 && signbit(sy[3]) && sy[4] == 1,
          "Erf(NaN, inf, -inf, -0, 100) = NaN, 1, -1, -0, 1");
    free(x);
    free(y);
}

int main(void) {
    test_small_dtypes();
    test_broadcast();
    test_int_arith();
    test_variadic();
    test_compare_logic();
    test_where_prelu();
    test_activations();
    test_erf_sweep();
    test_cast();
    test_errors();
    T_DONE();
}
