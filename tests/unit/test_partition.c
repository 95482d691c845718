/* test_partition.c - costs, split policies, the plan, and the YAML and DOT writers, on
 * hand-built graphs whose right answers were worked out by hand (or, for the exact
 * equal_size split, by brute force over every split of small random sequences).
 *
 * PART_TEST_OUT=DIR keeps the written pipeline.yaml / graph.dot files there (the DOT script
 * test feeds them to `dot -Tsvg`); without it they go to a temporary directory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>
#include "ir.h"
#include "part.h"
#include "t.h"

/* ---- building graphs ---- */
static int weight(ir_graph *g, const char *name, int dtype, int rank, const int64_t *dims) {
    int v = ir_value_add(g, name, dtype, rank, dims);
    ir_tensor t = {.dtype = dtype, .rank = rank};
    int64_t n = 1;
    for (int i = 0; i < rank; i++) t.dims[i] = dims[i], n *= dims[i];
    t.nbytes = (size_t)n * ir_dtype_size(dtype);
    void *buf = calloc(1, t.nbytes + 1);
    t.data = buf;
    g->vals[v].kind = IR_VAL_WEIGHT;
    ir_value_set_const(g, v, &t, 1);
    free(buf);
    return v;
}

static int act(ir_graph *g, const char *name, int rank, const int64_t *dims) {
    return ir_value_add(g, name, IR_DT_FLOAT, rank, dims);
}

static int node1(ir_graph *g, ir_op op, const char *name, int nin, const int *in, int out) {
    return ir_node_add(g, op, name, nin, in, 1, &out);
}

/* x[1,8] -> L layers of MatMul(h, W_i[8,8]) -> output. */
static ir_graph *chain(int layers) {
    ir_graph *g = ir_graph_new();
    int h = act(g, "x", 2, (int64_t[]){1, 8});
    ir_graph_add_input(g, h);
    for (int i = 0; i < layers; i++) {
        char wn[32], hn[32], nn[32];
        snprintf(wn, sizeof wn, "W%d", i);
        snprintf(hn, sizeof hn, "h%d", i);
        snprintf(nn, sizeof nn, "L%d", i);
        int w = weight(g, wn, IR_DT_FLOAT, 2, (int64_t[]){8, 8});
        int o = act(g, hn, 2, (int64_t[]){1, 8});
        node1(g, IR_OP_MATMUL, nn, 2, (int[]){h, w}, o);
        h = o;
    }
    ir_graph_add_output(g, h);
    return g;
}

static part_plan *plan(ir_graph *g, part_policy pol, int k, int64_t thr, ir_diag *d) {
    part_costs c;
    if (part_costs_compute(g, &c)) return NULL;
    part_opts o = {.policy = pol, .nstages = k, .threshold = thr};
    part_plan *p = part_plan_build(g, &c, &o, d);
    part_costs_free(&c);
    return p;
}

/* "2,2,1" */
static const char *sizes(const part_plan *p, char *buf, size_t len) {
    size_t o = 0;
    buf[0] = 0;
    for (int s = 0; p && s < p->nstages && o < len; s++)
        o += (size_t)snprintf(buf + o, len - o, "%s%d", s ? "," : "", p->stages[s].last - p->stages[s].first);
    return buf;
}

static const char *first_msg(const ir_diag *d) { return d->nmsg ? d->msgs[0] : ""; }

