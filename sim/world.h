/* world: the simulated world on Chipmunk2D.
 *
 * A world holds bodies (box, ball, cup, plank, ramp, shard; static or dynamic) made of materials,
 * steps at a fixed dt (default 1/120 s) and is driven one control tick (default 1/60 s = 2 steps)
 * at a time. A push (impulse at a point on a body) is the action, applied at a control tick.
 * Chipmunk finds the contacts; sim/solver.c solves them (speculative margins, substeps, sleeping).
 * Breakable bodies shatter into shards (new bodies, created after the step) when the largest total
 * contact impulse pressing them one way in a step exceeds their material's break impulse.
 *
 * Ids: every body gets the next id at creation (0, 1, 2, ...), never reused. Shards get new ids.
 * Nothing in sim/ reads a wall clock; the world's rng is its only source of randomness. */
#ifndef NUDGE_SIM_WORLD_H
#define NUDGE_SIM_WORLD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/events.h"

typedef enum SimKind {
    SIM_KIND_BOX,
    SIM_KIND_BALL,
    SIM_KIND_CUP,     /* a glass: an open-topped U (bottom + two walls) */
    SIM_KIND_PLANK,   /* a long thin box; a separate kind so models and datasets can tell */
    SIM_KIND_RAMP,    /* a right triangle: right angle at bottom-right, slope rising to the right */
    SIM_KIND_SHARD,   /* a piece of a broken body (convex polygon) */
    SIM_KIND_COUNT
} SimKind;

const char* sim_kind_name(SimKind kind);
/// -1 if unknown; shards cannot be declared
int         sim_kind_find(const char* name);

#define SIM_NAME_MAX 32
/// bodies a world holds at most, shards and spawned bodies included (ids 0 .. SIM_MAX_BODIES-1)
#define SIM_MAX_BODIES 65536
#define SIM_MAX_VERTS 8

typedef struct SimBodyDef {
    char    name[SIM_NAME_MAX];  /* "" for anonymous (shards get "<parent>#k") */
    SimKind kind;
    int     material;            /* index into the materials table */
    double  x, y;                /* centre of the bounding box at angle 0 (m); cups: of the U.
                                    (observations report the centre of mass, which differs for
                                    cups and ramps) */
    double  angle;               /* rad, counter-clockwise */
    double  w, h;                /* m; ball: w = h = diameter */
    double  vx, vy, omega;       /* initial velocity, m/s and rad/s */
    bool    is_static;
    uint8_t reserved[3];         /* 0: no padding, so actions holding a def are plain bytes */
    int32_t nverts;              /* shards only: convex polygon around (x, y), body axes */
    double  verts[2 * SIM_MAX_VERTS];
} SimBodyDef;

/// a 0.1 m wooden dynamic box at the origin
SimBodyDef sim_body_def_default(void);

/// the physics step's bounds, s: below SIM_DT_MIN a run's tick counts stop making sense, above
/// SIM_DT_MAX the step is too coarse to watch (fast bodies split it into collision passes anyway)
#define SIM_DT_MIN 1e-5
#define SIM_DT_MAX 0.1
/// solver substeps per physics step at most
#define SIM_MAX_SUBSTEPS 64
/// pairs of shapes within each other's margins in one collision pass at most: more is an error
/// ("more than N contacts in one step: bodies overlap at start?"), see sim_world_error
#define SIM_MAX_CONTACTS 20000
/// bodies idle (below this speed, m/s, and the matching spin) for sleep_time fall asleep
#define SIM_SLEEP_SPEED 0.01

typedef struct SimWorldDef {
    double   dt;            /* physics step, s (default 1/120; SIM_DT_MIN .. SIM_DT_MAX) */
    int      steps_per_tick;/* physics steps per control tick (default 2: a 1/60 s tick) */
    double   gx, gy;        /* gravity, m/s^2 (default 0, -9.81) */
    int      iterations;    /* contact solver iterations per substep (default 1) */
    int      substeps;      /* solver substeps per physics step (default 4) */
    double   sleep_time;    /* s idle before a group of touching bodies sleeps; 0 = never (0.5) */
    uint64_t seed;          /* the world's only randomness (shard velocities) */
    double   bounds[4];     /* xmin, ymin, xmax, ymax (m): bodies whose centre leaves are removed */
    int      shards;        /* pieces a broken body shatters into (default 6, 2..8) */
} SimWorldDef;

