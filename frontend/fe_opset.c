/* fe_opset.c - opset normalization: every node leaves the frontend in its newest form
 * (opset 21), so passes, shape inference and kernels know one signature per op.
 *
 *   op                          before              becomes
 *   Squeeze, Unsqueeze          < 13 axes attr      axes input (int64)
 *   Split                       < 13 split attr     split input; no split: num_outputs attr
 *   ReduceSum                   < 13 axes attr      axes input
 *   Reduce{Mean,Max,Min,Prod,L1,L2,LogSum,LogSumExp,SumSquare}  < 18 axes attr -> input
 *   Clip                        < 11 min/max attrs  min/max inputs (X's dtype, else float)
 *   Pad                         < 11 pads/value     pads/constant_value inputs; mode stays
 *   Slice                       < 10 attrs          starts/ends/axes inputs
 *   TopK                        < 10 k attr         k input
 *   Resize                      10 (X, scales)      (X, -, scales), asymmetric coordinates,
 *                                                   nearest_mode floor
 *   Resize                      any                 empty constant roi/scales -> left out
 *   Upsample (7..9, not an IR op)                   Resize(X, -, scales), mode kept
 *                                                   ("bilinear" -> "linear"), asymmetric, floor
 *   Softmax, LogSoftmax, Hardmax < 13 (2-D coercion at axis, default 1):
 *       axis is the last one (rank known, or axis -1): same node, axis made explicit;
 *       else Shape(X)->s, Flatten(X, axis)->f, op(f, axis=1)->y, Reshape(y, s)->Y
 *   BatchNormalization          spatial, consumed_inputs, is_test dropped (spatial=0 and
 *                               training outputs before 14 are errors)
 *   Dropout                     < 12 ratio, is_test dropped (inference)
 *   Gemm                        broadcast dropped
 *   GroupNormalization          < 21 (per-group scale/bias): error
 *   Resize                      tf_half_pixel_for_nn (11..12, gone in 13): error
 * New constant inputs are IR_VAL_CONST values with unique names.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "fe_internal.h"

int fe_opset_op(const char *op_type) {
    if (!op_type) return -1;
    if (strcmp(op_type, "Upsample") == 0) return IR_OP_RESIZE;
    return ir_op_lookup(op_type);
}

int fe_opset_known(const char *op_type) { return fe_opset_op(op_type) >= 0; }

/* IEEE half from float, round to nearest even. */
static uint16_t f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    int32_t e = (int32_t)((x >> 23) & 0xff);
    uint32_t m = x & 0x7fffffu;
    if (e == 0xff) return (uint16_t)(sign | 0x7c00u | (m ? 0x200u : 0));
    int32_t he = e - 127 + 15;
    if (he >= 0x1f) return (uint16_t)(sign | 0x7c00u);
    if (he <= 0) {
        if (he < -10) return (uint16_t)sign;
        m |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - he);
        uint32_t hm = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (hm & 1))) hm++;
        return (uint16_t)(sign | hm);
    }
    uint32_t hm = m >> 13, rem = m & 0x1fffu;
    uint32_t h = sign | ((uint32_t)he << 10) | hm;
    if (rem > 0x1000u || (rem == 0x1000u && (hm & 1))) h++;
    return (uint16_t)h;
}

/* A new IR_VAL_CONST value named after base: rank 0 or 1 of n elements of dtype dt (int64,
 * float, double or float16) from vi (ints) or vf (floats). -1 on OOM. */
static int add_const(ir_graph *g, const char *base, int dt, int rank, int n, const int64_t *vi,
                     const double *vf) {
    const char *nm = ir_unique_name(g, base);
    if (!nm) return -1;
    int64_t dim = n;
    int v = ir_value_add(g, nm, dt, rank, &dim);
    if (v < 0) return -1;
    ir_tensor t = {.dtype = dt, .rank = rank};
    t.dims[0] = n;
    t.nbytes = (size_t)n * ir_dtype_size(dt);
    t.data = ir_arena_alloc(g->arena, t.nbytes ? t.nbytes : 1);
    if (!t.data) { ir_graph_diag(g)->oom = 1; return -1; }
    for (int i = 0; i < n; i++) {
        switch (dt) {
        case IR_DT_INT64: ((int64_t *)t.data)[i] = vi[i]; break;
        case IR_DT_DOUBLE: ((double *)t.data)[i] = vf[i]; break;
        case IR_DT_FLOAT16: ((uint16_t *)t.data)[i] = f32_to_f16((float)vf[i]); break;
        default: ((float *)t.data)[i] = (float)vf[i]; break;
        }
    }
    if (ir_value_set_const(g, v, &t, 0)) return -1;
    return v;
}

