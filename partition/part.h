/* part.h - cost model, split policies and the stage plan.
 *
 * partition/ reads the IR (after passes: shapes known, nodes in topological order) and
 * writes a plan: plain data saying which stage each node runs in and which values cross
 * each cut. codegen/ reads IR + plan; the DOT and YAML writers here only read them.
 *
 *   part_costs c;  part_costs_compute(g, &c);
 *   part_opts o = {.policy = PART_EQUAL_SIZE, .nstages = 4};
 *   part_plan *p = part_plan_build(g, &c, &o, &diag);   // NULL + diagnostics on error
 *   part_plan_write_yaml(p, g, "out/pipeline.yaml", &diag);
 *   part_plan_write_dot(p, g, "out/graph.dot", NULL, &diag);
 *   part_plan_free(p); part_costs_free(&c);
 *
 * Stages are contiguous ranges of the topological order (PiPPy's split points). A value
 * produced in stage s and read in stage t > s is a boundary value sent from s to t, skipping
 * the stages between (it is not relayed); each (value, consumer stage) pair is one transfer.
 */
#ifndef PIPPY_PART_H
#define PIPPY_PART_H

#include <stdint.h>
#include "ir.h"

/* ---- costs, per node ---- */
/* "Parameters" are the values a rank must hold before it runs anything: initializers
 * (IR_VAL_WEIGHT) and node-less constants (IR_VAL_CONST with no producer; folding turns
 * Transpose(W) into one). Their size is the tensor's nbytes, so it follows the dtype. */
typedef struct part_costs {
    int nnodes;
    int64_t *param_bytes;   /* weights this node is the first (topological) reader of */
    int64_t *flops;         /* multiply-adds count 2; -1 unknown counted as 0 in totals */
    int64_t *out_bytes;     /* bytes of the node's outputs (unknown shapes: 0) */
    int64_t total_param_bytes;
    int64_t total_flops;
} part_costs;

/* Fills c (malloc'd arrays; free with part_costs_free). A weight read by several nodes is
 * counted once, at its first reader in topological order. Returns 0, -1 on OOM. */
int part_costs_compute(const ir_graph *g, part_costs *c);
void part_costs_free(part_costs *c);
/* 1 if value v is a parameter (see above); its bytes (0 if unknown). */
int part_value_is_param(const ir_graph *g, int v);
int64_t part_value_bytes(const ir_graph *g, int v); /* known shape: numel*size; else 0 */

/* ---- policies ---- */
typedef enum part_policy {
    PART_EQUAL_SIZE,        /* exactly N stages, minimal max parameter bytes (exact) */
    PART_THRESHOLD,         /* a new stage when accumulated param bytes would pass T */
    PART_POLICY_COUNT
} part_policy;

const char *part_policy_name(part_policy p);
int part_policy_lookup(const char *name); /* -1 if unknown */

typedef struct part_opts {
    part_policy policy;
    int nstages;            /* EQUAL_SIZE: required; THRESHOLD: 0 = take the result, else must match */
    int64_t threshold;      /* THRESHOLD: bytes */
} part_opts;

/* ---- the plan ---- */
typedef struct part_xfer {
    int value;              /* value index */
    int from, to;           /* producer stage -> consumer stage */
    int64_t bytes;          /* 0 when the shape is not fully known */
} part_xfer;

typedef struct part_stage {
    int first, last;        /* node range [first, last) in topological order */
    int64_t param_bytes;
    int64_t flops;
    int nin, nout;          /* indices into plan->xfers */
    int *in;                /* transfers this stage receives */
    int *out;               /* transfers this stage sends */
    int ninputs;            /* graph inputs read here (value indices) */
    int *inputs;
    int noutputs;           /* graph outputs produced here (value indices) */
    int *outputs;
    int nweights;           /* parameters this stage's nodes read (value indices, first-read
                             * order); a weight read in two stages is listed in both */
    int *weights;
} part_stage;

typedef struct part_plan {
    part_policy policy;
    int nstages;
    part_stage *stages;
    int *node_stage;        /* per node */
    int nxfers;
    part_xfer *xfers;       /* ordered by (from, to, value) */
    int64_t max_param_bytes, total_param_bytes;
    double balance;         /* max / mean param bytes */
} part_plan;

/* Build a plan; the returned plan is owned by the caller, free with part_plan_free.
 * NULL on error with a diagnostic in d (too many ranks for the graph, threshold rank
 * mismatch saying how many ranks the plan needs, ...). */
part_plan *part_plan_build(const ir_graph *g, const part_costs *c, const part_opts *o,
                           ir_diag *d);
void part_plan_free(part_plan *p);

/* The sequence a split policy sees: n nodes in order, the parameters each reads (by index
 * into wbytes; a parameter may be read by several nodes) and the bytes crossing each cut.
 * A stage [a, b) costs the bytes of the DISTINCT parameters its nodes read, so a tied
 * weight read in two stages counts in both (both ranks hold it). */
typedef struct part_seq {
    int n;                  /* nodes */
    int nw;                 /* parameters */
    const int64_t *wbytes;  /* [nw] */
    const int *wstart;      /* [n+1]: node i reads wid[wstart[i] .. wstart[i+1]) */
    const int *wid;         /* distinct within one node */
    const int64_t *cut_bytes; /* [n+1] or NULL: bytes sent across a cut before node c
                             * (values made before c and read at or after c) */
} part_seq;

/* Split points only, for tests and other policies: fills cuts[0..k-1] with the first node
 * of each stage (cuts[0] = 0). Return the number of stages or -1 with a diagnostic.
 * equal_size: exactly k stages minimizing the largest stage cost (exact); among those the
 * least total cut_bytes; among those the earliest stages as long as possible. */
int part_split_equal_size(const part_seq *s, int k, int *cuts, ir_diag *d);
/* threshold (PiPPy's split_on_size_threshold): walk in order, cut before a node that would
 * push the current stage past threshold; a node bigger than threshold ends up alone (with the
 * parameter-free nodes just before it). cuts has room for maxcuts stages. */
int part_split_threshold(const part_seq *s, int64_t threshold, int *cuts, int maxcuts,
                         ir_diag *d);

/* Parse "490MB", "1.5GB", "4096", "64KiB"; -1 if malformed. KB = 1000, KiB = 1024 (as
 * PiPPy's size strings). */
int64_t part_parse_size(const char *s);
/* Exact size text for messages: "1MB", "64KiB", "1500 bytes". */
const char *part_size_str(int64_t bytes, char *buf, size_t len);
/* Rounded size text for people: "12.3 MB". */
const char *part_size_human(int64_t bytes, char *buf, size_t len);

/* ---- writers ---- */
/* pipeline.yaml through libyaml. Returns 0, -1 with a diagnostic. */
int part_plan_write_yaml(const part_plan *p, const ir_graph *g, const part_costs *c,
                         const char *path, ir_diag *d);
/* DOT through Graphviz cgraph: one cluster per stage. collapse: NULL or a list of name
 * prefixes (e.g. "/blocks.3/") whose nodes are drawn as one box each. */
int part_plan_write_dot(const part_plan *p, const ir_graph *g, const char *path,
                        const char *const *collapse, int ncollapse, ir_diag *d);

#endif
