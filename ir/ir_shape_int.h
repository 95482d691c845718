/* ir_shape_int.h - internal to ir/ir_shape.c and ir/ir_shape2.c: the helpers the per-op
 * shape functions share. Nothing else includes it.
 *
 * A shape function reads its node's inputs through sh_in (never NULL: an absent optional
 * input reads as "nothing known"), reads constant inputs through sh_data / sh_ints, reports
 * contradictions with sh_err (which names the node and op), and writes each output with
 * sh_out, which merges the result with what the output already declares (value_info). */
#ifndef PIPPY_IR_SHAPE_INT_H
#define PIPPY_IR_SHAPE_INT_H

#include "ir.h"

typedef struct sh_ctx {
    ir_graph *g;
    ir_node *n;
    ir_diag *d;
    int nerr;       /* errors this node reported */
} sh_ctx;

/* "node 'NAME' (Op): " + the message; counts in c->nerr and the root's diagnostics. */
void sh_err(sh_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Input i, or a value with nothing known (dtype UNDEF, rank -1) when absent. */
const ir_value *sh_in(sh_ctx *c, int i);
/* 1 if input i is given (not left out). */
int sh_present(sh_ctx *c, int i);
/* Input i's bytes if it is a weight or constant (or captures one from an enclosing graph),
 * after checking that the tensor is self-consistent; NULL when its data is not known. */
const ir_tensor *sh_data(sh_ctx *c, int i);
/* Read constant input i (rank 0 or 1, an integer dtype) into buf[0..*cnt). Returns 1 when
 * read, 0 when the data is not known, -1 after reporting an error (wrong rank or dtype, more
 * than maxn elements). what names the input in messages ("shape", "axes"). */
int sh_ints(sh_ctx *c, int i, const char *what, int64_t *buf, int maxn, int *cnt);
/* As sh_ints, but when input i is absent falls back to the INTS attribute attr (older
 * opsets' form): 1 read, 0 unknown or absent (*cnt = -1 when absent), -1 error. */
int sh_ints_or_attr(sh_ctx *c, int i, const char *attr, int64_t *buf, int maxn, int *cnt);
/* The INTS attribute name: its values and count, or NULL when absent (an attribute of the
 * wrong type is an error, also NULL). */
const int64_t *sh_attr_ints(sh_ctx *c, const char *name, int *cnt);
/* Normalize axis against rank (-rank <= axis < rank) into *out; else report and return -1. */
int sh_axis(sh_ctx *c, int64_t axis, int rank, const char *what, int *out);
/* Write output i: dtype (UNDEF: leave as is) and shape (rank -1: leave as is), merged with
 * what the value already declares. A contradiction between known facts is an error. */
int sh_out(sh_ctx *c, int i, int dtype, int rank, const ir_dim *dims);
/* "[2x?xbatch]" into buf. */
const char *sh_dims_str(int rank, const ir_dim *d, char *buf, size_t len);
/* a+b for non-negative sizes; -1 on overflow. */
int64_t sh_add_checked(int64_t a, int64_t b);
/* 1 if two dims are the same known size or the same named symbol. */
int sh_dim_same(ir_dim a, ir_dim b);
/* Integer dtypes (the ones index and shape inputs may have). */
int sh_is_int_dtype(int dt);
/* A data type code pippyc knows (1..16). */
int sh_valid_dtype(int64_t dt);

/* One input of a broadcast: its rank, dims and index (for messages). */
typedef struct sh_bin {
    int rank;
    const ir_dim *d;
    int idx;
} sh_bin;
/* numpy broadcasting of n shapes into *rank/dims; rank -1 if any rank is unknown. A known
 * dim other than 1 wins; a symbol survives only where every non-1 dim is that symbol.
 * Returns -1 after reporting a mismatch. */
int sh_broadcast(sh_ctx *c, int n, const sh_bin *in, int *rank, ir_dim *dims);

static inline ir_dim sh_known(int64_t v) { ir_dim d = {v, NULL}; return d; }
static inline ir_dim sh_unknown(void) { ir_dim d = {-1, NULL}; return d; }

/* Shape functions of ir_shape2.c (data movement, shapes and constants). */
void sh_reshape(sh_ctx *c);
void sh_flatten(sh_ctx *c);
void sh_squeeze(sh_ctx *c);
void sh_unsqueeze(sh_ctx *c);
void sh_transpose(sh_ctx *c);
void sh_concat(sh_ctx *c);
void sh_split(sh_ctx *c);
void sh_slice(sh_ctx *c);
void sh_gather(sh_ctx *c);
void sh_gather_elements(sh_ctx *c);
void sh_gather_nd(sh_ctx *c);
void sh_scatter(sh_ctx *c);
void sh_expand(sh_ctx *c);
void sh_tile(sh_ctx *c);
void sh_pad(sh_ctx *c);
void sh_depth_to_space(sh_ctx *c);
void sh_space_to_depth(sh_ctx *c);
void sh_onehot(sh_ctx *c);
void sh_resize(sh_ctx *c);
void sh_nonzero(sh_ctx *c);
void sh_shape(sh_ctx *c);
void sh_size(sh_ctx *c);
void sh_constant(sh_ctx *c);
void sh_constant_of_shape(sh_ctx *c);
void sh_range(sh_ctx *c);
void sh_eyelike(sh_ctx *c);

#endif
