/* jepa_trainer: the pixel model's training step, validation and published weights
 * (jepa_trainer.h) */
#include "model/jepa_trainer.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "model/jepa_events.h"
#include "model/jepa_impl.h"
#include "model/replay.h"

struct JepaTrainer {
    JepaTrainerDef  def;
    JepaModel*      model;        /* working weights (training thread) */
    JepaModel*      pub;          /* published copy */
    uint64_t        version;
    pthread_mutex_t pub_lock;
    NnAdamW         opt;
    float*          grads;
    Rng             rng;
    JepaReplay*     replay;
    JepaReplay*     val;
    pthread_mutex_t data_lock;
    int64_t         episodes;     /* live episodes begun */
    bool            to_val;
    /* the batch: frames copied out of the replay, B windows of context + R frames */
    int             B, R, F, S;   /* windows, steps ahead, frames per window, ticks between frames */
    size_t          fb;           /* bytes per frame */
    uint8_t*        frames;       /* [B * (F + R) * fb] */
    const uint8_t** ctx_ptr;      /* [B * F]: window b's context frames */
    const uint8_t** tgt_ptr;      /* [R * B * F]: the target windows, step-major */
    JepaPush*       pushes;       /* [R * B * JEPA_MAX_PUSHES]: after frame t + r, step-major */
    int*            npush;        /* [R * B] */
    int64_t*        seq;          /* [B] */
    int64_t         marked_windows;/* windows drawn from the marked ones (def.break_sample, push_sample) */
    /* activations */
    float*          x0;           /* [B, H, W, F * ch] */
    float*          xt;           /* [R * B, H, W, F * ch] */
    JepaEncCache    enc, tgt;
    NnConvCache*    pred;         /* [R] */
    float*          pin;          /* [R][B * cells * (C + P)] */
    uint8_t*        act;          /* [R][B * cells] pred_gate: the cells each step may change (NULL without) */
    float*          zhat;         /* [R][B * cells * C] */
    float*          wl;           /* [B * cells * C] the L1's weights of one step (motion_weight) */
    float*          zn;           /* [R][B * cells * C] each step's noisy input (latent_noise) */
    float*          eps;          /* [R][B * cells * C] the batch's standard normal draws (latent_noise) */
    float*          zsd;          /* [C] the noise's standard deviation per channel */
    Rng             noise_rng;    /* latent_noise's own stream */
    /* gradients */
    float*          dzhat;        /* [R][B * cells * C] */
    float*          carry;        /* [B * cells * C] */
    float*          dy;           /* [B * cells * C] */
    float*          dpin;         /* [B * cells * (C + P)] */
    JepaRegScratch  reg;
    /* the appearance head (appearance_weight > 0): [Q * latent] weights then [Q] biases */
    int             nhead;
    float*          head;
    float*          dhead;
    NnAdamW         head_opt;
    float*          ht;           /* [B * cells * Q] one step's targets */
    /* the reconstruction decoder (recon_weight > 0): [P * latent] weights then [P] biases */
    int             nrec, rec_p;
    float*          rec;
    float*          drec;
    NnAdamW         rec_opt;
    float*          rt;           /* [B * cells * P] the context's last frame, cell by cell, over 255 */
    float*          rw;           /* [B * cells] each cell's weight */
    float           rec_loss;
    /* the event heads (event_weight > 0): [2 (3C + 1)] */
    int             nev;
    float*          ev;
    float*          dev;
    NnAdamW         ev_opt;
    double          ev_pw[2];     /* a positive window's weight per head (0: not counted yet) */
    bool            ev_shift;     /* the heads came from a model: their biases are at the base rate */
    uint8_t*        ev_y;         /* [B, 2] the batch's labels */
    uint8_t*        ev_ok;        /* [B, 2] */
    float*          ev_x;         /* [B, 3C] pooled features */
    float*          ev_tmp;       /* [nev] the heads as the model keeps them */
    float           ev_loss;
    /* the objectness term (objness_weight > 0 and an objectness keypoint) */
    float*          dobj;         /* [B, kh, kw] its gradient on the last frames' objectness heats */
    float           obj_loss, obj_changed;
    /* stats */
    float           ema_loss, last, pred_loss, val_loss, appear_loss;
    JepaLatentStats latent;
    int64_t         skipped;
};

JepaTrainerDef jepa_trainer_def_default(int frame_w, int frame_h, int channels) {
    JepaTrainerDef d;
    memset(&d, 0, sizeof d);
    d.arch = jepa_arch_default(frame_w, frame_h, channels);
    d.seed = 1;
    d.batch = 32;
    d.rollout = 3;
    d.lr = 1e-3f;
    d.warmup = 200;
    d.weight_decay = 1e-4f;
    d.clip = 1.0f;
    d.ema = 0.99f;
    d.var_weight = 1.0f;
    d.cov_weight = 0.1f;
    d.objness_weight = 1.0f;
    d.var_target = 1.0f;
    d.keypoint_weight = 1.0f;
    d.pool_size = 4;
    d.capacity = 20000;
    d.val_capacity = 4000;
    d.val_every = 10;
    return d;
}

void jepa_trainer_free(JepaTrainer* tr) {
    if (!tr) return;
    jepa_free(tr->model);
    jepa_free(tr->pub);
    nn_adamw_free(&tr->opt);
    free(tr->grads);
    jepa_replay_free(tr->replay);
    jepa_replay_free(tr->val);
    free(tr->frames);
    free(tr->ctx_ptr);
    free(tr->tgt_ptr);
    free(tr->pushes);
    free(tr->npush);
    free(tr->seq);
    free(tr->x0);
    free(tr->xt);
    jepa_enc_cache_free(&tr->enc);
    jepa_enc_cache_free(&tr->tgt);
    for (int r = 0; tr->pred && r < tr->R; r++) nn_convnet_cache_free(&tr->pred[r]);
    free(tr->pred);
    free(tr->pin);
    free(tr->act);
    free(tr->zhat);
    free(tr->wl);
    free(tr->dzhat);
    free(tr->zn);
    free(tr->eps);
    free(tr->zsd);
    free(tr->carry);
    free(tr->dy);
    free(tr->dpin);
    jepa_reg_free(&tr->reg);
    free(tr->head);
    free(tr->dhead);
    free(tr->ht);
    nn_adamw_free(&tr->head_opt);
    free(tr->rec);
    free(tr->drec);
    free(tr->rt);
    free(tr->rw);
    free(tr->dobj);
    nn_adamw_free(&tr->rec_opt);
    free(tr->ev);
    free(tr->dev);
    free(tr->ev_y);
    free(tr->ev_ok);
    free(tr->ev_x);
    free(tr->ev_tmp);
    nn_adamw_free(&tr->ev_opt);
    pthread_mutex_destroy(&tr->pub_lock);
    pthread_mutex_destroy(&tr->data_lock);
    free(tr);
}

