/* jepa_live: the pixel model (model/jepa.h) trained live on the frames a watcher renders (the
 * view), with everything the watcher shows of it computed on the same worker:
 *   - the surprise at every frame: the latent predicted from the window before (and the pushes
 *     between) against the target encoding of the window ending at the frame: the evidence
 *     (jepa_evidence_add) over the grid's mean absolute difference since the last cut, as
 *     agent/surprise_jepa.c scores it;
 *   - a ridge probe (model/probe.h) from the target latent to each slot's position in the frame,
 *     refitted every probe_every training steps on the newest frames' latents and the true
 *     positions the caller gives (fitted on the older four fifths, scored on the newest fifth),
 *     through the rows' Gram matrix (probe_fit_gram: a fraction of a second, so it runs
 *     between two steps without holding the frames up);
 *   - the predicted future: the predictor rolled out from the newest window's latent, read through
 *     the probe at JEPA_LIVE_GHOST_STEPS points up to the horizon (the view's ghost dots), for the
 *     bodies the probe finds where they are in that window (JEPA_LIVE_GHOST_GATE).
 *
 * Threads: the caller (one thread) hands frames in with jepa_live_add and reads what was computed
 * with jepa_live_read; neither waits for a training step. The worker -- a thread of its own
 * (jepa_live_start), or the caller inline (jepa_live_work, reproducible) -- takes the frames in
 * order, feeds them to the trainer, scores them, and trains between them. It owns the trainer and
 * the model. The thread takes the frames that wait when it looks, then makes a training step; of
 * those frames it scores only the newest half second's (the older ones go to the trainer alone, and
 * their surprise stays NaN), so that a worker short of CPU still trains and stays close to the
 * world. A frame that waits behind more than `queue` newer ones is dropped (counted), and the next
 * one starts afresh as after a cut. Inline, every frame is scored (reproducible). Image space only: frames, pushes and positions are in the
 * model's frame pixels (u right, v down). */
#ifndef NUDGE_MODEL_JEPA_LIVE_H
#define NUDGE_MODEL_JEPA_LIVE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/jepa.h"
#include "model/jepa_trainer.h"
#include "model/probe.h"

/// frames of surprise kept for reading (10 s at 60 frames per second)
#define JEPA_LIVE_TRACE 600
/// points of the predicted future per slot: evenly spaced up to the horizon, the last at it
#define JEPA_LIVE_GHOST_STEPS 6
/// pixels (0.22 m at the 71 px/m of 128x96 frames of the demo table): a slot's future is drawn only
/// when the probe finds its body within this distance in the frame the rollout starts from (a slot
/// that another body took since the fit reads garbage)
#define JEPA_LIVE_GHOST_GATE 16.0
/// the longest horizon (frames) the predictor is rolled out to
#define JEPA_LIVE_HORIZON_MAX 120

typedef struct JepaLiveDef {
    JepaTrainerDef train;    /* the trainer (its arch for a fresh model) */
    int  slots;              /* K: positions per frame */
    int  queue;              /* frames waiting for the worker at most (default 240) */
    int  probe_rows;         /* the newest frames the probe is fitted and scored on (default 600) */
    int  probe_every;        /* training steps between refits (default 150); the first as soon as
                                there are probe_rows / 5 rows, the next ones at doubling steps */
    int  ghost_every;        /* frames between rollouts of the predicted future (default 10) */
    int  validate_every;     /* training steps between validations (default 200; 0 = never) */
    int  nice;               /* the worker thread runs this many steps nicer than the thread that
                                starts it (0..19, at most niceness 19; default 0): above 0 it takes
                                the CPU that the window and the state trainer leave */
} JepaLiveDef;

/// one rendered frame and what the caller knows about it
typedef struct JepaLiveFrame {
    int64_t        tick;     /* the caller's clock (increasing): the frame shows the world after it */
    const uint8_t* pixels;   /* frame_h rows of frame_w pixels of `channels` bytes */
    const JepaPush* pushes;  /* the pushes applied between the previous frame and this one */
    int            npushes;
    const float*   pos;      /* [K * 2] each slot's body centre in this frame (pixels) */
    const uint8_t* mask;     /* [K] 1 = slot k holds a dynamic body (its pos is a probe target) */
    bool           cut;      /* no continuity with the previous frame (an intervention, a jump):
                                nothing is predicted or learned across it */
    bool           episode;  /* a new episode starts with this frame (implies cut) */
} JepaLiveFrame;

