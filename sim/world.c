/* world: bodies, stepping, pushes, trackers (fall, rest, topple, bounds) and queries.
 * Breaking lives in sim/breaking.c, snapshots in sim/snapshot.c, observation in sim/observe.c. */
#include "sim/world.h"

#include <chipmunk/chipmunk.h>
#include <chipmunk/chipmunk_structs.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/report.h"
#include "sim/materials.h"
#include "sim/shape.h"
#include "sim/world_internal.h"

/* rest and bounds thresholds (documented in events.h) */
#define REST_SPEED 0.02
#define REST_OMEGA 0.1
#define REST_TIME 0.25
#define WAKE_SPEED 0.05
#define WAKE_OMEGA 0.25
#define TOPPLE_ANGLE 0.7853981633974483
#define MAX_SPEED 1000.0

static const char* const kind_names[SIM_KIND_COUNT] = {"box", "ball", "cup", "plank", "ramp", "shard"};

const char* sim_kind_name(SimKind kind) {
    return (kind >= 0 && kind < SIM_KIND_COUNT) ? kind_names[kind] : "?";
}

int sim_kind_find(const char* name) {
    for (int i = 0; i < SIM_KIND_SHARD; i++)
        if (strcmp(kind_names[i], name) == 0) return i;
    return -1;
}

static const char* const event_names[SIM_EV_COUNT] = {
#define SIM_EV_NAME(up, low) #low,
    SIM_EVENT_TYPES(SIM_EV_NAME)
#undef SIM_EV_NAME
};

const char* sim_event_name(SimEventType type) {
    return (type >= 0 && type < SIM_EV_COUNT) ? event_names[type] : "?";
}

int sim_event_find(const char* name) {
    for (int i = 0; i < SIM_EV_COUNT; i++)
        if (strcmp(event_names[i], name) == 0) return i;
    return -1;
}

/* ---- Chipmunk's banner ---- */

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

static void quiet_now(void) {
    /* the debug build prints two lines to stdout at its first cpSpace: send them to /dev/null */
    fflush(stdout);
    int saved = dup(1);
    int devnull = open("/dev/null", O_WRONLY);
    if (saved >= 0 && devnull >= 0) dup2(devnull, 1);
    cpSpace* s = cpSpaceNew();
    cpSpaceFree(s);
    fflush(stdout);
    if (saved >= 0) {
        dup2(saved, 1);
        close(saved);
    }
    if (devnull >= 0) close(devnull);
}

void sim_quiet_chipmunk(void) { pthread_once(&quiet_once, quiet_now); }

/* ---- defaults ---- */

SimBodyDef sim_body_def_default(void) {
    SimBodyDef d;
    memset(&d, 0, sizeof d);
    d.kind = SIM_KIND_BOX;
    d.material = sim_material_find("wood");
    d.w = d.h = 0.1;
    return d;
}

SimWorldDef sim_world_def_default(void) {
    SimWorldDef d;
    memset(&d, 0, sizeof d);
    d.dt = 1.0 / 120.0;
    d.steps_per_tick = 2;
    d.gx = 0.0;
    d.gy = -9.81;
    d.iterations = 1;
    d.substeps = 4;
    d.sleep_time = 0.5;
    d.seed = 0;
    d.bounds[0] = -5.0;
    d.bounds[1] = -2.0;
    d.bounds[2] = 5.0;
    d.bounds[3] = 8.0;
    d.shards = 6;
    return d;
}

/* ---- bodies ---- */

void* sim_grow(void* p, int* cap, int need, size_t size) {
    if (need <= *cap) return p;
    int c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    *cap = c;
    return alloc_resize(p, (size_t)c, size);
}

