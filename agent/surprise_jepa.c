/* surprise_jepa: the pixel model's SurpriseSource (surprise.h) -- frames rendered from the world,
 * the predicted latent against the target encoding (a JepaStream: the window frame_step ticks
 * before predicts this one) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/surprise.h"
#include "base/alloc.h"
#include "base/report.h"
#include "render/render.h"
#include "sim/observation.h"

typedef struct JepaSource {
    SurpriseSource   base;
    const JepaModel* model;
    JepaModel*       owned;
    JepaStream*      stream;
    int              W, H, ch, lh, lw, lc;
    uint8_t*         frame;     /* [W * H * ch] the frame after the tick */
    bool             started;   /* a frame since the reset (the camera is set) */
    double           rect[4];
    JepaEvidence     ev;        /* the world's surprise: evidence over the grid's mean L1 */
    float            kw;        /* the keypoint channels' weight in that mean (1: every channel alike) */
    int              top;       /* > 0: the mean over the `top` largest cells instead (jepa_surprise_top) */
    double*          work;      /* [lh * lw] its scratch */
    JepaFate         fate;      /* the fate probe (fate.F = 0: none; surprise_source_jepa_fate) */
    double           fate_w;    /* its weight in the world's surprise */
    double           ring[JEPA_FATE_HORIZON + 1]; /* the ahead head's p of the last H + 1 encoded ticks */
    int64_t          nring;     /* encoded ticks since the reset */
    float*           fx;        /* the probe's features (jepa_fate_work) */
    bool             traced;    /* the parts are kept (surprise_source_jepa_trace) */
    int              trace_top; /* the parts' top cells */
    JepaEvidence     ev_grid, ev_top; /* the parts' two evidences */
    double           parts[SURPRISE_JEPA_PARTS];
    JepaScale        scale;     /* scale.C = 0: none; surprise_source_jepa_scale */
    double           scale_w;   /* its evidence's share of the world's */
    JepaEvidence     ev_scale;  /* the evidence over its NLL */
    float*           sb, *swork; /* [L] b, [cells * F] its features */
    JepaEnergy       energy;    /* energy.C = 0: none; surprise_source_jepa_energy */
    double           energy_w;  /* its shortfall's evidence's weight in the world's surprise */
    double           energy_k;  /* that evidence's slack (jepa_evidence_add_slack) */
    int              energy_m;  /* the shortfall is the mean of the last energy_m ticks' */
    bool             energy_free; /* a window with a push in its horizon reads a shortfall of 0 */
    double           eshort[JEPA_ENERGY_MAX_SMOOTH]; /* the last ticks' shortfalls, tick i at i % energy_m */
    JepaEvidence     ev_en[2];  /* the evidence over its error, and over its shortfall */
    float*           ez;        /* [(H + 1) * L] the target latents of the last H + 1 encoded ticks */
    float*           ech;       /* [(H + 1) * cells] each one's change from the tick before */
    JepaPush*        epush;     /* [(H + 1) * JEPA_MAX_PUSHES] the pushes that came with each */
    int*             enpush;    /* [H + 1] */
    float*           eprev;     /* [L] the last target latent */
    float*           ework;     /* [cells * (C + 3) + 3 * cells] the head's input, its output, the sum, the pool */
    NnConvCache      ecache;
    int64_t          nenc;      /* encoded ticks since the reset */
} JepaSource;

/* the energy head's part of a tick whose window was encoded: the energy predicted H ticks ago against
   the change since, over the grid's cells: out[0] the mean |predicted - observed|, out[1] the mean
   shortfall max(0, predicted - observed) (less change than expected: a break that did not come),
   out[2] the mean predicted energy, *pushed the pushes in the horizon; false until there are H + 1
   encoded ticks */
