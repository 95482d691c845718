/* fe_onnx.c - ONNX ModelProto -> ir_graph.
 *
 * Order of work, so that the user sees every problem of a kind at once:
 *  1. the file: size (protobuf cannot hold more than 2 GiB - 1), nesting depth, unpack;
 *  2. the default-domain opset (1..21; newer is read as 21);
 *  3. every unsupported op in the model, subgraphs included, one diagnostic per distinct
 *     (domain, op_type) with its count and first node; any of them stops the import here;
 *  4. the graph: initializers (weights), inputs, node outputs, value_info types, nodes with
 *     their attributes (If branches recursively as subgraphs), graph outputs; each node is
 *     brought to its newest form by fe_opset.c as soon as it is converted.
 *
 * Constant nodes stay Constant nodes with exactly one attribute, `value` (a TENSOR): the
 * value_float/value_floats/value_int/value_ints forms are turned into that tensor here, and
 * the constant folder makes the output an IR_VAL_CONST. The output value gets the tensor's
 * dtype and shape at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fe_internal.h"
#include "rt_cpu.h"

#define FE_MAX_WIRE_DEPTH 100 /* nested protobuf messages: protobuf-c recurses per level */

/* ---- the wire format's nesting depth, checked before protobuf-c recurses into it ---- */

static int wire_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
    *v = 0;
    for (int s = 0; s < 64 && *p < end; s += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << s;
        if (!(b & 0x80)) return 0;
    }
    return -1;
}

/* 0 if fine or malformed (unpack will say so), -1 if messages nest deeper than the limit. */
static int wire_depth_check(const uint8_t *p, size_t len, const ProtobufCMessageDescriptor *d,
                            int depth) {
    if (depth > FE_MAX_WIRE_DEPTH) return -1;
    const uint8_t *end = p + len;
    while (p < end) {
        uint64_t key, v;
        if (wire_varint(&p, end, &key)) return 0;
        switch (key & 7) {
        case 0: if (wire_varint(&p, end, &v)) return 0; break;
        case 1: if (end - p < 8) return 0; p += 8; break;
        case 5: if (end - p < 4) return 0; p += 4; break;
        case 2: {
            if (wire_varint(&p, end, &v) || v > (uint64_t)(end - p)) return 0;
            const ProtobufCFieldDescriptor *f = NULL;
            for (unsigned i = 0; i < d->n_fields; i++)
                if (d->fields[i].id == (key >> 3)) f = &d->fields[i];
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE &&
                wire_depth_check(p, (size_t)v, f->descriptor, depth + 1))
                return -1;
            p += v;
            break;
        }
        default: return 0;
        }
    }
    return 0;
}

/* ---- types of values ---- */

/* Fill dt, rank, dims from a ValueInfoProto. 0; 1 if it has no tensor type worth keeping
 * (no type at all); -1 with a diagnostic when unusable. */
