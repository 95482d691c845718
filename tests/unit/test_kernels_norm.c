/* test_kernels_norm.c - BatchNormalization, InstanceNormalization, LayerNormalization,
 * GroupNormalization and LpNormalization on CPU against values computed by hand, plus the
 * clean refusals (training mode, wrong output dims, bad parameter shapes, dtypes). */
#include <stdarg.h>
#include <stdint.h>
#include "runtime/cpu/rt_cpu.h"
#include "t.h"

static rt_kctx K;

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
#define NA(arr) ((int)(sizeof(arr) / sizeof((arr)[0])))

/* supports -> scratch (must be 0 here) -> run; -2 if unsupported (K.err says why). */
static int run(int op, const rt_attr *at, int na, rt_tensor *in, int nin, rt_tensor *out, int nout) {
    memset(&K, 0, sizeof K);
    K.nthreads = 2;
    if (!rt_cpu_supports(op, at, na, in, nin, out, nout, &K)) return -2;
    if (rt_cpu_scratch(op, at, na, in, nin, out, nout) != 0) return -3;
    return rt_cpu_run(op, at, na, in, nin, out, nout, &K);
}

static void check_vals(const float *exp, const float *got, int n, double tol, const char *what) {
    int bad = -1;
    for (int i = 0; i < n && bad < 0; i++)
        if (!(fabs((double)exp[i] - (double)got[i]) <= tol)) bad = i;
    if (bad < 0) CHECK(1, "%s: %d values match", what, n);
    else CHECK(0, "%s: value %d expected %g, got %g (err: %s)", what, bad, exp[bad], got[bad], K.err);
}

static void t_batchnorm(void) {
    /* channel 0: (x-2)/1*1+0; channel 1: (x-3)/2*2+1 */
    float x[] = {1, 3, 2, 4}, sc[] = {1, 2}, b[] = {0, 1}, mu[] = {2, 3}, var[] = {1, 4}, y[4];
    rt_attr at[] = {AF("epsilon", 0.0f)};
    rt_tensor in[5] = {TF(x, 4, 1, 2, 1, 2), TF(sc, 1, 2), TF(b, 1, 2), TF(mu, 1, 2), TF(var, 1, 2)};
    rt_tensor out[1] = {TF(y, 4, 1, 2, 1, 2)};
    CHECK_EQ_I(0, run(RT_OP_BATCHNORMALIZATION, at, 1, in, 5, out, 1), "BatchNormalization runs");
    check_vals((float[]){-1, 1, 0, 2}, y, 4, 1e-6, "BatchNormalization (by hand)");
    /* default epsilon 1e-5: channel 0 values scale by 1/sqrt(1+1e-5) */
    CHECK_EQ_I(0, run(RT_OP_BATCHNORMALIZATION, NULL, 0, in, 5, out, 1), "BatchNormalization default eps runs");
    CHECK_NEAR(-1 / sqrt(1 + 1e-5), y[0], 1e-7, "BatchNormalization default epsilon 1e-5");
    /* [N, C] input (BatchNorm1d) */
    float x2[] = {3, 5}, y2[2];
    rt_tensor in2[5] = {TF(x2, 2, 1, 2), TF(sc, 1, 2), TF(b, 1, 2), TF(mu, 1, 2), TF(var, 1, 2)};
    rt_tensor out2[1] = {TF(y2, 2, 1, 2)};
    CHECK_EQ_I(0, run(RT_OP_BATCHNORMALIZATION, at, 1, in2, 5, out2, 1), "BatchNormalization [N,C] runs");
    check_vals((float[]){1, 3}, y2, 2, 1e-6, "BatchNormalization [N,C] (by hand)");
    rt_attr tr[] = {AI("training_mode", 1)};
    CHECK_EQ_I(-2, run(RT_OP_BATCHNORMALIZATION, tr, 1, in, 5, out, 1), "BatchNormalization training_mode refused");
    CHECK_CONTAINS(K.err, "training mode is not supported", "BatchNormalization training message");
    in[3] = TF(mu, 1, 1);
    CHECK_EQ_I(-2, run(RT_OP_BATCHNORMALIZATION, at, 1, in, 5, out, 1), "BatchNormalization short mean refused");
    CHECK_CONTAINS(K.err, "input_mean (input 3) must be [2]", "BatchNormalization mean message");
}

