/* eval: rollouts from dataset states against the recorded future, for the model and baselines */
#include "model/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "model/nn.h"
#include "model/wm_impl.h"
#include "sim/observation.h"
#include "sim/shape.h"

#define D SIM_OBS_DIM
#define EVAL_BATCH 32

WmEvalDef wm_eval_def_default(void) {
    WmEvalDef d;
    d.first = 0;
    d.count = 0;
    d.horizon = 240;
    d.stride = 10;
    d.max_starts = 0;
    d.events = true;
    d.gravity = -9.81f;
    return d;
}

const char* wm_subset_name(WmSubset s) {
    static const char* names[WM_SUBSETS] = {"all", "moving", "fall", "break", "resting"};
    return s >= 0 && s < WM_SUBSETS ? names[s] : "?";
}

/* one (subset, method, horizon) cell being filled */
typedef struct Acc {
    WmFloats pos;
    double   sizes, angle;
    int64_t  nangle, nsink;
} Acc;

static float wrap(float a) {
    while (a > (float)M_PI) a -= 2.0f * (float)M_PI;
    while (a < -(float)M_PI) a += 2.0f * (float)M_PI;
    return a;
}

/* ---- the truth ---- */

/* parent[k] of every slot of episode e: the body a shard came from (-1 for the others). A break
   marks record t; the shards are the slots that appear at t (each goes to the nearest body that
   broke there, when two broke in the same interval) */
static void episode_parents(const WmDataset* d, int e, int* parent) {
    int K = d->slots;
    for (int k = 0; k < K; k++) parent[k] = -1;
    for (int t = 1; t < d->ticks; t++) {
        size_t i = wm_dataset_index(d, e, t), ip = wm_dataset_index(d, e, t - 1);
        bool any = false;
        for (int a = 0; a < K && !any; a++) any = (d->bits[i + a] & WM_BIT_BREAK) != 0;
        if (!any) continue;
        for (int s = 0; s < K; s++) {
            const float* row = d->states + (i + s) * D;
            if (!d->mask[i + s] || d->mask[ip + s] || row[SIM_OBS_kind_shard] < 0.5f) continue;
            float best = INFINITY;
            for (int a = 0; a < K; a++) {
                if (!(d->bits[i + a] & WM_BIT_BREAK)) continue;
                const float* pa = d->states + (ip + a) * D;
                float dist = hypotf(pa[SIM_OBS_x] - row[SIM_OBS_x], pa[SIM_OBS_y] - row[SIM_OBS_y]);
                if (dist < best) best = dist, parent[s] = a;
            }
        }
    }
}

/* body k's truth at record t: its own pose, or once broken the centre of mass of its shards
   (angle NaN); false when it has none (gone out of bounds, or all its shards are) */
static bool truth_at(const WmDataset* d, int e, int t, int k, const int* parent, float out[3]) {
    int K = d->slots;
    size_t i = wm_dataset_index(d, e, t);
    if (d->mask[i + k]) {
        const float* row = d->states + (i + k) * D;
        out[0] = row[SIM_OBS_x];
        out[1] = row[SIM_OBS_y];
        out[2] = atan2f(row[SIM_OBS_sin], row[SIM_OBS_cos]);
        return true;
    }
    if (!wm_pieces_centre(d->states + i * D, d->mask + i, parent, K, k, out)) return false;
    out[2] = NAN;
    return true;
}

/* the true track of one body over a rollout from t0: position and angle at t0 + h (h = 0..last)
   and, per horizon, the subsets it belongs to (bit s = WmSubset s) */
typedef struct Track {
    int      slot, last;
    float    size;
    float*   truth;     /* [(H+1) * 3]: x, y, angle (NaN once broken) */
    uint8_t* member;    /* [H+1] */
} Track;

