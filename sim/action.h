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
 *   magic    reserved for impossible events (issue 11: teleport, vanish, appear, freeze, mass,
 *            gravity, ghost, unbreakable, drift): a list of {kind, body, 4 numbers}. No kind is
 *            implemented yet; sim_action_check refuses any
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

/// kinds of magic (issue 11); none is implemented yet
typedef enum SimMagicKind {
    SIM_MAGIC_NONE = 0,
    SIM_MAGIC_KIND_COUNT
} SimMagicKind;

/// one impossible event: what it does to which body, with up to four numbers
typedef struct SimMagic {
    int32_t kind;        /* SimMagicKind */
    int32_t body;        /* the body it acts on, -1 for the world (gravity) */
    double  v[4];        /* its numbers (a position, a velocity, a factor, ...) */
} SimMagic;

typedef struct SimAction {
    uint32_t   flags;                         /* SimActionFlag bits */
    int32_t    npushes;                       /* 0..SIM_ACTION_PUSHES */
    SimPush    pushes[SIM_ACTION_PUSHES];     /* applied in order; pushes[npushes..] are zero */
    SimGrab    grab;                          /* with SIM_ACT_GRAB */
    SimBodyDef spawn;                         /* with SIM_ACT_SPAWN */
    uint64_t   reset_seed;                    /* with SIM_ACT_RESET */
    int32_t    nmagic;                        /* 0..SIM_ACTION_MAGIC (0 until magic exists) */
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
/// checks an action from an untrusted source: known flags, counts in range, finite numbers,
/// reserved fields zero, no magic yet. false + one line in err
bool sim_action_check(const SimAction* a, char* err, size_t err_size);

/// one control tick driven by an action: clears the event list, applies a (may be NULL; release,
/// spawn, grab, pushes, in that order), runs steps_per_tick physics steps (the hand, if it holds a
/// body, moving toward its target), and writes what took effect into applied (may be NULL): a
/// push on a body that is not live and dynamic, a grab of such a body and a bad spawn are left out,
/// a continued grab shows its real anchor and the clamped target. A reset flag is not the world's
/// business and is neither applied nor copied. why (may be NULL) gets one line about the first
/// thing refused, or "" when everything took effect.
void sim_world_act(SimWorld* w, const SimAction* a, SimAction* applied, char* why, size_t why_size);

/// what the hand holds now: false when it holds nothing; else *out (may be NULL) gets the body,
/// the anchor and the hand's position (target) now
bool sim_world_grabbed(const SimWorld* w, SimGrab* out);

#endif
