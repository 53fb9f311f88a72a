/* keypoint: the cell soft-argmax layer (nn.h) -- per cell and channel, the softmax of a heat map over
 * the cell's pixels (with a margin: over a window m pixels wider on every side, centred on the cell,
 * the map's edge pixels repeated outside it), its expected offset from the cell's centre and its
 * log-sum-exp; sharp: the window's heats normalised (mean 0, deviation 1) and scaled by the
 * channel's learned temperature before the softmax (energy: the logit T log(1 + u^2 / e) of the
 * normalised heat u, so that the softmax is a power of the heat's distance from its mean) */
#include <math.h>
#include <string.h>

#include "model/nn.h"
#include "model/nn_fast.h"

static size_t kp_rows(int n, int h, int w, int K, int s) {
    return (size_t)n * (size_t)(h / s) * (size_t)(w / s) * (size_t)K;
}

size_t nn_keypoint_prob_size(int n, int h, int w, int K, int s, int m, bool sharp) {
    size_t rows = kp_rows(n, h, w, K, s), ss = (size_t)(s + 2 * m) * (s + 2 * m);
    /* the softmax; sharp: the normalised heats and each row's reciprocal deviation after it */
    return sharp ? rows * ss * 2 + rows : rows * ss;
}

size_t nn_keypoint_work_size(int n, int h, int w, int K, int s, int m) {
    size_t rows = kp_rows(n, h, w, K, s), ss = (size_t)(s + 2 * m) * (s + 2 * m);
    return rows * ss + rows * 2 + ss * 2;
}

/* the offset table T[S*S, 2] of a window of side S = s + 2m: pixel i = (iy, ix) of it, its centre's
   offset from the cell's centre, times unit */
static void kp_table(int S, float unit, float* t) {
    for (int iy = 0; iy < S; iy++)
        for (int ix = 0; ix < S; ix++) {
            t[(iy * S + ix) * 2 + 0] = unit * ((float)ix + 0.5f - 0.5f * (float)S);
            t[(iy * S + ix) * 2 + 1] = unit * ((float)iy + 0.5f - 0.5f * (float)S);
        }
}

static int kp_clamp(int v, int hi) {
    return v < 0 ? 0 : v >= hi ? hi - 1 : v;
}

/* the heat of row r = ((b * ch + cy) * cw + cx) * K + k, pixel i = iy * S + ix of its window, sits
   at heat[((b * h + y) * w + x) * K + k], y = y0 + iy and x = x0 + ix (y0 = cy * s - m, x0 = cx * s
   - m) clamped to the map (m = 0: the cell's own pixels). The forward reads it from plane, the
   map's channel k of image b laid out alone (ht[b, k, h, w]): a window inside the map (most of
   them) is S contiguous rows */
static void kp_gather(const float* plane, int h, int w, int y0, int x0, int S, float* p) {
    if (y0 >= 0 && x0 >= 0 && y0 + S <= h && x0 + S <= w) {
        for (int iy = 0; iy < S; iy++) memcpy(p + iy * S, plane + (size_t)(y0 + iy) * w + x0, sizeof(float) * (size_t)S);
        return;
    }
    for (int iy = 0; iy < S; iy++) {
        const float* row = plane + (size_t)kp_clamp(y0 + iy, h) * w;
        for (int ix = 0; ix < S; ix++) p[iy * S + ix] = row[kp_clamp(x0 + ix, w)];
    }
}

/* the backward's way back: d[pixel of window i] = v[i], or += v[i] (add: overlapping windows, the
   repeated edge), in the window's order (the same sums in the same order as one loop over it) */
static void kp_scatter(float* dheat, int h, int w, int K, int k, int b, int y0, int x0, int S, const float* v,
                       bool add) {
    bool inside = y0 >= 0 && x0 >= 0 && y0 + S <= h && x0 + S <= w;
    for (int iy = 0; iy < S; iy++) {
        int y = inside ? y0 + iy : kp_clamp(y0 + iy, h);
        for (int ix = 0; ix < S; ix++) {
            int x = inside ? x0 + ix : kp_clamp(x0 + ix, w);
            float* d = &dheat[(((size_t)b * h + y) * w + x) * K + k];
            if (add) *d += v[iy * S + ix];
            else *d = v[iy * S + ix];
        }
    }
}

