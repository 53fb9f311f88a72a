/* jepa_energy: the pixel model's expected change over the next H ticks (jepa_energy.h) */
#include "model/jepa_energy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/report.h"
#include "base/rng.h"
#include "base/text_nums.h"
#include "base/workers.h"

#define ENERGY_MAGIC "nudge-jepa-energy 1"

JepaEnergyFit jepa_energy_fit_default(void) {
    return (JepaEnergyFit){.H = JEPA_ENERGY_HORIZON, .stride = 4, .epochs = 12, .batch = 32, .lr = 1e-3f, .seed = 1,
                           .jobs = 1};
}

void jepa_energy_change(int lh, int lw, int C, const float* a, const float* b, float* out) {
    for (int i = 0; i < lh * lw; i++) {
        double s = 0;
        for (int c = 0; c < C; c++) s += fabsf(a[(size_t)i * C + c] - b[(size_t)i * C + c]);
        out[i] = (float)(s / C);
    }
}

void jepa_energy_pool(int lh, int lw, const float* s, float* out) {
    for (int y = 0; y < lh; y++)
        for (int x = 0; x < lw; x++) {
            double t = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int yy = y + dy, xx = x + dx;
                    if (yy >= 0 && xx >= 0 && yy < lh && xx < lw) t += s[yy * lw + xx];
                }
            out[y * lw + x] = (float)(t / 9);
        }
}

static bool energy_build(JepaEnergy* en, int lh, int lw, int C, int H, int hidden, int layers) {
    memset(en, 0, sizeof *en);
    en->lh = lh, en->lw = lw, en->C = C, en->H = H, en->hidden = hidden, en->layers = layers;
    nn_convnet_begin(&en->net, lh, lw, C + JEPA_PUSH_CHANNELS);
    bool ok = true;
    for (int i = 0; ok && i < layers; i++) ok = nn_convnet_add(&en->net, &en->layout, hidden, 3, 1, 1, 4, NN_ACT_SILU);
    ok = ok && nn_convnet_add(&en->net, &en->layout, 1, 1, 1, 0, 0, NN_ACT_NONE);
    if (!ok) {
        nn_layout_free(&en->layout);
        memset(en, 0, sizeof *en);
        return false;
    }
    en->params = alloc_zeroed((size_t)en->layout.count, sizeof *en->params);
    return true;
}

void jepa_energy_free(JepaEnergy* en) {
    free(en->params);
    nn_layout_free(&en->layout);
    memset(en, 0, sizeof *en);
}

/* the head's input of one window: [latent | push map] per cell */
static void energy_input(const JepaModel* m, int cells, int C, const float* z, const JepaPush* p, int n, float* in,
                         float* map) {
    jepa_push_map(m, p, n, map);
    for (int i = 0; i < cells; i++) {
        memcpy(in + (size_t)i * (C + JEPA_PUSH_CHANNELS), z + (size_t)i * C, sizeof(float) * (size_t)C);
        memcpy(in + (size_t)i * (C + JEPA_PUSH_CHANNELS) + C, map + (size_t)i * JEPA_PUSH_CHANNELS,
               sizeof(float) * JEPA_PUSH_CHANNELS);
    }
}

/* the windows of j at stride: each one's input [cells * (C + 3)], observed energy [cells] and the
   energy of the H ticks before it ([cells], NaN where there are not H); returns how many */
typedef struct EnergySet {
    int64_t n;
    float*  x;      /* [n, cells * (C + 3)] */
    float*  y;      /* [n, cells] */
    float*  prev;   /* [n, cells] */
} EnergySet;

/* one episode's windows at stride into rows [row, row + its windows) of out; obs [T * L] and chg
   [T * cells] are scratch */