static int value_type(ir_graph *g, const Onnx__ValueInfoProto *vi, const char *role, int *dt,
                      int *rank, ir_dim *dims) {
    ir_diag *d = ir_graph_diag(g);
    const char *name = vi->name ? vi->name : "";
    *dt = IR_DT_UNDEF;
    *rank = -1;
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET) return 1;
    if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) {
        const char *k = tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE ? "sequence"
                      : tp->value_case == ONNX__TYPE_PROTO__VALUE_MAP_TYPE ? "map"
                      : tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE ? "optional"
                      : tp->value_case == ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE
                          ? "sparse tensor" : "non-tensor";
        ir_diag_error(d, "%s '%s' has type %s, unsupported", role, name, k);
        return -1;
    }
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    int e = tt->has_elem_type ? tt->elem_type : 0;
    if (e != 0 && (e < 0 || e >= IR_DT_COUNT || ir_dtype_size(e) == 0 ||
                   e == IR_DT_COMPLEX64 || e == IR_DT_COMPLEX128)) {
        ir_diag_error(d, "%s '%s' has element type %s (%d), unsupported", role, name,
                      e > 0 && e < IR_DT_COUNT ? ir_dtype_name(e) : "?", e);
        return -1;
    }
    *dt = e;
    if (!tt->shape) return 0;
    if (tt->shape->n_dim > IR_MAX_RANK) {
        ir_diag_error(d, "%s '%s' has rank %zu, more than %d", role, name, tt->shape->n_dim,
                      IR_MAX_RANK);
        return -1;
    }
    *rank = (int)tt->shape->n_dim;
    for (int i = 0; i < *rank; i++) {
        const Onnx__TensorShapeProto__Dimension *dm = tt->shape->dim[i];
        dims[i].v = -1;
        dims[i].sym = NULL;
        if (dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (dm->dim_value < 0) {
                ir_diag_error(d, "%s '%s' has negative dimension %lld (dim %d)", role, name,
                              (long long)dm->dim_value, i);
                return -1;
            }
            dims[i].v = dm->dim_value;
        } else if (dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                   dm->dim_param && *dm->dim_param) {
            dims[i].sym = ir_arena_strdup(g->arena, dm->dim_param);
        }
    }
    return 0;
}

/* Give value v the type of vi where v's own is unknown. */
static void apply_type(ir_graph *g, int v, const Onnx__ValueInfoProto *vi, const char *role) {
    int dt, rank;
    ir_dim dims[IR_MAX_RANK];
    if (value_type(g, vi, role, &dt, &rank, dims)) return;
    ir_value *x = &g->vals[v];
    if (x->kind == IR_VAL_WEIGHT || x->kind == IR_VAL_CONST) return;
    if (x->dtype == IR_DT_UNDEF) x->dtype = dt;
    if (x->rank < 0 && rank >= 0) {
        x->rank = rank;
        memcpy(x->dims, dims, (size_t)rank * sizeof *dims);
    }
}

/* ---- tensors into the graph ---- */

/* Convert tp (an initializer or a TENSOR attribute) into t; diagnostics on error. */
static int convert_tensor(fe_ctx *c, ir_graph *g, const Onnx__TensorProto *tp,
                          const char *what, ir_tensor *t) {
    char err[600];
    ir_diag *d = ir_graph_diag(g);
    if (fe_tensor_header(tp, what, t, err, sizeof err)) goto fail;
    switch (fe_tensor_source(tp)) {
    case FE_DATA_EXTERNAL:
        if (fe_extdata_map(c, tp, what, t, err, sizeof err)) goto fail;
        return 0;
    case FE_DATA_RAW:
        if (fe_tensor_check_inline(tp, what, t, err, sizeof err)) goto fail;
        /* borrowed: the unpacked model is kept alive with the graph (fe_internal.h) */
        t->data = t->nbytes ? tp->raw_data.data : NULL;
        return 0;
    default:
        if (fe_tensor_check_inline(tp, what, t, err, sizeof err)) goto fail;
        if (t->nbytes) {
            t->data = ir_arena_alloc(g->arena, t->nbytes);
            if (!t->data) {
                d->oom = 1;
                return -1;
            }
            fe_tensor_copy_typed(tp, t, t->data);
        }
        return 0;
    }
fail:
    ir_diag_error(d, "%s", err);
    return -1;
}

/* ---- unsupported ops, all at once ---- */

typedef struct unsup {
    const char *domain, *op, *first;
    int count;
} unsup;

typedef struct unsup_list {
    unsup *u;
    int n, cap;
    int oom;
} unsup_list;

static int default_domain(const char *dom) {
    return !dom || !*dom || strcmp(dom, "ai.onnx") == 0;
}

