/* t.h - the unit tests' few macros. Each check prints what it checked; a failed check
 * prints expected and actual and makes the test exit 1 at T_DONE(). */
#ifndef PIPPY_T_H
#define PIPPY_T_H
#include <stdio.h>
#include <string.h>
#include <math.h>

static int t_fail, t_pass;

#define CHECK(cond, ...) do { \
    if (cond) { t_pass++; printf("ok   "); printf(__VA_ARGS__); printf("\n"); } \
    else { t_fail++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); \
           printf("  [%s]\n", #cond); } } while (0)

#define CHECK_EQ_I(exp, act, what) do { long long e_ = (long long)(exp), a_ = (long long)(act); \
    CHECK(e_ == a_, "%s: expected %lld, got %lld", what, e_, a_); } while (0)

#define CHECK_EQ_S(exp, act, what) do { const char *e_ = (exp), *a_ = (act); \
    CHECK(a_ && strcmp(e_, a_) == 0, "%s: expected \"%s\", got \"%s\"", what, e_, a_ ? a_ : "(null)"); } while (0)

#define CHECK_CONTAINS(hay, needle, what) do { const char *h_ = (hay), *n_ = (needle); \
    CHECK(h_ && strstr(h_, n_), "%s: \"%s\" contains \"%s\"", what, h_ ? h_ : "(null)", n_); } while (0)

#define CHECK_NEAR(exp, act, tol, what) do { double e_ = (exp), a_ = (act); \
    CHECK(fabs(e_ - a_) <= (tol), "%s: expected %g, got %g", what, e_, a_); } while (0)

#define T_DONE() do { printf("%d passed, %d failed\n", t_pass, t_fail); return t_fail ? 1 : 0; } while (0)

#endif
