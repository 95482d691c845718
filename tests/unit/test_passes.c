/* test_passes.c - the IR passes: shape binding, concrete args, If folding, constant folding
 * with the CPU kernels, DCE, and their diagnostics. Graphs are built through ir.h; expected
 * values are worked out by hand in the comments. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ir.h"
#include "t.h"
#include "rt_cpu.h"

/* ---- building helpers ---- */

static int val(ir_graph *g, const char *name, int dt, int rank, const int64_t *dims) {
    return ir_value_add(g, name, dt, rank, dims);
}

static int cst_i64(ir_graph *g, const char *name, int rank, const int64_t *dims,
                   const int64_t *data) {
    int v = ir_value_add(g, name, IR_DT_INT64, rank, dims);
    ir_tensor t = {0};
    t.dtype = IR_DT_INT64;
    t.rank = rank;
    int64_t n = 1;
    for (int i = 0; i < rank; i++) { t.dims[i] = dims[i]; n *= dims[i]; }
    t.data = (void *)data;
    t.nbytes = (size_t)n * sizeof(int64_t);
    ir_value_set_const(g, v, &t, 1);
    return v;
}

static int weight_f32(ir_graph *g, const char *name, int rank, const int64_t *dims,
                      const float *data) {
    int v = ir_value_add(g, name, IR_DT_FLOAT, rank, dims);
    ir_tensor t = {0};
    t.dtype = IR_DT_FLOAT;
    t.rank = rank;
    int64_t n = 1;
    for (int i = 0; i < rank; i++) { t.dims[i] = dims[i]; n *= dims[i]; }
    t.data = (void *)data;
    t.nbytes = (size_t)n * sizeof(float);
    g->vals[v].kind = IR_VAL_WEIGHT;
    ir_value_set_const(g, v, &t, 1);
    return v;
}

static int node1(ir_graph *g, ir_op op, const char *name, int nin, const int *in, int out) {
    return ir_node_add(g, op, name, nin, in, 1, &out);
}

static void attr_int(ir_graph *g, int n, const char *name, int64_t v) {
    ir_node_add_attr(g, n, name, IR_ATTR_INT)->i = v;
}

static int live_nodes(const ir_graph *g) {
    int k = 0;
    for (int i = 0; i < g->nnodes; i++) k += !g->nodes[i].dead;
    return k;
}

static int count_op(const ir_graph *g, ir_op op) {
    int k = 0;
    for (int i = 0; i < g->nnodes; i++) k += !g->nodes[i].dead && g->nodes[i].op == op;
    return k;
}

static const ir_node *find_op(const ir_graph *g, ir_op op) {
    for (int i = 0; i < g->nnodes; i++)
        if (!g->nodes[i].dead && g->nodes[i].op == op) return &g->nodes[i];
    return NULL;
}

/* All diagnostics joined, for CHECK_CONTAINS. */
static const char *diags(const ir_graph *g) {
    static char buf[8192];
    buf[0] = 0;
    for (int i = 0; i < g->diag.nmsg; i++) {
        strncat(buf, g->diag.msgs[i], sizeof buf - strlen(buf) - 2);
        strncat(buf, "\n", sizeof buf - strlen(buf) - 1);
    }
    return buf;
}

static int i64_eq(const ir_tensor *t, int n, const int64_t *want) {
    if (!t || t->dtype != IR_DT_INT64 || ir_tensor_numel(t) != n) return 0;
    for (int i = 0; i < n; i++)
        if (ir_tensor_get_i64(t, i) != want[i]) return 0;
    return 1;
}

/* ---- (1) Shape -> Gather -> Unsqueeze -> Concat -> Reshape on x[batch, seq, 8] ----
 * shp = Concat(Unsqueeze(Shape(x)[0]), Unsqueeze(Shape(x)[1]), Constant([2, 4]))
 * y = Reshape(x, shp). With batch=2, seq=5: shp = [2, 5, 2, 4], y is [2, 5, 2, 4]. */
