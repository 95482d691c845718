/* cg_stage.c - one stage: memory plan, weight shard, C source. */
#include <stdlib.h>
#include <string.h>
#include "cg_int.h"

#define ALIGN 64

static int64_t align_up(int64_t x) { return (x + ALIGN - 1) / ALIGN * ALIGN; }

/* Bytes of a value whose shape is fully known, else -1. */
static int64_t value_bytes(const ir_value *v) {
    int64_t n = ir_shape_numel(v->rank, v->dims);
    size_t es = ir_dtype_size(v->dtype);
    if (n < 0 || es == 0) return -1;
    return ir_mul_checked(n, (int64_t)es);
}

void cg_stage_free(cg_stage *st) {
    free(st->cls);
    free(st->off);
    free(st->stride);
    free(st->woff);
    free(st->prep);
    memset(st, 0, sizeof *st);
}

static int same_shape(const ir_value *a, const ir_value *b) {
    if (a->rank != b->rank) return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i].v != b->dims[i].v) return 0;
    return 1;
}

/* Mark the stage's nodes whose inputs are all weights (or outputs of such nodes) and whose
 * outputs are read only inside the stage: codegen evaluates them with the CPU kernels while
 * writing the shard, so the program never recomputes them. 0, or -1 on OOM. */
static int mark_prep(const ir_graph *g, const part_plan *p, int s, cg_stage *st) {
    const part_stage *ps = &p->stages[s];
    ir_uses u;
    if (ir_uses_build(g, &u)) return -1;
    unsigned char *known = calloc((size_t)g->nvals + 1, 1);
    if (!known) {
        ir_uses_free(&u);
        return -1;
    }
    for (int i = ps->first; i < ps->last; i++) {
        const ir_node *n = &g->nodes[i];
        int ok = n->op != IR_OP_IF && n->nin > 0;
        for (int j = 0; ok && j < n->nin; j++) {
            int v = n->in[j];
            if (v >= 0 && !g->vals[v].data && !known[v]) ok = 0;
        }
        for (int j = 0; ok && j < n->nout; j++) {
            int v = n->out[j];
            if (v < 0) continue;
            if (g->vals[v].is_output || value_bytes(&g->vals[v]) < 0) ok = 0;
            for (int k = u.start[v]; ok && k < u.start[v + 1]; k++)
                if (u.node[k] < ps->first || u.node[k] >= ps->last) ok = 0;
        }
        if (!ok) continue;
        st->prep[i] = 1;
        for (int j = 0; j < n->nout; j++)
            if (n->out[j] >= 0) known[n->out[j]] = 1;
    }
    free(known);
    ir_uses_free(&u);
    return 0;
}

/* Classify every value the stage touches and place it: weights in the shard, boundary values
 * in slotted io buffers, the rest by liveness. */
