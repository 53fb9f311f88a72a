#include "view/live.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/surprise.h"
#include "base/alloc.h"

#include "render/follow.h"
#include "sim/observation.h"

const int view_horizons[VIEW_HZ_COUNT] = {1, 2, 5, 10, 20, 30, 45, 60};

/* the control tick the model steps in (s) */
#define TICK_DT (1.0 / 60.0)
/* exponential average weight per tick (~5 s) */
#define EMA_ALPHA (1.0 / 300.0)

_Static_assert(VIEW_ERR_TICKS >= WM_EVENT_HORIZON, "the labels' foresight reads WM_EVENT_HORIZON ticks of the rollout");

void view_live_init(ViewLive* L, int K, int D) {
    memset(L, 0, sizeof *L);
    L->K = K, L->D = D;
    L->horizon  = VIEW_ERR_TICKS;
    L->roll_len = VIEW_ERR_TICKS;
    size_t kd   = (size_t)K * D;
    L->states      = alloc_zeroed(kd, sizeof(float));
    L->mask        = alloc_zeroed((size_t)K, 1);
    L->roll        = alloc_zeroed(kd * VIEW_HORIZON_MAX, sizeof(float));
    L->roll_events = alloc_zeroed((size_t)K * WM_EVENTS * VIEW_HORIZON_MAX, sizeof(float));
    L->roll_mask   = alloc_zeroed((size_t)K * VIEW_HORIZON_MAX, 1);
    L->roll_parent = alloc_zeroed((size_t)K, sizeof(int));
    L->foresight   = alloc_zeroed((size_t)K * WM_EVENTS, sizeof(float));
    L->pushes      = alloc_zeroed((size_t)K * 4 * VIEW_HORIZON_MAX, sizeof(float));
    L->past_valid  = alloc_zeroed((size_t)K, 1);
    L->surprise    = alloc_zeroed((size_t)K, sizeof(float));
    L->glow        = alloc_zeroed((size_t)K, sizeof(float));
    L->prev_states = alloc_zeroed(kd, sizeof(float));
    L->prev_mask   = alloc_zeroed((size_t)K, 1);
    L->prev_pushes = alloc_zeroed((size_t)K * 4, sizeof(float));
    for (int k = 0; k < K; k++) L->surprise[k] = NAN;
    L->bounds[0] = -5, L->bounds[1] = -2, L->bounds[2] = 5, L->bounds[3] = 8;
    L->past_pose   = alloc_zeroed((size_t)K * 3, sizeof(float));
    L->past_err    = alloc_zeroed((size_t)K, sizeof(float));
    L->imag        = alloc_zeroed(kd, sizeof(float));
    L->imag_next   = alloc_zeroed(kd, sizeof(float));
    L->imag_mask   = alloc_zeroed((size_t)K, 1);
    for (int i = 0; i < VIEW_HISTORY; i++) {
        ViewRecord* r = &L->rec[i];
        r->state      = alloc_zeroed(kd, sizeof(float));
        r->mask       = alloc_zeroed((size_t)K, 1);
        r->pred       = alloc_zeroed((size_t)(VIEW_HZ_COUNT + 1) * K * 2, sizeof(float));
        r->pred_angle = alloc_zeroed((size_t)K, sizeof(float));
    }
}

void view_live_free(ViewLive* L) {
    free(L->states), free(L->mask), free(L->roll), free(L->roll_events), free(L->pushes);
    free(L->roll_mask), free(L->roll_parent), free(L->foresight);
    free(L->past_valid), free(L->past_pose), free(L->past_err);
    free(L->surprise), free(L->glow), free(L->prev_states), free(L->prev_mask), free(L->prev_pushes);
    surprise_source_free(L->src);
    free(L->imag), free(L->imag_next), free(L->imag_mask);
    for (int i = 0; i < VIEW_HISTORY; i++) {
        free(L->rec[i].state), free(L->rec[i].mask), free(L->rec[i].pred), free(L->rec[i].pred_angle);
    }
    memset(L, 0, sizeof *L);
}

void view_live_begin_episode(ViewLive* L) {
    L->episode++;
    L->has_roll = false;
    memset(L->past_valid, 0, (size_t)L->K);
    L->imag_on      = false;
    L->imag_pending = false;
    view_live_intervene(L);
}

void view_live_intervene(ViewLive* L) {
    L->segment++;
    L->has_prev = false;
    L->mark_next = true;
    if (L->imag_on) L->imag_pending = true;
}

void view_live_set_horizon(ViewLive* L, int ticks) {
    L->horizon = ticks < 1 ? 1 : ticks > VIEW_HORIZON_MAX ? VIEW_HORIZON_MAX : ticks;
}

