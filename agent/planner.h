/* planner: an agent that pushes toward a scenario's goals by imagining candidate pushes, in the
 * manner of model-predictive control with the cross-entropy method (CEM).
 *
 * A plan covers the next `horizon` control ticks in segments of `replan` ticks; each segment starts
 * with one push or none. A push is (body, jx, jy, offset): the body comes from a categorical
 * distribution per segment (with "no push" as one more option), the impulse and the offset from a
 * Gaussian per segment and body; impulses are kept between PLANNER_PUSH_MIN and 1 times `impulse`
 * (N*s) and within PLANNER_PUSH_ANGLE degrees of horizontal, the point on the body's vertical axis
 * within its half-height: the pushes `nudge gen` explores with, which the model has seen. Each decision draws `samples` plans, imagines them all, scores them
 * with the goals' cost (agent/plan_cost.h), refits the distributions to the `elites` cheapest,
 * `iters` times, and keeps the cheapest plan seen. The plan's first segment is carried out: its push
 * now (or none), then the planner decides again `replan` ticks later, starting from the plan
 * shifted by one segment (receding horizon, warm start). It never pushes more than `pushes` times in
 * an episode (0 = no limit), and stops deciding once every goal is decided.
 *
 * Imagination, one of three:
 *   model   the learned world model: wm_rollout over all samples at once, from the observation;
 *           the model's break and fall heads give the probabilities of those events
 *   oracle  the true simulator: every sample replays from a snapshot of the world (restore, the
 *           same pushes, tick by tick). Slow; the ceiling the model planner is measured against
 *   jepa    the pixel model (planner_set_jepa): every sample rolled forward in its latent space from
 *           the frames seen, its cost the L1 energy to a goal image's latent (V-JEPA 2-AC)
 *
 * Deterministic: the same world, goals, configuration and seed give the same pushes (the model's
 * rollouts need one BLAS thread for that, as everywhere). */
#ifndef NUDGE_AGENT_PLANNER_H
#define NUDGE_AGENT_PLANNER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/jepa.h"
#include "model/wm.h"
#include "sim/scenario.h"
#include "sim/world.h"

typedef struct Planner Planner;

/// segments a plan has at most (horizon / replan, rounded up)
#define PLANNER_MAX_SEGMENTS 64
/// bodies a planner considers pushing (and draws) at most: the first dynamic bodies by id
#define PLANNER_MAX_BODIES 32
/// the pushes a planner makes, and those `nudge gen` explores a planner's scene with (so that a
/// model trained on them has seen every push the planner imagines): an impulse of at least this
/// fraction of the limit,
#define PLANNER_PUSH_MIN 0.05
/// within this many degrees of horizontal, at a point on the body's vertical axis
#define PLANNER_PUSH_ANGLE 45.0
/// and at a point within the body as it lies: planner_push_reach's half extents about its centre

/// the half extents along world x and y (m) of a w x h body turned to the angle of (c, s) = (cos, sin):
/// how far from its centre a push's point may lie. A shard lying on its side is pushed within its
/// thickness, not up to half its length above or below its centre (a push 18 mm under a 76 g shard's
/// centre, inside the floor, spun it at 408 rad/s)
void planner_push_reach(double w, double h, double c, double s, double* hx, double* hy);

/// what the last decision did, for the view's overlay and panel. Arrays belong to the planner and
/// change at its next decision.
typedef struct PlannerTrace {
    int64_t      decisions;     /* made so far this episode */
    int64_t      searches;      /* of them, those that searched (the others found that doing nothing
                                   costs no more than a push: no pushing plan can be cheaper) */
    double       t;             /* s: the world's time at the last decision */
    double       ms;            /* wall time the last decision took */
    int          samples;       /* B */
    int          ticks;         /* H: imagined ticks */
    int          nbodies;       /* tracked bodies */
    int32_t      body[PLANNER_MAX_BODIES];  /* their ids */
    float        start[PLANNER_MAX_BODIES][2]; /* x, y (m) of each body at the decision */
    const float* paths;         /* [B, H, nbodies, 2]: x, y (m) of each body in each candidate,
                                   tick h+1 after the decision at h */
    const float* costs;         /* [B]: the last iteration's candidates' costs */
    const SimPush* candidates;  /* [B * nsteps]: their pushes, segment by segment (body -1: none) */
    const int*   order;         /* [B]: candidates by cost, cheapest first */
    int          elites;        /* the first `elites` of order are the elites */
    int          iters;         /* refinements done */
    const double* iter_best;    /* [iters]: the cheapest cost after each refinement */
    const double* iter_elite;   /* [iters]: the elites' mean cost in each refinement */
    double       best_cost;     /* of the chosen plan */
    const float* best_path;     /* [H, nbodies, 2]: the chosen plan imagined */
    int          nsteps;        /* segments of the chosen plan */
    int          seg_ticks;     /* ticks per segment */
    SimPush      steps[PLANNER_MAX_SEGMENTS]; /* the chosen plan: segment s pushes at tick
                                   s * seg_ticks from the decision (body -1: no push) */
    int          pushes_used;   /* pushes made so far this episode */
    int          push_budget;   /* 0 = no limit */
    double       impulse;       /* N*s: the impulse limit */
    /* the pixel planner's audit (PLAN_JEPA_AUDIT) of the last search's candidates, when audited
       (a decision that searched): */
    bool         audited;
    double       audit_rho;     /* Spearman's rank correlation of the planner's costs (energy + push
                                   cost) and the simulator's (plan_cost of the true futures); NAN
                                   when either is constant */
    double       audit_rho_true;/* the same of the energies of the true futures (+ push cost): what
                                   the energy would rank with an exact predictor */
    double       audit_pick;    /* the simulator's cost of the candidate the planner ranked first */
    double       audit_best;    /* the simulator's cost of the best candidate */
    double       audit_idle;    /* the simulator's cost of doing nothing */
    double       audit_seconds; /* wall time the audits took so far (not counted as deciding) */
} PlannerTrace;