/* the bytes jepa_trainer_create reserves and a step uses (keep in step with it): the weights, the
 * replay buffers, the batch's frames and floats, the trained encoder's caches for B windows, the
 * target encoder's for R B, the predictor's R rollout steps, the heads' buffers. Measured against
 * the peak RSS (/usr/bin/time) of nudge train --kind jepa, 5 steps and the probe (--probe-rows 2000)
 * on 20 episodes of 160x120 antialiased frames, with the dataset, the probe's fit and the program
 * train_jepa.c adds (2-core EPYC, 2026-12-06): defaults 1167 MiB estimated / 1068 MiB peak (1.09x);
 * --batch 64 2636 / 2276 (1.16x); model-jepa's TRAIN_ARGS (keypoints, --context 3 --rollout 6)
 * 2932 / 1951 (1.50x); --batch 64 --latent 64 --hidden 128 --rollout 6 5563 / 4972 (1.12x) */
double jepa_trainer_step_bytes(const JepaTrainerDef* def, const JepaModel* start, int* latent_size, int* probe_width) {
    if (!start && !jepa_arch_check(&def->arch, NULL, 0)) return 0;
    JepaModel* own = start ? NULL : jepa_create(&def->arch, def->seed);
    const JepaModel* m = start ? start : own;
    if (!m) return 0;
    if (latent_size) *latent_size = jepa_latent_size(m);
    if (probe_width) *probe_width = jepa_probe_width(m);
    const JepaArch* a = &m->arch;
    double B = def->batch, R = def->rollout, F = a->context;
    double fb = (double)a->frame_w * a->frame_h * a->channels, px = fb * F;
    double cells = (double)m->lh * m->lw, C = m->lc, P = JEPA_PUSH_CHANNELS;
    /* weights: the model (and its target encoder), the published copy, the gradient, two moments */
    double bytes = 4.0 * m->nparams * 6;
    /* the replays: frames, pushes, counts, episodes, marks */
    double frames = (double)def->capacity + (double)(def->val_capacity > 2 ? def->val_capacity : 2);
    bytes += frames * (fb + JEPA_MAX_PUSHES * sizeof(JepaPush) + 1 + 8 + 1);
    /* the batch */
    bytes += B * (F + R) * fb + B * px * 4 + R * B * px * 4 + R * B * JEPA_MAX_PUSHES * sizeof(JepaPush);
    bytes += (double)jepa_enc_cache_bytes(m, def->batch, true) + (double)jepa_enc_cache_bytes(m, def->rollout * def->batch, false);
    bytes += R * (double)nn_convnet_cache_bytes(&m->pred, def->batch, true);
    bytes += 4 * (R * B * cells * (C + P) + 2 * R * B * cells * C + 3 * B * cells * C + B * cells * (C + P));
    if (a->pred_gate) bytes += R * B * cells;
    if (def->appearance_weight > 0) bytes += 4 * B * cells * JEPA_APPEAR_Q;
    if (def->recon_weight > 0) bytes += 4 * B * cells * (fb / cells + 1);
    if (def->event_weight > 0) bytes += 4 * B * 3 * C;
    if (def->objness_weight > 0 && m->arch.keypoint_objness) bytes += 4.0 * B * a->frame_w * a->frame_h;
    if (def->latent_noise > 0) bytes += 4 * (2 * R * B * cells * C + C);
    jepa_free(own);
    return bytes;
}

