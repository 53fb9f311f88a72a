#include "view/panels.h"
#include "agent/surprise.h"
#include "view/pixel.h"
#include "view/plan_view.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define GRID render_rgba(220, 220, 214, 255)
#define INK render_rgba(40, 40, 48, 255)
#define FAINT render_rgba(110, 110, 120, 255)
#define MODEL_COLOR render_rgba(180, 50, 230, 255)
#define CV_COLOR render_rgba(90, 140, 200, 255)
#define VAL_COLOR render_rgba(230, 120, 30, 255)
#define PIXEL_COLOR VIEW_PIXEL_COLOR

void view_loss_log_add(ViewLossLog* log, float train, float val) {
    if (log->every < 1) log->every = 1;
    /* the newest point averages `every` samples */
    if (log->pending == 0) {
        if (log->n == VIEW_LOSS_POINTS) {
            /* full: merge neighbours, halving the resolution */
            for (int i = 0; i < VIEW_LOSS_POINTS / 2; i++) {
                log->train[i] = 0.5f * (log->train[2 * i] + log->train[2 * i + 1]);
                float a = log->val[2 * i], b = log->val[2 * i + 1];
                log->val[i] = isnan(a) ? b : isnan(b) ? a : 0.5f * (a + b);
            }
            log->n = VIEW_LOSS_POINTS / 2;
            log->every *= 2;
        }
        log->train[log->n] = train;
        log->val[log->n]   = val;
        log->n++;
        log->pending = 1;
    } else {
        int   k = log->pending;
        float* t = &log->train[log->n - 1], *v = &log->val[log->n - 1];
        *t = (*t * k + train) / (k + 1);
        if (!isnan(val)) *v = isnan(*v) ? val : (*v * k + val) / (k + 1);
        log->pending++;
    }
    if (log->pending >= log->every) log->pending = 0;
}

/* the y axis' transform and its inverse (for the labels) */
static double axis(const ViewPlot* p, double v) {
    if (p->log_y) return log10(v);
    if (p->symlog) return copysign(log10(1.0 + fabs(v)), v);
    return v;
}
static double axis_inv(const ViewPlot* p, double u) {
    if (p->log_y) return pow(10, u);
    if (p->symlog) return copysign(pow(10, fabs(u)) - 1.0, u);
    return u;
}

static void fmt_value(char* buf, size_t n, double v, const char* unit) {
    double a = fabs(v);
    if (a >= 100 || a == 0) snprintf(buf, n, "%.0f%s", v, unit ? unit : "");
    else if (a >= 1) snprintf(buf, n, "%.2f%s", v, unit ? unit : "");
    else if (a >= 0.01) snprintf(buf, n, "%.3f%s", v, unit ? unit : "");
    else snprintf(buf, n, "%.1e%s", v, unit ? unit : "");
}

