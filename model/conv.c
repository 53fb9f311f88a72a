/* conv: 2D convolution (im2col + sgemm), the conv nets' SiLU and group norm over channels-last images (nn.h) */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "model/nn.h"
#include "model/nn_fast.h"

/* ---- convolution ---- */

int nn_conv2d_out(int in, int k, int stride, int pad) {
    if (stride < 1 || in + 2 * pad < k) return 0;
    return (in + 2 * pad - k) / stride + 1;
}

void nn_conv2d_layout(NnConv2d* cv, NnLayout* l, int cin, int cout, int k, int stride, int pad) {
    cv->cin = cin;
    cv->cout = cout;
    cv->k = k;
    cv->stride = stride;
    cv->pad = pad;
    cv->w = nn_layout_add(l, k * k * cin * cout, true);
    cv->b = nn_layout_add(l, cout, false);
}

void nn_conv2d_init(const NnConv2d* cv, float* params, Rng* rng, float gain) {
    int fan_in = cv->k * cv->k * cv->cin;
    double sd = gain * sqrt(2.0 / (double)fan_in);
    for (int i = 0; i < fan_in * cv->cout; i++) params[cv->w + i] = (float)(sd * rng_normal(rng));
    memset(params + cv->b, 0, sizeof(float) * (size_t)cv->cout);
}

/* a 1x1 convolution of stride 1 without padding reads its input as the GEMM's left matrix */
static bool conv_is_pointwise(const NnConv2d* cv) {
    return cv->k == 1 && cv->stride == 1 && cv->pad == 0;
}

size_t nn_conv2d_col_size(const NnConv2d* cv, int n, int h, int w) {
    if (conv_is_pointwise(cv)) return 0;
    size_t ho = (size_t)nn_conv2d_out(h, cv->k, cv->stride, cv->pad);
    size_t wo = (size_t)nn_conv2d_out(w, cv->k, cv->stride, cv->pad);
    return (size_t)n * ho * wo * (size_t)(cv->k * cv->k * cv->cin);
}

/* col[n*ho*wo, k*k*cin]: row (b, oy, ox) holds x[b, oy*s - pad + ky, ox*s - pad + kx, :] for every
 * (ky, kx), zeros outside the image */
NN_HOT static void im2col(const NnConv2d* cv, int n, int h, int w, int ho, int wo, const float* x,
                          float* col) {
    int C = cv->cin, k = cv->k, s = cv->stride, p = cv->pad;
    size_t K = (size_t)k * k * C, krow = (size_t)k * C;
    for (int b = 0; b < n; b++) {
        const float* xb = x + (size_t)b * h * w * C;
        for (int oy = 0; oy < ho; oy++) {
            for (int ox = 0; ox < wo; ox++) {
                float* row = col + (((size_t)b * ho + oy) * wo + ox) * K;
                int ix0 = ox * s - p;
                bool inside_x = ix0 >= 0 && ix0 + k <= w;
                for (int ky = 0; ky < k; ky++) {
                    int iy = oy * s - p + ky;
                    float* dst = row + (size_t)ky * krow;
                    if (iy < 0 || iy >= h) {
                        memset(dst, 0, sizeof(float) * krow);
                        continue;
                    }
                    const float* src = xb + ((size_t)iy * w) * C;
                    if (inside_x) {
                        /* the kernel's row lies inside the image: one contiguous copy */
                        memcpy(dst, src + (size_t)ix0 * C, sizeof(float) * krow);
                        continue;
                    }
                    for (int kx = 0; kx < k; kx++) {
                        int ix = ix0 + kx;
                        if (ix < 0 || ix >= w) memset(dst + (size_t)kx * C, 0, sizeof(float) * C);
                        else memcpy(dst + (size_t)kx * C, src + (size_t)ix * C, sizeof(float) * C);
                    }
                }
            }
        }
    }
}

/* dx = sum of col's rows scattered back to the pixels they were read from (dx is overwritten) */
NN_HOT static void col2im(const NnConv2d* cv, int n, int h, int w, int ho, int wo, const float* col,
                          float* dx) {
    int C = cv->cin, k = cv->k, s = cv->stride, p = cv->pad;
    size_t K = (size_t)k * k * C, krow = (size_t)k * C;
    memset(dx, 0, sizeof(float) * (size_t)n * h * w * C);
    for (int b = 0; b < n; b++) {
        float* xb = dx + (size_t)b * h * w * C;
        for (int oy = 0; oy < ho; oy++) {
            for (int ox = 0; ox < wo; ox++) {
                const float* row = col + (((size_t)b * ho + oy) * wo + ox) * K;
                int ix0 = ox * s - p;
                int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = ix0 + k > w ? w - ix0 : k;
                for (int ky = 0; ky < k; ky++) {
                    int iy = oy * s - p + ky;
                    if (iy < 0 || iy >= h) continue;
                    const float* src = row + (size_t)ky * krow + (size_t)kx0 * C;
                    float* dst = xb + ((size_t)iy * w + (size_t)(ix0 + kx0)) * C;
                    size_t len = (size_t)(kx1 - kx0) * C;
                    for (size_t i = 0; i < len; i++) dst[i] += src[i];
                }
            }
        }
    }
}

