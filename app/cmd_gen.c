/* nudge gen: seeded episodes as NumPy .npy shards and a manifest; sharded, resumable,
 * byte-reproducible (README.md, "Dataset format").
 *
 * Episode i uses scenario i % S (S files, sorted) with seed rng_derive(seed, i); with --where, the
 * first candidate that satisfies it (gen_dataset_episode). Shard s holds
 * episodes [s*M, min((s+1)*M, N)). A shard is written into DIR/.tmp-shard-NNNNN-PID, fsynced and
 * renamed to DIR/shard-NNNNN: a shard folder exists only when it is complete. manifest.json is
 * replaced atomically after every shard. */
#define _GNU_SOURCE   /* sched_getaffinity, CPU_COUNT */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/args.h"
#include "app/commands.h"
#include "agent/episode_record.h"
#include "agent/agent.h"
#include "app/gen_dataset.h"
#include "app/gen_run.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/interrupt.h"
#include "base/parse_int.h"
#include "base/progress.h"
#include "base/report.h"
#include "base/rng.h"
#include "model/nn.h"
#include "sim/observation.h"

/* "I/N" with 0 <= I < N */
static bool parse_shard(const char* s, int* index, int* count) {
    int64_t i, n;
    const char* rest = NULL;
    if (parse_int_pair(s, '/', 0, INT32_MAX - 1, 1, INT32_MAX, &i, &n, &rest) != PARSE_INT_OK || *rest || i >= n)
        return false;
    *index = (int)i, *count = (int)n;
    return true;
}

