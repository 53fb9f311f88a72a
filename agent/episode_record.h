/* episode_record: records one dataset episode (states and bodies, mask, actions, contacts, events,
 * frames) into a shard's arrays, through the one episode loop: what `nudge gen` writes. Its content
 * depends only on (scenario, seed, episode index, options).
 *
 * Events are recorded with the record after which they happened (events.npy 'tick' = r for an
 * event between records r and r + 1); model/replay.h says how they become labels. */
#ifndef NUDGE_AGENT_EPISODE_RECORD_H
#define NUDGE_AGENT_EPISODE_RECORD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/agent.h"
#include "data/writer.h"
#include "sim/scenario.h"

typedef struct EpisodeRecordSpec {
    int64_t ticks;       /* control ticks per episode */
    int     stride;      /* record every stride ticks */
    int     records;     /* T = ticks / stride + 1 */
    int     slots;       /* K */
    int     frame_w, frame_h, channels;  /* channels 0 = no frames */
    bool    frames_aa;   /* antialiased frames (render_world_frame's aa; gen --frames-aa) */
    bool    frames_outline; /* dynamic bodies outlined (render_world_frame's outline; gen --frames-outline) */
    AgentOverride agent; /* changes to each scenario's agent */
    int     nparams;     /* P: columns of params.npy (union over scenarios) */
} EpisodeRecordSpec;

/// runs episode `index` of scenario s with seed `seed`, recording into out; param_col[i] is the params.npy column of
/// the scenario's parameter i. false + message on bad input (e.g. a parameter out of range, or a scene with more
/// bodies at its start than spec->slots). Bodies made later beyond the slots (shards, spawns) are not recorded:
/// *beyond (may be NULL) gets their number, 0 when every body had its slot
bool episode_record_run(const Scenario* s, const int* param_col, uint64_t seed, int32_t index,
                        const EpisodeRecordSpec* spec, DataSlot* out, int* beyond, char* err, size_t err_size);

#endif