static bool track_body(const WmDataset* d, int e, int t0, int H, int k, const int* parent, Track* tr) {
    size_t i0 = wm_dataset_index(d, e, t0);
    const float* b = d->states + (i0 + k) * D;
    if (!d->mask[i0 + k] || b[SIM_OBS_is_static] > 0.5f || b[SIM_OBS_mass] <= 0) return false;
    tr->slot = k;
    tr->last = 0;
    tr->size = fmaxf(b[SIM_OBS_size_w], b[SIM_OBS_size_h]);
    bool rest0 = hypotf(b[SIM_OBS_vx], b[SIM_OBS_vy]) < 0.02f && fabsf(b[SIM_OBS_omega]) < 0.1f;
    bool fell = false, broke = false, pushed = false;
    float moved = 0;
    for (int h = 1; h <= H && t0 + h < d->ticks; h++) {
        size_t it = wm_dataset_index(d, e, t0 + h), ip = wm_dataset_index(d, e, t0 + h - 1);
        /* the events between records t0+h-1 and t0+h mark record t0+h; the push after t0+h-1 */
        uint8_t bits = d->bits[it + k];
        fell = fell || (bits & WM_BIT_FALL);
        broke = broke || (bits & WM_BIT_BREAK);
        const float* a = d->actions + (ip + k) * WM_PUSH_DIM;
        pushed = pushed || a[0] != 0 || a[1] != 0;
        float* tp = tr->truth + (size_t)h * 3;
        if (!truth_at(d, e, t0 + h, k, parent, tp)) break;
        moved = fmaxf(moved, hypotf(tp[0] - b[SIM_OBS_x], tp[1] - b[SIM_OBS_y]));
        uint8_t m = 1u << WM_SUBSET_ALL;
        if (moved > WM_EVAL_MOVING_M) m |= 1u << WM_SUBSET_MOVING;
        if (fell) m |= 1u << WM_SUBSET_FALL;
        if (broke) m |= 1u << WM_SUBSET_BREAK;
        if (rest0 && !pushed && moved <= WM_EVAL_STILL_M) m |= 1u << WM_SUBSET_RESTING;
        tr->member[h] = m;
        tr->last = h;
    }
    return tr->last > 0;
}

/* the static bodies of a start, for the sink check */
typedef struct Statics {
    int       n;
    SimShape* shape;        /* [K] */
    double (*box)[4];       /* [K] */
} Statics;

static void statics_collect(const float* states, const uint8_t* mask, int K, Statics* out) {
    out->n = 0;
    for (int k = 0; k < K; k++) {
        const float* row = states + (size_t)k * D;
        if (!mask[k] || row[SIM_OBS_is_static] < 0.5f || !sim_obs_shape(row, &out->shape[out->n])) continue;
        sim_shape_bounds(&out->shape[out->n], out->box[out->n]);
        out->n++;
    }
}

/* a predicted row sinks when its shape is more than WM_EVAL_SINK_M inside a static body's; a rollout
   that sank once counts as sunk from then on (it passed into the body, even if it came out below) */
static bool sinks(const float* row, const Statics* st) {
    SimShape sh;
    if (!sim_obs_shape(row, &sh)) return false;
    double b[4];
    sim_shape_bounds(&sh, b);
    for (int i = 0; i < st->n; i++) {
        const double* o = st->box[i];
        if (b[0] > o[2] - WM_EVAL_SINK_M || o[0] > b[2] - WM_EVAL_SINK_M || b[1] > o[3] - WM_EVAL_SINK_M ||
            o[1] > b[3] - WM_EVAL_SINK_M)
            continue;
        if (sim_shape_penetration(&sh, &st->shape[i]) > WM_EVAL_SINK_M) return true;
    }
    return false;
}

/* the prediction of body k, h+1 ticks ahead, into out[3] (x, y, angle; angle NaN once broken), and
   whether it has sunk into a static body: its row while its slot is live; once the rollout shattered
   it, the centre of mass of its imagined pieces (as the truth of a broken body is its shards' centre
   of mass), sunk when a piece has. pmask NULL: the slot is always live (the baselines). False when
   there is nothing to compare */
