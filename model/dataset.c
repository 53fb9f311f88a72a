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

size_t wm_dataset_bytes_per_record(int slots, int dim) {
    return (size_t)slots * (sizeof(float) * ((size_t)dim + 4) + 3);
}

WmDataset* wm_dataset_alloc(int64_t episodes, int ticks, int slots, int dim, double tick, char* err, size_t err_size) {
    /* every size is checked for overflow before anything is allocated */
    size_t rec = 0, nstates = 0, nactions = 0, sstates = 0, sactions = 0;
    int64_t dims3[3] = {episodes, ticks, slots};
    bool sized = episodes >= 0 && episodes <= INT32_MAX && size_product_ok(dims3, 3, 1, &rec) &&
                 size_mul_ok(rec, (size_t)dim, &nstates) && size_mul_ok(nstates, sizeof(float), &sstates) &&
                 size_mul_ok(rec, 4, &nactions) && size_mul_ok(nactions, sizeof(float), &sactions);
    if (!sized) {
        report_set(err, err_size, "%lld episodes of %d records of %d slots is too large", (long long)episodes, ticks,
                   slots);
        return NULL;
    }
    WmDataset* d = alloc_zeroed(1, sizeof *d);
    d->episodes = (int)episodes;
    d->ticks = ticks;
    d->slots = slots;
    d->dim = dim;
    d->tick = tick;
    /* sized by the dataset: too large for this machine is bad input, not a crash */
    d->states = alloc_try_bytes(sstates ? sstates : 1);
    d->mask = alloc_try_bytes(rec ? rec : 1);
    d->actions = alloc_try_bytes(sactions ? sactions : 1);
    d->contacts = alloc_try_bytes(rec ? rec : 1);
    d->bits = alloc_try_bytes(rec ? rec : 1);
    if (!d->states || !d->mask || !d->actions || !d->contacts || !d->bits) {
        report_set(err, err_size, "%lld episodes (%.1f GB), too large for memory", (long long)episodes,
                   (double)(sstates + sactions + 3 * rec) / 1e9);
        wm_dataset_free(d);
        return NULL;
    }
    return d;
}

bool wm_source_open(WmSource* src, const char* dir, char* err, size_t err_size) {
    memset(src, 0, sizeof *src);
    src->ev_shard = -1;
    if (!data_reader_open(&src->reader, dir, err, err_size)) return false;
    src->verified = alloc_zeroed((size_t)(src->reader.m.nshards > 0 ? src->reader.m.nshards : 1), 1);
    return true;
}

void wm_source_close(WmSource* src) {
    if (!src) return;
    data_reader_close(&src->reader);
    free(src->verified);
    free(src->ev);
    memset(src, 0, sizeof *src);
    src->ev_shard = -1;
}

/* shard s's events, held until another shard's are needed; each checked to lie in the shard */
static bool source_events(WmSource* src, int s, char* err, size_t err_size) {
    if (src->ev_shard == s) return true;
    free(src->ev);
    src->ev = NULL;
    src->nev = 0;
    src->ev_shard = -1;
    const DataShardEntry* sh = &src->reader.m.shards[s];
    int64_t T = src->reader.m.dims.records;
    DataEvent* ev = data_reader_events(&src->reader, s, &src->nev, err, err_size);
    if (!ev) return false;
    for (size_t i = 0; i < src->nev; i++) {
        /* the episode index is global (version 1 also allowed one local to the shard) */
        int64_t ep = ev[i].episode, ge = ep >= sh->first && ep < sh->first + sh->count ? ep : ep + sh->first;
        if (ep < 0 || ge >= sh->first + sh->count || ev[i].tick < 0 || ev[i].tick >= T) {
            char path[4400];
            data_reader_path(&src->reader, s, DATA_EVENTS, path, sizeof path);
            report_set(err, err_size, "%s: event %zu (episode %d, record %d) lies outside this shard's episodes "
                                      "[%lld, %lld) or records [0, %lld) (corrupted)",
                       path, i, ev[i].episode, ev[i].tick, (long long)sh->first, (long long)(sh->first + sh->count),
                       (long long)T);
            free(ev);
            src->nev = 0;
            return false;
        }
        ev[i].episode = (int32_t)ge;
    }
    src->ev = ev;
    src->ev_shard = s;
    return true;
}

