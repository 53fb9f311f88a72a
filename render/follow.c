#include "render/follow.h"

#include <math.h>

void render_rect_empty(double r[4]) {
    r[0] = r[1] = INFINITY;
    r[2] = r[3] = -INFINITY;
}

void render_rect_add(double r[4], double x, double y, double half) {
    if (!isfinite(x) || !isfinite(y) || !isfinite(half)) return;
    r[0] = fmin(r[0], x - half), r[1] = fmin(r[1], y - half);
    r[2] = fmax(r[2], x + half), r[3] = fmax(r[3], y + half);
}

bool render_rect_valid(const double r[4]) { return r[0] <= r[2] && r[1] <= r[3]; }

/* r grown about its centre to the aspect w / h */
static void fit_aspect(double r[4], double aspect) {
    double w = r[2] - r[0], h = r[3] - r[1], cx = 0.5 * (r[0] + r[2]), cy = 0.5 * (r[1] + r[3]);
    if (w < 1e-6) w = 1e-6;
    if (h < 1e-6) h = 1e-6;
    if (w / h < aspect) w = h * aspect;
    else h = w / aspect;
    r[0] = cx - 0.5 * w, r[2] = cx + 0.5 * w, r[1] = cy - 0.5 * h, r[3] = cy + 0.5 * h;
}

static bool holds(const double outer[4], const double inner[4]) {
    return inner[0] >= outer[0] && inner[1] >= outer[1] && inner[2] <= outer[2] && inner[3] <= outer[3];
}

static double area(const double r[4]) { return (r[2] - r[0]) * (r[3] - r[1]); }

void render_follow_step(RenderFollow* f, const double need[4], const double base[4], double aspect, double dt) {
    if (!(aspect > 0) || !isfinite(aspect)) aspect = 1;
    /* the framing: the scene and what must be seen, with a margin, at the pane's aspect */
    double want[4] = {base[0], base[1], base[2], base[3]}, must[4] = {need[0], need[1], need[2], need[3]};
    bool have = render_rect_valid(must);
    if (have) {
        double pad = fmax(RENDER_FOLLOW_PAD, RENDER_FOLLOW_MARGIN * fmax(must[2] - must[0], must[3] - must[1]));
        must[0] -= pad, must[1] -= pad, must[2] += pad, must[3] += pad;
        for (int i = 0; i < 2; i++) want[i] = fmin(want[i], must[i]), want[i + 2] = fmax(want[i + 2], must[i + 2]);
    }
    fit_aspect(want, aspect);
    if (!f->init) {
        for (int i = 0; i < 4; i++) f->rect[i] = want[i];
        f->init = true;
        return;
    }
    fit_aspect(f->rect, aspect);
    /* hysteresis: a view that holds what it must and is not far too large stays */
    bool fine = (!have || holds(f->rect, must)) && holds(f->rect, base) && area(f->rect) <= RENDER_FOLLOW_SLACK * area(want);
    if (!fine && dt > 0) {
        double a = 1.0 - exp(-dt / RENDER_FOLLOW_TAU);
        for (int i = 0; i < 4; i++) f->rect[i] += a * (want[i] - f->rect[i]);
    }
    /* the hard rule: what must be seen is in the view now, whatever the easing */
    if (have && !holds(f->rect, must)) {
        for (int i = 0; i < 2; i++) f->rect[i] = fmin(f->rect[i], must[i]), f->rect[i + 2] = fmax(f->rect[i + 2], must[i + 2]);
        fit_aspect(f->rect, aspect);
    }
}

RenderCamera render_follow_camera(const RenderFollow* f, double x0, double y0, double w, double h) {
    return render_camera_fit(f->rect, x0, y0, w, h);
}
