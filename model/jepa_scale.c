/* jepa_scale: the expected error of the pixel model's prediction (jepa_scale.h) */
#include "model/jepa_scale.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/report.h"
#include "base/text_nums.h"
#include "base/workers.h"
#include "model/nn.h"

void jepa_scale_features(int lh, int lw, int C, const float* z, const float* p, float* x) {
    int F = 1 + 4 * C;
    for (int cy = 0; cy < lh; cy++)
        for (int cx = 0; cx < lw; cx++) {
            size_t i = (size_t)cy * lw + cx;
            float* r = x + i * F;
            r[0] = 1;
            float* own = r + 1;
            float* nb = r + 1 + C;
            float* pc = r + 1 + 2 * C;
            float* mx = r + 1 + 3 * C;
            for (int c = 0; c < C; c++) {
                own[c] = fabsf(p[i * C + c] - z[i * C + c]);
                pc[c] = p[i * C + c];
                nb[c] = 0, mx[c] = 0;
            }
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int y = cy + dy, xx = cx + dx;
                    if (y < 0 || xx < 0 || y >= lh || xx >= lw) continue;
                    size_t q = ((size_t)y * lw + xx) * C;
                    for (int c = 0; c < C; c++) {
                        float d = fabsf(p[q + c] - z[q + c]);
                        nb[c] += d / 9;
                        if (d > mx[c]) mx[c] = d;
                    }
                }
        }
}

void jepa_scale_free(JepaScale* s) {
    free(s->w);
    free(s->floor);
    free(s->mean);
    memset(s, 0, sizeof *s);
}

#define SCALE_BATCH 16

/* calls fn on every batch of windows ending at records (context - 1) S, + stride, ... (each with S
   records after it) of j's episodes: z, p and o [b, L] (see jepa_scale_fit), episode by episode in
   order; false when there are none. The episodes are encoded jobs at a time, a worker thread each
   with its own scratch (in the same batches of SCALE_BATCH windows of one episode, so the same
   bytes), and fn reads them in order on the calling thread: the same sums for any jobs */
typedef void (*WindowFn)(void* ctx, int b, const float* z, const float* p, const float* o);

typedef struct ScaleWork {
    const JepaModel* m;
    const JepaData*  j;
    int              stride, per, e;   /* e: the episode to encode (< 0: none this round) */
    JepaScratch*     sc;
    float*           z, *p, *o;        /* [per, L] each */
} ScaleWork;

static void* scale_worker(void* arg) {
    ScaleWork* w = arg;
    if (w->e < 0) return NULL;
    const JepaArch* a = jepa_arch(w->m);
    int S = a->frame_step, t0 = (a->context - 1) * S, L = jepa_latent_size(w->m);
    enum { BATCH = SCALE_BATCH };
    const uint8_t* win[BATCH * 8];
    const uint8_t* nxt[BATCH * 8];
    JepaPush push[BATCH * JEPA_MAX_PUSHES];
    int npush[BATCH];
    for (int i = 0; i < w->per; i += BATCH) {
        int b = w->per - i < BATCH ? w->per - i : BATCH;
        for (int q = 0; q < b; q++) {
            int t = t0 + (i + q) * w->stride;
            for (int f = 0; f < a->context; f++) {
                win[q * a->context + f] = jepa_data_frame(w->j, w->e, t - (a->context - 1 - f) * S);
                nxt[q * a->context + f] = jepa_data_frame(w->j, w->e, t + S - (a->context - 1 - f) * S);
            }
            npush[q] = jepa_data_pushes_span(w->j, w->e, t, S, push + (size_t)q * JEPA_MAX_PUSHES);
        }
        size_t at = (size_t)i * L;
        jepa_encode(w->m, w->sc, b, win, false, w->z + at);
        jepa_predict(w->m, w->sc, b, w->z + at, push, npush, w->p + at);
        jepa_encode(w->m, w->sc, b, nxt, true, w->o + at);
    }
    return NULL;
}

