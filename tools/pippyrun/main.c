/* pippyrun - launches the rank programs of a compiled pipeline, like torchrun.
 *
 * DIR holds one program per rank, DIR/rank_<r> (pippyc -o DIR writes them). pippyrun starts
 * this node's ranks with torchrun's environment, prefixes every line they print with
 * "[rank N] ", and watches them. When one fails (non-zero exit or a signal), pippyrun
 * collects the others' statuses for a moment (COLLECT_S), stops the rest (SIGTERM, then
 * SIGKILL after a grace period) and names the root cause: a rank killed by a signal that
 * pippyrun did not send, else the first rank that failed on its own, else the first that
 * failed. A rank that exits RT_EXIT_PEER_LOST says it only lost a peer (a link or the store
 * closed, or a peer went silent) and is never preferred: when rank 2 is killed, ranks 1 and
 * 3 exit 75 moments later, often before pippyrun has reaped rank 2 (waitpid returns zombies
 * in fork order, not in order of death). The ranks die with pippyrun even if it is
 * SIGKILLed (PR_SET_PDEATHSIG). Self-contained: it links nothing of the runtime (it takes
 * one constant from rt_comm.h).
 */
#define _GNU_SOURCE  /* pipe2 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "../../runtime/rt_comm.h"  /* RT_EXIT_PEER_LOST */

#define LINE_MAX_BYTES 65536  /* a longer line is passed on in pieces */
/* After the first failure, how long to wait for the other ranks' statuses before stopping
 * them. The rank where a failure began has ended before its peers see their links close, so
 * its status is there within moments; a peer that stalls is stopped after this. */
#define COLLECT_S 1.0

static const char USAGE[] =
"usage: pippyrun [options] DIR [ARGS...]\n"
"\n"
"Runs the rank programs DIR/rank_<r> that pippyc wrote, one process per rank on this node,\n"
"with the environment torchrun sets: RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE,\n"
"GROUP_RANK, MASTER_ADDR, MASTER_PORT (and PIPPY_JOB_ID). ARGS go to every rank, e.g.\n"
"  pippyrun --nproc-per-node 4 out/ --input x.npy --output-dir results/\n"
"\n"
"options (torchrun's names; --nproc_per_node style and --opt=value also work):\n"
"  --nproc-per-node N   ranks on this node (default: the number of DIR/rank_<r> programs\n"
"                       when --nnodes is 1, else 1)\n"
"  --nnodes M           nodes in the job (default 1); WORLD_SIZE = N * M\n"
"  --node-rank K        this node's index, 0..M-1 (default 0); RANK = K * N + LOCAL_RANK\n"
"  --master-addr H      host of rank 0, where the rendezvous store listens (default\n"
"                       127.0.0.1)\n"
"  --master-port P      its port (default: a free port on a single node, else 29500)\n"
"  --standalone         single node on 127.0.0.1 with a free port (ignores the three above)\n"
"  --job-id ID          PIPPY_JOB_ID for every rank; must match on all nodes (default: the\n"
"                       environment's PIPPY_JOB_ID, else random on one node, else derived\n"
"                       from the master port by the ranks)\n"
"  --max-restarts R     restart this node's ranks up to R times after a failure (default 0)\n"
"  --grace SECONDS      after a failure, SIGTERM the other ranks, then SIGKILL them after\n"
"                       SECONDS (default 5)\n"
"  --timeout SECONDS    PIPPY_TIMEOUT for the ranks: how long they wait for a stalled peer\n"
"  -h, --help           this text\n"
"\n"
"Every output line of a rank is prefixed with \"[rank N] \" (stdout to stdout, stderr to\n"
"stderr). pippyrun exits 0 when every rank exits 0. When ranks fail it waits up to a\n"
"second for the others' statuses, stops the rest and names the root cause:\n"
"  pippyrun: rank 2 (pid 1234) failed: killed by signal 9 (SIGKILL)\n"
"  pippyrun: 3 other ranks stopped after it: ranks 0, 1, 3 lost a peer\n"
"that is, a rank killed by a signal pippyrun did not send, else the first rank that failed\n"
"on its own, else the first to fail. A rank that exits 75 only lost a peer (its link to a\n"
"rank that failed or went silent closed or timed out), so it is not named when another\n"
"rank is to blame. pippyrun then exits 1. SIGINT, SIGTERM and SIGHUP are passed on to the\n"
"ranks (a second one kills them); if pippyrun itself is killed, the ranks die with it.\n"
"Exit status: 0 all ranks succeeded, 1 a rank failed or DIR is wrong, 2 bad options,\n"
"128+S stopped by signal S.\n"
"\n"
"The same programs run under torchrun, srun or mpirun, through the dispatcher DIR/rank\n"
"(a sh script that execs DIR/rank_$RANK):\n"
"  torchrun --nproc-per-node 4 --no-python DIR/rank --input x.npy\n"
"  srun -n 4 env MASTER_ADDR=$(hostname) MASTER_PORT=29500 DIR/rank --input x.npy\n";

