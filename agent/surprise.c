/* surprise: the SurpriseSource of the state model, and the watch that scores an episode's ticks */
#include "agent/surprise.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "model/model_file.h"
#include "sim/observation.h"

/* ---- bodies that appear or vanish ---- */

/* whether the body in slot k left the world's bounds in the tick, as far as the observation tells:
   its centre, moved on by a tick at its velocity, lies outside them */
static bool left_bounds(const SurpriseTick* t, int k) {
    const float* s = t->states + (size_t)k * SIM_OBS_DIM;
    const double* b = t->bounds ? t->bounds : t->world ? sim_world_def(t->world)->bounds : NULL;
    if (!b) return false;
    double tick = 1.0 / 60, x = s[SIM_OBS_x] + 2 * tick * s[SIM_OBS_vx], y = s[SIM_OBS_y] + 2 * tick * s[SIM_OBS_vy];
    return x < b[0] || y < b[1] || x > b[2] || y > b[3];
}

/* whether a body broke in the tick, as far as the observation tells: it could break (breakable),
   its slot emptied, and shards appeared in the same tick */
static bool broke(const SurpriseTick* t, int k, bool shards) {
    const float* s = t->states + (size_t)k * SIM_OBS_DIM;
    return shards && t->mask[k] && !t->next_mask[k] && s[SIM_OBS_breakable] > 0.5f;
}

/* whether shards appeared in the tick (new live slots of kind shard) */
static bool shards_appeared(const SurpriseTick* t) {
    for (int k = 0; k < t->slots; k++)
        if (!t->mask[k] && t->next_mask[k] && t->next[(size_t)k * SIM_OBS_DIM + SIM_OBS_kind_shard] > 0.5f) return true;
    return false;
}

/* the bodies that appear or vanish without a cause the observation shows get SURPRISE_UNEXPLAINED:
   new slots that are not shards; emptied slots that neither broke nor left at the bounds */
static void score_unexplained(const SurpriseTick* t, bool shards, float* per_body) {
    for (int k = 0; k < t->slots; k++) {
        const float* s = (t->mask[k] ? t->states : t->next) + (size_t)k * SIM_OBS_DIM;
        if (s[SIM_OBS_is_static] > 0.5f) continue;
        bool appear = !t->mask[k] && t->next_mask[k] && s[SIM_OBS_kind_shard] < 0.5f;
        bool vanish = t->mask[k] && !t->next_mask[k] && !broke(t, k, shards) && !left_bounds(t, k);
        if (appear || vanish) per_body[k] = (float)SURPRISE_UNEXPLAINED;
    }
}

/* ---- the state model ---- */

typedef struct StateSource {
    SurpriseSource base;
    const WmModel* model;
    WmModel*       owned;
    WmScratch*     scratch;
    int            K;
    float*         out;      /* [K] the motion's negative log-likelihood */
    float*         logits;   /* [K * WM_SURPRISE_LOGITS] the heads at the tick's start */
    float*         heads;    /* [K * WM_EVENT_HORIZON] the break head's logits at the body's last
                                ticks, oldest first (run[k] of them) */
    int*           run;      /* [K] consecutive ticks the body has been live at a tick's start */
    int*           age;      /* [K] ticks since the body appeared as a shard; -1: not a fresh shard */
    /* the drift term: the velocity residuals of each body's last ticks in free flight */
    float*         resid;    /* [K * 2] this tick's velocity residual, m/s (wm_surprise_resid) */
    float*         ring;     /* [K * SURPRISE_DRIFT_TICKS * 2] the last residuals, a ring per body */
    int*           flight;   /* [K] consecutive ticks of free flight (their residuals are in ring) */
    float*         drift;    /* [K] the drift term of this tick (NaN: none) */
    float*         fate;     /* [K] the fate part of this tick's surprise (NaN: none) */
} StateSource;

