/* test_kernels_quant.c - the quantization family on CPU (QuantizeLinear, DequantizeLinear,
 * DynamicQuantizeLinear) against values computed by hand: rounding half to even, saturation,
 * per-tensor and per-axis scales, the zero point's dtype deciding the output's; the clean
 * refusals (SUPPORTS) with their messages; SUPPORTS with no data (scales known only at run
 * time) and RUN's check that the data is there; and the shape functions of these ops. */
#include <stdarg.h>
#include <stdint.h>
#include "ir/ir.h"
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
#define TU8(data, rank, ...) ten(RT_U8, data, rank, __VA_ARGS__)
#define TI8(data, rank, ...) ten(RT_I8, data, rank, __VA_ARGS__)

#define AI(nm, v) {.name = nm, .type = RT_ATTR_INT, .i = (v)}

/* supports -> scratch (must be 0) -> run; -2 if unsupported, -3 if scratch is asked for. */
static int run(int op, const rt_attr *at, int na, rt_tensor *in, int nin, rt_tensor *out, int nout) {
    memset(&K, 0, sizeof K);
    K.nthreads = 2;
    if (!rt_cpu_supports(op, at, na, in, nin, out, nout, &K)) return -2;
    if (rt_cpu_scratch(op, at, na, in, nin, out, nout) != 0) return -3;
    return rt_cpu_run(op, at, na, in, nin, out, nout, &K);
}

/* SUPPORTS with every data pointer NULL (codegen's compile-time question). */
static int supports_nodata(int op, const rt_attr *at, int na, const rt_tensor *in, int nin,
                           const rt_tensor *out, int nout) {
    rt_tensor i2[3], o2[3];
    for (int j = 0; j < nin; j++) i2[j] = in[j], i2[j].data = NULL;
    for (int j = 0; j < nout; j++) o2[j] = out[j], o2[j].data = NULL;
    memset(&K, 0, sizeof K);
    return rt_cpu_supports(op, at, na, i2, nin, o2, nout, &K);
}

static void eq_i(const char *what, const long long *exp, const void *got, int dt, int n) {
    int bad = -1;
    long long g = 0;
    for (int i = 0; i < n && bad < 0; i++) {
        g = dt == RT_I8 ? ((const int8_t *)got)[i] : ((const uint8_t *)got)[i];
        if (g != exp[i]) bad = i;
    }
    if (bad < 0) CHECK(1, "%s: %d values match", what, n);
    else CHECK(0, "%s: value %d expected %lld, got %lld (err: %s)", what, bad, exp[bad], g, K.err);
}

static void eq_f(const char *what, const float *exp, const float *got, int n) {
    int bad = -1;
    for (int i = 0; i < n && bad < 0; i++)
        if (!(fabs((double)exp[i] - (double)got[i]) <= 1e-6 * (1 + fabs((double)exp[i])))) bad = i;
    if (bad < 0) CHECK(1, "%s: %d values match", what, n);
    else CHECK(0, "%s: value %d expected %g, got %g (err: %s)", what, bad, exp[bad], got[bad], K.err);
}