static bool energy_tick(JepaSource* s, const JepaPush* push, int n, double out[3], int* pushed) {
    const JepaEnergy* en = &s->energy;
    int H = en->H, R = H + 1, cells = s->lh * s->lw, L = cells * s->lc;
    int idx = (int)(s->nenc % R);
    memcpy(s->ez + (size_t)idx * L, jepa_stream_obs(s->stream), sizeof(float) * (size_t)L);
    memcpy(s->epush + (size_t)idx * JEPA_MAX_PUSHES, push, sizeof *push * (size_t)n);
    s->enpush[idx] = n;
    const float* obs = jepa_stream_obs(s->stream);
    if (s->nenc > 0) jepa_energy_change(s->lh, s->lw, s->lc, obs, s->eprev, s->ech + (size_t)idx * cells);
    memcpy(s->eprev, obs, sizeof(float) * (size_t)L);
    s->nenc++;
    if (s->nenc < R) return false;
    int k0 = (int)((s->nenc - R) % R);
    JepaPush pp[JEPA_MAX_PUSHES];
    int np = 0;
    float* in = s->ework;
    float* pred = in + (size_t)cells * (s->lc + JEPA_PUSH_CHANNELS);
    float* sum = pred + cells;
    float* pool = sum + cells;
    memset(sum, 0, sizeof(float) * (size_t)cells);
    for (int k = 1; k <= H; k++) {
        int q = (k0 + k) % R;
        for (int i = 0; i < s->enpush[q] && np < JEPA_MAX_PUSHES; i++) pp[np++] = s->epush[(size_t)q * JEPA_MAX_PUSHES + i];
        for (int i = 0; i < cells; i++) sum[i] += s->ech[(size_t)q * cells + i];
    }
    jepa_energy_pool(s->lh, s->lw, sum, pool);
    jepa_energy_predict(en, s->model, &s->ecache, in, s->ez + (size_t)k0 * L, pp, np, pred);
    double a = 0, b = 0, tp = 0;
    for (int i = 0; i < cells; i++) {
        double d = (double)pred[i] - pool[i];
        a += fabs(d);
        b += d > 0 ? d : 0;
        tp += pred[i];
    }
    out[0] = a / cells, out[1] = b / cells, out[2] = tp / cells;
    *pushed = np;
    return true;
}

