/* wm: the relational dynamics model -- architecture, creation, copies and the scratch.
 * Packing a batch into a graph is wm_graph.c, the network wm_net.c, targets and loss wm_loss.c,
 * stepping and rollouts rollout.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "model/wm_impl.h"
#include "sim/observation.h"

#define D SIM_OBS_DIM

WmArch wm_arch_default(int slots) {
    WmArch a;
    memset(&a, 0, sizeof a);
    a.slots = slots;
    a.dim = SIM_OBS_DIM;
    a.latent = 64;
    a.edge = 96;
    a.hidden = 96;
    a.rounds = 2;
    a.radius = 0.3f;
    a.dt = 1.0f / 60.0f;
    a.inputs = 0;
    a.rest_gate = 0.5f;
    a.release_impact = 0.0f;
    return a;
}

bool wm_step_check(double dt, double tick, char* err, size_t err_size) {
    if (fabs(dt - tick) <= 1e-6 * tick) return true;
    double k = dt / tick;
    if (k > 1.5 && fabs(k - round(k)) < 1e-3)
        report_set(err, err_size, "the model steps %g s (%.0f control ticks of this world, as trained on gen --stride %.0f "
                                  "records); the world's control tick is %g s: use a model trained on records a tick apart",
                   dt, round(k), round(k), tick);
    else
        report_set(err, err_size, "the model steps %g s; the world's control tick is %g s: use a model trained on records "
                                  "a tick apart", dt, tick);
    return false;
}

bool wm_arch_check(const WmArch* a, char* err, size_t err_size) {
    const struct {
        const char* what;
        int         v, lo, hi;
    } widths[] = {{"slots", a->slots, 1, 4096},        {"latent width", a->latent, 1, 4096},
                  {"edge width", a->edge, 1, 4096},    {"hidden width", a->hidden, 1, 4096},
                  {"columns per slot", a->dim, SIM_OBS_DIM, SIM_OBS_DIM},
                  {"message-passing rounds", a->rounds, 1, WM_MAX_ROUNDS}};
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++)
        if (widths[i].v < widths[i].lo || widths[i].v > widths[i].hi) {
            report_set(err, err_size, "model architecture: %s %d is outside [%d, %d]", widths[i].what, widths[i].v,
                       widths[i].lo, widths[i].hi);
            return false;
        }
    if (!isfinite(a->radius)) {
        report_set(err, err_size, "model architecture: edge radius %g m is not a finite number", (double)a->radius);
        return false;
    }
    if (a->inputs & ~WM_INPUT_ALL) {
        report_set(err, err_size, "model architecture: input options 0x%x are unknown (a newer nudge?)",
                   (unsigned)(a->inputs & ~WM_INPUT_ALL));
        return false;
    }
    /* each option that needs another: the bits, the option they need, the line (the bits set, then the need) */
    const struct { unsigned bits, needs; const char* fmt; } deps[] = {
        {WM_INPUT_PRIOR_OUT | WM_INPUT_PRIOR_STATIC, WM_INPUT_PRIOR,
         "model architecture: the collision prior (input options 0x%x) needs the collision inputs (0x%x)"},
        {WM_INPUT_PRIOR_SUPPORT, WM_INPUT_PRIOR_STATIC,
         "model architecture: the collision supports (input option 0x%x) need the static collisions (0x%x)"},
        {WM_INPUT_PRIOR_FRICTION, WM_INPUT_PRIOR_SUPPORT,
         "model architecture: the collision friction (input option 0x%x) needs the collision supports (0x%x)"},
        {WM_INPUT_PRIOR_SUBSTEP, WM_INPUT_PRIOR_FRICTION,
         "model architecture: the friction substeps (input option 0x%x) need the collision friction (0x%x)"},
        {WM_INPUT_PRIOR_AXIS, WM_INPUT_PRIOR_SUPPORT,
         "model architecture: the contact axes (input option 0x%x) need the collision supports (0x%x)"},
        {WM_INPUT_PRIOR_ANCHOR, WM_INPUT_PRIOR_FRICTION,
         "model architecture: the contact anchors (input option 0x%x) need the collision friction (0x%x)"},
        {WM_INPUT_PRIOR_SETTLE, WM_INPUT_PRIOR_SUPPORT,
         "model architecture: the settled-speed stop (input option 0x%x) needs the collision supports (0x%x)"},
        {WM_INPUT_PRIOR_LIFT, WM_INPUT_PRIOR_FRICTION,
         "model architecture: the contact lift (input option 0x%x) needs the collision friction (0x%x)"},
        {WM_INPUT_PRIOR_SWEEP, WM_INPUT_PRIOR_SUPPORT,
         "model architecture: the impact sweep (input option 0x%x) needs the collision supports (0x%x)"},
        {WM_INPUT_BREAK_GATE, WM_INPUT_PRIOR,
         "model architecture: the break gate (input option 0x%x) needs the collision inputs (0x%x)"},
        {WM_INPUT_PRIOR_JMAG, WM_INPUT_PRIOR,
         "model architecture: the collision impulse's size (input option 0x%x) needs the collision inputs (0x%x)"},
        {WM_INPUT_PRIOR_RECHECK, WM_INPUT_PRIOR_SUPPORT,
         "model architecture: the contact recheck (input option 0x%x) needs the collision supports (0x%x)"},
        {WM_INPUT_EDGE_TIME, WM_INPUT_SUPPORT,
         "model architecture: the time to a support's end (input option 0x%x) needs the support inputs (0x%x)"},
        {WM_INPUT_PRIOR_GATE, WM_INPUT_PRIOR_OUT,
         "model architecture: the collision gate (input option 0x%x) needs the collision prior (0x%x)"},
    };
    for (size_t i = 0; i < sizeof deps / sizeof deps[0]; i++)
        if ((a->inputs & deps[i].bits) && !(a->inputs & deps[i].needs)) {
            report_set(err, err_size, deps[i].fmt, (unsigned)(a->inputs & deps[i].bits), deps[i].needs);
            return false;
        }
    if ((a->inputs & WM_INPUT_PRIOR_RECHECK) && (a->inputs & WM_INPUT_PRIOR_SUBSTEP)) {
        report_set(err, err_size, "model architecture: the contact recheck (input option 0x%x) is of the one solve, not "
                   "the friction substeps (0x%x)", (unsigned)WM_INPUT_PRIOR_RECHECK, (unsigned)WM_INPUT_PRIOR_SUBSTEP);
        return false;
    }
    if ((a->inputs & WM_INPUT_PRIOR_SWEEP) && (a->inputs & WM_INPUT_PRIOR_SUBSTEP)) {
        report_set(err, err_size, "model architecture: the impact sweep (input option 0x%x) is of the one solve, not "
                   "the friction substeps (0x%x)", (unsigned)WM_INPUT_PRIOR_SWEEP, (unsigned)WM_INPUT_PRIOR_SUBSTEP);
        return false;
    }
    if (!(a->rest_gate > 0 && a->rest_gate < 1)) {
        report_set(err, err_size, "model architecture: rest gate %g is outside (0, 1)", (double)a->rest_gate);
        return false;
    }
    if ((a->inputs & WM_INPUT_IMPACT) ? !(a->release_impact >= WM_IMPACT_MIN && a->release_impact <= WM_IMPACT_MAX)
                                      : a->release_impact != 0.0f) {
        report_set(err, err_size, "model architecture: impact release speed %g m/s is outside %s", (double)a->release_impact,
                   (a->inputs & WM_INPUT_IMPACT) ? "[0.001, 100]" : "{0} (the option is off)");
        return false;
    }
    if (!(a->dt > 0 && a->dt < 10)) {
        report_set(err, err_size, "model architecture: control tick %g s is outside (0, 10)", (double)a->dt);
        return false;
    }
    return true;
}

