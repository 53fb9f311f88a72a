/* materialize: a world body's Chipmunk body and collision shapes.
 *
 * The body's mass, centre of mass and moment of inertia come from the def's nominal outline (the
 * materials' areal density). Its shapes are that outline inflated by a speculative margin that
 * sim/solver.c sets every collision pass (how far the body can travel in it), so Chipmunk reports
 * pairs before they touch; the solver subtracts the margins again and works with the nominal gap.
 * Polygons are cores inset by a small skin with edges rounded by skin + margin: two boxes placed
 * flush then have cores apart by two skins, where Chipmunk's GJK gives a clean normal (exactly
 * touching cores give it none, and the box was kicked). */
#include <chipmunk/chipmunk.h>
#include <chipmunk/chipmunk_structs.h>
#include <math.h>

#include "sim/materials.h"
#include "sim/shape.h"
#include "sim/world_internal.h"

#define CORE_NUDGE 1e-7 /* m, see core_unparallel */

/* area, centroid (def frame) and moment about the centroid of a convex polygon, for density 1 */
static void part_mass(const SimPart* p, double* area, cpVect* c, double* moment) {
    cpVect v[SIM_MAX_VERTS];
    for (int k = 0; k < p->n; k++) v[k] = cpv(p->v[2 * k], p->v[2 * k + 1]);
    *area = fabs(cpAreaForPoly(p->n, v, 0.0));
    *c = cpCentroidForPoly(p->n, v);
    *moment = cpMomentForPoly(*area, p->n, v, cpvneg(*c), 0.0);
}

/* the mass (kg), centre of mass (def frame) and moment of inertia about it of a def's nominal
   outline; the collision shapes' rounding and margins do not change them */
static void def_mass(const SimBodyDef* d, double density, double* mass, cpVect* cog, double* moment) {
    if (d->kind == SIM_KIND_BALL) {
        double r = d->w / 2;
        *mass = density * M_PI * r * r;
        *cog = cpvzero;
        *moment = *mass * r * r / 2;
        return;
    }
    SimPart parts[SIM_MAX_PARTS];
    int np = sim_def_parts(d, parts);
    double a[SIM_MAX_PARTS], i0[SIM_MAX_PARTS], total = 0;
    cpVect c[SIM_MAX_PARTS], sum = cpvzero;
    for (int k = 0; k < np; k++) {
        part_mass(&parts[k], &a[k], &c[k], &i0[k]);
        total += a[k];
        sum = cpvadd(sum, cpvmult(c[k], a[k]));
    }
    *cog = cpvmult(sum, 1.0 / total);
    double inertia = 0;
    for (int k = 0; k < np; k++) inertia += i0[k] + a[k] * cpvlengthsq(cpvsub(c[k], *cog));
    *mass = density * total;
    *moment = density * inertia;
}

/* the rounding a polygon can take: at most SIM_SKIN, half its area over its perimeter (below its
   inradius), and small enough that no corner is cut by more than SIM_SKIN */
static double part_skin(const SimPart* p) {
    double perim = 0, area = 0, skin = SIM_SKIN;
    for (int k = 0; k < p->n; k++) {
        int j = (k + 1) % p->n, i = (k + p->n - 1) % p->n;
        cpVect a = cpv(p->v[2 * i], p->v[2 * i + 1]), o = cpv(p->v[2 * k], p->v[2 * k + 1]),
               b = cpv(p->v[2 * j], p->v[2 * j + 1]);
        perim += cpvdist(o, b);
        area += cpvcross(o, b);
        /* interior angle at o: a corner offset by skin / sin(angle / 2) is cut by that minus skin */
        double ang = acos(fmax(-1.0, fmin(1.0, cpvdot(cpvnormalize(cpvsub(a, o)), cpvnormalize(cpvsub(b, o))))));
        double s2 = sin(ang / 2);
        if (s2 < 1) skin = fmin(skin, SIM_SKIN * s2 / (1 - s2));
    }
    return fmin(skin, 0.5 * fabs(area) / 2 / perim);
}

/* the polygon moved inward by skin along every edge (convex, counter-clockwise) */
static void part_inset(const SimPart* p, double skin, cpVect* out) {
    for (int k = 0; k < p->n; k++) {
        int i = (k + p->n - 1) % p->n, j = (k + 1) % p->n;
        cpVect a = cpv(p->v[2 * i], p->v[2 * i + 1]), o = cpv(p->v[2 * k], p->v[2 * k + 1]),
               b = cpv(p->v[2 * j], p->v[2 * j + 1]);
        cpVect n0 = cpvnormalize(cpvperp(cpvsub(o, a))), n1 = cpvnormalize(cpvperp(cpvsub(b, o)));
        out[k] = cpvadd(o, cpvmult(cpvadd(n0, n1), skin / (1 + cpvdot(n0, n1))));
    }
}

