/* ir_batch.c - microbatch axes: which axis of every value holds the microbatches.
 *
 * Rank 0 cuts each graph input along its split dim into microbatches and, at the end, joins
 * each graph output along "the axis that the cut becomes in it". This file finds that axis by
 * following the cut through the graph, node by node in topological order, with one rule per
 * op derived from the op's structure (never from a model's names):
 *
 *   axis[v] >= 0          v's microbatches are slabs along that axis
 *   IR_BATCH_NONE         v does not depend on any cut input: the same for every microbatch
 *   IR_BATCH_UNKNOWN      v depends on cut data, but no rule can say along which axis
 *   IR_BATCH_MIXED        v combines data across the microbatch axis (a softmax over it, a
 *                         MatMul contracting it, ...): microbatching computes something else
 *
 * UNKNOWN and MIXED flow on to everything computed from them (MIXED wins), and remember the
 * node where they arose (origin) and why (why[node]), so that an output's diagnostic names
 * the culprit. A value read only for its shape (Shape, Size, EyeLike) is not cut data: every
 * microbatch has the same shape. A rule proves what it claims or answers UNKNOWN: an op
 * without a rule never gets axis 0 by default.
 *
 * A value that is not cut but lines up with the microbatch axis in a broadcast (a bias, a
 * mask folded to the microbatch's size) is fine where it has size 1 there or is provably the
 * same along it (its bytes, or its producer: ConstantOfShape, Expand of a size-1 dim, ...);
 * a constant that varies along it (positions folded from a cut sequence length) is MIXED:
 * each microbatch would need its own slice. Anything else is UNKNOWN.
 *
 * Reshape is followed by layout: when the elements before the microbatch axis are as many as
 * those before output axis b, each microbatch is one contiguous run along b, and b holds the
 * axis as its most significant part when the two sizes divide one another (the same size,
 * merged with what follows, or split with b first). Each value with an
 * axis also has an inner factor: how many consecutive indices along the axis belong to one
 * index of the cut input axis (a sample), so that a split that undoes a merge ([B*S] back to
 * [B, S]) puts the axis back where the samples are, and a value that is not cut but lines up
 * with a merged axis ([B*H] attention heads) need only repeat per sample. A microbatch of one
 * sample can leave several size-1 candidates that no layout tells apart: the outermost is
 * taken, by convention (batch axes come first). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ir.h"
#include "rt_cpu.h" /* RT_ATTR_MATMUL_TRANSB: MatMul reading B transposed (ir_pass_fuse) */

typedef struct bctx {
    const ir_graph *g;
    ir_batch *b;
    const ir_node *n;
    int ni;
    int done;   /* the node's outputs are set */
    int64_t q;  /* the inner factor its cut outputs get (set before the rule: the cut
                   inputs' common one; a rule that regroups the axis sets it) */
    int oom;
} bctx;

/* ---- small helpers ---- */

static const ir_value *in_val(bctx *c, int i) {
    return i < c->n->nin && c->n->in[i] >= 0 ? &c->g->vals[c->n->in[i]] : NULL;
}

/* The microbatch state of input i; NONE when absent. */
static int in_ax(bctx *c, int i) {
    return i < c->n->nin && c->n->in[i] >= 0 ? c->b->axis[c->n->in[i]] : IR_BATCH_NONE;
}

static const ir_value *out_val(bctx *c, int j) {
    return j < c->n->nout && c->n->out[j] >= 0 ? &c->g->vals[c->n->out[j]] : NULL;
}

static int out_rank(bctx *c, int j) {
    const ir_value *v = out_val(c, j);
    return v ? v->rank : -1;
}

static void set_out(bctx *c, int j, int axis, int origin) {
    if (j >= c->n->nout || c->n->out[j] < 0) return;
    c->b->axis[c->n->out[j]] = axis;
    c->b->inner[c->n->out[j]] = axis >= 0 ? c->q : 0;
    c->b->origin[c->n->out[j]] = axis < IR_BATCH_NONE ? origin : -1;
}

/* Every output on axis (>= 0 or NONE). */
static void all_out(bctx *c, int axis) {
    for (int j = 0; j < c->n->nout; j++) set_out(c, j, axis, -1);
    c->done = 1;
}

/* This node makes output j UNKNOWN or MIXED (j < 0: every output); why is kept for the
 * diagnostic ("node 'NAME' (Op): " + why). */
