/* fuzz_tensor.c - libFuzzer target for the runtime's tensor file readers (.npy and ONNX
 * TensorProto .pb, what rank 0 reads from the user). The first byte picks the reader; the
 * rest is the file. Bad files must give a clean error. A file that reads must survive a round
 * trip: written with each writer (.npy: every dtype but bfloat16, which it must refuse) and
 * read back, it must give the same dtype, shape, bytes (and, through .pb, name); anything else
 * aborts, which libFuzzer reports as a crash.
 *
 *   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DPIPPY_FUZZ=ON -DPIPPY_SANITIZE=ON
 *   cmake --build build-fuzz --target fuzz_tensor
 *   build-fuzz/bin/fuzz_tensor -max_total_time=60 corpus_copy/ tests/fuzz/corpus_tensor/
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rt_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *detail) {
    fprintf(stderr, "fuzz_tensor: round trip broke: %s%s%s\n", what, detail ? ": " : "",
            detail ? detail : "");
    abort();
}

/* u (read back from what was written from t) must be t; names only compared when asked. */
static void expect_same(const char *via, const rt_host_tensor *t, const rt_host_tensor *u, int names) {
    if (u->dtype != t->dtype) die(via, "dtype differs");
    if (u->rank != t->rank) die(via, "rank differs");
    for (int k = 0; k < t->rank; k++)
        if (u->dims[k] != t->dims[k]) die(via, "dims differ");
    if (u->nbytes != t->nbytes) die(via, "size differs");
    if (t->nbytes && memcmp(u->data, t->data, t->nbytes)) die(via, "data differs");
    if (names && strcmp(u->name, t->name)) die(via, "name differs");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    char path[64], npy[64], pb[64];
    int pid = (int)getpid();
    snprintf(path, sizeof path, "/tmp/pippy_fuzz_tensor.%d.%s", pid, data[0] & 1 ? "pb" : "npy");
    snprintf(npy, sizeof npy, "/tmp/pippy_fuzz_tensor.%d.out.npy", pid);
    snprintf(pb, sizeof pb, "/tmp/pippy_fuzz_tensor.%d.out.pb", pid);
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    size_t w = fwrite(data + 1, 1, size - 1, f);
    if (fclose(f) != 0 || w != size - 1) {
        unlink(path);
        return 0;
    }
    rt_host_tensor t, u;
    char err[512];
    if (rt_tensor_read(path, &t, err, sizeof err) == 0) {
        /* .npy: every dtype but bfloat16 (which .npy cannot hold: a clean refusal) */
        int wrc = rt_tensor_write_npy(npy, &t, err, sizeof err);
        if (t.dtype == RT_BF16) {
            if (wrc == 0) die(".npy", "bfloat16 written to .npy");
        } else {
            if (wrc) die(".npy write", err);
            if (rt_tensor_read_npy(npy, &u, err, sizeof err)) die(".npy read back", err);
            expect_same(".npy", &t, &u, 0);
            rt_host_tensor_free(&u);
        }
        /* .pb: every dtype, with the name */
        if (rt_tensor_write_pb(pb, &t, err, sizeof err)) die(".pb write", err);
        if (rt_tensor_read_pb(pb, &u, err, sizeof err)) die(".pb read back", err);
        expect_same(".pb", &t, &u, 1);
        rt_host_tensor_free(&u);
        rt_host_tensor_free(&t);
    }
    unlink(path);
    unlink(npy);
    unlink(pb);
    return 0;
}
