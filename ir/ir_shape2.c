/* ir_shape2.c - shape and dtype inference for the data-movement, shape-producing and constant
 * ops. These are the ops whose output shape depends on the data of an input (Reshape's shape,
 * Slice's starts, Range's limits ...): that data is read only when the input is a weight or a
 * constant, and checked element by element first. See ir_shape.c for the helpers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ir.h"
#include "ir_shape_int.h"

/* Product of dims [from, to): known, or the one dim that is not 1 when only it is unknown
 * (symbol kept), or unknown. *overflow set when a known product overflows. */
static ir_dim sh_prod(const ir_dim *d, int from, int to, int *overflow) {
    int64_t p = 1;
    int nunk = 0, unk = -1;
    for (int i = from; i < to; i++) {
        if (d[i].v < 0) {
            nunk++;
            unk = i;
        } else {
            p = ir_mul_checked(p, d[i].v);
            if (p < 0) {
                *overflow = 1;
                return sh_unknown();
            }
        }
    }
    if (nunk == 0) return sh_known(p);
    if (nunk == 1 && p == 1) return d[unk];
    return sh_unknown();
}

/* Reshape(data, shape) -> reshaped; attr allowzero (0). A 0 in shape copies the input dim
 * (unless allowzero), one -1 is inferred from the element count. */
void sh_reshape(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0), *s = sh_in(c, 1);
    int64_t sv[IR_MAX_RANK];
    int k;
    int r = sh_ints(c, 1, "shape", sv, IR_MAX_RANK, &k);
    if (r < 0) return;
    if (r == 0) {
        if (s->rank == 1 && s->dims[0].v > IR_MAX_RANK) {
            sh_err(c, "input 1 (shape) has %lld elements, more than %d", (long long)s->dims[0].v,
                   IR_MAX_RANK);
            return;
        }
        ir_dim d[IR_MAX_RANK];
        int rr = s->rank == 1 && s->dims[0].v >= 0 ? (int)s->dims[0].v : -1;
        for (int i = 0; i < rr; i++) d[i] = sh_unknown();
        sh_out(c, 0, x->dtype, rr, d);
        return;
    }
    int allowzero = ir_attr_int(c->n, "allowzero", 0) != 0;
    ir_dim d[IR_MAX_RANK];
    int neg = -1, copied[IR_MAX_RANK] = {0}, haszero = 0;
    char req[200];
    size_t o = (size_t)snprintf(req, sizeof req, "(");
    for (int i = 0; i < k && o < sizeof req; i++)
        o += (size_t)snprintf(req + o, sizeof req - o, "%s%lld", i ? "," : "", (long long)sv[i]);
    if (o < sizeof req) snprintf(req + o, sizeof req - o, ")");
    for (int i = 0; i < k; i++) {
        if (sv[i] == -1) {
            if (neg >= 0) {
                sh_err(c, "shape %s has more than one -1", req);
                return;
            }
            neg = i;
            d[i] = sh_unknown();
        } else if (sv[i] < -1) {
            sh_err(c, "shape %s: entry %d is %lld; entries must be >= -1", req, i,
                   (long long)sv[i]);
            return;
        } else if (sv[i] == 0 && !allowzero) {
            if (x->rank >= 0 && i >= x->rank) {
                sh_err(c, "shape %s: entry %d is 0 (copy the input dim) but input 0 has rank %d",
                       req, i, x->rank);
                return;
            }
            d[i] = x->rank >= 0 ? x->dims[i] : sh_unknown();
            copied[i] = 1;
        } else {
            if (sv[i] == 0) haszero = 1;
            d[i] = sh_known(sv[i]);
        }
    }
    if (allowzero && haszero && neg >= 0) {
        sh_err(c, "shape %s has both 0 and -1 with allowzero=1", req);
        return;
    }
    if (x->rank >= 0) {
        /* Element counts, leaving out the input dims that 0 entries copy (they cancel). */
        int64_t in = 1, out = 1;
        int in_ok = 1;
        for (int i = 0; i < x->rank; i++) {
            if (i < k && copied[i]) continue;
            if (x->dims[i].v < 0) in_ok = 0;
            else if (in_ok && (in = ir_mul_checked(in, x->dims[i].v)) < 0) in_ok = 0;
        }
        for (int i = 0; i < k; i++) {
            if (copied[i] || i == neg) continue;
            out = ir_mul_checked(out, d[i].v);
            if (out < 0) {
                sh_err(c, "shape %s: the element count overflows", req);
                return;
            }
        }
        char xs[160];
        if (in_ok && neg >= 0) {
            if (out == 0) {
                if (in != 0) {
                    sh_err(c, "cannot reshape %s into shape %s: %lld elements into a shape "
                           "with 0", sh_dims_str(x->rank, x->dims, xs, sizeof xs), req,
                           (long long)in);
                    return;
                }
            } else if (in % out != 0) {
                sh_err(c, "cannot reshape %s into shape %s: %lld elements are not a multiple of "
                       "%lld", sh_dims_str(x->rank, x->dims, xs, sizeof xs), req, (long long)in,
                       (long long)out);
                return;
            } else {
                d[neg] = sh_known(in / out);
            }
        } else if (in_ok && in != out) {
            sh_err(c, "cannot reshape %s into shape %s: %lld vs %lld elements",
                   sh_dims_str(x->rank, x->dims, xs, sizeof xs), req, (long long)in,
                   (long long)out);
            return;
        }
    }
    sh_out(c, 0, x->dtype, k, d);
}

/* Flatten(input) -> output [prod(dims[:axis]), prod(dims[axis:])]; attr axis (1), in [-r, r] */
void sh_flatten(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    ir_dim d[2] = {sh_unknown(), sh_unknown()};
    if (x->rank < 0) {
        sh_out(c, 0, x->dtype, 2, d);
        return;
    }
    int64_t a = ir_attr_int(c->n, "axis", 1);
    if (a < -(int64_t)x->rank || a > x->rank) {
        sh_err(c, "attribute axis %lld is out of range for rank %d", (long long)a, x->rank);
        return;
    }
    int ax = (int)(a < 0 ? a + x->rank : a), ovf = 0;
    d[0] = sh_prod(x->dims, 0, ax, &ovf);
    d[1] = sh_prod(x->dims, ax, x->rank, &ovf);
    if (ovf) {
        sh_err(c, "the element count of input 0 overflows");
        return;
    }
    sh_out(c, 0, x->dtype, 2, d);
}

