/* writer: writing a dataset folder. A DataWriter owns the folder (refusing foreign ones, resuming
 * matching ones, the manifest); a DataShardOut is one shard being written: episodes recorded into a
 * worker's DataEpisodeBuf go to their places in its temporary folder as they finish, and the
 * folder is renamed into place when the last is durable, so a shard folder exists only when it is
 * complete. */
#ifndef NUDGE_DATA_WRITER_H
#define NUDGE_DATA_WRITER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/format.h"
#include "data/manifest.h"

typedef struct DataWriter {
    char         out[4096];
    DataManifest meta;      /* everything but the shard list; inputs required */
    int          task, tasks; /* a job-array task (gen --shard I/N) writes shards s with s % tasks == task;
                                 tasks 0 = every shard (data_writer_init) */
    DataShardEntry* entries;  /* per shard: its shard.json once read by a manifest write, which reuses it */
    bool*           known;    /* per shard: entries[s] is filled */
    struct DataSyncPool* sync_pool; /* the threads that fsync a finished shard's files at once (made on
                                       first use, joined by data_writer_free) */
    bool            manifest_later; /* data_writer_prepare leaves the first manifest to the caller, which
                                       writes it before any shard is finished (gen: on the thread that
                                       finishes shards, while the workers start) */
} DataWriter;

/// takes over meta (the caller's copy is zeroed); meta must have inputs, dims, episodes,
/// per_shard and shard_count
void    data_writer_init(DataWriter* w, DataManifest* meta);
void    data_writer_free(DataWriter* w);      /* NULL-safe */
/// episodes in shard s (the last shard may be short) and its first episode
int64_t data_writer_shard_count(const DataWriter* w, int shard);
int64_t data_writer_shard_first(const DataWriter* w, int shard);
/// bytes of one episode's arrays in memory (a double: it may be huge)
double  data_writer_episode_bytes(const DataWriter* w);

/// creates or checks the folder: refuses a folder holding a different dataset (naming the input
/// that differs) or anything else, and one holding this dataset unless resuming (or writing one
/// shard range); clears dead temporaries (a task of a job array, tasks > 0, only its own shards'
/// temporaries, whatever process left them: on a shared file system another node's live writer
/// has a process id that means nothing here); with resume, verifies the finished shards' sizes and
/// checksums; writes the first manifest (unless manifest_later, outside a job array)
bool data_writer_prepare(DataWriter* w, const char* out, bool resume, bool sharded, char* err, size_t err_size);
/// true if DIR/shard-NNNNN is complete on disk
bool data_writer_shard_done(const DataWriter* w, int shard);
/// replaces manifest.json atomically, listing the complete shards in order. Each shard's shard.json is
/// read once (a complete shard does not change), not at every write: one thread at a time
bool data_writer_write_manifest(const DataWriter* w, char* err, size_t err_size);
/// the text data_writer_write_manifest writes, listing shard `shard` with `entry` too although
/// it is not yet in place (entry NULL: the complete shards only); free it
char* data_writer_manifest_text(const DataWriter* w, int shard, const DataShardEntry* entry);
/// a shard just put in place with this entry: later manifests list it without reading its shard.json
void  data_writer_shard_known(const DataWriter* w, int shard, const DataShardEntry* entry);

/// where one episode writes: one episode's slice of each array. data_slot_observe fills states,
/// mask, bodies and changes from full observations; the recorder fills the rest
typedef struct DataSlot {
    int         records, slots, dim;  /* T, K, D (the full observation's columns) */
    float*      states;     /* [K, T, SIM_OBS_DYNAMIC] (slot-first, format version 6) */
    uint8_t*    mask;       /* [T, K] */
    float*      bodies;     /* [K, D - SIM_OBS_DYNAMIC] */
    float*      actions;    /* [T, K, 4] */
    uint8_t*    contacts;   /* [T, K] */
    double*     params;     /* [P] */
    int32_t*    scenario;   /* [1] */
    uint64_t*   seed;       /* [1] */
    uint8_t*    frames;     /* [T, H, W, C] or NULL */
    double*     frame_rect; /* [4] the world rectangle the frames show, or NULL */
    DataEvent*  events;     /* grown with realloc by the recorder; the shard buffer takes it */
    int         nevents, capevents;
    DataChange* changes;    /* grown by data_slot_observe; the shard buffer takes it */
    int         nchanges, capchanges;
    float*      statics;    /* [K, D - SIM_OBS_DYNAMIC]: each slot's static columns as last recorded */
    uint8_t*    seen;       /* [K]: the slot's body was live at some record so far */
    uint8_t*    pushed;     /* [T]: actions' record t may be nonzero (the recorder sets it; the rest of
                               actions is zero, so the next episode in the buffer clears only these
                               records), or NULL: the recorder clears all of actions */
} DataSlot;

