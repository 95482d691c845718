/* rt_io.c - .npy and TensorProto .pb readers and writers (protobuf-c for .pb). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "onnx.pb-c.h"
#include "rt_io.h"

const char *rt_dtype_name(int dt) {
    switch (dt) {
    case RT_F32: return "float32";
    case RT_U8: return "uint8";
    case RT_I8: return "int8";
    case RT_U16: return "uint16";
    case RT_I16: return "int16";
    case RT_I32: return "int32";
    case RT_I64: return "int64";
    case RT_BOOL: return "bool";
    case RT_F16: return "float16";
    case RT_F64: return "float64";
    case RT_U32: return "uint32";
    case RT_U64: return "uint64";
    case RT_BF16: return "bfloat16";
    default: return "?";
    }
}

void rt_host_tensor_free(rt_host_tensor *t) {
    free(t->data);
    t->data = NULL;
}

/* Whole file into memory, with a size limit. */
static unsigned char *slurp(const char *path, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        fclose(f);
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory (%zu bytes)", path, n);
        fclose(f);
        return NULL;
    }
    if (n && fread(buf, 1, n, f) != n) {
        snprintf(err, errlen, "%s: read error", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

static int64_t numel_checked(const rt_host_tensor *t) {
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i] < 0 || (t->dims[i] && n > INT64_MAX / t->dims[i])) return -1;
        n *= t->dims[i];
    }
    return n;
}

/* ---- .npy ---- */
static const struct { const char *descr; int dt; } npy_types[] = {
    {"<f4", RT_F32}, {"<f8", RT_F64}, {"<i8", RT_I64}, {"<i4", RT_I32}, {"<i2", RT_I16},
    {"|i1", RT_I8},  {"|u1", RT_U8},  {"<u2", RT_U16}, {"<u4", RT_U32}, {"<u8", RT_U64},
    {"|b1", RT_BOOL}, {"<f2", RT_F16},
};

int rt_tensor_read_npy(const char *path, rt_host_tensor *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    size_t len;
    unsigned char *b = slurp(path, &len, err, errlen);
    if (!b) return -1;
    int rc = -1;
    size_t hlen, hoff;
    if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0) {
        snprintf(err, errlen, "%s: not a .npy file (bad magic)", path);
        goto out;
    }
    if (b[6] == 1) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
        hoff = 10;
    } else if (b[6] == 2 || b[6] == 3) {
        if (len < 12) { snprintf(err, errlen, "%s: truncated header", path); goto out; }
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        hoff = 12;
    } else {
        snprintf(err, errlen, "%s: unsupported .npy version %d", path, b[6]);
        goto out;
    }
    if (hlen > len - hoff) {
        snprintf(err, errlen, "%s: header longer than the file", path);
        goto out;
    }
    char *h = malloc(hlen + 1);
    if (!h) { snprintf(err, errlen, "out of memory"); goto out; }
    memcpy(h, b + hoff, hlen);
    h[hlen] = 0;
    /* {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } */
    char *d = strstr(h, "'descr'"), *fo = strstr(h, "'fortran_order'"), *sh = strstr(h, "'shape'");
    if (!d || !fo || !sh) {
        snprintf(err, errlen, "%s: header lacks descr/fortran_order/shape", path);
        free(h);
        goto out;
    }
    char descr[8] = "";
    char *q = strchr(d + 7, '\'');
    if (q) {
        char *e = strchr(q + 1, '\'');
        if (e && e - q - 1 < (int)sizeof descr) memcpy(descr, q + 1, (size_t)(e - q - 1));
    }
    t->dtype = 0;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (!strcmp(descr, npy_types[i].descr)) t->dtype = npy_types[i].dt;
    if (!t->dtype) {
        snprintf(err, errlen, "%s: unsupported dtype '%s' (little-endian numeric or bool only)",
                 path, descr);
        free(h);
        goto out;
    }
    if (strstr(fo, "True") && strstr(fo, "True") < sh + 1000 && strstr(fo, "True") < strchr(fo, ',')) {
        snprintf(err, errlen, "%s: Fortran-order arrays are not supported (save with C order)", path);
        free(h);
        goto out;
    }
    char *p = strchr(sh, '(');
    char *e = p ? strchr(p, ')') : NULL;
    if (!p || !e) {
        snprintf(err, errlen, "%s: bad shape in header", path);
        free(h);
        goto out;
    }
    p++;
    while (p < e) {
        while (p < e && (*p == ' ' || *p == ',')) p++;
        if (p >= e) break;
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 0 || t->rank >= RT_MAX_RANK) {
            snprintf(err, errlen, "%s: bad shape in header (rank <= %d, dims >= 0)", path, RT_MAX_RANK);
            free(h);
            goto out;
        }
        t->dims[t->rank++] = v;
        p = end;
    }
    free(h);
    int64_t n = numel_checked(t);
    size_t es = rt_dtype_size(t->dtype);
    if (n < 0 || (size_t)n > (len - hoff - hlen) / es || (size_t)n * es != len - hoff - hlen) {
        snprintf(err, errlen, "%s: data is %zu bytes, shape and dtype say %lld elements of %zu",
                 path, len - hoff - hlen, (long long)n, es);
        goto out;
    }
    t->nbytes = (size_t)n * es;
    t->data = malloc(t->nbytes ? t->nbytes : 1);
    if (!t->data) { snprintf(err, errlen, "out of memory"); goto out; }
    memcpy(t->data, b + hoff + hlen, t->nbytes);
    rc = 0;
