/* rt_comm.h - how the ranks of a pipeline find each other and move tensors.
 *
 * Three layers, each usable alone:
 *   rt_env        the launcher's environment (torchrun's RANK, WORLD_SIZE, MASTER_ADDR, ...,
 *                 with SLURM / Open MPI / PMI fallbacks), read and checked once.
 *   rt_store      a rendezvous key-value store like torch's TCPStore: rank 0 serves it on
 *                 MASTER_ADDR:MASTER_PORT (a thread inside the rank-0 process), every rank,
 *                 rank 0 included, is a client. set/get/wait/add and a join barrier.
 *   rt_transport  point-to-point tensor transfers behind a struct of function pointers
 *                 (TCP now, NCCL / CUDA-IPC later); rt_comm picks a transport per link so
 *                 that the scheduler never knows which one carries a tensor.
 *
 *   rt_env env; char err[512];
 *   if (rt_env_read(&env, err, sizeof err)) { fprintf(stderr, "%s\n", err); return 1; }
 *   rt_store *st = rt_store_open(&env, err, sizeof err);            // NULL: err says why
 *   if (!st || rt_store_barrier(st, "join", 30)) ...                 // everyone is here
 *   rt_transport *tcp = rt_tcp_open(&env, st, err, sizeof err);
 *   rt_comm *c = rt_comm_new(env.rank, env.world_size, tcp);        // every link on TCP
 *   rt_req *r;
 *   rt_comm_isend(c, env.rank + 1, 7, buf, n, &r);                   // returns at once
 *   ... compute the next microbatch while buf is on the wire ...
 *   if (rt_comm_wait(c, r)) fprintf(stderr, "%s\n", rt_comm_error(c));
 *   rt_comm_recv(c, env.rank - 1, 7, in, n, -1);                     // -1: PIPPY_TIMEOUT
 *   rt_store_barrier(st, "done", -1);                                // before rank 0 closes
 *   rt_comm_free(c); tcp->close(tcp); rt_store_close(st);
 *
 * Errors: every call returns 0 (or a pointer) on success and -1 (or NULL) with a message
 * that names this rank and the peer: "rank 2: peer rank 3 closed the connection",
 * "rank 1: timed out after 300 s waiting for tag 7 (4096 bytes) from peer rank 0
 * (PIPPY_TIMEOUT)". Each error also says whose it is (rt_store_error_peer,
 * rt_comm_error_peer, rt_transport.err_peer): the loss of a peer (a link or the store
 * closed, reset or refused, or a peer silent past its timeout), or this rank's own (bad
 * arguments, out of memory, a frame out of step). A rank that stops for the loss of a peer
 * says so on its other links before it goes (rt_comm_abort), so that its peers name the rank
 * where the failure began rather than it (rt_comm_error_root), and exits RT_EXIT_PEER_LOST,
 * so that a launcher can tell that rank from the ranks that only followed it. Nothing read from the network is trusted: a frame with a
 * wrong magic, job id, tag or length is an error message, never an assert; a junk client of
 * the store is dropped and the store goes on serving. Nothing waits forever: every wait is
 * bounded by its timeout argument, or by PIPPY_TIMEOUT (seconds, default 300) when < 0.
 *
 * Wire protocol (version RT_COMM_VERSION): big-endian integers. Every connection opens with
 * a hello carrying a magic, the version and the job id (PIPPY_JOB_ID, set by pippyrun; by
 * default "port-<MASTER_PORT>"), so that ranks of two jobs on one host never talk.
 * Store: frames of [u32 length][payload], length <= RT_STORE_MAX_FRAME.
 * TCP transport: per link, frames of [u32 magic][u32 tag][u64 length][bytes], in send order;
 * a receiver names the tag and length it expects and a mismatch is an error naming both. A
 * rank that gives up for a lost peer ends each link with an abort frame [u32 abort magic]
 * [u32 the rank where the failure began, or 0xffffffff][u64 0].
 *
 * Threads: an rt_store may be used from several threads (requests are serialized). A
 * transport and an rt_comm are used from one thread (the stage's); they run threads of
 * their own inside (an acceptor, one sender per link) to overlap sends with compute.
 */
#ifndef PIPPY_RT_COMM_H
#define PIPPY_RT_COMM_H

#include <stddef.h>
#include <stdint.h>

#define RT_COMM_VERSION 2                    /* 2: the abort frame */
#define RT_STORE_MAX_KEY 512                 /* bytes in a key */
#define RT_STORE_MAX_VALUE (1u << 20)        /* bytes in a value */
#define RT_STORE_MAX_FRAME (RT_STORE_MAX_VALUE + 1024u)
#define RT_JOB_ID_MAX 63                     /* printable characters in PIPPY_JOB_ID */
#define RT_DEFAULT_TIMEOUT 300.0             /* seconds, when PIPPY_TIMEOUT is unset */

/* The exit status of a rank program that failed only because a peer went away: a link or
 * the store closed, reset or refused, or a peer stayed silent past PIPPY_TIMEOUT (a
 * heartbeat timeout is the same kind of failure). Any other failure exits 1 (2: usage).
 * pippyrun reads it to name the rank where a failure began (killed by a signal, or failed
 * on its own) rather than one of the ranks that followed it. sysexits' EX_TEMPFAIL. */