bool wm_source_read(WmSource* src, int64_t first, int count, WmDataset* d, int at, char* err, size_t err_size) {
    const DataReader* r = &src->reader;
    const DataManifest* m = &r->m;
    int T = d->ticks, K = d->slots, D = d->dim;
    if (first < 0 || count < 1 || first + count > m->episodes || at < 0 || at + count > d->episodes ||
        m->dims.records != T || m->dims.slots != K || m->dims.dim != D) {
        report_set(err, err_size, "%s: episodes [%lld, +%d) do not fit this read", r->dir, (long long)first, count);
        return false;
    }
    int s = data_reader_shard_of(r, first);
    const DataShardEntry* sh = &m->shards[s];
    if (first + count > sh->first + sh->count) {
        report_set(err, err_size, "%s: episodes [%lld, +%d) span two shards", r->dir, (long long)first, count);
        return false;
    }
    if (!src->verified[s]) {
        if (!data_reader_verify(r, s, err, err_size)) return false;
        src->verified[s] = 1;
    }
    int64_t local = first - sh->first;
    size_t off = (size_t)at * (size_t)T * (size_t)K, n = (size_t)count * (size_t)T * (size_t)K;
    float* st = d->states + off * D;
    if (!data_reader_observe(r, s, local, count, st, d->mask + off, err, err_size) ||
        !data_reader_read_episodes(r, s, DATA_ACTIONS, local, count, d->actions + off * 4, n * 4 * sizeof(float), err,
                                   err_size) ||
        !data_reader_read_episodes(r, s, DATA_CONTACTS, local, count, d->contacts + off, n, err, err_size))
        return false;
    /* a dataset must hold finite states: the first that is not is reported with its place */
    for (size_t i = 0; i < n * D; i++) {
        if (isfinite(st[i])) continue;
        char path[4400];
        data_reader_path(r, s, DATA_STATES, path, sizeof path);
        size_t c = i % (size_t)D, k = i / D % (size_t)K, t = i / D / K % (size_t)T, e = i / D / K / T;
        report_set(err, err_size, "%s: a non-finite value (%g) at episode %lld, record %zu, slot %zu, column %zu; "
                                  "a dataset must hold finite states",
                   path, st[i], (long long)(first + (int64_t)e), t, k, c);
        return false;
    }
    /* events become per-record marks: one between records t and t + 1 marks record t + 1 */
    if (!source_events(src, s, err, err_size)) return false;
    memset(d->bits + off, 0, n);
    for (size_t i = 0; i < src->nev; i++) {
        const DataEvent* ev = &src->ev[i];
        if (ev->episode < first || ev->episode >= first + count) continue;
        /* an event after the last record marks nothing; bodies beyond the recorded slots have
           events but no states (wm_event_mark skips them) */
        int64_t rec = wm_event_label_record(ev->tick);
        if (rec >= T) continue;
        size_t e = (size_t)(at + (ev->episode - first));
        wm_event_mark(d->bits + (e * (size_t)T + (size_t)rec) * (size_t)K, K, ev->type, ev->a);
    }
    return true;
}

WmDataset* wm_dataset_load(const char* dir, char* err, size_t err_size) {
    WmSource src;
    if (!wm_source_open(&src, dir, err, err_size)) return NULL;
    const DataManifest* m = &src.reader.m;
    char why[900];
    /* records are a control tick apart times the dataset's stride (gen --stride K) */
    WmDataset* d = wm_dataset_alloc(m->episodes, m->dims.records, m->dims.slots, m->dims.dim, m->tick * m->stride, why,
                                    sizeof why);
    if (!d) {
        report_set(err, err_size, "%s/manifest.json: %s", dir, why);
        wm_source_close(&src);
        return NULL;
    }
    d->seed = m->seed;
    d->magic = m->has_inputs && m->inputs.magic;
    /* shard by shard, each read whole */
    for (int s = 0; s < m->nshards; s++) {
        const DataShardEntry* sh = &m->shards[s];
        if (sh->count > 0 && !wm_source_read(&src, sh->first, (int)sh->count, d, (int)sh->first, err, err_size)) {
            wm_dataset_free(d);
            wm_source_close(&src);
            return NULL;
        }
    }
    wm_source_close(&src);
    return d;
}

bool wm_dataset_check_model(const WmDataset* d, const WmModel* m, const char* model_path, char* err,
                            size_t err_size) {
    const WmArch* a = wm_arch(m);
    if (a->slots != d->slots || a->dim != d->dim) {
        report_set(err, err_size, "%s: model has %d slots of %d columns, the dataset %d slots of %d columns",
                   model_path, a->slots, a->dim, d->slots, d->dim);
        return false;
    }
    if (!wm_dataset_same_step(a->dt, d->tick)) {
        report_set(err, err_size, "%s: the model steps %g s, the dataset's records are %g s apart (gen --stride)",
                   model_path, (double)a->dt, d->tick);
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
