/* eval: rollouts from dataset states against the recorded future, for the model and baselines */
#include "model/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/nn.h"
#include "sim/observation.h"

#define D SIM_OBS_DIM
#define EVAL_BATCH 32

WmEvalDef wm_eval_def_default(void) {
    WmEvalDef d;
    d.first = 0;
    d.count = 0;
    d.horizon = 60;
    d.stride = 10;
    d.max_starts = 0;
    d.events = true;
    d.gravity = -9.81f;
    return d;
}

typedef struct Vec {
    float*  v;
    int64_t n, cap;
} Vec;

static void vec_push(Vec* a, float x) {
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 256;
        a->v = realloc(a->v, sizeof(float) * (size_t)a->cap);
        if (!a->v) abort();
    }
    a->v[a->n++] = x;
}

typedef struct Acc {
    Vec    pos;
    double sizes, angle;
} Acc;

static float wrap(float a) {
    while (a > (float)M_PI) a -= 2.0f * (float)M_PI;
    while (a < -(float)M_PI) a += 2.0f * (float)M_PI;
    return a;
}

/* resting bodies that stay: the rollout's drift at the end of the horizon */
static void score_rest(const WmDataset* d, int e, int t0, int H, const float* pred, Acc* rest) {
    int K = d->slots;
    if (t0 + H >= d->ticks) return;
    size_t i0 = wm_dataset_index(d, e, t0);
    const float* s0 = wm_dataset_states(d, e, t0);
    for (int k = 0; k < K; k++) {
        const float* b = s0 + (size_t)k * D;
        if (!d->mask[i0 + k] || b[SIM_OBS_is_static] > 0.5f || b[SIM_OBS_mass] <= 0) continue;
        if (hypotf(b[SIM_OBS_vx], b[SIM_OBS_vy]) >= 0.02f || fabsf(b[SIM_OBS_omega]) >= 0.1f) continue;
        bool stays = true;
        for (int h = 0; h <= H && stays; h++) {
            size_t it = wm_dataset_index(d, e, t0 + h) + k;
            const float* tr = d->states + it * D;
            const float* a = d->actions + it * WM_PUSH_DIM;
            stays = d->mask[it] && hypotf(tr[SIM_OBS_x] - b[SIM_OBS_x], tr[SIM_OBS_y] - b[SIM_OBS_y]) < 0.005f &&
                    (h == H || (a[0] == 0 && a[1] == 0));
        }
        if (!stays) continue;
        const float* p = pred + ((size_t)(H - 1) * K + k) * D;
        float drift = hypotf(p[SIM_OBS_x] - b[SIM_OBS_x], p[SIM_OBS_y] - b[SIM_OBS_y]);
        vec_push(&rest->pos, isfinite(drift) ? drift : 1e6f);
    }
}

/* scores one predicted rollout pred[H*K*D] from record (e, t0) */
static void score(const WmDataset* d, int e, int t0, int H, const float* pred, Acc* acc) {
    int K = d->slots;
    size_t i0 = wm_dataset_index(d, e, t0);
    const float* s0 = wm_dataset_states(d, e, t0);
    for (int k = 0; k < K; k++) {
        const float* b = s0 + (size_t)k * D;
        if (!d->mask[i0 + k] || b[SIM_OBS_is_static] > 0.5f || b[SIM_OBS_mass] <= 0) continue;
        float size = fmaxf(b[SIM_OBS_size_w], b[SIM_OBS_size_h]);
        for (int h = 0; h < H && t0 + h + 1 < d->ticks; h++) {
            int t = t0 + h + 1;
            /* a body that broke or left has no truth to compare with */
            if (!d->mask[wm_dataset_index(d, e, t) + k]) break;
            const float* tr = wm_dataset_states(d, e, t) + (size_t)k * D;
            const float* p = pred + ((size_t)h * K + k) * D;
            float err = hypotf(p[SIM_OBS_x] - tr[SIM_OBS_x], p[SIM_OBS_y] - tr[SIM_OBS_y]);
            float ang = fabsf(wrap(atan2f(p[SIM_OBS_sin], p[SIM_OBS_cos]) -
                                   atan2f(tr[SIM_OBS_sin], tr[SIM_OBS_cos])));
            if (!isfinite(err)) err = 1e6f;
            vec_push(&acc[h].pos, err);
            acc[h].sizes += err / (size > 0 ? size : 1.0f);
            acc[h].angle += isfinite(ang) ? ang : (float)M_PI;
        }
    }
}