static ir_graph *build_reshape_graph(void) {
    ir_graph *g = ir_graph_new();
    g->opset = 17;
    int x = val(g, "x", IR_DT_FLOAT, 3, (int64_t[]){-1, -1, 8});
    g->vals[x].dims[0].sym = "batch";
    g->vals[x].dims[1].sym = "seq";
    ir_graph_add_input(g, x);
    int m = val(g, "mask", IR_DT_INT64, 2, (int64_t[]){-1, -1});
    g->vals[m].dims[0].sym = "batch";
    g->vals[m].dims[1].sym = "seq";
    ir_graph_add_input(g, m);
    int s = val(g, "s", IR_DT_UNDEF, -1, NULL);
    int i0 = cst_i64(g, "i0", 0, NULL, (int64_t[]){0});
    int i1 = cst_i64(g, "i1", 0, NULL, (int64_t[]){1});
    int ax = cst_i64(g, "ax", 1, (int64_t[]){1}, (int64_t[]){0});
    int b = val(g, "b", IR_DT_UNDEF, -1, NULL), q = val(g, "q", IR_DT_UNDEF, -1, NULL);
    int b1 = val(g, "b1", IR_DT_UNDEF, -1, NULL), q1 = val(g, "q1", IR_DT_UNDEF, -1, NULL);
    int tail = val(g, "tail", IR_DT_UNDEF, -1, NULL);
    int shp = val(g, "shp", IR_DT_UNDEF, -1, NULL);
    int y = val(g, "y", IR_DT_UNDEF, -1, NULL);
    node1(g, IR_OP_SHAPE, "shape", 1, &x, s);
    int n = node1(g, IR_OP_GATHER, "gather0", 2, (int[]){s, i0}, b);
    attr_int(g, n, "axis", 0);
    node1(g, IR_OP_GATHER, "gather1", 2, (int[]){s, i1}, q);
    node1(g, IR_OP_UNSQUEEZE, "unsq0", 2, (int[]){b, ax}, b1);
    node1(g, IR_OP_UNSQUEEZE, "unsq1", 2, (int[]){q, ax}, q1);
    n = node1(g, IR_OP_CONSTANT, "const_tail", 0, NULL, tail);
    ir_attr *a = ir_node_add_attr(g, n, "value_ints", IR_ATTR_INTS);
    static int64_t tail_v[2] = {2, 4};
    a->n = 2;
    a->ints = tail_v;
    n = node1(g, IR_OP_CONCAT, "concat", 3, (int[]){b1, q1, tail}, shp);
    attr_int(g, n, "axis", 0);
    node1(g, IR_OP_RESHAPE, "reshape", 2, (int[]){x, shp}, y);
    ir_graph_add_output(g, y);
    return g;
}

static void test_shape_subgraph(void) {
    printf("-- Shape/Gather/Unsqueeze/Concat folding after binding batch=2, seq=5\n");
    ir_graph *g = build_reshape_graph();
    ir_shape_bind binds[2] = {{"batch", 1, {2}}, {"seq", 1, {5}}};
    ir_pass_opts o = {.binds = binds, .nbinds = 2};
    int nerr = ir_passes_run(g, &o);
    if (nerr) ir_diag_print(&g->diag, stdout);
    CHECK_EQ_I(0, nerr, "errors");
    CHECK_EQ_I(1, live_nodes(g), "nodes left (only Reshape)");
    const ir_node *r = find_op(g, IR_OP_RESHAPE);
    CHECK(r != NULL, "Reshape is still there");
    if (r) {
        const ir_value *sv = &g->vals[r->in[1]];
        CHECK(sv->kind == IR_VAL_CONST, "Reshape's shape input is a constant");
        CHECK(i64_eq(sv->data, 4, (int64_t[]){2, 5, 2, 4}), "Reshape's shape is [2, 5, 2, 4]");
        const ir_value *yv = &g->vals[r->out[0]];
        CHECK_EQ_S("y", yv->name, "output name");
        CHECK(yv->rank == 4 && yv->dims[0].v == 2 && yv->dims[1].v == 5 && yv->dims[2].v == 2 &&
                  yv->dims[3].v == 4, "y is [2, 5, 2, 4] (rank %d)", yv->rank);
    }
    int m = ir_value_find(g, "mask");
    CHECK(g->vals[m].dims[0].v == 2 && g->vals[m].dims[1].v == 5,
          "the symbols bound every input using them: mask is [2, 5]");
    ir_graph_free(g);

    printf("-- the same through the input: --input-shape x=3x7x8\n");
    g = build_reshape_graph();
    ir_shape_bind bx = {"x", 3, {3, 7, 8}};
    o = (ir_pass_opts){.binds = &bx, .nbinds = 1};
    nerr = ir_passes_run(g, &o);
    if (nerr) ir_diag_print(&g->diag, stdout);
    CHECK_EQ_I(0, nerr, "errors");
    r = find_op(g, IR_OP_RESHAPE);
    CHECK(r && i64_eq(g->vals[r->in[1]].data, 4, (int64_t[]){3, 7, 2, 4}),
          "Reshape's shape is [3, 7, 2, 4]");
    m = ir_value_find(g, "mask");
    CHECK(g->vals[m].dims[0].v == 3 && g->vals[m].dims[1].v == 7,
          "x's dim_params reached mask: [3, 7]");
    ir_graph_free(g);

    printf("-- without binding nothing past Shape folds\n");
    g = build_reshape_graph();
    nerr = ir_passes_run(g, NULL);
    CHECK_EQ_I(0, nerr, "errors");
    CHECK_EQ_I(1, count_op(g, IR_OP_SHAPE), "Shape stays (x's shape unknown)");
    CHECK_EQ_I(0, count_op(g, IR_OP_CONSTANT), "the Constant node folded anyway");
    ir_graph_free(g);
}

/* ---- (2) Range(0, seq, 1) ----
 * t: int64 [batch, seq]; r = Range(0, Shape(t)[1], 1); y = Add(t, r).
 * With seq = 5: r = [0, 1, 2, 3, 4]. */
