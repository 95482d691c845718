/* test_batch.c - the microbatch-axis analysis (ir/ir_batch.c): which axis of each value holds
 * the microbatches, on hand-built graphs whose shapes (per microbatch) are given by hand, and
 * the expected axis of every checked value worked out by hand in the comments. Also the
 * output-axis diagnostics: a node that mixes microbatches, an axis no rule can follow, the
 * user's override, and --chunks 1 (nothing is cut: no error). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ir.h"
#include "t.h"

static ir_graph *G;

static void fresh(void) {
    if (G) ir_graph_free(G);
    G = ir_graph_new();
    G->opset = 21;
}

/* A float value of the given shape (rank dims from the varargs-free array). */
static int V(const char *name, int rank, const int64_t *dims) {
    return ir_value_add(G, name, IR_DT_FLOAT, rank, dims);
}

static int input(const char *name, int rank, const int64_t *dims) {
    int v = V(name, rank, dims);
    ir_graph_add_input(G, v);
    return v;
}

static int cst(const char *name, int dt, int rank, const int64_t *dims, const void *data) {
    int v = ir_value_add(G, name, dt, rank, dims);
    ir_tensor t = {0};
    t.dtype = dt;
    t.rank = rank;
    int64_t n = 1;
    for (int i = 0; i < rank; i++) { t.dims[i] = dims[i]; n *= dims[i]; }
    t.data = (void *)data;
    t.nbytes = (size_t)n * ir_dtype_size(dt);
    ir_value_set_const(G, v, &t, 1);
    return v;
}

static int ints(const char *name, int n, const int64_t *v) {
    return cst(name, IR_DT_INT64, 1, (int64_t[]){n}, v);
}

static int node(ir_op op, const char *name, int nin, const int *in, int out) {
    return ir_node_add(G, op, name, nin, in, 1, &out);
}

static void a_int(int n, const char *name, int64_t v) { ir_node_add_attr(G, n, name, IR_ATTR_INT)->i = v; }

static void a_ints(int n, const char *name, int cnt, int64_t *v) {
    ir_attr *a = ir_node_add_attr(G, n, name, IR_ATTR_INTS);
    a->n = cnt;
    a->ints = v; /* static storage in the tests */
}

static void a_str(int n, const char *name, const char *s) {
    ir_node_add_attr(G, n, name, IR_ATTR_STRING)->s = s;
}

static ir_batch B;

/* Analyze G with the graph inputs cut along in_axis. */
static void run(const int *in_axis) {
    ir_batch_free(&B);
    int rc = ir_batch_analyze(G, in_axis, &B);
    CHECK_EQ_I(0, rc, "ir_batch_analyze returns 0");
}

#define AX(v) (B.axis[v])

static char msgs[4096];
/* The output axes at chunks; returns the number of diagnostics, their text in msgs. */
static int outputs(const int *override, int chunks, int *out) {
    ir_diag d = {0};
    int n = ir_batch_output_axes(G, &B, override, chunks, out, &d);
    msgs[0] = 0;
    for (int i = 0; i < d.nmsg; i++) {
        strncat(msgs, d.msgs[i], sizeof msgs - strlen(msgs) - 2);
        strncat(msgs, "\n", sizeof msgs - strlen(msgs) - 1);
    }
    CHECK_EQ_I(n, d.nerr, "returned count = diagnostics");
    ir_diag_free(&d);
    return n;
}

/* ---- elementwise ---- */