static void finish(Acc* acc, int H, WmErrStats* out) {
    for (int h = 0; h < H; h++) {
        WmErrStats* s = &out[h];
        Vec* v = &acc[h].pos;
        s->n = v->n;
        double sum = 0;
        for (int64_t i = 0; i < v->n; i++) sum += v->v[i];
        s->mean = v->n ? sum / v->n : NAN;
        s->mean_sizes = v->n ? acc[h].sizes / v->n : NAN;
        s->angle_mean = v->n ? acc[h].angle / v->n : NAN;
        s->median = wm_quantile(v->v, v->n, 0.5);
        s->p90 = wm_quantile(v->v, v->n, 0.9);
        free(v->v);
    }
}

static void score_events(const WmModel* m, const WmDataset* d, int first, int count,
                         WmEventStats* out) {
    int K = d->slots, T = d->ticks;
    WmScratch* s = wm_scratch_create(m);
    Vec sc[WM_EVENTS] = {{0}};
    uint8_t* lab[WM_EVENTS] = {NULL};
    int64_t nl = 0, capl = 0;
    float* probs = malloc(sizeof(float) * EVAL_BATCH * K * WM_EVENTS);
    float* next = malloc(sizeof(float) * EVAL_BATCH * K * D);
    float* st = malloc(sizeof(float) * EVAL_BATCH * K * D);
    uint8_t* mk = malloc((size_t)EVAL_BATCH * K);
    float* pu = malloc(sizeof(float) * EVAL_BATCH * K * WM_PUSH_DIM);
    int be[EVAL_BATCH], bt[EVAL_BATCH], nb = 0;
    for (int e = first; e < first + count; e++) {
        for (int t = 0; t + 1 < T; t++) {
            size_t i = wm_dataset_index(d, e, t);
            memcpy(st + (size_t)nb * K * D, d->states + i * D, sizeof(float) * K * D);
            memcpy(mk + (size_t)nb * K, d->mask + i, (size_t)K);
            memcpy(pu + (size_t)nb * K * WM_PUSH_DIM, d->actions + i * WM_PUSH_DIM, sizeof(float) * K * WM_PUSH_DIM);
            be[nb] = e, bt[nb] = t, nb++;
            bool last = e == first + count - 1 && t + 2 == T;
            if (nb < EVAL_BATCH && !last) continue;
            wm_predict(m, s, nb, st, mk, pu, next, probs);
            for (int b = 0; b < nb; b++) {
                size_t ib = wm_dataset_index(d, be[b], bt[b]);
                for (int k = 0; k < K; k++) {
                    const float* row = st + ((size_t)b * K + k) * D;
                    if (!mk[b * K + k] || row[SIM_OBS_is_static] > 0.5f || row[SIM_OBS_mass] <= 0) continue;
                    /* labels: break / fall within the horizon, contact at the next record */
                    uint8_t y[WM_EVENTS] = {0};
                    y[WM_EVENT_CONTACT] = d->contacts[ib + K + k] != 0;
                    for (int h = 1; h <= WM_EVENT_HORIZON && bt[b] + h < T; h++) {
                        uint8_t bits = d->bits[ib + (size_t)h * K + k];
                        if (bits & WM_BIT_BREAK) y[WM_EVENT_BREAK] = 1;
                        if (bits & WM_BIT_FALL) y[WM_EVENT_FALL] = 1;
                    }
                    if (nl == capl) {
                        capl = capl ? capl * 2 : 4096;
                        for (int q = 0; q < WM_EVENTS; q++) lab[q] = realloc(lab[q], (size_t)capl);
                    }
                    for (int q = 0; q < WM_EVENTS; q++) {
                        vec_push(&sc[q], probs[((size_t)b * K + k) * WM_EVENTS + q]);
                        lab[q][nl] = y[q];
                    }
                    nl++;
                }
            }
            nb = 0;
        }
    }
    for (int q = 0; q < WM_EVENTS; q++) {
        WmEventStats* o = &out[q];
        o->n = nl;
        o->positives = 0;
        int64_t right = 0;
        for (int64_t i = 0; i < nl; i++) {
            o->positives += lab[q][i];
            right += (sc[q].v[i] >= 0.5f) == (lab[q][i] != 0);
        }
        o->accuracy = nl ? (double)right / nl : NAN;
        o->auroc = wm_auroc(sc[q].v, lab[q], nl);
        free(sc[q].v);
        free(lab[q]);
    }
    free(probs);
    free(next);
    free(st);
    free(mk);
    free(pu);
    wm_scratch_free(s);
}