static void energy_episode(const JepaModel* m, const JepaData* j, int e, int H, int stride, JepaScratch* sc,
                           float* obs, float* chg, EnergySet* out, int64_t row) {
    const JepaArch* a = jepa_arch(m);
    int S = a->frame_step, t0 = (a->context - 1) * S, T = j->d->ticks, lh, lw, C;
    jepa_latent_shape(m, &lh, &lw, &C);
    int cells = lh * lw, L = cells * C, in_size = cells * (C + JEPA_PUSH_CHANNELS);
    enum { BATCH = 16 };
    const uint8_t* win[BATCH * 8];
    float* sum = alloc_array((size_t)cells, sizeof *sum);
    float* map = alloc_array((size_t)cells * JEPA_PUSH_CHANNELS, sizeof *map);
    JepaPush push[JEPA_MAX_PUSHES];
    for (int t = t0; t < T; t += BATCH) {
        int b = T - t < BATCH ? T - t : BATCH;
        for (int q = 0; q < b; q++)
            for (int f = 0; f < a->context; f++) win[q * a->context + f] = jepa_data_frame(j, e, t + q - (a->context - 1 - f) * S);
        jepa_encode(m, sc, b, win, true, obs + (size_t)t * L);
    }
    for (int t = t0 + 1; t < T; t++)
        jepa_energy_change(lh, lw, C, obs + (size_t)t * L, obs + (size_t)(t - 1) * L, chg + (size_t)t * cells);
    for (int t = t0; t + H < T; t += stride, row++) {
        float* y = out->y + (size_t)row * cells;
        float* prev = out->prev + (size_t)row * cells;
        int n = jepa_data_pushes_span(j, e, t, H, push);
        energy_input(m, cells, C, obs + (size_t)t * L, push, n, out->x + (size_t)row * in_size, map);
        memset(sum, 0, sizeof(float) * (size_t)cells);
        for (int k = t + 1; k <= t + H; k++)
            for (int i = 0; i < cells; i++) sum[i] += chg[(size_t)k * cells + i];
        jepa_energy_pool(lh, lw, sum, y);
        if (t - H >= t0) {
            memset(sum, 0, sizeof(float) * (size_t)cells);
            for (int k = t - H + 1; k <= t; k++)
                for (int i = 0; i < cells; i++) sum[i] += chg[(size_t)k * cells + i];
            jepa_energy_pool(lh, lw, sum, prev);
        } else {
            for (int i = 0; i < cells; i++) prev[i] = NAN;
        }
    }
    free(sum), free(map);
}

/* the episodes' windows: a worker thread each takes every jobs-th episode with its own scratch (each
   window's latent is the same whichever windows it is encoded with) and writes its windows into the
   episode's rows (every episode has the same number, nw, from row first): the same set for any jobs */
typedef struct EnergyWork {
    const JepaModel* m;
    const JepaData*  j;
    int              H, stride, jobs, k, nw;
    int64_t          first;
    EnergySet*       out;
} EnergyWork;

static void* energy_worker(void* arg) {
    EnergyWork* w = arg;
    int T = w->j->d->ticks, lh, lw, C;
    jepa_latent_shape(w->m, &lh, &lw, &C);
    float* obs = alloc_array((size_t)T * lh * lw * C, sizeof(float));
    float* chg = alloc_array((size_t)T * lh * lw, sizeof(float));
    JepaScratch* sc = jepa_scratch_create(w->m);
    for (int e = w->k; e < w->j->d->episodes; e += w->jobs)
        energy_episode(w->m, w->j, e, w->H, w->stride, sc, obs, chg, w->out, w->first + (int64_t)e * w->nw);
    jepa_scratch_free(sc);
    free(obs), free(chg);
    return NULL;
}

static bool energy_windows(const JepaModel* m, const JepaData* j, int H, int stride, int jobs, EnergySet* out,
                           char* err, size_t err_size) {
    const JepaArch* a = jepa_arch(m);
    const WmDataset* d = j->d;
    int S = a->frame_step, t0 = (a->context - 1) * S, T = d->ticks, lh, lw, C;
    jepa_latent_shape(m, &lh, &lw, &C);
    int cells = lh * lw, in_size = cells * (C + JEPA_PUSH_CHANNELS);
    if (stride < 1) stride = 1;
    if (T - 1 - H < t0 || d->episodes < 1) {
        report_set(err, err_size, "no window with %d records after it in %d-record episodes", H, T);
        return false;
    }
    jobs = workers_count(jobs, d->episodes < JEPA_ENERGY_MAX_JOBS ? d->episodes : JEPA_ENERGY_MAX_JOBS);
    /* windows t0, t0 + stride, ... while t + H < T: the same count in every episode */
    int nw = (T - 1 - H - t0) / stride + 1;
    int64_t first = out->n, total = first + (int64_t)d->episodes * nw;
    out->x = alloc_resize(out->x, (size_t)total * in_size, sizeof(float));
    out->y = alloc_resize(out->y, (size_t)total * cells, sizeof(float));
    out->prev = alloc_resize(out->prev, (size_t)total * cells, sizeof(float));
    EnergyWork w[JEPA_ENERGY_MAX_JOBS];
    for (int k = 0; k < jobs; k++) w[k] = (EnergyWork){m, j, H, stride, jobs, k, nw, first, out};
    workers_run(jobs, energy_worker, w, sizeof w[0]);
    out->n = total;
    return true;
}

static void set_free(EnergySet* s) {
    free(s->x), free(s->y), free(s->prev);
    memset(s, 0, sizeof *s);
}

