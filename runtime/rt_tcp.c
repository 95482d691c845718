/* rt_tcp.c - the TCP tensor transport.
 *
 * Each rank listens on an ephemeral port and publishes "addr:port" in the store under
 * "pippy/tcp/<rank>". A link between ranks a < b is opened on demand by a, which dials b
 * and sends a hello; b's acceptor thread checks it and installs the socket. So there is one
 * connection per pair, whoever needs it first.
 *
 *   hello  [u32 HELLO_MAGIC][u16 version][u32 from][u32 to][u8 n][64 bytes job id, padded]
 *   frame  [u32 FRAME_MAGIC][u32 tag][u64 length][length bytes]
 *
 * Sends go through a sender thread per link (a FIFO of requests), so isend returns at once
 * and the bytes move while the caller computes; the payload is written straight from the
 * caller's buffer and read straight into the receiver's. Every socket wait is a poll()
 * bounded by the timeout, renewed while bytes keep moving; a failure on a link is sticky
 * (the stream is out of step afterwards) and every later call on it reports it, with its
 * kind (err_peer): the peer gone or silent, or this rank's own error.
 *
 * While a recv waits for a message it also watches every other healthy link for a hangup,
 * and it reports (once) a peer lost on another link that the caller has not been told of
 * yet (a send that failed in a sender thread). So a peer that dies is named by every rank
 * linked to it, at once, not only by the ranks that read from it: its producer would
 * otherwise wait until the failure came round the pipeline, and name whichever rank
 * brought it. Links close only when a rank fails or after the job's last barrier, so a
 * hangup during a recv always means a lost peer.
 *
 * A rank that gives up because it lost a peer ends each of its links with an abort frame
 * naming the rank where the failure began (tcp_abort), so its peers can tell it from the
 * rank that failed first, which went without one: when several links have hung up by the
 * time a recv looks (the rank was computing while the failure spread), a link that ended
 * without an abort is named first, else the rank an abort names. Between links of the same
 * kind, the one that hung up first: the acceptor thread, always waiting in poll(), also
 * watches every link and numbers the hangups in the order it sees them (an order the
 * kernel can blur when a socket is busy, which is why the aborts decide first).
 *
 *   abort  [u32 ABORT_MAGIC][u32 root rank or 0xffffffff][u64 0]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* POLLRDHUP */
#endif
#include "rt_comm.h"
#include "rt_comm_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HELLO_MAGIC 0x50505448u /* "PPTH" */
#define FRAME_MAGIC 0x50505446u /* "PPTF" */
#define ABORT_MAGIC 0x50505441u /* "PPTA" */
#define ABORT_WAIT 0.2          /* how long tcp_abort waits for a send under way */
#define PEEK_BYTES 65536        /* how far a hung-up link is searched for an abort */
#define NO_ABORT (-2)           /* peek_abort: the link ended without one */
#define HELLO_LEN (4 + 2 + 4 + 4 + 1 + 64)
#define FRAME_HDR 16
#define CHUNK ((size_t)4 << 20) /* the timeout is renewed after each chunk */
#define MAX_PENDING 64          /* accepted connections that have not said hello yet */
#define HELLO_TIMEOUT 10.0

typedef struct tcp_req {
    rt_req base;
    int peer;
    uint32_t tag;
    const void *buf;
    size_t len;
    int done, rc;
    char err[sizeof(((rt_transport *)0)->err)];
    int err_peer;          /* with err: the peer's loss, not our error */
    int err_root;          /* ... which began at this rank (-1: unknown) */
    struct tcp_req *next;
} tcp_req;

typedef struct tlink {
    int fd;                /* -1 until up */
    int dialing;           /* a thread is dialing this peer */
    char failed[400];      /* sticky: why the link is unusable; "" while healthy */
    int failed_peer;       /* with failed: 1 if the peer is gone or silent */
    int failed_root;       /* ... the rank where that began (-1: unknown) */
    int sending;           /* the sender thread is writing a frame */
    int aborted;           /* tcp_abort ran: no send starts */
    int failed_told;       /* the caller has had failed from a call (recv, isend, wait) */
    unsigned hup_seq;      /* the acceptor saw the peer hang up, as the hup_seq'th (0: not) */
    int hup_err;           /* ... with this socket error (0: it closed) */
    int has_thread, stop;
    pthread_t th;
    tcp_req *qh, *qt;      /* sends not yet started */
} tlink;

typedef struct tcp {
    rt_transport base;
    rt_env env;
    rt_store *store;
    int lfd, wake[2];
    pthread_t acc;
    int has_acc;
    pthread_mutex_t mu;
    pthread_cond_t cv;     /* on the monotonic clock */
    tlink *links;
    tcp_req *free_reqs;
    struct pollfd *wpf;    /* recv's watch (world_size entries; the recv thread's own) */
    int *wpeer;            /* the peer of each wpf entry */
    unsigned hup_count;    /* hangups the acceptor has seen */
    uint8_t *peekbuf;      /* PEEK_BYTES, for peek_abort (the recv thread's) */
} tcp;

#define HUP_WAIT 0.05      /* how long a recv that sees a hangup waits for the acceptor's
                              order of it (the acceptor is normally faster) */

typedef struct sender_arg {
    tcp *t;
    int peer;
} sender_arg;

static void cv_wait_until(tcp *t, double deadline)
{
    double d = deadline;
    struct timespec ts;
    ts.tv_sec = (time_t)d;
    ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
    pthread_cond_timedwait(&t->cv, &t->mu, &ts);
}

