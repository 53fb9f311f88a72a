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

#include "sim/action.h"
#include "sim/world.h"

#define SCN_MAX_LINE 1024      /* longer lines are an error */
#define SCN_MAX_BYTES (1 << 20)
#define SCN_MAX_BODIES 2000    /* body lines in a file at most */

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
/// the scenario files that command-line PATHs name: a file as it is, a folder's .scn files (its
/// subfolders too) sorted; returns how many (free with scn_free_list), or -1 and one line
/// ("PATH: No such file or directory", "PATH: cannot read this folder")
int         scn_collect_files(const char* const* paths, int npaths, char*** out, char* err, size_t err_size);
void        scn_free_list(char** list, int n);      /* NULL-safe */

/// a body's field, as expectations and goals name it (BODY.FIELD)
typedef enum ScnField {
    SCN_FIELD_X,      /* centre of mass, m */
    SCN_FIELD_Y,
    SCN_FIELD_ANGLE,  /* degrees, counter-clockwise, not wrapped */
    SCN_FIELD_VX,     /* m/s */
    SCN_FIELD_VY,
    SCN_FIELD_OMEGA,  /* rad/s */
    SCN_FIELD_SPEED,  /* m/s */
    SCN_FIELD_MOVED,  /* m from where the body was created */
    SCN_FIELD_COUNT
} ScnField;

/// "x", "y", "angle", ... ("?" out of range)
const char* scn_field_name(ScnField f);
/// the field's value for a body's state
double      scn_field_value(ScnField f, const SimBodyState* st);
/// the same from the numbers themselves: centre (x, y) m, angle rad, velocity (vx, vy) m/s, omega
/// rad/s, and (x0, y0) where the body was created (for 'moved')
double      scn_field_of(ScnField f, double x, double y, double angle, double vx, double vy, double omega,
                         double x0, double y0);

/// a comparison against a value: near V TOL, < V, <= V, > V, >= V
typedef enum ScnTestOp { SCN_TEST_NEAR, SCN_TEST_LT, SCN_TEST_LE, SCN_TEST_GT, SCN_TEST_GE } ScnTestOp;

/// m from (x, y) to the box region[4] = xmin, ymin, xmax, ymax; 0 inside or on its edge
double      scn_region_distance(const double* region, double x, double y);
/// whether value passes (op, v, tol): near is |value - v| <= tol
bool        scn_test_holds(ScnTestOp op, double v, double tol, double value);
/// how far value is from passing, in the value's unit: <= 0 when it passes
double      scn_test_miss(ScnTestOp op, double v, double tol, double value);

typedef enum ScnGoalKind {
    SCN_GOAL_IN,      /* BODY in XMIN YMIN XMAX YMAX by T: the centre of mass in the box at T */
    SCN_GOAL_FIELD,   /* BODY.FIELD TEST at T */
    SCN_GOAL_BROKEN,  /* BODY broken by T; negated: never broken */
    SCN_GOAL_FELL,    /* BODY fell by T; negated: never fell */
    SCN_GOAL_KIND_COUNT
} ScnGoalKind;

/// a goal resolved for one instance: what a planner optimizes, and an expectation nudge check
/// judges. All of a scenario's goals must hold.
typedef struct ScnGoal {
    ScnGoalKind kind;
    bool      negate;      /* BROKEN, FELL: must never happen ("goal not BODY broken") */
    int32_t   body;        /* id in the built world (a dynamic body) */
    double    t;           /* s: IN and FIELD are judged at the first tick at or after t, BROKEN
                              and FELL must happen by t; INFINITY for negated goals */
    double    region[4];   /* IN: xmin, ymin, xmax, ymax, m */
    ScnField  field;       /* FIELD */
    ScnTestOp op;          /* FIELD */
    double    v, tol;      /* FIELD: the value and the tolerance of near (a percentage resolved) */
    int32_t   line;        /* where it was written */
    char      text[160];   /* as written, for messages and panels */
} ScnGoal;

/// what a goal looks like in the world now
typedef enum ScnGoalStatus {
    SCN_GOAL_PENDING,   /* not decided yet (a negated goal stays pending while it holds) */
    SCN_GOAL_MET,       /* decided and held: broken/fell happened, IN/FIELD holds at or after T */
    SCN_GOAL_FAILED,    /* decided and failed: T passed without it, or a body broke that must not */
} ScnGoalStatus;

/// the goal's status as the world shows it now (at sim_world_time(w)); *now (may be NULL) tells
/// whether its condition holds right now (IN: inside the region; FIELD: the test passes;
/// BROKEN/FELL: it happened; negated: it has not happened). The world does not remember when a body
/// broke, so a watcher that calls this every tick keeps the first decided status (that is what
/// nudge check's verdicts are); IN and FIELD are decided at the first tick at or after T.
ScnGoalStatus scn_goal_status(const ScnGoal* g, const SimWorld* w, bool* now);
/// "broken", "in", ... for messages
const char*   scn_goal_kind_name(ScnGoalKind k);

/// what a timed action does ('at T push|grab|release|spawn|MAGIC', scenarios/README.md)
typedef enum ScnActionKind {
    SCN_ACT_PUSH,           /* an impulse on a body */
    SCN_ACT_GRAB,           /* a key frame of the hand: it holds the body and goes to (x, y) */
    SCN_ACT_RELEASE,        /* the hand lets go of the body */
    SCN_ACT_SPAWN,          /* a new body enters the world */
    SCN_ACT_MAGIC,          /* an impossible event (sim/action.h, SimMagicKind) */
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
    SimBodyDef spawn;       /* spawn, appear: the body (its name is `ref`) */
    SimMagic magic;         /* magic: kind and numbers; its body is resolved when it is due */
} ScnAction;

