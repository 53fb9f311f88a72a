/* jepa_fate: the fate probe on the pixel latent (jepa_fate.h) */
#include "model/jepa_fate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/report.h"
#include "base/text_nums.h"
#include "model/jepa_probe.h"
#include "model/replay.h"
#include "sim/observation.h"

void jepa_fate_features(int cells, int C, const float* z, float* x) {
    float* mean = x;
    float* hi = x + C;
    float* lo = x + 2 * C;
    for (int c = 0; c < C; c++) mean[c] = 0, hi[c] = -INFINITY, lo[c] = INFINITY;
    for (int i = 0; i < cells; i++) {
        const float* v = z + (size_t)i * C;
        for (int c = 0; c < C; c++) {
            mean[c] += v[c];
            hi[c] = fmaxf(hi[c], v[c]);
            lo[c] = fminf(lo[c], v[c]);
        }
    }
    for (int c = 0; c < C; c++) mean[c] /= (float)cells;
}

void jepa_fate_cell_features(int lh, int lw, int C, const float* z, float* x) {
    for (int i = 0; i < lh; i++)
        for (int j = 0; j < lw; j++) {
            float* o = x + ((size_t)i * lw + j) * 2 * C;
            memcpy(o, z + ((size_t)i * lw + j) * C, sizeof(float) * (size_t)C);
            float* nb = o + C;
            for (int c = 0; c < C; c++) nb[c] = 0;
            for (int di = -1; di <= 1; di++)
                for (int dj = -1; dj <= 1; dj++) {
                    int a = i + di, b = j + dj;
                    if ((!di && !dj) || a < 0 || b < 0 || a >= lh || b >= lw) continue;
                    const float* v = z + ((size_t)a * lw + b) * C;
                    for (int c = 0; c < C; c++) nb[c] += v[c];
                }
            for (int c = 0; c < C; c++) nb[c] /= 8.0f;
        }
}

void jepa_fate_rows_free(JepaFateRows* r) {
    free(r->z);
    free(r->y);
    free(r->ok);
    free(r->cy);
    free(r->ep);
    memset(r, 0, sizeof *r);
}

/* marks the cell under slot k's centre at record t of episode e (its position at `at`) in cy[cells * 2]
   for head h */
static void mark_cell(const JepaData* j, int e, int k, int at, int lh, int lw, uint8_t* cy, int h) {
    const float* row = wm_dataset_states(j->d, e, at) + (size_t)k * j->d->dim;
    float u, v;
    jepa_data_to_px(j, e, row[SIM_OBS_x], row[SIM_OBS_y], &u, &v);
    int cx = (int)floorf(u * lw / j->frame_w), cyy = (int)floorf(v * lh / j->frame_h);
    if (cx < 0 || cyy < 0 || cx >= lw || cyy >= lh) return;
    cy[((size_t)cyy * lw + cx) * 2 + h] = 1;
}

void jepa_fate_rows(const JepaModel* m, const JepaData* j, int first, int count, int stride, JepaFateRows* out) {
    jepa_fate_rows_of(m, j, first, count, stride, false, out);
}

