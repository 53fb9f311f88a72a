/* solver: one physics step of the world.
 *
 * Chipmunk2D finds the contacts (broad phase, narrow phase, its contact cache for warm starting,
 * sleeping components, joints); the contacts are solved here, because Chipmunk's own loop (one
 * step, Gauss-Seidel iterations, pseudo-velocities pushing overlaps apart) cannot hold a tower of 20
 * boxes at any iteration count, bounces from wherever in the step the contact happens, and lets a
 * fast ball pass a thin plank. The scheme (README, "How a step is solved"):
 *
 *   per collision pass (one per step, more when something is very fast, see below):
 *     Chipmunk finds every pair of shapes within each other's speculative margin
 *     per substep h = dt_pass / substeps (Box2D v3's "soft step" loop, with rigid contacts):
 *       integrate velocities (gravity); warm start (the last substep's impulses)
 *       solve the contacts: a pair still apart may close its gap in this substep but not pass it
 *         (speculative contact); a pair touching may not approach; both points of a two-point
 *         contact are solved at once (Box2D v2's block solver); then friction
 *       integrate positions; relax (solve again with the moved positions)
 *       restitution for the points that hit in this substep, and the time-of-impact displacement
 *     contacts are solved from the bottom up (along gravity), which carries a stack's load in one
 *       sweep
 *     overlaps beyond the slop are removed by moving bodies, not by pushing them apart with
 *       velocity (Box2D v2's position solver): no energy goes into resting stacks
 *
 * Speculative margins make contacts continuous: every shape is inflated by a margin covering how far
 * its body can travel in the pass (speed, spin over its reach, gravity), so a ball meets a thin plank
 * before it reaches it, never behind it. A body that can travel more than SIM_MARGIN_MAX in a step
 * splits the step into several collision passes; the count depends only on the world's state.
 *
 * Bounces do not depend on where in a step they happen: a point that closes its gap in a substep
 * gets its restitution in that substep, and is moved out by the distance it would have travelled
 * back since the moment of impact, e * v * (h - t_impact).
 *
 * Body state during a pass: the displacement since the pass began lives in the body's pseudo-
 * velocity fields (v_bias, w_bias), which Chipmunk uses only inside cpSpaceStep (never called). */
#include <chipmunk/chipmunk_private.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/world_internal.h"

#define RESTITUTION_MIN 0.1      /* m/s: slower impacts do not bounce (no jitter at rest) */
#define TOUCH_SEP 1e-5           /* m: points this close at the end of a pass are touching */
#define PROJECT_ITERATIONS 3     /* position passes at the end of a collision pass */
#define PROJECT_SHARE 0.2        /* share of an overlap removed per position pass */
#define PROJECT_SLOP 0.0001      /* m: overlaps up to this are left alone (no jitter at rest) */
#define PROJECT_MAX 0.01         /* m: the largest move of one position pass */

typedef struct SolverBody {
    cpBody* body;
    double  dq[2];               /* rotation since the pass began (cos, sin) */
} SolverBody;

typedef struct ConPoint {
    cpVect r1, r2;               /* anchors from the centres of mass, world axes, fixed for the pass */
    double base_sep;             /* nominal separation at the pass start (m, negative = overlap) */
    double n_mass, t_mass;
    double jn, jt;               /* impulses of the current substep (warm started) */
    double jn_sum, jt_sum;       /* summed over the pass's substeps */
    double sep_start, vn_start;  /* at the current substep's start */
    double sep_target;           /* time-of-impact displacement target, or -1 */
} ConPoint;

typedef struct Con {
    cpArbiter* arb;
    cpBody *a, *b;
    SolverBody *sa, *sb;         /* the bodies' slots in the pass, NULL for one that does not move */
    bool    round_a, round_b;    /* the shape is a circle: its contact point does not turn with it */
    cpVect  n, t;                /* normal from a into b, tangent = perp(n) */
    double  friction, restitution;
    int     count;
    double  k11, k12, k22, det;  /* two points: the 2x2 effective mass matrix K and its determinant */
    bool    block;               /* two points that the block solver can take (K well conditioned) */
    int     order;               /* in Chipmunk's order, for a deterministic sort */
    double  height;              /* m, of its first point along -gravity */
    ConPoint p[2];
} Con;

