/* rt_stage.c - a stage program's life: arguments, environment, weights, arena, rendezvous,
 * the fill-drain (GPipe) schedule over microbatches, and on rank 0 the driver that reads the
 * inputs, cuts them into microbatches, gathers the outputs and writes them.
 *
 * Per microbatch i a stage receives what it needs, runs, and starts its sends (isend), then
 * goes on to i+1 while i is on the wire; buffers come in nslots copies and a slot is reused
 * only once the sends from it are done. Graph outputs of stages other than 0 are staged in
 * a per-batch buffer (made at start) so that they never hold a slot: rank 0 collects them
 * after its own microbatches, and no rank ever waits on a rank that waits on it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "rt_comm.h"
#include "rt_io.h"
#include "rt_stage.h"

void openblas_set_num_threads(int);

#define MAX_INPUT_ARGS 64

enum { TAG_FEED = 1, TAG_XFER = 2, TAG_OUT = 3 };

/* Tags carry kind, microbatch and index so a mix-up is caught on arrival. */
static uint32_t mk_tag(int kind, int mb, int idx) {
    return (uint32_t)kind << 28 | (uint32_t)(mb & 0xfff) << 16 | (uint32_t)(idx & 0xffff);
}

typedef struct run_args {
    int ninput;
    const char *input_name[MAX_INPUT_ARGS];  /* NULL: positional */
    const char *input_file[MAX_INPUT_ARGS];
    const char *output_dir;
    int repeat;
    int threads;
    int quiet;
} run_args;

static int g_rank = -1;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!strncmp(buf, "rank ", 5)) fprintf(stderr, "%s\n", buf); /* comm errors name the rank */
    else if (g_rank >= 0) fprintf(stderr, "rank %d: error: %s\n", g_rank, buf);
    else fprintf(stderr, "error: %s\n", buf);
    return 1;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int rt_stage_fail(rt_stage_ctx *c, const char *node, const char *op) {
    snprintf(c->err, sizeof c->err, "node '%s' (%s): %s", node, op,
             c->k.err[0] ? c->k.err : "kernel failed");
    return -1;
}

static void usage(const rt_stage_desc *d) {
    printf("usage: rank_%d [--input NAME=FILE | FILE]... [--output-dir DIR] [--repeat N]\n"
           "              [--threads N] [--timeout SECONDS] [--quiet]\n"
           "Stage %d of %d of %s, compiled by pippyc. Run all ranks with pippyrun (or torchrun\n"
           "--no-python DIR/rank): it sets RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT.\n"
           "  --input NAME=FILE   a graph input from .npy or ONNX TensorProto .pb (rank 0 reads\n"
           "                      it); a bare FILE goes to the next input in graph order\n"
           "  --output-dir DIR    write output_<i>.pb and <name>.npy for every graph output\n"
           "  --repeat N          run the batch N times; print throughput and the per-stage\n"
           "                      busy/idle table (the pipeline bubble)\n"
           "  --threads N         kernel threads (default %d; 0: all cores)\n"
           "  --timeout SECONDS   give up on a silent peer after this long (PIPPY_TIMEOUT)\n",
           d->stage, d->stage, d->nstages, d->model_name, d->threads);
    printf("graph inputs (per batch of %d microbatches):\n", d->chunks);
    for (int i = 0; i < d->nmodel_inputs; i++) {
        const rt_io *x = &d->model_inputs[i];
        printf("  %-20s %s [", x->name, rt_dtype_name(x->dtype));
        for (int k = 0; k < x->rank; k++)
            printf("%s%lld", k ? "x" : "", (long long)(x->dims[k] * (k == x->split_dim ? d->chunks : 1)));
        printf("]%s\n", x->split_dim < 0 ? " (replicated)" : "");
    }
}

