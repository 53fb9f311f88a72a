/* contacts: which bodies touch, and what that means for the world. The solver (sim/solver.c)
 * notes every pair of bodies that touched in a pass; after the step this file makes of them:
 *
 * - contact events: one per pair of bodies when the pair starts touching (it touched in this step
 *   and not in the one before), however many shapes and Chipmunk arbiters the pair has;
 * - support: a body touched by another whose normal into it points up (> 0.5) is supported (falls);
 * - the break test's impulse: the largest total contact impulse pressing the body one way in the
 *   step (see pressing_impulse);
 * - the queries: sim_world_in_contact, sim_world_observe_contacts, sim_world_contacts (the model's
 *   "in contact" labels, the dataset's contacts.npy and the view's contact drawing all come from
 *   here, so no one outside sim/ walks arbiters).
 * And the limits: more than SIM_MAX_CONTACTS shape pairs in one collision pass is an error, and
 * bodies that overlap when they are created are counted (over the budget, an error at once). */
#include <chipmunk/chipmunk_private.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/report.h"
#include "sim/world_internal.h"

static void budget_exceeded(SimWorld* w) {
    if (!w->error[0])
        report_set(w->error, sizeof w->error, "more than %d contacts in one step: bodies overlap at start?",
                   SIM_MAX_CONTACTS);
}

/* every pair of shapes within the margins, every pass: beyond the budget they are ignored */
static cpBool pre_solve(cpArbiter* arb, cpSpace* space, cpDataPointer data) {
    (void)arb, (void)space;
    SimWorld* w = data;
    if (++w->pass_contacts <= SIM_MAX_CONTACTS) return cpTrue;
    budget_exceeded(w);
    return cpFalse;
}

void sim_contacts_install(SimWorld* w) {
    cpCollisionHandler* h = cpSpaceAddDefaultCollisionHandler(w->space);
    h->preSolveFunc = pre_solve;
    h->userData = w;
}

void sim_contacts_free(SimWorld* w) {
    free(w->notes);
    free(w->pairs);
    free(w->pairs_next);
    w->notes = w->pairs = w->pairs_next = NULL;
    w->nnotes = w->capnotes = w->npairs = w->cappairs = w->cappairs_next = 0;
}

void sim_contacts_step_begin(SimWorld* w) {
    w->nnotes = 0;
    for (int i = 0; i < w->nrecs; i++) {
        w->recs[i].supported_now = false;
        w->recs[i].touching = false;
        w->recs[i].impulse_now = 0;
    }
}

void sim_contacts_note(SimWorld* w, int32_t a, int32_t b, double jx, double jy, double ny) {
    if (a == b) return;
    w->notes = sim_grow(w->notes, &w->capnotes, w->nnotes + 1, sizeof *w->notes);
    SimTouchNote* n = &w->notes[w->nnotes];
    n->order = w->nnotes++;
    /* the impulse j acts on b from a, and the normal ny points from a into b */
    bool swap = a > b;
    n->lo = swap ? b : a;
    n->hi = swap ? a : b;
    n->j[0] = swap ? -jx : jx;
    n->j[1] = swap ? -jy : jy;
    bool b_up = ny > 0.5, a_up = -ny > 0.5;
    n->hi_supported = swap ? a_up : b_up;
    n->lo_supported = swap ? b_up : a_up;
}

