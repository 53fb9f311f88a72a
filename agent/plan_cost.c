#include "agent/plan_cost.h"

#include <math.h>

/* s: how far ahead a body still moving at the horizon's end is extrapolated (at most) */
#define PLAN_EXTRAPOLATE 0.25

/* a field of an imagined row, in the unit the scenario language uses */
static double row_field(ScnField f, const PlanRow* r, const PlanBody* b) {
    return scn_field_of(f, r->x, r->y, r->angle, r->vx, r->vy, r->omega, b->x0, b->y0);
}

/* what one unit of a field's miss is worth: 1 m, 1 m/s, 90 degrees, 10 rad/s */
static double field_scale(ScnField f) {
    switch (f) {
    case SCN_FIELD_ANGLE: return 90.0;
    case SCN_FIELD_OMEGA: return 10.0;
    default: return 1.0;
    }
}

/* a place or a value short of its goal costs how far it is, plus PLAN_MISS for missing at all (the
 * goal fails by a millimetre as by a metre, and that must outweigh a correcting push); inside, up
 * to PLAN_CENTRE for how far from the middle it is (a plan that lands in the middle survives the
 * model's errors better; less than a push, so it never asks for one) */
static double region_cost(const double* r, double x, double y) {
    double d = scn_region_distance(r, x, y);
    double hx = 0.5 * (r[2] - r[0]), hy = 0.5 * (r[3] - r[1]);
    double off = hypot((x - (r[0] + hx)) / hx, (y - (r[1] + hy)) / hy) / sqrt(2.0);
    return d + (d > 0 ? PLAN_MISS : 0.0) + PLAN_CENTRE * (off < 1 ? off : 1);
}

static double field_cost(const ScnGoal* g, double value) {
    double miss = scn_test_miss(g->op, g->v, g->tol, value);
    double scale = field_scale(g->field);
    if (miss > 0) return miss / scale + PLAN_MISS + PLAN_CENTRE;
    if (g->op != SCN_TEST_NEAR) {
        /* passing a bound: up to PLAN_CENTRE for how close to it (0 beyond PLAN_MARGIN of the
         * field's scale past it), so that of two plans that pass, the one less likely to fail by
         * the model's error is chosen */
        double close = 1.0 + miss / (PLAN_MARGIN * scale);
        return close > 0 ? PLAN_CENTRE * close : 0.0;
    }
    if (!(g->tol > 0)) return 0.0;
    return PLAN_CENTRE * fabs(value - g->v) / g->tol;
}

/* imagined ticks up to the deadline t: 1..H */
static int ticks_until(const PlanCostSetup* c, double t) {
    if (!isfinite(t)) return c->ticks;
    double n = ceil((t - c->t0) / c->tick - 1e-6);
    if (n < 1) return 1;
    if (n > c->ticks) return c->ticks;
    return (int)n;
}

double plan_goal_cost(const PlanCostSetup* c, int gi, const PlanRow* rows) {
    const ScnGoal* g = &c->goals[gi];
    int j = c->goal_body[gi];
    if (!c->active[gi] || j < 0) return 0.0;
    int nb = c->nbodies, H = c->ticks;
    int hT = ticks_until(c, g->t);
    const PlanRow* at = &rows[(size_t)(hT - 1) * nb + j];
    switch (g->kind) {
    case SCN_GOAL_IN: {
        double d = region_cost(g->region, at->x, at->y);
        double beyond = g->t - (c->t0 + H * c->tick);
        if (hT < H || beyond <= 0) return d;
        /* the deadline lies past the horizon: where a body still moving would get to counts too */
        double tau = beyond < PLAN_EXTRAPOLATE ? beyond : PLAN_EXTRAPOLATE;
        return 0.5 * d + 0.5 * region_cost(g->region, at->x + at->vx * tau, at->y + at->vy * tau);
    }
    case SCN_GOAL_FIELD:
        return field_cost(g, row_field(g->field, at, &c->bodies[j]));
    case SCN_GOAL_BROKEN:
    case SCN_GOAL_FELL: {
        int n = g->negate ? H : hT;
        double p = 0;
        for (int h = 0; h < n; h++) {
            const PlanRow* r = &rows[(size_t)h * nb + j];
            double q = g->kind == SCN_GOAL_BROKEN ? r->p_break : r->p_fall;
            if (q > p) p = q;
        }
        return g->negate ? p : 1.0 - p;
    }
    default: return 0.0;
    }
}

double plan_risk_cost(const PlanCostSetup* c, const PlanRow* rows) {
    double top = 0;
    for (size_t i = 0; i < (size_t)c->ticks * c->nbodies; i++)
        if (rows[i].risk > top) top = rows[i].risk;
    double r = (top - PLAN_RISK_FREE) / PLAN_RISK_SPAN;
    return PLAN_RISK * (r < 0 ? 0 : r > 1 ? 1 : r);
}

double plan_cost(const PlanCostSetup* c, const PlanRow* rows, int npushes, double impulse_sum) {
    double cost = plan_risk_cost(c, rows);
    for (int g = 0; g < c->ngoals; g++) cost += plan_goal_cost(c, g, rows);
    return cost + plan_push_cost(c, npushes, impulse_sum);
}

double plan_push_cost(const PlanCostSetup* c, int npushes, double impulse_sum) {
    double lim = c->impulse > 0 ? c->impulse : 1.0;
    return c->push_cost * npushes + 0.1 * c->push_cost * impulse_sum / lim;
}
