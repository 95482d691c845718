/* config.c - --config FILE.yaml (libyaml's document API) and the NAME=VALUE option parsers.
 *
 *   model: gpt2.onnx            split: equal_size      ranks: 4
 *   threshold: 490MB            chunks: 4              output: out/
 *   dot: graph.dot              dot-collapse: ["/h.0/", "/h.1/"]
 *   input-shape: {input_ids: 2x128}      # or a list of "input_ids=2x128"
 *   concrete-arg: {use_cache: false}      split-spec: {attention_mask: 0}
 *   output-split-spec: {logits: 0}
 *   plan-only: false
 *   device: cpu                 threads: 4             no-fold: false
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "opts.h"

void pc_opts_free(pc_opts *o) {
    for (int i = 0; i < o->nowned; i++) free(o->owned[i]);
    o->nowned = 0;
}

/* Keep p (malloc'd) with the options; NULL if the table is full (p freed). */
static char *own(pc_opts *o, char *p) {
    if (!p) return NULL;
    if (o->nowned >= (int)(sizeof o->owned / sizeof o->owned[0])) {
        free(p);
        return NULL;
    }
    return o->owned[o->nowned++] = p;
}

int pc_parse_shape(char *s, ir_shape_bind *b, char *err, size_t errlen) {
    char *eq = strrchr(s, '=');
    if (!eq || eq == s || !eq[1]) {
        snprintf(err, errlen, "--input-shape '%s': expected NAME=DIMS such as input_ids=2x128", s);
        return -1;
    }
    *eq = 0;
    b->name = s;
    b->rank = 0;
    char *p = eq + 1;
    if (strcmp(p, "scalar") == 0) return 0;
    for (;;) {
        if (b->rank >= IR_MAX_RANK) {
            snprintf(err, errlen, "--input-shape %s: more than %d dims", s, IR_MAX_RANK);
            return -1;
        }
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 0 || errno) {
            snprintf(err, errlen, "--input-shape %s: bad dim '%s' (dims are non-negative "
                     "integers joined by 'x')", s, p);
            return -1;
        }
        b->dims[b->rank++] = v;
        if (*end == 0) break;
        if (*end != 'x' && *end != 'X' && *end != ',') {
            snprintf(err, errlen, "--input-shape %s: bad dim separator '%c'", s, *end);
            return -1;
        }
        p = end + 1;
    }
    return 0;
}

int pc_parse_concrete(char *s, ir_concrete_arg *a, char *err, size_t errlen) {
    char *eq = strchr(s, '=');
    if (!eq || eq == s || !eq[1]) {
        snprintf(err, errlen, "--concrete-arg '%s': expected NAME=VALUE such as use_cache=false", s);
        return -1;
    }
    *eq = 0;
    a->name = s;
    a->text = eq + 1;
    return 0;
}