typedef struct opts {
    int nproc, nnodes, node_rank, master_port, max_restarts, standalone;
    double grace;
    const char *master_addr, *job_id, *timeout, *dir;
    char **args;
    int nargs;
} opts;

/* ---- options ---- */

static void usage_error(const char *fmt, const char *a)
{
    fprintf(stderr, "pippyrun: ");
    fprintf(stderr, fmt, a);
    fprintf(stderr, "\n(pippyrun --help for usage)\n");
    exit(2);
}

static int parse_int(const char *flag, const char *v, long lo, long hi)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) {
        char m[300];
        snprintf(m, sizeof m, "%s wants an integer in [%ld, %ld], got '%%s'", flag, lo, hi);
        usage_error(m, v);
    }
    return (int)x;
}

static double parse_secs(const char *flag, const char *v)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x >= 0) || x > 1e7) {
        char m[200];
        snprintf(m, sizeof m, "%s wants a number of seconds, got '%%s'", flag);
        usage_error(m, v);
    }
    return x;
}

static void parse_opts(int argc, char **argv, opts *o)
{
    *o = (opts){.nproc = -1, .nnodes = 1, .master_port = -1, .grace = 5};
    int i = 1;
    for (; i < argc; i++) {
        char *a = argv[i];
        if (strcmp(a, "--") == 0) { i++; break; }
        if (a[0] != '-' || a[1] == 0) break;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(USAGE, stdout);
            exit(0);
        }
        if (a[1] != '-') usage_error("unknown option '%s'", a);
        /* --name[=value], with '_' read as '-' */
        char name[64];
        const char *eq = strchr(a, '=');
        size_t n = eq ? (size_t)(eq - a) : strlen(a);
        if (n >= sizeof name) usage_error("unknown option '%s'", a);
        for (size_t k = 0; k < n; k++) name[k] = a[k] == '_' ? '-' : a[k];
        name[n] = 0;
        if (!strcmp(name, "--standalone")) {
            if (eq) usage_error("%s takes no value", name);
            o->standalone = 1;
            continue;
        }
        static const char *const with_value[] = {"--nproc-per-node", "--nnodes", "--node-rank",
            "--master-addr", "--master-port", "--max-restarts", "--grace", "--job-id",
            "--timeout", NULL};
        int known = 0;
        for (int k = 0; with_value[k]; k++) known |= !strcmp(name, with_value[k]);
        if (!known) usage_error("unknown option '%s'", a);
        const char *v = eq ? eq + 1 : NULL;
        if (!v) {
            if (i + 1 >= argc) usage_error("%s needs a value", name);
            v = argv[++i];
        }
        if (!strcmp(name, "--nproc-per-node")) o->nproc = parse_int(name, v, 1, 4096);
        else if (!strcmp(name, "--nnodes")) o->nnodes = parse_int(name, v, 1, 65536);
        else if (!strcmp(name, "--node-rank")) o->node_rank = parse_int(name, v, 0, 65535);
        else if (!strcmp(name, "--master-port")) o->master_port = parse_int(name, v, 1, 65535);
        else if (!strcmp(name, "--max-restarts")) o->max_restarts = parse_int(name, v, 0, 1000);
        else if (!strcmp(name, "--grace")) o->grace = parse_secs(name, v);
        else if (!strcmp(name, "--master-addr")) {
            if (!*v) usage_error("%s needs a host", name);
            o->master_addr = v;
        } else if (!strcmp(name, "--job-id")) {
            if (!*v || strlen(v) > 63) usage_error("--job-id wants 1 to 63 characters, got '%s'", v);
            for (const char *p = v; *p; p++)
                if (!isgraph((unsigned char)*p))
                    usage_error("--job-id may hold printable characters only, got '%s'", v);
            o->job_id = v;
        } else {
            if (parse_secs(name, v) <= 0) usage_error("--timeout wants a positive number, got '%s'", v);
            o->timeout = v;
        }
    }
    if (i >= argc) usage_error("%s", "missing DIR (the directory pippyc -o wrote)");
    o->dir = argv[i];
    o->args = argv + i + 1;
    o->nargs = argc - i - 1;
    if (o->standalone) {
        o->nnodes = 1;
        o->node_rank = 0;
        o->master_addr = NULL;
        o->master_port = -1;
    }
    if (o->node_rank >= o->nnodes) {
        char m[64];
        snprintf(m, sizeof m, "%d", o->nnodes);
        usage_error("--node-rank must be less than --nnodes (%s)", m);
    }
}

