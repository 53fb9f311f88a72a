/* world_internal: the world's private state, shared by sim/world.c, breaking.c, observe.c and
 * snapshot.c. Nothing outside sim/ includes it. */
#ifndef NUDGE_SIM_WORLD_INTERNAL_H
#define NUDGE_SIM_WORLD_INTERNAL_H
#include <chipmunk/chipmunk.h>

#include "base/rng.h"
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
};

/* world.c */
void   sim_world_make_space(SimWorld* w);
void   sim_world_free_space(SimWorld* w);
void   sim_rec_materialize(SimWorld* w, SimBodyRec* r);
void   sim_rec_dematerialize(SimWorld* w, SimBodyRec* r);
void   sim_rec_save_pose(SimBodyRec* r);
void   sim_world_emit(SimWorld* w, SimEventType type, int32_t a, int32_t b, double magnitude);
int    sim_def_parts(const SimBodyDef* d, SimPart* parts);
double sim_cup_wall(double w, double h);

/* breaking.c: shatters the breakable bodies whose impulse this step passed their threshold */
void   sim_world_break_pending(SimWorld* w);

#endif
