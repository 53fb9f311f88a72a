/* recording: the .nrec file -- a run's action stream, to replay it, check it and turn it into a
 * scenario (README.md, "Recordings", has the byte layout).
 *
 * A recording is what episode_tick applied, tick by tick (agent/episode.h), plus a world hash and
 * the bodies' poses every `hash_every` ticks to check a replay against, and branch records where
 * the view went back in its history and went on from there (agent/history.h). It starts with a
 * header (magic "NUDGEREC", format version, the scenario's path and text hash, the first seed, dt,
 * physics steps per tick, the hash and snapshot intervals) and ends with an end record when it was
 * closed properly. Every record carries its length and a CRC-32, so a truncated or damaged file is
 * refused with the offset of the first bad byte, and never read past.
 *
 * The writer appends: records are buffered and written whole (every 30 ticks, and at close), so a
 * recorder killed at any moment leaves a file that reads up to its last write (without the end
 * record, which the reader reports). */
#ifndef NUDGE_AGENT_RECORDING_H
#define NUDGE_AGENT_RECORDING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/episode.h"
#include "agent/history.h"
#include "sim/action.h"

#define REC_MAGIC "NUDGEREC"
#define REC_VERSION 1
/// the largest recording read (bytes)
#define REC_MAX_BYTES ((size_t)1 << 30)
/// the largest path stored in a header (bytes)
#define REC_MAX_PATH 4095

/// what a recording is of
typedef struct RecHeader {
    uint32_t version;
    uint32_t hash_every;      /* a world hash and the poses after every this many ticks (>= 1) */
    uint32_t snap_every;      /* the history's snapshot interval when it was recorded (branches) */
    uint32_t steps_per_tick;  /* physics steps per control tick */
    double   dt;              /* physics step, s */
    uint64_t seed;            /* the first episode's seed */
    uint64_t scn_hash;        /* FNV-1a 64 of the scenario's text (scn_text_hash) */
    char     path[REC_MAX_PATH + 1]; /* the scenario, as an absolute path when it could be resolved */
} RecHeader;

/// a body's place when the hash was taken
typedef struct RecPose {
    int32_t id;
    double  x, y, angle;      /* centre of mass (m), angle (rad) */
} RecPose;

typedef enum RecItemType { REC_TICK = 1, REC_BRANCH = 2, REC_END = 3 } RecItemType;

/// one record: a tick (its action, maybe a hash) or a branch (go back to a tick of the timeline)
typedef struct RecItem {
    int      type;            /* RecItemType: REC_TICK or REC_BRANCH */
    int64_t  offset;          /* where it starts in the file (bytes) */
    int64_t  action;          /* tick: index into actions, -1 = nothing applied */
    bool     has_hash;
    uint64_t hash;            /* tick: sim_world_hash after it */
    int64_t  pose_first;      /* tick: poses[pose_first .. + npose) */
    int32_t  npose;
    int64_t  branch_to;       /* branch: the timeline tick to go back to */
} RecItem;

typedef struct Recording {
    RecHeader  h;
    RecItem*   items;
    int64_t    nitems;
    SimAction* actions;
    int64_t    nactions;
    RecPose*   poses;
    int64_t    nposes;
    int64_t    ticks;         /* tick records */
    bool       complete;      /* it ends with an end record */
} Recording;

/// reads and checks a whole recording: header, every record's length and CRC-32, every action
/// (sim_action_check), branches within the timeline. NULL + one line ("rec.nrec: truncated record
/// at offset 1234", "rec.nrec: corrupted header (CRC-32 mismatch)") on any bad input; never
/// crashes, never reads past the file, allocates only what the file's size allows
Recording* rec_load(const char* path, char* err, size_t err_size);
/// the same from a recording's size bytes in memory (path names it in messages)
Recording* rec_parse(const void* data, size_t size, const char* path, char* err, size_t err_size);
void       rec_free(Recording* r);   /* NULL-safe */

/// a replay of a recording on an episode begun with its scenario and first seed and no agent
/// (the recorded actions are the agent's too), through a history with its snapshot interval (for
/// its branches)
typedef struct RecReplay {
    const Recording* r;
    Episode*         e;
    History*         h;
    int64_t          item;     /* the next record */
    int64_t          tick;     /* tick records replayed */
    int64_t          hashes;   /* hashes compared */
    const RecItem*   last;     /* the tick record just replayed */
    bool             differs;  /* its hash was recorded and differs from the world's */
} RecReplay;

/// starts a replay of r on e (episode_begin with r's scenario, r->h.seed and SCN_AGENT_NONE)
void rec_replay_begin(RecReplay* rp, const Recording* r, Episode* e);
/// replays the next tick record (and the branch records before it): true when a tick was
/// replayed (rp->differs says whether its world hash differs from the recorded one), false at the
/// end or when a branch cannot be replayed (err says why; "" at the end)
bool rec_replay_next(RecReplay* rp, char* err, size_t err_size);
void rec_replay_end(RecReplay* rp);

typedef struct RecWriter RecWriter;

/// creates (or replaces) path and writes the header of a recording of e's scenario; false + one
/// line when it cannot be written. hash_every >= 1, snap_every = the history's interval (or 0)
RecWriter* rec_writer_open(const char* path, const Episode* e, uint32_t hash_every, uint32_t snap_every,
                           char* err, size_t err_size);
/// appends e's last tick (what it applied; the hash and poses every hash_every ticks of the timeline)
void       rec_writer_tick(RecWriter* w, const Episode* e);
/// appends a branch: the timeline goes back to tick (its ticks after it are gone)
void       rec_writer_branch(RecWriter* w, int64_t tick);
/// calls rec_writer_tick after every tick of e; false when e has no room for another hook
bool       rec_writer_attach(RecWriter* w, Episode* e);
/// false + one line when a write failed (the recording then stops growing)
bool       rec_writer_ok(const RecWriter* w, char* err, size_t err_size);
int64_t    rec_writer_ticks(const RecWriter* w);
/// writes the end record, flushes, syncs and closes; false + one line when something failed.
/// NULL-safe
bool       rec_writer_close(RecWriter* w, char* err, size_t err_size);

#endif
