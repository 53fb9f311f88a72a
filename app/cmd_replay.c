/* nudge replay: re-simulates a recording headless; --check compares its world hashes, --to-scn
 * writes an episode of it as a scenario file (a regression test) */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/episode.h"
#include "agent/episode_export.h"
#include "agent/history.h"
#include "agent/recording.h"
#include "app/args.h"
#include "app/commands.h"
#include "app/run_options.h"
#include "app/video_options.h"
#include "base/input_file.h"

/* what differs between the recorded poses of a tick and the world now: "body glass differs by
 * 0.0123 m" */
static void describe_divergence(const Recording* r, const RecItem* it, const SimWorld* w, char* out, size_t size) {
    double best = -1, best_angle = 0;
    int32_t who = -1;
    int missing = 0, extra = 0;
    for (int32_t k = 0; k < it->npose; k++) {
        const RecPose* p = &r->poses[it->pose_first + k];
        SimBodyState b;
        if (!sim_world_body(w, p->id, &b)) {
            missing++;
            continue;
        }
        if (!b.alive) missing++;
        double d = hypot(b.x - p->x, b.y - p->y), da = fabs(b.angle - p->angle);
        if (d > best || (d == best && da > best_angle)) best = d, best_angle = da, who = p->id;
    }
    int n = sim_world_id_count(w);
    for (int32_t id = 0; id < n; id++) {
        SimBodyState b;
        if (!sim_world_body(w, id, &b) || !b.alive || b.is_static) continue;
        bool found = false;
        for (int32_t k = 0; k < it->npose && !found; k++) found = r->poses[it->pose_first + k].id == id;
        if (!found) {
            extra++;
            if (who < 0) who = id, best = -1;
        }
    }
    SimBodyState b;
    char name[48];
    if (who >= 0 && sim_world_body(w, who, &b) && b.name[0]) snprintf(name, sizeof name, "%s", b.name);
    else snprintf(name, sizeof name, "%d", who);
    int used;
    if (best > 0) used = snprintf(out, size, "body %s differs by %.3g m", name, best);
    else if (best == 0 && best_angle > 0) used = snprintf(out, size, "body %s differs by 0 m and %.3g rad", name, best_angle);
    else if (who >= 0 && best < 0) used = snprintf(out, size, "body %s differs by its presence (it is not in the recording)", name);
    else used = snprintf(out, size, "body %s differs by 0 m (in its velocity)", name);
    if (used > 0 && (size_t)used < size && (missing || extra))
        snprintf(out + used, size - (size_t)used, "; %d recorded bodies gone from the replay, %d new in it", missing, extra);
}

/* reads the scenario's text as it is now (for --to-scn) */
static char* scenario_text(const char* path, size_t* len, char* err, size_t err_size) {
    return input_file_read(path, SCN_MAX_BYTES, len, err, err_size);
}

