#include "agent/episode.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "sim/observation.h"

double episode_tick_seconds(const ScnInstance* inst) { return inst->world.dt * inst->world.steps_per_tick; }

bool episode_step_check(const ScnInstance* inst, double model_dt, char* err, size_t err_size) {
    return wm_step_check(model_dt, episode_tick_seconds(inst), err, err_size);
}

bool episode_model_check(const ScnInstance* inst, const WmModel* m, char* err, size_t err_size) {
    return episode_step_check(inst, wm_arch(m)->dt, err, err_size);
}

/* an agent for the instance, as the override asks; NULL + "source: why" */
static Agent* make_agent(const Episode* e, const ScnInstance* inst, const AgentOverride* o, uint64_t seed,
                         char* err, size_t err_size) {
    AgentSetup setup = {inst->agent, inst->actions, inst->nactions, inst->goals, inst->ngoals,
                        o->model, e->slots, seed, o->jepa, {0, 0, 0, 0}, o->jepa_energy};
    if (o->jepa) jepa_frame_rect(o->jepa, inst, setup.jepa_rect);
    agent_override_apply(o, &setup.def);
    char why[512];
    /* a planner imagines with the model one control tick at a time (a pixel model: one frame a tick) */
    bool planner = setup.def.kind == SCN_AGENT_PLANNER;
    if (planner && ((o->jepa && !episode_step_check(inst, jepa_arch(o->jepa)->dt, why, sizeof why)) ||
                    (!o->jepa && o->model && !episode_model_check(inst, o->model, why, sizeof why)))) {
        report_set(err, err_size, "%s: %s", inst->source, why);
        return NULL;
    }
    Agent* agent = agent_create(&setup, why, sizeof why);
    if (!agent) report_set(err, err_size, "%s: %s", inst->source, why);
    return agent;
}

bool episode_set_agent(Episode* e, const AgentOverride* o, char* err, size_t err_size) {
    Agent* agent = make_agent(e, &e->inst, o, e->seed, err, err_size);
    if (!agent) return false;
    agent_free(e->agent);
    e->agent = agent;
    e->override = *o;
    return true;
}

/* the scenario instance, its world and its agent for seed; on failure e keeps what it had */
static bool instantiate(Episode* e, uint64_t seed, char* err, size_t err_size) {
    ScnInstance inst;
    if (!scn_instantiate(e->scn, seed, &inst, err, err_size)) return false;
    SimWorld* world = scn_instance_build(&inst, seed, err, err_size);
    if (!world) {
        scn_instance_free(&inst);
        return false;
    }
    Agent* agent = make_agent(e, &inst, &e->override, seed, err, err_size);
    if (!agent) {
        sim_world_destroy(world);
        scn_instance_free(&inst);
        return false;
    }
    agent_free(e->agent);
    sim_world_destroy(e->world);
    scn_instance_free(&e->inst);
    e->inst = inst;
    e->world = world;
    e->agent = agent;
    e->seed = seed;
    e->fresh = false;
    return true;
}

bool episode_begin(Episode* e, const Scenario* s, uint64_t seed, int agent, int slots, char* err,
                   size_t err_size) {
    AgentOverride o = agent_override_none();
    o.kind = agent;
    return episode_begin_with(e, s, seed, &o, slots, err, err_size);
}

bool episode_begin_with(Episode* e, const Scenario* s, uint64_t seed, const AgentOverride* o,
                        int slots, char* err, size_t err_size) {
    memset(e, 0, sizeof *e);
    e->scn = s;
    e->override = o ? *o : agent_override_none();
    e->slots = slots;
    if (!instantiate(e, seed, err, err_size)) {
        episode_end(e);
        return false;
    }
    e->states = alloc_zeroed((size_t)slots * SIM_OBS_DIM, sizeof *e->states);
    e->mask = alloc_zeroed((size_t)slots, 1);
    e->ids = alloc_zeroed((size_t)slots, sizeof *e->ids);
    e->contacts = alloc_zeroed((size_t)slots, 1);
    episode_observe(e);
    return true;
}

bool episode_attach(Episode* e, EpisodeHook hook, void* ctx, unsigned reads) {
    if (e->nhooks >= EPISODE_MAX_HOOKS) return false;
    e->hooks[e->nhooks] = hook;
    e->hook_ctx[e->nhooks] = ctx;
    e->nhooks++;
    e->reads |= reads;
    if (reads & EPISODE_READS_CONTACTS) {
        e->read_contacts = true;
        e->fresh = false;   /* the next observation takes the contacts too */
    }
    return true;
}

void episode_observe(Episode* e) {
    sim_world_observe(e->world, e->states, e->mask, e->ids, e->slots);
    if (e->read_contacts) sim_world_observe_contacts(e->world, e->contacts, e->slots);
    e->fresh = true;
}

SimAction episode_reset_action(uint64_t seed) {
    SimAction a;
    sim_action_clear(&a);
    a.flags = SIM_ACT_RESET;
    a.reset_seed = seed;
    return a;
}

static void run_hooks(Episode* e) {
    for (int i = 0; i < e->nhooks; i++) e->hooks[i](e->hook_ctx[i], e);
}

