/* rt_cpu.c - dispatch from op to kernel family; attribute and dtype helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "rt_cpu_impl.h"
#include "rt_cpu_nn.h"
#include "rt_cpu_quant.h"

size_t rt_dtype_size(int dt) {
    switch (dt) {
    case RT_F32: case RT_I32: case RT_U32: return 4;
    case RT_U8: case RT_I8: case RT_BOOL: return 1;
    case RT_U16: case RT_I16: case RT_F16: case RT_BF16: return 2;
    case RT_I64: case RT_U64: case RT_F64: return 8;
    default: return 0;
    }
}

int64_t rt_numel(const rt_tensor *t) {
    if (t->rank < 0) return 0;
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) n *= t->dims[i];
    return n;
}

const rt_attr *rt_attr_find(const rt_attr *a, int na, const char *name) {
    for (int i = 0; i < na; i++)
        if (strcmp(a[i].name, name) == 0) return &a[i];
    return NULL;
}
int64_t rt_attr_i(const rt_attr *a, int na, const char *name, int64_t dflt) {
    const rt_attr *x = rt_attr_find(a, na, name);
    return x && x->type == RT_ATTR_INT ? x->i : dflt;
}
float rt_attr_f(const rt_attr *a, int na, const char *name, float dflt) {
    const rt_attr *x = rt_attr_find(a, na, name);
    return x && x->type == RT_ATTR_FLOAT ? x->f : dflt;
}
const char *rt_attr_s(const rt_attr *a, int na, const char *name, const char *dflt) {
    const rt_attr *x = rt_attr_find(a, na, name);
    return x && x->type == RT_ATTR_STRING ? x->s : dflt;
}

int rtk_fail(rt_kargs *a, int mode, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->k->err, sizeof a->k->err, fmt, ap);
    va_end(ap);
    return mode == RTK_SUPPORTS ? 0 : -1;
}

/* The op -> family map. Exhaustive, no default: a new op in ops.def that is not placed here
 * is a -Wswitch-enum warning. */
