/* pippyc - compile an ONNX model into pipeline stages.
 *
 *   pippyc MODEL.onnx --split equal_size --ranks 4 -o out/
 *   pippyc inspect MODEL.onnx
 *
 * The driver only strings the stages together: frontend (load) -> ir (validate, passes) ->
 * partition (costs, policy, plan, YAML, DOT) -> codegen. Exit status: 0 ok, 1 the model or an
 * option value is bad (every problem printed), 2 usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "cg.h"
#include "fe.h"
#include "opts.h"

#define PIPPYC_VERSION "0.1.0"

static void usage(FILE *f) {
    fprintf(f,
"usage: pippyc MODEL.onnx [options] [-o DIR]\n"
"       pippyc inspect MODEL.onnx [--input-shape NAME=DIMS ...]\n"
"\n"
"Split an ONNX model into pipeline stages (PiPPy's policies) and write the plan.\n"
"\n"
"Splitting:\n"
"  --split POLICY         equal_size (default): exactly --ranks stages with the smallest\n"
"                         possible largest stage (parameter bytes), fewest bytes sent;\n"
"                         threshold: a new stage when parameters would pass --threshold\n"
"  --ranks N              number of pipeline stages / ranks (default 1; with threshold,\n"
"                         must match the stage count the plan needs, or leave it out)\n"
"  --threshold SIZE       threshold policy's stage size: 490MB, 1.5GB, 64KiB, 4096\n"
"  --chunks M             microbatches per batch (default 1): stage programs are compiled\n"
"                         for one microbatch, the batch (--input-shape) divided by M\n"
"  --split-spec NAME=DIM  the dim of input NAME cut into microbatches (default 0;\n"
"                         -1 replicates the input to every microbatch); repeatable\n"
"  --output-split-spec NAME=DIM  join output NAME's microbatches along DIM (-1: the\n"
"                         same for every microbatch, keep one copy); default: the axis\n"
"                         the cut becomes in it, followed through the graph; repeatable\n"
"Graph:\n"
"  --input-shape NAME=DIMS  bind a graph input's shape (input_ids=2x128) or a symbolic\n"
"                         dim (batch=2); repeatable\n"
"  --concrete-arg NAME=VALUE  make a graph input a constant (PiPPy's concrete_args);\n"
"                         If nodes on it fold away; repeatable. VALUE: true, 3, 1.5, 1,2,3\n"
"  --no-fold              skip constant folding\n"
"Output:\n"
"  -o, --output DIR       write the stage programs DIR/rank_<r> (run them with pippyrun),\n"
"                         their weight shards, DIR/pipeline.yaml and DIR/graph.dot\n"
"  --plan-only            with -o: write the plan and the DOT, no programs (shapes may\n"
"                         stay symbolic)\n"
"  --dot FILE             write the graph as Graphviz DOT, one cluster per stage\n"
"  --dot-collapse PREFIX  draw all nodes whose name starts with PREFIX as one box\n"
"                         (e.g. /h.3/); repeatable\n"
"  --device cpu|cuda      target device of the stage programs (default cpu)\n"
"  --threads N            threads per rank for the stage programs (default: cores)\n"
"  --config FILE.yaml     take options from YAML (keys are the long flags without --,\n"
"                         e.g. ranks: 4, input-shape: {input_ids: 2x128}); flags win\n"
"  -v, --verbose          print the graph after the passes\n"
"  -h, --help             this text;  --version\n"
"\n"
"Exit status: 0 success, 1 bad model or option value, 2 usage error.\n");
}

static int need(int argc, char **argv, int i) {
    if (i + 1 >= argc) {
        fprintf(stderr, "pippyc: %s needs a value (see pippyc --help)\n", argv[i]);
        exit(2);
    }
    return i + 1;
}

static int parse_int(const char *flag, const char *s, int lo, int hi) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "pippyc: %s: expected an integer in [%d, %d], got '%s'\n", flag, lo, hi, s);
        exit(2);
    }
    return (int)v;
}

static void parse_args(int argc, char **argv, int first, pc_opts *o) {
    char err[512];
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--version")) {
            printf("pippyc %s\n", PIPPYC_VERSION);
            exit(0);
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            o->outdir = argv[i = need(argc, argv, i)];
            o->set |= PC_SET_OUTDIR;
        } else if (!strcmp(a, "--split")) {
            o->split = argv[i = need(argc, argv, i)];
            o->set |= PC_SET_SPLIT;
        } else if (!strcmp(a, "--ranks")) {
            i = need(argc, argv, i);
            o->ranks = parse_int("--ranks", argv[i], 1, 1 << 16);
            o->set |= PC_SET_RANKS;
        } else if (!strcmp(a, "--threshold")) {
            o->threshold = argv[i = need(argc, argv, i)];
            o->set |= PC_SET_THRESHOLD;
        } else if (!strcmp(a, "--chunks")) {
            i = need(argc, argv, i);
            o->chunks = parse_int("--chunks", argv[i], 1, 1 << 20);
            o->set |= PC_SET_CHUNKS;
        } else if (!strcmp(a, "--threads")) {
            i = need(argc, argv, i);
            o->threads = parse_int("--threads", argv[i], 1, 4096);
            o->set |= PC_SET_THREADS;
        } else if (!strcmp(a, "--device")) {
            o->device = argv[i = need(argc, argv, i)];
            o->set |= PC_SET_DEVICE;
        } else if (!strcmp(a, "--dot")) {
            o->dot = argv[i = need(argc, argv, i)];
            o->set |= PC_SET_DOT;
        } else if (!strcmp(a, "--dot-collapse")) {
            i = need(argc, argv, i);
            if (o->ncollapse >= PC_MAX_LIST) { fprintf(stderr, "pippyc: too many --dot-collapse\n"); exit(2); }
            o->collapse[o->ncollapse++] = argv[i];
            o->set |= PC_SET_COLLAPSE;
        } else if (!strcmp(a, "--input-shape")) {
            i = need(argc, argv, i);
            if (o->nshape >= PC_MAX_LIST) { fprintf(stderr, "pippyc: too many --input-shape\n"); exit(2); }
            if (pc_parse_shape(argv[i], &o->shapes[o->nshape++], err, sizeof err)) {
                fprintf(stderr, "pippyc: %s\n", err);
                exit(2);
            }
            o->set |= PC_SET_SHAPES;
        } else if (!strcmp(a, "--concrete-arg")) {
            i = need(argc, argv, i);
            if (o->nconcrete >= PC_MAX_LIST) { fprintf(stderr, "pippyc: too many --concrete-arg\n"); exit(2); }
            if (pc_parse_concrete(argv[i], &o->concrete[o->nconcrete++], err, sizeof err)) {
                fprintf(stderr, "pippyc: %s\n", err);
                exit(2);
            }
            o->set |= PC_SET_CONCRETE;
        } else if (!strcmp(a, "--config")) {
            o->config = argv[i = need(argc, argv, i)];
        } else if (!strcmp(a, "--split-spec")) {
            i = need(argc, argv, i);
            if (o->nsplit >= PC_MAX_LIST) { fprintf(stderr, "pippyc: too many --split-spec\n"); exit(2); }
            o->split_spec[o->nsplit++] = argv[i];
            o->set |= PC_SET_SPLITSPEC;
        } else if (!strcmp(a, "--output-split-spec")) {
            i = need(argc, argv, i);
            if (o->noutsplit >= PC_MAX_LIST) { fprintf(stderr, "pippyc: too many --output-split-spec\n"); exit(2); }
            o->out_split_spec[o->noutsplit++] = argv[i];
            o->set |= PC_SET_OUTSPLITSPEC;
        } else if (!strcmp(a, "--plan-only")) {
            o->plan_only = 1;
        } else if (!strcmp(a, "--no-fold")) {
            o->no_fold = 1;
            o->set |= PC_SET_NOFOLD;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o->verbose = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "pippyc: unknown option '%s' (see pippyc --help)\n", a);
            exit(2);
        } else if (!o->model) {
            o->model = a;
            o->set |= PC_SET_MODEL;
        } else {
            fprintf(stderr, "pippyc: unexpected argument '%s' (one model at a time)\n", a);
            exit(2);
        }
    }
}

static void fmt_bytes(int64_t b, char *buf, size_t n) {
    const char *u[] = {"B", "KB", "MB", "GB", "TB"};
    double v = (double)b;
    int k = 0;
    while (v >= 1000 && k < 4) { v /= 1000; k++; }
    snprintf(buf, n, k ? "%.2f %s" : "%.0f %s", v, u[k]);
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Load and report: NULL (with everything printed) if the model cannot be used. */
static ir_graph *load(const char *path, fe_model_info *info) {
    char err[1024] = "";
    ir_graph *g = fe_onnx_load(path, NULL, info, err, sizeof err);
    if (!g) {
        fprintf(stderr, "pippyc: %s: %s\n", path, err[0] ? err : "cannot load");
        return NULL;
    }
    if (g->diag.nerr || g->diag.oom) {
        fprintf(stderr, "pippyc: %s: %d error%s\n", path, g->diag.nerr, g->diag.nerr == 1 ? "" : "s");
        ir_diag_print(&g->diag, stderr);
        ir_graph_free(g);
        return NULL;
    }
    if (ir_graph_validate(g) || ir_graph_toposort(g) || g->diag.nerr) {
        ir_diag_print(&g->diag, stderr);
        ir_graph_free(g);
        return NULL;
    }
    return g;
}

