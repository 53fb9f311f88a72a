#include "view/history_bar.h"

#include <math.h>
#include <stdio.h>

#define TRACK render_rgba(208, 212, 220, 255)
#define FRAME render_rgba(150, 155, 165, 255)
#define RESET_MARK render_rgba(40, 40, 50, 255)
#define HAND_MARK render_rgba(235, 140, 30, 255)
#define PUSH_MARK render_rgba(150, 60, 200, 255)
#define HANDLE render_rgba(30, 40, 70, 255)

/* the track: the bar minus room for the time labels */
static void track(const int rect[4], int* x0, int* x1) {
    *x0 = rect[0] + 70;
    *x1 = rect[2] - 70;
    if (*x1 <= *x0 + 10) *x0 = rect[0], *x1 = rect[2];
}

double view_bar_x_of(const int rect[4], const ViewBarSpan* span, int64_t tick) {
    int x0, x1;
    track(rect, &x0, &x1);
    int64_t n = span->head - span->oldest;
    if (n <= 0) return x1;
    return x0 + (double)(tick - span->oldest) / (double)n * (x1 - x0);
}

int64_t view_bar_tick_at(const int rect[4], const ViewBarSpan* span, double x) {
    int x0, x1;
    track(rect, &x0, &x1);
    double f = x1 > x0 ? (x - x0) / (x1 - x0) : 1;
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    return span->oldest + (int64_t)llround(f * (double)(span->head - span->oldest));
}

bool view_bar_hit(const int rect[4], double x, double y) {
    return x >= rect[0] && x < rect[2] && y >= rect[1] - 3 && y < rect[3] + 3;
}

void view_bar_draw(RenderCanvas* c, ViewFont* font, const int rect[4], const ViewBarSpan* span,
                   const HistoryEntry* log, int nlog) {
    int x0, x1, y0 = rect[1], y1 = rect[3], mid = (y0 + y1) / 2;
    track(rect, &x0, &x1);
    render_canvas_rect(c, rect[0], y0, rect[2], y1, render_rgba(244, 245, 248, 230));
    render_canvas_rect(c, x0, mid - 4, x1, mid + 4, TRACK);
    double px = view_bar_x_of(rect, span, span->pos);
    render_canvas_rect(c, x0, mid - 4, (int)lround(px), mid + 4, VIEW_BAR_COLOR);
    /* what happened along it */
    for (int i = 0; i < nlog; i++) {
        const HistoryEntry* e = &log[i];
        if (e->tick < span->oldest || e->tick > span->head) continue;
        double x = view_bar_x_of(rect, span, e->tick);
        uint32_t f = e->action.flags;
        if (f & SIM_ACT_RESET) render_canvas_rect(c, (int)x, y0 + 1, (int)x + 2, y1 - 1, RESET_MARK);
        else if (f & (SIM_ACT_SPAWN | SIM_ACT_RELEASE)) render_canvas_rect(c, (int)x, y0 + 3, (int)x + 2, y1 - 3, HAND_MARK);
        else if (f & SIM_ACT_GRAB) render_canvas_rect(c, (int)x, mid - 6, (int)x + 1, mid + 6, HAND_MARK);
        else if (e->action.npushes) render_canvas_rect(c, (int)x, y0 + 2, (int)x + 1, mid - 4, PUSH_MARK);
    }
    /* the handle */
    render_canvas_rect(c, (int)lround(px) - 2, y0 + 1, (int)lround(px) + 3, y1 - 1, HANDLE);
    double frame[8] = {rect[0] + 0.5, y0 + 0.5, rect[2] - 0.5, y0 + 0.5, rect[2] - 0.5, y1 - 0.5, rect[0] + 0.5, y1 - 0.5};
    render_canvas_outline(c, frame, 4, 1, 0, FRAME);
    if (!font) return;
    char left[48], right[48];
    int fh = view_font_height(font), ty = mid - fh / 2;
    snprintf(left, sizeof left, "-%.1f s", (double)(span->head - span->oldest) * span->tick_s);
    if (span->pos >= span->head) snprintf(right, sizeof right, "live");
    else snprintf(right, sizeof right, "-%.2f s", (double)(span->head - span->pos) * span->tick_s);
    view_font_draw(font, c, rect[0] + 6, ty, left, render_rgba(80, 80, 90, 255));
    view_font_draw(font, c, rect[2] - 6 - view_font_width(font, right), ty, right,
                   span->pos >= span->head ? render_rgba(30, 130, 60, 255) : render_rgba(170, 60, 40, 255));
}