static void test_elementwise(void) {
    printf("-- elementwise: x[4,4] cut along 1; Relu, Add of a bias, broadcast from size 1\n");
    fresh();
    int x = input("x", 2, (int64_t[]){4, 4});
    int r = V("r", 2, (int64_t[]){4, 4}), y = V("y", 2, (int64_t[]){4, 4});
    int z = V("z", 2, (int64_t[]){4, 4}), w = V("w", 3, (int64_t[]){3, 4, 4});
    static const float one[1] = {2}, row[4] = {1, 2, 3, 4}, col[4] = {5, 5, 5, 5};
    int c1 = cst("c1", IR_DT_FLOAT, 2, (int64_t[]){1, 1}, one);
    int cr = cst("cr", IR_DT_FLOAT, 2, (int64_t[]){4, 1}, row); /* varies along axis 0 only */
    int cc = cst("cc", IR_DT_FLOAT, 1, (int64_t[]){4}, col);    /* same along the cut axis */
    int c3 = cst("c3", IR_DT_FLOAT, 3, (int64_t[]){3, 1, 1}, (float[3]){1, 2, 3});
    node(IR_OP_RELU, "relu", 1, &x, r);
    node(IR_OP_MUL, "mul", 2, (int[]){r, c1}, y);
    node(IR_OP_ADD, "add_rowbias", 2, (int[]){y, cr}, z);
    int z2 = V("z2", 2, (int64_t[]){4, 4});
    node(IR_OP_ADD, "add_colconst", 2, (int[]){z, cc}, z2);
    node(IR_OP_ADD, "add_3d", 2, (int[]){z2, c3}, w); /* [4,4] + [3,1,1] -> [3,4,4] */
    ir_graph_add_output(G, w);
    run((int[]){1});
    CHECK_EQ_I(1, AX(r), "Relu keeps axis 1");
    CHECK_EQ_I(1, AX(y), "Mul by a [1,1] constant keeps axis 1");
    CHECK_EQ_I(1, AX(z), "Add of a [4,1] bias (size 1 along the cut) keeps axis 1");
    CHECK_EQ_I(1, AX(z2), "Add of [4] constant 5s (the same along the cut) keeps axis 1");
    CHECK_EQ_I(2, AX(w), "broadcast to rank 3: axis 1 of [4,4] is axis 2 of [3,4,4]");
    int out[1];
    CHECK_EQ_I(0, outputs(NULL, 2, out), "no diagnostics");
    CHECK_EQ_I(2, out[0], "output w joins along axis 2");

    printf("-- elementwise: a constant that varies along the cut axis is MIXED\n");
    run((int[]){0}); /* cut along 0: cr [4,1] varies along axis 0 (1,2,3,4) */
    CHECK_EQ_I(0, AX(y), "Mul keeps axis 0");
    CHECK_EQ_I(IR_BATCH_MIXED, AX(z), "Add of a bias varying along the cut axis: MIXED");
    CHECK_EQ_I(IR_BATCH_MIXED, AX(w), "MIXED flows on");
    CHECK(outputs(NULL, 2, out) == 1, "one diagnostic");
    CHECK_CONTAINS(msgs, "node 'add_rowbias' (Add)", "names the node and op");
    CHECK_CONTAINS(msgs, "'cr'", "names the constant");
    CHECK_EQ_I(0, outputs(NULL, 1, out), "--chunks 1: nothing is cut, no diagnostic");

    printf("-- nothing cut (every input replicated): NONE, one copy\n");
    run((int[]){-1});
    CHECK_EQ_I(IR_BATCH_NONE, AX(w), "w not cut");
    CHECK_EQ_I(0, outputs(NULL, 4, out), "no diagnostics");
    CHECK_EQ_I(-1, out[0], "output w: one copy (-1)");
}

/* ---- MatMul, Gemm, Einsum ---- */

