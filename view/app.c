#include "view/app.h"

#include <SDL.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/clock.h"
#include "base/interrupt.h"
#include "render/draw_world.h"
#include "render/png.h"
#include "render/video.h"
#include "view/present.h"
#include "view/session.h"

/* at most this many control ticks per frame (a slow frame does not snowball) */
#define MAX_TICKS_PER_FRAME 8

ViewOptions view_options_default(void) {
    ViewOptions o;
    memset(&o, 0, sizeof o);
    o.agent       = -1;
    o.width       = 1280;
    o.height      = 720;
    o.train       = true;
    o.train_ratio = 1.0;
    o.plan_samples = 64;
    o.plan_iters = 3;
    o.replay = VIEW_REPLAY_DEFAULT;
    o.pixel_nice = -1;   /* VIEW_PIXEL_NICE in real time, 0 with --frames (view_pixel_nice) */
    return o;
}

static bool save_canvas(ViewSession* s, const RenderCanvas* c, const char* path) {
    char err[512];
    if (!make_parent_dirs(path, err, sizeof err) || !render_png_write(path, c->px, c->w, c->h, c->channels, err, sizeof err)) {
        fprintf(stderr, "nudge view: %s\n", err);
        return false;
    }
    (void)s;
    return true;
}

/* ---- headless: the same tick, as fast as possible, training in the loop ---- */

/* v printed with fmt, or "-" when there is none yet */
static void metric_text(char* out, size_t n, const char* fmt, bool have, double v) {
    if (have && isfinite(v)) snprintf(out, n, fmt, v);
    else snprintf(out, n, "-");
}

static int run_headless(ViewSession* s) {
    const ViewOptions* o       = &s->o;
    double             seconds = o->seconds > 0 ? o->seconds : (o->frames > 0 ? 0 : 60.0);
    int64_t            ticks   = seconds > 0 ? (int64_t)llround(seconds * 60.0) : 0;
    if (o->frames > 0 && (ticks == 0 || o->frames < ticks)) ticks = o->frames;
    double  acc = 0, t0 = clock_now(), last_t = t0;
    int64_t last_steps = 0;
    for (int64_t t = 1; t <= ticks; t++) {
        view_session_tick(s);
        /* the trainer's driver, inline: a fixed number of optimizer steps per tick keeps runs
         * reproducible */
        if (wm_driver_is_on(&s->driver)) {
            acc += o->train_ratio;
            while (acc >= 1.0) {
                acc -= 1.0;
                wm_driver_step(&s->driver);
            }
        }
        view_pixel_work(&s->pixel);
        view_session_sync_weights(s);
        if (t % 60 == 0) {
            WmTrainerStats st;
            wm_trainer_stats(s->tr, &st);
            double now = clock_now(), rate = now > last_t ? (st.steps - last_steps) / (now - last_t) : 0;
            last_t = now, last_steps = st.steps;
            s->updates_per_s = rate;
            if (st.steps > 0 && isfinite(st.train_loss)) view_loss_log_add(&s->loss, st.train_loss, st.val_loss);
            double e, cv;
            bool   have = view_live_take_second(&s->live, &e, &cv);
            if (!o->quiet) {
                /* a number not measured yet (no step, no validation, no prediction come due) is '-' */
                char loss[32], val[32], err05[32], cv05[32];
                metric_text(loss, sizeof loss, "%.5g", st.steps > 0, st.train_loss);
                metric_text(val, sizeof val, "%.5g", true, st.val_loss);
                metric_text(err05, sizeof err05, "%.5f", have, e);
                metric_text(cv05, sizeof cv05, "%.5f", have, cv);
                printf("t=%lld updates=%lld samples_per_s=%.0f loss=%s val=%s err05=%s cv_err05=%s transitions=%lld "
                       "episodes=%lld",
                       (long long)(t / 60), (long long)st.steps, rate * s->batch, loss, val, err05, cv05,
                       (long long)st.transitions, (long long)s->episodes);
                if (s->pixel.on) {
                    /* the pixel model: its steps, frames taken, the mean surprise of the last second */
                    const JepaLiveRead* r = &s->pixel.read;
                    float tr[60];
                    uint8_t mk[60];
                    view_pixel_trace(&s->pixel, s->live.ntrace, 60, tr, mk);
                    double sum = 0;
                    int ns = 0;
                    for (int i = 0; i < 60; i++)
                        if (isfinite(tr[i])) sum += tr[i], ns++;
                    char ps[32], pe[32];
                    metric_text(ps, sizeof ps, "%.4f", ns > 0, ns ? sum / ns : 0);
                    metric_text(pe, sizeof pe, "%.2f", true, r->probe_err_px);
                    printf(" pixel_steps=%lld pixel_frames=%lld pixel_surprise=%s pixel_probe_px=%s",
                           (long long)r->train.steps, (long long)r->frames, ps, pe);
                }
                printf("\n");
                fflush(stdout);
            }
        }
        if (interrupt_requested()) break;
    }
    s->fps = ticks / (clock_now() - t0 + 1e-9);
    if (o->screenshot) {
        size_t   n  = (size_t)o->width * o->height * 3;
        uint8_t* px = alloc_bytes(n);
        RenderCanvas c = render_canvas_wrap(px, o->width, o->height, 3);
        view_session_draw(s, &c);
        bool ok = save_canvas(s, &c, o->screenshot);
        free(px);
        if (!ok) return 2;
        fprintf(stderr, "nudge view: screenshot saved to %s\n", o->screenshot);
    }
    return 0;
}

