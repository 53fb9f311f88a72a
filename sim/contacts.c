/* contacts: which bodies touch, and where, read from Chipmunk's arbiters of the last step.
 * The model's "in contact" labels, the dataset's contacts.npy and the view's contact drawing all
 * come from here, so no one outside sim/ walks arbiters. */
#include <chipmunk/chipmunk.h>

#include "sim/world_internal.h"

void sim_world_observe_contacts(const SimWorld* w, uint8_t* contacts, int cap) {
    for (int k = 0; k < cap; k++) contacts[k] = k < w->nrecs && sim_world_in_contact(w, k);
}

typedef struct ContactWalk {
    SimContact* out;
    int         cap, n;
} ContactWalk;

static void walk_arbiter(cpBody* body, cpArbiter* arb, void* data) {
    ContactWalk* cw = data;
    /* Chipmunk hands the arbiter over from this body's side: a == body, and the point set and the
     * total impulse are as seen from it */
    CP_ARBITER_GET_BODIES(arb, a, b);
    int32_t ia = (int32_t)(intptr_t)cpBodyGetUserData(a) - 1;
    int32_t ib = (int32_t)(intptr_t)cpBodyGetUserData(b) - 1;
    /* each pair once, from the body with the lower id; the view's hand has no shapes */
    if (a != body || ia < 0 || ib < 0 || ia > ib) return;
    cpContactPointSet set = cpArbiterGetContactPointSet(arb);
    if (set.count <= 0) return;
    if (cw->n < cw->cap) {
        SimContact* c = &cw->out[cw->n];
        c->a = ia;
        c->b = ib;
        c->count = set.count < SIM_CONTACT_POINTS ? set.count : SIM_CONTACT_POINTS;
        for (int i = 0; i < c->count; i++) {
            c->points[2 * i] = set.points[i].pointA.x;
            c->points[2 * i + 1] = set.points[i].pointA.y;
        }
        cpVect j = cpArbiterTotalImpulse(arb);   /* the impulse on a, as seen from a */
        c->jx = -j.x;
        c->jy = -j.y;
    }
    cw->n++;
}

int sim_world_contacts(const SimWorld* w, SimContact* out, int cap) {
    ContactWalk cw = {out, cap, 0};
    for (int i = 0; i < w->nrecs; i++) {
        cpBody* b = w->recs[i].body;
        if (!b) continue;
        cpBodyEachArbiter(b, walk_arbiter, &cw);
    }
    return cw.n;
}
