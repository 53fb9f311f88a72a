/* shape: a body's geometry as plain data, with no world and no Chipmunk -- the convex parts of a
 * def, the shape of an observed body (from its observation row alone), and the queries a learned
 * model and an evaluation need: the closest surface point with its signed distance and normal, and
 * how far a shape reaches in a direction.
 *
 * Frames: a def's parts are in its origin frame (the centre of its bounding box at angle 0; for
 * cups the centre of the U). The observation reports dynamic bodies at their centre of mass and
 * static bodies at their origin; sim_obs_shape undoes that difference. Lengths in metres. */
#ifndef NUDGE_SIM_SHAPE_H
#define NUDGE_SIM_SHAPE_H
#include <stdbool.h>

#include "sim/world.h"

/// a body's shape in world coordinates
typedef struct SimShape {
    int     nparts;                 /* convex polygons, counter-clockwise; 0 for a ball */
    SimPart parts[SIM_MAX_PARTS];   /* world coordinates (SimPart's v holds x0 y0 x1 y1 ...) */
    double  cx, cy;                 /* a ball's centre; otherwise the observed point (m) */
    double  radius;                 /* a ball's radius (m); 0 for polygons */
} SimShape;

/// the convex parts of a def in its origin frame (box, plank 1; cup 3; ramp 1; shard 1; ball 0)
int    sim_def_parts(const SimBodyDef* d, SimPart* parts);
/// wall thickness of a cup of w x h (m): a tenth of the smaller side, at least 2 mm, at most a quarter of it
double sim_cup_wall(double w, double h);
/// area (m^2) and area-weighted centroid of n parts (uniform density: the centre of mass)
double sim_parts_centroid(const SimPart* parts, int n, double* cx, double* cy);

/// the shape of a def at its pose (origin x, y and angle), in world coordinates; cx, cy = the origin
void   sim_def_shape(const SimBodyDef* d, SimShape* out);
/// the shape of the body in one observation row (sim/observation.h): kind, size and pose. Shards
/// are approximated by their w x h bounding box in body axes. False for a row with no kind or a
/// non-finite or non-positive size
bool   sim_obs_shape(const float* row, SimShape* out);
/// what sim_obs_shape takes from a row's kind, size and staticness alone: the same for every row of
/// one body, so that a caller shaping the same body tick after tick builds it once
typedef struct SimShapeForm {
    int     kind;                   /* SimKind; -1: no form (a row sim_obs_shape refuses) */
    bool    is_static;
    float   w, h;                   /* the row's size (m) */
    int     nparts;                 /* the def's parts in its origin frame */
    SimPart parts[SIM_MAX_PARTS];
    bool    shift;                  /* observed at the centre of mass (gx, gy), not at the origin */
    double  gx, gy;                 /* origin frame (m) */
} SimShapeForm;
/// the form of an observation row; false (kind -1) for a row sim_obs_shape refuses
bool   sim_obs_form(const float* row, SimShapeForm* out);
/// true when form f serves row (the same kind, size and staticness)
bool   sim_obs_form_fits(const SimShapeForm* f, const float* row);
/// sim_obs_shape with the row's form given (one that fits it): the same shape, bit for bit
bool   sim_obs_shape_form(const float* row, const SimShapeForm* f, SimShape* out);
/// the def (kind, material, size, angle, origin x/y, velocities) that an observation row shows:
/// the material is the table's entry with the row's friction and elasticity (the nearest one).
/// Shards get their bounding box as a 4-vertex polygon. False for a row sim_obs_shape refuses
bool   sim_obs_def(const float* row, SimBodyDef* out);

/// the body an observation row shows, as a state (for drawing bodies that exist only in a model's
/// prediction, such as imagined shards): kind, material (as sim_obs_def), flags, pose, velocity,
/// size, mass and parts in body axes about the observed point; id -1, no name, alive. False for a
/// row sim_obs_shape refuses
bool   sim_obs_body(const float* row, SimBodyState* out);

/// the point q of the shape's surface closest to p = (px, py): returns the signed distance from p to
/// the surface (m, negative inside), and writes q (m) and the unit outward normal at q into out[4] =
/// (qx, qy, nx, ny). For several parts the union is approximated by the part nearest to p
double sim_shape_closest(const SimShape* s, double px, double py, double out[4]);
/// a lower bound of sim_shape_closest(s, px, py, ...)'s distance that costs no division: when p lies
/// outside every part by sim_shape_closest's own test (an edge with p on its outer side), the
/// distance from the centre (cx, cy) less reach, the radius of a circle about the centre that holds
/// the shape (m); -INFINITY otherwise (a part may hold p, or the shape is a ball). Up to the float
/// rounding of the two (1e-12 m or so at the scale of a scene)
double sim_shape_closest_bound(const SimShape* s, double px, double py, double reach);
/// how far the shape reaches from (ox, oy) along the unit direction (dx, dy): max of dot(q - o, d)
/// over the shape's points q (m)
double sim_shape_extent(const SimShape* s, double ox, double oy, double dx, double dy);

/// the shape's axis-aligned bounding box: xmin, ymin, xmax, ymax (m)
void   sim_shape_bounds(const SimShape* s, double box[4]);
/// how deeply two shapes overlap: the shortest distance one must move to come free of the other
/// (m; for several parts, the deepest pair of parts). <= 0 when they do not overlap (then its
/// magnitude is at most their gap)
double sim_shape_penetration(const SimShape* a, const SimShape* b);

#endif