void jepa_fate_rows_of(const JepaModel* m, const JepaData* j, int first, int count, int stride, bool online,
                       JepaFateRows* out) {
    const JepaArch* a = jepa_arch(m);
    const WmDataset* d = j->d;
    int T = d->ticks, K = d->slots, S = a->frame_step, t0 = (a->context - 1) * S, H = JEPA_FATE_HORIZON;
    memset(out, 0, sizeof *out);
    jepa_latent_shape(m, &out->lh, &out->lw, &out->C);
    int L = jepa_latent_size(m), cells = out->lh * out->lw;
    out->L = L;
    if (first + count > d->episodes) count = d->episodes - first;
    if (stride < 1) stride = 1;
    int per = T > t0 ? (T - t0 + stride - 1) / stride : 0;
    if (count <= 0 || per <= 0) return;
    int N = count * per;
    out->z = alloc_array((size_t)N, sizeof(float) * (size_t)L);
    out->y = alloc_zeroed((size_t)N * JEPA_FATE_HEADS, 1);
    out->ok = alloc_zeroed((size_t)N * JEPA_FATE_HEADS, 1);
    out->cy = alloc_zeroed((size_t)N * cells * JEPA_FATE_HEADS, 1);
    out->ep = alloc_array((size_t)N, sizeof(int));
    enum { BATCH = 32 };
    const uint8_t* win[BATCH * 8];
    JepaScratch* s = jepa_scratch_create(m);
    int n = 0;
    for (int e = first; e < first + count; e++) {
        for (int i = 0; i < per; i += BATCH) {
            int b = per - i < BATCH ? per - i : BATCH;
            for (int q = 0; q < b; q++) {
                int t = t0 + (i + q) * stride, r = n + q;
                for (int f = 0; f < a->context; f++) win[q * a->context + f] = jepa_data_frame(j, e, t - (a->context - 1 - f) * S);
                out->ep[r] = e;
                uint8_t* cy = out->cy + (size_t)r * cells * 2;
                bool ahead = false, seen = false;
                for (int k = 0; k < K; k++) {
                    for (int u = t + 1; u <= t + H && u < T; u++)
                        if (d->bits[wm_dataset_index(d, e, u) + (size_t)k] & WM_BIT_BREAK) {
                            ahead = true;
                            /* where the body is now (live), else just before it broke */
                            int at = d->mask[wm_dataset_index(d, e, t) + (size_t)k] ? t : u - 1;
                            mark_cell(j, e, k, at, out->lh, out->lw, cy, JEPA_FATE_AHEAD);
                        }
                    for (int u = t - H + 1 > 1 ? t - H + 1 : 1; u <= t; u++)
                        if (d->bits[wm_dataset_index(d, e, u) + (size_t)k] & WM_BIT_BREAK) {
                            seen = true;
                            mark_cell(j, e, k, u - 1, out->lh, out->lw, cy, JEPA_FATE_SEEN);
                        }
                }
                out->y[r * 2 + JEPA_FATE_AHEAD] = ahead;
                out->ok[r * 2 + JEPA_FATE_AHEAD] = ahead || t + H < T;   /* a break ahead, or the whole horizon seen */
                out->y[r * 2 + JEPA_FATE_SEEN] = seen;
                out->ok[r * 2 + JEPA_FATE_SEEN] = 1;
            }
            jepa_encode(m, s, b, win, !online, out->z + (size_t)n * L);
            n += b;
        }
    }
    out->N = n;
    jepa_scratch_free(s);
}

void jepa_fate_free(JepaFate* f) {
    free(f->mu);
    free(f->sd);
    for (int h = 0; h < JEPA_FATE_HEADS; h++) free(f->w[h]);
    memset(f, 0, sizeof *f);
}

static double sigmoid(double z) { return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)); }

/* -log sigmoid(z) and -log(1 - sigmoid(z)) without overflow */
static double nll_pos(double z) { return z > 0 ? log1p(exp(-z)) : -z + log1p(exp(z)); }
static double nll_neg(double z) { return nll_pos(-z); }

static double logit(int F, const double* w, const float* x) {
    double s = w[F];
    for (int i = 0; i < F; i++) s += w[i] * x[i];
    return s;
}

/* the objective: the mean log loss over the used rows plus ridge / 2 |w|^2 (not the bias) */
static double objective(int n, int F, const float* x, const uint8_t* y, const uint8_t* use, int ys, double ridge,
                        const double* w, double* loss_only) {
    double l = 0;
    int64_t m = 0;
    for (int i = 0; i < n; i++) {
        if (use && !use[i]) continue;
        double z = logit(F, w, x + (size_t)i * F);
        l += y[(size_t)i * ys] ? nll_pos(z) : nll_neg(z);
        m++;
    }
    l = m ? l / (double)m : 0;
    if (loss_only) *loss_only = l;
    double r = 0;
    for (int i = 0; i < F; i++) r += w[i] * w[i];
    return l + 0.5 * ridge * r;
}

/* solves A x = b (A symmetric positive definite, n x n, overwritten by its Cholesky factor); false
   when it is not */
