/* rt_store.c - the rendezvous store (like torch's TCPStore): a server thread on rank 0 and
 * a synchronous client on every rank.
 *
 * Protocol (big-endian): frames [u32 length][payload]. The first frame on a connection is
 * the hello: [u32 RT_STORE_MAGIC][u16 version][u32 rank][u8 n][n bytes job id]; the server
 * answers with a reply frame and drops the connection if the job or version differ. Then
 * requests [u8 op][u16 n][n bytes key][args] and replies [u8 status][data]:
 *   SET   args: the value            reply OK
 *   GET   args: u32 timeout ms       reply OK + value, once the key exists, or TIMEOUT
 *   ADD   args: i64 delta            reply OK + i64 new value
 *   WAIT  args: u32 timeout ms       reply OK once the key exists, or TIMEOUT
 * ERROR replies carry a message. The server trusts nothing: a connection that sends a wrong
 * magic, an oversized length, a malformed request, or no hello within a few seconds is
 * closed; its single-threaded poll loop never blocks on one client.
 */
#include "rt_comm.h"
#include "rt_comm_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RT_STORE_MAGIC 0x50505354u /* "PPST" */
#define HELLO_MAX 256              /* a frame before the hello is this long at most */
#define HELLO_TIMEOUT 10.0         /* seconds a new connection has to say hello */
#define MAX_CONNS 1024
#define STOP_GRACE 5.0             /* rank 0's close waits this long for other clients */

enum { OP_SET = 1, OP_GET = 2, OP_ADD = 3, OP_WAIT = 4 };
enum { ST_OK = 0, ST_TIMEOUT = 1, ST_ERROR = 2 };

/* ---- server ---- */

typedef struct conn {
    int fd;
    int hello;                 /* handshake done */
    int dead, close_after;     /* drop now / after the output is flushed */
    double hello_deadline;
    uint8_t hdr[4];
    size_t hdr_got;
    uint8_t *in;               /* the frame being read */
    size_t in_len, in_got;
    uint8_t *out;              /* replies not yet written */
    size_t out_len, out_off;
    int waiting;               /* a parked GET or WAIT */
    uint8_t wait_op;
    char *wait_key;
    double wait_deadline;
} conn;

typedef struct kv {
    char *key;
    uint8_t *val;
    size_t len;
} kv;

typedef struct server {
    int lfd, wake[2];
    conn *c;
    int nc;
    kv *kv;
    int nkv, capkv;
    char job[RT_JOB_ID_MAX + 1];
    int stopping;
    double stop_deadline;
    pthread_t th;
} server;

