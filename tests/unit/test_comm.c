/* test_comm.c - the rendezvous store and the TCP transport, with ranks as forked processes
 * on loopback. Each rank checks its own part and exits 1 on a failed check; the parent
 * checks every rank's exit status. Every process runs under alarm(), so nothing hangs. */
#include "rt_comm.h"
#include "t.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) && errno == EINTR) {}
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    bind(fd, (struct sockaddr *)&sa, sizeof sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    return ntohs(sa.sin_port);
}

/* Forks n ranks running fn(rank) with the torchrun environment; 0 if all exited 0. */
static int run_ranks(const char *what, int n, int (*fn)(int), const char *timeout, int alarm_s)
{
    int port = free_port();
    char job[64];
    snprintf(job, sizeof job, "test-%d-%d", (int)getpid(), port);
    pid_t pids[8];
    fflush(stdout);
    for (int r = 0; r < n; r++) {
        pid_t p = fork();
        if (p == 0) {
            char b[32];
            alarm((unsigned)alarm_s);
            snprintf(b, sizeof b, "%d", r);
            setenv("RANK", b, 1);
            setenv("LOCAL_RANK", b, 1);
            snprintf(b, sizeof b, "%d", n);
            setenv("WORLD_SIZE", b, 1);
            setenv("LOCAL_WORLD_SIZE", b, 1);
            setenv("GROUP_RANK", "0", 1);
            setenv("MASTER_ADDR", "127.0.0.1", 1);
            snprintf(b, sizeof b, "%d", port);
            setenv("MASTER_PORT", b, 1);
            setenv("PIPPY_JOB_ID", job, 1);
            if (timeout) setenv("PIPPY_TIMEOUT", timeout, 1);
            else unsetenv("PIPPY_TIMEOUT");
            t_pass = t_fail = 0;
            int rc = fn(r);
            fflush(stdout);
            _exit(rc || t_fail ? 1 : 0);
        }
        pids[r] = p;
    }
    int bad = 0;
    for (int r = 0; r < n; r++) {
        int st;
        waitpid(pids[r], &st, 0);
        int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        CHECK(ok, "%s: rank %d exited 0 (status 0x%x%s)", what, r, st,
              WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM ? ", hung: alarm" : "");
        bad += !ok;
    }
    return bad;
}

static rt_env env;
static rt_store *st;

static int setup(int rank)
{
    char err[512];
    if (rt_env_read(&env, err, sizeof err)) {
        printf("rank %d: %s\n", rank, err);
        return -1;
    }
    st = rt_store_open(&env, err, sizeof err);
    if (!st) {
        printf("rank %d: %s\n", rank, err);
        return -1;
    }
    return 0;
}

/* ---- environment ---- */

