/* test_shape.c - shape and dtype inference (ir/ir_shape.c, ir/ir_shape2.c).
 *
 * Every expected shape was worked out by hand and agrees with onnx.shape_inference (onnx 1.17)
 * or, where the two differ, with onnxruntime's output: MaxPool with ceil_mode drops a last
 * window that starts in the end padding, as onnxruntime and PyTorch do. Error cases compare
 * the whole message. */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include "ir.h"
#include "t.h"

enum { F = IR_DT_FLOAT, I64 = IR_DT_INT64, BOOL = IR_DT_BOOL };

static ir_graph *G;

/* A value; dims NULL when rank <= 0. */
static int V(const char *name, int dt, int rank, const int64_t *dims) {
    return ir_value_add(G, name, dt, rank, dims);
}

/* A value of unknown type (a node output to infer). */
static int O(const char *name) { return ir_value_add(G, name, IR_DT_UNDEF, -1, NULL); }

/* Dim i of value v becomes the symbol sym. */
static void SYM(int v, int i, const char *sym) {
    G->vals[v].dims[i].v = -1;
    G->vals[v].dims[i].sym = sym;
}

/* A constant int64 tensor of rank (0 or 1) with n values. */
static int CI(const char *name, int rank, int n, const int64_t *vals) {
    ir_tensor t = {.dtype = I64, .rank = rank, .dims = {n}, .data = (void *)vals,
                   .nbytes = (size_t)n * 8};
    int v = ir_value_add(G, name, I64, rank, rank ? (int64_t[]){n} : NULL);
    ir_value_set_const(G, v, &t, 1);
    return v;
}

static int CF(const char *name, int rank, int n, const float *vals) {
    ir_tensor t = {.dtype = F, .rank = rank, .dims = {n}, .data = (void *)vals,
                   .nbytes = (size_t)n * 4};
    int v = ir_value_add(G, name, F, rank, rank ? (int64_t[]){n} : NULL);
    ir_value_set_const(G, v, &t, 1);
    return v;
}

static int N(ir_op op, const char *name, int nin, const int *in, int nout, const int *out) {
    return ir_node_add(G, op, name, nin, in, nout, out);
}

static void AI(int n, const char *name, int64_t v) { ir_node_add_attr(G, n, name, IR_ATTR_INT)->i = v; }
static void AS(int n, const char *name, const char *s) {
    ir_node_add_attr(G, n, name, IR_ATTR_STRING)->s = ir_arena_strdup(G->arena, s);
}
static void AIS(int n, const char *name, int cnt, const int64_t *v) {
    ir_attr *a = ir_node_add_attr(G, n, name, IR_ATTR_INTS);
    a->n = cnt;
    a->ints = ir_arena_alloc(G->arena, (size_t)cnt * 8 + 8);
    memcpy(a->ints, v, (size_t)cnt * 8);
}

/* "float32[2x3x4]" of value v (rotating buffers, so several may be live). */
static const char *TG(const ir_graph *g, int v) {
    static char buf[8][128];
    static int k;
    k = (k + 1) % 8;
    return ir_value_type_str(&g->vals[v], buf[k], sizeof buf[k]);
}
static const char *T(int v) { return TG(G, v); }

static const char *LASTMSG(void) {
    ir_diag *d = ir_graph_diag(G);
    return d->nmsg ? d->msgs[d->nmsg - 1] : "(no message)";
}

/* Infer node n; expect success. */
static void OK(int n, const char *what) {
    int before = ir_graph_diag(G)->nerr;
    int rc = ir_shape_infer_node(G, n);
    CHECK(rc == 0 && ir_graph_diag(G)->nerr == before, "%s infers without error%s%s", what,
          rc ? ": " : "", rc ? LASTMSG() : "");
}

/* Infer node n; expect failure with exactly msg. */
static void ERR(int n, const char *msg) {
    int rc = ir_shape_infer_node(G, n);
    CHECK_EQ_I(-1, rc, "error return");
    CHECK_EQ_S(msg, LASTMSG(), "error message");
}

#define D(...) ((const int64_t[]){__VA_ARGS__})
#define IN(...) ((const int[]){__VA_ARGS__})

static void test_elementwise(void) {
    int a = V("a", F, 3, D(2, 1, 4)), b = V("b", F, 2, D(3, 1)), y = O("y");
    int n = N(IR_OP_ADD, "add0", 2, IN(a, b), 1, &y);
    OK(n, "Add [2,1,4]+[3,1]");
    CHECK_EQ_S("float32[2x3x4]", T(y), "Add broadcast");

    int s = V("s", F, 0, NULL), y2 = O("y2");
    OK(N(IR_OP_MUL, "mul_scalar", 2, IN(a, s), 1, &y2), "Mul by scalar");
    CHECK_EQ_S("float32[2x1x4]", T(y2), "Mul by a scalar keeps the shape");

    int c = V("c", BOOL, 1, D(4)), y3 = O("y3");
    OK(N(IR_OP_WHERE, "where0", 3, IN(c, b, a), 1, &y3), "Where");
    CHECK_EQ_S("float32[2x3x4]", T(y3), "Where broadcasts all three");

    int y4 = O("y4");
    OK(N(IR_OP_LESS, "less0", 2, IN(a, b), 1, &y4), "Less");
    CHECK_EQ_S("bool[2x3x4]", T(y4), "comparison gives bool");

    int y5 = O("y5"), y6 = O("y6");
    OK(N(IR_OP_SUM, "sum3", 3, IN(a, b, s), 1, &y5), "Sum of three");
    CHECK_EQ_S("float32[2x3x4]", T(y5), "Sum broadcasts variadic inputs");
    int cast = N(IR_OP_CAST, "cast0", 1, IN(a), 1, &y6);
    AI(cast, "to", IR_DT_FLOAT16);
    OK(cast, "Cast");
    CHECK_EQ_S("float16[2x1x4]", T(y6), "Cast to float16");

    int y7 = O("y7"), m7 = O("m7");
    OK(N(IR_OP_DROPOUT, "drop0", 1, IN(a), 2, IN(y7, m7)), "Dropout");
    CHECK_EQ_S("float32[2x1x4]", T(y7), "Dropout output");
    CHECK_EQ_S("bool[2x1x4]", T(m7), "Dropout mask is bool");

    int e = V("e", I64, 2, D(5, 1)), y8 = O("y8");
    OK(N(IR_OP_POW, "pow0", 2, IN(a, e), 1, &y8), "Pow float^int64");
    CHECK_EQ_S("float32[2x5x4]", T(y8) , "Pow: X's dtype, broadcast shape");

    /* errors */
    int p = V("p", F, 2, D(2, 3)), q = V("q", F, 1, D(4)), z = O("z");
    ERR(N(IR_OP_ADD, "add_bad", 2, IN(p, q), 1, &z),
        "node 'add_bad' (Add): inputs 0 and 1 do not broadcast: 3 vs 4 (shapes [2x3] and [4])");
    int qi = V("qi", I64, 1, D(3)), z2 = O("z2");
    ERR(N(IR_OP_SUB, "sub_dt", 2, IN(p, qi), 1, &z2),
        "node 'sub_dt' (Sub): input 1 is int64 but input 0 is float32");
}

