/* part_yaml.c - pipeline.yaml: the plan for people and for tools, written through libyaml's
 * emitter (events, so quoting and escaping are libyaml's job, not ours).
 *
 *   version: 1
 *   model: <graph name>        opset: 17
 *   policy: equal_size         nstages: 2
 *   total_param_bytes, max_param_bytes, balance (max/mean), total_flops
 *   stages:
 *     - index: 0
 *       node_begin: 0          # [node_begin, node_end) of the topological order
 *       node_end: 12
 *       nnodes: 12
 *       nodes: [names...]
 *       param_bytes, flops
 *       weights: [parameter names]
 *       inputs: [graph inputs read here]      outputs: [graph outputs made here]
 *       recv: [{name, dtype, shape, bytes, from}]
 *       send: [{name, dtype, shape, bytes, to}]
 * A dim that is not known is written as its symbol (or "?"); an unknown rank as null.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>
#include "part_int.h"

typedef struct ywriter {
    yaml_emitter_t em;
    int failed;
} ywriter;

static void y_emit(ywriter *w, yaml_event_t *ev, int ok) {
    if (w->failed) {
        if (ok) yaml_event_delete(ev);
        return;
    }
    if (!ok || !yaml_emitter_emit(&w->em, ev)) w->failed = 1; /* emit frees ev either way */
}

/* A string a YAML 1.1 reader would take for something else must be quoted. */
static int needs_quotes(const char *s) {
    static const char *const words[] = {"true", "false", "yes", "no", "on", "off", "null",
                                        "y", "n", "~"};
    if (!*s) return 1;
    if (!(s[0] == '_' || s[0] == '/' || ((s[0] | 32) >= 'a' && (s[0] | 32) <= 'z'))) return 1;
    for (const char *p = s; *p; p++) {
        char ch = *p;
        int ok = ch == '_' || ch == '/' || ch == '.' || ch == '-' || (ch >= '0' && ch <= '9') ||
                 ((ch | 32) >= 'a' && (ch | 32) <= 'z');
        if (!ok) return 1;
    }
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(s, words[i]) == 0) return 1;
    return 0;
}

static void y_str(ywriter *w, const char *s) {
    yaml_event_t ev;
    if (!s) s = "";
    int q = needs_quotes(s);
    y_emit(w, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
                                                !q, q, q ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                                                         : YAML_PLAIN_SCALAR_STYLE));
}

/* A plain scalar read as a number or null. */
static void y_plain(ywriter *w, const char *s) {
    yaml_event_t ev;
    y_emit(w, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
                                                1, 0, YAML_PLAIN_SCALAR_STYLE));
}

static void y_int(ywriter *w, int64_t v) {
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)v);
    y_plain(w, b);
}

static void y_seq(ywriter *w, int flow) {
    yaml_event_t ev;
    y_emit(w, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                                        flow ? YAML_FLOW_SEQUENCE_STYLE
                                                             : YAML_BLOCK_SEQUENCE_STYLE));
}

static void y_map(ywriter *w, int flow) {
    yaml_event_t ev;
    y_emit(w, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                                       flow ? YAML_FLOW_MAPPING_STYLE
                                                            : YAML_BLOCK_MAPPING_STYLE));
}

static void y_seq_end(ywriter *w) {
    yaml_event_t ev;
    y_emit(w, &ev, yaml_sequence_end_event_initialize(&ev));
}