static void test_env(void)
{
    char err[512];
    rt_env e;
    const char *vars[] = {"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK",
                          "MASTER_ADDR", "MASTER_PORT", "PIPPY_JOB_ID", "PIPPY_TIMEOUT",
                          "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "SLURM_NODEID",
                          "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE",
                          "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE",
                          "MPI_LOCALRANKID", "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) unsetenv(vars[i]);
    CHECK(rt_env_read(&e, err, sizeof err) == -1, "env: nothing set is an error");
    CHECK_CONTAINS(err, "WORLD_SIZE is not set", "env: missing WORLD_SIZE");
    setenv("WORLD_SIZE", "4", 1);
    rt_env_read(&e, err, sizeof err);
    CHECK_CONTAINS(err, "RANK is not set", "env: missing RANK");
    setenv("RANK", "4", 1);
    rt_env_read(&e, err, sizeof err);
    CHECK_CONTAINS(err, "RANK=4 is out of range: WORLD_SIZE=4", "env: rank out of range");
    setenv("RANK", "2x", 1);
    rt_env_read(&e, err, sizeof err);
    CHECK_CONTAINS(err, "RANK=2x is not an integer", "env: junk rank");
    setenv("RANK", "2", 1);
    rt_env_read(&e, err, sizeof err);
    CHECK_CONTAINS(err, "MASTER_ADDR is not set", "env: missing MASTER_ADDR");
    setenv("MASTER_ADDR", "127.0.0.1", 1);
    setenv("MASTER_PORT", "70000", 1);
    rt_env_read(&e, err, sizeof err);
    CHECK_CONTAINS(err, "MASTER_PORT=70000 is out of range", "env: bad port");
    setenv("MASTER_PORT", "29555", 1);
    CHECK(rt_env_read(&e, err, sizeof err) == 0, "env: torchrun set reads");
    CHECK(e.rank == 2 && e.world_size == 4 && e.local_rank == 2 && e.local_world_size == 4,
          "env: rank 2 of 4, local 2 of 4 (no LOCAL_*: one node)");
    CHECK_EQ_S("port-29555", e.job_id, "env: default job id from MASTER_PORT");
    CHECK_NEAR(RT_DEFAULT_TIMEOUT, e.timeout_s, 0, "env: default timeout");
    setenv("PIPPY_TIMEOUT", "-1", 1);
    rt_env_read(&e, err, sizeof err);
    CHECK_CONTAINS(err, "PIPPY_TIMEOUT=-1 is not a positive number", "env: bad timeout");
    setenv("PIPPY_TIMEOUT", "1.5", 1);
    setenv("PIPPY_JOB_ID", "job 1", 1);
    rt_env_read(&e, err, sizeof err);
    CHECK_CONTAINS(err, "PIPPY_JOB_ID may hold printable characters only", "env: bad job id");
    setenv("PIPPY_JOB_ID", "abc", 1);
    unsetenv("RANK");
    unsetenv("WORLD_SIZE");
    setenv("SLURM_PROCID", "5", 1);
    setenv("SLURM_NTASKS", "8", 1);
    setenv("SLURM_LOCALID", "1", 1);
    setenv("SLURM_NODEID", "1", 1);
    setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "4", 1);
    CHECK(rt_env_read(&e, err, sizeof err) == 0, "env: SLURM names read");
    CHECK(e.rank == 5 && e.world_size == 8 && e.local_rank == 1 && e.group_rank == 1 &&
          e.local_world_size == 4 && e.timeout_s == 1.5, "env: SLURM rank 5 of 8, node 1");
    CHECK_EQ_S("abc", e.job_id, "env: PIPPY_JOB_ID");
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) unsetenv(vars[i]);
    setenv("PMI_RANK", "1", 1);
    setenv("PMI_SIZE", "2", 1);
    setenv("MASTER_ADDR", "localhost", 1);
    setenv("MASTER_PORT", "1234", 1);
    CHECK(rt_env_read(&e, err, sizeof err) == 0 && e.rank == 1 && e.world_size == 2,
          "env: PMI names read");
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) unsetenv(vars[i]);

    char dir[] = "/tmp/pippy_disp_XXXXXX";
    if (mkdtemp(dir)) {
        char path[128];
        CHECK(rt_write_rank_dispatcher(dir, err, sizeof err) == 0, "dispatcher written");
        snprintf(path, sizeof path, "%s/rank", dir);
        CHECK(access(path, X_OK) == 0, "dispatcher is executable");
        unlink(path);
        rmdir(dir);
    }
}

/* ---- store ---- */

/* Connects a raw socket to the store; -1 on failure. */
static int raw_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)env.master_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads until EOF (or 3 s); returns bytes read, -1 if the server did not close. */
static int read_until_closed(int fd, char *buf, int cap)
{
    int got = 0;
    double end = now() + 3;
    while (now() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) continue;
        char tmp[512];
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n <= 0) return got;
        for (ssize_t i = 0; i < n && got < cap - 1; i++) buf[got++] = tmp[i];
        buf[got] = 0;
    }
    return -1;
}

static void junk_clients(void)
{
    char buf[512] = {0};
    /* random bytes */
    int fd = raw_connect();
    unsigned char rnd[300];
    srand(42);
    for (size_t i = 0; i < sizeof rnd; i++) rnd[i] = (unsigned char)rand();
    rnd[0] = 0; rnd[1] = 0; rnd[2] = 0; rnd[3] = 100;   /* a plausible length, then junk */
    CHECK(write(fd, rnd, sizeof rnd) == (ssize_t)sizeof rnd, "junk: random bytes sent");
    CHECK(read_until_closed(fd, buf, sizeof buf) >= 0, "junk: random bytes -> dropped");
    close(fd);
    /* oversized length */
    fd = raw_connect();
    unsigned char big[4] = {0xff, 0xff, 0xff, 0xff};
    CHECK(write(fd, big, 4) == 4, "junk: length 0xffffffff sent");
    CHECK(read_until_closed(fd, buf, sizeof buf) == 0, "junk: oversized length -> dropped");
    close(fd);
    /* a client of another job: right magic and version, wrong job id */
    fd = raw_connect();
    const char *job = "some-other-job";
    unsigned char h[4 + 11 + 64];
    size_t jn = strlen(job), n = 11 + jn;
    h[0] = 0; h[1] = 0; h[2] = 0; h[3] = (unsigned char)n;
    h[4] = 'P'; h[5] = 'P'; h[6] = 'S'; h[7] = 'T';
    h[8] = 0; h[9] = RT_COMM_VERSION;
    h[10] = h[11] = h[12] = 0; h[13] = 1;
    h[14] = (unsigned char)jn;
    memcpy(h + 15, job, jn);
    CHECK(write(fd, h, 4 + n) == (ssize_t)(4 + n), "junk: hello of another job sent");
    int got = read_until_closed(fd, buf, sizeof buf);
    CHECK(got > 5, "junk: other job gets a refusal and is dropped");
    CHECK_CONTAINS(got > 5 ? buf + 5 : "", "job id mismatch", "junk: refusal names the job");
    close(fd);
    /* a silent client is left open: the store must keep serving the others meanwhile */
    raw_connect();
    /* our own API with another job id */
    rt_env other = env;
    char err[512];
    strcpy(other.job_id, "intruder");
    other.rank = 1;  /* a client only: rank 0 would start a second server */
    other.timeout_s = 3;
    rt_store *s2 = rt_store_open(&other, err, sizeof err);
    CHECK(s2 == NULL, "junk: rt_store_open with a wrong job id fails");
    CHECK_CONTAINS(err, "job id mismatch: this store serves job", "junk: wrong job message");
}