bool wm_arch_valid(const WmArch* a) { return wm_arch_check(a, NULL, 0); }

uint32_t wm_schema_hash(void) {
    /* straight from the column table macro, so this needs no object file from sim/ */
#define WM_COL_TEXT(name, unit, doc) #name ":" unit ";"
    static const char text[] = SIM_OBS_COLUMNS(WM_COL_TEXT);
#undef WM_COL_TEXT
    uint32_t h = 2166136261u;
    for (const char* p = text; *p; p++) h = (h ^ (uint8_t)*p) * 16777619u;
    return h;
}

WmModel* wm_alloc(const WmArch* arch) {
    if (!wm_arch_valid(arch)) return NULL;
    WmModel* m = alloc_zeroed(1, sizeof *m);
    m->arch = *arch;
    int L = arch->latent, E = arch->edge, H = arch->hidden, F = WM_NODE_FEATS;
    int enc[] = {F, L, L};
    nn_mlp_layout(&m->enc, &m->layout, enc, 3, NN_ACT_RELU, true);
    for (int r = 0; r < arch->rounds; r++) {
        WmRound* rd = &m->round[r];
        nn_linear_layout(&rd->e_node, &m->layout, L, 2 * E);
        nn_linear_layout(&rd->e_geom, &m->layout, wm_edge_feats(arch), E);
        if (r + 1 < arch->rounds) nn_linear_layout(&rd->update, &m->layout, L + E, L);
    }
    int node[] = {L + E + F, H, H, WM_OUTPUTS};
    nn_mlp_layout(&m->node, &m->layout, node, 4, NN_ACT_RELU, false);
    /* (after every other layer, and zero: a model without it has the same weights before it) */
    if (arch->inputs & WM_INPUT_IMPULSE) nn_linear_layout(&m->impulse, &m->layout, E, 2);
    if (arch->inputs & WM_INPUT_PRIOR_GATE) nn_linear_layout(&m->gate, &m->layout, E, 2);
    if (arch->inputs & WM_INPUT_BREAK_GATE) nn_linear_layout(&m->brk, &m->layout, 1, 1);
    m->nparams = m->layout.count;
    m->params = alloc_zeroed((size_t)m->nparams, sizeof(float));
    /* node and edge features are centred; targets only scaled, so that a zero output means
     * constant velocity and no position residual */
    wm_norm_init(&m->nin, WM_NODE_NORM, true, 1e-2f);
    wm_norm_init(&m->ein, wm_edge_feats(arch), true, 1e-2f);
    wm_norm_init(&m->tgt, WM_TARGETS, false, 1e-6f);
    return m;
}