static void arise(bctx *c, int j, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void arise(bctx *c, int j, int code, const char *fmt, ...) {
    if (!c->b->why[c->ni]) {
        char buf[600];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        c->b->why[c->ni] = ir_xmalloc(strlen(buf) + 1);
        if (c->b->why[c->ni]) strcpy(c->b->why[c->ni], buf);
        else c->oom = 1;
    }
    if (j >= 0) {
        set_out(c, j, code, c->ni);
        return;
    }
    for (int k = 0; k < c->n->nout; k++) set_out(c, k, code, c->ni);
    c->done = 1;
}

static const char *in_name(bctx *c, int i) {
    const ir_value *v = in_val(c, i);
    return v ? v->name : "?";
}

/* Constant integer input i into buf (at most max): the count; -1 when not a known constant
 * (or too long), -2 when absent. */
static int const_ints(bctx *c, int i, int64_t *buf, int max) {
    const ir_value *v = in_val(c, i);
    if (!v) return -2;
    const ir_tensor *t = v->data;
    if (!t || t->rank > 1) return -1;
    int64_t n = ir_tensor_numel(t);
    if (n < 0 || n > max || (n > 0 && !t->data)) return -1;
    switch (t->dtype) {
    case IR_DT_INT8: case IR_DT_INT16: case IR_DT_INT32: case IR_DT_INT64:
    case IR_DT_UINT8: case IR_DT_UINT16: case IR_DT_UINT32: case IR_DT_UINT64:
        break;
    default:
        return -1;
    }
    for (int64_t k = 0; k < n; k++) buf[k] = ir_tensor_get_i64(t, k);
    return (int)n;
}

/* Integers from input i, else from the INTS attribute attr (older opsets' form): the count,
 * -1 unknown, -2 neither given. */
static int ints_in_or_attr(bctx *c, int i, const char *attr, int64_t *buf, int max) {
    int k = const_ints(c, i, buf, max);
    if (k != -2) return k;
    const ir_attr *a = ir_node_attr(c->n, attr);
    if (!a) return -2;
    if (a->type != IR_ATTR_INTS || a->n > max || (a->n > 0 && !a->ints)) return -1;
    if (a->n > 0) memcpy(buf, a->ints, (size_t)a->n * sizeof *buf);
    return a->n;
}

/* axis against rank: 0 <= result < rank, or -1 when out of range. */
static int norm_axis(int64_t axis, int rank) {
    if (axis < 0) axis += rank;
    return axis >= 0 && axis < rank ? (int)axis : -1;
}

/* Inputs from `from` on are parameters (shapes, indices, sizes): they must not be cut. */
static int params_uncut(bctx *c, int from) {
    for (int i = from; i < c->n->nin; i++)
        if (in_ax(c, i) >= 0) {
            arise(c, -1, IR_BATCH_UNKNOWN, "its input %d '%s' (a %s parameter) is computed from "
                  "cut data", i, in_name(c, i), ir_op_table[c->n->op].name);
            return 0;
        }
    return 1;
}

/* 1 if value v provably repeats with period p (>= 1) along its axis `axis`: index k holds
 * the same as index k + p (p = 1: the same everywhere). Shown by its size there (1, or not
 * more than p), its bytes, or its producer (ConstantOfShape, Expand of a size-1 dim, ...).
 * Used for values that are not cut but line up with the microbatch axis, whose inner factor
 * is p: each microbatch then reads what the whole batch's copy of the value holds there. */
static int periodic(const ir_graph *g, int v, int axis, int64_t p, int depth) {
    const ir_value *x = &g->vals[v];
    if (axis < 0 || x->rank < 0 || axis >= x->rank) return 0;
    if (p < 1) p = 1;
    if (x->dims[axis].v == 1 || (x->dims[axis].v >= 0 && x->dims[axis].v <= p)) return 1;
    if (x->dims[axis].v < 0) return 0;
    if (x->data) {
        const ir_tensor *t = x->data;
        size_t es = ir_dtype_size(t->dtype);
        if (!es || t->rank != x->rank || (ir_tensor_numel(t) > 0 && !t->data)) return 0;
        int64_t outer = 1, inner = (int64_t)es, n = t->dims[axis];
        for (int k = 0; k < axis; k++) outer *= t->dims[k];
        for (int k = axis + 1; k < t->rank; k++) inner *= t->dims[k];
        if ((uint64_t)(outer * n * inner) > t->nbytes) return 0;
        const unsigned char *b = t->data;
        for (int64_t o = 0; o < outer; o++)
            for (int64_t k = p; k < n; k++)
                if (memcmp(b + (o * n + k) * inner, b + (o * n + k - p) * inner, (size_t)inner))
                    return 0;
        return 1;
    }
    if (depth > 32 || x->producer < 0) return 0;
    const ir_node *n = &g->nodes[x->producer];
    if (n->op == IR_OP_CONSTANTOFSHAPE) return 1;
    if (n->dead || n->nin < 1) return 0;
    int flags = ir_op_table[n->op].flags;
    if ((flags & OPF_UNARY) && n->op != IR_OP_CLIP)
        return n->in[0] >= 0 && periodic(g, n->in[0], axis, p, depth + 1);
    if ((flags & OPF_BINARY) || n->op == IR_OP_CLIP || n->op == IR_OP_EXPAND) {
        int last = n->op == IR_OP_EXPAND ? 1 : n->nin; /* Expand: only the data broadcasts */
        for (int i = 0; i < last; i++) {
            if (n->in[i] < 0) continue;
            const ir_value *y = &g->vals[n->in[i]];
            if (y->rank < 0) return 0;
            int a = axis - (x->rank - y->rank);
            if (a >= 0 && !periodic(g, n->in[i], a, p, depth + 1)) return 0;
        }
        return 1;
    }
    if (n->op == IR_OP_TRANSPOSE && n->in[0] >= 0) {
        const ir_attr *pm = ir_node_attr(n, "perm");
        int r = x->rank;
        int a = pm && pm->type == IR_ATTR_INTS && pm->n == r ? (int)pm->ints[axis] : r - 1 - axis;
        return a >= 0 && a < r && periodic(g, n->in[0], a, p, depth + 1);
    }
    if (n->op == IR_OP_TILE && n->in[0] >= 0) { /* a tile of a value repeating with period p */
        const ir_value *y = &g->vals[n->in[0]];
        return y->rank == x->rank && y->dims[axis].v > 0 && p % y->dims[axis].v == 0
                   ? 1 : periodic(g, n->in[0], axis, p, depth + 1);
    }
    return 0;
}

/* A value that is not cut (input i of the node) lines up with the microbatch axis at its own
 * axis a: fine (1), or the node's outputs are made MIXED / UNKNOWN (0). */
static int uncut_ok(bctx *c, int i, int a) {
    const ir_value *v = in_val(c, i);
    if (!v || a < 0 || a >= v->rank) return 1;
    if (periodic(c->g, c->n->in[i], a, c->q, 0)) return 1;
    if (v->data)
        arise(c, -1, IR_BATCH_MIXED, "its input %d '%s' is not cut but varies along its axis %d, "
              "which lines up with the microbatch axis: every microbatch would read the same "
              "slice of it", i, v->name, a);
    else
        arise(c, -1, IR_BATCH_UNKNOWN, "its input %d '%s' is not cut but has size %lld along its "
              "axis %d, which lines up with the microbatch axis, and it cannot be shown to "
              "repeat for every microbatch", i, v->name, (long long)v->dims[a].v, a);
    return 0;
}

/* Merge a candidate output axis from input i into *acc (NONE: none yet). 0 after making the
 * outputs MIXED on a conflict. */
static int agree(bctx *c, int *acc, int *from, int cand, int i) {
    if (*acc == IR_BATCH_NONE || *acc == cand) {
        *acc = cand;
        *from = i;
        return 1;
    }
    arise(c, -1, IR_BATCH_MIXED, "its input %d '%s' is cut along what becomes output axis %d and "
          "input %d '%s' along what becomes axis %d: it combines different microbatches",
          *from, in_name(c, *from), *acc, i, in_name(c, i), cand);
    return 0;
}

/* ---- rules ---- */

/* numpy broadcasting over inputs [0, nin): dims align from the right. */
static void rule_broadcast(bctx *c, int nin) {
    int R = out_rank(c, 0);
    if (R < 0) {
        arise(c, -1, IR_BATCH_UNKNOWN, "its output rank is not known");
        return;
    }
    int ax = IR_BATCH_NONE, from = -1;
    for (int i = 0; i < nin; i++) {
        int a = in_ax(c, i);
        if (a < 0) continue;
        const ir_value *v = in_val(c, i);
        if (!agree(c, &ax, &from, a + R - v->rank, i)) return;
    }
    if (ax < 0) {
        all_out(c, IR_BATCH_NONE);
        return;
    }
    const ir_value *y = out_val(c, 0);
    for (int i = 0; i < nin; i++) {
        const ir_value *v = in_val(c, i);
        if (!v) continue;
        if (v->rank < 0) {
            arise(c, -1, IR_BATCH_UNKNOWN, "the rank of its input %d '%s' is not known", i, v->name);
            return;
        }
        int a = ax - (R - v->rank);
        if (a < 0) continue;
        if (in_ax(c, i) >= 0) {
            if (y && v->dims[a].v != y->dims[ax].v) {
                arise(c, -1, IR_BATCH_UNKNOWN, "it broadcasts the microbatch axis of its input %d "
                      "'%s' (size %lld) to size %lld", i, v->name, (long long)v->dims[a].v,
                      (long long)y->dims[ax].v);
                return;
            }
        } else if (!uncut_ok(c, i, a)) {
            return;
        }
    }
    all_out(c, ax);
}

/* Every output takes input 0's axis (elementwise over one input). */
static void rule_unary(bctx *c) { all_out(c, in_ax(c, 0)); }

/* An op that works along one axis `op_axis` (normalized) of input 0 and keeps the rest. */
static void rule_along(bctx *c, int op_axis, const char *what) {
    int a = in_ax(c, 0);
    if (op_axis < 0) {
        arise(c, -1, IR_BATCH_UNKNOWN, "its axis attribute is out of range");
        return;
    }
    if (a == op_axis) {
        arise(c, -1, IR_BATCH_MIXED, "it %s along axis %d of '%s', which is the microbatch "
              "axis", what, a, in_name(c, 0));
        return;
    }
    all_out(c, a);
}

static int attr_axis(bctx *c, const char *name, int64_t dflt, int rank) {
    return norm_axis(ir_attr_int(c->n, name, dflt), rank);
}

/* MatMul: A[..., M, K] @ B[..., K, N]; rank-1 operands as numpy (K only). With
 * RT_ATTR_MATMUL_TRANSB, B (rank 2) is stored [N, K]. Batch dims broadcast. */
static void rule_matmul(bctx *c) {
    const ir_value *A = in_val(c, 0), *B = in_val(c, 1);
    int R = out_rank(c, 0);
    if (!A || !B || A->rank < 1 || B->rank < 1 || R < 0) {
        arise(c, -1, IR_BATCH_UNKNOWN, "the ranks of its inputs are not known");
        return;
    }
    int ra = A->rank, rb = B->rank;
    int nb = R - (ra >= 2) - (rb >= 2); /* the output's batch dims */
    int ax = IR_BATCH_NONE, from = -1;
    int x = in_ax(c, 0);
    if (x >= 0) {
        if (ra == 1 || x == ra - 1) {
            arise(c, -1, IR_BATCH_MIXED, "it contracts axis %d of its input 0 '%s', which is "
                  "the microbatch axis", x, A->name);
            return;
        }
        agree(c, &ax, &from, x == ra - 2 ? (rb == 1 ? R - 1 : R - 2) : x + nb - (ra - 2), 0);
    }
    x = in_ax(c, 1);
    if (x >= 0) {
        int xl = rb == 2 && ir_attr_int(c->n, RT_ATTR_MATMUL_TRANSB, 0) ? 1 - x : x;
        if (rb == 1 || xl == rb - 2) {
            arise(c, -1, IR_BATCH_MIXED, "it contracts axis %d of its input 1 '%s', which is "
                  "the microbatch axis", x, B->name);
            return;
        }
        if (!agree(c, &ax, &from, xl == rb - 1 ? R - 1 : xl + nb - (rb - 2), 1)) return;
    }
    if (ax < 0) {
        all_out(c, IR_BATCH_NONE);
        return;
    }
    if (ax < nb) /* a batch dim: the other operand's aligned batch dim must not vary */
        for (int i = 0; i < 2; i++) {
            const ir_value *v = i ? B : A;
            if (in_ax(c, i) >= 0 || v->rank < 3) continue;
            int a = ax - (nb - (v->rank - 2));
            if (a >= 0 && !uncut_ok(c, i, a)) return;
        }
    all_out(c, ax);
}

/* Gemm: Y[M,N] = alpha * A'[M,K] B'[K,N] + beta * C (C broadcast to [M,N]). */
static void rule_gemm(bctx *c) {
    int ax = IR_BATCH_NONE, from = -1;
    int x = in_ax(c, 0);
    if (x >= 0) {
        int xl = ir_attr_int(c->n, "transA", 0) ? 1 - x : x;
        if (xl != 0) {
            arise(c, -1, IR_BATCH_MIXED, "it contracts axis %d of its input 0 '%s', which is "
                  "the microbatch axis", x, in_name(c, 0));
            return;
        }
        agree(c, &ax, &from, 0, 0);
    }
    x = in_ax(c, 1);
    if (x >= 0) {
        int xl = ir_attr_int(c->n, "transB", 0) ? 1 - x : x;
        if (xl != 1) {
            arise(c, -1, IR_BATCH_MIXED, "it contracts axis %d of its input 1 '%s', which is "
                  "the microbatch axis", x, in_name(c, 1));
            return;
        }
        if (!agree(c, &ax, &from, 1, 1)) return;
    }
    const ir_value *C = in_val(c, 2);
    if (C && C->rank < 0) {
        arise(c, -1, IR_BATCH_UNKNOWN, "the rank of its input 2 '%s' is not known", C->name);
        return;
    }
    x = in_ax(c, 2);
    if (x >= 0) {
        if (!agree(c, &ax, &from, x + 2 - C->rank, 2)) return;
        const ir_value *y = out_val(c, 0);
        if (y && y->rank == 2 && C->dims[x].v != y->dims[ax].v) {
            arise(c, -1, IR_BATCH_UNKNOWN, "it broadcasts the microbatch axis of its input 2 "
                  "'%s'", C->name);
            return;
        }
    }
    if (ax >= 0 && C && x < 0 && !uncut_ok(c, 2, ax - (2 - C->rank))) return;
    all_out(c, ax);
}

/* Window ops over [N, C, spatial...] (Conv, ConvTranspose, pools): N is independent; C is
 * contracted (Conv) or kept (pools); a spatial axis only when the window is 1 wide, the
 * stride 1 and the size kept. */
static void rule_window(bctx *c, int keeps_channels) {
    const ir_value *x = in_val(c, 0), *y = out_val(c, 0);
    int a = in_ax(c, 0);
    if (!params_uncut(c, 1)) return;
    if (a <= 0 || (a == 1 && keeps_channels)) {
        all_out(c, a);
        return;
    }
    if (a == 1) {
        arise(c, -1, IR_BATCH_MIXED, "it sums over the channels (axis 1) of '%s', which is the "
              "microbatch axis", x->name);
        return;
    }
    int d = a - 2;
    int64_t k = -1, s = 1;
    const ir_attr *ks = ir_node_attr(c->n, "kernel_shape");
    if (ks && ks->type == IR_ATTR_INTS && d < ks->n) k = ks->ints[d];
    else if (in_val(c, 1) && in_val(c, 1)->rank == x->rank) k = in_val(c, 1)->dims[a].v;
    const ir_attr *st = ir_node_attr(c->n, "strides");
    if (st && st->type == IR_ATTR_INTS && d < st->n) s = st->ints[d];
    if (k == 1 && s == 1 && y && y->rank == x->rank && y->dims[a].v == x->dims[a].v) {
        all_out(c, a);
        return;
    }
    arise(c, -1, IR_BATCH_MIXED, "its window (size %lld, stride %lld) runs along axis %d of '%s', "
          "which is the microbatch axis: windows would stop at the cuts", (long long)k,
          (long long)s, a, x->name);
}

/* Per-channel parameters ([C], inputs from..nin) of an op over [N, C, ...]: cut along their
 * axis 0 they are cut along the output's axis 1. */
static int channel_params(bctx *c, int from, int *ax) {
    int f = 0;
    for (int i = from; i < c->n->nin; i++) {
        int a = in_ax(c, i);
        if (a == 0 && !agree(c, ax, &f, 1, i)) return 0;
        if (a > 0) {
            arise(c, -1, IR_BATCH_UNKNOWN, "its per-channel input %d '%s' is cut along axis %d",
                  i, in_name(c, i), a);
            return 0;
        }
    }
    if (*ax == 1) {
        if (in_ax(c, 0) < 0 && !uncut_ok(c, 0, 1)) return 0;
        for (int i = from; i < c->n->nin; i++)
            if (in_val(c, i) && in_ax(c, i) < 0 && !uncut_ok(c, i, 0)) return 0;
    }
    return 1;
}

/* BatchNormalization (inference: a per-channel affine map; training: statistics over all
 * axes but C) and InstanceNormalization (statistics over the spatial axes of each N, C).
 * stats: the statistics run over input 0's microbatch axis. */
static void rule_norm_nc(bctx *c, int stats) {
    int ax = in_ax(c, 0);
    if (stats) {
        arise(c, -1, IR_BATCH_MIXED, "its statistics run over axis %d of '%s', which is the "
              "microbatch axis", ax, in_name(c, 0));
        return;
    }
    if (!channel_params(c, 1, &ax)) return;
    set_out(c, 0, ax, -1);
    /* BatchNormalization's training outputs are per channel ([C]) */
    for (int j = 1; j < c->n->nout; j++) set_out(c, j, ax == 1 ? 0 : IR_BATCH_NONE, -1);
    c->done = 1;
}

/* Reduce*(data, axes?): keepdims, noop_with_empty_axes. */
static void rule_reduce(bctx *c) {
    int a = in_ax(c, 0);
    const ir_value *x = in_val(c, 0);
    if (!params_uncut(c, 1)) return;
    int64_t axes[IR_MAX_RANK];
    int n = ints_in_or_attr(c, 1, "axes", axes, IR_MAX_RANK);
    if (n == -1) {
        arise(c, -1, IR_BATCH_UNKNOWN, "its axes are not constant");
        return;
    }
    int keep = ir_attr_int(c->n, "keepdims", 1) != 0;
    if (n <= 0) {
        if (ir_attr_int(c->n, "noop_with_empty_axes", 0)) {
            all_out(c, a);
            return;
        }
        arise(c, -1, IR_BATCH_MIXED, "it reduces over every axis of '%s', the microbatch axis %d "
              "too", x->name, a);
        return;
    }
    int shift = 0;
    for (int k = 0; k < n; k++) {
        int r = norm_axis(axes[k], x->rank);
        if (r < 0) {
            arise(c, -1, IR_BATCH_UNKNOWN, "its axis %lld is out of range", (long long)axes[k]);
            return;
        }
        if (r == a) {
            arise(c, -1, IR_BATCH_MIXED, "it reduces over axis %d of '%s', which is the "
                  "microbatch axis", a, x->name);
            return;
        }
        if (r < a) shift++;
    }
    all_out(c, keep ? a : a - shift);
}

/* ArgMax, ArgMin: axis (0), keepdims (1). */
static void rule_arg(bctx *c) {
    int a = in_ax(c, 0), r = in_val(c, 0)->rank;
    int ax = attr_axis(c, "axis", 0, r);
    if (ax < 0 || a == ax) {
        rule_along(c, ax, "reduces");
        return;
    }
    all_out(c, ir_attr_int(c->n, "keepdims", 1) || a < ax ? a : a - 1);
}

/* Where axis x (inner factor q) of shape in[0..r) lands after a row-major reshape to
 * out[0..R) (see the file comment): the output axis, with its inner factor in *qout, or -1
 * when it cannot be placed. tgt (R entries or NULL) is the reshape's target: a 0 there (copy
 * the input's dim) at x keeps the axis at x. (Its -1 says nothing: the other entries may be
 * a batch size that folding made literal.) Then a split that gives each sample its own
 * index again (undoing a merge), then the same size, then a merge or split; among size-1
 * axes (a microbatch of one sample: no layout can tell) the outermost, a convention. */
static int reshape_axis(const ir_dim *in, int r, const ir_dim *out, int R, int x, int64_t q,
                        const int64_t *tgt, int allowzero, int64_t *qout) {
    enum { EQUAL, MERGE, SPLIT, UNMERGE };
    for (int k = 0; k < r; k++)
        if (in[k].v <= 0) return -1;
    for (int k = 0; k < R; k++)
        if (out[k].v <= 0) return -1;
    int64_t P = 1, s = in[x].v, pre = 1;
    for (int k = 0; k < x; k++) P *= in[k].v;
    if (q < 1 || s % q) q = 1;
    int64_t bm = s / q; /* indices of the cut input axis in one microbatch */
    int cand[IR_MAX_RANK], kind[IR_MAX_RANK], nc = 0;
    int64_t cq[IR_MAX_RANK];
    for (int b = 0; b < R && pre <= P; pre *= out[b].v, b++) {
        if (pre != P) continue;
        int64_t ob = out[b].v;
        int kd = -1;
        int64_t nq = 0;
        if (ob == s) {
            kd = EQUAL, nq = q;
        } else if (ob > s && ob % s == 0) { /* merged with (part of) what follows it */
            kd = MERGE, nq = q * (ob / s);
        } else if (ob < s && s % ob == 0) { /* split: out[b] its most significant part */
            int64_t f = s / ob;
            if (q % f == 0) kd = ob == bm ? UNMERGE : SPLIT, nq = q / f;
            else if (ob > 1) kd = SPLIT, nq = 1; /* samples straddle its indices */
        }
        if (kd < 0) continue;
        cand[nc] = b, kind[nc] = kd, cq[nc++] = nq;
    }
    int pick = -1;
    for (int k = 0; tgt && k < nc && pick < 0; k++)
        if (cand[k] == x && kind[k] == EQUAL && tgt[x] == 0 && !allowzero) pick = k;
    static const int order[] = {UNMERGE, EQUAL, MERGE};
    for (int o = 0; o < 3 && pick < 0; o++)
        for (int k = 0; k < nc && pick < 0; k++)
            if (kind[k] == order[o] || (order[o] == MERGE && kind[k] == SPLIT)) pick = k;
    if (pick < 0) return -1;
    *qout = cq[pick];
    return cand[pick];
}

static void dims_str(const ir_value *v, char *buf, size_t len) {
    size_t o = 0;
    buf[0] = 0;
    o += (size_t)snprintf(buf + o, len - o, "[");
    for (int k = 0; k < v->rank && o < len; k++)
        o += (size_t)snprintf(buf + o, len - o, "%s%lld", k ? "x" : "", (long long)v->dims[k].v);
    if (o < len) snprintf(buf + o, len - o, "]");
}

/* Reshape and Flatten: by layout. */
static void rule_reshape(bctx *c) {
    const ir_value *x = in_val(c, 0), *y = out_val(c, 0);
    int a = in_ax(c, 0);
    if (!params_uncut(c, 1)) return;
    int64_t tgt[IR_MAX_RANK];
    int nt = c->n->op == IR_OP_RESHAPE ? const_ints(c, 1, tgt, IR_MAX_RANK) : -1;
    int b = -1;
    int64_t q = 1;
    if (x && y && x->rank >= 0 && y->rank >= 0)
        b = reshape_axis(x->dims, x->rank, y->dims, y->rank, a, c->q,
                         nt == y->rank ? tgt : NULL, (int)ir_attr_int(c->n, "allowzero", 0), &q);
    if (b >= 0) {
        c->q = q;
        all_out(c, b);
        return;
    }
    char si[160] = "?", so[160] = "?";
    if (x && x->rank >= 0) dims_str(x, si, sizeof si);
    if (y && y->rank >= 0) dims_str(y, so, sizeof so);
    arise(c, -1, IR_BATCH_UNKNOWN, "it reshapes '%s' %s to %s and the microbatch axis %d does "
          "not map to one output axis", x ? x->name : "?", si, so, a);
}

static void rule_squeeze(bctx *c) {
    const ir_value *x = in_val(c, 0);
    int a = in_ax(c, 0);
    if (!params_uncut(c, 1)) return;
    int64_t axes[IR_MAX_RANK];
    int n = ints_in_or_attr(c, 1, "axes", axes, IR_MAX_RANK);
    if (n == -1 || x->rank < 0) {
        arise(c, -1, IR_BATCH_UNKNOWN, "its axes are not constant");
        return;
    }
    int gone[IR_MAX_RANK] = {0};
    if (n <= 0)
        for (int k = 0; k < x->rank; k++) gone[k] = x->dims[k].v == 1;
    for (int k = 0; k < n; k++) {
        int r = norm_axis(axes[k], x->rank);
        if (r >= 0) gone[r] = 1;
    }
    if (gone[a]) {
        arise(c, -1, IR_BATCH_UNKNOWN, "it squeezes away the microbatch axis %d of '%s' (size 1 "
              "in a microbatch, not in the whole batch)", a, x->name);
        return;
    }
    int shift = 0;
    for (int k = 0; k < a; k++) shift += gone[k];
    all_out(c, a - shift);
}

static void rule_unsqueeze(bctx *c) {
    int a = in_ax(c, 0), R = out_rank(c, 0);
    if (!params_uncut(c, 1)) return;
    int64_t axes[IR_MAX_RANK];
    int n = ints_in_or_attr(c, 1, "axes", axes, IR_MAX_RANK);
    if (n < 0 || R < 0) {
        arise(c, -1, IR_BATCH_UNKNOWN, "its axes are not constant");
        return;
    }
    int ins[IR_MAX_RANK] = {0};
    for (int k = 0; k < n; k++) {
        int r = norm_axis(axes[k], R);
        if (r >= 0) ins[r] = 1;
    }
    for (int b = 0, seen = 0; b < R; b++) {
        if (ins[b]) continue;
        if (seen++ == a) {
            all_out(c, b);
            return;
        }
    }
    arise(c, -1, IR_BATCH_UNKNOWN, "its axes do not fit its ranks");
}

static void rule_transpose(bctx *c) {
    int a = in_ax(c, 0), R = out_rank(c, 0);
    const ir_attr *p = ir_node_attr(c->n, "perm");
    if (R < 0 || (p && (p->type != IR_ATTR_INTS || p->n != R))) {
        arise(c, -1, IR_BATCH_UNKNOWN, "its perm does not fit its rank");
        return;
    }
    for (int b = 0; b < R; b++)
        if ((p ? norm_axis(p->ints[b], R) : R - 1 - b) == a) {
            all_out(c, b);
            return;
        }
    arise(c, -1, IR_BATCH_UNKNOWN, "its perm does not fit its rank");
}

static void rule_concat(bctx *c) {
    int R = out_rank(c, 0);
    int ax = IR_BATCH_NONE, from = -1;
    for (int i = 0; i < c->n->nin; i++)
        if (in_ax(c, i) >= 0 && !agree(c, &ax, &from, in_ax(c, i), i)) return;
    int cat = attr_axis(c, "axis", 0, R);
    if (ax == cat) {
        arise(c, -1, IR_BATCH_MIXED, "it concatenates along axis %d, which is the microbatch "
              "axis of its input %d '%s'", cat, from, in_name(c, from));
        return;
    }
    for (int i = 0; i < c->n->nin; i++)
        if (in_ax(c, i) < 0 && !uncut_ok(c, i, ax)) return;
    all_out(c, ax);
}

static void rule_split(bctx *c) {
    int a = in_ax(c, 0);
    if (!params_uncut(c, 1)) return;
    int ax = attr_axis(c, "axis", 0, in_val(c, 0)->rank);
    if (ax == a && c->n->nout > 1) {
        rule_along(c, ax, "splits");
        return;
    }
    all_out(c, a);
}

/* Slice(data, starts, ends, axes?, steps?): the microbatch axis may only be taken whole. */
static void rule_slice(bctx *c) {
    const ir_value *x = in_val(c, 0), *y = out_val(c, 0);
    int a = in_ax(c, 0);
    if (!params_uncut(c, 1)) return;
    int64_t st[IR_MAX_RANK], axes[IR_MAX_RANK], steps[IR_MAX_RANK];
    int ns = const_ints(c, 1, st, IR_MAX_RANK);
    int na = const_ints(c, 3, axes, IR_MAX_RANK);
    int np = const_ints(c, 4, steps, IR_MAX_RANK);
    if (ns < 0 || na == -1 || np == -1) {
        arise(c, -1, IR_BATCH_UNKNOWN, "its starts, axes or steps are not constant");
        return;
    }
    for (int k = 0; k < ns; k++) {
        int r = na >= 0 ? (k < na ? norm_axis(axes[k], x->rank) : -1) : k;
        if (r != a) continue;
        int64_t step = np >= 0 && k < np ? steps[k] : 1;
        if (step != 1 || !y || y->rank != x->rank || y->dims[a].v != x->dims[a].v) {
            arise(c, -1, IR_BATCH_MIXED, "it takes part of axis %d of '%s', which is the "
                  "microbatch axis", a, x->name);
            return;
        }
    }
    all_out(c, a);
}

/* Gather's constant indices (input 1) into a cut axis of extent s whose inner factor is
 * c->q: the axis j of the indices along which each index stays within its own sample (index
 * / q == the position along j, as in the flattened masks of batched models), or -1. Among
 * several (a microbatch of one sample) the outermost. */
static int sample_axis(bctx *c, int64_t s) {
    const ir_value *ix = in_val(c, 1);
    const ir_tensor *t = ix ? ix->data : NULL;
    int64_t q = c->q > 0 ? c->q : 1;
    if (!t || s <= 0 || s % q || t->rank != ix->rank || t->rank < 1) return -1;
    int64_t n = ir_tensor_numel(t), bm = s / q;
    if (n < 0 || (n > 0 && !t->data)) return -1;
    switch (t->dtype) {
    case IR_DT_INT32: case IR_DT_INT64: break;
    default: return -1;
    }
    for (int j = 0; j < t->rank; j++) {
        if (t->dims[j] != bm) continue;
        int64_t stride = 1;
        for (int k = j + 1; k < t->rank; k++) stride *= t->dims[k];
        int ok = 1;
        for (int64_t e = 0; e < n && ok; e++) {
            int64_t v = ir_tensor_get_i64(t, e);
            if (v < 0) v += s;
            ok = v >= 0 && v < s && v / q == (e / stride) % bm;
        }
        if (ok) return j;
    }
    return -1;
}

/* Gather(data, indices): out = data[:axis] + indices.shape + data[axis+1:]. */
static void rule_gather(bctx *c) {
    const ir_value *x = in_val(c, 0), *ix = in_val(c, 1);
    int a = in_ax(c, 0), ai = in_ax(c, 1);
    int ax = attr_axis(c, "axis", 0, x->rank);
    if (ax < 0 || ix->rank < 0) {
        arise(c, -1, IR_BATCH_UNKNOWN, "its axis or its indices' rank is not known");
        return;
    }
    if (a >= 0 && ai >= 0) {
        arise(c, -1, IR_BATCH_MIXED, "both its data '%s' and its indices '%s' are cut: it "
              "combines them across microbatches", x->name, ix->name);
        return;
    }
    if (a >= 0) {
        if (a == ax) {
            int j = sample_axis(c, x->dims[a].v);
            if (j >= 0) {
                c->q = 1;
                all_out(c, ax + j);
                return;
            }
            arise(c, -1, IR_BATCH_MIXED, "it picks fixed positions along axis %d of '%s', which "
                  "is the microbatch axis", a, x->name);
            return;
        }
        all_out(c, a < ax ? a : a - 1 + ix->rank);
        return;
    }
    all_out(c, ax + ai);
}

/* GatherElements(data, indices) -> indices' shape; ScatterElements(data, indices, updates)
 * -> data's shape. Along `axis` positions come from the indices; along every other axis all
 * operands are indexed alike, so the cut must be there, in each operand that is cut, and
 * the others must be the same along it. */
static void rule_elements(bctx *c) {
    int R = out_rank(c, 0);
    int ax = attr_axis(c, "axis", 0, R);
    int cut = IR_BATCH_NONE, from = -1;
    for (int i = 0; i < c->n->nin; i++)
        if (in_ax(c, i) >= 0 && !agree(c, &cut, &from, in_ax(c, i), i)) return;
    if (cut == ax) {
        if (c->n->op == IR_OP_GATHERELEMENTS && from == 1 && in_ax(c, 0) < 0) {
            all_out(c, cut); /* only the indices are cut, along the gathered axis */
            return;
        }
        arise(c, -1, IR_BATCH_MIXED, "its indices address axis %d, which is the microbatch axis",
              ax);
        return;
    }
    const ir_value *y = out_val(c, 0);
    for (int i = 0; i < c->n->nin; i++) {
        const ir_value *v = in_val(c, i);
        if (!v || in_ax(c, i) >= 0) continue;
        if (y && (v->rank != R || v->dims[cut].v != y->dims[cut].v)) {
            arise(c, -1, IR_BATCH_UNKNOWN, "its input %d '%s' is not cut and does not span the "
                  "microbatch axis %d", i, v->name, cut);
            return;
        }
        if (!uncut_ok(c, i, cut)) return;
    }
    all_out(c, cut);
}

/* GatherND(data, indices; batch_dims b): out = indices[:-1] + data[b+k:], k = the index
 * tuple's length. */
static void rule_gather_nd(bctx *c) {
    const ir_value *x = in_val(c, 0), *ix = in_val(c, 1);
    int a = in_ax(c, 0), ai = in_ax(c, 1);
    int bd = (int)ir_attr_int(c->n, "batch_dims", 0);
    if (ix->rank < 1 || x->rank < 0 || ix->dims[ix->rank - 1].v < 0) {
        arise(c, -1, IR_BATCH_UNKNOWN, "its index tuple length is not known");
        return;
    }
    int q = ix->rank, k = (int)ix->dims[q - 1].v;
    int ax = IR_BATCH_NONE, from = -1;
    if (a >= 0) {
        if (a >= bd && a < bd + k) {
            arise(c, -1, IR_BATCH_MIXED, "its indices address axis %d of '%s', which is the "
                  "microbatch axis", a, x->name);
            return;
        }
        agree(c, &ax, &from, a < bd ? a : q - 1 + a - bd - k, 0);
    }
    if (ai >= 0) {
        if (ai == q - 1) {
            arise(c, -1, IR_BATCH_MIXED, "its index tuples (the last axis of '%s') are cut",
                  ix->name);
            return;
        }
        if (!agree(c, &ax, &from, ai, 1)) return;
    }
    if (ax < bd) /* a shared batch dim: the one not cut must be the same along it */
        for (int i = 0; i < 2; i++)
            if (in_ax(c, i) < 0 && !uncut_ok(c, i, ax)) return;
    all_out(c, ax);
}

/* ScatterND(data, indices, updates): the indices address data's first k dims; updates are
 * indices[:-1] + data[k:]. Only a cut of data beyond k, with updates cut alike (or the same
 * for every microbatch) and the indices not cut, is proved. */
static void rule_scatter_nd(bctx *c) {
    const ir_value *x = in_val(c, 0), *ix = in_val(c, 1), *u = in_val(c, 2);
    int a = in_ax(c, 0);
    if (ix->rank < 1 || ix->dims[ix->rank - 1].v < 0 || x->rank < 0 || u->rank < 0) {
        arise(c, -1, IR_BATCH_UNKNOWN, "its index tuple length is not known");
        return;
    }
    int q = ix->rank, k = (int)ix->dims[q - 1].v;
    if (a >= 0 && a < k) {
        arise(c, -1, IR_BATCH_MIXED, "its indices address axis %d of '%s', which is the "
              "microbatch axis", a, x->name);
        return;
    }
    int ua = a >= 0 ? q - 1 + a - k : -1;
    if (a < 0 || in_ax(c, 1) >= 0 || (in_ax(c, 2) >= 0 && in_ax(c, 2) != ua)) {
        arise(c, -1, IR_BATCH_UNKNOWN, "no rule for this cut of its data, indices and updates");
        return;
    }
    if (in_ax(c, 2) < 0 && (u->dims[ua].v != x->dims[a].v || !uncut_ok(c, 2, ua))) {
        if (!c->done)
            arise(c, -1, IR_BATCH_UNKNOWN, "its updates '%s' are not cut and do not span the "
                  "microbatch axis", u->name);
        return;
    }
    all_out(c, a);
}

static void rule_expand(bctx *c) {
    const ir_value *x = in_val(c, 0), *y = out_val(c, 0);
    int a = in_ax(c, 0);
    if (!params_uncut(c, 1)) return;
    if (!y || y->rank < 0) {
        arise(c, -1, IR_BATCH_UNKNOWN, "its output rank is not known");
        return;
    }
    int b = a + y->rank - x->rank;
    if (x->dims[a].v != y->dims[b].v) {
        arise(c, -1, IR_BATCH_UNKNOWN, "it expands the microbatch axis %d of '%s' from %lld to "
              "%lld", a, x->name, (long long)x->dims[a].v, (long long)y->dims[b].v);
        return;
    }
    all_out(c, b);
}

static void rule_tile(bctx *c) {
    int a = in_ax(c, 0);
    if (!params_uncut(c, 1)) return;
    int64_t rep[IR_MAX_RANK];
    int n = const_ints(c, 1, rep, IR_MAX_RANK);
    if (n <= a) {
        arise(c, -1, IR_BATCH_UNKNOWN, "its repeats are not constant");
        return;
    }
    if (rep[a] != 1) {
        rule_along(c, a, "repeats");
        return;
    }
    all_out(c, a);
}

/* Pad(data, pads, constant_value?, axes?). */
static void rule_pad(bctx *c) {
    const ir_value *x = in_val(c, 0);
    int a = in_ax(c, 0);
    if (!params_uncut(c, 1)) return;
    int64_t pads[2 * IR_MAX_RANK], axes[IR_MAX_RANK];
    int np = const_ints(c, 1, pads, 2 * IR_MAX_RANK);
    int na = const_ints(c, 3, axes, IR_MAX_RANK);
    if (np < 0 || na == -1 || x->rank < 0) {
        arise(c, -1, IR_BATCH_UNKNOWN, "its pads or axes are not constant");
        return;
    }
    int n = np / 2;
    for (int k = 0; k < n; k++) {
        int r = na >= 0 ? (k < na ? norm_axis(axes[k], x->rank) : -1) : k;
        if (r == a && (pads[k] || pads[k + n])) {
            rule_along(c, a, "pads");
            return;
        }
    }
    all_out(c, a);
}

/* DepthToSpace, SpaceToDepth over [N, C, H, W]: rows and columns map to contiguous blocks;
 * channels only for DepthToSpace's CRD order (channel-major). */
static void rule_space(bctx *c) {
    int a = in_ax(c, 0), d2s = c->n->op == IR_OP_DEPTHTOSPACE;
    int crd = d2s && !strcmp(ir_attr_string(c->n, "mode", "DCR"), "CRD");
    int64_t bs = ir_attr_int(c->n, "blocksize", 1), f = a == 1 ? bs * bs : bs;
    if (a == 1 && !crd) {
        rule_along(c, 1, "moves blocks of channels");
        return;
    }
    /* an index along the axis becomes f of them (or f become one) */
    if (a > 0 && f > 0) c->q = d2s && a > 1 ? c->q * f : c->q % f == 0 ? c->q / f : 1;
    all_out(c, a);
}

/* Ops that work on the last two axes as a matrix (Trilu, Det). */
static void rule_matrix(bctx *c) {
    int a = in_ax(c, 0), r = in_val(c, 0)->rank;
    if (!params_uncut(c, 1)) return;
    if (r < 2 || a >= r - 2) {
        arise(c, -1, IR_BATCH_MIXED, "it works on the last two axes of '%s' as a matrix, and "
              "axis %d is the microbatch axis", in_name(c, 0), a);
        return;
    }
    all_out(c, a); /* Det: [*, M, M] -> [*] keeps the leading axes too */
}

static void rule_onehot(bctx *c) {
    int a = in_ax(c, 0), R = out_rank(c, 0);
    if (!params_uncut(c, 1)) return;
    int ax = attr_axis(c, "axis", -1, R);
    if (ax < 0) {
        arise(c, -1, IR_BATCH_UNKNOWN, "its axis is out of range");
        return;
    }
    all_out(c, a < ax ? a : a + 1);
}

static void rule_resize(bctx *c) {
    const ir_value *x = in_val(c, 0), *y = out_val(c, 0);
    int a = in_ax(c, 0);
    if (!params_uncut(c, 1)) return;
    if (!y || y->rank != x->rank || y->dims[a].v != x->dims[a].v ||
        !strcmp(ir_attr_string(c->n, "coordinate_transformation_mode", ""), "tf_crop_and_resize")) {
        rule_along(c, a, "resizes");
        return;
    }
    all_out(c, a);
}

/* NegativeLogLikelihoodLoss(input [N,C,d...], target [N,d...], weight?) -> loss and
 * SoftmaxCrossEntropyLoss(scores, labels, weights?) -> loss, log_prob? ([N,C,d...]); the loss
 * is [N,d...] with reduction "none", else a scalar over everything. */
static void rule_loss(bctx *c) {
    int a = in_ax(c, 0), t = in_ax(c, 1);
    if (!params_uncut(c, 2)) return;
    if (a == 1) {
        rule_along(c, 1, "normalizes over the classes");
        return;
    }
    int ax = IR_BATCH_NONE, from = -1; /* the loss's axis */
    if (a >= 0) agree(c, &ax, &from, a == 0 ? 0 : a - 1, 0);
    if (t >= 0 && !agree(c, &ax, &from, t, 1)) return;
    int sa = ax == 0 ? 0 : ax + 1; /* the same axis in the scores' layout */
    if (a < 0 && !uncut_ok(c, 0, sa)) return;
    if (t < 0 && !uncut_ok(c, 1, ax)) return;
    const char *red = ir_attr_string(c->n, "reduction", "mean");
    if (strcmp(red, "none"))
        arise(c, 0, IR_BATCH_MIXED, "its reduction '%s' runs over the microbatch axis", red);
    else
        set_out(c, 0, ax, -1);
    set_out(c, 1, sa, -1);
    c->done = 1;
}

static void rule_reverse_sequence(bctx *c) {
    int r = in_val(c, 0)->rank;
    int bax = attr_axis(c, "batch_axis", 1, r), tax = attr_axis(c, "time_axis", 0, r);
    int a = in_ax(c, 0), l = in_ax(c, 1);
    if (a >= 0 && a == tax) {
        rule_along(c, tax, "reverses");
        return;
    }
    int ax = IR_BATCH_NONE, from = -1;
    if (a >= 0) agree(c, &ax, &from, a, 0);
    if (l >= 0 && !agree(c, &ax, &from, bax, 1)) return;
    if (ax == bax && (a < 0 ? !uncut_ok(c, 0, bax) : l < 0 ? !uncut_ok(c, 1, 0) : 0)) return;
    all_out(c, ax);
}

/* QuantizeLinear / DequantizeLinear(x, scale, zero_point?): per tensor (scalar scale), per
 * axis (1-D along attr axis) or blocked (scale of x's rank). */
static void rule_quant(bctx *c) {
    const ir_value *x = in_val(c, 0);
    int a = in_ax(c, 0);
    if (a < 0) {
        arise(c, -1, IR_BATCH_UNKNOWN, "its scale or zero point is cut");
        return;
    }
    int qa = attr_axis(c, "axis", 1, x->rank);
    int ax = a, from = 0;
    for (int i = 1; i < 3; i++) {
        const ir_value *s = in_val(c, i);
        if (!s || s->rank <= 0) continue;
        int sa = s->rank == 1 ? (qa == a ? 0 : -1) : s->rank == x->rank ? a : -1;
        if (in_ax(c, i) >= 0) {
            if (in_ax(c, i) != sa) {
                arise(c, -1, IR_BATCH_UNKNOWN, "its input %d '%s' is cut along another axis", i,
                      s->name);
                return;
            }
            if (!agree(c, &ax, &from, a, i)) return;
        } else if (sa >= 0 && !uncut_ok(c, i, sa)) {
            return;
        }
    }
    all_out(c, ax);
}

/* ---- Einsum ---- */

/* Labels per operand (letters by their code, ellipsis dims as 256 + k aligned from the
 * right) and of the output. 0, or -1 when the equation cannot be read. */
static int einsum_parse(const char *eq, int nin, const int *rank, int lab[][IR_MAX_RANK],
                        int *olab, int *orank) {
    char buf[512];
    int n = 0;
    for (const char *p = eq; *p && n < (int)sizeof buf - 1; p++)
        if (*p != ' ') buf[n++] = *p;
    buf[n] = 0;
    char *arrow = strstr(buf, "->");
    if (arrow) *arrow = 0;
    int nell[64], maxe = 0, cnt[256] = {0};
    char *term = buf;
    for (int i = 0; i < nin; i++) {
        if (!term || i >= 64) return -1;
        char *comma = strchr(term, ',');
        if (comma) *comma = 0;
        int nl = 0, ell = -1;
        for (char *p = term; *p; p++) {
            if (!strncmp(p, "...", 3)) {
                if (ell >= 0) return -1;
                ell = nl;
                p += 2;
            } else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
                nl++;
            } else {
                return -1;
            }
        }
        int e = rank[i] - nl;
        if (rank[i] < 0 || e < 0 || (ell < 0 && e) || rank[i] > IR_MAX_RANK) return -1;
        nell[i] = ell >= 0 ? e : 0;
        if (nell[i] > maxe) maxe = nell[i];
        int k = 0;
        for (char *p = term; *p; p++) {
            if (!strncmp(p, "...", 3)) {
                for (int j = 0; j < e; j++) lab[i][k++] = -1 - j; /* fixed below */
                p += 2;
            } else {
                lab[i][k++] = (unsigned char)*p;
                cnt[(unsigned char)*p]++;
            }
        }
        term = comma ? comma + 1 : NULL;
    }
    if (term) return -1;
    for (int i = 0; i < nin; i++)
        for (int k = 0; k < rank[i]; k++)
            if (lab[i][k] < 0) lab[i][k] = 256 + (maxe - nell[i]) + (-1 - lab[i][k]);
    int R = 0;
    if (arrow) {
        for (char *p = arrow + 2; *p; p++) {
            if (R >= IR_MAX_RANK) return -1;
            if (!strncmp(p, "...", 3)) {
                for (int j = 0; j < maxe && R < IR_MAX_RANK; j++) olab[R++] = 256 + j;
                p += 2;
            } else {
                olab[R++] = (unsigned char)*p;
            }
        }
    } else {
        for (int j = 0; j < maxe && R < IR_MAX_RANK; j++) olab[R++] = 256 + j;
        for (int ch = 0; ch < 256; ch++)
            if (cnt[ch] == 1 && R < IR_MAX_RANK) olab[R++] = ch;
    }
    *orank = R;
    return 0;
}