/* ---- the window ---- */

static int sdl_key(SDL_Keycode k) {
    if (k == SDLK_F1) return VIEW_KEY_F1;
    if (k == SDLK_F12) return VIEW_KEY_F12;
    if (k >= 0 && k < 128) return (int)k;
    return -1;
}

/* ---- --video: the window filmed ---- */

typedef struct ViewTape {
    RenderVideo* video;
    int          w, h, fps;
    uint8_t*     px;         /* the frame at the film's size */
    int64_t      next;       /* the next frame to write */
    double       t0;         /* wall time of the start */
    const char*  path;
} ViewTape;

static bool tape_open(ViewTape* t, const ViewOptions* o, char* err, size_t err_size) {
    memset(t, 0, sizeof *t);
    t->t0 = clock_now();
    if (!o->video) return true;
    t->w = o->width & ~1, t->h = o->height & ~1, t->fps = o->video_fps > 0 ? o->video_fps : 30;
    t->path = o->video;
    t->video = render_video_open(o->video, t->w, t->h, t->fps, err, err_size);
    if (!t->video) return false;
    t->px = alloc_array((size_t)t->w * t->h, 3);
    return true;
}

/* the frames due by the film's time t (s): the canvas, cropped or padded to the film's size */
static void tape_frame(ViewTape* t, const RenderCanvas* c, double time) {
    if (!t->video) return;
    while ((double)t->next / t->fps <= time + 1e-9) {
        if (t->next == 0 || c->w != t->w || c->h != t->h) {
            RenderCanvas f = render_canvas_wrap(t->px, t->w, t->h, 3);
            render_canvas_clear(&f, RENDER_BACKGROUND);
        }
        int w = c->w < t->w ? c->w : t->w, h = c->h < t->h ? c->h : t->h;
        for (int y = 0; y < h; y++) memcpy(t->px + (size_t)y * t->w * 3, c->px + (size_t)y * c->w * 3, (size_t)w * 3);
        render_video_frame(t->video, t->px);
        t->next++;
    }
}

static bool tape_close(ViewTape* t, char* err, size_t err_size) {
    if (!t->video) return true;
    int64_t n = render_video_frames(t->video);
    bool ok = render_video_close(t->video, err, err_size);
    if (ok) fprintf(stderr, "nudge view: filmed %lld frames (%dx%d, %d fps) to %s\n", (long long)n, t->w, t->h, t->fps, t->path);
    free(t->px);
    return ok;
}