static bool pred_at(const float* pred, const uint8_t* pmask, const int* parent, int K, int h, int k,
                    const Statics* st, float out[3], bool* sunk) {
    const float* step = pred + (size_t)h * K * D;
    if (!pmask || pmask[(size_t)h * K + k]) {
        const float* p = step + (size_t)k * D;
        out[0] = p[SIM_OBS_x];
        out[1] = p[SIM_OBS_y];
        out[2] = atan2f(p[SIM_OBS_sin], p[SIM_OBS_cos]);
        *sunk = sinks(p, st);
        return true;
    }
    *sunk = false;
    for (int j = 0; j < K; j++)
        if (pmask[(size_t)h * K + j] && wm_piece_of(parent, j, k)) *sunk = *sunk || sinks(step + (size_t)j * D, st);
    if (!wm_pieces_centre(step, pmask + (size_t)h * K, parent, K, k, out)) return false;
    out[2] = NAN;
    return true;
}

/* scores one predicted rollout pred[H*K*D] (live slots pmask[H*K] and the pieces' parents parent[K];
   both NULL for a baseline, whose slots never change) against the tracks of its start */
static void score(const Track* tracks, int n, int K, const Statics* st, const float* pred, const uint8_t* pmask,
                  const int* parent, Acc* acc[WM_SUBSETS]) {
    for (int j = 0; j < n; j++) {
        const Track* tr = &tracks[j];
        bool sunk = false;   /* once sunk, the rollout has passed into a static body */
        float last[3] = {NAN, NAN, NAN};
        for (int h = 1; h <= tr->last; h++) {
            float pp[3];
            bool in = false;
            /* a body whose imagined pieces all left keeps its last predicted place */
            if (pred_at(pred, pmask, parent, K, h - 1, tr->slot, st, pp, &in)) memcpy(last, pp, sizeof last);
            else memcpy(pp, last, sizeof last);
            const float* tp = tr->truth + (size_t)h * 3;
            float err = hypotf(pp[0] - tp[0], pp[1] - tp[1]);
            if (!isfinite(err)) err = 1e6f;
            bool whole = !isnan(tp[2]) && !isnan(pp[2]);
            float ang = 0;
            if (whole) {
                ang = fabsf(wrap(pp[2] - tp[2]));
                if (!isfinite(ang)) ang = (float)M_PI;
            }
            sunk = sunk || in;
            for (int s = 0; s < WM_SUBSETS; s++) {
                if (!(tr->member[h] & (1u << s))) continue;
                Acc* a = &acc[s][h - 1];
                wm_floats_push(&a->pos, err);
                a->sizes += err / (tr->size > 0 ? tr->size : 1.0f);
                if (whole) a->angle += ang, a->nangle++;
                a->nsink += sunk;
            }
        }
    }
}

/* the model's rollouts of a batch of starts (bodies may shatter in them) scored against their tracks */
static void score_model(const WmModel* m, WmScratch* s, int nb, const float* st, const uint8_t* mk, const float* pu,
                        int H, float* pred, uint8_t* pmask, int* pparent, const Track* tracks, const int* ntracks,
                        const Statics* statics, Acc* acc[WM_SUBSETS]) {
    int K = wm_arch(m)->slots;
    size_t world = (size_t)K * D;
    wm_rollout(m, s, nb, st, mk, pu, H, pred, pmask, NULL);
    for (int b = 0; b < nb; b++) {
        for (int k = 0; k < K; k++) pparent[k] = wm_rollout_parent(s, b, k);
        score(tracks + (size_t)b * K, ntracks[b], K, &statics[b], pred + (size_t)b * H * world,
              pmask + (size_t)b * H * K, pparent, acc);
    }
}

static void finish(Acc* acc, int H, WmErrStats* out) {
    for (int h = 0; h < H; h++) {
        WmErrStats* s = &out[h];
        WmFloats* v = &acc[h].pos;
        s->n = v->n;
        double sum = 0;
        for (int64_t i = 0; i < v->n; i++) sum += v->v[i];
        s->mean = v->n ? sum / v->n : NAN;
        s->mean_sizes = v->n ? acc[h].sizes / v->n : NAN;
        s->angle_mean = acc[h].nangle ? acc[h].angle / acc[h].nangle : NAN;
        s->sink = v->n ? (double)acc[h].nsink / v->n : NAN;
        s->median = wm_quantile(v->v, v->n, 0.5);
        s->p90 = wm_quantile(v->v, v->n, 0.9);
        free(v->v);
    }
}

