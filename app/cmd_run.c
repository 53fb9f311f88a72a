/* nudge run: one scenario headless; prints its event timeline, optionally writes a state trace */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agent/episode.h"
#include "agent/recording.h"
#include "agent/surprise.h"
#include "app/args.h"
#include "app/commands.h"
#include "app/run_options.h"
#include "app/video_options.h"
#include "base/atomic_file.h"
#include "sim/observation.h"

static void trace_row(AtomicFile* af, const Episode* e, int64_t tick) {
    char line[2048];
    for (int k = 0; k < e->slots; k++) {
        if (!e->mask[k]) continue;
        SimBodyState st;
        sim_world_body(e->world, e->ids[k], &st);
        int n = snprintf(line, sizeof line, "%lld,%.6f,%d,%s", (long long)tick,
                         (double)tick * e->inst.world.dt * e->inst.world.steps_per_tick, e->ids[k], st.name);
        const float* s = e->states + (size_t)k * SIM_OBS_DIM;
        for (int c = 0; c < SIM_OBS_DIM && n < (int)sizeof line - 32; c++)
            n += snprintf(line + n, sizeof line - (size_t)n, ",%.9g", (double)s[c]);
        line[n++] = '\n';
        atomic_file_write(af, line, (size_t)n);
    }
}