/// appends an event to a slot
void data_slot_add_event(DataSlot* s, const DataEvent* e);
/// records the observation of record r of global episode `episode` (record 0 starts the episode):
/// states [K, D] (sim_world_observe's), mask [K]. The dynamic columns go to states (zero where the
/// mask is 0: record 0 clears the slots the buffer's last episode used, and live slots only are
/// written); a body's static columns to bodies at its first live record, and a change row whenever
/// a live body's static column differs (bitwise) from what it was at its last. seen[k] then says
/// whether slot k holds anything: the writer skips the others (zeros) as holes
void data_slot_observe(DataSlot* s, int32_t episode, int r, const float* states, const uint8_t* mask);
/// frees the events and changes a slot holds (an episode not put)
void data_slot_clear(DataSlot* s);

/// one episode's arrays in memory: a worker records into them, episode after episode
typedef struct DataEpisodeBuf DataEpisodeBuf;

/// sized from the writer's dimensions (the caller bounds that size; out of memory is an abort with
/// one line, base/alloc.h)
DataEpisodeBuf* data_episode_buf_new(const DataWriter* w);
void            data_episode_buf_free(DataEpisodeBuf* b);   /* NULL-safe */
/// faults in the buffer's pages at once (MADV_POPULATE_WRITE: one system call instead of a fault
/// per page), the first time only: called by whoever records into it first, so that buffers never
/// used cost nothing and those used are prepared on the thread that uses them
void            data_episode_buf_populate(DataEpisodeBuf* b);
/// where the next episode records (no events yet)
void            data_episode_buf_slot(DataEpisodeBuf* b, DataSlot* out);

/// one shard being written: its temporary folder DIR/.tmp-shard-NNNNN-PID, whose files receive
/// the episodes' slices as they are put, and the episodes' checksums and events
typedef struct DataShardOut DataShardOut;

/// creates the temporary folder and the arrays' files (headers in place); NULL + one line on failure
DataShardOut* data_shard_out_open(const DataWriter* w, int shard, char* err, size_t err_size);
int           data_shard_out_shard(const DataShardOut* s);
/// writes episode i (0-based within the shard) from slot: checksums its slices, writes them to
/// their places and starts their write-back; takes the slot's events. Threads may put different
/// episodes of one shard at once. false + one line when a write fails (the shard is then dropped)
bool          data_shard_out_put(DataShardOut* s, int i, DataSlot* slot, char* err, size_t err_size);
/// once every episode is put: writes events.npy and the gathered small arrays and shard.json,
/// fsyncs every file and the folder, and renames it to DIR/shard-NNNNN. With manifest, also
/// replaces manifest.json by one that lists this shard: its temporary file is written and fsynced
/// together with the shard's files (one wait on the disk instead of three), and renamed only once
/// the shard's rename is durable, so a manifest never lists a shard that is not in place. Frees s
/// either way; nothing is left behind on failure (false + one line; the manifest then is the old one)
bool          data_shard_out_finish(const DataWriter* w, DataShardOut* s, bool manifest, char* err,
                                    size_t err_size);
/// the fsync threads of a writer (data_writer_init and data_writer_free call these)
struct DataSyncPool* data_sync_pool_new(void);
void                 data_sync_pool_free(struct DataSyncPool* p);   /* NULL-safe; joins its threads */

/// removes the temporary folder of an unfinished shard and frees s (NULL-safe)
void          data_shard_out_drop(DataShardOut* s);

#endif