/* Marks the link failed (first reason and its kind win) and wakes waiters. root: where a
 * lost peer's failure began (the peer itself unless its abort said otherwise). Holds t->mu. */
static void link_fail_locked(tcp *t, int peer, const char *why, int peer_lost, int root)
{
    tlink *l = &t->links[peer];
    if (!l->failed[0]) {
        snprintf(l->failed, sizeof l->failed, "%s", why);
        l->failed_peer = peer_lost;
        l->failed_root = peer_lost ? root : -1;
    }
    if (l->fd >= 0) shutdown(l->fd, SHUT_RDWR);  /* the fd is closed in close() */
    pthread_cond_broadcast(&t->cv);
}

/* Marks the link failed, then copies its sticky reason, kind and root to err, *err_peer,
 * *err_root. told: err goes to the caller now (not to a request a sender thread ends). */
static void link_fail_report(tcp *t, int peer, const char *why, int peer_lost, int root,
                             char *err, size_t n, int *err_peer, int *err_root, int told)
{
    pthread_mutex_lock(&t->mu);
    link_fail_locked(t, peer, why, peer_lost, root);
    snprintf(err, n, "%s", t->links[peer].failed);
    *err_peer = t->links[peer].failed_peer;
    *err_root = t->links[peer].failed_root;
    if (told) t->links[peer].failed_told = 1;
    pthread_mutex_unlock(&t->mu);
}

/* The caller is being told that the link to peer failed. */
static void link_told(tcp *t, int peer)
{
    pthread_mutex_lock(&t->mu);
    if (t->links[peer].failed[0]) t->links[peer].failed_told = 1;
    pthread_mutex_unlock(&t->mu);
}

/* Dials peer (> this rank) and sends the hello: the fd, or -1 with why and *peer_lost
 * set. */
static int dial(tcp *t, int peer, double deadline, char *why, size_t n, int *peer_lost)
{
    char key[64], addr[300], host[280], msg[300];
    size_t alen;
    snprintf(key, sizeof key, "pippy/tcp/%d", peer);
    double left = deadline - rt_now();
    if (rt_store_get(t->store, key, addr, sizeof addr - 1, &alen, left > 0 ? left : 0)) {
        snprintf(why, n, "rank %d: cannot find the address of peer rank %d: %s", t->env.rank,
                 peer, rt_store_error(t->store));
        *peer_lost = rt_store_error_peer(t->store);
        return -1;
    }
    addr[alen] = 0;
    char *colon = strrchr(addr, ':');
    int port = colon ? atoi(colon + 1) : 0;
    if (!colon || port <= 0 || port > 65535 || (size_t)(colon - addr) >= sizeof host) {
        snprintf(why, n, "rank %d: bad address '%s' for peer rank %d in the store",
                 t->env.rank, addr, peer);
        *peer_lost = 0;
        return -1;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = 0;
    /* the peer listened before it published its address: a refusal means it is gone */
    int fd = rt_net_dial(host, port, deadline, 0, msg, sizeof msg);
    if (fd < 0) {
        *peer_lost = rt_net_peer_lost(RT_NET_ERR, errno);
        snprintf(why, n, "rank %d: cannot connect to peer rank %d: %s", t->env.rank, peer, msg);
        return -1;
    }
    uint8_t h[HELLO_LEN] = {0};
    size_t jn = strlen(t->env.job_id);
    rt_put_u32(h, HELLO_MAGIC);
    rt_put_u16(h + 4, RT_COMM_VERSION);
    rt_put_u32(h + 6, (uint32_t)t->env.rank);
    rt_put_u32(h + 10, (uint32_t)peer);
    h[14] = (uint8_t)jn;
    memcpy(h + 15, t->env.job_id, jn);
    int rc = rt_net_write(fd, h, sizeof h, deadline);
    if (rc) {
        int e = errno;
        *peer_lost = rt_net_peer_lost(rc, e);
        snprintf(why, n, "rank %d: peer rank %d %s during the handshake", t->env.rank, peer,
                 rt_net_what(rc, e));
        close(fd);
        return -1;
    }
    return fd;
}

/* The socket of the link to peer, opening it if need be: this rank dials a higher peer and
 * waits for a lower one to dial it. -1 with why, *peer_lost and *root set. */
static int link_fd(tcp *t, int peer, double deadline, char *why, size_t n, int *peer_lost,
                   int *root)
{
    tlink *l = &t->links[peer];
    *root = peer;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        if (l->failed[0]) {
            snprintf(why, n, "%s", l->failed);
            *peer_lost = l->failed_peer;
            *root = l->failed_root;
            pthread_mutex_unlock(&t->mu);
            return -1;
        }
        if (l->fd >= 0) {
            int fd = l->fd;
            pthread_mutex_unlock(&t->mu);
            return fd;
        }
        if (l->stop) {
            snprintf(why, n, "rank %d: the transport was closed", t->env.rank);
            *peer_lost = 0;
            pthread_mutex_unlock(&t->mu);
            return -1;
        }
        if (peer > t->env.rank && !l->dialing) break;
        if (rt_now() >= deadline) {
            char secs[32];
            snprintf(why, n, "rank %d: timed out after %s s waiting for peer rank %d to "
                     "connect (PIPPY_TIMEOUT)", t->env.rank,
                     rt_fmt_secs(t->env.timeout_s, secs, sizeof secs), peer);
            *peer_lost = 1;
            pthread_mutex_unlock(&t->mu);
            return -1;
        }
        cv_wait_until(t, deadline);
    }
    l->dialing = 1;
    pthread_mutex_unlock(&t->mu);
    int fd = dial(t, peer, deadline, why, n, peer_lost);
    pthread_mutex_lock(&t->mu);
    l->dialing = 0;
    if (fd >= 0) l->fd = fd;
    else link_fail_locked(t, peer, why, *peer_lost, peer);
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    if (fd >= 0 && write(t->wake[1], "n", 1) < 0) { /* full: the acceptor is awake anyway */ }
    return fd;
}