static int run_window(ViewSession* s) {
    ViewOptions* o = &s->o;
    /* the frame is drawn on the CPU and shown through the window surface (view/present.h): no GL
     * renderer, whose software rasterizer (Mesa's llvmpipe under Xvfb) would take the trainer's core */
    view_presenter_hints();
    /* a window needs a real display: no silent fallback to SDL's offscreen or framebuffer drivers */
    bool chosen = getenv("SDL_VIDEODRIVER") != NULL;
    /* SIGINT and SIGTERM are ours (save, exit 130), not SDL's (a quit event, exit 0) */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    if (!chosen && getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY")) setenv("SDL_VIDEODRIVER", "x11", 1);
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "nudge view: cannot open a window (%s): run it under xvfb-run, or use --headless\n",
                SDL_GetError());
        return 2;
    }
    const char* driver = SDL_GetCurrentVideoDriver();
    if (!chosen && (!driver || (strcmp(driver, "x11") && strcmp(driver, "wayland")))) {
        fprintf(stderr, "nudge view: no usable display (SDL video driver '%s'): run it under xvfb-run, or use --headless\n",
                driver ? driver : "none");
        SDL_Quit();
        return 2;
    }
    SDL_Window* win = SDL_CreateWindow("nudge view", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                       o->width, o->height, SDL_WINDOW_RESIZABLE);
    ViewPresenter* pres = win ? view_presenter_create(win) : NULL;
    if (!win || !pres || !SDL_GetWindowSurface(win)) {
        fprintf(stderr, "nudge view: cannot open a window (%s): run it under xvfb-run, or use --headless\n",
                SDL_GetError());
        view_presenter_free(pres);
        if (win) SDL_DestroyWindow(win);
        SDL_Quit();
        return 2;
    }
    SDL_EventState(SDL_DROPFILE, SDL_ENABLE);
    /* --video: what the window shows, at the size it opened with (even), in real time (or 1/60 s a
     * frame with --frames) */
    ViewTape tape;
    char verr[600];
    if (!tape_open(&tape, o, verr, sizeof verr)) {
        fprintf(stderr, "nudge view: %s\n", verr);
        view_presenter_free(pres);
        SDL_DestroyWindow(win);
        SDL_Quit();
        return 2;
    }
    uint8_t*     px  = NULL;
    int          tw = 0, th = 0, status = 0;
    bool         fixed_clock = o->frames > 0;  /* --frames: every frame advances 1/60 s */
    double       acc = 0, prev = clock_now(), fps_t = prev, stats_t = prev;
    int64_t      frames = 0, fps_frames = 0;
    bool         quit   = false, shot = false;
    while (!quit) {
        if (interrupt_requested()) break;
        /* events */
        SDL_Event ev;
        while (SDL_PollEvent(&ev)) {
            switch (ev.type) {
            case SDL_QUIT: quit = true; break;
            case SDL_WINDOWEVENT: view_presenter_invalidate(pres); break;
            case SDL_KEYDOWN: {
                const ViewKeyBinding* b = view_key_lookup(sdl_key(ev.key.keysym.sym));
                if (!b) break;
                if (b->action == VIEW_ACT_QUIT) quit = true;
                else if (b->action == VIEW_ACT_SCREENSHOT) shot = true;
                else view_session_action(s, b->action, b->arg);
                break;
            }
            case SDL_MOUSEBUTTONDOWN:
            case SDL_MOUSEBUTTONUP: {
                /* Shift with the left button sets a goal instead of pushing */
                int button = ev.button.button == SDL_BUTTON_LEFT
                                 ? ((SDL_GetModState() & KMOD_SHIFT) ? VIEW_BUTTON_GOAL : VIEW_BUTTON_LEFT)
                                 : ev.button.button == SDL_BUTTON_MIDDLE ? VIEW_BUTTON_MIDDLE : VIEW_BUTTON_RIGHT;
                if (ev.type == SDL_MOUSEBUTTONDOWN) view_session_mouse_down(s, button, ev.button.x, ev.button.y);
                else view_session_mouse_up(s, button, ev.button.x, ev.button.y);
                break;
            }
            case SDL_MOUSEMOTION: view_session_mouse_move(s, ev.motion.x, ev.motion.y); break;
            case SDL_MOUSEWHEEL: view_session_wheel(s, ev.wheel.y); break;
            case SDL_DROPFILE: {
                char err[512];
                if (!view_session_load(s, ev.drop.file, err, sizeof err)) {
                    fprintf(stderr, "nudge view: %s\n", err);
                    view_session_say(s, "%s", err);
                } else {
                    view_session_say(s, "loaded %s", ev.drop.file);
                }
                SDL_free(ev.drop.file);
                break;
            }
            default: break;
            }
        }
        /* fixed control ticks from the accumulator; never inside drawing */
        double now = clock_now(), dt = now - prev;
        prev       = now;
        if (fixed_clock) dt = VIEW_TICK_DT;
        if (dt > 0.25) dt = 0.25;
        if (!s->paused) acc += dt * s->slow;
        int n = 0;
        while (acc >= VIEW_TICK_DT - 1e-9 && n < MAX_TICKS_PER_FRAME) {
            view_session_tick(s);
            acc -= VIEW_TICK_DT;
            n++;
        }
        if (n == MAX_TICKS_PER_FRAME) acc = 0;
        view_session_sync_weights(s);
        if (now - stats_t >= 0.25) {
            view_session_sample_stats(s, now);
            stats_t = now;
        }
        /* draw into the canvas and show what changed */
        int w, h;
        view_presenter_size(pres, &w, &h);
        if (w < 64) w = 64;
        if (h < 64) h = 64;
        if (w != tw || h != th) {
            free(px);
            px = alloc_array((size_t)w * h, 3);
            tw = w, th = h;
        }
        RenderCanvas c = render_canvas_wrap(px, w, h, 3);
        s->frame_dt = dt;
        view_session_draw(s, &c);
        if (!view_presenter_show(pres, px, w, h)) view_presenter_invalidate(pres);
        frames++, fps_frames++;
        tape_frame(&tape, &c, fixed_clock ? (double)frames * VIEW_TICK_DT : now - tape.t0);
        if (now - fps_t >= 0.5) {
            s->fps     = fps_frames / (now - fps_t);
            fps_t      = now;
            fps_frames = 0;
        }
        if (shot) {
            char name[64];
            view_file_name(name, sizeof name, "png");
            if (save_canvas(s, &c, name)) {
                printf("screenshot: %s\n", name);
                fflush(stdout);
                view_session_say(s, "screenshot saved to %s", name);
            }
            shot = false;
        }
        if (o->frames > 0 && frames >= o->frames) {
            if (o->screenshot) {
                if (!save_canvas(s, &c, o->screenshot)) status = 2;
                else fprintf(stderr, "nudge view: screenshot saved to %s\n", o->screenshot);
            }
            quit = true;
        }
        /* the display's pace without vsync: about 60 frames per second */
        if (!fixed_clock) {
            double spent = clock_now() - now;
            if (spent < 1.0 / 60) SDL_Delay((Uint32)((1.0 / 60 - spent) * 1000));
        }
    }
    if (!tape_close(&tape, verr, sizeof verr)) {
        fprintf(stderr, "nudge view: %s\n", verr);
        status = 2;
    }
    free(px);
    view_presenter_free(pres);
    SDL_DestroyWindow(win);
    SDL_Quit();
    return status;
}

