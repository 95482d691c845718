/* test_frontend.c - the ONNX frontend on models built here with protobuf-c: types, weights
 * (raw, typed, external), opset normalization, error reports, bad files, If captures. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fe.h"
#include "onnx.pb-c.h"
#include "t.h"

/* ---- test allocations, freed at the end ---- */
static void *pool[4096];
static int npool;
static void *tal(size_t n) {
    void *p = calloc(1, n ? n : 1);
    if (npool < 4096) pool[npool++] = p;
    return p;
}
static void tfree_all(void) {
    while (npool) free(pool[--npool]);
}
static char *tstr(const char *s) { return strcpy(tal(strlen(s) + 1), s); }

/* ---- ModelProto builders ---- */
static Onnx__ValueInfoProto *vinfo(const char *name, int dt, int rank, const int64_t *dims,
                                   const char *const *syms) {
    Onnx__ValueInfoProto *v = tal(sizeof *v);
    onnx__value_info_proto__init(v);
    v->name = tstr(name);
    Onnx__TypeProto *t = tal(sizeof *t);
    onnx__type_proto__init(t);
    Onnx__TypeProto__Tensor *tt = tal(sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = dt;
    if (rank >= 0) {
        Onnx__TensorShapeProto *s = tal(sizeof *s);
        onnx__tensor_shape_proto__init(s);
        s->n_dim = (size_t)rank;
        s->dim = tal((size_t)rank * sizeof *s->dim);
        for (int i = 0; i < rank; i++) {
            Onnx__TensorShapeProto__Dimension *d = tal(sizeof *d);
            onnx__tensor_shape_proto__dimension__init(d);
            if (syms && syms[i]) {
                d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
                d->dim_param = tstr(syms[i]);
            } else {
                d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
                d->dim_value = dims[i];
            }
            s->dim[i] = d;
        }
        tt->shape = s;
    }
    t->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    t->tensor_type = tt;
    v->type = t;
    return v;
}

static Onnx__TensorProto *tensor(const char *name, int dt, int rank, const int64_t *dims) {
    Onnx__TensorProto *t = tal(sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = tstr(name);
    t->has_data_type = 1;
    t->data_type = dt;
    t->n_dims = (size_t)rank;
    t->dims = tal((size_t)rank * sizeof(int64_t));
    if (rank) memcpy(t->dims, dims, (size_t)rank * sizeof(int64_t));
    return t;
}

static Onnx__TensorProto *tensor_raw(const char *name, int dt, int rank, const int64_t *dims,
                                     const void *data, size_t n) {
    Onnx__TensorProto *t = tensor(name, dt, rank, dims);
    t->has_raw_data = 1;
    t->raw_data.len = n;
    t->raw_data.data = tal(n);
    memcpy(t->raw_data.data, data, n);
    return t;
}

static void ext_kv(Onnx__TensorProto *t, const char *k, const char *v) {
    Onnx__StringStringEntryProto **e = tal((t->n_external_data + 1) * sizeof *e);
    if (t->n_external_data) memcpy(e, t->external_data, t->n_external_data * sizeof *e);
    e[t->n_external_data] = tal(sizeof **e);
    onnx__string_string_entry_proto__init(e[t->n_external_data]);
    e[t->n_external_data]->key = tstr(k);
    e[t->n_external_data]->value = tstr(v);
    t->external_data = e;
    t->n_external_data++;
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
}

static Onnx__NodeProto *node(const char *op, const char *domain, const char *name,
                             const char *ins, const char *outs) {
    Onnx__NodeProto *n = tal(sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = tstr(op);
    n->domain = tstr(domain);
    n->name = tstr(name);
    /* "a,b,,c": comma-separated names; empty ones are left-out optional inputs */
    const char *lists[2] = {ins, outs};
    for (int k = 0; k < 2; k++) {
        char **arr = tal(16 * sizeof(char *));
        size_t cnt = 0;
        const char *p = lists[k];
        while (p && *p) {
            const char *e = strchr(p, ',');
            size_t l = e ? (size_t)(e - p) : strlen(p);
            arr[cnt] = tal(l + 1);
            memcpy(arr[cnt], p, l);
            cnt++;
            if (!e) break;
            p = e + 1;
            if (!*p) arr[cnt++] = tstr("");
        }
        if (k == 0) { n->input = arr; n->n_input = cnt; }
        else { n->output = arr; n->n_output = cnt; }
    }
    return n;
}

static Onnx__AttributeProto *add_attr(Onnx__NodeProto *n, const char *name, int type) {
    Onnx__AttributeProto **a = tal((n->n_attribute + 1) * sizeof *a);
    if (n->n_attribute) memcpy(a, n->attribute, n->n_attribute * sizeof *a);
    Onnx__AttributeProto *x = tal(sizeof *x);
    onnx__attribute_proto__init(x);
    x->name = tstr(name);
    x->has_type = 1;
    x->type = type;
    a[n->n_attribute++] = x;
    n->attribute = a;
    return x;
}

static void attr_ints(Onnx__NodeProto *n, const char *name, int cnt, const int64_t *v) {
    Onnx__AttributeProto *a = add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = (size_t)cnt;
    a->ints = tal((size_t)cnt * sizeof(int64_t));
    memcpy(a->ints, v, (size_t)cnt * sizeof(int64_t));
}

static void attr_int(Onnx__NodeProto *n, const char *name, int64_t v) {
    Onnx__AttributeProto *a = add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

static void attr_float(Onnx__NodeProto *n, const char *name, float v) {
    Onnx__AttributeProto *a = add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

typedef struct gb {
    Onnx__GraphProto *g;
} gb;

static Onnx__GraphProto *graph(const char *name) {
    Onnx__GraphProto *g = tal(sizeof *g);
    onnx__graph_proto__init(g);
    g->name = tstr(name);
    g->node = tal(64 * sizeof *g->node);
    g->initializer = tal(64 * sizeof *g->initializer);
    g->input = tal(64 * sizeof *g->input);
    g->output = tal(64 * sizeof *g->output);
    return g;
}
#define G_NODE(g, n) ((g)->node[(g)->n_node++] = (n))
#define G_INIT(g, t) ((g)->initializer[(g)->n_initializer++] = (t))
#define G_IN(g, v) ((g)->input[(g)->n_input++] = (v))
#define G_OUT(g, v) ((g)->output[(g)->n_output++] = (v))

static char tmpdir[256];

/* Pack a model of graph g at opset into dir/file; returns the path (static buffer). */
static const char *write_model(Onnx__GraphProto *g, int opset, const char *dir,
                               const char *file) {
    Onnx__ModelProto m;
    onnx__model_proto__init(&m);
    m.has_ir_version = 1;
    m.ir_version = 8;
    m.producer_name = "test_frontend";
    Onnx__OperatorSetIdProto os, *osp = &os;
    onnx__operator_set_id_proto__init(&os);
    os.domain = "";
    os.has_version = 1;
    os.version = opset;
    m.n_opset_import = 1;
    m.opset_import = &osp;
    m.graph = g;
    size_t n = onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = malloc(n);
    onnx__model_proto__pack(&m, buf);
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "wb");
    fwrite(buf, 1, n, f);
    fclose(f);
    free(buf);
    return path;
}

static ir_graph *load(const char *path, char *err) {
    fe_model_info info;
    return fe_onnx_load(path, NULL, &info, err, 512);
}

static const char *msg0(ir_graph *g) { return g && g->diag.nmsg ? g->diag.msgs[0] : ""; }

/* ---- tests ---- */

static void test_matmul_add(void) {
    Onnx__GraphProto *g = graph("mm");
    const char *syms[] = {"N", NULL};
    int64_t xd[] = {0, 4}, wd[] = {4, 3}, bd[] = {3}, yd[] = {0, 3};
    float w[12], b[3] = {0.5f, -1.0f, 2.0f};
    for (int i = 0; i < 12; i++) w[i] = (float)i * 0.25f;
    G_IN(g, vinfo("X", IR_DT_FLOAT, 2, xd, syms));
    G_IN(g, vinfo("W", IR_DT_FLOAT, 2, wd, NULL)); /* old IR: initializer listed as input */
    G_INIT(g, tensor_raw("W", IR_DT_FLOAT, 2, wd, w, sizeof w));
    Onnx__TensorProto *tb = tensor("B", IR_DT_FLOAT, 1, bd);
    tb->n_float_data = 3;
    tb->float_data = b;
    G_INIT(g, tb);
    G_NODE(g, node("MatMul", "", "mm0", "X,W", "H"));
    G_NODE(g, node("Add", "", "", "H,B", "Y"));
    G_OUT(g, vinfo("Y", IR_DT_FLOAT, 2, yd, (const char *[]){"N", NULL}));
    char err[512];
    fe_model_info info;
    ir_graph *ir = fe_onnx_load(write_model(g, 17, tmpdir, "mm.onnx"), NULL, &info, err, 512);
    CHECK(ir && ir->diag.nerr == 0, "MatMul+Add imports without errors (%s)", msg0(ir));
    if (!ir) return;
    CHECK_EQ_I(17, ir->opset, "opset");
    CHECK_EQ_I(17, info.opset, "info.opset");
    CHECK_EQ_I(8, info.ir_version, "info.ir_version");
    CHECK_EQ_S("test_frontend", info.producer, "info.producer");
    CHECK_EQ_I(1, ir->ninputs, "W listed as input and initializer is a weight, not an input");
    const ir_value *x = &ir->vals[ir->inputs[0]];
    CHECK_EQ_S("X", x->name, "input name");
    CHECK_EQ_I(IR_DT_FLOAT, x->dtype, "X dtype");
    CHECK_EQ_I(2, x->rank, "X rank");
    CHECK_EQ_S("N", x->dims[0].sym, "X dim 0 is dim_param N");
    CHECK_EQ_I(-1, x->dims[0].v, "X dim 0 unknown");
    CHECK_EQ_I(4, x->dims[1].v, "X dim 1");
    int wv = ir_value_find(ir, "W"), bv = ir_value_find(ir, "B");
    CHECK(wv >= 0 && ir->vals[wv].kind == IR_VAL_WEIGHT, "W is IR_VAL_WEIGHT");
    CHECK(wv >= 0 && ir->vals[wv].data && ir->vals[wv].data->nbytes == 48 &&
              memcmp(ir->vals[wv].data->data, w, 48) == 0, "W's 48 bytes are the raw_data");
    CHECK(bv >= 0 && ir->vals[bv].data && memcmp(ir->vals[bv].data->data, b, 12) == 0,
          "B's float_data values");
    CHECK_EQ_I(0, ir->vals[wv].data->external, "inline weight is not external");
    CHECK_EQ_I(2, ir->nnodes, "2 nodes");
    CHECK_EQ_I(IR_OP_MATMUL, ir->nodes[0].op, "node 0 MatMul");
    CHECK_EQ_I(IR_OP_ADD, ir->nodes[1].op, "node 1 Add");
    CHECK_EQ_S("Add_1", ir->nodes[1].name, "nameless node named <op>_<index>");
    const ir_value *y = &ir->vals[ir->outputs[0]];
    CHECK(y->dtype == IR_DT_FLOAT && y->rank == 2 && y->dims[1].v == 3 && y->dims[0].sym &&
              strcmp(y->dims[0].sym, "N") == 0, "output Y float32[Nx3]");
    CHECK_EQ_I(0, ir_graph_validate(ir), "validates");
    ir_graph_free(ir);
}

static void test_typed_vs_raw(void) {
    Onnx__GraphProto *g = graph("typed");
    int64_t d3[] = {3};
    int64_t i64[] = {-5, 7, 1LL << 40};
    uint16_t f16[] = {0x3c00, 0xc000, 0x7bff}; /* 1.0, -2.0, 65504 */
    uint8_t bl[] = {1, 0, 1};
    double dd[] = {0.1, -2.5, 1e300};
    int8_t i8[] = {-128, 0, 127};
    G_INIT(g, tensor_raw("i64_raw", IR_DT_INT64, 1, d3, i64, sizeof i64));
    Onnx__TensorProto *t = tensor("i64_typed", IR_DT_INT64, 1, d3);
    t->n_int64_data = 3; t->int64_data = i64;
    G_INIT(g, t);
    G_INIT(g, tensor_raw("f16_raw", IR_DT_FLOAT16, 1, d3, f16, sizeof f16));
    t = tensor("f16_typed", IR_DT_FLOAT16, 1, d3);
    int32_t f16w[] = {0x3c00, 0xc000, 0x7bff};
    t->n_int32_data = 3; t->int32_data = f16w;
    G_INIT(g, t);
    G_INIT(g, tensor_raw("bool_raw", IR_DT_BOOL, 1, d3, bl, sizeof bl));
    t = tensor("bool_typed", IR_DT_BOOL, 1, d3);
    int32_t bw[] = {1, 0, 1};
    t->n_int32_data = 3; t->int32_data = bw;
    G_INIT(g, t);
    G_INIT(g, tensor_raw("f64_raw", IR_DT_DOUBLE, 1, d3, dd, sizeof dd));
    t = tensor("f64_typed", IR_DT_DOUBLE, 1, d3);
    t->n_double_data = 3; t->double_data = dd;
    G_INIT(g, t);
    G_INIT(g, tensor_raw("i8_raw", IR_DT_INT8, 1, d3, i8, sizeof i8));
    t = tensor("i8_typed", IR_DT_INT8, 1, d3);
    int32_t i8w[] = {-128, 0, 127};
    t->n_int32_data = 3; t->int32_data = i8w;
    G_INIT(g, t);
    G_IN(g, vinfo("X", IR_DT_INT64, 1, d3, NULL));
    G_NODE(g, node("Add", "", "a", "X,i64_raw", "Y"));
    G_OUT(g, vinfo("Y", IR_DT_INT64, 1, d3, NULL));
    char err[512];
    ir_graph *ir = load(write_model(g, 17, tmpdir, "typed.onnx"), err);
    CHECK(ir && ir->diag.nerr == 0, "typed/raw model imports (%s)", msg0(ir));
    if (!ir) return;
    const char *pairs[][2] = {{"i64_raw", "i64_typed"}, {"f16_raw", "f16_typed"},
                              {"bool_raw", "bool_typed"}, {"f64_raw", "f64_typed"},
                              {"i8_raw", "i8_typed"}};
    const void *ref[] = {i64, f16, bl, dd, i8};
    for (int i = 0; i < 5; i++) {
        int a = ir_value_find(ir, pairs[i][0]), b = ir_value_find(ir, pairs[i][1]);
        const ir_tensor *ta = a >= 0 ? ir->vals[a].data : NULL, *tb = b >= 0 ? ir->vals[b].data : NULL;
        CHECK(ta && tb && ta->nbytes == tb->nbytes && memcmp(ta->data, ref[i], ta->nbytes) == 0 &&
                  memcmp(tb->data, ref[i], tb->nbytes) == 0,
              "%s and %s hold the same (hand-written) values", pairs[i][0], pairs[i][1]);
    }
    ir_graph_free(ir);

    /* raw_data shorter than the shape; typed count wrong; dims overflow; negative dim */
    g = graph("bad");
    int64_t d4[] = {4}, big[] = {1LL << 40, 1LL << 40}, neg[] = {-2};
    G_INIT(g, tensor_raw("short", IR_DT_FLOAT, 1, d4, f16, 6));
    t = tensor("count", IR_DT_INT64, 1, d4);
    t->n_int64_data = 3; t->int64_data = i64;
    G_INIT(g, t);
    G_INIT(g, tensor_raw("huge", IR_DT_FLOAT, 2, big, f16, 6));
    G_INIT(g, tensor_raw("neg", IR_DT_FLOAT, 1, neg, f16, 6));
    G_IN(g, vinfo("X", IR_DT_FLOAT, 1, d4, NULL));
    G_NODE(g, node("Relu", "", "r", "X", "Y"));
    G_OUT(g, vinfo("Y", IR_DT_FLOAT, 1, d4, NULL));
    ir = load(write_model(g, 17, tmpdir, "bad.onnx"), err);
    CHECK(ir && ir->diag.nerr == 4, "4 bad initializers give 4 errors (got %d)", ir ? ir->diag.nerr : -1);
    if (ir && ir->diag.nmsg == 4) {
        CHECK_EQ_S("initializer 'short': raw_data has 6 bytes, its shape float32[4] needs 16",
                   ir->diag.msgs[0], "short raw_data");
        CHECK_EQ_S("initializer 'count': int64_data has 3 values, its shape int64[4] needs 4",
                   ir->diag.msgs[1], "typed count");
        CHECK_EQ_S("initializer 'huge': element count overflows (dim 1)", ir->diag.msgs[2],
                   "dims overflow");
        CHECK_EQ_S("initializer 'neg' has negative dimension -2 (dim 0)", ir->diag.msgs[3],
                   "negative dim");
    }
    ir_graph_free(ir);
}

static const ir_tensor *const_input(ir_graph *g, const ir_node *n, int k) {
    return k < n->nin && n->in[k] >= 0 ? g->vals[n->in[k]].data : NULL;
}

static void test_opset_normalization(void) {
    Onnx__GraphProto *g = graph("old");
    int64_t xd[] = {1, 3, 1, 5}, ax[] = {0, 2}, ax1[] = {1};
    G_IN(g, vinfo("X", IR_DT_FLOAT, 4, xd, NULL));
    Onnx__NodeProto *sq = node("Squeeze", "", "sq", "X", "S");
    attr_ints(sq, "axes", 2, ax);
    G_NODE(g, sq);
    Onnx__NodeProto *rs = node("ReduceMean", "", "rm", "S", "R");
    attr_ints(rs, "axes", 1, ax1);
    attr_int(rs, "keepdims", 1);
    G_NODE(g, rs);
    Onnx__NodeProto *cl = node("Clip", "", "clip", "X", "C"); /* opset 11: inputs already */
    G_NODE(g, cl);
    Onnx__NodeProto *sm = node("Softmax", "", "sm", "X", "P"); /* axis 1 of rank 4: coerced */
    attr_int(sm, "axis", 1);
    G_NODE(g, sm);
    G_OUT(g, vinfo("R", IR_DT_FLOAT, -1, NULL, NULL));
    G_OUT(g, vinfo("C", IR_DT_FLOAT, -1, NULL, NULL));
    G_OUT(g, vinfo("P", IR_DT_FLOAT, -1, NULL, NULL));
    char err[512];
    ir_graph *ir = load(write_model(g, 11, tmpdir, "old11.onnx"), err);
    CHECK(ir && ir->diag.nerr == 0, "opset-11 model imports (%s)", msg0(ir));
    if (!ir) return;
    const ir_node *n = &ir->nodes[0];
    const ir_tensor *t = const_input(ir, n, 1);
    CHECK(n->op == IR_OP_SQUEEZE && n->nin == 2 && !ir_node_attr(n, "axes"),
          "opset-11 Squeeze: axes attribute became input 1");
    CHECK(t && t->dtype == IR_DT_INT64 && t->rank == 1 && t->dims[0] == 2 &&
              ((int64_t *)t->data)[0] == 0 && ((int64_t *)t->data)[1] == 2,
          "Squeeze axes input holds int64 [0, 2]");
    CHECK(n->in[1] >= 0 && ir->vals[n->in[1]].kind == IR_VAL_CONST, "axes input is IR_VAL_CONST");
    n = &ir->nodes[1];
    t = const_input(ir, n, 1);
    CHECK(n->op == IR_OP_REDUCEMEAN && t && ((int64_t *)t->data)[0] == 1 &&
              ir_attr_int(n, "keepdims", 0) == 1,
          "opset-11 ReduceMean: axes [1] as input, keepdims kept");
    /* Softmax(axis=1) on rank 4, opset 11: Shape, Flatten(axis 1), Softmax(axis 1), Reshape */
    CHECK_EQ_I(7, ir->nnodes, "Softmax became 4 nodes (7 in all)");
    if (ir->nnodes == 7) {
        CHECK(ir->nodes[3].op == IR_OP_SHAPE && ir->nodes[4].op == IR_OP_FLATTEN &&
                  ir_attr_int(&ir->nodes[4], "axis", -9) == 1 && ir->nodes[5].op == IR_OP_SOFTMAX &&
                  ir_attr_int(&ir->nodes[5], "axis", -9) == 1 &&
                  ir->nodes[6].op == IR_OP_RESHAPE,
              "Shape, Flatten(axis=1), Softmax(axis=1), Reshape");
        CHECK_EQ_S("sm", ir->nodes[5].name, "the Softmax keeps the node's name");
        CHECK(ir->vals[ir_value_find(ir, "P")].producer == 6, "P is produced by the Reshape");
    }
    CHECK_EQ_I(0, ir_graph_validate(ir), "validates");
    ir_graph_free(ir);

    /* opset 10: Clip attrs -> inputs; Slice attrs (opset 9) checked at opset 9 below */
    g = graph("old10");
    G_IN(g, vinfo("X", IR_DT_FLOAT, 4, xd, NULL));
    cl = node("Clip", "", "clip", "X", "C");
    attr_float(cl, "min", -1.5f);
    attr_float(cl, "max", 2.0f);
    G_NODE(g, cl);
    Onnx__NodeProto *sl = node("Slice", "", "sl", "X", "Z");
    int64_t st[] = {1}, en[] = {3}, sax[] = {1};
    attr_ints(sl, "starts", 1, st);
    attr_ints(sl, "ends", 1, en);
    attr_ints(sl, "axes", 1, sax);
    G_NODE(g, sl);
    sm = node("Softmax", "", "sm", "X", "P"); /* axis 3 = last: kept, made explicit */
    attr_int(sm, "axis", 3);
    G_NODE(g, sm);
    G_OUT(g, vinfo("C", IR_DT_FLOAT, -1, NULL, NULL));
    G_OUT(g, vinfo("Z", IR_DT_FLOAT, -1, NULL, NULL));
    G_OUT(g, vinfo("P", IR_DT_FLOAT, -1, NULL, NULL));
    ir = load(write_model(g, 9, tmpdir, "old9.onnx"), err);
    CHECK(ir && ir->diag.nerr == 0, "opset-9 model imports (%s)", msg0(ir));
    if (!ir) return;
    n = &ir->nodes[0];
    const ir_tensor *mn = const_input(ir, n, 1), *mx = const_input(ir, n, 2);
    CHECK(n->nin == 3 && mn && mx && mn->dtype == IR_DT_FLOAT && mn->rank == 0 &&
              *(float *)mn->data == -1.5f && *(float *)mx->data == 2.0f && n->nattr == 0,
          "opset-9 Clip: min -1.5, max 2 as float scalar inputs");
    n = &ir->nodes[1];
    CHECK(n->nin == 4 && const_input(ir, n, 1) && ((int64_t *)const_input(ir, n, 1)->data)[0] == 1 &&
              ((int64_t *)const_input(ir, n, 2)->data)[0] == 3 &&
              ((int64_t *)const_input(ir, n, 3)->data)[0] == 1 && n->nattr == 0,
          "opset-9 Slice: starts/ends/axes as inputs");
    CHECK(ir->nnodes == 3 && ir->nodes[2].op == IR_OP_SOFTMAX &&
              ir_attr_int(&ir->nodes[2], "axis", 1) == -1,
          "opset-9 Softmax on the last axis stays one node with axis -1");
    ir_graph_free(ir);

    /* opset 6: the same forms (Clip, Slice attrs) import; opset 0 does not exist */
    ir = load(write_model(g, 6, tmpdir, "old6.onnx"), err);
    CHECK(ir && ir->diag.nerr == 0, "opset-6 model imports (%s)", msg0(ir));
    ir_graph_free(ir);
    ir = load(write_model(g, 0, tmpdir, "old0.onnx"), err);
    CHECK(ir && ir->diag.nerr == 1, "opset 0 is one error");
    CHECK_CONTAINS(msg0(ir), "opset 0 of the default ONNX domain does not exist", "opset 0");
    ir_graph_free(ir);
}

/* Import, validate, order and fold every constant: what the compiler's passes would do to a
 * graph whose inputs are all weights. */
static ir_graph *load_folded(Onnx__GraphProto *g, int opset, const char *file, char *err) {
    ir_graph *ir = load(write_model(g, opset, tmpdir, file), err);
    if (!ir || ir->diag.nerr || ir_graph_validate(ir) || ir_graph_toposort(ir)) return ir;
    while (ir_pass_fold_constants(ir, 1 << 20) > 0) {}
    return ir;
}

static const float *out_data(ir_graph *ir, const char *name, int rank, const int64_t *dims) {
    int v = ir_value_find(ir, name);
    const ir_tensor *t = v >= 0 ? ir->vals[v].data : NULL;
    if (!t || t->dtype != IR_DT_FLOAT || t->rank != rank) return NULL;
    for (int i = 0; i < rank; i++)
        if (t->dims[i] != dims[i]) return NULL;
    return t->data;
}

static Onnx__ValueInfoProto **value_infos(Onnx__GraphProto *g) {
    if (!g->value_info) g->value_info = tal(16 * sizeof *g->value_info);
    return g->value_info;
}

/* Opsets 1..6: Add's broadcast/axis (B aligned at axis, not at the end), by each route:
 * B constant (a reshaped view), B's rank known (Unsqueeze), A's rank unknown (Shape
 * arithmetic the folder settles). Each must compute A + B[j] at [i,j,k]. */
static void test_opset6_broadcast_axis(void) {
    int64_t ad[] = {2, 3, 4}, bd[] = {3}, yd[] = {2, 3, 4};
    float a[24], b[3] = {10, 20, 30}, want[24];
    for (int i = 0; i < 24; i++) {
        a[i] = (float)i * 0.5f;
        want[i] = a[i] + b[(i / 4) % 3];
    }
    static const char *const routes[] = {"constant B", "B of known rank", "A of unknown rank"};
    for (int r = 0; r < 3; r++) {
        Onnx__GraphProto *g = graph("bc6");
        G_INIT(g, tensor_raw("A0", IR_DT_FLOAT, 3, ad, a, sizeof a));
        G_INIT(g, tensor_raw("B0", IR_DT_FLOAT, 1, bd, b, sizeof b));
        const char *ins = "A0,B0";
        if (r == 1) {
            G_NODE(g, node("Identity", "", "idb", "B0", "B"));
            value_infos(g)[g->n_value_info++] = vinfo("B", IR_DT_FLOAT, 1, bd, NULL);
            ins = "A0,B";
        } else if (r == 2) {
            G_NODE(g, node("Identity", "", "ida", "A0", "A")); /* no type: rank unknown */
            ins = "A,B0";
        }
        Onnx__NodeProto *add = node("Add", "", "add", ins, "Y");
        attr_int(add, "broadcast", 1);
        attr_int(add, "axis", 1);
        G_NODE(g, add);
        G_OUT(g, vinfo("Y", IR_DT_FLOAT, -1, NULL, NULL));
        char err[512];
        ir_graph *ir = load_folded(g, 6, "bc6.onnx", err);
        CHECK(ir && ir->diag.nerr == 0, "opset-6 Add broadcast=1 axis=1, %s: imports and "
              "folds (%s)", routes[r], msg0(ir));
        if (!ir) continue;
        int an = -1;
        for (int i = 0; i < ir->nnodes; i++)
            if (ir->nodes[i].op == IR_OP_ADD && strcmp(ir->nodes[i].name, "add") == 0) an = i;
        CHECK(an >= 0 && !ir_node_attr(&ir->nodes[an], "broadcast") &&
                  !ir_node_attr(&ir->nodes[an], "axis"),
              "%s: Add keeps no broadcast/axis attributes", routes[r]);
        int route_op = r == 1 ? IR_OP_UNSQUEEZE : IR_OP_CONSTANTOFSHAPE, seen = 0;
        for (int i = 0; i < ir->nnodes; i++) seen += (int)ir->nodes[i].op == route_op;
        if (r > 0)
            CHECK_EQ_I(1, seen, r == 1 ? "one Unsqueeze inserted"
                                       : "one ConstantOfShape inserted");
        if (r == 0 && an >= 0) {
            const ir_tensor *t = const_input(ir, &ir->nodes[an], 1);
            CHECK(t && t->rank == 2 && t->dims[0] == 3 && t->dims[1] == 1 && t->data &&
                      ((float *)t->data)[2] == 30,
                  "constant B became a [3,1] constant with B's values");
        }
        const float *y = out_data(ir, "Y", 3, yd);
        int same = y != NULL;
        for (int i = 0; same && i < 24; i++) same = y[i] == want[i];
        CHECK(same, "%s: Y[2,3,4] = A + B reshaped to [3,1] (numpy)", routes[r]);
        ir_graph_free(ir);
    }

    /* an axis that leaves no room for B is an error naming the node */
    Onnx__GraphProto *g = graph("bc6bad");
    int64_t a2[] = {2, 3};
    G_IN(g, vinfo("A", IR_DT_FLOAT, 2, a2, NULL));
    G_INIT(g, tensor_raw("B0", IR_DT_FLOAT, 1, bd, b, sizeof b));
    Onnx__NodeProto *mul = node("Mul", "", "mul", "A,B0", "Y");
    attr_int(mul, "broadcast", 1);
    attr_int(mul, "axis", 2);
    G_NODE(g, mul);
    G_OUT(g, vinfo("Y", IR_DT_FLOAT, -1, NULL, NULL));
    char err[512];
    ir_graph *ir = load(write_model(g, 6, tmpdir, "bc6bad.onnx"), err);
    CHECK(ir && ir->diag.nerr == 1, "Mul axis 2 for a rank-1 B in rank-2 A: one error");
    CHECK_EQ_S("node 'mul' (Mul) input 1: broadcast axis 2 does not place a rank-1 operand "
               "within rank 2", msg0(ir), "axis error message");
    ir_graph_free(ir);
}

/* Opsets 1..6: other forms that changed: Reshape's shape attribute (< 5), PRelu's per-channel
 * slope (< 7), Cast's type name (< 6), Concat's default axis (< 4), Pad's paddings (< 2),
 * consumed_inputs (< 6). */
static void test_opset_legacy_forms(void) {
    Onnx__GraphProto *g = graph("rs4");
    int64_t xd[] = {2, 3, 4}, shp[] = {4, -1}, yd[] = {4, 6};
    float x[24];
    for (int i = 0; i < 24; i++) x[i] = (float)i;
    G_INIT(g, tensor_raw("X", IR_DT_FLOAT, 3, xd, x, sizeof x));
    Onnx__NodeProto *rs = node("Reshape", "", "rs", "X", "Y");
    attr_ints(rs, "shape", 2, shp);
    attr_ints(rs, "consumed_inputs", 1, (int64_t[]){0});
    G_NODE(g, rs);
    G_OUT(g, vinfo("Y", IR_DT_FLOAT, -1, NULL, NULL));
    char err[512];
    ir_graph *ir = load(write_model(g, 4, tmpdir, "rs4.onnx"), err);
    CHECK(ir && ir->diag.nerr == 0, "opset-4 Reshape with a shape attribute imports (%s)",
          msg0(ir));
    if (ir) {
        const ir_node *n = &ir->nodes[0];
        const ir_tensor *t = const_input(ir, n, 1);
        CHECK(n->nin == 2 && n->nattr == 0 && t && t->dtype == IR_DT_INT64 && t->dims[0] == 2 &&
                  ((int64_t *)t->data)[0] == 4 && ((int64_t *)t->data)[1] == -1,
              "Reshape: shape [4,-1] became int64 input 1; consumed_inputs dropped");
        ir_graph_free(ir);
    }
    ir = load_folded(g, 4, "rs4.onnx", err);
    const float *y = ir ? out_data(ir, "Y", 2, yd) : NULL;
    CHECK(y && y[0] == 0 && y[23] == 23, "Reshape folds to [4,6] with X's values");
    ir_graph_free(ir);

    g = graph("misc");
    int64_t pd[] = {2, 3, 2, 2}, sd[] = {3};
    float p[24], sl[3] = {0.5f, 0.25f, 2.0f};
    for (int i = 0; i < 24; i++) p[i] = (float)(i % 5) - 2.0f;
    G_INIT(g, tensor_raw("P", IR_DT_FLOAT, 4, pd, p, sizeof p));
    G_INIT(g, tensor_raw("S", IR_DT_FLOAT, 1, sd, sl, sizeof sl));
    G_NODE(g, node("PRelu", "", "prelu", "P,S", "Q"));
    Onnx__NodeProto *cast = node("Cast", "", "cast", "Q", "QD");
    Onnx__AttributeProto *to =
        add_attr(cast, "to", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    to->has_s = 1;
    to->s.data = (uint8_t *)tstr("DOUBLE");
    to->s.len = 6;
    G_NODE(g, cast);
    G_NODE(g, node("Concat", "", "cat", "P,P", "C"));
    Onnx__NodeProto *pad = node("Pad", "", "pad", "P", "PP");
    attr_ints(pad, "paddings", 8, (int64_t[]){0, 0, 1, 0, 0, 0, 0, 1});
    G_NODE(g, pad);
    G_OUT(g, vinfo("Q", IR_DT_FLOAT, -1, NULL, NULL));
    G_OUT(g, vinfo("QD", IR_DT_DOUBLE, -1, NULL, NULL));
    G_OUT(g, vinfo("C", IR_DT_FLOAT, -1, NULL, NULL));
    G_OUT(g, vinfo("PP", IR_DT_FLOAT, -1, NULL, NULL));
    ir = load_folded(g, 1, "misc1.onnx", err);
    CHECK(ir && ir->diag.nerr == 0, "opset-1 PRelu, Cast, Concat, Pad import and fold (%s)",
          msg0(ir));
    if (!ir) return;
    const float *q = out_data(ir, "Q", 4, pd);
    int ok = q != NULL;
    for (int i = 0; ok && i < 24; i++)
        ok = q[i] == (p[i] < 0 ? p[i] * sl[(i / 4) % 3] : p[i]);
    CHECK(ok, "PRelu slope [3] on [2,3,2,2] is per channel (axis 1)");
    int qd = ir_value_find(ir, "QD");
    CHECK(qd >= 0 && ir->vals[qd].dtype == IR_DT_DOUBLE, "Cast to=\"DOUBLE\" gives double");
    const float *c = out_data(ir, "C", 4, (int64_t[]){2, 6, 2, 2});
    CHECK(c != NULL, "Concat without axis (opset < 4) joins on axis 1: [2,6,2,2]");
    const float *pp = out_data(ir, "PP", 4, (int64_t[]){2, 3, 3, 3});
    CHECK(pp && pp[0] == 0 && pp[3] == p[0], "Pad paddings (opset 1) pad H before, W after");
    ir_graph_free(ir);
}

static void write_file(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    fwrite(p, 1, n, f);
    fclose(f);
}

/* A model in dir/sub reading one float[2x3] initializer W from external data. */
static ir_graph *ext_model(const char *loc, const char *off, const char *len, char *err,
                           fe_model_info *info) {
    Onnx__GraphProto *g = graph("ext");
    int64_t wd[] = {2, 3};
    G_IN(g, vinfo("X", IR_DT_FLOAT, 2, wd, NULL));
    Onnx__TensorProto *t = tensor("W", IR_DT_FLOAT, 2, wd);
    ext_kv(t, "location", loc);
    if (off) ext_kv(t, "offset", off);
    if (len) ext_kv(t, "length", len);
    G_INIT(g, t);
    G_NODE(g, node("Add", "", "add", "X,W", "Y"));
    G_OUT(g, vinfo("Y", IR_DT_FLOAT, 2, wd, NULL));
    char sub[300];
    snprintf(sub, sizeof sub, "%s/sub", tmpdir);
    return fe_onnx_load(write_model(g, 17, sub, "ext.onnx"), NULL, info, err, 512);
}

static void test_external(void) {
    char sub[300], path[400];
    snprintf(sub, sizeof sub, "%s/sub", tmpdir);
    mkdir(sub, 0755);
    float w[8] = {-1, 1, 2, 3, 4, 5, 6, -7};
    snprintf(path, sizeof path, "%s/w.bin", sub);
    write_file(path, w, sizeof w);
    snprintf(path, sizeof path, "%s/x.bin", tmpdir); /* outside sub */
    write_file(path, w, sizeof w);
    snprintf(path, sizeof path, "%s/link.bin", sub);
    symlink("/etc/passwd", path);
    char err[512];
    fe_model_info info;

    ir_graph *ir = ext_model("w.bin", "8", "24", err, &info);
    CHECK(ir && ir->diag.nerr == 0, "external data at offset 8 imports (%s)", msg0(ir));
    if (ir) {
        const ir_tensor *t = ir->vals[ir_value_find(ir, "W")].data;
        CHECK(t && t->external == 1, "W is external");
        CHECK(t && memcmp(t->data, w + 2, 24) == 0, "W holds w.bin's floats 2..7 (offset 8 bytes)");
        CHECK_EQ_I(24, info.external_bytes, "info.external_bytes");
        ir_graph_free(ir);
    }
    ir = ext_model("./w.bin", "8", NULL, err, &info); /* no length: rest of the file */
    CHECK(ir && ir->diag.nerr == 0 && ((float *)ir->vals[ir_value_find(ir, "W")].data->data)[5] == -7,
          "no length: the rest of the file from the offset (%s)", msg0(ir));
    ir_graph_free(ir);

    struct { const char *loc, *off, *len, *msg; } bad[] = {
        {"/etc/passwd", NULL, NULL,
         "initializer 'W': external data location '/etc/passwd' is an absolute path"},
        {"../x.bin", "0", "24",
         "initializer 'W': external data location '../x.bin' is outside the model's folder"},
        {"link.bin", "0", "24",
         "initializer 'W': external data location 'link.bin' is outside the model's folder"},
        {"w.bin", "16", "24",
         "initializer 'W': external data offset 16 + length 24 is past the end of 'w.bin' (32 "
         "bytes)"},
        {"w.bin", "0", "20",
         "initializer 'W': external data length 20 does not match its shape (24 bytes)"},
        {"w.bin", NULL, NULL, /* whole file: 32 bytes for a 24-byte tensor */
         "initializer 'W': external data length 32 does not match its shape (24 bytes)"},
        {"nope.bin", NULL, NULL, "initializer 'W': external data file 'nope.bin' not found"},
        {"w.bin", "-1", NULL,
         "initializer 'W': external data offset '-1' / length '' is not a non-negative integer"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ir = ext_model(bad[i].loc, bad[i].off, bad[i].len, err, &info);
        CHECK(ir && ir->diag.nerr == 1, "external '%s' refused with one error", bad[i].loc);
        CHECK_EQ_S(bad[i].msg, msg0(ir), "message");
        ir_graph_free(ir);
    }
}

static void test_unsupported_and_dangling(void) {
    Onnx__GraphProto *g = graph("unsup");
    int64_t d[] = {2};
    G_IN(g, vinfo("X", IR_DT_FLOAT, 1, d, NULL));
    G_NODE(g, node("FusedMatMul", "com.microsoft", "/h.0/attn/fmm", "X,X", "A"));
    G_NODE(g, node("FusedMatMul", "com.microsoft", "", "A,X", "B"));
    G_NODE(g, node("Relu", "", "ok", "B", "C"));
    G_NODE(g, node("FusedMatMul", "com.microsoft", "third", "C,X", "D"));
    G_NODE(g, node("FooBar", "", "fb", "D", "Y"));
    G_OUT(g, vinfo("Y", IR_DT_FLOAT, 1, d, NULL));
    char err[512];
    ir_graph *ir = load(write_model(g, 17, tmpdir, "unsup.onnx"), err);
    CHECK(ir && ir->diag.nerr == 2, "two distinct unsupported ops: two errors");
    if (ir && ir->diag.nmsg == 2) {
        CHECK_EQ_S("unsupported op 'com.microsoft::FusedMatMul' (3 nodes, first '/h.0/attn/fmm')",
                   ir->diag.msgs[0], "first message");
        CHECK_EQ_S("unsupported op 'FooBar' (1 node, first 'fb')", ir->diag.msgs[1],
                   "second message");
    }
    ir_graph_free(ir);

    g = graph("dangle");
    G_IN(g, vinfo("X", IR_DT_FLOAT, 1, d, NULL));
    G_NODE(g, node("Add", "", "add0", "X,nope", "Y"));
    G_OUT(g, vinfo("Y", IR_DT_FLOAT, 1, d, NULL));
    ir = load(write_model(g, 17, tmpdir, "dangle.onnx"), err);
    CHECK(ir && ir->diag.nerr == 1, "dangling input: one error");
    CHECK_EQ_S("node 'add0' (Add) input 1 'nope' is not a graph input, initializer or output of "
               "any node", msg0(ir), "dangling message");
    ir_graph_free(ir);
}

static void test_if_captures(void) {
    int64_t d[] = {2};
    Onnx__GraphProto *th = graph("then"), *el = graph("else");
    G_NODE(th, node("Relu", "", "t_relu", "X", "t_out"));
    G_OUT(th, vinfo("t_out", IR_DT_FLOAT, 1, d, NULL));
    G_NODE(el, node("Add", "", "e_add", "X,W", "e_out"));
    G_OUT(el, vinfo("e_out", IR_DT_FLOAT, 1, d, NULL));
    Onnx__GraphProto *g = graph("ifg");
    float w[2] = {1, 2};
    G_IN(g, vinfo("X", IR_DT_FLOAT, 1, d, NULL));
    G_IN(g, vinfo("cond", IR_DT_BOOL, 0, NULL, NULL));
    G_INIT(g, tensor_raw("W", IR_DT_FLOAT, 1, d, w, sizeof w));
    Onnx__NodeProto *n = node("If", "", "if0", "cond", "Y");
    Onnx__AttributeProto *a = add_attr(n, "then_branch", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
    a->g = th;
    a = add_attr(n, "else_branch", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
    a->g = el;
    G_NODE(g, n);
    G_OUT(g, vinfo("Y", IR_DT_FLOAT, 1, d, NULL));
    char err[512];
    ir_graph *ir = load(write_model(g, 17, tmpdir, "if.onnx"), err);
    CHECK(ir && ir->diag.nerr == 0, "If model imports (%s)", msg0(ir));
    if (!ir || ir->nnodes != 1) return;
    const ir_attr *tb = ir_node_attr(&ir->nodes[0], "then_branch");
    const ir_attr *eb = ir_node_attr(&ir->nodes[0], "else_branch");
    CHECK(tb && tb->type == IR_ATTR_GRAPH && tb->g && tb->g->parent == ir, "then_branch is a subgraph");
    if (tb && tb->g) {
        int x = ir_value_find(tb->g, "X");
        CHECK(x >= 0 && tb->g->vals[x].kind == IR_VAL_OUTER, "then: X is IR_VAL_OUTER");
        CHECK(x >= 0 && tb->g->vals[x].dtype == IR_DT_FLOAT && tb->g->vals[x].rank == 1,
              "then: captured X keeps its type float32[2]");
        CHECK_EQ_I(1, tb->g->noutputs, "then: one output");
    }
    if (eb && eb->g) {
        int wv = ir_value_find(eb->g, "W");
        CHECK(wv >= 0 && eb->g->vals[wv].kind == IR_VAL_OUTER, "else: initializer W captured as OUTER");
    }
    ir_graph_free(ir);

    /* a name that is nowhere, inside a branch: dangling */
    th = graph("then");
    G_NODE(th, node("Relu", "", "t_relu", "ghost", "t_out"));
    G_OUT(th, vinfo("t_out", IR_DT_FLOAT, 1, d, NULL));
    g = graph("ifg2");
    G_IN(g, vinfo("cond", IR_DT_BOOL, 0, NULL, NULL));
    n = node("If", "", "if0", "cond", "Y");
    a = add_attr(n, "then_branch", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
    a->g = th;
    a = add_attr(n, "else_branch", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
    a->g = th;
    G_NODE(g, n);
    G_OUT(g, vinfo("Y", IR_DT_FLOAT, 1, d, NULL));
    ir = load(write_model(g, 17, tmpdir, "if2.onnx"), err);
    CHECK(ir && ir->diag.nerr == 2, "unknown name in both branches: 2 errors");
    CHECK_CONTAINS(msg0(ir), "node 't_relu' (Relu) input 0 'ghost' is not", "branch dangling message");
    ir_graph_free(ir);
}

static void test_bad_files(void) {
    char path[400], err[512];
    snprintf(path, sizeof path, "%s/empty.onnx", tmpdir);
    write_file(path, "", 0);
    ir_graph *ir = load(path, err);
    CHECK(!ir, "empty file: NULL");
    CHECK_CONTAINS(err, "empty file", "empty file message");

    /* truncated copy of a valid model */
    const char *good = NULL;
    {
        Onnx__GraphProto *g = graph("t");
        int64_t d[] = {64};
        float w[64] = {0};
        G_IN(g, vinfo("X", IR_DT_FLOAT, 1, d, NULL));
        G_INIT(g, tensor_raw("W", IR_DT_FLOAT, 1, d, w, sizeof w));
        G_NODE(g, node("Add", "", "a", "X,W", "Y"));
        G_OUT(g, vinfo("Y", IR_DT_FLOAT, 1, d, NULL));
        good = write_model(g, 17, tmpdir, "good.onnx");
    }
    FILE *f = fopen(good, "rb");
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/trunc.onnx", tmpdir);
    write_file(path, buf, n - 40);
    ir = load(path, err);
    CHECK(!ir, "truncated file (%zu of %zu bytes): NULL", n - 40, n);
    CHECK_CONTAINS(err, "protobuf parse failed", "truncated message");

    unsigned x = 12345;
    for (int i = 0; i < 1000; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (unsigned char)(x >> 16);
    }
    buf[0] = 0xff; /* field 31, wire type 7: never valid */
    ir = fe_onnx_load_mem(buf, 1000, NULL, NULL, NULL, err, sizeof err);
    CHECK(!ir, "random bytes: NULL");
    CHECK_CONTAINS(err, "not an ONNX model", "random bytes message");

    snprintf(path, sizeof path, "%s/missing.onnx", tmpdir);
    ir = load(path, err);
    CHECK(!ir, "missing file: NULL");
    CHECK_CONTAINS(err, "No such file", "missing file message");
}

static void test_pb(void) {
    /* a backend-test tensor from Debian's libonnx-testdata: test_abs's input x, float[3x4x5] */
    const char *p = "/usr/share/libonnx-testdata/data/node/test_abs/test_data_set_0/input_0.pb";
    ir_tensor t;
    char name[64], err[512];
    if (access(p, R_OK) == 0) {
        int rc = fe_tensor_load_pb(p, &t, name, sizeof name, err, sizeof err);
        CHECK(rc == 0, "test_abs input_0.pb loads (%s)", rc ? err : "");
        if (rc == 0) {
            CHECK_EQ_S("x", name, "name");
            CHECK(t.dtype == IR_DT_FLOAT && t.rank == 3 && t.dims[0] == 3 && t.dims[1] == 4 &&
                      t.dims[2] == 5 && t.nbytes == 240, "float32[3x4x5]");
            free(t.data);
        }
    }
    /* typed int64 tensor written here */
    Onnx__TensorProto *tp = tensor("ids", IR_DT_INT64, 2, (int64_t[]){2, 2});
    int64_t v[] = {3, -1, 40000000000LL, 0};
    tp->n_int64_data = 4;
    tp->int64_data = v;
    size_t n = onnx__tensor_proto__get_packed_size(tp);
    uint8_t *buf = malloc(n);
    onnx__tensor_proto__pack(tp, buf);
    char path[400];
    snprintf(path, sizeof path, "%s/ids.pb", tmpdir);
    write_file(path, buf, n);
    free(buf);
    int rc = fe_tensor_load_pb(path, &t, name, sizeof name, err, sizeof err);
    CHECK(rc == 0 && t.dtype == IR_DT_INT64 && t.nbytes == 32 && memcmp(t.data, v, 32) == 0,
          "typed int64 .pb tensor values");
    CHECK_EQ_S("ids", name, "pb name");
    if (rc == 0) free(t.data);
    write_file(path, "\x08\x02\x08", 3);
    rc = fe_tensor_load_pb(path, &t, name, sizeof name, err, sizeof err);
    CHECK(rc == -1, "truncated .pb: -1");
    CHECK_CONTAINS(err, "not an ONNX TensorProto", "truncated .pb message");
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pippy_fe_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_matmul_add();
    test_typed_vs_raw();
    test_opset_normalization();
    test_opset6_broadcast_axis();
    test_opset_legacy_forms();
    test_external();
    test_unsupported_and_dangling();
    test_if_captures();
    test_bad_files();
    test_pb();
    tfree_all();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) printf("could not remove %s\n", tmpdir);
    T_DONE();
}