/* ---- (a) equal layers ---- */
static void test_equal_layers(void) {
    ir_graph *g = chain(12);
    char b[128];
    static const struct { int k; const char *want; } cases[] = {
        {7, "2,2,2,2,2,1,1"}, {4, "3,3,3,3"}, {12, "1,1,1,1,1,1,1,1,1,1,1,1"}, {1, "12"},
        {5, "3,3,3,2,1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ir_diag d = {0};
        part_plan *p = plan(g, PART_EQUAL_SIZE, cases[i].k, 0, &d);
        char what[64];
        snprintf(what, sizeof what, "12 equal layers into %d stages", cases[i].k);
        CHECK_EQ_S(cases[i].want, sizes(p, b, sizeof b), what);
        part_plan_free(p);
        ir_diag_free(&d);
    }
    ir_diag d = {0};
    part_plan *p = plan(g, PART_EQUAL_SIZE, 7, 0, &d);
    CHECK_EQ_I(512, p->max_param_bytes, "7 stages: max stage = 2 weights of 8x8 float");
    CHECK_EQ_I(12 * 256, p->total_param_bytes, "7 stages: total = 12 weights");
    CHECK_NEAR(512.0 / (3072.0 / 7), p->balance, 1e-9, "7 stages: balance max/mean");
    CHECK_EQ_I(6, p->nxfers, "7 stages: one activation per cut");
    CHECK(p->xfers[5].from == 5 && p->xfers[5].to == 6 && p->xfers[5].bytes == 32,
          "last transfer: h10 from stage 5 to 6, 32 bytes (got %d->%d %lld)", p->xfers[5].from,
          p->xfers[5].to, (long long)p->xfers[5].bytes);
    CHECK_EQ_S("h9", g->vals[p->xfers[4].value].name, "transfer 4 carries h9 (cut before L10)");
    CHECK_EQ_I(2, p->stages[2].nweights, "stage 2 holds 2 weights");
    CHECK_EQ_I(1, p->stages[0].ninputs, "stage 0 reads graph input x");
    CHECK_EQ_I(0, p->stages[1].ninputs, "stage 1 reads no graph input");
    CHECK_EQ_I(1, p->stages[6].noutputs, "last stage makes the output");
    CHECK_EQ_I(6, p->node_stage[11], "node 11 runs in the last stage");
    CHECK_EQ_I(4, p->node_stage[9], "node 9 runs in stage 4 (2,2,2,2,[2],1,1)");
    part_plan_free(p);
    ir_diag_free(&d);

    p = plan(g, PART_EQUAL_SIZE, 13, 0, &d);
    CHECK(p == NULL, "13 stages of 12 nodes: refused");
    CHECK_CONTAINS(first_msg(&d), "cannot split 12 nodes into 13 stages: ", "13 stages: message");
    ir_diag_free(&d);
    ir_graph_free(g);
}

/* ---- (b) among equal max, the cut that sends fewer bytes ---- */
static void test_cut_bytes(void) {
    /* L1: x[1,8] @ W1[8,8] -> a[1,8]; C: Concat(a x128) -> b[1,1024]; R: Relu -> c[1,1024];
     * L2: c @ W2[1024,8] -> y. Into 2, every cut gives max = W2 (32 KB); cutting before C
     * sends 32 bytes, before R or L2 4096: the plan must cut before C (stages 1,3), although
     * the last tie-break alone (long early stages) would say 3,1. */
    ir_graph *g = ir_graph_new();
    int x = act(g, "x", 2, (int64_t[]){1, 8});
    ir_graph_add_input(g, x);
    int w1 = weight(g, "W1", IR_DT_FLOAT, 2, (int64_t[]){8, 8});
    int w2 = weight(g, "W2", IR_DT_FLOAT, 2, (int64_t[]){1024, 8});
    int a = act(g, "a", 2, (int64_t[]){1, 8});
    int b = act(g, "b", 2, (int64_t[]){1, 1024});
    int c = act(g, "c", 2, (int64_t[]){1, 1024});
    int y = act(g, "y", 2, (int64_t[]){1, 8});
    node1(g, IR_OP_MATMUL, "L1", 2, (int[]){x, w1}, a);
    int cat[128];
    for (int i = 0; i < 128; i++) cat[i] = a;
    int cn = node1(g, IR_OP_CONCAT, "C", 128, cat, b);
    ir_node_add_attr(g, cn, "axis", IR_ATTR_INT)->i = 1;
    node1(g, IR_OP_RELU, "R", 1, &b, c);
    node1(g, IR_OP_MATMUL, "L2", 2, (int[]){c, w2}, y);
    ir_graph_add_output(g, y);
    ir_diag d = {0};
    char buf[64];
    part_plan *p = plan(g, PART_EQUAL_SIZE, 2, 0, &d);
    CHECK_EQ_S("1,3", sizes(p, buf, sizeof buf), "narrow cut wins over long first stage");
    CHECK(p && p->nxfers == 1 && p->xfers[0].bytes == 32, "one 32-byte transfer (a)");
    CHECK_EQ_I(32768, p->max_param_bytes, "max stage = W2");
    part_plan_free(p);
    ir_diag_free(&d);
    ir_graph_free(g);

    /* The same tie-breaks on a bare sequence: nodes 0 and 3 hold 1 byte each. */
    int64_t wb[2] = {1, 1};
    int ws[5] = {0, 1, 1, 1, 2}, wid[2] = {0, 1};
    int64_t cutb[5] = {0, 10, 5, 20, 0};
    part_seq s = {.n = 4, .nw = 2, .wbytes = wb, .wstart = ws, .wid = wid, .cut_bytes = cutb};
    int cuts[2];
    CHECK_EQ_I(2, part_split_equal_size(&s, 2, cuts, &d), "seq: 2 stages");
    CHECK_EQ_I(2, cuts[1], "seq: the 5-byte cut (before node 2)");
    s.cut_bytes = NULL;
    part_split_equal_size(&s, 2, cuts, &d);
    CHECK_EQ_I(3, cuts[1], "seq without cut bytes: longest first stage (cut before node 3)");
    ir_diag_free(&d);
}

/* ---- brute force reference for equal_size on small random sequences ---- */
static int64_t range_cost(const part_seq *s, int a, int b) {
    int64_t c = 0;
    for (int w = 0; w < s->nw; w++) {
        int used = 0;
        for (int i = a; i < b && !used; i++)
            for (int k = s->wstart[i]; k < s->wstart[i + 1]; k++)
                if (s->wid[k] == w) used = 1;
        if (used) c += s->wbytes[w];
    }
    return c;
}

static int best_cuts[16], cur_cuts[16];
static int64_t best_max, best_x, have_best;

static void brute(const part_seq *s, int k, int j, int64_t mx, int64_t xs) {
    if (j == k) {
        int64_t c = range_cost(s, cur_cuts[k - 1], s->n);
        if (c > mx) mx = c;
        int better = !have_best || mx < best_max || (mx == best_max && xs < best_x);
        if (!better && mx == best_max && xs == best_x) /* lexicographically larger cuts */
            for (int i = 1; i < k; i++) {
                if (cur_cuts[i] != best_cuts[i]) { better = cur_cuts[i] > best_cuts[i]; break; }
            }
        if (better) {
            have_best = 1, best_max = mx, best_x = xs;
            memcpy(best_cuts, cur_cuts, sizeof cur_cuts);
        }
        return;
    }
    for (int c = cur_cuts[j - 1] + 1; c <= s->n - (k - j); c++) {
        int64_t r = range_cost(s, cur_cuts[j - 1], c);
        cur_cuts[j] = c;
        brute(s, k, j + 1, r > mx ? r : mx, xs + s->cut_bytes[c]);
    }
}

static void test_equal_brute(void) {
    srand(12345);
    int bad = 0, cases = 0;
    for (int it = 0; it < 300; it++) {
        int n = 1 + rand() % 10, nw = 1 + rand() % 6, k = 1 + rand() % (n < 5 ? n : 5);
        int64_t wb[8], cutb[12] = {0};
        int ws[12], wid[64], m = 0;
        for (int w = 0; w < nw; w++) wb[w] = rand() % 4 == 0 ? 0 : 1 + rand() % 9;
        for (int i = 0; i < n; i++) {
            ws[i] = m;
            for (int w = 0; w < nw; w++) /* some nodes read none, some share (tied weights) */
                if (rand() % 4 == 0) wid[m++] = w;
        }
        ws[n] = m;
        for (int c = 1; c < n; c++) cutb[c] = rand() % 3;
        part_seq s = {.n = n, .nw = nw, .wbytes = wb, .wstart = ws, .wid = wid, .cut_bytes = cutb};
        int cuts[16];
        ir_diag d = {0};
        int got = part_split_equal_size(&s, k, cuts, &d);
        have_best = 0;
        cur_cuts[0] = 0;
        brute(&s, k, 1, 0, 0);
        cases++;
        int same = got == k;
        for (int i = 0; same && i < k; i++) same = cuts[i] == best_cuts[i];
        if (!same && bad++ < 5) {
            printf("  mismatch n=%d k=%d: got", n, k);
            for (int i = 0; got == k && i < k; i++) printf(" %d", cuts[i]);
            printf(", brute force");
            for (int i = 0; i < k; i++) printf(" %d", best_cuts[i]);
            printf("\n  weights:");
            for (int w = 0; w < nw; w++) printf(" %lld", (long long)wb[w]);
            printf("\n  reads:");
            for (int i = 0; i < n; i++) {
                printf(" [");
                for (int q = ws[i]; q < ws[i + 1]; q++) printf("%d%s", wid[q], q + 1 < ws[i + 1] ? "," : "");
                printf("]");
            }
            printf("\n  cut bytes:");
            for (int q = 0; q <= n; q++) printf(" %lld", (long long)cutb[q]);
            printf("\n");
        }
        ir_diag_free(&d);
    }
    CHECK(bad == 0, "equal_size = brute force (max, cut bytes, long early stages) on %d random "
          "sequences with shared weights (%d differ)", cases, bad);
}

/* ---- (c) a skip connection crossing two cuts ---- */
static ir_graph *skip_graph(void) {
    /* x -> L1 -> h1 -> L2 -> h2 -> L3 -> h3; A1 = Add(h1, h3) -> s; yes = Add(s, bias) -> y.
     * Outputs: y and the weight W1 (a weight as a graph output belongs to the last stage). */
    ir_graph *g = ir_graph_new();
    g->name = "skip";
    g->opset = 17;
    int x = act(g, "x", 2, (int64_t[]){1, 8});
    int bias = act(g, "bias", 2, (int64_t[]){1, 8});
    ir_graph_add_input(g, x);
    ir_graph_add_input(g, bias);
    int w[3], h[3];
    for (int i = 0; i < 3; i++) {
        char wn[16], hn[16];
        snprintf(wn, sizeof wn, "W%d", i + 1);
        snprintf(hn, sizeof hn, "h%d", i + 1);
        w[i] = weight(g, wn, IR_DT_FLOAT, 2, (int64_t[]){8, 8});
        h[i] = act(g, hn, 2, (int64_t[]){1, 8});
    }
    node1(g, IR_OP_MATMUL, "L1", 2, (int[]){x, w[0]}, h[0]);
    node1(g, IR_OP_MATMUL, "L2", 2, (int[]){h[0], w[1]}, h[1]);
    node1(g, IR_OP_MATMUL, "L3", 2, (int[]){h[1], w[2]}, h[2]);
    int s = act(g, "s", 2, (int64_t[]){1, 8});
    int y = act(g, "y", 2, (int64_t[]){1, 8});
    node1(g, IR_OP_ADD, "A1", 2, (int[]){h[0], h[2]}, s);
    node1(g, IR_OP_ADD, "yes", 2, (int[]){s, bias}, y); /* a name YAML 1.1 reads as true */
    ir_graph_add_output(g, y);
    ir_graph_add_output(g, w[0]);
    return g;
}

static void test_skip(void) {
    ir_graph *g = skip_graph();
    ir_diag d = {0};
    char buf[64];
    part_plan *p = plan(g, PART_EQUAL_SIZE, 3, 0, &d);
    CHECK_EQ_S("1,1,3", sizes(p, buf, sizeof buf), "skip graph into 3 stages");
    CHECK_EQ_I(3, p->nxfers, "three transfers: h1 0->1, h1 0->2, h2 1->2");
    static const struct { const char *v; int from, to; } want[3] = {{"h1", 0, 1}, {"h1", 0, 2}, {"h2", 1, 2}};
    for (int i = 0; i < 3 && i < p->nxfers; i++) {
        const part_xfer *x = &p->xfers[i];
        CHECK(!strcmp(g->vals[x->value].name, want[i].v) && x->from == want[i].from &&
              x->to == want[i].to && x->bytes == 32,
              "transfer %d: %s %d->%d 32 bytes (got %s %d->%d %lld)", i, want[i].v, want[i].from,
              want[i].to, g->vals[x->value].name, x->from, x->to, (long long)x->bytes);
    }
    CHECK_EQ_I(2, p->stages[2].nin, "stage 2 receives h1 (straight from stage 0) and h2");
    CHECK(p->stages[2].nin == 2 && p->xfers[p->stages[2].in[0]].from == 0 &&
          p->xfers[p->stages[2].in[1]].from == 1, "stage 2's receives come from stages 0 and 1");
    CHECK(p->stages[0].nout == 2 && p->stages[1].nin == 1 && p->stages[1].nout == 1,
          "stage 0 sends 2, stage 1 receives 1 and sends 1");
    CHECK(p->stages[2].ninputs == 1 && !strcmp(g->vals[p->stages[2].inputs[0]].name, "bias"),
          "graph input bias is fed to stage 2");
    CHECK(p->stages[0].ninputs == 1 && !strcmp(g->vals[p->stages[0].inputs[0]].name, "x"),
          "graph input x is fed to stage 0");
    CHECK(p->stages[2].noutputs == 2 && p->stages[0].noutputs == 0,
          "stage 2 makes y and holds output W1 (a weight output goes to the last stage)");
    CHECK_EQ_I(512, p->stages[2].param_bytes, "stage 2 holds W3 and, to emit it, output W1");
    CHECK_EQ_I(768, p->total_param_bytes, "total counts W1 once");
    part_plan_free(p);
    ir_diag_free(&d);
    ir_graph_free(g);
}

/* ---- (d) a tied weight: the token embedding reused as the LM head ---- */
static void test_tied(void) {
    /* G: Gather(E[16,8], ids[1,4]) -> h[1,4,8]; L: h @ W[8,8] -> h2; T: Transpose(E) -> Et[8,16];
     * M: h2 @ Et -> logits[1,4,16]. E = 512 B, W = 256 B. Every split into 2 has max 768;
     * cuts before L and before T both send 128 B (before M: 128 + 512), so the longer first
     * stage wins: [G,L] [T,M]; E is held by both stages. */
    ir_graph *g = ir_graph_new();
    int ids = ir_value_add(g, "ids", IR_DT_INT64, 2, (int64_t[]){1, 4});
    ir_graph_add_input(g, ids);
    int e = weight(g, "E", IR_DT_FLOAT, 2, (int64_t[]){16, 8});
    int w = weight(g, "W", IR_DT_FLOAT, 2, (int64_t[]){8, 8});
    int h = act(g, "h", 3, (int64_t[]){1, 4, 8});
    int h2 = act(g, "h2", 3, (int64_t[]){1, 4, 8});
    int et = act(g, "Et", 2, (int64_t[]){8, 16});
    int lg = act(g, "logits", 3, (int64_t[]){1, 4, 16});
    node1(g, IR_OP_GATHER, "G", 2, (int[]){e, ids}, h);
    node1(g, IR_OP_MATMUL, "L", 2, (int[]){h, w}, h2);
    node1(g, IR_OP_TRANSPOSE, "T", 1, &e, et);
    node1(g, IR_OP_MATMUL, "M", 2, (int[]){h2, et}, lg);
    ir_graph_add_output(g, lg);

    part_costs c;
    CHECK(part_costs_compute(g, &c) == 0, "costs of the tied graph");
    CHECK(c.param_bytes[0] == 512 && c.param_bytes[1] == 256 && c.param_bytes[2] == 0 &&
          c.param_bytes[3] == 0, "per node: E at its first reader G only (512, 256, 0, 0)");
    CHECK_EQ_I(768, c.total_param_bytes, "costs total counts E once");
    CHECK(c.flops[0] == 0 && c.flops[1] == 2 * 32 * 8 && c.flops[2] == 0 && c.flops[3] == 2 * 64 * 8,
          "flops: Gather 0, L 2*32*8, Transpose 0, M 2*64*8 (got %lld %lld %lld %lld)",
          (long long)c.flops[0], (long long)c.flops[1], (long long)c.flops[2], (long long)c.flops[3]);
    part_opts o = {.policy = PART_EQUAL_SIZE, .nstages = 2};
    ir_diag d = {0};
    part_plan *p = part_plan_build(g, &c, &o, &d);
    char buf[64];
    CHECK_EQ_S("2,2", sizes(p, buf, sizeof buf), "tied graph into 2: [G,L] [T,M]");
    CHECK_EQ_I(768, p->stages[0].param_bytes, "stage 0 holds E and W");
    CHECK_EQ_I(512, p->stages[1].param_bytes, "stage 1 holds E again");
    CHECK_EQ_I(768, p->total_param_bytes, "plan total counts E once");
    CHECK_NEAR(768.0 / 640.0, p->balance, 1e-9, "balance = 768 / mean(768, 512)");
    CHECK(p->stages[1].nweights == 1 && p->stages[1].weights[0] == e, "stage 1's weight list is [E]");
    CHECK(p->stages[0].flops == 512 && p->stages[1].flops == 1024, "stage flops 512 and 1024");
    CHECK(p->nxfers == 1 && p->xfers[0].value == h2 && p->xfers[0].bytes == 128, "h2 (128 B) crosses");
    part_plan_free(p);
    ir_diag_free(&d);
    part_costs_free(&c);
    ir_graph_free(g);
}

/* ---- (e) threshold ---- */
static ir_graph *mul_chain(int n, const int64_t *wbytes) {
    /* node i: Mul(h, W_i[wbytes/4] float), or Relu when wbytes is 0 */
    ir_graph *g = ir_graph_new();
    int h = act(g, "x", 1, (int64_t[]){1});
    ir_graph_add_input(g, h);
    for (int i = 0; i < n; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "o%d", i);
        int o = act(g, nm, 1, (int64_t[]){1});
        snprintf(nm, sizeof nm, "N%d", i);
        if (wbytes[i]) {
            char wn[32];
            snprintf(wn, sizeof wn, "W%d", i);
            int w = weight(g, wn, IR_DT_FLOAT, 1, (int64_t[]){wbytes[i] / 4});
            node1(g, IR_OP_MUL, nm, 2, (int[]){h, w}, o);
        } else {
            node1(g, IR_OP_RELU, nm, 1, &h, o);
        }
        h = o;
    }
    ir_graph_add_output(g, h);
    return g;
}

