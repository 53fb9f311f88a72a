/* nudge train: trains the world model offline from a dataset folder */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/args.h"
#include "app/commands.h"
#include "app/train_log.h"
#include "base/atomic_file.h"
#include "base/clock.h"
#include "base/interrupt.h"
#include "base/memory_use.h"
#include "base/parse_int.h"
#include "base/parse_real.h"
#include "base/progress.h"
#include "base/report.h"
#include "model/dataset.h"
#include "model/eval.h"
#include "model/nn.h"
#include "model/train_data.h"
#include "model/trainer.h"

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

/* "A,B,C" into at most cap pieces (in place); returns how many, 0 when empty or too many */
static int split_list(char* text, char** out, int cap) {
    int n = 0;
    for (char* p = text; p;) {
        char* comma = strchr(p, ',');
        if (comma) *comma = 0;
        if (!*p || n == cap) return 0;
        out[n++] = p;
        p = comma ? comma + 1 : NULL;
    }
    return n;
}

/* --data DIR1,DIR2 and --weights W1,W2: false + one line */
static bool read_data_flags(const char* data, const char* weights, char* buf, size_t buf_size, const char** dirs,
                            int* n, double* w, bool* weighted, char* err, size_t err_size) {
    snprintf(buf, buf_size, "%s", data);
    *n = split_list(buf, (char**)dirs, WM_TRAIN_MAX_SOURCES);
    if (*n == 0) {
        report_set(err, err_size, "--data: expected DIR or DIR1,DIR2,... (1 to %d folders, none empty), got '%s'",
                   WM_TRAIN_MAX_SOURCES, data);
        return false;
    }
    *weighted = weights != NULL;
    if (!weights) return true;
    char wbuf[4096], *ws[WM_TRAIN_MAX_SOURCES + 1];
    snprintf(wbuf, sizeof wbuf, "%s", weights);
    int nw = split_list(wbuf, ws, WM_TRAIN_MAX_SOURCES + 1);
    if (nw != *n) {
        report_set(err, err_size, "--weights: expected %d numbers (one per --data folder), got '%s'", *n, weights);
        return false;
    }
    for (int i = 0; i < nw; i++) {
        if (!parse_real(ws[i], &w[i]) || !(w[i] > 0)) {
            report_set(err, err_size, "--weights: '%s' is not a positive number", ws[i]);
            return false;
        }
    }
    return true;
}

/* the value of --kind (either spelling), NULL when absent; the last one given, as the flag parser
   takes it ("--kind state --kind jepa" trains the pixel model) */
static const char* kind_flag(int argc, char** argv) {
    const char* kind = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc) kind = argv[++i];
        else if (strncmp(argv[i], "--kind=", 7) == 0) kind = argv[i] + 7;
    }
    return kind;
}

#define GIB 1073741824.0
/* what the program holds besides the trainer and the data: its code, its libraries (OpenBLAS's
   buffers), the stacks, the evaluation's rollouts on the validation episodes (measured: 15-25 MiB) */
#define TRAIN_PROGRAM_BYTES (32.0 * 1048576)
/* the address space OpenBLAS maps for each thread's buffer at its first product (Debian's build) */
#define OPENBLAS_BUFFER_BYTES (128.0 * 1048576)

/* the whole run's memory at its peak: the step's working memory for the dataset's largest world
   (every slot when streaming: the window shows only part of the data), the replay buffers, the
   validation episodes and the read buffer, and the program. Measured against the peak RSS of the
   same runs in the summary line ("estimate"; see wm_trainer_step_bytes for the ratio) */
static double train_memory_estimate(WmTrainer* tr, const WmTrainData* td) {
    int bodies = td->slots;
    if (!td->plan.streaming) {
        int a = wm_replay_max_live(wm_trainer_replay(tr));
        int b = wm_replay_max_live(wm_trainer_val_replay(tr));
        bodies = a > b ? a : b;
    }
    return wm_trainer_step_bytes(tr, bodies) + (double)td->plan.replay_bytes + (double)td->plan.val_bytes +
           (double)td->plan.read_bytes + TRAIN_PROGRAM_BYTES;
}

