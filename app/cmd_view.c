/* nudge view: the live window where the world model trains while it watches (view/app.h) */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "app/args.h"
#include "app/commands.h"
#include "view/app.h"
#include "view/input.h"

int cmd_view(int argc, char** argv) {
    ViewOptions o          = view_options_default();
    const char* agent      = NULL;
    const char* size       = NULL;
    uint64_t    seed       = 0;
    int64_t     frames     = 0;
    bool        no_train   = false;
    bool        fresh      = false;
    int64_t     samples    = 64, iters = 3;
    int64_t     hash_every = 1;
    int64_t     fps        = 30;
    int64_t     pixel_nice = o.pixel_nice;
    ArgSpec     specs[]    = {
        {"model", ARG_STRING, &o.model_path, 1, 0, "FILE: start from this checkpoint (default: the shipped model, assets/models/default.wm)", false},
        {"fresh", ARG_BOOL, &fresh, 1, 0, "start from an untrained model instead of the shipped one", false},
        {"save", ARG_STRING, &o.save_path, 1, 0, "FILE: save the trained model here at exit", false},
        {"jepa", ARG_STRING, &o.jepa_path, 1, 0, "FILE: the pixel model (nudge train --kind jepa) to train live from, on at the start (J toggles it; without --jepa, J starts a fresh one)", false},
        {"save-jepa", ARG_STRING, &o.jepa_save, 1, 0, "FILE: save the live-trained pixel model here at exit", false},
        {"pixel-nice", ARG_INT, &pixel_nice, 0, 19, "N: the pixel model's thread runs N steps nicer than the window (0-19; default 10, with --frames 0): it trains on the CPU the window and the state trainer leave, so frames keep their time; 0 shares the CPU equally", false},
        {"agent", ARG_STRING, &agent, 1, 0, "KIND: random, planner, oracle, scripted or none (default: the scenario's)", false},
        {"seed", ARG_U64, &seed, 1, 0, "N: first episode's seed (default: the scenario's); episode i uses N+i", false},
        {"size", ARG_STRING, &size, 1, 0, "WxH: window (or screenshot) size in pixels (default 1280x720)", false},
        {"frames", ARG_INT, &frames, 1, 1e9, "N: run N frames (headless: control ticks), then exit", false},
        {"screenshot", ARG_STRING, &o.screenshot, 1, 0, "FILE.png: save the last frame here (with --frames or --headless)", false},
        {"headless", ARG_BOOL, &o.headless, 1, 0, "no window: run as fast as possible, print metrics once per simulated second", false},
        {"seconds", ARG_DOUBLE, &o.seconds, 0.0167, 1e6, "S: headless: simulated seconds to run (default 60)", false},
        {"no-train", ARG_BOOL, &no_train, 1, 0, "start with training off (T toggles it)", false},
        {"train-ratio", ARG_DOUBLE, &o.train_ratio, 0, 64, "R: headless: optimizer steps per control tick (default 1)", false},
        {"quiet", ARG_BOOL, &o.quiet, 1, 0, "headless: no metric lines", false},
        {"episode-seconds", ARG_DOUBLE, &o.episode_seconds, 0.1, 1e6, "S: every episode lasts exactly S simulated seconds (default: until everything settled or fell)", false},
        {"repeat", ARG_BOOL, &o.repeat, 1, 0, "every episode uses the first seed: the same episode again (watch the model learn it)", false},
        {"keys", ARG_STRING, &o.keys, 1, 0, "LIST: keys pressed at the start, e.g. tab,c or h (for scripted screenshots)", false},
        {"samples", ARG_INT, &samples, 1, 4096, "N: the planner's candidates per refinement here (default 64)", false},
        {"iters", ARG_INT, &iters, 1, 100, "N: the planner's refinements per decision here (default 3)", false},
        {"record", ARG_STRING, &o.record, 1, 0, "FILE.nrec: record the session (every tick's actions, world hashes, jumps back) for nudge replay", false},
        {"hash-every", ARG_INT, &hash_every, 1, 1e6, "N: with --record, a world hash every N ticks (default 1)", false},
        {"video", ARG_STRING, &o.video, 1, 0, "OUT.mp4: film what the window shows (through ffmpeg)", false},
        {"fps", ARG_INT, &fps, 1, 240, "N: with --video, frames per second of the film (default 30)", false},
        {"replay", ARG_INT, &o.replay, 1000, 1e8,
         "N: transitions the live replay buffer keeps, the oldest dropped first (default 200000: 0.70 GB with the "
         "tenth more held out for validation, 3176 bytes each)", false},
    };
    ArgParse p = {"view",
                  "nudge view [SCENARIO] [--model FILE] [--save FILE] [--agent random|scripted|none] [--seed N] "
                  "[--size WxH] [--frames N --screenshot FILE.png] [--headless] [--record FILE.nrec]",
                  "Opens a window on a scene (default: glass_off_table.scn of the demo scenes nudge ships, "
                  "share/nudge/scenarios/demo) where an agent or the mouse "
                  "pushes things while a world model trains live and draws its predictions over what happens. "
                  "Without a display, run it under xvfb-run or use --headless. Press H in the window for the keys.",
                  specs, (int)(sizeof specs / sizeof specs[0]), NULL, 0, 1};
    int rc = args_parse(&p, argc, argv);
    if (rc) return rc == 1 ? 0 : 2;
    if (p.npositional == 1) o.scenario = p.positional[0];
    if (fresh && o.model_path) return args_fail("view", "--fresh starts untrained: it does not go with --model");
    /* the shipped model, from the working folder or from where nudge was built (absent: untrained) */
    static const char* const shipped[] = {"assets/models/default.wm", NUDGE_DEFAULT_MODEL};
    for (int i = 0; i < 2 && !fresh && !o.model_path; i++)
        if (access(shipped[i], R_OK) == 0) o.model_path = shipped[i];
    if (agent) {
        int k = agent_kind_find(agent);
        if (k < 0) return args_fail("view", "--agent: expected random, planner, oracle, scripted or none, got '%s'", agent);
        o.agent = k;
    }
    if (size && !args_parse_size(size, 64, 8192, &o.width, &o.height))
        return args_fail("view", "--size: expected WxH between 64x64 and 8192x8192, got '%s'", size);
    if (args_spec(&p, "seed")->seen) o.seed = seed, o.seed_set = true;
    if (o.keys) {
        char list[256];
        snprintf(list, sizeof list, "%s", o.keys);
        for (char* save = NULL, *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save))
            if (!view_key_lookup(view_key_from_name(k)))
                return args_fail("view", "--keys: unknown key '%s' (one character, or tab, space, f1, f12, esc)", k);
    }
    o.frames = frames;
    o.plan_samples = (int)samples;
    o.plan_iters = (int)iters;
    o.hash_every = (int)hash_every;
    o.video_fps = (int)fps;
    o.pixel_nice = (int)pixel_nice;   /* -1 unless given: the view chooses */
    if (o.video && o.headless) return args_fail("view", "--video films the window: run it under xvfb-run without --headless (nudge run and nudge replay film headless)");
    o.train  = !no_train;
    if (o.screenshot && !o.headless && o.frames <= 0)
        return args_fail("view", "--screenshot needs --frames N (or --headless)");
    /* no output may overwrite an input (a model saved over the one it started from is the point of
       --save and --save-jepa; nothing else) */
    const char* outs[5][2] = {{"--save", o.save_path}, {"--save-jepa", o.jepa_save}, {"--screenshot", o.screenshot},
                              {"--record", o.record}, {"--video", o.video}};
    if (!args_outputs_distinct("view", outs, 5)) return 2;
    for (int i = 0; i < 5; i++) {
        if (!args_output_not_input("view", outs[i][0], outs[i][1], "the scenario", o.scenario) ||
            (i != 0 && !args_output_not_input("view", outs[i][0], outs[i][1], "the model", o.model_path)) ||
            (i != 1 && !args_output_not_input("view", outs[i][0], outs[i][1], "the pixel model", o.jepa_path)))
            return 2;
    }
    return view_app_run(&o);
}
