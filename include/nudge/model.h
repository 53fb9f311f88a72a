/* nudge/model.h: the learned world model and its trainer.
 *
 * A model predicts, from one observation (nudge/world.h: states[K * NUDGE_OBS_DIM], mask[K]) and
 * the pushes applied right after it (pushes[K * NUDGE_PUSH_DIM], zero rows = no push), the
 * observation one control tick later, and the probabilities of three events per body
 * (NUDGE_MODEL_EVENT_*). A rollout chains predictions H ticks ahead.
 *
 * Threads: a NudgeModel holds its weights and the scratch memory of its predictions, so one
 * model handle is used by one thread at a time; load the model once per thread (or
 * nudge_model_clone) to predict from several at once. Bit-reproducible with OPENBLAS_NUM_THREADS=1. */
#ifndef NUDGE_MODEL_H
#define NUDGE_MODEL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nudge/world.h"

#ifdef __cplusplus
extern "C" {
#endif

/// the event heads, in output order: breaks within 0.5 s, in contact next tick, falls within 0.5 s
enum { NUDGE_MODEL_EVENT_BREAK, NUDGE_MODEL_EVENT_CONTACT, NUDGE_MODEL_EVENT_FALL, NUDGE_MODEL_EVENTS };

typedef struct NudgeModel NudgeModel;

/// reads a checkpoint written by `nudge train`, `nudge view --save` or nudge_model_save; NULL + one
/// line for a missing, truncated, corrupted or foreign file. Thread-safe
NudgeModel* nudge_model_load(const char* path, char* err, size_t err_size);
/// a fresh, untrained model of the default architecture for `slots` slots (1 .. 4096), its weights
/// drawn from seed. Thread-safe
NudgeModel* nudge_model_create(int slots, uint64_t seed, char* err, size_t err_size);
/// an independent copy (weights and statistics), for another thread
NudgeModel* nudge_model_clone(const NudgeModel* m);
void        nudge_model_free(NudgeModel* m);            /* NULL-safe */
/// writes the checkpoint atomically (temporary file, fsync, rename); false + one line
bool        nudge_model_save(const NudgeModel* m, const char* path, char* err, size_t err_size);
/// K, the slots its observations have
int         nudge_model_slots(const NudgeModel* m);
/// optimizer steps its weights have seen; its parameter count
int64_t     nudge_model_train_steps(const NudgeModel* m);
int64_t     nudge_model_param_count(const NudgeModel* m);

/// one tick ahead for B observations: states[B*K*D], mask[B*K], pushes[B*K*4] (NULL = no push) ->
/// next_states[B*K*D] (dynamic columns predicted, the rest copied) and event_probs[B*K*3] (may be
/// NULL; 0 for empty and static slots). false + one line for B < 1, a NULL array, a non-finite
/// state or push, or a mask value other than 0 and 1
bool nudge_model_predict(NudgeModel* m, int B, const float* states, const uint8_t* mask,
                         const float* pushes, float* next_states, float* event_probs, char* err,
                         size_t err_size);
/// H ticks ahead for B observations: pushes[B*H*K*4] (row (b, h, k) is applied right after tick h;
/// NULL = none) -> out_states[B*H*K*D] ((b, h) is the state h+1 ticks ahead) and
/// out_events[B*H*K*3] (may be NULL). Never gives NaN (a non-finite prediction freezes that body).
/// false + one line on bad input as for nudge_model_predict, or H outside 1 .. 100000
bool nudge_model_rollout(NudgeModel* m, int B, const float* states, const uint8_t* mask,
                         const float* pushes, int H, float* out_states, float* out_events,
                         char* err, size_t err_size);

/// the model's foresight of events for B observations (what nudge eval's "_foreseen" rows score and
/// the view's labels show): pushes[B*K*4] (NULL = none) applied right after the observation and
/// nothing after -> event_probs[B*K*3], per body the largest break and fall probability over its
/// imagined next 30 ticks (1 for a break where the imagination shatters it) and the contact
/// probability of the next tick; 0 for empty and static slots. false + one line on bad input as for
/// nudge_model_predict
bool nudge_model_foresee(NudgeModel* m, int B, const float* states, const uint8_t* mask,
                         const float* pushes, float* event_probs, char* err, size_t err_size);

/* ---- training ---- */

typedef struct NudgeTrainer NudgeTrainer;

typedef struct NudgeTrainerDef {
    uint32_t size;       /* sizeof(NudgeTrainerDef), as nudge_trainer_def_default sets it */
    int32_t  batch;      /* transitions per optimizer step (default 64) */
    float    lr;         /* AdamW learning rate (default 1e-3) */
    int32_t  reserved;   /* 0 */
    uint64_t seed;       /* initialization of a fresh model, batch sampling, input noise (1) */
    int64_t  capacity;   /* transitions the replay buffer keeps (default 200000) */
} NudgeTrainerDef;

NudgeTrainerDef nudge_trainer_def_default(void);
/// a trainer of a copy of start, or of a fresh model for `slots` slots when start is NULL. NULL +
/// one line for a bad def
NudgeTrainer* nudge_trainer_create(const NudgeTrainerDef* def, const NudgeModel* start, int slots,
                                   char* err, size_t err_size);
/// releases the caller's reference; worlds it watches keep theirs until they are freed. NULL-safe
void          nudge_trainer_free(NudgeTrainer* tr);
/// from the world's next tick on, every tick of w gives the trainer one transition (the
/// observation, the pushes, the events that label breaks and falls); a reset starts a new episode.
/// w holds a reference to tr. false + one line when w's slots are not the model's, its control tick
/// is not the model's step (a model trained on gen --stride K records steps K ticks), or w already
/// feeds 4 trainers. w and tr must then be used from one thread at a time together
bool          nudge_trainer_watch(NudgeTrainer* tr, NudgeWorld* w, char* err, size_t err_size);
/// one optimizer step on a sampled batch: 1 when a step was taken, 0 when the replay buffer holds
/// fewer transitions than a batch or the step was skipped for a non-finite loss
int           nudge_trainer_step(NudgeTrainer* tr);
/// transitions ready for training; the last step's loss (NaN before the first)
int64_t       nudge_trainer_transitions(const NudgeTrainer* tr);
float         nudge_trainer_loss(const NudgeTrainer* tr);
/// copies the trainer's current weights into dst (a model of the same slots): false + one line
bool          nudge_trainer_model(NudgeTrainer* tr, NudgeModel* dst, char* err, size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