static void test_range(void) {
    printf("-- Range(0, seq, 1) folds to [0..seq-1]\n");
    ir_graph *g = ir_graph_new();
    g->opset = 17;
    int t = val(g, "t", IR_DT_INT64, 2, (int64_t[]){-1, -1});
    g->vals[t].dims[0].sym = "batch";
    g->vals[t].dims[1].sym = "seq";
    ir_graph_add_input(g, t);
    int s = val(g, "s", IR_DT_UNDEF, -1, NULL);
    int i1 = cst_i64(g, "i1", 0, NULL, (int64_t[]){1});
    int c0 = cst_i64(g, "c0", 0, NULL, (int64_t[]){0});
    int q = val(g, "q", IR_DT_UNDEF, -1, NULL);
    int r = val(g, "r", IR_DT_UNDEF, -1, NULL);
    int y = val(g, "y", IR_DT_UNDEF, -1, NULL);
    node1(g, IR_OP_SHAPE, "shape", 1, &t, s);
    node1(g, IR_OP_GATHER, "gather", 2, (int[]){s, i1}, q);
    node1(g, IR_OP_RANGE, "range", 3, (int[]){c0, q, i1}, r);
    node1(g, IR_OP_ADD, "add", 2, (int[]){t, r}, y);
    ir_graph_add_output(g, y);
    ir_shape_bind binds[2] = {{"seq", 1, {5}}, {"batch", 1, {3}}};
    ir_pass_opts o = {.binds = binds, .nbinds = 2};
    int nerr = ir_passes_run(g, &o);
    if (nerr) ir_diag_print(&g->diag, stdout);
    CHECK_EQ_I(0, nerr, "errors");
    CHECK_EQ_I(1, live_nodes(g), "nodes left (only Add)");
    const ir_node *add = find_op(g, IR_OP_ADD);
    CHECK(add && g->vals[add->in[1]].kind == IR_VAL_CONST, "Add's second input is a constant");
    CHECK(add && i64_eq(g->vals[add->in[1]].data, 5, (int64_t[]){0, 1, 2, 3, 4}),
          "Range folded to [0, 1, 2, 3, 4]");
    const ir_value *yv = &g->vals[y];
    CHECK(yv->rank == 2 && yv->dims[0].v == 3 && yv->dims[1].v == 5, "y is [3, 5]");
    ir_graph_free(g);
}

/* ---- (3) concrete args and If ----
 * y = If(c) then Relu(x) else Neg(x), x captured from the outer graph. */
static ir_graph *build_if_graph(int with_cast) {
    ir_graph *g = ir_graph_new();
    g->opset = 17;
    int x = val(g, "x", IR_DT_FLOAT, 2, (int64_t[]){2, 3});
    ir_graph_add_input(g, x);
    int c = val(g, "c", IR_DT_BOOL, 0, NULL);
    ir_graph_add_input(g, c);
    int y = val(g, "y", IR_DT_FLOAT, -1, NULL);
    int cond = c;
    if (with_cast) { /* as torch.jit.script exports it: If(Cast(c, to=bool)) */
        cond = val(g, "c_cast", IR_DT_UNDEF, -1, NULL);
        int n = node1(g, IR_OP_CAST, "cast", 1, &c, cond);
        attr_int(g, n, "to", IR_DT_BOOL);
    }
    ir_graph *th = ir_subgraph_new(g);
    th->name = "then";
    int tx = val(th, "x", IR_DT_FLOAT, 2, (int64_t[]){2, 3});
    th->vals[tx].kind = IR_VAL_OUTER;
    int tr = val(th, "r", IR_DT_FLOAT, -1, NULL);
    node1(th, IR_OP_RELU, "relu", 1, &tx, tr);
    ir_graph_add_output(th, tr);
    ir_graph *el = ir_subgraph_new(g);
    el->name = "else";
    int ex = val(el, "x", IR_DT_FLOAT, 2, (int64_t[]){2, 3});
    el->vals[ex].kind = IR_VAL_OUTER;
    int en = val(el, "r", IR_DT_FLOAT, -1, NULL);
    node1(el, IR_OP_NEG, "neg", 1, &ex, en);
    ir_graph_add_output(el, en);
    int n = node1(g, IR_OP_IF, "if0", 1, &cond, y);
    ir_node_add_attr(g, n, "then_branch", IR_ATTR_GRAPH)->g = th;
    ir_node_add_attr(g, n, "else_branch", IR_ATTR_GRAPH)->g = el;
    ir_graph_add_output(g, y);
    return g;
}

static void check_if_folded(ir_graph *g, ir_op want, const char *what) {
    CHECK_EQ_I(0, count_op(g, IR_OP_IF), "no If left");
    CHECK_EQ_I(1, live_nodes(g), "one node left");
    const ir_node *n = find_op(g, want);
    CHECK(n != NULL, "%s is there", what);
    if (n) {
        CHECK_EQ_S("x", g->vals[n->in[0]].name, "it reads the outer x");
        CHECK_EQ_S("y", g->vals[n->out[0]].name, "it writes the If's output y");
    }
    CHECK_EQ_I(1, g->noutputs, "graph outputs");
    CHECK_EQ_S("y", g->vals[g->outputs[0]].name, "graph output keeps its name");
    const ir_value *yv = &g->vals[g->outputs[0]];
    CHECK(yv->dtype == IR_DT_FLOAT && yv->rank == 2 && yv->dims[0].v == 2 && yv->dims[1].v == 3,
          "y is float32[2x3]");
    CHECK_EQ_I(1, g->ninputs, "graph inputs left");
    CHECK_EQ_S("x", g->vals[g->inputs[0]].name, "c was removed from the inputs, x stays");
    int c = ir_value_find(g, "c");
    CHECK(c >= 0 && g->vals[c].kind == IR_VAL_CONST, "c is a constant");
}

