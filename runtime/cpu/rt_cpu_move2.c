/* rt_cpu_move2.c - the move family, part 2: Resize, OneHot, NonZero, and the shape and
 * constant producers (Shape, Size, Constant, ConstantOfShape, Range, EyeLike).
 * Helpers and conventions are in rt_cpu_move.h.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "rt_cpu_move.h"

#define MV_BAD() ((mode) == RTK_SUPPORTS ? 0 : -1)

static int mv_nthreads(const rt_kargs *a) { return a->k ? a->k->nthreads : 1; }

/* ---------------------------------------------------------------- Resize */

enum { RS_NEAREST, RS_LINEAR, RS_CUBIC };
enum { RS_HALF_PIXEL, RS_HALF_PIXEL_SYM, RS_PYTORCH, RS_ALIGN, RS_ASYM, RS_TF_NN, RS_TF_CROP };
enum { RS_PREFER_FLOOR, RS_PREFER_CEIL, RS_FLOOR, RS_CEIL };

typedef struct rs_attrs {
    int mode, ctm, nearest, excl, policy;   /* policy: 0 stretch, 1 not_larger, 2 not_smaller */
    int ntap;                               /* taps per axis before compaction: 1, 2 or 4 */
    double cubic_a, extrap;
    int axes[RT_MAX_RANK], naxes;
} rs_attrs;

static int rs_pick(const char *s, const char *const *names, int n) {
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i])) return i;
    return -1;
}

/* Attributes and dtypes; no data is read. Returns 1, or 0 with the reason set. */
static int rs_parse(rt_kargs *a, int mode, rs_attrs *p, int64_t *nx, int64_t *ny) {
    static const char *const modes[] = {"nearest", "linear", "cubic"};
    static const char *const ctms[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                                       "align_corners", "asymmetric", "tf_half_pixel_for_nn",
                                       "tf_crop_and_resize"};
    static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    static const char *const pols[] = {"stretch", "not_larger", "not_smaller"};
    if (a->nin < 1 || a->nout < 1 || a->in[0].rank < 0) return rtk_mv_err(a, "needs an input and an output");
    const rt_tensor *x = &a->in[0], *y = &a->out[0];
    if (!rtk_mv_tensor_ok(a, mode, x, "X", 1, nx) || !rtk_mv_tensor_ok(a, mode, y, "Y", 1, ny)) return 0;
    if (y->dtype != x->dtype) return rtk_mv_err(a, "output dtype %d, input dtype %d", (int)y->dtype, (int)x->dtype);
    if (y->rank != x->rank) return rtk_mv_err(a, "output rank %d, input rank %d", (int)y->rank, (int)x->rank);
    const char *s;
    if ((p->mode = rs_pick(s = rt_attr_s(a->a, a->na, "mode", "nearest"), modes, 3)) < 0)
        return rtk_mv_err(a, "unknown mode '%s'", s);
    if ((p->ctm = rs_pick(s = rt_attr_s(a->a, a->na, "coordinate_transformation_mode", "half_pixel"), ctms, 7)) < 0)
        return rtk_mv_err(a, "unknown coordinate_transformation_mode '%s'", s);
    if ((p->nearest = rs_pick(s = rt_attr_s(a->a, a->na, "nearest_mode", "round_prefer_floor"), nms, 4)) < 0)
        return rtk_mv_err(a, "unknown nearest_mode '%s'", s);
    if ((p->policy = rs_pick(s = rt_attr_s(a->a, a->na, "keep_aspect_ratio_policy", "stretch"), pols, 3)) < 0)
        return rtk_mv_err(a, "unknown keep_aspect_ratio_policy '%s'", s);
    if (rt_attr_i(a->a, a->na, "antialias", 0) && p->mode != RS_NEAREST)
        return rtk_mv_err(a, "antialias is not supported yet");
    p->excl = rt_attr_i(a->a, a->na, "exclude_outside", 0) != 0;
    p->cubic_a = rt_attr_f(a->a, a->na, "cubic_coeff_a", -0.75f);
    p->extrap = rt_attr_f(a->a, a->na, "extrapolation_value", 0.0f);
    p->ntap = p->mode == RS_NEAREST ? 1 : p->mode == RS_LINEAR ? 2 : 4;
    if (p->mode != RS_NEAREST && !rtk_mv_is_float(x->dtype))
        return rtk_mv_err(a, "mode %s needs a float input, got dtype %d", modes[p->mode], (int)x->dtype);
    int r = x->rank, seen[RT_MAX_RANK] = {0};
    const rt_attr *ax = rt_attr_find(a->a, a->na, "axes");
    if (ax && ax->type == RT_ATTR_INTS) {
        if (ax->n > r) return rtk_mv_err(a, "%d axes for rank %d", ax->n, r);
        p->naxes = ax->n;
        for (int i = 0; i < ax->n; i++) {
            int v = rtk_axis(ax->ints[i], r);
            if (v < 0 || seen[v]) return rtk_mv_err(a, "axes entry %lld is out of range or repeated", (long long)ax->ints[i]);
            seen[v] = 1;
            p->axes[i] = v;
        }
    } else {
        p->naxes = r;
        for (int i = 0; i < r; i++) p->axes[i] = i;
    }
    if (rtk_mv_present(a, 2)) {
        if (!rtk_mv_tensor_ok(a, mode, &a->in[2], "scales", 1, NULL)) return 0;
        if (!rtk_mv_is_float(a->in[2].dtype)) return rtk_mv_err(a, "scales must be float, got dtype %d", (int)a->in[2].dtype);
    }
    if (rtk_mv_present(a, 3)) {
        if (!rtk_mv_tensor_ok(a, mode, &a->in[3], "sizes", 1, NULL)) return 0;
        if (!rtk_mv_is_index(a->in[3].dtype)) return rtk_mv_err(a, "sizes must be int64, got dtype %d", (int)a->in[3].dtype);
    }
    if (rtk_mv_present(a, 1)) {
        if (!rtk_mv_tensor_ok(a, mode, &a->in[1], "roi", 1, NULL)) return 0;
        if (!rtk_mv_is_float(a->in[1].dtype)) return rtk_mv_err(a, "roi must be float, got dtype %d", (int)a->in[1].dtype);
    }
    if (p->ctm == RS_TF_CROP && !rtk_mv_present(a, 1)) return rtk_mv_err(a, "tf_crop_and_resize needs roi");
    for (int i = 0; i < r; i++)
        if (x->dims[i] == 0 && y->dims[i] != 0) return rtk_mv_err(a, "cannot resize empty axis %d", i);
    return 1;
}

