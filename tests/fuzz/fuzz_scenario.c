/* fuzz_scenario: the scenario loader (scn_parse) on any bytes; a scenario it accepts is
 * instantiated with two seeds, built into a world with its agent (planners stand down: their search
 * is not the loader), run for a few control ticks with its expectations judged, and freed. */
#include <string.h>

#include "agent/episode.h"
#include "fuzz.h"
#include "sim/scenario.h"
#include "sim/world.h"

#define TICKS 4

int LLVMFuzzerInitialize(int* argc, char*** argv) {
    (void)argc, (void)argv;
    sim_quiet_chipmunk();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    char err[1024];
    err[0] = 0;
    Scenario* s = scn_parse((const char*)data, size, "fuzz.scn", err, sizeof err);
    if (!s) {
        FUZZ_ASSERT(fuzz_one_line(err));
        return 0;
    }
    uint64_t seed = scn_default_seed(s);
    ScnInstance inst;
    memset(&inst, 0, sizeof inst);
    if (scn_instantiate(s, seed + 1, &inst, err, sizeof err)) scn_instance_free(&inst);
    else FUZZ_ASSERT(fuzz_one_line(err));
    ScnAgentKind kind = scn_agent_kind(s);
    int agent = kind == SCN_AGENT_PLANNER || kind == SCN_AGENT_ORACLE ? SCN_AGENT_NONE : -1;
    Episode ep;
    memset(&ep, 0, sizeof ep);
    if (!episode_begin(&ep, s, seed, agent, 8, err, sizeof err)) {
        /* parsing instantiated the default seed once already: only the world or the agent may refuse */
        FUZZ_ASSERT(fuzz_one_line(err));
        episode_end(&ep);
        scn_free(s);
        return 0;
    }
    fuzz_accepted("a scenario");
    ScnChecker* c = scn_checker_create(s, &ep.inst, ep.world);
    for (int t = 0; t < TICKS && !sim_world_error(ep.world); t++) {
        episode_observe(&ep);
        episode_tick(&ep, NULL);
        scn_checker_observe(c, ep.world);
    }
    ScnVerdict v[8];
    int n = scn_checker_finish(c, v, 8);
    FUZZ_ASSERT(n >= 0);
    scn_checker_free(c);
    episode_end(&ep);
    scn_free(s);
    return 0;
}
