/* ir_pass.c - the graph-level passes: shape binding (--input-shape), concrete arguments
 * (--concrete-arg), dead-code elimination, Identity removal, and the pipeline that runs them
 * with the folders of ir_fold.c (If inlining, constant folding).
 *
 * Every user mistake (an unknown name, a rank that does not match, a value that does not
 * parse) is a diagnostic in the root graph's ir_diag, worded after the command-line option
 * that carries it; the passes never assert on user data.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "ir.h"
#include "ir_pass_impl.h"
#include "rt_cpu.h"

/* ---- small helpers shared with ir_fold.c ---- */

/* Call fn(g, v, ctx) for every value of g and, recursively, of every subgraph hanging off a
 * node of g (dead nodes included: their subgraphs are harmless to visit). */
void ir_pass_each_value(ir_graph *g, void (*fn)(ir_graph *, int, void *), void *ctx) {
    for (int v = 0; v < g->nvals; v++) fn(g, v, ctx);
    for (int i = 0; i < g->nnodes; i++) {
        const ir_node *n = &g->nodes[i];
        for (int a = 0; a < n->nattr; a++)
            if (n->attrs[a].type == IR_ATTR_GRAPH && n->attrs[a].g)
                ir_pass_each_value(n->attrs[a].g, fn, ctx);
    }
}

/* Mark in mark[] (g->nvals entries) every value of g that a subgraph of a live node reads by
 * name (IR_VAL_OUTER, at any depth). Such a read is a use the node's input list does not
 * show, so DCE and Identity removal must count it. Resolution is by name in g; a nested
 * graph's capture that really names one of its own ancestors' values may mark a g value of
 * the same name, which only keeps that value alive (conservative). */
static void mark_captures_in(const ir_graph *g, const ir_graph *sub, char *mark) {
    for (int v = 0; v < sub->nvals; v++) {
        if (sub->vals[v].kind != IR_VAL_OUTER) continue;
        int x = ir_value_find(g, sub->vals[v].name);
        if (x >= 0) mark[x] = 1;
    }
    for (int i = 0; i < sub->nnodes; i++) {
        const ir_node *n = &sub->nodes[i];
        if (n->dead) continue;
        for (int a = 0; a < n->nattr; a++)
            if (n->attrs[a].type == IR_ATTR_GRAPH && n->attrs[a].g)
                mark_captures_in(g, n->attrs[a].g, mark);
    }
}

void ir_pass_mark_captures(const ir_graph *g, char *mark) {
    for (int i = 0; i < g->nnodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int a = 0; a < n->nattr; a++)
            if (n->attrs[a].type == IR_ATTR_GRAPH && n->attrs[a].g)
                mark_captures_in(g, n->attrs[a].g, mark);
    }
}

/* Drop the diagnostics recorded since index `from` that repeat an earlier message word for
 * word: the fold loop re-infers shapes and retries nodes, and must say each thing once. */
static void diag_dedup(ir_diag *d, int from) {
    int w = from;
    for (int i = from; i < d->nmsg; i++) {
        int dup = 0;
        for (int j = 0; j < w && !dup; j++)
            if (strcmp(d->msgs[j], d->msgs[i]) == 0) dup = 1;
        if (dup) {
            free(d->msgs[i]);
            d->nerr--;
        } else {
            d->msgs[w++] = d->msgs[i];
        }
    }
    d->nmsg = w;
}

static int find_input(const ir_graph *g, const char *name) {
    for (int i = 0; i < g->ninputs; i++)
        if (strcmp(g->vals[g->inputs[i]].name, name) == 0) return i;
    return -1;
}

/* ---- bind shapes ---- */

typedef struct sym_bind {
    const char *sym;
    int64_t v;
    const char *from;  /* the --input-shape entry that set it, for conflict messages */
} sym_bind;

typedef struct sym_ctx {
    sym_bind *b;
    int n;
    const char *probe;  /* symbol looked for by sym_probe */
    int found;
} sym_ctx;

static void sym_probe(ir_graph *g, int v, void *ctx) {
    sym_ctx *c = ctx;
    const ir_value *x = &g->vals[v];
    for (int i = 0; i < x->rank && !c->found; i++)
        if (x->dims[i].sym && strcmp(x->dims[i].sym, c->probe) == 0) c->found = 1;
}