/* Scratch: per axis and output position, ntap (index, weight) pairs. */
static size_t rs_scratch_need(const rt_tensor *y, int ntap) {
    size_t n = 0;
    for (int i = 0; i < y->rank; i++) n += (size_t)y->dims[i] * (size_t)ntap;
    return n * (sizeof(int64_t) + sizeof(double)) + 64;
}

/* Taps of one output position: ntap source indices (clamped into [0, n)) and weights, or
 * idx[0] = -1 when tf_crop_and_resize maps it outside the input (extrapolation_value). */
static void rs_taps(const rs_attrs *p, double xo, int64_t n, int64_t *idx, double *w) {
    if (!isfinite(xo)) xo = 0;
    if (p->ctm == RS_TF_CROP && (xo < 0 || xo > (double)(n - 1))) {
        idx[0] = -1;
        for (int t = 0; t < p->ntap; t++) w[t] = 0, idx[t] = t ? 0 : -1;
        return;
    }
    double f = floor(xo), fr = xo - f;
    if (f < -4) f = -4, fr = 0;                  /* far outside: every tap clamps to an edge */
    if (f > (double)n + 4) f = (double)n + 4, fr = 0;
    int64_t fi = (int64_t)f;
    if (p->mode == RS_NEAREST) {
        int up;
        switch (p->nearest) {
        case RS_PREFER_FLOOR: up = fr > 0.5; break;
        case RS_PREFER_CEIL: up = fr >= 0.5; break;
        case RS_FLOOR: up = 0; break;
        default: up = fr > 0; break;
        }
        int64_t i = fi + up;
        idx[0] = i < 0 ? 0 : i >= n ? n - 1 : i;
        w[0] = 1;
        return;
    }
    int64_t first;
    if (p->mode == RS_LINEAR) {
        first = fi;
        w[0] = 1 - fr, w[1] = fr;
    } else {
        double A = p->cubic_a, r1 = fr + 1, q = 1 - fr, q1 = q + 1;
        first = fi - 1;
        w[0] = ((A * r1 - 5 * A) * r1 + 8 * A) * r1 - 4 * A;
        w[1] = ((A + 2) * fr - (A + 3)) * fr * fr + 1;
        w[2] = ((A + 2) * q - (A + 3)) * q * q + 1;
        w[3] = ((A * q1 - 5 * A) * q1 + 8 * A) * q1 - 4 * A;
        if (p->excl) {   /* drop taps outside the input and renormalize */
            double sum = 0;
            for (int t = 0; t < 4; t++) {
                if (first + t < 0 || first + t >= n) w[t] = 0;
                sum += w[t];
            }
            if (sum != 0)
                for (int t = 0; t < 4; t++) w[t] /= sum;
        }
    }
    for (int t = 0; t < p->ntap; t++) {
        int64_t i = first + t;
        idx[t] = i < 0 ? 0 : i >= n ? n - 1 : i;
    }
}

#define RS_MAXC 64   /* tap combinations of the outer axes held per row */

/* One output row of nearest: dst[j] = src[ti[j]], or the extrapolation value where ti[j] < 0. */
static void rs_nearest_row(char *dst, const char *src, const int64_t *ti, int64_t N, const char *ext, size_t es) {
#define RS_NEAR(T) \
    for (int64_t j = 0; j < N; j++) { \
        T v_; \
        memcpy(&v_, ti[j] < 0 ? ext : src + ti[j] * (int64_t)sizeof(T), sizeof(T)); \
        memcpy(dst + j * (int64_t)sizeof(T), &v_, sizeof(T)); \
    }
    switch (es) {
    case 1: RS_NEAR(uint8_t) break;
    case 2: RS_NEAR(uint16_t) break;
    case 4: RS_NEAR(uint32_t) break;
    default: RS_NEAR(uint64_t) break;
    }
#undef RS_NEAR
}