static int dispatch(rt_kargs *a, int mode) {
    switch ((rt_op)a->op) {
    case RT_OP_ABS: case RT_OP_NEG: case RT_OP_EXP: case RT_OP_LOG: case RT_OP_SQRT:
    case RT_OP_RECIPROCAL: case RT_OP_FLOOR: case RT_OP_CEIL: case RT_OP_ROUND:
    case RT_OP_SIGN: case RT_OP_RELU: case RT_OP_LEAKYRELU: case RT_OP_ELU: case RT_OP_SELU:
    case RT_OP_CELU: case RT_OP_THRESHOLDEDRELU: case RT_OP_SIGMOID: case RT_OP_HARDSIGMOID:
    case RT_OP_HARDSWISH: case RT_OP_SOFTPLUS: case RT_OP_SOFTSIGN: case RT_OP_MISH:
    case RT_OP_GELU: case RT_OP_TANH: case RT_OP_ERF: case RT_OP_SIN: case RT_OP_COS:
    case RT_OP_TAN: case RT_OP_ASIN: case RT_OP_ACOS: case RT_OP_ATAN: case RT_OP_SINH:
    case RT_OP_COSH: case RT_OP_ASINH: case RT_OP_ACOSH: case RT_OP_ATANH: case RT_OP_NOT:
    case RT_OP_BITWISENOT: case RT_OP_ISNAN: case RT_OP_ISINF: case RT_OP_IDENTITY:
    case RT_OP_CLIP: case RT_OP_CAST: case RT_OP_CASTLIKE: case RT_OP_DROPOUT:
        return rtk_unary(a, mode);
    case RT_OP_ADD: case RT_OP_SUB: case RT_OP_MUL: case RT_OP_DIV: case RT_OP_POW:
    case RT_OP_MOD: case RT_OP_PRELU: case RT_OP_MAX: case RT_OP_MIN: case RT_OP_SUM:
    case RT_OP_MEAN: case RT_OP_EQUAL: case RT_OP_LESS: case RT_OP_LESSOREQUAL:
    case RT_OP_GREATER: case RT_OP_GREATEROREQUAL: case RT_OP_AND: case RT_OP_OR:
    case RT_OP_XOR: case RT_OP_BITWISEAND: case RT_OP_BITWISEOR: case RT_OP_BITWISEXOR:
    case RT_OP_BITSHIFT: case RT_OP_WHERE:
        return rtk_binary(a, mode);
    case RT_OP_MATMUL: case RT_OP_GEMM: case RT_OP_EINSUM: case RT_OP_CONV:
    case RT_OP_CONVTRANSPOSE: case RT_OP_MAXPOOL: case RT_OP_AVERAGEPOOL:
    case RT_OP_GLOBALAVERAGEPOOL: case RT_OP_GLOBALMAXPOOL:
        return rtk_linalg(a, mode);
    case RT_OP_BATCHNORMALIZATION: case RT_OP_INSTANCENORMALIZATION:
    case RT_OP_LAYERNORMALIZATION: case RT_OP_GROUPNORMALIZATION:
    case RT_OP_LPNORMALIZATION:
        return rtk_norm(a, mode);
    case RT_OP_SOFTMAX: case RT_OP_LOGSOFTMAX: case RT_OP_HARDMAX: case RT_OP_CUMSUM:
    case RT_OP_REDUCESUM: case RT_OP_REDUCEMEAN: case RT_OP_REDUCEMAX: case RT_OP_REDUCEMIN:
    case RT_OP_REDUCEPROD: case RT_OP_REDUCEL1: case RT_OP_REDUCEL2: case RT_OP_REDUCELOGSUM:
    case RT_OP_REDUCELOGSUMEXP: case RT_OP_REDUCESUMSQUARE: case RT_OP_ARGMAX:
    case RT_OP_ARGMIN: case RT_OP_TOPK:
        return rtk_reduce(a, mode);
    case RT_OP_RESHAPE: case RT_OP_FLATTEN: case RT_OP_SQUEEZE: case RT_OP_UNSQUEEZE:
    case RT_OP_TRANSPOSE: case RT_OP_CONCAT: case RT_OP_SPLIT: case RT_OP_SLICE:
    case RT_OP_GATHER: case RT_OP_GATHERELEMENTS: case RT_OP_GATHERND:
    case RT_OP_SCATTERELEMENTS: case RT_OP_SCATTERND: case RT_OP_EXPAND: case RT_OP_TILE:
    case RT_OP_PAD: case RT_OP_DEPTHTOSPACE: case RT_OP_SPACETODEPTH: case RT_OP_TRILU:
    case RT_OP_ONEHOT: case RT_OP_RESIZE: case RT_OP_NONZERO: case RT_OP_SHAPE:
    case RT_OP_SIZE: case RT_OP_CONSTANT: case RT_OP_CONSTANTOFSHAPE: case RT_OP_RANGE:
    case RT_OP_EYELIKE:
        return rtk_move(a, mode);
    case RT_OP_NEGATIVELOGLIKELIHOODLOSS: case RT_OP_SOFTMAXCROSSENTROPYLOSS:
    case RT_OP_SHRINK: case RT_OP_LRN: case RT_OP_MEANVARIANCENORMALIZATION: case RT_OP_DET:
    case RT_OP_REVERSESEQUENCE:
        return rtk_nn(a, mode);
    case RT_OP_QUANTIZELINEAR: case RT_OP_DEQUANTIZELINEAR: case RT_OP_DYNAMICQUANTIZELINEAR:
        return rtk_quant(a, mode);
    case RT_OP_IF:
        return rtk_fail(a, mode, "If is not a kernel: it must fold away (--concrete-arg)");
    case RT_OP_COUNT:
        break;
    }
    return rtk_fail(a, mode, "unknown op %d", a->op);
}

int rt_cpu_supports(int op, const rt_attr *at, int na, const rt_tensor *in, int nin,
                    const rt_tensor *out, int nout, rt_kctx *k) {
    if (op < 0 || op >= RT_OP_COUNT) {
        snprintf(k->err, sizeof k->err, "unknown op %d", op);
        return 0;
    }
    rt_kargs a = {op, at, na, in, nin, (rt_tensor *)out, nout, k, 0};
    k->err[0] = 0;
    return dispatch(&a, RTK_SUPPORTS);
}

size_t rt_cpu_scratch(int op, const rt_attr *at, int na, const rt_tensor *in, int nin,
                      const rt_tensor *out, int nout) {
    rt_kctx k = {0};
    if (op < 0 || op >= RT_OP_COUNT) return 0;
    rt_kargs a = {op, at, na, in, nin, (rt_tensor *)out, nout, &k, 0};
    if (dispatch(&a, RTK_SCRATCH) != 0) return 0;
    return a.scratch_need;
}

int rt_cpu_run(int op, const rt_attr *at, int na, const rt_tensor *in, int nin, rt_tensor *out,
               int nout, rt_kctx *k) {
    if (op < 0 || op >= RT_OP_COUNT) {
        snprintf(k->err, sizeof k->err, "unknown op %d", op);
        return -1;
    }
    rt_kargs a = {op, at, na, in, nin, out, nout, k, 0};
    return dispatch(&a, RTK_RUN);
}
