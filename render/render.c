/* render: a world drawn offscreen into a caller's pixels, and the rectangle that frames a scene */
#include "render/render.h"

#include <math.h>
#include <string.h>

#include "render/camera.h"
#include "render/canvas.h"
#include "render/draw_world.h"

void render_world(const SimWorld* w, const double rect[4], uint8_t* pixels, int width,
                       int height, int channels) {
    render_world_frame(w, rect, pixels, width, height, channels, false, false);
}

void render_world_frame(const SimWorld* w, const double rect[4], uint8_t* pixels, int width, int height,
                        int channels, bool aa, bool outline) {
    RenderCanvas c = render_canvas_wrap(pixels, width, height, channels);
    c.aa = aa;
    render_canvas_clear(&c, RENDER_BACKGROUND);
    RenderCamera cam = render_camera_fit(rect, 0, 0, width, height);
    render_draw_world_outlined(&c, &cam, w, outline ? RENDER_OUTLINE_PX : 0.0);
}

void render_body_box(const SimBodyDef* b, double q[4]) {
    double c = fabs(cos(b->angle)), s = fabs(sin(b->angle));
    double hx = 0.5 * (c * b->w + s * b->h), hy = 0.5 * (s * b->w + c * b->h);
    q[0] = b->x - hx, q[1] = b->y - hy, q[2] = b->x + hx, q[3] = b->y + hy;
}

void render_scene_rect(const ScnInstance* inst, double rect[4]) {
    double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
    for (int i = 0; i < inst->nbodies; i++) {
        const SimBodyDef* b = &inst->bodies[i];
        if (b->is_static && b->w > 3.0) continue;
        double q[4];
        render_body_box(b, q);
        x0 = fmin(x0, q[0]);
        x1 = fmax(x1, q[2]);
        y0 = fmin(y0, q[1]);
        y1 = fmax(y1, q[3]);
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
