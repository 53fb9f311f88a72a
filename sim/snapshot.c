/* snapshot: the full state of a world (bodies, velocities, broken state, trackers, rng, time),
 * and restore, which rebuilds the Chipmunk space from it (see world.h for what that implies). */
#include <chipmunk/chipmunk.h>
#include <chipmunk/chipmunk_structs.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "sim/world_internal.h"

typedef struct BodyMotion {
    double  p[2], a, v[2], w;
    double  idle;           /* s idle (Chipmunk's sleep timer) */
    int32_t sleep_group;    /* asleep: the lowest id of its sleeping group; awake: -1 */
} BodyMotion;

struct SimSnapshot {
    SimWorldDef def;
    Rng         rng;
    int64_t     steps, ticks;
    int         nan_count;
    int         nrecs;
    SimBodyRec* recs;       /* body and shape pointers cleared */
    BodyMotion* motion;     /* by id; meaningful for alive bodies */
    int32_t     hand_body;  /* the held body, -1 = none */
    double      hand_anchor[2], hand_at[2];
    SimTouchNote* pairs;    /* the pairs touching after the last step (contact events, queries) */
    int         npairs;
    double      h_prev;     /* the solver's last substep (warm starts scale by it) */
    SimOverlaps overlaps;
    char        error[160];
};

SimSnapshot* sim_world_snapshot(const SimWorld* w) {
    SimSnapshot* s = alloc_zeroed(1, sizeof *s);
    s->def = w->def;
    s->rng = w->rng;
    s->steps = w->steps;
    s->ticks = w->ticks;
    s->nan_count = w->nan_count;
    s->nrecs = w->nrecs;
    s->recs = alloc_array((size_t)w->nrecs, sizeof *s->recs);
    s->motion = alloc_zeroed((size_t)w->nrecs, sizeof *s->motion);
    memcpy(s->recs, w->recs, sizeof *s->recs * (size_t)w->nrecs);
    for (int i = 0; i < w->nrecs; i++) {
        const cpBody* b = w->recs[i].body;
        s->recs[i].body = NULL;
        memset(s->recs[i].shapes, 0, sizeof s->recs[i].shapes);
        s->recs[i].nshapes = 0;
        BodyMotion* m = &s->motion[i];
        m->sleep_group = -1;
        if (!b) continue;
        m->p[0] = b->p.x;
        m->p[1] = b->p.y;
        m->a = b->a;
        m->v[0] = b->v.x;
        m->v[1] = b->v.y;
        m->w = b->w;
        m->idle = b->sleeping.idleTime;
        if (!w->recs[i].def.is_static && cpBodyIsSleeping((cpBody*)b)) {
            /* the group: the lowest id of the bodies sleeping with the same component root */
            const cpBody* root = b->sleeping.root;
            for (int k = 0; k <= i; k++)
                if (w->recs[k].body && !w->recs[k].def.is_static && w->recs[k].body->sleeping.root == root) {
                    m->sleep_group = k;
                    break;
                }
        }
    }
    s->npairs = w->npairs;
    s->pairs = alloc_array((size_t)w->npairs, sizeof *s->pairs);
    if (w->npairs > 0) memcpy(s->pairs, w->pairs, sizeof *s->pairs * (size_t)w->npairs);
    s->h_prev = w->solver.h_prev;
    s->overlaps = w->overlaps;
    memcpy(s->error, w->error, sizeof s->error);
    SimGrab g;
    s->hand_body = sim_world_grabbed(w, &g) ? g.body : -1;
    if (s->hand_body >= 0) {
        memcpy(s->hand_anchor, g.anchor, sizeof s->hand_anchor);
        memcpy(s->hand_at, g.target, sizeof s->hand_at);
    }
    return s;
}

void sim_snapshot_free(SimSnapshot* s) {
    if (!s) return;
    free(s->recs);
    free(s->motion);
    free(s->pairs);
    free(s);
}

size_t sim_snapshot_bytes(const SimSnapshot* s) {
    if (!s) return 0;
    return sizeof *s + (size_t)s->nrecs * (sizeof *s->recs + sizeof *s->motion);
}

