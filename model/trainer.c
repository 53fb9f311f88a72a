/* trainer: replay buffers, AdamW steps on sampled batches, validation, and the published weights */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "model/trainer.h"
#include "model/wm_impl.h"
#include "sim/observation.h"

struct WmTrainer {
    WmTrainerDef    def;
    WmModel*        model;       /* working weights (training thread) */
    WmModel*        pub;         /* published copy */
    uint64_t        version;
    pthread_mutex_t pub_lock;
    NnAdamW         opt;
    float*          grads;
    WmScratch*      scratch;
    WmTransitions   batch;
    float*          raw_targets;
    Rng             rng;         /* batch sampling */
    Rng             noise;       /* input noise */
    WmReplay*       replay;
    WmReplay*       val;
    pthread_mutex_t data_lock;
    int64_t         episodes;    /* live episodes begun */
    bool            to_val;      /* the current live episode goes to validation */
    uint8_t*        obs_bits;    /* the labels of the tick being added */
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
    d.event_weight = 0.5f;
    d.capacity = 200000;
    d.val_capacity = 20000;
    d.val_every = 10;
    return d;
}

bool wm_trainer_def_check(const WmTrainerDef* def, const WmModel* start, char* err, size_t err_size) {
    if (!start && !wm_arch_check(&def->arch, err, err_size)) return false;
    if (def->batch < 1) {
        report_set(err, err_size, "batch of %d transitions: expected at least 1", def->batch);
        return false;
    }
    if (def->capacity < 2 || def->val_capacity < 0) {
        report_set(err, err_size, "replay buffer of %lld transitions: expected at least 2", (long long)def->capacity);
        return false;
    }
    return true;
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
    tr->scratch = wm_scratch_create(tr->model);
    wm_transitions_init(&tr->batch, def->batch, K, a->dim);
    tr->raw_targets = alloc_bytes(sizeof(float) * (size_t)def->batch * K * WM_TARGETS);
    tr->replay = wm_replay_create(K, a->dim, def->capacity);
    tr->val = wm_replay_create(K, a->dim, def->val_capacity > 2 ? def->val_capacity : 2);
    tr->obs_bits = alloc_bytes((size_t)K);
    if (!tr->replay || !tr->val) {   /* a capacity below 2 */
        wm_trainer_free(tr);
        return NULL;
    }
    rng_seed(&tr->rng, rng_derive(def->seed, 0x6261746368ULL));
    rng_seed(&tr->noise, rng_derive(def->seed, 0x6e6f697365ULL));
    tr->ema = NAN;
    tr->last = NAN;
    tr->val_loss = NAN;
    return tr;
}

void wm_trainer_free(WmTrainer* tr) {
    if (!tr) return;
    wm_free(tr->model);
    wm_free(tr->pub);
    nn_adamw_free(&tr->opt);
    free(tr->grads);
    wm_scratch_free(tr->scratch);
    wm_transitions_free(&tr->batch);
    free(tr->raw_targets);
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

/* packs, (optionally) updates statistics, runs forward + loss (+ backward into grads) */
static double run_batch(WmTrainer* tr, const WmTransitions* t, bool train) {
    WmModel* m = tr->model;
    WmScratch* s = tr->scratch;
    const WmTrainerDef* d = &tr->def;
    if (!wm_pack(m, s, t->n, t->s0, t->m0, t->push, train ? &tr->noise : NULL, d->noise_pos,
                 d->noise_vel))
        return NAN;
    int rows = wm_targets(m, s, t, tr->raw_targets);
    if (train) {
        wm_norm_update(&m->nin, s->n, s->xraw);
        wm_norm_update(&m->ein, s->ne, s->eraw);
        wm_norm_update(&m->tgt, rows, tr->raw_targets);
    }
    wm_features_normalize(m, s);
    wm_forward(m, s);
    double loss = wm_loss(m, s, d->event_weight, train, NULL, NULL);
    if (train && isfinite(loss)) {
        memset(tr->grads, 0, sizeof(float) * (size_t)m->nparams);
        wm_backward(m, s, tr->grads);
    }
    return loss;
}

bool wm_trainer_step(WmTrainer* tr) {
    pthread_mutex_lock(&tr->data_lock);
    bool have = wm_replay_ready(tr->replay) >= tr->def.batch &&
                wm_replay_sample(tr->replay, &tr->rng, tr->def.batch, &tr->batch);
    pthread_mutex_unlock(&tr->data_lock);
    if (!have) return false;
    double loss = run_batch(tr, &tr->batch, true);
    if (!isfinite(loss)) {
        tr->skipped++;
        return false;
    }
    double norm = nn_adamw_step(&tr->opt, tr->model->params, tr->grads, tr->model->layout.decay,
                                tr->def.clip);
    if (!isfinite(norm)) {
        tr->skipped++;
        return false;
    }
    tr->model->steps++;
    tr->last = (float)loss;
    tr->ema = isnan(tr->ema) ? (float)loss : 0.98f * tr->ema + 0.02f * (float)loss;
    return true;
}

float wm_trainer_validate(WmTrainer* tr, int max_batches) {
    double sum = 0;
    int count = 0;
    int64_t cursor = 0;
    for (int b = 0; b < max_batches; b++) {
        pthread_mutex_lock(&tr->data_lock);
        int got = wm_replay_sweep(tr->val, &cursor, tr->def.batch, &tr->batch);
        pthread_mutex_unlock(&tr->data_lock);
        if (got == 0) break;
        double l = run_batch(tr, &tr->batch, false);
        if (!isfinite(l)) continue;
        sum += l * got;
        count += got;
    }
    tr->val_loss = count ? (float)(sum / count) : NAN;
    return tr->val_loss;
}

/* ---- publishing ---- */

void wm_trainer_publish(WmTrainer* tr) {
    pthread_mutex_lock(&tr->pub_lock);
    wm_copy(tr->pub, tr->model);
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

WmModel* wm_trainer_model(WmTrainer* tr) {
    return tr->model;
}

WmReplay* wm_trainer_replay(WmTrainer* tr) {
    return tr->replay;
}

WmReplay* wm_trainer_val_replay(WmTrainer* tr) {
    return tr->val;
}

bool wm_trainer_save(WmTrainer* tr, const char* path, char* err, size_t err_size) {
    return wm_checkpoint_save(tr->model, &tr->opt, path, err, err_size);
}

bool wm_trainer_load_optimizer(WmTrainer* tr, const char* path, char* err, size_t err_size) {
    NnAdamW opt;
    memset(&opt, 0, sizeof opt);
    opt.lr = tr->def.lr;
    opt.weight_decay = tr->def.weight_decay;
    bool has = false;
    WmModel* m = wm_checkpoint_load(path, &opt, &has, err, err_size);
    if (!m) return false;
    wm_free(m);
    if (has && opt.n == tr->opt.n) {
        nn_adamw_free(&tr->opt);
        tr->opt = opt;
    } else if (has) {
        nn_adamw_free(&opt);
    }
    return true;
}
