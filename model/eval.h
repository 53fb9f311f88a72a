/* eval: the model against the baselines on a dataset's episodes -- rollout error against horizon
 * and event metrics (baselines.c: constant velocity and ballistic; metrics.c: AUROC, quantiles) */
#ifndef NUDGE_MODEL_EVAL_H
#define NUDGE_MODEL_EVAL_H
#include <stdbool.h>
#include <stdint.h>

#include "model/dataset.h"
#include "model/wm.h"

typedef enum WmMethod { WM_METHOD_MODEL, WM_METHOD_CONST_VEL, WM_METHOD_BALLISTIC, WM_METHODS } WmMethod;

const char* wm_method_name(WmMethod m);

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
/// q-quantile (0..1) of v[n], sorting v in place; NaN for n = 0
double wm_quantile(float* v, int64_t n, double q);

typedef struct WmErrStats {
    int64_t n;
    double  mean, median, p90;       /* m */
    double  mean_sizes;              /* position error / body size (max of w, h) */
    double  angle_mean;              /* rad */
} WmErrStats;

typedef struct WmEventStats {
    int64_t n, positives;
    double  auroc;                   /* NaN without both classes */
    double  accuracy;                /* at threshold 0.5 */
} WmEventStats;

typedef struct WmEvalResult {
    int          horizon;            /* H */
    WmErrStats*  err[WM_METHODS];    /* [H]: entry h = h+1 ticks ahead */
    WmEventStats events[WM_EVENTS];
    /// model only: how far bodies that rest (speed < 0.02 m/s, |omega| < 0.1 rad/s), are not
    /// pushed and truly stay (< 5 mm) over the whole horizon drift in the rollout, at its end (m)
    WmErrStats   rest;
    int64_t      rollouts;           /* start points scored */
} WmEvalResult;

typedef struct WmEvalDef {
    int   first, count;     /* episodes */
    int   horizon;          /* ticks (60) */
    int   stride;           /* ticks between rollout starts (10) */
    int   max_starts;       /* 0 = no limit */
    bool  events;           /* score the event heads too */
    float gravity;          /* m/s^2 for the ballistic baseline (-9.81) */
} WmEvalDef;

WmEvalDef wm_eval_def_default(void);
/// fills res (free with wm_eval_free); false if no rollout could be scored
bool wm_evaluate(const WmModel* m, const WmDataset* d, const WmEvalDef* def, WmEvalResult* res);
void wm_eval_free(WmEvalResult* res);

#endif
