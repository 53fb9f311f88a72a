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

/* the bodies that appear or vanish without a cause the observation shows get SURPRISE_UNEXPLAINED:
   new slots that are not shards; emptied slots with no shard appearing in the tick (a break) and
   not at the bounds */
static void score_unexplained(const SurpriseTick* t, float* per_body) {
    bool shards = false;
    for (int k = 0; k < t->slots; k++)
        shards |= !t->mask[k] && t->next_mask[k] && t->next[(size_t)k * SIM_OBS_DIM + SIM_OBS_kind_shard] > 0.5f;
    for (int k = 0; k < t->slots; k++) {
        const float* s = (t->mask[k] ? t->states : t->next) + (size_t)k * SIM_OBS_DIM;
        if (s[SIM_OBS_is_static] > 0.5f) continue;
        bool appear = !t->mask[k] && t->next_mask[k] && s[SIM_OBS_kind_shard] < 0.5f;
        bool vanish = t->mask[k] && !t->next_mask[k] && !shards && !left_bounds(t, k);
        if (appear || vanish) per_body[k] = (float)SURPRISE_UNEXPLAINED;
    }
}

/* ---- the state model ---- */

typedef struct StateSource {
    SurpriseSource base;
    const WmModel* model;
    WmModel*       owned;
    WmScratch*     scratch;
    float*         out;      /* [K] */
} StateSource;

/* the per-body negative log-likelihood of the observed tick under the model's Gaussian (its
   variance head; wm_surprise documents the definition); NaN for bodies not scored */
static void model_surprise(StateSource* s, const SurpriseTick* t) {
    wm_surprise(s->model, s->scratch, 1, t->states, t->mask, t->pushes, t->next, t->next_mask, s->out);
}

static double state_tick(void* self, const SurpriseTick* t, float* per_body) {
    StateSource* s = self;
    int K = t->slots;
    model_surprise(s, t);
    for (int k = 0; k < K; k++) per_body[k] = s->out[k];
    score_unexplained(t, per_body);
    double most = NAN;
    for (int k = 0; k < K; k++)
        if (!isnan(per_body[k]) && (isnan(most) || per_body[k] > most)) most = per_body[k];
    return most;
}

static void state_reset(void* self) { (void)self; }

static void state_destroy(void* self) {
    StateSource* s = self;
    wm_scratch_free(s->scratch);
    wm_free(s->owned);
    free(s->out);
    free(s);
}

SurpriseSource* surprise_source_state(const WmModel* m) {
    StateSource* s = alloc_zeroed(1, sizeof *s);
    s->base = (SurpriseSource){"state", s, state_tick, state_reset, state_destroy};
    s->model = m;
    s->scratch = wm_scratch_create(m);
    s->out = alloc_zeroed((size_t)wm_arch(m)->slots, sizeof *s->out);
    return &s->base;
}

void surprise_source_state_use(SurpriseSource* s, const WmModel* m) {
    StateSource* st = s->self;
    st->model = m;
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
    w->world = NAN;
    for (int k = 0; k < K; k++) w->body[k] = NAN;
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
    w->scored = true;
}

bool surprise_watch_attach(SurpriseWatch* w, Episode* e, SurpriseSource* src) {
    memset(w, 0, sizeof *w);
    w->src = src;
    w->slots = e->slots;
    size_t K = (size_t)e->slots;
    w->next = alloc_zeroed(K * SIM_OBS_DIM, sizeof *w->next);
    w->next_mask = alloc_zeroed(K, 1);
    w->next_ids = alloc_zeroed(K, sizeof *w->next_ids);
    w->pushes = alloc_zeroed(K * WM_PUSH_DIM, sizeof *w->pushes);
    w->body = alloc_zeroed(K, sizeof *w->body);
    w->world = NAN;
    if (episode_attach(e, watch_hook, w, EPISODE_READS_OBS)) return true;
    surprise_watch_free(w);
    return false;
}

void surprise_watch_free(SurpriseWatch* w) {
    free(w->next);
    free(w->next_mask);
    free(w->next_ids);
    free(w->pushes);
    free(w->body);
    memset(w, 0, sizeof *w);
}

double surprise_glow(double s) {
    if (!(s > SURPRISE_GLOW_LO)) return 0;
    return s >= SURPRISE_THRESHOLD ? 1 : (s - SURPRISE_GLOW_LO) / (SURPRISE_THRESHOLD - SURPRISE_GLOW_LO);
}
