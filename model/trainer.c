/* trainer: replay buffers, AdamW steps on sampled batches, validation, and the published weights */
#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/memory_use.h"
#include "base/report.h"
#include "model/trainer.h"
#include "model/wm_impl.h"
#include "sim/observation.h"

_Static_assert(WM_RESUME_MAX_PARTS == WM_TRAIN_MAX_THREADS, "a resume state holds every part's noise stream");

/* one part of a batch: its samples are worked by one thread (parts > 1) */
typedef struct Part {
    struct WmTrainer* owner;
    WmScratch*    scratch;
    float*        grads;        /* [nparams] (part 0: the trainer's) */
    float*        raw_targets;  /* [samples*K*WM_TARGETS] */
    float*        roll_pushes;  /* [samples*K*4] one rolled tick's pushes */
    Rng           noise;        /* input noise */
    WmTransitions view;         /* a window into the batch's arrays */
    int           rows;         /* dynamics targets in the packed part */
    bool          packed;
    double        loss;         /* the part's whole loss, and in it the variance head's NLL */
    double        nll;
    WmTrainerProfile prof;      /* the time of this part's phases */
} Part;

struct WmTrainer {
    WmTrainerDef    def;
    WmModel*        model;       /* working weights (training thread) */
    WmModel*        pub;         /* published copy */
    uint64_t        version;
    pthread_mutex_t pub_lock;
    NnAdamW         opt;
    float*          grads;
    WmTransitions   batch;
    Rng             rng;         /* batch sampling */
    int             parts;       /* the batch is worked in this many parts, one thread each */
    Part            part[WM_TRAIN_MAX_THREADS];
    pthread_t       thread[WM_TRAIN_MAX_THREADS];
    pthread_barrier_t bar;
    bool            quit;        /* the workers end at the next start */
    WmReplay*       replay;
    WmReplay*       val;
    pthread_mutex_t data_lock;
    int64_t         episodes;    /* live episodes begun */
    bool            to_val;      /* the current live episode goes to validation */
    uint8_t*        obs_bits;    /* the labels of the tick being added */
    float*          avg;         /* [nparams] the average of the weights (def.ema > 0), else NULL */
    WmModel*        result;      /* the model with the average's parameters (def.ema > 0) */
    /* stats */
    float           ema, last, val_loss;
    int64_t         skipped;
};

WmTrainerDef wm_trainer_def_default(int slots) {
    WmTrainerDef d;
    memset(&d, 0, sizeof d);
    d.arch = wm_arch_default(slots);
    d.seed = 1;
    d.batch = 64;
    d.lr = 1e-3f;
    d.weight_decay = 1e-5f;
    d.clip = 1.0f;
    d.noise_pos = 0.0005f;
    d.noise_vel = 0.005f;
    d.roll_max = 4;
    d.roll_frac = 0.5f;
    d.threads = 1;
    WmLossWeights lw = wm_loss_weights_default();
    d.event_weight = lw.events;
    d.eps_weight = lw.eps;
    d.nll_weight = lw.nll;
    d.break_weight = lw.brk;
    d.onset_weight = lw.onset;
    d.onset_speed = lw.onset_speed;
    d.onset_motion = lw.onset_motion;
    d.impact_weight = lw.impact;
    d.impact_speed = lw.impact_speed;
    d.still_weight = lw.still;
    d.capacity = 200000;
    d.val_capacity = 20000;
    d.val_every = 10;
    return d;
}

static void* part_worker(void* arg);