static int parse_args(const rt_stage_desc *d, int argc, char **argv, run_args *a) {
    memset(a, 0, sizeof *a);
    a->repeat = 1;
    a->threads = -1;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char *val = NULL;
#define VAL() do { if (i + 1 >= argc) return fail("%s needs a value", s), 2; val = argv[++i]; } while (0)
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            usage(d);
            exit(0);
        } else if (!strcmp(s, "--input")) {
            VAL();
            if (a->ninput >= MAX_INPUT_ARGS) return fail("too many --input"), 2;
            const char *eq = strchr(val, '=');
            if (eq && eq != val) {
                a->input_name[a->ninput] = strndup(val, (size_t)(eq - val));
                a->input_file[a->ninput++] = eq + 1;
            } else {
                a->input_file[a->ninput++] = val;
            }
        } else if (!strcmp(s, "--output-dir")) {
            VAL();
            a->output_dir = val;
        } else if (!strcmp(s, "--repeat")) {
            VAL();
            a->repeat = atoi(val);
            if (a->repeat < 1) return fail("--repeat %s: expected a positive integer", val), 2;
        } else if (!strcmp(s, "--threads")) {
            VAL();
            a->threads = atoi(val);
            if (a->threads < 0) return fail("--threads %s: expected >= 0", val), 2;
        } else if (!strcmp(s, "--timeout")) {
            VAL();
            if (atof(val) <= 0) return fail("--timeout %s: expected seconds > 0", val), 2;
            setenv("PIPPY_TIMEOUT", val, 1);
        } else if (!strcmp(s, "--split-spec")) {
            VAL(); /* checked against the compiled split below */
            const char *eq = strchr(val, '=');
            int ok = 0;
            for (int k = 0; eq && k < d->nmodel_inputs; k++)
                if (!strncmp(d->model_inputs[k].name, val, (size_t)(eq - val)) &&
                    d->model_inputs[k].name[eq - val] == 0) {
                    ok = 1;
                    if (atoi(eq + 1) != d->model_inputs[k].split_dim)
                        return fail("--split-spec %s: this program was compiled with %s split "
                                    "along dim %d; recompile with pippyc --split-spec", val,
                                    d->model_inputs[k].name, d->model_inputs[k].split_dim), 2;
                }
            if (!ok) return fail("--split-spec %s: no graph input of that name", val), 2;
        } else if (!strcmp(s, "--quiet") || !strcmp(s, "-q")) {
            a->quiet = 1;
        } else if (s[0] == '-' && s[1]) {
            return fail("unknown option '%s' (see --help)", s), 2;
        } else {
            if (a->ninput >= MAX_INPUT_ARGS) return fail("too many inputs"), 2;
            a->input_file[a->ninput++] = s;
        }
#undef VAL
    }
    return 0;
}

/* The shard next to the program, mapped read-only. */
static const uint8_t *map_weights(const rt_stage_desc *d, const char *argv0, size_t *len) {
    char exe[PATH_MAX], path[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(exe, sizeof exe, "%s", argv0);
        n = (ssize_t)strlen(exe);
    }
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) *slash = 0;
    else snprintf(exe, sizeof exe, ".");
    snprintf(path, sizeof path, "%s/%s", exe, d->weights_file);
    *len = 0;
    if (d->weights_bytes == 0) return (const uint8_t *)"";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail("cannot open the weight shard %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) || st.st_size != d->weights_bytes) {
        fail("weight shard %s is %lld bytes, the program expects %lld (stale or truncated "
             "output directory? recompile)", path, (long long)st.st_size, (long long)d->weights_bytes);
        close(fd);
        return NULL;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        fail("cannot map %s: %s", path, strerror(errno));
        return NULL;
    }
    *len = (size_t)st.st_size;
    return p;
}

/* Batch-sized tensors on rank 0: inputs cut into contiguous microbatches, outputs merged. */
typedef struct host_io {
    uint8_t *mb;      /* chunks * bytes: microbatch i at i * bytes (replicated: one copy) */
    int64_t bytes;    /* per microbatch */
    int replicated;
} host_io;

static void *mb_ptr(const host_io *h, int i) { return h->mb + (h->replicated ? 0 : (int64_t)i * h->bytes); }

/* Copy microbatch i of t (split along dim sd into n pieces) to dst. */
static void cut(const rt_host_tensor *t, int sd, int n, int i, uint8_t *dst) {
    size_t es = rt_dtype_size(t->dtype);
    int64_t outer = 1, inner = (int64_t)es;
    for (int k = 0; k < sd; k++) outer *= t->dims[k];
    for (int k = sd + 1; k < t->rank; k++) inner *= t->dims[k];
    int64_t piece = t->dims[sd] / n;
    for (int64_t o = 0; o < outer; o++)
        memcpy(dst + o * piece * inner, (uint8_t *)t->data + (o * t->dims[sd] + i * piece) * inner,
               (size_t)(piece * inner));
}

