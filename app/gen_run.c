#include "app/gen_run.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/report.h"
#include "base/rng.h"

typedef struct GenRun {
    GenDataset*       ds;
    const GenRunDef*  def;
    DataShardBuf**    bufs;        /* shard def->shards[i] records into bufs[i % nbufs] */
    int*              owner;       /* per buffer: the queue index that may use it next */
    int*              left;        /* per queue index: episodes not yet recorded */
    int               nbufs;
    int               next_shard;  /* the queue: the next episode to hand out */
    int64_t           next_episode;
    int*              finished;    /* the writer thread's queue of shards to write */
    int               nfinished, written_upto;
    bool              stop, failed, writer_done;
    char              err[1024];
    GenRunStats       stats;
    double            wait;        /* worker-seconds spent writing or waiting for a buffer */
    pthread_mutex_t   lock;
    pthread_mutex_t   manifest_lock;
    pthread_cond_t    cond;
} GenRun;

static void fail(GenRun* r, const char* msg) {
    if (!r->failed) snprintf(r->err, sizeof r->err, "%s", msg);
    r->failed = r->stop = true;
    pthread_cond_broadcast(&r->cond);
}

/* writes the shard of queue index q and hands its buffer to q + nbufs (called without the lock) */
static void write_shard(GenRun* r, int q) {
    DataWriter* w = &r->ds->writer;
    DataShardBuf* b = r->bufs[q % r->nbufs];
    char err[1024];
    bool ok = data_shard_buf_write(w, b, err, sizeof err);
    if (ok && r->def->manifest) {
        pthread_mutex_lock(&r->manifest_lock);
        ok = data_writer_write_manifest(w, err, sizeof err);
        pthread_mutex_unlock(&r->manifest_lock);
    }
    pthread_mutex_lock(&r->lock);
    if (!ok) {
        fail(r, err);
    } else {
        r->stats.episodes += data_writer_shard_count(w, r->def->shards[q]);
        r->stats.shards++;
        if (r->def->progress) {
            char extra[64];
            snprintf(extra, sizeof extra, " shard %d/%d", r->def->shards[q] + 1, w->meta.shard_count);
            progress_update(r->def->progress, r->stats.episodes, extra);
        }
    }
    r->owner[q % r->nbufs] = q + r->nbufs;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

static void* writer_main(void* arg) {
    GenRun* r = arg;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (r->written_upto == r->nfinished && !r->writer_done) pthread_cond_wait(&r->cond, &r->lock);
        if (r->written_upto == r->nfinished) break;
        int q = r->finished[r->written_upto++];
        if (r->failed) continue;
        pthread_mutex_unlock(&r->lock);
        write_shard(r, q);
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

static void* worker_main(void* arg) {
    GenRun* r = arg;
    GenDataset* ds = r->ds;
    DataWriter* w = &ds->writer;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        if (*r->def->interrupted) r->stop = true;
        if (r->stop || r->next_shard >= r->def->nshards) break;
        int q = r->next_shard;
        int shard = r->def->shards[q];
        DataShardBuf* b = r->bufs[q % r->nbufs];
        if (r->owner[q % r->nbufs] != q) {
            /* the buffer still holds an earlier shard being written */
            double t0 = clock_now();
            pthread_cond_wait(&r->cond, &r->lock);
            r->wait += clock_now() - t0;
            continue;
        }
        int64_t i = r->next_episode;
        if (i == 0) data_shard_buf_begin(b, w, shard);
        if (++r->next_episode == data_writer_shard_count(w, shard)) r->next_shard++, r->next_episode = 0;
        pthread_mutex_unlock(&r->lock);

        /* record episode i of the shard */
        int64_t e = data_writer_shard_first(w, shard) + i;
        int sc = 0;
        uint64_t seed = 0;
        DataSlot slot;
        data_shard_buf_slot(b, (int)i, &slot);
        char why[512];
        bool ok = gen_dataset_episode(ds, e, &sc, &seed, why, sizeof why);
        *slot.scenario = sc;
        *slot.seed = seed;
        ok = ok && episode_record_run(ds->scenarios[sc], ds->param_cols[sc], seed, (int32_t)e, &ds->spec, &slot, why,
                                      sizeof why);
        /* checksums where the writing happens: on the writer thread if there is one */
        data_shard_buf_episode_done(b, (int)i, &slot, !r->def->writer_thread);

        pthread_mutex_lock(&r->lock);
        if (!ok) {
            char msg[1024];
            snprintf(msg, sizeof msg, "episode %lld (seed %llu): %s", (long long)e, (unsigned long long)seed, why);
            fail(r, msg);
            break;
        }
        if (--r->left[q] > 0) continue;
        /* the last episode of the shard: write it, here or on the writer thread */
        if (r->def->writer_thread) {
            r->finished[r->nfinished++] = q;
            pthread_cond_broadcast(&r->cond);
        } else {
            pthread_mutex_unlock(&r->lock);
            double t0 = clock_now();
            write_shard(r, q);
            pthread_mutex_lock(&r->lock);
            r->wait += clock_now() - t0;
        }
    }
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

int gen_run(GenDataset* ds, const GenRunDef* def, GenRunStats* stats, char* err, size_t err_size) {
    GenRun r;
    memset(&r, 0, sizeof r);
    r.ds = ds;
    r.def = def;
    int jobs = def->jobs < 1 ? 1 : def->jobs > 64 ? 64 : def->jobs;
    /* one buffer per worker and one being written: nobody waits unless writing is the bottleneck */
    r.nbufs = jobs + (jobs > 1 || def->writer_thread ? 1 : 0);
    if (r.nbufs > def->nshards) r.nbufs = def->nshards > 0 ? def->nshards : 1;
    r.bufs = alloc_zeroed((size_t)r.nbufs, sizeof *r.bufs);
    r.owner = alloc_zeroed((size_t)r.nbufs, sizeof *r.owner);
    r.left = alloc_zeroed((size_t)(def->nshards > 0 ? def->nshards : 1), sizeof *r.left);
    r.finished = alloc_zeroed((size_t)(def->nshards > 0 ? def->nshards : 1), sizeof *r.finished);
    for (int i = 0; i < r.nbufs; i++) {
        r.owner[i] = i;
        r.bufs[i] = data_shard_buf_new(&ds->writer);
    }
    int status = 0;
    {
        for (int q = 0; q < def->nshards; q++) r.left[q] = (int)data_writer_shard_count(&ds->writer, def->shards[q]);
        pthread_mutex_init(&r.lock, NULL);
        pthread_mutex_init(&r.manifest_lock, NULL);
        pthread_cond_init(&r.cond, NULL);
        pthread_t writer, workers[64];
        double t0 = clock_now();
        if (def->writer_thread) pthread_create(&writer, NULL, writer_main, &r);
        for (int t = 1; t < jobs; t++) pthread_create(&workers[t], NULL, worker_main, &r);
        worker_main(&r);
        for (int t = 1; t < jobs; t++) pthread_join(workers[t], NULL);
        if (def->writer_thread) {
            /* the workers are done: the writer drains what they finished, then stops */
            double tw = clock_now();
            pthread_mutex_lock(&r.lock);
            r.writer_done = true;
            pthread_cond_broadcast(&r.cond);
            pthread_mutex_unlock(&r.lock);
            pthread_join(writer, NULL);
            r.wait += (clock_now() - tw) * jobs;
        }
        double el = clock_now() - t0;
        r.stats.write_share = el > 0 ? r.wait / (el * jobs) : 0;
        pthread_cond_destroy(&r.cond);
        pthread_mutex_destroy(&r.manifest_lock);
        pthread_mutex_destroy(&r.lock);
        if (r.failed) {
            report_set(err, err_size, "%s", r.err);
            status = 2;
        } else if (*def->interrupted) {
            status = 130;
        }
    }
    for (int i = 0; r.bufs && i < r.nbufs; i++) data_shard_buf_free(r.bufs[i]);
    free(r.bufs);
    free(r.owner);
    free(r.left);
    free(r.finished);
    if (stats) *stats = r.stats;
    return status;
}