static void test_threshold(void) {
    char buf[64];
    ir_diag d = {0};
    ir_graph *g = mul_chain(4, (int64_t[]){3000, 3000, 3000, 3000});
    part_plan *p = plan(g, PART_THRESHOLD, 0, 7000, &d);
    CHECK_EQ_S("2,2", sizes(p, buf, sizeof buf), "3,3,3,3 KB with threshold 7KB");
    part_plan_free(p);
    p = plan(g, PART_THRESHOLD, 2, 7000, &d);
    CHECK(p && p->nstages == 2, "threshold 7KB with --ranks 2 agrees");
    part_plan_free(p);
    p = plan(g, PART_THRESHOLD, 3, 7000, &d);
    CHECK(p == NULL, "threshold 7KB with --ranks 3 refused");
    CHECK_EQ_S("threshold 7KB gives 2 stages; run with --ranks 2", first_msg(&d), "ranks mismatch message");
    ir_diag_free(&d);
    p = plan(g, PART_THRESHOLD, 5, 1000000, &d);
    CHECK_EQ_S("threshold 1MB gives 1 stage; run with --ranks 1", first_msg(&d), "1MB message");
    ir_diag_free(&d);
    p = plan(g, PART_THRESHOLD, 0, 6000, &d);
    CHECK_EQ_S("2,2", sizes(p, buf, sizeof buf), "threshold exactly 6KB fits two (<=)");
    part_plan_free(p);
    ir_graph_free(g);

    g = mul_chain(3, (int64_t[]){3000, 10000, 3000});
    p = plan(g, PART_THRESHOLD, 0, 7000, &d);
    CHECK_EQ_S("1,1,1", sizes(p, buf, sizeof buf), "a 10KB node past 7KB is a stage of its own");
    part_plan_free(p);
    ir_graph_free(g);
    /* parameter-free nodes stay with their neighbours: [Relu,10KB] [Relu,3KB,3KB] */
    g = mul_chain(5, (int64_t[]){0, 10000, 0, 3000, 3000});
    p = plan(g, PART_THRESHOLD, 0, 7000, &d);
    CHECK_EQ_S("2,3", sizes(p, buf, sizeof buf), "Relu,10KB | Relu,3KB,3KB");
    part_plan_free(p);
    ir_graph_free(g);
    ir_diag_free(&d);
}

