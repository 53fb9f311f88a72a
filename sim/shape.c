/* shape: a body's convex parts from its def or its observation row, closest surface points and
 * extents -- pure geometry, no world, no Chipmunk */
#include "sim/shape.h"

#include <math.h>
#include <string.h>

#include "sim/materials.h"
#include "sim/observation.h"

/* ---- a def's parts, in its origin frame ---- */

static void rect_part(SimPart* p, double cx, double cy, double w, double h) {
    double x0 = cx - w / 2, x1 = cx + w / 2, y0 = cy - h / 2, y1 = cy + h / 2;
    p->n = 4;
    double v[8] = {x0, y0, x1, y0, x1, y1, x0, y1};
    memcpy(p->v, v, sizeof v);
}

double sim_cup_wall(double w, double h) {
    /* a tenth of the smaller side, at least 2 mm; but at most a quarter of it, so that a cup a few
     * millimetres small still has walls and a bottom of positive area (a wall as thick as the cup
     * is high would have none, and no mass to turn with) */
    double s = fmin(w, h), t = 0.1 * s;
    t = t < 0.002 ? 0.002 : t;
    return t > 0.25 * s ? 0.25 * s : t;
}

int sim_def_parts(const SimBodyDef* d, SimPart* parts) {
    switch (d->kind) {
    case SIM_KIND_BOX:
    case SIM_KIND_PLANK:
        rect_part(&parts[0], 0, 0, d->w, d->h);
        return 1;
    case SIM_KIND_CUP: {
        double t = sim_cup_wall(d->w, d->h);
        rect_part(&parts[0], 0, -d->h / 2 + t / 2, d->w, t);                 /* bottom */
        rect_part(&parts[1], -d->w / 2 + t / 2, t / 2, t, d->h - t);          /* left wall */
        rect_part(&parts[2], d->w / 2 - t / 2, t / 2, t, d->h - t);           /* right wall */
        return 3;
    }
    case SIM_KIND_RAMP: {
        parts[0].n = 3;
        double v[6] = {-d->w / 2, -d->h / 2, d->w / 2, -d->h / 2, d->w / 2, d->h / 2};
        memcpy(parts[0].v, v, sizeof v);
        return 1;
    }
    case SIM_KIND_SHARD:
        parts[0].n = d->nverts;
        memcpy(parts[0].v, d->verts, sizeof(double) * 2 * (size_t)d->nverts);
        return 1;
    case SIM_KIND_BALL:
    case SIM_KIND_COUNT:
        break;
    }
    return 0;
}

double sim_parts_centroid(const SimPart* parts, int n, double* cx, double* cy) {
    double area = 0, x = 0, y = 0;
    for (int p = 0; p < n; p++) {
        const double* v = parts[p].v;
        for (int i = 0; i < parts[p].n; i++) {
            int j = (i + 1) % parts[p].n;
            double c = v[2 * i] * v[2 * j + 1] - v[2 * j] * v[2 * i + 1];
            area += c;
            x += (v[2 * i] + v[2 * j]) * c;
            y += (v[2 * i + 1] + v[2 * j + 1]) * c;
        }
    }
    *cx = fabs(area) > 1e-18 ? x / (3 * area) : 0;
    *cy = fabs(area) > 1e-18 ? y / (3 * area) : 0;
    return fabs(area) / 2;
}

/* ---- an observed body ---- */

static int obs_kind(const float* row) {
    for (int k = 0; k < SIM_KIND_COUNT; k++)
        if (row[SIM_OBS_kind_box + k] > 0.5f) return k;
    return -1;
}

/* the def an observation row shows (but its angle: the rotation of its pose is given instead) */
/* a row's rotation straight from its cos and sin (normalized), not through the angle */
static void row_rotation(const float* row, double* ca, double* sa) {
    double c = row[SIM_OBS_cos], sn = row[SIM_OBS_sin], l = sqrt(c * c + sn * sn);
    *ca = l > 0 ? c / l : 1;
    *sa = l > 0 ? sn / l : 0;
}

/* a body observed at its centre of mass (gx, gy in its origin frame) stepped back to its origin */
static void to_origin(double gx, double gy, double ca, double sa, double* x, double* y) {
    *x -= ca * gx - sa * gy;
    *y -= sa * gx + ca * gy;
}

