/* frame_rect: the pixel model's camera (frame_rect.h) */
#include "render/frame_rect.h"

#include <math.h>
#include <string.h>

#include "render/render.h"

static void grow(double e[4], const double q[4]) {
    e[0] = fmin(e[0], q[0]), e[1] = fmin(e[1], q[1]);
    e[2] = fmax(e[2], q[2]), e[3] = fmax(e[3], q[3]);
}

/* does a dynamic body rest on static body s (its bottom within 2 cm of s's top, over it)? */
static bool supports(const ScnInstance* inst, const double s[4]) {
    for (int i = 0; i < inst->nbodies; i++) {
        const SimBodyDef* b = &inst->bodies[i];
        if (b->is_static) continue;
        double q[4];
        render_body_box(b, q);
        if (fabs(q[1] - s[3]) < 0.02 && q[2] > s[0] && q[0] < s[2]) return true;
    }
    return false;
}

void render_frame_rect(const ScnInstance* inst, double rect[4]) {
    /* the ground: the static body with the lowest top (ties: the widest) */
    int ground = -1;
    double gq[4] = {0, 0, 0, 0};
    for (int i = 0; i < inst->nbodies; i++) {
        const SimBodyDef* b = &inst->bodies[i];
        if (!b->is_static) continue;
        double q[4];
        render_body_box(b, q);
        if (ground < 0 || q[3] < gq[3] - 1e-9 || (fabs(q[3] - gq[3]) <= 1e-9 && q[2] - q[0] > gq[2] - gq[0])) {
            ground = i;
            memcpy(gq, q, sizeof q);
        }
    }
    /* the extent: the dynamic bodies, the small static ones, the wide ones that carry something */
    double e[4] = {1e300, 1e300, -1e300, -1e300};
    double top = -1e300, vx = 0, vy = 0;
    for (int i = 0; i < inst->nbodies; i++) {
        const SimBodyDef* b = &inst->bodies[i];
        if (i == ground) continue;
        double q[4];
        render_body_box(b, q);
        if (b->is_static) {
            if (q[2] - q[0] > RENDER_FRAME_WIDE && !supports(inst, q)) continue;
        } else {
            top = fmax(top, q[1]);
            vx = fmax(vx, fabs(b->vx));
            vy = fmax(vy, b->vy);
        }
        grow(e, q);
    }
    if (e[0] > e[2]) { /* nothing to frame: show the bounds */
        memcpy(rect, inst->world.bounds, sizeof(double) * 4);
        return;
    }
    double floor_y = ground >= 0 ? gq[3] : fmin(e[1], 0.0);
    double g = fabs(inst->world.gy) > 0.5 ? fabs(inst->world.gy) : 9.81;
    /* room to fall off the highest support and land, and to rise */
    double h = top > floor_y ? top - floor_y : 0.0;
    double v = fmax(RENDER_FRAME_EDGE_SPEED, vx);
    double side = v * sqrt(2.0 * h / g) + RENDER_FRAME_BOUNCE;
    side = fmin(fmax(side, RENDER_FRAME_ROOM_MIN), RENDER_FRAME_ROOM_MAX);
    double up = fmin(RENDER_FRAME_ROOM_MIN + vy * vy / (2.0 * g), RENDER_FRAME_ROOM_MAX);
    const double* B = inst->world.bounds;
    rect[0] = fmax(e[0] - side, B[0]);
    rect[1] = fmax(fmin(e[1], floor_y) - RENDER_FRAME_BELOW, B[1]);
    rect[2] = fmin(e[2] + side, B[2]);
    rect[3] = fmin(e[3] + up, B[3]);
    if (!(rect[2] > rect[0] && rect[3] > rect[1])) memcpy(rect, B, sizeof(double) * 4);
}