NN_HOT void nn_conv2d_forward(const NnConv2d* cv, const float* params, int n, int h, int w,
                              const float* x, float* col, float* y) {
    int ho = nn_conv2d_out(h, cv->k, cv->stride, cv->pad);
    int wo = nn_conv2d_out(w, cv->k, cv->stride, cv->pad);
    int M = n * ho * wo, K = cv->k * cv->k * cv->cin, N = cv->cout;
    const float* a = x;
    if (!conv_is_pointwise(cv)) {
        im2col(cv, n, h, w, ho, wo, x, col);
        a = col;
    }
    /* y = broadcast bias, then y += col W */
    const float* bias = params + cv->b;
    for (int i = 0; i < M; i++) memcpy(y + (size_t)i * N, bias, sizeof(float) * (size_t)N);
    nn_gemm(false, false, M, N, K, 1.0f, a, params + cv->w, 1.0f, y);
}

static void conv2d_backward(const NnConv2d* cv, const float* params, float* grads, int n, int h, int w,
                            const float* x, const float* cols, const float* dy, float* col, float* dx);

void nn_conv2d_backward(const NnConv2d* cv, const float* params, float* grads, int n, int h, int w,
                        const float* x, const float* dy, float* col, float* dx) {
    conv2d_backward(cv, params, grads, n, h, w, x, NULL, dy, col, dx);
}

void nn_conv2d_backward_cols(const NnConv2d* cv, const float* params, float* grads, int n, int h, int w,
                             const float* x, const float* cols, const float* dy, float* scratch, float* dx) {
    conv2d_backward(cv, params, grads, n, h, w, x, cols, dy, scratch, dx);
}

/* cols: the forward's columns, or NULL to rebuild them into col */
NN_HOT static void conv2d_backward(const NnConv2d* cv, const float* params, float* grads, int n, int h, int w,
                                   const float* x, const float* cols, const float* dy, float* col, float* dx) {
    int ho = nn_conv2d_out(h, cv->k, cv->stride, cv->pad);
    int wo = nn_conv2d_out(w, cv->k, cv->stride, cv->pad);
    int M = n * ho * wo, K = cv->k * cv->k * cv->cin, N = cv->cout;
    bool pointwise = conv_is_pointwise(cv);
    /* db += column sums of dy */
    float* db = grads + cv->b;
    for (int i = 0; i < M; i++) {
        const float* r = dy + (size_t)i * N;
        for (int j = 0; j < N; j++) db[j] += r[j];
    }
    /* dW += col^T dy (the columns rebuilt from x) */
    const float* a = x;
    if (!pointwise && cols) {
        a = cols;
    } else if (!pointwise) {
        im2col(cv, n, h, w, ho, wo, x, col);
        a = col;
    }
    nn_gemm(true, false, K, N, M, 1.0f, a, dy, 1.0f, grads + cv->w);
    if (!dx) return;
    if (pointwise) {
        nn_gemm(false, true, M, K, N, 1.0f, dy, params + cv->w, 0.0f, dx);
        return;
    }
    /* dcol = dy W^T (into the columns' buffer, no longer needed), scattered back into dx */
    nn_gemm(false, true, M, K, N, 1.0f, dy, params + cv->w, 0.0f, col);
    col2im(cv, n, h, w, ho, wo, col, dx);
}

/* ---- SiLU (the conv nets' activation) ---- */

/* The SiLU loops: vectorized, and in AVX2 where the CPU has it (a clone chosen at load time).
   Measured on this machine's EPYC, 4096 values in cache: the scalar loops took 5.0 / 6.1 ns a value
   (forward / backward), 1.25 / 1.6 ns vectorized, 0.62 / 0.84 ns in AVX2; they were a quarter of an
   encoder train step (the options and exp_fast: model/nn_fast.h) */
NN_FAST_HOT void nn_silu_fast_forward(size_t count, const float* pre, float* post) {
    for (size_t i = 0; i < count; i++) post[i] = pre[i] / (1.0f + exp_fast(-pre[i]));
}

NN_FAST_HOT void nn_silu_fast_backward(size_t count, const float* pre, const float* dpost, float* dpre) {
    for (size_t i = 0; i < count; i++) {
        float s = 1.0f / (1.0f + exp_fast(-pre[i]));
        dpre[i] = dpost[i] * s * (1.0f + pre[i] * (1.0f - s));
    }
}

/* ---- group norm ---- */

#define NN_GN_EPS 1e-5

void nn_groupnorm_layout(NnGroupNorm* gn, NnLayout* l, int c, int groups) {
    gn->c = c;
    gn->groups = groups;
    gn->gamma = nn_layout_add(l, c, false);
    gn->beta = nn_layout_add(l, c, false);
}

void nn_groupnorm_init(const NnGroupNorm* gn, float* params) {
    for (int j = 0; j < gn->c; j++) {
        params[gn->gamma + j] = 1.0f;
        params[gn->beta + j] = 0.0f;
    }
}

