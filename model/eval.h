/* eval: the model against the baselines on a dataset's episodes -- rollout error against horizon,
 * over all bodies and over the subsets that a mean over all bodies hides, and event metrics
 * (baselines.c: constant velocity and ballistic; metrics.c: AUROC, quantiles) */
#ifndef NUDGE_MODEL_EVAL_H
#define NUDGE_MODEL_EVAL_H
#include <stdbool.h>
#include <stdint.h>

#include "model/dataset.h"
#include "model/wm.h"

typedef enum WmMethod { WM_METHOD_MODEL, WM_METHOD_CONST_VEL, WM_METHOD_BALLISTIC, WM_METHODS } WmMethod;

const char* wm_method_name(WmMethod m);

/* Subsets of the scored predictions. A prediction is one dynamic body, live at the rollout's start
 * t0, h ticks ahead; membership is decided per horizon h, from the recorded truth:
 *   all      every such body that has a truth at t0 + h;
 *   moving   its true position moved more than WM_EVAL_MOVING_M from where it was at t0, at some
 *            record in [t0, t0 + h];
 *   fall     it fell (a fall event) between t0 and t0 + h;
 *   break    it broke between t0 and t0 + h; its truth after the break is the centre of mass of
 *            its shards (those still observed). The prediction of a body is its row while the
 *            rollout keeps it whole, and the centre of mass of its imagined pieces once the
 *            rollout shattered it (wm_rollout), so shards are scored against shards;
 *   resting  it was at rest at t0 (speed < 0.02 m/s, |omega| < 0.1 rad/s), nothing pushed it in
 *            [t0, t0 + h), and its true position stayed within WM_EVAL_STILL_M: its error is the
 *            rollout's drift.
 * A body that left the world (out of bounds, or broke into shards that all left) has no truth from
 * then on and is no longer scored. */
typedef enum WmSubset {
    WM_SUBSET_ALL,
    WM_SUBSET_MOVING,
    WM_SUBSET_FALL,
    WM_SUBSET_BREAK,
    WM_SUBSET_RESTING,
    WM_SUBSETS
} WmSubset;

#define WM_EVAL_MOVING_M 0.01   /* m: "moving" means the true position moved more than this */
#define WM_EVAL_STILL_M  0.005  /* m: "resting" bodies truly stay within this */
#define WM_EVAL_SINK_M   0.02   /* m: a prediction "sinks" more than this deep into a static body */

const char* wm_subset_name(WmSubset s);

/* baselines.c: H ticks ahead from states[K*D] (mask[K]) with pushes[H*K*4] (NULL = none) into
 * out[H*K*D]; static and empty slots are copied. Both apply the pushes' velocity changes. */
/// constant velocity: no gravity, no contacts
void wm_baseline_const_vel(int K, float dt, const float* states, const uint8_t* mask,
                           const float* pushes, int H, float* out);
/// ballistic: gravity (gy, m/s^2) only, no contacts; integrated as two physics steps per tick
void wm_baseline_ballistic(int K, float dt, float gy, const float* states, const uint8_t* mask,
                           const float* pushes, int H, float* out);

/* metrics.c */
/// area under the ROC curve (ties share ranks); NaN when one class is missing
double wm_auroc(const float* score, const uint8_t* label, int64_t n);
/// the same over the scores score[i] (i < n) whose use[i * stride] is set (use NULL: all), each
/// labelled label[i * stride]
double wm_auroc_select(const double* score, const uint8_t* label, const uint8_t* use, int stride, int64_t n);
/// q-quantile (0..1) of v[n], sorting v in place; NaN for n = 0
double wm_quantile(float* v, int64_t n, double q);
/// a growing list of floats (zeroed: empty)
typedef struct WmFloats {
    float*  v;
    int64_t n, cap;
} WmFloats;
void wm_floats_push(WmFloats* a, float x);
void wm_floats_free(WmFloats* a);   /* empty again */

