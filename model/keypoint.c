/* keypoint: the cell soft-argmax layer (nn.h) -- per cell and channel, the softmax of a heat map over
 * the cell's pixels (with a margin: over a window m pixels wider on every side, centred on the cell,
 * the map's edge pixels repeated outside it), its expected offset from the cell's centre and its
 * log-sum-exp; sharp: the window's heats normalised (mean 0, deviation 1) and scaled by the
 * channel's learned temperature before the softmax (energy: the logit T log(1 + u^2 / e) of the
 * normalised heat u, so that the softmax is a power of the heat's distance from its mean) */
#include <math.h>
#include <string.h>

#include "model/nn.h"

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
   at heat[((b * h + y) * w + x) * K + k], y = cy * s - m + iy and x = cx * s - m + ix clamped to the
   map (m = 0: the cell's own pixels) */
NN_HOT void nn_keypoint_forward(int n, int h, int w, int K, int s, int m, bool energy, float unit,
                                const float* temp, const float* heat, float* prob, float* work, float* out) {
    int ch = h / s, cw = w / s, S = s + 2 * m, ss = S * S;
    size_t rows = kp_rows(n, h, w, K, s);
    float* off = work;                   /* [rows, 2] */
    float* t = work + rows * 2;          /* [ss, 2] */
    kp_table(S, unit, t);
    float lss = logf((float)ss);
    float* u = prob + rows * ss;         /* sharp: [rows, ss] normalised heats */
    float* rsd = u + rows * ss;          /* sharp: [rows] 1 / deviation */
    /* gather each cell's heats into a row (sharp: normalised and times the temperature), softmax
       it, keep its log-sum-exp */
    for (int b = 0; b < n; b++)
        for (int cy = 0; cy < ch; cy++)
            for (int cx = 0; cx < cw; cx++) {
                size_t cell = ((size_t)b * ch + cy) * cw + cx;
                for (int k = 0; k < K; k++) {
                    float* p = prob + (cell * K + k) * ss;
                    float mx = -INFINITY;
                    for (int iy = 0; iy < S; iy++) {
                        int y = kp_clamp(cy * s - m + iy, h);
                        for (int ix = 0; ix < S; ix++) {
                            int x = kp_clamp(cx * s - m + ix, w);
                            p[iy * S + ix] = heat[(((size_t)b * h + y) * w + x) * K + k];
                        }
                    }
                    if (temp && energy) {
                        /* an even window (nothing moved under it: most of a frame's change) is
                           offset 0 and strength 0 without a transcendental; its gradient is 0 */
                        bool even = true;
                        for (int i = 1; i < ss && even; i++) even = p[i] == p[0];
                        if (even) {
                            size_t r = cell * K + k;
                            rsd[r] = (float)(1.0 / sqrt(NN_KEYPOINT_EPS));
                            float inv = 1.0f / (float)ss;
                            for (int i = 0; i < ss; i++) u[r * ss + i] = 0.0f, p[i] = inv;
                            out[cell * 3 * K + 3 * k + 2] = 0.0f;
                            continue;
                        }
                    }
                    if (temp) {
                        size_t r = cell * K + k;
                        double mu = 0, var = 0;
                        for (int i = 0; i < ss; i++) mu += p[i];
                        mu /= ss;
                        for (int i = 0; i < ss; i++) var += ((double)p[i] - mu) * ((double)p[i] - mu);
                        float rs = (float)(1.0 / sqrt(var / ss + NN_KEYPOINT_EPS));
                        rsd[r] = rs;
                        for (int i = 0; i < ss; i++) {
                            float ui = ((float)((double)p[i] - mu)) * rs;
                            u[r * ss + i] = ui;
                            p[i] = temp[k] * (energy ? log1pf(ui * ui / NN_KEYPOINT_ENERGY_EPS) : ui);
                        }
                    }
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
    /* the expected offsets: off = prob T, one sgemm */
    nn_gemm(false, false, (int)rows, 2, ss, 1.0f, prob, t, 0.0f, off);
    for (size_t r = 0; r < rows; r++) {
        size_t cell = r / K;
        int k = (int)(r % K);
        out[cell * 3 * K + 3 * k + 0] = off[r * 2 + 0];
        out[cell * 3 * K + 3 * k + 1] = off[r * 2 + 1];
    }
}

NN_HOT void nn_keypoint_backward(int n, int h, int w, int K, int s, int m, bool energy, float unit, const float* temp,
                                 const float* prob, const float* dout, float* work, float* dheat, float* dtemp) {
    int ch = h / s, cw = w / s, S = s + 2 * m, ss = S * S;
    size_t rows = kp_rows(n, h, w, K, s);
    float* g = work;                     /* [rows, ss] */
    float* doff = work + rows * ss;      /* [rows, 2] */
    float* t = doff + rows * 2;          /* [ss, 2] */
    kp_table(S, unit, t);
    /* with a margin the windows overlap (and repeat the edge): the heats' gradient is a sum; energy
       skips even windows, whose gradient is 0 */
    if (m > 0 || (energy && temp)) memset(dheat, 0, sizeof(float) * (size_t)n * h * w * K);
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
       (dv_i = rsd (du_i - mean(du) - u_i mean(du u))); scattered back to the heat's pixels */
    for (int b = 0; b < n; b++)
        for (int cy = 0; cy < ch; cy++)
            for (int cx = 0; cx < cw; cx++) {
                size_t cell = ((size_t)b * ch + cy) * cw + cx;
                for (int k = 0; k < K; k++) {
                    size_t r = cell * K + k;
                    const float* p = prob + r * ss;
                    const float* gr = g + r * ss;
                    double dot = 0;
                    for (int i = 0; i < ss; i++) dot += (double)p[i] * gr[i];
                    float base = dout[cell * 3 * K + 3 * k + 2] - (float)dot;
                    if (!temp) {
                        for (int iy = 0; iy < S; iy++) {
                            int y = kp_clamp(cy * s - m + iy, h);
                            for (int ix = 0; ix < S; ix++) {
                                int i = iy * S + ix, x = kp_clamp(cx * s - m + ix, w);
                                float* d = &dheat[(((size_t)b * h + y) * w + x) * K + k];
                                float v = p[i] * (gr[i] + base);
                                if (m > 0) *d += v;
                                else *d = v;
                            }
                        }
                        continue;
                    }
                    const float* ur = u + r * ss;
                    if (energy) {
                        bool even = true;
                        for (int i = 0; i < ss && even; i++) even = ur[i] == 0.0f;
                        if (even) continue;
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
                        for (int iy = 0; iy < S; iy++) {
                            int y = kp_clamp(cy * s - m + iy, h);
                            for (int ix = 0; ix < S; ix++) {
                                int i = iy * S + ix, x = kp_clamp(cx * s - m + ix, w);
                                float ui = ur[i];
                                float du =
                                    T * p[i] * (gr[i] + base) * 2.0f * ui / ((float)NN_KEYPOINT_ENERGY_EPS + ui * ui);
                                dheat[(((size_t)b * h + y) * w + x) * K + k] += rsd[r] * (du - a - ui * c2);
                            }
                        }
                        continue;
                    }
                    double dt = 0, mdu = 0, mduu = 0;
                    for (int i = 0; i < ss; i++) {
                        double dl = (double)p[i] * (gr[i] + base);
                        dt += dl * ur[i];
                        mdu += dl;
                        mduu += dl * ur[i];
                    }
                    dtemp[k] += (float)dt;
                    /* du = T dl: the means of du and du u are T times those of dl */
                    float T = temp[k], a = (float)(T * mdu / ss), c2 = (float)(T * mduu / ss);
                    for (int iy = 0; iy < S; iy++) {
                        int y = kp_clamp(cy * s - m + iy, h);
                        for (int ix = 0; ix < S; ix++) {
                            int i = iy * S + ix, x = kp_clamp(cx * s - m + ix, w);
                            float du = T * p[i] * (gr[i] + base);
                            float* d = &dheat[(((size_t)b * h + y) * w + x) * K + k];
                            float v = rsd[r] * (du - a - ur[i] * c2);
                            if (m > 0) *d += v;
                            else *d = v;
                        }
                    }
                }
            }
}
