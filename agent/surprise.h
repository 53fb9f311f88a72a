/* surprise: a world model's surprise at what it observes, per body and per control tick, through one
 * small interface (SurpriseSource) that every model kind implements: the state model (model/wm.h)
 * here, a pixel model by its own constructor. `nudge voe`, `nudge run --surprise`, `nudge check`'s
 * surprise expectations and the view all read surprise through it.
 *
 * Definition (the state model), per body and control tick, in nats: the negative log-likelihood of
 * what the body did in the tick under the model, its motion and its fate together:
 *   - motion: for a body live and dynamic before and after the tick, the NLL of what was observed
 *     under the model's predicted Gaussian over the tick's six targets (model/wm.h: wm_surprise);
 *   - fate: the Bernoulli NLL of the break head ("breaks within 0.5 s", WM_EVENT_HORIZON ticks).
 *     While a body stays whole, each tick closes the window of the head read WM_EVENT_HORIZON - 1
 *     ticks before (the body live all along): it said p, no break came, -log(1 - p). A body that
 *     breaks (breakable, its slot empties, shards appear in the same tick) scores -log p with p
 *     the largest of the heads whose window holds the break (read in the last WM_EVENT_HORIZON
 *     ticks, this one's included), and has no motion.
 *   - drift: a sustained small anomaly that no single tick shows (a force the model does not
 *     know: each tick's motion NLL barely rises when the model's Gaussian is broad). While a body
 *     is in free flight (live and dynamic before and after the tick, the model's "in contact next
 *     tick" head p < 1/2 at the tick's start; any other tick ends the flight), its velocity
 *     residuals r (observed minus the model's mean (vx, vy) after the tick, from the same forward
 *     pass: wm_surprise_resid), each shrunk to at most SURPRISE_DRIFT_CLIP sigma, add up over the
 *     flight's last n <= SURPRISE_DRIFT_TICKS ticks to R, scored |R|^2 / (2 n sigma^2) with sigma =
 *     SURPRISE_DRIFT_SIGMA: the NLL of the mean residual under a calibrated Gaussian of variance
 *     sigma^2 / n, without its constant. An unknown constant acceleration grows it as n, noise as
 *     sqrt(n); one misjudged tick counts once, clipped, and fades as 1/n; contacts (landings,
 *     impacts) are left to the motion term.
 *   The three add (the joint likelihood of the tick's observation, motion and fate independent;
 *   drift reads the motion's residuals again, over more ticks).
 * A break explains its shards: a shard is not scored for its first SURPRISE_AFTERMATH ticks (a
 * shattering is random and its pieces collide among themselves; the model shatters in imagination
 * into the expected pieces, not into a distribution over them). A body that appears (a new live
 * slot that is not a shard) or vanishes (a live slot emptied that neither broke nor left the
 * world's bounds) has no prediction to compare with; it scores SURPRISE_UNEXPLAINED. A world's
 * surprise is the largest over its bodies. Ticks in which a person or the script moves the world by
 * hand (a grab, a release, a spawn, a reset) are not scored; magic ticks are. Only observations and
 * the model's outputs enter: never a world's events, magic or a scenario's parameters. */
#ifndef NUDGE_AGENT_SURPRISE_H
#define NUDGE_AGENT_SURPRISE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/episode.h"
#include "model/jepa.h"
#include "model/jepa_fate.h"
#include "model/jepa_scale.h"
#include "model/jepa_energy.h"
#include "model/wm.h"

/// nats: the surprise of a body that appears from nothing or vanishes without a cause
#define SURPRISE_UNEXPLAINED 100.0
/// control ticks after a break in which its shards are not scored (the event heads' horizon)
#define SURPRISE_AFTERMATH WM_EVENT_HORIZON
/// the drift term (see above): control ticks of free flight whose velocity residuals it sums
#define SURPRISE_DRIFT_TICKS 60
/// m/s: its standard deviation of one tick's velocity residual, per axis
#define SURPRISE_DRIFT_SIGMA 0.1
/// a tick's residual counts at most this many SURPRISE_DRIFT_SIGMA
#define SURPRISE_DRIFT_CLIP 5.0
/// nats: the view's threshold: a body glows from 0 at SURPRISE_GLOW_LO to full at this
#define SURPRISE_THRESHOLD 25.0
#define SURPRISE_GLOW_LO 10.0
/// nats: the view's threshold on a body's fate part alone (surprise_alarm): ln 100, a break the
/// model gave p >= 0.99 that did not come (or p <= 0.01 to one that came). A fate is the NLL of a
/// probability, the motion of a density: their nats do not share a scale (a calibrated head cannot
/// give 25 nats, and the motion's NLL of a landing is mostly its Gaussian's own width), so the
/// fate has a threshold of its own. Its glow rises from SURPRISE_FATE_GLOW_LO (ln 10: p 0.9)
#define SURPRISE_FATE_THRESHOLD 4.605170185988091
#define SURPRISE_FATE_GLOW_LO 2.302585092994046