/* ---- (f) sizes ---- */
static void test_sizes(void) {
    static const struct { const char *s; int64_t v; } ok[] = {
        {"490MB", 490000000}, {"1.5GB", 1500000000}, {"4096", 4096}, {"64KiB", 65536},
        {"2mib", 2097152}, {"1kb", 1000}, {"0.5KiB", 512}, {"10 MB", 10000000}, {".5KB", 500},
        {"3GiB", 3221225472LL}, {"7B", 7}, {"0", 0}, {"1.25gb", 1250000000},
        {"9000000000GB", 9000000000000000000LL},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "part_parse_size(\"%s\")", ok[i].s);
        CHECK_EQ_I(ok[i].v, part_parse_size(ok[i].s), what);
    }
    static const char *const bad[] = {"", "abc", "12XB", "-5", "1.5.3MB", "99999999999999999999",
                                      "10000000000GB", "1e3", "MB", "5 M B", "1.MB", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "part_parse_size(\"%s\") is junk", bad[i]);
        CHECK_EQ_I(-1, part_parse_size(bad[i]), what);
    }
    CHECK_EQ_I(-1, part_parse_size(NULL), "part_parse_size(NULL)");
    char b[32];
    CHECK_EQ_S("7KB", part_size_str(7000, b, sizeof b), "size_str 7000");
    CHECK_EQ_S("1MiB", part_size_str(1048576, b, sizeof b), "size_str 1048576");
    CHECK_EQ_S("1500 bytes", part_size_str(1500, b, sizeof b), "size_str 1500");
    CHECK_EQ_S("490MB", part_size_str(part_parse_size("490MB"), b, sizeof b), "490MB round trip");
    CHECK_EQ_S("12.3 KB", part_size_human(12345, b, sizeof b), "size_human 12345");
    CHECK_EQ_I(PART_THRESHOLD, part_policy_lookup("threshold"), "policy lookup");
    CHECK_EQ_I(-1, part_policy_lookup("greedy"), "unknown policy");
}