static void test_symbolic(void) {
    int x = V("x", F, 3, D(0, 4, 5)), bias = V("bias", F, 1, D(5)), y = O("ys");
    SYM(x, 0, "batch");
    OK(N(IR_OP_ADD, "add_sym", 2, IN(x, bias), 1, &y), "Add with symbolic batch");
    CHECK_EQ_S("float32[batchx4x5]", T(y), "batch flows through Add");
    int w = V("w", F, 2, D(5, 6)), m = O("ms");
    OK(N(IR_OP_MATMUL, "mm_sym", 2, IN(y, w), 1, &m), "MatMul with symbolic batch");
    CHECK_EQ_S("float32[batchx4x6]", T(m), "batch flows through MatMul");

    /* batch vs batch stays; batch vs seq becomes unknown; batch vs 1 stays */
    int u = V("u", F, 2, D(0, 1)), v = V("v", F, 2, D(0, 7)), r1 = O("r1"), r2 = O("r2");
    SYM(u, 0, "batch");
    SYM(v, 0, "seq");
    OK(N(IR_OP_MUL, "mul_syms", 2, IN(u, v), 1, &r1), "Mul batch x seq");
    CHECK_EQ_S("float32[?x7]", T(r1), "different symbols broadcast to unknown");
    OK(N(IR_OP_MUL, "mul_same", 2, IN(u, x), 1, &r2), "Mul [batch,1] x [batch,4,5]");
    CHECK_EQ_S("float32[batchx4x5]", T(r2), "same symbol stays");

    /* an unknown dim without a name against a named one: unknown */
    int k = V("k", F, 1, D(-1)), r3 = O("r3");
    OK(N(IR_OP_ADD, "add_unk", 2, IN(k, u), 1, &r3), "Add [?] + [batch,1]");
    CHECK_EQ_S("float32[batchx?]", T(r3), "unnamed vs 1 stays unknown");

    /* Reshape with 0-copy keeps the symbol and infers -1 past it */
    int h = V("h", F, 3, D(0, 0, 768)), r4 = O("r4");
    SYM(h, 0, "batch");
    SYM(h, 1, "seq");
    int shp = CI("shp_heads", 1, 4, D(0, 0, 12, -1));
    OK(N(IR_OP_RESHAPE, "split_heads", 2, IN(h, shp), 1, &r4), "Reshape [batch,seq,768]");
    CHECK_EQ_S("float32[batchxseqx12x64]", T(r4), "Reshape 0-copies symbols, -1 is 64");

    int perm_out = O("r5");
    int tn = N(IR_OP_TRANSPOSE, "tr_heads", 1, IN(r4), 1, &perm_out);
    AIS(tn, "perm", 4, D(0, 2, 1, 3));
    OK(tn, "Transpose");
    CHECK_EQ_S("float32[batchx12xseqx64]", T(perm_out), "Transpose moves symbols");

    int g_idx = V("ids", I64, 2, D(0, 0)), emb = V("emb", F, 2, D(100, 16)), ge = O("ge");
    SYM(g_idx, 0, "batch");
    SYM(g_idx, 1, "seq");
    OK(N(IR_OP_GATHER, "embed", 2, IN(emb, g_idx), 1, &ge), "Gather embedding");
    CHECK_EQ_S("float32[batchxseqx16]", T(ge), "Gather keeps index symbols");
}