static void t_instnorm(void) {
    float x[] = {1, 3, 0, 10}, sc[] = {1, 2}, b[] = {0, 5}, y[4];
    rt_attr at[] = {AF("epsilon", 0.0f)};
    rt_tensor in[3] = {TF(x, 3, 1, 2, 2), TF(sc, 1, 2), TF(b, 1, 2)}, out[1] = {TF(y, 3, 1, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_INSTANCENORMALIZATION, at, 1, in, 3, out, 1), "InstanceNormalization runs");
    check_vals((float[]){-1, 1, 3, 7}, y, 4, 1e-6, "InstanceNormalization (by hand)");
    out[0] = TF(y, 3, 1, 2, 1);
    CHECK_EQ_I(-2, run(RT_OP_INSTANCENORMALIZATION, at, 1, in, 3, out, 1), "InstanceNormalization wrong dims refused");
    CHECK_CONTAINS(K.err, "InstanceNormalization: output 0 has shape [1,2,1], expected [1,2,2]",
                   "InstanceNormalization dims message");
}

static void t_layernorm(void) {
    /* rows [1,2,3] and [2,4,6]: both normalize to [-r, 0, r], r = sqrt(1.5) */
    const float r = 1.2247449f;
    float x[] = {1, 2, 3, 2, 4, 6}, sc[] = {1, 2, 3}, b[] = {0, 0, 1}, y[6], mean[2], inv[2];
    rt_attr at[] = {AF("epsilon", 0.0f)};
    rt_tensor in[3] = {TF(x, 2, 2, 3), TF(sc, 1, 3), TF(b, 1, 3)};
    rt_tensor out[3] = {TF(y, 2, 2, 3), TF(mean, 2, 2, 1), TF(inv, 2, 2, 1)};
    CHECK_EQ_I(0, run(RT_OP_LAYERNORMALIZATION, at, 1, in, 3, out, 3), "LayerNormalization runs");
    check_vals((float[]){-r, 0, 3 * r + 1, -r, 0, 3 * r + 1}, y, 6, 1e-5, "LayerNormalization axis -1 (by hand)");
    check_vals((float[]){2, 4}, mean, 2, 1e-6, "LayerNormalization Mean output");
    check_vals((float[]){r, r / 2}, inv, 2, 1e-5, "LayerNormalization InvStdDev output");
    in[2] = ABSENT;
    CHECK_EQ_I(0, run(RT_OP_LAYERNORMALIZATION, at, 1, in, 3, out, 1), "LayerNormalization without B runs");
    check_vals((float[]){-r, 0, 3 * r, -r, 0, 3 * r}, y, 6, 1e-5, "LayerNormalization without B");
    /* axis 0: all six values (mean 3, var 16/6); Scale [3] broadcast over the [2,3] block */
    const float q = 0.61237244f;
    rt_attr a0[] = {AI("axis", 0), AF("epsilon", 0.0f)};
    rt_tensor out0[3] = {TF(y, 2, 2, 3), TF(mean, 2, 1, 1)};
    CHECK_EQ_I(0, run(RT_OP_LAYERNORMALIZATION, a0, NA(a0), in, 2, out0, 2), "LayerNormalization axis 0 runs");
    check_vals((float[]){-2 * q, -2 * q, 0, -q, 2 * q, 9 * q}, y, 6, 1e-5,
               "LayerNormalization axis 0 with broadcast Scale (by hand)");
    check_vals((float[]){3}, mean, 1, 1e-6, "LayerNormalization axis 0 Mean");
    /* errors */
    out[1] = TF(mean, 1, 2);
    CHECK_EQ_I(-2, run(RT_OP_LAYERNORMALIZATION, at, 1, in, 2, out, 2), "LayerNormalization Mean [2] refused");
    CHECK_CONTAINS(K.err, "output 1 has shape [2], expected [2,1]", "LayerNormalization Mean dims message");
    float sc4[4];
    in[1] = TF(sc4, 1, 4);
    CHECK_EQ_I(-2, run(RT_OP_LAYERNORMALIZATION, at, 1, in, 2, out, 1), "LayerNormalization Scale [4] refused");
    CHECK_CONTAINS(K.err, "Scale does not broadcast", "LayerNormalization Scale message");
    uint16_t h[6], hs[3], hy[6];
    rt_tensor inh[2] = {ten(RT_F16, h, 2, 2, 3), ten(RT_F16, hs, 1, 3)}, outh[1] = {ten(RT_F16, hy, 2, 2, 3)};
    CHECK_EQ_I(-2, run(RT_OP_LAYERNORMALIZATION, at, 1, inh, 2, outh, 1), "LayerNormalization float16 refused");
    CHECK_CONTAINS(K.err, "float16", "LayerNormalization dtype message names the dtype");
    /* float64 */
    double xd[] = {1, 2, 3}, sd[] = {1, 1, 1}, yd[3];
    rt_tensor ind[2] = {ten(RT_F64, xd, 2, 1, 3), ten(RT_F64, sd, 1, 3)}, outd[1] = {ten(RT_F64, yd, 2, 1, 3)};
    CHECK_EQ_I(0, run(RT_OP_LAYERNORMALIZATION, at, 1, ind, 2, outd, 1), "LayerNormalization float64 runs");
    CHECK_NEAR(-sqrt(1.5), yd[0], 1e-12, "LayerNormalization float64 y[0] = -sqrt(1.5)");
}