/* a snapshot that this world can take: counts in range, the live bodies' state finite */
static bool snapshot_check(const SimSnapshot* s, char* err, size_t err_size) {
    if (!s) {
        report_set(err, err_size, "no snapshot to restore");
        return false;
    }
    if (s->nrecs < 0 || s->nrecs > SIM_MAX_BODIES) {
        report_set(err, err_size, "a snapshot of %d bodies (at most %d)", s->nrecs, SIM_MAX_BODIES);
        return false;
    }
    for (int i = 0; i < s->nrecs; i++) {
        const BodyMotion* m = &s->motion[i];
        double v[6] = {m->p[0], m->p[1], m->a, m->v[0], m->v[1], m->w};
        for (int k = 0; k < 6; k++)
            if (s->recs[i].alive && !isfinite(v[k])) {
                report_set(err, err_size, "body %d of the snapshot has a non-finite state", i);
                return false;
            }
    }
    for (int i = 0; i < s->npairs; i++)
        if (s->pairs[i].lo < 0 || s->pairs[i].hi >= s->nrecs || s->pairs[i].lo >= s->pairs[i].hi) {
            report_set(err, err_size, "the snapshot's touching pair %d is not a pair of its bodies", i);
            return false;
        }
    for (int i = 0; i < s->nrecs; i++) {
        int32_t g = s->motion[i].sleep_group;
        if (g >= 0 && (g > i || !s->recs[i].alive || !s->recs[g].alive || s->recs[g].def.is_static || s->motion[g].sleep_group != g)) {
            report_set(err, err_size, "body %d of the snapshot sleeps in a bad group (%d)", i, g);
            return false;
        }
    }
    if (s->hand_body >= s->nrecs) {
        report_set(err, err_size, "the snapshot's hand holds body %d of %d", s->hand_body, s->nrecs);
        return false;
    }
    return true;
}

bool sim_world_restore(SimWorld* w, const SimSnapshot* s, char* err, size_t err_size) {
    if (!snapshot_check(s, err, err_size)) return false;
    /* room first (growing keeps what is there), so nothing below can fail half-way */
    if (w->caprecs < s->nrecs) {
        w->recs = alloc_resize(w->recs, (size_t)s->nrecs, sizeof *w->recs);
        w->caprecs = s->nrecs;
    }
    sim_world_free_space(w);
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
            b->sleeping.idleTime = m->idle;
        }
        cpSpaceReindexShapesForBody(w->space, b);
    }
    /* the sleeping groups, each from its lowest id (Chipmunk keeps no contacts for them: when
       woken they start without warm starting, as every restored contact does) */
    for (int i = 0; i < w->nrecs; i++) {
        int32_t g = s->motion[i].sleep_group;
        if (g < 0 || !w->recs[i].alive || w->def.sleep_time <= 0) continue;
        cpBodySleepWithGroup(w->recs[i].body, g == i ? NULL : w->recs[g].body);
    }
    w->pairs = alloc_resize(w->pairs, (size_t)(s->npairs ? s->npairs : 1), sizeof *w->pairs);
    w->cappairs = s->npairs ? s->npairs : 1;
    if (s->npairs > 0) memcpy(w->pairs, s->pairs, sizeof *w->pairs * (size_t)s->npairs);
    w->npairs = s->npairs;
    w->solver.h_prev = s->h_prev;
    w->overlaps = s->overlaps;
    memcpy(w->error, s->error, sizeof w->error);
    /* and the hand, where it was */
    if (s->hand_body >= 0 && w->recs[s->hand_body].alive && !w->recs[s->hand_body].def.is_static)
        sim_hand_attach(w, s->hand_body, s->hand_anchor, s->hand_at);
    return true;
}

SimWorld* sim_world_from_snapshot(const SimSnapshot* s, char* err, size_t err_size) {
    if (!snapshot_check(s, err, err_size)) return NULL;
    SimWorld* w = sim_world_create(&s->def);
    if (!sim_world_restore(w, s, err, err_size)) {
        sim_world_destroy(w);
        return NULL;
    }
    return w;
}
