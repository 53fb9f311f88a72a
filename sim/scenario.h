/* scenario: the .scn language (see scenarios/README.md for the grammar).
 *
 * A Scenario is a parsed file: its settings, parameters, bodies, timed actions, agent and
 * expectations, with numbers kept as expressions over the parameters. scn_instantiate resolves
 * the parameters from a seed and gives a ScnInstance: plain data from which a world is built.
 * A scenario file reads no other file and runs no code. */
#ifndef NUDGE_SIM_SCENARIO_H
#define NUDGE_SIM_SCENARIO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/world.h"

#define SCN_MAX_LINE 1024      /* longer lines are an error */
#define SCN_MAX_BYTES (1 << 20)

typedef struct Scenario Scenario;

/// NULL + "path:line:col: message" on any bad input; never half-loads
Scenario*   scn_load(const char* path, char* err, size_t err_size);
/// parses text (not NUL-terminated necessarily); name is used in messages
Scenario*   scn_parse(const char* text, size_t len, const char* name, char* err, size_t err_size);
void        scn_free(Scenario* s);                 /* NULL-safe */
const char* scn_name(const Scenario* s);           /* the path or name given */
/// FNV-1a 64 of the file's bytes (for manifests)
uint64_t    scn_text_hash(const Scenario* s);
int         scn_param_count(const Scenario* s);
const char* scn_param_name(const Scenario* s, int i);
/// the scenario's default seed ('world seed N', else 0) and run length ('world seconds S', else 5)
uint64_t    scn_default_seed(const Scenario* s);
double      scn_default_seconds(const Scenario* s);

/// true if name can name a body in a scenario: [A-Za-z_][A-Za-z0-9_]*, at most 31 characters, not
/// a word expectations read as a keyword (not, before, after, near, between)
bool        scn_body_name_ok(const char* name);

/// a condition on a scenario's parameters and derived constants, such as "$surface_h <= 0.95" (the
/// expression language of scenarios/README.md); nudge gen --where selects episodes with it
typedef struct ScnPredicate ScnPredicate;
/// compiles text against s's parameters; NULL + "SCENARIO: in 'TEXT', column C: expected ..." when it
/// names a parameter s lacks, is malformed, or is not a number
ScnPredicate* scn_predicate_compile(const Scenario* s, const char* text, char* err, size_t err_size);
/// whether it holds (is non-zero) for resolved parameter values (ScnInstance.params); false +
/// message when it cannot be evaluated (division by zero, ...)
bool          scn_predicate_test(const ScnPredicate* p, const double* params, bool* holds, char* err,
                                 size_t err_size);
void          scn_predicate_free(ScnPredicate* p);   /* NULL-safe */

/// the .scn files in a folder (and its subfolders, when recursive), each folder's entries sorted
/// by name, hidden ones skipped; returns how many (free with scn_free_list), -1 if dir cannot be read
int         scn_list_files(const char* dir, bool recursive, char*** out);
void        scn_free_list(char** list, int n);      /* NULL-safe */

/// what a timed action does ('at T push|grab|release|spawn', scenarios/README.md)
typedef enum ScnActionKind {
    SCN_ACT_PUSH,           /* an impulse on a body */
    SCN_ACT_GRAB,           /* a key frame of the hand: it holds the body and goes to (x, y) */
    SCN_ACT_RELEASE,        /* the hand lets go of the body */
    SCN_ACT_SPAWN,          /* a new body enters the world */
} ScnActionKind;

