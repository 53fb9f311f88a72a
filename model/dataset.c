/* dataset: a whole dataset in memory for training and evaluation, read shard by shard through
 * data/reader (which owns the format) straight into the arrays below */
#include "model/dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/checked_size.h"
#include "base/report.h"
#include "data/reader.h"
#include "sim/events.h"

void wm_dataset_free(WmDataset* d) {
    if (!d) return;
    free(d->states);
    free(d->mask);
    free(d->actions);
    free(d->contacts);
    free(d->bits);
    free(d);
}

/* the first non-finite state value of a shard, reported with its place */
static bool states_finite(const DataReader* r, int s, const float* st, size_t n, int T, int K, int D, char* err,
                          size_t err_size) {
    for (size_t i = 0; i < n; i++) {
        if (isfinite(st[i])) continue;
        char path[4400];
        data_reader_path(r, s, DATA_STATES, path, sizeof path);
        size_t c = i % (size_t)D, k = i / D % (size_t)K, t = i / D / K % (size_t)T, e = i / D / K / T;
        report_set(err, err_size, "%s: a non-finite value (%g) at episode %zu, record %zu, slot %zu, column %zu; "
                                  "a dataset must hold finite states",
                   path, st[i], e, t, k, c);
        return false;
    }
    return true;
}

WmDataset* wm_dataset_load(const char* dir, char* err, size_t err_size) {
    DataReader r;
    if (!data_reader_open(&r, dir, err, err_size)) return NULL;
    const DataManifest* m = &r.m;
    int64_t E = m->episodes, T = m->dims.records, K = m->dims.slots, D = m->dims.dim;
    WmDataset* d = alloc_zeroed(1, sizeof *d);
    /* every size from the manifest is checked for overflow before it allocates anything */
    size_t rec = 0, nstates = 0, nactions = 0, sstates = 0, sactions = 0;
    int64_t dims3[3] = {E, T, K};
    bool sized = size_product_ok(dims3, 3, 1, &rec) && size_mul_ok(rec, (size_t)D, &nstates) &&
                 size_mul_ok(nstates, sizeof(float), &sstates) && size_mul_ok(rec, 4, &nactions) &&
                 size_mul_ok(nactions, sizeof(float), &sactions);
    if (!sized) {
        report_set(err, err_size, "%s/manifest.json: %lld episodes of %lld records of %lld slots is too large", dir,
                   (long long)E, (long long)T, (long long)K);
        goto fail;
    }
    d->episodes = (int)E;
    d->ticks = (int)T;
    d->slots = (int)K;
    d->dim = (int)D;
    d->tick = m->tick;
    d->seed = m->seed;
    d->magic = m->has_inputs && m->inputs.magic;
    /* sized by the dataset: too large for this machine is bad input, not a crash */
    d->states = alloc_try_bytes(sstates);
    d->mask = alloc_try_bytes(rec);
    d->actions = alloc_try_bytes(sactions);
    d->contacts = alloc_try_bytes(rec);
    d->bits = alloc_try_bytes(rec);
    if (!d->states || !d->mask || !d->actions || !d->contacts || !d->bits) {
        report_set(err, err_size, "%s: %lld episodes (%.1f GB), too large for memory", dir, (long long)E,
                   (double)(sstates + sactions + 3 * rec) / 1e9);
        goto fail;
    }
    memset(d->bits, 0, rec);
    for (int s = 0; s < m->nshards; s++) {
        const DataShardEntry* sh = &m->shards[s];
        if (!data_reader_verify(&r, s, err, err_size)) goto fail;
        /* the shard's range lies inside [0, E) (checked by the reader), so these offsets fit */
        size_t off = (size_t)sh->first * (size_t)(T * K), n = (size_t)sh->count * (size_t)(T * K);
        if (!data_reader_read(&r, s, DATA_STATES, d->states + off * D, n * D * sizeof(float), err, err_size) ||
            !data_reader_read(&r, s, DATA_MASK, d->mask + off, n, err, err_size) ||
            !data_reader_read(&r, s, DATA_ACTIONS, d->actions + off * 4, n * 4 * sizeof(float), err, err_size) ||
            !data_reader_read(&r, s, DATA_CONTACTS, d->contacts + off, n, err, err_size) ||
            !states_finite(&r, s, d->states + off * D, n * D, (int)T, (int)K, (int)D, err, err_size))
            goto fail;
        /* events become per-record marks: one between records t and t + 1 marks record t + 1 */
        size_t nev = 0;
        DataEvent* ev = data_reader_events(&r, s, &nev, err, err_size);
        if (!ev) goto fail;
        for (size_t i = 0; i < nev; i++) {
            /* the episode index is global (version 1 also allowed one local to the shard) */
            int64_t ep = ev[i].episode, ge = ep >= sh->first && ep < sh->first + sh->count ? ep : ep + sh->first;
            if (ep < 0 || ge >= sh->first + sh->count || ev[i].tick < 0 || ev[i].tick >= T) {
                char path[4400];
                data_reader_path(&r, s, DATA_EVENTS, path, sizeof path);
                report_set(err, err_size, "%s: event %zu (episode %d, record %d) lies outside this shard's episodes "
                                          "[%lld, %lld) or records [0, %lld) (corrupted)",
                           path, i, ev[i].episode, ev[i].tick, (long long)sh->first,
                           (long long)(sh->first + sh->count), (long long)T);
                free(ev);
                goto fail;
            }
            /* an event after the last record marks nothing; bodies beyond the recorded slots have
               events but no states (wm_event_mark skips them) */
            int64_t rec = wm_event_label_record(ev[i].tick);
            if (rec >= T) continue;
            wm_event_mark(d->bits + ((size_t)ge * (size_t)T + (size_t)rec) * (size_t)K, (int)K, ev[i].type, ev[i].a);
        }
        free(ev);
    }
    data_reader_close(&r);
    return d;
fail:
    wm_dataset_free(d);
    data_reader_close(&r);
    return NULL;
}

