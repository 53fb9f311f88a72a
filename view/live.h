/* live: what the view measures while the model watches. Every control tick it rolls the model
 * out from the current observation, keeps the predictions, and when time catches up compares
 * them with what happened: error against horizon for the model and for the constant-velocity
 * baseline, the live 0.5 s error, a surprise trace, and the split view's imagination (the model
 * stepped on its own predictions with the real pushes). No SDL: the headless loop uses it too. */
#ifndef NUDGE_VIEW_LIVE_H
#define NUDGE_VIEW_LIVE_H
#include <stdbool.h>
#include <stdint.h>

#include "model/wm.h"
#include "sim/world.h"

/// horizons (control ticks) of the error-vs-horizon panel
#define VIEW_HZ_COUNT 8
extern const int view_horizons[VIEW_HZ_COUNT];
/// the horizon of the live "0.5 s" error (ticks)
#define VIEW_ERR_TICKS 30
/// longest ghost horizon (ticks) and the history kept (ticks, > every horizon)
#define VIEW_HORIZON_MAX 120
#define VIEW_HISTORY 128
/// the long rollouts (for the error panel's longest horizons) are made every this many ticks
#define VIEW_LONG_EVERY 4
/// surprise trace length (ticks)
#define VIEW_TRACE 600

typedef struct ViewRecord {
    bool     valid;
    int64_t  tick, episode;
    int64_t  segment;        /* the stretch between interventions it was made in */
    int      horizon;        /* the ghost horizon when it was made */
    int      depth;          /* ticks rolled out: predictions at horizons > depth are missing */
    float*   state;          /* [K*D] the observation at that tick */
    uint8_t* mask;           /* [K] */
    float*   pred;           /* [(VIEW_HZ_COUNT + 1) * K * 2]: x, y at each horizon, then at horizon */
    float*   pred_angle;     /* [K]: angle at horizon */
} ViewRecord;

typedef struct ViewLive {
    int     K, D;
    int     horizon;         /* ticks; ghosts and the "one horizon ago" comparison */
    int     roll_len;        /* ticks of the current rollout: max(horizon, VIEW_ERR_TICKS), and every
                                VIEW_LONG_EVERY-th tick max(horizon, the last view_horizons) */
    int64_t tick;            /* control ticks seen (across episodes) */
    int64_t episode;
    int64_t segment;         /* interventions so far: a prediction is never scored across one */
    bool    mark_next;       /* the next tick's trace entry marks an intervention */
    /* the current observation and rollout */
    float*   states;         /* [K*D] */
    uint8_t* mask;           /* [K] */
    bool     has_roll;
    float*   roll;           /* [VIEW_HORIZON_MAX*K*D] */
    float*   roll_events;    /* [VIEW_HORIZON_MAX*K*WM_EVENTS] */
    uint8_t* roll_mask;      /* [VIEW_HORIZON_MAX*K] the rollout's live slots */
    int*     roll_parent;    /* [K] the slot whose imagined shattering made the rollout's body in slot k, or -1 */
    float*   foresight;      /* [K*WM_EVENTS] the rollout's foresight of events (wm_foresight): the labels */
    float*   pushes;         /* [VIEW_HORIZON_MAX*K*4] scratch */
    ViewRecord rec[VIEW_HISTORY];
    /* errors (m, mean over bodies): exponential averages over ~5 s, per horizon */
    double  err_ema[VIEW_HZ_COUNT], cv_ema[VIEW_HZ_COUNT];
    bool    err_seen[VIEW_HZ_COUNT];
    /* this tick's 0.5 s errors (valid when err05_valid) */
    bool    err05_valid;
    double  err05, cv_err05;
    /* sums since view_live_take_second (for once-a-second lines) */
    double  sum_err05, sum_cv05;
    int     n_err05;
    /* "one horizon ago": per slot, the pose predicted then for now and its error (m); valid[k] */
    uint8_t* past_valid;     /* [K] */
    float*   past_pose;      /* [K*3] x, y, angle */
    float*   past_err;       /* [K] */
    /* surprise: the model's surprise at the last tick, per slot (NaN: not scored), nats; the
     * observation and pushes of the tick before, to score the transition to the next */
    float*   surprise;       /* [K] */
    float*   glow;           /* [K] in [0, 1]: surprise_glow of the surprise, fading by 8% a tick */
    float*   prev_states;    /* [K*D] */
    uint8_t* prev_mask;      /* [K] */
    float*   prev_pushes;    /* [K*4] */
    bool     has_prev;       /* the previous tick can be scored against this one */
    double   bounds[4];      /* the world's bounds (m): a body leaving them vanishes with a cause */
    bool     magic_only;     /* set before view_live_tick: its intervention was magic alone, which
                                surprise scores across (episode_handled) */
    struct SurpriseSource* src;
    /* surprise trace: the world's surprise per tick (NaN when there was nothing to score), ring of
     * VIEW_TRACE; trace_mark[i] = an intervention at that tick */
    float   trace[VIEW_TRACE];   /* nats: the world's surprise at each tick (agent/surprise.h) */
    uint8_t trace_mark[VIEW_TRACE];
    int64_t ntrace;
    /* imagination: the model stepped on its own output with the real pushes */
    bool     imag_on;
    bool     imag_pending;   /* start from the next observation */
    float*   imag;           /* [K*D] */
    uint8_t* imag_mask;      /* [K] */
    float*   imag_next;      /* [K*D] */
} ViewLive;

