/* writer: writing a dataset folder. A DataWriter owns the folder (refusing foreign ones, resuming
 * matching ones, the manifest); a DataShardBuf holds one shard's arrays in memory while episodes
 * are recorded into it, then writes the shard into a temporary folder and renames it into place,
 * so a shard folder exists only when it is complete. */
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
} DataWriter;

/// takes over meta (the caller's copy is zeroed); meta must have inputs, dims, episodes,
/// per_shard and shard_count
void    data_writer_init(DataWriter* w, DataManifest* meta);
void    data_writer_free(DataWriter* w);      /* NULL-safe */
/// episodes in shard s (the last shard may be short) and its first episode
int64_t data_writer_shard_count(const DataWriter* w, int shard);
int64_t data_writer_shard_first(const DataWriter* w, int shard);
/// bytes of one shard's arrays in memory (a double: it may be huge)
double  data_writer_shard_bytes(const DataWriter* w);

/// creates or checks the folder: refuses a folder holding a different dataset (naming the input
/// that differs) or anything else, and one holding this dataset unless resuming (or writing one
/// shard range); clears dead temporaries (a task of a job array, tasks > 0, only its own shards'
/// temporaries, whatever process left them: on a shared file system another node's live writer
/// has a process id that means nothing here); with resume, verifies the finished shards' sizes and
/// checksums; writes the first manifest
bool data_writer_prepare(DataWriter* w, const char* out, bool resume, bool sharded, char* err, size_t err_size);
/// true if DIR/shard-NNNNN is complete on disk
bool data_writer_shard_done(const DataWriter* w, int shard);
/// replaces manifest.json atomically, listing the complete shards in order
bool data_writer_write_manifest(const DataWriter* w, char* err, size_t err_size);

/// where one episode writes: pointers into its shard's arrays at the episode's offset
typedef struct DataSlot {
    float*     states;     /* [T, K, D] */
    uint8_t*   mask;       /* [T, K] */
    int32_t*   ids;        /* [T, K] */
    float*     actions;    /* [T, K, 4] */
    uint8_t*   contacts;   /* [T, K] */
    double*    params;     /* [P] */
    int32_t*   scenario;   /* [1] */
    uint64_t*  seed;       /* [1] */
    uint8_t*   frames;     /* [T, H, W, C] or NULL */
    double*    frame_rect; /* [4] the world rectangle the frames show, or NULL */
    DataEvent* events;     /* grown with realloc by the recorder; the shard buffer takes it */
    int        nevents, capevents;
} DataSlot;

/// appends an event to a slot
void data_slot_add_event(DataSlot* s, const DataEvent* e);

typedef struct DataShardBuf DataShardBuf;

/// one shard's arrays, sized for per_shard episodes and reused from shard to shard (the caller
/// bounds that size; out of memory is an abort with one line, base/alloc.h)
DataShardBuf* data_shard_buf_new(const DataWriter* w);
void          data_shard_buf_free(DataShardBuf* b);    /* NULL-safe */
/// readies b for shard s (drops the previous shard's events)
void          data_shard_buf_begin(DataShardBuf* b, const DataWriter* w, int shard);
int           data_shard_buf_shard(const DataShardBuf* b);
/// where episode i (0-based within the shard) writes
void          data_shard_buf_slot(DataShardBuf* b, int i, DataSlot* out);
/// takes episode i's events; with checksum, also computes its slices' CRC-32s now (on the thread
/// that recorded it, while they are in its cache), else data_shard_buf_write computes them (on a
/// writer thread, off the recording threads)
void          data_shard_buf_episode_done(DataShardBuf* b, int i, DataSlot* slot, bool checksum);
/// writes the shard into DIR/.tmp-shard-NNNNN-PID (write, fsync), then renames it to
/// DIR/shard-NNNNN; nothing is left behind on failure
bool          data_shard_buf_write(const DataWriter* w, DataShardBuf* b, char* err, size_t err_size);

#endif