/* Whether the unread bytes of a link that hung up (fd) end with an abort frame: its root
 * (-1: unknown), or NO_ABORT. They start at a frame boundary when no recv is reading the
 * link (only a recv reads, whole frames at a time), so frames before the abort are stepped
 * over, as far as buf (cap bytes) reaches. */
static int peek_abort_fd(int fd, uint8_t *buf, size_t cap, int world)
{
    ssize_t n = fd < 0 ? -1 : recv(fd, buf, cap, MSG_PEEK | MSG_DONTWAIT);
    size_t off = 0;
    while (n > 0 && off + FRAME_HDR <= (size_t)n) {
        uint32_t magic = rt_get_u32(buf + off);
        if (magic == ABORT_MAGIC) {
            uint32_t root = rt_get_u32(buf + off + 4);
            return root < (uint32_t)world ? (int)root : -1;
        }
        uint64_t len = rt_get_u64(buf + off + 8);
        if (magic != FRAME_MAGIC || len > cap) break;
        off += FRAME_HDR + (size_t)len;
    }
    return NO_ABORT;
}

/* Writes len bytes in chunks, renewing the timeout while bytes flow. */
static int stream_out(tcp *t, int fd, const void *buf, size_t len, double first_deadline)
{
    const uint8_t *p = buf;
    double deadline = first_deadline;
    while (len > 0) {
        size_t c = len < CHUNK ? len : CHUNK;
        int rc = rt_net_write(fd, p, c, deadline);
        if (rc) return rc;
        p += c;
        len -= c;
        deadline = rt_now() + t->env.timeout_s;
    }
    return 0;
}

static int do_send(tcp *t, tcp_req *r)
{
    char why[400];
    double deadline = rt_now() + t->env.timeout_s;
    int fd = link_fd(t, r->peer, deadline, why, sizeof why, &r->err_peer, &r->err_root);
    if (fd < 0) {
        snprintf(r->err, sizeof r->err, "%s", why);
        return -1;
    }
    uint8_t h[FRAME_HDR];
    rt_put_u32(h, FRAME_MAGIC);
    rt_put_u32(h + 4, r->tag);
    rt_put_u64(h + 8, (uint64_t)r->len);
    int rc = rt_net_write(fd, h, sizeof h, deadline);
    if (!rc) rc = stream_out(t, fd, r->buf, r->len, deadline);
    if (rc) {
        int e = errno;
        char secs[32];
        if (rc == RT_NET_TIMEOUT)
            snprintf(why, sizeof why, "rank %d: timed out after %s s sending tag %u (%zu bytes) "
                     "to peer rank %d: it does not read (PIPPY_TIMEOUT)", t->env.rank,
                     rt_fmt_secs(t->env.timeout_s, secs, sizeof secs), r->tag, r->len, r->peer);
        else
            snprintf(why, sizeof why, "rank %d: peer rank %d %s (sending tag %u, %zu bytes)",
                     t->env.rank, r->peer, rt_net_what(rc, e), r->tag, r->len);
        /* a peer that gave up left an abort on the link: name where its failure began */
        uint8_t pb[4096];
        int root = rc == RT_NET_TIMEOUT ? NO_ABORT : peek_abort_fd(fd, pb, sizeof pb,
                                                                   t->env.world_size);
        if (root >= 0)
            snprintf(why, sizeof why, "rank %d: peer rank %d gave up: the failure began at "
                     "rank %d (sending tag %u to it)", t->env.rank, r->peer, root, r->tag);
        else if (root == -1)
            snprintf(why, sizeof why, "rank %d: peer rank %d gave up after losing a peer "
                     "(sending tag %u to it)", t->env.rank, r->peer, r->tag);
        link_fail_report(t, r->peer, why, rt_net_peer_lost(rc, e),
                         root == NO_ABORT ? r->peer : root, r->err, sizeof r->err,
                         &r->err_peer, &r->err_root, 0);
        return -1;
    }
    return 0;
}

