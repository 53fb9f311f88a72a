/* rollout: one-tick prediction and H-tick rollouts, batched over worlds */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "model/wm_impl.h"
#include "sim/observation.h"

#define D SIM_OBS_DIM

/* advances cur[B*K*D] one tick in place; events[B*K*WM_EVENTS] may be NULL */
static void rollout_step(const WmModel* m, WmScratch* s, int B, float* cur, const uint8_t* mask,
                         const float* pushes, float* events) {
    int K = m->arch.slots;
    float dt = m->arch.dt;
    if (events) memset(events, 0, sizeof(float) * (size_t)B * K * WM_EVENTS);
    if (!wm_pack(m, s, B, cur, mask, pushes, NULL, 0, 0)) return;
    wm_features_normalize(m, s);
    wm_forward(m, s);
    const float* tm = m->tgt.fmean;
    const float* ts = m->tgt.fstd;
    for (int r = 0; r < s->nd; r++) {
        int i = s->row_node[r];
        size_t idx = (size_t)s->node_world[i] * K + s->node_slot[i];
        const float* o = s->out + (size_t)r * WM_OUTPUTS;
        const float* st = s->state + (size_t)i * D;
        const float* pd = s->pdv + (size_t)i * 3;
        float* out = cur + idx * D;
        if (events)
            for (int e = 0; e < WM_EVENTS; e++)
                events[idx * WM_EVENTS + e] = nn_sigmoid(o[WM_TARGETS + e]);
        /* an unpushed body the model sees at rest next tick stays where it is */
        if (pd[0] == 0.0f && pd[1] == 0.0f && pd[2] == 0.0f && o[WM_REST] > 0.0f) {
            out[SIM_OBS_vx] = out[SIM_OBS_vy] = out[SIM_OBS_omega] = 0.0f;
            continue;
        }
        /* velocities after the push, and after the tick */
        float va[3], vn[3];
        for (int c = 0; c < 3; c++) {
            va[c] = st[SIM_OBS_vx + c] + pd[c];
            vn[c] = va[c] + o[c] * ts[c] + tm[c];
        }
        /* two semi-implicit physics steps per tick: x += dt (v_after_push / 4 + 3 v_next / 4) */
        float x = st[SIM_OBS_x] + dt * (0.25f * va[0] + 0.75f * vn[0]);
        float y = st[SIM_OBS_y] + dt * (0.25f * va[1] + 0.75f * vn[1]);
        float ang = atan2f(st[SIM_OBS_sin], st[SIM_OBS_cos]) + dt * (0.25f * va[2] + 0.75f * vn[2]);
        if (!isfinite(x) || !isfinite(y) || !isfinite(ang) || !isfinite(vn[0]) ||
            !isfinite(vn[1]) || !isfinite(vn[2]) || fabsf(vn[0]) > 1e4f || fabsf(vn[1]) > 1e4f ||
            fabsf(vn[2]) > 1e5f) {
            /* numerical trouble: freeze the body */
            s->nans++;
            out[SIM_OBS_vx] = out[SIM_OBS_vy] = out[SIM_OBS_omega] = 0.0f;
            if (events)
                for (int e = 0; e < WM_EVENTS; e++) events[idx * WM_EVENTS + e] = 0.0f;
            continue;
        }
        sim_obs_set_motion(out, x, y, ang, vn[0], vn[1], vn[2]);
    }
}

void wm_predict(const WmModel* m, WmScratch* s, int B, const float* states, const uint8_t* mask,
                const float* pushes, float* next_states, float* event_probs) {
    size_t n = (size_t)B * m->arch.slots * D;
    if (next_states != states) memcpy(next_states, states, sizeof(float) * n);
    rollout_step(m, s, B, next_states, mask, pushes, event_probs);
}

void wm_rollout(const WmModel* m, WmScratch* s, int B, const float* states, const uint8_t* mask,
                const float* pushes, int H, float* out_states, float* out_events) {
    int K = m->arch.slots;
    size_t world = (size_t)K * D;
    if (B > s->world_cap) {
        s->cur = alloc_resize(s->cur, sizeof(float) * (size_t)B * world * 2 +
                                     sizeof(float) * (size_t)B * K * (WM_PUSH_DIM + WM_EVENTS), 1);
        s->world_cap = B;
    }
    float* cur = s->cur;
    float* ph = cur + (size_t)B * world;
    float* ev = ph + (size_t)B * K * WM_PUSH_DIM;
    memcpy(cur, states, sizeof(float) * (size_t)B * world);
    for (int h = 0; h < H; h++) {
        /* this tick's pushes, gathered world by world */
        if (pushes)
            for (int b = 0; b < B; b++)
                memcpy(ph + (size_t)b * K * WM_PUSH_DIM,
                       pushes + ((size_t)b * H + h) * K * WM_PUSH_DIM,
                       sizeof(float) * (size_t)K * WM_PUSH_DIM);
        rollout_step(m, s, B, cur, mask, pushes ? ph : NULL, out_events ? ev : NULL);
        for (int b = 0; b < B; b++) {
            memcpy(out_states + ((size_t)b * H + h) * world, cur + (size_t)b * world,
                   sizeof(float) * world);
            if (out_events)
                memcpy(out_events + ((size_t)b * H + h) * K * WM_EVENTS, ev + (size_t)b * K * WM_EVENTS,
                       sizeof(float) * (size_t)K * WM_EVENTS);
        }
    }
}

int64_t wm_nan_count(const WmScratch* s) {
    return s->nans;
}