bool wm_dataset_check_model(const WmDataset* d, const WmModel* m, const char* model_path, char* err,
                            size_t err_size) {
    const WmArch* a = wm_arch(m);
    if (a->slots != d->slots || a->dim != d->dim) {
        report_set(err, err_size, "%s: model has %d slots of %d columns, the dataset %d slots of %d columns",
                   model_path, a->slots, a->dim, d->slots, d->dim);
        return false;
    }
    return true;
}

void wm_dataset_fill(const WmDataset* d, WmReplay* r, int first, int count) {
    for (int e = first; e < first + count && e < d->episodes; e++) {
        wm_replay_begin_episode(r);
        for (int t = 0; t < d->ticks; t++) {
            size_t i = wm_dataset_index(d, e, t);
            wm_replay_add(r, d->states + i * d->dim, d->mask + i, d->contacts + i, d->actions + i * 4,
                          d->bits + i);
        }
    }
    wm_replay_begin_episode(r);
}

void wm_dataset_keep(WmDataset* d, int first, int count) {
    if (first < 0 || count < 0 || first + count > d->episodes) return;
    size_t per = (size_t)d->ticks * d->slots;
    size_t off = (size_t)first * per, n = (size_t)count * per;
    memmove(d->states, d->states + off * d->dim, sizeof(float) * n * d->dim);
    memmove(d->mask, d->mask + off, n);
    memmove(d->actions, d->actions + off * 4, sizeof(float) * n * 4);
    memmove(d->contacts, d->contacts + off, n);
    memmove(d->bits, d->bits + off, n);
    d->episodes = count;
    /* shrink */
    d->states = alloc_resize(d->states, n * (size_t)d->dim, sizeof(float));
    d->actions = alloc_resize(d->actions, n * 4, sizeof(float));
    d->mask = alloc_resize(d->mask, n, 1);
    d->contacts = alloc_resize(d->contacts, n, 1);
    d->bits = alloc_resize(d->bits, n, 1);
}
