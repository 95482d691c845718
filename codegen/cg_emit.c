/* cg_emit.c - a stage's C source: static tensors and attributes, one kernel call per node,
 * and the rt_stage_desc the runtime drives. Meant to be read: each call carries the ONNX node
 * name and op, and the values' names and shapes. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "cg_int.h"
#include "ir_rt.h"

static void emit_cstr(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 32 || *p >= 127) fprintf(f, "\\%03o", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

/* A comment-safe copy of a name ("*" and "/" never meet). */
static void emit_comment_name(FILE *f, const char *s) {
    for (const char *p = s; *p; p++) {
        if (*p == '*' && p[1] == '/') fputs("* /", f), p++;
        else if (*p == '/' && p[1] == '*') fputs("/ *", f), p++;
        else if ((unsigned char)*p >= 32) fputc(*p, f);
    }
}

static void emit_dims(FILE *f, const ir_value *v) {
    fputc('{', f);
    for (int i = 0; i < v->rank; i++) fprintf(f, "%s%" PRId64, i ? ", " : "", v->dims[i].v);
    fputc('}', f);
}

/* The expression for value v's storage during run(). */
static void emit_ptr(FILE *f, const cg_stage *st, int v) {
    switch (st->cls[v]) {
    case CG_WEIGHT:
        fprintf(f, "W(%" PRId64 ")", st->woff[v]);
        break;
    case CG_TEMP:
        fprintf(f, "A(%" PRId64 ")", st->off[v]);
        break;
    default:
        fprintf(f, "S(%" PRId64 ", %" PRId64 ")", st->off[v], st->stride[v]);
        break;
    }
}

static void emit_tensor(FILE *f, const ir_graph *g, const cg_stage *st, int v) {
    if (v < 0) {
        fprintf(f, "{0, -1, {0}, NULL}");
        return;
    }
    const ir_value *x = &g->vals[v];
    fprintf(f, "{%d, %d, ", x->dtype, x->rank);
    emit_dims(f, x);
    fprintf(f, ", ");
    emit_ptr(f, st, v);
    fprintf(f, "}");
}

/* Raw bytes as an aligned uint64_t array named td<k>. */
static void emit_bytes(FILE *f, const char *name, const void *data, size_t n) {
    size_t nw = (n + 7) / 8;
    fprintf(f, "static const uint64_t %s[%zu] = {", name, nw ? nw : 1);
    const unsigned char *b = data;
    for (size_t w = 0; w < nw; w++) {
        uint64_t x = 0;
        for (size_t k = 0; k < 8 && w * 8 + k < n; k++) x |= (uint64_t)b[w * 8 + k] << (8 * k);
        fprintf(f, "%s0x%" PRIx64 "u", w ? (w % 6 ? ", " : ",\n    ") : "", x);
    }
    if (!nw) fprintf(f, "0");
    fprintf(f, "};\n");
}