/* Squeeze(data, axes?) -> squeezed; without axes every dim of size 1 goes */
void sh_squeeze(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0), *a = sh_in(c, 1);
    int64_t axes[IR_MAX_RANK];
    int cnt;
    int r = sh_ints_or_attr(c, 1, "axes", axes, IR_MAX_RANK, &cnt);
    if (r < 0) return;
    ir_dim d[IR_MAX_RANK];
    int rr = 0;
    if (x->rank < 0) {
        sh_out(c, 0, x->dtype, -1, NULL);
        return;
    }
    if (r == 0 && cnt == 0) {
        /* axes given but not known: the rank is known if their count is */
        rr = a->rank == 1 && a->dims[0].v >= 0 && a->dims[0].v <= x->rank ?
             x->rank - (int)a->dims[0].v : -1;
        for (int i = 0; i < rr; i++) d[i] = sh_unknown();
        sh_out(c, 0, x->dtype, rr, d);
        return;
    }
    int drop[IR_MAX_RANK] = {0};
    if (cnt <= 0) {
        for (int i = 0; i < x->rank; i++) {
            if (x->dims[i].v < 0) {
                sh_out(c, 0, x->dtype, -1, NULL);
                return;
            }
            drop[i] = x->dims[i].v == 1;
        }
    }
    for (int k = 0; k < cnt; k++) {
        int ax;
        if (sh_axis(c, axes[k], x->rank, "axis", &ax)) return;
        if (drop[ax]) {
            sh_err(c, "axis %lld is repeated", (long long)axes[k]);
            return;
        }
        if (x->dims[ax].v >= 0 && x->dims[ax].v != 1) {
            sh_err(c, "cannot squeeze axis %d of size %lld", ax, (long long)x->dims[ax].v);
            return;
        }
        drop[ax] = 1;
    }
    for (int i = 0; i < x->rank; i++)
        if (!drop[i]) d[rr++] = x->dims[i];
    sh_out(c, 0, x->dtype, rr, d);
}

/* Unsqueeze(data, axes) -> expanded; axes index the output (rank r + len(axes)) */
void sh_unsqueeze(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0), *a = sh_in(c, 1);
    int64_t axes[IR_MAX_RANK];
    int cnt;
    int r = sh_ints_or_attr(c, 1, "axes", axes, IR_MAX_RANK, &cnt);
    if (r < 0) return;
    if (cnt < 0) {
        sh_err(c, "input 1 (axes) is missing");
        return;
    }
    ir_dim d[IR_MAX_RANK];
    if (x->rank < 0) {
        sh_out(c, 0, x->dtype, -1, NULL);
        return;
    }
    if (r == 0) {
        int64_t rr = a->rank == 1 && a->dims[0].v >= 0 ? x->rank + a->dims[0].v : -1;
        if (rr > IR_MAX_RANK) {
            sh_err(c, "output would have rank %lld, more than %d", (long long)rr, IR_MAX_RANK);
            return;
        }
        for (int i = 0; i < rr; i++) d[i] = sh_unknown();
        sh_out(c, 0, x->dtype, (int)rr, d);
        return;
    }
    int rr = x->rank + cnt;
    if (rr > IR_MAX_RANK) {
        sh_err(c, "output would have rank %d, more than %d", rr, IR_MAX_RANK);
        return;
    }
    int ins[IR_MAX_RANK] = {0};
    for (int k = 0; k < cnt; k++) {
        int ax;
        if (sh_axis(c, axes[k], rr, "axis", &ax)) return;
        if (ins[ax]) {
            sh_err(c, "axis %lld is repeated", (long long)axes[k]);
            return;
        }
        ins[ax] = 1;
    }
    for (int i = 0, j = 0; i < rr; i++) d[i] = ins[i] ? sh_known(1) : x->dims[j++];
    sh_out(c, 0, x->dtype, rr, d);
}

/* Transpose(data) -> transposed; attr perm (default: reversed) */
void sh_transpose(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    int cnt;
    const int64_t *perm = sh_attr_ints(c, "perm", &cnt);
    if (c->nerr) return;
    ir_dim d[IR_MAX_RANK];
    if (x->rank < 0) {
        if (perm && cnt > IR_MAX_RANK) {
            sh_err(c, "attribute perm has %d values, more than %d", cnt, IR_MAX_RANK);
            return;
        }
        for (int i = 0; perm && i < cnt; i++) d[i] = sh_unknown();
        sh_out(c, 0, x->dtype, perm ? cnt : -1, d);
        return;
    }
    if (perm && cnt != x->rank) {
        sh_err(c, "attribute perm has %d values but input 0 has rank %d", cnt, x->rank);
        return;
    }
    int used[IR_MAX_RANK] = {0};
    for (int i = 0; i < x->rank; i++) {
        int64_t p = perm ? perm[i] : x->rank - 1 - i;
        if (p < 0 || p >= x->rank || used[p]) {
            sh_err(c, "attribute perm is not a permutation of 0..%d", x->rank - 1);
            return;
        }
        used[p] = 1;
        d[i] = x->dims[p];
    }
    sh_out(c, 0, x->dtype, x->rank, d);
}