int view_app_run(const ViewOptions* opts) {
    ViewOptions o = *opts;
    if (!o.headless && !getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY")) {
        fprintf(stderr, "nudge view: no display; run it under Xvfb (xvfb-run -a nudge view ...) or use --headless\n");
        return 2;
    }
    /* Ctrl-C or SIGTERM ends the session the way quitting does: the model is saved, then exit 130 */
    interrupt_catch();
    ViewSession* s = alloc_zeroed(1, sizeof *s);
    char err[1024];
    if (!view_session_init(s, &o, !o.headless, err, sizeof err)) {
        fprintf(stderr, "nudge view: %s\n", err);
        view_session_free(s);
        free(s);
        interrupt_release();
        return 2;
    }
    /* keys pressed at the start (for scripted screenshots: --keys tab,c) */
    if (o.keys) {
        char list[256];
        snprintf(list, sizeof list, "%s", o.keys);
        for (char* save = NULL, *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
            const ViewKeyBinding* b = view_key_lookup(view_key_from_name(k));
            if (b && b->action != VIEW_ACT_QUIT && b->action != VIEW_ACT_SCREENSHOT) view_session_action(s, b->action, b->arg);
        }
    }
    char fe[512];
    s->font = view_font_open(o.height >= 900 ? 17 : 14, fe, sizeof fe);
    if (!s->font) fprintf(stderr, "nudge: warning: %s; drawing without text\n", fe);
    int status = o.headless ? run_headless(s) : run_window(s);
    wm_driver_stop(&s->driver);
    bool interrupted = interrupt_requested();
    if (status == 0 && o.jepa_save) {
        if (!make_parent_dirs(o.jepa_save, err, sizeof err) || !view_pixel_save(&s->pixel, o.jepa_save, err, sizeof err)) {
            fprintf(stderr, "nudge view: %s\n", err);
            status = 2;
        } else {
            fprintf(stderr, "nudge view: pixel model saved to %s\n", o.jepa_save);
        }
    }
    if (status == 0 && o.save_path) {
        if (!make_parent_dirs(o.save_path, err, sizeof err) || !wm_trainer_save(s->tr, o.save_path, err, sizeof err)) {
            fprintf(stderr, "nudge view: %s\n", err);
            status = 2;
        } else {
            fprintf(stderr, "nudge view: %smodel saved to %s\n", interrupted ? "interrupted; " : "", o.save_path);
        }
    } else if (status == 0 && interrupted) {
        fprintf(stderr, "nudge view: interrupted\n");
    }
    interrupt_release();
    if (status == 0 && interrupted) status = INTERRUPT_EXIT_STATUS;
    view_session_free(s);
    free(s);
    return status;
}
