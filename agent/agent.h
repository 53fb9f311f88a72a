/* agent: who acts. One API serves every loop (run, check, gen, view).
 *   scripted  the scenario's timed actions ('at T push|grab|release|spawn ...', scenarios/README.md):
 *             its script, run by agent_script. Each tick sends what is due of three queues, in
 *             file order: one push line (all the pushes joined by 'and' on it), one spawn, and the
 *             hand (a release, then a grab key frame). What is due but finds its part of the
 *             action taken (a second push line, a person's grab) waits for the next tick. Between
 *             two grab key frames of one hold the hand's target moves linearly, tick by tick;
 *             after the last one it stays until a release (or until the body leaves the world)
 *   random    every U(every_lo, every_hi) seconds (from `start` on) pushes a uniformly chosen live
 *             dynamic body with |J| = mass * U(dv_lo, dv_hi) (at most `impulse` N*s when set),
 *             direction within +-angle_deg of horizontal (left or right with equal odds), at a point
 *             up to +-height_frac * h/2 above or below the centre of mass; at most `pushes` pushes
 *             an episode when set (agent_act)
 *   planner   plans pushes toward the scenario's goals, imagining them with a world model
 *             (agent/planner.h; agent_act)
 *   oracle    the same planner imagining with the true simulator
 *             (a planner given a pixel model, AgentSetup.jepa, imagines with it toward a goal image)
 *   none      never acts */
#ifndef NUDGE_AGENT_AGENT_H
#define NUDGE_AGENT_AGENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"
#include "model/jepa.h"
#include "model/wm.h"
#include "sim/action.h"
#include "sim/scenario.h"
#include "sim/world.h"

typedef struct Agent Agent;
typedef struct Planner Planner;

/// the scripted agent's hand: the hold it keeps and where its target goes
typedef struct AgentHold {
    int32_t item;          /* index in the hand queue of the key frame reached last; -1 = no hold */
    int32_t body;          /* the held body's id */
    double  anchor[2];     /* the held point, body frame about the centre of mass (m) */
    int64_t from_steps;    /* world steps when `item` was reached */
    int32_t next;          /* the hand queue's next key frame of this hold, -1 = none */
    int64_t span;          /* ticks from `item` to `next` being due */
} AgentHold;

/// everything of an agent that changes while it acts (plain data: the view's history keeps copies).
/// A planner's search state is not in it: a planner put back with agent_state_load keeps its push
/// count and decides afresh (no warm start) at the next tick
typedef struct AgentState {
    Rng       rng;
    double    next_push;   /* random: time of the next push (s) */
    int32_t   next[4];     /* the next push, spawn, hand (scripted) and magic item not yet sent */
    AgentHold hold;
    int32_t   spawn_item;  /* the spawn sent last (-1 = none), its id and the world's steps then */
    int32_t   spawn_id;
    int64_t   spawn_steps;
    int32_t   pushes;      /* random, planner: pushes made this episode (the budget's count) */
} AgentState;

/// what an agent is made from
typedef struct AgentSetup {
    ScnAgentDef      def;        /* the kind and its settings */
    const ScnAction* actions;    /* scripted: the timed actions (copied) */
    int              nactions;
    const ScnGoal*   goals;      /* planner, oracle: the goals to reach (copied) */
    int              ngoals;
    const WmModel*   model;      /* planner: the world model it imagines with (not owned) */
    int              slots;      /* K: observation slots */
    uint64_t         seed;       /* the agent's own rng streams come from it */
    const JepaModel* jepa;       /* planner: imagine with this pixel model instead (planner_set_jepa;
                                    not owned; NULL = none, the model above) */
    double           jepa_rect[4]; /* its frames' world rectangle (jepa_frame_rect) */
    unsigned         jepa_energy;  /* its energy's PLAN_JEPA_* flags (planner_set_jepa) */
} AgentSetup;

