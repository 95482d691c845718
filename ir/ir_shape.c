/* ir_shape.c - shape and dtype inference: the shared helpers, the dispatch over every op of
 * the op table, and the shape functions of the elementwise, linear-algebra, convolution,
 * normalization, reduction, loss (and the other ops of the CPU's nn family), quantization
 * and control-flow ops. Data movement, shape-producing and constant ops are in ir_shape2.c.
 *
 * Each op is inferred in its newest ONNX form (the frontend normalizes older opsets). Unknown
 * stays unknown (rank -1, dim -1): that is never an error. A contradiction (dims that cannot
 * broadcast, an axis out of range, a reshape that changes the element count) is a diagnostic
 * naming the node. Nothing here trusts a user's file: every size is checked before use. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "ir.h"
#include "ir_shape_int.h"
#include "rt_cpu.h"

/* ---- shared helpers ---- */

static const ir_value sh_nothing = {.name = "", .dtype = IR_DT_UNDEF, .rank = -1,
                                    .producer = -1};

void sh_err(sh_ctx *c, const char *fmt, ...) {
    char buf[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ir_diag_error(c->d, "node '%s' (%s): %s", c->n->name, ir_op_table[c->n->op].name, buf);
    c->nerr++;
}

int sh_present(sh_ctx *c, int i) { return i >= 0 && i < c->n->nin && c->n->in[i] >= 0; }

const ir_value *sh_in(sh_ctx *c, int i) {
    return sh_present(c, i) ? &c->g->vals[c->n->in[i]] : &sh_nothing;
}

int sh_is_int_dtype(int dt) {
    switch (dt) {
    case IR_DT_INT8: case IR_DT_INT16: case IR_DT_INT32: case IR_DT_INT64:
    case IR_DT_UINT8: case IR_DT_UINT16: case IR_DT_UINT32: case IR_DT_UINT64:
        return 1;
    default:
        return 0;
    }
}

int sh_valid_dtype(int64_t dt) {
    return dt > IR_DT_UNDEF && dt < IR_DT_COUNT && (dt == IR_DT_STRING || ir_dtype_size((int)dt));
}

const ir_tensor *sh_data(sh_ctx *c, int i) {
    if (!sh_present(c, i)) return NULL;
    const ir_value *v = &c->g->vals[c->n->in[i]];
    const ir_tensor *t = v->data;
    if (!t && v->kind == IR_VAL_OUTER) {
        /* a name captured from an enclosing graph: its data, if that one is constant */
        for (const ir_graph *p = c->g->parent; p && !t; p = p->parent) {
            int k = ir_value_find(p, v->name);
            if (k >= 0) {
                t = p->vals[k].data;
                break;
            }
        }
    }
    if (!t) return NULL;
    size_t es = ir_dtype_size(t->dtype);
    int64_t numel = t->rank >= 0 && t->rank <= IR_MAX_RANK ? ir_tensor_numel(t) : -1;
    int64_t need = es ? ir_mul_checked(numel, (int64_t)es) : -1;
    if (need < 0 || (uint64_t)need > t->nbytes || (need > 0 && !t->data)) {
        sh_err(c, "input %d '%s': constant of type %s holds %zu bytes, which does not fit its "
               "shape", i, v->name, ir_dtype_name(t->dtype), t->nbytes);
        return NULL;
    }
    return t;
}

int sh_ints(sh_ctx *c, int i, const char *what, int64_t *buf, int maxn, int *cnt) {
    *cnt = 0;
    const ir_tensor *t = sh_data(c, i);
    if (!t) return 0;
    if (t->rank > 1) {
        sh_err(c, "input %d (%s) must be 1-D, got rank %d", i, what, t->rank);
        return -1;
    }
    if (!sh_is_int_dtype(t->dtype)) {
        sh_err(c, "input %d (%s) must be an integer tensor, got %s", i, what,
               ir_dtype_name(t->dtype));
        return -1;
    }
    int64_t n = ir_tensor_numel(t);
    if (n > maxn) {
        sh_err(c, "input %d (%s) has %lld elements, more than %d", i, what, (long long)n, maxn);
        return -1;
    }
    for (int64_t k = 0; k < n; k++) buf[k] = ir_tensor_get_i64(t, k);
    *cnt = (int)n;
    return 1;
}

const int64_t *sh_attr_ints(sh_ctx *c, const char *name, int *cnt) {
    *cnt = 0;
    const ir_attr *a = ir_node_attr(c->n, name);
    if (!a) return NULL;
    if (a->type != IR_ATTR_INTS) {
        sh_err(c, "attribute %s must be a list of ints", name);
        return NULL;
    }
    *cnt = a->n;
    return a->ints;
}

int sh_ints_or_attr(sh_ctx *c, int i, const char *attr, int64_t *buf, int maxn, int *cnt) {
    if (sh_present(c, i)) return sh_ints(c, i, attr, buf, maxn, cnt);
    int n;
    const int64_t *a = sh_attr_ints(c, attr, &n);
    if (!a) {
        *cnt = -1;
        return 0;
    }
    if (n > maxn) {
        sh_err(c, "attribute %s has %d values, more than %d", attr, n, maxn);
        return -1;
    }
    memcpy(buf, a, (size_t)n * sizeof *buf);
    *cnt = n;
    return 1;
}

int sh_axis(sh_ctx *c, int64_t axis, int rank, const char *what, int *out) {
    if (axis < -(int64_t)rank || axis >= rank) {
        sh_err(c, "%s %lld is out of range for rank %d", what, (long long)axis, rank);
        return -1;
    }
    *out = (int)(axis < 0 ? axis + rank : axis);
    return 0;
}

const char *sh_dims_str(int rank, const ir_dim *d, char *buf, size_t len) {
    if (rank < 0) {
        snprintf(buf, len, "[?]");
        return buf;
    }
    size_t o = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < rank && o < len; i++) {
        const char *sep = i ? "x" : "";
        if (d[i].v >= 0)
            o += (size_t)snprintf(buf + o, len - o, "%s%lld", sep, (long long)d[i].v);
        else
            o += (size_t)snprintf(buf + o, len - o, "%s%s", sep, d[i].sym ? d[i].sym : "?");
    }
    if (o < len) snprintf(buf + o, len - o, "]");
    return buf;
}

int64_t sh_add_checked(int64_t a, int64_t b) {
    if (a < 0 || b < 0 || a > INT64_MAX - b) return -1;
    return a + b;
}

int sh_dim_same(ir_dim a, ir_dim b) {
    if (a.v >= 0 || b.v >= 0) return a.v == b.v;
    return a.sym && b.sym && strcmp(a.sym, b.sym) == 0;
}

int sh_out(sh_ctx *c, int i, int dtype, int rank, const ir_dim *dims) {
    if (i < 0 || i >= c->n->nout || c->n->out[i] < 0) return 0;
    ir_value *v = &c->g->vals[c->n->out[i]];
    if (rank > IR_MAX_RANK) {
        sh_err(c, "output %d '%s' would have rank %d, more than %d", i, v->name, rank,
               IR_MAX_RANK);
        return -1;
    }
    if (dtype != IR_DT_UNDEF) {
        if (v->dtype != IR_DT_UNDEF && v->dtype != dtype) {
            sh_err(c, "output %d '%s' is declared %s but inferred %s", i, v->name,
                   ir_dtype_name(v->dtype), ir_dtype_name(dtype));
            return -1;
        }
        v->dtype = dtype;
    }
    if (rank < 0) return 0;
    int clash = v->rank >= 0 && v->rank != rank;
    for (int j = 0; j < rank && !clash && v->rank >= 0; j++)
        if (dims[j].v >= 0 && v->dims[j].v >= 0 && dims[j].v != v->dims[j].v) clash = 1;
    if (clash) {
        char a[160], b[160];
        sh_err(c, "output %d '%s' is declared %s but inferred %s", i, v->name,
               sh_dims_str(v->rank, v->dims, a, sizeof a), sh_dims_str(rank, dims, b, sizeof b));
        return -1;
    }
    if (v->rank < 0) {
        v->rank = rank;
        for (int j = 0; j < rank; j++) v->dims[j] = sh_unknown();
    }
    for (int j = 0; j < rank; j++) {
        ir_dim d = dims[j];
        if (d.v >= 0)
            v->dims[j] = d;                  /* known: inference wins */
        else if (v->dims[j].v < 0 && d.sym)
            v->dims[j] = d;                  /* a symbol beats none or another */
        /* else keep what was declared: it knows as much or more */
    }
    return 0;
}