/* The inverse of cut: microbatch i (contiguous, at src) into t (split along dim sd into n
 * pieces), at offset i * piece along sd. */
static void join(rt_host_tensor *t, int sd, int n, int i, const uint8_t *src) {
    size_t es = rt_dtype_size(t->dtype);
    int64_t outer = 1, inner = (int64_t)es;
    for (int k = 0; k < sd; k++) outer *= t->dims[k];
    for (int k = sd + 1; k < t->rank; k++) inner *= t->dims[k];
    int64_t piece = t->dims[sd] / n;
    for (int64_t o = 0; o < outer; o++)
        memcpy((uint8_t *)t->data + (o * t->dims[sd] + i * piece) * inner, src + o * piece * inner,
               (size_t)(piece * inner));
}

static int read_inputs(const rt_stage_desc *d, const run_args *a, host_io *in) {
    int pos = 0, rc = 0;
    const char *file[256] = {0};
    if (d->nmodel_inputs > 256) return fail("too many graph inputs");
    for (int k = 0; k < a->ninput; k++) {
        if (!a->input_name[k]) {
            while (pos < d->nmodel_inputs && file[pos]) pos++;
            if (pos >= d->nmodel_inputs)
                return fail("more input files than graph inputs (%d)", d->nmodel_inputs);
            file[pos++] = a->input_file[k];
            continue;
        }
        int found = -1;
        for (int j = 0; j < d->nmodel_inputs; j++)
            if (!strcmp(d->model_inputs[j].name, a->input_name[k])) found = j;
        if (found < 0) {
            fail("--input %s: the model has no input of that name (inputs:%s%s)", a->input_name[k],
                 d->nmodel_inputs ? " " : " none", d->nmodel_inputs ? d->model_inputs[0].name : "");
            return 1;
        }
        file[found] = a->input_file[k];
    }
    for (int j = 0; j < d->nmodel_inputs; j++) {
        const rt_io *x = &d->model_inputs[j];
        if (!file[j]) {
            rc = fail("no file for graph input '%s' (give --input %s=FILE.npy)", x->name, x->name);
            continue;
        }
        rt_host_tensor t;
        char err[512];
        if (rt_tensor_read(file[j], &t, err, sizeof err)) {
            rc = fail("input '%s': %s", x->name, err);
            continue;
        }
        int ok = t.dtype == x->dtype && t.rank == x->rank;
        for (int k = 0; ok && k < x->rank; k++)
            ok = t.dims[k] == x->dims[k] * (k == x->split_dim ? d->chunks : 1);
        if (!ok) {
            char want[256] = "", got[256] = "";
            int o = 0;
            for (int k = 0; k < x->rank; k++)
                o += snprintf(want + o, sizeof want - (size_t)o, "%s%lld", k ? "x" : "",
                              (long long)(x->dims[k] * (k == x->split_dim ? d->chunks : 1)));
            o = 0;
            for (int k = 0; k < t.rank; k++)
                o += snprintf(got + o, sizeof got - (size_t)o, "%s%lld", k ? "x" : "", (long long)t.dims[k]);
            rc = fail("input '%s' from %s is %s[%s]; the program was compiled for %s[%s] "
                      "(%d microbatches; recompile with pippyc --input-shape %s=... --chunks N)",
                      x->name, file[j], rt_dtype_name(t.dtype), got, rt_dtype_name(x->dtype), want,
                      d->chunks, x->name);
            rt_host_tensor_free(&t);
            continue;
        }
        in[j].bytes = x->bytes;
        in[j].replicated = x->split_dim < 0;
        int n = in[j].replicated ? 1 : d->chunks;
        in[j].mb = malloc((size_t)(x->bytes * n) + 1);
        if (!in[j].mb) {
            rt_host_tensor_free(&t);
            return fail("out of memory for input '%s'", x->name);
        }
        if (in[j].replicated) memcpy(in[j].mb, t.data, (size_t)x->bytes);
        else
            for (int i = 0; i < d->chunks; i++) cut(&t, x->split_dim, d->chunks, i, in[j].mb + i * x->bytes);
        rt_host_tensor_free(&t);
    }
    return rc;
}

static void sanitize(char *s) {
    for (; *s; s++)
        if (*s == '/' || *s == '\\' || *s == ':' || *s == ' ') *s = '_';
}