/* File-scope attribute array for node i: at<i>. Returns the number of attributes. */
static int emit_attrs(FILE *f, const ir_node *n, int i) {
    int na = 0;
    for (int k = 0; k < n->nattr; k++) {
        const ir_attr *a = &n->attrs[k];
        if (a->type == IR_ATTR_GRAPH || (a->type == IR_ATTR_TENSOR && !a->t)) continue;
        if (a->type == IR_ATTR_TENSOR) {
            char nm[64];
            snprintf(nm, sizeof nm, "td%d_%d", i, k);
            emit_bytes(f, nm, a->t->data, a->t->nbytes);
            fprintf(f, "static const rt_tensor tt%d_%d = {%d, %d, {", i, k, a->t->dtype, a->t->rank);
            for (int d = 0; d < a->t->rank; d++) fprintf(f, "%s%" PRId64, d ? ", " : "", a->t->dims[d]);
            fprintf(f, "}, (void *)%s};\n", nm);
        }
        na++;
    }
    if (!na) return 0;
    fprintf(f, "static const rt_attr at%d[%d] = {\n", i, na);
    for (int k = 0; k < n->nattr; k++) {
        const ir_attr *a = &n->attrs[k];
        if (a->type == IR_ATTR_GRAPH || (a->type == IR_ATTR_TENSOR && !a->t)) continue;
        fprintf(f, "    {");
        emit_cstr(f, a->name);
        switch (a->type) {
        case IR_ATTR_FLOAT: fprintf(f, ", RT_ATTR_FLOAT, .f = %a", (double)a->f); break;
        case IR_ATTR_INT: fprintf(f, ", RT_ATTR_INT, .i = %" PRId64, a->i); break;
        case IR_ATTR_STRING:
            fprintf(f, ", RT_ATTR_STRING, .s = ");
            emit_cstr(f, a->s ? a->s : "");
            break;
        case IR_ATTR_TENSOR: fprintf(f, ", RT_ATTR_TENSOR, .t = &tt%d_%d", i, k); break;
        case IR_ATTR_FLOATS:
            fprintf(f, ", RT_ATTR_FLOATS, .n = %d, .floats = (const float[]){", a->n);
            for (int j = 0; j < a->n; j++) fprintf(f, "%s%a", j ? ", " : "", (double)a->floats[j]);
            if (!a->n) fprintf(f, "0");
            fprintf(f, "}");
            break;
        case IR_ATTR_INTS:
            fprintf(f, ", RT_ATTR_INTS, .n = %d, .ints = (const int64_t[]){", a->n);
            for (int j = 0; j < a->n; j++) fprintf(f, "%s%" PRId64, j ? ", " : "", a->ints[j]);
            if (!a->n) fprintf(f, "0");
            fprintf(f, "}");
            break;
        case IR_ATTR_STRINGS: fprintf(f, ", RT_ATTR_STRINGS, .n = %d", a->n); break;
        case IR_ATTR_GRAPH: break;
        }
        fprintf(f, "},\n");
    }
    fprintf(f, "};\n");
    return na;
}

/* One rt_io initializer. */
static void emit_io(FILE *f, const ir_graph *g, int v, int64_t off, int64_t stride, int peer,
                    int tag, int split_dim, int gidx) {
    const ir_value *x = &g->vals[v];
    int64_t bytes = ir_shape_numel(x->rank, x->dims) * (int64_t)ir_dtype_size(x->dtype);
    fprintf(f, "    {");
    emit_cstr(f, x->name);
    fprintf(f, ", %d, %d, ", x->dtype, x->rank);
    emit_dims(f, x);
    fprintf(f, ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %d, %d, %d, %d},\n", bytes, off, stride,
            peer, tag, split_dim, gidx);
}

static int graph_index(const int *list, int n, int v) {
    for (int i = 0; i < n; i++)
        if (list[i] == v) return i;
    return -1;
}

static int split_dim_of(const ir_graph *g, const cg_opts *o, int gi) {
    if (o->split_dims) return o->split_dims[gi];
    return g->vals[g->inputs[gi]].rank >= 1 ? 0 : -1;
}

/* Output gi's join axis: cg_generate always sets out_split_dims. */
static int join_dim_of(const cg_opts *o, int gi) { return o->out_split_dims ? o->out_split_dims[gi] : -1; }

