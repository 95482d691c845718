/* cg_int.h - internal to codegen/: a stage's value classes and placements. */
#ifndef PIPPY_CG_INT_H
#define PIPPY_CG_INT_H

#include "cg.h"

enum {
    CG_NONE,      /* not touched by this stage */
    CG_WEIGHT,    /* weight or constant read here: in the shard at woff */
    CG_INPUT,     /* graph input read here: io buffer (fed by rank 0) */
    CG_RECV,      /* produced by an earlier stage: io buffer */
    CG_TEMP,      /* produced and consumed here only: arena by liveness */
    CG_IO_OUT,    /* produced here and sent and/or a graph output: io buffer */
    CG_CONST_OUT, /* a graph output that is a constant: shard at woff, copied to its io buffer */
    CG_PASS_OUT,  /* a graph output that is a graph input: copied from the input's buffer */
};

typedef struct cg_stage {
    int stage;
    unsigned char *cls;   /* per value */
    int64_t *off;         /* arena offset (slot 0 for io buffers) */
    int64_t *stride;      /* io buffers: slot stride; 0 otherwise */
    int64_t *woff;        /* shard offset, -1 if none */
    unsigned char *prep;  /* per node: computed at compile time into the shard (all its
                             inputs are weights, e.g. a tied head's Transpose(W) too big
                             for the constant folder's in-memory limit) */
    int64_t io_bytes, temp_bytes, scratch_bytes, scratch_off, arena_bytes, weight_bytes;
} cg_stage;

int cg_stage_plan(const ir_graph *g, const part_plan *p, int s, int nslots, cg_stage *st,
                  ir_diag *d);
void cg_stage_free(cg_stage *st);
int cg_stage_write_shard(const ir_graph *g, const part_plan *p, const cg_stage *st,
                         const char *path, ir_diag *d);
int cg_stage_emit(const ir_graph *g, const part_plan *p, const cg_stage *st, const cg_opts *o,
                  FILE *f, const char *shard_name, ir_diag *d);
/* 0 if the CPU kernels take node n (the backend's "supports_op"), else -1 with a
 * diagnostic naming the node; *scratch gets the kernel's scratch need. */
int cg_check_node(const ir_graph *g, const ir_node *n, int64_t *scratch, ir_diag *d);

#endif