JepaTrainer* jepa_trainer_create(const JepaTrainerDef* def, const JepaModel* start, char* err,
                                 size_t err_size) {
    if (!start && !jepa_arch_check(&def->arch, err, err_size)) return NULL;
    if (start && (start->arch.frame_w != def->arch.frame_w || start->arch.frame_h != def->arch.frame_h ||
                  start->arch.channels != def->arch.channels)) {
        report_set(err, err_size, "the model reads %dx%d frames of %d channels, the data has %dx%d of %d",
                   start->arch.frame_w, start->arch.frame_h, start->arch.channels, def->arch.frame_w,
                   def->arch.frame_h, def->arch.channels);
        return NULL;
    }
    if (def->batch < 2 || def->rollout < 1 || def->rollout > 64) {
        report_set(err, err_size, "a batch of %d windows and %d steps ahead: the batch needs 2 windows at least "
                   "(its statistics), the rollout 1 to 64 steps", def->batch, def->rollout);
        return NULL;
    }
    JepaTrainer* tr = alloc_zeroed(1, sizeof *tr);
    tr->def = *def;
    pthread_mutex_init(&tr->pub_lock, NULL);
    pthread_mutex_init(&tr->data_lock, NULL);
    tr->model = start ? jepa_clone(start) : jepa_create(&def->arch, def->seed);
    if (!tr->model) {
        report_set(err, err_size, "the pixel model's architecture cannot be built");
        jepa_trainer_free(tr);
        return NULL;
    }
    JepaModel* m = tr->model;
    const JepaArch* a = &m->arch;
    tr->pub = jepa_clone(m);
    tr->fb = (size_t)a->frame_w * a->frame_h * a->channels;
    tr->replay = jepa_replay_create(tr->fb, def->capacity);
    tr->val = jepa_replay_create(tr->fb, def->val_capacity > 2 ? def->val_capacity : 2);
    if (!tr->replay || !tr->val) {
        report_set(err, err_size, "%lld frames of %dx%d are too many for memory (%.1f GB)",
                   (long long)(def->capacity + def->val_capacity), a->frame_w, a->frame_h,
                   (double)(def->capacity + def->val_capacity) * (double)tr->fb / 1e9);
        jepa_trainer_free(tr);
        return NULL;
    }
    nn_adamw_init(&tr->opt, m->nparams, def->lr, def->weight_decay);
    tr->grads = alloc_zeroed((size_t)m->nparams, sizeof(float));
    rng_seed(&tr->rng, rng_derive(def->seed, 0x77696e646f77ULL));
    /* the batch's buffers */
    int B = def->batch, R = def->rollout, F = a->context;
    tr->B = B, tr->R = R, tr->F = F, tr->S = a->frame_step;
    size_t cells = (size_t)m->lh * m->lw, C = (size_t)m->lc, P = JEPA_PUSH_CHANNELS;
    size_t px = (size_t)a->frame_w * a->frame_h * F * a->channels;
    tr->frames = alloc_array((size_t)B * (F + R), tr->fb);
    tr->ctx_ptr = alloc_array((size_t)B * F, sizeof(uint8_t*));
    tr->tgt_ptr = alloc_array((size_t)R * B * F, sizeof(uint8_t*));
    tr->pushes = alloc_zeroed((size_t)R * B * JEPA_MAX_PUSHES, sizeof(JepaPush));
    tr->npush = alloc_zeroed((size_t)R * B, sizeof(int));
    tr->seq = alloc_array((size_t)B, sizeof(int64_t));
    tr->x0 = alloc_array((size_t)B * px, sizeof(float));
    tr->xt = alloc_array((size_t)R * B * px, sizeof(float));
    /* the trained passes keep their columns for the backward; the target's forward does not need to */
    jepa_enc_cache_keep_cols(&tr->enc);
    jepa_enc_cache_reserve(m, &tr->enc, B);
    jepa_enc_cache_reserve(m, &tr->tgt, R * B);
    /* the target encoder is never differentiated, and a rollout's windows share their frames */
    jepa_enc_cache_share(&tr->tgt);
    tr->pred = alloc_zeroed((size_t)R, sizeof(NnConvCache));
    for (int r = 0; r < R; r++) {
        nn_convnet_cache_keep_cols(&tr->pred[r]);
        nn_convnet_cache_reserve(&tr->pred[r], &m->pred, B);
    }
    tr->pin = alloc_array((size_t)R * B * cells * (C + P), sizeof(float));
    if (m->arch.pred_gate) tr->act = alloc_array((size_t)R * B * cells, 1);
    tr->zhat = alloc_array((size_t)R * B * cells * C, sizeof(float));
    if (def->motion_weight > 0 || (def->keypoint_weight != 1.0f && m->arch.keypoints > 0)) tr->wl = alloc_array((size_t)B * cells * C, sizeof(float));
    tr->dzhat = alloc_array((size_t)R * B * cells * C, sizeof(float));
    if (def->latent_noise > 0) {
        tr->zn = alloc_array((size_t)R * B * cells * C, sizeof(float));
        tr->eps = alloc_zeroed((size_t)R * B * cells * C, sizeof(float));
        tr->zsd = alloc_array(C, sizeof(float));
        rng_seed(&tr->noise_rng, rng_derive(def->seed, 0x6e6f697365ULL));
    }
    tr->carry = alloc_array((size_t)B * cells * C, sizeof(float));
    tr->dy = alloc_array((size_t)B * cells * C, sizeof(float));
    tr->dpin = alloc_array((size_t)B * cells * (C + P), sizeof(float));
    if (def->appearance_weight > 0) {
        /* zero at the start: the latent's gradient is the head's weights times its error, so the head
           learns what the latent says first and only then pulls on it (random weights pulled the
           latent toward them from the first step: a run's effective rank fell to 5.6 by step 200) */
        int L = a->latent, Q = JEPA_APPEAR_Q;
        tr->nhead = Q * L + Q;
        tr->head = alloc_zeroed((size_t)tr->nhead, sizeof(float));
        tr->dhead = alloc_zeroed((size_t)tr->nhead, sizeof(float));
        tr->ht = alloc_array((size_t)B * cells * Q, sizeof(float));
        nn_adamw_init(&tr->head_opt, tr->nhead, def->lr, def->weight_decay);
    }
    if (def->recon_weight > 0) {
        /* zero at the start, as the appearance head: it learns what the latent says before it pulls */
        int L = a->latent;
        tr->rec_p = (a->frame_h / m->lh) * (a->frame_w / m->lw) * a->channels;
        tr->nrec = tr->rec_p * L + tr->rec_p;
        tr->rec = alloc_zeroed((size_t)tr->nrec, sizeof(float));
        tr->drec = alloc_zeroed((size_t)tr->nrec, sizeof(float));
        tr->rt = alloc_array((size_t)B * cells * tr->rec_p, sizeof(float));
        tr->rw = alloc_array((size_t)B * cells, sizeof(float));
        nn_adamw_init(&tr->rec_opt, tr->nrec, def->lr, def->weight_decay);
    }
    if (def->objness_weight > 0 && a->keypoint_objness)
        tr->dobj = alloc_zeroed((size_t)B * a->frame_w * a->frame_h, sizeof(float));
    if (def->event_weight > 0) {
        /* zero at the start, as the appearance head: the heads learn what the latent says first */
        tr->nev = JEPA_EVENT_HEADS * (3 * (int)C + 1);
        tr->ev = alloc_zeroed((size_t)tr->nev, sizeof(float));
        tr->dev = alloc_zeroed((size_t)tr->nev, sizeof(float));
        tr->ev_tmp = alloc_zeroed((size_t)tr->nev, sizeof(float));
        tr->ev_y = alloc_zeroed((size_t)B * 2, 1);
        tr->ev_ok = alloc_zeroed((size_t)B * 2, 1);
        tr->ev_x = alloc_array((size_t)B * 3 * C, sizeof(float));
        const float* w = NULL;
        if (jepa_event_heads(m, &w) == 3 * (int)C) {
            memcpy(tr->ev, w, sizeof(float) * (size_t)tr->nev);
            tr->ev_shift = true;
        }
        nn_adamw_init(&tr->ev_opt, tr->nev, def->lr, def->weight_decay);
    }
    tr->ema_loss = tr->last = tr->pred_loss = tr->val_loss = NAN;
    tr->appear_loss = 0;
    tr->latent.std_mean = tr->latent.std_min = tr->latent.erank = NAN;
    return tr;
}

/* ---- feeding ---- */

void jepa_trainer_begin_episode(JepaTrainer* tr) {
    pthread_mutex_lock(&tr->data_lock);
    jepa_replay_begin_episode(tr->replay);
    jepa_replay_begin_episode(tr->val);
    int ve = tr->def.val_every;
    tr->to_val = ve > 0 && tr->episodes % ve == ve - 1;
    tr->episodes++;
    pthread_mutex_unlock(&tr->data_lock);
}

void jepa_trainer_add_frame(JepaTrainer* tr, const uint8_t* frame, const JepaPush* pushes, int n) {
    pthread_mutex_lock(&tr->data_lock);
    jepa_replay_add(tr->to_val ? tr->val : tr->replay, frame, pushes, n);
    pthread_mutex_unlock(&tr->data_lock);
}

/* ---- the batch ---- */

/* copies the windows ending at seq[0..B) out of a replay: frames t - (F - 1) S .. t + R S, S apart
   (S the frame step), and for step r the pushes after records t + r S .. t + r S + S - 1, in order
   (at most JEPA_MAX_PUSHES; call with the data lock held) */