static void test_concrete_if(void) {
    for (int cast = 0; cast < 2; cast++) {
        printf("-- --concrete-arg c=true%s\n", cast ? ", condition Cast(c)" : "");
        ir_graph *g = build_if_graph(cast);
        ir_concrete_arg ca = {"c", "true"};
        ir_pass_opts o = {.concrete = &ca, .nconcrete = 1};
        int nerr = ir_passes_run(g, &o);
        if (nerr) ir_diag_print(&g->diag, stdout);
        CHECK_EQ_I(0, nerr, "errors");
        check_if_folded(g, IR_OP_RELU, "Relu");
        ir_graph_free(g);

        printf("-- --concrete-arg c=0%s\n", cast ? ", condition Cast(c)" : "");
        g = build_if_graph(cast);
        ca.text = "0";
        nerr = ir_passes_run(g, &o);
        if (nerr) ir_diag_print(&g->diag, stdout);
        CHECK_EQ_I(0, nerr, "errors");
        check_if_folded(g, IR_OP_NEG, "Neg");
        ir_graph_free(g);
    }
}

/* Nested: then = { r = Relu(x); k = Add(r, w) with w a branch initializer [1, 2, 3];
 *                  o = If(c) then Neg(k) else Exp(k) }.
 * With c = true: Relu -> Add(w) -> Neg -> y, where the inner branch's capture of k follows
 * k's renaming in the parent. */
static void test_nested_if(void) {
    printf("-- nested If capturing a value of the outer branch\n");
    ir_graph *g = ir_graph_new();
    g->opset = 17;
    int x = val(g, "x", IR_DT_FLOAT, 2, (int64_t[]){2, 3});
    ir_graph_add_input(g, x);
    int c = val(g, "c", IR_DT_BOOL, 0, NULL);
    ir_graph_add_input(g, c);
    int k_outer = val(g, "k", IR_DT_FLOAT, 2, (int64_t[]){2, 3}); /* a clash: renaming needed */
    node1(g, IR_OP_EXP, "exp_outer", 1, &x, k_outer);
    ir_graph_add_output(g, k_outer);
    int y = val(g, "y", IR_DT_FLOAT, -1, NULL);

    ir_graph *th = ir_subgraph_new(g);
    int tx = val(th, "x", IR_DT_FLOAT, 2, (int64_t[]){2, 3});
    th->vals[tx].kind = IR_VAL_OUTER;
    int tc = val(th, "c", IR_DT_BOOL, 0, NULL);
    th->vals[tc].kind = IR_VAL_OUTER;
    int tr = val(th, "r", IR_DT_FLOAT, -1, NULL);
    int tw = weight_f32(th, "w", 1, (int64_t[]){3}, (float[]){1, 2, 3});
    int tk = val(th, "k", IR_DT_FLOAT, -1, NULL);
    int to = val(th, "o", IR_DT_FLOAT, -1, NULL);
    node1(th, IR_OP_RELU, "relu", 1, &tx, tr);
    node1(th, IR_OP_ADD, "add", 2, (int[]){tr, tw}, tk);
    ir_graph *t2 = ir_subgraph_new(th);
    int t2k = val(t2, "k", IR_DT_FLOAT, -1, NULL);
    t2->vals[t2k].kind = IR_VAL_OUTER;
    int t2o = val(t2, "o2", IR_DT_FLOAT, -1, NULL);
    node1(t2, IR_OP_NEG, "neg", 1, &t2k, t2o);
    ir_graph_add_output(t2, t2o);
    ir_graph *e2 = ir_subgraph_new(th);
    int e2k = val(e2, "k", IR_DT_FLOAT, -1, NULL);
    e2->vals[e2k].kind = IR_VAL_OUTER;
    int e2o = val(e2, "o3", IR_DT_FLOAT, -1, NULL);
    node1(e2, IR_OP_EXP, "exp", 1, &e2k, e2o);
    ir_graph_add_output(e2, e2o);
    int n = node1(th, IR_OP_IF, "inner", 1, &tc, to);
    ir_node_add_attr(th, n, "then_branch", IR_ATTR_GRAPH)->g = t2;
    ir_node_add_attr(th, n, "else_branch", IR_ATTR_GRAPH)->g = e2;
    ir_graph_add_output(th, to);

    ir_graph *el = ir_subgraph_new(g);
    int ex = val(el, "x", IR_DT_FLOAT, 2, (int64_t[]){2, 3});
    el->vals[ex].kind = IR_VAL_OUTER;
    ir_graph_add_output(el, ex); /* else returns x itself: an Identity would carry it */

    n = node1(g, IR_OP_IF, "outer", 1, &c, y);
    ir_node_add_attr(g, n, "then_branch", IR_ATTR_GRAPH)->g = th;
    ir_node_add_attr(g, n, "else_branch", IR_ATTR_GRAPH)->g = el;
    ir_graph_add_output(g, y);

    ir_concrete_arg ca = {"c", "1"};
    ir_pass_opts o = {.concrete = &ca, .nconcrete = 1};
    int nerr = ir_passes_run(g, &o);
    if (nerr) ir_diag_print(&g->diag, stdout);
    CHECK_EQ_I(0, nerr, "errors");
    CHECK_EQ_I(0, count_op(g, IR_OP_IF), "both Ifs folded");
    CHECK_EQ_I(4, live_nodes(g), "Exp (outer), Relu, Add, Neg");
    const ir_node *neg = find_op(g, IR_OP_NEG), *add = find_op(g, IR_OP_ADD);
    CHECK(neg && add, "Neg and Add are there");
    if (neg && add) {
        CHECK(neg->in[0] == add->out[0], "Neg reads the inlined Add's output ('%s')",
              g->vals[neg->in[0]].name);
        CHECK(neg->in[0] != k_outer, "not the outer graph's 'k'");
        CHECK_EQ_S("y", g->vals[neg->out[0]].name, "Neg writes y");
        const ir_value *w = &g->vals[add->in[1]];
        CHECK(w->kind == IR_VAL_WEIGHT && w->data && ir_tensor_numel(w->data) == 3 &&
                  ir_tensor_get_f64(w->data, 2) == 3.0,
              "the branch initializer became a parent weight '%s' = [1, 2, 3]", w->name);
    }
    ir_graph_free(g);

    printf("-- If whose taken branch returns an outer value\n");
    g = build_if_graph(0);
    /* replace the else branch by one returning x */
    ir_graph *el2 = ir_subgraph_new(g);
    int ex2 = val(el2, "x", IR_DT_FLOAT, 2, (int64_t[]){2, 3});
    el2->vals[ex2].kind = IR_VAL_OUTER;
    ir_graph_add_output(el2, ex2);
    for (int i = 0; i < g->nnodes; i++)
        if (g->nodes[i].op == IR_OP_IF)
            for (int a = 0; a < g->nodes[i].nattr; a++)
                if (!strcmp(g->nodes[i].attrs[a].name, "else_branch")) g->nodes[i].attrs[a].g = el2;
    ca.text = "false";
    nerr = ir_passes_run(g, &o);
    CHECK_EQ_I(0, nerr, "errors");
    const ir_node *id = find_op(g, IR_OP_IDENTITY);
    CHECK_EQ_I(1, live_nodes(g), "one node left");
    CHECK(id && g->vals[id->in[0]].kind == IR_VAL_INPUT && g->vals[id->out[0]].is_output,
          "an Identity x -> y keeps the output name");
    ir_graph_free(g);
}