/* Concat(inputs...) -> concat_result; attr axis (required). Dims other than axis must agree. */
void sh_concat(sh_ctx *c) {
    const ir_attr *aa = ir_node_attr(c->n, "axis");
    if (!aa || aa->type != IR_ATTR_INT) {
        sh_err(c, "attribute axis is missing");
        return;
    }
    int rank = -1, rank_from = -1, dt = IR_DT_UNDEF, dt_from = -1;
    for (int i = 0; i < c->n->nin; i++) {
        const ir_value *v = sh_in(c, i);
        if (!sh_present(c, i)) {
            sh_err(c, "input %d is missing", i);
            return;
        }
        if (v->dtype) {
            if (dt && v->dtype != dt) {
                sh_err(c, "input %d is %s but input %d is %s", i, ir_dtype_name(v->dtype),
                       dt_from, ir_dtype_name(dt));
                return;
            }
            dt = v->dtype, dt_from = i;
        }
        if (v->rank < 0) continue;
        if (rank >= 0 && v->rank != rank) {
            sh_err(c, "input %d has rank %d but input %d has rank %d", i, v->rank, rank_from,
                   rank);
            return;
        }
        rank = v->rank, rank_from = i;
    }
    if (rank < 0) {
        sh_out(c, 0, dt, -1, NULL);
        return;
    }
    if (rank == 0) {
        sh_err(c, "inputs are scalars; Concat needs rank >= 1");
        return;
    }
    int ax;
    if (sh_axis(c, aa->i, rank, "attribute axis", &ax)) return;
    ir_dim d[IR_MAX_RANK];
    int from[IR_MAX_RANK];
    for (int j = 0; j < rank; j++) d[j] = sh_unknown(), from[j] = -1;
    int64_t sum = 0;
    for (int i = 0; i < c->n->nin; i++) {
        const ir_value *v = sh_in(c, i);
        if (v->rank < 0) {
            sum = -1;
            continue;
        }
        for (int j = 0; j < rank; j++) {
            ir_dim e = v->dims[j];
            if (j == ax) {
                if (sum >= 0) sum = e.v >= 0 ? sh_add_checked(sum, e.v) : -1;
                continue;
            }
            if (e.v >= 0) {
                if (d[j].v >= 0 && d[j].v != e.v) {
                    sh_err(c, "input %d has %lld at axis %d but input %d has %lld", i,
                           (long long)e.v, j, from[j], (long long)d[j].v);
                    return;
                }
                d[j] = e, from[j] = i;
            } else if (d[j].v < 0 && !d[j].sym && e.sym) {
                d[j] = e;  /* all must be equal: a name for it is right */
            }
        }
    }
    d[ax] = sum >= 0 ? sh_known(sum) : sh_unknown();
    if (c->n->nin == 1) d[ax] = sh_in(c, 0)->dims[ax];
    sh_out(c, 0, dt, rank, d);
}

/* Split(input, split?) -> outputs...; attrs axis (0), num_outputs (opset 18). Without split
 * or num_outputs the dim is divided evenly; with num_outputs the last chunk may be smaller. */
void sh_split(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    int nout = c->n->nout;
    const ir_tensor *st = sh_data(c, 1);
    const ir_attr *na = ir_node_attr(c->n, "num_outputs");
    if (c->nerr) return;
    if (x->rank < 0) {
        for (int i = 0; i < nout; i++) sh_out(c, i, x->dtype, -1, NULL);
        return;
    }
    int ax;
    if (x->rank == 0) {
        sh_err(c, "input 0 is a scalar; Split needs rank >= 1");
        return;
    }
    if (sh_axis(c, ir_attr_int(c->n, "axis", 0), x->rank, "attribute axis", &ax)) return;
    int64_t dim = x->dims[ax].v;
    ir_dim d[IR_MAX_RANK];
    memcpy(d, x->dims, sizeof d);
    if (st) {
        if (st->rank != 1 || !sh_is_int_dtype(st->dtype)) {
            sh_err(c, "input 1 (split) must be a 1-D integer tensor");
            return;
        }
        if (st->dims[0] != nout) {
            sh_err(c, "input 1 (split) has %lld entries for %d outputs", (long long)st->dims[0],
                   nout);
            return;
        }
        int64_t sum = 0;
        for (int i = 0; i < nout; i++) {
            int64_t v = ir_tensor_get_i64(st, i);
            if (v < 0) {
                sh_err(c, "split[%d] is %lld; must be >= 0", i, (long long)v);
                return;
            }
            sum = sh_add_checked(sum, v);
            if (sum < 0) {
                sh_err(c, "split sizes overflow");
                return;
            }
        }
        if (dim >= 0 && sum != dim) {
            sh_err(c, "split sizes sum to %lld but axis %d has %lld", (long long)sum, ax,
                   (long long)dim);
            return;
        }
        for (int i = 0; i < nout; i++) {
            d[ax] = sh_known(ir_tensor_get_i64(st, i));
            sh_out(c, i, x->dtype, x->rank, d);
        }
        return;
    }
    if (sh_present(c, 1) || dim < 0) {
        /* split sizes not known, or the dim not known */
        if (!(nout == 1 && !sh_present(c, 1))) d[ax] = sh_unknown();
        for (int i = 0; i < nout; i++) sh_out(c, i, x->dtype, x->rank, d);
        return;
    }
    if (na) {
        if (na->type != IR_ATTR_INT || na->i != nout) {
            sh_err(c, "attribute num_outputs is %lld but the node has %d outputs",
                   na->type == IR_ATTR_INT ? (long long)na->i : -1LL, nout);
            return;
        }
        int64_t chunk = dim / nout + (dim % nout != 0);
        int64_t last = dim - chunk * (nout - 1);
        if (last < 0) {
            sh_err(c, "cannot split %lld into %d outputs of at most %lld", (long long)dim, nout,
                   (long long)chunk);
            return;
        }
        for (int i = 0; i < nout; i++) {
            d[ax] = sh_known(i == nout - 1 ? last : chunk);
            sh_out(c, i, x->dtype, x->rank, d);
        }
        return;
    }
    if (dim % nout != 0) {
        sh_err(c, "axis %d of size %lld does not split evenly into %d outputs", ax,
               (long long)dim, nout);
        return;
    }
    d[ax] = sh_known(dim / nout);
    for (int i = 0; i < nout; i++) sh_out(c, i, x->dtype, x->rank, d);
}

/* Elements that Slice keeps of a dim of size n for start, end, step: ONNX's clamping rules,
 * plus onnxruntime's reading of an end of INT32_MAX or INT64_MAX as "to the end in the step's
 * direction" (numpy's None), which matters for negative steps. */
static int64_t sh_slice_count(int64_t n, int64_t start, int64_t end, int64_t step) {
    if (n == 0) return 0;
    if (end == INT32_MAX || end == INT64_MAX) end = step < 0 ? -1 - n : n;
    if (start < 0) start += n;
    if (end < 0) end += n;
    if (step > 0) {
        start = start < 0 ? 0 : start > n ? n : start;
        end = end < 0 ? 0 : end > n ? n : end;
        if (end <= start) return 0;
        uint64_t diff = (uint64_t)(end - start), s = (uint64_t)step;
        return (int64_t)(diff / s + (diff % s != 0));
    }
    start = start < 0 ? 0 : start > n - 1 ? n - 1 : start;
    end = end < -1 ? -1 : end > n - 1 ? n - 1 : end;
    if (start <= end) return 0;
    uint64_t diff = (uint64_t)(start - end), s = (uint64_t)0 - (uint64_t)step;
    return (int64_t)(diff / s + (diff % s != 0));
}

