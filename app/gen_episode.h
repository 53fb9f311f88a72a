/* gen_episode: records one dataset episode (states, mask, ids, actions, contacts, events, frames)
 * into a shard's arrays. Its content depends only on (scenario, seed, episode index, options). */
#ifndef NUDGE_APP_GEN_EPISODE_H
#define NUDGE_APP_GEN_EPISODE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/agent.h"
#include "sim/scenario.h"

/// one row of events.npy (packed: 21 bytes on disk)
typedef struct GenEvent {
    int32_t episode;
    int32_t tick;       /* record index: the event happened between records tick and tick + 1 */
    uint8_t type;       /* SimEventType */
    int32_t a, b;
    float   magnitude;
} GenEvent;

#define GEN_EVENT_BYTES 21
#define GEN_EVENT_DESCR \
    "[('episode', '<i4'), ('tick', '<i4'), ('type', 'u1'), ('a', '<i4'), ('b', '<i4'), ('magnitude', '<f4')]"

typedef struct GenSpec {
    int64_t ticks;       /* control ticks per episode */
    int     stride;      /* record every stride ticks */
    int     records;     /* T = ticks / stride + 1 */
    int     slots;       /* K */
    int     frame_w, frame_h, channels;  /* channels 0 = no frames */
    AgentOverride agent; /* changes to each scenario's agent */
    int     nparams;     /* P: columns of params.npy (union over scenarios) */
} GenSpec;

/// where one episode writes (pointers into the shard's arrays at this episode's offset)
typedef struct GenSlot {
    float*    states;    /* [T, K, D] */
    uint8_t*  mask;      /* [T, K] */
    int32_t*  ids;       /* [T, K] */
    float*    actions;   /* [T, K, 4] */
    uint8_t*  contacts;  /* [T, K] */
    double*   params;    /* [P], NaN where the scenario has no such parameter */
    uint8_t*  frames;    /* [T, H, W, C] or NULL */
    GenEvent* events;    /* grown with realloc; the caller frees */
    int       nevents, capevents;
} GenSlot;

/// runs episode `index` of scenario s with seed `seed`; param_col[i] is the params.npy column of
/// the scenario's parameter i. false + message on bad input (e.g. a parameter out of range)
bool gen_episode_run(const Scenario* s, const int* param_col, uint64_t seed, int32_t index,
                     const GenSpec* spec, GenSlot* out, char* err, size_t err_size);

#endif