/* ---- (4) DCE ----
 * y = Relu(x) is the output; a = Exp(x), b = Neg(a) are unused: 2 nodes dead. */
static void test_dce(void) {
    printf("-- DCE\n");
    ir_graph *g = ir_graph_new();
    int x = val(g, "x", IR_DT_FLOAT, 1, (int64_t[]){4});
    ir_graph_add_input(g, x);
    int y = val(g, "y", IR_DT_FLOAT, 1, (int64_t[]){4});
    int a = val(g, "a", IR_DT_FLOAT, 1, (int64_t[]){4});
    int b = val(g, "b", IR_DT_FLOAT, 1, (int64_t[]){4});
    node1(g, IR_OP_EXP, "exp", 1, &x, a);
    node1(g, IR_OP_RELU, "relu", 1, &x, y);
    node1(g, IR_OP_NEG, "neg", 1, &a, b);
    ir_graph_add_output(g, y);
    CHECK_EQ_I(2, ir_pass_dce(g), "ir_pass_dce removed");
    CHECK(g->nodes[0].dead && !g->nodes[1].dead && g->nodes[2].dead, "Exp and Neg dead, Relu live");
    CHECK_EQ_I(0, ir_pass_dce(g), "second run removes nothing");
    ir_graph_compact(g);
    CHECK_EQ_I(1, g->nnodes, "after compaction");
    ir_graph_free(g);

    printf("-- DCE keeps what a live If's branch captures, drops the If's unused branch\n");
    g = build_if_graph(0);
    int xv = ir_value_find(g, "x");
    int z = val(g, "z", IR_DT_FLOAT, 2, (int64_t[]){2, 3});
    int u = val(g, "u", IR_DT_FLOAT, 2, (int64_t[]){2, 3});
    node1(g, IR_OP_TANH, "tanh_unused", 1, &xv, u);
    node1(g, IR_OP_SIGMOID, "sig", 1, &xv, z);
    /* the then-branch reads z instead of x */
    const ir_attr *th = ir_node_attr(find_op(g, IR_OP_IF), "then_branch");
    int tz = val(th->g, "z", IR_DT_FLOAT, 2, (int64_t[]){2, 3});
    th->g->vals[tz].kind = IR_VAL_OUTER;
    th->g->nodes[0].in[0] = tz;
    CHECK_EQ_I(1, ir_pass_dce(g), "only the Tanh is dead");
    CHECK(!find_op(g, IR_OP_TANH) && find_op(g, IR_OP_SIGMOID), "Sigmoid (captured) stays");
    /* now fold with c = false: the then-branch and so Sigmoid go */
    ir_concrete_arg ca = {"c", "false"};
    ir_pass_opts o = {.concrete = &ca, .nconcrete = 1};
    int nerr = ir_passes_run(g, &o);
    CHECK_EQ_I(0, nerr, "errors");
    CHECK(!find_op(g, IR_OP_SIGMOID) && find_op(g, IR_OP_NEG) && live_nodes(g) == 1,
          "after folding to else, only Neg is left");
    ir_graph_free(g);
}

