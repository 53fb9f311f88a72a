/* wm_surprise: how unlikely an observed tick is under the state model -- the variance head's
 * Gaussian over the dynamics targets, and the logits of the event heads that surprise scores beside
 * it (agent/surprise.h) -- from one forward pass */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/wm_impl.h"
#include "sim/observation.h"

#define D SIM_OBS_DIM

/* the NLL (and logits) of every dynamic body packed in the scratch, from its outputs: a computed
 * row's, or (incremental stepping) the record a body repeated */
static void score(const WmModel* m, WmScratch* s, const float* next, const uint8_t* next_mask, float* out,
                  float* logits, float* resid) {
    int K = m->arch.slots;
    const float* tm = m->tgt.fmean;
    const float* ts = m->tgt.fstd;
    /* stepping incrementally, a body that repeats its record (the same state, no push, the same
     * outputs) scored against the same next state scores what it scored last: kept per slot */
    const size_t RS = 1 + SIM_OBS_DYNAMIC;
    bool keep = s->inc_step && !resid;
    for (int i = 0; i < s->n; i++) {
        const float* pd;
        const float* o = wm_node_out(m, s, i, &pd);
        if (!o) continue;
        size_t idx = (size_t)s->node_world[i] * K + s->node_slot[i];
        /* the heads speak of the body at states, whatever became of it */
        if (logits) {
            float* lg = logits + idx * WM_SURPRISE_LOGITS;
            for (int e = 0; e < WM_EVENTS; e++) lg[e] = o[WM_OUT_EVENTS + e];
            lg[WM_LOGIT_BREAK_NOW] = o[WM_BREAK_NOW];
        }
        const float* s1 = next + idx * D;
        if (!next_mask[idx] || s1[SIM_OBS_is_static] > 0.5f || !(s1[SIM_OBS_mass] > 0)) continue;
        float* kept = keep ? s->inc_risk + idx * RS : NULL;
        if (kept && s->node_reuse[i] && !isnan(kept[0]) && memcmp(kept + 1, s1, sizeof(float) * SIM_OBS_DYNAMIC) == 0) {
            out[idx] = kept[0];
            continue;
        }
        float raw[WM_TARGETS];
        const float* st = s->state + (size_t)i * D;
        /* the angles kept per slot when stepping incrementally: st's as wm_step took it, then s1's
         * for the next step to take */
        float a0 = wm_turn(s, idx, st);
        float a1 = wm_turn(s, idx, s1);
        wm_target_row_turns(st, pd, s1, m->arch.dt, a0, a1, raw);
        double nll = 0;
        for (int c = 0; c < WM_TARGETS; c++) {
            float ls = fminf(fmaxf(o[WM_LOGSIG + c], WM_LOGSIG_MIN), WM_LOGSIG_MAX);
            double z = ((raw[c] - tm[c]) / ts[c] - o[c]) * exp(-(double)ls);
            nll += 0.5 * z * z + ls;
        }
        out[idx] = (float)nll;
        if (kept) {
            kept[0] = out[idx];
            memcpy(kept + 1, s1, sizeof(float) * SIM_OBS_DYNAMIC);
        }
        if (resid)
            for (int c = 0; c < 2; c++) resid[idx * 2 + c] = (raw[WM_DV + c] - tm[WM_DV + c]) - o[WM_DV + c] * ts[WM_DV + c];
    }
}

void wm_surprise_resid(const WmModel* m, WmScratch* s, int B, const float* states, const uint8_t* mask,
                       const float* pushes, const float* next, const uint8_t* next_mask, float* out, float* logits,
                       float* resid) {
    int K = m->arch.slots;
    for (size_t i = 0; i < (size_t)B * K; i++) out[i] = NAN;
    if (logits)
        for (size_t i = 0; i < (size_t)B * K * WM_SURPRISE_LOGITS; i++) logits[i] = NAN;
    if (resid)
        for (size_t i = 0; i < (size_t)B * K * 2; i++) resid[i] = NAN;
    if (!wm_pack(m, s, B, states, mask, pushes, NULL, 0, 0)) return;
    wm_features_normalize(m, s);
    wm_forward(m, s);
    score(m, s, next, next_mask, out, logits, resid);
}

void wm_surprise_heads(const WmModel* m, WmScratch* s, int B, const float* states, const uint8_t* mask,
                       const float* pushes, const float* next, const uint8_t* next_mask, float* out, float* logits) {
    wm_surprise_resid(m, s, B, states, mask, pushes, next, next_mask, out, logits, NULL);
}

void wm_surprise(const WmModel* m, WmScratch* s, int B, const float* states, const uint8_t* mask,
                 const float* pushes, const float* next, const uint8_t* next_mask, float* out) {
    wm_surprise_heads(m, s, B, states, mask, pushes, next, next_mask, out, NULL);
}

bool wm_surprise_last(const WmModel* m, WmScratch* s, const float* next, const uint8_t* next_mask, float* out) {
    if (!s->stepped || memcmp(&s->sized, &m->arch, sizeof m->arch) != 0) return false;
    for (size_t i = 0; i < (size_t)s->B * m->arch.slots; i++) out[i] = NAN;
    score(m, s, next, next_mask, out, NULL, NULL);
    return true;
}
