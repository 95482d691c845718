/* ir.c - the IR core: op table, dtypes, diagnostics, arena, graph building, topological
 * order, validation, compaction, printing. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "ir.h"

/* ---- op table ---- */
const ir_op_info ir_op_table[IR_OP_COUNT] = {
#define OP(onnx, id, mi, ma, mo, mao, fl) {#onnx, #id, mi, ma, mo, mao, fl},
#include "ops.def"
#undef OP
};
_Static_assert(sizeof ir_op_table / sizeof ir_op_table[0] == IR_OP_COUNT, "ORDER OP");

int ir_op_lookup(const char *op_type) {
    for (int i = 0; i < IR_OP_COUNT; i++)
        if (strcmp(ir_op_table[i].name, op_type) == 0) return i;
    return -1;
}

/* ---- dtypes ---- */
static const struct { const char *name; size_t size; } dtypes[IR_DT_COUNT] = {
    [IR_DT_UNDEF] = {"undef", 0},    [IR_DT_FLOAT] = {"float32", 4},
    [IR_DT_UINT8] = {"uint8", 1},    [IR_DT_INT8] = {"int8", 1},
    [IR_DT_UINT16] = {"uint16", 2},  [IR_DT_INT16] = {"int16", 2},
    [IR_DT_INT32] = {"int32", 4},    [IR_DT_INT64] = {"int64", 8},
    [IR_DT_STRING] = {"string", 0},  [IR_DT_BOOL] = {"bool", 1},
    [IR_DT_FLOAT16] = {"float16", 2}, [IR_DT_DOUBLE] = {"float64", 8},
    [IR_DT_UINT32] = {"uint32", 4},  [IR_DT_UINT64] = {"uint64", 8},
    [IR_DT_COMPLEX64] = {"complex64", 8}, [IR_DT_COMPLEX128] = {"complex128", 16},
    [IR_DT_BFLOAT16] = {"bfloat16", 2},
};

size_t ir_dtype_size(int dt) { return dt > 0 && dt < IR_DT_COUNT ? dtypes[dt].size : 0; }
const char *ir_dtype_name(int dt) { return dt >= 0 && dt < IR_DT_COUNT ? dtypes[dt].name : "?"; }

/* ---- allocation with a failure hook (SQLite's test_malloc) ---- */
static long fail_countdown;

void ir_fail_alloc_at(long n) { fail_countdown = n; }

static int should_fail(void) {
    if (fail_countdown > 0 && --fail_countdown == 0) return 1;
    return 0;
}

void *ir_xmalloc(size_t n) {
    if (should_fail()) return NULL;
    return malloc(n ? n : 1);
}

/* ---- diagnostics ---- */
void ir_diag_error(ir_diag *d, const char *fmt, ...) {
    d->nerr++;
    if (d->nmsg >= 1000) return; /* enough to read; the count stays exact */
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (d->nmsg == d->cap) {
        int cap = d->cap ? d->cap * 2 : 16;
        char **m = realloc(d->msgs, (size_t)cap * sizeof *m);
        if (!m) { d->oom = 1; return; }
        d->msgs = m;
        d->cap = cap;
    }
    char *s = strdup(buf);
    if (!s) { d->oom = 1; return; }
    d->msgs[d->nmsg++] = s;
}

void ir_diag_print(const ir_diag *d, FILE *f) {
    for (int i = 0; i < d->nmsg; i++) fprintf(f, "error: %s\n", d->msgs[i]);
    if (d->nerr > d->nmsg) fprintf(f, "error: ... and %d more\n", d->nerr - d->nmsg);
    if (d->oom) fprintf(f, "error: out of memory\n");
}

void ir_diag_free(ir_diag *d) {
    for (int i = 0; i < d->nmsg; i++) free(d->msgs[i]);
    free(d->msgs);
    memset(d, 0, sizeof *d);
}

/* ---- arena ---- */
typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} chunk;

struct ir_arena {
    chunk *head;
    int failed; /* sticky */
};

ir_arena *ir_arena_new(void) {
    ir_arena *a = ir_xmalloc(sizeof *a);
    if (a) memset(a, 0, sizeof *a);
    return a;
}