static void scan_unsupported(const Onnx__GraphProto *gp, unsup_list *l, int depth) {
    if (!gp || depth > FE_MAX_DEPTH) return;
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        const char *op = np->op_type ? np->op_type : "";
        const char *dom = np->domain ? np->domain : "";
        if (!default_domain(dom) || !fe_opset_known(op)) {
            int k = 0;
            while (k < l->n && !(strcmp(l->u[k].op, op) == 0 &&
                                 default_domain(l->u[k].domain) == default_domain(dom) &&
                                 (default_domain(dom) || strcmp(l->u[k].domain, dom) == 0)))
                k++;
            if (k == l->n) {
                if (l->n == l->cap) {
                    int cap = l->cap ? l->cap * 2 : 8;
                    unsup *u = realloc(l->u, (size_t)cap * sizeof *u);
                    if (!u) { l->oom = 1; return; }
                    l->u = u;
                    l->cap = cap;
                }
                l->u[l->n++] = (unsup){dom, op, np->name && *np->name ? np->name : NULL, 0};
            }
            l->u[k].count++;
        }
        for (size_t a = 0; a < np->n_attribute; a++) {
            const Onnx__AttributeProto *ap = np->attribute[a];
            scan_unsupported(ap->g, l, depth + 1);
            for (size_t j = 0; j < ap->n_graphs; j++) scan_unsupported(ap->graphs[j], l, depth + 1);
        }
    }
}

/* ---- graphs ---- */

static int convert_graph(fe_ctx *c, ir_graph *g, const Onnx__GraphProto *gp, int is_sub,
                         int depth);

/* Value index of name as seen from g: its own, else (in a subgraph) a capture of an
 * enclosing graph's value, made an IR_VAL_OUTER here. -1 if nowhere. */
static int resolve(ir_graph *g, const char *name, int is_sub) {
    int v = ir_value_find(g, name);
    if (v >= 0 || !is_sub) return v;
    for (ir_graph *p = g->parent; p; p = p->parent) {
        int pv = ir_value_find(p, name);
        if (pv < 0) continue;
        const ir_value *x = &p->vals[pv];
        int64_t dims[IR_MAX_RANK];
        for (int i = 0; i < x->rank && i < IR_MAX_RANK; i++) dims[i] = x->dims[i].v;
        int dt = x->dtype, rank = x->rank;
        ir_dim sd[IR_MAX_RANK];
        if (rank > 0) memcpy(sd, x->dims, (size_t)rank * sizeof *sd);
        v = ir_value_add(g, name, dt, rank, dims);
        if (v < 0) return -1;
        for (int i = 0; i < rank; i++) g->vals[v].dims[i].sym = sd[i].sym;
        g->vals[v].kind = IR_VAL_OUTER;
        return v;
    }
    return -1;
}

static const char *attr_type_name(int t) {
    switch (t) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS: return "TENSORS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS: return "GRAPHS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR: return "SPARSE_TENSOR";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS: return "SPARSE_TENSORS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO: return "TYPE_PROTO";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS: return "TYPE_PROTOS";
    default: return "UNDEFINED";
    }
}

