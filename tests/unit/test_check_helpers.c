/* test_check_helpers.c - the comparison helpers the kernel tests rely on must fail on a NaN
 * result: a NaN where a number is expected (or the reverse) is a mismatch, never a match. */
#include <fcntl.h>
#include <unistd.h>
#include "t.h"
#include "tk.h"

int main(void) {
    float e[3] = {1, 2, 3}, g[3] = {1, 2, 3};
    CHECK(near_f(e, g, 3, 1e-6), "equal arrays match");
    g[1] = NAN;
    CHECK(!near_f(e, g, 3, 1e-6), "a NaN result where 2 is expected is a mismatch");
    g[1] = 2;
    e[2] = NAN;
    CHECK(!near_f(e, g, 3, 1e-6), "a number where NaN is expected is a mismatch");
    g[2] = NAN;
    CHECK(near_f(e, g, 3, 1e-6), "NaN where NaN is expected matches");
    float ie[2] = {INFINITY, -INFINITY}, ig[2] = {INFINITY, INFINITY};
    CHECK(!near_f(ie, ig, 2, 1e9), "-inf against +inf is a mismatch at any tolerance");
    ig[1] = -INFINITY;
    CHECK(near_f(ie, ig, 2, 0), "equal infinities match");
    float h[1] = {1.5f}, hg[1] = {1.5f + 2e-6f};
    CHECK(!near_f(h, hg, 1, 1e-6), "1.5 vs 1.500002 is outside 1e-6");
    CHECK(near_f(h, hg, 1, 1e-5), "1.5 vs 1.500002 is within 1e-5");

    double m = 0;
    m = max_err(m, 0.5);
    m = max_err(m, NAN);
    m = max_err(m, 0.25);
    CHECK(isnan(m), "max_err keeps a NaN error (fmax would drop it): %g", m);

    /* CHECK_NEAR with a NaN must count as a failure (its line is silenced, the count undone). */
    int before = t_fail, saved = dup(1), null = open("/dev/null", O_WRONLY);
    fflush(stdout);
    if (saved >= 0 && null >= 0) dup2(null, 1);
    CHECK_NEAR(1.0, NAN, 1e-3, "CHECK_NEAR(1, NaN)");
    fflush(stdout);
    if (saved >= 0) dup2(saved, 1);
    int counted = t_fail - before;
    t_fail = before;
    CHECK_EQ_I(1, counted, "CHECK_NEAR(1, NaN) counted as one failure");
    T_DONE();
}
