/* wm_incremental: stepping the same worlds tick after tick, recompute only what changed.
 *
 * A body's prediction is a function of its inputs within arch.rounds edges: its own features and
 * push, the features of the edges into it, and (through the senders' latents) the same of its
 * senders, round by round. So a body whose state, push and senders are what they were at the last
 * step, and whose senders', and their senders' (rounds deep), are too, gets the same prediction
 * again, bit for bit. The scratch keeps per (world, slot) the state it last saw, the prediction
 * computed last and each round's sender half of P (what a receiver that is recomputed needs from a
 * sender that is not); a step computes the changed rows only, with the unchanged senders standing in
 * through their recorded P. Resting bodies far from anything moving, which a planner's candidates
 * are full of, then cost nothing. */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "model/wm_impl.h"
#include "sim/observation.h"

#define D SIM_OBS_DIM

void wm_scratch_incremental(WmScratch* s, bool on) {
    s->inc_on = on;
    s->inc_B = 0;
}

void wm_scratch_sleep(WmScratch* s, bool on) {
    s->inc_sleep = on;
}

bool wm_inc_fit(const WmModel* m, WmScratch* s, int B) {
    int K = m->arch.slots;
    /* sender sets are bit masks of slots; the impulse path moves a sender by its receivers' edges
     * and the prior's gate reads the pair's other edge in the forward pass (the edges of a step are
     * only those into its rows); the recheck solves every world's points together */
    if (K > 64 || (m->arch.inputs & (WM_INPUT_IMPULSE | WM_INPUT_PRIOR_GATE | WM_INPUT_PRIOR_RECHECK))) return false;
    if (s->inc_B == B && s->inc_model == m) return true;
    if (B > s->inc_cap) {
        size_t slots = (size_t)B * K;
        s->inc_kind = alloc_resize(s->inc_kind, slots, 1);
        s->inc_pushed = alloc_resize(s->inc_pushed, slots, 1);
        s->inc_senders = alloc_resize(s->inc_senders, slots, sizeof(uint64_t));
        s->inc_state = alloc_resize(s->inc_state, slots * D, sizeof(float));
        s->inc_out = alloc_resize(s->inc_out, slots * WM_OUTPUTS, sizeof(float));
        s->inc_events = alloc_resize(s->inc_events, slots * WM_EVENTS, sizeof(float));
        s->inc_psend = alloc_resize(s->inc_psend, slots * (size_t)m->arch.rounds * m->arch.edge, sizeof(float));
        s->inc_shape = alloc_resize(s->inc_shape, slots, sizeof(SimShape));
        s->inc_reach = alloc_resize(s->inc_reach, slots, sizeof(float));
        s->inc_bounds = alloc_resize(s->inc_bounds, slots * 4, sizeof(float));
        s->inc_risk = alloc_resize(s->inc_risk, slots * (1 + SIM_OBS_DYNAMIC), sizeof(float));
        s->inc_turn = alloc_resize(s->inc_turn, slots * 3, sizeof(float));
        s->inc_island = alloc_resize(s->inc_island, slots, sizeof(uint64_t));
        s->inc_wdirty = alloc_resize(s->inc_wdirty, (size_t)B, sizeof(uint64_t));
        s->inc_slotrow = alloc_resize(s->inc_slotrow, slots, sizeof(int));
        if (m->arch.inputs & WM_INPUT_PRIOR_SUPPORT)
            s->inc_prior = alloc_resize(s->inc_prior, slots * K * (size_t)wm_edge_prior_n(&m->arch), sizeof(float));
        /* (NaN bits that no row's cos and sin are expected to have) */
        for (size_t i = 0; i < slots * 3; i++) s->inc_turn[i] = NAN;
        s->inc_cap = B;
    }
    memset(s->inc_kind, 0, (size_t)B * K);
    memset(s->inc_island, 0, sizeof(uint64_t) * (size_t)B * K);
    s->inc_B = B;
    s->inc_model = m;
    return true;
}

static bool row_pushed(const float* pd) {
    return pd[0] != 0.0f || pd[1] != 0.0f || pd[2] != 0.0f;
}

/* WM_INPUT_PRIOR_SUPPORT: the prior features of the edges into the rows computed now: an untouched
 * row's (prior_touched: its contacts were not computed) from its record, then every such row's into
 * its record */
static void prior_records(const WmModel* m, WmScratch* s) {
    int K = m->arch.slots;
    size_t G = (size_t)wm_edge_feats(&m->arch), at = (size_t)wm_edge_prior_at(&m->arch);
    size_t P = (size_t)wm_edge_prior_n(&m->arch);
    for (int e = 0; e < s->ne; e++) {
        int r = s->recv[e], i = s->row_node[r];
        if (s->node_reuse[i]) continue;
        size_t idx = (size_t)s->node_world[i] * K + s->node_slot[i];
        float* rec = s->inc_prior + (idx * K + (size_t)s->node_slot[s->send[e]]) * P;
        float* f = s->eraw + (size_t)e * G + at;
        if (s->touched[r]) memcpy(rec, f, sizeof(float) * P);
        else memcpy(f, rec, sizeof(float) * P);
    }
}

