/* scn_ast: a parsed scenario, as sim/scenario.c builds it and sim/expect.c reads it (private).
 * Every number is an expression (a root in the pool, -1 when absent) with the place it was
 * written, so errors found while instantiating still name file:line:col. */
#ifndef NUDGE_SIM_SCN_AST_H
#define NUDGE_SIM_SCN_AST_H
#include <stdbool.h>
#include <stdint.h>

#include "sim/scenario.h"
#include "sim/scn_expr.h"

#define SCN_NAME_LEN 32 /* names are at most 31 characters */

/* an expression as written: root node (-1 = absent) and its place */
typedef struct ScnNum {
    int32_t e;
    int32_t line, col;
} ScnNum;

/* a reference to a body as written: a declared (or spawned) body's name, or a piece of one after it
 * broke, "glass/3" (piece 3 of glass), "glass/3/1" (piece 1 of that piece). decl = index of the
 * root's declaration (after resolving); world = the name to look for in the world ("glass#3") */
typedef struct ScnRef {
    char    name[SCN_NAME_LEN];   /* as written */
    char    root[SCN_NAME_LEN];   /* the declared name */
    char    world[SIM_NAME_MAX];  /* the body's name in the world */
    bool    piece;                /* a shard: it exists only once its parent broke */
    int32_t line, col;
    int32_t decl;
} ScnRef;

/* how a parameter gets its value: drawn from the parameter stream, or (let) computed from those
   above it without a draw */
typedef enum ScnDist { SCN_DIST_UNIFORM, SCN_DIST_INT, SCN_DIST_CHOICE, SCN_DIST_NORMAL, SCN_DIST_LET } ScnDist;

typedef struct ScnParamDecl {
    char    name[SCN_NAME_LEN];
    ScnDist dist;
    ScnType type;             /* a number, or (choice, let) a kind or a material */
    ScnNum  a, b;             /* uniform/int: lo hi; normal: mean sd; let: a = the expression */
    ScnNum  clamp_lo, clamp_hi; /* normal only, optional */
    int32_t first, count;     /* choice: values in Scenario.nums[first .. first+count) */
    int32_t line, col;
} ScnParamDecl;

typedef struct ScnBodyDecl {
    char    name[SCN_NAME_LEN];
    int     kind, material;   /* as written, when constant; -1 when a parameter chooses */
    ScnNum  kind_e, material_e; /* the kind and material expressions (always present) */
    bool    is_static;
    bool    spawned;          /* 'at T spawn ...': it enters the world at T, not at the start */
    ScnNum  x, y, w, h, radius, angle, vx, vy, spin, cond;
    int32_t on;               /* 'on SUPPORT': index of the support's declaration; -1 = 'pos' */
    ScnNum  on_from, on_to;   /* 'on ... from X0 to X1': the span the body must stand in */
    int32_t on_col;           /* where 'on' was written */
    int32_t line, col;
} ScnBodyDecl;

/* 'at T push|grab|release|spawn|MAGIC ...' (one per push of a line: pushes joined by 'and' share a
   line) */
typedef struct ScnActionDecl {
    int     kind;             /* ScnActionKind */
    ScnNum  t, jx, jy, px, py;/* push: impulse, offset; magic mass: jx = the factor */
    ScnNum  x, y, ax, ay;     /* grab: the hand's target, the held point (ax.e < 0: the centre);
                                 magic teleport, drift, gravity: x, y = its two numbers */
    ScnRef  body;             /* push, grab, release, magic on a body */
    int32_t spawn;            /* spawn, appear: index of the body declaration */
    int32_t magic;            /* magic: SimMagicKind */
    bool    flag;             /* magic mass: 'shown'; ghost: 'on' */
    ScnNum  cond;             /* magic: 'if EXPR' (cond.e < 0: none); appear: its body's 'if' */
    int32_t line, col;
} ScnActionDecl;

typedef struct ScnTest {
    ScnTestOp op;
    ScnNum    v, tol;  /* tol only for near */
    bool      pct;     /* tol is a percentage of |v| */
} ScnTest;

typedef enum ScnState {
    SCN_STATE_BROKEN,
    SCN_STATE_OUT_OF_BOUNDS,
    SCN_STATE_RESTING,
    SCN_STATE_FELL,
    SCN_STATE_ALIVE,
    SCN_STATE_COUNT
} ScnState;

/* COND: [not] BODY.FIELD TEST | [not] BODY STATE | [not] BODY in XMIN YMIN XMAX YMAX */
typedef struct ScnCond {
    bool     negate;
    bool     is_field;
    bool     is_region;
    ScnRef   body;
    ScnField field;
    ScnTest  test;
    ScnState state;
    ScnNum   region[4];  /* is_region: xmin ymin xmax ymax (m) */
} ScnCond;

