#include "agent/agent.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/planner.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/parse_real.h"
#include "base/report.h"
#include "base/rng.h"
#include "sim/observation.h"

enum { QUEUE_PUSH, QUEUE_SPAWN, QUEUE_HAND, QUEUE_MAGIC, QUEUES };
_Static_assert(QUEUES == sizeof ((AgentState*)0)->next / sizeof(int32_t), "one cursor per queue");

struct Agent {
    ScnAgentDef def;
    ScnAction*  actions;       /* scripted: the scenario's timed actions, by time */
    int         nactions;
    int*        queue[QUEUES]; /* scripted: indices into actions, per queue, in order */
    int         nqueue[QUEUES];
    AgentState  st;
    Planner*    planner;       /* planner, oracle */
    int64_t     calls;         /* agent_act calls */
    double      busy;          /* s spent in them */
};

static const char* const kind_names[SCN_AGENT_KIND_COUNT] = {"none", "scripted", "random", "planner",
                                                             "oracle"};

const char* agent_kind_name(ScnAgentKind kind) {
    return (kind >= 0 && kind < SCN_AGENT_KIND_COUNT) ? kind_names[kind] : "?";
}

int agent_kind_find(const char* name) {
    for (int i = 0; i < SCN_AGENT_KIND_COUNT; i++)
        if (strcmp(kind_names[i], name) == 0) return i;
    return -1;
}

ScnAgentKind agent_kind(const Agent* a) { return a->def.kind; }

AgentOverride agent_override_none(void) {
    AgentOverride o;
    memset(&o, 0, sizeof o);
    o.kind = -1;
    o.every[0] = o.every[1] = o.dv[0] = o.dv[1] = -1;
    o.samples = o.iters = o.horizon = o.replan = o.elites = o.pushes = -1;
    o.impulse = o.push_cost = -1;
    return o;
}

void agent_override_apply(const AgentOverride* o, ScnAgentDef* def) {
    if (!o) return;
    if (o->explore && (def->kind == SCN_AGENT_PLANNER || def->kind == SCN_AGENT_ORACLE)) {
        /* the planner's kind of pushes, at random: any impulse up to its limit, within 45 degrees
         * of horizontal, anywhere along the body's height, without a budget */
        def->kind = SCN_AGENT_RANDOM;
        def->pushes = 0;
        def->dv_given = false;
        if (!(def->impulse > 0)) def->impulse = 1.0;
        def->angle_deg = 45;
        def->height_frac = 1.0;
    }
    if (o->kind >= 0) def->kind = (ScnAgentKind)o->kind;
    if (o->every[0] >= 0) {
        def->every_lo = o->every[0];
        def->every_hi = o->every[1];
    }
    if (o->dv[0] >= 0) {
        def->dv_lo = o->dv[0];
        def->dv_hi = o->dv[1];
        def->dv_given = true;
    }
    if (o->samples >= 0) def->samples = o->samples;
    if (o->iters >= 0) def->iters = o->iters;
    if (o->horizon >= 0) def->horizon = o->horizon;
    if (o->replan >= 0) def->replan = o->replan;
    if (o->elites >= 0) def->elites = o->elites;
    if (o->pushes >= 0) def->pushes = o->pushes;
    if (o->impulse >= 0) def->impulse = o->impulse;
    if (o->push_cost >= 0) def->push_cost = o->push_cost;
    /* elites beyond a smaller sample count fall back to samples / 10 */
    if (def->elites > def->samples) def->elites = 0;
}

bool agent_parse_range(const char* text, double max, double* range) {
    const char* end;
    double lo, hi;
    if (!parse_real_prefix(text, &lo, &end) || *end != ',') return false;
    if (!parse_real(end + 1, &hi)) return false;
    if (lo < 0 || hi < lo || hi > max) return false;
    range[0] = lo;
    range[1] = hi;
    return true;
}