static void batch_copy(JepaTrainer* tr, const JepaReplay* r, int B) {
    int F = tr->F, R = tr->R, S = tr->S;
    for (int b = 0; b < B; b++) {
        uint8_t* dst = tr->frames + (size_t)b * (F + R) * tr->fb;
        for (int i = 0; i < F + R; i++)
            memcpy(dst + (size_t)i * tr->fb, jepa_replay_frame(r, tr->seq[b] + (int64_t)(i - (F - 1)) * S), tr->fb);
        for (int s = 0; s < R; s++) {
            JepaPush* out = tr->pushes + ((size_t)s * B + b) * JEPA_MAX_PUSHES;
            int m = 0;
            for (int k = 0; k < S && m < JEPA_MAX_PUSHES; k++) {
                int n;
                const JepaPush* p = jepa_replay_pushes(r, tr->seq[b] + (int64_t)s * S + k, &n);
                if (n > JEPA_MAX_PUSHES - m) n = JEPA_MAX_PUSHES - m;
                memcpy(out + m, p, sizeof(JepaPush) * (size_t)n);
                m += n;
            }
            tr->npush[s * B + b] = m;
        }
    }
}

/* the window pointers of the copied batch: context = frames 0 .. F-1 of each window, the target of
   step r = frames r .. r + F - 1 */
static void batch_pointers(JepaTrainer* tr, int B) {
    int F = tr->F, R = tr->R;
    for (int b = 0; b < B; b++) {
        const uint8_t* w = tr->frames + (size_t)b * (F + R) * tr->fb;
        for (int f = 0; f < F; f++) {
            tr->ctx_ptr[b * F + f] = w + (size_t)f * tr->fb;
            for (int r = 1; r <= R; r++) tr->tgt_ptr[((size_t)(r - 1) * B + b) * F + f] = w + (size_t)(r + f) * tr->fb;
        }
    }
}

/* the L1's weights of rollout step r (0-based: its target window ends at frame F + r of each copied
   window): cell (y, x) of window b weighs 1 + alpha * m, m the largest change of one of the cell's
   pixels between frames F + r - 2, F + r - 1 and F + r (over 255), the same for its convolution
   channels and kw times that for its keypoint channels; returns their sum */
static double motion_weights(const JepaTrainer* tr, int B, int r, float alpha, float kw, float* w) {
    const JepaModel* m = tr->model;
    const JepaArch* a = &m->arch;
    int F = tr->F, R = tr->R, W = a->frame_w, ch = a->channels, C = m->lc;
    int sy = a->frame_h / m->lh, sx = a->frame_w / m->lw;
    double sum = 0;
    for (int b = 0; b < B; b++) {
        const uint8_t* f2 = tr->frames + ((size_t)b * (F + R) + F + r) * tr->fb;
        const uint8_t* f1 = f2 - tr->fb;
        const uint8_t* f0 = f1 - tr->fb;
        for (int cy = 0; cy < m->lh; cy++)
            for (int cx = 0; cx < m->lw; cx++) {
                int big = 0;
                for (int y = cy * sy; y < (cy + 1) * sy; y++) {
                    size_t o = ((size_t)y * W + (size_t)cx * sx) * ch;
                    for (int i = 0; i < sx * ch; i++) {
                        int p0 = f0[o + i], p1 = f1[o + i], p2 = f2[o + i];
                        int hi = p0 > p1 ? p0 : p1, lo = p0 < p1 ? p0 : p1;
                        if (p2 > hi) hi = p2;
                        if (p2 < lo) lo = p2;
                        if (hi - lo > big) big = hi - lo;
                    }
                }
                float wc = 1.0f + alpha * (float)big / 255.0f;
                float* o = w + (((size_t)b * m->lh + cy) * m->lw + cx) * C;
                float wk = wc * kw;
                for (int c = 0; c < C; c++) o[c] = c < a->latent ? wc : wk;
                sum += (double)wc * a->latent + (double)wk * (C - a->latent);
            }
    }
    return sum;
}

/* the appearance term of rollout step r (0-based: its window ends at frame F + r of each copied
   window) on its predicted latent zh [B * cells * C]: the head's Q values per cell from the first
   `latent` channels against the mean |frame F + r - frame F + r - 1| / 255 of each quadrant of the
   cell; returns scale * sum (h - t)^2 / max(sum t^2, 1e-4 * count) and, with grad, adds its
   gradient to dz (the latent's) and to dhead */
static double appearance_term(JepaTrainer* tr, int B, int r, const float* zh, float scale, float* dz) {
    const JepaModel* m = tr->model;
    const JepaArch* a = &m->arch;
    int F = tr->F, R = tr->R, W = a->frame_w, ch = a->channels, C = m->lc, L = a->latent, Q = JEPA_APPEAR_Q;
    int sy = a->frame_h / m->lh, sx = a->frame_w / m->lw;
    size_t cells = (size_t)m->lh * m->lw, rows = (size_t)B * cells;
    double tsum = 0;
    for (int b = 0; b < B; b++) {
        const uint8_t* f1 = tr->frames + ((size_t)b * (F + R) + F + r) * tr->fb;
        const uint8_t* f0 = f1 - tr->fb;
        for (int cy = 0; cy < m->lh; cy++)
            for (int cx = 0; cx < m->lw; cx++) {
                float* t = tr->ht + (((size_t)b * m->lh + cy) * m->lw + cx) * Q;
                for (int q = 0; q < Q; q++) {
                    int y0 = cy * sy + (q / 2) * sy / 2, y1 = cy * sy + (q / 2 + 1) * sy / 2;
                    int x0 = cx * sx + (q % 2) * sx / 2, x1 = cx * sx + (q % 2 + 1) * sx / 2;
                    int sum = 0;
                    for (int y = y0; y < y1; y++)
                        for (int i = x0 * ch; i < x1 * ch; i++) {
                            size_t o = (size_t)y * W * ch + (size_t)i;
                            sum += abs((int)f1[o] - (int)f0[o]);
                        }
                    t[q] = (float)sum / (255.0f * (float)((y1 - y0) * (x1 - x0) * ch));
                    tsum += (double)t[q] * t[q];
                }
            }
    }
    double denom = fmax(tsum, 1e-4 * (double)rows * Q), loss = 0;
    float k = (float)(2.0 * scale / denom);
    const float* w = tr->head;
    const float* bias = tr->head + (size_t)Q * L;
    for (size_t i = 0; i < rows; i++) {
        const float* z = zh + i * C;
        const float* t = tr->ht + i * Q;
        for (int q = 0; q < Q; q++) {
            double h = bias[q];
            for (int c = 0; c < L; c++) h += (double)w[q * L + c] * z[c];
            double e = h - t[q];
            loss += e * e;
            if (dz) {
                float g = k * (float)e;
                float* dw = tr->dhead + (size_t)q * L;
                float* d = dz + i * C;
                for (int c = 0; c < L; c++) {
                    d[c] += g * w[q * L + c];
                    dw[c] += g * z[c];
                }
                tr->dhead[(size_t)Q * L + q] += g;
            }
        }
    }
    return loss * scale / denom;
}