int sh_broadcast(sh_ctx *c, int n, const sh_bin *in, int *rank, ir_dim *dims) {
    int r = 0;
    for (int j = 0; j < n; j++) {
        if (in[j].rank < 0) {
            *rank = -1;
            return 0;
        }
        if (in[j].rank > r) r = in[j].rank;
    }
    for (int k = 0; k < r; k++) {
        int64_t known = 1;
        int from = -1, nunknown = 0, nosym = 0, conflict = 0;
        const char *sym = NULL;
        for (int j = 0; j < n; j++) {
            if (k >= in[j].rank) continue;  /* a missing leading dim is a 1 */
            ir_dim d = in[j].d[in[j].rank - 1 - k];
            if (d.v >= 0) {
                if (d.v == 1) continue;
                if (from < 0) {
                    known = d.v;
                    from = j;
                } else if (d.v != known) {
                    char a[160], b[160];
                    sh_err(c, "inputs %d and %d do not broadcast: %lld vs %lld (shapes %s and %s)",
                           in[from].idx, in[j].idx, (long long)known, (long long)d.v,
                           sh_dims_str(in[from].rank, in[from].d, a, sizeof a),
                           sh_dims_str(in[j].rank, in[j].d, b, sizeof b));
                    return -1;
                }
            } else {
                nunknown++;
                if (!d.sym) nosym = 1;
                else if (!sym) sym = d.sym;
                else if (strcmp(sym, d.sym) != 0) conflict = 1;
            }
        }
        ir_dim o = sh_known(1);
        if (from >= 0) o = sh_known(known);
        else if (nunknown) {
            o = sh_unknown();
            if (!nosym && !conflict) o.sym = sym;
        }
        dims[r - 1 - k] = o;
    }
    *rank = r;
    return 0;
}

/* ---- elementwise ---- */

/* Unary elementwise: Y has X's shape; dtype X's unless dt is given (Cast, IsNaN, ...). */
static void sh_unary(sh_ctx *c, int dt) {
    const ir_value *x = sh_in(c, 0);
    sh_out(c, 0, dt ? dt : x->dtype, x->rank, x->dims);
}

/* Cast(input) -> output; attr to (a TensorProto.DataType) */
static void sh_cast(sh_ctx *c) {
    const ir_attr *a = ir_node_attr(c->n, "to");
    if (!a || a->type != IR_ATTR_INT) {
        sh_err(c, "attribute to is missing");
        return;
    }
    if (!sh_valid_dtype(a->i)) {
        sh_err(c, "attribute to=%lld is not a supported data type", (long long)a->i);
        return;
    }
    sh_unary(c, (int)a->i);
}

/* Dropout(data, ratio?, training_mode?) -> output, mask? (bool, data's shape) */
static void sh_dropout(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    sh_out(c, 0, x->dtype, x->rank, x->dims);
    sh_out(c, 1, IR_DT_BOOL, x->rank, x->dims);
}

/* Broadcasting elementwise ops over all inputs: Add(A, B), Sum(data_0, ...), Where(condition,
 * X, Y) ... Inputs from `same` on must share one dtype (when check_dtype); the output takes
 * it, or input dt_input's when that is >= 0, or bool for comparisons. */
static void sh_elementwise(sh_ctx *c, int same, int check_dtype, int dt_input) {
    ir_node *n = c->n;
    sh_bin b[64];
    int nb = 0, dt = IR_DT_UNDEF, dt_from = -1;
    if (n->nin > 64) {
        sh_err(c, "%d inputs; at most 64 are supported", n->nin);
        return;
    }
    for (int i = 0; i < n->nin; i++) {
        const ir_value *v = sh_in(c, i);
        if (!sh_present(c, i)) {
            sh_err(c, "input %d is missing", i);
            return;
        }
        b[nb++] = (sh_bin){v->rank, v->dims, i};
        if (i < same || v->dtype == IR_DT_UNDEF) continue;
        if (dt == IR_DT_UNDEF) {
            dt = v->dtype;
            dt_from = i;
        } else if (check_dtype && v->dtype != dt) {
            sh_err(c, "input %d is %s but input %d is %s", i, ir_dtype_name(v->dtype), dt_from,
                   ir_dtype_name(dt));
            return;
        }
    }
    if (n->op == IR_OP_WHERE) {
        int cd = sh_in(c, 0)->dtype;
        if (cd != IR_DT_UNDEF && cd != IR_DT_BOOL) {
            sh_err(c, "input 0 (condition) must be bool, got %s", ir_dtype_name(cd));
            return;
        }
    }
    int rank;
    ir_dim dims[IR_MAX_RANK];
    if (sh_broadcast(c, nb, b, &rank, dims)) return;
    if (dt_input >= 0) dt = sh_in(c, dt_input)->dtype;
    if (ir_op_table[n->op].flags & OPF_CMP) dt = IR_DT_BOOL;
    sh_out(c, 0, dt, rank, dims);
}

/* ---- linear algebra ---- */

/* MatMul(A, B) -> Y with numpy semantics: 1-D operands get a dim prepended (A) or appended
 * (B) and removed afterwards; batch dims broadcast. */
static void sh_matmul(sh_ctx *c) {
    const ir_value *a = sh_in(c, 0), *b = sh_in(c, 1);
    ir_value bt;
    if (ir_attr_int(c->n, RT_ATTR_MATMUL_TRANSB, 0)) { /* fused MatMul(A, Transpose(B)) */
        if (b->rank != 2) {
            sh_err(c, "%s needs a 2-D input 1, got rank %d", RT_ATTR_MATMUL_TRANSB, b->rank);
            return;
        }
        bt = *b;
        bt.dims[0] = b->dims[1];
        bt.dims[1] = b->dims[0];
        b = &bt;
    }
    int dt = a->dtype ? a->dtype : b->dtype;
    if (a->dtype && b->dtype && a->dtype != b->dtype) {
        sh_err(c, "input 0 is %s but input 1 is %s", ir_dtype_name(a->dtype),
               ir_dtype_name(b->dtype));
        return;
    }
    for (int i = 0; i < 2; i++)
        if (sh_in(c, i)->rank == 0) {
            sh_err(c, "input %d is a scalar; MatMul needs rank >= 1", i);
            return;
        }
    if (a->rank < 0 || b->rank < 0) {
        sh_out(c, 0, dt, -1, NULL);
        return;
    }
    int ra = a->rank, rb = b->rank;
    ir_dim ka = a->dims[ra - 1], kb = rb == 1 ? b->dims[0] : b->dims[rb - 2];
    if (ka.v >= 0 && kb.v >= 0 && ka.v != kb.v) {
        char s1[160], s2[160];
        sh_err(c, "inner dimensions do not match: %lld vs %lld (shapes %s and %s)",
               (long long)ka.v, (long long)kb.v, sh_dims_str(ra, a->dims, s1, sizeof s1),
               sh_dims_str(rb, b->dims, s2, sizeof s2));
        return;
    }
    sh_bin bb[2] = {{ra > 2 ? ra - 2 : 0, a->dims, 0}, {rb > 2 ? rb - 2 : 0, b->dims, 1}};
    int r;
    ir_dim d[IR_MAX_RANK];
    if (sh_broadcast(c, 2, bb, &r, d)) return;
    if (ra > 1) d[r++] = a->dims[ra - 2];
    if (rb > 1) d[r++] = b->dims[rb - 1];
    sh_out(c, 0, dt, r, d);
}

/* Gemm(A, B, C?) -> Y = alpha*A'*B' + beta*C; attrs transA, transB; C broadcasts to [M,N] */
static void sh_gemm(sh_ctx *c) {
    const ir_value *a = sh_in(c, 0), *b = sh_in(c, 1), *cc = sh_in(c, 2);
    for (int i = 0; i < 2; i++)
        if (sh_in(c, i)->rank >= 0 && sh_in(c, i)->rank != 2) {
            sh_err(c, "input %d must be 2-D, got rank %d", i, sh_in(c, i)->rank);
            return;
        }
    int ta = ir_attr_int(c->n, "transA", 0) != 0, tb = ir_attr_int(c->n, "transB", 0) != 0;
    ir_dim m = sh_unknown(), nn = sh_unknown(), k1 = sh_unknown(), k2 = sh_unknown();
    if (a->rank == 2) m = a->dims[ta], k1 = a->dims[!ta];
    if (b->rank == 2) k2 = b->dims[tb], nn = b->dims[!tb];
    if (k1.v >= 0 && k2.v >= 0 && k1.v != k2.v) {
        sh_err(c, "inner dimensions do not match: %lld vs %lld (transA=%d, transB=%d)",
               (long long)k1.v, (long long)k2.v, ta, tb);
        return;
    }
    ir_dim y[2] = {m, nn};
    if (cc->rank > 2) {
        sh_err(c, "input 2 must have rank <= 2, got %d", cc->rank);
        return;
    }
    for (int j = 0; j < cc->rank; j++) {
        ir_dim d = cc->dims[j], t = y[2 - cc->rank + j];
        if (d.v >= 0 && d.v != 1 && t.v >= 0 && d.v != t.v) {
            char s1[160], s2[160];
            sh_err(c, "input 2 %s does not broadcast to %s", sh_dims_str(cc->rank, cc->dims,
                   s1, sizeof s1), sh_dims_str(2, y, s2, sizeof s2));
            return;
        }
    }
    sh_out(c, 0, a->dtype ? a->dtype : b->dtype, 2, y);
}

/* Einsum(Inputs...) -> Output; attr equation "ab,bc->ac", with "..." for broadcast dims.
 * Without "->" the output is the ellipsis dims then the labels used once, in ASCII order. */