bool jepa_energy_fit(JepaEnergy* en, const JepaModel* m, const JepaData* const* js, int nj, const JepaEnergyFit* o,
                     char* err, size_t err_size) {
    memset(en, 0, sizeof *en);
    if (o->H < 1 || o->H > JEPA_ENERGY_MAX_HORIZON || o->epochs < 1 || o->batch < 1) {
        report_set(err, err_size, "energy: horizon 1-%d, epochs and batch >= 1", JEPA_ENERGY_MAX_HORIZON);
        return false;
    }
    int lh, lw, C;
    jepa_latent_shape(m, &lh, &lw, &C);
    if (!energy_build(en, lh, lw, C, o->H, JEPA_ENERGY_HIDDEN, JEPA_ENERGY_LAYERS)) {
        report_set(err, err_size, "energy: a %dx%d grid takes no head", lh, lw);
        return false;
    }
    EnergySet set = {0};
    for (int i = 0; i < nj; i++)
        if (!energy_windows(m, js[i], o->H, o->stride, o->jobs, &set, err, err_size)) {
            set_free(&set);
            jepa_energy_free(en);
            return false;
        }
    int cells = lh * lw, in_size = cells * (C + JEPA_PUSH_CHANNELS);
    double tot = 0;
    for (size_t i = 0; i < (size_t)set.n * cells; i++) tot += set.y[i];
    en->norm = tot / ((double)set.n * cells);
    if (!(en->norm > 0)) en->norm = 1;
    en->windows = set.n;
    for (size_t i = 0; i < (size_t)set.n * cells; i++) set.y[i] = (float)(set.y[i] / en->norm);
    Rng rng;
    rng_seed(&rng, rng_derive(o->seed, 0x656e6572ULL));
    nn_convnet_init(&en->net, en->params, &rng, 0.1f);
    /* the output starts at the mean: bias 1 */
    const NnConv2d* last = &en->net.layer[en->net.nlayers - 1].conv;
    en->params[last->b] = 1.0f;
    NnAdamW opt;
    nn_adamw_init(&opt, en->layout.count, o->lr, 1e-4f);
    NnConvCache cache = {0};
    nn_convnet_cache_keep_cols(&cache);
    nn_convnet_cache_reserve(&cache, &en->net, o->batch);
    float* grads = alloc_zeroed((size_t)en->layout.count, sizeof *grads);
    float* xb = alloc_array((size_t)o->batch * in_size, sizeof *xb);
    float* yb = alloc_array((size_t)o->batch * cells, sizeof *yb);
    float* dy = alloc_array((size_t)o->batch * cells, sizeof *dy);
    int64_t* order = alloc_array((size_t)set.n, sizeof *order);
    for (int64_t i = 0; i < set.n; i++) order[i] = i;
    for (int ep = 0; ep < o->epochs; ep++) {
        for (int64_t i = set.n - 1; i > 0; i--) {
            int64_t k = rng_int(&rng, 0, i), t = order[i];
            order[i] = order[k], order[k] = t;
        }
        double el = 0;
        int64_t nb = 0;
        for (int64_t s = 0; s + o->batch <= set.n; s += o->batch) {
            int B = o->batch;
            for (int b = 0; b < B; b++) {
                memcpy(xb + (size_t)b * in_size, set.x + (size_t)order[s + b] * in_size, sizeof(float) * (size_t)in_size);
                memcpy(yb + (size_t)b * cells, set.y + (size_t)order[s + b] * cells, sizeof(float) * (size_t)cells);
            }
            const float* p = nn_convnet_forward(&en->net, en->params, &cache, B, xb);
            memset(grads, 0, sizeof(float) * (size_t)en->layout.count);
            el += nn_loss_l1(B * cells, p, yb, NULL, 1.0f / (float)(B * cells), dy);
            nn_convnet_backward(&en->net, en->params, grads, &cache, B, xb, dy, NULL);
            nn_adamw_step(&opt, en->params, grads, en->layout.decay, 1.0f);
            nb++;
        }
        if (o->progress) fprintf(o->progress, "energy: epoch %d: L1 %.4f (of the mean energy)\n", ep + 1, nb ? el / nb : NAN);
    }
    nn_adamw_free(&opt);
    nn_convnet_cache_free(&cache);
    free(grads), free(xb), free(yb), free(dy), free(order);
    set_free(&set);
    return true;
}

void jepa_energy_predict(const JepaEnergy* en, const JepaModel* m, NnConvCache* cache, float* input, const float* z,
                         const JepaPush* pushes, int npushes, float* out) {
    int cells = en->lh * en->lw;
    float map[4096 * JEPA_PUSH_CHANNELS];
    float* mp = cells <= 4096 ? map : alloc_array((size_t)cells * JEPA_PUSH_CHANNELS, sizeof *mp);
    energy_input(m, cells, en->C, z, pushes, npushes, input, mp);
    if (mp != map) free(mp);
    nn_convnet_cache_reserve(cache, &en->net, 1);
    const float* p = nn_convnet_forward(&en->net, en->params, cache, 1, input);
    for (int i = 0; i < cells; i++) out[i] = p[i] > 0 ? (float)(p[i] * en->norm) : 0.0f;
}