/* ---- per-op costs ---- */
static void test_costs(void) {
    ir_graph *g = ir_graph_new();
    int x = act(g, "x", 4, (int64_t[]){1, 3, 8, 8});
    ir_graph_add_input(g, x);
    int cw = weight(g, "Cw", IR_DT_FLOAT, 4, (int64_t[]){16, 3, 3, 3});
    int cb = weight(g, "Cb", IR_DT_FLOAT, 1, (int64_t[]){16});
    int y = act(g, "y", 4, (int64_t[]){1, 16, 6, 6});
    node1(g, IR_OP_CONV, "conv", 3, (int[]){x, cw, cb}, y);
    int pl = act(g, "pool", 4, (int64_t[]){1, 16, 3, 3});
    int pn = node1(g, IR_OP_MAXPOOL, "pool", 1, &y, pl);
    ir_attr *ks = ir_node_add_attr(g, pn, "kernel_shape", IR_ATTR_INTS);
    static int64_t k22[2] = {2, 2};
    ks->n = 2, ks->ints = k22;
    int a = act(g, "a", 2, (int64_t[]){4, 5});
    ir_graph_add_input(g, a);
    int gb = weight(g, "Gb", IR_DT_FLOAT, 2, (int64_t[]){5, 3});
    int gc = weight(g, "Gc", IR_DT_FLOAT, 1, (int64_t[]){3});
    int go = act(g, "go", 2, (int64_t[]){4, 3});
    node1(g, IR_OP_GEMM, "gemm", 3, (int[]){a, gb, gc}, go);
    int ba = act(g, "ba", 3, (int64_t[]){2, 3, 4});
    int bb = act(g, "bb", 3, (int64_t[]){2, 4, 5});
    ir_graph_add_input(g, ba);
    ir_graph_add_input(g, bb);
    int bo = act(g, "bo", 3, (int64_t[]){2, 3, 5});
    node1(g, IR_OP_MATMUL, "bmm", 2, (int[]){ba, bb}, bo);
    int eo = act(g, "eo", 3, (int64_t[]){2, 3, 5});
    int en = node1(g, IR_OP_EINSUM, "einsum", 2, (int[]){ba, bb}, eo);
    ir_node_add_attr(g, en, "equation", IR_ATTR_STRING)->s = "bij,bjk->bik";
    int h16 = ir_value_add(g, "h16", IR_DT_FLOAT16, 1, (int64_t[]){10});
    ir_graph_add_input(g, h16);
    int w16 = weight(g, "W16", IR_DT_FLOAT16, 1, (int64_t[]){10});
    int o16 = ir_value_add(g, "o16", IR_DT_FLOAT16, 1, (int64_t[]){10});
    node1(g, IR_OP_MUL, "mul16", 2, (int[]){h16, w16}, o16);
    int sm = act(g, "sm", 2, (int64_t[]){4, 3});
    node1(g, IR_OP_SOFTMAX, "softmax", 1, &go, sm);
    int rs = act(g, "rs", 1, (int64_t[]){4});
    node1(g, IR_OP_REDUCEMEAN, "rmean", 1, &sm, rs);
    int unk = act(g, "unk", -1, NULL);
    node1(g, IR_OP_RELU, "relu_unknown", 1, &unk, act(g, "unk2", -1, NULL));
    int bx = act(g, "bx", 2, (int64_t[]){-1, 8});   /* a symbolic batch */
    ir_graph_add_input(g, bx);
    node1(g, IR_OP_MATMUL, "batchmm", 2, (int[]){bx, cw}, act(g, "bxo", 2, (int64_t[]){-1, 8}));
    int ct = act(g, "ct", 4, (int64_t[]){1, 8, 10, 10}); /* ConvTranspose 16->8, k 3, from pool */
    int ctw = weight(g, "CTw", IR_DT_FLOAT, 4, (int64_t[]){16, 8, 3, 3});
    node1(g, IR_OP_CONVTRANSPOSE, "convT", 2, (int[]){pl, ctw}, ct);

    part_costs c;
    CHECK(part_costs_compute(g, &c) == 0, "costs computed");
    CHECK_EQ_I(2 * 576 * 3 * 9 + 576, c.flops[0], "Conv: 2*out*Cin*k*k + bias");
    CHECK_EQ_I((16 * 27 + 16) * 4, c.param_bytes[0], "Conv params: W + B float");
    CHECK_EQ_I(576 * 4, c.out_bytes[0], "Conv out bytes");
    CHECK_EQ_I(144 * 4, c.flops[1], "MaxPool 2x2: out*4");
    CHECK_EQ_I(2 * 12 * 5 + 12, c.flops[2], "Gemm: 2*M*N*K + M*N");
    CHECK_EQ_I(2 * 2 * 3 * 5 * 4, c.flops[3], "batched MatMul: 2*B*M*N*K");
    CHECK_EQ_I(2 * 2 * 3 * 4 * 5, c.flops[4], "Einsum bij,bjk->bik");
    CHECK_EQ_I(20, c.param_bytes[5], "float16 weight of 10: 20 bytes");
    CHECK_EQ_I(10, c.flops[5], "Mul: 1 per element");
    CHECK_EQ_I(5 * 12, c.flops[6], "Softmax: 5 per element");
    CHECK_EQ_I(12, c.flops[7], "ReduceMean: input numel");
    CHECK_EQ_I(-1, c.flops[8], "unknown shape: -1");
    CHECK_EQ_I(0, c.out_bytes[8], "unknown shape: 0 out bytes");
    CHECK_EQ_I(2 * 8 * 8, c.flops[9], "MatMul [batch,8]: per-sample FLOPs (batch counts 1)");
    CHECK_EQ_I(0, c.param_bytes[9], "MatMul reading Cw again: counted at conv only");
    CHECK_EQ_I(2 * 144 * 8 * 9, c.flops[10], "ConvTranspose: 2*in*Cout*k*k");
    int64_t sum = 0;
    for (int i = 0; i < c.nnodes; i++) sum += c.flops[i] > 0 ? c.flops[i] : 0;
    CHECK_EQ_I(sum, c.total_flops, "total flops sums the known ones");
    part_costs_free(&c);
    ir_graph_free(g);
}