static void sh_einsum(sh_ctx *c) {
    const char *eq = ir_attr_string(c->n, "equation", NULL);
    if (!eq) {
        sh_err(c, "attribute equation is missing");
        return;
    }
    char e[512];
    size_t len = 0;
    for (const char *p = eq; *p; p++)
        if (*p != ' ') {
            if (len + 1 >= sizeof e) {
                sh_err(c, "equation is longer than %zu characters", sizeof e - 1);
                return;
            }
            e[len++] = *p;
        }
    e[len] = 0;
    char *arrow = strstr(e, "->");
    if (arrow) *arrow = 0;
    const char *rhs = arrow ? arrow + 2 : NULL;
    /* label dims: index 0..51 for a-z A-Z */
    ir_dim lab[52];
    int count[52] = {0}, seen[52] = {0}, ones[52] = {0}, nosym[52] = {0};
    for (int i = 0; i < 52; i++) lab[i] = sh_unknown();
    sh_bin ell[64];
    int nell = 0, ell_unknown = 0, any_ell = 0;
    int dt = sh_in(c, 0)->dtype;
    const char *p = e;
    int term = 0;
    for (;; term++) {
        if (term >= c->n->nin) {
            sh_err(c, "equation '%s' has more terms than the %d inputs", eq, c->n->nin);
            return;
        }
        const ir_value *v = sh_in(c, term);
        if (v->dtype && dt && v->dtype != dt) {
            sh_err(c, "input %d is %s but input 0 is %s", term, ir_dtype_name(v->dtype),
                   ir_dtype_name(dt));
            return;
        }
        int labels[IR_MAX_RANK * 2], nl = 0, ellpos = -1;
        for (; *p && *p != ','; p++) {
            if (p[0] == '.' && p[1] == '.' && p[2] == '.') {
                if (ellpos >= 0) {
                    sh_err(c, "equation '%s': term %d has two ellipses", eq, term);
                    return;
                }
                ellpos = nl;
                p += 2;
                continue;
            }
            int l = *p >= 'a' && *p <= 'z' ? *p - 'a' : *p >= 'A' && *p <= 'Z' ? *p - 'A' + 26 : -1;
            if (l < 0) {
                sh_err(c, "equation '%s': unexpected character '%c'", eq, *p);
                return;
            }
            if (nl >= IR_MAX_RANK * 2) {
                sh_err(c, "equation '%s': term %d has too many labels", eq, term);
                return;
            }
            labels[nl++] = l;
        }
        int r = v->rank;
        int ne = 0;
        if (r >= 0) {
            ne = r - nl;
            if (ne < 0 || (ellpos < 0 && ne != 0)) {
                sh_err(c, "equation '%s': term %d has %d labels but input %d has rank %d", eq,
                       term, nl, term, r);
                return;
            }
        }
        for (int k = 0; k < nl; k++) {
            int l = labels[k];
            count[l]++;
            seen[l] = 1;
            if (r < 0) continue;
            ir_dim d = v->dims[k < ellpos || ellpos < 0 ? k : k + ne];
            ir_dim *L = &lab[l];
            /* a label's dims broadcast like numpy's: a 1 gives way to the other size */
            if (d.v == 1) {
                ones[l] = 1;
            } else if (d.v >= 0) {
                if (L->v >= 0 && L->v != d.v) {
                    sh_err(c, "equation '%s': label '%c' is %lld in one input and %lld in "
                           "input %d", eq, l < 26 ? 'a' + l : 'A' + l - 26, (long long)L->v,
                           (long long)d.v, term);
                    return;
                }
                *L = d;
            } else {
                if (!d.sym) nosym[l] = 1;
                else if (!L->sym) L->sym = d.sym;
                else if (strcmp(L->sym, d.sym) != 0) nosym[l] = 1;
            }
        }
        if (ellpos >= 0) {
            any_ell = 1;
            if (r < 0) ell_unknown = 1;
            else if (nell < 64) ell[nell++] = (sh_bin){ne, v->dims + ellpos, term};
        }
        if (!*p) break;
        p++;
    }
    if (term + 1 != c->n->nin) {
        sh_err(c, "equation '%s' has %d terms for %d inputs", eq, term + 1, c->n->nin);
        return;
    }
    for (int l = 0; l < 52; l++) {
        if (lab[l].v >= 0) continue;
        if (nosym[l]) lab[l].sym = NULL;
        /* only 1s seen where the rank is known: 1, unless some input's dims are unknown */
        if (ones[l] && !lab[l].sym && !nosym[l]) {
            int unk = 0;
            for (int i = 0; i < c->n->nin; i++) unk |= sh_in(c, i)->rank < 0;
            if (!unk) lab[l] = sh_known(1);
        }
        if (ones[l] && nosym[l]) lab[l] = sh_unknown();
    }
    int er = 0;
    ir_dim ed[IR_MAX_RANK];
    if (any_ell && !ell_unknown && sh_broadcast(c, nell, ell, &er, ed)) return;
    ir_dim out[IR_MAX_RANK];
    int r = 0, unknown = 0;
    if (rhs) {
        int used[52] = {0};
        for (const char *q = rhs; *q; q++) {
            if (q[0] == '.' && q[1] == '.' && q[2] == '.') {
                if (!any_ell) {
                    sh_err(c, "equation '%s': output has an ellipsis but no input does", eq);
                    return;
                }
                if (ell_unknown) unknown = 1;
                else if (r + er > IR_MAX_RANK) {
                    sh_err(c, "equation '%s': output rank is more than %d", eq, IR_MAX_RANK);
                    return;
                } else
                    for (int k = 0; k < er; k++) out[r++] = ed[k];
                q += 2;
                continue;
            }
            int l = *q >= 'a' && *q <= 'z' ? *q - 'a' : *q >= 'A' && *q <= 'Z' ? *q - 'A' + 26 : -1;
            if (l < 0 || !seen[l] || used[l]) {
                sh_err(c, "equation '%s': output label '%c' is %s", eq, *q,
                       l < 0 ? "not a letter" : used[l] ? "repeated" : "in no input");
                return;
            }
            used[l] = 1;
            if (r >= IR_MAX_RANK) {
                sh_err(c, "equation '%s': output rank is more than %d", eq, IR_MAX_RANK);
                return;
            }
            out[r++] = lab[l];
        }
    } else {
        if (any_ell) {
            if (ell_unknown) unknown = 1;
            else
                for (int k = 0; k < er; k++) out[r++] = ed[k];
        }
        /* ASCII order: 'A'..'Z' (26..51) before 'a'..'z' (0..25) */
        for (int pass = 0; pass < 2; pass++)
            for (int l = pass ? 0 : 26; l < (pass ? 26 : 52); l++)
                if (count[l] == 1) {
                    if (r >= IR_MAX_RANK) {
                        sh_err(c, "equation '%s': output rank is more than %d", eq, IR_MAX_RANK);
                        return;
                    }
                    out[r++] = lab[l];
                }
    }
    sh_out(c, 0, dt, unknown ? -1 : r, out);
}

/* ---- convolution and pooling ---- */

/* The sliding-window attributes of Conv, ConvTranspose, MaxPool and AveragePool for n
 * spatial dims, checked. */
typedef struct sh_win {
    int64_t k[IR_MAX_RANK], s[IR_MAX_RANK], dl[IR_MAX_RANK], pb[IR_MAX_RANK], pe[IR_MAX_RANK];
    int autopad;  /* 0 NOTSET, 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID */
} sh_win;

/* Fill w; kernel dims from attr kernel_shape, else from the weights wt (or -1). -1 on error. */
static int sh_window(sh_ctx *c, int n, const ir_value *wt, sh_win *w) {
    int cnt;
    const int64_t *a;
    for (int i = 0; i < n; i++) {
        w->k[i] = wt && wt->rank == n + 2 ? wt->dims[2 + i].v : -1;
        w->s[i] = w->dl[i] = 1;
        w->pb[i] = w->pe[i] = 0;
    }
    static const char *const names[] = {"kernel_shape", "strides", "dilations"};
    int64_t *dst[] = {w->k, w->s, w->dl};
    for (int t = 0; t < 3; t++) {
        if (!(a = sh_attr_ints(c, names[t], &cnt))) {
            if (c->nerr) return -1;
            continue;
        }
        if (cnt != n) {
            sh_err(c, "attribute %s has %d values for %d spatial dims", names[t], cnt, n);
            return -1;
        }
        for (int i = 0; i < n; i++) {
            if (a[i] < 1) {
                sh_err(c, "attribute %s[%d] is %lld; must be >= 1", names[t], i, (long long)a[i]);
                return -1;
            }
            if (t == 0 && w->k[i] >= 0 && w->k[i] != a[i]) {
                sh_err(c, "attribute kernel_shape[%d] is %lld but the weights have %lld", i,
                       (long long)a[i], (long long)w->k[i]);
                return -1;
            }
            dst[t][i] = a[i];
        }
    }
    if ((a = sh_attr_ints(c, "pads", &cnt))) {
        if (cnt != 2 * n) {
            sh_err(c, "attribute pads has %d values for %d spatial dims", cnt, n);
            return -1;
        }
        for (int i = 0; i < 2 * n; i++)
            if (a[i] < 0) {
                sh_err(c, "attribute pads[%d] is %lld; must be >= 0", i, (long long)a[i]);
                return -1;
            }
        for (int i = 0; i < n; i++) w->pb[i] = a[i], w->pe[i] = a[n + i];
    } else if (c->nerr) {
        return -1;
    }
    const char *ap = ir_attr_string(c->n, "auto_pad", "NOTSET");
    if (strcmp(ap, "NOTSET") == 0) w->autopad = 0;
    else if (strcmp(ap, "SAME_UPPER") == 0) w->autopad = 1;
    else if (strcmp(ap, "SAME_LOWER") == 0) w->autopad = 2;
    else if (strcmp(ap, "VALID") == 0) w->autopad = 3;
    else {
        sh_err(c, "attribute auto_pad '%s' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", ap);
        return -1;
    }
    if (w->autopad == 3)
        for (int i = 0; i < n; i++) w->pb[i] = w->pe[i] = 0;
    return 0;
}