int cmd_replay(int argc, char** argv) {
    bool check = false, force = false, jsonl = false;
    const char* scn_path = NULL;
    const char* to_scn = NULL;
    const char* events = "all";
    const char* expect = "fall,break,topple,out_of_bounds";
    int64_t episode = 0;
    double tol = 0.1;
    const char* model_path = NULL;
    VideoOptions video;
    video_options_init(&video);
    ArgSpec specs[] = {
        {"check", ARG_BOOL, &check, 1, 0, "compare the world hashes: exit 0 when identical, 1 at the first difference", false},
        {"force", ARG_BOOL, &force, 1, 0, "replay even when the scenario's text changed since the recording", false},
        {"scenario", ARG_STRING, &scn_path, 1, 0, "FILE: the scenario (default: the path the recording names)", false},
        {"to-scn", ARG_STRING, &to_scn, 1, 0, "OUT.scn: write an episode as a scenario file with expectations", false},
        {"episode", ARG_INT, &episode, 1, 1e9, "K: with --to-scn, the K-th episode (default: the last)", false},
        {"tol", ARG_DOUBLE, &tol, 1e-6, 1e4, "S: with --to-scn, the event expectations' tolerance in seconds (default 0.1)", false},
        {"expect", ARG_STRING, &expect, 1, 0, "LIST: with --to-scn, event types that become expectations (default fall,break,topple,out_of_bounds)", false},
        {"events", ARG_STRING, &events, 1, 0, "LIST: event types to print, comma-separated, or 'all' (default) or 'none'", false},
        {"jsonl", ARG_BOOL, &jsonl, 1, 0, "print events as JSON lines instead of a table", false},
        VIDEO_OPTION_SPECS(video),
        {"model", ARG_STRING, &model_path, 1, 0, "FILE: with --video, draw this world model's predictions over the film", false},
    };
    ArgParse p = {"replay", "nudge replay FILE.nrec [--check] [--force] [--to-scn OUT.scn] [--scenario FILE] [--video OUT.mp4 [--model FILE]]",
                  "Re-simulates a recording (nudge run --record, nudge view --record) headless and prints its event "
                  "timeline; --check compares it with the recorded world hashes, --to-scn writes an episode as a "
                  "regression test.",
                  specs, (int)(sizeof specs / sizeof specs[0]), NULL, 0, 1};
    int rc = args_parse(&p, argc, argv);
    if (rc) return rc == 1 ? 0 : 2;
    if (p.npositional != 1) return args_fail("replay", "expected one recording (see nudge replay --help)");
    bool show[SIM_EV_COUNT], types[SIM_EV_COUNT];
    if (!run_options_event_filter("replay", "--events", events, show) ||
        !run_options_event_filter("replay", "--expect", expect, types))
        return 2;
    /* the timeline goes to stdout unless the command has another answer to give there */
    bool print = !check && !to_scn;
    for (int i = 0; i < SIM_EV_COUNT; i++) show[i] = show[i] && print;

    if (!video_options_check(&video, "replay")) return 2;
    if (model_path && !video.path) return args_fail("replay", "--model draws predictions over a film: give --video OUT.mp4 too");
    const char* path = p.positional[0];
    char err[1024];
    Recording* rec = rec_load(path, err, sizeof err);
    if (!rec) {
        fprintf(stderr, "nudge replay: %s\n", err);
        return 2;
    }
    if (!rec->complete)
        fprintf(stderr, "nudge replay: %s: no end record (the recorder stopped early); replaying its %" PRId64 " ticks\n",
                path, rec->ticks);
    const char* spath = scn_path ? scn_path : rec->h.path;
    /* no output may overwrite an input: the recording, its scenario, the model */
    const char* outs[2][2] = {{"--to-scn", to_scn}, {"--video", video.path}};
    if (!args_outputs_distinct("replay", outs, 2)) {
        rec_free(rec);
        return 2;
    }
    for (int i = 0; i < 2; i++)
        if (!args_output_not_input("replay", outs[i][0], outs[i][1], "the recording", path) ||
            !args_output_not_input("replay", outs[i][0], outs[i][1], "the scenario", spath) ||
            !args_output_not_input("replay", outs[i][0], outs[i][1], "the model", model_path)) {
            rec_free(rec);
            return 2;
        }
    Scenario* scn = scn_load(spath, err, sizeof err);
    if (!scn) {
        fprintf(stderr, "nudge replay: %s\n", err);
        rec_free(rec);
        return 2;
    }
    int status = 0;
    Episode ep;
    memset(&ep, 0, sizeof ep);
    History* h = NULL;
    WmModel* model = NULL;
    ViewFilm* film = NULL;
    bool film_failed = false;
    if (scn_text_hash(scn) != rec->h.scn_hash && !force) {
        fprintf(stderr,
                "nudge replay: %s: the scenario %s changed since it was recorded (text hash %016" PRIx64
                " recorded, %016" PRIx64 " now); --force replays it anyway\n",
                path, spath, rec->h.scn_hash, scn_text_hash(scn));
        status = 2;
        goto done;
    }
    if (!episode_begin(&ep, scn, rec->h.seed, SCN_AGENT_NONE, 32, err, sizeof err)) {
        fprintf(stderr, "nudge replay: %s\n", err);
        status = 2;
        goto done;
    }
    if (ep.inst.world.dt != rec->h.dt || (uint32_t)ep.inst.world.steps_per_tick != rec->h.steps_per_tick) {
        fprintf(stderr, "nudge replay: %s: recorded with dt %g s and %u steps per tick, the scenario %s has %g s and %d\n",
                path, rec->h.dt, rec->h.steps_per_tick, spath, ep.inst.world.dt, ep.inst.world.steps_per_tick);
        status = 2;
        goto done;
    }
    if (model_path && !(model = wm_load(model_path, err, sizeof err))) {
        fprintf(stderr, "nudge replay: %s\n", err);
        status = 2;
        goto done;
    }
    if (model && !episode_model_check(&ep.inst, model, err, sizeof err)) {
        fprintf(stderr, "nudge replay: %s: %s\n", model_path, err);
        status = 2;
        goto done;
    }
    film = video_options_start(&video, "replay", &ep, model, scn_label(spath), &film_failed);
    if (film_failed) {
        status = 2;
        goto done;
    }
    RecReplay rp;
    rec_replay_begin(&rp, rec, &ep);
    h = rp.h;
    if (print) {
        int nshow = 0;
        for (int i = 0; i < SIM_EV_COUNT; i++) nshow += show[i];
        if (nshow) run_options_print_header(jsonl, false);
    }
    bool diverged = false;
    while (rec_replay_next(&rp, err, sizeof err)) {
        int n;
        const SimEvent* ev = sim_world_events(ep.world, &n);
        for (int k = 0; k < n; k++)
            if (show[ev[k].type]) run_options_print_event(ep.world, &ev[k], jsonl, NULL, 0);
        if (!rp.differs || diverged) continue;
        char what[300];
        describe_divergence(rec, rp.last, ep.world, what, sizeof what);
        diverged = true;
        if (check) {
            printf("diverged at tick %" PRId64 " (t = %.3f s): %s\n", rp.tick, sim_world_time(ep.world), what);
            status = 1;
            goto done;
        }
        fprintf(stderr, "nudge replay: warning: diverged at tick %" PRId64 " (t = %.3f s): %s\n", rp.tick,
                sim_world_time(ep.world), what);
    }
    if (err[0]) {
        fprintf(stderr, "nudge replay: %s: %s\n", path, err);
        status = 2;
        goto done;
    }
    int64_t tick = rp.tick, hashes = rp.hashes;
    if (film) {
        bool ok = video_options_finish(film, &video, "replay");
        film = NULL;
        if (!ok) {
            status = 2;
            goto done;
        }
    }
    if (check) printf("identical: %" PRId64 " ticks, %" PRId64 " world hashes checked\n", tick, hashes);
    if (to_scn) {
        HistoryEpisode eps[1];
        int neps = history_episodes(h, NULL, 0);
        HistoryEpisode* all = calloc((size_t)neps, sizeof *all);
        history_episodes(h, all, neps);
        int k = episode > 0 ? (int)episode : neps;
        if (k > neps) {
            fprintf(stderr, "nudge replay: --episode %d: %s holds %d episode%s\n", k, path, neps, neps == 1 ? "" : "s");
            free(all);
            status = 2;
            goto done;
        }
        eps[0] = all[k - 1];
        free(all);
        int nlog;
        const HistoryEntry* log = history_log(h, &nlog);
        HistoryEntry* acts = calloc((size_t)eps[0].count + 1, sizeof *acts);
        for (int j = 0; j < eps[0].count; j++) {
            acts[j] = log[eps[0].first + j];
            acts[j].tick -= eps[0].start;
        }
        size_t len = 0;
        char* text = scenario_text(spath, &len, err, sizeof err);
        if (!text) {
            fprintf(stderr, "nudge replay: %s\n", err);
            free(acts);
            status = 2;
            goto done;
        }
        char from[512];
        snprintf(from, sizeof from, "%s, episode %d of %d", path, k, neps);
        EpisodeExport x = {scn, text, len, eps[0].seed, eps[0].end - eps[0].start, acts, eps[0].count, tol, {0}, from};
        memcpy(x.types, types, sizeof x.types);
        EpisodeExportStats st;
        bool ok = episode_export_write(&x, to_scn, &st, err, sizeof err);
        free(text);
        free(acts);
        if (!ok) {
            fprintf(stderr, "nudge replay: %s\n", err);
            status = 2;
            goto done;
        }
        char what[256];
        episode_export_summary(&st, what, sizeof what);
        fprintf(stderr, "nudge replay: wrote %s: episode %d of %d (seed %" PRIu64 ", %.3f s): %s; %s%s", to_scn, k, neps,
                eps[0].seed, (double)(eps[0].end - eps[0].start) * ep.inst.world.dt * ep.inst.world.steps_per_tick,
                what,
                st.exact ? "it replays the episode tick for tick" : "it does not replay the episode exactly: ",
                st.exact ? "" : st.note);
        if (st.failed > 0) fprintf(stderr, "; %d of its expectations fail", st.failed);
        fprintf(stderr, "\n");
    }
    if (!check && !to_scn)
        fprintf(stderr, "nudge replay: %s: %" PRId64 " ticks replayed, %" PRId64 " world hashes %s\n", path, tick, hashes,
                diverged ? "checked until it diverged" : "identical");
done:
    view_film_abort(film);
    wm_free(model);
    if (h) rec_replay_end(&rp);
    episode_end(&ep);
    scn_free(scn);
    rec_free(rec);
    return status;
}