/* the reconstruction term on the context's latent z0 [B * cells * C]: the decoder's P values per cell
   from the first `latent` channels against the cell's pixels of the context's last frame (frame F - 1
   of each copied window) over 255, each cell weighed 1 + motion_weight * (the largest change of one of
   its pixels from frame F - 2, over 255); returns scale * sum w (h - t)^2 / (P sum w) and, with grad,
   adds its gradient to dz and to drec */
static double recon_term(JepaTrainer* tr, int B, const float* z0, float scale, float* dz) {
    const JepaModel* m = tr->model;
    const JepaArch* a = &m->arch;
    int F = tr->F, R = tr->R, W = a->frame_w, ch = a->channels, C = m->lc, L = a->latent, P = tr->rec_p;
    int sy = a->frame_h / m->lh, sx = a->frame_w / m->lw;
    size_t cells = (size_t)m->lh * m->lw, rows = (size_t)B * cells;
    float alpha = tr->def.motion_weight;
    double wsum = 0;
    for (int b = 0; b < B; b++) {
        const uint8_t* f1 = tr->frames + ((size_t)b * (F + R) + F - 1) * tr->fb;
        const uint8_t* f0 = F >= 2 ? f1 - tr->fb : f1;
        for (int cy = 0; cy < m->lh; cy++)
            for (int cx = 0; cx < m->lw; cx++) {
                size_t i = ((size_t)b * m->lh + cy) * m->lw + cx;
                float* t = tr->rt + i * P;
                int big = 0, k = 0;
                for (int y = cy * sy; y < (cy + 1) * sy; y++) {
                    size_t o = ((size_t)y * W + (size_t)cx * sx) * ch;
                    for (int j = 0; j < sx * ch; j++, k++) {
                        int d = abs((int)f1[o + j] - (int)f0[o + j]);
                        if (d > big) big = d;
                        t[k] = (float)f1[o + j] / 255.0f;
                    }
                }
                tr->rw[i] = 1.0f + alpha * (float)big / 255.0f;
                wsum += tr->rw[i];
            }
    }
    double loss = 0, denom = wsum * P;
    const float* w = tr->rec;
    const float* bias = tr->rec + (size_t)P * L;
    for (size_t i = 0; i < rows; i++) {
        const float* z = z0 + i * C;
        const float* t = tr->rt + i * P;
        double row = 0;
        for (int p = 0; p < P; p++) {
            double h = bias[p];
            for (int c = 0; c < L; c++) h += (double)w[(size_t)p * L + c] * z[c];
            double e = h - t[p];
            row += e * e;
            if (dz) {
                float g = (float)(2.0 * scale * tr->rw[i] * e / denom);
                float* dw = tr->drec + (size_t)p * L;
                float* d = dz + i * C;
                for (int c = 0; c < L; c++) {
                    d[c] += g * w[(size_t)p * L + c];
                    dw[c] += g * z[c];
                }
                tr->drec[(size_t)P * L + p] += g;
            }
        }
        loss += tr->rw[i] * row;
    }
    return loss * scale / denom;
}

/* the event heads' labels of the copied batch (tr->seq, under the data lock), and at the first
   batch each head's weight of a window with a break: the training windows' ratio of those without
   one to those with one (1 when none has one; at most JEPA_EVENT_MAX_POS_WEIGHT) */
static void event_labels(JepaTrainer* tr, const JepaReplay* r, int B) {
    if (!tr->ev) return;
    if (!(tr->ev_pw[0] > 0)) {
        int back = (tr->F - 1) * tr->S, ahead = tr->R * tr->S;
        int64_t pos[2] = {0, 0}, all[2] = {0, 0}, cursor = 0, chunk[256];
        for (int got; (got = jepa_replay_sweep(tr->replay, &cursor, 256, back, ahead, 1, chunk)) > 0;)
            for (int i = 0; i < got; i++) {
                uint8_t y[2], ok[2];
                jepa_event_labels(tr->replay, chunk[i], y, ok);
                for (int h = 0; h < 2; h++) pos[h] += ok[h] && y[h], all[h] += ok[h];
            }
        for (int h = 0; h < 2; h++) {
            double w = pos[h] > 0 ? (double)(all[h] - pos[h]) / (double)pos[h] : 1.0;
            tr->ev_pw[h] = fmin(fmax(w, 1.0), JEPA_EVENT_MAX_POS_WEIGHT);
        }
        /* heads from a model are at the base rate: back to the weighted fit's */
        int F1 = (int)(tr->nev / JEPA_EVENT_HEADS);
        if (tr->ev_shift)
            for (int h = 0; h < JEPA_EVENT_HEADS; h++) tr->ev[h * F1 + F1 - 1] += (float)log(tr->ev_pw[h]);
        tr->ev_shift = false;
    }
    for (int b = 0; b < B; b++) jepa_event_labels(r, tr->seq[b], tr->ev_y + b * 2, tr->ev_ok + b * 2);
}

/* the heads into the model as it keeps them: each bias moved to the data's base rate (- log of the
   positive weight) */
static void event_to_model(JepaTrainer* tr) {
    if (!tr->ev || !(tr->ev_pw[0] > 0)) return;
    int F1 = (int)(tr->nev / JEPA_EVENT_HEADS);
    memcpy(tr->ev_tmp, tr->ev, sizeof(float) * (size_t)tr->nev);
    for (int h = 0; h < JEPA_EVENT_HEADS; h++) tr->ev_tmp[h * F1 + F1 - 1] -= (float)log(tr->ev_pw[h]);
    jepa_set_event_heads(tr->model, F1 - 1, tr->ev_tmp);
}

/* the pooled L1 (JepaTrainerDef.pool_weight) of B predicted grids zh against the targets zt [B, lh, lw,
   C], blocks of P x P cells: w times the mean over the batch, blocks and channels of |mean of zh over
   the block - mean of zt over it|; its gradient added to dz (if not NULL) */
