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

/* ---- .npy ----
 * The header is a Python dict literal holding exactly 'descr', 'fortran_order' and 'shape', in
 * any order (what numpy.lib.format checks):  {'descr': '<f4', 'fortran_order': False,
 * 'shape': (2, 3), }.  descr is a byte order ('<' little, '>' big, '|' or '=' this little-endian
 * host) and a kind and size; big-endian data is byte-swapped and Fortran-order data transposed
 * into the C order (row-major) that the runtime uses. */
static const struct { const char *code; int dt; } npy_types[] = {
    {"f4", RT_F32}, {"f8", RT_F64}, {"i8", RT_I64}, {"i4", RT_I32}, {"i2", RT_I16},
    {"i1", RT_I8},  {"u1", RT_U8},  {"u2", RT_U16}, {"u4", RT_U32}, {"u8", RT_U64},
    {"b1", RT_BOOL}, {"f2", RT_F16},
};

typedef struct npy_header {
    char descr[16];
    int fortran, rank;
    int64_t dims[RT_MAX_RANK];
} npy_header;

static const char *npy_ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

/* A quoted string ('...' or "...") at *pp into out (cap bytes with the NUL); 0 or -1. */
static int npy_string(const char **pp, char *out, size_t cap) {
    const char *p = *pp;
    char q = *p;
    if (q != '\'' && q != '"') return -1;
    const char *e = strchr(p + 1, q);
    if (!e || (size_t)(e - p - 1) >= cap) return -1;
    memcpy(out, p + 1, (size_t)(e - p - 1));
    out[e - p - 1] = 0;
    *pp = e + 1;
    return 0;
}

/* Parse the header dict h; on error a message (without the path) in why. */
static int npy_parse_header(const char *h, npy_header *nh, char *why, size_t whylen) {
    enum { K_DESCR = 1, K_FORTRAN = 2, K_SHAPE = 4 };
    int seen = 0;
    memset(nh, 0, sizeof *nh);
    const char *p = npy_ws(h);
    if (*p++ != '{') return snprintf(why, whylen, "header is not a dict"), -1;
    for (;;) {
        p = npy_ws(p);
        if (*p == '}') break;
        char key[32];
        if (npy_string(&p, key, sizeof key)) return snprintf(why, whylen, "bad key in header"), -1;
        p = npy_ws(p);
        if (*p++ != ':') return snprintf(why, whylen, "no ':' after '%s' in header", key), -1;
        p = npy_ws(p);
        int k = !strcmp(key, "descr") ? K_DESCR : !strcmp(key, "fortran_order") ? K_FORTRAN
              : !strcmp(key, "shape") ? K_SHAPE : 0;
        if (!k) return snprintf(why, whylen, "unexpected key '%s' in header", key), -1;
        if (seen & k) return snprintf(why, whylen, "key '%s' twice in header", key), -1;
        seen |= k;
        if (k == K_DESCR) {
            if (npy_string(&p, nh->descr, sizeof nh->descr))
                return snprintf(why, whylen, "bad 'descr' in header (a structured dtype?)"), -1;
        } else if (k == K_FORTRAN) {
            if (!strncmp(p, "True", 4)) nh->fortran = 1, p += 4;
            else if (!strncmp(p, "False", 5)) nh->fortran = 0, p += 5;
            else return snprintf(why, whylen, "'fortran_order' is neither True nor False"), -1;
        } else {
            if (*p++ != '(') return snprintf(why, whylen, "'shape' is not a tuple"), -1;
            int comma = 0; /* (6) is an int to Python: a 1-tuple is (6,) */
            for (;;) {
                p = npy_ws(p);
                if (*p == ')') break;
                if (*p < '0' || *p > '9')
                    return snprintf(why, whylen, "bad 'shape' in header (dims are integers >= 0)"), -1;
                int64_t v = 0;
                for (; *p >= '0' && *p <= '9'; p++) {
                    if (v > (INT64_MAX - (*p - '0')) / 10)
                        return snprintf(why, whylen, "a dimension in 'shape' overflows int64"), -1;
                    v = v * 10 + (*p - '0');
                }
                if (nh->rank >= RT_MAX_RANK)
                    return snprintf(why, whylen, "rank > %d in 'shape'", RT_MAX_RANK), -1;
                nh->dims[nh->rank++] = v;
                p = npy_ws(p);
                if (*p == ',') p++, comma = 1;
                else if (*p != ')') return snprintf(why, whylen, "bad 'shape' in header"), -1;
            }
            if (nh->rank == 1 && !comma)
                return snprintf(why, whylen, "'shape' (%lld) is not a tuple", (long long)nh->dims[0]), -1;
            p++;
        }
        p = npy_ws(p);
        if (*p == ',') p++;
        else if (*p != '}') return snprintf(why, whylen, "bad separator after '%s' in header", key), -1;
    }
    if (*npy_ws(p + 1)) return snprintf(why, whylen, "junk after the header dict"), -1;
    if (seen != (K_DESCR | K_FORTRAN | K_SHAPE))
        return snprintf(why, whylen, "header lacks %s", !(seen & K_DESCR) ? "'descr'"
                        : !(seen & K_FORTRAN) ? "'fortran_order'" : "'shape'"), -1;
    return 0;
}

