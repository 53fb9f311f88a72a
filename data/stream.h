/* stream: the order in which training visits the episodes of one or more datasets when they do
 * not all fit in memory at once. Pure order, no I/O: the caller reads each (source, episode) it is
 * given through data/reader (data_reader_read_episodes), one episode at a time.
 *
 * Per source, each pass over its episodes [lo, hi) visits its shards in a shuffled order and the
 * episodes inside a shard in a shuffled order (so reads stay within one shard's files for a while,
 * and consecutive episodes are still well mixed); every pass reshuffles, from (seed, source, pass).
 * Sources are interleaved by weight in transitions: the next episode comes from the source whose
 * share of the transitions handed out so far lies furthest below its weight (ties: the lower
 * index), so over any stretch each source contributes its weight's share of the transitions,
 * however long its episodes are. A stream is endless (passes repeat); the same seed, sources and
 * weights give the same sequence. */
#ifndef NUDGE_DATA_STREAM_H
#define NUDGE_DATA_STREAM_H
#include <stdbool.h>
#include <stdint.h>

typedef struct DataStreamSource {
    int64_t        lo, hi;        /* the episodes visited: [lo, hi), at least one */
    int64_t        ticks;         /* transitions per episode (records - 1; at least 1) */
    double         weight;        /* share of transitions (> 0; normalized over the sources) */
    int            nshards;       /* the source's shards ... */
    const int64_t* shard_first;   /* ... by their first episode, sorted; [nshards + 1], the last = episodes */
} DataStreamSource;

typedef struct DataStream DataStream;

/// a stream over n sources (copied, shard_first too); NULL when a source is empty or its weight
/// is not positive
DataStream* data_stream_create(const DataStreamSource* src, int n, uint64_t seed);
void        data_stream_free(DataStream* st);                    /* NULL-safe */
/// the next episode: its source and global episode index
void        data_stream_next(DataStream* st, int* source, int64_t* episode);
/// transitions handed out so far by source i
int64_t     data_stream_given(const DataStream* st, int i);

#endif
