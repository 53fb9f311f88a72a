/* jepa_live: the pixel model trained and read live (jepa_live.h) */
#define _GNU_SOURCE   /* pthread_setname_np */
#include "model/jepa_live.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "model/jepa_impl.h"
#include "model/jepa_probe.h"

/* the worker thread scores the frames at most this far behind the newest (0.5 s at 60 per second) */
#define JEPA_LIVE_SCORE_BEHIND 30

/* a frame waiting for the worker */
typedef struct LiveItem {
    int64_t  tick;
    uint8_t* pixels;         /* [fb] */
    JepaPush pushes[JEPA_MAX_PUSHES];
    int      npushes;
    float*   pos;            /* [K * 2] */
    uint8_t* mask;           /* [K] */
    bool     cut, episode;
} LiveItem;

struct JepaLive {
    JepaLiveDef  def;
    JepaTrainer* tr;
    JepaModel*   m;          /* the trainer's working model (the worker's) */
    JepaScratch* sc;
    int          W, H, ch, F, L, K;
    int          PF;            /* the slot probe's features per window (jepa_probe_width) */
    size_t       fb;
    /* the queue: items [tail, head) wait, at q[i % qcap] */
    pthread_mutex_t q_lock;
    LiveItem*    q;
    int          qcap;
    int64_t      head, tail;
    bool         drop_cut;   /* frames were dropped: the next one taken starts afresh */
    int64_t      dropped;
    /* the worker: the last frames, the previous frame for the trainer, the latents */
    LiveItem     cur;        /* the frame being taken (copied out of the queue) */
    JepaStream*  stream;     /* the last frames and latents (a window frame_step ticks back predicts the next) */
    uint8_t*     prev;       /* [fb] the last frame, handed to the trainer with the next one's pushes */
    bool         have_prev;
    JepaEvidence ev;         /* the surprise trace: evidence over the grid's mean L1 (model/jepa.h) */
    float*       roll;       /* [L] the predicted latent rolled out */
    float*       gxy;        /* [K * JEPA_LIVE_GHOST_STEPS * 2] the rollout's positions */
    uint8_t*     gok;        /* [K] */
    int64_t      frames;
    int64_t      last_ghost; /* tick of the last rollout (-1: none) */
    atomic_int   horizon;
    /* the probe's rows: the target latents of the newest frames and their slots' positions */
    float*       rx;         /* [probe_rows * L] */
    float*       ry;         /* [probe_rows * K * 2] */
    uint8_t*     rmask;      /* [probe_rows * K] */
    int64_t      nrows;      /* rows ever added; row i at i % probe_rows */
    Probe        probe;
    bool         have_probe;
    int64_t      steps;      /* steps this worker made */
    double       cpu_train, cpu_infer, cpu_probe;
    /* what the caller reads */
    pthread_mutex_t out_lock;
    JepaLiveRead out;
    /* the thread */
    pthread_t    thread;
    atomic_bool  quit;
    bool         started;
};

/* CPU seconds of the calling thread */
static double thread_cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

JepaLiveDef jepa_live_def_default(int frame_w, int frame_h, int channels, int slots) {
    JepaLiveDef d;
    memset(&d, 0, sizeof d);
    d.train = jepa_trainer_def_default(frame_w, frame_h, channels);
    /* live: small batches, so that the frames waiting during a step are taken soon (a step of 8
       windows takes about 0.15 CPU s at 128x96); a replay of about 3 minutes of frames at 60 per
       second */
    d.train.batch = 8;
    d.train.capacity = 12000;
    d.train.val_capacity = 1200;
    d.slots = slots;
    d.queue = 240;
    d.probe_rows = 600;
    d.probe_every = 150;
    d.ghost_every = 10;
    d.validate_every = 200;
    return d;
}

static void item_alloc(LiveItem* it, size_t fb, int K) {
    it->pixels = alloc_zeroed(fb, 1);
    it->pos = alloc_zeroed((size_t)K * 2, sizeof(float));
    it->mask = alloc_zeroed((size_t)K, 1);
}

static void item_free(LiveItem* it) {
    free(it->pixels), free(it->pos), free(it->mask);
}

