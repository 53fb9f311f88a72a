/* jepa_probe: the probe's rows and fit over a dataset (jepa_probe.h) */
#include "model/jepa_probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "base/workers.h"
#include "model/jepa_cellprobe.h"
#include "model/nn.h"

void jepa_probe_rows_free(JepaProbeRows* r) {
    free(r->x);
    free(r->y);
    free(r->mask);
    free(r->ep);
    memset(r, 0, sizeof *r);
}

/* a worker of jepa_probe_rows_of: every jobs-th episode from first + k, its n_ep windows into the
   episode's own rows ((e - first) n_ep on), encoded in batches of ROWS_BATCH windows of one episode
   with its own scratch: a window's row is the same bytes whichever worker encodes it */
enum { ROWS_BATCH = 32 };
typedef struct RowsWork {
    const JepaModel* m;
    const JepaData*  j;
    JepaProbeSource  src;
    int              first, count, n_ep, stride, jobs, k;
    JepaProbeRows*   out;
} RowsWork;

static void* rows_worker(void* arg) {
    const RowsWork* w = arg;
    const JepaModel* m = w->m;
    const JepaArch* a = jepa_arch(m);
    JepaProbeRows* out = w->out;
    int K = out->K, F = out->F, C = a->context, S = a->frame_step;
    bool pixels = w->src == JEPA_ROWS_PIXELS, oracle = w->src == JEPA_ROWS_ORACLE;
    JepaScratch* s = pixels || oracle ? NULL : jepa_scratch_create(m);   /* neither the pixels nor the heat needs the encoder */
    const uint8_t* win[ROWS_BATCH * 8];
    for (int e = w->first + w->k; e < w->first + w->count; e += w->jobs) {
        for (int i = 0; i < w->n_ep; i += ROWS_BATCH) {
            int b = w->n_ep - i < ROWS_BATCH ? w->n_ep - i : ROWS_BATCH;
            size_t n = (size_t)(e - w->first) * w->n_ep + i;
            for (int q = 0; q < b; q++) {
                int t = (C - 1) * S + (i + q) * w->stride;
                out->ep[n + q] = e;
                for (int f = 0; f < C; f++) win[q * C + f] = jepa_data_frame(w->j, e, t - (C - 1 - f) * S);
                jepa_data_targets(w->j, e, t, out->y + (n + q) * K * JEPA_PROBE_OUTPUTS, out->mask + (n + q) * K);
            }
            if (pixels)
                for (int q = 0; q < b; q++) jepa_cellprobe_pixel_grid(m, win[q * C + C - 1], out->x + (n + q) * F);
            else if (oracle)
                for (int q = 0; q < b; q++)
                    jepa_cellprobe_oracle_grid(m, out->y + (n + q) * K * JEPA_PROBE_OUTPUTS, out->mask + (n + q) * K,
                                               K, out->x + (n + q) * F);
            else
                jepa_encode(m, s, b, win, true, out->x + n * F);
        }
    }
    jepa_scratch_free(s);
    return NULL;
}

/* the rows of jepa_probe_rows, or (JEPA_ROWS_PIXELS) each window's last frame's own pixels in cells
   (jepa_cellprobe_pixel_grid) instead of its encoding, or (JEPA_ROWS_ORACLE) its bodies' exact heat,
   the episodes shared by jobs workers */
void jepa_probe_rows_jobs(const JepaModel* m, const JepaData* j, int first, int count, int max_rows,
                          JepaProbeSource src, int jobs, JepaProbeRows* out) {
    bool pixels = src == JEPA_ROWS_PIXELS, oracle = src == JEPA_ROWS_ORACLE;
    const JepaArch* a = jepa_arch(m);
    int T = j->d->ticks, K = j->d->slots, C = a->context, S = a->frame_step;
    int F = pixels ? jepa_cellprobe_pixel_size(m) : oracle ? jepa_cellprobe_oracle_size(m) : jepa_latent_size(m);
    if (first + count > j->d->episodes) count = j->d->episodes - first;
    memset(out, 0, sizeof *out);
    out->F = F, out->K = K;
    int per = T - (C - 1) * S;
    if (count <= 0 || per <= 0 || max_rows < 1) return;
    /* every stride-th window of each episode; one window of each at least (more episodes than
       max_rows: one row each, more than asked) */
    int stride = 1;
    while (stride < per && (int64_t)count * ((per + stride - 1) / stride) > max_rows) stride++;
    int n_ep = (per + stride - 1) / stride;
    int N = count * n_ep;
    out->x = alloc_array((size_t)N, sizeof(float) * (size_t)F);
    out->y = alloc_array((size_t)N * K, sizeof(float) * JEPA_PROBE_OUTPUTS);
    out->mask = alloc_array((size_t)N, (size_t)K);
    out->ep = alloc_array((size_t)N, sizeof(int));
    jobs = workers_count(jobs, count);
    RowsWork w[WORKERS_MAX];
    for (int k = 0; k < jobs; k++) w[k] = (RowsWork){m, j, src, first, count, n_ep, stride, jobs, k, out};
    workers_run(jobs, rows_worker, w, sizeof w[0]);
    out->N = N;
}