static const char *scalar(yaml_document_t *doc, yaml_node_t *n) {
    (void)doc;
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int to_int(const char *key, const char *s, int *out, char *err, size_t errlen) {
    char *end;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || end == s || *end || v < 0 || v > 1 << 20) {
        snprintf(err, errlen, "config key '%s': expected a non-negative integer, got '%s'", key,
                 s ? s : "(not a scalar)");
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int add_pair(pc_opts *o, int list, const char *k, const char *v, char *err,
                    size_t errlen) {
    size_t n = strlen(k) + strlen(v) + 2;
    char *s = own(o, malloc(n));
    if (!s) { snprintf(err, errlen, "out of memory"); return -1; }
    snprintf(s, n, "%s=%s", k, v);
    if (list == 0) {
        if (o->nshape >= PC_MAX_LIST) { snprintf(err, errlen, "too many input-shape entries"); return -1; }
        return pc_parse_shape(s, &o->shapes[o->nshape++], err, errlen);
    }
    if (o->nconcrete >= PC_MAX_LIST) { snprintf(err, errlen, "too many concrete-arg entries"); return -1; }
    return pc_parse_concrete(s, &o->concrete[o->nconcrete++], err, errlen);
}

/* input-shape / concrete-arg: a mapping NAME: VALUE, or a list of "NAME=VALUE". */
static int load_pairs(yaml_document_t *doc, yaml_node_t *v, pc_opts *o, int list,
                      const char *key, char *err, size_t errlen) {
    if (v->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
            const char *k = scalar(doc, yaml_document_get_node(doc, p->key));
            const char *x = scalar(doc, yaml_document_get_node(doc, p->value));
            if (!k || !x) {
                snprintf(err, errlen, "config key '%s': entries must be NAME: VALUE scalars", key);
                return -1;
            }
            if (add_pair(o, list, k, x, err, errlen)) return -1;
        }
        return 0;
    }
    if (v->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
            const char *x = scalar(doc, yaml_document_get_node(doc, *i));
            char *eq = x ? strchr(x, '=') : NULL;
            if (!eq) {
                snprintf(err, errlen, "config key '%s': list entries must be \"NAME=VALUE\"", key);
                return -1;
            }
            char *k = strndup(x, (size_t)(eq - x));
            if (!k || add_pair(o, list, k, eq + 1, err, errlen)) { free(k); return -1; }
            free(k);
        }
        return 0;
    }
    snprintf(err, errlen, "config key '%s': expected a mapping or a list", key);
    return -1;
}

/* split-spec / output-split-spec: a mapping NAME: DIM, kept as "NAME=DIM" strings. */
static int load_dims(yaml_document_t *doc, yaml_node_t *v, pc_opts *o, const char *key,
                     char **list, int *n, char *err, size_t errlen) {
    if (v->type != YAML_MAPPING_NODE) {
        snprintf(err, errlen, "config key '%s': expected a mapping NAME: DIM", key);
        return -1;
    }
    for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
        const char *nm = scalar(doc, yaml_document_get_node(doc, q->key));
        const char *x = scalar(doc, yaml_document_get_node(doc, q->value));
        if (!nm || !x || *n >= PC_MAX_LIST) {
            snprintf(err, errlen, "config key '%s': entries must be NAME: DIM", key);
            return -1;
        }
        size_t len = strlen(nm) + strlen(x) + 2;
        char *e = own(o, malloc(len));
        if (!e) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        snprintf(e, len, "%s=%s", nm, x);
        list[(*n)++] = e;
    }
    return 0;
}

static char *dup_scalar(pc_opts *o, const char *key, const char *s, char *err, size_t errlen) {
    if (!s) {
        snprintf(err, errlen, "config key '%s': expected a string", key);
        return NULL;
    }
    char *d = own(o, strdup(s));
    if (!d) snprintf(err, errlen, "out of memory");
    return d;
}