static void test_matmul(void) {
    printf("-- MatMul: rows of A, columns of B, batch dims, contraction\n");
    fresh();
    int x = input("x", 2, (int64_t[]){2, 3});   /* [B, K] */
    int xt = input("xt", 2, (int64_t[]){3, 2}); /* [K, B]: batch on the column side */
    static const float w35[15] = {0}, w53[15] = {0};
    int W = cst("W", IR_DT_FLOAT, 2, (int64_t[]){3, 5}, w35);
    int Wl = cst("Wl", IR_DT_FLOAT, 2, (int64_t[]){5, 3}, w53);
    int y1 = V("y1", 2, (int64_t[]){2, 5}), y2 = V("y2", 2, (int64_t[]){5, 2});
    node(IR_OP_MATMUL, "x_at_W", 2, (int[]){x, W}, y1);
    node(IR_OP_MATMUL, "Wl_at_xt", 2, (int[]){Wl, xt}, y2);
    ir_graph_add_output(G, y1);
    ir_graph_add_output(G, y2);
    run((int[]){0, 1});
    CHECK_EQ_I(0, AX(y1), "x[B,K] @ W: rows of A -> axis 0");
    CHECK_EQ_I(1, AX(y2), "Wl @ xt[K,B]: columns of B -> axis 1");
    run((int[]){1, 0});
    CHECK_EQ_I(IR_BATCH_MIXED, AX(y1), "x cut along K: MIXED");
    CHECK_EQ_I(IR_BATCH_MIXED, AX(y2), "xt cut along K: MIXED");
    int out[2];
    CHECK_EQ_I(2, outputs(NULL, 2, out), "two culprits, two diagnostics");
    CHECK_CONTAINS(msgs, "node 'x_at_W' (MatMul): it contracts axis 1", "names the MatMul");
    CHECK_CONTAINS(msgs, "node 'Wl_at_xt' (MatMul)", "names the other MatMul");
    /* an override does not excuse mixing */
    CHECK_EQ_I(2, outputs((int[]){0, 1}, 2, out), "--output-split-spec cannot excuse MIXED");

    printf("-- MatMul: batched [b,m,k] @ [b,k,n], rank-1 B, broadcast batch dims\n");
    fresh();
    int q = input("q", 3, (int64_t[]){2, 4, 8});
    int k = input("k", 3, (int64_t[]){2, 8, 4});
    int v1 = input("v1", 1, (int64_t[]){8});
    int s = V("s", 3, (int64_t[]){2, 4, 4}), t = V("t", 2, (int64_t[]){2, 4});
    int u = V("u", 4, (int64_t[]){3, 2, 4, 4});
    static const float w3[3 * 4 * 4] = {0};
    int w = cst("w", IR_DT_FLOAT, 4, (int64_t[]){3, 1, 4, 4}, w3);
    node(IR_OP_MATMUL, "qk", 2, (int[]){q, k}, s);
    node(IR_OP_MATMUL, "qv", 2, (int[]){q, v1}, t);
    node(IR_OP_MATMUL, "ws", 2, (int[]){w, s}, u); /* [3,1,4,4] @ [2,4,4] -> [3,2,4,4] */
    ir_graph_add_output(G, s);
    run((int[]){0, 0, -1});
    CHECK_EQ_I(0, AX(s), "both cut along the batch dim -> axis 0");
    CHECK_EQ_I(0, AX(t), "[b,m,k] @ [k] -> [b,m]: axis 0");
    CHECK_EQ_I(1, AX(u), "batch dim of [2,4,4] broadcast against [3,1,..] -> axis 1");
    run((int[]){1, 2, -1}); /* q along m (-> 1), k along n (-> 2): different axes */
    CHECK_EQ_I(IR_BATCH_MIXED, AX(s), "q cut along rows and k along columns: MIXED");
    run((int[]){1, -1, -1});
    CHECK_EQ_I(1, AX(s), "q cut along rows only -> axis 1");
    CHECK_EQ_I(1, AX(t), "[b,m,k] @ [k] with m cut -> axis 1");
    run((int[]){-1, -1, 0});
    CHECK_EQ_I(IR_BATCH_MIXED, AX(t), "rank-1 B cut along K: MIXED");

    printf("-- Gemm: transA / transB, C broadcast\n");
    fresh();
    int a = input("a", 2, (int64_t[]){3, 2}); /* A' = a^T: [2, 3] */
    int bm = input("bm", 2, (int64_t[]){5, 3}); /* B' = bm^T: [3, 5] */
    int c = input("c", 1, (int64_t[]){5});
    int y = V("y", 2, (int64_t[]){2, 5});
    int n = node(IR_OP_GEMM, "gemm", 3, (int[]){a, bm, c}, y);
    a_int(n, "transA", 1);
    a_int(n, "transB", 1);
    run((int[]){1, -1, -1});
    CHECK_EQ_I(0, AX(y), "a[K,M] with transA cut along M -> rows, axis 0");
    run((int[]){0, -1, -1});
    CHECK_EQ_I(IR_BATCH_MIXED, AX(y), "a cut along K: MIXED");
    run((int[]){-1, 0, 0});
    CHECK_EQ_I(1, AX(y), "bm[N,K] with transB cut along N, and C -> columns, axis 1");
    run((int[]){-1, 0, -1}); /* C replicated: its 5 values span the cut columns */
    CHECK_EQ_I(IR_BATCH_UNKNOWN, AX(y), "C replicated across the cut columns: UNKNOWN");
    run((int[]){-1, -1, 0});
    CHECK_EQ_I(1, AX(y), "C [N] cut -> axis 1");

    printf("-- Einsum: kept labels, summed labels, diagonals\n");
    fresh();
    int e1 = input("e1", 3, (int64_t[]){2, 3, 4});
    int e2 = input("e2", 3, (int64_t[]){2, 4, 5});
    int eo = V("eo", 3, (int64_t[]){2, 3, 5});
    n = node(IR_OP_EINSUM, "einsum", 2, (int[]){e1, e2}, eo);
    a_str(n, "equation", "bij,bjk->bik");
    run((int[]){0, 0});
    CHECK_EQ_I(0, AX(eo), "b kept: axis 0");
    run((int[]){1, -1});
    CHECK_EQ_I(1, AX(eo), "i kept: axis 1");
    run((int[]){2, -1});
    CHECK_EQ_I(IR_BATCH_MIXED, AX(eo), "j summed: MIXED");
    run((int[]){0, -1}); /* e2 not cut but spans b (size 2): cannot be shown the same */
    CHECK_EQ_I(IR_BATCH_UNKNOWN, AX(eo), "e2 spans the cut label without being cut: UNKNOWN");
    fresh();
    e1 = input("e1", 2, (int64_t[]){3, 4});
    e2 = input("e2", 2, (int64_t[]){4, 5});
    eo = V("eo", 2, (int64_t[]){5, 3});
    n = node(IR_OP_EINSUM, "einsum_implicit", 2, (int[]){e1, e2}, eo);
    a_str(n, "equation", "ij,jk->ki");
    run((int[]){-1, 1});
    CHECK_EQ_I(0, AX(eo), "k of e2 -> output axis 0 of 'ki'");
}