/* ---- folding with the kernels: limits and failures ---- */
static void test_fold_limit(void) {
    printf("-- Transpose of a weight folds under the limit, stays over it\n");
    static float w[6] = {1, 2, 3, 4, 5, 6}; /* [2, 3]; transposed: [[1, 4], [2, 5], [3, 6]] */
    for (int big = 0; big < 2; big++) {
        ir_graph *g = ir_graph_new();
        g->opset = 17;
        int x = val(g, "x", IR_DT_FLOAT, 2, (int64_t[]){3, 2});
        ir_graph_add_input(g, x);
        int wv = weight_f32(g, "w", 2, (int64_t[]){2, 3}, w);
        int wt = val(g, "wt", IR_DT_UNDEF, -1, NULL);
        int y = val(g, "y", IR_DT_UNDEF, -1, NULL);
        node1(g, IR_OP_TRANSPOSE, "transpose", 1, &wv, wt);
        node1(g, IR_OP_ADD, "add", 2, (int[]){x, wt}, y); /* [3, 2] + [3, 2] */
        ir_graph_add_output(g, y);
        ir_pass_opts o = {.fold_limit = big ? 16 : 0}; /* wt is 24 bytes */
        int nerr = ir_passes_run(g, &o);
        if (nerr) ir_diag_print(&g->diag, stdout);
        CHECK_EQ_I(0, nerr, "errors");
        if (big) {
            CHECK_EQ_I(1, count_op(g, IR_OP_TRANSPOSE), "limit 16 bytes: Transpose stays");
        } else {
            CHECK_EQ_I(0, count_op(g, IR_OP_TRANSPOSE), "default limit: Transpose folded");
            const ir_node *add = find_op(g, IR_OP_ADD);
            const ir_value *t = add ? &g->vals[add->in[1]] : NULL;
            int okv = t && t->kind == IR_VAL_CONST && t->data && t->rank == 2 &&
                      t->dims[0].v == 3 && t->dims[1].v == 2;
            static const float want[6] = {1, 4, 2, 5, 3, 6};
            for (int i = 0; okv && i < 6; i++) okv = ir_tensor_get_f64(t->data, i) == want[i];
            CHECK(okv, "wt = [[1, 4], [2, 5], [3, 6]]");
        }
        ir_graph_free(g);
    }

    printf("-- MatMul(x, Transpose(w)) becomes one MatMul reading w transposed (any limit)\n");
    for (int big = 0; big < 2; big++) {
        ir_graph *g = ir_graph_new();
        g->opset = 17;
        int x = val(g, "x", IR_DT_FLOAT, 2, (int64_t[]){4, 3});
        ir_graph_add_input(g, x);
        int wv = weight_f32(g, "w", 2, (int64_t[]){2, 3}, w);
        int wt = val(g, "wt", IR_DT_UNDEF, -1, NULL);
        int y = val(g, "y", IR_DT_UNDEF, -1, NULL);
        node1(g, IR_OP_TRANSPOSE, "transpose", 1, &wv, wt);
        node1(g, IR_OP_MATMUL, "mm", 2, (int[]){x, wt}, y); /* [4, 3] x [3, 2] */
        ir_graph_add_output(g, y);
        ir_pass_opts o = {.fold_limit = big ? 16 : 0};
        int nerr = ir_passes_run(g, &o);
        CHECK_EQ_I(0, nerr, "errors");
        CHECK_EQ_I(0, count_op(g, IR_OP_TRANSPOSE), "no Transpose left (no copy of w made)");
        const ir_node *mm = find_op(g, IR_OP_MATMUL);
        CHECK(mm && mm->in[1] == wv && ir_attr_int(mm, RT_ATTR_MATMUL_TRANSB, 0) == 1,
              "MatMul(x, w) with %s = 1 (limit %s)", RT_ATTR_MATMUL_TRANSB, big ? "16" : "default");
        CHECK(g->vals[y].rank == 2 && g->vals[y].dims[0].v == 4 && g->vals[y].dims[1].v == 2,
              "y is still [4, 2]");
        ir_graph_free(g);
    }

    printf("-- a kernel failure while folding names the node\n");
    ir_graph *g = ir_graph_new();
    g->opset = 17;
    int data = cst_i64(g, "data", 1, (int64_t[]){3}, (int64_t[]){10, 20, 30});
    int idx = cst_i64(g, "idx", 1, (int64_t[]){1}, (int64_t[]){5});
    int x = val(g, "x", IR_DT_INT64, 1, (int64_t[]){1});
    ir_graph_add_input(g, x);
    int gv = val(g, "gv", IR_DT_UNDEF, -1, NULL), y = val(g, "y", IR_DT_UNDEF, -1, NULL);
    node1(g, IR_OP_GATHER, "bad_gather", 2, (int[]){data, idx}, gv);
    node1(g, IR_OP_ADD, "add", 2, (int[]){x, gv}, y);
    ir_graph_add_output(g, y);
    int nerr = ir_passes_run(g, NULL);
    CHECK_EQ_I(1, nerr, "one error (reported once, not per fold iteration)");
    CHECK_CONTAINS(diags(g), "node 'bad_gather' (Gather): constant folding failed", "message");
    ir_graph_free(g);

    printf("-- Shape folds from a known shape alone, Size too; Identity of a constant\n");
    g = ir_graph_new();
    g->opset = 17;
    x = val(g, "x", IR_DT_FLOAT, 3, (int64_t[]){2, 3, 4});
    ir_graph_add_input(g, x);
    int s = val(g, "s", IR_DT_UNDEF, -1, NULL), sz = val(g, "sz", IR_DT_UNDEF, -1, NULL);
    int si = val(g, "si", IR_DT_UNDEF, -1, NULL);
    node1(g, IR_OP_SHAPE, "shape", 1, &x, s);
    node1(g, IR_OP_SIZE, "size", 1, &x, sz);
    node1(g, IR_OP_IDENTITY, "id", 1, &s, si);
    ir_graph_add_output(g, si);
    ir_graph_add_output(g, sz);
    nerr = ir_passes_run(g, NULL);
    CHECK_EQ_I(0, nerr, "errors");
    CHECK_EQ_I(0, live_nodes(g), "no node left");
    CHECK(g->vals[si].kind == IR_VAL_CONST && i64_eq(g->vals[si].data, 3, (int64_t[]){2, 3, 4}),
          "Shape(x) = [2, 3, 4] reached the output through Identity");
    CHECK(g->vals[sz].kind == IR_VAL_CONST && i64_eq(g->vals[sz].data, 1, (int64_t[]){24}),
          "Size(x) = 24");
    ir_graph_free(g);
}