double jepa_pooled_l1(int B, int lh, int lw, int C, int P, const float* zh, const float* zt, float w, float* dz) {
    if (w == 0 || P < 1) return 0;
    int bh = (lh + P - 1) / P, bw = (lw + P - 1) / P;
    double count = (double)B * bh * bw * C, loss = 0;
    for (int b = 0; b < B; b++)
        for (int by = 0; by < lh; by += P)
            for (int bx = 0; bx < lw; bx += P) {
                int y1 = by + P < lh ? by + P : lh, x1 = bx + P < lw ? bx + P : lw;
                int ncell = (y1 - by) * (x1 - bx);
                for (int c = 0; c < C; c++) {
                    double d = 0;
                    for (int y = by; y < y1; y++)
                        for (int x = bx; x < x1; x++) {
                            size_t i = (((size_t)b * lh + y) * lw + x) * C + c;
                            d += (double)zh[i] - zt[i];
                        }
                    d /= ncell;
                    loss += fabs(d);
                    if (!dz || d == 0) continue;
                    float g = (float)((d > 0 ? w : -w) / (count * ncell));
                    for (int y = by; y < y1; y++)
                        for (int x = bx; x < x1; x++) dz[(((size_t)b * lh + y) * lw + x) * C + c] += g;
                }
            }
    return w * loss / count;
}

/* the objectness term (JepaTrainerDef.objness_weight) of the B windows just encoded by the online
   encoder: the logistic loss of each last frame's objectness heats against whether the pixel changed
   within its window, class-weighted; its gradient into tr->dobj when grad. Returns the loss */
static double objness_term(JepaTrainer* tr, int B, bool grad) {
    const JepaModel* m = tr->model;
    const JepaArch* a = &m->arch;
    int F = tr->F, R = tr->R, ch = a->channels, A = a->keypoint_appear;
    size_t npx = (size_t)a->frame_w * a->frame_h, n = (size_t)B * npx;
    int thr = (int)(JEPA_OBJ_CHANGE * 255.0f);
    /* the targets first (into dobj as 0/1), counted */
    size_t pos = 0;
    for (int b = 0; b < B; b++) {
        const uint8_t* w = tr->frames + (size_t)b * (F + R) * tr->fb;
        const uint8_t* last = w + (size_t)(F - 1) * tr->fb;
        float* y = tr->dobj + (size_t)b * npx;
        for (size_t p = 0; p < npx; p++) {
            int big = 0;
            for (int f = 0; f < F + R && big <= thr; f++) {
                const uint8_t* o = w + (size_t)f * tr->fb + p * ch;
                for (int q = 0; q < ch; q++) {
                    int d = abs((int)o[q] - (int)last[p * ch + q]);
                    if (d > big) big = d;
                }
            }
            y[p] = big > thr ? 1.0f : 0.0f;
            pos += big > thr;
        }
    }
    double wp = pos > 0 ? 0.2 / (double)pos : 0, wn = n > pos ? 0.8 / (double)(n - pos) : 0;
    float W = tr->def.objness_weight;
    double loss = 0;
    const float* heat = tr->enc.heata;
    for (size_t i = 0; i < n; i++) {
        double h = heat[i * A + A - 1], y = tr->dobj[i], wt = y > 0 ? wp : wn;
        /* log(1 + e^-h) for y = 1, log(1 + e^h) for y = 0, stably */
        double z = y > 0 ? -h : h;
        loss += wt * (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)));
        double s = 1.0 / (1.0 + exp(-h));
        tr->dobj[i] = grad ? (float)(W * wt * (s - y)) : 0.0f;
    }
    tr->obj_changed = (float)((double)pos / (double)n);
    return W * loss;
}

/* latent_noise's standard deviation per channel: scale times the channel's over the rows of z [rows, C] */
static void latent_noise_scale(float* sd, const float* z, size_t rows, int C, float scale) {
    for (int c = 0; c < C; c++) {
        double s1 = 0, s2 = 0;
        for (size_t i = 0; i < rows; i++) {
            double v = z[i * C + c];
            s1 += v, s2 += v * v;
        }
        double mu = s1 / (double)rows, var = s2 / (double)rows - mu * mu;
        sd[c] = scale * (float)sqrt(var > 0 ? var : 0);
    }
}

/* forward over the copied batch: encodes, rolls out and returns the prediction loss (mean over the
   R steps of the mean absolute error; weighted: by motion_weights when the trainer's motion_weight
   > 0, the training loss, where validation is plain); with grad, its gradients go to dzhat */
static double batch_forward(JepaTrainer* tr, int B, bool grad, bool weighted, const float** z0_out,
                            double* appear_out) {
    JepaModel* m = tr->model;
    int R = tr->R;
    size_t cells = (size_t)m->lh * m->lw, C = (size_t)m->lc, P = JEPA_PUSH_CHANNELS, n = (size_t)B * cells * C;
    batch_pointers(tr, B);
    /* the context through the encoder, the R target windows through the target encoder */
    jepa_frames_input(m, B, tr->ctx_ptr, tr->x0);
    const float* z0 = jepa_enc_forward(m, m->params, &tr->enc, B, tr->x0);
    jepa_frames_input(m, R * B, tr->tgt_ptr, tr->xt);
    const float* zt = jepa_enc_forward(m, m->target, &tr->tgt, R * B, tr->xt);
    /* the rollout: each step from the previous one's prediction */
    double loss = 0, appear = 0;
    const float* zin = z0;
    bool noisy = weighted && tr->zn;
    /* the noise's scale from the target encoder's latents of the batch: no gradient reaches it */
    if (noisy) latent_noise_scale(tr->zsd, zt, (size_t)R * B * cells, (int)C, tr->def.latent_noise);
    for (int r = 0; r < R; r++) {
        float* pin = tr->pin + (size_t)r * B * cells * (C + P);
        float* zh = tr->zhat + (size_t)r * n;
        if (noisy) {
            /* the step starts from a noisy copy; the residual adds to it, and its gradient is the
               clean latent's (the noise is a constant) */
            float* zn = tr->zn + (size_t)r * n;
            const float* ep = tr->eps + (size_t)r * n;
            for (size_t i = 0; i < n; i++) zn[i] = zin[i] + tr->zsd[i % C] * ep[i];
            zin = zn;
        }
        jepa_pred_input(m, B, zin, tr->pushes + (size_t)r * B * JEPA_MAX_PUSHES, tr->npush + (size_t)r * B, pin);
        const float* d = nn_convnet_forward(&m->pred, m->params, &tr->pred[r], B, pin);
        uint8_t* act = tr->act ? tr->act + (size_t)r * B * cells : NULL;
        if (act) jepa_pred_active(m, B, pin, act);
        jepa_pred_residual(m, (size_t)B * cells, zin, d, act, zh);
        const float* w = NULL;
        double wsum = (double)n;
        if (weighted && tr->wl) {
            wsum = motion_weights(tr, B, r, tr->def.motion_weight, tr->def.keypoint_weight, tr->wl);
            w = tr->wl;
        }
        float scale = (float)(1.0 / (wsum * R));
        loss += nn_loss_l1((int)n, zh, zt + (size_t)r * n, w, scale, grad ? tr->dzhat + (size_t)r * n : NULL);
        if (weighted && tr->def.pool_weight > 0)
            loss += jepa_pooled_l1(B, m->lh, m->lw, (int)C, tr->def.pool_size, zh, zt + (size_t)r * n,
                                   tr->def.pool_weight / (float)R, grad ? tr->dzhat + (size_t)r * n : NULL);
        /* the appearance head: training's loss only, as the motion weights */
        if (weighted && tr->head)
            appear += appearance_term(tr, B, r, zh, tr->def.appearance_weight / (float)R,
                                      grad ? tr->dzhat + (size_t)r * n : NULL);
        zin = zh;
    }
    if (z0_out) *z0_out = z0;
    if (appear_out) *appear_out = appear;
    return loss;
}

