/* pixel: the pixel model in the view (pixel.h) */
#include "view/pixel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "model/jepa_data.h"
#include "render/render.h"
#include "sim/observation.h"

bool view_pixel_init(ViewPixel* p, const char* jepa_path, uint64_t seed, int K, bool threaded, char* err,
                     size_t err_size) {
    memset(p, 0, sizeof *p);
    p->seed = seed;
    p->K = K;
    p->threaded = threaded;
    p->start_path = jepa_path;
    p->W = VIEW_PIXEL_W, p->H = VIEW_PIXEL_H, p->ch = 1;
    p->cut_tick = -1;
    if (jepa_path) {
        p->start = jepa_live_load(jepa_path, &p->start_probe, err, err_size);
        if (!p->start) return false;
        const JepaArch* a = jepa_arch(p->start);
        p->W = a->frame_w, p->H = a->frame_h, p->ch = a->channels;
    }
    return true;
}

void view_pixel_free(ViewPixel* p) {
    jepa_live_free(p->live);
    if (p->have_read) jepa_live_read_free(&p->read);
    jepa_free(p->start);
    probe_free(&p->start_probe);
    free(p->frame), free(p->pos), free(p->mask);
    memset(p, 0, sizeof *p);
}

bool view_pixel_set_on(ViewPixel* p, bool on, char* err, size_t err_size) {
    if (on == p->on) return true;
    if (!on) {
        /* the thread ends after its current step; the window does not wait for it */
        if (p->live) jepa_live_stop_soon(p->live);
        p->on = false;
        return true;
    }
    if (!p->live) {
        JepaLiveDef def = jepa_live_def_default(p->W, p->H, p->ch, p->K);
        def.train.seed = p->seed;
        def.nice = p->nice;
        p->live = jepa_live_create(&def, p->start, p->start_probe.w ? &p->start_probe : NULL, err, err_size);
        if (!p->live) return false;
        p->batch = def.train.batch;
        p->frame = alloc_zeroed((size_t)p->W * p->H, (size_t)p->ch);
        p->pos = alloc_zeroed((size_t)p->K * 2, sizeof(float));
        p->mask = alloc_zeroed((size_t)p->K, 1);
        jepa_live_read_init(p->live, &p->read);
        p->have_read = true;
        p->episode_next = true;
    }
    if (p->threaded && !jepa_live_start(p->live)) {
        report_set(err, err_size, "cannot start the pixel model's thread");
        return false;
    }
    /* what it saw before it was turned off does not continue into now */
    p->cut_next = true;
    p->on = true;
    return true;
}

/* the ghosts made before a cut are hidden at once (until the next frame's tick says which are new) */
void view_pixel_begin_episode(ViewPixel* p) {
    p->episode_next = true;
    p->cut_tick = INT64_MAX;
}


void view_pixel_set_horizon(ViewPixel* p, int ticks) {
    if (p->live) jepa_live_set_horizon(p->live, ticks);
}

void view_pixel_tick(ViewPixel* p, const Episode* e, const float* push_rows, bool intervened, int64_t tick) {
    if (!p->on || !p->live) return;
    if (p->episode_next) {
        /* the pixel model's camera: a model from a file frames as it trained, a new one as gen does */
        jepa_frame_rect(p->start, &e->inst, p->rect);
        p->cam = render_camera_fit(p->rect, 0, 0, p->W, p->H);
    }
    /* drawn as its frames were: antialiased for a model trained on gen --frames-aa, outlined for one
       trained on gen --frames-outline */
    render_world_frame(e->world, p->rect, p->frame, p->W, p->H, p->ch, jepa_frames_aa(p->start),
                       jepa_frames_outline(p->start));
    /* the tick's pushes in the frame: at the pushed body's centre (at the tick's start) plus the offset */
    JepaPush push[JEPA_MAX_PUSHES];
    int n = 0;
    for (int k = 0; push_rows && k < p->K && n < JEPA_MAX_PUSHES; k++) {
        const float* a = push_rows + (size_t)k * 4;
        if (a[0] == 0 && a[1] == 0) continue;
        const float* row = e->states + (size_t)k * SIM_OBS_DIM;
        double u, v;
        render_camera_to_screen(&p->cam, row[SIM_OBS_x] + a[2], row[SIM_OBS_y] + a[3], &u, &v);
        push[n++] = (JepaPush){(float)u, (float)v, a[0], a[1], row[SIM_OBS_mass]};
    }
    /* where every dynamic body is now: the probe's targets */
    for (int k = 0; k < p->K; k++) {
        SimBodyState b;
        p->mask[k] = e->mask[k] && sim_world_body(e->world, e->ids[k], &b) && b.alive && !b.is_static;
        double u = 0, v = 0;
        if (p->mask[k]) render_camera_to_screen(&p->cam, b.x, b.y, &u, &v);
        p->pos[2 * k] = (float)u, p->pos[2 * k + 1] = (float)v;
    }
    bool cut = intervened || p->cut_next || p->episode_next;
    JepaLiveFrame f = {tick, p->frame, push, n, p->pos, p->mask, cut, p->episode_next};
    jepa_live_add(p->live, &f);
    if (cut) p->cut_tick = tick;
    p->cut_next = p->episode_next = false;
}