static void conn_free(conn *c)
{
    if (c->fd >= 0) close(c->fd);
    free(c->in);
    free(c->out);
    free(c->wait_key);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

static kv *kv_find(server *s, const char *key)
{
    for (int i = 0; i < s->nkv; i++)
        if (strcmp(s->kv[i].key, key) == 0) return &s->kv[i];
    return NULL;
}

/* Sets key (copying val); NULL on out of memory. */
static kv *kv_set(server *s, const char *key, const uint8_t *val, size_t len)
{
    uint8_t *v = malloc(len ? len : 1);
    if (!v) return NULL;
    memcpy(v, val, len);
    kv *e = kv_find(s, key);
    if (!e) {
        if (s->nkv == s->capkv) {
            int cap = s->capkv ? s->capkv * 2 : 64;
            kv *n = realloc(s->kv, (size_t)cap * sizeof *n);
            if (!n) { free(v); return NULL; }
            s->kv = n;
            s->capkv = cap;
        }
        char *k = strdup(key);
        if (!k) { free(v); return NULL; }
        e = &s->kv[s->nkv++];
        e->key = k;
    } else {
        free(e->val);
    }
    e->val = v;
    e->len = len;
    return e;
}

/* Queues a reply [u32 len][u8 status][a][b]; a connection whose output grows past two
 * frames is not reading its replies and is dropped. */
static void reply(conn *c, uint8_t status, const void *a, size_t alen, const void *b, size_t blen)
{
    size_t n = 1 + alen + blen;
    if (c->dead) return;
    if (c->out_len - c->out_off + 4 + n > 2 * (size_t)RT_STORE_MAX_FRAME) {
        c->dead = 1;
        return;
    }
    if (c->out_off == c->out_len) c->out_off = c->out_len = 0;
    uint8_t *o = realloc(c->out, c->out_len + 4 + n);
    if (!o) { c->dead = 1; return; }
    c->out = o;
    uint8_t *p = o + c->out_len;
    rt_put_u32(p, (uint32_t)n);
    p[4] = status;
    if (alen) memcpy(p + 5, a, alen);
    if (blen) memcpy(p + 5 + alen, b, blen);
    c->out_len += 4 + n;
}

static void reply_msg(conn *c, uint8_t status, const char *msg)
{
    reply(c, status, msg, strlen(msg), NULL, 0);
}

/* Answers the parked waiters on key. */
static void wake_waiters(server *s, const char *key, const kv *e)
{
    for (int i = 0; i < s->nc; i++) {
        conn *c = &s->c[i];
        if (!c->waiting || c->dead || strcmp(c->wait_key, key)) continue;
        if (c->wait_op == OP_GET) reply(c, ST_OK, e->val, e->len, NULL, 0);
        else reply(c, ST_OK, NULL, 0, NULL, 0);
        c->waiting = 0;
        free(c->wait_key);
        c->wait_key = NULL;
    }
}

static void handle_hello(server *s, conn *c, const uint8_t *p, size_t n)
{
    if (n < 11 || rt_get_u32(p) != RT_STORE_MAGIC) { c->dead = 1; return; }
    unsigned ver = rt_get_u16(p + 4);
    size_t jn = p[10];
    if (n != 11 + jn || jn > RT_JOB_ID_MAX) { c->dead = 1; return; }
    char msg[256];
    if (ver != RT_COMM_VERSION) {
        snprintf(msg, sizeof msg, "protocol version %u, the store speaks version %d", ver,
                 RT_COMM_VERSION);
        reply_msg(c, ST_ERROR, msg);
        c->close_after = 1;
        return;
    }
    char job[RT_JOB_ID_MAX + 1];
    memcpy(job, p + 11, jn);
    job[jn] = 0;
    if (strcmp(job, s->job)) {
        snprintf(msg, sizeof msg, "job id mismatch: this store serves job '%s', the client "
                 "belongs to job '%s' (PIPPY_JOB_ID)", s->job, job);
        reply_msg(c, ST_ERROR, msg);
        c->close_after = 1;
        return;
    }
    c->hello = 1;
    reply(c, ST_OK, NULL, 0, NULL, 0);
}

static void handle_request(server *s, conn *c, const uint8_t *p, size_t n)
{
    if (c->waiting || n < 3) { c->dead = 1; return; }
    uint8_t op = p[0];
    size_t kn = rt_get_u16(p + 1);
    if (kn == 0 || kn > RT_STORE_MAX_KEY || 3 + kn > n) { c->dead = 1; return; }
    char key[RT_STORE_MAX_KEY + 1];
    memcpy(key, p + 3, kn);
    key[kn] = 0;
    if (strlen(key) != kn) { c->dead = 1; return; } /* a NUL inside the key */
    const uint8_t *a = p + 3 + kn;
    size_t an = n - 3 - kn;
    kv *e;
    switch (op) {
    case OP_SET:
        if (an > RT_STORE_MAX_VALUE) { c->dead = 1; return; }
        if (!(e = kv_set(s, key, a, an))) { reply_msg(c, ST_ERROR, "store out of memory"); return; }
        reply(c, ST_OK, NULL, 0, NULL, 0);
        wake_waiters(s, key, e);
        return;
    case OP_ADD: {
        if (an != 8) { c->dead = 1; return; }
        int64_t delta = (int64_t)rt_get_u64(a), cur = 0;
        e = kv_find(s, key);
        if (e) {
            char num[32];
            char *end;
            if (e->len == 0 || e->len >= sizeof num) goto not_int;
            memcpy(num, e->val, e->len);
            num[e->len] = 0;
            errno = 0;
            cur = strtoll(num, &end, 10);
            if (errno || *end) goto not_int;
        }
        if ((delta > 0 && cur > INT64_MAX - delta) || (delta < 0 && cur < INT64_MIN - delta)) {
            reply_msg(c, ST_ERROR, "add overflows int64");
            return;
        }
        cur += delta;
        char num[32];
        int len = snprintf(num, sizeof num, "%" PRId64, cur);
        if (!(e = kv_set(s, key, (const uint8_t *)num, (size_t)len))) {
            reply_msg(c, ST_ERROR, "store out of memory");
            return;
        }
        uint8_t v[8];
        rt_put_u64(v, (uint64_t)cur);
        reply(c, ST_OK, v, 8, NULL, 0);
        wake_waiters(s, key, e);
        return;
    not_int:
        reply_msg(c, ST_ERROR, "add on a key whose value is not an integer");
        return;
    }
    case OP_GET:
    case OP_WAIT:
        if (an != 4) { c->dead = 1; return; }
        e = kv_find(s, key);
        if (e) {
            if (op == OP_GET) reply(c, ST_OK, e->val, e->len, NULL, 0);
            else reply(c, ST_OK, NULL, 0, NULL, 0);
            return;
        }
        if (!(c->wait_key = strdup(key))) { reply_msg(c, ST_ERROR, "store out of memory"); return; }
        c->waiting = 1;
        c->wait_op = op;
        c->wait_deadline = rt_now() + rt_get_u32(a) / 1000.0;
        return;
    default:
        c->dead = 1;
        return;
    }
}

/* Reads what is there; handles every complete frame. */
static void conn_read(server *s, conn *c)
{
    for (;;) {
        if (c->hdr_got < 4) {
            ssize_t n = recv(c->fd, c->hdr + c->hdr_got, 4 - c->hdr_got, 0);
            if (n == 0) { c->dead = 1; return; }
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK) c->dead = 1;
                return;
            }
            c->hdr_got += (size_t)n;
            if (c->hdr_got < 4) continue;
            size_t len = rt_get_u32(c->hdr);
            size_t max = c->hello ? RT_STORE_MAX_FRAME : HELLO_MAX;
            if (len == 0 || len > max) { c->dead = 1; return; }
            if (!(c->in = malloc(len))) { c->dead = 1; return; }
            c->in_len = len;
            c->in_got = 0;
        }
        ssize_t n = recv(c->fd, c->in + c->in_got, c->in_len - c->in_got, 0);
        if (n == 0) { c->dead = 1; return; }
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) c->dead = 1;
            return;
        }
        c->in_got += (size_t)n;
        if (c->in_got < c->in_len) continue;
        if (c->close_after) c->dead = 1;  /* talking on after being refused */
        else if (!c->hello) handle_hello(s, c, c->in, c->in_len);
        else handle_request(s, c, c->in, c->in_len);
        free(c->in);
        c->in = NULL;
        c->hdr_got = 0;
        if (c->dead) return;
    }
}

