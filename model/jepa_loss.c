/* jepa_loss: VICReg's variance and covariance terms over batch-centred latent grids, and the
 * latent's statistics (jepa_loss.h) */
#include "model/jepa_loss.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "model/nn.h"

#define STD_EPS 1e-4

void jepa_reg_free(JepaRegScratch* s) {
    free(s->zc);
    free(s->cov);
    free(s->eig);
    memset(s, 0, sizeof *s);
}

double jepa_effective_rank(int C, double* cov, double* eig) {
    if (!nn_sym_eigvals(C, cov, eig)) return NAN;
    double sum = 0;
    for (int i = 0; i < C; i++) sum += eig[i] > 0 ? eig[i] : 0;
    if (!(sum > 0)) return 1.0;
    double h = 0;
    for (int i = 0; i < C; i++) {
        double p = (eig[i] > 0 ? eig[i] : 0) / sum;
        if (p > 0) h -= p * log(p);
    }
    return exp(h);
}

double jepa_reg(JepaRegScratch* s, int B, int cells, int C, const float* z, float gamma,
                float w_var, float w_cov, float* dz, JepaLatentStats* st) {
    size_t rows = (size_t)B * cells;
    if (rows * C > s->cap) {
        free(s->zc);
        s->zc = alloc_array(rows * C, sizeof(float));
        s->cap = rows * C;
    }
    if (!s->cov) {
        s->cov = alloc_array((size_t)C * C, sizeof(float));
        s->eig = alloc_array((size_t)C * C + C, sizeof(double));
    }
    /* centre every (cell, channel) over the batch */
    size_t plane = (size_t)cells * C;
    for (size_t i = 0; i < plane; i++) {
        double m = 0;
        for (int b = 0; b < B; b++) m += z[(size_t)b * plane + i];
        float mu = (float)(m / B);
        for (int b = 0; b < B; b++) s->zc[(size_t)b * plane + i] = z[(size_t)b * plane + i] - mu;
    }
    /* S = zc^T zc / (cells * (B - 1)) */
    double dof = (double)cells * (B - 1);
    nn_gemm(true, false, C, C, (int)rows, (float)(1.0 / dof), s->zc, s->zc, 0.0f, s->cov);
    double var_loss = 0, cov_loss = 0, std_sum = 0, std_min = INFINITY;
    float* coeff = alloc_array((size_t)C, sizeof(float));
    for (int c = 0; c < C; c++) {
        double sd = sqrt((double)s->cov[c * C + c] + STD_EPS);
        std_sum += sd;
        std_min = fmin(std_min, sd);
        var_loss += fmax(0.0, gamma - sd);
        /* d(variance)/d zc[r, c] = -[sd < gamma] / (C sd) * zc[r, c] / dof */
        coeff[c] = sd < gamma ? (float)(-w_var / (C * sd * dof)) : 0.0f;
        for (int d = 0; d < C; d++)
            if (d != c) cov_loss += (double)s->cov[c * C + d] * s->cov[c * C + d];
    }
    var_loss /= C;
    cov_loss /= C;
    if (st) {
        st->var_loss = var_loss;
        st->cov_loss = cov_loss;
        st->std_mean = std_sum / C;
        st->std_min = std_min;
        double* S = s->eig + C;
        for (int i = 0; i < C * C; i++) S[i] = s->cov[i];
        st->erank = jepa_effective_rank(C, S, s->eig);
    }
    if (dz) {
        /* d(covariance)/d zc = (4 / (C dof)) zc S_off: each off-diagonal entry appears twice */
        for (size_t r = 0; r < rows; r++) {
            const float* zr = s->zc + r * C;
            float* dr = dz + r * C;
            for (int c = 0; c < C; c++) dr[c] += coeff[c] * zr[c];
        }
        if (w_cov != 0) {
            for (int c = 0; c < C; c++) s->cov[c * C + c] = 0.0f;
            nn_gemm(false, false, (int)rows, C, C, (float)(4.0 * w_cov / (C * dof)), s->zc, s->cov, 1.0f, dz);
        }
    }
    free(coeff);
    return w_var * var_loss + w_cov * cov_loss;
}

double jepa_reg_space(int B, int cells, int C, int Cs, const float* z, float gamma, float w, float* dz) {
    if (w == 0 || cells < 2) return 0;
    double loss = 0;
    for (int b = 0; b < B; b++) {
        const float* zb = z + (size_t)b * cells * C;
        for (int c = 0; c < Cs; c++) {
            double m = 0, v = 0;
            for (int i = 0; i < cells; i++) m += zb[(size_t)i * C + c];
            m /= cells;
            for (int i = 0; i < cells; i++) {
                double e = zb[(size_t)i * C + c] - m;
                v += e * e;
            }
            v /= cells - 1;
            double sd = sqrt(v + STD_EPS);
            if (sd >= gamma) continue;
            loss += gamma - sd;
            if (!dz) continue;
            /* d(gamma - sd)/dz_i = -(z_i - m) / (sd (cells - 1)); the mean's part sums to zero */
            float k = (float)(-w / ((double)B * Cs * sd * (cells - 1)));
            float* db = dz + (size_t)b * cells * C;
            for (int i = 0; i < cells; i++) db[(size_t)i * C + c] += k * (float)(zb[(size_t)i * C + c] - m);
        }
    }
    return w * loss / ((double)B * Cs);
}
