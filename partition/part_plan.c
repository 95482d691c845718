/* part_plan.c - from a graph and a policy to the stage plan: which stage runs each node,
 * which parameters each stage holds and which values cross which cuts.
 *
 * The graph must be in topological order (ir_graph_toposort, which the passes leave). A value
 * made in stage s and read in stage t > s is sent straight from s to t: a residual crossing
 * two cuts is one transfer s -> s+2, never relayed through s+1. Graph inputs are not
 * transfers: rank 0 feeds each stage the inputs it reads. A graph output belongs to the stage
 * that makes it; one that no node makes (a weight, a constant, a graph input passed through)
 * belongs to the last stage, which then holds that parameter too.
 */
#include <stdlib.h>
#include <string.h>
#include "part_int.h"

static void plan_oom(ir_diag *d) {
    d->oom = 1;
    ir_diag_error(d, "partition: out of memory");
}

void part_plan_free(part_plan *p) {
    if (!p) return;
    for (int s = 0; p->stages && s < p->nstages; s++) {
        part_stage *st = &p->stages[s];
        free(st->in);
        free(st->out);
        free(st->inputs);
        free(st->outputs);
        free(st->weights);
    }
    free(p->stages);
    free(p->node_stage);
    free(p->xfers);
    free(p);
}

static int xfer_cmp(const void *a, const void *b) {
    const part_xfer *x = a, *y = b;
    if (x->from != y->from) return x->from < y->from ? -1 : 1;
    if (x->to != y->to) return x->to < y->to ? -1 : 1;
    return (x->value > y->value) - (x->value < y->value);
}

/* Every read of an activation must come after its producer. */
static int check_order(const ir_graph *g, const part_reads *r, ir_diag *d) {
    for (int i = 0; i < g->nnodes; i++)
        for (int k = r->start[i]; k < r->start[i + 1]; k++) {
            int p = g->vals[r->val[k]].producer;
            if (p >= i) {
                ir_diag_error(d, "partition: node '%s' (%s) reads '%s' before node '%s' makes it; "
                              "the graph must be in topological order", g->nodes[i].name,
                              ir_op_table[g->nodes[i].op].name, g->vals[r->val[k]].name,
                              g->nodes[p].name);
                return -1;
            }
        }
    return 0;
}

/* Bytes of an activation for comparing cuts: a symbolic dim (the batch, most often) counts
 * as 1, so that cuts still compare by their per-sample size; an unknown rank counts 0. */
static int64_t cut_value_bytes(const ir_graph *g, int v) {
    const ir_value *x = &g->vals[v];
    if (x->rank < 0) return 0;
    int64_t n = (int64_t)ir_dtype_size(x->dtype);
    for (int i = 0; i < x->rank && n >= 0; i++) n = ir_mul_checked(n, x->dims[i].v >= 0 ? x->dims[i].v : 1);
    return n < 0 ? 0 : n;
}

/* The sequence the policies see: parameters numbered in first-read order, and the bytes of
 * activations crossing each cut. Arrays malloc'd into the out-parameters. */
static int seq_build(const ir_graph *g, const part_reads *r, part_seq *s, int **pid_out,
                     int64_t **wb_out, int **ws_out, int **wid_out, int64_t **cut_out) {
    int n = g->nnodes, nread = r->start[n];
    int *pid = part_calloc((size_t)g->nvals + 1, sizeof *pid);
    int64_t *wb = part_calloc((size_t)g->nvals + 1, sizeof *wb);
    int *ws = part_calloc((size_t)n + 1, sizeof *ws);
    int *wid = part_calloc((size_t)nread + 1, sizeof *wid);
    int64_t *cut = part_calloc((size_t)n + 2, sizeof *cut);
    int *last = part_calloc((size_t)g->nvals + 1, sizeof *last);
    *pid_out = pid, *wb_out = wb, *ws_out = ws, *wid_out = wid, *cut_out = cut;
    if (!pid || !wb || !ws || !wid || !cut || !last) {
        free(last);
        return -1;
    }
    int nw = 0, m = 0;
    for (int v = 0; v < g->nvals; v++) pid[v] = -1, last[v] = -1;
    for (int i = 0; i < n; i++) {
        ws[i] = m;
        for (int k = r->start[i]; k < r->start[i + 1]; k++) {
            int v = r->val[k];
            last[v] = i;
            if (!part_value_is_param(g, v)) continue;
            if (pid[v] < 0) {
                pid[v] = nw;
                wb[nw++] = part_value_bytes(g, v);
            }
            wid[m++] = pid[v];
        }
    }
    ws[n] = m;
    /* value made by node p, last read by node q > p: crosses every cut c with p < c <= q */
    for (int v = 0; v < g->nvals; v++) {
        int p = g->vals[v].producer;
        if (p < 0 || last[v] <= p) continue;
        int64_t b = cut_value_bytes(g, v);
        cut[p + 1] += b;
        cut[last[v] + 1] -= b;
    }
    for (int c = 1; c <= n; c++) cut[c] += cut[c - 1];
    free(last);
    *s = (part_seq){.n = n, .nw = nw, .wbytes = wb, .wstart = ws, .wid = wid, .cut_bytes = cut};
    return 0;
}

