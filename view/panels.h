/* panels: the view's plots and numbers, drawn into the canvas beside the world:
 * training loss (train and validation), live error against horizon (model and constant-velocity
 * baseline), the surprise trace, and the stats (FPS, simulated time, updates, transitions). */
#ifndef NUDGE_VIEW_PANELS_H
#define NUDGE_VIEW_PANELS_H
#include <stdbool.h>
#include <stdint.h>

#include "agent/planner.h"
#include "render/canvas.h"
#include "view/font.h"
#include "view/live.h"

/// every panel's background (the Xvfb test looks for it)
#define VIEW_PANEL_BG render_rgba(250, 250, 246, 255)
/// loss points kept for the loss plot
#define VIEW_LOSS_POINTS 512

typedef struct ViewSeries {
    const float*   y;       /* n values (NaN = gap) */
    int            n;
    RenderColor    color;
    const char*    label;
    const uint8_t* marks;   /* n flags or NULL: a vertical line where set (an intervention) */
} ViewSeries;

/// the vertical lines that mark interventions in the traces
#define VIEW_MARK_COLOR render_rgba(175, 175, 190, 255)

typedef struct ViewPlot {
    int         x, y, w, h;   /* pixels */
    const char* title;
    bool        log_y;        /* log10 axis (values <= 0 skipped) */
    const char* x_left;       /* axis labels under the left and right ends (may be NULL) */
    const char* x_right;
    const char* unit;         /* after the y labels, e.g. "m" */
    bool        symlog;       /* sign(v) log10(1 + |v|) axis: one spike of 1000 leaves values of 1-25
                                 readable beside it (ignored with log_y) */
    const char* ref_label;    /* when set, a reference line at y = ref, labelled at its right end */
    double      ref;
} ViewPlot;

/// a framed line chart of ns series sharing a y range (from the data); series with x spread
/// evenly over the width
void view_plot_draw(RenderCanvas* c, ViewFont* font, const ViewPlot* p, const ViewSeries* s, int ns);

typedef struct ViewStats {
    double   fps;              /* frames per second (headless: control ticks per second) */
    bool     headless;
    double   sim_time;         /* s */
    int64_t  updates;          /* optimizer steps */
    double   updates_per_s;
    double   samples_per_s;
    int64_t  transitions;      /* trainable transitions in the replay buffer */
    int64_t  ticks_seen;       /* transitions streamed in */
    uint64_t version;          /* published weights */
    bool     training;
    float    train_loss, val_loss;
} ViewStats;

/// the pixel model's panel (view/pixel.h): its surprise trace, aligned with the state model's, and
/// its worker's figures
typedef struct ViewPixelPanel {
    const float*   trace;          /* VIEW_TRACE values, the same ticks as the state model's trace */
    const uint8_t* marks;          /* VIEW_TRACE: a cut (an intervention, a new episode) */
    int64_t        steps;          /* training steps */
    double         steps_per_s;
    double         windows_per_s;  /* training windows per second (steps/s x batch) */
    double         frames_per_s;   /* frames the worker took per second */
    int64_t        lag;            /* control ticks the worker is behind the world */
    int64_t        dropped;        /* frames dropped because it fell behind */
    double         probe_err_px;   /* the probe's error on the newest frames it was not fitted on (NaN: none) */
    int            probe_slots;
} ViewPixelPanel;

typedef struct ViewLossLog {
    float train[VIEW_LOSS_POINTS], val[VIEW_LOSS_POINTS];
    int   n;                   /* points held (the oldest are dropped by halving) */
    int   every;               /* samples per point now */
    int   pending;
} ViewLossLog;

/// adds a loss sample; the log keeps its whole history by averaging neighbours when it fills
void view_loss_log_add(ViewLossLog* log, float train, float val);

/// draws the panels stacked in the rectangle (x, y, w, h); with a planner (may be NULL) the
/// planner's panel too (view/plan_view.h), for the world now; with the pixel model on (px not NULL)
/// its surprise trace under the state model's and a line of its figures
void view_panels_draw(RenderCanvas* c, ViewFont* font, int x, int y, int w, int h,
                      const ViewLossLog* loss, const ViewLive* live, const ViewStats* st,
                      const Planner* planner, const SimWorld* world, const ViewPixelPanel* px);

#endif
