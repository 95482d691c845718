/* part_dot.c - the plan as a Graphviz graph, built with cgraph (so DOT quoting is Graphviz's
 * job) and written with agwrite.
 *
 * One cluster per stage, labeled "stage k: <params> / <FLOPs>"; nodes "name\nOp"; edges
 * labeled with the values they carry, and the edges that cross a cut (the transfers) drawn
 * red and thick with the value's type. Graph inputs and outputs are drawn outside the
 * clusters as house shapes. Weights are not drawn: a transformer has hundreds.
 * Collapsing: nodes of one stage whose names start with a given prefix become one box
 * "prefix (N nodes)", and the edges between two boxes merge into one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <graphviz/cgraph.h>
#include "part_int.h"

typedef struct dedge {
    int t, h, v; /* draw ids and the value */
} dedge;

static int dedge_cmp(const void *a, const void *b) {
    const dedge *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return (x->v > y->v) - (x->v < y->v);
}

/* cgraph takes char *; it copies what it keeps. */
static int set(void *obj, const char *name, const char *value) {
    return agsafeset(obj, (char *)name, (char *)value, (char *)"");
}

/* Text for a label: a backslash would start a DOT escape (\n, \N, ...), so double it. */
static void label_append(char *buf, size_t len, const char *s) {
    size_t o = strlen(buf);
    for (; *s && o + 2 < len; s++) {
        if (*s == '\\') buf[o++] = '\\';
        buf[o++] = *s;
    }
    buf[o] = 0;
}

static const char *flops_human(int64_t f, char *buf, size_t len) {
    static const char *const u[] = {"FLOP", "KFLOP", "MFLOP", "GFLOP", "TFLOP", "PFLOP"};
    double x = (double)f;
    int i = 0;
    while (x >= 1000 && i < 5) { x /= 1000; i++; }
    if (i == 0) snprintf(buf, len, "%lld FLOP", (long long)f);
    else snprintf(buf, len, "%.*f %s", x < 10 ? 2 : x < 100 ? 1 : 0, x, u[i]);
    return buf;
}

typedef struct dotctx {
    const part_plan *p;
    const ir_graph *g;
    int n, ngroups;
    int *dn;          /* node -> draw id (the node itself, or its group's n + group) */
    int *gstage;      /* group -> stage */
    int *gprefix;     /* group -> prefix index */
    int *gcount;      /* group -> nodes */
    int *in_idx;      /* value -> graph input position, -1 */
    dedge *e;
    size_t ne, cape;
} dotctx;

static int draw_stage(const dotctx *x, int id) {
    if (id < x->n) return x->p->node_stage[id];
    if (id < x->n + x->ngroups) return x->gstage[id - x->n];
    return -1; /* graph input or output */
}

static int edge_add(dotctx *x, int t, int h, int v) {
    if (x->ne == x->cape) {
        size_t cap = x->cape ? x->cape * 2 : 256;
        dedge *e = realloc(x->e, cap * sizeof *e);
        if (!e) return -1;
        x->e = e;
        x->cape = cap;
    }
    x->e[x->ne++] = (dedge){t, h, v};
    return 0;
}