static bool obs_def(const float* row, SimBodyDef* d, double* ca, double* sa) {
    int kind = obs_kind(row);
    double w = row[SIM_OBS_size_w], h = row[SIM_OBS_size_h];
    if (kind < 0 || !(w > 0) || !(h > 0) || !isfinite(w) || !isfinite(h) || !isfinite(row[SIM_OBS_x]) ||
        !isfinite(row[SIM_OBS_y]) || !isfinite(row[SIM_OBS_cos]) || !isfinite(row[SIM_OBS_sin]))
        return false;
    memset(d, 0, sizeof *d);
    d->kind = (SimKind)kind;
    d->w = w;
    d->h = h;
    d->is_static = row[SIM_OBS_is_static] > 0.5f;
    row_rotation(row, ca, sa);
    if (kind == SIM_KIND_SHARD) {
        /* the shard's own polygon is not observed: its bounding box in body axes */
        d->nverts = 4;
        double v[8] = {-w / 2, -h / 2, w / 2, -h / 2, w / 2, h / 2, -w / 2, h / 2};
        memcpy(d->verts, v, sizeof v);
    }
    /* dynamic bodies are observed at their centre of mass: step back to the origin */
    d->x = row[SIM_OBS_x];
    d->y = row[SIM_OBS_y];
    if (!d->is_static && (kind == SIM_KIND_CUP || kind == SIM_KIND_RAMP)) {
        /* (boxes, planks and shards' boxes are centred on their centre of mass) */
        SimPart parts[SIM_MAX_PARTS];
        double gx, gy;
        sim_parts_centroid(parts, sim_def_parts(d, parts), &gx, &gy);
        to_origin(gx, gy, *ca, *sa, &d->x, &d->y);
    }
    return true;
}

bool sim_obs_def(const float* row, SimBodyDef* out) {
    double ca, sa;
    if (!obs_def(row, out, &ca, &sa)) return false;
    out->angle = atan2(row[SIM_OBS_sin], row[SIM_OBS_cos]);
    /* the material whose friction and elasticity the row carries (the nearest entry) */
    int best = 0;
    double bd = INFINITY;
    for (int i = 0; i < sim_material_count(); i++) {
        const SimMaterial* m = sim_material_get(i);
        double df = m->friction - row[SIM_OBS_friction], de = m->elasticity - row[SIM_OBS_elasticity];
        if (df * df + de * de < bd) bd = df * df + de * de, best = i;
    }
    out->material = best;
    out->vx = row[SIM_OBS_vx];
    out->vy = row[SIM_OBS_vy];
    out->omega = row[SIM_OBS_omega];
    return true;
}

bool sim_obs_body(const float* row, SimBodyState* out) {
    SimBodyDef d;
    if (!sim_obs_def(row, &d)) return false;
    memset(out, 0, sizeof *out);
    out->id = -1;
    out->parent = -1;
    out->kind = d.kind;
    out->material = d.material;
    out->is_static = d.is_static;
    out->alive = true;
    out->breakable = row[SIM_OBS_breakable] > 0.5f;
    out->x = out->x0 = row[SIM_OBS_x];
    out->y = out->y0 = row[SIM_OBS_y];
    out->angle = d.angle;
    out->vx = d.vx;
    out->vy = d.vy;
    out->omega = d.omega;
    out->w = d.w;
    out->h = d.h;
    out->mass = row[SIM_OBS_mass];
    if (d.kind == SIM_KIND_BALL) {
        out->radius = 0.5 * d.w;
        return true;
    }
    /* parts about the observed point: the centre of mass of a dynamic body, a static one's origin */
    out->nparts = sim_def_parts(&d, out->parts);
    double gx = 0, gy = 0;
    if (!d.is_static) sim_parts_centroid(out->parts, out->nparts, &gx, &gy);
    for (int p = 0; p < out->nparts; p++)
        for (int i = 0; i < out->parts[p].n; i++) {
            out->parts[p].v[2 * i] -= gx;
            out->parts[p].v[2 * i + 1] -= gy;
        }
    return true;
}

/* a def's shape with its rotation given */
/* out's parts = src's (in the body's origin frame) turned by (ca, sa) and moved to (x, y); src may
 * be out->parts */
static void place_parts(const SimPart* src, int n, double x, double y, double ca, double sa, SimShape* out) {
    out->nparts = n;
    for (int p = 0; p < n; p++) {
        const double* u = src[p].v;
        double* v = out->parts[p].v;
        out->parts[p].n = src[p].n;
        for (int i = 0; i < src[p].n; i++) {
            double ux = u[2 * i], uy = u[2 * i + 1];
            v[2 * i] = x + ca * ux - sa * uy;
            v[2 * i + 1] = y + sa * ux + ca * uy;
        }
    }
}

static void place_shape(const SimBodyDef* d, double ca, double sa, SimShape* out) {
    out->cx = d->x;
    out->cy = d->y;
    out->radius = 0;
    out->nparts = 0;
    if (d->kind == SIM_KIND_BALL) {
        out->radius = 0.5 * d->w;
        return;
    }
    place_parts(out->parts, sim_def_parts(d, out->parts), d->x, d->y, ca, sa, out);
}

void sim_def_shape(const SimBodyDef* d, SimShape* out) {
    place_shape(d, cos(d->angle), sin(d->angle), out);
}

