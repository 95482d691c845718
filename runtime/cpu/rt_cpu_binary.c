/* rt_cpu_binary.c - the broadcasting family: arithmetic, comparisons, logic, bitwise ops,
 * variadic Max/Min/Sum/Mean, PRelu and Where, all with numpy multidirectional broadcasting
 * up to rank 8.
 *
 * How a call runs: the output shape is checked against the broadcast of the inputs; then
 * the output dims are coalesced (size-1 dims dropped, neighbours merged where every input
 * walks them as one) into rows whose innermost stride is 0 or 1 for each input. A row
 * function for (op, dtype) handles one row with four loops (both operands contiguous, one
 * a scalar, both scalars), which covers same-shape and scalar operands as a single row.
 * Rows split across threads; a single long row splits into chunks.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "rt_cpu_elem.h"
#ifdef _OPENMP
#include <omp.h>
#endif

#define BC_MAXIN 3

/* One row: p[k] points at input k's first element, s[k] its stride (0 or 1), n elements. */
typedef void (*bc_rowfn)(const char *const *p, const int64_t *s, char *y, int64_t n, void *ctx);

typedef struct bc_plan {
    int rank; /* coalesced, >= 1 */
    int nin;
    int64_t dims[RT_MAX_RANK];
    int64_t st[BC_MAXIN][RT_MAX_RANK]; /* element strides; 0 along broadcast dims */
} bc_plan;

/* The numpy broadcast of tensors t[0..n-1] into (*rank, dims); 0 if they do not broadcast. */
static int bc_shape(const rt_tensor *const *t, int n, int *rank, int64_t *dims) {
    int r = 0;
    for (int k = 0; k < n; k++)
        if (t[k]->rank > r) r = t[k]->rank;
    for (int d = 0; d < r; d++) dims[d] = 1;
    for (int k = 0; k < n; k++) {
        int off = r - t[k]->rank;
        for (int j = 0; j < t[k]->rank; j++) {
            int64_t v = t[k]->dims[j], *o = &dims[off + j];
            if (v == *o || v == 1) continue;
            if (*o != 1) return 0;
            *o = v;
        }
    }
    *rank = r;
    return 1;
}

/* Plan the walk of inputs t[] (each broadcastable to out) over out's dims. */
static void bc_plan_make(bc_plan *P, const rt_tensor *const *t, int nin, const rt_tensor *out) {
    int R = out->rank;
    int64_t st[BC_MAXIN][RT_MAX_RANK];
    for (int k = 0; k < nin; k++) {
        int off = R - t[k]->rank;
        int64_t s = 1;
        for (int d = R - 1; d >= 0; d--) {
            int j = d - off;
            int64_t v = j >= 0 ? t[k]->dims[j] : 1;
            st[k][d] = (v == 1) ? 0 : s;
            s *= v;
        }
    }
    P->nin = nin;
    P->rank = 0;
    for (int d = 0; d < R; d++) {
        int64_t v = out->dims[d];
        if (v == 1) continue;
        if (P->rank > 0) {
            int m = P->rank - 1, merge = 1;
            for (int k = 0; k < nin; k++)
                if (P->st[k][m] != st[k][d] * v) merge = 0;
            if (merge) {
                P->dims[m] *= v;
                for (int k = 0; k < nin; k++) P->st[k][m] = st[k][d];
                continue;
            }
        }
        P->dims[P->rank] = v;
        for (int k = 0; k < nin; k++) P->st[k][P->rank] = st[k][d];
        P->rank++;
    }
    if (P->rank == 0) { /* scalar output */
        P->rank = 1;
        P->dims[0] = 1;
        for (int k = 0; k < nin; k++) P->st[k][0] = 0;
    }
}