/* ---- reductions and normalizations ---- */

static void test_reduce(void) {
    printf("-- ReduceSum over other axes (keepdims 0 shifts), over the cut axis (MIXED)\n");
    fresh();
    int x = input("x", 3, (int64_t[]){2, 3, 4});
    int r0 = V("r0", 2, (int64_t[]){2, 4}), r1 = V("r1", 3, (int64_t[]){2, 1, 4});
    int y0 = V("y0", 1, (int64_t[]){4});
    int ax1 = ints("ax1", 1, (int64_t[]){1}), ax01 = ints("ax01", 2, (int64_t[]){0, -2});
    int n = node(IR_OP_REDUCESUM, "sum_k0", 2, (int[]){x, ax1}, r0);
    a_int(n, "keepdims", 0);
    node(IR_OP_REDUCESUM, "sum_k1", 2, (int[]){x, ax1}, r1);
    n = node(IR_OP_REDUCEMEAN, "mean_01", 2, (int[]){x, ax01}, y0);
    a_int(n, "keepdims", 0);
    ir_graph_add_output(G, r0);
    run((int[]){2});
    CHECK_EQ_I(1, AX(r0), "cut at 2, reduce axis 1 without keepdims -> axis 1");
    CHECK_EQ_I(2, AX(r1), "with keepdims -> axis 2");
    CHECK_EQ_I(0, AX(y0), "reduce axes 0 and -2 without keepdims -> axis 0");
    run((int[]){1});
    CHECK_EQ_I(IR_BATCH_MIXED, AX(r0), "reduce over the cut axis: MIXED");
    CHECK_EQ_I(IR_BATCH_MIXED, AX(y0), "axes 0,-2 include the cut axis 1: MIXED");
    int out[1];
    CHECK_EQ_I(1, outputs(NULL, 2, out), "one diagnostic");
    CHECK_CONTAINS(msgs, "node 'sum_k0' (ReduceSum): it reduces over axis 1", "names the reduction");
    CHECK_CONTAINS(msgs, "--chunks 1", "says how to avoid it");

    printf("-- Softmax, LayerNormalization, ArgMax\n");
    fresh();
    x = input("x", 3, (int64_t[]){2, 3, 4});
    int sm = V("sm", 3, (int64_t[]){2, 3, 4}), ln = V("ln", 3, (int64_t[]){2, 3, 4});
    int am = V("am", 2, (int64_t[]){2, 4});
    static const float g4[4] = {1, 1, 1, 1};
    int gam = cst("gamma", IR_DT_FLOAT, 1, (int64_t[]){4}, g4);
    n = node(IR_OP_SOFTMAX, "softmax", 1, &x, sm);
    a_int(n, "axis", -1);
    node(IR_OP_LAYERNORMALIZATION, "ln", 2, (int[]){x, gam}, ln);
    n = node(IR_OP_ARGMAX, "argmax", 1, &x, am);
    a_int(n, "axis", 1);
    a_int(n, "keepdims", 0);
    run((int[]){1});
    CHECK_EQ_I(1, AX(sm), "Softmax over -1, cut at 1 -> 1");
    CHECK_EQ_I(1, AX(ln), "LayerNorm over -1, cut at 1 -> 1");
    CHECK_EQ_I(IR_BATCH_MIXED, AX(am), "ArgMax over the cut axis: MIXED");
    run((int[]){2});
    CHECK_EQ_I(IR_BATCH_MIXED, AX(sm), "Softmax over the cut axis: MIXED");
    CHECK_EQ_I(IR_BATCH_MIXED, AX(ln), "LayerNorm over the cut axis: MIXED");
    CHECK_EQ_I(1, AX(am), "ArgMax over 1 without keepdims, cut at 2 -> 1");
}

