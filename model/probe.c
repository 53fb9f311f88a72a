/* probe: ridge regression per slot from frozen latents (probe.h) */
#include "model/probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "base/workers.h"
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

/* each column's mean of x (N x F), summed in double */
static void column_means(const float* x, int N, int F, float* mean) {
    for (int j = 0; j < F; j++) {
        double m = 0;
        for (int n = 0; n < N; n++) m += x[(size_t)n * F + j];
        mean[j] = (float)(m / N);
    }
}

/* the rows of xc (N x F) listed in idx, gathered into out (n x F) */
static void gather_rows(const float* xc, int F, const int* idx, int n, float* out) {
    for (int i = 0; i < n; i++) memcpy(out + (size_t)i * F, xc + (size_t)idx[i] * F, sizeof(float) * F);
}

/* one slot's sums over a set of rows idx[n] of the centred features: the Gram matrix g (F x F),
   the column sums s[F], and X^T y (xty[F x O]) and sum y (sy[O]) of the slot's targets */
typedef struct SlotSums {
    float*  g;
    double* s;
    float*  xty;
    double* sy;
    double  n;
} SlotSums;

static void slot_sums(const float* xc, const float* y, int F, int K, int O, int k, const int* idx, int n,
                      float* rowbuf, float* ycol, SlotSums* out) {
    out->n = n;
    gather_rows(xc, F, idx, n, rowbuf);
    for (int i = 0; i < n; i++)
        for (int o = 0; o < O; o++) ycol[(size_t)i * O + o] = y[((size_t)idx[i] * K + k) * O + o];
    if (n > 0) {
        nn_gemm(true, false, F, F, n, 1.0f, rowbuf, rowbuf, 0.0f, out->g);
        nn_gemm(true, false, F, O, n, 1.0f, rowbuf, ycol, 0.0f, out->xty);
    } else {
        memset(out->g, 0, sizeof(float) * (size_t)F * F);
        memset(out->xty, 0, sizeof(float) * (size_t)F * O);
    }
    for (int j = 0; j < F; j++) {
        double t = 0;
        for (int i = 0; i < n; i++) t += rowbuf[(size_t)i * F + j];
        out->s[j] = t;
    }
    for (int o = 0; o < O; o++) {
        double t = 0;
        for (int i = 0; i < n; i++) t += ycol[(size_t)i * O + o];
        out->sy[o] = t;
    }
}

/* solves [G + lambda I, s; s^T, n] [w; b] = [X^T y; sum y] for the sums a (plus sign times extra's,
   when given); w[O * F], bias[O]. false when the system is not positive definite */
static bool slot_solve(int F, int O, const SlotSums* a, const SlotSums* extra, double sign, double lambda,
                       double* sys, double* rhs, float* w, float* bias) {
    int A = F + 1;   /* the features and the intercept */
    for (int i = 0; i < F; i++) {
        for (int j = 0; j < F; j++) {
            double v = a->g[(size_t)i * F + j];
            if (extra) v += sign * extra->g[(size_t)i * F + j];
            sys[(size_t)i * A + j] = v;
        }
        sys[(size_t)i * A + i] += lambda;
    }
    for (int j = 0; j < F; j++) {
        double v = a->s[j] + (extra ? sign * extra->s[j] : 0);
        sys[(size_t)j * A + F] = sys[(size_t)F * A + j] = v;
    }
    sys[(size_t)F * A + F] = a->n + (extra ? sign * extra->n : 0);
    for (int o = 0; o < O; o++) {
        for (int j = 0; j < F; j++)
            rhs[(size_t)o * A + j] = a->xty[(size_t)j * O + o] + (extra ? sign * extra->xty[(size_t)j * O + o] : 0);
        rhs[(size_t)o * A + F] = a->sy[o] + (extra ? sign * extra->sy[o] : 0);
    }
    if (!nn_cholesky_solve(A, sys, O, rhs)) return false;
    for (int o = 0; o < O; o++) {
        for (int j = 0; j < F; j++) w[(size_t)o * F + j] = (float)rhs[(size_t)o * A + j];
        bias[o] = (float)rhs[(size_t)o * A + F];
    }
    return true;
}

bool probe_fit(Probe* p, int N, int F, int K, int O, const float* x, const float* y,
               const uint8_t* mask, double ridge, int min_rows) {
    return probe_fit_select(p, N, F, K, O, x, y, mask, NULL, &ridge, 1, min_rows, NULL);
}

bool probe_fit_select(Probe* p, int N, int F, int K, int O, const float* x, const float* y,
                      const uint8_t* mask, const uint8_t* held, const double* ridges, int nridges, int min_rows,
                      double* held_err) {
    return probe_fit_select_jobs(p, N, F, K, O, x, y, mask, held, ridges, nridges, min_rows, held_err, 1);
}