static int cmd_inspect(int argc, char **argv) {
    pc_opts o = {0};
    parse_args(argc, argv, 2, &o);
    if (!o.model) {
        fprintf(stderr, "usage: pippyc inspect MODEL.onnx\n");
        return 2;
    }
    fe_model_info info = {0};
    ir_graph *g = load(o.model, &info);
    if (!g) return 1;
    char b[256], sz[32];
    printf("model      %s\n", o.model);
    printf("ir_version %lld   opset %lld   producer %s\n", (long long)info.ir_version,
           (long long)info.opset, info.producer[0] ? info.producer : "-");
    printf("inputs:\n");
    for (int i = 0; i < g->ninputs; i++)
        printf("  %-24s %s\n", g->vals[g->inputs[i]].name,
               ir_value_type_str(&g->vals[g->inputs[i]], b, sizeof b));
    printf("outputs:\n");
    for (int i = 0; i < g->noutputs; i++)
        printf("  %-24s %s\n", g->vals[g->outputs[i]].name,
               ir_value_type_str(&g->vals[g->outputs[i]], b, sizeof b));
    int64_t nparam = 0, pbytes = 0, nweights = 0;
    for (int v = 0; v < g->nvals; v++) {
        const ir_value *x = &g->vals[v];
        if (x->kind != IR_VAL_WEIGHT || !x->data) continue;
        nweights++;
        int64_t n = ir_tensor_numel(x->data);
        nparam += n > 0 ? n : 0;
        pbytes += (int64_t)x->data->nbytes;
    }
    fmt_bytes(pbytes, sz, sizeof sz);
    printf("parameters %lld in %lld initializers, %s", (long long)nparam, (long long)nweights, sz);
    if (info.external_bytes) {
        fmt_bytes(info.external_bytes, b, sizeof b);
        printf(" (%s in external data)", b);
    }
    printf("\nnodes      %d\nops:\n", g->nnodes);
    int counts[IR_OP_COUNT] = {0};
    for (int i = 0; i < g->nnodes; i++) counts[g->nodes[i].op]++;
    for (;;) { /* by count, descending */
        int best = -1;
        for (int k = 0; k < IR_OP_COUNT; k++)
            if (counts[k] > 0 && (best < 0 || counts[k] > counts[best])) best = k;
        if (best < 0) break;
        printf("  %-22s %d\n", ir_op_table[best].name, counts[best]);
        counts[best] = 0;
    }
    ir_graph_free(g);
    return 0;
}

