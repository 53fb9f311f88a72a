/* jepa_trainer: trains the pixel model (model/jepa.h) from a replay of frames; usable from a
 * background thread, like the state model's trainer (model/trainer.h), with the same split: the
 * feeding calls, jepa_trainer_snapshot and jepa_trainer_stats may be called from any thread; step,
 * validate, publish, save and model belong to one training thread.
 *
 * One step, on B windows drawn from the replay (frames t - (context - 1) S .. t + R S of one
 * episode, S apart: S is the arch's frame_step, 1 for consecutive frames):
 *   z_0 = encoder(frames up to t)                                  (trained)
 *   z*_r = target encoder(frames up to t + r S), r = 1 .. R        (the EMA; no gradient)
 *   z^_r = predictor(z^_(r-1), the pushes after records t + (r - 1) S .. t + r S - 1), z^_0 = z_0
 *                                                                  (rolled out on its own output)
 *   loss = (1/R) sum_r mean |z^_r - z*_r|                          (L1, as in V-JEPA 2)
 *          + var_weight * variance(z_0) + cov_weight * covariance(z_0)   (model/jepa_loss.h)
 *          + appearance_weight * (1/R) sum_r |A z^_r - d_r|^2 / max(|d_r|^2, 1e-4 count)
 *          + event_weight * the event heads' class-weighted BCE on z_0 (model/jepa_events.h)
 *          + recon_weight * sum_cells w |D z_0 - p|^2 / (P sum_cells w)
 *            (D the trainer's linear decoder of each cell's convolution channels of z_0 to the cell's
 *            P pixels of the context's last frame p (over 255), w the cell's motion weight)
 *            (A the trainer's linear appearance head on each cell's convolution channels, d_r the
 *            mean absolute change of each quarter of the cell from frame t + (r - 1) S to t + r S)
 * then AdamW on the encoder and predictor, and the target encoder moves toward the encoder:
 * target = ema * target + (1 - ema) * encoder. */
#ifndef NUDGE_MODEL_JEPA_TRAINER_H
#define NUDGE_MODEL_JEPA_TRAINER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/jepa.h"
#include "model/jepa_loss.h"
#include "model/jepa_replay.h"
#include "model/probe.h"

