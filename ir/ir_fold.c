/* ir_fold.c - the folders: If nodes with a constant condition are replaced by their taken
 * branch, and nodes whose inputs are all constant are evaluated at compile time.
 *
 * Constant folding evaluates nodes with the runtime's CPU kernels (runtime/cpu/rt_cpu.h),
 * the very code stage programs run, so a folded value can never disagree with a computed one.
 * There is no second implementation of any op here: this file only converts IR tensors and
 * attributes to the kernel API's plain structs and back.
 */
#include <stdlib.h>
#include <string.h>
#include "ir.h"
#include "ir_pass_impl.h"
#include "ir_rt.h"

/* ======================================================================================
 * Fold If: inline the taken branch.
 * ==================================================================================== */

#define FOLD_MAX_NEST 64

typedef struct inline_ctx {
    ir_graph *g;             /* receives the branch */
    const ir_graph *branch;  /* the taken branch */
    int *map;                /* branch value -> g value (-1: none) */
    int err;
} inline_ctx;

/* A value named `name` in g's enclosing graphs (not g), captured into g as IR_VAL_OUTER so g
 * can read it. -1 if no enclosing graph defines it. */
static int capture_outer(ir_graph *g, const char *name) {
    for (ir_graph *p = g->parent; p; p = p->parent) {
        int pv = ir_value_find(p, name);
        if (pv < 0) continue;
        const ir_value *src = &p->vals[pv];
        int v = ir_value_add(g, name, src->dtype, src->rank, NULL);
        if (v < 0) return -1;
        ir_value *x = &g->vals[v];
        for (int i = 0; i < src->rank; i++) x->dims[i] = src->dims[i];
        x->kind = IR_VAL_OUTER;
        return v;
    }
    return -1;
}

/* The name an OUTER value of a nested graph should read once the branch is inlined: values
 * the branch defined were renamed; anything defined by an intermediate nested graph (scope)
 * or above the branch keeps its name. */
static const char *nested_outer_name(const inline_ctx *cx, const char *name,
                                     const ir_graph *const *scope, int depth) {
    for (int k = depth - 1; k >= 0; k--) {
        int v = ir_value_find(scope[k], name);
        if (v >= 0 && scope[k]->vals[v].kind != IR_VAL_OUTER) return name;
    }
    int b = ir_value_find(cx->branch, name);
    if (b >= 0 && cx->branch->vals[b].kind != IR_VAL_OUTER && cx->map[b] >= 0)
        return cx->g->vals[cx->map[b]].name;
    return name;
}

static ir_graph *copy_graph(inline_ctx *cx, ir_graph *parent, const ir_graph *src,
                            const ir_graph **scope, int depth);

/* Give dst->nodes[ni] a copy of src's attributes; subgraphs are deep-copied under dst so
 * that their captures follow the renaming. scope/depth: the nested graphs around src. */
static int copy_attrs(inline_ctx *cx, ir_graph *dst, int ni, const ir_node *src,
                      const ir_graph **scope, int depth) {
    if (src->nattr == 0) return 0;
    ir_attr *a = ir_arena_alloc(dst->arena, (size_t)src->nattr * sizeof *a);
    if (!a) { ir_graph_diag(dst)->oom = 1; return -1; }
    memcpy(a, src->attrs, (size_t)src->nattr * sizeof *a);
    for (int k = 0; k < src->nattr; k++) {
        if (a[k].type != IR_ATTR_GRAPH || !a[k].g) continue;
        a[k].g = copy_graph(cx, dst, src->attrs[k].g, scope, depth);
        if (!a[k].g) return -1;
    }
    dst->nodes[ni].attrs = a;
    dst->nodes[ni].nattr = src->nattr;
    return 0;
}