/* One interpolated element the general way: every tap combination of the interpolated axes
 * (for more combinations than RS_MAXC). c holds the element's output coordinates. */
static double rs_sum_all(const rs_attrs *p, int dt, const char *xd, int r, const int64_t *c, const int *act,
                         int nact, const int *neff, int64_t *const *tidx, double *const *tw, const int64_t *xs,
                         int64_t off, double w0) {
    int T = p->ntap, L = r - 1, tc[RT_MAX_RANK] = {0};
    int64_t eoff = off;
    double ew = w0, acc = 0;
    if (neff[L] == 1) eoff += tidx[L][c[L] * T] * xs[L], ew *= tw[L][c[L] * T];
    for (;;) {
        int64_t o2 = eoff;
        double w = ew;
        for (int m = 0; m < nact; m++) {
            int ax = act[m];
            o2 += tidx[ax][c[ax] * T + tc[m]] * xs[ax];
            w *= tw[ax][c[ax] * T + tc[m]];
        }
        if (w != 0) acc += w * rtk_mv_getf(dt, xd, o2);
        int m = nact - 1;
        while (m >= 0 && ++tc[m] == neff[act[m]]) tc[m--] = 0;
        if (m < 0) break;
    }
    return acc;
}

/* Resize(X, roi?, scales?, sizes?; mode=nearest|linear|cubic, coordinate_transformation_mode,
 *        nearest_mode, cubic_coeff_a=-0.75, exclude_outside=0, extrapolation_value=0, axes,
 *        keep_aspect_ratio_policy=stretch, antialias=0 (only 0 for linear/cubic)) - opset 19.
 * Output dims come from shape inference; scales (or sizes/in, or out/in when neither is
 * given) drive the coordinate transform, computed in float like onnxruntime. Linear and cubic
 * work on float dtypes and accumulate in double. Scratch holds one tap table per axis.
 * Differences from onnxruntime, on purpose (we follow the spec and the ONNX reference): an
 * axis whose output length equals its input length under a scale != 1 is still resampled, and
 * tf_crop_and_resize applies roi on every axis. tf_half_pixel_for_nn leaves an axis of scale 1
 * as it is (the spec formula would shift it by one under round_prefer_ceil). */