void *ir_arena_alloc(ir_arena *a, size_t n) {
    if (!a || a->failed) return NULL;
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        if (cap > SIZE_MAX - sizeof(chunk)) { a->failed = 1; return NULL; }
        c = ir_xmalloc(sizeof(chunk) + cap);
        if (!c) { a->failed = 1; return NULL; }
        c->cap = cap;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *ir_arena_strdup(ir_arena *a, const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *p = ir_arena_alloc(a, n);
    if (p) memcpy(p, s, n);
    return p;
}

void ir_arena_free(ir_arena *a) {
    if (!a) return;
    for (chunk *c = a->head, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    free(a);
}

/* ---- shapes and tensors ---- */
int64_t ir_mul_checked(int64_t a, int64_t b) {
    if (a < 0 || b < 0) return -1;
    if (a != 0 && b > INT64_MAX / a) return -1;
    return a * b;
}

int64_t ir_shape_numel(int rank, const ir_dim *dims) {
    if (rank < 0) return -1;
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        n = ir_mul_checked(n, dims[i].v);
        if (n < 0) return -1;
    }
    return n;
}

int64_t ir_tensor_numel(const ir_tensor *t) {
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) {
        n = ir_mul_checked(n, t->dims[i]);
        if (n < 0) return -1;
    }
    return n;
}

int64_t ir_tensor_get_i64(const ir_tensor *t, int64_t i) {
    const void *p = t->data;
    switch (t->dtype) {
    case IR_DT_INT64: return ((const int64_t *)p)[i];
    case IR_DT_INT32: return ((const int32_t *)p)[i];
    case IR_DT_INT16: return ((const int16_t *)p)[i];
    case IR_DT_INT8: return ((const int8_t *)p)[i];
    case IR_DT_UINT8: case IR_DT_BOOL: return ((const uint8_t *)p)[i];
    case IR_DT_UINT16: return ((const uint16_t *)p)[i];
    case IR_DT_UINT32: return ((const uint32_t *)p)[i];
    case IR_DT_UINT64: return (int64_t)((const uint64_t *)p)[i];
    case IR_DT_FLOAT: return (int64_t)((const float *)p)[i];
    case IR_DT_DOUBLE: return (int64_t)((const double *)p)[i];
    default: return 0;
    }
}

double ir_tensor_get_f64(const ir_tensor *t, int64_t i) {
    switch (t->dtype) {
    case IR_DT_FLOAT: return ((const float *)t->data)[i];
    case IR_DT_DOUBLE: return ((const double *)t->data)[i];
    case IR_DT_UINT64: return (double)((const uint64_t *)t->data)[i];
    default: return (double)ir_tensor_get_i64(t, i);
    }
}

/* ---- graphs ---- */
static ir_graph *graph_init(ir_graph *g, ir_arena *a, ir_graph *parent) {
    memset(g, 0, sizeof *g);
    g->arena = a;
    g->parent = parent;
    g->opset = parent ? parent->opset : 0;
    return g;
}

ir_graph *ir_graph_new(void) {
    ir_graph *g = ir_xmalloc(sizeof *g);
    if (!g) return NULL;
    ir_arena *a = ir_arena_new();
    if (!a) { free(g); return NULL; }
    return graph_init(g, a, NULL);
}

ir_graph *ir_subgraph_new(ir_graph *parent) {
    ir_graph *g = ir_arena_alloc(parent->arena, sizeof *g);
    if (!g) return NULL;
    return graph_init(g, parent->arena, parent);
}

void ir_graph_free(ir_graph *g) {
    if (!g) return;
    for (int i = g->nkeep - 1; i >= 0; i--)
        if (g->keep_free[i]) g->keep_free[i](g->keep[i]);
    ir_diag_free(&g->diag);
    ir_arena_free(g->arena);
    free(g);
}

int ir_graph_keep(ir_graph *g, void *res, void (*fn)(void *)) {
    while (g->parent) g = g->parent;
    if (g->nkeep >= (int)(sizeof g->keep / sizeof g->keep[0])) return -1;
    g->keep[g->nkeep] = res;
    g->keep_free[g->nkeep] = fn;
    g->nkeep++;
    return 0;
}

ir_diag *ir_graph_diag(ir_graph *g) {
    while (g->parent) g = g->parent;
    return &g->diag;
}

static void oom(ir_graph *g) { ir_graph_diag(g)->oom = 1; }

