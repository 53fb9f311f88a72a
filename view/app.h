/* app: `nudge view` -- the live window (SDL2) and its headless twin.
 *
 * One loop: a fixed 60 Hz control tick driven by an accumulator (never stepping inside drawing),
 * drawing at the display rate. Each tick is one episode_tick (agent/episode.h) with the mouse's
 * action; hooks on the episode predict with the published weights (view/live.h) and feed the
 * trainer. The trainer's driver (model/driver.h) trains on its own thread and publishes the
 * weights; the loop never waits for it. Headless, the same tick runs as fast as possible with the
 * same driver stepped in the loop (a fixed number of optimizer steps per tick, so runs are
 * reproducible), and metrics are printed once per simulated second. */
#ifndef NUDGE_VIEW_APP_H
#define NUDGE_VIEW_APP_H
#include <stdbool.h>
#include <stdint.h>

/// the live replay buffer's default capacity, in transitions (3176 bytes each at 32 slots)
#define VIEW_REPLAY_DEFAULT 200000

typedef struct ViewOptions {
    const char* scenario;     /* a .scn file or a folder; NULL = scenarios/demo/ */
    const char* model_path;   /* start from this checkpoint (NULL = a fresh model) */
    const char* save_path;    /* save the trained model here at exit (NULL = don't) */
    int         agent;        /* -1 = the scenario's; else an ScnAgentKind */
    uint64_t    seed;
    bool        seed_set;     /* else the scenario's default seed */
    int         width, height;/* window or screenshot size, pixels */
    int64_t     frames;       /* > 0: stop after this many frames (headless: control ticks) */
    const char* screenshot;   /* PNG written at the end of a --frames run (or headless run) */
    bool        headless;
    double      seconds;      /* headless: simulated seconds to run (0 = 60, or until frames) */
    bool        train;        /* training on at the start */
    double      train_ratio;  /* headless: optimizer steps per control tick */
    bool        quiet;        /* headless: no metric lines */
    double      episode_seconds; /* > 0: every episode lasts exactly this long (s) */
    bool        repeat;       /* every episode uses the first seed (the same episode again) */
    const char* keys;         /* keys pressed at the start, comma-separated names (view_key_from_name) */
    int         plan_samples; /* the planner's candidates per refinement in the view (default 64) */
    int         plan_iters;   /* its refinements per decision (default 3) */
    const char* record;       /* record the session's action stream here (.nrec), NULL = don't */
    int         hash_every;   /* with record: a world hash every this many ticks (>= 1) */
    const char* video;        /* film what the window shows (MP4, through ffmpeg), NULL = don't */
    int         video_fps;    /* frames per second of the film */
    const char* jepa_path;    /* start the pixel model from this checkpoint, on (NULL = fresh, off) */
    const char* jepa_save;    /* save the pixel model here at exit (NULL = don't) */
    int         pixel_nice;   /* the pixel model's worker thread: this many steps nicer than the window (0..19; -1, the
                                 default: VIEW_PIXEL_NICE in real time, 0 with --frames, whose frames wait for nothing) */
    int64_t     replay;       /* transitions the live replay buffer keeps (default 200000); a tenth
                                 more is held out for validation */
} ViewOptions;

ViewOptions view_options_default(void);
/// runs the view; returns the exit status (0 ok, 2 bad input or no display)
int view_app_run(const ViewOptions* o);

#endif