/* every value of the window equal to the first (energy: nothing changed under it) */
static bool kp_even(const float* p, int ss) {
    for (int i0 = 0; i0 < ss; i0 += 32) {
        int end = i0 + 32 < ss ? i0 + 32 : ss, differ = 0;
        for (int i = i0; i < end; i++) differ |= p[i] != p[0];
        if (differ) return false;
    }
    return true;
}

/* The plain and the sharp (not energy) rows, vectorized in float (nn_fast.h) with GCC's vector
   extension: eight running sums or maxima, one a lane, added in a fixed order, and exp_fast lane by
   lane. Elementwise IEEE operations without contraction: the same bits in either clone and at
   every run. Measured on this machine (appearance keypoints, 16 x 16 windows): the rows are bound
   by the stores of the softmax and the normalised heats the backward keeps */
#define KP_LANES 8
/* the helpers below return 32-byte vectors; always inlined, so no call ever passes one (GCC warns
   of the ABI of such calls where AVX is off) */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
typedef float KpV __attribute__((vector_size(32)));
typedef int32_t KpI __attribute__((vector_size(32)));

NN_FAST_INLINE KpV kp_load(const float* p) {
    KpV v;
    memcpy(&v, p, sizeof v);
    return v;
}

NN_FAST_INLINE void kp_store(float* p, KpV v) {
    memcpy(p, &v, sizeof v);
}

NN_FAST_INLINE KpV kp_splat(float x) {
    return (KpV){x, x, x, x, x, x, x, x};
}

NN_FAST_INLINE KpV kp_max(KpV a, KpV b) {
    KpI m = a > b;
    return (KpV)(((KpI)a & m) | ((KpI)b & ~m));
}

