/* shape: a body's outline in body coordinates (origin = the body's position as SimBodyState
 * reports it, angle 0), drawn at any pose: the real pose, a predicted one (ghosts), a past one. */
#ifndef NUDGE_RENDER_SHAPE_H
#define NUDGE_RENDER_SHAPE_H
#include <stdbool.h>

#include "sim/world.h"

#define RENDER_SHAPE_POLYS SIM_MAX_PARTS

typedef struct RenderShape {
    bool   circle;                              /* a ball: radius, no polygons */
    double radius;                              /* m */
    int    npolys;                              /* convex pieces (a cup has 3) */
    int    nverts[RENDER_SHAPE_POLYS];
    double verts[RENDER_SHAPE_POLYS][2 * SIM_MAX_VERTS];  /* m, body coordinates */
} RenderShape;

/// the outline of a body from its state (kind, size, outline polygon)
void render_body_shape(const SimBodyState* b, RenderShape* out);
/// piece k placed at pose (x, y, angle): writes nverts[k] world points into out[2 * nverts[k]]
void render_shape_place(const RenderShape* s, int k, double x, double y, double angle, double* out);
/// true if the world point (px, py) is inside the shape placed at (x, y, angle)
bool render_shape_contains(const RenderShape* s, double x, double y, double angle, double px,
                           double py);
/// radius of a circle around the body origin that holds the whole shape (m)
double render_shape_extent(const RenderShape* s);

#endif
