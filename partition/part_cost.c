/* part_cost.c - what each node costs: parameter bytes, FLOPs, output bytes; and the table of
 * what each node reads, which the policies and the plan share.
 *
 * FLOPs are estimates for balancing, not benchmarks. A multiply-add counts 2. The constants
 * (per output element unless said otherwise):
 *   MatMul            2*M*N*K per batch = 2 * out_numel * K (K: A's last dim)
 *   Gemm              2*M*N*K, + M*N when C is given
 *   Einsum            2 * product of every index's size (1 input: its numel)
 *   Conv              2 * out_numel * (Cin/group) * prod(kernel), + out_numel with a bias
 *   ConvTranspose     2 * in_numel * (Cout/group) * prod(kernel), + out_numel with a bias
 *   MaxPool/AvgPool   out_numel * prod(kernel_shape); global pools: in_numel
 *   cheap elementwise 1 (Add, Mul, Relu, Clip, Cast, compares, Where, ...)
 *   transcendental    4 (Exp, Log, Tanh, Erf, Sigmoid, Gelu, Pow, trig, ...)
 *   Max/Min/Sum/Mean  (inputs - 1), at least 1
 *   BatchNorm 2, LpNorm 3, Softmax/LogSoftmax 5, Layer/Instance/GroupNorm 8, Hardmax 1,
 *   CumSum 1, Resize 4
 *   reductions, ArgMax/ArgMin/TopK, NonZero: in_numel
 *   movement and shape ops (OPF_SHAPE), Identity, Dropout, constants, OneHot: 0
 *   NegativeLogLikelihoodLoss 2 per target element; SoftmaxCrossEntropyLoss 5 per score;
 *   Shrink 1; LRN size + 4; MeanVarianceNormalization 8; Det 2/3 * M^3 per matrix
 *   (in_numel * M * 2/3); ReverseSequence 0 (moves data)
 *   If: unknown (-1; its branches are not costed)
 * A symbolic dim counts as 1 (so a dynamic batch gives per-sample FLOPs); an unknown rank,
 * or an unknown dim the formula needs (K, kernel sizes), makes the node's FLOPs -1 (counted
 * as 0 in totals).
 */
#include <stdlib.h>
#include <string.h>
#include "part_int.h"

/* ---- values ---- */
int part_value_is_param(const ir_graph *g, int v) {
    const ir_value *x = &g->vals[v];
    return (x->kind == IR_VAL_WEIGHT || x->kind == IR_VAL_CONST) && x->producer < 0;
}

int64_t part_value_bytes(const ir_graph *g, int v) {
    const ir_value *x = &g->vals[v];
    if (x->data && x->producer < 0) return (int64_t)x->data->nbytes;
    int64_t n = ir_shape_numel(x->rank, x->dims);
    if (n < 0) return 0;
    int64_t b = ir_mul_checked(n, (int64_t)ir_dtype_size(x->dtype));
    return b < 0 ? 0 : b;
}

/* ---- what each node reads ---- */
typedef struct readbuf {
    int *val;
    size_t n, cap;
    int *seen;        /* per value: last node (+1) that recorded it */
    int oom;
} readbuf;

static void rb_add(readbuf *b, int node, int v) {
    if (v < 0 || b->seen[v] == node + 1) return;
    b->seen[v] = node + 1;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        if (cap > (size_t)INT32_MAX) { b->oom = 1; return; }
        int *p = realloc(b->val, cap * sizeof *p);
        if (!p) { b->oom = 1; return; }
        b->val = p;
        b->cap = cap;
    }
    b->val[b->n++] = v;
}

/* Names a subgraph captures from the enclosing graphs, resolved in the root graph g. */
static void rb_captures(readbuf *b, const ir_graph *g, int node, const ir_graph *sub) {
    for (int v = 0; v < sub->nvals; v++)
        if (sub->vals[v].kind == IR_VAL_OUTER) rb_add(b, node, ir_value_find(g, sub->vals[v].name));
    for (int i = 0; i < sub->nnodes; i++)
        for (int a = 0; a < sub->nodes[i].nattr; a++)
            if (sub->nodes[i].attrs[a].type == IR_ATTR_GRAPH && sub->nodes[i].attrs[a].g)
                rb_captures(b, g, node, sub->nodes[i].attrs[a].g);
}