/* ---- data movement ---- */

static void test_movement(void) {
    printf("-- Transpose, Unsqueeze, Squeeze, Flatten, Concat, Slice, Gather\n");
    fresh();
    int x = input("x", 3, (int64_t[]){2, 3, 4});
    int t = V("t", 3, (int64_t[]){4, 2, 3});
    int u = V("u", 5, (int64_t[]){1, 2, 1, 3, 4});
    int s = V("s", 3, (int64_t[]){2, 3, 4});
    int f = V("f", 2, (int64_t[]){2, 12});
    static int64_t perm[3] = {2, 0, 1};
    int n = node(IR_OP_TRANSPOSE, "transpose", 1, &x, t);
    a_ints(n, "perm", 3, perm);
    node(IR_OP_UNSQUEEZE, "unsqueeze", 2, (int[]){x, ints("ua", 2, (int64_t[]){0, 2})}, u);
    node(IR_OP_SQUEEZE, "squeeze", 2, (int[]){u, ints("sa", 2, (int64_t[]){0, -3})}, s);
    n = node(IR_OP_FLATTEN, "flatten", 1, &x, f);
    a_int(n, "axis", 1);
    run((int[]){0});
    CHECK_EQ_I(1, AX(t), "perm [2,0,1]: input axis 0 -> output axis 1");
    CHECK_EQ_I(1, AX(u), "unsqueeze at 0 and 2: axis 0 -> 1");
    CHECK_EQ_I(0, AX(s), "squeeze 0 and -3 back: -> 0");
    CHECK_EQ_I(0, AX(f), "flatten at 1, cut at 0 -> 0");
    run((int[]){1});
    CHECK_EQ_I(2, AX(t), "perm [2,0,1]: input axis 1 -> output axis 2");
    CHECK_EQ_I(3, AX(u), "unsqueeze at 0 and 2: axis 1 -> 3");
    CHECK_EQ_I(1, AX(s), "squeeze back: -> 1");
    CHECK_EQ_I(1, AX(f), "flatten at 1, cut at 1 (major in [3x4]) -> 1, inner 4");
    CHECK_EQ_I(4, B.inner[f], "inner factor 4");
    run((int[]){2});
    CHECK_EQ_I(IR_BATCH_UNKNOWN, AX(f), "flatten [3x4] cut at 4 (not major): UNKNOWN");

    printf("-- Concat along another axis / along the cut axis\n");
    fresh();
    x = input("x", 2, (int64_t[]){2, 3});
    static const float tok[4] = {7, 8, 7, 8}, pos[4] = {1, 2, 3, 4};
    int tk = cst("tok", IR_DT_FLOAT, 2, (int64_t[]){2, 2}, tok); /* rows equal */
    int ps = cst("pos", IR_DT_FLOAT, 2, (int64_t[]){2, 2}, pos); /* rows differ */
    int c1 = V("c1", 2, (int64_t[]){2, 5}), c2 = V("c2", 2, (int64_t[]){2, 5});
    int c3 = V("c3", 2, (int64_t[]){4, 3});
    n = node(IR_OP_CONCAT, "cat_tok", 2, (int[]){tk, x}, c1);
    a_int(n, "axis", 1);
    n = node(IR_OP_CONCAT, "cat_pos", 2, (int[]){ps, x}, c2);
    a_int(n, "axis", 1);
    n = node(IR_OP_CONCAT, "cat_batch", 2, (int[]){x, x}, c3);
    a_int(n, "axis", 0);
    run((int[]){0});
    CHECK_EQ_I(0, AX(c1), "concat along 1 with rows equal across the cut -> 0");
    CHECK_EQ_I(IR_BATCH_MIXED, AX(c2), "concat with a constant varying along the cut: MIXED");
    CHECK_EQ_I(IR_BATCH_MIXED, AX(c3), "concat along the cut axis: MIXED");

    printf("-- Slice: whole along the cut / part of it; Gather embedding / fixed rows\n");
    fresh();
    x = input("x", 2, (int64_t[]){4, 6});
    int ids = ir_value_add(G, "ids", IR_DT_INT64, 2, (int64_t[]){4, 5});
    ir_graph_add_input(G, ids);
    int sl = V("sl", 2, (int64_t[]){4, 2}), sp = V("sp", 2, (int64_t[]){2, 6});
    node(IR_OP_SLICE, "slice_cols", 3,
         (int[]){x, ints("st", 2, (int64_t[]){0, 1}), ints("en", 2, (int64_t[]){INT64_MAX, 3})}, sl);
    node(IR_OP_SLICE, "slice_rows", 4,
         (int[]){x, ints("st2", 1, (int64_t[]){1}), ints("en2", 1, (int64_t[]){3}),
                 ints("ax2", 1, (int64_t[]){0})},
         sp);
    static const float emb[10 * 3] = {0};
    int E = cst("E", IR_DT_FLOAT, 2, (int64_t[]){10, 3}, emb);
    int ge = V("ge", 3, (int64_t[]){4, 5, 3}), gr = V("gr", 2, (int64_t[]){2, 6});
    node(IR_OP_GATHER, "embed", 2, (int[]){E, ids}, ge);
    node(IR_OP_GATHER, "rows", 2, (int[]){x, ints("two", 2, (int64_t[]){0, 2})}, gr);
    run((int[]){0, 0});
    CHECK_EQ_I(0, AX(sl), "slice of columns keeps the cut rows -> 0");
    CHECK_EQ_I(IR_BATCH_MIXED, AX(sp), "slice of part of the cut axis: MIXED");
    CHECK_EQ_I(0, AX(ge), "Gather(E, ids cut at 0) -> 0");
    CHECK_EQ_I(IR_BATCH_MIXED, AX(gr), "Gather of fixed rows along the cut axis: MIXED");
}