static int mkdir_p(const char *dir) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0777) && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) && errno != EEXIST) return -1;
    struct stat st;
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

static void print_plan(const part_plan *p, const ir_graph *g) {
    char pb[32], fl[32], sb[32];
    printf("%-6s %7s %12s %12s %12s %12s\n", "stage", "nodes", "params", "GFLOPs", "sends", "recvs");
    for (int s = 0; s < p->nstages; s++) {
        const part_stage *st = &p->stages[s];
        int64_t send = 0;
        for (int i = 0; i < st->nout; i++) send += p->xfers[st->out[i]].bytes;
        fmt_bytes(st->param_bytes, pb, sizeof pb);
        fmt_bytes(send, sb, sizeof sb);
        snprintf(fl, sizeof fl, "%.3f", (double)st->flops / 1e9);
        printf("%-6d %7d %12s %12s %12s %12d\n", s, st->last - st->first, pb, fl, sb, st->nin);
    }
    fmt_bytes(p->total_param_bytes, pb, sizeof pb);
    printf("total parameters %s; balance (max/mean) %.3f; %d boundary transfer%s\n", pb,
           p->balance, p->nxfers, p->nxfers == 1 ? "" : "s");
    (void)g;
}

/* Shapes are compiled per microbatch: each graph input's split dim (--split-spec, default 0)
 * is the batch divided by --chunks. Binds on input names are rewritten in place; a bind of a
 * dim_param that sits at some input's split dim is divided too. *split_dims gets one entry
 * per graph input (malloc'd). */