static bool eval_at_rest(const float* b) {
    return hypotf(b[SIM_OBS_vx], b[SIM_OBS_vy]) < 0.02f && fabsf(b[SIM_OBS_omega]) < 0.1f;
}

/* AUROC and accuracy at 0.5 of the scores v against the labels y, over the records where use (may be
 * NULL: all) is set */
static void event_stats(const float* v, const uint8_t* y, const uint8_t* use, int64_t n, WmEventStats* o) {
    o->n = o->positives = 0;
    int64_t right = 0;
    for (int64_t i = 0; i < n; i++) {
        if (use && !use[i]) continue;
        o->n++;
        o->positives += y[i];
        right += (v[i] >= 0.5f) == (y[i] != 0);
    }
    o->accuracy = o->n ? (double)right / o->n : NAN;
    if (!use) {
        o->auroc = wm_auroc(v, y, n);
        return;
    }
    float* vs = alloc_array((size_t)(o->n ? o->n : 1), sizeof(float));
    uint8_t* ys = alloc_bytes((size_t)(o->n ? o->n : 1));
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (use[i]) vs[k] = v[i], ys[k++] = y[i];
    o->auroc = wm_auroc(vs, ys, k);
    free(vs);
    free(ys);
}

/* whether anything in episode e is pushed right after a record in (t, t + WM_EVENT_HORIZON): such a
 * push can cause an event that the labels of record t count (records t + 1 .. t + horizon) */
static bool pushed_later(const WmDataset* d, int e, int t) {
    int K = d->slots;
    for (int r = t + 1; r < t + WM_EVENT_HORIZON && r < d->ticks; r++) {
        const float* a = d->actions + wm_dataset_index(d, e, r) * WM_PUSH_DIM;
        for (int j = 0; j < K * WM_PUSH_DIM; j++)
            if (a[j] != 0) return true;
    }
    return false;
}

