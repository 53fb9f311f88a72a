/* session: the state of a `nudge view` run without the window: the scenario and its episode, the
 * trainer and its driver, the published weights, the live predictions, the mouse's push, grab and
 * spawn, the camera, and the frame drawing (world, predictions, panels) into a canvas. The SDL loop
 * (view/app.c) and the headless loop drive it.
 *
 * The session changes the world only through the episode's action stream: the mouse's pushes,
 * grab, release and spawns, and resets (R, the end of an episode) become the external action of
 * the next episode_tick (agent/episode.h); the live predictions and the trainer watch the ticks
 * through hooks on the episode. */
#ifndef NUDGE_VIEW_SESSION_H
#define NUDGE_VIEW_SESSION_H
#include <stdbool.h>
#include <stdint.h>

#include "agent/episode.h"
#include "agent/episode_feed.h"
#include "agent/history.h"
#include "agent/recording.h"
#include "model/driver.h"
#include "model/trainer.h"
#include "render/camera.h"
#include "render/canvas.h"
#include "render/follow.h"
#include "sim/action.h"
#include "sim/observation.h"
#include "view/app.h"
#include "view/font.h"
#include "view/input.h"
#include "view/live.h"
#include "view/panels.h"
#include "view/pixel.h"
#include "view/plan_view.h"

#define VIEW_SLOTS SIM_OBS_SLOTS
#define VIEW_TICK_DT (1.0 / 60.0)
#define VIEW_MAX_SCENES 256
/// s a goal set with the mouse gives the planner (from the moment it is set, or the episode's start)
#define VIEW_GOAL_SECONDS 3.0

/// mouse buttons as the session reads them
enum { VIEW_BUTTON_LEFT = 1, VIEW_BUTTON_MIDDLE = 2, VIEW_BUTTON_RIGHT = 3,
       VIEW_BUTTON_GOAL = 4 /* Shift + left: drag from a body to a place sets its goal region */ };
/// an episode resets on its own after everything has been settled or fallen this long (s)...
#define VIEW_DONE_AFTER 3.0
/// ...or at this age (s); never while the agent is none, auto-reset is off (E), or within
/// VIEW_QUIET s of a person's push, grab, spawn or jump in the history
#define VIEW_EPISODE_MAX 30.0
#define VIEW_QUIET 5.0

/// how the camera frames the scene: following what moves (and the ghosts), fixed on the scene's
/// rectangle (F), or where the wheel put it
typedef enum ViewCamMode { VIEW_CAM_FOLLOW, VIEW_CAM_FIT, VIEW_CAM_USER } ViewCamMode;

typedef struct ViewSession {
    ViewOptions o;
    /* scenarios: the folder being browsed (N/P) and the demo folder (1-9) */
    char*     scenes[VIEW_MAX_SCENES];
    int       nscenes, cur;
    char*     demos[9];
    int       ndemos;
    Scenario* scn;
    char      scn_label[128];
    Episode   ep;
    bool      have_ep;
    uint64_t  base_seed;
    int64_t   episodes;           /* episodes begun (the next one uses base_seed + episodes) */
    double    done_time;          /* s everything has been settled or fallen */
    /* model */
    WmTrainer*  tr;
    WmDriver    driver;           /* trains tr: on its own thread, or inline when headless */
    EpisodeFeed feed;             /* the episode's ticks into tr */
    WmModel*    rm;               /* the render thread's copy of the published weights */
    WmScratch*  rs;
    uint64_t    version;
    int         batch;
    /* the pixel model (J): trained live on the rendered frames beside the state model */
    ViewPixel   pixel;
    /* live predictions and the last known body of each slot */
    ViewLive     live;
    SimBodyState bodies[VIEW_SLOTS];
    uint8_t      known[VIEW_SLOTS];
    int          live_bodies;     /* bodies in the last tick's observation */
    int64_t      ticks_seen;
    /* toggles */
    bool   paused, ghosts, split, contacts, help;
    bool   panels;                /* the panels beside the scene (I) */
    bool   auto_reset;            /* episodes reset on their own (A); off while the agent is none */
    bool   auto_reset_set;        /* the person chose it: a new scenario keeps the choice */
    double slow;
    ViewPaletteItem palette;
    int64_t spawned;              /* bodies spawned from the palette (they are named box1, ball2, ...) */
    int64_t human_tick;           /* ticks_seen at a person's last push, grab, spawn or jump; -1 = never */
    /* history (going back: `,`, the scrub bar) and the recording */
    History*   hist;
    RecWriter* rec;
    bool       scrubbing;         /* the mouse drags the scrub bar */
    /* camera: follows what moves, in the visible scene area (the window minus the panels, the
     * status lines and the scrub bar); split view: each pane frames the same region */
    ViewCamMode  cam_mode;
    RenderCamera cam;             /* the single view's camera (VIEW_CAM_USER: the wheel's) */
    RenderFollow follow, follow_split;
    double     fit_rect[4];       /* the scene's rectangle (render_scene_rect) */
    int        world_w;           /* pixels of the world area (left of the panels) */
    int        scene_top, scene_bottom; /* pixels: the visible scene area is [0, world_w) x [top, bottom) */
    double     frame_dt;          /* s since the last frame: the camera's easing (the loop sets it) */
    /* mouse (screen pixels) */
    double  mx, my;
    bool    mouse_in;
    int     drag_id;              /* left drag: body being pushed, -1 = none */
    double  drag_local[2];
    int     grab_id;              /* right drag: the body the hand should hold, -1 = none */
    double  grab_local[2];        /* where it was taken: body frame about its centre of mass */
    SimAction pending;            /* the mouse's push, spawn, release for the next tick */
    int     goal_id;              /* Shift-drag: the body a goal region is being set for, -1 = none */
    /* the planner (A cycles the agent: none, random, planner; it imagines with the live model) */
    ScnGoal user_goal;            /* the goal the mouse set, kept across resets of this scenario */
    bool    have_user_goal;
    /* drawing */
    ViewFont*   font;
    ViewLossLog loss;
    double      fps;
    double      rate_t;           /* wall time of the last rate sample */
    int64_t     rate_steps;
    double      updates_per_s;
    char        message[256];     /* a line shown in the status bar (e.g. a bad dropped file) */
    double      message_until;
} ViewSession;