static _Atomic int probe_jobs = JEPA_PROBE_JOBS;

void jepa_probe_set_jobs(int jobs) {
    probe_jobs = workers_count(jobs, WORKERS_MAX);
}

int jepa_probe_jobs(void) {
    return nn_threads() > 1 ? 1 : probe_jobs;
}

void jepa_probe_rows_of(const JepaModel* m, const JepaData* j, int first, int count, int max_rows,
                        JepaProbeSource src, JepaProbeRows* out) {
    jepa_probe_rows_jobs(m, j, first, count, max_rows, src, jepa_probe_jobs(), out);
}

void jepa_probe_rows(const JepaModel* m, const JepaData* j, int first, int count, int max_rows,
                     JepaProbeRows* out) {
    jepa_probe_rows_of(m, j, first, count, max_rows, JEPA_ROWS_LATENT, out);
}

void jepa_probe_apply(const JepaModel* m, const Probe* p, int B, const float* z, float* y) {
    if (jepa_probe_width(m) == jepa_latent_size(m)) {
        probe_apply(p, B, z, y);
        return;
    }
    float* x = alloc_array((size_t)B * jepa_probe_width(m), sizeof(float));
    jepa_probe_features(m, B, z, x);
    probe_apply(p, B, x, y);
    free(x);
}

bool jepa_probe_fit(const JepaModel* m, const JepaData* j, int first, int count, int max_rows, Probe* p,
                    char* err, size_t err_size) {
    return jepa_probe_fit_ridge(m, j, first, count, max_rows, 0, p, NULL, err, err_size);
}

bool jepa_probe_fit_ridge(const JepaModel* m, const JepaData* j, int first, int count, int max_rows,
                          double ridge, Probe* p, double* held_err, char* err, size_t err_size) {
    JepaProbeRows r;
    jepa_probe_rows(m, j, first, count, max_rows, &r);
    static const double ridges[] = JEPA_PROBE_RIDGES;
    int nr = (int)(sizeof ridges / sizeof ridges[0]);
    if (held_err)
        for (int i = 0; i < nr; i++) held_err[i] = NAN;
    uint8_t* held = NULL;
    double ridges_given[1] = {JEPA_PROBE_RIDGE_FEW};
    if (ridge > 0) {
        ridges_given[0] = ridge;
    } else if (count >= JEPA_PROBE_HOLD && r.N >= 2) {
        held = alloc_array((size_t)r.N, 1);
        for (int n = 0; n < r.N; n++) held[n] = (r.ep[n] - first) % JEPA_PROBE_HOLD == JEPA_PROBE_HOLD - 1;
    }
    /* the slot probe reads the convolutions' channels (the rows hold the whole latent for the cell
       probe): compacted in place */
    jepa_probe_features(m, r.N, r.x, r.x);
    int F = jepa_probe_width(m);
    if (F > JEPA_PROBE_DUAL_F) {
        free(held);
        bool dual = r.N >= 2 && probe_fit_gram(p, r.N, F, r.K, JEPA_PROBE_OUTPUTS, r.x, r.y, r.mask,
                                               ridge > 0 ? ridge : JEPA_PROBE_RIDGE_FEW, JEPA_PROBE_MIN_ROWS);
        if (held_err)
            for (int i = 0; i < nr; i++) held_err[i] = NAN;
        if (!dual) report_set(err, err_size, "%d windows are too few to fit the probe", r.N);
        jepa_probe_rows_free(&r);
        return dual;
    }
    bool ok = r.N >= 2 && probe_fit_select_jobs(p, r.N, jepa_probe_width(m), r.K, JEPA_PROBE_OUTPUTS, r.x, r.y, r.mask,
                                                held, held ? ridges : ridges_given, held ? nr : 1, JEPA_PROBE_MIN_ROWS,
                                                held ? held_err : NULL, jepa_probe_jobs());
    free(held);
    if (!ok) report_set(err, err_size, "%d windows are too few to fit the probe", r.N);
    jepa_probe_rows_free(&r);
    return ok;
}
