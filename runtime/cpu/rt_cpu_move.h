/* rt_cpu_move.h - internal to the move family (rt_cpu_move.c, rt_cpu_move2.c): shared helpers
 * and the ops that live in the second file. Nothing outside these two files includes it.
 *
 * Conventions inside the family: each op function takes (a, mode) like rtk_move itself;
 * MV_FAIL(...) sets k->err as "<Op>: message" and returns 0 (SUPPORTS) or -1 (SCRATCH, RUN).
 * In SUPPORTS mode data pointers may be NULL (compile time), so only dtypes, ranks, dims and
 * attributes are checked there; values (indices, starts, repeats, ...) are checked in RUN.
 */
#ifndef PIPPY_RT_CPU_MOVE_H
#define PIPPY_RT_CPU_MOVE_H

#include "rt_cpu_impl.h"

/* Internal rank bound: views built from RT_MAX_RANK-D tensors (Tile) may double the rank. */
#define RTK_MV_MAX_VIEW (2 * RT_MAX_RANK)

/* Writes "<Op>: message" into a->k->err; returns 0. */
int rtk_mv_err(rt_kargs *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define MV_FAIL(...) return (rtk_mv_err(a, __VA_ARGS__), (mode) == RTK_SUPPORTS ? 0 : -1)
#define MV_OK() return ((mode) == RTK_SUPPORTS ? 1 : 0)

const char *rtk_mv_opname(int op);

/* Tensor sanity: rank in [0, RT_MAX_RANK], dims >= 0, byte size fits in int64, and in RUN
 * mode data != NULL when it holds elements. need_fixed: dtype must have a fixed element size
 * (not string). Returns 1 if fine, else 0 with k->err set. numel (may be NULL) gets the count. */
int rtk_mv_tensor_ok(rt_kargs *a, int mode, const rt_tensor *t, const char *what, int need_fixed,
                     int64_t *numel);
/* Input i given (rank >= 0)? Unlike rtk_has this holds in SUPPORTS mode where data is NULL. */
static inline int rtk_mv_present(const rt_kargs *a, int i) {
    return i < a->nin && a->in[i].rank >= 0;
}
static inline int rtk_mv_is_index(int dt) { return dt == RT_I32 || dt == RT_I64; }
int rtk_mv_is_float(int dt);

/* Element i of an int32/int64 tensor as int64. */
int64_t rtk_mv_idx(const rt_tensor *t, int64_t i);
/* Element i of any numeric/bool dtype, converted. geti truncates floats (NaN and values
 * outside int64 give INT64_MIN). */
double rtk_mv_getf(int dt, const void *p, int64_t i);
int64_t rtk_mv_geti(int dt, const void *p, int64_t i);
/* Store v into element i, converted to dt (integers wrap as a C cast to the type would). */
void rtk_mv_setf(int dt, void *p, int64_t i, double v);
void rtk_mv_seti(int dt, void *p, int64_t i, int64_t v);

/* Row-major strides (in elements) of dims[0..r). */
void rtk_mv_strides(int r, const int64_t *dims, int64_t *st);
/* dst (contiguous, dims d[0..r)) = the view of src with element strides st (0 = broadcast,
 * negative allowed; src points at the view's first element). r <= RTK_MV_MAX_VIEW. */
void rtk_mv_strided(char *dst, const char *src, int r, const int64_t *d, const int64_t *st,
                    size_t es, int nthreads);
/* memcpy of n bytes, split over threads when large. */
void rtk_mv_copy(void *dst, const void *src, size_t n, int nthreads);
/* Fill n elements of size es at dst with the element at val. */
void rtk_mv_fill(void *dst, const void *val, int64_t n, size_t es, int nthreads);

/* Ops in rt_cpu_move2.c. */
int rtk_mv_resize(rt_kargs *a, int mode);
int rtk_mv_onehot(rt_kargs *a, int mode);
int rtk_mv_nonzero(rt_kargs *a, int mode);
int rtk_mv_shape(rt_kargs *a, int mode);
int rtk_mv_size(rt_kargs *a, int mode);
int rtk_mv_constant(rt_kargs *a, int mode);
int rtk_mv_constofshape(rt_kargs *a, int mode);
int rtk_mv_range(rt_kargs *a, int mode);
int rtk_mv_eyelike(rt_kargs *a, int mode);

#endif