static void *sender_main(void *arg)
{
    sender_arg *a = arg;
    tcp *t = a->t;
    tlink *l = &t->links[a->peer];
    free(a);
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (!l->qh && !l->stop) pthread_cond_wait(&t->cv, &t->mu);
        if (!l->qh) break;
        tcp_req *r = l->qh;
        l->qh = r->next;
        if (!l->qh) l->qt = NULL;
        if (l->aborted) {  /* this rank gives up: the link ends with its abort frame */
            snprintf(r->err, sizeof r->err, "rank %d: the transport was aborted", t->env.rank);
            r->err_peer = 0;
            r->rc = -1;
            r->done = 1;
            pthread_cond_broadcast(&t->cv);
            continue;
        }
        l->sending = 1;
        pthread_mutex_unlock(&t->mu);
        int rc = do_send(t, r);
        pthread_mutex_lock(&t->mu);
        l->sending = 0;
        r->rc = rc;
        r->done = 1;
        pthread_cond_broadcast(&t->cv);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

static int tcp_isend(rt_transport *bt, int peer, uint32_t tag, const void *buf, size_t len,
                     rt_req **req)
{
    tcp *t = (tcp *)bt;
    *req = NULL;
    if (peer < 0 || peer >= t->env.world_size || peer == t->env.rank) {
        snprintf(bt->err, sizeof bt->err, "rank %d: send to rank %d: no such peer (world size "
                 "%d)", t->env.rank, peer, t->env.world_size);
        bt->err_peer = 0;
        return -1;
    }
    tlink *l = &t->links[peer];
    pthread_mutex_lock(&t->mu);
    if (l->failed[0]) {
        snprintf(bt->err, sizeof bt->err, "%s", l->failed);
        bt->err_peer = l->failed_peer;
        bt->err_root = l->failed_root;
        l->failed_told = 1;
        pthread_mutex_unlock(&t->mu);
        return -1;
    }
    tcp_req *r = t->free_reqs;
    if (r) t->free_reqs = r->next;
    else if (!(r = malloc(sizeof *r))) {
        pthread_mutex_unlock(&t->mu);
        snprintf(bt->err, sizeof bt->err, "rank %d: out of memory", t->env.rank);
        bt->err_peer = 0;
        return -1;
    }
    memset(r, 0, sizeof *r);
    r->base.t = bt;
    r->peer = peer;
    r->tag = tag;
    r->buf = buf;
    r->len = len;
    if (!l->has_thread) {
        sender_arg *a = malloc(sizeof *a);
        if (!a || (a->t = t, a->peer = peer, pthread_create(&l->th, NULL, sender_main, a))) {
            free(a);
            r->next = t->free_reqs;
            t->free_reqs = r;
            pthread_mutex_unlock(&t->mu);
            snprintf(bt->err, sizeof bt->err, "rank %d: cannot start a sender thread",
                     t->env.rank);
            bt->err_peer = 0;
            return -1;
        }
        l->has_thread = 1;
    }
    if (l->qt) l->qt->next = r;
    else l->qh = r;
    l->qt = r;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    *req = &r->base;
    return 0;
}

static int tcp_wait(rt_transport *bt, rt_req *req)
{
    tcp *t = (tcp *)bt;
    tcp_req *r = (tcp_req *)req;
    /* The sender's I/O is bounded by the timeout; this bound only guards against a bug. */
    double deadline = rt_now() + 3 * t->env.timeout_s + 10;
    pthread_mutex_lock(&t->mu);
    while (!r->done && rt_now() < deadline) cv_wait_until(t, deadline);
    int rc = r->done ? r->rc : -1;
    if (!r->done) {
        snprintf(bt->err, sizeof bt->err, "rank %d: send to peer rank %d never finished",
                 t->env.rank, r->peer);
        bt->err_peer = 0;
    } else if (rc) {
        snprintf(bt->err, sizeof bt->err, "%s", r->err);
        bt->err_peer = r->err_peer;
        bt->err_root = r->err_root;
        if (t->links[r->peer].failed[0]) t->links[r->peer].failed_told = 1;
    }
    if (r->done) {
        r->next = t->free_reqs;
        t->free_reqs = r;
    }
    pthread_mutex_unlock(&t->mu);
    return rc ? -1 : 0;
}

static int tcp_send(rt_transport *bt, int peer, uint32_t tag, const void *buf, size_t len)
{
    rt_req *r;
    if (tcp_isend(bt, peer, tag, buf, len, &r)) return -1;
    return tcp_wait(bt, r);
}

/* peek_abort_fd on the link to i, from the recv thread (which is not reading it). */
static int peek_abort(tcp *t, int i)
{
    return peek_abort_fd(t->links[i].fd, t->peekbuf, PEEK_BYTES, t->env.world_size);
}

/* The lost peer a recv from peer should report now, under t->mu, of the links (other than
 * peer's) that hung up or failed without the caller being told: first a link that ended
 * without an abort (where a failure began: *root = it), in the acceptor's order, then (if
 * unseen) a failure the caller was not told of, then a link that ended with an abort
 * (*root = the rank it names). -1: none, or peer's own link hung up first without one
 * (reading it reports that). *err: the hangup's socket error (0: closed), -1 when the link
 * already holds its reason. */
static int first_lost_locked(tcp *t, int peer, int unseen, int *err, int *root)
{
    int direct = -1, announced = -1, ann_root = -1;
    for (int i = 0; i < t->env.world_size; i++) {
        tlink *l = &t->links[i];
        if (!l->hup_seq || (l->failed[0] && (i == peer || l->failed_told))) continue;
        int ann = i == peer ? NO_ABORT : peek_abort(t, i);  /* peer's own abort is read */
        if (ann == NO_ABORT) {
            if (direct < 0 || l->hup_seq < t->links[direct].hup_seq) direct = i;
        } else if (announced < 0 || l->hup_seq < t->links[announced].hup_seq) {
            announced = i;
            ann_root = ann;
        }
    }
    if (direct >= 0) {
        *err = t->links[direct].failed[0] ? -1 : t->links[direct].hup_err;
        *root = direct;
        return direct == peer ? -1 : direct;
    }
    for (int i = 0; unseen && i < t->env.world_size; i++) {
        tlink *l = &t->links[i];
        if (i != peer && l->failed[0] && l->failed_peer && !l->failed_told) {
            *err = -1;
            *root = l->failed_root;
            return i;
        }
    }
    if (announced >= 0) {
        *err = t->links[announced].failed[0] ? -1 : 0;
        *root = ann_root;
        return announced;
    }
    return -1;
}

/* A lost peer as a recv reports it: gone, its socket error or -1, and root. */
typedef struct lost {
    int gone, err, root;
} lost;

/* Waits until the link to peer (fd) can be read, watching the other links meanwhile.
 * 0: fd is readable (bytes or EOF); RT_NET_TIMEOUT at deadline; RT_NET_ERR (errno); or 1
 * with *out set: another peer that is lost (first_lost_locked). */
static int wait_readable(tcp *t, int peer, int fd, double deadline, lost *out)
{
    double hup_wait_until = 0;  /* a hangup seen here: until then, wait for its order */
    for (;;) {
        int np = 0;
        t->wpf[np++] = (struct pollfd){.fd = fd, .events = POLLIN};
        pthread_mutex_lock(&t->mu);
        out->gone = first_lost_locked(t, peer, 1, &out->err, &out->root);
        if (out->gone >= 0) {
            pthread_mutex_unlock(&t->mu);
            return 1;
        }
        if (t->links[peer].hup_seq) {  /* the peer read from hung up first */
            pthread_mutex_unlock(&t->mu);
            return 0;
        }
        for (int i = 0; i < t->env.world_size; i++) {
            tlink *l = &t->links[i];
            if (i == peer || l->fd < 0 || l->failed[0] || l->hup_seq) continue;
            t->wpeer[np] = i;
            t->wpf[np++] = (struct pollfd){.fd = l->fd, .events = POLLRDHUP};
        }
        if (hup_wait_until > 0 && rt_now() < hup_wait_until) {
            /* hangups the acceptor has not numbered yet: give it a moment */
            cv_wait_until(t, hup_wait_until);
            pthread_mutex_unlock(&t->mu);
            continue;
        }
        pthread_mutex_unlock(&t->mu);
        /* at most 250 ms at a time: a link that came up meanwhile may have hung up since */
        int ms = rt_poll_ms(deadline);
        int n = poll(t->wpf, (nfds_t)np, ms < 250 ? ms : 250);
        if (n < 0 && errno != EINTR) return RT_NET_ERR;
        int hung = -1;
        for (int j = 1; n > 0 && j < np && hung < 0; j++)
            if (t->wpf[j].revents & (POLLRDHUP | POLLHUP | POLLERR)) hung = j;
        if (hung >= 0) {
            if (hup_wait_until == 0) {
                hup_wait_until = rt_now() + HUP_WAIT;
                continue;
            }
            /* the acceptor did not number it in time: report this one */
            int e = 0;
            socklen_t el = sizeof e;
            if (t->wpf[hung].revents & POLLERR)
                getsockopt(t->wpf[hung].fd, SOL_SOCKET, SO_ERROR, &e, &el);
            out->gone = t->wpeer[hung];
            out->err = e;
            pthread_mutex_lock(&t->mu);
            int ann = peek_abort(t, out->gone);
            pthread_mutex_unlock(&t->mu);
            out->root = ann == NO_ABORT ? out->gone : ann;
            return 1;
        }
        if (n > 0 && t->wpf[0].revents) return 0;  /* bytes, or peer's EOF: read it */
        if (rt_now() >= deadline) return RT_NET_TIMEOUT;
    }
}

/* The link to peer just ended without an abort (EOF, reset): another lost peer to report
 * before it (first_lost_locked, waiting HUP_WAIT at most for the acceptor to number this
 * hangup), or -1. */
static int lost_before(tcp *t, int peer, lost *out)
{
    double until = rt_now() + HUP_WAIT;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        int seen = t->links[peer].hup_seq != 0, late = rt_now() >= until;
        out->gone = first_lost_locked(t, peer, late, &out->err, &out->root);
        if (out->gone >= 0 || seen || late) break;
        cv_wait_until(t, until);
    }
    pthread_mutex_unlock(&t->mu);
    return out->gone;
}