static bool cholesky_solve(int n, double* A, double* b) {
    for (int j = 0; j < n; j++) {
        double d = A[(size_t)j * n + j];
        for (int k = 0; k < j; k++) d -= A[(size_t)j * n + k] * A[(size_t)j * n + k];
        if (!(d > 0)) return false;
        d = sqrt(d);
        A[(size_t)j * n + j] = d;
        for (int i = j + 1; i < n; i++) {
            double s = A[(size_t)i * n + j];
            for (int k = 0; k < j; k++) s -= A[(size_t)i * n + k] * A[(size_t)j * n + k];
            A[(size_t)i * n + j] = s / d;
        }
    }
    for (int i = 0; i < n; i++) {
        double s = b[i];
        for (int k = 0; k < i; k++) s -= A[(size_t)i * n + k] * b[k];
        b[i] = s / A[(size_t)i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = b[i];
        for (int k = i + 1; k < n; k++) s -= A[(size_t)k * n + i] * b[k];
        b[i] = s / A[(size_t)i * n + i];
    }
    return true;
}

double jepa_fate_logistic(int n, int F, const float* x, const uint8_t* y, const uint8_t* use, int ystride,
                          double ridge, double* w) {
    int P = F + 1;
    memset(w, 0, sizeof *w * (size_t)P);
    double* g = alloc_array((size_t)P, sizeof *g);
    double* Hm = alloc_array((size_t)P * P, sizeof *Hm);
    double* xi = alloc_array((size_t)P, sizeof *xi);
    double* step = alloc_array((size_t)P, sizeof *step);
    double* trial = alloc_array((size_t)P, sizeof *trial);
    int64_t m = 0;
    for (int i = 0; i < n; i++) m += !use || use[i];
    double obj = objective(n, F, x, y, use, ystride, ridge, w, NULL);
    for (int it = 0; it < 50 && m > 0; it++) {
        memset(g, 0, sizeof *g * (size_t)P);
        memset(Hm, 0, sizeof *Hm * (size_t)P * P);
        for (int i = 0; i < n; i++) {
            if (use && !use[i]) continue;
            const float* r = x + (size_t)i * F;
            for (int k = 0; k < F; k++) xi[k] = r[k];
            xi[F] = 1;
            double p = sigmoid(logit(F, w, r)), e = p - (y[(size_t)i * ystride] ? 1 : 0), v = p * (1 - p);
            for (int a = 0; a < P; a++) {
                g[a] += e * xi[a];
                double va = v * xi[a];
                for (int b = 0; b <= a; b++) Hm[(size_t)a * P + b] += va * xi[b];
            }
        }
        for (int a = 0; a < P; a++) {
            g[a] /= (double)m;
            for (int b = 0; b <= a; b++) Hm[(size_t)a * P + b] /= (double)m;
            if (a < F) g[a] += ridge * w[a], Hm[(size_t)a * P + a] += ridge;
            Hm[(size_t)a * P + a] += 1e-9;
            for (int b = 0; b < a; b++) Hm[(size_t)b * P + a] = Hm[(size_t)a * P + b];
        }
        memcpy(step, g, sizeof *g * (size_t)P);
        if (!cholesky_solve(P, Hm, step)) break;
        /* a damped Newton step: halved until the objective does not rise */
        double t = 1, next = obj;
        for (int h = 0; h < 30; h++, t *= 0.5) {
            for (int a = 0; a < P; a++) trial[a] = w[a] - t * step[a];
            next = objective(n, F, x, y, use, ystride, ridge, trial, NULL);
            if (next <= obj) break;
        }
        if (!(next <= obj)) break;
        memcpy(w, trial, sizeof *w * (size_t)P);
        bool done = obj - next < 1e-10 * (1 + fabs(obj));
        obj = next;
        if (done) break;
    }
    double loss;
    objective(n, F, x, y, use, ystride, ridge, w, &loss);
    free(g);
    free(Hm);
    free(xi);
    free(step);
    free(trial);
    return loss;
}

/* a fixed pseudo-random draw of 1 in JEPA_FATE_CELL_SAMPLE (window n, cell c) */
static bool cell_sampled(int n, int c) {
    uint64_t h = (uint64_t)n * 0x9E3779B97F4A7C15ull ^ ((uint64_t)c + 1) * 0xC2B2AE3D27D4EB4Full;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    return h % JEPA_FATE_CELL_SAMPLE == 0;
}

bool jepa_fate_fit(JepaFate* f, int kind, const JepaFateRows* r, char* err, size_t err_size) {
    memset(f, 0, sizeof *f);
    int C = r->C, cells = r->lh * r->lw;
    int F = kind == JEPA_FATE_CELLS ? 2 * C : 3 * C;
    if (r->N < 2) {
        report_set(err, err_size, "%d windows: too few to fit the fate probe", r->N);
        return false;
    }
    /* the fitting rows: a window each (pooled), or its positive and its sampled cells */
    int64_t M = 0;
    for (int n = 0; n < r->N; n++) {
        if (kind != JEPA_FATE_CELLS) {
            M++;
            continue;
        }
        for (int c = 0; c < cells; c++) {
            const uint8_t* cy = r->cy + ((size_t)n * cells + c) * 2;
            M += cy[0] || cy[1] || cell_sampled(n, c);
        }
    }
    if (M * F > 0x7fffffff) {
        report_set(err, err_size, "%d windows: too many to fit the fate probe (a larger --stride)", r->N);
        return false;
    }
    float* x = alloc_array((size_t)M * F, sizeof *x);
    uint8_t* y = alloc_zeroed((size_t)M * 2, 1);
    uint8_t* use = alloc_zeroed((size_t)M * 2, 1);
    int* ep = alloc_array((size_t)M + 1, sizeof *ep);
    float* cf = kind == JEPA_FATE_CELLS ? alloc_array((size_t)cells * F, sizeof *cf) : NULL;
    int64_t m = 0;
    for (int n = 0; n < r->N; n++) {
        const float* z = r->z + (size_t)n * r->L;
        if (kind != JEPA_FATE_CELLS) {
            jepa_fate_features(cells, C, z, x + (size_t)m * F);
            for (int h = 0; h < 2; h++) y[m * 2 + h] = r->y[n * 2 + h], use[m * 2 + h] = r->ok[n * 2 + h];
            ep[m++] = r->ep[n];
            continue;
        }
        jepa_fate_cell_features(r->lh, r->lw, C, z, cf);
        for (int c = 0; c < cells; c++) {
            const uint8_t* cy = r->cy + ((size_t)n * cells + c) * 2;
            bool smp = cell_sampled(n, c);
            if (!(cy[0] || cy[1] || smp)) continue;
            memcpy(x + (size_t)m * F, cf + (size_t)c * F, sizeof *x * (size_t)F);
            for (int h = 0; h < 2; h++) y[m * 2 + h] = cy[h], use[m * 2 + h] = r->ok[n * 2 + h] && (cy[h] || smp);
            ep[m++] = r->ep[n];
        }
    }
    free(cf);
    bool ok = true;
    for (int h = 0; h < JEPA_FATE_HEADS && ok; h++) {
        int64_t pos = 0, neg = 0;
        for (int64_t i = 0; i < M; i++)
            if (use[i * 2 + h]) pos += y[i * 2 + h], neg += !y[i * 2 + h];
        if (!pos || !neg) {
            report_set(err, err_size, "%d windows, %lld rows with a break %s: the fate probe needs rows with and without one",
                       r->N, (long long)pos, h == JEPA_FATE_AHEAD ? "ahead" : "seen");
            ok = false;
        }
    }
    if (!ok) {
        free(x);
        free(y);
        free(use);
        free(ep);
        return false;
    }
    f->kind = kind, f->C = C, f->F = F;
    f->mu = alloc_zeroed((size_t)F, sizeof *f->mu);
    f->sd = alloc_zeroed((size_t)F, sizeof *f->sd);
    for (int k = 0; k < F; k++) {
        double s = 0, s2 = 0;
        for (int64_t i = 0; i < M; i++) s += x[(size_t)i * F + k];
        s /= (double)M;
        for (int64_t i = 0; i < M; i++) {
            double d = x[(size_t)i * F + k] - s;
            s2 += d * d;
        }
        double sd = sqrt(s2 / (double)M);
        f->mu[k] = (float)s;
        f->sd[k] = sd > 1e-12 ? (float)sd : 1.0f;
    }
    for (int64_t i = 0; i < M; i++)
        for (int k = 0; k < F; k++) x[(size_t)i * F + k] = (x[(size_t)i * F + k] - f->mu[k]) / f->sd[k];
    /* the ridge: the held-out log loss on every JEPA_PROBE_HOLD-th episode, fitted on the others */
    static const double ridges[] = JEPA_FATE_RIDGES;
    int nr = (int)(sizeof ridges / sizeof ridges[0]);
    uint8_t* fit = alloc_zeroed((size_t)M, 1);
    uint8_t* held = alloc_zeroed((size_t)M, 1);
    double* w = alloc_array((size_t)F + 1, sizeof *w);
    int e0 = ep[0];
    for (int h = 0; h < JEPA_FATE_HEADS; h++) {
        int64_t hp = 0, fp = 0;
        for (int64_t i = 0; i < M; i++) {
            bool ho = (ep[i] - e0) % JEPA_PROBE_HOLD == JEPA_PROBE_HOLD - 1;
            held[i] = use[i * 2 + h] && ho;
            fit[i] = use[i * 2 + h] && !ho;
            hp += held[i] && y[i * 2 + h];
            fp += fit[i] && y[i * 2 + h];
        }
        double best = INFINITY, chosen = ridges[nr / 2];
        if (hp > 0 && fp > 0) {
            for (int q = 0; q < nr; q++) {
                jepa_fate_logistic((int)M, F, x, y + h, fit, 2, ridges[q], w);
                double l = 0;
                int64_t cnt = 0;
                for (int64_t i = 0; i < M; i++) {
                    if (!held[i]) continue;
                    double z = logit(F, w, x + (size_t)i * F);
                    l += y[i * 2 + h] ? nll_pos(z) : nll_neg(z);
                    cnt++;
                }
                l /= (double)cnt;
                if (l < best) best = l, chosen = ridges[q];
            }
        }
        for (int64_t i = 0; i < M; i++) fit[i] = use[i * 2 + h];
        f->w[h] = alloc_array((size_t)F + 1, sizeof *f->w[h]);
        jepa_fate_logistic((int)M, F, x, y + h, fit, 2, chosen, f->w[h]);
        /* the negatives were 1 in JEPA_FATE_CELL_SAMPLE: the odds of the whole grid's cells are that
           much lower */
        if (kind == JEPA_FATE_CELLS) f->w[h][F] -= log((double)JEPA_FATE_CELL_SAMPLE);
        f->ridge[h] = chosen;
    }
    free(w);
    free(fit);
    free(held);
    free(x);
    free(y);
    free(use);
    free(ep);
    return true;
}

bool jepa_fate_from_model(JepaFate* f, const JepaModel* m) {
    memset(f, 0, sizeof *f);
    const float* w = NULL;
    int F = jepa_event_heads(m, &w);
    if (!F) return false;
    int lh, lw, C;
    jepa_latent_shape(m, &lh, &lw, &C);
    f->kind = JEPA_FATE_POOLED, f->C = C, f->F = F, f->online = 1;
    f->mu = alloc_zeroed((size_t)F, sizeof *f->mu);
    f->sd = alloc_array((size_t)F, sizeof *f->sd);
    for (int k = 0; k < F; k++) f->sd[k] = 1.0f;
    for (int h = 0; h < JEPA_FATE_HEADS; h++) {
        f->w[h] = alloc_array((size_t)F + 1, sizeof *f->w[h]);
        for (int k = 0; k <= F; k++) f->w[h][k] = w[(size_t)h * (F + 1) + k];
    }
    return true;
}

void jepa_fate_apply(const JepaFate* f, const float* x, double* p) {
    for (int h = 0; h < JEPA_FATE_HEADS; h++) {
        const double* w = f->w[h];
        double s = w[f->F];
        for (int k = 0; k < f->F; k++) s += w[k] * ((x[k] - f->mu[k]) / f->sd[k]);
        p[h] = sigmoid(s);
    }
}

size_t jepa_fate_work(const JepaFate* f, int lh, int lw) {
    return f->kind == JEPA_FATE_CELLS ? (size_t)lh * lw * f->F : (size_t)f->F;
}

void jepa_fate_read(const JepaFate* f, int lh, int lw, const float* z, float* work, double* p) {
    if (f->kind != JEPA_FATE_CELLS) {
        jepa_fate_features(lh * lw, f->C, z, work);
        jepa_fate_apply(f, work, p);
        return;
    }
    jepa_fate_cell_features(lh, lw, f->C, z, work);
    p[0] = p[1] = 0;
    for (int c = 0; c < lh * lw; c++) {
        double q[JEPA_FATE_HEADS];
        jepa_fate_apply(f, work + (size_t)c * f->F, q);
        for (int h = 0; h < JEPA_FATE_HEADS; h++) p[h] = fmax(p[h], q[h]);
    }
}

double jepa_fate_nll(double p, double q) {
    p = fmin(fmax(p, JEPA_FATE_EPS), 1 - JEPA_FATE_EPS);
    q = fmin(fmax(q, 0), 1);
    return -(q * log(p) + (1 - q) * log1p(-p));
}

#define FATE_MAGIC "nudge-jepa-fate 1"

bool jepa_fate_save(const JepaFate* f, const char* path, char* err, size_t err_size) {
    AtomicFile af;
    if (!atomic_file_open(&af, path, err, err_size)) return false;
    char line[256];
    int n = snprintf(line, sizeof line, FATE_MAGIC "\n%d %d\n%.17g %.17g\n", f->C, f->F, f->ridge[0], f->ridge[1]);
    atomic_file_write(&af, line, (size_t)n);
    for (int k = 0; k < f->F; k++) {
        n = snprintf(line, sizeof line, "%.9g %.9g\n", (double)f->mu[k], (double)f->sd[k]);
        atomic_file_write(&af, line, (size_t)n);
    }
    for (int h = 0; h < JEPA_FATE_HEADS; h++)
        for (int k = 0; k <= f->F; k++) {
            n = snprintf(line, sizeof line, "%.17g\n", f->w[h][k]);
            atomic_file_write(&af, line, (size_t)n);
        }
    return atomic_file_commit(&af, err, err_size);
}

bool jepa_fate_load(JepaFate* f, const char* path, char* err, size_t err_size) {
    memset(f, 0, sizeof *f);
    TextNums t;
    if (!text_nums_open(&t, path, TEXT_NUMS_MAX, err, err_size)) return false;
    if (!text_nums_magic(&t, FATE_MAGIC)) {
        report_set(err, err_size, "%s: expected a fate probe (nudge fate), got another file", path);
        text_nums_close(&t);
        return false;
    }
    double c, nf, r0, r1;
    bool ok = text_nums_next(&t, &c) && text_nums_next(&t, &nf) && text_nums_next(&t, &r0) && text_nums_next(&t, &r1) &&
              c >= 1 && c <= 100000 && c == floor(c) && (nf == 3 * c || nf == 2 * c) && r0 > 0 && r1 > 0;
    if (!ok) {
        report_set(err, err_size, "%s: a bad header (expected C, F = 3C or 2C and two ridges)", path);
        text_nums_close(&t);
        return false;
    }
    f->C = (int)c, f->F = (int)nf, f->ridge[0] = r0, f->ridge[1] = r1;
    f->kind = f->F == 2 * f->C ? JEPA_FATE_CELLS : JEPA_FATE_POOLED;
    f->mu = alloc_zeroed((size_t)f->F, sizeof *f->mu);
    f->sd = alloc_zeroed((size_t)f->F, sizeof *f->sd);
    for (int k = 0; k < f->F && ok; k++) {
        double a = 0, b = 0;
        ok = text_nums_next(&t, &a) && text_nums_next(&t, &b) && b > 0;
        f->mu[k] = (float)a, f->sd[k] = (float)b;
    }
    for (int h = 0; h < JEPA_FATE_HEADS && ok; h++) {
        f->w[h] = alloc_array((size_t)f->F + 1, sizeof *f->w[h]);
        for (int k = 0; k <= f->F && ok; k++) ok = text_nums_next(&t, &f->w[h][k]);
    }
    ok = ok && text_nums_end(&t);   /* nothing after the numbers */
    text_nums_close(&t);
    if (!ok) {
        report_set(err, err_size, "%s: truncated or malformed (expected %d numbers after the header)", path,
                   2 * f->F + 2 * (f->F + 1));
        jepa_fate_free(f);
        return false;
    }
    return true;
}