static void conn_flush(conn *c)
{
    while (!c->dead && c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) { c->out_off += (size_t)n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        c->dead = 1;
    }
    if (c->out_off == c->out_len && c->close_after) c->dead = 1;
}

static void *server_main(void *arg)
{
    server *s = arg;
    struct pollfd *pf = NULL;
    for (;;) {
        double now = rt_now(), next = now + 3600;
        int nh = 0;
        for (int i = 0; i < s->nc; i++) {
            conn *c = &s->c[i];
            if (!c->hello && !c->close_after && now >= c->hello_deadline) c->dead = 1;
            if (c->waiting && now >= c->wait_deadline) {
                reply(c, ST_TIMEOUT, NULL, 0, NULL, 0);
                c->waiting = 0;
                free(c->wait_key);
                c->wait_key = NULL;
                conn_flush(c);
            }
            if (!c->hello && c->hello_deadline < next) next = c->hello_deadline;
            if (c->waiting && c->wait_deadline < next) next = c->wait_deadline;
        }
        /* sweep the dead */
        for (int i = 0; i < s->nc;) {
            if (s->c[i].dead) {
                conn_free(&s->c[i]);
                s->c[i] = s->c[--s->nc];
            } else {
                nh += s->c[i].hello;
                i++;
            }
        }
        if (s->stopping && (nh == 0 || now >= s->stop_deadline)) break;
        if (s->stopping && s->stop_deadline < next) next = s->stop_deadline;

        struct pollfd *np = realloc(pf, (size_t)(s->nc + 2) * sizeof *pf);
        if (!np) break;
        pf = np;
        pf[0] = (struct pollfd){.fd = s->stopping ? -1 : s->lfd, .events = POLLIN};
        pf[1] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
        for (int i = 0; i < s->nc; i++) {
            conn *c = &s->c[i];
            pf[i + 2] = (struct pollfd){.fd = c->fd,
                                        .events = (short)(POLLIN | (c->out_off < c->out_len ? POLLOUT : 0))};
        }
        int nc = s->nc;
        int rc = poll(pf, (nfds_t)nc + 2, rt_poll_ms(next));
        if (rc < 0 && errno != EINTR) break;
        if (rc <= 0) continue;
        if (pf[1].revents) {
            char b[16];
            if (read(s->wake[0], b, sizeof b) > 0 && !s->stopping) {
                s->stopping = 1;
                s->stop_deadline = rt_now() + STOP_GRACE;
            }
        }
        for (int i = 0; i < nc; i++) {
            conn *c = &s->c[i];
            short ev = pf[i + 2].revents;
            if (!ev) continue;
            if (ev & (POLLIN | POLLHUP | POLLERR)) conn_read(s, c);
            conn_flush(c);
        }
        if (pf[0].revents & POLLIN) {
            for (;;) {
                int fd = accept(s->lfd, NULL, NULL);
                if (fd < 0) break;  /* EAGAIN, or a transient error: poll again */
                if (s->nc >= MAX_CONNS || rt_net_setup(fd)) {
                    close(fd);
                    continue;
                }
                conn *nconn = realloc(s->c, (size_t)(s->nc + 1) * sizeof *nconn);
                if (!nconn) { close(fd); continue; }
                s->c = nconn;
                conn *c = &s->c[s->nc++];
                memset(c, 0, sizeof *c);
                c->fd = fd;
                c->hello_deadline = rt_now() + HELLO_TIMEOUT;
            }
        }
    }
    free(pf);
    return NULL;
}