static void rule_einsum(bctx *c) {
    int nin = c->n->nin, rank[64], lab[64][IR_MAX_RANK], olab[IR_MAX_RANK], R;
    if (nin > 64) nin = 64;
    for (int i = 0; i < nin; i++) rank[i] = in_val(c, i) ? in_val(c, i)->rank : -1;
    if (einsum_parse(ir_attr_string(c->n, "equation", ""), nin, rank, lab, olab, &R)) {
        arise(c, -1, IR_BATCH_UNKNOWN, "its equation could not be followed");
        return;
    }
    int ax = IR_BATCH_NONE, from = -1, L = -1;
    for (int i = 0; i < nin; i++) {
        int a = in_ax(c, i);
        if (a < 0) continue;
        int l = lab[i][a], o = -1, rep = 0;
        for (int k = 0; k < rank[i]; k++) rep += lab[i][k] == l;
        for (int k = 0; k < R; k++)
            if (olab[k] == l) o = k;
        if (rep > 1 || o < 0) {
            arise(c, -1, IR_BATCH_MIXED, "it %s the microbatch axis %d of its input %d '%s'",
                  rep > 1 ? "takes a diagonal over" : "sums over", a, i, in_name(c, i));
            return;
        }
        if (!agree(c, &ax, &from, o, i)) return;
        L = l;
    }
    for (int i = 0; i < nin && ax >= 0; i++) {
        if (in_ax(c, i) >= 0) continue;
        for (int k = 0; k < rank[i]; k++)
            if (lab[i][k] == L && !uncut_ok(c, i, k)) return;
    }
    all_out(c, ax);
}