static inline double cross(cpVect a, cpVect b) { return a.x * b.y - a.y * b.x; }
static inline double max2(double a, double b) { return a > b ? a : b; }
static inline double min2(double a, double b) { return a < b ? a : b; }

/* ---- the bodies moving in the pass ---- */

/* a body's slot: by world id (or the short list of other bodies), -1 for one that does not move */
static int solver_index(const SimWorld* w, cpBody* b) {
    if (cpBodyGetType(b) == CP_BODY_TYPE_STATIC || cpBodyIsSleeping(b)) return -1;
    int32_t id = (int32_t)(intptr_t)cpBodyGetUserData(b) - 1;
    if (id >= 0 && id < w->nrecs) return w->solver.index_by_id[id];
    for (int i = 0; i < w->solver.nbodies; i++)
        if (w->solver.bodies[i].body == b) return i;
    return -1;
}

static void bodies_begin(SimWorld* w) {
    SimSolver* s = &w->solver;
    cpArray* list = w->space->dynamicBodies;
    s->bodies = sim_grow(s->bodies, &s->capbodies, list->num, sizeof *s->bodies);
    s->index_by_id = sim_grow(s->index_by_id, &s->capindex, w->nrecs + 1, sizeof *s->index_by_id);
    for (int i = 0; i < w->nrecs; i++) s->index_by_id[i] = -1;
    s->nbodies = list->num;
    for (int i = 0; i < list->num; i++) {
        cpBody* b = list->arr[i];
        SolverBody* sb = &s->bodies[i];
        sb->body = b;
        sb->dq[0] = 1;
        sb->dq[1] = 0;
        b->v_bias = cpvzero; /* displacement since the pass began */
        b->w_bias = 0;
        int32_t id = (int32_t)(intptr_t)cpBodyGetUserData(b) - 1;
        if (id >= 0 && id < w->nrecs) s->index_by_id[id] = i;
    }
}

/* Chipmunk's body transform from the centre of mass p and angle a (its SetTransform) */
static void body_set_transform(cpBody* b) {
    double c = cos(b->a), s = sin(b->a);
    cpVect g = b->cog;
    b->transform = cpTransformNewTranspose(c, -s, b->p.x - (g.x * c - g.y * s), s, c, b->p.y - (g.x * s + g.y * c));
}

/* moves a body by dp and turns it by da, keeping its displacement since the pass began */
static void body_move(SolverBody* sb, cpVect dp, double da) {
    cpBody* b = sb->body;
    b->p = cpvadd(b->p, dp);
    b->v_bias = cpvadd(b->v_bias, dp);
    b->a += da;
    b->w_bias += da;
    /* the rotation since the pass began, integrated without trigonometry (Box2D v3) */
    double c = sb->dq[0] - da * sb->dq[1], s = sb->dq[1] + da * sb->dq[0];
    double inv = 1.0 / sqrt(c * c + s * s);
    sb->dq[0] = c * inv;
    sb->dq[1] = s * inv;
}

static void bodies_integrate_velocities(SimWorld* w, double h) {
    cpVect g = w->space->gravity, dv = cpvmult(g, h);
    for (int i = 0; i < w->solver.nbodies; i++) {
        cpBody* b = w->solver.bodies[i].body;
        if (b->velocity_func != cpBodyUpdateVelocity) {
            b->velocity_func(b, g, 1.0, h);
        } else if (b->m_inv > 0) {
            /* cpBodyUpdateVelocity, without its checks: gravity and the forces someone applied */
            b->v = cpvadd(cpvadd(b->v, dv), cpvmult(b->f, b->m_inv * h));
            b->w += b->t * b->i_inv * h;
            b->f = cpvzero;
            b->t = 0;
        }
    }
}

