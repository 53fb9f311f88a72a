/* rollout: one-tick prediction, H-tick rollouts batched over worlds (with bodies shattering in
 * imagination) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "model/wm_impl.h"
#include "sim/breaking.h"
#include "sim/materials.h"
#include "sim/observation.h"

#define D SIM_OBS_DIM

/* replaces the body in slot k of world b by the pieces sim's shatter gives at its state; the
 * pieces take the slots after the highest live one. Returns the pieces placed */
static int shatter_body(const WmModel* m, WmScratch* s, int b, int k, float* cur, uint8_t* cur_mask) {
    int K = m->arch.slots;
    float* world = cur + (size_t)b * K * D;
    uint8_t* live = cur_mask + (size_t)b * K;
    const float* row = world + (size_t)k * D;
    SimBodyDef def;
    if (!sim_obs_def(row, &def)) return 0;
    SimBodyDef pieces[SIM_SHATTER_MAX];
    int n = sim_shatter_pieces(&def, row[SIM_OBS_x], row[SIM_OBS_y], sim_world_def_default().shards, NULL, pieces);
    if (n == 0) return 0;
    float parent[D];
    memcpy(parent, row, sizeof parent);
    const SimMaterial* mat = sim_material_get(def.material);
    int next = 0;
    for (int j = 0; j < K; j++)
        if (live[j]) next = j + 1;
    /* the parent leaves its slot as a broken body leaves the observation */
    memset(world + (size_t)k * D, 0, sizeof(float) * D);
    live[k] = 0;
    int placed = 0;
    for (int p = 0; p < n && next < K; p++, next++) {
        const SimBodyDef* pc = &pieces[p];
        SimPart part[SIM_MAX_PARTS];
        double cx, cy;
        double area = sim_parts_centroid(part, sim_def_parts(pc, part), &cx, &cy);
        float* r = world + (size_t)next * D;
        memset(r, 0, sizeof(float) * D);
        sim_obs_set_motion(r, (float)pc->x, (float)pc->y, (float)pc->angle, (float)pc->vx, (float)pc->vy,
                           (float)pc->omega);
        r[SIM_OBS_kind_shard] = 1.0f;
        r[SIM_OBS_size_w] = (float)pc->w;
        r[SIM_OBS_size_h] = (float)pc->h;
        r[SIM_OBS_mass] = (float)(area * mat->density);
        r[SIM_OBS_friction] = parent[SIM_OBS_friction];
        r[SIM_OBS_elasticity] = parent[SIM_OBS_elasticity];
        live[next] = 1;
        if (s->parent) s->parent[(size_t)b * K + next] = (int16_t)k;
        placed++;
    }
    s->breaks++;
    return placed;
}