static bool dynamic_slot(const float* s, const uint8_t* mask, int k, int D) {
    return mask[k] && s[(size_t)k * D + SIM_OBS_is_static] < 0.5f;
}

/* the record made h ticks ago in this episode, or NULL */
static ViewRecord* record_ago(ViewLive* L, int h) {
    if (h <= 0 || h >= VIEW_HISTORY || L->tick - h < 0) return NULL;
    ViewRecord* r = &L->rec[(L->tick - h) % VIEW_HISTORY];
    if (!r->valid || r->tick != L->tick - h || r->episode != L->episode || r->segment != L->segment) return NULL;
    return r;
}

/* mean position error over bodies live then and now (m) for the prediction at slot `which` of a
 * record, and for constant velocity over h ticks; false when no body can be compared */
static bool compare(const ViewLive* L, const ViewRecord* r, int which, int h, const float* now,
                    const uint8_t* mask, double* err, double* cv) {
    int    K = L->K, D = L->D, n = 0;
    double se = 0, sc = 0;
    for (int k = 0; k < K; k++) {
        if (!dynamic_slot(r->state, r->mask, k, D) || !mask[k]) continue;
        const float* s0 = r->state + (size_t)k * D;
        const float* s1 = now + (size_t)k * D;
        const float* p  = r->pred + ((size_t)which * K + k) * 2;
        double       ex = p[0] - s1[SIM_OBS_x], ey = p[1] - s1[SIM_OBS_y];
        double       t  = h * TICK_DT;
        double       cx = s0[SIM_OBS_x] + s0[SIM_OBS_vx] * t - s1[SIM_OBS_x];
        double       cy = s0[SIM_OBS_y] + s0[SIM_OBS_vy] * t - s1[SIM_OBS_y];
        double       e = sqrt(ex * ex + ey * ey), c = sqrt(cx * cx + cy * cy);
        if (!isfinite(e) || !isfinite(c)) continue;
        se += e, sc += c, n++;
    }
    if (!n) return false;
    *err = se / n;
    *cv  = sc / n;
    return true;
}

/* rolls the model out from the observation (with the tick's pushes at the first step) for the
 * ghosts and, when keep, records the predictions to score them later */
static void roll_out(ViewLive* L, const WmModel* model, WmScratch* scratch, const float* states, const uint8_t* mask,
                     const float* push_rows, bool keep) {
    int    K = L->K, D = L->D;
    size_t kd = (size_t)K * D;
    ViewRecord* r = &L->rec[L->tick % VIEW_HISTORY];
    r->valid    = false;
    L->has_roll = false;
    if (!model) return;
    /* every tick as far as the ghosts and the 0.5 s error need; now and then to the panel's end */
    int H = L->horizon > VIEW_ERR_TICKS ? L->horizon : VIEW_ERR_TICKS;
    int longest = view_horizons[VIEW_HZ_COUNT - 1];
    if (L->tick % VIEW_LONG_EVERY == 0 && H < longest) H = longest;
    L->roll_len = H;
    memset(L->pushes, 0, sizeof(float) * (size_t)H * K * 4);
    if (push_rows) memcpy(L->pushes, push_rows, sizeof(float) * (size_t)K * 4);
    wm_rollout(model, scratch, 1, states, mask, L->pushes, H, L->roll, L->roll_mask, L->roll_events);
    /* (the pushes are the tick's alone, so the labels are wm_foresee's answer: H >= VIEW_ERR_TICKS, 30) */
    wm_foresight(model, 1, states, mask, H, L->roll_mask, L->roll_events, L->foresight);
    for (int k = 0; k < K; k++) L->roll_parent[k] = wm_rollout_parent(scratch, 0, k);
    L->has_roll = true;
    if (!keep) return;
    r->valid   = true;
    r->tick    = L->tick;
    r->episode = L->episode;
    r->segment = L->segment;
    r->horizon = L->horizon;
    r->depth   = H;
    memcpy(r->state, states, kd * sizeof(float));
    memcpy(r->mask, mask, (size_t)K);
    for (int i = 0; i <= VIEW_HZ_COUNT; i++) {
        int h = i < VIEW_HZ_COUNT ? view_horizons[i] : L->horizon;
        if (h > H) continue;
        const float* step = L->roll + (size_t)(h - 1) * kd;
        for (int k = 0; k < K; k++) {
            float x = step[(size_t)k * D + SIM_OBS_x], y = step[(size_t)k * D + SIM_OBS_y];
            float ang = (float)atan2(step[(size_t)k * D + SIM_OBS_sin], step[(size_t)k * D + SIM_OBS_cos]);
            if (mask[k] && !L->roll_mask[(size_t)(h - 1) * K + k]) {
                /* shattered in imagination by then: its pieces' centre of mass, as eval scores a
                 * break (or where it was last whole, when no piece found a slot) */
                float xy[2];
                int last = h - 1;
                while (last > 0 && !L->roll_mask[(size_t)(last - 1) * K + k]) last--;
                const float* whole = last > 0 ? L->roll + (size_t)(last - 1) * kd + (size_t)k * D : states + (size_t)k * D;
                bool pieces = wm_pieces_centre(step, L->roll_mask + (size_t)(h - 1) * K, L->roll_parent, K, k, xy);
                x = pieces ? xy[0] : whole[SIM_OBS_x];
                y = pieces ? xy[1] : whole[SIM_OBS_y];
                ang = (float)atan2(whole[SIM_OBS_sin], whole[SIM_OBS_cos]);
            }
            r->pred[((size_t)i * K + k) * 2]     = x;
            r->pred[((size_t)i * K + k) * 2 + 1] = y;
            if (i == VIEW_HZ_COUNT) r->pred_angle[k] = ang;
        }
    }
}

