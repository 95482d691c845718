/* cg.c - the codegen driver: for every stage check that the CPU backend can run each node,
 * plan memory, write the weight shard and the C source, then build the programs with $CC
 * (several at once) against the runtime library. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cg_int.h"
#include "ir_rt.h"
#include "rt_comm.h"

/* Where the runtime's headers and libraries are: baked in at build time (the build tree),
 * overridable with PIPPY_SOURCE_DIR / PIPPY_BUILD_DIR. */
#ifndef PIPPY_SOURCE_DIR
#define PIPPY_SOURCE_DIR "."
#endif
#ifndef PIPPY_BUILD_DIR
#define PIPPY_BUILD_DIR "build"
#endif
#ifndef PIPPY_STAGE_CFLAGS
#define PIPPY_STAGE_CFLAGS ""
#endif
#ifndef PIPPY_STAGE_LIBS
#define PIPPY_STAGE_LIBS "-lopenblas -lprotobuf-c -lpthread -lm"
#endif

/* Kernel tensors for node n at compile time: constants carry their data, everything else
 * (known only at run time) has data == NULL; SUPPORTS and SCRATCH then check what they can. */
static void node_tensors(const ir_graph *g, const ir_node *n, rt_tensor *in, rt_tensor *out) {
    for (int j = 0; j < n->nin; j++) {
        if (n->in[j] < 0) {
            memset(&in[j], 0, sizeof in[j]);
            in[j].rank = -1;
            continue;
        }
        const ir_value *x = &g->vals[n->in[j]];
        in[j] = ir_value_rt(x, x->data ? x->data->data : NULL);
    }
    for (int j = 0; j < n->nout; j++) {
        if (n->out[j] < 0) {
            memset(&out[j], 0, sizeof out[j]);
            out[j].rank = -1;
            continue;
        }
        out[j] = ir_value_rt(&g->vals[n->out[j]], NULL);
    }
}

int cg_check_node(const ir_graph *g, const ir_node *n, int64_t *scratch, ir_diag *d) {
    int nat = n->nattr ? n->nattr : 1;
    rt_tensor *in = calloc((size_t)n->nin + 1, sizeof *in), *out = calloc((size_t)n->nout + 1, sizeof *out);
    rt_attr *ra = calloc((size_t)nat, sizeof *ra);
    rt_tensor *rt = calloc((size_t)nat, sizeof *rt);
    int rc = 0;
    if (!in || !out || !ra || !rt) {
        ir_diag_error(d, "out of memory");
        rc = -1;
        goto out;
    }
    node_tensors(g, n, in, out);
    int nout = n->nout;
    while (nout > 0 && n->out[nout - 1] < 0) nout--;
    int na = ir_node_rt_attrs(n, ra, rt);
    rt_kctx k = {0};
    if (n->op == IR_OP_IF) {
        ir_diag_error(d, "node '%s' (If): the condition is not a constant; give it with "
                      "--concrete-arg so the If folds away", n->name);
        rc = -1;
    } else if (!rt_cpu_supports((int)n->op, ra, na, in, n->nin, out, nout, &k)) {
        ir_diag_error(d, "node '%s' (%s): no CPU kernel for it: %s", n->name,
                      ir_op_table[n->op].name, k.err);
        rc = -1;
    } else {
        *scratch = (int64_t)rt_cpu_scratch((int)n->op, ra, na, in, n->nin, out, nout);
    }
out:
    free(in);
    free(out);
    free(ra);
    free(rt);
    return rc;
}

/* Evaluate a prep node (inputs: weights or earlier prep outputs in pdata) with the CPU
 * kernels; its outputs go to pdata (malloc'd). */