static double jepa_tick(void* self, const SurpriseTick* t, float* per_body) {
    JepaSource* s = self;
    int K = t->slots;
    for (int k = 0; k < K; k++) per_body[k] = NAN;
    /* the camera the model's frames came from */
    if (!s->started && t->inst) jepa_frame_rect(s->model, t->inst, s->rect);
    s->started = true;
    jepa_render(s->model, t->world, s->rect, s->frame);
    /* the tick's pushes in image space, at the pushed body's centre plus the offset */
    JepaPush push[JEPA_MAX_PUSHES];
    int n = 0;
    for (int k = 0; k < K && n < JEPA_MAX_PUSHES; k++) {
        const float* a = t->pushes + (size_t)k * 4;
        if (a[0] == 0 && a[1] == 0) continue;
        const float* row = t->states + (size_t)k * SIM_OBS_DIM;
        jepa_frame_px(s->W, s->H, s->rect, row[SIM_OBS_x] + a[2], row[SIM_OBS_y] + a[3], &push[n].u, &push[n].v);
        push[n].jx = a[0], push[n].jy = a[1], push[n].mass = row[SIM_OBS_mass];
        n++;
    }
    for (int i = 0; i < SURPRISE_JEPA_PARTS; i++) s->parts[i] = NAN;
    int got = jepa_stream_add(s->stream, s->frame, push, n, true);
    /* the fate's heads on the target encoding of this window; the outcome of the ticks (t - H, t]
       (q now) under the expectation read H ticks before */
    double fate = NAN;
    if (got >= 1 && s->fate.F) {
        double ph[JEPA_FATE_HEADS];
        jepa_fate_read(&s->fate, s->lh, s->lw, s->fate.online ? jepa_stream_z(s->stream) : jepa_stream_obs(s->stream),
                       s->fx, ph);
        s->ring[s->nring % (JEPA_FATE_HORIZON + 1)] = ph[JEPA_FATE_AHEAD];
        if (s->nring >= JEPA_FATE_HORIZON)
            fate = jepa_fate_nll(s->ring[(s->nring - JEPA_FATE_HORIZON) % (JEPA_FATE_HORIZON + 1)], ph[JEPA_FATE_SEEN]);
        s->nring++;
        s->parts[2] = ph[JEPA_FATE_AHEAD], s->parts[3] = ph[JEPA_FATE_SEEN];
    }
    if (got < 2) return NAN;
    const float* pred = jepa_stream_pred(s->stream);
    const float* obs = jepa_stream_obs(s->stream);
    float mean;
    if (s->top > 0) jepa_surprise_top(s->model, 1, pred, obs, s->kw, s->top, s->work, &mean);
    else jepa_surprise_weighted(s->model, 1, pred, obs, s->kw, &mean, NULL);
    if (s->traced) {
        float grid, top;
        jepa_surprise_weighted(s->model, 1, pred, obs, s->kw, &grid, NULL);
        jepa_surprise_top(s->model, 1, pred, obs, s->kw, s->trace_top, s->work, &top);
        s->parts[0] = jepa_evidence_add(&s->ev_grid, grid);
        s->parts[1] = jepa_evidence_add(&s->ev_top, top);
    }
    /* the world's: the evidence of a sustained rise of the grid's mean error over its mean so far (a
       force the model does not know errs a little at every tick), plus the fate's when there is one;
       a body's: its cell's */
    double world = jepa_evidence_add(&s->ev, mean);
    if (s->scale.C) {
        /* the scale's: the evidence over the grid's mean Laplace NLL, mixed in at scale_w */
        jepa_scale_apply(&s->scale, s->lh, s->lw, jepa_stream_from(s->stream), pred, s->swork, s->sb);
        double nll = jepa_evidence_add(&s->ev_scale, (float)jepa_scale_surprise(s->lh * s->lw * s->lc, pred, obs, s->sb));
        world = s->scale_w == 1 ? nll : world + s->scale_w * (nll - world);
    }
    if (!isnan(fate)) world += s->fate_w * fate;
    if (s->energy.C) {
        /* the energy's: the evidence of a sustained shortfall, past (1 + slack) times the clip's usual */
        double e[3];
        int pushed = 0;
        if (energy_tick(s, push, n, e, &pushed)) {
            /* a window whose horizon holds a push (energy_free): how far a push carries a body is not
               read from the frames (its mass, its friction), so its shortfall is read as none */
            if (s->energy_free && pushed > 0) e[1] = 0;
            int64_t k = s->nenc - (s->energy.H + 1);   /* this tick's index among those with a shortfall */
            /* the shortfall smoothed over the last energy_m ticks (a body's change wavers from tick
               to tick as it crosses cells; a break that did not come is a shortfall for many) */
            s->eshort[k % s->energy_m] = e[1];
            int have = k + 1 < s->energy_m ? (int)(k + 1) : s->energy_m;
            double sm = 0;
            for (int i = 0; i < have; i++) sm += s->eshort[i];
            sm /= have;
            s->parts[4] = jepa_evidence_add(&s->ev_en[0], e[0]);
            s->parts[5] = jepa_evidence_add_slack(&s->ev_en[1], sm, s->energy_k);
            s->parts[6] = e[1], s->parts[7] = e[2];
            world += s->energy_w * s->parts[5];
        }
    }
    for (int k = 0; k < K; k++) {
        if (!t->next_mask[k]) continue;
        const float* row = t->next + (size_t)k * SIM_OBS_DIM;
        float u, v;
        jepa_frame_px(s->W, s->H, s->rect, row[SIM_OBS_x], row[SIM_OBS_y], &u, &v);
        int cx = (int)floorf(u * s->lw / s->W), cy = (int)floorf(v * s->lh / s->H);
        if (cx < 0 || cy < 0 || cx >= s->lw || cy >= s->lh) continue;
        const float* p = pred + ((size_t)cy * s->lw + cx) * s->lc;
        const float* o = obs + ((size_t)cy * s->lw + cx) * s->lc;
        double d = 0;
        for (int c = 0; c < s->lc; c++) d += fabsf(p[c] - o[c]);
        per_body[k] = (float)(d / s->lc);
    }
    return world;
}

static void jepa_reset(void* self) {
    JepaSource* s = self;
    s->started = false;
    jepa_stream_reset(s->stream);
    jepa_evidence_reset(&s->ev);
    jepa_evidence_reset(&s->ev_grid);
    jepa_evidence_reset(&s->ev_top);
    jepa_evidence_reset(&s->ev_scale);
    for (int i = 0; i < 2; i++) jepa_evidence_reset(&s->ev_en[i]);
    s->nring = 0;
    s->nenc = 0;
}