/* Remove attribute name from node ni; 1 and *out = its copy when it was there. */
static int take_attr(ir_graph *g, int ni, const char *name, ir_attr *out) {
    ir_node *n = &g->nodes[ni];
    for (int i = 0; i < n->nattr; i++) {
        if (strcmp(n->attrs[i].name, name) != 0) continue;
        if (out) *out = n->attrs[i];
        memmove(&n->attrs[i], &n->attrs[i + 1], (size_t)(n->nattr - i - 1) * sizeof *n->attrs);
        n->nattr--;
        return 1;
    }
    return 0;
}

/* Set input k of node ni (growing the input list with left-out inputs). */
static int set_input(ir_graph *g, int ni, int k, int v) {
    ir_node *n = &g->nodes[ni];
    if (k >= n->nin) {
        int *in = ir_arena_alloc(g->arena, (size_t)(k + 2) * sizeof *in);
        if (!in) { ir_graph_diag(g)->oom = 1; return -1; }
        for (int i = 0; i <= k; i++) in[i] = i < n->nin ? n->in[i] : -1;
        n->in = in;
        n->nin = k + 1;
    }
    n->in[k] = v;
    return 0;
}

/* Drop trailing left-out inputs. */
static void trim_inputs(ir_node *n) {
    while (n->nin > 0 && n->in[n->nin - 1] < 0) n->nin--;
}

/* An attribute holding a list of ints as a const int64 input k; base names it. */
static int ints_to_input(ir_graph *g, int ni, const ir_attr *a, int k, const char *what) {
    char base[300];
    snprintf(base, sizeof base, "%s_%s", g->nodes[ni].name, what);
    int64_t one;
    const int64_t *vals = a->ints;
    int n = a->n;
    if (a->type == IR_ATTR_INT) { one = a->i; vals = &one; n = 1; }
    else if (a->type != IR_ATTR_INTS) {
        ir_diag_error(ir_graph_diag(g), "node '%s' (%s) attribute '%s' is not a list of ints",
                      g->nodes[ni].name, ir_op_table[g->nodes[ni].op].name, a->name);
        return -1;
    }
    int v = add_const(g, base, IR_DT_INT64, 1, n, vals, NULL);
    return v < 0 ? -1 : set_input(g, ni, k, v);
}

/* The float dtype a constant for X should have: X's if known (a float type), else float. */
static int float_dtype_of(ir_graph *g, const ir_node *n) {
    int dt = n->nin > 0 && n->in[0] >= 0 ? g->vals[n->in[0]].dtype : IR_DT_UNDEF;
    return dt == IR_DT_DOUBLE || dt == IR_DT_FLOAT16 ? dt : IR_DT_FLOAT;
}

static int float_to_input(ir_graph *g, int ni, const ir_attr *a, int k, const char *what) {
    char base[300];
    snprintf(base, sizeof base, "%s_%s", g->nodes[ni].name, what);
    double f = a->type == IR_ATTR_FLOAT ? a->f : a->type == IR_ATTR_INT ? (double)a->i : 0;
    int v = add_const(g, base, float_dtype_of(g, &g->nodes[ni]), 0, 1, NULL, &f);
    return v < 0 ? -1 : set_input(g, ni, k, v);
}

/* A constant tensor behind value v: a weight, a constant, or a Constant node's output. */
static const ir_tensor *const_of(ir_graph *g, int v) {
    if (v < 0) return NULL;
    const ir_value *x = &g->vals[v];
    if (x->data) return x->data;
    if (x->producer >= 0 && g->nodes[x->producer].op == IR_OP_CONSTANT) {
        const ir_attr *a = ir_node_attr(&g->nodes[x->producer], "value");
        if (a && a->type == IR_ATTR_TENSOR) return a->t;
    }
    return NULL;
}