bool sim_obs_form(const float* row, SimShapeForm* out) {
    SimBodyDef d;
    double ca, sa;
    out->kind = -1;
    if (!obs_def(row, &d, &ca, &sa)) return false;
    out->kind = (int)d.kind;
    out->is_static = d.is_static;
    out->w = row[SIM_OBS_size_w];
    out->h = row[SIM_OBS_size_h];
    out->nparts = d.kind == SIM_KIND_BALL ? 0 : sim_def_parts(&d, out->parts);
    /* (as obs_def steps a dynamic cup or ramp back from its centre of mass to its origin) */
    out->shift = !d.is_static && (d.kind == SIM_KIND_CUP || d.kind == SIM_KIND_RAMP);
    out->gx = out->gy = 0;
    if (out->shift) sim_parts_centroid(out->parts, out->nparts, &out->gx, &out->gy);
    return true;
}

bool sim_obs_form_fits(const SimShapeForm* f, const float* row) {
    return f->kind >= 0 && obs_kind(row) == f->kind && (row[SIM_OBS_is_static] > 0.5f) == f->is_static &&
           row[SIM_OBS_size_w] == f->w && row[SIM_OBS_size_h] == f->h;
}

bool sim_obs_shape_form(const float* row, const SimShapeForm* f, SimShape* out) {
    /* obs_def's checks of the pose, and its arithmetic */
    if (f->kind < 0 || !isfinite(row[SIM_OBS_x]) || !isfinite(row[SIM_OBS_y]) || !isfinite(row[SIM_OBS_cos]) ||
        !isfinite(row[SIM_OBS_sin]))
        return false;
    double ca, sa, x = row[SIM_OBS_x], y = row[SIM_OBS_y];
    row_rotation(row, &ca, &sa);
    if (f->shift) to_origin(f->gx, f->gy, ca, sa, &x, &y);
    /* place_shape's */
    out->cx = row[SIM_OBS_x];
    out->cy = row[SIM_OBS_y];
    out->radius = 0;
    out->nparts = 0;
    if (f->kind == SIM_KIND_BALL) {
        out->radius = 0.5 * (double)f->w;
        return true;
    }
    place_parts(f->parts, f->nparts, x, y, ca, sa, out);
    return true;
}

bool sim_obs_shape(const float* row, SimShape* out) {
    SimBodyDef d;
    double ca, sa;
    if (!obs_def(row, &d, &ca, &sa)) return false;
    place_shape(&d, ca, sa, out);
    out->cx = row[SIM_OBS_x];
    out->cy = row[SIM_OBS_y];
    return true;
}

/* ---- queries ---- */

/* signed distance from p to one convex counter-clockwise polygon; q and the outward normal */
static double part_closest(const SimPart* part, double px, double py, double out[4]) {
    const double* v = part->v;
    int n = part->n;
    double best = INFINITY, edge_nx = 0, edge_ny = 1, best_ex = 0, best_ey = 0, best_len2 = 0;
    bool inside = true;
    for (int i = 0; i < n; i++) {
        int j = i + 1 < n ? i + 1 : 0; /* ((i + 1) % n without a division) */
        double ax = v[2 * i], ay = v[2 * i + 1], ex = v[2 * j] - ax, ey = v[2 * j + 1] - ay;
        double len2 = ex * ex + ey * ey;
        if (len2 <= 0) continue;
        /* the outward normal of a counter-clockwise edge is (ey, -ex) */
        if (ex * (py - ay) - ey * (px - ax) < 0) inside = false;
        double t = ((px - ax) * ex + (py - ay) * ey) / len2;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double qx = ax + t * ex, qy = ay + t * ey;
        double d2 = (px - qx) * (px - qx) + (py - qy) * (py - qy);
        if (d2 < best) {
            best = d2;
            out[0] = qx;
            out[1] = qy;
            best_ex = ex, best_ey = ey, best_len2 = len2;
        }
    }
    /* the closest edge's normal (one square root, not one per closer edge) */
    if (best_len2 > 0) {
        double l = sqrt(best_len2);
        edge_nx = best_ey / l;
        edge_ny = -best_ex / l;
    }
    double dist = sqrt(best);
    if (!inside && dist > 1e-12) {
        out[2] = (px - out[0]) / dist;
        out[3] = (py - out[1]) / dist;
    } else {
        out[2] = edge_nx;
        out[3] = edge_ny;
    }
    return inside ? -dist : dist;
}

double sim_shape_closest(const SimShape* s, double px, double py, double out[4]) {
    if (s->nparts == 0) {
        double dx = px - s->cx, dy = py - s->cy, l = sqrt(dx * dx + dy * dy);
        double nx = l > 1e-12 ? dx / l : 0, ny = l > 1e-12 ? dy / l : 1;
        out[0] = s->cx + s->radius * nx;
        out[1] = s->cy + s->radius * ny;
        out[2] = nx;
        out[3] = ny;
        return l - s->radius;
    }
    double best = INFINITY;
    for (int p = 0; p < s->nparts; p++) {
        double o[4];
        double d = part_closest(&s->parts[p], px, py, o);
        if (d < best) {
            best = d;
            memcpy(out, o, sizeof o);
        }
    }
    return best;
}