bool wm_evaluate(const WmModel* m, const WmDataset* d, const WmEvalDef* def, WmEvalResult* res) {
    memset(res, 0, sizeof *res);
    int K = d->slots, T = d->ticks, H = def->horizon;
    int first = def->first, count = def->count > 0 ? def->count : d->episodes - first;
    if (H < 1 || first < 0 || first + count > d->episodes || count < 1) return false;
    res->horizon = H;
    Acc* acc[WM_METHODS];
    for (int q = 0; q < WM_METHODS; q++) acc[q] = calloc((size_t)H, sizeof(Acc));
    float dt = wm_arch(m)->dt;
    WmScratch* s = wm_scratch_create(m);
    size_t world = (size_t)K * D;
    float* st = malloc(sizeof(float) * EVAL_BATCH * world);
    uint8_t* mk = malloc((size_t)EVAL_BATCH * K);
    float* pu = calloc((size_t)EVAL_BATCH * H * K * WM_PUSH_DIM, sizeof(float));
    float* pred = malloc(sizeof(float) * EVAL_BATCH * H * world);
    float* base = malloc(sizeof(float) * H * world);
    int be[EVAL_BATCH], bt[EVAL_BATCH], nb = 0;
    int stride = def->stride > 0 ? def->stride : 1;
    int64_t starts = 0;
    Acc rest = {0};
    for (int e = first; e < first + count; e++) {
        for (int t0 = 0; t0 + 1 < T; t0 += stride) {
            if (def->max_starts > 0 && starts >= def->max_starts) break;
            starts++;
            size_t i = wm_dataset_index(d, e, t0);
            memcpy(st + nb * world, d->states + i * D, sizeof(float) * world);
            memcpy(mk + (size_t)nb * K, d->mask + i, (size_t)K);
            float* pb = pu + (size_t)nb * H * K * WM_PUSH_DIM;
            memset(pb, 0, sizeof(float) * (size_t)H * K * WM_PUSH_DIM);
            for (int h = 0; h < H && t0 + h < T; h++)
                memcpy(pb + (size_t)h * K * WM_PUSH_DIM, d->actions + wm_dataset_index(d, e, t0 + h) * WM_PUSH_DIM,
                       sizeof(float) * K * WM_PUSH_DIM);
            be[nb] = e, bt[nb] = t0, nb++;
            /* baselines one start at a time (cheap) */
            wm_baseline_const_vel(K, dt, d->states + i * D, d->mask + i, pb, H, base);
            score(d, e, t0, H, base, acc[WM_METHOD_CONST_VEL]);
            wm_baseline_ballistic(K, dt, def->gravity, d->states + i * D, d->mask + i, pb, H, base);
            score(d, e, t0, H, base, acc[WM_METHOD_BALLISTIC]);
            if (nb < EVAL_BATCH) continue;
            wm_rollout(m, s, nb, st, mk, pu, H, pred, NULL);
            for (int b = 0; b < nb; b++) {
                score(d, be[b], bt[b], H, pred + (size_t)b * H * world, acc[WM_METHOD_MODEL]);
                score_rest(d, be[b], bt[b], H, pred + (size_t)b * H * world, &rest);
            }
            nb = 0;
        }
    }
    if (nb > 0) {
        wm_rollout(m, s, nb, st, mk, pu, H, pred, NULL);
        for (int b = 0; b < nb; b++) {
            score(d, be[b], bt[b], H, pred + (size_t)b * H * world, acc[WM_METHOD_MODEL]);
            score_rest(d, be[b], bt[b], H, pred + (size_t)b * H * world, &rest);
        }
    }
    finish(&rest, 1, &res->rest);
    res->rollouts = starts;
    for (int q = 0; q < WM_METHODS; q++) {
        res->err[q] = calloc((size_t)H, sizeof(WmErrStats));
        finish(acc[q], H, res->err[q]);
        free(acc[q]);
    }
    free(st);
    free(mk);
    free(pu);
    free(pred);
    free(base);
    wm_scratch_free(s);
    if (def->events) score_events(m, d, first, count, res->events);
    else
        for (int q = 0; q < WM_EVENTS; q++) res->events[q].auroc = res->events[q].accuracy = NAN;
    return res->err[WM_METHOD_MODEL][0].n > 0;
}

void wm_eval_free(WmEvalResult* res) {
    for (int q = 0; q < WM_METHODS; q++) free(res->err[q]);
    memset(res, 0, sizeof *res);
}
