/* train_data: datasets split into training and held-out episodes, read within a memory cap */
#include "model/train_data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"

void wm_train_data_close(WmTrainData* td) {
    if (!td) return;
    wm_stream_free(td->stream);
    wm_dataset_free(td->val);
    for (int i = 0; i < td->n; i++) wm_source_close(&td->src[i]);
    memset(td, 0, sizeof *td);
}

/* the held-out episode of rank j over all datasets: its dataset and global episode index */
static void held_out(const WmTrainData* td, int64_t j, int* s, int64_t* e) {
    int i = 0;
    while (j >= td->val_eps[i]) j -= td->val_eps[i++];
    *s = i;
    *e = td->train_eps[i] + j;
}

static bool plan(WmTrainData* td, bool weighted, int64_t memory, char* err, size_t err_size) {
    WmTrainDataPlan* p = &td->plan;
    int64_t T = td->ticks;
    double rb = (double)wm_replay_bytes_per_transition(td->slots, td->dim);
    double db = (double)wm_dataset_bytes_per_record(td->slots, td->dim);
    double val_episode = (double)T * (rb + db), read = (double)T * db;
    for (int i = 0; i < td->n; i++) read += 8.0 * (double)(td->train_eps[i] + td->src[i].reader.m.nshards + 1);
    double all = (double)(td->train_total * T) * rb + (double)td->val_total * val_episode + read;
    p->read_bytes = (size_t)read;
    if (!weighted && all <= (double)memory) {
        /* everything resident, as nudge train always did */
        p->streaming = false;
        p->capacity = td->train_total * T + 2;
        p->val_kept = td->val_total;
    } else {
        p->streaming = true;
        int64_t vmax = (int64_t)((double)memory / 4 / val_episode);
        p->val_kept = td->val_total < vmax ? td->val_total : vmax;
        if (td->val_total > 0 && p->val_kept < 1) {
            report_set(err, err_size, "--memory %.1f MiB is too small: one held-out episode takes %.1f MiB for "
                                      "validation, and validation may use a quarter of the cap (at least %.0f MiB)",
                       (double)memory / 1048576, val_episode / 1048576, ceil(4 * val_episode / 1048576));
            return false;
        }
        double window = (double)memory - (double)p->val_kept * val_episode - read;
        p->capacity = window > 0 ? (int64_t)(window / rb) : 0;
        /* weighted data that would fit anyway: a window as large as the data, not the whole cap */
        int64_t whole = (td->train_total + 1) * T > 2 * T ? (td->train_total + 1) * T : 2 * T;
        if (p->capacity > whole) p->capacity = whole;
        if (p->capacity < 2 * T) {
            double need = 2 * (double)T * rb + read + (td->val_total > 0 ? 4 * val_episode : 0);
            report_set(err, err_size, "--memory %.1f MiB is too small: the replay window needs room for two episodes "
                                      "(%.1f MiB) beside validation and the read buffer; give at least %.0f MiB",
                       (double)memory / 1048576, 2 * (double)T * rb / 1048576, ceil(need / 1048576 * 4 / 3));
            return false;
        }
    }
    p->val_capacity = (p->val_kept > 0 ? p->val_kept : 1) * T + 2;
    p->replay_bytes = (size_t)((double)p->capacity * rb);
    p->val_bytes = (size_t)((double)p->val_kept * val_episode);
    return true;
}

