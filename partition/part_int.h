/* part_int.h - what partition/'s files share and nobody else needs. */
#ifndef PIPPY_PART_INT_H
#define PIPPY_PART_INT_H

#include <string.h>
#include "part.h"

/* What each node reads, as a CSR: node i reads val[start[i] .. start[i+1]), each value once,
 * in first-read order. Captured names of If subgraphs (IR_VAL_OUTER, resolved by name in g)
 * count as reads of the If node: that is what its stage must have. Both arrays malloc'd. */
typedef struct part_reads {
    int *start;
    int *val;
} part_reads;

int part_reads_build(const ir_graph *g, part_reads *r); /* 0, -1 on OOM */
void part_reads_free(part_reads *r);

/* Saturating add for non-negative byte and FLOP counts. */
static inline int64_t part_add_sat(int64_t a, int64_t b) {
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* Zeroed array of n elements of size sz through ir_xmalloc (so fault injection reaches us);
 * NULL on overflow or OOM. Free with free(). */
static inline void *part_calloc(size_t n, size_t sz) {
    if (sz && n > SIZE_MAX / sz) return NULL;
    size_t bytes = n * sz;
    void *p = ir_xmalloc(bytes);
    if (p && bytes) memset(p, 0, bytes);
    return p;
}

#endif
