/* dataset: a whole nudge dataset in memory (read through data/reader, which owns the format),
 * checked against this nudge's observation contract, filling replay buffers. */
#ifndef NUDGE_MODEL_DATASET_H
#define NUDGE_MODEL_DATASET_H
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/reader.h"
#include "model/replay.h"
#include "model/wm.h"

typedef struct WmDataset {
    int      episodes, ticks, slots, dim;   /* E, T, K, D */
    double   tick;                          /* s per record */
    uint64_t seed;
    float*   states;    /* [E*T*K*D] */
    uint8_t* mask;      /* [E*T*K] */
    float*   actions;   /* [E*T*K*4] push applied right after record t */
    uint8_t* contacts;  /* [E*T*K] */
    uint8_t* bits;      /* [E*T*K] marks WM_BIT_BREAK / WM_BIT_FALL: the events since record t - 1 (replay.h) */
    bool     magic;     /* written with gen --allow-magic: episodes may hold impossible events (train
                           refuses such a dataset; eval and voe read it) */
} WmDataset;

/// bytes a dataset in memory takes per record (K slots of D columns): states, actions, mask,
/// contacts and marks (3168 at 32 slots of 20 columns)
size_t     wm_dataset_bytes_per_record(int slots, int dim);
/// an empty dataset of E episodes of T records of K slots of D columns; NULL + one line ("too large
/// for memory") when it cannot be allocated
/// a model's step (its arch dt, a float) and a dataset's record interval, s, agree (to float precision)
static inline bool wm_dataset_same_step(float model_dt, double record_s) {
    return fabs((double)model_dt - record_s) <= 1e-6 * record_s;
}
WmDataset* wm_dataset_alloc(int64_t episodes, int ticks, int slots, int dim, double tick, char* err, size_t err_size);

/// one dataset opened for reading episode by episode (the streaming reader's model side): the
/// reader, which shards have had their checksums verified (each once, when first read), and one
/// shard's events at a time, turned into per-record marks as episodes are read
typedef struct WmSource {
    DataReader reader;
    uint8_t*   verified;   /* [nshards] */
    int        ev_shard;   /* the shard whose events are held (-1: none) */
    DataEvent* ev;
    size_t     nev;
} WmSource;

/// opens DIR (the manifest only: data_reader_open's checks); false + one line
bool       wm_source_open(WmSource* src, const char* dir, char* err, size_t err_size);
void       wm_source_close(WmSource* src);                 /* safe on a failed open */
/// reads episodes [first, first + count) of src, all in one shard, into episodes [at, at + count)
/// of d (same T, K, D): verifies the shard's checksums the first time, reads just those episodes'
/// bytes (data_reader_read_episodes), checks that the states are finite and marks the events;
/// false + one line ("DIR/shard-00003/states.npy: ...")
bool       wm_source_read(WmSource* src, int64_t first, int count, WmDataset* d, int at, char* err, size_t err_size);

/// loads every shard; NULL + one line ("DIR/manifest.json: ...") for a missing folder, a wrong
/// format or version, columns that differ from this nudge's observation, shards that overlap or
/// leave episodes out, sizes that overflow, a bad shard file or non-finite states
WmDataset* wm_dataset_load(const char* dir, char* err, size_t err_size);
void       wm_dataset_free(WmDataset* d);                  /* NULL-safe */
/// false + one line when the model cannot read this dataset (slots, dimensions)
bool       wm_dataset_check_model(const WmDataset* d, const WmModel* m, const char* model_path,
                                  char* err, size_t err_size);
/// appends episodes [first, first+count) to a replay buffer, one replay episode each
void       wm_dataset_fill(const WmDataset* d, WmReplay* r, int first, int count);

/// keeps only episodes [first, first+count) (renumbered from 0) and frees the rest of the memory
void       wm_dataset_keep(WmDataset* d, int first, int count);

/// record (episode e, tick t): pointers into the arrays
static inline const float* wm_dataset_states(const WmDataset* d, int e, int t) {
    return d->states + (((size_t)e * d->ticks + t) * d->slots) * d->dim;
}
static inline size_t wm_dataset_index(const WmDataset* d, int e, int t) {
    return ((size_t)e * d->ticks + t) * d->slots;
}

#endif