SimWorldDef sim_world_def_default(void);

/// the action: an impulse (jx, jy) in N*s at a point (px, py) given relative to the body's centre
/// of mass, in world axes (m)
typedef struct SimPush {
    int32_t body;
    int32_t reserved;   /* 0: no padding, so actions holding pushes are plain bytes */
    double  jx, jy;
    double  px, py;
} SimPush;

#define SIM_MAX_PARTS 3
/// a convex polygon in body coordinates: origin at the centre of mass, x along the body's angle
typedef struct SimPart {
    int    n;
    double v[2 * SIM_MAX_VERTS];   /* x0 y0 x1 y1 ..., counter-clockwise */
} SimPart;

/// a body's current state; pose fields keep their last value after the body is gone
typedef struct SimBodyState {
    int32_t id;
    char    name[SIM_NAME_MAX];
    SimKind kind;
    int     material;
    bool    is_static;
    bool    alive;          /* in the world now */
    bool    broken;         /* shattered (then not alive) */
    bool    out_of_bounds;  /* removed for leaving the bounds (then not alive) */
    bool    resting;        /* at rest now (see events.h) */
    bool    sleeping;       /* asleep: idle with everything it touches, not simulated until woken */
    bool    fell;           /* has fallen at least once */
    bool    breakable;
    int32_t parent;         /* shards: the id of the body they came from; else -1 */
    double  x, y, angle;    /* centre of mass (m), angle (rad) */
    double  vx, vy, omega;  /* velocity of the centre of mass (m/s), rad/s */
    double  w, h;           /* m */
    double  mass;           /* kg; 0 for static */
    double  x0, y0;         /* centre of mass where it was created */
    double  radius;         /* balls: > 0 (parts is empty) */
    int     nparts;         /* convex polygons (box 1, cup 3, ramp 1, shard 1) */
    SimPart parts[SIM_MAX_PARTS];
} SimBodyState;

typedef struct SimWorld SimWorld;

SimWorld* sim_world_create(const SimWorldDef* def);   /* def is copied, not kept */
void      sim_world_destroy(SimWorld* w);              /* NULL-safe */
/// adds a body; returns its id, or -1 (and a message) for a bad def (size, material, too many)
int       sim_world_add_body(SimWorld* w, const SimBodyDef* def, char* err, size_t err_size);
/// removes a body (not an event); false if it is not alive. A hand holding a body that leaves the
/// world (removed, broken, out of bounds) lets go of it
bool      sim_world_remove_body(SimWorld* w, int32_t id);

/// applies a push now (recorded as a push event); false if the body is not a live dynamic body
bool      sim_world_push(SimWorld* w, const SimPush* push);
/// one physics step of dt; events are appended to the current list
void      sim_world_step(SimWorld* w);
/// one control tick: clears the event list, applies push (may be NULL), runs steps_per_tick steps;
/// returns whether the push was applied (false for NULL or a body that is not live and dynamic)
bool      sim_world_tick(SimWorld* w, const SimPush* push);

/// (sim/action.h: sim_world_act is the same with a whole action: pushes, the hand, a spawn)

/// the events since the last tick began (or since the last clear)
const SimEvent* sim_world_events(const SimWorld* w, int* count);
void      sim_world_clear_events(SimWorld* w);

/// physics steps one run may take at most (run, check, gen): a longer one is refused with its
/// figure rather than left to run for days
#define SIM_MAX_RUN_STEPS 100000000
/// the control ticks that cover seconds (rounded, at least 1) with def's dt and steps per tick;
/// false + one line with the figures when that is more than SIM_MAX_RUN_STEPS physics steps
bool      sim_world_run_ticks(const SimWorldDef* def, double seconds, int64_t* ticks, char* err,
                              size_t err_size);

double    sim_world_time(const SimWorld* w);        /* s: steps * dt */
int64_t   sim_world_steps(const SimWorld* w);
int64_t   sim_world_ticks(const SimWorld* w);
const SimWorldDef* sim_world_def(const SimWorld* w);

