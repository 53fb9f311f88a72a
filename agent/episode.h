/* episode: one run of a scenario instance with its agent, tick by tick. The one loop that `nudge
 * run`, `check`, `gen` and the view share: observe -> agent -> push -> tick. */
#ifndef NUDGE_AGENT_EPISODE_H
#define NUDGE_AGENT_EPISODE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/agent.h"
#include "sim/scenario.h"
#include "sim/world.h"

typedef struct Episode {
    ScnInstance inst;
    SimWorld*   world;
    Agent*      agent;
    uint64_t    seed;
    int         slots;       /* K */
    float*      states;      /* [K * SIM_OBS_DIM], the observation before the last tick's push */
    uint8_t*    mask;        /* [K] */
    int32_t*    ids;         /* [K] */
    bool        fresh;       /* states/mask/ids show the world as it is now */
    bool        pushed;      /* the last tick had a push ... */
    SimPush     push;        /* ... this one */
} Episode;

/// instantiates s with seed, builds the world and the agent (kind = the scenario's, or `agent`
/// when agent >= 0). false + message on bad input
bool episode_begin(Episode* e, const Scenario* s, uint64_t seed, int agent, int slots, char* err,
                   size_t err_size);
/// the same, with the agent changed as the command line asks (o may be NULL)
bool episode_begin_with(Episode* e, const Scenario* s, uint64_t seed, const AgentOverride* o,
                        int slots, char* err, size_t err_size);
/// asks the agent (observing first into states/mask/ids if it reads them and they are not fresh),
/// ticks the world once; states/mask/ids are stale afterwards until episode_observe
void episode_tick(Episode* e);
/// observes the current state into states/mask/ids without ticking
void episode_observe(Episode* e);
void episode_end(Episode* e);   /* frees everything; safe on a zeroed Episode */

#endif