static SimBodyRec* rec_new(SimWorld* w) {
    if (w->nrecs >= SIM_MAX_BODIES) return NULL;
    if (w->nrecs == w->caprecs) {
        int cap = w->caprecs ? 2 * w->caprecs : 64;
        w->recs = alloc_resize(w->recs, (size_t)cap, sizeof *w->recs);
        w->caprecs = cap;
    }
    SimBodyRec* r = &w->recs[w->nrecs];
    memset(r, 0, sizeof *r);
    r->id = w->nrecs++;
    r->parent = -1;
    r->mass_scale = 1.0;
    return r;
}

static bool def_check(const SimBodyDef* d, char* err, size_t n) {
    const SimMaterial* m = sim_material_get(d->material);
    if (!m) {
        report_set(err, n, "unknown material %d", d->material);
        return false;
    }
    if (d->kind < 0 || d->kind >= SIM_KIND_COUNT) {
        report_set(err, n, "unknown kind %d", (int)d->kind);
        return false;
    }
    double vals[8] = {d->x, d->y, d->angle, d->w, d->h, d->vx, d->vy, d->omega};
    for (int i = 0; i < 8; i++)
        if (!isfinite(vals[i])) {
            report_set(err, n, "a number is not finite");
            return false;
        }
    if (d->kind != SIM_KIND_SHARD && (d->w < 1e-3 || d->h < 1e-3 || d->w > 1e3 || d->h > 1e3)) {
        report_set(err, n, "size must be in [0.001, 1000] m, got %g x %g", d->w, d->h);
        return false;
    }
    if (fabs(d->x) > 1e4 || fabs(d->y) > 1e4) {
        report_set(err, n, "position must be within 10 km of the origin");
        return false;
    }
    if (hypot(d->vx, d->vy) > MAX_SPEED || fabs(d->omega) > MAX_SPEED) {
        report_set(err, n, "speed must be at most %g m/s and spin at most %g rad/s", MAX_SPEED, MAX_SPEED);
        return false;
    }
    if (d->kind == SIM_KIND_SHARD && (d->nverts < 3 || d->nverts > SIM_MAX_VERTS)) {
        report_set(err, n, "a shard needs 3..%d vertices", SIM_MAX_VERTS);
        return false;
    }
    return true;
}

/* the Chipmunk body and shapes of a def as plain Chipmunk makes them (sharp polygons, mass from
 * the shapes' density), at the def's pose, added to space: the bare reference loop's bodies
 * (sim/bare_loop.c). The world's own bodies are made by sim_rec_materialize (sim/materialize.c) */
cpBody* sim_def_build(cpSpace* space, const SimBodyDef* d, int32_t id, cpShape** shapes, int* nshapes) {
    const SimMaterial* m = sim_material_get(d->material);
    cpBody* b = d->is_static ? cpBodyNewStatic() : cpBodyNew(0, 0);
    cpBodySetPosition(b, cpv(d->x, d->y));
    cpBodySetAngle(b, d->angle);
    cpBodySetUserData(b, (cpDataPointer)(intptr_t)(id + 1));
    cpSpaceAddBody(space, b);
    int n = 0;
    if (d->kind == SIM_KIND_BALL) {
        shapes[n++] = cpCircleShapeNew(b, d->w / 2, cpvzero);
    } else {
        SimPart parts[SIM_MAX_PARTS];
        int np = sim_def_parts(d, parts);
        for (int i = 0; i < np; i++) {
            cpVect v[SIM_MAX_VERTS];
            for (int k = 0; k < parts[i].n; k++) v[k] = cpv(parts[i].v[2 * k], parts[i].v[2 * k + 1]);
            shapes[n++] = cpPolyShapeNewRaw(b, parts[i].n, v, 0.0);
        }
    }
    for (int i = 0; i < n; i++) {
        cpShape* s = shapes[i];
        cpShapeSetFriction(s, m->friction);
        cpShapeSetElasticity(s, m->elasticity);
        if (!d->is_static) cpShapeSetDensity(s, m->density);
        cpSpaceAddShape(space, s);
    }
    if (!d->is_static) {
        cpBodySetVelocity(b, cpv(d->vx, d->vy));
        cpBodySetAngularVelocity(b, d->omega);
    }
    *nshapes = n;
    return b;
}