/* copies a frame's contents (not its buffers) */
static void item_copy(LiveItem* dst, const LiveItem* src, size_t fb, int K) {
    dst->tick = src->tick;
    memcpy(dst->pixels, src->pixels, fb);
    memcpy(dst->pushes, src->pushes, sizeof dst->pushes);
    dst->npushes = src->npushes;
    memcpy(dst->pos, src->pos, sizeof(float) * (size_t)K * 2);
    memcpy(dst->mask, src->mask, (size_t)K);
    dst->cut = src->cut, dst->episode = src->episode;
}

void jepa_live_read_init(const JepaLive* L, JepaLiveRead* out) {
    memset(out, 0, sizeof *out);
    out->ghost = alloc_zeroed((size_t)L->K * JEPA_LIVE_GHOST_STEPS * 2, sizeof(float));
    out->ghost_ok = alloc_zeroed((size_t)L->K, 1);
    out->processed = out->ghost_tick = -1;
    out->probe_err_px = NAN;
    for (int i = 0; i < JEPA_LIVE_TRACE; i++) out->trace[i] = NAN, out->trace_tick[i] = -1;
}

void jepa_live_read_free(JepaLiveRead* out) {
    free(out->ghost), free(out->ghost_ok);
    out->ghost = NULL, out->ghost_ok = NULL;
}

JepaLive* jepa_live_create(const JepaLiveDef* def, const JepaModel* start, const Probe* probe,
                           char* err, size_t err_size) {
    JepaTrainer* tr = jepa_trainer_create(&def->train, start, err, err_size);
    if (!tr) return NULL;
    JepaLive* L = alloc_zeroed(1, sizeof *L);
    L->def = *def;
    if (L->def.queue < 2) L->def.queue = 2;
    if (L->def.probe_rows < 10) L->def.probe_rows = 10;
    if (L->def.probe_every < 1) L->def.probe_every = 1;
    if (L->def.ghost_every < 1) L->def.ghost_every = 1;
    L->tr = tr;
    L->m = jepa_trainer_model(tr);
    L->sc = jepa_scratch_create(L->m);
    const JepaArch* a = jepa_arch(L->m);
    L->W = a->frame_w, L->H = a->frame_h, L->ch = a->channels, L->F = a->context;
    L->L = jepa_latent_size(L->m);
    L->PF = jepa_probe_width(L->m);
    L->K = def->slots;
    L->fb = (size_t)L->W * L->H * L->ch;
    pthread_mutex_init(&L->q_lock, NULL);
    pthread_mutex_init(&L->out_lock, NULL);
    L->qcap = L->def.queue;
    L->q = alloc_zeroed((size_t)L->qcap, sizeof(LiveItem));
    for (int i = 0; i < L->qcap; i++) item_alloc(&L->q[i], L->fb, L->K);
    item_alloc(&L->cur, L->fb, L->K);
    L->stream = jepa_stream_create(L->m);
    L->prev = alloc_zeroed(L->fb, 1);
    size_t lat = (size_t)L->L;
    L->roll = alloc_zeroed(lat, sizeof(float));
    L->gxy = alloc_zeroed((size_t)L->K * JEPA_LIVE_GHOST_STEPS * 2, sizeof(float));
    L->gok = alloc_zeroed((size_t)L->K, 1);
    size_t R = (size_t)L->def.probe_rows;
    L->rx = alloc_array(R * (size_t)L->PF, sizeof(float));
    L->ry = alloc_array(R * L->K * 2, sizeof(float));
    L->rmask = alloc_array(R * L->K, 1);
    L->last_ghost = -1;
    atomic_init(&L->horizon, 30);
    atomic_init(&L->quit, false);
    jepa_live_read_init(L, &L->out);
    /* a starting probe that reads this model's latent (a checkpoint's) until the first refit */
    if (probe && probe->F == L->PF && probe->O >= 2 && probe->w) {
        L->probe = *probe;
        size_t F = (size_t)probe->F, KO = (size_t)probe->K * probe->O;
        L->probe.mean = alloc_array(F, sizeof(float));
        L->probe.w = alloc_array(KO * F, sizeof(float));
        L->probe.b = alloc_array(KO, sizeof(float));
        L->probe.fitted = alloc_array((size_t)probe->K, 1);
        L->probe.rows = alloc_array((size_t)probe->K, sizeof(int64_t));
        memcpy(L->probe.mean, probe->mean, F * sizeof(float));
        memcpy(L->probe.w, probe->w, KO * F * sizeof(float));
        memcpy(L->probe.b, probe->b, KO * sizeof(float));
        memcpy(L->probe.fitted, probe->fitted, (size_t)probe->K);
        memcpy(L->probe.rows, probe->rows, (size_t)probe->K * sizeof(int64_t));
        L->have_probe = true;
    }
    return L;
}