static void y_map_end(ywriter *w) {
    yaml_event_t ev;
    y_emit(w, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void y_kv_int(ywriter *w, const char *k, int64_t v) { y_str(w, k); y_int(w, v); }
static void y_kv_str(ywriter *w, const char *k, const char *v) { y_str(w, k); y_str(w, v); }

/* A list of value names (flow when empty or short, block otherwise). */
static void y_names(ywriter *w, const char *key, const ir_graph *g, const int *v, int n) {
    y_str(w, key);
    y_seq(w, n <= 4);
    for (int i = 0; i < n; i++) y_str(w, g->vals[v[i]].name);
    y_seq_end(w);
}

static void y_xfer(ywriter *w, const ir_graph *g, const part_xfer *x, int recv) {
    const ir_value *v = &g->vals[x->value];
    y_map(w, 1);
    y_kv_str(w, "name", v->name);
    y_kv_str(w, "dtype", ir_dtype_name(v->dtype));
    y_str(w, "shape");
    if (v->rank < 0) {
        y_plain(w, "null");
    } else {
        y_seq(w, 1);
        for (int i = 0; i < v->rank; i++) {
            if (v->dims[i].v >= 0) y_int(w, v->dims[i].v);
            else y_str(w, v->dims[i].sym ? v->dims[i].sym : "?");
        }
        y_seq_end(w);
    }
    y_kv_int(w, "bytes", x->bytes);
    y_kv_int(w, recv ? "from" : "to", recv ? x->from : x->to);
    y_map_end(w);
}

static void y_stage(ywriter *w, const part_plan *p, const ir_graph *g, int s) {
    const part_stage *st = &p->stages[s];
    y_map(w, 0);
    y_kv_int(w, "index", s);
    y_kv_int(w, "node_begin", st->first);
    y_kv_int(w, "node_end", st->last);
    y_kv_int(w, "nnodes", st->last - st->first);
    y_str(w, "nodes");
    y_seq(w, 0);
    for (int i = st->first; i < st->last; i++) y_str(w, g->nodes[i].name);
    y_seq_end(w);
    y_kv_int(w, "param_bytes", st->param_bytes);
    y_kv_int(w, "flops", st->flops);
    y_names(w, "weights", g, st->weights, st->nweights);
    y_names(w, "inputs", g, st->inputs, st->ninputs);
    y_names(w, "outputs", g, st->outputs, st->noutputs);
    y_str(w, "recv");
    y_seq(w, st->nin == 0);
    for (int i = 0; i < st->nin; i++) y_xfer(w, g, &p->xfers[st->in[i]], 1);
    y_seq_end(w);
    y_str(w, "send");
    y_seq(w, st->nout == 0);
    for (int i = 0; i < st->nout; i++) y_xfer(w, g, &p->xfers[st->out[i]], 0);
    y_seq_end(w);
    y_map_end(w);
}

int part_plan_write_yaml(const part_plan *p, const ir_graph *g, const part_costs *c,
                         const char *path, ir_diag *d) {
    FILE *f = fopen(path, "w");
    if (!f) {
        ir_diag_error(d, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    ywriter w = {0};
    if (!yaml_emitter_initialize(&w.em)) {
        fclose(f);
        ir_diag_error(d, "cannot write %s: libyaml emitter: out of memory", path);
        return -1;
    }
    yaml_emitter_set_output_file(&w.em, f);
    yaml_emitter_set_unicode(&w.em, 1);
    yaml_emitter_set_width(&w.em, 100);

    yaml_event_t ev;
    y_emit(&w, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
    y_emit(&w, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
    y_map(&w, 0);
    y_kv_int(&w, "version", 1);
    if (g->name && *g->name) y_kv_str(&w, "model", g->name);
    if (g->opset > 0) y_kv_int(&w, "opset", g->opset);
    y_kv_str(&w, "policy", part_policy_name(p->policy));
    y_kv_int(&w, "nstages", p->nstages);
    y_kv_int(&w, "nnodes", g->nnodes);
    y_kv_int(&w, "total_param_bytes", p->total_param_bytes);
    y_kv_int(&w, "max_param_bytes", p->max_param_bytes);
    char b[64];
    snprintf(b, sizeof b, "%.4f", p->balance);
    y_str(&w, "balance");
    y_plain(&w, b);
    int64_t flops = 0;
    for (int s = 0; s < p->nstages; s++) flops = part_add_sat(flops, p->stages[s].flops);
    y_kv_int(&w, "total_flops", c ? c->total_flops : flops);
    y_kv_int(&w, "ntransfers", p->nxfers);
    y_str(&w, "stages");
    y_seq(&w, 0);
    for (int s = 0; s < p->nstages; s++) y_stage(&w, p, g, s);
    y_seq_end(&w);
    y_map_end(&w);
    y_emit(&w, &ev, yaml_document_end_event_initialize(&ev, 1));
    y_emit(&w, &ev, yaml_stream_end_event_initialize(&ev));
    if (!w.failed && !yaml_emitter_flush(&w.em)) w.failed = 1;
    const char *why = w.em.problem ? w.em.problem : "write failed";
    int werr = ferror(f);
    if (fclose(f) != 0) werr = 1;
    if (w.failed || werr) {
        ir_diag_error(d, "cannot write %s: %s", path, w.failed ? why : strerror(errno));
        yaml_emitter_delete(&w.em);
        return -1;
    }
    yaml_emitter_delete(&w.em);
    return 0;
}