bool wm_trainer_def_check(const WmTrainerDef* def, const WmModel* start, char* err, size_t err_size) {
    if (!start && !wm_arch_check(&def->arch, err, err_size)) return false;
    if (def->batch < 1 || def->batch > WM_TRAIN_MAX_BATCH) {
        report_set(err, err_size, "batch of %d transitions: expected 1 .. %d", def->batch, WM_TRAIN_MAX_BATCH);
        return false;
    }
    if (!(def->ema >= 0 && def->ema < 1)) {
        report_set(err, err_size, "weight average decay %g: expected a number in [0, 1)", (double)def->ema);
        return false;
    }
    if (def->capacity < 2 || def->val_capacity < 0) {
        report_set(err, err_size, "replay buffer of %lld transitions: expected at least 2", (long long)def->capacity);
        return false;
    }
    /* a bound given by the caller is checked before it is allocated (base/alloc.h): not beyond the
       machine's memory */
    const WmArch* a = start ? wm_arch(start) : &def->arch;
    double bytes = ((double)def->capacity + (double)def->val_capacity) * (double)wm_replay_bytes_per_transition(a->slots, a->dim);
    int64_t phys = memory_physical();
    if (phys > 0 && bytes > (double)phys) {
        report_set(err, err_size, "replay buffers of %lld transitions (%.1f GB) are more than this machine's %.1f GB of memory",
                   (long long)(def->capacity + def->val_capacity), bytes / 1e9, (double)phys / 1e9);
        return false;
    }
    return true;
}

/* the working memory of a step, from the sizes wm_scratch_reserve_nodes/_edges, nn_mlp_cache_reserve,
 * wm_inc_fit and wm_trainer_create give their buffers (keep them in step). Each part's scratch
 * packs its share of the batch: nodes = samples x bodies, and edges reserved for every pair of a
 * world's live bodies (wm_pack reserves a world's n^2 before it tests their distances: the model
 * has no neighbour limit, only the radius, which a stack of bodies can fill), each array rounded up
 * to a power of two as the reserves grow them.
 *
 * Measured against the peak RSS train reports (its summary line shows both; 2-core EPYC,
 * 2026-12-06, 20 episodes of push_off_table, the replay, data and program added in by cmd_train):
 * defaults 79.7 MiB estimated / 37.3 MiB peak (2.1x); --batch 256 168 / 57 (2.9x); --latent, --edge,
 * --hidden 256 at --batch 256 358 / 108 (3.3x); --batch 1024 --threads 2 756 / 137 (5.5x); the
 * state model's recipe (scripts/model.sh's flags, --threads 2, 20 episodes of 8 s) 123 / 71 (1.7x);
 * defaults on 200 episodes of 8 s, mostly the replay, 331 / 265 (1.25x). An upper
 * bound: the edge buffers are reserved for every pair but written only for the pairs within the
 * radius, whose pages the kernel never hands out */
/* one scratch's bytes once it has packed `samples` worlds of `bodies` live bodies */
static double scratch_bytes(const WmModel* m, const WmTrainerDef* d, int samples, int bodies) {
    const WmArch* a = &m->arch;
    double K = a->slots, Dm = a->dim, L = a->latent, E = a->edge, F = WM_NODE_FEATS, R = a->rounds;
    double G = wm_edge_feats(a), O = WM_OUTPUTS;
    int64_t nodes = (int64_t)samples * bodies, edges = (int64_t)samples * bodies * bodies;
    double ncap = 64, ecap = 256;
    while (ncap < (double)nodes) ncap *= 2;
    while (ecap < (double)edges) ecap *= 2;
    bool support = (a->inputs & WM_INPUT_PRIOR_SUPPORT) != 0;
    /* per node: indices, shape, bounds, state, features, each round's activations, the decoder's
       input and the gradients */
    double node = 4 * 4 + sizeof(SimShape) + 4 + 16 + 4 * Dm + 12 + 1 + 4 + 1 + 4 + 1 + 4 * WM_NODE_NORM + 4 * F +
                  1 + 1 + 2 + 8 + 4 + 4 + R * 4 * (L + (L + E) + 2 * E + L) + 2 * 4 * (L + E + F) + 4 * (L + E) +
                  4 * 2 * E + 4 * L + 4 * E + 3 * 4 * O;
    if (support) node += 5 * 4 + 4 + 4 + 8 + 1;
    if (a->inputs & WM_INPUT_PRIOR_RECHECK) node += 4;
    /* per edge: indices, raw and normalized features, each round's activations */
    double edge = 5 * 4 + 2 * 4 * G + R * 4 * E;
    if (support) edge += 2 * (sizeof(WmContact) + 4);
    if (a->inputs & (WM_INPUT_IMPULSE | WM_INPUT_PRIOR_GATE)) edge += 4 * E;
    if (a->inputs & WM_INPUT_PRIOR_GATE) edge += 8;
    double bytes = ncap * node + ecap * edge + (double)nn_mlp_cache_bytes(&m->enc, (int)ncap) +
                   (double)nn_mlp_cache_bytes(&m->node, (int)ncap);
    /* rolled batches step incrementally: records per (world, slot) (wm_inc_fit) */
    if (d->roll_max > 0)
        bytes += (double)samples * K * (1 + 1 + 8 + 4 * Dm + 4 * O + 4 * WM_EVENTS + 4 * R * E + sizeof(SimShape) + 4 +
                                        16 + 4 * (1 + SIM_OBS_DYNAMIC) + 12 + 8 + 4 +
                                        (support ? 4 * K * wm_edge_prior_n(a) : 0));
    return bytes;
}

