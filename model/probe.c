/* probe: ridge regression per slot from frozen latents (probe.h) */
#include "model/probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "model/nn.h"

void probe_free(Probe* p) {
    free(p->mean);
    free(p->w);
    free(p->b);
    free(p->fitted);
    free(p->rows);
    memset(p, 0, sizeof *p);
}

static void probe_alloc(Probe* p, int F, int K, int O) {
    memset(p, 0, sizeof *p);
    p->F = F, p->K = K, p->O = O;
    p->mean = alloc_zeroed((size_t)F, sizeof(float));
    p->w = alloc_zeroed((size_t)K * O * F, sizeof(float));
    p->b = alloc_zeroed((size_t)K * O, sizeof(float));
    p->fitted = alloc_zeroed((size_t)K, 1);
    p->rows = alloc_zeroed((size_t)K, sizeof(int64_t));
}

/* the rows of xc (N x F) listed in idx, gathered into out (n x F) */
static void gather_rows(const float* xc, int F, const int* idx, int n, float* out) {
    for (int i = 0; i < n; i++) memcpy(out + (size_t)i * F, xc + (size_t)idx[i] * F, sizeof(float) * F);
}

bool probe_fit(Probe* p, int N, int F, int K, int O, const float* x, const float* y,
               const uint8_t* mask, double ridge, int min_rows) {
    if (N < 2 || F < 1 || K < 1 || O < 1) return false;
    probe_alloc(p, F, K, O);
    p->ridge = ridge;
    /* centre the features over every row */
    for (int j = 0; j < F; j++) {
        double m = 0;
        for (int n = 0; n < N; n++) m += x[(size_t)n * F + j];
        p->mean[j] = (float)(m / N);
    }
    float* xc = alloc_array((size_t)N * F, sizeof(float));
    for (int n = 0; n < N; n++)
        for (int j = 0; j < F; j++) xc[(size_t)n * F + j] = x[(size_t)n * F + j] - p->mean[j];
    /* the Gram matrix of every row, once; a slot's is it minus its empty rows', or its live rows'
       alone, whichever is fewer rows */
    float* gram = alloc_array((size_t)F * F, sizeof(float));
    nn_gemm(true, false, F, F, N, 1.0f, xc, xc, 0.0f, gram);
    double trace = 0;
    for (int j = 0; j < F; j++) trace += gram[(size_t)j * F + j];
    double lambda = ridge * (trace > 0 ? trace / F : 1.0);
    int A = F + 1;   /* the features and the intercept */
    double* sys = alloc_array((size_t)A * A, sizeof(double));
    double* rhs = alloc_array((size_t)O * A, sizeof(double));
    float* part = alloc_array((size_t)F * F, sizeof(float));
    float* rowbuf = NULL;
    int* live = alloc_array((size_t)N, sizeof(int));
    int* dead = alloc_array((size_t)N, sizeof(int));
    float* ycol = alloc_array((size_t)N * O, sizeof(float));
    float* xty = alloc_array((size_t)F * O, sizeof(float));
    for (int k = 0; k < K; k++) {
        int nl = 0, nd = 0;
        for (int n = 0; n < N; n++) {
            if (mask[(size_t)n * K + k]) live[nl++] = n;
            else dead[nd++] = n;
        }
        p->rows[k] = nl;
        if (nl < min_rows || nl < 2) continue;
        /* the slot's Gram matrix */
        bool from_live = nl <= nd;
        int nr = from_live ? nl : nd;
        const float* g = gram;
        if (nr > 0) {
            rowbuf = alloc_resize(rowbuf, (size_t)nr * F, sizeof(float));
            gather_rows(xc, F, from_live ? live : dead, nr, rowbuf);
            nn_gemm(true, false, F, F, nr, 1.0f, rowbuf, rowbuf, 0.0f, part);
            if (!from_live)
                for (size_t i = 0; i < (size_t)F * F; i++) part[i] = gram[i] - part[i];
            g = part;
        }
        /* [G + lambda I, s; s^T, n] [w; b] = [X^T y; sum y] over the live rows */
        for (int i = 0; i < F; i++) {
            for (int j = 0; j < F; j++) sys[(size_t)i * A + j] = g[(size_t)i * F + j];
            sys[(size_t)i * A + i] += lambda;
        }
        for (int j = 0; j < F; j++) {
            double s = 0;
            for (int q = 0; q < nl; q++) s += xc[(size_t)live[q] * F + j];
            sys[(size_t)j * A + F] = sys[(size_t)F * A + j] = s;
        }
        sys[(size_t)F * A + F] = nl;
        /* right-hand sides: targets of the live rows (zero elsewhere) */
        memset(ycol, 0, sizeof(float) * (size_t)N * O);
        for (int q = 0; q < nl; q++)
            for (int o = 0; o < O; o++) ycol[(size_t)live[q] * O + o] = y[((size_t)live[q] * K + k) * O + o];
        nn_gemm(true, false, F, O, N, 1.0f, xc, ycol, 0.0f, xty);
        for (int o = 0; o < O; o++) {
            double sy = 0;
            for (int q = 0; q < nl; q++) sy += ycol[(size_t)live[q] * O + o];
            for (int j = 0; j < F; j++) rhs[(size_t)o * A + j] = xty[(size_t)j * O + o];
            rhs[(size_t)o * A + F] = sy;
        }
        if (!nn_cholesky_solve(A, sys, O, rhs)) continue;
        for (int o = 0; o < O; o++) {
            float* w = p->w + ((size_t)k * O + o) * F;
            for (int j = 0; j < F; j++) w[j] = (float)rhs[(size_t)o * A + j];
            p->b[(size_t)k * O + o] = (float)rhs[(size_t)o * A + F];
        }
        p->fitted[k] = 1;
    }
    free(xc);
    free(gram);
    free(sys);
    free(rhs);
    free(part);
    free(rowbuf);
    free(live);
    free(dead);
    free(ycol);
    free(xty);
    return true;
}