/* backward through the rollout and the encoder into grads; dz0 (the regularizer's gradient) is in
   tr->carry on entry */
static void batch_backward(JepaTrainer* tr, int B) {
    JepaModel* m = tr->model;
    int R = tr->R;
    size_t cells = (size_t)m->lh * m->lw, C = (size_t)m->lc, P = JEPA_PUSH_CHANNELS, n = (size_t)B * cells * C;
    /* from the last step back: z^_r = z^_(r-1) + f(pin_r) (+ the keypoints' velocity on their
       offsets, keypoint_cv), so z^_(r-1) gets z^_r's gradient (the residual) and f's gradient
       through the latent part of pin_r */
    float* g = tr->dzhat + (size_t)(R - 1) * n;
    for (int r = R - 1; r >= 0; r--) {
        memcpy(tr->dy, g, sizeof(float) * n);
        const float* pin = tr->pin + (size_t)r * B * cells * (C + P);
        const uint8_t* act = tr->act ? tr->act + (size_t)r * B * cells : NULL;
        /* a kept cell: the predictor's output there is not used */
        jepa_pred_gate_grad(m, (size_t)B * cells, act, tr->dy);
        nn_convnet_backward(&m->pred, m->params, tr->grads, &tr->pred[r], B, pin, tr->dy, tr->dpin);
        float* prev = r > 0 ? tr->dzhat + (size_t)(r - 1) * n : tr->carry;
        jepa_pred_residual_backward(m, (size_t)B * cells, g, tr->dpin, C + P, act, prev);
        g = prev;
    }
    jepa_enc_backward(m, m->params, tr->grads, &tr->enc, B, tr->x0, tr->carry);
}

/* target = ema * target + (1 - ema) * encoder */
NN_HOT static void ema_update(float* restrict target, const float* restrict online, int n, float ema) {
    float keep = ema, take = 1.0f - ema;
    for (int i = 0; i < n; i++) target[i] = keep * target[i] + take * online[i];
}

/* the whole loss of the copied batch (prediction + regularizer); with grad, its gradient in grads */
static double batch_loss(JepaTrainer* tr, bool grad, double* pred_out, JepaLatentStats* st) {
    JepaModel* m = tr->model;
    const JepaTrainerDef* d = &tr->def;
    int B = tr->B;
    size_t cells = (size_t)m->lh * m->lw, C = (size_t)m->lc, n = (size_t)B * cells * C;
    const float* z0 = NULL;
    double appear = 0;
    if (grad && tr->head) memset(tr->dhead, 0, sizeof(float) * (size_t)tr->nhead);
    double pred = batch_forward(tr, B, grad, true, &z0, &appear);
    memset(tr->carry, 0, sizeof(float) * n);
    double reg = jepa_reg(&tr->reg, B, (int)cells, (int)C, z0, d->var_target, d->var_weight, d->cov_weight,
                          grad ? tr->carry : NULL, st);
    /* the convolution channels are the latent's first arch.latent (the keypoints follow them) */
    reg += jepa_reg_space(B, (int)cells, (int)C, m->arch.latent, z0, d->var_target, d->var_space_weight,
                          grad ? tr->carry : NULL);
    double rec = 0;
    if (tr->rec) {
        if (grad) memset(tr->drec, 0, sizeof(float) * (size_t)tr->nrec);
        rec = recon_term(tr, B, z0, d->recon_weight, grad ? tr->carry : NULL);
    }
    double ev = 0;
    if (tr->ev) {
        if (grad) memset(tr->dev, 0, sizeof(float) * (size_t)tr->nev);
        ev = jepa_event_loss(B, (int)cells, (int)C, z0, tr->ev, tr->ev_y, tr->ev_ok, tr->ev_pw, d->event_weight,
                             tr->ev_x, grad ? tr->carry : NULL, grad ? tr->dev : NULL, NULL);
    }
    double obj = 0;
    tr->enc.dobj = NULL;
    if (tr->dobj) {
        obj = objness_term(tr, B, grad);
        tr->enc.dobj = grad ? tr->dobj : NULL;
    }
    double loss = pred + reg + appear + rec + ev + obj;
    tr->obj_loss = (float)obj;
    tr->appear_loss = (float)appear;
    tr->rec_loss = (float)rec;
    tr->ev_loss = (float)ev;
    if (grad && isfinite(loss)) {
        memset(tr->grads, 0, sizeof(float) * (size_t)m->nparams);
        batch_backward(tr, B);
    }
    if (pred_out) *pred_out = pred;
    return loss;
}

/* latent_noise: the next batch's standard normal draws, from the noise's own stream */
static void draw_noise(JepaTrainer* tr) {
    if (!tr->eps) return;
    size_t n = (size_t)tr->R * tr->B * tr->model->lh * tr->model->lw * tr->model->lc;
    for (size_t i = 0; i < n; i++) tr->eps[i] = (float)rng_normal(&tr->noise_rng);
}

double jepa_trainer_loss_at(JepaTrainer* tr, const int64_t* seq, bool grad, const float** grads) {
    pthread_mutex_lock(&tr->data_lock);
    memcpy(tr->seq, seq, sizeof(int64_t) * (size_t)tr->B);
    batch_copy(tr, tr->replay, tr->B);
    event_labels(tr, tr->replay, tr->B);
    pthread_mutex_unlock(&tr->data_lock);
    /* a gradient call draws the batch's noise; the calls without one keep it (finite differences) */
    if (grad) draw_noise(tr);
    JepaLatentStats st;
    double loss = batch_loss(tr, grad, NULL, &st);
    if (grads) *grads = tr->grads;
    return loss;
}

