/* nudge train: trains the world model offline from a dataset folder */
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/args.h"
#include "app/commands.h"
#include "base/atomic_file.h"
#include "base/clock.h"
#include "base/progress.h"
#include "model/dataset.h"
#include "model/eval.h"
#include "model/nn.h"
#include "model/trainer.h"

static volatile sig_atomic_t interrupted = 0;

static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
}

/* mean position error 30 ticks ahead on (up to 64 starts of) the validation episodes */
static double val_rollout_error(const WmModel* m, const WmDataset* d, int first, int count) {
    WmEvalDef def = wm_eval_def_default();
    def.first = first;
    def.count = count;
    def.horizon = 30;
    def.stride = 15;
    def.max_starts = 64;
    def.events = false;
    WmEvalResult r;
    if (!wm_evaluate(m, d, &def, &r)) return NAN;
    double e = r.err[WM_SUBSET_ALL][WM_METHOD_MODEL][29].mean;
    wm_eval_free(&r);
    return e;
}

int cmd_train(int argc, char** argv) {
    const char* data = NULL;
    const char* out = NULL;
    const char* resume = NULL;
    const char* log_path = NULL;
    int64_t steps = 3000, batch = 64, threads = 1, val_every = 250, save_every = 1000;
    uint64_t seed = 1;
    double lr = 1e-3, max_seconds = 0, noise_vel = -1, noise_pos = -1;
    ArgSpec specs[] = {
        {"data", ARG_STRING, &data, 1, 0, "DIR: dataset folder written by nudge gen (required)", false},
        {"out", ARG_STRING, &out, 1, 0, "MODEL: checkpoint to write (required)", false},
        {"steps", ARG_INT, &steps, 1, 1e9, "N: optimizer steps (default 3000)", false},
        {"batch", ARG_INT, &batch, 1, 65536, "B: transitions per step (default 64)", false},
        {"threads", ARG_INT, &threads, 1, 64, "T: BLAS threads (default 1: bit-reproducible)", false},
        {"seed", ARG_U64, &seed, 1, 0, "N: initialization, sampling and noise seed (default 1)", false},
        {"resume", ARG_STRING, &resume, 1, 0, "MODEL: continue from this checkpoint (weights, statistics, optimizer)", false},
        {"lr", ARG_DOUBLE, &lr, 1e-7, 1.0, "RATE: AdamW learning rate (default 0.001)", false},
        {"val-every", ARG_INT, &val_every, 1, 1e9, "N: validate every N steps (default 250)", false},
        {"save-every", ARG_INT, &save_every, 1, 1e9, "N: checkpoint every N steps (default 1000)", false},
        {"log", ARG_STRING, &log_path, 1, 0, "FILE: CSV log (default: train.csv beside the model)", false},
        {"time", ARG_DOUBLE, &max_seconds, 0, 1e7, "S: stop after S seconds of training (0 = no limit)", false},
        {"noise-vel", ARG_DOUBLE, &noise_vel, 0, 10, "V: input noise on velocities, m/s (default 0.005)", false},
        {"noise-pos", ARG_DOUBLE, &noise_pos, 0, 1, "P: input noise on positions, m (default 0.0005)", false},
    };
    ArgParse p = {"train",
                  "nudge train --data DIR --out MODEL [--steps N] [--batch B] [--threads T] [--seed N] [--resume MODEL]",
                  "Trains the world model on a dataset's episodes (the last tenth held out for validation). "
                  "Writes the checkpoint atomically every --save-every steps and at the end; Ctrl-C saves and exits.",
                  specs, (int)(sizeof specs / sizeof specs[0]), {0}, 0, 0};
    int rc = args_parse(&p, argc, argv);
    if (rc) return rc == 1 ? 0 : 2;
    if (!data) return args_fail("train", "--data DIR is required");
    if (!out) return args_fail("train", "--out MODEL is required");
    nn_set_threads((int)threads);

    char err[1024];
    WmDataset* d = wm_dataset_load(data, err, sizeof err);
    if (!d) {
        fprintf(stderr, "nudge train: %s\n", err);
        return 2;
    }
    WmModel* start = NULL;
    if (resume) {
        start = wm_load(resume, err, sizeof err);
        if (!start) {
            fprintf(stderr, "nudge train: %s\n", err);
            wm_dataset_free(d);
            return 2;
        }
        if (!wm_dataset_check_model(d, start, resume, err, sizeof err)) {
            fprintf(stderr, "nudge train: %s\n", err);
            wm_free(start);
            wm_dataset_free(d);
            return 2;
        }
    }
    /* episodes: the last tenth (at least one) for validation */
    int nval = d->episodes >= 2 ? (d->episodes + 9) / 10 : 0;
    int ntrain = d->episodes - nval;
    WmTrainerDef def = wm_trainer_def_default(d->slots);
    def.arch.dt = (float)d->tick;
    def.seed = seed;
    def.batch = (int)batch;
    def.lr = (float)lr;
    def.capacity = (int64_t)ntrain * d->ticks + 2;
    def.val_capacity = (int64_t)(nval > 0 ? nval : 1) * d->ticks + 2;
    def.val_every = 0;
    if (noise_vel >= 0) def.noise_vel = (float)noise_vel;
    if (noise_pos >= 0) def.noise_pos = (float)noise_pos;
    WmTrainer* tr = wm_trainer_create(&def, start);
    if (!tr) {
        fprintf(stderr, "nudge train: out of memory\n");
        wm_free(start);
        wm_dataset_free(d);
        return 2;
    }
    wm_free(start);
    if (resume && !wm_trainer_load_optimizer(tr, resume, err, sizeof err)) {
        fprintf(stderr, "nudge train: %s\n", err);
        wm_trainer_free(tr);
        wm_dataset_free(d);
        return 2;
    }
    wm_dataset_fill(d, wm_trainer_replay(tr), 0, ntrain);
    if (nval) wm_dataset_fill(d, wm_trainer_val_replay(tr), ntrain, nval);
    /* the training episodes live on in the replay buffer: keep only the validation ones */
    wm_dataset_keep(d, ntrain, nval);
    /* enough to sample a batch from? (say which: too few transitions, or a batch too large) */
    int64_t ready = wm_replay_ready(wm_trainer_replay(tr));
    if (ready < batch) {
        if (ready == 0)
            fprintf(stderr, "nudge train: %s: no trainable transitions in its %d training episodes of %d records "
                            "(episodes too short, or no live bodies?)\n", data, ntrain, d->ticks);
        else
            fprintf(stderr, "nudge train: --batch %lld is larger than the %lld trainable transitions in %s; lower "
                            "--batch or generate more episodes\n", (long long)batch, (long long)ready, data);
        wm_trainer_free(tr);
        wm_dataset_free(d);
        return 2;
    }

    /* the model's folder, and the CSV log beside the model unless told otherwise */
    char logbuf[4096];
    {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s", out);
        if (!make_dirs(dirname(tmp), err, sizeof err)) {
            fprintf(stderr, "nudge train: %s\n", err);
            wm_trainer_free(tr);
            wm_dataset_free(d);
            return 2;
        }
    }
    if (!log_path) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s", out);
        snprintf(logbuf, sizeof logbuf, "%s/train.csv", dirname(tmp));
        log_path = logbuf;
    }
    FILE* log = fopen(log_path, resume ? "a" : "w");
    if (!log) {
        fprintf(stderr, "nudge train: %s: cannot write the log\n", log_path);
        wm_trainer_free(tr);
        wm_dataset_free(d);
        return 2;
    }
    if (!resume) fprintf(log, "step,train_loss,val_loss,val_rollout_err30_m,seconds\n");

    signal(SIGINT, on_sigint);
    signal(SIGTERM, on_sigint);
    Progress prog;
    progress_start(&prog, "steps", steps);
    double t0 = clock_now();
    WmModel* m = wm_trainer_model(tr);
    int64_t first = wm_train_steps(m), done = 0, fails = 0;
    int status = 0;
    while (done < steps && !interrupted) {
        if (max_seconds > 0 && clock_now() - t0 > max_seconds) break;
        if (!wm_trainer_step(tr)) {
            if (++fails > 1000) {
                /* the data was checked above: batches that fail now have a non-finite loss */
                fprintf(stderr, "nudge train: training diverged: the loss was not finite for 1000 batches in a row "
                                "(lower --lr?)\n");
                status = 2;
                break;
            }
            continue;
        }
        fails = 0;
        done++;
        WmTrainerStats st;
        if (done % val_every == 0 || done == steps) {
            wm_trainer_stats(tr, &st);
            float vl = nval ? wm_trainer_validate(tr, 20) : NAN;
            double ve = nval ? val_rollout_error(m, d, 0, nval) : NAN;
            fprintf(log, "%lld,%.6g,%.6g,%.6g,%.2f\n", (long long)(first + done), st.train_loss, vl, ve,
                    clock_now() - t0);
            fflush(log);
        }
        if (done % save_every == 0 && !wm_trainer_save(tr, out, err, sizeof err))
            fprintf(stderr, "nudge train: warning: %s\n", err);
        char extra[96];
        wm_trainer_stats(tr, &st);
        snprintf(extra, sizeof extra, "loss %.4f", st.train_loss);
        progress_update(&prog, done, extra);
    }
    progress_finish(&prog);
    fclose(log);
    WmTrainerStats st;
    wm_trainer_stats(tr, &st);
    bool saved = status == 0 && wm_trainer_save(tr, out, err, sizeof err);
    if (status == 0 && !saved) {
        fprintf(stderr, "nudge train: %s\n", err);
        status = 2;
    }
    if (saved)
        printf("%s %lld steps in %.1f s, train loss %.4f, val loss %.4f%s -> %s\n",
               interrupted ? "interrupted after" : "trained", (long long)done, clock_now() - t0,
               st.train_loss, st.val_loss, st.skipped ? " (some steps skipped)" : "", out);
    wm_trainer_free(tr);
    wm_dataset_free(d);
    return status;
}