static bool scale_windows(const JepaModel* m, const JepaData* j, int stride, int jobs, WindowFn fn, void* ctx,
                          char* err, size_t err_size) {
    const JepaArch* a = jepa_arch(m);
    const WmDataset* d = j->d;
    int S = a->frame_step, t0 = (a->context - 1) * S, T = d->ticks, L = jepa_latent_size(m);
    if (stride < 1) stride = 1;
    int per = T - S > t0 ? (T - S - t0 + stride - 1) / stride : 0;
    if (per <= 0 || d->episodes < 1) {
        report_set(err, err_size, "no window with %d records after it in %d-record episodes", S, T);
        return false;
    }
    jobs = workers_count(jobs, d->episodes);
    ScaleWork w[WORKERS_MAX];
    for (int k = 0; k < jobs; k++) {
        w[k] = (ScaleWork){m, j, stride, per, -1, jepa_scratch_create(m), NULL, NULL, NULL};
        w[k].z = alloc_array((size_t)per * L, sizeof(float));
        w[k].p = alloc_array((size_t)per * L, sizeof(float));
        w[k].o = alloc_array((size_t)per * L, sizeof(float));
    }
    for (int e0 = 0; e0 < d->episodes; e0 += jobs) {
        for (int k = 0; k < jobs; k++) w[k].e = e0 + k < d->episodes ? e0 + k : -1;
        workers_run(jobs, scale_worker, w, sizeof w[0]);
        for (int k = 0; k < jobs && w[k].e >= 0; k++)
            for (int i = 0; i < per; i += SCALE_BATCH) {
                size_t at = (size_t)i * L;
                fn(ctx, per - i < SCALE_BATCH ? per - i : SCALE_BATCH, w[k].z + at, w[k].p + at, w[k].o + at);
            }
    }
    for (int k = 0; k < jobs; k++) {
        jepa_scratch_free(w[k].sc);
        free(w[k].z), free(w[k].p), free(w[k].o);
    }
    return true;
}

void jepa_scale_sums_init(JepaScaleSums* u, int C) {
    memset(u, 0, sizeof *u);
    u->C = C, u->F = 1 + 4 * C;
    u->A = alloc_zeroed((size_t)u->F * u->F, sizeof *u->A);
    u->B = alloc_zeroed((size_t)u->F * C, sizeof *u->B);
    u->sum = alloc_zeroed((size_t)C, sizeof *u->sum);
}

void jepa_scale_sums_free(JepaScaleSums* u) {
    free(u->A), free(u->B), free(u->sum), free(u->x);
    memset(u, 0, sizeof *u);
}

void jepa_scale_sums_add(JepaScaleSums* u, int rows, const float* x, const double* r) {
    int F = u->F, C = u->C;
    if (rows > u->cap) {
        free(u->x);
        u->x = alloc_array((size_t)rows * F, sizeof *u->x);
        u->cap = rows;
    }
    for (size_t k = 0; k < (size_t)rows * F; k++) u->x[k] = x[k];
    for (size_t k = 0; k < (size_t)rows; k++)
        for (int c = 0; c < C; c++) u->sum[c] += r[k * C + c];
    /* A += X^T X, B += X^T R */
    nn_dgemm(true, false, F, F, rows, 1.0, u->x, u->x, 1.0, u->A);
    nn_dgemm(true, false, F, C, rows, 1.0, u->x, r, 1.0, u->B);
    u->n += rows;
}

bool jepa_scale_solve(JepaScale* s, const JepaScaleSums* u, char* err, size_t err_size) {
    memset(s, 0, sizeof *s);
    int C = u->C, F = u->F;
    if (u->n < 1) {
        report_set(err, err_size, "no rows to fit the scale on");
        return false;
    }
    double* A = alloc_array((size_t)F * F, sizeof *A);
    memcpy(A, u->A, sizeof *A * (size_t)F * F);
    /* the ridge, on every weight but the bias: relative to the features' mean square */
    double tr = 0;
    for (int f = 1; f < F; f++) tr += A[(size_t)f * F + f];
    double lam = JEPA_SCALE_RIDGE * tr / (F - 1);
    for (int f = 1; f < F; f++) A[(size_t)f * F + f] += lam;
    /* the right-hand sides contiguous: B^T [C, F] */
    double* rhs = alloc_array((size_t)C * F, sizeof *rhs);
    for (int f = 0; f < F; f++)
        for (int c = 0; c < C; c++) rhs[(size_t)c * F + f] = u->B[(size_t)f * C + c];
    bool ok = nn_cholesky_solve(F, A, C, rhs);
    if (ok) {
        s->C = C, s->F = F, s->rows = u->n;
        s->w = alloc_array((size_t)F * C, sizeof *s->w);
        s->mean = alloc_array((size_t)C, sizeof *s->mean);
        s->floor = alloc_array((size_t)C, sizeof *s->floor);
        for (int f = 0; f < F; f++)
            for (int c = 0; c < C; c++) s->w[(size_t)f * C + c] = rhs[(size_t)c * F + f];
        for (int c = 0; c < C; c++)
            s->mean[c] = u->sum[c] / (double)u->n, s->floor[c] = fmax(JEPA_SCALE_FLOOR * s->mean[c], 1e-12);
    } else {
        report_set(err, err_size, "the scale's normal equations are not positive definite");
    }
    free(A);
    free(rhs);
    return ok;
}