/* Output size of spatial dim i of Conv or a pool (ceil_mode for pools). -1 unknown, -2 on
 * error (reported). in is the input size (maybe unknown: *d carries it). */
static ir_dim sh_win_out(sh_ctx *c, const sh_win *w, int i, ir_dim in, int ceil_mode, int *bad) {
    int64_t s = w->s[i], k = w->k[i];
    int64_t ek = k >= 0 ? ir_mul_checked(k - 1, w->dl[i]) : -1;
    if (ek >= 0) ek = sh_add_checked(ek, 1);
    if (k >= 0 && ek < 0) {
        sh_err(c, "spatial dim %d: kernel %lld x dilation %lld overflows", i, (long long)k,
               (long long)w->dl[i]);
        *bad = 1;
        return sh_unknown();
    }
    if (in.v < 0) {
        /* a size-preserving window keeps the dim, symbol and all */
        if (s == 1 && (w->autopad == 1 || w->autopad == 2)) return in;
        if (s == 1 && ek == 1 && w->pb[i] + w->pe[i] == 0) return in;
        return sh_unknown();
    }
    if (w->autopad == 1 || w->autopad == 2) return sh_known(in.v / s + (in.v % s != 0));
    if (ek < 0) return sh_unknown();
    int64_t eff = sh_add_checked(in.v, sh_add_checked(w->pb[i], w->pe[i]));
    if (eff < 0 || eff < ek) {
        if (eff < 0) sh_err(c, "spatial dim %d: padded size overflows", i);
        else sh_err(c, "spatial dim %d: input size %lld (padded %lld) is smaller than the "
                    "kernel extent %lld", i, (long long)in.v, (long long)eff, (long long)ek);
        *bad = 1;
        return sh_unknown();
    }
    int64_t q = (eff - ek) / s + (ceil_mode && (eff - ek) % s != 0);
    /* ceil mode: a window that would start inside the end padding is dropped (onnxruntime
     * and PyTorch agree on this) */
    if (ceil_mode && q > 0) {
        int64_t start = ir_mul_checked(q, s);
        if (start < 0 || start >= in.v + w->pb[i]) q--;
    }
    return sh_known(q + 1);
}

/* What Conv and ConvTranspose check alike: X and W of one rank >= 3 (the output unknown when
 * neither rank is), group >= 1. 0 to go on, 1 when the node is done (error or unknown). */
static int sh_conv_common(sh_ctx *c, const ir_value *x, const ir_value *w, int dt, int *rank,
                          int64_t *groupp) {
    int r = x->rank >= 0 ? x->rank : w->rank;
    if (x->rank >= 0 && w->rank >= 0 && x->rank != w->rank) {
        sh_err(c, "input 0 has rank %d but the weights (input 1) have rank %d", x->rank, w->rank);
        return 1;
    }
    if (r < 0) {
        sh_out(c, 0, dt, -1, NULL);
        return 1;
    }
    if (r < 3) {
        sh_err(c, "input %d must have rank >= 3, got %d", x->rank >= 0 ? 0 : 1, r);
        return 1;
    }
    int64_t group = ir_attr_int(c->n, "group", 1);
    if (group < 1) {
        sh_err(c, "attribute group is %lld; must be >= 1", (long long)group);
        return 1;
    }
    *rank = r;
    *groupp = group;
    return 0;
}

/* Conv(X, W, B?) -> Y; X [N,C,D...], W [M, C/group, k...]; attrs auto_pad, dilations, group,
 * kernel_shape, pads, strides */
static void sh_conv(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0), *w = sh_in(c, 1), *b = sh_in(c, 2);
    int dt = x->dtype;
    int r;
    int64_t group;
    if (sh_conv_common(c, x, w, dt, &r, &group)) return;
    int n = r - 2;
    ir_dim y[IR_MAX_RANK];
    y[0] = x->rank >= 0 ? x->dims[0] : sh_unknown();
    y[1] = w->rank >= 0 ? w->dims[0] : sh_unknown();
    if (x->rank >= 0 && w->rank >= 0 && x->dims[1].v >= 0 && w->dims[1].v >= 0) {
        int64_t need = ir_mul_checked(w->dims[1].v, group);
        if (need != x->dims[1].v) {
            sh_err(c, "input 0 has %lld channels but the weights expect %lld x group %lld",
                   (long long)x->dims[1].v, (long long)w->dims[1].v, (long long)group);
            return;
        }
    }
    if (y[1].v >= 0 && y[1].v % group != 0) {
        sh_err(c, "%lld output channels are not divisible by group %lld", (long long)y[1].v,
               (long long)group);
        return;
    }
    if (b->rank >= 0 && (b->rank != 1 || (b->dims[0].v >= 0 && y[1].v >= 0 &&
                                          b->dims[0].v != y[1].v))) {
        char s[160];
        sh_err(c, "input 2 (bias) is %s; expected [%lld]", sh_dims_str(b->rank, b->dims, s,
               sizeof s), (long long)y[1].v);
        return;
    }
    sh_win win;
    if (sh_window(c, n, w, &win)) return;
    int bad = 0;
    for (int i = 0; i < n && !bad; i++)
        y[2 + i] = sh_win_out(c, &win, i, x->rank >= 0 ? x->dims[2 + i] : sh_unknown(), 0, &bad);
    if (bad) return;
    sh_out(c, 0, dt, r, y);
}

/* ConvTranspose(X, W, B?) -> Y; X [N,C,D...], W [C, M/group, k...]; attrs as Conv plus
 * output_padding, output_shape */
static void sh_conv_transpose(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0), *w = sh_in(c, 1);
    int dt = x->dtype;
    int r;
    int64_t group;
    if (sh_conv_common(c, x, w, dt, &r, &group)) return;
    int n = r - 2;
    ir_dim y[IR_MAX_RANK];
    y[0] = x->rank >= 0 ? x->dims[0] : sh_unknown();
    y[1] = sh_unknown();
    if (w->rank >= 0 && w->dims[1].v >= 0) {
        y[1].v = ir_mul_checked(w->dims[1].v, group);
        if (y[1].v < 0) {
            sh_err(c, "output channels overflow");
            return;
        }
    }
    if (x->rank >= 0 && w->rank >= 0 && x->dims[1].v >= 0 && w->dims[0].v >= 0 &&
        x->dims[1].v != w->dims[0].v) {
        sh_err(c, "input 0 has %lld channels but the weights have %lld", (long long)x->dims[1].v,
               (long long)w->dims[0].v);
        return;
    }
    sh_win win;
    if (sh_window(c, n, w, &win)) return;
    int cnt, ocnt;
    const int64_t *os = sh_attr_ints(c, "output_shape", &cnt);
    const int64_t *op = sh_attr_ints(c, "output_padding", &ocnt);
    if (c->nerr) return;
    if (os && cnt != n && cnt != n + 2) {
        sh_err(c, "attribute output_shape has %d values for %d spatial dims", cnt, n);
        return;
    }
    if (op && ocnt != n) {
        sh_err(c, "attribute output_padding has %d values for %d spatial dims", ocnt, n);
        return;
    }
    for (int i = 0; i < n; i++) {
        if (os) {
            int64_t v = os[cnt - n + i];
            if (v < 0) {
                sh_err(c, "attribute output_shape[%d] is negative", cnt - n + i);
                return;
            }
            y[2 + i] = sh_known(v);
            continue;
        }
        ir_dim in = x->rank >= 0 ? x->dims[2 + i] : sh_unknown();
        int64_t opad = op ? op[i] : 0;
        if (opad < 0) {
            sh_err(c, "attribute output_padding[%d] is negative", i);
            return;
        }
        if (in.v < 0 || win.k[i] < 0) {
            y[2 + i] = sh_unknown();
            continue;
        }
        int64_t v;
        if (win.autopad == 1 || win.autopad == 2) {
            v = ir_mul_checked(in.v, win.s[i]);
        } else {
            /* s*(in-1) + output_padding + (k-1)*d + 1 - pads */
            int64_t ek = sh_add_checked(ir_mul_checked(win.k[i] - 1, win.dl[i]), 1);
            v = in.v ? ir_mul_checked(win.s[i], in.v - 1) : 0;
            v = sh_add_checked(sh_add_checked(v, opad), ek);
            if (v >= 0) {
                int64_t pads = sh_add_checked(win.pb[i], win.pe[i]);
                v = pads >= 0 && pads <= v ? v - pads : -2;
            }
        }
        if (v < 0) {
            sh_err(c, "spatial dim %d: output size %s", i, v == -2 ? "is negative" : "overflows");
            return;
        }
        y[2 + i] = sh_known(v);
    }
    sh_out(c, 0, dt, r, y);
}