/* ---- the rank programs ---- */

static char *rank_path(const char *dir, int r)
{
    size_t n = strlen(dir) + 32;
    char *p = malloc(n);
    if (!p) { fprintf(stderr, "pippyrun: out of memory\n"); exit(1); }
    snprintf(p, n, "%s/rank_%d", dir, r);
    return p;
}

/* Exits 1 with a clear message unless DIR and every rank program this node runs are there. */
static void check_dir(opts *o)
{
    struct stat sb;
    if (stat(o->dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "pippyrun: %s: %s (DIR must be the directory pippyc -o wrote, holding "
                "rank_0, rank_1, ...)\n", o->dir, stat(o->dir, &sb) < 0 ? strerror(errno) :
                "not a directory");
        exit(1);
    }
    if (o->nproc < 0) {
        if (o->nnodes == 1) {
            int n = 0;
            for (;; n++) {
                char *p = rank_path(o->dir, n);
                int ok = access(p, F_OK) == 0;
                free(p);
                if (!ok) break;
            }
            if (n == 0) {
                fprintf(stderr, "pippyrun: %s holds no rank programs (rank_0, rank_1, ...; "
                        "pippyc -o DIR writes them)\n", o->dir);
                exit(1);
            }
            o->nproc = n;
        } else {
            o->nproc = 1;
        }
    }
    int world = o->nproc * o->nnodes;
    for (int l = 0; l < o->nproc; l++) {
        int r = o->node_rank * o->nproc + l;
        char *p = rank_path(o->dir, r);
        if (stat(p, &sb) < 0 || !S_ISREG(sb.st_mode) || access(p, X_OK) < 0) {
            fprintf(stderr, "pippyrun: %s: %s (a world of %d ranks needs rank_0 .. rank_%d in "
                    "%s)\n", p, stat(p, &sb) < 0 ? "no such program" : !S_ISREG(sb.st_mode) ?
                    "not a regular file" : "not executable", world, world - 1, o->dir);
            exit(1);
        }
        free(p);
    }
}

/* A free TCP port on addr (bound and released; the store binds it soon after). */
static int free_port(const char *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof sa;
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
        fprintf(stderr, "pippyrun: cannot find a free port: %s\n", strerror(errno));
        exit(1);
    }
    close(fd);
    return ntohs(sa.sin_port);
}