static int write_outputs(const rt_stage_desc *d, const char *dir, host_io *out) {
    if (mkdir(dir, 0777) && errno != EEXIST) return fail("cannot create %s: %s", dir, strerror(errno));
    int rc = 0;
    for (int j = 0; j < d->nmodel_outputs; j++) {
        const rt_io *x = &d->model_outputs[j];
        rt_host_tensor t = {0};
        snprintf(t.name, sizeof t.name, "%s", x->name);
        t.dtype = x->dtype;
        t.rank = x->rank;
        /* out[j].mb holds the microbatches one after another: joined along split_dim (the
         * axis the cut became in this output); a replicated output is one copy */
        int sd = out[j].replicated ? -1 : x->split_dim;
        for (int k = 0; k < x->rank; k++) t.dims[k] = x->dims[k] * (k == sd ? d->chunks : 1);
        t.nbytes = (size_t)(out[j].bytes * (sd < 0 ? 1 : d->chunks));
        uint8_t *joined = NULL;
        if (sd <= 0 || d->chunks == 1) {
            t.data = out[j].mb; /* along dim 0 the microbatches are already in place */
        } else if (!(joined = malloc(t.nbytes + 1))) {
            rc = fail("out of memory joining output '%s'", x->name);
            continue;
        } else {
            t.data = joined;
            for (int i = 0; i < d->chunks; i++) join(&t, sd, d->chunks, i, out[j].mb + i * out[j].bytes);
        }
        char path[PATH_MAX], err[512], nm[256];
        snprintf(path, sizeof path, "%s/output_%d.pb", dir, j);
        if (rt_tensor_write_pb(path, &t, err, sizeof err)) rc = fail("%s", err);
        snprintf(nm, sizeof nm, "%s", x->name);
        sanitize(nm);
        snprintf(path, sizeof path, "%s/%s.npy", dir, nm);
        if (t.dtype == RT_BF16) /* NumPy has no bfloat16: the .pb holds it */
            fprintf(stderr, "note: output '%s' is bfloat16, which .npy cannot hold; see "
                    "output_%d.pb\n", x->name, j);
        else if (rt_tensor_write_npy(path, &t, err, sizeof err))
            rc = fail("%s", err);
        free(joined);
    }
    return rc;
}

typedef struct sched {
    const rt_stage_desc *d;
    rt_stage_ctx *c;
    rt_comm *comm;
    host_io *in, *out;       /* rank 0 */
    uint8_t **staged;        /* stage != 0: per output, chunks * bytes */
    rt_req **slot_reqs;      /* nslots * nsend */
    int *slot_nreq;
    rt_req **batch_reqs;     /* feeds and staged outputs: waited at the end of the batch */
    int nbatch_req, cap_batch_req;
    double busy;
} sched;

/* A failed link or store call: its message, and the exit status for its kind (see
 * RT_EXIT_PEER_LOST in rt_stage.h): a lost peer is not this rank's failure. Before it goes,
 * a rank that lost a peer tells its other peers where the failure began (rt_comm_abort),
 * so that they name that rank, not this one. */
static int comm_err(sched *s) {
    fail("%s", rt_comm_error(s->comm));
    if (!rt_comm_error_peer(s->comm)) return 1;
    rt_comm_abort(s->comm, rt_comm_error_root(s->comm));
    return RT_EXIT_PEER_LOST;
}

static int store_err(const rt_store *st, rt_comm *comm) {
    fail("%s", rt_store_error(st));
    if (!rt_store_error_peer(st)) return 1;
    if (comm) rt_comm_abort(comm, -1);  /* which rank the store lost is not known */
    return RT_EXIT_PEER_LOST;
}

static int push_batch_req(sched *s, rt_req *r) {
    if (s->nbatch_req == s->cap_batch_req) return fail("internal: request table full");
    s->batch_reqs[s->nbatch_req++] = r;
    return 0;
}

static int wait_slot(sched *s, int slot) {
    for (int k = 0; k < s->slot_nreq[slot]; k++)
        if (rt_comm_wait(s->comm, s->slot_reqs[slot * (s->d->nsend + 1) + k])) return comm_err(s);
    s->slot_nreq[slot] = 0;
    return 0;
}

