/* stream: shuffled shards, shuffled episodes inside a shard, sources interleaved by weight */
#include "data/stream.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/rng.h"

typedef struct StreamSide {
    DataStreamSource src;
    int64_t*         shard_first;  /* own copy */
    int64_t*         order;        /* [hi - lo]: this pass's episodes */
    int64_t          at;           /* next position in order */
    int64_t          pass;         /* passes begun */
    int64_t          given;        /* transitions handed out */
} StreamSide;

struct DataStream {
    int         n;
    uint64_t    seed;
    double      total_weight;
    StreamSide* side;
};

static void shuffle(int64_t* a, int64_t n, Rng* rng) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = rng_int(rng, 0, i);
        int64_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* a new pass: shards in a shuffled order, each shard's episodes (those in [lo, hi)) shuffled */
static void begin_pass(const DataStream* st, int i) {
    StreamSide* s = &st->side[i];
    Rng rng;
    rng_seed(&rng, rng_derive(rng_derive(st->seed, (uint64_t)i), (uint64_t)s->pass));
    int64_t* shards = alloc_array((size_t)s->src.nshards, sizeof *shards);
    for (int k = 0; k < s->src.nshards; k++) shards[k] = k;
    shuffle(shards, s->src.nshards, &rng);
    int64_t n = 0;
    for (int k = 0; k < s->src.nshards; k++) {
        int64_t a = s->shard_first[shards[k]], b = s->shard_first[shards[k] + 1];
        if (a < s->src.lo) a = s->src.lo;
        if (b > s->src.hi) b = s->src.hi;
        if (a >= b) continue;
        for (int64_t e = a; e < b; e++) s->order[n + e - a] = e;
        shuffle(s->order + n, b - a, &rng);
        n += b - a;
    }
    free(shards);
    s->at = 0;
    s->pass++;
}

DataStream* data_stream_create(const DataStreamSource* src, int n, uint64_t seed) {
    if (n < 1) return NULL;
    for (int i = 0; i < n; i++)
        if (src[i].hi <= src[i].lo || src[i].lo < 0 || !(src[i].weight > 0) || src[i].ticks < 1 || src[i].nshards < 1)
            return NULL;
    DataStream* st = alloc_zeroed(1, sizeof *st);
    st->n = n;
    st->seed = seed;
    st->side = alloc_zeroed((size_t)n, sizeof *st->side);
    for (int i = 0; i < n; i++) {
        StreamSide* s = &st->side[i];
        s->src = src[i];
        s->shard_first = alloc_array((size_t)src[i].nshards + 1, sizeof *s->shard_first);
        memcpy(s->shard_first, src[i].shard_first, sizeof *s->shard_first * ((size_t)src[i].nshards + 1));
        s->src.shard_first = s->shard_first;
        s->order = alloc_array((size_t)(src[i].hi - src[i].lo), sizeof *s->order);
        st->total_weight += src[i].weight;
        begin_pass(st, i);
    }
    return st;
}

void data_stream_free(DataStream* st) {
    if (!st) return;
    for (int i = 0; i < st->n; i++) {
        free(st->side[i].shard_first);
        free(st->side[i].order);
    }
    free(st->side);
    free(st);
}

void data_stream_next(DataStream* st, int* source, int64_t* episode) {
    /* the source furthest below its share: smallest (given + its next episode) / weight, so a
       source of long episodes waits until it is owed one */
    int best = 0;
    double best_key = 0;
    for (int i = 0; i < st->n; i++) {
        const StreamSide* s = &st->side[i];
        double key = (double)(s->given + s->src.ticks) / s->src.weight;
        if (i == 0 || key < best_key) best = i, best_key = key;
    }
    StreamSide* s = &st->side[best];
    if (s->at == s->src.hi - s->src.lo) begin_pass(st, best);
    *source = best;
    *episode = s->order[s->at++];
    s->given += s->src.ticks;
}

int64_t data_stream_given(const DataStream* st, int i) {
    return st->side[i].given;
}