double wm_trainer_step_bytes(const WmTrainer* tr, int bodies) {
    const WmModel* m = tr->model;
    const WmTrainerDef* d = &tr->def;
    double K = m->arch.slots, Dm = m->arch.dim;
    if (bodies < 1 || bodies > m->arch.slots) bodies = m->arch.slots;
    /* part 0's scratch also validates whole batches; the others pack their share */
    int parts = tr->parts, per = (d->batch + parts - 1) / parts;
    double scratch = scratch_bytes(m, d, d->batch, bodies) + (parts - 1) * scratch_bytes(m, d, per, bodies);
    /* the batch, and each part's targets and pushes (sized for the whole batch) */
    double B = d->batch, roll = d->roll_max > 0 ? d->roll_max : 1;
    double batch = B * K * (2 * 4 * Dm + 2 + 4 * WM_PUSH_DIM + 4 * WM_EVENTS + 4 * WM_PUSH_DIM * roll);
    double targets = parts * B * K * 4 * (WM_TARGETS + WM_PUSH_DIM);
    /* the weights: working, published, gradient(s), AdamW's two moments, the average and its model */
    double weights = 4.0 * m->nparams * (5 + (parts - 1) + (tr->avg ? 2 : 0));
    return scratch + batch + targets + weights;
}