/* MaxPool(X) -> Y, Indices? (int64); AveragePool(X) -> Y; attrs auto_pad, ceil_mode,
 * dilations, kernel_shape (required), pads, strides */
static void sh_pool(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    if (!ir_node_attr(c->n, "kernel_shape")) {
        sh_err(c, "attribute kernel_shape is missing");
        return;
    }
    if (x->rank < 0) {
        sh_out(c, 0, x->dtype, -1, NULL);
        sh_out(c, 1, IR_DT_INT64, -1, NULL);
        return;
    }
    if (x->rank < 3) {
        sh_err(c, "input 0 must have rank >= 3, got %d", x->rank);
        return;
    }
    int n = x->rank - 2, ceil_mode = ir_attr_int(c->n, "ceil_mode", 0) != 0;
    sh_win win;
    if (sh_window(c, n, NULL, &win)) return;
    ir_dim y[IR_MAX_RANK];
    y[0] = x->dims[0];
    y[1] = x->dims[1];
    int bad = 0;
    for (int i = 0; i < n && !bad; i++)
        y[2 + i] = sh_win_out(c, &win, i, x->dims[2 + i], ceil_mode, &bad);
    if (bad) return;
    sh_out(c, 0, x->dtype, x->rank, y);
    sh_out(c, 1, IR_DT_INT64, x->rank, y);
}

/* GlobalAveragePool(X) / GlobalMaxPool(X) -> Y [N, C, 1, ...] */
static void sh_global_pool(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    if (x->rank >= 0 && x->rank < 3) {
        sh_err(c, "input 0 must have rank >= 3, got %d", x->rank);
        return;
    }
    ir_dim y[IR_MAX_RANK];
    for (int i = 0; i < x->rank; i++) y[i] = i < 2 ? x->dims[i] : sh_known(1);
    sh_out(c, 0, x->dtype, x->rank, y);
}

/* ---- normalization and ops over one axis ---- */

/* Y has X's shape; attr axis (default dflt) must be in range when given. Softmax, LogSoftmax,
 * Hardmax (axis -1), LpNormalization (axis -1). */
static void sh_same_axis(sh_ctx *c, int64_t dflt) {
    const ir_value *x = sh_in(c, 0);
    int ax;
    if (x->rank >= 0 && sh_axis(c, ir_attr_int(c->n, "axis", dflt), x->rank > 0 ? x->rank : 1,
                                "attribute axis", &ax))
        return;
    sh_out(c, 0, x->dtype, x->rank, x->dims);
}

/* CumSum(x, axis) -> y; axis a scalar integer input */
static void sh_cumsum(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    int64_t a;
    int cnt, ax;
    int r = sh_ints(c, 1, "axis", &a, 1, &cnt);
    if (r < 0) return;
    if (r == 1 && cnt == 1 && x->rank >= 0 && sh_axis(c, a, x->rank, "axis", &ax)) return;
    sh_out(c, 0, x->dtype, x->rank, x->dims);
}

/* BatchNormalization(X, scale, B, input_mean, input_var) -> Y, running_mean?, running_var?;
 * the four parameters are [C] */
static void sh_batchnorm(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    ir_dim ch = x->rank >= 2 ? x->dims[1] : sh_unknown();
    for (int i = 1; i < 5; i++) {
        const ir_value *p = sh_in(c, i);
        if (p->rank < 0) continue;
        if (p->rank != 1 || (p->dims[0].v >= 0 && ch.v >= 0 && p->dims[0].v != ch.v)) {
            char s[160];
            sh_err(c, "input %d is %s; expected [%lld] (the channels of input 0)", i,
                   sh_dims_str(p->rank, p->dims, s, sizeof s), (long long)ch.v);
            return;
        }
    }
    sh_out(c, 0, x->dtype, x->rank, x->dims);
    sh_out(c, 1, sh_in(c, 3)->dtype, sh_in(c, 3)->rank, sh_in(c, 3)->dims);
    sh_out(c, 2, sh_in(c, 4)->dtype, sh_in(c, 4)->rank, sh_in(c, 4)->dims);
}

/* LayerNormalization(X, Scale, B?) -> Y, Mean?, InvStdDev?; attrs axis (-1), stash_type (1).
 * Mean and InvStdDev are X's shape with dims from axis on set to 1, of type stash_type. */
static void sh_layernorm(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    int64_t st = ir_attr_int(c->n, "stash_type", IR_DT_FLOAT);
    if (!sh_valid_dtype(st)) {
        sh_err(c, "attribute stash_type=%lld is not a data type", (long long)st);
        return;
    }
    sh_out(c, 0, x->dtype, x->rank, x->dims);
    if (x->rank < 0) {
        sh_out(c, 1, (int)st, -1, NULL);
        sh_out(c, 2, (int)st, -1, NULL);
        return;
    }
    int ax;
    if (sh_axis(c, ir_attr_int(c->n, "axis", -1), x->rank, "attribute axis", &ax)) return;
    ir_dim m[IR_MAX_RANK];
    for (int i = 0; i < x->rank; i++) m[i] = i < ax ? x->dims[i] : sh_known(1);
    sh_out(c, 1, (int)st, x->rank, m);
    sh_out(c, 2, (int)st, x->rank, m);
}

/* ---- reductions ---- */

/* Reduce*(data, axes?) -> reduced; attrs keepdims (1), noop_with_empty_axes (0) */
static void sh_reduce(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    int keep = ir_attr_int(c->n, "keepdims", 1) != 0;
    int noop = ir_attr_int(c->n, "noop_with_empty_axes", 0) != 0;
    int64_t axes[IR_MAX_RANK];
    int cnt;
    int r = sh_ints_or_attr(c, 1, "axes", axes, IR_MAX_RANK, &cnt);
    if (r < 0) return;
    if (r == 0 && cnt == 0) {
        /* axes given but not known: which dims go is unknown */
        const ir_value *a = sh_in(c, 1);
        if (keep && x->rank >= 0) {
            ir_dim d[IR_MAX_RANK];
            for (int i = 0; i < x->rank; i++) d[i] = sh_unknown();
            sh_out(c, 0, x->dtype, x->rank, d);
        } else if (!noop && x->rank >= 0 && a->rank == 1 && a->dims[0].v >= 0 &&
                   a->dims[0].v <= x->rank) {
            ir_dim d[IR_MAX_RANK];
            int rr = a->dims[0].v == 0 ? 0 : x->rank - (int)a->dims[0].v;
            for (int i = 0; i < rr; i++) d[i] = sh_unknown();
            sh_out(c, 0, x->dtype, rr, d);
        } else {
            sh_out(c, 0, x->dtype, -1, NULL);
        }
        return;
    }
    if (cnt <= 0 && noop) {
        sh_out(c, 0, x->dtype, x->rank, x->dims);
        return;
    }
    if (x->rank < 0) {
        sh_out(c, 0, x->dtype, -1, NULL);
        return;
    }
    int red[IR_MAX_RANK] = {0};
    if (cnt <= 0) {
        for (int i = 0; i < x->rank; i++) red[i] = 1;
    } else {
        for (int k = 0; k < cnt; k++) {
            int ax;
            if (sh_axis(c, axes[k], x->rank, "axis", &ax)) return;
            if (red[ax]) {
                sh_err(c, "axis %lld is repeated", (long long)axes[k]);
                return;
            }
            red[ax] = 1;
        }
    }
    ir_dim d[IR_MAX_RANK];
    int rr = 0;
    for (int i = 0; i < x->rank; i++) {
        if (!red[i]) d[rr++] = x->dims[i];
        else if (keep) d[rr++] = sh_known(1);
    }
    sh_out(c, 0, x->dtype, rr, d);
}

/* ArgMax(data) / ArgMin(data) -> reduced (int64); attrs axis (0), keepdims (1) */
static void sh_argminmax(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    if (x->rank < 0) {
        sh_out(c, 0, IR_DT_INT64, -1, NULL);
        return;
    }
    int ax;
    if (sh_axis(c, ir_attr_int(c->n, "axis", 0), x->rank, "attribute axis", &ax)) return;
    int keep = ir_attr_int(c->n, "keepdims", 1) != 0;
    ir_dim d[IR_MAX_RANK];
    int rr = 0;
    for (int i = 0; i < x->rank; i++) {
        if (i != ax) d[rr++] = x->dims[i];
        else if (keep) d[rr++] = sh_known(1);
    }
    sh_out(c, 0, IR_DT_INT64, rr, d);
}

/* TopK(X, K) -> Values, Indices (int64); attrs axis (-1), largest, sorted; K a 1-element
 * int64 tensor */
static void sh_topk(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    int64_t k[1];
    int cnt;
    int r = sh_ints(c, 1, "K", k, 1, &cnt);
    if (r < 0) return;
    if (r == 1 && cnt != 1) {
        sh_err(c, "input 1 (K) must have one element, got %d", cnt);
        return;
    }
    if (r == 1 && k[0] < 0) {
        sh_err(c, "K is %lld; must be >= 0", (long long)k[0]);
        return;
    }
    if (x->rank < 0) {
        sh_out(c, 0, x->dtype, -1, NULL);
        sh_out(c, 1, IR_DT_INT64, -1, NULL);
        return;
    }
    int ax;
    if (sh_axis(c, ir_attr_int(c->n, "axis", -1), x->rank, "attribute axis", &ax)) return;
    ir_dim d[IR_MAX_RANK];
    memcpy(d, x->dims, sizeof d);
    if (r == 1 && x->dims[ax].v >= 0 && k[0] > x->dims[ax].v) {
        sh_err(c, "K is %lld but axis %d has only %lld elements", (long long)k[0], ax,
               (long long)x->dims[ax].v);
        return;
    }
    d[ax] = r == 1 ? sh_known(k[0]) : sh_unknown();
    sh_out(c, 0, x->dtype, x->rank, d);
    sh_out(c, 1, IR_DT_INT64, x->rank, d);
}