void jepa_live_free(JepaLive* L) {
    if (!L) return;
    jepa_live_stop(L);
    for (int i = 0; i < L->qcap; i++) item_free(&L->q[i]);
    free(L->q);
    item_free(&L->cur);
    jepa_stream_free(L->stream), free(L->prev);
    free(L->roll), free(L->gxy), free(L->gok);
    free(L->rx), free(L->ry), free(L->rmask);
    probe_free(&L->probe);
    jepa_live_read_free(&L->out);
    jepa_scratch_free(L->sc);
    jepa_trainer_free(L->tr);
    pthread_mutex_destroy(&L->q_lock);
    pthread_mutex_destroy(&L->out_lock);
    free(L);
}

/* ---- the caller's side ---- */

void jepa_live_add(JepaLive* L, const JepaLiveFrame* f) {
    pthread_mutex_lock(&L->q_lock);
    if (L->head - L->tail >= L->qcap) {
        /* the worker fell behind: the oldest waiting frame goes */
        L->tail++;
        L->dropped++;
        L->drop_cut = true;
    }
    LiveItem* it = &L->q[L->head % L->qcap];
    it->tick = f->tick;
    memcpy(it->pixels, f->pixels, L->fb);
    it->npushes = f->npushes < JEPA_MAX_PUSHES ? f->npushes : JEPA_MAX_PUSHES;
    if (it->npushes > 0) memcpy(it->pushes, f->pushes, sizeof(JepaPush) * (size_t)it->npushes);
    memcpy(it->pos, f->pos, sizeof(float) * (size_t)L->K * 2);
    memcpy(it->mask, f->mask, (size_t)L->K);
    it->cut = f->cut || f->episode;
    it->episode = f->episode;
    L->head++;
    pthread_mutex_unlock(&L->q_lock);
}

void jepa_live_set_horizon(JepaLive* L, int frames) {
    atomic_store(&L->horizon, frames < 1 ? 1 : frames > JEPA_LIVE_HORIZON_MAX ? JEPA_LIVE_HORIZON_MAX : frames);
}

void jepa_live_read(JepaLive* L, JepaLiveRead* out) {
    float* ghost = out->ghost;
    uint8_t* ok = out->ghost_ok;
    pthread_mutex_lock(&L->out_lock);
    *out = L->out;
    out->ghost = ghost, out->ghost_ok = ok;
    memcpy(ghost, L->out.ghost, sizeof(float) * (size_t)L->K * JEPA_LIVE_GHOST_STEPS * 2);
    memcpy(ok, L->out.ghost_ok, (size_t)L->K);
    pthread_mutex_unlock(&L->out_lock);
    pthread_mutex_lock(&L->q_lock);
    out->dropped = L->dropped;
    pthread_mutex_unlock(&L->q_lock);
    jepa_trainer_stats(L->tr, &out->train);
}

/* ---- the worker ---- */

/* the predicted future from z: the predictor rolled out (no pushes) to the horizon, read through
   the probe at JEPA_LIVE_GHOST_STEPS points, for the slots that held a body in this frame (the
   stream's latents of the frame just added). A predictor step is frame_step ticks: the points are
   whole steps (ghost_step in ticks) */