static int microbatch_binds(const ir_graph *g, pc_opts *o, int chunks, int **split_dims) {
    int *sd = calloc((size_t)g->ninputs + 1, sizeof *sd);
    if (!sd) return 1;
    *split_dims = sd;
    for (int i = 0; i < g->ninputs; i++) sd[i] = g->vals[g->inputs[i]].rank >= 1 ? 0 : -1;
    int rc = 0;
    for (int k = 0; k < o->nsplit; k++) {
        char *eq = strchr(o->split_spec[k], '=');
        int found = 0;
        for (int i = 0; eq && i < g->ninputs; i++) {
            const ir_value *x = &g->vals[g->inputs[i]];
            if (strncmp(x->name, o->split_spec[k], (size_t)(eq - o->split_spec[k])) ||
                x->name[eq - o->split_spec[k]])
                continue;
            found = 1;
            char *end;
            long v = strtol(eq + 1, &end, 10);
            if (*end || end == eq + 1 || v < -1 || (x->rank >= 0 && v >= x->rank)) {
                fprintf(stderr, "pippyc: --split-spec %s: expected a dim of %s (0..%d) or -1\n",
                        o->split_spec[k], x->name, x->rank - 1);
                rc = 1;
            } else {
                sd[i] = (int)v;
            }
        }
        if (!found) {
            fprintf(stderr, "pippyc: --split-spec %s: expected NAME=DIM with NAME a graph input\n",
                    o->split_spec[k]);
            rc = 1;
        }
    }
    if (rc || chunks == 1) return rc;
    for (int b = 0; b < o->nshape; b++) {
        ir_shape_bind *s = &o->shapes[b];
        for (int i = 0; i < g->ninputs; i++) {
            const ir_value *x = &g->vals[g->inputs[i]];
            int dim = sd[i];
            int by_name = !strcmp(x->name, s->name);
            int by_sym = dim >= 0 && dim < x->rank && x->dims[dim].sym && !strcmp(x->dims[dim].sym, s->name);
            if (!by_name && !by_sym) continue;
            int at = by_name ? dim : 0;
            if (at < 0) break;
            if (at >= s->rank || s->dims[at] % chunks) {
                fprintf(stderr, "pippyc: --input-shape %s: dim %d (%lld) is not divisible by "
                        "--chunks %d\n", s->name, at, at < s->rank ? (long long)s->dims[at] : -1LL,
                        chunks);
                rc = 1;
            } else {
                s->dims[at] /= chunks;
            }
            break;
        }
    }
    /* A batch dim fixed in the model cannot be cut: a fixed-shape export bakes it into
     * constants (Reshape targets), so only a dynamic axis can be microbatched. */
    for (int i = 0; i < g->ninputs && !rc; i++) {
        const ir_value *x = &g->vals[g->inputs[i]];
        int dim = sd[i];
        if (dim < 0 || x->rank <= dim || x->dims[dim].v < 0) continue;
        fprintf(stderr, "pippyc: input '%s' has a fixed size %lld on its batch dim %d in the "
                "model, so it cannot be cut into %d microbatches: export the model with a "
                "dynamic batch axis, or compile with --chunks 1 (or --split-spec %s=-1 to "
                "replicate it)\n", x->name, (long long)x->dims[dim].v, dim, chunks, x->name);
        rc = 1;
    }
    return rc;
}