int cmd_run(int argc, char** argv) {
    RunOptions o;
    run_options_init(&o);
    const char* trace = NULL;
    const char* events = "all";
    bool jsonl = false, surprise = false;
    const char* record = NULL;
    int64_t hash_every = 1;
    VideoOptions video;
    video_options_init(&video);
    ArgSpec specs[] = {
        RUN_OPTION_SPECS(o),
        {"trace", ARG_STRING, &trace, 1, 0, "FILE.csv: write every tick's object states (header row, one row per object per tick)", false},
        {"events", ARG_STRING, &events, 1, 0, "LIST: event types to print, comma-separated, or 'all' (default) or 'none'", false},
        {"jsonl", ARG_BOOL, &jsonl, 1, 0, "print events as JSON lines instead of a table", false},
        {"surprise", ARG_BOOL, &surprise, 1, 0, "with --model: a surprise column (the model's surprise at the event's body in that tick, nats) and the run's peak", false},
        {"record", ARG_STRING, &record, 1, 0, "FILE.nrec: record the run (every tick's actions and world hashes) for nudge replay", false},
        {"hash-every", ARG_INT, &hash_every, 1, 1e6, "N: with --record, a world hash every N ticks (default 1)", false},
        VIDEO_OPTION_SPECS(video),
    };
    ArgParse p = {"run", "nudge run SCENARIO [--seconds S] [--seed N] [--agent KIND] [--trace FILE.csv] [--record FILE.nrec] [--video OUT.mp4] [--model FILE --surprise]",
                  "Runs one scenario headless and prints its event timeline on stdout.",
                  specs, (int)(sizeof specs / sizeof specs[0]), NULL, 0, 1};
    int rc = args_parse(&p, argc, argv);
    if (rc) return rc == 1 ? 0 : 2;
    if (p.npositional != 1) return args_fail("run", "expected one scenario file (see nudge run --help)");
    bool show[SIM_EV_COUNT];
    if (!run_options_event_filter("run", "--events", events, show)) return 2;

    if (!video_options_check(&video, "run")) {
        run_options_free(&o);
        return 2;
    }
    /* no output may overwrite an input */
    const char* outs[3][2] = {{"--trace", trace}, {"--record", record}, {"--video", video.path}};
    if (!args_outputs_distinct("run", outs, 3)) return 2;
    for (int i = 0; i < 3; i++)
        if (!args_output_not_input("run", outs[i][0], outs[i][1], "the scenario", p.positional[0]) ||
            !args_output_not_input("run", outs[i][0], outs[i][1], "the model", o.model_path))
            return 2;
    char err[512];
    Scenario* scn = scn_load(p.positional[0], err, sizeof err);
    if (!scn) {
        fprintf(stderr, "%s\n", err);
        run_options_free(&o);
        return 2;
    }
    int status = 0;
    Episode ep;
    memset(&ep, 0, sizeof ep);
    AtomicFile af;
    bool tracing = false, film_failed = false;
    RecWriter* rec = NULL;
    ViewFilm* film = NULL;
    SurpriseSource* src = NULL;
    SurpriseWatch watch;
    memset(&watch, 0, sizeof watch);
    double peak = -INFINITY, peak_t = 0, fate = -INFINITY, fate_t = 0;
    if (!run_options_begin(&o, &p, scn, &ep, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        status = 2;
        goto done;
    }
    if (surprise) {
        if (!o.model) {
            fprintf(stderr, "nudge run: --surprise needs a world model: give --model FILE\n");
            status = 2;
            goto done;
        }
        if (wm_arch(o.model)->slots != ep.slots) {
            fprintf(stderr, "nudge run: %s: expected a model of %d slots, got %d\n", o.model_path, ep.slots,
                    wm_arch(o.model)->slots);
            status = 2;
            goto done;
        }
        src = surprise_source_state(o.model);
        if (!surprise_watch_attach(&watch, &ep, src, err, sizeof err)) {
            fprintf(stderr, "nudge run: %s: %s\n", o.model_path, err);
            status = 2;
            goto done;
        }
    }
    int64_t ticks;
    if (!run_options_ticks(&o, &ep, &ticks, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        status = 2;
        goto done;
    }
    if (trace) {
        if (!atomic_file_open(&af, trace, err, sizeof err)) {
            fprintf(stderr, "nudge run: %s\n", err);
            status = 2;
            goto done;
        }
        tracing = true;
        char head[2048];
        int n = snprintf(head, sizeof head, "tick,t,id,name");
        for (int c = 0; c < SIM_OBS_DIM; c++) n += snprintf(head + n, sizeof head - (size_t)n, ",%s", sim_obs_columns[c].name);
        head[n++] = '\n';
        atomic_file_write(&af, head, (size_t)n);
    }
    if (record) {
        rec = rec_writer_open(record, &ep, (uint32_t)hash_every, 0, err, sizeof err);
        if (!rec || !rec_writer_attach(rec, &ep)) {
            fprintf(stderr, "nudge run: %s\n", rec ? "cannot record the run" : err);
            status = 2;
            goto done;
        }
    }
    film = video_options_start(&video, "run", &ep, o.model, scn_label(p.positional[0]), &film_failed);
    if (film_failed) {
        status = 2;
        goto done;
    }
    int nshow = 0;
    for (int i = 0; i < SIM_EV_COUNT; i++) nshow += show[i];
    if (nshow > 0) run_options_print_header(jsonl, surprise);
    int64_t counts[SIM_EV_COUNT] = {0};
    for (int64_t t = 0; t < ticks; t++) {
        if (tracing) {
            episode_observe(&ep);
            trace_row(&af, &ep, t);
        }
        episode_tick(&ep, NULL);
        if (sim_world_error(ep.world)) {
            /* bodies piled into each other past the contact budget: stop, keep no trace */
            fprintf(stderr, "nudge run: %s: %s (at %.3f s)\n", p.positional[0], sim_world_error(ep.world),
                    sim_world_time(ep.world));
            status = 2;
            goto done;
        }
        if (surprise && watch.scored && watch.world > peak) peak = watch.world, peak_t = sim_world_time(ep.world);
        if (surprise && watch.scored && watch.world_fate > fate) fate = watch.world_fate, fate_t = sim_world_time(ep.world);
        int n;
        const SimEvent* ev = sim_world_events(ep.world, &n);
        for (int i = 0; i < n; i++) {
            counts[ev[i].type]++;
            if (show[ev[i].type])
                run_options_print_event(ep.world, &ev[i], jsonl, surprise ? watch.body : NULL, watch.slots);
        }
    }
    /* what was asked for is finished, or nothing is left of it */
    if (rec) {
        bool ok = rec_writer_close(rec, err, sizeof err);
        rec = NULL;
        if (!ok) {
            fprintf(stderr, "nudge run: %s\n", err);
            status = 2;
            goto done;
        }
    }
    if (film) {
        bool ok = video_options_finish(film, &video, "run");
        film = NULL;
        if (!ok) {
            status = 2;
            goto done;
        }
    }
    if (tracing) {
        episode_observe(&ep);
        trace_row(&af, &ep, ticks);
        tracing = false;
        if (!atomic_file_commit(&af, err, sizeof err)) {
            fprintf(stderr, "nudge run: %s\n", err);
            status = 2;
            goto done;
        }
    }
    fflush(stdout);
    fprintf(stderr, "nudge run: %s: %.3f s simulated (%lld ticks, seed %llu); events:", p.positional[0],
            sim_world_time(ep.world), (long long)ticks, (unsigned long long)ep.seed);
    for (int i = 0; i < SIM_EV_COUNT; i++)
        if (counts[i]) fprintf(stderr, " %s %lld", sim_event_name((SimEventType)i), (long long)counts[i]);
    fprintf(stderr, "\n");
    if (surprise) {
        if (peak > -INFINITY)
            fprintf(stderr, "nudge run: peak surprise %.2f nats at %.3f s (the view's threshold: %.0f)\n", peak, peak_t,
                    SURPRISE_THRESHOLD);
        else
            fprintf(stderr, "nudge run: peak surprise: none scored\n");
        if (fate > -INFINITY)
            fprintf(stderr, "nudge run: peak fate %.2f nats at %.3f s (its own threshold: %.2f)\n", fate, fate_t,
                    SURPRISE_FATE_THRESHOLD);
    }
    int nan = sim_world_nan_count(ep.world);
    if (nan) fprintf(stderr, "nudge run: warning: %d numerical resets\n", nan);
done:
    view_film_abort(film);
    rec_writer_close(rec, NULL, 0);
    if (tracing) atomic_file_abort(&af);
    episode_end(&ep);
    surprise_watch_free(&watch);
    surprise_source_free(src);
    scn_free(scn);
    run_options_free(&o);
    return status;
}
