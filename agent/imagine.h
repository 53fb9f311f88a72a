/* imagine: the futures of B candidate push plans, as rows a plan's cost reads (agent/plan_cost.h).
 * Two imaginations with one output: the learned world model (imagine_model.c, batched wm_rollout
 * from the observation) and the true simulator (imagine_sim.c, a snapshot restored for every
 * candidate and ticked with the same pushes). Private to agent/planner*.c. */
#ifndef NUDGE_AGENT_IMAGINE_H
#define NUDGE_AGENT_IMAGINE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/plan_cost.h"
#include "agent/planner.h"
#include "model/jepa.h"
#include "model/wm.h"
#include "sim/world.h"

/// the candidates to imagine
typedef struct ImaginePlans {
    int            B;          /* candidates */
    int            H;          /* ticks imagined */
    int            S;          /* segments per plan */
    int            seg;        /* ticks per segment: segment s pushes at tick s * seg */
    const SimPush* steps;      /* [B * S]: candidate b's push at segment s; body -1 = none */
    int            nbodies;    /* tracked bodies */
    const int32_t* ids;        /* [nbodies] their ids */
    const float*   angle0;     /* [nbodies] their angles now, rad (unwrapped, as the world has them) */
    const float*   drop;       /* [nbodies] m: a body whose centre falls below this has fallen */
    bool           events;     /* the cost reads p_break / p_fall (else they may be left 0) */
} ImaginePlans;

/// the learned model measures its surprise at its own imagined tick (PlanRow.risk) every this many
/// ticks (the first of each segment, when a push lands, among them)
#define IMAGINE_RISK_EVERY 1

/// the learned model's imagination: buffers reused from decision to decision
typedef struct ImagineModel {
    const WmModel* model;
    WmScratch*     scratch;
    int            K;          /* slots */
    size_t         cap;        /* candidates the buffers hold */
    float*         states;     /* [cap * K * D] every candidate's state, advanced in place */
    uint8_t*       mask;       /* [cap * K] */
    float*         pushes;     /* [cap * K * 4] one tick's pushes */
    float*         events;     /* [cap * K * WM_EVENTS] one tick's event probabilities */
    float*         risk;       /* [cap * K] the model's surprise at its own tick */
    float*         rot;        /* [cap * K * 2] a tracked body's cos, sin at its last row */
    double*        turn;       /* [cap * K] atan2 of those (a body at rest keeps it: no atan2) */
} ImagineModel;

/// rows[B * H * nbodies] (candidate b's row (h, j) at (b * H + h) * nbodies + j) from the
/// observation states[K * D], mask[K]
void imagine_model(ImagineModel* im, const float* states, const uint8_t* mask, const ImaginePlans* p,
                   PlanRow* rows);
void imagine_model_free(ImagineModel* im);

/// candidate b's push at imagined tick h (segment s pushes at tick s * seg), NULL when none
const SimPush* imagine_push_at(const ImaginePlans* p, int b, int h);

/// the simulator's imagination: one scratch world restored for every candidate
typedef struct ImagineSim {
    SimWorld* scratch;
} ImagineSim;

/// the same rows from the world w itself (w is not changed). When p->events, every candidate runs
/// WM_EVENT_HORIZON ticks past H without pushes, so that P(break) and P(fall) at tick h (0 or 1)
/// mean what the model's heads mean. false + one line when the world cannot be copied
bool imagine_sim(ImagineSim* is, const SimWorld* w, const ImaginePlans* p, PlanRow* rows, char* err,
                 size_t err_size);
void imagine_sim_free(ImagineSim* is);

/// the pixel model's imagination (imagine_jepa.c; V-JEPA 2-AC's planning): the frames seen, the
/// goal image's latent, and buffers reused from decision to decision
typedef struct ImagineJepa {
    const JepaModel* model;
    JepaScratch*     scratch;
    double           rect[4];    /* the world rectangle its frames show (jepa_frame_rect) */
    int              W, Hf, L;   /* frame pixels, latent floats */
    int              span, fstep;/* frames a window spans, ticks per predictor step */
    size_t           fb;         /* bytes per frame */
    uint8_t*         ring;       /* [span * fb]: frame i seen at i % span */
    int64_t          seen;       /* frames seen since the reset */
    uint8_t*         still;      /* [fb]: the goal image */
    float*           goal;       /* [L]: its latent (the target encoder's) */
    bool             have_goal;
    bool             rolled;     /* the energy's goal: the goal window's latent (the trained encoder's)
                                    rolled forward as far as the candidates, without pushes, instead
                                    of the goal's latent itself (the predictor's drift cancels) */
    float*           goal_z;     /* [L]: the goal window through the trained encoder */
    bool             still_only; /* the energy over the still channels only (imagine_jepa_set_still) */
    uint8_t*         cmask;      /* [C]: 1 for a channel the energy counts */
    int              C, ncount;  /* channels per cell, how many of them count */
    float*           z0;         /* [L]: the window of the frames seen, encoded (the trained encoder) */
    float*           z;          /* [cap * L]: every candidate's latent, advanced in place */
    JepaPush*        push;       /* [cap * JEPA_MAX_PUSHES] one predictor step's pushes */
    int*             npush;      /* [cap] */
    size_t           cap;
    float*           zt;         /* [L]: a true future's latent (imagine_jepa_energy_true) */
    uint8_t*         frames;     /* [context * fb]: its window's frames */
} ImagineJepa;

