/* rt_comm_impl.h - socket helpers shared by the store and the TCP transport (internal to
 * runtime/; not part of rt_comm.h's API).
 *
 * Sockets are nonblocking; every read and write waits with poll() up to a deadline on the
 * monotonic clock, so nothing blocks forever. Results are RT_NET_* codes; the caller turns
 * them into a message naming the peer (rt_net_what says what happened).
 */
#ifndef PIPPY_RT_COMM_IMPL_H
#define PIPPY_RT_COMM_IMPL_H

#include <stddef.h>
#include <stdint.h>

enum {
    RT_NET_OK = 0,
    RT_NET_ERR = -1,     /* errno set */
    RT_NET_EOF = -2,     /* the peer closed the connection */
    RT_NET_TIMEOUT = -3, /* the deadline passed */
};

/* Seconds on the monotonic clock. */
double rt_now(void);
/* A deadline timeout_s from now (timeout_s < 0: dflt). */
double rt_deadline(double timeout_s, double dflt);
/* Milliseconds to wait in poll() until deadline (0 if past, capped). */
int rt_poll_ms(double deadline);

/* Reads / writes exactly len bytes before deadline. */
int rt_net_read(int fd, void *buf, size_t len, double deadline);
int rt_net_write(int fd, const void *buf, size_t len, double deadline);
/* "closed the connection", "reset the connection", "timed out", strerror(errnum). */
const char *rt_net_what(int rc, int errnum);
/* 1 if the result (rc, errno) means the peer is gone or silent: EOF, a timeout, a reset,
 * refused or unreachable connection; 0 for this side's own errors (EBADF, ENOMEM, ...). */
int rt_net_peer_lost(int rc, int errnum);

/* Nonblocking, close-on-exec, TCP_NODELAY. 0 or -1 (errno). */
int rt_net_setup(int fd);
/* Resolves host:port (IPv4) and connects before deadline, retrying while unreachable and,
 * if retry_refused, while refused (the listener may not be up yet; without it a refusal is
 * final: a listener known to have been up is gone). The fd, or -1 with err set and errno
 * saying why (the last connect error, ETIMEDOUT at the deadline, EINVAL if host does not
 * resolve), so that rt_net_peer_lost(RT_NET_ERR, errno) classifies it. */
int rt_net_dial(const char *host, int port, double deadline, int retry_refused, char *err,
                size_t errsz);
/* Listens on host:port (port 0: ephemeral); *bound_port gets the port. fd or -1, err set. */
int rt_net_listen(const char *host, int port, int *bound_port, char *err, size_t errsz);

struct sockaddr_in;
/* host:port to an IPv4 address. 0, or -1 with err set. */
int rt_net_resolve(const char *host, int port, struct sockaddr_in *sa, char *err, size_t errsz);
/* 1 if host resolves to a 127.0.0.0/8 address. */
int rt_net_is_loopback(const char *host);

/* Big-endian integers. */
void rt_put_u16(uint8_t *p, uint16_t v);
void rt_put_u32(uint8_t *p, uint32_t v);
void rt_put_u64(uint8_t *p, uint64_t v);
uint16_t rt_get_u16(const uint8_t *p);
uint32_t rt_get_u32(const uint8_t *p);
uint64_t rt_get_u64(const uint8_t *p);

/* Seconds as text for messages: "300", "1.5". Returns buf. */
const char *rt_fmt_secs(double s, char *buf, size_t n);

#endif