out:
    free(b);
    return rc;
}

int rt_tensor_write_npy(const char *path, const rt_host_tensor *t, char *err, size_t errlen) {
    const char *descr = NULL;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (npy_types[i].dt == t->dtype) descr = npy_types[i].descr;
    if (!descr) {
        snprintf(err, errlen, "%s: no .npy dtype for %s", path, rt_dtype_name(t->dtype));
        return -1;
    }
    char h[512];
    int o = snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < t->rank; i++)
        o += snprintf(h + o, sizeof h - (size_t)o, "%lld%s", (long long)t->dims[i],
                      t->rank == 1 ? "," : (i + 1 < t->rank ? ", " : ""));
    o += snprintf(h + o, sizeof h - (size_t)o, "), }");
    int total = 10 + o + 1;
    int pad = (64 - total % 64) % 64;
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    unsigned hl = (unsigned)(o + pad + 1);
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 255),
                             (unsigned char)(hl >> 8)};
    fwrite(pre, 1, 10, f);
    fwrite(h, 1, (size_t)o, f);
    for (int i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    if (t->nbytes) fwrite(t->data, 1, t->nbytes, f);
    if (fclose(f) != 0) {
        snprintf(err, errlen, "%s: write error", path);
        return -1;
    }
    return 0;
}