static void bodies_integrate_positions(SimWorld* w, double h, bool transforms) {
    for (int i = 0; i < w->solver.nbodies; i++) {
        cpBody* b = w->solver.bodies[i].body;
        body_move(&w->solver.bodies[i], cpvmult(b->v, h), b->w * h);
        if (transforms) body_set_transform(b);
    }
}

static void bodies_end(SimWorld* w) {
    for (int i = 0; i < w->solver.nbodies; i++) {
        cpBody* b = w->solver.bodies[i].body;
        body_set_transform(b);
        b->v_bias = cpvzero;
        b->w_bias = 0;
    }
}

/* ---- contact constraints ---- */

/* how far an anchor r of a body moved since the pass began */
static inline cpVect anchor_delta(const SolverBody* sb, cpVect r, bool round) {
    if (!sb) return cpvzero;
    cpVect dp = sb->body->v_bias;
    if (round) return dp; /* the nearest point of a circle stays below its centre */
    const double* q = sb->dq;
    return cpv(dp.x + q[0] * r.x - q[1] * r.y - r.x, dp.y + q[1] * r.x + q[0] * r.y - r.y);
}

/* a point's nominal separation now (m, negative = overlap) */
static inline double point_sep(const Con* c, const ConPoint* p) {
    cpVect d = cpvsub(anchor_delta(c->sb, p->r2, c->round_b), anchor_delta(c->sa, p->r1, c->round_a));
    return p->base_sep + cpvdot(d, c->n);
}

static inline cpVect point_rel_vel(const Con* c, const ConPoint* p) {
    const cpBody *a = c->a, *b = c->b;
    cpVect va = cpvadd(a->v, cpvmult(cpvperp(p->r1), a->w));
    cpVect vb = cpvadd(b->v, cpvmult(cpvperp(p->r2), b->w));
    return cpvsub(vb, va);
}

static inline void con_apply(Con* c, const ConPoint* p, cpVect j) {
    cpBody *a = c->a, *b = c->b;
    a->v = cpvsub(a->v, cpvmult(j, a->m_inv));
    a->w -= a->i_inv * cross(p->r1, j);
    b->v = cpvadd(b->v, cpvmult(j, b->m_inv));
    b->w += b->i_inv * cross(p->r2, j);
}

/* Chipmunk 7.0.3 puts a circle-polygon contact's point on the polygon's far side of its rounding
   (CircleToPoly adds n * r where it should subtract it; fixed upstream after 7.0.3): the offset
   that moves it back onto the surface facing the circle. Zero for every other pair */
cpVect sim_contact_fix(const cpShape* a, const cpShape* b, cpVect n) {
    if (a->klass->type == CP_CIRCLE_SHAPE && b->klass->type == CP_POLY_SHAPE)
        return cpvmult(n, -2.0 * ((const cpPolyShape*)b)->r);
    return cpvzero;
}

/* a body's inflation this pass: the margin of its shapes beyond their nominal outline */
static double body_margin(const SimWorld* w, cpBody* b) {
    int32_t id = (int32_t)(intptr_t)cpBodyGetUserData(b) - 1;
    return id >= 0 && id < w->nrecs ? w->recs[id].margin : 0.0;
}