/* ---- Reshape ---- */

static void test_reshape(void) {
    printf("-- Reshape: merge, split back, heads; a microbatch of one sample\n");
    fresh();
    int x = input("x", 3, (int64_t[]){2, 3, 4});
    int m = V("m", 2, (int64_t[]){6, 4}), b = V("b", 3, (int64_t[]){2, 3, 4});
    int h = V("h", 4, (int64_t[]){2, 3, 2, 2}), bad = V("bad", 2, (int64_t[]){3, 8});
    node(IR_OP_RESHAPE, "merge", 2, (int[]){x, ints("t1", 2, (int64_t[]){-1, 4})}, m);
    node(IR_OP_RESHAPE, "split", 2, (int[]){m, ints("t2", 3, (int64_t[]){2, 3, 4})}, b);
    node(IR_OP_RESHAPE, "heads", 2, (int[]){x, ints("t3", 4, (int64_t[]){0, 0, 2, 2})}, h);
    node(IR_OP_RESHAPE, "regroup", 2, (int[]){x, ints("t4", 2, (int64_t[]){3, 8})}, bad);
    run((int[]){0});
    CHECK_EQ_I(0, AX(m), "[2,3,4] -> [6,4]: axis 0 merged with 3 -> 0");
    CHECK_EQ_I(3, B.inner[m], "inner factor 3 (each sample spans 3 rows)");
    CHECK_EQ_I(0, AX(b), "[6,4] -> [2,3,4]: split back -> 0");
    CHECK_EQ_I(1, B.inner[b], "inner factor 1 again");
    CHECK_EQ_I(0, AX(h), "[2,3,4] -> [2,3,2,2] -> 0");
    CHECK_EQ_I(IR_BATCH_UNKNOWN, AX(bad), "[2,3,4] -> [3,8]: no output axis holds it: UNKNOWN");
    run((int[]){1});
    CHECK_EQ_I(IR_BATCH_UNKNOWN, AX(m), "cut at 1 of [2,3,4] -> [6,4]: not major: UNKNOWN");
    CHECK_EQ_I(1, AX(h), "cut at 1 -> heads 1");
    run((int[]){2});
    CHECK_EQ_I(1, AX(m), "cut at 2 -> [6,4] axis 1 (same size, same prefix)");
    /* the cut 4 splits into [2, 2]: a microbatch's 4 columns are 2 whole rows of axis 2 */
    CHECK_EQ_I(2, AX(h), "cut at 2 split into heads [2,2] -> its major axis 2");

    printf("-- Reshape of a one-sample microbatch: [1,16,8] -> [16,8] -> [1,16,8]\n");
    fresh();
    x = input("x", 3, (int64_t[]){1, 16, 8});
    int f = V("f", 2, (int64_t[]){16, 8}), back = V("back", 3, (int64_t[]){1, 16, 8});
    int hd = V("hd", 4, (int64_t[]){1, 16, 2, 4});
    node(IR_OP_RESHAPE, "flat", 2, (int[]){x, ints("r1", 2, (int64_t[]){16, 8})}, f);
    node(IR_OP_RESHAPE, "unflat", 2, (int[]){f, ints("r2", 3, (int64_t[]){1, 16, 8})}, back);
    node(IR_OP_RESHAPE, "heads", 2, (int[]){x, ints("r3", 4, (int64_t[]){1, -1, 2, 4})}, hd);
    run((int[]){0});
    CHECK_EQ_I(0, AX(f), "[1,16,8] -> [16,8]: merged -> 0");
    CHECK_EQ_I(16, B.inner[f], "inner factor 16");
    CHECK_EQ_I(0, AX(back), "[16,8] -> [1,16,8]: undoing the merge -> 0 (not 1)");
    CHECK_EQ_I(0, AX(hd), "[1,16,8] -> [1,-1,2,4]: the same-size axis 0, not the -1");
}