/* ---- concrete-arg parsing ---- */
static void test_concrete_parse(void) {
    printf("-- concrete args by dtype and shape\n");
    ir_graph *g = ir_graph_new();
    int k = val(g, "k", IR_DT_INT64, 1, (int64_t[]){-1});
    int f = val(g, "f", IR_DT_FLOAT, 0, NULL);
    int u = val(g, "u", IR_DT_INT32, -1, NULL);
    int h = val(g, "h", IR_DT_FLOAT16, 0, NULL);
    int m = val(g, "m", IR_DT_FLOAT, 2, (int64_t[]){2, 2});
    ir_graph_add_input(g, k);
    ir_graph_add_input(g, f);
    ir_graph_add_input(g, u);
    ir_graph_add_input(g, h);
    ir_graph_add_input(g, m);
    ir_concrete_arg ca[5] = {{"k", " 1, -2,3 "}, {"f", "1.5"}, {"u", "7"}, {"h", "-2.5"},
                             {"m", "1,2,3,4"}};
    CHECK_EQ_I(0, ir_pass_concrete_args(g, ca, 5), "errors");
    CHECK_EQ_I(0, g->ninputs, "all five removed from the inputs");
    CHECK(i64_eq(g->vals[k].data, 3, (int64_t[]){1, -2, 3}) && g->vals[k].dims[0].v == 3,
          "k = [1, -2, 3]");
    CHECK(g->vals[f].data && g->vals[f].data->rank == 0 &&
              ((float *)g->vals[f].data->data)[0] == 1.5f, "f = 1.5 (scalar)");
    CHECK(g->vals[u].data && g->vals[u].data->rank == 0 && g->vals[u].data->dtype == IR_DT_INT32 &&
              ((int32_t *)g->vals[u].data->data)[0] == 7, "u (rank unknown) = int32 scalar 7");
    CHECK(g->vals[h].data && ((uint16_t *)g->vals[h].data->data)[0] == 0xC100,
          "h = float16 -2.5 (0xC100)");
    CHECK(g->vals[m].data && g->vals[m].data->rank == 2 && ir_tensor_get_f64(g->vals[m].data, 3) == 4,
          "m = [[1, 2], [3, 4]]");
    ir_graph_free(g);
}

