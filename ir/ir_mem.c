/* ir_mem.c - liveness-based offset assignment (one arena, ggml-alloc's idea): blocks that
 * are never live at the same time may share bytes. */
#include <stdlib.h>
#include "ir.h"

static int by_size_desc(const void *a, const void *b) {
    const ir_mem_block *x = *(ir_mem_block *const *)a, *y = *(ir_mem_block *const *)b;
    if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
    return x->birth - y->birth;
}

static int by_offset(const void *a, const void *b) {
    const ir_mem_block *x = *(ir_mem_block *const *)a, *y = *(ir_mem_block *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int overlaps_time(const ir_mem_block *a, const ir_mem_block *b) {
    return a->birth <= b->death && b->birth <= a->death;
}

int64_t ir_mem_assign(ir_mem_block *b, int n, int64_t align) {
    if (n == 0) return 0;
    ir_mem_block **order = malloc((size_t)n * sizeof *order);
    ir_mem_block **placed = malloc((size_t)n * sizeof *placed);
    ir_mem_block **live = malloc((size_t)n * sizeof *live);
    if (!order || !placed || !live) {
        free(order);
        free(placed);
        free(live);
        return -1;
    }
    for (int i = 0; i < n; i++) order[i] = &b[i];
    qsort(order, (size_t)n, sizeof *order, by_size_desc);
    int np = 0;
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        ir_mem_block *x = order[i];
        int64_t need = x->bytes ? x->bytes : 1;
        if (need > INT64_MAX - align) { total = -1; break; }
        need = (need + align - 1) / align * align;
        /* The placed blocks live at the same time as x, by offset; take the lowest gap that
         * fits (first fit). */
        int k = 0;
        for (int j = 0; j < np; j++)
            if (overlaps_time(placed[j], x)) live[k++] = placed[j];
        qsort(live, (size_t)k, sizeof *live, by_offset);
        int64_t best = 0;
        for (int j = 0; j < k; j++) {
            if (live[j]->offset >= best + need) break; /* the gap before it fits */
            int64_t end = live[j]->offset + (live[j]->bytes + align - 1) / align * align;
            if (end > best) best = end;
        }
        x->offset = best;
        placed[np++] = x;
        if (best + need > total) total = best + need;
    }
    free(order);
    free(placed);
    free(live);
    return total;
}