/* Grow an arena-backed array to hold at least need elements. */
static int grow(ir_graph *g, void **arr, int *cap, int need, size_t elem) {
    if (need <= *cap) return 0;
    int ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > INT32_MAX / 2) { oom(g); return -1; }
        ncap *= 2;
    }
    void *p = ir_arena_alloc(g->arena, (size_t)ncap * elem);
    if (!p) { oom(g); return -1; }
    if (*arr) memcpy(p, *arr, (size_t)*cap * elem);
    *arr = p;
    *cap = ncap;
    return 0;
}

static uint32_t hash_str(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static int hash_insert(ir_graph *g, int v) {
    if ((g->nvals + 1) * 2 > g->hashcap) {
        int ncap = g->hashcap ? g->hashcap * 2 : 64;
        while (ncap < (g->nvals + 1) * 2) ncap *= 2;
        int *h = ir_arena_alloc(g->arena, (size_t)ncap * sizeof *h);
        if (!h) { oom(g); return -1; }
        g->name_hash = h;
        g->hashcap = ncap;
        for (int i = 0; i < g->nvals; i++) {
            if (i == v) continue;
            uint32_t k = hash_str(g->vals[i].name) & (uint32_t)(ncap - 1);
            while (h[k]) k = (k + 1) & (uint32_t)(ncap - 1);
            h[k] = i + 1;
        }
    }
    uint32_t k = hash_str(g->vals[v].name) & (uint32_t)(g->hashcap - 1);
    while (g->name_hash[k]) k = (k + 1) & (uint32_t)(g->hashcap - 1);
    g->name_hash[k] = v + 1;
    return 0;
}

int ir_value_find(const ir_graph *g, const char *name) {
    if (!g->hashcap || !name) return -1;
    uint32_t k = hash_str(name) & (uint32_t)(g->hashcap - 1);
    while (g->name_hash[k]) {
        int v = g->name_hash[k] - 1;
        if (strcmp(g->vals[v].name, name) == 0) return v;
        k = (k + 1) & (uint32_t)(g->hashcap - 1);
    }
    return -1;
}

int ir_value_add(ir_graph *g, const char *name, int dtype, int rank, const int64_t *dims) {
    if (rank > IR_MAX_RANK) return -1;
    if (grow(g, (void **)&g->vals, &g->capvals, g->nvals + 1, sizeof *g->vals)) return -1;
    const char *nm = ir_arena_strdup(g->arena, name ? name : "");
    if (!nm) { oom(g); return -1; }
    int v = g->nvals++;
    ir_value *x = &g->vals[v];
    memset(x, 0, sizeof *x);
    x->name = nm;
    x->dtype = dtype;
    x->rank = rank;
    x->producer = -1;
    x->kind = IR_VAL_ACT;
    for (int i = 0; i < rank && i < IR_MAX_RANK; i++) x->dims[i].v = dims ? dims[i] : -1;
    if (hash_insert(g, v)) return -1;
    return v;
}

const char *ir_unique_name(ir_graph *g, const char *base) {
    /* Unique across the enclosing graphs too, so that inlined subgraphs never collide. */
    char buf[512];
    snprintf(buf, sizeof buf, "%s", base);
    for (int k = 1;; k++) {
        int clash = 0;
        for (const ir_graph *p = g; p; p = p->parent)
            if (ir_value_find(p, buf) >= 0) clash = 1;
        if (!clash) break;
        snprintf(buf, sizeof buf, "%s__%d", base, k);
    }
    const char *s = ir_arena_strdup(g->arena, buf);
    if (!s) oom(g);
    return s;
}

int ir_value_set_const(ir_graph *g, int v, const ir_tensor *t, int copy) {
    ir_value *x = &g->vals[v];
    ir_tensor *nt = ir_arena_alloc(g->arena, sizeof *nt);
    if (!nt) { oom(g); return -1; }
    *nt = *t;
    if (copy && t->nbytes) {
        nt->data = ir_arena_alloc(g->arena, t->nbytes);
        if (!nt->data) { oom(g); return -1; }
        memcpy(nt->data, t->data, t->nbytes);
        nt->external = 0;
    }
    x->data = nt;
    if (x->kind != IR_VAL_WEIGHT) x->kind = IR_VAL_CONST;
    x->dtype = t->dtype;
    x->rank = t->rank;
    for (int i = 0; i < t->rank; i++) {
        x->dims[i].v = t->dims[i];
        x->dims[i].sym = NULL;
    }
    return 0;
}

int ir_graph_add_input(ir_graph *g, int v) {
    if (grow(g, (void **)&g->inputs, &g->capinputs, g->ninputs + 1, sizeof(int))) return -1;
    g->inputs[g->ninputs++] = v;
    if (g->vals[v].kind == IR_VAL_ACT) g->vals[v].kind = IR_VAL_INPUT;
    return 0;
}

int ir_graph_add_output(ir_graph *g, int v) {
    if (grow(g, (void **)&g->outputs, &g->capoutputs, g->noutputs + 1, sizeof(int))) return -1;
    g->outputs[g->noutputs++] = v;
    g->vals[v].is_output = 1;
    return 0;
}

int ir_node_add(ir_graph *g, ir_op op, const char *name, int nin, const int *in, int nout,
                const int *out) {
    if (grow(g, (void **)&g->nodes, &g->capnodes, g->nnodes + 1, sizeof *g->nodes)) return -1;
    ir_node n = {0};
    n.op = op;
    n.name = ir_arena_strdup(g->arena, name ? name : "");
    n.nin = nin;
    n.nout = nout;
    n.in = ir_arena_alloc(g->arena, (size_t)(nin + 1) * sizeof(int));
    n.out = ir_arena_alloc(g->arena, (size_t)(nout + 1) * sizeof(int));
    if (!n.name || !n.in || !n.out) { oom(g); return -1; }
    if (nin) memcpy(n.in, in, (size_t)nin * sizeof(int));
    if (nout) memcpy(n.out, out, (size_t)nout * sizeof(int));
    int ni = g->nnodes++;
    g->nodes[ni] = n;
    for (int i = 0; i < nout; i++)
        if (out[i] >= 0 && g->vals[out[i]].producer < 0) g->vals[out[i]].producer = ni;
    return ni;
}

ir_attr *ir_node_add_attr(ir_graph *g, int node, const char *name, ir_attr_type type) {
    ir_node *n = &g->nodes[node];
    ir_attr *a = ir_arena_alloc(g->arena, (size_t)(n->nattr + 1) * sizeof *a);
    if (!a) { oom(g); return NULL; }
    if (n->nattr) memcpy(a, n->attrs, (size_t)n->nattr * sizeof *a);
    n->attrs = a;
    ir_attr *x = &a[n->nattr++];
    x->name = ir_arena_strdup(g->arena, name);
    x->type = type;
    if (!x->name) { oom(g); return NULL; }
    return x;
}

const ir_attr *ir_node_attr(const ir_node *n, const char *name) {
    for (int i = 0; i < n->nattr; i++)
        if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
    return NULL;
}

int64_t ir_attr_int(const ir_node *n, const char *name, int64_t dflt) {
    const ir_attr *a = ir_node_attr(n, name);
    return a && a->type == IR_ATTR_INT ? a->i : dflt;
}

float ir_attr_float(const ir_node *n, const char *name, float dflt) {
    const ir_attr *a = ir_node_attr(n, name);
    return a && a->type == IR_ATTR_FLOAT ? a->f : dflt;
}

const char *ir_attr_string(const ir_node *n, const char *name, const char *dflt) {
    const ir_attr *a = ir_node_attr(n, name);
    return a && a->type == IR_ATTR_STRING ? a->s : dflt;
}

ir_value *ir_node_input(ir_graph *g, const ir_node *n, int i) {
    if (i < 0 || i >= n->nin || n->in[i] < 0) return NULL;
    return &g->vals[n->in[i]];
}

/* ---- uses ---- */
int ir_uses_build(const ir_graph *g, ir_uses *u) {
    u->start = calloc((size_t)g->nvals + 2, sizeof(int));
    int total = 0;
    for (int i = 0; i < g->nnodes; i++)
        if (!g->nodes[i].dead) total += g->nodes[i].nin;
    u->node = malloc((size_t)(total + 1) * sizeof(int));
    if (!u->start || !u->node) {
        ir_uses_free(u);
        return -1;
    }
    for (int i = 0; i < g->nnodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int j = 0; j < n->nin; j++) {
            int v = n->in[j], dup = 0;
            for (int k = 0; k < j; k++)
                if (n->in[k] == v) dup = 1;
            if (v >= 0 && !dup) u->start[v + 2]++; /* a node reading v twice is one use */
        }
    }
    for (int v = 0; v < g->nvals; v++) u->start[v + 2] += u->start[v + 1];
    for (int i = 0; i < g->nnodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int j = 0; j < n->nin; j++) {
            int v = n->in[j];
            if (v < 0) continue;
            /* skip duplicates: a node reading a value twice is one use */
            int dup = 0;
            for (int k = 0; k < j; k++)
                if (n->in[k] == v) dup = 1;
            if (dup) continue;
            u->node[u->start[v + 1]++] = i;
        }
    }
    /* counting sort: v's readers are node[start[v] .. start[v+1]) */
    return 0;
}