double surprise_drift_nll(const float* resid, int n) {
    if (n <= 0) return NAN;
    const double sig = SURPRISE_DRIFT_SIGMA, cap = SURPRISE_DRIFT_CLIP * SURPRISE_DRIFT_SIGMA;
    double sx = 0, sy = 0;
    for (int i = 0; i < n; i++) {
        double rx = resid[2 * i], ry = resid[2 * i + 1], r = hypot(rx, ry);
        double f = r > cap ? cap / r : 1;
        sx += f * rx, sy += f * ry;
    }
    return 0.5 * (sx * sx + sy * sy) / (n * sig * sig);
}

/* the drift term of every body (s->drift, NaN where none; see surprise.h). A body is in free flight
   in a tick when it is live and dynamic before and after it and the model's "in contact next tick"
   head says p < 1/2 at the tick's start; a tick that is not ends the flight */
static void drift_tick(StateSource* s, const SurpriseTick* t) {
    const int L = SURPRISE_DRIFT_TICKS;
    for (int k = 0; k < t->slots; k++) {
        s->drift[k] = NAN;
        float rx = s->resid[2 * k], ry = s->resid[2 * k + 1];
        float contact = s->logits[(size_t)k * WM_SURPRISE_LOGITS + WM_EVENT_CONTACT];
        if (isnan(rx) || isnan(ry) || !(contact < 0)) {
            s->flight[k] = 0;
            continue;
        }
        /* the ring holds the flight's last L residuals (their order does not matter to the sum) */
        float* ring = s->ring + (size_t)k * L * 2;
        int at = s->flight[k] % L;
        ring[2 * at] = rx, ring[2 * at + 1] = ry;
        int n = ++s->flight[k] < L ? s->flight[k] : L;
        if (s->flight[k] >= 2 * L) s->flight[k] -= L;
        s->drift[k] = (float)surprise_drift_nll(ring, n);
    }
}

/* -log(1 - sigmoid(z)), without overflow */
static double nll_whole(double z) { return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)); }

double surprise_break_nll(const float* heads, int n, float now, bool broke) {
    if (n <= 0) return NAN;
    if (broke) {
        double most = heads[0];
        for (int i = 1; i < n; i++) most = fmax(most, heads[i]);
        return nll_whole(-most);
    }
    double due = n >= WM_EVENT_HORIZON ? nll_whole(heads[0]) : NAN;
    /* the break-now head's evidence for this tick alone, the larger of the two (both speak of the
     * body staying whole in this tick: they are not added) */
    if (!isnan(now) && (isnan(due) || nll_whole(now) > due)) due = nll_whole(now);
    return due;
}

/* the fate part of body k's surprise in this tick, NaN when none is due; keeps the break head's
   history (the body's last WM_EVENT_HORIZON heads, oldest first). Only a body the observation says
   can break has a fate: the world never breaks another, whatever its head says (the shipped
   model's gives flying shards p ~ 0.9) */
static double fate_surprise(StateSource* s, const SurpriseTick* t, int k, bool shards) {
    const int H = WM_EVENT_HORIZON;
    float* hist = s->heads + (size_t)k * H;
    float z = s->logits[(size_t)k * WM_SURPRISE_LOGITS + WM_EVENT_BREAK];
    if (!t->mask[k] || isnan(z) || !(t->states[(size_t)k * SIM_OBS_DIM + SIM_OBS_breakable] > 0.5f)) {
        s->run[k] = 0;
        return NAN;
    }
    if (s->run[k] == H) memmove(hist, hist + 1, sizeof *hist * (size_t)(H - 1));
    else s->run[k]++;
    hist[s->run[k] - 1] = z;
    bool b = broke(t, k, shards);
    if (!b && !t->next_mask[k]) return NAN;
    return surprise_break_nll(hist, s->run[k], s->logits[(size_t)k * WM_SURPRISE_LOGITS + WM_LOGIT_BREAK_NOW], b);
}