/* Deep copy of a subgraph nested inside the branch (values keep their indices). */
static ir_graph *copy_graph(inline_ctx *cx, ir_graph *parent, const ir_graph *src,
                            const ir_graph **scope, int depth) {
    ir_diag *d = ir_graph_diag(cx->g);
    if (depth >= FOLD_MAX_NEST) {
        ir_diag_error(d, "subgraph '%s': more than %d nested subgraphs",
                      src->name ? src->name : "", FOLD_MAX_NEST);
        return NULL;
    }
    ir_graph *ng = ir_subgraph_new(parent);
    if (!ng) { d->oom = 1; return NULL; }
    ng->name = src->name;
    ng->opset = src->opset;
    for (int v = 0; v < src->nvals; v++) {
        const ir_value *x = &src->vals[v];
        const char *nm = x->kind == IR_VAL_OUTER ? nested_outer_name(cx, x->name, scope, depth)
                                                 : x->name;
        int nv = ir_value_add(ng, nm, x->dtype, x->rank, NULL);
        if (nv != v) { d->oom = 1; return NULL; }
        ir_value *y = &ng->vals[nv];
        for (int i = 0; i < x->rank; i++) y->dims[i] = x->dims[i];
        y->kind = x->kind;
        y->data = x->data; /* tensors are arena-owned and immutable: share */
    }
    for (int i = 0; i < src->ninputs; i++)
        if (ir_graph_add_input(ng, src->inputs[i])) return NULL;
    for (int i = 0; i < src->noutputs; i++)
        if (ir_graph_add_output(ng, src->outputs[i])) return NULL;
    scope[depth] = src;
    for (int i = 0; i < src->nnodes; i++) {
        const ir_node *n = &src->nodes[i];
        if (n->dead) continue;
        int ni = ir_node_add(ng, n->op, n->name, n->nin, n->in, n->nout, n->out);
        if (ni < 0) return NULL;
        if (copy_attrs(cx, ng, ni, n, scope, depth + 1)) return NULL;
    }
    return ng;
}