void probe_apply(const Probe* p, int n, const float* x, float* y) {
    int F = p->F, KO = p->K * p->O;
    float* xc = alloc_array((size_t)n * F, sizeof(float));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < F; j++) xc[(size_t)i * F + j] = x[(size_t)i * F + j] - p->mean[j];
    /* y = xc W^T + b, every slot and output at once */
    for (int i = 0; i < n; i++) memcpy(y + (size_t)i * KO, p->b, sizeof(float) * KO);
    nn_gemm(false, true, n, KO, F, 1.0f, xc, p->w, 1.0f, y);
    for (int k = 0; k < p->K; k++) {
        if (p->fitted[k]) continue;
        for (int i = 0; i < n; i++)
            for (int o = 0; o < p->O; o++) y[((size_t)i * p->K + k) * p->O + o] = NAN;
    }
    free(xc);
}

void probe_write(const Probe* p, ModelBuf* b) {
    model_buf_i32(b, p->F);
    model_buf_i32(b, p->K);
    model_buf_i32(b, p->O);
    model_buf_put(b, &p->ridge, 8);
    model_buf_put(b, p->mean, sizeof(float) * (size_t)p->F);
    for (int k = 0; k < p->K; k++) {
        model_buf_put(b, &p->fitted[k], 1);
        model_buf_i64(b, p->rows[k]);
        model_buf_put(b, p->w + (size_t)k * p->O * p->F, sizeof(float) * (size_t)p->O * p->F);
        model_buf_put(b, p->b + (size_t)k * p->O, sizeof(float) * (size_t)p->O);
    }
}

bool probe_read(Probe* p, ModelRd* r, int F, char* err, size_t err_size) {
    memset(p, 0, sizeof *p);
    int32_t f = model_rd_i32(r), K = model_rd_i32(r), O = model_rd_i32(r);
    if (r->short_read || f != F || K < 1 || K > 4096 || O < 1 || O > 64 ||
        (size_t)K * O * F * 4 > r->n - r->at) {
        report_set(err, err_size, "a probe of %d features, %d slots, %d outputs does not fit this model", f, K, O);
        return false;
    }
    probe_alloc(p, F, K, O);
    model_rd_get(r, &p->ridge, 8);
    model_rd_get(r, p->mean, sizeof(float) * (size_t)F);
    for (int k = 0; k < K; k++) {
        model_rd_get(r, &p->fitted[k], 1);
        p->rows[k] = model_rd_i64(r);
        model_rd_get(r, p->w + (size_t)k * O * F, sizeof(float) * (size_t)O * F);
        model_rd_get(r, p->b + (size_t)k * O, sizeof(float) * (size_t)O);
    }
    if (r->short_read) {
        probe_free(p);
        report_set(err, err_size, "a probe that is cut short");
        return false;
    }
    return true;
}
