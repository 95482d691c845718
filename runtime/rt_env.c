/* rt_env.c - the launcher's environment: torchrun's variables, with SLURM / Open MPI / PMI
 * names as fallbacks, checked once with messages that say which variable is wrong. */
#include "rt_comm.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first of names[] that is set and non-empty; *which gets its name. */
static const char *first_env(const char *const *names, const char **which)
{
    for (; *names; names++) {
        const char *v = getenv(*names);
        if (v && *v) {
            *which = *names;
            return v;
        }
    }
    return NULL;
}

/* Strict decimal integer in [lo, hi]. 0, or -1 with err set. */
static int parse_int(const char *name, const char *v, long lo, long hi, int *out, char *err,
                     size_t errsz)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || isspace((unsigned char)v[0])) {
        snprintf(err, errsz, "%s=%s is not an integer", name, v);
        return -1;
    }
    if (x < lo || x > hi) {
        snprintf(err, errsz, "%s=%s is out of range [%ld, %ld]", name, v, lo, hi);
        return -1;
    }
    *out = (int)x;
    return 0;
}

int rt_env_read(rt_env *e, char *err, size_t errsz)
{
    static const char *const rank_names[] = {"RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK",
                                             "PMI_RANK", NULL};
    static const char *const world_names[] = {"WORLD_SIZE", "SLURM_NTASKS",
                                              "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", NULL};
    static const char *const lrank_names[] = {"LOCAL_RANK", "SLURM_LOCALID",
                                              "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID",
                                              NULL};
    static const char *const lsize_names[] = {"LOCAL_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_SIZE",
                                              "MPI_LOCALNRANKS", NULL};
    static const char *const group_names[] = {"GROUP_RANK", "SLURM_NODEID", NULL};
    const int max_world = 1 << 20;
    const char *which, *v;

    memset(e, 0, sizeof *e);
    v = first_env(world_names, &which);
    if (!v) {
        snprintf(err, errsz, "WORLD_SIZE is not set (run under pippyrun, torchrun, srun or "
                 "mpirun; SLURM_NTASKS, OMPI_COMM_WORLD_SIZE and PMI_SIZE are also read)");
        return -1;
    }
    if (parse_int(which, v, 1, max_world, &e->world_size, err, errsz)) return -1;
    const char *world_from = which;

    v = first_env(rank_names, &which);
    if (!v) {
        snprintf(err, errsz, "RANK is not set (run under pippyrun, torchrun, srun or mpirun; "
                 "SLURM_PROCID, OMPI_COMM_WORLD_RANK and PMI_RANK are also read)");
        return -1;
    }
    if (parse_int(which, v, 0, max_world, &e->rank, err, errsz)) return -1;
    if (e->rank >= e->world_size) {
        snprintf(err, errsz, "%s=%d is out of range: %s=%d", which, e->rank, world_from,
                 e->world_size);
        return -1;
    }

    v = first_env(lsize_names, &which);
    e->local_world_size = e->world_size;
    if (v && parse_int(which, v, 1, e->world_size, &e->local_world_size, err, errsz)) return -1;
    v = first_env(lrank_names, &which);
    e->local_rank = e->rank;
    if (v) {
        if (parse_int(which, v, 0, max_world, &e->local_rank, err, errsz)) return -1;
        if (e->local_rank >= e->local_world_size) {
            snprintf(err, errsz, "%s=%d is out of range: local world size %d", which,
                     e->local_rank, e->local_world_size);
            return -1;
        }
    } else if (e->local_world_size != e->world_size) {
        e->local_rank = e->rank % e->local_world_size;
    }
    v = first_env(group_names, &which);
    if (v && parse_int(which, v, 0, max_world, &e->group_rank, err, errsz)) return -1;

    v = getenv("MASTER_ADDR");
    if (!v || !*v) {
        snprintf(err, errsz, "MASTER_ADDR is not set (the host of rank 0, where the "
                 "rendezvous store listens; pippyrun and torchrun set it, under srun or "
                 "mpirun export it yourself)");
        return -1;
    }
    if (strlen(v) >= sizeof e->master_addr) {
        snprintf(err, errsz, "MASTER_ADDR is too long (%zu characters)", strlen(v));
        return -1;
    }
    strcpy(e->master_addr, v);
    v = getenv("MASTER_PORT");
    if (!v || !*v) {
        snprintf(err, errsz, "MASTER_PORT is not set (the rendezvous store's port on "
                 "MASTER_ADDR; pippyrun and torchrun set it)");
        return -1;
    }
    if (parse_int("MASTER_PORT", v, 1, 65535, &e->master_port, err, errsz)) return -1;
    /* torchrun's agent already serves torch's own store on MASTER_PORT (and says so with
     * TORCHELASTIC_USE_AGENT_STORE=True), so ours takes the next port; PIPPY_STORE_PORT
     * overrides both. */
    v = getenv("PIPPY_STORE_PORT");
    if (v && *v) {
        if (parse_int("PIPPY_STORE_PORT", v, 1, 65535, &e->master_port, err, errsz)) return -1;
    } else if ((v = getenv("TORCHELASTIC_USE_AGENT_STORE")) && !strcmp(v, "True")) {
        if (e->master_port == 65535) {
            snprintf(err, errsz, "MASTER_PORT=65535 under torchrun leaves no port for the "
                     "pipeline's store; set PIPPY_STORE_PORT");
            return -1;
        }
        e->master_port += 1;
    }

    v = getenv("PIPPY_JOB_ID");
    if (v && *v) {
        size_t n = strlen(v);
        if (n > RT_JOB_ID_MAX) {
            snprintf(err, errsz, "PIPPY_JOB_ID is too long (%zu characters, at most %d)", n,
                     RT_JOB_ID_MAX);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            if (!isgraph((unsigned char)v[i])) {
                snprintf(err, errsz, "PIPPY_JOB_ID may hold printable characters only, "
                         "without spaces");
                return -1;
            }
        strcpy(e->job_id, v);
    } else {
        snprintf(e->job_id, sizeof e->job_id, "port-%d", e->master_port);
    }

    e->timeout_s = RT_DEFAULT_TIMEOUT;
    v = getenv("PIPPY_TIMEOUT");
    if (v && *v) {
        char *end;
        errno = 0;
        double t = strtod(v, &end);
        if (errno || end == v || *end || !(t > 0) || !isfinite(t) || t > 1e7) {
            snprintf(err, errsz, "PIPPY_TIMEOUT=%s is not a positive number of seconds", v);
            return -1;
        }
        e->timeout_s = t;
    }
    return 0;
}

int rt_write_rank_dispatcher(const char *dir, char *err, size_t errsz)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/rank", dir) >= sizeof path) {
        snprintf(err, errsz, "%s: path too long", dir);
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (fd < 0) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return -1;
    }
    const char *s = RT_RANK_DISPATCHER_SH;
    size_t n = strlen(s);
    ssize_t w = write(fd, s, n);
    int e = errno;
    if (close(fd) < 0 && w == (ssize_t)n) {
        w = -1;
        e = errno;
    }
    if (w != (ssize_t)n) {
        snprintf(err, errsz, "%s: write failed: %s", path, w < 0 ? strerror(e) : "short write");
        return -1;
    }
    if (chmod(path, 0755) < 0) {
        snprintf(err, errsz, "%s: chmod: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