/* Slice(data, starts, ends, axes?, steps?) -> output */
void sh_slice(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    int64_t st[IR_MAX_RANK], en[IR_MAX_RANK], ax[IR_MAX_RANK], sp[IR_MAX_RANK];
    int ns, ne, na, np;
    int rs = sh_ints(c, 1, "starts", st, IR_MAX_RANK, &ns);
    int re = sh_ints(c, 2, "ends", en, IR_MAX_RANK, &ne);
    int ra = sh_present(c, 3) ? sh_ints(c, 3, "axes", ax, IR_MAX_RANK, &na) : 2;
    int rp = sh_present(c, 4) ? sh_ints(c, 4, "steps", sp, IR_MAX_RANK, &np) : 2;
    if (rs < 0 || re < 0 || ra < 0 || rp < 0) return;
    if (x->rank < 0) {
        sh_out(c, 0, x->dtype, -1, NULL);
        return;
    }
    ir_dim d[IR_MAX_RANK];
    memcpy(d, x->dims, sizeof d);
    if (rs == 1 && re == 1 && ns != ne) {
        sh_err(c, "starts has %d entries but ends has %d", ns, ne);
        return;
    }
    int k = rs == 1 ? ns : re == 1 ? ne : -1;
    if (ra == 1 && k >= 0 && na != k) {
        sh_err(c, "axes has %d entries but starts has %d", na, k);
        return;
    }
    if (rp == 1 && k >= 0 && np != k) {
        sh_err(c, "steps has %d entries but starts has %d", np, k);
        return;
    }
    if (ra == 1) k = na;
    if (rp == 1) k = np;
    if (ra == 0 || k < 0) {
        /* which axes are sliced is not known */
        for (int i = 0; i < x->rank; i++) d[i] = sh_unknown();
        sh_out(c, 0, x->dtype, x->rank, d);
        return;
    }
    int seen[IR_MAX_RANK] = {0};
    for (int i = 0; i < k; i++) {
        int a;
        if (sh_axis(c, ra == 1 ? ax[i] : i, x->rank, "axis", &a)) return;
        if (seen[a]) {
            sh_err(c, "axis %d is repeated", a);
            return;
        }
        seen[a] = 1;
        int64_t step = rp == 1 ? sp[i] : 1;
        if (step == 0) {
            sh_err(c, "step for axis %d is 0", a);
            return;
        }
        if (rs != 1 || re != 1 || rp == 0) {
            d[a] = sh_unknown();
            continue;
        }
        if (x->dims[a].v < 0) {
            /* the whole dim, unknown size and all */
            int whole = step == 1 && st[i] == 0 && en[i] >= ((int64_t)1 << 62);
            d[a] = whole ? x->dims[a] : sh_unknown();
            continue;
        }
        d[a] = sh_known(sh_slice_count(x->dims[a].v, st[i], en[i], step));
    }
    sh_out(c, 0, x->dtype, x->rank, d);
}

/* Gather(data, indices) -> output = data[:axis] + indices + data[axis+1:]; attr axis (0) */
void sh_gather(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0), *ix = sh_in(c, 1);
    if (ix->dtype && ix->dtype != IR_DT_INT32 && ix->dtype != IR_DT_INT64) {
        sh_err(c, "input 1 (indices) must be int32 or int64, got %s", ir_dtype_name(ix->dtype));
        return;
    }
    if (x->rank == 0) {
        sh_err(c, "input 0 is a scalar; Gather needs rank >= 1");
        return;
    }
    int ax = 0;
    if (x->rank > 0 && sh_axis(c, ir_attr_int(c->n, "axis", 0), x->rank, "attribute axis", &ax))
        return;
    if (x->rank < 0 || ix->rank < 0) {
        sh_out(c, 0, x->dtype, -1, NULL);
        return;
    }
    int rr = x->rank - 1 + ix->rank;
    if (rr > IR_MAX_RANK) {
        sh_err(c, "output would have rank %d, more than %d", rr, IR_MAX_RANK);
        return;
    }
    ir_dim d[IR_MAX_RANK];
    int o = 0;
    for (int i = 0; i < ax; i++) d[o++] = x->dims[i];
    for (int i = 0; i < ix->rank; i++) d[o++] = ix->dims[i];
    for (int i = ax + 1; i < x->rank; i++) d[o++] = x->dims[i];
    sh_out(c, 0, x->dtype, rr, d);
}

/* GatherElements(data, indices) -> output of indices' shape; attr axis (0) */
void sh_gather_elements(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0), *ix = sh_in(c, 1);
    if (x->rank >= 0 && ix->rank >= 0 && x->rank != ix->rank) {
        sh_err(c, "input 0 has rank %d but input 1 (indices) has rank %d", x->rank, ix->rank);
        return;
    }
    int ax;
    if (x->rank > 0 && sh_axis(c, ir_attr_int(c->n, "axis", 0), x->rank, "attribute axis", &ax))
        return;
    sh_out(c, 0, x->dtype, ix->rank, ix->dims);
}

/* GatherND(data, indices) -> output = indices[:-1] + data[b + indices[-1]:]; attr batch_dims b */
void sh_gather_nd(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0), *ix = sh_in(c, 1);
    int64_t b = ir_attr_int(c->n, "batch_dims", 0);
    if (b < 0 || (x->rank >= 0 && b >= x->rank) || (ix->rank >= 0 && b >= ix->rank)) {
        sh_err(c, "attribute batch_dims %lld is out of range for ranks %d and %d", (long long)b,
               x->rank, ix->rank);
        return;
    }
    if (x->rank < 0 || ix->rank < 0 || ix->dims[ix->rank - 1].v < 0) {
        sh_out(c, 0, x->dtype, -1, NULL);
        return;
    }
    int64_t last = ix->dims[ix->rank - 1].v;
    if (last < 1 || last > x->rank - b) {
        sh_err(c, "indices' last dim is %lld; must be in 1..%lld", (long long)last,
               (long long)(x->rank - b));
        return;
    }
    int64_t rr = ix->rank - 1 + (x->rank - b - last);
    if (rr > IR_MAX_RANK) {
        sh_err(c, "output would have rank %lld, more than %d", (long long)rr, IR_MAX_RANK);
        return;
    }
    ir_dim d[IR_MAX_RANK];
    int o = 0;
    for (int i = 0; i < ix->rank - 1; i++) d[o++] = ix->dims[i];
    for (int64_t i = b + last; i < x->rank; i++) d[o++] = x->dims[i];
    sh_out(c, 0, x->dtype, o, d);
}

