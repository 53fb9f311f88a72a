#include "render/shape.h"

#include <math.h>
#include <string.h>

static void rect_poly(double* v, double x0, double y0, double x1, double y1) {
    v[0] = x0, v[1] = y0, v[2] = x1, v[3] = y0, v[4] = x1, v[5] = y1, v[6] = x0, v[7] = y1;
}

void render_body_shape(const SimBodyState* b, RenderShape* out) {
    memset(out, 0, sizeof *out);
    double hw = 0.5 * b->w, hh = 0.5 * b->h;
    if (b->kind == SIM_KIND_BALL || b->radius > 0) {
        out->circle = true;
        out->radius = b->radius > 0 ? b->radius : hw;
        return;
    }
    /* the world's own convex parts, origin at the centre of mass */
    if (b->nparts > 0) {
        out->npolys = b->nparts < RENDER_SHAPE_POLYS ? b->nparts : RENDER_SHAPE_POLYS;
        for (int k = 0; k < out->npolys; k++) {
            int n = b->parts[k].n < SIM_MAX_VERTS ? b->parts[k].n : SIM_MAX_VERTS;
            out->nverts[k] = n;
            memcpy(out->verts[k], b->parts[k].v, sizeof(double) * 2 * (size_t)n);
        }
        return;
    }
    /* no parts given: a box of w x h around the origin */
    out->npolys    = 1;
    out->nverts[0] = 4;
    rect_poly(out->verts[0], -hw, -hh, hw, hh);
}

void render_shape_place(const RenderShape* s, int k, double x, double y, double angle, double* out) {
    double c = cos(angle), sn = sin(angle);
    for (int i = 0; i < s->nverts[k]; i++) {
        double bx = s->verts[k][2 * i], by = s->verts[k][2 * i + 1];
        out[2 * i]     = x + c * bx - sn * by;
        out[2 * i + 1] = y + sn * bx + c * by;
    }
}

/* even-odd point in polygon */
static bool poly_contains(const double* v, int n, double px, double py) {
    bool in = false;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        double yi = v[2 * i + 1], yj = v[2 * j + 1];
        if ((yi > py) != (yj > py)) {
            double xc = v[2 * j] + (py - yj) * (v[2 * i] - v[2 * j]) / (yi - yj);
            if (px < xc) in = !in;
        }
    }
    return in;
}

bool render_shape_contains(const RenderShape* s, double x, double y, double angle, double px,
                           double py) {
    /* into body coordinates */
    double c = cos(angle), sn = sin(angle), dx = px - x, dy = py - y;
    double bx = c * dx + sn * dy, by = -sn * dx + c * dy;
    if (s->circle) return bx * bx + by * by <= s->radius * s->radius;
    for (int k = 0; k < s->npolys; k++)
        if (poly_contains(s->verts[k], s->nverts[k], bx, by)) return true;
    return false;
}

double render_shape_extent(const RenderShape* s) {
    if (s->circle) return s->radius;
    double r2 = 0;
    for (int k = 0; k < s->npolys; k++)
        for (int i = 0; i < s->nverts[k]; i++) {
            double d = s->verts[k][2 * i] * s->verts[k][2 * i] +
                       s->verts[k][2 * i + 1] * s->verts[k][2 * i + 1];
            if (d > r2) r2 = d;
        }
    return sqrt(r2);
}
