/* ir_rt.h - the bridge from IR nodes to the CPU kernel API (runtime/cpu/rt_cpu.h), for the
 * two places that call kernels on IR data: the constant folder and codegen's scratch sizing.
 *
 *   rt_attr ra[n->nattr]; rt_tensor rt[n->nattr];
 *   int na = ir_node_rt_attrs(n, ra, rt);
 *   rt_tensor t = ir_value_rt(&g->vals[v], data);
 */
#ifndef PIPPY_IR_RT_H
#define PIPPY_IR_RT_H

#include "ir.h"
#include "rt_cpu.h"

/* Node attributes as kernel attributes (subgraphs are skipped). ra and rt need n->nattr
 * entries; strings and arrays are borrowed from the node. Returns the count used. */
int ir_node_rt_attrs(const ir_node *n, rt_attr *ra, rt_tensor *rt);
/* A value as a kernel tensor over data (which may be NULL for sizing). rank -1 if unknown. */
rt_tensor ir_value_rt(const ir_value *v, void *data);
rt_tensor ir_tensor_rt(const ir_tensor *t);

#endif