/* ScatterElements(data, indices, updates) / ScatterND(...) -> output of data's shape */
void sh_scatter(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    const ir_value *u = sh_in(c, 2);
    if (x->dtype && u->dtype && x->dtype != u->dtype) {
        sh_err(c, "input 2 (updates) is %s but input 0 is %s", ir_dtype_name(u->dtype),
               ir_dtype_name(x->dtype));
        return;
    }
    int ax;
    if (c->n->op == IR_OP_SCATTERELEMENTS && x->rank > 0 &&
        sh_axis(c, ir_attr_int(c->n, "axis", 0), x->rank, "attribute axis", &ax))
        return;
    sh_out(c, 0, x->dtype, x->rank, x->dims);
}

/* Expand(input, shape) -> output = broadcast(input, shape) */
void sh_expand(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0), *s = sh_in(c, 1);
    int64_t sv[IR_MAX_RANK];
    int k;
    int r = sh_ints(c, 1, "shape", sv, IR_MAX_RANK, &k);
    if (r < 0) return;
    if (r == 0) {
        int64_t sk = s->rank == 1 ? s->dims[0].v : -1;
        if (sk > IR_MAX_RANK) {
            sh_err(c, "input 1 (shape) has %lld elements, more than %d", (long long)sk,
                   IR_MAX_RANK);
            return;
        }
        ir_dim d[IR_MAX_RANK];
        int rr = x->rank >= 0 && sk >= 0 ? (x->rank > sk ? x->rank : (int)sk) : -1;
        for (int i = 0; i < rr; i++) d[i] = sh_unknown();
        sh_out(c, 0, x->dtype, rr, d);
        return;
    }
    ir_dim sd[IR_MAX_RANK];
    for (int i = 0; i < k; i++) {
        if (sv[i] < 0) {
            sh_err(c, "shape entry %d is %lld; must be >= 0", i, (long long)sv[i]);
            return;
        }
        sd[i] = sh_known(sv[i]);
    }
    sh_bin b[2] = {{x->rank, x->dims, 0}, {k, sd, 1}};
    int rr;
    ir_dim d[IR_MAX_RANK];
    if (sh_broadcast(c, 2, b, &rr, d)) return;
    sh_out(c, 0, x->dtype, rr, d);
}

/* Tile(input, repeats) -> output with dim i = dims[i] * repeats[i] */
void sh_tile(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    int64_t rp[IR_MAX_RANK];
    int k;
    int r = sh_ints(c, 1, "repeats", rp, IR_MAX_RANK, &k);
    if (r < 0) return;
    if (x->rank < 0) {
        sh_out(c, 0, x->dtype, -1, NULL);
        return;
    }
    ir_dim d[IR_MAX_RANK];
    if (r == 0) {
        for (int i = 0; i < x->rank; i++) d[i] = sh_unknown();
        sh_out(c, 0, x->dtype, x->rank, d);
        return;
    }
    if (k != x->rank) {
        sh_err(c, "input 1 (repeats) has %d entries but input 0 has rank %d", k, x->rank);
        return;
    }
    for (int i = 0; i < k; i++) {
        if (rp[i] < 0) {
            sh_err(c, "repeats[%d] is %lld; must be >= 0", i, (long long)rp[i]);
            return;
        }
        if (x->dims[i].v < 0) {
            d[i] = rp[i] == 1 ? x->dims[i] : rp[i] == 0 ? sh_known(0) : sh_unknown();
            continue;
        }
        int64_t v = ir_mul_checked(x->dims[i].v, rp[i]);
        if (v < 0) {
            sh_err(c, "dim %d: %lld x %lld repeats overflows", i, (long long)x->dims[i].v,
                   (long long)rp[i]);
            return;
        }
        d[i] = sh_known(v);
    }
    sh_out(c, 0, x->dtype, x->rank, d);
}

/* Pad(data, pads, constant_value?, axes?) -> output; pads = [begins..., ends...] over axes
 * (default all); a negative pad crops */
void sh_pad(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    int64_t pads[2 * IR_MAX_RANK], axes[IR_MAX_RANK];
    int np, na = -1;
    int rp = sh_ints(c, 1, "pads", pads, 2 * IR_MAX_RANK, &np);
    int ra = sh_present(c, 3) ? sh_ints(c, 3, "axes", axes, IR_MAX_RANK, &na) : 2;
    if (rp < 0 || ra < 0) return;
    if (x->rank < 0) {
        sh_out(c, 0, x->dtype, -1, NULL);
        return;
    }
    ir_dim d[IR_MAX_RANK];
    memcpy(d, x->dims, sizeof d);
    if (ra == 0 || (rp == 0 && ra != 1)) {
        for (int i = 0; i < x->rank; i++) d[i] = sh_unknown();
        sh_out(c, 0, x->dtype, x->rank, d);
        return;
    }
    int k = ra == 1 ? na : x->rank;
    int list[IR_MAX_RANK], seen[IR_MAX_RANK] = {0};
    for (int i = 0; i < k; i++) {
        if (ra == 1) {
            if (sh_axis(c, axes[i], x->rank, "axis", &list[i])) return;
            if (seen[list[i]]) {
                sh_err(c, "axis %d is repeated", list[i]);
                return;
            }
            seen[list[i]] = 1;
        } else {
            list[i] = i;
        }
    }
    if (rp == 0) {
        for (int i = 0; i < k; i++) d[list[i]] = sh_unknown();
        sh_out(c, 0, x->dtype, x->rank, d);
        return;
    }
    if (np != 2 * k) {
        sh_err(c, "input 1 (pads) has %d entries for %d axes; expected %d", np, k, 2 * k);
        return;
    }
    for (int i = 0; i < k; i++) {
        int a = list[i];
        int64_t pb = pads[i], pe = pads[k + i];
        if (pb < -((int64_t)1 << 62) || pb > ((int64_t)1 << 62) || pe < -((int64_t)1 << 62) ||
            pe > ((int64_t)1 << 62)) {
            sh_err(c, "pads for axis %d are out of range", a);
            return;
        }
        if (x->dims[a].v < 0) {
            d[a] = pb == 0 && pe == 0 ? x->dims[a] : sh_unknown();
            continue;
        }
        int64_t v = x->dims[a].v + pb + pe;  /* |pads| < 2^62 and dims >= 0: no overflow */
        if (x->dims[a].v > ((int64_t)1 << 62) || v < 0) {
            sh_err(c, "axis %d of size %lld with pads %lld, %lld would have size %lld", a,
                   (long long)x->dims[a].v, (long long)pb, (long long)pe, (long long)v);
            return;
        }
        d[a] = sh_known(v);
    }
    sh_out(c, 0, x->dtype, x->rank, d);
}