WmModel* wm_create(const WmArch* arch, uint64_t seed) {
    WmModel* m = wm_alloc(arch);
    if (!m) return NULL;
    m->seed = seed;
    Rng rng;
    rng_seed(&rng, rng_derive(seed, 0x776d696e6974ULL));
    nn_mlp_init(&m->enc, m->params, &rng, 1.0f);
    for (int r = 0; r < arch->rounds; r++) {
        WmRound* rd = &m->round[r];
        /* the edge pre-activation sums three parts: keep each smaller */
        nn_linear_init(&rd->e_node, m->params, &rng, 0.6f);
        nn_linear_init(&rd->e_geom, m->params, &rng, 0.6f);
        /* residual updates start small, so a deeper model starts near a shallow one */
        if (r + 1 < arch->rounds) nn_linear_init(&rd->update, m->params, &rng, 0.3f);
    }
    nn_mlp_init(&m->node, m->params, &rng, 0.1f);
    /* the output layer starts at zero: constant velocity, no residual, probabilities 1/2, unit
     * sigma (log sigma 0) */
    const NnLinear* last = &m->node.lin[m->node.nlayers - 1];
    memset(m->params + last->w, 0, sizeof(float) * (size_t)last->in * last->out);
    return m;
}

void wm_free(WmModel* m) {
    if (!m) return;
    free(m->params);
    nn_layout_free(&m->layout);
    wm_norm_free(&m->nin);
    wm_norm_free(&m->ein);
    wm_norm_free(&m->tgt);
    free(m);
}

bool wm_copy(WmModel* dst, const WmModel* src) {
    if (memcmp(&dst->arch, &src->arch, sizeof dst->arch) != 0) return false;
    memcpy(dst->params, src->params, sizeof(float) * (size_t)src->nparams);
    wm_norm_copy(&dst->nin, &src->nin);
    wm_norm_copy(&dst->ein, &src->ein);
    wm_norm_copy(&dst->tgt, &src->tgt);
    dst->steps = src->steps;
    dst->seed = src->seed;
    return true;
}

WmModel* wm_clone(const WmModel* m) {
    WmModel* c = wm_alloc(&m->arch);
    if (c) wm_copy(c, m);
    return c;
}

const WmArch* wm_arch(const WmModel* m) {
    return &m->arch;
}

int wm_param_count(const WmModel* m) {
    return m->nparams;
}

int64_t wm_train_steps(const WmModel* m) {
    return m->steps;
}

float wm_rest_logit(const WmModel* m, const float* st) {
    float p = m->arch.rest_gate;
    if (p == 0.5f || !wm_at_rest(st)) return 0.0f;
    return logf(p / (1.0f - p));
}

void wm_push_row(float* row, const SimPush* p) {
    row[0] = (float)p->jx;
    row[1] = (float)p->jy;
    row[2] = (float)p->px;
    row[3] = (float)p->py;
}