static void t_quantize(void) {
    int op = RT_OP_QUANTIZELINEAR;
    /* x / 2 = 0, 1, 1.5, 2.5, -2.5, 500, -500: halves to even (2, 2, -2), then + 128, saturated */
    float x[] = {0, 2, 3, 5, -5, 1000, -1000}, s = 2;
    uint8_t zp = 128, y[7];
    rt_tensor in[3] = {TF(x, 1, 7), TF(&s, 0, 0), TU8(&zp, 0, 0)}, out[1] = {TU8(y, 1, 7)};
    CHECK_EQ_I(0, run(op, NULL, 0, in, 3, out, 1), "QuantizeLinear uint8 per tensor runs");
    eq_i("QuantizeLinear round half to even, + 128, saturate to [0, 255]",
         (long long[]){128, 129, 130, 130, 126, 255, 0}, y, RT_U8, 7);
    CHECK_EQ_I(1, supports_nodata(op, NULL, 0, in, 3, out, 1), "QuantizeLinear supported with NULL data");
    in[1].data = NULL;
    CHECK_EQ_I(-1, run(op, NULL, 0, in, 3, out, 1), "QuantizeLinear with no scale data fails at run time");
    CHECK_CONTAINS(K.err, "input 1 (scale) has no data", "QuantizeLinear no-data message");
    in[1].data = &s;

    /* no zero point: uint8, zero point 0 */
    float x2[] = {-1, 1.4f, 2.6f, NAN, INFINITY}, one = 1;
    rt_tensor in2[2] = {TF(x2, 1, 5), TF(&one, 0, 0)}, out2[1] = {TU8(y, 1, 5)};
    CHECK_EQ_I(0, run(op, NULL, 0, in2, 2, out2, 1), "QuantizeLinear without zero point runs");
    eq_i("QuantizeLinear -1, 1.4, 2.6, NaN, inf -> 0, 1, 3, zp, 255", (long long[]){0, 1, 3, 0, 255}, y, RT_U8, 5);

    /* int8 zero point -1: -301 and 299 saturate to [-128, 127] */
    float x3[] = {-300, 1, 300};
    int8_t zi = -1, yi[3];
    rt_tensor in3[3] = {TF(x3, 1, 3), TF(&one, 0, 0), TI8(&zi, 0, 0)}, out3[1] = {TI8(yi, 1, 3)};
    CHECK_EQ_I(0, run(op, NULL, 0, in3, 3, out3, 1), "QuantizeLinear int8 runs");
    eq_i("QuantizeLinear int8 saturates", (long long[]){-128, 0, 127}, yi, RT_I8, 3);

    /* per axis 1 (the default): x [2,3], scale [1,2,4], zero point [0,10,20] */
    float x4[] = {1, 2, 4, 8, 16, 32}, s4[] = {1, 2, 4};
    uint8_t z4[] = {0, 10, 20}, y4[6];
    rt_tensor in4[3] = {TF(x4, 2, 2, 3), TF(s4, 1, 3), TU8(z4, 1, 3)}, out4[1] = {TU8(y4, 2, 2, 3)};
    CHECK_EQ_I(0, run(op, NULL, 0, in4, 3, out4, 1), "QuantizeLinear per axis 1 runs");
    eq_i("QuantizeLinear per axis 1", (long long[]){1, 11, 21, 8, 18, 28}, y4, RT_U8, 6);
    /* per axis 0: scale [1, 10]; 35 / 10 = 3.5 -> 4 */
    float x5[] = {1, 2, 3, 10, 20, 35}, s5[] = {1, 10};
    rt_tensor in5[2] = {TF(x5, 2, 2, 3), TF(s5, 1, 2)};
    rt_attr ax0[] = {AI("axis", 0)}, axm2[] = {AI("axis", -2)};
    CHECK_EQ_I(0, run(op, ax0, 1, in5, 2, out4, 1), "QuantizeLinear per axis 0 runs");
    eq_i("QuantizeLinear per axis 0", (long long[]){1, 2, 3, 1, 2, 4}, y4, RT_U8, 6);
    CHECK_EQ_I(0, run(op, axm2, 1, in5, 2, out4, 1), "QuantizeLinear axis -2 runs");
    eq_i("QuantizeLinear axis -2 is axis 0", (long long[]){1, 2, 3, 1, 2, 4}, y4, RT_U8, 6);

    /* float16 x and scale: 1/2 = 0.5 -> 0, 3/2 = 1.5 -> 2 */
    uint16_t xh[] = {rt_f32_to_f16(1), rt_f32_to_f16(3)}, sh = rt_f32_to_f16(2);
    rt_tensor in6[2] = {ten(RT_F16, xh, 1, 2), ten(RT_F16, &sh, 0, 0)}, out6[1] = {TU8(y, 1, 2)};
    CHECK_EQ_I(0, run(op, NULL, 0, in6, 2, out6, 1), "QuantizeLinear float16 runs");
    eq_i("QuantizeLinear float16", (long long[]){0, 2}, y, RT_U8, 2);
    /* int32 x: 7/2 = 3.5 -> 4, -7/2 -> -4 */
    int32_t xw[] = {7, -7};
    rt_tensor in7[3] = {ten(RT_I32, xw, 1, 2), TF(&s, 0, 0), TI8(&zi, 0, 0)}, out7[1] = {TI8(yi, 1, 2)};
    zi = 0;
    CHECK_EQ_I(0, run(op, NULL, 0, in7, 3, out7, 1), "QuantizeLinear int32 x runs");
    eq_i("QuantizeLinear int32 x", (long long[]){4, -4}, yi, RT_I8, 2);

    /* refusals */
    rt_tensor bad[3] = {TF(x4, 2, 2, 3), TF(s4, 2, 1, 3), TU8(z4, 1, 3)};
    CHECK_EQ_I(-2, run(op, NULL, 0, bad, 2, out4, 1), "QuantizeLinear 2-D scale refused");
    CHECK_CONTAINS(K.err, "scale must be a scalar or 1-D, got rank 2", "2-D scale message");
    bad[1] = TF(s4, 1, 3);
    CHECK_EQ_I(-2, run(op, ax0, 1, bad, 2, out4, 1), "QuantizeLinear 3 scales for axis 0 of 2 refused");
    CHECK_CONTAINS(K.err, "scale has 3 values but axis 0 of x has 2", "per-axis count message");
    rt_attr bs[] = {AI("block_size", 2)};
    CHECK_EQ_I(-2, run(op, bs, 1, bad, 2, out4, 1), "QuantizeLinear block_size refused");
    CHECK_CONTAINS(K.err, "blocked quantization (block_size=2)", "block_size message");
    bad[2] = TU8(z4, 1, 2);
    CHECK_EQ_I(-2, run(op, NULL, 0, bad, 3, out4, 1), "QuantizeLinear zero point [2] for scale [3] refused");
    CHECK_CONTAINS(K.err, "zero point is [2] but scale is [3]", "zero point shape message");
    int32_t yw[6];
    rt_tensor ow[1] = {ten(RT_I32, yw, 2, 2, 3)};
    CHECK_EQ_I(-2, run(op, NULL, 0, bad, 2, ow, 1), "QuantizeLinear to int32 refused");
    CHECK_CONTAINS(K.err, "output type int32 is not supported", "output type message");
    rt_tensor mism[3] = {TF(x3, 1, 3), TF(&one, 0, 0), TU8(&zp, 0, 0)};
    CHECK_EQ_I(-2, run(op, NULL, 0, mism, 3, out3, 1), "QuantizeLinear uint8 zero point, int8 output refused");
    CHECK_CONTAINS(K.err, "zero point is uint8 but the output is int8", "zero point dtype message");
}

