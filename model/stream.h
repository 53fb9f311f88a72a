/* stream: trains on datasets larger than memory. A bounded window of episodes, the replay buffer
 * itself, is filled from one or more datasets (model/dataset.h's WmSource, read episode by episode
 * through data/reader) in data/stream.h's order: shards shuffled, episodes shuffled inside each
 * shard, sources interleaved by weight. The replay buffer drops its oldest ticks first, so adding
 * an episode evicts the oldest resident one: the window slides along the stream, and sampling
 * stays uniform over whatever is resident. wm_stream_feed is called with the number of ticks the
 * training has consumed so far (batch x steps): the window takes in one tick for every transition
 * sampled, so each transition is drawn once on average while it is resident, as in one epoch of
 * in-memory training. Only one episode is ever held outside the replay buffer (the read buffer). */
#ifndef NUDGE_MODEL_STREAM_H
#define NUDGE_MODEL_STREAM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/stream.h"
#include "model/dataset.h"
#include "model/replay.h"

typedef struct WmStream WmStream;

/// a stream over sources[i] (not owned; they must outlive it) visiting episodes as order[i] says
/// (data/stream.h); the read buffer is one episode. NULL + one line when the sources do not share
/// records, slots and columns, or the order is empty
WmStream* wm_stream_create(WmSource* sources, const DataStreamSource* order, int n, uint64_t seed, char* err,
                           size_t err_size);
void      wm_stream_free(WmStream* ws);                       /* NULL-safe */
/// adds whole episodes to the replay buffer until at least ticks ticks have been added since the
/// stream began (each episode one replay episode); false + one line on a read error
bool      wm_stream_feed(WmStream* ws, WmReplay* r, int64_t ticks, char* err, size_t err_size);
/// ticks and episodes added so far
int64_t   wm_stream_ticks(const WmStream* ws);
int64_t   wm_stream_episodes(const WmStream* ws);
/// bytes the stream itself holds (the read buffer and the order), beside the replay buffer
size_t    wm_stream_bytes(const WmStream* ws);

#endif