/* the fit shared by the workers: the centred rows, the problem, and per slot what the selection
   needs (each slot's fate per ridge and its held-out squared errors in row order, so that the
   sums over slots are made afterwards in the order one thread makes them) */
typedef struct SelectJob {
    Probe*         p;
    int            N, F, K, O, min_rows, nridges, jobs;
    const float*   xc;
    const float*   y;
    const uint8_t* mask;
    const uint8_t* held;
    const double*  ridges;
    double         unit;
    bool           select;
    uint8_t*       usable;   /* [K] */
    int*           no;       /* [K] held-out rows per slot */
    uint8_t*       failed;   /* [K, nridges] */
    double**       d2;       /* [K] -> [nridges, no[k] * O]: held-out squared errors */
} SelectJob;

/* one worker's buffers */
typedef struct SelectWork {
    SelectJob* job;
    int        k0;           /* its slots: k0, k0 + jobs, ... */
    int        phase;        /* 0: the fits on the kept rows, every ridge scored; 1: the chosen ridge on every row */
} SelectWork;

static void* select_worker(void* arg) {
    SelectWork* wk = arg;
    SelectJob* J = wk->job;
    Probe* p = J->p;
    int N = J->N, F = J->F, K = J->K, O = J->O, A = F + 1;
    SlotSums fit = {0}, out = {0};
    fit.g = alloc_array((size_t)F * F, sizeof(float));
    fit.s = alloc_array((size_t)F, sizeof(double));
    fit.xty = alloc_array((size_t)F * O, sizeof(float));
    fit.sy = alloc_array((size_t)O, sizeof(double));
    if (J->select && wk->phase == 0) {
        out.g = alloc_array((size_t)F * F, sizeof(float));
        out.s = alloc_array((size_t)F, sizeof(double));
        out.xty = alloc_array((size_t)F * O, sizeof(float));
        out.sy = alloc_array((size_t)O, sizeof(double));
    }
    double* sys = alloc_array((size_t)A * A, sizeof(double));
    double* rhs = alloc_array((size_t)O * A, sizeof(double));
    float* rowbuf = alloc_array((size_t)N * F, sizeof(float));
    float* ycol = alloc_array((size_t)N * O, sizeof(float));
    float* pred = alloc_array((size_t)N * O, sizeof(float));
    int* in_rows = alloc_array((size_t)N, sizeof(int));
    int* out_rows = alloc_array((size_t)N, sizeof(int));
    /* a slot's weights for one ridge while selecting */
    float* wsel = alloc_array((size_t)O * F, sizeof(float));
    float* bsel = alloc_array((size_t)O, sizeof(float));
    for (int k = wk->k0; k < K; k += J->jobs) {
        if (wk->phase == 1) {
            /* the chosen ridge on every row */
            if (!J->usable[k]) continue;
            int n = 0;
            for (int q = 0; q < N; q++)
                if (J->mask[(size_t)q * K + k]) in_rows[n++] = q;
            slot_sums(J->xc, J->y, F, K, O, k, in_rows, n, rowbuf, ycol, &fit);
            if (slot_solve(F, O, &fit, NULL, 0, p->ridge * J->unit, sys, rhs, p->w + (size_t)k * O * F,
                           p->b + (size_t)k * O))
                p->fitted[k] = 1;
            continue;
        }
        int ni = 0, no = 0;
        for (int n = 0; n < N; n++) {
            if (!J->mask[(size_t)n * K + k]) continue;
            if (J->select && J->held[n]) out_rows[no++] = n;
            else in_rows[ni++] = n;
        }
        p->rows[k] = ni + no;
        if (ni + no < J->min_rows || ni + no < 2) continue;
        J->usable[k] = 1;
        slot_sums(J->xc, J->y, F, K, O, k, in_rows, ni, rowbuf, ycol, &fit);
        if (!J->select) {
            /* one ridge: this is the fit */
            if (slot_solve(F, O, &fit, NULL, 0, J->ridges[0] * J->unit, sys, rhs, p->w + (size_t)k * O * F,
                           p->b + (size_t)k * O))
                p->fitted[k] = 1;
            continue;
        }
        if (no == 0 || ni < 2) continue;
        slot_sums(J->xc, J->y, F, K, O, k, out_rows, no, rowbuf, ycol, &out);
        /* every ridge fitted on the kept rows, scored on the held-out ones (rowbuf and ycol still
           hold them) */
        J->no[k] = no;
        J->d2[k] = alloc_array((size_t)J->nridges * no * O, sizeof(double));
        for (int r = 0; r < J->nridges; r++) {
            if (!slot_solve(F, O, &fit, NULL, 0, J->ridges[r] * J->unit, sys, rhs, wsel, bsel)) {
                J->failed[(size_t)k * J->nridges + r] = 1;
                continue;
            }
            for (int i = 0; i < no; i++) memcpy(pred + (size_t)i * O, bsel, sizeof(float) * O);
            nn_gemm(false, true, no, O, F, 1.0f, rowbuf, wsel, 1.0f, pred);
            double* d2 = J->d2[k] + (size_t)r * no * O;
            for (size_t i = 0; i < (size_t)no * O; i++) {
                double d = pred[i] - ycol[i];
                d2[i] = d * d;
            }
        }
    }
    free(fit.g), free(fit.s), free(fit.xty), free(fit.sy);
    free(out.g), free(out.s), free(out.xty), free(out.sy);
    free(sys), free(rhs), free(rowbuf), free(ycol), free(pred), free(in_rows), free(out_rows), free(wsel), free(bsel);
    return NULL;
}

