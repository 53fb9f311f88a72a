/* overlay: the model's predictions drawn over the world: ghost outlines at the horizon, the
 * predicted and the actual paths, the prediction made one horizon ago coloured by its error, and
 * event probability labels; also the imagination of the split view and the help overlay. */
#ifndef NUDGE_VIEW_OVERLAY_H
#define NUDGE_VIEW_OVERLAY_H
#include <stdbool.h>

#include "sim/world.h"
#include "render/camera.h"
#include "render/canvas.h"
#include "view/font.h"
#include "view/live.h"

/// ghost outlines and predicted paths (the Xvfb test looks for this colour)
#define VIEW_GHOST_COLOR render_rgba(180, 50, 230, 255)
/// the actual path
#define VIEW_TRACE_COLOR render_rgba(40, 60, 90, 255)
/// error (m) drawn fully red in the "one horizon ago" outlines
#define VIEW_ERR_RED 0.10
/// event probability from which a label is shown
#define VIEW_LABEL_MIN 0.25

/// draws the predictions of live over the world. bodies[k] is the last known state of the body in
/// slot k (known[k] != 0), for its shape
void view_draw_predictions(RenderCanvas* c, const RenderCamera* cam, const ViewLive* live,
                           const SimBodyState* bodies, const uint8_t* known, ViewFont* font,
                           bool ghosts);
/// draws the imagined world: the static bodies as they are, the imagined dynamic ones filled
void view_draw_imagination(RenderCanvas* c, const RenderCamera* cam, const ViewLive* live,
                           const SimBodyState* bodies, const uint8_t* known);
/// a translucent box listing every key of the key map and the mouse controls
void view_draw_help(RenderCanvas* c, ViewFont* font);

#endif
