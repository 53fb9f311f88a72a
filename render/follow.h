/* follow: a camera that keeps what matters in view (the view's live window, video frames).
 *
 * Each frame gets the world rectangle that must be seen (the live dynamic bodies, the model's
 * ghosts) and the scene's own rectangle (render_scene_rect: the table with room to fall). The
 * camera frames their union with a margin, at the pane's aspect:
 *   - it stays where it is while what must be seen is inside its view and the view is not much
 *     larger than needed (hysteresis: a body wobbling at the edge does not make it jitter);
 *   - otherwise it eases toward the new framing (a time constant of RENDER_FOLLOW_TAU s);
 *   - and whatever the easing, everything that must be seen is inside the view at every frame:
 *     when something would leave it, the view grows at once to keep it (never lags behind).
 * Plain data, no clock: the caller passes the time since the last frame. */
#ifndef NUDGE_RENDER_FOLLOW_H
#define NUDGE_RENDER_FOLLOW_H
#include <stdbool.h>

#include "render/camera.h"

/// easing time constant (s)
#define RENDER_FOLLOW_TAU 0.35
/// margin around what must be seen: this fraction of its size, at least RENDER_FOLLOW_PAD m
#define RENDER_FOLLOW_MARGIN 0.08
#define RENDER_FOLLOW_PAD 0.15
/// the view is left alone while its area is at most this many times the framing's
#define RENDER_FOLLOW_SLACK 2.0

typedef struct RenderFollow {
    bool   init;
    double rect[4];   /* the world rectangle shown now {xmin, ymin, xmax, ymax} (m), at the pane's aspect */
} RenderFollow;

/// a rectangle that holds nothing yet (grow it with render_rect_add)
void render_rect_empty(double r[4]);
/// grows r to hold the square of half-size half (m) around (x, y) (non-finite points are skipped)
void render_rect_add(double r[4], double x, double y, double half);
/// true when r holds something
bool render_rect_valid(const double r[4]);

/// one frame: need = what must be seen (may be empty), base = the scene's rectangle, aspect = the
/// pane's width / height, dt = seconds since the last frame (0 while paused: only the hard rule
/// acts). Updates f->rect
void render_follow_step(RenderFollow* f, const double need[4], const double base[4], double aspect, double dt);
/// the camera that shows f->rect in the pane [x0, x0 + w) x [y0, y0 + h) (pixels)
RenderCamera render_follow_camera(const RenderFollow* f, double x0, double y0, double w, double h);

#endif