/* Stage s's node range, parameters, FLOPs, graph inputs. */
static int stage_fill(const ir_graph *g, const part_costs *c, const part_reads *r, part_plan *p,
                      int s, int *mark) {
    part_stage *st = &p->stages[s];
    int nw = 0, ni = 0;
    for (int i = st->first; i < st->last; i++) {
        if (c->flops[i] > 0) st->flops = part_add_sat(st->flops, c->flops[i]);
        for (int k = r->start[i]; k < r->start[i + 1]; k++) {
            int v = r->val[k];
            if (mark[v] == s + 1) continue;
            mark[v] = s + 1;
            if (part_value_is_param(g, v)) nw++;
            else if (g->vals[v].kind == IR_VAL_INPUT) ni++;
        }
    }
    /* The last stage emits the graph outputs no node makes, so it holds those parameters. */
    for (int j = 0; s == p->nstages - 1 && j < g->noutputs; j++) {
        int v = g->outputs[j];
        if (part_value_is_param(g, v) && mark[v] != s + 1) {
            mark[v] = s + 1;
            nw++;
        }
    }
    st->weights = part_calloc((size_t)nw + 1, sizeof(int));
    st->inputs = part_calloc((size_t)ni + 1, sizeof(int));
    if (!st->weights || !st->inputs) return -1;
    for (int i = st->first; i < st->last; i++)
        for (int k = r->start[i]; k < r->start[i + 1]; k++) {
            int v = r->val[k];
            if (!part_value_is_param(g, v) || mark[v] == -(s + 1)) continue;
            mark[v] = -(s + 1); /* listed */
            st->weights[st->nweights++] = v;
            st->param_bytes = part_add_sat(st->param_bytes, part_value_bytes(g, v));
        }
    for (int j = 0; s == p->nstages - 1 && j < g->noutputs; j++) {
        int v = g->outputs[j];
        if (!part_value_is_param(g, v) || mark[v] == -(s + 1)) continue;
        mark[v] = -(s + 1);
        st->weights[st->nweights++] = v;
        st->param_bytes = part_add_sat(st->param_bytes, part_value_bytes(g, v));
    }
    /* graph inputs in graph-input order; mark still says which this stage reads */
    for (int j = 0; j < g->ninputs; j++) {
        int v = g->inputs[j];
        if (mark[v] == s + 1) {
            st->inputs[st->ninputs++] = v;
            mark[v] = 0; /* an input listed twice in g->inputs is fed once */
        }
    }
    return 0;
}

static int plan_fill(const ir_graph *g, const part_costs *c, const part_reads *r, part_plan *p) {
    int n = g->nnodes, k = p->nstages;
    int *mark = part_calloc((size_t)g->nvals + 1, sizeof *mark);
    int *last_to = part_calloc((size_t)g->nvals + 1, sizeof *last_to);
    int *counted = part_calloc((size_t)g->nvals + 1, sizeof *counted);
    int rc = -1;
    if (!mark || !last_to || !counted) goto out;
    for (int s = 0; s < k; s++) {
        for (int i = p->stages[s].first; i < p->stages[s].last; i++) p->node_stage[i] = s;
        if (stage_fill(g, c, r, p, s, mark)) goto out;
        const part_stage *st = &p->stages[s];
        for (int j = 0; j < st->nweights; j++)
            if (!counted[st->weights[j]]) {
                counted[st->weights[j]] = 1;
                p->total_param_bytes = part_add_sat(p->total_param_bytes,
                                                    part_value_bytes(g, st->weights[j]));
            }
    }

    /* transfers: (value, consumer stage) pairs; stages are visited in order, so a value's
     * last recorded consumer stage is enough to see each pair once */
    int nx = 0, capx = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int v = 0; v < g->nvals; v++) last_to[v] = -1;
        for (int i = 0; i < n; i++) {
            int t = p->node_stage[i];
            for (int kk = r->start[i]; kk < r->start[i + 1]; kk++) {
                int v = r->val[kk], pr = g->vals[v].producer;
                if (pr < 0 || p->node_stage[pr] >= t || last_to[v] == t) continue;
                last_to[v] = t;
                if (pass == 0) { capx++; continue; }
                p->xfers[nx++] = (part_xfer){v, p->node_stage[pr], t, part_value_bytes(g, v)};
            }
        }
        if (pass == 0) {
            p->xfers = part_calloc((size_t)capx + 1, sizeof *p->xfers);
            if (!p->xfers) goto out;
        }
    }
    p->nxfers = nx;
    qsort(p->xfers, (size_t)nx, sizeof *p->xfers, xfer_cmp);
    for (int x = 0; x < nx; x++) {
        p->stages[p->xfers[x].from].nout++;
        p->stages[p->xfers[x].to].nin++;
    }
    for (int s = 0; s < k; s++) {
        part_stage *st = &p->stages[s];
        st->in = part_calloc((size_t)st->nin + 1, sizeof(int));
        st->out = part_calloc((size_t)st->nout + 1, sizeof(int));
        st->outputs = part_calloc((size_t)g->noutputs + 1, sizeof(int));
        if (!st->in || !st->out || !st->outputs) goto out;
        st->nin = st->nout = 0;
    }
    for (int x = 0; x < nx; x++) {
        part_stage *from = &p->stages[p->xfers[x].from], *to = &p->stages[p->xfers[x].to];
        from->out[from->nout++] = x;
        to->in[to->nin++] = x;
    }
    for (int j = 0; j < g->noutputs; j++) {
        int v = g->outputs[j], pr = g->vals[v].producer;
        part_stage *st = &p->stages[pr >= 0 ? p->node_stage[pr] : k - 1];
        st->outputs[st->noutputs++] = v;
    }

    int64_t sum = 0;
    for (int s = 0; s < k; s++) {
        int64_t b = p->stages[s].param_bytes;
        sum = part_add_sat(sum, b);
        if (b > p->max_param_bytes) p->max_param_bytes = b;
    }
    p->balance = sum > 0 ? (double)p->max_param_bytes / ((double)sum / k) : 1.0;
    rc = 0;