static void random_job_id(char *out, size_t n)
{
    uint64_t x = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, &x, sizeof x) != (ssize_t)sizeof x) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
    }
    if (fd >= 0) close(fd);
    snprintf(out, n, "pippy-%016llx", (unsigned long long)x);
}

/* ---- running ---- */

typedef struct outbuf {
    int fd;                 /* read end; -1 when closed */
    int to;                 /* 1 or 2 */
    char *buf;
    size_t len;
} outbuf;

typedef struct proc {
    int rank;
    pid_t pid;
    int running, status;
    int signalled;          /* pippyrun signalled its group while it ran: its end is ours */
    int nth_failure;        /* 1 for the first failed rank reaped, 2 the next; 0 if none */
    outbuf out[2];
} proc;

/* How a rank ended, in the order that picks a failure's root cause (lowest first). */
typedef enum end_kind {
    END_SIGNAL,             /* killed by a signal pippyrun did not send */
    END_OWN,                /* a non-zero exit: it failed on its own */
    END_PEER,               /* exit RT_EXIT_PEER_LOST: it lost a peer */
    END_STOPPED,            /* ended after pippyrun signalled it (teardown) */
    END_OK,
} end_kind;

static end_kind end_of(const proc *p)
{
    int st = p->status;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return END_OK;
    if (p->signalled) return END_STOPPED;
    if (!WIFEXITED(st)) return END_SIGNAL;
    return WEXITSTATUS(st) == RT_EXIT_PEER_LOST ? END_PEER : END_OWN;
}

static int sigpipe_fd[2] = {-1, -1};

static volatile sig_atomic_t last_sender; /* pid that sent the last INT/TERM/HUP */

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    int e = errno;
    (void)uc;
    if (sig != SIGCHLD && si) last_sender = (sig_atomic_t)si->si_pid;
    unsigned char c = (unsigned char)sig;
    if (write(sigpipe_fd[1], &c, 1) < 0) { /* full: the loop will notice anyway */ }
    errno = e;
}