int rtk_mv_resize(rt_kargs *a, int mode) {
    rs_attrs p;
    int64_t nx, ny;
    if (!rs_parse(a, mode, &p, &nx, &ny)) return MV_BAD();
    const rt_tensor *x = &a->in[0];
    rt_tensor *y = &a->out[0];
    int r = x->rank;
    size_t need = rs_scratch_need(y, p.ntap);
    if (mode == RTK_SCRATCH) {
        a->scratch_need = need;
        return 0;
    }
    if (mode != RTK_RUN) return 1;
    if (a->k->scratch_size < need || !a->k->scratch)
        MV_FAIL("needs %zu bytes of scratch, got %zu", need, a->k->scratch_size);

    /* Per-axis scale and roi. */
    double sc[RT_MAX_RANK], rs0[RT_MAX_RANK], rs1[RT_MAX_RANK];
    int listed[RT_MAX_RANK] = {0}, given[RT_MAX_RANK] = {0};   /* given: scale from `scales` */
    for (int i = 0; i < p.naxes; i++) listed[p.axes[i]] = 1;
    for (int i = 0; i < r; i++) {
        sc[i] = x->dims[i] ? (double)y->dims[i] / (double)x->dims[i] : 1;
        rs0[i] = 0, rs1[i] = 1;
        if (!listed[i] && y->dims[i] != x->dims[i]) MV_FAIL("axis %d is not resized but output dim differs", i);
    }
    const rt_tensor *scales = rtk_mv_present(a, 2) && rt_numel(&a->in[2]) > 0 ? &a->in[2] : NULL;
    const rt_tensor *sizes = rtk_mv_present(a, 3) && rt_numel(&a->in[3]) > 0 ? &a->in[3] : NULL;
    if (scales) {
        if (rt_numel(scales) != p.naxes) MV_FAIL("scales has %lld entries for %d axes", (long long)rt_numel(scales), p.naxes);
        for (int i = 0; i < p.naxes; i++) {
            double v = rtk_mv_getf(scales->dtype, scales->data, i);
            if (!(v > 0) || isinf(v)) MV_FAIL("scale %g must be positive", v);
            sc[p.axes[i]] = v;
            given[p.axes[i]] = 1;
        }
    } else if (sizes) {
        if (rt_numel(sizes) != p.naxes) MV_FAIL("sizes has %lld entries for %d axes", (long long)rt_numel(sizes), p.naxes);
        double pick = p.policy == 1 ? INFINITY : 0;
        for (int i = 0; i < p.naxes; i++) {
            int ax = p.axes[i];
            int64_t v = rtk_mv_idx(sizes, i);
            if (p.policy == 0 && v != y->dims[ax])
                MV_FAIL("sizes[%d] is %lld but output dim %d is %lld", i, (long long)v, ax, (long long)y->dims[ax]);
            if (v < 0) MV_FAIL("sizes[%d] is %lld", i, (long long)v);
            double s = x->dims[ax] ? (double)v / (double)x->dims[ax] : 1;
            if (p.policy == 1 && s < pick) pick = s;
            if (p.policy == 2 && s > pick) pick = s;
        }
        if (p.policy != 0)
            for (int i = 0; i < p.naxes; i++) sc[p.axes[i]] = pick;
    }
    if (ny == 0) return 0;
    for (int i = 0; i < r; i++)
        if (!(sc[i] > 0)) MV_FAIL("scale on axis %d is %g", i, sc[i]);
    if (p.ctm == RS_TF_CROP) {
        const rt_tensor *roi = &a->in[1];
        if (rt_numel(roi) != 2 * p.naxes) MV_FAIL("roi has %lld entries for %d axes", (long long)rt_numel(roi), p.naxes);
        for (int i = 0; i < p.naxes; i++) {
            rs0[p.axes[i]] = rtk_mv_getf(roi->dtype, roi->data, i);
            rs1[p.axes[i]] = rtk_mv_getf(roi->dtype, roi->data, p.naxes + i);
        }
    }

    /* Tap tables, then compaction: the non-zero taps of each position first, so an axis that
     * is not really interpolated (scale 1, integer positions) costs one tap. */
    uintptr_t base = ((uintptr_t)a->k->scratch + 7) & ~(uintptr_t)7;
    int64_t *tidx[RT_MAX_RANK];
    double *tw[RT_MAX_RANK];
    int neff[RT_MAX_RANK];
    double *wp = (double *)base;
    size_t tot = 0;
    for (int i = 0; i < r; i++) tot += (size_t)y->dims[i] * (size_t)p.ntap;
    int64_t *ip = (int64_t *)(wp + tot);
    int T = p.ntap;
    for (int i = 0; i < r; i++) {
        int64_t n = x->dims[i], on = y->dims[i];
        tw[i] = wp, tidx[i] = ip;
        wp += on * T, ip += on * T;
        neff[i] = 1;
        for (int64_t o = 0; o < on; o++) {
            /* In float, as onnxruntime and the ONNX reference do: with a scale such as 0.6f
             * a position lands exactly on an integer in float and just below it in double. */
            float xo, s = (float)sc[i], xr = (float)o, fn = (float)n, fon = (float)on;
            /* align_corners and tf_crop_and_resize divide by the resized length less one:
             * with a given scale that is in * scale, not the rounded output dim (as the spec
             * and the ONNX reference have it: [2,4] by 0.6 maps x=1 to 3/1.4, not 3/1). */
            float fol = given[i] ? s * fn : fon;
            float r0 = (float)rs0[i], r1 = (float)rs1[i];
            switch (p.ctm) {
            case RS_HALF_PIXEL: xo = (xr + 0.5f) / s - 0.5f; break;
            case RS_HALF_PIXEL_SYM: {
                float adj = fon / (s * fn), center = fn / 2;
                xo = center * (1 - adj) + (xr + 0.5f) / s - 0.5f;
                break;
            }
            case RS_PYTORCH: xo = on > 1 ? (xr + 0.5f) / s - 0.5f : 0; break;
            case RS_ALIGN: xo = fol != 1 ? xr * (fn - 1) / (fol - 1) : 0; break;
            case RS_ASYM: xo = xr / s; break;
            case RS_TF_NN:   /* an axis kept as it is stays put (as onnxruntime does) */
                xo = s == 1 && on == n ? xr : (xr + 0.5f) / s;
                break;
            default:
                xo = fol != 1 ? r0 * (fn - 1) + xr * (r1 - r0) * (fn - 1) / (fol - 1)
                                        : 0.5f * (r0 + r1) * (fn - 1);
                break;
            }
            int64_t *ti = tidx[i] + o * T;
            double *tv = tw[i] + o * T;
            rs_taps(&p, xo, n, ti, tv);
            if (ti[0] < 0) continue;
            int c = 0;
            for (int t = 0; t < T; t++)
                if (tv[t] != 0) {
                    ti[c] = ti[t], tv[c] = tv[t];
                    c++;
                }
            for (int t = c; t < T; t++) ti[t] = ti[0] >= 0 ? ti[0] : 0, tv[t] = 0;
            if (c == 0) ti[0] = 0;
            if (c > neff[i]) neff[i] = c;
        }
    }

    size_t es = rt_dtype_size(x->dtype);
    int dt = x->dtype;
    char ext[8] = {0};
    rtk_mv_setf(dt, ext, 0, p.extrap);
    int64_t xs[RT_MAX_RANK];
    rtk_mv_strides(r, x->dims, xs);
    if (r == 0) {
        memcpy(y->data, x->data, es);
        return 0;
    }
    int64_t N = y->dims[r - 1], rows = ny / N;
    int act[RT_MAX_RANK], nact = 0;
    for (int i = 0; i < r; i++)
        if (neff[i] > 1) act[nact++] = i;
    int nt0 = mv_nthreads(a);
    int nt = nt0 > 1 && ny * (p.mode == RS_NEAREST ? 1 : 8) >= 65536 ? nt0 : 1;
    const char *xd = x->data;
    char *yd = y->data;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t row = 0; row < rows; row++) {
        int64_t c[RT_MAX_RANK], rem = row, off = 0;
        int outside = 0;
        double w0 = 1;
        for (int k = r - 2; k >= 0; k--) {
            c[k] = rem % y->dims[k];
            rem /= y->dims[k];
            const int64_t *ti = tidx[k] + c[k] * T;
            if (ti[0] < 0) outside = 1;
            else if (neff[k] == 1) off += ti[0] * xs[k], w0 *= tw[k][c[k] * T];
        }
        char *dst = yd + row * N * (int64_t)es;
        if (outside) {
            rtk_mv_fill(dst, ext, N, es, 1);
            continue;
        }
        int L = r - 1;
        if (p.mode == RS_NEAREST) {
            rs_nearest_row(dst, xd + off * (int64_t)es, tidx[L], N, ext, es);
            continue;
        }
        /* The tap combinations of the interpolated outer axes (fixed along this row), then
         * the last axis's taps per element. */
        int64_t coff[RS_MAXC];
        double cw[RS_MAXC];
        int nc = 1, fits = 1;
        coff[0] = off, cw[0] = w0;
        for (int m = 0; m < nact && act[m] < L; m++) {
            int ax = act[m], na = neff[ax];
            if (nc * na > RS_MAXC) {
                fits = 0;
                break;
            }
            const int64_t *ti = tidx[ax] + c[ax] * T;
            const double *tv = tw[ax] + c[ax] * T;
            for (int q = nc - 1; q >= 0; q--) {   /* expand in place, from the back */
                int64_t o0 = coff[q];
                double w00 = cw[q];
                for (int t = na - 1; t >= 0; t--) coff[q * na + t] = o0 + ti[t] * xs[ax], cw[q * na + t] = w00 * tv[t];
            }
            nc *= na;
        }
        int TL = neff[L];
        if (fits && dt == RT_F32) {   /* the common case, without per-element dispatch */
            float *yf = (float *)(void *)dst;
            for (int64_t j = 0; j < N; j++) {
                const int64_t *tl = tidx[L] + j * T;
                const double *wl = tw[L] + j * T;
                float f;
                if (tl[0] < 0) {
                    memcpy(&f, ext, 4);
                } else {
                    double acc = 0;
                    for (int q = 0; q < nc; q++) {
                        const char *bp = xd + coff[q] * 4;
                        double sum = 0;
                        for (int t = 0; t < TL; t++) {
                            float v;
                            memcpy(&v, bp + tl[t] * 4, 4);
                            sum += wl[t] * v;
                        }
                        acc += cw[q] * sum;
                    }
                    f = (float)acc;
                }
                memcpy(yf + j, &f, 4);
            }
            continue;
        }
        for (int64_t j = 0; j < N; j++) {
            const int64_t *tl = tidx[L] + j * T;
            const double *wl = tw[L] + j * T;
            if (tl[0] < 0) {
                memcpy(dst + j * (int64_t)es, ext, es);
                continue;
            }
            double acc = 0;
            if (!fits) {
                c[L] = j;
                acc = rs_sum_all(&p, dt, xd, r, c, act, nact, neff, tidx, tw, xs, off, w0);
            } else {
                for (int q = 0; q < nc; q++) {
                    double sum = 0;
                    for (int t = 0; t < TL; t++) sum += wl[t] * rtk_mv_getf(dt, xd, coff[q] + tl[t]);
                    acc += cw[q] * sum;
                }
            }
            rtk_mv_setf(dt, dst, j, acc);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- OneHot */

/* OneHot(indices, depth, values; axis=-1): out dims = indices dims with depth inserted at
 * axis; out = values[1] where the index (negative counts from depth) matches, else values[0].
 * Indices of any numeric dtype are truncated to int64; out-of-range ones give all-off rows. */
int rtk_mv_onehot(rt_kargs *a, int mode) {
    if (a->nin < 3 || a->nout < 1 || !rtk_mv_present(a, 0) || !rtk_mv_present(a, 1) || !rtk_mv_present(a, 2))
        MV_FAIL("needs indices, depth and values");
    const rt_tensor *ix = &a->in[0], *dp = &a->in[1], *vals = &a->in[2];
    rt_tensor *y = &a->out[0];
    int64_t ni, nd, nv, ny;
    if (!rtk_mv_tensor_ok(a, mode, ix, "indices", 1, &ni) || !rtk_mv_tensor_ok(a, mode, dp, "depth", 1, &nd) ||
        !rtk_mv_tensor_ok(a, mode, vals, "values", 1, &nv) || !rtk_mv_tensor_ok(a, mode, y, "output", 1, &ny))
        return MV_BAD();
    if (nd != 1) MV_FAIL("depth must hold one value");
    if (nv != 2) MV_FAIL("values must hold two values [off, on]");
    if (vals->dtype != y->dtype) MV_FAIL("output dtype %d, values dtype %d", (int)y->dtype, (int)vals->dtype);
    if (y->rank != ix->rank + 1) MV_FAIL("output rank %d, expected %d", (int)y->rank, (int)ix->rank + 1);
    int64_t axv = rt_attr_i(a->a, a->na, "axis", -1);
    int ax = rtk_axis(axv, y->rank);
    if (ax < 0) MV_FAIL("axis %lld out of range for rank %d", (long long)axv, (int)y->rank);
    for (int i = 0; i < ix->rank; i++)
        if (y->dims[i < ax ? i : i + 1] != ix->dims[i]) MV_FAIL("output dims do not match indices dims");
    if (mode != RTK_RUN) MV_OK();
    int64_t depth = rtk_mv_geti(dp->dtype, dp->data, 0);
    if (depth != y->dims[ax])
        MV_FAIL("depth is %lld but output dim %d is %lld", (long long)depth, ax, (long long)y->dims[ax]);
    if (ny == 0) return 0;
    size_t es = rt_dtype_size(y->dtype);
    const char *off = vals->data, *on = off + es;
    rtk_mv_fill(y->data, off, ny, es, mv_nthreads(a));
    int64_t inner = 1;
    for (int i = ax; i < ix->rank; i++) inner *= ix->dims[i];
    for (int64_t e = 0; e < ni; e++) {
        int64_t v = rtk_mv_geti(ix->dtype, ix->data, e);
        if (v < 0 && v >= -depth) v += depth;
        if (v < 0 || v >= depth) continue;
        int64_t o = e / inner, i = e % inner;
        memcpy((char *)y->data + ((o * depth + v) * inner + i) * (int64_t)es, on, es);
    }
    return 0;
}

/* ---------------------------------------------------------------- NonZero */

static int nz_at(int dt, const char *p, int64_t i, size_t es) {
    if (rtk_mv_is_float(dt)) return rtk_mv_getf(dt, p, i) != 0;   /* -0.0 is zero, NaN is not */
    for (size_t b = 0; b < es; b++)
        if (p[i * (int64_t)es + (int64_t)b]) return 1;
    return 0;
}

/* NonZero(X) -> int64 [rank, count]: the coordinates of the non-zero elements, row-major order.
 * The count is data-dependent, so the output dims must match it (a folded NonZero). */
int rtk_mv_nonzero(rt_kargs *a, int mode) {
    if (a->nin < 1 || a->nout < 1 || !rtk_mv_present(a, 0)) MV_FAIL("needs an input and an output");
    const rt_tensor *x = &a->in[0];
    rt_tensor *y = &a->out[0];
    int64_t nx, ny;
    if (!rtk_mv_tensor_ok(a, mode, x, "input", 1, &nx) || !rtk_mv_tensor_ok(a, mode, y, "output", 1, &ny))
        return MV_BAD();
    if (y->dtype != RT_I64) MV_FAIL("output must be int64, got dtype %d", (int)y->dtype);
    if (y->rank != 2 || y->dims[0] != x->rank)
        MV_FAIL("output must be [%d, count]", (int)x->rank);
    if (mode != RTK_RUN) MV_OK();
    size_t es = rt_dtype_size(x->dtype);
    int64_t cnt = 0;
    for (int64_t i = 0; i < nx; i++) cnt += nz_at(x->dtype, x->data, i, es);
    if (cnt != y->dims[1])
        MV_FAIL("output holds %lld positions but the input has %lld non-zero elements", (long long)y->dims[1], (long long)cnt);
    int r = x->rank;
    int64_t c[RT_MAX_RANK] = {0}, m = 0, *out = y->data;
    for (int64_t i = 0; i < nx; i++) {
        if (nz_at(x->dtype, x->data, i, es)) {
            for (int k = 0; k < r; k++) out[k * cnt + m] = c[k];
            m++;
        }
        for (int k = r - 1; k >= 0; k--) {
            if (++c[k] < x->dims[k]) break;
            c[k] = 0;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- Shape / Size */

/* Shape(data; start=0, end=rank) -> int64 [end - start]: start/end count from the back when
 * negative and are clamped to [0, rank] (opset 15). Any dtype, strings too: data is not read. */
int rtk_mv_shape(rt_kargs *a, int mode) {
    if (a->nin < 1 || a->nout < 1 || !rtk_mv_present(a, 0)) MV_FAIL("needs an input and an output");
    const rt_tensor *x = &a->in[0];
    rt_tensor *y = &a->out[0];
    int64_t ny;
    if (!rtk_mv_tensor_ok(a, RTK_SUPPORTS, x, "input", 0, NULL) || !rtk_mv_tensor_ok(a, mode, y, "output", 1, &ny))
        return MV_BAD();
    int64_t r = x->rank, s = rt_attr_i(a->a, a->na, "start", 0), e = rt_attr_i(a->a, a->na, "end", r);
    if (s < 0) s += r;
    if (e < 0) e += r;
    s = s < 0 ? 0 : s > r ? r : s;
    e = e < 0 ? 0 : e > r ? r : e;
    int64_t n = e > s ? e - s : 0;
    if (y->dtype != RT_I64) MV_FAIL("output must be int64, got dtype %d", (int)y->dtype);
    if (y->rank != 1 || y->dims[0] != n) MV_FAIL("output must be 1-D of %lld", (long long)n);
    if (mode != RTK_RUN) MV_OK();
    if (n) memcpy(y->data, x->dims + s, (size_t)n * sizeof(int64_t));
    return 0;
}

/* Size(data) -> int64 scalar: the element count. Any dtype: data is not read. */
int rtk_mv_size(rt_kargs *a, int mode) {
    if (a->nin < 1 || a->nout < 1 || !rtk_mv_present(a, 0)) MV_FAIL("needs an input and an output");
    const rt_tensor *x = &a->in[0];
    rt_tensor *y = &a->out[0];
    int64_t nx, ny;
    if (!rtk_mv_tensor_ok(a, RTK_SUPPORTS, x, "input", 0, &nx) || !rtk_mv_tensor_ok(a, mode, y, "output", 1, &ny))
        return MV_BAD();
    if (y->dtype != RT_I64 || ny != 1) MV_FAIL("output must be one int64");
    if (mode != RTK_RUN) MV_OK();
    memcpy(y->data, &nx, sizeof nx);
    return 0;
}

/* ---------------------------------------------------------------- constants */

/* Constant(; value | value_float | value_floats | value_int | value_ints): the IR normalizes
 * to `value`; the scalar/list forms are read too. Strings and sparse_value are not supported. */
int rtk_mv_constant(rt_kargs *a, int mode) {
    if (a->nout < 1) MV_FAIL("needs an output");
    rt_tensor *y = &a->out[0];
    int64_t ny;
    if (!rtk_mv_tensor_ok(a, mode, y, "output", 1, &ny)) return MV_BAD();
    const rt_attr *v = rt_attr_find(a->a, a->na, "value");
    const void *src = NULL;
    int dt = 0;
    int64_t n = 0;
    if (v && v->type == RT_ATTR_TENSOR && v->t) {
        if (!rtk_mv_tensor_ok(a, mode, v->t, "value", 1, &n)) return MV_BAD();
        dt = v->t->dtype, src = v->t->data;
    } else if ((v = rt_attr_find(a->a, a->na, "value_float")) && v->type == RT_ATTR_FLOAT) {
        dt = RT_F32, n = 1, src = &v->f;
    } else if ((v = rt_attr_find(a->a, a->na, "value_int")) && v->type == RT_ATTR_INT) {
        dt = RT_I64, n = 1, src = &v->i;
    } else if ((v = rt_attr_find(a->a, a->na, "value_floats")) && v->type == RT_ATTR_FLOATS) {
        dt = RT_F32, n = v->n, src = v->floats;
    } else if ((v = rt_attr_find(a->a, a->na, "value_ints")) && v->type == RT_ATTR_INTS) {
        dt = RT_I64, n = v->n, src = v->ints;
    } else {
        MV_FAIL("needs a value attribute (tensor, float(s) or int(s); strings and sparse_value are not supported)");
    }
    if (dt != y->dtype) MV_FAIL("value dtype %d, output dtype %d", dt, (int)y->dtype);
    if (n != ny) MV_FAIL("value holds %lld elements, output %lld", (long long)n, (long long)ny);
    if (mode != RTK_RUN) MV_OK();
    if (ny && !src) MV_FAIL("value has no data");
    if (ny) memcpy(y->data, src, (size_t)ny * rt_dtype_size(dt));
    return 0;
}

/* ConstantOfShape(shape; value = float 0): output dims = the shape input's values, every
 * element = value's one element (value's dtype is the output's). */
int rtk_mv_constofshape(rt_kargs *a, int mode) {
    if (a->nin < 1 || a->nout < 1 || !rtk_mv_present(a, 0)) MV_FAIL("needs a shape input and an output");
    const rt_tensor *s = &a->in[0];
    rt_tensor *y = &a->out[0];
    int64_t ns, ny;
    if (!rtk_mv_tensor_ok(a, mode, s, "shape", 1, &ns) || !rtk_mv_tensor_ok(a, mode, y, "output", 1, &ny))
        return MV_BAD();
    if (!rtk_mv_is_index(s->dtype)) MV_FAIL("shape must be int64, got dtype %d", (int)s->dtype);
    if (s->rank != 1 || ns != y->rank) MV_FAIL("shape has %lld entries, output rank is %d", (long long)ns, (int)y->rank);
    const rt_attr *v = rt_attr_find(a->a, a->na, "value");
    static const float zero = 0;
    const void *val = &zero;
    int dt = RT_F32;
    if (v) {
        int64_t n;
        if (v->type != RT_ATTR_TENSOR || !v->t) MV_FAIL("value must be a tensor");
        if (!rtk_mv_tensor_ok(a, mode, v->t, "value", 1, &n)) return MV_BAD();
        if (n != 1) MV_FAIL("value must hold one element, it holds %lld", (long long)n);
        dt = v->t->dtype, val = v->t->data;
    }
    if (dt != y->dtype) MV_FAIL("value dtype %d, output dtype %d", dt, (int)y->dtype);
    if (mode != RTK_RUN) MV_OK();
    if (!val) MV_FAIL("value has no data");
    for (int i = 0; i < y->rank; i++) {
        int64_t d = rtk_mv_idx(s, i);
        if (d != y->dims[i]) MV_FAIL("shape[%d] is %lld but output dim is %lld", i, (long long)d, (long long)y->dims[i]);
    }
    rtk_mv_fill(y->data, val, ny, rt_dtype_size(dt), mv_nthreads(a));
    return 0;
}

/* Range(start, limit, delta) -> [max(ceil((limit - start) / delta), 0)]: out[i] = start +
 * i*delta. Integer dtypes are computed exactly in int64 (uint64 as int64), floats in double. */
int rtk_mv_range(rt_kargs *a, int mode) {
    if (a->nin < 3 || a->nout < 1 || !rtk_mv_present(a, 0) || !rtk_mv_present(a, 1) || !rtk_mv_present(a, 2))
        MV_FAIL("needs start, limit and delta");
    rt_tensor *y = &a->out[0];
    int64_t ny, n3[3];
    static const char *const what[3] = {"start", "limit", "delta"};
    for (int i = 0; i < 3; i++) {
        if (!rtk_mv_tensor_ok(a, mode, &a->in[i], what[i], 1, &n3[i])) return MV_BAD();
        if (n3[i] != 1) MV_FAIL("%s must be a scalar", what[i]);
        if (a->in[i].dtype != y->dtype) MV_FAIL("%s dtype %d, output dtype %d", what[i], (int)a->in[i].dtype, (int)y->dtype);
    }
    if (!rtk_mv_tensor_ok(a, mode, y, "output", 1, &ny)) return MV_BAD();
    if (y->rank != 1) MV_FAIL("output must be 1-D");
    int dt = y->dtype;
    if (dt == RT_BOOL) MV_FAIL("bool is not a numeric dtype");
    if (mode != RTK_RUN) MV_OK();
    int64_t n;
    if (rtk_mv_is_float(dt)) {
        double s = rtk_mv_getf(dt, a->in[0].data, 0), l = rtk_mv_getf(dt, a->in[1].data, 0),
               d = rtk_mv_getf(dt, a->in[2].data, 0);
        if (d == 0 || isnan(d) || isnan(s) || isnan(l)) MV_FAIL("delta is 0 or a value is NaN");
        double c = ceil((l - s) / d);
        if (!(c < 9e18)) MV_FAIL("range is too long");
        n = c > 0 ? (int64_t)c : 0;
        if (n != y->dims[0]) MV_FAIL("output holds %lld elements, the range has %lld", (long long)y->dims[0], (long long)n);
        for (int64_t i = 0; i < n; i++) rtk_mv_setf(dt, y->data, i, s + (double)i * d);
        return 0;
    }
    int64_t s = rtk_mv_geti(dt, a->in[0].data, 0), l = rtk_mv_geti(dt, a->in[1].data, 0),
            d = rtk_mv_geti(dt, a->in[2].data, 0);
    if (d == 0) MV_FAIL("delta is 0");
    uint64_t span, step;
    if (d > 0) span = l > s ? (uint64_t)l - (uint64_t)s : 0, step = (uint64_t)d;
    else span = s > l ? (uint64_t)s - (uint64_t)l : 0, step = (uint64_t)0 - (uint64_t)d;
    uint64_t cnt = span / step + (span % step != 0);
    if (cnt != (uint64_t)y->dims[0])
        MV_FAIL("output holds %lld elements, the range has %llu", (long long)y->dims[0], (unsigned long long)cnt);
    n = (int64_t)cnt;
    for (int64_t i = 0; i < n; i++) rtk_mv_seti(dt, y->data, i, (int64_t)((uint64_t)s + (uint64_t)i * (uint64_t)d));
    return 0;
}

/* EyeLike(input [N, M]; k=0, dtype): ones where j - i == k, zeros elsewhere; the output dtype
 * (dtype attr, else input's) was set by shape inference. */
int rtk_mv_eyelike(rt_kargs *a, int mode) {
    if (a->nin < 1 || a->nout < 1 || !rtk_mv_present(a, 0)) MV_FAIL("needs an input and an output");
    const rt_tensor *x = &a->in[0];
    rt_tensor *y = &a->out[0];
    int64_t ny;
    if (!rtk_mv_tensor_ok(a, RTK_SUPPORTS, x, "input", 0, NULL) || !rtk_mv_tensor_ok(a, mode, y, "output", 1, &ny))
        return MV_BAD();
    if (x->rank != 2 || y->rank != 2 || x->dims[0] != y->dims[0] || x->dims[1] != y->dims[1])
        MV_FAIL("input and output must be 2-D of the same dims");
    if (mode != RTK_RUN) MV_OK();
    int64_t k = rt_attr_i(a->a, a->na, "k", 0), R = y->dims[0], M = y->dims[1];
    size_t es = rt_dtype_size(y->dtype);
    if (ny) memset(y->data, 0, (size_t)ny * es);
    if (k <= -R || k >= M) return 0;
    for (int64_t i = k < 0 ? -k : 0; i < R && i + k < M; i++) rtk_mv_seti(y->dtype, y->data, i * M + i + k, 1);
    return 0;
}
