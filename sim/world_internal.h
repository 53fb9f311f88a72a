/* world_internal: the world's private state, shared by sim/world.c, breaking.c, observe.c and
 * snapshot.c. Nothing outside sim/ includes it. */
#ifndef NUDGE_SIM_WORLD_INTERNAL_H
#define NUDGE_SIM_WORLD_INTERNAL_H
#include <chipmunk/chipmunk.h>

#include "base/rng.h"
#include "sim/action.h"
#include "sim/world.h"

typedef struct SimBodyRec {
    int32_t    id;
    SimBodyDef def;            /* as created; shards carry their polygon */
    cpBody*    body;           /* NULL once gone */
    cpShape*   shapes[SIM_MAX_PARTS];
    int        nshapes;
    bool       alive, broken, out_of_bounds;
    bool       breakable;
    int32_t    parent;         /* shards: the broken body */
    double     mass;           /* kg, the true mass (mass_scale included) */
    double     mass_scale;     /* magic `mass`: the nominal mass times this (1 by default) */
    double     shown_mass;     /* kg, the mass the observation shows (a hidden change keeps the old) */
    bool       ghost;          /* magic `ghost`: collides with nothing */
    bool       unbreakable;    /* magic `unbreakable`: never breaks (still observed as breakable) */
    double     cog[2];         /* centre of mass in the def's frame */
    double     x0, y0;         /* centre of mass at creation */
    double     last[6];        /* x y angle vx vy omega after the last step (kept when gone) */
    /* contact geometry (sim/solver.c): shapes are the outline inflated by margin; polygons are
       cores inset by skin with a rounded edge of radius skin + margin */
    double     skin;           /* m, polygons' rounding (0 for balls) */
    double     margin;         /* m, the speculative margin this pass */
    double     reach;          /* m, farthest point of the outline from the centre of mass */
    /* per-step results of the contacts (sim/contacts.c) */
    bool       supported_now;  /* touched by a body below it (normal up, > 0.5) */
    bool       touching;       /* touched another body in the last step */
    double     impulse_now;    /* the break test's impulse this step (breakable bodies), N*s */
    /* trackers (see events.h) */
    double     support_y;
    bool       fall_armed, fell;
    double     rest_time;
    bool       resting;
    double     topple_ref;
    bool       topple_armed;
} SimBodyRec;

/* the hand (sim/grab.c): a kinematic body, never in the space, pinned to the held body by a pivot
 * joint that is in the space while it holds */
typedef struct SimHand {
    int32_t       body;         /* the held body, -1 = none */
    double        anchor[2];    /* m, the held point in the body's frame about its centre of mass */
    double        from[2];      /* m, world: the hand at the start of the tick */
    double        to[2];        /* m, world: the hand at the end of the tick */
    cpBody*       kin;          /* made at the first grab */
    cpConstraint* joint;        /* NULL when holding nothing */
} SimHand;

/* the solver's scratch (sim/solver.c), reused from step to step */
typedef struct SimSolver {
    struct SolverBody* bodies;
    int                nbodies, capbodies;
    int*               index_by_id;
    int                capindex;
    struct Con*        cons;
    int                ncons, capcons;
    double             h_prev;       /* s, the last substep (warm starts scale by h / h_prev) */
} SimSolver;

/* a pair of bodies that touched in a pass, as the solver reports it (sim/contacts.c) */
typedef struct SimTouchNote {
    int32_t lo, hi;            /* body ids, lo < hi */
    int32_t order;             /* in the order noted, for a deterministic merge */
    double  j[2];              /* contact impulse on hi from lo, N*s */
    bool    lo_supported, hi_supported;
} SimTouchNote;

/* bodies that overlapped when they were created (sim/contacts.c) */
typedef struct SimOverlaps {
    int     pairs;             /* pairs of bodies overlapping by more than SIM_OVERLAP_WARN */
    double  depth;             /* m, the deepest */
    int32_t a, b;              /* the deepest pair */
} SimOverlaps;

struct SimWorld {
    SimWorldDef def;
    cpSpace*    space;
    Rng         rng;           /* shard cuts and kicks */
    int64_t     steps, ticks;
    SimBodyRec* recs;          /* by id */
    int         nrecs, caprecs;
    SimEvent*   events;
    int         nevents, capevents;
    int         nan_count;
    bool        warned_push;   /* a refused push was reported */
    SimHand     hand;
    SimSolver   solver;
    int         pass_contacts; /* shape pairs within the margins in the current pass */
    SimTouchNote* notes;       /* this step's touching pairs as the solver noted them (scratch) */
    int         nnotes, capnotes;
    SimTouchNote* pairs;       /* the pairs touching after the last step, one each, by (lo, hi) */
    int         npairs, cappairs;
    SimTouchNote* pairs_next;  /* scratch for the next */
    int         cappairs_next;
    SimOverlaps overlaps;
    char        error[160];    /* set when the world cannot go on (the contact budget) */
};

