#include "agent/episode.h"

#include <stdlib.h>
#include <string.h>

#include "base/report.h"
#include "sim/observation.h"

bool episode_begin(Episode* e, const Scenario* s, uint64_t seed, int agent, int slots, char* err,
                   size_t err_size) {
    AgentOverride o = agent_override_none();
    o.kind = agent;
    return episode_begin_with(e, s, seed, &o, slots, err, err_size);
}

bool episode_begin_with(Episode* e, const Scenario* s, uint64_t seed, const AgentOverride* o,
                        int slots, char* err, size_t err_size) {
    memset(e, 0, sizeof *e);
    e->seed = seed;
    e->slots = slots;
    if (!scn_instantiate(s, seed, &e->inst, err, err_size)) return false;
    e->world = scn_instance_build(&e->inst, seed, err, err_size);
    if (!e->world) {
        episode_end(e);
        return false;
    }
    ScnAgentDef def = e->inst.agent;
    agent_override_apply(o, &def);
    e->agent = agent_create(&def, e->inst.actions, e->inst.nactions, seed);
    e->states = calloc((size_t)slots * SIM_OBS_DIM, sizeof *e->states);
    e->mask = calloc((size_t)slots, 1);
    e->ids = calloc((size_t)slots, sizeof *e->ids);
    if (!e->agent || !e->states || !e->mask || !e->ids) {
        report_set(err, err_size, "out of memory");
        episode_end(e);
        return false;
    }
    episode_observe(e);
    return true;
}

void episode_observe(Episode* e) {
    sim_world_observe(e->world, e->states, e->mask, e->ids, e->slots);
    e->fresh = true;
}

void episode_tick(Episode* e) {
    if (!e->fresh && agent_observes(e->agent)) episode_observe(e);
    bool wants = agent_act(e->agent, sim_world_time(e->world), e->states, e->mask, e->ids, e->slots,
                           &e->push);
    e->pushed = sim_world_tick(e->world, wants ? &e->push : NULL);
    e->fresh = false;
}

void episode_end(Episode* e) {
    agent_free(e->agent);
    sim_world_destroy(e->world);
    scn_instance_free(&e->inst);
    free(e->states);
    free(e->mask);
    free(e->ids);
    memset(e, 0, sizeof *e);
}