/// loads the scenario list and the first scenario, creates the trainer (thread when threaded);
/// false + one line in err on bad input
bool view_session_init(ViewSession* s, const ViewOptions* o, bool threaded, char* err,
                       size_t err_size);
void view_session_free(ViewSession* s);
/// loads a scenario file (starting a new episode); false + one line on bad input (kept as is)
bool view_session_load(ViewSession* s, const char* path, char* err, size_t err_size);
/// the next episode of the current scenario (re-randomized with the next seed): a reset tick now
void view_session_reset(ViewSession* s);
/// one control tick: the mouse's action through episode_tick (the hooks predict and feed the
/// trainer), then the end-of-episode check
void view_session_tick(ViewSession* s);
/// turns the pixel model on or off (J): says so in the status line and on stdout ("pixel model:
/// on|off, N steps, M frames"); false + the reason in the status line when it cannot be made
bool view_session_pixel(ViewSession* s, bool on);
/// takes the newest published weights if any (never waits)
void view_session_sync_weights(ViewSession* s);
/// samples the trainer's stats for the panels (call a few times a second)
void view_session_sample_stats(ViewSession* s, double now);
/// an action from the key map (arg: the demo number)
void view_session_action(ViewSession* s, ViewAction act, int arg);
/// mouse: VIEW_BUTTON_*; down/up at screen (x, y)
void view_session_mouse_down(ViewSession* s, int button, double x, double y);
void view_session_mouse_up(ViewSession* s, int button, double x, double y);
void view_session_mouse_move(ViewSession* s, double x, double y);
void view_session_wheel(ViewSession* s, double steps);
/// the camera of a pane (0: the single view or the left half of the split view, 1: the right half)
RenderCamera view_session_camera(const ViewSession* s, int which);
/// the visible scene area of a pane in pixels {x0, y0, x1, y1}: the window minus the panels, the
/// status lines and the scrub bar (each half of it in split view)
void view_session_scene_area(const ViewSession* s, int which, double out[4]);
/// lays the frame out for a w x h canvas and moves the camera (dt = seconds since the last frame);
/// view_session_draw calls it
void view_session_layout(ViewSession* s, int w, int h, double dt);
/// puts the world at tick `tick` of the history and pauses; false + a message when it is not kept
bool view_session_seek(ViewSession* s, int64_t tick);
/// writes the current episode as a scenario file (a regression test) to path (NULL: a name from
/// the time in the working folder); false + a message in the status line
bool view_session_write_scn(ViewSession* s, const char* path, char* out, size_t out_size);
/// draws the whole frame into c (world, predictions, panels, help)
void view_session_draw(ViewSession* s, RenderCanvas* c);
/// a new file name in the working folder from the time: nudge-YYYYmmdd-HHMMSS.EXT (-2, -3, ...
/// when taken)
void view_file_name(char* out, size_t n, const char* ext);
/// a one-line status message for a few seconds
void view_session_say(ViewSession* s, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