static void cons_prepare(SimWorld* w) {
    SimSolver* s = &w->solver;
    cpArray* arbs = w->space->arbiters;
    s->cons = sim_grow(s->cons, &s->capcons, arbs->num, sizeof *s->cons);
    s->ncons = 0;
    for (int i = 0; i < arbs->num; i++) {
        cpArbiter* arb = arbs->arr[i];
        if (arb->count <= 0) continue;
        Con* c = &s->cons[s->ncons++];
        c->arb = arb;
        c->a = arb->body_a;
        c->b = arb->body_b;
        int ia = solver_index(w, c->a), ib = solver_index(w, c->b);
        c->sa = ia >= 0 ? &s->bodies[ia] : NULL;
        c->sb = ib >= 0 ? &s->bodies[ib] : NULL;
        c->round_a = arb->a->klass->type == CP_CIRCLE_SHAPE;
        c->round_b = arb->b->klass->type == CP_CIRCLE_SHAPE;
        c->n = arb->n;
        c->t = cpvperp(arb->n);
        c->friction = arb->u;
        c->restitution = arb->e;
        c->count = arb->count < 2 ? arb->count : 2;
        double ma = body_margin(w, c->a), mb = body_margin(w, c->b);
        cpVect fix = sim_contact_fix(arb->a, arb->b, arb->n);
        for (int k = 0; k < c->count; k++) {
            const struct cpContact* con = &arb->contacts[k];
            ConPoint* p = &c->p[k];
            /* Chipmunk's points lie on the two inflated outlines: back onto the nominal ones. Both
               bodies are pushed at the point midway between those (Box2D's anchor): two different
               points would turn friction into a torque on the pair, and a point inside the other
               body would give a rolling ball the wrong lever */
            cpVect pa = cpvsub(cpvadd(c->a->p, con->r1), cpvmult(c->n, ma));
            cpVect pb = cpvadd(cpvadd(c->b->p, cpvadd(con->r2, fix)), cpvmult(c->n, mb));
            p->base_sep = cpvdot(cpvsub(pb, pa), c->n);
            cpVect mid = cpvmult(cpvadd(pa, pb), 0.5);
            p->r1 = cpvsub(mid, c->a->p);
            p->r2 = cpvsub(mid, c->b->p);
            double rna = cross(p->r1, c->n), rnb = cross(p->r2, c->n);
            double kn = c->a->m_inv + c->b->m_inv + c->a->i_inv * rna * rna + c->b->i_inv * rnb * rnb;
            double rta = cross(p->r1, c->t), rtb = cross(p->r2, c->t);
            double kt = c->a->m_inv + c->b->m_inv + c->a->i_inv * rta * rta + c->b->i_inv * rtb * rtb;
            p->n_mass = kn > 0 ? 1.0 / kn : 0;
            p->t_mass = kt > 0 ? 1.0 / kt : 0;
            /* Chipmunk carried the last pass's impulses over to matching points (its hash) */
            p->jn = con->jnAcc;
            p->jt = con->jtAcc;
            p->jn_sum = p->jt_sum = 0;
            p->sep_start = p->vn_start = 0; /* (no hit before the pass: see cons_finish) */
        }
        c->block = false;
        if (c->count == 2) {
            const cpBody *a = c->a, *b = c->b;
            double rn1a = cross(c->p[0].r1, c->n), rn1b = cross(c->p[0].r2, c->n);
            double rn2a = cross(c->p[1].r1, c->n), rn2b = cross(c->p[1].r2, c->n);
            c->k11 = a->m_inv + b->m_inv + a->i_inv * rn1a * rn1a + b->i_inv * rn1b * rn1b;
            c->k22 = a->m_inv + b->m_inv + a->i_inv * rn2a * rn2a + b->i_inv * rn2b * rn2b;
            c->k12 = a->m_inv + b->m_inv + a->i_inv * rn1a * rn2a + b->i_inv * rn1b * rn2b;
            c->det = c->k11 * c->k22 - c->k12 * c->k12;
            c->block = c->k11 * c->k11 < 1000.0 * c->det; /* else the points nearly coincide */
        }
    }
}

/* contacts solved from the bottom up (along gravity): in a stack, Gauss-Seidel then carries each
   body's support up in one sweep instead of one body per iteration */