bool wm_train_data_open(WmTrainData* td, const char* const* dirs, int n, const double* weights, int64_t memory,
                        uint64_t seed, char* err, size_t err_size) {
    memset(td, 0, sizeof *td);
    if (n < 1 || n > WM_TRAIN_MAX_SOURCES) {
        report_set(err, err_size, "%d datasets: expected 1 to %d", n, WM_TRAIN_MAX_SOURCES);
        return false;
    }
    for (int i = 0; i < n; i++) {
        if (weights && !(weights[i] > 0 && isfinite(weights[i]))) {
            report_set(err, err_size, "weight %d (%g) for %s: expected a positive number", i + 1, weights[i], dirs[i]);
            wm_train_data_close(td);
            return false;
        }
        if (!wm_source_open(&td->src[i], dirs[i], err, err_size)) {
            wm_train_data_close(td);
            return false;
        }
        td->n = i + 1;
        const DataManifest* m = &td->src[i].reader.m;
        if (m->has_inputs && m->inputs.magic) {
            /* impossible events teach impossible physics: such a dataset is for evaluation */
            report_set(err, err_size, "%s/manifest.json: expected a dataset without magic, got one written with "
                                      "--allow-magic (impossible events are for evaluation, not training)", dirs[i]);
            wm_train_data_close(td);
            return false;
        }
        if (i == 0) {
            td->ticks = m->dims.records;
            td->slots = m->dims.slots;
            td->dim = m->dims.dim;
            td->tick = m->tick * m->stride;   /* s per record: a control tick times gen's --stride */
        } else if (m->dims.records != td->ticks || m->dims.slots != td->slots || m->dims.dim != td->dim ||
                   m->tick * m->stride != td->tick) {
            report_set(err, err_size, "%s: episodes of %d records of %d slots of %d columns every %g s, but %s has "
                                      "%d of %d of %d every %g s; datasets trained on together must agree",
                       dirs[i], m->dims.records, m->dims.slots, m->dims.dim, m->tick * m->stride, dirs[0], td->ticks,
                       td->slots, td->dim, td->tick);
            wm_train_data_close(td);
            return false;
        }
        /* the last tenth (at least one) held out, when there are two episodes or more */
        int64_t E = m->episodes, nval = E >= 2 ? (E + 9) / 10 : 0;
        td->train_eps[i] = E - nval;
        td->val_eps[i] = nval;
        td->train_total += E - nval;
        td->val_total += nval;
    }
    if (!plan(td, weights != NULL, memory, err, err_size)) {
        wm_train_data_close(td);
        return false;
    }
    if (td->plan.streaming) {
        DataStreamSource order[WM_TRAIN_MAX_SOURCES];
        int64_t* firsts[WM_TRAIN_MAX_SOURCES];
        for (int i = 0; i < n; i++) {
            const DataManifest* m = &td->src[i].reader.m;
            firsts[i] = alloc_array((size_t)m->nshards + 1, sizeof(int64_t));
            for (int k = 0; k < m->nshards; k++) firsts[i][k] = m->shards[k].first;
            firsts[i][m->nshards] = m->episodes;
            order[i] = (DataStreamSource){.lo = 0, .hi = td->train_eps[i], .ticks = td->ticks > 1 ? td->ticks - 1 : 1,
                                          .weight = weights ? weights[i] : (double)td->train_eps[i],
                                          .nshards = m->nshards, .shard_first = firsts[i]};
        }
        td->stream = wm_stream_create(td->src, order, n, seed, err, err_size);
        for (int i = 0; i < n; i++) free(firsts[i]);
        if (!td->stream) {
            wm_train_data_close(td);
            return false;
        }
    }
    return true;
}

bool wm_train_data_fill(WmTrainData* td, WmReplay* train, WmReplay* val, char* err, size_t err_size) {
    const WmTrainDataPlan* p = &td->plan;
    /* the held-out episodes kept, evenly spaced over all of them */
    if (p->val_kept > 0) {
        td->val = wm_dataset_alloc(p->val_kept, td->ticks, td->slots, td->dim, td->tick, err, err_size);
        if (!td->val) return false;
        for (int64_t i = 0; i < p->val_kept; i++) {
            int s = 0;
            int64_t e = 0;
            held_out(td, (2 * i + 1) * td->val_total / (2 * p->val_kept), &s, &e);
            if (!wm_source_read(&td->src[s], e, 1, td->val, (int)i, err, err_size)) return false;
        }
        wm_dataset_fill(td->val, val, 0, (int)p->val_kept);
    }
    if (p->streaming) return wm_stream_feed(td->stream, train, p->capacity, err, err_size);
    /* in memory: every training episode in dataset order, through a one-episode buffer */
    WmDataset* one = wm_dataset_alloc(1, td->ticks, td->slots, td->dim, td->tick, err, err_size);
    if (!one) return false;
    for (int i = 0; i < td->n; i++) {
        for (int64_t e = 0; e < td->train_eps[i]; e++) {
            if (!wm_source_read(&td->src[i], e, 1, one, 0, err, err_size)) {
                wm_dataset_free(one);
                return false;
            }
            wm_dataset_fill(one, train, 0, 1);
        }
    }
    wm_dataset_free(one);
    return true;
}

bool wm_train_data_advance(WmTrainData* td, WmReplay* train, int64_t consumed, char* err, size_t err_size) {
    if (!td->plan.streaming) return true;
    return wm_stream_feed(td->stream, train, td->plan.capacity + consumed, err, err_size);
}
