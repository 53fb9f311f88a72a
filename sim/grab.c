/* grab: the hand that holds a body and moves it, as in Chipmunk's demos: a kinematic body (never in
 * the space) pinned to the held body by a pivot joint. Before each physics step of a tick the hand
 * moves a share of the way from where it was toward the target, with the matching velocity, so the
 * joint pulls the body along smoothly; the joint's force and speed are capped so a slammed body
 * does not tunnel through floors. */
#include <chipmunk/chipmunk.h>
#include <chipmunk/chipmunk_structs.h>
#include <math.h>
#include <string.h>

#include "base/report.h"
#include "sim/world_internal.h"

/* the joint pulls with at most this many times the body's weight-ish force (N per kg) */
#define GRAB_FORCE_PER_KG 300.0
/* and moves the body toward the hand at most this fast (m/s) */
#define GRAB_SPEED 6.0
/* the hand stays this far inside the world's bounds (m) */
#define GRAB_MARGIN 0.05

void sim_hand_init(SimWorld* w) {
    memset(&w->hand, 0, sizeof w->hand);
    w->hand.body = -1;
}

void sim_hand_release(SimWorld* w) {
    SimHand* h = &w->hand;
    if (h->joint) {
        if (cpConstraintGetSpace(h->joint)) cpSpaceRemoveConstraint(w->space, h->joint);
        cpConstraintFree(h->joint);
        h->joint = NULL;
    }
    h->body = -1;
}

void sim_hand_free(SimWorld* w) {
    sim_hand_release(w);
    if (w->hand.kin) cpBodyFree(w->hand.kin);
    w->hand.kin = NULL;
}

static void clamp_to_bounds(const SimWorld* w, double p[2]) {
    const double* b = w->def.bounds;
    for (int a = 0; a < 2; a++) {
        double lo = b[a] + GRAB_MARGIN, hi = b[a + 2] - GRAB_MARGIN;
        if (lo > hi) lo = hi = 0.5 * (b[a] + b[a + 2]);
        if (p[a] < lo) p[a] = lo;
        if (p[a] > hi) p[a] = hi;
    }
}

void sim_hand_attach(SimWorld* w, int32_t body, const double anchor[2], const double hand_at[2]) {
    SimHand*    h = &w->hand;
    SimBodyRec* r = &w->recs[body];
    cpBody*     b = r->body;
    if (!h->kin) h->kin = cpBodyNewKinematic();
    cpBodySetPosition(h->kin, cpv(hand_at[0], hand_at[1]));
    cpBodySetVelocity(h->kin, cpvzero);
    /* the anchor about the centre of mass, rotated into the world, then into Chipmunk's body frame */
    double c = cos(b->a), s = sin(b->a);
    cpVect at = cpv(b->p.x + c * anchor[0] - s * anchor[1], b->p.y + s * anchor[0] + c * anchor[1]);
    h->joint = cpPivotJointNew2(h->kin, b, cpvzero, cpBodyWorldToLocal(b, at));
    cpConstraintSetMaxForce(h->joint, r->mass * GRAB_FORCE_PER_KG);
    /* 30% of the error left per 1/60 s: fast, but not instant */
    cpConstraintSetErrorBias(h->joint, pow(1.0 - 0.3, 60.0));
    cpConstraintSetMaxBias(h->joint, GRAB_SPEED);
    cpSpaceAddConstraint(w->space, h->joint);
    h->body = body;
    h->anchor[0] = anchor[0], h->anchor[1] = anchor[1];
    h->from[0] = h->to[0] = hand_at[0];
    h->from[1] = h->to[1] = hand_at[1];
}

bool sim_hand_grab(SimWorld* w, const SimGrab* g, SimGrab* applied, char* why, size_t why_size) {
    SimHand* h = &w->hand;
    if (g->body < 0 || g->body >= w->nrecs || !w->recs[g->body].alive || w->recs[g->body].def.is_static) {
        report_set(why, why_size, "grab of body %d refused: not a live dynamic body", g->body);
        return false;
    }
    const SimBodyRec* r = &w->recs[g->body];
    double reach = 10.0 * (r->def.w + r->def.h);
    if (!isfinite(g->anchor[0]) || !isfinite(g->anchor[1]) || !isfinite(g->target[0]) ||
        !isfinite(g->target[1]) || hypot(g->anchor[0], g->anchor[1]) > reach) {
        report_set(why, why_size, "grab of body %d refused: anchor or target out of range", g->body);
        return false;
    }
    if (h->body != g->body) {
        /* a new hold: the hand starts at the anchor's world point */
        sim_hand_release(w);
        const cpBody* b = r->body;
        double c = cos(b->a), s = sin(b->a);
        double at[2] = {b->p.x + c * g->anchor[0] - s * g->anchor[1], b->p.y + s * g->anchor[0] + c * g->anchor[1]};
        sim_hand_attach(w, g->body, g->anchor, at);
    }
    h->to[0] = g->target[0], h->to[1] = g->target[1];
    clamp_to_bounds(w, h->to);
    if (applied) {
        memset(applied, 0, sizeof *applied);
        applied->body = h->body;
        applied->anchor[0] = h->anchor[0], applied->anchor[1] = h->anchor[1];
        applied->target[0] = h->to[0], applied->target[1] = h->to[1];
    }
    return true;
}

void sim_hand_before_step(SimWorld* w, int step) {
    SimHand* h = &w->hand;
    if (h->body < 0) return;
    double f  = (step + 1.0) / w->def.steps_per_tick;
    double nx = h->from[0] + (h->to[0] - h->from[0]) * f;
    double ny = h->from[1] + (h->to[1] - h->from[1]) * f;
    cpVect p  = cpBodyGetPosition(h->kin);
    cpBodySetVelocity(h->kin, cpv((nx - p.x) / w->def.dt, (ny - p.y) / w->def.dt));
    cpBodySetPosition(h->kin, cpv(nx, ny));
}

void sim_hand_end_tick(SimWorld* w) {
    SimHand* h = &w->hand;
    h->from[0] = h->to[0], h->from[1] = h->to[1];
}

bool sim_world_grabbed(const SimWorld* w, SimGrab* out) {
    const SimHand* h = &w->hand;
    if (h->body < 0) return false;
    if (out) {
        memset(out, 0, sizeof *out);
        out->body = h->body;
        out->anchor[0] = h->anchor[0], out->anchor[1] = h->anchor[1];
        cpVect p = cpBodyGetPosition(h->kin);
        out->target[0] = p.x, out->target[1] = p.y;
    }
    return true;
}
