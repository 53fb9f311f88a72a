/* draw_world: a SimWorld drawn into a canvas through a camera (used by the offscreen renderer
 * and by the window, so both show the same picture). */
#ifndef NUDGE_VIEW_DRAW_WORLD_H
#define NUDGE_VIEW_DRAW_WORLD_H
#include <stdbool.h>

#include "sim/world.h"
#include "view/camera.h"
#include "view/canvas.h"

/// the background every frame starts from
#define VIEW_BACKGROUND view_rgba(236, 240, 244, 255)

/// a body's fill: its material colour, darker for static bodies, lighter for shards
ViewColor view_body_color(const SimBodyState* b);

/// draws one body's outline shape at pose (x, y, angle) (m, rad): filled with fill (skipped when
/// fill.a == 0), edged with edge at edge_px pixels (skipped when edge_px <= 0), dashed if dash > 0
void view_draw_body(ViewCanvas* c, const ViewCamera* cam, const SimBodyState* b, double x,
                    double y, double angle, ViewColor fill, ViewColor edge, double edge_px,
                    double dash);

/// every live body, static ones first, then dynamic ones in id order
void view_draw_world(ViewCanvas* c, const ViewCamera* cam, const SimWorld* w);

/// contact points (dots) and impulses (lines, length proportional to the impulse) from
/// Chipmunk's arbiters; px_per_ns = pixels per N*s of impulse
void view_draw_contacts(ViewCanvas* c, const ViewCamera* cam, SimWorld* w, double px_per_ns);

#endif