static int con_height_cmp(const void* x, const void* y) {
    const Con *a = x, *b = y;
    if (a->height != b->height) return a->height < b->height ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

static void cons_order(SimWorld* w) {
    SimSolver* s = &w->solver;
    cpVect g = w->space->gravity;
    double gl = cpvlength(g);
    if (gl <= 0 || s->ncons < 2) return;
    cpVect up = cpvmult(g, -1.0 / gl);
    for (int i = 0; i < s->ncons; i++) {
        Con* c = &s->cons[i];
        c->order = i;
        c->height = cpvdot(cpvadd(c->a->p, c->p[0].r1), up);
    }
    qsort(s->cons, (size_t)s->ncons, sizeof *s->cons, con_height_cmp);
}

/* a point that hit in the substep whose start sep_start and vn_start describe: apart then and
   approaching faster than RESTITUTION_MIN. Its impulse stopped an impact; it is no load to carry on */
static bool point_hit(const ConPoint* p) {
    return p->sep_start > 0 && p->vn_start < -RESTITUTION_MIN;
}

/* warm start with the last substep's impulses (scaled when the substep length changed), and note
   each point's gap and approach speed at the substep's start. An impact's impulse is not warm
   started: applied again at the next substep's start it would strike twice, and with one
   iteration a substep the second blow passes down a chain of contacts before the solve takes it
   back (a body resting on a lever's end that a heavy ball strikes left at twice the end's speed) */
static void cons_warm_start(SimWorld* w, double scale) {
    SimSolver* s = &w->solver;
    for (int i = 0; i < s->ncons; i++) {
        Con* c = &s->cons[i];
        for (int k = 0; k < c->count; k++) {
            ConPoint* p = &c->p[k];
            if (point_hit(p)) p->jn = p->jt = 0;
            p->sep_start = point_sep(c, p);
            p->vn_start = cpvdot(point_rel_vel(c, p), c->n);
            p->sep_target = -1;
            p->jn *= scale;
            p->jt *= scale;
            con_apply(c, p, cpvadd(cpvmult(c->n, p->jn), cpvmult(c->t, p->jt)));
        }
    }
}

/* one point's normal impulse toward vn >= -bias (Gauss-Seidel) */
static void solve_point(Con* c, ConPoint* p, double bias) {
    double vn = cpvdot(point_rel_vel(c, p), c->n);
    double jn = max2(p->jn - p->n_mass * (vn + bias), 0.0);
    con_apply(c, p, cpvmult(c->n, jn - p->jn));
    p->jn = jn;
}

/* both points of a two-point contact at once: the 2x2 linear complementarity problem
   vn_i + bias_i >= 0, jn_i >= 0, one of the two zero, solved exactly by enumerating its four cases
   (Box2D v2's block solver). One point after the other leaves a torque that rocks tall stacks */
static bool solve_pair(Con* c, const double bias[2]) {
    if (!c->block) return false;
    ConPoint *p1 = &c->p[0], *p2 = &c->p[1];
    double k11 = c->k11, k12 = c->k12, k22 = c->k22, det = c->det;
    double x0[2] = {p1->jn, p2->jn};
    /* w = K x + q, with the current velocities and impulses folded into q */
    double q1 = cpvdot(point_rel_vel(c, p1), c->n) + bias[0] - k11 * x0[0] - k12 * x0[1];
    double q2 = cpvdot(point_rel_vel(c, p2), c->n) + bias[1] - k12 * x0[0] - k22 * x0[1];
    double x1 = -(k22 * q1 - k12 * q2) / det, x2 = -(k11 * q2 - k12 * q1) / det; /* both press */
    if (!(x1 >= 0 && x2 >= 0)) {
        x1 = -q1 / k11, x2 = 0; /* only the first */
        if (!(x1 >= 0 && k12 * x1 + q2 >= 0)) {
            x1 = 0, x2 = -q2 / k22; /* only the second */
            if (!(x2 >= 0 && k12 * x2 + q1 >= 0)) {
                x1 = x2 = 0; /* neither */
                if (!(q1 >= 0 && q2 >= 0)) return false;
            }
        }
    }
    con_apply(c, p1, cpvmult(c->n, x1 - x0[0]));
    con_apply(c, p2, cpvmult(c->n, x2 - x0[1]));
    p1->jn = x1;
    p2->jn = x2;
    return true;
}

/* the velocity pass: normal impulses, then friction. A point still apart is a speculative row,
   vn >= -gap / h: it may close its gap in this substep but not pass it. In the relax pass (after
   the positions moved) such rows wait for the next substep's solve */
static void cons_solve(SimWorld* w, double h, bool relax) {
    SimSolver* s = &w->solver;
    double inv_h = 1.0 / h;
    for (int i = 0; i < s->ncons; i++) {
        Con* c = &s->cons[i];
        double bias[2] = {0, 0};
        bool active[2] = {true, true};
        for (int k = 0; k < c->count; k++) {
            double sep = point_sep(c, &c->p[k]);
            if (sep > 0) {
                bias[k] = sep * inv_h;
                active[k] = !relax;
            }
        }
        if (c->count != 2 || !active[0] || !active[1] || !solve_pair(c, bias))
            for (int k = 0; k < c->count; k++)
                if (active[k]) solve_point(c, &c->p[k], bias[k]);
        for (int k = 0; k < c->count; k++) {
            ConPoint* p = &c->p[k];
            double vt = cpvdot(point_rel_vel(c, p), c->t);
            double lim = c->friction * p->jn;
            double jt = min2(max2(p->jt - p->t_mass * vt, -lim), lim);
            con_apply(c, p, cpvmult(c->t, jt - p->jt));
            p->jt = jt;
        }
    }
}

/* moves the two bodies of a contact apart at a point by a position impulse j (along the normal) */
static void point_shift(Con* c, const ConPoint* p, cpVect j) {
    if (c->sa) body_move(c->sa, cpvmult(j, -c->a->m_inv), -c->a->i_inv * cross(p->r1, j));
    if (c->sb) body_move(c->sb, cpvmult(j, c->b->m_inv), c->b->i_inv * cross(p->r2, j));
}

/* restitution for the points that hit in this substep (apart at its start, approaching faster
   than RESTITUTION_MIN, touching and pressing now): they leave at e times the speed they came in
   with (both points of a contact at once). And the time-of-impact displacement: a point that
   closed a gap g at approach speed v reached the surface at t = g / v, so by the end of the
   substep it would have moved back out by e v (h - t) */
static void cons_restitute(SimWorld* w, double h) {
    SimSolver* s = &w->solver;
    bool any = false;
    for (int i = 0; i < s->ncons; i++) {
        Con* c = &s->cons[i];
        if (c->restitution == 0) continue;
        bool hit[2] = {false, false};
        double bias[2] = {0, 0};
        int nhit = 0;
        for (int k = 0; k < c->count; k++) {
            const ConPoint* p = &c->p[k];
            hit[k] = point_hit(p) && p->jn > 0 && point_sep(c, p) <= TOUCH_SEP;
            bias[k] = hit[k] ? c->restitution * p->vn_start : 0;
            nhit += hit[k];
        }
        if (nhit == 0) continue;
        if (!(nhit == 2 && solve_pair(c, bias)))
            for (int k = 0; k < c->count; k++)
                if (hit[k]) solve_point(c, &c->p[k], bias[k]);
        for (int k = 0; k < c->count; k++) {
            ConPoint* p = &c->p[k];
            if (!hit[k]) continue;
            double t_hit = min2(p->sep_start / -p->vn_start, h);
            p->sep_target = point_sep(c, p) + c->restitution * -p->vn_start * (h - t_hit);
            any = true;
        }
    }
    if (!any) return;
    /* move the bodies to those separations: two Gauss-Seidel passes over position impulses */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < s->ncons; i++) {
            Con* c = &s->cons[i];
            for (int k = 0; k < c->count; k++) {
                ConPoint* p = &c->p[k];
                if (p->sep_target < 0) continue;
                double err = p->sep_target - point_sep(c, p);
                if (err > 0) point_shift(c, p, cpvmult(c->n, p->n_mass * err));
            }
        }
}