void view_plot_draw(RenderCanvas* c, ViewFont* font, const ViewPlot* p, const ViewSeries* s, int ns) {
    render_canvas_rect(c, p->x, p->y, p->x + p->w, p->y + p->h, VIEW_PANEL_BG);
    double frame[8] = {p->x + 0.5, p->y + 0.5, p->x + p->w - 0.5, p->y + 0.5,
                       p->x + p->w - 0.5, p->y + p->h - 0.5, p->x + 0.5, p->y + p->h - 0.5};
    render_canvas_outline(c, frame, 4, 1, 0, GRID);
    int fh = font ? view_font_height(font) : 12;
    if (font && p->title) view_font_draw(font, c, p->x + 6, p->y + 3, p->title, INK);
    /* legend at the top right, or on its own line when the title leaves no room */
    int title_end = p->x + 6 + (font && p->title ? view_font_width(font, p->title) : 0);
    int legend_w  = 0;
    for (int i = 0; i < ns; i++)
        if (s[i].label && font) legend_w += view_font_width(font, s[i].label) + 22;
    int ly = p->y + 3, extra = 0;
    if (p->x + p->w - 6 - legend_w < title_end + 10) ly += fh, extra = fh;
    int lx = p->x + p->w - 6;
    for (int i = ns - 1; i >= 0; i--) {
        if (!s[i].label || !font) continue;
        int tw = view_font_width(font, s[i].label);
        lx -= tw;
        view_font_draw(font, c, lx, ly, s[i].label, s[i].color);
        render_canvas_rect(c, lx - 14, ly + fh / 2 - 1, lx - 4, ly + fh / 2 + 2, s[i].color);
        lx -= 22;
    }
    /* the plot area */
    int ax0 = p->x + 58, ax1 = p->x + p->w - 10, ay0 = p->y + fh + 8 + extra, ay1 = p->y + p->h - fh - 6;
    if (ax1 - ax0 < 20 || ay1 - ay0 < 16) return;
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < ns; i++)
        for (int j = 0; j < s[i].n; j++) {
            double v = s[i].y[j];
            if (!isfinite(v) || (p->log_y && v <= 0)) continue;
            v = axis(p, v);
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
    /* the reference line stays in the range, so that "below the threshold" can be read */
    if (p->ref_label && lo <= hi && isfinite(p->ref) && !(p->log_y && p->ref <= 0)) {
        double r = axis(p, p->ref);
        if (r < lo) lo = r;
        if (r > hi) hi = r;
    }
    if (!(lo <= hi)) {
        if (font) view_font_draw(font, c, ax0, (ay0 + ay1) / 2 - fh / 2, "waiting for data", FAINT);
        return;
    }
    if (!p->log_y && lo > 0 && lo < 0.5 * hi) lo = 0;
    if (hi - lo < 1e-9) hi = lo + (p->log_y ? 0.5 : fabs(lo) * 0.1 + 1e-6);
    /* grid lines and the y labels */
    for (int g = 0; g <= 2; g++) {
        double t  = g / 2.0, v = hi - t * (hi - lo);
        int    gy = (int)lround(ay0 + t * (ay1 - ay0));
        render_canvas_rect(c, ax0, gy, ax1, gy + 1, GRID);
        char buf[32];
        fmt_value(buf, sizeof buf, axis_inv(p, v), p->unit);
        if (font) view_font_draw(font, c, p->x + 4, gy - fh / 2, buf, FAINT);
    }
    if (p->ref_label && isfinite(p->ref) && !(p->log_y && p->ref <= 0)) {
        int ry = (int)lround(ay1 - (axis(p, p->ref) - lo) / (hi - lo) * (ay1 - ay0));
        render_canvas_line(c, ax0, ry + 0.5, ax1, ry + 0.5, 1, FAINT);
        if (font) view_font_draw(font, c, ax1 - view_font_width(font, p->ref_label) - 2, ry - fh, p->ref_label, FAINT);
    }
    if (font && p->x_left) view_font_draw(font, c, ax0, ay1 + 2, p->x_left, FAINT);
    if (font && p->x_right)
        view_font_draw(font, c, ax1 - view_font_width(font, p->x_right), ay1 + 2, p->x_right, FAINT);
    /* the series: polylines with gaps at NaN; long series binned (the largest value of each bin,
     * so spikes stay) to about one point per two pixels */
    for (int i = 0; i < ns; i++) {
        double px = 0, py = 0;
        bool   have = false;
        int    n    = s[i].n, bins = (ax1 - ax0) / 2;
        float  binned[2048];
        uint8_t binned_marks[2048];
        const float* ys = s[i].y;
        const uint8_t* marks = s[i].marks;
        if (bins > 8 && n > bins && bins <= 2048) {
            for (int b = 0; b < bins; b++) {
                int   j0 = (int)((long)b * n / bins), j1 = (int)((long)(b + 1) * n / bins);
                float m  = NAN;
                uint8_t k = 0;
                for (int j = j0; j < j1; j++) {
                    if (isfinite(ys[j]) && !(m >= ys[j])) m = ys[j];
                    if (marks) k |= marks[j];
                }
                binned[b] = m;
                binned_marks[b] = k;
            }
            ys = binned, n = bins;
            if (marks) marks = binned_marks;
        }
        /* interventions first, under the line: nothing is scored across them */
        for (int j = 0; marks && j < n; j++) {
            if (!marks[j]) continue;
            double x = n > 1 ? ax0 + (double)j / (n - 1) * (ax1 - ax0) : 0.5 * (ax0 + ax1);
            render_canvas_rect(c, (int)x, ay0, (int)x + 1, ay1, VIEW_MARK_COLOR);
        }
        for (int j = 0; j < n; j++) {
            double v = ys[j];
            if (!isfinite(v) || (p->log_y && v <= 0)) {
                have = false;
                continue;
            }
            double x = n > 1 ? ax0 + (double)j / (n - 1) * (ax1 - ax0) : 0.5 * (ax0 + ax1);
            double y = ay1 - (axis(p, v) - lo) / (hi - lo) * (ay1 - ay0);
            if (have) render_canvas_line(c, px, py, x, y, 2, s[i].color);
            if (n <= 16) render_canvas_fill_circle(c, x, y, 3, s[i].color);
            px = x, py = y, have = true;
        }
    }
}