static double state_tick(void* self, const SurpriseTick* t, float* per_body) {
    StateSource* s = self;
    int K = t->slots;
    wm_surprise_resid(s->model, s->scratch, 1, t->states, t->mask, t->pushes, t->next, t->next_mask, s->out,
                      s->logits, s->resid);
    bool shards = shards_appeared(t);
    drift_tick(s, t);
    for (int k = 0; k < K; k++) {
        /* a break's shards: unscored through its aftermath */
        if (!t->next_mask[k]) s->age[k] = -1;
        else if (!t->mask[k]) s->age[k] = t->next[(size_t)k * SIM_OBS_DIM + SIM_OBS_kind_shard] > 0.5f ? 0 : -1;
        else if (s->age[k] >= 0 && ++s->age[k] > SURPRISE_AFTERMATH) s->age[k] = -1;
        double motion = s->out[k];
        double event = fate_surprise(s, t, k, shards);
        if (s->age[k] > 0) motion = event = NAN;
        s->fate[k] = (float)event;
        per_body[k] = (float)(isnan(motion) ? event : isnan(event) ? motion : motion + event);
        if (!isnan(per_body[k]) && !isnan(s->drift[k])) per_body[k] += s->drift[k];
    }
    score_unexplained(t, shards, per_body);
    double most = NAN;
    for (int k = 0; k < K; k++)
        if (!isnan(per_body[k]) && (isnan(most) || per_body[k] > most)) most = per_body[k];
    return most;
}

static void state_reset(void* self) {
    StateSource* s = self;
    for (int k = 0; k < s->K; k++) s->run[k] = 0, s->age[k] = -1, s->flight[k] = 0;
}

static const float* state_fate(void* self) { return ((StateSource*)self)->fate; }

static void state_destroy(void* self) {
    StateSource* s = self;
    wm_scratch_free(s->scratch);
    free(s->resid);
    free(s->ring);
    free(s->flight);
    free(s->drift);
    free(s->fate);
    wm_free(s->owned);
    free(s->out);
    free(s->logits);
    free(s->heads);
    free(s->run);
    free(s->age);
    free(s);
}

SurpriseSource* surprise_source_state(const WmModel* m) {
    StateSource* s = alloc_zeroed(1, sizeof *s);
    s->base = (SurpriseSource){"state", s, state_tick, state_reset, state_destroy, state_fate, wm_arch(m)->dt};
    s->model = m;
    s->scratch = wm_scratch_create(m);
    s->K = wm_arch(m)->slots;
    size_t K = (size_t)s->K;
    s->out = alloc_zeroed(K, sizeof *s->out);
    s->logits = alloc_zeroed(K * WM_SURPRISE_LOGITS, sizeof *s->logits);
    s->heads = alloc_zeroed(K * WM_EVENT_HORIZON, sizeof *s->heads);
    s->run = alloc_zeroed(K, sizeof *s->run);
    s->age = alloc_zeroed(K, sizeof *s->age);
    s->resid = alloc_zeroed(K * 2, sizeof *s->resid);
    s->ring = alloc_zeroed(K * SURPRISE_DRIFT_TICKS * 2, sizeof *s->ring);
    s->flight = alloc_zeroed(K, sizeof *s->flight);
    s->drift = alloc_zeroed(K, sizeof *s->drift);
    s->fate = alloc_zeroed(K, sizeof *s->fate);
    for (size_t k = 0; k < K; k++) s->fate[k] = NAN;
    state_reset(s);
    return &s->base;
}

void surprise_source_state_use(SurpriseSource* s, const WmModel* m) {
    StateSource* st = s->self;
    st->model = m;
    s->step = wm_arch(m)->dt;
}