/* Reverse the bytes of each of n elements of es bytes. */
static void npy_byteswap(uint8_t *d, int64_t n, size_t es) {
    for (int64_t i = 0; i < n; i++, d += es)
        for (size_t a = 0, b = es - 1; a < b; a++, b--) {
            uint8_t x = d[a];
            d[a] = d[b];
            d[b] = x;
        }
}

/* src holds t's n elements in Fortran order (the first index fastest); write them to dst in
 * C order. */
static void npy_from_fortran(const rt_host_tensor *t, const uint8_t *src, uint8_t *dst, int64_t n) {
    size_t es = rt_dtype_size(t->dtype);
    int64_t fstride[RT_MAX_RANK], idx[RT_MAX_RANK] = {0}, off = 0;
    int64_t s = 1;
    for (int k = 0; k < t->rank; k++) fstride[k] = s, s *= t->dims[k];
    for (int64_t i = 0; i < n; i++) {
        memcpy(dst + (size_t)i * es, src + (size_t)off * es, es);
        for (int k = t->rank - 1; k >= 0; k--) { /* next C-order index; off follows */
            off += fstride[k];
            if (++idx[k] < t->dims[k]) break;
            off -= fstride[k] * t->dims[k];
            idx[k] = 0;
        }
    }
}

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
        snprintf(err, errlen, "%s: unsupported .npy version %d.%d", path, b[6], b[7]);
        goto out;
    }
    if (hlen > len - hoff) {
        snprintf(err, errlen, "%s: header longer than the file", path);
        goto out;
    }
    char *h = malloc(hlen + 1);
    if (!h) { snprintf(err, errlen, "%s: out of memory", path); goto out; }
    memcpy(h, b + hoff, hlen);
    h[hlen] = 0;
    npy_header nh;
    char why[128];
    int bad = strlen(h) != hlen ? (snprintf(why, sizeof why, "NUL byte in the header"), -1)
                                : npy_parse_header(h, &nh, why, sizeof why);
    free(h);
    if (bad) {
        snprintf(err, errlen, "%s: %s", path, why);
        goto out;
    }
    char bo = nh.descr[0];
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (bo && strchr("<>|=", bo) && !strcmp(nh.descr + 1, npy_types[i].code)) t->dtype = npy_types[i].dt;
    if (!t->dtype) {
        snprintf(err, errlen, "%s: unsupported dtype '%s' (numeric or bool only: f2 f4 f8 i1-i8 "
                 "u1-u8 b1)", path, nh.descr);
        goto out;
    }
    t->rank = nh.rank;
    memcpy(t->dims, nh.dims, sizeof t->dims);
    int64_t n = numel_checked(t);
    size_t es = rt_dtype_size(t->dtype), have = len - hoff - hlen;
    if (n < 0) {
        snprintf(err, errlen, "%s: the shape's element count overflows", path);
        goto out;
    }
    if ((uint64_t)n > have / es || (size_t)n * es != have) {
        snprintf(err, errlen, "%s: data is %zu bytes, shape and dtype say %lld elements of %zu",
                 path, have, (long long)n, es);
        goto out;
    }
    t->nbytes = (size_t)n * es;
    t->data = malloc(t->nbytes ? t->nbytes : 1);
    if (!t->data) { snprintf(err, errlen, "%s: out of memory", path); goto out; }
    if (nh.fortran && t->rank > 1) npy_from_fortran(t, b + hoff + hlen, t->data, n);
    else memcpy(t->data, b + hoff + hlen, t->nbytes);
    if (bo == '>' && es > 1) npy_byteswap(t->data, n, es);
    rc = 0;