/* overlaps beyond the slop are removed by moving the bodies, not by pushing them apart with
   velocity, which would put energy into resting stacks: nonlinear Gauss-Seidel over positions, a
   share of each overlap per pass (Box2D v2's position solver) */
static void cons_project(SimWorld* w) {
    SimSolver* s = &w->solver;
    for (int i = 0; i < s->ncons; i++) {
        Con* c = &s->cons[i];
        for (int k = 0; k < c->count; k++) {
            ConPoint* p = &c->p[k];
            double err = PROJECT_SHARE * (point_sep(c, p) + PROJECT_SLOP);
            if (err >= 0) continue;
            point_shift(c, p, cpvmult(c->n, -p->n_mass * max2(err, -PROJECT_MAX)));
        }
    }
}

static void cons_accumulate(SimWorld* w) {
    SimSolver* s = &w->solver;
    for (int i = 0; i < s->ncons; i++) {
        Con* c = &s->cons[i];
        for (int k = 0; k < c->count; k++) {
            c->p[k].jn_sum += c->p[k].jn;
            c->p[k].jt_sum += c->p[k].jt;
        }
    }
}

/* after the pass: impulses back into Chipmunk's cache (warm starting of the next pass), and the
   pairs that touched, with their impulse, for events, support and breaking */