static int note_cmp(const void* x, const void* y) {
    const SimTouchNote *a = x, *b = y;
    if (a->lo != b->lo) return a->lo < b->lo ? -1 : 1;
    if (a->hi != b->hi) return a->hi < b->hi ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

/* the pair (lo, hi) in the last step's pairs, or NULL */
static const SimTouchNote* pair_find(const SimWorld* w, int32_t lo, int32_t hi) {
    int a = 0, b = w->npairs - 1;
    while (a <= b) {
        int mid = (a + b) / 2;
        const SimTouchNote* p = &w->pairs[mid];
        if (p->lo == lo && p->hi == hi) return p;
        if (p->lo < lo || (p->lo == lo && p->hi < hi)) a = mid + 1;
        else b = mid - 1;
    }
    return NULL;
}

static bool asleep(const SimBodyRec* r) { return r->body && !r->def.is_static && cpBodyIsSleeping(r->body); }

/* the largest total impulse pressing one body one way: over the impulses v[0..n) it got from the
   bodies it touched, the largest |sum| over those that lie in one open half-plane (a window of
   directions less than 180 degrees wide). Parallel pushes add up; a body squeezed from two sides
   counts the larger side, not both */
static double pressing_impulse(double (*v)[2], int n) {
    double ang[64];
    int m = n < 64 ? n : 64;
    int order[64];
    for (int i = 0; i < m; i++) {
        ang[i] = atan2(v[i][1], v[i][0]);
        order[i] = i;
    }
    /* insertion sort by angle (n is small) */
    for (int i = 1; i < m; i++)
        for (int k = i; k > 0 && ang[order[k]] < ang[order[k - 1]]; k--) {
            int t = order[k];
            order[k] = order[k - 1];
            order[k - 1] = t;
        }
    double best = 0;
    for (int s = 0; s < m; s++) {
        double sx = 0, sy = 0, a0 = ang[order[s]];
        for (int k = 0; k < m; k++) {
            int i = order[(s + k) % m];
            double d = ang[i] - a0;
            if (d < 0) d += 2 * M_PI;
            if (d >= M_PI) break;
            sx += v[i][0];
            sy += v[i][1];
            double mag = hypot(sx, sy);
            if (mag > best) best = mag;
        }
    }
    return best;
}

typedef struct BodyImpulse {
    int32_t body, order;
    double  j[2];
} BodyImpulse;

static int body_impulse_cmp(const void* x, const void* y) {
    const BodyImpulse *a = x, *b = y;
    if (a->body != b->body) return a->body < b->body ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

void sim_contacts_step_end(SimWorld* w) {
    /* one entry per pair of bodies: the sum over its shapes, arbiters and passes; and the pairs of
       the last step where a body sleeps (Chipmunk keeps no contacts for sleeping bodies) */
    w->notes = sim_grow(w->notes, &w->capnotes, w->nnotes + w->npairs, sizeof *w->notes);
    for (int i = 0; i < w->npairs; i++) {
        const SimTouchNote* p = &w->pairs[i];
        SimBodyRec *lo = &w->recs[p->lo], *hi = &w->recs[p->hi];
        if (!lo->alive || !hi->alive || !(asleep(lo) || asleep(hi))) continue;
        SimTouchNote* n = &w->notes[w->nnotes];
        *n = *p; /* asleep, it rests as it did: the impulse of its last step awake */
        n->order = w->nnotes++;
    }
    if (w->nnotes > 1) qsort(w->notes, (size_t)w->nnotes, sizeof *w->notes, note_cmp);
    w->pairs_next = sim_grow(w->pairs_next, &w->cappairs_next, w->nnotes, sizeof *w->pairs_next);
    int npairs = 0;
    for (int i = 0; i < w->nnotes; i++) {
        const SimTouchNote* n = &w->notes[i];
        SimTouchNote* last = npairs > 0 ? &w->pairs_next[npairs - 1] : NULL;
        if (last && last->lo == n->lo && last->hi == n->hi) {
            last->j[0] += n->j[0];
            last->j[1] += n->j[1];
            last->lo_supported |= n->lo_supported;
            last->hi_supported |= n->hi_supported;
        } else {
            w->pairs_next[npairs++] = *n;
        }
    }
    /* touching now; contact events for the pairs that were not touching in the last step */
    int nbreakable = 0;
    for (int i = 0; i < npairs; i++) {
        const SimTouchNote* n = &w->pairs_next[i];
        SimBodyRec *lo = &w->recs[n->lo], *hi = &w->recs[n->hi];
        lo->touching = hi->touching = true;
        lo->supported_now |= n->lo_supported;
        hi->supported_now |= n->hi_supported;
        if (!pair_find(w, n->lo, n->hi)) sim_world_emit(w, SIM_EV_CONTACT, n->lo, n->hi, hypot(n->j[0], n->j[1]));
        nbreakable += lo->breakable + hi->breakable;
    }
    SimTouchNote* t = w->pairs;
    int cap = w->cappairs;
    w->pairs = w->pairs_next;
    w->cappairs = w->cappairs_next;
    w->npairs = npairs;
    w->pairs_next = t;
    w->cappairs_next = cap;
    if (nbreakable == 0) return;

    /* the break test's impulse of each breakable body that touched something */
    int capl = 0;
    BodyImpulse* list = sim_grow(NULL, &capl, nbreakable, sizeof *list);
    int k = 0;
    for (int i = 0; i < npairs; i++) {
        const SimTouchNote* n = &w->pairs[i];
        if (w->recs[n->lo].breakable) list[k++] = (BodyImpulse){n->lo, i, {-n->j[0], -n->j[1]}};
        if (w->recs[n->hi].breakable) list[k++] = (BodyImpulse){n->hi, i, {n->j[0], n->j[1]}};
    }
    if (k > 1) qsort(list, (size_t)k, sizeof *list, body_impulse_cmp);
    for (int i = 0; i < k;) {
        int e = i;
        while (e < k && list[e].body == list[i].body) e++;
        double v[64][2];
        int m = 0;
        for (int q = i; q < e && m < 64; q++) {
            v[m][0] = list[q].j[0];
            v[m][1] = list[q].j[1];
            m++;
        }
        w->recs[list[i].body].impulse_now = pressing_impulse(v, m);
        i = e;
    }
    free(list);
}

/* ---- overlaps at creation ---- */

typedef struct OverlapQuery {
    SimWorld*   w;
    SimBodyRec* r;
    cpShape*    shape;
    int32_t     seen[16];       /* bodies already counted for this new body */
    int         nseen;
} OverlapQuery;

static void overlap_found(cpShape* other, void* data) {
    OverlapQuery* q = data;
    SimWorld* w = q->w;
    cpBody* ob = cpShapeGetBody(other);
    int32_t oid = (int32_t)(intptr_t)cpBodyGetUserData(ob) - 1;
    if (ob == q->r->body || oid < 0 || oid >= w->nrecs) return;
    if (q->r->def.is_static && w->recs[oid].def.is_static) return; /* fixed parts of the scene */
    for (int i = 0; i < q->nseen; i++)
        if (q->seen[i] == oid) return;
    /* beyond the budget only the count matters, and the narrow phase would be the slow part */
    if (w->overlaps.pairs > SIM_MAX_CONTACTS) {
        if (q->nseen < 16) q->seen[q->nseen++] = oid;
        w->overlaps.pairs++;
        return;
    }
    cpContactPointSet set = cpShapesCollide(q->shape, other);
    cpVect fix = set.count ? sim_contact_fix(q->shape, other, set.normal) : cpvzero;
    if (set.count && q->shape->klass->type > other->klass->type)
        fix = cpvneg(sim_contact_fix(other, q->shape, cpvneg(set.normal)));
    double depth = 0;
    for (int i = 0; i < set.count; i++) depth = fmax(depth, -(set.points[i].distance + cpvdot(fix, set.normal)));
    /* the shapes are inflated by their margins: the nominal outlines overlap by the rest */
    depth -= q->r->margin + w->recs[oid].margin;
    if (depth <= SIM_OVERLAP_WARN) return;
    if (q->nseen < 16) q->seen[q->nseen++] = oid;
    w->overlaps.pairs++;
    if (depth > w->overlaps.depth) {
        w->overlaps.depth = depth;
        w->overlaps.a = oid;
        w->overlaps.b = q->r->id;
    }
}

void sim_contacts_check_overlaps(SimWorld* w, SimBodyRec* r) {
    OverlapQuery q = {w, r, NULL, {0}, 0};
    for (int i = 0; i < r->nshapes; i++) {
        q.shape = r->shapes[i];
        cpSpaceBBQuery(w->space, cpShapeGetBB(r->shapes[i]), CP_SHAPE_FILTER_ALL, overlap_found, &q);
    }
    if (w->overlaps.pairs > SIM_MAX_CONTACTS) budget_exceeded(w);
}

/* ---- queries ---- */

void sim_world_observe_contacts(const SimWorld* w, uint8_t* contacts, int cap) {
    for (int k = 0; k < cap; k++) contacts[k] = k < w->nrecs && sim_world_in_contact(w, k);
}

typedef struct PointWalk {
    const SimWorld* w;
    int32_t         other;
    SimContact*     c;
} PointWalk;

/* the points of one arbiter between the pair, on a's (the lower id's) nominal outline */
static void walk_points(cpBody* body, cpArbiter* arb, void* data) {
    PointWalk* pw = data;
    CP_ARBITER_GET_BODIES(arb, a, b);
    CP_ARBITER_GET_SHAPES(arb, sa, sb);
    (void)a;
    if ((int32_t)(intptr_t)cpBodyGetUserData(b) - 1 != pw->other) return;
    cpContactPointSet set = cpArbiterGetContactPointSet(arb);
    /* Chipmunk hands the arbiter over from this body's side: pointA lies on body's inflated shape */
    cpVect fix = sim_contact_fix(sa, sb, set.normal);
    if (sa->klass->type > sb->klass->type) fix = cpvneg(sim_contact_fix(sb, sa, cpvneg(set.normal)));
    double margin = pw->w->recs[(int32_t)(intptr_t)cpBodyGetUserData(body) - 1].margin;
    for (int i = 0; i < set.count && pw->c->count < SIM_CONTACT_POINTS; i++) {
        /* from the inflated outline back onto the nominal one, unless they overlap there */
        double gap = cpvdot(cpvsub(cpvadd(set.points[i].pointB, fix), set.points[i].pointA), set.normal);
        if (gap > margin + pw->w->recs[pw->other].margin + 1e-5) continue;
        cpVect p = cpvsub(set.points[i].pointA, cpvmult(set.normal, margin));
        pw->c->points[2 * pw->c->count] = p.x;
        pw->c->points[2 * pw->c->count + 1] = p.y;
        pw->c->count++;
    }
}

int sim_world_contacts(const SimWorld* w, SimContact* out, int cap) {
    /* the pairs of the last step, merged and sorted by (lo, hi) in sim_contacts_step_end */
    for (int i = 0; i < w->npairs && i < cap; i++) {
        const SimTouchNote* n = &w->pairs[i];
        SimContact* c = &out[i];
        c->a = n->lo;
        c->b = n->hi;
        c->count = 0;
        c->jx = n->j[0];
        c->jy = n->j[1];
        PointWalk pw = {w, n->hi, c};
        if (w->recs[n->lo].body) cpBodyEachArbiter(w->recs[n->lo].body, walk_points, &pw);
    }
    return w->npairs;
}
