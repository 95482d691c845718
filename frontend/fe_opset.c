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
 *   Scatter (9..10, deprecated; not an IR op)       ScatterElements: same inputs and axis
 *   Softmax, LogSoftmax, Hardmax < 13 (2-D coercion at axis, default 1):
 *       axis is the last one (rank known, or axis -1): same node, axis made explicit;
 *       else Shape(X)->s, Flatten(X, axis)->f, op(f, axis=1)->y, Reshape(y, s)->Y
 *   BatchNormalization          spatial, consumed_inputs, is_test dropped (spatial=0 and
 *                               training outputs before 14 are errors)
 *   Dropout                     < 12 ratio, is_test dropped (inference)
 *   Gemm                        broadcast dropped
 *   GroupNormalization          < 21 (per-group scale/bias): error
 *   Resize                      tf_half_pixel_for_nn: kept in 11..12; from 13 (where
 *                               the mode is gone) an error
 * Opsets 1..6 (what changed at 2, 4, 5, 6 and 7):
 *   any op                      < 6 consumed_inputs dropped (a memory hint)
 *   Add Sub Mul Div Pow Equal Less Greater And Or Xor  < 7 broadcast, axis dropped: with
 *                               broadcast=1 and axis, B gets trailing 1-dims so that numpy's
 *                               rule aligns it at axis (broadcast=0 meant equal shapes)
 *   PRelu                       < 7 slope of C values is per channel: aligned at axis 1
 *   Cast                        < 6 to is a type name ("FLOAT"): its number
 *   Tile                        < 6 (X, tiles, axis): constant repeats input (else an error)
 *   Reshape                     < 5 shape attr -> input
 *   Concat                      < 4 no axis: axis 1
 *   Pad                         < 2 paddings attr -> pads input
 *   Selu                        < 6 defaults alpha 1.6732, gamma 1.0507 made explicit
 *   Upsample                    < 7 height_scale, width_scale: scales [1, 1, h, w]
 *   Dropout, BatchNormalization is_test dropped (above); the rest kept their meaning
 * New constant inputs are IR_VAL_CONST values with unique names.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "fe_internal.h"
#include "rt_cpu.h"

int fe_opset_op(const char *op_type) {
    if (!op_type) return -1;
    if (strcmp(op_type, "Upsample") == 0) return IR_OP_RESIZE;
    if (strcmp(op_type, "Scatter") == 0) return IR_OP_SCATTERELEMENTS;
    return ir_op_lookup(op_type);
}

int fe_opset_known(const char *op_type) { return fe_opset_op(op_type) >= 0; }

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
        case IR_DT_FLOAT16: ((uint16_t *)t.data)[i] = rt_f32_to_f16((float)vf[i]); break;
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

static void set_float_attr(ir_graph *g, int ni, const char *name, float val) {
    take_attr(g, ni, name, NULL);
    ir_attr *a = ir_node_add_attr(g, ni, name, IR_ATTR_FLOAT);
    if (a) a->f = val;
}