int part_reads_build(const ir_graph *g, part_reads *r) {
    readbuf b = {0};
    r->start = part_calloc((size_t)g->nnodes + 1, sizeof *r->start);
    b.seen = part_calloc((size_t)g->nvals + 1, sizeof *b.seen);
    if (!r->start || !b.seen) b.oom = 1;
    for (int i = 0; i < g->nnodes && !b.oom; i++) {
        const ir_node *n = &g->nodes[i];
        r->start[i] = (int)b.n;
        if (n->dead) continue;
        for (int j = 0; j < n->nin; j++) rb_add(&b, i, n->in[j]);
        for (int a = 0; a < n->nattr; a++)
            if (n->attrs[a].type == IR_ATTR_GRAPH && n->attrs[a].g)
                rb_captures(&b, g, i, n->attrs[a].g);
    }
    free(b.seen);
    if (b.oom) {
        free(b.val);
        free(r->start);
        r->start = r->val = NULL;
        return -1;
    }
    r->start[g->nnodes] = (int)b.n;
    r->val = b.val ? b.val : part_calloc(1, sizeof(int));
    if (!r->val) { free(r->start); r->start = NULL; return -1; }
    return 0;
}

void part_reads_free(part_reads *r) {
    free(r->start);
    free(r->val);
    r->start = r->val = NULL;
}

/* ---- FLOPs ---- */
/* Elements of v with a symbolic dim (the batch, most often) counted as 1: per-sample FLOPs
 * still rank stages where a dynamic batch would otherwise make every count unknown. */
static int64_t numel_of(const ir_graph *g, int v) {
    if (v < 0 || g->vals[v].rank < 0) return -1;
    int64_t n = 1;
    for (int i = 0; i < g->vals[v].rank && n >= 0; i++)
        n = ir_mul_checked(n, g->vals[v].dims[i].v >= 0 ? g->vals[v].dims[i].v : 1);
    return n;
}

static int64_t mul3(int64_t a, int64_t b, int64_t c) { return ir_mul_checked(ir_mul_checked(a, b), c); }

/* Product of dims [from, rank) of value v; -1 if unknown. */
static int64_t dims_prod(const ir_graph *g, int v, int from) {
    const ir_value *x = &g->vals[v];
    if (x->rank < from) return -1;
    return ir_shape_numel(x->rank - from, x->dims + from);
}

static int64_t dim_of(const ir_graph *g, int v, int i) {
    const ir_value *x = &g->vals[v];
    if (v < 0 || x->rank < 0) return -1;
    if (i < 0) i += x->rank;
    return i >= 0 && i < x->rank ? x->dims[i].v : -1;
}

static int has_input(const ir_node *n, int i) { return i < n->nin && n->in[i] >= 0; }