/// one scored tick as a model sees it
typedef struct SurpriseTick {
    int             slots;       /* K */
    const float*    states;      /* [K * SIM_OBS_DIM] the observation at the tick's start */
    const uint8_t*  mask;        /* [K] */
    const float*    pushes;      /* [K * WM_PUSH_DIM] the pushes applied in the tick (sim_action_add_rows) */
    const float*    next;        /* [K * SIM_OBS_DIM] the observation after it */
    const uint8_t*  next_mask;   /* [K] */
    const SimWorld* world;       /* the world after the tick (a pixel model renders it); may be NULL */
    const ScnInstance* inst;     /* the episode's instance (a pixel model frames it with render_scene_rect) */
    const double*   bounds;      /* the world's bounds {xmin, ymin, xmax, ymax} (m); NULL: the world's */
} SurpriseTick;

/// a model kind's surprise
typedef struct SurpriseSource {
    const char* kind;            /* "state", "pixel", ... */
    void*       self;
    /// per_body[K]: the body's surprise, NaN where the model scores none; returns the world's
    /// (the largest over bodies, or the model's own whole-scene figure), NaN when nothing is scored
    double    (*tick)(void* self, const SurpriseTick* t, float* per_body);
    /// a new episode, or a tick not scored: forget what the model carried between ticks (the state
    /// model: the break head's history and the shards' ages)
    void      (*reset)(void* self);
    void      (*destroy)(void* self);
    /// the fate part of each body's surprise at the last tick (nats, NaN where none was due); NULL
    /// for a kind that has no fate (may itself be NULL)
    const float* (*fate)(void* self);
    double      step;            /* the step (s) of the model it scores with, checked against the
                                    world's control tick (episode_step_check); 0: none */
} SurpriseSource;

/// the state model's surprise (m is not owned and must outlive the source)
SurpriseSource* surprise_source_state(const WmModel* m);
/// the state source scores with m from now on (a model of the same architecture: the view's
/// published copies)
void            surprise_source_state_use(SurpriseSource* s, const WmModel* m);
/// the pixel model's surprise (model/jepa.h; m is not owned and must outlive the source): each tick
/// renders the world after it as the model's frames (render_world, the scene's rectangle), predicts
/// the window's latent from the one before and the tick's pushes, and compares it with the target
/// encoding (L1). The world's surprise is the evidence (model/jepa.h: jepa_evidence_add, a CUSUM)
/// over the grid's mean absolute difference since the reset: the excess of each tick's over the
/// mean of the ticks before, added up and floored at 0; a body's is the mean absolute difference of
/// the cell under its centre. Nothing is scored until `context` frames have been seen since
/// the last reset
SurpriseSource* surprise_source_jepa(const JepaModel* m);
/// the same, owning m (freed with the source)
SurpriseSource* surprise_source_jepa_owned(JepaModel* m);
/// a pixel source's world surprise with its keypoint channels weighing kw times a convolution
/// channel in the grid's mean (jepa_surprise_weighted; 1 by default); false (nothing changed) for
/// a source that is not a pixel model's or whose model has no keypoints
bool            surprise_source_jepa_keypoint_weight(SurpriseSource* src, float kw);
/// a pixel source's grid: its number of cells (lh * lw); 0 for a source that is not a pixel model's
int             surprise_source_jepa_cells(const SurpriseSource* src);
/// a pixel source's world surprise from the mean of the `top` cells with the largest error
/// (jepa_surprise_top, the keypoint channels weighed as set above) instead of the grid's mean; the
/// evidence and the bodies' surprise as before. false (nothing changed) for a source that is not a
/// pixel model's or top outside 1..cells
bool            surprise_source_jepa_top_cells(SurpriseSource* src, int top);
/// a pixel source's fate (model/jepa_fate.h, nudge fate): each tick also reads the probe's two heads
/// from the target encoding of the window ending at it, p (a break in the next JEPA_FATE_HORIZON
/// ticks) and q (a break in the last ones), and from the tick JEPA_FATE_HORIZON ticks after the first
/// p, the world's surprise is the evidence plus weight times jepa_fate_nll(p read H ticks before,
/// q now): the break expected and not seen, or seen and not expected. The source keeps a copy of f.
/// false (nothing changed) for a source that is not a pixel model's or a probe of other channels.
/// A probe with f->online reads the trained encoder's latent of the window instead
bool            surprise_source_jepa_fate(SurpriseSource* src, const JepaFate* f, double weight);
/// the same with the pixel model's own event heads (nudge train --event-weight; jepa_fate_from_model:
/// the trained encoder's latent); false (nothing changed) for a source that is not a pixel model's or
/// a model without them
bool            surprise_source_jepa_model_fate(SurpriseSource* src, double weight);
/// the parts of a pixel source's last tick, for a trace: parts[SURPRISE_JEPA_PARTS] = the evidence
/// over the grid's mean, the evidence over the mean of the `top` largest cells (top as given to
/// surprise_source_jepa_trace), the fate's p and q (NaN without a fate or before a window is
/// encoded), and the energy head's (NaN without one, or before it has H + 1 ticks): the evidence over
/// its error, the evidence over its smoothed shortfall (less change than predicted, with the slack:
/// what the world mixes in), the tick's own shortfall and its mean predicted energy. Returns false for a source that is not a pixel model's or not traced
#define SURPRISE_JEPA_PARTS 8
bool            surprise_source_jepa_parts(const SurpriseSource* src, double* parts);
/// turns the parts on (top in 1..cells); false as surprise_source_jepa_top_cells
bool            surprise_source_jepa_trace(SurpriseSource* src, int top);
/// a pixel source's scale (model/jepa_scale.h, nudge scale): each tick also scores the grid's mean
/// Laplace NLL, |observed - predicted| / b + log b, and the world's surprise is the evidence over the
/// mean L1 (e1) mixed with the evidence over the NLL (e2): e1 + weight (e2 - e1) (weight 1: e2
/// alone; the fate's is added after). The scale is copied. false for another source or a scale of
/// other channels
bool            surprise_source_jepa_scale(SurpriseSource* src, const JepaScale* sc, double weight);
/// the energy head at path (nudge energy): the world's surprise adds weight times the evidence (with
/// the slack, jepa_evidence_add_slack) over the grid's mean shortfall, max(0, predicted - observed
/// change over the head's horizon), averaged over the last `smooth` ticks (1-JEPA_ENERGY_MAX_SMOOTH);
/// false + one line for a file that does not load or does not fit the model, a smooth out of range,
/// or a source that is not a pixel model's
bool            surprise_source_jepa_energy(SurpriseSource* src, const char* path, double weight, double slack,
                                            int smooth, char* err, size_t err_size);