static int store_rank(int r)
{
    if (setup(r)) return 1;
    char key[32], val[32], buf[64];
    size_t len;
    CHECK(rt_store_barrier(st, "join", 10) == 0, "rank %d: join barrier", r);
    snprintf(key, sizeof key, "k%d", r);
    snprintf(val, sizeof val, "value of %d", r);
    CHECK(rt_store_set(st, key, val, strlen(val)) == 0, "rank %d: set %s", r, key);
    int o = (r + 1) % 3;
    snprintf(key, sizeof key, "k%d", o);
    snprintf(val, sizeof val, "value of %d", o);
    CHECK(rt_store_get(st, key, buf, sizeof buf - 1, &len, 5) == 0, "rank %d: get %s", r, key);
    buf[len] = 0;
    CHECK_EQ_S(val, buf, "get returns the other rank's value");
    int64_t v = 0;
    CHECK(rt_store_add(st, "cnt", 1, &v) == 0, "rank %d: add", r);
    CHECK(rt_store_barrier(st, "added", 10) == 0, "rank %d: barrier after add", r);
    rt_store_add(st, "cnt", 0, &v);
    CHECK_EQ_I(3, v, "add from 3 ranks");
    if (r == 0) {
        sleep_s(0.2);
        rt_store_set(st, "late", "x", 1);
    } else {
        double t0 = now();
        CHECK(rt_store_wait(st, "late", 5) == 0, "rank %d: wait for a key set later", r);
        CHECK(now() - t0 >= 0.1, "rank %d: wait blocked until the key came", r);
    }
    double t0 = now();
    CHECK(rt_store_wait(st, "never", 0.3) == -1, "rank %d: wait for a missing key fails", r);
    CHECK(now() - t0 < 2, "rank %d: ... after the timeout", r);
    CHECK_CONTAINS(rt_store_error(st), "timed out after 0.3 s waiting for key 'never'",
                   "wait timeout message");
    rt_store_set(st, "text", "abc", 3);
    CHECK(rt_store_add(st, "text", 1, &v) == -1, "rank %d: add on a non-number fails", r);
    CHECK_CONTAINS(rt_store_error(st), "not an integer", "add on text message");
    CHECK(rt_store_get(st, "k0", buf, 2, &len, 1) == -1, "rank %d: get into a short buffer", r);

    CHECK(rt_store_barrier(st, "before-junk", 10) == 0, "rank %d: barrier", r);
    if (r == 0) junk_clients();
    CHECK(rt_store_barrier(st, "after-junk", 10) == 0, "rank %d: barrier after junk", r);
    rt_store_add(st, "cnt2", 1, &v);
    CHECK(rt_store_barrier(st, "after-junk2", 10) == 0, "rank %d: store still serves", r);
    rt_store_add(st, "cnt2", 0, &v);
    CHECK_EQ_I(3, v, "add after junk clients");

    /* rank 2 comes late: the others time out and are told how many came */
    if (r < 2) {
        CHECK(rt_store_barrier(st, "partial", 1) == -1, "rank %d: barrier without rank 2", r);
        char exp[128];
        snprintf(exp, sizeof exp, "rank %d: rendezvous 'partial' timed out after 1 s: 2 of 3 "
                 "ranks joined", r);
        CHECK_CONTAINS(rt_store_error(st), exp, "barrier timeout message");
    } else {
        sleep_s(1.5);
        rt_store_barrier(st, "partial", 1);
    }
    CHECK(rt_store_barrier(st, "done", 10) == 0, "rank %d: final barrier", r);
    rt_store_close(st);
    return 0;
}