Agent* agent_create(const AgentSetup* setup, char* err, size_t err_size) {
    const ScnAgentDef* def = &setup->def;
    if (def->kind == SCN_AGENT_PLANNER && !setup->model && !setup->jepa) {
        report_set(err, err_size, "agent planner needs a world model: give --model FILE (or plan with "
                                  "the true simulator: --agent oracle)");
        return NULL;
    }
    Planner* planner = NULL;
    if (def->kind == SCN_AGENT_PLANNER || def->kind == SCN_AGENT_ORACLE) {
        planner = planner_create(def, def->kind == SCN_AGENT_PLANNER && !setup->jepa ? setup->model : NULL, setup->slots,
                                 setup->seed, err, err_size);
        if (!planner) return NULL;
        if (def->kind == SCN_AGENT_PLANNER && setup->jepa) planner_set_jepa(planner, setup->jepa, setup->jepa_rect, setup->jepa_energy);
        planner_set_goals(planner, setup->goals, setup->ngoals);
    }
    Agent* a = alloc_zeroed(1, sizeof *a);
    a->def = *def;
    a->planner = planner;
    rng_seed(&a->st.rng, rng_derive(setup->seed, 0x6167656e74));
    int nactions = setup->nactions;
    const ScnAction* actions = setup->actions;
    if (nactions > 0) {
        a->actions = alloc_array((size_t)nactions, sizeof *a->actions);
        for (int q = 0; q < QUEUES; q++) a->queue[q] = alloc_array((size_t)nactions, sizeof(int));
        memcpy(a->actions, actions, sizeof *a->actions * (size_t)nactions);
        a->nactions = nactions;
        for (int i = 0; i < nactions; i++) {
            int q = actions[i].kind == SCN_ACT_PUSH    ? QUEUE_PUSH
                    : actions[i].kind == SCN_ACT_SPAWN ? QUEUE_SPAWN
                    : actions[i].kind == SCN_ACT_MAGIC ? QUEUE_MAGIC
                                                       : QUEUE_HAND;
            a->queue[q][a->nqueue[q]++] = i;
        }
    }
    a->st.next_push = def->start + rng_uniform(&a->st.rng, def->every_lo, def->every_hi);
    a->st.hold.item = a->st.hold.next = -1;
    a->st.hold.body = -1;
    a->st.spawn_item = -1;
    return a;
}

void agent_free(Agent* a) {
    if (!a) return;
    planner_free(a->planner);
    free(a->actions);
    for (int q = 0; q < QUEUES; q++) free(a->queue[q]);
    free(a);
}

bool agent_observes(const Agent* a) {
    return a->def.kind == SCN_AGENT_RANDOM || a->def.kind == SCN_AGENT_PLANNER;
}
bool agent_scripted(const Agent* a) { return a->def.kind == SCN_AGENT_SCRIPTED; }

Planner* agent_planner(Agent* a) { return a ? a->planner : NULL; }
const Planner* agent_planner_const(const Agent* a) { return a ? a->planner : NULL; }

void agent_state_save(const Agent* a, AgentState* out) {
    *out = a->st;
    if (a->planner) out->pushes = planner_trace(a->planner)->pushes_used;
}

void agent_state_load(Agent* a, const AgentState* st) {
    a->st = *st;
    if (a->planner) planner_rearm(a->planner, st->pushes);
}

/* ---- the script ---- */

/* the queue's next item when it is due at t, else NULL */
static const ScnAction* due(const Agent* a, int q, double t) {
    int k = a->st.next[q];
    if (k >= a->nqueue[q]) return NULL;
    const ScnAction* x = &a->actions[a->queue[q][k]];
    return agent_due(x->t, t) ? x : NULL;
}

/* the world id an action names now: its own id, the body spawned this very tick (it is added when
 * the action is applied, so the world does not know it yet), or the body called so */
static int32_t body_of(const Agent* a, const SimWorld* w, const ScnAction* x) {
    if (x->body >= 0) return x->body;
    if (a->st.spawn_item >= 0 && a->st.spawn_steps == sim_world_steps(w) &&
        strcmp(a->actions[a->st.spawn_item].ref, x->ref) == 0)
        return a->st.spawn_id;
    return sim_world_find(w, x->ref);
}

/* a body the hand can hold this tick: live and dynamic, or spawned this very tick */
static bool holdable(const Agent* a, const SimWorld* w, int32_t id) {
    if (a->st.spawn_item >= 0 && a->st.spawn_steps == sim_world_steps(w) && id == a->st.spawn_id)
        return !a->actions[a->st.spawn_item].spawn.is_static;
    SimBodyState b;
    return id >= 0 && sim_world_body(w, id, &b) && b.alive && !b.is_static;
}

/* ticks from a world at `steps` until an action at t_item is due */
static int64_t ticks_until(const SimWorld* w, double t_item) {
    const SimWorldDef* d = sim_world_def(w);
    int64_t steps = sim_world_steps(w), spt = d->steps_per_tick;
    double  k0 = ceil(((t_item - 1e-9) / d->dt - (double)steps) / (double)spt);
    int64_t k = k0 > 1 ? (int64_t)k0 - 2 : 1;
    if (k < 1) k = 1;
    while (!agent_due(t_item, (double)(steps + k * spt) * d->dt)) k++;
    return k;
}