/* Draw ids: nodes 0..n-1, groups n.., inputs, then outputs. */
static int collect(dotctx *x, const part_reads *r, const char *const *collapse, int ncollapse) {
    const ir_graph *g = x->g;
    int n = x->n, k = x->p->nstages;
    size_t ng = (size_t)k * (size_t)(ncollapse > 0 ? ncollapse : 1);
    int *gid = part_calloc(ng, sizeof *gid);
    x->dn = part_calloc((size_t)n + 1, sizeof *x->dn);
    x->gstage = part_calloc(ng, sizeof *x->gstage);
    x->gprefix = part_calloc(ng, sizeof *x->gprefix);
    x->gcount = part_calloc(ng, sizeof *x->gcount);
    x->in_idx = part_calloc((size_t)g->nvals + 1, sizeof *x->in_idx);
    if (!gid || !x->dn || !x->gstage || !x->gprefix || !x->gcount || !x->in_idx) {
        free(gid);
        return -1;
    }
    for (size_t i = 0; i < ng; i++) gid[i] = -1;
    for (int i = 0; i < n; i++) {
        x->dn[i] = i;
        int s = x->p->node_stage[i];
        for (int c = 0; c < ncollapse; c++) {
            if (!collapse[c] || strncmp(g->nodes[i].name, collapse[c], strlen(collapse[c])))
                continue;
            size_t key = (size_t)s * (size_t)ncollapse + (size_t)c;
            if (gid[key] < 0) {
                gid[key] = x->ngroups;
                x->gstage[x->ngroups] = s;
                x->gprefix[x->ngroups] = c;
                x->ngroups++;
            }
            x->gcount[gid[key]]++;
            x->dn[i] = n + gid[key];
            break;
        }
    }
    free(gid);
    for (int v = 0; v < g->nvals; v++) x->in_idx[v] = -1;
    for (int j = 0; j < g->ninputs; j++)
        if (x->in_idx[g->inputs[j]] < 0) x->in_idx[g->inputs[j]] = j;
    int base_in = n + x->ngroups, base_out = base_in + g->ninputs;
    for (int i = 0; i < n; i++)
        for (int kk = r->start[i]; kk < r->start[i + 1]; kk++) {
            int v = r->val[kk], pr = g->vals[v].producer;
            int rc = 0;
            if (pr >= 0 && x->dn[pr] != x->dn[i]) rc = edge_add(x, x->dn[pr], x->dn[i], v);
            else if (pr < 0 && x->in_idx[v] >= 0) rc = edge_add(x, base_in + x->in_idx[v], x->dn[i], v);
            if (rc) return -1;
        }
    for (int j = 0; j < g->noutputs; j++) {
        int v = g->outputs[j], pr = g->vals[v].producer, rc = 0;
        if (pr >= 0) rc = edge_add(x, x->dn[pr], base_out + j, v);
        else if (x->in_idx[v] >= 0) rc = edge_add(x, base_in + x->in_idx[v], base_out + j, v);
        if (rc) return -1;
    }
    if (x->ne) qsort(x->e, x->ne, sizeof *x->e, dedge_cmp); /* x->e is NULL when there are no edges */
    return 0;
}