/* ---- transport ---- */

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
}

static rt_transport *tcp;
static rt_comm *cm;

static int open_comm(int r)
{
    char err[512];
    if (setup(r)) return -1;
    tcp = rt_tcp_open(&env, st, err, sizeof err);
    if (!tcp) {
        printf("rank %d: %s\n", r, err);
        return -1;
    }
    cm = rt_comm_new(env.rank, env.world_size, tcp);
    return rt_store_barrier(st, "join", 10);
}

static void close_comm(void)
{
    rt_comm_free(cm);
    tcp->close(tcp);
    rt_store_close(st);
}

static int transport_rank(int r)
{
    static const size_t sizes[3] = {1024, 1 << 20, 16 << 20};
    if (open_comm(r)) return 1;
    uint8_t *a = malloc(16 << 20), *b = malloc(16 << 20);
    if (r < 2) {
        for (int i = 0; i < 3; i++) {
            fill(a, sizes[i], (unsigned)(r * 10 + i));
            CHECK(rt_comm_send(cm, 2, (uint32_t)(r * 10 + i), a, sizes[i]) == 0,
                  "rank %d: send %zu bytes to rank 2", r, sizes[i]);
        }
    } else {
        for (int src = 1; src >= 0; src--)
            for (int i = 0; i < 3; i++) {
                memset(b, 0, sizes[i]);
                int rc = rt_comm_recv(cm, src, (uint32_t)(src * 10 + i), b, sizes[i], 10);
                fill(a, sizes[i], (unsigned)(src * 10 + i));
                CHECK(rc == 0 && memcmp(a, b, sizes[i]) == 0,
                      "rank 2: %zu bytes from rank %d, tag %d, byte-exact %s", sizes[i], src,
                      src * 10 + i, rc ? rt_comm_error(cm) : "");
            }
    }
    CHECK(rt_store_barrier(st, "sent", 10) == 0, "rank %d: barrier", r);

    /* isend overlaps: 16 MB to a receiver that reads only 0.5 s later */
    if (r == 0) {
        fill(a, 16 << 20, 99);
        rt_req *q;
        double t0 = now();
        int rc = rt_comm_isend(cm, 1, 20, a, 16 << 20, &q);
        double dt = now() - t0;
        CHECK(rc == 0 && dt < 0.1, "isend of 16 MB returned in %.3f s, before the receiver "
              "reads", dt);
        CHECK(rt_comm_wait(cm, q) == 0, "wait for the isend");
        CHECK(now() - t0 > 0.2, "wait returned only after the receiver read (%.3f s)",
              now() - t0);
    } else if (r == 1) {
        sleep_s(0.5);
        int rc = rt_comm_recv(cm, 0, 20, b, 16 << 20, 10);
        fill(a, 16 << 20, 99);
        CHECK(rc == 0 && memcmp(a, b, 16 << 20) == 0, "rank 1: 16 MB isend byte-exact");
    }
    CHECK(rt_store_barrier(st, "overlap", 10) == 0, "rank %d: barrier", r);

    /* tag and length mismatches */
    if (r == 1) rt_comm_send(cm, 2, 5, a, 100);
    if (r == 0) rt_comm_send(cm, 2, 7, a, 64);
    if (r == 2) {
        CHECK(rt_comm_recv(cm, 1, 6, b, 100, 5) == -1, "rank 2: tag mismatch fails");
        CHECK_CONTAINS(rt_comm_error(cm), "rank 2: from peer rank 1: expected tag 6 with 100 "
                       "bytes, got tag 5 with 100 bytes", "tag mismatch message");
        CHECK(rt_comm_recv(cm, 0, 7, b, 128, 5) == -1, "rank 2: length mismatch fails");
        CHECK_CONTAINS(rt_comm_error(cm), "rank 2: from peer rank 0: expected tag 7 with 128 "
                       "bytes, got tag 7 with 64 bytes", "length mismatch message");
        CHECK(rt_comm_recv(cm, 0, 8, b, 1, 5) == -1, "rank 2: the failed link stays failed");
        CHECK(rt_comm_recv(cm, 2, 8, b, 1, 5) == -1, "rank 2: no link to itself");
        CHECK_CONTAINS(rt_comm_error(cm), "no link to rank 2", "self link message");
    }
    CHECK(rt_store_barrier(st, "done", 10) == 0, "rank %d: final barrier", r);
    close_comm();
    free(a);
    free(b);
    return 0;
}