static void collect_constraint(cpBody* body, cpConstraint* c, void* data) {
    (void)body;
    cpConstraint** list = data;
    for (int i = 0; i < 8; i++)
        if (!list[i]) {
            list[i] = c;
            return;
        }
}

void sim_rec_dematerialize(SimWorld* w, SimBodyRec* r) {
    if (!r->body) return;
    /* the hand lets go of a body that leaves; any other joint leaves the space with it */
    if (w->hand.body == r->id) sim_hand_release(w);
    for (;;) {
        cpConstraint* found[8] = {0};
        cpBodyEachConstraint(r->body, collect_constraint, found);
        if (!found[0]) break;
        for (int i = 0; i < 8 && found[i]; i++) cpSpaceRemoveConstraint(w->space, found[i]);
    }
    for (int i = 0; i < r->nshapes; i++) {
        cpSpaceRemoveShape(w->space, r->shapes[i]);
        cpShapeFree(r->shapes[i]);
    }
    r->nshapes = 0;
    cpSpaceRemoveBody(w->space, r->body);
    cpBodyFree(r->body);
    r->body = NULL;
    r->alive = false;
}

/* copies the live pose into rec->last (kept after the body is gone) */
void sim_rec_save_pose(SimBodyRec* r) {
    if (!r->body) return;
    cpVect p = r->body->p;
    cpVect v = r->body->v;
    r->last[0] = p.x;
    r->last[1] = p.y;
    r->last[2] = r->body->a;
    r->last[3] = v.x;
    r->last[4] = v.y;
    r->last[5] = r->body->w;
}

int sim_world_add_body(SimWorld* w, const SimBodyDef* def, char* err, size_t err_size) {
    if (!def_check(def, err, err_size)) return -1;
    SimBodyRec* r = rec_new(w);
    if (!r) {
        report_set(err, err_size, "too many bodies (a world holds at most %d)", SIM_MAX_BODIES);
        return -1;
    }
    r->def = *def;
    const SimMaterial* m = sim_material_get(def->material);
    r->breakable = !def->is_static && m->break_impulse > 0 && def->kind != SIM_KIND_SHARD;
    sim_rec_materialize(w, r);
    r->shown_mass = r->mass;
    if (def->kind != SIM_KIND_SHARD) sim_contacts_check_overlaps(w, r);
    sim_rec_save_pose(r);
    r->x0 = r->last[0];
    r->y0 = r->last[1];
    r->support_y = r->last[1];
    r->fall_armed = true;
    r->topple_ref = def->angle;
    r->topple_armed = true;
    return r->id;
}

bool sim_world_remove_body(SimWorld* w, int32_t id) {
    if (id < 0 || id >= w->nrecs || !w->recs[id].alive) return false;
    sim_rec_save_pose(&w->recs[id]);
    sim_rec_dematerialize(w, &w->recs[id]);
    return true;
}

/* ---- events ---- */

static SimEvent* event_new(SimWorld* w, SimEventType type, int32_t a, int32_t b, double magnitude) {
    if (w->nevents == w->capevents) {
        int cap = w->capevents ? 2 * w->capevents : 64;
        w->events = alloc_resize(w->events, (size_t)cap, sizeof *w->events);
        w->capevents = cap;
    }
    SimEvent* e = &w->events[w->nevents++];
    e->type = type;
    e->a = a;
    e->b = b;
    e->magnitude = magnitude;
    return e;
}

void sim_world_emit(SimWorld* w, SimEventType type, int32_t a, int32_t b, double magnitude) {
    /* during or right after step number `steps`: stamped with the time at that step's end */
    SimEvent* e = event_new(w, type, a, b, magnitude);
    e->step = w->steps;
    e->t = (double)(w->steps + 1) * w->def.dt;
}