int cmd_train(int argc, char** argv) {
    const char* kind = kind_flag(argc, argv);
    if (kind && strcmp(kind, "jepa") == 0) return cmd_train_jepa(argc, argv);
    const char* data = NULL;
    const char* out = NULL;
    const char* resume = NULL;
    const char* log_path = NULL;
    const char* weights_arg = NULL;
    const char* memory_arg = "2G";
    const char* export_path = NULL;
    int64_t steps = 3000, batch = 64, threads = 1, val_every = 250, save_every = 1000;
    uint64_t seed = 1;
    double lr = 1e-3, max_seconds = 0, max_cpu = 0, noise_vel = -1, noise_pos = -1, roll_frac = -1;
    int64_t rounds = 0, roll = -1, latent = 0, edge = 0, hidden = 0;
    bool clip_inputs = false;
    bool support_inputs = false;
    bool release_gate = false;
    bool pair_inputs = false;
    bool collision_inputs = false, collision_prior = false, collision_static = false, collision_gate = false, collision_supports = false,
         collision_friction = false, friction_substeps = false, contact_axis = false, edge_time = false, contact_anchor = false,
         prior_settle = false, contact_recheck = false, contact_lift = false, impact_sweep = false,
         collision_jmag = false, break_gate = false;
    bool pair_impulse = false;
    double release_impact = 0, lr_decay = 0, lr_floor = 0.1;
    double rest_gate = 0, event_weight = -1, break_weight = -1, onset_weight = -1, onset_speed = -1, onset_motion = -1, impact_weight = -1, impact_speed = -1, still_weight = -1, ema = 0;
    ArgSpec specs[] = {
        {"kind", ARG_STRING, &kind, 1, 0, "KIND: state (default: the state model) or jepa (the pixel model, "
                                          "from frames: nudge train --kind jepa --help)", false},
        {"data", ARG_STRING, &data, 1, 0, "DIR[,DIR2,...]: dataset folders written by nudge gen, same columns (required)", false},
        {"weights", ARG_STRING, &weights_arg, 1, 0, "W1,W2,...: share of the transitions sampled from each --data folder (default: in proportion to their sizes)", false},
        {"memory", ARG_STRING, &memory_arg, 1, 0, "SIZE: cap on the replay and read buffers (64M, 2G; default 2G); larger datasets stream from disk", false},
        {"out", ARG_STRING, &out, 1, 0, "MODEL: checkpoint to write (required)", false},
        {"steps", ARG_INT, &steps, 1, 1e9, "N: optimizer steps (default 3000)", false},
        {"batch", ARG_INT, &batch, 1, WM_TRAIN_MAX_BATCH, "B: transitions per step (default 64)", false},
        {"threads", ARG_INT, &threads, 1, WM_TRAIN_MAX_THREADS, "T: training threads, one BLAS thread each; a batch is worked in T parts (default 1; the same T gives the same bytes)", false},
        {"seed", ARG_U64, &seed, 1, 0, "N: initialization, sampling and noise seed (default 1)", false},
        {"resume", ARG_STRING, &resume, 1, 0, "MODEL: continue from this checkpoint (weights, statistics, optimizer)", false},
        {"lr", ARG_DOUBLE, &lr, 1e-7, 1.0, "RATE: AdamW learning rate (default 0.001)", false},
        {"lr-decay", ARG_DOUBLE, &lr_decay, 0, 1, "F: over the last share F of this run's --steps the rate falls along a half cosine to --lr-floor times --lr (default 0: a constant rate)", false},
        {"lr-floor", ARG_DOUBLE, &lr_floor, 0, 1, "R: where --lr-decay ends, as a share of --lr (default 0.1)", false},
        {"val-every", ARG_INT, &val_every, 1, 1e9, "N: validate every N steps (default 250)", false},
        {"save-every", ARG_INT, &save_every, 1, 1e9, "N: checkpoint every N steps (default 1000)", false},
        {"export", ARG_STRING, &export_path, 1, 0, "FILE: at the end, also the weights alone (no optimizer state: a third of the size), for shipping", false},
        {"log", ARG_STRING, &log_path, 1, 0, "FILE: CSV log (default: train.csv beside the model)", false},
        {"time", ARG_DOUBLE, &max_seconds, 0, 1e7, "S: stop after S seconds of training (0 = no limit)", false},
        {"cpu", ARG_DOUBLE, &max_cpu, 0, 1e7, "S: stop after S CPU seconds of training, all threads (0 = no limit): a budget other jobs on the machine do not eat", false},
        {"noise-vel", ARG_DOUBLE, &noise_vel, 0, 10, "V: input noise on velocities, m/s (default 0.005)", false},
        {"noise-pos", ARG_DOUBLE, &noise_pos, 0, 1, "P: input noise on positions, m (default 0.0005)", false},
        {"rounds", ARG_INT, &rounds, 1, 4, "N: message-passing rounds of a new model (default 2)", false},
        {"latent", ARG_INT, &latent, 4, 1024, "N: a new model's node latent width (default 64)", false},
        {"edge", ARG_INT, &edge, 4, 1024, "N: a new model's edge (message) width (default 96)", false},
        {"hidden", ARG_INT, &hidden, 4, 1024, "N: a new model's decoder hidden width (default 96)", false},
        {"clip-inputs", ARG_BOOL, &clip_inputs, 0, 0, "a new model clips its inputs to the range training saw", false},
        {"support-inputs", ARG_BOOL, &support_inputs, 0, 0,
         "a new model's edges also see the room along a contact's tangent before the sender's surface ends", false},
        {"collision-inputs", ARG_BOOL, &collision_inputs, 0, 0,
         "a new model's edges between two dynamic bodies also see the velocity change a frictionless collision of the pair would give the receiver this tick", false},
        {"collision-prior", ARG_BOOL, &collision_prior, 0, 0,
         "a new model adds the collision inputs' velocity change to what its velocity head predicts (implies --collision-inputs)", false},
        {"collision-static", ARG_BOOL, &collision_static, 0, 0,
         "a new model's collision inputs also cover static bodies, of infinite mass (implies --collision-inputs)", false},
        {"collision-supports", ARG_BOOL, &collision_supports, 0, 0,
         "a new model's collisions know each body's supports: one frictionless solve over every contact of a world, up to two points a pair, static ones included (implies --collision-static)", false},
        {"collision-friction", ARG_BOOL, &collision_friction, 0, 0,
         "a new model's contact solve also has Coulomb friction and starts after the tick's push and gravity (implies --collision-supports)", false},
        {"friction-substeps", ARG_BOOL, &friction_substeps, 0, 0,
         "a new model's contact solve follows the simulator's 8 substeps a tick (gravity a substep at a time, friction bounded by each substep's normal impulse, bounces apart; implies --collision-friction)", false},
        {"contact-axis", ARG_BOOL, &contact_axis, 0, 0,
         "a new model's contact solve takes a polygon's contact normal from the separating axis of the two parts (one face's normal), not from the nearest point: boxes stacked corner on corner are held up (implies --collision-supports)", false},
        {"prior-settle", ARG_BOOL, &prior_settle, 0, 0,
         "a new model's contact solve stops once no contact's relative speed changes by more than 1e-4 m/s over a sweep, not once no impulse changes by 1e-5 of the largest (stacks: a third of the sweeps; implies --collision-supports)", false},
        {"contact-anchor", ARG_BOOL, &contact_anchor, 0, 0,
         "a new model's contact solve pushes both bodies at the simulator's anchor, midway between the surfaces at the start of the physics step in which they meet (implies --collision-friction)", false},
        {"contact-lift", ARG_BOOL, &contact_lift, 0, 0,
         "a new model's contact solve keeps a point against a static body only when the tick's fall closes its gap (to 0.2 mm), as the simulator's speculative contacts do, not when it comes within 2 mm of closing at the speed after the tick's gravity (implies --collision-friction)", false},
        {"collision-impulse", ARG_BOOL, &collision_jmag, 0, 0,
         "a new model's edges also see the size of the collision's impulse on the receiver this tick, log(1 + |J| / 1 N*s) (normal and friction together): what the simulator's break test measures (implies --collision-inputs)", false},
        {"break-gate", ARG_BOOL, &break_gate, 0, 0,
         "a new model's break-now head also reads how hard the collisions press a breakable body this tick, log(1 + sum |J| / 1 N*s), through two weights of its own (implies --collision-inputs)", false},
        {"contact-recheck", ARG_BOOL, &contact_recheck, 0, 0,
         "a new model's contact solve looks again at the points it left out: one that closes within the tick at the solved velocities (a ball over a plank's end that the floor stops) joins and the solve goes on (implies --collision-supports; not with --friction-substeps)", false},
        {"impact-sweep", ARG_BOOL, &impact_sweep, 0, 0,
         "a new model's contact solve keeps an impact between bodies apart at the tick's start only when their motion without it (turning included) brings their shapes together within the tick: a body flying over another is not taken to hit it (implies --collision-supports; not with --friction-substeps)", false},
        {"edge-time", ARG_BOOL, &edge_time, 0, 0,
         "a new model's edges also see how soon the receiver, moving along the sender's surface, passes its end (needs --support-inputs)", false},
        {"collision-gate", ARG_BOOL, &collision_gate, 0, 0,
         "a new model scales each collision's velocity change by gains it learns from the pair's edge, 0 to 2, one for the linear and one for the angular part (starts at 1; implies --collision-prior)", false},
        {"pair-inputs", ARG_BOOL, &pair_inputs, 0, 0,
         "a new model's edges also see the pair's gap and closing speed as the better placed of its two edges sees them", false},
        {"pair-impulse", ARG_BOOL, &pair_impulse, 0, 0,
         "a new model's edges between two dynamic bodies also output an impulse, applied +J and -J to the pair (starts at zero)", false},
        {"release", ARG_BOOL, &release_gate, 0, 0,
         "a new model's rest gate never holds a body that nothing supports (no surface within 2 mm of its own)", false},
        {"release-impact", ARG_DOUBLE, &release_impact, 0.001, 100,
         "V: a new model's rest gate never holds a body that a dynamic body is hitting faster than V m/s (closing within a tick to 2 mm)", false},
        {"rest-gate", ARG_DOUBLE, &rest_gate, 0.001, 0.999, "P: a new model holds an unpushed body at rest still unless P(at rest next tick) < P (default 0.5, as any body)", false},
        {"roll", ARG_INT, &roll, 0, 64, "K: pushforward: rolled steps learn from the model's own prediction up to K ticks ahead (default 4; 0 = off)", false},
        {"roll-frac", ARG_DOUBLE, &roll_frac, 0, 1, "F: share of rolled steps (default 0.5)", false},
        {"event-weight", ARG_DOUBLE, &event_weight, 0, 100, "W: weight of the event heads' BCE against the velocity MSE (default 0.5)", false},
        {"break-weight", ARG_DOUBLE, &break_weight, 0, 100, "W: the break heads' BCE weighs W times the other events' (default 1)", false},
        {"onset-weight", ARG_DOUBLE, &onset_weight, 0, 1000, "W: the rest head's BCE on a body at rest, unpushed, that moves next tick weighs W times the others' (default 1)", false},
        {"ema", ARG_DOUBLE, &ema, 0, 0.999999, "D: validate, save and export the exponential moving average of the weights (decay D, e.g. 0.999; warmed up as min(D, (1+t)/(10+t)) at step t); the optimizer trains the raw weights, which the checkpoint also keeps for --resume (default 0: off)", false},
        {"onset-motion-weight", ARG_DOUBLE, &onset_motion, 0, 1000, "W: the velocity and position heads' MSE on a body at rest, unpushed, that moves next tick (of --onset-speed) weighs W times the others' (default 1)", false},
        {"onset-speed", ARG_DOUBLE, &onset_speed, 0, 100, "V: --onset-weight weighs only onsets faster than V m/s (or 5V rad/s) next tick (default 0: every onset)", false},
        {"impact-weight", ARG_DOUBLE, &impact_weight, 0, 1000, "W: the velocity and position heads' MSE on a body that a dynamic body is hitting (closing faster than --impact-speed, within 2 mm of touching after a tick) weighs W times the others' (default 1)", false},
        {"impact-speed", ARG_DOUBLE, &impact_speed, 0.001, 100, "V: the closing speed (m/s) above which --impact-weight counts a pair as hitting (default 0.5)", false},
        {"still-weight", ARG_DOUBLE, &still_weight, 0, 1000, "W: the event heads' BCE on a body at rest now (pushed or not) weighs W times the others' (default 1)", false},
    };
    ArgParse p = {"train",
                  "nudge train --data DIR[,DIR2...] --out MODEL [--memory SIZE] [--weights W1,W2...] [--steps N] [--batch B] [--threads T] [--seed N] [--resume MODEL]",
                  "Trains the world model on datasets' episodes (the last tenth of each held out for validation), "
                  "streaming them from disk when they do not fit in --memory. "
                  "Writes the checkpoint atomically every --save-every steps and at the end; Ctrl-C saves and exits.",
                  specs, (int)(sizeof specs / sizeof specs[0]), NULL, 0, 0};
    int rc = args_parse(&p, argc, argv);
    if (rc) return rc == 1 ? 0 : 2;
    if (kind && strcmp(kind, "state") != 0) return args_fail("train", "--kind: expected state or jepa, got '%s'", kind);
    if (!data) return args_fail("train", "--data DIR is required");
    if (!out) return args_fail("train", "--out MODEL is required");
    /* nothing written into a dataset read */
    if (!args_output_outside("train", "--out", out, data) || !args_output_outside("train", "--log", log_path, data) ||
        !args_output_outside("train", "--export", export_path, data))
        return 2;
    nn_set_threads(1);

    char err[1024];
    int64_t memory = 0;
    if (parse_size(memory_arg, 1 << 20, INT64_MAX, &memory) != PARSE_INT_OK)
        return args_fail("train", "--memory: expected a size of at least 1M such as 64M or 2G, got '%s'", memory_arg);
    char data_buf[8192];
    const char* dirs[WM_TRAIN_MAX_SOURCES];
    double weights[WM_TRAIN_MAX_SOURCES];
    int ndirs = 0;
    bool weighted = false;
    if (!read_data_flags(data, weights_arg, data_buf, sizeof data_buf, dirs, &ndirs, weights, &weighted, err,
                         sizeof err))
        return args_fail("train", "%s", err);
    WmTrainData td;
    if (!wm_train_data_open(&td, dirs, ndirs, weighted ? weights : NULL, memory, seed, err, sizeof err)) {
        fprintf(stderr, "nudge train: %s\n", err);
        return 2;
    }
    WmModel* start = NULL;
    if (resume) {
        start = wm_load(resume, err, sizeof err);
        const WmArch* ra = start ? wm_arch(start) : NULL;
        if (ra && (ra->slots != td.slots || ra->dim != td.dim)) {
            snprintf(err, sizeof err, "%s: model has %d slots of %d columns, the dataset %d slots of %d columns", resume,
                     ra->slots, ra->dim, td.slots, td.dim);
            wm_free(start);
            start = NULL;
        } else if (ra && !wm_dataset_same_step(ra->dt, td.tick)) {
            snprintf(err, sizeof err, "%s: the model steps %g s, the dataset's records are %g s apart (gen --stride)",
                     resume, (double)ra->dt, td.tick);
            wm_free(start);
            start = NULL;
        }
        if (!start) {
            fprintf(stderr, "nudge train: %s\n", err);
            wm_train_data_close(&td);
            return 2;
        }
    }
    int64_t nval = td.plan.val_kept, ntrain = td.train_total;
    WmTrainerDef def = wm_trainer_def_default(td.slots);
    def.arch.dt = (float)td.tick;
    def.seed = seed;
    def.batch = (int)batch;
    def.lr = (float)lr;
    def.capacity = td.plan.capacity;
    def.val_capacity = td.plan.val_capacity;
    def.val_every = 0;
    if (noise_vel >= 0) def.noise_vel = (float)noise_vel;
    if (noise_pos >= 0) def.noise_pos = (float)noise_pos;
    if (rounds > 0) def.arch.rounds = (int)rounds;
    if (latent > 0) def.arch.latent = (int)latent;
    if (edge > 0) def.arch.edge = (int)edge;
    if (hidden > 0) def.arch.hidden = (int)hidden;
    if (clip_inputs) def.arch.inputs |= WM_INPUT_CLIP;
    if (support_inputs) def.arch.inputs |= WM_INPUT_SUPPORT;
    if (release_gate) def.arch.inputs |= WM_INPUT_RELEASE;
    if (pair_inputs) def.arch.inputs |= WM_INPUT_PAIR;
    if (collision_inputs) def.arch.inputs |= WM_INPUT_PRIOR;
    if (collision_prior) def.arch.inputs |= WM_INPUT_PRIOR | WM_INPUT_PRIOR_OUT;
    if (collision_static) def.arch.inputs |= WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC;
    if (collision_supports) def.arch.inputs |= WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT;
    if (collision_friction)
        def.arch.inputs |= WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION;
    if (friction_substeps)
        def.arch.inputs |= WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION |
                           WM_INPUT_PRIOR_SUBSTEP;
    if (contact_axis)
        def.arch.inputs |= WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_AXIS;
    if (contact_anchor)
        def.arch.inputs |= WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION |
                           WM_INPUT_PRIOR_ANCHOR;
    if (prior_settle) def.arch.inputs |= WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_SETTLE;
    if (contact_lift)
        def.arch.inputs |= WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION |
                           WM_INPUT_PRIOR_LIFT;
    if (impact_sweep)
        def.arch.inputs |= WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_SWEEP;
    if (contact_recheck)
        def.arch.inputs |= WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_RECHECK;
    if (collision_jmag) def.arch.inputs |= WM_INPUT_PRIOR | WM_INPUT_PRIOR_JMAG;
    if (break_gate) def.arch.inputs |= WM_INPUT_PRIOR | WM_INPUT_BREAK_GATE;
    if (edge_time) def.arch.inputs |= WM_INPUT_EDGE_TIME;
    if (collision_gate) def.arch.inputs |= WM_INPUT_PRIOR | WM_INPUT_PRIOR_OUT | WM_INPUT_PRIOR_GATE;
    if (pair_impulse) def.arch.inputs |= WM_INPUT_IMPULSE;
    if (release_impact > 0) {
        def.arch.inputs |= WM_INPUT_IMPACT;
        def.arch.release_impact = (float)release_impact;
    }
    if (rest_gate > 0) def.arch.rest_gate = (float)rest_gate;
    def.threads = (int)threads;
    if (roll >= 0) def.roll_max = (int)roll;
    if (roll_frac >= 0) def.roll_frac = (float)roll_frac;
    if (event_weight >= 0) def.event_weight = (float)event_weight;
    if (break_weight >= 0) def.break_weight = (float)break_weight;
    if (onset_weight >= 0) def.onset_weight = (float)onset_weight;
    if (onset_speed >= 0) def.onset_speed = (float)onset_speed;
    if (onset_motion >= 0) def.onset_motion = (float)onset_motion;
    if (impact_weight >= 0) def.impact_weight = (float)impact_weight;
    if (impact_speed >= 0) def.impact_speed = (float)impact_speed;
    if (still_weight >= 0) def.still_weight = (float)still_weight;
    def.ema = (float)ema;
    if (!wm_trainer_def_check(&def, start, err, sizeof err)) {
        fprintf(stderr, "nudge train: %s: %s\n", data, err);
        wm_free(start);
        wm_train_data_close(&td);
        return 2;
    }
    WmTrainer* tr = wm_trainer_create(&def, start);
    wm_free(start);
    if (resume && !wm_trainer_load_optimizer(tr, resume, err, sizeof err)) {
        fprintf(stderr, "nudge train: %s\n", err);
        wm_trainer_free(tr);
        wm_train_data_close(&td);
        return 2;
    }
    if (!wm_train_data_fill(&td, wm_trainer_replay(tr), wm_trainer_val_replay(tr), err, sizeof err)) {
        fprintf(stderr, "nudge train: %s\n", err);
        wm_trainer_free(tr);
        wm_train_data_close(&td);
        return 2;
    }
    const WmDataset* d = td.val;
    if (td.plan.streaming)
        fprintf(stderr, "nudge train: streaming %lld training episodes (%.0f MiB) through a window of %lld ticks "
                        "(--memory %.0f MiB: replay %.1f, validation %.1f for %lld of %lld held-out episodes, read "
                        "buffer %.1f)\n",
                (long long)ntrain, (double)ntrain * td.ticks * (double)wm_dataset_bytes_per_record(td.slots, td.dim) / 1048576,
                (long long)td.plan.capacity, (double)memory / 1048576, (double)td.plan.replay_bytes / 1048576,
                (double)td.plan.val_bytes / 1048576, (long long)nval, (long long)td.val_total,
                (double)td.plan.read_bytes / 1048576);
    /* enough to sample a batch from? (say which: too few transitions, or a batch too large) */
    int64_t ready = wm_replay_ready(wm_trainer_replay(tr));
    if (ready < batch) {
        if (ready == 0)
            fprintf(stderr, "nudge train: %s: no trainable transitions in its %d training episodes of %d records "
                            "(episodes too short, or no live bodies?)\n", data, (int)ntrain, td.ticks);
        else
            fprintf(stderr, "nudge train: --batch %lld is larger than the %lld trainable transitions in %s; lower "
                            "--batch or generate more episodes\n", (long long)batch, (long long)ready, data);
        wm_trainer_free(tr);
        wm_train_data_close(&td);
        return 2;
    }

    /* the step's working memory, estimated before the first step sizes it (the scratch grows
       there; Linux would promise it and then kill the process as it is used): refused now, before
       anything is written, when the machine cannot hold it */
    double need = train_memory_estimate(tr, &td);
    bool by_rlimit = false;
    int64_t limit = memory_limit(&by_rlimit);
    /* an address-space limit also counts what is mapped already and OpenBLAS's buffer of each
       thread (which it asks for again and again when refused, forever) */
    if (by_rlimit) need += (double)memory_mapped() + OPENBLAS_BUFFER_BYTES * (double)threads;
    if (limit > 0 && need > (double)limit) {
        /* (two decimals below 10 GiB: "0.45 GiB, more than 0.39", not "0.4, more than 0.4") */
        int dec = (double)limit < 10 * GIB ? 2 : 1;
        char have[96];
        if (by_rlimit) snprintf(have, sizeof have, "the %.*f GiB this process may use (ulimit -v)", dec, (double)limit / GIB);
        else snprintf(have, sizeof have, "this machine's %.*f GiB", dec, (double)limit / GIB);
        fprintf(stderr, "nudge train: a step of --batch %lld with these widths needs about %.*f GiB of working memory, "
                        "more than %s; lower --batch (or --latent/--edge/--hidden%s)\n",
                (long long)batch, dec, need / GIB, have, threads > 1 ? "/--threads" : "");
        wm_trainer_free(tr);
        wm_train_data_close(&td);
        return 2;
    }
    char logbuf[4096];
    if (!train_out_prepare(out, resume, &log_path, logbuf, sizeof logbuf, err, sizeof err)) {
        fprintf(stderr, "nudge train: %s\n", err);
        wm_trainer_free(tr);
        wm_train_data_close(&td);
        return 2;
    }
    /* the weights alone go to a file of their own */
    if (!args_output_not_input("train", "--export", export_path, "the checkpoint resumed from", resume) ||
        (args_same_file(export_path, out) && args_fail("train", "--export %s is also the checkpoint (--out)", out)) ||
        (args_same_file(export_path, log_path) && args_fail("train", "--export %s is also the log", log_path))) {
        wm_trainer_free(tr);
        wm_train_data_close(&td);
        return 2;
    }
    /* and where they go can take them, before the training rather than after it */
    if (export_path) {
        AtomicFile probe;
        if (!atomic_file_open(&probe, export_path, err, sizeof err)) {
            fprintf(stderr, "nudge train: %s\n", err);
            wm_trainer_free(tr);
            wm_train_data_close(&td);
            return 2;
        }
        atomic_file_abort(&probe);
    }
    TrainLog log = {.fd = -1};
    if (log_path && !train_log_open(&log, log_path, resume != NULL, err, sizeof err)) {
        fprintf(stderr, "nudge train: %s\n", err);
        wm_trainer_free(tr);
        wm_train_data_close(&td);
        return 2;
    }
    if (log_path && !resume) train_log_put(&log, "step,train_loss,val_loss,val_rollout_err30_m,seconds\n");

    /* Ctrl-C and SIGTERM: stop at the next step, save, exit 130 */
    interrupt_catch();
    Progress prog;
    progress_start(&prog, "steps", steps);
    double t0 = clock_now(), c0 = clock_cpu();
    WmModel* m = wm_trainer_model(tr);
    int64_t first = wm_train_steps(m), done = 0, fails = 0;
    int status = 0;
    char failure[1200] = "";   /* the one line a failed run prints */
    bool validated = false;
    while (done < steps && !interrupt_requested()) {
        if (max_seconds > 0 && clock_now() - t0 > max_seconds) break;
        if (max_cpu > 0 && clock_cpu() - c0 > max_cpu) break;
        /* streaming: the window takes in one tick for every transition sampled */
        if (!wm_train_data_advance(&td, wm_trainer_replay(tr), done * batch, err, sizeof err)) {
            snprintf(failure, sizeof failure, "%s", err);
            status = 2;
            break;
        }
        if (lr_decay > 0) {
            float rate = wm_lr_schedule((float)lr, done, steps, (float)lr_decay, (float)lr_floor);
            /* (a floor of 0 ends at a rate of 0, which the optimizer does not take: the last step's
             * rate is above it anyway) */
            if (rate > 0) wm_trainer_set_lr(tr, rate);
        }
        if (!wm_trainer_step(tr)) {
            if (++fails > 1000) {
                /* the data was checked above: batches that fail now have a non-finite loss */
                snprintf(failure, sizeof failure, "training diverged: the loss was not finite for 1000 batches in "
                                                  "a row (lower --lr?)");
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
            validated = true;
            double ve = nval ? val_rollout_error(wm_trainer_result(tr), d, 0, (int)nval) : NAN;
            char line[256];
            /* the CSV says nan where there is no number (numpy and pandas read it) */
            snprintf(line, sizeof line, "%lld,%.6g,%.6g,%.6g,%.2f\n", (long long)(first + done), st.train_loss, vl, ve,
                     clock_now() - t0);
            if (log_path && !train_log_put(&log, line)) {
                snprintf(failure, sizeof failure, "%s: write failed: %s", log_path, log.why);
                status = 2;
                break;
            }
        }
        if (done % save_every == 0) {
            if (!wm_trainer_save(tr, out, err, sizeof err)) {
                snprintf(failure, sizeof failure, "%s", err);
                status = 2;
                break;
            }
            log.saved = log.size;
        }
        char extra[96];
        wm_trainer_stats(tr, &st);
        if (isfinite(st.train_loss)) snprintf(extra, sizeof extra, "loss %.4f", st.train_loss);
        else snprintf(extra, sizeof extra, "loss -");
        progress_update(&prog, done, extra);
    }
    progress_finish(&prog);
    WmTrainerStats st;
    wm_trainer_stats(tr, &st);
    /* the end: save (also after a failed log write, so the steps are not lost) */
    bool saved = false;
    if (!failure[0] || log.why[0]) {
        saved = wm_trainer_save(tr, out, err, sizeof err);
        if (saved) log.saved = log.size;
        if (!saved && !failure[0]) snprintf(failure, sizeof failure, "%s", err);
        else if (saved && failure[0]) snprintf(failure + strlen(failure), sizeof failure - strlen(failure),
                                               " (the model is saved to %s)", out);
        if (!saved) status = 2;
        if (saved && export_path && !wm_save(wm_trainer_result(tr), export_path, err, sizeof err)) {
            snprintf(failure, sizeof failure, "%s (the checkpoint is saved to %s)", err, out);
            status = 2;
        }
    }
    if (log_path) train_log_close(&log, status != 0);
    interrupt_release();
    if (failure[0]) {
        fprintf(stderr, "nudge train: %s\n", failure);
    } else {
        /* a loss that does not exist is n/a, and why */
        char train_l[32], val[128];
        if (isfinite(st.train_loss)) snprintf(train_l, sizeof train_l, "%.4f", st.train_loss);
        else snprintf(train_l, sizeof train_l, "n/a (no step done)");
        if (nval > 0 && validated && isfinite(st.val_loss)) snprintf(val, sizeof val, "%.4f", st.val_loss);
        else
            snprintf(val, sizeof val, "n/a (%s)",
                     nval == 0    ? "no validation episode: the dataset has only one"
                     : !validated ? "stopped before the first validation"
                                  : "no trainable transition in the validation episodes");
        printf("%s %lld steps in %.1f s (%.1f CPU s), train loss %s, val loss %s%s -> %s\n",
               interrupt_requested() ? "interrupted after" : "trained", (long long)done, clock_now() - t0,
               clock_cpu() - c0, train_l, val,
               st.skipped ? " (some steps skipped)" : "", out);
        /* what memory it took: the capped part, and the peak the kernel saw */
        printf("memory: peak RSS %.1f MiB (estimated %.1f MiB before the first step); --memory %.0f MiB %s: replay %.1f MiB, validation %.1f MiB (%lld of %lld "
               "held-out episodes), read buffer %.1f MiB\n",
               (double)memory_peak_rss() / 1048576, need / 1048576, (double)memory / 1048576,
               td.plan.streaming ? "(streaming)" : "(in memory)", (double)td.plan.replay_bytes / 1048576,
               (double)td.plan.val_bytes / 1048576, (long long)nval, (long long)td.val_total,
               (double)td.plan.read_bytes / 1048576);
        if (interrupt_requested()) status = INTERRUPT_EXIT_STATUS;
    }
    wm_trainer_free(tr);
    wm_train_data_close(&td);
    return status;
}