/* ---- the walk ---- */

static void node_rule(bctx *c) {
    const ir_node *n = c->n;
    const ir_value *x = in_val(c, 0);
    int r = x ? x->rank : -1;
    switch (n->op) {
    /* elementwise over input 0 */
    case IR_OP_ABS: case IR_OP_NEG: case IR_OP_EXP: case IR_OP_LOG: case IR_OP_SQRT:
    case IR_OP_RECIPROCAL: case IR_OP_FLOOR: case IR_OP_CEIL: case IR_OP_ROUND: case IR_OP_SIGN:
    case IR_OP_RELU: case IR_OP_LEAKYRELU: case IR_OP_ELU: case IR_OP_SELU: case IR_OP_CELU:
    case IR_OP_THRESHOLDEDRELU: case IR_OP_SIGMOID: case IR_OP_HARDSIGMOID:
    case IR_OP_HARDSWISH: case IR_OP_SOFTPLUS: case IR_OP_SOFTSIGN: case IR_OP_MISH:
    case IR_OP_GELU: case IR_OP_TANH: case IR_OP_ERF: case IR_OP_SIN: case IR_OP_COS:
    case IR_OP_TAN: case IR_OP_ASIN: case IR_OP_ACOS: case IR_OP_ATAN: case IR_OP_SINH:
    case IR_OP_COSH: case IR_OP_ASINH: case IR_OP_ACOSH: case IR_OP_ATANH: case IR_OP_NOT:
    case IR_OP_BITWISENOT: case IR_OP_ISNAN: case IR_OP_ISINF: case IR_OP_IDENTITY:
    case IR_OP_CAST: case IR_OP_CASTLIKE: case IR_OP_SHRINK:
        rule_unary(c);
        return;
    case IR_OP_DROPOUT: /* inference: the identity; ratio and training_mode are scalars */
        if (params_uncut(c, 1)) rule_unary(c);
        return;
    case IR_OP_CLIP: /* min and max are scalars: broadcast */
    case IR_OP_ADD: case IR_OP_SUB: case IR_OP_MUL: case IR_OP_DIV: case IR_OP_POW:
    case IR_OP_MOD: case IR_OP_PRELU: case IR_OP_MAX: case IR_OP_MIN: case IR_OP_SUM:
    case IR_OP_MEAN: case IR_OP_EQUAL: case IR_OP_LESS: case IR_OP_LESSOREQUAL:
    case IR_OP_GREATER: case IR_OP_GREATEROREQUAL: case IR_OP_AND: case IR_OP_OR: case IR_OP_XOR:
    case IR_OP_BITWISEAND: case IR_OP_BITWISEOR: case IR_OP_BITWISEXOR: case IR_OP_BITSHIFT:
    case IR_OP_WHERE:
        rule_broadcast(c, n->nin);
        return;
    case IR_OP_MATMUL:
        rule_matmul(c);
        return;
    case IR_OP_GEMM:
        rule_gemm(c);
        return;
    case IR_OP_EINSUM:
        rule_einsum(c);
        return;
    case IR_OP_CONV: case IR_OP_CONVTRANSPOSE:
        rule_window(c, 0);
        return;
    case IR_OP_MAXPOOL: case IR_OP_AVERAGEPOOL:
        rule_window(c, 1);
        if (n->op == IR_OP_MAXPOOL && in_ax(c, 0) >= 0 && n->nout > 1 && n->out[1] >= 0 &&
            c->b->axis[n->out[1]] >= 0)
            arise(c, 1, IR_BATCH_MIXED, "its indices count from the start of the whole tensor, "
                  "so they depend on where a microbatch sits in the batch");
        return;
    case IR_OP_GLOBALAVERAGEPOOL: case IR_OP_GLOBALMAXPOOL:
        if (in_ax(c, 0) >= 2) rule_along(c, in_ax(c, 0), "pools");
        else rule_unary(c);
        return;
    case IR_OP_BATCHNORMALIZATION:
        rule_norm_nc(c, ir_attr_int(n, "training_mode", 0) != 0 && in_ax(c, 0) != 1);
        return;
    case IR_OP_INSTANCENORMALIZATION:
        rule_norm_nc(c, in_ax(c, 0) >= 2);
        return;
    case IR_OP_LAYERNORMALIZATION: {
        int na = attr_axis(c, "axis", -1, r);
        if (!params_uncut(c, 1)) return;
        if (na >= 0 && in_ax(c, 0) >= na) rule_along(c, in_ax(c, 0), "normalizes");
        else if (na < 0) rule_along(c, -1, "normalizes");
        else rule_unary(c); /* Mean and InvStdDev keep the rank */
        return;
    }
    case IR_OP_GROUPNORMALIZATION:
        if (!params_uncut(c, 1)) return;
        if (in_ax(c, 0) != 0) rule_along(c, in_ax(c, 0), "normalizes groups of channels");
        else rule_unary(c);
        return;
    case IR_OP_LPNORMALIZATION: case IR_OP_SOFTMAX: case IR_OP_LOGSOFTMAX: case IR_OP_HARDMAX:
        rule_along(c, attr_axis(c, "axis", -1, r), "normalizes");
        return;
    case IR_OP_MEANVARIANCENORMALIZATION: {
        int64_t dflt[3] = {0, 2, 3}, *axes = dflt;
        int na = 3;
        const ir_attr *at = ir_node_attr(n, "axes");
        if (at && at->type == IR_ATTR_INTS) axes = at->ints, na = at->n;
        for (int k = 0; k < na; k++)
            if (norm_axis(axes[k], r) == in_ax(c, 0)) {
                rule_along(c, in_ax(c, 0), "normalizes");
                return;
            }
        rule_unary(c);
        return;
    }
    case IR_OP_LRN:
        rule_along(c, 1, "normalizes across channels");
        return;
    case IR_OP_CUMSUM: {
        int64_t a;
        if (!params_uncut(c, 1)) return;
        if (const_ints(c, 1, &a, 1) != 1) {
            arise(c, -1, IR_BATCH_UNKNOWN, "its axis is not constant");
            return;
        }
        rule_along(c, norm_axis(a, r), "accumulates");
        return;
    }
    case IR_OP_REDUCESUM: case IR_OP_REDUCEMEAN: case IR_OP_REDUCEMAX: case IR_OP_REDUCEMIN:
    case IR_OP_REDUCEPROD: case IR_OP_REDUCEL1: case IR_OP_REDUCEL2: case IR_OP_REDUCELOGSUM:
    case IR_OP_REDUCELOGSUMEXP: case IR_OP_REDUCESUMSQUARE:
        rule_reduce(c);
        return;
    case IR_OP_ARGMAX: case IR_OP_ARGMIN:
        rule_arg(c);
        return;
    case IR_OP_TOPK:
        if (params_uncut(c, 1)) rule_along(c, attr_axis(c, "axis", -1, r), "selects the top K");
        return;
    case IR_OP_RESHAPE: case IR_OP_FLATTEN:
        rule_reshape(c);
        return;
    case IR_OP_SQUEEZE:
        rule_squeeze(c);
        return;
    case IR_OP_UNSQUEEZE:
        rule_unsqueeze(c);
        return;
    case IR_OP_TRANSPOSE:
        rule_transpose(c);
        return;
    case IR_OP_CONCAT:
        rule_concat(c);
        return;
    case IR_OP_SPLIT:
        rule_split(c);
        return;
    case IR_OP_SLICE:
        rule_slice(c);
        return;
    case IR_OP_GATHER:
        rule_gather(c);
        return;
    case IR_OP_GATHERELEMENTS: case IR_OP_SCATTERELEMENTS:
        rule_elements(c);
        return;
    case IR_OP_GATHERND:
        rule_gather_nd(c);
        return;
    case IR_OP_SCATTERND:
        rule_scatter_nd(c);
        return;
    case IR_OP_EXPAND:
        rule_expand(c);
        return;
    case IR_OP_TILE:
        rule_tile(c);
        return;
    case IR_OP_PAD:
        rule_pad(c);
        return;
    case IR_OP_DEPTHTOSPACE: case IR_OP_SPACETODEPTH:
        rule_space(c);
        return;
    case IR_OP_TRILU: case IR_OP_DET:
        rule_matrix(c);
        return;
    case IR_OP_ONEHOT:
        rule_onehot(c);
        return;
    case IR_OP_RESIZE:
        rule_resize(c);
        return;
    case IR_OP_NEGATIVELOGLIKELIHOODLOSS: case IR_OP_SOFTMAXCROSSENTROPYLOSS:
        rule_loss(c);
        return;
    case IR_OP_REVERSESEQUENCE:
        rule_reverse_sequence(c);
        return;
    case IR_OP_QUANTIZELINEAR: case IR_OP_DEQUANTIZELINEAR:
        rule_quant(c);
        return;
    case IR_OP_DYNAMICQUANTIZELINEAR:
        arise(c, -1, IR_BATCH_MIXED, "its scale and zero point come from the minimum and "
              "maximum of the whole tensor '%s'", in_name(c, 0));
        return;
    case IR_OP_NONZERO:
        arise(c, -1, IR_BATCH_UNKNOWN, "the size of its output depends on the values of '%s'",
              in_name(c, 0));
        return;
    case IR_OP_CONSTANTOFSHAPE: case IR_OP_RANGE:
        arise(c, -1, IR_BATCH_UNKNOWN, "its shape or bounds are computed from cut data");
        return;
    case IR_OP_IF:
        arise(c, -1, IR_BATCH_UNKNOWN, "no rule follows a cut into an If");
        return;
    /* reading only the shape: handled before the rules */
    case IR_OP_SHAPE: case IR_OP_SIZE: case IR_OP_EYELIKE: case IR_OP_CONSTANT:
        all_out(c, IR_BATCH_NONE);
        return;
    case IR_OP_COUNT:
        break;
    }
    arise(c, -1, IR_BATCH_UNKNOWN, "no rule for this op");
}