int cg_stage_emit(const ir_graph *g, const part_plan *p, const cg_stage *st, const cg_opts *o,
                  FILE *f, const char *shard_name, ir_diag *d) {
    const part_stage *ps = &p->stages[st->stage];
    int s = st->stage;
    int nslots = o->nslots > 0 ? o->nslots : 2;
    fprintf(f, "/* Stage %d of %d of %s, generated by pippyc: one kernel call per node.\n"
               " * arena %" PRId64 " bytes (io %" PRId64 ", temporaries %" PRId64
               ", scratch %" PRId64 "); weights %" PRId64 " bytes in %s. */\n",
            s, p->nstages, o->model_name ? o->model_name : "model", st->arena_bytes, st->io_bytes,
            st->temp_bytes, st->scratch_bytes, st->weight_bytes, shard_name);
    fprintf(f, "#include <stddef.h>\n#include <stdint.h>\n#include <string.h>\n"
               "#include \"rt_stage.h\"\n\n"
               "#define A(off) ((void *)(c->arena + (off)))\n"
               "#define S(off, stride) ((void *)(c->arena + (off) + (int64_t)c->slot * (stride)))\n"
               "#define W(off) ((void *)(c->weights + (off)))\n\n");

    /* Attributes at file scope. */
    for (int i = ps->first; i < ps->last; i++)
        if (!st->prep[i]) emit_attrs(f, &g->nodes[i], i);

    fprintf(f, "\nstatic int run(rt_stage_ctx *c) {\n");
    /* Constant and pass-through graph outputs. */
    for (int v = 0; v < g->nvals; v++) {
        if (st->cls[v] == CG_CONST_OUT) {
            fprintf(f, "    memcpy(S(%" PRId64 ", %" PRId64 "), W(%" PRId64 "), %zu); /* output ",
                    st->off[v], st->stride[v], st->woff[v], g->vals[v].data->nbytes);
            emit_comment_name(f, g->vals[v].name);
            fprintf(f, " */\n");
        }
    }
    for (int i = ps->first; i < ps->last; i++) {
        const ir_node *n = &g->nodes[i];
        char tb[256];
        if (st->prep[i]) {
            fprintf(f, "    /* ");
            emit_comment_name(f, n->name);
            fprintf(f, " (%s): computed at compile time, in the shard */\n", ir_op_table[n->op].name);
            continue;
        }
        if (n->op == IR_OP_IF) {
            ir_diag_error(d, "node '%s' (If): its condition is not a constant; give it with "
                          "--concrete-arg so the If folds away", n->name);
            return -1;
        }
        int nout = n->nout;
        while (nout > 0 && n->out[nout - 1] < 0) nout--;
        fprintf(f, "    /* ");
        emit_comment_name(f, n->name);
        fprintf(f, " (%s) -> ", ir_op_table[n->op].name);
        for (int j = 0; j < nout; j++)
            if (n->out[j] >= 0) {
                emit_comment_name(f, g->vals[n->out[j]].name);
                fprintf(f, " %s%s", ir_value_type_str(&g->vals[n->out[j]], tb, sizeof tb),
                        j + 1 < nout ? ", " : "");
            }
        fprintf(f, " */\n    {\n");
        if (n->nin) {
            fprintf(f, "        rt_tensor in[%d] = {", n->nin);
            for (int j = 0; j < n->nin; j++) {
                fprintf(f, j ? ",\n            " : "");
                emit_tensor(f, g, st, n->in[j]);
            }
            fprintf(f, "};\n");
        }
        fprintf(f, "        rt_tensor out[%d] = {", nout ? nout : 1);
        for (int j = 0; j < nout; j++) {
            fprintf(f, j ? ",\n            " : "");
            emit_tensor(f, g, st, n->out[j]);
        }
        fprintf(f, "};\n");
        int na = 0;
        for (int k = 0; k < n->nattr; k++)
            if (n->attrs[k].type != IR_ATTR_GRAPH && !(n->attrs[k].type == IR_ATTR_TENSOR && !n->attrs[k].t))
                na++;
        char at[32];
        if (na) snprintf(at, sizeof at, "at%d", i);
        else snprintf(at, sizeof at, "NULL");
        fprintf(f, "        if (rt_cpu_run(RT_OP_%s, %s, %d, %s, %d, out, %d, &c->k))\n"
                   "            return rt_stage_fail(c, ",
                ir_op_table[n->op].id, at, na, n->nin ? "in" : "NULL", n->nin, nout);
        emit_cstr(f, n->name);
        fprintf(f, ", \"%s\");\n    }\n", ir_op_table[n->op].name);
    }
    fprintf(f, "    return 0;\n}\n\n");

    /* Edges. */
    int ni = 0, no = 0;
    fprintf(f, "static const rt_io model_inputs[] = {\n");
    for (int i = 0; i < g->ninputs; i++)
        emit_io(f, g, g->inputs[i], 0, 0, -1, -1, split_dim_of(g, o, i), i);
    if (!g->ninputs) fprintf(f, "    {0}\n");
    fprintf(f, "};\nstatic const rt_io model_outputs[] = {\n");
    for (int i = 0; i < g->noutputs; i++) {
        int v = g->outputs[i], from = p->nstages - 1;
        for (int t = 0; t < p->nstages; t++)
            if (graph_index(p->stages[t].outputs, p->stages[t].noutputs, v) >= 0) from = t;
        /* rank 0 joins the microbatches along the axis the cut becomes in it */
        emit_io(f, g, v, 0, 0, from, -1, join_dim_of(o, i), i);
    }
    if (!g->noutputs) fprintf(f, "    {0}\n");
    /* This stage's graph inputs and outputs, in graph order (the driver's order). */
    fprintf(f, "};\nstatic const rt_io inputs[] = {\n");
    for (int gi = 0; gi < g->ninputs; gi++) {
        int v = g->inputs[gi];
        if (graph_index(ps->inputs, ps->ninputs, v) < 0) continue;
        emit_io(f, g, v, st->off[v], st->stride[v], -1, -1, split_dim_of(g, o, gi), gi);
        ni++;
    }
    if (!ni) fprintf(f, "    {0}\n");
    fprintf(f, "};\nstatic const rt_io outputs[] = {\n");
    for (int gi = 0; gi < g->noutputs; gi++) {
        int v = g->outputs[gi];
        if (graph_index(ps->outputs, ps->noutputs, v) < 0) continue;
        emit_io(f, g, v, st->off[v], st->stride[v], -1, -1, join_dim_of(o, gi), gi);
        no++;
    }
    if (!no) fprintf(f, "    {0}\n");
    /* Rank 0 feeds the other stages' graph inputs. */
    int nf = 0;
    fprintf(f, "};\nstatic const rt_io feeds[] = {\n");
    for (int t = 1; s == 0 && t < p->nstages; t++)
        for (int gi = 0; gi < g->ninputs; gi++) {
            int v = g->inputs[gi];
            if (graph_index(p->stages[t].inputs, p->stages[t].ninputs, v) < 0) continue;
            emit_io(f, g, v, 0, 0, t, -1, split_dim_of(g, o, gi), gi);
            nf++;
        }
    if (!nf) fprintf(f, "    {0}\n");
    fprintf(f, "};\nstatic const rt_io recv[] = {\n");
    for (int k = 0; k < ps->nin; k++) {
        const part_xfer *x = &p->xfers[ps->in[k]];
        emit_io(f, g, x->value, st->off[x->value], st->stride[x->value], x->from, ps->in[k], -1, -1);
    }
    if (!ps->nin) fprintf(f, "    {0}\n");
    fprintf(f, "};\nstatic const rt_io send[] = {\n");
    for (int k = 0; k < ps->nout; k++) {
        const part_xfer *x = &p->xfers[ps->out[k]];
        emit_io(f, g, x->value, st->off[x->value], st->stride[x->value], x->to, ps->out[k], -1, -1);
    }
    if (!ps->nout) fprintf(f, "    {0}\n");
    fprintf(f, "};\n\n");

    fprintf(f, "static const rt_stage_desc desc = {\n"
               "    .stage = %d, .nstages = %d, .chunks = %d, .nslots = %d,\n"
               "    .arena_bytes = %" PRId64 ", .scratch_offset = %" PRId64 ", .scratch_bytes = %" PRId64 ",\n"
               "    .weights_file = ",
            s, p->nstages, o->chunks > 0 ? o->chunks : 1, nslots, st->arena_bytes, st->scratch_off,
            st->scratch_bytes);
    emit_cstr(f, shard_name);
    fprintf(f, ", .weights_bytes = %" PRId64 ", .threads = %d,\n    .model_name = ", st->weight_bytes,
            o->threads);
    emit_cstr(f, o->model_name ? o->model_name : "model");
    fprintf(f, ",\n    .nmodel_inputs = %d, .nmodel_outputs = %d, .model_inputs = model_inputs, "
               ".model_outputs = model_outputs,\n"
               "    .ninputs = %d, .noutputs = %d, .nrecv = %d, .nsend = %d,\n"
               "    .inputs = inputs, .outputs = outputs, .recv = recv, .send = send,\n"
               "    .nfeeds = %d, .feeds = feeds, .run = run,\n};\n\n"
               "int main(int argc, char **argv) { return rt_stage_main(&desc, argc, argv); }\n",
            g->ninputs, g->noutputs, ni, no, ps->nin, ps->nout, nf);
    return ferror(f) ? -1 : 0;
}