/* Einsum: every combination of index values is one multiply-add. */
static int64_t einsum_flops(const ir_graph *g, const ir_node *n, int64_t out) {
    const char *eq = ir_attr_string(n, "equation", NULL);
    if (!eq || n->nin < 1) return -1;
    if (n->nin == 1) return numel_of(g, n->in[0]);
    int64_t size[128];
    int count[128] = {0};
    for (int i = 0; i < 128; i++) size[i] = -1;
    const char *arrow = strstr(eq, "->");
    const char *p = eq;
    for (int k = 0; k < n->nin; k++) {
        if (n->in[k] < 0) return -1;
        const char *end = p;
        while (*end && *end != ',' && (!arrow || end < arrow)) end++;
        int letters = 0, ell = 0;
        for (const char *q = p; q < end; q++) {
            if (*q == '.') ell = 1;
            else if ((unsigned char)*q < 128 && *q != ' ') letters++;
        }
        int rank = g->vals[n->in[k]].rank;
        if (rank < 0) return -1;
        int pos = 0;
        for (const char *q = p; q < end; q++) {
            if (*q == '.') {
                if (ell) pos += rank - letters;
                ell = 0;
                continue;
            }
            if (*q == ' ' || (unsigned char)*q >= 128) continue;
            int64_t d = dim_of(g, n->in[k], pos++);
            if (d < 0) return -1;
            if (size[(int)*q] < d) size[(int)*q] = d; /* broadcast 1 vs d: take d */
            count[(int)*q]++;
        }
        p = *end == ',' ? end + 1 : end;
    }
    int64_t all = 1, outl = 1;
    for (int c = 0; c < 128; c++) {
        if (size[c] < 0) continue;
        all = ir_mul_checked(all, size[c]);
        int in_out = arrow ? strchr(arrow + 2, c) != NULL : count[c] == 1;
        if (in_out) outl = ir_mul_checked(outl, size[c]);
    }
    if (all < 0 || outl < 0 || out < 0) return -1;
    int64_t ell_numel = outl > 0 ? out / outl : 0; /* broadcast ("...") dims of the output */
    return mul3(2, all, ell_numel);
}

