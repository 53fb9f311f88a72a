#include "app/gen_run.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/report.h"
#include "base/rng.h"

/* this thread's CPU time (user + system), seconds */
static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* an episode recorded into a buffer, waiting for the writer thread */
typedef struct GenPending {
    int q, i, buf;
} GenPending;

typedef struct GenRun {
    GenDataset*       ds;
    const GenRunDef*  def;
    DataShardOut**    outs;        /* per queue index: the shard being written (NULL when done) */
    bool*             opened;      /* per queue index: its files were made (or failed to be) */
    int               nclaimed;    /* queue indices [0, nclaimed) are opened or being opened */
    int*              left;        /* per queue index: episodes not yet written */
    int               next_shard;  /* the queue: the next episode to hand out */
    int64_t           next_episode;
    int               open_shards, max_open;  /* claimed and not yet finished, and the bound */
    DataEpisodeBuf**  bufs;        /* episode buffers: one per worker, and a few more with a writer */
    DataSlot*         slots;       /* per buffer: where it records */
    int*              free_bufs;   /* a stack of the buffers no episode uses */
    int               nbufs, nfree;
    GenPending*       pending;     /* a ring of recorded episodes for the writer thread */
    int               pending_at, npending;
    int*              finished;    /* the finisher's queue of shards whose episodes are all written */
    int               nfinished, finished_upto;
    bool              stop, failed, workers_done, puts_done;
    char              err[1024 + 64];
    GenRunStats       stats;
    double            wait;        /* worker-seconds spent writing or waiting on the writing */
    pthread_mutex_t   lock;
    /* one condition per kind of waiter, so that each change wakes only the threads it concerns
       (with one condition broadcast at every change, each episode woke every thread) */
    pthread_cond_t    work;        /* workers (a buffer freed, a shard finished or opened) */
    pthread_cond_t    writer;      /* the writer thread (an episode recorded, the workers done) */
    pthread_cond_t    finisher;    /* the finisher (a shard's episodes all written, the puts done) */
} GenRun;

static void fail(GenRun* r, const char* msg) {
    if (!r->failed) snprintf(r->err, sizeof r->err, "%s", msg);
    r->failed = r->stop = true;
    pthread_cond_broadcast(&r->work);
    pthread_cond_broadcast(&r->writer);
    pthread_cond_broadcast(&r->finisher);
}

/* the next shard may be opened now: the finisher opens it ahead (at most one beyond the shard the
   workers are in), so that no worker makes a shard's files on its way to an episode */
static bool can_open_ahead(const GenRun* r) {
    return !r->stop && r->nclaimed < r->def->nshards && r->nclaimed <= r->next_shard + 1 && r->open_shards < r->max_open;
}

/* makes the files of queue index q, claimed by the caller (called without the lock, returns with
   it held); false when the opening failed (the run has failed) */
static bool open_shard(GenRun* r, int q) {
    char why[1024];
    DataShardOut* o = data_shard_out_open(&r->ds->writer, r->def->shards[q], why, sizeof why);
    pthread_mutex_lock(&r->lock);
    r->outs[q] = o;
    r->opened[q] = true;
    if (!o) fail(r, why);
    pthread_cond_broadcast(&r->work);   /* whoever writes its episodes may wait for it */
    return o != NULL;
}

/* writes episode i of queue index q from buffer b to its shard's files and frees the buffer
   (called without the lock, returns with it held); false when the run failed */
static bool put_episode(GenRun* r, int q, int i, int b) {
    pthread_mutex_lock(&r->lock);
    while (!r->opened[q]) pthread_cond_wait(&r->work, &r->lock);
    DataShardOut* o = r->outs[q];
    pthread_mutex_unlock(&r->lock);
    char why[1024];
    bool ok = o && data_shard_out_put(o, i, &r->slots[b], why, sizeof why);
    pthread_mutex_lock(&r->lock);
    r->free_bufs[r->nfree++] = b;
    if (!ok) {
        if (o) fail(r, why);   /* else its opening failed, and said why */
    } else if (--r->left[q] == 0) {
        r->finished[r->nfinished++] = q;
        pthread_cond_signal(&r->finisher);
    }
    /* a buffer for a worker (a broadcast: with workers writing, others wait on shards' openings) */
    pthread_cond_broadcast(&r->work);
    return ok;
}