static int run_prep(const ir_graph *g, const ir_node *n, void **pdata, ir_diag *d) {
    int nat = n->nattr ? n->nattr : 1, rc = 0;
    rt_tensor *in = calloc((size_t)n->nin + 1, sizeof *in), *out = calloc((size_t)n->nout + 1, sizeof *out);
    rt_attr *ra = calloc((size_t)nat, sizeof *ra);
    rt_tensor *rt = calloc((size_t)nat, sizeof *rt);
    void *scratch = NULL;
    if (!in || !out || !ra || !rt) goto oom;
    for (int j = 0; j < n->nin; j++) {
        int v = n->in[j];
        if (v < 0) { in[j].rank = -1; continue; }
        const ir_value *x = &g->vals[v];
        in[j] = ir_value_rt(x, x->data ? x->data->data : pdata[v]);
    }
    for (int j = 0; j < n->nout; j++) {
        int v = n->out[j];
        if (v < 0) { out[j].rank = -1; continue; }
        const ir_value *x = &g->vals[v];
        size_t b = (size_t)(ir_shape_numel(x->rank, x->dims) * (int64_t)ir_dtype_size(x->dtype));
        if (!(pdata[v] = malloc(b ? b : 1))) goto oom;
        out[j] = ir_value_rt(x, pdata[v]);
    }
    int nout = n->nout;
    while (nout > 0 && n->out[nout - 1] < 0) nout--;
    int na = ir_node_rt_attrs(n, ra, rt);
    rt_kctx k = {.nthreads = 1};
    size_t sb = rt_cpu_scratch((int)n->op, ra, na, in, n->nin, out, nout);
    if (sb && !(scratch = malloc(sb))) goto oom;
    k.scratch = scratch;
    k.scratch_size = sb;
    if (rt_cpu_run((int)n->op, ra, na, in, n->nin, out, nout, &k)) {
        ir_diag_error(d, "node '%s' (%s): computing it at compile time failed: %s", n->name,
                      ir_op_table[n->op].name, k.err);
        rc = -1;
    }
    goto done;
oom:
    ir_diag_error(d, "out of memory computing node '%s' at compile time", n->name);
    rc = -1;
done:
    free(in); free(out); free(ra); free(rt); free(scratch);
    return rc;
}

/* Write the shard: each weight at its offset; zero padding between. External weights are
 * written straight from their mapping, whose pages are dropped again after each tensor so
 * the compiler's resident memory stays small. */
int cg_stage_write_shard(const ir_graph *g, const part_plan *p, const cg_stage *st,
                         const char *path, ir_diag *d) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        ir_diag_error(d, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    long pg = sysconf(_SC_PAGESIZE);
    void **pdata = calloc((size_t)g->nvals + 1, sizeof *pdata);
    if (!pdata) {
        close(fd);
        ir_diag_error(d, "out of memory");
        return -1;
    }
    const part_stage *ps = &p->stages[st->stage];
    for (int i = ps->first; i < ps->last && !rc; i++)
        if (st->prep[i]) rc = run_prep(g, &g->nodes[i], pdata, d);
    for (int v = 0; v < g->nvals && !rc; v++) {
        if (st->woff[v] < 0) continue;
        const ir_tensor *t = g->vals[v].data;
        ir_tensor pt = {0};
        if (!t) { /* computed by a prep node */
            pt.data = pdata[v];
            pt.nbytes = (size_t)(ir_shape_numel(g->vals[v].rank, g->vals[v].dims) *
                                 (int64_t)ir_dtype_size(g->vals[v].dtype));
            t = &pt;
        }
        const unsigned char *src = t->data;
        size_t left = t->nbytes;
        off_t at = (off_t)st->woff[v];
        while (left > 0 && !rc) {
            /* 64 MB at a time; an external weight's pages are dropped again after each
             * piece, so the compiler's resident memory stays far below the model's size */
            size_t piece = left < ((size_t)64 << 20) ? left : ((size_t)64 << 20);
            const unsigned char *p = src;
            size_t n = piece;
            while (n > 0) {
                ssize_t w = pwrite(fd, p, n, at);
                if (w <= 0) {
                    ir_diag_error(d, "writing %s: %s", path, strerror(errno));
                    rc = -1;
                    break;
                }
                p += w;
                at += w;
                n -= (size_t)w;
            }
            if (t->external) {
                uintptr_t b = (uintptr_t)src & ~(uintptr_t)(pg - 1);
                madvise((void *)b, (uintptr_t)src + piece - b, MADV_DONTNEED);
            }
            src += piece;
            left -= piece;
        }
    }
    for (int v = 0; v < g->nvals; v++) free(pdata[v]);
    free(pdata);
    if (!rc && ftruncate(fd, (off_t)st->weight_bytes) != 0) {
        ir_diag_error(d, "writing %s: %s", path, strerror(errno));
        rc = -1;
    }
    if (close(fd) != 0 && !rc) {
        ir_diag_error(d, "writing %s: %s", path, strerror(errno));
        rc = -1;
    }
    return rc;
}