static const char *sig_name(int s)
{
    switch (s) {
    case SIGHUP: return "SIGHUP";   case SIGINT: return "SIGINT";   case SIGQUIT: return "SIGQUIT";
    case SIGILL: return "SIGILL";   case SIGTRAP: return "SIGTRAP"; case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";   case SIGFPE: return "SIGFPE";   case SIGKILL: return "SIGKILL";
    case SIGUSR1: return "SIGUSR1"; case SIGSEGV: return "SIGSEGV"; case SIGUSR2: return "SIGUSR2";
    case SIGPIPE: return "SIGPIPE"; case SIGALRM: return "SIGALRM"; case SIGTERM: return "SIGTERM";
    case SIGXCPU: return "SIGXCPU"; case SIGXFSZ: return "SIGXFSZ"; case SIGSYS: return "SIGSYS";
    default: return "?";
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Writes all of buf to fd (best effort: a closed terminal is not our failure). */
static void put(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        buf += w;
        n -= (size_t)w;
    }
}

/* Emits the complete lines in b (all of it if flush), each with the rank's prefix. */
static void emit_lines(outbuf *b, int rank, int flush)
{
    char pre[32];
    int pn = snprintf(pre, sizeof pre, "[rank %d] ", rank);
    size_t start = 0;
    for (;;) {
        char *nl = memchr(b->buf + start, '\n', b->len - start);
        size_t end;
        if (nl) end = (size_t)(nl - b->buf) + 1;
        else if (flush && start < b->len) end = b->len;
        else if (b->len - start >= LINE_MAX_BYTES) end = b->len;  /* an endless line */
        else break;
        /* one write per line, so lines of different ranks do not interleave */
        size_t n = end - start;
        char *line = malloc((size_t)pn + n + 1);
        if (!line) return;
        memcpy(line, pre, (size_t)pn);
        memcpy(line + pn, b->buf + start, n);
        size_t tot = (size_t)pn + n;
        if (line[tot - 1] != '\n') line[tot++] = '\n';
        put(b->to, line, tot);
        free(line);
        start = end;
    }
    memmove(b->buf, b->buf + start, b->len - start);
    b->len -= start;
}

static void close_out(outbuf *b, int rank)
{
    if (b->fd < 0) return;
    emit_lines(b, rank, 1);
    close(b->fd);
    b->fd = -1;
}

static void read_out(outbuf *b, int rank)
{
    ssize_t n = read(b->fd, b->buf + b->len, LINE_MAX_BYTES - b->len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        close_out(b, rank);
        return;
    }
    b->len += (size_t)n;
    emit_lines(b, rank, 0);
}

static void set_env_int(const char *k, int v)
{
    char b[32];
    snprintf(b, sizeof b, "%d", v);
    setenv(k, b, 1);
}

/* Starts every local rank. Exits 1 if a fork or pipe fails before anything runs. */
static void launch(const opts *o, proc *ps, int restart)
{
    pid_t self = getpid();
    for (int l = 0; l < o->nproc; l++) {
        proc *p = &ps[l];
        int r = o->node_rank * o->nproc + l;
        int fds[2][2];
        if (pipe2(fds[0], O_CLOEXEC) < 0 || pipe2(fds[1], O_CLOEXEC) < 0) {
            fprintf(stderr, "pippyrun: pipe: %s\n", strerror(errno));
            exit(1);
        }
        char *path = rank_path(o->dir, r);
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "pippyrun: fork: %s\n", strerror(errno));
            exit(1);
        }
        if (pid == 0) {
            /* the child: own process group (so a signal reaches the rank's children too),
             * dies with pippyrun, default signal handling */
            setpgid(0, 0);
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != self) _exit(1);  /* pippyrun died before prctl took */
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            signal(SIGPIPE, SIG_DFL);
            signal(SIGINT, SIG_DFL);
            signal(SIGTERM, SIG_DFL);
            signal(SIGHUP, SIG_DFL);
            signal(SIGCHLD, SIG_DFL);
            dup2(fds[0][1], 1);
            dup2(fds[1][1], 2);
            set_env_int("RANK", r);
            set_env_int("LOCAL_RANK", l);
            set_env_int("WORLD_SIZE", o->nproc * o->nnodes);
            set_env_int("LOCAL_WORLD_SIZE", o->nproc);
            set_env_int("GROUP_RANK", o->node_rank);
            set_env_int("ROLE_RANK", r);
            set_env_int("ROLE_WORLD_SIZE", o->nproc * o->nnodes);
            set_env_int("TORCHELASTIC_RESTART_COUNT", restart);
            set_env_int("PIPPY_RESTART_COUNT", restart);
            char **argv = calloc((size_t)o->nargs + 2, sizeof *argv);
            if (!argv) _exit(127);
            argv[0] = path;
            for (int k = 0; k < o->nargs; k++) argv[k + 1] = o->args[k];
            execv(path, argv);
            fprintf(stderr, "pippyrun: cannot run %s: %s\n", path, strerror(errno));
            _exit(127);
        }
        setpgid(pid, pid);  /* also here, so kill(-pid) works at once */
        close(fds[0][1]);
        close(fds[1][1]);
        free(path);
        p->rank = r;
        p->pid = pid;
        p->running = 1;
        p->status = 0;
        p->signalled = 0;
        p->nth_failure = 0;
        for (int k = 0; k < 2; k++) {
            p->out[k].fd = fds[k][0];
            p->out[k].to = k + 1;
            p->out[k].len = 0;
            if (!p->out[k].buf && !(p->out[k].buf = malloc(LINE_MAX_BYTES))) {
                fprintf(stderr, "pippyrun: out of memory\n");
                exit(1);
            }
        }
    }
}

static void signal_all(proc *ps, int n, int sig)
{
    for (int i = 0; i < n; i++) {
        if (ps[i].pid <= 0) continue;
        if (ps[i].running) ps[i].signalled = 1;
        kill(-ps[i].pid, sig);  /* the rank's process group */
    }
}

