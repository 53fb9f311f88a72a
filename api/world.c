/* the public world: one episode of a scenario (agent/episode.h) stepped by the caller's pushes,
 * with the goals' statuses kept tick by tick */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "base/alloc.h"
#include "render/render.h"
#include "sim/observation.h"

_Static_assert(sizeof(NudgePush) == 40, "NudgePush is frozen for ABI 1");
_Static_assert(sizeof(NudgeEvent) == 40, "NudgeEvent is frozen for ABI 1");
_Static_assert((int)NUDGE_EVENT_TYPES == (int)SIM_EV_COUNT, "public event types are the world's");
_Static_assert((int)NUDGE_EVENT_BREAK == (int)SIM_EV_BREAK && (int)NUDGE_EVENT_TOPPLE == (int)SIM_EV_TOPPLE &&
                   (int)NUDGE_EVENT_OUT_OF_BOUNDS == (int)SIM_EV_OUT_OF_BOUNDS && (int)NUDGE_EVENT_CONTACT == (int)SIM_EV_CONTACT &&
                   (int)NUDGE_EVENT_PUSH == (int)SIM_EV_PUSH && (int)NUDGE_EVENT_FALL == (int)SIM_EV_FALL &&
                   (int)NUDGE_EVENT_REST == (int)SIM_EV_REST && (int)NUDGE_EVENT_MAGIC == (int)SIM_EV_MAGIC,
               "public event numbers are the world's");
_Static_assert((int)NUDGE_GOAL_PENDING == (int)SCN_GOAL_PENDING && (int)NUDGE_GOAL_MET == (int)SCN_GOAL_MET &&
                   (int)NUDGE_GOAL_FAILED == (int)SCN_GOAL_FAILED,
               "public goal statuses are the scenario's");

/// slots a world observes at most (the world's body limit)
#define NUDGE_MAX_SLOTS 65536

NudgeWorldDef nudge_world_def_default(void) {
    NudgeWorldDef d;
    memset(&d, 0, sizeof d);
    d.size = sizeof d;
    d.slots = NUDGE_OBS_SLOTS;
    d.agent = NUDGE_AGENT_NONE;
    return d;
}

/* the goals of the current instance, all pending again */
static void goals_restart(NudgeWorld* w) {
    free(w->goal_status);
    w->ngoals = w->ep.inst.ngoals;
    w->goal_status = alloc_zeroed(w->ngoals > 0 ? (size_t)w->ngoals : 1, sizeof *w->goal_status);
}

/* every pending goal as the world shows it now; a decided one keeps its status */
static void goals_watch(NudgeWorld* w) {
    for (int i = 0; i < w->ngoals; i++)
        if (w->goal_status[i] == NUDGE_GOAL_PENDING)
            w->goal_status[i] = (int)scn_goal_status(&w->ep.inst.goals[i], w->ep.world, NULL);
}

