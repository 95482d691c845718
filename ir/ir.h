/* ir.h - pippyc's graph IR: values, nodes, attributes, weights, and the passes over them.
 *
 * The IR knows nothing of ONNX files or of partitioning. frontend/ builds it, partition/ and
 * codegen/ read it. Everything is index-based: a value is named by its index in g->vals, a
 * node by its index in g->nodes, so passes can rebuild arrays without chasing pointers.
 *
 *   ir_graph *g = ir_graph_new();
 *   int x = ir_value_add(g, "x", IR_DT_FLOAT, 2, (int64_t[]){4, 8});
 *   ir_graph_add_input(g, x);
 *   int y = ir_value_add(g, "y", IR_DT_FLOAT, -1, NULL);       // shape unknown yet
 *   int n = ir_node_add(g, IR_OP_RELU, "relu0", 1, &x, 1, &y);
 *   ir_graph_add_output(g, y);
 *   ir_passes_run(g, &opts);         // bind shapes, fold, infer, DCE
 *   if (g->diag.nerr) { ir_diag_print(&g->diag, stderr); ... }
 *   ir_graph_free(g);
 *
 * Errors are collected, not thrown (SQLite's nErr): a pass that meets bad input records a
 * diagnostic naming the node and goes on where it safely can; the caller checks once.
 * Memory: every string and array hanging off a graph lives in the graph's arena and is freed
 * with ir_graph_free. Weight bytes are borrowed (an mmapped file, kept alive by whoever
 * mapped it: see ir_graph_keep) or arena-owned (folded constants).
 */
#ifndef PIPPY_IR_H
#define PIPPY_IR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define IR_MAX_RANK 8

/* ---- ops: one enum from the op table (ir/ops.def) ---- */
enum { OPF_UNARY = 1, OPF_BINARY = 2, OPF_CMP = 4, OPF_SHAPE = 8, OPF_CONTROL = 16, OPF_INPLACE = 32 };

typedef enum ir_op {
#define OP(onnx, id, mi, ma, mo, mao, fl) IR_OP_##id,
#include "ops.def"
#undef OP
    IR_OP_COUNT
} ir_op;

typedef struct ir_op_info {
    const char *name; /* ONNX op_type */
    const char *id;   /* the enum's suffix: "MATMUL" for IR_OP_MATMUL / RT_OP_MATMUL */
    int min_in, max_in, min_out, max_out; /* max -1: variadic */
    int flags;
} ir_op_info;

extern const ir_op_info ir_op_table[IR_OP_COUNT];
/* Op by ONNX op_type (default domain); -1 if unknown. */
int ir_op_lookup(const char *op_type);

/* ---- dtypes: numbered as ONNX's TensorProto.DataType (a public enumeration) ---- */
typedef enum ir_dtype {
    IR_DT_UNDEF = 0,
    IR_DT_FLOAT = 1,
    IR_DT_UINT8 = 2,
    IR_DT_INT8 = 3,
    IR_DT_UINT16 = 4,
    IR_DT_INT16 = 5,
    IR_DT_INT32 = 6,
    IR_DT_INT64 = 7,
    IR_DT_STRING = 8,
    IR_DT_BOOL = 9,
    IR_DT_FLOAT16 = 10,
    IR_DT_DOUBLE = 11,
    IR_DT_UINT32 = 12,
    IR_DT_UINT64 = 13,
    IR_DT_COMPLEX64 = 14,
    IR_DT_COMPLEX128 = 15,
    IR_DT_BFLOAT16 = 16,
    IR_DT_COUNT
} ir_dtype;

/* Bytes per element; 0 for UNDEF, STRING and unknown codes. */
size_t ir_dtype_size(int dt);
/* "float32", "int64", ...; "?" for unknown codes. */
const char *ir_dtype_name(int dt);

/* ---- diagnostics ---- */
typedef struct ir_diag {
    int nerr;
    int nmsg, cap;
    char **msgs;   /* malloc'd; freed by ir_diag_free */
    int oom;       /* sticky: an allocation failed somewhere */
} ir_diag;