/* The blocksize attribute (required, >= 1) and input 0 checked to be 4-D. */
static int sh_blocksize(sh_ctx *c, const ir_value *x, int64_t *b) {
    *b = ir_attr_int(c->n, "blocksize", 0);
    if (*b < 1) {
        sh_err(c, "attribute blocksize is missing or < 1");
        return -1;
    }
    if (x->rank >= 0 && x->rank != 4) {
        sh_err(c, "input 0 must be 4-D, got rank %d", x->rank);
        return -1;
    }
    return 0;
}

/* DepthToSpace(input [N,C,H,W]) -> [N, C/(b*b), H*b, W*b]; attrs blocksize, mode */
void sh_depth_to_space(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    int64_t b;
    if (sh_blocksize(c, x, &b)) return;
    if (x->rank < 0) {
        sh_out(c, 0, x->dtype, -1, NULL);
        return;
    }
    int64_t bb = ir_mul_checked(b, b);
    ir_dim d[4] = {x->dims[0], sh_unknown(), sh_unknown(), sh_unknown()};
    if (x->dims[1].v >= 0) {
        if (bb < 0 || x->dims[1].v % bb != 0) {
            sh_err(c, "%lld channels are not divisible by blocksize^2 (%lld^2)",
                   (long long)x->dims[1].v, (long long)b);
            return;
        }
        d[1] = sh_known(x->dims[1].v / bb);
    }
    for (int i = 2; i < 4; i++)
        if (x->dims[i].v >= 0) {
            int64_t v = ir_mul_checked(x->dims[i].v, b);
            if (v < 0) {
                sh_err(c, "dim %d x blocksize overflows", i);
                return;
            }
            d[i] = sh_known(v);
        }
    sh_out(c, 0, x->dtype, 4, d);
}

/* SpaceToDepth(input [N,C,H,W]) -> [N, C*b*b, H/b, W/b]; attr blocksize */
void sh_space_to_depth(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    int64_t b;
    if (sh_blocksize(c, x, &b)) return;
    if (x->rank < 0) {
        sh_out(c, 0, x->dtype, -1, NULL);
        return;
    }
    ir_dim d[4] = {x->dims[0], sh_unknown(), sh_unknown(), sh_unknown()};
    if (x->dims[1].v >= 0) {
        int64_t v = ir_mul_checked(x->dims[1].v, ir_mul_checked(b, b));
        if (v < 0) {
            sh_err(c, "channels x blocksize^2 overflows");
            return;
        }
        d[1] = sh_known(v);
    }
    for (int i = 2; i < 4; i++)
        if (x->dims[i].v >= 0) {
            if (x->dims[i].v % b != 0) {
                sh_err(c, "dim %d of size %lld is not divisible by blocksize %lld", i,
                       (long long)x->dims[i].v, (long long)b);
                return;
            }
            d[i] = sh_known(x->dims[i].v / b);
        }
    sh_out(c, 0, x->dtype, 4, d);
}

/* A scalar (or one-element) constant input as a double (and as int64 into *iout): 1 read,
 * 0 unknown, -1 error. */
static int sh_scalar(sh_ctx *c, int i, const char *what, double *out, int64_t *iout) {
    const ir_tensor *t = sh_data(c, i);
    if (!t) return 0;
    if (t->rank > 1 || ir_tensor_numel(t) != 1) {
        sh_err(c, "input %d (%s) must be a scalar", i, what);
        return -1;
    }
    if (!sh_is_int_dtype(t->dtype) && t->dtype != IR_DT_FLOAT && t->dtype != IR_DT_DOUBLE)
        return 0;  /* float16 and such: not read here, the count stays unknown */
    *out = ir_tensor_get_f64(t, 0);
    if (iout) *iout = ir_tensor_get_i64(t, 0);
    return 1;
}

/* OneHot(indices, depth, values) -> output: indices' shape with depth inserted at axis;
 * attr axis (-1); dtype of values */
void sh_onehot(sh_ctx *c) {
    const ir_value *ix = sh_in(c, 0), *vals = sh_in(c, 2);
    double depth = 0;
    int r = sh_scalar(c, 1, "depth", &depth, NULL);
    if (r < 0) return;
    if (r == 1 && !(depth >= 1 && depth < 4.0e18)) {
        sh_err(c, "depth is %g; must be >= 1", depth);
        return;
    }
    if (ix->rank < 0) {
        sh_out(c, 0, vals->dtype, -1, NULL);
        return;
    }
    int rr = ix->rank + 1;
    if (rr > IR_MAX_RANK) {
        sh_err(c, "output would have rank %d, more than %d", rr, IR_MAX_RANK);
        return;
    }
    int ax;
    if (sh_axis(c, ir_attr_int(c->n, "axis", -1), rr, "attribute axis", &ax)) return;
    ir_dim d[IR_MAX_RANK];
    for (int i = 0, j = 0; i < rr; i++)
        d[i] = i == ax ? (r == 1 ? sh_known((int64_t)depth) : sh_unknown()) : ix->dims[j++];
    sh_out(c, 0, vals->dtype, rr, d);
}

/* Resize(X, roi?, scales?, sizes?) -> Y; attrs axes, keep_aspect_ratio_policy. Sizes give
 * the output dims; scales give floor(dim * scale). An empty scales or sizes counts as absent. */