/* ---- losses and other neural-network ops ---- */

/* Input i must be a floating-point tensor when its dtype is known; else report. */
static int sh_float_input(sh_ctx *c, int i, const char *what) {
    int dt = sh_in(c, i)->dtype;
    if (dt == IR_DT_UNDEF || dt == IR_DT_FLOAT || dt == IR_DT_DOUBLE || dt == IR_DT_FLOAT16 ||
        dt == IR_DT_BFLOAT16)
        return 0;
    sh_err(c, "input %d (%s) must be a float tensor, got %s", i, what, ir_dtype_name(dt));
    return -1;
}

/* NegativeLogLikelihoodLoss(input, target, weight?) -> loss;
 * SoftmaxCrossEntropyLoss(scores, labels, weights?) -> output, log_prob?.
 * input [N,C,d1..dk], target [N,d1..dk] (int32/int64), weight [C]; attrs reduction
 * ("mean", "sum", "none"), ignore_index. loss is [N,d1..dk] for "none", else a scalar;
 * log_prob is scores' shape. */
static void sh_loss(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0), *t = sh_in(c, 1), *w = sh_in(c, 2);
    const char *red = ir_attr_string(c->n, "reduction", "mean");
    int none = strcmp(red, "none") == 0;
    if (!none && strcmp(red, "sum") != 0 && strcmp(red, "mean") != 0) {
        sh_err(c, "attribute reduction '%s' must be none, sum or mean", red);
        return;
    }
    if (sh_float_input(c, 0, "input")) return;
    if (t->dtype != IR_DT_UNDEF && t->dtype != IR_DT_INT32 && t->dtype != IR_DT_INT64) {
        sh_err(c, "input 1 (target) must be int32 or int64, got %s", ir_dtype_name(t->dtype));
        return;
    }
    if (w->dtype && x->dtype && w->dtype != x->dtype) {
        sh_err(c, "input 2 (weight) is %s but input 0 is %s", ir_dtype_name(w->dtype),
               ir_dtype_name(x->dtype));
        return;
    }
    if (x->rank >= 0 && x->rank < 2) {
        sh_err(c, "input 0 must have rank >= 2 ([N, C, ...]), got %d", x->rank);
        return;
    }
    if (x->rank >= 2 && t->rank >= 0) {
        int ok = t->rank == x->rank - 1;
        for (int j = 0; ok && j < t->rank; j++) {
            ir_dim a = x->dims[j ? j + 1 : 0], b = t->dims[j];
            ok = a.v < 0 || b.v < 0 || a.v == b.v;
        }
        if (!ok) {
            char s1[160], s2[160];
            sh_err(c, "input 1 (target) is %s; expected input 0 %s without dim 1",
                   sh_dims_str(t->rank, t->dims, s1, sizeof s1),
                   sh_dims_str(x->rank, x->dims, s2, sizeof s2));
            return;
        }
    }
    if (w->rank >= 0) {
        ir_dim ch = x->rank >= 2 ? x->dims[1] : sh_unknown();
        if (w->rank != 1 || (w->dims[0].v >= 0 && ch.v >= 0 && w->dims[0].v != ch.v)) {
            char s[160];
            sh_err(c, "input 2 (weight) is %s; expected [%lld] (the classes of input 0)",
                   sh_dims_str(w->rank, w->dims, s, sizeof s), (long long)ch.v);
            return;
        }
    }
    if (!none) {
        sh_out(c, 0, x->dtype, 0, NULL);
    } else if (x->rank >= 2) {
        ir_dim d[IR_MAX_RANK];
        for (int j = 0; j < x->rank - 1; j++) {
            d[j] = x->dims[j ? j + 1 : 0];
            if (d[j].v < 0 && t->rank == x->rank - 1 && t->dims[j].v >= 0) d[j] = t->dims[j];
        }
        sh_out(c, 0, x->dtype, x->rank - 1, d);
    } else {
        sh_out(c, 0, x->dtype, t->rank, t->dims);
    }
    sh_out(c, 1, x->dtype, x->rank, x->dims);
}

/* LRN(X) -> Y, X [N,C,d1..dk]; attrs alpha, beta, bias, size (required, >= 1) */
static void sh_lrn(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    const ir_attr *sz = ir_node_attr(c->n, "size");
    if (!sz || sz->type != IR_ATTR_INT || sz->i < 1) {
        sh_err(c, "attribute size must be given as an int >= 1");
        return;
    }
    if (sh_float_input(c, 0, "X")) return;
    if (x->rank >= 0 && x->rank < 2) {
        sh_err(c, "input 0 must have rank >= 2 ([N, C, ...]), got %d", x->rank);
        return;
    }
    sh_out(c, 0, x->dtype, x->rank, x->dims);
}

/* MeanVarianceNormalization(X) -> Y; attr axes (default [0, 2, 3]), each in range, none twice */
static void sh_mvn(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    static const int64_t dflt[3] = {0, 2, 3};
    int cnt;
    const int64_t *axes = sh_attr_ints(c, "axes", &cnt);
    if (c->nerr) return;
    if (!axes) axes = dflt, cnt = 3;
    if (sh_float_input(c, 0, "X")) return;
    if (x->rank >= 0) {
        int seen[IR_MAX_RANK] = {0};
        for (int k = 0; k < cnt; k++) {
            int ax;
            if (sh_axis(c, axes[k], x->rank, "axis", &ax)) return;
            if (seen[ax]++) {
                sh_err(c, "axis %lld is repeated", (long long)axes[k]);
                return;
            }
        }
    }
    sh_out(c, 0, x->dtype, x->rank, x->dims);
}

/* Det(X) -> Y: X [*, M, M] float, Y [*] */
static void sh_det(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    if (sh_float_input(c, 0, "X")) return;
    if (x->rank < 0) {
        sh_out(c, 0, x->dtype, -1, NULL);
        return;
    }
    if (x->rank < 2) {
        sh_err(c, "input 0 must have rank >= 2 ([*, M, M]), got %d", x->rank);
        return;
    }
    ir_dim m = x->dims[x->rank - 2], n = x->dims[x->rank - 1];
    if (m.v >= 0 && n.v >= 0 && m.v != n.v) {
        char s[160];
        sh_err(c, "input 0 is %s; the last two dims must be equal (square matrices)",
               sh_dims_str(x->rank, x->dims, s, sizeof s));
        return;
    }
    sh_out(c, 0, x->dtype, x->rank - 2, x->dims);
}

/* ReverseSequence(input, sequence_lens) -> Y, input's shape; attrs batch_axis (1),
 * time_axis (0), each 0 or 1 and different; sequence_lens [batch] int64 */
static void sh_reverse_sequence(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0), *l = sh_in(c, 1);
    int64_t ba = ir_attr_int(c->n, "batch_axis", 1), ta = ir_attr_int(c->n, "time_axis", 0);
    if ((ba != 0 && ba != 1) || (ta != 0 && ta != 1) || ba == ta) {
        sh_err(c, "batch_axis=%lld and time_axis=%lld must be 0 and 1 (either way round)",
               (long long)ba, (long long)ta);
        return;
    }
    if (x->rank >= 0 && x->rank < 2) {
        sh_err(c, "input 0 must have rank >= 2, got %d", x->rank);
        return;
    }
    if (l->dtype != IR_DT_UNDEF && l->dtype != IR_DT_INT64 && l->dtype != IR_DT_INT32) {
        sh_err(c, "input 1 (sequence_lens) must be int64, got %s", ir_dtype_name(l->dtype));
        return;
    }
    if (l->rank >= 0) {
        ir_dim b = x->rank >= 2 ? x->dims[ba] : sh_unknown();
        if (l->rank != 1 || (l->dims[0].v >= 0 && b.v >= 0 && l->dims[0].v != b.v)) {
            char s[160];
            sh_err(c, "input 1 (sequence_lens) is %s; expected [%lld] (input 0's batch dim)",
                   sh_dims_str(l->rank, l->dims, s, sizeof s), (long long)b.v);
            return;
        }
    }
    sh_out(c, 0, x->dtype, x->rank, x->dims);
}

/* ---- quantization ---- */

static int sh_qint_dtype(int dt) {
    return dt == IR_DT_UINT8 || dt == IR_DT_INT8 || dt == IR_DT_UINT16 || dt == IR_DT_INT16;
}
static int sh_scale_dtype(int dt) {
    return dt == IR_DT_FLOAT || dt == IR_DT_FLOAT16 || dt == IR_DT_BFLOAT16;
}

