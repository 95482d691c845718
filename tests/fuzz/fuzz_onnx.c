/* fuzz_onnx.c - libFuzzer target for the ONNX frontend: any bytes must give a graph with
 * diagnostics or NULL with a message, never a crash, hang or out-of-bounds read. The graph
 * (when clean) also goes through ir_graph_validate and ir_graph_toposort.
 *
 *   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DPIPPY_FUZZ=ON
 *   cmake --build build-fuzz --target fuzz_onnx
 *   build-fuzz/bin/fuzz_onnx -max_total_time=60 corpus_copy/ tests/fuzz/corpus/
 */
#include <stddef.h>
#include <stdint.h>
#include "fe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[512];
    fe_model_info info;
    ir_graph *g = fe_onnx_load_mem(data, size, NULL, NULL, &info, err, sizeof err);
    if (!g) return 0;
    if (g->diag.nerr == 0 && ir_graph_validate(g) == 0) ir_graph_toposort(g);
    ir_graph_free(g);
    return 0;
}