static void server_free(server *s)
{
    if (!s) return;
    for (int i = 0; i < s->nc; i++) conn_free(&s->c[i]);
    free(s->c);
    for (int i = 0; i < s->nkv; i++) {
        free(s->kv[i].key);
        free(s->kv[i].val);
    }
    free(s->kv);
    if (s->lfd >= 0) close(s->lfd);
    if (s->wake[0] >= 0) close(s->wake[0]);
    if (s->wake[1] >= 0) close(s->wake[1]);
    free(s);
}

static server *server_start(const rt_env *e, char *err, size_t errsz)
{
    server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    s->lfd = s->wake[0] = s->wake[1] = -1;
    strcpy(s->job, e->job_id);
    /* Loopback master: listen there only. Otherwise on every interface, as TCPStore does. */
    const char *host = rt_net_is_loopback(e->master_addr) ? e->master_addr : "0.0.0.0";
    char why[256];
    s->lfd = rt_net_listen(host, e->master_port, NULL, why, sizeof why);
    if (s->lfd < 0) {
        snprintf(err, errsz, "rank %d: cannot start the rendezvous store: %s (is MASTER_PORT "
                 "taken by another job?)", e->rank, why);
        server_free(s);
        return NULL;
    }
    if (pipe(s->wake) < 0 || pthread_create(&s->th, NULL, server_main, s)) {
        snprintf(err, errsz, "rank %d: cannot start the store thread", e->rank);
        server_free(s);
        return NULL;
    }
    return s;
}

