#define _GNU_SOURCE   /* pthread_setname_np */
#include "view/session.h"
#include "render/render.h"

#include <dirent.h>
#include <libgen.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/episode_export.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/input_file.h"
#include "base/report.h"
#include "base/share_dir.h"
#include "model/nn.h"
#include "render/draw_world.h"
#include "render/png.h"
#include "view/history_bar.h"
#include "view/overlay.h"

/* mouse push: velocity change per metre of drag (1/s), and at most (m/s) */
#define DRAG_GAIN 4.0
#define DRAG_MAX_DV 4.0

void view_file_name(char* out, size_t n, const char* ext) {
    time_t    now = time(NULL);
    struct tm tm;
    char      stamp[32];
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(out, n, "nudge-%s.%s", stamp, ext);
    for (int k = 2; access(out, F_OK) == 0 && k < 1000; k++) snprintf(out, n, "nudge-%s-%d.%s", stamp, k, ext);
}

void view_session_say(ViewSession* s, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->message, sizeof s->message, fmt, ap);
    va_end(ap);
    s->message_until = clock_now() + 5.0;
}

/* ---- scenario lists ---- */

static bool is_dir(const char* p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* the sorted .scn files of a folder into out (at most cap); returns how many */
static int list_scenes(const char* dir, char** out, int cap) {
    char** all = NULL;
    int    n   = scn_list_files(dir, false, &all);
    if (n < 0) return 0;
    int kept = n < cap ? n : cap;
    if (kept > 0) memcpy(out, all, sizeof *out * (size_t)kept);   /* a folder without scenes: all is NULL */
    for (int i = kept; i < n; i++) free(all[i]);
    free(all);
    return kept;
}

static void free_list(char** list, int* n) {
    for (int i = 0; i < *n; i++) free(list[i]);
    *n = 0;
}

/* ---- episodes ---- */

/* the camera's rectangle: the scene as dataset frames show it, with room above for the labels */
static void fit_camera_rect(ViewSession* s) {
    render_scene_rect(&s->ep.inst, s->fit_rect);
    s->fit_rect[3] += 0.1 * (s->fit_rect[3] - s->fit_rect[1]);
}

/* the agent the view runs: the one picked with A (or the scenario's); a planner imagines with the
 * live model's published weights, at the view's sample and refinement counts */
static AgentOverride view_agent_override(const ViewSession* s) {
    AgentOverride o = agent_override_none();
    o.kind = s->o.agent;
    o.model = s->rm;
    o.samples = s->o.plan_samples;
    o.iters = s->o.plan_iters;
    return o;
}

/* the mouse's goal replaces the scenario's, with its deadline counted from now */
static void plan_user_goal(ViewSession* s) {
    Planner* p = s->have_ep ? agent_planner(s->ep.agent) : NULL;
    if (!p || !s->have_user_goal) return;
    s->user_goal.t = sim_world_time(s->ep.world) + VIEW_GOAL_SECONDS;
    planner_set_goals(p, &s->user_goal, 1);
}

/* the bookkeeping of a fresh episode: a new scenario or a reset */
static void episode_started(ViewSession* s) {
    plan_user_goal(s);
    s->drag_id = s->grab_id = s->goal_id = -1;
    sim_action_clear(&s->pending);
    s->episodes++;
    s->done_time = 0;
    memset(s->known, 0, sizeof s->known);
    view_live_begin_episode(&s->live);
    view_pixel_begin_episode(&s->pixel);
    fit_camera_rect(s);
    if (s->split) view_live_imagine_from_now(&s->live);
}

/* the last known body of each slot of an observation */
static void remember_bodies(ViewSession* s, const Episode* e) {
    s->live_bodies = 0;
    for (int k = 0; k < VIEW_SLOTS; k++)
        if (e->mask[k] && sim_world_body(e->world, e->ids[k], &s->bodies[k])) s->known[k] = 1, s->live_bodies++;
}

/* the hook on the episode: after every tick, the live predictions from the observation at the
 * tick's start with the pushes it applied, and the last known body of each slot */
static void on_tick(void* ctx, const Episode* e) {
    ViewSession* s = ctx;
    if (e->applied.flags & SIM_ACT_RESET) {
        episode_started(s);
        return;
    }
    remember_bodies(s, e);
    float rows[VIEW_SLOTS * 4];
    memset(rows, 0, sizeof rows);
    sim_action_add_rows(&e->applied, rows, VIEW_SLOTS);
    memcpy(s->live.bounds, e->inst.world.bounds, sizeof s->live.bounds);
    bool magic = !episode_handled(e);
    s->live.magic_only = magic;
    view_live_tick(&s->live, s->version ? s->rm : NULL, s->rs, e->states, e->mask,
                   e->applied.npushes ? rows : NULL, episode_intervened(e));
    /* the pixel model's frame of this tick, on the same clock as the state model's trace */
    view_pixel_tick(&s->pixel, e, e->applied.npushes ? rows : NULL, episode_intervened(e) && !magic,
                    s->live.ntrace - 1);
    s->ticks_seen++;
}

/* a person did something: no auto-reset for a while */
static void note_human(ViewSession* s) { s->human_tick = s->ticks_seen; }

/* the recording stops at a failed write (a full disk): said once */
static void check_recording(ViewSession* s) {
    char err[512];
    if (!s->rec || rec_writer_ok(s->rec, err, sizeof err)) return;
    fprintf(stderr, "nudge view: %s; the recording stops\n", err);
    view_session_say(s, "%s; the recording stops", err);
    rec_writer_close(s->rec, NULL, 0);
    s->rec = NULL;
}

/* one tick of the episode through the history (and the recording). Going on from a point in the
 * past branches: the recording says so, and a hand the past state held lets go unless the mouse
 * holds on */
static void step(ViewSession* s, SimAction* a) {
    if (s->hist && history_pos(s->hist) < history_head(s->hist)) {
        if (s->rec) rec_writer_branch(s->rec, history_pos(s->hist));
        if (sim_world_grabbed(s->ep.world, NULL) && s->grab_id < 0 && !(a->flags & (SIM_ACT_GRAB | SIM_ACT_RESET)))
            a->flags |= SIM_ACT_RELEASE;
    }
    episode_tick(&s->ep, a);
    if (s->hist) history_tick(s->hist, &s->ep);
    check_recording(s);
}

/* the session's episode watches through its hooks: the live predictions, and the trainer */
static bool attach_hooks(ViewSession* s, Episode* e, char* err, size_t err_size) {
    char why[512];
    if (s->tr && !episode_feed_attach(&s->feed, e, s->tr, why, sizeof why)) {
        report_set(err, err_size, "%s: %s", s->o.model_path ? s->o.model_path : "the live model", why);
        return false;
    }
    if (!episode_attach(e, on_tick, s, EPISODE_READS_OBS)) {
        report_set(err, err_size, "cannot watch the episode (the model has %d slots)", VIEW_SLOTS);
        return false;
    }
    return true;
}

/* a new episode of a newly loaded scenario (a reset of the same scenario is an action) */
static bool begin_episode(ViewSession* s, char* err, size_t err_size) {
    Episode next;
    memset(&next, 0, sizeof next);
    uint64_t seed = s->base_seed + (s->o.repeat ? 0 : (uint64_t)s->episodes);
    AgentOverride agent = view_agent_override(s);
    if (!episode_begin_with(&next, s->scn, seed, &agent, VIEW_SLOTS, err, err_size)) return false;
    if (!attach_hooks(s, &next, err, err_size)) {
        episode_end(&next);
        return false;
    }
    if (s->have_ep) episode_end(&s->ep);
    s->ep      = next;
    s->have_ep = true;
    episode_started(s);
    /* a new timeline: the history starts here */
    if (!s->hist) s->hist = history_create(HISTORY_SNAP_EVERY, HISTORY_SPAN);
    history_begin(s->hist, &s->ep);
    return true;
}

void view_session_reset(ViewSession* s) {
    if (!s->have_ep) return;
    SimAction reset = episode_reset_action(s->base_seed + (s->o.repeat ? 0 : (uint64_t)s->episodes));
    step(s, &reset);
    if (s->ep.refused[0]) view_session_say(s, "%s", s->ep.refused);
}

bool view_session_load(ViewSession* s, const char* path, char* err, size_t err_size) {
    Scenario* scn = scn_load(path, err, err_size);
    if (!scn) return false;
    /* a recording holds one scenario: it ends here */
    if (s->rec) {
        char why[512];
        int64_t n = rec_writer_ticks(s->rec);
        if (rec_writer_close(s->rec, why, sizeof why))
            view_session_say(s, "recording stopped after %lld ticks: a recording holds one scenario (%s)", (long long)n, s->o.record);
        else
            view_session_say(s, "%s", why);
        s->rec = NULL;
    }
    Scenario* old = s->scn;
    s->scn        = scn;
    if (!s->o.seed_set) s->base_seed = scn_default_seed(scn);
    uint64_t keep_eps = s->episodes;
    bool keep_goal = s->have_user_goal;
    s->episodes       = 0;
    s->have_user_goal = false;   /* a goal set with the mouse belongs to its scenario */
    if (!begin_episode(s, err, err_size)) {
        s->scn      = old;
        s->episodes = keep_eps;
        s->have_user_goal = keep_goal;
        scn_free(scn);
        return false;
    }
    scn_free(old);
    s->cam_mode = VIEW_CAM_FOLLOW;
    s->follow.init = s->follow_split.init = false;
    /* auto-reset: off while nobody acts on its own, unless the person chose */
    if (!s->auto_reset_set) {
        ScnAgentKind kind = s->o.agent >= 0 ? (ScnAgentKind)s->o.agent : s->ep.inst.agent.kind;
        s->auto_reset = kind != SCN_AGENT_NONE;
    }
    /* the label: the file's name */
    const char* slash = strrchr(path, '/');
    snprintf(s->scn_label, sizeof s->scn_label, "%s", slash ? slash + 1 : path);
    /* browse its folder with N/P */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char* d = dirname(dir);
    free_list(s->scenes, &s->nscenes);
    s->nscenes = list_scenes(d, s->scenes, VIEW_MAX_SCENES);
    s->cur     = 0;
    for (int i = 0; i < s->nscenes; i++) {
        const char* a = strrchr(s->scenes[i], '/');
        if (a && !strcmp(a + 1, s->scn_label)) s->cur = i;
    }
    return true;
}

/* ---- init ---- */

bool view_session_init(ViewSession* s, const ViewOptions* o, bool threaded, char* err,
                       size_t err_size) {
    memset(s, 0, sizeof *s);
    s->o       = *o;
    s->drag_id = s->grab_id = s->goal_id = -1;
    s->ghosts  = true;
    s->panels  = true;
    s->slow    = 1.0;
    s->human_tick = -1;
    s->frame_dt = VIEW_TICK_DT;
    /* two threads use BLAS (predictions here, training there): one BLAS thread each (DESIGN.md) */
    nn_set_threads(1);
    view_live_init(&s->live, VIEW_SLOTS, SIM_OBS_DIM);
    /* the demo folder (1-9) and the first scenario */
    char demo[4096], where[512] = "";
    bool have_demo = share_dir_path("scenarios/demo", demo, sizeof demo, where, sizeof where) && is_dir(demo);
    if (have_demo) s->ndemos = list_scenes(demo, s->demos, 9);
    const char* first = o->scenario;
    char        pick[4096];
    if (!first || is_dir(first)) {
        char* list[VIEW_MAX_SCENES];
        int   n = 0;
        if (first) n = list_scenes(first, list, VIEW_MAX_SCENES);
        else if (have_demo) n = list_scenes(demo, list, VIEW_MAX_SCENES);
        if (n == 0) {
            if (!first && where[0]) report_set(err, err_size, "%s", where);
            else report_set(err, err_size, "%s: no .scn scenarios found%s", first ? first : demo,
                            first ? "" : " (give a scenario file: nudge view FILE.scn)");
            return false;
        }
        int at = 0;
        for (int i = 0; i < n; i++)
            if (strstr(list[i], "/glass_off_table.scn")) at = i;
        snprintf(pick, sizeof pick, "%s", list[at]);
        free_list(list, &n);
        first = pick;
    }
    s->base_seed = o->seed;
    /* the model first (a planner in the scenario imagines with it), seeded like the first episode */
    uint64_t model_seed = o->seed;
    if (!o->seed_set) {
        Scenario* peek = scn_load(first, err, err_size);
        if (!peek) return false;
        model_seed = scn_default_seed(peek);
        scn_free(peek);
    }
    WmModel* start = NULL;
    if (o->model_path) {
        start = wm_load(o->model_path, err, err_size);
        if (!start) return false;
        if (wm_arch(start)->slots != VIEW_SLOTS) {
            report_set(err, err_size, "%s: a model of %d object slots; the view observes %d", o->model_path,
                       wm_arch(start)->slots, VIEW_SLOTS);
            wm_free(start);
            return false;
        }
    }
    WmTrainerDef def = wm_trainer_def_default(VIEW_SLOTS);
    def.seed         = model_seed;
    if (o->replay > 0) {
        /* the live buffer's bound (--replay), and a tenth of it held out for validation */
        def.capacity     = o->replay;
        def.val_capacity = o->replay / 10 > 2 ? o->replay / 10 : 2;
    }
    s->batch         = def.batch;
    char why[512];
    /* the view sets the batch and the decay itself: what the check can refuse is --replay (buffers
       beyond the machine's memory) */
    if (!wm_trainer_def_check(&def, start, why, sizeof why)) {
        if (o->replay > 0) report_set(err, err_size, "--replay %lld: %s", (long long)o->replay, why);
        else report_set(err, err_size, "%s", why);
        wm_free(start);
        return false;
    }
    s->tr            = wm_trainer_create(&def, start);
    s->rm            = start ? wm_clone(start) : wm_create(&def.arch, def.seed);
    wm_free(start);
    if (!s->tr || !s->rm) {
        report_set(err, err_size, "cannot create the world model");
        return false;
    }
    s->rs = wm_scratch_create(s->rm);
    /* the pixel model: from --jepa's checkpoint (then on from the start), or fresh when J turns it on */
    if (!view_pixel_init(&s->pixel, o->jepa_path, model_seed, VIEW_SLOTS, threaded, err, err_size)) return false;
    s->pixel.nice = o->pixel_nice >= 0 ? o->pixel_nice : o->frames > 0 ? 0 : VIEW_PIXEL_NICE;
    wm_trainer_publish(s->tr);
    s->version = wm_trainer_snapshot(s->tr, s->rm, 0);
    /* the first scenario; its episodes feed the trainer (attach_hooks), the driver trains it */
    if (!view_session_load(s, first, err, err_size)) return false;
    /* the recording starts with the first episode, as the history does */
    if (o->record) {
        s->rec = rec_writer_open(o->record, &s->ep, (uint32_t)(o->hash_every > 0 ? o->hash_every : 1),
                                 HISTORY_SNAP_EVERY, err, err_size);
        if (!s->rec) return false;
        if (!rec_writer_attach(s->rec, &s->ep)) {
            report_set(err, err_size, "cannot record the episode");
            return false;
        }
    }
    wm_driver_init(&s->driver, s->tr, NULL, o->train);
    s->rate_t = clock_now();
    if (threaded && !wm_driver_start(&s->driver)) {
        report_set(err, err_size, "cannot start the trainer thread");
        return false;
    }
    /* named, as the pixel model's is (nudge-pixel), for top -H and /proc/PID/task */
    if (threaded) pthread_setname_np(s->driver.thread, "nudge-train");
    if (o->jepa_path && !view_session_pixel(s, true)) {
        report_set(err, err_size, "%s", s->message);
        return false;
    }
    return true;
}

bool view_session_pixel(ViewSession* s, bool on) {
    char err[512];
    if (!view_pixel_set_on(&s->pixel, on, err, sizeof err)) {
        view_session_say(s, "pixel model: %s", err);
        fprintf(stderr, "nudge view: pixel model: %s\n", err);
        return false;
    }
    view_pixel_set_horizon(&s->pixel, s->live.horizon);
    if (on) {
        view_session_say(s, "pixel model on: it trains on %dx%d frames of what the view renders (J turns it off)",
                         s->pixel.W, s->pixel.H);
    } else {
        JepaLiveRead* r = &s->pixel.read;
        view_pixel_sync(&s->pixel, clock_now());
        view_session_say(s, "pixel model off after %lld steps on %lld frames", (long long)r->train.steps,
                         (long long)r->frames);
    }
    /* on stdout too, for scripts: steps made and frames taken so far */
    printf("pixel model: %s, %lld steps, %lld frames\n", on ? "on" : "off",
           (long long)(s->pixel.have_read ? s->pixel.read.train.steps : 0),
           (long long)(s->pixel.have_read ? s->pixel.read.frames : 0));
    fflush(stdout);
    return true;
}

void view_session_free(ViewSession* s) {
    view_pixel_free(&s->pixel);
    if (s->tr) wm_driver_stop(&s->driver);
    if (s->rec) {
        char err[512];
        int64_t n = rec_writer_ticks(s->rec);
        if (!rec_writer_close(s->rec, err, sizeof err)) fprintf(stderr, "nudge view: %s\n", err);
        else fprintf(stderr, "nudge view: recorded %lld ticks to %s\n", (long long)n, s->o.record);
        s->rec = NULL;
    }
    history_free(s->hist);
    s->hist = NULL;
    if (s->have_ep) episode_end(&s->ep);
    episode_feed_free(&s->feed);
    scn_free(s->scn);
    wm_trainer_free(s->tr);
    wm_scratch_free(s->rs);
    wm_free(s->rm);
    view_live_free(&s->live);
    view_font_close(s->font);
    free_list(s->scenes, &s->nscenes);
    free_list(s->demos, &s->ndemos);
}

/* ---- ticking ---- */

static void check_episode_end(ViewSession* s) {
    SimWorld* w = s->ep.world;
    int       n = sim_world_id_count(w), dynamic = 0, done = 0;
    for (int id = 0; id < n; id++) {
        SimBodyState b;
        if (!sim_world_body(w, id, &b) || !b.alive || b.is_static) continue;
        dynamic++;
        if (b.resting || b.fell) done++;
    }
    /* a scripted action still to come keeps the episode going */
    ScnAgentKind kind    = s->o.agent >= 0 ? (ScnAgentKind)s->o.agent : s->ep.inst.agent.kind;
    bool         pending = kind == SCN_AGENT_SCRIPTED && s->ep.inst.nactions > 0 &&
                   s->ep.inst.actions[s->ep.inst.nactions - 1].t >= sim_world_time(w);
    if (done == dynamic && !pending) s->done_time += VIEW_TICK_DT;
    else s->done_time = 0;
    if (s->grab_id >= 0 || s->drag_id >= 0 || s->goal_id >= 0) s->done_time = 0;
    if (s->o.episode_seconds > 0) {
        /* fixed-length episodes (the tick count avoids rounding drift in the time) */
        if (sim_world_time(w) >= s->o.episode_seconds - 0.5 * VIEW_TICK_DT) view_session_reset(s);
        return;
    }
    /* never on its own while auto-reset is off (the agent none), nor soon after a person acted */
    if (!s->auto_reset) return;
    if (s->human_tick >= 0 && (double)(s->ticks_seen - s->human_tick) * VIEW_TICK_DT < VIEW_QUIET) return;
    if (s->done_time >= VIEW_DONE_AFTER || sim_world_time(w) >= VIEW_EPISODE_MAX) view_session_reset(s);
}

void view_session_tick(ViewSession* s) {
    if (!s->have_ep) return;
    /* the mouse's action: what was clicked since the last tick, and the hand toward the mouse */
    SimAction a = s->pending;
    sim_action_clear(&s->pending);
    if (s->grab_id >= 0) {
        RenderCamera cam = view_session_camera(s, 0);
        a.flags |= SIM_ACT_GRAB;
        a.grab.body = s->grab_id;
        a.grab.anchor[0] = s->grab_local[0], a.grab.anchor[1] = s->grab_local[1];
        double x, y;
        render_camera_to_world(&cam, s->mx, s->my, &x, &y);
        a.grab.target[0] = view_round(x, 4), a.grab.target[1] = view_round(y, 4);
    }
    if (!sim_action_is_empty(&a) || s->drag_id >= 0) note_human(s);
    step(s, &a);
    if (sim_world_error(s->ep.world)) {
        /* bodies piled into each other past the contact budget (spawned into one place): say so
           and start the next episode */
        view_session_say(s, "%s", sim_world_error(s->ep.world));
        view_session_reset(s);
        s->grab_id = -1;
        return;
    }
    if ((a.flags & SIM_ACT_SPAWN) && !(s->ep.applied.flags & SIM_ACT_SPAWN)) view_session_say(s, "%s", s->ep.refused);
    /* the held body broke or left the world: the hand is empty */
    if (s->grab_id >= 0 && !sim_world_grabbed(s->ep.world, NULL)) s->grab_id = -1;
    check_episode_end(s);
}

/* after a jump in the history: the view shows the state it landed on, predicts from it, and
 * scores nothing across the jump */
static void after_jump(ViewSession* s) {
    s->drag_id = s->grab_id = -1;
    sim_action_clear(&s->pending);
    s->done_time = 0;
    note_human(s);
    episode_observe(&s->ep);
    memset(s->known, 0, sizeof s->known);
    remember_bodies(s, &s->ep);
    view_live_intervene(&s->live);
    /* the pixel model's frames start afresh, framed on the episode it landed in */
    view_pixel_begin_episode(&s->pixel);
    view_live_predict_now(&s->live, s->version ? s->rm : NULL, s->rs, s->ep.states, s->ep.mask);
    if (s->split) view_live_imagine_from_now(&s->live);
    episode_feed_interrupt(&s->feed);
    fit_camera_rect(s);
}

bool view_session_seek(ViewSession* s, int64_t tick) {
    if (!s->have_ep || !s->hist) return false;
    s->paused = true;
    if (tick < history_oldest(s->hist)) tick = history_oldest(s->hist);
    if (tick > history_head(s->hist)) tick = history_head(s->hist);
    if (tick == history_pos(s->hist)) return true;
    char err[512];
    if (!history_seek(s->hist, &s->ep, tick, err, sizeof err)) {
        view_session_say(s, "%s", err);
        return false;
    }
    after_jump(s);
    return true;
}

bool view_session_write_scn(ViewSession* s, const char* path, char* out, size_t out_size) {
    char name[64], err[512];
    if (!path) {
        view_file_name(name, sizeof name, "scn");
        path = name;
    }
    bool ok = false;
    int n = history_episodes(s->hist, NULL, 0);
    HistoryEpisode* eps = alloc_array((size_t)n, sizeof *eps);
    history_episodes(s->hist, eps, n);
    HistoryEpisode ep = eps[n - 1];
    free(eps);
    size_t len = 0;
    char* text = NULL;
    if (ep.end <= ep.start) {
        report_set(err, sizeof err, "nothing to write yet: the episode has not begun");
    } else if (!ep.whole) {
        report_set(err, sizeof err, "this episode began before the oldest action the view keeps: it cannot be written");
    } else if (!(text = input_file_read(scn_name(s->scn), SCN_MAX_BYTES, &len, err, sizeof err))) {
        /* err says why */
    } else {
        Scenario* now = scn_parse(text, len, scn_name(s->scn), NULL, 0);
        bool same = now && scn_text_hash(now) == scn_text_hash(s->scn);
        scn_free(now);
        if (!same) {
            report_set(err, sizeof err, "%s changed since it was loaded: load it again (N or P) to write its episodes",
                       scn_name(s->scn));
        } else {
            int nlog;
            const HistoryEntry* log = history_log(s->hist, &nlog);
            HistoryEntry* acts = alloc_array((size_t)ep.count + 1, sizeof *acts);
            for (int i = 0; i < ep.count; i++) acts[i] = log[ep.first + i], acts[i].tick -= ep.start;
            char from[300];
            snprintf(from, sizeof from, "nudge view, %s, seed %llu", s->scn_label, (unsigned long long)ep.seed);
            EpisodeExport x = {s->scn, text, len, ep.seed, ep.end - ep.start, acts, ep.count, 0.1, {0}, from};
            episode_export_default_types(x.types);
            EpisodeExportStats st;
            ok = episode_export_write(&x, path, &st, err, sizeof err);
            free(acts);
            char what[256];
            episode_export_summary(&st, what, sizeof what);
            if (ok)
                report_set(out, out_size, "wrote %s (%.1f s: %s%s); nudge check %s runs it", path,
                           (double)(ep.end - ep.start) * VIEW_TICK_DT, what, st.exact ? "" : "; not exact", path);
        }
    }
    free(text);
    if (!ok) report_set(out, out_size, "cannot write the scenario: %s", err);
    view_session_say(s, "%s", out);
    return ok;
}

void view_session_sync_weights(ViewSession* s) {
    if (s->tr) s->version = wm_trainer_snapshot(s->tr, s->rm, s->version);
    if (s->pixel.on) view_pixel_sync(&s->pixel, clock_now());
}

void view_session_sample_stats(ViewSession* s, double now) {
    if (!s->tr) return;
    WmTrainerStats st;
    wm_trainer_stats(s->tr, &st);
    if (st.steps > 0 && isfinite(st.train_loss)) view_loss_log_add(&s->loss, st.train_loss, st.val_loss);
    if (now - s->rate_t >= 1.0) {
        s->updates_per_s = (double)(st.steps - s->rate_steps) / (now - s->rate_t);
        s->rate_steps    = st.steps;
        s->rate_t        = now;
    }
}

/* ---- camera and layout ---- */

void view_session_scene_area(const ViewSession* s, int which, double out[4]) {
    int ww = s->world_w > 0 ? s->world_w : 640;
    int top = s->scene_bottom > s->scene_top ? s->scene_top : 0;
    int bottom = s->scene_bottom > s->scene_top ? s->scene_bottom : (s->o.height > 0 ? s->o.height : 480);
    out[0] = s->split && which ? ww / 2 : 0;
    out[2] = s->split && !which ? ww / 2 : ww;
    out[1] = top, out[3] = bottom;
}

RenderCamera view_session_camera(const ViewSession* s, int which) {
    double a[4];
    view_session_scene_area(s, which, a);
    if (s->cam_mode == VIEW_CAM_FIT) return render_camera_fit(s->fit_rect, a[0], a[1], a[2] - a[0], a[3] - a[1]);
    if (s->split) {
        if (!s->follow_split.init) return render_camera_fit(s->fit_rect, a[0], a[1], a[2] - a[0], a[3] - a[1]);
        return render_follow_camera(&s->follow_split, a[0], a[1], a[2] - a[0], a[3] - a[1]);
    }
    return s->cam;
}

void view_session_layout(ViewSession* s, int w, int h, double dt) {
    int panel_w = !s->panels ? 0 : w >= 900 ? (int)(w * 0.3) : w >= 640 ? 260 : 0;
    if (panel_w > 460) panel_w = 460;
    s->world_w  = w - panel_w;
    s->o.height = h;
    int fh = s->font ? view_font_height(s->font) : 14;
    /* the status lines and the legend above, the scrub bar below */
    s->scene_top = 3 * fh + 16;
    s->scene_bottom = h - VIEW_BAR_H - 12;
    if (s->scene_bottom < s->scene_top + 32) s->scene_top = 0, s->scene_bottom = h;
    if (!s->have_ep) return;
    /* the camera does not drift under the mouse while it pushes or holds */
    if (s->drag_id >= 0 || s->grab_id >= 0 || s->paused) dt = 0;
    double need[4], a[4];
    render_rect_empty(need);
    view_live_need_rect(&s->live, s->ep.world, s->ep.inst.world.bounds, s->bodies, s->known, s->ghosts, false, need);
    view_session_scene_area(s, 0, a);
    if (!s->split) {
        if (s->cam_mode == VIEW_CAM_FOLLOW) {
            render_follow_step(&s->follow, need, s->fit_rect, (a[2] - a[0]) / (a[3] - a[1]), dt);
            s->cam = render_follow_camera(&s->follow, a[0], a[1], a[2] - a[0], a[3] - a[1]);
        } else if (s->cam_mode == VIEW_CAM_FIT) {
            s->cam = render_camera_fit(s->fit_rect, a[0], a[1], a[2] - a[0], a[3] - a[1]);
        }
        return;
    }
    /* split: both panes frame the same region, the real bodies' and the imagined ones' */
    view_live_need_rect(&s->live, s->ep.world, s->ep.inst.world.bounds, s->bodies, s->known, s->ghosts, true, need);
    render_follow_step(&s->follow_split, need, s->fit_rect, (a[2] - a[0]) / (a[3] - a[1]), dt);
}

/* the scrub bar's rectangle */
static void bar_rect(const ViewSession* s, int r[4]) {
    r[0] = 8, r[2] = s->world_w - 8;
    r[1] = s->scene_bottom + 6, r[3] = r[1] + VIEW_BAR_H;
}

static ViewBarSpan bar_span(const ViewSession* s) {
    ViewBarSpan span = {history_oldest(s->hist), history_head(s->hist), history_pos(s->hist), VIEW_TICK_DT};
    return span;
}

/* ---- input ---- */

static void spawn_at(ViewSession* s, double x, double y) {
    if (!s->have_ep) return;
    RenderCamera cam = view_session_camera(s, s->split && x >= s->world_w / 2 ? 1 : 0);
    double     wx, wy;
    render_camera_to_world(&cam, x, y, &wx, &wy);
    /* spawned at the next tick, with a name of its own (box1, ball2, ...) */
    SimBodyDef d = view_palette_def(s->palette, view_round(wx, 3), view_round(wy, 3));
    do snprintf(d.name, sizeof d.name, "%s%lld", view_palette_name(s->palette), (long long)++s->spawned);
    while (sim_world_find(s->ep.world, d.name) >= 0);
    s->pending.flags |= SIM_ACT_SPAWN;
    s->pending.spawn = d;
    note_human(s);
}

void view_session_mouse_down(ViewSession* s, int button, double x, double y) {
    s->mx = x, s->my = y;
    if (!s->have_ep) return;
    int bar[4];
    bar_rect(s, bar);
    if (button == 1 && s->hist && view_bar_hit(bar, x, y)) {
        /* the scrub bar: pause and go where the mouse is */
        s->scrubbing = true;
        ViewBarSpan span = bar_span(s);
        view_session_seek(s, view_bar_tick_at(bar, &span, x));
        return;
    }
    double area[4];
    view_session_scene_area(s, 0, area);
    if (x < area[0] || x >= area[2] || y < 0 || y >= s->scene_bottom + 4) return;
    RenderCamera cam = view_session_camera(s, 0);
    double     wx, wy;
    render_camera_to_world(&cam, x, y, &wx, &wy);
    if (button == 2) {
        spawn_at(s, x, y);
        return;
    }
    int id = view_pick_world(s->ep.world, wx, wy, true);
    if (id < 0) return;
    SimBodyState b;
    if (!sim_world_body(s->ep.world, id, &b)) return;
    note_human(s);
    double local[2];
    view_to_body(&b, wx, wy, local);
    /* points on bodies as short decimals (0.1 mm): they go into recordings and scenarios */
    local[0] = view_round(local[0], 4), local[1] = view_round(local[1], 4);
    if (button == VIEW_BUTTON_GOAL) {
        s->goal_id = id;
    } else if (button == 1) {
        s->drag_id = id;
        memcpy(s->drag_local, local, sizeof local);
    } else if (button == 3) {
        /* the hand takes the body where it was clicked (from the next tick on) */
        s->grab_id = id;
        memcpy(s->grab_local, local, sizeof local);
    }
}

/* the region a goal drag released at the world point (wx, wy) gives body b: a box around it a bit
 * larger than the body */
static void goal_region(const SimBodyState* b, double wx, double wy, double r[4]) {
    double half = fmax(0.05, 0.75 * fmax(b->w, b->h));
    r[0] = wx - half, r[1] = wy - half, r[2] = wx + half, r[3] = wy + half;
}

/* the planner's next agent when A is pressed: none -> random -> planner -> none */
static void set_agent(ViewSession* s, int kind) {
    int old = s->o.agent;
    s->o.agent = kind;
    AgentOverride o = view_agent_override(s);
    char err[512];
    if (!episode_set_agent(&s->ep, &o, err, sizeof err)) {
        s->o.agent = old;
        view_session_say(s, "%s", err);
        return;
    }
    plan_user_goal(s);
    /* auto-reset follows the agent (off for none) unless the person chose */
    if (!s->auto_reset_set) s->auto_reset = kind != SCN_AGENT_NONE;
    Planner* p = agent_planner(s->ep.agent);
    if (p && planner_goal_count(p) == 0)
        view_session_say(s, "agent: planner -- no goals yet: Shift-drag from a body to a place");
    else
        view_session_say(s, "agent: %s", agent_kind_name((ScnAgentKind)kind));
}

static void cycle_agent(ViewSession* s) {
    if (!s->have_ep) return;
    ScnAgentKind now = agent_kind(s->ep.agent);
    set_agent(s, now == SCN_AGENT_NONE ? SCN_AGENT_RANDOM : now == SCN_AGENT_RANDOM ? SCN_AGENT_PLANNER
                                                                                 : SCN_AGENT_NONE);
}

/* a goal set with the mouse: body id in a region around the world point (wx, wy) within
 * VIEW_GOAL_SECONDS; the planner takes over if it was not the agent */
static void set_user_goal(ViewSession* s, int id, double wx, double wy) {
    SimBodyState b;
    if (!sim_world_body(s->ep.world, id, &b) || !b.alive) return;
    ScnGoal g;
    memset(&g, 0, sizeof g);
    g.kind = SCN_GOAL_IN;
    g.body = id;
    goal_region(&b, wx, wy, g.region);
    snprintf(g.text, sizeof g.text, "goal %s in %.2f %.2f %.2f %.2f within %.0f s", b.name[0] ? b.name : "body",
             g.region[0], g.region[1], g.region[2], g.region[3], VIEW_GOAL_SECONDS);
    s->user_goal = g;
    s->have_user_goal = true;
    if (agent_kind(s->ep.agent) != SCN_AGENT_PLANNER) set_agent(s, SCN_AGENT_PLANNER);
    else plan_user_goal(s);
}

void view_session_mouse_up(ViewSession* s, int button, double x, double y) {
    s->mx = x, s->my = y;
    if (button == 1 && s->scrubbing) {
        s->scrubbing = false;
        return;
    }
    if ((button == VIEW_BUTTON_GOAL || button == 1) && s->goal_id >= 0 && s->have_ep) {
        RenderCamera cam = view_session_camera(s, 0);
        double wx, wy;
        render_camera_to_world(&cam, x, y, &wx, &wy);
        set_user_goal(s, s->goal_id, wx, wy);
        s->goal_id = -1;
    } else if (button == 1 && s->drag_id >= 0 && s->have_ep) {
        SimBodyState b;
        if (sim_world_body(s->ep.world, s->drag_id, &b) && b.alive) {
            RenderCamera cam = view_session_camera(s, 0);
            double     wx, wy, start[2];
            render_camera_to_world(&cam, x, y, &wx, &wy);
            SimPush p = view_drag_push(&b, s->drag_local, wx, wy, DRAG_GAIN, DRAG_MAX_DV, start);
            p.jx = view_round(p.jx, 5), p.jy = view_round(p.jy, 5);
            p.px = view_round(p.px, 4), p.py = view_round(p.py, 4);
            sim_action_add_push(&s->pending, &p);
            note_human(s);
        }
        s->drag_id = -1;
    } else if (button == 3 && s->grab_id >= 0) {
        s->grab_id = -1;
        s->pending.flags |= SIM_ACT_RELEASE;
        note_human(s);
    }
}

void view_session_mouse_move(ViewSession* s, double x, double y) {
    s->mx = x, s->my = y;
    s->mouse_in = true;
    if (s->scrubbing && s->hist) {
        int bar[4];
        bar_rect(s, bar);
        ViewBarSpan span = bar_span(s);
        view_session_seek(s, view_bar_tick_at(bar, &span, x));
    }
}

void view_session_wheel(ViewSession* s, double steps) {
    if (s->split || s->mx >= s->world_w) return;
    render_camera_zoom(&s->cam, pow(1.15, steps), s->mx, s->my);
    s->cam_mode = VIEW_CAM_USER;
}

void view_session_action(ViewSession* s, ViewAction act, int arg) {
    char err[512];
    switch (act) {
    case VIEW_ACT_PAUSE: s->paused = !s->paused; break;
    case VIEW_ACT_STEP:
        /* in the past: forward along what happened; at the newest tick: a new tick */
        s->paused = true;
        if (s->hist && history_pos(s->hist) < history_head(s->hist)) view_session_seek(s, history_pos(s->hist) + 1);
        else view_session_tick(s);
        break;
    case VIEW_ACT_BACK:
        if (!s->hist) break;
        s->paused = true;
        if (history_pos(s->hist) <= history_oldest(s->hist))
            view_session_say(s, "the history goes back %.1f s, no further",
                             (double)(history_head(s->hist) - history_oldest(s->hist)) * VIEW_TICK_DT);
        else view_session_seek(s, history_pos(s->hist) - 1);
        break;
    case VIEW_ACT_SLOW: s->slow = view_slow_next(s->slow); break;
    case VIEW_ACT_RESET:
        view_session_reset(s);
        s->cam_mode = VIEW_CAM_FOLLOW;
        break;
    case VIEW_ACT_NEXT:
    case VIEW_ACT_PREV:
        if (s->nscenes > 0) {
            int   k    = (s->cur + (act == VIEW_ACT_NEXT ? 1 : s->nscenes - 1)) % s->nscenes;
            char* path = alloc_strdup(s->scenes[k]);
            if (!view_session_load(s, path, err, sizeof err)) view_session_say(s, "%s", err);
            free(path);
        }
        break;
    case VIEW_ACT_DEMO:
        if (arg >= 1 && arg <= s->ndemos) {
            if (!view_session_load(s, s->demos[arg - 1], err, sizeof err)) view_session_say(s, "%s", err);
        } else {
            view_session_say(s, "no demo scenario %d (%d in scenarios/demo/)", arg, s->ndemos);
        }
        break;
    case VIEW_ACT_TRAIN:
        if (s->tr) wm_driver_set_on(&s->driver, !wm_driver_is_on(&s->driver));
        break;
    case VIEW_ACT_PIXEL: view_session_pixel(s, !s->pixel.on); break;
    case VIEW_ACT_GHOSTS: s->ghosts = !s->ghosts; break;
    case VIEW_ACT_SPLIT:
        s->split = !s->split;
        s->follow_split.init = false;
        if (s->split) view_live_imagine_from_now(&s->live);
        else s->live.imag_on = s->live.imag_pending = false;
        break;
    case VIEW_ACT_CONTACTS: s->contacts = !s->contacts; break;
    case VIEW_ACT_HELP: s->help = !s->help; break;
    case VIEW_ACT_HORIZON_DOWN:
    case VIEW_ACT_HORIZON_UP: {
        /* steps of 1/6 s below 1 s, 1/2 s above */
        int h = s->live.horizon, up = act == VIEW_ACT_HORIZON_UP;
        if (up) h = h < 60 ? h + 10 : h + 30;
        else h = h > 60 ? h - 30 : h - 10;
        if (h < 10) h = 10;
        view_live_set_horizon(&s->live, h);
        view_pixel_set_horizon(&s->pixel, s->live.horizon);
        break;
    }
    case VIEW_ACT_SPAWN: spawn_at(s, s->mx, s->my); break;
    case VIEW_ACT_PALETTE: s->palette = (ViewPaletteItem)((s->palette + 1) % VIEW_PAL_COUNT); break;
    case VIEW_ACT_AGENT: cycle_agent(s); break;
    case VIEW_ACT_FIT:
        s->cam_mode = s->cam_mode == VIEW_CAM_FOLLOW ? VIEW_CAM_FIT : VIEW_CAM_FOLLOW;
        s->follow.init = false;
        break;
    case VIEW_ACT_AUTO_RESET:
        s->auto_reset = !s->auto_reset;
        s->auto_reset_set = true;
        view_session_say(s, "auto-reset %s", s->auto_reset ? "on: an episode ends 3 s after everything settled" : "off");
        break;
    case VIEW_ACT_PANELS:
        s->panels = !s->panels;
        s->follow.init = s->follow_split.init = false;
        break;
    case VIEW_ACT_WRITE_SCN: {
        char msg[600];
        if (view_session_write_scn(s, NULL, msg, sizeof msg)) {
            printf("scenario: %s\n", msg);
            fflush(stdout);
        } else {
            fprintf(stderr, "nudge view: %s\n", msg);
        }
        break;
    }
    default: break;
    }
}

/* ---- drawing ---- */

static void draw_world_area(ViewSession* s, RenderCanvas* c, const RenderCamera* cam, bool imagination) {
    if (imagination) {
        view_draw_imagination(c, cam, &s->live, s->bodies, s->known);
        return;
    }
    render_draw_world(c, cam, s->ep.world);
    if (s->contacts) render_draw_contacts(c, cam, s->ep.world, 200.0);
    view_draw_predictions(c, cam, &s->live, s->bodies, s->known, s->font, s->ghosts);
    if (s->ghosts) view_pixel_draw(c, cam, &s->pixel);
    view_draw_plan(c, cam, agent_planner_const(s->ep.agent), s->ep.world, s->font);
}

static void draw_mouse(ViewSession* s, RenderCanvas* c, const RenderCamera* cam) {
    SimBodyState b;
    if (s->drag_id >= 0 && sim_world_body(s->ep.world, s->drag_id, &b) && b.alive) {
        double wx, wy, start[2], sx, sy;
        render_camera_to_world(cam, s->mx, s->my, &wx, &wy);
        SimPush p = view_drag_push(&b, s->drag_local, wx, wy, DRAG_GAIN, DRAG_MAX_DV, start);
        render_camera_to_screen(cam, start[0], start[1], &sx, &sy);
        /* the arrow shows the impulse: its length is the velocity change it gives (1 m/s = 0.25 m) */
        double dv = b.mass > 0 ? sqrt(p.jx * p.jx + p.jy * p.jy) / b.mass : 0;
        double len = dv * 0.25 * cam->scale, dx = s->mx - sx, dy = s->my - sy, d = sqrt(dx * dx + dy * dy);
        if (d > 1e-6) {
            render_canvas_arrow(c, sx, sy, sx + dx / d * len, sy + dy / d * len, 3, 14, render_rgba(220, 60, 30, 255));
            char text[64];
            snprintf(text, sizeof text, "J = %.3f N*s", sqrt(p.jx * p.jx + p.jy * p.jy));
            if (s->font) view_font_draw(s->font, c, (int)s->mx + 12, (int)s->my + 8, text, render_rgba(150, 40, 20, 255));
        }
    }
    if (s->goal_id >= 0 && sim_world_body(s->ep.world, s->goal_id, &b) && b.alive) {
        /* the goal region being dragged out, and a line from the body to it */
        double wx, wy, r[4], bx, by, x0, y0, x1, y1;
        render_camera_to_world(cam, s->mx, s->my, &wx, &wy);
        goal_region(&b, wx, wy, r);
        render_camera_to_screen(cam, b.x, b.y, &bx, &by);
        render_camera_to_screen(cam, r[0], r[1], &x0, &y0);
        render_camera_to_screen(cam, r[2], r[3], &x1, &y1);
        double box[8] = {x0, y0, x1, y0, x1, y1, x0, y1};
        render_canvas_line(c, bx, by, s->mx, s->my, 1.5, VIEW_GOAL_PENDING);
        render_canvas_outline(c, box, 4, 2, 6, VIEW_GOAL_PENDING);
    }
    SimGrab g;
    if (s->grab_id >= 0 && sim_world_grabbed(s->ep.world, &g) && sim_world_body(s->ep.world, g.body, &b)) {
        /* a line from the held point to the mouse */
        double wx, wy, ax, ay;
        view_to_world(&b, g.anchor, &wx, &wy);
        render_camera_to_screen(cam, wx, wy, &ax, &ay);
        render_canvas_line(c, ax, ay, s->mx, s->my, 2, render_rgba(40, 120, 220, 255));
        render_canvas_fill_circle(c, s->mx, s->my, 4, render_rgba(40, 120, 220, 255));
    }
}

static void draw_status(ViewSession* s, RenderCanvas* c) {
    if (!s->font) return;
    RenderColor ink = render_rgba(30, 30, 40, 255);
    int       fh  = view_font_height(s->font);
    char      line[640];
    double    t   = s->have_ep ? sim_world_time(s->ep.world) : 0;
    snprintf(line, sizeof line, "%s   seed %llu   episode %lld   t %.2f s   horizon %.2f s   agent %s%s%s%s",
             s->scn_label, (unsigned long long)(s->have_ep ? s->ep.seed : s->base_seed), (long long)s->episodes, t,
             s->live.horizon / 60.0,
             s->have_ep && s->ep.agent ? agent_kind_name(s->o.agent >= 0 ? (ScnAgentKind)s->o.agent : s->ep.inst.agent.kind) : "none",
             s->paused ? "   PAUSED" : "", s->slow < 1 ? (s->slow < 0.2 ? "   slow 1/8" : "   slow 1/4") : "",
             s->rec ? "   REC" : "");
    view_font_draw(s->font, c, 8, 6, line, ink);
    static const char* const cams[] = {"follows", "fixed", "manual"};
    int n = snprintf(line, sizeof line, "H: help   palette: %s (V)   auto-reset %s (E)   camera %s (F)%s%s%s%s",
                     view_palette_name(s->palette), s->auto_reset ? "on" : "off", cams[s->cam_mode],
                     s->split ? "   real | imagination (Tab)" : "", s->ghosts ? "" : "   ghosts off (G)",
                     s->panels ? "" : "   panels off (I)", s->pixel.on ? "   pixel model on (J)" : "");
    if (s->hist && history_pos(s->hist) < history_head(s->hist) && n > 0 && n < (int)sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, "   back %.2f s: Space goes on from here, . and , step",
                 (double)(history_head(s->hist) - history_pos(s->hist)) * VIEW_TICK_DT);
    view_font_draw(s->font, c, 8, 6 + fh, line, render_rgba(90, 90, 100, 255));
    if (s->message[0] && clock_now() < s->message_until)
        view_font_draw(s->font, c, 8, s->scene_bottom - fh - 4, s->message, render_rgba(200, 40, 40, 255));
    /* a legend for the prediction colours */
    if (s->ghosts && !s->split) {
        int y = 6 + 2 * fh + 4, x = 8;
        render_canvas_rect(c, x, y + fh / 2 - 1, x + 16, y + fh / 2 + 2, render_rgba(180, 50, 230, 255));
        x += 22 + view_font_draw(s->font, c, x + 22, y, "ghost at horizon, predicted path", ink);
        render_canvas_rect(c, x + 14, y + fh / 2 - 1, x + 30, y + fh / 2 + 2, render_rgba(40, 60, 90, 255));
        x += 36 + view_font_draw(s->font, c, x + 36, y, "actual path", ink);
        render_canvas_rect(c, x + 14, y + fh / 2 - 1, x + 22, y + fh / 2 + 2, render_color_ramp(0));
        render_canvas_rect(c, x + 22, y + fh / 2 - 1, x + 30, y + fh / 2 + 2, render_color_ramp(1));
        x += 36 + view_font_draw(s->font, c, x + 36, y, "one horizon ago: error", ink);
        if (s->pixel.on) {
            render_canvas_fill_circle(c, x + 22, y + fh / 2, 4, VIEW_PIXEL_COLOR);
            view_font_draw(s->font, c, x + 30, y, "pixel model, through its probe", ink);
        }
    }
}

void view_session_draw(ViewSession* s, RenderCanvas* c) {
    c->aa = true;
    view_session_layout(s, c->w, c->h, s->frame_dt);
    render_canvas_clear(c, RENDER_BACKGROUND);
    if (s->have_ep) {
        if (s->split) {
            int half = s->world_w / 2;
            for (int side = 0; side < 2; side++) {
                RenderCamera cam = view_session_camera(s, side);
                render_canvas_clip(c, side ? half : 0, 0, side ? s->world_w : half, c->h);
                if (side) render_canvas_rect(c, half, 0, s->world_w, c->h, render_rgba(240, 236, 246, 255));
                draw_world_area(s, c, &cam, side == 1);
                if (side == 0) draw_mouse(s, c, &cam);
                if (s->font) {
                    const char* t = side ? "imagination (the model, same pushes)" : "real";
                    view_font_draw(s->font, c, (side ? half : 0) + 8, s->scene_bottom - 2 * view_font_height(s->font) - 4,
                                   t, render_rgba(90, 60, 120, 255));
                }
            }
            render_canvas_unclip(c);
            render_canvas_rect(c, half - 1, 0, half + 1, s->scene_bottom, render_rgba(120, 120, 130, 255));
        } else {
            render_canvas_clip(c, 0, 0, s->world_w, c->h);
            draw_world_area(s, c, &s->cam, false);
            draw_mouse(s, c, &s->cam);
            render_canvas_unclip(c);
        }
        if (s->hist && s->scene_bottom < c->h) {
            int bar[4], nlog;
            bar_rect(s, bar);
            ViewBarSpan span = bar_span(s);
            /* the marks of the future too while the world is back in the past */
            const HistoryEntry* log = history_log_all(s->hist, &nlog);
            view_bar_draw(c, s->font, bar, &span, log, nlog);
        }
    }
    draw_status(s, c);
    int panel_w = c->w - s->world_w;
    if (panel_w > 0) {
        WmTrainerStats st;
        memset(&st, 0, sizeof st);
        if (s->tr) wm_trainer_stats(s->tr, &st);
        ViewStats vs = {s->fps,
                        s->o.headless,
                        s->have_ep ? sim_world_time(s->ep.world) : 0,
                        st.steps,
                        s->updates_per_s,
                        s->updates_per_s * s->batch,
                        st.transitions,
                        s->ticks_seen,
                        s->version,
                        s->tr && wm_driver_is_on(&s->driver),
                        st.train_loss,
                        st.val_loss};
        /* the pixel model's trace over the same ticks as the state model's */
        float          ptrace[VIEW_TRACE];
        uint8_t        pmarks[VIEW_TRACE];
        ViewPixelPanel pp;
        memset(&pp, 0, sizeof pp);
        if (s->pixel.on && s->pixel.have_read) {
            const JepaLiveRead* r = &s->pixel.read;
            view_pixel_trace(&s->pixel, s->live.ntrace, VIEW_TRACE, ptrace, pmarks);
            pp = (ViewPixelPanel){ptrace, pmarks, r->train.steps, s->pixel.steps_per_s,
                                  s->pixel.steps_per_s * s->pixel.batch, s->pixel.frames_per_s,
                                  r->processed >= 0 ? s->live.ntrace - 1 - r->processed : 0, r->dropped,
                                  r->probe_err_px, r->probe_slots};
        }
        render_canvas_rect(c, s->world_w, 0, c->w, c->h, render_rgba(228, 230, 226, 255));
        view_panels_draw(c, s->font, s->world_w + 6, 6, panel_w - 12, c->h - 12, &s->loss, &s->live, &vs,
                         s->have_ep ? agent_planner_const(s->ep.agent) : NULL, s->have_ep ? s->ep.world : NULL,
                         s->pixel.on && s->pixel.have_read ? &pp : NULL);
    }
    if (s->help) view_draw_help(c, s->font);
}