void wm_step(const WmModel* m, WmScratch* s, int B, float* cur, uint8_t* cur_mask, const float* pushes,
             float* events, bool shatter) {
    int K = m->arch.slots;
    float dt = m->arch.dt, A = WM_INT_A;
    if (events) memset(events, 0, sizeof(float) * (size_t)B * K * WM_EVENTS);
    bool dynamic = wm_pack(m, s, B, cur, cur_mask, pushes, NULL, 0, 0);
    s->stepped = true;
    if (s->n > 0) memset(s->held, 0, (size_t)s->n);
    if (!dynamic) return;
    /* incremental: only the rows whose inputs changed are computed */
    if (!s->inc_on || wm_inc_select(m, s, cur_mask) > 0) {
        wm_features_normalize(m, s);
        wm_forward(m, s);
        if (s->inc_step) wm_inc_record(m, s);
    }
    /* the rows the rest gate may not hold: those with no surface within WM_SUPPORT_GAP of their own
     * (no edge that near: nothing supports them, so gravity moves them this tick), and those a
     * dynamic body is hitting */
    bool unsupported = (m->arch.inputs & WM_INPUT_RELEASE) != 0, impact = (m->arch.inputs & WM_INPUT_IMPACT) != 0;
    bool release = unsupported || impact;
    if (release) {
        size_t G = (size_t)wm_edge_feats(&m->arch);
        for (int r = 0; r < s->nd; r++) s->release[r] = unsupported;
        if (unsupported)
            for (int e = 0; e < s->ne; e++)
                if (s->eraw[(size_t)e * G + WM_EDGE_GAP] <= WM_SUPPORT_GAP) s->release[s->recv[e]] = 0;
        if (impact) wm_mark_impacts(m, s, m->arch.release_impact, s->release);
    }
    const float* tm = m->tgt.fmean;
    const float* ts = m->tgt.fstd;
    /* bodies to shatter after every body has moved: (world, slot) */
    int nbreak = 0;
    int* brk = NULL;
    for (int i = 0; i < s->n; i++) {
        /* a dynamic body: computed now (its row), or repeating its record */
        const float* pd;
        const float* o = wm_node_out(m, s, i, &pd);
        if (!o) continue;
        size_t idx = (size_t)s->node_world[i] * K + s->node_slot[i];
        const float* st = s->state + (size_t)i * D;
        float* out = cur + idx * D;
        if (events && s->inc_step) /* (the record's, made by wm_inc_record for a row computed now) */
            memcpy(events + idx * WM_EVENTS, s->inc_events + idx * WM_EVENTS, sizeof(float) * WM_EVENTS);
        else if (events)
            for (int e = 0; e < WM_EVENTS; e++) events[idx * WM_EVENTS + e] = nn_sigmoid(o[WM_OUT_EVENTS + e]);
        if (shatter && st[SIM_OBS_breakable] > 0.5f && o[WM_BREAK_NOW] > 0.0f) {
            if (!brk) brk = alloc_array((size_t)s->n, sizeof(int));
            brk[nbreak++] = (int)idx;
        }
        /* a body repeating its record sits where the record's step left it (a body is repeated
         * only while its state is what that step gave: a fixed point), so nothing moves */
        if (s->inc_step && s->node_reuse[i]) continue;
        /* an unpushed body the model sees at rest next tick stays where it is */
        if (pd[0] == 0.0f && pd[1] == 0.0f && pd[2] == 0.0f && o[WM_REST] > wm_rest_logit(m, st) &&
            !(release && s->node_row[i] >= 0 && s->release[s->node_row[i]])) {
            out[SIM_OBS_vx] = out[SIM_OBS_vy] = out[SIM_OBS_omega] = 0.0f;
            s->held[i] = 1;
            continue;
        }
        /* velocities after the push, and after the tick; positions integrated as Chipmunk does,
         * plus the predicted contact correction */
        float va[3], vn[3], eps[3];
        for (int c = 0; c < 3; c++) {
            va[c] = st[SIM_OBS_vx + c] + pd[c];
            vn[c] = va[c] + o[WM_DV + c] * ts[WM_DV + c] + tm[WM_DV + c];
            eps[c] = o[WM_EPS + c] * ts[WM_EPS + c] + tm[WM_EPS + c];
        }
        float x = st[SIM_OBS_x] + dt * (A * va[0] + (1 - A) * vn[0]) + eps[0];
        float y = st[SIM_OBS_y] + dt * (A * va[1] + (1 - A) * vn[1]) + eps[1];
        float ang = wm_turn(s, idx, st) + dt * (A * va[2] + (1 - A) * vn[2]) + eps[2];
        if (!isfinite(x) || !isfinite(y) || !isfinite(ang) || !isfinite(vn[0]) || !isfinite(vn[1]) ||
            !isfinite(vn[2]) || fabsf(vn[0]) > 1e4f || fabsf(vn[1]) > 1e4f || fabsf(vn[2]) > 1e5f) {
            /* numerical trouble: freeze the body */
            s->nans++;
            out[SIM_OBS_vx] = out[SIM_OBS_vy] = out[SIM_OBS_omega] = 0.0f;
            if (events)
                for (int e = 0; e < WM_EVENTS; e++) events[idx * WM_EVENTS + e] = 0.0f;
            continue;
        }
        sim_obs_set_motion(out, x, y, ang, vn[0], vn[1], vn[2]);
    }
    for (int q = 0; q < nbreak; q++)
        shatter_body(m, s, brk[q] / K, brk[q] % K, cur, cur_mask);
    free(brk);
}

