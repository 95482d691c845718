/* rt_stage.h - what a generated stage program hands the runtime: a static description of
 * its stage (buffers, transfers, graph inputs and outputs, the weight shard) and the
 * function that computes one microbatch. The runtime does the rest: reads the environment
 * (RANK, WORLD_SIZE, MASTER_ADDR, ...), rendezvous, links to peer stages, the fill-drain
 * (GPipe) schedule over microbatches, and on rank 0 the driver (inputs in, outputs out).
 *
 *   static int run(rt_stage_ctx *c) { ... one rt_cpu_run per node ... }
 *   static const rt_stage_desc DESC = {.stage = 1, .nstages = 4, .run = run, ...};
 *   int main(int argc, char **argv) { return rt_stage_main(&DESC, argc, argv); }
 *
 * Order on the wire, per microbatch: rank 0 feeds graph inputs to the stages that read them
 * (in `feeds` order), each stage sends its boundary values in `send` order (receivers take
 * them in `recv` order: the same per link), and a stage other than 0 sends its graph outputs
 * to rank 0 in graph-output order. `inputs` and `outputs` are in graph order.
 *
 * Everything here is plain data with static storage: the runtime knows nothing of the
 * compiler, and a stage program needs nothing but this header, rt_cpu.h and the runtime
 * library. Shapes are per microbatch; the batch is `chunks` microbatches cut along each
 * input's split dim.
 *
 * Memory: one arena per program, `arena_bytes` long, allocated once at start; every offset
 * below is into it. Boundary buffers (recv, send, graph I/O) have `nslots` copies each
 * (slot k at offset + k * slot_stride) so that microbatch i+1 can be received or computed
 * while microbatch i is still on the wire; run() computes the microbatch whose buffers
 * are at slot c->slot. The steady state allocates nothing.
 */
#ifndef PIPPY_RT_STAGE_H
#define PIPPY_RT_STAGE_H

#include <stddef.h>
#include <stdint.h>
#include "rt_cpu.h"

/* A tensor that crosses a stage boundary or the program's edge. */
typedef struct rt_io {
    const char *name;        /* the graph value's name */
    int32_t dtype;           /* RT_F32, ... */
    int32_t rank;
    int64_t dims[RT_MAX_RANK]; /* per microbatch */
    int64_t bytes;           /* per microbatch */
    int64_t offset;          /* arena offset of slot 0 */
    int64_t slot_stride;     /* bytes between slots */
    int peer;                /* recv: the producer stage; send: the consumer stage;
                                graph input/output: -1 */
    int tag;                 /* transfer id, unique in the plan; same on both ends */
    int split_dim;           /* graph inputs/outputs: the microbatch dim (-1: replicated) */
    int graph_index;         /* graph inputs/outputs: position among the model's inputs or
                                outputs (input order for --input FILE, output_<i>.pb) */
} rt_io;

typedef struct rt_stage_ctx {
    uint8_t *arena;          /* arena_bytes, 64-aligned */
    const uint8_t *weights;  /* the mmapped shard; offsets from codegen */
    int slot;                /* which slot this microbatch uses */
    int microbatch;          /* index within the batch */
    rt_kctx k;               /* kernel context (scratch in the arena, threads) */
    char err[512];           /* run() failure: "node '/h.0/attn/MatMul' (MatMul): ..." */
} rt_stage_ctx;

typedef struct rt_stage_desc {
    int stage, nstages;      /* this program's stage; rank == stage */
    int chunks;              /* microbatches per batch, fixed at compile time */
    int nslots;              /* boundary buffer copies (>= 1; 2 for overlap) */
    int64_t arena_bytes;
    int64_t scratch_offset, scratch_bytes; /* kernel scratch inside the arena */
    const char *weights_file;/* shard file name, relative to the program's directory */
    int64_t weights_bytes;   /* expected size of the shard (checked at start) */
    int threads;             /* default kernel threads (--threads overrides) */
    const char *model_name;
    /* The whole model's graph inputs and outputs, in graph order, for rank 0's driver
     * (names, dtypes, per-microbatch shapes, split dims); offsets unused there. */
    int nmodel_inputs, nmodel_outputs;
    const rt_io *model_inputs, *model_outputs;
    /* This stage's edges. inputs: graph inputs it reads (fed by rank 0); outputs: graph
     * outputs it produces (gathered by rank 0); recv/send: boundary values. */
    int ninputs, noutputs, nrecv, nsend;
    const rt_io *inputs, *outputs, *recv, *send;
    /* Rank 0 only: which graph inputs every other stage reads (peer = that stage,
     * graph_index = the input), in the order those stages expect them. */
    int nfeeds;
    const rt_io *feeds;
    int (*run)(rt_stage_ctx *c);  /* one microbatch; 0 or -1 with c->err set */
} rt_stage_desc;

/* The whole program: parse ARGS (--input, --output-dir, --split-spec, --repeat, --threads,
 * --timeout), rendezvous, schedule, report. Returns the process exit status:
 *   0                  success
 *   1                  this rank failed on its own (bad input, a kernel error, a frame out
 *                      of step, out of memory, ...)
 *   2                  usage error
 *   RT_EXIT_PEER_LOST  (75, rt_comm.h) it stopped only because a peer went away: a link or
 *                      the store closed, reset or refused, or a peer stayed silent past
 *                      PIPPY_TIMEOUT (a heartbeat timeout belongs here too)
 * Every failure prints one line naming the rank (and the peer). A launcher that sees ranks
 * fail names the one killed by a signal or failed on its own, not those that exited 75. */
int rt_stage_main(const rt_stage_desc *d, int argc, char **argv);

/* For run(): record a kernel failure with the node's name and return -1. */
int rt_stage_fail(rt_stage_ctx *c, const char *node, const char *op);

#endif