bool jepa_trainer_step(JepaTrainer* tr) {
    JepaModel* m = tr->model;
    const JepaTrainerDef* d = &tr->def;
    int B = tr->B;
    pthread_mutex_lock(&tr->data_lock);
    bool by_push = !(d->break_sample > 0) && d->push_sample > 0;
    bool have = jepa_replay_sample_marked(tr->replay, &tr->rng, B, (tr->F - 1) * tr->S, tr->R * tr->S,
                                          by_push ? JEPA_MARK_PUSH : WM_BIT_BREAK,
                                          by_push ? d->push_sample : d->break_sample, tr->seq, &tr->marked_windows);
    if (have) batch_copy(tr, tr->replay, B);
    if (have) event_labels(tr, tr->replay, B);
    pthread_mutex_unlock(&tr->data_lock);
    if (!have) return false;
    draw_noise(tr);
    JepaLatentStats st;
    double pred = 0;
    double loss = batch_loss(tr, true, &pred, &st);
    if (!isfinite(loss)) {
        tr->skipped++;
        return false;
    }
    /* a linear warm-up of the learning rate */
    float warm = d->warmup > 0 && m->steps < d->warmup ? (float)(m->steps + 1) / (float)d->warmup : 1.0f;
    tr->opt.lr = d->lr * warm;
    double norm = nn_adamw_step(&tr->opt, m->params, tr->grads, m->layout.decay, d->clip);
    if (!isfinite(norm)) {
        tr->skipped++;
        return false;
    }
    if (tr->head) {
        tr->head_opt.lr = d->lr * warm;
        nn_adamw_step(&tr->head_opt, tr->head, tr->dhead, NULL, d->clip);
    }
    if (tr->rec) {
        tr->rec_opt.lr = d->lr * warm;
        nn_adamw_step(&tr->rec_opt, tr->rec, tr->drec, NULL, d->clip);
    }
    if (tr->ev) {
        tr->ev_opt.lr = d->lr * warm;
        nn_adamw_step(&tr->ev_opt, tr->ev, tr->dev, NULL, d->clip);
    }
    ema_update(m->target, m->params, m->enc_count, d->ema);
    m->steps++;
    tr->last = (float)loss;
    tr->pred_loss = (float)pred;
    tr->latent = st;
    tr->ema_loss = isnan(tr->ema_loss) ? (float)pred : 0.98f * tr->ema_loss + 0.02f * (float)pred;
    return true;
}

float jepa_trainer_validate(JepaTrainer* tr, int max_batches) {
    double sum = 0;
    int count = 0;
    int64_t cursor = 0;
    for (int b = 0; b < max_batches; b++) {
        pthread_mutex_lock(&tr->data_lock);
        int got = jepa_replay_sweep(tr->val, &cursor, tr->B, (tr->F - 1) * tr->S, tr->R * tr->S, 7, tr->seq);
        if (got > 0) batch_copy(tr, tr->val, got);
        pthread_mutex_unlock(&tr->data_lock);
        if (got == 0) break;
        double l = batch_forward(tr, got, false, false, NULL, NULL);
        if (!isfinite(l)) continue;
        sum += l * got;
        count += got;
    }
    tr->val_loss = count ? (float)(sum / count) : NAN;
    return tr->val_loss;
}

/* ---- publishing ---- */

void jepa_trainer_publish(JepaTrainer* tr) {
    event_to_model(tr);
    pthread_mutex_lock(&tr->pub_lock);
    jepa_copy(tr->pub, tr->model);
    tr->version++;
    pthread_mutex_unlock(&tr->pub_lock);
}

uint64_t jepa_trainer_snapshot(JepaTrainer* tr, JepaModel* dst, uint64_t have_version) {
    if (pthread_mutex_trylock(&tr->pub_lock) != 0) return have_version;
    uint64_t v = have_version;
    if (tr->version > have_version && jepa_copy(dst, tr->pub)) v = tr->version;
    pthread_mutex_unlock(&tr->pub_lock);
    return v;
}

void jepa_trainer_stats(JepaTrainer* tr, JepaTrainerStats* out) {
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&tr->data_lock);
    out->frames = jepa_replay_size(tr->replay);
    out->marked_windows = tr->marked_windows;
    out->val_frames = jepa_replay_size(tr->val);
    pthread_mutex_unlock(&tr->data_lock);
    pthread_mutex_lock(&tr->pub_lock);
    out->version = tr->version;
    pthread_mutex_unlock(&tr->pub_lock);
    /* plain reads of the training thread's counters: display only */
    out->steps = tr->model->steps;
    out->train_loss = tr->ema_loss;
    out->last_loss = tr->last;
    out->pred_loss = tr->pred_loss;
    out->appearance_loss = tr->appear_loss;
    out->recon_loss = tr->rec_loss;
    out->objness_loss = tr->obj_loss;
    out->objness_changed = tr->obj_changed;
    out->event_loss = tr->ev_loss;
    out->event_pos_weight[0] = tr->ev_pw[0], out->event_pos_weight[1] = tr->ev_pw[1];
    out->val_loss = tr->val_loss;
    out->latent = tr->latent;
    out->skipped = tr->skipped;
}

int jepa_trainer_event_heads(JepaTrainer* tr, float** params, const float** grads) {
    if (params) *params = tr->ev;
    if (grads) *grads = tr->dev;
    return tr->nev;
}

int jepa_trainer_recon_decoder(JepaTrainer* tr, float** params, const float** grads) {
    if (params) *params = tr->rec;
    if (grads) *grads = tr->drec;
    return tr->nrec;
}

int jepa_trainer_appearance_head(JepaTrainer* tr, float** params, const float** grads) {
    if (params) *params = tr->head;
    if (grads) *grads = tr->dhead;
    return tr->nhead;
}

JepaModel* jepa_trainer_model(JepaTrainer* tr) {
    return tr->model;
}

JepaReplay* jepa_trainer_replay(JepaTrainer* tr) {
    return tr->replay;
}

JepaReplay* jepa_trainer_val_replay(JepaTrainer* tr) {
    return tr->val;
}

bool jepa_trainer_save(JepaTrainer* tr, const Probe* probe, const char* path, char* err, size_t err_size) {
    event_to_model(tr);
    return jepa_checkpoint_save(tr->model, &tr->opt, probe, path, err, err_size);
}

bool jepa_trainer_load_optimizer(JepaTrainer* tr, const char* path, char* err, size_t err_size) {
    NnAdamW opt;
    memset(&opt, 0, sizeof opt);
    opt.lr = tr->def.lr;
    opt.weight_decay = tr->def.weight_decay;
    bool has = false;
    JepaModel* m = jepa_checkpoint_load(path, &opt, &has, NULL, NULL, err, err_size);
    if (!m) return false;
    jepa_free(m);
    if (has && opt.n == tr->opt.n) {
        nn_adamw_free(&tr->opt);
        tr->opt = opt;
    } else if (has) {
        nn_adamw_free(&opt);
    }
    return true;
}