static void set_string_attr(ir_graph *g, int ni, const char *name, const char *val) {
    take_attr(g, ni, name, NULL);
    ir_attr *a = ir_node_add_attr(g, ni, name, IR_ATTR_STRING);
    if (a && !(a->s = ir_arena_strdup(g->arena, val))) ir_graph_diag(g)->oom = 1;
}

static void set_int_attr(ir_graph *g, int ni, const char *name, int64_t val) {
    take_attr(g, ni, name, NULL);
    ir_attr *a = ir_node_add_attr(g, ni, name, IR_ATTR_INT);
    if (a) a->i = val;
}

/* Resize from opset 10 or Upsample: (X, scales) -> (X, -, scales), asymmetric coordinates. */
static int resize_from_upsample(fe_ctx *c, ir_graph *g, int ni, int upsample) {
    ir_node *n = &g->nodes[ni];
    ir_attr a;
    int scales = n->nin > 1 ? n->in[1] : -1;
    if (upsample && c->opset < 9) { /* Upsample-7: scales attribute */
        if (!take_attr(g, ni, "scales", &a) || a.type != IR_ATTR_FLOATS) {
            ir_diag_error(ir_graph_diag(g), "node '%s' (Upsample) has no 'scales' attribute",
                          n->name);
            return -1;
        }
        double f[IR_MAX_RANK];
        if (a.n > IR_MAX_RANK) {
            ir_diag_error(ir_graph_diag(g), "node '%s' (Upsample): %d scales, more than %d",
                          n->name, a.n, IR_MAX_RANK);
            return -1;
        }
        for (int i = 0; i < a.n; i++) f[i] = a.floats[i];
        char base[300];
        snprintf(base, sizeof base, "%s_scales", n->name);
        if ((scales = add_const(g, base, IR_DT_FLOAT, 1, a.n, NULL, f)) < 0) return -1;
        n = &g->nodes[ni];
    }
    if (scales < 0) {
        ir_diag_error(ir_graph_diag(g), "node '%s' (%s) has no scales", n->name,
                      upsample ? "Upsample" : "Resize");
        return -1;
    }
    n->nin = 1;
    if (set_input(g, ni, 2, scales)) return -1;
    const char *mode = ir_attr_string(&g->nodes[ni], "mode", "nearest");
    if (strcmp(mode, "bilinear") == 0 || strcmp(mode, "trilinear") == 0) mode = "linear";
    int nearest = strcmp(mode, "nearest") == 0;
    char m[32];
    snprintf(m, sizeof m, "%s", mode);
    set_string_attr(g, ni, "mode", m);
    set_string_attr(g, ni, "coordinate_transformation_mode", "asymmetric");
    if (nearest) set_string_attr(g, ni, "nearest_mode", "floor");
    return 0;
}