WmTrainer* wm_trainer_create(const WmTrainerDef* def, const WmModel* start) {
    if (!wm_trainer_def_check(def, start, NULL, 0)) return NULL;
    WmTrainer* tr = alloc_zeroed(1, sizeof *tr);
    tr->def = *def;
    tr->model = start ? wm_clone(start) : wm_create(&def->arch, def->seed);
    if (!tr->model) {
        free(tr);
        return NULL;
    }
    const WmArch* a = wm_arch(tr->model);
    int K = a->slots;
    tr->pub = wm_clone(tr->model);
    pthread_mutex_init(&tr->pub_lock, NULL);
    pthread_mutex_init(&tr->data_lock, NULL);
    nn_adamw_init(&tr->opt, tr->model->nparams, def->lr, def->weight_decay);
    tr->grads = alloc_zeroed((size_t)tr->model->nparams, sizeof(float));
    if (def->ema > 0) {
        /* the average starts at the starting weights */
        tr->avg = alloc_bytes(sizeof(float) * (size_t)tr->model->nparams);
        memcpy(tr->avg, tr->model->params, sizeof(float) * (size_t)tr->model->nparams);
        tr->result = wm_clone(tr->model);
    }
    wm_transitions_init(&tr->batch, def->batch, K, a->dim, def->roll_max);
    /* the parts: part 0 is the trainer's own (its noise stream is the one a single part has) */
    tr->parts = def->threads < 1 ? 1 : def->threads > WM_TRAIN_MAX_THREADS ? WM_TRAIN_MAX_THREADS : def->threads;
    if (tr->parts > def->batch) tr->parts = def->batch;
    for (int p = 0; p < tr->parts; p++) {
        Part* pt = &tr->part[p];
        pt->owner = tr;
        pt->scratch = wm_scratch_create(tr->model);
        pt->grads = p == 0 ? tr->grads : alloc_zeroed((size_t)tr->model->nparams, sizeof(float));
        pt->raw_targets = alloc_bytes(sizeof(float) * (size_t)def->batch * K * WM_TARGETS);
        pt->roll_pushes = alloc_bytes(sizeof(float) * (size_t)def->batch * K * WM_PUSH_DIM);
        rng_seed(&pt->noise, rng_derive(def->seed, 0x6e6f697365ULL + (uint64_t)p));
    }
    tr->replay = wm_replay_create(K, a->dim, def->capacity);
    tr->val = wm_replay_create(K, a->dim, def->val_capacity > 2 ? def->val_capacity : 2);
    tr->obs_bits = alloc_bytes((size_t)K);
    if (!tr->replay || !tr->val) {   /* a capacity below 2 */
        wm_trainer_free(tr);
        return NULL;
    }
    rng_seed(&tr->rng, rng_derive(def->seed, 0x6261746368ULL));
    if (tr->parts > 1) {
        pthread_barrier_init(&tr->bar, NULL, (unsigned)tr->parts);
        for (int p = 1; p < tr->parts; p++) pthread_create(&tr->thread[p], NULL, part_worker, &tr->part[p]);
    }
    tr->ema = NAN;
    tr->last = NAN;
    tr->val_loss = NAN;
    return tr;
}

void wm_trainer_free(WmTrainer* tr) {
    if (!tr) return;
    if (tr->parts > 1) {
        /* the workers wait at the start of a step: tell them to end */
        tr->quit = true;
        pthread_barrier_wait(&tr->bar);
        for (int p = 1; p < tr->parts; p++) pthread_join(tr->thread[p], NULL);
        pthread_barrier_destroy(&tr->bar);
    }
    for (int p = 0; p < tr->parts; p++) {
        Part* pt = &tr->part[p];
        wm_scratch_free(pt->scratch);
        if (p > 0) free(pt->grads);
        free(pt->raw_targets);
        free(pt->roll_pushes);
    }
    wm_free(tr->model);
    wm_free(tr->pub);
    wm_free(tr->result);
    free(tr->avg);
    nn_adamw_free(&tr->opt);
    free(tr->grads);
    wm_transitions_free(&tr->batch);
    wm_replay_free(tr->replay);
    wm_replay_free(tr->val);
    free(tr->obs_bits);
    pthread_mutex_destroy(&tr->pub_lock);
    pthread_mutex_destroy(&tr->data_lock);
    free(tr);
}

/* ---- feeding ---- */

void wm_trainer_begin_episode(WmTrainer* tr) {
    pthread_mutex_lock(&tr->data_lock);
    wm_replay_begin_episode(tr->replay);
    wm_replay_begin_episode(tr->val);
    int ve = tr->def.val_every;
    tr->to_val = ve > 0 && tr->episodes % ve == ve - 1;
    tr->episodes++;
    pthread_mutex_unlock(&tr->data_lock);
}

void wm_trainer_add_tick(WmTrainer* tr, const float* states, const uint8_t* mask,
                         const uint8_t* contacts, const float* push, const SimEvent* events,
                         int nevents) {
    int K = tr->model->arch.slots;
    uint8_t* bits = tr->obs_bits;
    pthread_mutex_lock(&tr->data_lock);
    memset(bits, 0, (size_t)K);
    /* the events that led to this observation mark it (model/replay.h) */
    for (int i = 0; i < nevents; i++) wm_event_mark(bits, K, events[i].type, events[i].a);
    wm_replay_add(tr->to_val ? tr->val : tr->replay, states, mask, contacts, push, bits);
    pthread_mutex_unlock(&tr->data_lock);
}