int cg_stage_plan(const ir_graph *g, const part_plan *p, int s, int nslots, cg_stage *st,
                  ir_diag *d) {
    const part_stage *ps = &p->stages[s];
    int nv = g->nvals;
    memset(st, 0, sizeof *st);
    st->stage = s;
    st->cls = calloc((size_t)nv + 1, sizeof *st->cls);
    st->off = calloc((size_t)nv + 1, sizeof *st->off);
    st->stride = calloc((size_t)nv + 1, sizeof *st->stride);
    st->woff = malloc(((size_t)nv + 1) * sizeof *st->woff);
    st->prep = calloc((size_t)g->nnodes + 1, 1);
    int *birth = malloc(((size_t)nv + 1) * sizeof(int)), *death = malloc(((size_t)nv + 1) * sizeof(int));
    if (!st->cls || !st->off || !st->stride || !st->woff || !st->prep || !birth || !death) {
        free(birth); free(death);
        ir_diag_error(d, "out of memory planning stage %d", s);
        return -1;
    }
    for (int v = 0; v < nv; v++) birth[v] = death[v] = -1, st->woff[v] = -1;
    int rc = 0;

    /* Nodes on weights alone are computed now, into the shard. */
    if (mark_prep(g, p, s, st)) {
        free(birth); free(death);
        ir_diag_error(d, "out of memory planning stage %d", s);
        return -1;
    }

    /* Which values are read / produced here, and when. */
    for (int i = ps->first; i < ps->last; i++) {
        const ir_node *n = &g->nodes[i];
        if (st->prep[i]) continue;
        for (int j = 0; j < n->nin; j++) {
            int v = n->in[j];
            if (v < 0) continue;
            const ir_value *x = &g->vals[v];
            if (x->data || (x->producer >= 0 && st->prep[x->producer])) st->cls[v] = CG_WEIGHT;
            else if (x->kind == IR_VAL_INPUT) st->cls[v] = CG_INPUT;
            else if (x->producer >= 0 && p->node_stage[x->producer] != s) st->cls[v] = CG_RECV;
            if (birth[v] < 0) birth[v] = i;
            death[v] = i;
        }
        for (int j = 0; j < n->nout; j++) {
            int v = n->out[j];
            if (v < 0) continue;
            st->cls[v] = CG_TEMP;
            birth[v] = i;
            if (death[v] < i) death[v] = i;
        }
    }
    for (int k = 0; k < ps->nout; k++) st->cls[p->xfers[ps->out[k]].value] = CG_IO_OUT;
    for (int k = 0; k < ps->noutputs; k++) {
        int v = ps->outputs[k];
        if (g->vals[v].data) st->cls[v] = CG_CONST_OUT;
        else if (g->vals[v].kind == IR_VAL_INPUT) st->cls[v] = CG_PASS_OUT;
        else st->cls[v] = CG_IO_OUT;
    }

    /* Every value must have a static shape by now. */
    for (int v = 0; v < nv; v++) {
        if (!st->cls[v] || st->cls[v] == CG_WEIGHT) continue;
        if (value_bytes(&g->vals[v]) < 0) {
            char b[256];
            ir_diag_error(d, "stage %d: value '%s' has no static shape (%s); bind the inputs "
                          "with --input-shape", s, g->vals[v].name,
                          ir_value_type_str(&g->vals[v], b, sizeof b));
            rc = -1;
        }
    }
    if (rc) goto out;

    /* Shard: weights in first-read order, then constant graph outputs; 64-aligned. */
    int64_t w = 0;
    for (int i = ps->first; i < ps->last; i++) {
        const ir_node *n = &g->nodes[i];
        if (st->prep[i]) continue;
        for (int j = 0; j < n->nin; j++) {
            int v = n->in[j];
            if (v < 0 || st->cls[v] != CG_WEIGHT || st->woff[v] >= 0) continue;
            st->woff[v] = w;
            w = align_up(w + (g->vals[v].data ? (int64_t)g->vals[v].data->nbytes : value_bytes(&g->vals[v])));
        }
    }
    for (int v = 0; v < nv; v++) {
        if (st->cls[v] != CG_CONST_OUT) continue;
        st->woff[v] = w;
        w = align_up(w + (int64_t)g->vals[v].data->nbytes);
    }
    st->weight_bytes = w;

    /* Boundary buffers: nslots copies each. */
    int64_t a = 0;
    for (int v = 0; v < nv; v++) {
        int c = st->cls[v];
        if (c == CG_NONE || c == CG_WEIGHT || c == CG_TEMP) continue;
        int64_t b = align_up(value_bytes(&g->vals[v]));
        if (b == 0) b = ALIGN;
        st->off[v] = a;
        st->stride[v] = b;
        a += b * nslots;
    }
    st->io_bytes = a;

    /* In place: a node whose output may overwrite its first input (a reshape-like view,
     * or an elementwise op whose output has the input's dtype and shape) writes over that
     * input when the input is a temporary read for the last time here. The two values then
     * share one block, live from the input's birth to the output's death. */
    int *root = malloc(((size_t)nv + 1) * sizeof(int));
    if (!root) {
        ir_diag_error(d, "out of memory planning stage %d", s);
        rc = -1;
        goto out;
    }
    for (int v = 0; v < nv; v++) root[v] = v;
    for (int i = ps->first; i < ps->last; i++) {
        const ir_node *n = &g->nodes[i];
        if (st->prep[i] || n->nin < 1 || n->nout < 1 || !(ir_op_table[n->op].flags & OPF_INPLACE)) continue;
        int x = n->in[0], y = n->out[0];
        if (x < 0 || y < 0 || st->cls[x] != CG_TEMP || st->cls[y] != CG_TEMP) continue;
        if (death[x] != i || g->vals[x].dtype != g->vals[y].dtype) continue;
        if (value_bytes(&g->vals[x]) != value_bytes(&g->vals[y])) continue;
        if (!(ir_op_table[n->op].flags & OPF_SHAPE) && !same_shape(&g->vals[x], &g->vals[y])) continue;
        int r = root[x];
        root[y] = r;
        if (death[y] > death[r]) death[r] = death[y];
    }

    /* Temporaries by liveness. */
    int nt = 0;
    for (int v = 0; v < nv; v++)
        if (st->cls[v] == CG_TEMP && root[v] == v) nt++;
    ir_mem_block *blk = malloc((size_t)(nt + 1) * sizeof *blk);
    int *bv = malloc((size_t)(nt + 1) * sizeof(int));
    if (!blk || !bv) {
        free(blk); free(bv); free(root);
        ir_diag_error(d, "out of memory planning stage %d", s);
        rc = -1;
        goto out;
    }
    nt = 0;
    for (int v = 0; v < nv; v++) {
        if (st->cls[v] != CG_TEMP || root[v] != v) continue;
        blk[nt] = (ir_mem_block){value_bytes(&g->vals[v]), birth[v], death[v], 0};
        bv[nt++] = v;
    }
    int64_t tb = ir_mem_assign(blk, nt, ALIGN);
    if (tb < 0) {
        ir_diag_error(d, "stage %d: arena size overflows", s);
        rc = -1;
    }
    for (int k = 0; k < nt; k++) st->off[bv[k]] = st->io_bytes + blk[k].offset;
    for (int v = 0; v < nv; v++)
        if (st->cls[v] == CG_TEMP && root[v] != v) st->off[v] = st->off[root[v]];
    free(root);
    st->temp_bytes = tb;
    free(blk);
    free(bv);

    /* Kernel scratch: the largest any node asks for. */
    int64_t sc = 0;
    for (int i = ps->first; i < ps->last; i++) {
        int64_t x = 0;
        if (cg_check_node(g, &g->nodes[i], &x, d)) rc = -1;
        if (x > sc) sc = x;
    }
    st->scratch_off = align_up(st->io_bytes + st->temp_bytes);
    st->scratch_bytes = align_up(sc);
    st->arena_bytes = st->scratch_off + st->scratch_bytes + ALIGN;
out:
    free(birth);
    free(death);
    return rc;
}