/* One batch: every microbatch through this stage. */
static int run_batch(sched *s) {
    const rt_stage_desc *d = s->d;
    rt_stage_ctx *c = s->c;
    int rank = d->stage;
    for (int i = 0; i < d->chunks; i++) {
        int slot = i % d->nslots;
        int rc = wait_slot(s, slot);
        if (rc) return rc;
        c->slot = slot;
        c->microbatch = i;
        if (rank == 0) {
            for (int f = 0; f < d->nfeeds; f++) {
                const rt_io *x = &d->feeds[f];
                rt_req *r;
                if (rt_comm_isend(s->comm, x->peer, mk_tag(TAG_FEED, i, x->graph_index),
                                  mb_ptr(&s->in[x->graph_index], i), (size_t)x->bytes, &r) ||
                    push_batch_req(s, r))
                    return comm_err(s);
            }
            for (int k = 0; k < d->ninputs; k++) {
                const rt_io *x = &d->inputs[k];
                memcpy(c->arena + x->offset + (int64_t)slot * x->slot_stride,
                       mb_ptr(&s->in[x->graph_index], i), (size_t)x->bytes);
            }
        } else {
            for (int k = 0; k < d->ninputs; k++) {
                const rt_io *x = &d->inputs[k];
                if (rt_comm_recv(s->comm, 0, mk_tag(TAG_FEED, i, x->graph_index),
                                 c->arena + x->offset + (int64_t)slot * x->slot_stride,
                                 (size_t)x->bytes, -1))
                    return comm_err(s);
            }
        }
        for (int k = 0; k < d->nrecv; k++) {
            const rt_io *x = &d->recv[k];
            if (rt_comm_recv(s->comm, x->peer, mk_tag(TAG_XFER, i, x->tag),
                             c->arena + x->offset + (int64_t)slot * x->slot_stride, (size_t)x->bytes, -1))
                return comm_err(s);
        }
        double t0 = now_s();
        c->err[0] = 0;
        c->k.err[0] = 0;
        if (d->run(c)) return fail("stage %d, microbatch %d: %s", d->stage, i, c->err);
        s->busy += now_s() - t0;
        for (int k = 0; k < d->nsend; k++) {
            const rt_io *x = &d->send[k];
            rt_req *r;
            if (rt_comm_isend(s->comm, x->peer, mk_tag(TAG_XFER, i, x->tag),
                              c->arena + x->offset + (int64_t)slot * x->slot_stride, (size_t)x->bytes, &r))
                return comm_err(s);
            s->slot_reqs[slot * (d->nsend + 1) + s->slot_nreq[slot]++] = r;
        }
        for (int k = 0; k < d->noutputs; k++) {
            const rt_io *x = &d->outputs[k];
            const uint8_t *src = c->arena + x->offset + (int64_t)slot * x->slot_stride;
            if (rank == 0) {
                host_io *h = &s->out[x->graph_index];
                if (!h->replicated || i == 0) memcpy(mb_ptr(h, i), src, (size_t)x->bytes);
            } else {
                uint8_t *dst = s->staged[k] + (int64_t)i * x->bytes;
                memcpy(dst, src, (size_t)x->bytes);
                rt_req *r;
                if (rt_comm_isend(s->comm, 0, mk_tag(TAG_OUT, i, x->graph_index), dst,
                                  (size_t)x->bytes, &r) || push_batch_req(s, r))
                    return comm_err(s);
            }
        }
    }
    /* Drain: every send done, rank 0 has every output. */
    for (int slot = 0; slot < d->nslots; slot++) {
        int rc = wait_slot(s, slot);
        if (rc) return rc;
    }
    if (rank == 0) {
        for (int i = 0; i < d->chunks; i++)
            for (int j = 0; j < d->nmodel_outputs; j++) {
                const rt_io *x = &d->model_outputs[j];
                if (x->peer == 0) continue;
                host_io *h = &s->out[j];
                if (rt_comm_recv(s->comm, x->peer, mk_tag(TAG_OUT, i, j), mb_ptr(h, i),
                                 (size_t)x->bytes, -1))
                    return comm_err(s);
            }
    }
    for (int k = 0; k < s->nbatch_req; k++)
        if (rt_comm_wait(s->comm, s->batch_reqs[k])) return comm_err(s);
    s->nbatch_req = 0;
    return 0;
}

/* What a stage program holds for its whole life. Static, so that an error path may simply
 * return and exit: everything stays reachable (nothing leaks), and a failed link is not
 * waited on by closing it. The success path frees it all. */
static struct {
    rt_stage_ctx *c;
    uint8_t *arena;
    sched s;
    rt_store *store;
    rt_transport *tcp;
} life;