/* Run fn over the plan. in[k]/esz[k]: input k's data and element size; y/ysz: output. */
static void bc_run(const bc_plan *P, const void *const *in, const size_t *esz, void *y,
                   size_t ysz, bc_rowfn fn, void *ctx, int nthreads) {
    int R = P->rank, nin = P->nin;
    int64_t inner = P->dims[R - 1], rows = 1;
    for (int d = 0; d < R - 1; d++) rows *= P->dims[d];
    int64_t s[BC_MAXIN];
    for (int k = 0; k < nin; k++) s[k] = P->st[k][R - 1];
    if (inner == 0 || rows == 0) return;
    int64_t total = rows * inner;
    int nt = (nthreads > 1 && total >= RTK_PAR_MIN) ? nthreads : 1;
    if (rows == 1) { /* one long row: chunks of it */
        int64_t chunk = (inner + nt - 1) / nt;
        _Pragma("omp parallel for num_threads(nt) if(nt > 1)")
        for (int c = 0; c < nt; c++) {
            int64_t c0 = (int64_t)c * chunk, c1 = c0 + chunk < inner ? c0 + chunk : inner;
            if (c0 >= c1) continue;
            const char *p[BC_MAXIN];
            for (int k = 0; k < nin; k++) p[k] = (const char *)in[k] + (size_t)(c0 * s[k]) * esz[k];
            fn(p, s, (char *)y + (size_t)c0 * ysz, c1 - c0, ctx);
        }
        return;
    }
    _Pragma("omp parallel num_threads(nt) if(nt > 1)")
    {
        int tid = 0, T = 1;
#ifdef _OPENMP
        tid = omp_get_thread_num();
        T = omp_get_num_threads();
#endif
        int64_t per = (rows + T - 1) / T, r0 = tid * per, r1 = r0 + per < rows ? r0 + per : rows;
        if (r0 < r1) {
            int64_t idx[RT_MAX_RANK], rem = r0;
            for (int d = R - 2; d >= 0; d--) {
                idx[d] = rem % P->dims[d];
                rem /= P->dims[d];
            }
            for (int64_t r = r0; r < r1; r++) {
                const char *p[BC_MAXIN];
                for (int k = 0; k < nin; k++) {
                    int64_t o = 0;
                    for (int d = 0; d < R - 1; d++) o += idx[d] * P->st[k][d];
                    p[k] = (const char *)in[k] + (size_t)o * esz[k];
                }
                fn(p, s, (char *)y + (size_t)(r * inner) * ysz, inner, ctx);
                for (int d = R - 2; d >= 0; d--) {
                    if (++idx[d] < P->dims[d]) break;
                    idx[d] = 0;
                }
            }
        }
    }
}

/* ---- row functions ---- */

/* A row of y = EXPR(a, b): element types TA, TB, TY in memory; a and b are loaded as CA, CB
 * by LA, LB; SY(TY, v) stores. float16/bfloat16 load into double and store through
 * round-to-odd float, so each result is the correctly rounded half of the double result. */
#define BIN_ROWC(NAME, TA, CA, LA, TB, CB, LB, TY, SY, EXPR) \
static void NAME(const char *const *p, const int64_t *s, char *py, int64_t n, void *ctx) { \
    const TA *A = (const TA *)p[0]; const TB *B = (const TB *)p[1]; TY *Y = (TY *)py; \
    (void)ctx; \
    if (s[0] && s[1]) { \
        for (int64_t i = 0; i < n; i++) { CA a = LA(A[i]); CB b = LB(B[i]); Y[i] = SY(TY, EXPR); } \
    } else if (s[0]) { \
        CB b = LB(B[0]); \
        for (int64_t i = 0; i < n; i++) { CA a = LA(A[i]); Y[i] = SY(TY, EXPR); } \
    } else if (s[1]) { \
        CA a = LA(A[0]); \
        for (int64_t i = 0; i < n; i++) { CB b = LB(B[i]); Y[i] = SY(TY, EXPR); } \
    } else { \
        CA a = LA(A[0]); CB b = LB(B[0]); TY v = SY(TY, EXPR); \
        for (int64_t i = 0; i < n; i++) Y[i] = v; \
    } \
}
#define BC_LD(x) (x)
#define BC_ST(T, v) ((T)(v))
#define BC_LF16(x) ((double)rtk_f16_to_f32(x))
#define BC_LBF16(x) ((double)rtk_bf16_to_f32(x))
#define BC_SF16(T, v) rtk_f32_to_f16(rtk_f64_to_f32_odd((double)(v)))
#define BC_SBF16(T, v) rtk_f32_to_bf16(rtk_f64_to_f32_odd((double)(v)))
/* The plain case: a, b, y as stored. */
#define BIN_ROW(NAME, TA, TB, TY, EXPR) BIN_ROWC(NAME, TA, TA, BC_LD, TB, TB, BC_LD, TY, BC_ST, EXPR)

/* One op over every numeric dtype: FE for floats (float16/bfloat16 computed in double), SE(T, UT)
 * for signed and UE(T, UT) for unsigned integers (T the type, UT its unsigned twin). Rows are
 * named OP_f32, OP_f64, OP_f16, OP_bf16, OP_i8 ... OP_i64, OP_u8 ... OP_u64. */