/* Reads exactly len bytes from the link to peer before deadline, watching the other links
 * whenever it has to wait (wait_readable), and on an EOF or reset asking whether another
 * peer is to be reported first (lost_before). RT_NET_OK, RT_NET_* (errno set), or 1 with
 * *out set. *done: bytes read. */
static int read_watch(tcp *t, int peer, int fd, void *buf, size_t len, double deadline,
                      lost *out, size_t *done)
{
    uint8_t *p = buf;
    *done = 0;
    while (*done < len) {
        ssize_t n = recv(fd, p + *done, len - *done, 0);
        if (n > 0) {
            *done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = wait_readable(t, peer, fd, deadline, out);
            if (rc) return rc;
            continue;
        }
        int e = n == 0 ? 0 : errno, rc = n == 0 ? RT_NET_EOF : RT_NET_ERR;
        if (rt_net_peer_lost(rc, e) && lost_before(t, peer, out) >= 0) return 1;
        errno = e;
        return rc;
    }
    return RT_NET_OK;
}

static int tcp_recv(rt_transport *bt, int peer, uint32_t tag, void *buf, size_t len,
                    double timeout_s)
{
    tcp *t = (tcp *)bt;
    char why[400], secs[32];
    int peer_lost = 0, root = peer, e = 0;
    double tmo = timeout_s < 0 ? t->env.timeout_s : timeout_s;
    double deadline = rt_now() + tmo;
    if (peer < 0 || peer >= t->env.world_size || peer == t->env.rank) {
        snprintf(bt->err, sizeof bt->err, "rank %d: receive from rank %d: no such peer (world "
                 "size %d)", t->env.rank, peer, t->env.world_size);
        bt->err_peer = 0;
        return -1;
    }
    int fd = link_fd(t, peer, deadline, why, sizeof why, &peer_lost, &root);
    if (fd < 0) {
        snprintf(bt->err, sizeof bt->err, "%s", why);
        bt->err_peer = peer_lost;
        bt->err_root = root;
        link_told(t, peer);
        return -1;
    }
    root = peer;
    uint8_t h[FRAME_HDR];
    lost lo = {-1, 0, -1};
    size_t done = 0, consumed = 0;  /* bytes of this message read from the link */
    /* Another peer lost first is reported even when this one's message is already here. */
    int rc = wait_readable(t, peer, fd, deadline, &lo);
    if (rc == 0) {
        rc = read_watch(t, peer, fd, h, sizeof h, deadline, &lo, &done);
        consumed += done;
    }
    e = errno;
    if (rc == 1) goto lost_other;
    if (rc == RT_NET_TIMEOUT) {
        snprintf(why, sizeof why, "rank %d: timed out after %s s waiting for tag %u (%zu bytes) "
                 "from peer rank %d (PIPPY_TIMEOUT)", t->env.rank,
                 rt_fmt_secs(tmo, secs, sizeof secs), tag, len, peer);
        peer_lost = 1;
        goto fail;
    }
    if (rc) goto io_fail;
    uint32_t magic = rt_get_u32(h), got_tag = rt_get_u32(h + 4);
    uint64_t got_len = rt_get_u64(h + 8);
    if (magic == ABORT_MAGIC) {  /* the peer gave up: name where its failure began */
        root = got_tag < (uint32_t)t->env.world_size ? (int)got_tag : -1;
        if (root >= 0)
            snprintf(why, sizeof why, "rank %d: peer rank %d gave up: the failure began at "
                     "rank %d (waiting for tag %u from it)", t->env.rank, peer, root, tag);
        else
            snprintf(why, sizeof why, "rank %d: peer rank %d gave up after losing a peer "
                     "(waiting for tag %u from it)", t->env.rank, peer, tag);
        peer_lost = 1;
        goto fail;
    }
    if (magic != FRAME_MAGIC) {
        snprintf(why, sizeof why, "rank %d: garbage from peer rank %d (bad frame magic "
                 "0x%08x): the stream is out of step", t->env.rank, peer, magic);
        goto fail;
    }
    if (got_tag != tag || got_len != (uint64_t)len) {
        snprintf(why, sizeof why, "rank %d: from peer rank %d: expected tag %u with %zu bytes, "
                 "got tag %u with %llu bytes", t->env.rank, peer, tag, len, got_tag,
                 (unsigned long long)got_len);
        goto fail;
    }
    /* the payload in chunks, the timeout renewed while bytes flow */
    for (size_t off = 0; off < len; off += done) {
        size_t c = len - off < CHUNK ? len - off : CHUNK;
        rc = read_watch(t, peer, fd, (uint8_t *)buf + off, c, rt_now() + t->env.timeout_s,
                        &lo, &done);
        consumed += done;
        if (rc) break;
    }
    e = errno;
    if (rc == 1) goto lost_other;
    if (rc == RT_NET_TIMEOUT) {
        snprintf(why, sizeof why, "rank %d: peer rank %d stalled for %s s in the middle of tag "
                 "%u (%zu bytes) (PIPPY_TIMEOUT)", t->env.rank, peer,
                 rt_fmt_secs(t->env.timeout_s, secs, sizeof secs), tag, len);
        peer_lost = 1;
        goto fail;
    }
    if (rc) goto io_fail;
    return 0;
io_fail:
    snprintf(why, sizeof why, "rank %d: peer rank %d %s (receiving tag %u, %zu bytes)",
             t->env.rank, peer, rt_net_what(rc, e), tag, len);
    peer_lost = rt_net_peer_lost(rc, e);
fail:  /* garbage and tag mismatches arrive here with peer_lost 0: this rank's error */
    link_fail_report(t, peer, why, peer_lost, root, bt->err, sizeof bt->err, &bt->err_peer,
                     &bt->err_root, 1);
    return -1;
lost_other:  /* another peer is lost: name it, and where its failure began */
    if (lo.root >= 0 && lo.root != lo.gone)
        snprintf(why, sizeof why, "rank %d: peer rank %d gave up: the failure began at rank %d "
                 "(seen while waiting for tag %u from peer rank %d)", t->env.rank, lo.gone,
                 lo.root, tag, peer);
    else
        snprintf(why, sizeof why, "rank %d: peer rank %d %s (seen while waiting for tag %u "
                 "from peer rank %d)", t->env.rank, lo.gone, lo.root < 0 ?
                 "gave up after losing a peer" : lo.err > 0 ? rt_net_what(RT_NET_ERR, lo.err) :
                 "closed the connection", tag, peer);
    if (consumed) {  /* part of the message was read: the link to peer is out of step */
        char ignore[sizeof bt->err];
        int k, kr;
        link_fail_report(t, peer, why, 1, lo.root, ignore, sizeof ignore, &k, &kr, 1);
    }
    /* a link already failed keeps its first reason, which is what the caller gets */
    link_fail_report(t, lo.gone, why, 1, lo.root, bt->err, sizeof bt->err, &bt->err_peer,
                     &bt->err_root, 1);
    return -1;
}