/* "float16" or, for a code pippyc has no dtype for, "float8 (code 17)" and the like. */
static const char *sh_qtype_name(int64_t dt, char *buf, size_t len) {
    if (dt > 0 && dt < IR_DT_COUNT) snprintf(buf, len, "%s", ir_dtype_name((int)dt));
    else if (dt >= 17 && dt <= 20) snprintf(buf, len, "float8 (code %lld)", (long long)dt);
    else snprintf(buf, len, "code %lld", (long long)dt);
    return buf;
}

/* QuantizeLinear, DequantizeLinear: the scale (input 1) is a scalar or 1-D; a 1-D scale of
 * more than one value is per axis and has x.dims[axis] values (attr axis, default 1); the
 * zero point (input 2) has the scale's shape; no blocked quantization (block_size). */
static int sh_quant_params(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0), *s = sh_in(c, 1), *z = sh_in(c, 2);
    int64_t bs = ir_attr_int(c->n, "block_size", 0);
    if (bs != 0) {
        sh_err(c, "blocked quantization (block_size=%lld) is unsupported", (long long)bs);
        return -1;
    }
    if (s->dtype != IR_DT_UNDEF && !sh_scale_dtype(s->dtype)) {
        sh_err(c, "input 1 (scale) must be float32, float16 or bfloat16, got %s",
               ir_dtype_name(s->dtype));
        return -1;
    }
    if (s->rank > 1) {
        sh_err(c, "input 1 (scale) must be a scalar or 1-D, got rank %d", s->rank);
        return -1;
    }
    if (sh_present(c, 2) && s->rank >= 0 && z->rank >= 0 &&
        (z->rank != s->rank || (s->rank == 1 && z->dims[0].v >= 0 && s->dims[0].v >= 0 &&
                                z->dims[0].v != s->dims[0].v))) {
        char s1[160], s2[160];
        sh_err(c, "input 2 (zero point) is %s but input 1 (scale) is %s; they must match",
               sh_dims_str(z->rank, z->dims, s1, sizeof s1), sh_dims_str(s->rank, s->dims, s2, sizeof s2));
        return -1;
    }
    if (s->rank == 1 && s->dims[0].v != 1 && x->rank >= 0) {
        int ax;
        if (sh_axis(c, ir_attr_int(c->n, "axis", 1), x->rank, "axis", &ax)) return -1;
        if (s->dims[0].v >= 0 && x->dims[ax].v >= 0 && s->dims[0].v != x->dims[ax].v) {
            sh_err(c, "input 1 (scale) has %lld values but axis %d of input 0 has %lld",
                   (long long)s->dims[0].v, ax, (long long)x->dims[ax].v);
            return -1;
        }
    }
    return 0;
}

/* QuantizeLinear(x, y_scale, y_zero_point?) -> y, x's shape; x float32, float16, bfloat16
 * or int32; y's dtype is the zero point's, else attr output_dtype's, else uint8, and one of
 * uint8, int8, uint16, int16 (float8 and 4-bit types are unsupported); attrs axis, saturate
 * (float8 only), block_size (0 only) */
static void sh_quantize(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0), *z = sh_in(c, 2);
    char b1[40], b2[40];
    if (x->dtype != IR_DT_UNDEF && !sh_scale_dtype(x->dtype) && x->dtype != IR_DT_INT32) {
        sh_err(c, "input 0 (x) must be float32, float16, bfloat16 or int32, got %s",
               ir_dtype_name(x->dtype));
        return;
    }
    if (sh_quant_params(c)) return;
    int64_t od = ir_attr_int(c->n, "output_dtype", 0);
    int64_t dt = sh_present(c, 2) ? z->dtype : od ? od : IR_DT_UINT8;
    if (od && dt && dt != od) {
        sh_err(c, "attribute output_dtype is %s but input 2 (zero point) is %s",
               sh_qtype_name(od, b1, sizeof b1), sh_qtype_name(dt, b2, sizeof b2));
        return;
    }
    if (!dt) dt = od;
    if (dt && !sh_qint_dtype((int)dt)) {
        sh_err(c, "quantizing to %s is unsupported (uint8, int8, uint16, int16)",
               sh_qtype_name(dt, b1, sizeof b1));
        return;
    }
    sh_out(c, 0, (int)dt, x->rank, x->dims);
}

/* DequantizeLinear(x, x_scale, x_zero_point?) -> y, x's shape; x uint8, int8, uint16, int16
 * or int32, the zero point of x's dtype; y has the scale's dtype (or attr output_dtype's):
 * float32, float16 or bfloat16; attrs axis, block_size (0 only) */
static void sh_dequantize(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0), *s = sh_in(c, 1), *z = sh_in(c, 2);
    char b1[40];
    if (x->dtype != IR_DT_UNDEF && !sh_qint_dtype(x->dtype) && x->dtype != IR_DT_INT32) {
        sh_err(c, "input 0 (x) must be uint8, int8, uint16, int16 or int32, got %s (float8 and "
               "4-bit types are unsupported)", ir_dtype_name(x->dtype));
        return;
    }
    if (sh_present(c, 2) && z->dtype && x->dtype && z->dtype != x->dtype) {
        sh_err(c, "input 2 (zero point) is %s but input 0 (x) is %s", ir_dtype_name(z->dtype),
               ir_dtype_name(x->dtype));
        return;
    }
    if (sh_quant_params(c)) return;
    int64_t dt = ir_attr_int(c->n, "output_dtype", 0);
    if (!dt) dt = s->dtype;
    if (dt && !sh_scale_dtype((int)dt)) {
        sh_err(c, "attribute output_dtype %s is unsupported (float32, float16, bfloat16)",
               sh_qtype_name(dt, b1, sizeof b1));
        return;
    }
    sh_out(c, 0, (int)dt, x->rank, x->dims);
}

/* DynamicQuantizeLinear(x) -> y (uint8, x's shape), y_scale (float32 scalar), y_zero_point
 * (uint8 scalar); x float32 */
static void sh_dynquant(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    if (x->dtype != IR_DT_UNDEF && x->dtype != IR_DT_FLOAT) {
        sh_err(c, "input 0 (x) must be float32, got %s", ir_dtype_name(x->dtype));
        return;
    }
    sh_out(c, 0, IR_DT_UINT8, x->rank, x->dims);
    sh_out(c, 1, IR_DT_FLOAT, 0, NULL);
    sh_out(c, 2, IR_DT_UINT8, 0, NULL);
}

/* ---- control flow ---- */

/* If(cond) -> outputs...; attrs then_branch, else_branch (graphs). Each output takes what both
 * branches' outputs agree on: the dtype, the rank, and each dim they share. */
static void sh_if(sh_ctx *c) {
    const ir_attr *ta = ir_node_attr(c->n, "then_branch"), *ea = ir_node_attr(c->n, "else_branch");
    if (!ta || ta->type != IR_ATTR_GRAPH || !ta->g || !ea || ea->type != IR_ATTR_GRAPH || !ea->g) {
        sh_err(c, "attributes then_branch and else_branch must be graphs");
        return;
    }
    int depth = 0;
    for (const ir_graph *p = c->g; p->parent; p = p->parent) depth++;
    if (depth >= 64) {
        sh_err(c, "subgraphs are nested more than 64 deep");
        return;
    }
    const ir_value *cond = sh_in(c, 0);
    if (cond->dtype != IR_DT_UNDEF && cond->dtype != IR_DT_BOOL) {
        sh_err(c, "input 0 (cond) must be bool, got %s", ir_dtype_name(cond->dtype));
        return;
    }
    ir_graph *tg = ta->g, *eg = ea->g;
    c->nerr += ir_shape_infer(tg);
    c->nerr += ir_shape_infer(eg);
    if (tg->noutputs != c->n->nout || eg->noutputs != c->n->nout) {
        sh_err(c, "then_branch has %d outputs and else_branch %d, but the node has %d",
               tg->noutputs, eg->noutputs, c->n->nout);
        return;
    }
    for (int i = 0; i < c->n->nout; i++) {
        const ir_value *a = &tg->vals[tg->outputs[i]], *b = &eg->vals[eg->outputs[i]];
        if (a->dtype && b->dtype && a->dtype != b->dtype) {
            sh_err(c, "output %d is %s in then_branch but %s in else_branch", i,
                   ir_dtype_name(a->dtype), ir_dtype_name(b->dtype));
            continue;
        }
        int dt = a->dtype == b->dtype ? a->dtype : IR_DT_UNDEF;
        if (a->rank < 0 || a->rank != b->rank) {
            sh_out(c, i, dt, -1, NULL);
            continue;
        }
        ir_dim d[IR_MAX_RANK];
        for (int j = 0; j < a->rank; j++)
            d[j] = sh_dim_same(a->dims[j], b->dims[j]) ? a->dims[j] : sh_unknown();
        sh_out(c, i, dt, a->rank, d);
    }
}

/* ---- dispatch ---- */

