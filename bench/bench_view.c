/* bench_view: the live view's frame time and the trainer's throughput while the view runs.
 *
 * A 1280x720 frame of a scene with 20 dynamic bodies, training on (trainer thread), predictions
 * (a rollout) every frame: one control tick + weight sync + drawing (world, predictions, panels,
 * text) + upload to an SDL texture and present when a display exists (run it under xvfb-run; without
 * one only the drawing is timed). Prints p50/p99 frame time, then the trainer's steps/s while the
 * view ran against steps/s of the same trainer alone on this thread (offline). Frames are paced
 * at 60 per second, as a vsynced window is.
 *
 * Then the same with the pixel model on (J, view/pixel.h): its frames rendered every tick and its
 * worker thread training and scoring beside the state model's trainer -- three busy threads on two
 * cores. Prints the p50/p99 frame time again, both trainers' steps/s against each alone on this
 * thread, the pixel model's training windows/s and frames taken/s, and how its worker spent its
 * CPU (training, scoring the frames, refitting the probe). For both passes, each thread's share of
 * a core on a CPU and runnable but waiting for one (the kernel's schedstat): whether a thread is
 * short of CPU or spends what it gets elsewhere.
 *
 * The model is a fresh one of the default architecture; BENCH_VIEW_MODEL=FILE starts from a trained
 * model instead (its options: a model with the collision prior predicts and trains at its cost). */
#define _GNU_SOURCE   /* gettid */
#include <SDL.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include "base/clock.h"
#include "view/present.h"
#include "render/render.h"
#include "view/session.h"

#define FRAMES 900
#define OFFLINE_SECONDS 4.0

