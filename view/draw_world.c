#include "view/draw_world.h"

#include <chipmunk/chipmunk.h>
#include <math.h>
#include <string.h>

#include "sim/materials.h"
#include "view/render.h"
#include "view/shape.h"

ViewColor view_body_color(const SimBodyState* b) {
    const SimMaterial* m = sim_material_get(b->material);
    ViewColor          c = m ? view_rgba(m->rgb[0], m->rgb[1], m->rgb[2], 255)
                             : view_rgba(128, 128, 128, 255);
    if (b->is_static) return view_color_scale(c, 0.55);
    if (b->kind == SIM_KIND_SHARD) return view_color_scale(c, 1.08);
    return c;
}

void view_draw_body(ViewCanvas* c, const ViewCamera* cam, const SimBodyState* b, double x,
                    double y, double angle, ViewColor fill, ViewColor edge, double edge_px,
                    double dash) {
    ViewShape s;
    view_body_shape(b, &s);
    double sx, sy;
    view_camera_to_screen(cam, x, y, &sx, &sy);
    if (s.circle) {
        double r = s.radius * cam->scale;
        if (fill.a) view_canvas_fill_circle(c, sx, sy, r, fill);
        if (edge_px > 0) {
            view_canvas_circle(c, sx, sy, r, edge_px, dash, edge);
            /* a spoke so rotation shows */
            if (dash <= 0 && r > 6)
                view_canvas_line(c, sx, sy, sx + r * cos(angle), sy - r * sin(angle), edge_px, edge);
        }
        return;
    }
    double pts[2 * SIM_MAX_VERTS];
    if (fill.a) {
        for (int k = 0; k < s.npolys; k++) {
            view_shape_place(&s, k, x, y, angle, pts);
            for (int i = 0; i < s.nverts[k]; i++)
                view_camera_to_screen(cam, pts[2 * i], pts[2 * i + 1], &pts[2 * i], &pts[2 * i + 1]);
            view_canvas_fill_poly(c, pts, s.nverts[k], fill);
        }
    }
    if (edge_px > 0) {
        for (int k = 0; k < s.npolys; k++) {
            view_shape_place(&s, k, x, y, angle, pts);
            for (int i = 0; i < s.nverts[k]; i++)
                view_camera_to_screen(cam, pts[2 * i], pts[2 * i + 1], &pts[2 * i], &pts[2 * i + 1]);
            view_canvas_outline(c, pts, s.nverts[k], edge_px, dash, edge);
        }
    }
}

void view_draw_world(ViewCanvas* c, const ViewCamera* cam, const SimWorld* w) {
    int n = sim_world_id_count(w);
    /* edges only when bodies are big enough on screen for them to help */
    double edge_px = cam->scale >= 120 ? (cam->scale >= 400 ? 2.0 : 1.0) : 0.0;
    for (int pass = 0; pass < 2; pass++) {
        for (int id = 0; id < n; id++) {
            SimBodyState b;
            if (!sim_world_body(w, id, &b) || !b.alive) continue;
            if (b.is_static != (pass == 0)) continue;
            ViewColor fill = view_body_color(&b);
            view_draw_body(c, cam, &b, b.x, b.y, b.angle, fill, view_color_scale(fill, 0.6), edge_px,
                           0);
        }
    }
}

typedef struct ContactDraw {
    ViewCanvas*       c;
    const ViewCamera* cam;
    double            px_per_ns;
} ContactDraw;

static void draw_arbiter(cpBody* body, cpArbiter* arb, void* data) {
    ContactDraw* d = data;
    cpBody *a, *b;
    cpArbiterGetBodies(arb, &a, &b);
    /* each arbiter once: from its first body */
    if (a != body) return;
    cpContactPointSet set = cpArbiterGetContactPointSet(arb);
    cpVect            j   = cpArbiterTotalImpulse(arb);
    for (int i = 0; i < set.count; i++) {
        double sx, sy;
        view_camera_to_screen(d->cam, set.points[i].pointA.x, set.points[i].pointA.y, &sx, &sy);
        view_canvas_fill_circle(d->c, sx, sy, 3, view_rgba(220, 30, 30, 255));
        double k = d->px_per_ns / (set.count > 0 ? set.count : 1);
        view_canvas_line(d->c, sx, sy, sx + j.x * k, sy - j.y * k, 1.5, view_rgba(220, 30, 30, 200));
    }
}

static void draw_body_contacts(cpBody* body, void* data) { cpBodyEachArbiter(body, draw_arbiter, data); }

void view_draw_contacts(ViewCanvas* c, const ViewCamera* cam, SimWorld* w, double px_per_ns) {
    cpSpace* space = sim_world_space(w);
    if (!space) return;
    ContactDraw d = {c, cam, px_per_ns};
    cpSpaceEachBody(space, draw_body_contacts, &d);
}

void view_render_world(const SimWorld* w, const double rect[4], uint8_t* pixels, int width,
                       int height, int channels) {
    ViewCanvas c = view_canvas_wrap(pixels, width, height, channels);
    view_canvas_clear(&c, VIEW_BACKGROUND);
    ViewCamera cam = view_camera_fit(rect, 0, 0, width, height);
    view_draw_world(&c, &cam, w);
}

void view_scene_rect(const ScnInstance* inst, double rect[4]) {
    double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
    for (int i = 0; i < inst->nbodies; i++) {
        const SimBodyDef* b = &inst->bodies[i];
        if (b->is_static && b->w > 3.0) continue;
        /* the rotated box's axis-aligned extents */
        double c = fabs(cos(b->angle)), s = fabs(sin(b->angle));
        double hx = 0.5 * (c * b->w + s * b->h), hy = 0.5 * (s * b->w + c * b->h);
        x0 = fmin(x0, b->x - hx);
        x1 = fmax(x1, b->x + hx);
        y0 = fmin(y0, b->y - hy);
        y1 = fmax(y1, b->y + hy);
    }
    if (x0 > x1) { /* nothing small: show the bounds */
        memcpy(rect, inst->world.bounds, sizeof(double) * 4);
        return;
    }
    /* room to fall off the sides and onto the floor */
    double m = 0.3;
    rect[0] = fmax(x0 - m, inst->world.bounds[0]);
    rect[1] = fmax(fmin(y0, 0.0) - 0.1, inst->world.bounds[1]);
    rect[2] = fmin(x1 + m, inst->world.bounds[2]);
    rect[3] = fmin(y1 + m, inst->world.bounds[3]);
}