static void test_matmul(void) {
    int a = V("ma", F, 4, D(2, 3, 4, 5)), b = V("mb", F, 2, D(5, 6)), y = O("my");
    OK(N(IR_OP_MATMUL, "mm0", 2, IN(a, b), 1, &y), "MatMul 4-D @ 2-D");
    CHECK_EQ_S("float32[2x3x4x6]", T(y), "MatMul [2,3,4,5]@[5,6]");
    int v5 = V("v5", F, 1, D(5)), y1 = O("my1"), y2 = O("my2"), y3 = O("my3");
    OK(N(IR_OP_MATMUL, "mm1", 2, IN(v5, b), 1, &y1), "MatMul 1-D @ 2-D");
    CHECK_EQ_S("float32[6]", T(y1), "MatMul [5]@[5,6]");
    OK(N(IR_OP_MATMUL, "mm2", 2, IN(a, v5), 1, &y2), "MatMul 4-D @ 1-D");
    CHECK_EQ_S("float32[2x3x4]", T(y2), "MatMul [2,3,4,5]@[5]");
    OK(N(IR_OP_MATMUL, "mm3", 2, IN(v5, v5), 1, &y3), "MatMul 1-D @ 1-D");
    CHECK_EQ_S("float32[]", T(y3), "MatMul [5]@[5] is a scalar");
    int c = V("mc", F, 4, D(2, 1, 4, 5)), d = V("md", F, 3, D(3, 5, 6)), y4 = O("my4");
    OK(N(IR_OP_MATMUL, "mm4", 2, IN(c, d), 1, &y4), "MatMul batch broadcast");
    CHECK_EQ_S("float32[2x3x4x6]", T(y4), "MatMul [2,1,4,5]@[3,5,6]");

    int e = V("me", F, 2, D(2, 5)), f = V("mf", F, 2, D(6, 3)), z = O("mz");
    ERR(N(IR_OP_MATMUL, "mm_bad", 2, IN(e, f), 1, &z),
        "node 'mm_bad' (MatMul): inner dimensions do not match: 5 vs 6 (shapes [2x5] and [6x3])");

    int ga = V("ga", F, 2, D(7, 3)), gb = V("gb", F, 2, D(4, 7)), gc = V("gc", F, 1, D(4));
    int gy = O("gy");
    int gn = N(IR_OP_GEMM, "gemm0", 3, IN(ga, gb, gc), 1, &gy);
    AI(gn, "transA", 1);
    AI(gn, "transB", 1);
    OK(gn, "Gemm transA transB");
    CHECK_EQ_S("float32[3x4]", T(gy), "Gemm A'[3,7] B'[7,4]");

    int ea = V("ea", F, 3, D(2, 3, 4)), eb = V("eb", F, 3, D(2, 4, 5)), ey = O("ey");
    int en = N(IR_OP_EINSUM, "einsum0", 2, IN(ea, eb), 1, &ey);
    AS(en, "equation", "bij,bjk->bik");
    OK(en, "Einsum bij,bjk->bik");
    CHECK_EQ_S("float32[2x3x5]", T(ey), "Einsum batched matmul");
    int ey2 = O("ey2");
    int en2 = N(IR_OP_EINSUM, "einsum1", 2, IN(ea, eb), 1, &ey2);
    AS(en2, "equation", "Bij , bjk");  /* implicit output: labels used once, ASCII order */
    OK(en2, "Einsum implicit output");
    CHECK_EQ_S("float32[2x2x3x5]", T(ey2), "Einsum 'Bij,bjk' -> 'Bbik'");
    int sq = V("sq", F, 2, D(3, 3)), ey3 = O("ey3");
    int en3 = N(IR_OP_EINSUM, "einsum2", 1, IN(sq), 1, &ey3);
    AS(en3, "equation", "ii->i");
    OK(en3, "Einsum diagonal");
    CHECK_EQ_S("float32[3]", T(ey3), "Einsum ii->i");
    int ey4 = O("ey4");
    int en4 = N(IR_OP_EINSUM, "einsum_bad", 2, IN(ea, eb), 1, &ey4);
    AS(en4, "equation", "bij,bkl->bil");
    OK(en4, "Einsum with independent labels");
    CHECK_EQ_S("float32[2x3x5]", T(ey4), "Einsum bij,bkl->bil");
    int ey5 = O("ey5");
    int en5 = N(IR_OP_EINSUM, "einsum_rank", 2, IN(ea, eb), 1, &ey5);
    AS(en5, "equation", "ij,bjk->bik");
    ERR(en5, "node 'einsum_rank' (Einsum): equation 'ij,bjk->bik': term 0 has 2 labels but "
             "input 0 has rank 3");
}

static void test_conv_pool(void) {
    int x = V("cx", F, 4, D(1, 3, 32, 32)), w = V("cw", F, 4, D(8, 3, 3, 3)), y = O("cy");
    int n = N(IR_OP_CONV, "conv0", 2, IN(x, w), 1, &y);
    AIS(n, "strides", 2, D(2, 2));
    AIS(n, "pads", 4, D(1, 1, 1, 1));
    OK(n, "Conv k3 s2 p1");
    CHECK_EQ_S("float32[1x8x16x16]", T(y), "Conv [1,3,32,32] k3 s2 p1");

    int x2 = V("cx2", F, 4, D(1, 3, 33, 33)), y2 = O("cy2");
    int n2 = N(IR_OP_CONV, "conv_same", 2, IN(x2, w), 1, &y2);
    AIS(n2, "strides", 2, D(2, 2));
    AS(n2, "auto_pad", "SAME_UPPER");
    OK(n2, "Conv SAME_UPPER");
    CHECK_EQ_S("float32[1x8x17x17]", T(y2), "Conv SAME_UPPER s2 on 33 -> ceil(33/2)");

    int x3 = V("cx3", F, 4, D(1, 6, 10, 10)), w3 = V("cw3", F, 4, D(4, 3, 3, 3)), y3 = O("cy3");
    int n3 = N(IR_OP_CONV, "conv_group", 2, IN(x3, w3), 1, &y3);
    AI(n3, "group", 2);
    AIS(n3, "dilations", 2, D(2, 2));
    OK(n3, "Conv group 2 dilation 2");
    CHECK_EQ_S("float32[1x4x6x6]", T(y3), "Conv dilation 2: 10 - 5 + 1");
    int y3b = O("cy3b");
    ERR(N(IR_OP_CONV, "conv_ch", 2, IN(x3, w), 1, &y3b),
        "node 'conv_ch' (Conv): input 0 has 6 channels but the weights expect 3 x group 1");

    int tx = V("tx", F, 4, D(1, 8, 16, 16)), tw = V("tw", F, 4, D(8, 4, 3, 3)), ty = O("ty");
    int tn = N(IR_OP_CONVTRANSPOSE, "deconv", 2, IN(tx, tw), 1, &ty);
    AIS(tn, "strides", 2, D(2, 2));
    AIS(tn, "pads", 4, D(1, 1, 1, 1));
    AIS(tn, "output_padding", 2, D(1, 1));
    OK(tn, "ConvTranspose");
    CHECK_EQ_S("float32[1x4x32x32]", T(ty), "ConvTranspose 2*(16-1)+1+3-2");

    int px = V("px", F, 4, D(1, 1, 6, 6)), p1 = O("p1"), p2 = O("p2"), pi = O("pi");
    int pn = N(IR_OP_MAXPOOL, "pool_floor", 1, IN(px), 1, &p1);
    AIS(pn, "kernel_shape", 2, D(3, 3));
    AIS(pn, "strides", 2, D(2, 2));
    OK(pn, "MaxPool floor");
    CHECK_EQ_S("float32[1x1x2x2]", T(p1), "MaxPool k3 s2 on 6, floor");
    int pc = N(IR_OP_MAXPOOL, "pool_ceil", 1, IN(px), 2, IN(p2, pi));
    AIS(pc, "kernel_shape", 2, D(3, 3));
    AIS(pc, "strides", 2, D(2, 2));
    AI(pc, "ceil_mode", 1);
    OK(pc, "MaxPool ceil");
    CHECK_EQ_S("float32[1x1x3x3]", T(p2), "MaxPool k3 s2 on 6, ceil");
    CHECK_EQ_S("int64[1x1x3x3]", T(pi), "MaxPool Indices are int64");
    int qx = V("qx", F, 4, D(1, 1, 5, 5)), q1 = O("q1");
    int qn = N(IR_OP_AVERAGEPOOL, "pool_ceil_pad", 1, IN(qx), 1, &q1);
    AIS(qn, "kernel_shape", 2, D(2, 2));
    AIS(qn, "strides", 2, D(2, 2));
    AIS(qn, "pads", 4, D(1, 1, 1, 1));
    AI(qn, "ceil_mode", 1);
    OK(qn, "AveragePool ceil with pads");
    CHECK_EQ_S("float32[1x1x3x3]", T(q1), "ceil mode drops the window starting in the padding");
    int gp = O("gp");
    OK(N(IR_OP_GLOBALAVERAGEPOOL, "gap", 1, IN(x), 1, &gp), "GlobalAveragePool");
    CHECK_EQ_S("float32[1x3x1x1]", T(gp), "GlobalAveragePool");

    int sx = V("sx", F, 4, D(1, 1, 2, 2)), sy = O("sy");
    int sn = N(IR_OP_MAXPOOL, "pool_small", 1, IN(sx), 1, &sy);
    AIS(sn, "kernel_shape", 2, D(3, 3));
    ERR(sn, "node 'pool_small' (MaxPool): spatial dim 0: input size 2 (padded 2) is smaller "
            "than the kernel extent 3");
}