/// on (the default once a head is set): a window with a push in the head's horizon reads a shortfall
/// of 0 (how far a push carries a body -- its mass, its friction -- is not in the frames, and a push
/// that carries it less far than the head guessed is no violation); off: every window's is read.
/// false for a source without an energy head
bool            surprise_source_jepa_energy_free(SurpriseSource* src, bool on);
/// a model file of any kind nudge knows (a state or a pixel model, by its kind); the source owns
/// it. NULL + one line for a file that is no model. *model (may be NULL) gets the state model, if
/// it is one
SurpriseSource* surprise_source_load(const char* path, const WmModel** model, char* err, size_t err_size);
void            surprise_source_free(SurpriseSource* s);   /* NULL-safe */

/// watches an episode: after every tick the surprise of that tick (see above)
typedef struct SurpriseWatch {
    SurpriseSource* src;         /* not owned */
    int             slots;
    float*          next;        /* [K * D] scratch: the observation after the tick */
    uint8_t*        next_mask;
    int32_t*        next_ids;
    float*          pushes;      /* [K * 4] */
    float*          body;        /* [K] the last tick's surprise per slot (NaN: none) */
    double          world;       /* the last tick's world surprise (NaN: none) */
    float*          fate;        /* [K] the fate part of body[] (NaN: none, or a kind without fates) */
    double          world_fate;  /* the largest of fate[] (NaN: none) */
    bool            scored;      /* the last tick was scored */
    int64_t         ticks;       /* ticks seen */
} SurpriseWatch;

/// attaches the watch to e (one of its hooks) and resets src; false + one line when e has no hook
/// left or src's model steps otherwise than e's control tick (episode_step_check). Free with
/// surprise_watch_free after the episode ends (also after a failure)
bool surprise_watch_attach(SurpriseWatch* w, Episode* e, SurpriseSource* src, char* err, size_t err_size);
void surprise_watch_free(SurpriseWatch* w);

/// the fate part of a body's surprise (nats, see above): heads[n] the logits of the break head
/// ("breaks within 0.5 s") read at the body's last n ticks, oldest first, this tick's last (the body
/// live at each); now: this tick's logit of the break-now head ("breaks in the next tick"; NaN: none);
/// broke: the body broke in this tick. A break scores -log p with p the largest of the window heads;
/// a body still whole scores the larger of -log(1 - p) of heads[0] once n reaches WM_EVENT_HORIZON
/// (its window closes now) and -log(1 - p_now); NaN when neither is due
double surprise_break_nll(const float* heads, int n, float now, bool broke);

/// the drift part of a body's surprise (nats, see above): resid[n * 2] its velocity residuals
/// (observed minus predicted vx, vy after a tick, m/s) over its last n ticks of free flight, n <=
/// SURPRISE_DRIFT_TICKS; NaN for n = 0
double surprise_drift_nll(const float* resid, int n);

/// the glow of a body in [0, 1] for its surprise s and its fate part (NaN: none): the larger of the
/// two ramps, from SURPRISE_GLOW_LO to SURPRISE_THRESHOLD on s, from SURPRISE_FATE_GLOW_LO to
/// SURPRISE_FATE_THRESHOLD on the fate
double surprise_glow(double s, double fate);
/// the view's alarm: s over SURPRISE_THRESHOLD, or the fate part alone over SURPRISE_FATE_THRESHOLD
bool   surprise_alarm(double s, double fate);

#endif