int pc_config_load(const char *path, pc_opts *o, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "--config %s: %s", path, strerror(errno));
        return -1;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        fclose(f);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(err, errlen, "--config %s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
                 parser.problem_mark.column + 1, parser.problem ? parser.problem : "bad YAML");
        yaml_parser_delete(&parser);
        fclose(f);
        return -1;
    }
    int rc = 0;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) goto done; /* empty file: nothing to take */
    if (root->type != YAML_MAPPING_NODE) {
        snprintf(err, errlen, "--config %s: the top level must be a mapping of option: value", path);
        rc = -1;
        goto done;
    }
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top && !rc; p++) {
        const char *k = scalar(&doc, yaml_document_get_node(&doc, p->key));
        yaml_node_t *v = yaml_document_get_node(&doc, p->value);
        const char *s = scalar(&doc, v);
        if (!k) {
            snprintf(err, errlen, "--config %s: keys must be strings", path);
            rc = -1;
        } else if (!strcmp(k, "model")) {
            if (!(o->set & PC_SET_MODEL) && !(o->model = dup_scalar(o, k, s, err, errlen))) rc = -1;
        } else if (!strcmp(k, "output") || !strcmp(k, "o")) {
            if (!(o->set & PC_SET_OUTDIR) && !(o->outdir = dup_scalar(o, k, s, err, errlen))) rc = -1;
        } else if (!strcmp(k, "split")) {
            if (!(o->set & PC_SET_SPLIT) && !(o->split = dup_scalar(o, k, s, err, errlen))) rc = -1;
        } else if (!strcmp(k, "threshold")) {
            if (!(o->set & PC_SET_THRESHOLD) && !(o->threshold = dup_scalar(o, k, s, err, errlen))) rc = -1;
        } else if (!strcmp(k, "dot")) {
            if (!(o->set & PC_SET_DOT) && !(o->dot = dup_scalar(o, k, s, err, errlen))) rc = -1;
        } else if (!strcmp(k, "device")) {
            if (!(o->set & PC_SET_DEVICE) && !(o->device = dup_scalar(o, k, s, err, errlen))) rc = -1;
        } else if (!strcmp(k, "ranks")) {
            if (!(o->set & PC_SET_RANKS)) rc = to_int(k, s, &o->ranks, err, errlen);
        } else if (!strcmp(k, "chunks")) {
            if (!(o->set & PC_SET_CHUNKS)) rc = to_int(k, s, &o->chunks, err, errlen);
        } else if (!strcmp(k, "threads")) {
            if (!(o->set & PC_SET_THREADS)) rc = to_int(k, s, &o->threads, err, errlen);
        } else if (!strcmp(k, "plan-only")) {
            o->plan_only = s && (!strcmp(s, "true") || !strcmp(s, "1"));
        } else if (!strcmp(k, "split-spec")) {
            if (!(o->set & PC_SET_SPLITSPEC))
                rc = load_dims(&doc, v, o, k, o->split_spec, &o->nsplit, err, errlen);
        } else if (!strcmp(k, "output-split-spec")) {
            if (!(o->set & PC_SET_OUTSPLITSPEC))
                rc = load_dims(&doc, v, o, k, o->out_split_spec, &o->noutsplit, err, errlen);
        } else if (!strcmp(k, "no-fold")) {
            if (!(o->set & PC_SET_NOFOLD)) o->no_fold = s && (!strcmp(s, "true") || !strcmp(s, "1"));
        } else if (!strcmp(k, "input-shape")) {
            if (!(o->set & PC_SET_SHAPES)) rc = load_pairs(&doc, v, o, 0, k, err, errlen);
        } else if (!strcmp(k, "concrete-arg")) {
            if (!(o->set & PC_SET_CONCRETE)) rc = load_pairs(&doc, v, o, 1, k, err, errlen);
        } else if (!strcmp(k, "dot-collapse")) {
            if (o->set & PC_SET_COLLAPSE) continue;
            if (s) {
                if (!(o->collapse[o->ncollapse++] = dup_scalar(o, k, s, err, errlen))) rc = -1;
            } else if (v->type == YAML_SEQUENCE_NODE) {
                for (yaml_node_item_t *i = v->data.sequence.items.start;
                     i < v->data.sequence.items.top && !rc; i++) {
                    if (o->ncollapse >= PC_MAX_LIST) {
                        snprintf(err, errlen, "config key 'dot-collapse': too many entries");
                        rc = -1;
                    } else if (!(o->collapse[o->ncollapse++] = dup_scalar(
                                   o, k, scalar(&doc, yaml_document_get_node(&doc, *i)), err, errlen)))
                        rc = -1;
                }
            } else {
                snprintf(err, errlen, "config key 'dot-collapse': expected a string or a list");
                rc = -1;
            }
        } else {
            snprintf(err, errlen, "--config %s: unknown key '%s' (keys are the long flags: split, "
                     "ranks, threshold, chunks, split-spec, output-split-spec, input-shape, "
                     "concrete-arg, dot, dot-collapse, output, plan-only, device, threads, "
                     "no-fold, model)", path, k);
            rc = -1;
        }
    }
done:
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}