typedef struct JepaTrainerDef {
    JepaArch arch;           /* used when no starting model is given */
    uint64_t seed;           /* init and window sampling */
    int      batch;          /* windows per step (default 32) */
    int      rollout;        /* R: predicted steps per window (default 3) */
    float    lr;             /* AdamW learning rate (default 1e-3), after a linear warm-up */
    int      warmup;         /* steps of the warm-up (default 200) */
    float    weight_decay;   /* AdamW decoupled weight decay (default 1e-4) */
    float    clip;           /* gradient-norm clip (default 1.0) */
    float    ema;            /* target encoder momentum (default 0.99) */
    float    var_weight;     /* weight of the variance term (default 1.0) */
    float    cov_weight;     /* weight of the covariance term (default 0.1) */
    float    var_target;     /* gamma: each channel's standard deviation to keep (default 1.0) */
    float    var_space_weight; /* weight of the spatial variance term on the convolution channels (the
                                first arch.latent): each one's std over a window's cells kept at
                                var_target (jepa_reg_space; default 0: none) */
    float    motion_weight;  /* alpha: a cell's L1 weighs 1 + alpha * m, m (0..1) the largest
                                change of a pixel of the cell over the target window's last frame
                                and the two before it, so that the few cells where something moves
                                are not outweighed by the still background; the weighted mean over
                                the grid. 0 = the plain mean (default 0). Validation's loss stays plain */
    float    keypoint_weight;/* the L1 of each keypoint channel (arch.keypoints) weighs this many times
                                a convolution channel's, on top of motion_weight; the weighted mean
                                over the grid (default 1; validation's loss stays plain) */
    float    appearance_weight; /* W > 0: an auxiliary head (trainer-only, not in the model file) maps
                                each predicted cell's convolution channels (the first arch.latent; not
                                the keypoints, whose strength is the frames' change already) linearly to
                                the change of appearance in the cell's four quadrants, the mean
                                |last frame - the one before| of the predicted window over 255; its
                                squared error over the batch's sum of squared changes (a floor of 1e-4
                                a value), times W, is added to the loss, averaged over the R steps, and
                                its gradient reaches the predictor and the encoder through the predicted
                                latent (the target encoder stays the EMA). 0 = none (default) */
    float    break_sample;   /* P (0..1): each window of a batch is, with probability P, drawn from the
                                windows whose predicted span (the R S records after the context's last)
                                holds a record marked WM_BIT_BREAK (jepa_replay_mark: a dataset's
                                events, jepa_data_fill), the others uniformly as before; with no such
                                window (the live trainer marks nothing) all uniformly. 0 = uniform,
                                today's windows exactly (default 0). Not in the model file */
    float    push_sample;    /* P (0..1): the same with the windows whose rollout is given a push (a record
                                of the predicted span marked JEPA_MARK_PUSH); only one of the two may be
                                set (break_sample wins). Not in the model file */
    float    event_weight;   /* W > 0: the event heads (model/jepa_events.h: a break in the next 30 records,
                                one in the last 30) on the trained encoder's pooled latent z_0, their
                                class-weighted BCE times W added to the loss, its gradient reaching the
                                encoder; labels from the replay's marks (jepa_replay_mark: a dataset's
                                events). The heads go into the model (jepa_event_heads) at publish and
                                save. 0 = none (default) */
    float    recon_weight;   /* W > 0: a linear decoder (trainer-only, not in the model file, starting at
                                zero) maps each cell's convolution channels of the trained encoder's
                                context latent z_0 (the first arch.latent) to the cell's pixels in the
                                context's last frame (over 255); its squared error, each cell weighed
                                1 + motion_weight * (the largest change of one of its pixels from the
                                frame before, over 255; 1 with one frame), the weighted mean over the
                                cells and pixels, times W, is added to the loss and its gradient
                                reaches the encoder, so that the latent must carry what the cell looks
                                like (a small body, a glass or its shards), which nothing in the L1
                                against the EMA asks for. Validation's loss stays the plain L1.
                                0 = none (default) */
    float    pool_weight;    /* W > 0: a pooled L1 beside the cells' -- the mean absolute difference of the
                                predicted and the target latent each averaged over blocks of pool_size x
                                pool_size cells (the grid's edge blocks over the cells they hold), over
                                the blocks and channels, times W, averaged over the R steps -- so that
                                the predictor is asked for what is in a region (the shards of a glass)
                                and not only where each piece goes, which no prediction can say.
                                Validation's loss stays the plain L1. 0 = none (default) */
    int      pool_size;      /* the pooled L1's block side in cells (default 4) */
    float    objness_weight; /* W > 0 (a model with an objectness keypoint, arch.keypoint_objness):
                                the objectness heat of each window's last frame is the logit of a
                                pixel changing within the window (one of its channels moving by more
                                than JEPA_OBJ_CHANGE between the window's last context frame and any
                                frame of the window, context or rollout): W times a class-weighted
                                logistic loss (the changed pixels of the batch weigh 0.2 in all, the
                                others 0.8), its gradient reaching the appearance heat convolution
                                only. Training's loss only; a model without an objectness keypoint ignores it
                                (default 1; 0 = none: the heat trained by the prediction alone) */
    float    latent_noise;   /* S > 0: training noise on the rollout (as graph network simulators train
                                against their own rollouts' drift): the latent each predictor step starts
                                from, the encoder's or the step before's prediction, gets Gaussian noise
                                of S times its channel's standard deviation over the batch's cells (of the
                                target encoder's latents, once a batch: no gradient reaches the scale), and
                                the step's prediction is its noisy input plus the predictor's residual, so
                                that the predictor learns to pull
                                a latent that wandered back toward the encoded ones. Training's loss only;
                                its own random stream, so that the batches drawn stay the same
                                (default 0: none) */
    int64_t  capacity;       /* frames in the replay buffer (default 20000) */
    int64_t  val_capacity;   /* frames kept for validation (default 4000) */
    int      val_every;      /* every val_every-th live episode is held out; 0 = none (default 10) */
} JepaTrainerDef;

typedef struct JepaTrainerStats {
    int64_t  steps;          /* optimizer steps done */
    uint64_t version;        /* published version (0 = never published) */
    float    train_loss;     /* exponential average of the steps' prediction losses */
    float    last_loss;      /* the last step's whole loss */
    float    pred_loss;      /* the last step's prediction loss (mean over the R steps) */
    float    appearance_loss;/* the last step's appearance term, weighted (0 without the head) */
    float    event_loss;     /* the last step's event term, weighted (0 without the heads) */
    float    recon_loss;     /* the last step's reconstruction term, weighted (0 without the decoder) */
    float    objness_loss;   /* the last step's objectness term, weighted (0 without it) */
    float    objness_changed;/* the last step's share of the last frames' pixels that changed */
    double   event_pos_weight[2]; /* the heads' weight of a window with a break (ahead, seen; 0 before
                                the first step or without the heads) */
    float    val_loss;       /* last validation prediction loss (NaN before) */
    JepaLatentStats latent;  /* of the last step's z_0 */
    int64_t  frames;         /* frames in the replay buffer */
    int64_t  val_frames;
    int64_t  skipped;        /* steps skipped for a non-finite loss or gradient */
    int64_t  marked_windows;  /* training windows drawn from the marked ones (break_sample or push_sample) */
} JepaTrainerStats;

typedef struct JepaTrainer JepaTrainer;