/* ---- an If capturing a weight from the enclosing graph ---- */
static void test_if_capture(void) {
    ir_graph *g = chain(2);
    int cond = ir_value_add(g, "cond", IR_DT_BOOL, 0, NULL);
    ir_graph_add_input(g, cond);
    int wc = weight(g, "Wcap", IR_DT_FLOAT, 1, (int64_t[]){100});
    ir_graph *sub = ir_subgraph_new(g);
    int outer = ir_value_add(sub, "Wcap", IR_DT_FLOAT, 1, (int64_t[]){100});
    sub->vals[outer].kind = IR_VAL_OUTER;
    int so = ir_value_add(sub, "so", IR_DT_FLOAT, 1, (int64_t[]){100});
    node1(sub, IR_OP_IDENTITY, "id", 1, &outer, so);
    ir_graph_add_output(sub, so);
    int yo = act(g, "ifout", 1, (int64_t[]){100});
    int ni = node1(g, IR_OP_IF, "if", 1, &cond, yo);
    ir_node_add_attr(g, ni, "then_branch", IR_ATTR_GRAPH)->g = sub;
    ir_node_add_attr(g, ni, "else_branch", IR_ATTR_GRAPH)->g = sub;
    ir_graph_add_output(g, yo);
    ir_diag d = {0};
    part_plan *p = plan(g, PART_EQUAL_SIZE, 2, 0, &d);
    /* L0 256, L1 256, If 400 into 2: [L0,L1] [If] (max 512; [L0] [L1,If] would be 656) */
    CHECK(p && p->stages[1].first == 2 && p->stages[1].nweights == 1 && p->stages[1].weights[0] == wc,
          "If's stage holds the weight its branches capture");
    CHECK(p && p->stages[1].param_bytes == 400, "stage 1: Wcap bytes");
    part_plan_free(p);
    ir_diag_free(&d);
    ir_graph_free(g);
}