static void rollout(JepaLive* L, const LiveItem* it) {
    int H = atomic_load(&L->horizon), K = L->K, O = L->probe.O, S = jepa_arch(L->m)->frame_step;
    int steps[JEPA_LIVE_GHOST_STEPS], pstep[JEPA_LIVE_GHOST_STEPS];
    for (int i = 0; i < JEPA_LIVE_GHOST_STEPS; i++) {
        pstep[i] = (int)lround((double)H * (i + 1) / JEPA_LIVE_GHOST_STEPS / S);
        if (pstep[i] < 1) pstep[i] = 1;
        steps[i] = pstep[i] * S;
    }
    int PK = L->probe.K < K ? L->probe.K : K;
    float* y = alloc_array((size_t)L->probe.K * O, sizeof(float));
    /* only the bodies the probe finds where they are now: a slot that another body took since
       the probe was fitted (a shard, a spawned body) reads garbage */
    jepa_probe_apply(L->m, &L->probe, 1, jepa_stream_obs(L->stream), y);
    for (int k = 0; k < K; k++)
        L->gok[k] = k < PK && it->mask[k] && L->probe.fitted[k] &&
                    hypot(y[(size_t)k * O] - it->pos[2 * k], y[(size_t)k * O + 1] - it->pos[2 * k + 1]) <= JEPA_LIVE_GHOST_GATE;
    memcpy(L->roll, jepa_stream_z(L->stream), sizeof(float) * (size_t)L->L);
    for (int h = 1, i = 0; h <= pstep[JEPA_LIVE_GHOST_STEPS - 1]; h++) {
        jepa_predict(L->m, L->sc, 1, L->roll, NULL, NULL, L->roll);
        for (; i < JEPA_LIVE_GHOST_STEPS && pstep[i] == h; i++) {
            jepa_probe_apply(L->m, &L->probe, 1, L->roll, y);
            for (int k = 0; k < K; k++) {
                float u = k < PK ? y[(size_t)k * O] : NAN, v = k < PK ? y[(size_t)k * O + 1] : NAN;
                L->gxy[((size_t)k * JEPA_LIVE_GHOST_STEPS + i) * 2] = u;
                L->gxy[((size_t)k * JEPA_LIVE_GHOST_STEPS + i) * 2 + 1] = v;
                if (!isfinite(u) || !isfinite(v)) L->gok[k] = 0;
            }
        }
    }
    free(y);
    pthread_mutex_lock(&L->out_lock);
    L->out.ghost_tick = it->tick;
    memcpy(L->out.ghost_step, steps, sizeof steps);
    memcpy(L->out.ghost, L->gxy, sizeof(float) * (size_t)K * JEPA_LIVE_GHOST_STEPS * 2);
    memcpy(L->out.ghost_ok, L->gok, (size_t)K);
    pthread_mutex_unlock(&L->out_lock);
}

/* one frame: to the trainer (the previous frame goes in with this one's pushes), and when `score`,
   scored, its row for the probe, and now and then the predicted future. A frame not scored leaves
   no latent to predict the next one from */
static void take(JepaLive* L, const LiveItem* it, bool newest, bool score) {
    double c0 = thread_cpu();
    bool cut = it->cut || L->frames == 0;
    if (L->have_prev) jepa_trainer_add_frame(L->tr, L->prev, cut ? NULL : it->pushes, cut ? 0 : it->npushes);
    if (cut) jepa_trainer_begin_episode(L->tr);
    memcpy(L->prev, it->pixels, L->fb);
    L->have_prev = true;
    if (cut) jepa_stream_reset(L->stream), jepa_evidence_reset(&L->ev);
    float surprise = NAN;
    int got = jepa_stream_add(L->stream, it->pixels, it->pushes, it->npushes, score);
    if (got >= 1) {
        const float* obs = jepa_stream_obs(L->stream);
        if (got == 2) {
            float mean;
            jepa_surprise(L->m, 1, jepa_stream_pred(L->stream), obs, &mean, NULL);
            surprise = (float)jepa_evidence_add(&L->ev, mean);
        }
        /* the probe's row: this window's target latent and where the bodies are */
        size_t r = (size_t)(L->nrows % L->def.probe_rows);
        jepa_probe_features(L->m, 1, obs, L->rx + r * L->PF);
        memcpy(L->ry + r * L->K * 2, it->pos, sizeof(float) * (size_t)L->K * 2);
        memcpy(L->rmask + r * L->K, it->mask, (size_t)L->K);
        L->nrows++;
        /* the predicted future: every ghost_every frames, from the newest frame unless far behind */
        int64_t since = L->last_ghost < 0 ? INT64_MAX : it->tick - L->last_ghost;
        if (L->have_probe && since >= L->def.ghost_every && (newest || since >= 4 * L->def.ghost_every)) {
            rollout(L, it);
            L->last_ghost = it->tick;
        }
    }
    L->frames++;
    L->cpu_infer += thread_cpu() - c0;
    pthread_mutex_lock(&L->out_lock);
    int i = (int)(it->tick % JEPA_LIVE_TRACE);
    L->out.trace[i] = surprise;
    L->out.trace_cut[i] = cut;
    L->out.trace_tick[i] = it->tick;
    L->out.processed = it->tick;
    L->out.frames = L->frames;
    L->out.cpu_infer = L->cpu_infer;
    pthread_mutex_unlock(&L->out_lock);
}