static void test_reshape_family(void) {
    int x = V("rx", F, 3, D(2, 3, 4)), y = O("ry");
    OK(N(IR_OP_RESHAPE, "rs0", 2, IN(x, CI("rs_s0", 1, 2, D(0, -1))), 1, &y), "Reshape [0,-1]");
    CHECK_EQ_S("float32[2x12]", T(y), "Reshape [2,3,4] by [0,-1]");
    int y2 = O("ry2");
    OK(N(IR_OP_RESHAPE, "rs1", 2, IN(x, CI("rs_s1", 1, 3, D(4, -1, 3))), 1, &y2), "Reshape -1 mid");
    CHECK_EQ_S("float32[4x2x3]", T(y2), "Reshape [2,3,4] by [4,-1,3]");
    int x12 = V("rx12", F, 2, D(3, 4)), z = O("rz");
    ERR(N(IR_OP_RESHAPE, "rs_bad", 2, IN(x12, CI("rs_s2", 1, 2, D(5, 3))), 1, &z),
        "node 'rs_bad' (Reshape): cannot reshape [3x4] into shape (5,3): 12 vs 15 elements");
    int z2 = O("rz2");
    ERR(N(IR_OP_RESHAPE, "rs_bad2", 2, IN(x12, CI("rs_s3", 1, 2, D(5, -1))), 1, &z2),
        "node 'rs_bad2' (Reshape): cannot reshape [3x4] into shape (5,-1): 12 elements are not "
        "a multiple of 5");
    int z3 = O("rz3");
    ERR(N(IR_OP_RESHAPE, "rs_two", 2, IN(x12, CI("rs_s4", 1, 2, D(-1, -1))), 1, &z3),
        "node 'rs_two' (Reshape): shape (-1,-1) has more than one -1");
    /* a shape tensor of rank 2 with 1000 elements is an error, not a crash */
    static int64_t big[1000];
    ir_tensor bt = {.dtype = I64, .rank = 2, .dims = {10, 100}, .data = big, .nbytes = sizeof big};
    int bv = V("rs_big", I64, 2, D(10, 100)), z4 = O("rz4");
    ir_value_set_const(G, bv, &bt, 0);
    ERR(N(IR_OP_RESHAPE, "rs_rank2", 2, IN(x12, bv), 1, &z4),
        "node 'rs_rank2' (Reshape): input 1 (shape) must be 1-D, got rank 2");
    /* unknown shape data with a known length gives the rank */
    int sv = V("rs_dyn", I64, 1, D(3)), y5 = O("ry5");
    OK(N(IR_OP_RESHAPE, "rs_dyn", 2, IN(x, sv), 1, &y5), "Reshape by a computed shape");
    CHECK_EQ_S("float32[?x?x?]", T(y5), "computed shape of length 3: rank 3");
    int y6 = O("ry6");
    int an = N(IR_OP_RESHAPE, "rs_zero", 2, IN(x12, CI("rs_s5", 1, 3, D(0, 3, 4))), 1, &y6);
    AI(an, "allowzero", 1);
    ERR(an, "node 'rs_zero' (Reshape): cannot reshape [3x4] into shape (0,3,4): 12 vs 0 elements");

    int fy = O("fy");
    int fn = N(IR_OP_FLATTEN, "flat0", 1, IN(x), 1, &fy);
    AI(fn, "axis", 2);
    OK(fn, "Flatten axis 2");
    CHECK_EQ_S("float32[6x4]", T(fy), "Flatten [2,3,4] axis 2");

    int uy = O("uy"), sy = O("sqy");
    OK(N(IR_OP_UNSQUEEZE, "unsq", 2, IN(x12, CI("uq_a", 1, 2, D(0, -1))), 1, &uy), "Unsqueeze");
    CHECK_EQ_S("float32[1x3x4x1]", T(uy), "Unsqueeze axes 0,-1");
    OK(N(IR_OP_SQUEEZE, "sq", 2, IN(uy, CI("sq_a", 1, 1, D(3))), 1, &sy), "Squeeze");
    CHECK_EQ_S("float32[1x3x4]", T(sy), "Squeeze axis 3");
    int sy2 = O("sqy2"), sy3 = O("sqy3");
    OK(N(IR_OP_SQUEEZE, "sq_all", 1, IN(uy), 1, &sy2), "Squeeze without axes");
    CHECK_EQ_S("float32[3x4]", T(sy2), "Squeeze drops every 1");
    ERR(N(IR_OP_SQUEEZE, "sq_bad", 2, IN(uy, CI("sq_b", 1, 1, D(1))), 1, &sy3),
        "node 'sq_bad' (Squeeze): cannot squeeze axis 1 of size 3");

    int ty = O("tpy");
    OK(N(IR_OP_TRANSPOSE, "tp_default", 1, IN(x), 1, &ty), "Transpose default perm");
    CHECK_EQ_S("float32[4x3x2]", T(ty), "Transpose reverses by default");

    int ey = O("expy");
    int e1 = V("ex1", F, 2, D(3, 1));
    OK(N(IR_OP_EXPAND, "expand0", 2, IN(e1, CI("ex_s", 1, 3, D(2, 1, 6))), 1, &ey), "Expand");
    CHECK_EQ_S("float32[2x3x6]", T(ey), "Expand [3,1] to (2,1,6)");
    int tly = O("tly");
    OK(N(IR_OP_TILE, "tile0", 2, IN(x12, CI("tl_r", 1, 2, D(3, 2))), 1, &tly), "Tile");
    CHECK_EQ_S("float32[9x8]", T(tly), "Tile [3,4] by (3,2)");

    int pdy = O("pdy");
    OK(N(IR_OP_PAD, "pad0", 4, IN(x, CI("pd_p", 1, 4, D(1, -1, 2, 0)), -1, CI("pd_a", 1, 2, D(0, -1))),
         1, &pdy), "Pad with axes");
    CHECK_EQ_S("float32[5x3x3]", T(pdy), "Pad axes (0,-1) pads (1,-1,2,0)");

    int d2s = O("d2s"), s2d = O("s2d");
    int dn = N(IR_OP_DEPTHTOSPACE, "d2s", 1, IN(V("d2x", F, 4, D(1, 8, 3, 4))), 1, &d2s);
    AI(dn, "blocksize", 2);
    OK(dn, "DepthToSpace");
    CHECK_EQ_S("float32[1x2x6x8]", T(d2s), "DepthToSpace b2");
    int sn = N(IR_OP_SPACETODEPTH, "s2d", 1, IN(V("s2x", F, 4, D(1, 3, 4, 6))), 1, &s2d);
    AI(sn, "blocksize", 2);
    OK(sn, "SpaceToDepth");
    CHECK_EQ_S("float32[1x12x2x3]", T(s2d), "SpaceToDepth b2");
}

