#include "render/camera.h"

RenderCamera render_camera_fit(const double rect[4], double x0, double y0, double w, double h) {
    double rw = rect[2] - rect[0], rh = rect[3] - rect[1];
    if (!(rw > 1e-9)) rw = 1e-9;
    if (!(rh > 1e-9)) rh = 1e-9;
    double     sx = w / rw, sy = h / rh;
    RenderCamera c;
    c.scale = sx < sy ? sx : sy;
    c.cx    = 0.5 * (rect[0] + rect[2]);
    c.cy    = 0.5 * (rect[1] + rect[3]);
    c.sx    = x0 + 0.5 * w;
    c.sy    = y0 + 0.5 * h;
    return c;
}

void render_camera_to_screen(const RenderCamera* c, double wx, double wy, double* sx, double* sy) {
    *sx = c->sx + (wx - c->cx) * c->scale;
    *sy = c->sy - (wy - c->cy) * c->scale;
}

void render_camera_to_world(const RenderCamera* c, double sx, double sy, double* wx, double* wy) {
    *wx = c->cx + (sx - c->sx) / c->scale;
    *wy = c->cy - (sy - c->sy) / c->scale;
}

void render_camera_zoom(RenderCamera* c, double f, double px, double py) {
    double wx, wy;
    render_camera_to_world(c, px, py, &wx, &wy);
    c->scale *= f;
    /* keep (wx, wy) under (px, py): move the anchor to that point */
    c->cx = wx, c->cy = wy, c->sx = px, c->sy = py;
}