/* takes the frames waiting now in order (not those that come meanwhile), scoring all of them, or
   when `behind` > 0 only the newest `behind` (the others go to the trainer alone, so that a worker
   short of CPU keeps training and stays close to the world); returns how many */
static int take_waiting(JepaLive* L, int behind) {
    int n = 0;
    pthread_mutex_lock(&L->q_lock);
    int64_t until = L->head;
    pthread_mutex_unlock(&L->q_lock);
    for (;;) {
        pthread_mutex_lock(&L->q_lock);
        bool have = L->tail < until;
        bool newest = L->head - L->tail == 1;
        bool score = behind <= 0 || L->head - L->tail <= behind;
        if (have) {
            item_copy(&L->cur, &L->q[L->tail % L->qcap], L->fb, L->K);
            if (L->drop_cut) L->cur.cut = true, L->drop_cut = false;
            L->tail++;
        }
        pthread_mutex_unlock(&L->q_lock);
        if (!have) return n;
        take(L, &L->cur, newest, score);
        n++;
    }
}

/* the rows from oldest to newest: row j of the n newest is ring row (nrows - n + j) % cap */
static void gather(const JepaLive* L, int64_t first, int n, float* x, float* y, uint8_t* mask) {
    int cap = L->def.probe_rows, K = L->K;
    for (int j = 0; j < n; j++) {
        size_t r = (size_t)((first + j) % cap);
        memcpy(x + (size_t)j * L->PF, L->rx + r * L->PF, sizeof(float) * (size_t)L->PF);
        memcpy(y + (size_t)j * K * 2, L->ry + r * K * 2, sizeof(float) * (size_t)K * 2);
        memcpy(mask + (size_t)j * K, L->rmask + r * K, (size_t)K);
    }
}

/* refits the probe on the older four fifths of the rows and scores it on the newest fifth, at the
   fixed ridge of short runs (live there are no episodes to hold out and choose one on), through
   probe_fit_gram: 480 rows of 3072 features at 128x96 and 28 slots, 0.18 CPU s where
   probe_fit's factorisation per slot took 8.9 (load 4) */
static void refit(JepaLive* L) {
    double c0 = thread_cpu();
    int cap = L->def.probe_rows, K = L->K, F = L->PF;
    int n = L->nrows < cap ? (int)L->nrows : cap, test = n / 5, fit = n - test;
    float* x = alloc_array((size_t)n * F, sizeof(float));
    float* y = alloc_array((size_t)n * K * 2, sizeof(float));
    uint8_t* mask = alloc_array((size_t)n * K, 1);
    gather(L, L->nrows - n, n, x, y, mask);
    Probe p;
    int slots = 0;
    if (probe_fit_gram(&p, fit, F, K, 2, x, y, mask, JEPA_PROBE_RIDGE_FEW, JEPA_PROBE_MIN_ROWS))
        for (int k = 0; k < K; k++) slots += p.fitted[k];
    double err = NAN;
    if (slots > 0) {
        /* the error on the newest rows: frames the probe was not fitted on */
        float* py = alloc_array((size_t)test * K * 2, sizeof(float));
        if (test > 0) probe_apply(&p, test, x + (size_t)fit * F, py);
        double se = 0;
        int ne = 0;
        for (int j = 0; j < test; j++)
            for (int k = 0; k < K; k++) {
                if (!mask[(size_t)(fit + j) * K + k] || !p.fitted[k]) continue;
                const float* a = py + ((size_t)j * K + k) * 2;
                const float* b = y + ((size_t)(fit + j) * K + k) * 2;
                double e = hypot(a[0] - b[0], a[1] - b[1]);
                if (isfinite(e)) se += e, ne++;
            }
        if (ne) err = se / ne;
        free(py);
        probe_free(&L->probe);
        L->probe = p;
        L->have_probe = true;
    } else {
        probe_free(&p);
    }
    free(x), free(y), free(mask);
    L->cpu_probe += thread_cpu() - c0;
    pthread_mutex_lock(&L->out_lock);
    L->out.probe_fits++;
    L->out.probe_step = jepa_train_steps(L->m);
    L->out.probe_rows = fit;
    L->out.probe_slots = slots;
    if (slots > 0) L->out.probe_err_px = err;
    L->out.cpu_probe = L->cpu_probe;
    pthread_mutex_unlock(&L->out_lock);
}