/* the cores this process may run on (its affinity: taskset, a Slurm allocation), at least 1 */
static int usable_cores(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int cmd_gen(int argc, char** argv) {
    const char* scenario = NULL;
    const char* out = NULL;
    const char* agent = NULL;
    const char* frames = NULL;
    const char* shard_arg = NULL;
    const char* every = NULL;
    const char* dv = NULL;
    const char* where = NULL;
    int64_t episodes = 0, stride = 1, jobs = 1, per_shard = 32, slots = SIM_OBS_SLOTS;
    double seconds = 0;
    uint64_t seed = 0;
    bool resume = false, allow_magic = false, frames_aa = false, frames_outline = false;
    ArgSpec specs[] = {
        {"scenario", ARG_STRING, &scenario, 1, 0, "FILE|DIR: a template, or a folder of them (episode i uses file i mod count)", false},
        {"episodes", ARG_INT, &episodes, 1, 100000000, "N: episodes in the dataset", false},
        {"seconds", ARG_DOUBLE, &seconds, 0.001, 3600, "S: simulated seconds per episode", false},
        {"out", ARG_STRING, &out, 1, 0, "DIR: the dataset folder", false},
        {"seed", ARG_U64, &seed, 1, 0, "N: dataset seed (default 0); episode i uses rng_derive(seed, i)", false},
        {"agent", ARG_STRING, &agent, 1, 0, "KIND: scripted, random or none (default: each scenario's)", false},
        {"where", ARG_STRING, &where, 1, 0, "EXPR: only episodes whose parameters satisfy it, e.g. '$surface_h <= 0.95'", false},
        {"push-every", ARG_STRING, &every, 1, 0, "LO,HI: seconds between random pushes (default: the scenario's)", false},
        {"push-dv", ARG_STRING, &dv, 1, 0, "LO,HI: velocity change of a random push, m/s (default: the scenario's)", false},
        {"stride", ARG_INT, &stride, 1, 1000, "K: record every K control ticks (default 1)", false},
        {"frames", ARG_STRING, &frames, 1, 0, "WxH[:gray|:rgb]: also render each record (default gray)", false},
        {"frames-aa", ARG_BOOL, &frames_aa, 1, 0, "antialiased frames: edges blended by coverage, so a sub-pixel "
                                                 "move changes the frame (needs --frames; the manifest says so)", false},
        {"frames-outline", ARG_BOOL, &frames_outline, 1, 0, "dynamic bodies outlined 1 px at any scale: pale and "
                                                           "small bodies stand out, the static scenery does not look "
                                                           "like them (needs --frames; the manifest says so)", false},
        {"jobs", ARG_INT, &jobs, 1, 64, "J: worker threads, one simulation each (default 1)", false},
        {"shard", ARG_STRING, &shard_arg, 1, 0, "I/N: write only shards s with s % N == I (job arrays)", false},
        {"episodes-per-shard", ARG_INT, &per_shard, 1, 1000000, "M: episodes per shard (default 32)", false},
        {"slots", ARG_INT, &slots, 1, 1024, "K: object slots per record (default 32)", false},
        {"resume", ARG_BOOL, &resume, 1, 0, "continue (or gather) a dataset with the same inputs", false},
        {"allow-magic", ARG_BOOL, &allow_magic, 1, 0, "accept templates with impossible events (magic): their "
                                                       "events.npy rows are labelled 'magic', the manifest says so", false},
    };
    ArgParse p = {"gen",
                  "nudge gen --scenario FILE|DIR --episodes N --seconds S --out DIR [--seed N] [--agent KIND] [--where EXPR] [--push-every LO,HI] [--push-dv LO,HI] "
                  "[--stride K] [--frames WxH[:gray|:rgb] [--frames-aa] [--frames-outline]] [--jobs J] [--shard I/N] [--episodes-per-shard M] [--resume] [--allow-magic]",
                  "Writes seeded episodes as NumPy .npy shards plus manifest.json (README.md, 'Dataset format'). "
                  "Interrupted runs continue with --resume; the result is byte-identical to an uninterrupted run.",
                  specs, (int)(sizeof specs / sizeof specs[0]), NULL, 0, 0};
    int rc = args_parse(&p, argc, argv);
    if (rc) return rc == 1 ? 0 : 2;
    /* gen does no matrix math: the BLAS's idle threads would spin 0.05-0.14 s of CPU (measured)
       away from the workers when they use every core */
    nn_release_threads();
    if (!scenario) return args_fail("gen", "--scenario is required");
    if (!episodes) return args_fail("gen", "--episodes is required");
    if (!(seconds > 0)) return args_fail("gen", "--seconds is required");
    if (!out) return args_fail("gen", "--out is required");

    EpisodeRecordSpec spec;
    memset(&spec, 0, sizeof spec);
    spec.stride = (int)stride;
    spec.slots = (int)slots;
    spec.agent = agent_override_none();
    spec.agent.explore = true;   /* task scenes' planners explore at random */
    spec.agent.kind = agent ? agent_kind_find(agent) : -1;
    if (agent && (spec.agent.kind < 0 || spec.agent.kind == SCN_AGENT_PLANNER || spec.agent.kind == SCN_AGENT_ORACLE))
        return args_fail("gen", "--agent: expected scripted, random or none, got '%s'", agent);
    if (every && (!agent_parse_range(every, 3600, spec.agent.every) || spec.agent.every[1] <= 0))
        return args_fail("gen", "--push-every: expected LO,HI seconds with 0 <= LO <= HI and HI > 0, got '%s'", every);
    if (dv && !agent_parse_range(dv, 1000, spec.agent.dv))
        return args_fail("gen", "--push-dv: expected LO,HI in m/s with 0 <= LO <= HI <= 1000, got '%s'", dv);
    if (frames) {
        if (!data_frames_parse(frames, 0, INT32_MAX, &spec.frame_w, &spec.frame_h, &spec.channels))
            return args_fail("gen", "--frames: expected WxH, WxH:gray or WxH:rgb with W and H integers in [8, 1024], "
                                    "got '%s'", frames);
        if (spec.frame_w < 8 || spec.frame_h < 8 || spec.frame_w > 1024 || spec.frame_h > 1024)
            return args_fail("gen", "--frames: %dx%d is unreasonable: width and height must be in [8, 1024]",
                             spec.frame_w, spec.frame_h);
    }
    if (frames_aa && !frames) return args_fail("gen", "--frames-aa needs --frames WxH (it says how the frames are drawn)");
    if (frames_outline && !frames)
        return args_fail("gen", "--frames-outline needs --frames WxH (it says how the frames are drawn)");
    spec.frames_aa = frames_aa;
    spec.frames_outline = frames_outline;
    int shard_index = 0, shard_count = 1;
    if (shard_arg && !parse_shard(shard_arg, &shard_index, &shard_count))
        return args_fail("gen", "--shard: expected I/N with integers 0 <= I < N <= 2147483647, got '%s'", shard_arg);

    GenDataset ds;
    char err[1024];
    if (!gen_dataset_open(&ds, scenario, episodes, seconds, seed, agent, where, allow_magic, (int)per_shard, &spec, err, sizeof err)) {
        fprintf(stderr, "nudge gen: %s\n", err);
        return 2;
    }
    /* a --where no episode satisfies is bad input: say so before touching the folder */
    int first_sc;
    uint64_t first_seed;
    if (where && !gen_dataset_episode(&ds, 0, &first_sc, &first_seed, err, sizeof err)) {
        fprintf(stderr, "nudge gen: %s\n", err);
        gen_dataset_close(&ds);
        return 2;
    }
    /* the episode buffers (one per worker, GEN_WRITER_SPARE_BUFS more with a writer thread) must fit in memory */
    DataWriter* dw = &ds.writer;
    int nshards = dw->meta.shard_count;
    /* a writer thread when a core is left for it (jobs below the usable cores) and it can keep up
       (up to 4 workers: it checksums and copies about 1.5 GB/s, perf). Otherwise the workers write
       what they record themselves. With a spare core (--jobs 1 on 2 cores) the writing runs beside
       the worker; without one (--jobs 2 on 2 cores) a writer thread only takes turns with the
       workers on their cores and adds the hand-over (wake-ups, a buffer in flight): measured
       interleaved on 256 episodes (2026-12-03, load 2-3), --jobs 2 spent 1.00-1.02 CPU s with the
       workers writing against 1.03-1.04 with the thread, 1.78-1.83x --jobs 1 against 1.77x. (With
       the old format's 385 MB the workers waited on each other's writes: "waiting on writes" 29-34%
       at load 7-8; the format's 44 MB now take 0.04 s of CPU to write.) */
    bool writer_thread = jobs <= 4 && jobs < usable_cores();
    int buffers = (int)jobs + (writer_thread ? GEN_WRITER_SPARE_BUFS : 0);
    double episode_bytes = data_writer_episode_bytes(dw);
    if (episode_bytes * buffers > 8e9) {
        fprintf(stderr, "nudge gen: %d episode buffers of %.2f GB would take %.1f GB in memory; lower "
                        "--jobs, --seconds or the frame size, or raise --stride\n",
                buffers, episode_bytes / 1e9, episode_bytes * buffers / 1e9);
        gen_dataset_close(&ds);
        return 2;
    }
    if (shard_arg) {
        dw->task = shard_index;
        dw->tasks = shard_count;
    }
    /* the first manifest's two fsyncs (4-8 ms) are the run's finisher thread's, not on the way to
       the first episode */
    dw->manifest_later = shard_arg == NULL;
    if (!data_writer_prepare(dw, out, resume, shard_arg != NULL, err, sizeof err)) {
        fprintf(stderr, "nudge gen: %s\n", err);
        gen_dataset_close(&ds);
        return 2;
    }

    interrupt_catch();

    int todo = 0, done_before = 0;
    int* shards = alloc_zeroed((size_t)(nshards > 0 ? nshards : 1), sizeof *shards);
    int64_t todo_episodes = 0;
    for (int s = 0; s < nshards; s++) {
        if (s % shard_count != shard_index) continue;
        if (data_writer_shard_done(dw, s)) {
            done_before++;
        } else {
            shards[todo++] = s;
            todo_episodes += data_writer_shard_count(dw, s);
        }
    }
    Progress prog;
    progress_start(&prog, "episodes", todo_episodes);
    double t0 = clock_now();
    GenRunDef def = {shards, todo, (int)jobs, writer_thread, shard_arg == NULL, dw->manifest_later, &prog,
                     interrupt_flag()};
    GenRunStats stats = {0};
    int status = gen_run(&ds, &def, &stats, err, sizeof err);
    free(shards);
    int64_t episodes_done = stats.episodes;
    if (status == 2) {
        fprintf(stderr, "nudge gen: %s\n", err);
    } else if (status == 130) {
        fprintf(stderr, "\nnudge gen: interrupted; %lld episodes of this run are saved; rerun with --resume to finish\n",
                (long long)episodes_done);
    }
    progress_finish(&prog);
    if (status == 0) {
        /* a gather (or a shard task that finds every shard present) writes the final manifest */
        bool all = true;
        for (int s = 0; s < nshards; s++) all = all && data_writer_shard_done(dw, s);
        if (all && (shard_arg || todo == 0) && !data_writer_write_manifest(dw, err, sizeof err)) {
            fprintf(stderr, "nudge gen: %s\n", err);
            status = 2;
        }
        double el = clock_now() - t0;
        fprintf(stderr,
                "nudge gen: %s: %lld episodes in %d shards written (%d already there) in %.2f s, %.1f episodes/s, "
                "waiting on writes %.1f%% of the time%s; CPU s: workers %.6f, writer %.6f, finisher %.6f\n",
                out, (long long)episodes_done, todo, done_before, el, el > 0 ? (double)episodes_done / el : 0,
                100.0 * stats.write_share, all ? "; dataset complete" : "; dataset incomplete", stats.cpu_workers,
                stats.cpu_writer, stats.cpu_finisher);
    }
    if (stats.beyond_episodes > 0)
        fprintf(stderr,
                "nudge gen: %s: in %lld of the episodes written, %lld bodies made after the start (shards) went beyond "
                "the %d slots and are not recorded; --slots %d keeps them\n",
                out, (long long)stats.beyond_episodes, (long long)stats.beyond_bodies, ds.spec.slots, stats.bodies_max);
    gen_dataset_close(&ds);
    return status;
}