NudgeWorld* nudge_world_create(NudgeScenario* s, const NudgeWorldDef* def, char* err,
                               size_t err_size) {
    if (!s) {
        report_set(err, err_size, "nudge_world_create: no scenario (NULL)");
        return NULL;
    }
    NudgeWorldDef d = nudge_world_def_default();
    if (def && !api_def_read(&d, sizeof d, sizeof d, def, "NudgeWorldDef", err, err_size))
        return NULL;
    if (d.slots < 1 || d.slots > NUDGE_MAX_SLOTS) {
        report_set(err, err_size, "NudgeWorldDef: slots %d is outside [1, %d]", d.slots,
                   NUDGE_MAX_SLOTS);
        return NULL;
    }
    int agent;
    switch (d.agent) {
    case NUDGE_AGENT_NONE: agent = SCN_AGENT_NONE; break;
    case NUDGE_AGENT_SCENARIO: agent = -1; break;
    case NUDGE_AGENT_RANDOM: agent = SCN_AGENT_RANDOM; break;
    default:
        report_set(err, err_size, "NudgeWorldDef: agent %d is not NUDGE_AGENT_NONE, _SCENARIO or _RANDOM",
                   d.agent);
        return NULL;
    }
    if (d.use_seed != 0 && d.use_seed != 1) {
        report_set(err, err_size, "NudgeWorldDef: use_seed %d is neither 0 nor 1", d.use_seed);
        return NULL;
    }
    uint64_t    seed = d.use_seed ? d.seed : scn_default_seed(s->scn);
    NudgeWorld* w = alloc_zeroed(1, sizeof *w);
    if (!episode_begin(&w->ep, s->scn, seed, agent, d.slots, err, err_size)) {
        free(w);
        return NULL;
    }
    atomic_fetch_add(&s->refs, 1);
    w->scenario = s;
    w->agent = d.agent;
    w->K = d.slots;
    w->states = alloc_zeroed((size_t)w->K * SIM_OBS_DIM, sizeof *w->states);
    w->mask = alloc_zeroed((size_t)w->K, 1);
    w->ids = alloc_zeroed((size_t)w->K, sizeof *w->ids);
    goals_restart(w);
    return w;
}

void nudge_world_free(NudgeWorld* w) {
    if (!w) return;
    episode_end(&w->ep);
    for (int i = 0; i < w->nfeeds; i++) {
        episode_feed_free(&w->feeds[i].feed);
        nudge_trainer_release(w->feeds[i].trainer);
    }
    nudge_scenario_free(w->scenario);
    free(w->goal_status);
    free(w->states);
    free(w->mask);
    free(w->ids);
    free(w);
}

bool nudge_world_reset(NudgeWorld* w, uint64_t seed, char* err, size_t err_size) {
    if (!w) {
        report_set(err, err_size, "nudge_world_reset: no world (NULL)");
        return false;
    }
    SimAction reset = episode_reset_action(seed);
    episode_tick(&w->ep, &reset);
    if (!(w->ep.applied.flags & SIM_ACT_RESET)) {
        report_set(err, err_size, "%s", w->ep.refused);
        return false;
    }
    goals_restart(w);
    return true;
}

/* one tick of w->action, which holds the caller's pushes */
static int tick(NudgeWorld* w) {
    bool act = w->action.npushes > 0;
    episode_tick(&w->ep, act ? &w->action : NULL);
    goals_watch(w);
    return w->ep.applied.npushes;
}

static bool push_check(const NudgePush* p, int i, char* err, size_t err_size) {
    if (p->body < 0) {
        report_set(err, err_size, "push %d: body id %d is negative", i, p->body);
        return false;
    }
    if (p->reserved != 0) {
        report_set(err, err_size, "push %d: the reserved field is %d, not 0", i, p->reserved);
        return false;
    }
    if (!isfinite(p->jx) || !isfinite(p->jy) || !isfinite(p->px) || !isfinite(p->py)) {
        report_set(err, err_size, "push %d on body %d: impulse (%g, %g) at (%g, %g) is not finite", i,
                   p->body, p->jx, p->jy, p->px, p->py);
        return false;
    }
    return true;
}