static void test_slice_split_concat(void) {
    int x = V("slx", F, 3, D(10, 20, 30)), y = O("sly");
    int n = N(IR_OP_SLICE, "slice0", 5,
              IN(x, CI("sl_st", 1, 3, D(-1, 0, 5)), CI("sl_en", 1, 3, D(INT64_MIN, INT64_MAX, 100)),
                 CI("sl_ax", 1, 3, D(0, 1, 2)), CI("sl_sp", 1, 3, D(-1, 3, 1))), 1, &y);
    OK(n, "Slice negative step and clamping");
    CHECK_EQ_S("float32[10x7x25]", T(y), "x[-1:INT64_MIN:-1, 0:MAX:3, 5:100]");
    int y2 = O("sly2");
    OK(N(IR_OP_SLICE, "slice1", 4, IN(x, CI("sl_st1", 1, 1, D(-3)), CI("sl_en1", 1, 1, D(-100)),
                                       CI("sl_ax1", 1, 1, D(-1))), 1, &y2), "Slice empty");
    CHECK_EQ_S("float32[10x20x0]", T(y2), "x[..., -3:-100] is empty");
    int y3 = O("sly3");
    OK(N(IR_OP_SLICE, "slice2", 5, IN(x, CI("sl_st2", 1, 1, D(25)), CI("sl_en2", 1, 1, D(2)),
                                       CI("sl_ax2", 1, 1, D(2)), CI("sl_sp2", 1, 1, D(-4))), 1, &y3),
       "Slice step -4");
    CHECK_EQ_S("float32[10x20x6]", T(y3), "x[..., 25:2:-4] has 6");
    /* onnxruntime reads an end of INT64_MAX as "to the end" in the step's direction */
    int y4 = O("sly4");
    OK(N(IR_OP_SLICE, "slice_rev", 5, IN(x, CI("sl_st5", 1, 1, D(INT64_MAX)),
                                          CI("sl_en5", 1, 1, D(INT64_MAX)), CI("sl_ax5", 1, 1, D(0)),
                                          CI("sl_sp5", 1, 1, D(-1))), 1, &y4), "Slice reversed");
    CHECK_EQ_S("float32[10x20x30]", T(y4), "x[MAX:MAX:-1] reverses the whole axis (onnxruntime)");
    int e0 = V("sle0", F, 2, D(0, 3)), y5 = O("sly5");
    OK(N(IR_OP_SLICE, "slice_empty_dim", 5, IN(e0, CI("sl_st6", 1, 1, D(-1)), CI("sl_en6", 1, 1, D(-5)),
                                                CI("sl_ax6", 1, 1, D(0)), CI("sl_sp6", 1, 1, D(-1))),
         1, &y5), "Slice of an empty dim");
    CHECK_EQ_S("float32[0x3]", T(y5), "an empty dim stays empty with a negative step");
    int z = O("slz");
    ERR(N(IR_OP_SLICE, "slice_step0", 5, IN(x, CI("sl_st3", 1, 1, D(0)), CI("sl_en3", 1, 1, D(5)),
                                             CI("sl_ax3", 1, 1, D(1)), CI("sl_sp3", 1, 1, D(0))),
          1, &z), "node 'slice_step0' (Slice): step for axis 1 is 0");
    int z2 = O("slz2");
    ERR(N(IR_OP_SLICE, "slice_axis", 4, IN(x, CI("sl_st4", 1, 1, D(0)), CI("sl_en4", 1, 1, D(5)),
                                            CI("sl_ax4", 1, 1, D(1000000000000000000LL))), 1, &z2),
        "node 'slice_axis' (Slice): axis 1000000000000000000 is out of range for rank 3");

    int s = V("spx", F, 2, D(7, 2)), a = O("spa"), b = O("spb"), c = O("spc");
    int sn = N(IR_OP_SPLIT, "split3", 1, IN(s), 3, IN(a, b, c));
    AI(sn, "num_outputs", 3);
    OK(sn, "Split num_outputs 3 of 7");
    CHECK_EQ_S("float32[3x2]", T(a), "Split chunk 0");
    CHECK_EQ_S("float32[3x2]", T(b), "Split chunk 1");
    CHECK_EQ_S("float32[1x2]", T(c), "Split last chunk is smaller");
    int d = O("spd"), e = O("spe");
    int sn2 = N(IR_OP_SPLIT, "split_sizes", 2, IN(s, CI("sp_s", 1, 2, D(1, 1))), 2, IN(d, e));
    AI(sn2, "axis", -1);
    OK(sn2, "Split by sizes");
    CHECK_EQ_S("float32[7x1]", T(e), "Split sizes (1,1) on axis -1");
    int f = O("spf"), g = O("spg");
    ERR(N(IR_OP_SPLIT, "split_odd", 1, IN(s), 2, IN(f, g)),
        "node 'split_odd' (Split): axis 0 of size 7 does not split evenly into 2 outputs");

    int c1 = V("cc1", F, 3, D(2, 3, 4)), c2 = V("cc2", F, 3, D(2, 5, 4)), cy = O("ccy");
    SYM(c1, 0, "batch");
    int cn = N(IR_OP_CONCAT, "concat0", 2, IN(c1, c2), 1, &cy);
    AI(cn, "axis", 1);
    OK(cn, "Concat axis 1");
    CHECK_EQ_S("float32[2x8x4]", T(cy), "Concat sums axis 1, unifies batch with 2");
    int c3 = V("cc3", F, 3, D(2, 5, 6)), cz = O("ccz");
    int cn2 = N(IR_OP_CONCAT, "concat_bad", 2, IN(c1, c3), 1, &cz);
    AI(cn2, "axis", 1);
    ERR(cn2, "node 'concat_bad' (Concat): input 1 has 6 at axis 2 but input 0 has 4");
    int cz2 = O("ccz2");
    int cn3 = N(IR_OP_CONCAT, "concat_axis", 2, IN(c1, c2), 1, &cz2);
    AI(cn3, "axis", 3);
    ERR(cn3, "node 'concat_axis' (Concat): attribute axis 3 is out of range for rank 3");
}

