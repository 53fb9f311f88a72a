/* action: everything that changes a world from outside during one control tick, as plain data.
 *
 * One SimAction per control tick is the action stream: the agent's pushes, a person's mouse in the
 * view, a recording being replayed and a planner's choice all become one of these, and
 * episode_tick (agent/episode.h) applies it and keeps a copy of what it actually applied. So a
 * recorder copies that copy, a replay feeds it back, and nothing else changes the world.
 *
 * What one action can carry, applied in this order at the start of the tick:
 *   reset    the episode restarts from its scenario with reset_seed. An episode operation: the
 *            world ignores it, and a tick whose action resets does only that (no physics step)
 *   release  the hand lets go of the body it holds
 *   spawn    a new body from a SimBodyDef (it gets the next id)
 *   grab     the hand holds body grab.body at grab.anchor and moves to grab.target over the tick
 *            (a kinematic hand body and a pivot joint, as in Chipmunk's demos). Send it every tick
 *            the hand should keep holding: a grab of the body already held only moves the target
 *            (its anchor stays where it was taken). The hold ends with a release, a grab of
 *            another body, or when the body leaves the world (breaks, out of bounds)
 *   pushes   up to SIM_ACTION_PUSHES impulses, each at a point on a live dynamic body
 *   magic    impossible events (SimMagicKind: teleport, vanish, appear, freeze, mass, gravity,
 *            ghost, unbreakable, drift), up to SIM_ACTION_MAGIC in one tick, applied after the
 *            pushes in their order. Each acts outside the physics and is reported as a `magic`
 *            event (sim/events.h) whose b is the kind, so that a timeline, a trace and a dataset
 *            all show it. An `appear` takes its body from `spawn` (the action then carries no
 *            ordinary spawn)
 *
 * The struct is fixed-size and has no padding (checked at compile time): a recording writes it
 * byte for byte (little-endian hosts), and a zeroed SimAction is "do nothing". Untrusted actions
 * (read from a file) go through sim_action_check before they are applied. */
#ifndef NUDGE_SIM_ACTION_H
#define NUDGE_SIM_ACTION_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/world.h"

#define SIM_ACTION_PUSHES 8
#define SIM_ACTION_MAGIC 4

typedef enum SimActionFlag {
    SIM_ACT_RESET   = 1u << 0,   /* restart the episode with reset_seed (agent/episode.h) */
    SIM_ACT_RELEASE = 1u << 1,   /* let go of the held body */
    SIM_ACT_SPAWN   = 1u << 2,   /* add `spawn` as a new body */
    SIM_ACT_GRAB    = 1u << 3,   /* hold `grab` */
} SimActionFlag;
#define SIM_ACT_KNOWN_FLAGS 0xfu

/// the hand: which body it holds, at which point, and where it goes
typedef struct SimGrab {
    int32_t body;        /* the held body's id */
    int32_t reserved;    /* 0 */
    double  anchor[2];   /* m: the held point in the body's frame about its centre of mass (as
                            SimBodyState's parts): world point = centre + R(angle) * anchor */
    double  target[2];   /* m, world: where the hand is at the end of the tick (kept 5 cm inside
                            the world's bounds) */
} SimGrab;

/// kinds of magic: impossible events, acting outside the physics. body = the body acted on;
/// v = the numbers; "event" = the magnitude of the `magic` event it is reported as
typedef enum SimMagicKind {
    SIM_MAGIC_NONE = 0,
    SIM_MAGIC_TELEPORT,     /* the body's centre of mass jumps to (v0, v1) m; angle and velocity
                               kept. event: the jump, m */
    SIM_MAGIC_VANISH,       /* the body is removed (no break, no out_of_bounds). event: 0 */
    SIM_MAGIC_APPEAR,       /* body = -1: the action's `spawn` def enters the world from nothing;
                               the event's a is its new id. event: 0 */
    SIM_MAGIC_FREEZE,       /* velocity and spin set to zero; physics goes on. event: the speed
                               taken away, m/s */
    SIM_MAGIC_MASS,         /* mass and moment times v0 (in [0.01, 100]: an invisible change of
                               density); v1 = 1 shows the new mass in the observation, 0 keeps
                               showing the old one (a hidden change). event: v0 */
    SIM_MAGIC_GRAVITY,      /* body = -1: the world's gravity becomes (v0, v1) m/s^2 (every body
                               wakes). event: |g| */
    SIM_MAGIC_GHOST,        /* v0 = 1: the body's collisions are off (it passes through others);
                               v0 = 0: on again. event: v0 */
    SIM_MAGIC_UNBREAKABLE,  /* the body no longer breaks, whatever hits it (the observation still
                               shows it breakable). event: 0 */
    SIM_MAGIC_DRIFT,        /* (v0, v1) m/s added to the body's velocity, with no push. event:
                               |(v0, v1)| */
    SIM_MAGIC_KIND_COUNT
} SimMagicKind;