static void sym_apply(ir_graph *g, int v, void *ctx) {
    sym_ctx *c = ctx;
    ir_value *x = &g->vals[v];
    for (int i = 0; i < x->rank; i++) {
        if (!x->dims[i].sym || x->dims[i].v >= 0) continue;
        for (int k = 0; k < c->n; k++)
            if (strcmp(x->dims[i].sym, c->b[k].sym) == 0) x->dims[i].v = c->b[k].v;
    }
}

/* Record sym = v; a symbol bound twice to different sizes is an error. */
static void sym_add(ir_diag *d, sym_ctx *c, const char *sym, int64_t v, const char *from) {
    for (int k = 0; k < c->n; k++) {
        if (strcmp(c->b[k].sym, sym) != 0) continue;
        if (c->b[k].v != v)
            ir_diag_error(d, "--input-shape: dim_param '%s' is %lld by '%s' but %lld by '%s'",
                          sym, (long long)c->b[k].v, c->b[k].from, (long long)v, from);
        return;
    }
    c->b[c->n++] = (sym_bind){sym, v, from};
}

int ir_pass_bind_shapes(ir_graph *g, const ir_shape_bind *b, int n) {
    ir_diag *d = ir_graph_diag(g);
    int before = d->nerr;
    if (n <= 0) return 0;
    /* Each bind yields at most IR_MAX_RANK symbols. */
    sym_ctx c = {0};
    c.b = ir_xmalloc((size_t)n * IR_MAX_RANK * sizeof *c.b);
    if (!c.b) { d->oom = 1; return 1; }
    for (int k = 0; k < n; k++) {
        const ir_shape_bind *s = &b[k];
        const char *nm = s->name ? s->name : "";
        if (s->rank < 0 || s->rank > IR_MAX_RANK) {
            ir_diag_error(d, "--input-shape %s: rank %d is out of range (0..%d)", nm, s->rank,
                          IR_MAX_RANK);
            continue;
        }
        int bad = 0;
        for (int i = 0; i < s->rank; i++)
            if (s->dims[i] < 0) {
                ir_diag_error(d, "--input-shape %s: dim %d is negative (%lld)", nm, i,
                              (long long)s->dims[i]);
                bad = 1;
            }
        if (bad) continue;
        int in = find_input(g, nm);
        if (in >= 0) {
            ir_value *x = &g->vals[g->inputs[in]];
            if (x->rank >= 0 && x->rank != s->rank) {
                ir_diag_error(d, "--input-shape %s: %d dims given, but input '%s' has rank %d",
                              nm, s->rank, nm, x->rank);
                continue;
            }
            for (int i = 0; x->rank >= 0 && i < s->rank; i++)
                if (x->dims[i].v >= 0 && x->dims[i].v != s->dims[i]) {
                    ir_diag_error(d, "--input-shape %s: dim %d is %lld in the model, not %lld",
                                  nm, i, (long long)x->dims[i].v, (long long)s->dims[i]);
                    bad = 1;
                }
            if (bad) continue;
            /* The input's symbols take the bound sizes everywhere they occur. */
            for (int i = 0; x->rank >= 0 && i < s->rank; i++)
                if (x->dims[i].v < 0 && x->dims[i].sym)
                    sym_add(d, &c, x->dims[i].sym, s->dims[i], nm);
            int had_rank = x->rank >= 0;
            x->rank = s->rank;
            for (int i = 0; i < s->rank; i++) {
                if (!had_rank) x->dims[i].sym = NULL;
                x->dims[i].v = s->dims[i];
            }
            continue;
        }
        c.probe = nm;
        c.found = 0;
        ir_pass_each_value(g, sym_probe, &c);
        if (!c.found) {
            ir_diag_error(d, "--input-shape: no graph input or dim_param named '%s'", nm);
            continue;
        }
        if (s->rank != 1) {
            ir_diag_error(d, "--input-shape %s: a dim_param takes one size, got %d", nm,
                          s->rank);
            continue;
        }
        sym_add(d, &c, nm, s->dims[0], nm);
    }
    ir_pass_each_value(g, sym_apply, &c);
    free(c.b);
    return d->nerr - before;
}