/* Ends every healthy link with an abort frame naming root, once the frame under way on it
 * (if any) is out; sends queued after it fail. Bounded by ABORT_WAIT. */
static void tcp_abort(rt_transport *bt, int root)
{
    tcp *t = (tcp *)bt;
    double deadline = rt_now() + ABORT_WAIT;
    uint8_t h[FRAME_HDR];
    rt_put_u32(h, ABORT_MAGIC);
    rt_put_u32(h + 4, root >= 0 ? (uint32_t)root : 0xffffffffu);
    rt_put_u64(h + 8, 0);
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < t->env.world_size; i++) t->links[i].aborted = 1;
    pthread_cond_broadcast(&t->cv);
    for (int i = 0; i < t->env.world_size; i++) {
        tlink *l = &t->links[i];
        while (l->sending && !l->failed[0] && rt_now() < deadline) cv_wait_until(t, deadline);
        if (l->fd < 0 || l->failed[0] || l->sending) continue;  /* mid-frame: cannot */
        int fd = l->fd;
        pthread_mutex_unlock(&t->mu);
        if (rt_net_write(fd, h, sizeof h, deadline)) { /* the peer is gone too */ }
        pthread_mutex_lock(&t->mu);
    }
    pthread_mutex_unlock(&t->mu);
}