/* WM_INPUT_PRIOR_SUPPORT: the collision prior of a row comes from its island's solve (wm_graph.c's
 * contact_islands), which is the same, bit for bit, when every body of the island and every static
 * body it touches is as recorded. So every row of an island is changed when one of those changed,
 * or when a body of the island its record was computed in changed (a body that left the island
 * took its contacts' share away); then each row's island (s->island_mask by root row) */
static void island_dirty(const WmModel* m, WmScratch* s, uint8_t* dirty, uint8_t* flag) {
    int K = m->arch.slots;
    for (int b = 0; b < s->B; b++) s->inc_wdirty[b] = 0;
    for (int r = 0; r < s->nd; r++) {
        int i = s->row_node[r];
        flag[r] = 0;
        s->island_mask[r] = 0;
        if (dirty[i]) s->inc_wdirty[s->node_world[i]] |= 1ull << s->node_slot[i];
    }
    for (int c = 0; c < s->prior_nc; c++) {
        const WmContact* t = &s->contact[c];
        int other = t->rb >= 0 ? s->row_node[t->rb] : s->send[t->ea];
        if (dirty[s->row_node[t->ra]] || dirty[other]) flag[s->island[t->ra]] = 1;
    }
    for (int r = 0; r < s->nd; r++) {
        int i = s->row_node[r], root = s->island[r];
        size_t idx = (size_t)s->node_world[i] * K + s->node_slot[i];
        s->island_mask[root] |= 1ull << s->node_slot[i];
        if (dirty[i] || (s->inc_kind[idx] == 1 && (s->inc_island[idx] & s->inc_wdirty[s->node_world[i]])))
            flag[root] = 1;
    }
    for (int r = 0; r < s->nd; r++)
        if (flag[s->island[r]]) dirty[s->row_node[r]] = 1;
}

