/* bench_train_stream: one trainer fed in memory, one streaming through a 32 MiB window, same data,
 * same seed; each round trains both for the same CPU time, interleaved, so a busy spell on the
 * machine hits both alike. Streaming includes every read (pread of each episode entering the
 * window, its checksums once per shard, the finite check and the copy into the replay buffer); the
 * files are in the page cache after the first pass, as on a machine whose disk keeps up. */
#include "bench/bench_train_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/train_data.h"
#include "model/trainer.h"

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct Feed {
    WmTrainData td;
    WmTrainer*  tr;
    int64_t     steps;
} Feed;

/* a trainer (default, or with rounds message-passing rounds and pushforward up to roll_max ticks
 * when these are >= 0) fed from dir through a memory cap */
static bool feed_open_def(Feed* f, const char* dir, int64_t memory, int rounds, int roll_max, char* err, size_t n) {
    memset(f, 0, sizeof *f);
    const char* dirs[1] = {dir};
    if (!wm_train_data_open(&f->td, dirs, 1, NULL, memory, 1, err, n)) return false;
    WmTrainerDef def = wm_trainer_def_default(f->td.slots);
    if (rounds > 0) def.arch.rounds = rounds;
    if (roll_max >= 0) def.roll_max = roll_max;
    def.arch.dt = (float)f->td.tick;
    def.capacity = f->td.plan.capacity;
    def.val_capacity = f->td.plan.val_capacity;
    def.val_every = 0;
    f->tr = wm_trainer_create(&def, NULL);
    return f->tr && wm_train_data_fill(&f->td, wm_trainer_replay(f->tr), wm_trainer_val_replay(f->tr), err, n);
}

static bool feed_open(Feed* f, const char* dir, int64_t memory, char* err, size_t n) {
    return feed_open_def(f, dir, memory, -1, -1, err, n);
}

/* trains for cpu seconds; returns samples per CPU second */
static double feed_run(Feed* f, double cpu) {
    char err[512];
    int batch = wm_trainer_def_default(f->td.slots).batch;
    double t0 = cpu_now(), t = 0;
    int64_t done = 0;
    do {
        if (!wm_train_data_advance(&f->td, wm_trainer_replay(f->tr), f->steps * batch, err, sizeof err)) {
            fprintf(stderr, "bench_train: %s\n", err);
            return 0;
        }
        if (wm_trainer_step(f->tr)) f->steps++, done++;
        t = cpu_now() - t0;
    } while (t < cpu);
    return (double)done * batch / t;
}

static void feed_close(Feed* f) {
    wm_trainer_free(f->tr);
    wm_train_data_close(&f->td);
}

/* the benchmark's dataset in a new temporary folder dir (its data in dir/d); false when gen fails */
static bool make_dataset(const char* nudge, const char* scenario, char* dir) {
    char cmd[2048];
    if (!mkdtemp(dir)) return false;
    snprintf(cmd, sizeof cmd, "%s gen --scenario %s --episodes 64 --seconds 8 --seed 3 --jobs 2 --out %s/d 2>/dev/null",
             nudge, scenario, dir);
    if (system(cmd) == 0) return true;
    fprintf(stderr, "bench_train: %s failed\n", cmd);
    return false;
}

static void remove_dataset(const char* dir) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench_train: could not remove %s\n", dir);
}