int nudge_world_step(NudgeWorld* w, const NudgePush* pushes, int n, char* err, size_t err_size) {
    if (!w) {
        report_set(err, err_size, "nudge_world_step: no world (NULL)");
        return -1;
    }
    if (n < 0 || n > NUDGE_MAX_PUSHES) {
        report_set(err, err_size, "nudge_world_step: %d pushes is outside [0, %d]", n, NUDGE_MAX_PUSHES);
        return -1;
    }
    if (n > 0 && !pushes) {
        report_set(err, err_size, "nudge_world_step: %d pushes but no array (NULL)", n);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (!push_check(&pushes[i], i, err, err_size)) return -1;
    sim_action_clear(&w->action);
    for (int i = 0; i < n; i++) {
        SimPush p = {.body = pushes[i].body, .jx = pushes[i].jx, .jy = pushes[i].jy,
                     .px = pushes[i].px, .py = pushes[i].py};
        sim_action_add_push(&w->action, &p);
    }
    return tick(w);
}

int nudge_world_step_rows(NudgeWorld* w, const float* rows, int K, char* err, size_t err_size) {
    if (!w) {
        report_set(err, err_size, "nudge_world_step_rows: no world (NULL)");
        return -1;
    }
    if (K != w->K) {
        report_set(err, err_size, "nudge_world_step_rows: %d rows, but the world observes %d slots", K,
                   w->K);
        return -1;
    }
    sim_action_clear(&w->action);
    for (int k = 0; rows && k < K; k++) {
        const float* r = rows + (size_t)k * NUDGE_PUSH_DIM;
        if (r[0] == 0 && r[1] == 0 && r[2] == 0 && r[3] == 0) continue;
        NudgePush p = {.body = k, .jx = r[0], .jy = r[1], .px = r[2], .py = r[3]};
        if (!push_check(&p, k, err, err_size)) return -1;
        if (w->action.npushes == NUDGE_MAX_PUSHES) {
            report_set(err, err_size, "nudge_world_step_rows: more than %d rows push (a tick takes at most %d)",
                       NUDGE_MAX_PUSHES, NUDGE_MAX_PUSHES);
            return -1;
        }
        SimPush sp = {.body = k, .jx = p.jx, .jy = p.jy, .px = p.px, .py = p.py};
        sim_action_add_push(&w->action, &sp);
    }
    return tick(w);
}

int nudge_world_step_observe(NudgeWorld* w, const float* rows, int K, float* states, uint8_t* mask,
                             int32_t* ids, int* task, char* err, size_t err_size) {
    if (!w) {
        report_set(err, err_size, "nudge_world_step_observe: no world (NULL)");
        return -1;
    }
    int n = nudge_world_step_rows(w, rows, K, err, err_size);
    if (n < 0) return -1;
    if (states || mask || ids) nudge_world_observe(w, states, mask, ids, NULL);
    if (task) *task = nudge_world_task_status(w);
    return n;
}

const char* nudge_world_refused(const NudgeWorld* w) { if (!w) return NULL; return w->ep.refused; }
int nudge_world_slots(const NudgeWorld* w) { if (!w) return -1; return w->K; }

int nudge_world_observe(const NudgeWorld* w, float* states, uint8_t* mask, int32_t* ids,
                        uint8_t* contacts) {
    if (!w) return -1;
    /* the scratch is only written when a caller skips an array: a const world stays as it was */
    NudgeWorld* m = (NudgeWorld*)w;
    int live = sim_world_observe(w->ep.world, states ? states : m->states, mask ? mask : m->mask,
                                 ids ? ids : m->ids, w->K);
    if (contacts) sim_world_observe_contacts(w->ep.world, contacts, w->K);
    return live;
}

const char* nudge_event_name(int type) {
    if (type < 0 || type >= SIM_EV_COUNT) return NULL;
    return sim_event_name((SimEventType)type);
}

int nudge_world_events(const NudgeWorld* w, NudgeEvent* out, int cap) {
    if (!w) return -1;
    int             n = 0;
    const SimEvent* ev = sim_world_events(w->ep.world, &n);
    for (int i = 0; out && i < n && i < cap; i++)
        out[i] = (NudgeEvent){.type = (int32_t)ev[i].type, .a = ev[i].a, .b = ev[i].b,
                              .step = ev[i].step, .t = ev[i].t, .magnitude = ev[i].magnitude};
    return n;
}

uint64_t nudge_world_hash(const NudgeWorld* w) { if (!w) return 0; return sim_world_hash(w->ep.world); }
double nudge_world_time(const NudgeWorld* w) { if (!w) return NAN; return sim_world_time(w->ep.world); }
int64_t nudge_world_ticks(const NudgeWorld* w) { if (!w) return -1; return sim_world_ticks(w->ep.world); }
uint64_t nudge_world_seed(const NudgeWorld* w) { if (!w) return 0; return w->ep.seed; }
double nudge_world_seconds(const NudgeWorld* w) { if (!w) return NAN; return w->ep.inst.seconds; }

int nudge_world_params(const NudgeWorld* w, double* out, int cap) {
    if (!w) return -1;
    for (int i = 0; out && i < w->ep.inst.nparams && i < cap; i++) out[i] = w->ep.inst.params[i];
    return w->ep.inst.nparams;
}

double nudge_world_tick_seconds(const NudgeWorld* w) {
    if (!w) return NAN;
    const SimWorldDef* d = sim_world_def(w->ep.world);
    return d->dt * d->steps_per_tick;
}

int32_t nudge_world_find(const NudgeWorld* w, const char* name) {
    if (!w) return -1;
    return name ? sim_world_find(w->ep.world, name) : -1;
}

int nudge_world_dynamic_ids(const NudgeWorld* w, int32_t* out, int cap) {
    if (!w) return -1;
    /* how many there are, however many fit */
    int32_t all[256];
    int     n = sim_world_dynamic_ids(w->ep.world, all, 256);
    if (n < 256) {
        for (int i = 0; out && i < n && i < cap; i++) out[i] = all[i];
        return n;
    }
    int     total = sim_world_id_count(w->ep.world);
    int32_t* big = alloc_array((size_t)total, sizeof *big);
    n = sim_world_dynamic_ids(w->ep.world, big, total);
    for (int i = 0; out && i < n && i < cap; i++) out[i] = big[i];
    free(big);
    return n;
}

bool nudge_world_body_name(const NudgeWorld* w, int32_t id, char* out, size_t n) {
    if (!w) return false;
    SimBodyState st;
    if (!sim_world_body(w->ep.world, id, &st)) return false;
    if (out && n) report_set(out, n, "%s", st.name);
    return true;
}

int nudge_world_goal_count(const NudgeWorld* w) { if (!w) return -1; return w->ngoals; }

const char* nudge_world_goal_text(const NudgeWorld* w, int i) {
    if (!w) return NULL;
    return i >= 0 && i < w->ngoals ? w->ep.inst.goals[i].text : NULL;
}

int nudge_world_goal_status(const NudgeWorld* w, int i) {
    if (!w) return -1;
    return i >= 0 && i < w->ngoals ? w->goal_status[i] : -1;
}

int nudge_world_task_status(const NudgeWorld* w) {
    if (!w) return -1;
    bool met = false, pending = false;
    for (int i = 0; i < w->ngoals; i++) {
        if (w->goal_status[i] == NUDGE_GOAL_FAILED) return NUDGE_GOAL_FAILED;
        if (w->ep.inst.goals[i].negate) continue;
        if (w->goal_status[i] == NUDGE_GOAL_MET) met = true;
        else pending = true;
    }
    return met && !pending ? NUDGE_GOAL_MET : NUDGE_GOAL_PENDING;
}

bool nudge_world_render(const NudgeWorld* w, uint8_t* rgb, int width, int height, char* err,
                        size_t err_size) {
    if (!w) {
        report_set(err, err_size, "nudge_world_render: no world (NULL)");
        return false;
    }
    if (!rgb) {
        report_set(err, err_size, "nudge_world_render: no pixel buffer (NULL)");
        return false;
    }
    if (width < 1 || width > 8192 || height < 1 || height > 8192) {
        report_set(err, err_size, "nudge_world_render: size %dx%d is outside 1x1 .. 8192x8192", width,
                   height);
        return false;
    }
    double rect[4];
    render_scene_rect(&w->ep.inst, rect);
    render_world(w->ep.world, rect, rgb, width, height, 3);
    return true;
}