static void cons_finish(SimWorld* w) {
    SimSolver* s = &w->solver;
    for (int i = 0; i < s->ncons; i++) {
        Con* c = &s->cons[i];
        bool touching = false;
        double jn = 0, jt = 0;
        for (int k = 0; k < c->count; k++) {
            ConPoint* p = &c->p[k];
            /* (the next pass's warm start: none for a point that hit in the last substep) */
            c->arb->contacts[k].jnAcc = point_hit(p) ? 0 : p->jn;
            c->arb->contacts[k].jtAcc = point_hit(p) ? 0 : p->jt;
            jn += p->jn_sum;
            jt += p->jt_sum;
            if (p->jn_sum > 0 || point_sep(c, p) <= TOUCH_SEP) touching = true;
        }
        if (!touching) continue;
        int32_t ida = (int32_t)(intptr_t)cpBodyGetUserData(c->a) - 1;
        int32_t idb = (int32_t)(intptr_t)cpBodyGetUserData(c->b) - 1;
        if (ida < 0 || idb < 0 || ida >= w->nrecs || idb >= w->nrecs) continue; /* not world bodies */
        cpVect j = cpvadd(cpvmult(c->n, jn), cpvmult(c->t, jt)); /* on b, from a */
        sim_contacts_note(w, ida, idb, j.x, j.y, c->n.y);
    }
}

/* ---- joints (Chipmunk's own constraints, e.g. the view's grab), solved in the same substeps ---- */

static void joints_prestep(SimWorld* w, double h, double scale) {
    cpArray* list = w->space->constraints;
    for (int i = 0; i < list->num; i++) {
        cpConstraint* c = list->arr[i];
        if (c->preSolve) c->preSolve(c, w->space);
        c->klass->preStep(c, h);
        c->klass->applyCachedImpulse(c, scale);
    }
}

static void joints_solve(SimWorld* w, double h) {
    cpArray* list = w->space->constraints;
    for (int i = 0; i < list->num; i++) {
        cpConstraint* c = list->arr[i];
        c->klass->applyImpulse(c, h);
    }
}

static void joints_post(SimWorld* w) {
    cpArray* list = w->space->constraints;
    for (int i = 0; i < list->num; i++) {
        cpConstraint* c = list->arr[i];
        if (c->postSolve) c->postSolve(c, w->space);
    }
}

/* ---- margins: how far each body may travel in a pass ---- */

/* how far a live, awake dynamic body can travel in dt (m): speed and spin over its reach, gravity */
static double body_travel(const SimBodyRec* r, double g, double dt) {
    return (cpvlength(r->body->v) + fabs(r->body->w) * r->reach) * dt + g * dt * dt;
}

static bool body_moving(const SimBodyRec* r) {
    return r->body && !r->def.is_static && !cpBodyIsSleeping(r->body);
}

/* inflates every moving body's shapes by SIM_MARGIN_BASE plus its travel in dt, up to most */
static void margins_set(SimWorld* w, double dt, double most) {
    double g = cpvlength(w->space->gravity);
    for (int i = 0; i < w->nrecs; i++) {
        SimBodyRec* r = &w->recs[i];
        if (!r->body || r->def.is_static) continue;
        double m = SIM_MARGIN_BASE;
        if (body_moving(r)) m += min2(body_travel(r, g, dt), most);
        sim_rec_set_margin(r, m);
    }
}

/* ---- the step ---- */

