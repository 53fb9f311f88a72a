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
    double     mass;
    double     cog[2];         /* centre of mass in the def's frame */
    double     x0, y0;         /* centre of mass at creation */
    double     last[6];        /* x y angle vx vy omega after the last step (kept when gone) */
    /* per-step scratch filled by the collision callback */
    bool       supported_now;
    double     impulse_now;    /* largest contact impulse this step (breakable bodies) */
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
};

/* world.c */
/* a space with the world's solver settings (gravity, iterations, slop) and nothing else */
cpSpace* sim_space_new(const SimWorldDef* def);
/* the body and shapes of a def at its pose, added to space; user data = id + 1 */
cpBody*  sim_def_build(cpSpace* space, const SimBodyDef* d, int32_t id, cpShape** shapes, int* nshapes);
void   sim_world_make_space(SimWorld* w);
void   sim_world_free_space(SimWorld* w);
void   sim_rec_materialize(SimWorld* w, SimBodyRec* r);
void   sim_rec_dematerialize(SimWorld* w, SimBodyRec* r);
void   sim_rec_save_pose(SimBodyRec* r);
void   sim_world_emit(SimWorld* w, SimEventType type, int32_t a, int32_t b, double magnitude);

/* world.c: applies a push; NULL when it took effect, else why it was refused */
const char* sim_world_push_refusal(SimWorld* w, const SimPush* push);

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