out:
    free(mark);
    free(last_to);
    free(counted);
    return rc;
}

part_plan *part_plan_build(const ir_graph *g, const part_costs *c, const part_opts *o,
                           ir_diag *d) {
    if (!c || c->nnodes != g->nnodes) {
        ir_diag_error(d, "partition: costs are for %d nodes, the graph has %d",
                      c ? c->nnodes : -1, g->nnodes);
        return NULL;
    }
    if (o->policy < 0 || o->policy >= PART_POLICY_COUNT) {
        ir_diag_error(d, "partition: unknown policy %d", (int)o->policy);
        return NULL;
    }
    part_reads r = {0};
    part_seq s = {0};
    int *pid = NULL, *ws = NULL, *wid = NULL, *cuts = NULL;
    int64_t *wb = NULL, *cut = NULL;
    part_plan *p = NULL;
    int n = g->nnodes, k = -1;
    if (part_reads_build(g, &r)) { plan_oom(d); goto fail; }
    if (check_order(g, &r, d)) goto fail;
    if (seq_build(g, &r, &s, &pid, &wb, &ws, &wid, &cut)) { plan_oom(d); goto fail; }
    cuts = part_calloc((size_t)n + 1, sizeof *cuts);
    if (!cuts) { plan_oom(d); goto fail; }

    if (n == 0 && o->nstages <= 1) {
        /* Everything folded to constants: one stage with no nodes, which only writes the
         * constant outputs. */
        k = 1;
        cuts[0] = 0;
    } else switch (o->policy) {
    case PART_EQUAL_SIZE:
        k = part_split_equal_size(&s, o->nstages, cuts, d);
        break;
    case PART_THRESHOLD:
        k = part_split_threshold(&s, o->threshold, cuts, n + 1, d);
        if (k > 0 && o->nstages > 0 && k != o->nstages) {
            char b[64];
            ir_diag_error(d, "threshold %s gives %d stage%s; run with --ranks %d",
                          part_size_str(o->threshold, b, sizeof b), k, k == 1 ? "" : "s", k);
            k = -1;
        }
        break;
    case PART_POLICY_COUNT:
        break;
    }
    if (k < 1) goto fail;

    p = part_calloc(1, sizeof *p);
    if (!p) { plan_oom(d); goto fail; }
    p->policy = o->policy;
    p->nstages = k;
    p->stages = part_calloc((size_t)k, sizeof *p->stages);
    p->node_stage = part_calloc((size_t)n + 1, sizeof *p->node_stage);
    if (!p->stages || !p->node_stage) { plan_oom(d); goto fail; }
    for (int j = 0; j < k; j++) {
        p->stages[j].first = cuts[j];
        p->stages[j].last = j + 1 < k ? cuts[j + 1] : n;
        if (p->stages[j].last <= p->stages[j].first && n > 0) { /* a policy bug, never the user's */
            ir_diag_error(d, "partition: internal error: stage %d of %d is empty", j, k);
            goto fail;
        }
    }
    if (plan_fill(g, c, &r, p)) { plan_oom(d); goto fail; }
    goto done;
fail:
    part_plan_free(p);
    p = NULL;
done:
    part_reads_free(&r);
    free(pid); free(wb); free(ws); free(wid); free(cut); free(cuts);
    return p;
}