void imagine_jepa_init(ImagineJepa* ij, const JepaModel* m, const double rect[4]);
void imagine_jepa_free(ImagineJepa* ij);
/// forgets the frames seen (and the goal too when goal)
void imagine_jepa_reset(ImagineJepa* ij, bool goal);
/// renders w as the frame after the tick that ended now
void imagine_jepa_see(ImagineJepa* ij, const SimWorld* w);
/// true when the goals are ones the goal image can show: at least one 'BODY in REGION' or 'BODY.x
/// near V' / 'BODY.y near V', and otherwise only 'BODY.speed <'/'<=' (a still goal image has speed
/// 0) and negated 'not BODY broken|fell' (left out of the energy)
bool imagine_jepa_goals_ok(const ScnGoal* goals, int n);
/// the goal image's world settles until every dynamic body has moved slower than these (m/s, rad/s)
/// for IMAGINE_JEPA_REST_TICKS ticks in a row, for at most IMAGINE_JEPA_SETTLE_TICKS control ticks
/// (2 s at the default 1/60 s tick)
#define IMAGINE_JEPA_REST_SPEED 0.01
#define IMAGINE_JEPA_REST_SPIN 0.1
#define IMAGINE_JEPA_REST_TICKS 10
#define IMAGINE_JEPA_SETTLE_TICKS 120
/// how far (m) beyond its half size a goal's body is kept from the frame's edges
#define IMAGINE_JEPA_GOAL_MARGIN 0.02
/// the world the goal image shows: a copy of w with each 'in' goal's body moved to its region's
/// centre (an 'x near V' goal's to x = V, 'y near V' to y = V), still, its angle kept; with rect (the
/// frame's world rectangle x0 y0 x1 y1, or NULL), that place moved into the frame, the body's half
/// size and IMAGINE_JEPA_GOAL_MARGIN from its edges (a region that reaches out of view). Then,
/// when a body was moved, ticked until it comes to rest where the world puts it (on the surface
/// under a region's centre rather than in the air above it). When a shown goal no longer holds at
/// rest (the body rolled or fell out of its region, or broke), the placed pose is kept instead.
/// *settled (may be NULL) tells which. NULL + one line when the world cannot be copied
SimWorld* imagine_jepa_goal_world(const SimWorld* w, const double rect[4], const ScnGoal* goals, int n,
                                  bool* settled, char* err, size_t err_size);
/// the goal image: imagine_jepa_goal_world's frame repeated over a window, through the target
/// encoder. false + one line when the world cannot be copied
bool imagine_jepa_set_goal(ImagineJepa* ij, const SimWorld* w, const ScnGoal* goals, int n, char* err,
                           size_t err_size);
/// the channels of a latent cell that a still scene holds, mask[C] (C = jepa_latent_shape's c): the
/// convolutions' channels and each keypoint's place and strength (dx, dy, lse), but not the
/// keypoints' velocities (keypoint_cv) nor the motion keypoints (keypoint_motion: their heats read a
/// frame's change), which a body still moving at the horizon has and a still goal image has at zero.
/// A model without keypoints: every channel. Returns how many are set
int  imagine_jepa_still_channels(const JepaModel* m, uint8_t* mask);
/// the energy over the still channels only (on), or over every channel (off: V-JEPA 2-AC's)
void imagine_jepa_set_still(ImagineJepa* ij, bool on);
/// encodes the window of the frames seen (the oldest repeated while fewer than a window were seen)
void imagine_jepa_encode(ImagineJepa* ij);
/// energy[b] of B candidates: the mean absolute difference (over the still channels when set)
/// between the latent predicted at the
/// horizon (ceil(H / frame_step) predictor steps from the encoded window, candidate b's pushes as
/// push maps at the pushed body's place now, xy[j] m, plus the push's offset) and the goal's (or,
/// rolled, the goal window's rolled as far); mass[j] kg the bodies' masses
void imagine_jepa_energy(ImagineJepa* ij, const ImaginePlans* p, const float (*xy)[2], const float* mass,
                         double* energy);
/// the same energy of the true futures (the planner's audit): each candidate's pushes applied in
/// the simulator (is's scratch world, restored from w for each), the window that ends at the
/// horizon rendered and encoded by the target encoder, its energy to the goal image's latent (the
/// goal itself, also when rolled: a true future does not drift). What the energy would rank if the
/// predictor were exact. false + one line when the world cannot be copied
bool imagine_jepa_energy_true(ImagineJepa* ij, ImagineSim* is, const SimWorld* w, const ImaginePlans* p,
                              double* energy, char* err, size_t err_size);

#endif