typedef struct FitCtx {
    int           lh, lw, L;
    float*        x;   /* [rows, F] */
    double*       r;   /* [rows, C] */
    JepaScaleSums u;
} FitCtx;

static void fit_batch(void* ctx, int b, const float* z, const float* p, const float* o) {
    FitCtx* c = ctx;
    int cells = c->lh * c->lw, F = c->u.F, C = c->u.C;
    for (int q = 0; q < b; q++)
        jepa_scale_features(c->lh, c->lw, C, z + (size_t)q * c->L, p + (size_t)q * c->L, c->x + (size_t)q * cells * F);
    size_t nr = (size_t)b * cells;
    for (size_t k = 0; k < nr * C; k++) c->r[k] = fabsf(o[k] - p[k]);
    jepa_scale_sums_add(&c->u, (int)nr, c->x, c->r);
}

bool jepa_scale_fit(JepaScale* s, const JepaModel* m, const JepaData* j, int stride, int jobs, char* err,
                    size_t err_size) {
    memset(s, 0, sizeof *s);
    FitCtx c = {0};
    int C;
    jepa_latent_shape(m, &c.lh, &c.lw, &C);
    c.L = jepa_latent_size(m);
    jepa_scale_sums_init(&c.u, C);
    size_t rows = (size_t)SCALE_BATCH * c.lh * c.lw;
    c.x = alloc_array(rows * c.u.F, sizeof *c.x);
    c.r = alloc_array(rows * C, sizeof *c.r);
    bool ok = scale_windows(m, j, stride, jobs, fit_batch, &c, err, err_size) && jepa_scale_solve(s, &c.u, err, err_size);
    free(c.x), free(c.r);
    jepa_scale_sums_free(&c.u);
    return ok;
}

typedef struct ScoreCtx {
    const JepaScale* s;
    int              lh, lw, L;
    float*           work, *b;
    double           nll[2], err[2];   /* the fitted scale's, the constant's (each channel's mean) */
    int64_t          n;
} ScoreCtx;

static void score_batch(void* ctx, int bn, const float* z, const float* p, const float* o) {
    ScoreCtx* c = ctx;
    int C = c->s->C;
    for (int q = 0; q < bn; q++) {
        const float* pq = p + (size_t)q * c->L;
        const float* oq = o + (size_t)q * c->L;
        jepa_scale_apply(c->s, c->lh, c->lw, z + (size_t)q * c->L, pq, c->work, c->b);
        for (int i = 0; i < c->L; i++) {
            double r = fabsf(oq[i] - pq[i]), b = c->b[i], k = c->s->mean[i % C];
            c->nll[0] += r / b + log(2 * b), c->nll[1] += r / k + log(2 * k);
            c->err[0] += fabs(r - b), c->err[1] += fabs(r - k);
        }
        c->n += c->L;
    }
}