static void test_gather_reduce(void) {
    int x = V("gx", F, 3, D(4, 5, 6)), idx = V("gi", I64, 2, D(2, 3)), y = O("gy1");
    int n = N(IR_OP_GATHER, "gather1", 2, IN(x, idx), 1, &y);
    AI(n, "axis", 1);
    OK(n, "Gather axis 1");
    CHECK_EQ_S("float32[4x2x3x6]", T(y), "Gather [4,5,6] axis 1 with [2,3] indices");
    int z = O("gz");
    int n2 = N(IR_OP_GATHER, "gather_bad", 2, IN(x, idx), 1, &z);
    AI(n2, "axis", 1000000000000000000LL);
    ERR(n2, "node 'gather_bad' (Gather): attribute axis 1000000000000000000 is out of range for "
            "rank 3");
    int nd_x = V("ndx", F, 4, D(2, 3, 4, 5)), nd_i = V("ndi", I64, 3, D(2, 7, 2)), ndy = O("ndy");
    int nn = N(IR_OP_GATHERND, "gathernd", 2, IN(nd_x, nd_i), 1, &ndy);
    AI(nn, "batch_dims", 1);
    OK(nn, "GatherND batch_dims 1");
    CHECK_EQ_S("float32[2x7x5]", T(ndy), "GatherND [2,3,4,5] by [2,7,2], b=1");

    int ry = O("redy");
    int rn = N(IR_OP_REDUCEMEAN, "rmean", 2, IN(x, CI("rd_a", 1, 2, D(0, -1))), 1, &ry);
    AI(rn, "keepdims", 0);
    OK(rn, "ReduceMean keepdims 0");
    CHECK_EQ_S("float32[5]", T(ry), "ReduceMean axes (0,-1) keepdims 0");
    int ry2 = O("redy2");
    OK(N(IR_OP_REDUCESUM, "rsum_all", 1, IN(x), 1, &ry2), "ReduceSum no axes");
    CHECK_EQ_S("float32[1x1x1]", T(ry2), "ReduceSum all, keepdims");
    int ay = O("argy");
    int an = N(IR_OP_ARGMAX, "argmax", 1, IN(x), 1, &ay);
    AI(an, "axis", -1);
    OK(an, "ArgMax");
    CHECK_EQ_S("int64[4x5x1]", T(ay), "ArgMax is int64 with keepdims");
    int tv = O("topv"), ti = O("topi");
    OK(N(IR_OP_TOPK, "topk", 2, IN(x, CI("tk_k", 1, 1, D(3))), 2, IN(tv, ti)), "TopK");
    CHECK_EQ_S("float32[4x5x3]", T(tv), "TopK values");
    CHECK_EQ_S("int64[4x5x3]", T(ti), "TopK indices");
    int sm = O("smy");
    int smn = N(IR_OP_SOFTMAX, "sm_bad", 1, IN(x), 1, &sm);
    AI(smn, "axis", 3);
    ERR(smn, "node 'sm_bad' (Softmax): attribute axis 3 is out of range for rank 3");

    int lx = V("lnx", IR_DT_FLOAT16, 3, D(3, 2, 4)), ls = V("lns", IR_DT_FLOAT16, 2, D(2, 4));
    int ly = O("lny"), lm = O("lnm"), li = O("lni");
    int ln = N(IR_OP_LAYERNORMALIZATION, "ln", 2, IN(lx, ls), 3, IN(ly, lm, li));
    AI(ln, "axis", 1);
    OK(ln, "LayerNormalization");
    CHECK_EQ_S("float16[3x2x4]", T(ly), "LayerNorm Y");
    CHECK_EQ_S("float32[3x1x1]", T(lm), "LayerNorm Mean: float, reduced");
    CHECK_EQ_S("float32[3x1x1]", T(li), "LayerNorm InvStdDev");
}