/* ---- the acceptor: installs connections from lower ranks ---- */

typedef struct pending {
    int fd;
    size_t got;
    double deadline;
    uint8_t h[HELLO_LEN];
} pending;

/* A complete hello: install the socket or drop it. */
static void accept_hello(tcp *t, pending *p)
{
    const uint8_t *h = p->h;
    uint32_t from = rt_get_u32(h + 6), to = rt_get_u32(h + 10);
    size_t jn = h[14];
    int ok = rt_get_u32(h) == HELLO_MAGIC && rt_get_u16(h + 4) == RT_COMM_VERSION &&
             to == (uint32_t)t->env.rank && from < (uint32_t)t->env.rank &&
             jn == strlen(t->env.job_id) && memcmp(h + 15, t->env.job_id, jn) == 0;
    if (ok) {
        pthread_mutex_lock(&t->mu);
        tlink *l = &t->links[from];
        if (l->fd < 0 && !l->failed[0]) {
            l->fd = p->fd;
            p->fd = -1;
            pthread_cond_broadcast(&t->cv);
        }
        pthread_mutex_unlock(&t->mu);
    }
    if (p->fd >= 0) close(p->fd);  /* junk, another job, or a second connection */
    p->fd = -1;
}

/* Records that the link to peer hung up, numbering the hangups in the order seen. */
static void note_hangup(tcp *t, int peer, int fd, short revents)
{
    int e = 0;
    socklen_t el = sizeof e;
    if (revents & POLLERR) getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
    pthread_mutex_lock(&t->mu);
    tlink *l = &t->links[peer];
    if (!l->hup_seq && !l->failed[0]) {
        l->hup_seq = ++t->hup_count;
        l->hup_err = e;
        pthread_cond_broadcast(&t->cv);
    }
    pthread_mutex_unlock(&t->mu);
}

/* Accepts links from lower ranks, and watches every open link for a hangup (note_hangup):
 * this thread is always in poll(), so it sees hangups in the order they happen even while
 * the stage computes. */
static void *acceptor_main(void *arg)
{
    tcp *t = arg;
    pending pend[MAX_PENDING];
    int np = 0, world = t->env.world_size;
    struct pollfd fallback[MAX_PENDING + 2];
    struct pollfd *pf = malloc(sizeof *pf * (size_t)(MAX_PENDING + 2 + world));
    int *lpeer = malloc(sizeof *lpeer * (size_t)world);
    if (!pf || !lpeer) {  /* out of memory: accept all the same, watch no link */
        free(pf);
        free(lpeer);
        pf = fallback;
        lpeer = NULL;
        world = 0;
    }
    for (;;) {
        double now = rt_now(), next = now + 3600;
        for (int i = 0; i < np;) {
            if (now >= pend[i].deadline) {
                close(pend[i].fd);
                pend[i] = pend[--np];
                continue;
            }
            if (pend[i].deadline < next) next = pend[i].deadline;
            i++;
        }
        pf[0] = (struct pollfd){.fd = t->wake[0], .events = POLLIN};
        pf[1] = (struct pollfd){.fd = t->lfd, .events = POLLIN};
        for (int i = 0; i < np; i++) pf[i + 2] = (struct pollfd){.fd = pend[i].fd, .events = POLLIN};
        int nl = 0, base = np + 2;
        pthread_mutex_lock(&t->mu);
        for (int i = 0; i < world; i++) {
            tlink *l = &t->links[i];
            if (l->fd < 0 || l->failed[0] || l->hup_seq) continue;
            lpeer[nl] = i;
            pf[base + nl++] = (struct pollfd){.fd = l->fd, .events = POLLRDHUP};
        }
        pthread_mutex_unlock(&t->mu);
        int n = poll(pf, (nfds_t)(base + nl), rt_poll_ms(next));
        if (n < 0 && errno != EINTR) break;
        if (n <= 0) continue;
        if (pf[0].revents) {  /* "q": quit; "n": a link came up, watch it too */
            char b[64];
            ssize_t k = read(t->wake[0], b, sizeof b);
            if (k <= 0 || memchr(b, 'q', (size_t)k)) break;
        }
        for (int j = 0; j < nl; j++)
            if (pf[base + j].revents & (POLLRDHUP | POLLHUP | POLLERR))
                note_hangup(t, lpeer[j], pf[base + j].fd, pf[base + j].revents);
        int cnt = np;
        for (int i = cnt - 1; i >= 0; i--) {
            if (!pf[i + 2].revents) continue;
            pending *p = &pend[i];
            ssize_t r = recv(p->fd, p->h + p->got, HELLO_LEN - p->got, 0);
            if (r > 0) p->got += (size_t)r;
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR && errno != EWOULDBLOCK)) {
                close(p->fd);
                p->fd = -1;
            } else if (p->got == HELLO_LEN || (p->got >= 4 && rt_get_u32(p->h) != HELLO_MAGIC)) {
                accept_hello(t, p);
            }
            if (p->fd < 0) pend[i] = pend[--np];
        }
        if (pf[1].revents & POLLIN) {
            for (;;) {
                int fd = accept(t->lfd, NULL, NULL);
                if (fd < 0) break;
                if (np >= MAX_PENDING || rt_net_setup(fd)) {
                    close(fd);
                    continue;
                }
                pend[np++] = (pending){.fd = fd, .deadline = rt_now() + HELLO_TIMEOUT};
            }
        }
    }
    for (int i = 0; i < np; i++) close(pend[i].fd);
    if (pf != fallback) free(pf);
    free(lpeer);
    return NULL;
}

