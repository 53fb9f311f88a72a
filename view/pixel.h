/* pixel: the pixel model (model/jepa_live.h) in the view, beside the state model. J turns it on
 * and off. While on, every control tick renders the world into the model's frames with render/
 * (the same renderer and camera as `nudge gen --frames`: the scene's rectangle), and hands the
 * frame, the tick's pushes in image space and the bodies' true positions in the frame to the
 * pixel model's worker thread, which trains on them, scores its surprise at each frame, refits its
 * probe and rolls its predictor out. The view reads what the worker published: the surprise trace
 * (a panel under the state model's) and the predicted future through the probe, drawn as ghost
 * dots over the world. The worker thread ends when the model is turned off; its weights stay for
 * the next time it is turned on. No SDL: the headless loop and the tests drive it too. */
#ifndef NUDGE_VIEW_PIXEL_H
#define NUDGE_VIEW_PIXEL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/episode.h"
#include "model/jepa_live.h"
#include "render/camera.h"
#include "render/canvas.h"

/// the pixel model's ghost dots and its surprise trace (the Xvfb test looks for this colour)
#define VIEW_PIXEL_COLOR render_rgba(0, 170, 230, 255)
/// a fresh pixel model's frames: 128x96 gray, the size of the offline recipe (README: "The pixel
/// model"), so that a checkpoint trained on `nudge gen --frames 128x96` reads the view's frames
#define VIEW_PIXEL_W 128
#define VIEW_PIXEL_H 96
/// headless: the worker runs inline, one training step every this many control ticks
#define VIEW_PIXEL_HEADLESS_EVERY 4
/* the pixel model's thread runs this many steps nicer than the window's (--pixel-nice): on two
   cores the window then keeps its frame time while three threads are busy (README, bench_view) */
#define VIEW_PIXEL_NICE 10

typedef struct ViewPixel {
    JepaLive*    live;          /* NULL until it is first turned on */
    bool         on;
    bool         threaded;      /* the worker on its own thread (else jepa_live_work inline) */
    JepaModel*   start;         /* --jepa's model, NULL = a fresh one */
    Probe        start_probe;   /* its probe (zeroed when it has none) */
    const char*  start_path;
    uint64_t     seed;
    int          K;
    int          batch;         /* training windows per step */
    int          nice;          /* the worker thread's niceness above the window's (0..19) */
    int          W, H, ch;      /* the model's frames */
    uint8_t*     frame;         /* [H * W * ch] */
    float*       pos;           /* [K * 2] */
    uint8_t*     mask;          /* [K] */
    double       rect[4];       /* the world rectangle the frames show */
    RenderCamera cam;           /* world -> frame pixels (render_world's camera) */
    bool         cut_next;      /* the next frame comes after an intervention */
    bool         episode_next;  /* ... or starts an episode (its rectangle taken then) */
    int64_t      cut_tick;      /* the tick of the last cut: older ghosts are not drawn */
    int64_t      headless_ticks;
    JepaLiveRead read;          /* what the worker published, as last read */
    bool         have_read;
    double       rate_t;        /* wall time of the last rate sample */
    int64_t      rate_steps, rate_frames;
    double       steps_per_s, frames_per_s;
} ViewPixel;

/// jepa_path (may be NULL: a fresh model when first turned on) is a pixel checkpoint to start
/// from; K slots of positions. false + one line for a file that is no pixel model
bool view_pixel_init(ViewPixel* p, const char* jepa_path, uint64_t seed, int K, bool threaded, char* err,
                     size_t err_size);
/* (p->nice may be set before the model is first turned on) */
void view_pixel_free(ViewPixel* p);
/// turns the pixel model on (creating it the first time, starting the worker thread when
/// threaded) or off (the thread ends after its current step, without waiting for it); false + one
/// line when it cannot be made
bool view_pixel_set_on(ViewPixel* p, bool on, char* err, size_t err_size);
/// the next frame starts a new episode, or the world jumped in the history: it is not predicted
/// from the ones before, and the frames' rectangle is taken from the episode then
void view_pixel_begin_episode(ViewPixel* p);
/// after a control tick `tick` of e (the live trace's index): renders the frame and hands it over
/// with the tick's pushes (push_rows[K * 4] as sim_action_add_rows, NULL = none; the push point is
/// the body's centre at the tick's start, e->states, plus its offset) and every dynamic body's
/// position after the tick; intervened: the tick was a grab, a spawn, a release (a cut)
void view_pixel_tick(ViewPixel* p, const Episode* e, const float* push_rows, bool intervened, int64_t tick);
/// headless: the worker inline, a step every VIEW_PIXEL_HEADLESS_EVERY calls (one per control tick)
void view_pixel_work(ViewPixel* p);
/// the ghost horizon (control ticks)
void view_pixel_set_horizon(ViewPixel* p, int ticks);
/// reads what the worker published; now = wall time, for the rates (steps and frames per second)
void view_pixel_sync(ViewPixel* p, double now);
/// the surprise of the n ticks up to `now` (exclusive), oldest first, aligned with the state
/// model's trace: out[n] (NaN: not scored yet or not at all), marks[n] (a cut)
void view_pixel_trace(const ViewPixel* p, int64_t now, int n, float* out, uint8_t* marks);
/// the ghost dots: each body's predicted future through the probe, dots growing toward the horizon
void view_pixel_draw(RenderCanvas* c, const RenderCamera* cam, const ViewPixel* p);
/// the predicted position of slot k at the horizon in world coordinates; false when there is none
bool view_pixel_ghost(const ViewPixel* p, int k, double* x, double* y);
/// saves the pixel model (with its probe) to path; false + one line (also when it was never on)
bool view_pixel_save(ViewPixel* p, const char* path, char* err, size_t err_size);

#endif