/* ---- concrete args ---- */

static const char *skip_ws(const char *s) {
    while (*s && isspace((unsigned char)*s)) s++;
    return s;
}

/* Parse one element `s` (trimmed, NUL-terminated) as dtype dt into p[i]. 0 or -1. */
static int parse_elem(int dt, const char *s, void *p, int64_t i) {
    char *end;
    if (!*s) return -1;
    switch (dt) {
    case IR_DT_BOOL: {
        int v;
        if (!strcasecmp(s, "true") || !strcmp(s, "1")) v = 1;
        else if (!strcasecmp(s, "false") || !strcmp(s, "0")) v = 0;
        else return -1;
        ((uint8_t *)p)[i] = (uint8_t)v;
        return 0;
    }
    case IR_DT_FLOAT: case IR_DT_DOUBLE: case IR_DT_FLOAT16: case IR_DT_BFLOAT16: {
        errno = 0;
        double v = strtod(s, &end);
        if (*end || end == s) return -1;
        if (errno == ERANGE && isinf(v)) return -1;
        if (dt == IR_DT_DOUBLE) ((double *)p)[i] = v;
        else if (dt == IR_DT_FLOAT) ((float *)p)[i] = (float)v;
        else if (dt == IR_DT_FLOAT16) ((uint16_t *)p)[i] = rt_f32_to_f16((float)v);
        else ((uint16_t *)p)[i] = rt_f32_to_bf16((float)v);
        return 0;
    }
    case IR_DT_UINT64: {
        if (*s == '-') return -1;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 0);
        if (*end || end == s || errno == ERANGE) return -1;
        ((uint64_t *)p)[i] = v;
        return 0;
    }
    case IR_DT_INT8: case IR_DT_UINT8: case IR_DT_INT16: case IR_DT_UINT16: case IR_DT_INT32:
    case IR_DT_UINT32: case IR_DT_INT64: {
        errno = 0;
        long long v = strtoll(s, &end, 0);
        if (*end || end == s || errno == ERANGE) return -1;
        long long lo = INT64_MIN, hi = INT64_MAX;
        switch (dt) {
        case IR_DT_INT8: lo = INT8_MIN; hi = INT8_MAX; break;
        case IR_DT_UINT8: lo = 0; hi = UINT8_MAX; break;
        case IR_DT_INT16: lo = INT16_MIN; hi = INT16_MAX; break;
        case IR_DT_UINT16: lo = 0; hi = UINT16_MAX; break;
        case IR_DT_INT32: lo = INT32_MIN; hi = INT32_MAX; break;
        case IR_DT_UINT32: lo = 0; hi = UINT32_MAX; break;
        default: break;
        }
        if (v < lo || v > hi) return -1;
        switch (dt) {
        case IR_DT_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
        case IR_DT_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
        case IR_DT_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
        case IR_DT_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
        case IR_DT_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
        case IR_DT_UINT32: ((uint32_t *)p)[i] = (uint32_t)v; break;
        default: ((int64_t *)p)[i] = v; break;
        }
        return 0;
    }
    default:
        return -1;
    }
}

static int dtype_parseable(int dt) {
    switch (dt) {
    case IR_DT_BOOL: case IR_DT_FLOAT: case IR_DT_DOUBLE: case IR_DT_FLOAT16:
    case IR_DT_BFLOAT16: case IR_DT_INT8: case IR_DT_UINT8: case IR_DT_INT16:
    case IR_DT_UINT16: case IR_DT_INT32: case IR_DT_UINT32: case IR_DT_INT64:
    case IR_DT_UINT64:
        return 1;
    default:
        return 0;
    }
}