/* Each graph output's join axis (g->noutputs entries into out_axis): the axis the cut
 * becomes in it (ir_batch_analyze from in_axis, the graph inputs' split dims) or
 * --output-split-spec's. Without programs (--plan-only) only a node that mixes microbatches
 * is an error. Returns 0, or 1 after printing every problem. */
static int output_axes(const ir_graph *g, const pc_opts *o, const int *in_axis, int chunks,
                       int plan_only, int *out_axis) {
    int *over = calloc((size_t)g->noutputs + 1, sizeof *over);
    if (!over) {
        fprintf(stderr, "pippyc: out of memory\n");
        return 1;
    }
    for (int i = 0; i < g->noutputs; i++) over[i] = IR_BATCH_UNKNOWN; /* not given */
    int rc = 0;
    for (int k = 0; k < o->noutsplit; k++) {
        const char *spec = o->out_split_spec[k], *eq = strrchr(spec, '=');
        int found = -1;
        for (int i = 0; eq && i < g->noutputs; i++) {
            const char *nm = g->vals[g->outputs[i]].name;
            if (strlen(nm) == (size_t)(eq - spec) && !strncmp(nm, spec, (size_t)(eq - spec))) found = i;
        }
        if (found < 0) {
            fprintf(stderr, "pippyc: --output-split-spec %s: expected NAME=DIM with NAME a graph "
                    "output (", spec);
            for (int i = 0; i < g->noutputs; i++)
                fprintf(stderr, "%s%s", i ? ", " : "", g->vals[g->outputs[i]].name);
            fprintf(stderr, ")\n");
            rc = 1;
            continue;
        }
        const ir_value *x = &g->vals[g->outputs[found]];
        char *end;
        errno = 0;
        long v = strtol(eq + 1, &end, 10);
        if (*end || end == eq + 1 || errno || v < -1 || (x->rank >= 0 && v >= x->rank)) {
            fprintf(stderr, "pippyc: --output-split-spec %s: expected a dim of %s (0..%d) or -1\n",
                    spec, x->name, x->rank - 1);
            rc = 1;
            continue;
        }
        over[found] = (int)v;
    }
    ir_batch b;
    if (!rc && ir_batch_analyze(g, in_axis, &b)) {
        fprintf(stderr, "pippyc: out of memory following the microbatch axes\n");
        rc = 1;
    } else if (!rc) {
        for (int i = 0; plan_only && i < g->noutputs; i++)
            if (over[i] == IR_BATCH_UNKNOWN && b.axis[g->outputs[i]] == IR_BATCH_UNKNOWN) over[i] = -1;
        ir_diag d = {0};
        if (ir_batch_output_axes(g, &b, over, chunks, out_axis, &d) || d.oom) {
            fprintf(stderr, "pippyc: %s: %d error%s\n", o->model, d.nerr, d.nerr == 1 ? "" : "s");
            ir_diag_print(&d, stderr);
            rc = 1;
        }
        ir_diag_free(&d);
        ir_batch_free(&b);
    }
    for (int i = 0; !rc && o->verbose && i < g->noutputs; i++) {
        if (out_axis[i] >= 0) printf("output %s: microbatches joined along axis %d\n",
                                     g->vals[g->outputs[i]].name, out_axis[i]);
        else printf("output %s: the same for every microbatch (one copy)\n",
                    g->vals[g->outputs[i]].name);
    }
    free(over);
    return rc;
}