void wm_predict(const WmModel* m, WmScratch* s, int B, const float* states, const uint8_t* mask,
                const float* pushes, float* next_states, uint8_t* next_mask, float* event_probs) {
    int K = m->arch.slots;
    size_t n = (size_t)B * K * D;
    if (next_states != states) memcpy(next_states, states, sizeof(float) * n);
    if (next_mask) {
        if (next_mask != mask) memcpy(next_mask, mask, (size_t)B * K);
        /* parents are a rollout's record: a single step keeps none */
        int16_t* keep = s->parent;
        s->parent = NULL;
        wm_step(m, s, B, next_states, next_mask, pushes, event_probs, true);
        s->parent = keep;
        return;
    }
    /* without a mask to update nothing shatters: step on a copy of the mask */
    s->tmp_mask = alloc_resize(s->tmp_mask, (size_t)B * K, 1);
    memcpy(s->tmp_mask, mask, (size_t)B * K);
    wm_step(m, s, B, next_states, s->tmp_mask, pushes, event_probs, false);
}

void wm_rollout(const WmModel* m, WmScratch* s, int B, const float* states, const uint8_t* mask,
                const float* pushes, int H, float* out_states, uint8_t* out_mask, float* out_events) {
    int K = m->arch.slots;
    size_t world = (size_t)K * D;
    if (B > s->world_cap) {
        s->cur = alloc_resize(s->cur, sizeof(float) * (size_t)B * world * 2 +
                                     sizeof(float) * (size_t)B * K * (WM_PUSH_DIM + WM_EVENTS), 1);
        s->cur_mask = alloc_resize(s->cur_mask, (size_t)B * K, 1);
        s->parent = alloc_resize(s->parent, (size_t)B * K, sizeof(int16_t));
        s->world_cap = B;
    }
    float* cur = s->cur;
    float* ph = cur + (size_t)B * world;
    float* ev = ph + (size_t)B * K * WM_PUSH_DIM;
    memcpy(cur, states, sizeof(float) * (size_t)B * world);
    memcpy(s->cur_mask, mask, (size_t)B * K);
    for (size_t i = 0; i < (size_t)B * K; i++) s->parent[i] = -1;
    /* the same worlds tick after tick: recompute only what changed (the caller's setting back
     * after, with nothing kept) */
    bool incremental = s->inc_on;
    wm_scratch_incremental(s, true);
    for (int h = 0; h < H; h++) {
        /* this tick's pushes, gathered world by world */
        if (pushes)
            for (int b = 0; b < B; b++)
                memcpy(ph + (size_t)b * K * WM_PUSH_DIM, pushes + ((size_t)b * H + h) * K * WM_PUSH_DIM,
                       sizeof(float) * (size_t)K * WM_PUSH_DIM);
        wm_step(m, s, B, cur, s->cur_mask, pushes ? ph : NULL, out_events ? ev : NULL, true);
        for (int b = 0; b < B; b++) {
            memcpy(out_states + ((size_t)b * H + h) * world, cur + (size_t)b * world, sizeof(float) * world);
            if (out_mask) memcpy(out_mask + ((size_t)b * H + h) * K, s->cur_mask + (size_t)b * K, (size_t)K);
            if (out_events)
                memcpy(out_events + ((size_t)b * H + h) * K * WM_EVENTS, ev + (size_t)b * K * WM_EVENTS,
                       sizeof(float) * (size_t)K * WM_EVENTS);
        }
    }
    wm_scratch_incremental(s, incremental);
}