/* contact geometry: margins and rounding (m) */
#define SIM_MARGIN_BASE 0.001  /* every shape is inflated by at least this */
#define SIM_MARGIN_MAX 0.1     /* at most this: a faster body splits the step into passes */
#define SIM_MAX_PASSES 64      /* collision passes per step at most */
#define SIM_SKIN 0.0005        /* polygons' rounding, at most */
#define SIM_OVERLAP_WARN 0.001 /* bodies overlapping more than this at creation are reported */

/* world.c */
/* the bare reference loop's Chipmunk settings: its own solver with these iterations */
#define SIM_BARE_ITERATIONS 20
/* a space for the bare reference loop: the world's gravity, Chipmunk's own solver settings */
cpSpace* sim_space_new(const SimWorldDef* def);
/* the body and shapes of a def as plain Chipmunk makes them, at its pose, added to space; user
   data = id + 1 (the bare reference loop's bodies; the world's are sim_rec_materialize's) */
cpBody*  sim_def_build(cpSpace* space, const SimBodyDef* d, int32_t id, cpShape** shapes, int* nshapes);
void   sim_world_make_space(SimWorld* w);
void   sim_world_free_space(SimWorld* w);
/* materialize.c: the body and the (inflated, rounded) shapes of rec from its def, at its pose */
void   sim_rec_materialize(SimWorld* w, SimBodyRec* r);
void   sim_rec_dematerialize(SimWorld* w, SimBodyRec* r);
void   sim_rec_save_pose(SimBodyRec* r);
void   sim_world_emit(SimWorld* w, SimEventType type, int32_t a, int32_t b, double magnitude);

/* magic.c: applies one checked magic entry (spawn: the def an appear adds); *body = the body it
   acted on (the new id for appear). false + why when it could not (a body not live and dynamic) */
bool   sim_world_magic(SimWorld* w, const SimMagic* m, const SimBodyDef* spawn, int32_t* body, char* why,
                       size_t why_size);

/* world.c: applies a push; NULL when it took effect, else why it was refused */
const char* sim_world_push_refusal(SimWorld* w, const SimPush* push);

void   sim_rec_set_margin(SimBodyRec* r, double margin);
/* p (NULL or from here) grown to hold need items of size bytes (*cap updated); aborts with one
   line when memory runs out */
void*  sim_grow(void* p, int* cap, int need, size_t size);

/* solver.c: one physics step of dt (collision passes and substeps) */
void   sim_solver_step(SimWorld* w, double dt);
/* collision passes the next step of dt takes (1, or more when a body is fast) */
int    sim_solver_passes(const SimWorld* w, double dt);
void   sim_solver_free(SimSolver* s);
/* the correction for a Chipmunk 7.0.3 contact point between shapes a and b with normal n (a to b),
   added to the point on b */
cpVect sim_contact_fix(const cpShape* a, const cpShape* b, cpVect n);

/* contacts.c: the pairs the solver found touching, and what they mean */
void   sim_contacts_install(SimWorld* w);                 /* collision callbacks on a new space */
void   sim_contacts_step_begin(SimWorld* w);
void   sim_contacts_note(SimWorld* w, int32_t a, int32_t b, double jx, double jy, double ny);
void   sim_contacts_step_end(SimWorld* w);                /* events, support, break impulses */
void   sim_contacts_check_overlaps(SimWorld* w, SimBodyRec* r);
void   sim_contacts_free(SimWorld* w);

/* breaking.c: shatters the breakable bodies whose impulse this step passed their threshold */
void   sim_world_break_pending(SimWorld* w);

/* grab.c: the hand */
void   sim_hand_init(SimWorld* w);
/* holds g->body at g->anchor (or, when it holds that body already, keeps its anchor) with the hand
 * going to g->target; false + why for a body that is not live and dynamic or bad numbers.
 * *applied (may be NULL) gets the anchor and the (clamped) target in effect */
bool   sim_hand_grab(SimWorld* w, const SimGrab* g, SimGrab* applied, char* why, size_t why_size);
void   sim_hand_release(SimWorld* w);                  /* no-op when holding nothing */
void   sim_hand_before_step(SimWorld* w, int step);    /* moves the hand along the tick */
void   sim_hand_end_tick(SimWorld* w);
void   sim_hand_free(SimWorld* w);                     /* releases and frees the hand body */
/* after a rebuild of the space (restore): pins the hand again to the body it held, at hand_at */
void   sim_hand_attach(SimWorld* w, int32_t body, const double anchor[2], const double hand_at[2]);

#endif
