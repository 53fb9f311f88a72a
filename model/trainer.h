/* trainer: trains a WmModel from a replay buffer; usable from a background thread.
 *
 * Threads: the feeding calls (wm_trainer_begin_episode, wm_trainer_add_tick), wm_trainer_snapshot
 * and wm_trainer_stats may be called from any thread (e.g. the view's render thread).
 * wm_trainer_step, wm_trainer_validate, wm_trainer_publish, wm_trainer_save and wm_trainer_model
 * belong to ONE training thread (model/driver.h runs it; any thread once training has stopped).
 * The render thread never waits for training: it reads a published copy of the weights (double
 * buffer + version counter) with wm_trainer_snapshot, which gives up at once if a publish is in
 * progress.
 *
 * Feeding, per control tick of a running world (agent/episode_feed.h does this for an episode):
 *     wm_trainer_begin_episode(tr);     // at a reset / new scenario / a hand moving bodies
 *     every tick: wm_trainer_add_tick(tr, observation before the tick, its contacts,
 *                                     the pushes the tick applied, the events that led to it)
 * The trainer builds the delayed labels (breaks / falls within 0.5 s, contact next tick) itself:
 * a transition becomes trainable once WM_EVENT_HORIZON later ticks of its episode were seen (or
 * the episode ended). Every val_every-th episode goes to a validation buffer instead. */
#ifndef NUDGE_MODEL_TRAINER_H
#define NUDGE_MODEL_TRAINER_H
#include <stdbool.h>
#include <stdint.h>

#include "model/replay.h"
#include "model/wm.h"
#include "sim/events.h"
#include "sim/world.h"

#define WM_TRAIN_MAX_THREADS 8

typedef struct WmTrainerDef {
    WmArch   arch;           /* used when no starting model is given */
    uint64_t seed;           /* init, batch sampling and input noise */
    int      batch;          /* transitions per step (default 64) */
    float    lr;             /* AdamW learning rate (default 1e-3) */
    float    weight_decay;   /* AdamW decoupled weight decay (default 1e-5) */
    float    clip;           /* gradient-norm clip (default 1.0) */
    float    noise_pos;      /* m: GNS input noise on positions (default 0.0005) */
    float    noise_vel;      /* m/s (and 4x in rad/s): input noise on velocities (default 0.005) */
    int      roll_max;       /* pushforward: a rolled step predicts its own start up to this many
                                ticks ahead, without gradient, then learns the next tick from there
                                (default 4; 0 = off) */
    float    roll_frac;      /* share of steps that are rolled (default 0.5) */
    int      threads;        /* a step's batch is worked in this many parts, one thread each with
                                one BLAS thread, its gradient the mean of theirs (default 1; at most
                                WM_TRAIN_MAX_THREADS). Bit-reproducible for a given number */
    float    event_weight;   /* weight of the event, rest and break-now BCE against the velocity MSE (0.5) */
    float    eps_weight;     /* weight of the position-residual MSE (default 0.5) */
    float    nll_weight;     /* weight of the variance head's Gaussian NLL (default 0.05) */
    float    break_weight;   /* the break and break-now heads' BCE weigh this many times the other
                                events' (default 1) */
    float    onset_weight;   /* the rest head's BCE on an onset (a body at rest now, unpushed, moving
                                next tick) weighs this many times the others' (default 1) */
    float    onset_speed;    /* only onsets faster than this next tick (m/s; or 5x it in rad/s) weigh
                                onset_weight times (default 0: every onset) */
    float    onset_motion;   /* the velocity and position heads' MSE on an onset (of onset_speed) weighs
                                this times the others' (default 1) */
    float    impact_weight;  /* the velocity and position heads' MSE on a body that a dynamic body is
                                hitting (closing faster than impact_speed, within 2 mm of touching after a
                                tick's closing: the rule of --release-impact) weighs this times the
                                others' (default 1) */
    float    impact_speed;   /* m/s, for impact_weight (default 0.5) */
    float    still_weight;   /* the event heads' BCE on a body at rest now (pushed or not) weighs this
                                times the others' (default 1) */
    float    ema;            /* D in [0, 1): keep an exponential moving average of the weights, updated
                                after every optimizer step with decay min(D, (1 + t) / (10 + t)) at step
                                t; the average is the model the trainer gives (validation, publish,
                                save), the optimizer trains the raw weights (default 0: off) */
    int64_t  capacity;       /* transitions kept in the replay buffer (default 200000) */
    int64_t  val_capacity;   /* transitions kept for validation (default 20000) */
    int      val_every;      /* every val_every-th live episode is held out; 0 = none (default 10) */
} WmTrainerDef;

typedef struct WmTrainerStats {
    int64_t  steps;          /* optimizer steps done */
    uint64_t version;        /* published version (0 = never published) */
    float    train_loss;     /* exponential average of the last steps' losses */
    float    last_loss;      /* the last step's loss */
    float    val_loss;       /* last wm_trainer_validate result (NaN before) */
    int64_t  transitions;    /* trainable transitions in the replay buffer */
    int64_t  val_transitions;
    int64_t  skipped;        /* steps skipped for a non-finite loss or gradient */
} WmTrainerStats;

typedef struct WmTrainer WmTrainer;

/// transitions a batch holds at most (train --batch, NudgeTrainerDef.batch)
#define WM_TRAIN_MAX_BATCH 65536

