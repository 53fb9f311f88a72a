/* history: the timeline of an episode's ticks, kept so that one can go back in it (the view's
 * rewind and scrub bar, a recording's branches) and write it down (W in the view, replay --to-scn).
 *
 * Ticks are numbered along the timeline: tick 0 is where the history began, tick n the state after
 * n ticks (resets included: a reset is a tick). The history keeps
 *   - a snapshot of the episode (episode_save: seed, world, agent) every `snap_every` ticks, for the
 *     last `span` ticks, and for each of those ticks the action it applied and the agent's state
 *     after it: going back to tick n restores the snapshot at or before n and re-simulates the
 *     applied actions from there (at most snap_every - 1 ticks, no agent, no hooks);
 *   - the timeline's log: every tick that did something (a non-empty applied action, a reset), as
 *     far back as HISTORY_LOG_BYTES allow, from which an episode can be written as a scenario.
 * Ticking from a past position branches: what came after it is dropped, and the new ticks follow.
 * Everything depends only on the ticks given, so a replay that ticks and goes back as the view did
 * goes through the same states (a recording's branch records are replayed this way).
 *
 * A restored world continues from the snapshot's state but without Chipmunk's contact cache (see
 * sim/world.h): a re-simulated tick can differ from the first time through by round-off, which
 * contacts may grow. */
#ifndef NUDGE_AGENT_HISTORY_H
#define NUDGE_AGENT_HISTORY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/episode.h"
#include "sim/action.h"

/// defaults: a snapshot every 0.1 s, the last 30 s (ticks of 1/60 s)
#define HISTORY_SNAP_EVERY 6
#define HISTORY_SPAN (30 * 60)
/// the snapshots together take at most this much; older ones go first (bytes)
#define HISTORY_SNAP_BYTES ((size_t)256 << 20)
/// the log keeps at most this much of the timeline's actions; older ones go first (bytes)
#define HISTORY_LOG_BYTES ((size_t)64 << 20)

/// one tick that did something: its tick on the timeline and the action it applied
typedef struct HistoryEntry {
    int64_t   tick;
    SimAction action;
} HistoryEntry;

/// an episode on the timeline: its seed, the tick whose state is its start (its reset, or the
/// history's beginning) and its last tick; its actions are log[first .. first + count)
typedef struct HistoryEpisode {
    uint64_t seed;
    int64_t  start, end;
    int      first, count;
    bool     whole;     /* the log holds all of its actions (it did not start before the log) */
} HistoryEpisode;

typedef struct History History;

/// a history keeping a snapshot every snap_every ticks (>= 1) for the last span ticks (>= snap_every)
History* history_create(int snap_every, int span);
void     history_free(History* h);                     /* NULL-safe */
/// forgets everything and starts the timeline at e's state now (tick 0)
void     history_begin(History* h, const Episode* e);
/// after every tick of e: what it applied, the agent's state after it; a snapshot every snap_every
/// ticks. Ticking from a past position drops the timeline after it first (a branch)
void     history_tick(History* h, const Episode* e);
/// puts e at tick (history_oldest .. history_head) of the timeline; false + one line when it is
/// not kept (or the snapshot cannot be restored), e unchanged
bool     history_seek(History* h, Episode* e, int64_t tick, char* err, size_t err_size);

int64_t  history_head(const History* h);      /* the newest tick */
int64_t  history_pos(const History* h);       /* the tick e is at (head unless it went back) */
int64_t  history_oldest(const History* h);    /* the oldest tick it can go back to */
int      history_snap_every(const History* h);
/// the memory held: snapshots, per-tick entries and the log (bytes)
size_t   history_bytes(const History* h);

/// the log up to the current position: *n entries in tick order
const HistoryEntry* history_log(const History* h, int* n);
/// the whole log, up to the newest tick (the future too while back in the past)
const HistoryEntry* history_log_all(const History* h, int* n);
/// the episodes on the timeline up to the current position, oldest first; writes at most cap and
/// returns how many there are
int      history_episodes(const History* h, HistoryEpisode* out, int cap);

#endif