/// one (subset, method, horizon) cell; every statistic is NaN when n = 0
typedef struct WmErrStats {
    int64_t n;                       /* predictions scored */
    double  mean, median, p90;       /* position error, m */
    double  mean_sizes;              /* position error / body size (max of w, h at t0) */
    double  angle_mean;              /* rad, over the predictions whose body is still whole */
    double  sink;                    /* share of the predictions whose rollout has, by this horizon,
                                        been more than WM_EVAL_SINK_M inside a static body (the
                                        shape sim_obs_shape gives the predicted row, against the
                                        static bodies' at t0: sim_shape_penetration) */
} WmErrStats;

typedef struct WmEventStats {
    int64_t n, positives;
    double  auroc;                   /* NaN without both classes */
    double  accuracy;                /* at threshold 0.5 */
} WmEventStats;

/// the rest gate one tick ahead, over unpushed dynamic bodies at rest at a record (speed < 0.02 m/s,
/// |omega| < 0.1 rad/s) and live at the next: an onset is one not at rest at the next record (it
/// is hit, its support tips or goes), a hard onset one that moves faster than 0.1 m/s or 0.5 rad/s
/// then; "held" = the model's step left it still (velocity exactly 0: the gate held it)
typedef struct WmGateStats {
    int64_t stays, stays_released;   /* at rest at the next record too; of them, not held */
    int64_t onsets, onsets_held;     /* not at rest at the next record; of them, held */
    int64_t hard, hard_held;         /* the onsets faster than 0.1 m/s or 0.5 rad/s; of them, held */
    double  auroc;                   /* of P(not at rest next tick) from the rest head, onsets against
                                        stays: how well the head tells them apart, whatever the gate
                                        (NaN without both) */
} WmGateStats;

typedef struct WmEvalResult {
    int          horizon;                         /* H */
    WmErrStats*  err[WM_SUBSETS][WM_METHODS];     /* [H]: entry h = h+1 ticks ahead */
    WmEventStats events[WM_EVENTS];
    WmEventStats events_quiet[WM_EVENTS];         /* the same over the records after which nothing in
                                                     the world is pushed within the event horizon:
                                                     what the record and its own push foretell (a
                                                     later push by an agent cannot be foreseen) */
    WmEventStats events_foreseen[WM_EVENTS];      /* break and fall again, scored by the model's foresight
                                                     (wm_foresee: the largest head over an imagined
                                                     horizon from the record and its own push) instead
                                                     of the record's own head; contact: n = 0 */
    WmEventStats events_foreseen_quiet[WM_EVENTS];/* the same over events_quiet's records */
    WmGateStats  gate;                            /* with events: the rest gate at the next tick */
    WmEventStats break_now;                       /* with events: over the breakable bodies, the break-now
                                                     head's P (a sigmoid of its logit) against the body
                                                     breaking by the next record; accuracy at 0.5 is the
                                                     rollout's rule for shattering a body */
    int64_t      break_now_said, break_now_false; /* the breaks it says (P > 0.5) and the P > 0.5 of the
                                                     records without one */
    int64_t      rollouts;                        /* start points scored */
    int          episodes;
} WmEvalResult;

typedef struct WmEvalDef {
    int   first, count;     /* episodes */
    int   horizon;          /* ticks (240) */
    int   stride;           /* ticks between rollout starts (10) */
    int   max_starts;       /* 0 = no limit */
    bool  events;           /* score the event heads too */
    float gravity;          /* m/s^2 for the ballistic baseline (-9.81) */
} WmEvalDef;

WmEvalDef wm_eval_def_default(void);
/// fills res (free with wm_eval_free); false, with nothing left to free, if no rollout could be scored
bool wm_evaluate(const WmModel* m, const WmDataset* d, const WmEvalDef* def, WmEvalResult* res);
void wm_eval_free(WmEvalResult* res);

#endif