/// ids handed out so far (live or not): valid ids are 0 .. count-1
int       sim_world_id_count(const SimWorld* w);
/// false for an id never handed out
bool      sim_world_body(const SimWorld* w, int32_t id, SimBodyState* out);
/// id of the first body with this name, -1 if none
int32_t   sim_world_find(const SimWorld* w, const char* name);
/// the name breaking gives piece k of a body called parent ("" for an anonymous one):
/// "<parent, at most 20 characters>#k", e.g. "glass#3", and "glass#3#1" for a piece of that piece
void      sim_shard_name(const char* parent, int k, char out[SIM_NAME_MAX]);
/// live dynamic bodies, ascending id; returns how many (at most cap) were written
int       sim_world_dynamic_ids(const SimWorld* w, int32_t* out, int cap);

/// writes K = cap slots (see observation.h): states[cap * SIM_OBS_DIM], mask[cap], ids[cap];
/// returns the number of live bodies written
int       sim_world_observe(const SimWorld* w, float* states, uint8_t* mask, int32_t* ids, int cap);

/// true if a live body touched another body in the last physics step (a contact pushed, or the
/// two outlines are within 0.25 mm)
bool      sim_world_in_contact(const SimWorld* w, int32_t id);
/// per slot (slot = id, as in sim_world_observe): contacts[k] = 1 if body k is live and touches
/// another body now, else 0; cap slots are written
void      sim_world_observe_contacts(const SimWorld* w, uint8_t* contacts, int cap);

#define SIM_CONTACT_POINTS 2
/// two bodies touching after the last physics step
typedef struct SimContact {
    int32_t a, b;                            /* body ids, a < b */
    int     count;                           /* contact points, 1..SIM_CONTACT_POINTS */
    double  points[2 * SIM_CONTACT_POINTS];  /* m, world: x0 y0 x1 y1, on a's surface */
    double  jx, jy;                          /* N*s: the impulse the step applied to b (-j on a) */
} SimContact;
/// the touching pairs, each once, in a deterministic order (by the lower id); writes at most cap and
/// returns how many there are (which may exceed cap)
int       sim_world_contacts(const SimWorld* w, SimContact* out, int cap);

/// NULL, or why the world cannot go on: more than SIM_MAX_CONTACTS contacts in one step (bodies
/// piled into each other at creation). The caller reports it and stops; stepping on is safe but
/// the contacts beyond the budget are ignored
const char* sim_world_error(const SimWorld* w);
/// pairs of bodies that overlapped by more than 1 mm when they were created (they are pushed
/// apart); *depth (m) and *a, *b (ids) name the deepest pair. Any pointer may be NULL
int       sim_world_overlaps(const SimWorld* w, double* depth, int32_t* a, int32_t* b);

/// FNV-1a over every live body's id, transform and velocity bits, in id order
uint64_t  sim_world_hash(const SimWorld* w);

/// moves a live body (the view's teleport); velocities are set too
bool      sim_world_set_pose(SimWorld* w, int32_t id, double x, double y, double angle, double vx,
                             double vy, double omega);

/// numerical trouble seen and recovered from (a NaN or exploding body reset or removed)
int       sim_world_nan_count(const SimWorld* w);

/* Snapshot and restore: the full state (bodies, velocities, broken state, trackers, rng, time).
 * Restore rebuilds the Chipmunk space from the snapshot, so it drops Chipmunk's contact cache
 * (warm-starting impulses) and rebuilds the broad phase: two restores of one snapshot continue
 * bit-identically, a restored world and the original agree bit-for-bit only until contacts act.
 * The measured difference is in the README ("Snapshot and restore"). */
typedef struct SimSnapshot SimSnapshot;
/// the world's state now, the hand and what it holds included
SimSnapshot* sim_world_snapshot(const SimWorld* w);
void         sim_snapshot_free(SimSnapshot* s);                 /* NULL-safe */
/// the memory a snapshot holds (bytes)
size_t       sim_snapshot_bytes(const SimSnapshot* s);
/// puts w in the snapshot's state. A snapshot it cannot take (NULL, more than SIM_MAX_BODIES
/// bodies, a non-finite state) is refused before anything changes: false + one line in err, w
/// untouched
bool         sim_world_restore(SimWorld* w, const SimSnapshot* s, char* err, size_t err_size);
/// a new world in the snapshot's state; NULL + one line for a snapshot it cannot take
SimWorld*    sim_world_from_snapshot(const SimSnapshot* s, char* err, size_t err_size);

/// Debian's libchipmunk prints a banner to stdout at the first cpSpace: this swallows it once.
/// sim_world_create calls it; call it early if other threads may write to stdout meanwhile.
void      sim_quiet_chipmunk(void);

#endif
