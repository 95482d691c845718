/* fe_tensor.c - ONNX TensorProto -> ir_tensor: dtype and dims checks, raw_data and the typed
 * fields (ONNX's storage rules), and fe_tensor_load_pb for backend-test .pb files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fe_internal.h"

int fe_tensor_header(const Onnx__TensorProto *tp, const char *what, ir_tensor *t, char *err,
                     size_t errlen) {
    memset(t, 0, sizeof *t);
    int dt = tp->has_data_type ? tp->data_type : 0;
    if (dt == IR_DT_STRING || dt == IR_DT_COMPLEX64 || dt == IR_DT_COMPLEX128) {
        snprintf(err, errlen, "%s has dtype %s, unsupported", what, ir_dtype_name(dt));
        return -1;
    }
    if (dt <= 0 || dt >= IR_DT_COUNT || ir_dtype_size(dt) == 0) {
        snprintf(err, errlen, "%s has unsupported data type %d", what, dt);
        return -1;
    }
    if (tp->segment) {
        snprintf(err, errlen, "%s is segmented, unsupported", what);
        return -1;
    }
    if (tp->n_dims > IR_MAX_RANK) {
        snprintf(err, errlen, "%s has rank %zu, more than %d", what, tp->n_dims, IR_MAX_RANK);
        return -1;
    }
    t->dtype = dt;
    t->rank = (int)tp->n_dims;
    int64_t n = 1;
    for (size_t i = 0; i < tp->n_dims; i++) {
        if (tp->dims[i] < 0) {
            snprintf(err, errlen, "%s has negative dimension %lld (dim %zu)", what,
                     (long long)tp->dims[i], i);
            return -1;
        }
        t->dims[i] = tp->dims[i];
        n = ir_mul_checked(n, tp->dims[i]);
        if (n < 0) {
            snprintf(err, errlen, "%s: element count overflows (dim %zu)", what, i);
            return -1;
        }
    }
    int64_t nb = ir_mul_checked(n, (int64_t)ir_dtype_size(dt));
    if (nb < 0 || (uint64_t)nb > (uint64_t)(SIZE_MAX / 2)) {
        snprintf(err, errlen, "%s: byte size overflows", what);
        return -1;
    }
    t->nbytes = (size_t)nb;
    return 0;
}

int fe_tensor_source(const Onnx__TensorProto *tp) {
    if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return FE_DATA_EXTERNAL;
    if (tp->has_raw_data) return FE_DATA_RAW;
    if (tp->n_float_data || tp->n_int32_data || tp->n_int64_data || tp->n_double_data ||
        tp->n_uint64_data || tp->n_string_data)
        return FE_DATA_TYPED;
    return FE_DATA_NONE;
}

/* The typed field ONNX stores dtype dt in, its name, and its count in tp. */
static const char *typed_field(const Onnx__TensorProto *tp, int dt, size_t *count) {
    switch (dt) {
    case IR_DT_FLOAT: *count = tp->n_float_data; return "float_data";
    case IR_DT_INT32: case IR_DT_INT16: case IR_DT_INT8: case IR_DT_UINT16: case IR_DT_UINT8:
    case IR_DT_BOOL: case IR_DT_FLOAT16: case IR_DT_BFLOAT16:
        *count = tp->n_int32_data; return "int32_data";
    case IR_DT_INT64: *count = tp->n_int64_data; return "int64_data";
    case IR_DT_UINT32: case IR_DT_UINT64: *count = tp->n_uint64_data; return "uint64_data";
    case IR_DT_DOUBLE: *count = tp->n_double_data; return "double_data";
    default: *count = 0; return "?";
    }
}