int bench_train_parts(const char* nudge, const char* scenario, double seconds) {
    char dir[] = "/tmp/nudge-bench-parts-XXXXXX", data[64], err[1024];
    if (!make_dataset(nudge, scenario, dir)) return 1;
    snprintf(data, sizeof data, "%s/d", dir);
    /* the default trainer, and without what the generalization work added to a step */
    const struct {
        const char* what;
        int         rounds, roll_max;
    } cases[] = {{"default (2 rounds, pushforward)", -1, -1},
                 {"1 round", 1, -1},
                 {"no pushforward", -1, 0},
                 {"1 round, no pushforward", 1, 0}};
    enum { NCASES = sizeof cases / sizeof cases[0] };
    Feed f[NCASES];
    int opened = 0;
    for (; opened < NCASES; opened++)
        if (!feed_open_def(&f[opened], data, (int64_t)2 << 30, cases[opened].rounds, cases[opened].roll_max, err,
                           sizeof err)) {
            fprintf(stderr, "bench_train: %s\n", err);
            break;
        }
    int rc = 1;
    if (opened == NCASES) {
        /* interleaved rounds, the best of each */
        double best[NCASES] = {0};
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < NCASES; c++) {
                double v = feed_run(&f[c], seconds / 3);
                if (v > best[c]) best[c] = v;
            }
        printf("trainer steps on a dataset (64 episodes of 8 s in memory), batch 64, 1 thread\n");
        for (int c = 0; c < NCASES; c++)
            printf("  %-32s %9.0f samples/s   %.2fx the default\n", cases[c].what, best[c], best[c] / best[0]);
        /* where the default's time went, over every step it took */
        WmTrainerProfile p;
        wm_trainer_profile(f[0].tr, &p);
        double parts[] = {p.sample, p.roll, p.pack, p.targets, p.stats, p.forward, p.loss, p.backward, p.update};
        const char* names[] = {"sampling", "pushforward (rolled ticks)", "packing (graph, shapes, features)",
                               "targets", "normalization statistics", "forward", "loss", "backward",
                               "clip + AdamW"};
        double total = 0;
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) total += parts[i];
        printf("  the default's step, %.0f us over %lld steps:\n", 1e6 * total / (double)p.steps, (long long)p.steps);
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
            printf("    %-36s %7.0f us  %5.1f%%\n", names[i], 1e6 * parts[i] / (double)p.steps, 100 * parts[i] / total);
        rc = 0;
    }
    for (int c = 0; c < opened; c++) feed_close(&f[c]);
    remove_dataset(dir);
    return rc;
}

int bench_train_stream(const char* nudge, const char* scenario, double seconds) {
    char dir[] = "/tmp/nudge-bench-stream-XXXXXX", err[1024];
    char data[64];
    int rc = 1;
    Feed mem, str;
    bool ok_mem = false, ok_str = false;
    if (!make_dataset(nudge, scenario, dir)) return 1;
    snprintf(data, sizeof data, "%s/d", dir);
    ok_mem = feed_open(&mem, data, (int64_t)2 << 30, err, sizeof err);
    ok_str = ok_mem && feed_open(&str, data, (int64_t)32 << 20, err, sizeof err);
    if (!ok_mem || !ok_str || mem.td.plan.streaming || !str.td.plan.streaming) {
        fprintf(stderr, "bench_train: %s\n", err);
        goto done;
    }
    /* three interleaved rounds; the best of each */
    double best_mem = 0, best_str = 0;
    for (int r = 0; r < 3; r++) {
        double a = feed_run(&mem, seconds / 3), b = feed_run(&str, seconds / 3);
        if (a > best_mem) best_mem = a;
        if (b > best_str) best_str = b;
    }
    printf("training from a dataset (64 episodes of 8 s, %.0f MB), batch 64, 1 thread\n",
           (double)mem.td.train_total * mem.td.ticks * (double)wm_dataset_bytes_per_record(mem.td.slots, mem.td.dim) / 1e6);
    printf("  in memory  %9.0f samples/s\n", best_mem);
    printf("  streaming  %9.0f samples/s   (--memory 32M: a window of %lld ticks, %lld episodes read)   "
           "streaming/in memory = %.2f (target >= 0.9)\n",
           best_str, (long long)str.td.plan.capacity, (long long)wm_stream_episodes(str.td.stream), best_str / best_mem);
    rc = 0;
done:
    if (ok_mem) feed_close(&mem);
    if (ok_str) feed_close(&str);
    remove_dataset(dir);
    return rc;
}