void view_live_predict_now(ViewLive* L, const WmModel* model, WmScratch* scratch, const float* states,
                           const uint8_t* mask) {
    memcpy(L->states, states, sizeof(float) * (size_t)L->K * L->D);
    memcpy(L->mask, mask, (size_t)L->K);
    memset(L->past_valid, 0, (size_t)L->K);
    roll_out(L, model, scratch, states, mask, NULL, false);
}

void view_live_tick(ViewLive* L, const WmModel* model, WmScratch* scratch, const float* states,
                    const uint8_t* mask, const float* push_rows, bool intervened) {
    int    K = L->K, D = L->D;
    size_t kd = (size_t)K * D;
    memcpy(L->states, states, kd * sizeof(float));
    memcpy(L->mask, mask, (size_t)K);

    /* the surprise trace gets a value (or a gap) every tick, and a mark at interventions */
    float surprise = NAN;
    bool  mark = L->mark_next || intervened;
    L->mark_next = false;

    /* compare the predictions made h ticks ago with now */
    L->err05_valid = false;
    for (int i = 0; i < VIEW_HZ_COUNT; i++) {
        int         h = view_horizons[i];
        ViewRecord* r = record_ago(L, h);
        double      e, c;
        if (!r || r->depth < h || !compare(L, r, i, h, states, mask, &e, &c)) continue;
        if (!L->err_seen[i]) {
            L->err_ema[i] = e, L->cv_ema[i] = c, L->err_seen[i] = true;
        } else {
            L->err_ema[i] += EMA_ALPHA * (e - L->err_ema[i]);
            L->cv_ema[i] += EMA_ALPHA * (c - L->cv_ema[i]);
        }
        if (h == VIEW_ERR_TICKS) {
            L->err05_valid = true, L->err05 = e, L->cv_err05 = c;
            L->sum_err05 += e, L->sum_cv05 += c, L->n_err05++;
        }
    }
    /* surprise: the model's at the transition from the last tick's start to this one */
    for (int k = 0; k < K; k++) L->surprise[k] = NAN;
    if (L->has_prev && model) {
        if (!L->src) L->src = surprise_source_state(model);
        surprise_source_state_use(L->src, model);
        SurpriseTick t = {K, L->prev_states, L->prev_mask, L->prev_pushes, states, mask, NULL, NULL, L->bounds};
        surprise = (float)L->src->tick(L->src->self, &t, L->surprise);
    } else if (L->src) {
        L->src->reset(L->src->self);   /* an intervention: the model's history of this world is void */
    }
    const float* fate = L->src && L->has_prev && model && L->src->fate ? L->src->fate(L->src->self) : NULL;
    for (int k = 0; k < K; k++) {
        float g = mask[k] ? (float)surprise_glow(L->surprise[k], fate ? fate[k] : NAN) : 0.0f;
        L->glow[k] = g > 0.92f * L->glow[k] ? g : 0.92f * L->glow[k];
    }
    memcpy(L->prev_states, states, kd * sizeof(float));
    memcpy(L->prev_mask, mask, (size_t)K);
    if (push_rows) memcpy(L->prev_pushes, push_rows, sizeof(float) * (size_t)K * 4);
    else memset(L->prev_pushes, 0, sizeof(float) * (size_t)K * 4);
    L->has_prev = !intervened || L->magic_only;
    L->magic_only = false;
    L->trace[L->ntrace % VIEW_TRACE] = surprise;
    L->trace_mark[L->ntrace % VIEW_TRACE] = mark;
    L->ntrace++;

    /* the prediction made one ghost horizon ago, per body */
    memset(L->past_valid, 0, (size_t)K);
    ViewRecord* past = record_ago(L, L->horizon);
    if (past && past->horizon == L->horizon && past->depth >= L->horizon) {
        for (int k = 0; k < K; k++) {
            if (!dynamic_slot(past->state, past->mask, k, D) || !mask[k]) continue;
            const float* p  = past->pred + ((size_t)VIEW_HZ_COUNT * K + k) * 2;
            double       ex = p[0] - states[(size_t)k * D + SIM_OBS_x];
            double       ey = p[1] - states[(size_t)k * D + SIM_OBS_y];
            L->past_valid[k]       = 1;
            L->past_pose[3 * k]     = p[0];
            L->past_pose[3 * k + 1] = p[1];
            L->past_pose[3 * k + 2] = past->pred_angle[k];
            L->past_err[k]          = (float)sqrt(ex * ex + ey * ey);
        }
    }

    /* what comes after an intervention is not compared with what was predicted before it; a
     * prediction from the start of an intervening tick is not compared at all */
    if (intervened) {
        L->segment++;
        if (L->imag_on) L->imag_pending = true;
    }
    roll_out(L, model, scratch, states, mask, push_rows, !intervened);

    /* the imagination takes the same push and steps on its own */
    if (L->imag_pending) {
        memcpy(L->imag, states, kd * sizeof(float));
        memcpy(L->imag_mask, mask, (size_t)K);
        L->imag_pending = false;
        L->imag_on      = true;
    }
    if (L->imag_on && model) {
        /* the imagined world feels the pushes on the bodies it still has */
        float* pr = NULL;
        if (push_rows) {
            pr = L->pushes;
            for (int k = 0; k < K; k++)
                for (int c = 0; c < 4; c++) pr[(size_t)k * 4 + c] = L->imag_mask[k] ? push_rows[(size_t)k * 4 + c] : 0.0f;
        }
        wm_predict(model, scratch, 1, L->imag, L->imag_mask, pr, L->imag_next, L->imag_mask, NULL);
        memcpy(L->imag, L->imag_next, kd * sizeof(float));
    }
    L->tick++;
}

