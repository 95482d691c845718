/* fe_internal.h - what the frontend's files share; nothing outside frontend/ includes it.
 *
 *   fe_onnx.c    file -> ModelProto -> ir_graph: values, nodes, attributes, subgraphs
 *   fe_tensor.c  TensorProto -> ir_tensor (dims, dtype, raw_data, typed fields); .pb files
 *   fe_extdata.c external data: path checks, one mmap per file, kept with the graph
 *   fe_opset.c   opset normalization: every node brought to its newest form
 *
 * Ownership of weight bytes (the choice the frontend makes):
 *  - raw_data: borrowed from the unpacked ModelProto, which is kept alive with the graph
 *    (one ir_graph_keep slot), so inline weights are never copied a second time;
 *  - typed fields (float_data, int32_data, ...): converted into the graph's arena;
 *  - external data: borrowed from a read-only private mapping of the file (one keep slot for
 *    all mappings), ir_tensor.external = 1.
 */
#ifndef PIPPY_FE_INTERNAL_H
#define PIPPY_FE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "fe.h"
#include "onnx.pb-c.h"

#define FE_MAX_DEPTH 32 /* nesting of subgraphs (If in If ...) */

typedef struct fe_maps fe_maps;

/* One load: shared by the main graph and its subgraphs. */
typedef struct fe_ctx {
    ir_graph *root;
    const char *base_dir;   /* folder of the model file; NULL: external data refused */
    fe_maps *maps;          /* NULL until the first external tensor */
    int64_t external_bytes;
    int opset;              /* default-domain opset */
} fe_ctx;

/* ---- fe_tensor.c ---- */
/* Check tp's dtype and dims and fill t's header (dtype, rank, dims, nbytes; data NULL).
 * what names the tensor in messages ("initializer 'w'"). 0, or -1 with err set. */
int fe_tensor_header(const Onnx__TensorProto *tp, const char *what, ir_tensor *t, char *err,
                     size_t errlen);
/* Where tp's bytes are. */
enum { FE_DATA_NONE, FE_DATA_RAW, FE_DATA_TYPED, FE_DATA_EXTERNAL };
int fe_tensor_source(const Onnx__TensorProto *tp);
/* Check the byte count of raw_data, or the typed field's count, against t (from
 * fe_tensor_header). 0, or -1 with err set. Call before allocating anything. */
int fe_tensor_check_inline(const Onnx__TensorProto *tp, const char *what, const ir_tensor *t,
                           char *err, size_t errlen);
/* Convert the typed field of tp into dst (t->nbytes bytes), after fe_tensor_check_inline. */
void fe_tensor_copy_typed(const Onnx__TensorProto *tp, const ir_tensor *t, void *dst);

/* ---- fe_extdata.c ---- */
/* Point t->data into the mapped external file described by tp (t from fe_tensor_header).
 * 0, or -1 with err set. */
int fe_extdata_map(fe_ctx *c, const Onnx__TensorProto *tp, const char *what, ir_tensor *t,
                   char *err, size_t errlen);

/* ---- fe_opset.c ---- */
/* Bring node ni of g (just converted, opset c->opset) to its newest form; onnx_type is the
 * file's op_type (Upsample arrives as IR_OP_RESIZE). May append nodes after ni. 0 or -1. */
int fe_opset_normalize(fe_ctx *c, ir_graph *g, int ni, const char *onnx_type);
/* True when (default-domain) op_type is importable: in the op table or rewritten. */
int fe_opset_known(const char *op_type);
/* The IR op a file op_type becomes (Upsample -> Resize); -1 if none. */
int fe_opset_op(const char *op_type);

#endif
