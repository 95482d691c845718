/* ir_rt.c - IR values and attributes in the kernel API's terms. */
#include <string.h>
#include "ir_rt.h"

_Static_assert((int)IR_OP_COUNT == (int)RT_OP_COUNT, "ORDER OP: ir and rt op enums differ");
_Static_assert(IR_MAX_RANK == RT_MAX_RANK, "ranks differ");

rt_tensor ir_tensor_rt(const ir_tensor *t) {
    rt_tensor r;
    memset(&r, 0, sizeof r);
    r.dtype = t->dtype;
    r.rank = t->rank;
    for (int i = 0; i < t->rank; i++) r.dims[i] = t->dims[i];
    r.data = t->data;
    return r;
}

rt_tensor ir_value_rt(const ir_value *v, void *data) {
    rt_tensor r;
    memset(&r, 0, sizeof r);
    r.dtype = v->dtype;
    r.rank = v->rank;
    for (int i = 0; i < v->rank && i < RT_MAX_RANK; i++) r.dims[i] = v->dims[i].v;
    r.data = data;
    return r;
}

int ir_node_rt_attrs(const ir_node *n, rt_attr *ra, rt_tensor *rt) {
    int na = 0;
    for (int k = 0; k < n->nattr; k++) {
        const ir_attr *a = &n->attrs[k];
        rt_attr *r = &ra[na];
        memset(r, 0, sizeof *r);
        r->name = a->name;
        switch (a->type) {
        case IR_ATTR_FLOAT: r->type = RT_ATTR_FLOAT; r->f = a->f; break;
        case IR_ATTR_INT: r->type = RT_ATTR_INT; r->i = a->i; break;
        case IR_ATTR_STRING: r->type = RT_ATTR_STRING; r->s = a->s; break;
        case IR_ATTR_TENSOR:
            if (!a->t) continue;
            rt[na] = ir_tensor_rt(a->t);
            r->type = RT_ATTR_TENSOR;
            r->t = &rt[na];
            break;
        case IR_ATTR_FLOATS: r->type = RT_ATTR_FLOATS; r->n = a->n; r->floats = a->floats; break;
        case IR_ATTR_INTS: r->type = RT_ATTR_INTS; r->n = a->n; r->ints = a->ints; break;
        case IR_ATTR_STRINGS: r->type = RT_ATTR_STRINGS; r->n = a->n; break;
        case IR_ATTR_GRAPH: continue;
        }
        na++;
    }
    return na;
}