typedef enum ScnExpectKind {
    SCN_EXPECT_AT,       /* at T COND */
    SCN_EXPECT_BY,       /* by T COND */
    SCN_EXPECT_NEVER,    /* never COND */
    SCN_EXPECT_ALWAYS,   /* always COND */
    SCN_EXPECT_EVENT,    /* event TYPE BODY [OTHER] before T | after T | near T TOL | between T1 T2 */
    SCN_EXPECT_NO_EVENT, /* no event TYPE BODY [OTHER] */
    SCN_EXPECT_ORDER,    /* order TYPE B1 B2 ... */
    SCN_EXPECT_WHEN,     /* when COND then time TEST | then BODY.FIELD TEST */
    SCN_EXPECT_MAX,      /* max BODY.FIELD [from T1] [to T2] TEST */
    SCN_EXPECT_MODEL_PREDICTS, /* model predicts BODY STATE by T [p > P | p < P] [from T0]: t1 = T,
                                  t2 = T0, cond.state, test (default p > 0.5) */
    SCN_EXPECT_MODEL_FIELD,    /* model BODY.FIELD TEST at T from T0: t1 = T, t2 = T0 */
    SCN_EXPECT_SURPRISE,       /* surprise BODY > X between T1 T2 (or < X); fate BODY ... (its fate
                                  part); alarm BODY between T1 T2 (the view's alarm): `of` */
    SCN_EXPECT_SURPRISE_NEVER, /* surprise never > X; fate never > X; alarm never */
    SCN_EXPECT_MIN
} ScnExpectKind;

typedef enum ScnWhen { SCN_WHEN_BEFORE, SCN_WHEN_AFTER, SCN_WHEN_NEAR, SCN_WHEN_BETWEEN } ScnWhen;

typedef struct ScnExpect {
    ScnExpectKind kind;
    bool          goal;      /* written as a goal (judged like an expectation, planned for) */
    int32_t       line, col;
    char          text[160];
    ScnCond       cond;      /* at, by, never, always, when */
    ScnNum        t1, t2;    /* at/by: t1; event: t1 (and t2 for between); max/min: from t1 to t2 */
    /* event, no event, order */
    int           event;     /* SimEventType */
    ScnRef        body, other; /* other.decl = -1 when absent; body is also max/min's body */
    ScnWhen       when;
    ScnSurpriseOf of;        /* surprise expectations: what they judge (the word they start with) */
    ScnNum        tol;       /* event near T TOL */
    bool          tol_pct;
    int32_t       first, count; /* order: bodies in Scenario.refs[first .. first+count) */
    /* when ... then */
    bool          then_time;
    ScnRef        then_body;
    ScnField      field;     /* when's then-field; max/min's field */
    ScnTest       test;      /* when's then-test; max/min's test */
} ScnExpect;

typedef struct ScnWorldDecl {
    ScnNum gx, gy, dt, ticks, iterations, bounds[4], shards, seconds, seed, substeps, sleep;
    int    line[11];        /* where each setting was made (0 = not set): for duplicates */
} ScnWorldDecl;

typedef struct ScnAgentDecl {
    bool         declared;
    ScnAgentKind kind;
    ScnNum       every_lo, every_hi, dv_lo, dv_hi, angle, start, height;
    ScnNum       pushes, impulse;
    ScnNum       samples, iters, horizon, replan, elites, cost;
    int32_t      line, col;
} ScnAgentDecl;

struct Scenario {
    char          name[256];
    uint64_t      hash;
    uint64_t      seed;     /* world seed, or 0 */
    double        seconds;  /* world seconds, or 5 */
    int           fixed;    /* scn_fix_param: the parameter every instance takes fixed_value for, or -1 */
    double        fixed_value;
    ScnExprPool   pool;
    ScnWorldDecl  world;
    ScnAgentDecl  agent;
    ScnParamDecl* params;
    int           nparams, cap_params;
    ScnBodyDecl*  bodies;
    int           nbodies, cap_bodies;
    ScnActionDecl* actions;
    int           nactions, cap_actions;
    ScnExpect*    expects;
    int           nexpects, cap_expects;
    ScnNum*       nums;     /* choice values */
    int           nnums, cap_nums;
    ScnRef*       refs;     /* order lists */
    int           nrefs, cap_refs;
    char        (*pnames)[32]; /* parameter names, for expressions */
    uint8_t*      ptypes;   /* their ScnType */
};

/// true for the expectations a model judges (model predicts, model BODY.FIELD, surprise)
static inline bool scn_expect_needs_model(ScnExpectKind k) {
    return k == SCN_EXPECT_MODEL_PREDICTS || k == SCN_EXPECT_MODEL_FIELD || k == SCN_EXPECT_SURPRISE ||
           k == SCN_EXPECT_SURPRISE_NEVER;
}

/// formats "name:line:col: msg" into err
void scn_err_format(const char* name, const ScnErr* e, char* err, size_t err_size);
/// evaluates an optional number (absent: def); false + error
bool scn_num_eval(const Scenario* s, const ScnNum* n, const double* params, double def, double* out,
                  ScnErr* e);
const char* scn_state_name(ScnState st);

#endif