/* The attribute's type; IR version 1 files leave it out and set one field. */
static int attr_kind(const Onnx__AttributeProto *ap) {
    if (ap->has_type && ap->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
        return ap->type;
    if (ap->has_f) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    if (ap->has_i) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    if (ap->has_s) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    if (ap->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    if (ap->g) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
    if (ap->n_floats) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    if (ap->n_ints) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    if (ap->n_strings) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

static char *bytes_str(ir_arena *a, ProtobufCBinaryData b) {
    char *s = ir_arena_alloc(a, b.len + 1);
    if (s && b.len) memcpy(s, b.data, b.len);
    return s;
}

/* Convert attribute ap of node ni (named nm, op opname). */
static void convert_attr(fe_ctx *c, ir_graph *g, int ni, const char *nm, const char *opname,
                         const Onnx__AttributeProto *ap, int depth) {
    ir_diag *d = ir_graph_diag(g);
    const char *an = ap->name ? ap->name : "";
    int k = attr_kind(ap);
    ir_attr *a;
    if (!strncmp(an, RT_ATTR_RESERVED_PREFIX, strlen(RT_ATTR_RESERVED_PREFIX))) {
        ir_diag_error(d, "node '%s' (%s): attribute name '%s' is reserved for the compiler",
                      nm, opname, an);
        return;
    }
    switch (k) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
        if ((a = ir_node_add_attr(g, ni, an, IR_ATTR_FLOAT))) a->f = ap->f;
        return;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
        if ((a = ir_node_add_attr(g, ni, an, IR_ATTR_INT))) a->i = ap->i;
        return;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
        if ((a = ir_node_add_attr(g, ni, an, IR_ATTR_STRING)))
            if (!(a->s = bytes_str(g->arena, ap->s))) d->oom = 1;
        return;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: {
        size_t n = k == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS ? ap->n_floats
                 : k == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS ? ap->n_ints : ap->n_strings;
        if (n > INT_MAX / 16) {
            ir_diag_error(d, "node '%s' (%s) attribute '%s': %zu values, too many", nm, opname,
                          an, n);
            return;
        }
        ir_attr_type t = k == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS ? IR_ATTR_FLOATS
                       : k == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS ? IR_ATTR_INTS
                       : IR_ATTR_STRINGS;
        if (!(a = ir_node_add_attr(g, ni, an, t))) return;
        a->n = (int)n;
        if (t == IR_ATTR_FLOATS) {
            a->floats = ir_arena_alloc(g->arena, (n + 1) * sizeof(float));
            if (!a->floats) { d->oom = 1; return; }
            if (n) memcpy(a->floats, ap->floats, n * sizeof(float));
        } else if (t == IR_ATTR_INTS) {
            a->ints = ir_arena_alloc(g->arena, (n + 1) * sizeof(int64_t));
            if (!a->ints) { d->oom = 1; return; }
            if (n) memcpy(a->ints, ap->ints, n * sizeof(int64_t));
        } else {
            a->strs = ir_arena_alloc(g->arena, (n + 1) * sizeof(char *));
            if (!a->strs) { d->oom = 1; return; }
            for (size_t i = 0; i < n; i++)
                if (!(a->strs[i] = bytes_str(g->arena, ap->strings[i]))) { d->oom = 1; return; }
        }
        return;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: {
        char what[600];
        snprintf(what, sizeof what, "node '%s' (%s) attribute '%s'", nm, opname, an);
        ir_tensor t;
        if (!ap->t) {
            ir_diag_error(d, "%s: TENSOR without a tensor", what);
            return;
        }
        if (convert_tensor(c, g, ap->t, what, &t)) return;
        ir_tensor *pt = ir_arena_alloc(g->arena, sizeof *pt);
        if (!pt) { d->oom = 1; return; }
        *pt = t;
        if ((a = ir_node_add_attr(g, ni, an, IR_ATTR_TENSOR))) a->t = pt;
        return;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH: {
        if (!ap->g) {
            ir_diag_error(d, "node '%s' (%s) attribute '%s': GRAPH without a graph", nm, opname,
                          an);
            return;
        }
        if (depth + 1 > FE_MAX_DEPTH) {
            ir_diag_error(d, "node '%s' (%s) attribute '%s': subgraphs nest deeper than %d", nm,
                          opname, an, FE_MAX_DEPTH);
            return;
        }
        ir_graph *sub = ir_subgraph_new(g);
        if (!sub) { d->oom = 1; return; }
        sub->name = ir_arena_strdup(g->arena, ap->g->name ? ap->g->name : an);
        convert_graph(c, sub, ap->g, 1, depth + 1);
        if ((a = ir_node_add_attr(g, ni, an, IR_ATTR_GRAPH))) a->g = sub;
        return;
    }
    default:
        ir_diag_error(d, "node '%s' (%s) attribute '%s' has type %s, unsupported", nm, opname,
                      an, attr_type_name(k));
        return;
    }
}

/* A Constant node's one tensor, from whichever of its attribute forms is set. */
static int constant_tensor(fe_ctx *c, ir_graph *g, const Onnx__NodeProto *np, const char *nm,
                           ir_tensor *t) {
    ir_diag *d = ir_graph_diag(g);
    if (np->n_attribute != 1) {
        ir_diag_error(d, "node '%s' (Constant) has %zu attributes, expected exactly one", nm,
                      np->n_attribute);
        return -1;
    }
    const Onnx__AttributeProto *ap = np->attribute[0];
    const char *an = ap->name ? ap->name : "";
    memset(t, 0, sizeof *t);
    if (strcmp(an, "value") == 0 && ap->t) {
        char what[600];
        snprintf(what, sizeof what, "node '%s' (Constant) attribute 'value'", nm);
        return convert_tensor(c, g, ap->t, what, t);
    }
    int isf = strcmp(an, "value_float") == 0, isfs = strcmp(an, "value_floats") == 0;
    int isi = strcmp(an, "value_int") == 0, isis = strcmp(an, "value_ints") == 0;
    if (!isf && !isfs && !isi && !isis) {
        ir_diag_error(d, "node '%s' (Constant) attribute '%s', unsupported", nm, an);
        return -1;
    }
    size_t n = isf || isi ? 1 : isfs ? ap->n_floats : ap->n_ints;
    if (n > (size_t)INT32_MAX) {
        ir_diag_error(d, "node '%s' (Constant): too many values", nm);
        return -1;
    }
    t->dtype = isf || isfs ? IR_DT_FLOAT : IR_DT_INT64;
    t->rank = isf || isi ? 0 : 1;
    t->dims[0] = (int64_t)n;
    t->nbytes = n * ir_dtype_size(t->dtype);
    t->data = ir_arena_alloc(g->arena, t->nbytes ? t->nbytes : 1);
    if (!t->data) { d->oom = 1; return -1; }
    if (isf) *(float *)t->data = ap->f;
    else if (isi) *(int64_t *)t->data = ap->i;
    else if (isfs && n) memcpy(t->data, ap->floats, t->nbytes);
    else if (n) memcpy(t->data, ap->ints, t->nbytes);
    return 0;
}

/* Node names: the file's, or "<op_type>_<index>" made unique among the graph's names. */
static const char **node_names(ir_graph *g, const Onnx__GraphProto *gp) {
    size_t n = gp->n_node;
    const char **names = ir_arena_alloc(g->arena, (n + 1) * sizeof *names);
    if (!names) return NULL;
    for (size_t i = 0; i < n; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        if (np->name && *np->name) {
            names[i] = np->name;
            continue;
        }
        char buf[300];
        snprintf(buf, sizeof buf, "%s_%zu", np->op_type ? np->op_type : "node", i);
        for (int k = 1;; k++) {
            int clash = 0;
            for (size_t j = 0; j < n && !clash; j++)
                clash = gp->node[j]->name && strcmp(gp->node[j]->name, buf) == 0;
            if (!clash) break;
            snprintf(buf, sizeof buf, "%s_%zu__%d", np->op_type ? np->op_type : "node", i, k);
        }
        names[i] = ir_arena_strdup(g->arena, buf);
        if (!names[i]) return NULL;
    }
    return names;
}

static int convert_graph(fe_ctx *c, ir_graph *g, const Onnx__GraphProto *gp, int is_sub,
                         int depth) {
    ir_diag *d = ir_graph_diag(g);
    char what[600];
    /* initializers: weights */
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *tp = gp->initializer[i];
        if (!tp->name || !*tp->name) {
            ir_diag_error(d, "initializer %zu has no name", i);
            continue;
        }
        if (ir_value_find(g, tp->name) >= 0) {
            ir_diag_error(d, "initializer '%s' is defined twice", tp->name);
            continue;
        }
        snprintf(what, sizeof what, "initializer '%s'", tp->name);
        ir_tensor t;
        if (convert_tensor(c, g, tp, what, &t)) {
            /* reported; a weight without data (only in a graph with errors) keeps its
             * readers from being reported as dangling too */
            int v = ir_value_add(g, tp->name, IR_DT_UNDEF, -1, NULL);
            if (v < 0) return -1;
            g->vals[v].kind = IR_VAL_WEIGHT;
            continue;
        }
        int v = ir_value_add(g, tp->name, t.dtype, t.rank, t.dims);
        if (v < 0) return -1;
        g->vals[v].kind = IR_VAL_WEIGHT;
        if (ir_value_set_const(g, v, &t, 0)) return -1;
    }
    for (size_t i = 0; i < gp->n_sparse_initializer; i++) {
        const Onnx__SparseTensorProto *sp = gp->sparse_initializer[i];
        const char *nm = sp->values && sp->values->name ? sp->values->name : "";
        ir_diag_error(d, "sparse initializer '%s' is unsupported", nm);
    }
    /* inputs; those with an initializer are weights (IR version < 4 lists them in both) */
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        const char *nm = vi->name ? vi->name : "";
        if (!*nm) {
            ir_diag_error(d, "graph input %zu has no name", i);
            continue;
        }
        int v = ir_value_find(g, nm);
        if (v >= 0) {
            if (g->vals[v].kind != IR_VAL_WEIGHT)
                ir_diag_error(d, "graph input '%s' is listed twice", nm);
            continue;
        }
        int dt, rank;
        ir_dim dims[IR_MAX_RANK];
        if (value_type(g, vi, "graph input", &dt, &rank, dims) < 0) {
            dt = IR_DT_UNDEF; /* reported; still an input, so its readers stay quiet */
            rank = -1;
        }
        v = ir_value_add(g, nm, dt, rank, NULL);
        if (v < 0) return -1;
        if (rank > 0) memcpy(g->vals[v].dims, dims, (size_t)rank * sizeof *dims);
        if (ir_graph_add_input(g, v)) return -1;
    }
    /* node outputs, all of them before any input is resolved */
    const char **names = node_names(g, gp);
    int **outs = ir_arena_alloc(g->arena, (gp->n_node + 1) * sizeof *outs);
    if (!names || !outs) { d->oom = 1; return -1; }
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        outs[i] = ir_arena_alloc(g->arena, (np->n_output + 1) * sizeof(int));
        if (!outs[i]) { d->oom = 1; return -1; }
        for (size_t j = 0; j < np->n_output; j++) {
            const char *on = np->output[j];
            outs[i][j] = -1;
            if (!on || !*on) continue;
            if (ir_value_find(g, on) >= 0) {
                ir_diag_error(d, "node '%s' (%s) output %zu '%s' is already defined (graph "
                              "input, initializer or another node's output)", names[i],
                              np->op_type, j, on);
                continue;
            }
            if ((outs[i][j] = ir_value_add(g, on, IR_DT_UNDEF, -1, NULL)) < 0) return -1;
        }
    }
    for (size_t i = 0; i < gp->n_value_info; i++) {
        const Onnx__ValueInfoProto *vi = gp->value_info[i];
        int v = vi->name ? ir_value_find(g, vi->name) : -1;
        const Onnx__TypeProto *tp = vi->type;
        if (v >= 0 && tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
            apply_type(g, v, vi, "value");
    }
    /* nodes */
    int *in = NULL;
    size_t incap = 0;
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        const char *nm = names[i];
        int op = fe_opset_op(np->op_type);
        if (op < 0) continue; /* reported by scan_unsupported */
        if (np->n_input + 1 > incap) {
            incap = np->n_input + 1;
            int *p = realloc(in, incap * sizeof *in);
            if (!p) { free(in); d->oom = 1; return -1; }
            in = p;
        }
        int nin = 0;
        for (size_t j = 0; j < np->n_input; j++) {
            const char *iname = np->input[j];
            if (!iname || !*iname) { in[j] = -1; continue; } /* optional input left out */
            in[j] = resolve(g, iname, is_sub);
            if (in[j] < 0) {
                ir_diag_error(d, "node '%s' (%s) input %zu '%s' is not a graph input, "
                              "initializer or output of any node", nm, np->op_type, j, iname);
                /* the node is still added (input left out), so its consumers stay quiet */
            }
        }
        for (size_t j = 0; j < np->n_input; j++)
            if (in[j] >= 0) nin = (int)j + 1;
        int nout = 0;
        for (size_t j = 0; j < np->n_output; j++)
            if (outs[i][j] >= 0) nout = (int)j + 1;
        if (np->n_input > INT_MAX / 2 || np->n_output > INT_MAX / 2) {
            ir_diag_error(d, "node '%s' (%s) has too many inputs or outputs", nm, np->op_type);
            continue;
        }
        if (op == IR_OP_CONSTANT) {
            ir_tensor t;
            if (constant_tensor(c, g, np, nm, &t)) continue;
            ir_tensor *pt = ir_arena_alloc(g->arena, sizeof *pt);
            if (!pt) { d->oom = 1; break; }
            *pt = t;
            int ni = ir_node_add(g, IR_OP_CONSTANT, nm, nin, in, nout, outs[i]);
            if (ni < 0) break;
            ir_attr *a = ir_node_add_attr(g, ni, "value", IR_ATTR_TENSOR);
            if (a) a->t = pt;
            if (nout >= 1 && outs[i][0] >= 0) {
                ir_value *x = &g->vals[outs[i][0]];
                x->dtype = t.dtype;
                x->rank = t.rank;
                for (int k = 0; k < t.rank; k++) {
                    x->dims[k].v = t.dims[k];
                    x->dims[k].sym = NULL;
                }
            }
            continue;
        }
        int ni = ir_node_add(g, (ir_op)op, nm, nin, in, nout, outs[i]);
        if (ni < 0) break;
        for (size_t a = 0; a < np->n_attribute; a++)
            convert_attr(c, g, ni, nm, np->op_type, np->attribute[a], depth);
        fe_opset_normalize(c, g, ni, np->op_type);
    }
    free(in);
    /* outputs */
    for (size_t i = 0; i < gp->n_output; i++) {
        const Onnx__ValueInfoProto *vi = gp->output[i];
        const char *nm = vi->name ? vi->name : "";
        int v = *nm ? resolve(g, nm, is_sub) : -1;
        if (v < 0) {
            ir_diag_error(d, "graph output '%s' is not produced by any node, initializer or "
                          "input", nm);
            continue;
        }
        apply_type(g, v, vi, "graph output");
        if (ir_graph_add_output(g, v)) return -1;
    }
    return 0;
}

static void keep_model(void *m) { onnx__model_proto__free_unpacked(m, NULL); }

ir_graph *fe_onnx_load_mem(const void *buf, size_t len, const char *base_dir,
                           const fe_opts *o, fe_model_info *info, char *err, size_t errlen) {
    (void)o;
    if (info) memset(info, 0, sizeof *info);
    if (info) info->file_bytes = (int64_t)len;
    if (len == 0) {
        snprintf(err, errlen, "empty file, not an ONNX model");
        return NULL;
    }
    if (len > INT32_MAX) {
        snprintf(err, errlen, "%zu bytes: protobuf cannot hold more than 2 GiB - 1; save the "
                 "weights as external data (onnx.save_model(..., save_as_external_data=True))",
                 len);
        return NULL;
    }
    if (wire_depth_check(buf, len, &onnx__model_proto__descriptor, 0)) {
        snprintf(err, errlen, "not a usable ONNX model: messages nest deeper than %d",
                 FE_MAX_WIRE_DEPTH);
        return NULL;
    }
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
    if (!m) {
        snprintf(err, errlen, "not an ONNX model (protobuf parse failed: truncated or corrupt)");
        return NULL;
    }
    if (!m->graph) {
        snprintf(err, errlen, "not an ONNX model (no graph)");
        onnx__model_proto__free_unpacked(m, NULL);
        return NULL;
    }
    ir_graph *g = ir_graph_new();
    if (!g || ir_graph_keep(g, m, keep_model)) {
        onnx__model_proto__free_unpacked(m, NULL);
        ir_graph_free(g);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ir_diag *d = &g->diag;
    int64_t opset = -1;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *os = m->opset_import[i];
        if (default_domain(os->domain) && os->has_version) opset = os->version;
    }
    if (info) {
        info->ir_version = m->has_ir_version ? m->ir_version : 0;
        info->opset = opset;
        snprintf(info->producer, sizeof info->producer, "%s%s%s",
                 m->producer_name ? m->producer_name : "",
                 m->producer_version && *m->producer_version ? " " : "",
                 m->producer_version ? m->producer_version : "");
    }
    g->name = ir_arena_strdup(g->arena, m->graph->name ? m->graph->name : "");
    if (opset < 0) {
        ir_diag_error(d, "the model imports no opset of the default ONNX domain");
        return g;
    }
    if (opset < 1) {
        ir_diag_error(d, "opset %lld of the default ONNX domain does not exist (1 or newer "
                      "needed)", (long long)opset);
        return g;
    }
    g->opset = opset > 1000 ? 1000 : (int)opset;
    fe_ctx c = {.root = g, .base_dir = base_dir, .opset = g->opset};
    unsup_list ul = {0};
    scan_unsupported(m->graph, &ul, 0);
    for (int i = 0; i < ul.n; i++) {
        const unsup *u = &ul.u[i];
        char first[300];
        if (u->first) snprintf(first, sizeof first, ", first '%s'", u->first);
        else first[0] = 0;
        if (default_domain(u->domain))
            ir_diag_error(d, "unsupported op '%s' (%d node%s%s)", u->op, u->count,
                          u->count == 1 ? "" : "s", first);
        else
            ir_diag_error(d, "unsupported op '%s::%s' (%d node%s%s)", u->domain, u->op,
                          u->count, u->count == 1 ? "" : "s", first);
    }
    if (ul.oom) d->oom = 1;
    int nunsup = ul.n;
    free(ul.u);
    if (nunsup || ul.oom) return g;
    convert_graph(&c, g, m->graph, 0, 0);
    if (info) info->external_bytes = c.external_bytes;
    return g;
}

ir_graph *fe_onnx_load(const char *path, const fe_opts *o, fe_model_info *info, char *err,
                       size_t errlen) {
    if (info) memset(info, 0, sizeof *info);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    if (st.st_size == 0) {
        close(fd);
        snprintf(err, errlen, "%s: empty file, not an ONNX model", path);
        return NULL;
    }
    if (st.st_size > INT32_MAX) {
        close(fd);
        snprintf(err, errlen, "%s: %lld bytes: protobuf cannot hold more than 2 GiB - 1; save "
                 "the weights as external data (onnx.save_model(..., "
                 "save_as_external_data=True))", path, (long long)st.st_size);
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "%s: cannot map: %s", path, strerror(errno));
        return NULL;
    }
    /* external data is relative to the model's folder */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == dir) dir[1] = 0;
    else *slash = 0;
    char msg[900];
    ir_graph *g = fe_onnx_load_mem(p, len, dir, o, info, msg, sizeof msg);
    munmap(p, len);
    if (!g) snprintf(err, errlen, "%s: %s", path, msg);
    return g;
}
