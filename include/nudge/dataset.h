/* nudge/dataset.h: datasets written by `nudge gen`: DIR/manifest.json and shard folders of NumPy
 * .npy arrays (README, "Dataset format"). Opening reads and checks the manifest; each shard's
 * arrays are read on demand into the caller's memory, or mapped by the caller from their paths
 * (the Python binding maps them with numpy).
 *
 * Threads: a NudgeDataset is read-only once open: any number of threads may read from one. */
#ifndef NUDGE_DATASET_H
#define NUDGE_DATASET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct NudgeDataset NudgeDataset;

/// opens DIR; NULL + one line for a missing folder, another format or version, columns that differ
/// from this nudge's observation, or an unfinished dataset (shards missing)
NudgeDataset* nudge_dataset_open(const char* dir, char* err, size_t err_size);
void          nudge_dataset_close(NudgeDataset* d);     /* NULL-safe */
/// episodes, shards, records per episode (T, t = 0 included), slots (K)
int64_t       nudge_dataset_episodes(const NudgeDataset* d);
int           nudge_dataset_shards(const NudgeDataset* d);
int           nudge_dataset_records(const NudgeDataset* d);
int           nudge_dataset_slots(const NudgeDataset* d);
/// shard s's first episode and episode count; -1 for s out of range
int64_t       nudge_dataset_shard_first(const NudgeDataset* d, int s);
int64_t       nudge_dataset_shard_episodes(const NudgeDataset* d, int s);
/// the arrays a shard may hold, by name (the files, as stored): "states", "mask", "ids", "actions",
/// "contacts", "events", "params", "scenario", "seed", "frames", "frame_rect", "bodies", "changes",
/// "pushes"; NULL out of range. From format version 5 "states" holds the dynamic columns only,
/// "bodies" and "changes" the static ones, and "ids" is gone; from version 6 "states" is slot-first
/// ([E, K, T, 7]): nudge_dataset_read_observation gives the full observation of any version; from
/// version 7 "pushes" holds one row per pushed slot and record instead of "actions" (README,
/// "Dataset format")
const char*   nudge_dataset_array_name(int i);
/// whether this dataset's shards hold the array ("frames" only when generated with frames)
bool          nudge_dataset_has_array(const NudgeDataset* d, const char* name);
/// the path of shard s's array file ("DIR/shard-00000/states.npy"); false + one line for an unknown
/// name or shard, or a path longer than n
bool          nudge_dataset_array_path(const NudgeDataset* d, int s, const char* name, char* out,
                                       size_t n, char* err, size_t err_size);
/// checks shard s's files against the manifest's sizes and CRC-32s; false + one line
bool          nudge_dataset_verify(const NudgeDataset* d, int s, char* err, size_t err_size);
/// the bytes of shard s's array `name` (not "events", whose size only its file knows); -1 + one
/// line for an unknown name or shard
int64_t       nudge_dataset_array_bytes(const NudgeDataset* d, int s, const char* name, char* err,
                                        size_t err_size);
/// reads shard s's array `name` (not "events") into dst[dst_bytes] (= nudge_dataset_array_bytes),
/// its dtype and shape checked against the manifest; false + one line
bool          nudge_dataset_read(const NudgeDataset* d, int s, const char* name, void* dst,
                                 size_t dst_bytes, char* err, size_t err_size);
/// reads shard s's full observation, whatever the format version: states [E, T, K, 20] float32
/// (states_bytes = E*T*K*20*4) and mask [E, T, K] (mask_bytes = E*T*K), E = the shard's episodes;
/// false + one line
bool          nudge_dataset_read_observation(const NudgeDataset* d, int s, float* states, size_t states_bytes,
                                             uint8_t* mask, size_t mask_bytes, char* err, size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