/* the hold's next key frame: the hand queue's next item, when it is a grab of the same body */
static void hold_look_ahead(Agent* a, const SimWorld* w, int from) {
    AgentHold* h = &a->st.hold;
    h->next = -1;
    h->span = 0;
    if (from >= a->nqueue[QUEUE_HAND]) return;
    const ScnAction* x = &a->actions[a->queue[QUEUE_HAND][from]];
    if (x->kind != SCN_ACT_GRAB || strcmp(x->ref, a->actions[a->queue[QUEUE_HAND][h->item]].ref) != 0) return;
    h->next = from;
    h->span = ticks_until(w, x->t);
}

static void script_hand(Agent* a, const SimWorld* w, SimAction* act) {
    AgentHold* h = &a->st.hold;
    double     t = sim_world_time(w);
    bool       released = false, grabbed = false;
    const ScnAction* x;
    /* what is due: at most a release and then a grab key frame per tick */
    while (!grabbed && (x = due(a, QUEUE_HAND, t)) != NULL) {
        int32_t id = body_of(a, w, x);
        if (x->kind == SCN_ACT_RELEASE) {
            if (released) break;
            if (h->item >= 0 && h->body == id) {
                act->flags |= SIM_ACT_RELEASE;
                h->item = -1;
                released = true;
            }
            a->st.next[QUEUE_HAND]++;
            continue;
        }
        int k = a->st.next[QUEUE_HAND]++;
        if (!holdable(a, w, id)) continue;   /* nothing there to hold (not yet, or no more) */
        if (h->item < 0 || h->body != id) {
            h->body = id;
            h->anchor[0] = x->has_anchor ? x->anchor[0] : 0.0;
            h->anchor[1] = x->has_anchor ? x->anchor[1] : 0.0;
        }
        h->item = k;
        h->from_steps = sim_world_steps(w);
        hold_look_ahead(a, w, k + 1);
        grabbed = true;
    }
    if (h->item < 0) return;
    /* the world lets go of a body that left it: so does the script */
    if (!holdable(a, w, h->body)) {
        h->item = -1;
        return;
    }
    const ScnAction* from = &a->actions[a->queue[QUEUE_HAND][h->item]];
    const ScnAction* to = h->next >= 0 ? &a->actions[a->queue[QUEUE_HAND][h->next]] : from;
    int64_t m = (sim_world_steps(w) - h->from_steps) / sim_world_def(w)->steps_per_tick;
    act->flags |= SIM_ACT_GRAB;
    memset(&act->grab, 0, sizeof act->grab);
    act->grab.body = h->body;
    act->grab.anchor[0] = h->anchor[0], act->grab.anchor[1] = h->anchor[1];
    act->grab.target[0] = agent_hand_lerp(from->x, to->x, m, h->span);
    act->grab.target[1] = agent_hand_lerp(from->y, to->y, m, h->span);
}

void agent_script(Agent* a, const SimWorld* w, SimAction* act) {
    if (a->def.kind != SCN_AGENT_SCRIPTED) return;
    double t = sim_world_time(w);
    const ScnAction* x;
    /* a spawn first, so that the pushes and the hand of this tick can name it */
    if (!(act->flags & SIM_ACT_SPAWN) && (x = due(a, QUEUE_SPAWN, t)) != NULL) {
        act->flags |= SIM_ACT_SPAWN;
        act->spawn = x->spawn;
        a->st.spawn_item = a->queue[QUEUE_SPAWN][a->st.next[QUEUE_SPAWN]++];
        a->st.spawn_id = sim_world_id_count(w);
        a->st.spawn_steps = sim_world_steps(w);
    }
    /* one push line: its pushes go together, when they fit */
    if ((x = due(a, QUEUE_PUSH, t)) != NULL) {
        int first = a->st.next[QUEUE_PUSH], n = 1;
        while (x->group > 0 && first + n < a->nqueue[QUEUE_PUSH] &&
               a->actions[a->queue[QUEUE_PUSH][first + n]].group == x->group)
            n++;
        if (act->npushes + n <= SIM_ACTION_PUSHES) {
            for (int i = 0; i < n; i++) {
                const ScnAction* y = &a->actions[a->queue[QUEUE_PUSH][first + i]];
                SimPush p = {.body = body_of(a, w, y), .jx = y->jx, .jy = y->jy, .px = y->px, .py = y->py};
                sim_action_add_push(act, &p);
            }
            a->st.next[QUEUE_PUSH] += n;
        }
    }
    /* the hand, unless a person's hand acts this tick */
    if (!(act->flags & (SIM_ACT_GRAB | SIM_ACT_RELEASE))) script_hand(a, w, act);
}