void episode_tick(Episode* e, const SimAction* external) {
    e->refused[0] = 0;
    /* a reset is the whole tick */
    if (external && (external->flags & SIM_ACT_RESET)) {
        sim_action_clear(&e->applied);
        if (instantiate(e, external->reset_seed, e->refused, sizeof e->refused)) {
            e->applied.flags = SIM_ACT_RESET;
            e->applied.reset_seed = external->reset_seed;
        }
        if (e->reads) episode_observe(e);
        run_hooks(e);
        return;
    }
    bool reads = e->reads || agent_observes(e->agent);
    if (reads && !e->fresh) episode_observe(e);
    /* the merged action: the external one; the script's due actions where they fit; or the
     * agent's push unless a person pushes or holds */
    SimAction act;
    if (external) act = *external;
    else sim_action_clear(&act);
    if (agent_scripted(e->agent)) {
        agent_script(e->agent, e->world, &act);
    } else {
        bool hand = (act.flags & SIM_ACT_GRAB) || (sim_world_grabbed(e->world, NULL) && !(act.flags & SIM_ACT_RELEASE));
        SimPush push;
        if (act.npushes == 0 && !hand &&
            agent_act(e->agent, e->world, sim_world_time(e->world), e->states, e->mask, e->ids, e->slots, &push))
            sim_action_add_push(&act, &push);
    }
    agent_magic(e->agent, e->world, &act);
    sim_world_act(e->world, &act, &e->applied, e->refused, sizeof e->refused);
    e->fresh = false;
    run_hooks(e);
}

bool episode_handled(const Episode* e) {
    const SimAction* a = &e->applied;
    return (a->flags & (SIM_ACT_RESET | SIM_ACT_GRAB | SIM_ACT_RELEASE | SIM_ACT_SPAWN)) || sim_world_grabbed(e->world, NULL);
}

bool episode_intervened(const Episode* e) {
    const SimAction* a = &e->applied;
    return (a->flags & (SIM_ACT_GRAB | SIM_ACT_RELEASE | SIM_ACT_SPAWN)) || a->nmagic > 0 || sim_world_grabbed(e->world, NULL);
}

void episode_tick_applied(Episode* e, const SimAction* applied) {
    e->refused[0] = 0;
    if (applied->flags & SIM_ACT_RESET) {
        sim_action_clear(&e->applied);
        if (instantiate(e, applied->reset_seed, e->refused, sizeof e->refused)) {
            e->applied.flags = SIM_ACT_RESET;
            e->applied.reset_seed = applied->reset_seed;
        }
        return;
    }
    sim_world_act(e->world, applied, &e->applied, e->refused, sizeof e->refused);
    e->fresh = false;
}

void episode_tick_recorded(Episode* e, const SimAction* applied) {
    SimAction none;
    if (!applied) sim_action_clear(&none), applied = &none;
    bool reset = applied->flags & SIM_ACT_RESET;
    if (!reset && e->reads && !e->fresh) episode_observe(e);
    episode_tick_applied(e, applied);
    if (reset && e->reads) episode_observe(e);
    run_hooks(e);
}

struct EpisodeSave {
    uint64_t     seed;
    SimSnapshot* world;
    AgentState   agent;
};

EpisodeSave* episode_save(const Episode* e) {
    EpisodeSave* s = alloc_zeroed(1, sizeof *s);
    s->seed = e->seed;
    s->world = sim_world_snapshot(e->world);
    agent_state_save(e->agent, &s->agent);
    return s;
}

void episode_save_free(EpisodeSave* s) {
    if (!s) return;
    sim_snapshot_free(s->world);
    free(s);
}

size_t episode_save_bytes(const EpisodeSave* s) { return s ? sizeof *s + sim_snapshot_bytes(s->world) : 0; }

bool episode_load(Episode* e, const EpisodeSave* s, char* err, size_t err_size) {
    /* another instance first (a save from before a reset); then its world and its agent */
    if (s->seed != e->seed) {
        Episode tmp = *e;
        tmp.world = NULL, tmp.agent = NULL;
        memset(&tmp.inst, 0, sizeof tmp.inst);
        if (!instantiate(&tmp, s->seed, err, err_size)) return false;
        char why[256];
        if (!sim_world_restore(tmp.world, s->world, why, sizeof why)) {
            report_set(err, err_size, "cannot go back: %s", why);
            agent_free(tmp.agent);
            sim_world_destroy(tmp.world);
            scn_instance_free(&tmp.inst);
            return false;
        }
        agent_free(e->agent);
        sim_world_destroy(e->world);
        scn_instance_free(&e->inst);
        e->inst = tmp.inst, e->world = tmp.world, e->agent = tmp.agent, e->seed = s->seed;
    } else {
        char why[256];
        if (!sim_world_restore(e->world, s->world, why, sizeof why)) {
            report_set(err, err_size, "cannot go back: %s", why);
            return false;
        }
    }
    agent_state_load(e->agent, &s->agent);
    sim_action_clear(&e->applied);
    e->refused[0] = 0;
    e->fresh = false;
    return true;
}

void episode_end(Episode* e) {
    agent_free(e->agent);
    sim_world_destroy(e->world);
    scn_instance_free(&e->inst);
    free(e->states);
    free(e->mask);
    free(e->ids);
    free(e->contacts);
    memset(e, 0, sizeof *e);
}