/* One --concrete-arg: parse a->text by the input's dtype into a new constant. */
static void concrete_one(ir_graph *g, const ir_concrete_arg *a) {
    ir_diag *d = ir_graph_diag(g);
    const char *nm = a->name ? a->name : "";
    const char *text = a->text ? a->text : "";
    int in = find_input(g, nm);
    if (in < 0) {
        ir_diag_error(d, "--concrete-arg: no graph input named '%s'", nm);
        return;
    }
    int v = g->inputs[in];
    ir_value *x = &g->vals[v];
    if (!dtype_parseable(x->dtype)) {
        ir_diag_error(d, "--concrete-arg %s: input '%s' has dtype %s, which cannot be given "
                      "as text", nm, nm, ir_dtype_name(x->dtype));
        return;
    }
    /* Count the comma-separated items. */
    int64_t count = 1;
    for (const char *p = text; *p; p++)
        if (*p == ',') count++;
    int list = strchr(text, ',') != NULL;
    ir_tensor t = {0};
    t.dtype = x->dtype;
    if (x->rank == 0) {
        if (list) {
            ir_diag_error(d, "--concrete-arg %s: input '%s' is a scalar, but %lld values were "
                          "given ('%s')", nm, nm, (long long)count, text);
            return;
        }
        t.rank = 0;
    } else if (x->rank < 0) {
        t.rank = list ? 1 : 0;
        t.dims[0] = count;
    } else if (x->rank == 1) {
        if (x->dims[0].v >= 0 && x->dims[0].v != count) {
            ir_diag_error(d, "--concrete-arg %s: input '%s' has %lld elements, but %lld values "
                          "were given ('%s')", nm, nm, (long long)x->dims[0].v,
                          (long long)count, text);
            return;
        }
        t.rank = 1;
        t.dims[0] = count;
    } else {
        int64_t numel = ir_shape_numel(x->rank, x->dims);
        if (numel < 0) {
            char buf[128];
            ir_diag_error(d, "--concrete-arg %s: input '%s' is %s; its shape must be fully "
                          "known (bind it with --input-shape)", nm, nm,
                          ir_value_type_str(x, buf, sizeof buf));
            return;
        }
        if (numel != count) {
            ir_diag_error(d, "--concrete-arg %s: input '%s' has %lld elements, but %lld values "
                          "were given ('%s')", nm, nm, (long long)numel, (long long)count, text);
            return;
        }
        t.rank = x->rank;
        for (int i = 0; i < x->rank; i++) t.dims[i] = x->dims[i].v;
    }
    size_t es = ir_dtype_size(t.dtype);
    int64_t nb = ir_mul_checked(count, (int64_t)es);
    if (nb < 0) {
        ir_diag_error(d, "--concrete-arg %s: too many values", nm);
        return;
    }
    t.nbytes = (size_t)nb;
    t.data = ir_arena_alloc(g->arena, t.nbytes);
    char *item = ir_xmalloc(strlen(text) + 1);
    if (!t.data || !item) {
        free(item);
        d->oom = 1;
        return;
    }
    const char *p = text;
    for (int64_t i = 0; i < count; i++) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *s = skip_ws(p);
        len -= (size_t)(s - p);
        while (len && isspace((unsigned char)s[len - 1])) len--;
        memcpy(item, s, len);
        item[len] = 0;
        if (parse_elem(t.dtype, item, t.data, i)) {
            if (count > 1)
                ir_diag_error(d, "--concrete-arg %s: value %lld '%s' is not a valid %s", nm,
                              (long long)i, item, ir_dtype_name(t.dtype));
            else
                ir_diag_error(d, "--concrete-arg %s: '%s' is not a valid %s%s", nm, item,
                              ir_dtype_name(t.dtype),
                              t.dtype == IR_DT_BOOL ? " (true, false, 1 or 0)" : "");
            free(item);
            return;
        }
        p = e ? e + 1 : p + len;
    }
    free(item);
    if (ir_value_set_const(g, v, &t, 0)) return;
    for (int i = in; i + 1 < g->ninputs; i++) g->inputs[i] = g->inputs[i + 1];
    g->ninputs--;
}

int ir_pass_concrete_args(ir_graph *g, const ir_concrete_arg *a, int n) {
    ir_diag *d = ir_graph_diag(g);
    int before = d->nerr;
    for (int k = 0; k < n; k++) concrete_one(g, &a[k]);
    return d->nerr - before;
}

/* ---- DCE ---- */