static void t_groupnorm(void) {
    /* groups {1,3} and {10,20} each normalize to [-1, 1] */
    float x[] = {1, 3, 10, 20}, sg[] = {2, 3}, bg[] = {0, 1}, sc[] = {1, 2, 3, 4}, bc[] = {0, 0, 0, 1}, y[4];
    rt_attr at[] = {AI("num_groups", 2), AF("epsilon", 0.0f)};
    rt_tensor in[3] = {TF(x, 3, 1, 4, 1), TF(sg, 1, 2), TF(bg, 1, 2)}, out[1] = {TF(y, 3, 1, 4, 1)};
    CHECK_EQ_I(0, run(RT_OP_GROUPNORMALIZATION, at, NA(at), in, 3, out, 1), "GroupNormalization [G] params runs");
    check_vals((float[]){-2, 2, -2, 4}, y, 4, 1e-6, "GroupNormalization per-group scale (opset 18)");
    in[1] = TF(sc, 1, 4);
    in[2] = TF(bc, 1, 4);
    CHECK_EQ_I(0, run(RT_OP_GROUPNORMALIZATION, at, NA(at), in, 3, out, 1), "GroupNormalization [C] params runs");
    check_vals((float[]){-1, 2, -3, 5}, y, 4, 1e-6, "GroupNormalization per-channel scale (opset 21)");
    in[2] = TF(bg, 1, 2);
    CHECK_EQ_I(-2, run(RT_OP_GROUPNORMALIZATION, at, NA(at), in, 3, out, 1), "GroupNormalization mixed lengths refused");
    CHECK_CONTAINS(K.err, "scale and bias must both be [4] or [2]", "GroupNormalization params message");
    rt_attr a3[] = {AI("num_groups", 3)};
    CHECK_EQ_I(-2, run(RT_OP_GROUPNORMALIZATION, a3, 1, in, 3, out, 1), "GroupNormalization 3 groups of 4 refused");
    CHECK_CONTAINS(K.err, "num_groups 3 must divide channels 4", "GroupNormalization groups message");
}

static void t_lpnorm(void) {
    float x[] = {3, 4, 1, -1}, y[4];
    rt_tensor in[1] = {TF(x, 2, 2, 2)}, out[1] = {TF(y, 2, 2, 2)};
    CHECK_EQ_I(0, run(RT_OP_LPNORMALIZATION, NULL, 0, in, 1, out, 1), "LpNormalization p 2 runs");
    check_vals((float[]){0.6f, 0.8f, 0.70710678f, -0.70710678f}, y, 4, 1e-6, "LpNormalization p 2 axis -1");
    rt_attr p1[] = {AI("p", 1)};
    CHECK_EQ_I(0, run(RT_OP_LPNORMALIZATION, p1, 1, in, 1, out, 1), "LpNormalization p 1 runs");
    check_vals((float[]){3 / 7.f, 4 / 7.f, 0.5f, -0.5f}, y, 4, 1e-6, "LpNormalization p 1");
    rt_attr ax0[] = {AI("axis", 0)};
    CHECK_EQ_I(0, run(RT_OP_LPNORMALIZATION, ax0, 1, in, 1, out, 1), "LpNormalization axis 0 runs");
    check_vals((float[]){0.9486833f, 0.9701425f, 0.3162278f, -0.2425356f}, y, 4, 1e-6, "LpNormalization axis 0");
    rt_attr p3[] = {AI("p", 3)};
    CHECK_EQ_I(-2, run(RT_OP_LPNORMALIZATION, p3, 1, in, 1, out, 1), "LpNormalization p 3 refused");
    CHECK_CONTAINS(K.err, "p must be 1 or 2, got 3", "LpNormalization p message");
}

int main(void) {
    t_batchnorm();
    t_instnorm();
    t_layernorm();
    t_groupnorm();
    t_lpnorm();
    T_DONE();
}
