/* agent: who pushes. One API serves every loop (run, check, gen, view): given the observation and
 * its own rng, an agent returns at most one push for this control tick.
 *   scripted  the scenario's timed actions ('at T push BODY JX JY [offset PX PY]'), in time order;
 *             actions due at the same tick go out one per tick, in file order
 *   random    every U(every_lo, every_hi) seconds (from `start` on) pushes a uniformly chosen live
 *             dynamic body with |J| = mass * U(dv_lo, dv_hi), direction within +-angle_deg of
 *             horizontal (left or right with equal odds), at a point up to +-height_frac * h/2
 *             above or below the centre of mass
 *   none      never pushes */
#ifndef NUDGE_AGENT_AGENT_H
#define NUDGE_AGENT_AGENT_H
#include <stdbool.h>
#include <stdint.h>

#include "sim/scenario.h"
#include "sim/world.h"

typedef struct Agent Agent;

/// kind from def->kind; actions are copied (scripted); seed drives the random agent
Agent*      agent_create(const ScnAgentDef* def, const ScnAction* actions, int nactions, uint64_t seed);
void        agent_free(Agent* a);                    /* NULL-safe */
const char* agent_kind_name(ScnAgentKind kind);
/// -1 if unknown ("scripted", "random", "none")
int         agent_kind_find(const char* name);

/// command-line changes to a scenario's agent: kind < 0, and ranges with lo < 0, keep the scenario's
typedef struct AgentOverride {
    int    kind;        /* ScnAgentKind, or -1 */
    double every[2];    /* s between random pushes, or {-1, -1} */
    double dv[2];       /* velocity change of a random push, m/s, or {-1, -1} */
} AgentOverride;

AgentOverride agent_override_none(void);
void          agent_override_apply(const AgentOverride* o, ScnAgentDef* def);
/// parses "LO,HI" with 0 <= LO <= HI <= max, both finite; false on anything else
bool          agent_parse_range(const char* text, double max, double* range);

/// true if agent_act reads the observation (the random agent); false lets loops skip observing
bool        agent_observes(const Agent* a);

/// t = simulated time now (s); states/mask/ids = the observation (k slots, sim/observation.h).
/// true and *out filled when the agent pushes this tick
bool        agent_act(Agent* a, double t, const float* states, const uint8_t* mask,
                      const int32_t* ids, int k, SimPush* out);

#endif
