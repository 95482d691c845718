/* fe.h - the ONNX frontend: ModelProto (protobuf-c, generated from the system's onnx.proto)
 * into the IR. Nothing past this folder includes ONNX or protobuf headers.
 *
 *   fe_model_info info;
 *   ir_graph *g = fe_onnx_load("model.onnx", &opts, &info);   // diagnostics in g->diag
 *   if (!g || g->diag.nerr) ...
 *
 * What the frontend does beyond copying fields:
 *  - initializers from raw_data, typed fields (float_data, int64_data, ...) and external data;
 *    external files are mmapped (never copied) and checked: location relative to the model's
 *    folder, no absolute path, no ".." escape, no symlink leading out, offset+length within the
 *    file; no offset/length means the whole file. The mapping lives as long as the graph.
 *  - opset normalization (1..21): inputs that became attributes or back (Split, Squeeze,
 *    Unsqueeze, Reduce*, Clip, Pad, Slice, Upsample->Resize ...) are brought to one form, the
 *    newest: the IR always sees the input form (e.g. Squeeze axes as an input).
 *  - every unsupported op (op_type, domain, node name) is reported before anything else.
 */
#ifndef PIPPY_FE_H
#define PIPPY_FE_H

#include <stdint.h>
#include "ir.h"

typedef struct fe_opts {
    int keep_inline_copy;   /* reserved */
} fe_opts;

typedef struct fe_model_info {
    int64_t ir_version;
    int64_t opset;          /* default domain */
    char producer[64];
    int64_t file_bytes;
    int64_t external_bytes; /* weight bytes mapped from external data files */
} fe_model_info;

/* Load an ONNX model. Returns a graph owned by the caller (ir_graph_free), which may carry
 * diagnostics; NULL only when nothing could be read, with the reason in *err (static buffer
 * of the caller, errlen bytes). info may be NULL. */
ir_graph *fe_onnx_load(const char *path, const fe_opts *o, fe_model_info *info, char *err,
                       size_t errlen);
/* Same from memory (for the fuzzer): no external data allowed (base_dir NULL) or resolved
 * against base_dir. */
ir_graph *fe_onnx_load_mem(const void *buf, size_t len, const char *base_dir,
                           const fe_opts *o, fe_model_info *info, char *err, size_t errlen);

/* Read one ONNX TensorProto (.pb) into t (data malloc'd; free(t->data)). 0 or -1 + err. */
int fe_tensor_load_pb(const char *path, ir_tensor *t, char *name, size_t namelen, char *err,
                      size_t errlen);

#endif