/* ---- client ---- */

struct rt_store {
    rt_env env;
    int fd;                  /* -1 once broken */
    server *srv;             /* rank 0 */
    pthread_mutex_t mu;
    int nbarrier;
    char broken[384];        /* why the connection is unusable */
    int broken_peer;         /* ... and whether that is the loss of rank 0 */
    char err[512];
    int err_peer;            /* err is the loss of a peer (rt_store_error_peer) */
};

/* Sets this rank's own error (err_peer 0); the callers that mean a lost peer set err_peer
 * after it. */
static int store_fail(rt_store *s, const char *fmt, const char *a, const char *b)
{
    char m[400];
    snprintf(m, sizeof m, fmt, a, b);
    snprintf(s->err, sizeof s->err, "rank %d: store at %.200s:%d: %.280s", s->env.rank,
             s->env.master_addr, s->env.master_port, m);
    s->err_peer = 0;
    return -1;
}

/* The error of a call on a broken connection: why it broke, with its kind. */
static int store_broken(rt_store *s)
{
    store_fail(s, "%s%s", s->broken, "");
    s->err_peer = s->broken_peer;
    return -1;
}

/* The connection cannot be trusted any more (lost, or out of step). */
static int store_break(rt_store *s, int rc, int errnum)
{
    const char *what = rt_net_what(rc, errnum);
    if (rc == RT_NET_EOF || errnum == ECONNRESET)
        snprintf(s->broken, sizeof s->broken, "%s (is rank 0 gone?)", what);
    else
        snprintf(s->broken, sizeof s->broken, "%s", what);
    s->broken_peer = rt_net_peer_lost(rc, errnum);
    if (s->fd >= 0) close(s->fd);
    s->fd = -1;
    return store_broken(s);
}

/* Sends one frame and reads the reply (the caller frees *rep). wait_s: how long the server
 * may take on purpose (a parked GET/WAIT); the environment's timeout is added for liveness. */
static int exchange(rt_store *s, const uint8_t *req, size_t n, double wait_s, uint8_t *status,
                    uint8_t **rep, size_t *replen)
{
    *rep = NULL;
    *replen = 0;
    if (s->fd < 0) return store_broken(s);
    double deadline = rt_now() + wait_s + s->env.timeout_s;
    uint8_t h[4];
    rt_put_u32(h, (uint32_t)n);
    int rc = rt_net_write(s->fd, h, 4, deadline);
    if (!rc) rc = rt_net_write(s->fd, req, n, deadline);
    if (!rc) rc = rt_net_read(s->fd, h, 4, deadline);
    if (rc) return store_break(s, rc, errno);  /* errno as the failing read/write left it */
    size_t len = rt_get_u32(h);
    if (len == 0 || len > RT_STORE_MAX_FRAME + 8) {
        store_break(s, RT_NET_OK, 0);
        return store_fail(s, "bad reply frame (%s bytes)%s", len ? "too many" : "0", "");
    }
    uint8_t *p = malloc(len);
    if (!p) return store_fail(s, "out of memory%s%s", "", "");
    rc = rt_net_read(s->fd, p, len, deadline);
    if (rc) {
        free(p);
        return store_break(s, rc, errno);
    }
    *status = p[0];
    *rep = p;
    *replen = len;
    return 0;
}

