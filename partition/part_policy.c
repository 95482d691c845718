/* part_policy.c - where to cut: the split policies, side by side, and size strings.
 *
 * Both policies cut the topological order into contiguous stages and see only a part_seq:
 * the parameters each node reads and the bytes crossing each possible cut. A stage's cost is
 * the bytes of the distinct parameters its nodes read (a tied weight counts in every stage
 * that reads it, since every such rank holds a copy).
 *
 * equal_size is exact, unlike PiPPy's greedy walk (which takes total/N as a threshold and
 * leaves the remainder to the last stage: 12 equal layers into 7 stages come out
 * 1,1,1,1,1,1,6 there, 2,2,2,2,2,1,1 here). The stage cost only grows when a range grows, so:
 *   1. binary search the smallest bound B for which a greedy walk needs <= k stages;
 *   2. among the splits into exactly k stages whose every stage costs <= B, a DP picks the
 *      least total bytes across cuts; ties go to the split whose earlier stages are longest.
 * For a start s the ends e with cost(s, e) <= B are an interval (s, hi(s)], and hi grows
 * with s, so each DP layer is a sliding-window minimum: O(k * n) after O(n log B) for B.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "part_int.h"

static const char *const policy_names[PART_POLICY_COUNT] = {
    [PART_EQUAL_SIZE] = "equal_size",
    [PART_THRESHOLD] = "threshold",
};
_Static_assert(sizeof policy_names / sizeof policy_names[0] == PART_POLICY_COUNT, "ORDER POLICY");

const char *part_policy_name(part_policy p) {
    return p >= 0 && p < PART_POLICY_COUNT ? policy_names[p] : "?";
}

int part_policy_lookup(const char *name) {
    for (int i = 0; i < PART_POLICY_COUNT; i++)
        if (name && strcmp(policy_names[i], name) == 0) return i;
    return -1;
}

/* ---- sizes ---- */
static const struct { const char *suffix; int64_t mult; } size_units[] = {
    {"", 1}, {"b", 1},
    {"kb", 1000}, {"mb", 1000000}, {"gb", 1000000000}, {"tb", 1000000000000},
    {"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", (int64_t)1 << 40},
};

int64_t part_parse_size(const char *s) {
    if (!s) return -1;
    while (*s == ' ') s++;
    if (!isdigit((unsigned char)*s) && !(*s == '.' && isdigit((unsigned char)s[1]))) return -1;
    /* integer and fraction kept as integers, so "1.5GB" is exactly 1500000000 */
    int64_t whole = 0, frac = 0, scale = 1;
    for (; isdigit((unsigned char)*s); s++) {
        if (whole > (INT64_MAX - 9) / 10) return -1;
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s)) return -1;
        for (int nd = 0; isdigit((unsigned char)*s); s++, nd++) {
            if (nd >= 9) continue; /* nine digits are plenty; the rest only rounds down */
            frac = frac * 10 + (*s - '0');
            scale *= 10;
        }
    }
    while (*s == ' ') s++;
    char suf[8];
    size_t n = 0;
    for (; *s && *s != ' '; s++) {
        if (n + 1 >= sizeof suf) return -1;
        suf[n++] = (char)tolower((unsigned char)*s);
    }
    suf[n] = 0;
    while (*s == ' ') s++;
    if (*s) return -1;
    for (size_t i = 0; i < sizeof size_units / sizeof size_units[0]; i++) {
        if (strcmp(suf, size_units[i].suffix)) continue;
        int64_t m = size_units[i].mult;
        int64_t w = ir_mul_checked(whole, m);
        if (w < 0) return -1;
        /* frac/scale * m rounded down, as frac*(m/scale) + frac*(m%scale)/scale: with
         * frac < scale <= 1e9 neither product overflows */
        int64_t f = frac * (m / scale) + frac * (m % scale) / scale;
        if (w > INT64_MAX - f) return -1;
        return w + f;
    }
    return -1;
}

const char *part_size_str(int64_t b, char *buf, size_t len) {
    static const struct { const char *name; int64_t mult; } u[] = {
        {"TB", 1000000000000}, {"TiB", (int64_t)1 << 40}, {"GB", 1000000000},
        {"GiB", 1 << 30}, {"MB", 1000000}, {"MiB", 1 << 20}, {"KB", 1000}, {"KiB", 1 << 10},
    };
    for (size_t i = 0; b > 0 && i < sizeof u / sizeof u[0]; i++)
        if (b % u[i].mult == 0) {
            snprintf(buf, len, "%lld%s", (long long)(b / u[i].mult), u[i].name);
            return buf;
        }
    snprintf(buf, len, "%lld bytes", (long long)b);
    return buf;
}

