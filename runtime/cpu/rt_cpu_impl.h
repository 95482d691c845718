/* rt_cpu_impl.h - internal to runtime/cpu: the kernel families behind rt_cpu.c's dispatch.
 *
 * rt_cpu.c maps every op to one family with an exhaustive switch. A family is one function
 * answering three questions by mode: can you run this (RTK_SUPPORTS), how much scratch
 * (RTK_SCRATCH, result in a->scratch_need), and run it (RTK_RUN). It returns 1/0 for
 * SUPPORTS (0 with rtk_fail's message), 0/-1 for SCRATCH and RUN.
 */
#ifndef PIPPY_RT_CPU_IMPL_H
#define PIPPY_RT_CPU_IMPL_H

#include "rt_cpu.h"

enum { RTK_SUPPORTS, RTK_SCRATCH, RTK_RUN };

typedef struct rt_kargs {
    int op;
    const rt_attr *a;
    int na;
    const rt_tensor *in;
    int nin;
    rt_tensor *out;
    int nout;
    rt_kctx *k;
    size_t scratch_need;  /* RTK_SCRATCH writes it */
} rt_kargs;

/* Set k->err; returns 0 in SUPPORTS mode's sense and -1 for RUN: use as
 * `return rtk_fail(a, mode, "...")` (yields 0 when a mode is SUPPORTS, -1 otherwise). */
int rtk_fail(rt_kargs *a, int mode, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* For checks that answer 1 (fine) or 0 (failed, k->err set) in every mode:
 * `return RTK_FAIL0(a, mode, "...")`; an op function turns that 0 into its mode's failure
 * value with RTK_FAILV(mode). */
#define RTK_FAIL0(...) (rtk_fail(__VA_ARGS__), 0)
#define RTK_FAILV(mode) ((mode) == RTK_SUPPORTS ? 0 : -1)
/* Input i present (not an omitted optional input, which has rank -1)? A present input may
 * still have data == NULL outside RUN: codegen asks SUPPORTS and SCRATCH with NULL data for
 * inputs known only at run time. SUPPORTS and SCRATCH then check what they can without the
 * values (dtypes, ranks, dims) and leave the rest to RUN, which checks everything. */
static inline int rtk_has(const rt_kargs *a, int i) {
    return i < a->nin && a->in[i].rank >= 0;
}
/* Normalize a possibly negative axis against rank; -1 if out of range. */
static inline int rtk_axis(int64_t axis, int rank) {
    if (axis < 0) axis += rank;
    return (axis < 0 || axis >= rank) ? -1 : (int)axis;
}

/* Families (one file each). */
int rtk_unary(rt_kargs *a, int mode);     /* rt_cpu_unary.c: OPF_UNARY ops, Cast, Clip, ... */
int rtk_binary(rt_kargs *a, int mode);    /* rt_cpu_binary.c: broadcasting ops, Where */
int rtk_reduce(rt_kargs *a, int mode);    /* rt_cpu_reduce.c: Reduce*, Arg*, TopK, CumSum, Softmax family */
int rtk_linalg(rt_kargs *a, int mode);    /* rt_cpu_linalg.c: MatMul, Gemm, Einsum, Conv*, pools */
int rtk_norm(rt_kargs *a, int mode);      /* rt_cpu_norm.c: *Normalization */
int rtk_move(rt_kargs *a, int mode);      /* rt_cpu_move.c: shape/data movement, constants */

#endif
