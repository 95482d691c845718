/* ir_pass_impl.h - internal to ir/ir_pass.c and ir/ir_fold.c: helpers the passes share.
 * Nothing outside these two files includes it. */
#ifndef PIPPY_IR_PASS_IMPL_H
#define PIPPY_IR_PASS_IMPL_H

#include "ir.h"

/* Default for ir_pass_opts.fold_limit: the largest constant folding may create. */
#define IR_FOLD_LIMIT_DEFAULT ((int64_t)1 << 20)

/* fn(g, v, ctx) for every value of g and of every subgraph below g's nodes, recursively. */
void ir_pass_each_value(ir_graph *g, void (*fn)(ir_graph *, int, void *), void *ctx);
/* mark[v] = 1 for each value of g captured by name (IR_VAL_OUTER) in a subgraph of a live
 * node of g, at any depth. mark has g->nvals entries. */
void ir_pass_mark_captures(const ir_graph *g, char *mark);
/* Remove pass-through Identity / inference Dropout nodes (rewiring their readers); returns
 * how many went. Outputs that are graph outputs or captured by subgraphs are kept. */
int ir_pass_remove_identity(ir_graph *g);

#endif