void ir_uses_free(ir_uses *u) {
    free(u->start);
    free(u->node);
    u->start = u->node = NULL;
}

/* ---- topological order: Kahn's algorithm, smallest original index first ---- */
static void heap_push(int *h, int *n, int x) {
    int i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > x) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = x;
}

static int heap_pop(int *h, int *n) {
    int top = h[0], x = h[--*n], i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && h[c + 1] < h[c]) c++;
        if (h[c] >= x) break;
        h[i] = h[c];
        i = c;
    }
    if (*n) h[i] = x;
    return top;
}

int ir_graph_toposort(ir_graph *g) {
    int n = g->nnodes;
    if (n == 0) return 0;
    ir_uses u;
    int *indeg = calloc((size_t)n, sizeof(int));
    int *heap = malloc((size_t)n * sizeof(int));
    int *order = malloc((size_t)n * sizeof(int));
    if (!indeg || !heap || !order || ir_uses_build(g, &u)) {
        free(indeg); free(heap); free(order);
        oom(g);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const ir_node *x = &g->nodes[i];
        if (x->dead) continue; /* dead nodes are sorted anywhere; compaction drops them */
        for (int j = 0; j < x->nin; j++) {
            int v = x->in[j];
            if (v < 0) continue;
            int dup = 0;
            for (int k = 0; k < j; k++)
                if (x->in[k] == v) dup = 1;
            int p = g->vals[v].producer;
            if (!dup && p >= 0 && p != i) indeg[i]++;
            if (p == i) indeg[i] += n + 1; /* reads its own output: never ready */
        }
    }
    int nh = 0, no = 0;
    for (int i = 0; i < n; i++)
        if (indeg[i] == 0) heap_push(heap, &nh, i);
    while (nh) {
        int i = heap_pop(heap, &nh);
        order[no++] = i;
        const ir_node *x = &g->nodes[i];
        for (int j = 0; j < x->nout; j++) {
            int v = x->out[j];
            if (v < 0 || g->vals[v].producer != i) continue;
            for (int k = u.start[v]; k < u.start[v + 1]; k++) {
                int c = u.node[k];
                if (--indeg[c] == 0) heap_push(heap, &nh, c);
            }
        }
    }
    int rc = 0;
    if (no < n) {
        for (int i = 0; i < n; i++)
            if (indeg[i] > 0) {
                ir_diag_error(ir_graph_diag(g), "graph has a cycle through node '%s' (%s)",
                              g->nodes[i].name, ir_op_table[g->nodes[i].op].name);
                break;
            }
        rc = -1;
    } else {
        ir_node *nodes = ir_arena_alloc(g->arena, (size_t)n * sizeof *nodes);
        if (!nodes) { oom(g); rc = -1; }
        else {
            for (int i = 0; i < n; i++) nodes[i] = g->nodes[order[i]];
            g->nodes = nodes;
            g->capnodes = n;
            for (int v = 0; v < g->nvals; v++) g->vals[v].producer = -1;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < nodes[i].nout; j++)
                    if (nodes[i].out[j] >= 0 && g->vals[nodes[i].out[j]].producer < 0)
                        g->vals[nodes[i].out[j]].producer = i;
        }
    }
    ir_uses_free(&u);
    free(indeg); free(heap); free(order);
    return rc;
}