/* A peer dies: once between messages, once in the middle of a 16 MB message. */
static int dead_rank(int r)
{
    if (open_comm(r)) return 1;
    uint8_t *a = calloc(1, 16 << 20);
    if (r == 1) {
        rt_comm_send(cm, 2, 1, a, 10);
        rt_store_barrier(st, "linked", 10);
        sleep_s(0.3);
        _exit(0);          /* dies while rank 2 waits for tag 2 */
    }
    if (r == 0) {
        rt_store_barrier(st, "linked", 10);
        rt_req *q;
        rt_comm_isend(cm, 2, 3, a, 16 << 20, &q);
        sleep_s(0.1);
        _exit(0);          /* dies with most of the message unsent */
    }
    CHECK(rt_comm_recv(cm, 1, 1, a, 10, 5) == 0, "rank 2: first message from rank 1");
    rt_store_barrier(st, "linked", 10);
    double t0 = now();
    CHECK(rt_comm_recv(cm, 1, 2, a, 10, 30) == -1, "rank 2: recv from a peer that exits fails");
    CHECK(now() - t0 < 2, "rank 2: ... within 2 s (%.2f s)", now() - t0);
    CHECK_CONTAINS(rt_comm_error(cm), "rank 2: peer rank 1 closed the connection",
                   "dead peer message");
    sleep_s(0.5);
    t0 = now();
    CHECK(rt_comm_recv(cm, 0, 3, a, 16 << 20, 30) == -1, "rank 2: peer dies mid-message");
    CHECK(now() - t0 < 2, "rank 2: ... noticed within 2 s (%.2f s)", now() - t0);
    CHECK_CONTAINS(rt_comm_error(cm), "rank 2: peer rank 0 closed the connection (receiving "
                   "tag 3, 16777216 bytes)", "mid-message death message");
    free(a);
    _exit(t_fail ? 1 : 0);  /* the store's rank is gone: nothing to close cleanly */
}

/* A stalled peer with PIPPY_TIMEOUT=1. */
static int stall_rank(int r)
{
    if (open_comm(r)) return 1;
    uint8_t *a = calloc(1, 64 << 20);
    if (r == 0) {
        rt_comm_send(cm, 1, 1, a, 10);
        /* and a sender whose receiver does not read: 64 MB cannot sit in socket buffers */
        double t0 = now();
        CHECK(rt_comm_send(cm, 1, 9, a, 64 << 20) == -1, "rank 0: send to a stalled reader fails");
        CHECK(now() - t0 < 3, "rank 0: ... within the timeout (%.2f s)", now() - t0);
        CHECK_CONTAINS(rt_comm_error(cm), "rank 0: timed out after 1 s sending tag 9",
                       "stalled reader message");
        rt_store_barrier(st, "done", 10);
    } else {
        CHECK(rt_comm_recv(cm, 0, 1, a, 10, -1) == 0, "rank 1: first message");
        sleep_s(2.5);  /* does not read: rank 0's big send stalls */
        rt_store_barrier(st, "done", 10);
    }
    free(a);
    close_comm();
    return 0;
}

/* A receiver whose sender stalls, PIPPY_TIMEOUT=1. */
static int stall_recv_rank(int r)
{
    if (open_comm(r)) return 1;
    uint8_t a[16] = {0};
    if (r == 0) {
        rt_comm_send(cm, 1, 1, a, 10);
        sleep_s(2.5);  /* stalls */
    } else {
        CHECK(rt_comm_recv(cm, 0, 1, a, 10, -1) == 0, "rank 1: first message");
        double t0 = now();
        CHECK(rt_comm_recv(cm, 0, 2, a, 10, -1) == -1, "rank 1: recv from a stalled peer fails");
        double dt = now() - t0;
        CHECK(dt > 0.9 && dt < 2, "rank 1: ... after ~1 s (%.2f s)", dt);
        CHECK_CONTAINS(rt_comm_error(cm), "rank 1: timed out after 1 s waiting for tag 2 (10 "
                       "bytes) from peer rank 0 (PIPPY_TIMEOUT)", "stall message");
    }
    rt_store_barrier(st, "done", 10);
    close_comm();
    return 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    alarm(120);
    test_env();
    run_ranks("store", 3, store_rank, "10", 40);
    run_ranks("transport", 3, transport_rank, "10", 40);
    run_ranks("dead peer", 3, dead_rank, "30", 20);
    run_ranks("stalled receiver", 2, stall_rank, "1", 20);
    run_ranks("stalled sender", 2, stall_recv_rank, "1", 20);
    T_DONE();
}