static int write_dispatcher(const char *dir, ir_diag *d) {
    char err[512];
    if (rt_write_rank_dispatcher(dir, err, sizeof err)) {
        ir_diag_error(d, "%s", err);
        return -1;
    }
    return 0;
}

typedef struct job {
    pid_t pid;
    int stage;
    char log[4096];
} job;

static int generate(const ir_graph *g, const part_plan *p, const cg_opts *o, cg_stage_mem *mem,
                    ir_diag *d);

static pid_t spawn_cc(const char *cc, const char *src, const char *exe, const char *log) {
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "%s -std=c11 -O1 %s -I'%s/runtime' -I'%s/runtime/cpu' -I'%s' '%s' -o '%s' "
             "'%s/lib/libpippy_runtime.a' '%s/lib/libpippy_kernels.a' '%s/lib/libpippy_onnxpb.a' "
             "-fopenmp %s > '%s' 2>&1",
             cc, PIPPY_STAGE_CFLAGS, PIPPY_SOURCE_DIR, PIPPY_SOURCE_DIR, PIPPY_SOURCE_DIR, src, exe,
             PIPPY_BUILD_DIR, PIPPY_BUILD_DIR, PIPPY_BUILD_DIR, PIPPY_STAGE_LIBS, log);
    const char *sd = getenv("PIPPY_SOURCE_DIR"), *bd = getenv("PIPPY_BUILD_DIR");
    if (sd || bd) {
        sd = sd ? sd : PIPPY_SOURCE_DIR;
        bd = bd ? bd : PIPPY_BUILD_DIR;
        snprintf(cmd, sizeof cmd,
                 "%s -std=c11 -O1 %s -I'%s/runtime' -I'%s/runtime/cpu' -I'%s' '%s' -o '%s' "
                 "'%s/lib/libpippy_runtime.a' '%s/lib/libpippy_kernels.a' '%s/lib/libpippy_onnxpb.a' "
                 "-fopenmp %s > '%s' 2>&1",
                 cc, PIPPY_STAGE_CFLAGS, sd, sd, sd, src, exe, bd, bd, bd, PIPPY_STAGE_LIBS, log);
    }
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Each graph output's join axis from the microbatch-axis analysis (malloc'd), or NULL with
 * diagnostics when an output mixes microbatches or its axis cannot be followed. */
static int *join_axes(const ir_graph *g, const cg_opts *o, ir_diag *d) {
    int *out = calloc((size_t)g->noutputs + 1, sizeof *out);
    ir_batch b;
    if (!out || ir_batch_analyze(g, o->split_dims, &b)) {
        free(out);
        ir_diag_error(d, "out of memory");
        return NULL;
    }
    int nerr = ir_batch_output_axes(g, &b, NULL, o->chunks, out, d);
    ir_batch_free(&b);
    if (nerr) {
        free(out);
        return NULL;
    }
    return out;
}

int cg_generate(const ir_graph *g, const part_plan *p, const cg_opts *opts, cg_stage_mem *mem,
                ir_diag *d) {
    cg_opts oc = *opts, *o = &oc;
    int *joins = NULL;
    if (!o->out_split_dims && !(o->out_split_dims = joins = join_axes(g, o, d))) return -1;
    int rc = generate(g, p, o, mem, d);
    free(joins);
    return rc;
}