/* A request [op][key][a][b] and its reply. */
static int request(rt_store *s, uint8_t op, const char *key, const void *a, size_t alen,
                   const void *b, size_t blen, double wait_s, uint8_t *status, uint8_t **rep,
                   size_t *replen)
{
    size_t kn = strlen(key);
    if (kn == 0 || kn > RT_STORE_MAX_KEY)
        return store_fail(s, "key '%.64s' is empty or too long (at most 512 bytes)%s", key, "");
    if (alen + blen > RT_STORE_MAX_VALUE)
        return store_fail(s, "value for key '%.64s' too long (at most 1 MiB)%s", key, "");
    size_t n = 3 + kn + alen + blen;
    uint8_t *q = malloc(n);
    if (!q) return store_fail(s, "out of memory%s%s", "", "");
    q[0] = op;
    rt_put_u16(q + 1, (uint16_t)kn);
    memcpy(q + 3, key, kn);
    if (alen) memcpy(q + 3 + kn, a, alen);
    if (blen) memcpy(q + 3 + kn + alen, b, blen);
    int rc = exchange(s, q, n, wait_s, status, rep, replen);
    free(q);
    if (rc) return -1;
    if (*status == ST_ERROR) {
        char m[300];
        snprintf(m, sizeof m, "%.*s", (int)(*replen - 1), (const char *)*rep + 1);
        free(*rep);
        *rep = NULL;
        return store_fail(s, "%s%s", m, "");
    }
    if (*status != ST_OK && *status != ST_TIMEOUT) {
        free(*rep);
        *rep = NULL;
        store_break(s, RT_NET_OK, 0);
        return store_fail(s, "bad reply status%s%s", "", "");
    }
    return 0;
}

static uint32_t to_ms(double secs)
{
    if (secs <= 0) return 0;
    if (secs > 4e6) return 4000000000u;
    return (uint32_t)(secs * 1000.0 + 0.5);
}

rt_store *rt_store_open(const rt_env *e, char *err, size_t errsz)
{
    rt_store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errsz, "rank %d: out of memory", e->rank);
        return NULL;
    }
    s->env = *e;
    s->fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    if (e->rank == 0 && !(s->srv = server_start(e, err, errsz))) goto fail;
    char why[300];
    double deadline = rt_now() + e->timeout_s;
    s->fd = rt_net_dial(e->master_addr, e->master_port, deadline, 1, why, sizeof why);
    if (s->fd < 0) {
        snprintf(err, errsz, "rank %d: cannot reach the rendezvous store (rank 0) at %s:%d "
                 "within %g s: %s", e->rank, e->master_addr, e->master_port, e->timeout_s, why);
        goto fail;
    }
    size_t jn = strlen(e->job_id);
    uint8_t h[11 + RT_JOB_ID_MAX];
    rt_put_u32(h, RT_STORE_MAGIC);
    rt_put_u16(h + 4, RT_COMM_VERSION);
    rt_put_u32(h + 6, (uint32_t)e->rank);
    h[10] = (uint8_t)jn;
    memcpy(h + 11, e->job_id, jn);
    uint8_t st, *rep;
    size_t rn;
    if (exchange(s, h, 11 + jn, 0, &st, &rep, &rn)) {
        snprintf(err, errsz, "%s (during the handshake)", s->err);
        goto fail;
    }
    if (st != ST_OK) {
        snprintf(err, errsz, "rank %d: the store at %s:%d refused this rank: %.*s", e->rank,
                 e->master_addr, e->master_port, (int)(rn - 1), (const char *)rep + 1);
        free(rep);
        goto fail;
    }
    free(rep);
    return s;
fail:
    rt_store_close(s);
    return NULL;
}

int rt_store_set(rt_store *s, const char *key, const void *val, size_t len)
{
    uint8_t st, *rep;
    size_t rn;
    pthread_mutex_lock(&s->mu);
    int rc = request(s, OP_SET, key, val, len, NULL, 0, 0, &st, &rep, &rn);
    pthread_mutex_unlock(&s->mu);
    free(rep);
    return rc;
}