static void score_events(const WmModel* m, const WmDataset* d, int first, int count, WmEvalResult* res) {
    WmEventStats* out = res->events;
    WmEventStats* out_quiet = res->events_quiet;
    WmGateStats* gate = &res->gate;
    int K = d->slots, T = d->ticks;
    WmScratch* s = wm_scratch_create(m);
    WmFloats sc[WM_EVENTS] = {{0}};
    WmFloats fsc[WM_EVENTS] = {{0}};   /* the foresight's scores (break and fall) */
    WmScratch* fs = wm_scratch_create(m);
    float* fore = alloc_array((size_t)EVAL_BATCH * K * WM_EVENTS, sizeof(float));
    uint8_t* lab[WM_EVENTS] = {NULL};
    uint8_t* quiet = NULL;   /* [nl]: nothing pushed in the world after the record within the horizon */
    int64_t nl = 0, capl = 0;
    float* probs = alloc_array((size_t)EVAL_BATCH * K * WM_EVENTS, sizeof(float));
    float* next = alloc_array((size_t)EVAL_BATCH * K * D, sizeof(float));
    float* st = alloc_array((size_t)EVAL_BATCH * K * D, sizeof(float));
    uint8_t* mk = alloc_bytes((size_t)EVAL_BATCH * K);
    uint8_t* hold = alloc_bytes((size_t)EVAL_BATCH * K);
    float* rest_logit = alloc_array((size_t)EVAL_BATCH * K, sizeof(float));
    float* now_logit = alloc_array((size_t)EVAL_BATCH * K, sizeof(float));
    WmFloats nscore = {0};
    uint8_t* nlab = NULL;
    int64_t nn = 0, capn = 0;
    WmFloats gscore = {0};
    uint8_t* glab = NULL;
    int64_t ng = 0, capg = 0;
    float* pu = alloc_array((size_t)EVAL_BATCH * K * WM_PUSH_DIM, sizeof(float));
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
            wm_predict(m, s, nb, st, mk, pu, next, NULL, probs);
            /* the model's foresight from the same records and pushes (its own scratch: the
             * step's nodes in s are read below) */
            wm_foresee(m, fs, nb, st, mk, pu, fore);
            bool calm[EVAL_BATCH];
            for (int b = 0; b < nb; b++) calm[b] = !pushed_later(d, be[b], bt[b]);
            /* which bodies the rest gate held (the step's nodes are the batch's live slots) */
            memset(hold, 0, (size_t)nb * K);
            for (int i = 0; i < s->n; i++) {
                const float* pd;
                const float* o = wm_node_out(m, s, i, &pd);
                size_t q = (size_t)s->node_world[i] * K + s->node_slot[i];
                if (s->held[i]) hold[q] = 1;
                if (o) rest_logit[q] = o[WM_REST], now_logit[q] = o[WM_BREAK_NOW];
            }
            for (int b = 0; b < nb; b++) {
                size_t ib = wm_dataset_index(d, be[b], bt[b]);
                for (int k = 0; k < K; k++) {
                    const float* row = st + ((size_t)b * K + k) * D;
                    if (!mk[b * K + k] || row[SIM_OBS_is_static] > 0.5f || row[SIM_OBS_mass] <= 0) continue;
                    /* the rest gate: an unpushed body at rest, held or not, against the next record */
                    const float* a = pu + ((size_t)b * K + k) * WM_PUSH_DIM;
                    if (eval_at_rest(row) && a[0] == 0 && a[1] == 0 && d->mask[ib + K + k]) {
                        const float* tr = d->states + (ib + K + k) * D;
                        bool held = hold[(size_t)b * K + k] != 0;
                        if (ng == capg) {
                            capg = capg ? capg * 2 : 4096;
                            glab = alloc_resize(glab, (size_t)capg, 1);
                        }
                        wm_floats_push(&gscore, -rest_logit[(size_t)b * K + k]);
                        glab[ng++] = !eval_at_rest(tr);
                        if (eval_at_rest(tr)) {
                            gate->stays++;
                            gate->stays_released += !held;
                        } else {
                            gate->onsets++;
                            gate->onsets_held += held;
                            if (hypotf(tr[SIM_OBS_vx], tr[SIM_OBS_vy]) > 0.1f || fabsf(tr[SIM_OBS_omega]) > 0.5f) {
                                gate->hard++;
                                gate->hard_held += held;
                            }
                        }
                    }
                    /* labels: break / fall within the horizon, contact at the next record */
                    uint8_t y[WM_EVENTS] = {0};
                    y[WM_EVENT_CONTACT] = d->contacts[ib + K + k] != 0;
                    for (int h = 1; h <= WM_EVENT_HORIZON && bt[b] + h < T; h++) {
                        uint8_t bits = d->bits[ib + (size_t)h * K + k];
                        if (bits & WM_BIT_BREAK) y[WM_EVENT_BREAK] = 1;
                        if (bits & WM_BIT_FALL) y[WM_EVENT_FALL] = 1;
                    }
                    /* the break-now head of a breakable body: gone at the next record, broken */
                    if (row[SIM_OBS_breakable] > 0.5f) {
                        if (nn == capn) {
                            capn = capn ? capn * 2 : 4096;
                            nlab = alloc_resize(nlab, (size_t)capn, 1);
                        }
                        wm_floats_push(&nscore, nn_sigmoid(now_logit[(size_t)b * K + k]));
                        nlab[nn++] = !d->mask[ib + K + k] && (d->bits[ib + K + k] & WM_BIT_BREAK);
                    }
                    if (nl == capl) {
                        capl = capl ? capl * 2 : 4096;
                        for (int q = 0; q < WM_EVENTS; q++) lab[q] = alloc_resize(lab[q], (size_t)capl, 1);
                        quiet = alloc_resize(quiet, (size_t)capl, 1);
                    }
                    quiet[nl] = calm[b];
                    for (int q = 0; q < WM_EVENTS; q++) {
                        wm_floats_push(&sc[q], probs[((size_t)b * K + k) * WM_EVENTS + q]);
                        wm_floats_push(&fsc[q], fore[((size_t)b * K + k) * WM_EVENTS + q]);
                        lab[q][nl] = y[q];
                    }
                    nl++;
                }
            }
            nb = 0;
        }
    }
    for (int q = 0; q < WM_EVENTS; q++) {
        event_stats(sc[q].v, lab[q], NULL, nl, &out[q]);
        event_stats(sc[q].v, lab[q], quiet, nl, &out_quiet[q]);
        if (q == WM_EVENT_CONTACT) { /* (the next tick only: nothing to foresee) */
            memset(&res->events_foreseen[q], 0, sizeof res->events_foreseen[q]);
            res->events_foreseen[q].auroc = res->events_foreseen[q].accuracy = NAN;
            res->events_foreseen_quiet[q] = res->events_foreseen[q];
        } else {
            event_stats(fsc[q].v, lab[q], NULL, nl, &res->events_foreseen[q]);
            event_stats(fsc[q].v, lab[q], quiet, nl, &res->events_foreseen_quiet[q]);
        }
        free(sc[q].v);
        free(fsc[q].v);
        free(lab[q]);
    }
    free(fore);
    wm_scratch_free(fs);
    free(quiet);
    free(probs);
    free(next);
    free(st);
    event_stats(nscore.v, nlab, NULL, nn, &res->break_now);
    res->break_now_said = res->break_now_false = 0;
    for (int64_t i = 0; i < nn; i++) {
        res->break_now_said += nlab[i] && nscore.v[i] > 0.5f;
        res->break_now_false += !nlab[i] && nscore.v[i] > 0.5f;
    }
    /* (right where the rollout's rule, logit > 0, is: P = 1/2 says no break) */
    if (nn) res->break_now.accuracy = (double)(res->break_now_said + (nn - res->break_now.positives - res->break_now_false)) / nn;
    free(nscore.v);
    free(nlab);
    free(now_logit);
    gate->auroc = wm_auroc(gscore.v, glab, ng);
    free(gscore.v);
    free(glab);
    free(rest_logit);
    free(mk);
    free(hold);
    free(pu);
    wm_scratch_free(s);
}