int ir_graph_validate(ir_graph *g) {
    ir_diag *d = ir_graph_diag(g);
    int before = d->nerr;
    int *prod = malloc((size_t)(g->nvals + 1) * sizeof(int));
    if (!prod) { oom(g); return 1; }
    for (int v = 0; v < g->nvals; v++) prod[v] = -1;
    for (int i = 0; i < g->nnodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead) continue;
        const ir_op_info *info = &ir_op_table[n->op];
        if (n->nin < info->min_in || (info->max_in >= 0 && n->nin > info->max_in))
            ir_diag_error(d, "node '%s' (%s): %d inputs, expected %d..%d", n->name, info->name,
                          n->nin, info->min_in, info->max_in);
        if (n->nout < info->min_out || (info->max_out >= 0 && n->nout > info->max_out))
            ir_diag_error(d, "node '%s' (%s): %d outputs, expected %d..%d", n->name,
                          info->name, n->nout, info->min_out, info->max_out);
        for (int j = 0; j < n->nout; j++) {
            int v = n->out[j];
            if (v < 0) continue;
            const ir_value *x = &g->vals[v];
            if (prod[v] >= 0)
                ir_diag_error(d, "value '%s' is produced by both '%s' and '%s'", x->name,
                              g->nodes[prod[v]].name, n->name);
            else if (x->kind == IR_VAL_INPUT || x->kind == IR_VAL_WEIGHT)
                ir_diag_error(d, "node '%s' (%s) output %d overwrites %s '%s'", n->name,
                              info->name, j, x->kind == IR_VAL_INPUT ? "graph input" : "initializer",
                              x->name);
            prod[v] = i;
        }
    }
    for (int i = 0; i < g->nnodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int j = 0; j < n->nin; j++) {
            int v = n->in[j];
            if (v < 0) continue;
            const ir_value *x = &g->vals[v];
            if (x->kind == IR_VAL_ACT && prod[v] < 0)
                ir_diag_error(d, "node '%s' (%s) input %d '%s' is not produced by any node, "
                              "initializer or graph input", n->name, ir_op_table[n->op].name, j,
                              x->name);
        }
    }
    for (int i = 0; i < g->noutputs; i++) {
        const ir_value *x = &g->vals[g->outputs[i]];
        if (x->kind == IR_VAL_ACT && prod[g->outputs[i]] < 0)
            ir_diag_error(d, "graph output '%s' is not produced by any node", x->name);
    }
    free(prod);
    return d->nerr - before;
}