void sh_resize(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    if (x->rank < 0) {
        sh_out(c, 0, x->dtype, -1, NULL);
        return;
    }
    int na;
    const int64_t *axes_attr = sh_attr_ints(c, "axes", &na);
    if (c->nerr) return;
    int list[IR_MAX_RANK], seen[IR_MAX_RANK] = {0};
    int k = axes_attr ? na : x->rank;
    if (k > x->rank) {
        sh_err(c, "attribute axes has %d values for rank %d", k, x->rank);
        return;
    }
    for (int i = 0; i < k; i++) {
        if (!axes_attr) {
            list[i] = i;
            continue;
        }
        if (sh_axis(c, axes_attr[i], x->rank, "axis", &list[i])) return;
        if (seen[list[i]]) {
            sh_err(c, "axis %d is repeated", list[i]);
            return;
        }
        seen[list[i]] = 1;
    }
    /* which of scales (2) and sizes (3) is given: present and not empty */
    const ir_value *sc = sh_in(c, 2), *sz = sh_in(c, 3);
    int has_sc = sh_present(c, 2) && !(sc->rank == 1 && sc->dims[0].v == 0);
    int has_sz = sh_present(c, 3) && !(sz->rank == 1 && sz->dims[0].v == 0);
    ir_dim d[IR_MAX_RANK];
    memcpy(d, x->dims, sizeof d);
    const ir_tensor *ts = has_sc ? sh_data(c, 2) : NULL, *tz = has_sz ? sh_data(c, 3) : NULL;
    if (c->nerr) return;
    if (ts && ir_tensor_numel(ts) == 0) has_sc = 0, ts = NULL;
    if (tz && ir_tensor_numel(tz) == 0) has_sz = 0, tz = NULL;
    if (has_sc && has_sz) {
        sh_err(c, "scales and sizes are both given; only one may be");
        return;
    }
    if (!has_sc && !has_sz) {
        if (!sh_present(c, 2) && !sh_present(c, 3)) {
            sh_err(c, "one of scales (input 2) and sizes (input 3) is required");
            return;
        }
        sh_out(c, 0, x->dtype, x->rank, d);  /* both empty: the shape stays */
        return;
    }
    const ir_tensor *t = ts ? ts : tz;
    if (!t) {
        for (int i = 0; i < k; i++) d[list[i]] = sh_unknown();
        sh_out(c, 0, x->dtype, x->rank, d);
        return;
    }
    if (t->rank != 1 || t->dims[0] != k) {
        sh_err(c, "input %d (%s) must be 1-D with %d entries", ts ? 2 : 3, ts ? "scales" : "sizes",
               k);
        return;
    }
    if (ts) {
        if (t->dtype != IR_DT_FLOAT && t->dtype != IR_DT_DOUBLE) {
            sh_err(c, "input 2 (scales) must be float, got %s", ir_dtype_name(t->dtype));
            return;
        }
        for (int i = 0; i < k; i++) {
            double s = ir_tensor_get_f64(t, i);
            int a = list[i];
            if (!(s > 0) || !isfinite(s)) {
                sh_err(c, "scales[%d] is %g; must be > 0", i, s);
                return;
            }
            if (x->dims[a].v < 0) {
                d[a] = s == 1.0 ? x->dims[a] : sh_unknown();
                continue;
            }
            double v = floor((double)x->dims[a].v * s);
            if (v >= 4.0e18) {
                sh_err(c, "axis %d: %lld x scale %g is too large", a, (long long)x->dims[a].v, s);
                return;
            }
            d[a] = sh_known((int64_t)v);
        }
        sh_out(c, 0, x->dtype, x->rank, d);
        return;
    }
    if (!sh_is_int_dtype(t->dtype)) {
        sh_err(c, "input 3 (sizes) must be int64, got %s", ir_dtype_name(t->dtype));
        return;
    }
    for (int i = 0; i < k; i++)
        if (ir_tensor_get_i64(t, i) < 0) {
            sh_err(c, "sizes[%d] is %lld; must be >= 0", i, (long long)ir_tensor_get_i64(t, i));
            return;
        }
    const char *pol = ir_attr_string(c->n, "keep_aspect_ratio_policy", "stretch");
    if (strcmp(pol, "stretch") == 0) {
        for (int i = 0; i < k; i++) d[list[i]] = sh_known(ir_tensor_get_i64(t, i));
    } else if (strcmp(pol, "not_larger") == 0 || strcmp(pol, "not_smaller") == 0) {
        int larger = pol[4] == 's';
        double scale = 0;
        for (int i = 0; i < k; i++) {
            int64_t in = x->dims[list[i]].v;
            if (in <= 0) {
                for (int j = 0; j < k; j++) d[list[j]] = sh_unknown();
                sh_out(c, 0, x->dtype, x->rank, d);
                return;
            }
            double s = (double)ir_tensor_get_i64(t, i) / (double)in;
            if (i == 0 || (larger ? s > scale : s < scale)) scale = s;
        }
        for (int i = 0; i < k; i++) {
            double v = floor((double)x->dims[list[i]].v * scale + 0.5);
            d[list[i]] = sh_known((int64_t)v);
        }
    } else {
        sh_err(c, "attribute keep_aspect_ratio_policy '%s' is not stretch, not_larger or "
               "not_smaller", pol);
        return;
    }
    sh_out(c, 0, x->dtype, x->rank, d);
}

/* NonZero(X) -> Y [rank, nnz] int64; nnz known only when X is constant */
void sh_nonzero(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    ir_dim d[2] = {x->rank >= 0 ? sh_known(x->rank) : sh_unknown(), sh_unknown()};
    const ir_tensor *t = sh_data(c, 0);
    if (t && t->dtype != IR_DT_STRING) {
        int64_t n = ir_tensor_numel(t), nnz = 0;
        for (int64_t i = 0; i < n; i++) {
            int nz;
            switch (t->dtype) {
            case IR_DT_FLOAT16: case IR_DT_BFLOAT16:
                nz = (((const uint16_t *)t->data)[i] & 0x7fff) != 0;
                break;
            case IR_DT_FLOAT:
                nz = ((const float *)t->data)[i] != 0;
                break;
            case IR_DT_DOUBLE:
                nz = ((const double *)t->data)[i] != 0;
                break;
            case IR_DT_COMPLEX64: case IR_DT_COMPLEX128: {
                size_t es = ir_dtype_size(t->dtype);
                const unsigned char *p = (const unsigned char *)t->data + (size_t)i * es;
                nz = 0;
                for (size_t b = 0; b < es; b++) nz |= p[b] != 0;  /* +-0.0 parts: rare */
                break;
            }
            default:
                nz = ir_tensor_get_i64(t, i) != 0;
                break;
            }
            nnz += nz;
        }
        d[1] = sh_known(nnz);
    }
    sh_out(c, 0, IR_DT_INT64, 2, d);
}

/* Shape(data) -> shape [k] int64; attrs start (0), end (rank), clamped to [0, rank] */
void sh_shape(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    ir_dim d[1] = {sh_unknown()};
    if (x->rank >= 0) {
        int64_t r = x->rank, s = ir_attr_int(c->n, "start", 0), e = ir_attr_int(c->n, "end", r);
        if (s < 0) s += r;
        if (e < 0) e += r;
        s = s < 0 ? 0 : s > r ? r : s;
        e = e < 0 ? 0 : e > r ? r : e;
        d[0] = sh_known(e > s ? e - s : 0);
    }
    sh_out(c, 0, IR_DT_INT64, 1, d);
}

/* Size(data) -> size, an int64 scalar */
void sh_size(sh_ctx *c) { sh_out(c, 0, IR_DT_INT64, 0, NULL); }