/* Inline the taken branch of If node ni whose condition is constant. 1 if inlined. */
static int fold_one_if(ir_graph *g, int ni) {
    ir_diag *d = ir_graph_diag(g);
    const ir_node *n = &g->nodes[ni];
    const ir_value *c = ir_node_input(g, n, 0);
    if (!c || !c->data) return 0;
    if (c->dtype != IR_DT_BOOL) {
        ir_diag_error(d, "node '%s' (If) input 0: condition '%s' is a constant %s, not bool",
                      n->name, c->name, ir_dtype_name(c->dtype));
        return 0;
    }
    int64_t numel = ir_tensor_numel(c->data);
    if (numel != 1 || !c->data->data) {
        ir_diag_error(d, "node '%s' (If) input 0: condition '%s' has %lld elements, not 1",
                      n->name, c->name, (long long)numel);
        return 0;
    }
    int take = ((const uint8_t *)c->data->data)[0] != 0;
    const char *which = take ? "then_branch" : "else_branch";
    const ir_attr *at = ir_node_attr(n, which);
    if (!at || at->type != IR_ATTR_GRAPH || !at->g) {
        ir_diag_error(d, "node '%s' (If): no %s subgraph", n->name, which);
        return 0;
    }
    const ir_graph *br = at->g;
    if (br->noutputs != n->nout) {
        ir_diag_error(d, "node '%s' (If): %s has %d outputs, the node %d", n->name, which,
                      br->noutputs, n->nout);
        return 0;
    }
    /* Names are built from the If's name; copy it, since adding nodes moves g->nodes. */
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s/%s", n->name, take ? "then" : "else");
    char ifname[256];
    snprintf(ifname, sizeof ifname, "%s", n->name);

    inline_ctx cx = {g, br, NULL, 0};
    cx.map = ir_xmalloc(((size_t)br->nvals + 1) * sizeof *cx.map);
    if (!cx.map) { d->oom = 1; return 0; }
    for (int v = 0; v < br->nvals; v++) cx.map[v] = -1;

    /* Branch outputs produced inside the branch, each feeding one If output, write that
     * output directly (its name is kept and no Identity is needed). */
    for (int k = 0; k < br->noutputs; k++) {
        int bv = br->outputs[k], iv = g->nodes[ni].out[k];
        const ir_value *x = &br->vals[bv];
        if (iv < 0 || x->kind != IR_VAL_ACT || x->producer < 0 || cx.map[bv] >= 0) continue;
        int twice = 0;
        for (int j = 0; j < br->noutputs; j++)
            if (j != k && br->outputs[j] == bv) twice = 1;
        if (!twice) cx.map[bv] = iv;
    }
    char name[512];
    int bad = 0;
    for (int v = 0; v < br->nvals && !bad; v++) {
        const ir_value *x = &br->vals[v];
        if (cx.map[v] >= 0) continue;
        switch (x->kind) {
        case IR_VAL_OUTER: {
            int pv = ir_value_find(g, x->name);
            if (pv < 0) pv = capture_outer(g, x->name);
            if (pv < 0) {
                if (!d->oom)
                    ir_diag_error(d, "node '%s' (If): %s reads '%s', which no enclosing graph "
                                  "defines", ifname, which, x->name);
                bad = 1;
            }
            cx.map[v] = pv;
            break;
        }
        case IR_VAL_INPUT:
            ir_diag_error(d, "node '%s' (If): %s has an input '%s' (If branches take none)",
                          ifname, which, x->name);
            bad = 1;
            break;
        case IR_VAL_WEIGHT:
        case IR_VAL_CONST:
        case IR_VAL_ACT: {
            snprintf(name, sizeof name, "%s%s%s", prefix, x->name[0] == '/' ? "" : "/",
                     x->name);
            const char *nm = ir_unique_name(g, name);
            int nv = nm ? ir_value_add(g, nm, x->dtype, x->rank, NULL) : -1;
            if (nv < 0) { bad = 1; break; }
            ir_value *y = &g->vals[nv];
            for (int i = 0; i < x->rank; i++) y->dims[i] = x->dims[i];
            if (x->data && ir_value_set_const(g, nv, x->data, 0)) { bad = 1; break; }
            /* An initializer of the branch is still a parameter of the model. */
            if (x->data && x->kind == IR_VAL_WEIGHT) g->vals[nv].kind = IR_VAL_WEIGHT;
            cx.map[v] = nv;
            break;
        }
        }
    }
    if (bad) { free(cx.map); return 0; }

    /* The If's outputs are about to get new producers. */
    int nout = g->nodes[ni].nout;
    for (int k = 0; k < nout; k++) {
        int iv = g->nodes[ni].out[k];
        if (iv >= 0) g->vals[iv].producer = -1;
    }
    g->nodes[ni].dead = 1;

    const ir_graph *scope[FOLD_MAX_NEST];
    int nbuf = 0;
    int *buf = NULL;
    for (int i = 0; i < br->nnodes && !bad; i++) {
        const ir_node *bn = &br->nodes[i];
        if (bn->dead) continue;
        int need = bn->nin + bn->nout;
        if (need > nbuf) {
            free(buf);
            nbuf = need;
            buf = ir_xmalloc((size_t)nbuf * sizeof *buf);
            if (!buf) { d->oom = 1; bad = 1; break; }
        }
        for (int j = 0; j < bn->nin; j++) buf[j] = bn->in[j] >= 0 ? cx.map[bn->in[j]] : -1;
        for (int j = 0; j < bn->nout; j++)
            buf[bn->nin + j] = bn->out[j] >= 0 ? cx.map[bn->out[j]] : -1;
        snprintf(name, sizeof name, "%s%s%s", prefix, bn->name[0] == '/' ? "" : "/",
                 bn->name);
        int nn = ir_node_add(g, bn->op, name, bn->nin, buf, bn->nout, buf + bn->nin);
        if (nn < 0 || copy_attrs(&cx, g, nn, bn, scope, 0)) bad = 1;
    }
    free(buf);
    /* Remaining If outputs (the branch returns a captured value, a constant, or one value
     * twice) get an Identity from the branch's value, so the If's output names stay. */
    for (int k = 0; k < nout && !bad; k++) {
        int iv = g->nodes[ni].out[k], bv = cx.map[br->outputs[k]];
        if (iv < 0 || bv == iv) continue;
        snprintf(name, sizeof name, "%s/output_%d", ifname, k);
        if (ir_node_add(g, IR_OP_IDENTITY, name, 1, &bv, 1, &iv) < 0) bad = 1;
    }
    free(cx.map);
    /* Only an allocation failure gets here with bad set; it is already recorded. */
    return bad ? 0 : 1;
}

int ir_pass_fold_if(ir_graph *g) {
    int folded = 0;
    /* g->nnodes grows as branches are inlined: nested Ifs are reached in the same sweep. */
    for (int i = 0; i < g->nnodes; i++) {
        if (g->nodes[i].dead || g->nodes[i].op != IR_OP_IF) continue;
        folded += fold_one_if(g, i);
        if (ir_graph_diag(g)->oom) break;
    }
    return folded;
}

/* ======================================================================================
 * Constant folding with the CPU kernels.
 * ==================================================================================== */