/* ---- training ---- */

/* ---- training: a step works its batch in parts (one thread each when there are several):
 *   A, per part: pushforward (a rolled batch), packing with input noise, targets
 *   B, in order: the normalization statistics take every part's rows, part 0 first
 *   C, per part: features normalized, forward, loss, backward into the part's gradient
 *   D: the gradient is the mean of the parts' (in order), one AdamW step
 * The parts and their order do not depend on timing, so a given number of threads is
 * bit-reproducible (each part's BLAS calls run on one thread). ---- */

/* the window of the batch that part p works: samples [first, first + n) */
static void part_view(const WmTrainer* tr, int p, WmTransitions* v) {
    const WmTransitions* t = &tr->batch;
    int per = t->n / tr->parts, extra = t->n % tr->parts;
    int first = p * per + (p < extra ? p : extra), n = per + (p < extra);
    size_t K = (size_t)t->slots, Dm = (size_t)t->dim, f = (size_t)first;
    *v = *t;
    v->n = v->cap = n;
    v->s0 = t->s0 + f * K * Dm;
    v->s1 = t->s1 + f * K * Dm;
    v->m0 = t->m0 + f * K;
    v->m1 = t->m1 + f * K;
    v->push = t->push + f * K * WM_PUSH_DIM;
    v->labels = t->labels + f * K * WM_EVENTS;
    v->roll_push = t->roll_push + f * (size_t)t->max_roll * K * WM_PUSH_DIM;
}

/* pushforward: the part's starting states become the model's own prediction roll ticks on */
static void part_roll(const WmModel* m, Part* pt) {
    WmTransitions* t = &pt->view;
    int K = m->arch.slots;
    size_t kp = (size_t)K * WM_PUSH_DIM;
    /* the same samples tick after tick: bodies whose surroundings did not change (most rest) are
     * not recomputed */
    wm_scratch_incremental(pt->scratch, true);
    for (int j = 0; j < t->roll; j++) {
        for (int i = 0; i < t->n; i++)
            memcpy(pt->roll_pushes + (size_t)i * kp, t->roll_push + ((size_t)i * t->max_roll + j) * kp, sizeof(float) * kp);
        wm_step(m, pt->scratch, t->n, t->s0, t->m0, pt->roll_pushes, NULL, false);
    }
    wm_scratch_incremental(pt->scratch, false);
}

/* adds the seconds since *t to *acc and restarts *t */
static void lap(double* t, double* acc) {
    double now = clock_now();
    *acc += now - *t;
    *t = now;
}

static void phase_a(const WmTrainer* tr, Part* pt) {
    const WmTrainerDef* d = &tr->def;
    double t = clock_now();
    if (pt->view.roll > 0) part_roll(tr->model, pt);
    lap(&t, &pt->prof.roll);
    pt->packed = pt->view.n > 0 && wm_pack(tr->model, pt->scratch, pt->view.n, pt->view.s0, pt->view.m0, pt->view.push,
                                           &pt->noise, d->noise_pos, d->noise_vel);
    lap(&t, &pt->prof.pack);
    pt->rows = pt->packed ? wm_targets(tr->model, pt->scratch, &pt->view, pt->raw_targets) : 0;
    lap(&t, &pt->prof.targets);
}

static void phase_c(const WmTrainer* tr, Part* pt) {
    const WmTrainerDef* d = &tr->def;
    const WmModel* m = tr->model;
    pt->loss = NAN;
    if (!pt->packed) return;
    double t = clock_now();
    wm_features_normalize(m, pt->scratch);
    wm_forward(m, pt->scratch);
    lap(&t, &pt->prof.forward);
    WmLossWeights lw = {d->eps_weight, d->nll_weight,   d->event_weight, d->break_weight, d->onset_weight,
                         d->onset_speed, d->onset_motion, d->impact_weight, d->impact_speed, d->still_weight};
    pt->loss = wm_loss(m, pt->scratch, &lw, true, &pt->nll);
    lap(&t, &pt->prof.loss);
    memset(pt->grads, 0, sizeof(float) * (size_t)m->nparams);
    if (isfinite(pt->loss)) wm_backward(m, pt->scratch, pt->grads);
    lap(&t, &pt->prof.backward);
}

