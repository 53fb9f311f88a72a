/* driver: the one loop that trains a WmTrainer while something else feeds it -- the live view's
 * trainer thread and the headless view both run it. It owns the cadence: publish the weights every
 * publish_every optimizer steps (so the drawing thread sees fresh predictions), validate every
 * validate_every steps, and stop: on a thread it steps until wm_driver_stop, napping while training
 * is off or there is not enough data yet; inline (headless) the caller calls wm_driver_step a fixed
 * number of times per control tick, which keeps runs reproducible.
 *
 * Threads: wm_driver_start runs the steps on a new thread, which then owns the trainer's training
 * side (trainer.h); wm_driver_set_on may be called from any thread. Offline training (`nudge
 * train`) has its own loop (checkpoints, progress bar, time limit). */
#ifndef NUDGE_MODEL_DRIVER_H
#define NUDGE_MODEL_DRIVER_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "model/trainer.h"

typedef struct WmDriverDef {
    int publish_every;       /* optimizer steps between publishes (default 5) */
    int validate_every;      /* optimizer steps between validations (default 200; 0 = never) */
    int validate_batches;    /* batches of the validation buffer per validation (default 4) */
} WmDriverDef;

typedef struct WmDriver {
    WmTrainer*  tr;          /* not owned */
    WmDriverDef def;
    int64_t     steps;       /* optimizer steps this driver made */
    int         unpublished; /* steps since the last publish */
    atomic_bool on;          /* training on: the thread steps only while set */
    atomic_bool quit;
    pthread_t   thread;
    bool        started;
} WmDriver;

WmDriverDef wm_driver_def_default(void);
/// a driver for tr (not owned), training on or off at the start
void wm_driver_init(WmDriver* d, WmTrainer* tr, const WmDriverDef* def, bool on);
/// one optimizer step on this thread, then publish and validate when their turn comes; false when
/// no step was made (not enough data yet, or a skipped non-finite step)
bool wm_driver_step(WmDriver* d);
/// publishes the steps not published yet (if any)
void wm_driver_flush(WmDriver* d);
/// runs wm_driver_step on a new thread until wm_driver_stop; false if the thread cannot start
bool wm_driver_start(WmDriver* d);
/// ends the thread (if started) and publishes its last steps; the caller owns the trainer again
void wm_driver_stop(WmDriver* d);
void wm_driver_set_on(WmDriver* d, bool on);
bool wm_driver_is_on(const WmDriver* d);

#endif
