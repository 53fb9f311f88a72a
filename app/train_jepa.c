/* nudge train --kind jepa: trains the pixel model (model/jepa.h) offline from a dataset's frames */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/args.h"
#include "app/commands.h"
#include "app/train_log.h"
#include "base/clock.h"
#include "base/interrupt.h"
#include "base/memory_use.h"
#include "base/progress.h"
#include "base/workers.h"
#include "model/jepa_data.h"
#include "model/jepa_probe.h"
#include "model/jepa_trainer.h"
#include "model/nn.h"
#include "model/replay.h"

/* rows (windows) the probe is fitted on at the end of a run */
#define PROBE_ROWS 16000

int cmd_train_jepa(int argc, char** argv) {
    const char* kind = NULL;
    const char* data = NULL;
    const char* out = NULL;
    const char* resume = NULL;
    const char* log_path = NULL;
    int64_t steps = 2000, batch = 16, threads = 1, val_every = 200, save_every = 500, rollout = 3, context = 2;
    int64_t frame_step = 1;
    int64_t width = 16, latent = 16, keypoints = 0, levels = 3, keypoint_appear = 0, hidden = 64;
    bool keypoint_frames = false, keypoint_sharp = false, keypoint_cv = false, keypoint_motion = false;
    bool keypoint_overlap = false, keypoint_objness = false, pred_gate = false;
    double objness_w = -1;
    uint64_t seed = 1;
    double lr = 1e-3, max_seconds = 0, ema = 0.99, var_w = 1.0, cov_w = 0.1, probe_ridge = 0, motion_w = 0;
    double keypoint_w = 1.0;
    double appear_w = 0.0, var_space_w = 0.0, recon_w = 0.0;
    double break_p = 0.0, push_p = 0.0, pool_w = 0.0, latent_noise = 0.0;
    int64_t pool_size = 4;
    double event_w = 0.0, keypoint_blur = 0.0;
    int64_t probe_rows = PROBE_ROWS, probe_jobs = JEPA_PROBE_JOBS;
    ArgSpec specs[] = {
        {"kind", ARG_STRING, &kind, 1, 0, "jepa: the pixel model", false},
        {"data", ARG_STRING, &data, 1, 0, "DIR: dataset folder written by nudge gen --frames (required)", false},
        {"out", ARG_STRING, &out, 1, 0, "MODEL: checkpoint to write (required)", false},
        {"steps", ARG_INT, &steps, 0, 1e9, "N: optimizer steps (default 2000; 0 with --resume: only fit the probe again)",
         false},
        {"batch", ARG_INT, &batch, 2, 4096, "B: windows per step (default 16)", false},
        {"rollout", ARG_INT, &rollout, 1, 64, "R: predicted steps per window, each from the last (default 3)", false},
        {"context", ARG_INT, &context, 2, 8, "F: frames per window (default 2)", false},
        {"frame-step", ARG_INT, &frame_step, 1, JEPA_MAX_FRAME_STEP,
         "S: ticks between a window's frames and between predicted windows (default 1)", false},
        {"width", ARG_INT, &width, 4, 256, "W: encoder channels of the first layer (default 16)", false},
        {"latent", ARG_INT, &latent, 2, 256, "C: channels of the latent grid (default 16)", false},
        {"hidden", ARG_INT, &hidden, 4, 512, "H: the predictor's channels (default 64)", false},
        {"levels", ARG_INT, &levels, 2, 3,
         "L: the encoder halves the frame L times: cells of 2^L pixels (default 3: 8-pixel cells; 2: 4-pixel cells, "
         "four times the cells)", false},
        {"keypoints", ARG_INT, &keypoints, 0, 16,
         "K: cell soft-argmax channels: per latent cell, where K heat maps of the first layer peak within it "
         "(dx, dy in pixels) and how strongly; 3K channels after the latent's (default 0)", false},
        {"keypoint-frames", ARG_BOOL, &keypoint_frames, 0, 0,
         "the keypoints' heat maps from the input frames' pixels (each frame apart) instead of the first layer's map",
         false},
        {"keypoint-sharp", ARG_BOOL, &keypoint_sharp, 0, 0,
         "each cell's heats normalised and scaled by a learned temperature per keypoint channel before the softmax, "
         "so that a small body's offset moves with it one for one", false},
        {"keypoint-cv", ARG_BOOL, &keypoint_cv, 0, 0,
         "constant velocity (with --keypoint-frames): each keypoint from one frame (a 3x3 convolution of its pixels), "
         "for the window's last frame and the one before; the latent carries its offsets and velocity (5K channels) "
         "and the predictor adds the velocity to the offsets, so an untrained one carries a motion on", false},
        {"keypoint-motion", ARG_BOOL, &keypoint_motion, 0, 0,
         "with --keypoint-cv and --context 3 or more: the heats from each frame's change from the frame before it, "
         "so that still things give no keypoint and a moving body's offset moves with it one for one", false},
        {"keypoint-appear", ARG_INT, &keypoint_appear, 0, 15,
         "A: with --keypoint-motion and --keypoint-sharp, A more keypoints whose heats are a 3x3 convolution of the "
         "frame's pixels, not of its change, so that they mark a body whether it moves or not (default 0: none)",
         false},
        {"keypoint-objness", ARG_BOOL, &keypoint_objness, 0, 0,
         "with --keypoint-motion and --keypoint-sharp, one more appearance keypoint (after --keypoint-appear's): an "
         "objectness keypoint, whose heat (a 3x3 convolution of the frame's pixels and of their intensity bands, "
         "the plain softmax) is trained to mark the pixels that change within a training window (--objness-weight): "
         "a body at rest is marked because bodies like it were seen to move, the table under it is not", false},
        {"objness-weight", ARG_DOUBLE, &objness_w, 0, 1e6,
         "W: the objectness keypoint's logistic loss weighs W (default 1 with --keypoint-objness or a model with an "
         "objectness keypoint; 0: trained by the prediction alone)", false},
        {"keypoint-blur", ARG_DOUBLE, &keypoint_blur, 0, JEPA_MAX_BLUR,
         "S: with --keypoint-appear or --keypoint-objness, the appearance heats blurred by a Gaussian of S pixels "
         "before their softmax, so that a body's heat peaks at its centre rather than anywhere over it (default 0: "
         "none; at most 4)", false},
        {"pred-gate", ARG_BOOL, &pred_gate, 0, 0,
         "with --keypoint-motion, the predictor changes only the cells with motion within a cell of them (a motion "
         "keypoint, a keypoint's velocity, or a push) and every other cell keeps its latent exactly, so that what "
         "stands still stays still over a rollout of any length instead of drifting", false},
        {"keypoint-overlap", ARG_BOOL, &keypoint_overlap, 0, 0,
         "each cell's soft-argmax over a window twice the cell's side centred on it, so that a body crossing a cell "
         "border is seen whole by both cells", false},
        {"appearance-weight", ARG_DOUBLE, &appear_w, 0, 1e6,
         "W: an auxiliary head (trainer-only) predicts each cell's change of appearance (4 quadrants) from the "
         "predicted latent's convolution channels; its relative squared error weighs W in the loss (default 0: none)",
         false},
        {"recon-weight", ARG_DOUBLE, &recon_w, 0, 1e6,
         "W: a linear decoder (trainer-only) maps each cell's convolution channels of the context's latent to the "
         "cell's pixels of the context's last frame; its squared error, cells weighed by --motion-weight's rule, "
         "weighs W in the loss and its gradient reaches the encoder (default 0: none)", false},
        {"break-sample", ARG_DOUBLE, &break_p, 0, 1,
         "P: each window of a batch is drawn, with probability P, from the training windows with a break among "
         "their predicted steps (the rest uniformly; default 0: uniformly, as before)", false},
        {"push-sample", ARG_DOUBLE, &push_p, 0, 1,
         "P: the same with the training windows whose predicted steps are given a push (the predictor learns what "
         "an action does from them; default 0: uniformly). Not with --break-sample", false},
        {"event-weight", ARG_DOUBLE, &event_w, 0, 100,
         "W: two event heads (a break in the next 0.5 s, one in the last 0.5 s) on the encoder's pooled latent, "
         "trained with the model from the dataset's break marks: their class-weighted cross entropy weighs W in the "
         "loss and its gradient reaches the encoder; the heads go into the checkpoint (voe --fate-weight reads "
         "them; default 0: none)", false},
        {"pool-weight", ARG_DOUBLE, &pool_w, 0, 1e6,
         "W: a pooled L1 beside the cells': the predicted and the target latent each averaged over blocks of "
         "--pool-size cells a side, their mean absolute difference weighing W in the loss (default 0: none)", false},
        {"pool-size", ARG_INT, &pool_size, 1, 1000, "N: the pooled L1's block side in cells (default 4)", false},
        {"latent-noise", ARG_DOUBLE, &latent_noise, 0, 10,
         "S: training noise on the rollout: each predictor step starts from its latent plus Gaussian noise of S "
         "times the channel's standard deviation, and learns to pull it back (default 0: none)", false},
        {"keypoint-weight", ARG_DOUBLE, &keypoint_w, 0, 1e6,
         "W: the keypoint channels' L1 weighs W times a convolution channel's (default 1)", false},
        {"threads", ARG_INT, &threads, 1, 64, "T: BLAS threads (default 1: bit-reproducible)", false},
        {"seed", ARG_U64, &seed, 1, 0, "N: initialization and sampling seed (default 1)", false},
        {"resume", ARG_STRING, &resume, 1, 0, "MODEL: continue from this pixel model (weights, target, optimizer)", false},
        {"lr", ARG_DOUBLE, &lr, 1e-7, 1.0, "RATE: AdamW learning rate (default 0.001)", false},
        {"ema", ARG_DOUBLE, &ema, 0, 0.99999, "M: target encoder momentum (default 0.99)", false},
        {"var-weight", ARG_DOUBLE, &var_w, 0, 100, "V: weight of the variance term (default 1)", false},
        {"cov-weight", ARG_DOUBLE, &cov_w, 0, 100, "V: weight of the covariance term (default 0.1)", false},
        {"var-space-weight", ARG_DOUBLE, &var_space_w, 0, 100,
         "V: weight of a spatial variance term: each convolution channel's std over a window's cells (not the "
         "batch's) kept at 1, so that the channels mark where things are (default 0: none)", false},
        {"motion-weight", ARG_DOUBLE, &motion_w, 0, 1e6,
         "A: a cell's L1 weighs 1 + A * its largest pixel change over the target's last 3 frames (default 0)", false},
        {"val-every", ARG_INT, &val_every, 1, 1e9, "N: validate every N steps (default 200)", false},
        {"save-every", ARG_INT, &save_every, 1, 1e9, "N: checkpoint every N steps (default 500)", false},
        {"log", ARG_STRING, &log_path, 1, 0, "FILE: CSV log (default: train.csv beside the model)", false},
        {"time", ARG_DOUBLE, &max_seconds, 0, 1e7, "S: stop after S seconds of training (0 = no limit)", false},
        {"probe-rows", ARG_INT, &probe_rows, 2, 1e7, "N: windows the probe is fitted on (default 16000)", false},
        {"probe-jobs", ARG_INT, &probe_jobs, 1, WORKERS_MAX,
         "J: threads encoding the probe's windows at one BLAS thread (default 2; every J gives the same probe)", false},
        {"probe-ridge", ARG_DOUBLE, &probe_ridge, 0, 1e6,
         "R: the probe's relative ridge (default 0: chosen on every 5th training episode)", false},
    };
    ArgParse p = {"train",
                  "nudge train --kind jepa --data DIR --out MODEL [--steps N] [--batch B] [--rollout R] [--threads T] "
                  "[--seed N] [--resume MODEL]",
                  "Trains the pixel model (a JEPA) on a dataset's frames (the last tenth of the episodes held out for "
                  "validation), then fits its linear probe (latent -> each body's pixel position, break and fall) on "
                  "the training episodes. Writes the checkpoint atomically every --save-every steps and at the end "
                  "(with the probe); Ctrl-C saves and exits.",
                  specs, (int)(sizeof specs / sizeof specs[0]), NULL, 0, 0};
    int rc = args_parse(&p, argc, argv);
    if (rc) return rc == 1 ? 0 : 2;
    if (!data) return args_fail("train", "--data DIR is required");
    if (!out) return args_fail("train", "--out MODEL is required");
    if (!args_output_outside("train", "--out", out, data) || !args_output_outside("train", "--log", log_path, data))
        return 2;
    if ((keypoint_frames || keypoint_sharp || keypoint_cv || keypoint_motion || keypoint_overlap || keypoint_w != 1.0) &&
        keypoints == 0)
        return args_fail("train", "--keypoint-frames, --keypoint-sharp, --keypoint-cv, --keypoint-motion, "
                                  "--keypoint-overlap and --keypoint-weight need --keypoints K (1 to 16)");
    if (keypoint_cv && !keypoint_frames)
        return args_fail("train", "--keypoint-cv needs --keypoint-frames (the keypoints of each frame)");
    if (keypoint_motion && (!keypoint_cv || context < 3))
        return args_fail("train",
                         "--keypoint-motion needs --keypoint-cv and --context 3 or more (two changes of frames)");
    if (keypoint_appear > 0 && (!keypoint_motion || !keypoint_sharp))
        return args_fail("train", "--keypoint-appear needs --keypoint-motion and --keypoint-sharp (appearance "
                                  "keypoints beside the motion ones)");
    if (keypoint_objness && (!keypoint_motion || !keypoint_sharp))
        return args_fail("train", "--keypoint-objness needs --keypoint-motion and --keypoint-sharp (an appearance "
                                  "keypoint beside the motion ones)");
    if (keypoint_blur > 0 && keypoint_appear + keypoint_objness == 0)
        return args_fail("train", "--keypoint-blur needs --keypoint-appear or --keypoint-objness (the heats it blurs)");
    if (pred_gate && !keypoint_motion)
        return args_fail("train", "--pred-gate needs --keypoint-motion (the motion it gates by)");
    if (break_p > 0 && push_p > 0) return args_fail("train", "--break-sample and --push-sample: one of them at a time");
    if (keypoints + keypoint_appear + keypoint_objness > 16)
        return args_fail("train", "--keypoints K, --keypoint-appear A and --keypoint-objness: K + A + 1 at most 16");
    if (steps == 0 && !resume) return args_fail("train", "--steps 0 fits the probe of a trained model: it needs --resume MODEL");
    nn_set_threads((int)threads);
    jepa_probe_set_jobs((int)probe_jobs);

    char err[1024];
    JepaData* j = jepa_data_load(data, err, sizeof err);
    if (!j) {
        fprintf(stderr, "nudge train: %s\n", err);
        return 2;
    }
    if (j->d->magic) {
        fprintf(stderr, "nudge train: %s/manifest.json: expected a dataset without magic, got one written with "
                        "--allow-magic (impossible events are for evaluation, not training)\n", data);
        jepa_data_free(j);
        return 2;
    }
    JepaModel* start = NULL;
    if (resume) {
        start = jepa_load(resume, err, sizeof err);
        if (!start || !jepa_data_check_model(j, start, resume, err, sizeof err)) {
            fprintf(stderr, "nudge train: %s\n", err);
            jepa_free(start);
            jepa_data_free(j);
            return 2;
        }
        /* what it learns from now are gen's frames, framed by render_frame_rect */
        jepa_set_framing(start, JEPA_FRAMING_EVENTS);
    }
    int E = j->d->episodes, T = j->d->ticks;
    int nval = E >= 2 ? (E + 9) / 10 : 0, ntrain = E - nval;
    JepaTrainerDef def = jepa_trainer_def_default(j->frame_w, j->frame_h, j->channels);
    def.arch.dt = (float)j->d->tick;
    def.arch.context = (int)context;
    def.arch.frame_step = (int)frame_step;
    def.arch.width = (int)width;
    def.arch.latent = (int)latent;
    def.arch.levels = (int)levels;
    def.arch.hidden = (int)hidden;
    def.arch.keypoints = (int)(keypoints + keypoint_appear + keypoint_objness);
    def.arch.keypoint_appear = (int)(keypoint_appear + keypoint_objness);
    def.arch.keypoint_objness = keypoint_objness;
    /* the objectness loss: 1 by default for a model with an objectness keypoint (a resumed one too) */
    bool has_obj = start ? jepa_arch(start)->keypoint_objness != 0 : keypoint_objness;
    if (objness_w > 0 && !has_obj) {
        fprintf(stderr, "nudge train: --objness-weight needs --keypoint-objness (or --resume of a model with an "
                        "objectness keypoint)\n");
        jepa_free(start);
        jepa_data_free(j);
        return 2;
    }
    def.objness_weight = objness_w < 0 ? (has_obj ? 1.0f : 0.0f) : (float)objness_w;
    def.arch.keypoint_frames = keypoints > 0 && keypoint_frames;
    def.arch.keypoint_sharp = keypoints > 0 && keypoint_sharp;
    def.arch.keypoint_cv = keypoints > 0 && keypoint_cv;
    def.arch.keypoint_motion = keypoints > 0 && keypoint_motion;
    def.arch.keypoint_overlap = keypoints > 0 && keypoint_overlap;
    def.arch.pred_gate = pred_gate;
    def.arch.keypoint_blur = (float)keypoint_blur;
    def.keypoint_weight = (float)keypoint_w;
    def.seed = seed;
    def.batch = (int)batch;
    def.rollout = (int)rollout;
    def.lr = (float)lr;
    def.ema = (float)ema;
    def.var_weight = (float)var_w;
    def.var_space_weight = (float)var_space_w;
    def.cov_weight = (float)cov_w;
    def.motion_weight = (float)motion_w;
    def.appearance_weight = (float)appear_w;
    def.recon_weight = (float)recon_w;
    def.break_sample = (float)break_p;
    def.push_sample = (float)push_p;
    def.pool_weight = (float)pool_w;
    def.latent_noise = (float)latent_noise;
    def.pool_size = (int)pool_size;
    def.event_weight = (float)event_w;
    def.capacity = (int64_t)ntrain * T + 2;
    def.val_capacity = (int64_t)(nval > 0 ? nval : 1) * T + 2;
    def.val_every = 0;
    /* the working memory, estimated before the trainer reserves it (Linux would promise it and
       then kill the process as it is used): refused now, before anything is written, when the
       machine cannot hold it. Beside the trainer's: the dataset's frames, the probe's rows at the
       end, the program (measured against the peak RSS: see jepa_trainer_step_bytes) */
    int lat = 0, pw = 0;
    double need = jepa_trainer_step_bytes(&def, start, &lat, &pw);
    if (need > 0) {
        double fb = (double)j->frame_w * j->frame_h * j->channels, rows = (double)probe_rows;
        if (rows > (double)ntrain * T) rows = (double)ntrain * T;
        /* the probe's fit (model/jepa_probe.c, probe.c): its rows as read and their targets, then a
           copy of the rows and the Gram of the features (a wide probe: of the rows instead) */
        double F = pw, fit = F > JEPA_PROBE_DUAL_F ? rows * F * 8 + rows * rows * 8
                                                   : 2 * rows * F * 4 + 2 * 4 * F * F + 8 * (F + 1) * (F + 1);
        need += (double)E * T * fb + rows * 4 * ((double)lat + 3.0 * j->d->slots * JEPA_PROBE_OUTPUTS) + fit +
                32.0 * 1048576;
    }
    bool by_rlimit = false;
    int64_t limit = memory_limit(&by_rlimit);
    /* an address-space limit also counts what is mapped already and OpenBLAS's buffer of 128 MiB
       for each thread (which it asks for again and again when refused, forever) */
    if (by_rlimit) need += (double)memory_mapped() + 128.0 * 1048576 * (double)threads;
    if (limit > 0 && need > (double)limit) {
        /* (two decimals below 10 GiB: "0.45 GiB, more than 0.39", not "0.4, more than 0.4") */
        int dec = (double)limit < 10 * 1073741824.0 ? 2 : 1;
        char have[96];
        if (by_rlimit) snprintf(have, sizeof have, "the %.*f GiB this process may use (ulimit -v)", dec, (double)limit / 1073741824.0);
        else snprintf(have, sizeof have, "this machine's %.*f GiB", dec, (double)limit / 1073741824.0);
        fprintf(stderr, "nudge train: a step of --batch %lld with these widths needs about %.*f GiB of working memory, "
                        "more than %s; lower --batch (or --rollout/--width/--latent/--hidden)\n",
                (long long)batch, dec, need / 1073741824.0, have);
        jepa_free(start);
        jepa_data_free(j);
        return 2;
    }
    JepaTrainer* tr = jepa_trainer_create(&def, start, err, sizeof err);
    jepa_free(start);
    if (!tr) {
        fprintf(stderr, "nudge train: %s: %s\n", data, err);
        jepa_data_free(j);
        return 2;
    }
    if (resume && !jepa_trainer_load_optimizer(tr, resume, err, sizeof err)) {
        fprintf(stderr, "nudge train: %s\n", err);
        jepa_trainer_free(tr);
        jepa_data_free(j);
        return 2;
    }
    JepaModel* m = jepa_trainer_model(tr);
    /* the checkpoint says how its frames were drawn: voe, eval and the view draw them so */
    jepa_set_frames_aa(m, j->frames_aa);
    jepa_set_frames_outline(m, j->frames_outline);
    const JepaArch* a = jepa_arch(m);
    jepa_data_fill(j, jepa_trainer_replay(tr), 0, ntrain);
    if (nval) jepa_data_fill(j, jepa_trainer_val_replay(tr), ntrain, nval);
    if (T < (a->context - 1 + def.rollout) * a->frame_step + 1) {
        fprintf(stderr, "nudge train: %s: episodes of %d records are too short for windows of %d frames and %d steps "
                "ahead, %d ticks apart\n", data, T, a->context, def.rollout, a->frame_step);
        jepa_trainer_free(tr);
        jepa_data_free(j);
        return 2;
    }
    if (break_p > 0 || push_p > 0) {
        /* the windows --break-sample draws from: a break (WM_BIT_BREAK of any body) among the predicted records;
           --push-sample's: a push given to the rollout (JEPA_MARK_PUSH: one right after a record before them) */
        int back = (a->context - 1) * a->frame_step, ahead = def.rollout * a->frame_step;
        const char* what = break_p > 0 ? "break" : "push";
        double share = break_p > 0 ? break_p : push_p;
        int64_t marked = jepa_replay_marked_windows(jepa_trainer_replay(tr), back, ahead,
                                                    break_p > 0 ? WM_BIT_BREAK : JEPA_MARK_PUSH);
        int64_t all = 0, cursor = 0, chunk[256];
        for (int got; (got = jepa_replay_sweep(jepa_trainer_replay(tr), &cursor, 256, back, ahead, 1, chunk)) > 0;)
            all += got;
        if (marked == 0) {
            fprintf(stderr, "nudge train: %s: --%s-sample %g: no training window holds a %s among its %d "
                    "predicted steps\n", data, what, share, what, def.rollout);
            jepa_trainer_free(tr);
            jepa_data_free(j);
            return 2;
        }
        printf("%s sample: %lld of the %lld training windows (%.2f%%) hold a %s among their %d predicted "
               "steps; each window is drawn from them with probability %g\n", what, (long long)marked, (long long)all,
               100.0 * (double)marked / (double)all, what, def.rollout, share);
    }
    char logbuf[4096];
    if (!train_out_prepare(out, resume, &log_path, logbuf, sizeof logbuf, err, sizeof err)) {
        fprintf(stderr, "nudge train: %s\n", err);
        jepa_trainer_free(tr);
        jepa_data_free(j);
        return 2;
    }
    TrainLog log = {.fd = -1};
    if (log_path && !train_log_open(&log, log_path, resume != NULL, err, sizeof err)) {
        fprintf(stderr, "nudge train: %s\n", err);
        jepa_trainer_free(tr);
        jepa_data_free(j);
        return 2;
    }
    /* the event heads' and the decoder's columns only with them: a log without them is the same bytes as
       before */
    if (log_path && !resume) {
        char head[192] = "step,train_loss,val_loss,latent_std_mean,latent_std_min,effective_rank,seconds";
        if (event_w > 0 || recon_w > 0) strcat(head, ",loss");
        if (event_w > 0) strcat(head, ",event_loss");
        if (recon_w > 0) strcat(head, ",recon_loss");
        if (def.objness_weight > 0) strcat(head, ",objness_loss,objness_changed");
        strcat(head, "\n");
        train_log_put(&log, head);
    }

    interrupt_catch();
    Progress prog;
    progress_start(&prog, "steps", steps);
    double t0 = clock_now();
    int64_t first = jepa_train_steps(m), done = 0, fails = 0;
    int status = 0;
    char failure[1200] = "";
    bool validated = false;
    while (done < steps && !interrupt_requested()) {
        if (max_seconds > 0 && clock_now() - t0 > max_seconds) break;
        if (!jepa_trainer_step(tr)) {
            if (++fails > 1000) {
                snprintf(failure, sizeof failure, "training diverged: the loss was not finite for 1000 batches in "
                                                  "a row (lower --lr?)");
                status = 2;
                break;
            }
            continue;
        }
        fails = 0;
        done++;
        JepaTrainerStats st;
        if (done % val_every == 0 || done == steps) {
            float vl = nval ? jepa_trainer_validate(tr, 8) : NAN;
            validated = true;
            jepa_trainer_stats(tr, &st);
            char line[256];
            int n = snprintf(line, sizeof line, "%lld,%.6g,%.6g,%.6g,%.6g,%.6g,%.2f", (long long)(first + done),
                             st.train_loss, vl, st.latent.std_mean, st.latent.std_min, st.latent.erank, clock_now() - t0);
            if (event_w > 0 || recon_w > 0) n += snprintf(line + n, sizeof line - (size_t)n, ",%.6g", st.last_loss);
            if (event_w > 0) n += snprintf(line + n, sizeof line - (size_t)n, ",%.6g", st.event_loss);
            if (recon_w > 0) n += snprintf(line + n, sizeof line - (size_t)n, ",%.6g", st.recon_loss);
            if (def.objness_weight > 0)
                snprintf(line + n, sizeof line - (size_t)n, ",%.6g,%.6g", st.objness_loss, st.objness_changed);
            strcat(line, "\n");
            if (log_path && !train_log_put(&log, line)) {
                snprintf(failure, sizeof failure, "%s: write failed: %s", log_path, log.why);
                status = 2;
                break;
            }
        }
        if (done % save_every == 0) {
            if (!jepa_trainer_save(tr, NULL, out, err, sizeof err)) {
                snprintf(failure, sizeof failure, "%s", err);
                status = 2;
                break;
            }
            log.saved = log.size;
        }
        char extra[96];
        jepa_trainer_stats(tr, &st);
        if (isfinite(st.train_loss) && event_w > 0)
            snprintf(extra, sizeof extra, "loss %.4f events %.4f rank %.1f", st.train_loss, st.event_loss, st.latent.erank);
        else if (isfinite(st.train_loss) && def.objness_weight > 0)
            snprintf(extra, sizeof extra, "loss %.4f objness %.4f rank %.1f", st.train_loss, st.objness_loss,
                     st.latent.erank);
        else if (isfinite(st.train_loss) && recon_w > 0)
            snprintf(extra, sizeof extra, "loss %.4f recon %.4f rank %.1f", st.train_loss, st.recon_loss, st.latent.erank);
        else if (isfinite(st.train_loss))
            snprintf(extra, sizeof extra, "loss %.4f rank %.1f", st.train_loss, st.latent.erank);
        else
            snprintf(extra, sizeof extra, "loss -");
        progress_update(&prog, done, extra);
    }
    progress_finish(&prog);
    JepaTrainerStats st;
    jepa_trainer_stats(tr, &st);
    bool saved = false;
    if (!failure[0] || log.why[0]) {
        /* the probe on the training episodes, for nudge eval and the view's ghosts */
        Probe probe;
        memset(&probe, 0, sizeof probe);
        char perr[256];
        double tp = clock_now();
        static const double ridges[] = JEPA_PROBE_RIDGES;
        double held_err[sizeof ridges / sizeof ridges[0]];
        bool have_probe = ntrain > 0 && jepa_probe_fit_ridge(m, j, 0, ntrain, (int)probe_rows, probe_ridge, &probe,
                                                                 held_err, perr, sizeof perr);
        if (have_probe)
            printf("probe fitted on the %d training episodes in %.1f s: ridge %g (%s)\n", ntrain, clock_now() - tp,
                   probe.ridge, jepa_probe_width(m) > JEPA_PROBE_DUAL_F
                                    ? "fitted in the rows' dual: the latent's features outnumber them, none chosen"
                                : probe_ridge > 0           ? "given"
                                : ntrain >= JEPA_PROBE_HOLD ? "chosen on every 5th of them, fitted on the others"
                                                            : "too few episodes to hold some out");
        else
            printf("no probe: %s\n", ntrain > 0 ? perr : "no training episode");
        if (have_probe && isfinite(held_err[0])) {
            printf("probe: root mean squared error of a body on the held-out episodes (px, marks included) by ridge:");
            for (size_t i = 0; i < sizeof ridges / sizeof ridges[0]; i++)
                printf(" %g: %.2f", ridges[i], sqrt(held_err[i]));
            printf("\n");
        }
        saved = jepa_trainer_save(tr, have_probe ? &probe : NULL, out, err, sizeof err);
        probe_free(&probe);
        if (saved) log.saved = log.size;
        if (!saved && !failure[0]) snprintf(failure, sizeof failure, "%s", err);
        else if (saved && failure[0])
            snprintf(failure + strlen(failure), sizeof failure - strlen(failure), " (the model is saved to %s)", out);
        if (!saved) status = 2;
    }
    if (log_path) train_log_close(&log, status != 0);
    interrupt_release();
    if (failure[0]) {
        fprintf(stderr, "nudge train: %s\n", failure);
    } else {
        char train_l[32], val[128];
        if (isfinite(st.train_loss)) snprintf(train_l, sizeof train_l, "%.4f", st.train_loss);
        else snprintf(train_l, sizeof train_l, "n/a (no step done)");
        if (nval > 0 && validated && isfinite(st.val_loss)) snprintf(val, sizeof val, "%.4f", st.val_loss);
        else
            snprintf(val, sizeof val, "n/a (%s)", nval == 0 ? "no validation episode: the dataset has only one"
                                                  : !validated ? "stopped before the first validation"
                                                               : "no window in the validation episodes");
        char rank[32];
        if (isfinite(st.latent.erank)) snprintf(rank, sizeof rank, "%.2f of %d", st.latent.erank,
                                                     a->latent + (a->keypoint_cv ? 5 : 3) * a->keypoints);
        else snprintf(rank, sizeof rank, "n/a");
        char drawn[256] = "";
        if (break_p > 0 || push_p > 0)
            snprintf(drawn, sizeof drawn, ", %lld windows drawn from the %s windows", (long long)st.marked_windows,
                     break_p > 0 ? "break" : "push");
        if (recon_w > 0)
            snprintf(drawn + strlen(drawn), sizeof drawn - strlen(drawn), ", reconstruction term %.4f", st.recon_loss);
        if (event_w > 0)
            snprintf(drawn + strlen(drawn), sizeof drawn - strlen(drawn),
                     ", event term %.4f (a window with a break weighs %.1f ahead, %.1f seen)", st.event_loss,
                     st.event_pos_weight[0], st.event_pos_weight[1]);
        printf("%s %lld steps in %.1f s, train loss %s, val loss %s, latent effective rank %s%s%s -> %s\n",
               interrupt_requested() ? "interrupted after" : "trained", (long long)done, clock_now() - t0, train_l,
               val, rank, drawn, st.skipped ? " (some steps skipped)" : "", out);
        if (interrupt_requested()) status = INTERRUPT_EXIT_STATUS;
    }
    jepa_trainer_free(tr);
    jepa_data_free(j);
    return status;
}