static void life_free(const rt_stage_desc *d) {
    sched *s = &life.s;
    if (s->in)
        for (int j = 0; j < d->nmodel_inputs; j++) free(s->in[j].mb);
    if (s->out)
        for (int j = 0; j < d->nmodel_outputs; j++) free(s->out[j].mb);
    if (s->staged)
        for (int k = 0; k < d->noutputs; k++) free(s->staged[k]);
    free(s->in);
    free(s->out);
    free(s->staged);
    free(s->slot_reqs);
    free(s->slot_nreq);
    free(s->batch_reqs);
    free(life.arena);
    free(life.c);
    memset(&life, 0, sizeof life);
}

int rt_stage_main(const rt_stage_desc *d, int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    run_args a;
    int rc = parse_args(d, argc, argv, &a);
    if (rc) return rc;
    rt_env env;
    char err[1024];
    if (rt_env_read(&env, err, sizeof err)) return fail("%s", err);
    g_rank = env.rank;
    if (env.world_size != d->nstages)
        return fail("WORLD_SIZE is %d but this pipeline has %d stages (run with "
                    "--nproc-per-node %d)", env.world_size, d->nstages, d->nstages);
    if (env.rank != d->stage)
        return fail("this is the program for rank %d but RANK=%d (DIR/rank dispatches by RANK)",
                    d->stage, env.rank);
    /* Threads: --threads, else the compiled default, else this node's cores shared
     * among its ranks. */
    int threads = a.threads >= 0 ? a.threads : d->threads;
    if (threads <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        int local = env.local_world_size > 0 ? env.local_world_size : 1;
        threads = cores / local > 0 ? (int)(cores / local) : 1;
    }
    openblas_set_num_threads(threads);

    size_t wlen;
    const uint8_t *weights = map_weights(d, argv[0], &wlen);
    if (!weights) return 1;
    rt_stage_ctx *c = life.c = calloc(1, sizeof *c);
    size_t abytes = (size_t)((d->arena_bytes + 63) / 64 * 64);
    uint8_t *arena = life.arena = aligned_alloc(64, abytes ? abytes : 64);
    if (!c || !arena) return fail("cannot allocate the %lld-byte arena", (long long)d->arena_bytes);
    memset(arena, 0, abytes);
    c->arena = arena;
    c->weights = weights;
    c->k.scratch = arena + d->scratch_offset;
    c->k.scratch_size = (size_t)d->scratch_bytes;
    c->k.nthreads = threads;

#define s life.s
    s.d = d;
    s.c = c;
    s.slot_reqs = calloc((size_t)d->nslots * (size_t)(d->nsend + 1), sizeof *s.slot_reqs);
    s.slot_nreq = calloc((size_t)d->nslots, sizeof *s.slot_nreq);
    s.cap_batch_req = d->chunks * (d->nfeeds + d->noutputs) + 1;
    s.batch_reqs = calloc((size_t)s.cap_batch_req, sizeof *s.batch_reqs);
    if (!s.slot_reqs || !s.slot_nreq || !s.batch_reqs) return fail("out of memory");
    if (d->stage == 0) {
        s.in = calloc((size_t)d->nmodel_inputs + 1, sizeof *s.in);
        s.out = calloc((size_t)d->nmodel_outputs + 1, sizeof *s.out);
        if (!s.in || !s.out) return fail("out of memory");
        if (read_inputs(d, &a, s.in)) return 1;
        for (int j = 0; j < d->nmodel_outputs; j++) {
            const rt_io *x = &d->model_outputs[j];
            s.out[j].bytes = x->bytes;
            s.out[j].replicated = x->split_dim < 0;
            s.out[j].mb = calloc((size_t)(x->bytes * (s.out[j].replicated ? 1 : d->chunks)) + 1, 1);
            if (!s.out[j].mb) return fail("out of memory for output '%s'", x->name);
        }
    } else {
        s.staged = calloc((size_t)d->noutputs + 1, sizeof *s.staged);
        if (!s.staged) return fail("out of memory");
        for (int k = 0; k < d->noutputs; k++)
            if (!(s.staged[k] = malloc((size_t)(d->outputs[k].bytes * d->chunks) + 1)))
                return fail("out of memory");
    }

    /* Failures from here on that are the loss of a peer exit RT_EXIT_PEER_LOST. Opening
     * the store fails on a rank other than 0 when rank 0's store is not there (gone, never
     * came, or another job's): a lost peer too. */
    rt_store *store = life.store = rt_store_open(&env, err, sizeof err);
    if (!store) return fail("%s", err), env.rank != 0 ? RT_EXIT_PEER_LOST : 1;
    double join_timeout = env.timeout_s < 60 ? env.timeout_s : 60;
    if (rt_store_barrier(store, "join", join_timeout)) return store_err(store, s.comm);
    rt_transport *tcp = NULL;
    if (env.world_size > 1) {
        tcp = life.tcp = rt_tcp_open(&env, store, err, sizeof err);
        if (!tcp) return fail("%s", err), rt_store_error_peer(store) ? RT_EXIT_PEER_LOST : 1;
    }
    s.comm = rt_comm_new(env.rank, env.world_size, tcp);
    if (!s.comm) return fail("out of memory");

    /* One barrier so the clocks start together; after it, only the data orders the ranks
     * (a dead peer is then seen on its link, never waited for in the store). */
    /* Rank 0 drives: the other ranks take its --repeat. */
    char rep[32];
    size_t rlen = 0;
    snprintf(rep, sizeof rep, "%d", a.repeat);
    if (env.rank == 0 ? rt_store_set(store, "pippy/repeat", rep, strlen(rep))
                      : rt_store_get(store, "pippy/repeat", rep, sizeof rep - 1, &rlen, -1))
        return store_err(store, s.comm);
    if (env.rank != 0) {
        rep[rlen] = 0;
        a.repeat = atoi(rep) > 0 ? atoi(rep) : 1;
    }
    if (rt_store_barrier(store, "start", -1)) return store_err(store, s.comm);
    double t_start = now_s();
    for (int r = 0; r < a.repeat; r++)
        if ((rc = run_batch(&s))) return rc;
    double wall = now_s() - t_start;

    /* Report: every rank's busy time to rank 0 through the store. */
    char key[64], val[128];
    snprintf(key, sizeof key, "pippy/stats/%d", env.rank);
    snprintf(val, sizeof val, "%.9f %.9f", s.busy, wall);
    if (rt_store_set(store, key, val, strlen(val))) return store_err(store, s.comm);
    rc = 0;
    if (env.rank == 0) {
        if (a.output_dir) rc = write_outputs(d, a.output_dir, s.out);
        if (!a.quiet) {
            int m = d->chunks, p = d->nstages;
            int64_t batch = 1;
            if (d->nmodel_inputs && d->model_inputs[0].split_dim >= 0)
                batch = d->model_inputs[0].dims[d->model_inputs[0].split_dim] * m;
            printf("pipeline: %d stage%s, %d microbatch%s, %d batch%s of %lld in %.3f s: "
                   "%.2f samples/s\n", p, p == 1 ? "" : "s", m, m == 1 ? "" : "es", a.repeat,
                   a.repeat == 1 ? "" : "es", (long long)batch, wall,
                   wall > 0 ? (double)(batch * a.repeat) / wall : 0.0);
            printf("%-6s %10s %10s %8s\n", "stage", "busy s", "idle s", "busy %");
            double sum = 0;
            for (int k = 0; k < p; k++) {
                char buf[128];
                size_t len = 0;
                snprintf(key, sizeof key, "pippy/stats/%d", k);
                double b = 0, w = 0;
                if (rt_store_get(store, key, buf, sizeof buf - 1, &len, -1) == 0) {
                    buf[len] = 0;
                    sscanf(buf, "%lf %lf", &b, &w);
                }
                sum += w > 0 ? b / w : 0;
                printf("%-6d %10.4f %10.4f %7.1f%%\n", k, b, w - b, w > 0 ? 100 * b / w : 0);
            }
            printf("mean busy %.1f%%; ideal fill-drain efficiency m/(m+p-1) = %d/%d = %.1f%%\n",
                   100 * sum / p, m, m + p - 1, 100.0 * m / (m + p - 1));
        }
    }
    if (rt_store_barrier(store, "done", -1)) {
        int brc = store_err(store, s.comm);
        if (!rc) rc = brc;  /* an output this rank failed to write stays the reason */
    }
    rt_comm_free(s.comm);
    if (tcp) tcp->close(tcp);
    rt_store_close(store);
    life_free(d);
    for (int k = 0; k < a.ninput; k++) free((char *)a.input_name[k]);
    return rc;
#undef s
}
