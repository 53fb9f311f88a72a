/* model_check: a scenario's model expectations judged with a world model */
#include "agent/model_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "sim/observation.h"

struct ModelCheck {
    const Episode* e;
    const WmModel* m;
    WmScratch*     scratch;
    SurpriseWatch  watch;
    int            K;
    double         tick;      /* s per control tick */
    int64_t        n, cap;    /* ticks recorded */
    float*         states;    /* [cap * K * D] the observation at each tick's start */
    uint8_t*       mask;      /* [cap * K] */
    float*         pushes;    /* [cap * K * 4] the pushes each tick applied */
    float*         body;      /* [cap * K] the tick's surprise per slot (NaN: none) */
    double*        world;     /* [cap] */
    float*         fate;      /* [cap * K] its fate part per slot (NaN: none) */
    double*        world_fate;/* [cap] */
};

static void record_hook(void* ctx, const Episode* e) {
    ModelCheck* c = ctx;
    if (e->applied.flags & SIM_ACT_RESET) return;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        size_t K = (size_t)c->K;
        c->states = alloc_resize(c->states, (size_t)c->cap * K * SIM_OBS_DIM, sizeof *c->states);
        c->mask = alloc_resize(c->mask, (size_t)c->cap * K, 1);
        c->pushes = alloc_resize(c->pushes, (size_t)c->cap * K * WM_PUSH_DIM, sizeof *c->pushes);
        c->body = alloc_resize(c->body, (size_t)c->cap * K, sizeof *c->body);
        c->world = alloc_resize(c->world, (size_t)c->cap, sizeof *c->world);
        c->fate = alloc_resize(c->fate, (size_t)c->cap * K, sizeof *c->fate);
        c->world_fate = alloc_resize(c->world_fate, (size_t)c->cap, sizeof *c->world_fate);
    }
    size_t K = (size_t)c->K, i = (size_t)c->n;
    memcpy(c->states + i * K * SIM_OBS_DIM, e->states, sizeof(float) * K * SIM_OBS_DIM);
    memcpy(c->mask + i * K, e->mask, K);
    float* p = c->pushes + i * K * WM_PUSH_DIM;
    memset(p, 0, sizeof(float) * K * WM_PUSH_DIM);
    sim_action_add_rows(&e->applied, p, c->K);
    memcpy(c->body + i * K, c->watch.body, sizeof(float) * K);
    c->world[i] = c->watch.scored ? c->watch.world : NAN;
    memcpy(c->fate + i * K, c->watch.fate, sizeof(float) * K);
    c->world_fate[i] = c->watch.scored ? c->watch.world_fate : NAN;
    c->n++;
}

ModelCheck* model_check_attach(Episode* e, const WmModel* m, SurpriseSource* src, char* err, size_t err_size) {
    if (!episode_model_check(&e->inst, m, err, err_size)) return NULL;
    ModelCheck* c = alloc_zeroed(1, sizeof *c);
    c->e = e;
    c->m = m;
    c->K = e->slots;
    c->tick = e->inst.world.dt * e->inst.world.steps_per_tick;
    c->scratch = wm_scratch_create(m);
    /* the watch first: the recorder reads what it scored in the same tick */
    if (!surprise_watch_attach(&c->watch, e, src, err, err_size)) {
        model_check_free(c);
        return NULL;
    }
    if (!episode_attach(e, record_hook, c, EPISODE_READS_OBS)) {
        report_set(err, err_size, "no room for the model's recorder");
        model_check_free(c);
        return NULL;
    }
    return c;
}

void model_check_free(ModelCheck* c) {
    if (!c) return;
    surprise_watch_free(&c->watch);
    wm_scratch_free(c->scratch);
    free(c->states);
    free(c->mask);
    free(c->pushes);
    free(c->body);
    free(c->world);
    free(c->fate);
    free(c->world_fate);
    free(c);
}

/* the control tick at time t (s), within the recorded ticks */
static int64_t tick_at(const ModelCheck* c, double t) {
    int64_t k = (int64_t)floor(t / c->tick + 0.5);
    return k < 0 ? 0 : k > c->n ? c->n : k;
}

/* rolls the model out from the observation at t0 to t with the run's pushes: out_states[H*K*D],
   out_mask[H*K] (a body the model shatters leaves its slot), out_events[H*K*WM_EVENTS]; returns H
   (0 when nothing was recorded at t0) */