void agent_magic(Agent* a, const SimWorld* w, SimAction* act) {
    double t = sim_world_time(w);
    const ScnAction* x;
    while (act->nmagic < SIM_ACTION_MAGIC && (x = due(a, QUEUE_MAGIC, t)) != NULL) {
        SimMagic m = x->magic;
        if (m.kind == SIM_MAGIC_APPEAR) {
            bool taken = act->flags & SIM_ACT_SPAWN;   /* the def's place */
            for (int i = 0; i < act->nmagic; i++) taken |= act->magic[i].kind == SIM_MAGIC_APPEAR;
            if (taken) break;
            act->spawn = x->spawn;
        } else if (m.kind != SIM_MAGIC_GRAVITY) {
            m.body = body_of(a, w, x);
            /* a body that is not there (not yet, or no more): the world would refuse it */
            if (m.body < 0) {
                a->st.next[QUEUE_MAGIC]++;
                continue;
            }
        }
        sim_action_add_magic(act, &m);
        a->st.next[QUEUE_MAGIC]++;
    }
}

static bool act_random(Agent* a, double t, const float* states, const uint8_t* mask, int k,
                       SimPush* out) {
    if (t + 1e-9 < a->st.next_push) return false;
    if (a->def.pushes > 0 && a->st.pushes >= a->def.pushes) return false;
    a->st.next_push = t + rng_uniform(&a->st.rng, a->def.every_lo, a->def.every_hi);
    /* a uniformly chosen live dynamic body */
    int candidates[256], n = 0;
    for (int i = 0; i < k && n < 256; i++)
        if (mask[i] && states[(size_t)i * SIM_OBS_DIM + SIM_OBS_is_static] < 0.5f) candidates[n++] = i;
    if (n == 0) return false;
    int slot = candidates[rng_int(&a->st.rng, 0, n - 1)];
    const float* s = states + (size_t)slot * SIM_OBS_DIM;
    /* |J|: the velocity change asked for times the mass (at most the limit), or with only a limit,
     * any impulse up to it */
    bool by_impulse = a->def.impulse > 0 && !a->def.dv_given;
    double dv = by_impulse ? rng_uniform(&a->st.rng, PLANNER_PUSH_MIN, 1.0) : rng_uniform(&a->st.rng, a->def.dv_lo, a->def.dv_hi);
    double ang = rng_uniform(&a->st.rng, -a->def.angle_deg, a->def.angle_deg) * (3.14159265358979323846 / 180.0);
    double dir = rng_unit(&a->st.rng) < 0.5 ? -1.0 : 1.0;
    double j = by_impulse ? dv * a->def.impulse : dv * s[SIM_OBS_mass];
    if (a->def.impulse > 0 && j > a->def.impulse) j = a->def.impulse;
    out->body = slot; /* slot = id (observation.h) */
    out->jx = dir * j * cos(ang);
    out->jy = j * sin(ang);
    out->px = 0.0;
    /* (within the body's height as it lies: planner_push_reach) */
    double hx, hy;
    planner_push_reach(s[SIM_OBS_size_w], s[SIM_OBS_size_h], s[SIM_OBS_cos], s[SIM_OBS_sin], &hx, &hy);
    out->py = rng_uniform(&a->st.rng, -1.0, 1.0) * a->def.height_frac * hy;
    a->st.pushes++;
    return true;
}

bool agent_act(Agent* a, const SimWorld* w, double t, const float* states, const uint8_t* mask,
               const int32_t* ids, int k, SimPush* out) {
    (void)ids;
    double t0 = clock_now();
    bool pushed = false;
    if (a->def.kind == SCN_AGENT_RANDOM) pushed = act_random(a, t, states, mask, k, out);
    else if (a->planner && w) pushed = planner_act(a->planner, w, states, mask, out);
    a->busy += clock_now() - t0;
    a->calls++;
    return pushed;
}

void agent_stats(const Agent* a, int64_t* decisions, double* seconds) {
    *decisions = a->planner ? planner_trace(a->planner)->decisions : a->calls;
    /* the pixel planner's audit is not deciding */
    *seconds = a->busy - (a->planner ? planner_trace(a->planner)->audit_seconds : 0.0);
}