/* per-channel sums over the hw pixels of one image: s1[c] = sum x, s2[c] = sum x * y */
NN_HOT static void channel_sums(int hw, int C, const float* x, const float* y, double* s1,
                                double* s2) {
    for (int c = 0; c < C; c++) s1[c] = s2[c] = 0;
    for (int p = 0; p < hw; p++) {
        const float* xr = x + (size_t)p * C;
        const float* yr = y + (size_t)p * C;
        for (int c = 0; c < C; c++) {
            s1[c] += xr[c];
            s2[c] += (double)xr[c] * yr[c];
        }
    }
}

/* y = x * a[c] + b[c] over hw pixels (y may alias x) */
NN_HOT static void channel_affine(int hw, int C, const float* x, const float* a, const float* b,
                                  float* y) {
    for (int p = 0; p < hw; p++) {
        const float* xr = x + (size_t)p * C;
        float* yr = y + (size_t)p * C;
        for (int c = 0; c < C; c++) yr[c] = xr[c] * a[c] + b[c];
    }
}

#define GN_MAX_C 1024

void nn_groupnorm_forward(const NnGroupNorm* gn, const float* params, int n, int hw,
                          const float* x, float* y, float* stats) {
    int C = gn->c, G = gn->groups, cg = C / G;
    const float* gamma = params + gn->gamma;
    const float* beta = params + gn->beta;
    double s1[GN_MAX_C], s2[GN_MAX_C];
    float a[GN_MAX_C], b[GN_MAX_C];
    double count = (double)hw * cg;
    for (int i = 0; i < n; i++) {
        const float* xi = x + (size_t)i * hw * C;
        channel_sums(hw, C, xi, xi, s1, s2);
        for (int g = 0; g < G; g++) {
            double m = 0, q = 0;
            for (int c = g * cg; c < (g + 1) * cg; c++) m += s1[c], q += s2[c];
            m /= count;
            double var = fmax(q / count - m * m, 0.0);
            float rstd = (float)(1.0 / sqrt(var + NN_GN_EPS)), mu = (float)m;
            stats[((size_t)i * G + g) * 2] = mu;
            stats[((size_t)i * G + g) * 2 + 1] = rstd;
            /* y = (x - mu) * rstd * gamma + beta as one multiply-add per element */
            for (int c = g * cg; c < (g + 1) * cg; c++) {
                a[c] = rstd * gamma[c];
                b[c] = beta[c] - mu * a[c];
            }
        }
        channel_affine(hw, C, xi, a, b, y + (size_t)i * hw * C);
    }
}

void nn_groupnorm_backward(const NnGroupNorm* gn, const float* params, float* grads, int n,
                           int hw, const float* x, const float* stats, const float* dy, float* dx) {
    int C = gn->c, G = gn->groups, cg = C / G;
    const float* gamma = params + gn->gamma;
    float* dgamma = grads + gn->gamma;
    float* dbeta = grads + gn->beta;
    double s1[GN_MAX_C], s2[GN_MAX_C];
    float A[GN_MAX_C], Bc[GN_MAX_C], Cc[GN_MAX_C];
    double count = (double)hw * cg;
    for (int i = 0; i < n; i++) {
        const float* xi = x + (size_t)i * hw * C;
        const float* dyi = dy + (size_t)i * hw * C;
        /* s1 = sum dy, s2 = sum dy * x per channel */
        channel_sums(hw, C, dyi, xi, s1, s2);
        for (int g = 0; g < G; g++) {
            double mu = stats[((size_t)i * G + g) * 2], rstd = stats[((size_t)i * G + g) * 2 + 1];
            /* sum over the group of dxhat = dy * gamma, and of dxhat * xhat */
            double m1 = 0, m2 = 0;
            for (int c = g * cg; c < (g + 1) * cg; c++) {
                double dyxhat = rstd * (s2[c] - mu * s1[c]);
                dgamma[c] += (float)dyxhat;
                dbeta[c] += (float)s1[c];
                m1 += gamma[c] * s1[c];
                m2 += gamma[c] * dyxhat;
            }
            m1 /= count;
            m2 /= count;
            /* dx = rstd * (dy * gamma - m1 - xhat * m2) = A dy + B x + C per channel */
            for (int c = g * cg; c < (g + 1) * cg; c++) {
                A[c] = (float)(rstd * gamma[c]);
                Bc[c] = (float)(-rstd * rstd * m2);
                Cc[c] = (float)(-rstd * m1 + rstd * rstd * m2 * mu);
            }
        }
        if (!dx) continue;
        float* dxi = dx + (size_t)i * hw * C;
        for (int p = 0; p < hw; p++) {
            const float* xr = xi + (size_t)p * C;
            const float* dr = dyi + (size_t)p * C;
            float* o = dxi + (size_t)p * C;
            for (int c = 0; c < C; c++) o[c] = A[c] * dr[c] + Bc[c] * xr[c] + Cc[c];
        }
    }
}
