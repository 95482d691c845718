/* fe_extdata.c - ONNX external data: key/value pairs location/offset/length on a TensorProto
 * (checksum ignored). Each file is mapped once (PROT_READ, MAP_PRIVATE); all mappings of a
 * load live in one fe_maps, kept alive by the graph through one ir_graph_keep slot and
 * unmapped by ir_graph_free. Weights are never copied.
 *
 * Path rules: location is relative to the model's folder; absolute paths, ".." components
 * that climb above the folder, and anything whose realpath leaves the folder (symlinks) are
 * refused; the file must be a regular file; offset+length must lie within it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fe_internal.h"

typedef struct fe_map {
    char *path;  /* realpath */
    void *p;     /* NULL for an empty file */
    size_t len;
} fe_map;

struct fe_maps {
    int n, cap;
    fe_map *m;
};

static void maps_free(void *res) {
    fe_maps *ms = res;
    for (int i = 0; i < ms->n; i++) {
        if (ms->m[i].p) munmap(ms->m[i].p, ms->m[i].len);
        free(ms->m[i].path);
    }
    free(ms->m);
    free(ms);
}

/* Parse a non-negative decimal; -1 if it is not one. */
static int64_t parse_size(const char *s) {
    if (!s || !*s) return -1;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        if (v > (INT64_MAX - 9) / 10) return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

/* 1 if the relative path climbs above its starting folder through ".." components. */
static int climbs_out(const char *loc) {
    int depth = 0;
    const char *p = loc;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0) return 1;
        } else if (n && !(n == 1 && p[0] == '.')) {
            depth++;
        }
        p += n;
        while (*p == '/') p++;
    }
    return 0;
}

/* The mapping of realpath rp, mapped now if new; NULL with err set. */
static fe_map *map_file(fe_ctx *c, const char *rp, const char *what, const char *loc, char *err,
                        size_t errlen) {
    if (!c->maps) {
        fe_maps *ms = calloc(1, sizeof *ms);
        if (!ms) {
            snprintf(err, errlen, "%s: out of memory", what);
            return NULL;
        }
        if (ir_graph_keep(c->root, ms, maps_free)) {
            free(ms);
            snprintf(err, errlen, "%s: too many resources kept by the graph", what);
            return NULL;
        }
        c->maps = ms;
    }
    fe_maps *ms = c->maps;
    for (int i = 0; i < ms->n; i++)
        if (strcmp(ms->m[i].path, rp) == 0) return &ms->m[i];
    if (ms->n == ms->cap) {
        int cap = ms->cap ? ms->cap * 2 : 8;
        fe_map *m = realloc(ms->m, (size_t)cap * sizeof *m);
        if (!m) {
            snprintf(err, errlen, "%s: out of memory", what);
            return NULL;
        }
        ms->m = m;
        ms->cap = cap;
    }
    /* O_NONBLOCK: a FIFO must not hang the open; it is refused just below. */
    int fd = open(rp, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open external data file '%s': %s", what, loc,
                 strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: external data location '%s' is not a regular file", what, loc);
        close(fd);
        return NULL;
    }
    fe_map m = {0};
    m.len = (size_t)st.st_size;
    if (m.len) {
        m.p = mmap(NULL, m.len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m.p == MAP_FAILED) {
            snprintf(err, errlen, "%s: cannot map external data file '%s': %s", what, loc,
                     strerror(errno));
            close(fd);
            return NULL;
        }
    }
    close(fd);
    m.path = strdup(rp);
    if (!m.path) {
        if (m.p) munmap(m.p, m.len);
        snprintf(err, errlen, "%s: out of memory", what);
        return NULL;
    }
    ms->m[ms->n] = m;
    return &ms->m[ms->n++];
}

int fe_extdata_map(fe_ctx *c, const Onnx__TensorProto *tp, const char *what, ir_tensor *t,
                   char *err, size_t errlen) {
    const char *loc = NULL, *soff = NULL, *slen = NULL;
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = tp->external_data[i];
        if (!e->key) continue;
        if (strcmp(e->key, "location") == 0) loc = e->value;
        else if (strcmp(e->key, "offset") == 0) soff = e->value;
        else if (strcmp(e->key, "length") == 0) slen = e->value;
    }
    if (!loc || !*loc) {
        snprintf(err, errlen, "%s: external data without a location", what);
        return -1;
    }
    if (!c->base_dir) {
        snprintf(err, errlen, "%s: external data '%s' needs the model's folder (loaded from "
                 "memory)", what, loc);
        return -1;
    }
    int64_t off = soff ? parse_size(soff) : 0;
    int64_t len = slen ? parse_size(slen) : -2;
    if (off < 0 || len == -1) {
        snprintf(err, errlen, "%s: external data offset '%s' / length '%s' is not a "
                 "non-negative integer", what, soff ? soff : "", slen ? slen : "");
        return -1;
    }
    if (loc[0] == '/') {
        snprintf(err, errlen, "%s: external data location '%s' is an absolute path", what, loc);
        return -1;
    }
    if (climbs_out(loc)) {
        snprintf(err, errlen, "%s: external data location '%s' is outside the model's folder",
                 what, loc);
        return -1;
    }
    char base[PATH_MAX], full[PATH_MAX], rp[PATH_MAX];
    if (!realpath(c->base_dir, base)) {
        snprintf(err, errlen, "%s: model folder '%s': %s", what, c->base_dir, strerror(errno));
        return -1;
    }
    if ((size_t)snprintf(full, sizeof full, "%s/%s", base, loc) >= sizeof full) {
        snprintf(err, errlen, "%s: external data location '%s' is too long", what, loc);
        return -1;
    }
    if (!realpath(full, rp)) {
        if (errno == ENOENT)
            snprintf(err, errlen, "%s: external data file '%s' not found", what, loc);
        else
            snprintf(err, errlen, "%s: external data file '%s': %s", what, loc, strerror(errno));
        return -1;
    }
    size_t bl = strlen(base);
    if (!(strncmp(rp, base, bl) == 0 && (rp[bl] == '/' || (bl == 1 && base[0] == '/')))) {
        snprintf(err, errlen, "%s: external data location '%s' is outside the model's folder",
                 what, loc);
        return -1;
    }
    fe_map *m = map_file(c, rp, what, loc, err, errlen);
    if (!m) return -1;
    if ((uint64_t)off > m->len) {
        snprintf(err, errlen, "%s: external data offset %lld is past the end of '%s' (%zu "
                 "bytes)", what, (long long)off, loc, m->len);
        return -1;
    }
    if (len == -2) len = (int64_t)(m->len - (size_t)off); /* whole rest of the file */
    if ((uint64_t)len > m->len - (size_t)off) {
        snprintf(err, errlen, "%s: external data offset %lld + length %lld is past the end of "
                 "'%s' (%zu bytes)", what, (long long)off, (long long)len, loc, m->len);
        return -1;
    }
    if ((uint64_t)len != t->nbytes) {
        snprintf(err, errlen, "%s: external data length %lld does not match its shape (%zu "
                 "bytes)", what, (long long)len, t->nbytes);
        return -1;
    }
    t->data = t->nbytes ? (char *)m->p + off : NULL;
    t->external = 1;
    c->external_bytes += len;
    return 0;
}