static int rollout(ModelCheck* c, double t0, double t, float** out_states, uint8_t** out_mask, float** out_events) {
    int64_t k0 = tick_at(c, t0);
    if (k0 >= c->n) return 0;
    int H = (int)floor((t - t0) / c->tick + 0.5);
    if (H < 1) H = 1;
    size_t K = (size_t)c->K;
    float* pushes = alloc_zeroed((size_t)H * K * WM_PUSH_DIM, sizeof *pushes);
    for (int h = 0; h < H && k0 + h < c->n; h++)
        memcpy(pushes + (size_t)h * K * WM_PUSH_DIM, c->pushes + (size_t)(k0 + h) * K * WM_PUSH_DIM,
               sizeof(float) * K * WM_PUSH_DIM);
    *out_states = alloc_array((size_t)H * K * SIM_OBS_DIM, sizeof **out_states);
    *out_mask = alloc_array((size_t)H * K, sizeof **out_mask);
    *out_events = alloc_array((size_t)H * K * WM_EVENTS, sizeof **out_events);
    wm_rollout(c->m, c->scratch, 1, c->states + (size_t)k0 * K * SIM_OBS_DIM, c->mask + (size_t)k0 * K, pushes, H,
               *out_states, *out_mask, *out_events);
    free(pushes);
    return H;
}

static const char* op_str(ScnTestOp op) {
    static const char* const s[] = {"near", "<", "<=", ">", ">="};
    return s[op];
}

/* alarm BODY between T1 T2: the view's alarm (surprise_alarm) at the body in a tick ending in the
   window; alarm never: at no body in any scored tick. The detail names the first alarm, or the
   largest surprise and fate that stayed under it */
/* a surprise expectation's view of recorded tick k: the body's surprise and fate part (the world's
   for never); false for a tick that ends outside the body's window */
static bool tick_surprise(const ModelCheck* c, const ScnModelExpect* x, int64_t k, double* s, double* f) {
    size_t K = (size_t)c->K;
    if (x->kind != SCN_MODEL_SURPRISE) {
        *s = c->world[k], *f = c->world_fate[k];
        return true;
    }
    double t = (double)(k + 1) * c->tick;
    if (t < x->t0 - 1e-9 || t > x->t + 1e-9) return false;
    bool in = x->body >= 0 && (size_t)x->body < K;
    *s = in ? c->body[(size_t)k * K + (size_t)x->body] : NAN;
    *f = in ? c->fate[(size_t)k * K + (size_t)x->body] : NAN;
    return true;
}

static void judge_alarm(ModelCheck* c, const ScnModelExpect* x, ScnVerdict* v) {
    double most = NAN, fate = NAN, when = -1;
    bool scored = false;
    for (int64_t k = 0; k < c->n && when < 0; k++) {
        double t = (double)(k + 1) * c->tick, s, f;
        if (!tick_surprise(c, x, k, &s, &f)) continue;
        scored |= !isnan(s);
        if (surprise_alarm(s, f)) when = t;
        if (!isnan(s) && !(s <= most)) most = s;
        if (!isnan(f) && !(f <= fate)) fate = f;
    }
    bool alarm = when >= 0;
    v->pass = x->kind == SCN_MODEL_SURPRISE ? alarm : !alarm;
    if (!scored)
        snprintf(v->detail, sizeof v->detail, "no scored tick%s", x->kind == SCN_MODEL_SURPRISE ? " in the window" : "");
    else if (alarm)
        snprintf(v->detail, sizeof v->detail, "the alarm at %.3f s (surprise %.2f nats, fate %.2f; thresholds %.0f and %.2f)",
                 when, most, fate, SURPRISE_THRESHOLD, SURPRISE_FATE_THRESHOLD);
    else
        snprintf(v->detail, sizeof v->detail, "no alarm: largest surprise %.2f nats (threshold %.0f), largest fate %.2f (threshold %.2f)",
                 most, SURPRISE_THRESHOLD, fate, SURPRISE_FATE_THRESHOLD);
}