int ir_shape_infer_node(ir_graph *g, int ni) {
    ir_node *n = &g->nodes[ni];
    if (n->dead) return 0;
    sh_ctx ctx = {g, n, ir_graph_diag(g), 0}, *c = &ctx;
    const ir_op_info *info = &ir_op_table[n->op];
    if (n->nin < info->min_in || (info->max_in >= 0 && n->nin > info->max_in) ||
        n->nout < info->min_out || (info->max_out >= 0 && n->nout > info->max_out)) {
        sh_err(c, "%d inputs and %d outputs; expected %d..%d inputs and %d..%d outputs",
               n->nin, n->nout, info->min_in, info->max_in, info->min_out, info->max_out);
        return -1;
    }
    switch (n->op) {
    case IR_OP_ABS: case IR_OP_NEG: case IR_OP_EXP: case IR_OP_LOG: case IR_OP_SQRT:
    case IR_OP_RECIPROCAL: case IR_OP_FLOOR: case IR_OP_CEIL: case IR_OP_ROUND: case IR_OP_SIGN:
    case IR_OP_RELU: case IR_OP_LEAKYRELU: case IR_OP_ELU: case IR_OP_SELU: case IR_OP_CELU:
    case IR_OP_THRESHOLDEDRELU: case IR_OP_SIGMOID: case IR_OP_HARDSIGMOID:
    case IR_OP_HARDSWISH: case IR_OP_SOFTPLUS: case IR_OP_SOFTSIGN: case IR_OP_MISH:
    case IR_OP_GELU: case IR_OP_TANH: case IR_OP_ERF: case IR_OP_SIN: case IR_OP_COS:
    case IR_OP_TAN: case IR_OP_ASIN: case IR_OP_ACOS: case IR_OP_ATAN: case IR_OP_SINH:
    case IR_OP_COSH: case IR_OP_ASINH: case IR_OP_ACOSH: case IR_OP_ATANH: case IR_OP_NOT:
    case IR_OP_BITWISENOT: case IR_OP_IDENTITY: case IR_OP_CLIP:
    case IR_OP_TRILU:                       /* Trilu(input, k?) -> output */
    case IR_OP_INSTANCENORMALIZATION:       /* (input, scale, B) -> output */
    case IR_OP_GROUPNORMALIZATION:          /* (X, scale, bias) -> Y */
        sh_unary(c, 0);
        break;
    case IR_OP_ISNAN: case IR_OP_ISINF:
        sh_unary(c, IR_DT_BOOL);
        break;
    case IR_OP_CAST:
        sh_cast(c);
        break;
    case IR_OP_CASTLIKE:                    /* CastLike(input, target_type) */
        sh_out(c, 0, sh_in(c, 1)->dtype, sh_in(c, 0)->rank, sh_in(c, 0)->dims);
        break;
    case IR_OP_DROPOUT:
        sh_dropout(c);
        break;
    case IR_OP_ADD: case IR_OP_SUB: case IR_OP_MUL: case IR_OP_DIV: case IR_OP_MOD:
    case IR_OP_PRELU: case IR_OP_MAX: case IR_OP_MIN: case IR_OP_SUM: case IR_OP_MEAN:
    case IR_OP_EQUAL: case IR_OP_LESS: case IR_OP_LESSOREQUAL: case IR_OP_GREATER:
    case IR_OP_GREATEROREQUAL: case IR_OP_AND: case IR_OP_OR: case IR_OP_XOR:
    case IR_OP_BITWISEAND: case IR_OP_BITWISEOR: case IR_OP_BITWISEXOR: case IR_OP_BITSHIFT:
        sh_elementwise(c, 0, 1, -1);
        break;
    case IR_OP_POW:                         /* Pow(X, Y): Y may have another type */
        sh_elementwise(c, 0, 0, 0);
        break;
    case IR_OP_WHERE:                       /* Where(condition, X, Y) */
        sh_elementwise(c, 1, 1, -1);
        break;
    case IR_OP_MATMUL:
        sh_matmul(c);
        break;
    case IR_OP_GEMM:
        sh_gemm(c);
        break;
    case IR_OP_EINSUM:
        sh_einsum(c);
        break;
    case IR_OP_CONV:
        sh_conv(c);
        break;
    case IR_OP_CONVTRANSPOSE:
        sh_conv_transpose(c);
        break;
    case IR_OP_MAXPOOL: case IR_OP_AVERAGEPOOL:
        sh_pool(c);
        break;
    case IR_OP_GLOBALAVERAGEPOOL: case IR_OP_GLOBALMAXPOOL:
        sh_global_pool(c);
        break;
    case IR_OP_BATCHNORMALIZATION:
        sh_batchnorm(c);
        break;
    case IR_OP_LAYERNORMALIZATION:
        sh_layernorm(c);
        break;
    case IR_OP_LPNORMALIZATION: case IR_OP_SOFTMAX: case IR_OP_LOGSOFTMAX: case IR_OP_HARDMAX:
        sh_same_axis(c, -1);
        break;
    case IR_OP_CUMSUM:
        sh_cumsum(c);
        break;
    case IR_OP_REDUCESUM: case IR_OP_REDUCEMEAN: case IR_OP_REDUCEMAX: case IR_OP_REDUCEMIN:
    case IR_OP_REDUCEPROD: case IR_OP_REDUCEL1: case IR_OP_REDUCEL2: case IR_OP_REDUCELOGSUM:
    case IR_OP_REDUCELOGSUMEXP: case IR_OP_REDUCESUMSQUARE:
        sh_reduce(c);
        break;
    case IR_OP_ARGMAX: case IR_OP_ARGMIN:
        sh_argminmax(c);
        break;
    case IR_OP_TOPK:
        sh_topk(c);
        break;
    case IR_OP_RESHAPE:
        sh_reshape(c);
        break;
    case IR_OP_FLATTEN:
        sh_flatten(c);
        break;
    case IR_OP_SQUEEZE:
        sh_squeeze(c);
        break;
    case IR_OP_UNSQUEEZE:
        sh_unsqueeze(c);
        break;
    case IR_OP_TRANSPOSE:
        sh_transpose(c);
        break;
    case IR_OP_CONCAT:
        sh_concat(c);
        break;
    case IR_OP_SPLIT:
        sh_split(c);
        break;
    case IR_OP_SLICE:
        sh_slice(c);
        break;
    case IR_OP_GATHER:
        sh_gather(c);
        break;
    case IR_OP_GATHERELEMENTS:
        sh_gather_elements(c);
        break;
    case IR_OP_GATHERND:
        sh_gather_nd(c);
        break;
    case IR_OP_SCATTERELEMENTS: case IR_OP_SCATTERND:
        sh_scatter(c);
        break;
    case IR_OP_EXPAND:
        sh_expand(c);
        break;
    case IR_OP_TILE:
        sh_tile(c);
        break;
    case IR_OP_PAD:
        sh_pad(c);
        break;
    case IR_OP_DEPTHTOSPACE:
        sh_depth_to_space(c);
        break;
    case IR_OP_SPACETODEPTH:
        sh_space_to_depth(c);
        break;
    case IR_OP_ONEHOT:
        sh_onehot(c);
        break;
    case IR_OP_RESIZE:
        sh_resize(c);
        break;
    case IR_OP_NONZERO:
        sh_nonzero(c);
        break;
    case IR_OP_SHAPE:
        sh_shape(c);
        break;
    case IR_OP_SIZE:
        sh_size(c);
        break;
    case IR_OP_CONSTANT:
        sh_constant(c);
        break;
    case IR_OP_CONSTANTOFSHAPE:
        sh_constant_of_shape(c);
        break;
    case IR_OP_RANGE:
        sh_range(c);
        break;
    case IR_OP_EYELIKE:
        sh_eyelike(c);
        break;
    case IR_OP_NEGATIVELOGLIKELIHOODLOSS: case IR_OP_SOFTMAXCROSSENTROPYLOSS:
        sh_loss(c);
        break;
    case IR_OP_SHRINK:                      /* Shrink(input) -> output; attrs bias, lambd */
        sh_unary(c, 0);
        break;
    case IR_OP_LRN:
        sh_lrn(c);
        break;
    case IR_OP_MEANVARIANCENORMALIZATION:
        sh_mvn(c);
        break;
    case IR_OP_DET:
        sh_det(c);
        break;
    case IR_OP_REVERSESEQUENCE:
        sh_reverse_sequence(c);
        break;
    case IR_OP_QUANTIZELINEAR:
        sh_quantize(c);
        break;
    case IR_OP_DEQUANTIZELINEAR:
        sh_dequantize(c);
        break;
    case IR_OP_DYNAMICQUANTIZELINEAR:
        sh_dynquant(c);
        break;
    case IR_OP_IF:
        sh_if(c);
        break;
    case IR_OP_COUNT:
        break;
    }
    return c->nerr ? -1 : 0;
}

/* A subgraph's captured names take the type of the value they name in an enclosing graph. */
static void sh_resolve_outer(ir_graph *g) {
    for (int v = 0; v < g->nvals; v++) {
        ir_value *x = &g->vals[v];
        if (x->kind != IR_VAL_OUTER) continue;
        for (const ir_graph *p = g->parent; p; p = p->parent) {
            int k = ir_value_find(p, x->name);
            if (k < 0) continue;
            const ir_value *o = &p->vals[k];
            if (o->dtype) x->dtype = o->dtype;
            if (o->rank >= 0) {
                x->rank = o->rank;
                memcpy(x->dims, o->dims, sizeof x->dims);
            }
            break;
        }
    }
}

int ir_shape_infer(ir_graph *g) {
    ir_diag *d = ir_graph_diag(g);
    int before = d->nerr;
    if (g->parent) sh_resolve_outer(g);
    for (int i = 0; i < g->nnodes; i++) ir_shape_infer_node(g, i);
    return d->nerr - before;
}
