/* ring.c - a rank program for tests/scripts/test_pippyrun.sh: rendezvous through the store,
 * then pass a 4 MB buffer around the ring of ranks over the TCP transport (isend to the
 * next rank overlapping the recv from the previous one), and check every byte.
 * With argument "fail R", rank R exits 3 after the rendezvous and the others report the
 * peer error, exiting RT_EXIT_PEER_LOST when it is the loss of a peer (as stage programs
 * do), else 1. */
#include "rt_comm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    rt_env e;
    char err[512];
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (rt_env_read(&e, err, sizeof err)) { fprintf(stderr, "%s\n", err); return 1; }
    rt_store *st = rt_store_open(&e, err, sizeof err);
    if (!st) { fprintf(stderr, "%s\n", err); return 1; }
    if (rt_store_barrier(st, "join", 20)) { fprintf(stderr, "%s\n", rt_store_error(st)); return 1; }
    rt_transport *t = rt_tcp_open(&e, st, err, sizeof err);
    if (!t) { fprintf(stderr, "%s\n", err); return 1; }
    rt_comm *c = rt_comm_new(e.rank, e.world_size, t);
    if (argc > 2 && !strcmp(argv[1], "fail") && atoi(argv[2]) == e.rank) {
        fprintf(stderr, "failing on purpose\n");
        return 3;
    }
    size_t n = 4u << 20;
    uint8_t *out = malloc(n), *in = malloc(n);
    for (size_t i = 0; i < n; i++) out[i] = (uint8_t)(i * 7 + (size_t)e.rank);
    int next = (e.rank + 1) % e.world_size, prev = (e.rank + e.world_size - 1) % e.world_size;
    rt_req *r;
    if (rt_comm_isend(c, next, 1, out, n, &r) || rt_comm_recv(c, prev, 1, in, n, -1) ||
        rt_comm_wait(c, r)) {
        fprintf(stderr, "%s\n", rt_comm_error(c));
        return rt_comm_error_peer(c) ? RT_EXIT_PEER_LOST : 1;
    }
    for (size_t i = 0; i < n; i++)
        if (in[i] != (uint8_t)(i * 7 + (size_t)prev)) { fprintf(stderr, "byte %zu wrong\n", i); return 1; }
    printf("ring ok: %zu bytes from rank %d\n", n, prev);
    if (rt_store_barrier(st, "done", 20)) { fprintf(stderr, "%s\n", rt_store_error(st)); return 1; }
    rt_comm_free(c);
    t->close(t);
    rt_store_close(st);
    free(out);
    free(in);
    return 0;
}