void wm_foresight(const WmModel* m, int B, const float* states, const uint8_t* mask, int H,
                  const uint8_t* out_mask, const float* out_events, float* out) {
    int K = m->arch.slots;
    size_t world = (size_t)K * D;
    int n = H < WM_EVENT_HORIZON ? H : WM_EVENT_HORIZON;
    memset(out, 0, sizeof(float) * (size_t)B * K * WM_EVENTS);
    for (int b = 0; b < B; b++)
        for (int k = 0; k < K; k++) {
            const float* row = states + (size_t)b * world + (size_t)k * D;
            if (!mask[(size_t)b * K + k] || row[SIM_OBS_is_static] > 0.5f) continue;
            float* o = out + ((size_t)b * K + k) * WM_EVENTS;
            /* (out_events entry h is the heads at imagined state h, the start's at h = 0) */
            memcpy(o, out_events + ((size_t)b * H * K + k) * WM_EVENTS, sizeof(float) * WM_EVENTS);
            for (int h = 0; h < n; h++) {
                /* gone from state h + 1 (entry h of the mask): a rollout empties a slot only by
                 * shattering its body (its pieces may have found no slot) */
                if (!out_mask[((size_t)b * H + h) * K + k]) {
                    o[WM_EVENT_BREAK] = 1.0f;
                    break;
                }
                if (h + 1 == n) break;
                const float* e = out_events + (((size_t)b * H + h + 1) * K + k) * WM_EVENTS;
                if (e[WM_EVENT_BREAK] > o[WM_EVENT_BREAK]) o[WM_EVENT_BREAK] = e[WM_EVENT_BREAK];
                if (e[WM_EVENT_FALL] > o[WM_EVENT_FALL]) o[WM_EVENT_FALL] = e[WM_EVENT_FALL];
            }
        }
}

void wm_foresee(const WmModel* m, WmScratch* s, int B, const float* states, const uint8_t* mask,
                const float* pushes, float* out) {
    int K = m->arch.slots, H = WM_EVENT_HORIZON;
    float* ps = alloc_array((size_t)B * H * K * WM_PUSH_DIM, sizeof(float));
    float* os = alloc_array((size_t)B * H * K * D, sizeof(float));
    uint8_t* om = alloc_bytes((size_t)B * H * K);
    float* oe = alloc_array((size_t)B * H * K * WM_EVENTS, sizeof(float));
    memset(ps, 0, sizeof(float) * (size_t)B * H * K * WM_PUSH_DIM);
    if (pushes)
        for (int b = 0; b < B; b++)
            memcpy(ps + (size_t)b * H * K * WM_PUSH_DIM, pushes + (size_t)b * K * WM_PUSH_DIM,
                   sizeof(float) * (size_t)K * WM_PUSH_DIM);
    wm_rollout(m, s, B, states, mask, ps, H, os, om, oe);
    wm_foresight(m, B, states, mask, H, om, oe, out);
    free(ps);
    free(os);
    free(om);
    free(oe);
}

bool wm_piece_of(const int* parent, int j, int k) {
    if (j == k) return false;
    for (int depth = 0; j >= 0 && depth < 64; depth++) {
        if (j == k) return true;
        j = parent[j];
    }
    return false;
}

bool wm_pieces_centre(const float* rows, const uint8_t* live, const int* parent, int K, int k, float xy[2]) {
    double m = 0, x = 0, y = 0;
    for (int j = 0; j < K; j++) {
        if (!live[j] || !wm_piece_of(parent, j, k)) continue;
        const float* row = rows + (size_t)j * SIM_OBS_DIM;
        m += row[SIM_OBS_mass];
        x += (double)row[SIM_OBS_mass] * row[SIM_OBS_x];
        y += (double)row[SIM_OBS_mass] * row[SIM_OBS_y];
    }
    if (!(m > 0)) return false;
    xy[0] = (float)(x / m);
    xy[1] = (float)(y / m);
    return true;
}

int wm_rollout_parent(const WmScratch* s, int b, int k) {
    if (!s->parent || b < 0 || b >= s->world_cap || k < 0 || k >= s->sized.slots) return -1;
    return s->parent[(size_t)b * s->sized.slots + k];
}

int64_t wm_nan_count(const WmScratch* s) {
    return s->nans;
}

int64_t wm_break_count(const WmScratch* s) {
    return s->breaks;
}