static int shape_known(const ir_value *x) {
    if (x->rank < 0) return 0;
    for (int i = 0; i < x->rank; i++)
        if (x->dims[i].v < 0) return 0;
    return 1;
}

/* A Constant node's value attribute as a constant. 1 if folded. */
static int fold_constant_node(ir_graph *g, int ni) {
    ir_diag *d = ir_graph_diag(g);
    const ir_node *n = &g->nodes[ni];
    if (n->nout < 1 || n->out[0] < 0) return 0;
    int v = n->out[0];
    ir_tensor t = {0};
    const ir_attr *a;
    if ((a = ir_node_attr(n, "value")) && a->type == IR_ATTR_TENSOR && a->t) {
        t = *a->t;
    } else if ((a = ir_node_attr(n, "value_float")) && a->type == IR_ATTR_FLOAT) {
        t.dtype = IR_DT_FLOAT;
        t.nbytes = sizeof(float);
        t.data = (void *)&a->f;
    } else if ((a = ir_node_attr(n, "value_int")) && a->type == IR_ATTR_INT) {
        t.dtype = IR_DT_INT64;
        t.nbytes = sizeof(int64_t);
        t.data = (void *)&a->i;
    } else if ((a = ir_node_attr(n, "value_floats")) && a->type == IR_ATTR_FLOATS) {
        t.dtype = IR_DT_FLOAT;
        t.rank = 1;
        t.dims[0] = a->n;
        t.nbytes = (size_t)a->n * sizeof(float);
        t.data = a->floats;
    } else if ((a = ir_node_attr(n, "value_ints")) && a->type == IR_ATTR_INTS) {
        t.dtype = IR_DT_INT64;
        t.rank = 1;
        t.dims[0] = a->n;
        t.nbytes = (size_t)a->n * sizeof(int64_t);
        t.data = a->ints;
    } else {
        const char *why = ir_node_attr(n, "value_string") || ir_node_attr(n, "value_strings")
                              ? "string constants are not supported"
                              : ir_node_attr(n, "sparse_value")
                                    ? "sparse constants are not supported"
                                    : "no value attribute";
        ir_diag_error(d, "node '%s' (Constant): %s", n->name, why);
        return 0;
    }
    /* Attribute bytes live in the arena and never change: share them (scalars are copied,
     * their storage being the attribute struct itself). */
    if (ir_value_set_const(g, v, &t, t.rank == 0 && a->type != IR_ATTR_TENSOR)) return 0;
    g->nodes[ni].dead = 1;
    return 1;
}

/* Identity, or an inference-mode Dropout with no mask output, of a constant. */
static int is_const_passthrough(ir_graph *g, const ir_node *n) {
    if (n->nin < 1 || n->in[0] < 0 || n->nout < 1 || n->out[0] < 0) return 0;
    if (g->vals[n->in[0]].kind != IR_VAL_CONST || !g->vals[n->in[0]].data) return 0;
    if (n->op == IR_OP_IDENTITY) return 1;
    if (n->op != IR_OP_DROPOUT) return 0;
    if (n->nout > 1 && n->out[1] >= 0) return 0;
    if (n->nin > 2 && n->in[2] >= 0) {
        const ir_value *tm = &g->vals[n->in[2]];
        if (!tm->data || ir_tensor_numel(tm->data) != 1 || ir_tensor_get_i64(tm->data, 0))
            return 0;
    }
    return 1;
}

/* Evaluate node ni if its inputs are known (data, or for Shape/Size the input's shape) and
 * its outputs' total size is at most limit. 1 if folded. */