/// what the worker computed, for the caller
typedef struct JepaLiveRead {
    int64_t  processed;      /* the tick of the newest frame the worker took (-1: none yet) */
    /* surprise by tick: entry i holds tick trace_tick[i] (i = tick % JEPA_LIVE_TRACE) */
    float    trace[JEPA_LIVE_TRACE];         /* NaN: not scored (the window after a cut) */
    uint8_t  trace_cut[JEPA_LIVE_TRACE];     /* the frame came after a cut */
    int64_t  trace_tick[JEPA_LIVE_TRACE];
    /* the predicted future made from the frame of ghost_tick, ghost_h frames ahead at most:
     * ghost[(k * JEPA_LIVE_GHOST_STEPS + i) * 2 + {0, 1}] = slot k's (u, v) at ghost_step[i];
     * ghost_ok[k] = the probe reads slot k and k held a body then (NaN-free) */
    int64_t  ghost_tick;     /* -1: none yet */
    int      ghost_step[JEPA_LIVE_GHOST_STEPS];
    float*   ghost;          /* [K * JEPA_LIVE_GHOST_STEPS * 2] */
    uint8_t* ghost_ok;       /* [K] */
    /* the worker's counters */
    JepaTrainerStats train;
    int64_t  frames;         /* frames taken by the worker */
    int64_t  dropped;        /* frames dropped because the worker fell behind */
    int64_t  naps;           /* the thread's 2 ms naps: no frame came and no step could be made */
    int      probe_fits;     /* refits so far */
    int64_t  probe_step;     /* the training step of the last refit */
    int      probe_rows;     /* rows it was fitted on */
    int      probe_slots;    /* slots it reads */
    double   probe_err_px;   /* its mean position error on the newest fifth of the rows (NaN: none) */
    double   cpu_train, cpu_infer, cpu_probe;   /* worker CPU seconds: training steps, the frames'
                                                   encoding and rollouts, the probe's refits (a
                                                   refit's slots counted as they are done) */
    double   cpu_total;      /* the worker thread's CPU seconds since it started, all of it */
    int      tid;            /* the worker thread's kernel id (0: not started; for /proc) */
} JepaLiveRead;

typedef struct JepaLive JepaLive;

JepaLiveDef jepa_live_def_default(int frame_w, int frame_h, int channels, int slots);
/// start (copied; NULL = a fresh model from def->train) is the starting model and probe (NULL =
/// none until the first refit; it must read this model's latent). NULL + one line when the trainer
/// cannot be made (jepa_trainer_create)
JepaLive* jepa_live_create(const JepaLiveDef* def, const JepaModel* start, const Probe* probe,
                           char* err, size_t err_size);
/// stops the worker thread if it runs; NULL-safe
void      jepa_live_free(JepaLive* L);

/// caller: a frame (copied); never waits for the worker
void      jepa_live_add(JepaLive* L, const JepaLiveFrame* f);
/// caller: the horizon of the predicted future, frames (1..JEPA_LIVE_HORIZON_MAX)
void      jepa_live_set_horizon(JepaLive* L, int frames);
/// caller: copies what the worker published into out (allocated by jepa_live_read_init)
void      jepa_live_read(JepaLive* L, JepaLiveRead* out);
void      jepa_live_read_init(const JepaLive* L, JepaLiveRead* out);
void      jepa_live_read_free(JepaLiveRead* out);

/// the worker, inline: takes every waiting frame, then makes up to `steps` training steps (the
/// probe refitted when its turn comes); returns the steps made. Not while the thread runs
int       jepa_live_work(JepaLive* L, int steps);
/// starts the worker thread (named nudge-pixel): it takes frames as they come and trains between
/// them; false if it cannot start
bool      jepa_live_start(JepaLive* L);
/// ends the worker thread (if started) and waits for it; the caller owns the trainer again
void      jepa_live_stop(JepaLive* L);
/// asks the worker thread to end after what it is doing (a training step at most) without waiting
/// for it (the window does not freeze); jepa_live_stop, jepa_live_start or jepa_live_free join it
void      jepa_live_stop_soon(JepaLive* L);
/// the worker thread runs and was not asked to end
bool      jepa_live_running(const JepaLive* L);

/// a pixel checkpoint for a live start: the model and, when the file holds one, its probe (*probe
/// zeroed otherwise). NULL + one line for a missing, damaged or foreign file (jepa_load's words)
JepaModel* jepa_live_load(const char* path, Probe* probe, char* err, size_t err_size);

/// the trainer (for saving; only while the worker thread is stopped)
JepaTrainer* jepa_live_trainer(JepaLive* L);
/// the newest probe (zeroed before the first refit); only while the worker thread is stopped
const Probe* jepa_live_probe(const JepaLive* L);

#endif