static int build(dotctx *x, Agraph_t *root, const char *const *collapse) {
    const ir_graph *g = x->g;
    const part_plan *p = x->p;
    int n = x->n, base_in = n + x->ngroups, base_out = base_in + g->ninputs;
    int ndraw = base_out + g->noutputs;
    Agnode_t **an = part_calloc((size_t)ndraw + 1, sizeof *an);
    Agraph_t **cl = part_calloc((size_t)p->nstages, sizeof *cl);
    char id[64], lab[1024], b1[32], b2[32];
    int rc = -1;
    if (!an || !cl) goto out;
    agattr(root, AGRAPH, (char *)"rankdir", (char *)"TB");
    agattr(root, AGNODE, (char *)"shape", (char *)"box");
    agattr(root, AGNODE, (char *)"fontsize", (char *)"10");
    agattr(root, AGEDGE, (char *)"fontsize", (char *)"9");
    for (int s = 0; s < p->nstages; s++) {
        snprintf(id, sizeof id, "cluster_%d", s);
        if (!(cl[s] = agsubg(root, id, 1))) goto out;
        snprintf(lab, sizeof lab, "stage %d: %s / %s", s,
                 part_size_human(p->stages[s].param_bytes, b1, sizeof b1),
                 flops_human(p->stages[s].flops, b2, sizeof b2));
        set(cl[s], "label", lab);
        set(cl[s], "style", "rounded");
        set(cl[s], "color", "gray40");
    }
    for (int i = 0; i < n; i++) {
        if (x->dn[i] != i) continue;
        snprintf(id, sizeof id, "n%d", i);
        if (!(an[i] = agnode(cl[p->node_stage[i]], id, 1))) goto out;
        lab[0] = 0;
        label_append(lab, sizeof lab, g->nodes[i].name);
        strncat(lab, "\\n", sizeof lab - strlen(lab) - 1); /* DOT's newline escape */
        label_append(lab, sizeof lab, ir_op_table[g->nodes[i].op].name);
        set(an[i], "label", lab);
    }
    for (int q = 0; q < x->ngroups; q++) {
        snprintf(id, sizeof id, "g%d", q);
        if (!(an[n + q] = agnode(cl[x->gstage[q]], id, 1))) goto out;
        lab[0] = 0;
        label_append(lab, sizeof lab, collapse[x->gprefix[q]]);
        snprintf(b1, sizeof b1, "\\n(%d nodes)", x->gcount[q]);
        strncat(lab, b1, sizeof lab - strlen(lab) - 1);
        set(an[n + q], "label", lab);
        set(an[n + q], "style", "filled,bold");
        set(an[n + q], "fillcolor", "gray90");
    }
    for (int j = 0; j < g->ninputs + g->noutputs; j++) {
        int in = j < g->ninputs, v = in ? g->inputs[j] : g->outputs[j - g->ninputs];
        snprintf(id, sizeof id, in ? "in%d" : "out%d", in ? j : j - g->ninputs);
        if (!(an[base_in + j] = agnode(root, id, 1))) goto out;
        lab[0] = 0;
        label_append(lab, sizeof lab, g->vals[v].name);
        strncat(lab, "\\n", sizeof lab - strlen(lab) - 1);
        label_append(lab, sizeof lab, ir_value_type_str(&g->vals[v], b1, sizeof b1));
        set(an[base_in + j], "label", lab);
        set(an[base_in + j], "shape", in ? "invhouse" : "house");
        set(an[base_in + j], "style", "filled");
        set(an[base_in + j], "fillcolor", in ? "lightblue" : "lightyellow");
    }
    for (size_t a = 0; a < x->ne;) {
        size_t b = a;
        while (b < x->ne && x->e[b].t == x->e[a].t && x->e[b].h == x->e[a].h) b++;
        int t = x->e[a].t, h = x->e[a].h;
        int st = draw_stage(x, t), sh = draw_stage(x, h);
        int cross = st >= 0 && sh >= 0 && st != sh;
        Agedge_t *e = agedge(root, an[t], an[h], NULL, 1);
        if (!e) goto out;
        lab[0] = 0;
        for (size_t c = a; c < b && c < a + 3; c++) {
            if (c > a) strncat(lab, "\\n", sizeof lab - strlen(lab) - 1);
            label_append(lab, sizeof lab, g->vals[x->e[c].v].name);
            if (cross) {
                strncat(lab, " ", sizeof lab - strlen(lab) - 1);
                label_append(lab, sizeof lab, ir_value_type_str(&g->vals[x->e[c].v], b1, sizeof b1));
            }
        }
        if (b - a > 3) {
            snprintf(b2, sizeof b2, "\\n+%d more", (int)(b - a - 3));
            strncat(lab, b2, sizeof lab - strlen(lab) - 1);
        }
        set(e, "label", lab);
        if (cross) {
            set(e, "color", "red");
            set(e, "fontcolor", "red");
            set(e, "penwidth", "2.5");
        }
        a = b;
    }
    rc = 0;
out:
    free(an);
    free(cl);
    return rc;
}

int part_plan_write_dot(const part_plan *p, const ir_graph *g, const char *path,
                        const char *const *collapse, int ncollapse, ir_diag *d) {
    if (!collapse) ncollapse = 0;
    part_reads r = {0};
    dotctx x = {.p = p, .g = g, .n = g->nnodes};
    Agraph_t *root = NULL;
    FILE *f = NULL;
    int rc = -1;
    if (part_reads_build(g, &r) || collect(&x, &r, collapse, ncollapse)) {
        d->oom = 1;
        ir_diag_error(d, "cannot write %s: out of memory", path);
        goto out;
    }
    char name[256];
    snprintf(name, sizeof name, "%s", g->name && *g->name ? g->name : "pipeline");
    root = agopen(name, Agdirected, NULL);
    if (!root || build(&x, root, collapse)) {
        d->oom = 1;
        ir_diag_error(d, "cannot write %s: out of memory building the graph", path);
        goto out;
    }
    f = fopen(path, "w");
    if (!f) {
        ir_diag_error(d, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    int bad = agwrite(root, f) == EOF || ferror(f);
    if (fclose(f) != 0) bad = 1;
    if (bad) {
        ir_diag_error(d, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (root) agclose(root);
    part_reads_free(&r);
    free(x.dn); free(x.gstage); free(x.gprefix); free(x.gcount); free(x.in_idx); free(x.e);
    return rc;
}