/// the factor of a `mass` change lies in [SIM_MAGIC_MASS_MIN, SIM_MAGIC_MASS_MAX]
#define SIM_MAGIC_MASS_MIN 0.01
#define SIM_MAGIC_MASS_MAX 100.0
/// a teleport's place (m), a drift (m/s) and a gravity (m/s^2) lie within +-SIM_MAGIC_LIMIT
#define SIM_MAGIC_LIMIT 1000.0

/// "teleport", "vanish", ... ("?" out of range)
const char* sim_magic_name(int kind);
/// the kind called name, -1 if none
int         sim_magic_find(const char* name);

/// one impossible event: what it does to which body, with up to four numbers
typedef struct SimMagic {
    int32_t kind;        /* SimMagicKind */
    int32_t body;        /* the body it acts on, -1 for the world (gravity) and for appear */
    double  v[4];        /* its numbers (see SimMagicKind); unused ones 0 */
} SimMagic;

/// a known kind, finite numbers in range, body -1 exactly for gravity and appear; false + one line
bool        sim_magic_check(const SimMagic* m, char* err, size_t err_size);

typedef struct SimAction {
    uint32_t   flags;                         /* SimActionFlag bits */
    int32_t    npushes;                       /* 0..SIM_ACTION_PUSHES */
    SimPush    pushes[SIM_ACTION_PUSHES];     /* applied in order; pushes[npushes..] are zero */
    SimGrab    grab;                          /* with SIM_ACT_GRAB */
    SimBodyDef spawn;                         /* with SIM_ACT_SPAWN */
    uint64_t   reset_seed;                    /* with SIM_ACT_RESET */
    int32_t    nmagic;                        /* 0..SIM_ACTION_MAGIC */
    int32_t    reserved;                      /* 0 */
    SimMagic   magic[SIM_ACTION_MAGIC];
} SimAction;

/// bytes of one action as a recording stores it (= sizeof(SimAction), no padding)
#define SIM_ACTION_BYTES 784

/// sets *a to "do nothing" (all bytes zero)
void sim_action_clear(SimAction* a);
/// true if a does nothing (no flag, no push, no magic)
bool sim_action_is_empty(const SimAction* a);
/// appends a push; false (a unchanged) when it already holds SIM_ACTION_PUSHES
bool sim_action_add_push(SimAction* a, const SimPush* p);
/// adds a's pushes into rows[K * 4] (per slot = body id: jx, jy summed in N*s, px, py of the
/// last push in m), the layout of datasets' actions.npy and of the model's push input; pushes on
/// bodies with id >= K are left out. The caller zeroes rows first (or keeps summing over ticks)
void sim_action_add_rows(const SimAction* a, float* rows, int K);
/// appends a magic entry; false (a unchanged) when it already holds SIM_ACTION_MAGIC
bool sim_action_add_magic(SimAction* a, const SimMagic* m);
/// checks an action from an untrusted source: known flags, counts in range, finite numbers,
/// reserved fields zero, known magic kinds with numbers in range, at most one appear and never
/// beside an ordinary spawn. false + one line in err
bool sim_action_check(const SimAction* a, char* err, size_t err_size);

/// one control tick driven by an action: clears the event list, applies a (may be NULL; release,
/// spawn, grab, pushes, magic, in that order), runs steps_per_tick physics steps (the hand, if it holds a
/// body, moving toward its target), and writes what took effect into applied (may be NULL): a
/// push on a body that is not live and dynamic, a grab of such a body, a bad spawn and magic on
/// a body that is not live and dynamic are left out,
/// a continued grab shows its real anchor and the clamped target. A reset flag is not the world's
/// business and is neither applied nor copied. why (may be NULL) gets one line about the first
/// thing refused, or "" when everything took effect.
void sim_world_act(SimWorld* w, const SimAction* a, SimAction* applied, char* why, size_t why_size);

/// what the hand holds now: false when it holds nothing; else *out (may be NULL) gets the body,
/// the anchor and the hand's position (target) now
bool sim_world_grabbed(const SimWorld* w, SimGrab* out);

#endif