/* Softmax, LogSoftmax, Hardmax before opset 13: the op on X coerced to 2-D at axis. */
static int softmax_coerced(ir_graph *g, int ni) {
    ir_diag *d = ir_graph_diag(g);
    ir_node *n = &g->nodes[ni];
    const char *opn = ir_op_table[n->op].name;
    int64_t axis = ir_attr_int(n, "axis", 1);
    int x = n->nin > 0 ? n->in[0] : -1, y = n->nout > 0 ? n->out[0] : -1;
    if (x < 0 || y < 0) return 0; /* arity: ir_graph_validate's */
    int rank = g->vals[x].rank;
    if (rank >= 0) {
        int64_t a = axis < 0 ? axis + rank : axis;
        if (rank > 0 && (a < 0 || a >= rank)) {
            ir_diag_error(d, "node '%s' (%s): axis %lld out of range for rank %d", n->name, opn,
                          (long long)axis, rank);
            return -1;
        }
        if (rank == 0 || a == rank - 1) {
            set_int_attr(g, ni, "axis", -1);
            return 0;
        }
    } else if (axis == -1) {
        return 0; /* the last axis: the same in every opset */
    }
    /* Shape(X)->s, Flatten(X, axis)->f, op(f, axis=1)->y, Reshape(y, s)->Y */
    char buf[600];
    ir_op op = n->op;
    const char *name = n->name, *xn = g->vals[x].name;
    snprintf(buf, sizeof buf, "%s_shape", xn);
    int s = ir_value_add(g, ir_unique_name(g, buf), IR_DT_INT64, 1, NULL);
    snprintf(buf, sizeof buf, "%s_2d", xn);
    int f = ir_value_add(g, ir_unique_name(g, buf), g->vals[x].dtype, 2, NULL);
    snprintf(buf, sizeof buf, "%s_2d", g->vals[y].name);
    int y2 = ir_value_add(g, ir_unique_name(g, buf), g->vals[x].dtype, 2, NULL);
    if (s < 0 || f < 0 || y2 < 0) return -1;
    if (rank >= 0) g->vals[s].dims[0].v = rank;
    n = &g->nodes[ni];
    n->op = IR_OP_SHAPE;
    snprintf(buf, sizeof buf, "%s/Shape", name);
    n->name = ir_arena_strdup(g->arena, buf);
    n->nin = 1;
    n->out[0] = s;
    n->nout = 1;
    n->nattr = 0;
    g->vals[s].producer = ni;
    g->vals[y].producer = -1;
    snprintf(buf, sizeof buf, "%s/Flatten", name);
    int nf = ir_node_add(g, IR_OP_FLATTEN, buf, 1, &x, 1, &f);
    if (nf < 0) return -1;
    ir_attr *a = ir_node_add_attr(g, nf, "axis", IR_ATTR_INT);
    if (a) a->i = axis;
    int no = ir_node_add(g, op, name, 1, &f, 1, &y2);
    if (no < 0) return -1;
    if ((a = ir_node_add_attr(g, no, "axis", IR_ATTR_INT))) a->i = 1;
    snprintf(buf, sizeof buf, "%s/Reshape", name);
    int rin[2] = {y2, s};
    return ir_node_add(g, IR_OP_RESHAPE, buf, 2, rin, 1, &y) < 0 ? -1 : 0;
}