bool jepa_scale_score(const JepaScale* s, const JepaModel* m, const JepaData* j, int stride, int jobs, double nll[2],
                      double err_abs[2], char* err, size_t err_size) {
    ScoreCtx c = {.s = s};
    int C;
    jepa_latent_shape(m, &c.lh, &c.lw, &C);
    c.L = jepa_latent_size(m);
    c.work = alloc_array((size_t)c.lh * c.lw * s->F, sizeof *c.work);
    c.b = alloc_array((size_t)c.L, sizeof *c.b);
    bool ok = scale_windows(m, j, stride, jobs, score_batch, &c, err, err_size);
    for (int k = 0; k < 2; k++) nll[k] = c.n ? c.nll[k] / c.n : NAN, err_abs[k] = c.n ? c.err[k] / c.n : NAN;
    free(c.work);
    free(c.b);
    return ok;
}

void jepa_scale_apply(const JepaScale* s, int lh, int lw, const float* z, const float* p, float* work, float* b) {
    int C = s->C, F = s->F, cells = lh * lw;
    jepa_scale_features(lh, lw, C, z, p, work);
    for (int i = 0; i < cells; i++) {
        const float* x = work + (size_t)i * F;
        for (int c = 0; c < C; c++) {
            double v = 0;
            for (int f = 0; f < F; f++) v += x[f] * s->w[(size_t)f * C + c];
            b[(size_t)i * C + c] = (float)fmax(v, s->floor[c]);
        }
    }
}

double jepa_scale_surprise(int n, const float* p, const float* observed, const float* b) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += fabsf(observed[i] - p[i]) / b[i] + log(b[i]);
    return n ? sum / n : 0;
}

#define SCALE_MAGIC "nudge-jepa-scale 1"

bool jepa_scale_save(const JepaScale* s, const char* path, char* err, size_t err_size) {
    AtomicFile af;
    if (!atomic_file_open(&af, path, err, err_size)) return false;
    char line[128];
    int n = snprintf(line, sizeof line, SCALE_MAGIC "\n%d %d %lld\n", s->C, s->F, (long long)s->rows);
    atomic_file_write(&af, line, (size_t)n);
    for (size_t k = 0; k < (size_t)s->F * s->C; k++) {
        n = snprintf(line, sizeof line, "%.17g\n", s->w[k]);
        atomic_file_write(&af, line, (size_t)n);
    }
    for (int c = 0; c < s->C; c++) {
        n = snprintf(line, sizeof line, "%.17g %.17g\n", s->floor[c], s->mean[c]);
        atomic_file_write(&af, line, (size_t)n);
    }
    return atomic_file_commit(&af, err, err_size);
}

bool jepa_scale_load(JepaScale* s, const char* path, char* err, size_t err_size) {
    memset(s, 0, sizeof *s);
    TextNums t;
    if (!text_nums_open(&t, path, TEXT_NUMS_MAX, err, err_size)) return false;
    if (!text_nums_magic(&t, SCALE_MAGIC)) {
        report_set(err, err_size, "%s: expected a scale (nudge scale), got another file", path);
        text_nums_close(&t);
        return false;
    }
    double c, f, rows;
    bool ok = text_nums_next(&t, &c) && text_nums_next(&t, &f) && text_nums_next(&t, &rows) && c >= 1 && c <= 1024 &&
              c == floor(c) && f == 1 + 4 * c && rows >= 1;
    if (!ok) {
        report_set(err, err_size, "%s: a bad header (expected C of 1-1024, F = 1 + 4C and the rows fitted on)", path);
        text_nums_close(&t);
        return false;
    }
    s->C = (int)c, s->F = (int)f, s->rows = (int64_t)rows;
    s->w = alloc_array((size_t)s->F * s->C, sizeof *s->w);
    s->floor = alloc_array((size_t)s->C, sizeof *s->floor);
    s->mean = alloc_array((size_t)s->C, sizeof *s->mean);
    for (size_t k = 0; k < (size_t)s->F * s->C && ok; k++) ok = text_nums_next(&t, &s->w[k]);
    for (int k = 0; k < s->C && ok; k++)
        ok = text_nums_next(&t, &s->floor[k]) && s->floor[k] > 0 && text_nums_next(&t, &s->mean[k]);
    ok = ok && text_nums_end(&t);   /* nothing after the numbers */
    text_nums_close(&t);
    if (!ok) {
        report_set(err, err_size, "%s: truncated or malformed (expected %d numbers after the header)", path,
                   s->F * s->C + 2 * s->C);
        jepa_scale_free(s);
        return false;
    }
    return true;
}
