/* snapshot: the full state of a world (bodies, velocities, broken state, trackers, rng, time),
 * and restore, which rebuilds the Chipmunk space from it (see world.h for what that implies). */
#include <chipmunk/chipmunk.h>
#include <chipmunk/chipmunk_structs.h>
#include <stdlib.h>
#include <string.h>

#include "sim/world_internal.h"

typedef struct BodyMotion {
    double p[2], a, v[2], w;
} BodyMotion;

struct SimSnapshot {
    SimWorldDef def;
    Rng         rng;
    int64_t     steps, ticks;
    int         nan_count;
    int         nrecs;
    SimBodyRec* recs;       /* body and shape pointers cleared */
    BodyMotion* motion;     /* by id; meaningful for alive bodies */
};

SimSnapshot* sim_world_snapshot(const SimWorld* w) {
    SimSnapshot* s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->def = w->def;
    s->rng = w->rng;
    s->steps = w->steps;
    s->ticks = w->ticks;
    s->nan_count = w->nan_count;
    s->nrecs = w->nrecs;
    size_t n = (size_t)(w->nrecs ? w->nrecs : 1);
    s->recs = malloc(sizeof *s->recs * n);
    s->motion = calloc(n, sizeof *s->motion);
    if (!s->recs || !s->motion) {
        sim_snapshot_free(s);
        return NULL;
    }
    memcpy(s->recs, w->recs, sizeof *s->recs * (size_t)w->nrecs);
    for (int i = 0; i < w->nrecs; i++) {
        const cpBody* b = w->recs[i].body;
        s->recs[i].body = NULL;
        memset(s->recs[i].shapes, 0, sizeof s->recs[i].shapes);
        s->recs[i].nshapes = 0;
        if (!b) continue;
        BodyMotion* m = &s->motion[i];
        m->p[0] = b->p.x;
        m->p[1] = b->p.y;
        m->a = b->a;
        m->v[0] = b->v.x;
        m->v[1] = b->v.y;
        m->w = b->w;
    }
    return s;
}

void sim_snapshot_free(SimSnapshot* s) {
    if (!s) return;
    free(s->recs);
    free(s->motion);
    free(s);
}

void sim_world_restore(SimWorld* w, const SimSnapshot* s) {
    sim_world_free_space(w);
    if (w->caprecs < s->nrecs) {
        SimBodyRec* r = realloc(w->recs, sizeof *r * (size_t)s->nrecs);
        if (!r) return;
        w->recs = r;
        w->caprecs = s->nrecs;
    }
    w->def = s->def;
    w->rng = s->rng;
    w->steps = s->steps;
    w->ticks = s->ticks;
    w->nan_count = s->nan_count;
    w->nrecs = s->nrecs;
    w->nevents = 0;
    memcpy(w->recs, s->recs, sizeof *w->recs * (size_t)s->nrecs);
    sim_world_make_space(w);
    /* rebuild the live bodies in id order, then put back their exact motion state */
    for (int i = 0; i < w->nrecs; i++) {
        SimBodyRec* r = &w->recs[i];
        if (!r->alive) continue;
        sim_rec_materialize(w, r);
        const BodyMotion* m = &s->motion[i];
        cpBody* b = r->body;
        b->p = cpv(m->p[0], m->p[1]);
        cpBodySetAngle(b, m->a);
        if (!r->def.is_static) {
            cpBodySetVelocity(b, cpv(m->v[0], m->v[1]));
            cpBodySetAngularVelocity(b, m->w);
        }
        cpSpaceReindexShapesForBody(w->space, b);
    }
}

SimWorld* sim_world_from_snapshot(const SimSnapshot* s) {
    SimWorld* w = sim_world_create(&s->def);
    if (!w) return NULL;
    sim_world_restore(w, s);
    return w;
}