/* ---- 5,000 nodes into 8 stages, timed; optimal by an independent certificate ---- */
static int stages_needed(const int64_t *w, int n, int64_t bound) {
    int st = 1;
    int64_t cur = 0;
    for (int i = 0; i < n; i++) {
        if (w[i] > bound) return n + 1;
        if (cur + w[i] > bound) st++, cur = 0;
        cur += w[i];
    }
    return st;
}

static void test_big(void) {
    enum { N = 5000, K = 8 };
    static int64_t wb[N];
    srand(7);
    for (int i = 0; i < N; i++) wb[i] = i % 3 == 2 ? 0 : 4 * (1 + rand() % 4096);
    ir_graph *g = mul_chain(N, wb);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ir_diag d = {0};
    part_plan *p = plan(g, PART_EQUAL_SIZE, K, 0, &d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    CHECK(p && p->nstages == K, "5000 nodes into 8 stages");
    CHECK(dt < 1.0, "costs + plan took %.3f s (< 1 s)", dt);
    if (p) {
        int64_t mx = 0;
        for (int s = 0; s < K; s++) {
            int64_t sum = 0;
            for (int i = p->stages[s].first; i < p->stages[s].last; i++) sum += wb[i];
            if (sum > mx) mx = sum;
            CHECK(sum == p->stages[s].param_bytes || s > 0, "stage 0 bytes = sum of its weights");
        }
        CHECK_EQ_I(mx, p->max_param_bytes, "max stage bytes");
        CHECK(stages_needed(wb, N, mx - 1) > K, "optimal: no split into 8 stays under %lld",
              (long long)mx);
    }
    part_plan_free(p);
    ir_diag_free(&d);
    ir_graph_free(g);
}

/* ---- allocation failures: a clean NULL, never a crash ---- */
static void test_alloc_failures(void) {
    ir_graph *g = skip_graph();
    part_costs c;
    part_costs_compute(g, &c);
    part_opts o = {.policy = PART_EQUAL_SIZE, .nstages = 3};
    int n, clean = 1;
    for (n = 1; n < 500; n++) {
        ir_diag d = {0};
        ir_fail_alloc_at(n);
        part_plan *p = part_plan_build(g, &c, &o, &d);
        ir_fail_alloc_at(0);
        if (!p && !d.oom) clean = 0;
        ir_diag_free(&d);
        if (p) { part_plan_free(p); break; }
    }
    CHECK(clean && n > 5 && n < 500, "plan build fails cleanly at each of the first %d allocations", n - 1);
    part_costs_free(&c);
    ir_graph_free(g);
}

/* ---- (g) YAML and DOT ---- */
static yaml_node_t *ymap(yaml_document_t *doc, yaml_node_t *m, const char *key) {
    if (!m || m->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        if (k && k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
            return yaml_document_get_node(doc, pr->value);
    }
    return NULL;
}

static yaml_node_t *yitem(yaml_document_t *doc, yaml_node_t *s, int i) {
    if (!s || s->type != YAML_SEQUENCE_NODE) return NULL;
    if (i >= s->data.sequence.items.top - s->data.sequence.items.start) return NULL;
    return yaml_document_get_node(doc, s->data.sequence.items.start[i]);
}

static const char *ystr(yaml_node_t *n) {
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : "(none)";
}

static int yquoted(yaml_node_t *n) {
    return n && n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (s) s[n] = 0;
    fclose(f);
    return s;
}

static void test_writers(const char *dir) {
    ir_graph *g = skip_graph();
    part_costs c;
    part_costs_compute(g, &c);
    part_opts o = {.policy = PART_EQUAL_SIZE, .nstages = 3};
    ir_diag d = {0};
    part_plan *p = part_plan_build(g, &c, &o, &d);
    char path[1024];
    snprintf(path, sizeof path, "%s/pipeline.yaml", dir);
    CHECK(part_plan_write_yaml(p, g, &c, path, &d) == 0, "pipeline.yaml written to %s", path);

    FILE *f = fopen(path, "rb");
    yaml_parser_t ps;
    yaml_document_t doc;
    yaml_parser_initialize(&ps);
    yaml_parser_set_input_file(&ps, f);
    int loaded = f && yaml_parser_load(&ps, &doc);
    CHECK(loaded, "pipeline.yaml parses back with libyaml");
    if (loaded) {
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        CHECK_EQ_S("1", ystr(ymap(&doc, root, "version")), "yaml version");
        CHECK_EQ_S("skip", ystr(ymap(&doc, root, "model")), "yaml model");
        CHECK_EQ_S("17", ystr(ymap(&doc, root, "opset")), "yaml opset");
        CHECK_EQ_S("equal_size", ystr(ymap(&doc, root, "policy")), "yaml policy");
        CHECK_EQ_S("3", ystr(ymap(&doc, root, "nstages")), "yaml nstages");
        CHECK_EQ_S("768", ystr(ymap(&doc, root, "total_param_bytes")), "yaml total bytes");
        CHECK_EQ_S("512", ystr(ymap(&doc, root, "max_param_bytes")), "yaml max bytes");
        CHECK_EQ_S("1.5000", ystr(ymap(&doc, root, "balance")), "yaml balance: 512 / mean(256,256,512)");
        yaml_node_t *st = ymap(&doc, root, "stages");
        yaml_node_t *s0 = yitem(&doc, st, 0), *s2 = yitem(&doc, st, 2);
        CHECK_EQ_S("L1", ystr(yitem(&doc, ymap(&doc, s0, "nodes"), 0)), "stage 0 nodes[0]");
        CHECK_EQ_S("3", ystr(ymap(&doc, s2, "nnodes")), "stage 2 nnodes");
        CHECK_EQ_S("2", ystr(ymap(&doc, s2, "node_begin")), "stage 2 node_begin");
        CHECK_EQ_S("5", ystr(ymap(&doc, s2, "node_end")), "stage 2 node_end");
        yaml_node_t *yes = yitem(&doc, ymap(&doc, s2, "nodes"), 2);
        CHECK(!strcmp(ystr(yes), "yes") && yquoted(yes), "node named yes is written quoted");
        CHECK_EQ_S("bias", ystr(yitem(&doc, ymap(&doc, s2, "inputs"), 0)), "stage 2 inputs");
        CHECK_EQ_S("W1", ystr(yitem(&doc, ymap(&doc, s2, "outputs"), 1)), "stage 2 outputs[1]");
        yaml_node_t *r0 = yitem(&doc, ymap(&doc, s2, "recv"), 0);
        CHECK_EQ_S("h1", ystr(ymap(&doc, r0, "name")), "stage 2 recv[0].name");
        CHECK_EQ_S("float32", ystr(ymap(&doc, r0, "dtype")), "stage 2 recv[0].dtype");
        CHECK_EQ_S("8", ystr(yitem(&doc, ymap(&doc, r0, "shape"), 1)), "stage 2 recv[0].shape[1]");
        CHECK_EQ_S("32", ystr(ymap(&doc, r0, "bytes")), "stage 2 recv[0].bytes");
        CHECK_EQ_S("0", ystr(ymap(&doc, r0, "from")), "stage 2 recv[0].from");
        yaml_node_t *s1 = yitem(&doc, ymap(&doc, s0, "send"), 1);
        CHECK_EQ_S("2", ystr(ymap(&doc, s1, "to")), "stage 0 send[1].to");
        CHECK_EQ_S("256", ystr(ymap(&doc, s0, "param_bytes")), "stage 0 param_bytes");
        CHECK_EQ_S("128", ystr(ymap(&doc, s0, "flops")), "stage 0 flops: 2*8*8 for [1,8]@[8,8]");
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&ps);
    if (f) fclose(f);

    snprintf(path, sizeof path, "%s/graph.dot", dir);
    CHECK(part_plan_write_dot(p, g, path, NULL, 0, &d) == 0, "graph.dot written");
    char *dot = slurp(path);
    CHECK(dot && strstr(dot, "cluster_2"), "%s: %s", "DOT has a cluster per stage", "cluster_2");
    CHECK(dot && strstr(dot, "stage 2: 512 B / 144 FLOP"), "%s: %s", "DOT cluster label (L3 128 + two Adds 8 each)", "stage 2: 512 B / 144 FLOP");
    CHECK(dot && strstr(dot, "red"), "%s: %s", "DOT highlights boundary edges", "red");
    CHECK(dot && strstr(dot, "invhouse"), "%s: %s", "DOT draws graph inputs", "invhouse");
    CHECK(dot && !strstr(dot, "W2"), "DOT draws no weights");
    free(dot);
    const char *coll[] = {"L", "A"};
    snprintf(path, sizeof path, "%s/graph_collapsed.dot", dir);
    CHECK(part_plan_write_dot(p, g, path, coll, 2, &d) == 0, "collapsed graph.dot written");
    dot = slurp(path);
    CHECK(dot && strstr(dot, "L\\n(1 nodes)"), "%s: %s", "collapsed box label with count", "L\\n(1 nodes)");
    CHECK(dot && strstr(dot, "A\\n(1 nodes)"), "%s: %s", "collapsed A1 box", "A\\n(1 nodes)");
    free(dot);
    snprintf(path, sizeof path, "%s/no/such/dir/x.yaml", dir);
    CHECK(part_plan_write_yaml(p, g, &c, path, &d) != 0, "unwritable yaml path fails");
    CHECK_CONTAINS(d.nmsg ? d.msgs[d.nmsg - 1] : "", "cannot write", "error names the file");
    part_plan_free(p);
    ir_diag_free(&d);
    part_costs_free(&c);
    ir_graph_free(g);

    /* a collapse that merges many nodes: 12 layers, prefix "L1" takes L1, L10, L11 */
    g = chain(12);
    part_costs_compute(g, &c);
    o.nstages = 2;
    p = part_plan_build(g, &c, &o, &d);
    const char *c2[] = {"L1"};
    snprintf(path, sizeof path, "%s/chain_collapsed.dot", dir);
    CHECK(part_plan_write_dot(p, g, path, c2, 1, &d) == 0, "chain collapsed written");
    dot = slurp(path);
    CHECK(dot && strstr(dot, "L1\\n(2 nodes)"), "%s: %s", "stage 1 box holds L10 and L11", "L1\\n(2 nodes)");
    CHECK(dot && strstr(dot, "L1\\n(1 nodes)"), "%s: %s", "stage 0 box holds L1 only (collapse is per stage)", "L1\\n(1 nodes)");
    free(dot);
    part_plan_free(p);
    part_costs_free(&c);
    ir_diag_free(&d);
    ir_graph_free(g);
}

int main(void) {
    test_equal_layers();
    test_cut_bytes();
    test_equal_brute();
    test_skip();
    test_tied();
    test_threshold();
    test_sizes();
    test_costs();
    test_if_capture();
    test_big();
    test_alloc_failures();
    const char *keep = getenv("PART_TEST_OUT");
    char tmp[] = "/tmp/test_partition.XXXXXX";
    const char *dir = keep && *keep ? keep : mkdtemp(tmp);
    if (dir) {
        test_writers(dir);
    } else {
        CHECK(0, "a temporary directory for the writers");
    }
    if (dir && !(keep && *keep)) {
        static const char *const files[] = {"pipeline.yaml", "graph.dot", "graph_collapsed.dot",
                                            "chain_collapsed.dot"};
        char path[1024];
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, files[i]);
            unlink(path);
        }
        rmdir(dir);
    }
    T_DONE();
}
