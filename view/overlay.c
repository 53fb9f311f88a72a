#include "view/overlay.h"

#include <math.h>
#include <stdio.h>

#include "agent/surprise.h"
#include "model/wm.h"
#include "sim/observation.h"
#include "sim/shape.h"
#include "render/draw_world.h"
#include "view/input.h"

static const RenderColor transparent = {0, 0, 0, 0};

void view_draw_predictions(RenderCanvas* c, const RenderCamera* cam, const ViewLive* live,
                           const SimBodyState* bodies, const uint8_t* known, ViewFont* font,
                           bool ghosts) {
    int K = live->K, D = live->D;
    if (ghosts) {
        /* the actual path over the last horizon, from the kept observations */
        for (int k = 0; k < K; k++) {
            if (!known[k] || !live->mask[k] || bodies[k].is_static) continue;
            double px = live->states[(size_t)k * D + SIM_OBS_x], py = live->states[(size_t)k * D + SIM_OBS_y];
            for (int h = 1; h <= live->horizon && h < VIEW_HISTORY; h++) {
                const ViewRecord* r = &live->rec[(live->tick - h + VIEW_HISTORY * 4) % VIEW_HISTORY];
                if (live->tick - h < 0 || !r->valid || r->tick != live->tick - h ||
                    r->episode != live->episode || r->segment != live->segment || !r->mask[k])
                    break;
                double x = r->state[(size_t)k * D + SIM_OBS_x], y = r->state[(size_t)k * D + SIM_OBS_y];
                double a0, b0, a1, b1;
                render_camera_to_screen(cam, px, py, &a0, &b0);
                render_camera_to_screen(cam, x, y, &a1, &b1);
                render_canvas_line(c, a0, b0, a1, b1, 2, VIEW_TRACE_COLOR);
                px = x, py = y;
            }
        }
        /* the prediction made one horizon ago, coloured by its error now */
        for (int k = 0; k < K; k++) {
            if (!known[k] || !live->past_valid[k]) continue;
            RenderColor col = render_color_ramp(live->past_err[k] / VIEW_ERR_RED);
            render_draw_body(c, cam, &bodies[k], live->past_pose[3 * k], live->past_pose[3 * k + 1],
                             live->past_pose[3 * k + 2], transparent, col, 2, 0);
        }
        /* predicted paths and ghosts at the horizon */
        for (int k = 0; k < K; k++) {
            if (!known[k] || !live->mask[k] || bodies[k].is_static || !live->has_roll) continue;
            double px = live->states[(size_t)k * D + SIM_OBS_x], py = live->states[(size_t)k * D + SIM_OBS_y];
            double x, y, a;
            for (int h = 1; h <= live->horizon; h++) {
                if (!view_live_predicted(live, k, h, &x, &y, &a)) break;
                double a0, b0, a1, b1;
                render_camera_to_screen(cam, px, py, &a0, &b0);
                render_camera_to_screen(cam, x, y, &a1, &b1);
                if (h % 2) render_canvas_line(c, a0, b0, a1, b1, 2, VIEW_GHOST_COLOR);
                px = x, py = y;
            }
            if (view_live_predicted(live, k, live->horizon, &x, &y, &a))
                render_draw_body(c, cam, &bodies[k], x, y, a, render_rgba(180, 50, 230, 40), VIEW_GHOST_COLOR,
                                 2, 6);
        }
    }
    /* a body glows by the model's surprise at it (agent/surprise.h: from 10 nats, full at the
       threshold of 25), fading over a second */
    for (int k = 0; k < K; k++) {
        double g = live->glow[k];
        /* only a body still in the world (a glass that just broke leaves its pieces, not a glow) */
        if (!known[k] || !live->mask[k] || !bodies[k].alive || bodies[k].is_static || !(g > 0.02)) continue;
        render_draw_body(c, cam, &bodies[k], bodies[k].x, bodies[k].y, bodies[k].angle, transparent,
                         render_rgba(255, 60, 20, (uint8_t)(60 + 180 * g)), 2 + (int)(6 * g), 0);
    }
    /* event labels: "breaks 0.87", "falls 0.55", the model's foresight (the largest head over its
       imagined 0.5 s, 1 for a body it shatters there: wm_foresight) */
    if (!font || !live->has_roll) return;
    int placed[64][4], nplaced = 0;
    for (int k = 0; k < K; k++) {
        if (!known[k] || !live->mask[k] || bodies[k].is_static) continue;
        const float* ev   = live->foresight + (size_t)k * WM_EVENTS;
        char         text[64];
        int          n    = 0;
        if (ev[WM_EVENT_BREAK] >= VIEW_LABEL_MIN && bodies[k].breakable)
            n += snprintf(text + n, sizeof text - n, "breaks %.2f", ev[WM_EVENT_BREAK]);
        if (ev[WM_EVENT_FALL] >= VIEW_LABEL_MIN)
            n += snprintf(text + n, sizeof text - n, "%sfalls %.2f", n ? "  " : "", ev[WM_EVENT_FALL]);
        if (!n) continue;
        double sx, sy;
        double top = bodies[k].h > bodies[k].w ? bodies[k].h : bodies[k].w;
        render_camera_to_screen(cam, live->states[(size_t)k * D + SIM_OBS_x],
                                live->states[(size_t)k * D + SIM_OBS_y] + 0.5 * top, &sx, &sy);
        int tw = view_font_width(font, text), fh = view_font_height(font);
        int x0 = (int)sx - tw / 2, y0 = (int)sy - fh - 8;
        /* move up past labels already placed */
        for (bool moved = true; moved;) {
            moved = false;
            for (int i = 0; i < nplaced; i++)
                if (x0 - 4 < placed[i][2] && x0 + tw + 4 > placed[i][0] && y0 - 1 < placed[i][3] &&
                    y0 + fh + 1 > placed[i][1]) {
                    y0     = placed[i][1] - fh - 2;
                    moved  = true;
                }
        }
        if (nplaced < 64) {
            placed[nplaced][0] = x0 - 4, placed[nplaced][1] = y0 - 1;
            placed[nplaced][2] = x0 + tw + 4, placed[nplaced][3] = y0 + fh + 1;
            nplaced++;
        }
        render_canvas_rect(c, x0 - 4, y0 - 1, x0 + tw + 4, y0 + fh + 1, render_rgba(255, 255, 255, 200));
        float p = ev[WM_EVENT_BREAK] > ev[WM_EVENT_FALL] ? ev[WM_EVENT_BREAK] : ev[WM_EVENT_FALL];
        view_font_draw(font, c, x0, y0, text, render_color_scale(render_color_ramp(p), 0.8));
    }
}