static void t_dequantize(void) {
    int op = RT_OP_DEQUANTIZELINEAR;
    uint8_t x[] = {0, 3, 128, 255}, zp = 128;
    float s = 2, y[4];
    rt_tensor in[3] = {TU8(x, 1, 4), TF(&s, 0, 0), TU8(&zp, 0, 0)}, out[1] = {TF(y, 1, 4)};
    CHECK_EQ_I(0, run(op, NULL, 0, in, 3, out, 1), "DequantizeLinear uint8 runs");
    eq_f("DequantizeLinear (x - 128) * 2", (float[]){-256, -250, 0, 254}, y, 4);
    CHECK_EQ_I(1, supports_nodata(op, NULL, 0, in, 3, out, 1), "DequantizeLinear supported with NULL data");

    int32_t xw[] = {-5, 100};
    float h = 0.5f;
    rt_tensor in2[2] = {ten(RT_I32, xw, 1, 2), TF(&h, 0, 0)}, out2[1] = {TF(y, 1, 2)};
    CHECK_EQ_I(0, run(op, NULL, 0, in2, 2, out2, 1), "DequantizeLinear int32 without zero point runs");
    eq_f("DequantizeLinear int32 * 0.5", (float[]){-2.5f, 50}, y, 2);

    /* per axis 1: x int8 [2,2], scale [1, 0.5], zero point [1, -2] */
    int8_t x3[] = {1, 2, 3, 4}, z3[] = {1, -2};
    float s3[] = {1, 0.5f};
    rt_tensor in3[3] = {TI8(x3, 2, 2, 2), TF(s3, 1, 2), TI8(z3, 1, 2)}, out3[1] = {TF(y, 2, 2, 2)};
    CHECK_EQ_I(0, run(op, NULL, 0, in3, 3, out3, 1), "DequantizeLinear int8 per axis runs");
    eq_f("DequantizeLinear int8 per axis", (float[]){0, 2, 2, 3}, y, 4);

    /* float16 scale: float16 output, 3 * 0.5 = 1.5 */
    uint16_t sh = rt_f32_to_f16(0.5f), yh[1];
    rt_tensor in4[2] = {TU8(x + 1, 1, 1), ten(RT_F16, &sh, 0, 0)}, out4[1] = {ten(RT_F16, yh, 1, 1)};
    CHECK_EQ_I(0, run(op, NULL, 0, in4, 2, out4, 1), "DequantizeLinear float16 scale runs");
    CHECK_NEAR(1.5, rt_f16_to_f32(yh[0]), 0, "DequantizeLinear float16 output");
    CHECK_EQ_I(-2, run(op, NULL, 0, in4, 2, out2, 1), "DequantizeLinear float16 scale, float32 output refused");
    CHECK_CONTAINS(K.err, "output 0 is float32, expected float16", "output dtype message");

    /* refusals */
    rt_tensor mism[3] = {TI8(x3, 2, 2, 2), TF(s3, 1, 2), TU8(x, 1, 2)};
    CHECK_EQ_I(-2, run(op, NULL, 0, mism, 3, out3, 1), "DequantizeLinear uint8 zero point for int8 x refused");
    CHECK_CONTAINS(K.err, "zero point is uint8 but x is int8", "zero point dtype message");
    rt_tensor fx[2] = {TF(y, 1, 4), TF(&s, 0, 0)};
    CHECK_EQ_I(-2, run(op, NULL, 0, fx, 2, out, 1), "DequantizeLinear float x refused");
    CHECK_CONTAINS(K.err, "x is float32; uint8, int8", "x dtype message");
}

