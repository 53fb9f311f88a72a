/* normalizer: running mean and standard deviation of feature columns */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "model/wm_impl.h"

void wm_norm_init(WmNorm* n, int dim, bool centered, float min_std) {
    memset(n, 0, sizeof *n);
    n->dim = dim;
    n->centered = centered;
    n->min_std = min_std;
    n->mean = alloc_zeroed((size_t)dim, sizeof(double));
    n->m2 = alloc_zeroed((size_t)dim, sizeof(double));
    n->fmean = alloc_zeroed((size_t)dim, sizeof(float));
    n->fstd = alloc_zeroed((size_t)dim, sizeof(float));
    n->lo = alloc_array((size_t)dim, sizeof(float));
    n->hi = alloc_array((size_t)dim, sizeof(float));
    for (int j = 0; j < dim; j++) {
        n->lo[j] = INFINITY;
        n->hi[j] = -INFINITY;
    }
    wm_norm_refresh(n);
}

void wm_norm_free(WmNorm* n) {
    free(n->mean);
    free(n->m2);
    free(n->fmean);
    free(n->fstd);
    free(n->lo);
    free(n->hi);
    memset(n, 0, sizeof *n);
}

void wm_norm_copy(WmNorm* dst, const WmNorm* src) {
    dst->count = src->count;
    memcpy(dst->mean, src->mean, sizeof(double) * (size_t)src->dim);
    memcpy(dst->m2, src->m2, sizeof(double) * (size_t)src->dim);
    memcpy(dst->fmean, src->fmean, sizeof(float) * (size_t)src->dim);
    memcpy(dst->fstd, src->fstd, sizeof(float) * (size_t)src->dim);
    memcpy(dst->lo, src->lo, sizeof(float) * (size_t)src->dim);
    memcpy(dst->hi, src->hi, sizeof(float) * (size_t)src->dim);
}

void wm_norm_refresh(WmNorm* n) {
    for (int j = 0; j < n->dim; j++) {
        if (n->count < 2) {
            n->fmean[j] = 0.0f;
            n->fstd[j] = 1.0f;
            continue;
        }
        /* centred: (x - mean) / std; scale only: x / root mean square */
        double var = n->m2[j] / n->count;
        double sd = sqrt(n->centered ? var : var + n->mean[j] * n->mean[j]);
        n->fmean[j] = n->centered ? (float)n->mean[j] : 0.0f;
        n->fstd[j] = (float)(sd > n->min_std ? sd : n->min_std);
    }
}

void wm_norm_update(WmNorm* n, int rows, const float* x) {
    if (rows <= 0 || n->count >= WM_NORM_MAX_COUNT) return;
    for (int j = 0; j < n->dim; j++) {
        /* the batch's own mean and m2, then Chan's merge */
        double bm = 0, bm2 = 0;
        float lo = n->lo[j], hi = n->hi[j];
        for (int i = 0; i < rows; i++) {
            float v = x[(size_t)i * n->dim + j];
            bm += v;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        n->lo[j] = lo;
        n->hi[j] = hi;
        bm /= rows;
        for (int i = 0; i < rows; i++) {
            double d = x[(size_t)i * n->dim + j] - bm;
            bm2 += d * d;
        }
        double na = n->count, nb = rows, nt = na + nb;
        double delta = bm - n->mean[j];
        n->mean[j] += delta * nb / nt;
        n->m2[j] += bm2 + delta * delta * na * nb / nt;
    }
    n->count += rows;
    wm_norm_refresh(n);
}