void view_draw_imagination(RenderCanvas* c, const RenderCamera* cam, const ViewLive* live,
                           const SimBodyState* bodies, const uint8_t* known) {
    int K = live->K, D = live->D;
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < K; k++) {
            if (!live->imag_mask[k]) continue;
            const float* s = live->imag + (size_t)k * D;
            bool         st = s[SIM_OBS_is_static] > 0.5f;
            if (st != (pass == 0)) continue;
            double x = s[SIM_OBS_x], y = s[SIM_OBS_y], a = atan2(s[SIM_OBS_sin], s[SIM_OBS_cos]);
            if (!isfinite(x) || !isfinite(y) || !isfinite(a)) continue;
            /* a body only the model has (an imagined shard, or a slot the real world uses for
             * something else) is drawn from its predicted row */
            SimBodyState imagined;
            const SimBodyState* b = &bodies[k];
            bool own = known[k] && s[SIM_OBS_kind_shard] < 0.5f && s[SIM_OBS_kind_box + b->kind] > 0.5f;
            if (!own) {
                if (!sim_obs_body(s, &imagined)) continue;
                b = &imagined;
            }
            RenderColor fill = render_body_color(b);
            if (!st) fill = render_rgba((fill.r + 180) / 2, (fill.g + 50) / 2, (fill.b + 230) / 2, 255);
            render_draw_body(c, cam, b, x, y, a, fill, render_color_scale(fill, 0.6), cam->scale >= 120 ? 1.0 : 0.0, 0);
        }
}

void view_draw_help(RenderCanvas* c, ViewFont* font) {
    if (!font) return;
    int                   n;
    const ViewKeyBinding* km = view_keymap(&n);
    int                   fh = view_font_height(font), rows = 0;
    for (int i = 0; i < n; i++) rows += km[i].key_name != NULL;
    static const char* const mouse[][2] = {
        {"left drag", "push a body (the arrow is the impulse; release applies it)"},
        {"right drag", "grab and move a body (pivot joint)"},
        {"Shift + left drag", "from a body to a place: a goal region for it (the planner goes)"},
        {"middle click", "spawn the palette body"},
        {"wheel", "zoom (the camera stops following until F or R)"},
        {"drag the bottom bar", "go back and forth in the last 30 s (pauses)"},
        {"drop a .scn", "load that scenario"},
    };
    int nm = (int)(sizeof mouse / sizeof mouse[0]);
    /* as wide as the longest line */
    int kw = 0, hw = view_font_width(font, "nudge view: keys (H or F1 closes this)");
    for (int i = 0; i < n; i++) {
        if (!km[i].key_name) continue;
        int a = view_font_width(font, km[i].key_name), b = view_font_width(font, km[i].help);
        if (a > kw) kw = a;
        if (b > hw) hw = b;
    }
    for (int i = 0; i < nm; i++) {
        int a = view_font_width(font, mouse[i][0]), b = view_font_width(font, mouse[i][1]);
        if (a > kw) kw = a;
        if (b > hw) hw = b;
    }
    int col = kw + 40, w = col + hw + 28, h = (rows + nm + 3) * fh + 20;
    int x0 = (c->w - w) / 2, y0 = (c->h - h) / 2;
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    render_canvas_rect(c, x0, y0, x0 + w, y0 + h, render_rgba(20, 24, 32, 225));
    RenderColor key = render_rgba(255, 220, 120, 255), txt = render_rgba(235, 235, 240, 255);
    int       y   = y0 + 10;
    view_font_draw(font, c, x0 + 14, y, "nudge view: keys (H or F1 closes this)", txt);
    y += fh + fh / 2;
    for (int i = 0; i < n; i++) {
        if (!km[i].key_name) continue;
        view_font_draw(font, c, x0 + 14, y, km[i].key_name, key);
        view_font_draw(font, c, x0 + 14 + col, y, km[i].help, txt);
        y += fh;
    }
    y += fh / 2;
    for (int i = 0; i < nm; i++) {
        view_font_draw(font, c, x0 + 14, y, mouse[i][0], key);
        view_font_draw(font, c, x0 + 14 + col, y, mouse[i][1], txt);
        y += fh;
    }
}