/// one timed action of a scenario. The first six fields are a push's (positional initializers
/// stay pushes); the rest say what else it is
typedef struct ScnAction {
    double  t;              /* s */
    int32_t body;           /* id in the built world, or -1: the body called `ref` when it is due (a
                               spawned body, a piece of a broken one) */
    double  jx, jy;         /* push: N*s */
    double  px, py;         /* push: m, offset from the centre of mass, world axes */
    int32_t kind;           /* ScnActionKind (0 = push) */
    int32_t group;          /* pushes of one line ('at T push a ... and push b ...') share a group
                               > 0 and go out in one tick; 0 = a push on its own */
    char    ref[SIM_NAME_MAX]; /* the body's name in the world ("glass#3" for the piece glass/3) */
    double  x, y;           /* grab: where the hand goes (m, world) */
    double  anchor[2];      /* grab: the held point, body frame about the centre of mass (m) */
    bool    has_anchor;     /* grab: else the centre of mass (a hold already under way keeps its own) */
    SimBodyDef spawn;       /* spawn: the body (its name is `ref`) */
} ScnAction;

typedef enum ScnAgentKind { SCN_AGENT_NONE, SCN_AGENT_SCRIPTED, SCN_AGENT_RANDOM } ScnAgentKind;

/// how an exploring agent pushes (see agent/agent.h)
typedef struct ScnAgentDef {
    ScnAgentKind kind;      /* NONE if the file declares none and has no 'at' actions */
    double every_lo, every_hi;  /* s between pushes, uniform (default 0.5 1.5) */
    double dv_lo, dv_hi;        /* velocity change |J|/m of a push, m/s (default 0.3 2.0) */
    double angle_deg;           /* push direction: within +-angle_deg of horizontal (default 20) */
    double start;               /* no random pushes before this time, s (default 0.25) */
    double height_frac;         /* push point: up to +-height_frac*h/2 above/below centre (0.5) */
} ScnAgentDef;

ScnAgentDef scn_agent_def_default(void);

typedef struct ScnInstance {
    SimWorldDef world;
    double      seconds;
    int         nbodies;
    SimBodyDef* bodies;     /* added in this order, body i gets id i */
    int         nactions;
    ScnAction*  actions;    /* sorted by time (stable: file order among equal times) */
    ScnAgentDef agent;
    int         nparams;
    double*     params;     /* resolved values, in scn_param_name order */
    int32_t*    body_lines; /* [nbodies]: the line declaring each body, for messages */
    char        source[256];/* the scenario's name, for messages */
} ScnInstance;

/// resolves parameters from seed (rng stream rng_derive(seed, 0x706172616d)), evaluates every
/// expression and checks the result (sizes > 0, finite numbers, ...); false + file:line:col message.
/// scn_parse/scn_load already did this once with the default seed, so only values that depend on
/// the parameters can fail here. On failure *out is left empty (nothing to free).
bool      scn_instantiate(const Scenario* s, uint64_t seed, ScnInstance* out, char* err,
                          size_t err_size);
void      scn_instance_free(ScnInstance* inst);
/// a world with the instance's settings (seed = seed) and bodies; NULL + message on failure
SimWorld* scn_instance_build(const ScnInstance* inst, uint64_t seed, char* err, size_t err_size);

/* Expectations: a checker watches a run tick by tick and judges each expectation at the end. */
typedef struct ScnChecker ScnChecker;

typedef struct ScnVerdict {
    bool pass;
    int  line;              /* the expectation's line in the file */
    char text[160];         /* the expectation as written */
    char detail[256];       /* what was observed, e.g. "glass.x = 1.31 at 2.00 s, wanted 1.20 +- 0.05" */
} ScnVerdict;

/// inst and world must outlive the checker; call after building the world, before the first tick
/// (the world's state then is the sample at t = 0).
ScnChecker* scn_checker_create(const Scenario* s, const ScnInstance* inst, const SimWorld* w);
void        scn_checker_free(ScnChecker* c);
/// call after every control tick (reads the world's state and that tick's events)
void        scn_checker_observe(ScnChecker* c, const SimWorld* w);
/// the time by which every expectation can be judged (>= the latest time any of them names)
double      scn_checker_horizon(const ScnChecker* c);
/// judges every expectation; writes up to cap verdicts, returns the number of expectations
int         scn_checker_finish(ScnChecker* c, ScnVerdict* out, int cap);

#endif