/* Constant() -> output; one of the attributes value (tensor), value_float(s), value_int(s),
 * value_string(s) */
void sh_constant(sh_ctx *c) {
    ir_dim d[IR_MAX_RANK];
    const ir_attr *a;
    if ((a = ir_node_attr(c->n, "value"))) {
        if (a->type != IR_ATTR_TENSOR || !a->t) {
            sh_err(c, "attribute value must be a tensor");
            return;
        }
        if (!sh_valid_dtype(a->t->dtype)) {
            sh_err(c, "attribute value has unknown data type %d", a->t->dtype);
            return;
        }
        if (a->t->rank < 0 || a->t->rank > IR_MAX_RANK) {
            sh_err(c, "attribute value has rank %d", a->t->rank);
            return;
        }
        for (int i = 0; i < a->t->rank; i++) {
            if (a->t->dims[i] < 0) {
                sh_err(c, "attribute value has a negative dim");
                return;
            }
            d[i] = sh_known(a->t->dims[i]);
        }
        sh_out(c, 0, a->t->dtype, a->t->rank, d);
        return;
    }
    static const struct { const char *name; int dtype, list; } forms[] = {
        {"value_float", IR_DT_FLOAT, 0},   {"value_floats", IR_DT_FLOAT, 1},
        {"value_int", IR_DT_INT64, 0},     {"value_ints", IR_DT_INT64, 1},
        {"value_string", IR_DT_STRING, 0}, {"value_strings", IR_DT_STRING, 1},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        if (!(a = ir_node_attr(c->n, forms[i].name))) continue;
        d[0] = sh_known(a->n);
        sh_out(c, 0, forms[i].dtype, forms[i].list, d);
        return;
    }
    if (ir_node_attr(c->n, "sparse_value")) {
        sh_err(c, "attribute sparse_value is not supported");
        return;
    }
    sh_err(c, "has no value attribute");
}

/* ConstantOfShape(input) -> output of dims input; attr value (1-element tensor, default
 * float 0) gives the dtype */
void sh_constant_of_shape(sh_ctx *c) {
    const ir_value *s = sh_in(c, 0);
    const ir_attr *a = ir_node_attr(c->n, "value");
    int dt = IR_DT_FLOAT;
    if (a) {
        if (a->type != IR_ATTR_TENSOR || !a->t) {
            sh_err(c, "attribute value must be a tensor");
            return;
        }
        dt = a->t->dtype;
        if (!sh_valid_dtype(dt)) {
            sh_err(c, "attribute value has unknown data type %d", dt);
            return;
        }
    }
    int64_t sv[IR_MAX_RANK];
    int k;
    int r = sh_ints(c, 0, "input", sv, IR_MAX_RANK, &k);
    if (r < 0) return;
    ir_dim d[IR_MAX_RANK];
    if (r == 0) {
        int64_t sk = s->rank == 1 ? s->dims[0].v : -1;
        if (sk > IR_MAX_RANK) {
            sh_err(c, "input 0 has %lld elements, more than %d", (long long)sk, IR_MAX_RANK);
            return;
        }
        for (int i = 0; i < sk; i++) d[i] = sh_unknown();
        sh_out(c, 0, dt, (int)sk, d);
        return;
    }
    for (int i = 0; i < k; i++) {
        if (sv[i] < 0) {
            sh_err(c, "input 0 entry %d is %lld; dims must be >= 0", i, (long long)sv[i]);
            return;
        }
        d[i] = sh_known(sv[i]);
    }
    sh_out(c, 0, dt, k, d);
}

/* Range(start, limit, delta) -> output [max(ceil((limit - start) / delta), 0)] of start's
 * dtype */
void sh_range(sh_ctx *c) {
    int dt = sh_in(c, 0)->dtype;
    for (int i = 1; i < 3; i++) {
        int t = sh_in(c, i)->dtype;
        if (t && dt && t != dt) {
            sh_err(c, "input %d is %s but input 0 is %s", i, ir_dtype_name(t), ir_dtype_name(dt));
            return;
        }
    }
    double f[3];
    int64_t n[3];
    int known = 1;
    static const char *const what[3] = {"start", "limit", "delta"};
    for (int i = 0; i < 3; i++) {
        int r = sh_scalar(c, i, what[i], &f[i], &n[i]);
        if (r < 0) return;
        if (r == 0) known = 0;
    }
    ir_dim d[1] = {sh_unknown()};
    if (known) {
        const ir_tensor *t = sh_data(c, 0);
        if (t->dtype == IR_DT_FLOAT || t->dtype == IR_DT_DOUBLE) {
            if (f[2] == 0) {
                sh_err(c, "delta is 0");
                return;
            }
            double cnt = ceil((f[1] - f[0]) / f[2]);
            if (!(cnt < 4.0e18) || isnan(cnt)) {
                sh_err(c, "the element count (%g) is out of range", cnt);
                return;
            }
            d[0] = sh_known(cnt > 0 ? (int64_t)cnt : 0);
        } else {
            int64_t s = n[0], l = n[1], dl = n[2];
            if (dl == 0) {
                sh_err(c, "delta is 0");
                return;
            }
            uint64_t diff, step;
            if (dl > 0) {
                diff = l > s ? (uint64_t)l - (uint64_t)s : 0;
                step = (uint64_t)dl;
            } else {
                diff = s > l ? (uint64_t)s - (uint64_t)l : 0;
                step = (uint64_t)0 - (uint64_t)dl;
            }
            uint64_t cnt = diff / step + (diff % step != 0);
            if (cnt > (uint64_t)INT64_MAX) {
                sh_err(c, "the element count is out of range");
                return;
            }
            d[0] = sh_known((int64_t)cnt);
        }
    }
    sh_out(c, 0, dt, 1, d);
}

/* EyeLike(input) -> output of input's 2-D shape; attr dtype (default input's) */
void sh_eyelike(sh_ctx *c) {
    const ir_value *x = sh_in(c, 0);
    if (x->rank >= 0 && x->rank != 2) {
        sh_err(c, "input 0 must be 2-D, got rank %d", x->rank);
        return;
    }
    int64_t dt = ir_attr_int(c->n, "dtype", x->dtype);
    if (dt != IR_DT_UNDEF && !sh_valid_dtype(dt)) {
        sh_err(c, "attribute dtype=%lld is not a data type", (long long)dt);
        return;
    }
    sh_out(c, 0, (int)dt, x->rank, x->dims);
}