int wm_inc_select(const WmModel* m, WmScratch* s, const uint8_t* mask) {
    int K = m->arch.slots, R = m->arch.rounds, n = s->n, nd = s->nd, ne = s->ne;
    s->ng = 0;
    s->inc_step = false;
    if (!wm_inc_fit(m, s, s->B)) return nd;
    s->inc_step = true;
    uint8_t* dirty = s->node_dirty;
    uint8_t* next = s->node_dirty + s->node_cap;
    /* changed since the last step: the state, a push now or then, the set of senders */
    for (int r = 0; r < nd; r++) s->row_senders[r] = 0;
    for (int e = 0; e < ne; e++) s->row_senders[s->recv[e]] |= 1ull << s->node_slot[s->send[e]];
    /* a world wm_pack found all as recorded has its recorded senders (its edges were not packed) */
    for (int r = 0; r < nd; r++) {
        int i = s->row_node[r];
        if (s->node_same[i] == WM_SAME_WORLD)
            s->row_senders[r] = s->inc_senders[(size_t)s->node_world[i] * K + s->node_slot[i]];
    }
    uint8_t* asleep = s->node_reuse; /* (filled for real below) */
    for (int i = 0; i < n; i++) {
        size_t idx = (size_t)s->node_world[i] * K + s->node_slot[i];
        int r = s->node_row[i];
        uint8_t kind = r >= 0 ? 1 : 2;
        bool d = s->inc_kind[idx] != kind || !s->node_same[i];
        asleep[i] = 0;
        if (r >= 0) {
            bool pushed = s->inc_pushed[idx] || row_pushed(s->pdv + (size_t)r * 3);
            /* sleeping: a dynamic body still as recorded, with no push then or now, and not moving
             * at all (its last computed step held it at rest) */
            const float* st = s->state + (size_t)i * D;
            asleep[i] = s->inc_sleep && !d && !pushed && st[SIM_OBS_vx] == 0.0f && st[SIM_OBS_vy] == 0.0f &&
                        st[SIM_OBS_omega] == 0.0f;
            d = d || pushed || (!asleep[i] && s->inc_senders[idx] != s->row_senders[r]);
        }
        dirty[i] = d;
    }
    bool islands = (m->arch.inputs & WM_INPUT_PRIOR_SUPPORT) && s->inc_keep;
    if (islands) island_dirty(m, s, dirty, next);
    /* what changed reaches rounds edges further (but a sleeping body only from what comes within
     * WM_WAKE_GAP of it) */
    for (int t = 0; t < R; t++) {
        memcpy(next, dirty, (size_t)n);
        for (int e = 0; e < ne; e++) {
            int i = s->row_node[s->recv[e]];
            if (dirty[s->send[e]] && (!asleep[i] || s->eraw[(size_t)e * wm_edge_feats(&m->arch) + WM_EDGE_GAP] < WM_WAKE_GAP))
                next[i] = 1;
        }
        uint8_t* swap = dirty;
        dirty = next;
        next = swap;
    }
    /* the records: empty slots forget, static bodies and the rows to compute take this step's */
    if (s->inc_emptied)
        for (size_t idx = 0; idx < (size_t)s->B * K; idx++) s->inc_kind[idx] = (uint8_t)(s->inc_kind[idx] * (mask[idx] != 0));
    int kept = 0;
    for (int i = 0; i < n; i++) {
        size_t idx = (size_t)s->node_world[i] * K + s->node_slot[i];
        int r = s->node_row[i];
        s->node_reuse[i] = r >= 0 && !dirty[i];
        s->ghost_of[i] = -1;
        /* (a static body as recorded keeps its record) */
        if ((r >= 0 && !dirty[i]) || (r < 0 && s->node_same[i])) continue;
        memcpy(s->inc_state + idx * D, s->state + (size_t)i * D, sizeof(float) * D);
        s->inc_kind[idx] = r >= 0 ? 1 : 2;
        if (r < 0) continue;
        s->inc_pushed[idx] = row_pushed(s->pdv + (size_t)r * 3);
        s->inc_senders[idx] = s->row_senders[r];
        /* (an untouched row's island is its record's) */
        if (islands && s->touched[r]) s->inc_island[idx] = s->island_mask[s->island[r]];
        kept++;
    }
    if (islands) prior_records(m, s);
    if (kept == nd) return nd;
    /* keep the rows to compute (in order) and the edges into them; unchanged dynamic senders of
     * those stand in as rows nd.. */
    for (int e = 0; e < ne; e++) s->recv[e] = s->row_node[s->recv[e]];
    int c = 0;
    for (int r = 0; r < nd; r++) {
        int i = s->row_node[r];
        if (s->node_reuse[i]) {
            s->node_row[i] = -1;
            continue;
        }
        if (c != r) {
            s->row_node[c] = i;
            memcpy(s->xraw + (size_t)c * WM_NODE_NORM, s->xraw + (size_t)r * WM_NODE_NORM, sizeof(float) * WM_NODE_NORM);
            memcpy(s->pdv + (size_t)c * 3, s->pdv + (size_t)r * 3, sizeof(float) * 3);
        }
        s->node_row[i] = c++;
    }
    int ce = 0;
    size_t G = (size_t)wm_edge_feats(&m->arch);
    for (int e = 0; e < ne; e++) {
        int rr = s->node_row[s->recv[e]];
        if (rr < 0) continue;
        int j = s->send[e];
        int sr = s->node_row[j];
        if (s->node_reuse[j]) {
            if (s->ghost_of[j] < 0) {
                s->ghost_of[j] = c + s->ng;
                s->ghost_node[s->ng++] = j;
            }
            sr = s->ghost_of[j];
        }
        s->recv[ce] = rr;
        s->send[ce] = j;
        s->send_row[ce] = sr;
        if (ce != e)
            memcpy(s->eraw + (size_t)ce * G, s->eraw + (size_t)e * G, sizeof(float) * G);
        ce++;
    }
    s->nd = c;
    s->ne = ce;
    return c;
}

void wm_inc_record(const WmModel* m, WmScratch* s) {
    int K = m->arch.slots;
    for (int r = 0; r < s->nd; r++) {
        int i = s->row_node[r];
        size_t idx = (size_t)s->node_world[i] * K + s->node_slot[i];
        const float* o = s->out + (size_t)r * WM_OUTPUTS;
        memcpy(s->inc_out + idx * WM_OUTPUTS, o, sizeof(float) * WM_OUTPUTS);
        for (int e = 0; e < WM_EVENTS; e++) s->inc_events[idx * WM_EVENTS + e] = nn_sigmoid(o[WM_OUT_EVENTS + e]);
        /* a new record: no surprise scored from it yet */
        s->inc_risk[idx * (1 + SIM_OBS_DYNAMIC)] = NAN;
    }
}

const float* wm_inc_out(const WmModel* m, const WmScratch* s, int i) {
    size_t idx = (size_t)s->node_world[i] * m->arch.slots + s->node_slot[i];
    return s->inc_out + idx * WM_OUTPUTS;
}

const float* wm_node_out(const WmModel* m, const WmScratch* s, int i, const float** pdv) {
    static const float no_push[3] = {0, 0, 0};
    int r = s->node_row[i];
    if (r >= 0) {
        *pdv = s->pdv + (size_t)r * 3;
        return s->out + (size_t)r * WM_OUTPUTS;
    }
    if (s->inc_step && s->node_reuse[i]) {
        *pdv = no_push;
        return wm_inc_out(m, s, i);
    }
    return NULL;
}