static int cmd_compile(int argc, char **argv) {
    static pc_opts o; /* static: what the config allocated stays reachable on every exit */
    char err[1024];
    parse_args(argc, argv, 1, &o);
    if (o.config && pc_config_load(o.config, &o, err, sizeof err)) {
        fprintf(stderr, "pippyc: %s\n", err);
        return 1;
    }
    if (!o.model) {
        fprintf(stderr, "pippyc: no model given\n");
        usage(stderr);
        return 2;
    }
    const char *split = o.split ? o.split : "equal_size";
    int policy = part_policy_lookup(split);
    if (policy < 0) {
        fprintf(stderr, "pippyc: --split %s: unknown policy (equal_size, threshold)\n", split);
        return 1;
    }
    part_opts po = {.policy = (part_policy)policy, .nstages = o.ranks};
    if (policy == PART_EQUAL_SIZE && po.nstages == 0) po.nstages = 1;
    if (policy == PART_THRESHOLD) {
        if (!o.threshold) {
            fprintf(stderr, "pippyc: --split threshold needs --threshold SIZE (e.g. 490MB)\n");
            return 1;
        }
        po.threshold = part_parse_size(o.threshold);
        if (po.threshold <= 0) {
            fprintf(stderr, "pippyc: --threshold %s: expected a size such as 490MB, 1.5GB, "
                    "64KiB or 4096\n", o.threshold);
            return 1;
        }
    } else if (o.threshold && (o.set & PC_SET_THRESHOLD)) { /* a config's is just unused */
        fprintf(stderr, "pippyc: --threshold only applies to --split threshold\n");
        return 1;
    }
    if (o.device && strcmp(o.device, "cpu") && strcmp(o.device, "cuda")) {
        fprintf(stderr, "pippyc: --device %s: expected cpu or cuda\n", o.device);
        return 1;
    }

    double t0 = now_s();
    fe_model_info info = {0};
    ir_graph *g = load(o.model, &info);
    if (!g) return 1;
    double t_load = now_s();

    int chunks = o.chunks > 0 ? o.chunks : 1;
    int *split_dims = NULL, nin = g->ninputs;
    int *in_vals = calloc((size_t)nin + 1, sizeof *in_vals);
    if (!in_vals || microbatch_binds(g, &o, chunks, &split_dims)) {
        if (!in_vals) fprintf(stderr, "pippyc: out of memory\n");
        free(in_vals);
        free(split_dims);
        ir_graph_free(g);
        return 1;
    }
    for (int i = 0; i < nin; i++) in_vals[i] = g->inputs[i];
    ir_pass_opts pass = {.binds = o.shapes, .nbinds = o.nshape, .concrete = o.concrete,
                         .nconcrete = o.nconcrete, .no_fold = o.no_fold};
    if (ir_passes_run(g, &pass) || g->diag.nerr || g->diag.oom) {
        fprintf(stderr, "pippyc: %s: %d error%s\n", o.model, g->diag.nerr, g->diag.nerr == 1 ? "" : "s");
        ir_diag_print(&g->diag, stderr);
        free(in_vals);
        free(split_dims);
        ir_graph_free(g);
        return 1;
    }
    double t_pass = now_s();
    if (o.verbose) ir_graph_dump(g, stdout);
    /* The passes may have dropped inputs (--concrete-arg): split dims follow the values. */
    int *in_axis = calloc((size_t)g->ninputs + 1, sizeof *in_axis);
    int *out_axis = calloc((size_t)g->noutputs + 1, sizeof *out_axis);
    for (int i = 0; in_axis && i < g->ninputs; i++) {
        in_axis[i] = -1;
        for (int k = 0; k < nin; k++)
            if (in_vals[k] == g->inputs[i]) in_axis[i] = split_dims[k];
    }
    if (!in_axis || !out_axis ||
        output_axes(g, &o, in_axis, chunks, o.plan_only || !o.outdir, out_axis)) {
        if (!in_axis || !out_axis) fprintf(stderr, "pippyc: out of memory\n");
        free(in_axis);
        free(out_axis);
        free(in_vals);
        free(split_dims);
        ir_graph_free(g);
        return 1;
    }

    part_costs costs;
    if (part_costs_compute(g, &costs)) {
        fprintf(stderr, "pippyc: out of memory computing costs\n");
        free(in_axis);
        free(out_axis);
        free(in_vals);
        free(split_dims);
        ir_graph_free(g);
        return 1;
    }
    ir_diag d = {0};
    part_plan *plan = part_plan_build(g, &costs, &po, &d);
    if (!plan) {
        ir_diag_print(&d, stderr);
        ir_diag_free(&d);
        part_costs_free(&costs);
        free(in_axis);
        free(out_axis);
        free(in_vals);
        free(split_dims);
        ir_graph_free(g);
        return 1;
    }
    double t_plan = now_s();
    printf("pippyc: %s: %d nodes after passes, %s policy, %d stage%s\n", o.model, g->nnodes,
           part_policy_name(plan->policy), plan->nstages, plan->nstages == 1 ? "" : "s");
    print_plan(plan, g);

    int rc = 0;
    if (o.outdir) {
        char path[4096];
        if (mkdir_p(o.outdir)) {
            fprintf(stderr, "pippyc: cannot create output directory %s: %s\n", o.outdir, strerror(errno));
            rc = 1;
        } else {
            snprintf(path, sizeof path, "%s/pipeline.yaml", o.outdir);
            if (part_plan_write_yaml(plan, g, &costs, path, &d)) rc = 1;
            snprintf(path, sizeof path, "%s/graph.dot", o.outdir);
            if (!rc && part_plan_write_dot(plan, g, path, o.collapse, o.ncollapse, &d)) rc = 1;
            if (!rc) printf("wrote %s/pipeline.yaml and %s/graph.dot\n", o.outdir, o.outdir);
            if (!rc && !o.plan_only) {
                const char *base = strrchr(o.model, '/');
                cg_opts co = {.outdir = o.outdir, .chunks = chunks, .threads = o.threads,
                              .split_dims = in_axis, .out_split_dims = out_axis,
                              .model_name = base ? base + 1 : o.model};
                cg_stage_mem *mem = calloc((size_t)plan->nstages, sizeof *mem);
                double t_cg = now_s();
                if (!mem || cg_generate(g, plan, &co, mem, &d)) {
                    rc = 1;
                } else {
                    char ab[32], wb[32];
                    printf("%-6s %14s %14s\n", "rank", "arena", "weights");
                    for (int s = 0; s < plan->nstages; s++) {
                        fmt_bytes(mem[s].arena_bytes, ab, sizeof ab);
                        fmt_bytes(mem[s].weight_bytes, wb, sizeof wb);
                        printf("%-6d %14s %14s\n", s, ab, wb);
                    }
                    printf("wrote %d stage program%s in %.2f s: pippyrun --nproc-per-node %d %s "
                           "--input ... --output-dir ...\n", plan->nstages,
                           plan->nstages == 1 ? "" : "s", now_s() - t_cg, plan->nstages, o.outdir);
                }
                free(mem);
            }
        }
    }
    if (!rc && o.dot) {
        if (part_plan_write_dot(plan, g, o.dot, o.collapse, o.ncollapse, &d)) rc = 1;
        else printf("wrote %s\n", o.dot);
    }
    if (rc) ir_diag_print(&d, stderr);
    printf("time: load %.3f s, passes %.3f s, plan %.3f s\n", t_load - t0, t_pass - t_load,
           t_plan - t_pass);
    ir_diag_free(&d);
    part_plan_free(plan);
    part_costs_free(&costs);
    free(split_dims);
    free(in_vals);
    free(in_axis);
    free(out_axis);
    ir_graph_free(g);
    pc_opts_free(&o);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "inspect")) return cmd_inspect(argc, argv);
    return cmd_compile(argc, argv);
}