const SimEvent* sim_world_events(const SimWorld* w, int* count) {
    *count = w->nevents;
    return w->events;
}

void sim_world_clear_events(SimWorld* w) { w->nevents = 0; }

/* ---- create / destroy ---- */

cpSpace* sim_space_new(const SimWorldDef* def) {
    cpSpace* space = cpSpaceNew();
    cpSpaceSetGravity(space, cpv(def->gx, def->gy));
    /* Chipmunk's own solver as nudge used it before sim/solver.c: 20 iterations, and a slop in
       metres (Chipmunk's default 0.1 is for pixels) */
    cpSpaceSetIterations(space, SIM_BARE_ITERATIONS);
    cpSpaceSetCollisionSlop(space, 0.0002);
    return space;
}

void sim_world_make_space(SimWorld* w) {
    /* Chipmunk finds the contacts and keeps the sleeping components; sim/solver.c solves them */
    w->space = cpSpaceNew();
    cpSpaceSetGravity(w->space, cpv(w->def.gx, w->def.gy));
    if (w->def.sleep_time > 0) {
        cpSpaceSetSleepTimeThreshold(w->space, w->def.sleep_time);
        cpSpaceSetIdleSpeedThreshold(w->space, SIM_SLEEP_SPEED);
    }
    sim_contacts_install(w);
}

SimWorld* sim_world_create(const SimWorldDef* def) {
    sim_quiet_chipmunk();
    SimWorld* w = alloc_zeroed(1, sizeof *w);
    w->def = *def;
    if (!(w->def.dt > 0)) w->def.dt = 1.0 / 120.0;
    if (w->def.steps_per_tick < 1) w->def.steps_per_tick = 1;
    if (!(w->def.dt >= SIM_DT_MIN)) w->def.dt = SIM_DT_MIN;
    if (w->def.dt > SIM_DT_MAX) w->def.dt = SIM_DT_MAX;
    if (w->def.iterations < 1) w->def.iterations = 1;
    if (w->def.substeps < 1) w->def.substeps = 1;
    if (w->def.substeps > SIM_MAX_SUBSTEPS) w->def.substeps = SIM_MAX_SUBSTEPS;
    if (!(w->def.sleep_time >= 0)) w->def.sleep_time = 0;
    if (w->def.shards < 2) w->def.shards = 2;
    if (w->def.shards > 8) w->def.shards = 8;
    rng_seed(&w->rng, rng_derive(def->seed, 0x776f726c64));
    sim_hand_init(w);
    sim_world_make_space(w);
    return w;
}

void sim_world_free_space(SimWorld* w) {
    sim_hand_release(w);
    /* joints someone attached leave the space first (their owners free them) */
    for (int i = 0; i < w->nrecs; i++) {
        SimBodyRec* r = &w->recs[i];
        if (!r->body) continue;
        for (;;) {
            cpConstraint* found[8] = {0};
            cpBodyEachConstraint(r->body, collect_constraint, found);
            if (!found[0]) break;
            for (int k = 0; k < 8 && found[k]; k++) cpSpaceRemoveConstraint(w->space, found[k]);
        }
    }
    /* sleeping bodies wake first, while the space is unlocked: Chipmunk 7.0.3's cpSpaceFree wakes
       them itself, but from inside a loop over the sleeping groups that skips one group after
       every group it wakes, and the skipped groups' saved contacts leak */
    for (int i = 0; i < w->nrecs; i++)
        if (w->recs[i].body && !w->recs[i].def.is_static) cpBodyActivate(w->recs[i].body);
    /* then the whole space at once, and the bodies and shapes without removing them one by one:
       each removal scans the space's contacts, quadratic with many overlapping bodies */
    cpSpaceFree(w->space);
    w->space = NULL;
    for (int i = 0; i < w->nrecs; i++) {
        SimBodyRec* r = &w->recs[i];
        if (!r->body) continue;
        for (int k = 0; k < r->nshapes; k++) cpShapeFree(r->shapes[k]);
        r->nshapes = 0;
        cpBodyFree(r->body);
        r->body = NULL;
    }
}