/// a planner with the configuration in def (samples, iters, horizon, replan, elites, pushes,
/// impulse, push_cost; impulse 0 = 1 N*s, elites 0 = samples / 10). model: imagine with this world
/// model (not owned, shared read-only; its slots must equal the observation's), or NULL to imagine
/// with the true simulator (the oracle). NULL + one line in err on a bad configuration.
Planner*  planner_create(const ScnAgentDef* def, const WmModel* model, int slots, uint64_t seed,
                         char* err, size_t err_size);
void      planner_free(Planner* p);    /* NULL-safe */
/// the goals to reach (copied); they replace the previous ones and re-arm the planner
void      planner_set_goals(Planner* p, const ScnGoal* goals, int n);
int       planner_goal_count(const Planner* p);
/// the goals and what each looks like now ([planner_goal_count]); NULL when there are none
const ScnGoal*       planner_goals(const Planner* p);
const ScnGoalStatus* planner_goal_status(const Planner* p);

/// drops the warm start and the goals' latched statuses, and counts pushes_used pushes made: the next
/// call decides afresh (an agent put back to a saved state, agent_state_load)
void      planner_rearm(Planner* p, int pushes_used);
/// one control tick: decides when a decision is due (every `replan` ticks of w) and returns true
/// with *out set when the plan pushes now. states/mask = w observed (slots as at creation); the
/// oracle reads only w. The world is not changed.
bool      planner_act(Planner* p, const SimWorld* w, const float* states, const uint8_t* mask,
                      SimPush* out);
/// what the last decision did (decisions == 0 before the first)
const PlannerTrace* planner_trace(const Planner* p);
/// true for an oracle (imagines with the simulator)
bool      planner_is_oracle(const Planner* p);

/// makes p the pixel planner (V-JEPA 2-AC's planning; agent/imagine.h ImagineJepa): it renders
/// every world it is called with as m's frames of the world rectangle rect (jepa_frame_rect), and
/// at a decision imagines each candidate in m's latent space: the window of the frames seen,
/// encoded once, rolled forward ceil(horizon / frame_step) predictor steps with the candidate's
/// pushes as push maps (at the pushed body's place at the decision). A candidate's cost is its
/// energy, the mean absolute difference between that latent and the goal image's (the target
/// encoder's latent of the world at the first call with each goal's body moved to its goal, at
/// rest: imagine_jepa_set_goal), plus the pushes' cost (plan_push_cost). Negated goals (not broken,
/// not fell) are left out of the energy. The energies count relative to doing nothing's at the
/// decision (doing nothing costs 1), so push_cost is a fraction of the way to the goal image.
/// flags: PLAN_JEPA_ROLLED: the goal is the goal window's latent (the trained encoder's) rolled
/// forward as far as the candidates without pushes, so that the predictor's drift on a still scene
/// cancels; PLAN_JEPA_STILL: the difference is taken over the channels a still scene holds
/// (imagine_jepa_still_channels: the convolutions' and the appearance keypoints' places, not the
/// keypoints' velocities nor the motion keypoints, which a push leaves moving at the horizon and a
/// still goal image has at zero). m is not owned; NULL: back to an oracle
/// PLAN_JEPA_AUDIT: every search's candidates are also imagined by the simulator, and the trace tells
/// how the pixel energies order them against the simulator's costs (PlannerTrace.audit_*)
enum { PLAN_JEPA_ROLLED = 1, PLAN_JEPA_STILL = 2, PLAN_JEPA_AUDIT = 4 };
void      planner_set_jepa(Planner* p, const JepaModel* m, const double rect[4], unsigned flags);
bool      planner_is_jepa(const Planner* p);
/// true when the pixel planner's goal image can show the goals: at least one 'BODY in REGION' or
/// 'BODY.x|y near V', besides them only 'BODY.speed <|<= V' (the goal image is at rest) and 'not BODY
/// broken|fell' (left out of the energy)
bool      planner_jepa_goals_ok(const ScnGoal* goals, int n);

#endif