void view_pixel_work(ViewPixel* p) {
    if (!p->on || !p->live || p->threaded) return;
    jepa_live_work(p->live, ++p->headless_ticks % VIEW_PIXEL_HEADLESS_EVERY == 0 ? 1 : 0);
}

void view_pixel_sync(ViewPixel* p, double now) {
    if (!p->live || !p->have_read) return;
    jepa_live_read(p->live, &p->read);
    if (p->rate_t == 0) p->rate_t = now, p->rate_steps = p->read.train.steps, p->rate_frames = p->read.frames;
    if (now - p->rate_t >= 1.0) {
        p->steps_per_s = (double)(p->read.train.steps - p->rate_steps) / (now - p->rate_t);
        p->frames_per_s = (double)(p->read.frames - p->rate_frames) / (now - p->rate_t);
        p->rate_steps = p->read.train.steps;
        p->rate_frames = p->read.frames;
        p->rate_t = now;
    }
}

void view_pixel_trace(const ViewPixel* p, int64_t now, int n, float* out, uint8_t* marks) {
    for (int i = 0; i < n; i++) {
        int64_t t = now - n + i;
        int j = t >= 0 ? (int)(t % JEPA_LIVE_TRACE) : 0;
        bool have = p->have_read && t >= 0 && p->read.trace_tick[j] == t;
        out[i] = have ? p->read.trace[j] : NAN;
        marks[i] = have && p->read.trace_cut[j];
    }
}

/* slot k's point i of the rollout in world coordinates */
static bool ghost_point(const ViewPixel* p, int k, int i, double* x, double* y) {
    const float* g = p->read.ghost + ((size_t)k * JEPA_LIVE_GHOST_STEPS + i) * 2;
    render_camera_to_world(&p->cam, g[0], g[1], x, y);
    return isfinite(*x) && isfinite(*y);
}

/* the rollout is shown when it was made after the last cut (the same episode's frames and camera) */
static bool ghosts_current(const ViewPixel* p) {
    return p->on && p->have_read && p->read.ghost_tick >= 0 && p->read.ghost_tick >= p->cut_tick;
}

bool view_pixel_ghost(const ViewPixel* p, int k, double* x, double* y) {
    if (!ghosts_current(p) || k < 0 || k >= p->K || !p->read.ghost_ok[k]) return false;
    return ghost_point(p, k, JEPA_LIVE_GHOST_STEPS - 1, x, y);
}

void view_pixel_draw(RenderCanvas* c, const RenderCamera* cam, const ViewPixel* p) {
    if (!ghosts_current(p)) return;
    RenderColor col = VIEW_PIXEL_COLOR, rim = render_rgba(255, 255, 255, 255);
    for (int k = 0; k < p->K; k++) {
        if (!p->read.ghost_ok[k]) continue;
        for (int i = 0; i < JEPA_LIVE_GHOST_STEPS; i++) {
            double x, y, sx, sy;
            if (!ghost_point(p, k, i, &x, &y)) continue;
            render_camera_to_screen(cam, x, y, &sx, &sy);
            /* small dots along the way, a large one (white-rimmed) at the horizon */
            double r = i == JEPA_LIVE_GHOST_STEPS - 1 ? 6.0 : 2.0 + 0.5 * i;
            if (i == JEPA_LIVE_GHOST_STEPS - 1) render_canvas_fill_circle(c, sx, sy, r + 1.5, rim);
            render_canvas_fill_circle(c, sx, sy, r, col);
        }
    }
}

bool view_pixel_save(ViewPixel* p, const char* path, char* err, size_t err_size) {
    if (!p->live) {
        report_set(err, err_size, "the pixel model was never turned on (J): nothing to save to %s", path);
        return false;
    }
    bool running = jepa_live_running(p->live);
    jepa_live_stop(p->live);
    /* the probe goes with it only while it is the checkpoint's (the outputs eval reads); the live
       probe reads positions alone */
    const Probe* probe = jepa_live_probe(p->live);
    bool ok = jepa_trainer_save(jepa_live_trainer(p->live), probe->w && probe->O == JEPA_PROBE_OUTPUTS ? probe : NULL,
                                path, err, err_size);
    if (running) jepa_live_start(p->live);
    return ok;
}