/* a worker: parts 1.. of every step, between the main thread's barriers */
static void* part_worker(void* arg) {
    Part* pt = arg;
    WmTrainer* tr = pt->owner;
    nn_set_threads(1);
    for (;;) {
        pthread_barrier_wait(&tr->bar);   /* start */
        if (tr->quit) return NULL;
        phase_a(tr, pt);
        pthread_barrier_wait(&tr->bar);   /* A done */
        pthread_barrier_wait(&tr->bar);   /* B done */
        phase_c(tr, pt);
        pthread_barrier_wait(&tr->bar);   /* C done */
    }
}

/* A to C over every part; returns the mean loss without the variance head's NLL (which may be
 * negative; NaN when a part's loss is not finite) and leaves the mean gradient in tr->grads */
static double train_batch(WmTrainer* tr) {
    WmModel* m = tr->model;
    for (int p = 0; p < tr->parts; p++) part_view(tr, p, &tr->part[p].view);
    if (tr->parts > 1) pthread_barrier_wait(&tr->bar);
    phase_a(tr, &tr->part[0]);
    if (tr->parts > 1) pthread_barrier_wait(&tr->bar);
    double t = clock_now();
    for (int p = 0; p < tr->parts; p++) {
        Part* pt = &tr->part[p];
        if (!pt->packed) continue;
        wm_norm_update(&m->nin, pt->scratch->nd, pt->scratch->xraw);
        wm_norm_update(&m->ein, pt->scratch->ne, pt->scratch->eraw);
        wm_norm_update(&m->tgt, pt->rows, pt->raw_targets);
    }
    lap(&t, &tr->part[0].prof.stats);
    if (tr->parts > 1) pthread_barrier_wait(&tr->bar);
    phase_c(tr, &tr->part[0]);
    if (tr->parts > 1) pthread_barrier_wait(&tr->bar);
    if (tr->parts == 1) return tr->part[0].loss - tr->part[0].nll;
    double loss = 0;
    int used = 0;
    for (int p = 0; p < tr->parts; p++) {
        if (!tr->part[p].packed) continue;
        if (!isfinite(tr->part[p].loss)) return NAN;
        loss += tr->part[p].loss - tr->part[p].nll;
        used++;
    }
    if (used == 0) return NAN;
    /* the mean of the parts' gradients, in part order (part 0's is tr->grads itself) */
    float inv = 1.0f / (float)used;
    size_t n = (size_t)m->nparams;
    for (int p = 1; p < tr->parts; p++)
        if (tr->part[p].packed)
            for (size_t i = 0; i < n; i++) tr->grads[i] += tr->part[p].grads[i];
    if (!tr->part[0].packed) return NAN;
    for (size_t i = 0; i < n; i++) tr->grads[i] *= inv;
    return loss / used;
}

/* validation: forward and loss only, no noise, no statistics; the loss without the NLL */
static double validate_batch(WmTrainer* tr, const WmModel* m, const WmTransitions* t) {
    const WmTrainerDef* d = &tr->def;
    Part* pt = &tr->part[0];
    if (!wm_pack(m, pt->scratch, t->n, t->s0, t->m0, t->push, NULL, 0, 0)) return NAN;
    wm_targets(m, pt->scratch, t, pt->raw_targets);
    wm_features_normalize(m, pt->scratch);
    wm_forward(m, pt->scratch);
    WmLossWeights lw = {d->eps_weight, d->nll_weight,   d->event_weight, d->break_weight, d->onset_weight,
                         d->onset_speed, d->onset_motion, d->impact_weight, d->impact_speed, d->still_weight};
    double nll = 0, loss = wm_loss(m, pt->scratch, &lw, false, &nll);
    return loss - nll;
}