void sim_world_destroy(SimWorld* w) {
    if (!w) return;
    sim_world_free_space(w);
    sim_hand_free(w);
    sim_solver_free(&w->solver);
    sim_contacts_free(w);
    free(w->recs);
    free(w->events);
    free(w);
}

/* ---- pushes and stepping ---- */

double sim_world_time(const SimWorld* w) { return (double)w->steps * w->def.dt; }

bool sim_world_run_ticks(const SimWorldDef* def, double seconds, int64_t* ticks, char* err, size_t err_size) {
    int per_tick = def->steps_per_tick > 0 ? def->steps_per_tick : 1;
    double tick = def->dt * per_tick, n = seconds / tick;
    if (!(def->dt >= SIM_DT_MIN && seconds >= 0 && n * per_tick <= SIM_MAX_RUN_STEPS)) {
        report_set(err, err_size, "a run of %g s at dt %g s is %.4g physics steps; at most %d are allowed",
                   seconds, def->dt, n * per_tick, SIM_MAX_RUN_STEPS);
        return false;
    }
    *ticks = llround(n);
    if (*ticks < 1) *ticks = 1;
    return true;
}


const char* sim_world_push_refusal(SimWorld* w, const SimPush* p) {
    if (p->body < 0 || p->body >= w->nrecs) return "no such body";
    SimBodyRec* r = &w->recs[p->body];
    if (!r->alive || r->def.is_static) return "not a live dynamic body";
    if (!isfinite(p->jx) || !isfinite(p->jy) || !isfinite(p->px) || !isfinite(p->py)) return "a number is not finite";
    /* a push that would fling the body faster than anything in the world is refused, once loudly */
    if (hypot(p->jx, p->jy) > MAX_SPEED * r->mass || hypot(p->px, p->py) > 10.0 * (r->def.w + r->def.h)) {
        if (!w->warned_push) report_warn("push on body %d (%s) refused: impulse %g N*s at %g m from its centre is out of range",
                                         r->id, r->def.name, hypot(p->jx, p->jy), hypot(p->px, p->py));
        w->warned_push = true;
        return "impulse or point out of range";
    }
    cpVect at = cpvadd(r->body->p, cpv(p->px, p->py));
    cpBodyApplyImpulseAtWorldPoint(r->body, cpv(p->jx, p->jy), at);
    /* a push happens before the next step: stamped with the time now */
    SimEvent* e = event_new(w, SIM_EV_PUSH, p->body, -1, hypot(p->jx, p->jy));
    e->step = w->steps;
    e->t = sim_world_time(w);
    return NULL;
}

bool sim_world_push(SimWorld* w, const SimPush* p) { return sim_world_push_refusal(w, p) == NULL; }

static bool body_sane(const cpBody* b) {
    return isfinite(b->p.x) && isfinite(b->p.y) && isfinite(b->a) && isfinite(b->v.x) &&
           isfinite(b->v.y) && isfinite(b->w) && fabs(b->v.x) < MAX_SPEED && fabs(b->v.y) < MAX_SPEED &&
           fabs(b->w) < 10 * MAX_SPEED;
}