static int64_t node_flops(const ir_graph *g, const ir_node *n) {
    int64_t out = n->nout > 0 ? numel_of(g, n->out[0]) : -1;
    int64_t in0 = n->nin > 0 ? numel_of(g, n->in[0]) : -1;
    int64_t per = 0; /* per output element, for the simple families */
    switch (n->op) {
    /* cheap elementwise */
    case IR_OP_ABS: case IR_OP_NEG: case IR_OP_FLOOR: case IR_OP_CEIL: case IR_OP_ROUND:
    case IR_OP_SIGN: case IR_OP_RELU: case IR_OP_LEAKYRELU: case IR_OP_THRESHOLDEDRELU:
    case IR_OP_NOT: case IR_OP_BITWISENOT: case IR_OP_ISNAN: case IR_OP_ISINF: case IR_OP_CLIP:
    case IR_OP_CAST: case IR_OP_CASTLIKE: case IR_OP_HARDSIGMOID: case IR_OP_HARDSWISH:
    case IR_OP_RECIPROCAL: case IR_OP_SQRT:
    case IR_OP_ADD: case IR_OP_SUB: case IR_OP_MUL: case IR_OP_DIV: case IR_OP_MOD:
    case IR_OP_PRELU: case IR_OP_EQUAL: case IR_OP_LESS: case IR_OP_LESSOREQUAL:
    case IR_OP_GREATER: case IR_OP_GREATEROREQUAL: case IR_OP_AND: case IR_OP_OR: case IR_OP_XOR:
    case IR_OP_BITWISEAND: case IR_OP_BITWISEOR: case IR_OP_BITWISEXOR: case IR_OP_BITSHIFT:
    case IR_OP_WHERE: case IR_OP_HARDMAX: case IR_OP_CUMSUM:
        per = 1;
        break;
    /* transcendental */
    case IR_OP_EXP: case IR_OP_LOG: case IR_OP_ELU: case IR_OP_SELU: case IR_OP_CELU:
    case IR_OP_SIGMOID: case IR_OP_SOFTPLUS: case IR_OP_SOFTSIGN: case IR_OP_MISH:
    case IR_OP_GELU: case IR_OP_TANH: case IR_OP_ERF: case IR_OP_SIN: case IR_OP_COS:
    case IR_OP_TAN: case IR_OP_ASIN: case IR_OP_ACOS: case IR_OP_ATAN: case IR_OP_SINH:
    case IR_OP_COSH: case IR_OP_ASINH: case IR_OP_ACOSH: case IR_OP_ATANH: case IR_OP_POW:
    case IR_OP_RESIZE:
        per = 4;
        break;
    case IR_OP_MAX: case IR_OP_MIN: case IR_OP_SUM: case IR_OP_MEAN:
        per = n->nin > 1 ? n->nin - 1 : 1;
        break;
    case IR_OP_BATCHNORMALIZATION: per = 2; break;
    case IR_OP_LPNORMALIZATION: per = 3; break;
    case IR_OP_SOFTMAX: case IR_OP_LOGSOFTMAX: per = 5; break;
    case IR_OP_LAYERNORMALIZATION: case IR_OP_INSTANCENORMALIZATION:
    case IR_OP_GROUPNORMALIZATION:
        per = 8;
        break;
    case IR_OP_MATMUL: {
        int64_t k = n->nin >= 1 ? dim_of(g, n->in[0], -1) : -1;
        if (k < 0 || out < 0) return -1;
        return mul3(2, out, k);
    }
    case IR_OP_GEMM: {
        if (n->nin < 2 || n->in[0] < 0 || g->vals[n->in[0]].rank != 2 || out < 0) return -1;
        int64_t k = dim_of(g, n->in[0], ir_attr_int(n, "transA", 0) ? 0 : 1);
        if (k < 0) return -1;
        int64_t f = mul3(2, out, k);
        return f < 0 ? -1 : part_add_sat(f, has_input(n, 2) ? out : 0);
    }
    case IR_OP_EINSUM:
        return einsum_flops(g, n, out);
    case IR_OP_CONV: {
        if (n->nin < 2 || n->in[1] < 0 || out < 0) return -1;
        int64_t cin = dim_of(g, n->in[1], 1), kern = dims_prod(g, n->in[1], 2);
        if (cin < 0 || kern < 0) return -1;
        int64_t f = mul3(2, out, ir_mul_checked(cin, kern));
        return f < 0 ? -1 : part_add_sat(f, has_input(n, 2) ? out : 0);
    }
    case IR_OP_CONVTRANSPOSE: {
        if (n->nin < 2 || n->in[1] < 0 || in0 < 0 || out < 0) return -1;
        int64_t cout = dim_of(g, n->in[1], 1), kern = dims_prod(g, n->in[1], 2);
        if (cout < 0 || kern < 0) return -1;
        int64_t f = mul3(2, in0, ir_mul_checked(cout, kern));
        return f < 0 ? -1 : part_add_sat(f, has_input(n, 2) ? out : 0);
    }
    case IR_OP_MAXPOOL: case IR_OP_AVERAGEPOOL: {
        const ir_attr *ks = ir_node_attr(n, "kernel_shape");
        if (!ks || ks->type != IR_ATTR_INTS || out < 0) return -1;
        int64_t k = 1;
        for (int i = 0; i < ks->n; i++) k = ir_mul_checked(k, ks->ints[i]);
        return ir_mul_checked(out, k);
    }
    case IR_OP_GLOBALAVERAGEPOOL: case IR_OP_GLOBALMAXPOOL:
    case IR_OP_REDUCESUM: case IR_OP_REDUCEMEAN: case IR_OP_REDUCEMAX: case IR_OP_REDUCEMIN:
    case IR_OP_REDUCEPROD: case IR_OP_REDUCEL1: case IR_OP_REDUCEL2: case IR_OP_REDUCELOGSUM:
    case IR_OP_REDUCELOGSUMEXP: case IR_OP_REDUCESUMSQUARE: case IR_OP_ARGMAX: case IR_OP_ARGMIN:
    case IR_OP_TOPK: case IR_OP_NONZERO:
        return in0;
    /* data movement, shapes, constants: no arithmetic */
    case IR_OP_IDENTITY: case IR_OP_DROPOUT:
    case IR_OP_RESHAPE: case IR_OP_FLATTEN: case IR_OP_SQUEEZE: case IR_OP_UNSQUEEZE:
    case IR_OP_TRANSPOSE: case IR_OP_CONCAT: case IR_OP_SPLIT: case IR_OP_SLICE:
    case IR_OP_GATHER: case IR_OP_GATHERELEMENTS: case IR_OP_GATHERND:
    case IR_OP_SCATTERELEMENTS: case IR_OP_SCATTERND: case IR_OP_EXPAND: case IR_OP_TILE:
    case IR_OP_PAD: case IR_OP_DEPTHTOSPACE: case IR_OP_SPACETODEPTH: case IR_OP_TRILU:
    case IR_OP_ONEHOT: case IR_OP_SHAPE: case IR_OP_SIZE: case IR_OP_CONSTANT:
    case IR_OP_CONSTANTOFSHAPE: case IR_OP_RANGE: case IR_OP_EYELIKE:
        return 0;
    case IR_OP_SHRINK:
        per = 1;
        break;
    case IR_OP_MEANVARIANCENORMALIZATION:
        per = 8;
        break;
    case IR_OP_LRN: {
        int64_t size = ir_attr_int(n, "size", 1);
        per = size >= 1 && size <= (1 << 20) ? size + 4 : -1;
        if (per < 0) return -1;
        break;
    }
    case IR_OP_NEGATIVELOGLIKELIHOODLOSS: {
        int64_t t = n->nin > 1 ? numel_of(g, n->in[1]) : -1;
        return t < 0 ? -1 : ir_mul_checked(t, 2);
    }
    case IR_OP_SOFTMAXCROSSENTROPYLOSS:
        return in0 < 0 ? -1 : ir_mul_checked(in0, 5);
    case IR_OP_DET: {
        int64_t m = n->nin > 0 ? dim_of(g, n->in[0], -1) : -1;
        if (m < 0 || in0 < 0) return -1;
        int64_t f = ir_mul_checked(in0, m);
        return f < 0 ? -1 : f / 3 * 2;
    }
    case IR_OP_REVERSESEQUENCE:
        return 0;
    case IR_OP_QUANTIZELINEAR: case IR_OP_DEQUANTIZELINEAR:
        per = 2;
        break;
    case IR_OP_DYNAMICQUANTIZELINEAR:       /* a min/max pass, then quantize */
        return in0 < 0 ? -1 : ir_mul_checked(in0, 4);
    case IR_OP_IF:
        return -1;
    case IR_OP_COUNT:
        return -1;
    }
    if (out < 0) return -1;
    return ir_mul_checked(out, per);
}