void wm_trainer_set_lr(WmTrainer* tr, float lr) {
    assert(lr > 0 && isfinite(lr));
    tr->opt.lr = lr;
}

float wm_lr_schedule(float lr, int64_t done, int64_t steps, float frac, float floor) {
    int64_t start = steps - (int64_t)llround((double)frac * (double)steps);
    if (frac <= 0 || done < start || start >= steps) return lr;
    double p = (double)(done - start) / (double)(steps - start);
    return (float)(lr * (floor + (1.0 - floor) * 0.5 * (1.0 + cos(M_PI * p))));
}

bool wm_trainer_step(WmTrainer* tr) {
    const WmTrainerDef* d = &tr->def;
    WmTrainerProfile* prof = &tr->part[0].prof;
    double t = clock_now();
    /* a plain or a rolled batch (decided first, so the stream of draws is the same either way) */
    int roll = 0;
    if (d->roll_max > 0 && rng_unit(&tr->rng) < d->roll_frac) roll = (int)rng_int(&tr->rng, 1, d->roll_max);
    pthread_mutex_lock(&tr->data_lock);
    bool enough = wm_replay_ready(tr->replay) >= d->batch, have = false;
    if (enough && roll > 0) have = wm_replay_sample_rolled(tr->replay, &tr->rng, d->batch, roll, &tr->batch);
    /* a plain batch, also when there are too few windows of that length (short or changing
     * episodes); none before the buffer holds a batch's worth of transitions */
    if (enough && !have) have = wm_replay_sample(tr->replay, &tr->rng, d->batch, &tr->batch);
    pthread_mutex_unlock(&tr->data_lock);
    if (!have) return false;
    lap(&t, &prof->sample);
    double loss = train_batch(tr);
    t = clock_now();
    if (!isfinite(loss)) {
        tr->skipped++;
        return false;
    }
    double norm = nn_adamw_step(&tr->opt, tr->model->params, tr->grads, tr->model->layout.decay,
                                tr->def.clip);
    lap(&t, &prof->update);
    prof->steps++;
    if (!isfinite(norm)) {
        tr->skipped++;
        return false;
    }
    tr->model->steps++;
    if (tr->avg) nn_ema_update(tr->model->nparams, tr->avg, tr->model->params, nn_ema_decay(d->ema, tr->opt.t));
    tr->last = (float)loss;
    tr->ema = isnan(tr->ema) ? (float)loss : 0.98f * tr->ema + 0.02f * (float)loss;
    return true;
}

float wm_trainer_validate(WmTrainer* tr, int max_batches) {
    double sum = 0;
    int count = 0;
    int64_t cursor = 0;
    const WmModel* m = wm_trainer_result(tr);
    for (int b = 0; b < max_batches; b++) {
        pthread_mutex_lock(&tr->data_lock);
        int got = wm_replay_sweep(tr->val, &cursor, tr->def.batch, &tr->batch);
        pthread_mutex_unlock(&tr->data_lock);
        if (got == 0) break;
        double l = validate_batch(tr, m, &tr->batch);
        if (!isfinite(l)) continue;
        sum += l * got;
        count += got;
    }
    tr->val_loss = count ? (float)(sum / count) : NAN;
    return tr->val_loss;
}

/* ---- publishing ---- */

void wm_trainer_publish(WmTrainer* tr) {
    const WmModel* m = wm_trainer_result(tr);
    pthread_mutex_lock(&tr->pub_lock);
    wm_copy(tr->pub, m);
    tr->version++;
    pthread_mutex_unlock(&tr->pub_lock);
}