static void stats_panel(RenderCanvas* c, ViewFont* font, int x, int y, int w, int h, const ViewStats* st,
                        const ViewPixelPanel* px) {
    render_canvas_rect(c, x, y, x + w, y + h, VIEW_PANEL_BG);
    double frame[8] = {x + 0.5, y + 0.5, x + w - 0.5, y + 0.5, x + w - 0.5, y + h - 0.5, x + 0.5, y + h - 0.5};
    render_canvas_outline(c, frame, 4, 1, 0, GRID);
    if (!font) return;
    int  fh = view_font_height(font), ly = y + 4, col2 = x + w / 2;
    char a[96], b[96];
    /* rates read "-" until their first measurement window has passed */
    if (st->fps > 0) snprintf(a, sizeof a, st->headless ? "%.0f ticks/s" : "FPS %.0f", st->fps);
    else snprintf(a, sizeof a, st->headless ? "- ticks/s" : "FPS -");
    snprintf(b, sizeof b, "sim time %.1f s", st->sim_time);
    view_font_draw(font, c, x + 6, ly, a, INK);
    view_font_draw(font, c, col2, ly, b, INK);
    ly += fh;
    snprintf(a, sizeof a, "updates %lld", (long long)st->updates);
    snprintf(b, sizeof b, "transitions %lld", (long long)st->ticks_seen);
    view_font_draw(font, c, x + 6, ly, a, INK);
    view_font_draw(font, c, col2, ly, b, INK);
    ly += fh;
    if (st->updates_per_s > 0 || !st->training || st->updates == 0) {
        snprintf(a, sizeof a, "%.0f updates/s", st->updates_per_s);
        snprintf(b, sizeof b, "%.0f samples/s", st->samples_per_s);
    } else {
        snprintf(a, sizeof a, "- updates/s");
        snprintf(b, sizeof b, "- samples/s");
    }
    view_font_draw(font, c, x + 6, ly, a, INK);
    view_font_draw(font, c, col2, ly, b, INK);
    ly += fh;
    snprintf(a, sizeof a, "training %s (T)", st->training ? "on" : "off");
    snprintf(b, sizeof b, "weights v%llu", (unsigned long long)st->version);
    view_font_draw(font, c, x + 6, ly, a, st->training ? render_rgba(30, 140, 60, 255) : VAL_COLOR);
    view_font_draw(font, c, col2, ly, b, INK);
    if (!px) return;
    /* the pixel model's worker: training steps and windows, frames taken, the probe's error */
    ly += fh;
    snprintf(a, sizeof a, "pixel: %lld steps, %.1f/s", (long long)px->steps, px->steps_per_s);
    snprintf(b, sizeof b, "%.0f windows/s, %.0f frames/s", px->windows_per_s, px->frames_per_s);
    view_font_draw(font, c, x + 6, ly, a, PIXEL_COLOR);
    view_font_draw(font, c, col2, ly, b, PIXEL_COLOR);
    ly += fh;
    if (isfinite(px->probe_err_px)) snprintf(a, sizeof a, "probe %.1f px (%d bodies)", px->probe_err_px, px->probe_slots);
    else snprintf(a, sizeof a, "probe: not fitted yet");
    snprintf(b, sizeof b, "lag %.2f s%s", px->lag / 60.0, px->dropped ? " (drops)" : "");
    view_font_draw(font, c, x + 6, ly, a, PIXEL_COLOR);
    view_font_draw(font, c, col2, ly, b, PIXEL_COLOR);
}

