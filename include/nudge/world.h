/* nudge/world.h: scenarios and worlds.
 *
 * A NudgeScenario is a parsed .scn file (scenarios/README.md in the source, or
 * share/nudge/scenarios/README.md in an installed prefix). A NudgeWorld is one running instance of
 * it: the scenario instantiated with a seed, built, and stepped one control tick (1/60 s by
 * default) at a time, with the caller's pushes as the action.
 *
 * The observation (the contract the model, datasets and this API share): K slots of NUDGE_OBS_DIM
 * floats, one per body, slot = the body's id (ids are handed out in creation order: the scenario's
 * bodies in file order, then shards of broken bodies and spawned bodies), a mask (1 = a live body
 * in the slot) and the ids (-1 for an empty slot). Columns: nudge_obs_column(). */
#ifndef NUDGE_WORLD_H
#define NUDGE_WORLD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// floats per observed body (x, y, cos, sin, vx, vy, omega, kind one-hot x6, w, h, mass, friction,
/// elasticity, breakable, is_static); the first NUDGE_OBS_DYNAMIC change as the world moves
#define NUDGE_OBS_DIM 20
#define NUDGE_OBS_DYNAMIC 7
/// default observed slots
#define NUDGE_OBS_SLOTS 32
/// floats per push row (the model's push input and nudge_world_step_rows): jx, jy (N*s), px, py
/// (m, the point relative to the body's centre of mass, world axes)
#define NUDGE_PUSH_DIM 4
/// pushes one control tick takes at most
#define NUDGE_MAX_PUSHES 8

/// column i (0 .. NUDGE_OBS_DIM-1) of an observed row: its name ("vx"), and into *unit ("m/s")
/// and *doc (a sentence) when they are not NULL; NULL for i out of range. Thread-safe, static strings
const char* nudge_obs_column(int i, const char** unit, const char** doc);
/// the index of the column called name ("mass"), -1 if none. Thread-safe
int         nudge_obs_find(const char* name);

/* ---- scenarios ---- */

typedef struct NudgeScenario NudgeScenario;

/// reads and checks a .scn file; NULL + "path:line:col: message" on any bad input. Thread-safe
NudgeScenario* nudge_scenario_load(const char* path, char* err, size_t err_size);
/// the same from text in memory (len bytes, not necessarily NUL-terminated); name is used in
/// messages. Thread-safe
NudgeScenario* nudge_scenario_parse(const char* text, size_t len, const char* name, char* err,
                                    size_t err_size);
/// releases the caller's reference; worlds made from it keep their own, so a scenario may be freed
/// while its worlds live on. NULL-safe; thread-safe (reference counted)
void        nudge_scenario_free(NudgeScenario* s);
/// the path or name it was read from. The string lives as long as the scenario
const char* nudge_scenario_name(const NudgeScenario* s);
/// the seed a world gets by default ('world seed N', else 0)
uint64_t    nudge_scenario_seed(const NudgeScenario* s);
/// the run length the file asks for ('world seconds S', else 5), s
double      nudge_scenario_seconds(const NudgeScenario* s);
/// its parameters ('param NAME ...'), which a seed resolves; name i, or NULL out of range
int         nudge_scenario_param_count(const NudgeScenario* s);
const char* nudge_scenario_param_name(const NudgeScenario* s, int i);

/* ---- worlds ---- */

typedef struct NudgeWorld NudgeWorld;

/// who besides the caller acts in a world
enum {
    NUDGE_AGENT_NONE = 0,      /* only the caller's pushes (default) */
    NUDGE_AGENT_SCENARIO = 1,  /* the scenario's own agent: its 'at T push' script, its random
                                  agent; the caller's pushes stand in for it in a tick they push */
    NUDGE_AGENT_RANDOM = 2,    /* random pushes with the scenario's random settings */
};

typedef struct NudgeWorldDef {
    uint32_t size;       /* sizeof(NudgeWorldDef), as nudge_world_def_default sets it */
    int32_t  slots;      /* K: observed slots, 1 .. 65536 (default NUDGE_OBS_SLOTS) */
    int32_t  agent;      /* NUDGE_AGENT_* (default NUDGE_AGENT_NONE) */
    int32_t  use_seed;   /* 0: the scenario's seed (default); 1: `seed` */
    uint64_t seed;       /* resolves the scenario's parameters and seeds the world's randomness */
} NudgeWorldDef;