NN_FAST_INLINE float kp_lanes(KpV a) {
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

/* exp_fast's arithmetic lane by lane (the same bits as exp_fast of each lane) */
NN_FAST_INLINE KpV kp_exp(KpV x) {
    x = kp_max(x, kp_splat(-NN_EXP_CLAMP));
    x = -kp_max(-x, kp_splat(-NN_EXP_CLAMP));
    KpV magic = kp_splat(NN_EXP_MAGIC);
    KpV t = x * NN_EXP_LOG2E + magic;
    KpV kf = t - magic;
    KpI ki = (KpI)t - NN_EXP_MAGIC_BITS;
    KpV r = x - kf * NN_EXP_LN2_HI;
    r = r + kf * NN_EXP_LN2_LO;
    KpV p = NN_EXP_POLY(r);
    return p * (KpV)((ki + 127) << 23);
}

NN_FAST_INLINE float kp_sum(const float* p, int n) {
    KpV acc = kp_splat(0.0f);
    int i = 0;
    for (; i + KP_LANES <= n; i += KP_LANES) acc += kp_load(p + i);
    float sum = kp_lanes(acc);
    for (; i < n; i++) sum += p[i];
    return sum;
}

/* the expected offset of a softmax row p over a window's table t [ss, 2] (interleaved x, y):
   out[0, 1] = sum_i p_i t_i, eight lanes of running sums in a fixed order */
static NN_FAST_HOT void kp_offset(const float* p, const float* t, int ss, float* out) {
    KpV ax = kp_splat(0.0f), ay = ax;
    int i = 0;
    for (; i + KP_LANES <= ss; i += KP_LANES) {
        KpV a = kp_load(t + 2 * i), b = kp_load(t + 2 * i + KP_LANES);
        /* de-interleave the 8 (x, y) pairs */
        KpV x = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
        KpV y = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
        KpV q = kp_load(p + i);
        ax += q * x;
        ay += q * y;
    }
    float sx = kp_lanes(ax), sy = kp_lanes(ay);
    for (; i < ss; i++) sx += p[i] * t[2 * i], sy += p[i] * t[2 * i + 1];
    out[0] = sx, out[1] = sy;
}

/* the softmax of row p (sharp: of T u, u the row normalised, kept with its reciprocal deviation);
   returns the row's log-sum-exp. Four passes: the sums about the first value (an even row's mean is
   that value exactly, so u = 0), the logits with their maxima, the exponentials with their sums,
   the scaling */
static NN_FAST_HOT float nn_keypoint_row(float* p, int ss, const float* T, float* u, float* rsd) {
    int i;
    KpV mx = kp_splat(-3.0e38f);
    float mt = -3.0e38f;
    if (T) {
        float p0 = p[0];
        KpV ad = kp_splat(0.0f), aq = ad, v0 = kp_splat(p0);
        for (i = 0; i + KP_LANES <= ss; i += KP_LANES) {
            KpV d = kp_load(p + i) - v0;
            ad += d;
            aq += d * d;
        }
        float d = kp_lanes(ad), q = kp_lanes(aq);
        for (; i < ss; i++) d += p[i] - p0, q += (p[i] - p0) * (p[i] - p0);
        float md = d / (float)ss, var = q / (float)ss - md * md, mu = p0 + md;
        float rs = 1.0f / sqrtf((var > 0.0f ? var : 0.0f) + (float)NN_KEYPOINT_EPS), t = *T;
        *rsd = rs;
        KpV vmu = kp_splat(mu), vrs = kp_splat(rs), vt = kp_splat(t);
        for (i = 0; i + KP_LANES <= ss; i += KP_LANES) {
            KpV ui = (kp_load(p + i) - vmu) * vrs, l = vt * ui;
            kp_store(u + i, ui);
            kp_store(p + i, l);
            mx = kp_max(l, mx);
        }
        for (; i < ss; i++) {
            float ui = (p[i] - mu) * rs;
            u[i] = ui;
            p[i] = t * ui;
            mt = p[i] > mt ? p[i] : mt;
        }
    } else {
        for (i = 0; i + KP_LANES <= ss; i += KP_LANES) mx = kp_max(kp_load(p + i), mx);
        for (; i < ss; i++) mt = p[i] > mt ? p[i] : mt;
    }
    float m = mt;
    for (int j = 0; j < KP_LANES; j++) m = mx[j] > m ? mx[j] : m;
    KpV acc = kp_splat(0.0f), vm = kp_splat(m);
    for (i = 0; i + KP_LANES <= ss; i += KP_LANES) {
        KpV e = kp_exp(kp_load(p + i) - vm);
        kp_store(p + i, e);
        acc += e;
    }
    float sum = kp_lanes(acc);
    for (; i < ss; i++) {
        p[i] = exp_fast(p[i] - m);
        sum += p[i];
    }
    float inv = 1.0f / sum;
    KpV vinv = kp_splat(inv);
    for (i = 0; i + KP_LANES <= ss; i += KP_LANES) kp_store(p + i, kp_load(p + i) * vinv);
    for (; i < ss; i++) p[i] *= inv;
    return m + logf(sum);
}

/* the backward of a plain or sharp row: v = dl (plain), or the heats' gradient through the
   temperature and the normalisation (sharp), in place of the offsets' gradient gr; dT added to
   *dtemp */
static NN_FAST_HOT void nn_keypoint_row_backward(const float* p, float* gr, float dlse, int ss, const float* T,
                                                 const float* u, float rsd, float* dtemp) {
    KpV acc = kp_splat(0.0f);
    int i;
    for (i = 0; i + KP_LANES <= ss; i += KP_LANES) acc += kp_load(p + i) * kp_load(gr + i);
    float dot = kp_lanes(acc);
    for (; i < ss; i++) dot += p[i] * gr[i];
    float base = dlse - dot;
    /* dl_i = p_i (g_i - sum_j p_j g_j + dlse) */
    for (i = 0; i < ss; i++) gr[i] = p[i] * (gr[i] + base);
    if (!T) return;
    /* du = T dl: the means of du and du u are T times those of dl and dl u */
    float mdu = kp_sum(gr, ss);
    KpV au = kp_splat(0.0f);
    for (i = 0; i + KP_LANES <= ss; i += KP_LANES) au += kp_load(gr + i) * kp_load(u + i);
    float mduu = kp_lanes(au);
    for (; i < ss; i++) mduu += gr[i] * u[i];
    *dtemp += mduu;
    float t = *T, a = t * mdu / (float)ss, c2 = t * mduu / (float)ss;
    for (i = 0; i < ss; i++) gr[i] = rsd * (t * gr[i] - a - u[i] * c2);
}

NN_HOT void nn_keypoint_forward(int n, int h, int w, int K, int s, int m, bool energy, float unit,
                                const float* temp, int nsharp, const float* heat, float* prob, float* work,
                                float* out) {
    int ch = h / s, cw = w / s, S = s + 2 * m, ss = S * S;
    size_t rows = kp_rows(n, h, w, K, s);
    float* t = work;                     /* [ss, 2] */
    kp_table(S, unit, t);
    float lss = logf((float)ss);
    float* u = prob + rows * ss;         /* sharp: [rows, ss] normalised heats */
    float* rsd = u + rows * ss;          /* sharp: [rows] 1 / deviation */
    /* the heats channel by channel, ht[n, K, h, w] (n h w K <= rows ss: the scratch the backward
       keeps the softmax's gradient in) */
    float* ht = t + (size_t)ss * 2;
    size_t hw = (size_t)h * w;
    for (int b = 0; b < n; b++)
        for (size_t q = 0; q < hw; q++)
            for (int k = 0; k < K; k++) ht[((size_t)b * K + k) * hw + q] = heat[((size_t)b * hw + q) * K + k];
    /* gather each cell's heats into a row (sharp: normalised and times the temperature), softmax
       it, keep its log-sum-exp */
    for (int b = 0; b < n; b++)
        for (int cy = 0; cy < ch; cy++)
            for (int cx = 0; cx < cw; cx++) {
                size_t cell = ((size_t)b * ch + cy) * cw + cx;
                for (int k = 0; k < K; k++) {
                    size_t r = cell * K + k;
                    float* p = prob + r * ss;
                    kp_gather(ht + ((size_t)b * K + k) * hw, h, w, cy * s - m, cx * s - m, S, p);
                    /* the channels from nsharp on are plain even with temperatures */
                    bool sk = temp && k < nsharp;
                    if (!energy || !sk) {
                        float lse = nn_keypoint_row(p, ss, sk ? temp + k : NULL, sk ? u + r * ss : NULL,
                                                    sk ? rsd + r : NULL);
                        out[cell * 3 * K + 3 * k + 2] = lse - lss;
                        continue;
                    }
                    /* energy: an even window (nothing moved under it: most of a frame's change) is
                       offset 0 and strength 0 without a transcendental; its gradient is 0 */
                    if (kp_even(p, ss)) {
                        rsd[r] = (float)(1.0 / sqrt(NN_KEYPOINT_EPS));
                        float inv = 1.0f / (float)ss;
                        for (int i = 0; i < ss; i++) u[r * ss + i] = 0.0f, p[i] = inv;
                        out[cell * 3 * K + 3 * k + 2] = 0.0f;
                        continue;
                    }
                    double mu = 0, var = 0;
                    for (int i = 0; i < ss; i++) mu += p[i];
                    mu /= ss;
                    for (int i = 0; i < ss; i++) var += ((double)p[i] - mu) * ((double)p[i] - mu);
                    float rs = (float)(1.0 / sqrt(var / ss + NN_KEYPOINT_EPS));
                    rsd[r] = rs;
                    for (int i = 0; i < ss; i++) {
                        float ui = ((float)((double)p[i] - mu)) * rs;
                        u[r * ss + i] = ui;
                        p[i] = temp[k] * log1pf(ui * ui / NN_KEYPOINT_ENERGY_EPS);
                    }
                    float mx = -INFINITY;
                    for (int i = 0; i < ss; i++)
                        if (p[i] > mx) mx = p[i];
                    double sum = 0;
                    for (int i = 0; i < ss; i++) {
                        p[i] = expf(p[i] - mx);
                        sum += p[i];
                    }
                    float inv = (float)(1.0 / sum);
                    for (int i = 0; i < ss; i++) p[i] *= inv;
                    out[cell * 3 * K + 3 * k + 2] = mx + (float)log(sum) - lss;
                }
            }
    /* the expected offsets, prob T, row by row in a fixed order: a row's offsets do not depend on
       how many rows a call has (an sgemm's kernel does: OpenBLAS takes another below about 10^6
       multiply-adds), so a window's latent is the same whichever windows it is encoded with */
    for (size_t r = 0; r < rows; r++) {
        size_t cell = r / K;
        int k = (int)(r % K);
        kp_offset(prob + r * ss, t, ss, out + cell * 3 * K + 3 * k);
    }
}

NN_HOT void nn_keypoint_backward(int n, int h, int w, int K, int s, int m, bool energy, float unit, const float* temp,
                                 int nsharp, const float* prob, const float* dout, float* work, float* dheat,
                                 float* dtemp) {
    int ch = h / s, cw = w / s, S = s + 2 * m, ss = S * S;
    size_t rows = kp_rows(n, h, w, K, s);
    float* g = work;                     /* [rows, ss] */
    float* doff = work + rows * ss;      /* [rows, 2] */
    float* t = doff + rows * 2;          /* [ss, 2] */
    kp_table(S, unit, t);
    /* with a margin the windows overlap (and repeat the edge): the heats' gradient is a sum; energy
       skips even windows, whose gradient is 0 */
    bool add = m > 0 || (energy && temp);
    if (add) memset(dheat, 0, sizeof(float) * (size_t)n * h * w * K);
    for (size_t r = 0; r < rows; r++) {
        size_t cell = r / K;
        int k = (int)(r % K);
        doff[r * 2 + 0] = dout[cell * 3 * K + 3 * k + 0];
        doff[r * 2 + 1] = dout[cell * 3 * K + 3 * k + 1];
    }
    /* the offsets' gradient on each softmax entry: g = doff T^T, one sgemm */
    nn_gemm(false, true, (int)rows, ss, 2, 1.0f, doff, t, 0.0f, g);
    const float* u = prob + rows * ss;
    const float* rsd = u + rows * ss;
    /* through the softmax (dh_i = p_i (g_i - sum_j p_j g_j)) and the log-sum-exp (dh_i = p_i dl);
       sharp: then through the temperature (dT += dh_i u_i, du_i = T dh_i) and the normalisation
       (dv_i = rsd (du_i - mean(du) - u_i mean(du u))); scattered back to the heat's pixels (each
       row's gradient written over its g) */
    for (int b = 0; b < n; b++)
        for (int cy = 0; cy < ch; cy++)
            for (int cx = 0; cx < cw; cx++) {
                size_t cell = ((size_t)b * ch + cy) * cw + cx;
                for (int k = 0; k < K; k++) {
                    size_t r = cell * K + k;
                    const float* p = prob + r * ss;
                    float* gr = g + r * ss;
                    float dlse = dout[cell * 3 * K + 3 * k + 2];
                    bool sk = temp && k < nsharp;
                    if (!energy || !sk) {
                        nn_keypoint_row_backward(p, gr, dlse, ss, sk ? temp + k : NULL, sk ? u + r * ss : NULL,
                                                 sk ? rsd[r] : 0.0f, sk ? dtemp + k : NULL);
                        kp_scatter(dheat, h, w, K, k, b, cy * s - m, cx * s - m, S, gr, add);
                        continue;
                    }
                    const float* ur = u + r * ss;
                    bool even = true;
                    for (int i = 0; i < ss && even; i++) even = ur[i] == 0.0f;
                    if (even) continue;
                    double dot = 0;
                    for (int i = 0; i < ss; i++) dot += (double)p[i] * gr[i];
                    float base = dlse - (float)dot;
                    /* the logit T log(1 + u^2 / e): dT += dl log(1 + u^2 / e), du = T dl 2u / (e + u^2) */
                    float T = temp[k];
                    double dt = 0, mdu = 0, mduu = 0;
                    for (int i = 0; i < ss; i++) {
                        double dl = (double)p[i] * (gr[i] + base), ui = ur[i];
                        double q = dl * 2.0 * ui / (NN_KEYPOINT_ENERGY_EPS + ui * ui);
                        dt += dl * log1p(ui * ui / NN_KEYPOINT_ENERGY_EPS);
                        mdu += q;
                        mduu += q * ui;
                    }
                    dtemp[k] += (float)dt;
                    float a = (float)(T * mdu / ss), c2 = (float)(T * mduu / ss);
                    for (int i = 0; i < ss; i++) {
                        float ui = ur[i];
                        float du = T * p[i] * (gr[i] + base) * 2.0f * ui / ((float)NN_KEYPOINT_ENERGY_EPS + ui * ui);
                        gr[i] = rsd[r] * (du - a - ui * c2);
                    }
                    kp_scatter(dheat, h, w, K, k, b, cy * s - m, cx * s - m, S, gr, true);
                }
            }
}

/* the taps of a Gaussian of sigma pixels out to NN_BLUR_MAX_RADIUS, summing to 1; returns the radius */
static int blur_taps(float sigma, float* k) {
    int r = (int)ceilf(3.0f * sigma);
    if (r > NN_BLUR_MAX_RADIUS) r = NN_BLUR_MAX_RADIUS;
    if (r < 1) r = 1;
    double t[2 * NN_BLUR_MAX_RADIUS + 1], sum = 0;
    for (int i = -r; i <= r; i++) sum += t[i + r] = exp(-(double)(i * i) / (2.0 * (double)sigma * (double)sigma));
    for (int i = 0; i <= 2 * r; i++) k[i] = (float)(t[i] / sum);
    return r;
}

/* one pass of the blur along an axis of len positions, each a contiguous block of blk floats: every
   output value is 0 plus its neighbours' values times the taps, in increasing order of offset, the
   taps past the ends left out (zero outside). Positions whose taps all lie inside (r to len - 1 - r)
   form one contiguous run whose values are summed BLUR_RUN at a time in registers, one read of the
   input per tap instead of a pass over the map per tap; the ends take the taps they have. No
   contraction and no reassociation (nn_fast.h), so the AVX2 clone gives the default's bits. */
#define BLUR_RUN 16
NN_FAST_HOT static void blur_axis(const float* x, float* y, int len, size_t blk, const float* k, int r) {
    int in_lo = r < len ? r : len, in_hi = len - 1 - r;   /* the inner positions: [in_lo, in_hi] */
    for (int j = 0; j < len; j++) {
        if (j == in_lo && in_lo <= in_hi) {
            /* the inner run, [in_lo, in_hi] x blk values */
            size_t m0 = (size_t)in_lo * blk, m1 = (size_t)(in_hi + 1) * blk, m = m0;
            for (; m + BLUR_RUN <= m1; m += BLUR_RUN) {
                float acc[BLUR_RUN] = {0};
                for (int d = -r; d <= r; d++) {
                    const float* p = x + m + (ptrdiff_t)d * (ptrdiff_t)blk;
                    float kd = k[d + r];
                    for (int t = 0; t < BLUR_RUN; t++) acc[t] += kd * p[t];
                }
                memcpy(y + m, acc, sizeof acc);
            }
            for (; m < m1; m++) {
                float acc = 0;
                for (int d = -r; d <= r; d++) acc += k[d + r] * x[m + (ptrdiff_t)d * (ptrdiff_t)blk];
                y[m] = acc;
            }
            j = in_hi;
            continue;
        }
        int lo = j - r < 0 ? -j : -r, hi = j + r >= len ? len - 1 - j : r;
        float* o = y + (size_t)j * blk;
        for (size_t e = 0; e < blk; e++) {
            float acc = 0;
            for (int d = lo; d <= hi; d++) acc += k[d + r] * x[(size_t)(j + d) * blk + e];
            o[e] = acc;
        }
    }
}

void nn_blur(int n, int h, int w, int K, float sigma, const float* x, float* y, float* tmp) {
    float k[2 * NN_BLUR_MAX_RADIUS + 1];
    int r = blur_taps(sigma, k);
    size_t row = (size_t)w * K, img = (size_t)h * row;
    for (int b = 0; b < n; b++) {
        /* along each row into tmp, then along each column into y */
        for (int i = 0; i < h; i++) blur_axis(x + (size_t)b * img + i * row, tmp + i * row, w, (size_t)K, k, r);
        blur_axis(tmp, y + (size_t)b * img, h, row, k, r);
    }
}