/* part_closest's inside test alone: p lies on the outer side of one of the part's edges */
static bool part_outside(const SimPart* part, double px, double py) {
    const double* v = part->v;
    int n = part->n;
    for (int i = 0; i < n; i++) {
        int j = i + 1 < n ? i + 1 : 0;
        double ax = v[2 * i], ay = v[2 * i + 1], ex = v[2 * j] - ax, ey = v[2 * j + 1] - ay;
        if (ex * ex + ey * ey <= 0) continue;
        if (ex * (py - ay) - ey * (px - ax) < 0) return true;
    }
    return false;
}

double sim_shape_closest_bound(const SimShape* s, double px, double py, double reach) {
    /* outside a part, part_closest's distance is to a point of its edges, all in the circle */
    if (s->nparts == 0) return -INFINITY;
    for (int p = 0; p < s->nparts; p++)
        if (!part_outside(&s->parts[p], px, py)) return -INFINITY;
    double dx = px - s->cx, dy = py - s->cy;
    return sqrt(dx * dx + dy * dy) - reach;
}

double sim_shape_extent(const SimShape* s, double ox, double oy, double dx, double dy) {
    if (s->nparts == 0) return (s->cx - ox) * dx + (s->cy - oy) * dy + s->radius;
    double best = -INFINITY;
    for (int p = 0; p < s->nparts; p++)
        for (int i = 0; i < s->parts[p].n; i++) {
            double e = (s->parts[p].v[2 * i] - ox) * dx + (s->parts[p].v[2 * i + 1] - oy) * dy;
            if (e > best) best = e;
        }
    return best;
}

void sim_shape_bounds(const SimShape* s, double box[4]) {
    if (s->nparts == 0) {
        box[0] = s->cx - s->radius, box[1] = s->cy - s->radius;
        box[2] = s->cx + s->radius, box[3] = s->cy + s->radius;
        return;
    }
    box[0] = box[1] = INFINITY;
    box[2] = box[3] = -INFINITY;
    for (int p = 0; p < s->nparts; p++)
        for (int i = 0; i < s->parts[p].n; i++) {
            double x = s->parts[p].v[2 * i], y = s->parts[p].v[2 * i + 1];
            box[0] = fmin(box[0], x), box[1] = fmin(box[1], y);
            box[2] = fmax(box[2], x), box[3] = fmax(box[3], y);
        }
}

/* two convex polygons (separating axes): the smallest overlap of their projections over both
   polygons' edge normals, negative when an axis separates them */
static double parts_overlap(const SimPart* a, const SimPart* b) {
    double best = INFINITY;
    for (int side = 0; side < 2; side++) {
        const SimPart* p = side ? b : a;
        for (int i = 0; i < p->n; i++) {
            int j = (i + 1) % p->n;
            double ex = p->v[2 * j] - p->v[2 * i], ey = p->v[2 * j + 1] - p->v[2 * i + 1];
            double len = sqrt(ex * ex + ey * ey);
            if (len <= 0) continue;
            double nx = ey / len, ny = -ex / len;
            double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
            for (int q = 0; q < 2; q++) {
                const SimPart* r = q ? b : a;
                for (int k = 0; k < r->n; k++) {
                    double d = r->v[2 * k] * nx + r->v[2 * k + 1] * ny;
                    lo[q] = fmin(lo[q], d), hi[q] = fmax(hi[q], d);
                }
            }
            best = fmin(best, fmin(hi[0] - lo[1], hi[1] - lo[0]));
        }
    }
    return best;
}

double sim_shape_penetration(const SimShape* a, const SimShape* b) {
    if (a->nparts == 0 && b->nparts == 0)
        return a->radius + b->radius - hypot(a->cx - b->cx, a->cy - b->cy);
    if (a->nparts == 0 || b->nparts == 0) {
        /* a ball against polygons: its radius less the signed distance from its centre */
        const SimShape* ball = a->nparts == 0 ? a : b;
        const SimShape* poly = a->nparts == 0 ? b : a;
        double best = -INFINITY, q[4];
        for (int p = 0; p < poly->nparts; p++)
            best = fmax(best, ball->radius - part_closest(&poly->parts[p], ball->cx, ball->cy, q));
        return best;
    }
    double best = -INFINITY;
    for (int i = 0; i < a->nparts; i++)
        for (int j = 0; j < b->nparts; j++) best = fmax(best, parts_overlap(&a->parts[i], &b->parts[j]));
    return best;
}