/* one training step, then validation and the probe when their turn comes; false when no step */
static bool train_once(JepaLive* L) {
    double c0 = thread_cpu();
    bool ok = jepa_trainer_step(L->tr);
    if (ok) {
        L->steps++;
        if (L->def.validate_every > 0 && L->steps % L->def.validate_every == 0) jepa_trainer_validate(L->tr, 2);
    }
    L->cpu_train += thread_cpu() - c0;
    pthread_mutex_lock(&L->out_lock);
    L->out.cpu_train = L->cpu_train;
    int64_t last = L->out.probe_fits ? L->out.probe_step : INT64_MIN / 2;
    pthread_mutex_unlock(&L->out_lock);
    int64_t steps = jepa_train_steps(L->m);
    /* the first refit as soon as there are rows; then after twice the steps of the last one's (the
       latent changes fast early on), and every probe_every steps from there */
    int64_t every = last < L->def.probe_every ? (last > 10 ? last : 10) : L->def.probe_every;
    bool due = L->out.probe_fits == 0 ? L->nrows >= L->def.probe_rows / 5 : steps - last >= every;
    if (ok && due) refit(L);
    return ok;
}

int jepa_live_work(JepaLive* L, int steps) {
    take_waiting(L, 0);
    int made = 0;
    for (int i = 0; i < steps; i++) made += train_once(L);
    return made;
}

static void* worker_main(void* arg) {
    JepaLive* L = arg;
    /* a lower priority for this thread alone (Linux: a thread's niceness is its own), nice steps
       above the niceness it inherited from the thread that started it, at most 19 */
    if (L->def.nice > 0) {
        errno = 0;
        int base = getpriority(PRIO_PROCESS, (id_t)gettid());
        if (base == -1 && errno) base = 0;
        int want = base + L->def.nice;
        setpriority(PRIO_PROCESS, (id_t)gettid(), want > 19 ? 19 : want);
    }
    double c0 = thread_cpu();
    pthread_mutex_lock(&L->out_lock);
    L->out.tid = (int)gettid();
    pthread_mutex_unlock(&L->out_lock);
    while (!atomic_load(&L->quit)) {
        int n = take_waiting(L, JEPA_LIVE_SCORE_BEHIND);
        if (atomic_load(&L->quit)) break;
        /* not enough frames to train on yet: wait for more without spinning */
        if (!train_once(L) && n == 0) {
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
            pthread_mutex_lock(&L->out_lock);
            L->out.naps++;
            pthread_mutex_unlock(&L->out_lock);
        }
        pthread_mutex_lock(&L->out_lock);
        L->out.cpu_total += thread_cpu() - c0;
        pthread_mutex_unlock(&L->out_lock);
        c0 = thread_cpu();
    }
    return NULL;
}

bool jepa_live_start(JepaLive* L) {
    if (L->started && !atomic_load(&L->quit)) return true;
    jepa_live_stop(L);   /* a thread asked to end: joined first */
    atomic_store(&L->quit, false);
    if (pthread_create(&L->thread, NULL, worker_main, L) != 0) return false;
    pthread_setname_np(L->thread, "nudge-pixel");
    L->started = true;
    return true;
}

void jepa_live_stop(JepaLive* L) {
    if (!L->started) return;
    atomic_store(&L->quit, true);
    pthread_join(L->thread, NULL);
    L->started = false;
}

void jepa_live_stop_soon(JepaLive* L) {
    if (L->started) atomic_store(&L->quit, true);
}

bool jepa_live_running(const JepaLive* L) { return L->started && !atomic_load(&L->quit); }

JepaTrainer* jepa_live_trainer(JepaLive* L) { return L->tr; }

const Probe* jepa_live_probe(const JepaLive* L) { return &L->probe; }

JepaModel* jepa_live_load(const char* path, Probe* probe, char* err, size_t err_size) {
    bool has = false;
    memset(probe, 0, sizeof *probe);
    JepaModel* m = jepa_checkpoint_load(path, NULL, NULL, probe, &has, err, err_size);
    if (m && !has) memset(probe, 0, sizeof *probe);
    return m;
}