bool probe_fit_select_jobs(Probe* p, int N, int F, int K, int O, const float* x, const float* y,
                           const uint8_t* mask, const uint8_t* held, const double* ridges, int nridges, int min_rows,
                           double* held_err, int jobs) {
    if (N < 2 || F < 1 || K < 1 || O < 1 || nridges < 1) return false;
    probe_alloc(p, F, K, O);
    p->ridge = ridges[0];
    /* centre the features over every row; lambda is relative to the mean diagonal of their Gram */
    column_means(x, N, F, p->mean);
    float* xc = alloc_array((size_t)N * F, sizeof(float));
    double trace = 0;
    for (int n = 0; n < N; n++)
        for (int j = 0; j < F; j++) {
            float v = x[(size_t)n * F + j] - p->mean[j];
            xc[(size_t)n * F + j] = v;
            trace += (double)v * v;
        }
    jobs = workers_count(jobs, K);
    SelectJob J = {p, N, F, K, O, min_rows, nridges, jobs, xc, y, mask, held, ridges,
                   trace > 0 ? trace / F : 1.0, held && nridges > 1, alloc_zeroed((size_t)K, 1),
                   alloc_zeroed((size_t)K, sizeof(int)), alloc_zeroed((size_t)K * nridges, 1),
                   alloc_zeroed((size_t)K, sizeof(double*))};
    SelectWork w[WORKERS_MAX];
    for (int k = 0; k < jobs; k++) w[k] = (SelectWork){&J, k, 0};
    workers_run(jobs, select_worker, w, sizeof w[0]);
    if (J.select) {
        /* the sum of squared held-out errors per ridge, slot by slot in order (a failed solve makes
           its ridge's sum infinite from there on) */
        double* sse = alloc_zeroed((size_t)nridges, sizeof(double));
        int64_t held_rows = 0;
        for (int k = 0; k < K; k++) {
            if (!J.d2[k]) continue;
            held_rows += J.no[k];
            for (int r = 0; r < nridges; r++) {
                if (J.failed[(size_t)k * nridges + r]) {
                    sse[r] = INFINITY;
                    continue;
                }
                const double* d2 = J.d2[k] + (size_t)r * J.no[k] * O;
                for (size_t i = 0; i < (size_t)J.no[k] * O; i++) sse[r] += d2[i];
            }
        }
        int best = 0;
        for (int r = 1; r < nridges; r++)
            if (sse[r] < sse[best]) best = r;
        if (held_err)
            for (int r = 0; r < nridges; r++) held_err[r] = held_rows ? sse[r] / (double)held_rows : NAN;
        p->ridge = ridges[best];
        for (int k = 0; k < jobs; k++) w[k].phase = 1;
        workers_run(jobs, select_worker, w, sizeof w[0]);
        free(sse);
    } else if (held_err) {
        for (int r = 0; r < nridges; r++) held_err[r] = NAN;
    }
    for (int k = 0; k < K; k++) free(J.d2[k]);
    free(J.d2), free(J.failed), free(J.no), free(J.usable);
    free(xc);
    return true;
}

