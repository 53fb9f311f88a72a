#include "render/draw_world.h"

#include <math.h>
#include <string.h>

#include "sim/materials.h"
#include "render/shape.h"

RenderColor render_body_color(const SimBodyState* b) {
    const SimMaterial* m = sim_material_get(b->material);
    RenderColor          c = m ? render_rgba(m->rgb[0], m->rgb[1], m->rgb[2], 255)
                             : render_rgba(128, 128, 128, 255);
    if (b->is_static) return render_color_scale(c, 0.55);
    if (b->kind == SIM_KIND_SHARD) return render_color_scale(c, 1.08);
    return c;
}

void render_draw_body(RenderCanvas* c, const RenderCamera* cam, const SimBodyState* b, double x,
                      double y, double angle, RenderColor fill, RenderColor edge, double edge_px,
                      double dash) {
    RenderShape s;
    render_body_shape(b, &s);
    double sx, sy;
    render_camera_to_screen(cam, x, y, &sx, &sy);
    if (s.circle) {
        double r = s.radius * cam->scale;
        if (fill.a) render_canvas_fill_circle(c, sx, sy, r, fill);
        if (edge_px > 0) {
            render_canvas_circle(c, sx, sy, r, edge_px, dash, edge);
            /* a spoke so rotation shows */
            if (dash <= 0 && r > 6)
                render_canvas_line(c, sx, sy, sx + r * cos(angle), sy - r * sin(angle), edge_px, edge);
        }
        return;
    }
    double pts[2 * SIM_MAX_VERTS];
    if (fill.a) {
        for (int k = 0; k < s.npolys; k++) {
            render_shape_place(&s, k, x, y, angle, pts);
            for (int i = 0; i < s.nverts[k]; i++)
                render_camera_to_screen(cam, pts[2 * i], pts[2 * i + 1], &pts[2 * i], &pts[2 * i + 1]);
            render_canvas_fill_poly(c, pts, s.nverts[k], fill);
        }
    }
    if (edge_px > 0) {
        for (int k = 0; k < s.npolys; k++) {
            render_shape_place(&s, k, x, y, angle, pts);
            for (int i = 0; i < s.nverts[k]; i++)
                render_camera_to_screen(cam, pts[2 * i], pts[2 * i + 1], &pts[2 * i], &pts[2 * i + 1]);
            render_canvas_outline(c, pts, s.nverts[k], edge_px, dash, edge);
        }
    }
}

void render_draw_world(RenderCanvas* c, const RenderCamera* cam, const SimWorld* w) {
    render_draw_world_outlined(c, cam, w, 0.0);
}

void render_draw_world_outlined(RenderCanvas* c, const RenderCamera* cam, const SimWorld* w,
                                double dynamic_edge_px) {
    int n = sim_world_id_count(w);
    /* edges only when bodies are big enough on screen for them to help */
    double edge_px = cam->scale >= 120 ? (cam->scale >= 400 ? 2.0 : 1.0) : 0.0;
    for (int pass = 0; pass < 2; pass++) {
        for (int id = 0; id < n; id++) {
            SimBodyState b;
            if (!sim_world_body(w, id, &b) || !b.alive) continue;
            if (b.is_static != (pass == 0)) continue;
            RenderColor fill = render_body_color(&b);
            double      e    = !b.is_static && edge_px < dynamic_edge_px ? dynamic_edge_px : edge_px;
            render_draw_body(c, cam, &b, b.x, b.y, b.angle, fill, render_color_scale(fill, 0.6), e, 0);
        }
    }
}

void render_draw_contacts(RenderCanvas* c, const RenderCamera* cam, const SimWorld* w, double px_per_ns) {
    SimContact pairs[256];
    int        n = sim_world_contacts(w, pairs, 256);
    if (n > 256) n = 256;
    for (int p = 0; p < n; p++) {
        const SimContact* t = &pairs[p];
        for (int i = 0; i < t->count; i++) {
            double sx, sy;
            render_camera_to_screen(cam, t->points[2 * i], t->points[2 * i + 1], &sx, &sy);
            render_canvas_fill_circle(c, sx, sy, 3, render_rgba(220, 30, 30, 255));
            double k = px_per_ns / t->count;
            render_canvas_line(c, sx, sy, sx + t->jx * k, sy - t->jy * k, 1.5, render_rgba(220, 30, 30, 200));
        }
    }
}
