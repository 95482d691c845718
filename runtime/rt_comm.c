/* rt_comm.c - socket helpers for the store and the TCP transport, and rt_comm, the table
 * that picks a transport per link. */
#include "rt_comm.h"
#include "rt_comm_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

double rt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double rt_deadline(double timeout_s, double dflt)
{
    return rt_now() + (timeout_s < 0 ? dflt : timeout_s);
}

int rt_poll_ms(double deadline)
{
    double left = deadline - rt_now();
    if (left <= 0) return 0;
    if (left > 3600.0 * 24) return 3600 * 24 * 1000;
    return (int)ceil(left * 1000.0);
}

/* Waits for events on fd until deadline: 0 ready, RT_NET_TIMEOUT, RT_NET_ERR. */
static int wait_fd(int fd, short events, double deadline)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events};
        int ms = rt_poll_ms(deadline);
        int n = poll(&p, 1, ms);
        if (n > 0) return 0;            /* readable, writable, or HUP/ERR: the I/O says which */
        if (n == 0) {
            if (rt_now() >= deadline) return RT_NET_TIMEOUT;
            continue;
        }
        if (errno != EINTR) return RT_NET_ERR;
    }
}

int rt_net_read(int fd, void *buf, size_t len, double deadline)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = recv(fd, p, len, 0);
        if (n > 0) { p += n; len -= (size_t)n; continue; }
        if (n == 0) return RT_NET_EOF;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return RT_NET_ERR;
        int rc = wait_fd(fd, POLLIN, deadline);
        if (rc) return rc;
    }
    return RT_NET_OK;
}

int rt_net_write(int fd, const void *buf, size_t len, double deadline)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n > 0) { p += n; len -= (size_t)n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            if (errno == EPIPE) return RT_NET_EOF;
            return RT_NET_ERR;
        }
        int rc = wait_fd(fd, POLLOUT, deadline);
        if (rc) return rc;
    }
    return RT_NET_OK;
}

const char *rt_net_what(int rc, int errnum)
{
    switch (rc) {
    case RT_NET_OK: return "succeeded";
    case RT_NET_EOF: return "closed the connection";
    case RT_NET_TIMEOUT: return "timed out";
    default:
        if (errnum == ECONNRESET) return "reset the connection";
        if (errnum == EPIPE) return "closed the connection";
        return strerror(errnum);
    }
}

int rt_net_peer_lost(int rc, int errnum)
{
    if (rc == RT_NET_EOF || rc == RT_NET_TIMEOUT) return 1;
    if (rc != RT_NET_ERR) return 0;
    switch (errnum) {
    case ECONNRESET: case EPIPE: case ECONNREFUSED: case ECONNABORTED: case ETIMEDOUT:
    case EHOSTUNREACH: case ENETUNREACH: case EHOSTDOWN: case ENETDOWN: case ENETRESET:
        return 1;
    default:
        return 0;
    }
}

int rt_net_setup(int fd)
{
    int one = 1;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -1;
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* not a TCP socket: ignore */
    return 0;
}

int rt_net_resolve(const char *host, int port, struct sockaddr_in *sa, char *err, size_t errsz)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc || !res) {
        snprintf(err, errsz, "cannot resolve '%s': %s", host, rc ? gai_strerror(rc) : "no address");
        if (res) freeaddrinfo(res);
        return -1;
    }
    memcpy(sa, res->ai_addr, sizeof *sa);
    freeaddrinfo(res);
    return 0;
}

int rt_net_dial(const char *host, int port, double deadline, int retry_refused, char *err,
                size_t errsz)
{
    struct sockaddr_in sa;
    if (rt_net_resolve(host, port, &sa, err, errsz)) {
        errno = EINVAL;
        return -1;
    }
    int last = 0;
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            int e = errno;
            snprintf(err, errsz, "socket: %s", strerror(e));
            errno = e;
            return -1;
        }
        if (rt_net_setup(fd)) {
            int e = errno;
            snprintf(err, errsz, "socket setup: %s", strerror(e));
            close(fd);
            errno = e;
            return -1;
        }
        int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
        if (rc < 0 && errno == EINPROGRESS) {
            if (wait_fd(fd, POLLOUT, deadline) == 0) {
                int e = 0;
                socklen_t el = sizeof e;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
                rc = e ? -1 : 0;
                errno = e;
            } else {
                errno = ETIMEDOUT;
            }
        }
        if (rc == 0) return fd;
        last = errno;
        close(fd);
        if (rt_now() >= deadline) break;
        if ((last == ECONNREFUSED && !retry_refused) ||
            (last != ECONNREFUSED && last != ETIMEDOUT && last != ECONNRESET &&
             last != EAGAIN && last != EINTR && last != ENETUNREACH && last != EHOSTUNREACH)) {
            snprintf(err, errsz, "cannot connect to %s:%d: %s", host, port, strerror(last));
            errno = last;
            return -1;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (rt_now() >= deadline) break;
    }
    snprintf(err, errsz, "cannot connect to %s:%d: %s (gave up when the timeout ran out)",
             host, port, strerror(last ? last : ETIMEDOUT));
    errno = ETIMEDOUT;  /* whatever the last refusal: the peer never answered in time */
    return -1;
}