static void t_dynquant(void) {
    int op = RT_OP_DYNAMICQUANTIZELINEAR;
    /* range [-3, 2]: scale 5/255, zero point 3 / (5/255) = 153; 2 -> 102 + 153, 1 -> 51 + 153 */
    float x[] = {0, 2, -3, 1}, sc;
    uint8_t y[4], zp;
    rt_tensor in[1] = {TF(x, 1, 4)};
    rt_tensor out[3] = {TU8(y, 1, 4), TF(&sc, 0, 0), TU8(&zp, 0, 0)};
    CHECK_EQ_I(0, run(op, NULL, 0, in, 1, out, 3), "DynamicQuantizeLinear runs");
    CHECK_NEAR(5.0 / 255, sc, 1e-8, "DynamicQuantizeLinear scale (max - min) / 255");
    CHECK_EQ_I(153, zp, "DynamicQuantizeLinear zero point");
    eq_i("DynamicQuantizeLinear y", (long long[]){153, 255, 0, 204}, y, RT_U8, 4);
    /* all positive: the range starts at 0, zero point 0 */
    float x2[] = {1, 2.55f};
    rt_tensor in2[1] = {TF(x2, 1, 2)};
    out[0] = TU8(y, 1, 2);
    CHECK_EQ_I(0, run(op, NULL, 0, in2, 1, out, 3), "DynamicQuantizeLinear positive runs");
    CHECK_NEAR(0.01, sc, 1e-8, "DynamicQuantizeLinear positive scale");
    CHECK_EQ_I(0, zp, "DynamicQuantizeLinear positive zero point");
    eq_i("DynamicQuantizeLinear positive y", (long long[]){100, 255}, y, RT_U8, 2);
    /* all zeros: scale 1/255 (the reference's choice), y 0 */
    float x3[] = {0, 0};
    in2[0] = TF(x3, 1, 2);
    CHECK_EQ_I(0, run(op, NULL, 0, in2, 1, out, 3), "DynamicQuantizeLinear zeros runs");
    CHECK_NEAR(1.0 / 255, sc, 1e-8, "DynamicQuantizeLinear zeros scale 1/255");
    eq_i("DynamicQuantizeLinear zeros y", (long long[]){0, 0}, y, RT_U8, 2);
    CHECK_EQ_I(1, supports_nodata(op, NULL, 0, in, 1, (rt_tensor[]){TU8(y, 1, 4), TF(&sc, 0, 0), TU8(&zp, 0, 0)}, 3),
               "DynamicQuantizeLinear supported with NULL data");
    rt_tensor bad[3] = {TU8(y, 1, 4), TU8(&zp, 0, 0), TU8(&zp, 0, 0)};
    CHECK_EQ_I(-2, run(op, NULL, 0, in, 1, bad, 3), "DynamicQuantizeLinear uint8 scale output refused");
    CHECK_CONTAINS(K.err, "output 1 is uint8, expected float32", "scale output message");
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
static int fresh(const char *name) { return val(name, IR_DT_UNDEF, -1, NULL); }

static void t_shapes(void) {
    G = ir_graph_new();
    int x = val("x", IR_DT_FLOAT, 3, (int64_t[]){2, 3, 4}), s = val("s", IR_DT_FLOAT, 0, NULL);
    int s3 = val("s3", IR_DT_FLOAT, 1, (int64_t[]){3}), zi = val("zi", IR_DT_INT8, 1, (int64_t[]){3});
    int zu = val("zu", IR_DT_UINT8, 0, NULL);
    int y1 = fresh("y1"), y2 = fresh("y2"), y3 = fresh("y3"), y4 = fresh("y4"), y5 = fresh("y5");
    int n = ir_node_add(G, IR_OP_QUANTIZELINEAR, "q_axis", 3, (int[]){x, s3, zi}, 1, &y1);
    CHECK_EQ_I(0, ir_shape_infer_node(G, n), "QuantizeLinear per axis infers");
    CHECK_EQ_S("int8[2x3x4]", type_of(y1), "QuantizeLinear: the zero point's dtype");
    n = ir_node_add(G, IR_OP_QUANTIZELINEAR, "q_nozp", 2, (int[]){x, s}, 1, &y2);
    CHECK_EQ_I(0, ir_shape_infer_node(G, n), "QuantizeLinear without zero point infers");
    CHECK_EQ_S("uint8[2x3x4]", type_of(y2), "QuantizeLinear: uint8 without zero point");
    n = ir_node_add(G, IR_OP_QUANTIZELINEAR, "q_od", 2, (int[]){x, s}, 1, &y3);
    ir_node_add_attr(G, n, "output_dtype", IR_ATTR_INT)->i = IR_DT_INT16;
    CHECK_EQ_I(0, ir_shape_infer_node(G, n), "QuantizeLinear output_dtype infers");
    CHECK_EQ_S("int16[2x3x4]", type_of(y3), "QuantizeLinear: attr output_dtype");
    n = ir_node_add(G, IR_OP_QUANTIZELINEAR, "q_f8", 2, (int[]){x, s}, 1, &y4);
    ir_node_add_attr(G, n, "output_dtype", IR_ATTR_INT)->i = 17;
    CHECK_EQ_I(-1, ir_shape_infer_node(G, n), "QuantizeLinear to float8 is an error");
    CHECK_CONTAINS(last_msg(), "quantizing to float8 (code 17) is unsupported", "float8 diagnostic");
    n = ir_node_add(G, IR_OP_QUANTIZELINEAR, "q_ax0", 3, (int[]){x, s3, zi}, 1, &y5);
    ir_node_add_attr(G, n, "axis", IR_ATTR_INT)->i = 0;
    CHECK_EQ_I(-1, ir_shape_infer_node(G, n), "QuantizeLinear 3 scales for axis 0 of 2 is an error");
    CHECK_CONTAINS(last_msg(), "input 1 (scale) has 3 values but axis 0 of input 0 has 2",
                   "per-axis diagnostic");

    int q = val("q", IR_DT_UINT8, 2, (int64_t[]){5, 3}), sh = val("sh", IR_DT_FLOAT16, 0, NULL);
    int d1 = fresh("d1"), d2 = fresh("d2"), d3 = fresh("d3");
    n = ir_node_add(G, IR_OP_DEQUANTIZELINEAR, "dq", 3, (int[]){q, s3, -1}, 1, &d1);
    CHECK_EQ_I(0, ir_shape_infer_node(G, n), "DequantizeLinear per axis 1 infers");
    CHECK_EQ_S("float32[5x3]", type_of(d1), "DequantizeLinear: the scale's dtype");
    n = ir_node_add(G, IR_OP_DEQUANTIZELINEAR, "dq_h", 3, (int[]){q, sh, zu}, 1, &d2);
    CHECK_EQ_I(0, ir_shape_infer_node(G, n), "DequantizeLinear float16 scale infers");
    CHECK_EQ_S("float16[5x3]", type_of(d2), "DequantizeLinear: float16 out of a float16 scale");
    n = ir_node_add(G, IR_OP_DEQUANTIZELINEAR, "dq_bad", 3, (int[]){q, s3, zi}, 1, &d3);
    CHECK_EQ_I(-1, ir_shape_infer_node(G, n), "DequantizeLinear int8 zero point for uint8 x is an error");
    CHECK_CONTAINS(last_msg(), "input 2 (zero point) is int8 but input 0 (x) is uint8", "zero point diagnostic");

    int o1 = fresh("o1"), o2 = fresh("o2"), o3 = fresh("o3");
    n = ir_node_add(G, IR_OP_DYNAMICQUANTIZELINEAR, "dyn", 1, &x, 3, (int[]){o1, o2, o3});
    CHECK_EQ_I(0, ir_shape_infer_node(G, n), "DynamicQuantizeLinear infers");
    CHECK_EQ_S("uint8[2x3x4]", type_of(o1), "DynamicQuantizeLinear y");
    CHECK_EQ_S("float32[]", type_of(o2), "DynamicQuantizeLinear y_scale");
    CHECK_EQ_S("uint8[]", type_of(o3), "DynamicQuantizeLinear y_zero_point");
    int p1 = fresh("p1"), p2 = fresh("p2"), p3 = fresh("p3");
    n = ir_node_add(G, IR_OP_DYNAMICQUANTIZELINEAR, "dyn_bad", 1, &q, 3, (int[]){p1, p2, p3});
    CHECK_EQ_I(-1, ir_shape_infer_node(G, n), "DynamicQuantizeLinear of uint8 is an error");
    CHECK_CONTAINS(last_msg(), "input 0 (x) must be float32, got uint8", "DynamicQuantizeLinear dtype diagnostic");
    ir_graph_free(G);
}

int main(void) {
    t_quantize();
    t_dequantize();
    t_dynquant();
    t_shapes();
    T_DONE();
}