static void jepa_destroy(void* self) {
    JepaSource* s = self;
    jepa_stream_free(s->stream);
    jepa_free(s->owned);
    free(s->frame);
    free(s->work);
    free(s->fx);
    jepa_fate_free(&s->fate);
    jepa_scale_free(&s->scale);
    free(s->sb);
    free(s->swork);
    jepa_energy_free(&s->energy);
    free(s->ez), free(s->ech), free(s->epush), free(s->enpush), free(s->eprev), free(s->ework);
    nn_convnet_cache_free(&s->ecache);
    free(s);
}

SurpriseSource* surprise_source_jepa(const JepaModel* m) {
    JepaSource* s = alloc_zeroed(1, sizeof *s);
    s->base = (SurpriseSource){"pixel", s, jepa_tick, jepa_reset, jepa_destroy, NULL, jepa_arch(m)->dt};
    s->model = m;
    s->kw = 1.0f;
    s->stream = jepa_stream_create(m);
    const JepaArch* a = jepa_arch(m);
    s->W = a->frame_w, s->H = a->frame_h, s->ch = a->channels;
    jepa_latent_shape(m, &s->lh, &s->lw, &s->lc);
    s->frame = alloc_zeroed((size_t)s->W * s->H, (size_t)s->ch);
    /* until an instance says otherwise: the world's default bounds */
    s->rect[0] = -1, s->rect[1] = -0.1, s->rect[2] = 1, s->rect[3] = 1.4;
    return &s->base;
}

bool surprise_source_jepa_keypoint_weight(SurpriseSource* src, float kw) {
    if (!src || strcmp(src->kind, "pixel") != 0) return false;
    JepaSource* s = src->self;
    if (jepa_arch(s->model)->keypoints == 0) return false;
    s->kw = kw;
    return true;
}

int surprise_source_jepa_cells(const SurpriseSource* src) {
    if (!src || strcmp(src->kind, "pixel") != 0) return 0;
    const JepaSource* s = src->self;
    return s->lh * s->lw;
}

bool surprise_source_jepa_top_cells(SurpriseSource* src, int top) {
    int cells = surprise_source_jepa_cells(src);
    if (top < 1 || top > cells) return false;
    JepaSource* s = src->self;
    if (!s->work) s->work = alloc_zeroed((size_t)cells, sizeof *s->work);
    s->top = top;
    return true;
}

SurpriseSource* surprise_source_jepa_owned(JepaModel* m) {
    SurpriseSource* src = surprise_source_jepa(m);
    ((JepaSource*)src->self)->owned = m;
    return src;
}

bool surprise_source_jepa_fate(SurpriseSource* src, const JepaFate* f, double weight) {
    if (!src || strcmp(src->kind, "pixel") != 0) return false;
    JepaSource* s = src->self;
    if (f->C != s->lc || !f->F) return false;
    jepa_fate_free(&s->fate);
    free(s->fx);
    s->fate = (JepaFate){.kind = f->kind, .C = f->C, .F = f->F, .ridge = {f->ridge[0], f->ridge[1]}, .online = f->online};
    s->fate.mu = alloc_array((size_t)f->F, sizeof *f->mu);
    s->fate.sd = alloc_array((size_t)f->F, sizeof *f->sd);
    memcpy(s->fate.mu, f->mu, sizeof *f->mu * (size_t)f->F);
    memcpy(s->fate.sd, f->sd, sizeof *f->sd * (size_t)f->F);
    for (int h = 0; h < JEPA_FATE_HEADS; h++) {
        s->fate.w[h] = alloc_array((size_t)f->F + 1, sizeof *f->w[h]);
        memcpy(s->fate.w[h], f->w[h], sizeof *f->w[h] * ((size_t)f->F + 1));
    }
    s->fx = alloc_array(jepa_fate_work(f, s->lh, s->lw), sizeof *s->fx);
    s->fate_w = weight;
    s->nring = 0;
    return true;
}

bool surprise_source_jepa_model_fate(SurpriseSource* src, double weight) {
    if (!src || strcmp(src->kind, "pixel") != 0) return false;
    JepaFate f;
    if (!jepa_fate_from_model(&f, ((JepaSource*)src->self)->model)) return false;
    bool ok = surprise_source_jepa_fate(src, &f, weight);
    jepa_fate_free(&f);
    return ok;
}

bool surprise_source_jepa_trace(SurpriseSource* src, int top) {
    int cells = surprise_source_jepa_cells(src);
    if (top < 1 || top > cells) return false;
    JepaSource* s = src->self;
    if (!s->work) s->work = alloc_zeroed((size_t)cells, sizeof *s->work);
    s->traced = true;
    s->trace_top = top;
    return true;
}