static void shape_str(const ir_tensor *t, char *buf, size_t len) {
    size_t o = (size_t)snprintf(buf, len, "%s[", ir_dtype_name(t->dtype));
    for (int i = 0; i < t->rank && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%lld", i ? "x" : "", (long long)t->dims[i]);
    if (o < len) snprintf(buf + o, len - o, "]");
}

int fe_tensor_check_inline(const Onnx__TensorProto *tp, const char *what, const ir_tensor *t,
                           char *err, size_t errlen) {
    char sh[160];
    int64_t numel = ir_tensor_numel(t);
    switch (fe_tensor_source(tp)) {
    case FE_DATA_RAW:
        if (tp->raw_data.len != t->nbytes) {
            shape_str(t, sh, sizeof sh);
            snprintf(err, errlen, "%s: raw_data has %zu bytes, its shape %s needs %zu", what,
                     tp->raw_data.len, sh, t->nbytes);
            return -1;
        }
        return 0;
    case FE_DATA_TYPED: {
        size_t count;
        const char *field = typed_field(tp, t->dtype, &count);
        if ((int64_t)count != numel) {
            shape_str(t, sh, sizeof sh);
            snprintf(err, errlen, "%s: %s has %zu values, its shape %s needs %lld", what, field,
                     count, sh, (long long)numel);
            return -1;
        }
        return 0;
    }
    case FE_DATA_NONE:
        if (numel != 0) {
            shape_str(t, sh, sizeof sh);
            snprintf(err, errlen, "%s (%s) has no data", what, sh);
            return -1;
        }
        return 0;
    default:
        snprintf(err, errlen, "%s: external data not expected here", what);
        return -1;
    }
}

void fe_tensor_copy_typed(const Onnx__TensorProto *tp, const ir_tensor *t, void *dst) {
    int64_t n = ir_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        switch (t->dtype) {
        case IR_DT_FLOAT: ((float *)dst)[i] = tp->float_data[i]; break;
        case IR_DT_INT32: ((int32_t *)dst)[i] = tp->int32_data[i]; break;
        case IR_DT_INT16: ((int16_t *)dst)[i] = (int16_t)tp->int32_data[i]; break;
        case IR_DT_INT8: ((int8_t *)dst)[i] = (int8_t)tp->int32_data[i]; break;
        case IR_DT_UINT16: case IR_DT_FLOAT16: case IR_DT_BFLOAT16: /* the bits */
            ((uint16_t *)dst)[i] = (uint16_t)tp->int32_data[i]; break;
        case IR_DT_UINT8: ((uint8_t *)dst)[i] = (uint8_t)tp->int32_data[i]; break;
        case IR_DT_BOOL: ((uint8_t *)dst)[i] = tp->int32_data[i] != 0; break;
        case IR_DT_INT64: ((int64_t *)dst)[i] = tp->int64_data[i]; break;
        case IR_DT_UINT32: ((uint32_t *)dst)[i] = (uint32_t)tp->uint64_data[i]; break;
        case IR_DT_UINT64: ((uint64_t *)dst)[i] = tp->uint64_data[i]; break;
        case IR_DT_DOUBLE: ((double *)dst)[i] = tp->double_data[i]; break;
        default: return; /* rejected by fe_tensor_header */
        }
    }
}

int fe_tensor_load_pb(const char *path, ir_tensor *t, char *name, size_t namelen, char *err,
                      size_t errlen) {
    memset(t, 0, sizeof *t);
    if (name && namelen) name[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        fclose(f);
        return -1;
    }
    if (st.st_size > INT32_MAX) {
        snprintf(err, errlen, "%s: %lld bytes, more than a TensorProto can hold (2 GiB)", path,
                 (long long)st.st_size);
        fclose(f);
        return -1;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        fclose(f);
        return -1;
    }
    size_t got = fread(buf, 1, len, f);
    fclose(f);
    if (got != len) {
        snprintf(err, errlen, "%s: short read", path);
        free(buf);
        return -1;
    }
    Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, buf);
    free(buf);
    if (!tp) {
        snprintf(err, errlen, "%s: not an ONNX TensorProto (protobuf parse failed)", path);
        return -1;
    }
    char what[300];
    snprintf(what, sizeof what, "tensor '%s' in %s", tp->name ? tp->name : "", path);
    int rc = -1;
    ir_tensor h;
    if (fe_tensor_header(tp, what, &h, err, errlen)) goto out;
    if (fe_tensor_source(tp) == FE_DATA_EXTERNAL) {
        snprintf(err, errlen, "%s: external data in a .pb tensor file, unsupported", what);
        goto out;
    }
    if (fe_tensor_check_inline(tp, what, &h, err, errlen)) goto out;
    h.data = NULL;
    if (h.nbytes) {
        h.data = malloc(h.nbytes);
        if (!h.data) {
            snprintf(err, errlen, "%s: out of memory (%zu bytes)", what, h.nbytes);
            goto out;
        }
        if (fe_tensor_source(tp) == FE_DATA_RAW) memcpy(h.data, tp->raw_data.data, h.nbytes);
        else fe_tensor_copy_typed(tp, &h, h.data);
    }
    *t = h;
    if (name && namelen) snprintf(name, namelen, "%s", tp->name ? tp->name : "");
    rc = 0;
out:
    onnx__tensor_proto__free_unpacked(tp, NULL);
    return rc;
}