/* after a step: numerical trouble, bounds, falls, rests, topples, in id order */
static void track(SimWorld* w) {
    const double* bd = w->def.bounds;
    for (int i = 0; i < w->nrecs; i++) {
        SimBodyRec* r = &w->recs[i];
        if (!r->alive || r->def.is_static) continue;
        cpBody* b = r->body;
        if (!body_sane(b)) {
            /* reset to the last good pose, at rest; warn once per world */
            w->nan_count++;
            if (w->nan_count == 1) report_warn("body %d (%s) blew up; reset to its last pose", r->id, r->def.name);
            b->p = cpv(r->last[0], r->last[1]);
            cpBodySetAngle(b, r->last[2]);
            cpBodySetVelocity(b, cpvzero);
            cpBodySetAngularVelocity(b, 0);
        }
        cpVect p = b->p;
        if (p.x < bd[0] || p.x > bd[2] || p.y < bd[1] || p.y > bd[3]) {
            sim_world_emit(w, SIM_EV_OUT_OF_BOUNDS, r->id, -1, 0);
            sim_rec_save_pose(r);
            r->out_of_bounds = true;
            sim_rec_dematerialize(w, r);
            continue;
        }
        /* fall: unsupported and more than its own height below its last support */
        double height = r->def.kind == SIM_KIND_BALL ? r->def.w : r->def.h;
        if (r->def.kind == SIM_KIND_SHARD) height = r->def.h > 0 ? r->def.h : 0.01;
        if (r->supported_now) {
            r->support_y = p.y;
            r->fall_armed = true;
        } else if (r->fall_armed && r->support_y - p.y > height) {
            sim_world_emit(w, SIM_EV_FALL, r->id, -1, r->support_y - p.y);
            r->fall_armed = false;
            r->fell = true;
        }
        /* rest: slow for REST_TIME in a row */
        double speed = cpvlength(b->v), om = fabs(b->w);
        if (r->resting) {
            if (speed > WAKE_SPEED || om > WAKE_OMEGA) {
                r->resting = false;
                r->rest_time = 0;
            }
        } else if (speed < REST_SPEED && om < REST_OMEGA) {
            r->rest_time += w->def.dt;
            if (r->rest_time >= REST_TIME - 1e-12) {
                r->resting = true;
                sim_world_emit(w, SIM_EV_REST, r->id, -1, 0);
                r->topple_ref = b->a;
                r->topple_armed = true;
            }
        } else {
            r->rest_time = 0;
        }
        /* topple: turned more than 45 degrees from the reference angle (balls roll instead) */
        double turn = fabs(b->a - r->topple_ref);
        if (r->topple_armed && turn > TOPPLE_ANGLE && r->def.kind != SIM_KIND_BALL) {
            sim_world_emit(w, SIM_EV_TOPPLE, r->id, -1, turn);
            r->topple_armed = false;
        }
        sim_rec_save_pose(r);
    }
}

void sim_world_step(SimWorld* w) {
    sim_contacts_step_begin(w);
    sim_solver_step(w, w->def.dt);
    sim_contacts_step_end(w);
    sim_world_break_pending(w);
    track(w);
    w->steps++;
}

bool sim_world_tick(SimWorld* w, const SimPush* push) {
    SimAction a, applied;
    sim_action_clear(&a);
    if (push) sim_action_add_push(&a, push);
    sim_world_act(w, push ? &a : NULL, &applied, NULL, 0);
    return applied.npushes == 1;
}

/* ---- queries ---- */

int64_t sim_world_steps(const SimWorld* w) { return w->steps; }
int64_t sim_world_ticks(const SimWorld* w) { return w->ticks; }
const SimWorldDef* sim_world_def(const SimWorld* w) { return &w->def; }
int sim_world_id_count(const SimWorld* w) { return w->nrecs; }
int sim_world_nan_count(const SimWorld* w) { return w->nan_count; }

int32_t sim_world_find(const SimWorld* w, const char* name) {
    for (int i = 0; i < w->nrecs; i++)
        if (strcmp(w->recs[i].def.name, name) == 0) return i;
    return -1;
}

int sim_world_dynamic_ids(const SimWorld* w, int32_t* out, int cap) {
    int n = 0;
    for (int i = 0; i < w->nrecs && n < cap; i++)
        if (w->recs[i].alive && !w->recs[i].def.is_static) out[n++] = i;
    return n;
}