static void test_constants(void) {
    int r = O("rng");
    OK(N(IR_OP_RANGE, "range_i", 3, IN(CI("r0", 0, 1, D(0)), CI("r1", 0, 1, D(10)),
                                         CI("r2", 0, 1, D(3))), 1, &r), "Range int64");
    CHECK_EQ_S("int64[4]", T(r), "Range(0, 10, 3)");
    int r2 = O("rng2");
    OK(N(IR_OP_RANGE, "range_f", 3, IN(CF("f0", 0, 1, (float[]){1.0f}), CF("f1", 0, 1, (float[]){0}),
                                         CF("f2", 0, 1, (float[]){-0.3f})), 1, &r2), "Range float");
    CHECK_EQ_S("float32[4]", T(r2), "Range(1, 0, -0.3)");
    int r3 = O("rng3");
    OK(N(IR_OP_RANGE, "range_empty", 3, IN(CI("r3", 0, 1, D(5)), CI("r4", 0, 1, D(1)),
                                             CI("r5", 0, 1, D(2))), 1, &r3), "Range empty");
    CHECK_EQ_S("int64[0]", T(r3), "Range(5, 1, 2) is empty");
    int r4 = O("rng4");
    OK(N(IR_OP_RANGE, "range_extreme", 3, IN(CI("r6", 0, 1, D(INT64_MIN)), CI("r7", 0, 1, D(INT64_MAX)),
                                               CI("r8", 0, 1, D(INT64_MAX))), 1, &r4), "Range extreme");
    CHECK_EQ_S("int64[3]", T(r4), "Range(INT64_MIN, INT64_MAX, INT64_MAX) has 3 (no overflow)");

    int x = V("shx", F, 4, D(2, 3, 4, 5)), s = O("shy"), sz = O("szy");
    int sn = N(IR_OP_SHAPE, "shape0", 1, IN(x), 1, &s);
    AI(sn, "start", 1);
    AI(sn, "end", -1);
    OK(sn, "Shape start/end");
    CHECK_EQ_S("int64[2]", T(s), "Shape start=1 end=-1");
    OK(N(IR_OP_SIZE, "size0", 1, IN(x), 1, &sz), "Size");
    CHECK_EQ_S("int64[]", T(sz), "Size is an int64 scalar");

    int cs = O("cos");
    OK(N(IR_OP_CONSTANTOFSHAPE, "cos0", 1, IN(CI("cos_s", 1, 2, D(3, 7))), 1, &cs), "ConstantOfShape");
    CHECK_EQ_S("float32[3x7]", T(cs), "ConstantOfShape default float");

    int nz = O("nz");
    OK(N(IR_OP_NONZERO, "nz0", 1, IN(CI("nz_x", 1, 5, D(0, 3, 0, -1, 2))), 1, &nz), "NonZero");
    CHECK_EQ_S("int64[1x3]", T(nz), "NonZero of a constant counts");
    int nz2 = O("nz2");
    OK(N(IR_OP_NONZERO, "nz1", 1, IN(x), 1, &nz2), "NonZero dynamic");
    CHECK_EQ_S("int64[4x?]", T(nz2), "NonZero of an input: count unknown");

    int oh = O("oh");
    int on = N(IR_OP_ONEHOT, "onehot", 3, IN(V("ohi", I64, 2, D(2, 3)), CI("ohd", 0, 1, D(10)),
                                             V("ohv", F, 1, D(2))), 1, &oh);
    AI(on, "axis", 1);
    OK(on, "OneHot");
    CHECK_EQ_S("float32[2x10x3]", T(oh), "OneHot depth 10 at axis 1");

    int rz = O("rsz");
    OK(N(IR_OP_RESIZE, "resize0", 3, IN(V("rsx", F, 4, D(1, 3, 10, 10)), -1,
                                        CF("rs_sc", 1, 4, (float[]){1, 1, 2, 2.5f})), 1, &rz), "Resize scales");
    CHECK_EQ_S("float32[1x3x20x25]", T(rz), "Resize by scales");
    int rz2 = O("rsz2");
    int rn = N(IR_OP_RESIZE, "resize1", 4, IN(V("rsx2", F, 4, D(1, 1, 5, 10)), -1, -1,
                                              CI("rs_sz", 1, 2, D(7, 7))), 1, &rz2);
    AIS(rn, "axes", 2, D(2, 3));
    AS(rn, "keep_aspect_ratio_policy", "not_larger");
    OK(rn, "Resize sizes not_larger");
    CHECK_EQ_S("float32[1x1x4x7]", T(rz2), "Resize not_larger: scale 0.7, round(3.5) = 4");

    int k = O("cst");
    int kn = N(IR_OP_CONSTANT, "const0", 0, NULL, 1, &k);
    AIS(kn, "value_ints", 3, D(1, 2, 3));
    OK(kn, "Constant value_ints");
    CHECK_EQ_S("int64[3]", T(k), "Constant value_ints");
}