/* ---- a merged axis and a value that repeats per sample (attention heads) ---- */

static void test_periodic(void) {
    printf("-- [2,3,4] -> [6,4] (inner 3) + a constant repeating every 3 rows\n");
    fresh();
    int x = input("x", 3, (int64_t[]){2, 3, 4});
    int m = V("m", 2, (int64_t[]){6, 4}), y1 = V("y1", 2, (int64_t[]){6, 4});
    int y2 = V("y2", 2, (int64_t[]){6, 4});
    node(IR_OP_RESHAPE, "merge", 2, (int[]){x, ints("t", 2, (int64_t[]){6, 4})}, m);
    static const float per[6] = {1, 2, 3, 1, 2, 3}, non[6] = {1, 2, 3, 4, 5, 6};
    int cp = cst("per", IR_DT_FLOAT, 2, (int64_t[]){6, 1}, per);
    int cn = cst("non", IR_DT_FLOAT, 2, (int64_t[]){6, 1}, non);
    node(IR_OP_ADD, "add_per", 2, (int[]){m, cp}, y1);
    node(IR_OP_ADD, "add_non", 2, (int[]){m, cn}, y2);
    run((int[]){0});
    CHECK_EQ_I(0, AX(y1), "repeats per sample: fine -> 0");
    CHECK_EQ_I(IR_BATCH_MIXED, AX(y2), "differs between samples: MIXED");
}

/* ---- conv, pools ---- */

