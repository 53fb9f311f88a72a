/* episode: one run of a scenario with its agent, one control tick at a time. The one loop that
 * `nudge run`, `check`, `gen`, the view and the live trainer all go through.
 *
 * A tick (episode_tick):
 *   1. a reset in the external action restarts the episode from its scenario with the action's
 *      seed, and that is the whole tick (no physics step: the world is at t = 0 afterwards);
 *   2. otherwise the observation is taken (when the agent or a hook reads it), the agent is asked
 *      for its push unless the external action pushes or a hand holds a body (a person's push or
 *      grab stands in for the agent's that tick), its push joins the external action, and the
 *      world applies the merged action and steps (sim_world_act, sim/action.h);
 *   3. `applied` holds what actually took effect (refused parts left out, reasons in `refused`),
 *      and every hook is called. A recorder copies `applied`; replaying those copies with
 *      episode_tick_recorded gives the same world, tick for tick.
 *
 * The external action is whoever acts besides the agent: the mouse in the view, a recording, a
 * planner; NULL when there is none. */
#ifndef NUDGE_AGENT_EPISODE_H
#define NUDGE_AGENT_EPISODE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/agent.h"
#include "sim/action.h"
#include "sim/scenario.h"
#include "sim/world.h"

typedef struct Episode Episode;

/// called after every tick: e->applied is what the tick applied, sim_world_events(e->world) its
/// events, the world is as the tick left it, and e->states/mask/ids/contacts hold the observation
/// from the start of the tick (before its action) when the hook asked for it. On a reset tick
/// (applied.flags & SIM_ACT_RESET) the world is the new one and the observation is its start.
typedef void (*EpisodeHook)(void* ctx, const Episode* e);

/// what a hook reads
enum {
    EPISODE_READS_OBS      = 1,   /* states, mask, ids at the start of each tick */
    EPISODE_READS_CONTACTS = 2,   /* contacts too (implies the observation) */
};

#define EPISODE_MAX_HOOKS 8

struct Episode {
    const Scenario* scn;         /* not owned; kept for resets */
    AgentOverride override;      /* the command line's changes to the scenario's agent */
    ScnInstance inst;
    SimWorld*   world;
    Agent*      agent;
    uint64_t    seed;            /* the seed of the current instance */
    int         slots;           /* K */
    float*      states;          /* [K * SIM_OBS_DIM] */
    uint8_t*    mask;            /* [K] */
    int32_t*    ids;             /* [K] */
    uint8_t*    contacts;        /* [K] 1 = touching another body (when observed with contacts) */
    bool        fresh;           /* the buffers show the world as it is now */
    bool        read_contacts;   /* observations include contacts */
    SimAction   applied;         /* what the last tick applied */
    char        refused[256];    /* why part of the last tick's action was not applied ("" = none) */
    int         nhooks;
    EpisodeHook hooks[EPISODE_MAX_HOOKS];
    void*       hook_ctx[EPISODE_MAX_HOOKS];
    unsigned    reads;           /* union of the hooks' EPISODE_READS_* */
};

/// instantiates s with seed, builds the world and the agent (kind = the scenario's, or `agent`
/// when agent >= 0). s must outlive the episode. false + message on bad input
bool episode_begin(Episode* e, const Scenario* s, uint64_t seed, int agent, int slots, char* err,
                   size_t err_size);
/// the same, with the agent changed as the command line asks (o may be NULL)
bool episode_begin_with(Episode* e, const Scenario* s, uint64_t seed, const AgentOverride* o,
                        int slots, char* err, size_t err_size);
/// replaces the agent, for this episode's instance and seed, by the one o asks for (o is kept for
/// resets too); false + one line when it cannot be made (the old agent stays)
bool episode_set_agent(Episode* e, const AgentOverride* o, char* err, size_t err_size);
/// the instance's control tick, s (its physics step times its steps per tick)
double episode_tick_seconds(const ScnInstance* inst);
/// whether m may run on the instance's world: its step is the world's control tick (wm_step_check:
/// a model trained on gen --stride K records steps K ticks). false + one line otherwise
bool episode_model_check(const ScnInstance* inst, const WmModel* m, char* err, size_t err_size);
/// the same for a model of any kind that steps model_dt s (wm_step_check)
bool episode_step_check(const ScnInstance* inst, double model_dt, char* err, size_t err_size);
/// one control tick with the external action merged in (external may be NULL); see above
void episode_tick(Episode* e, const SimAction* external);
/// the action that resets the episode with seed (for episode_tick)
SimAction episode_reset_action(uint64_t seed);
/// observes the current state into states/mask/ids (and contacts when read) without ticking
void episode_observe(Episode* e);
/// calls hook(ctx, e) after every tick from now on, reading what `reads` says; false when
/// EPISODE_MAX_HOOKS are attached already
bool episode_attach(Episode* e, EpisodeHook hook, void* ctx, unsigned reads);
void episode_end(Episode* e);   /* frees everything; safe on a zeroed Episode */

/// true when the last tick did something no push explains: a spawn, a grab or release, the hand
/// holding a body, magic. The trainer's feed does not learn across such a tick and the view does
/// not score predictions across it
bool episode_intervened(const Episode* e);
/// the same without magic: a hand or a spawn moved the world in the last tick (a reset too). Surprise
/// is not scored across such a tick, but it is across magic (that is what it is for)
bool episode_handled(const Episode* e);

/// one tick of an action that was applied once already (a replay, a rewind re-simulating): the
/// agent is not asked and no hook runs. A reset restarts the episode as episode_tick does
void episode_tick_applied(Episode* e, const SimAction* applied);
/// one tick of a recorded action (what an earlier episode_tick applied; NULL = nothing): the
/// action is the whole tick, so neither the agent nor the scenario's magic adds to it (they did
/// the first time, and it holds what they did), and the hooks run as after episode_tick. A replay
/// goes through the same states as the recorded episode, whatever its agent
void episode_tick_recorded(Episode* e, const SimAction* applied);

/// the whole changing state of an episode: the seed of its instance, its world, its agent
typedef struct EpisodeSave EpisodeSave;
EpisodeSave* episode_save(const Episode* e);
void         episode_save_free(EpisodeSave* s);        /* NULL-safe */
/// the memory a save holds (bytes)
size_t       episode_save_bytes(const EpisodeSave* s);
/// puts e back into the saved state (instantiating the scenario again when the seed differs; the
/// hooks stay, none runs). false + one line, e unchanged, when the save cannot be taken
bool         episode_load(Episode* e, const EpisodeSave* s, char* err, size_t err_size);

#endif
