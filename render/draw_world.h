/* draw_world: a SimWorld drawn into a canvas through a camera (used by the offscreen renderer
 * and by the window, so both show the same picture). */
#ifndef NUDGE_RENDER_DRAW_WORLD_H
#define NUDGE_RENDER_DRAW_WORLD_H
#include <stdbool.h>

#include "sim/world.h"
#include "render/camera.h"
#include "render/canvas.h"

/// the background every frame starts from
#define RENDER_BACKGROUND render_rgba(236, 240, 244, 255)

/// a body's fill: its material colour, darker for static bodies, lighter for shards
RenderColor render_body_color(const SimBodyState* b);

/// draws one body's outline shape at pose (x, y, angle) (m, rad): filled with fill (skipped when
/// fill.a == 0), edged with edge at edge_px pixels (skipped when edge_px <= 0), dashed if dash > 0
void render_draw_body(RenderCanvas* c, const RenderCamera* cam, const SimBodyState* b, double x,
                      double y, double angle, RenderColor fill, RenderColor edge, double edge_px,
                      double dash);

/// every live body, static ones first, then dynamic ones in id order
void render_draw_world(RenderCanvas* c, const RenderCamera* cam, const SimWorld* w);
/// the width of the outline render_world_frame's outline draws, pixels
#define RENDER_OUTLINE_PX 1.0
/// render_draw_world with every dynamic body edged at least dynamic_edge_px pixels wide (its fill
/// at 0.6, as the edges the window draws at 120 px/m and more), at any scale. In a small frame a body
/// of a pale material (ice: luma 228 on a background of 239) is then a dark ring, and the static
/// scenery, never outlined, does not look like a body. 0 is render_draw_world
void render_draw_world_outlined(RenderCanvas* c, const RenderCamera* cam, const SimWorld* w,
                                double dynamic_edge_px);

/// contact points (dots) and impulses (lines, length proportional to the impulse) of the pairs
/// touching after the last step (sim_world_contacts); px_per_ns = pixels per N*s of impulse
void render_draw_contacts(RenderCanvas* c, const RenderCamera* cam, const SimWorld* w,
                          double px_per_ns);

#endif