int ir_graph_compact(ir_graph *g) {
    int n = 0;
    for (int i = 0; i < g->nnodes; i++)
        if (!g->nodes[i].dead) g->nodes[n++] = g->nodes[i];
    g->nnodes = n;
    for (int v = 0; v < g->nvals; v++) g->vals[v].producer = -1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < g->nodes[i].nout; j++)
            if (g->nodes[i].out[j] >= 0 && g->vals[g->nodes[i].out[j]].producer < 0)
                g->vals[g->nodes[i].out[j]].producer = i;
    return 0;
}

/* ---- printing ---- */
const char *ir_value_type_str(const ir_value *v, char *buf, size_t len) {
    size_t o = (size_t)snprintf(buf, len, "%s[", ir_dtype_name(v->dtype));
    if (v->rank < 0) {
        if (o < len) snprintf(buf + o, len - o, "?]");
        return buf;
    }
    for (int i = 0; i < v->rank && o < len; i++) {
        if (v->dims[i].v >= 0)
            o += (size_t)snprintf(buf + o, len - o, "%s%lld", i ? "x" : "", (long long)v->dims[i].v);
        else
            o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "x" : "",
                                  v->dims[i].sym ? v->dims[i].sym : "?");
    }
    if (o < len) snprintf(buf + o, len - o, "]");
    return buf;
}

void ir_graph_dump(const ir_graph *g, FILE *f) {
    char b[256];
    for (int i = 0; i < g->ninputs; i++)
        fprintf(f, "input %s : %s\n", g->vals[g->inputs[i]].name,
                ir_value_type_str(&g->vals[g->inputs[i]], b, sizeof b));
    for (int i = 0; i < g->nnodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead) continue;
        fprintf(f, "%4d %-12s %s (", i, ir_op_table[n->op].name, n->name);
        for (int j = 0; j < n->nin; j++)
            fprintf(f, "%s%s", j ? ", " : "", n->in[j] >= 0 ? g->vals[n->in[j]].name : "-");
        fprintf(f, ") -> ");
        for (int j = 0; j < n->nout; j++)
            if (n->out[j] >= 0)
                fprintf(f, "%s%s : %s", j ? ", " : "", g->vals[n->out[j]].name,
                        ir_value_type_str(&g->vals[n->out[j]], b, sizeof b));
        fprintf(f, "\n");
    }
    for (int i = 0; i < g->noutputs; i++)
        fprintf(f, "output %s : %s\n", g->vals[g->outputs[i]].name,
                ir_value_type_str(&g->vals[g->outputs[i]], b, sizeof b));
}
