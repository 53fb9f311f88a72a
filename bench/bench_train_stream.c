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

static bool feed_open(Feed* f, const char* dir, int64_t memory, char* err, size_t n) {
    memset(f, 0, sizeof *f);
    const char* dirs[1] = {dir};
    if (!wm_train_data_open(&f->td, dirs, 1, NULL, memory, 1, err, n)) return false;
    WmTrainerDef def = wm_trainer_def_default(f->td.slots);
    def.arch.dt = (float)f->td.tick;
    def.capacity = f->td.plan.capacity;
    def.val_capacity = f->td.plan.val_capacity;
    def.val_every = 0;
    f->tr = wm_trainer_create(&def, NULL);
    return f->tr && wm_train_data_fill(&f->td, wm_trainer_replay(f->tr), wm_trainer_val_replay(f->tr), err, n);
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

int bench_train_stream(const char* nudge, const char* scenario, double seconds) {
    char dir[] = "/tmp/nudge-bench-stream-XXXXXX", cmd[2048], err[1024];
    if (!mkdtemp(dir)) return 1;
    snprintf(cmd, sizeof cmd, "%s gen --scenario %s --episodes 64 --seconds 8 --seed 3 --jobs 2 --out %s/d 2>/dev/null",
             nudge, scenario, dir);
    char data[64];
    snprintf(data, sizeof data, "%s/d", dir);
    int rc = 1;
    Feed mem, str;
    bool ok_mem = false, ok_str = false;
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_train: %s failed\n", cmd);
        goto done;
    }
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
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench_train: could not remove %s\n", dir);
    return rc;
}
