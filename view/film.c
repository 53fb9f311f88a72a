#include "view/film.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "render/draw_world.h"
#include "render/follow.h"
#include "render/render.h"
#include "render/video.h"
#include "sim/observation.h"
#include "view/font.h"
#include "view/live.h"
#include "view/overlay.h"

struct ViewFilm {
    RenderVideo*   video;
    int            w, h, fps, top;
    uint8_t*       px;
    RenderFollow   follow;
    double         fit[4];
    double         tick_s;       /* seconds per control tick */
    int64_t        ticks, frame; /* ticks seen; the next frame to write */
    const WmModel* model;
    WmScratch*     scratch;
    ViewLive       live;
    SimBodyState*  bodies;       /* [K] the last known body of each slot */
    uint8_t*       known;
    ViewFont*      font;
    char           caption[160];
    bool           failed;
};

/* the scene's rectangle, as the view frames it (room above for the labels) */
static void fit_rect(ViewFilm* f, const Episode* e) {
    render_scene_rect(&e->inst, f->fit);
    f->fit[3] += 0.1 * (f->fit[3] - f->fit[1]);
    f->follow.init = false;
}

static void draw(ViewFilm* f, const Episode* e) {
    RenderCanvas c = render_canvas_wrap(f->px, f->w, f->h, 3);
    c.aa = true;
    render_canvas_clear(&c, RENDER_BACKGROUND);
    double need[4];
    render_rect_empty(need);
    view_live_need_rect(f->model ? &f->live : NULL, e->world, e->inst.world.bounds, f->bodies, f->known, true, false, need);
    render_follow_step(&f->follow, need, f->fit, (double)f->w / (f->h - f->top), 1.0 / f->fps);
    RenderCamera cam = render_follow_camera(&f->follow, 0, f->top, f->w, f->h - f->top);
    render_draw_world(&c, &cam, e->world);
    if (f->model) view_draw_predictions(&c, &cam, &f->live, f->bodies, f->known, f->font, true);
    if (f->font) {
        char line[256];
        snprintf(line, sizeof line, "%s   t %.2f s%s", f->caption, sim_world_time(e->world),
                 f->model ? "   ghosts: the model's prediction 0.5 s ahead" : "");
        view_font_draw(f->font, &c, 8, 4, line, render_rgba(30, 30, 40, 255));
    }
}

/* the frames due by the film's time now */
static void frames_due(ViewFilm* f, const Episode* e) {
    double now = (double)f->ticks * f->tick_s;
    while (!f->failed && (double)f->frame / f->fps <= now + 1e-9) {
        draw(f, e);
        if (!render_video_frame(f->video, f->px)) f->failed = true;
        f->frame++;
    }
}

static void on_tick(void* ctx, const Episode* e) {
    ViewFilm* f = ctx;
    if (e->applied.flags & SIM_ACT_RESET) {
        fit_rect(f, e);
        memset(f->known, 0, (size_t)e->slots);
        if (f->model) view_live_begin_episode(&f->live);
    } else {
        for (int k = 0; k < e->slots; k++)
            if (e->mask[k] && sim_world_body(e->world, e->ids[k], &f->bodies[k])) f->known[k] = 1;
        if (f->model) {
            float* rows = alloc_zeroed((size_t)e->slots * 4, sizeof *rows);
            sim_action_add_rows(&e->applied, rows, e->slots);
            memcpy(f->live.bounds, e->inst.world.bounds, sizeof f->live.bounds);
            f->live.magic_only = !episode_handled(e);
            view_live_tick(&f->live, f->model, f->scratch, e->states, e->mask, e->applied.npushes ? rows : NULL,
                           episode_intervened(e));
            free(rows);
        }
    }
    f->ticks++;
    frames_due(f, e);
}

ViewFilm* view_film_start(const ViewFilmDef* d, Episode* e, char* err, size_t err_size) {
    if (d->model && wm_arch(d->model)->slots != e->slots) {
        report_set(err, err_size, "%s: the model observes %d slots, the run %d (--slots)", d->path,
                   wm_arch(d->model)->slots, e->slots);
        return NULL;
    }
    RenderVideo* v = render_video_open(d->path, d->w, d->h, d->fps, err, err_size);
    if (!v) return NULL;
    ViewFilm* f = alloc_zeroed(1, sizeof *f);
    f->video = v;
    f->w = d->w, f->h = d->h, f->fps = d->fps;
    f->px = alloc_array((size_t)d->w * d->h, 3);
    f->tick_s = e->inst.world.dt * e->inst.world.steps_per_tick;
    f->model = d->model;
    f->bodies = alloc_zeroed((size_t)e->slots, sizeof *f->bodies);
    f->known = alloc_zeroed((size_t)e->slots, 1);
    snprintf(f->caption, sizeof f->caption, "%s", d->caption ? d->caption : "");
    char fe[256];
    f->font = view_font_open(d->h >= 900 ? 17 : 14, fe, sizeof fe);
    f->top = f->font ? view_font_height(f->font) + 8 : 0;
    if (d->model) {
        view_live_init(&f->live, e->slots, SIM_OBS_DIM);
        f->scratch = wm_scratch_create(d->model);
    }
    fit_rect(f, e);
    if (!episode_attach(e, on_tick, f, EPISODE_READS_OBS)) {
        report_set(err, err_size, "%s: cannot film the episode (too many hooks)", d->path);
        view_film_abort(f);
        return NULL;
    }
    /* the first frame: the start */
    episode_observe(e);
    for (int k = 0; k < e->slots; k++)
        if (e->mask[k] && sim_world_body(e->world, e->ids[k], &f->bodies[k])) f->known[k] = 1;
    frames_due(f, e);
    return f;
}

int64_t view_film_frames(const ViewFilm* f) { return f->frame; }

static void film_free(ViewFilm* f) {
    free(f->px);
    free(f->bodies);
    free(f->known);
    if (f->model) {
        view_live_free(&f->live);
        wm_scratch_free(f->scratch);
    }
    view_font_close(f->font);
    free(f);
}

bool view_film_finish(ViewFilm* f, char* err, size_t err_size) {
    if (!f) return true;
    bool ok = render_video_close(f->video, err, err_size);
    film_free(f);
    return ok;
}

void view_film_abort(ViewFilm* f) {
    if (!f) return;
    render_video_abort(f->video);
    film_free(f);
}