static int64_t gcd(int64_t a, int64_t b) {
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static void node_walk(bctx *c) {
    const ir_node *n = c->n;
    c->done = 0;
    /* A value read only for its shape is not cut data. */
    if (n->op == IR_OP_SHAPE || n->op == IR_OP_SIZE || n->op == IR_OP_EYELIKE ||
        n->op == IR_OP_CONSTANT) {
        all_out(c, IR_BATCH_NONE);
        return;
    }
    /* UNKNOWN and MIXED flow on (MIXED first); nothing cut: NONE. */
    int worst = IR_BATCH_NONE, origin = -1, any = 0;
    c->q = 0;
    for (int i = 0; i < n->nin; i++) {
        if (n->in[i] < 0 || (n->op == IR_OP_CASTLIKE && i == 1)) continue; /* only its dtype */
        int a = c->b->axis[n->in[i]];
        if (a >= 0) {
            any = 1;
            c->q = gcd(c->q, c->b->inner[n->in[i]] > 0 ? c->b->inner[n->in[i]] : 1);
        }
        if (a < IR_BATCH_NONE && (worst == IR_BATCH_NONE || a < worst)) {
            worst = a;
            origin = c->b->origin[n->in[i]];
        }
    }
    if (worst < IR_BATCH_NONE) {
        for (int j = 0; j < n->nout; j++) set_out(c, j, worst, origin);
        return;
    }
    if (!any) {
        all_out(c, IR_BATCH_NONE);
        return;
    }
    for (int i = 0; i < n->nin; i++)
        if (in_ax(c, i) >= 0 && in_val(c, i)->rank < 0) {
            arise(c, -1, IR_BATCH_UNKNOWN, "the rank of its input %d '%s' is not known", i,
                  in_name(c, i));
            return;
        }
    node_rule(c);
    /* A rule that set an axis past its output's rank has a bug, not the user's model. */
    for (int j = 0; j < n->nout; j++) {
        const ir_value *y = out_val(c, j);
        if (y && c->b->axis[n->out[j]] >= 0 && y->rank >= 0 && c->b->axis[n->out[j]] >= y->rank)
            arise(c, j, IR_BATCH_UNKNOWN, "internal: axis %d is past the rank of output %d",
                  c->b->axis[n->out[j]], j);
    }
}

void ir_batch_free(ir_batch *b) {
    if (!b) return;
    if (b->why)
        for (int i = 0; i < b->nnodes; i++) free(b->why[i]);
    free(b->why);
    free(b->axis);
    free(b->inner);
    free(b->origin);
    memset(b, 0, sizeof *b);
}

int ir_batch_analyze(const ir_graph *g, const int *in_axis, ir_batch *b) {
    memset(b, 0, sizeof *b);
    b->nvals = g->nvals;
    b->nnodes = g->nnodes;
    b->axis = ir_xmalloc(((size_t)g->nvals + 1) * sizeof *b->axis);
    b->inner = ir_xmalloc(((size_t)g->nvals + 1) * sizeof *b->inner);
    b->origin = ir_xmalloc(((size_t)g->nvals + 1) * sizeof *b->origin);
    b->why = calloc((size_t)g->nnodes + 1, sizeof *b->why);
    if (!b->axis || !b->inner || !b->origin || !b->why) {
        ir_batch_free(b);
        return -1;
    }
    for (int v = 0; v < g->nvals; v++) {
        b->axis[v] = IR_BATCH_NONE;
        b->inner[v] = 0;
        b->origin[v] = -1;
    }
    for (int i = 0; i < g->ninputs; i++) {
        int v = g->inputs[i], a = in_axis ? in_axis[i] : (g->vals[v].rank >= 1 ? 0 : -1);
        b->axis[v] = a >= 0 && a < g->vals[v].rank ? a : IR_BATCH_NONE;
        b->inner[v] = b->axis[v] >= 0;
    }
    bctx c = {.g = g, .b = b};
    for (int i = 0; i < g->nnodes; i++) {
        if (g->nodes[i].dead) continue;
        c.n = &g->nodes[i];
        c.ni = i;
        node_walk(&c);
    }
    if (c.oom) {
        ir_batch_free(b);
        return -1;
    }
    return 0;
}

int ir_batch_output_axes(const ir_graph *g, const ir_batch *b, const int *override, int chunks,
                         int *out_axis, ir_diag *d) {
    int nerr = 0;
    for (int i = 0; i < g->noutputs; i++) {
        int v = g->outputs[i], a = b->axis[v], o = b->origin[v];
        const char *nm = g->vals[v].name;
        if (override && override[i] >= IR_BATCH_NONE && a != IR_BATCH_MIXED) {
            out_axis[i] = override[i];
            continue;
        }
        out_axis[i] = a >= 0 ? a : IR_BATCH_NONE;
        if (a >= IR_BATCH_NONE || chunks <= 1) continue;
        const ir_node *n = o >= 0 ? &g->nodes[o] : NULL;
        const char *why = o >= 0 && b->why[o] ? b->why[o] : "";
        if (a == IR_BATCH_MIXED) {
            int seen = 0; /* one line per culprit */
            for (int k = 0; k < i; k++)
                seen |= b->axis[g->outputs[k]] == IR_BATCH_MIXED && b->origin[g->outputs[k]] == o;
            if (seen) continue;
            ir_diag_error(d, "node '%s' (%s): %s; cutting the batch into %d microbatches would "
                          "change output '%s' (cut another dim with --split-spec, replicate the "
                          "input with --split-spec NAME=-1, or compile with --chunks 1)",
                          n ? n->name : "?", n ? ir_op_table[n->op].name : "?", why, chunks, nm);
        } else {
            ir_diag_error(d, "output '%s': cannot tell along which axis to join its %d "
                          "microbatches: node '%s' (%s): %s; give it with --output-split-spec "
                          "%s=DIM (-1: the same for every microbatch)", nm, chunks,
                          n ? n->name : "?", n ? ir_op_table[n->op].name : "?", why, nm);
        }
        nerr++;
    }
    return nerr;
}