uint64_t wm_trainer_snapshot(WmTrainer* tr, WmModel* dst, uint64_t have_version) {
    if (pthread_mutex_trylock(&tr->pub_lock) != 0) return have_version;
    uint64_t v = have_version;
    if (tr->version > have_version && wm_copy(dst, tr->pub)) v = tr->version;
    pthread_mutex_unlock(&tr->pub_lock);
    return v;
}

void wm_trainer_stats(WmTrainer* tr, WmTrainerStats* out) {
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&tr->data_lock);
    out->transitions = wm_replay_ready(tr->replay);
    out->val_transitions = wm_replay_ready(tr->val);
    pthread_mutex_unlock(&tr->data_lock);
    pthread_mutex_lock(&tr->pub_lock);
    out->version = tr->version;
    pthread_mutex_unlock(&tr->pub_lock);
    /* plain reads of the training thread's counters: display only */
    out->steps = tr->model->steps;
    out->train_loss = tr->ema;
    out->last_loss = tr->last;
    out->val_loss = tr->val_loss;
    out->skipped = tr->skipped;
}

void wm_trainer_profile(const WmTrainer* tr, WmTrainerProfile* out) {
    *out = tr->part[0].prof;
}

WmModel* wm_trainer_model(WmTrainer* tr) {
    return tr->model;
}

const WmModel* wm_trainer_result(WmTrainer* tr) {
    if (!tr->avg) return tr->model;
    /* the working model's statistics and counters, the average's parameters */
    wm_copy(tr->result, tr->model);
    memcpy(tr->result->params, tr->avg, sizeof(float) * (size_t)tr->model->nparams);
    return tr->result;
}

WmReplay* wm_trainer_replay(WmTrainer* tr) {
    return tr->replay;
}

WmReplay* wm_trainer_val_replay(WmTrainer* tr) {
    return tr->val;
}

bool wm_trainer_save(WmTrainer* tr, const char* path, char* err, size_t err_size) {
    if (!tr->avg) return wm_checkpoint_save(tr->model, &tr->opt, path, err, err_size);
    /* the average is the file's model; the raw weights and the random streams resume the run */
    WmResume rs;
    memset(&rs, 0, sizeof rs);
    rs.raw = tr->model->params;
    memcpy(rs.batch_rng, tr->rng.s, sizeof rs.batch_rng);
    rs.parts = tr->parts;
    for (int p = 0; p < tr->parts; p++) memcpy(rs.noise_rng[p], tr->part[p].noise.s, sizeof rs.noise_rng[p]);
    return wm_checkpoint_save_resume(wm_trainer_result(tr), &tr->opt, &rs, path, err, err_size);
}

bool wm_trainer_load_optimizer(WmTrainer* tr, const char* path, char* err, size_t err_size) {
    NnAdamW opt;
    memset(&opt, 0, sizeof opt);
    opt.lr = tr->def.lr;
    opt.weight_decay = tr->def.weight_decay;
    bool has = false;
    WmResume rs;
    memset(&rs, 0, sizeof rs);
    WmModel* m = wm_checkpoint_load_resume(path, &opt, &has, &rs, err, err_size);
    if (!m) return false;
    wm_free(m);
    if (rs.raw && has && opt.n == tr->opt.n) {
        /* the file's model is the average (the start model's weights): the optimizer goes on
         * with the raw weights, the average from the file's */
        size_t bytes = sizeof(float) * (size_t)tr->model->nparams;
        if (tr->avg) memcpy(tr->avg, tr->model->params, bytes);
        memcpy(tr->model->params, rs.raw, bytes);
        if (rs.parts == tr->parts) {
            memcpy(tr->rng.s, rs.batch_rng, sizeof rs.batch_rng);
            for (int p = 0; p < tr->parts; p++) memcpy(tr->part[p].noise.s, rs.noise_rng[p], sizeof rs.noise_rng[p]);
        }
    }
    free(rs.raw);
    if (has && opt.n == tr->opt.n) {
        nn_adamw_free(&tr->opt);
        tr->opt = opt;
    } else if (has) {
        nn_adamw_free(&opt);
    }
    return true;
}
