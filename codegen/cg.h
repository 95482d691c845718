/* cg.h - code generation: one stage program per rank from the IR and the plan.
 *
 * For stage s, codegen writes DIR/stage_<s>.c (one rt_cpu_run call per node, static shapes,
 * arena offsets, the ONNX node name beside each call: readable as a listing),
 * DIR/stage_<s>.weights (only the weights and constants this stage reads, each 64-aligned;
 * the program mmaps it), and builds DIR/rank_<s> with $CC against the runtime library.
 * DIR/rank is a small sh dispatcher (exec rank_$RANK) so the programs also run under
 * `torchrun --no-python DIR/rank`.
 *
 *   cg_opts o = {.outdir = "out", .chunks = 4};
 *   if (cg_generate(g, plan, &o, &diag)) ...   // diagnostics name the stage and node
 *
 * Memory plan: per stage one arena = boundary buffers (graph inputs/outputs, values received
 * and sent; nslots copies each so microbatch i+1 can be worked on while i is on the wire)
 * + temporaries placed by ir_mem_assign from their liveness + kernel scratch (the largest
 * rt_cpu_scratch of any node).
 */
#ifndef PIPPY_CG_H
#define PIPPY_CG_H

#include <stdio.h>
#include "ir.h"
#include "part.h"

typedef struct cg_opts {
    const char *outdir;
    const char *cc;           /* NULL: $CC, else "cc" */
    int chunks;               /* microbatches per batch (shapes in g are per microbatch) */
    int nslots;               /* 0: 2 */
    int threads;              /* default threads of the programs; 0: all cores */
    int jobs;                 /* parallel compiler processes; 0: cores */
    const int *split_dims;    /* per graph input (g->inputs order): batch dim, -1 replicated;
                                 NULL: 0 for inputs of rank >= 1 */
    const int *out_split_dims;/* per graph output (g->outputs order): the axis rank 0 joins
                                 its microbatches along, -1 one copy (the same for every
                                 microbatch); NULL: cg_generate follows the cut through the
                                 graph (ir_batch_analyze) and fails where it cannot */
    const char *model_name;
    int quiet;                /* no progress lines */
} cg_opts;

/* Per-stage memory plan, exposed for tests and for pippyc's summary. */
typedef struct cg_stage_mem {
    int64_t arena_bytes, io_bytes, temp_bytes, scratch_bytes, weight_bytes;
} cg_stage_mem;

/* Write and build every stage program into o->outdir. 0 or -1 with diagnostics in d. mem,
 * if not NULL, receives plan->nstages entries. */
int cg_generate(const ir_graph *g, const part_plan *p, const cg_opts *o, cg_stage_mem *mem,
                ir_diag *d);

#endif
