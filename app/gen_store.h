/* gen_store: a dataset's inputs, its shard arrays in memory, and its folder on disk (shards,
 * shard.json checksums, manifest.json). See README.md, "Dataset format". */
#ifndef NUDGE_APP_GEN_STORE_H
#define NUDGE_APP_GEN_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/gen_episode.h"
#include "sim/scenario.h"

#define GEN_FORMAT_VERSION 1

typedef struct GenDataset {
    char       out[4096];
    Scenario** scenarios;     /* sorted by path */
    int        nscenarios;
    int**      param_cols;    /* per scenario: params.npy column of each of its parameters */
    char**     param_names;   /* the union, in order of first appearance */
    int        nparams;
    int64_t    episodes;
    double     seconds;
    uint64_t   seed;
    int        per_shard;
    int        nshards;
    GenSpec    spec;
    double     dt;
    int        steps_per_tick;
    char*      inputs_json;   /* canonical one-line JSON of everything that defines the content */
} GenDataset;

/// loads the scenarios (a file, or every .scn in a folder) and fixes the dataset's shape
bool    gen_dataset_open(GenDataset* ds, const char* scenario, int64_t episodes, double seconds,
                         uint64_t seed, const char* agent, const char* frames, int per_shard,
                         const GenSpec* spec, char* err, size_t err_size);
void    gen_dataset_close(GenDataset* ds);
int64_t gen_shard_count(const GenDataset* ds, int shard);   /* episodes in shard */
double  gen_shard_bytes(const GenDataset* ds);               /* memory for one shard's arrays */

/// one shard's arrays in memory (sized for per_shard episodes, reused from shard to shard)
typedef struct GenShardArrays GenShardArrays;

GenShardArrays* gen_shard_arrays_new(const GenDataset* ds);     /* NULL when out of memory */
void            gen_shard_arrays_free(GenShardArrays* a, const GenDataset* ds);  /* NULL-safe */
/// readies a for shard s (drops the previous shard's events, fills the per-episode constants)
void            gen_shard_begin(GenShardArrays* a, const GenDataset* ds, int shard);
/// where episode i (0-based within the shard) writes
void            gen_shard_slot(GenShardArrays* a, const GenSpec* spec, int i, GenSlot* out);
/// takes episode i's events and checksums its slices (call on the worker that ran it)
void            gen_shard_episode_done(GenShardArrays* a, int i, GenSlot* slot);
/// writes the shard into a temporary folder (write, fsync), then renames it into place; nothing
/// is left behind on failure
bool            gen_shard_finish(const GenDataset* ds, GenShardArrays* a, char* err, size_t err_size);

/// creates or checks the folder: refuses a folder holding a different dataset (or anything else),
/// and one holding this dataset unless resuming (or writing one shard range); clears dead
/// temporaries; with resume, verifies the finished shards' checksums; writes the first manifest
bool gen_store_prepare(GenDataset* ds, const char* out, bool resume, bool sharded, char* err,
                       size_t err_size);
/// true if shard-NNNNN is complete on disk
bool gen_store_shard_done(const GenDataset* ds, int shard);
/// replaces manifest.json atomically, listing the complete shards in order
bool gen_store_write_manifest(const GenDataset* ds, char* err, size_t err_size);

#endif
