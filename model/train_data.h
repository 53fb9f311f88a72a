/* train_data: what offline training reads, within a memory cap. One or more datasets (same
 * records, slots and columns); the last tenth of each (at least one episode when it has two) is
 * held out for validation. Two ways, chosen by the cap:
 *
 *  - in memory: when every training episode fits in the replay buffer, with every held-out episode
 *    and one read buffer beside it, within the cap (and no --weights), the training episodes are
 *    read once, in dataset order, and stay resident: what nudge train always did;
 *  - streaming: otherwise. The held-out episodes kept for validation are at most a quarter of the
 *    cap (evenly spaced over the held-out ones when not all fit); the replay buffer takes the rest
 *    less the read buffer, and is a window sliding along a shuffled stream of the training episodes
 *    (model/stream.h): shuffled shards, shuffled episodes inside each shard, the datasets
 *    interleaved in proportion to their sizes or to --weights (in transitions), one tick taken in
 *    for every transition sampled.
 *
 * The cap counts the replay buffers, the validation episodes and the read buffer: the bytes that
 * grow with the data. The model, its optimizer state, the batch's scratch, the evaluation's and the
 * program's own memory are a fixed overhead beside it. */
#ifndef NUDGE_MODEL_TRAIN_DATA_H
#define NUDGE_MODEL_TRAIN_DATA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/dataset.h"
#include "model/replay.h"
#include "model/stream.h"

#define WM_TRAIN_MAX_SOURCES 64


typedef struct WmTrainDataPlan {
    bool    streaming;
    int64_t capacity;           /* replay buffer, ticks */
    int64_t val_capacity;       /* validation replay buffer, ticks */
    int64_t val_kept;           /* held-out episodes kept for validation */
    size_t  replay_bytes, val_bytes, read_bytes;
} WmTrainDataPlan;

typedef struct WmTrainData {
    int             n;
    WmSource        src[WM_TRAIN_MAX_SOURCES];
    int64_t         train_eps[WM_TRAIN_MAX_SOURCES];  /* episodes [0, train_eps) of each train */
    int64_t         val_eps[WM_TRAIN_MAX_SOURCES];    /* the rest are held out */
    int64_t         train_total, val_total;           /* episodes */
    int             ticks, slots, dim;                /* T, K, D */
    double          tick;                             /* s per record */
    WmTrainDataPlan plan;
    WmStream*       stream;                           /* streaming only */
    WmDataset*      val;                              /* the kept held-out episodes (NULL: none) */
} WmTrainData;

/// opens the datasets, splits them and plans the memory (weights NULL or n shares, each > 0 and
/// finite; NULL = in proportion to their sizes); false + one line for a bad dataset, datasets that
/// differ in records, slots, columns or tick, or a cap too small for two episodes of replay
bool wm_train_data_open(WmTrainData* td, const char* const* dirs, int n, const double* weights, int64_t memory,
                        uint64_t seed, char* err, size_t err_size);
void wm_train_data_close(WmTrainData* td);            /* safe on a failed open */
/// fills the replay buffers (train: capacity plan.capacity, val: plan.val_capacity) and reads the
/// validation episodes; false + one line on a read error
bool wm_train_data_fill(WmTrainData* td, WmReplay* train, WmReplay* val, char* err, size_t err_size);
/// streaming: slides the window once consumed transitions have been sampled since the fill (a
/// no-op in memory); false + one line on a read error
bool wm_train_data_advance(WmTrainData* td, WmReplay* train, int64_t consumed, char* err, size_t err_size);

#endif