NudgeWorldDef nudge_world_def_default(void);

/// a world: s instantiated with the seed and built. def may be NULL (defaults). The world holds a
/// reference to s. NULL + one line for a bad def or a scenario that cannot be built with this seed
/// (file:line:col). Thread-safe with respect to other worlds, also of the same scenario
NudgeWorld* nudge_world_create(NudgeScenario* s, const NudgeWorldDef* def, char* err,
                               size_t err_size);
void        nudge_world_free(NudgeWorld* w);           /* NULL-safe */

/* Every function below takes one world and must not run at the same time as another call on the
 * same world (const ones may run together with other const ones). Distinct worlds are
 * independent. */

/// restarts the episode: the scenario instantiated again with seed (parameters, bodies, the agent,
/// the goals' clock), time 0. false + one line when this seed's instance cannot be built (the
/// world is then unchanged)
bool     nudge_world_reset(NudgeWorld* w, uint64_t seed, char* err, size_t err_size);

/// the action: an impulse (jx, jy) in N*s at the point (px, py) relative to body's centre of mass,
/// in world axes (m). Layout frozen for ABI 1 (40 bytes)
typedef struct NudgePush {
    int32_t body;        /* the body's id (= its slot) */
    int32_t reserved;    /* 0 */
    double  jx, jy;
    double  px, py;
} NudgePush;

/// one control tick: applies the pushes (n = 0 .. NUDGE_MAX_PUSHES, pushes may be NULL when n = 0)
/// at its start, then steps the physics. Returns how many pushes took effect (a push on a body that
/// is not live and dynamic, such as a shattered glass, is refused without error: see
/// nudge_world_refused), or -1 + one line, and no tick, for bad input (n out of range, a negative
/// id, a number that is not finite, a reserved field not 0)
int      nudge_world_step(NudgeWorld* w, const NudgePush* pushes, int n, char* err,
                          size_t err_size);
/// the same with pushes as rows[k * NUDGE_PUSH_DIM] for slots k = 0 .. K-1 (the model's push
/// input): every row that is not all zero pushes body k. rows may be NULL (no push); K must be the
/// world's slot count
int      nudge_world_step_rows(NudgeWorld* w, const float* rows, int K, char* err,
                               size_t err_size);
/// one tick and the observation after it in one call, what a learning loop does every step (a
/// binding pays its call overhead once): nudge_world_step_rows(w, rows, K), then
/// nudge_world_observe(w, states, mask, ids, NULL) and *task = nudge_world_task_status(w) (any of
/// the four may be NULL). Returns the pushes applied, or -1 + one line (and no tick, nothing
/// written) for bad input
int      nudge_world_step_observe(NudgeWorld* w, const float* rows, int K, float* states,
                                  uint8_t* mask, int32_t* ids, int* task, char* err,
                                  size_t err_size);
/// why part of the last tick's pushes was not applied ("" when everything took effect); the string
/// lives until the next step
const char* nudge_world_refused(const NudgeWorld* w);

/// K, the slot count observations have
int      nudge_world_slots(const NudgeWorld* w);
/// the observation now: states[K * NUDGE_OBS_DIM], mask[K], ids[K], contacts[K] (1 = the body
/// touches another body); any of them may be NULL. Returns the live bodies written (bodies whose id
/// is K or more are not observed)
int      nudge_world_observe(const NudgeWorld* w, float* states, uint8_t* mask, int32_t* ids,
                             uint8_t* contacts);

/// what happened: one record per event of the last tick (see nudge_event_name)
typedef struct NudgeEvent {
    int32_t type;        /* NUDGE_EVENT_* */
    int32_t a, b;        /* body ids; b = -1 when there is no second body */
    int32_t reserved;
    int64_t step;        /* the physics step after which it happened */
    double  t;           /* s, the time at the end of that step */
    double  magnitude;   /* contact, break, push: N*s; fall: the drop, m; topple: rad; else 0 */
} NudgeEvent;