bool jepa_energy_score(const JepaEnergy* en, const JepaModel* m, const JepaData* j, int stride, int jobs,
                       double l1[3], char* err, size_t err_size) {
    EnergySet set = {0};
    if (!energy_windows(m, j, en->H, stride, jobs, &set, err, err_size)) {
        set_free(&set);
        return false;
    }
    int cells = en->lh * en->lw, in_size = cells * (en->C + JEPA_PUSH_CHANNELS);
    NnConvCache cache = {0};
    nn_convnet_cache_reserve(&cache, &en->net, 1);
    double s[3] = {0, 0, 0};
    int64_t np = 0;
    for (int64_t w = 0; w < set.n; w++) {
        const float* p = nn_convnet_forward(&en->net, en->params, &cache, 1, set.x + (size_t)w * in_size);
        const float* y = set.y + (size_t)w * cells;
        const float* pv = set.prev + (size_t)w * cells;
        for (int i = 0; i < cells; i++) {
            s[0] += fabs((p[i] > 0 ? p[i] * en->norm : 0) - y[i]);
            s[1] += fabs(en->norm - y[i]);
            if (!isnan(pv[0])) s[2] += fabs(pv[i] - y[i]);
        }
        np += !isnan(pv[0]);
    }
    l1[0] = s[0] / ((double)set.n * cells);
    l1[1] = s[1] / ((double)set.n * cells);
    l1[2] = np ? s[2] / ((double)np * cells) : NAN;
    nn_convnet_cache_free(&cache);
    set_free(&set);
    return true;
}

bool jepa_energy_save(const JepaEnergy* en, const char* path, char* err, size_t err_size) {
    AtomicFile af;
    if (!atomic_file_open(&af, path, err, err_size)) return false;
    char line[160];
    int n = snprintf(line, sizeof line, ENERGY_MAGIC "\n%d %d %d %d %d %d %lld %.17g %d\n", en->lh, en->lw, en->C, en->H,
                     en->hidden, en->layers, (long long)en->windows, en->norm, en->layout.count);
    atomic_file_write(&af, line, (size_t)n);
    for (int k = 0; k < en->layout.count; k++) {
        n = snprintf(line, sizeof line, "%.9g\n", en->params[k]);
        atomic_file_write(&af, line, (size_t)n);
    }
    return atomic_file_commit(&af, err, err_size);
}

bool jepa_energy_load(JepaEnergy* en, const char* path, char* err, size_t err_size) {
    memset(en, 0, sizeof *en);
    TextNums t;
    if (!text_nums_open(&t, path, TEXT_NUMS_MAX, err, err_size)) return false;
    if (!text_nums_magic(&t, ENERGY_MAGIC)) {
        report_set(err, err_size, "%s: expected an energy head (nudge energy), got another file", path);
        text_nums_close(&t);
        return false;
    }
    double h[9];
    bool ok = true;
    for (int i = 0; i < 9 && ok; i++) ok = text_nums_next(&t, &h[i]) && (i == 7 || h[i] == floor(h[i]));
    ok = ok && h[0] >= 1 && h[0] <= 1024 && h[1] >= 1 && h[1] <= 1024 && h[2] >= 1 && h[2] <= 1024 && h[3] >= 1 &&
         h[3] <= JEPA_ENERGY_MAX_HORIZON && h[4] >= 4 && h[4] <= 512 && (int)h[4] % 4 == 0 && h[5] >= 1 &&
         h[5] <= NN_CONVNET_MAX - 1 && h[7] > 0;
    ok = ok && energy_build(en, (int)h[0], (int)h[1], (int)h[2], (int)h[3], (int)h[4], (int)h[5]) &&
         en->layout.count == (int)h[8];
    if (!ok) {
        report_set(err, err_size, "%s: a bad header (expected the grid, channels, horizon 1-%d, hidden, layers, windows, "
                   "norm and the parameter count of that net)", path, JEPA_ENERGY_MAX_HORIZON);
        text_nums_close(&t);
        jepa_energy_free(en);
        return false;
    }
    en->windows = (int64_t)h[6], en->norm = h[7];
    for (int k = 0; k < en->layout.count && ok; k++) {
        double v;
        ok = text_nums_next(&t, &v);
        if (ok) en->params[k] = (float)v;
    }
    ok = ok && text_nums_end(&t);
    text_nums_close(&t);
    if (!ok) {
        report_set(err, err_size, "%s: truncated or malformed (expected %d parameters after the header)", path,
                   en->layout.count);
        jepa_energy_free(en);
        return false;
    }
    return true;
}