static void judge(ModelCheck* c, const ScnModelExpect* x, ScnVerdict* v) {
    size_t K = (size_t)c->K;
    v->skipped = false;
    v->pass = false;
    if (x->kind == SCN_MODEL_PREDICTS || x->kind == SCN_MODEL_FIELD) {
        if (x->body < 0 || (size_t)x->body >= K) {
            snprintf(v->detail, sizeof v->detail, "body %d is beyond the model's %d slots", x->body, c->K);
            return;
        }
        float *st = NULL, *ev = NULL;
        uint8_t* live = NULL;
        int H = rollout(c, x->t0, x->t, &st, &live, &ev);
        if (H == 0 || !c->mask[(size_t)tick_at(c, x->t0) * K + (size_t)x->body]) {
            snprintf(v->detail, sizeof v->detail, "the body is not in the world at %.3f s to roll out from", x->t0);
            free(st);
            free(live);
            free(ev);
            return;
        }
        if (x->kind == SCN_MODEL_PREDICTS) {
            double p = 0;
            const double* b = c->e->inst.world.bounds;
            for (int h = 0; h < H; h++) {
                const float* s = st + ((size_t)h * K + (size_t)x->body) * SIM_OBS_DIM;
                if (!live[(size_t)h * K + (size_t)x->body]) {
                    /* the model shattered the body in imagination: it broke, for sure */
                    if (x->state == SCN_GOAL_BROKEN) p = 1;
                    break;
                }
                if (x->state < 0) {
                    if (s[SIM_OBS_x] < b[0] || s[SIM_OBS_y] < b[1] || s[SIM_OBS_x] > b[2] || s[SIM_OBS_y] > b[3]) p = 1;
                } else {
                    int head = x->state == SCN_GOAL_BROKEN ? WM_EVENT_BREAK : WM_EVENT_FALL;
                    double q = ev[((size_t)h * K + (size_t)x->body) * WM_EVENTS + (size_t)head];
                    if (q > p) p = q;
                }
            }
            v->pass = x->op == SCN_TEST_LT ? p < x->v : p > x->v;
            snprintf(v->detail, sizeof v->detail, "p = %.4f over a %d-tick rollout from %.3f s, wanted p %s %.4g", p, H,
                     x->t0, x->op == SCN_TEST_LT ? "<" : ">", x->v);
        } else if (!live[(size_t)(H - 1) * K + (size_t)x->body]) {
            snprintf(v->detail, sizeof v->detail, "the model shattered the body before %.3f s (from %.3f s): no %s to compare",
                     x->t0 + H * c->tick, x->t0, scn_field_name(x->field));
        } else {
            const float* s = st + ((size_t)(H - 1) * K + (size_t)x->body) * SIM_OBS_DIM;
            const float* s0 = c->states + (size_t)x->body * SIM_OBS_DIM;   /* at t = 0, for 'moved' */
            double value = scn_field_of(x->field, s[SIM_OBS_x], s[SIM_OBS_y], atan2(s[SIM_OBS_sin], s[SIM_OBS_cos]),
                                        s[SIM_OBS_vx], s[SIM_OBS_vy], s[SIM_OBS_omega], s0[SIM_OBS_x], s0[SIM_OBS_y]);
            v->pass = scn_test_holds(x->op, x->v, x->tol, value);
            if (x->op == SCN_TEST_NEAR)
                snprintf(v->detail, sizeof v->detail, "predicted %s = %.4f at %.3f s (from %.3f s), wanted %.4f +- %.4f",
                         scn_field_name(x->field), value, x->t0 + H * c->tick, x->t0, x->v, x->tol);
            else
                snprintf(v->detail, sizeof v->detail, "predicted %s = %.4f at %.3f s (from %.3f s), wanted %s %.4f",
                         scn_field_name(x->field), value, x->t0 + H * c->tick, x->t0, op_str(x->op), x->v);
        }
        free(st);
        free(live);
        free(ev);
        return;
    }
    if (x->of == SCN_OF_ALARM) {
        judge_alarm(c, x, v);
        return;
    }
    /* surprise (or its fate part): the largest in the window (the body's, or the world's for never) */
    bool fate = x->of == SCN_OF_FATE;
    double most = -INFINITY, when = 0;
    for (int64_t k = 0; k < c->n; k++) {
        double sk, fk;
        if (!tick_surprise(c, x, k, &sk, &fk)) continue;
        double s = fate ? fk : sk;
        if (!isnan(s) && s > most) most = s, when = (double)(k + 1) * c->tick;
    }
    if (most == -INFINITY) {
        snprintf(v->detail, sizeof v->detail, "no %s%s", fate ? "fate due" : "scored tick",
                 x->kind == SCN_MODEL_SURPRISE ? " in the window" : "");
        v->pass = x->kind == SCN_MODEL_SURPRISE_NEVER;
        return;
    }
    v->pass = x->kind == SCN_MODEL_SURPRISE_NEVER ? !(most > x->v) : scn_test_holds(x->op, x->v, x->tol, most);
    snprintf(v->detail, sizeof v->detail, "largest %s %.2f nats at %.3f s, wanted %s %.4g", fate ? "fate" : "surprise", most, when,
             x->kind == SCN_MODEL_SURPRISE_NEVER ? "<=" : op_str(x->op), x->v);
}

void model_check_finish(ModelCheck* c, ScnVerdict* v, int n) {
    const ScnInstance* inst = &c->e->inst;
    int j = 0;
    for (int i = 0; i < inst->nmodel; i++) {
        while (j < n && !(v[j].skipped && v[j].line == inst->model[i].line)) j++;
        if (j == n) return;
        judge(c, &inst->model[i], &v[j]);
        j++;
    }
}