bool surprise_source_jepa_parts(const SurpriseSource* src, double* parts) {
    if (!src || strcmp(src->kind, "pixel") != 0) return false;
    const JepaSource* s = src->self;
    if (!s->traced) return false;
    memcpy(parts, s->parts, sizeof s->parts);
    return true;
}

bool surprise_source_jepa_scale(SurpriseSource* src, const JepaScale* sc, double weight) {
    if (!src || strcmp(src->kind, "pixel") != 0) return false;
    JepaSource* s = src->self;
    if (sc->C != s->lc || sc->F != 1 + 4 * sc->C) return false;
    jepa_scale_free(&s->scale);
    free(s->sb);
    free(s->swork);
    s->scale = (JepaScale){.C = sc->C, .F = sc->F, .rows = sc->rows};
    s->scale.w = alloc_array((size_t)sc->F * sc->C, sizeof *sc->w);
    s->scale.floor = alloc_array((size_t)sc->C, sizeof *sc->floor);
    s->scale.mean = alloc_array((size_t)sc->C, sizeof *sc->mean);
    memcpy(s->scale.w, sc->w, sizeof *sc->w * (size_t)sc->F * sc->C);
    memcpy(s->scale.floor, sc->floor, sizeof *sc->floor * (size_t)sc->C);
    memcpy(s->scale.mean, sc->mean, sizeof *sc->mean * (size_t)sc->C);
    s->sb = alloc_array((size_t)s->lh * s->lw * s->lc, sizeof *s->sb);
    s->swork = alloc_array((size_t)s->lh * s->lw * sc->F, sizeof *s->swork);
    s->scale_w = weight;
    jepa_evidence_reset(&s->ev_scale);
    return true;
}

bool surprise_source_jepa_energy(SurpriseSource* src, const char* path, double weight, double slack, int smooth,
                                 char* err, size_t err_size) {
    if (!src || strcmp(src->kind, "pixel") != 0) return report_set(err, err_size, "--energy is for a pixel model"), false;
    if (smooth < 1 || smooth > JEPA_ENERGY_MAX_SMOOTH)
        return report_set(err, err_size, "--energy-smooth: expected 1-%d ticks, got %d", JEPA_ENERGY_MAX_SMOOTH, smooth), false;
    JepaSource* s = src->self;
    JepaEnergy en;
    if (!jepa_energy_load(&en, path, err, err_size)) return false;
    if (en.lh != s->lh || en.lw != s->lw || en.C != s->lc) {
        report_set(err, err_size, "%s: the head reads a %dx%d grid of %d channels, not this model's %dx%d of %d", path,
                   en.lw, en.lh, en.C, s->lw, s->lh, s->lc);
        jepa_energy_free(&en);
        return false;
    }
    jepa_energy_free(&s->energy);
    s->energy = en;
    int R = en.H + 1, cells = s->lh * s->lw, L = cells * s->lc;
    free(s->ez), free(s->ech), free(s->epush), free(s->enpush), free(s->eprev), free(s->ework);
    s->ez = alloc_zeroed((size_t)R * L, sizeof *s->ez);
    s->ech = alloc_zeroed((size_t)R * cells, sizeof *s->ech);
    s->epush = alloc_zeroed((size_t)R * JEPA_MAX_PUSHES, sizeof *s->epush);
    s->enpush = alloc_zeroed((size_t)R, sizeof *s->enpush);
    s->eprev = alloc_zeroed((size_t)L, sizeof *s->eprev);
    s->ework = alloc_zeroed((size_t)cells * (s->lc + JEPA_PUSH_CHANNELS + 3), sizeof *s->ework);
    s->energy_w = weight, s->energy_k = slack, s->energy_m = smooth;
    s->energy_free = true;
    s->nenc = 0;
    for (int i = 0; i < 2; i++) jepa_evidence_reset(&s->ev_en[i]);
    return true;
}

bool surprise_source_jepa_energy_free(SurpriseSource* src, bool on) {
    if (!src || strcmp(src->kind, "pixel") != 0) return false;
    JepaSource* s = src->self;
    if (!s->energy.C) return false;
    s->energy_free = on;
    return true;
}