int ir_pass_dce(ir_graph *g) {
    int nv = g->nvals, nn = g->nnodes;
    char *need = calloc((size_t)nv + 1, 1);
    char *live = calloc((size_t)nn + 1, 1);
    int *prod = ir_xmalloc(((size_t)nv + 1) * sizeof *prod);
    int *stack = ir_xmalloc(((size_t)nn + 1) * sizeof *stack);
    if (!need || !live || !prod || !stack) {
        free(need); free(live); free(prod); free(stack);
        ir_graph_diag(g)->oom = 1;
        return 0;
    }
    /* Producers among live nodes only (a folded If's outputs now come from its inlined
     * branch, while vals[].producer may still name the If until compaction). */
    for (int v = 0; v < nv; v++) prod[v] = -1;
    for (int i = 0; i < nn; i++) {
        const ir_node *x = &g->nodes[i];
        if (x->dead) continue;
        for (int j = 0; j < x->nout; j++)
            if (x->out[j] >= 0 && prod[x->out[j]] < 0) prod[x->out[j]] = i;
    }
    /* Roots: graph outputs. Then walk producers backwards; a live node's subgraphs keep
     * alive the values they capture by name. */
    int sp = 0;
    for (int i = 0; i < g->noutputs; i++) need[g->outputs[i]] = 1;
    for (int v = 0; v < nv; v++)
        if (need[v] && prod[v] >= 0 && !live[prod[v]]) {
            live[prod[v]] = 1;
            stack[sp++] = prod[v];
        }
    char *cap = calloc((size_t)nv + 1, 1);
    if (!cap) { ir_graph_diag(g)->oom = 1; sp = 0; }
#define DCE_NEED(v) do { \
        if (!need[v]) { \
            need[v] = 1; \
            if (prod[v] >= 0 && !live[prod[v]]) { live[prod[v]] = 1; stack[sp++] = prod[v]; } \
        } } while (0)
    while (sp) {
        const ir_node *x = &g->nodes[stack[--sp]];
        for (int j = 0; j < x->nin; j++)
            if (x->in[j] >= 0) DCE_NEED(x->in[j]);
        for (int a = 0; a < x->nattr; a++) {
            if (x->attrs[a].type != IR_ATTR_GRAPH || !x->attrs[a].g) continue;
            memset(cap, 0, (size_t)nv);
            mark_captures_in(g, x->attrs[a].g, cap);
            for (int v = 0; v < nv; v++)
                if (cap[v]) DCE_NEED(v);
        }
    }
#undef DCE_NEED
    int removed = 0;
    if (cap) {
        for (int i = 0; i < nn; i++)
            if (!g->nodes[i].dead && !live[i]) {
                g->nodes[i].dead = 1;
                removed++;
            }
    }
    free(cap); free(need); free(live); free(prod); free(stack);
    return removed;
}

/* ---- Identity removal ----
 * An Identity (or an inference-mode Dropout whose mask is unused) whose output is no graph
 * output and is not captured by a subgraph goes away: its readers read its input. */
static int is_passthrough(ir_graph *g, const ir_node *n, const char *outuse) {
    if (n->dead || n->nin < 1 || n->in[0] < 0 || n->nout < 1 || n->out[0] < 0) return 0;
    if (n->op == IR_OP_IDENTITY) return 1;
    if (n->op != IR_OP_DROPOUT) return 0;
    if (n->nout > 1 && n->out[1] >= 0 && (outuse[n->out[1]] || g->vals[n->out[1]].is_output))
        return 0;
    if (n->nin > 2 && n->in[2] >= 0) {
        /* training_mode: only a constant false keeps it an identity */
        const ir_value *tm = &g->vals[n->in[2]];
        if (!tm->data || ir_tensor_numel(tm->data) != 1 || ir_tensor_get_i64(tm->data, 0))
            return 0;
    }
    return 1;
}