JepaTrainerDef jepa_trainer_def_default(int frame_w, int frame_h, int channels);
/// start (copied) is the starting model, NULL = a fresh one from def->arch and seed. NULL + one
/// line for an invalid architecture, a start model whose frames differ from def->arch's, or
/// buffers too large for memory
JepaTrainer*   jepa_trainer_create(const JepaTrainerDef* def, const JepaModel* start, char* err,
                                   size_t err_size);
void           jepa_trainer_free(JepaTrainer* tr);          /* NULL-safe */
/// the bytes a trainer of def (start: its starting model, or NULL for a fresh one of def->arch)
/// reserves and a step of it uses, estimated before anything is reserved: its replay buffers, the
/// batch's caches and the weights (not the dataset a caller reads frames from); an upper bound.
/// 0 for an architecture that cannot be built. *latent_size and *probe_width (each may be NULL):
/// the model's jepa_latent_size and jepa_probe_width, floats per window
double         jepa_trainer_step_bytes(const JepaTrainerDef* def, const JepaModel* start, int* latent_size,
                                       int* probe_width);

/// the next frame starts a new episode
void           jepa_trainer_begin_episode(JepaTrainer* tr);
/// one rendered frame (frame_h rows of frame_w pixels of `channels` bytes) and the n pushes
/// applied right after it
void           jepa_trainer_add_frame(JepaTrainer* tr, const uint8_t* frame, const JepaPush* pushes,
                                      int n);

/// one optimizer step; false when there are no windows yet or the step was skipped for
/// non-finite numbers
bool           jepa_trainer_step(JepaTrainer* tr);
/// mean prediction loss over up to max_batches batches of validation windows (every 7th window
/// end, in order; NaN when there are none)
float          jepa_trainer_validate(JepaTrainer* tr, int max_batches);
void           jepa_trainer_publish(JepaTrainer* tr);
/// if a newer version is published, copies it into dst and returns its version; otherwise (or while
/// a publish is in progress) returns have_version without waiting
uint64_t       jepa_trainer_snapshot(JepaTrainer* tr, JepaModel* dst, uint64_t have_version);
void           jepa_trainer_stats(JepaTrainer* tr, JepaTrainerStats* out);

JepaModel*     jepa_trainer_model(JepaTrainer* tr);
JepaReplay*    jepa_trainer_replay(JepaTrainer* tr);
JepaReplay*    jepa_trainer_val_replay(JepaTrainer* tr);
/// saves the working model, the optimizer state (resumable) and the probe (may be NULL) atomically
bool           jepa_trainer_save(JepaTrainer* tr, const Probe* probe, const char* path, char* err,
                                 size_t err_size);
/// restores the optimizer state that jepa_trainer_save wrote (for --resume)
bool           jepa_trainer_load_optimizer(JepaTrainer* tr, const char* path, char* err,
                                           size_t err_size);

/// the whole loss (prediction + regularizer) of the training windows ending at seq[batch] of the
/// training replay, with the working weights; with grad, *grads (when given) points at its gradient
/// [param count]. For tests: the gradient against finite differences
double         jepa_trainer_loss_at(JepaTrainer* tr, const int64_t* seq, bool grad,
                                    const float** grads);
/// the appearance head's parameters (JEPA_APPEAR_Q x arch.latent weights, then JEPA_APPEAR_Q
/// biases) and, after jepa_trainer_loss_at with grad, their gradient; returns their count (0 and
/// NULLs without the head). For tests
int            jepa_trainer_appearance_head(JepaTrainer* tr, float** params, const float** grads);

/// the event heads' parameters as trained (JEPA_EVENT_HEADS (3C + 1): weights then bias, the bias
/// of the class-weighted fit, not yet moved to the base rate) and, after jepa_trainer_loss_at with
/// grad, their gradient; returns their count (0 and NULLs without the heads). For tests
int            jepa_trainer_event_heads(JepaTrainer* tr, float** params, const float** grads);

/// the reconstruction decoder's parameters (P x arch.latent weights, then P biases; P the pixels of a
/// latent cell times the frames' channels) and, after jepa_trainer_loss_at with grad, their
/// gradient; returns their count (0 and NULLs without it). For tests
int            jepa_trainer_recon_decoder(JepaTrainer* tr, float** params, const float** grads);

/// the values the appearance head predicts per cell: the change in each quadrant of the cell
#define JEPA_APPEAR_Q 4

/// the pooled L1 of B predicted latent grids zh against targets zt [B, lh, lw, C] over blocks of P x P
/// cells (JepaTrainerDef.pool_weight): w times the mean over the batch, blocks and channels of the
/// absolute difference of the two blocks' means; adds its gradient to dz (if not NULL)
double jepa_pooled_l1(int B, int lh, int lw, int C, int P, const float* zh, const float* zt, float w, float* dz);

#endif
