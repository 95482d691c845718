/* fuzz_tensor.c - libFuzzer target for the runtime's tensor file readers (.npy and ONNX
 * TensorProto .pb, what rank 0 reads from the user). The first byte picks the reader; the
 * rest is the file. Only clean errors are allowed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "rt_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    char path[64];
    snprintf(path, sizeof path, "/tmp/pippy_fuzz_tensor.%d.%s", (int)getpid(),
             data[0] & 1 ? "pb" : "npy");
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    rt_host_tensor t;
    char err[512];
    if (rt_tensor_read(path, &t, err, sizeof err) == 0) {
        /* a tensor that reads must write back */
        if (rt_tensor_write_npy(path, &t, err, sizeof err) == 0) {
            rt_host_tensor u;
            if (rt_tensor_read_npy(path, &u, err, sizeof err) == 0) rt_host_tensor_free(&u);
        }
        rt_host_tensor_free(&t);
    }
    unlink(path);
    return 0;
}