bool probe_fit_gram(Probe* p, int N, int F, int K, int O, const float* x, const float* y,
                    const uint8_t* mask, double ridge, int min_rows) {
    memset(p, 0, sizeof *p);
    if (N < 2 || F < 1 || K < 1 || O < 1) return false;
    probe_alloc(p, F, K, O);
    p->ridge = ridge;
    /* centre the features over every row; lambda is relative to the mean diagonal of their F x F
       Gram matrix, as probe_fit's */
    column_means(x, N, F, p->mean);
    double* xc = alloc_array((size_t)N * F, sizeof(double));
    double trace = 0;
    for (int n = 0; n < N; n++)
        for (int j = 0; j < F; j++) {
            double v = (double)x[(size_t)n * F + j] - p->mean[j];
            xc[(size_t)n * F + j] = v;
            trace += v * v;
        }
    double lambda = ridge * (trace > 0 ? trace / F : 1.0);
    /* the rows' N x N Gram matrix, once for every slot */
    double* gram = alloc_array((size_t)N * N, sizeof(double));
    nn_dgemm(false, true, N, N, F, 1.0, xc, xc, 0.0, gram);
    /* the groups: slots with enough rows, grouped by the rows that hold their body */
    int* group = alloc_array((size_t)K, sizeof(int));   /* the group's first slot; -1: not fitted */
    for (int k = 0; k < K; k++) {
        int live = 0;
        for (int n = 0; n < N; n++) live += mask[(size_t)n * K + k] != 0;
        p->rows[k] = live;
        group[k] = live < min_rows || live < 2 ? -1 : k;
        for (int q = 0; q < k && group[k] == k; q++) {
            if (group[q] != q) continue;
            int n = 0;
            while (n < N && !mask[(size_t)n * K + k] == !mask[(size_t)n * K + q]) n++;
            if (n == N) group[k] = q;
        }
    }
    int* idx = alloc_array((size_t)N, sizeof(int));
    int* members = alloc_array((size_t)K, sizeof(int));
    double* sys = alloc_array((size_t)N * N, sizeof(double));
    double* rowmean = alloc_array((size_t)N, sizeof(double));
    double* alpha = alloc_array((size_t)K * O * N, sizeof(double));
    double* ybar = alloc_array((size_t)K * O, sizeof(double));
    double* xs = alloc_array((size_t)N * F, sizeof(double));
    double* cbar = alloc_array((size_t)F, sizeof(double));
    double* wd = alloc_array((size_t)K * O * F, sizeof(double));
    for (int g = 0; g < K; g++) {
        if (group[g] != g) continue;
        int G = 0, S = 0;
        for (int k = g; k < K; k++)
            if (group[k] == g) members[G++] = k;
        for (int n = 0; n < N; n++)
            if (mask[(size_t)n * K + g]) idx[S++] = n;
        /* the intercept out: the Gram matrix of the rows centred on their own mean (double
           centring), plus lambda; the targets centred likewise */
        double all = 0;
        for (int i = 0; i < S; i++) {
            double r = 0;
            for (int j = 0; j < S; j++) r += gram[(size_t)idx[i] * N + idx[j]];
            rowmean[i] = r / S;
            all += r;
        }
        all /= (double)S * S;
        for (int i = 0; i < S; i++) {
            for (int j = 0; j < S; j++)
                sys[(size_t)i * S + j] = gram[(size_t)idx[i] * N + idx[j]] - rowmean[i] - rowmean[j] + all;
            sys[(size_t)i * S + i] += lambda;
        }
        int R = G * O;
        for (int r = 0; r < R; r++) {
            int k = members[r / O], o = r % O;
            double m = 0;
            for (int i = 0; i < S; i++) m += y[((size_t)idx[i] * K + k) * O + o];
            ybar[r] = m / S;
            for (int i = 0; i < S; i++) alpha[(size_t)r * S + i] = y[((size_t)idx[i] * K + k) * O + o] - ybar[r];
        }
        if (!nn_cholesky_solve(S, sys, R, alpha)) continue;
        /* w = sum_i alpha_i (x_i - their mean) = sum_i alpha_i xc_i, as the alphas sum to 0; the
           intercept puts the rows' mean target at their mean features */
        for (int i = 0; i < S; i++) memcpy(xs + (size_t)i * F, xc + (size_t)idx[i] * F, sizeof(double) * (size_t)F);
        nn_dgemm(false, false, R, F, S, 1.0, alpha, xs, 0.0, wd);
        for (int j = 0; j < F; j++) {
            double m = 0;
            for (int i = 0; i < S; i++) m += xs[(size_t)i * F + j];
            cbar[j] = m / S;
        }
        for (int r = 0; r < R; r++) {
            int k = members[r / O], o = r % O;
            const double* w = wd + (size_t)r * F;
            double dot = 0;
            for (int j = 0; j < F; j++) {
                p->w[((size_t)k * O + o) * F + j] = (float)w[j];
                dot += w[j] * cbar[j];
            }
            p->b[(size_t)k * O + o] = (float)(ybar[r] - dot);
        }
        for (int i = 0; i < G; i++) p->fitted[members[i]] = 1;
    }
    free(xc), free(gram), free(group), free(idx), free(members), free(sys), free(rowmean), free(alpha);
    free(ybar), free(xs), free(cbar), free(wd);
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