/// allocates for K slots of D floats
void view_live_init(ViewLive* L, int K, int D);
void view_live_free(ViewLive* L);
/// a new episode: nothing before it is compared with what comes after
void view_live_begin_episode(ViewLive* L);
/// an intervention (a reset, a jump in the history, a spawn, the hand moving a body) happens at
/// the next tick or happened just now: no prediction made before it is scored after it, the
/// imagination starts again, and the traces mark it
void view_live_intervene(ViewLive* L);
/// sets the ghost horizon (ticks, clamped to 1..VIEW_HORIZON_MAX)
void view_live_set_horizon(ViewLive* L, int ticks);
/// one control tick: states/mask = the observation at its start, push_rows[K * 4] = the pushes
/// applied at its start (sim_action_add_rows layout), or NULL for none; intervened = the tick also
/// applied something no push explains (a spawn, a grab or release, the hand holding a body), so
/// predictions made from its start are not scored. Compares old predictions with the observation,
/// then (when model is not NULL) rolls out roll_len ticks and keeps the predictions; steps the
/// imagination when it is on.
void view_live_tick(ViewLive* L, const WmModel* model, WmScratch* scratch, const float* states,
                    const uint8_t* mask, const float* push_rows, bool intervened);
/// the predictions from an observation without a tick (after a jump in the history): the ghosts
/// and labels show them; nothing is scored
void view_live_predict_now(ViewLive* L, const WmModel* model, WmScratch* scratch, const float* states,
                           const uint8_t* mask);
/// starts the imagination from the next observation (the one the next view_live_tick gets)
void view_live_imagine_from_now(ViewLive* L);
/// the mean live 0.5 s errors since the last call (model, constant velocity); false when none
bool view_live_take_second(ViewLive* L, double* err05, double* cv_err05);
/// the predicted pose of slot k after step ticks of the current rollout (1..roll_len)
bool view_live_predicted(const ViewLive* L, int k, int step, double* x, double* y, double* angle);

/// grows r (render/follow.h) by what a camera must keep in view: w's live dynamic bodies, and when
/// L is given the ghosts at the horizon (ghosts) and the imagined bodies (imagined) of the slots
/// whose last known body bodies[k] is known[k], each as far as bounds {xmin, ymin, xmax, ymax}
/// reach (a prediction gone wild does not take the camera away)
void view_live_need_rect(const ViewLive* L, const SimWorld* w, const double bounds[4], const SimBodyState* bodies,
                         const uint8_t* known, bool ghosts, bool imagined, double r[4]);

#endif