void ir_diag_error(ir_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ir_diag_print(const ir_diag *d, FILE *f); /* "error: ..." one line each */
void ir_diag_free(ir_diag *d);

/* ---- arena: one per graph, freed at once ---- */
typedef struct ir_arena ir_arena;
ir_arena *ir_arena_new(void);
void *ir_arena_alloc(ir_arena *a, size_t n);      /* zeroed, 16-aligned; NULL on OOM */
char *ir_arena_strdup(ir_arena *a, const char *s);
void ir_arena_free(ir_arena *a);
/* Test hook: make the Nth allocation from now fail (0 = never). Covers arenas and ir_xmalloc. */
void ir_fail_alloc_at(long n);
void *ir_xmalloc(size_t n); /* malloc with the test hook; NULL on failure */

/* ---- shapes ---- */
typedef struct ir_dim {
    int64_t v;          /* >= 0 known; -1 unknown */
    const char *sym;    /* dim_param name when v < 0 (may be NULL) */
} ir_dim;

/* Number of elements of a fully known shape, or -1 if unknown or on overflow. */
int64_t ir_shape_numel(int rank, const ir_dim *dims);
/* Checked a*b for non-negative sizes; -1 on overflow. */
int64_t ir_mul_checked(int64_t a, int64_t b);

/* ---- tensors (weights, constants, attribute values) ---- */
typedef struct ir_tensor {
    int dtype;
    int rank;
    int64_t dims[IR_MAX_RANK];
    void *data;        /* rank 0 is a scalar; numel 0 may have data == NULL */
    size_t nbytes;     /* numel * dtype size */
    /* Where the bytes live, for codegen (weight shards) and for memory accounting. */
    int external;      /* 1: data points into a mapped external-data file */
} ir_tensor;

int64_t ir_tensor_numel(const ir_tensor *t);
/* Element i as int64 / double (any numeric dtype); for constant-shape reading. */
int64_t ir_tensor_get_i64(const ir_tensor *t, int64_t i);
double ir_tensor_get_f64(const ir_tensor *t, int64_t i);

/* ---- attributes ---- */
typedef enum ir_attr_type {
    IR_ATTR_FLOAT,
    IR_ATTR_INT,
    IR_ATTR_STRING,
    IR_ATTR_TENSOR,
    IR_ATTR_GRAPH,
    IR_ATTR_FLOATS,
    IR_ATTR_INTS,
    IR_ATTR_STRINGS,
} ir_attr_type;

struct ir_graph;
typedef struct ir_attr {
    const char *name;
    ir_attr_type type;
    float f;
    int64_t i;
    const char *s;
    int n;                 /* count for FLOATS / INTS / STRINGS */
    float *floats;
    int64_t *ints;
    const char **strs;
    ir_tensor *t;
    struct ir_graph *g;    /* subgraph, owned by the enclosing graph */
} ir_attr;

/* ---- values ---- */
typedef enum ir_value_kind {
    IR_VAL_ACT,      /* produced by a node */
    IR_VAL_INPUT,    /* graph input */
    IR_VAL_WEIGHT,   /* initializer (a parameter) */
    IR_VAL_CONST,    /* constant made by a pass (Constant node, folding, concrete arg) */
    IR_VAL_OUTER,    /* in a subgraph: a name captured from an enclosing graph */
} ir_value_kind;

typedef struct ir_value {
    const char *name;
    int dtype;             /* ir_dtype; IR_DT_UNDEF until known */
    int rank;              /* -1 unknown */
    ir_dim dims[IR_MAX_RANK];
    ir_value_kind kind;
    int producer;          /* node index, or -1 */
    int is_output;         /* a graph output */
    ir_tensor *data;       /* WEIGHT and CONST: the bytes */
} ir_value;

/* ---- nodes ---- */
typedef struct ir_node {
    const char *name;      /* never NULL: the frontend names anonymous nodes */
    ir_op op;
    int nin, nout;
    int *in;               /* value indices; -1 = optional input left out */
    int *out;
    int nattr;
    ir_attr *attrs;
    int dead;              /* removed by a pass; compacted by ir_graph_compact */
} ir_node;

/* ---- graphs ---- */
typedef struct ir_graph {
    ir_arena *arena;
    ir_value *vals;
    int nvals, capvals;
    ir_node *nodes;        /* topological order after ir_graph_toposort */
    int nnodes, capnodes;
    int *inputs;           /* value indices, graph-input order (initializers excluded) */
    int ninputs, capinputs;
    int *outputs;
    int noutputs, capoutputs;
    int opset;             /* default-domain opset the model was written for */
    const char *name;
    struct ir_graph *parent; /* enclosing graph, for subgraphs */
    int *name_hash;        /* open addressing: value index + 1, 0 empty */
    int hashcap;
    ir_diag diag;          /* the root graph's diagnostics; subgraphs report to their root */
    /* Resources kept alive as long as the graph (mmapped weight files). */
    void (*keep_free[8])(void *);
    void *keep[8];
    int nkeep;
} ir_graph;

/* The returned graph is owned by the caller; free with ir_graph_free. NULL on OOM. */
ir_graph *ir_graph_new(void);
ir_graph *ir_subgraph_new(ir_graph *parent); /* freed with its parent's arena; do not free */
void ir_graph_free(ir_graph *g);
/* Keep res alive until ir_graph_free, which calls fn(res). Returns -1 if the table is full. */
int ir_graph_keep(ir_graph *g, void *res, void (*fn)(void *));
ir_diag *ir_graph_diag(ir_graph *g); /* the root's diag */

/* Add a value; dims may be NULL when rank <= 0. Returns its index, -1 on OOM. */
int ir_value_add(ir_graph *g, const char *name, int dtype, int rank, const int64_t *dims);
/* Value index by name, or -1. Names are unique within a graph. */
int ir_value_find(const ir_graph *g, const char *name);
/* A fresh value name built from base that is unique in g ("base", "base__1", ...). */
const char *ir_unique_name(ir_graph *g, const char *base);
/* Make value v a constant holding t (t copied into the arena when copy != 0). */
int ir_value_set_const(ir_graph *g, int v, const ir_tensor *t, int copy);

int ir_graph_add_input(ir_graph *g, int v);
int ir_graph_add_output(ir_graph *g, int v);

/* Add a node; in/out arrays are copied. Returns its index, -1 on OOM. Sets producers. */
int ir_node_add(ir_graph *g, ir_op op, const char *name, int nin, const int *in, int nout,
                const int *out);
/* Attributes are appended; the name and arrays are copied into the arena. */
ir_attr *ir_node_add_attr(ir_graph *g, int node, const char *name, ir_attr_type type);
const ir_attr *ir_node_attr(const ir_node *n, const char *name);
int64_t ir_attr_int(const ir_node *n, const char *name, int64_t dflt);
float ir_attr_float(const ir_node *n, const char *name, float dflt);
const char *ir_attr_string(const ir_node *n, const char *name, const char *dflt);
/* Input i's value or NULL when absent (i >= nin or left out). */
ir_value *ir_node_input(ir_graph *g, const ir_node *n, int i);

/* Consumers: for each value, the list of nodes reading it (rebuilt on demand). */
typedef struct ir_uses {
    int *start;  /* nvals+1 offsets into node */
    int *node;
} ir_uses;
int ir_uses_build(const ir_graph *g, ir_uses *u); /* malloc'd; ir_uses_free */
void ir_uses_free(ir_uses *u);

/* Order nodes topologically (stable: keeps the file's order where it is already valid).
 * A cycle is a diagnostic naming a node on it; returns -1. */
int ir_graph_toposort(ir_graph *g);
/* Check structure: every input defined, one producer per value, no cycle, arity per the op
 * table. Diagnostics name the node, op and input index. Returns the number of errors. */
int ir_graph_validate(ir_graph *g);
/* Drop dead nodes (values stay: indices remain valid). */
int ir_graph_compact(ir_graph *g);

/* ---- passes (ir/ir_pass.c) ---- */
typedef struct ir_shape_bind {
    const char *name;     /* a graph input name or a dim_param name */
    int rank;
    int64_t dims[IR_MAX_RANK];
} ir_shape_bind;

typedef struct ir_concrete_arg {
    const char *name;     /* a graph input */
    const char *text;     /* "true", "3", "1.5", "1,2,3" */
} ir_concrete_arg;

typedef struct ir_pass_opts {
    const ir_shape_bind *binds;
    int nbinds;
    const ir_concrete_arg *concrete;
    int nconcrete;
    int64_t fold_limit;   /* largest constant (bytes) folding may create; 0: default 1 MiB */
    int no_fold;          /* skip constant folding (debugging) */
} ir_pass_opts;

/* The whole pipeline: bind shapes -> concrete args -> (fold If, fold constants, infer
 * shapes) until nothing changes -> DCE -> compact. Returns the number of errors. */
int ir_passes_run(ir_graph *g, const ir_pass_opts *o);
int ir_pass_bind_shapes(ir_graph *g, const ir_shape_bind *b, int n);
int ir_pass_concrete_args(ir_graph *g, const ir_concrete_arg *a, int n);
int ir_pass_fold_if(ir_graph *g);               /* returns number of Ifs inlined */
int ir_pass_fold_constants(ir_graph *g, int64_t limit); /* returns number of nodes folded */
int ir_pass_dce(ir_graph *g);                   /* returns number of nodes removed */
int ir_pass_fuse(ir_graph *g);                  /* MatMul(A, Transpose(W)) -> one MatMul */

/* ---- shape and dtype inference (ir/ir_shape.c) ---- */
/* Infer output dtype and shape of node ni from its inputs (and constant inputs' data where
 * an op needs them, e.g. Reshape's shape). Unknown stays unknown; contradictions are
 * diagnostics. Returns 0 or -1 on error. */
int ir_shape_infer_node(ir_graph *g, int ni);
/* All nodes in order; returns the number of errors. */
int ir_shape_infer(ir_graph *g);

/* ---- microbatch axes (ir/ir_batch.c) ----
 * Which axis of each value holds the microbatches, given the axis each graph input is cut
 * along: followed through every node in topological order by one rule per op, from the op's
 * structure. Rank 0 joins each graph output along its axis; later passes may reuse axis[] to
 * find batch-sized constants.
 *
 *   ir_batch b;
 *   if (ir_batch_analyze(g, split_dims, &b)) ... // OOM
 *   int n = ir_batch_output_axes(g, &b, NULL, chunks, out_axis, &diag);
 *   ir_batch_free(&b);
 */
enum {
    IR_BATCH_NONE = -1,    /* depends on no cut input: the same for every microbatch */
    IR_BATCH_UNKNOWN = -2, /* depends on cut data along an axis no rule can derive */
    IR_BATCH_MIXED = -3,   /* combines data across the microbatch axis (a softmax or reduction
                              over it, a MatMul contracting it, ...): microbatching changes it */
};

typedef struct ir_batch {
    int nvals, nnodes;
    int *axis;     /* per value: the microbatch axis (>= 0) or an IR_BATCH_* code */
    int64_t *inner;/* per value with an axis: how many consecutive indices along it belong to
                      one index of the cut input axis (1 for the inputs; H after a reshape
                      merges [B, H] into [B*H]); 0 otherwise */
    int *origin;   /* per value: for UNKNOWN and MIXED, the node where it arose; else -1 */
    char **why;    /* per node: what it does to the cut, where UNKNOWN or MIXED arose; else NULL */
} ir_batch;

/* in_axis: per graph input (g->inputs order) the axis cut into microbatches, -1 replicated
 * (NULL: axis 0 for every input of rank >= 1). Returns 0, or -1 on OOM (b then empty). b is
 * owned by the caller; free with ir_batch_free. */
int ir_batch_analyze(const ir_graph *g, const int *in_axis, ir_batch *b);
void ir_batch_free(ir_batch *b);
/* Each graph output's join axis into out_axis[g->noutputs]: override[i] where override and
 * override[i] >= -1 (the user's word: --output-split-spec), else the analysis' axis (-1 for a
 * value that is the same for every microbatch: one copy). With chunks > 1 an output that
 * mixes microbatches (even when overridden), or whose axis is unknown and not overridden, is
 * a diagnostic naming the node where that arose; out_axis is then -1. Returns the number of
 * diagnostics. */
int ir_batch_output_axes(const ir_graph *g, const ir_batch *b, const int *override, int chunks,
                         int *out_axis, ir_diag *d);

/* ---- memory planning (ir/ir_mem.c): the one liveness planner, used by codegen's arena
 * plan and by the partitioner's memory estimate ---- */
typedef struct ir_mem_block {
    int64_t bytes;
    int birth, death;      /* live over positions [birth, death] (inclusive) */
    int64_t offset;        /* out */
} ir_mem_block;

/* Assign offsets so that blocks whose lifetimes overlap never overlap in memory; each offset
 * a multiple of align. Greedy best fit, largest first. Returns the arena size, -1 on OOM or
 * overflow. */
int64_t ir_mem_assign(ir_mem_block *b, int n, int64_t align);

/* ---- printing ---- */
void ir_graph_dump(const ir_graph *g, FILE *f);
/* "float32[4x?x768]" into buf. */
const char *ir_value_type_str(const ir_value *v, char *buf, size_t len);

#endif