static int generate(const ir_graph *g, const part_plan *p, const cg_opts *o, cg_stage_mem *mem,
                    ir_diag *d) {
    int nslots = o->nslots > 0 ? o->nslots : 2;
    const char *cc = o->cc ? o->cc : getenv("CC");
    if (!cc || !*cc) cc = "cc";
    int jobs = o->jobs > 0 ? o->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (jobs < 1) jobs = 1;
    char path[4096], shard[64], src[4096], exe[4096];

    /* Sources and shards first: any error stops before the compiler runs. */
    for (int s = 0; s < p->nstages; s++) {
        cg_stage st;
        if (cg_stage_plan(g, p, s, nslots, &st, d)) {
            cg_stage_free(&st);
            return -1;
        }
        snprintf(shard, sizeof shard, "stage_%d.weights", s);
        snprintf(path, sizeof path, "%s/%s", o->outdir, shard);
        int rc = cg_stage_write_shard(g, p, &st, path, d);
        snprintf(src, sizeof src, "%s/stage_%d.c", o->outdir, s);
        FILE *f = rc ? NULL : fopen(src, "w");
        if (!rc && !f) {
            ir_diag_error(d, "cannot write %s: %s", src, strerror(errno));
            rc = -1;
        }
        if (f) {
            if (cg_stage_emit(g, p, &st, o, f, shard, d)) rc = -1;
            if (fclose(f) != 0) rc = -1;
        }
        if (mem) {
            mem[s].arena_bytes = st.arena_bytes;
            mem[s].io_bytes = st.io_bytes;
            mem[s].temp_bytes = st.temp_bytes;
            mem[s].scratch_bytes = st.scratch_bytes;
            mem[s].weight_bytes = st.weight_bytes;
        }
        cg_stage_free(&st);
        if (rc) return -1;
    }
    if (write_dispatcher(o->outdir, d)) return -1;

    /* Build, `jobs` at a time. */
    job *js = calloc((size_t)p->nstages, sizeof *js);
    if (!js) {
        ir_diag_error(d, "out of memory");
        return -1;
    }
    int next = 0, running = 0, done = 0, failed = 0;
    while (done < p->nstages) {
        while (!failed && next < p->nstages && running < jobs) {
            job *j = &js[next];
            j->stage = next;
            snprintf(src, sizeof src, "%s/stage_%d.c", o->outdir, next);
            snprintf(exe, sizeof exe, "%s/rank_%d", o->outdir, next);
            snprintf(j->log, sizeof j->log, "%s/stage_%d.cc.log", o->outdir, next);
            j->pid = spawn_cc(cc, src, exe, j->log);
            if (j->pid < 0) {
                ir_diag_error(d, "cannot start %s: %s", cc, strerror(errno));
                failed = 1;
                break;
            }
            if (!o->quiet) {
                printf("compiling stage %d/%d (%d nodes) with %s\n", next + 1, p->nstages,
                       p->stages[next].last - p->stages[next].first, cc);
                fflush(stdout);
            }
            next++;
            running++;
        }
        if (!running) break;
        int status;
        pid_t pid = wait(&status);
        if (pid < 0) break;
        for (int k = 0; k < next; k++) {
            if (js[k].pid != pid) continue;
            running--;
            done++;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                ir_diag_error(d, "stage %d: %s failed; see %s", js[k].stage, cc, js[k].log);
                FILE *lf = fopen(js[k].log, "r");
                if (lf) {
                    char line[512];
                    for (int n = 0; n < 8 && fgets(line, sizeof line, lf); n++)
                        fprintf(stderr, "  %s", line);
                    fclose(lf);
                }
                failed = 1;
            } else {
                remove(js[k].log);
            }
        }
        if (failed && !running) break;
    }
    free(js);
    return failed ? -1 : 0;
}