/* Chipmunk's GJK cycles to its iteration cap (and prints "High GJK iterations" each time) when
   two polygons face each other with exactly parallel edges apart, as boxes stacked square do. The
   first corner of every core moves 0.1 um toward the core's middle: the two edges at it tilt by
   about 1e-6 rad, and no two faces of the world's polygons are exactly parallel any more */
static void core_unparallel(cpVect* core, int n) {
    cpVect c = cpvzero;
    for (int k = 0; k < n; k++) c = cpvadd(c, core[k]);
    c = cpvmult(c, 1.0 / n);
    cpVect d = cpvsub(c, core[0]);
    double l = cpvlength(d);
    if (l > 1e-6) core[0] = cpvadd(core[0], cpvmult(d, CORE_NUDGE / l));
}

void sim_rec_set_margin(SimBodyRec* r, double margin) {
    r->margin = margin;
    for (int i = 0; i < r->nshapes; i++) {
        if (r->def.kind == SIM_KIND_BALL) ((cpCircleShape*)r->shapes[i])->r = r->def.w / 2 + margin;
        else ((cpPolyShape*)r->shapes[i])->r = r->skin + margin;
    }
}

/* makes the Chipmunk body and shapes of rec from its def, at the def's pose. The body's mass,
   centre of mass and moment come from the nominal outline; its shapes are the outline inflated by
   the speculative margin (sim/solver.c), polygons as cores inset by the skin with rounded edges */
void sim_rec_materialize(SimWorld* w, SimBodyRec* r) {
    const SimBodyDef* d = &r->def;
    const SimMaterial* m = sim_material_get(d->material);
    double mass = 0, moment = 0;
    cpVect cog = cpvzero;
    cpBody* b;
    if (d->is_static) {
        b = cpBodyNewStatic();
    } else {
        def_mass(d, m->density, &mass, &cog, &moment);
        mass *= r->mass_scale;   /* magic: an invisible change of density */
        moment *= r->mass_scale;
        b = cpBodyNew(mass, moment);
        cpBodySetCenterOfGravity(b, cog);
    }
    cpBodySetAngle(b, d->angle);
    cpBodySetPosition(b, cpv(d->x, d->y));
    cpBodySetUserData(b, (cpDataPointer)(intptr_t)(r->id + 1));
    cpSpaceAddBody(w->space, b);
    r->body = b;
    r->nshapes = 0;
    r->margin = SIM_MARGIN_BASE;
    if (d->kind == SIM_KIND_BALL) {
        r->skin = 0;
        r->reach = d->w / 2;
        r->shapes[r->nshapes++] = cpCircleShapeNew(b, d->w / 2 + r->margin, cpvzero);
    } else {
        SimPart parts[SIM_MAX_PARTS];
        int np = sim_def_parts(d, parts);
        r->skin = SIM_SKIN;
        r->reach = 0;
        for (int i = 0; i < np; i++) {
            r->skin = fmin(r->skin, part_skin(&parts[i]));
            for (int k = 0; k < parts[i].n; k++)
                r->reach = fmax(r->reach, cpvdist(cpv(parts[i].v[2 * k], parts[i].v[2 * k + 1]), cog));
        }
        for (int i = 0; i < np; i++) {
            cpVect core[SIM_MAX_VERTS];
            part_inset(&parts[i], r->skin, core);
            core_unparallel(core, parts[i].n);
            r->shapes[r->nshapes++] = cpPolyShapeNewRaw(b, parts[i].n, core, r->skin + r->margin);
        }
    }
    for (int i = 0; i < r->nshapes; i++) {
        cpShape* s = r->shapes[i];
        cpShapeSetFriction(s, m->friction);
        cpShapeSetElasticity(s, m->elasticity);
        if (r->ghost) cpShapeSetFilter(s, CP_SHAPE_FILTER_NONE);   /* magic: collides with nothing */
        cpSpaceAddShape(w->space, s);
    }
    if (!d->is_static) {
        cpBodySetVelocity(b, cpv(d->vx, d->vy));
        cpBodySetAngularVelocity(b, d->omega);
        r->mass = mass;
        r->cog[0] = cog.x;
        r->cog[1] = cog.y;
    } else {
        r->mass = 0;
    }
    r->alive = true;
}