/// NULL + one line for what cannot be made (a planner without a model, a model whose slots differ
/// from the observation's, a planner configuration it refuses)
Agent*      agent_create(const AgentSetup* setup, char* err, size_t err_size);
void        agent_free(Agent* a);                    /* NULL-safe */
const char* agent_kind_name(ScnAgentKind kind);
/// -1 if unknown ("scripted", "random", "planner", "oracle", "none")
int         agent_kind_find(const char* name);
ScnAgentKind agent_kind(const Agent* a);

/// command-line changes to a scenario's agent: kind < 0, ranges with lo < 0 and numbers < 0 keep
/// the scenario's
typedef struct AgentOverride {
    int    kind;        /* ScnAgentKind, or -1 */
    double every[2];    /* s between random pushes, or {-1, -1} */
    double dv[2];       /* velocity change of a random push, m/s, or {-1, -1} */
    /* planner and oracle (pushes and impulse: random too) */
    int    samples, iters, horizon, replan, elites, pushes;
    double impulse, push_cost;
    const WmModel* model;   /* the world model planners imagine with (not owned); NULL = none */
    const JepaModel* jepa;  /* a planner imagines with this pixel model instead (not owned); NULL = none */
    unsigned jepa_energy;   /* its energy's PLAN_JEPA_* flags (planner_set_jepa) */
    bool   explore;         /* a scenario's planner or oracle becomes a random agent without a push
                               budget, its impulse limit kept (gen explores task scenes) */
} AgentOverride;

AgentOverride agent_override_none(void);
void          agent_override_apply(const AgentOverride* o, ScnAgentDef* def);
/// parses "LO,HI" with 0 <= LO <= HI <= max, both finite; false on anything else
bool          agent_parse_range(const char* text, double max, double* range);

/// true if agent_act reads the observation (random, planner); false lets loops skip observing
bool        agent_observes(const Agent* a);
/// true for the scripted agent: its actions come from agent_script, not agent_act
bool        agent_scripted(const Agent* a);

/// w = the world now (planners read it; the others may get NULL), t = its time (s);
/// states/mask/ids = the observation (k slots, sim/observation.h). true and *out filled when the
/// agent pushes this tick (random, planner, oracle)
bool        agent_act(Agent* a, const SimWorld* w, double t, const float* states, const uint8_t* mask,
                      const int32_t* ids, int k, SimPush* out);
/// the scripted agent's script for the tick that starts now on w: adds to *act what is due (see
/// above), leaving what act holds already; does nothing for the other kinds
void        agent_script(Agent* a, const SimWorld* w, SimAction* act);
/// the scenario's magic lines ('at T teleport ...') due on w, for every kind of agent: they are not
/// the agent's doing, so a random or planning agent's episode has them too. Adds what fits to *act
/// (SIM_ACTION_MAGIC entries; an appear when act carries no spawn); the rest waits a tick
void        agent_magic(Agent* a, const SimWorld* w, SimAction* act);

/// the agent's changing state, to put back later with agent_state_load (same agent, or one made
/// from the same definition and actions)
void        agent_state_save(const Agent* a, AgentState* out);
void        agent_state_load(Agent* a, const AgentState* st);

/// true when a timed action at t_item is due at a tick starting at t_now (s): the first tick at or
/// after t_item, within 1e-9 s
static inline bool agent_due(double t_item, double t_now) { return t_item <= t_now + 1e-9; }
/// the hand's target m ticks after key frame a, span ticks before key frame b (one coordinate, m).
/// The scripted agent and the recording's scenario writer both use it, so a written hold
/// reproduces its targets bit for bit
static inline double agent_hand_lerp(double a, double b, int64_t m, int64_t span) {
    if (span <= 0 || m >= span) return m <= 0 ? a : b;
    return a + (b - a) * ((double)m / (double)span);
}

/// decisions made (a planner's searches; the other kinds: calls of agent_act) and the wall time
/// agent_act took in all (s)
void        agent_stats(const Agent* a, int64_t* decisions, double* seconds);

/// the planner inside a planner or oracle agent, NULL for the other kinds
Planner*    agent_planner(Agent* a);
const Planner* agent_planner_const(const Agent* a);

#endif