/// from now on every instance of s takes value for parameter name: it is drawn as usual (so every
/// other parameter keeps its value for the seed) and then replaced. nudge voe makes the two clips of
/// a matched pair this way ($impossible = 0 and 1). false + one line when s has no such parameter
bool      scn_fix_param(Scenario* s, const char* name, double value, char* err, size_t err_size);
/// the line of the file's first magic ('at T teleport ...': an impossible event, which nudge gen
/// refuses unless told --allow-magic), 0 when it has none
int       scn_magic_line(const Scenario* s);

typedef enum ScnAgentKind {
    SCN_AGENT_NONE,
    SCN_AGENT_SCRIPTED,
    SCN_AGENT_RANDOM,
    SCN_AGENT_PLANNER,   /* plans pushes toward the goals by imagining them with a world model */
    SCN_AGENT_ORACLE,    /* the same search, imagining with the true simulator (snapshot/restore) */
    SCN_AGENT_KIND_COUNT
} ScnAgentKind;

/// the kind of agent the file asks for (its 'agent' line; without one scripted when it has 'at'
/// lines, else none)
ScnAgentKind scn_agent_kind(const Scenario* s);

/// how an agent pushes (see agent/agent.h and agent/planner.h)
typedef struct ScnAgentDef {
    ScnAgentKind kind;      /* NONE if the file declares none and has no 'at' actions */
    double every_lo, every_hi;  /* random: s between pushes, uniform (default 0.5 1.5) */
    double dv_lo, dv_hi;        /* random: velocity change |J|/m of a push, m/s (default 0.3 2.0) */
    bool   dv_given;            /* random: dv was asked for; without it an impulse limit J draws
                                   |J| uniform in [0.05 J, J] whatever the mass (a planner's pushes) */
    double angle_deg;           /* random: push direction within +-angle_deg of horizontal (20) */
    double start;               /* random: no pushes before this time, s (default 0.25) */
    double height_frac;         /* random: push point up to +-height_frac*h/2 off the centre (0.5) */
    /* the push budget, shared by random, planner and oracle (so that one can stand in for another) */
    int    pushes;              /* most pushes in an episode; 0 = no limit (default) */
    double impulse;             /* largest |J| of a push, N*s; 0 = the kind's default (random: no
                                   limit; planner: 1) */
    /* planner and oracle: cross-entropy search over push plans (agent/planner.h) */
    int    samples;             /* candidate plans per iteration (default 256) */
    int    iters;               /* refinements per decision (default 5) */
    int    horizon;             /* control ticks imagined ahead (default 30) */
    int    replan;              /* control ticks between decisions ('every', default 6) */
    int    elites;              /* best candidates each refinement keeps (default samples / 10) */
    double push_cost;           /* cost of one push in the plan's cost ('cost', default 0.02) */
} ScnAgentDef;

ScnAgentDef scn_agent_def_default(void);

/// what a surprise expectation judges (agent/surprise.h): the surprise, its fate part alone, or the
/// view's alarm (the surprise over its threshold or the fate over its own)
typedef enum ScnSurpriseOf { SCN_OF_SURPRISE, SCN_OF_FATE, SCN_OF_ALARM } ScnSurpriseOf;

/// what a model expectation asks (judged by nudge check --model; skipped without a model)
typedef enum ScnModelKind {
    SCN_MODEL_PREDICTS,        /* model predicts BODY STATE by T [p > P] [from T0] */
    SCN_MODEL_FIELD,           /* model BODY.FIELD TEST at T from T0 */
    SCN_MODEL_SURPRISE,        /* surprise BODY > X between T1 T2 (fate BODY ..., alarm BODY between T1 T2) */
    SCN_MODEL_SURPRISE_NEVER,  /* surprise never > X (fate never > X, alarm never) */
} ScnModelKind;

/// a model expectation resolved for one instance
typedef struct ScnModelExpect {
    ScnModelKind kind;
    int32_t   body;        /* id of a dynamic body of the start; -1 for SURPRISE_NEVER */
    int       state;       /* PREDICTS: SCN_GOAL_BROKEN, SCN_GOAL_FELL, or -1 for out_of_bounds */
    ScnField  field;       /* FIELD */
    ScnSurpriseOf of;      /* SURPRISE, SURPRISE_NEVER: the surprise, its fate part or the alarm */
    ScnTestOp op;          /* FIELD: the test; PREDICTS: on p (GT or LT); SURPRISE: on the surprise */
    double    v, tol;      /* the test's value (P, nats, the field's) and near's tolerance */
    double    t0, t;       /* s: PREDICTS and FIELD roll out from t0 to t; SURPRISE looks in [t0, t] */
    int32_t   line;
    char      text[160];
} ScnModelExpect;

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
    int         ngoals;
    ScnGoal*    goals;      /* the goal statements, in file order */
    int         nmodel;
    ScnModelExpect* model;  /* the model expectations, in file order */
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
/// (a bad body, or more contacts than the world's budget)
SimWorld* scn_instance_build(const ScnInstance* inst, uint64_t seed, char* err, size_t err_size);

/* Expectations: a checker watches a run tick by tick and judges each expectation at the end. */
typedef struct ScnChecker ScnChecker;

typedef struct ScnVerdict {
    bool pass;
    bool skipped;           /* a model expectation without a model: listed, counted, not judged */
    bool goal;              /* a goal statement (all goals must hold for a task to be solved) */
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