/* The supervisor's state. A failure moves it from RUN to COLLECT (the others' statuses come
 * in for up to COLLECT_S) to STOP (SIGTERM, SIGKILL at kill_at); a signal to pippyrun moves
 * it straight to STOP. */
enum { PHASE_RUN, PHASE_COLLECT, PHASE_STOP };

typedef struct sup {
    proc *ps;
    int n, alive;
    int nfail;              /* failed ranks reaped so far */
    int failed;             /* a rank failed while no signal to pippyrun was being handled */
    int got_sig;            /* a signal sent to pippyrun, when it is the reason to stop */
    int phase;
    double collect_until, kill_at;
} sup;

/* Reaps every rank that has ended, numbering the failures in the order they are seen. */
static void reap(sup *S)
{
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0) break;
        for (int i = 0; i < S->n; i++) {
            proc *p = &S->ps[i];
            if (p->pid != pid || !p->running) continue;
            p->running = 0;
            p->status = st;
            S->alive--;
            if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
                p->nth_failure = ++S->nfail;
                if (!S->got_sig) S->failed = 1;
            }
        }
    }
}

/* Appends to b (capacity n) as far as it fits. */
static void app(char *b, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void app(char *b, size_t n, const char *fmt, ...)
{
    size_t len = strlen(b);
    if (len + 1 >= n) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b + len, n - len, fmt, ap);
    va_end(ap);
}

/* Appends "; ranks 1, 3 WHAT" (or "rank 1 WHAT1") for the ranks other than skip that ended
 * as k. Returns how many there are. */
static int list_ranks(char *b, size_t n, const proc *ps, int np, int skip, end_kind k,
                      const char *what1, const char *what)
{
    int cnt = 0, j = 0;
    for (int i = 0; i < np; i++) cnt += i != skip && end_of(&ps[i]) == k;
    if (!cnt) return 0;
    app(b, n, "%s%s ", b[0] ? "; " : "", cnt == 1 ? "rank" : "ranks");
    for (int i = 0; i < np; i++)
        if (i != skip && end_of(&ps[i]) == k) app(b, n, "%s%d", j++ ? ", " : "", ps[i].rank);
    app(b, n, " %s", cnt == 1 ? what1 : what);
    return cnt;
}

/* Names the root cause of a failure on stderr: a rank killed by a signal pippyrun did not
 * send, else the first rank that failed on its own, else the first that failed (each with
 * how it ended and what that means), then how the others ended. */
static void report(const proc *ps, int n, int multinode)
{
    int best = -1;
    end_kind bk = END_OK;
    for (int i = 0; i < n; i++) {
        end_kind k = end_of(&ps[i]);
        if (k >= END_STOPPED) continue;
        if (best < 0 || k < bk || (k == bk && ps[i].nth_failure < ps[best].nth_failure)) {
            best = i;
            bk = k;
        }
    }
    if (best < 0)  /* every failure came after pippyrun's own signals: the first one */
        for (int i = 0; i < n; i++)
            if (ps[i].nth_failure && (best < 0 || ps[i].nth_failure < ps[best].nth_failure))
                best = i;
    if (best < 0) return;
    const proc *p = &ps[best];
    int st = p->status;
    if (WIFEXITED(st)) {
        int code = WEXITSTATUS(st);
        const char *means = code == RT_EXIT_PEER_LOST && bk == END_PEER ? (multinode ?
            " (it lost a peer, and no rank on this node was killed or failed on its own)" :
            " (it lost a peer, and no rank was killed or failed on its own)") :
            code == RT_EXIT_PEER_LOST ? " (it lost a peer)" :
            code == 1 ? " (it failed on its own)" :
            code == 2 ? " (a usage error)" :
            code == 126 || code == 127 ? " (the program could not be run)" : "";
        fprintf(stderr, "pippyrun: rank %d (pid %d) failed: exit status %d%s\n", p->rank,
                (int)p->pid, code, means);
    } else {
        fprintf(stderr, "pippyrun: rank %d (pid %d) failed: killed by signal %d (%s)%s\n",
                p->rank, (int)p->pid, WTERMSIG(st), sig_name(WTERMSIG(st)),
                WCOREDUMP(st) ? ", core dumped" : "");
    }
    char b[2048] = "";
    int others = 0;
    others += list_ranks(b, sizeof b, ps, n, best, END_SIGNAL, "was also killed by a signal",
                         "were also killed by signals");
    others += list_ranks(b, sizeof b, ps, n, best, END_OWN, "also failed on its own",
                         "also failed on their own");
    others += list_ranks(b, sizeof b, ps, n, best, END_PEER, "lost a peer", "lost a peer");
    others += list_ranks(b, sizeof b, ps, n, best, END_STOPPED, "was stopped by pippyrun",
                         "were stopped by pippyrun");
    if (others)
        fprintf(stderr, "pippyrun: %d other rank%s stopped after it: %s\n", others,
                others == 1 ? "" : "s", b);
}