int rt_net_listen(const char *host, int port, int *bound_port, char *err, size_t errsz)
{
    struct sockaddr_in sa;
    if (rt_net_resolve(host, port, &sa, err, errsz)) return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errsz, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 128) < 0 ||
        rt_net_setup(fd) < 0) {
        snprintf(err, errsz, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        close(fd);
        return -1;
    }
    socklen_t sl = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
        snprintf(err, errsz, "getsockname: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (bound_port) *bound_port = ntohs(sa.sin_port);
    return fd;
}

int rt_net_is_loopback(const char *host)
{
    struct sockaddr_in sa;
    char err[256];
    if (rt_net_resolve(host, 1, &sa, err, sizeof err)) return 0;
    return (ntohl(sa.sin_addr.s_addr) >> 24) == 127;
}

void rt_put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
void rt_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (24 - 8 * i));
}
void rt_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (56 - 8 * i));
}
uint16_t rt_get_u16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
uint32_t rt_get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v = (v << 8) | p[i];
    return v;
}
uint64_t rt_get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

const char *rt_fmt_secs(double s, char *buf, size_t n)
{
    if (s == floor(s) && s < 1e9) snprintf(buf, n, "%.0f", s);
    else snprintf(buf, n, "%g", s);
    return buf;
}

/* ---- rt_comm: a transport per link ---- */

struct rt_comm {
    int rank, world;
    rt_transport **link;
    char err[512];
    int err_peer;          /* err is the loss of a peer (see rt_comm_error_peer) */
    int err_root;          /* ... that began at this rank (-1: unknown) */
};

rt_comm *rt_comm_new(int rank, int world_size, rt_transport *dflt)
{
    if (world_size < 1 || rank < 0 || rank >= world_size) return NULL;
    rt_comm *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->link = calloc((size_t)world_size, sizeof *c->link);
    if (!c->link) { free(c); return NULL; }
    c->rank = rank;
    c->world = world_size;
    for (int i = 0; i < world_size; i++) c->link[i] = dflt;
    return c;
}

void rt_comm_set_link(rt_comm *c, int peer, rt_transport *t)
{
    if (peer >= 0 && peer < c->world) c->link[peer] = t;
}

rt_transport *rt_comm_link(const rt_comm *c, int peer)
{
    return peer >= 0 && peer < c->world ? c->link[peer] : NULL;
}

static rt_transport *pick(rt_comm *c, int peer)
{
    if (peer < 0 || peer >= c->world || peer == c->rank) {
        snprintf(c->err, sizeof c->err, "rank %d: no link to rank %d (world size %d)", c->rank,
                 peer, c->world);
        c->err_peer = 0;
        return NULL;
    }
    if (!c->link[peer]) {
        snprintf(c->err, sizeof c->err, "rank %d: no transport set for the link to rank %d",
                 c->rank, peer);
        c->err_peer = 0;
    }
    return c->link[peer];
}

static int fail(rt_comm *c, rt_transport *t)
{
    snprintf(c->err, sizeof c->err, "%s", t->err);
    c->err_peer = t->err_peer;
    c->err_root = t->err_peer ? t->err_root : -1;
    return -1;
}

int rt_comm_send(rt_comm *c, int peer, uint32_t tag, const void *buf, size_t len)
{
    rt_transport *t = pick(c, peer);
    if (!t) return -1;
    return t->send(t, peer, tag, buf, len) ? fail(c, t) : 0;
}

int rt_comm_recv(rt_comm *c, int peer, uint32_t tag, void *buf, size_t len, double timeout_s)
{
    rt_transport *t = pick(c, peer);
    if (!t) return -1;
    return t->recv(t, peer, tag, buf, len, timeout_s) ? fail(c, t) : 0;
}

int rt_comm_isend(rt_comm *c, int peer, uint32_t tag, const void *buf, size_t len, rt_req **r)
{
    rt_transport *t = pick(c, peer);
    *r = NULL;
    if (!t) return -1;
    return t->isend(t, peer, tag, buf, len, r) ? fail(c, t) : 0;
}

int rt_comm_wait(rt_comm *c, rt_req *r)
{
    if (!r) {
        snprintf(c->err, sizeof c->err, "rank %d: wait on a null request", c->rank);
        c->err_peer = 0;
        return -1;
    }
    rt_transport *t = r->t;
    return t->wait(t, r) ? fail(c, t) : 0;
}

const char *rt_comm_error(const rt_comm *c) { return c->err; }

int rt_comm_error_peer(const rt_comm *c) { return c->err_peer; }

int rt_comm_error_root(const rt_comm *c) { return c->err_peer ? c->err_root : -1; }

void rt_comm_abort(rt_comm *c, int root)
{
    for (int i = 0; i < c->world; i++) {
        rt_transport *t = c->link[i];
        int seen = 0;  /* each transport once */
        for (int j = 0; j < i && !seen; j++) seen = c->link[j] == t;
        if (t && !seen && t->abort) t->abort(t, root);
    }
}

void rt_comm_free(rt_comm *c)
{
    if (!c) return;
    free(c->link);
    free(c);
}