SurpriseSource* surprise_source_load(const char* path, const WmModel** model, char* err, size_t err_size) {
    if (model) *model = NULL;
    ModelKind kind = model_file_kind(path, err, err_size);
    if (kind == MODEL_KIND_NONE) return NULL;
    if (kind == MODEL_KIND_JEPA) {
        JepaModel* j = jepa_load(path, err, err_size);
        if (!j) return NULL;
        return surprise_source_jepa_owned(j);
    }
    WmModel* m = wm_load(path, err, err_size);
    if (!m) return NULL;
    SurpriseSource* src = surprise_source_state(m);
    ((StateSource*)src->self)->owned = m;
    if (model) *model = m;
    return src;
}

void surprise_source_free(SurpriseSource* s) {
    if (s) s->destroy(s->self);
}

/* ---- the watch ---- */

static void watch_hook(void* ctx, const Episode* e) {
    SurpriseWatch* w = ctx;
    int K = w->slots;
    w->ticks++;
    w->scored = false;
    w->world = w->world_fate = NAN;
    for (int k = 0; k < K; k++) w->body[k] = w->fate[k] = NAN;
    /* a hand, a spawn or a reset moved the world: nothing to score (magic is scored) */
    const SimAction* a = &e->applied;
    if (episode_handled(e)) {
        w->src->reset(w->src->self);
        return;
    }
    sim_world_observe(e->world, w->next, w->next_mask, w->next_ids, K);
    memset(w->pushes, 0, sizeof(float) * (size_t)K * WM_PUSH_DIM);
    sim_action_add_rows(a, w->pushes, K);
    SurpriseTick t = {K, e->states, e->mask, w->pushes, w->next, w->next_mask, e->world, &e->inst, NULL};
    w->world = w->src->tick(w->src->self, &t, w->body);
    const float* fate = w->src->fate ? w->src->fate(w->src->self) : NULL;
    for (int k = 0; fate && k < K; k++) {
        w->fate[k] = fate[k];
        if (!isnan(fate[k]) && !(fate[k] <= w->world_fate)) w->world_fate = fate[k];
    }
    w->scored = true;
}

bool surprise_watch_attach(SurpriseWatch* w, Episode* e, SurpriseSource* src, char* err, size_t err_size) {
    memset(w, 0, sizeof *w);
    if (src->step > 0 && !episode_step_check(&e->inst, src->step, err, err_size)) return false;
    w->src = src;
    w->slots = e->slots;
    size_t K = (size_t)e->slots;
    w->next = alloc_zeroed(K * SIM_OBS_DIM, sizeof *w->next);
    w->next_mask = alloc_zeroed(K, 1);
    w->next_ids = alloc_zeroed(K, sizeof *w->next_ids);
    w->pushes = alloc_zeroed(K * WM_PUSH_DIM, sizeof *w->pushes);
    w->body = alloc_zeroed(K, sizeof *w->body);
    w->fate = alloc_zeroed(K, sizeof *w->fate);
    for (size_t k = 0; k < K; k++) w->body[k] = w->fate[k] = NAN;
    w->world = w->world_fate = NAN;
    src->reset(src->self);
    if (episode_attach(e, watch_hook, w, EPISODE_READS_OBS)) return true;
    report_set(err, err_size, "no room for the surprise watch");
    surprise_watch_free(w);
    return false;
}

void surprise_watch_free(SurpriseWatch* w) {
    free(w->next);
    free(w->next_mask);
    free(w->next_ids);
    free(w->pushes);
    free(w->body);
    free(w->fate);
    memset(w, 0, sizeof *w);
}

/* 0 up to lo, 1 from hi, linear between; 0 for NaN */
static double ramp(double v, double lo, double hi) {
    if (!(v > lo)) return 0;
    return v >= hi ? 1 : (v - lo) / (hi - lo);
}

double surprise_glow(double s, double fate) {
    return fmax(ramp(s, SURPRISE_GLOW_LO, SURPRISE_THRESHOLD), ramp(fate, SURPRISE_FATE_GLOW_LO, SURPRISE_FATE_THRESHOLD));
}

bool surprise_alarm(double s, double fate) { return s > SURPRISE_THRESHOLD || fate > SURPRISE_FATE_THRESHOLD; }