static int fold_node(ir_graph *g, int ni, int64_t limit) {
    ir_diag *d = ir_graph_diag(g);
    const ir_node *n = &g->nodes[ni];
    int shape_only = n->op == IR_OP_SHAPE || n->op == IR_OP_SIZE;
    if (n->nin == 0) return 0;
    for (int j = 0; j < n->nin; j++) {
        if (n->in[j] < 0) continue;
        const ir_value *x = &g->vals[n->in[j]];
        if (x->data) continue;
        if (shape_only && shape_known(x)) continue;
        return 0;
    }
    if (is_const_passthrough(g, n)) {
        if (ir_value_set_const(g, n->out[0], g->vals[n->in[0]].data, 0)) return 0;
        g->nodes[ni].dead = 1;
        return 1;
    }
    if (ir_shape_infer_node(g, ni) < 0) return 0;
    n = &g->nodes[ni];
    int64_t total = 0;
    for (int j = 0; j < n->nout; j++) {
        if (n->out[j] < 0) continue;
        const ir_value *x = &g->vals[n->out[j]];
        size_t es = ir_dtype_size(x->dtype);
        int64_t numel = ir_shape_numel(x->rank, x->dims);
        int64_t b = ir_mul_checked(numel, (int64_t)es);
        if (!es || numel < 0 || b < 0 || b > limit - total) return 0;
        total += b;
    }

    int nin = n->nin, nout = n->nout, ok = 0;
    /* One block: inputs, outputs, attributes and attribute tensors. */
    size_t bytes = (size_t)(nin + nout + n->nattr) * sizeof(rt_tensor) +
                   (size_t)n->nattr * sizeof(rt_attr) + 1;
    void *block = ir_xmalloc(bytes);
    if (!block) { d->oom = 1; return 0; }
    rt_tensor *in = block, *out = in + nin, *at = out + nout;
    rt_attr *ra = (rt_attr *)(at + n->nattr);
    static const unsigned char shape_only_dummy[16]; /* Shape/Size read dims, never data */
    for (int j = 0; j < nin; j++) {
        memset(&in[j], 0, sizeof in[j]);
        if (n->in[j] < 0) { in[j].rank = -1; continue; }
        const ir_value *x = &g->vals[n->in[j]];
        if (x->data) {
            in[j] = ir_tensor_rt(x->data);
        } else {
            in[j] = ir_value_rt(x, (void *)shape_only_dummy);
        }
    }
    for (int j = 0; j < nout; j++) {
        memset(&out[j], 0, sizeof out[j]);
        if (n->out[j] < 0) { out[j].rank = -1; continue; }
        out[j] = ir_value_rt(&g->vals[n->out[j]], NULL);
    }
    int na = ir_node_rt_attrs(n, ra, at);
    rt_kctx k = {0};
    k.nthreads = 1;
    if (!rt_cpu_supports(n->op, ra, na, in, nin, out, nout, &k)) goto done; /* left to run */
    for (int j = 0; j < nout; j++) {
        if (n->out[j] < 0) continue;
        size_t nb = ir_dtype_size(out[j].dtype) * (size_t)rt_numel(&out[j]);
        out[j].data = ir_arena_alloc(g->arena, nb);
        if (!out[j].data) { d->oom = 1; goto done; }
    }
    size_t ss = rt_cpu_scratch(n->op, ra, na, in, nin, out, nout);
    void *sraw = NULL;
    if (ss) {
        sraw = ir_xmalloc(ss + 63);
        if (!sraw) { d->oom = 1; goto done; }
        k.scratch = (void *)(((uintptr_t)sraw + 63) & ~(uintptr_t)63);
        k.scratch_size = ss;
    }
    int rc = rt_cpu_run(n->op, ra, na, in, nin, out, nout, &k);
    free(sraw);
    if (rc) {
        ir_diag_error(d, "node '%s' (%s): constant folding failed: %s", n->name,
                      ir_op_table[n->op].name, k.err[0] ? k.err : "kernel error");
        goto done;
    }
    for (int j = 0; j < nout; j++) {
        if (n->out[j] < 0) continue;
        ir_tensor t = {0};
        t.dtype = out[j].dtype;
        t.rank = out[j].rank;
        for (int i = 0; i < t.rank; i++) t.dims[i] = out[j].dims[i];
        t.data = out[j].data;
        t.nbytes = ir_dtype_size(t.dtype) * (size_t)rt_numel(&out[j]);
        if (ir_value_set_const(g, n->out[j], &t, 0)) goto done;
    }
    g->nodes[ni].dead = 1;
    ok = 1;
done:
    free(block);
    return ok;
}

int ir_pass_fold_constants(ir_graph *g, int64_t limit) {
    if (limit <= 0) limit = IR_FOLD_LIMIT_DEFAULT;
    int folded = 0;
    for (int i = 0; i < g->nnodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead || (ir_op_table[n->op].flags & OPF_CONTROL)) continue;
        if (n->op == IR_OP_CONSTANT) folded += fold_constant_node(g, i);
        else folded += fold_node(g, i, limit);
        if (ir_graph_diag(g)->oom) break;
    }
    return folded;
}
