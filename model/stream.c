/* stream: a window of episodes (the replay buffer) sliding along data/stream's order */
#include "model/stream.h"

#include <stdlib.h>

#include "base/alloc.h"
#include "base/report.h"

struct WmStream {
    WmSource*   src;
    int         n;
    DataStream* order;
    WmDataset*  buf;        /* one episode */
    int64_t     ticks, episodes;
    size_t      order_bytes;
};

WmStream* wm_stream_create(WmSource* sources, const DataStreamSource* order, int n, uint64_t seed, char* err,
                           size_t err_size) {
    if (n < 1) {
        report_set(err, err_size, "no dataset to stream from");
        return NULL;
    }
    const DataDims* d0 = &sources[0].reader.m.dims;
    for (int i = 1; i < n; i++) {
        const DataDims* d = &sources[i].reader.m.dims;
        if (d->records != d0->records || d->slots != d0->slots || d->dim != d0->dim) {
            report_set(err, err_size, "%s: %d records of %d slots of %d columns per episode, %s has %d of %d of %d",
                       sources[i].reader.dir, d->records, d->slots, d->dim, sources[0].reader.dir, d0->records,
                       d0->slots, d0->dim);
            return NULL;
        }
    }
    DataStream* st = data_stream_create(order, n, seed);
    if (!st) {
        report_set(err, err_size, "no episode to stream from (or a weight that is not positive)");
        return NULL;
    }
    WmDataset* buf = wm_dataset_alloc(1, d0->records, d0->slots, d0->dim, sources[0].reader.m.tick * sources[0].reader.m.stride,
                                    err, err_size);
    if (!buf) {
        data_stream_free(st);
        return NULL;
    }
    WmStream* ws = alloc_zeroed(1, sizeof *ws);
    ws->src = sources;
    ws->n = n;
    ws->order = st;
    ws->buf = buf;
    for (int i = 0; i < n; i++) ws->order_bytes += sizeof(int64_t) * (size_t)(order[i].hi - order[i].lo + order[i].nshards + 1);
    return ws;
}

void wm_stream_free(WmStream* ws) {
    if (!ws) return;
    data_stream_free(ws->order);
    wm_dataset_free(ws->buf);
    free(ws);
}

bool wm_stream_feed(WmStream* ws, WmReplay* r, int64_t ticks, char* err, size_t err_size) {
    WmDataset* b = ws->buf;
    while (ws->ticks < ticks) {
        int s = 0;
        int64_t e = 0;
        data_stream_next(ws->order, &s, &e);
        if (!wm_source_read(&ws->src[s], e, 1, b, 0, err, err_size)) return false;
        wm_replay_begin_episode(r);
        for (int t = 0; t < b->ticks; t++) {
            size_t i = wm_dataset_index(b, 0, t);
            wm_replay_add(r, b->states + i * b->dim, b->mask + i, b->contacts + i, b->actions + i * 4, b->bits + i);
        }
        wm_replay_begin_episode(r);
        ws->ticks += b->ticks;
        ws->episodes++;
    }
    return true;
}

int64_t wm_stream_ticks(const WmStream* ws) {
    return ws->ticks;
}

int64_t wm_stream_episodes(const WmStream* ws) {
    return ws->episodes;
}

size_t wm_stream_bytes(const WmStream* ws) {
    return wm_dataset_bytes_per_record(ws->buf->slots, ws->buf->dim) * (size_t)ws->buf->ticks + ws->order_bytes;
}
