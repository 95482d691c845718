/* rt_io.h - tensors in and out of files for rank 0's driver: NumPy .npy and ONNX TensorProto
 * .pb (the backend-test layout). The .npy reader takes formats 1.0-3.0, either byte order and
 * C or Fortran order (converted to little-endian C order); the writer writes format 1.0,
 * little-endian, C order. .npy has no bfloat16: only .pb holds it. A tensor's data is always
 * little-endian, row-major (this host's order).
 *
 *   rt_host_tensor t;  char err[256];
 *   if (rt_tensor_read("ids.npy", &t, err, sizeof err)) ...   // by extension
 *   rt_tensor_write_npy("out/logits.npy", &t, err, sizeof err);
 *   rt_host_tensor_free(&t);
 *
 * Every size in a file is checked against the file's length before anything is allocated.
 */
#ifndef PIPPY_RT_IO_H
#define PIPPY_RT_IO_H

#include <stddef.h>
#include <stdint.h>
#include "rt_cpu.h"

typedef struct rt_host_tensor {
    char name[256];       /* TensorProto's name; "" for .npy */
    int32_t dtype;        /* RT_F32, ... */
    int32_t rank;
    int64_t dims[RT_MAX_RANK];
    void *data;           /* malloc'd, owned */
    size_t nbytes;        /* numel(dims) * rt_dtype_size(dtype): the writers refuse anything else */
} rt_host_tensor;

int rt_tensor_read(const char *path, rt_host_tensor *t, char *err, size_t errlen);
int rt_tensor_read_npy(const char *path, rt_host_tensor *t, char *err, size_t errlen);
int rt_tensor_read_pb(const char *path, rt_host_tensor *t, char *err, size_t errlen);
int rt_tensor_write_npy(const char *path, const rt_host_tensor *t, char *err, size_t errlen);
int rt_tensor_write_pb(const char *path, const rt_host_tensor *t, char *err, size_t errlen);
void rt_host_tensor_free(rt_host_tensor *t);
/* "float32", ... */
const char *rt_dtype_name(int dt);

#endif
