/* goal: what goals and expectations share about bodies (fields, tests, regions) and how a goal
 * stands in a world now. The checker (sim/expect.c) judges goals as expectations; planners and the
 * view read scn_goal_status. */
#include <math.h>

#include "sim/scenario.h"

#define RAD2DEG (180.0 / 3.14159265358979323846)
#define EPS_T 1e-9

double scn_field_of(ScnField f, double x, double y, double angle, double vx, double vy, double omega,
                    double x0, double y0) {
    switch (f) {
    case SCN_FIELD_X: return x;
    case SCN_FIELD_Y: return y;
    case SCN_FIELD_ANGLE: return angle * RAD2DEG;
    case SCN_FIELD_VX: return vx;
    case SCN_FIELD_VY: return vy;
    case SCN_FIELD_OMEGA: return omega;
    case SCN_FIELD_SPEED: return hypot(vx, vy);
    case SCN_FIELD_MOVED: return hypot(x - x0, y - y0);
    default: return NAN;
    }
}

double scn_field_value(ScnField f, const SimBodyState* st) {
    return scn_field_of(f, st->x, st->y, st->angle, st->vx, st->vy, st->omega, st->x0, st->y0);
}

bool scn_test_holds(ScnTestOp op, double v, double tol, double value) {
    switch (op) {
    case SCN_TEST_NEAR: return fabs(value - v) <= tol;
    case SCN_TEST_LT: return value < v;
    case SCN_TEST_LE: return value <= v;
    case SCN_TEST_GT: return value > v;
    case SCN_TEST_GE: return value >= v;
    }
    return false;
}

double scn_test_miss(ScnTestOp op, double v, double tol, double value) {
    switch (op) {
    case SCN_TEST_NEAR: return fabs(value - v) - tol;
    case SCN_TEST_LT:
    case SCN_TEST_LE: return value - v;
    case SCN_TEST_GT:
    case SCN_TEST_GE: return v - value;
    }
    return 0;
}

double scn_region_distance(const double* region, double x, double y) {
    double dx = x < region[0] ? region[0] - x : x > region[2] ? x - region[2] : 0.0;
    double dy = y < region[1] ? region[1] - y : y > region[3] ? y - region[3] : 0.0;
    return hypot(dx, dy);
}

const char* scn_goal_kind_name(ScnGoalKind k) {
    static const char* names[SCN_GOAL_KIND_COUNT] = {"in", "field", "broken", "fell"};
    return (unsigned)k < SCN_GOAL_KIND_COUNT ? names[k] : "?";
}

ScnGoalStatus scn_goal_status(const ScnGoal* g, const SimWorld* w, bool* now) {
    SimBodyState st;
    double t = sim_world_time(w);
    bool have = sim_world_body(w, g->body, &st);
    bool h = false;
    ScnGoalStatus status = SCN_GOAL_PENDING;
    switch (g->kind) {
    case SCN_GOAL_IN:
    case SCN_GOAL_FIELD:
        /* judged at the first tick at or after t (a body that is gone keeps its last state) */
        if (have) {
            h = g->kind == SCN_GOAL_IN ? scn_region_distance(g->region, st.x, st.y) <= 0
                                       : scn_test_holds(g->op, g->v, g->tol, scn_field_value(g->field, &st));
        }
        if (t >= g->t - EPS_T) status = h ? SCN_GOAL_MET : SCN_GOAL_FAILED;
        break;
    case SCN_GOAL_BROKEN:
    case SCN_GOAL_FELL: {
        bool happened = have && (g->kind == SCN_GOAL_BROKEN ? st.broken : st.fell);
        if (g->negate) {
            h = !happened;
            if (happened) status = SCN_GOAL_FAILED;
        } else {
            h = happened;
            if (happened) status = SCN_GOAL_MET;
            else if (t > g->t + EPS_T) status = SCN_GOAL_FAILED;
        }
        break;
    }
    default: break;
    }
    if (now) *now = h;
    return status;
}