/* GET or WAIT; *rep holds the reply on success. */
static int wait_key(rt_store *s, uint8_t op, const char *key, double timeout_s, uint8_t **rep,
                    size_t *rn)
{
    double t = timeout_s < 0 ? s->env.timeout_s : timeout_s;
    uint8_t ms[4], st;
    rt_put_u32(ms, to_ms(t));
    if (request(s, op, key, ms, 4, NULL, 0, t, &st, rep, rn)) return -1;
    if (st == ST_TIMEOUT) {
        char secs[32];
        free(*rep);
        *rep = NULL;
        store_fail(s, "timed out after %s s waiting for key '%s'",
                   rt_fmt_secs(t, secs, sizeof secs), key);
        s->err_peer = 1;  /* keys are set by other ranks: one of them is gone or stalled */
        return -1;
    }
    return 0;
}

int rt_store_get(rt_store *s, const char *key, void *buf, size_t cap, size_t *len,
                 double timeout_s)
{
    uint8_t *rep;
    size_t rn;
    pthread_mutex_lock(&s->mu);
    int rc = wait_key(s, OP_GET, key, timeout_s, &rep, &rn);
    if (!rc && rn - 1 > cap) {
        char m[96];
        snprintf(m, sizeof m, "%zu bytes, the buffer holds %zu", rn - 1, cap);
        rc = store_fail(s, "value of key '%s' is too long (%s)", key, m);
    } else if (!rc) {
        memcpy(buf, rep + 1, rn - 1);
        if (len) *len = rn - 1;
    }
    pthread_mutex_unlock(&s->mu);
    free(rep);
    return rc;
}

int rt_store_wait(rt_store *s, const char *key, double timeout_s)
{
    uint8_t *rep;
    size_t rn;
    pthread_mutex_lock(&s->mu);
    int rc = wait_key(s, OP_WAIT, key, timeout_s, &rep, &rn);
    pthread_mutex_unlock(&s->mu);
    free(rep);
    return rc;
}

int rt_store_add(rt_store *s, const char *key, int64_t delta, int64_t *value)
{
    uint8_t d[8], st, *rep;
    size_t rn;
    rt_put_u64(d, (uint64_t)delta);
    pthread_mutex_lock(&s->mu);
    int rc = request(s, OP_ADD, key, d, 8, NULL, 0, 0, &st, &rep, &rn);
    if (!rc && rn != 9) {
        store_break(s, RT_NET_OK, 0);
        rc = store_fail(s, "bad reply to add%s%s", "", "");
    }
    if (!rc && value) *value = (int64_t)rt_get_u64(rep + 1);
    pthread_mutex_unlock(&s->mu);
    free(rep);
    return rc;
}

int rt_store_barrier(rt_store *s, const char *name, double timeout_s)
{
    char key[RT_STORE_MAX_KEY], done[RT_STORE_MAX_KEY + 8];
    double t = timeout_s < 0 ? s->env.timeout_s : timeout_s;
    pthread_mutex_lock(&s->mu);
    int seq = ++s->nbarrier;
    pthread_mutex_unlock(&s->mu);
    snprintf(key, sizeof key, "pippy/barrier/%d/%.400s", seq, name);
    snprintf(done, sizeof done, "%s/done", key);
    int64_t n;
    if (rt_store_add(s, key, 1, &n)) return -1;
    if (n >= s->env.world_size) return rt_store_set(s, done, "1", 1);
    if (!rt_store_wait(s, done, t)) return 0;
    if (s->fd < 0 || rt_store_add(s, key, 0, &n)) return -1;
    char secs[32];
    snprintf(s->err, sizeof s->err, "rank %d: rendezvous '%s' timed out after %s s: %" PRId64
             " of %d ranks joined", s->env.rank, name, rt_fmt_secs(t, secs, sizeof secs), n,
             s->env.world_size);
    s->err_peer = 1;  /* a rank that should have come did not */
    return -1;
}

const char *rt_store_error(const rt_store *s) { return s->err; }

int rt_store_error_peer(const rt_store *s) { return s->err_peer; }

void rt_store_close(rt_store *s)
{
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    if (s->srv) {
        if (write(s->srv->wake[1], "q", 1) == 1) pthread_join(s->srv->th, NULL);
        server_free(s->srv);
    }
    pthread_mutex_destroy(&s->mu);
    free(s);
}