bool wm_evaluate(const WmModel* m, const WmDataset* d, const WmEvalDef* def, WmEvalResult* res) {
    memset(res, 0, sizeof *res);
    int K = d->slots, T = d->ticks, H = def->horizon;
    int first = def->first, count = def->count > 0 ? def->count : d->episodes - first;
    if (H < 1 || first < 0 || first + count > d->episodes || count < 1) return false;
    res->horizon = H;
    res->episodes = count;
    Acc* acc[WM_METHODS][WM_SUBSETS];
    for (int q = 0; q < WM_METHODS; q++)
        for (int s = 0; s < WM_SUBSETS; s++) acc[q][s] = alloc_zeroed((size_t)H, sizeof(Acc));
    float dt = wm_arch(m)->dt;
    WmScratch* s = wm_scratch_create(m);
    size_t world = (size_t)K * D;
    float* st = alloc_array(EVAL_BATCH * world, sizeof(float));
    uint8_t* mk = alloc_bytes((size_t)EVAL_BATCH * K);
    float* pu = alloc_zeroed((size_t)EVAL_BATCH * H * K * WM_PUSH_DIM, sizeof(float));
    float* pred = alloc_array((size_t)EVAL_BATCH * H * world, sizeof(float));
    uint8_t* pmask = alloc_bytes((size_t)EVAL_BATCH * H * K);
    int* pparent = alloc_array((size_t)K, sizeof(int));
    float* base = alloc_array((size_t)H * world, sizeof(float));
    int* parent = alloc_array((size_t)K, sizeof(int));
    /* the tracks of the batch's starts: K per start */
    Track* tracks = alloc_zeroed((size_t)EVAL_BATCH * K, sizeof(Track));
    Statics statics[EVAL_BATCH];
    SimShape* shapes = alloc_array(EVAL_BATCH * (size_t)K, sizeof(SimShape));
    double(*boxes)[4] = alloc_array(EVAL_BATCH * (size_t)K, sizeof(double[4]));
    for (int b = 0; b < EVAL_BATCH; b++) {
        statics[b].shape = shapes + (size_t)b * K;
        statics[b].box = boxes + (size_t)b * K;
    }
    float* truth = alloc_array((size_t)EVAL_BATCH * K * (H + 1) * 3, sizeof(float));
    uint8_t* member = alloc_bytes((size_t)EVAL_BATCH * K * (H + 1));
    for (size_t j = 0; j < (size_t)EVAL_BATCH * K; j++) {
        tracks[j].truth = truth + j * (size_t)(H + 1) * 3;
        tracks[j].member = member + j * (size_t)(H + 1);
    }
    int ntracks[EVAL_BATCH], nb = 0;
    int stride = def->stride > 0 ? def->stride : 1;
    int64_t starts = 0;
    for (int e = first; e < first + count; e++) {
        episode_parents(d, e, parent);
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
            Track* tb = tracks + (size_t)nb * K;
            int n = 0;
            for (int k = 0; k < K; k++) n += track_body(d, e, t0, H, k, parent, &tb[n]);
            ntracks[nb] = n;
            statics_collect(d->states + i * D, d->mask + i, K, &statics[nb]);
            const Statics* sb = &statics[nb++];
            /* baselines one start at a time (cheap) */
            wm_baseline_const_vel(K, dt, d->states + i * D, d->mask + i, pb, H, base);
            score(tb, n, K, sb, base, NULL, NULL, acc[WM_METHOD_CONST_VEL]);
            wm_baseline_ballistic(K, dt, def->gravity, d->states + i * D, d->mask + i, pb, H, base);
            score(tb, n, K, sb, base, NULL, NULL, acc[WM_METHOD_BALLISTIC]);
            if (nb < EVAL_BATCH) continue;
            score_model(m, s, nb, st, mk, pu, H, pred, pmask, pparent, tracks, ntracks, statics, acc[WM_METHOD_MODEL]);
            nb = 0;
        }
    }
    if (nb > 0) score_model(m, s, nb, st, mk, pu, H, pred, pmask, pparent, tracks, ntracks, statics, acc[WM_METHOD_MODEL]);
    res->rollouts = starts;
    for (int sub = 0; sub < WM_SUBSETS; sub++)
        for (int q = 0; q < WM_METHODS; q++) {
            res->err[sub][q] = alloc_zeroed((size_t)H, sizeof(WmErrStats));
            finish(acc[q][sub], H, res->err[sub][q]);
            free(acc[q][sub]);
        }
    free(st);
    free(mk);
    free(pu);
    free(pred);
    free(pmask);
    free(pparent);
    free(base);
    free(parent);
    free(tracks);
    free(shapes);
    free(boxes);
    free(truth);
    free(member);
    wm_scratch_free(s);
    if (def->events) score_events(m, d, first, count, res);
    else {
        for (int q = 0; q < WM_EVENTS; q++)
            res->events[q].auroc = res->events[q].accuracy = res->events_quiet[q].auroc = res->events_quiet[q].accuracy =
                res->events_foreseen[q].auroc = res->events_foreseen[q].accuracy = res->events_foreseen_quiet[q].auroc =
                    res->events_foreseen_quiet[q].accuracy = NAN;
        res->break_now.auroc = res->break_now.accuracy = NAN;
    }
    bool scored = res->err[WM_SUBSET_ALL][WM_METHOD_MODEL][0].n > 0;
    if (!scored) wm_eval_free(res); /* nothing scored: nothing for the caller to free either */
    return scored;
}

void wm_eval_free(WmEvalResult* res) {
    for (int sub = 0; sub < WM_SUBSETS; sub++)
        for (int q = 0; q < WM_METHODS; q++) free(res->err[sub][q]);
    memset(res, 0, sizeof *res);
}