int ir_pass_remove_identity(ir_graph *g) {
    int nv = g->nvals;
    char *cap = calloc((size_t)nv + 1, 1);
    char *use = calloc((size_t)nv + 1, 1);
    if (!cap || !use) {
        free(cap); free(use);
        ir_graph_diag(g)->oom = 1;
        return 0;
    }
    ir_pass_mark_captures(g, cap);
    for (int i = 0; i < g->nnodes; i++) {
        const ir_node *x = &g->nodes[i];
        if (x->dead) continue;
        for (int j = 0; j < x->nin; j++)
            if (x->in[j] >= 0) use[x->in[j]] = 1;
    }
    int removed = 0;
    for (int i = 0; i < g->nnodes; i++) {
        ir_node *x = &g->nodes[i];
        if (!is_passthrough(g, x, use)) continue;
        int from = x->in[0], to = x->out[0];
        if (g->vals[to].is_output || cap[to] || from == to) continue;
        for (int k = 0; k < g->nnodes; k++) {
            ir_node *c = &g->nodes[k];
            if (c->dead || k == i) continue;
            for (int j = 0; j < c->nin; j++)
                if (c->in[j] == to) c->in[j] = from;
        }
        x->dead = 1;
        removed++;
    }
    free(cap);
    free(use);
    return removed;
}

/* ---- the pipeline ---- */

/* Compact then order: ir_graph_toposort expects no dead nodes (their inputs would count
 * towards an in-degree that is never paid off). */
static void reorder(ir_graph *g) {
    ir_graph_compact(g);
    ir_graph_toposort(g);
}

/* MatMul(A, Transpose(W)) with W 2-D -> MatMul(A, W) reading W transposed (the kernel's
 * RT_ATTR_MATMUL_TRANSB): no transpose at run time and none in memory at compile time, where
 * a tied LM head would otherwise copy the whole embedding. The Transpose dies in DCE when
 * nothing else reads it. Returns the number of MatMuls fused. */
int ir_pass_fuse(ir_graph *g) {
    int n = 0;
    for (int i = 0; i < g->nnodes; i++) {
        ir_node *m = &g->nodes[i];
        if (m->dead || m->op != IR_OP_MATMUL || m->nin != 2 || m->in[1] < 0) continue;
        if (ir_node_attr(m, RT_ATTR_MATMUL_TRANSB)) continue;
        int p = g->vals[m->in[1]].producer;
        if (p < 0) continue;
        const ir_node *t = &g->nodes[p];
        if (t->dead || t->op != IR_OP_TRANSPOSE || t->nin < 1 || t->in[0] < 0) continue;
        const ir_value *w = &g->vals[t->in[0]];
        if (w->rank != 2) continue;
        const ir_attr *perm = ir_node_attr(t, "perm");
        if (perm && (perm->type != IR_ATTR_INTS || perm->n != 2 || perm->ints[0] != 1 ||
                     perm->ints[1] != 0))
            continue;
        ir_attr *a = ir_node_add_attr(g, i, RT_ATTR_MATMUL_TRANSB, IR_ATTR_INT);
        if (!a) return n;
        a->i = 1;
        g->nodes[i].in[1] = t->in[0];
        n++;
    }
    return n;
}

int ir_passes_run(ir_graph *g, const ir_pass_opts *o) {
    static const ir_pass_opts none;
    if (!o) o = &none;
    ir_diag *d = ir_graph_diag(g);
    int from = d->nmsg;
    ir_pass_bind_shapes(g, o->binds, o->nbinds);
    ir_pass_concrete_args(g, o->concrete, o->nconcrete);
    reorder(g);
    diag_dedup(d, from);
    int64_t limit = o->fold_limit > 0 ? o->fold_limit : IR_FOLD_LIMIT_DEFAULT;
    for (int iter = 0; iter < 64; iter++) {
        ir_shape_infer(g);
        ir_pass_fuse(g); /* before folding: a tied head's Transpose(W) is never copied */
        int nif = ir_pass_fold_if(g);
        if (nif) {
            reorder(g);
            ir_shape_infer(g);
        }
        int nfold = o->no_fold ? 0 : ir_pass_fold_constants(g, limit);
        diag_dedup(d, from);
        if (d->oom || (nif == 0 && nfold == 0)) break;
    }
    ir_pass_remove_identity(g);
    ir_pass_fuse(g);
    ir_pass_dce(g);
    reorder(g);
    ir_shape_infer(g);
    diag_dedup(d, from);
    return d->nerr;
}