/* ---- scratch ---- */

WmScratch* wm_scratch_create(const WmModel* m) {
    (void)m;
    return alloc_zeroed(1, sizeof(WmScratch));
}

void wm_scratch_free(WmScratch* s) {
    if (!s) return;
    free(s->node_world);
    free(s->node_slot);
    free(s->node_row);
    free(s->row_node);
    free(s->shape);
    free(s->reach);
    free(s->bounds);
    free(s->form);
    free(s->logs);
    free(s->state);
    free(s->pdv);
    free(s->release);
    free(s->brkz);
    free(s->hit);
    free(s->impact_first);
    free(s->impact_edge);
    free(s->pair_edge);
    free(s->contact);
    free(s->island);
    free(s->island_count);
    free(s->island_mask);
    free(s->touched);
    free(s->contact_order);
    free(s->pgs);
    free(s->ptime);
    free(s->dHj);
    free(s->dzg);
    free(s->held);
    free(s->xraw);
    free(s->xn);
    free(s->recv);
    free(s->send);
    free(s->send_row);
    free(s->eraw);
    free(s->xe);
    nn_mlp_cache_free(&s->enc_c);
    nn_mlp_cache_free(&s->node_c);
    for (int r = 0; r < WM_MAX_ROUNDS; r++) {
        free(s->Z[r]);
        free(s->U[r]);
        free(s->P[r]);
        free(s->H[r]);
        free(s->A[r]);
    }
    free(s->dec);
    free(s->dout);
    free(s->ddec);
    free(s->dU);
    free(s->dP);
    free(s->dZ);
    free(s->dM);
    free(s->target);
    free(s->weight);
    free(s->cur);
    free(s->cur_mask);
    free(s->tmp_mask);
    free(s->parent);
    free(s->inc_kind);
    free(s->inc_pushed);
    free(s->inc_senders);
    free(s->inc_state);
    free(s->inc_out);
    free(s->inc_events);
    free(s->inc_psend);
    free(s->inc_shape);
    free(s->inc_reach);
    free(s->inc_bounds);
    free(s->inc_risk);
    free(s->inc_turn);
    free(s->inc_island);
    free(s->inc_wdirty);
    free(s->inc_slotrow);
    free(s->inc_prior);
    free(s->node_same);
    free(s->node_reuse);
    free(s->node_dirty);
    free(s->row_senders);
    free(s->ghost_of);
    free(s->ghost_node);
    free(s);
}

static void* grow(void* p, size_t bytes) { return alloc_resize(p, bytes, 1); }

/* a scratch used with a model of another shape starts over */
static void fit_arch(const WmModel* m, WmScratch* s) {
    if (memcmp(&s->sized, &m->arch, sizeof m->arch) == 0) return;
    nn_mlp_cache_free(&s->enc_c);
    nn_mlp_cache_free(&s->node_c);
    s->node_cap = s->edge_cap = 0;
    s->sized = m->arch;
    /* the forms by slot, none built yet */
    s->form = alloc_resize(s->form, (size_t)m->arch.slots, sizeof(SimShapeForm));
    for (int k = 0; k < m->arch.slots; k++) s->form[k].kind = -1;
    s->logs = alloc_resize(s->logs, (size_t)m->arch.slots * 6, sizeof(float));
    for (int i = 0; i < m->arch.slots * 6; i++) s->logs[i] = NAN;
    /* records of another shape mean nothing */
    s->inc_B = s->inc_cap = 0;
}