#define RT_EXIT_PEER_LOST 75

/* ---- the environment ---- */

typedef struct rt_env {
    int rank, world_size;           /* global */
    int local_rank, local_world_size; /* on this node */
    int group_rank;                 /* this node's index */
    char master_addr[256];          /* the store's host (rank 0's node) */
    int master_port;
    char job_id[RT_JOB_ID_MAX + 1]; /* PIPPY_JOB_ID, or "port-<MASTER_PORT>" */
    double timeout_s;               /* PIPPY_TIMEOUT, or RT_DEFAULT_TIMEOUT */
} rt_env;

/* Fills *e from the environment. Names read, first one set wins:
 *   rank        RANK, SLURM_PROCID, OMPI_COMM_WORLD_RANK, PMI_RANK
 *   world size  WORLD_SIZE, SLURM_NTASKS, OMPI_COMM_WORLD_SIZE, PMI_SIZE
 *   local rank  LOCAL_RANK, SLURM_LOCALID, OMPI_COMM_WORLD_LOCAL_RANK, MPI_LOCALRANKID
 *               (none: the rank, i.e. one node)
 *   local size  LOCAL_WORLD_SIZE, OMPI_COMM_WORLD_LOCAL_SIZE, MPI_LOCALNRANKS (none: world)
 *   node        GROUP_RANK, SLURM_NODEID (none: 0)
 *   MASTER_ADDR, MASTER_PORT (required), PIPPY_JOB_ID, PIPPY_TIMEOUT (optional).
 *   The store listens on MASTER_PORT, or PIPPY_STORE_PORT when set, or MASTER_PORT + 1 under
 *   torchrun (TORCHELASTIC_USE_AGENT_STORE=True: torchrun's agent holds MASTER_PORT).
 * 0, or -1 with err set: "RANK is not set (...)", "WORLD_SIZE=x is not an integer",
 * "RANK=4 is out of range: WORLD_SIZE=4". */
int rt_env_read(rt_env *e, char *err, size_t errsz);

/* The POSIX sh script that torchrun --no-python (or srun, mpirun) runs on every rank when
 * each rank has its own program DIR/rank_<r>: it execs the one for $RANK (or the SLURM /
 * MPI equivalents). Codegen writes it as DIR/rank, mode 0755:
 *   torchrun --nproc-per-node 4 --no-python out/rank --input x.npy */
#define RT_RANK_DISPATCHER_SH \
    "#!/bin/sh\n" \
    "# Runs this rank's stage program: DIR/rank_$RANK (torchrun --no-python, srun, mpirun).\n" \
    "r=\"${RANK:-${SLURM_PROCID:-${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-}}}}\"\n" \
    "if [ -z \"$r\" ]; then echo \"$0: RANK is not set (run under pippyrun, torchrun," \
    " srun or mpirun)\" >&2; exit 1; fi\n" \
    "exec \"$(dirname \"$0\")/rank_$r\" \"$@\"\n"

/* Writes RT_RANK_DISPATCHER_SH to DIR/rank (mode 0755). 0, or -1 with err set. */
int rt_write_rank_dispatcher(const char *dir, char *err, size_t errsz);

/* ---- the rendezvous store ---- */

typedef struct rt_store rt_store;

/* Connects to the store at e->master_addr:e->master_port, retrying until e->timeout_s while
 * rank 0 starts it; on rank 0, first starts the server thread (an error if the port is
 * taken). The store is owned by the caller; free with rt_store_close. NULL with err set. */
rt_store *rt_store_open(const rt_env *e, char *err, size_t errsz);

/* In all calls below, timeout_s < 0 means the environment's timeout (PIPPY_TIMEOUT). Each
 * returns 0, or -1 with rt_store_error(s) set. */

/* key = value (len <= RT_STORE_MAX_VALUE bytes, any bytes). Wakes waiters on key. */
int rt_store_set(rt_store *s, const char *key, const void *val, size_t len);
/* Waits until key exists, then copies its value into buf (up to cap bytes; a longer value
 * is an error) and its length into *len. */
int rt_store_get(rt_store *s, const char *key, void *buf, size_t cap, size_t *len,
                 double timeout_s);
/* Waits until key exists. A timeout is an error: "... timed out after 5 s waiting for
 * key 'x' in the store". */
int rt_store_wait(rt_store *s, const char *key, double timeout_s);
/* Atomically key += delta (a missing key counts as 0; the value is kept as decimal text, as
 * torch's TCPStore does) and sets *value to the result. */
int rt_store_add(rt_store *s, const char *key, int64_t delta, int64_t *value);
/* Waits until all world_size ranks have called rt_store_barrier with this name (all ranks
 * must call barriers in the same order). A timeout is an error saying how many came:
 * "rank 0: rendezvous 'join' timed out after 30 s: 3 of 4 ranks joined". */