/* Chipmunk's collision detection and contact graph: cpSpaceStep's first half, without moving */
static void collide(SimWorld* w, double dt) {
    cpSpace* space = w->space;
    space->stamp++;
    space->curr_dt = dt;
    cpArray* arbiters = space->arbiters;
    for (int i = 0; i < arbiters->num; i++) {
        cpArbiter* arb = arbiters->arr[i];
        arb->state = CP_ARBITER_STATE_NORMAL;
        if (!cpBodyIsSleeping(arb->body_a) && !cpBodyIsSleeping(arb->body_b)) cpArbiterUnthread(arb);
    }
    arbiters->num = 0;
    w->pass_contacts = 0;
    cpSpaceLock(space);
    cpSpacePushFreshContactBuffer(space);
    cpSpatialIndexEach(space->dynamicShapes, (cpSpatialIndexIteratorFunc)cpShapeUpdateFunc, NULL);
    cpSpatialIndexReindexQuery(space->dynamicShapes, (cpSpatialIndexQueryFunc)cpSpaceCollideShapes, space);
    cpSpaceUnlock(space, cpFalse);
    cpSpaceProcessComponents(space, dt);
}

static void solve_pass(SimWorld* w, double dt, double margin_max) {
    cpSpace* space = w->space;
    int n = w->def.substeps;
    double h = dt / n;
    double scale = w->solver.h_prev > 0 ? h / w->solver.h_prev : 1.0;
    w->solver.h_prev = h;
    bool joints = space->constraints->num > 0;
    int iterations = w->def.iterations;

    margins_set(w, dt, margin_max);
    collide(w, dt);
    cpSpaceLock(space);
    cpHashSetFilter(space->cachedArbiters, (cpHashSetFilterFunc)cpSpaceArbiterSetFilter, space);
    bodies_begin(w);
    cons_prepare(w);
    cons_order(w);
    for (int sub = 0; sub < n; sub++) {
        double sc = sub == 0 ? scale : 1.0;
        bodies_integrate_velocities(w, h);
        cons_warm_start(w, sc);
        if (joints) joints_prestep(w, h, sc);
        for (int it = 0; it < iterations; it++) {
            cons_solve(w, h, false);
            if (joints) joints_solve(w, h);
        }
        bodies_integrate_positions(w, h, joints);
        for (int it = 0; it < iterations; it++) cons_solve(w, h, true);
        cons_restitute(w, h);
        cons_accumulate(w);
    }
    for (int it = 0; it < PROJECT_ITERATIONS; it++) cons_project(w);
    if (joints) joints_post(w);
    cons_finish(w);
    bodies_end(w);
    cpSpaceUnlock(space, cpTrue);
}

/* the farthest any awake body can travel in dt (m) */
static double travel_most(const SimWorld* w, double dt) {
    double g = cpvlength(w->space->gravity), most = 0;
    for (int i = 0; i < w->nrecs; i++)
        if (body_moving(&w->recs[i])) most = max2(most, body_travel(&w->recs[i], g, dt));
    return most;
}

int sim_solver_passes(const SimWorld* w, double dt) {
    double most = travel_most(w, dt);
    if (most <= SIM_MARGIN_MAX) return 1;
    double p = ceil(most / SIM_MARGIN_MAX);
    return p > SIM_MAX_PASSES ? SIM_MAX_PASSES : (int)p;
}

void sim_solver_step(SimWorld* w, double dt) {
    /* a body that can travel more than the largest margin splits the step into passes; past
       SIM_MAX_PASSES the margins grow instead, so nothing outruns its margin */
    double most = travel_most(w, dt);
    int passes = 1;
    if (most > SIM_MARGIN_MAX) {
        double p = ceil(most / SIM_MARGIN_MAX);
        passes = p > SIM_MAX_PASSES ? SIM_MAX_PASSES : (int)p;
    }
    double margin_max = max2(SIM_MARGIN_MAX, 1.01 * most / passes);
    for (int i = 0; i < passes; i++) solve_pass(w, dt / passes, margin_max);
}

void sim_solver_free(SimSolver* s) {
    free(s->bodies);
    free(s->index_by_id);
    free(s->cons);
    memset(s, 0, sizeof *s);
}