static int cmp_double(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

/* a thread of this process: its time on a CPU and waiting for one (runnable), seconds, from
   /proc/self/task/TID/schedstat; false when unknown */
typedef struct ThreadTime {
    double run, wait;
} ThreadTime;

static ThreadTime thread_time(int tid) {
    ThreadTime t = {NAN, NAN};
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", tid);
    FILE* f = fopen(path, "r");
    unsigned long long run, wait;
    if (f && fscanf(f, "%llu %llu", &run, &wait) == 2) t.run = run * 1e-9, t.wait = wait * 1e-9;
    if (f) fclose(f);
    return t;
}

/* the kernel id of this process's thread named `name` (0: none) */
static int thread_named(const char* name) {
    DIR* d = opendir("/proc/self/task");
    int found = 0;
    for (struct dirent* e; d && !found && (e = readdir(d));) {
        char path[300], comm[64] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE* f = fopen(path, "r");
        if (f && fgets(comm, sizeof comm, f)) comm[strcspn(comm, "\n")] = 0;
        if (f) fclose(f);
        if (!strcmp(comm, name)) found = atoi(e->d_name);
    }
    if (d) closedir(d);
    return found;
}

/* the window's, the state trainer's and the pixel model's threads over a pass */
typedef struct Threads {
    int tid[3];
    ThreadTime t0[3], t1[3];
} Threads;

static void threads_mark(Threads* th, int pixel_tid, bool end) {
    th->tid[0] = (int)gettid(), th->tid[1] = thread_named("nudge-train"), th->tid[2] = pixel_tid;
    for (int i = 0; i < 3; i++) (end ? th->t1 : th->t0)[i] = th->tid[i] ? thread_time(th->tid[i]) : (ThreadTime){NAN, NAN};
}

/* "window 52% (+31% waiting), ..." : each thread's share of a core over `seconds` on a CPU, and
   runnable but waiting for one */
static void threads_print(const Threads* th, double seconds, int n) {
    static const char* names[3] = {"window", "state trainer", "pixel worker"};
    printf("  threads, share of a core on a CPU (and runnable but waiting for one), /proc/self/task/*/schedstat:");
    for (int i = 0; i < n; i++)
        printf("%s %s %.0f%% (+%.0f%%)", i ? "," : "", names[i], 100 * (th->t1[i].run - th->t0[i].run) / seconds,
               100 * (th->t1[i].wait - th->t0[i].wait) / seconds);
    printf("\n");
}

/* a floor, two shelves and 20 dynamic bodies: boxes, balls, glasses, planks */
static bool write_scene(char* path) {
    int fd = mkstemps(path, 4);
    if (fd < 0) return false;
    FILE* f = fdopen(fd, "w");
    if (!f) return false;
    fprintf(f, "world bounds -4 -1 4 5\n");
    fprintf(f, "body floor box stone static pos 0 -0.05 size 8 0.1\n");
    fprintf(f, "body shelf1 box wood static pos -0.9 0.6 size 1.0 0.06\n");
    fprintf(f, "body shelf2 box wood static pos 0.9 0.6 size 1.0 0.06\n");
    static const char* kinds[4] = {"box wood", "ball rubber", "cup glass", "plank wood"};
    static const char* sizes[4] = {"0.1 0.1", "0.08 0.08", "0.08 0.12", "0.3 0.03"};
    for (int i = 0; i < 20; i++) {
        int    k = i % 4;
        double x = -1.3 + (i % 10) * 0.29, y = i < 10 ? 0.75 : 0.2;
        fprintf(f, "body b%d %s pos %.2f %.2f size %s\n", i, kinds[k], x, y, sizes[k]);
    }
    fprintf(f, "agent random\n");
    return fclose(f) == 0;
}

/* the timed frames of one pass: tick, sync, draw, present, paced at 60 per second; ft[FRAMES] */
typedef struct Pass {
    double t_tick, t_draw, t_upload, seconds;
    int64_t tiles_sent, tiles_total;
} Pass;

static void run_frames(ViewSession* s, RenderCanvas* c, ViewPresenter* pres, double* ft, Pass* p) {
    memset(p, 0, sizeof *p);
    int    W = c->w, H = c->h;
    double t_start = clock_now();
    for (int f = 0; f < FRAMES; f++) {
        double t0 = clock_now();
        view_session_tick(s);
        view_session_sync_weights(s);
        if (f % 15 == 0) view_session_sample_stats(s, t0);
        double t1 = clock_now();
        view_session_draw(s, c);
        double t2 = clock_now();
        p->t_tick += t1 - t0, p->t_draw += t2 - t1;
        if (pres) {
            SDL_Event ev;
            while (SDL_PollEvent(&ev)) {}
            view_presenter_show(pres, c->px, W, H);
            int sent, total;
            view_presenter_stats(pres, &sent, &total);
            p->tiles_sent += sent, p->tiles_total += total;
        }
        ft[f] = clock_now() - t0;
        p->t_upload += clock_now() - t2;
        /* the display's pace: 60 frames per second, as with vsync */
        double next = t_start + (f + 1) / 60.0, left = next - clock_now();
        if (left > 0) SDL_Delay((Uint32)(left * 1000));
    }
    p->seconds = clock_now() - t_start;
    qsort(ft, FRAMES, sizeof *ft, cmp_double);
}

int main(void) {
    sim_quiet_chipmunk();
    char path[] = "/tmp/nudge-bench-view-XXXXXX.scn";
    if (!write_scene(path)) {
        fprintf(stderr, "bench_view: cannot write a scene\n");
        return 1;
    }
    ViewOptions o = view_options_default();
    o.scenario    = path;
    o.agent       = SCN_AGENT_RANDOM;
    o.train       = getenv("BENCH_VIEW_NO_TRAIN") == NULL;
    o.model_path  = getenv("BENCH_VIEW_MODEL");   /* a trained model (its options) instead of a fresh one */
    ViewSession* s = calloc(1, sizeof *s);
    char         err[512];
    if (!view_session_init(s, &o, true, err, sizeof err)) {
        fprintf(stderr, "bench_view: %s\n", err);
        unlink(path);
        return 1;
    }
    unlink(path);
    s->font = view_font_open(14, err, sizeof err);

    /* a window when there is a display */
    view_presenter_hints();
    bool           window = getenv("DISPLAY") && SDL_Init(SDL_INIT_VIDEO) == 0;
    SDL_Window*    win    = NULL;
    ViewPresenter* pres   = NULL;
    int            W = 1280, H = 720;
    if (window) {
        win    = SDL_CreateWindow("bench_view", 0, 0, W, H, 0);
        pres   = win ? view_presenter_create(win) : NULL;
        window = pres && SDL_GetWindowSurface(win);
    }
    int64_t tiles_sent = 0, tiles_total = 0;
    uint8_t*   px = malloc((size_t)W * H * 3);
    RenderCanvas c  = render_canvas_wrap(px, W, H, 3);
    double*    ft = malloc(sizeof(double) * FRAMES);
    double     load[3] = {0, 0, 0};
    getloadavg(load, 3);

    /* warm up: fill the replay buffer so the trainer is busy from the first timed frame */
    for (int i = 0; i < 240; i++) view_session_tick(s);
    WmTrainerStats st0, st1;
    wm_trainer_stats(s->tr, &st0);
    Pass pa;
    Threads tha;
    threads_mark(&tha, 0, false);
    run_frames(s, &c, window ? pres : NULL, ft, &pa);
    threads_mark(&tha, 0, true);
    tiles_sent = pa.tiles_sent, tiles_total = pa.tiles_total;
    double t_tick = pa.t_tick, t_draw = pa.t_draw, t_upload = pa.t_upload;
    double view_time = pa.seconds;
    wm_trainer_stats(s->tr, &st1);
    double steps_viewing = (double)(st1.steps - st0.steps) / view_time;
    int    live = 0;
    live = s->live_bodies;

    double p50 = ft[FRAMES / 2] * 1e3, p99 = ft[(int)(FRAMES * 0.99)] * 1e3;

    /* the pixel model on: its worker thread beside the state trainer's; warmed up until it trains */
    double* ft2 = malloc(sizeof(double) * FRAMES);
    /* BENCH_VIEW_PIXEL_NICE=N: the pixel worker N steps nicer than the window (--pixel-nice; default the view's) */
    if (getenv("BENCH_VIEW_PIXEL_NICE")) s->pixel.nice = atoi(getenv("BENCH_VIEW_PIXEL_NICE"));
    bool    pixel = view_session_pixel(s, true);
    Pass    pb;
    memset(&pb, 0, sizeof pb);
    WmTrainerStats  sb0, sb1;
    JepaLiveRead    pr0, pr1;
    memset(&pr0, 0, sizeof pr0);
    memset(&pr1, 0, sizeof pr1);
    double          px_steps_viewing = 0, px_frames_viewing = 0;
    Threads         thb;
    memset(&thb, 0, sizeof thb);
    if (pixel) {
        for (int i = 0; i < 6000; i++) {
            view_session_tick(s);
            view_session_sync_weights(s);
            if (s->pixel.read.train.steps >= 3) break;
            SDL_Delay(5);
        }
        wm_trainer_stats(s->tr, &sb0);
        jepa_live_read(s->pixel.live, &s->pixel.read);
        pr0 = s->pixel.read;
        threads_mark(&thb, pr0.tid, false);
        run_frames(s, &c, window ? pres : NULL, ft2, &pb);
        threads_mark(&thb, pr0.tid, true);
        wm_trainer_stats(s->tr, &sb1);
        jepa_live_read(s->pixel.live, &s->pixel.read);
        pr1 = s->pixel.read;
        px_steps_viewing = (double)(pr1.train.steps - pr0.train.steps) / pb.seconds;
        px_frames_viewing = (double)(pr1.frames - pr0.frames) / pb.seconds;
        view_session_pixel(s, false);
        jepa_live_stop(s->pixel.live);   /* joined: its trainer is this thread's now */
    }

    /* offline: the same trainer alone, on this thread */
    wm_driver_stop(&s->driver);
    double  t0 = clock_now();
    int64_t n  = 0;
    while (clock_now() - t0 < OFFLINE_SECONDS) n += wm_trainer_step(s->tr);
    double steps_offline = n / (clock_now() - t0);
    /* the pixel model's trainer alone, on this thread */
    double px_offline = NAN;
    if (pixel) {
        JepaTrainer* jt = jepa_live_trainer(s->pixel.live);
        t0 = clock_now();
        n = 0;
        while (clock_now() - t0 < OFFLINE_SECONDS) n += jepa_trainer_step(jt);
        px_offline = n / (clock_now() - t0);
    }

    /* dataset frames: a 64x64 gray frame of this world against one control tick of its physics */
    SimSnapshot* snap = sim_world_snapshot(s->ep.world);
    SimWorld*    copy = sim_world_from_snapshot(snap, err, sizeof err);
    double       rect[4] = {-2, -0.2, 2, 1.4};
    uint8_t      frame[64 * 64];
    int          reps    = 2000;
    double       r0      = clock_now();
    for (int i = 0; i < reps; i++) render_world(copy, rect, frame, 64, 64, 1);
    double render_us = (clock_now() - r0) / reps * 1e6;
    r0               = clock_now();
    for (int i = 0; i < 600; i++) sim_world_tick(copy, NULL);
    double tick_us = (clock_now() - r0) / 600 * 1e6;
    sim_world_destroy(copy);
    sim_snapshot_free(snap);

    printf("bench_view: load average %.1f %.1f %.1f at the start\n", load[0], load[1], load[2]);
    printf("bench_view: %dx%d, %d live bodies (20 dynamic at the start), training on, a %d-tick rollout every frame, %s\n",
           W, H, live, s->live.roll_len, window ? "changed tiles sent to the window" : "drawing only (no display)");
    printf("frame time: p50 %.2f ms, p99 %.2f ms (target p99 < 16.7 ms: %s)\n", p50, p99, p99 < 16.7 ? "met" : "NOT met");
    printf("mean per frame: tick + rollout %.2f ms, drawing %.2f ms, present %.2f ms (%.0f%% of the tiles sent)\n",
           t_tick / FRAMES * 1e3, t_draw / FRAMES * 1e3, t_upload / FRAMES * 1e3,
           tiles_total ? 100.0 * tiles_sent / tiles_total : 0.0);
    printf("trainer: %.0f steps/s while viewing, %.0f steps/s offline on one thread: %.2fx (target >= 0.7x: %s)\n",
           steps_viewing, steps_offline, steps_viewing / steps_offline,
           steps_viewing / steps_offline >= 0.7 ? "met" : "NOT met");
    threads_print(&tha, pa.seconds, 2);
    printf("dataset frames: 64x64 gray %.1f us per frame, physics %.1f us per control tick (%.2fx)\n", render_us,
           tick_us, render_us / tick_us);
    if (pixel) {
        double q50 = ft2[FRAMES / 2] * 1e3, q99 = ft2[(int)(FRAMES * 0.99)] * 1e3;
        double sv = (double)(sb1.steps - sb0.steps) / pb.seconds;
        int    B = s->pixel.batch;
        double ct = pr1.cpu_train - pr0.cpu_train, ci = pr1.cpu_infer - pr0.cpu_infer, cp = pr1.cpu_probe - pr0.cpu_probe;
        double cw = ct + ci + cp, call = pr1.cpu_total - pr0.cpu_total;
        printf("with the pixel model on (J, %dx%d frames, batch %d, its thread %d steps nicer): frame time p50 %.2f ms, p99 %.2f ms (target p99 < "
               "16.7 ms: %s); mean per frame: tick + rollout + frame render %.2f ms, drawing %.2f ms\n",
               s->pixel.W, s->pixel.H, B, s->pixel.nice, q50, q99, q99 < 16.7 ? "met" : "NOT met", pb.t_tick / FRAMES * 1e3,
               pb.t_draw / FRAMES * 1e3);
        printf("  state trainer: %.0f steps/s (%.2fx of alone offline, %.2fx of its steps/s with the pixel model off)\n",
               sv, sv / steps_offline, sv / steps_viewing);
        printf("  pixel trainer: %.2f steps/s = %.0f training windows/s (%.2fx of alone offline: %.2f steps/s = %.0f "
               "windows/s); frames taken %.1f/s of 60, %lld dropped\n",
               px_steps_viewing, px_steps_viewing * B, px_steps_viewing / px_offline, px_offline, px_offline * B,
               px_frames_viewing, (long long)(pr1.dropped - pr0.dropped));
        printf("  pixel worker CPU: %.2f s of %.1f s (%.0f%% of a core; %.2f s in its loop): training %.0f%%, scoring "
               "frames %.0f%% (%.2f ms a frame), probe refits %.0f%% (%d done); %lld naps of 2 ms with nothing to do\n",
               cw, pb.seconds, 100 * cw / pb.seconds, call, cw > 0 ? 100 * ct / cw : 0, cw > 0 ? 100 * ci / cw : 0,
               pr1.frames > pr0.frames ? ci / (pr1.frames - pr0.frames) * 1e3 : 0.0, cw > 0 ? 100 * cp / cw : 0,
               pr1.probe_fits - pr0.probe_fits, (long long)(pr1.naps - pr0.naps));
        threads_print(&thb, pb.seconds, 3);
    }
    free(ft2);
    free(ft);
    free(px);
    view_presenter_free(pres);
    if (win) SDL_DestroyWindow(win);
    if (getenv("DISPLAY")) SDL_Quit();
    view_session_free(s);
    free(s);
    return 0;
}
