/* plan_cost: how far an imagined future is from the goals -- the cost a planner minimizes. The
 * same function scores the learned model's rollouts and the true simulator's (the oracle), so the
 * two planners differ only in what they imagine.
 *
 * An imagined future is H rows per tracked body: row h is the body h+1 control ticks from now,
 * with the probabilities that it breaks and that it falls within WM_EVENT_HORIZON ticks after
 * state h (state 0 = now). The formula is in the README ("The planner's cost"); in short, with
 * h_T = the imagined ticks up to the goal's deadline (1..H):
 *
 *   in REGION by T      d(centre at h_T, REGION) in m, + PLAN_MISS when outside, + up to
 *                       PLAN_CENTRE for how far from the region's middle (relative); when T lies past
 *                       the horizon, the mean of that and the same at centre + velocity * tau,
 *                       tau = min(T - t_H, 0.25 s)
 *   FIELD TEST at T     the test's miss at h_T / the field's scale (1 m, 1 m/s, 90 degrees, 10 rad/s)
 *                       + PLAN_MISS + PLAN_CENTRE when it fails; passing a near test, PLAN_CENTRE *
 *                       |value - V| / TOL; passing a bound by m, PLAN_CENTRE * max(0, 1 - m /
 *                       (PLAN_MARGIN * scale))
 *   BODY broken by T    1 - max over h < h_T of P(break)
 *   not BODY broken     max over h < H of P(break)
 *   BODY fell by T      1 - max over h < h_T of P(fall), not BODY fell: max over h < H of P(fall)
 *   each push           push_cost, plus push_cost / 10 * |J| / impulse
 *   implausible         PLAN_RISK * clamp((max over rows of risk - PLAN_RISK_FREE) / PLAN_RISK_SPAN,
 *                       0, 1): the learned model's futures that it finds unlike its own dynamics
 *                       (a glass at rest in mid-air) are not trusted
 *
 * Goals already decided (met or failed) cost nothing. */
#ifndef NUDGE_AGENT_PLAN_COST_H
#define NUDGE_AGENT_PLAN_COST_H
#include <stdint.h>

#include "sim/scenario.h"

/// what missing a place or a value costs on top of how far it is (outweighs a push)
#define PLAN_MISS 0.1
/// what being inside, but away from the middle of the region or tolerance, costs at most
#define PLAN_CENTRE 0.01
/// a bound (<, <=, >, >=) passed by less than this many of the field's scale costs up to PLAN_CENTRE
#define PLAN_MARGIN 0.25

/// an imagination the model itself finds implausible costs up to PLAN_RISK: its largest surprise at
/// its own ticks (PlanRow.risk) past PLAN_RISK_FREE nats, over PLAN_RISK_SPAN
#define PLAN_RISK 1.0
#define PLAN_RISK_FREE 20.0
#define PLAN_RISK_SPAN 100.0

/// one tracked body at one imagined tick
typedef struct PlanRow {
    float x, y;        /* centre of mass, m */
    float angle;       /* rad, counter-clockwise, unwrapped from now on */
    float vx, vy;      /* m/s */
    float omega;       /* rad/s */
    float p_break;     /* P(breaks within WM_EVENT_HORIZON ticks after the previous state) */
    float p_fall;      /* P(falls within WM_EVENT_HORIZON ticks after the previous state) */
    float risk;        /* nats: the model's surprise (wm_surprise) at its own imagined tick h -> h+1,
                          0 where not measured (the simulator's rows, ticks between measurements) */
} PlanRow;

/// what a cost needs to know about a tracked body besides its rows
typedef struct PlanBody {
    int32_t id;
    float   x0, y0;    /* m: where it was created (the 'moved' field) */
    float   w, h;      /* m: its size */
} PlanBody;

/// everything fixed during one decision
typedef struct PlanCostSetup {
    double         t0;          /* s: now */
    double         tick;        /* s per control tick */
    int            ticks;       /* H */
    int            nbodies;
    const PlanBody* bodies;     /* [nbodies] */
    int            ngoals;
    const ScnGoal* goals;       /* [ngoals] */
    const int*     goal_body;   /* [ngoals]: the goal's body among bodies, -1 when not tracked */
    const uint8_t* active;      /* [ngoals]: 1 = still to be decided (decided goals cost nothing) */
    double         push_cost;   /* per push */
    double         impulse;     /* N*s: the impulse limit */
} PlanCostSetup;

/// the cost of one imagined future: rows[H * nbodies] (row (h, j) = rows[h * nbodies + j]),
/// with npushes pushes whose impulses' magnitudes sum to impulse_sum (N*s)
double plan_cost(const PlanCostSetup* c, const PlanRow* rows, int npushes, double impulse_sum);
/// the part of that cost the pushes contribute (the pixel planner's cost is its energy plus this)
double plan_push_cost(const PlanCostSetup* c, int npushes, double impulse_sum);
/// the part of that cost the imagination's implausibility contributes
double plan_risk_cost(const PlanCostSetup* c, const PlanRow* rows);
/// the part of that cost one goal contributes (for panels and tests)
double plan_goal_cost(const PlanCostSetup* c, int goal, const PlanRow* rows);

#endif