#define BIN_NUM(OP, FE, SE, UE) \
    BIN_ROW(OP##_f32, float, float, float, FE) \
    BIN_ROW(OP##_f64, double, double, double, FE) \
    BIN_ROWC(OP##_f16, uint16_t, double, BC_LF16, uint16_t, double, BC_LF16, uint16_t, BC_SF16, FE) \
    BIN_ROWC(OP##_bf16, uint16_t, double, BC_LBF16, uint16_t, double, BC_LBF16, uint16_t, BC_SBF16, FE) \
    BIN_ROW(OP##_i8, int8_t, int8_t, int8_t, SE(int8_t, uint8_t)) \
    BIN_ROW(OP##_i16, int16_t, int16_t, int16_t, SE(int16_t, uint16_t)) \
    BIN_ROW(OP##_i32, int32_t, int32_t, int32_t, SE(int32_t, uint32_t)) \
    BIN_ROW(OP##_i64, int64_t, int64_t, int64_t, SE(int64_t, uint64_t)) \
    BIN_ROW(OP##_u8, uint8_t, uint8_t, uint8_t, UE(uint8_t, uint8_t)) \
    BIN_ROW(OP##_u16, uint16_t, uint16_t, uint16_t, UE(uint16_t, uint16_t)) \
    BIN_ROW(OP##_u32, uint32_t, uint32_t, uint32_t, UE(uint32_t, uint32_t)) \
    BIN_ROW(OP##_u64, uint64_t, uint64_t, uint64_t, UE(uint64_t, uint64_t))
/* A comparison over every numeric dtype -> bool. */
#define CMP_NUM(OP, E) \
    BIN_ROW(OP##_f32, float, float, uint8_t, E) \
    BIN_ROW(OP##_f64, double, double, uint8_t, E) \
    BIN_ROWC(OP##_f16, uint16_t, double, BC_LF16, uint16_t, double, BC_LF16, uint8_t, BC_ST, E) \
    BIN_ROWC(OP##_bf16, uint16_t, double, BC_LBF16, uint16_t, double, BC_LBF16, uint8_t, BC_ST, E) \
    BIN_ROW(OP##_i8, int8_t, int8_t, uint8_t, E) \
    BIN_ROW(OP##_i16, int16_t, int16_t, uint8_t, E) \
    BIN_ROW(OP##_i32, int32_t, int32_t, uint8_t, E) \
    BIN_ROW(OP##_i64, int64_t, int64_t, uint8_t, E) \
    BIN_ROW(OP##_u8, uint8_t, uint8_t, uint8_t, E) \
    BIN_ROW(OP##_u16, uint16_t, uint16_t, uint8_t, E) \
    BIN_ROW(OP##_u32, uint32_t, uint32_t, uint8_t, E) \
    BIN_ROW(OP##_u64, uint64_t, uint64_t, uint8_t, E)

/* Integer +, -, * wrap (two's complement), as numpy and onnxruntime do: computed in uint64,
 * cut to the type's width. */
#define BC_ADD(T, UT) ((T)(UT)((uint64_t)a + (uint64_t)b))
#define BC_SUB(T, UT) ((T)(UT)((uint64_t)a - (uint64_t)b))
#define BC_MUL(T, UT) ((T)(UT)((uint64_t)a * (uint64_t)b))

/* Integer division by zero sets *ctx (an int flag) and yields 0; x / -1 wraps. */
static inline void bin_zero(void *ctx) { __atomic_store_n((int *)ctx, 1, __ATOMIC_RELAXED); }
static inline int64_t bin_idiv(int64_t a, int64_t b, void *ctx) {
    if (b == 0) { bin_zero(ctx); return 0; }
    if (b == -1) return (int64_t)(0 - (uint64_t)a);
    return a / b; /* C truncates toward zero, as ONNX's integer Div */
}
static inline uint64_t bin_udiv(uint64_t a, uint64_t b, void *ctx) {
    if (b == 0) { bin_zero(ctx); return 0; }
    return a / b;
}
/* Python's %: the result takes the divisor's sign. */
static inline int64_t bin_imod_py(int64_t a, int64_t b, void *ctx) {
    if (b == 0) { bin_zero(ctx); return 0; }
    if (b == -1) return 0;
    int64_t r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
/* C's %: the result takes the dividend's sign (Mod fmod=1). */
static inline int64_t bin_imod_c(int64_t a, int64_t b, void *ctx) {
    if (b == 0) { bin_zero(ctx); return 0; }
    if (b == -1) return 0;
    return a % b;
}
/* Unsigned %: both conventions agree. */
static inline uint64_t bin_umod(uint64_t a, uint64_t b, void *ctx) {
    if (b == 0) { bin_zero(ctx); return 0; }
    return a % b;
}
static inline double bin_fmod_py(double a, double b) {
    double r = fmod(a, b);
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
#define BC_DIV_S(T, UT) ((T)(UT)bin_idiv(a, b, ctx))
#define BC_DIV_U(T, UT) ((T)bin_udiv(a, b, ctx))
#define BC_MODPY_S(T, UT) ((T)bin_imod_py(a, b, ctx))
#define BC_MODC_S(T, UT) ((T)bin_imod_c(a, b, ctx))
#define BC_MOD_U(T, UT) ((T)bin_umod(a, b, ctx))
#define BC_MAX(T, UT) (a >= b ? a : b)
#define BC_MIN(T, UT) (a <= b ? a : b)
#define BC_PRELU_S(T, UT) (a < 0 ? BC_MUL(T, UT) : a)
#define BC_PRELU_U(T, UT) ((void)b, a)

BIN_NUM(add, a + b, BC_ADD, BC_ADD)
BIN_NUM(sub, a - b, BC_SUB, BC_SUB)
BIN_NUM(mul, a * b, BC_MUL, BC_MUL)
BIN_NUM(div, a / b, BC_DIV_S, BC_DIV_U)
BIN_NUM(modpy, bin_fmod_py(a, b), BC_MODPY_S, BC_MOD_U)
BIN_NUM(modc, fmod(a, b), BC_MODC_S, BC_MOD_U)
BIN_NUM(max, (a >= b || a != a) ? a : b, BC_MAX, BC_MAX)
BIN_NUM(min, (a <= b || a != a) ? a : b, BC_MIN, BC_MIN)
BIN_NUM(prelu, a < 0 ? a * b : a, BC_PRELU_S, BC_PRELU_U)
CMP_NUM(eq, a == b)
CMP_NUM(lt, a < b)
CMP_NUM(le, a <= b)
CMP_NUM(gt, a > b)
CMP_NUM(ge, a >= b)
BIN_ROW(eq_b, uint8_t, uint8_t, uint8_t, (a != 0) == (b != 0))
BIN_ROW(and_b, uint8_t, uint8_t, uint8_t, (a != 0) & (b != 0))
BIN_ROW(or_b, uint8_t, uint8_t, uint8_t, (a != 0) | (b != 0))
BIN_ROW(xor_b, uint8_t, uint8_t, uint8_t, (a != 0) ^ (b != 0))

/* Bitwise ops work on the bits, so one function per element size serves every integer type. */
#define BITS_4(OP, E) \
    BIN_ROW(OP##_1, uint8_t, uint8_t, uint8_t, E) \
    BIN_ROW(OP##_2, uint16_t, uint16_t, uint16_t, E) \
    BIN_ROW(OP##_4, uint32_t, uint32_t, uint32_t, E) \
    BIN_ROW(OP##_8, uint64_t, uint64_t, uint64_t, E)
BITS_4(band, a & b)
BITS_4(bor, a | b)
BITS_4(bxor, a ^ b)
/* BitShift on unsigned types; a shift by the width or more gives 0 (C leaves it undefined). */
BITS_4(shl, b >= sizeof a * 8 ? 0 : (uint64_t)a << b)
BITS_4(shr, b >= sizeof a * 8 ? 0 : a >> b)

/* Integer power by squaring, wrapping; negative exponents give 1/a^-b truncated. */
static inline int64_t bin_upow(int64_t a, uint64_t b) {
    uint64_t r = 1, x = (uint64_t)a;
    while (b) {
        if (b & 1) r *= x;
        x *= x;
        b >>= 1;
    }
    return (int64_t)r;
}
static inline int64_t bin_ipow(int64_t a, int64_t b) {
    if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
    return bin_upow(a, (uint64_t)b);
}
/* Pow(X, Y): Y's dtype may differ from X's; the result has X's dtype. Rows pow_<X>_<Y> for
 * every numeric Y: EF for a float Y, ES for a signed and EU for an unsigned integer Y. */
#define POW_EXPS(BS, TA, CA, LA, SY, EF, ES, EU) \
    BIN_ROWC(pow_##BS##_f32, TA, CA, LA, float, float, BC_LD, TA, SY, EF) \
    BIN_ROWC(pow_##BS##_f64, TA, CA, LA, double, double, BC_LD, TA, SY, EF) \
    BIN_ROWC(pow_##BS##_f16, TA, CA, LA, uint16_t, double, BC_LF16, TA, SY, EF) \
    BIN_ROWC(pow_##BS##_bf16, TA, CA, LA, uint16_t, double, BC_LBF16, TA, SY, EF) \
    BIN_ROWC(pow_##BS##_i8, TA, CA, LA, int8_t, int8_t, BC_LD, TA, SY, ES) \
    BIN_ROWC(pow_##BS##_i16, TA, CA, LA, int16_t, int16_t, BC_LD, TA, SY, ES) \
    BIN_ROWC(pow_##BS##_i32, TA, CA, LA, int32_t, int32_t, BC_LD, TA, SY, ES) \
    BIN_ROWC(pow_##BS##_i64, TA, CA, LA, int64_t, int64_t, BC_LD, TA, SY, ES) \
    BIN_ROWC(pow_##BS##_u8, TA, CA, LA, uint8_t, uint8_t, BC_LD, TA, SY, EU) \
    BIN_ROWC(pow_##BS##_u16, TA, CA, LA, uint16_t, uint16_t, BC_LD, TA, SY, EU) \
    BIN_ROWC(pow_##BS##_u32, TA, CA, LA, uint32_t, uint32_t, BC_LD, TA, SY, EU) \
    BIN_ROWC(pow_##BS##_u64, TA, CA, LA, uint64_t, uint64_t, BC_LD, TA, SY, EU)
#define BC_FPOW pow((double)a, (double)b)
POW_EXPS(f32, float, float, BC_LD, BC_ST, BC_FPOW, BC_FPOW, BC_FPOW)
POW_EXPS(f64, double, double, BC_LD, BC_ST, BC_FPOW, BC_FPOW, BC_FPOW)
POW_EXPS(f16, uint16_t, double, BC_LF16, BC_SF16, BC_FPOW, BC_FPOW, BC_FPOW)
POW_EXPS(bf16, uint16_t, double, BC_LBF16, BC_SBF16, BC_FPOW, BC_FPOW, BC_FPOW)
POW_EXPS(i32, int32_t, int32_t, BC_LD, BC_ST, BC_FPOW, bin_ipow(a, b), bin_upow(a, b))
POW_EXPS(i64, int64_t, int64_t, BC_LD, BC_ST, BC_FPOW, bin_ipow(a, b), bin_upow(a, b))
/* x^2 with a scalar exponent 2 (LayerNorm as exported by older opsets): one multiply */
BIN_ROW(sq_f32, float, float, float, ((void)b, a * a))
BIN_ROW(sq_f64, double, double, double, ((void)b, a * a))

/* Where(condition, X, Y): by element size, so every dtype is served. */
#define WHERE_ROW(NAME, T) \
static void NAME(const char *const *p, const int64_t *s, char *py, int64_t n, void *ctx) { \
    const uint8_t *C = (const uint8_t *)p[0]; \
    const T *X = (const T *)p[1], *Y = (const T *)p[2]; T *O = (T *)py; (void)ctx; \
    for (int64_t i = 0; i < n; i++) O[i] = C[i * s[0]] ? X[i * s[1]] : Y[i * s[2]]; \
}
WHERE_ROW(where_1, uint8_t)
WHERE_ROW(where_2, uint16_t)
WHERE_ROW(where_4, uint32_t)
WHERE_ROW(where_8, uint64_t)

/* ---- op + dtype -> row function ---- */

/* OP's row for dtype D (every numeric dtype; NULL for others). */
#define PICKN_D(OP, D) switch (D) { \
    case RT_F32: return OP##_f32; case RT_F64: return OP##_f64; \
    case RT_F16: return OP##_f16; case RT_BF16: return OP##_bf16; \
    case RT_I8: return OP##_i8; case RT_I16: return OP##_i16; \
    case RT_I32: return OP##_i32; case RT_I64: return OP##_i64; \
    case RT_U8: return OP##_u8; case RT_U16: return OP##_u16; \
    case RT_U32: return OP##_u32; case RT_U64: return OP##_u64; default: return NULL; }
#define PICKN(OP) PICKN_D(OP, dt)
#define PICKSZ(OP) switch (rt_dtype_size(dt)) { \
    case 1: return OP##_1; case 2: return OP##_2; case 4: return OP##_4; case 8: return OP##_8; \
    default: return NULL; }

static bc_rowfn bin_pick_pow(int dt, int dt2) {
    switch (dt) {
    case RT_F32: PICKN_D(pow_f32, dt2)
    case RT_F64: PICKN_D(pow_f64, dt2)
    case RT_F16: PICKN_D(pow_f16, dt2)
    case RT_BF16: PICKN_D(pow_bf16, dt2)
    case RT_I32: PICKN_D(pow_i32, dt2)
    case RT_I64: PICKN_D(pow_i64, dt2)
    default: return NULL;
    }
}

static int bin_is_float(int dt) {
    return dt == RT_F32 || dt == RT_F64 || dt == RT_F16 || dt == RT_BF16;
}

/* The row function for (op, input dtype dt, second input's dtype dt2); NULL if unsupported.
 * Sum and Mean accumulate with add. */
static bc_rowfn bin_pick(rt_kargs *a, int dt, int dt2) {
    switch (a->op) {
    case RT_OP_ADD: case RT_OP_SUM: PICKN(add)
    case RT_OP_MEAN:
        if (!bin_is_float(dt)) return NULL;
        PICKN(add)
    case RT_OP_SUB: PICKN(sub)
    case RT_OP_MUL: PICKN(mul)
    case RT_OP_DIV: PICKN(div)
    case RT_OP_MOD:
        if (rt_attr_i(a->a, a->na, "fmod", 0)) { PICKN(modc) } else { PICKN(modpy) }
    case RT_OP_MAX: PICKN(max)
    case RT_OP_MIN: PICKN(min)
    case RT_OP_PRELU: PICKN(prelu)
    case RT_OP_POW: return bin_pick_pow(dt, dt2);
    case RT_OP_EQUAL:
        if (dt == RT_BOOL) return eq_b;
        PICKN(eq)
    case RT_OP_LESS: PICKN(lt)
    case RT_OP_LESSOREQUAL: PICKN(le)
    case RT_OP_GREATER: PICKN(gt)
    case RT_OP_GREATEROREQUAL: PICKN(ge)
    case RT_OP_AND: return dt == RT_BOOL ? and_b : NULL;
    case RT_OP_OR: return dt == RT_BOOL ? or_b : NULL;
    case RT_OP_XOR: return dt == RT_BOOL ? xor_b : NULL;
    case RT_OP_BITWISEAND: if (!rtk_is_int(dt)) return NULL; PICKSZ(band)
    case RT_OP_BITWISEOR: if (!rtk_is_int(dt)) return NULL; PICKSZ(bor)
    case RT_OP_BITWISEXOR: if (!rtk_is_int(dt)) return NULL; PICKSZ(bxor)
    case RT_OP_BITSHIFT: {
        if (dt != RT_U8 && dt != RT_U16 && dt != RT_U32 && dt != RT_U64) return NULL;
        const char *dir = rt_attr_s(a->a, a->na, "direction", "");
        if (strcmp(dir, "LEFT") == 0) { PICKSZ(shl) }
        if (strcmp(dir, "RIGHT") == 0) { PICKSZ(shr) }
        return NULL;
    }
    case RT_OP_WHERE: PICKSZ(where)
    default: return NULL;
    }
}

#define BC_NUMERIC "float16, bfloat16, float32, float64, int8..int64, uint8..uint64"
static const char *bin_supported(int op) {
    switch (op) {
    case RT_OP_MEAN: return "float16, bfloat16, float32, float64";
    case RT_OP_POW: return "X float16, bfloat16, float32, float64, int32, int64; Y any numeric";
    case RT_OP_EQUAL: return BC_NUMERIC ", bool";
    case RT_OP_AND: case RT_OP_OR: case RT_OP_XOR: return "bool";
    case RT_OP_BITWISEAND: case RT_OP_BITWISEOR: case RT_OP_BITWISEXOR:
        return "int8..int64, uint8..uint64";
    case RT_OP_BITSHIFT: return "uint8, uint16, uint32, uint64";
    case RT_OP_WHERE: return "any fixed-size dtype";
    default: return BC_NUMERIC;
    }
}

static int bin_is_cmp(int op) {
    return op == RT_OP_EQUAL || op == RT_OP_LESS || op == RT_OP_LESSOREQUAL ||
           op == RT_OP_GREATER || op == RT_OP_GREATEROREQUAL || op == RT_OP_AND ||
           op == RT_OP_OR || op == RT_OP_XOR;
}
static int bin_is_variadic(int op) {
    return op == RT_OP_MAX || op == RT_OP_MIN || op == RT_OP_SUM || op == RT_OP_MEAN;
}

/* Checks shared by the three modes; 1 if runnable, else rtk_fail's value. */
static int bin_check(rt_kargs *a, int mode) {
    const char *nm = rtk_op_name(a->op);
    int op = a->op;
    char b1[96], b2[96];
    int need = op == RT_OP_WHERE ? 3 : 2;
    if (bin_is_variadic(op) ? a->nin < 1 || a->nin > 1 << 16 : a->nin != need)
        return rtk_fail(a, mode, "%s: %d inputs given", nm, a->nin);
    if (a->nout < 1) return rtk_fail(a, mode, "%s: no output", nm);
    const rt_tensor *t[1 << 4];
    for (int k = 0; k < a->nin; k++) {
        if (a->in[k].rank < 0) return rtk_fail(a, mode, "%s: input %d is missing", nm, k);
        if (!rtk_shape_ok(&a->in[k])) return rtk_fail(a, mode, "%s: input %d has a bad shape", nm, k);
    }
    const rt_tensor *out = &a->out[0];
    if (!rtk_shape_ok(out)) return rtk_fail(a, mode, "%s: output has a bad shape", nm);
    /* broadcast shape, in groups of 16 inputs (variadic ops may have many) */
    int brank = 0;
    int64_t bdims[RT_MAX_RANK];
    rt_tensor acc = {0, 0, {0}, NULL};
    for (int k0 = 0; k0 < a->nin; k0 += 15) {
        int m = 0;
        if (k0 > 0) t[m++] = &acc;
        for (int k = k0; k < a->nin && k < k0 + 15; k++) t[m++] = &a->in[k];
        if (!bc_shape(t, m, &brank, bdims)) {
            char msg[200];
            size_t o = 0;
            for (int k = 0; k < m && o < sizeof msg; k++)
                o += (size_t)snprintf(msg + o, sizeof msg - o, "%s%s", k ? " and " : "",
                                      rtk_dims_str(b1, sizeof b1, t[k]->rank, t[k]->dims));
            return rtk_fail(a, mode, "%s: input shapes %s do not broadcast", nm, msg);
        }
        acc.rank = brank;
        memcpy(acc.dims, bdims, sizeof bdims);
    }
    if (out->rank != brank || memcmp(out->dims, bdims, (size_t)brank * sizeof bdims[0]) != 0)
        return rtk_fail(a, mode, "%s: output dims %s do not match the broadcast shape %s", nm,
                        rtk_dims_str(b1, sizeof b1, out->rank, out->dims),
                        rtk_dims_str(b2, sizeof b2, brank, bdims));
    if (op == RT_OP_PRELU && !rtk_same_dims(out, &a->in[0]))
        return rtk_fail(a, mode, "PRelu: slope %s does not broadcast to X %s",
                        rtk_dims_str(b1, sizeof b1, a->in[1].rank, a->in[1].dims),
                        rtk_dims_str(b2, sizeof b2, a->in[0].rank, a->in[0].dims));
    /* dtypes */
    int x0 = op == RT_OP_WHERE ? 1 : 0;
    int dt = a->in[x0].dtype;
    if (op == RT_OP_WHERE && a->in[0].dtype != RT_BOOL)
        return rtk_fail(a, mode, "Where: condition dtype %s, expected bool",
                        rtk_dtype_name(a->in[0].dtype));
    for (int k = x0 + 1; k < a->nin; k++)
        if (op != RT_OP_POW && a->in[k].dtype != dt)
            return rtk_fail(a, mode, "%s: input %d has dtype %s, input %d %s", nm, k,
                            rtk_dtype_name(a->in[k].dtype), x0, rtk_dtype_name(dt));
    int dt2 = a->nin > 1 ? a->in[1].dtype : dt;
    if (!bin_pick(a, dt, dt2)) {
        if (op == RT_OP_BITSHIFT) {
            const char *dir = rt_attr_s(a->a, a->na, "direction", "");
            if (strcmp(dir, "LEFT") != 0 && strcmp(dir, "RIGHT") != 0)
                return rtk_fail(a, mode, "BitShift: direction \"%s\" (expected LEFT or RIGHT)", dir);
        }
        if (op == RT_OP_POW)
            return rtk_fail(a, mode, "Pow: dtypes %s ^ %s not supported (%s)", rtk_dtype_name(dt),
                            rtk_dtype_name(dt2), bin_supported(op));
        return rtk_fail(a, mode, "%s: dtype %s not supported (%s)", nm, rtk_dtype_name(dt),
                        bin_supported(op));
    }
    int odt = bin_is_cmp(op) ? RT_BOOL : dt;
    if (out->dtype != odt)
        return rtk_fail(a, mode, "%s: output dtype %s, expected %s", nm,
                        rtk_dtype_name(out->dtype), rtk_dtype_name(odt));
    return 1;
}

/* Apply row function fn to out = A (op) B with broadcasting. */
static void bin_apply(rt_kargs *a, const rt_tensor *A, const rt_tensor *B, const rt_tensor *C,
                      bc_rowfn fn, void *ctx) {
    const rt_tensor *t[BC_MAXIN] = {A, B, C};
    int nin = C ? 3 : 2;
    bc_plan P;
    rt_tensor *out = &a->out[0];
    bc_plan_make(&P, t, nin, out);
    const void *in[BC_MAXIN] = {A->data, B->data, C ? C->data : NULL};
    size_t esz[BC_MAXIN] = {rt_dtype_size(A->dtype), rt_dtype_size(B->dtype),
                            C ? rt_dtype_size(C->dtype) : 0};
    bc_run(&P, in, esz, out->data, rt_dtype_size(out->dtype), fn, ctx,
           a->k ? a->k->nthreads : 1);
}

/* Add, Sub, Mul, Div (integers truncate toward zero), Pow (Y's dtype may differ from X's),
 * Mod (attr fmod: 0 = sign of divisor as Python, 1 = C fmod), PRelu(X, slope), variadic
 * Max/Min/Sum/Mean, Equal/Less/LessOrEqual/Greater/GreaterOrEqual -> bool, And/Or/Xor on
 * bool, BitwiseAnd/Or/Xor, BitShift (attr direction), Where(condition, X, Y). */
int rtk_binary(rt_kargs *a, int mode) {
    int ok = bin_check(a, mode);
    if (mode == RTK_SUPPORTS) return ok;
    if (ok != 1) return -1;
    if (mode == RTK_SCRATCH) {
        a->scratch_need = 0;
        return 0;
    }
    int op = a->op;
    rt_tensor *out = &a->out[0];
    int64_t n = rt_numel(out);
    if (n == 0) return 0;
    if (!out->data) return rtk_fail(a, mode, "%s: output has no data", rtk_op_name(op));
    for (int k = 0; k < a->nin; k++)
        if (!a->in[k].data)
            return rtk_fail(a, mode, "%s: input %d has no data", rtk_op_name(op), k);
    int x0 = op == RT_OP_WHERE ? 1 : 0;
    int dt = a->in[x0].dtype, dt2 = a->nin > 1 ? a->in[1].dtype : dt;
    bc_rowfn fn = bin_pick(a, dt, dt2);
    int zero = 0;

    if (op == RT_OP_WHERE) {
        bin_apply(a, &a->in[0], &a->in[1], &a->in[2], fn, &zero);
        return 0;
    }
    if (bin_is_variadic(op)) {
        size_t es = rt_dtype_size(dt);
        if (a->nin == 1) {
            if (out->data != a->in[0].data) memmove(out->data, a->in[0].data, (size_t)n * es);
        } else {
            bin_apply(a, &a->in[0], &a->in[1], NULL, fn, &zero);
            for (int k = 2; k < a->nin; k++) /* out = out (op) in[k]; out has the full shape */
                bin_apply(a, out, &a->in[k], NULL, fn, &zero);
        }
        if (op == RT_OP_MEAN) {
            int nt = rtk_threads(a, n);
            if (dt == RT_F32) {
                float *y = out->data, inv = (float)a->nin;
                _Pragma("omp parallel for num_threads(nt) if(nt > 1)")
                for (int64_t i = 0; i < n; i++) y[i] /= inv;
            } else if (dt == RT_F64) {
                double *y = out->data, inv = (double)a->nin;
                _Pragma("omp parallel for num_threads(nt) if(nt > 1)")
                for (int64_t i = 0; i < n; i++) y[i] /= inv;
            } else { /* float16, bfloat16 */
                uint16_t *y = out->data;
                double inv = (double)a->nin;
                int h = dt == RT_F16;
                _Pragma("omp parallel for num_threads(nt) if(nt > 1)")
                for (int64_t i = 0; i < n; i++)
                    y[i] = h ? BC_SF16(uint16_t, BC_LF16(y[i]) / inv)
                             : BC_SBF16(uint16_t, BC_LBF16(y[i]) / inv);
            }
        }
        return 0;
    }
    if (op == RT_OP_POW && rt_numel(&a->in[1]) == 1 && dt == dt2 &&
        (dt == RT_F32 || dt == RT_F64)) {
        double e = dt == RT_F32 ? *(const float *)a->in[1].data : *(const double *)a->in[1].data;
        if (e == 2.0) fn = dt == RT_F32 ? sq_f32 : sq_f64;
    }
    bin_apply(a, &a->in[0], &a->in[1], NULL, fn, &zero);
    if (zero) return rtk_fail(a, mode, "%s: integer division by zero", rtk_op_name(op));
    return 0;
}