out:
    free(b);
    return rc;
}

/* t->nbytes must be what its dtype and shape say: the writers' check of their caller. */
static int check_nbytes(const char *path, const rt_host_tensor *t, char *err, size_t errlen) {
    size_t es = rt_dtype_size(t->dtype);
    int64_t n = t->rank >= 0 && t->rank <= RT_MAX_RANK ? numel_checked(t) : -1;
    if (!es || n < 0 || (uint64_t)n > SIZE_MAX / es || (size_t)n * es != t->nbytes ||
        (t->nbytes && !t->data)) {
        snprintf(err, errlen, "%s: cannot write a %s tensor of rank %d with %zu bytes of data "
                 "(dtype, shape and size disagree)", path, rt_dtype_name(t->dtype), t->rank, t->nbytes);
        return -1;
    }
    return 0;
}

/* Format 1.0, little-endian, C order; the header padded so that the data starts at a multiple
 * of 64 bytes (as numpy writes it). */
int rt_tensor_write_npy(const char *path, const rt_host_tensor *t, char *err, size_t errlen) {
    const char *code = NULL;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (npy_types[i].dt == t->dtype) code = npy_types[i].code;
    if (!code) {
        snprintf(err, errlen, "%s: no .npy dtype for %s", path, rt_dtype_name(t->dtype));
        return -1;
    }
    if (check_nbytes(path, t, err, errlen)) return -1;
    char h[512]; /* rank <= 8 dims of <= 20 digits: always fits */
    int o = snprintf(h, sizeof h, "{'descr': '%c%s', 'fortran_order': False, 'shape': (",
                     rt_dtype_size(t->dtype) == 1 ? '|' : '<', code);
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
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(h, 1, (size_t)o, f) == (size_t)o;
    for (int i = 0; ok && i < pad; i++) ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF;
    ok = ok && (!t->nbytes || fwrite(t->data, 1, t->nbytes, f) == t->nbytes);
    if (fclose(f) != 0 || !ok) {
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
    if (p->segment || (p->has_data_location &&
                       p->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)) {
        snprintf(err, errlen, "%s: segmented or external-data tensors are not supported", path);
        goto out;
    }
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
    if (!es) {
        snprintf(err, errlen, "%s: unsupported dtype %d (numeric or bool only)", path, p->data_type);
        goto out;
    }
    if (n < 0) {
        snprintf(err, errlen, "%s: bad dims (negative, or the element count overflows)", path);
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
        if (t->nbytes) memcpy(t->data, p->raw_data.data, t->nbytes); /* data is NULL when empty */
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
            case RT_BOOL: ((uint8_t *)t->data)[i] = p->int32_data[i] != 0; break;
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

/* All dtypes as raw_data (little-endian), with t->name. */
int rt_tensor_write_pb(const char *path, const rt_host_tensor *t, char *err, size_t errlen) {
    if (check_nbytes(path, t, err, errlen)) return -1;
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
    p.raw_data.data = t->nbytes ? t->data : (uint8_t *)""; /* never NULL to protobuf-c's memcpy */
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