int fe_opset_normalize(fe_ctx *c, ir_graph *g, int ni, const char *onnx_type) {
    ir_diag *d = ir_graph_diag(g);
    ir_node *n = &g->nodes[ni];
    int os = c->opset;
    ir_attr a;
    switch ((int)n->op) { /* not a dispatch: most ops have one form in opsets 7..21 */
    case IR_OP_SQUEEZE:
    case IR_OP_UNSQUEEZE:
        if (os < 13) {
            if (take_attr(g, ni, "axes", &a)) {
                if (ints_to_input(g, ni, &a, 1, "axes")) return -1;
            } else if (n->op == IR_OP_UNSQUEEZE) {
                ir_diag_error(d, "node '%s' (Unsqueeze) has no 'axes' attribute", n->name);
                return -1;
            }
        }
        return 0;
    case IR_OP_SPLIT:
        if (os < 13 && take_attr(g, ni, "split", &a))
            if (ints_to_input(g, ni, &a, 1, "split")) return -1;
        n = &g->nodes[ni];
        if ((n->nin < 2 || n->in[1] < 0) && !ir_node_attr(n, "num_outputs"))
            set_int_attr(g, ni, "num_outputs", n->nout);
        return 0;
    case IR_OP_REDUCESUM:
    case IR_OP_REDUCEMEAN: case IR_OP_REDUCEMAX: case IR_OP_REDUCEMIN: case IR_OP_REDUCEPROD:
    case IR_OP_REDUCEL1: case IR_OP_REDUCEL2: case IR_OP_REDUCELOGSUM:
    case IR_OP_REDUCELOGSUMEXP: case IR_OP_REDUCESUMSQUARE:
        if (os < (n->op == IR_OP_REDUCESUM ? 13 : 18) && take_attr(g, ni, "axes", &a))
            return ints_to_input(g, ni, &a, 1, "axes");
        return 0;
    case IR_OP_CLIP:
        if (os < 11) {
            if (take_attr(g, ni, "min", &a) && float_to_input(g, ni, &a, 1, "min")) return -1;
            if (take_attr(g, ni, "max", &a) && float_to_input(g, ni, &a, 2, "max")) return -1;
        }
        return 0;
    case IR_OP_PAD:
        if (os < 11) {
            if (!take_attr(g, ni, "pads", &a)) {
                ir_diag_error(d, "node '%s' (Pad) has no 'pads' attribute", n->name);
                return -1;
            }
            if (ints_to_input(g, ni, &a, 1, "pads")) return -1;
            if (take_attr(g, ni, "value", &a) && float_to_input(g, ni, &a, 2, "value"))
                return -1;
        }
        return 0;
    case IR_OP_SLICE:
        if (os < 10) {
            ir_attr st, en, ax;
            int hs = take_attr(g, ni, "starts", &st), he = take_attr(g, ni, "ends", &en);
            int ha = take_attr(g, ni, "axes", &ax);
            if (!hs || !he) {
                ir_diag_error(d, "node '%s' (Slice) needs 'starts' and 'ends' attributes",
                              n->name);
                return -1;
            }
            if (ints_to_input(g, ni, &st, 1, "starts") || ints_to_input(g, ni, &en, 2, "ends"))
                return -1;
            if (ha && ints_to_input(g, ni, &ax, 3, "axes")) return -1;
        }
        return 0;
    case IR_OP_TOPK:
        if (os < 10) {
            if (!take_attr(g, ni, "k", &a)) {
                ir_diag_error(d, "node '%s' (TopK) has no 'k' attribute", n->name);
                return -1;
            }
            return ints_to_input(g, ni, &a, 1, "k");
        }
        return 0;
    case IR_OP_RESIZE: {
        int up = onnx_type && strcmp(onnx_type, "Upsample") == 0;
        if (up || os < 11)
            if (resize_from_upsample(c, g, ni, up)) return -1;
        n = &g->nodes[ni];
        const char *ct = ir_attr_string(n, "coordinate_transformation_mode", "");
        if (strcmp(ct, "tf_half_pixel_for_nn") == 0) {
            ir_diag_error(d, "node '%s' (Resize): coordinate_transformation_mode "
                          "'tf_half_pixel_for_nn' (opset %d) is unsupported", n->name, os);
            return -1;
        }
        /* opsets 11, 12 pass empty tensors for roi/scales they do not use */
        for (int k = 1; k <= 2 && k < n->nin; k++) {
            const ir_tensor *t = const_of(g, n->in[k]);
            if (t && ir_tensor_numel(t) == 0) n->in[k] = -1;
        }
        trim_inputs(n);
        return 0;
    }
    case IR_OP_SOFTMAX:
    case IR_OP_LOGSOFTMAX:
    case IR_OP_HARDMAX:
        return os < 13 ? softmax_coerced(g, ni) : 0;
    case IR_OP_BATCHNORMALIZATION:
        take_attr(g, ni, "consumed_inputs", NULL);
        take_attr(g, ni, "is_test", NULL);
        if (take_attr(g, ni, "spatial", &a) && a.type == IR_ATTR_INT && a.i == 0) {
            ir_diag_error(d, "node '%s' (BatchNormalization): spatial=0 (opset %d) is "
                          "unsupported", n->name, os);
            return -1;
        }
        if (os < 14 && n->nout > 1) {
            ir_diag_error(d, "node '%s' (BatchNormalization) has %d outputs: training mode "
                          "(opset %d) is unsupported", n->name, n->nout, os);
            return -1;
        }
        return 0;
    case IR_OP_DROPOUT:
        if (os < 12) {
            take_attr(g, ni, "ratio", NULL);
            take_attr(g, ni, "is_test", NULL);
        }
        return 0;
    case IR_OP_GEMM:
        take_attr(g, ni, "broadcast", NULL);
        return 0;
    case IR_OP_GROUPNORMALIZATION:
        if (os < 21) {
            ir_diag_error(d, "node '%s' (GroupNormalization) opset %d (per-group scale and "
                          "bias) is unsupported; export with opset 21", n->name, os);
            return -1;
        }
        return 0;
    default:
        return 0;
    }
}
