/* shape: a body's outline in body coordinates (origin = the body's position as SimBodyState
 * reports it, angle 0), drawn at any pose: the real pose, a predicted one (ghosts), a past one. */
#ifndef NUDGE_VIEW_SHAPE_H
#define NUDGE_VIEW_SHAPE_H
#include <stdbool.h>

#include "sim/world.h"

#define VIEW_SHAPE_POLYS SIM_MAX_PARTS

typedef struct ViewShape {
    bool   circle;                              /* a ball: radius, no polygons */
    double radius;                              /* m */
    int    npolys;                              /* convex pieces (a cup has 3) */
    int    nverts[VIEW_SHAPE_POLYS];
    double verts[VIEW_SHAPE_POLYS][2 * SIM_MAX_VERTS];  /* m, body coordinates */
} ViewShape;

/// the outline of a body from its state (kind, size, outline polygon)
void view_body_shape(const SimBodyState* b, ViewShape* out);
/// piece k placed at pose (x, y, angle): writes nverts[k] world points into out[2 * nverts[k]]
void view_shape_place(const ViewShape* s, int k, double x, double y, double angle, double* out);
/// true if the world point (px, py) is inside the shape placed at (x, y, angle)
bool view_shape_contains(const ViewShape* s, double x, double y, double angle, double px,
                         double py);
/// radius of a circle around the body origin that holds the whole shape (m)
double view_shape_extent(const ViewShape* s);

#endif
