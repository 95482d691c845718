/* tensor_roundtrip.c - test tool for the runtime's tensor file I/O (runtime/rt_io.c): reads one
 * file with the reader rank 0 uses for --input (chosen by extension) and writes the tensor back
 * with the writers rank 0 uses for --output-dir, so that tests/scripts/tensor_io_check.py can
 * compare what came out with numpy and onnx.
 *
 *   tensor_roundtrip IN.npy|IN.pb [--npy OUT.npy] [--pb OUT.pb]
 *
 * Prints "dtype=float32 rank=2 dims=2x3 nbytes=24 name=x" on success. Exit 0: read (and every
 * write asked for) succeeded; 1: the read failed; 2: a write failed; 64: bad usage. Errors go to
 * stderr as "tensor_roundtrip: <rt_io's message>". */
#include <stdio.h>
#include <string.h>
#include "rt_io.h"

int main(int argc, char **argv) {
    const char *in = NULL, *npy = NULL, *pb = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--npy") && i + 1 < argc) npy = argv[++i];
        else if (!strcmp(argv[i], "--pb") && i + 1 < argc) pb = argv[++i];
        else if (!in && argv[i][0] != '-') in = argv[i];
        else in = NULL, i = argc;
    }
    if (!in) {
        fprintf(stderr, "usage: tensor_roundtrip IN.npy|IN.pb [--npy OUT.npy] [--pb OUT.pb]\n");
        return 64;
    }
    rt_host_tensor t;
    char err[512];
    if (rt_tensor_read(in, &t, err, sizeof err)) {
        fprintf(stderr, "tensor_roundtrip: %s\n", err);
        return 1;
    }
    printf("dtype=%s rank=%d dims=", rt_dtype_name(t.dtype), t.rank);
    for (int k = 0; k < t.rank; k++) printf("%s%lld", k ? "x" : "", (long long)t.dims[k]);
    printf(" nbytes=%zu name=%s\n", t.nbytes, t.name);
    int rc = 0;
    if (npy && rt_tensor_write_npy(npy, &t, err, sizeof err)) {
        fprintf(stderr, "tensor_roundtrip: %s\n", err);
        rc = 2;
    }
    if (pb && rt_tensor_write_pb(pb, &t, err, sizeof err)) {
        fprintf(stderr, "tensor_roundtrip: %s\n", err);
        rc = 2;
    }
    rt_host_tensor_free(&t);
    return rc;
}
