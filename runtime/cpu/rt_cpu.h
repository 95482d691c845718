/* rt_cpu.h - the CPU kernels: one implementation of each op, used by stage programs and by
 * the compiler's constant folder alike (so folding can never disagree with running).
 *
 * The API is narrow on purpose: a kernel sees plain tensors (dtype, static shape, pointer)
 * and the node's attributes, never the IR. Output shapes are decided before the call (by
 * shape inference at compile time); a kernel fills outputs whose dims are already set.
 *
 *   rt_tensor in[2] = {{RT_F32, 2, {4, 8}, a}, {RT_F32, 2, {8, 3}, b}};
 *   rt_tensor out[1] = {{RT_F32, 2, {4, 3}, c}};
 *   rt_kctx k = {.nthreads = 4};
 *   if (!rt_cpu_supports(RT_OP_MATMUL, NULL, 0, in, 2, out, 1, &k)) ...   // k.err says why
 *   k.scratch = buf; k.scratch_size = rt_cpu_scratch(RT_OP_MATMUL, NULL, 0, in, 2, out, 1);
 *   if (rt_cpu_run(RT_OP_MATMUL, NULL, 0, in, 2, out, 1, &k)) fprintf(stderr, "%s\n", k.err);
 *
 * Ops are numbered by the op table (ir/ops.def), RT_OP_<ID>. An optional input that was left
 * out is a tensor with data == NULL and rank == -1. Memory: kernels allocate nothing; scratch
 * comes from the caller (a stage program's arena), sized by rt_cpu_scratch.
 */
#ifndef PIPPY_RT_CPU_H
#define PIPPY_RT_CPU_H

#include <stddef.h>
#include <stdint.h>

#define RT_MAX_RANK 8

typedef enum rt_op {
#define OP(onnx, id, mi, ma, mo, mao, fl) RT_OP_##id,
#include "ir/ops.def"
#undef OP
    RT_OP_COUNT
} rt_op;

/* Attributes the compiler adds (never from a model file: the frontend rejects names that
 * start with "_pippy"). MatMul with RT_ATTR_MATMUL_TRANSB = 1 reads its B (rank 2) as
 * transposed: the IR's fusion of MatMul(A, Transpose(W)), e.g. a tied LM head. */
#define RT_ATTR_RESERVED_PREFIX "_pippy"
#define RT_ATTR_MATMUL_TRANSB "_pippy_transB"

/* dtype codes: ONNX TensorProto.DataType numbering */
enum {
    RT_F32 = 1, RT_U8 = 2, RT_I8 = 3, RT_U16 = 4, RT_I16 = 5, RT_I32 = 6, RT_I64 = 7,
    RT_STR = 8, RT_BOOL = 9, RT_F16 = 10, RT_F64 = 11, RT_U32 = 12, RT_U64 = 13,
    RT_BF16 = 16
};

typedef struct rt_tensor {
    int32_t dtype;
    int32_t rank;                 /* -1: absent optional input */
    int64_t dims[RT_MAX_RANK];
    void *data;
} rt_tensor;

enum { RT_ATTR_FLOAT, RT_ATTR_INT, RT_ATTR_STRING, RT_ATTR_TENSOR, RT_ATTR_FLOATS,
       RT_ATTR_INTS, RT_ATTR_STRINGS };

typedef struct rt_attr {
    const char *name;
    int type;
    int64_t i;
    float f;
    const char *s;
    int n;                        /* FLOATS / INTS count */
    const int64_t *ints;
    const float *floats;
    const rt_tensor *t;
} rt_attr;

typedef struct rt_kctx {
    void *scratch;                /* at least rt_cpu_scratch() bytes, 64-aligned */
    size_t scratch_size;
    int nthreads;                 /* 0 or 1: serial */
    char err[256];                /* why supports() said no, or why run() failed */
} rt_kctx;

/* 1 if the kernel handles these dtypes/attributes/shapes; 0 with k->err set if not. */
int rt_cpu_supports(int op, const rt_attr *a, int na, const rt_tensor *in, int nin,
                    const rt_tensor *out, int nout, rt_kctx *k);
/* Scratch bytes the kernel needs for these shapes (0 for most). */
size_t rt_cpu_scratch(int op, const rt_attr *a, int na, const rt_tensor *in, int nin,
                      const rt_tensor *out, int nout);
/* Run it. 0 on success; -1 with k->err set (bad data such as an index out of range). */
int rt_cpu_run(int op, const rt_attr *a, int na, const rt_tensor *in, int nin, rt_tensor *out,
               int nout, rt_kctx *k);

/* Attribute look-ups for kernels. */
const rt_attr *rt_attr_find(const rt_attr *a, int na, const char *name);
int64_t rt_attr_i(const rt_attr *a, int na, const char *name, int64_t dflt);
float rt_attr_f(const rt_attr *a, int na, const char *name, float dflt);
const char *rt_attr_s(const rt_attr *a, int na, const char *name, const char *dflt);

size_t rt_dtype_size(int dt);
int64_t rt_numel(const rt_tensor *t);

/* float16 / bfloat16 bit patterns: round to nearest even; inf and NaN kept. */
uint16_t rt_f32_to_f16(float f);
float rt_f16_to_f32(uint16_t h);
uint16_t rt_f32_to_bf16(float f);
float rt_bf16_to_f32(uint16_t b);

#endif