const char *part_size_human(int64_t b, char *buf, size_t len) {
    static const char *const u[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    double x = (double)b;
    int i = 0;
    while (x >= 1000 && i < 5) { x /= 1000; i++; }
    if (i == 0) snprintf(buf, len, "%lld B", (long long)b);
    else snprintf(buf, len, "%.*f %s", x < 10 ? 2 : x < 100 ? 1 : 0, x, u[i]);
    return buf;
}

/* ---- stage costs over a sequence ---- */
/* A window [a, b) of the sequence with a count per parameter, so that nodes can join at the
 * right and leave at the left while the distinct-bytes cost stays exact. */
typedef struct window {
    const part_seq *s;
    int *cnt;
    int64_t cost;
} window;

/* Cost node i would add to the window. */
static int64_t win_added(const window *w, int i) {
    int64_t add = 0;
    for (int k = w->s->wstart[i]; k < w->s->wstart[i + 1]; k++)
        if (w->cnt[w->s->wid[k]] == 0) add = part_add_sat(add, w->s->wbytes[w->s->wid[k]]);
    return add;
}

static void win_push(window *w, int i) {
    w->cost = part_add_sat(w->cost, win_added(w, i));
    for (int k = w->s->wstart[i]; k < w->s->wstart[i + 1]; k++) w->cnt[w->s->wid[k]]++;
}

static void win_pop(window *w, int i) {
    for (int k = w->s->wstart[i]; k < w->s->wstart[i + 1]; k++)
        if (--w->cnt[w->s->wid[k]] == 0) w->cost -= w->s->wbytes[w->s->wid[k]];
}

/* Stages a greedy walk needs when no stage may cost more than bound (every single node must
 * fit, which the caller guarantees). Leaves cnt all zero. */
static int greedy_count(window *w, int64_t bound) {
    int stages = 1, a = 0;
    for (int i = 0; i < w->s->n; i++) {
        if (w->cost + win_added(w, i) > bound && i > a) {
            for (int j = a; j < i; j++) win_pop(w, j);
            a = i;
            stages++;
        }
        win_push(w, i);
    }
    for (int j = a; j < w->s->n; j++) win_pop(w, j);
    return stages;
}

static int seq_check(const part_seq *s, ir_diag *d) {
    for (int i = 0; i < s->n; i++)
        for (int k = s->wstart[i]; k < s->wstart[i + 1]; k++)
            if (s->wid[k] < 0 || s->wid[k] >= s->nw || s->wbytes[s->wid[k]] < 0) {
                ir_diag_error(d, "partition: node %d reads parameter %d of %d", i, s->wid[k], s->nw);
                return -1;
            }
    return 0;
}

#define INF INT64_MAX

int part_split_equal_size(const part_seq *s, int k, int *cuts, ir_diag *d) {
    int n = s->n;
    if (k < 1) {
        ir_diag_error(d, "equal_size needs at least 1 stage, got %d", k);
        return -1;
    }
    if (k > n) {
        ir_diag_error(d, "cannot split %d nodes into %d stages: each stage needs at least one "
                      "node; use at most %d ranks", n, k, n);
        return -1;
    }
    if (seq_check(s, d)) return -1;
    size_t cells = (size_t)k * ((size_t)n + 1);
    if ((size_t)k > SIZE_MAX / sizeof(int64_t) / ((size_t)n + 1)) {
        ir_diag_error(d, "equal_size: %d nodes x %d stages is too large to plan", n, k);
        return -1;
    }
    window w = {s, part_calloc((size_t)s->nw + 1, sizeof(int)), 0};
    int *hi = part_calloc((size_t)n + 1, sizeof *hi);
    int *dq = part_calloc((size_t)n + 1, sizeof *dq);
    int64_t *f = part_calloc(cells, sizeof *f);
    int rc = -1;
    if (!w.cnt || !hi || !dq || !f) {
        d->oom = 1;
        ir_diag_error(d, "equal_size: out of memory (%d nodes, %d stages)", n, k);
        goto out;
    }

    /* 1. the smallest feasible bound, between the largest node and the whole sequence */
    int64_t lo = 0, top = 0;
    for (int i = 0; i < n; i++) { /* a node alone (its reads are distinct) */
        int64_t c = 0;
        for (int q = s->wstart[i]; q < s->wstart[i + 1]; q++) c = part_add_sat(c, s->wbytes[s->wid[q]]);
        if (c > lo) lo = c;
        win_push(&w, i);
    }
    top = w.cost;
    for (int i = 0; i < n; i++) win_pop(&w, i);
    while (lo < top) {
        int64_t mid = lo + (top - lo) / 2;
        if (greedy_count(&w, mid) <= k) top = mid;
        else lo = mid + 1;
    }
    int64_t bound = lo;

    /* 2. hi[a]: the last end b with cost([a, b)) <= bound (two pointers; the window is
     * [a, b), and a lone node always fits since bound >= the largest node) */
    int b = 0;
    for (int a = 0; a < n; a++) {
        while (b < n && (b == a || w.cost + win_added(&w, b) <= bound)) win_push(&w, b++);
        hi[a] = b;
        win_pop(&w, a);
    }

    /* 3. f[j][a]: least cut bytes to split [a, n) into stages j..k-1 (INF: impossible).
     * f[j][a] = min over e in (a, hi[a]] of cut(e) + f[j+1][e]; f[k-1][a] = 0 iff hi[a] = n. */
#define F(j, a) f[(size_t)(j) * ((size_t)n + 1) + (size_t)(a)]
#define CUT(e) ((e) < n && s->cut_bytes ? s->cut_bytes[e] : 0)
    for (int a = 0; a <= n; a++) F(k - 1, a) = a < n && hi[a] == n ? 0 : INF;
    for (int j = k - 2; j >= 0; j--) {
        /* a goes down; the window (a, hi[a]] slides left; dq holds ends by rising value */
        int qh = 0, qt = 0;
        F(j, n) = INF;
        for (int a = n - 1; a >= 0; a--) {
            int e = a + 1; /* the new smallest end */
            int64_t v = F(j + 1, e) == INF ? INF : part_add_sat(CUT(e), F(j + 1, e));
            while (qt > qh) {
                int t = dq[qt - 1];
                int64_t tv = F(j + 1, t) == INF ? INF : part_add_sat(CUT(t), F(j + 1, t));
                if (tv < v) break;
                qt--;
            }
            dq[qt++] = e;
            while (qt > qh && dq[qh] > hi[a]) qh++;
            if (qt == qh) { F(j, a) = INF; continue; }
            int t = dq[qh];
            F(j, a) = F(j + 1, t) == INF ? INF : part_add_sat(CUT(t), F(j + 1, t));
        }
    }
    if (F(0, 0) == INF) { /* the bound was feasible with k stages, so this is a bug */
        ir_diag_error(d, "equal_size: internal error: no split of %d nodes into %d stages "
                      "within %lld bytes", n, k, (long long)bound);
        goto out;
    }
    /* 4. walk forward taking, at each stage, the longest stage that keeps the optimum */
    cuts[0] = 0;
    int a = 0;
    for (int j = 0; j + 1 < k; j++) {
        int e = hi[a];
        for (; e > a; e--)
            if (F(j + 1, e) != INF && part_add_sat(CUT(e), F(j + 1, e)) == F(j, a)) break;
        cuts[j + 1] = e;
        a = e;
    }
#undef F
#undef CUT
    rc = k;
out:
    free(w.cnt);
    free(hi);
    free(dq);
    free(f);
    return rc;
}

int part_split_threshold(const part_seq *s, int64_t threshold, int *cuts, int maxcuts,
                         ir_diag *d) {
    if (threshold < 0) {
        ir_diag_error(d, "threshold must not be negative (got %lld)", (long long)threshold);
        return -1;
    }
    if (s->n < 1) {
        ir_diag_error(d, "cannot split 0 nodes into stages: the graph is empty");
        return -1;
    }
    if (seq_check(s, d)) return -1;
    window w = {s, part_calloc((size_t)s->nw + 1, sizeof(int)), 0};
    if (!w.cnt) {
        d->oom = 1;
        ir_diag_error(d, "threshold: out of memory");
        return -1;
    }
    int nst = 1, a = 0;
    if (maxcuts > 0) cuts[0] = 0;
    for (int i = 0; i < s->n; i++) {
        /* Cut before a node that would push a stage holding parameters past the threshold.
         * A stage that took one node bigger than the threshold is past it already, so the
         * next node, even a parameter-free one, starts a new stage (as in PiPPy). */
        if (w.cost > 0 && w.cost + win_added(&w, i) > threshold) {
            for (int j = a; j < i; j++) win_pop(&w, j);
            a = i;
            if (nst < maxcuts) cuts[nst] = i;
            nst++;
        }
        win_push(&w, i);
    }
    free(w.cnt);
    return nst;
}