enum {
    NUDGE_EVENT_CONTACT,        /* a and b start touching */
    NUDGE_EVENT_BREAK,          /* a shattered */
    NUDGE_EVENT_PUSH,           /* a was pushed */
    NUDGE_EVENT_FALL,           /* a falls (more than its height below its last support) */
    NUDGE_EVENT_REST,           /* a came to rest */
    NUDGE_EVENT_OUT_OF_BOUNDS,  /* a left the world's bounds and was removed */
    NUDGE_EVENT_TOPPLE,         /* a turned more than 45 degrees */
    NUDGE_EVENT_MAGIC,          /* an impossible event a scenario scripts ('at T teleport ...',
                                   scenarios/README.md): a the body, b the kind */
    NUDGE_EVENT_TYPES           /* types are only ever appended: a program built with fewer names
                                   the new ones with nudge_event_name */
};
/// "contact", "break", ...; NULL out of range. Thread-safe, static strings
const char* nudge_event_name(int type);
/// the last tick's events, in order: writes at most cap into out (may be NULL with cap 0) and
/// returns how many there are
int      nudge_world_events(const NudgeWorld* w, NudgeEvent* out, int cap);

/// FNV-1a over every live body's id, transform and velocity bits: equal worlds hash equal
uint64_t nudge_world_hash(const NudgeWorld* w);
/// s since the episode began; control ticks since; seconds per control tick; the episode's seed
double   nudge_world_time(const NudgeWorld* w);
int64_t  nudge_world_ticks(const NudgeWorld* w);
double   nudge_world_tick_seconds(const NudgeWorld* w);
uint64_t nudge_world_seed(const NudgeWorld* w);
/// the run length the scenario asks for, s (its 'world seconds')
double   nudge_world_seconds(const NudgeWorld* w);
/// this instance's resolved parameters, in nudge_scenario_param_name order (a kind or material as
/// its index): writes at most cap into out (may be NULL) and returns how many there are
int      nudge_world_params(const NudgeWorld* w, double* out, int cap);
/// the id of the first body with this name, -1 if none
int32_t  nudge_world_find(const NudgeWorld* w, const char* name);
/// the ids of the live dynamic bodies, ascending: writes at most cap, returns how many there are
int      nudge_world_dynamic_ids(const NudgeWorld* w, int32_t* out, int cap);
/// a body's name into out[n] ("" for an anonymous body; "glass#3" for a piece of glass); false for
/// an id never handed out
bool     nudge_world_body_name(const NudgeWorld* w, int32_t id, char* out, size_t n);

/* ---- goals (a task file's 'goal' lines) ---- */

enum { NUDGE_GOAL_PENDING, NUDGE_GOAL_MET, NUDGE_GOAL_FAILED };
/// the scenario's goals for this instance
int         nudge_world_goal_count(const NudgeWorld* w);
/// goal i as written ("glass in 1.2 0 2 1 by 3"); NULL out of range
const char* nudge_world_goal_text(const NudgeWorld* w, int i);
/// goal i's status, decided tick by tick since the episode began and kept once decided (a negated
/// goal, 'not glass broken', stays pending while it holds); -1 out of range
int         nudge_world_goal_status(const NudgeWorld* w, int i);
/// the task's status: FAILED when a goal failed; MET when every goal that is not negated is met
/// (a task of negated goals only is never MET before the end); else PENDING. A world without goals
/// is PENDING
int         nudge_world_task_status(const NudgeWorld* w);

/* ---- snapshot and restore ---- */

typedef struct NudgeSnapshot NudgeSnapshot;
/// the whole changing state: the instance's seed, the world (bodies, velocities, contacts' state,
/// the hand, its rng, time), the agent's state and the goals' statuses. A snapshot is immutable:
/// it may be restored any number of times, into this world or another of the same scenario
NudgeSnapshot* nudge_world_snapshot(const NudgeWorld* w);
void           nudge_snapshot_free(NudgeSnapshot* s);  /* NULL-safe */
/// puts w into the snapshot's state; false + one line, w untouched, for a snapshot of another
/// scenario or of another slot count. Two restores of one snapshot continue bit-identically
bool           nudge_world_restore(NudgeWorld* w, const NudgeSnapshot* s, char* err,
                                   size_t err_size);

/* ---- rendering ---- */

/// draws the world into rgb[height * width * 3] (row-major, top row first, no padding) with the
/// camera that frames the scene as datasets' frames do (its bodies' starting extent, down to the
/// floor). false + one line for a size outside 1 .. 8192 or a NULL buffer
bool nudge_world_render(const NudgeWorld* w, uint8_t* rgb, int width, int height, char* err,
                        size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