void wm_scratch_reserve_nodes(const WmModel* m, WmScratch* s, int n) {
    fit_arch(m, s);
    if (n <= s->node_cap) return;
    int cap = s->node_cap ? s->node_cap : 64;
    while (cap < n) cap *= 2;
    size_t c = (size_t)cap;
    int L = m->arch.latent, E = m->arch.edge, F = WM_NODE_FEATS, R = m->arch.rounds;
    s->node_world = grow(s->node_world, c * sizeof(int));
    s->node_slot = grow(s->node_slot, c * sizeof(int));
    s->node_row = grow(s->node_row, c * sizeof(int));
    s->row_node = grow(s->row_node, c * sizeof(int));
    s->shape = grow(s->shape, c * sizeof(SimShape));
    s->reach = grow(s->reach, c * sizeof(float));
    s->bounds = grow(s->bounds, c * 4 * sizeof(float));
    s->state = grow(s->state, c * D * sizeof(float));
    s->pdv = grow(s->pdv, c * 3 * sizeof(float));
    s->release = grow(s->release, c);
    s->brkz = grow(s->brkz, c * sizeof(float));
    s->hit = grow(s->hit, c);
    s->impact_first = grow(s->impact_first, (c + 1) * sizeof(int));
    if (m->arch.inputs & WM_INPUT_PRIOR_SUPPORT) {
        s->pgs = grow(s->pgs, c * 5 * sizeof(float));
        s->island = grow(s->island, c * sizeof(int));
        s->island_count = grow(s->island_count, (c + 1) * sizeof(int));
        s->island_mask = grow(s->island_mask, c * sizeof(uint64_t));
        s->touched = grow(s->touched, c);
    }
    if (m->arch.inputs & WM_INPUT_PRIOR_RECHECK) s->ptime = grow(s->ptime, c * sizeof(float));
    s->held = grow(s->held, c);
    s->xraw = grow(s->xraw, c * WM_NODE_NORM * sizeof(float));
    s->xn = grow(s->xn, c * F * sizeof(float));
    s->node_reuse = grow(s->node_reuse, c);
    s->node_same = grow(s->node_same, c);
    s->node_dirty = grow(s->node_dirty, 2 * c);
    s->row_senders = grow(s->row_senders, c * sizeof(uint64_t));
    s->ghost_of = grow(s->ghost_of, c * sizeof(int));
    s->ghost_node = grow(s->ghost_node, c * sizeof(int));
    for (int r = 0; r < R; r++) {
        s->Z[r] = grow(s->Z[r], c * L * sizeof(float));
        s->U[r] = grow(s->U[r], c * (L + E) * sizeof(float));
        s->P[r] = grow(s->P[r], c * 2 * E * sizeof(float));
        s->A[r] = grow(s->A[r], c * L * sizeof(float));
    }
    s->dec = grow(s->dec, c * (L + E + F) * sizeof(float));
    s->ddec = grow(s->ddec, c * (L + E + F) * sizeof(float));
    s->dU = grow(s->dU, c * (L + E) * sizeof(float));
    s->dP = grow(s->dP, c * 2 * E * sizeof(float));
    s->dZ = grow(s->dZ, c * L * sizeof(float));
    s->dM = grow(s->dM, c * E * sizeof(float));
    s->dout = grow(s->dout, c * WM_OUTPUTS * sizeof(float));
    s->target = grow(s->target, c * WM_OUTPUTS * sizeof(float));
    s->weight = grow(s->weight, c * WM_OUTPUTS * sizeof(float));
    nn_mlp_cache_reserve(&s->enc_c, &m->enc, cap);
    nn_mlp_cache_reserve(&s->node_c, &m->node, cap);
    s->node_cap = cap;
}

void wm_scratch_reserve_edges(const WmModel* m, WmScratch* s, int ne) {
    fit_arch(m, s);
    if (ne <= s->edge_cap) return;
    int cap = s->edge_cap ? s->edge_cap : 256;
    while (cap < ne) cap *= 2;
    size_t c = (size_t)cap;
    s->recv = grow(s->recv, c * sizeof(int));
    s->send = grow(s->send, c * sizeof(int));
    s->send_row = grow(s->send_row, c * sizeof(int));
    s->impact_edge = grow(s->impact_edge, c * sizeof(int));
    s->pair_edge = grow(s->pair_edge, c * sizeof(int));
    if (m->arch.inputs & WM_INPUT_PRIOR_SUPPORT) {
        s->contact = grow(s->contact, c * 2 * sizeof(WmContact));
        s->contact_order = grow(s->contact_order, c * 2 * sizeof(int));
    }
    if (m->arch.inputs & (WM_INPUT_IMPULSE | WM_INPUT_PRIOR_GATE))
        s->dHj = grow(s->dHj, c * (size_t)m->arch.edge * sizeof(float));
    if (m->arch.inputs & WM_INPUT_PRIOR_GATE) s->dzg = grow(s->dzg, c * 2 * sizeof(float));
    size_t G = (size_t)wm_edge_feats(&m->arch);
    s->eraw = grow(s->eraw, c * G * sizeof(float));
    s->xe = grow(s->xe, c * G * sizeof(float));
    for (int r = 0; r < m->arch.rounds; r++) s->H[r] = grow(s->H[r], c * (size_t)m->arch.edge * sizeof(float));
    s->edge_cap = cap;
}