WmTrainerDef wm_trainer_def_default(int slots);
/// true when wm_trainer_create can make this trainer; false + one line saying what is wrong (the
/// architecture, when no starting model is given; a replay capacity below 2 or beyond the machine's
/// memory; a batch outside 1 .. WM_TRAIN_MAX_BATCH)
bool         wm_trainer_def_check(const WmTrainerDef* def, const WmModel* start, char* err, size_t err_size);
/// a trainer; start (copied) is the starting model, NULL = a fresh one from def->arch and seed.
/// NULL when wm_trainer_def_check refuses def
WmTrainer*   wm_trainer_create(const WmTrainerDef* def, const WmModel* start);
void         wm_trainer_free(WmTrainer* tr);                 /* NULL-safe */
/// the bytes a training step will hold beside the replay buffers (each part's scratch, the batch,
/// the weights, gradients and optimizer state), estimated before the first step sizes them, for
/// worlds of at most `bodies` live bodies (out of 1 .. slots: the slots); an upper bound
double       wm_trainer_step_bytes(const WmTrainer* tr, int bodies);

/// the next tick starts a new episode (no transition links it to the previous tick)
void         wm_trainer_begin_episode(WmTrainer* tr);
/// one observed tick: states[K*D], mask[K], contacts[K] (1 = touching another body; may be NULL),
/// push[K*4] = the push applied right after this tick (NULL = none), events = the events of the tick
/// that led to this observation (break and fall events feed the labels)
void         wm_trainer_add_tick(WmTrainer* tr, const float* states, const uint8_t* mask,
                                 const uint8_t* contacts, const float* push,
                                 const SimEvent* events, int nevents);

/// one optimizer step on a sampled batch; false when there is not enough data yet (fewer than
/// batch trainable transitions) or the step was skipped for non-finite numbers
bool         wm_trainer_step(WmTrainer* tr);
/// the optimizer's learning rate from the next step on (a schedule: nudge train --lr-decay); lr > 0
void         wm_trainer_set_lr(WmTrainer* tr, float lr);
/// the learning rate of step `done` (0-based) of a run of `steps` steps at rate lr whose last share
/// `frac` (0..1; 0 = none) decays along a half cosine from lr to floor * lr (floor in [0, 1]):
/// lr before the decay starts at step steps - round(frac * steps), then
/// lr * (floor + (1 - floor) (1 + cos(pi p)) / 2) with p = (done - start) / (steps - start)
float        wm_lr_schedule(float lr, int64_t done, int64_t steps, float frac, float floor);
/// mean loss over up to max_batches batches of the validation buffer (NaN when empty)
float        wm_trainer_validate(WmTrainer* tr, int max_batches);
/// copies the working weights into the published buffer and bumps the version
void         wm_trainer_publish(WmTrainer* tr);
/// if a version newer than have_version is published, copies it into dst (same arch) and returns
/// its version; otherwise (or when a publish is in progress) returns have_version without waiting
uint64_t     wm_trainer_snapshot(WmTrainer* tr, WmModel* dst, uint64_t have_version);
void         wm_trainer_stats(WmTrainer* tr, WmTrainerStats* out);

/// where a training step's time goes: seconds (monotonic clock, the training thread's view; with
/// threads > 1 the parts run at once and part 0 is what is timed) summed over the steps so far
typedef struct WmTrainerProfile {
    int64_t steps;       /* steps timed (wm_trainer_step calls that trained) */
    double  sample;      /* drawing the batch from the replay buffer */
    double  roll;        /* pushforward: the rolled ticks (wm_step, no gradient) */
    double  pack;        /* packing the graph: nodes, edges, shapes, features, input noise */
    double  targets;     /* targets and labels */
    double  stats;       /* the normalization statistics' update */
    double  forward;     /* features normalized, the network forward */
    double  loss;        /* the loss and its gradient at the outputs */
    double  backward;    /* the network backward */
    double  update;      /* clipping and the AdamW step */
} WmTrainerProfile;

/// the time spent so far, by part of the step (zeros before the first step)
void         wm_trainer_profile(const WmTrainer* tr, WmTrainerProfile* out);

/// the working model (training thread only) and the buffers (for offline filling); with def.ema
/// these are the raw weights the optimizer trains, not the model the trainer gives
WmModel*     wm_trainer_model(WmTrainer* tr);
/// the model training gives (training thread only): the working model, or with def.ema a copy of it
/// whose parameters are the average (valid until the next call or step)
const WmModel* wm_trainer_result(WmTrainer* tr);
WmReplay*    wm_trainer_replay(WmTrainer* tr);
WmReplay*    wm_trainer_val_replay(WmTrainer* tr);
/// saves the model (wm_trainer_result) and the optimizer state (resumable) atomically; with def.ema
/// also the raw weights and the random streams, so that a resumed run gives the bytes of one that
/// was never stopped
bool         wm_trainer_save(WmTrainer* tr, const char* path, char* err, size_t err_size);
/// restores the optimizer state that wm_trainer_save wrote (for --resume; the weights come from
/// the start model given to wm_trainer_create, which is the file's model). A file with a resume
/// state (a run with averaged weights) gives the raw weights back to the optimizer and, with
/// def.ema, its model becomes the average; the random streams are restored when the number of
/// parts matches. False + one line on a bad file
bool         wm_trainer_load_optimizer(WmTrainer* tr, const char* path, char* err, size_t err_size);

#endif