/* Resize from opset 10 or Upsample: (X, scales) -> (X, -, scales), asymmetric coordinates. */
static int resize_from_upsample(fe_ctx *c, ir_graph *g, int ni, int upsample) {
    ir_node *n = &g->nodes[ni];
    ir_attr a;
    int scales = n->nin > 1 ? n->in[1] : -1;
    if (upsample && c->opset < 7) { /* Upsample-1: NCHW, height_scale and width_scale */
        ir_attr h, w;
        int hh = take_attr(g, ni, "height_scale", &h), hw = take_attr(g, ni, "width_scale", &w);
        if (!hh || !hw || h.type != IR_ATTR_FLOAT || w.type != IR_ATTR_FLOAT) {
            ir_diag_error(ir_graph_diag(g), "node '%s' (Upsample) opset %d needs 'height_scale' "
                          "and 'width_scale' attributes", n->name, c->opset);
            return -1;
        }
        double f[4] = {1, 1, h.f, w.f};
        char base[300];
        snprintf(base, sizeof base, "%s_scales", n->name);
        if ((scales = add_const(g, base, IR_DT_FLOAT, 1, 4, NULL, f)) < 0) return -1;
        n = &g->nodes[ni];
    } else if (upsample && c->opset < 9) { /* Upsample-7: scales attribute */
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

/* ---- opsets 1..6 ---- */

/* A new node op(in...) named "<node>/<what>" with one new output of dtype dt and rank
 * (dims unknown). The output's value index, or -1. */
static int add_step(ir_graph *g, int ni, ir_op op, const char *what, int nin, const int *in,
                    int dt, int rank) {
    char buf[600];
    snprintf(buf, sizeof buf, "%s/%s", g->nodes[ni].name, what);
    const char *vn = ir_unique_name(g, buf);
    if (!vn) return -1;
    int v = ir_value_add(g, vn, dt, -1, NULL);
    if (v < 0) return -1;
    g->vals[v].rank = rank;
    for (int i = 0; i < rank && i < IR_MAX_RANK; i++) g->vals[v].dims[i].v = -1;
    return ir_node_add(g, op, vn, nin, in, 1, &v) < 0 ? -1 : v;
}

/* Before opset 7, broadcast=1 aligned B's dims with A's starting at `axis`; numpy aligns
 * them at the end. Input k of node ni (B, rank rb) gets trailing 1-dims so that the two
 * agree: a reshaped view for a constant, Unsqueeze when both ranks are known, else
 * Reshape(B, Concat(Shape(B), ones(rank(A) - axis - rank(B)))) for the constant folder to
 * settle once shapes are bound. 0 or -1. */
static int align_at_axis(ir_graph *g, int ni, int k, int64_t axis) {
    ir_diag *d = ir_graph_diag(g);
    ir_node *n = &g->nodes[ni];
    const char *opn = ir_op_table[n->op].name;
    int a = n->nin > 0 ? n->in[0] : -1, b = n->nin > k ? n->in[k] : -1;
    if (a < 0 || b < 0) return 0; /* arity: ir_graph_validate's */
    const ir_tensor *cb = const_of(g, b);
    int ra = g->vals[a].rank, rb = cb ? cb->rank : g->vals[b].rank, bdt = g->vals[b].dtype;
    if (cb) bdt = cb->dtype;
    char buf[600];
    snprintf(buf, sizeof buf, "%s_at_axis", g->vals[b].name);
    if (ra >= 0 && rb >= 0) {
        int64_t ax = axis < 0 ? axis + ra : axis;
        if (ax < 0 || ax + rb > ra) {
            ir_diag_error(d, "node '%s' (%s) input %d: broadcast axis %lld does not place a "
                          "rank-%d operand within rank %d", n->name, opn, k, (long long)axis,
                          rb, ra);
            return -1;
        }
        int t = (int)(ra - ax - rb);
        if (t == 0) return 0;
        int64_t dims[IR_MAX_RANK];
        for (int i = 0; i < ra - ax; i++)
            dims[i] = i < rb ? (cb ? cb->dims[i] : g->vals[b].dims[i].v) : 1;
        if (cb) { /* the same bytes under a longer shape */
            ir_tensor nt = *cb;
            nt.rank = (int)(ra - ax);
            memcpy(nt.dims, dims, sizeof dims);
            const char *vn = ir_unique_name(g, buf);
            int v = vn ? ir_value_add(g, vn, nt.dtype, nt.rank, nt.dims) : -1;
            if (v < 0 || ir_value_set_const(g, v, &nt, 0)) return -1;
            g->nodes[ni].in[k] = v;
            return 0;
        }
        int64_t ax1[IR_MAX_RANK];
        for (int i = 0; i < t; i++) ax1[i] = rb + i;
        char cn[620];
        snprintf(cn, sizeof cn, "%s_axes", buf);
        int c = add_const(g, cn, IR_DT_INT64, 1, t, ax1, NULL);
        int in[2] = {b, c};
        int v = c < 0 ? -1 : add_step(g, ni, IR_OP_UNSQUEEZE, "at_axis", 2, in, bdt, ra - (int)ax);
        if (v < 0) return -1;
        for (int i = 0; i < rb; i++) g->vals[v].dims[i] = g->vals[b].dims[i];
        for (int i = rb; i < ra - ax; i++) g->vals[v].dims[i].v = 1;
        g->nodes[ni].in[k] = v;
        return 0;
    }
    /* ranks unknown here: count the trailing ones at run time (folded once bound) */
    int sb = add_step(g, ni, IR_OP_SHAPE, "b_shape", 1, &b, IR_DT_INT64, 1);
    int rbv = sb < 0 ? -1 : add_step(g, ni, IR_OP_SHAPE, "b_rank", 1, &sb, IR_DT_INT64, 1);
    if (rbv < 0) return -1;
    int cnt;
    if (axis < 0) { /* trailing ones: -axis - rank(B) */
        int64_t na = -axis;
        int c = add_const(g, buf, IR_DT_INT64, 1, 1, &na, NULL);
        int in[2] = {c, rbv};
        cnt = c < 0 ? -1 : add_step(g, ni, IR_OP_SUB, "ones_count", 2, in, IR_DT_INT64, 1);
    } else { /* rank(A) - axis - rank(B) */
        int sa = add_step(g, ni, IR_OP_SHAPE, "a_shape", 1, &a, IR_DT_INT64, 1);
        int rav = sa < 0 ? -1 : add_step(g, ni, IR_OP_SHAPE, "a_rank", 1, &sa, IR_DT_INT64, 1);
        int c = add_const(g, buf, IR_DT_INT64, 1, 1, &axis, NULL);
        int in1[2] = {rav, c};
        int t1 = rav < 0 || c < 0 ? -1
               : add_step(g, ni, IR_OP_SUB, "a_rest", 2, in1, IR_DT_INT64, 1);
        int in2[2] = {t1, rbv};
        cnt = t1 < 0 ? -1 : add_step(g, ni, IR_OP_SUB, "ones_count", 2, in2, IR_DT_INT64, 1);
    }
    int ones = cnt < 0 ? -1 : add_step(g, ni, IR_OP_CONSTANTOFSHAPE, "ones", 1, &cnt,
                                       IR_DT_INT64, 1);
    if (ones < 0) return -1;
    ir_tensor *one = ir_arena_alloc(g->arena, sizeof *one);
    int64_t *p = ir_arena_alloc(g->arena, sizeof *p);
    ir_attr *at = one && p ? ir_node_add_attr(g, g->vals[ones].producer, "value",
                                              IR_ATTR_TENSOR) : NULL;
    if (!at) { ir_graph_diag(g)->oom = 1; return -1; }
    *p = 1;
    *one = (ir_tensor){.dtype = IR_DT_INT64, .rank = 1, .dims = {1}, .data = p,
                       .nbytes = sizeof *p};
    at->t = one;
    int cin[2] = {sb, ones};
    int ns = add_step(g, ni, IR_OP_CONCAT, "b_new_shape", 2, cin, IR_DT_INT64, 1);
    if (ns < 0) return -1;
    if (!(at = ir_node_add_attr(g, g->vals[ns].producer, "axis", IR_ATTR_INT))) return -1;
    at->i = 0;
    int rin[2] = {b, ns};
    int v = add_step(g, ni, IR_OP_RESHAPE, "at_axis", 2, rin, bdt, -1);
    if (v < 0) return -1;
    g->nodes[ni].in[k] = v;
    return 0;
}

/* Add, Sub, ... before opset 7: broadcast (default 0: equal shapes, which numpy's rule
 * covers) and axis (default: suffix alignment, numpy's) dropped, B aligned at axis. */
static int binary_legacy(ir_graph *g, int ni) {
    ir_attr bc, ax;
    int hb = take_attr(g, ni, "broadcast", &bc), ha = take_attr(g, ni, "axis", &ax);
    if (!hb || bc.type != IR_ATTR_INT || bc.i == 0 || !ha || ax.type != IR_ATTR_INT) return 0;
    return align_at_axis(g, ni, 1, ax.i);
}

/* PRelu before opset 7: a slope of C values is per channel (axis 1), as in PyTorch; numpy
 * would align it with the last axis. */
static int prelu_legacy(ir_graph *g, int ni) {
    ir_node *n = &g->nodes[ni];
    if (n->nin < 2 || n->in[0] < 0 || n->in[1] < 0) return 0;
    const ir_value *x = &g->vals[n->in[0]], *s = &g->vals[n->in[1]];
    const ir_tensor *cs = const_of(g, n->in[1]);
    int rs = cs ? cs->rank : s->rank;
    int64_t numel = cs ? ir_tensor_numel(cs) : ir_shape_numel(s->rank, s->dims);
    if (x->rank < 3 || rs < 1 || rs >= x->rank || numel == 1) return 0;
    if (numel < 0) {
        ir_diag_error(ir_graph_diag(g), "node '%s' (PRelu) opset %d: slope of unknown size "
                      "(per channel or shared?) is unsupported; give it a static shape",
                      n->name, g->opset);
        return -1;
    }
    return align_at_axis(g, ni, 1, 1);
}

/* Cast before opset 6: `to` is the type's name ("FLOAT", "INT64", ...). */
static int cast_legacy(ir_graph *g, int ni) {
    ir_attr a;
    if (!take_attr(g, ni, "to", &a)) return 0; /* ir_shape's to report */
    if (a.type != IR_ATTR_STRING) {
        ir_attr *p = ir_node_add_attr(g, ni, "to", a.type);
        if (p) *p = a;
        return 0;
    }
    const ProtobufCEnumValue *e = protobuf_c_enum_descriptor_get_value_by_name(
        &onnx__tensor_proto__data_type__descriptor, a.s);
    if (!e || e->value == 0) {
        ir_diag_error(ir_graph_diag(g), "node '%s' (Cast): unknown type name '%s' in 'to'",
                      g->nodes[ni].name, a.s);
        return -1;
    }
    set_int_attr(g, ni, "to", e->value);
    return 0;
}

/* Tile before opset 6: (input, tiles, axis) -> (input, repeats) with tiles at axis. */
static int tile_legacy(ir_graph *g, int ni) {
    ir_node *n = &g->nodes[ni];
    if (n->nin < 3) return 0; /* already the (input, repeats) form */
    const ir_tensor *tt = const_of(g, n->in[1]), *ta = const_of(g, n->in[2]);
    int r = n->in[0] >= 0 ? g->vals[n->in[0]].rank : -1;
    if (!tt || !ta || ir_tensor_numel(tt) != 1 || ir_tensor_numel(ta) != 1 || r < 1) {
        ir_diag_error(ir_graph_diag(g), "node '%s' (Tile) opset %d: tiles and axis must be "
                      "constants and the input's rank known", n->name, g->opset);
        return -1;
    }
    int64_t ax = ir_tensor_get_i64(ta, 0), reps[IR_MAX_RANK];
    if (ax < 0) ax += r;
    if (ax < 0 || ax >= r) {
        ir_diag_error(ir_graph_diag(g), "node '%s' (Tile): axis %lld out of range for rank %d",
                      n->name, (long long)ir_tensor_get_i64(ta, 0), r);
        return -1;
    }
    for (int i = 0; i < r; i++) reps[i] = i == ax ? ir_tensor_get_i64(tt, 0) : 1;
    char base[300];
    snprintf(base, sizeof base, "%s_repeats", n->name);
    int v = add_const(g, base, IR_DT_INT64, 1, r, reps, NULL);
    if (v < 0) return -1;
    n = &g->nodes[ni];
    n->in[1] = v;
    n->nin = 2;
    return 0;
}

int fe_opset_normalize(fe_ctx *c, ir_graph *g, int ni, const char *onnx_type) {
    ir_diag *d = ir_graph_diag(g);
    ir_node *n = &g->nodes[ni];
    int os = c->opset;
    ir_attr a;
    if (os < 6) take_attr(g, ni, "consumed_inputs", NULL); /* memory hint of opsets 1..5 */
    switch ((int)n->op) { /* not a dispatch: most ops have one form in opsets 1..21 */
    case IR_OP_ADD: case IR_OP_SUB: case IR_OP_MUL: case IR_OP_DIV: case IR_OP_POW:
    case IR_OP_EQUAL: case IR_OP_LESS: case IR_OP_GREATER:
    case IR_OP_AND: case IR_OP_OR: case IR_OP_XOR:
        return os < 7 ? binary_legacy(g, ni) : 0;
    case IR_OP_PRELU:
        return os < 7 ? prelu_legacy(g, ni) : 0;
    case IR_OP_CAST:
        return os < 6 ? cast_legacy(g, ni) : 0;
    case IR_OP_TILE:
        return os < 6 ? tile_legacy(g, ni) : 0;
    case IR_OP_RESHAPE:
        if (os < 5 && take_attr(g, ni, "shape", &a)) return ints_to_input(g, ni, &a, 1, "shape");
        return 0;
    case IR_OP_CONCAT:
        if (os < 4 && !ir_node_attr(n, "axis")) set_int_attr(g, ni, "axis", 1);
        return 0;
    case IR_OP_SELU: /* Selu-1's defaults were rounded */
        if (os >= 6) return 0;
        if (!ir_node_attr(n, "alpha")) set_float_attr(g, ni, "alpha", 1.6732f);
        if (!ir_node_attr(&g->nodes[ni], "gamma")) set_float_attr(g, ni, "gamma", 1.0507f);
        return 0;
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
            if (!take_attr(g, ni, "pads", &a) && !(os < 2 && take_attr(g, ni, "paddings", &a))) {
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
        /* tf_half_pixel_for_nn exists in opsets 11 and 12 only (the kernel implements it) */
        if (os >= 13 && strcmp(ct, "tf_half_pixel_for_nn") == 0) {
            ir_diag_error(d, "node '%s' (Resize): coordinate_transformation_mode "
                          "'tf_half_pixel_for_nn' is not in opset %d (it was removed in 13)",
                          n->name, os);
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
