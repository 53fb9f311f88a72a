/* manifest: a dataset's manifest.json and its shards' shard.json, written and read with cJSON.
 * Readers accept any manifest of a version in [DATA_FORMAT_OLDEST, DATA_FORMAT_VERSION] however
 * it is laid out (pretty-printed, keys reordered); nothing compares manifests as text. */
#ifndef NUDGE_DATA_MANIFEST_H
#define NUDGE_DATA_MANIFEST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/format.h"

/// a scenario file of the dataset and the FNV-1a 64 hash of its text
typedef struct DataScenarioRef {
    char*    path;
    uint64_t fnv1a64;
} DataScenarioRef;

/// what defines a dataset's content, and nothing else (not --jobs, not --shard): a folder is
/// continued (--resume) only by a command with the same inputs
typedef struct DataInputs {
    DataScenarioRef* scenarios;
    int              nscenarios;
    int64_t          episodes;
    double           seconds;          /* simulated per episode */
    uint64_t         seed;
    char             agent[32];        /* "scenario" = each scenario's own */
    char             where[1025];      /* nudge gen --where: the condition episodes satisfy ("" = none) */
    bool             magic;            /* nudge gen --allow-magic: episodes may hold impossible events
                                          (magic events in events.npy); not for training */
    int              stride;
    double           push_every[2];    /* s; [0] < 0: the scenario's */
    double           push_dv[2];       /* m/s; [0] < 0: the scenario's */
    int              frame_w, frame_h, channels;   /* channels 0: no frames */
    bool             frames_aa;        /* nudge gen --frames-aa ("frames_aa": true; absent = false) */
    bool             frames_outline;   /* nudge gen --frames-outline ("frames_outline": true; absent = false) */
    int              per_shard;
    int              slots;
    int              format_version;
} DataInputs;

/// a shard file's size and CRC-32 as listed in the manifest (either may be absent)
typedef struct DataFileSum {
    bool     listed;
    bool     has_bytes, has_crc;
    int64_t  bytes;
    uint32_t crc32;
} DataFileSum;

/// one complete shard: a folder holding episodes [first, first + count)
typedef struct DataShardEntry {
    char        dir[64];               /* "shard-NNNNN": a plain name, never a path */
    int64_t     first, count;
    DataFileSum files[DATA_ARRAY_COUNT];
} DataShardEntry;

typedef struct DataManifest {
    int              version;
    bool             has_inputs;       /* a minimal manifest may lack them */
    DataInputs       inputs;
    DataDims         dims;
    int64_t          episodes;
    int              per_shard;
    int              shard_count;      /* shards the finished dataset has */
    bool             complete;
    uint64_t         seed;
    double           seconds, dt, tick;   /* tick = s per control tick (dt * steps_per_tick) */
    int              steps_per_tick;
    int64_t          control_ticks;
    int              stride;
    char**           params;           /* dims.nparams names */
    DataScenarioRef* scenarios;        /* as recorded (paths as given to gen) */
    int              nscenarios;
    DataShardEntry*  shards;           /* the complete shards, in order of first */
    int              nshards;
} DataManifest;

/// frees what a manifest owns (inputs, params, scenarios, shards); NULL-safe, leaves it zeroed
void  data_manifest_free(DataManifest* m);
void  data_inputs_free(DataInputs* in);

/// the manifest as JSON text (pretty-printed, ends with a newline; free it)
char* data_manifest_print(const DataManifest* m);
/// parses manifest text; path names the file in messages ("path:line:col: ..."). Checks the
/// format name and version, every field's type and range, and that the shards' episode ranges
/// are distinct plain folder names, do not overlap, and lie inside [0, episodes)
bool  data_manifest_parse(const char* text, size_t len, const char* path, DataManifest* m, char* err,
                          size_t err_size);
/// reads DIR/manifest.json (a regular file, never blocking) and parses it
bool  data_manifest_load(const char* dir, DataManifest* m, char* err, size_t err_size);

/// true if two inputs define the same content; otherwise false and `why` names the first input
/// that differs, e.g. "seed: 11 there, 12 here"
bool  data_inputs_same(const DataInputs* there, const DataInputs* here, char* why, size_t why_size);

/// a shard's entry as one line of JSON (shard.json; free it)
char* data_shard_entry_print(const DataShardEntry* e);
/// parses shard.json text
bool  data_shard_entry_parse(const char* text, const char* path, DataShardEntry* e, char* err,
                             size_t err_size);
/// true if two entries list the same range, files, sizes and checksums
bool  data_shard_entry_same(const DataShardEntry* a, const DataShardEntry* b);

#endif
