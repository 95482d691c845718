/* opts.h - pippyc's options: from the command line and from --config FILE.yaml.
 * Every option has a long flag and a YAML key of the same name; flags win over the file. */
#ifndef PIPPYC_OPTS_H
#define PIPPYC_OPTS_H

#include <stdint.h>
#include "ir.h"
#include "part.h"

#define PC_MAX_LIST 64

typedef struct pc_opts {
    const char *model;
    const char *outdir;          /* -o / output */
    const char *config;
    const char *split;           /* policy name */
    int ranks;                   /* 0: unset */
    const char *threshold;       /* size string */
    int chunks;
    const char *dot;
    const char *device;
    int threads;
    int no_fold;
    int plan_only;
    int verbose;
    int nsplit;
    char *split_spec[PC_MAX_LIST];   /* "NAME=DIM" */
    int noutsplit;
    char *out_split_spec[PC_MAX_LIST]; /* "NAME=DIM": a graph output's join axis */
    int nshape;
    ir_shape_bind shapes[PC_MAX_LIST];
    int nconcrete;
    ir_concrete_arg concrete[PC_MAX_LIST];
    int ncollapse;
    const char *collapse[PC_MAX_LIST];
    /* which fields the command line set (flags win over --config) */
    unsigned set;
    /* strings the config file gave (owned; pc_opts_free) */
    int nowned;
    char *owned[8 * PC_MAX_LIST];
} pc_opts;

/* Frees what pc_config_load allocated. */
void pc_opts_free(pc_opts *o);

enum {
    PC_SET_OUTDIR = 1 << 0, PC_SET_SPLIT = 1 << 1, PC_SET_RANKS = 1 << 2,
    PC_SET_THRESHOLD = 1 << 3, PC_SET_CHUNKS = 1 << 4, PC_SET_DOT = 1 << 5,
    PC_SET_DEVICE = 1 << 6, PC_SET_THREADS = 1 << 7, PC_SET_SHAPES = 1 << 8,
    PC_SET_CONCRETE = 1 << 9, PC_SET_COLLAPSE = 1 << 10, PC_SET_MODEL = 1 << 11,
    PC_SET_NOFOLD = 1 << 12, PC_SET_SPLITSPEC = 1 << 13, PC_SET_OUTSPLITSPEC = 1 << 14,
};

/* "NAME=2x128" (or "batch=4") into b. Returns 0, -1 with err set. Strings point into s's
 * copy, which the caller keeps alive. */
int pc_parse_shape(char *s, ir_shape_bind *b, char *err, size_t errlen);
/* "NAME=VALUE" */
int pc_parse_concrete(char *s, ir_concrete_arg *a, char *err, size_t errlen);
/* Merge FILE.yaml into o for every field the command line did not set. 0 or -1 with err. */
int pc_config_load(const char *path, pc_opts *o, char *err, size_t errlen);

#endif