/* the writer thread (up to 4 workers): checksums and writes the episodes the workers recorded, so
   that they only simulate and no two threads write the same files at once */
static void* writer_main(void* arg) {
    GenRun* r = arg;
    double c0 = thread_cpu();
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (r->npending == 0 && !r->workers_done) pthread_cond_wait(&r->writer, &r->lock);
        if (r->npending == 0) break;
        GenPending p = r->pending[r->pending_at];
        r->pending_at = (r->pending_at + 1) % r->nbufs;
        r->npending--;
        if (r->failed) {
            r->free_bufs[r->nfree++] = p.buf;
            pthread_cond_broadcast(&r->work);
            continue;
        }
        pthread_mutex_unlock(&r->lock);
        put_episode(r, p.q, p.i, p.buf);
    }
    r->stats.cpu_writer += thread_cpu() - c0;
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* the finisher: for each shard whose episodes are all written, the fsyncs, the rename and the
   manifest. It mostly waits on the disk, so it takes almost nothing from the workers' cores */
static void* finisher_main(void* arg) {
    GenRun* r = arg;
    DataWriter* w = &r->ds->writer;
    double c0 = thread_cpu();
    pthread_mutex_lock(&r->lock);
    /* the first shard's files (claimed for this thread by gen_run before any worker started, so
       that no worker makes them on its way to the first episode), then the first manifest (two
       fsyncs that the workers need not wait for: it is in place before any shard is, since this
       thread renames them) */
    if (r->def->nshards > 0) {
        /* always (even if the run already stopped): whoever writes its episodes waits for it */
        pthread_mutex_unlock(&r->lock);
        open_shard(r, 0);
    }
    if (r->def->manifest_first) {
        pthread_mutex_unlock(&r->lock);
        char err[1024];
        bool ok = data_writer_write_manifest(w, err, sizeof err);
        pthread_mutex_lock(&r->lock);
        if (!ok) fail(r, err);
    }
    for (;;) {
        while (r->finished_upto == r->nfinished && !r->puts_done && !can_open_ahead(r))
            pthread_cond_wait(&r->finisher, &r->lock);
        if (r->finished_upto == r->nfinished) {
            if (!can_open_ahead(r)) break;
            int q = r->nclaimed++;
            r->open_shards++;
            pthread_mutex_unlock(&r->lock);
            open_shard(r, q);
            continue;
        }
        int q = r->finished[r->finished_upto++];
        DataShardOut* o = r->outs[q];
        r->outs[q] = NULL;
        bool failed = r->failed;
        pthread_mutex_unlock(&r->lock);
        char err[1024];
        bool ok = true;
        if (failed) {
            data_shard_out_drop(o);
        } else {
            /* the manifest listing it is written and synced with its files (data/writer.h) */
            ok = data_shard_out_finish(w, o, r->def->manifest, err, sizeof err);
        }
        pthread_mutex_lock(&r->lock);
        r->open_shards--;
        if (!ok) {
            fail(r, err);
        } else if (!failed) {
            r->stats.episodes += data_writer_shard_count(w, r->def->shards[q]);
            r->stats.shards++;
            if (r->def->progress) {
                char extra[64];
                snprintf(extra, sizeof extra, " shard %d/%d", r->def->shards[q] + 1, w->meta.shard_count);
                progress_update(r->def->progress, r->stats.episodes, extra);
            }
        }
        pthread_cond_broadcast(&r->work);   /* a worker may wait to open a shard */
    }
    r->stats.cpu_finisher += thread_cpu() - c0;
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

static void* worker_main(void* arg) {
    GenRun* r = arg;
    GenDataset* ds = r->ds;
    DataWriter* w = &ds->writer;
    double c0 = thread_cpu();
    pthread_mutex_lock(&r->lock);
    for (;;) {
        if (*r->def->interrupted) r->stop = true;
        if (r->stop || r->next_shard >= r->def->nshards) break;
        int q = r->next_shard;
        int shard = r->def->shards[q];
        int64_t i = r->next_episode;
        /* a buffer to record into, and for a new shard not yet opened, the finisher not too far behind */
        bool opens = i == 0 && r->nclaimed == q;
        if (r->nfree == 0 || (opens && r->open_shards >= r->max_open)) {
            double t0 = clock_now();
            pthread_cond_wait(&r->work, &r->lock);
            r->wait += clock_now() - t0;
            continue;
        }
        if (opens) r->nclaimed++, r->open_shards++;
        int b = r->free_bufs[--r->nfree];
        if (++r->next_episode == data_writer_shard_count(w, shard)) {
            r->next_shard++, r->next_episode = 0;
            pthread_cond_signal(&r->finisher);   /* it may open the shard after the next */
        }
        pthread_mutex_unlock(&r->lock);

        char why[1024];
        if (opens && !open_shard(r, q)) {
            /* the finisher was behind: the worker that takes the shard's first episode makes its files */
            r->free_bufs[r->nfree++] = b;
            break;
        }
        if (opens) pthread_mutex_unlock(&r->lock);

        /* record episode i of the shard (into a buffer whose pages are faulted in at its first use,
           here, not all at the start: at --jobs 1 two or three of the five are ever used) */
        data_episode_buf_populate(r->bufs[b]);
        DataSlot* slot = &r->slots[b];
        int64_t e = data_writer_shard_first(w, shard) + i;
        int sc = 0;
        uint64_t seed = 0;
        bool ok = gen_dataset_episode(ds, e, &sc, &seed, why, sizeof why);
        *slot->scenario = sc;
        *slot->seed = seed;
        int beyond = 0;
        ok = ok && episode_record_run(ds->scenarios[sc], ds->param_cols[sc], seed, (int32_t)e, &ds->spec, slot, &beyond,
                                      why, sizeof why);
        if (ok && beyond > 0) {
            pthread_mutex_lock(&r->lock);
            r->stats.beyond_episodes++;
            r->stats.beyond_bodies += beyond;
            if (ds->spec.slots + beyond > r->stats.bodies_max) r->stats.bodies_max = ds->spec.slots + beyond;
            pthread_mutex_unlock(&r->lock);
        }
        if (!ok) {
            char msg[1024 + 64];
            snprintf(msg, sizeof msg, "episode %lld (seed %llu): %s", (long long)e, (unsigned long long)seed, why);
            pthread_mutex_lock(&r->lock);
            data_slot_clear(slot);
            r->free_bufs[r->nfree++] = b;
            fail(r, msg);
            break;
        }
        if (r->def->writer_thread) {
            /* to the writer thread */
            pthread_mutex_lock(&r->lock);
            r->pending[(r->pending_at + r->npending++) % r->nbufs] = (GenPending){q, (int)i, b};
            pthread_cond_signal(&r->writer);
        } else {
            /* written here (many workers: one writer thread would not keep up) */
            double t0 = clock_now();
            bool put = put_episode(r, q, (int)i, b);
            r->wait += clock_now() - t0;
            if (!put) break;
        }
    }
    r->stats.cpu_workers += thread_cpu() - c0;
    pthread_cond_broadcast(&r->work);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

int gen_run(GenDataset* ds, const GenRunDef* def, GenRunStats* stats, char* err, size_t err_size) {
    GenRun r;
    memset(&r, 0, sizeof r);
    r.ds = ds;
    r.def = def;
    int jobs = def->jobs < 1 ? 1 : def->jobs > 64 ? 64 : def->jobs;
    /* shards being recorded (one per worker, at most) and a couple being finished */
    r.max_open = jobs + 2;
    /* a buffer per worker, and with a writer thread a few more (GEN_WRITER_SPARE_BUFS) */
    r.nbufs = jobs + (def->writer_thread ? GEN_WRITER_SPARE_BUFS : 0);
    r.bufs = alloc_zeroed((size_t)r.nbufs, sizeof *r.bufs);
    r.slots = alloc_zeroed((size_t)r.nbufs, sizeof *r.slots);
    r.free_bufs = alloc_zeroed((size_t)r.nbufs, sizeof *r.free_bufs);
    r.pending = alloc_zeroed((size_t)r.nbufs, sizeof *r.pending);
    for (int b = 0; b < r.nbufs; b++) {
        r.bufs[b] = data_episode_buf_new(&ds->writer);
        data_episode_buf_slot(r.bufs[b], &r.slots[b]);
        r.free_bufs[r.nfree++] = r.nbufs - 1 - b;
    }
    size_t n = (size_t)(def->nshards > 0 ? def->nshards : 1);
    r.outs = alloc_zeroed(n, sizeof *r.outs);
    r.opened = alloc_zeroed(n, sizeof *r.opened);
    r.left = alloc_zeroed(n, sizeof *r.left);
    r.finished = alloc_zeroed(n, sizeof *r.finished);
    for (int q = 0; q < def->nshards; q++) r.left[q] = (int)data_writer_shard_count(&ds->writer, def->shards[q]);
    pthread_mutex_init(&r.lock, NULL);
    pthread_cond_init(&r.work, NULL);
    pthread_cond_init(&r.writer, NULL);
    pthread_cond_init(&r.finisher, NULL);
    /* shard 0 is the finisher's to open, not the first worker's (making a shard's folder and its
       files is a few hundred microseconds the first episode need not wait for) */
    if (def->nshards > 0) r.nclaimed = r.open_shards = 1;
    pthread_t finisher, writer, workers[64];
    double t0 = clock_now();
    pthread_create(&finisher, NULL, finisher_main, &r);
    if (def->writer_thread) pthread_create(&writer, NULL, writer_main, &r);
    for (int t = 1; t < jobs; t++) pthread_create(&workers[t], NULL, worker_main, &r);
    worker_main(&r);
    for (int t = 1; t < jobs; t++) pthread_join(workers[t], NULL);
    /* the workers are done: the writer and the finisher drain what they left, then stop */
    double tw = clock_now();
    pthread_mutex_lock(&r.lock);
    r.workers_done = true;
    pthread_cond_broadcast(&r.writer);
    pthread_mutex_unlock(&r.lock);
    if (def->writer_thread) pthread_join(writer, NULL);
    pthread_mutex_lock(&r.lock);
    r.puts_done = true;
    pthread_cond_broadcast(&r.finisher);
    pthread_mutex_unlock(&r.lock);
    pthread_join(finisher, NULL);
    r.wait += (clock_now() - tw) * jobs;
    double el = clock_now() - t0;
    r.stats.write_share = el > 0 ? r.wait / (el * jobs) : 0;
    pthread_cond_destroy(&r.work);
    pthread_cond_destroy(&r.writer);
    pthread_cond_destroy(&r.finisher);
    pthread_mutex_destroy(&r.lock);
    /* shards stopped part-way (an interruption, a failure): their temporaries go */
    for (int q = 0; q < def->nshards; q++) data_shard_out_drop(r.outs[q]);
    int status = 0;
    if (r.failed) {
        report_set(err, err_size, "%s", r.err);
        status = 2;
    } else if (*def->interrupted) {
        status = 130;
    }
    for (int b = 0; b < r.nbufs; b++) {
        free(r.slots[b].events);
        data_episode_buf_free(r.bufs[b]);
    }
    free(r.bufs);
    free(r.slots);
    free(r.free_bufs);
    free(r.pending);
    free(r.outs);
    free(r.opened);
    free(r.left);
    free(r.finished);
    if (stats) *stats = r.stats;
    return status;
}