void view_live_imagine_from_now(ViewLive* L) {
    L->imag_pending = true;
}

bool view_live_take_second(ViewLive* L, double* err05, double* cv_err05) {
    bool ok = L->n_err05 > 0;
    if (ok) {
        *err05    = L->sum_err05 / L->n_err05;
        *cv_err05 = L->sum_cv05 / L->n_err05;
    }
    L->sum_err05 = L->sum_cv05 = 0;
    L->n_err05   = 0;
    return ok;
}

bool view_live_predicted(const ViewLive* L, int k, int step, double* x, double* y, double* angle) {
    if (!L->has_roll || k < 0 || k >= L->K || step < 1 || step > L->roll_len || !L->mask[k]) return false;
    /* a body the imagination has shattered by then has no pose of its own (its slot is empty) */
    if (!L->roll_mask[(size_t)(step - 1) * L->K + k]) return false;
    const float* s = L->roll + ((size_t)(step - 1) * L->K + k) * L->D;
    *x     = s[SIM_OBS_x];
    *y     = s[SIM_OBS_y];
    *angle = atan2(s[SIM_OBS_sin], s[SIM_OBS_cos]);
    return isfinite(*x) && isfinite(*y) && isfinite(*angle);
}

void view_live_need_rect(const ViewLive* L, const SimWorld* w, const double bounds[4], const SimBodyState* bodies,
                         const uint8_t* known, bool ghosts, bool imagined, double r[4]) {
    int n = sim_world_id_count(w);
    for (int id = 0; id < n; id++) {
        SimBodyState b;
        if (!sim_world_body(w, id, &b) || !b.alive || b.is_static) continue;
        render_rect_add(r, b.x, b.y, 0.5 * hypot(b.w, b.h));
    }
    if (!L) return;
    for (int k = 0; k < L->K; k++) {
        if (!known[k] || bodies[k].is_static) continue;
        double half = 0.5 * hypot(bodies[k].w, bodies[k].h), x, y, ang;
        if (ghosts && view_live_predicted(L, k, L->horizon, &x, &y, &ang))
            render_rect_add(r, fmin(fmax(x, bounds[0]), bounds[2]), fmin(fmax(y, bounds[1]), bounds[3]), half);
        if (imagined && L->imag_on && L->imag_mask[k] && L->imag[(size_t)k * L->D + SIM_OBS_is_static] < 0.5f) {
            x = L->imag[(size_t)k * L->D + SIM_OBS_x], y = L->imag[(size_t)k * L->D + SIM_OBS_y];
            render_rect_add(r, fmin(fmax(x, bounds[0]), bounds[2]), fmin(fmax(y, bounds[1]), bounds[3]), half);
        }
    }
}