static void test_declared_and_if(void) {
    /* a declared output: inference fills unknown dims and keeps declared symbols */
    int a = V("da", F, 2, D(2, 4)), b = V("db", F, 2, D(2, 4));
    int y = V("dy", F, 2, D(-1, 4));
    OK(N(IR_OP_ADD, "add_decl", 2, IN(a, b), 1, &y), "declared [?,4]");
    CHECK_EQ_S("float32[2x4]", T(y), "inference fills the unknown dim");
    int y2 = V("dy2", F, 2, D(3, 4));
    ERR(N(IR_OP_ADD, "add_contra", 2, IN(a, b), 1, &y2),
        "node 'add_contra' (Add): output 0 'dy2' is declared [3x4] but inferred [2x4]");
    int y3 = V("dy3", I64, -1, NULL);
    ERR(N(IR_OP_ADD, "add_dt", 2, IN(a, b), 1, &y3),
        "node 'add_dt' (Add): output 0 'dy3' is declared int64 but inferred float32");
    int u = V("du", F, 2, D(-1, 4)), y4 = V("dy4", F, 2, D(-1, 4));
    SYM(y4, 0, "N");
    OK(N(IR_OP_RELU, "relu_decl", 1, IN(u), 1, &y4), "declared symbol");
    CHECK_EQ_S("float32[Nx4]", T(y4), "an unknown inferred dim keeps the declared symbol");

    /* If: each output takes what both branches agree on */
    int cond = V("cond", BOOL, 0, NULL), o1 = O("if_o1"), o2 = O("if_o2");
    int n = N(IR_OP_IF, "if0", 1, IN(cond), 2, IN(o1, o2));
    ir_graph *tg = ir_subgraph_new(G), *eg = ir_subgraph_new(G);
    int t1 = ir_value_add(tg, "t1", F, 2, D(3, 4)), t2 = ir_value_add(tg, "t2", I64, 1, D(5));
    int e1 = ir_value_add(eg, "e1", F, 2, D(3, 4)), e2 = ir_value_add(eg, "e2", I64, 1, D(6));
    ir_graph_add_output(tg, t1);
    ir_graph_add_output(tg, t2);
    ir_graph_add_output(eg, e1);
    ir_graph_add_output(eg, e2);
    ir_node_add_attr(G, n, "then_branch", IR_ATTR_GRAPH)->g = tg;
    ir_node_add_attr(G, n, "else_branch", IR_ATTR_GRAPH)->g = eg;
    OK(n, "If");
    CHECK_EQ_S("float32[3x4]", T(o1), "If output 0: branches agree");
    CHECK_EQ_S("int64[?]", T(o2), "If output 1: 5 vs 6 is unknown");

    /* a subgraph's node reading a captured value of the enclosing graph */
    int o3 = O("if_o3");
    int n2 = N(IR_OP_IF, "if1", 1, IN(cond), 1, IN(o3));
    ir_graph *tg2 = ir_subgraph_new(G), *eg2 = ir_subgraph_new(G);
    int cap = ir_value_add(tg2, "da", IR_DT_UNDEF, -1, NULL), tn = ir_value_add(tg2, "tneg", 0, -1, NULL);
    tg2->vals[cap].kind = IR_VAL_OUTER;
    ir_node_add(tg2, IR_OP_NEG, "neg_in_then", 1, &cap, 1, &tn);
    ir_graph_add_output(tg2, tn);
    int en = ir_value_add(eg2, "eout", F, 2, D(2, 4));
    ir_graph_add_output(eg2, en);
    ir_node_add_attr(G, n2, "then_branch", IR_ATTR_GRAPH)->g = tg2;
    ir_node_add_attr(G, n2, "else_branch", IR_ATTR_GRAPH)->g = eg2;
    OK(n2, "If with a captured value");
    CHECK_EQ_S("float32[2x4]", TG(tg2, tn), "then_branch inferred through the capture");
    CHECK_EQ_S("float32[2x4]", T(o3), "If output from inferred branches");
}

/* ir_shape_infer over a small chain: counts errors, goes on after one. */
static void test_whole_graph(void) {
    ir_graph *keep = G;
    G = ir_graph_new();
    int x = V("x", F, 2, D(0, 8));
    SYM(x, 0, "batch");
    ir_graph_add_input(G, x);
    int w = V("w", F, 2, D(8, 16)), h = O("h"), r = O("r"), bad = O("bad"), out = O("out");
    int q = V("q", F, 1, D(3));
    N(IR_OP_MATMUL, "fc", 2, IN(x, w), 1, &h);
    N(IR_OP_RELU, "act", 1, IN(h), 1, &r);
    N(IR_OP_ADD, "oops", 2, IN(r, q), 1, &bad);
    N(IR_OP_SIGMOID, "after", 1, IN(r), 1, &out);
    int nerr = ir_shape_infer(G);
    CHECK_EQ_I(1, nerr, "ir_shape_infer counts one error");
    CHECK_EQ_S("float32[batchx16]", T(out), "inference goes on past the error");
    CHECK_EQ_S("node 'oops' (Add): inputs 0 and 1 do not broadcast: 16 vs 3 (shapes [batchx16] "
               "and [3])", LASTMSG(), "whole-graph error message");
    ir_graph_free(G);
    G = keep;
}

int main(void) {
    G = ir_graph_new();
    test_elementwise();
    test_symbolic();
    test_matmul();
    test_conv_pool();
    test_reshape_family();
    test_slice_split_concat();
    test_gather_reduce();
    test_constants();
    test_declared_and_if();
    test_whole_graph();
    ir_graph_free(G);
    T_DONE();
}
