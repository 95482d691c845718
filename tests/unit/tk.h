/* tk.h - helpers shared by the kernel tests: run a kernel through supports + scratch + run,
 * compare arrays (printing the first difference). */
#ifndef PIPPY_TK_H
#define PIPPY_TK_H
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include "rt_cpu.h"

static rt_kctx K;

/* supports + run; returns 0 if both succeeded (K.err says why not). */
static inline int go(int op, const rt_attr *at, int na, rt_tensor *in, int nin, rt_tensor *out,
                     int nout) {
    K.nthreads = 2;
    if (!rt_cpu_supports(op, at, na, in, nin, out, nout, &K)) return 1;
    if (rt_cpu_scratch(op, at, na, in, nin, out, nout) != 0) return 2;
    return rt_cpu_run(op, at, na, in, nin, out, nout, &K) ? 3 : 0;
}

/* e[i] and g[i] match when both are NaN, equal (infinities too) or within tol; anything else,
 * NaN in one of them included, is a mismatch: the test is written as !(|e-g| <= tol). */
static inline int near1(double e, double g, double tol) {
    return (isnan(e) && isnan(g)) || e == g || fabs(e - g) <= tol;
}

static inline int near_f(const float *e, const float *g, int n, double tol) {
    for (int i = 0; i < n; i++) {
        if (!near1(e[i], g[i], tol)) {
            printf("    [%d] expected %.9g got %.9g\n", i, e[i], g[i]);
            return 0;
        }
    }
    return 1;
}

static inline int eq_i64(const int64_t *e, const int64_t *g, int n) {
    for (int i = 0; i < n; i++)
        if (e[i] != g[i]) {
            printf("    [%d] expected %lld got %lld\n", i, (long long)e[i], (long long)g[i]);
            return 0;
        }
    return 1;
}

/* The largest of two errors, NaN winning (fmax drops a NaN, which would hide it). */
static inline double max_err(double m, double d) { return isnan(m) || d <= m ? m : d; }

#endif