/* Runs the ranks until all have exited. Returns 0 if all succeeded, 1 if one failed
 * (named on stderr), or the signal number that stopped pippyrun (negated). */
static int supervise(const opts *o, proc *ps)
{
    sup S = {.ps = ps, .n = o->nproc, .alive = o->nproc, .phase = PHASE_RUN};
    int n = o->nproc;
    double drain_until = 0;     /* all ranks gone: stop reading pipes at this time */
    struct pollfd *pf = calloc((size_t)(2 * n + 1), sizeof *pf);
    int *who = calloc((size_t)(2 * n + 1), sizeof *who);
    if (!pf || !who) { fprintf(stderr, "pippyrun: out of memory\n"); exit(1); }

    for (;;) {
        int open_pipes = 0, np = 1;
        pf[0] = (struct pollfd){.fd = sigpipe_fd[0], .events = POLLIN};
        for (int i = 0; i < n; i++)
            for (int k = 0; k < 2; k++)
                if (ps[i].out[k].fd >= 0) {
                    pf[np] = (struct pollfd){.fd = ps[i].out[k].fd, .events = POLLIN};
                    who[np++] = i * 2 + k;
                    open_pipes++;
                }
        double t = now();
        if (S.alive == 0) {
            if (!open_pipes) break;
            if (drain_until == 0) drain_until = t + 1.0;  /* a rank's child may hold a pipe */
            if (t >= drain_until) break;
        }
        double next = S.alive == 0 ? drain_until : S.phase == PHASE_COLLECT ? S.collect_until :
                      S.phase == PHASE_STOP ? S.kill_at : 0;
        int ms = next > 0 ? (int)((next - t) * 1000) + 1 : -1;
        if (ms == 0) ms = 1;
        int rc = poll(pf, (nfds_t)np, ms);
        if (rc < 0 && errno != EINTR) {
            fprintf(stderr, "pippyrun: poll: %s\n", strerror(errno));
            signal_all(ps, n, SIGKILL);
            S.phase = PHASE_STOP;
            S.kill_at = now();
        }
        if (rc > 0 && pf[0].revents) {
            unsigned char sigs[64];
            ssize_t k = read(sigpipe_fd[0], sigs, sizeof sigs);
            for (ssize_t j = 0; j < k; j++) {
                int s = sigs[j];
                if (s == SIGCHLD) continue;  /* reaped below */
                if (S.phase != PHASE_STOP) {
                    /* A failure being collected stays the reason reported. */
                    if (!S.failed) S.got_sig = s;
                    fprintf(stderr, "pippyrun: got %s (from pid %d), stopping the ranks\n",
                            sig_name(s), (int)last_sender);
                    reap(&S);  /* a rank that has ended did so before this signal */
                    signal_all(ps, n, s);
                    S.phase = PHASE_STOP;
                    S.kill_at = now() + o->grace;
                } else {
                    /* asked again while stopping: no more grace. A failure already being
                     * handled stays the reason reported. */
                    fprintf(stderr, "pippyrun: got %s (from pid %d) while stopping the "
                            "ranks: killing them\n", sig_name(s), (int)last_sender);
                    if (!S.got_sig && !S.failed) S.got_sig = s;
                    signal_all(ps, n, SIGKILL);
                }
            }
        }
        if (rc > 0)
            for (int j = 1; j < np; j++)
                if (pf[j].revents) {
                    proc *p = &ps[who[j] / 2];
                    read_out(&p->out[who[j] % 2], p->rank);
                }
        reap(&S);
        if (S.failed && S.phase == PHASE_RUN) {
            /* Wait for the others' statuses before deciding: the rank where the failure
             * began may be reaped after the peers that lost it. */
            S.phase = PHASE_COLLECT;
            S.collect_until = now() + COLLECT_S;
        }
        if (S.phase == PHASE_COLLECT && (S.alive == 0 || now() >= S.collect_until)) {
            S.phase = PHASE_STOP;
            S.kill_at = now() + o->grace;
            if (S.alive > 0) {
                reap(&S);  /* the last ones that ended by themselves */
                signal_all(ps, n, SIGTERM);
            }
        }
        if (S.phase == PHASE_STOP && now() >= S.kill_at && S.alive > 0) {
            signal_all(ps, n, SIGKILL);
            S.kill_at = now() + 3600;  /* SIGKILL cannot be refused: they go now */
        }
    }
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < 2; k++) close_out(&ps[i].out[k], ps[i].rank);
        if (S.failed || S.got_sig) kill(-ps[i].pid, SIGKILL);  /* leftovers in its group */
    }
    free(pf);
    free(who);
    if (S.failed) {
        report(ps, n, o->nnodes > 1);
        return 1;
    }
    if (S.got_sig) return -S.got_sig;
    for (int i = 0; i < n; i++)
        if (!(WIFEXITED(ps[i].status) && WEXITSTATUS(ps[i].status) == 0)) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    opts o;
    parse_opts(argc, argv, &o);
    check_dir(&o);

    char port_s[16], job[80];
    const char *addr = o.master_addr ? o.master_addr : "127.0.0.1";
    int port = o.master_port;
    if (port < 0) port = o.nnodes == 1 ? free_port(addr) : 29500;
    snprintf(port_s, sizeof port_s, "%d", port);
    setenv("MASTER_ADDR", addr, 1);
    setenv("MASTER_PORT", port_s, 1);
    if (o.job_id) setenv("PIPPY_JOB_ID", o.job_id, 1);
    else if (!getenv("PIPPY_JOB_ID") && o.nnodes == 1) {
        random_job_id(job, sizeof job);
        setenv("PIPPY_JOB_ID", job, 1);
    }
    if (o.timeout) setenv("PIPPY_TIMEOUT", o.timeout, 1);
    /* Ranks share the node's cores: idle OpenMP threads must sleep, not spin, or a stage
     * waiting for its input steals the cores of the stage computing it. */
    setenv("OMP_WAIT_POLICY", "PASSIVE", 0);

    if (pipe2(sigpipe_fd, O_CLOEXEC | O_NONBLOCK) < 0) {
        fprintf(stderr, "pippyrun: pipe: %s\n", strerror(errno));
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP | SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    proc *ps = calloc((size_t)o.nproc, sizeof *ps);
    if (!ps) {
        fprintf(stderr, "pippyrun: out of memory\n");
        return 1;
    }
    int status;
    for (int restart = 0;; restart++) {
        launch(&o, ps, restart);
        int rc = supervise(&o, ps);
        if (rc < 0) { status = 128 - rc; break; }
        if (rc == 0) { status = 0; break; }
        if (restart >= o.max_restarts) { status = 1; break; }
        fprintf(stderr, "pippyrun: restarting the ranks (restart %d of %d)\n", restart + 1,
                o.max_restarts);
    }
    for (int i = 0; i < o.nproc; i++)
        for (int k = 0; k < 2; k++) free(ps[i].out[k].buf);
    free(ps);
    return status;
}