bool sim_world_body(const SimWorld* w, int32_t id, SimBodyState* out) {
    if (id < 0 || id >= w->nrecs) return false;
    const SimBodyRec* r = &w->recs[id];
    memset(out, 0, sizeof *out);
    out->id = id;
    snprintf(out->name, sizeof out->name, "%s", r->def.name);
    out->kind = r->def.kind;
    out->material = r->def.material;
    out->is_static = r->def.is_static;
    out->alive = r->alive;
    out->broken = r->broken;
    out->out_of_bounds = r->out_of_bounds;
    out->resting = r->resting;
    out->sleeping = r->body && !r->def.is_static && cpBodyIsSleeping(r->body);
    out->fell = r->fell;
    out->breakable = r->breakable;
    out->parent = r->parent;
    out->w = r->def.w;
    out->h = r->def.h;
    out->mass = r->mass;
    out->x0 = r->x0;
    out->y0 = r->y0;
    if (r->body) {
        const cpBody* b = r->body;
        out->x = b->p.x;
        out->y = b->p.y;
        out->angle = b->a;
        out->vx = b->v.x;
        out->vy = b->v.y;
        out->omega = b->w;
    } else {
        out->x = r->last[0];
        out->y = r->last[1];
        out->angle = r->last[2];
        out->vx = r->last[3];
        out->vy = r->last[4];
        out->omega = r->last[5];
    }
    /* outline around the centre of mass (static bodies: their origin) */
    double cx = 0, cy = 0;
    if (r->body && !r->def.is_static) {
        cx = r->body->cog.x;
        cy = r->body->cog.y;
    } else if (!r->def.is_static) {
        cx = r->cog[0];
        cy = r->cog[1];
    }
    if (r->def.kind == SIM_KIND_BALL) {
        out->radius = r->def.w / 2;
    } else {
        out->nparts = sim_def_parts(&r->def, out->parts);
        for (int i = 0; i < out->nparts; i++)
            for (int k = 0; k < out->parts[i].n; k++) {
                out->parts[i].v[2 * k] -= cx;
                out->parts[i].v[2 * k + 1] -= cy;
            }
    }
    return true;
}

bool sim_world_in_contact(const SimWorld* w, int32_t id) {
    if (id < 0 || id >= w->nrecs || !w->recs[id].body) return false;
    return w->recs[id].touching;
}

const char* sim_world_error(const SimWorld* w) { return w->error[0] ? w->error : NULL; }

int sim_world_overlaps(const SimWorld* w, double* depth, int32_t* a, int32_t* b) {
    if (depth) *depth = w->overlaps.depth;
    if (a) *a = w->overlaps.a;
    if (b) *b = w->overlaps.b;
    return w->overlaps.pairs;
}

bool sim_world_set_pose(SimWorld* w, int32_t id, double x, double y, double angle, double vx,
                        double vy, double omega) {
    if (id < 0 || id >= w->nrecs || !w->recs[id].alive) return false;
    double v[6] = {x, y, angle, vx, vy, omega};
    for (int i = 0; i < 6; i++)
        if (!isfinite(v[i])) return false;
    cpBody* b = w->recs[id].body;
    b->p = cpv(x, y);
    cpBodySetAngle(b, angle); /* wakes it, if it slept */
    if (!w->recs[id].def.is_static) {
        cpBodySetVelocity(b, cpv(vx, vy));
        cpBodySetAngularVelocity(b, omega);
    }
    cpSpaceReindexShapesForBody(w->space, b);
    sim_rec_save_pose(&w->recs[id]);
    return true;
}

/* ---- hash ---- */

static uint64_t fnv(uint64_t h, const void* p, size_t n) {
    const unsigned char* c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t sim_world_hash(const SimWorld* w) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < w->nrecs; i++) {
        const SimBodyRec* r = &w->recs[i];
        if (!r->alive) continue;
        const cpBody* b = r->body;
        double v[6] = {b->p.x, b->p.y, b->a, b->v.x, b->v.y, b->w};
        h = fnv(h, &r->id, sizeof r->id);
        h = fnv(h, v, sizeof v);
    }
    return h;
}