void view_panels_draw(RenderCanvas* c, ViewFont* font, int x, int y, int w, int h,
                      const ViewLossLog* loss, const ViewLive* live, const ViewStats* st,
                      const Planner* planner, const SimWorld* world, const ViewPixelPanel* px) {
    int fh = font ? view_font_height(font) : 12, gap = 6;
    int stats_h = (px ? 6 : 4) * fh + 10, plots = px ? 4 : 3;
    /* the planner's panel: a plot and a line per goal */
    int plan_h = planner ? (h - stats_h) / 3 + (2 + planner_goal_count(planner)) * fh : 0;
    int plot_h = (h - stats_h - plan_h - (plots + 1) * gap - (planner ? gap : 0)) / plots;
    if (plot_h < 40) plot_h = 40;
    int cy = y;
    if (planner) {
        view_plan_panel_draw(c, font, x, cy, w, plan_h, planner, world);
        cy += plan_h + gap;
    }

    /* training loss */
    ViewSeries ls[2] = {{loss->train, loss->n, MODEL_COLOR, "train", NULL}, {loss->val, loss->n, VAL_COLOR, "val", NULL}};
    ViewPlot   lp = {x, cy, w, plot_h, "training loss", true, "start", "now", NULL, false, NULL, 0};
    view_plot_draw(c, font, &lp, ls, 2);
    cy += plot_h + gap;

    /* live error against horizon */
    float em[VIEW_HZ_COUNT], ec[VIEW_HZ_COUNT];
    for (int i = 0; i < VIEW_HZ_COUNT; i++) {
        em[i] = live->err_seen[i] ? (float)live->err_ema[i] : NAN;
        ec[i] = live->err_seen[i] ? (float)live->cv_ema[i] : NAN;
    }
    char right[32];
    snprintf(right, sizeof right, "%.2f s", view_horizons[VIEW_HZ_COUNT - 1] / 60.0);
    ViewSeries es[2] = {{em, VIEW_HZ_COUNT, MODEL_COLOR, "model", NULL}, {ec, VIEW_HZ_COUNT, CV_COLOR, "const. vel.", NULL}};
    ViewPlot   ep = {x, cy, w, plot_h, "live error vs horizon", true, "1 tick", right, " m", false, NULL, 0};
    view_plot_draw(c, font, &ep, es, 2);
    cy += plot_h + gap;

    /* surprise: the model's surprise at each tick over the last seconds (agent/surprise.h) */
    /* the last VIEW_TRACE ticks, older ones not seen yet left empty */
    float   tr[VIEW_TRACE];
    uint8_t marks[VIEW_TRACE];
    int     n = live->ntrace < VIEW_TRACE ? (int)live->ntrace : VIEW_TRACE;
    for (int i = 0; i < VIEW_TRACE - n; i++) tr[i] = NAN, marks[i] = 0;
    for (int i = 0; i < n; i++) {
        tr[VIEW_TRACE - n + i]    = live->trace[(live->ntrace - n + i) % VIEW_TRACE];
        marks[VIEW_TRACE - n + i] = live->trace_mark[(live->ntrace - n + i) % VIEW_TRACE];
    }
    ViewSeries ss = {tr, VIEW_TRACE, render_rgba(200, 40, 40, 255), NULL, marks};
    /* on a symmetric log axis with the threshold drawn: a landing's 1000 nats would otherwise flatten
       the 5-25 nats that tell a push's aftermath from nothing */
    char thr[48];
    snprintf(thr, sizeof thr, "threshold %.0f", SURPRISE_THRESHOLD);
    ViewPlot sp = {x, cy, w, plot_h, "surprise (nats; | = intervention)", false, "-10 s", "now", "", true, thr,
                   SURPRISE_THRESHOLD};
    view_plot_draw(c, font, &sp, &ss, 1);
    cy += plot_h + gap;

    /* the pixel model's surprise over the same ticks: an L1 between latents, on its own scale */
    if (px) {
        ViewSeries ps = {px->trace, VIEW_TRACE, PIXEL_COLOR, NULL, px->marks};
        ViewPlot   pp = {x, cy, w, plot_h, "pixel surprise (latent L1, not nats)", false, "-10 s", "now", "", false, NULL, 0};
        view_plot_draw(c, font, &pp, &ps, 1);
        cy += plot_h + gap;
    }

    stats_panel(c, font, x, cy, w, y + h - cy, st, px);
}