int rt_store_barrier(rt_store *s, const char *name, double timeout_s);
/* The last error, "" if none. Owned by s. */
const char *rt_store_error(const rt_store *s);
/* 1 if the last error was the loss of a peer: the connection to the store (rank 0) closed,
 * reset or timed out, or a key or barrier that other ranks should have set timed out. */
int rt_store_error_peer(const rt_store *s);
/* Closes the client. On rank 0 also stops the server, after waiting (a few seconds at most)
 * for the other ranks to close theirs; call a barrier before, so they are done with it. */
void rt_store_close(rt_store *s);

/* ---- tensor transports ---- */

typedef struct rt_transport rt_transport;

/* A pending isend; transports extend it (the base must come first). */
typedef struct rt_req {
    rt_transport *t;
} rt_req;

/* One way of moving bytes between ranks. All calls: 0, or -1 with t->err set. Messages on a
 * link (this rank, peer) arrive in the order they were sent; recv takes the next one and
 * fails if its tag or length is not the expected one. timeout_s < 0: PIPPY_TIMEOUT. */
struct rt_transport {
    const char *name;   /* "tcp", ... */
    int rank;           /* this rank */
    /* Blocking send: returns when buf may be reused. */
    int (*send)(rt_transport *t, int peer, uint32_t tag, const void *buf, size_t len);
    /* Blocks until the next message from peer is in buf. Also fails (err_peer 1, naming
     * the other peer) when a peer on another link is lost meanwhile: it hung up, or a send
     * to it failed that the caller has not been told of. Of several, a peer that went
     * without an abort (where a failure began) is named before one that gave up after it,
     * and then the one lost first. */
    int (*recv)(rt_transport *t, int peer, uint32_t tag, void *buf, size_t len,
                double timeout_s);
    /* Starts a send and returns at once with *req set; buf must stay valid and unchanged
     * until wait(req) returns. Every req must be waited for exactly once. */
    int (*isend)(rt_transport *t, int peer, uint32_t tag, const void *buf, size_t len,
                 rt_req **req);
    /* Waits for a send to finish and frees req. Bounded by the transport's timeout. */
    int (*wait)(rt_transport *t, rt_req *req);
    /* Waits for queued sends (bounded), closes every link and frees t. */
    void (*close)(rt_transport *t);
    /* This rank gives up because it lost a peer, the failure having begun at rank root (-1:
     * unknown): tells every peer still linked, so that they name root too. No send starts
     * after it; bounded by a fraction of a second. NULL if the transport cannot. */
    void (*abort)(rt_transport *t, int root);
    char err[512];
    int err_peer;       /* with err: 1 if it is the loss of the peer (closed, reset, refused,
                           silent past the timeout), 0 if this rank's own error */
    int err_root;       /* with err_peer: the rank where the failure began, as far as this
                           rank knows: the lost peer itself, or the rank a peer that gave up
                           said it began at (its abort); -1 if unknown */
};

/* The TCP transport: listens on an ephemeral port of the address this host uses to reach
 * MASTER_ADDR (PIPPY_ADDR overrides it), publishes "addr:port" in the store under
 * "pippy/tcp/<rank>", and opens links on demand: of two ranks, the lower one dials. Every
 * link has a sender thread, so isend returns at once and the bytes move while the caller
 * computes; TCP_NODELAY; messages of any size are streamed straight from and into the
 * caller's buffers. The store must outlive the transport. Owned by the caller; free with
 * t->close(t). NULL with err set; a failure in the store sets rt_store_error_peer(s). */
rt_transport *rt_tcp_open(const rt_env *e, rt_store *s, char *err, size_t errsz);

/* ---- links: the transport chosen per peer ---- */

typedef struct rt_comm rt_comm;

/* Every link starts on dflt (may be NULL: then set each link before use). The transports
 * stay owned by the caller and must outlive c; free c with rt_comm_free. */
rt_comm *rt_comm_new(int rank, int world_size, rt_transport *dflt);
void rt_comm_set_link(rt_comm *c, int peer, rt_transport *t);
rt_transport *rt_comm_link(const rt_comm *c, int peer);
/* As the transport's calls, on the link to peer; 0, or -1 with rt_comm_error(c) set. */
int rt_comm_send(rt_comm *c, int peer, uint32_t tag, const void *buf, size_t len);
int rt_comm_recv(rt_comm *c, int peer, uint32_t tag, void *buf, size_t len, double timeout_s);
int rt_comm_isend(rt_comm *c, int peer, uint32_t tag, const void *buf, size_t len, rt_req **r);
int rt_comm_wait(rt_comm *c, rt_req *r);
const char *rt_comm_error(const rt_comm *c);
/* 1 if the last error was the loss of the peer (the transport's err_peer), 0 if not. */
int rt_comm_error_peer(const rt_comm *c);
/* With rt_comm_error_peer: the rank where the failure began (err_root), -1 if unknown. */
int rt_comm_error_root(const rt_comm *c);
/* Before this rank exits for the loss of a peer: the transports' abort on every link, so
 * that the peers name root (-1: unknown) as where the failure began. Bounded. */
void rt_comm_abort(rt_comm *c, int root);
void rt_comm_free(rt_comm *c);

#endif