/* ---- TensorProto .pb ---- */
int rt_tensor_read_pb(const char *path, rt_host_tensor *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    size_t len;
    unsigned char *b = slurp(path, &len, err, errlen);
    if (!b) return -1;
    Onnx__TensorProto *p = onnx__tensor_proto__unpack(NULL, len, b);
    free(b);
    if (!p) {
        snprintf(err, errlen, "%s: not an ONNX TensorProto", path);
        return -1;
    }
    int rc = -1;
    if (p->n_dims > RT_MAX_RANK) {
        snprintf(err, errlen, "%s: rank %zu > %d", path, p->n_dims, RT_MAX_RANK);
        goto out;
    }
    if (p->name) snprintf(t->name, sizeof t->name, "%s", p->name);
    t->dtype = p->data_type;
    t->rank = (int)p->n_dims;
    for (size_t i = 0; i < p->n_dims; i++) t->dims[i] = p->dims[i];
    int64_t n = numel_checked(t);
    size_t es = rt_dtype_size(t->dtype);
    if (n < 0 || !es) {
        snprintf(err, errlen, "%s: unsupported dtype %d or bad dims", path, p->data_type);
        goto out;
    }
    if ((uint64_t)n > SIZE_MAX / es) {
        snprintf(err, errlen, "%s: too large", path);
        goto out;
    }
    t->nbytes = (size_t)n * es;
    if (p->has_raw_data) {
        if (p->raw_data.len != t->nbytes) {
            snprintf(err, errlen, "%s: raw_data is %zu bytes, shape says %zu", path,
                     p->raw_data.len, t->nbytes);
            goto out;
        }
        t->data = malloc(t->nbytes ? t->nbytes : 1);
        if (!t->data) goto oom;
        memcpy(t->data, p->raw_data.data, t->nbytes);
    } else {
        size_t cnt = 0;
        switch (t->dtype) {
        case RT_F32: cnt = p->n_float_data; break;
        case RT_I64: cnt = p->n_int64_data; break;
        case RT_F64: cnt = p->n_double_data; break;
        case RT_U32: case RT_U64: cnt = p->n_uint64_data; break;
        default: cnt = p->n_int32_data; break;
        }
        if (cnt != (size_t)n) {
            snprintf(err, errlen, "%s: %zu values for %lld elements", path, cnt, (long long)n);
            goto out;
        }
        t->data = malloc(t->nbytes ? t->nbytes : 1);
        if (!t->data) goto oom;
        for (size_t i = 0; i < cnt; i++) {
            switch (t->dtype) {
            case RT_F32: ((float *)t->data)[i] = p->float_data[i]; break;
            case RT_I64: ((int64_t *)t->data)[i] = p->int64_data[i]; break;
            case RT_F64: ((double *)t->data)[i] = p->double_data[i]; break;
            case RT_U32: ((uint32_t *)t->data)[i] = (uint32_t)p->uint64_data[i]; break;
            case RT_U64: ((uint64_t *)t->data)[i] = p->uint64_data[i]; break;
            case RT_I32: ((int32_t *)t->data)[i] = p->int32_data[i]; break;
            case RT_I16: ((int16_t *)t->data)[i] = (int16_t)p->int32_data[i]; break;
            case RT_U16: case RT_F16: case RT_BF16: ((uint16_t *)t->data)[i] = (uint16_t)p->int32_data[i]; break;
            default: ((uint8_t *)t->data)[i] = (uint8_t)p->int32_data[i]; break;
            }
        }
    }
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "%s: out of memory", path);
out:
    onnx__tensor_proto__free_unpacked(p, NULL);
    return rc;
}

int rt_tensor_write_pb(const char *path, const rt_host_tensor *t, char *err, size_t errlen) {
    Onnx__TensorProto p = ONNX__TENSOR_PROTO__INIT;
    int64_t dims[RT_MAX_RANK];
    for (int i = 0; i < t->rank; i++) dims[i] = t->dims[i];
    p.n_dims = (size_t)t->rank;
    p.dims = dims;
    p.has_data_type = 1;
    p.data_type = t->dtype;
    p.name = (char *)t->name;
    p.has_raw_data = 1;
    p.raw_data.len = t->nbytes;
    p.raw_data.data = t->data;
    size_t n = onnx__tensor_proto__get_packed_size(&p);
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    onnx__tensor_proto__pack(&p, buf);
    FILE *f = fopen(path, "wb");
    int rc = 0;
    if (!f || fwrite(buf, 1, n, f) != n) rc = -1;
    if (f && fclose(f) != 0) rc = -1;
    if (rc) snprintf(err, errlen, "%s: %s", path, strerror(errno));
    free(buf);
    return rc;
}

int rt_tensor_read(const char *path, rt_host_tensor *t, char *err, size_t errlen) {
    size_t n = strlen(path);
    if (n >= 4 && !strcmp(path + n - 4, ".npy")) return rt_tensor_read_npy(path, t, err, errlen);
    if (n >= 3 && !strcmp(path + n - 3, ".pb")) return rt_tensor_read_pb(path, t, err, errlen);
    snprintf(err, errlen, "%s: unknown tensor file type (expected .npy or .pb)", path);
    return -1;
}