/* ---- per-node costs ---- */
int part_costs_compute(const ir_graph *g, part_costs *c) {
    memset(c, 0, sizeof *c);
    size_t n = (size_t)g->nnodes + 1;
    part_reads r;
    c->nnodes = g->nnodes;
    c->param_bytes = part_calloc(n, sizeof(int64_t));
    c->flops = part_calloc(n, sizeof(int64_t));
    c->out_bytes = part_calloc(n, sizeof(int64_t));
    unsigned char *counted = part_calloc((size_t)g->nvals + 1, 1);
    if (!c->param_bytes || !c->flops || !c->out_bytes || !counted || part_reads_build(g, &r)) {
        free(counted);
        part_costs_free(c);
        return -1;
    }
    for (int i = 0; i < g->nnodes; i++) {
        const ir_node *x = &g->nodes[i];
        if (x->dead) continue;
        for (int k = r.start[i]; k < r.start[i + 1]; k++) {
            int v = r.val[k];
            if (!part_value_is_param(g, v) || counted[v]) continue;
            counted[v] = 1;
            c->param_bytes[i] = part_add_sat(c->param_bytes[i], part_value_bytes(g, v));
        }
        c->flops[i] = node_flops(g, x);
        for (int j = 0; j < x->nout; j++)
            if (x->out[j] >= 0) c->out_bytes[i] = part_add_sat(c->out_bytes[i], part_value_bytes(g, x->out[j]));
        c->total_param_bytes = part_add_sat(c->total_param_bytes, c->param_bytes[i]);
        if (c->flops[i] > 0) c->total_flops = part_add_sat(c->total_flops, c->flops[i]);
    }
    free(counted);
    part_reads_free(&r);
    return 0;
}

void part_costs_free(part_costs *c) {
    free(c->param_bytes);
    free(c->flops);
    free(c->out_bytes);
    memset(c, 0, sizeof *c);
}