static void test_conv(void) {
    printf("-- Conv over N / C / a spatial axis; a 1x1 stride-1 conv keeps spatial cuts\n");
    fresh();
    int x = input("x", 4, (int64_t[]){2, 3, 8, 8});
    static const float w33[4 * 3 * 3 * 3] = {0}, w11[4 * 3] = {0};
    int W = cst("W", IR_DT_FLOAT, 4, (int64_t[]){4, 3, 3, 3}, w33);
    int W1 = cst("W1", IR_DT_FLOAT, 4, (int64_t[]){4, 3, 1, 1}, w11);
    int y = V("y", 4, (int64_t[]){2, 4, 6, 6}), y1 = V("y1", 4, (int64_t[]){2, 4, 8, 8});
    int p = V("p", 4, (int64_t[]){2, 3, 1, 1});
    node(IR_OP_CONV, "conv3", 2, (int[]){x, W}, y);
    node(IR_OP_CONV, "conv1", 2, (int[]){x, W1}, y1);
    node(IR_OP_GLOBALAVERAGEPOOL, "gap", 1, &x, p);
    run((int[]){0});
    CHECK_EQ_I(0, AX(y), "N -> 0");
    CHECK_EQ_I(0, AX(p), "pool, N -> 0");
    run((int[]){1});
    CHECK_EQ_I(IR_BATCH_MIXED, AX(y), "C is summed: MIXED");
    CHECK_EQ_I(1, AX(p), "global pool keeps channels -> 1");
    run((int[]){2});
    CHECK_EQ_I(IR_BATCH_MIXED, AX(y), "3x3 window across the cut rows: MIXED");
    CHECK_EQ_I(2, AX(y1), "1x1 stride-1 window keeps the rows -> 2");
    CHECK_EQ_I(IR_BATCH_MIXED, AX(p), "global pool over the cut rows: MIXED");
}

/* ---- no rule, override, values read for their shape ---- */

static void test_unknown(void) {
    printf("-- an op with no rule for the cut (NonZero): UNKNOWN, --output-split-spec\n");
    fresh();
    int x = input("x", 2, (int64_t[]){4, 4});
    int nz = ir_value_add(G, "nz", IR_DT_INT64, 2, (int64_t[]){2, 5});
    int sh = ir_value_add(G, "sh", IR_DT_INT64, 1, (int64_t[]){2});
    int r = V("r", 2, (int64_t[]){4, 4});
    node(IR_OP_NONZERO, "nonzero", 1, &x, nz);
    node(IR_OP_SHAPE, "shape", 1, &x, sh);
    node(IR_OP_RELU, "relu", 1, &x, r);
    ir_graph_add_output(G, nz);
    ir_graph_add_output(G, sh);
    ir_graph_add_output(G, r);
    run((int[]){0});
    CHECK_EQ_I(IR_BATCH_UNKNOWN, AX(nz), "NonZero: UNKNOWN");
    CHECK_EQ_I(IR_BATCH_NONE, AX(sh), "Shape: the shape is not cut data");
    int out[3];
    CHECK_EQ_I(1, outputs(NULL, 2, out), "one diagnostic (nz)");
    CHECK_CONTAINS(msgs, "output 'nz'", "names the output");
    CHECK_CONTAINS(msgs, "node 'nonzero' (NonZero)", "names the node and op");
    CHECK_CONTAINS(msgs, "--output-split-spec nz=DIM", "suggests --output-split-spec");
    CHECK_EQ_I(0, outputs((int[]){1, IR_BATCH_UNKNOWN, IR_BATCH_UNKNOWN}, 2, out),
               "overridden: no diagnostic");
    CHECK_EQ_I(1, out[0], "nz joins along the given axis 1");
    CHECK_EQ_I(-1, out[1], "sh: one copy");
    CHECK_EQ_I(0, out[2], "r: analysis axis 0");
    CHECK_EQ_I(0, outputs(NULL, 1, out), "--chunks 1: no diagnostic");
    CHECK_EQ_I(-1, out[0], "--chunks 1: nz written as one copy (one microbatch)");
}

int main(void) {
    test_elementwise();
    test_matmul();
    test_reduce();
    test_movement();
    test_reshape();
    test_periodic();
    test_conv();
    test_unknown();
    ir_batch_free(&B);
    ir_graph_free(G);
    T_DONE();
}