/* ---- (5) error messages ---- */
static void test_errors(void) {
    printf("-- diagnostics\n");
    ir_graph *g = build_reshape_graph();
    ir_shape_bind b1 = {"zz", 1, {4}};
    CHECK_EQ_I(1, ir_pass_bind_shapes(g, &b1, 1), "unknown name: one error");
    CHECK_CONTAINS(diags(g), "--input-shape: no graph input or dim_param named 'zz'", "message");
    ir_graph_free(g);

    g = build_reshape_graph();
    ir_shape_bind b2 = {"x", 2, {2, 5}};
    CHECK_EQ_I(1, ir_pass_bind_shapes(g, &b2, 1), "rank mismatch: one error");
    CHECK_CONTAINS(diags(g), "--input-shape x: 2 dims given, but input 'x' has rank 3", "message");
    ir_graph_free(g);

    g = build_reshape_graph();
    ir_shape_bind b3 = {"x", 3, {2, 5, 9}};
    CHECK_EQ_I(1, ir_pass_bind_shapes(g, &b3, 1), "dim mismatch: one error");
    CHECK_CONTAINS(diags(g), "--input-shape x: dim 2 is 8 in the model, not 9", "message");
    ir_graph_free(g);

    g = build_reshape_graph();
    ir_shape_bind b4[2] = {{"x", 3, {2, 5, 8}}, {"batch", 1, {3}}};
    CHECK_EQ_I(1, ir_pass_bind_shapes(g, b4, 2), "conflicting symbol: one error");
    CHECK_CONTAINS(diags(g), "dim_param 'batch' is 2 by 'x' but 3 by 'batch'", "message");
    ir_graph_free(g);

    g = build_if_graph(0);
    ir_concrete_arg c1 = {"c", "maybe"};
    ir_pass_opts o = {.concrete = &c1, .nconcrete = 1};
    CHECK_EQ_I(1, ir_passes_run(g, &o), "bad bool: one error");
    CHECK_CONTAINS(diags(g), "--concrete-arg c: 'maybe' is not a valid bool (true, false, 1 or 0)",
                   "message");
    CHECK_EQ_I(2, g->ninputs, "c stays an input");
    CHECK_EQ_I(1, count_op(g, IR_OP_IF), "the If stays");
    ir_graph_free(g);

    g = build_if_graph(0);
    ir_concrete_arg c2[3] = {{"nope", "1"}, {"c", "1,0"}, {"x", "1,2"}};
    CHECK_EQ_I(3, ir_pass_concrete_args(g, c2, 3), "three errors");
    CHECK_CONTAINS(diags(g), "--concrete-arg: no graph input named 'nope'", "unknown name");
    CHECK_CONTAINS(diags(g), "--concrete-arg c: input 'c' is a scalar, but 2 values were given",
                   "list for a scalar");
    CHECK_CONTAINS(diags(g), "--concrete-arg x: input 'x' has 6 elements, but 2 values were given",
                   "count mismatch");
    ir_graph_free(g);

    g = ir_graph_new();
    int s = val(g, "s", IR_DT_STRING, 0, NULL);
    int i8 = val(g, "i8", IR_DT_INT8, 0, NULL);
    ir_graph_add_input(g, s);
    ir_graph_add_input(g, i8);
    ir_concrete_arg c3[2] = {{"s", "hi"}, {"i8", "300"}};
    CHECK_EQ_I(2, ir_pass_concrete_args(g, c3, 2), "two errors");
    CHECK_CONTAINS(diags(g), "input 's' has dtype string, which cannot be given as text", "string");
    CHECK_CONTAINS(diags(g), "--concrete-arg i8: '300' is not a valid int8", "out of range");
    ir_graph_free(g);

    printf("-- an If on a constant that is not bool\n");
    g = build_if_graph(0);
    /* make the condition an int64 constant */
    int ci = cst_i64(g, "ci", 0, NULL, (int64_t[]){1});
    for (int i = 0; i < g->nnodes; i++)
        if (g->nodes[i].op == IR_OP_IF) g->nodes[i].in[0] = ci;
    int nerr = ir_passes_run(g, NULL);
    /* shape inference may say so too; the fold loop must not repeat it per iteration */
    CHECK(nerr >= 1 && nerr <= 2, "one or two errors, got %d", nerr);
    const char *msg = "node 'if0' (If) input 0: condition 'ci' is a constant int64, not bool";
    CHECK_CONTAINS(diags(g), msg, "message");
    const char *first = strstr(diags(g), msg);
    CHECK(first && !strstr(first + 1, msg), "said once");
    CHECK_EQ_I(1, count_op(g, IR_OP_IF), "the If stays");
    ir_graph_free(g);
}

/* ---- allocation failures: fail the Nth allocation of the passes, for every N ----
 * Each run must end with either the right result or the sticky oom flag, never a crash
 * (and, under ASan, no leak). */
static void test_alloc_failures(void) {
    printf("-- allocation failure at every point of ir_passes_run\n");
    int clean = 0, ok = 1, n;
    for (n = 1; n < 2000 && !clean; n++) {
        int clean_runs = 0;
        for (int which = 0; which < 2; which++) {
            ir_graph *g = which ? build_if_graph(1) : build_reshape_graph();
            ir_shape_bind binds[2] = {{"batch", 1, {2}}, {"seq", 1, {5}}};
            ir_concrete_arg ca = {"c", "true"};
            ir_pass_opts o = which ? (ir_pass_opts){.concrete = &ca, .nconcrete = 1}
                                   : (ir_pass_opts){.binds = binds, .nbinds = 2};
            ir_fail_alloc_at(n);
            int nerr = ir_passes_run(g, &o);
            ir_fail_alloc_at(0);
            int oom = g->diag.oom;
            int good = which ? count_op(g, IR_OP_IF) == 0 && live_nodes(g) == 1
                             : live_nodes(g) == 1 && count_op(g, IR_OP_RESHAPE) == 1;
            if (!oom && (nerr || !good)) {
                printf("N=%d graph %d: no oom reported, but %d errors / wrong result\n", n,
                       which, nerr);
                ok = 0;
            }
            clean_runs += !oom; /* both clean: the hook fires past the end of both */
            ir_graph_free(g);
        }
        clean = clean_runs == 2;
    }
    CHECK(ok, "every failing run ended with the oom flag or the right result (N = 1..%d)", n - 1);
}

int main(void) {
    test_shape_subgraph();
    test_range();
    test_concrete_if();
    test_nested_if();
    test_dce();
    test_fold_limit();
    test_concrete_parse();
    test_errors();
    test_alloc_failures();
    T_DONE();
}