/* The address of this host's interface towards MASTER_ADDR (a UDP "connect" picks the
 * route; no packet is sent). PIPPY_ADDR overrides it. */
static int local_addr(const rt_env *e, char *out, size_t n, char *err, size_t errsz)
{
    const char *o = getenv("PIPPY_ADDR");
    if (o && *o) {
        snprintf(out, n, "%s", o);
        return 0;
    }
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    char why[256];
    if (rt_net_resolve(e->master_addr, e->master_port, &sa, why, sizeof why)) {
        snprintf(err, errsz, "rank %d: %s (MASTER_ADDR)", e->rank, why);
        return -1;
    }
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        getsockname(s, (struct sockaddr *)&sa, &sl) < 0 ||
        !inet_ntop(AF_INET, &sa.sin_addr, out, (socklen_t)n)) {
        snprintf(err, errsz, "rank %d: cannot find this host's address towards MASTER_ADDR=%s: "
                 "%s (set PIPPY_ADDR)", e->rank, e->master_addr, strerror(errno));
        if (s >= 0) close(s);
        return -1;
    }
    close(s);
    return 0;
}

static void tcp_close(rt_transport *bt)
{
    tcp *t = (tcp *)bt;
    if (!t) return;
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < t->env.world_size; i++) t->links[i].stop = 1;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    for (int i = 0; i < t->env.world_size; i++)
        if (t->links[i].has_thread) pthread_join(t->links[i].th, NULL);
    if (t->has_acc) {
        if (write(t->wake[1], "q", 1) == 1) pthread_join(t->acc, NULL);
    }
    for (int i = 0; i < t->env.world_size; i++)
        if (t->links[i].fd >= 0) close(t->links[i].fd);
    while (t->free_reqs) {
        tcp_req *r = t->free_reqs;
        t->free_reqs = r->next;
        free(r);
    }
    free(t->wpf);
    free(t->wpeer);
    free(t->peekbuf);
    if (t->lfd >= 0) close(t->lfd);
    if (t->wake[0] >= 0) close(t->wake[0]);
    if (t->wake[1] >= 0) close(t->wake[1]);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t->links);
    free(t);
}

rt_transport *rt_tcp_open(const rt_env *e, rt_store *s, char *err, size_t errsz)
{
    tcp *t = calloc(1, sizeof *t);
    if (!t || !(t->links = calloc((size_t)e->world_size, sizeof *t->links)) ||
        !(t->wpf = calloc((size_t)e->world_size, sizeof *t->wpf)) ||
        !(t->wpeer = calloc((size_t)e->world_size, sizeof *t->wpeer)) ||
        !(t->peekbuf = malloc(PEEK_BYTES))) {
        if (t) {
            free(t->links);
            free(t->wpf);
            free(t->wpeer);
        }
        free(t);
        snprintf(err, errsz, "rank %d: out of memory", e->rank);
        return NULL;
    }
    t->base.name = "tcp";
    t->base.rank = e->rank;
    t->base.send = tcp_send;
    t->base.recv = tcp_recv;
    t->base.isend = tcp_isend;
    t->base.wait = tcp_wait;
    t->base.close = tcp_close;
    t->base.abort = tcp_abort;
    t->env = *e;
    t->store = s;
    t->lfd = t->wake[0] = t->wake[1] = -1;
    for (int i = 0; i < e->world_size; i++) t->links[i].fd = -1;
    pthread_mutex_init(&t->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cv, &ca);
    pthread_condattr_destroy(&ca);

    char host[64], why[300], val[128];
    int port;
    if (local_addr(e, host, sizeof host, err, errsz)) goto fail;
    t->lfd = rt_net_listen(host, 0, &port, why, sizeof why);
    if (t->lfd < 0) {
        snprintf(err, errsz, "rank %d: tcp transport: %s", e->rank, why);
        goto fail;
    }
    if (pipe(t->wake) < 0 || fcntl(t->wake[1], F_SETFL, O_NONBLOCK) < 0 ||
        pthread_create(&t->acc, NULL, acceptor_main, t)) {
        snprintf(err, errsz, "rank %d: tcp transport: cannot start the acceptor thread", e->rank);
        goto fail;
    }
    t->has_acc = 1;
    snprintf(val, sizeof val, "%s:%d", host, port);
    char key[64];
    snprintf(key, sizeof key, "pippy/tcp/%d", e->rank);
    if (rt_store_set(s, key, val, strlen(val))) {
        snprintf(err, errsz, "%s", rt_store_error(s));
        goto fail;
    }
    return &t->base;
fail:
    tcp_close(&t->base);
    return NULL;
}
